/* Unit tests for common/text.c: the sanitiser, the language choice and the banners. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"
#include "unit_support.h"

/* ---- helpers ---- */

static void expect_clean(const char *in, size_t max, const char *want)
{
    char *out = text_sanitize(in, max);
    assert_non_null(out);
    assert_string_equal(out, want);
    free(out);
}

/* Independent strict UTF-8 check, written from the Unicode table (D92), not from text.c. */
static bool valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t k;
        unsigned char lo = 0x80, hi = 0xbf;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            k = 1;
        else if (c == 0xe0)
            k = 2, lo = 0xa0;
        else if (c == 0xed)
            k = 2, hi = 0x9f;
        else if (c >= 0xe1 && c <= 0xef)
            k = 2;
        else if (c == 0xf0)
            k = 3, lo = 0x90;
        else if (c == 0xf4)
            k = 3, hi = 0x8f;
        else if (c >= 0xf1 && c <= 0xf3)
            k = 3;
        else
            return false;
        if (i + k >= n)
            return false;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t j = 2; j <= k; j++)
            if (s[i + j] < 0x80 || s[i + j] > 0xbf)
                return false;
        i += k + 1;
    }
    return true;
}

/* What a terminal must never receive from the server. */
static void assert_terminal_safe(const char *out)
{
    const unsigned char *s = (const unsigned char *)out;
    size_t n = strlen(out);
    assert_true(valid_utf8(s, n));
    for (size_t i = 0; i < n; i++) {
        assert_true(s[i] >= 0x20);
        assert_true(s[i] != 0x7f);
        if (s[i] == 0xc2 && i + 1 < n)
            assert_false(s[i + 1] >= 0x80 && s[i + 1] <= 0x9f);
    }
}

/* ---- sanitiser ---- */

static void test_plain_text_unchanged(void **state)
{
    expect_clean("/public/home/test", 200, "/public/home/test");
    expect_clean("", 200, "");
    expect_clean(NULL, 200, "");
}

static void test_chinese_kept_intact(void **state)
{
    expect_clean("/public/home/张三/数据集", 200, "/public/home/张三/数据集");
    expect_clean("成功", 6, "成功");
    /* 4-byte and highest code points are fine. */
    expect_clean("\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf", 200, "\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf");
}

static void test_csi_removed(void **state)
{
    expect_clean("a\x1b[2Jb", 200, "ab");
    expect_clean("\x1b[1;31mred\x1b[0m", 200, "red");
    expect_clean("\x1b[?1049h\x1b[Hx", 200, "x");
    /* A CSI cut by a byte that cannot belong to it ends there; the byte is judged alone. */
    expect_clean("\x1b[12\nX", 200, " X");
    expect_clean("\x1b[1中", 200, "中");
    expect_clean("a\x1b[", 200, "a");
}

static void test_osc_removed(void **state)
{
    expect_clean("x\x1b]0;pwned title\x07y", 200, "xy");
    expect_clean("x\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\y", 200, "xlinky");
    expect_clean("x\x1b]52;c;ZXZpbA==\x07", 200, "x");
    /* Unterminated: everything after it would be swallowed by a terminal, so it goes. */
    expect_clean("x\x1b]0;title and more", 200, "x");
    /* DCS and APC are strings too. */
    expect_clean("a\x1bPq#0;2;0;0;0\x1b\\b\x1b_apc\x1b\\c", 200, "abc");
}

static void test_other_escapes_removed(void **state)
{
    expect_clean("a\x1b"
                 "cb",
                 200, "ab");             /* RIS: full reset */
    expect_clean("a\x1b(Bb", 200, "ab"); /* charset designation */
    expect_clean("a\x1b"
                 "7b\x1b"
                 "8",
                 200, "ab");                       /* save/restore cursor */
    expect_clean("a\x1b", 200, "a");               /* lone ESC at the end */
    expect_clean("\x1b\x1b[2Jx", 200, "x");        /* ESC ESC [ */
    expect_clean("a\x1b\xe4\xb8\xad", 200, "a中"); /* ESC before a non-ASCII byte */
}

static void test_crlf_injection(void **state)
{
    expect_clean("/home/a\r\nFAKE: your account is suspended", 200,
                 "/home/a  FAKE: your account is suspended");
    expect_clean("a\tb\nc\rd", 200, "a b c d");
    /* Unicode line and paragraph separators are line breaks too. */
    expect_clean("a\xe2\x80\xa8"
                 "b\xe2\x80\xa9"
                 "c",
                 200, "a b c");
}

static void test_c0_controls_and_del_dropped(void **state)
{
    expect_clean("a\x01\x07\x08\x0b\x0c\x0e\x1f"
                 "b",
                 200, "ab");
    expect_clean("a\x7f"
                 "b\x7f",
                 200, "ab");
}

static void test_c1_controls(void **state)
{
    /* A raw 0x9b byte is not UTF-8: it becomes '?', never a CSI. */
    expect_clean("a\x9b"
                 "31mb",
                 200, "a?31mb");
    /* UTF-8 encoded C1 CSI goes with its parameters. */
    expect_clean("a\xc2\x9b"
                 "31mb",
                 200, "ab");
    expect_clean("a\xc2\x85"
                 "b\xc2\x80\xc2\x9f",
                 200, "ab");
    expect_clean("a\xc2\x9d"
                 "0;title\xc2\x9c"
                 "b",
                 200, "ab");
    expect_clean("a\xc2\x9d"
                 "0;title\x07"
                 "b",
                 200, "ab");
    /* U+00A0 and above are ordinary characters. */
    expect_clean("a\xc2\xa0\xc3\xa9", 200, "a\xc2\xa0\xc3\xa9");
}

static void test_invalid_utf8(void **state)
{
    expect_clean("\xff\xfe", 200, "??");
    expect_clean("a\x80"
                 "b\xbf",
                 200, "a?b?");
    expect_clean("\xf5\x80\x80\x80", 200, "????");
}

static void test_overlong(void **state)
{
    expect_clean("\xc0\xaf", 200, "??");
    expect_clean("\xc1\xbf", 200, "??");
    expect_clean("\xe0\x80\xaf", 200, "???");
    expect_clean("\xf0\x80\x80\xaf", 200, "????");
    /* Overlong encodings of ESC and NUL must not come back as controls. */
    expect_clean("\xc0\x9b[2J", 200, "??[2J");
    expect_clean("\xc0\x80", 200, "??");
}

static void test_surrogates_and_beyond_unicode(void **state)
{
    expect_clean("\xed\xa0\x80", 200, "???");
    expect_clean("\xed\xbf\xbf", 200, "???");
    expect_clean("\xed\x9f\xbf", 200, "\xed\x9f\xbf"); /* U+D7FF is fine */
    expect_clean("\xf4\x90\x80\x80", 200, "????");     /* U+110000 */
}

static void test_truncated_multibyte_at_end(void **state)
{
    expect_clean("abc\xe4\xb8", 200, "abc??");
    expect_clean("abc\xe4", 200, "abc?");
    expect_clean("\xf0\x9f\x98", 200, "???");
    expect_clean("\xe4\xb8"
                 "a",
                 200, "??a");
}

static void test_bidi_overrides_dropped(void **state)
{
    /* U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LRI ... U+2069 PDI */
    expect_clean("file\xe2\x80\xaetxt.exe", 200, "filetxt.exe");
    expect_clean("\xe2\x80\xaa"
                 "a\xe2\x80\xac\xe2\x81\xa6"
                 "b\xe2\x81\xa9",
                 200, "ab");
    /* Neighbours of the ranges stay. */
    expect_clean("\xe2\x80\xa9\xe2\x80\xaf", 200, " \xe2\x80\xaf");
}

/* One code point as UTF-8 into out (room for 5). */
static void utf8_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;

    if (cp < 0x80) {
        *o++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *o++ = (unsigned char)(0xc0 | (cp >> 6));
        *o++ = (unsigned char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *o++ = (unsigned char)(0xe0 | (cp >> 12));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (unsigned char)(0x80 | (cp & 0x3f));
    } else {
        *o++ = (unsigned char)(0xf0 | (cp >> 18));
        *o++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (unsigned char)(0x80 | (cp & 0x3f));
    }
    *o = '\0';
}

static void test_invisible_format_characters_dropped(void **state)
{
    /* Unicode category Cf, listed from the standard (not from the code under test). */
    static const uint32_t format[] = {
        0x00ad,  0x0600,  0x0605,  0x061c,  0x06dd,  0x070f,  0x0890,  0x0891,  0x08e2,  0x180e,
        0x200b,  0x200c,  0x200d,  0x200e,  0x200f,  0x202a,  0x202e,  0x2060,  0x2061,  0x2064,
        0x2066,  0x2069,  0x206a,  0x206f,  0xfeff,  0xfff9,  0xfffb,  0x110bd, 0x110cd, 0x13430,
        0x13438, 0x1bca0, 0x1bca3, 0x1d173, 0x1d17a, 0xe0001, 0xe0020, 0xe0041, 0xe007f,
    };
    /* Their visible neighbours stay. */
    static const uint32_t visible[] = {0x00ac, 0x00ae, 0x061b, 0x061d, 0x200a, 0x2010,
                                       0x205f, 0x2065, 0x2070, 0xfefe, 0xff01, 0xfffc};
    char in[64], want[64], ch[8];

    for (size_t k = 0; k < sizeof(format) / sizeof(format[0]); k++) {
        utf8_encode(format[k], ch);
        snprintf(in, sizeof(in), "ali%sce%s", ch, ch);
        expect_clean(in, 200, "alice");
    }
    for (size_t k = 0; k < sizeof(visible) / sizeof(visible[0]); k++) {
        utf8_encode(visible[k], ch);
        snprintf(in, sizeof(in), "a%sb", ch);
        snprintf(want, sizeof(want), "a%sb", ch);
        expect_clean(in, 200, want);
    }
    /* A path spelled with tag characters after a visible one: only the visible part. */
    expect_clean("/home/x\xf3\xa0\x81\xa5\xf3\xa0\x81\xb6\xf3\xa0\x81\xa9\xf3\xa0\x81\xac", 200,
                 "/home/x");
    /* Nothing visible: nothing left, and no room taken from the bound. */
    expect_clean("\xe2\x80\x8b\xe2\x80\x8b\xe2\x80\x8b"
                 "ab",
                 2, "ab");
}

static void test_bound_exact_fit_and_cut(void **state)
{
    expect_clean("abc", 3, "abc");
    expect_clean("abcd", 3, "abc...");
    expect_clean("a", 0, "...");
    expect_clean("", 0, "");
    /* Dropped controls do not count against the bound, and removing them is not a cut. */
    expect_clean("\x1b[2J\x1b[2Jab\x1b[0m", 2, "ab");
}

static void test_cut_on_character_boundary(void **state)
{
    expect_clean("ab中", 4, "ab...");
    expect_clean("ab中", 5, "ab中");
    expect_clean("中文", 4, "中...");
}

static void test_5000_bytes_cut_to_bound(void **state)
{
    /* 1666 three-byte characters and "ab": 5000 bytes. */
    char *in = malloc(5001);
    assert_non_null(in);
    for (size_t i = 0; i < 1666; i++)
        memcpy(in + 3 * i, "中", 3);
    memcpy(in + 4998, "ab", 3);
    assert_int_equal(strlen(in), 5000);

    char *out = text_sanitize(in, TEXT_MAX_SERVER_STRING);
    assert_non_null(out);
    /* 200 is not a multiple of 3: 66 characters (198 bytes) fit, then "...". */
    assert_int_equal(strlen(out), 198 + 3);
    assert_memory_equal(out, in, 198);
    assert_string_equal(out + 198, "...");
    assert_terminal_safe(out);
    free(out);

    memset(in, 'x', 5000);
    in[5000] = '\0';
    out = text_sanitize(in, TEXT_MAX_SERVER_STRING);
    assert_int_equal(strlen(out), 203);
    assert_string_equal(out + 200, "...");
    free(out);
    free(in);
}

static void test_random_bytes_always_safe(void **state)
{
    /* Deterministic xorshift so a failure can be reproduced. */
    uint32_t x = 2463534242u;
    unsigned char buf[64];
    static const unsigned char bias[] = {0x1b, '[',  ']',  0x07, 0xc2, 0x9b, 0x9c, 0xe2, 0x80,
                                         0xae, 0xed, 0xa0, 0xf4, 0x90, '\\', 0x7f, '\n'};

    for (int round = 0; round < 20000; round++) {
        size_t n = 0;
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        size_t len = x % sizeof(buf);
        for (; n < len; n++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            unsigned char b = (unsigned char)(x >> 8);
            buf[n] = (x & 3) == 0 ? bias[b % sizeof(bias)] : b;
            if (buf[n] == 0)
                buf[n] = 'z';
        }
        buf[n] = '\0';
        size_t max = x % 40;
        char *out = text_sanitize((const char *)buf, max);
        assert_non_null(out);
        assert_true(strlen(out) <= max + 3);
        assert_terminal_safe(out);
        free(out);
    }
}

/* ---- language ---- */

static void test_pick_lang(void **state)
{
    assert_int_equal(text_pick_lang(SCNET_LANG_EN, "zh_CN.UTF-8"), SCNET_LANG_EN);
    assert_int_equal(text_pick_lang(SCNET_LANG_ZH, "C"), SCNET_LANG_ZH);
    assert_int_equal(text_pick_lang(SCNET_LANG_ZH, NULL), SCNET_LANG_ZH);
    assert_int_equal(text_pick_lang(SCNET_LANG_AUTO, "zh_CN.UTF-8"), SCNET_LANG_ZH);
    assert_int_equal(text_pick_lang(SCNET_LANG_AUTO, "zh_TW"), SCNET_LANG_ZH);
    assert_int_equal(text_pick_lang(SCNET_LANG_AUTO, "zh"), SCNET_LANG_ZH);
    assert_int_equal(text_pick_lang(SCNET_LANG_AUTO, NULL), SCNET_LANG_EN);
    assert_int_equal(text_pick_lang(SCNET_LANG_AUTO, ""), SCNET_LANG_EN);
    assert_int_equal(text_pick_lang(SCNET_LANG_AUTO, "C"), SCNET_LANG_EN);
    assert_int_equal(text_pick_lang(SCNET_LANG_AUTO, "POSIX"), SCNET_LANG_EN);
    assert_int_equal(text_pick_lang(SCNET_LANG_AUTO, "en_US.UTF-8"), SCNET_LANG_EN);
    assert_int_equal(text_pick_lang(SCNET_LANG_AUTO, "z"), SCNET_LANG_EN);
}

/* ---- scnet-quota's own lines ---- */

/* Every message has its English and its Chinese, and they differ (none left untranslated). */
static void test_every_message_in_both_languages(void **state)
{
    for (int id = 0; id < TEXT_MESSAGE_COUNT; id++) {
        char *en = text_message(SCNET_LANG_EN, (enum text_message)id, "A", "B");
        char *zh = text_message(SCNET_LANG_ZH, (enum text_message)id, "A", "B");
        assert_non_null(en);
        assert_non_null(zh);
        if (strlen(en) < 8 || strlen(zh) < 8 || strcmp(en, zh) == 0)
            fail_msg("message %d: \"%s\" / \"%s\"", id, en, zh);
        free(en);
        free(zh);
    }
}

static void test_messages_and_age(void **state)
{
    static const struct {
        enum scnet_lang lang;
        long age;
        const char *text;
    } ages[] = {
        {SCNET_LANG_EN, 0, "0 seconds"},  {SCNET_LANG_EN, 1, "1 second"},
        {SCNET_LANG_EN, 119, "1 minute"}, {SCNET_LANG_EN, 7199, "119 minutes"},
        {SCNET_LANG_EN, 7200, "2 hours"}, {SCNET_LANG_EN, 172800, "2 days"},
        {SCNET_LANG_ZH, 5, "5 秒"},       {SCNET_LANG_ZH, 720, "12 分钟"},
        {SCNET_LANG_ZH, 7200, "2 小时"},  {SCNET_LANG_ZH, 172800, "2 天"},
    };
    char *text;

    for (size_t i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
        text = text_age(ages[i].lang, ages[i].age);
        assert_string_equal(text, ages[i].text);
        free(text);
    }
    text = text_message(SCNET_LANG_EN, TEXT_OWN_HEAD, "near", "12 minutes");
    assert_string_equal(text, "Storage quota of near (figures from 12 minutes ago):");
    free(text);
    text = text_message(SCNET_LANG_ZH, TEXT_OWN_HEAD, "near", "12 分钟");
    assert_string_equal(text, "near 的存储配额（12 分钟前的数据）：");
    free(text);
    text = text_message(SCNET_LANG_EN, TEXT_OWN_NO_FIGURES, NULL, NULL);
    assert_string_equal(text, "no figures yet: they are recorded at your next login");
    free(text);
}

/* ---- banners ---- */

struct fixture {
    struct quota_entry entries[4];
    struct quota_reply reply;
    struct policy_result policy;
    struct banner_input in;
};

static void setup_case(struct fixture *f, const struct quota_entry *entries, size_t n, double warn,
                       double deny, enum banner_kind kind, enum scnet_lang lang)
{
    memset(f, 0, sizeof(*f));
    memcpy(f->entries, entries, n * sizeof(*entries));
    f->reply.code = (char *)"0";
    f->reply.entries = f->entries;
    f->reply.count = n;
    policy_decide(&f->reply, "alice", warn, deny, &f->policy);
    f->in.kind = kind;
    f->in.lang = lang;
    f->in.policy = &f->policy;
    f->in.warn = warn;
    f->in.deny = deny;
    f->in.contact = "hpc-support@example.org";
    f->in.stale_age_s = -1;
}

static void expect_banner(const struct banner_input *in, const char *want)
{
    char *got = banner_render(in);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static const struct quota_entry near_entry[] = {
    {(char *)"alice", (char *)"/public/home/alice", 651.0, 700, true}};

#define NEAR_EN                                                                                    \
    "WARNING: your storage quota is nearly full.\n"                                                \
    "  /public/home/alice  651.0 GB of 700.0 GB  93.0%  [##################--]\n"                  \
    "Delete or move files you no longer need: jobs fail with \"Disk quota exceeded\" once a "      \
    "quota is full.\n"                                                                             \
    "Logins are refused at 100.0%.\n"                                                              \
    "Contact: hpc-support@example.org"

static void test_banner_near_en(void **state)
{
    struct fixture f;
    setup_case(&f, near_entry, 1, 90, 100, BANNER_USAGE, SCNET_LANG_EN);
    assert_int_equal(f.policy.level, POLICY_WARN);
    expect_banner(&f.in, NEAR_EN);
}

static void test_banner_near_zh(void **state)
{
    struct fixture f;
    setup_case(&f, near_entry, 1, 90, 100, BANNER_USAGE, SCNET_LANG_ZH);
    expect_banner(&f.in, "警告：您的存储配额即将用满。\n"
                         "  /public/home/alice  已用 651.0 GB，配额 700.0 GB  93.0%  "
                         "[##################--]\n"
                         "请删除或移走不再需要的文件：配额用满后，作业会因“Disk quota "
                         "exceeded”而失败。\n"
                         "使用率达到 100.0% 时将拒绝登录。\n"
                         "联系方式：hpc-support@example.org");
}

static void test_banner_no_deny_no_contact(void **state)
{
    struct fixture f;
    setup_case(&f, near_entry, 1, 90, -1, BANNER_USAGE, SCNET_LANG_EN);
    f.in.contact = NULL;
    expect_banner(&f.in, "WARNING: your storage quota is nearly full.\n"
                         "  /public/home/alice  651.0 GB of 700.0 GB  93.0%  "
                         "[##################--]\n"
                         "Delete or move files you no longer need: jobs fail with \"Disk quota "
                         "exceeded\" once a quota is full.");
    f.in.contact = "";
    expect_banner(&f.in, "WARNING: your storage quota is nearly full.\n"
                         "  /public/home/alice  651.0 GB of 700.0 GB  93.0%  "
                         "[##################--]\n"
                         "Delete or move files you no longer need: jobs fail with \"Disk quota "
                         "exceeded\" once a quota is full.");
}

static void test_banner_full_with_deny_off(void **state)
{
    static const struct quota_entry e[] = {
        {(char *)"alice", (char *)"/public/home/alice", 735.0, 700, true}};
    struct fixture f;
    setup_case(&f, e, 1, 90, -1, BANNER_USAGE, SCNET_LANG_EN);
    f.in.contact = NULL;
    expect_banner(&f.in, "WARNING: your storage quota is full.\n"
                         "  /public/home/alice  735.0 GB of 700.0 GB  105.0%  "
                         "[####################]\n"
                         "Delete or move files you no longer need: jobs fail with \"Disk quota "
                         "exceeded\" once a quota is full.");
}

static void test_banner_refused_en_lists_only_deny_items(void **state)
{
    static const struct quota_entry e[] = {
        {(char *)"alice", (char *)"/work/alice", 95, 100, true},
        {(char *)"alice", (char *)"/public/home/bob", 735.0, 700, true},
        {(char *)"alice", (char *)"/scratch/alice", 1, 100, true}};
    struct fixture f;
    setup_case(&f, e, 3, 90, 100, BANNER_REFUSED, SCNET_LANG_EN);
    assert_int_equal(f.policy.level, POLICY_DENY);
    expect_banner(&f.in, "Login refused: your storage quota is exceeded.\n"
                         "  /public/home/bob  735.0 GB of 700.0 GB  105.0%  "
                         "[####################]\n"
                         "Logins are refused at 100.0% of the quota. Ask your support team to "
                         "help you free space.\n"
                         "Contact: hpc-support@example.org");
}

static void test_banner_refused_zh(void **state)
{
    static const struct quota_entry e[] = {
        {(char *)"alice", (char *)"/public/home/bob", 735.0, 700, true}};
    struct fixture f;
    setup_case(&f, e, 1, 90, 100, BANNER_REFUSED, SCNET_LANG_ZH);
    expect_banner(&f.in,
                  "登录被拒绝：您的存储配额已超出。\n"
                  "  /public/home/bob  已用 735.0 GB，配额 700.0 GB  105.0%  "
                  "[####################]\n"
                  "使用率达到配额的 100.0% 时将拒绝登录。请联系技术支持人员帮助您释放空间。\n"
                  "联系方式：hpc-support@example.org");
}

static void test_banner_refused_below_100(void **state)
{
    static const struct quota_entry e[] = {{(char *)"alice", (char *)"/h", 96, 100, true}};
    struct fixture f;
    setup_case(&f, e, 1, 90, 95, BANNER_REFUSED, SCNET_LANG_EN);
    f.in.contact = NULL;
    expect_banner(&f.in, "Login refused: your storage quota is nearly full.\n"
                         "  /h  96.0 GB of 100.0 GB  96.0%  [###################-]\n"
                         "Logins are refused at 95.0% of the quota. Ask your support team to "
                         "help you free space.");
}

/* deny_scope = tty lets sftp, scp, rsync and commands in: the refusal says so, in both
 * languages, instead of sending the user to support. */
static void test_banner_refused_tty_scope_says_how_to_free_space(void **state)
{
    static const struct quota_entry e[] = {
        {(char *)"alice", (char *)"/public/home/bob", 735.0, 700, true}};
    struct fixture f;
    setup_case(&f, e, 1, 90, 100, BANNER_REFUSED, SCNET_LANG_EN);
    f.in.tty_scope = true;
    f.in.contact = NULL;
    expect_banner(&f.in, "Login refused: your storage quota is exceeded.\n"
                         "  /public/home/bob  735.0 GB of 700.0 GB  105.0%  "
                         "[####################]\n"
                         "Logins are refused at 100.0% of the quota. Free space now with sftp, "
                         "scp, rsync or \"ssh HOST COMMAND\" (these still work), then log in "
                         "again.");
    f.in.lang = SCNET_LANG_ZH;
    expect_banner(&f.in, "登录被拒绝：您的存储配额已超出。\n"
                         "  /public/home/bob  已用 735.0 GB，配额 700.0 GB  105.0%  "
                         "[####################]\n"
                         "使用率达到配额的 100.0% 时将拒绝登录。现在仍可用 sftp、scp、rsync "
                         "或“ssh 主机 命令”释放空间（这些方式不受限制），然后重新登录。");
}

/* help: the site's own line closes every banner (usage, warning, refusal, unchecked), in
 * both languages, cleaned like server text; nothing at all when there is no banner. */
static void test_banner_help_line_on_every_banner(void **state)
{
    static const struct quota_entry low[] = {{(char *)"alice", (char *)"/h", 10, 100, true}};
    struct fixture f;
    struct banner_input unchecked = {
        BANNER_UNCHECKED, SCNET_LANG_EN, NULL, 90, 100, NULL, -1, NULL, false, false};
    char *none;

    setup_case(&f, near_entry, 1, 90, 100, BANNER_USAGE, SCNET_LANG_EN);
    f.in.help = "https://hpc.example.org/quota \x1b[31mticket: help@example.org";
    expect_banner(&f.in, NEAR_EN "\nHelp: https://hpc.example.org/quota ticket: help@example.org");
    f.in.lang = SCNET_LANG_ZH;
    f.in.contact = NULL;
    f.in.help = "https://hpc.example.org/quota";
    expect_banner(&f.in, "警告：您的存储配额即将用满。\n"
                         "  /public/home/alice  已用 651.0 GB，配额 700.0 GB  93.0%  "
                         "[##################--]\n"
                         "请删除或移走不再需要的文件：配额用满后，作业会因“Disk quota "
                         "exceeded”而失败。\n"
                         "使用率达到 100.0% 时将拒绝登录。\n"
                         "帮助：https://hpc.example.org/quota");
    setup_case(&f, near_entry, 1, 90, 100, BANNER_REFUSED, SCNET_LANG_EN);
    f.in.contact = NULL;
    f.in.help = "https://hpc.example.org/quota";
    expect_banner(&f.in, "Login refused: your storage quota is nearly full.\n"
                         "Logins are refused at 100.0% of the quota. Ask your support team to "
                         "help you free space.\n"
                         "Help: https://hpc.example.org/quota");
    unchecked.help = "https://hpc.example.org/quota";
    expect_banner(&unchecked, "Login refused: your storage quota could not be checked. Please "
                              "try again later.\nHelp: https://hpc.example.org/quota");
    /* warn = 0 usage line below the warning line: plain list, and the help line. */
    setup_case(&f, low, 1, 0, -1, BANNER_USAGE, SCNET_LANG_EN);
    f.in.help = "https://hpc.example.org/quota";
    expect_banner(&f.in, "Storage quota:\n  /h  10.0 GB of 100.0 GB  10.0%  [##------------------]"
                         "\nHelp: https://hpc.example.org/quota");
    /* Below warn: no banner, so no help line either. */
    setup_case(&f, low, 1, 90, 100, BANNER_USAGE, SCNET_LANG_EN);
    f.in.help = "https://hpc.example.org/quota";
    none = banner_render(&f.in);
    assert_true(none == NULL || none[0] == '\0');
    free(none);
}

/* command_hint: the warning and the refusal end with the line pointing to scnet-quota (after
 * the contact and help lines), in both languages; the plain usage list and "could not be
 * checked" do not get it; without command_hint nothing else changes. */
static void test_banner_command_hint(void **state)
{
    static const struct quota_entry over[] = {
        {(char *)"alice", (char *)"/public/home/bob", 735.0, 700, true}};
    static const struct quota_entry low[] = {{(char *)"alice", (char *)"/h", 10, 100, true}};
    struct fixture f;
    struct banner_input unchecked = {
        BANNER_UNCHECKED, SCNET_LANG_EN, NULL, 90, 100, NULL, -1, NULL, false, true};

    setup_case(&f, near_entry, 1, 90, 100, BANNER_USAGE, SCNET_LANG_EN);
    f.in.command_hint = true;
    expect_banner(&f.in, NEAR_EN "\nSee your quota any time: scnet-quota");
    f.in.help = "https://hpc.example.org/quota";
    expect_banner(&f.in, NEAR_EN "\nHelp: https://hpc.example.org/quota\n"
                                 "See your quota any time: scnet-quota");
    f.in.help = NULL;
    f.in.lang = SCNET_LANG_ZH;
    expect_banner(&f.in, "警告：您的存储配额即将用满。\n"
                         "  /public/home/alice  已用 651.0 GB，配额 700.0 GB  93.0%  "
                         "[##################--]\n"
                         "请删除或移走不再需要的文件：配额用满后，作业会因“Disk quota "
                         "exceeded”而失败。\n"
                         "使用率达到 100.0% 时将拒绝登录。\n"
                         "联系方式：hpc-support@example.org\n"
                         "随时查看您的配额：scnet-quota");
    setup_case(&f, over, 1, 90, 100, BANNER_REFUSED, SCNET_LANG_ZH);
    f.in.command_hint = true;
    expect_banner(&f.in,
                  "登录被拒绝：您的存储配额已超出。\n"
                  "  /public/home/bob  已用 735.0 GB，配额 700.0 GB  105.0%  "
                  "[####################]\n"
                  "使用率达到配额的 100.0% 时将拒绝登录。请联系技术支持人员帮助您释放空间。\n"
                  "联系方式：hpc-support@example.org\n"
                  "随时查看您的配额：scnet-quota");
    f.in.lang = SCNET_LANG_EN;
    f.in.tty_scope = true;
    f.in.contact = NULL;
    expect_banner(&f.in, "Login refused: your storage quota is exceeded.\n"
                         "  /public/home/bob  735.0 GB of 700.0 GB  105.0%  "
                         "[####################]\n"
                         "Logins are refused at 100.0% of the quota. Free space now with sftp, "
                         "scp, rsync or \"ssh HOST COMMAND\" (these still work), then log in "
                         "again.\n"
                         "See your quota any time: scnet-quota");
    /* Nothing to follow up: a plain list, a check that could not be made. */
    setup_case(&f, low, 1, 0, -1, BANNER_USAGE, SCNET_LANG_EN);
    f.in.command_hint = true;
    expect_banner(&f.in,
                  "Storage quota:\n  /h  10.0 GB of 100.0 GB  10.0%  [##------------------]");
    expect_banner(&unchecked, "Login refused: your storage quota could not be checked. Please "
                              "try again later.");
}

/* The trend: a warning lists "At the recent rate ... full in about N days." for each listed
 * path with one, in both languages; below the warning line a trend within warn_days
 * (policy early) makes it a warning that is "filling up"; a plain list has no trend
 * line. */
static void test_banner_trend_lines(void **state)
{
    static const struct quota_entry low[] = {{(char *)"alice", (char *)"/h", 10, 100, true}};
    struct fixture f;

    setup_case(&f, near_entry, 1, 90, 100, BANNER_USAGE, SCNET_LANG_EN);
    f.policy.items[0].full_in_days = 5;
    f.in.contact = NULL;
    expect_banner(&f.in, "WARNING: your storage quota is nearly full.\n"
                         "  /public/home/alice  651.0 GB of 700.0 GB  93.0%  "
                         "[##################--]\n"
                         "At the recent rate /public/home/alice is full in about 5 days.\n"
                         "Delete or move files you no longer need: jobs fail with \"Disk quota "
                         "exceeded\" once a quota is full.\n"
                         "Logins are refused at 100.0%.");
    f.policy.items[0].full_in_days = 1;
    f.in.lang = SCNET_LANG_ZH;
    expect_banner(&f.in, "警告：您的存储配额即将用满。\n"
                         "  /public/home/alice  已用 651.0 GB，配额 700.0 GB  93.0%  "
                         "[##################--]\n"
                         "按近期的增长速度，/public/home/alice 约 1 天后用满。\n"
                         "请删除或移走不再需要的文件：配额用满后，作业会因“Disk quota "
                         "exceeded”而失败。\n"
                         "使用率达到 100.0% 时将拒绝登录。");
    f.in.lang = SCNET_LANG_EN;
    expect_banner(&f.in, "WARNING: your storage quota is nearly full.\n"
                         "  /public/home/alice  651.0 GB of 700.0 GB  93.0%  "
                         "[##################--]\n"
                         "At the recent rate /public/home/alice is full in about 1 day.\n"
                         "Delete or move files you no longer need: jobs fail with \"Disk quota "
                         "exceeded\" once a quota is full.\n"
                         "Logins are refused at 100.0%.");

    /* warn = 0: a plain list, with no trend line, unless the trend is within warn_days. */
    setup_case(&f, low, 1, 0, -1, BANNER_USAGE, SCNET_LANG_EN);
    f.policy.items[0].full_in_days = 3;
    f.in.contact = NULL;
    expect_banner(&f.in,
                  "Storage quota:\n  /h  10.0 GB of 100.0 GB  10.0%  [##------------------]");
    f.policy.early = true;
    expect_banner(&f.in, "WARNING: your storage quota is filling up.\n"
                         "  /h  10.0 GB of 100.0 GB  10.0%  [##------------------]\n"
                         "At the recent rate /h is full in about 3 days.\n"
                         "Delete or move files you no longer need: jobs fail with \"Disk quota "
                         "exceeded\" once a quota is full.");
    f.in.lang = SCNET_LANG_ZH;
    expect_banner(&f.in, "警告：您的存储配额增长较快，即将用满。\n"
                         "  /h  已用 10.0 GB，配额 100.0 GB  10.0%  [##------------------]\n"
                         "按近期的增长速度，/h 约 3 天后用满。\n"
                         "请删除或移走不再需要的文件：配额用满后，作业会因“Disk quota "
                         "exceeded”而失败。");
}

static void test_banner_unchecked(void **state)
{
    struct banner_input in = {BANNER_UNCHECKED,
                              SCNET_LANG_EN,
                              NULL,
                              90,
                              100,
                              "hpc-support@example.org",
                              -1,
                              NULL,
                              false,
                              false};
    expect_banner(&in, "Login refused: your storage quota could not be checked. Please try "
                       "again later.\nContact: hpc-support@example.org");
    in.lang = SCNET_LANG_ZH;
    expect_banner(&in, "无法检查您的存储配额，登录被拒绝，请稍后再试。\n"
                       "联系方式：hpc-support@example.org");
    in.contact = NULL;
    expect_banner(&in, "无法检查您的存储配额，登录被拒绝，请稍后再试。");
}

static void test_banner_warn_zero_plain_usage(void **state)
{
    static const struct quota_entry e[] = {
        {(char *)"alice", (char *)"/public/home/alice", 398.56, 700, true},
        {(char *)"alice", (char *)"/work/alice", 0, 50, true}};
    struct fixture f;
    setup_case(&f, e, 2, 0, 100, BANNER_USAGE, SCNET_LANG_EN);
    expect_banner(&f.in, "Storage quota:\n"
                         "  /public/home/alice  398.6 GB of 700.0 GB  56.9%  "
                         "[###########---------]\n"
                         "  /work/alice  0.0 GB of 50.0 GB  0.0%  [--------------------]");
    f.in.lang = SCNET_LANG_ZH;
    expect_banner(&f.in, "存储配额：\n"
                         "  /public/home/alice  已用 398.6 GB，配额 700.0 GB  56.9%  "
                         "[###########---------]\n"
                         "  /work/alice  已用 0.0 GB，配额 50.0 GB  0.0%  [--------------------]");
}

static void test_banner_warn_zero_above_90_warns(void **state)
{
    static const struct quota_entry e[] = {{(char *)"alice", (char *)"/a", 10, 100, true},
                                           {(char *)"alice", (char *)"/b", 90, 100, true}};
    struct fixture f;
    setup_case(&f, e, 2, 0, -1, BANNER_USAGE, SCNET_LANG_EN);
    f.in.contact = NULL;
    expect_banner(&f.in, "WARNING: your storage quota is nearly full.\n"
                         "  /a  10.0 GB of 100.0 GB  10.0%  [##------------------]\n"
                         "  /b  90.0 GB of 100.0 GB  90.0%  [##################--]\n"
                         "Delete or move files you no longer need: jobs fail with \"Disk quota "
                         "exceeded\" once a quota is full.");
}

static void test_banner_stale_ages(void **state)
{
    static const struct {
        long age;
        const char *en;
        const char *zh;
    } cases[] = {
        {0, "less than a minute", "不到 1 分钟"},
        {59, "less than a minute", "不到 1 分钟"},
        {60, "1 minute", " 1 分钟"},
        {300, "5 minutes", " 5 分钟"},
        {7199, "119 minutes", " 119 分钟"},
        {7200, "2 hours", " 2 小时"},
        {86400 * 2 - 1, "47 hours", " 47 小时"},
        {86400 * 3, "3 days", " 3 天"},
    };
    struct fixture f;
    char want[512];

    setup_case(&f, near_entry, 1, 90, 100, BANNER_USAGE, SCNET_LANG_EN);
    f.in.contact = NULL;
    f.in.deny = -1;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        f.in.stale_age_s = cases[i].age;
        f.in.lang = SCNET_LANG_EN;
        snprintf(want, sizeof(want),
                 "WARNING: your storage quota is nearly full.\n"
                 "  /public/home/alice  651.0 GB of 700.0 GB  93.0%%  [##################--]\n"
                 "(Figures from %s ago: the quota service could not be reached.)\n"
                 "Delete or move files you no longer need: jobs fail with \"Disk quota "
                 "exceeded\" once a quota is full.",
                 cases[i].en);
        expect_banner(&f.in, want);

        f.in.lang = SCNET_LANG_ZH;
        snprintf(want, sizeof(want),
                 "警告：您的存储配额即将用满。\n"
                 "  /public/home/alice  已用 651.0 GB，配额 700.0 GB  93.0%%  "
                 "[##################--]\n"
                 "（以上为%s前的数据：无法连接配额服务。）\n"
                 "请删除或移走不再需要的文件：配额用满后，作业会因“Disk quota exceeded”而失败。",
                 cases[i].zh);
        expect_banner(&f.in, want);
    }
}

static void test_banner_sanitises_server_path(void **state)
{
    static const struct quota_entry e[] = {
        {(char *)"alice", (char *)"/home/a\x1b[2J\r\nFAKE\x1b]0;t\x07\xff", 95, 100, true}};
    struct fixture f;
    setup_case(&f, e, 1, 90, -1, BANNER_USAGE, SCNET_LANG_EN);
    f.in.contact = "ops\n\x1b[5mteam";
    expect_banner(&f.in, "WARNING: your storage quota is nearly full.\n"
                         "  /home/a  FAKE?  95.0 GB of 100.0 GB  95.0%  [###################-]\n"
                         "Delete or move files you no longer need: jobs fail with \"Disk quota "
                         "exceeded\" once a quota is full.\n"
                         "Contact: ops team");
}

static void test_banner_long_path_is_bounded(void **state)
{
    char path[1001];
    memset(path, 'p', 1000);
    path[1000] = '\0';
    struct quota_entry e[] = {{(char *)"alice", path, 95, 100, true}};
    struct fixture f;
    setup_case(&f, e, 1, 90, -1, BANNER_USAGE, SCNET_LANG_EN);

    char *got = banner_render(&f.in);
    assert_non_null(got);
    char *line = strchr(got, '\n') + 1;
    assert_memory_equal(line, "  pppp", 6);
    assert_memory_equal(line + 2 + 200, "...  95.0 GB", 12);
    free(got);
}

static void test_banner_numbers_ignore_locale(void **state)
{
    /* su calls setlocale() with the user's environment; a decimal comma must not follow. */
    unit_set_decimal_comma_locale();

    struct fixture f;
    setup_case(&f, near_entry, 1, 90, 100, BANNER_USAGE, SCNET_LANG_EN);
    char *got = banner_render(&f.in);
    setlocale(LC_NUMERIC, "C");
    assert_non_null(got);
    assert_string_equal(got, NEAR_EN);
    free(got);
}

static void test_banner_usage_with_nothing_listed(void **state)
{
    static const struct quota_entry e[] = {{(char *)"alice", (char *)"/h", 1, 100, true}};
    struct fixture f;
    setup_case(&f, e, 1, 90, 100, BANNER_USAGE, SCNET_LANG_EN);
    expect_banner(&f.in, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text_unchanged),
        cmocka_unit_test(test_every_message_in_both_languages),
        cmocka_unit_test(test_messages_and_age),
        cmocka_unit_test(test_chinese_kept_intact),
        cmocka_unit_test(test_csi_removed),
        cmocka_unit_test(test_osc_removed),
        cmocka_unit_test(test_other_escapes_removed),
        cmocka_unit_test(test_crlf_injection),
        cmocka_unit_test(test_c0_controls_and_del_dropped),
        cmocka_unit_test(test_c1_controls),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_overlong),
        cmocka_unit_test(test_surrogates_and_beyond_unicode),
        cmocka_unit_test(test_truncated_multibyte_at_end),
        cmocka_unit_test(test_bidi_overrides_dropped),
        cmocka_unit_test(test_invisible_format_characters_dropped),
        cmocka_unit_test(test_bound_exact_fit_and_cut),
        cmocka_unit_test(test_cut_on_character_boundary),
        cmocka_unit_test(test_5000_bytes_cut_to_bound),
        cmocka_unit_test(test_random_bytes_always_safe),
        cmocka_unit_test(test_pick_lang),
        cmocka_unit_test(test_banner_near_en),
        cmocka_unit_test(test_banner_near_zh),
        cmocka_unit_test(test_banner_no_deny_no_contact),
        cmocka_unit_test(test_banner_full_with_deny_off),
        cmocka_unit_test(test_banner_refused_en_lists_only_deny_items),
        cmocka_unit_test(test_banner_refused_zh),
        cmocka_unit_test(test_banner_refused_below_100),
        cmocka_unit_test(test_banner_refused_tty_scope_says_how_to_free_space),
        cmocka_unit_test(test_banner_help_line_on_every_banner),
        cmocka_unit_test(test_banner_unchecked),
        cmocka_unit_test(test_banner_warn_zero_plain_usage),
        cmocka_unit_test(test_banner_warn_zero_above_90_warns),
        cmocka_unit_test(test_banner_stale_ages),
        cmocka_unit_test(test_banner_command_hint),
        cmocka_unit_test(test_banner_trend_lines),
        cmocka_unit_test(test_banner_sanitises_server_path),
        cmocka_unit_test(test_banner_long_path_is_bounded),
        cmocka_unit_test(test_banner_numbers_ignore_locale),
        cmocka_unit_test(test_banner_usage_with_nothing_listed),
    };
    return unit_exit_code(cmocka_run_group_tests(tests, NULL, NULL));
}
