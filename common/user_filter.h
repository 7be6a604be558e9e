/* Which users are never checked. */
#ifndef SCNET_USER_FILTER_H
#define SCNET_USER_FILTER_H

#include "config.h"

enum skip_reason {
    SKIP_NONE,
    SKIP_ROOT,
    SKIP_LOW_UID,
    SKIP_USER_LIST,
    SKIP_GROUP_LIST,
    SKIP_UNKNOWN_USER,
};

/* Why user is not to be checked under cfg, or SKIP_NONE. */
enum skip_reason user_filter_check(const struct scnet_config *cfg, const char *user);

/* A short word for logs: "root", "min_uid", "skip_users", "skip_groups", "unknown_user". */
const char *skip_reason_name(enum skip_reason reason);

#endif
