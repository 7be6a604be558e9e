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

#include "compat.h"
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

/* The first option this libcurl did not take, for the error text (see refusal_text). */
struct refusal {
    const char *option; /* "CURLOPT_..." */
    CURLcode code;
    const char *why; /* set instead when no option failed but the setup is unsafe */
};

static bool took(CURLcode cc, const char *name, struct refusal *refused)
{
    if (cc == CURLE_OK)
        return true;
    if (refused->option == NULL && refused->why == NULL) {
        refused->option = name;
        refused->code = cc;
    }
    return false;
}

/* An option this libcurl does not have (older than the header we were built with, or built
 * without the feature). */
static bool is_unknown_option(CURLcode cc)
{
    return cc == CURLE_UNKNOWN_OPTION || cc == CURLE_NOT_BUILT_IN;
}

/* Typed wrappers: easy_setopt is variadic and reads each value with the type the option
 * implies (long, pointer, curl_off_t), so a plain int or a wrong pointer would be misread.
 * The macros pass the option's name for the error text. */
#define set_long(easy, option, value, refused) set_long_(easy, option, #option, value, refused)
#define set_str(easy, option, value, refused) set_str_(easy, option, #option, value, refused)
#define set_ptr(easy, option, value, refused) set_ptr_(easy, option, #option, value, refused)
#define set_size(easy, option, value, refused) set_size_(easy, option, #option, value, refused)

static bool set_long_(CURL *easy, CURLoption option, const char *name, long value,
                      struct refusal *refused)
{
    return took(curl_easy_setopt(easy, option, value), name, refused);
}

static bool set_str_(CURL *easy, CURLoption option, const char *name, const char *value,
                     struct refusal *refused)
{
    return took(curl_easy_setopt(easy, option, value), name, refused);
}

static bool set_ptr_(CURL *easy, CURLoption option, const char *name, void *value,
                     struct refusal *refused)
{
    return took(curl_easy_setopt(easy, option, value), name, refused);
}

static bool set_size_(CURL *easy, CURLoption option, const char *name, curl_off_t value,
                      struct refusal *refused)
{
    return took(curl_easy_setopt(easy, option, value), name, refused);
}

static bool set_writer(CURL *easy, curl_write_callback fn, struct refusal *refused)
{
    return took(curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, fn), "CURLOPT_WRITEFUNCTION",
                refused);
}

/* Only https, or http+https for an http URL (the module has checked it is loopback).
 * CURLOPT_PROTOCOLS_STR came with libcurl 7.85; before it, the bit mask (7.19.4), which
 * restricts exactly the same. A header older than 7.85 has only the mask; a libcurl older
 * than the header refuses the string form at run time. */
static bool set_protocols(CURL *easy, bool allow_http, struct refusal *refused)
{
    long mask = allow_http ? (CURLPROTO_HTTP | CURLPROTO_HTTPS) : CURLPROTO_HTTPS;
#if LIBCURL_VERSION_NUM >= 0x075500
    const char *names = allow_http ? "http,https" : "https";
    CURLcode cc;

    cc = curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, names);
    if (cc == CURLE_OK)
        return set_str(easy, CURLOPT_REDIR_PROTOCOLS_STR, names, refused);
    if (!is_unknown_option(cc))
        return took(cc, "CURLOPT_PROTOCOLS_STR", refused);
#endif
    return set_long(easy, CURLOPT_PROTOCOLS, mask, refused) &&
           set_long(easy, CURLOPT_REDIR_PROTOCOLS, mask, refused);
}

static bool set_trust(CURL *easy, const char *cafile, struct refusal *refused)
{
    struct stat st;

    if (cafile != NULL) {
        /* The admin's file is the only trust anchor: no directory of extra CAs. cafile is
         * FETCH_CA_PROC, the file the caller checked, reopened through its descriptor (a
         * CURLOPT_CAINFO_BLOB, libcurl 7.77, would spare the reopen; RHEL 8 and 9 lack it). */
        return set_str(easy, CURLOPT_CAINFO, cafile, refused) &&
               set_str(easy, CURLOPT_CAPATH, NULL, refused);
    }
    /* A hashed directory when there is one: OpenSSL then reads only the certificates the
     * handshake needs, where a bundle file makes it parse all ~150 (25-30 ms a login). */
    if (stat(SYSTEM_CA_DIR_RHEL, &st) == 0 && S_ISDIR(st.st_mode))
        return set_str(easy, CURLOPT_CAINFO, NULL, refused) &&
               set_str(easy, CURLOPT_CAPATH, SYSTEM_CA_DIR_RHEL, refused);
    /* /etc/ssl/certs is hashed where update-ca-certificates made the Debian bundle beside it
     * (on RHEL the same name holds only the bundle). */
    if (stat(SYSTEM_CA_DEBIAN, &st) == 0)
        return set_str(easy, CURLOPT_CAINFO, NULL, refused) &&
               set_str(easy, CURLOPT_CAPATH, SYSTEM_CA_DIR_DEBIAN, refused);
    return set_str(easy, CURLOPT_CAINFO, SYSTEM_CA_RHEL, refused) &&
           set_str(easy, CURLOPT_CAPATH, NULL, refused);
}

/* "" disables proxies, including any a variable would name. */
static bool set_proxy(CURL *easy, const char *proxy, struct refusal *refused)
{
    if (proxy != NULL)
        return set_str(easy, CURLOPT_PROXY, proxy, refused);
    return set_str(easy, CURLOPT_PROXY, "", refused) && set_str(easy, CURLOPT_NOPROXY, "", refused);
}

static bool set_method(CURL *easy, const struct http_request *req, struct refusal *refused)
{
    if (strcmp(req->method, "POST") != 0)
        return set_long(easy, CURLOPT_HTTPGET, 1L, refused);
    /* POSTFIELDS is not copied by libcurl: one copy fewer of whatever the body holds. */
    return set_long(easy, CURLOPT_POST, 1L, refused) &&
           set_str(easy, CURLOPT_POSTFIELDS, req->body != NULL ? req->body : "", refused);
}

/* Our headers (the token) go to the server only, never into a CONNECT to a proxy: that is
 * CURLHEADER_SEPARATE (CURLOPT_HEADEROPT, libcurl 7.37). Before 7.37 libcurl sends them in
 * the CONNECT request too, in clear text to the proxy (7.29's http_proxy.c adds the custom
 * headers there). Without a proxy there is no CONNECT, so nothing is lost when the option
 * is missing; with one the request is refused rather than hand the token to the proxy. */
static bool set_header_scope(CURL *easy, bool via_proxy, struct refusal *refused)
{
#if LIBCURL_VERSION_NUM >= 0x072500
    CURLcode cc = curl_easy_setopt(easy, CURLOPT_HEADEROPT, CURLHEADER_SEPARATE);

    if (cc == CURLE_OK || (!via_proxy && is_unknown_option(cc)))
        return true;
    took(cc, "CURLOPT_HEADEROPT", refused);
    if (is_unknown_option(cc) && refused->option != NULL &&
        strcmp(refused->option, "CURLOPT_HEADEROPT") == 0)
        refused->why = "the API token would be sent to the proxy too";
    return false;
#else
    if (!via_proxy)
        return true;
    refused->option = "CURLOPT_HEADEROPT";
    refused->code = CURLE_UNKNOWN_OPTION;
    refused->why = "the API token would be sent to the proxy too";
    return false;
#endif
}

/* Every option must take: a transfer with half the settings (say, no host check) must not
 * happen. */
static bool configure(CURL *easy, const struct http_request *req, struct curl_slist *headers,
                      struct body_sink *sink, char *curl_err, struct refusal *refused)
{
    curl_off_t max_size = sink->max > INT64_MAX ? INT64_MAX : (curl_off_t)sink->max;

    return set_str(easy, CURLOPT_URL, req->url, refused) &&
           set_ptr(easy, CURLOPT_ERRORBUFFER, curl_err, refused) &&
           /* No SIGALRM around DNS lookups: the module's deadline is what bounds them. */
           set_long(easy, CURLOPT_NOSIGNAL, 1L, refused) &&
           /* The total bound also catches a server that accepts and then trickles. */
           set_long(easy, CURLOPT_TIMEOUT_MS, req->timeout_ms, refused) &&
           set_long(easy, CURLOPT_CONNECTTIMEOUT_MS, req->timeout_ms, refused) &&
           set_protocols(easy, strncasecmp(req->url, "http://", 7) == 0, refused) &&
           /* A 3xx is the server's answer; following it could leave the vetted host. */
           set_long(easy, CURLOPT_FOLLOWLOCATION, 0L, refused) &&
           set_long(easy, CURLOPT_SSL_VERIFYPEER, 1L, refused) &&
           set_long(easy, CURLOPT_SSL_VERIFYHOST, 2L, refused) &&
           set_trust(easy, req->cafile, refused) && set_proxy(easy, req->proxy, refused) &&
           set_header_scope(easy, req->proxy != NULL, refused) &&
           set_str(easy, CURLOPT_USERAGENT, SCNET_USER_AGENT, refused) &&
           set_ptr(easy, CURLOPT_HTTPHEADER, headers, refused) && set_method(easy, req, refused) &&
           set_writer(easy, body_write, refused) &&
           set_ptr(easy, CURLOPT_WRITEDATA, sink, refused) &&
           set_size(easy, CURLOPT_MAXFILESIZE_LARGE, max_size, refused) &&
           set_long(easy, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED, refused) &&
           /* Connections are kept for the next request of this helper (the refresh run) and
            * die with it; none reaches the login process. */
           set_long(easy, CURLOPT_TCP_KEEPALIVE, 0L, refused) &&
           set_long(easy, CURLOPT_VERBOSE, 0L, refused);
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
#if LIBCURL_VERSION_NUM >= 0x072700
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
#endif
#if LIBCURL_VERSION_NUM >= 0x072900
    case CURLE_SSL_INVALIDCERTSTATUS:
#endif
    case CURLE_SSL_SHUTDOWN_FAILED:
#if LIBCURL_VERSION_NUM >= 0x074d00
    case CURLE_SSL_CLIENTCERT:
#endif
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

/* "libcurl 7.29.0 refused CURLOPT_HEADEROPT: ...": the version is the one running (an
 * older libcurl than the header is the usual cause), the option the first one not taken. */
static void refusal_text(const struct refusal *refused, char *err, size_t errlen)
{
    const curl_version_info_data *info = curl_version_info(CURLVERSION_NOW);
    const char *version = info != NULL && info->version != NULL ? info->version : "?";
    const char *option = refused->option != NULL ? refused->option : "an option";

    if (refused->why != NULL)
        error_set(err, errlen, "libcurl %s refused %s: %s; not sending the request", version,
                  option, refused->why);
    else if (is_unknown_option(refused->code))
        error_set(err, errlen, "libcurl %s refused %s (too old, or built without it)", version,
                  option);
    else
        error_set(err, errlen, "libcurl %s refused %s: %s", version, option,
                  curl_easy_strerror(refused->code));
}

void transfer_perform(CURL *easy, const struct http_request *req, struct fetch_wire_reply *reply)
{
    struct curl_slist *headers = NULL;
    struct body_sink sink = {.max = req->max_body};
    char curl_err[CURL_ERROR_SIZE] = "";
    struct refusal refused = {NULL, CURLE_OK, NULL};
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
    if (!configure(easy, req, headers, &sink, curl_err, &refused)) {
        refusal_text(&refused, reply->error, sizeof(reply->error));
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
