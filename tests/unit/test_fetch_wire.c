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
    frame.data[FETCH_WIRE_HEAD_LEN] = 9;
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_round_trip),
        cmocka_unit_test(test_encoder_refuses_bad_requests),
        cmocka_unit_test(test_reply_round_trip_and_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
