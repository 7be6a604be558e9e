/* What crosses the pipes between the module (common/http.c) and scnet-quota-fetch: one
 * request frame in, one reply frame out, strictly checked on both sides.
 *
 * A frame is a 9-byte head, "SQF" + 'Q' (request) or 'R' (reply), the version byte, the
 * payload length (4 bytes, big-endian), then the payload: fields of one type byte, a 4-byte
 * big-endian length and that many bytes, in ascending type order, each at most once (only
 * request headers repeat). Strings carry no NUL. Version 3 added what the helper makes of the
 * reply (http_request.answer, with the cluster for a token). */
#ifndef SCNET_FETCH_WIRE_H
#define SCNET_FETCH_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"
#include "strbuf.h"

#define FETCH_WIRE_VERSION 3
#define FETCH_WIRE_HEAD_LEN 9

#define FETCH_WIRE_MAX_URL 4096
#define FETCH_WIRE_MAX_HEADER 8192
#define FETCH_WIRE_MAX_HEADERS 32
#define FETCH_WIRE_MAX_REQUEST_BODY (2 * 1024 * 1024)
#define FETCH_WIRE_MAX_TIMEOUT_MS 600000L
#define FETCH_WIRE_MAX_REPLY_BODY (8 * 1024 * 1024)
#define FETCH_WIRE_MAX_ERROR 512
#define FETCH_WIRE_MAX_CLUSTER 256
/* Every request field at its largest fits well below this. */
#define FETCH_WIRE_MAX_REQUEST (FETCH_WIRE_MAX_REQUEST_BODY + 512 * 1024)

/* How scnet-quota-fetch ends when it cannot answer (0: its input ended after whole requests). */
#define FETCH_EXIT_BAD_REQUEST 2 /* a frame broke a rule: nothing was sent */
#define FETCH_EXIT_SETUP 3       /* its caller was already gone, or libcurl would not start */
#define FETCH_EXIT_IO 4          /* a pipe failed or memory ran out */

/* The helper's first argument: "--caller-pid=" and the pid of the process that started it (and
 * holds its pipes); it exits when its parent is not that process. */
#define FETCH_CALLER_ARG "--caller-pid="

/* With cafile set, the caller opens and checks the CA file once (safe_file_open_trusted) and
 * starts the helper with that descriptor as FETCH_CA_FD and FETCH_CA_ARG as its second
 * argument; the helper hands libcurl FETCH_CA_PROC, a magic link that reopens the very file
 * behind the descriptor, never the name. The path itself never crosses the wire. */
#define FETCH_CA_FD 3
#define FETCH_CA_ARG "--cafile-fd=3"
#define FETCH_CA_PROC "/proc/self/fd/3"

enum fetch_wire_kind { FETCH_WIRE_REQUEST, FETCH_WIRE_REPLY };

/* A decoded request; every string is a NUL-terminated copy in storage. */
struct fetch_wire_request {
    struct http_request req; /* helper and cafile are NULL; max_body and timeout_ms are set */
    const char *headers[FETCH_WIRE_MAX_HEADERS + 1];
    char *storage;
    size_t storage_len;
};

struct fetch_wire_reply {
    enum http_result result;
    long status;                          /* 0 to 999; 0 when no response was received */
    char *body;                           /* only with HTTP_OK: NUL-terminated, may hold NULs */
    size_t body_len;                      /* at most the request's max_body */
    char error[FETCH_WIRE_MAX_ERROR + 1]; /* "" with HTTP_OK; printable otherwise */
};

/* Append req as one request frame to frame (all but helper and cafile: see FETCH_CA_FD).
 * False, with the reason in err and frame unchanged in length, when req breaks a rule the
 * decoder enforces (method, scheme, sizes, control characters) or memory runs out. max_body 0
 * means HTTP_MAX_BODY. */
bool fetch_wire_encode_request(const struct http_request *req, struct strbuf *frame, char *err,
                               size_t errlen);

/* Check a frame head of kind; on success *payload_len is the payload's length, at most
 * max_payload. */
bool fetch_wire_head_parse(const unsigned char *head, enum fetch_wire_kind kind, size_t max_payload,
                           size_t *payload_len, char *err, size_t errlen);

/* Decode a request payload (what follows the head). False, with the reason in err and out
 * left empty, on anything the encoder would not write. */
bool fetch_wire_decode_request(const unsigned char *payload, size_t len,
                               struct fetch_wire_request *out, char *err, size_t errlen);

/* Wipe (it held the token) and free a decoded request; safe on a zeroed one. */
void fetch_wire_request_free(struct fetch_wire_request *r);

/* Append reply as one reply frame to frame; false when out of memory or the reply breaks a
 * rule the decoder enforces. */
bool fetch_wire_encode_reply(const struct fetch_wire_reply *reply, struct strbuf *frame);

/* The largest body a reply to req can bring: max_body (0: HTTP_MAX_BODY) when raw; the answer
 * text of such a body, which escaping can make up to three times as long, when parsed. */
size_t fetch_wire_reply_body_max(const struct http_request *req);

/* The largest reply payload a request with this max_body can bring. */
size_t fetch_wire_reply_max_payload(size_t max_body);

/* Decode a reply payload to a request whose fetch_wire_reply_body_max was max_body. False,
 * with the reason in err and out left empty, on anything the encoder would not write. */
bool fetch_wire_decode_reply(const unsigned char *payload, size_t len, size_t max_body,
                             struct fetch_wire_reply *out, char *err, size_t errlen);

/* Wipe (a token service reply carries a token) and free a decoded reply's body. */
void fetch_wire_reply_free(struct fetch_wire_reply *r);

#endif
