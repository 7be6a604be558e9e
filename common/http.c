/* Bounded HTTP(S) requests through the network helper, scnet-quota-fetch (see http.h).
 *
 * Why a process: libcurl inside the login process cannot keep the promise of `timeout`
 * (it joins its resolver thread, older releases have no way out), reads the environment
 * of whoever started su, and leaves copies of the token in the host's heap. The helper has
 * none of the host's environment, descriptors or signal handling, and when the deadline
 * passes it is killed, which no DNS lookup, TCP connect or TLS handshake can outlast. */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "deadline.h"
#include "exec_context.h"
#include "fetch_wire.h"
#include "log.h"
#include "safe_file.h"
#include "strbuf.h"

/* How long http_client_start waits for the helper's exec to succeed. */
#define CLIENT_START_MS 5000

struct http_client {
    char *helper;
    int helper_fd;   /* the helper as checked (O_PATH): what every start runs */
    char *cafile;    /* NULL: the system store */
    int ca_fd;       /* cafile as checked: what every start hands the helper (FETCH_CA_FD) */
    pid_t pid;       /* 0: no helper running */
    int to_helper;   /* its stdin: our end, non-blocking */
    int from_helper; /* its stdout: our end, non-blocking */
    /* SIGCHLD as the host had it, while ours is SIG_DFL (see sigchld_take) */
    bool sigchld_taken;
    struct sigaction host_sigchld;
};

/* The calling thread's signal state around one call. */
struct signal_guard {
    sigset_t saved_mask;
    bool pipe_was_pending;
};

/* Hold back SIGPIPE and SIGCHLD in this thread for the length of a call.
 *
 * SIGPIPE: a helper that dies while we write would kill the host (su, sshd) with it;
 * MSG_NOSIGNAL does not exist for pipes. The signal is synchronous and sent to the writing
 * thread, so blocking it here is enough; guard_leave consumes only one we caused.
 *
 * SIGCHLD: a host with a handler that reaps with waitpid(-1) (many daemons do) would take
 * our helper's exit status, and after that our kill could reach a recycled pid. Blocked,
 * the host's handler runs only when guard_leave restores the mask, after we reaped our
 * child: the host loses nothing (its own children's SIGCHLD is still pending then), and sees
 * at worst one SIGCHLD for a child that is not its own, which a handler must tolerate anyway
 * (signals merge). Blocking is per thread: in a threaded host another thread may still run
 * the handler, and waitpid then reports ECHILD, which counts as reaped. */
static void guard_enter(struct signal_guard *g)
{
    sigset_t set, pending;

    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigaddset(&set, SIGCHLD);
    sigemptyset(&pending);
    sigpending(&pending);
    g->pipe_was_pending = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &set, &g->saved_mask);
}

static void guard_leave(struct signal_guard *g)
{
    sigset_t pipe_set, pending;
    const struct timespec no_wait = {0, 0};

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    if (!g->pipe_was_pending) {
        sigemptyset(&pending);
        sigpending(&pending);
        if (sigismember(&pending, SIGPIPE) == 1)
            sigtimedwait(&pipe_set, NULL, &no_wait);
    }
    pthread_sigmask(SIG_SETMASK, &g->saved_mask, NULL);
}

/* A host that ignores SIGCHLD (or sets SA_NOCLDWAIT) has its children reaped by the kernel:
 * waitpid would only report ECHILD, and a kill at the deadline could reach a recycled pid.
 * For the helper's lifetime (one request in the module: at most `timeout`) SIGCHLD is
 * SIG_DFL, as pam_unix does around unix_chkpwd; then the host's setting comes back exactly,
 * and so do its children's fate: see sigchld_give_back. A host with a handler keeps it:
 * guard_enter covers that case without a process-wide change. */
static void sigchld_take(struct http_client *c)
{
    struct sigaction dfl;

    if (sigaction(SIGCHLD, NULL, &c->host_sigchld) != 0)
        return;
    if (c->host_sigchld.sa_handler != SIG_IGN && !(c->host_sigchld.sa_flags & SA_NOCLDWAIT))
        return;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    if (sigaction(SIGCHLD, &dfl, NULL) == 0)
        c->sigchld_taken = true;
}

/* A child of the host's that ended while SIGCHLD was SIG_DFL is a zombie the kernel would
 * not have left, and a host that ignores SIGCHLD never waits for it (it cannot have its
 * status: with SIG_IGN, wait only reports ECHILD). Reap such zombies once the host's setting
 * is back, as the kernel would have; our own helper is reaped already. */
static void sigchld_give_back(struct http_client *c)
{
    if (c->sigchld_taken) {
        sigaction(SIGCHLD, &c->host_sigchld, NULL);
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
    }
    c->sigchld_taken = false;
}

/* A descriptor not in 0-3: a host started with a standard descriptor closed would have
 * pipe2 hand out 0, 1 or 2, which the child's dup2 calls would then overwrite; 3 is where
 * the child puts the CA file (FETCH_CA_FD). */
static int above_fixed(int fd)
{
    int moved;

    if (fd < 0 || fd > FETCH_CA_FD)
        return fd;
    moved = fcntl(fd, F_DUPFD_CLOEXEC, FETCH_CA_FD + 1);
    close(fd);
    return moved;
}

static bool cloexec_pipe(int fds[2])
{
    if (pipe2(fds, O_CLOEXEC) != 0)
        return false;
    fds[0] = above_fixed(fds[0]);
    fds[1] = above_fixed(fds[1]);
    return fds[0] >= 0 && fds[1] >= 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* What the child does between fork and exec: only async-signal-safe calls, since the host
 * may have other threads (and their locks) that do not exist in the child. Every signal
 * was blocked across fork; dispositions go back to default before the mask is opened, so
 * no handler of the host's runs in the child. */
static void child_exec(int helper_fd, char *helper, char *caller_arg, int ca_fd, pid_t parent,
                       int in_fd, int out_fd, int null_fd, int report_fd)
{
    char gnutls_lazy[] = "GNUTLS_NO_IMPLICIT_INIT=1", ca_arg[] = FETCH_CA_ARG;
    /* Built from nothing: no proxies, SSLKEYLOGFILE, CA overrides or locale of the user
     * who ran su. GnuTLS (pulled in by libcurl's RTMP support, never used) then skips its
     * 0.3-0.5 ms start-up. */
    char *envp[] = {gnutls_lazy, NULL};
    /* The helper checks its parent against this pid itself: starting inside a setuid host
     * (su) is a secure exec, which clears the parent-death signal set below. */
    char *argv[] = {helper, caller_arg, ca_fd >= 0 ? ca_arg : NULL, NULL};
    struct sigaction dfl;
    sigset_t none;
    int error;

    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < NSIG; sig++)
        (void)sigaction(sig, &dfl, NULL);
    /* Dies with the thread that started it; if that is already gone, do not run at all. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != parent)
        _exit(FETCH_EXIT_SETUP);
    if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
        dup2(null_fd, STDERR_FILENO) < 0)
        _exit(FETCH_EXIT_SETUP);
    /* The CA file the caller checked, open across the exec (every descriptor here is above
     * FETCH_CA_FD, so dup2 makes a new one, without close-on-exec). */
    if (ca_fd >= 0 && dup2(ca_fd, FETCH_CA_FD) < 0)
        _exit(FETCH_EXIT_SETUP);
    exec_context_reset();
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Through the descriptor that was checked, never the path again: a folder above it
     * swapped since then changes nothing. */
    compat_fexecve(helper_fd, argv, envp);
    error = errno;
    /* The parent reads this from the close-on-exec pipe; an exec that works closes it. */
    if (write(report_fd, &error, sizeof(error)) < 0)
        _exit(FETCH_EXIT_SETUP);
    _exit(FETCH_EXIT_SETUP);
}

/* SIGKILL and reap our helper (never any other child); *status gets its wait status, -1
 * when someone else reaped it. Restores the host's SIGCHLD setting. */
static void helper_end(struct http_client *c, int *status)
{
    int st = -1;

    close_fd(&c->to_helper);
    close_fd(&c->from_helper);
    if (c->pid > 0) {
        kill(c->pid, SIGKILL);
        while (waitpid(c->pid, &st, 0) < 0) {
            if (errno != EINTR) {
                st = -1; /* ECHILD: a handler of a threaded host reaped it */
                break;
            }
        }
    }
    c->pid = 0;
    sigchld_give_back(c);
    if (status != NULL)
        *status = st;
}

/* Why a helper ended without a reply, for the log line. */
static void describe_end(int status, const char *helper, char *err, size_t errlen)
{
    if (status == -1)
        error_set(err, errlen, "network helper %s ended without a reply", helper);
    else if (WIFSIGNALED(status))
        error_set(err, errlen, "network helper %s was killed by signal %d", helper,
                  WTERMSIG(status));
    else if (WEXITSTATUS(status) == FETCH_EXIT_BAD_REQUEST)
        error_set(err, errlen, "network helper %s refused the request", helper);
    else if (WEXITSTATUS(status) == FETCH_EXIT_SETUP)
        error_set(err, errlen, "network helper %s could not start (caller gone or libcurl)",
                  helper);
    else
        error_set(err, errlen, "network helper %s exited with status %d", helper,
                  WEXITSTATUS(status));
}

/* Wait until the child's exec worked (the report pipe closes) or failed (an errno arrives),
 * at most until deadline. */
static enum http_result exec_outcome(struct http_client *c, int report_fd, int64_t deadline,
                                     char *err, size_t errlen)
{
    struct pollfd pfd = {.fd = report_fd, .events = POLLIN};
    int error = 0, n;
    ssize_t got;

    for (;;) {
        long left = deadline_left_ms(deadline);

        if (left <= 0) {
            helper_end(c, NULL);
            error_set(err, errlen, "network helper %s did not start in time", c->helper);
            return HTTP_TIMEOUT;
        }
        n = poll(&pfd, 1, (int)left);
        if (n > 0)
            break;
        if (n < 0 && errno != EINTR) {
            helper_end(c, NULL);
            error_set(err, errlen, "cannot wait for the network helper: %s", strerror(errno));
            return HTTP_UNAVAILABLE;
        }
    }
    do
        got = read(report_fd, &error, sizeof(error));
    while (got < 0 && errno == EINTR);
    if (got == 0)
        return HTTP_OK;
    helper_end(c, NULL);
    if (got == (ssize_t)sizeof(error))
        error_set(err, errlen, "cannot run the network helper %s: %s%s", c->helper, strerror(error),
                  denied_hint(error));
    else
        error_set(err, errlen, "cannot run the network helper %s", c->helper);
    return HTTP_UNAVAILABLE;
}

/* Start c's helper. The caller holds a signal_guard. */
static enum http_result helper_start(struct http_client *c, int64_t deadline, char *err,
                                     size_t errlen)
{
    enum http_result rc = HTTP_UNAVAILABLE;
    int in[2] = {-1, -1}, out[2] = {-1, -1}, report[2] = {-1, -1}, null_fd = -1;
    sigset_t all, saved;
    pid_t parent = getpid(), pid;
    char caller_arg[sizeof(FETCH_CALLER_ARG) + 24];

    if (!cloexec_pipe(in) || !cloexec_pipe(out) || !cloexec_pipe(report) ||
        (null_fd = above_fixed(open("/dev/null", O_WRONLY | O_CLOEXEC))) < 0 ||
        fcntl(in[1], F_SETFL, O_NONBLOCK) != 0 || fcntl(out[0], F_SETFL, O_NONBLOCK) != 0) {
        error_set(err, errlen, "cannot set up pipes for the network helper: %s", strerror(errno));
        goto out;
    }
    /* Formatted here: snprintf is not async-signal-safe, so not in the child. */
    snprintf(caller_arg, sizeof(caller_arg), "%s%ld", FETCH_CALLER_ARG, (long)parent);
    sigchld_take(c);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    pid = fork();
    if (pid == 0)
        child_exec(c->helper_fd, c->helper, caller_arg, c->ca_fd, parent, in[0], out[1], null_fd,
                   report[1]);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (pid < 0) {
        error_set(err, errlen, "cannot start the network helper: %s", strerror(errno));
        sigchld_give_back(c);
        goto out;
    }
    c->pid = pid;
    c->to_helper = in[1];
    c->from_helper = out[0];
    in[1] = out[0] = -1;
    close_fd(&report[1]);
    rc = exec_outcome(c, report[0], deadline, err, errlen);
out:
    close_fd(&in[0]);
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&out[1]);
    close_fd(&report[0]);
    close_fd(&report[1]);
    close_fd(&null_fd);
    return rc;
}

/* Where one exchange stands. */
struct exchange {
    struct strbuf frame; /* the request: holds the token */
    size_t sent;
    unsigned char head[FETCH_WIRE_HEAD_LEN];
    size_t head_got;
    unsigned char *payload; /* the reply, once its head is read */
    size_t payload_len, payload_got, max_body;
    bool eof;
};

/* Write what the pipe takes now; false when the helper is gone. */
static bool exchange_send(struct http_client *c, struct exchange *x)
{
    ssize_t n = write(c->to_helper, x->frame.data + x->sent, x->frame.len - x->sent);

    if (n < 0)
        return errno == EAGAIN || errno == EINTR;
    x->sent += (size_t)n;
    if (x->sent == x->frame.len)
        strbuf_wipe(&x->frame); /* the token leaves our memory as soon as it is sent */
    return true;
}

/* Read what the pipe has now; false with err on a broken reply head or no memory. */
static bool exchange_receive(struct http_client *c, struct exchange *x, char *err, size_t errlen)
{
    unsigned char *dst;
    size_t want;
    ssize_t n;

    if (x->head_got < sizeof(x->head)) {
        dst = x->head + x->head_got;
        want = sizeof(x->head) - x->head_got;
    } else {
        dst = x->payload + x->payload_got;
        want = x->payload_len - x->payload_got;
    }
    n = want > 0 ? read(c->from_helper, dst, want) : 0;
    if (n < 0)
        return errno == EAGAIN || errno == EINTR;
    if (n == 0 && want > 0) {
        x->eof = true;
        return true;
    }
    if (x->head_got < sizeof(x->head)) {
        x->head_got += (size_t)n;
        if (x->head_got < sizeof(x->head))
            return true;
        if (!fetch_wire_head_parse(x->head, FETCH_WIRE_REPLY,
                                   fetch_wire_reply_max_payload(x->max_body), &x->payload_len, err,
                                   errlen))
            return false;
        x->payload = malloc(x->payload_len > 0 ? x->payload_len : 1);
        if (x->payload == NULL) {
            error_set(err, errlen, "out of memory for the reply");
            return false;
        }
    } else {
        x->payload_got += (size_t)n;
    }
    return true;
}

static bool exchange_complete(const struct exchange *x)
{
    return x->payload != NULL && x->payload_got == x->payload_len;
}

static void exchange_free(struct exchange *x)
{
    strbuf_wipe(&x->frame);
    if (x->payload != NULL) {
        explicit_bzero(x->payload, x->payload_len);
        free(x->payload);
    }
    x->payload = NULL;
}

/* Turn a decoded reply into the caller's result. */
static enum http_result reply_result(const struct http_request *req, struct fetch_wire_reply *r,
                                     struct http_response *resp, char *err, size_t errlen)
{
    const char *ca;

    if (r->result == HTTP_OK) {
        resp->status = r->status;
        resp->body = r->body;
        resp->body_len = r->body_len;
        r->body = NULL;
        return HTTP_OK;
    }
    resp->status = r->status;
    /* libcurl knows the CA file by its descriptor's name: give the admin the file's. */
    ca = r->result == HTTP_TLS && req->cafile != NULL ? strstr(r->error, FETCH_CA_PROC) : NULL;
    /* The helper counts from when it got the request: name the caller's budget. */
    if (r->result == HTTP_TIMEOUT)
        error_set(err, errlen, "timeout after %ld ms", req->timeout_ms);
    else if (ca != NULL)
        error_set(err, errlen, "%.*s%s%s", (int)(ca - r->error), r->error, req->cafile,
                  ca + strlen(FETCH_CA_PROC));
    else
        error_set(err, errlen, "%s", r->error[0] != '\0' ? r->error : "request failed");
    return r->result;
}

/* One request over c's running helper, by deadline. The caller holds a signal_guard. Any
 * failure other than an answer from the helper ends the helper. */
static enum http_result exchange_run(struct http_client *c, const struct http_request *req,
                                     int64_t deadline, struct http_response *resp, char *err,
                                     size_t errlen)
{
    struct exchange x = {.max_body = fetch_wire_reply_body_max(req)};
    struct http_request sent = *req;
    struct fetch_wire_reply reply = {0};
    enum http_result rc = HTTP_UNAVAILABLE;
    int status;
    char why[256] = "";

    /* The helper's own libcurl bound: what is left of the caller's. */
    sent.timeout_ms = deadline_left_ms(deadline);
    if (sent.timeout_ms <= 0) {
        helper_end(c, NULL);
        error_set(err, errlen, "timeout after %ld ms", req->timeout_ms);
        return HTTP_TIMEOUT;
    }
    if (!fetch_wire_encode_request(&sent, &x.frame, err, errlen)) {
        exchange_free(&x);
        return HTTP_FAILED; /* nothing was written: the helper can stay */
    }
    while (!exchange_complete(&x) && !x.eof) {
        struct pollfd pfd[2] = {{.fd = x.sent < x.frame.len ? c->to_helper : -1, .events = POLLOUT},
                                {.fd = c->from_helper, .events = POLLIN}};
        long left = deadline_left_ms(deadline);
        int n;

        if (left <= 0) {
            helper_end(c, NULL);
            error_set(err, errlen, "timeout after %ld ms", req->timeout_ms);
            rc = HTTP_TIMEOUT;
            goto out;
        }
        n = poll(pfd, 2, (int)left);
        if (n < 0 && errno != EINTR) {
            error_set(err, errlen, "cannot wait for the network helper: %s", strerror(errno));
            helper_end(c, NULL);
            goto out;
        }
        if (n <= 0)
            continue;
        if ((pfd[0].revents & (POLLOUT | POLLERR | POLLHUP)) && !exchange_send(c, &x))
            x.eof = true; /* EPIPE: it is gone; read what it may have said */
        if ((pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
            !exchange_receive(c, &x, why, sizeof(why))) {
            error_set(err, errlen, "network helper %s: %s", c->helper, why);
            helper_end(c, NULL);
            goto out;
        }
    }
    if (!exchange_complete(&x)) {
        helper_end(c, &status);
        describe_end(status, c->helper, err, errlen);
        goto out;
    }
    if (!fetch_wire_decode_reply(x.payload, x.payload_len, x.max_body, &reply, why, sizeof(why))) {
        error_set(err, errlen, "network helper %s: bad reply: %s", c->helper, why);
        helper_end(c, NULL);
        goto out;
    }
    rc = reply_result(req, &reply, resp, err, errlen);
out:
    exchange_free(&x);
    fetch_wire_reply_free(&reply);
    return rc;
}

static struct http_client *client_new(const char *helper, const char *cafile, char *err,
                                      size_t errlen)
{
    struct http_client *c;
    struct stat st;

    if (helper == NULL || helper[0] != '/') {
        error_set(err, errlen, "no network helper configured (helper = absolute path)");
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        error_set(err, errlen, "out of memory");
        return NULL;
    }
    c->to_helper = c->from_helper = c->helper_fd = c->ca_fd = -1;
    if ((c->helper = strdup(helper)) == NULL || (cafile && (c->cafile = strdup(cafile)) == NULL)) {
        error_set(err, errlen, "out of memory");
        goto fail;
    }
    /* Checked here, on the descriptors every start of this client uses, and only here in
     * the module (a cache hit never opens either file; scnet-quota checks them up front too,
     * for a clear configuration error): the helper runs from its descriptor, and reads the
     * CA file through its own (FETCH_CA_FD), never by name. */
    if (!safe_file_open_trusted(helper, "helper", O_PATH, SAFE_FILE_CONFIG, geteuid(),
                                &c->helper_fd, &st, err, errlen) ||
        (cafile && !safe_file_open_trusted(cafile, "cafile", O_RDONLY, SAFE_FILE_CONFIG, geteuid(),
                                           &c->ca_fd, &st, err, errlen)))
        goto fail;
    c->helper_fd = above_fixed(c->helper_fd);
    c->ca_fd = above_fixed(c->ca_fd);
    if (c->helper_fd < 0 || (cafile && c->ca_fd < 0)) {
        error_set(err, errlen, "cannot keep the checked helper and cafile: %s", strerror(errno));
        goto fail;
    }
    return c;
fail:
    close_fd(&c->helper_fd);
    close_fd(&c->ca_fd);
    free(c->cafile);
    free(c->helper);
    free(c);
    return NULL;
}

static void client_free(struct http_client *c)
{
    if (c == NULL)
        return;
    helper_end(c, NULL);
    close_fd(&c->helper_fd);
    close_fd(&c->ca_fd);
    free(c->cafile);
    free(c->helper);
    free(c);
}

/* Start (or restart) c's helper if needed, then run the exchange. */
static enum http_result client_perform(struct http_client *c, const struct http_request *req,
                                       int64_t deadline, struct http_response *resp, char *err,
                                       size_t errlen)
{
    enum http_result rc;

    /* The client's helper holds the CA file it was started with, and only that one. */
    if ((c->cafile == NULL) != (req->cafile == NULL) ||
        (c->cafile != NULL && strcmp(c->cafile, req->cafile) != 0)) {
        error_set(err, errlen, "request for cafile %s on a client started for %s",
                  req->cafile ? req->cafile : "(system store)",
                  c->cafile ? c->cafile : "(system store)");
        return HTTP_FAILED;
    }
    if (c->pid == 0) {
        rc = helper_start(c, deadline, err, errlen);
        if (rc != HTTP_OK)
            return rc;
    }
    return exchange_run(c, req, deadline, resp, err, errlen);
}

/* The checks that need no helper: a spent budget, a request the wire refuses. */
static bool request_usable(const struct http_request *req, enum http_result *rc, char *err,
                           size_t errlen)
{
    struct strbuf probe = {0};
    bool ok;

    /* A spent budget must not become a request anyway. */
    if (req->timeout_ms <= 0) {
        error_set(err, errlen, "timeout after %ld ms", req->timeout_ms < 0 ? 0 : req->timeout_ms);
        *rc = HTTP_TIMEOUT;
        return false;
    }
    ok = fetch_wire_encode_request(req, &probe, err, errlen);
    strbuf_wipe(&probe);
    *rc = HTTP_FAILED;
    return ok;
}

enum http_result http_perform(const struct http_request *req, struct http_response *resp, char *err,
                              size_t errlen)
{
    int64_t deadline = monotonic_ms() + req->timeout_ms;
    struct http_client *c = NULL;
    struct signal_guard guard;
    enum http_result rc;

    memset(resp, 0, sizeof(*resp));
    error_set(err, errlen, "%s", "");
    if (!request_usable(req, &rc, err, errlen))
        return rc;
    c = client_new(req->helper, req->cafile, err, errlen);
    if (c == NULL)
        return HTTP_UNAVAILABLE;
    guard_enter(&guard);
    rc = client_perform(c, req, deadline, resp, err, errlen);
    client_free(c);
    guard_leave(&guard);
    return rc;
}

bool http_client_start(const char *helper, const char *cafile, struct http_client **client,
                       char *err, size_t errlen)
{
    struct signal_guard guard;
    struct http_client *c;
    enum http_result rc;

    *client = NULL;
    c = client_new(helper, cafile, err, errlen);
    if (c == NULL)
        return false;
    guard_enter(&guard);
    rc = helper_start(c, monotonic_ms() + CLIENT_START_MS, err, errlen);
    guard_leave(&guard);
    if (rc != HTTP_OK) {
        client_free(c);
        return false;
    }
    *client = c;
    return true;
}

enum http_result http_client_perform(struct http_client *client, const struct http_request *req,
                                     struct http_response *resp, char *err, size_t errlen)
{
    int64_t deadline = monotonic_ms() + req->timeout_ms;
    struct signal_guard guard;
    enum http_result rc;

    memset(resp, 0, sizeof(*resp));
    error_set(err, errlen, "%s", "");
    if (!request_usable(req, &rc, err, errlen))
        return rc;
    guard_enter(&guard);
    rc = client_perform(client, req, deadline, resp, err, errlen);
    guard_leave(&guard);
    return rc;
}

void http_client_stop(struct http_client *client)
{
    struct signal_guard guard;

    if (client == NULL)
        return;
    guard_enter(&guard);
    client_free(client);
    guard_leave(&guard);
}

void http_response_free(struct http_response *resp)
{
    if (resp == NULL)
        return;
    /* A token endpoint's reply carries a token. */
    if (resp->body != NULL) {
        explicit_bzero(resp->body, resp->body_len);
        free(resp->body);
    }
    resp->body = NULL;
    resp->body_len = 0;
    resp->status = 0;
}

void http_status_error(long status, const char *url, char *err, size_t errlen)
{
    /* Bases pass base_url_is_allowed (no userinfo, query or fragment) and paths are fixed
     * or a percent-encoded user name: cutting at '?' and '#' only keeps that true should a
     * URL with a query ever reach here. */
    error_set(err, errlen, "HTTP status %ld from %.*s", status, (int)strcspn(url, "?#"), url);
}
