/* Unit tests for token_get (common/token.c) with auth = aksk / password: a small HTTP server
 * in a thread plays the token service, the token cache is a real directory, and the cache
 * entry is edited on disk to move a token's expiry around. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "deadline.h"
#include "sha256.h"
#include "token.h"
#include "token_service.h"
#include "unit_support.h"

#define SK "s3cr3tKEYvalue"
#define PW "pa55WORDvalue"
#define AK "AKIDEXAMPLE42"

/* ---- the fake token service ---- */

struct server {
    int fd;
    int port;
    int stop_pipe[2];
    pthread_t thread;
    pthread_mutex_t lock;
    int requests;
    char last_request[8192];
    int status;
    char body[16384];
    int delay_ms;
};

static void *serve(void *arg)
{
    struct server *s = arg;

    for (;;) {
        struct pollfd p[2] = {{.fd = s->fd, .events = POLLIN},
                              {.fd = s->stop_pipe[0], .events = POLLIN}};
        char req[8192], resp[20000];
        size_t used = 0;
        int c, status, delay;

        if (poll(p, 2, -1) < 0 || (p[1].revents & POLLIN))
            return NULL;
        c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        while (used < sizeof(req) - 1) {
            ssize_t n = read(c, req + used, sizeof(req) - 1 - used);
            if (n <= 0)
                break;
            used += (size_t)n;
            req[used] = '\0';
            if (strstr(req, "\r\n\r\n"))
                break;
        }
        req[used] = '\0';
        pthread_mutex_lock(&s->lock);
        s->requests++;
        snprintf(s->last_request, sizeof(s->last_request), "%s", req);
        status = s->status;
        delay = s->delay_ms;
        snprintf(resp, sizeof(resp),
                 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\n\r\n%s",
                 status, strlen(s->body), s->body);
        pthread_mutex_unlock(&s->lock);
        if (delay > 0)
            usleep((useconds_t)delay * 1000);
        (void)!write(c, resp, strlen(resp));
        close(c);
    }
}

static void server_start(struct server *s)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    s->status = 200;
    s->fd = unit_loopback_listener(64, &s->port);
    assert_int_equal(pipe2(s->stop_pipe, O_CLOEXEC), 0);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
    (void)!write(s->stop_pipe[1], "x", 1);
    pthread_join(s->thread, NULL);
    close(s->fd);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    pthread_mutex_destroy(&s->lock);
}

static void server_reply(struct server *s, int status, const char *body)
{
    pthread_mutex_lock(&s->lock);
    s->status = status;
    snprintf(s->body, sizeof(s->body), "%s", body);
    pthread_mutex_unlock(&s->lock);
}

static int server_requests(struct server *s)
{
    int n;
    pthread_mutex_lock(&s->lock);
    n = s->requests;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* ---- tokens ---- */

/* A JWT that expires life seconds from now, made distinct by tag. */
static void make_jwt(long life, const char *tag, char *out, size_t outlen)
{
    char payload[256], *enc;
    snprintf(payload, sizeof(payload),
             "{\"user\":\"op\",\"expireTime\":%" PRId64 ",\"jti\":\"%s\"}",
             ((int64_t)time(NULL) + life) * 1000, tag);
    enc = unit_b64url(payload);
    snprintf(out, outlen, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.%s.c2ln", enc);
    free(enc);
}

/* The service's reply: platform entry, then hefei with token. */
static void reply_with(struct server *s, const char *token)
{
    char body[4096];
    snprintf(body, sizeof(body),
             "{\"code\":\"0\",\"msg\":\"success\",\"data\":[{\"clusterId\":\"0\",\"clusterName\":"
             "\"ac\",\"token\":\"platform-token\"},{\"clusterId\":\"11250\",\"clusterName\":"
             "\"hefei\",\"token\":\"%s\"}]}",
             token);
    server_reply(s, 200, body);
}

/* ---- fixture ---- */

struct fixture {
    char dir[1024];
    char creds[PATH_MAX];
    char cache[PATH_MAX];
    struct scnet_config cfg;
    struct server srv;
    char log[16384];
    pthread_mutex_t log_lock;
    struct scnet_log sink;
    char err[1024];
    char *token;
};

static void collect(void *ctx, int priority, const char *line)
{
    struct fixture *f = ctx;
    size_t used;

    pthread_mutex_lock(&f->log_lock);
    used = strlen(f->log);
    snprintf(f->log + used, sizeof(f->log) - used, "%d %s\n", priority, line);
    pthread_mutex_unlock(&f->log_lock);
}

static void write_creds(struct fixture *f, const char *text)
{
    char tmp[PATH_MAX + 8];

    snprintf(tmp, sizeof(tmp), "%s.tmp", f->creds);
    unit_write_file_at(AT_FDCWD, tmp, O_TRUNC, text, strlen(text), 0600);
    /* A new inode: the credentials stamp changes even within the same second. */
    assert_int_equal(rename(tmp, f->creds), 0);
}

/* The error of a token request the fixture's server answered with HTTP 503: it names the
 * URL that failed (auth = aksk). */
static const char *service_down_error(const struct fixture *f, char *out, size_t outlen)
{
    snprintf(out, outlen,
             "token service: HTTP status 503 from http://127.0.0.1:%d/api/user/v3/tokens",
             f->srv.port);
    return out;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char url[64];

    if (!f)
        return -1;
    if (!unit_mkdtemp(f->dir, sizeof(f->dir), "scnet-tokget-XXXXXX")) {
        free(f);
        return -1;
    }
    snprintf(f->creds, sizeof(f->creds), "%s/credentials", f->dir);
    snprintf(f->cache, sizeof(f->cache), "%s/cache", f->dir);
    pthread_mutex_init(&f->log_lock, NULL);
    f->sink = (struct scnet_log){.write = collect, .ctx = f, .debug = true};
    server_start(&f->srv);
    config_defaults(&f->cfg);
    free(f->cfg.helper);
    f->cfg.helper = strdup(getenv("SCNET_TEST_HELPER"));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", f->srv.port);
    f->cfg.url = strdup(url);
    free(f->cfg.credentials_file);
    f->cfg.credentials_file = strdup(f->creds);
    free(f->cfg.cache_dir);
    f->cfg.cache_dir = strdup(f->cache);
    f->cfg.auth = SCNET_AUTH_AKSK;
    write_creds(f, "user = op\naccess_key = " AK "\nsecret_key = " SK "\n");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    server_stop(&f->srv);
    (void)unit_remove_tree(f->dir);
    token_free(f->token);
    config_free(&f->cfg);
    pthread_mutex_destroy(&f->log_lock);
    free(f);
    return 0;
}

/* A generous budget: these tests are about what is fetched, not how fast. A renewal with a
 * token to fall back on gets half of it, and an ASan helper starting on a loaded machine
 * took more than the 1.5 s that 3 s left it (CI: a renewal that never reached the server). */
static bool get(struct fixture *f, const char *rejected)
{
    token_free(f->token);
    f->token = NULL;
    strcpy(f->err, "untouched");
    f->log[0] = '\0';
    return token_get(&f->cfg, monotonic_ms() + 10000, &f->sink, rejected, &f->token, f->err,
                     sizeof(f->err));
}

/* Secrets never reach a log line or an error. */
static void assert_no_secrets(struct fixture *f)
{
    assert_null(strstr(f->log, SK));
    assert_null(strstr(f->log, PW));
    assert_null(strstr(f->err, SK));
    assert_null(strstr(f->err, PW));
    if (f->token) {
        assert_null(strstr(f->log, f->token));
        assert_null(strstr(f->err, f->token));
    }
}

/* ---- the cache entry on disk ---- */

/* Path of the single token entry in the cache directory. */
static void entry_path(struct fixture *f, char *out, size_t outlen)
{
    DIR *d = opendir(f->cache);
    struct dirent *e;
    int found = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > 6 && strcmp(e->d_name + n - 6, ".cache") == 0) {
            snprintf(out, outlen, "%s/%s", f->cache, e->d_name);
            found++;
        }
    }
    closedir(d);
    assert_int_equal(found, 1);
}

/* The entry's header line and body. */
static void entry_read(struct fixture *f, char *header, size_t hlen, char *body, size_t blen)
{
    char path[PATH_MAX + 300], buf[20000], *nl;
    FILE *fp;
    size_t n;

    entry_path(f, path, sizeof(path));
    fp = fopen(path, "r");
    assert_non_null(fp);
    n = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    nl = strchr(buf, '\n');
    assert_non_null(nl);
    *nl = '\0';
    assert_true(strlen(buf) < hlen && strlen(nl + 1) < blen);
    memcpy(header, buf, strlen(buf) + 1);
    memcpy(body, nl + 1, strlen(nl + 1) + 1);
}

/* Replace the entry's body, keeping its key and fetched_at (the cache's own format:
 * "scnet-cache 2 <fetched_at> <len> <hex key>"). */
static void entry_write(struct fixture *f, const char *body)
{
    char path[PATH_MAX + 300], header[4096], old[16384], fetched[32], keyhex[4096];
    FILE *fp;

    entry_read(f, header, sizeof(header), old, sizeof(old));
    assert_int_equal(sscanf(header, "scnet-cache 2 %31s %*s %4095s", fetched, keyhex), 2);
    entry_path(f, path, sizeof(path));
    fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "scnet-cache 2 %s %zu %s\n%s", fetched, strlen(body), keyhex, body);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(chmod(path, 0600), 0);
}

/* Set the "expires" line of the entry to now + delta and after_rejection to when. */
static void entry_set_expiry(struct fixture *f, long delta, int64_t after_rejection)
{
    char header[4096], body[16384], out[16384], *line, *save = NULL;
    size_t used = 0;

    entry_read(f, header, sizeof(header), body, sizeof(body));
    for (line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "expires ", 8) == 0)
            used += (size_t)snprintf(out + used, sizeof(out) - used, "expires %" PRId64 "\n",
                                     (int64_t)time(NULL) + delta);
        else if (after_rejection >= 0 && strncmp(line, "after_rejection ", 16) == 0)
            used += (size_t)snprintf(out + used, sizeof(out) - used,
                                     "after_rejection %" PRId64 "\n", after_rejection);
        else
            used += (size_t)snprintf(out + used, sizeof(out) - used, "%s\n", line);
    }
    entry_write(f, out);
}

static int64_t entry_number(struct fixture *f, const char *label)
{
    char header[4096], body[16384], want[64], *p;

    entry_read(f, header, sizeof(header), body, sizeof(body));
    snprintf(want, sizeof(want), "\n%s ", label);
    p = strstr(body, want);
    assert_non_null(p);
    return strtoll(p + strlen(want), NULL, 10);
}

/* ---- tests ---- */

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void test_token_file_mode(void **state)
{
    struct fixture *f = *state;
    char path[PATH_MAX + 8];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/token", f->dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("file-token\n", fp);
    fclose(fp);
    chmod(path, 0600);
    free(f->cfg.token_file);
    f->cfg.token_file = strdup(path);
    f->cfg.auth = SCNET_AUTH_TOKEN_FILE;
    assert_true(get(f, NULL));
    assert_string_equal(f->token, "file-token");
    assert_false(get(f, "file-token"));
    assert_null(f->token);
    assert_non_null(strstr(f->err, "auth = token_file cannot renew it"));
    assert_int_equal(server_requests(&f->srv), 0);
}

static void test_first_token_is_fetched_and_cached(void **state)
{
    struct fixture *f = *state;
    char jwt[512], header[4096], body[16384], path[PATH_MAX + 300], want[600];
    struct stat st;
    int64_t expires;

    make_jwt(3600, "a", jwt, sizeof(jwt));
    reply_with(&f->srv, jwt);
    assert_true(get(f, NULL));
    assert_string_equal(f->token, jwt);
    assert_int_equal(server_requests(&f->srv), 1);
    assert_non_null(strstr(f->log, "token: fetching (aksk), none cached"));
    /* "1h00m left", or "59m left" on a slow run (valgrind). */
    assert_non_null(strstr(f->log, "token: obtained, region hefei (11250), "));
    assert_true(strstr(f->log, "1h00m left (expireTime)") ||
                strstr(f->log, "59m left (expireTime)"));
    assert_no_secrets(f);

    entry_path(f, path, sizeof(path));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    entry_read(f, header, sizeof(header), body, sizeof(body));
    assert_non_null(strstr(body, "scnet-token 1\nexpires "));
    assert_non_null(strstr(body, "\nsource jwt\ncredentials "));
    assert_non_null(strstr(body, "\nafter_rejection 0\n"));
    snprintf(want, sizeof(want), "\ntoken %s\n", jwt);
    assert_non_null(strstr(body, want));
    assert_null(strstr(body, SK));
    expires = entry_number(f, "expires");
    assert_true(expires >= (int64_t)time(NULL) + 3590 && expires <= (int64_t)time(NULL) + 3600);
}

/* The request: the documented path and headers, and a signature the service can check. */
static void test_aksk_request_headers(void **state)
{
    struct fixture *f = *state;
    char jwt[512], req[8192], want[512], sig[SHA256_HEX_LEN + 1], *p;
    long ts;

    make_jwt(3600, "h", jwt, sizeof(jwt));
    reply_with(&f->srv, jwt);
    assert_true(get(f, NULL));
    pthread_mutex_lock(&f->srv.lock);
    snprintf(req, sizeof(req), "%s", f->srv.last_request);
    pthread_mutex_unlock(&f->srv.lock);
    assert_true(starts_with(req, "POST /api/user/v3/tokens HTTP/1.1\r\n"));
    assert_non_null(strstr(req, "\r\nuser: op\r\n"));
    assert_non_null(strstr(req, "\r\naccessKey: " AK "\r\n"));
    p = strstr(req, "\r\ntimestamp: ");
    assert_non_null(p);
    ts = strtol(p + 13, NULL, 10);
    assert_true(labs(ts - (long)time(NULL)) <= 5);
    snprintf(want, sizeof(want), "%ld", ts);
    assert_true(aksk_signature(SK, AK, want, "op", sig));
    snprintf(want, sizeof(want), "\r\nsignature: %s\r\n", sig);
    assert_non_null(strstr(req, want));
    /* The secret key itself never travels. */
    assert_null(strstr(req, SK));
}

static void test_password_request_headers(void **state)
{
    struct fixture *f = *state;
    char jwt[512], req[8192];

    f->cfg.auth = SCNET_AUTH_PASSWORD;
    write_creds(f, "user = op\npassword = " PW "\norg_id = ORG7\n");
    make_jwt(3600, "p", jwt, sizeof(jwt));
    reply_with(&f->srv, jwt);
    assert_true(get(f, NULL));
    assert_string_equal(f->token, jwt);
    assert_non_null(strstr(f->log, "token: fetching (password), none cached"));
    pthread_mutex_lock(&f->srv.lock);
    snprintf(req, sizeof(req), "%s", f->srv.last_request);
    pthread_mutex_unlock(&f->srv.lock);
    assert_true(starts_with(req, "POST /ac/openapi/v2/tokens HTTP/1.1\r\n"));
    assert_non_null(strstr(req, "\r\nuser: op\r\n"));
    assert_non_null(strstr(req, "\r\npassword: " PW "\r\n"));
    assert_non_null(strstr(req, "\r\norgId: ORG7\r\n"));
    assert_null(strstr(req, "signature"));
    assert_no_secrets(f);
}

static void test_auth_url_and_trailing_slash(void **state)
{
    struct fixture *f = *state;
    char jwt[512], url[64];

    /* url points nowhere: the token request must go to auth_url. */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", f->srv.port);
    f->cfg.auth_url = strdup(url);
    free(f->cfg.url);
    f->cfg.url = strdup("http://127.0.0.1:1");
    make_jwt(3600, "u", jwt, sizeof(jwt));
    reply_with(&f->srv, jwt);
    assert_true(get(f, NULL));
    pthread_mutex_lock(&f->srv.lock);
    assert_true(starts_with(f->srv.last_request, "POST /api/user/v3/tokens HTTP/1.1\r\n"));
    pthread_mutex_unlock(&f->srv.lock);
}

static void test_reuse_until_renew_window(void **state)
{
    struct fixture *f = *state;
    char jwt1[512], jwt2[512];

    make_jwt(3600, "one", jwt1, sizeof(jwt1));
    reply_with(&f->srv, jwt1);
    assert_true(get(f, NULL));
    make_jwt(3600, "two", jwt2, sizeof(jwt2));
    reply_with(&f->srv, jwt2);
    for (int i = 0; i < 3; i++) {
        assert_true(get(f, NULL));
        assert_string_equal(f->token, jwt1);
        assert_non_null(strstr(f->log, "token: cache hit, "));
    }
    assert_int_equal(server_requests(&f->srv), 1);

    /* 610 s left with token_renew_before = 600: still used (10 s of margin for a slow run). */
    entry_set_expiry(f, 610, -1);
    assert_true(get(f, NULL));
    assert_string_equal(f->token, jwt1);
    assert_int_equal(server_requests(&f->srv), 1);

    /* 500 s left: renewed ahead of expiry. */
    entry_set_expiry(f, 500, -1);
    assert_true(get(f, NULL));
    assert_string_equal(f->token, jwt2);
    assert_int_equal(server_requests(&f->srv), 2);
    assert_non_null(strstr(f->log, "token: fetching (aksk), 8m left"));
    assert_non_null(strstr(f->log, "token: renewed, region hefei (11250), "));
    assert_true(get(f, NULL));
    assert_string_equal(f->token, jwt2);
    assert_int_equal(server_requests(&f->srv), 2);
}

static void test_renew_before_follows_config(void **state)
{
    struct fixture *f = *state;
    char jwt[512];

    f->cfg.token_renew_before = 7200;
    make_jwt(3600, "r", jwt, sizeof(jwt));
    reply_with(&f->srv, jwt);
    /* A token that lives less than token_renew_before is still used once fetched... */
    assert_true(get(f, NULL));
    assert_string_equal(f->token, jwt);
    /* ...and renewed at the next use. */
    assert_true(get(f, NULL));
    assert_int_equal(server_requests(&f->srv), 2);
}

static void test_renewal_failure_keeps_valid_token(void **state)
{
    struct fixture *f = *state;
    char expected[256], down[128];
    char jwt[512];

    make_jwt(3600, "keep", jwt, sizeof(jwt));
    reply_with(&f->srv, jwt);
    assert_true(get(f, NULL));
    entry_set_expiry(f, 330, -1); /* "5m left" for 30 s */
    server_reply(&f->srv, 503, "<html>down</html>");
    assert_true(get(f, NULL));
    assert_string_equal(f->token, jwt);
    assert_int_equal(server_requests(&f->srv), 2);
    snprintf(expected, sizeof(expected),
             "4 token: renewal failed (%s); using the cached token, 5m left",
             service_down_error(f, down, sizeof(down)));
    assert_non_null(strstr(f->log, expected));
    /* Each use inside the window tries again. */
    assert_true(get(f, NULL));
    if (!strstr(f->log, expected))
        fail_msg("the second renewal did not fail with HTTP 503; log:\n%s", f->log);
    assert_int_equal(server_requests(&f->srv), 3);
}

static void test_expired_token_and_service_down(void **state)
{
    struct fixture *f = *state;
    char down[128];
    char jwt[512];

    make_jwt(3600, "old", jwt, sizeof(jwt));
    reply_with(&f->srv, jwt);
    assert_true(get(f, NULL));
    entry_set_expiry(f, -1, -1);
    server_reply(&f->srv, 503, "<html>down</html>");
    assert_false(get(f, NULL));
    assert_null(f->token);
    assert_string_equal(f->err, service_down_error(f, down, sizeof(down)));
}

static void test_no_cache_and_service_down(void **state)
{
    struct fixture *f = *state;
    char down[128];

    server_reply(&f->srv, 503, "<html>down</html>");
    assert_false(get(f, NULL));
    assert_string_equal(f->err, service_down_error(f, down, sizeof(down)));
    free(f->cfg.url);
    f->cfg.url = strdup("http://127.0.0.1:1");
    assert_false(get(f, NULL));
    assert_true(starts_with(f->err, "token service: "));
}

static void test_suspended_and_refused(void **state)
{
    struct fixture *f = *state;

    server_reply(&f->srv, 200,
                 "{\"code\":\"0\",\"msg\":\"success\",\"data\":[{\"clusterId\":\"0\","
                 "\"clusterName\":\"ac\",\"token\":\"platform\"},{\"clusterId\":\"11250\","
                 "\"clusterName\":\"hefei\",\"token\":null}]}");
    assert_false(get(f, NULL));
    assert_string_equal(f->err, "account suspended: no token for region hefei (11250)");
    server_reply(&f->srv, 200, "{\"code\":\"10008\",\"msg\":\"signature mismatch\",\"data\":null}");
    assert_false(get(f, NULL));
    assert_string_equal(f->err, "token service refused: code 10008 (insufficient permission or "
                                "expired token): \"signature mismatch\"");
    server_reply(&f->srv, 200, "{\"code\":\"0\",\"data\":[{\"token\":\"x\"}]}");
    assert_false(get(f, NULL));
    assert_string_equal(f->err, "token service: bad reply: data[0].clusterId is missing");
    assert_int_equal(server_requests(&f->srv), 3);
}

static void test_cluster_choice(void **state)
{
    struct fixture *f = *state;

    f->cfg.cluster = strdup("kunshan");
    server_reply(&f->srv, 200,
                 "{\"code\":\"0\",\"data\":[{\"clusterId\":\"0\",\"clusterName\":\"ac\",\"token\":"
                 "\"p\"},{\"clusterId\":\"11250\",\"clusterName\":\"hefei\",\"token\":\"h-tok\"},"
                 "{\"clusterId\":11251,\"clusterName\":\"kunshan\",\"token\":\"k-tok\"}]}");
    assert_true(get(f, NULL));
    assert_string_equal(f->token, "k-tok");
    assert_non_null(strstr(f->log, "region kunshan (11251)"));
}

static void test_rejected_token_is_replaced_once(void **state)
{
    struct fixture *f = *state;
    char jwt1[512], jwt2[512], jwt3[512];

    make_jwt(3600, "first", jwt1, sizeof(jwt1));
    reply_with(&f->srv, jwt1);
    assert_true(get(f, NULL));
    make_jwt(3600, "second", jwt2, sizeof(jwt2));
    reply_with(&f->srv, jwt2);
    assert_true(get(f, jwt1));
    assert_string_equal(f->token, jwt2);
    assert_int_equal(server_requests(&f->srv), 2);
    assert_non_null(strstr(f->log, "token: fetching (aksk), the API refused the one it had"));
    assert_true(entry_number(f, "after_rejection") > 0);
    /* Others now get the new one without a request. */
    assert_true(get(f, NULL));
    assert_string_equal(f->token, jwt2);
    /* A login still holding the old one is given the new one, no request. */
    assert_true(get(f, jwt1));
    assert_string_equal(f->token, jwt2);
    assert_int_equal(server_requests(&f->srv), 2);

    /* The replacement refused too, right away: the account is the problem, not the token. */
    make_jwt(3600, "third", jwt3, sizeof(jwt3));
    reply_with(&f->srv, jwt3);
    assert_false(get(f, jwt2));
    assert_null(f->token);
    assert_non_null(strstr(f->err, "the API refused a token obtained "));
    assert_int_equal(server_requests(&f->srv), 2);

    /* A minute later it may try again. */
    entry_set_expiry(f, 3000, (int64_t)time(NULL) - 61);
    assert_true(get(f, jwt2));
    assert_string_equal(f->token, jwt3);
    assert_int_equal(server_requests(&f->srv), 3);
}

static void test_rejected_and_service_down(void **state)
{
    struct fixture *f = *state;
    char down[128];
    char jwt[512];

    make_jwt(3600, "x", jwt, sizeof(jwt));
    reply_with(&f->srv, jwt);
    assert_true(get(f, NULL));
    server_reply(&f->srv, 503, "down");
    /* The refused token is never handed out again, valid or not. */
    assert_false(get(f, jwt));
    assert_null(f->token);
    assert_string_equal(f->err, service_down_error(f, down, sizeof(down)));
}

static void test_credentials_change_renews(void **state)
{
    struct fixture *f = *state;
    char jwt1[512], jwt2[512];

    make_jwt(3600, "c1", jwt1, sizeof(jwt1));
    reply_with(&f->srv, jwt1);
    assert_true(get(f, NULL));
    make_jwt(3600, "c2", jwt2, sizeof(jwt2));
    reply_with(&f->srv, jwt2);
    write_creds(f, "user = op2\naccess_key = " AK "\nsecret_key = " SK "\n");
    assert_true(get(f, NULL));
    assert_string_equal(f->token, jwt2);
    assert_non_null(strstr(f->log, "token: fetching (aksk), the credentials file changed"));
    assert_true(get(f, NULL));
    assert_int_equal(server_requests(&f->srv), 2);
}

static void test_bad_credentials_file(void **state)
{
    struct fixture *f = *state;
    char want[PATH_MAX + 100];

    write_creds(f, "user = op\naccess_key = " AK "\n");
    assert_false(get(f, NULL));
    snprintf(want, sizeof(want),
             "%s: secret_key is missing (auth = aksk needs user, access_key and secret_key)",
             f->creds);
    assert_string_equal(f->err, want);
    assert_int_equal(server_requests(&f->srv), 0);
    chmod(f->creds, 0644);
    assert_false(get(f, NULL));
    assert_non_null(strstr(f->err, "is too open"));
}

static void test_ttl_when_no_expire_time(void **state)
{
    struct fixture *f = *state;
    char jwt_past[512], body[16384], header[4096];

    f->cfg.token_ttl = 7200;
    reply_with(&f->srv, "opaque-token-without-claims");
    assert_true(get(f, NULL));
    assert_string_equal(f->token, "opaque-token-without-claims");
    assert_non_null(strstr(f->log, "token: not a JWT (three dot-separated parts); trusting it for "
                                   "token_ttl = 7200s"));
    assert_non_null(strstr(f->log, "2h00m left (token_ttl)"));
    entry_read(f, header, sizeof(header), body, sizeof(body));
    assert_non_null(strstr(body, "\nsource ttl\n"));
    assert_true(entry_number(f, "expires") >= (int64_t)time(NULL) + 7190);

    /* An expireTime already past (clock skew) is not believed either. */
    entry_set_expiry(f, -5, -1);
    make_jwt(-60, "past", jwt_past, sizeof(jwt_past));
    reply_with(&f->srv, jwt_past);
    assert_true(get(f, NULL));
    assert_string_equal(f->token, jwt_past);
    assert_non_null(strstr(f->log, "already past (clock skew?)"));
    assert_true(entry_number(f, "expires") >= (int64_t)time(NULL) + 7190);
}

static void test_corrupt_entry_is_replaced(void **state)
{
    struct fixture *f = *state;
    char jwt[512];

    make_jwt(3600, "c", jwt, sizeof(jwt));
    reply_with(&f->srv, jwt);
    assert_true(get(f, NULL));
    entry_write(f, "scnet-token 1\nexpires 99999999999\nsource jwt\ntoken forged\n");
    assert_true(get(f, NULL));
    assert_string_equal(f->token, jwt);
    assert_non_null(strstr(f->log, "4 token: ignoring the cached token: corrupt entry"));
    assert_int_equal(server_requests(&f->srv), 2);
    entry_write(f, "garbage");
    assert_true(get(f, NULL));
    assert_int_equal(server_requests(&f->srv), 3);
    /* A group-readable entry is not trusted. */
    {
        char path[PATH_MAX + 300];
        entry_path(f, path, sizeof(path));
        chmod(path, 0640);
    }
    assert_true(get(f, NULL));
    /* (The wording of the reason is cache.c's.) */
    assert_non_null(strstr(f->log, "4 token: ignoring the cached token: cache file "));
    assert_non_null(strstr(f->log, "0640"));
    assert_int_equal(server_requests(&f->srv), 4);
}

static void test_unusable_cache_dir_still_works(void **state)
{
    struct fixture *f = *state;
    char jwt[512];
    FILE *fp = fopen(f->cache, "w");

    assert_non_null(fp);
    fclose(fp);
    make_jwt(3600, "nc", jwt, sizeof(jwt));
    reply_with(&f->srv, jwt);
    assert_true(get(f, NULL));
    assert_string_equal(f->token, jwt);
    assert_non_null(strstr(f->log, "4 token: cannot cache the token: "));
    assert_true(get(f, NULL));
    assert_int_equal(server_requests(&f->srv), 2);
}

static void test_no_time_left(void **state)
{
    struct fixture *f = *state;

    reply_with(&f->srv, "t");
    f->err[0] = '\0';
    assert_false(
        token_get(&f->cfg, monotonic_ms() - 1, &f->sink, NULL, &f->token, f->err, sizeof(f->err)));
    assert_null(f->token);
    assert_int_equal(server_requests(&f->srv), 0);
}

/* ---- a lock holder that never finishes, a renewal that times out ---- */

/* Take the token's lock as another process would (flock on its own open file description,
 * which conflicts with the module's even in this process); returns the descriptor. */
static int hold_token_lock(struct fixture *f)
{
    char path[PATH_MAX + 300];
    size_t len;
    int fd;

    entry_path(f, path, sizeof(path));
    len = strlen(path);
    memcpy(path + len - strlen(".cache"), ".lock", sizeof(".lock"));
    fd = open(path, O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    return fd;
}

/* token_get with budget_ms to spare; *elapsed_ms says how long it took. */
static bool get_within(struct fixture *f, long budget_ms, long *elapsed_ms)
{
    int64_t start = monotonic_ms();
    bool ok;

    token_free(f->token);
    f->token = NULL;
    strcpy(f->err, "untouched");
    f->log[0] = '\0';
    ok = token_get(&f->cfg, start + budget_ms, &f->sink, NULL, &f->token, f->err, sizeof(f->err));
    *elapsed_ms = (long)(monotonic_ms() - start);
    return ok;
}

/* A stopped lock holder (a user can kill -STOP their own su while it renews) costs nothing
 * while the cached token is still valid: one try of the lock, then the cached token. */
static void test_busy_lock_with_valid_token_does_not_wait(void **state)
{
    struct fixture *f = *state;
    char jwt[512];
    long ms;
    int held;

    make_jwt(3600, "held", jwt, sizeof(jwt));
    reply_with(&f->srv, jwt);
    assert_true(get(f, NULL));
    entry_set_expiry(f, 300, -1); /* inside token_renew_before: would be renewed */
    held = hold_token_lock(f);
    for (int i = 0; i < 3; i++) {
        assert_true(get_within(f, 6000, &ms));
        assert_string_equal(f->token, jwt);
        if (ms > 2000)
            fail_msg("waited %ld ms of 6000 for a lock it did not need", ms);
    }
    assert_int_equal(server_requests(&f->srv), 1);
    assert_non_null(strstr(f->log, "token: renewal left to the lock holder"));
    close(held);
    /* Lock free again: the next login renews. */
    assert_true(get(f, NULL));
    assert_int_equal(server_requests(&f->srv), 2);
}

/* Without a usable token the login waits a third of its budget at most, then fetches a token
 * of its own: a stopped holder (a user can stop their own su) costs that share, never the
 * login. Once the holder has had the lock longer than its lease (timeout), not even that. */
static void test_busy_lock_without_token_waits_a_third(void **state)
{
    struct fixture *f = *state;
    char jwt[512];
    long ms;
    int held;

    make_jwt(3600, "gone", jwt, sizeof(jwt));
    reply_with(&f->srv, jwt);
    assert_true(get(f, NULL));
    entry_set_expiry(f, -10, -1);
    f->cfg.timeout_ms = 60000; /* the holder's lease is far from over */
    held = hold_token_lock(f);
    assert_int_equal(futimens(held, NULL), 0); /* stamped, as a holder does */
    assert_true(get_within(f, 9000, &ms));
    assert_string_equal(f->token, jwt);
    assert_non_null(strstr(f->log, "token: fetching without the lock (timed out waiting"));
    /* It did wait (the holder may have been about to finish), a third of the budget. */
    if (ms < 2500 || ms > 6000)
        fail_msg("went on after %ld ms of 9000 (expected a third)", ms);
    assert_int_equal(server_requests(&f->srv), 2);

    /* The holder has had it longer than timeout: its lease is over, no wait. */
    entry_set_expiry(f, -10, -1);
    f->cfg.timeout_ms = 300;
    usleep(400 * 1000);
    assert_true(get_within(f, 9000, &ms));
    assert_non_null(strstr(f->log, "lease of 300 ms is over"));
    if (ms > 2500)
        fail_msg("waited %ld ms of 9000 for a lock whose lease was over", ms);
    assert_int_equal(server_requests(&f->srv), 3);
    close(held);
}

/* A slow token service: renewal gets a share of the budget, then the still-valid token is
 * used with time left for the quota request. */
static void test_renewal_timeout_keeps_valid_token(void **state)
{
    struct fixture *f = *state;
    char jwt[512];
    long ms;

    make_jwt(3600, "slow", jwt, sizeof(jwt));
    reply_with(&f->srv, jwt);
    assert_true(get(f, NULL));
    entry_set_expiry(f, 300, -1);
    pthread_mutex_lock(&f->srv.lock);
    f->srv.delay_ms = 3000;
    pthread_mutex_unlock(&f->srv.lock);
    assert_true(get_within(f, 4000, &ms));
    assert_string_equal(f->token, jwt);
    assert_non_null(strstr(f->log, "4 token: renewal failed (token service: timeout after "));
    if (ms > 2800)
        fail_msg("renewal took %ld ms of 4000: no time left for the quota request", ms);
    /* The log above shows the renewal was tried and timed out; whether its request reached
     * the server before the helper was killed depends on the machine (ASan builds start
     * the helper slowly). */
    if (server_requests(&f->srv) < 1 || server_requests(&f->srv) > 2)
        fail_msg("%ld token requests (expected the first and at most one renewal)",
                 (long)server_requests(&f->srv));
    assert_no_secrets(f);
}

/* ---- single flight ---- */

struct racer {
    struct fixture *f;
    pthread_barrier_t *start;
    bool ok;
    char *token;
    char err[512];
};

static void *race(void *arg)
{
    struct racer *r = arg;
    pthread_barrier_wait(r->start);
    r->ok = token_get(&r->f->cfg, monotonic_ms() + 5000, &r->f->sink, NULL, &r->token, r->err,
                      sizeof(r->err));
    return NULL;
}

static void test_burst_makes_one_request(void **state)
{
    struct fixture *f = *state;
    enum { N = 12 };
    struct racer racers[N];
    pthread_t threads[N];
    pthread_barrier_t start;
    char jwt[512];

    make_jwt(3600, "burst", jwt, sizeof(jwt));
    reply_with(&f->srv, jwt);
    f->srv.delay_ms = 200;
    pthread_barrier_init(&start, NULL, N);
    for (int i = 0; i < N; i++) {
        racers[i] = (struct racer){.f = f, .start = &start};
        assert_int_equal(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(threads[i], NULL);
        assert_true(racers[i].ok);
        assert_string_equal(racers[i].token, jwt);
        token_free(racers[i].token);
    }
    pthread_barrier_destroy(&start);
    assert_int_equal(server_requests(&f->srv), 1);
    assert_non_null(strstr(f->log, "token: another login fetched it"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_token_file_mode),
        T(test_first_token_is_fetched_and_cached),
        T(test_aksk_request_headers),
        T(test_password_request_headers),
        T(test_auth_url_and_trailing_slash),
        T(test_reuse_until_renew_window),
        T(test_renew_before_follows_config),
        T(test_renewal_failure_keeps_valid_token),
        T(test_expired_token_and_service_down),
        T(test_no_cache_and_service_down),
        T(test_suspended_and_refused),
        T(test_cluster_choice),
        T(test_rejected_token_is_replaced_once),
        T(test_rejected_and_service_down),
        T(test_credentials_change_renews),
        T(test_bad_credentials_file),
        T(test_ttl_when_no_expire_time),
        T(test_corrupt_entry_is_replaced),
        T(test_unusable_cache_dir_still_works),
        T(test_no_time_left),
        T(test_burst_makes_one_request),
        T(test_busy_lock_with_valid_token_does_not_wait),
        T(test_busy_lock_without_token_waits_a_third),
        T(test_renewal_timeout_keeps_valid_token),
    };
#undef T
    return unit_exit_code(cmocka_run_group_tests_name("token_get", tests, NULL, NULL));
}
