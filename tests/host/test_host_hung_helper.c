/* A helper that never answers and never exits (hung_helper.c, configured as `helper`): the
 * module kills it at its deadline and reaps it. The login returns after about `timeout`,
 * and once pam_open_session has returned no process of the helper is left, not even a
 * zombie. The helper writes its pid when it starts, so a login that never started it fails
 * the test instead of passing it vacuously; the same pid file shows that a cache hit starts
 * no helper at all. */
#include <fcntl.h>
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

#include "host_support.h"
#include "unit_support.h"

#define TIMEOUT_MS 1000
#define MARGIN_MS 500 /* generous: two noisy cores, maybe ASan */
#define BANNER "/public/home/near  651.0 GB of 700.0 GB  93.0%"

/* Copy the program to dir/name, mode 0755, owned by us (the owner the module checks in tests). */
static void install_copy(const char *from, const char *to)
{
    static char data[4 << 20];
    ssize_t n;
    int fd = open(from, O_RDONLY | O_CLOEXEC);

    assert_true(fd >= 0);
    n = read(fd, data, sizeof(data));
    close(fd);
    assert_true(n > 0 && n < (ssize_t)sizeof(data));
    unit_write_file(to, data, (size_t)n, 0755);
}

/* A folder libexec/ (0755) in the host's folder with the hung helper in it (0755). */
static void install_hung_helper(const struct host *h, char *helper, size_t helperlen, char *pidfile,
                                size_t pidlen)
{
    const char *hung = getenv("SCNET_HUNG_HELPER");
    char bin[600];

    if (!hung)
        fail_msg("SCNET_HUNG_HELPER is not set: run through ctest");
    snprintf(bin, sizeof(bin), "%s/libexec", h->dir);
    assert_int_equal(mkdir(bin, 0755), 0);
    assert_int_equal(chmod(bin, 0755), 0);
    snprintf(helper, helperlen, "%s/scnet-quota-fetch", bin);
    snprintf(pidfile, pidlen, "%s/hung.pid", bin);
    install_copy(hung, helper);
}

/* The pid the hung helper wrote, 0 when it never ran. */
static pid_t hung_pid(const char *pidfile)
{
    FILE *f = fopen(pidfile, "re");
    long v = 0;

    if (f) {
        if (fscanf(f, "%ld", &v) != 1)
            v = 0;
        fclose(f);
    }
    return (pid_t)v;
}

static void test_hung_helper_is_killed_and_reaped(void **state)
{
    char helper[700], pidfile[700], conf[1024];
    struct host h;
    struct host_session s;
    pid_t pids[16], pid;

    (void)state;
    host_setup(&h);
    install_hung_helper(&h, helper, sizeof(helper), pidfile, sizeof(pidfile));
    snprintf(conf, sizeof(conf), "cache_ttl = 0\nstale_ttl = 0\ntimeout = %d\nhelper = %s\n",
             TIMEOUT_MS / 1000, helper);
    host_write_conf(&h, conf);

    host_open(&h, "near", &s);
    print_message("login with a hung helper: rc %d after %.0f ms; messages: %s\n", s.rc, s.ms,
                  s.info[0] ? s.info : "none\n");
    pid = hung_pid(pidfile);
    print_message("helper pid: %ld\n", (long)pid);
    assert_int_equal(s.rc, PAM_SUCCESS);
    assert_true(pid > 0); /* the module did start it */
    assert_true(s.ms >= TIMEOUT_MS - 100);
    assert_true(s.ms <= TIMEOUT_MS + MARGIN_MS);
    /* Killed and reaped before pam_open_session returned: no process, no zombie. */
    assert_false(host_pid_exists(pid));
    assert_int_equal(host_children(pids, 16, false), 0);
    host_end(&s);
    host_teardown(&h);
}

/* A cache hit starts no process: with the answer cached by a login through the real helper,
 * a login configured with the hung helper answers from the cache at once and never runs it. */
static void test_cache_hit_starts_no_helper(void **state)
{
    char helper[700], pidfile[700], conf[1024];
    struct host h;
    struct host_session s;

    (void)state;
    host_setup(&h);
    host_write_conf(&h, "cache_ttl = 300\ntimeout = 5\n");
    host_login(&h, "near", &s);
    assert_int_equal(s.rc, PAM_SUCCESS);
    assert_non_null(strstr(s.info, BANNER));

    install_hung_helper(&h, helper, sizeof(helper), pidfile, sizeof(pidfile));
    snprintf(conf, sizeof(conf), "cache_ttl = 300\ntimeout = %d\nhelper = %s\n", TIMEOUT_MS / 1000,
             helper);
    host_write_conf(&h, conf);
    host_login(&h, "near", &s);
    print_message("cache hit with the hung helper configured: rc %d after %.1f ms\n", s.rc, s.ms);
    assert_int_equal(s.rc, PAM_SUCCESS);
    assert_non_null(strstr(s.info, BANNER));
    assert_int_equal(hung_pid(pidfile), 0);
    assert_true(s.ms < TIMEOUT_MS / 2);
    host_teardown(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hung_helper_is_killed_and_reaped),
        cmocka_unit_test(test_cache_hit_starts_no_helper),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
