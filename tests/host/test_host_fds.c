/* Nothing of the module or its helper stays open in the session: right after
 * pam_open_session (sshd forks the user's shell from there) the host's descriptor table is
 * exactly what it was before, on a cache miss, on a cache hit, and when the request had to be
 * abandoned at the deadline (the helper killed). The table is compared entry by entry
 * (number and target), not by count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "host_support.h"
#include "unit_support.h"

#define BANNER "/public/home/near  651.0 GB of 700.0 GB  93.0%"

static char before[16384], after[16384];

/* What the host's own libraries keep open once used is the host's, not the module's: glibc's
 * socket to /dev/log (when there is a syslog daemon) and nss_wrapper's passwd file. Open them
 * before the snapshot, so that only what the login itself leaves behind shows. */
static void snapshot(void)
{
    openlog("test_host_fds", LOG_NDELAY, LOG_AUTHPRIV);
    assert_non_null(getpwnam("near"));
    host_fd_list(before, sizeof(before));
}

static void assert_same_fds(const char *when)
{
    host_fd_list(after, sizeof(after));
    if (strcmp(before, after) != 0)
        print_message("%s: descriptors before the session:\n%safter pam_open_session:\n%s", when,
                      before, after);
    assert_string_equal(before, after);
}

static void test_no_descriptor_left_on_miss_and_hit(void **state)
{
    struct host h;
    struct host_session s;

    (void)state;
    host_setup(&h);
    host_write_conf(&h, "cache_ttl = 300\ntimeout = 5\n");

    snapshot();
    host_open(&h, "near", &s);
    assert_int_equal(s.rc, PAM_SUCCESS);
    assert_non_null(strstr(s.info, BANNER));
    assert_same_fds("cache miss");
    host_end(&s);

    host_open(&h, "near", &s);
    assert_int_equal(s.rc, PAM_SUCCESS);
    assert_non_null(strstr(s.info, BANNER));
    assert_same_fds("cache hit");
    host_end(&s);
    host_teardown(&h);
}

static void test_no_descriptor_left_after_the_deadline(void **state)
{
    char conf[1024];
    struct host h;
    struct host_session s;
    int port, listener;

    (void)state;
    /* Accepts connections (in the kernel's backlog) and never answers. */
    listener = unit_loopback_listener(16, &port);
    host_setup(&h);
    snprintf(conf, sizeof(conf), "url = http://127.0.0.1:%d\ntoken_file = %s\ntimeout = 1\n", port,
             h.token_file);
    host_write_conf(&h, conf);

    snapshot();
    host_open(&h, "near", &s);
    print_message("dead API: rc %d after %.0f ms\n", s.rc, s.ms);
    assert_int_equal(s.rc, PAM_SUCCESS);
    assert_true(s.ms >= 900);
    assert_same_fds("request abandoned at the deadline");
    host_end(&s);
    host_teardown(&h);
    close(listener);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_descriptor_left_on_miss_and_hit),
        cmocka_unit_test(test_no_descriptor_left_after_the_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
