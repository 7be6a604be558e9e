/* Unit tests for common/credentials.c: the parser on text, and the file checks on real files
 * in a fresh directory. No error message may quote a value. */
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

#include "credentials.h"
#include "unit_support.h"

#define P "/etc/security/creds"
/* Distinctive values, so that finding one in an error cannot be a coincidence. */
#define SK "s3cr3tKEYvalue"
#define PW "pa55WORDvalue"

struct fixture {
    char dir[1024];
    char path[PATH_MAX];
    struct credentials c;
    char err[512];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    if (!unit_mkdtemp(f->dir, sizeof(f->dir), "scnet-creds-XXXXXX")) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof(f->path), "%s/credentials", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(unit_remove_tree(f->dir), 0);
    credentials_wipe(&f->c);
    free(f);
    return 0;
}

static bool parse(struct fixture *f, const char *text, enum scnet_auth auth)
{
    credentials_wipe(&f->c);
    strcpy(f->err, "untouched");
    return credentials_parse(text, strlen(text), P, auth, &f->c, f->err, sizeof(f->err));
}

static void assert_parse_error(struct fixture *f, const char *text, enum scnet_auth auth,
                               const char *want)
{
    assert_false(parse(f, text, auth));
    assert_string_equal(f->err, want);
    assert_null(strstr(f->err, SK));
    assert_null(strstr(f->err, PW));
    /* Nothing is left behind on failure. */
    assert_null(f->c.user);
    assert_null(f->c.access_key);
    assert_null(f->c.secret_key);
    assert_null(f->c.password);
    assert_null(f->c.org_id);
}

static void test_aksk_file(void **state)
{
    struct fixture *f = *state;
    assert_true(parse(f,
                      "# SCNet operator account\n"
                      "user = hpc-operator\n"
                      "\n"
                      "access_key = AKIDEXAMPLE42\n"
                      "  secret_key=" SK "  \n",
                      SCNET_AUTH_AKSK));
    assert_string_equal(f->c.user, "hpc-operator");
    assert_string_equal(f->c.access_key, "AKIDEXAMPLE42");
    assert_string_equal(f->c.secret_key, SK);
    assert_null(f->c.password);
    assert_null(f->c.org_id);
}

static void test_password_file(void **state)
{
    struct fixture *f = *state;
    assert_true(parse(f, "user = op\r\npassword = " PW " with spaces\r\norg_id = ORG-7\r\n",
                      SCNET_AUTH_PASSWORD));
    assert_string_equal(f->c.user, "op");
    assert_string_equal(f->c.password, PW " with spaces");
    assert_string_equal(f->c.org_id, "ORG-7");
}

static void test_value_may_hold_equals_and_hash(void **state)
{
    struct fixture *f = *state;
    /* Base64 secrets end in '='; '#' inside a value is not a comment. */
    assert_true(parse(f, "user=op\naccess_key=AK#1\nsecret_key=abc/def+ghi==\n", SCNET_AUTH_AKSK));
    assert_string_equal(f->c.access_key, "AK#1");
    assert_string_equal(f->c.secret_key, "abc/def+ghi==");
}

/* The same comment rule as the config file: after a blank, '#' starts a comment, so a
 * value can hold '#' only inside a word (a password cannot contain " #"). */
static void test_comment_after_a_value(void **state)
{
    struct fixture *f = *state;
    assert_true(parse(f,
                      "# operator\nuser = op   # the platform user\npassword = " PW
                      " with#hash and spaces\t# comment\norg_id = ORG-7 #org\n",
                      SCNET_AUTH_PASSWORD));
    assert_string_equal(f->c.user, "op");
    assert_string_equal(f->c.password, PW " with#hash and spaces");
    assert_string_equal(f->c.org_id, "ORG-7");
}

static void test_both_sets_in_one_file(void **state)
{
    struct fixture *f = *state;
    const char *text =
        "user = op\naccess_key = AK\nsecret_key = " SK "\npassword = " PW "\norg_id = O\n";
    assert_true(parse(f, text, SCNET_AUTH_AKSK));
    assert_string_equal(f->c.secret_key, SK);
    assert_true(parse(f, text, SCNET_AUTH_PASSWORD));
    assert_string_equal(f->c.password, PW);
}

static void test_no_final_newline(void **state)
{
    struct fixture *f = *state;
    assert_true(parse(f, "user = op\naccess_key = AK\nsecret_key = " SK, SCNET_AUTH_AKSK));
    assert_string_equal(f->c.secret_key, SK);
}

static void test_missing_keys(void **state)
{
    struct fixture *f = *state;
    assert_parse_error(f, "access_key = AK\nsecret_key = " SK "\n", SCNET_AUTH_AKSK,
                       P ": user is missing (auth = aksk needs user, access_key and secret_key)");
    assert_parse_error(f, "user = op\nsecret_key = " SK "\n", SCNET_AUTH_AKSK,
                       P ": access_key is missing (auth = aksk needs user, access_key and "
                         "secret_key)");
    assert_parse_error(f, "user = op\naccess_key = AK\n", SCNET_AUTH_AKSK,
                       P ": secret_key is missing (auth = aksk needs user, access_key and "
                         "secret_key)");
    assert_parse_error(f, "user = op\norg_id = O\n", SCNET_AUTH_PASSWORD,
                       P ": password is missing (auth = password needs user, password and "
                         "org_id)");
    assert_parse_error(f, "user = op\npassword = " PW "\n", SCNET_AUTH_PASSWORD,
                       P ": org_id is missing (auth = password needs user, password and org_id)");
    /* An aksk file used with auth = password. */
    assert_parse_error(f, "user = op\naccess_key = AK\nsecret_key = " SK "\n", SCNET_AUTH_PASSWORD,
                       P ": password is missing (auth = password needs user, password and "
                         "org_id)");
    assert_parse_error(f, "", SCNET_AUTH_AKSK,
                       P ": user is missing (auth = aksk needs user, access_key and secret_key)");
    assert_parse_error(f, "# only a comment\n", SCNET_AUTH_PASSWORD,
                       P ": user is missing (auth = password needs user, password and org_id)");
}

static void test_unknown_key(void **state)
{
    struct fixture *f = *state;
    assert_parse_error(f, "user = op\nsecret = " SK "\n", SCNET_AUTH_AKSK,
                       P ":2: unknown key 'secret' (expected user, access_key, secret_key, "
                         "password, org_id)");
    /* Only a key name ([a-z_], at most 32 bytes) is echoed: anything else before a '=' may
     * be a pasted secret. */
    assert_parse_error(f, "User = op\n", SCNET_AUTH_AKSK, P ":1: not a 'key = value' line");
    assert_parse_error(f, "= " SK "\n", SCNET_AUTH_AKSK, P ":1: not a 'key = value' line");
    assert_parse_error(f, "\n\nabcdefghijabcdefghijabcdefghijabc = 1\n", SCNET_AUTH_AKSK,
                       P ":3: not a 'key = value' line");
    assert_parse_error(f, "us\x1b[2Jer = op\n", SCNET_AUTH_AKSK, P ":1: not a 'key = value' line");
}

/* A base64 secret on a line of its own holds '=' (its padding): nothing of it is shown. */
static void test_bare_secret_with_padding_not_echoed(void **state)
{
    struct fixture *f = *state;
    const char *secrets[] = {
        "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY==", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY=",
        "  abc+def/ghi==  ", "ABCDEFGHIJKLMNOP="};
    char text[256];

    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
        snprintf(text, sizeof(text), "user = op\n%s\naccess_key = AKID\n", secrets[i]);
        assert_parse_error(f, text, SCNET_AUTH_AKSK, P ":2: not a 'key = value' line");
    }
}

static void test_line_without_equals_not_echoed(void **state)
{
    struct fixture *f = *state;
    /* The classic mistake: a secret pasted on a line of its own. */
    assert_parse_error(f, "user = op\n" SK "\n", SCNET_AUTH_AKSK, P ":2: not a 'key = value' line");
}

static void test_duplicate_key(void **state)
{
    struct fixture *f = *state;
    assert_parse_error(f, "user = op\nuser = other\n", SCNET_AUTH_AKSK,
                       P ":2: user is given twice");
    assert_parse_error(f, "user=op\nsecret_key=" SK "\naccess_key=A\nsecret_key=" SK "x\n",
                       SCNET_AUTH_AKSK, P ":4: secret_key is given twice");
}

static void test_empty_values(void **state)
{
    struct fixture *f = *state;
    assert_parse_error(f, "user =\naccess_key = AK\nsecret_key = " SK "\n", SCNET_AUTH_AKSK,
                       P ":1: user is empty");
    assert_parse_error(f, "user = op\naccess_key = AK\nsecret_key =   \t\n", SCNET_AUTH_AKSK,
                       P ":3: secret_key is empty");
}

static void test_values_that_cannot_be_headers(void **state)
{
    struct fixture *f = *state;
    assert_parse_error(f, "user = op\naccess_key = AK\nsecret_key = s3cr3t KEYvalue\n",
                       SCNET_AUTH_AKSK,
                       P ":3: secret_key holds a space, control or non-ASCII character");
    assert_parse_error(f, "user = o\x01p\n", SCNET_AUTH_AKSK,
                       P ":1: user holds a space, control or non-ASCII character");
    assert_parse_error(f, "user = op\npassword = pa55\x7fWORD\n", SCNET_AUTH_PASSWORD,
                       P ":2: password holds a control or non-ASCII character");
    assert_parse_error(f, "user = op\npassword = pa55\tWORD\n", SCNET_AUTH_PASSWORD,
                       P ":2: password holds a control or non-ASCII character");
    assert_parse_error(f, "user = \xe7\x94\xa8\xe6\x88\xb7\n", SCNET_AUTH_AKSK,
                       P ":1: user holds a space, control or non-ASCII character");
    /* A lone CR inside a value would split the request header. */
    assert_parse_error(f, "user = op\rInjected: yes\n", SCNET_AUTH_AKSK,
                       P ":1: user holds a space, control or non-ASCII character");
}

static void test_quote_or_backslash_in_signed_fields(void **state)
{
    struct fixture *f = *state;
    assert_parse_error(f, "user = o\"p\n", SCNET_AUTH_AKSK,
                       P ":1: user holds '\"' or '\\', which the signed message cannot carry "
                         "unambiguously");
    assert_parse_error(f, "user = op\naccess_key = A\\K\n", SCNET_AUTH_AKSK,
                       P ":2: access_key holds '\"' or '\\', which the signed message cannot "
                         "carry unambiguously");
    /* The secret key is only the HMAC key: any printable byte is fine. */
    assert_true(parse(f, "user=op\naccess_key=AK\nsecret_key=a\"b\\c\n", SCNET_AUTH_AKSK));
    assert_string_equal(f->c.secret_key, "a\"b\\c");
}

static void test_value_too_long(void **state)
{
    struct fixture *f = *state;
    char text[CREDENTIALS_MAX_VALUE + 64];
    int n = snprintf(text, sizeof(text), "user = op\naccess_key = AK\nsecret_key = ");
    memset(text + n, 'k', CREDENTIALS_MAX_VALUE);
    text[n + CREDENTIALS_MAX_VALUE] = '\0';
    assert_true(parse(f, text, SCNET_AUTH_AKSK));
    assert_int_equal(strlen(f->c.secret_key), CREDENTIALS_MAX_VALUE);
    strcat(text, "k");
    assert_parse_error(f, text, SCNET_AUTH_AKSK, P ":3: secret_key is longer than 1024 bytes");
}

static void test_nul_byte(void **state)
{
    struct fixture *f = *state;
    const char text[] = "user = op\naccess_key = AK\0x\nsecret_key = " SK "\n";
    credentials_wipe(&f->c);
    assert_false(credentials_parse(text, sizeof(text) - 1, P, SCNET_AUTH_AKSK, &f->c, f->err,
                                   sizeof(f->err)));
    assert_string_equal(f->err, P ":2: line holds a NUL byte");
    assert_null(f->c.user);
}

static void test_token_file_mode_refused(void **state)
{
    struct fixture *f = *state;
    assert_parse_error(f, "user = op\n", SCNET_AUTH_TOKEN_FILE,
                       P ": not used with auth = token_file");
}

/* ---- the file ---- */

static void write_file(struct fixture *f, const char *text, mode_t mode)
{
    (void)unlink(f->path);
    unit_write_file(f->path, text, strlen(text), mode);
}

static bool load(struct fixture *f, uid_t owner)
{
    credentials_wipe(&f->c);
    strcpy(f->err, "untouched");
    return credentials_load(f->path, owner, SCNET_AUTH_AKSK, &f->c, f->err, sizeof(f->err));
}

#define GOOD_FILE "user = op\naccess_key = AK\nsecret_key = " SK "\n"

static void test_load_good_file(void **state)
{
    struct fixture *f = *state;
    write_file(f, GOOD_FILE, 0600);
    assert_true(load(f, geteuid()));
    assert_string_equal(f->c.secret_key, SK);
    write_file(f, GOOD_FILE, 0400);
    assert_true(load(f, geteuid()));
}

static void test_load_errors_name_the_file(void **state)
{
    struct fixture *f = *state;
    char want[PATH_MAX + 200];

    write_file(f, "user = op\nbogus = 1\n", 0600);
    assert_false(load(f, geteuid()));
    snprintf(want, sizeof(want),
             "%s:2: unknown key 'bogus' (expected user, access_key, secret_key, password, "
             "org_id)",
             f->path);
    assert_string_equal(f->err, want);
}

static void test_load_refuses_open_modes(void **state)
{
    struct fixture *f = *state;
    char want[PATH_MAX + 200];
    static const mode_t modes[] = {0640, 0604, 0660, 0644};

    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        write_file(f, GOOD_FILE, modes[i]);
        assert_false(load(f, geteuid()));
        snprintf(want, sizeof(want),
                 "%s: mode %04o is too open (group and others must have no access)", f->path,
                 (unsigned)modes[i]);
        assert_string_equal(f->err, want);
        assert_null(f->c.secret_key);
    }
}

static void test_load_refuses_other_owner(void **state)
{
    struct fixture *f = *state;
    write_file(f, GOOD_FILE, 0600);
    assert_false(load(f, geteuid() + 1));
    assert_non_null(strstr(f->err, "must be owned by uid"));
    assert_null(strstr(f->err, SK));
}

static void test_load_refuses_symlink(void **state)
{
    struct fixture *f = *state;
    char target[PATH_MAX], want[PATH_MAX + 64];

    write_file(f, GOOD_FILE, 0600);
    snprintf(target, sizeof(target), "%s/real", f->dir);
    assert_int_equal(rename(f->path, target), 0);
    assert_int_equal(symlink(target, f->path), 0);
    assert_false(load(f, geteuid()));
    snprintf(want, sizeof(want), "%s: is a symlink", f->path);
    assert_string_equal(f->err, want);
}

static void test_load_missing_and_too_large(void **state)
{
    struct fixture *f = *state;
    char want[PATH_MAX + 64], *big;

    assert_false(load(f, geteuid()));
    snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", f->path);
    assert_string_equal(f->err, want);

    big = malloc(CREDENTIALS_MAX_SIZE + 2);
    assert_non_null(big);
    memset(big, '#', CREDENTIALS_MAX_SIZE + 1);
    big[CREDENTIALS_MAX_SIZE + 1] = '\0';
    write_file(f, big, 0600);
    free(big);
    assert_false(load(f, geteuid()));
    snprintf(want, sizeof(want), "%s: larger than %d bytes", f->path, CREDENTIALS_MAX_SIZE);
    assert_string_equal(f->err, want);
}

static void test_wipe_zeroed_is_fine(void **state)
{
    struct credentials c = {0};
    credentials_wipe(&c);
    credentials_wipe(&c);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_aksk_file),
        T(test_password_file),
        T(test_value_may_hold_equals_and_hash),
        T(test_comment_after_a_value),
        T(test_both_sets_in_one_file),
        T(test_no_final_newline),
        T(test_missing_keys),
        T(test_unknown_key),
        T(test_bare_secret_with_padding_not_echoed),
        T(test_line_without_equals_not_echoed),
        T(test_duplicate_key),
        T(test_empty_values),
        T(test_values_that_cannot_be_headers),
        T(test_quote_or_backslash_in_signed_fields),
        T(test_value_too_long),
        T(test_nul_byte),
        T(test_token_file_mode_refused),
        T(test_load_good_file),
        T(test_load_errors_name_the_file),
        T(test_load_refuses_open_modes),
        T(test_load_refuses_other_owner),
        T(test_load_refuses_symlink),
        T(test_load_missing_and_too_large),
        cmocka_unit_test(test_wipe_zeroed_is_fine),
    };
#undef T
    return unit_exit_code(cmocka_run_group_tests_name("credentials", tests, NULL, NULL));
}
