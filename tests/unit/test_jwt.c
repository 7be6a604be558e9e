/* Unit tests for common/jwt.c: reading expireTime from SCNet tokens, malformed ones too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jwt.h"
#include "unit_support.h"

#define HEADER "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" /* {"alg":"HS256","typ":"JWT"} */
#define SIG "c2lnbmF0dXJlLW5vdC1jaGVja2Vk"

/* HEADER.<payload json>.SIG */
static char *jwt_with(const char *payload_json)
{
    char *payload = unit_b64url(payload_json), *tok;
    size_t n = strlen(HEADER) + strlen(payload) + strlen(SIG) + 3;
    tok = malloc(n);
    assert_non_null(tok);
    snprintf(tok, n, "%s.%s.%s", HEADER, payload, SIG);
    free(payload);
    return tok;
}

static void assert_expire(const char *token, int64_t want)
{
    int64_t ms = -1;
    char why[128] = "untouched";
    assert_true(jwt_expire_ms(token, &ms, why, sizeof(why)));
    assert_int_equal(ms, want);
}

static void assert_no_expire(const char *token, const char *reason)
{
    int64_t ms = -1;
    char why[128] = "untouched";
    assert_false(jwt_expire_ms(token, &ms, why, sizeof(why)));
    assert_int_equal(ms, 0);
    assert_string_equal(why, reason);
}

static void assert_payload_expire(const char *json, int64_t want)
{
    char *tok = jwt_with(json);
    assert_expire(tok, want);
    free(tok);
}

static void assert_payload_refused(const char *json, const char *reason)
{
    char *tok = jwt_with(json);
    assert_no_expire(tok, reason);
    free(tok);
}

/* Made with Python's base64.urlsafe_b64encode, like the simulator's tokens. */
static void test_token_from_python(void **state)
{
    assert_expire(HEADER ".eyJ1c2VyIjoib3AiLCJjbHVzdGVySWQiOiIxMTI1MCIsImV4cGlyZVRpbWUiOjE3MzI3"
                         "NDM2MDAwMDAsImp0aSI6ImFiIn0." SIG,
                  1732743600000LL);
}

/* Payloads whose encoding holds '-' and '_' (the url-safe characters) and every tail length. */
static void test_url_safe_alphabet_and_tails(void **state)
{
    assert_expire(HEADER ".eyJleHBpcmVUaW1lIjoxNzMyNzQzNjAwMDAwLCJuIjoiPz8-Pn5-In0." SIG,
                  1732743600000LL);
    assert_expire(HEADER ".eyJleHBpcmVUaW1lIjoxNzMyNzQzNjAwMDAwLCJuIjoifn5-PyJ9." SIG,
                  1732743600000LL);
    assert_expire(HEADER ".eyJleHBpcmVUaW1lIjoxNzMyNzQzNjAwMDAwLCJuIjoi-_8ifQ." SIG,
                  1732743600000LL);
    assert_payload_expire("{\"expireTime\":1}", 1);
    assert_payload_expire("{\"expireTime\":12}", 12);
    assert_payload_expire("{\"expireTime\":123}", 123);
}

static void test_expire_as_digit_string(void **state)
{
    assert_payload_expire("{\"expireTime\":\"1732743600000\"}", 1732743600000LL);
}

static void test_other_claims_ignored(void **state)
{
    assert_payload_expire("{\"user\":\"op\",\"nested\":{\"expireTime\":5},\"expireTime\":"
                          "1732743600000,\"list\":[1,2,3]}",
                          1732743600000LL);
}

static void test_largest_and_exponent_forms(void **state)
{
    assert_payload_expire("{\"expireTime\":1000000000000000}", 1000000000000000LL);
    assert_payload_expire("{\"expireTime\":\"1000000000000000\"}", 1000000000000000LL);
    assert_payload_expire("{\"expireTime\":1.7327436e12}", 1732743600000LL);
}

static void test_no_expire_time(void **state)
{
    assert_payload_refused("{\"user\":\"op\",\"clusterId\":\"11250\"}", "JWT has no expireTime");
    assert_payload_refused("{}", "JWT has no expireTime");
    /* The claim name is case-sensitive. */
    assert_payload_refused("{\"expiretime\":1732743600000}", "JWT has no expireTime");
}

static void test_bad_expire_values(void **state)
{
    static const char *const payloads[] = {
        "{\"expireTime\":null}",
        "{\"expireTime\":true}",
        "{\"expireTime\":[1732743600000]}",
        "{\"expireTime\":{}}",
        "{\"expireTime\":0}",
        "{\"expireTime\":-1732743600000}",
        "{\"expireTime\":1732743600000.5}",
        "{\"expireTime\":\"\"}",
        "{\"expireTime\":\"soon\"}",
        "{\"expireTime\":\" 1732743600000\"}",
        "{\"expireTime\":\"-1\"}",
        "{\"expireTime\":\"1e12\"}",
        "{\"expireTime\":\"17327436000000000\"}",
        /* huge numbers */
        "{\"expireTime\":1000000000000001}",
        "{\"expireTime\":\"1000000000000001\"}",
        "{\"expireTime\":9007199254740993}",
        "{\"expireTime\":1e300}",
        "{\"expireTime\":1e400}",
        "{\"expireTime\":99999999999999999999999999999999}",
    };
    for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++)
        assert_payload_refused(payloads[i], "JWT expireTime is not a whole number of milliseconds");
}

static void test_not_three_parts(void **state)
{
    assert_no_expire("", "not a JWT (three dot-separated parts)");
    assert_no_expire("sim-static-token", "not a JWT (three dot-separated parts)");
    assert_no_expire(HEADER ".eyJleHBpcmVUaW1lIjoxfQ", "not a JWT (three dot-separated parts)");
    assert_no_expire(HEADER ".eyJleHBpcmVUaW1lIjoxfQ." SIG ".extra",
                     "not a JWT (three dot-separated parts)");
    assert_no_expire("..", "not a JWT (an empty part)");
    assert_no_expire(HEADER "..SIG", "not a JWT (an empty part)");
    assert_no_expire(".eyJleHBpcmVUaW1lIjoxfQ." SIG, "not a JWT (an empty part)");
    assert_no_expire(HEADER ".eyJleHBpcmVUaW1lIjoxfQ.", "not a JWT (an empty part)");
}

static void test_malformed_base64(void **state)
{
    /* '+' and '/' are the other alphabet; '=' padding is not written in JWTs. */
    assert_no_expire(HEADER ".eyJleHBpcmVUaW1lIjox+Q." SIG, "JWT payload is not base64url");
    assert_no_expire(HEADER ".eyJleHBpcmVUaW1lIjox/Q." SIG, "JWT payload is not base64url");
    assert_no_expire(HEADER ".eyJleHBpcmVUaW1lIjoxfQ==." SIG, "JWT payload is not base64url");
    assert_no_expire(HEADER ".eyJle HBpcmVUaW1lIjoxfQ." SIG, "JWT payload is not base64url");
    assert_no_expire(HEADER ".eyJleHBpcmVUaW1lIjoxfQ\x01." SIG, "JWT payload is not base64url");
    /* 4n+1 characters cannot be a whole number of bytes. */
    assert_no_expire(HEADER ".eyJle." SIG, "JWT payload is not base64url");
}

static void test_non_json_payload(void **state)
{
    assert_payload_refused("not json at all", "JWT payload is not a JSON object");
    assert_payload_refused("[1732743600000]", "JWT payload is not a JSON object");
    assert_payload_refused("1732743600000", "JWT payload is not a JSON object");
    assert_payload_refused("\"expireTime\"", "JWT payload is not a JSON object");
    assert_payload_refused("{\"expireTime\":1732743600000", "JWT payload is not a JSON object");
    assert_payload_refused("{\"expireTime\":1732743600000} trailing",
                           "JWT payload is not a JSON object");
}

static void test_nul_in_payload(void **state)
{
    /* {"expireTime":1}\0x : the decoded bytes hold a NUL */
    assert_no_expire(HEADER ".eyJleHBpcmVUaW1lIjoxfQB4." SIG, "JWT payload holds a NUL byte");
}

static void test_too_long(void **state)
{
    size_t n = JWT_MAX_LEN + 10;
    char *tok = malloc(n + 1);
    assert_non_null(tok);
    memset(tok, 'A', n);
    memcpy(tok, HEADER ".", strlen(HEADER "."));
    tok[n - 5] = '.';
    tok[n] = '\0';
    assert_no_expire(tok, "longer than a JWT we read");
    free(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_from_python),
        cmocka_unit_test(test_url_safe_alphabet_and_tails),
        cmocka_unit_test(test_expire_as_digit_string),
        cmocka_unit_test(test_other_claims_ignored),
        cmocka_unit_test(test_largest_and_exponent_forms),
        cmocka_unit_test(test_no_expire_time),
        cmocka_unit_test(test_bad_expire_values),
        cmocka_unit_test(test_not_three_parts),
        cmocka_unit_test(test_malformed_base64),
        cmocka_unit_test(test_non_json_payload),
        cmocka_unit_test(test_nul_in_payload),
        cmocka_unit_test(test_too_long),
    };
    return unit_exit_code(cmocka_run_group_tests_name("jwt", tests, NULL, NULL));
}
