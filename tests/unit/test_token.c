/* Unit tests for common/token.c: the token file is a real file in a fresh directory. */
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
#include "token.h"
#include "unit_support.h"

#define OTHER_UID 12345
/* Distinctive, so that finding it in an error message cannot be a coincidence. */
#define SECRET "s3cr3tT0kenVALUE"

struct fixture {
    char dir[1024];
    char path[PATH_MAX];
    struct scnet_config cfg;
    char err[512];
    char *token;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    if (!unit_mkdtemp(f->dir, sizeof(f->dir), "scnet-token-XXXXXX")) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof(f->path), "%s/token", f->dir);
    config_defaults(&f->cfg);
    free(f->cfg.token_file);
    f->cfg.token_file = strdup(f->path);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(unit_remove_tree(f->dir), 0);
    token_free(f->token);
    config_free(&f->cfg);
    free(f);
    return 0;
}

static bool load(struct fixture *f)
{
    token_free(f->token);
    f->token = (char *)"not reset";
    f->err[0] = '\0';
    return token_load(&f->cfg, &f->token, f->err, sizeof(f->err));
}

/* Loading data (mode 0600) gives exactly want. */
static void assert_token_from(struct fixture *f, const char *data, size_t len, const char *want)
{
    unit_write_file(f->path, data, len, 0600);
    assert_true(load(f));
    assert_non_null(f->token);
    assert_string_equal(f->token, want);
}

/* Loading data (given mode) fails with "<path>: problem", and the error leaks no token text. */
static void assert_refused(struct fixture *f, const char *data, size_t len, mode_t mode,
                           const char *problem)
{
    char want[PATH_MAX + 256];
    unit_write_file(f->path, data, len, mode);
    assert_false(load(f));
    assert_null(f->token);
    snprintf(want, sizeof(want), "%s: %s", f->path, problem);
    assert_string_equal(f->err, want);
    assert_null(strstr(f->err, SECRET));
    assert_null(strstr(f->err, "s3cr3t"));
}

static void test_plain_token_with_newline(void **state)
{
    assert_token_from(*state, SECRET "\n", strlen(SECRET "\n"), SECRET);
}

static void test_token_without_newline(void **state)
{
    assert_token_from(*state, SECRET, strlen(SECRET), SECRET);
}

static void test_crlf_stripped(void **state)
{
    assert_token_from(*state, SECRET "\r\n", strlen(SECRET "\r\n"), SECRET);
}

static void test_trailing_blanks_stripped(void **state)
{
    assert_token_from(*state, SECRET " \t  \r\n", strlen(SECRET " \t  \r\n"), SECRET);
}

static void test_only_first_line_used(void **state)
{
    const char *data = SECRET "\nsecond-line\nthird\n";
    assert_token_from(*state, data, strlen(data), SECRET);
}

static void test_long_token_kept_whole(void **state)
{
    struct fixture *f = *state;
    char data[8002];
    memset(data, 'A', 8000);
    data[8000] = '\n';
    data[8001] = '\0';
    unit_write_file(f->path, data, 8001, 0600);
    assert_true(load(f));
    assert_int_equal(strlen(f->token), 8000);
    assert_int_equal(strspn(f->token, "A"), 8000);
}

static void test_empty_file_refused(void **state)
{
    assert_refused(*state, "", 0, 0600, "first line is empty");
}

static void test_first_line_empty_refused(void **state)
{
    const char *data = "\n" SECRET "\n";
    assert_refused(*state, data, strlen(data), 0600, "first line is empty");
}

static void test_first_line_blank_refused(void **state)
{
    const char *data = "  \t\r\n" SECRET "\n";
    assert_refused(*state, data, strlen(data), 0600, "first line is empty");
}

static void test_space_inside_refused(void **state)
{
    const char *data = "s3cr3t T0kenVALUE\n";
    assert_refused(*state, data, strlen(data), 0600, "token holds a space or non-printable byte");
}

static void test_leading_space_refused(void **state)
{
    const char *data = " " SECRET "\n";
    assert_refused(*state, data, strlen(data), 0600, "token holds a space or non-printable byte");
}

static void test_control_char_refused(void **state)
{
    const char *data = "s3cr3t\x1b[31mT0ken\n";
    assert_refused(*state, data, strlen(data), 0600, "token holds a space or non-printable byte");
}

static void test_lone_cr_ends_the_line(void **state)
{
    /* A bare CR must not reach an HTTP header: it ends the token like LF does. */
    const char *data = SECRET "\rinjected: yes\n";
    assert_token_from(*state, data, strlen(data), SECRET);
}

static void test_del_and_non_ascii_refused(void **state)
{
    struct fixture *f = *state;
    const char *data = "s3cr3t\x7fT0ken\n";
    assert_refused(f, data, strlen(data), 0600, "token holds a space or non-printable byte");
    assert_int_equal(unlink(f->path), 0);
    data = "s3cr3t\xc3\xa9T0ken\n";
    assert_refused(f, data, strlen(data), 0600, "token holds a space or non-printable byte");
}

static void test_nul_byte_refused(void **state)
{
    const char data[] = "s3cr3t\0T0kenVALUE\n";
    assert_refused(*state, data, sizeof(data) - 1, 0600, "contains a NUL byte");
}

static void test_nul_on_second_line_refused(void **state)
{
    const char data[] = SECRET "\nx\0y\n";
    assert_refused(*state, data, sizeof(data) - 1, 0600, "contains a NUL byte");
}

static void test_group_readable_refused(void **state)
{
    assert_refused(*state, SECRET "\n", strlen(SECRET "\n"), 0640,
                   "mode 0640 is too open (group and others must have no access)");
}

static void test_world_readable_refused(void **state)
{
    assert_refused(*state, SECRET "\n", strlen(SECRET "\n"), 0644,
                   "mode 0644 is too open (group and others must have no access)");
}

static void test_missing_file_refused(void **state)
{
    struct fixture *f = *state;
    char want[PATH_MAX + 64];
    assert_false(load(f));
    assert_null(f->token);
    snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", f->path);
    assert_string_equal(f->err, want);
}

static void test_symlink_refused(void **state)
{
    struct fixture *f = *state;
    char target[PATH_MAX], want[PATH_MAX + 64];
    snprintf(target, sizeof(target), "%s/real", f->dir);
    int fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, SECRET "\n", strlen(SECRET "\n")), (ssize_t)strlen(SECRET "\n"));
    close(fd);
    assert_int_equal(symlink(target, f->path), 0);
    assert_false(load(f));
    assert_null(f->token);
    snprintf(want, sizeof(want), "%s: is a symlink", f->path);
    assert_string_equal(f->err, want);
}

static void test_owned_by_another_user_refused(void **state)
{
    struct fixture *f = *state;
    char want[PATH_MAX + 128];
    unit_need_root("to give the file to another owner");
    unit_write_file(f->path, SECRET "\n", strlen(SECRET "\n"), 0600);
    assert_int_equal(chown(f->path, OTHER_UID, OTHER_UID), 0);
    assert_false(load(f));
    snprintf(want, sizeof(want), "%s: owned by uid %d, must be owned by uid 0", f->path, OTHER_UID);
    assert_string_equal(f->err, want);
    assert_null(strstr(f->err, SECRET));
}

static void test_owner_follows_config(void **state)
{
    struct fixture *f = *state;
    unit_write_file(f->path, SECRET "\n", strlen(SECRET "\n"), 0600);
    f->cfg.owner = geteuid() + 1;
    assert_false(load(f));
    assert_non_null(strstr(f->err, "must be owned by uid"));
    f->cfg.owner = geteuid();
    assert_true(load(f));
    assert_string_equal(f->token, SECRET);
}

static void test_too_large_refused(void **state)
{
    struct fixture *f = *state;
    size_t size = 16385;
    char *data = malloc(size);
    assert_non_null(data);
    memcpy(data, SECRET "\n", strlen(SECRET "\n"));
    memset(data + strlen(SECRET "\n"), '#', size - strlen(SECRET "\n"));
    assert_refused(f, data, size, 0600, "larger than 16384 bytes");
    free(data);
}

static void test_token_free_null_is_fine(void **state)
{
    token_free(NULL);
    token_free(strdup(SECRET));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_plain_token_with_newline),
        T(test_token_without_newline),
        T(test_crlf_stripped),
        T(test_trailing_blanks_stripped),
        T(test_only_first_line_used),
        T(test_long_token_kept_whole),
        T(test_empty_file_refused),
        T(test_first_line_empty_refused),
        T(test_first_line_blank_refused),
        T(test_space_inside_refused),
        T(test_leading_space_refused),
        T(test_control_char_refused),
        T(test_lone_cr_ends_the_line),
        T(test_del_and_non_ascii_refused),
        T(test_nul_byte_refused),
        T(test_nul_on_second_line_refused),
        T(test_group_readable_refused),
        T(test_world_readable_refused),
        T(test_missing_file_refused),
        T(test_symlink_refused),
        T(test_owned_by_another_user_refused),
        T(test_owner_follows_config),
        T(test_too_large_refused),
        T(test_token_free_null_is_fine),
    };
#undef T
    return unit_exit_code(cmocka_run_group_tests_name("token", tests, NULL, NULL));
}
