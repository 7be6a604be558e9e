/* Offline state: which failures count, how the state is kept in the cache directory, the
 * window, the probe lock, and the words the decision line uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache.h"
#include "offline.h"
#include "unit_support.h"

struct fixture {
    char base[1024];
    int dirfd;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char dir[1100], err[256];

    if (!f || !unit_mkdtemp(f->base, sizeof(f->base), "scnet-offline-XXXXXX"))
        return -1;
    snprintf(dir, sizeof(dir), "%s/cache", f->base);
    f->dirfd = cache_dir_open(dir, geteuid(), err, sizeof(err));
    *state = f;
    return f->dirfd >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    close(f->dirfd);
    assert_int_equal(unit_remove_tree(f->base), 0);
    free(f);
    return 0;
}

static void test_service_failures_are_told_from_the_users(void **state)
{
    (void)state;
    assert_true(offline_failure_is_service(HTTP_CONNECT, 0));
    assert_true(offline_failure_is_service(HTTP_TLS, 0));
    assert_true(offline_failure_is_service(HTTP_TIMEOUT, 0));
    assert_true(offline_failure_is_service(HTTP_OK, 500));
    assert_true(offline_failure_is_service(HTTP_OK, 503));
    assert_false(offline_failure_is_service(HTTP_OK, 200));
    assert_false(offline_failure_is_service(HTTP_OK, 404));
    assert_false(offline_failure_is_service(HTTP_OK, 401));
    assert_false(offline_failure_is_service(HTTP_TOO_LARGE, 0));
    assert_false(offline_failure_is_service(HTTP_UNAVAILABLE, 0));
    assert_false(offline_failure_is_service(HTTP_FAILED, 0));
}

static void test_state_round_trip_keeps_the_start_of_the_outage(void **state)
{
    struct fixture *f = *state;
    struct offline_state st, again;
    char err[256] = "x", text[160];

    offline_state_read(f->dirfd, geteuid(), &st, err, sizeof(err));
    assert_false(st.offline);
    assert_string_equal(err, "");
    assert_int_equal(offline_retry_in(&st, 30, 1000), 0);

    assert_true(offline_state_record(f->dirfd, NULL, 1764478212, err, sizeof(err)));
    offline_state_read(f->dirfd, geteuid(), &st, err, sizeof(err));
    assert_true(st.offline);
    assert_int_equal(st.since, 1764478212);
    assert_int_equal(st.checked_at, 1764478212);
    assert_int_equal(offline_retry_in(&st, 30, 1764478212 + 5), 25);
    assert_int_equal(offline_retry_in(&st, 30, 1764478212 + 30), 0);
    offline_describe(&st, 30, 1764478212 + 5, text, sizeof(text));
    assert_string_equal(text, "API offline since 2025-11-30T04:50:12Z (retry in 25s)");

    /* A failed probe opens a new window; the outage still started at the first failure. */
    assert_true(offline_state_record(f->dirfd, &st, 1764478300, err, sizeof(err)));
    offline_state_read(f->dirfd, geteuid(), &again, err, sizeof(err));
    assert_int_equal(again.since, 1764478212);
    assert_int_equal(again.checked_at, 1764478300);

    assert_true(offline_state_clear(f->dirfd, err, sizeof(err)));
    offline_state_read(f->dirfd, geteuid(), &st, err, sizeof(err));
    assert_false(st.offline);
    assert_true(offline_state_clear(f->dirfd, err, sizeof(err)));
}

static void test_bad_state_means_online(void **state)
{
    struct fixture *f = *state;
    struct offline_state st;
    char err[256] = "";

    /* A well-formed entry whose body is not a time before the failure. */
    assert_true(cache_write(f->dirfd, "offline:api", "12x", 3, 1000, err, sizeof(err)));
    offline_state_read(f->dirfd, geteuid(), &st, err, sizeof(err));
    assert_false(st.offline);
    assert_string_equal(err, "offline state: bad content");
    assert_true(cache_write(f->dirfd, "offline:api", "2000", 4, 1000, err, sizeof(err)));
    offline_state_read(f->dirfd, geteuid(), &st, err, sizeof(err));
    assert_false(st.offline);
}

static void test_one_probe_at_a_time(void **state)
{
    struct fixture *f = *state;
    int first = offline_probe_lock(f->dirfd, geteuid());
    int64_t start = (int64_t)time(NULL);

    assert_true(first >= 0);
    /* Taken: the second does not wait, it simply does not probe. */
    assert_int_equal(offline_probe_lock(f->dirfd, geteuid()), -1);
    assert_true((int64_t)time(NULL) - start <= 1);
    cache_unlock(first);
    first = offline_probe_lock(f->dirfd, geteuid());
    assert_true(first >= 0);
    cache_unlock(first);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_service_failures_are_told_from_the_users),
        cmocka_unit_test_setup_teardown(test_state_round_trip_keeps_the_start_of_the_outage, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_state_means_online, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_probe_at_a_time, setup, teardown),
    };
    return cmocka_run_group_tests_name("offline", tests, NULL, NULL);
}
