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

#define EP_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define EP_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void test_service_failures_are_told_from_the_users(void **state)
{
    (void)state;
    assert_true(offline_failure_is_service(HTTP_CONNECT));
    assert_true(offline_failure_is_service(HTTP_TLS));
    assert_true(offline_failure_is_service(HTTP_TIMEOUT));
    /* Any HTTP answer is about the user it was for, 5xx included. */
    assert_false(offline_failure_is_service(HTTP_OK));
    assert_false(offline_failure_is_service(HTTP_TOO_LARGE));
    assert_false(offline_failure_is_service(HTTP_UNAVAILABLE));
    assert_false(offline_failure_is_service(HTTP_FAILED));
}

static void test_state_round_trip_keeps_the_start_of_the_outage(void **state)
{
    struct fixture *f = *state;
    struct offline_state st, again;
    char err[256] = "x", text[320];

    offline_state_read(f->dirfd, geteuid(), EP_A, &st, err, sizeof(err));
    assert_false(st.offline);
    assert_false(st.leftover);
    assert_string_equal(err, "");
    assert_int_equal(offline_retry_in(&st, 30, 1000), 0);

    assert_true(offline_state_record(f->dirfd, EP_A, NULL, 1764478212,
                                     "TLS failure: unable to get local issuer\ncertificate", err,
                                     sizeof(err)));
    offline_state_read(f->dirfd, geteuid(), EP_A, &st, err, sizeof(err));
    assert_true(st.offline);
    assert_int_equal(st.since, 1764478212);
    assert_int_equal(st.checked_at, 1764478212);
    assert_int_equal(offline_retry_in(&st, 30, 1764478212 + 5), 25);
    assert_int_equal(offline_retry_in(&st, 30, 1764478212 + 30), 0);
    offline_describe(&st, 30, 1764478212 + 5, text, sizeof(text));
    /* The cause, on one line (the newline in it is gone). */
    assert_string_equal(text, "API offline since 2025-11-30T04:50:12Z: TLS failure: unable to "
                              "get local issuer certificate (retry in 25s)");

    /* A failed probe opens a new window; the outage still started at the first failure. */
    assert_true(offline_state_record(f->dirfd, EP_A, &st, 1764478300, "timeout after 500 ms", err,
                                     sizeof(err)));
    offline_state_read(f->dirfd, geteuid(), EP_A, &again, err, sizeof(err));
    assert_int_equal(again.since, 1764478212);
    assert_int_equal(again.checked_at, 1764478300);
    assert_string_equal(again.cause, "timeout after 500 ms");

    assert_true(offline_state_clear(f->dirfd, err, sizeof(err)));
    offline_state_read(f->dirfd, geteuid(), EP_A, &st, err, sizeof(err));
    assert_false(st.offline);
    assert_true(offline_state_clear(f->dirfd, err, sizeof(err)));
}

/* A state recorded for another url or CA says nothing about this one. */
static void test_state_belongs_to_its_endpoint(void **state)
{
    struct fixture *f = *state;
    struct offline_state st;
    struct scnet_config cfg;
    char err[256] = "", one[OFFLINE_ENDPOINT_LEN], two[OFFLINE_ENDPOINT_LEN], ca[1200];

    assert_true(
        offline_state_record(f->dirfd, EP_A, NULL, 1764478212, "cannot connect", err, sizeof(err)));
    offline_state_read(f->dirfd, geteuid(), EP_B, &st, err, sizeof(err));
    assert_false(st.offline);
    assert_true(st.leftover);
    assert_string_equal(err, "");
    offline_state_read(f->dirfd, geteuid(), NULL, &st, err, sizeof(err));
    assert_true(st.offline);

    /* url, cafile and the CA file's content (stat) each make another endpoint. */
    config_defaults(&cfg);
    cfg.url = strdup("https://api.example:8443");
    offline_endpoint(&cfg, one);
    assert_int_equal(strlen(one), 64);
    offline_endpoint(&cfg, two);
    assert_string_equal(one, two);
    free(cfg.url);
    cfg.url = strdup("https://api.example:9443");
    offline_endpoint(&cfg, two);
    assert_string_not_equal(one, two);
    snprintf(ca, sizeof(ca), "%s/ca.pem", f->base);
    unit_write_file(ca, "one", 3, 0644);
    cfg.cafile = strdup(ca);
    offline_endpoint(&cfg, one);
    assert_string_not_equal(one, two);
    assert_int_equal(unlink(ca), 0);
    unit_write_file(ca, "fixed", 5, 0644);
    offline_endpoint(&cfg, two);
    assert_string_not_equal(one, two);
    config_free(&cfg);
}

static void test_bad_state_means_online(void **state)
{
    struct fixture *f = *state;
    struct offline_state st;
    char err[256] = "";

    /* The form before endpoints and causes, and a well-formed entry with a bad time. */
    assert_true(cache_write(f->dirfd, "offline:api", "1000", 4, 1000, err, sizeof(err)));
    offline_state_read(f->dirfd, geteuid(), EP_A, &st, err, sizeof(err));
    assert_false(st.offline);
    assert_true(st.leftover);
    assert_string_equal(err, "offline state: bad content");
    {
        const char *body = "scnet-offline 2\nsince 2000\nendpoint " EP_A "\ncause x\n";
        assert_true(
            cache_write(f->dirfd, "offline:api", body, strlen(body), 1000, err, sizeof(err)));
    }
    offline_state_read(f->dirfd, geteuid(), EP_A, &st, err, sizeof(err));
    assert_false(st.offline);
    assert_string_equal(err, "offline state: bad content");
}

static void test_one_probe_at_a_time(void **state)
{
    struct fixture *f = *state;
    bool expired = true;
    int first = offline_probe_lock(f->dirfd, geteuid(), 60000, &expired);
    int64_t start = (int64_t)time(NULL);

    assert_true(first >= 0);
    assert_false(expired);
    /* Taken: the second does not wait, it simply does not probe. */
    assert_int_equal(offline_probe_lock(f->dirfd, geteuid(), 60000, &expired), -1);
    assert_false(expired);
    assert_true((int64_t)time(NULL) - start <= 1);
    cache_unlock(first);
    first = offline_probe_lock(f->dirfd, geteuid(), 60000, &expired);
    assert_true(first >= 0);
    cache_unlock(first);
}

/* A prober stopped while it holds the lock: once its lease (timeout) is over, the lock says
 * nothing and the next login probes without it. */
static void test_probe_lock_is_a_lease(void **state)
{
    struct fixture *f = *state;
    bool expired = false;
    int first = offline_probe_lock(f->dirfd, geteuid(), 200, &expired);

    assert_true(first >= 0);
    assert_int_equal(offline_probe_lock(f->dirfd, geteuid(), 200, &expired), -1);
    assert_false(expired);
    usleep(300 * 1000);
    assert_int_equal(offline_probe_lock(f->dirfd, geteuid(), 200, &expired), -1);
    assert_true(expired);
    cache_unlock(first);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_service_failures_are_told_from_the_users),
        cmocka_unit_test_setup_teardown(test_state_round_trip_keeps_the_start_of_the_outage, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_state_belongs_to_its_endpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_lock_is_a_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_state_means_online, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_probe_at_a_time, setup, teardown),
    };
    return unit_exit_code(cmocka_run_group_tests_name("offline", tests, NULL, NULL));
}
