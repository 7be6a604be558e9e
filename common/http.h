/* One bounded HTTP(S) request through libcurl, which is loaded only when first needed. */
#ifndef SCNET_HTTP_H
#define SCNET_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_MAX_BODY (64 * 1024)

struct http_request {
    const char *method;         /* "GET" or "POST" */
    const char *url;            /* already checked with base_url_is_allowed */
    const char *const *headers; /* NULL-terminated "Name: value" lines; may hold secrets */
    const char *body;           /* POST body or NULL */
    long timeout_ms;            /* bound for everything: DNS, connect, TLS, reply */
    const char *cafile;         /* NULL = the system CA bundle */
    const char *proxy;          /* NULL = no proxy at all */
    size_t max_body;            /* 0 = HTTP_MAX_BODY */
};

struct http_response {
    long status; /* HTTP status, 0 when none was received */
    char *body;  /* NUL-terminated, caller frees with http_response_free */
    size_t body_len;
};

enum http_result {
    HTTP_OK,          /* a complete response arrived (any status) */
    HTTP_TIMEOUT,     /* timeout_ms passed */
    HTTP_CONNECT,     /* DNS or TCP failure */
    HTTP_TLS,         /* handshake or certificate failure */
    HTTP_TOO_LARGE,   /* the body exceeded max_body */
    HTTP_UNAVAILABLE, /* libcurl could not be loaded */
    HTTP_FAILED,      /* anything else */
};

/* Perform the request: HTTPS with peer and host verification, no redirects, no proxy unless
 * given, nothing taken from the environment, no signals, no descriptor left open. Header
 * copies made for libcurl are wiped. On failure writes a short reason into err. */
enum http_result http_perform(const struct http_request *req, struct http_response *resp, char *err,
                              size_t errlen);

/* Free a response (safe on a zeroed one). */
void http_response_free(struct http_response *resp);

/* Whether libcurl has been loaded into this process (for tests and debug logs). */
bool http_library_loaded(void);

#endif
