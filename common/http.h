/* Bounded HTTP(S) requests, performed by the network helper (scnet-quota-fetch) in a process
 * of its own: this side spawns it, talks to it over two pipes, and kills and reaps it at the
 * deadline. libcurl is never loaded into the calling process. */
#ifndef SCNET_HTTP_H
#define SCNET_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_MAX_BODY (64 * 1024)

/* What the helper makes of a complete reply's body before it sends it back: the body as
 * received, or what the JSON parsers find in it, as fixed fields (answer_text.h), so that the
 * caller parses no network data. */
enum http_answer {
    HTTP_ANSWER_RAW,   /* the body as received */
    HTTP_ANSWER_QUOTA, /* answer_text_get_quota reads the body */
    HTTP_ANSWER_TOKEN, /* answer_text_get_token reads the body (the pick for cluster) */
};

struct http_request {
    const char *method;         /* "GET" or "POST" */
    const char *url;            /* already checked with base_url_is_allowed */
    const char *const *headers; /* NULL-terminated "Name: value" lines; may hold secrets */
    const char *body;           /* POST body or NULL */
    long timeout_ms;            /* bound for everything: DNS, connect, TLS, reply */
    const char *cafile;         /* NULL = the system CA bundle; else opened and checked once on
                                   this side, and read by the helper through that descriptor,
                                   never by name */
    const char *proxy;          /* NULL = no proxy at all */
    size_t max_body;            /* 0 = HTTP_MAX_BODY */
    const char *helper;         /* absolute path of scnet-quota-fetch (http_perform only) */
    enum http_answer answer;    /* what comes back as the body */
    const char *cluster;        /* HTTP_ANSWER_TOKEN: the region to pick (NULL, "": the first) */
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
    HTTP_UNAVAILABLE, /* the helper is missing, cannot start, or died */
    HTTP_FAILED,      /* anything else */
};

/* Perform the request in a helper started for it (req->helper; it and req->cafile must pass
 * safe_file_open_trusted, else HTTP_UNAVAILABLE), killed and reaped before this returns, within
 * timeout_ms whatever DNS, TCP, TLS or the server do: HTTPS with peer and host verification, no
 * redirects, no proxy unless given, nothing taken from the environment, no descriptor left open,
 * the caller's signal mask and SIGCHLD handling as they were. The request frame (it holds the
 * token) is wiped. On failure writes a short reason into err. */
enum http_result http_perform(const struct http_request *req, struct http_response *resp, char *err,
                              size_t errlen);

/* A helper that serves several requests in turn, reusing its connections (the refresh run). */
struct http_client;

/* Start a helper (helper: absolute path) for requests with this cafile (NULL: the system
 * store); both are checked here (safe_file_open_trusted) and used through those descriptors
 * for the client's life. False with the reason in err. */
bool http_client_start(const char *helper, const char *cafile, struct http_client **client,
                       char *err, size_t errlen);

/* http_perform's contract on the client's helper (req->helper is not used; req->cafile must
 * be the client's, else HTTP_FAILED). A request that
 * fails by timeout, or whose helper died, ends that helper; the next request on the client
 * starts a new one, within that request's own timeout. */
enum http_result http_client_perform(struct http_client *client, const struct http_request *req,
                                     struct http_response *resp, char *err, size_t errlen);

/* Kill and reap the helper and free the client (NULL is fine). */
void http_client_stop(struct http_client *client);

/* Free a response (safe on a zeroed one). */
void http_response_free(struct http_response *resp);

/* "HTTP status 404 from https://host/path" into err: what an admin needs to tell a wrong
 * url or auth_url from a server's failure. The URL is shown without any query or fragment
 * (where a secret could travel); the project's URLs carry none, nor userinfo. */
void http_status_error(long status, const char *url, char *err, size_t errlen);

#endif
