/* See host_support.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "host_support.h"
#include "unit_support.h"

double host_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static const char *need_env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        fail_msg("%s is not set: run through ctest", name);
    return v;
}

static int json_int(const char *json, const char *key)
{
    char pattern[64];
    const char *p;

    snprintf(pattern, sizeof(pattern), "\"%s\":", key);
    p = strstr(json, pattern);
    if (!p)
        fail_msg("no %s in the simulator's ready.json", key);
    p += strlen(pattern);
    while (*p == ' ')
        p++;
    return atoi(p);
}

void host_setup(struct host *h)
{
    const char *run = need_env("SCNET_PAM_RUN");
    char path[700], json[2048] = "", service[2048];
    size_t n;
    FILE *f;

    memset(h, 0, sizeof(*h));
    snprintf(path, sizeof(path), "%s/ready.json", run);
    f = fopen(path, "re");
    if (!f)
        fail_msg("no %s: is the simulator fixture (pam_sim) running?", path);
    n = fread(json, 1, sizeof(json) - 1, f);
    json[n] = '\0';
    fclose(f);
    h->https_port = json_int(json, "https_port");
    snprintf(h->ca, sizeof(h->ca), "%s/certs/ca.pem", run);
    snprintf(h->token_file, sizeof(h->token_file), "%s/token", run);

    assert_non_null(unit_mkdtemp(h->dir, sizeof(h->dir), "host.XXXXXX"));
    snprintf(h->confdir, sizeof(h->confdir), "%s/services", h->dir);
    assert_int_equal(mkdir(h->confdir, 0700), 0);
    snprintf(path, sizeof(path), "%s/cache", h->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(service, sizeof(service),
             "session required %s conf=%s/scnet.conf\nsession required %s\n",
             need_env("SCNET_MODULE"), h->dir, need_env("SCNET_PAM_PERMIT"));
    snprintf(path, sizeof(path), "%s/host", h->confdir);
    unit_write_file(path, service, strlen(service), 0644);
}

void host_teardown(struct host *h)
{
    if (h->dir[0])
        assert_int_equal(unit_remove_tree(h->dir), 0);
    h->dir[0] = '\0';
}

void host_write_conf(const struct host *h, const char *extra)
{
    const char *helper = strstr(extra, "helper =") ? NULL : getenv("SCNET_TEST_HELPER");
    char text[4096], site[2048] = "", path[700];
    int fd;

    if (!strstr(extra, "url ="))
        snprintf(site, sizeof(site), "url = https://127.0.0.1:%d\ntoken_file = %s\ncafile = %s\n",
                 h->https_port, h->token_file, h->ca);
    snprintf(text, sizeof(text), "cache_dir = %s/cache\nlang = en\nfail = open\n%s%s\n%s%s%s",
             h->dir, site, extra, helper && *helper ? "helper = " : "",
             helper && *helper ? helper : "", helper && *helper ? "\n" : "");
    snprintf(path, sizeof(path), "%s/scnet.conf", h->dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(close(fd), 0);
}

/* Every message, of any style, goes into the session's text; no answers are given. */
static int collect(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    struct host_session *s = data;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));

    if (!r)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        size_t used = strlen(s->info);
        snprintf(s->info + used, sizeof(s->info) - used, "%s\n", msg[i]->msg);
    }
    *resp = r;
    return PAM_SUCCESS;
}

void host_open(const struct host *h, const char *user, struct host_session *s)
{
    double start;
    int rc;

    memset(s, 0, sizeof(*s));
    s->conv.conv = collect;
    s->conv.appdata_ptr = s;
    s->rc = PAM_SYSTEM_ERR;
    start = host_now_ms();
    rc = pam_start_confdir("host", user, &s->conv, h->confdir, &s->pamh);
    if (rc != PAM_SUCCESS)
        fail_msg("pam_start_confdir(%s): %d", h->confdir, rc);
    s->rc = pam_open_session(s->pamh, 0);
    s->ms = host_now_ms() - start;
}

void host_end(struct host_session *s)
{
    if (!s->pamh)
        return;
    if (s->rc == PAM_SUCCESS)
        (void)pam_close_session(s->pamh, 0);
    (void)pam_end(s->pamh, s->rc);
    s->pamh = NULL;
}

int host_login(const struct host *h, const char *user, struct host_session *s)
{
    host_open(h, user, s);
    host_end(s);
    return s->rc;
}

static int by_number(const void *a, const void *b)
{
    long x = strtol(*(char *const *)a, NULL, 10), y = strtol(*(char *const *)b, NULL, 10);
    return (x > y) - (x < y);
}

void host_fd_list(char *out, size_t outlen)
{
    char *lines[1024];
    size_t n = 0, used = 0;
    struct dirent *e;
    DIR *d = opendir("/proc/self/fd");

    assert_non_null(d);
    while ((e = readdir(d)) != NULL && n < 1024) {
        char link[300], target[512] = "";
        ssize_t len;

        if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
            continue;
        snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
        len = readlink(link, target, sizeof(target) - 1);
        target[len > 0 ? len : 0] = '\0';
        lines[n] = malloc(strlen(e->d_name) + strlen(target) + 8);
        assert_non_null(lines[n]);
        sprintf(lines[n], "%s -> %s", e->d_name, target);
        n++;
    }
    closedir(d);
    qsort(lines, n, sizeof(lines[0]), by_number);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        used += (size_t)snprintf(out + used, used < outlen ? outlen - used : 0, "%s\n", lines[i]);
        free(lines[i]);
    }
    assert_true(used < outlen);
}

/* Fields 3 (state) and 4 (ppid) of /proc/PID/stat; the name in field 2 may hold spaces. */
static bool stat_of(const char *pid, char *state, long *ppid)
{
    char path[64], buf[1024];
    const char *close_paren;
    size_t n;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%s/stat", pid);
    f = fopen(path, "re");
    if (!f)
        return false;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    close_paren = strrchr(buf, ')');
    return close_paren && sscanf(close_paren + 1, " %c %ld", state, ppid) == 2;
}

int host_children(pid_t *pids, int max, bool zombies_only)
{
    long self = (long)getpid();
    struct dirent *e;
    DIR *d = opendir("/proc");
    int count = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char state;
        long ppid;

        if (e->d_name[0] < '0' || e->d_name[0] > '9' || !stat_of(e->d_name, &state, &ppid))
            continue;
        if (ppid != self || (zombies_only && state != 'Z'))
            continue;
        if (count < max)
            pids[count] = (pid_t)atol(e->d_name);
        count++;
    }
    closedir(d);
    return count;
}

bool host_pid_exists(pid_t pid)
{
    char path[64];
    struct stat st;

    snprintf(path, sizeof(path), "/proc/%ld", (long)pid);
    return stat(path, &st) == 0;
}
