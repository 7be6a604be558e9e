/* Unit tests for common/fetch_wire.c: the frames between the module and scnet-quota-fetch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fetch_wire.h"

static const char *const headers[] = {"token: s3cr3t", "Accept: application/json", NULL};

static struct http_request sample(void)
{
    struct http_request req = {.method = "POST",
                               .url = "https://api.example:8443/ac/openapi/v2/tokens",
                               .headers = headers,
                               .body = "{\"a\":1}",
                               .timeout_ms = 3000,
                               .cafile = "/etc/ca.pem",
                               .proxy = "http://proxy:3128"};
    return req;
}

static void test_request_round_trip(void **state)
{
    struct http_request req = sample();
    struct strbuf frame = {0};
    struct fetch_wire_request out;
    size_t len;
    char err[256];

    assert_true(fetch_wire_encode_request(&req, &frame, err, sizeof(err)));
    assert_true(fetch_wire_head_parse((unsigned char *)frame.data, FETCH_WIRE_REQUEST,
                                      FETCH_WIRE_MAX_REQUEST, &len, err, sizeof(err)));
    assert_int_equal(len, frame.len - FETCH_WIRE_HEAD_LEN);
    assert_false(fetch_wire_head_parse((unsigned char *)frame.data, FETCH_WIRE_REPLY, 1 << 20, &len,
                                       err, sizeof(err)));
    assert_true(fetch_wire_decode_request((unsigned char *)frame.data + FETCH_WIRE_HEAD_LEN, len,
                                          &out, err, sizeof(err)));
    assert_string_equal(out.req.method, "POST");
    assert_string_equal(out.req.url, req.url);
    assert_string_equal(out.req.headers[0], "token: s3cr3t");
    assert_string_equal(out.req.headers[1], "Accept: application/json");
    assert_null(out.req.headers[2]);
    assert_string_equal(out.req.body, "{\"a\":1}");
    /* The CA file goes to the helper as a descriptor (FETCH_CA_FD), never as a name. */
    assert_null(out.req.cafile);
    assert_null(memmem(frame.data, frame.len, "ca.pem", strlen("ca.pem")));
    assert_string_equal(out.req.proxy, "http://proxy:3128");
    assert_int_equal(out.req.timeout_ms, 3000);
    assert_int_equal(out.req.max_body, HTTP_MAX_BODY);
    fetch_wire_request_free(&out);
    /* A truncated payload, and one byte of it changed into an unknown field type. */
    assert_false(fetch_wire_decode_request((unsigned char *)frame.data + FETCH_WIRE_HEAD_LEN,
                                           len - 1, &out, err, sizeof(err)));
    frame.data[FETCH_WIRE_HEAD_LEN] = 10;
    assert_false(fetch_wire_decode_request((unsigned char *)frame.data + FETCH_WIRE_HEAD_LEN, len,
                                           &out, err, sizeof(err)));
    /* Another version, the one that sent the cafile path included. */
    assert_int_equal(frame.data[4], FETCH_WIRE_VERSION);
    frame.data[4] = FETCH_WIRE_VERSION + 1;
    assert_false(fetch_wire_head_parse((unsigned char *)frame.data, FETCH_WIRE_REQUEST,
                                       FETCH_WIRE_MAX_REQUEST, &len, err, sizeof(err)));
    frame.data[4] = 1;
    assert_false(fetch_wire_head_parse((unsigned char *)frame.data, FETCH_WIRE_REQUEST,
                                       FETCH_WIRE_MAX_REQUEST, &len, err, sizeof(err)));
    strbuf_wipe(&frame);
}

static void test_encoder_refuses_bad_requests(void **state)
{
    const char *const crlf[] = {"token: a\r\nX-Evil: 1", NULL};
    const char *const no_colon[] = {"token", NULL};
    struct strbuf frame = {0};
    char err[256];
    struct http_request req = sample();

    req.method = "DELETE";
    assert_false(fetch_wire_encode_request(&req, &frame, err, sizeof(err)));
    req = sample();
    req.url = "ftp://api.example/";
    assert_false(fetch_wire_encode_request(&req, &frame, err, sizeof(err)));
    req = sample();
    req.headers = crlf;
    assert_false(fetch_wire_encode_request(&req, &frame, err, sizeof(err)));
    assert_null(strstr(err, "token")); /* a header is never echoed */
    req.headers = no_colon;
    assert_false(fetch_wire_encode_request(&req, &frame, err, sizeof(err)));
    req = sample();
    req.method = "GET"; /* a body with GET */
    assert_false(fetch_wire_encode_request(&req, &frame, err, sizeof(err)));
    req = sample();
    req.timeout_ms = 0;
    assert_false(fetch_wire_encode_request(&req, &frame, err, sizeof(err)));
    assert_int_equal(frame.len, 0);
    strbuf_wipe(&frame);
}

static void test_reply_round_trip_and_limits(void **state)
{
    struct fetch_wire_reply reply = {
        .result = HTTP_OK, .status = 200, .body = "a\0b", .body_len = 3};
    struct fetch_wire_reply bad = {.result = HTTP_TLS, .status = 0};
    struct fetch_wire_reply out;
    struct strbuf frame = {0};
    size_t len;
    char err[256];

    assert_true(fetch_wire_encode_reply(&reply, &frame));
    assert_true(fetch_wire_head_parse((unsigned char *)frame.data, FETCH_WIRE_REPLY,
                                      fetch_wire_reply_max_payload(3), &len, err, sizeof(err)));
    assert_true(fetch_wire_decode_reply((unsigned char *)frame.data + FETCH_WIRE_HEAD_LEN, len, 3,
                                        &out, err, sizeof(err)));
    assert_int_equal(out.result, HTTP_OK);
    assert_int_equal(out.status, 200);
    assert_int_equal(out.body_len, 3);
    assert_memory_equal(out.body, "a\0b", 4);
    fetch_wire_reply_free(&out);
    /* More body than the request allowed. */
    assert_false(fetch_wire_decode_reply((unsigned char *)frame.data + FETCH_WIRE_HEAD_LEN, len, 2,
                                         &out, err, sizeof(err)));
    assert_null(out.body);
    strbuf_wipe(&frame);

    snprintf(bad.error, sizeof(bad.error), "TLS failure: bad\nline");
    assert_false(fetch_wire_encode_reply(&bad, &frame)); /* control character */
    snprintf(bad.error, sizeof(bad.error), "TLS failure: unknown issuer");
    assert_true(fetch_wire_encode_reply(&bad, &frame));
    assert_true(fetch_wire_decode_reply((unsigned char *)frame.data + FETCH_WIRE_HEAD_LEN,
                                        frame.len - FETCH_WIRE_HEAD_LEN, 3, &out, err,
                                        sizeof(err)));
    assert_int_equal(out.result, HTTP_TLS);
    assert_string_equal(out.error, "TLS failure: unknown issuer");
    assert_null(out.body);
    fetch_wire_reply_free(&out);
    strbuf_wipe(&frame);
}

/* Wire 3: what the helper makes of the reply, and the cluster of a token pick. */
static struct fetch_wire_request decoded(const struct http_request *req, bool *ok)
{
    struct strbuf frame = {0};
    struct fetch_wire_request out;
    char err[256];

    assert_true(fetch_wire_encode_request(req, &frame, err, sizeof(err)));
    *ok = fetch_wire_decode_request((unsigned char *)frame.data + FETCH_WIRE_HEAD_LEN,
                                    frame.len - FETCH_WIRE_HEAD_LEN, &out, err, sizeof(err));
    strbuf_wipe(&frame);
    return out;
}

static void test_answer_kind_round_trip_and_rules(void **state)
{
    struct http_request req = sample();
    struct fetch_wire_request out;
    struct strbuf frame = {0};
    char err[256];
    bool ok;
    size_t at;

    out = decoded(&req, &ok);
    assert_true(ok);
    assert_int_equal(out.req.answer, HTTP_ANSWER_RAW);
    assert_null(out.req.cluster);
    fetch_wire_request_free(&out);
    req.answer = HTTP_ANSWER_QUOTA;
    out = decoded(&req, &ok);
    assert_true(ok);
    assert_int_equal(out.req.answer, HTTP_ANSWER_QUOTA);
    fetch_wire_request_free(&out);
    req.answer = HTTP_ANSWER_TOKEN;
    req.cluster = "hefei";
    out = decoded(&req, &ok);
    assert_true(ok);
    assert_int_equal(out.req.answer, HTTP_ANSWER_TOKEN);
    assert_string_equal(out.req.cluster, "hefei");
    fetch_wire_request_free(&out);
    req.cluster = ""; /* the first region: no field */
    out = decoded(&req, &ok);
    assert_true(ok);
    assert_null(out.req.cluster);
    fetch_wire_request_free(&out);

    /* The encoder refuses a cluster without a token pick, a control character, a kind it
     * does not know. */
    req.cluster = "hefei";
    req.answer = HTTP_ANSWER_QUOTA;
    assert_false(fetch_wire_encode_request(&req, &frame, err, sizeof(err)));
    req.answer = HTTP_ANSWER_TOKEN;
    req.cluster = "he\nfei";
    assert_false(fetch_wire_encode_request(&req, &frame, err, sizeof(err)));
    req.cluster = NULL;
    req.answer = (enum http_answer)3;
    assert_false(fetch_wire_encode_request(&req, &frame, err, sizeof(err)));
    assert_int_equal(frame.len, 0);

    /* The decoder: a cluster whose kind says quota; a kind byte of 0 (raw is said by leaving
     * the field out) or 3. The kind byte is the one before the cluster field's head. */
    req.answer = HTTP_ANSWER_TOKEN;
    req.cluster = "hefei";
    assert_true(fetch_wire_encode_request(&req, &frame, err, sizeof(err)));
    at = frame.len - (5 + strlen("hefei")) - 1;
    assert_int_equal(frame.data[at], HTTP_ANSWER_TOKEN);
    for (int kind = 0; kind <= 3; kind++) {
        frame.data[at] = (char)kind;
        ok = fetch_wire_decode_request((unsigned char *)frame.data + FETCH_WIRE_HEAD_LEN,
                                       frame.len - FETCH_WIRE_HEAD_LEN, &out, err, sizeof(err));
        assert_int_equal(ok, kind == HTTP_ANSWER_TOKEN);
        fetch_wire_request_free(&out);
    }
    strbuf_wipe(&frame);

    /* A parsed answer may be longer than the body it came from (escaping). */
    req = sample();
    assert_int_equal(fetch_wire_reply_body_max(&req), HTTP_MAX_BODY);
    req.answer = HTTP_ANSWER_QUOTA;
    assert_true(fetch_wire_reply_body_max(&req) >= 3 * HTTP_MAX_BODY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_round_trip),
        cmocka_unit_test(test_encoder_refuses_bad_requests),
        cmocka_unit_test(test_reply_round_trip_and_limits),
        cmocka_unit_test(test_answer_kind_round_trip_and_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
