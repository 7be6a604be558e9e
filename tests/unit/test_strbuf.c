/* Unit tests for common/strbuf.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strbuf.h"

static void test_take_empty_gives_empty_string(void **state)
{
    struct strbuf sb = {0};
    char *s = strbuf_take(&sb);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
}

static void test_append_and_printf(void **state)
{
    struct strbuf sb = {0};
    strbuf_append(&sb, "abc", 3);
    strbuf_append(&sb, "xyz", 1);
    strbuf_printf(&sb, "-%d-%s", 42, "ok");
    assert_int_equal(sb.len, 10);
    assert_string_equal(sb.data, "abcx-42-ok");
    char *s = strbuf_take(&sb);
    assert_string_equal(s, "abcx-42-ok");
    assert_null(sb.data);
    assert_int_equal(sb.len, 0);
    free(s);
}

static void test_append_zero_length_makes_empty_text(void **state)
{
    struct strbuf sb = {0};
    strbuf_append(&sb, "", 0);
    assert_non_null(sb.data);
    assert_string_equal(sb.data, "");
    strbuf_free(&sb);
    assert_null(sb.data);
}

static void test_append_keeps_embedded_nul_in_len(void **state)
{
    struct strbuf sb = {0};
    strbuf_append(&sb, "a\0b", 3);
    assert_int_equal(sb.len, 3);
    assert_memory_equal(sb.data, "a\0b\0", 4);
    strbuf_free(&sb);
}

static void test_printf_grows_past_initial_capacity(void **state)
{
    struct strbuf sb = {0};
    char big[5000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    strbuf_printf(&sb, "[%s]", "start");
    strbuf_printf(&sb, "%s", big);
    strbuf_printf(&sb, "%s", "<end>");
    assert_false(sb.failed);
    assert_int_equal(sb.len, 7 + 4999 + 5);
    assert_int_equal(strlen(sb.data), sb.len);
    assert_memory_equal(sb.data, "[start]xxx", 10);
    assert_string_equal(sb.data + sb.len - 5, "<end>");
    assert_true(sb.cap > sb.len);
    strbuf_wipe(&sb);
    assert_null(sb.data);
    assert_int_equal(sb.cap, 0);
}

static void test_many_small_appends(void **state)
{
    struct strbuf sb = {0};
    for (int i = 0; i < 1000; i++)
        strbuf_printf(&sb, "%d,", i % 10);
    assert_int_equal(sb.len, 2000);
    assert_memory_equal(sb.data, "0,1,2,3,4,", 10);
    assert_string_equal(sb.data + 1990, "5,6,7,8,9,");
    strbuf_free(&sb);
}

static void test_kv_plain(void **state)
{
    struct strbuf sb = {0};
    strbuf_kv(&sb, "user", "alice");
    strbuf_kv(&sb, "decision", "warn");
    assert_string_equal(sb.data, "user=alice decision=warn");
    strbuf_free(&sb);
}

static void test_kv_after_text_adds_space(void **state)
{
    struct strbuf sb = {0};
    strbuf_printf(&sb, "check");
    strbuf_kv(&sb, "pct", "93.0");
    assert_string_equal(sb.data, "check pct=93.0");
    strbuf_free(&sb);
}

static void test_kv_quotes_when_needed(void **state)
{
    struct strbuf sb = {0};
    strbuf_kv(&sb, "a", "two words");
    strbuf_kv(&sb, "b", "");
    strbuf_kv(&sb, "c", "x=y");
    strbuf_kv(&sb, "d", "say \"hi\"");
    strbuf_kv(&sb, "e", NULL);
    assert_string_equal(sb.data, "a=\"two words\" b=\"\" c=\"x=y\" d=\"say \\\"hi\\\"\" e=\"\"");
    strbuf_free(&sb);
}

static void test_kv_escapes_controls(void **state)
{
    /* A name with a newline must not be able to forge a second log line. */
    struct strbuf sb = {0};
    strbuf_kv(&sb, "user", "bob\nroot ok\t\x1b[1m\\");
    assert_string_equal(sb.data, "user=\"bob\\nroot ok\\t\\x1b[1m\\\\\"");
    assert_null(strchr(sb.data, '\n'));
    strbuf_free(&sb);
}

static void test_kv_backslash_alone_unquoted(void **state)
{
    struct strbuf sb = {0};
    strbuf_kv(&sb, "p", "a\\b");
    assert_string_equal(sb.data, "p=a\\b");
    strbuf_free(&sb);
}

static void test_failed_buffer_stops_and_take_returns_null(void **state)
{
    struct strbuf sb = {0};
    strbuf_append(&sb, "kept", 4);
    /* An impossible size must fail cleanly, not wrap around. */
    strbuf_append(&sb, "x", SIZE_MAX - 2);
    assert_true(sb.failed);
    assert_string_equal(sb.data, "kept");
    strbuf_append(&sb, "more", 4);
    assert_string_equal(sb.data, "kept");
    assert_null(strbuf_take(&sb));
    assert_null(sb.data);
    assert_false(sb.failed);
}

static void test_free_and_wipe_on_zeroed(void **state)
{
    struct strbuf sb = {0};
    strbuf_free(&sb);
    strbuf_wipe(&sb);
    assert_null(sb.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_take_empty_gives_empty_string),
        cmocka_unit_test(test_append_and_printf),
        cmocka_unit_test(test_append_zero_length_makes_empty_text),
        cmocka_unit_test(test_append_keeps_embedded_nul_in_len),
        cmocka_unit_test(test_printf_grows_past_initial_capacity),
        cmocka_unit_test(test_many_small_appends),
        cmocka_unit_test(test_kv_plain),
        cmocka_unit_test(test_kv_after_text_adds_space),
        cmocka_unit_test(test_kv_quotes_when_needed),
        cmocka_unit_test(test_kv_escapes_controls),
        cmocka_unit_test(test_kv_backslash_alone_unquoted),
        cmocka_unit_test(test_failed_buffer_stops_and_take_returns_null),
        cmocka_unit_test(test_free_and_wipe_on_zeroed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
