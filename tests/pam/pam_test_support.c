#include "pam_test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "unit_support.h"

double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int json_int(const char *json, const char *key)
{
    char pattern[64];
    const char *p;
    snprintf(pattern, sizeof(pattern), "\"%s\":", key);
    p = strstr(json, pattern);
    assert_non_null(p);
    return atoi(p + strlen(pattern));
}

/* dir/ready.json, spaces removed (the simulator writes compact or spaced JSON), into json. */
static void read_ready_file(const char *dir, char *json, size_t len)
{
    char path[700];
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/ready.json", dir);
    f = fopen(path, "r");
    if (!f)
        fail_msg("no %s: is the simulator fixture running?", path);
    n = fread(json, 1, len - 1, f);
    json[n] = '\0';
    fclose(f);
    for (char *r = json, *w = json;; r++) {
        if (*r != ' ')
            *w++ = *r;
        if (!*r)
            break;
    }
}

void sim_info_load(struct sim_info *sim)
{
    const char *run = getenv("SCNET_PAM_RUN");
    char json[2048];

    /* Without pam_wrapper the real /etc/pam.d would be used: never test against that. */
    if (!getenv("PAM_WRAPPER_RUNTIME_DIR"))
        fail_msg("pam_wrapper is not active (PAM_WRAPPER_RUNTIME_DIR unset): run through ctest");
    assert_non_null(run);
    memset(sim, 0, sizeof(*sim));
    snprintf(sim->run_dir, sizeof(sim->run_dir), "%s", run);
    read_ready_file(run, json, sizeof(json));
    sim->http_port = json_int(json, "http_port");
    sim->https_port = json_int(json, "https_port");
    snprintf(sim->ca, sizeof(sim->ca), "%s/certs/ca.pem", run);
    snprintf(sim->token_file, sizeof(sim->token_file), "%s/token", run);
}

int sim_misnamed_https_port(const struct sim_info *sim)
{
    char dir[600], json[2048];

    snprintf(dir, sizeof(dir), "%s/misnamed", sim->run_dir);
    read_ready_file(dir, json, sizeof(json));
    return json_int(json, "https_port");
}

static const char *conf_prefix = "";

void set_conf_prefix(const char *prefix)
{
    conf_prefix = prefix;
}

void write_conf(const struct sim_info *sim, const char *fmt, ...)
{
    char path[700], tmp[720];
    va_list ap;
    FILE *f;
    int fd;

    snprintf(path, sizeof(path), "%s/scnet.conf", sim->run_dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    /* Never the system's /var/cache: each run keeps its cache in its own folder. The
     * helper is the one built with the tree (CMake sets SCNET_TEST_HELPER). */
    assert_non_null(getenv("SCNET_TEST_HELPER"));
    /* Offline mode off unless a test turns it on (a later line wins): one test's dead API
     * must not answer the next test's logins from the cache. */
    fprintf(f, "cache_dir = %s/cache\nhelper = %s\noffline_retry = 0\n%s", sim->run_dir,
            getenv("SCNET_TEST_HELPER"), conf_prefix);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rename(tmp, path), 0);
}

void write_https_conf(const struct sim_info *sim, const char *extra)
{
    write_conf(sim,
               "# written by the pam tests\n"
               "url = https://127.0.0.1:%d\n"
               "token_file = %s\n"
               "cafile = %s\n"
               "timeout = %d\n"
               "lang = en\n"
               "%s\n",
               sim->https_port, sim->token_file, sim->ca, 2 * unit_time_factor(), extra);
}

void run_pam(const char *service, const char *user, enum pamtest_ops op, int flags,
             struct pam_run *run)
{
    const char *no_input[] = {NULL};
    char *info[PAM_RUN_MAX_MSGS], *err[PAM_RUN_MAX_MSGS];
    struct pamtest_conv_data conv = {
        .in_echo_off = no_input, .in_echo_on = no_input, .out_err = err, .out_info = info};
    struct pam_testcase tests[] = {pam_test_flags(op, PAM_SUCCESS, flags)};
    enum pamtest_err perr;
    double start;

    memset(run, 0, sizeof(*run));
    for (int i = 0; i < PAM_RUN_MAX_MSGS; i++) {
        info[i] = run->info[i];
        err[i] = run->err[i];
    }
    start = now_ms();
#ifdef SCNET_RUN_PAMTEST_HAS_HANDLE
    perr = run_pamtest(service, user, &conv, tests, NULL);
#else
    perr = run_pamtest(service, user, &conv, tests); /* libpamtest 1.1.3: no handle argument */
#endif
    run->ms = now_ms() - start;
    if (perr != PAMTEST_ERR_OK && perr != PAMTEST_ERR_CASE)
        fail_msg("run_pamtest(%s, %s) failed to run: error %d", service, user, (int)perr);
    run->rc = tests[0].op_rv;
}

void run_pam_logged(const char *service, const char *user, struct pam_run *run, char *log,
                    size_t loglen)
{
    FILE *capture = tmpfile();
    int saved = dup(2);
    size_t n;

    assert_non_null(capture);
    assert_true(saved >= 0);
    fflush(stderr);
    dup2(fileno(capture), 2);
    run_pam(service, user, PAMTEST_OPEN_SESSION, 0, run);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(capture);
    n = fread(log, 1, loglen - 1, capture);
    log[n] = '\0';
    fclose(capture);
}

static const char *joined(char msgs[][PAM_MAX_MSG_SIZE + 1])
{
    static char out[PAM_RUN_MAX_MSGS * (PAM_MAX_MSG_SIZE + 1)];
    size_t len = 0;

    out[0] = '\0';
    for (int i = 0; i < PAM_RUN_MAX_MSGS && msgs[i][0]; i++)
        len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? "\n" : "", msgs[i]);
    return out;
}

const char *joined_info(struct pam_run *run)
{
    return joined(run->info);
}

const char *joined_err(struct pam_run *run)
{
    return joined(run->err);
}

const char *sim_http(const struct sim_info *sim, const char *method, const char *path,
                     const char *body)
{
    static char reply[65536];
    char request[4096];
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(sim->http_port)};
    struct timeval tv = {.tv_sec = 5};
    size_t used = 0;
    ssize_t n;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    char *start;

    assert_true(fd >= 0);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    snprintf(request, sizeof(request),
             "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
             "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
             method, path, body ? strlen(body) : 0, body ? body : "");
    assert_int_equal(write(fd, request, strlen(request)), (ssize_t)strlen(request));
    while (used < sizeof(reply) - 1 && (n = read(fd, reply + used, sizeof(reply) - 1 - used)) > 0)
        used += (size_t)n;
    close(fd);
    reply[used] = '\0';
    start = strstr(reply, "\r\n\r\n");
    assert_non_null(start);
    return start + 4;
}

long sim_quota_count(const struct sim_info *sim, const char *user)
{
    const char *stats = sim_http(sim, "GET", "/_sim/stats", NULL);
    const char *by_user = strstr(stats, "\"quota_by_user\"");
    char key[300];
    const char *p;

    assert_non_null(by_user);
    snprintf(key, sizeof(key), "\"%s\":", user);
    p = strstr(by_user, key);
    if (!p)
        return 0;
    p += strlen(key);
    while (*p == ' ')
        p++;
    return strtol(p, NULL, 10);
}

long sim_stat(const struct sim_info *sim, const char *key)
{
    const char *stats = sim_http(sim, "GET", "/_sim/stats", NULL);
    char pattern[300];
    const char *p;

    snprintf(pattern, sizeof(pattern), "\"%s\":", key);
    p = strstr(stats, pattern);
    if (!p)
        fail_msg("no %s in the simulator's stats: %s", key, stats);
    p += strlen(pattern);
    while (*p == ' ')
        p++;
    return strtol(p, NULL, 10);
}

void plant_answer(const struct sim_info *sim, const char *user, double usage, long age_s)
{
    char dir[700];

    snprintf(dir, sizeof(dir), "%s/cache", sim->run_dir);
    plant_answer_in(dir, user, usage, age_s);
}

void plant_answer_in(const char *dir, const char *user, double usage, long age_s)
{
    char body[512], err[256] = "";
    int dirfd, n;

    dirfd = cache_dir_open(dir, geteuid(), err, sizeof(err));
    n = snprintf(body, sizeof(body),
                 "{\"code\":\"0\",\"msg\":\"success\",\"data\":[{\"username\":\"%s\","
                 "\"path\":\"/public/home/%s\",\"threshold\":700,\"usage\":%.1f}]}",
                 user, user, usage);
    if (dirfd < 0)
        fail_msg("cache dir: %s", err);
    if (n <= 0 || (size_t)n >= sizeof(body))
        fail_msg("answer of %s too long", user);
    unit_cache_answer(dirfd, user, body, (int64_t)time(NULL) - age_s);
    close(dirfd);
}

void sessions_at_once(const char *const *users, size_t n, struct child_result *results)
{
    const char *child = getenv("SCNET_SESSION_CHILD"), *confdir = getenv("SCNET_SERVICE_DIR");
    FILE *outs[64];
    pid_t pids[64];

    assert_non_null(child);
    assert_non_null(confdir);
    assert_true(n <= 64);
    for (size_t i = 0; i < n; i++) {
        outs[i] = tmpfile();
        assert_non_null(outs[i]);
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            dup2(fileno(outs[i]), 1);
            /* Keep nss_wrapper (the test users), drop pam_wrapper. */
            setenv("LD_PRELOAD", getenv("SCNET_NSS_WRAPPER"), 1);
            unsetenv("PAM_WRAPPER");
            execl(child, child, confdir, "scnet", users[i], (char *)NULL);
            _exit(127);
        }
    }
    for (size_t i = 0; i < n; i++) {
        int status;
        size_t len;
        char *rc_line;

        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        rewind(outs[i]);
        len = fread(results[i].out, 1, sizeof(results[i].out) - 1, outs[i]);
        results[i].out[len] = '\0';
        fclose(outs[i]);
        rc_line = strstr(results[i].out, "rc=");
        assert_non_null(rc_line);
        assert_int_equal(sscanf(rc_line, "rc=%d ms=%lf", &results[i].status, &results[i].ms), 2);
    }
}
