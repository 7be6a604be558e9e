/* scnet-quota-fetch: the one process of pam_scnet_quota that talks to the network.
 *
 * The module (and scnet-quota) start it with an environment built from nothing, one argument
 * (--caller-pid=<their pid>: it ends when its parent is not that process), a second one
 * (--cafile-fd=3) when the admin set cafile, with that file, as they checked it, open on
 * descriptor 3, and pipes as stdin and stdout, write one request frame per exchange
 * (common/fetch_wire.h), read one reply frame, and kill it at their deadline. It serves requests
 * until its input ends, so the refresh run reuses one connection. Anything that is not a
 * well-formed request ends it with a non-zero status before anything is sent. Its stderr is
 * /dev/null: every failure it can describe goes back in the reply. It is also the process that
 * parses what servers send (the quota API's and the token service's JSON, the token's expiry):
 * asked to, it hands back fixed fields (answer_text.h) instead of the body, so the login
 * process links no JSON parser. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <curl/curl.h>

#include "answer_text.h"
#include "compat.h"
#include "fetch_wire.h"
#include "jwt.h"
#include "log.h"
#include "strbuf.h"
#include "transfer.h"

/* Above any real limit of open descriptors a login process has (sshd, su), and cheap to
 * loop over when close_range is missing. */
#define FD_CLOSE_CAP 65536

/* Inherited descriptors other than the pipes (and the CA file, when given) reach no server:
 * an sshd socket or a file the host forgot to mark close-on-exec would otherwise live on in
 * this process. */
static void close_inherited_fds(bool keep_ca)
{
    struct rlimit lim;
    long last = FD_CLOSE_CAP;
    unsigned first = keep_ca ? FETCH_CA_FD + 1 : 3;

#ifdef SYS_close_range
    if (syscall(SYS_close_range, first, ~0U, 0U) == 0)
        return;
#endif
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
        lim.rlim_cur < (rlim_t)FD_CLOSE_CAP)
        last = (long)lim.rlim_cur;
    for (long fd = first; fd < last; fd++)
        (void)close((int)fd);
}

/* Whether argv ends with FETCH_CA_ARG: the CA file is open on FETCH_CA_FD. */
static bool ca_from_args(int argc, char **argv)
{
    return argc == 3 && strcmp(argv[2], FETCH_CA_ARG) == 0;
}

/* The caller's pid from argv ("--caller-pid=N", then nothing or FETCH_CA_ARG); 0 when it is
 * missing or malformed. */
static pid_t caller_from_args(int argc, char **argv)
{
    const char *arg = argc == 2 || ca_from_args(argc, argv) ? argv[1] : "";
    size_t prefix = strlen(FETCH_CALLER_ARG);
    char *end = NULL;
    long pid;

    if (strncmp(arg, FETCH_CALLER_ARG, prefix) != 0 || arg[prefix] < '1' || arg[prefix] > '9')
        return 0;
    errno = 0;
    pid = strtol(arg + prefix, &end, 10);
    if (errno != 0 || *end != '\0' || pid <= 1 || (long)(pid_t)pid != pid)
        return 0;
    return (pid_t)pid;
}

/* Whether the process that started us is still our parent. Compared with the pid the caller
 * sent, never with getppid() read here: a caller that died before this runs leaves us with
 * a new parent (init or a subreaper), and the two reads would agree. */
static bool caller_alive(pid_t caller)
{
    return getppid() == caller;
}

/* Die with the caller: a helper whose caller is gone must not finish a request. The caller
 * set the parent-death signal between fork and exec, but the kernel clears it when the exec
 * is a secure one (the caller is a setuid host such as su: real uid the user, effective uid
 * root), so it is set again here, where nothing clears it any more (this process changes no
 * credentials); the pid check then covers a caller that died before either took effect. */
static bool bind_to_caller(pid_t caller)
{
    if (caller == 0 || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        return false;
    return caller_alive(caller);
}

/* Default dispositions and an empty mask whatever the caller had; a reader that went away
 * is an EPIPE from write, not a signal. */
static void reset_signals(void)
{
    struct sigaction dfl;
    sigset_t none;

    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < NSIG; sig++)
        (void)sigaction(sig, &dfl, NULL); /* fails harmlessly for KILL, STOP, RT internals */
    (void)signal(SIGPIPE, SIG_IGN);
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Read exactly len bytes; 1 when read, 0 at end of input before the first byte, -1 when the
 * input ends inside or fails. */
static int read_exact(int fd, unsigned char *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return got == 0 && n == 0 ? 0 : -1;
        got += (size_t)n;
    }
    return 1;
}

static bool write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

/* The name libcurl gets for the CA file, FETCH_CA_PROC: opening that magic link reopens the
 * file behind FETCH_CA_FD, the one the caller checked, whatever its path names by now. False,
 * with the reason in err, when it does not lead there (no /proc): never the path instead. */
static bool ca_reachable(char *err, size_t errlen)
{
    struct stat held, named;

    if (fstat(FETCH_CA_FD, &held) != 0 || !S_ISREG(held.st_mode)) {
        error_set(err, errlen, "cafile: descriptor %d is not the checked CA file", FETCH_CA_FD);
        return false;
    }
    errno = 0;
    if (stat(FETCH_CA_PROC, &named) != 0 || named.st_dev != held.st_dev ||
        named.st_ino != held.st_ino) {
        error_set(err, errlen,
                  "cafile: cannot read the checked CA file through " FETCH_CA_PROC
                  " (is /proc mounted?): %s",
                  errno != 0 ? strerror(errno) : "another file");
        return false;
    }
    return true;
}

/* What the parsers make of body, as answer text in *text; false when out of memory. */
static bool answer_of(const struct http_request *req, const char *body, size_t len,
                      struct strbuf *text)
{
    if (req->answer == HTTP_ANSWER_QUOTA) {
        struct quota_reply reply = {0};
        char why[ANSWER_WHY_MAX] = "";
        enum reply_status rs = quota_reply_parse(body, len, &reply, why, sizeof(why));
        bool ok = answer_text_put_quota(text, rs, &reply, why);

        quota_reply_free(&reply);
        return ok;
    }
    {
        struct token_answer a = {0};
        bool ok;

        a.pick = token_reply_pick(body, len, req->cluster, &a.token, a.region, sizeof(a.region),
                                  a.why, sizeof(a.why));
        if (a.pick == TOKEN_PICK_OK)
            a.has_expire = jwt_expire_ms(a.token, &a.expire_ms, a.why, sizeof(a.why));
        ok = answer_text_put_token(text, &a);
        answer_token_free(&a);
        return ok;
    }
}

/* Replace a complete reply's body with what the parsers make of it, when the request asks. */
static void answer_in_place(const struct fetch_wire_request *req, struct fetch_wire_reply *reply)
{
    struct strbuf text = {0};

    if (reply->result != HTTP_OK || req->req.answer == HTTP_ANSWER_RAW)
        return;
    if (!answer_of(&req->req, reply->body, reply->body_len, &text) || text.len == 0 ||
        text.len > fetch_wire_reply_body_max(&req->req)) {
        strbuf_wipe(&text);
        explicit_bzero(reply->body, reply->body_len);
        free(reply->body);
        reply->body = NULL;
        reply->body_len = 0;
        reply->result = HTTP_FAILED;
        error_set(reply->error, sizeof(reply->error), "the helper could not write its answer");
        return;
    }
    explicit_bzero(reply->body, reply->body_len);
    free(reply->body);
    reply->body = strbuf_take(&text);
    reply->body_len = strlen(reply->body);
}

/* serve_one's "read the next request" */
#define SERVE_AGAIN (-1)

/* One request read, performed and answered; returns SERVE_AGAIN, else the exit status
 * (EXIT_SUCCESS when the input ended cleanly). */
static int serve_one(CURL *easy, pid_t caller, bool ca)
{
    unsigned char head[FETCH_WIRE_HEAD_LEN];
    unsigned char *payload = NULL;
    size_t len = 0;
    struct fetch_wire_request req = {0};
    struct fetch_wire_reply reply = {0};
    struct strbuf frame = {0};
    char why[128];
    int rc = FETCH_EXIT_BAD_REQUEST;
    int got = read_exact(STDIN_FILENO, head, sizeof(head));

    if (got <= 0) {
        rc = got == 0 ? EXIT_SUCCESS : FETCH_EXIT_BAD_REQUEST;
        goto out;
    }
    if (!fetch_wire_head_parse(head, FETCH_WIRE_REQUEST, FETCH_WIRE_MAX_REQUEST, &len, why,
                               sizeof(why)))
        goto out;
    payload = malloc(len > 0 ? len : 1);
    if (payload == NULL) {
        rc = FETCH_EXIT_IO;
        goto out;
    }
    if (read_exact(STDIN_FILENO, payload, len) != 1 && len > 0)
        goto out;
    if (!fetch_wire_decode_request(payload, len, &req, why, sizeof(why)))
        goto out;
    /* A request may wait in the pipe after its writer died (the refresh run's helper sits
     * between requests): nothing is sent for a caller that is gone. */
    rc = FETCH_EXIT_SETUP;
    if (!caller_alive(caller))
        goto out;
    if (!ca) {
        transfer_perform(easy, &req.req, &reply);
    } else if (ca_reachable(reply.error, sizeof(reply.error))) {
        req.req.cafile = FETCH_CA_PROC;
        transfer_perform(easy, &req.req, &reply);
    } else {
        reply.result = HTTP_FAILED;
    }
    answer_in_place(&req, &reply);
    rc = FETCH_EXIT_IO;
    if (!fetch_wire_encode_reply(&reply, &frame) ||
        !write_all(STDOUT_FILENO, frame.data, frame.len))
        goto out;
    rc = SERVE_AGAIN;
out:
    /* The request held the token, a token service reply holds one. */
    if (payload != NULL) {
        explicit_bzero(payload, len);
        free(payload);
    }
    fetch_wire_request_free(&req);
    fetch_wire_reply_free(&reply);
    strbuf_wipe(&frame);
    return rc;
}

int main(int argc, char **argv)
{
    pid_t caller = caller_from_args(argc, argv);
    bool ca = ca_from_args(argc, argv);
    CURL *easy;
    int rc;

    close_inherited_fds(ca);
    reset_signals();
    if (!bind_to_caller(caller))
        return FETCH_EXIT_SETUP;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return FETCH_EXIT_SETUP;
    easy = curl_easy_init();
    if (easy == NULL)
        return FETCH_EXIT_SETUP;
    do {
        rc = serve_one(easy, caller, ca);
    } while (rc == SERVE_AGAIN);
    curl_easy_cleanup(easy);
    curl_global_cleanup();
    return rc;
}
