/* Unit tests for common/selinux_label.c: labels written as security.selinux attributes on
 * files in the build tree (root can write them where no LSM is loaded; skipped elsewhere). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "selinux_label.h"

static char path[512];

static int make_file(void **state)
{
    const char *tmp = getenv("SCNET_TEST_TMP");
    int fd;

    (void)state;
    snprintf(path, sizeof(path), "%s/selinux-label-XXXXXX", tmp ? tmp : "/tmp");
    fd = mkstemp(path);
    if (fd < 0) {
        mkdir(tmp ? tmp : "/tmp", 0755);
        fd = mkstemp(path);
    }
    assert_true(fd >= 0);
    close(fd);
    return 0;
}

static int remove_file(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

/* Give path the label, as restorecon would; skip where the filesystem or kernel refuses. */
static void label(const char *value, size_t len)
{
    if (setxattr(path, "security.selinux", value, len, 0) != 0) {
        print_message("cannot set security.selinux here (%s): skipped\n", strerror(errno));
        skip();
    }
}

static void test_type_of_a_full_label(void **state)
{
    static const char value[] = "system_u:object_r:etc_t:s0";
    char type[64];

    (void)state;
    label(value, sizeof(value)); /* with its NUL, as the kernel stores it */
    assert_true(selinux_file_type(path, type, sizeof(type)));
    assert_string_equal(type, "etc_t");
}

static void test_type_without_level_or_nul(void **state)
{
    static const char value[] = "system_u:object_r:pam_scnet_quota_secret_t";
    char type[64];

    (void)state;
    label(value, strlen(value));
    assert_true(selinux_file_type(path, type, sizeof(type)));
    assert_string_equal(type, "pam_scnet_quota_secret_t");
}

static void test_type_too_long_for_the_buffer(void **state)
{
    static const char value[] = "system_u:object_r:pam_scnet_quota_secret_t:s0";
    char type[8];

    (void)state;
    label(value, sizeof(value));
    assert_false(selinux_file_type(path, type, sizeof(type)));
}

static void test_malformed_label(void **state)
{
    static const char value[] = "etc_t";
    char type[64];

    (void)state;
    label(value, sizeof(value));
    assert_false(selinux_file_type(path, type, sizeof(type)));
}

static void test_no_label_no_file(void **state)
{
    char type[64];

    (void)state;
    assert_false(selinux_file_type("/nonexistent/pam_scnet_quota.token", type, sizeof(type)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_type_of_a_full_label, make_file, remove_file),
        cmocka_unit_test_setup_teardown(test_type_without_level_or_nul, make_file, remove_file),
        cmocka_unit_test_setup_teardown(test_type_too_long_for_the_buffer, make_file, remove_file),
        cmocka_unit_test_setup_teardown(test_malformed_label, make_file, remove_file),
        cmocka_unit_test(test_no_label_no_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
