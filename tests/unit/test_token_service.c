/* Unit tests for common/token_service.c: parsing the token service's reply and picking the
 * region's token. (The request itself is exercised through the module in tests/pam.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "token.h"
#include "token_service.h"

/* The documented reply: the platform entry, then two regions. */
#define THREE                                                                                      \
    "{\"code\":\"0\",\"msg\":\"success\",\"data\":["                                               \
    "{\"clusterId\":\"0\",\"clusterName\":\"ac\",\"token\":\"tok-ac\"},"                           \
    "{\"clusterId\":\"11250\",\"clusterName\":\"hefei\",\"token\":\"tok-hefei\"},"                 \
    "{\"clusterId\":11251,\"clusterName\":\"kunshan\",\"token\":\"tok-kunshan\"}]}"

struct pick {
    enum token_pick rc;
    char *token;
    char region[320];
    char err[512];
};

static void run_pick(const char *body, const char *cluster, struct pick *p)
{
    memset(p, 0, sizeof(*p));
    p->token = (char *)"not reset";
    p->rc = token_reply_pick(body, strlen(body), cluster, &p->token, p->region, sizeof(p->region),
                             p->err, sizeof(p->err));
}

static void assert_picked(const char *body, const char *cluster, const char *token,
                          const char *region)
{
    struct pick p;
    run_pick(body, cluster, &p);
    assert_int_equal(p.rc, TOKEN_PICK_OK);
    assert_non_null(p.token);
    assert_string_equal(p.token, token);
    assert_string_equal(p.region, region);
    token_free(p.token);
}

static void assert_pick_fails(const char *body, const char *cluster, enum token_pick rc,
                              const char *err)
{
    struct pick p;
    run_pick(body, cluster, &p);
    assert_int_equal(p.rc, rc);
    assert_null(p.token);
    assert_string_equal(p.err, err);
    /* No token of the reply ever reaches an error message. */
    assert_null(strstr(p.err, "tok-"));
}

static void test_default_skips_platform_entry(void **state)
{
    assert_picked(THREE, NULL, "tok-hefei", "hefei (11250)");
    assert_picked(THREE, "", "tok-hefei", "hefei (11250)");
}

static void test_pick_by_id_or_name(void **state)
{
    assert_picked(THREE, "11251", "tok-kunshan", "kunshan (11251)");
    assert_picked(THREE, "kunshan", "tok-kunshan", "kunshan (11251)");
    assert_picked(THREE, "hefei", "tok-hefei", "hefei (11250)");
    /* Asked for explicitly, even the platform entry is given. */
    assert_picked(THREE, "ac", "tok-ac", "ac (0)");
}

static void test_platform_entry_by_name_only(void **state)
{
    /* clusterName "ac" marks the platform entry whatever its id. */
    assert_picked("{\"code\":0,\"data\":[{\"clusterId\":99,\"clusterName\":\"ac\",\"token\":"
                  "\"tok-ac\"},{\"clusterId\":7,\"token\":\"tok-7\"}]}",
                  NULL, "tok-7", "7");
}

static void test_numeric_code_and_ids(void **state)
{
    assert_picked("{\"code\":0,\"msg\":\"success\",\"data\":[{\"clusterId\":0,\"clusterName\":"
                  "\"ac\",\"token\":\"tok-ac\"},{\"clusterId\":11250,\"clusterName\":\"hefei\","
                  "\"token\":\"tok-hefei\"}]}",
                  "11250", "tok-hefei", "hefei (11250)");
}

static void test_first_regional_with_a_token(void **state)
{
    assert_picked("{\"code\":\"0\",\"data\":[{\"clusterId\":\"11250\",\"clusterName\":\"hefei\","
                  "\"token\":null},{\"clusterId\":\"11251\",\"clusterName\":\"kunshan\","
                  "\"token\":\"tok-kunshan\"}]}",
                  NULL, "tok-kunshan", "kunshan (11251)");
}

static void test_real_looking_jwt_kept_whole(void **state)
{
    assert_picked("{\"code\":\"0\",\"data\":[{\"clusterId\":\"1\",\"clusterName\":\"x\","
                  "\"token\":\"eyJhbGciOiJIUzI1NiJ9.eyJleHBpcmVUaW1lIjoxfQ.c2ln-_\"}]}",
                  NULL, "eyJhbGciOiJIUzI1NiJ9.eyJleHBpcmVUaW1lIjoxfQ.c2ln-_", "x (1)");
}

static void test_suspended_account(void **state)
{
    /* As the simulator (and, per the public documentation, the service) answers. */
    const char *body = "{\"code\":\"0\",\"msg\":\"success\",\"data\":["
                       "{\"clusterId\":\"0\",\"clusterName\":\"ac\",\"token\":\"tok-ac\"},"
                       "{\"clusterId\":\"11250\",\"clusterName\":\"hefei\",\"token\":null},"
                       "{\"clusterId\":\"11251\",\"clusterName\":\"kunshan\",\"token\":null}]}";
    assert_pick_fails(body, NULL, TOKEN_PICK_REFUSED,
                      "account suspended: no token for region hefei (11250), kunshan (11251)");
    assert_pick_fails(body, "kunshan", TOKEN_PICK_REFUSED,
                      "account suspended: no token for region kunshan (11251)");
    assert_pick_fails(body, "11250", TOKEN_PICK_REFUSED,
                      "account suspended: no token for region hefei (11250)");
}

static void test_unknown_region(void **state)
{
    assert_pick_fails(THREE, "wuxi", TOKEN_PICK_REFUSED,
                      "no region 'wuxi' in the token service's reply (it offers: ac (0), hefei "
                      "(11250), kunshan (11251))");
    /* Case matters, and a prefix is not a match. */
    assert_pick_fails(THREE, "Hefei", TOKEN_PICK_REFUSED,
                      "no region 'Hefei' in the token service's reply (it offers: ac (0), hefei "
                      "(11250), kunshan (11251))");
    assert_pick_fails(THREE, "1125", TOKEN_PICK_REFUSED,
                      "no region '1125' in the token service's reply (it offers: ac (0), hefei "
                      "(11250), kunshan (11251))");
}

static void test_only_platform_entry(void **state)
{
    assert_pick_fails("{\"code\":\"0\",\"data\":[{\"clusterId\":\"0\",\"clusterName\":\"ac\","
                      "\"token\":\"tok-ac\"}]}",
                      NULL, TOKEN_PICK_REFUSED,
                      "the token service offered no regional token (only the platform entry, "
                      "which the quota API does not take)");
    assert_pick_fails("{\"code\":\"0\",\"data\":[]}", NULL, TOKEN_PICK_REFUSED,
                      "the token service offered no regional token (only the platform entry, "
                      "which the quota API does not take)");
    assert_pick_fails("{\"code\":\"0\",\"data\":[]}", "hefei", TOKEN_PICK_REFUSED,
                      "no region 'hefei' in the token service's reply (it offers: none)");
}

static void test_api_error_codes(void **state)
{
    assert_pick_fails("{\"code\":\"10008\",\"msg\":\"signature mismatch\",\"data\":null}", NULL,
                      TOKEN_PICK_REFUSED,
                      "token service refused: code 10008 (insufficient permission or expired "
                      "token): \"signature mismatch\"");
    assert_pick_fails("{\"code\":10004,\"msg\":\"timestamp expired\"}", NULL, TOKEN_PICK_REFUSED,
                      "token service refused: code 10004 (invalid parameters): \"timestamp "
                      "expired\"");
    assert_pick_fails("{\"code\":\"10007\"}", NULL, TOKEN_PICK_REFUSED,
                      "token service refused: code 10007 (user is frozen)");
    assert_pick_fails("{\"code\":\"42\",\"msg\":\"\"}", NULL, TOKEN_PICK_REFUSED,
                      "token service refused: code 42 (unknown error code)");
    /* Server text is made safe before it reaches a log line. */
    assert_pick_fails("{\"code\":\"10008\",\"msg\":\"bad\\u001b[2J\\r\\nFAKE: ok\"}", NULL,
                      TOKEN_PICK_REFUSED,
                      "token service refused: code 10008 (insufficient permission or expired "
                      "token): \"bad  FAKE: ok\"");
}

static void test_malformed_replies(void **state)
{
    static const struct {
        const char *body;
        const char *err;
    } cases[] = {
        {"", "reply is empty"},
        {"<html>503</html>", "reply is not a JSON object"},
        {"[]", "reply is not a JSON object"},
        {THREE " trailing", "reply is not a JSON object"},
        {"{\"code\":\"0\",\"data\":[", "reply is not a JSON object"},
        {"{\"msg\":\"success\",\"data\":[]}", "reply code is missing"},
        {"{\"code\":null,\"data\":[]}", "reply code is not a short string or an integer"},
        {"{\"code\":\"\",\"data\":[]}", "reply code is not a short string or an integer"},
        {"{\"code\":0.5,\"data\":[]}", "reply code is not a short string or an integer"},
        {"{\"code\":true,\"data\":[]}", "reply code is not a short string or an integer"},
        {"{\"code\":\"0\"}", "reply data is missing"},
        {"{\"code\":\"0\",\"data\":null}", "reply data is not an array"},
        {"{\"code\":\"0\",\"data\":{\"token\":\"tok-x\"}}", "reply data is not an array"},
        {"{\"code\":\"0\",\"data\":\"tok-x\"}", "reply data is not an array"},
        {"{\"code\":\"0\",\"data\":[\"tok-x\"]}", "data[0] is not an object"},
        {"{\"code\":\"0\",\"data\":[{\"clusterName\":\"h\",\"token\":\"tok-x\"}]}",
         "data[0].clusterId is missing"},
        {"{\"code\":\"0\",\"data\":[{\"clusterId\":null,\"token\":\"tok-x\"}]}",
         "data[0].clusterId is not a short string or an integer"},
        {"{\"code\":\"0\",\"data\":[{\"clusterId\":1.5,\"token\":\"tok-x\"}]}",
         "data[0].clusterId is not a short string or an integer"},
        {"{\"code\":\"0\",\"data\":[{\"clusterId\":[1],\"token\":\"tok-x\"}]}",
         "data[0].clusterId is not a short string or an integer"},
        {"{\"code\":\"0\",\"data\":[{\"clusterId\":\"1\",\"clusterName\":5,\"token\":\"tok-x\"}]}",
         "data[0].clusterName is not a string"},
        {"{\"code\":\"0\",\"data\":[{\"clusterId\":\"1\",\"clusterName\":\"h\"}]}",
         "data[0].token is missing"},
        {"{\"code\":\"0\",\"data\":[{\"clusterId\":\"0\",\"token\":\"tok-ac\"},{\"clusterId\":"
         "\"1\",\"token\":5}]}",
         "data[1].token is not a string of 1 to 8192 printable ASCII characters"},
        {"{\"code\":\"0\",\"data\":[{\"clusterId\":\"1\",\"token\":\"\"}]}",
         "data[0].token is not a string of 1 to 8192 printable ASCII characters"},
        {"{\"code\":\"0\",\"data\":[{\"clusterId\":\"1\",\"token\":\"tok-x y\"}]}",
         "data[0].token is not a string of 1 to 8192 printable ASCII characters"},
        {"{\"code\":\"0\",\"data\":[{\"clusterId\":\"1\",\"token\":\"tok-x\\r\\nX: y\"}]}",
         "data[0].token is not a string of 1 to 8192 printable ASCII characters"},
        {"{\"code\":\"0\",\"data\":[{\"clusterId\":\"1\",\"token\":\"tok-\\u00e9\"}]}",
         "data[0].token is not a string of 1 to 8192 printable ASCII characters"},
        {"{\"code\":\"0\",\"data\":[{\"clusterId\":\"1\",\"token\":\"tok-x\\u0000y\"}]}",
         "reply holds a NUL byte"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_pick_fails(cases[i].body, NULL, TOKEN_PICK_MALFORMED, cases[i].err);
}

static void test_bounds(void **state)
{
    char *body = malloc(70000), *p;
    struct pick pk;
    size_t n;

    assert_non_null(body);
    /* 65 entries: one too many. */
    p = body + sprintf(body, "{\"code\":\"0\",\"data\":[");
    for (int i = 0; i < 65; i++)
        p += sprintf(p, "%s{\"clusterId\":%d,\"token\":\"tok-%d\"}", i ? "," : "", i + 1, i);
    strcpy(p, "]}");
    assert_pick_fails(body, NULL, TOKEN_PICK_MALFORMED, "reply data has more than 64 entries");
    /* 64 entries are fine. */
    p = body + sprintf(body, "{\"code\":\"0\",\"data\":[");
    for (int i = 0; i < 64; i++)
        p += sprintf(p, "%s{\"clusterId\":%d,\"token\":\"tok-%d\"}", i ? "," : "", i + 1, i);
    strcpy(p, "]}");
    assert_picked(body, "64", "tok-63", "64");
    /* A token of 8192 bytes is taken, 8193 is not. */
    for (n = 8192; n <= 8193; n++) {
        p = body + sprintf(body, "{\"code\":\"0\",\"data\":[{\"clusterId\":1,\"token\":\"");
        memset(p, 'T', n);
        strcpy(p + n, "\"}]}");
        run_pick(body, NULL, &pk);
        if (n == 8192) {
            assert_int_equal(pk.rc, TOKEN_PICK_OK);
            assert_int_equal(strlen(pk.token), 8192);
            token_free(pk.token);
        } else {
            assert_int_equal(pk.rc, TOKEN_PICK_MALFORMED);
            assert_null(pk.token);
        }
    }
    free(body);
}

static void test_region_label_is_sanitised(void **state)
{
    assert_picked("{\"code\":\"0\",\"data\":[{\"clusterId\":\"7\",\"clusterName\":"
                  "\"evil\\u001b]0;x\\u0007\\nname\",\"token\":\"tok-7\"}]}",
                  NULL, "tok-7", "evil name (7)");
}

static void test_raw_nul_in_body(void **state)
{
    const char body[] = "{\"code\":\"0\",\"data\":[]}\0";
    struct pick p;
    memset(&p, 0, sizeof(p));
    p.rc = token_reply_pick(body, sizeof(body) - 1, NULL, &p.token, p.region, sizeof(p.region),
                            p.err, sizeof(p.err));
    assert_int_equal(p.rc, TOKEN_PICK_MALFORMED);
    assert_string_equal(p.err, "reply holds a NUL byte");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_skips_platform_entry),
        cmocka_unit_test(test_pick_by_id_or_name),
        cmocka_unit_test(test_platform_entry_by_name_only),
        cmocka_unit_test(test_numeric_code_and_ids),
        cmocka_unit_test(test_first_regional_with_a_token),
        cmocka_unit_test(test_real_looking_jwt_kept_whole),
        cmocka_unit_test(test_suspended_account),
        cmocka_unit_test(test_unknown_region),
        cmocka_unit_test(test_only_platform_entry),
        cmocka_unit_test(test_api_error_codes),
        cmocka_unit_test(test_malformed_replies),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_region_label_is_sanitised),
        cmocka_unit_test(test_raw_nul_in_body),
    };
    return cmocka_run_group_tests_name("token_service", tests, NULL, NULL);
}
