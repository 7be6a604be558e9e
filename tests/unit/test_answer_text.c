/* Unit tests for common/answer_text.c: what the network helper hands the module (and the cache
 * keeps) instead of the servers' JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer_text.h"
#include "token.h"
#include "unit_support.h"

/* The JSON through the real parser, then through the text and back. */
static enum reply_status round_trip(const char *json, struct quota_reply *back, char *why,
                                    size_t whylen, struct strbuf *text)
{
    struct quota_reply reply;
    char err[256] = "";
    enum reply_status rs = quota_reply_parse(json, strlen(json), &reply, err, sizeof(err));

    assert_true(answer_text_put_quota(text, rs, &reply, err));
    quota_reply_free(&reply);
    return answer_text_get_quota(text->data, text->len, back, why, whylen);
}

static void test_quota_round_trip(void **state)
{
    struct quota_reply r;
    struct strbuf text = {0};
    char why[256];

    assert_int_equal(
        round_trip("{\"code\":0,\"msg\":\"a b%c\\n\",\"data\":["
                   "{\"username\":\"alice\",\"path\":\"/public/home/my dir/%x\\t\\u00e9\","
                   "\"usage\":0.1,\"threshold\":\"700.25\"},"
                   "{\"username\":\"bob\",\"path\":\"/b\",\"usage\":1e300}]}",
                   &r, why, sizeof(why), &text),
        REPLY_OK);
    assert_string_equal(r.code, "0");
    assert_string_equal(r.msg, "a b%c\n");
    assert_int_equal(r.count, 2);
    assert_string_equal(r.entries[0].username, "alice");
    assert_string_equal(r.entries[0].path, "/public/home/my dir/%x\t\xc3\xa9");
    assert_true(r.entries[0].usage == 0.1); /* exact: the bits travel */
    assert_true(r.entries[0].threshold == 700.25);
    assert_true(r.entries[0].has_limit);
    assert_true(r.entries[1].usage == 1e300);
    assert_false(r.entries[1].has_limit);
    assert_true(r.entries[1].threshold == 0);
    /* One line per field, nothing unescaped that could split one. */
    assert_non_null(strstr(text.data, "msg =a%20b%25c%0A\n"));
    assert_non_null(strstr(text.data, " =/public/home/my%20dir/%25x%09\xc3\xa9\n"));
    quota_reply_free(&r);
    strbuf_free(&text);

    /* No msg, no entries. */
    assert_int_equal(round_trip("{\"code\":\"0\",\"data\":[]}", &r, why, sizeof(why), &text),
                     REPLY_OK);
    assert_null(r.msg);
    assert_int_equal(r.count, 0);
    quota_reply_free(&r);
    strbuf_free(&text);

    /* An API error keeps its code (and no entries); a malformed reply its reason. */
    assert_int_equal(
        round_trip("{\"code\":\"10008\",\"msg\":\"expired\"}", &r, why, sizeof(why), &text),
        REPLY_API_ERROR);
    assert_string_equal(r.code, "10008");
    assert_string_equal(r.msg, "expired");
    quota_reply_free(&r);
    strbuf_free(&text);
    assert_int_equal(round_trip("{\"code\":\"0\"}", &r, why, sizeof(why), &text), REPLY_MALFORMED);
    assert_string_equal(why, "data is missing");
    assert_null(r.code);
    strbuf_free(&text);

    /* A decimal comma in the locale changes nothing. */
    unit_set_decimal_comma_locale();
    assert_int_equal(round_trip("{\"code\":0,\"data\":[{\"username\":\"a\",\"path\":\"/a\","
                                "\"usage\":1.5,\"threshold\":2.5}]}",
                                &r, why, sizeof(why), &text),
                     REPLY_OK);
    setlocale(LC_NUMERIC, "C");
    assert_true(r.entries[0].usage == 1.5 && r.entries[0].threshold == 2.5);
    quota_reply_free(&r);
    strbuf_free(&text);
}

#define OK_HEAD "scnet-answer quota ok\ncode =0\n"
/* 1.0 and 700.0 as IEEE-754 bits. */
#define ONE "3ff0000000000000"
#define SEVEN_HUNDRED "4085e00000000000"

static void test_quota_text_rules(void **state)
{
    static const char *const bad[] = {
        "",
        "scnet-answer quota ok\n",
        OK_HEAD,          /* no end */
        OK_HEAD "end",    /* no end of line */
        OK_HEAD "end\nx", /* after the end */
        OK_HEAD "end\n\n",
        "scnet-answer quota okay\ncode =0\nend\n",                    /* unknown status */
        "scnet-answer token ok\ncode =0\nend\n",                      /* another kind */
        "scnet-answer quota ok\ncode -\nend\n",                       /* no code */
        "scnet-answer quota ok\ncode =1\nend\n",                      /* an error's code */
        "scnet-answer quota api-error\ncode =0\nend\n",               /* an answer's code */
        "scnet-answer quota ok\ncode 0\nend\n",                       /* not a string */
        "scnet-answer quota ok\ncode =0 \nend\n",                     /* trailing space */
        "scnet-answer quota ok\nmsg =x\ncode =0\nend\n",              /* out of order */
        OK_HEAD "msg =a b\nend\n",                                    /* unescaped space */
        OK_HEAD "msg =a%2Fb\nend\n",                                  /* '/' needs no escape */
        OK_HEAD "msg =a%0a\nend\n",                                   /* lowercase escape */
        OK_HEAD "msg =a%00\nend\n",                                   /* NUL */
        OK_HEAD "msg =a%2\nend\n",                                    /* cut escape */
        OK_HEAD "entry " ONE " " SEVEN_HUNDRED " 1 =a\nend\n",        /* no path */
        OK_HEAD "entry " ONE " " SEVEN_HUNDRED " 1 =a =/a =x\nend\n", /* one word more */
        OK_HEAD "entry " ONE " " SEVEN_HUNDRED " 2 =a =/a\nend\n",
        OK_HEAD "entry " ONE " " SEVEN_HUNDRED " 0 =a =/a\nend\n", /* no limit, threshold */
        OK_HEAD "entry " ONE " 0000000000000000 1 =a =/a\nend\n",  /* limit of 0 */
        OK_HEAD "entry bff0000000000000 " SEVEN_HUNDRED " 1 =a =/a\nend\n", /* -1 */
        OK_HEAD "entry 8000000000000000 " SEVEN_HUNDRED " 1 =a =/a\nend\n", /* -0 */
        OK_HEAD "entry 7ff8000000000000 " SEVEN_HUNDRED " 1 =a =/a\nend\n", /* NaN */
        OK_HEAD "entry 7ff0000000000000 " SEVEN_HUNDRED " 1 =a =/a\nend\n", /* infinity */
        OK_HEAD "entry 3FF0000000000000 " SEVEN_HUNDRED " 1 =a =/a\nend\n", /* uppercase */
        OK_HEAD "entry 3ff000000000000 " SEVEN_HUNDRED " 1 =a =/a\nend\n",  /* 15 digits */
        "scnet-answer quota api-error\ncode =1\nentry " ONE " " SEVEN_HUNDRED " 1 =a =/a\nend\n",
        "scnet-answer quota malformed\nend\n",
        "scnet-answer quota malformed\nwhy -\nend\n",
    };
    struct quota_reply r;
    struct strbuf text = {0};
    char why[256];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (answer_text_get_quota(bad[i], strlen(bad[i]), &r, why, sizeof(why)) != REPLY_MALFORMED)
            fail_msg("accepted: %s", bad[i]);
        assert_null(r.code);
        assert_null(r.entries);
    }
    /* A NUL inside. */
    assert_int_equal(
        answer_text_get_quota(OK_HEAD "end\n", sizeof(OK_HEAD "end\n") - 2, &r, why, sizeof(why)),
        REPLY_MALFORMED);
    assert_int_equal(
        answer_text_get_quota("scnet-answer quota ok\n\0code =0\nend\n", 32, &r, why, sizeof(why)),
        REPLY_MALFORMED);
    assert_non_null(strstr(why, "NUL"));

    /* QUOTA_MAX_ENTRIES entries, then one more. */
    strbuf_printf(&text, OK_HEAD);
    for (int i = 0; i < QUOTA_MAX_ENTRIES; i++)
        strbuf_printf(&text, "entry " ONE " " SEVEN_HUNDRED " 1 =u%d =/p\n", i);
    strbuf_printf(&text, "end\n");
    assert_int_equal(answer_text_get_quota(text.data, text.len, &r, why, sizeof(why)), REPLY_OK);
    assert_int_equal(r.count, QUOTA_MAX_ENTRIES);
    quota_reply_free(&r);
    text.len -= 4;
    strbuf_printf(&text, "entry " ONE " " SEVEN_HUNDRED " 1 =u =/p\nend\n");
    assert_int_equal(answer_text_get_quota(text.data, text.len, &r, why, sizeof(why)),
                     REPLY_MALFORMED);
    strbuf_free(&text);

    /* A string of QUOTA_MAX_STRING bytes, then one more. */
    for (int extra = 0; extra <= 1; extra++) {
        strbuf_printf(&text, OK_HEAD "msg =");
        for (int i = 0; i < QUOTA_MAX_STRING + extra; i++)
            strbuf_append(&text, "m", 1);
        strbuf_printf(&text, "\nend\n");
        assert_int_equal(answer_text_get_quota(text.data, text.len, &r, why, sizeof(why)),
                         extra ? REPLY_MALFORMED : REPLY_OK);
        quota_reply_free(&r);
        strbuf_free(&text);
    }
}

static void test_quota_writer_refuses_what_the_reader_would(void **state)
{
    struct quota_entry e = {
        .username = "a", .path = "/a", .usage = -1, .threshold = 1, .has_limit = true};
    struct quota_reply r = {.code = "0", .entries = &e, .count = 1};
    struct strbuf text = {0};

    assert_false(answer_text_put_quota(&text, REPLY_OK, &r, NULL));
    e.usage = 1;
    e.threshold = 0;
    assert_false(answer_text_put_quota(&text, REPLY_OK, &r, NULL));
    e.has_limit = false;
    r.code = NULL;
    assert_false(answer_text_put_quota(&text, REPLY_OK, &r, NULL));
    assert_int_equal(text.len, 0);
    r.code = "0";
    assert_true(answer_text_put_quota(&text, REPLY_OK, &r, NULL));
    strbuf_free(&text);
}

static void test_token_round_trip(void **state)
{
    struct token_answer a = {.pick = TOKEN_PICK_OK,
                             .token = "eyJ.x y.z",
                             .region = "hefei (11250)",
                             .has_expire = true,
                             .expire_ms = 1764000000000};
    struct token_answer b;
    struct strbuf text = {0};

    assert_true(answer_text_put_token(&text, &a));
    assert_true(answer_text_get_token(text.data, text.len, &b));
    assert_int_equal(b.pick, TOKEN_PICK_OK);
    assert_string_equal(b.token, "eyJ.x y.z");
    assert_string_equal(b.region, "hefei (11250)");
    assert_true(b.has_expire);
    assert_int_equal(b.expire_ms, 1764000000000);
    answer_token_free(&b);
    strbuf_wipe(&text);

    a.has_expire = false;
    snprintf(a.why, sizeof(a.why), "token is not a JWT");
    assert_true(answer_text_put_token(&text, &a));
    assert_true(answer_text_get_token(text.data, text.len, &b));
    assert_false(b.has_expire);
    assert_string_equal(b.why, "token is not a JWT");
    answer_token_free(&b);
    strbuf_wipe(&text);

    a.pick = TOKEN_PICK_REFUSED;
    a.token = NULL;
    snprintf(a.why, sizeof(a.why), "account suspended: no token for region hefei");
    assert_true(answer_text_put_token(&text, &a));
    assert_true(answer_text_get_token(text.data, text.len, &b));
    assert_int_equal(b.pick, TOKEN_PICK_REFUSED);
    assert_null(b.token);
    assert_string_equal(b.why, "account suspended: no token for region hefei");
    strbuf_wipe(&text);
}

#define TOK_HEAD "scnet-answer token ok\ntoken =t\nregion =r\n"

static void test_token_text_rules(void **state)
{
    static const char *const bad[] = {
        "",
        TOK_HEAD "expire 1\n",                     /* no end */
        TOK_HEAD "expire 0\nend\n",                /* before 1 */
        TOK_HEAD "expire 01\nend\n",               /* leading zero */
        TOK_HEAD "expire 1000000000000001\nend\n", /* after 10^15 */
        TOK_HEAD "expire -1\nend\n",
        TOK_HEAD "expire \nend\n",
        TOK_HEAD "expire-unknown -\nend\n",
        TOK_HEAD "end\n",                                             /* no expiry line */
        "scnet-answer token ok\ntoken =\nregion =r\nexpire 1\nend\n", /* empty token */
        "scnet-answer token ok\ntoken -\nregion =r\nexpire 1\nend\n",
        "scnet-answer token ok\nregion =r\ntoken =t\nexpire 1\nend\n",
        "scnet-answer token refused\nend\n",
        "scnet-answer token refused\nwhy =x\ntoken =t\nend\n",
        "scnet-answer quota refused\nwhy =x\nend\n",
    };
    struct token_answer a;
    struct strbuf text = {0};

    assert_true(answer_text_get_token(TOK_HEAD "expire 1000000000000000\nend\n",
                                      strlen(TOK_HEAD "expire 1000000000000000\nend\n"), &a));
    answer_token_free(&a);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (answer_text_get_token(bad[i], strlen(bad[i]), &a))
            fail_msg("accepted: %s", bad[i]);
        assert_int_equal(a.pick, TOKEN_PICK_MALFORMED);
        assert_null(a.token);
        assert_null(strstr(a.why, "=t")); /* never the token */
    }
    /* A token of TOKEN_MAX_LEN bytes, then one more. */
    for (int extra = 0; extra <= 1; extra++) {
        strbuf_printf(&text, "scnet-answer token ok\ntoken =");
        for (int i = 0; i < TOKEN_MAX_LEN + extra; i++)
            strbuf_append(&text, "t", 1);
        strbuf_printf(&text, "\nregion =r\nexpire 1\nend\n");
        assert_int_equal(answer_text_get_token(text.data, text.len, &a), !extra);
        answer_token_free(&a);
        strbuf_wipe(&text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quota_round_trip),
        cmocka_unit_test(test_quota_text_rules),
        cmocka_unit_test(test_quota_writer_refuses_what_the_reader_would),
        cmocka_unit_test(test_token_round_trip),
        cmocka_unit_test(test_token_text_rules),
    };

    return unit_exit_code(cmocka_run_group_tests(tests, NULL, NULL));
}
