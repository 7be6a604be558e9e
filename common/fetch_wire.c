/* The frames between the module and scnet-quota-fetch: see fetch_wire.h. */
#include "fetch_wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compat.h"
#include "log.h"

#define MAGIC_REQUEST "SQFQ"
#define MAGIC_REPLY "SQFR"
#define FIELD_HEAD_LEN 5 /* type byte + 4-byte length */

/* Request fields, in the order they must come. */
enum {
    REQ_METHOD = 1,
    REQ_URL = 2,
    REQ_TIMEOUT_MS = 3,
    REQ_MAX_BODY = 4,
    REQ_HEADER = 5, /* repeated, at most FETCH_WIRE_MAX_HEADERS */
    REQ_BODY = 6,   /* POST only */
    REQ_PROXY = 7,
    REQ_ANSWER = 8,  /* one byte: enum http_answer, left out for HTTP_ANSWER_RAW */
    REQ_CLUSTER = 9, /* HTTP_ANSWER_TOKEN only, left out when NULL or "" */
};

/* Reply fields, in the order they must come. */
enum {
    REP_RESULT = 1, /* one byte: enum http_result */
    REP_STATUS = 2,
    REP_BODY = 3,  /* with HTTP_OK only, and then always */
    REP_ERROR = 4, /* never with HTTP_OK */
};

/* What a string field may hold, beyond "no NUL". */
enum text_rule {
    TEXT_ANY,       /* a POST body: anything but NUL */
    TEXT_PRINTABLE, /* no C0 control, no DEL (bytes >= 0x80 are fine) */
    TEXT_HEADER,    /* printable or tab, with a ':' after a non-empty name */
    TEXT_URL,       /* http:// or https://, visible ASCII only */
};

static void put_u32(struct strbuf *sb, uint32_t value)
{
    char bytes[4] = {(char)(value >> 24), (char)(value >> 16), (char)(value >> 8), (char)value};

    strbuf_append(sb, bytes, sizeof(bytes));
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void put_field(struct strbuf *sb, unsigned type, const void *data, size_t len)
{
    char t = (char)type;

    strbuf_append(sb, &t, 1);
    put_u32(sb, (uint32_t)len);
    strbuf_append(sb, data, len);
}

static void put_number(struct strbuf *sb, unsigned type, uint32_t value)
{
    char t = (char)type;

    strbuf_append(sb, &t, 1);
    put_u32(sb, 4);
    put_u32(sb, value);
}

static bool has_scheme(const char *s, size_t len, const char *scheme)
{
    size_t n = strlen(scheme);

    return len > n && strncasecmp(s, scheme, n) == 0;
}

static bool text_ok(const char *s, size_t len, enum text_rule rule)
{
    bool colon = false;

    if (memchr(s, '\0', len) != NULL)
        return false;
    if (rule == TEXT_ANY)
        return true;
    if (rule == TEXT_URL && !has_scheme(s, len, "http://") && !has_scheme(s, len, "https://"))
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (rule == TEXT_URL && (c <= 0x20 || c >= 0x7f))
            return false;
        if (c == 0x7f || (c < 0x20 && !(rule == TEXT_HEADER && c == '\t')))
            return false;
        if (rule == TEXT_HEADER && c == ':' && i > 0)
            colon = true;
    }
    return rule != TEXT_HEADER || colon;
}

static bool method_ok(const char *s, size_t len)
{
    return (len == 3 && memcmp(s, "GET", 3) == 0) || (len == 4 && memcmp(s, "POST", 4) == 0);
}

/* The checks the decoder makes, made before anything is written. */
static bool request_ok(const struct http_request *req, size_t max_body, char *err, size_t errlen)
{
    size_t n = 0;

    if (req->method == NULL || !method_ok(req->method, strlen(req->method))) {
        error_set(err, errlen, "unsupported request: method must be GET or POST");
        return false;
    }
    if (req->url == NULL || strlen(req->url) > FETCH_WIRE_MAX_URL ||
        !text_ok(req->url, strlen(req->url), TEXT_URL)) {
        error_set(err, errlen, "unsupported request: only http:// and https:// URLs");
        return false;
    }
    if (req->timeout_ms <= 0 || req->timeout_ms > FETCH_WIRE_MAX_TIMEOUT_MS ||
        max_body > FETCH_WIRE_MAX_REPLY_BODY) {
        error_set(err, errlen, "unsupported request: timeout or reply size out of range");
        return false;
    }
    for (; req->headers != NULL && req->headers[n] != NULL; n++) {
        const char *h = req->headers[n];

        if (n == FETCH_WIRE_MAX_HEADERS || strlen(h) > FETCH_WIRE_MAX_HEADER ||
            !text_ok(h, strlen(h), TEXT_HEADER)) {
            /* Not echoed: a header may hold the token. */
            error_set(err, errlen, "unsupported request: header %zu is not a header line", n);
            return false;
        }
    }
    if (req->body != NULL &&
        (strcmp(req->method, "POST") != 0 || strlen(req->body) > FETCH_WIRE_MAX_REQUEST_BODY)) {
        error_set(err, errlen, "unsupported request: body too large or not a POST");
        return false;
    }
    if (req->proxy != NULL && (strlen(req->proxy) > FETCH_WIRE_MAX_URL ||
                               !text_ok(req->proxy, strlen(req->proxy), TEXT_PRINTABLE))) {
        error_set(err, errlen, "unsupported request: proxy holds control characters");
        return false;
    }
    if ((unsigned)req->answer > HTTP_ANSWER_TOKEN ||
        (req->cluster != NULL && req->cluster[0] != '\0' &&
         (req->answer != HTTP_ANSWER_TOKEN || strlen(req->cluster) > FETCH_WIRE_MAX_CLUSTER ||
          !text_ok(req->cluster, strlen(req->cluster), TEXT_PRINTABLE)))) {
        error_set(err, errlen, "unsupported request: what to make of the reply, or its cluster");
        return false;
    }
    return true;
}

bool fetch_wire_encode_request(const struct http_request *req, struct strbuf *frame, char *err,
                               size_t errlen)
{
    size_t max_body = req->max_body != 0 ? req->max_body : HTTP_MAX_BODY;
    size_t start = frame->len, payload;

    if (!request_ok(req, max_body, err, errlen))
        return false;
    strbuf_append(frame, MAGIC_REQUEST, 4);
    strbuf_append(frame, (const char[]){FETCH_WIRE_VERSION}, 1);
    put_u32(frame, 0); /* the length, filled in below */
    put_field(frame, REQ_METHOD, req->method, strlen(req->method));
    put_field(frame, REQ_URL, req->url, strlen(req->url));
    put_number(frame, REQ_TIMEOUT_MS, (uint32_t)req->timeout_ms);
    put_number(frame, REQ_MAX_BODY, (uint32_t)max_body);
    for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
        put_field(frame, REQ_HEADER, req->headers[i], strlen(req->headers[i]));
    if (req->body != NULL)
        put_field(frame, REQ_BODY, req->body, strlen(req->body));
    if (req->proxy != NULL)
        put_field(frame, REQ_PROXY, req->proxy, strlen(req->proxy));
    if (req->answer != HTTP_ANSWER_RAW)
        put_field(frame, REQ_ANSWER, (const char[]){(char)req->answer}, 1);
    if (req->cluster != NULL && req->cluster[0] != '\0')
        put_field(frame, REQ_CLUSTER, req->cluster, strlen(req->cluster));
    if (frame->failed) {
        error_set(err, errlen, "out of memory for the request");
        return false;
    }
    payload = frame->len - start - FETCH_WIRE_HEAD_LEN;
    for (int i = 0; i < 4; i++)
        frame->data[start + 5 + (size_t)i] = (char)(payload >> (24 - 8 * i));
    return true;
}

bool fetch_wire_head_parse(const unsigned char *head, enum fetch_wire_kind kind, size_t max_payload,
                           size_t *payload_len, char *err, size_t errlen)
{
    const char *magic = kind == FETCH_WIRE_REQUEST ? MAGIC_REQUEST : MAGIC_REPLY;
    uint32_t len;

    if (memcmp(head, magic, 4) != 0) {
        error_set(err, errlen, "not a %s frame", kind == FETCH_WIRE_REQUEST ? "request" : "reply");
        return false;
    }
    if (head[4] != FETCH_WIRE_VERSION) {
        error_set(err, errlen, "wire version %u, expected %d", head[4], FETCH_WIRE_VERSION);
        return false;
    }
    len = get_u32(head + 5);
    if (len > max_payload) {
        error_set(err, errlen, "frame of %lu bytes, more than %zu", (unsigned long)len,
                  max_payload);
        return false;
    }
    *payload_len = len;
    return true;
}

/* Walks the fields of a payload in order. */
struct field_reader {
    const unsigned char *p;
    size_t left;
    unsigned last_type;
};

/* The next field; false at the end of the payload or on a broken field (then *broken is
 * set and the reason is in err). */
static bool next_field(struct field_reader *r, unsigned repeatable, unsigned *type,
                       const char **data, size_t *len, bool *broken, char *err, size_t errlen)
{
    uint32_t n;

    if (r->left == 0)
        return false;
    *broken = true;
    if (r->left < FIELD_HEAD_LEN) {
        error_set(err, errlen, "truncated field");
        return false;
    }
    *type = r->p[0];
    n = get_u32(r->p + 1);
    if (n > r->left - FIELD_HEAD_LEN) {
        error_set(err, errlen, "field %u runs past the frame", *type);
        return false;
    }
    if (*type < r->last_type || (*type == r->last_type && *type != repeatable)) {
        error_set(err, errlen, "field %u out of order or repeated", *type);
        return false;
    }
    r->last_type = *type;
    *data = (const char *)r->p + FIELD_HEAD_LEN;
    *len = n;
    r->p += FIELD_HEAD_LEN + n;
    r->left -= FIELD_HEAD_LEN + n;
    *broken = false;
    return true;
}

static bool number_field(const char *data, size_t len, uint32_t min, uint32_t max, uint32_t *value)
{
    if (len != 4)
        return false;
    *value = get_u32((const unsigned char *)data);
    return *value >= min && *value <= max;
}

/* Copy a checked string into storage; returns the copy. */
static const char *keep(char **cursor, const char *data, size_t len)
{
    char *copy = *cursor;

    memcpy(copy, data, len);
    copy[len] = '\0';
    *cursor += len + 1;
    return copy;
}

static size_t string_limit(unsigned type, enum text_rule *rule)
{
    switch (type) {
    case REQ_METHOD:
        *rule = TEXT_PRINTABLE;
        return 4;
    case REQ_URL:
        *rule = TEXT_URL;
        return FETCH_WIRE_MAX_URL;
    case REQ_HEADER:
        *rule = TEXT_HEADER;
        return FETCH_WIRE_MAX_HEADER;
    case REQ_BODY:
        *rule = TEXT_ANY;
        return FETCH_WIRE_MAX_REQUEST_BODY;
    case REQ_CLUSTER:
        *rule = TEXT_PRINTABLE;
        return FETCH_WIRE_MAX_CLUSTER;
    default: /* REQ_PROXY */
        *rule = TEXT_PRINTABLE;
        return FETCH_WIRE_MAX_URL;
    }
}

static bool decode_request_fields(struct field_reader *r, struct fetch_wire_request *out, char *err,
                                  size_t errlen)
{
    struct http_request *req = &out->req;
    char *cursor = out->storage;
    size_t n_headers = 0;
    unsigned type;
    const char *data;
    size_t len;
    uint32_t number;
    enum text_rule rule;

    bool broken = false;

    while (next_field(r, REQ_HEADER, &type, &data, &len, &broken, err, errlen)) {
        if (type == REQ_TIMEOUT_MS || type == REQ_MAX_BODY) {
            bool timeout = type == REQ_TIMEOUT_MS;

            if (!number_field(data, len, 1,
                              timeout ? FETCH_WIRE_MAX_TIMEOUT_MS : FETCH_WIRE_MAX_REPLY_BODY,
                              &number)) {
                error_set(err, errlen, "%s out of range", timeout ? "timeout" : "max_body");
                return false;
            }
            if (timeout)
                req->timeout_ms = (long)number;
            else
                req->max_body = number;
            continue;
        }
        if (type == REQ_ANSWER) {
            /* Raw is said by leaving the field out. */
            if (len != 1 || data[0] < HTTP_ANSWER_QUOTA || data[0] > HTTP_ANSWER_TOKEN) {
                error_set(err, errlen, "unknown answer kind");
                return false;
            }
            req->answer = (enum http_answer)data[0];
            continue;
        }
        if (type < REQ_METHOD || type > REQ_CLUSTER) {
            error_set(err, errlen, "unknown request field %u", type);
            return false;
        }
        if (len > string_limit(type, &rule) || !text_ok(data, len, rule) ||
            (type == REQ_METHOD && !method_ok(data, len))) {
            error_set(err, errlen, "request field %u is not valid", type);
            return false;
        }
        if (len == 0 && type == REQ_CLUSTER) {
            error_set(err, errlen, "empty cluster");
            return false;
        }
        if (type == REQ_HEADER && n_headers == FETCH_WIRE_MAX_HEADERS) {
            error_set(err, errlen, "more than %d headers", FETCH_WIRE_MAX_HEADERS);
            return false;
        }
        data = keep(&cursor, data, len);
        if (type == REQ_METHOD)
            req->method = data;
        else if (type == REQ_URL)
            req->url = data;
        else if (type == REQ_HEADER)
            out->headers[n_headers++] = data;
        else if (type == REQ_BODY)
            req->body = data;
        else if (type == REQ_PROXY)
            req->proxy = data;
        else
            req->cluster = data;
    }
    if (broken)
        return false;
    if (req->method == NULL || req->url == NULL || req->timeout_ms == 0 || req->max_body == 0) {
        error_set(err, errlen, "request lacks a method, URL, timeout or max_body");
        return false;
    }
    if (req->body != NULL && strcmp(req->method, "POST") != 0) {
        error_set(err, errlen, "a body with GET");
        return false;
    }
    if (req->cluster != NULL && req->answer != HTTP_ANSWER_TOKEN) {
        error_set(err, errlen, "a cluster without a token answer");
        return false;
    }
    out->headers[n_headers] = NULL;
    req->headers = out->headers;
    return true;
}

bool fetch_wire_decode_request(const unsigned char *payload, size_t len,
                               struct fetch_wire_request *out, char *err, size_t errlen)
{
    struct field_reader r = {.p = payload, .left = len, .last_type = 0};
    bool ok;

    memset(out, 0, sizeof(*out));
    if (len > FETCH_WIRE_MAX_REQUEST) {
        error_set(err, errlen, "request larger than %d bytes", FETCH_WIRE_MAX_REQUEST);
        return false;
    }
    /* Each string is shorter than its field head, so payload bytes plus one NUL each fit. */
    out->storage_len = len + 1;
    out->storage = malloc(out->storage_len);
    if (out->storage == NULL) {
        error_set(err, errlen, "out of memory");
        return false;
    }
    ok = decode_request_fields(&r, out, err, errlen);
    if (!ok)
        fetch_wire_request_free(out);
    return ok;
}

void fetch_wire_request_free(struct fetch_wire_request *r)
{
    if (r == NULL)
        return;
    if (r->storage != NULL) {
        explicit_bzero(r->storage, r->storage_len);
        free(r->storage);
    }
    memset(r, 0, sizeof(*r));
}

static bool reply_ok(const struct fetch_wire_reply *reply)
{
    size_t error_len = strlen(reply->error);

    if ((unsigned)reply->result > HTTP_FAILED || reply->status < 0 || reply->status > 999)
        return false;
    if (reply->result == HTTP_OK)
        return reply->body != NULL && reply->body_len <= 3 * FETCH_WIRE_MAX_REPLY_BODY + 16384 &&
               error_len == 0;
    return error_len <= FETCH_WIRE_MAX_ERROR && text_ok(reply->error, error_len, TEXT_PRINTABLE);
}

bool fetch_wire_encode_reply(const struct fetch_wire_reply *reply, struct strbuf *frame)
{
    size_t start = frame->len, payload;
    char result = (char)reply->result;

    if (!reply_ok(reply))
        return false;
    strbuf_append(frame, MAGIC_REPLY, 4);
    strbuf_append(frame, (const char[]){FETCH_WIRE_VERSION}, 1);
    put_u32(frame, 0);
    put_field(frame, REP_RESULT, &result, 1);
    put_number(frame, REP_STATUS, (uint32_t)reply->status);
    if (reply->result == HTTP_OK)
        put_field(frame, REP_BODY, reply->body, reply->body_len);
    else if (reply->error[0] != '\0')
        put_field(frame, REP_ERROR, reply->error, strlen(reply->error));
    if (frame->failed)
        return false;
    payload = frame->len - start - FETCH_WIRE_HEAD_LEN;
    for (int i = 0; i < 4; i++)
        frame->data[start + 5 + (size_t)i] = (char)(payload >> (24 - 8 * i));
    return true;
}

size_t fetch_wire_reply_body_max(const struct http_request *req)
{
    size_t max_body = req->max_body != 0 ? req->max_body : HTTP_MAX_BODY;

    /* Every byte of the body's strings escaped (%XX), plus each line's fixed part. */
    return req->answer == HTTP_ANSWER_RAW ? max_body : 3 * max_body + 16384;
}

size_t fetch_wire_reply_max_payload(size_t max_body)
{
    return 4 * FIELD_HEAD_LEN + 1 + 4 + max_body + FETCH_WIRE_MAX_ERROR;
}

static bool decode_reply_fields(struct field_reader *r, size_t max_body,
                                struct fetch_wire_reply *out, char *err, size_t errlen)
{
    unsigned type;
    const char *data;
    size_t len;
    uint32_t number;
    bool have_result = false, have_status = false;

    bool broken = false;

    while (next_field(r, 0, &type, &data, &len, &broken, err, errlen)) {
        if (type == REP_RESULT) {
            if (len != 1 || (unsigned char)data[0] > HTTP_FAILED) {
                error_set(err, errlen, "unknown result class");
                return false;
            }
            out->result = (enum http_result)(unsigned char)data[0];
            have_result = true;
        } else if (type == REP_STATUS) {
            if (!number_field(data, len, 0, 999, &number)) {
                error_set(err, errlen, "HTTP status out of range");
                return false;
            }
            out->status = (long)number;
            have_status = true;
        } else if (type == REP_BODY) {
            if (len > max_body || !have_result || out->result != HTTP_OK) {
                error_set(err, errlen, "reply body too large or without success");
                return false;
            }
            out->body = malloc(len + 1);
            if (out->body == NULL) {
                error_set(err, errlen, "out of memory for the reply");
                return false;
            }
            memcpy(out->body, data, len);
            out->body[len] = '\0';
            out->body_len = len;
        } else if (type == REP_ERROR) {
            /* Never empty: the encoder leaves an empty text out. */
            if (len == 0 || len > FETCH_WIRE_MAX_ERROR || !text_ok(data, len, TEXT_PRINTABLE) ||
                out->result == HTTP_OK) {
                error_set(err, errlen, "error text not valid");
                return false;
            }
            memcpy(out->error, data, len);
            out->error[len] = '\0';
        } else {
            error_set(err, errlen, "unknown reply field %u", type);
            return false;
        }
    }
    if (broken)
        return false;
    if (!have_result || !have_status || (out->result == HTTP_OK && out->body == NULL)) {
        error_set(err, errlen, "reply lacks its result, status or body");
        return false;
    }
    return true;
}

bool fetch_wire_decode_reply(const unsigned char *payload, size_t len, size_t max_body,
                             struct fetch_wire_reply *out, char *err, size_t errlen)
{
    struct field_reader r = {.p = payload, .left = len, .last_type = 0};
    bool ok;

    memset(out, 0, sizeof(*out));
    ok = decode_reply_fields(&r, max_body, out, err, errlen);
    if (!ok)
        fetch_wire_reply_free(out);
    return ok;
}

void fetch_wire_reply_free(struct fetch_wire_reply *r)
{
    if (r == NULL)
        return;
    if (r->body != NULL) {
        explicit_bzero(r->body, r->body_len);
        free(r->body);
    }
    memset(r, 0, sizeof(*r));
}
