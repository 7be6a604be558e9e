/* Unit tests for common/policy.c. Replies are built by hand so only the policy is tested. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

#define E(user, path, usage, threshold)                                                            \
    {                                                                                              \
        (char *)(user), (char *)(path), (usage), (threshold), (threshold) > 0                      \
    }

static struct quota_reply reply_of(struct quota_entry *entries, size_t n)
{
    struct quota_reply r = {(char *)"0", NULL, entries, n};
    return r;
}

static void test_single_entry_below_warn(void **state)
{
    struct quota_entry e[] = {E("alice", "/home/alice", 398.56, 700)};
    struct quota_reply r = reply_of(e, 1);
    struct policy_result res;

    policy_decide(&r, "alice", 90, 100, &res);
    assert_int_equal(res.level, POLICY_OK);
    assert_int_equal(res.count, 0);
    assert_null(res.worst);
    assert_float_equal(res.max_percent, 56.937142857142857, 1e-9);
}

static void test_other_user_ignored(void **state)
{
    struct quota_entry e[] = {E("bob", "/home/bob", 699, 700), E("alice", "/home/alice", 7, 700),
                              E("Alice", "/home/Alice", 700, 700), E("alice ", "/home/x", 700, 700),
                              E("alic", "/home/y", 700, 700)};
    struct quota_reply r = reply_of(e, 5);
    struct policy_result res;

    policy_decide(&r, "alice", 90, 100, &res);
    assert_int_equal(res.level, POLICY_OK);
    assert_int_equal(res.count, 0);
    assert_float_equal(res.max_percent, 1.0, 1e-12);
}

static void test_no_limit_ignored(void **state)
{
    struct quota_entry e[] = {E("alice", "/scratch", 5000, 0)};
    struct quota_reply r = reply_of(e, 1);
    struct policy_result res;

    policy_decide(&r, "alice", 90, 100, &res);
    assert_int_equal(res.level, POLICY_OK);
    assert_int_equal(res.count, 0);
    assert_null(res.worst);
    assert_true(res.max_percent == -1);
}

static void test_no_entries_and_null_reply(void **state)
{
    struct quota_reply r = reply_of(NULL, 0);
    struct policy_result res;

    policy_decide(&r, "alice", 0, 100, &res);
    assert_int_equal(res.level, POLICY_OK);
    assert_int_equal(res.count, 0);
    assert_true(res.max_percent == -1);

    policy_decide(NULL, "alice", 0, 100, &res);
    assert_int_equal(res.count, 0);
    assert_true(res.max_percent == -1);
}

static void test_exactly_at_warn(void **state)
{
    /* 203 / 700 * 100 computed naively is 28.999999999999996; an admin means 29. */
    struct quota_entry e[] = {E("alice", "/a", 203, 700), E("alice", "/b", 630, 700)};
    struct quota_reply r = reply_of(e, 1);
    struct policy_result res;

    policy_decide(&r, "alice", 29, 100, &res);
    assert_int_equal(res.level, POLICY_WARN);
    assert_int_equal(res.count, 1);
    assert_true(res.items[0].percent == 29.0);

    r = reply_of(e + 1, 1);
    policy_decide(&r, "alice", 90, 100, &res);
    assert_int_equal(res.level, POLICY_WARN);
    assert_int_equal(res.items[0].level, POLICY_WARN);
    assert_ptr_equal(res.items[0].entry, &e[1]);
    assert_ptr_equal(res.worst, &res.items[0]);

    /* Just below the line is not a warning. */
    struct quota_entry below[] = {E("alice", "/b", 629.99, 700)};
    r = reply_of(below, 1);
    policy_decide(&r, "alice", 90, 100, &res);
    assert_int_equal(res.level, POLICY_OK);
    assert_int_equal(res.count, 0);
}

static void test_exactly_at_deny(void **state)
{
    struct quota_entry e[] = {E("alice", "/a", 700, 700)};
    struct quota_reply r = reply_of(e, 1);
    struct policy_result res;

    policy_decide(&r, "alice", 90, 100, &res);
    assert_int_equal(res.level, POLICY_DENY);
    assert_int_equal(res.count, 1);
    assert_int_equal(res.items[0].level, POLICY_DENY);
    assert_true(res.items[0].percent == 100.0);

    struct quota_entry below[] = {E("alice", "/a", 699.9, 700)};
    r = reply_of(below, 1);
    policy_decide(&r, "alice", 90, 100, &res);
    assert_int_equal(res.level, POLICY_WARN);
}

static void test_deny_off(void **state)
{
    struct quota_entry e[] = {E("alice", "/a", 1400, 700)};
    struct quota_reply r = reply_of(e, 1);
    struct policy_result res;

    policy_decide(&r, "alice", 90, -1, &res);
    assert_int_equal(res.level, POLICY_WARN);
    assert_int_equal(res.items[0].level, POLICY_WARN);
    assert_true(res.items[0].percent == 200.0);
}

static void test_deny_zero_refuses_everyone_limited(void **state)
{
    /* deny = 0 is a real (if odd) setting, unlike -1. */
    struct quota_entry e[] = {E("alice", "/a", 0, 700)};
    struct quota_reply r = reply_of(e, 1);
    struct policy_result res;

    policy_decide(&r, "alice", 90, 0, &res);
    assert_int_equal(res.level, POLICY_DENY);
}

static void test_warn_zero_lists_every_limited_entry(void **state)
{
    struct quota_entry e[] = {E("alice", "/a", 0, 700), E("alice", "/nolimit", 3, 0),
                              E("bob", "/b", 1, 700), E("alice", "/c", 10, 100)};
    struct quota_reply r = reply_of(e, 4);
    struct policy_result res;

    policy_decide(&r, "alice", 0, 100, &res);
    assert_int_equal(res.level, POLICY_WARN);
    assert_int_equal(res.count, 2);
    assert_ptr_equal(res.items[0].entry, &e[0]);
    assert_ptr_equal(res.items[1].entry, &e[3]);
    assert_true(res.items[0].percent == 0.0);
    assert_true(res.items[1].percent == 10.0);
    assert_ptr_equal(res.worst, &res.items[1]);
    assert_true(res.max_percent == 10.0);
}

static void test_over_100_percent(void **state)
{
    struct quota_entry e[] = {E("bob", "/home/bob", 735, 700)};
    struct quota_reply r = reply_of(e, 1);
    struct policy_result res;

    policy_decide(&r, "bob", 90, 100, &res);
    assert_int_equal(res.level, POLICY_DENY);
    assert_true(res.items[0].percent == 105.0);
    assert_true(res.max_percent == 105.0);
}

static void test_multiple_entries_worst_and_order(void **state)
{
    struct quota_entry e[] = {
        E("alice", "/home/alice", 651, 700),    /* 93 */
        E("alice", "/work/alice", 50, 100),     /* 50: listed nowhere */
        E("alice", "/public/alice", 980, 1000), /* 98 */
        E("alice", "/data/alice", 91, 100),     /* 91 */
        E("alice", "/tie/alice", 98, 100),      /* 98: tie, first stays worst */
    };
    struct quota_reply r = reply_of(e, 5);
    struct policy_result res;

    policy_decide(&r, "alice", 90, 100, &res);
    assert_int_equal(res.level, POLICY_WARN);
    assert_int_equal(res.count, 4);
    assert_ptr_equal(res.items[0].entry, &e[0]);
    assert_ptr_equal(res.items[1].entry, &e[2]);
    assert_ptr_equal(res.items[2].entry, &e[3]);
    assert_ptr_equal(res.items[3].entry, &e[4]);
    assert_ptr_equal(res.worst, &res.items[1]);
    assert_true(res.worst->percent == 98.0);
    assert_true(res.max_percent == 98.0);
}

static void test_mixed_deny_and_warn(void **state)
{
    struct quota_entry e[] = {
        E("alice", "/a", 92, 100),  /* warn */
        E("alice", "/b", 105, 100), /* deny */
        E("alice", "/c", 10, 100),  /* ok */
    };
    struct quota_reply r = reply_of(e, 3);
    struct policy_result res;

    policy_decide(&r, "alice", 90, 100, &res);
    assert_int_equal(res.level, POLICY_DENY);
    assert_int_equal(res.count, 2);
    assert_int_equal(res.items[0].level, POLICY_WARN);
    assert_int_equal(res.items[1].level, POLICY_DENY);
    assert_ptr_equal(res.worst->entry, &e[1]);
}

static void test_deny_below_warn_still_listed(void **state)
{
    /* An admin may set deny under warn; the denied entry must still be listed. */
    struct quota_entry e[] = {E("alice", "/a", 85, 100)};
    struct quota_reply r = reply_of(e, 1);
    struct policy_result res;

    policy_decide(&r, "alice", 90, 80, &res);
    assert_int_equal(res.level, POLICY_DENY);
    assert_int_equal(res.count, 1);
    assert_int_equal(res.items[0].level, POLICY_DENY);
}

static void test_max_percent_counts_entries_below_warn(void **state)
{
    struct quota_entry e[] = {E("alice", "/a", 20, 100), E("alice", "/b", 45, 100)};
    struct quota_reply r = reply_of(e, 2);
    struct policy_result res;

    policy_decide(&r, "alice", 90, 100, &res);
    assert_int_equal(res.count, 0);
    assert_true(res.max_percent == 45.0);
}

/* warn_days: an entry full within it at the recent rate is listed as a warning below warn
 * (early); further away, or warn_days 0, it is not; over deny it stays a refusal, and a
 * trend never makes one. Trends of listed entries ride along (full_in_days). */
static void test_trend_warns_early_never_refuses(void **state)
{
    struct quota_entry e[] = {E("alice", "/home/alice", 100, 700), E("bob", "/home/bob", 1, 700),
                              E("alice", "/work/alice", 95, 100), E("alice", "/x/alice", 1, 100)};
    struct quota_reply r = reply_of(e, 4);
    const long days[] = {12, 1, 30, 0};
    struct policy_result res;

    policy_decide_trend(&r, "alice", 90, 100, days, 14, &res);
    assert_int_equal(res.level, POLICY_WARN);
    assert_true(res.early);
    assert_int_equal(res.count, 2);
    assert_string_equal(res.items[0].entry->path, "/home/alice");
    assert_int_equal(res.items[0].level, POLICY_WARN);
    assert_int_equal(res.items[0].full_in_days, 12);
    assert_string_equal(res.items[1].entry->path, "/work/alice");
    assert_int_equal(res.items[1].full_in_days, 30);
    assert_ptr_equal(res.worst, &res.items[1]); /* still the highest percent */

    policy_decide_trend(&r, "alice", 90, 100, days, 11, &res);
    assert_false(res.early);
    assert_int_equal(res.count, 1);
    policy_decide_trend(&r, "alice", 90, 100, days, 0, &res);
    assert_false(res.early);
    assert_int_equal(res.count, 1);
    policy_decide_trend(&r, "alice", 90, 100, NULL, 14, &res);
    assert_false(res.early);

    /* deny = 50: /work/alice (95%) is refused by its percent; /home/alice (14%), full in
     * 12 days, stays a warning: a trend never refuses. */
    policy_decide_trend(&r, "alice", 90, 50, days, 365, &res);
    assert_int_equal(res.level, POLICY_DENY);
    assert_int_equal(res.items[0].level, POLICY_WARN);
    assert_int_equal(res.items[1].level, POLICY_DENY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_entry_below_warn),
        cmocka_unit_test(test_other_user_ignored),
        cmocka_unit_test(test_no_limit_ignored),
        cmocka_unit_test(test_no_entries_and_null_reply),
        cmocka_unit_test(test_exactly_at_warn),
        cmocka_unit_test(test_exactly_at_deny),
        cmocka_unit_test(test_deny_off),
        cmocka_unit_test(test_deny_zero_refuses_everyone_limited),
        cmocka_unit_test(test_warn_zero_lists_every_limited_entry),
        cmocka_unit_test(test_over_100_percent),
        cmocka_unit_test(test_multiple_entries_worst_and_order),
        cmocka_unit_test(test_mixed_deny_and_warn),
        cmocka_unit_test(test_deny_below_warn_still_listed),
        cmocka_unit_test(test_max_percent_counts_entries_below_warn),
        cmocka_unit_test(test_trend_warns_early_never_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
