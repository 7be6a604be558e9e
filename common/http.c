/* One bounded HTTP(S) request through libcurl, loaded with dlopen on the first request. */

/* CURLOPT_PROTOCOLS is deprecated in the 7.88 header but is the only way to restrict
 * protocols on libcurl older than 7.85 (RHEL 9 ships 7.76); without this the fallback
 * below does not compile under -Werror. */
#define CURL_DISABLE_DEPRECATION

#include "http.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "strbuf.h"
#include "version.h"

extern char **environ;

#define CURL_SONAME "libcurl.so.4"
#define SYSTEM_CA_DEBIAN "/etc/ssl/certs/ca-certificates.crt"
#define SYSTEM_CA_RHEL "/etc/pki/tls/certs/ca-bundle.crt"
/* Hashed directories kept by update-ca-certificates (Debian) and update-ca-trust (RHEL 9). */
#define SYSTEM_CA_DIR_DEBIAN "/etc/ssl/certs"
#define SYSTEM_CA_DIR_RHEL "/etc/pki/ca-trust/extracted/pem/directory-hash"

/* libcurl's entry points, typed from its own header so that a wrong signature does not
 * compile. The header's type-checking macros only wrap the real names, so calls through
 * this table are unchecked: the set_* helpers below pin the argument types instead. */
struct curl_api {
    __typeof__(curl_global_init) *global_init;
    __typeof__(curl_easy_init) *easy_init;
    __typeof__(curl_easy_setopt) *easy_setopt;
    __typeof__(curl_easy_perform) *easy_perform;
    __typeof__(curl_easy_getinfo) *easy_getinfo;
    __typeof__(curl_easy_cleanup) *easy_cleanup;
    __typeof__(curl_easy_strerror) *easy_strerror;
    __typeof__(curl_slist_append) *slist_append;
    __typeof__(curl_slist_free_all) *slist_free_all;
};

static const struct {
    const char *name;
    size_t offset;
} curl_symbols[] = {
    {"curl_global_init", offsetof(struct curl_api, global_init)},
    {"curl_easy_init", offsetof(struct curl_api, easy_init)},
    {"curl_easy_setopt", offsetof(struct curl_api, easy_setopt)},
    {"curl_easy_perform", offsetof(struct curl_api, easy_perform)},
    {"curl_easy_getinfo", offsetof(struct curl_api, easy_getinfo)},
    {"curl_easy_cleanup", offsetof(struct curl_api, easy_cleanup)},
    {"curl_easy_strerror", offsetof(struct curl_api, easy_strerror)},
    {"curl_slist_append", offsetof(struct curl_api, slist_append)},
    {"curl_slist_free_all", offsetof(struct curl_api, slist_free_all)},
};

/* The one-time library initialisation: written only inside curl_once. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static struct curl_api curl;
static bool curl_ready;
static char curl_load_error[256];

/* Where a transfer's body goes, bounded by max. */
struct body_sink {
    struct strbuf body;
    size_t max;
    bool too_large;
};

struct perform_call {
    CURL *easy;
    CURLcode result;
};

/* Run fn(ctx) with only our own variables as the process environment.
 *
 * This code runs as root inside su, where the environment belongs to the user who ran su.
 * libcurl reads http_proxy/https_proxy/ALL_PROXY/NO_PROXY on each transfer, and when it
 * initialises OpenSSL it reads SSLKEYLOGFILE and opens that file for appending: root would
 * write TLS secrets (and create the file) wherever the user points. The libraries pulled in
 * by dlopen and the resolver read further variables. None is needed, so none is offered;
 * the one variable set is ours: GnuTLS (pulled in by libcurl's RTMP support, never used
 * here) then skips its 0.3-0.5 ms start-up at load.
 *
 * Swapping the environ pointer is safe because a PAM module runs single-threaded in the
 * calling thread and nothing here calls setenv. libcurl's resolver threads are started inside
 * curl_easy_perform, and glibc reads its resolver variables as a lookup starts, so they see
 * the empty environment too. */
static void without_environment(void (*fn)(void *ctx), void *ctx)
{
    static char gnutls_lazy[] = "GNUTLS_NO_IMPLICIT_INIT=1";
    static char *our_environment[] = {gnutls_lazy, NULL};
    char **saved = environ;

    environ = our_environment;
    fn(ctx);
    environ = saved;
}

static void curl_load_hidden(void *ctx)
{
    void *lib;
    const char *why;

    (void)ctx;
    /* RTLD_NODELETE: libpam dlcloses this module at pam_end, and a resolver thread libcurl
     * left behind after a timeout may still run its code. */
    lib = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (lib == NULL) {
        why = dlerror();
        /* dlerror names the file and the reason */
        snprintf(curl_load_error, sizeof(curl_load_error), "cannot load libcurl: %s",
                 why != NULL ? why : CURL_SONAME);
        return;
    }
    for (size_t i = 0; i < sizeof(curl_symbols) / sizeof(curl_symbols[0]); i++) {
        void *sym = dlsym(lib, curl_symbols[i].name);

        if (sym == NULL) {
            snprintf(curl_load_error, sizeof(curl_load_error), "%s has no %s", CURL_SONAME,
                     curl_symbols[i].name);
            return;
        }
        /* POSIX guarantees a data pointer from dlsym can hold a function address. */
        memcpy((char *)&curl + curl_symbols[i].offset, &sym, sizeof(sym));
    }
    /* Never undone (no curl_global_cleanup, no dlclose): the host process (sshd) may use
     * libcurl itself, and resolver threads may outlive a request. */
    if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(curl_load_error, sizeof(curl_load_error), "curl_global_init failed");
        return;
    }
    curl_ready = true;
}

static void curl_load(void)
{
    without_environment(curl_load_hidden, NULL);
}

bool http_library_loaded(void)
{
    return curl_ready;
}

static size_t body_write(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct body_sink *sink = ctx;
    size_t len = size * nmemb; /* size is always 1 */

    if (len > sink->max - sink->body.len) {
        sink->too_large = true;
        return 0; /* anything but len aborts the transfer */
    }
    strbuf_append(&sink->body, data, len);
    return sink->body.failed ? 0 : len;
}

/* Typed wrappers: easy_setopt is variadic and reads each value with the type the option
 * implies (long, pointer, curl_off_t), so a plain int or a wrong pointer would be misread. */
static bool set_long(CURL *easy, CURLoption option, long value)
{
    return curl.easy_setopt(easy, option, value) == CURLE_OK;
}

static bool set_str(CURL *easy, CURLoption option, const char *value)
{
    return curl.easy_setopt(easy, option, value) == CURLE_OK;
}

static bool set_ptr(CURL *easy, CURLoption option, void *value)
{
    return curl.easy_setopt(easy, option, value) == CURLE_OK;
}

static bool set_size(CURL *easy, CURLoption option, curl_off_t value)
{
    return curl.easy_setopt(easy, option, value) == CURLE_OK;
}

static bool set_writer(CURL *easy, curl_write_callback fn)
{
    return curl.easy_setopt(easy, CURLOPT_WRITEFUNCTION, fn) == CURLE_OK;
}

/* Only https, or http+https for an http URL (the caller has checked it is loopback). */
static bool set_protocols(CURL *easy, bool allow_http)
{
    const char *names = allow_http ? "http,https" : "https";
    long mask = allow_http ? (CURLPROTO_HTTP | CURLPROTO_HTTPS) : CURLPROTO_HTTPS;
    CURLcode cc;

    cc = curl.easy_setopt(easy, CURLOPT_PROTOCOLS_STR, names);
    if (cc == CURLE_OK)
        return set_str(easy, CURLOPT_REDIR_PROTOCOLS_STR, names);
    if (cc != CURLE_UNKNOWN_OPTION)
        return false;
    /* libcurl older than 7.85 */
    return set_long(easy, CURLOPT_PROTOCOLS, mask) && set_long(easy, CURLOPT_REDIR_PROTOCOLS, mask);
}

static bool set_trust(CURL *easy, const char *cafile)
{
    struct stat st;

    if (cafile != NULL) {
        /* The admin's file is the only trust anchor: no directory of extra CAs. */
        return set_str(easy, CURLOPT_CAINFO, cafile) && set_str(easy, CURLOPT_CAPATH, NULL);
    }
    /* A hashed directory when there is one: OpenSSL then reads only the certificates the
     * handshake needs, where a bundle file makes it parse all ~150 (25-30 ms a login).
     * stat, not access: inside su, access() checks the invoking user's real uid. */
    if (stat(SYSTEM_CA_DIR_RHEL, &st) == 0 && S_ISDIR(st.st_mode))
        return set_str(easy, CURLOPT_CAINFO, NULL) &&
               set_str(easy, CURLOPT_CAPATH, SYSTEM_CA_DIR_RHEL);
    /* /etc/ssl/certs is hashed where update-ca-certificates made the Debian bundle beside it
     * (on RHEL the same name holds only the bundle). */
    if (stat(SYSTEM_CA_DEBIAN, &st) == 0)
        return set_str(easy, CURLOPT_CAINFO, NULL) &&
               set_str(easy, CURLOPT_CAPATH, SYSTEM_CA_DIR_DEBIAN);
    return set_str(easy, CURLOPT_CAINFO, SYSTEM_CA_RHEL) && set_str(easy, CURLOPT_CAPATH, NULL);
}

/* "" disables proxies, including any a variable would name. */
static bool set_proxy(CURL *easy, const char *proxy)
{
    if (proxy != NULL)
        return set_str(easy, CURLOPT_PROXY, proxy);
    return set_str(easy, CURLOPT_PROXY, "") && set_str(easy, CURLOPT_NOPROXY, "");
}

static bool set_method(CURL *easy, const struct http_request *req)
{
    if (strcmp(req->method, "POST") != 0)
        return set_long(easy, CURLOPT_HTTPGET, 1L);
    /* POSTFIELDS is not copied by libcurl: one copy fewer of whatever the body holds. */
    return set_long(easy, CURLOPT_POST, 1L) &&
           set_str(easy, CURLOPT_POSTFIELDS, req->body != NULL ? req->body : "");
}

/* Every option must take: a transfer with half the settings (say, no host check) must not
 * happen. */
static bool configure(CURL *easy, const struct http_request *req, struct curl_slist *headers,
                      struct body_sink *sink, char *curl_err)
{
    curl_off_t max_size = sink->max > INT64_MAX ? INT64_MAX : (curl_off_t)sink->max;

    return set_str(easy, CURLOPT_URL, req->url) && set_ptr(easy, CURLOPT_ERRORBUFFER, curl_err) &&
           /* No SIGALRM around DNS lookups, no handler of ours in the host process. */
           set_long(easy, CURLOPT_NOSIGNAL, 1L) &&
           /* The total bound also catches a server that accepts and then trickles. */
           set_long(easy, CURLOPT_TIMEOUT_MS, req->timeout_ms) &&
           set_long(easy, CURLOPT_CONNECTTIMEOUT_MS, req->timeout_ms) &&
           set_protocols(easy, strncasecmp(req->url, "http://", 7) == 0) &&
           /* A 3xx is the server's answer; following it could leave the vetted host. */
           set_long(easy, CURLOPT_FOLLOWLOCATION, 0L) &&
           set_long(easy, CURLOPT_SSL_VERIFYPEER, 1L) &&
           set_long(easy, CURLOPT_SSL_VERIFYHOST, 2L) && set_trust(easy, req->cafile) &&
           set_proxy(easy, req->proxy) &&
           /* Our headers (the token) go to the server only, never into a CONNECT to a proxy. */
           set_long(easy, CURLOPT_HEADEROPT, CURLHEADER_SEPARATE) &&
           set_str(easy, CURLOPT_USERAGENT, SCNET_USER_AGENT) &&
           set_ptr(easy, CURLOPT_HTTPHEADER, headers) && set_method(easy, req) &&
           set_writer(easy, body_write) && set_ptr(easy, CURLOPT_WRITEDATA, sink) &&
           set_size(easy, CURLOPT_MAXFILESIZE_LARGE, max_size) &&
           set_long(easy, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED) &&
           /* No connection may outlive the request into the user's session. */
           set_long(easy, CURLOPT_FORBID_REUSE, 1L) && set_long(easy, CURLOPT_TCP_KEEPALIVE, 0L) &&
           set_long(easy, CURLOPT_VERBOSE, 0L);
}

/* Copies of the request headers for libcurl, with "Expect:" added: a 100-continue round
 * trip would only cost time. NULL when out of memory. */
static struct curl_slist *headers_build(const char *const *lines)
{
    struct curl_slist *list = NULL, *grown;

    for (size_t i = 0; lines != NULL && lines[i] != NULL; i++) {
        grown = curl.slist_append(list, lines[i]);
        if (grown == NULL)
            goto fail;
        list = grown;
    }
    grown = curl.slist_append(list, "Expect:");
    if (grown == NULL)
        goto fail;
    return grown;
fail:
    curl.slist_free_all(list);
    return NULL;
}

/* The copies hold the token: wipe them before libcurl frees them. */
static void headers_free(struct curl_slist *list)
{
    for (struct curl_slist *node = list; node != NULL; node = node->next) {
        if (node->data != NULL)
            explicit_bzero(node->data, strlen(node->data));
    }
    if (list != NULL)
        curl.slist_free_all(list);
}

static void perform_hidden(void *ctx)
{
    struct perform_call *call = ctx;

    call->result = curl.easy_perform(call->easy);
}

/* curl_easy_perform with no environment and SIGPIPE held back. With CURLOPT_NOSIGNAL libcurl
 * leaves SIGPIPE alone; its own sends use MSG_NOSIGNAL, but older releases let OpenSSL
 * write() to the socket, and a server closing at that moment would kill su. The signal is
 * synchronous, sent to this thread: blocking it here is enough, then a pending one we caused
 * is consumed. */
static CURLcode perform(CURL *easy)
{
    struct perform_call call = {.easy = easy, .result = CURLE_FAILED_INIT};
    sigset_t pipe_set, old_mask, pending;
    bool was_pending;
    const struct timespec no_wait = {0, 0};

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);

    without_environment(perform_hidden, &call);

    if (!was_pending) {
        sigemptyset(&pending);
        sigpending(&pending);
        if (sigismember(&pending, SIGPIPE) == 1)
            sigtimedwait(&pipe_set, NULL, &no_wait);
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    return call.result;
}

static bool is_tls_error(CURLcode cc)
{
    switch (cc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
        return true;
    default:
        return false;
    }
}

/* libcurl's detailed text when it wrote one, else its generic text for the code. */
static const char *curl_reason(CURLcode cc, const char *curl_err)
{
    return curl_err[0] != '\0' ? curl_err : curl.easy_strerror(cc);
}

static enum http_result classify(CURLcode cc, const struct http_request *req,
                                 const struct body_sink *sink, const char *curl_err, char *err,
                                 size_t errlen)
{
    if (cc == CURLE_OK)
        return HTTP_OK;
    if (cc == CURLE_OPERATION_TIMEDOUT) {
        error_set(err, errlen, "timeout after %ld ms", req->timeout_ms);
        return HTTP_TIMEOUT;
    }
    if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
        cc == CURLE_COULDNT_RESOLVE_PROXY) {
        error_set(err, errlen, "cannot connect: %s", curl_reason(cc, curl_err));
        return HTTP_CONNECT;
    }
    if (is_tls_error(cc)) {
        error_set(err, errlen, "TLS failure: %s", curl_reason(cc, curl_err));
        return HTTP_TLS;
    }
    if (cc == CURLE_FILESIZE_EXCEEDED || (cc == CURLE_WRITE_ERROR && sink->too_large)) {
        error_set(err, errlen, "reply larger than %zu bytes", sink->max);
        return HTTP_TOO_LARGE;
    }
    if (cc == CURLE_WRITE_ERROR && sink->body.failed) {
        error_set(err, errlen, "out of memory for the reply");
        return HTTP_FAILED;
    }
    error_set(err, errlen, "request failed: %s", curl_reason(cc, curl_err));
    return HTTP_FAILED;
}

enum http_result http_perform(const struct http_request *req, struct http_response *resp, char *err,
                              size_t errlen)
{
    enum http_result rc = HTTP_FAILED;
    CURL *easy = NULL;
    struct curl_slist *headers = NULL;
    struct body_sink sink = {.max = req->max_body != 0 ? req->max_body : HTTP_MAX_BODY};
    char curl_err[CURL_ERROR_SIZE] = "";
    CURLcode cc;

    memset(resp, 0, sizeof(*resp));
    error_set(err, errlen, "%s", "");
    /* libcurl reads a timeout of 0 as "none": a spent budget must not become no bound. */
    if (req->timeout_ms <= 0) {
        error_set(err, errlen, "timeout after %ld ms", req->timeout_ms < 0 ? 0 : req->timeout_ms);
        rc = HTTP_TIMEOUT;
        goto out;
    }
    if (req->url == NULL || req->method == NULL ||
        (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0)) {
        error_set(err, errlen, "unsupported request");
        goto out;
    }
    pthread_once(&curl_once, curl_load);
    if (!curl_ready) {
        error_set(err, errlen, "%s", curl_load_error);
        rc = HTTP_UNAVAILABLE;
        goto out;
    }
    easy = curl.easy_init();
    headers = headers_build(req->headers);
    if (easy == NULL || headers == NULL) {
        error_set(err, errlen, "cannot set up the request (out of memory)");
        goto out;
    }
    if (!configure(easy, req, headers, &sink, curl_err)) {
        error_set(err, errlen, "libcurl refused an option");
        goto out;
    }
    cc = perform(easy);
    if (curl.easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &resp->status) != CURLE_OK)
        resp->status = 0;
    rc = classify(cc, req, &sink, curl_err, err, errlen);
    if (rc != HTTP_OK)
        goto out;
    resp->body_len = sink.body.len;
    resp->body = strbuf_take(&sink.body);
    if (resp->body == NULL) {
        resp->body_len = 0;
        error_set(err, errlen, "out of memory for the reply");
        rc = HTTP_FAILED;
    }
out:
    /* The handle first: it closes the connection and still points at the header list. */
    if (easy != NULL)
        curl.easy_cleanup(easy);
    headers_free(headers);
    strbuf_wipe(&sink.body);
    return rc;
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
