/* The built module in a real libpam stack (pam_wrapper), against the simulator over HTTPS:
 * one case per row of the behaviour table, asserting on the PAM code and the exact text. */
#include "pam_test_support.h"

#include <stdio.h>
#include <string.h>

static struct sim_info sim;

static int setup(void **state)
{
    sim_info_load(&sim);
    return 0;
}

static void open_session(const char *service, const char *user, int flags, struct pam_run *run)
{
    run_pam(service, user, PAMTEST_OPEN_SESSION, flags, run);
}

static void test_low_user_sees_nothing(void **state)
{
    struct pam_run run;
    long before = sim_quota_count(&sim, "low");

    write_https_conf(&sim, "");
    open_session("scnet", "low", 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_info(&run), "");
    assert_string_equal(joined_err(&run), "");
    assert_int_equal(sim_quota_count(&sim, "low"), before + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_low_user_sees_nothing),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
