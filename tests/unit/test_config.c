/* Unit tests for common/config.c: config files are real files in a fresh directory, read
 * through config_load exactly as the module does (conf=PATH plus pam.d arguments). */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "unit_support.h"

#define OTHER_UID 12345
/* Distinctive, so that finding it in an error message cannot be a coincidence. */
#define SECRET "s3cr3tVALUEdoNotLog"
#define GOOD_URL "https://h.example"

/* NULL-terminated argument list for load(). */
#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

struct fixture {
    char dir[1024];
    char conf[PATH_MAX];         /* dir/pam_scnet_quota.conf */
    char conf_arg[PATH_MAX + 8]; /* "conf=" + conf */
    struct scnet_config cfg;
    bool loaded; /* cfg holds allocations */
    char err[1024];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    if (!unit_mkdtemp(f->dir, sizeof(f->dir), "scnet-config-XXXXXX")) {
        free(f);
        return -1;
    }
    snprintf(f->conf, sizeof(f->conf), "%s/pam_scnet_quota.conf", f->dir);
    snprintf(f->conf_arg, sizeof(f->conf_arg), "conf=%s", f->conf);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(unit_remove_tree(f->dir), 0);
    if (f->loaded)
        config_free(&f->cfg);
    free(f);
    return 0;
}

/* (Re)write the config file with exactly these bytes and this mode. */
static void write_conf(struct fixture *f, const char *data, size_t len, mode_t mode)
{
    (void)unlink(f->conf);
    unit_write_file(f->conf, data, len, mode);
}

/* config_load with exactly these arguments (NULL-terminated, may be NULL). */
static bool load_argv(struct fixture *f, const char *const *args)
{
    const char *argv[32];
    int argc = 0;

    while (args && args[argc]) {
        assert_true(argc < 32);
        argv[argc] = args[argc];
        argc++;
    }
    if (f->loaded)
        config_free(&f->cfg);
    f->loaded = true;
    strcpy(f->err, "untouched");
    return config_load(&f->cfg, argc, argv, f->err, sizeof(f->err));
}

/* Write text as the config file (mode 0600) and load it with conf= plus args. */
static bool load(struct fixture *f, const char *text, const char *const *args)
{
    const char *argv[32] = {f->conf_arg};
    int argc = 1;

    write_conf(f, text, strlen(text), 0600);
    while (args && args[argc - 1]) {
        assert_true(argc < 31);
        argv[argc] = args[argc - 1];
        argc++;
    }
    argv[argc] = NULL;
    return load_argv(f, argv);
}

/* The error is exactly "<conf>:<line>: <problem>". */
static void assert_file_error(struct fixture *f, unsigned line, const char *problem)
{
    char want[PATH_MAX + 1200];
    snprintf(want, sizeof(want), "%s:%u: %s", f->conf, line, problem);
    assert_string_equal(f->err, want);
}

/* The error is exactly "<conf>: <problem>" (a problem with the file, not a line). */
static void assert_whole_file_error(struct fixture *f, const char *problem)
{
    char want[PATH_MAX + 1200];
    snprintf(want, sizeof(want), "%s: %s", f->conf, problem);
    assert_string_equal(f->err, want);
}

static void assert_err_starts_with(struct fixture *f, const char *prefix)
{
    if (strncmp(f->err, prefix, strlen(prefix)) != 0)
        fail_msg("error '%s' does not start with '%s'", f->err, prefix);
}

static void assert_defaults_except_url(const struct scnet_config *cfg)
{
    assert_string_equal(cfg->token_file, SCNET_DEFAULT_TOKEN_FILE);
    assert_int_equal(cfg->timeout_ms, 3000);
    assert_true(cfg->warn == 90.0);
    assert_true(cfg->deny < 0);
    assert_int_equal(cfg->fail, SCNET_FAIL_OPEN);
    assert_null(cfg->cafile);
    assert_null(cfg->proxy);
    assert_int_equal(cfg->min_uid, 1000);
    assert_null(cfg->skip_users);
    assert_null(cfg->skip_groups);
    assert_int_equal(cfg->lang, SCNET_LANG_AUTO);
    assert_null(cfg->contact);
    assert_false(cfg->debug);
    assert_true(cfg->show_command_hint);
    assert_int_equal(cfg->warn_days, 0);
    assert_int_equal(cfg->owner, geteuid());
}

/* ---- defaults and valid files ---- */

static void test_defaults(void **state)
{
    struct scnet_config cfg;
    memset(&cfg, 0xa5, sizeof(cfg));
    config_defaults(&cfg);
    assert_string_equal(cfg.conf_path, SCNET_DEFAULT_CONF);
    assert_string_equal(cfg.conf_path, "/etc/security/pam_scnet_quota.conf");
    assert_string_equal(SCNET_DEFAULT_TOKEN_FILE, "/etc/security/pam_scnet_quota.token");
    assert_null(cfg.url);
    assert_true(cfg.deny == -1.0);
    assert_defaults_except_url(&cfg);
    config_free(&cfg);
}

static void test_file_with_only_url_keeps_defaults(void **state)
{
    struct fixture *f = *state;
    assert_true(load(f, "url = " GOOD_URL "\n", NULL));
    assert_string_equal(f->cfg.url, GOOD_URL);
    assert_string_equal(f->cfg.conf_path, f->conf);
    assert_defaults_except_url(&f->cfg);
}

static void test_full_file_every_key(void **state)
{
    struct fixture *f = *state;
    char text[2 * PATH_MAX];

    /* cafile must exist with safe owner and mode: the config file itself is such a file. */
    snprintf(text, sizeof(text),
             "url = https://scnet.example.com/hpc/\n"
             "token_file = /etc/scnet/token\n"
             "timeout = 2.5\n"
             "warn = 85\n"
             "deny = 100\n"
             "fail = closed\n"
             "cafile = %s\n"
             "proxy = http://proxy.example.com:3128\n"
             "min_uid = 2000\n"
             "skip_users = alice, bob\n"
             "skip_groups = admins\n"
             "lang = zh\n"
             "contact = Ask hpc-support@example.com (ext. 4242) for more quota\n"
             "debug = yes\n",
             f->conf);
    assert_true(load(f, text, NULL));
    assert_string_equal(f->cfg.url, "https://scnet.example.com/hpc/");
    assert_string_equal(f->cfg.token_file, "/etc/scnet/token");
    assert_int_equal(f->cfg.timeout_ms, 2500);
    assert_true(f->cfg.warn == 85.0);
    assert_true(f->cfg.deny == 100.0);
    assert_int_equal(f->cfg.fail, SCNET_FAIL_CLOSED);
    assert_string_equal(f->cfg.cafile, f->conf);
    assert_string_equal(f->cfg.proxy, "http://proxy.example.com:3128");
    assert_int_equal(f->cfg.min_uid, 2000);
    assert_string_equal(f->cfg.skip_users, "alice, bob");
    assert_string_equal(f->cfg.skip_groups, "admins");
    assert_int_equal(f->cfg.lang, SCNET_LANG_ZH);
    assert_string_equal(f->cfg.contact, "Ask hpc-support@example.com (ext. 4242) for more quota");
    assert_true(f->cfg.debug);
}

static void test_comments_and_blank_lines(void **state)
{
    struct fixture *f = *state;
    const char *text = "# pam_scnet_quota configuration\n"
                       "\n"
                       "   # indented comment\n"
                       "\t \n"
                       "#url = ftp://not-applied\n"
                       "#warn = x\n"
                       "url = " GOOD_URL "\n"
                       "   \n"
                       "# no newline at the end";
    assert_true(load(f, text, NULL));
    assert_string_equal(f->cfg.url, GOOD_URL);
    assert_defaults_except_url(&f->cfg);
}

/* The comment rule: '#' at the start of a line or after a blank starts a comment, for
 * every key; a '#' inside a word is text. The README's examples carry such comments. */
static void test_comment_after_a_value(void **state)
{
    struct fixture *f = *state;
    const char *text = "url = " GOOD_URL "   # the API\n"
                       "token_file = /etc/security/pam_scnet_quota.token      # root:root, 0600\n"
                       "warn = 85 # stricter\n"
                       "deny = 100\t# refuse\n"
                       "cluster = hefei                       # optional\n"
                       "contact = room#5, ext. 42 #not this\n"
                       "skip_users = # nobody\n";
    assert_true(load(f, text, NULL));
    assert_string_equal(f->cfg.url, GOOD_URL);
    assert_string_equal(f->cfg.token_file, "/etc/security/pam_scnet_quota.token");
    assert_true(f->cfg.warn == 85.0 && f->cfg.deny == 100.0);
    assert_string_equal(f->cfg.cluster, "hefei");
    assert_string_equal(f->cfg.contact, "room#5, ext. 42");
    assert_null(f->cfg.skip_users);
}

/* pam.d arguments are single words: a '#' there is part of the value. */
static void test_arguments_have_no_comments(void **state)
{
    struct fixture *f = *state;
    assert_true(load(f, "url = " GOOD_URL "\n", ARGS("contact=#hpc-help")));
    assert_string_equal(f->cfg.contact, "#hpc-help");
}

/* show_command_hint: on by default, off from the file or the pam.d line (args win). */
static void test_show_command_hint(void **state)
{
    struct fixture *f = *state;
    assert_true(load(f, "url = " GOOD_URL "\nshow_command_hint = no\n", NULL));
    assert_false(f->cfg.show_command_hint);
    assert_true(
        load(f, "url = " GOOD_URL "\nshow_command_hint = no\n", ARGS("show_command_hint=yes")));
    assert_true(f->cfg.show_command_hint);
    assert_true(load(f, "url = " GOOD_URL "\n", ARGS("show_command_hint=off")));
    assert_false(f->cfg.show_command_hint);
    assert_false(load(f, "url = " GOOD_URL "\nshow_command_hint = maybe\n", NULL));
    assert_file_error(f, 2, "show_command_hint: 'maybe' is not yes or no");
}

/* warn_days: whole days from 0 (off) to 365, from the file or the pam.d line. */
static void test_warn_days(void **state)
{
    struct fixture *f = *state;
    assert_true(load(f, "url = " GOOD_URL "\nwarn_days = 14\n", NULL));
    assert_int_equal(f->cfg.warn_days, 14);
    assert_true(load(f, "url = " GOOD_URL "\nwarn_days = 14\n", ARGS("warn_days=0")));
    assert_int_equal(f->cfg.warn_days, 0);
    assert_true(load(f, "url = " GOOD_URL "\nwarn_days = 365\n", NULL));
    assert_int_equal(f->cfg.warn_days, 365);
    assert_false(load(f, "url = " GOOD_URL "\nwarn_days = 366\n", NULL));
    assert_file_error(f, 2, "warn_days: '366' is not a whole number of days up to 365");
    assert_false(load(f, "url = " GOOD_URL "\nwarn_days = 1.5\n", NULL));
    assert_false(load(f, "url = " GOOD_URL "\nwarn_days = -1\n", NULL));
}

/* Files edited on Windows end lines with CRLF: accepted, and no CR kept in any value. */
static void test_crlf_line_endings(void **state)
{
    struct fixture *f = *state;
    const char *text = "# comment\r\n"
                       "\r\n"
                       "url = " GOOD_URL "\r\n"
                       "token_file = /etc/scnet/token\r\n"
                       "warn = 80\r\n"
                       "fail = closed\r\n"
                       "contact = Ask support\r\n"
                       "nonsense = 1\r\n";
    assert_false(load(f, text, NULL));
    assert_file_error(f, 8, "unknown key 'nonsense'"); /* line numbers unaffected by CR */
    write_conf(f, text, strlen(text) - strlen("nonsense = 1\r\n"), 0600);
    assert_true(load_argv(f, ARGS(f->conf_arg)));
    assert_string_equal(f->cfg.url, GOOD_URL);
    assert_string_equal(f->cfg.token_file, "/etc/scnet/token");
    assert_true(f->cfg.warn == 80.0);
    assert_int_equal(f->cfg.fail, SCNET_FAIL_CLOSED);
    assert_string_equal(f->cfg.contact, "Ask support");
}

static void test_key_value_without_spaces(void **state)
{
    struct fixture *f = *state;
    assert_true(load(f, "url=" GOOD_URL "\nwarn=75\n  timeout\t=\t2  \ncontact=a=b\n", NULL));
    assert_string_equal(f->cfg.url, GOOD_URL);
    assert_true(f->cfg.warn == 75.0);
    assert_int_equal(f->cfg.timeout_ms, 2000);
    assert_string_equal(f->cfg.contact, "a=b"); /* only the first '=' separates */
}

static void test_later_line_wins(void **state)
{
    struct fixture *f = *state;
    assert_true(load(
        f, "url = " GOOD_URL "\ncontact = first\ncontact = second\nwarn = 1\nwarn = 2\n", NULL));
    assert_string_equal(f->cfg.contact, "second");
    assert_true(f->cfg.warn == 2.0);
}

static void test_empty_text_value_unsets(void **state)
{
    struct fixture *f = *state;
    assert_true(load(f, "url = " GOOD_URL "\ncontact = x\ncontact =\nproxy =   \n", NULL));
    assert_null(f->cfg.contact);
    assert_null(f->cfg.proxy);
}

/* ---- values: accepted ---- */

static void test_timeout_values(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *value;
        long ms;
    } cases[] = {{"0.5", 500},   {"0.1", 100},  {"60", 60000}, {"3", 3000},
                 {"2.25", 2250}, {"10", 10000}, {".5", 500},   {"7.", 7000}};
    char text[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), "url = " GOOD_URL "\ntimeout = %s\n", cases[i].value);
        if (!load(f, text, NULL))
            fail_msg("timeout '%s' refused: %s", cases[i].value, f->err);
        assert_int_equal(f->cfg.timeout_ms, cases[i].ms);
    }
}

static void test_percent_values(void **state)
{
    struct fixture *f = *state;
    assert_true(load(f, "url = " GOOD_URL "\nwarn = 101.5\ndeny = 100\n", NULL));
    assert_true(f->cfg.warn == 101.5);
    assert_true(f->cfg.deny == 100.0);
    assert_true(load(f, "url = " GOOD_URL "\nwarn = 0\ndeny = off\n", NULL));
    assert_true(f->cfg.warn == 0.0);
    assert_true(f->cfg.deny < 0);
    assert_true(load(f, "url = " GOOD_URL "\nwarn = 93.25\ndeny = 0.5\n", NULL));
    assert_true(f->cfg.warn == 93.25);
    assert_true(f->cfg.deny == 0.5);
    assert_true(load(f, "url = " GOOD_URL "\nwarn = 1000\ndeny = 1000\n", NULL));
    assert_true(f->cfg.warn == 1000.0);
    assert_true(f->cfg.deny == 1000.0);
    assert_true(load(f, "url = " GOOD_URL "\ndeny = 95\ndeny = off\n", NULL));
    assert_true(f->cfg.deny < 0);
}

static void test_enum_values(void **state)
{
    struct fixture *f = *state;
    assert_true(load(f, "url = " GOOD_URL "\nfail = closed\nlang = en\n", NULL));
    assert_int_equal(f->cfg.fail, SCNET_FAIL_CLOSED);
    assert_int_equal(f->cfg.lang, SCNET_LANG_EN);
    assert_true(
        load(f, "url = " GOOD_URL "\nfail = closed\nfail = open\nlang = zh\nlang = auto\n", NULL));
    assert_int_equal(f->cfg.fail, SCNET_FAIL_OPEN);
    assert_int_equal(f->cfg.lang, SCNET_LANG_AUTO);
}

static void test_min_uid_values(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *value;
        long uid;
    } cases[] = {{"0", 0},
                 {"500", 500},
                 {"60000", 60000},
                 /* SSSD maps AD users into uids around 1e9..2e9 */
                 {"2000000000", 2000000000L},
                 {"4294967295", 4294967295L}};
    char text[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), "url = " GOOD_URL "\nmin_uid = %s\n", cases[i].value);
        if (!load(f, text, NULL))
            fail_msg("min_uid '%s' refused: %s", cases[i].value, f->err);
        assert_int_equal(f->cfg.min_uid, cases[i].uid);
    }
}

static void test_debug_values(void **state)
{
    struct fixture *f = *state;
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    char text[256];

    for (size_t i = 0; i < 4; i++) {
        snprintf(text, sizeof(text), "url = " GOOD_URL "\ndebug = %s\n", yes[i]);
        assert_true(load(f, text, NULL));
        assert_true(f->cfg.debug);
        snprintf(text, sizeof(text), "url = " GOOD_URL "\ndebug = yes\ndebug = %s\n", no[i]);
        assert_true(load(f, text, NULL));
        assert_false(f->cfg.debug);
    }
}

static void test_url_values_accepted(void **state)
{
    struct fixture *f = *state;
    static const char *const urls[] = {
        "http://127.0.0.1:8080", "https://h/hpc/",    "https://scnet-demo.accloud.cn",
        "http://localhost:8080", "http://[::1]:8080", "https://h.example:8443/hpc",
    };
    char text[256];

    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        snprintf(text, sizeof(text), "url = %s\n", urls[i]);
        if (!load(f, text, NULL))
            fail_msg("url '%s' refused: %s", urls[i], f->err);
        assert_string_equal(f->cfg.url, urls[i]);
    }
}

static void test_value_length_limit(void **state)
{
    struct fixture *f = *state;
    char text[2200];
    int n = snprintf(text, sizeof(text), "url = " GOOD_URL "\ncontact = ");

    memset(text + n, 'c', 1024);
    strcpy(text + n + 1024, "\n");
    assert_true(load(f, text, NULL));
    assert_int_equal(strlen(f->cfg.contact), 1024);

    memset(text + n, 'c', 2000);
    strcpy(text + n + 2000, "\n");
    assert_false(load(f, text, NULL));
    assert_file_error(f, 2, "contact: value longer than 1024 bytes");
    assert_null(f->cfg.contact);
    assert_string_equal(f->cfg.url, GOOD_URL);
}

/* ---- values and lines: refused, each naming file, line and problem ---- */

static void test_malformed_values(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *line;
        const char *problem;
    } cases[] = {
        {"timeout = abc", "timeout: 'abc' is not a number of seconds from 0.1 to 60"},
        {"timeout = 0", "timeout: '0' is not a number of seconds from 0.1 to 60"},
        {"timeout = 61", "timeout: '61' is not a number of seconds from 0.1 to 60"},
        {"timeout = -1", "timeout: '-1' is not a number of seconds from 0.1 to 60"},
        {"timeout = 1,5", "timeout: '1,5' is not a number of seconds from 0.1 to 60"},
        {"timeout = 0.05", "timeout: '0.05' is not a number of seconds from 0.1 to 60"},
        {"timeout = 1e3", "timeout: '1e3' is not a number of seconds from 0.1 to 60"},
        {"timeout = 1.2.3", "timeout: '1.2.3' is not a number of seconds from 0.1 to 60"},
        {"timeout = .", "timeout: '.' is not a number of seconds from 0.1 to 60"},
        {"timeout =", "timeout: '' is not a number of seconds from 0.1 to 60"},
        {"timeout = 3 s", "timeout: '3 s' is not a number of seconds from 0.1 to 60"},
        {"timeout = 99999999999999999999",
         "timeout: '99999999999999999999' is not a number of seconds from 0.1 to 60"},
        {"warn = x", "warn: 'x' is not a percent from 0 to 1000"},
        {"warn = -3", "warn: '-3' is not a percent from 0 to 1000"},
        {"warn = 1000.5", "warn: '1000.5' is not a percent from 0 to 1000"},
        {"warn = off", "warn: 'off' is not a percent from 0 to 1000"},
        {"warn = 90%", "warn: '90%' is not a percent from 0 to 1000"},
        {"warn = nan", "warn: 'nan' is not a percent from 0 to 1000"},
        {"deny = 0", "deny: '0' is not a percent from above 0 to 1000, or off"},
        {"deny = -5", "deny: '-5' is not a percent from above 0 to 1000, or off"},
        {"deny = x", "deny: 'x' is not a percent from above 0 to 1000, or off"},
        {"deny = 1001", "deny: '1001' is not a percent from above 0 to 1000, or off"},
        {"deny = OFF", "deny: 'OFF' is not a percent from above 0 to 1000, or off"},
        {"fail = maybe", "fail: 'maybe' is not open or closed"},
        {"fail = Closed", "fail: 'Closed' is not open or closed"},
        {"lang = fr", "lang: 'fr' is not en, zh or auto"},
        {"lang =", "lang: '' is not en, zh or auto"},
        {"min_uid = 1.5", "min_uid: '1.5' is not a uid"},
        {"min_uid = -1", "min_uid: '-1' is not a uid"},
        {"min_uid = abc", "min_uid: 'abc' is not a uid"},
        {"min_uid = 4294967296", "min_uid: '4294967296' is not a uid"},
        {"debug = perhaps", "debug: 'perhaps' is not yes or no"},
        {"debug =", "debug: '' is not yes or no"},
        {"token_file = relative/token", "token_file: 'relative/token' is not an absolute path"},
        {"token_file =", "token_file: '' is not an absolute path"},
        {"cafile = ca.pem", "cafile: 'ca.pem' is not an absolute path"},
        {"colour = blue", "unknown key 'colour'"},
        {"URL = " GOOD_URL, "not a 'key = value' line"},
        {"conf = /etc/other.conf", "unknown key 'conf'"},
        {"= value", "not a 'key = value' line"},
        /* A secret pasted into the wrong file is not echoed, even with '=' padding. */
        {"wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY==", "not a 'key = value' line"},
        {"just some words", "not a 'key = value' line"},
        {"contact = a\x1b[31mred", "contact: value holds control characters"},
        {"contact = a\tb", "contact: value holds control characters"},
        {"proxy = http://p\x7f", "proxy: value holds control characters"},
        {"contact = a\rb", "contact: value holds control characters"},
    };
    char text[512];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), "url = " GOOD_URL "\n%s\n", cases[i].line);
        if (load(f, text, NULL))
            fail_msg("line '%s' accepted", cases[i].line);
        assert_file_error(f, 2, cases[i].problem);
        /* The good line before still applied. */
        assert_string_equal(f->cfg.url, GOOD_URL);
    }
}

/* The reason text comes from url.c; here: refused, on the right line, under the right key. */
static void test_url_values_refused(void **state)
{
    struct fixture *f = *state;
    static const char *const urls[] = {
        "ftp://x", "http://example.com", "http://10.0.0.1/", "example.com", "https://u:p@h/",
        "",        "http://128.0.0.1",
    };
    char text[256], prefix[PATH_MAX + 32];

    snprintf(prefix, sizeof(prefix), "%s:3: url: ", f->conf);
    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        snprintf(text, sizeof(text), "# base\n\nurl = %s\n", urls[i]);
        if (load(f, text, NULL))
            fail_msg("url '%s' accepted", urls[i]);
        assert_err_starts_with(f, prefix);
        assert_null(f->cfg.url);
    }
}

static void test_unknown_key_names_file_and_line(void **state)
{
    struct fixture *f = *state;
    assert_false(load(f, "# c\nurl = " GOOD_URL "\ncolour = blue\nwarn = 80\n", NULL));
    assert_file_error(f, 3, "unknown key 'colour'");
    assert_true(f->cfg.warn == 80.0); /* later lines still applied */
}

/* Over 32 bytes it is no key name: not echoed at all (it may be a secret). */
static void test_long_unknown_key_is_not_echoed(void **state)
{
    struct fixture *f = *state;
    char text[512];
    memset(text, 'k', 33);
    strcpy(text + 33, " = 1\n");
    assert_false(load(f, text, NULL));
    assert_file_error(f, 1, "not a 'key = value' line");
    memset(text, 'k', 32);
    strcpy(text + 32, " = 1\n");
    assert_false(load(f, text, NULL));
    assert_file_error(f, 1, "unknown key 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk'");
}

static void test_line_without_equals_is_not_echoed(void **state)
{
    struct fixture *f = *state;
    /* The classic mistake: the token pasted into the config file. */
    assert_false(load(f, "url = " GOOD_URL "\n" SECRET "\n", NULL));
    assert_file_error(f, 2, "not a 'key = value' line");
    assert_null(strstr(f->err, SECRET));
}

static void test_token_in_file_refused(void **state)
{
    struct fixture *f = *state;
    static const char *const keys[] = {"token",    "secret_key", "access_key",
                                       "password", "org_id",     "secret"};
    char text[256], problem[128];

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        snprintf(text, sizeof(text), "url = " GOOD_URL "\n%s = " SECRET "\n", keys[i]);
        assert_false(load(f, text, NULL));
        /* A token belongs in token_file, what obtains one in credentials_file. */
        bool is_token = strcmp(keys[i], "token") == 0 || strcmp(keys[i], "secret") == 0;
        snprintf(problem, sizeof(problem), "'%s' cannot be set here; put %s in %s", keys[i],
                 is_token ? "the token" : "it", is_token ? "token_file" : "credentials_file");
        assert_file_error(f, 2, problem);
        assert_null(strstr(f->err, SECRET));
    }
}

static void test_first_error_reported_later_fail_closed_applies(void **state)
{
    struct fixture *f = *state;
    assert_false(
        load(f, "url = " GOOD_URL "\nwarn = x\ntimeout = y\nfail = closed\nwarn = 50\n", NULL));
    assert_file_error(f, 2, "warn: 'x' is not a percent from 0 to 1000");
    assert_int_equal(f->cfg.fail, SCNET_FAIL_CLOSED);
    assert_true(f->cfg.warn == 50.0);
    assert_int_equal(f->cfg.timeout_ms, 3000);
}

static void test_nul_byte_in_file(void **state)
{
    struct fixture *f = *state;
    const char text[] = "url = " GOOD_URL "\nwarn = 8\0 5\nfail = closed\n";
    write_conf(f, text, sizeof(text) - 1, 0600);
    assert_false(load_argv(f, ARGS(f->conf_arg)));
    assert_file_error(f, 2, "line holds a NUL byte");
    /* Only that line is lost: the admin's fail = closed still holds. */
    assert_int_equal(f->cfg.fail, SCNET_FAIL_CLOSED);
    assert_string_equal(f->cfg.url, GOOD_URL);
    assert_true(f->cfg.warn == 90.0);
}

static void test_nul_byte_on_last_line(void **state)
{
    struct fixture *f = *state;
    const char text[] = "url = " GOOD_URL "\n\0";
    write_conf(f, text, sizeof(text) - 1, 0600);
    assert_false(load_argv(f, ARGS(f->conf_arg)));
    assert_file_error(f, 2, "line holds a NUL byte");
}

static void test_file_larger_than_64k(void **state)
{
    struct fixture *f = *state;
    size_t size = 64 * 1024;
    char *text = malloc(size + 2);
    size_t n;

    assert_non_null(text);
    n = (size_t)sprintf(text, "fail = closed\nurl = " GOOD_URL "\n");
    memset(text + n, '#', size - n);
    text[size - 1] = '\n';
    write_conf(f, text, size, 0600); /* exactly the limit: fine */
    assert_true(load_argv(f, ARGS(f->conf_arg)));
    assert_string_equal(f->cfg.url, GOOD_URL);

    text[size] = '\n';
    write_conf(f, text, size + 1, 0600);
    assert_false(load_argv(f, ARGS(f->conf_arg)));
    assert_whole_file_error(f, "larger than 65536 bytes");
    assert_null(f->cfg.url);
    free(text);
}

/* ---- the file itself ---- */

static void test_explicit_conf_missing(void **state)
{
    struct fixture *f = *state;
    assert_false(load_argv(f, ARGS(f->conf_arg, "url=" GOOD_URL)));
    assert_whole_file_error(f, "cannot open: No such file or directory");
    assert_string_equal(f->cfg.url, GOOD_URL); /* arguments still applied */
}

static void test_missing_default_conf_with_url_argument(void **state)
{
    struct fixture *f = *state;
    struct stat st;
    char want[512];

    if (lstat(SCNET_DEFAULT_CONF, &st) == 0)
        unit_skip(false, "%s exists on this machine: the case needs it missing",
                  SCNET_DEFAULT_CONF);
    assert_true(load_argv(f, ARGS("url=" GOOD_URL)));
    assert_string_equal(f->cfg.url, GOOD_URL);
    assert_string_equal(f->cfg.conf_path, SCNET_DEFAULT_CONF);
    assert_defaults_except_url(&f->cfg);

    assert_false(load_argv(f, ARGS("warn=80")));
    snprintf(want, sizeof(want),
             "no url set: give url = in %s (which does not exist) or url= on the pam.d line",
             SCNET_DEFAULT_CONF);
    assert_string_equal(f->err, want);
    assert_true(f->cfg.warn == 80.0);
}

static void test_missing_url(void **state)
{
    struct fixture *f = *state;
    char want[PATH_MAX + 128];
    assert_false(load(f, "# nothing but\nwarn = 80\nfail = closed\n", NULL));
    snprintf(want, sizeof(want), "no url set: give url = in %s or url= on the pam.d line", f->conf);
    assert_string_equal(f->err, want);
    assert_int_equal(f->cfg.fail, SCNET_FAIL_CLOSED);
}

static void test_conf_group_or_world_writable(void **state)
{
    struct fixture *f = *state;
    const char *text = "url = " GOOD_URL "\n";

    write_conf(f, text, strlen(text), 0664);
    assert_false(load_argv(f, ARGS(f->conf_arg)));
    assert_whole_file_error(f, "mode 0664 is too open (group and others must not write)");
    assert_null(f->cfg.url);

    write_conf(f, text, strlen(text), 0646);
    assert_false(load_argv(f, ARGS(f->conf_arg)));
    assert_whole_file_error(f, "mode 0646 is too open (group and others must not write)");

    write_conf(f, text, strlen(text), 0644); /* readable by all is fine: no secrets in it */
    assert_true(load_argv(f, ARGS(f->conf_arg)));
    assert_string_equal(f->cfg.url, GOOD_URL);
}

static void test_conf_symlink_refused(void **state)
{
    struct fixture *f = *state;
    char target[PATH_MAX], arg[PATH_MAX + 8], link_path[PATH_MAX], want[PATH_MAX + 32];
    int fd;

    snprintf(target, sizeof(target), "%s/real.conf", f->dir);
    snprintf(link_path, sizeof(link_path), "%s/link.conf", f->dir);
    fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "url = " GOOD_URL "\n", strlen("url = " GOOD_URL "\n")),
                     (ssize_t)strlen("url = " GOOD_URL "\n"));
    close(fd);
    assert_int_equal(symlink(target, link_path), 0);
    snprintf(arg, sizeof(arg), "conf=%s", link_path);
    assert_false(load_argv(f, ARGS(arg)));
    snprintf(want, sizeof(want), "%s: is a symlink", link_path);
    assert_string_equal(f->err, want);
    assert_null(f->cfg.url);
}

/* config_load, then config_check_cafile (scnet-quota runs both; the module leaves the check to
 * the request that uses the file, common/http.c). */
static bool load_with_cafile(struct fixture *f, const char *text)
{
    return load(f, text, NULL) && config_check_cafile(&f->cfg, f->err, sizeof(f->err));
}

/* cafile decides which server the module believes: checked like the config file (owner,
 * not writable by group or others, no symlink), and so is the directory it is in. */
static void test_cafile_checked_like_the_token_file(void **state)
{
    struct fixture *f = *state;
    char ca[PATH_MAX + 16], sub[PATH_MAX], link_path[PATH_MAX + 16], text[3 * PATH_MAX],
        want[3 * PATH_MAX];

    snprintf(ca, sizeof(ca), "%s/ca.pem", f->dir);
    snprintf(text, sizeof(text), "url = " GOOD_URL "\ncafile = %s\n", ca);

    /* Missing: says so plainly. */
    assert_false(load_with_cafile(f, text));
    snprintf(want, sizeof(want), "cafile %s: no such file", ca);
    assert_string_equal(f->err, want);
    config_free(&f->cfg);

    /* Writable by everyone: anyone could make the module trust their server. */
    unit_write_file(ca, "PEM\n", 4, 0666);
    assert_false(load_with_cafile(f, text));
    snprintf(want, sizeof(want),
             "cafile %s: mode 0666 is too open (group and others must not write)", ca);
    assert_string_equal(f->err, want);
    config_free(&f->cfg);

    assert_int_equal(chmod(ca, 0644), 0);
    assert_true(load_with_cafile(f, text));
    assert_string_equal(f->cfg.cafile, ca);
    config_free(&f->cfg);

    /* Its directory writable by others: the file could be replaced. */
    snprintf(sub, sizeof(sub), "%.*s/open", (int)(sizeof(sub) - 8), f->dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(chmod(sub, 0777), 0);
    snprintf(ca, sizeof(ca), "%s/ca.pem", sub);
    unit_write_file(ca, "PEM\n", 4, 0644);
    snprintf(text, sizeof(text), "url = " GOOD_URL "\ncafile = %s\n", ca);
    assert_false(load_with_cafile(f, text));
    snprintf(want, sizeof(want),
             "cafile %s: directory %s: mode 0777 is too open (group and others must not write)", ca,
             sub);
    assert_string_equal(f->err, want);
    config_free(&f->cfg);

    /* A symlink is refused: what it points to is what must be checked. */
    snprintf(link_path, sizeof(link_path), "%s/link.pem", f->dir);
    snprintf(ca, sizeof(ca), "%s/ca.pem", f->dir);
    assert_int_equal(symlink(ca, link_path), 0);
    snprintf(text, sizeof(text), "url = " GOOD_URL "\ncafile = %s\n", link_path);
    assert_false(load_with_cafile(f, text));
    snprintf(want, sizeof(want), "cafile %s: is a symlink (give the file it points to)", link_path);
    assert_string_equal(f->err, want);

    if (geteuid() == 0) {
        config_free(&f->cfg);
        snprintf(text, sizeof(text), "url = " GOOD_URL "\ncafile = %s\n", ca);
        assert_int_equal(chown(ca, OTHER_UID, OTHER_UID), 0);
        assert_false(load_with_cafile(f, text));
        snprintf(want, sizeof(want), "cafile %s: owned by uid %d, must be owned by uid 0", ca,
                 OTHER_UID);
        assert_string_equal(f->err, want);
    }
}

static void test_conf_owned_by_another_user(void **state)
{
    struct fixture *f = *state;
    char problem[128];
    unit_need_root("to give the file to another owner");
    write_conf(f, "url = " GOOD_URL "\n", strlen("url = " GOOD_URL "\n"), 0644);
    assert_int_equal(chown(f->conf, OTHER_UID, OTHER_UID), 0);
    assert_false(load_argv(f, ARGS(f->conf_arg)));
    snprintf(problem, sizeof(problem), "owned by uid %d, must be owned by uid 0", OTHER_UID);
    assert_whole_file_error(f, problem);
    assert_null(f->cfg.url);
}

static void test_bad_file_then_fail_closed_argument(void **state)
{
    struct fixture *f = *state;
    write_conf(f, "url = " GOOD_URL "\n", strlen("url = " GOOD_URL "\n"), 0666);
    assert_false(load_argv(f, ARGS(f->conf_arg, "fail=closed")));
    assert_whole_file_error(f, "mode 0666 is too open (group and others must not write)");
    assert_int_equal(f->cfg.fail, SCNET_FAIL_CLOSED);
}

static void test_relative_conf_argument(void **state)
{
    struct fixture *f = *state;
    assert_false(
        load_argv(f, ARGS("conf=etc/pam_scnet_quota.conf", "url=" GOOD_URL, "fail=closed")));
    assert_string_equal(f->err,
                        "module argument conf: 'etc/pam_scnet_quota.conf' is not an absolute path");
    /* The other arguments still apply: fail = closed must hold. */
    assert_int_equal(f->cfg.fail, SCNET_FAIL_CLOSED);
    assert_string_equal(f->cfg.url, GOOD_URL);

    assert_false(load_argv(f, ARGS("conf=")));
    assert_string_equal(f->err, "module argument conf: '' is not an absolute path");
}

/* ---- pam.d arguments ---- */

static void test_arguments_override_file(void **state)
{
    struct fixture *f = *state;
    const char *text = "url = https://file.example\nwarn = 80\nfail = closed\ntimeout = 5\n"
                       "contact = from the file\ndebug = yes\nlang = zh\n";
    assert_true(load(f, text,
                     ARGS("warn=70", "fail=open", "url=https://arg.example",
                          "contact=", "timeout=0.5", "debug=no", "skip_users=alice,bob")));
    assert_string_equal(f->cfg.url, "https://arg.example");
    assert_true(f->cfg.warn == 70.0);
    assert_int_equal(f->cfg.fail, SCNET_FAIL_OPEN);
    assert_int_equal(f->cfg.timeout_ms, 500);
    assert_null(f->cfg.contact);
    assert_false(f->cfg.debug);
    assert_int_equal(f->cfg.lang, SCNET_LANG_ZH); /* not overridden: from the file */
    assert_string_equal(f->cfg.skip_users, "alice,bob");
}

static void test_bare_debug_argument(void **state)
{
    struct fixture *f = *state;
    assert_true(load(f, "url = " GOOD_URL "\ndebug = no\n", ARGS("debug")));
    assert_true(f->cfg.debug);
    assert_true(load(f, "url = " GOOD_URL "\n", NULL));
    assert_false(f->cfg.debug);
}

static void test_bad_arguments(void **state)
{
    struct fixture *f = *state;
    const char *text = "url = " GOOD_URL "\n";

    assert_false(load(f, text, ARGS("bogus=1")));
    assert_string_equal(f->err, "module argument 'bogus': unknown key");
    assert_false(load(f, text, ARGS("warn")));
    assert_string_equal(f->err, "module argument 'warn': expected key=value");
    assert_false(load(f, text, ARGS("warn=abc")));
    assert_string_equal(f->err, "module argument warn: 'abc' is not a percent from 0 to 1000");
    assert_false(load(f, text, ARGS("timeout=61")));
    assert_string_equal(f->err,
                        "module argument timeout: '61' is not a number of seconds from 0.1 to 60");
    assert_false(load(f, text, ARGS("url=http://example.com")));
    assert_err_starts_with(f, "module argument url: ");
    assert_false(load(f, text, ARGS("contact=a\x1b[2Jb")));
    assert_string_equal(f->err, "module argument contact: value holds control characters");
}

static void test_first_argument_error_wins_and_later_ones_apply(void **state)
{
    struct fixture *f = *state;
    assert_false(load(f, "url = " GOOD_URL "\n", ARGS("warn=abc", "timeout=0", "fail=closed")));
    assert_string_equal(f->err, "module argument warn: 'abc' is not a percent from 0 to 1000");
    assert_int_equal(f->cfg.fail, SCNET_FAIL_CLOSED);
}

static void test_file_error_reported_before_argument_error(void **state)
{
    struct fixture *f = *state;
    assert_false(load(f, "url = " GOOD_URL "\nlang = fr\n", ARGS("warn=abc", "fail=closed")));
    assert_file_error(f, 2, "lang: 'fr' is not en, zh or auto");
    assert_int_equal(f->cfg.fail, SCNET_FAIL_CLOSED);
}

static void test_secret_arguments_refused_without_value(void **state)
{
    struct fixture *f = *state;
    static const char *const keys[] = {"token",      "password", "secret_key",
                                       "access_key", "org_id",   "secret"};
    char arg[128], want[256];

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        snprintf(arg, sizeof(arg), "%s=" SECRET, keys[i]);
        assert_false(load(f, "url = " GOOD_URL "\n", ARGS(arg, "fail=closed")));
        bool is_token = strcmp(keys[i], "token") == 0 || strcmp(keys[i], "secret") == 0;
        snprintf(want, sizeof(want),
                 "module argument '%s': secrets are refused on the pam.d line (it is "
                 "world-readable); use %s",
                 keys[i], is_token ? "token_file" : "credentials_file");
        assert_string_equal(f->err, want);
        assert_null(strstr(f->err, SECRET));
        assert_int_equal(f->cfg.fail, SCNET_FAIL_CLOSED);
    }
    assert_false(load(f, "url = " GOOD_URL "\n", ARGS("token")));
    assert_non_null(strstr(f->err, "secrets are refused"));
}

static void test_arguments_only_need_no_file(void **state)
{
    struct fixture *f = *state;
    /* conf= given but the file is fine and empty: all from arguments. */
    assert_true(load(f, "", ARGS("url=http://127.0.0.1:8080", "min_uid=500", "lang=en")));
    assert_string_equal(f->cfg.url, "http://127.0.0.1:8080");
    assert_int_equal(f->cfg.min_uid, 500);
    assert_int_equal(f->cfg.lang, SCNET_LANG_EN);
}

/* ---- helpers ---- */

static void test_list_contains(void **state)
{
    assert_false(config_list_contains(NULL, "alice"));
    assert_false(config_list_contains("", "alice"));
    assert_true(config_list_contains("alice", "alice"));
    assert_true(config_list_contains("alice,bob", "bob"));
    assert_true(config_list_contains(" alice , bob ", "alice"));
    assert_true(config_list_contains(" alice , bob ", "bob"));
    assert_true(config_list_contains("\talice\t,\tbob\t", "bob"));
    assert_true(config_list_contains(",,alice,,", "alice"));
    assert_true(config_list_contains(", ,carol", "carol"));
    assert_false(config_list_contains("alice,bob", "ali"));
    assert_false(config_list_contains("alice,bob", "alice,bob"));
    assert_false(config_list_contains("alice,bob", "lice"));
    assert_false(config_list_contains("alicex", "alice"));
    assert_false(config_list_contains("al ice", "al"));
    assert_false(config_list_contains("Alice", "alice"));
    assert_false(config_list_contains(", ,", ""));
    assert_false(config_list_contains("alice", ""));
    assert_false(config_list_contains(",", ""));
}

static void test_config_free_clears_everything(void **state)
{
    struct fixture *f = *state;
    char text[2 * PATH_MAX];

    snprintf(text, sizeof(text),
             "url = " GOOD_URL "\ntoken_file = /t\ncafile = %s\nproxy = p\n"
             "skip_users = u\nskip_groups = g\ncontact = c\n",
             f->conf);
    assert_true(load(f, text, NULL));
    config_free(&f->cfg);
    assert_null(f->cfg.conf_path);
    assert_null(f->cfg.url);
    assert_null(f->cfg.token_file);
    assert_null(f->cfg.cafile);
    assert_null(f->cfg.proxy);
    assert_null(f->cfg.skip_users);
    assert_null(f->cfg.skip_groups);
    assert_null(f->cfg.contact);
    config_free(&f->cfg); /* twice is harmless; the teardown frees a third time */
}

/* ---- token service keys (auth = aksk / password) ---- */

static void test_auth_defaults(void **state)
{
    struct scnet_config cfg;
    config_defaults(&cfg);
    assert_int_equal(cfg.auth, SCNET_AUTH_TOKEN_FILE);
    assert_null(cfg.auth_url);
    assert_string_equal(cfg.credentials_file, SCNET_DEFAULT_CREDENTIALS_FILE);
    assert_string_equal(SCNET_DEFAULT_CREDENTIALS_FILE,
                        "/etc/security/pam_scnet_quota.credentials");
    assert_null(cfg.cluster);
    assert_int_equal(cfg.token_ttl, 43200);
    assert_int_equal(cfg.token_renew_before, 600);
    config_free(&cfg);
}

static void test_auth_keys_from_file(void **state)
{
    struct fixture *f = *state;
    assert_true(load(f,
                     "url = " GOOD_URL "\n"
                     "auth = aksk\n"
                     "auth_url = https://api.scnet.cn/\n"
                     "credentials_file = /etc/scnet/creds\n"
                     "cluster = hefei\n"
                     "token_ttl = 3600\n"
                     "token_renew_before = 0\n",
                     NULL));
    assert_int_equal(f->cfg.auth, SCNET_AUTH_AKSK);
    assert_string_equal(f->cfg.auth_url, "https://api.scnet.cn/");
    assert_string_equal(f->cfg.credentials_file, "/etc/scnet/creds");
    assert_string_equal(f->cfg.cluster, "hefei");
    assert_int_equal(f->cfg.token_ttl, 3600);
    assert_int_equal(f->cfg.token_renew_before, 0);

    assert_true(load(f, "url = " GOOD_URL "\nauth = password\ncluster = 11250\n", NULL));
    assert_int_equal(f->cfg.auth, SCNET_AUTH_PASSWORD);
    assert_string_equal(f->cfg.cluster, "11250");
    assert_true(
        load(f, "url = " GOOD_URL "\nauth = password\nauth = token_file\ncluster =\n", NULL));
    assert_int_equal(f->cfg.auth, SCNET_AUTH_TOKEN_FILE);
    assert_null(f->cfg.cluster);
}

static void test_auth_keys_as_arguments(void **state)
{
    struct fixture *f = *state;
    assert_true(load(f, "url = " GOOD_URL "\nauth = password\n",
                     ARGS("auth=aksk", "cluster=kunshan", "auth_url=http://127.0.0.1:9",
                          "token_ttl=60", "token_renew_before=2592000")));
    assert_int_equal(f->cfg.auth, SCNET_AUTH_AKSK);
    assert_string_equal(f->cfg.cluster, "kunshan");
    assert_string_equal(f->cfg.auth_url, "http://127.0.0.1:9");
    assert_int_equal(f->cfg.token_ttl, 60);
    assert_int_equal(f->cfg.token_renew_before, 2592000);
}

static void test_auth_values_refused(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *line;
        const char *problem;
    } cases[] = {
        {"auth = AKSK", "auth: 'AKSK' is not token_file, aksk or password"},
        {"auth = token", "auth: 'token' is not token_file, aksk or password"},
        {"auth =", "auth: '' is not token_file, aksk or password"},
        {"credentials_file = creds", "credentials_file: 'creds' is not an absolute path"},
        {"credentials_file =", "credentials_file: '' is not an absolute path"},
        {"cluster = he\x1b[2Jfei", "cluster: value holds control characters"},
        {"token_ttl = 59", "token_ttl: '59' is not a whole number of seconds from 60 to 2592000"},
        {"token_ttl = 0", "token_ttl: '0' is not a whole number of seconds from 60 to 2592000"},
        {"token_ttl = 3600.5",
         "token_ttl: '3600.5' is not a whole number of seconds from 60 to 2592000"},
        {"token_ttl = 2592001",
         "token_ttl: '2592001' is not a whole number of seconds from 60 to 2592000"},
        {"token_ttl = 12h", "token_ttl: '12h' is not a whole number of seconds from 60 to 2592000"},
        {"token_renew_before = -1",
         "token_renew_before: '-1' is not a whole number of seconds up to 2592000"},
        {"token_renew_before = 2592001",
         "token_renew_before: '2592001' is not a whole number of seconds up to 2592000"},
    };
    char text[512];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), "url = " GOOD_URL "\n%s\n", cases[i].line);
        assert_false(load(f, text, NULL));
        assert_file_error(f, 2, cases[i].problem);
    }
    /* auth_url is checked like url (the reason text is url.c's). */
    {
        static const char *const urls[] = {"http://api.scnet.cn", "https://u:p@api.scnet.cn",
                                           "https://api.scnet.cn/?k=v", "api.scnet.cn"};
        char prefix[PATH_MAX + 32];
        snprintf(prefix, sizeof(prefix), "%s:2: auth_url: ", f->conf);
        for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
            snprintf(text, sizeof(text), "url = " GOOD_URL "\nauth_url = %s\n", urls[i]);
            if (load(f, text, NULL))
                fail_msg("auth_url '%s' accepted", urls[i]);
            assert_err_starts_with(f, prefix);
            assert_null(f->cfg.auth_url);
        }
    }
    assert_false(load(f, "url = " GOOD_URL "\n", ARGS("auth=kerberos")));
    assert_string_equal(f->err,
                        "module argument auth: 'kerberos' is not token_file, aksk or password");
}

static void test_config_free_clears_auth_strings(void **state)
{
    struct fixture *f = *state;
    assert_true(load(f,
                     "url = " GOOD_URL "\nauth_url = " GOOD_URL "\ncredentials_file = /c\n"
                     "cluster = x\n",
                     NULL));
    config_free(&f->cfg);
    assert_null(f->cfg.auth_url);
    assert_null(f->cfg.credentials_file);
    assert_null(f->cfg.cluster);
}

/* ---- offline mode and background refresh keys ---- */

static void test_refresh_keys(void **state)
{
    struct fixture *f = *state;
    struct scnet_config cfg;

    config_defaults(&cfg);
    assert_int_equal(cfg.offline_retry, 30);
    assert_int_equal(cfg.refresh_window, 86400);
    assert_int_equal(cfg.refresh_rate, 20);
    config_free(&cfg);
    assert_true(load(f, "url = " GOOD_URL "\noffline_retry = 0\nrefresh_window = 3600\n",
                     ARGS("refresh_rate=0")));
    assert_int_equal(f->cfg.offline_retry, 0);
    assert_int_equal(f->cfg.refresh_window, 3600);
    assert_int_equal(f->cfg.refresh_rate, 0);
    assert_false(load(f, "url = " GOOD_URL "\nrefresh_rate = 2.5\n", NULL));
    assert_file_error(
        f, 2, "refresh_rate: '2.5' is not a whole number of requests per second up to 100000");
    assert_false(load(f, "url = " GOOD_URL "\noffline_retry = -1\n", NULL));
    assert_file_error(f, 2, "offline_retry: '-1' is not a whole number of seconds up to 2592000");
    assert_false(load(f, "url = " GOOD_URL "\nrefresh_window = 1d\n", NULL));
    assert_file_error(f, 2, "refresh_window: '1d' is not a whole number of seconds up to 2592000");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        T(test_show_command_hint),
        T(test_warn_days),
        T(test_file_with_only_url_keeps_defaults),
        T(test_full_file_every_key),
        T(test_comments_and_blank_lines),
        T(test_comment_after_a_value),
        T(test_arguments_have_no_comments),
        T(test_crlf_line_endings),
        T(test_key_value_without_spaces),
        T(test_later_line_wins),
        T(test_empty_text_value_unsets),
        T(test_timeout_values),
        T(test_percent_values),
        T(test_enum_values),
        T(test_min_uid_values),
        T(test_debug_values),
        T(test_url_values_accepted),
        T(test_value_length_limit),
        T(test_malformed_values),
        T(test_url_values_refused),
        T(test_unknown_key_names_file_and_line),
        T(test_long_unknown_key_is_not_echoed),
        T(test_line_without_equals_is_not_echoed),
        T(test_token_in_file_refused),
        T(test_first_error_reported_later_fail_closed_applies),
        T(test_nul_byte_in_file),
        T(test_nul_byte_on_last_line),
        T(test_file_larger_than_64k),
        T(test_explicit_conf_missing),
        T(test_missing_default_conf_with_url_argument),
        T(test_missing_url),
        T(test_conf_group_or_world_writable),
        T(test_conf_symlink_refused),
        T(test_cafile_checked_like_the_token_file),
        T(test_conf_owned_by_another_user),
        T(test_bad_file_then_fail_closed_argument),
        T(test_relative_conf_argument),
        T(test_arguments_override_file),
        T(test_bare_debug_argument),
        T(test_bad_arguments),
        T(test_first_argument_error_wins_and_later_ones_apply),
        T(test_file_error_reported_before_argument_error),
        T(test_secret_arguments_refused_without_value),
        T(test_arguments_only_need_no_file),
        cmocka_unit_test(test_list_contains),
        T(test_config_free_clears_everything),
        cmocka_unit_test(test_auth_defaults),
        T(test_auth_keys_from_file),
        T(test_auth_keys_as_arguments),
        T(test_auth_values_refused),
        T(test_config_free_clears_auth_strings),
        T(test_refresh_keys),
    };
#undef T
    return unit_exit_code(cmocka_run_group_tests_name("config", tests, NULL, NULL));
}
