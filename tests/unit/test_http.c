/* Unit tests for common/http.c, against small HTTP servers on 127.0.0.1 run in threads. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, pipe2, strcasestr, unshare */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "deadline.h"
#include "http.h"
#include "unit_support.h"

#define TOKEN_HEADER "token: s3cr3t-t0ken-value"
#define JSON_BODY "{\"code\":\"0\",\"msg\":\"success\",\"data\":[]}"
#define BIG_BODY_LEN (100 * 1024)
#define SLACK_MS 700
/* How long a test server waits for a client before giving up on it. */
#define SERVER_IO_MS 3000

enum reply_mode {
    REPLY_SILENT,      /* accept, read, never answer */
    REPLY_TRICKLE,     /* headers, then one body byte every 100 ms */
    REPLY_BODY,        /* 200 with `body` and a Content-Length */
    REPLY_BODY_CLOSE,  /* 200 with `body`, no Content-Length: ends when the server closes */
    REPLY_BIG_LENGTH,  /* 200 with a 100 KiB body and its Content-Length */
    REPLY_BIG_CLOSE,   /* 200 with a 100 KiB body, no Content-Length */
    REPLY_BIG_PROMISE, /* headers announcing 100 KiB, then nothing */
    REPLY_REDIRECT,    /* 302 to `location` */
};

struct test_server {
    int listen_fd;
    int wake[2]; /* a byte on wake[1] stops the thread */
    int port;
    pthread_t thread;
    pthread_mutex_t lock;
    /* under lock */
    enum reply_mode mode;
    char body[256];
    char location[128];
    char request[16384]; /* the first bytes received */
    size_t request_len;  /* all bytes received */
    int accepted;
    int finished;
};

struct fixture {
    struct test_server api;
    struct test_server other; /* a proxy or redirect target that must never be contacted */
};

static bool stop_requested(struct test_server *srv)
{
    struct pollfd pfd = {.fd = srv->wake[0], .events = POLLIN};

    return poll(&pfd, 1, 0) > 0;
}

/* Wait up to ms for fd to become readable; false when stopping or on timeout. */
static bool wait_readable(struct test_server *srv, int fd, int ms)
{
    struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN}, {.fd = srv->wake[0], .events = POLLIN}};

    if (poll(pfd, 2, ms) <= 0 || (pfd[1].revents & POLLIN))
        return false;
    return true;
}

static bool send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

static size_t content_length(const char *head)
{
    const char *p = strcasestr(head, "\r\nContent-Length:");

    return p != NULL ? strtoul(p + 17, NULL, 10) : 0;
}

/* Read a request (head and Content-Length body); the first bytes are kept in srv->request.
 * Stops early on bytes that are not HTTP (a TLS ClientHello) so the client gets a reply at
 * once. */
static void read_request(struct test_server *srv, int conn)
{
    char buf[sizeof(srv->request)];
    char scratch[65536];
    size_t len = 0, total = 0, want = SIZE_MAX;
    const char *end;

    while (total < want && wait_readable(srv, conn, SERVER_IO_MS)) {
        bool keep = len < sizeof(buf) - 1;
        ssize_t n = keep ? recv(conn, buf + len, sizeof(buf) - 1 - len, 0)
                         : recv(conn, scratch, sizeof(scratch), 0);

        if (n <= 0)
            break;
        total += (size_t)n;
        if (!keep)
            continue;
        len += (size_t)n;
        buf[len] = '\0';
        if (buf[0] < 'A' || buf[0] > 'Z')
            break;
        end = strstr(buf, "\r\n\r\n");
        if (end != NULL && want == SIZE_MAX)
            want = (size_t)(end + 4 - buf) + content_length(buf);
    }
    buf[len] = '\0';
    pthread_mutex_lock(&srv->lock);
    memcpy(srv->request, buf, len + 1);
    srv->request_len = total;
    pthread_mutex_unlock(&srv->lock);
}

static void reply_big(int conn, bool with_length)
{
    char head[256];
    char *body = malloc(BIG_BODY_LEN);

    if (body == NULL)
        return;
    memset(body, 'x', BIG_BODY_LEN);
    if (with_length)
        snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", BIG_BODY_LEN);
    else
        snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
    if (send_all(conn, head, strlen(head)))
        send_all(conn, body, BIG_BODY_LEN);
    free(body);
}

static void serve(struct test_server *srv, int conn)
{
    char out[1024];
    enum reply_mode mode;

    read_request(srv, conn);
    pthread_mutex_lock(&srv->lock);
    mode = srv->mode;
    switch (mode) {
    case REPLY_BODY:
        snprintf(
            out, sizeof(out),
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
            strlen(srv->body), srv->body);
        break;
    case REPLY_BODY_CLOSE:
        snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n%s", srv->body);
        break;
    case REPLY_REDIRECT:
        snprintf(out, sizeof(out),
                 "HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n", srv->location);
        break;
    case REPLY_TRICKLE:
        snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        break;
    case REPLY_BIG_PROMISE:
        snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", BIG_BODY_LEN);
        break;
    default:
        out[0] = '\0';
        break;
    }
    pthread_mutex_unlock(&srv->lock);

    switch (mode) {
    case REPLY_SILENT:
    case REPLY_BIG_PROMISE:
        if (!send_all(conn, out, strlen(out)))
            break;
        /* Hold the connection until the client gives up and closes it. */
        while (wait_readable(srv, conn, SERVER_IO_MS)) {
            char sink[512];

            if (recv(conn, sink, sizeof(sink), 0) <= 0)
                break;
        }
        break;
    case REPLY_TRICKLE:
        if (!send_all(conn, out, strlen(out)))
            break;
        for (int i = 0; i < 1000 && !stop_requested(srv); i++) {
            struct pollfd pfd = {.fd = srv->wake[0], .events = POLLIN};

            if (poll(&pfd, 1, 100) != 0 || !send_all(conn, "x", 1))
                break;
        }
        break;
    case REPLY_BIG_LENGTH:
    case REPLY_BIG_CLOSE:
        reply_big(conn, mode == REPLY_BIG_LENGTH);
        break;
    default:
        send_all(conn, out, strlen(out));
        break;
    }
}

static void *server_main(void *arg)
{
    struct test_server *srv = arg;

    for (;;) {
        struct pollfd pfd[2] = {{.fd = srv->listen_fd, .events = POLLIN},
                                {.fd = srv->wake[0], .events = POLLIN}};
        int conn;

        if (poll(pfd, 2, -1) < 0 && errno != EINTR)
            break;
        if (pfd[1].revents & POLLIN)
            break;
        if (!(pfd[0].revents & POLLIN))
            continue;
        conn = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0)
            continue;
        pthread_mutex_lock(&srv->lock);
        srv->accepted++;
        pthread_mutex_unlock(&srv->lock);
        serve(srv, conn);
        close(conn);
        pthread_mutex_lock(&srv->lock);
        srv->finished++;
        pthread_mutex_unlock(&srv->lock);
    }
    return NULL;
}

static void server_start(struct test_server *srv)
{
    memset(srv, 0, sizeof(*srv));
    pthread_mutex_init(&srv->lock, NULL);
    srv->listen_fd = unit_loopback_listener(16, &srv->port);
    assert_int_equal(pipe2(srv->wake, O_CLOEXEC), 0);
    srv->mode = REPLY_SILENT;
    assert_int_equal(pthread_create(&srv->thread, NULL, server_main, srv), 0);
}

static void server_stop(struct test_server *srv)
{
    assert_int_equal(write(srv->wake[1], "x", 1), 1);
    pthread_join(srv->thread, NULL);
    close(srv->listen_fd);
    close(srv->wake[0]);
    close(srv->wake[1]);
    pthread_mutex_destroy(&srv->lock);
}

static void server_set(struct test_server *srv, enum reply_mode mode, const char *body)
{
    pthread_mutex_lock(&srv->lock);
    srv->mode = mode;
    snprintf(srv->body, sizeof(srv->body), "%s", body != NULL ? body : "");
    pthread_mutex_unlock(&srv->lock);
}

static int server_accepted(struct test_server *srv)
{
    int n;

    pthread_mutex_lock(&srv->lock);
    n = srv->accepted;
    pthread_mutex_unlock(&srv->lock);
    return n;
}

/* Wait (bounded) until the server has closed every connection it accepted. */
static void server_wait_idle(struct test_server *srv)
{
    int64_t until = monotonic_ms() + 2000;

    for (;;) {
        bool idle;

        pthread_mutex_lock(&srv->lock);
        idle = srv->finished == srv->accepted;
        pthread_mutex_unlock(&srv->lock);
        if (idle || monotonic_ms() > until)
            break;
        usleep(2000);
    }
}

/* Copy of what the server received, for assertions. */
static char *server_request(struct test_server *srv)
{
    char *copy;

    pthread_mutex_lock(&srv->lock);
    copy = strdup(srv->request);
    pthread_mutex_unlock(&srv->lock);
    assert_non_null(copy);
    return copy;
}

static char *url_for(const struct test_server *srv, const char *scheme, const char *path)
{
    static char url[256];

    snprintf(url, sizeof(url), "%s://127.0.0.1:%d%s", scheme, srv->port, path);
    return url;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    if (fx == NULL)
        return -1;
    server_start(&fx->api);
    server_start(&fx->other);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    server_stop(&fx->api);
    server_stop(&fx->other);
    free(fx);
    return 0;
}

/* The helper built with this tree (CMake sets SCNET_TEST_HELPER). */
static const char *helper_path(void)
{
    const char *path = getenv("SCNET_TEST_HELPER");

    assert_non_null(path);
    return path;
}

static const char *const default_headers[] = {TOKEN_HEADER, "Content-Type: application/json",
                                              "X-Scnet-Test: yes", NULL};

/* timeout_ms is scaled by the test time factor (slower under an emulator). */
static struct http_request get_request(const char *url, long timeout_ms)
{
    struct http_request req = {
        .method = "GET",
        .url = url,
        .headers = default_headers,
        .timeout_ms = timeout_ms * unit_time_factor(),
        .helper = helper_path(),
    };
    return req;
}

static const char *test_tmp_dir(void)
{
    static char dir[512];

    assert_non_null(unit_mkdtemp(dir, sizeof(dir), "test_http.XXXXXX"));
    return dir;
}

/* No child of this process is left, running or zombie: every helper was reaped. */
static void assert_no_child_left(void)
{
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void test_missing_helper_is_unavailable(void **state)
{
    struct http_response resp = {0};
    char err[256] = "";
    int before = unit_count_open_fds();
    struct http_request req = {.method = "GET",
                               .url = "https://127.0.0.1:9/",
                               .timeout_ms = 1000,
                               .helper = "/nonexistent/scnet-quota-fetch"};

    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_UNAVAILABLE);
    assert_non_null(strstr(err, "/nonexistent/scnet-quota-fetch"));
    assert_non_null(strstr(err, "directory /nonexistent: no such directory"));
    assert_null(resp.body);
    req.helper = NULL;
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_UNAVAILABLE);
    assert_non_null(strstr(err, "helper"));
    assert_int_equal(unit_count_open_fds(), before);
    assert_no_child_left();
}

/* libcurl runs in the helper only, which gets none of this process's environment: an
 * SSLKEYLOGFILE here (libcurl opens it for appending when it initialises OpenSSL) is not
 * seen. */
static void test_libcurl_stays_out_and_environment_stays_here(void **state)
{
    struct fixture *fx = *state;
    struct http_response resp = {0};
    char err[256];
    char keylog[600];
    struct stat st;
    const char *dir = test_tmp_dir();
    void *probe;
    int fds_before;

    snprintf(keylog, sizeof(keylog), "%s/keylog", dir);
    assert_int_equal(setenv("SSLKEYLOGFILE", keylog, 1), 0);
    fds_before = unit_count_open_fds();

    server_set(&fx->api, REPLY_BODY, JSON_BODY);
    struct http_request req = get_request(url_for(&fx->api, "https", "/"), 2000);
    /* https to a plain listener: the TLS attempt initialises OpenSSL and fails. */
    enum http_result rc = http_perform(&req, &resp, err, sizeof(err));
    assert_int_not_equal(rc, HTTP_OK);
    assert_int_not_equal(rc, HTTP_UNAVAILABLE);
    http_response_free(&resp);

    probe = dlopen("libcurl.so.4", RTLD_NOW | RTLD_NOLOAD);
    assert_null(probe);
    assert_int_equal(stat(keylog, &st), -1);
    assert_int_equal(errno, ENOENT);
    assert_string_equal(getenv("SSLKEYLOGFILE"), keylog);
    server_wait_idle(&fx->api);
    assert_int_equal(unit_count_open_fds(), fds_before);
    assert_no_child_left();

    unsetenv("SSLKEYLOGFILE");
    rmdir(dir);
}

static void test_ok_json_body_and_request_headers(void **state)
{
    struct fixture *fx = *state;
    struct http_response resp = {0};
    char err[256] = "junk";
    char proxy[64];
    char *seen;

    server_set(&fx->api, REPLY_BODY, JSON_BODY);
    snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", fx->other.port);
    setenv("http_proxy", proxy, 1);
    setenv("https_proxy", proxy, 1);
    setenv("HTTPS_PROXY", proxy, 1);
    setenv("ALL_PROXY", proxy, 1);
    setenv("all_proxy", proxy, 1);

    struct http_request req = get_request(url_for(&fx->api, "http", "/hpc/q/alice"), 2000);
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_OK);
    assert_string_equal(err, "");
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.body_len, strlen(JSON_BODY));
    assert_memory_equal(resp.body, JSON_BODY, resp.body_len + 1);

    /* The environment is the caller's again. */
    assert_string_equal(getenv("http_proxy"), proxy);
    assert_string_equal(getenv("ALL_PROXY"), proxy);

    seen = server_request(&fx->api);
    /* origin-form request line: it came directly, not through a proxy */
    assert_true(strncmp(seen, "GET /hpc/q/alice HTTP/1.1\r\n", 27) == 0);
    assert_non_null(strstr(seen, "\r\n" TOKEN_HEADER "\r\n"));
    assert_non_null(strstr(seen, "\r\nContent-Type: application/json\r\n"));
    assert_non_null(strstr(seen, "\r\nX-Scnet-Test: yes\r\n"));
    assert_non_null(strstr(seen, "\r\nUser-Agent: pam_scnet_quota/"));
    assert_null(strcasestr(seen, "Proxy"));
    assert_null(strcasestr(seen, "Expect:"));
    free(seen);
    assert_int_equal(server_accepted(&fx->other), 0);

    unsetenv("http_proxy");
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("ALL_PROXY");
    unsetenv("all_proxy");
    http_response_free(&resp);
    assert_null(resp.body);
}

static void test_post_sends_body_without_expect(void **state)
{
    struct fixture *fx = *state;
    struct http_response resp = {0};
    char err[256];
    char *seen;
    const char *body = "{\"accessKey\":\"ak\"}";

    server_set(&fx->api, REPLY_BODY, "{}");
    struct http_request req = get_request(url_for(&fx->api, "http", "/tokens"), 2000);
    req.method = "POST";
    req.body = body;
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_OK);
    assert_string_equal(resp.body, "{}");
    seen = server_request(&fx->api);
    assert_true(strncmp(seen, "POST /tokens HTTP/1.1\r\n", 23) == 0);
    assert_non_null(strstr(seen, "\r\nContent-Length: 18\r\n"));
    assert_null(strcasestr(seen, "Expect:"));
    assert_non_null(strstr(seen, "\r\n\r\n{\"accessKey\":\"ak\"}"));
    free(seen);
    http_response_free(&resp);
}

/* libcurl asks for "100-continue" on large bodies (1 MiB in 7.88, 1 KiB in older releases),
 * which costs a round trip or a one-second wait. */
static void test_large_post_without_expect(void **state)
{
    struct fixture *fx = *state;
    struct http_response resp = {0};
    char err[256];
    char *seen;
    size_t body_len = 1100 * 1024, total;
    char *body = malloc(body_len + 1);

    assert_non_null(body);
    memset(body, 'b', body_len);
    body[body_len] = '\0';
    server_set(&fx->api, REPLY_BODY, "{}");
    struct http_request req = get_request(url_for(&fx->api, "http", "/big"), 3000);
    req.method = "POST";
    req.body = body;
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_OK);
    /* No Expect header, so no wait for a "100 Continue" (a time bound here flaked under
     * rpmbuild's %check on a loaded machine and proved nothing the header does not). */
    seen = server_request(&fx->api);
    assert_null(strcasestr(seen, "Expect:"));
    assert_non_null(strstr(seen, "\r\nContent-Length: 1126400\r\n"));
    free(seen);
    pthread_mutex_lock(&fx->api.lock);
    total = fx->api.request_len;
    pthread_mutex_unlock(&fx->api.lock);
    assert_true(total > body_len);
    http_response_free(&resp);
    free(body);
}

static void test_body_until_close_and_empty_body(void **state)
{
    struct fixture *fx = *state;
    struct http_response resp = {0};
    char err[256];

    server_set(&fx->api, REPLY_BODY_CLOSE, "streamed");
    struct http_request req = get_request(url_for(&fx->api, "http", "/"), 2000);
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_OK);
    assert_string_equal(resp.body, "streamed");
    http_response_free(&resp);

    server_set(&fx->api, REPLY_BODY, "");
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_OK);
    assert_int_equal(resp.status, 200);
    assert_non_null(resp.body);
    assert_string_equal(resp.body, "");
    assert_int_equal(resp.body_len, 0);
    http_response_free(&resp);
}

static void expect_timeout(struct fixture *fx, enum reply_mode mode)
{
    struct http_response resp = {0};
    char err[256], want[64];
    int64_t start, elapsed;

    server_set(&fx->api, mode, NULL);
    struct http_request req = get_request(url_for(&fx->api, "http", "/"), 300);
    start = monotonic_ms();
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_TIMEOUT);
    elapsed = monotonic_ms() - start;
    assert_true(elapsed >= req.timeout_ms - 50);
    assert_true(elapsed < req.timeout_ms + SLACK_MS * unit_time_factor());
    snprintf(want, sizeof(want), "timeout after %ld ms", req.timeout_ms);
    assert_string_equal(err, want);
    assert_null(resp.body);
    assert_int_equal(server_accepted(&fx->api), 1);
    http_response_free(&resp);
}

/* The helper is killed at the deadline and reaped; nothing of it stays in this process. */
static void test_helper_killed_at_deadline(void **state)
{
    struct fixture *fx = *state;
    int before = unit_count_open_fds();

    expect_timeout(fx, REPLY_SILENT);
    assert_no_child_left();
    server_wait_idle(&fx->api);
    assert_int_equal(unit_count_open_fds(), before);
}

static void test_timeout_when_server_never_answers(void **state)
{
    expect_timeout(*state, REPLY_SILENT);
}

static void test_timeout_when_server_trickles(void **state)
{
    expect_timeout(*state, REPLY_TRICKLE);
}

static void test_zero_or_negative_timeout_sends_nothing(void **state)
{
    struct fixture *fx = *state;
    struct http_response resp = {0};
    char err[256];

    /* libcurl would read 0 as "no timeout at all" */
    struct http_request req = get_request(url_for(&fx->api, "http", "/"), 0);
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_TIMEOUT);
    req.timeout_ms = -5;
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_TIMEOUT);
    assert_int_equal(server_accepted(&fx->api), 0);
}

static void test_too_large_with_content_length(void **state)
{
    struct fixture *fx = *state;
    struct http_response resp = {0};
    char err[256];

    server_set(&fx->api, REPLY_BIG_LENGTH, NULL);
    struct http_request req = get_request(url_for(&fx->api, "http", "/"), 2000);
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_TOO_LARGE);
    assert_null(resp.body);
    assert_non_null(strstr(err, "65536"));
}

/* The announced length alone is refused: no waiting for a body that would be discarded. */
static void test_too_large_announced_fails_at_once(void **state)
{
    struct fixture *fx = *state;
    struct http_response resp = {0};
    char err[256];
    int64_t start;

    server_set(&fx->api, REPLY_BIG_PROMISE, NULL);
    /* A client that waited for the body would wait until the server gives up (SERVER_IO_MS,
     * 3 s) or the 10 s timeout; refusing on the header takes a round trip. */
    struct http_request req = get_request(url_for(&fx->api, "http", "/"), 10000);
    start = monotonic_ms();
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_TOO_LARGE);
    assert_true(monotonic_ms() - start < 2500 * unit_time_factor());
    assert_null(resp.body);
}

static void test_too_large_without_content_length(void **state)
{
    struct fixture *fx = *state;
    struct http_response resp = {0};
    char err[256];

    server_set(&fx->api, REPLY_BIG_CLOSE, NULL);
    struct http_request req = get_request(url_for(&fx->api, "http", "/"), 2000);
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_TOO_LARGE);
    assert_null(resp.body);
}

static void test_max_body_is_exact(void **state)
{
    struct fixture *fx = *state;
    struct http_response resp = {0};
    char err[256];

    struct http_request req = get_request(url_for(&fx->api, "http", "/"), 2000);
    req.max_body = 10;
    server_set(&fx->api, REPLY_BODY_CLOSE, "0123456789");
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_OK);
    assert_string_equal(resp.body, "0123456789");
    http_response_free(&resp);

    server_set(&fx->api, REPLY_BODY_CLOSE, "0123456789A");
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_TOO_LARGE);
    server_set(&fx->api, REPLY_BODY, "0123456789A");
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_TOO_LARGE);
    assert_null(resp.body);
}

static void test_redirect_is_returned_not_followed(void **state)
{
    struct fixture *fx = *state;
    struct http_response resp = {0};
    char err[256];

    pthread_mutex_lock(&fx->api.lock);
    snprintf(fx->api.location, sizeof(fx->api.location), "http://127.0.0.1:%d/elsewhere",
             fx->other.port);
    pthread_mutex_unlock(&fx->api.lock);
    server_set(&fx->api, REPLY_REDIRECT, NULL);
    struct http_request req = get_request(url_for(&fx->api, "http", "/"), 2000);
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_OK);
    assert_int_equal(resp.status, 302);
    assert_string_equal(resp.body, "");
    assert_int_equal(server_accepted(&fx->other), 0);
    http_response_free(&resp);
}

static void test_closed_port_is_connect_error(void **state)
{
    struct http_response resp = {0};
    char err[256];
    char url[64];
    int port;
    int fd = unit_loopback_socket(&port);

    close(fd); /* bound, never listening, now closed: connections are refused */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
    struct http_request req = get_request(url, 2000);
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_CONNECT);
    assert_true(err[0] != '\0');
    assert_null(strstr(err, "s3cr3t"));
    assert_int_equal(resp.status, 0);
}

static void test_https_to_plain_listener_fails(void **state)
{
    struct fixture *fx = *state;
    struct http_response resp = {0};
    char err[256];
    enum http_result rc;

    server_set(&fx->api, REPLY_BODY, JSON_BODY);
    struct http_request req = get_request(url_for(&fx->api, "https", "/"), 2000);
    rc = http_perform(&req, &resp, err, sizeof(err));
    assert_true(rc == HTTP_TLS || rc == HTTP_FAILED);
    assert_null(resp.body);
    assert_null(strstr(err, "s3cr3t"));
    for (const char *p = err; *p != '\0'; p++)
        assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
    assert_int_equal(server_accepted(&fx->api), 1);
}

/* The CA file is opened and checked on this side (the helper reads it through that
 * descriptor): one that is missing is a local fault, no helper runs and nothing is sent. */
static void test_https_with_missing_cafile_is_unavailable(void **state)
{
    struct fixture *fx = *state;
    struct http_response resp = {0};
    struct http_client *client = NULL;
    char err[256];

    server_set(&fx->api, REPLY_BODY, JSON_BODY);
    struct http_request req = get_request(url_for(&fx->api, "https", "/"), 2000);
    req.cafile = "/nonexistent/ca.pem";
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_UNAVAILABLE);
    assert_string_equal(err,
                        "cafile /nonexistent/ca.pem: directory /nonexistent: no such directory");
    assert_false(http_client_start(helper_path(), req.cafile, &client, err, sizeof(err)));
    assert_null(client);
    assert_int_equal(server_accepted(&fx->api), 0);
    assert_no_child_left();
}

static void test_other_protocols_refused(void **state)
{
    struct fixture *fx = *state;
    struct http_response resp = {0};
    char err[256];

    struct http_request req = get_request(url_for(&fx->api, "ftp", "/"), 2000);
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_FAILED);
    req.url = url_for(&fx->api, "dict", "/");
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_FAILED);
    req.url = url_for(&fx->api, "gopher", "/");
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_FAILED);
    assert_int_equal(server_accepted(&fx->api), 0);
}

static void test_unsupported_method_refused(void **state)
{
    struct fixture *fx = *state;
    struct http_response resp = {0};
    char err[256];

    struct http_request req = get_request(url_for(&fx->api, "http", "/"), 2000);
    req.method = "DELETE";
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_FAILED);
    assert_int_equal(server_accepted(&fx->api), 0);
}

static void test_no_descriptor_leaked(void **state)
{
    struct fixture *fx = *state;
    struct http_response resp = {0};
    char err[256];
    int before, after;

    struct http_request req = get_request(url_for(&fx->api, "http", "/"), 2000);
    before = unit_count_open_fds();
    server_set(&fx->api, REPLY_BODY, JSON_BODY);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_OK);
        http_response_free(&resp);
    }
    server_set(&fx->api, REPLY_BIG_CLOSE, NULL);
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_TOO_LARGE);
    req.url = url_for(&fx->api, "https", "/");
    server_set(&fx->api, REPLY_BODY, JSON_BODY);
    assert_int_not_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_OK);
    server_wait_idle(&fx->api);
    after = unit_count_open_fds();
    assert_int_equal(after, before);
}

/* SIGPIPE is held back during the transfer only: the caller's mask comes back as it was. */
static void test_signal_mask_restored(void **state)
{
    struct fixture *fx = *state;
    struct http_response resp = {0};
    char err[256];
    sigset_t pipe_set, mask;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    server_set(&fx->api, REPLY_BODY, JSON_BODY);
    struct http_request req = get_request(url_for(&fx->api, "http", "/"), 2000);

    pthread_sigmask(SIG_UNBLOCK, &pipe_set, NULL);
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_OK);
    http_response_free(&resp);
    pthread_sigmask(SIG_BLOCK, NULL, &mask);
    assert_int_equal(sigismember(&mask, SIGPIPE), 0);

    pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_OK);
    http_response_free(&resp);
    pthread_sigmask(SIG_BLOCK, NULL, &mask);
    assert_int_equal(sigismember(&mask, SIGPIPE), 1);
    pthread_sigmask(SIG_UNBLOCK, &pipe_set, NULL);
}

/* ---- refused by a security policy: the reason points at SELinux ---- */

#define SELINUX_HINT "(permission denied: SELinux? see pam_scnet_quota(8), SELINUX)"

/* exec refused with EACCES, as when the policy denies sshd_t the helper (a boolean off, a
 * wrong label); a file without an execute bit gives the same errno, even to root. */
static void test_helper_exec_denied_points_at_selinux(void **state)
{
    char dir[1024], path[PATH_MAX], err[512] = "";
    struct http_response resp;
    struct http_request req = get_request("https://127.0.0.1:1/", 2000);
    int n;

    (void)state;
    memset(&resp, 0, sizeof(resp));
    assert_non_null(unit_mkdtemp(dir, sizeof(dir), "scnet-http-XXXXXX"));
    n = snprintf(path, sizeof(path), "%s/scnet-quota-fetch", dir);
    assert_true(n > 0 && (size_t)n < sizeof(path));
    unit_write_file(path, "#!/bin/sh\n", strlen("#!/bin/sh\n"), 0644);
    req.helper = path;
    assert_int_equal(http_perform(&req, &resp, err, sizeof(err)), HTTP_UNAVAILABLE);
    http_response_free(&resp);
    assert_int_equal(unit_remove_tree(dir), 0);
    assert_non_null(strstr(err, "Permission denied " SELINUX_HINT));
}

/* id_map = "0 <id> 1": this process is root inside its new user namespace, so that `ip`,
 * run through system(), keeps CAP_NET_ADMIN over the new network namespace. */
static bool write_id_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    bool ok;

    if (fd < 0)
        return false;
    ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
    close(fd);
    return ok;
}

/* Exit codes of the child when it cannot set its namespace up. */
#define NETNS_REFUSED 77  /* unshare refused: a container without CAP_SYS_ADMIN */
#define NETNS_NO_ROUTE 78 /* `ip` missing or failed: iproute2, which CI installs */

/* A private network namespace in which 127.0.0.9 has a "prohibit" route: connect() to it
 * fails with EACCES, as it does under an SELinux name_connect denial. Nothing leaves the
 * namespace, which holds only lo. 0, or why not (NETNS_REFUSED, NETNS_NO_ROUTE). */
static int enter_prohibiting_netns(void)
{
    char map[64];
    uid_t uid = geteuid();
    gid_t gid = getegid();

    if (uid == 0) {
        if (unshare(CLONE_NEWNET) != 0)
            return NETNS_REFUSED;
    } else {
        if (unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0)
            return NETNS_REFUSED;
        snprintf(map, sizeof(map), "0 %lu 1", (unsigned long)uid);
        if (!write_id_file("/proc/self/setgroups", "deny") ||
            !write_id_file("/proc/self/uid_map", map))
            return NETNS_REFUSED;
        snprintf(map, sizeof(map), "0 %lu 1", (unsigned long)gid);
        if (!write_id_file("/proc/self/gid_map", map))
            return NETNS_REFUSED;
    }
    if (system("ip link set lo up && ip route add prohibit 127.0.0.9/32 table local") != 0)
        return NETNS_NO_ROUTE;
    return 0;
}

/* The helper's connect() is refused: its reason, carried back over the pipe, has the hint.
 * In a child: unshare needs a single-threaded process, and the namespace ends with it. */
static void test_connect_denied_points_at_selinux(void **state)
{
    char err[512] = "";
    int pipefd[2], status;
    ssize_t n;
    pid_t pid;

    (void)state;
    assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char reason[512] = "";
        struct http_response resp;
        struct http_request req = get_request("https://127.0.0.9:443/", 2000);
        enum http_result rc;

        int setup_failed;

        memset(&resp, 0, sizeof(resp));
        setup_failed = enter_prohibiting_netns();
        if (setup_failed != 0)
            _exit(setup_failed);
        rc = http_perform(&req, &resp, reason, sizeof(reason));
        http_response_free(&resp);
        if (write(pipefd[1], reason, strlen(reason)) < 0)
            _exit(2);
        _exit(rc == HTTP_CONNECT ? 0 : 1);
    }
    close(pipefd[1]);
    n = read(pipefd[0], err, sizeof(err) - 1);
    close(pipefd[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == NETNS_REFUSED)
        unit_skip(false, "no network namespace here (unshare refused: no CAP_SYS_ADMIN)");
    if (WEXITSTATUS(status) == NETNS_NO_ROUTE)
        unit_skip(true, "`ip` could not add the prohibit route (iproute2 missing?)");
    err[n > 0 ? n : 0] = '\0';
    print_message("reason: %s\n", err);
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_non_null(strstr(err, "Permission denied " SELINUX_HINT));
}

static void test_response_free_on_zeroed(void **state)
{
    struct http_response resp = {0};

    http_response_free(&resp);
    http_response_free(NULL);
    assert_null(resp.body);
}

/* Copy the file from to to, mode 0755. */
static void copy_program(const char *from, const char *to)
{
    char buf[65536];
    ssize_t n;
    int in = open(from, O_RDONLY | O_CLOEXEC), out;

    assert_true(in >= 0);
    out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
    assert_true(out >= 0);
    while ((n = read(in, buf, sizeof(buf))) > 0)
        assert_int_equal(write(out, buf, (size_t)n), n);
    assert_int_equal(n, 0);
    assert_int_equal(fchmod(out, 0755), 0);
    close(in);
    assert_int_equal(close(out), 0);
}

/* What runs is the file that was checked, through its descriptor: a client's helper that
 * ended is started again from that descriptor, even after its path names another program
 * (here one that exits at once; a user who swapped a folder above would plant their own). */
static void test_helper_runs_from_the_checked_descriptor(void **state)
{
    char dir[1024], path[PATH_MAX], other[PATH_MAX], url[64], err[512] = "";
    struct http_response resp = {0};
    struct http_client *client = NULL;
    struct http_request req;
    int port, listener, refused;

    (void)state;
    assert_non_null(unit_mkdtemp(dir, sizeof(dir), "scnet-http-XXXXXX"));
    snprintf(path, sizeof(path), "%.1000s/scnet-quota-fetch", dir);
    snprintf(other, sizeof(other), "%.1000s/other", dir);
    copy_program(helper_path(), path);
    unit_write_file(other, "#!/bin/sh\nexit 7\n", strlen("#!/bin/sh\nexit 7\n"), 0755);
    assert_true(http_client_start(path, NULL, &client, err, sizeof(err)));
    assert_int_equal(rename(other, path), 0);

    /* A listener that never answers: the request times out and its helper is ended. */
    listener = unit_loopback_listener(4, &port);
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/", port);
    req = get_request(url, 300);
    assert_int_equal(http_client_perform(client, &req, &resp, err, sizeof(err)), HTTP_TIMEOUT);
    http_response_free(&resp);
    close(listener);

    /* The next request starts a helper again: the checked one answers (connection
     * refused), not the program now at the path (status 7, no reply). */
    refused = unit_loopback_socket(&port);
    close(refused);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
    req = get_request(url, 2000);
    assert_int_equal(http_client_perform(client, &req, &resp, err, sizeof(err)), HTTP_CONNECT);
    http_response_free(&resp);
    http_client_stop(client);
    assert_int_equal(unit_remove_tree(dir), 0);
}

/* Without /proc the helper cannot reach the CA file it was handed (it gives libcurl
 * /proc/self/fd/3): the request fails naming /proc, before any connection, and the path is
 * not opened instead. In a private mount namespace with an empty /proc: needs root. */
static void test_cafile_without_proc_fails_naming_it(void **state)
{
    char dir[1024], ca[PATH_MAX];
    int status;
    pid_t pid;

    (void)state;
#ifdef SYS_execveat
    /* Without execveat (a kernel before 3.19; qemu-user 7.2 has none) the helper is started
     * by its /proc/self/fd name (compat_fexecve): without /proc it cannot start at all. */
    if (syscall(SYS_execveat, -1, "", NULL, NULL, AT_EMPTY_PATH) != 0 && errno == ENOSYS) {
        unit_skip(false, "no execveat here, so the helper cannot start without /proc");
    }
#endif
    assert_non_null(unit_mkdtemp(dir, sizeof(dir), "scnet-http-XXXXXX"));
    snprintf(ca, sizeof(ca), "%.1000s/ca.pem", dir);
    unit_write_file(ca, "not read\n", strlen("not read\n"), 0644);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct http_request req = get_request("https://127.0.0.1:9/", 2000);
        struct http_response resp = {0};
        char err[512] = "";
        enum http_result rc;

        req.cafile = ca;
        /* Private first: a mount on a shared / would reach the host's namespace. */
        if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
            mount("none", "/proc", "tmpfs", 0, NULL) != 0)
            _exit(77);
        rc = http_perform(&req, &resp, err, sizeof(err));
        fprintf(stderr, "without /proc: %d: %s\n", (int)rc, err);
        _exit(rc == HTTP_FAILED && strstr(err, "/proc/self/fd/3 (is /proc mounted?)") != NULL ? 0
                                                                                              : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(unit_remove_tree(dir), 0);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77)
        skip(); /* no mount namespace here (not root) */
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* The fallback for kernels without execveat: the descriptor's /proc name. */
static void test_exec_proc_fd_fallback_runs_the_descriptor(void **state)
{
    int fd = open("/bin/true", O_PATH | O_CLOEXEC), status;
    pid_t pid;

    (void)state;
    assert_true(fd >= 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char *argv[] = {"true", NULL}, *envp[] = {NULL};

        compat_exec_proc_fd(fd, argv, envp);
        _exit(99);
    }
    close(fd);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_helper_is_unavailable),
        cmocka_unit_test_setup_teardown(test_libcurl_stays_out_and_environment_stays_here, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_helper_killed_at_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ok_json_body_and_request_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_sends_body_without_expect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_post_without_expect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_until_close_and_empty_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_when_server_never_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_when_server_trickles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_or_negative_timeout_sends_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_too_large_with_content_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_large_announced_fails_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_large_without_content_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_body_is_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redirect_is_returned_not_followed, setup, teardown),
        cmocka_unit_test(test_closed_port_is_connect_error),
        cmocka_unit_test_setup_teardown(test_https_to_plain_listener_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_https_with_missing_cafile_is_unavailable, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_other_protocols_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_method_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_descriptor_leaked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signal_mask_restored, setup, teardown),
        cmocka_unit_test(test_helper_exec_denied_points_at_selinux),
        cmocka_unit_test(test_helper_runs_from_the_checked_descriptor),
        cmocka_unit_test(test_cafile_without_proc_fails_naming_it),
        cmocka_unit_test(test_exec_proc_fd_fallback_runs_the_descriptor),
        cmocka_unit_test(test_connect_denied_points_at_selinux),
        cmocka_unit_test(test_response_free_on_zeroed),
    };
    return unit_exit_code(cmocka_run_group_tests(tests, NULL, NULL));
}
