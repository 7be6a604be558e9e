/* Unit tests for common/quota_reply.c: every accept and reject rule of the reply format. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "quota_reply.h"
#include "strbuf.h"
#include "unit_support.h"

#define SEED                                                                                       \
    "{\"code\":\"0\",\"msg\":\"success\",\"data\":[{\"username\":\"test\",\"path\":\"/public/"     \
    "home/test\",\"threshold\":700,\"usage\":398.56}]}"

/* Parse a literal, embedded NULs included (sizeof - 1 is its length). */
#define PARSE_LIT(lit, reply, err)                                                                 \
    quota_reply_parse((lit), sizeof(lit) - 1, (reply), (err), sizeof(err))

static enum reply_status parse_str(const char *s, struct quota_reply *reply, char *err,
                                   size_t errlen)
{
    return quota_reply_parse(s, strlen(s), reply, err, errlen);
}

/* Expect REPLY_MALFORMED with exactly this reason, and a zeroed reply. */
static void expect_malformed(const char *body, const char *reason)
{
    struct quota_reply reply;
    char err[256];

    memset(&reply, 0xa5, sizeof(reply));
    enum reply_status st = parse_str(body, &reply, err, sizeof(err));
    if (st != REPLY_MALFORMED)
        fail_msg("accepted: %s", body);
    assert_string_equal(err, reason);
    assert_null(reply.code);
    assert_null(reply.msg);
    assert_null(reply.entries);
    assert_int_equal(reply.count, 0);
}

/* One entry with the given usage and threshold JSON texts (NULL: field left out). */
static void expect_entry_malformed(const char *usage, const char *threshold, const char *reason)
{
    struct strbuf sb = {0};
    strbuf_printf(&sb, "{\"code\":\"0\",\"data\":[{\"username\":\"u\",\"path\":\"/p\"");
    if (usage != NULL)
        strbuf_printf(&sb, ",\"usage\":%s", usage);
    if (threshold != NULL)
        strbuf_printf(&sb, ",\"threshold\":%s", threshold);
    strbuf_printf(&sb, "}]}");
    expect_malformed(sb.data, reason);
    strbuf_free(&sb);
}

static void parse_one_entry(const char *usage, const char *threshold, struct quota_reply *reply)
{
    struct strbuf sb = {0};
    char err[256];

    strbuf_printf(&sb, "{\"code\":\"0\",\"data\":[{\"username\":\"u\",\"path\":\"/p\"");
    if (usage != NULL)
        strbuf_printf(&sb, ",\"usage\":%s", usage);
    if (threshold != NULL)
        strbuf_printf(&sb, ",\"threshold\":%s", threshold);
    strbuf_printf(&sb, "}]}");
    assert_int_equal(parse_str(sb.data, reply, err, sizeof(err)), REPLY_OK);
    assert_int_equal(reply->count, 1);
    strbuf_free(&sb);
}

/* ---- accepted ---- */

static void test_seed_reply(void **state)
{
    struct quota_reply reply;
    char err[256];

    assert_int_equal(PARSE_LIT(SEED, &reply, err), REPLY_OK);
    assert_string_equal(reply.code, "0");
    assert_string_equal(reply.msg, "success");
    assert_int_equal(reply.count, 1);
    assert_string_equal(reply.entries[0].username, "test");
    assert_string_equal(reply.entries[0].path, "/public/home/test");
    assert_true(reply.entries[0].has_limit);
    assert_true(reply.entries[0].threshold == 700.0);
    assert_true(reply.entries[0].usage == 398.56);
    quota_reply_free(&reply);
    assert_null(reply.entries);
    assert_int_equal(reply.count, 0);
}

static void test_body_without_nul_terminator(void **state)
{
    /* An exact-size heap copy: valgrind flags any read past the end. */
    size_t len = strlen(SEED);
    char *body = malloc(len);
    struct quota_reply reply;
    char err[256];

    assert_non_null(body);
    memcpy(body, SEED, len);
    assert_int_equal(quota_reply_parse(body, len, &reply, err, sizeof(err)), REPLY_OK);
    assert_int_equal(reply.count, 1);
    quota_reply_free(&reply);
    free(body);
}

static void test_code_as_number_zero(void **state)
{
    struct quota_reply reply;
    char err[256];

    assert_int_equal(
        parse_str("{\"code\":0,\"msg\":\"success\",\"data\":[]}", &reply, err, sizeof(err)),
        REPLY_OK);
    assert_string_equal(reply.code, "0");
    assert_int_equal(reply.count, 0);
    assert_null(reply.entries);
    quota_reply_free(&reply);
}

static void test_numbers_as_strings(void **state)
{
    struct quota_reply reply;

    parse_one_entry("\"665.0\"", "\"700\"", &reply);
    assert_true(reply.entries[0].usage == 665.0);
    assert_true(reply.entries[0].threshold == 700.0);
    assert_true(reply.entries[0].has_limit);
    quota_reply_free(&reply);

    parse_one_entry("\"1.5e2\"", "\"0700\"", &reply);
    assert_true(reply.entries[0].usage == 150.0);
    assert_true(reply.entries[0].threshold == 700.0);
    quota_reply_free(&reply);
}

static void test_threshold_zero_missing_null_means_no_limit(void **state)
{
    struct quota_reply reply;

    parse_one_entry("12.5", "0", &reply);
    assert_false(reply.entries[0].has_limit);
    assert_true(reply.entries[0].usage == 12.5);
    quota_reply_free(&reply);

    parse_one_entry("12.5", NULL, &reply);
    assert_false(reply.entries[0].has_limit);
    quota_reply_free(&reply);

    parse_one_entry("12.5", "null", &reply);
    assert_false(reply.entries[0].has_limit);
    quota_reply_free(&reply);

    parse_one_entry("12.5", "\"0.0\"", &reply);
    assert_false(reply.entries[0].has_limit);
    quota_reply_free(&reply);
}

static void test_usage_zero_and_over_threshold(void **state)
{
    struct quota_reply reply;

    parse_one_entry("0", "700", &reply);
    assert_true(reply.entries[0].usage == 0.0);
    quota_reply_free(&reply);

    parse_one_entry("735", "700", &reply);
    assert_true(reply.entries[0].usage == 735.0);
    assert_true(reply.entries[0].has_limit);
    quota_reply_free(&reply);
}

static void test_empty_data_array(void **state)
{
    struct quota_reply reply;
    char err[256];

    assert_int_equal(
        parse_str("{\"code\":\"0\",\"msg\":\"success\",\"data\":[]}", &reply, err, sizeof(err)),
        REPLY_OK);
    assert_int_equal(reply.count, 0);
    quota_reply_free(&reply);
}

static void test_several_entries_in_order(void **state)
{
    struct quota_reply reply;
    char err[256];
    const char *body =
        " {\"data\":[{\"username\":\"a\",\"path\":\"/p1\",\"threshold\":100,\"usage\":1},"
        "{\"username\":\"b\",\"path\":\"/p2\",\"threshold\":\"200\",\"usage\":\"2\",\"x\":[1]},"
        "{\"username\":\"a\",\"path\":\"/p3\",\"usage\":3}],\"code\":\"0\",\"extra\":{}}\n";

    assert_int_equal(parse_str(body, &reply, err, sizeof(err)), REPLY_OK);
    assert_null(reply.msg);
    assert_int_equal(reply.count, 3);
    assert_string_equal(reply.entries[0].path, "/p1");
    assert_string_equal(reply.entries[1].username, "b");
    assert_true(reply.entries[1].threshold == 200.0);
    assert_string_equal(reply.entries[2].path, "/p3");
    assert_false(reply.entries[2].has_limit);
    quota_reply_free(&reply);
}

static void test_unicode_strings_kept_unsanitised(void **state)
{
    struct quota_reply reply;
    char err[256];
    const char *body = "{\"code\":\"0\",\"data\":[{\"username\":\"\\u5f20\\u4e09\",\"path\":"
                       "\"/home/\\u001b[2J\\\\u0000x\",\"threshold\":1,\"usage\":0}]}";

    assert_int_equal(parse_str(body, &reply, err, sizeof(err)), REPLY_OK);
    assert_string_equal(reply.entries[0].username, "张三");
    /* The parser keeps server bytes as they are; text_sanitize is the display gate. A literal
     * backslash before "u0000" is not an escaped NUL. */
    assert_string_equal(reply.entries[0].path, "/home/\x1b[2J\\u0000x");
    quota_reply_free(&reply);
}

static void build_entries(struct strbuf *sb, int n)
{
    strbuf_printf(sb, "{\"code\":\"0\",\"data\":[");
    for (int i = 0; i < n; i++)
        strbuf_printf(sb, "%s{\"username\":\"u\",\"path\":\"/p%d\",\"threshold\":10,\"usage\":%d}",
                      i ? "," : "", i, i);
    strbuf_printf(sb, "]}");
}

static void test_64_entries_ok_65_rejected(void **state)
{
    struct strbuf sb = {0};
    struct quota_reply reply;
    char err[256];

    build_entries(&sb, QUOTA_MAX_ENTRIES);
    assert_int_equal(parse_str(sb.data, &reply, err, sizeof(err)), REPLY_OK);
    assert_int_equal(reply.count, 64);
    assert_string_equal(reply.entries[63].path, "/p63");
    quota_reply_free(&reply);
    strbuf_free(&sb);

    build_entries(&sb, QUOTA_MAX_ENTRIES + 1);
    expect_malformed(sb.data, "data has more than 64 entries");
    strbuf_free(&sb);
}

static void build_long_field(struct strbuf *sb, const char *field, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, 'x', n);
    s[n] = '\0';
    if (strcmp(field, "msg") == 0)
        strbuf_printf(sb, "{\"code\":\"0\",\"msg\":\"%s\",\"data\":[]}", s);
    else if (strcmp(field, "code") == 0)
        strbuf_printf(sb, "{\"code\":\"%s\"}", s);
    else if (strcmp(field, "username") == 0)
        strbuf_printf(sb,
                      "{\"code\":\"0\",\"data\":[{\"username\":\"%s\",\"path\":\"/p\","
                      "\"usage\":1}]}",
                      s);
    else
        strbuf_printf(sb,
                      "{\"code\":\"0\",\"data\":[{\"username\":\"u\",\"path\":\"%s\","
                      "\"usage\":1}]}",
                      s);
    free(s);
}

static void test_4096_byte_strings_ok_4097_rejected(void **state)
{
    struct strbuf sb = {0};
    struct quota_reply reply;
    char err[256];

    build_long_field(&sb, "path", QUOTA_MAX_STRING);
    assert_int_equal(parse_str(sb.data, &reply, err, sizeof(err)), REPLY_OK);
    assert_int_equal(strlen(reply.entries[0].path), 4096);
    quota_reply_free(&reply);
    strbuf_free(&sb);

    build_long_field(&sb, "path", QUOTA_MAX_STRING + 1);
    expect_malformed(sb.data, "data[0].path is longer than 4096 bytes");
    strbuf_free(&sb);

    build_long_field(&sb, "username", QUOTA_MAX_STRING + 1);
    expect_malformed(sb.data, "data[0].username is longer than 4096 bytes");
    strbuf_free(&sb);

    build_long_field(&sb, "msg", QUOTA_MAX_STRING + 1);
    expect_malformed(sb.data, "msg is longer than 4096 bytes");
    strbuf_free(&sb);

    build_long_field(&sb, "code", QUOTA_MAX_STRING + 1);
    expect_malformed(sb.data, "code is longer than 4096 bytes");
    strbuf_free(&sb);
}

/* ---- API errors ---- */

static void test_api_error_string_code(void **state)
{
    struct quota_reply reply;
    char err[256];

    assert_int_equal(
        parse_str("{\"code\":\"10008\",\"msg\":\"token expired\"}", &reply, err, sizeof(err)),
        REPLY_API_ERROR);
    assert_string_equal(reply.code, "10008");
    assert_string_equal(reply.msg, "token expired");
    assert_int_equal(reply.count, 0);
    assert_string_equal(api_code_meaning(reply.code), "insufficient permission or expired token");
    quota_reply_free(&reply);
}

static void test_api_error_numeric_code_data_null(void **state)
{
    struct quota_reply reply;
    char err[256];

    assert_int_equal(
        parse_str("{\"code\":10009,\"msg\":null,\"data\":null}", &reply, err, sizeof(err)),
        REPLY_API_ERROR);
    assert_string_equal(reply.code, "10009");
    assert_null(reply.msg);
    quota_reply_free(&reply);

    /* An error reply's data is not looked at, even when it is junk. */
    assert_int_equal(parse_str("{\"code\":\"815005\",\"msg\":\"x\",\"data\":\"junk\"}", &reply, err,
                               sizeof(err)),
                     REPLY_API_ERROR);
    assert_string_equal(reply.code, "815005");
    assert_int_equal(reply.count, 0);
    quota_reply_free(&reply);
}

static void test_api_error_unknown_text_code(void **state)
{
    struct quota_reply reply;
    char err[256];

    assert_int_equal(parse_str("{\"code\":\"E42\",\"msg\":\"odd\"}", &reply, err, sizeof(err)),
                     REPLY_API_ERROR);
    assert_string_equal(reply.code, "E42");
    assert_string_equal(api_code_meaning(reply.code), "unknown error code");
    quota_reply_free(&reply);

    assert_int_equal(parse_str("{\"code\":-1}", &reply, err, sizeof(err)), REPLY_API_ERROR);
    assert_string_equal(reply.code, "-1");
    quota_reply_free(&reply);
}

/* ---- rejected ---- */

static void test_not_json(void **state)
{
    expect_malformed("", "reply is empty");
    expect_malformed("{", "reply is not valid JSON");
    expect_malformed("<html>502 Bad Gateway</html>", "reply is not valid JSON");
    expect_malformed("{\"code\":\"0\",}", "reply is not valid JSON");
    expect_malformed("{'code':'0'}", "reply is not valid JSON");
}

static void test_null_body(void **state)
{
    struct quota_reply reply;
    char err[64];

    assert_int_equal(quota_reply_parse(NULL, 0, &reply, err, sizeof(err)), REPLY_MALFORMED);
    assert_string_equal(err, "reply is empty");
    /* err may be left out altogether. */
    assert_int_equal(quota_reply_parse("[", 1, &reply, NULL, 0), REPLY_MALFORMED);
}

static void test_deeply_nested_is_rejected_without_crash(void **state)
{
    struct strbuf sb = {0};
    strbuf_printf(&sb, "{\"code\":\"0\",\"data\":");
    for (int i = 0; i < 100000; i++)
        strbuf_append(&sb, "[", 1);
    expect_malformed(sb.data, "reply is not valid JSON");
    strbuf_free(&sb);
}

static void test_trailing_garbage(void **state)
{
    expect_malformed(SEED " x", "reply is not valid JSON");
    expect_malformed(SEED "{}", "reply is not valid JSON");
    expect_malformed(SEED "]", "reply is not valid JSON");
    /* Trailing whitespace is not garbage. */
    struct quota_reply reply;
    char err[64];
    assert_int_equal(PARSE_LIT(SEED " \r\n\t", &reply, err), REPLY_OK);
    quota_reply_free(&reply);
}

static void test_embedded_nul_bytes(void **state)
{
    struct quota_reply reply;
    char err[64];

    assert_int_equal(PARSE_LIT("{\"code\":\"0\",\"data\":[]}\0", &reply, err), REPLY_MALFORMED);
    assert_string_equal(err, "reply holds a NUL byte");
    assert_int_equal(PARSE_LIT("{\"code\":\"0\",\0\"data\":[]}", &reply, err), REPLY_MALFORMED);
    assert_string_equal(err, "reply holds a NUL byte");
    assert_int_equal(PARSE_LIT("{\"code\":\"0\",\"data\":[{\"username\":\"a\0b\",\"path\":\"/\","
                               "\"usage\":1}]}",
                               &reply, err),
                     REPLY_MALFORMED);
    assert_string_equal(err, "reply holds a NUL byte");
}

static void test_escaped_nul_in_string(void **state)
{
    /* "alice\u0000x" must not be read as "alice". */
    expect_malformed("{\"code\":\"0\",\"data\":[{\"username\":\"alice\\u0000x\",\"path\":\"/p\","
                     "\"usage\":1,\"threshold\":2}]}",
                     "reply holds an escaped NUL (\\u0000)");
}

static void test_top_level_not_object(void **state)
{
    expect_malformed("[]", "reply is not a JSON object");
    expect_malformed("[" SEED "]", "reply is not a JSON object");
    expect_malformed("\"0\"", "reply is not a JSON object");
    expect_malformed("0", "reply is not a JSON object");
    expect_malformed("null", "reply is not a JSON object");
}

static void test_bad_code(void **state)
{
    expect_malformed("{\"msg\":\"success\",\"data\":[]}", "code is missing");
    expect_malformed("{\"code\":null,\"data\":[]}", "code is missing");
    expect_malformed("{\"code\":true,\"data\":[]}", "code is not a string or an integer");
    expect_malformed("{\"code\":[0],\"data\":[]}", "code is not a string or an integer");
    expect_malformed("{\"code\":0.5,\"data\":[]}", "code is not an integer");
    expect_malformed("{\"code\":1e400,\"data\":[]}", "code is not an integer");
    expect_malformed("{\"code\":\"\",\"data\":[]}", "code is empty");
}

static void test_bad_msg(void **state)
{
    expect_malformed("{\"code\":\"0\",\"msg\":1,\"data\":[]}", "msg is not a string");
    expect_malformed("{\"code\":\"10001\",\"msg\":{}}", "msg is not a string");
}

static void test_bad_data(void **state)
{
    expect_malformed("{\"code\":\"0\",\"msg\":\"success\"}", "data is missing");
    expect_malformed("{\"code\":0,\"data\":null}", "data is missing");
    expect_malformed("{\"code\":\"0\",\"data\":{}}", "data is not an array");
    expect_malformed("{\"code\":\"0\",\"data\":\"[]\"}", "data is not an array");
    expect_malformed("{\"code\":\"0\",\"data\":0}", "data is not an array");
}

static void test_entry_not_object(void **state)
{
    expect_malformed("{\"code\":\"0\",\"data\":[1]}", "data[0] is not an object");
    expect_malformed("{\"code\":\"0\",\"data\":[{\"username\":\"u\",\"path\":\"/p\",\"usage\":1},"
                     "[]]}",
                     "data[1] is not an object");
    expect_malformed("{\"code\":\"0\",\"data\":[null]}", "data[0] is not an object");
}

static void test_missing_fields(void **state)
{
    expect_malformed("{\"code\":\"0\",\"data\":[{\"path\":\"/p\",\"usage\":1}]}",
                     "data[0].username is missing");
    expect_malformed("{\"code\":\"0\",\"data\":[{\"username\":\"u\",\"usage\":1}]}",
                     "data[0].path is missing");
    expect_malformed("{\"code\":\"0\",\"data\":[{\"username\":\"u\",\"path\":null,\"usage\":1}]}",
                     "data[0].path is missing");
    expect_entry_malformed(NULL, "700", "data[0].usage is missing");
    expect_entry_malformed("null", "700", "data[0].usage is missing");
}

static void test_wrong_types(void **state)
{
    expect_malformed("{\"code\":\"0\",\"data\":[{\"username\":7,\"path\":\"/p\",\"usage\":1}]}",
                     "data[0].username is not a string");
    expect_malformed("{\"code\":\"0\",\"data\":[{\"username\":\"u\",\"path\":[\"/p\"],"
                     "\"usage\":1}]}",
                     "data[0].path is not a string");
    expect_entry_malformed("true", "700", "data[0].usage is not a number");
    expect_entry_malformed("[1]", "700", "data[0].usage is not a number");
    expect_entry_malformed("{}", "700", "data[0].usage is not a number");
    expect_entry_malformed("1", "false", "data[0].threshold is not a number");
}

static void test_negative_values(void **state)
{
    expect_entry_malformed("-1", "700", "data[0].usage is negative");
    expect_entry_malformed("\"-0.5\"", "700", "data[0].usage is negative");
    expect_entry_malformed("1", "-700", "data[0].threshold is negative");

    /* The index in the reason points at the offending entry. */
    expect_malformed("{\"code\":\"0\",\"data\":["
                     "{\"username\":\"u\",\"path\":\"/a\",\"usage\":1,\"threshold\":2},"
                     "{\"username\":\"u\",\"path\":\"/b\",\"usage\":1,\"threshold\":2},"
                     "{\"username\":\"u\",\"path\":\"/c\",\"usage\":-3,\"threshold\":2}]}",
                     "data[2].usage is negative");
}

static void test_infinities(void **state)
{
    /* cJSON turns 1e400 into infinity. */
    expect_entry_malformed("1e400", "700", "data[0].usage is not a finite number");
    expect_entry_malformed("-1e400", "700", "data[0].usage is not a finite number");
    expect_entry_malformed("1", "1e999", "data[0].threshold is not a finite number");
    expect_entry_malformed("\"1e400\"", "700", "data[0].usage is not a finite number");
}

static void test_not_entirely_numeric_strings(void **state)
{
    static const char *const bad[] = {
        "\"\"",    "\"abc\"", "\" 700\"",  "\"700 \"",  "\"0x10\"", "\"inf\"", "\"Infinity\"",
        "\"nan\"", "\"NaN\"", "\"700GB\"", "\"7,5\"",   "\"+5\"",   "\".5\"",  "\"5.\"",
        "\"1e\"",  "\"1e+\"", "\"--1\"",   "\"1.2.3\"", "\"\\t1\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect_entry_malformed(bad[i], "700", "data[0].usage is not a number");
        expect_entry_malformed("1", bad[i], "data[0].threshold is not a number");
    }
}

static void test_api_code_meanings(void **state)
{
    assert_string_equal(api_code_meaning("0"), "success");
    assert_string_equal(api_code_meaning("10001"), "internal error");
    assert_string_equal(api_code_meaning("10003"), "missing parameters");
    assert_string_equal(api_code_meaning("10004"), "invalid parameters");
    assert_string_equal(api_code_meaning("10007"), "user is frozen");
    assert_string_equal(api_code_meaning("10008"), "insufficient permission or expired token");
    assert_string_equal(api_code_meaning("10009"), "no permission to call this API");
    assert_string_equal(api_code_meaning("10010"), "file check failed");
    assert_string_equal(api_code_meaning("10011"), "file too large");
    assert_string_equal(api_code_meaning("10012"), "connection interrupted");
    assert_string_equal(api_code_meaning("10013"), "operation timed out");
    assert_string_equal(api_code_meaning("815005"),
                        "job submission failed (scheduler did not answer)");
    assert_string_equal(api_code_meaning("815007"), "job submission failed (sbatch failed)");
    assert_string_equal(api_code_meaning("10002"), "unknown error code");
    assert_string_equal(api_code_meaning(""), "unknown error code");
    assert_string_equal(api_code_meaning(NULL), "unknown error code");
}

static void test_numbers_ignore_locale(void **state)
{
    /* su calls setlocale() with the user's environment: "665.5" must not read as 665. */
    unit_set_decimal_comma_locale();

    struct quota_reply reply;
    parse_one_entry("\"665.5\"", "700.25", &reply);
    setlocale(LC_NUMERIC, "C");
    assert_true(reply.entries[0].usage == 665.5);
    assert_true(reply.entries[0].threshold == 700.25);
    quota_reply_free(&reply);
}

static void test_free_is_safe_twice_and_on_zeroed(void **state)
{
    struct quota_reply reply = {0};
    char err[64];

    quota_reply_free(&reply);
    quota_reply_free(NULL);
    assert_int_equal(PARSE_LIT(SEED, &reply, err), REPLY_OK);
    quota_reply_free(&reply);
    quota_reply_free(&reply);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_reply),
        cmocka_unit_test(test_body_without_nul_terminator),
        cmocka_unit_test(test_code_as_number_zero),
        cmocka_unit_test(test_numbers_as_strings),
        cmocka_unit_test(test_threshold_zero_missing_null_means_no_limit),
        cmocka_unit_test(test_usage_zero_and_over_threshold),
        cmocka_unit_test(test_empty_data_array),
        cmocka_unit_test(test_several_entries_in_order),
        cmocka_unit_test(test_unicode_strings_kept_unsanitised),
        cmocka_unit_test(test_64_entries_ok_65_rejected),
        cmocka_unit_test(test_4096_byte_strings_ok_4097_rejected),
        cmocka_unit_test(test_api_error_string_code),
        cmocka_unit_test(test_api_error_numeric_code_data_null),
        cmocka_unit_test(test_api_error_unknown_text_code),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_null_body),
        cmocka_unit_test(test_deeply_nested_is_rejected_without_crash),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_embedded_nul_bytes),
        cmocka_unit_test(test_escaped_nul_in_string),
        cmocka_unit_test(test_top_level_not_object),
        cmocka_unit_test(test_bad_code),
        cmocka_unit_test(test_bad_msg),
        cmocka_unit_test(test_bad_data),
        cmocka_unit_test(test_entry_not_object),
        cmocka_unit_test(test_missing_fields),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_negative_values),
        cmocka_unit_test(test_infinities),
        cmocka_unit_test(test_not_entirely_numeric_strings),
        cmocka_unit_test(test_api_code_meanings),
        cmocka_unit_test(test_numbers_ignore_locale),
        cmocka_unit_test(test_free_is_safe_twice_and_on_zeroed),
    };
    return unit_exit_code(cmocka_run_group_tests(tests, NULL, NULL));
}
