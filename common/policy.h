/* Turning quota entries into a decision. */
#ifndef SCNET_POLICY_H
#define SCNET_POLICY_H

#include <stdbool.h>

#include "quota_reply.h"

enum policy_level { POLICY_OK, POLICY_WARN, POLICY_DENY };

struct policy_item {
    const struct quota_entry *entry; /* points into the reply */
    double percent;                  /* usage / threshold * 100 */
    enum policy_level level;
    long full_in_days; /* > 0: full in about this many days at the recent rate (the trend) */
};

struct policy_result {
    enum policy_level level;                     /* the highest level among items */
    struct policy_item items[QUOTA_MAX_ENTRIES]; /* entries at or above warn, reply order */
    size_t count;
    const struct policy_item *worst; /* highest percent among items, NULL when none */
    double max_percent;              /* highest percent over all limited entries of the user,
                                        -1 when the user has none */
    bool early; /* a listed entry is full within warn_days at the recent rate: a warning */
};

/* Decide for user: entries of other users and entries without a limit are ignored; an entry
 * at or above deny (when deny >= 0) is POLICY_DENY, at or above warn is POLICY_WARN. */
void policy_decide(const struct quota_reply *reply, const char *user, double warn, double deny,
                   struct policy_result *result);

/* policy_decide, with the trend: full_in_days[i] (QUOTA_MAX_ENTRIES of them, > 0, or NULL
 * for none) is when entry i of reply is full at the recent rate; an entry full within warn_days (>
 * 0) is listed at POLICY_WARN even below warn and sets result->early. A trend never makes
 * POLICY_DENY. */
void policy_decide_trend(const struct quota_reply *reply, const char *user, double warn,
                         double deny, const long *full_in_days, long warn_days,
                         struct policy_result *result);

#endif
