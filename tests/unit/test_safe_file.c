/* Unit tests for common/safe_file.c: every check runs on a real file in a fresh directory. */
#include <errno.h>
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

#include "safe_file.h"
#include "unit_support.h"

#define OTHER_UID 12345

struct fixture {
    char dir[1024];
    char path[PATH_MAX]; /* dir/file: the path most tests read */
    char err[512];
    char *content;
    size_t len;
    bool missing;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    if (!unit_mkdtemp(f->dir, sizeof(f->dir), "scnet-safe-file-XXXXXX")) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof(f->path), "%s/file", f->dir);
    *state = f;
    return 0;
}

/* Removes the directory and what the test left in it (files, FIFOs, links, empty dirs). */
static int teardown(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(unit_remove_tree(f->dir), 0);
    free(f->content);
    free(f);
    return 0;
}

static bool read_as(struct fixture *f, const char *path, enum safe_file_kind kind, uid_t owner,
                    size_t max_size)
{
    free(f->content);
    f->content = NULL;
    f->len = 99;
    f->missing = true; /* must be reset by the call */
    f->err[0] = '\0';
    return safe_file_read(path, kind, owner, max_size, &f->content, &f->len, &f->missing, f->err,
                          sizeof(f->err));
}

static void assert_failed_with(struct fixture *f, const char *path, const char *problem)
{
    char want[1024];
    snprintf(want, sizeof(want), "%s: %s", path, problem);
    assert_string_equal(f->err, want);
    assert_null(f->content);
    assert_int_equal(f->len, 0);
}

static void test_regular_config_file_is_read(void **state)
{
    struct fixture *f = *state;
    unit_write_file(f->path, "url = x\n", 8, 0644);
    assert_true(read_as(f, f->path, SAFE_FILE_CONFIG, geteuid(), 1024));
    assert_false(f->missing);
    assert_int_equal(f->len, 8);
    assert_string_equal(f->content, "url = x\n");
    assert_string_equal(f->err, "");
}

static void test_empty_file_gives_empty_string(void **state)
{
    struct fixture *f = *state;
    unit_write_file(f->path, "", 0, 0600);
    assert_true(read_as(f, f->path, SAFE_FILE_SECRET, geteuid(), 1024));
    assert_int_equal(f->len, 0);
    assert_non_null(f->content);
    assert_string_equal(f->content, "");
}

static void test_embedded_nul_is_counted_in_len(void **state)
{
    struct fixture *f = *state;
    unit_write_file(f->path, "a\0b", 3, 0600);
    assert_true(read_as(f, f->path, SAFE_FILE_CONFIG, geteuid(), 1024));
    assert_int_equal(f->len, 3);
    assert_memory_equal(f->content, "a\0b\0", 4);
}

static void test_symlink_is_refused(void **state)
{
    struct fixture *f = *state;
    char target[PATH_MAX];
    snprintf(target, sizeof(target), "%s/target", f->dir);
    unit_write_file(target, "x\n", 2, 0644);
    assert_int_equal(symlink(target, f->path), 0);
    assert_false(read_as(f, f->path, SAFE_FILE_CONFIG, geteuid(), 1024));
    assert_failed_with(f, f->path, "is a symlink");
    assert_false(f->missing);
}

static void test_dangling_symlink_is_refused_not_missing(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(symlink("/nonexistent/scnet-target", f->path), 0);
    assert_false(read_as(f, f->path, SAFE_FILE_CONFIG, geteuid(), 1024));
    assert_failed_with(f, f->path, "is a symlink");
    assert_false(f->missing);
}

static void test_directory_is_refused(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(mkdir(f->path, 0700), 0);
    assert_false(read_as(f, f->path, SAFE_FILE_CONFIG, geteuid(), 1024));
    assert_failed_with(f, f->path, "not a regular file");
    assert_false(f->missing);
}

static void test_fifo_is_refused_without_hanging(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(mkfifo(f->path, 0600), 0);
    alarm(10); /* a hang kills the program: a failure, not a stuck CI job */
    assert_false(read_as(f, f->path, SAFE_FILE_SECRET, geteuid(), 1024));
    alarm(0);
    assert_failed_with(f, f->path, "not a regular file");
}

static void test_missing_file_sets_missing(void **state)
{
    struct fixture *f = *state;
    assert_false(read_as(f, f->path, SAFE_FILE_CONFIG, geteuid(), 1024));
    assert_true(f->missing);
    assert_failed_with(f, f->path, "cannot open: No such file or directory");
}

static void test_missing_pointer_may_be_null(void **state)
{
    struct fixture *f = *state;
    char *content = (char *)"untouched";
    size_t len = 7;
    assert_false(safe_file_read(f->path, SAFE_FILE_SECRET, geteuid(), 1024, &content, &len, NULL,
                                f->err, sizeof(f->err)));
    assert_null(content);
    assert_int_equal(len, 0);
    assert_non_null(strstr(f->err, "cannot open"));
}

static void test_missing_parent_is_missing_too(void **state)
{
    struct fixture *f = *state;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/nodir/file", f->dir);
    assert_false(read_as(f, path, SAFE_FILE_CONFIG, geteuid(), 1024));
    assert_true(f->missing);
}

static void test_config_0644_ok_but_secret_0644_refused(void **state)
{
    struct fixture *f = *state;
    unit_write_file(f->path, "x", 1, 0644);
    assert_true(read_as(f, f->path, SAFE_FILE_CONFIG, geteuid(), 1024));
    assert_false(read_as(f, f->path, SAFE_FILE_SECRET, geteuid(), 1024));
    assert_failed_with(f, f->path, "mode 0644 is too open (group and others must have no access)");
}

static void test_config_group_writable_refused(void **state)
{
    struct fixture *f = *state;
    unit_write_file(f->path, "x", 1, 0620);
    assert_false(read_as(f, f->path, SAFE_FILE_CONFIG, geteuid(), 1024));
    assert_failed_with(f, f->path, "mode 0620 is too open (group and others must not write)");
}

static void test_config_world_writable_refused(void **state)
{
    struct fixture *f = *state;
    unit_write_file(f->path, "x", 1, 0602);
    assert_false(read_as(f, f->path, SAFE_FILE_CONFIG, geteuid(), 1024));
    assert_failed_with(f, f->path, "mode 0602 is too open (group and others must not write)");
}

static void test_secret_0600_and_0400_ok(void **state)
{
    struct fixture *f = *state;
    unit_write_file(f->path, "tok\n", 4, 0600);
    assert_true(read_as(f, f->path, SAFE_FILE_SECRET, geteuid(), 1024));
    assert_string_equal(f->content, "tok\n");
    assert_int_equal(chmod(f->path, 0400), 0);
    assert_true(read_as(f, f->path, SAFE_FILE_SECRET, geteuid(), 1024));
    assert_string_equal(f->content, "tok\n");
}

static void test_secret_group_readable_refused(void **state)
{
    struct fixture *f = *state;
    unit_write_file(f->path, "tok\n", 4, 0640);
    assert_false(read_as(f, f->path, SAFE_FILE_SECRET, geteuid(), 1024));
    assert_failed_with(f, f->path, "mode 0640 is too open (group and others must have no access)");
}

static void test_secret_other_executable_refused(void **state)
{
    struct fixture *f = *state;
    unit_write_file(f->path, "tok\n", 4, 0601);
    assert_false(read_as(f, f->path, SAFE_FILE_SECRET, geteuid(), 1024));
    assert_failed_with(f, f->path, "mode 0601 is too open (group and others must have no access)");
}

/* The expected owner is a parameter: a mismatch is testable without root. */
static void test_owner_mismatch_refused(void **state)
{
    struct fixture *f = *state;
    char want[128];
    unit_write_file(f->path, "x", 1, 0600);
    assert_false(read_as(f, f->path, SAFE_FILE_CONFIG, geteuid() + 1, 1024));
    snprintf(want, sizeof(want), "owned by uid %lu, must be owned by uid %lu",
             (unsigned long)geteuid(), (unsigned long)geteuid() + 1);
    assert_failed_with(f, f->path, want);
}

static void test_file_of_another_user_refused(void **state)
{
    struct fixture *f = *state;
    char want[128];
    unit_need_root("to give the file to another owner");
    unit_write_file(f->path, "x", 1, 0600);
    assert_int_equal(chown(f->path, OTHER_UID, OTHER_UID), 0);
    assert_false(read_as(f, f->path, SAFE_FILE_SECRET, 0, 1024));
    snprintf(want, sizeof(want), "owned by uid %d, must be owned by uid 0", OTHER_UID);
    assert_failed_with(f, f->path, want);
}

static void test_size_limit_is_inclusive(void **state)
{
    struct fixture *f = *state;
    unit_write_file(f->path, "0123456789", 10, 0600);
    assert_true(read_as(f, f->path, SAFE_FILE_CONFIG, geteuid(), 10));
    assert_int_equal(f->len, 10);
    assert_string_equal(f->content, "0123456789");
}

static void test_too_large_refused(void **state)
{
    struct fixture *f = *state;
    unit_write_file(f->path, "0123456789A", 11, 0600);
    assert_false(read_as(f, f->path, SAFE_FILE_CONFIG, geteuid(), 10));
    assert_failed_with(f, f->path, "larger than 10 bytes");
    assert_false(f->missing);
}

static void test_large_file_read_whole(void **state)
{
    struct fixture *f = *state;
    size_t size = 200000;
    char *data = malloc(size);
    assert_non_null(data);
    for (size_t i = 0; i < size; i++)
        data[i] = (char)('a' + i % 26);
    unit_write_file(f->path, data, size, 0600);
    assert_true(read_as(f, f->path, SAFE_FILE_SECRET, geteuid(), size));
    assert_int_equal(f->len, size);
    assert_memory_equal(f->content, data, size);
    assert_int_equal(f->content[size], '\0');
    free(data);
}

static void test_no_descriptor_leaks(void **state)
{
    struct fixture *f = *state;
    char big[PATH_MAX];
    int before = unit_count_open_fds();

    unit_write_file(f->path, "tok\n", 4, 0644);
    assert_true(read_as(f, f->path, SAFE_FILE_CONFIG, geteuid(), 1024));
    assert_false(read_as(f, f->path, SAFE_FILE_SECRET, geteuid(), 1024));     /* bad mode */
    assert_false(read_as(f, f->path, SAFE_FILE_CONFIG, geteuid(), 2));        /* too large */
    assert_false(read_as(f, f->path, SAFE_FILE_CONFIG, geteuid() + 1, 1024)); /* owner */
    snprintf(big, sizeof(big), "%s/dir", f->dir);
    assert_int_equal(mkdir(big, 0700), 0);
    assert_false(read_as(f, big, SAFE_FILE_CONFIG, geteuid(), 1024)); /* not regular */
    assert_int_equal(unit_count_open_fds(), before);
}

/* dir/a/b/file, a made by mode_a (chmod, whatever the umask); the path of file in out. */
static void make_tree(const struct fixture *f, mode_t mode_a, char *out, size_t outlen)
{
    char a[PATH_MAX], b[PATH_MAX + 8];

    snprintf(a, sizeof(a), "%.*s/a", (int)(sizeof(a) - 8), f->dir);
    snprintf(b, sizeof(b), "%s/b", a);
    assert_int_equal(mkdir(a, 0755), 0);
    assert_int_equal(chmod(a, mode_a), 0);
    assert_int_equal(mkdir(b, 0755), 0);
    snprintf(out, outlen, "%s/file", b);
    unit_write_file(out, "PEM\n", 4, 0644);
}

static bool open_trusted(struct fixture *f, const char *path)
{
    struct stat st;
    int fd = -1;
    bool ok = safe_file_open_trusted(path, "cafile", O_RDONLY, SAFE_FILE_CONFIG, geteuid(), &fd,
                                     &st, f->err, sizeof(f->err));

    assert_true(ok == (fd >= 0));
    if (fd >= 0)
        close(fd);
    return ok;
}

/* A folder above the file's own that a user owns: they could swap what lies below it
 * between a check and a use. The walk from "/" names it. */
static void test_trusted_walk_names_user_owned_ancestor(void **state)
{
    struct fixture *f = *state;
    char path[PATH_MAX + 16], want[3 * PATH_MAX];

    if (geteuid() != 0)
        skip(); /* chown to another user */
    make_tree(f, 0755, path, sizeof(path));
    assert_true(open_trusted(f, path));
    assert_int_equal(chown(f->dir, OTHER_UID, OTHER_UID), 0);
    assert_false(open_trusted(f, path));
    snprintf(want, sizeof(want), "cafile %s: directory %s: owned by uid %d, must be owned by root",
             path, f->dir, OTHER_UID);
    assert_string_equal(f->err, want);
    assert_int_equal(chown(f->dir, 0, 0), 0);
}

static void test_trusted_walk_names_group_writable_ancestor(void **state)
{
    struct fixture *f = *state;
    char path[PATH_MAX + 16], want[3 * PATH_MAX];

    make_tree(f, 0775, path, sizeof(path));
    assert_false(open_trusted(f, path));
    snprintf(want, sizeof(want),
             "cafile %s: directory %s/a: mode 0775 is too open (group and others must not write)",
             path, f->dir);
    assert_string_equal(f->err, want);
}

/* A sticky folder root owns, like /tmp, may be writable by all: only root and an entry's
 * owner can rename or remove that entry. What lies in it must still be root's. */
static void test_trusted_walk_sticky_root_folder(void **state)
{
    struct fixture *f = *state;
    char path[PATH_MAX + 16], want[3 * PATH_MAX];

    if (geteuid() != 0)
        skip(); /* a root-owned sticky folder, then chown to another user */
    make_tree(f, 01777, path, sizeof(path));
    assert_true(open_trusted(f, path));
    snprintf(want, sizeof(want), "%s/a/b", f->dir);
    assert_int_equal(chown(want, OTHER_UID, OTHER_UID), 0);
    assert_false(open_trusted(f, path));
    assert_non_null(strstr(f->err, "/a/b: owned by uid 12345, must be owned by root"));
    assert_int_equal(chown(want, 0, 0), 0);
    /* Not sticky: writable by all is refused, as before. */
    snprintf(want, sizeof(want), "%s/a", f->dir);
    assert_int_equal(chmod(want, 0777), 0);
    assert_false(open_trusted(f, path));
    assert_non_null(strstr(f->err, "/a: mode 0777 is too open"));
}

/* A symlink on the way is followed when its owner is trusted (its folder is checked), and
 * what it points to is walked too; one a user owns is refused. */
static void test_trusted_walk_symlinks(void **state)
{
    struct fixture *f = *state;
    char path[PATH_MAX + 16], rel[PATH_MAX], abs_link[PATH_MAX], via[PATH_MAX + 16],
        want[3 * PATH_MAX];

    make_tree(f, 0755, path, sizeof(path));
    snprintf(rel, sizeof(rel), "%.*s/rel", (int)(sizeof(rel) - 8), f->dir);
    snprintf(abs_link, sizeof(abs_link), "%.*s/abs", (int)(sizeof(abs_link) - 8), f->dir);
    assert_int_equal(symlink("a/b", rel), 0);
    assert_int_equal(symlink(f->dir, abs_link), 0);
    snprintf(via, sizeof(via), "%s/file", rel);
    assert_true(open_trusted(f, via));
    snprintf(via, sizeof(via), "%s/a/b/file", abs_link);
    assert_true(open_trusted(f, via));
    /* What the link points to is walked: a group-writable folder there is named. */
    snprintf(want, sizeof(want), "%s/a", f->dir);
    assert_int_equal(chmod(want, 0777), 0);
    snprintf(via, sizeof(via), "%s/file", rel);
    assert_false(open_trusted(f, via));
    assert_non_null(strstr(f->err, "/a: mode 0777 is too open"));
    assert_int_equal(chmod(want, 0755), 0);
    if (geteuid() != 0)
        return;
    assert_int_equal(lchown(rel, OTHER_UID, OTHER_UID), 0);
    assert_false(open_trusted(f, via));
    snprintf(want, sizeof(want), "cafile %s: symlink %s: owned by uid %d, must be owned by root",
             via, rel, OTHER_UID);
    assert_string_equal(f->err, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_regular_config_file_is_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trusted_walk_names_user_owned_ancestor, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_trusted_walk_names_group_writable_ancestor, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_trusted_walk_symlinks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_file_gives_empty_string, setup, teardown),
        cmocka_unit_test_setup_teardown(test_embedded_nul_is_counted_in_len, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dangling_symlink_is_refused_not_missing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_directory_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_is_refused_without_hanging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_sets_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_pointer_may_be_null, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_parent_is_missing_too, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trusted_walk_sticky_root_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_0644_ok_but_secret_0644_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_config_group_writable_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_world_writable_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secret_0600_and_0400_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secret_group_readable_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secret_other_executable_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_mismatch_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_of_another_user_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_limit_is_inclusive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_large_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_file_read_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_descriptor_leaks, setup, teardown),
    };
    return unit_exit_code(cmocka_run_group_tests_name("safe_file", tests, NULL, NULL));
}
