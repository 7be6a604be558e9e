/* The trend of a user's usage: a few earlier answers, kept in the user's record, and when a
 * path will be full at the rate it grew over them. */
#ifndef SCNET_TREND_H
#define SCNET_TREND_H

#include <stddef.h>
#include <stdint.h>

#include "quota_reply.h"

#define TREND_MAX_POINTS 8          /* earlier answers kept */
#define TREND_MIN_SPACING_S 3600    /* at least this far apart */
#define TREND_MAX_AGE_S (7 * 86400) /* "recent": older answers are dropped */
#define TREND_MIN_SPAN_S 86400      /* a rate needs at least a day of history */
#define TREND_MAX_DAYS 365          /* farther away than that says nothing useful */

struct trend_point {
    int64_t at;                      /* when the API gave these figures (Unix seconds) */
    double usage[QUOTA_MAX_ENTRIES]; /* GB, per column (the record's entries); NaN: unknown */
};

/* Keep candidate (the answer a new one at `now` replaces) in the history points[0..*n),
 * oldest first (room for TREND_MAX_POINTS + 1), at most TREND_MAX_POINTS after: it is added only
 * when it is newer than the newest kept point by TREND_MIN_SPACING_S or more (otherwise it is
 * dropped and the older point stays, so the history keeps reaching back however often answers
 * come); points older than TREND_MAX_AGE_S before now, or not before it, are dropped; past
 * TREND_MAX_POINTS, the point whose removal leaves the smallest gap goes (the oldest stays), so the
 * points stay spread over the week rather than bunched in its last hours. */
void trend_keep(struct trend_point *points, size_t *n, const struct trend_point *candidate,
                int64_t now);

/* Days until usage reaches threshold at the rate of the series (at[i], usage[i]), n points
 * oldest first, the last being the newest answer: about that many days, at least 1; -1 when
 * nothing should be said: fewer than two known points (NaN is unknown), less than
 * TREND_MIN_SPAN_S between the oldest known point and the newest, a newest point that is
 * unknown or already at or over threshold, no threshold, a rate that is not growing, or
 * more than TREND_MAX_DAYS away. */
long trend_full_in_days(const int64_t *at, const double *usage, size_t n, double threshold);

#endif
