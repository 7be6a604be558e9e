/* The trend of a user's usage: a few earlier answers, kept in the user's record, and when a
 * path will be full at the rate it grew over them. */
#include "trend.h"

#include <math.h> /* isfinite: a macro; no libm function (the module links none) */
#include <string.h>

void trend_keep(struct trend_point *points, size_t *n, const struct trend_point *candidate,
                int64_t now)
{
    size_t kept = 0;

    /* Only an answer older than the new one and newer than the history may join it, and
     * only an hour after the newest kept point: many answers within an hour (a refresh
     * every few minutes) would otherwise push the older ones out. */
    if (candidate && candidate->at < now && (*n == 0 || candidate->at > points[*n - 1].at) &&
        (*n == 0 || candidate->at - points[*n - 1].at >= TREND_MIN_SPACING_S) &&
        *n <= TREND_MAX_POINTS)
        points[(*n)++] = *candidate;
    /* Not newer than now either: a clock set back must not leave "earlier" answers that
     * come after the newest. */
    for (size_t i = 0; i < *n; i++)
        if (points[i].at < now && now - points[i].at <= TREND_MAX_AGE_S)
            points[kept++] = points[i];
    *n = kept;
    while (*n > TREND_MAX_POINTS) {
        /* The interior point whose neighbours are closest (the newest answer, at now, is the
         * right neighbour of the last): removing it loses the least. Ties go to the oldest. */
        size_t drop = 1;
        int64_t best = INT64_MAX;
        for (size_t i = 1; i < *n; i++) {
            int64_t right = i + 1 < *n ? points[i + 1].at : now;
            if (right - points[i - 1].at < best) {
                best = right - points[i - 1].at;
                drop = i;
            }
        }
        memmove(&points[drop], &points[drop + 1], (*n - drop - 1) * sizeof(points[0]));
        (*n)--;
    }
}

long trend_full_in_days(const int64_t *at, const double *usage, size_t n, double threshold)
{
    double mean_x = 0, mean_y = 0, sxx = 0, sxy = 0, slope, days;
    size_t known = 0, first = n;

    if (n < 2 || !isfinite(usage[n - 1]) || !(threshold > 0) || usage[n - 1] >= threshold)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(usage[i]))
            continue;
        if (first == n)
            first = i;
        known++;
        /* Days before the newest answer: small numbers, no loss of precision. */
        mean_x += (double)(at[i] - at[n - 1]) / 86400.0;
        mean_y += usage[i];
    }
    if (known < 2 || at[n - 1] - at[first] < TREND_MIN_SPAN_S)
        return -1;
    mean_x /= (double)known;
    mean_y /= (double)known;
    /* The least-squares slope rather than first-to-last: every point counts, so one odd
     * answer (a big temporary file on the day the history starts, a clean-up undone the next
     * hour) moves the rate a little instead of deciding it. */
    for (size_t i = 0; i < n; i++) {
        double x;
        if (!isfinite(usage[i]))
            continue;
        x = (double)(at[i] - at[n - 1]) / 86400.0 - mean_x;
        sxx += x * x;
        sxy += x * (usage[i] - mean_y);
    }
    if (!(sxx > 0))
        return -1;
    slope = sxy / sxx; /* GB per day */
    if (!(slope > 0))
        return -1;
    /* From the newest figure, the one the user sees, not from the fitted line. */
    days = (threshold - usage[n - 1]) / slope;
    if (!(days <= TREND_MAX_DAYS))
        return -1;
    /* Positive here: adding a half and truncating rounds, without libm's floor. */
    return days < 1 ? 1 : (long)(days + 0.5);
}
