/* Turning quota entries into a decision. */
#ifndef SCNET_POLICY_H
#define SCNET_POLICY_H

#include "quota_reply.h"

enum policy_level { POLICY_OK, POLICY_WARN, POLICY_DENY };

struct policy_item {
    const struct quota_entry *entry; /* points into the reply */
    double percent;                  /* usage / threshold * 100 */
    enum policy_level level;
};

struct policy_result {
    enum policy_level level;                     /* the highest level among items */
    struct policy_item items[QUOTA_MAX_ENTRIES]; /* entries at or above warn, reply order */
    size_t count;
    const struct policy_item *worst; /* highest percent among items, NULL when none */
    double max_percent;              /* highest percent over all limited entries of the user,
                                        -1 when the user has none */
};

/* Decide for user: entries of other users and entries without a limit are ignored; an entry
 * at or above deny (when deny >= 0) is POLICY_DENY, at or above warn is POLICY_WARN. */
void policy_decide(const struct quota_reply *reply, const char *user, double warn, double deny,
                   struct policy_result *result);

#endif
