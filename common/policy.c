/* Turning quota entries into a decision. */
#include "policy.h"

#include <string.h>

void policy_decide(const struct quota_reply *reply, const char *user, double warn, double deny,
                   struct policy_result *result)
{
    policy_decide_trend(reply, user, warn, deny, NULL, 0, result);
}

void policy_decide_trend(const struct quota_reply *reply, const char *user, double warn,
                         double deny, const long *full_in_days, long warn_days,
                         struct policy_result *result)
{
    memset(result, 0, sizeof(*result));
    result->level = POLICY_OK;
    result->worst = NULL;
    result->max_percent = -1;
    if (reply == NULL || user == NULL)
        return;

    for (size_t i = 0; i < reply->count && result->count < QUOTA_MAX_ENTRIES; i++) {
        const struct quota_entry *entry = &reply->entries[i];

        /* The API may list other users' paths (group quotas): only the user's own count. */
        if (entry->username == NULL || strcmp(entry->username, user) != 0)
            continue;
        if (!entry->has_limit || !(entry->threshold > 0))
            continue;

        /* usage * 100 / threshold rather than usage / threshold * 100: the same number, but
         * exact when the numbers are whole (203 of 700 is 29, not 28.999999999999996), so
         * "exactly at warn" behaves as an admin expects. */
        double percent = entry->usage * 100.0 / entry->threshold;
        if (percent > result->max_percent)
            result->max_percent = percent;

        long days = full_in_days && i < QUOTA_MAX_ENTRIES ? full_in_days[i] : 0;
        bool early = days > 0 && warn_days > 0 && days <= warn_days;
        enum policy_level level = POLICY_OK;
        if (deny >= 0 && percent >= deny)
            level = POLICY_DENY;
        else if (percent >= warn || early)
            level = POLICY_WARN;
        if (level == POLICY_OK)
            continue;

        struct policy_item *item = &result->items[result->count++];
        item->entry = entry;
        item->percent = percent;
        item->level = level;
        item->full_in_days = days > 0 ? days : 0;
        if (early && level == POLICY_WARN)
            result->early = true;
        if (level > result->level)
            result->level = level;
        /* Strictly greater: on a tie the first in reply order stays the worst. */
        if (result->worst == NULL || percent > result->worst->percent)
            result->worst = item;
    }
}
