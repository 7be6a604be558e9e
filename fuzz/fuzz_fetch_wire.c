/* libFuzzer harness: the frames between the module and scnet-quota-fetch (common/fetch_wire.c).
 * The helper runs as root and decodes whatever its stdin brings; the module decodes what the
 * helper (which talked to the network) sends back. The input is a whole frame: its head is
 * checked as a request and as a reply head, and the rest is decoded as both payloads.
 * Whatever decodes must encode back to exactly the same bytes (the format has one spelling),
 * and every decoded string must keep the rules the decoder promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fetch_wire.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request(const struct fetch_wire_request *r)
{
    const struct http_request *req = &r->req;
    size_t n = 0;

    FUZZ_ASSERT(strcmp(req->method, "GET") == 0 || strcmp(req->method, "POST") == 0);
    FUZZ_ASSERT(strncasecmp(req->url, "http://", 7) == 0 ||
                strncasecmp(req->url, "https://", 8) == 0);
    fuzz_check_no_c0(req->url, false);
    FUZZ_ASSERT(req->timeout_ms > 0 && req->timeout_ms <= FETCH_WIRE_MAX_TIMEOUT_MS);
    FUZZ_ASSERT(req->max_body > 0 && req->max_body <= FETCH_WIRE_MAX_REPLY_BODY);
    for (; req->headers[n] != NULL; n++) {
        FUZZ_ASSERT(strchr(req->headers[n], '\n') == NULL && strchr(req->headers[n], '\r') == NULL);
        FUZZ_ASSERT(strchr(req->headers[n], ':') != NULL);
    }
    FUZZ_ASSERT(n <= FETCH_WIRE_MAX_HEADERS);
    FUZZ_ASSERT(req->body == NULL || strcmp(req->method, "POST") == 0);
    FUZZ_ASSERT(req->cafile == NULL); /* a descriptor, never a name on the wire */
    if (req->proxy != NULL)
        fuzz_check_no_c0(req->proxy, false);
    FUZZ_ASSERT(req->answer <= HTTP_ANSWER_TOKEN);
    if (req->cluster != NULL) {
        FUZZ_ASSERT(req->answer == HTTP_ANSWER_TOKEN && req->cluster[0] != '\0');
        FUZZ_ASSERT(strlen(req->cluster) <= FETCH_WIRE_MAX_CLUSTER);
        fuzz_check_no_c0(req->cluster, false);
    }
}

static void round_trip_request(const uint8_t *payload, size_t len)
{
    struct fetch_wire_request r;
    struct strbuf frame = {0};
    char err[256];

    if (!fetch_wire_decode_request(payload, len, &r, err, sizeof(err))) {
        fuzz_check_terminated(err, sizeof(err));
        fuzz_check_no_c0(err, false);
        return;
    }
    check_request(&r);
    FUZZ_ASSERT(fetch_wire_encode_request(&r.req, &frame, err, sizeof(err)));
    FUZZ_ASSERT(frame.len == FETCH_WIRE_HEAD_LEN + len);
    FUZZ_ASSERT(memcmp(frame.data + FETCH_WIRE_HEAD_LEN, payload, len) == 0);
    strbuf_wipe(&frame);
    fetch_wire_request_free(&r);
}

static void round_trip_reply(const uint8_t *payload, size_t len)
{
    struct fetch_wire_reply r;
    struct strbuf frame = {0};
    char err[256];

    if (!fetch_wire_decode_reply(payload, len, HTTP_MAX_BODY, &r, err, sizeof(err))) {
        fuzz_check_terminated(err, sizeof(err));
        return;
    }
    FUZZ_ASSERT(r.result <= HTTP_FAILED && r.status >= 0 && r.status <= 999);
    FUZZ_ASSERT((r.result == HTTP_OK) == (r.body != NULL));
    FUZZ_ASSERT(r.body_len <= HTTP_MAX_BODY);
    fuzz_check_no_c0(r.error, false);
    FUZZ_ASSERT(fetch_wire_encode_reply(&r, &frame));
    FUZZ_ASSERT(frame.len == FETCH_WIRE_HEAD_LEN + len);
    FUZZ_ASSERT(memcmp(frame.data + FETCH_WIRE_HEAD_LEN, payload, len) == 0);
    strbuf_wipe(&frame);
    fetch_wire_reply_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t len;
    char err[256];

    if (size < FETCH_WIRE_HEAD_LEN)
        return 0;
    if (fetch_wire_head_parse(data, FETCH_WIRE_REQUEST, FETCH_WIRE_MAX_REQUEST, &len, err,
                              sizeof(err)))
        round_trip_request(data + FETCH_WIRE_HEAD_LEN, size - FETCH_WIRE_HEAD_LEN);
    if (fetch_wire_head_parse(data, FETCH_WIRE_REPLY, fetch_wire_reply_max_payload(HTTP_MAX_BODY),
                              &len, err, sizeof(err)))
        round_trip_reply(data + FETCH_WIRE_HEAD_LEN, size - FETCH_WIRE_HEAD_LEN);
    return 0;
}
