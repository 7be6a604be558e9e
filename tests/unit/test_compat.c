/* Unit tests for common/compat.c: the explicit_bzero and getrandom fallbacks for glibc < 2.25.
 * They run in every build, whether or not the rest of the code uses them (compat.h decides:
 * SCNET_FORCE_COMPAT=ON makes it use them on this glibc too, scripts/ci-compat.sh). */
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
#include <unistd.h>

#include <cmocka.h>

#include "compat.h"
#include "unit_support.h"

static void test_wipe_zeroes_exactly_the_range(void **state)
{
    unsigned char buf[64];
    size_t i;

    memset(buf, 0xA5, sizeof(buf));
    compat_explicit_bzero(buf + 8, 40);
    for (i = 0; i < sizeof(buf); i++)
        assert_int_equal(buf[i], (i >= 8 && i < 48) ? 0x00 : 0xA5);
    compat_explicit_bzero(buf, 0); /* nothing to do, nothing touched */
    assert_int_equal(buf[0], 0xA5);
}

/* What the code calls by the glibc name reaches a wipe in this build, fallback or not. */
static void test_mapped_name_wipes(void **state)
{
    char secret[] = "SKtokop01secret";

    explicit_bzero(secret, sizeof(secret));
    assert_int_equal(secret[0], 0);
    assert_int_equal(secret[sizeof(secret) - 2], 0);
}

static void test_getrandom_fills_and_differs(void **state)
{
    unsigned char a[32], b[32], zero[32];

    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    memset(zero, 0, sizeof(zero));
    assert_int_equal(compat_getrandom(a, sizeof(a), GRND_NONBLOCK), (ssize_t)sizeof(a));
    assert_int_equal(compat_getrandom(b, sizeof(b), 0), (ssize_t)sizeof(b));
    /* 256 random bits each: equal or all zero only if the function wrote nothing */
    assert_memory_not_equal(a, zero, sizeof(a));
    assert_memory_not_equal(a, b, sizeof(a));
}

static void test_read_random_file_reads_exactly(void **state)
{
    char dir[PATH_MAX], path[PATH_MAX + 16];
    unsigned char out[6];
    const unsigned char bytes[] = {0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x42};
    int fds = unit_count_open_fds();

    assert_non_null(unit_mkdtemp(dir, sizeof(dir), "compat-XXXXXX"));
    snprintf(path, sizeof(path), "%s/pool", dir);
    unit_write_file(path, bytes, sizeof(bytes), 0600);

    assert_int_equal(compat_read_random_file(path, out, sizeof(out)), (ssize_t)sizeof(out));
    assert_memory_equal(out, bytes, sizeof(out));
    assert_int_equal(unit_count_open_fds(), fds);
    assert_int_equal(unit_remove_tree(dir), 0);
}

static void test_read_random_file_errors(void **state)
{
    char dir[PATH_MAX], path[PATH_MAX + 16];
    unsigned char out[16];
    int fds = unit_count_open_fds();

    assert_non_null(unit_mkdtemp(dir, sizeof(dir), "compat-XXXXXX"));
    snprintf(path, sizeof(path), "%s/short", dir);
    unit_write_file(path, "abc", 3, 0600);
    errno = 0;
    assert_int_equal(compat_read_random_file(path, out, sizeof(out)), -1);
    assert_int_equal(errno, EIO);

    snprintf(path, sizeof(path), "%s/missing", dir);
    errno = 0;
    assert_int_equal(compat_read_random_file(path, out, sizeof(out)), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(unit_count_open_fds(), fds);
    assert_int_equal(unit_remove_tree(dir), 0);
}

static void test_read_random_file_from_urandom(void **state)
{
    unsigned char a[32], zero[32];

    memset(a, 0, sizeof(a));
    memset(zero, 0, sizeof(zero));
    assert_int_equal(compat_read_random_file("/dev/urandom", a, sizeof(a)), (ssize_t)sizeof(a));
    assert_memory_not_equal(a, zero, sizeof(a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wipe_zeroes_exactly_the_range),
        cmocka_unit_test(test_mapped_name_wipes),
        cmocka_unit_test(test_getrandom_fills_and_differs),
        cmocka_unit_test(test_read_random_file_reads_exactly),
        cmocka_unit_test(test_read_random_file_errors),
        cmocka_unit_test(test_read_random_file_from_urandom),
    };
    return unit_exit_code(cmocka_run_group_tests_name("compat", tests, NULL, NULL));
}
