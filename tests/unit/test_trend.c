/* Unit tests for common/trend.c: when a path is full at the recent rate, and the history of
 * earlier answers kept bounded and spread out. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "trend.h"

#define DAY 86400
#define T0 1700000000

/* Daily figures from `days` days ago to now (usage[days] is now). */
static long daily(const double *usage, size_t days, double threshold)
{
    int64_t at[16];

    for (size_t i = 0; i <= days; i++)
        at[i] = T0 - (int64_t)(days - i) * DAY;
    return trend_full_in_days(at, usage, days + 1, threshold);
}

/* A week of growth, 10 GB a day, 40 GB left: full in 4 days; rounded to the nearest day. */
static void test_a_week_of_growth(void **state)
{
    const double growing[] = {600, 610, 620, 630, 640, 650, 660};
    const double half[] = {605, 615, 625, 635, 645, 655, 655};

    (void)state;
    assert_int_equal(daily(growing, 6, 700), 4);
    /* 45 GB left at 10 GB a day: 4.5 days, "about 5". */
    assert_int_equal(daily(growing, 6, 705), 5);
    /* Fewer than 1 day away is still "about 1 day". */
    assert_int_equal(daily(growing, 6, 661), 1);
    /* Not a straight line (no growth on the last day): the least-squares slope, 8.93 GB a
     * day, 45 GB left: 5.04 days. */
    assert_int_equal(daily(half, 6, 700), 5);
}

/* The least-squares slope, not first-to-last: one odd first answer (a temporary file on the
 * day the history starts) would make first-to-last say 30 days; every point says 11. */
static void test_least_squares_not_first_to_last(void **state)
{
    const double odd_start[] = {640, 600, 610, 620, 630, 640, 650};

    (void)state;
    assert_int_equal(daily(odd_start, 6, 700), 11);
}

static void test_shrinking_or_flat_says_nothing(void **state)
{
    const double shrinking[] = {660, 650, 640, 630, 620, 610, 600};
    const double flat[] = {650, 650, 650, 650, 650, 650, 650};
    const double cleaned_up[] = {600, 620, 640, 660, 680, 500, 500};

    (void)state;
    assert_int_equal(daily(shrinking, 6, 700), -1);
    assert_int_equal(daily(flat, 6, 700), -1);
    assert_int_equal(daily(cleaned_up, 6, 700), -1);
}

/* At least a day between the oldest known point and the newest. */
static void test_less_than_a_day_says_nothing(void **state)
{
    int64_t at[] = {T0 - DAY + 1, T0 - 3600, T0};
    double usage[] = {600, 640, 650};

    (void)state;
    assert_int_equal(trend_full_in_days(at, usage, 3, 700), -1);
    at[0] = T0 - DAY;
    assert_int_equal(trend_full_in_days(at, usage, 3, 700), 1);
    /* One point alone says nothing. */
    assert_int_equal(trend_full_in_days(at + 2, usage + 2, 1, 700), -1);
}

/* Unknown figures (a path not in that answer) are skipped: the span is the known points'. */
static void test_unknown_points_are_skipped(void **state)
{
    int64_t at[] = {T0 - 6 * DAY, T0 - 3 * DAY, T0 - 12 * 3600, T0};
    double usage[] = {NAN, NAN, 640, 650};

    (void)state;
    assert_int_equal(trend_full_in_days(at, usage, 4, 700), -1);
    usage[1] = 620;
    /* 620 three days ago, 640 12 h ago, 650 now: 9.35 GB a day, 50 GB left: 5.3 days. */
    assert_int_equal(trend_full_in_days(at, usage, 4, 700), 5);
    usage[3] = NAN; /* the newest figure unknown: nothing */
    assert_int_equal(trend_full_in_days(at, usage, 4, 700), -1);
}

static void test_full_or_far_or_no_limit_says_nothing(void **state)
{
    const double growing[] = {600, 610, 620, 630, 640, 650, 660};
    const double slow[] = {600, 600.1, 600.2, 600.3, 600.4, 600.5, 600.6};

    (void)state;
    assert_int_equal(daily(growing, 6, 660), -1); /* full now: the banner says so */
    assert_int_equal(daily(growing, 6, 650), -1);
    assert_int_equal(daily(growing, 6, 0), -1);
    /* 0.1 GB a day, 99.4 GB left: 994 days, past TREND_MAX_DAYS. */
    assert_int_equal(daily(slow, 6, 700), -1);
    assert_int_equal(daily(slow, 6, 636), 354);
}

static void assert_spaced_and_bounded(const struct trend_point *p, size_t n, int64_t now)
{
    assert_true(n <= TREND_MAX_POINTS);
    for (size_t i = 0; i < n; i++) {
        assert_true(p[i].at < now);
        assert_true(now - p[i].at <= TREND_MAX_AGE_S);
        if (i > 0)
            assert_true(p[i].at - p[i - 1].at >= TREND_MIN_SPACING_S);
    }
}

/* Answers every 5 minutes for 9 days (a busy user, the refresh timer): at every step the
 * history is at most 8 points, at least an hour apart, none older than a week; and it keeps
 * reaching back more than a day (otherwise a busy user would never see a trend). */
static void test_history_bounded_spaced_and_spread(void **state)
{
    struct trend_point p[TREND_MAX_POINTS + 1], prev;
    size_t n = 0;

    (void)state;
    memset(&prev, 0, sizeof(prev));
    prev.at = T0;
    for (int64_t now = T0 + 300; now <= T0 + 9 * DAY; now += 300) {
        trend_keep(p, &n, &prev, now);
        assert_spaced_and_bounded(p, n, now);
        if (now >= T0 + 2 * DAY)
            assert_true(now - p[0].at > DAY);
        prev.at = now;
    }
    assert_int_equal(n, TREND_MAX_POINTS);
    /* After 9 days the oldest kept is nearly a week old: the week is covered. */
    assert_true(T0 + 9 * DAY - p[0].at > 5 * DAY);
}

/* Within an hour of the newest kept point an answer is dropped and the older point stays;
 * points older than a week go; an answer not older than the new one is not kept. */
static void test_spacing_and_age(void **state)
{
    struct trend_point p[TREND_MAX_POINTS + 1], c;
    size_t n = 0;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.at = T0;
    c.usage[0] = 1;
    trend_keep(p, &n, &c, T0 + 600);
    assert_int_equal(n, 1);
    c.at = T0 + 600;
    c.usage[0] = 2;
    trend_keep(p, &n, &c, T0 + 1200);
    assert_int_equal(n, 1);
    assert_int_equal(p[0].at, T0);
    assert_true(p[0].usage[0] == 1);
    c.at = T0 + 3600;
    trend_keep(p, &n, &c, T0 + 4000);
    assert_int_equal(n, 2);
    assert_int_equal(p[1].at, T0 + 3600);
    c.at = T0 + 5000;
    trend_keep(p, &n, &c, T0 + 5000);
    assert_int_equal(n, 2);
    /* The clock set back before the newest kept point: it goes. */
    trend_keep(p, &n, NULL, T0 + 3600);
    assert_int_equal(n, 1);
    assert_int_equal(p[0].at, T0);
    c.at = T0 + 3600;
    trend_keep(p, &n, &c, T0 + 4000);
    assert_int_equal(n, 2);
    /* A week and a second after the first point: it goes. */
    trend_keep(p, &n, NULL, T0 + TREND_MAX_AGE_S + 1);
    assert_int_equal(n, 1);
    assert_int_equal(p[0].at, T0 + 3600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_week_of_growth),
        cmocka_unit_test(test_least_squares_not_first_to_last),
        cmocka_unit_test(test_shrinking_or_flat_says_nothing),
        cmocka_unit_test(test_less_than_a_day_says_nothing),
        cmocka_unit_test(test_unknown_points_are_skipped),
        cmocka_unit_test(test_full_or_far_or_no_limit_says_nothing),
        cmocka_unit_test(test_history_bounded_spaced_and_spread),
        cmocka_unit_test(test_spacing_and_age),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
