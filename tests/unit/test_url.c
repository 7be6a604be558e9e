/* Unit tests for common/url.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "url.h"

#define BASE "https://api.example.cn"
#define QUOTA_PREFIX BASE SCNET_QUOTA_PATH

/* ---- username_is_sendable ---- */

static void test_user_refuses_empty_dot_dotdot(void **state)
{
    assert_false(username_is_sendable(NULL));
    assert_false(username_is_sendable(""));
    assert_false(username_is_sendable("."));
    assert_false(username_is_sendable(".."));
    assert_true(username_is_sendable("..."));
    assert_true(username_is_sendable(".alice"));
    assert_true(username_is_sendable("alice.."));
}

static void test_user_refuses_slash(void **state)
{
    assert_false(username_is_sendable("/"));
    assert_false(username_is_sendable("a/b"));
    assert_false(username_is_sendable("../root"));
    assert_false(username_is_sendable("alice/"));
}

static void test_user_refuses_control_chars(void **state)
{
    char name[8];

    for (int c = 1; c < 0x20; c++) {
        snprintf(name, sizeof(name), "a%cb", c);
        assert_false(username_is_sendable(name));
    }
    assert_false(username_is_sendable("a\x7f"));
    assert_false(username_is_sendable("\n"));
    assert_false(username_is_sendable("alice\r\n"));
    assert_false(username_is_sendable("\t"));
}

static void test_user_length_limit(void **state)
{
    char name[300];

    memset(name, 'a', 256);
    name[256] = '\0';
    assert_true(username_is_sendable(name));
    name[256] = 'a';
    name[257] = '\0';
    assert_false(username_is_sendable(name));
    memset(name, 'b', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    assert_false(username_is_sendable(name));
}

static void test_user_accepts_what_encoding_makes_safe(void **state)
{
    assert_true(username_is_sendable("alice"));
    assert_true(username_is_sendable("张三"));
    assert_true(username_is_sendable("john smith"));
    assert_true(username_is_sendable("100%"));
    assert_true(username_is_sendable("a?b"));
    assert_true(username_is_sendable("a#b"));
    assert_true(username_is_sendable("user@realm"));
    assert_true(username_is_sendable("\xff\xfe")); /* not UTF-8: still just bytes */
}

/* ---- quota_url_build ---- */

static void expect_quota_url(const char *user, const char *want_suffix)
{
    char *url = NULL;
    char err[128] = "";
    char want[512];

    snprintf(want, sizeof(want), "%s%s", QUOTA_PREFIX, want_suffix);
    assert_true(quota_url_build(BASE, user, &url, err, sizeof(err)));
    assert_non_null(url);
    assert_string_equal(url, want);
    free(url);
}

static void test_quota_url_plain_name_unchanged(void **state)
{
    expect_quota_url("alice", "alice");
    expect_quota_url("A-z_0.9~", "A-z_0.9~");
}

static void test_quota_url_percent_encodes_uppercase_hex(void **state)
{
    expect_quota_url("john smith", "john%20smith");
    expect_quota_url("100%", "100%25");
    expect_quota_url("a?b#c", "a%3Fb%23c");
    expect_quota_url("user@realm", "user%40realm");
    expect_quota_url("a+b:c;d=e&f", "a%2Bb%3Ac%3Bd%3De%26f");
    expect_quota_url("\xff\xab", "%FF%AB");
    /* "张" is E5 BC A0 in UTF-8 */
    expect_quota_url("张", "%E5%BC%A0");
    expect_quota_url("...", "...");
}

static void test_quota_url_refuses_unsendable_name(void **state)
{
    char *url = (char *)"untouched";
    char err[128] = "";

    assert_false(quota_url_build(BASE, "..", &url, err, sizeof(err)));
    assert_null(url);
    assert_true(err[0] != '\0');
    assert_false(quota_url_build(BASE, "a/b", &url, err, sizeof(err)));
    assert_false(quota_url_build(BASE, "a\nb", &url, err, sizeof(err)));
    assert_false(quota_url_build(BASE, "", &url, err, sizeof(err)));
    assert_null(url);
}

static void test_quota_url_refuses_bad_base(void **state)
{
    char *url = NULL;
    char err[128] = "";

    assert_false(quota_url_build("http://api.example.cn", "alice", &url, err, sizeof(err)));
    assert_null(url);
    assert_non_null(strstr(err, "https"));
}

static void test_quota_url_joins_with_hpc_base(void **state)
{
    char *url = NULL;
    char err[128] = "";

    assert_true(quota_url_build("https://h.cn/hpc/", "bob", &url, err, sizeof(err)));
    assert_string_equal(url, "https://h.cn/hpc/openapi/v2/parastor/quota/usernames/bob");
    free(url);
}

/* ---- base_url_is_allowed ---- */

static void expect_allowed(const char *base)
{
    char err[128] = "";

    if (!base_url_is_allowed(base, err, sizeof(err)))
        fail_msg("refused %s: %s", base, err);
    assert_string_equal(err, "");
}

static void expect_refused(const char *base)
{
    char err[128] = "";

    if (base_url_is_allowed(base, err, sizeof(err)))
        fail_msg("allowed %s", base);
    assert_true(err[0] != '\0');
}

static void test_base_https_allowed_with_port_and_path(void **state)
{
    expect_allowed("https://api.scnet.cn");
    expect_allowed("https://api.scnet.cn/");
    expect_allowed("https://api.scnet.cn:8443");
    expect_allowed("https://api.scnet.cn:8443/hpc");
    expect_allowed("https://scnet-demo.accloud.cn/hpc/");
    expect_allowed("https://10.1.2.3/prefix/x");
    expect_allowed("https://[2001:db8::1]:443/hpc");
    expect_allowed("https://my_host.example/a%20b");
}

static void test_base_scheme_case_insensitive(void **state)
{
    expect_allowed("HTTPS://api.scnet.cn");
    expect_allowed("HtTpS://api.scnet.cn/hpc");
    expect_allowed("HTTP://127.0.0.1:8080");
}

static void test_base_other_schemes_refused(void **state)
{
    expect_refused("ftp://api.scnet.cn/");
    expect_refused("file:///etc/passwd");
    expect_refused("api.scnet.cn");
    expect_refused("//api.scnet.cn");
    expect_refused("https:/api.scnet.cn");
    expect_refused("httpss://api.scnet.cn");
    expect_refused("gopher://127.0.0.1");
    expect_refused("");
    expect_refused(NULL);
}

static void test_base_http_only_for_loopback(void **state)
{
    expect_allowed("http://127.0.0.1");
    expect_allowed("http://127.0.0.1:18080/");
    expect_allowed("http://127.255.254.3/hpc");
    expect_allowed("http://127.0.0.0");
    expect_allowed("http://localhost:8080");
    expect_allowed("http://LocalHost/x");
    expect_allowed("http://[::1]:8080/hpc");
    expect_allowed("http://[::1]");

    expect_refused("http://api.scnet.cn");
    expect_refused("http://10.0.0.1");
    expect_refused("http://128.0.0.1");
    expect_refused("http://[::2]");
    expect_refused("http://[2001:db8::1]");
}

static void test_base_http_lookalike_loopback_refused(void **state)
{
    expect_refused("http://127.0.0.1.evil.com");
    expect_refused("http://127.0.0.1.evil.com/");
    expect_refused("http://localhost.evil.com");
    expect_refused("http://localhost.");
    expect_refused("http://[::1].evil");
    expect_refused("http://[::1]evil");
    expect_refused("http://127.1");       /* not a full dotted quad */
    expect_refused("http://127.0.1");     /* not a full dotted quad */
    expect_refused("http://127.0.0.1.1"); /* five parts */
    expect_refused("http://127.0.0.256"); /* octet out of range */
    expect_refused("http://127.0.0.01");  /* leading zero: octal to some parsers */
    expect_refused("http://0177.0.0.1");  /* octal 127 */
    expect_refused("http://0x7f.0.0.1");  /* hex 127 */
    expect_refused("http://2130706433");  /* 127.0.0.1 as one number */
    expect_refused("http://127.0.0.1x");
    expect_refused("http://evil.com#@127.0.0.1");
}

static void test_base_userinfo_refused(void **state)
{
    expect_refused("https://user@api.scnet.cn");
    expect_refused("https://user:pass@api.scnet.cn/hpc");
    expect_refused("http://127.0.0.1@evil.com");
    expect_refused("http://evil.com@127.0.0.1");
    expect_refused("https://@api.scnet.cn");
}

static void test_base_query_fragment_refused(void **state)
{
    expect_refused("https://api.scnet.cn/?a=b");
    expect_refused("https://api.scnet.cn?x");
    expect_refused("https://api.scnet.cn/#frag");
    expect_refused("https://api.scnet.cn#");
}

static void test_base_empty_host_refused(void **state)
{
    expect_refused("https://");
    expect_refused("https:///hpc");
    expect_refused("https://:443/");
    expect_refused("http://");
    expect_refused("https://[]/");
}

static void test_base_spaces_controls_refused(void **state)
{
    expect_refused("https://api.scnet.cn /hpc");
    expect_refused(" https://api.scnet.cn");
    expect_refused("https://api.scnet.cn/\n");
    expect_refused("https://api.scnet.cn/a\tb");
    expect_refused("https://api.scnet.cn/\x7f");
    expect_refused("https://api.scnet.cn\r\n/x");
}

static void test_base_bad_host_or_port_refused(void **state)
{
    expect_refused("https://api.scnet.cn:");
    expect_refused("https://api.scnet.cn:0");
    expect_refused("https://api.scnet.cn:65536");
    expect_refused("https://api.scnet.cn:123456");
    expect_refused("https://api.scnet.cn:80x/");
    expect_refused("https://api.scnet.cn\\@evil/");
    expect_refused("https://ex%61mple.com/");
    expect_refused("https://\xe4\xbe\x8b.cn/"); /* IDN must be given as punycode */
    expect_refused("https://[::1/");
    expect_allowed("https://api.scnet.cn:65535");
    expect_allowed("https://api.scnet.cn:1/");
}

static void test_base_err_may_be_null(void **state)
{
    assert_false(base_url_is_allowed("ftp://x", NULL, 0));
    assert_true(base_url_is_allowed("https://x", NULL, 0));
}

/* ---- url_join ---- */

static void expect_join(const char *base, const char *suffix, const char *want)
{
    char *url = NULL;
    char err[128] = "";

    assert_true(url_join(base, suffix, &url, err, sizeof(err)));
    assert_non_null(url);
    assert_string_equal(url, want);
    free(url);
}

static void test_join_no_double_slash(void **state)
{
    expect_join("https://h/", "/hpc/openapi/x", "https://h/hpc/openapi/x");
    expect_join("https://h", "/hpc/openapi/x", "https://h/hpc/openapi/x");
    expect_join("https://h//", "/x", "https://h/x");
    expect_join("https://h:8443/", "/x", "https://h:8443/x");
    expect_join("https://h", "x", "https://h/x");
}

static void test_join_no_double_hpc(void **state)
{
    expect_join("https://h/hpc", "/hpc/openapi/v2/x", "https://h/hpc/openapi/v2/x");
    expect_join("https://h/hpc/", "/hpc/openapi/v2/x", "https://h/hpc/openapi/v2/x");
    expect_join("https://h/a/hpc", "/hpc/x", "https://h/a/hpc/x");
    expect_join("https://h/hpc", "/hpc", "https://h/hpc");
}

static void test_join_keeps_other_paths(void **state)
{
    expect_join("https://h/prefix", "/hpc/x", "https://h/prefix/hpc/x");
    expect_join("https://h/prefix/", "/hpc/x", "https://h/prefix/hpc/x");
    /* only a whole "/hpc" segment counts */
    expect_join("https://h/myhpc", "/hpc/x", "https://h/myhpc/hpc/x");
    expect_join("https://h/hpc", "/hpcx/y", "https://h/hpc/hpcx/y");
    expect_join("https://h/hpc/v1", "/hpc/x", "https://h/hpc/v1/hpc/x");
}

static void test_join_host_named_hpc_is_not_a_path(void **state)
{
    expect_join("https://hpc", "/hpc/x", "https://hpc/hpc/x");
    expect_join("http://localhost/hpc", "/hpc/x", "http://localhost/hpc/x");
}

static void test_join_refuses_base_without_scheme(void **state)
{
    char *url = (char *)"untouched";
    char err[128] = "";

    assert_false(url_join("h/hpc", "/x", &url, err, sizeof(err)));
    assert_null(url);
    assert_true(err[0] != '\0');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_refuses_empty_dot_dotdot),
        cmocka_unit_test(test_user_refuses_slash),
        cmocka_unit_test(test_user_refuses_control_chars),
        cmocka_unit_test(test_user_length_limit),
        cmocka_unit_test(test_user_accepts_what_encoding_makes_safe),
        cmocka_unit_test(test_quota_url_plain_name_unchanged),
        cmocka_unit_test(test_quota_url_percent_encodes_uppercase_hex),
        cmocka_unit_test(test_quota_url_refuses_unsendable_name),
        cmocka_unit_test(test_quota_url_refuses_bad_base),
        cmocka_unit_test(test_quota_url_joins_with_hpc_base),
        cmocka_unit_test(test_base_https_allowed_with_port_and_path),
        cmocka_unit_test(test_base_scheme_case_insensitive),
        cmocka_unit_test(test_base_other_schemes_refused),
        cmocka_unit_test(test_base_http_only_for_loopback),
        cmocka_unit_test(test_base_http_lookalike_loopback_refused),
        cmocka_unit_test(test_base_userinfo_refused),
        cmocka_unit_test(test_base_query_fragment_refused),
        cmocka_unit_test(test_base_empty_host_refused),
        cmocka_unit_test(test_base_spaces_controls_refused),
        cmocka_unit_test(test_base_bad_host_or_port_refused),
        cmocka_unit_test(test_base_err_may_be_null),
        cmocka_unit_test(test_join_no_double_slash),
        cmocka_unit_test(test_join_no_double_hpc),
        cmocka_unit_test(test_join_keeps_other_paths),
        cmocka_unit_test(test_join_host_named_hpc_is_not_a_path),
        cmocka_unit_test(test_join_refuses_base_without_scheme),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
