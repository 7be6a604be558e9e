/* One HTTP(S) transfer through libcurl, inside scnet-quota-fetch (see transfer.h). */

/* CURLOPT_PROTOCOLS is deprecated in the 7.88 header but is the only way to restrict
 * protocols on libcurl older than 7.85 (RHEL 9 ships 7.76); without this the fallback
 * below does not compile under -Werror. */
#define CURL_DISABLE_DEPRECATION

#include "transfer.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "log.h"
#include "strbuf.h"
#include "version.h"

#define SYSTEM_CA_DEBIAN "/etc/ssl/certs/ca-certificates.crt"
#define SYSTEM_CA_RHEL "/etc/pki/tls/certs/ca-bundle.crt"
/* Hashed directories kept by update-ca-certificates (Debian) and update-ca-trust (RHEL 9). */
#define SYSTEM_CA_DIR_DEBIAN "/etc/ssl/certs"
#define SYSTEM_CA_DIR_RHEL "/etc/pki/ca-trust/extracted/pem/directory-hash"

/* Where a transfer's body goes, bounded by max. */
struct body_sink {
    struct strbuf body;
    size_t max;
    bool too_large;
};

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
    return curl_easy_setopt(easy, option, value) == CURLE_OK;
}

static bool set_str(CURL *easy, CURLoption option, const char *value)
{
    return curl_easy_setopt(easy, option, value) == CURLE_OK;
}

static bool set_ptr(CURL *easy, CURLoption option, void *value)
{
    return curl_easy_setopt(easy, option, value) == CURLE_OK;
}

static bool set_size(CURL *easy, CURLoption option, curl_off_t value)
{
    return curl_easy_setopt(easy, option, value) == CURLE_OK;
}

static bool set_writer(CURL *easy, curl_write_callback fn)
{
    return curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, fn) == CURLE_OK;
}

/* Only https, or http+https for an http URL (the module has checked it is loopback). */
static bool set_protocols(CURL *easy, bool allow_http)
{
    const char *names = allow_http ? "http,https" : "https";
    long mask = allow_http ? (CURLPROTO_HTTP | CURLPROTO_HTTPS) : CURLPROTO_HTTPS;
    CURLcode cc;

    cc = curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, names);
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
     * handshake needs, where a bundle file makes it parse all ~150 (25-30 ms a login). */
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
           /* No SIGALRM around DNS lookups: the module's deadline is what bounds them. */
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
           /* Connections are kept for the next request of this helper (the refresh run) and
            * die with it; none reaches the login process. */
           set_long(easy, CURLOPT_TCP_KEEPALIVE, 0L) && set_long(easy, CURLOPT_VERBOSE, 0L);
}

/* Copies of the request headers for libcurl, with "Expect:" added: a 100-continue round
 * trip would only cost time. NULL when out of memory. */
static struct curl_slist *headers_build(const char *const *lines)
{
    struct curl_slist *list = NULL, *grown;

    for (size_t i = 0; lines != NULL && lines[i] != NULL; i++) {
        grown = curl_slist_append(list, lines[i]);
        if (grown == NULL)
            goto fail;
        list = grown;
    }
    grown = curl_slist_append(list, "Expect:");
    if (grown == NULL)
        goto fail;
    return grown;
fail:
    curl_slist_free_all(list);
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
        curl_slist_free_all(list);
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
    return curl_err[0] != '\0' ? curl_err : curl_easy_strerror(cc);
}

/* error_set neutralises control characters: the text crosses the pipe to a syslog line. */
static enum http_result classify(CURLcode cc, long os_errno, const struct http_request *req,
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
        /* libcurl's text drops the errno. EACCES/EPERM from connect() is a refusal by a
         * policy (an SELinux name_connect denial, a firewall): say so and where to look. */
        if (os_errno == EACCES || os_errno == EPERM)
            error_set(err, errlen, "cannot connect: %s: %s%s", curl_reason(cc, curl_err),
                      strerror((int)os_errno), denied_hint((int)os_errno));
        else
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

void transfer_perform(CURL *easy, const struct http_request *req, struct fetch_wire_reply *reply)
{
    struct curl_slist *headers = NULL;
    struct body_sink sink = {.max = req->max_body};
    char curl_err[CURL_ERROR_SIZE] = "";
    long status = 0, os_errno = 0;
    CURLcode cc;

    memset(reply, 0, sizeof(*reply));
    reply->result = HTTP_FAILED;
    curl_easy_reset(easy);
    headers = headers_build(req->headers);
    if (headers == NULL) {
        error_set(reply->error, sizeof(reply->error), "cannot set up the request (out of memory)");
        goto out;
    }
    if (!configure(easy, req, headers, &sink, curl_err)) {
        error_set(reply->error, sizeof(reply->error), "libcurl refused an option");
        goto out;
    }
    cc = curl_easy_perform(easy);
    if (curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status < 0 ||
        status > 999)
        status = 0;
    reply->status = status;
    if (curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno) != CURLE_OK)
        os_errno = 0;
    reply->result =
        classify(cc, os_errno, req, &sink, curl_err, reply->error, sizeof(reply->error));
    if (reply->result != HTTP_OK)
        goto out;
    reply->body_len = sink.body.len;
    reply->body = strbuf_take(&sink.body);
    if (reply->body == NULL) {
        reply->body_len = 0;
        reply->result = HTTP_FAILED;
        error_set(reply->error, sizeof(reply->error), "out of memory for the reply");
    }
out:
    /* The handle points at the header list, the sink, the error buffer and the request's
     * body: forget them all (its live connections stay for the next request). */
    curl_easy_reset(easy);
    headers_free(headers);
    strbuf_wipe(&sink.body);
}
