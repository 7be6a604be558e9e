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
    SKIP_LOOKUP_FAILED, /* not a skip: NSS failed (EIO, EAGAIN...), an error `fail` decides */
};

/* Why user is not to be checked under cfg, or SKIP_NONE. The account's own name from the
 * lookup (pw_name, which a case-insensitive directory may spell differently from what was
 * typed) goes to canonical (canonlen bytes; NULL: not wanted): it is the name to check,
 * ask the API about and cache under; its uid to *uid (NULL: not wanted), which names the
 * user's record. SKIP_LOOKUP_FAILED when the lookup itself failed
 * rather than finding no such user; err (NULL: not wanted) then says why. "root" is
 * never checked, even when the lookup fails. */
enum skip_reason user_filter_check(const struct scnet_config *cfg, const char *user,
                                   char *canonical, size_t canonlen, uid_t *uid, char *err,
                                   size_t errlen);

/* The account name of uid from NSS into name (namelen bytes), the buffer growing with the
 * entry as in user_filter_check; false when there is none, the lookup failed, or it does not
 * fit. */
bool user_lookup_name(uid_t uid, char *name, size_t namelen);

/* user's uid from NSS, as user_filter_check looks it up (the buffer grows with the entry);
 * false with err saying why ("no such user", or the lookup's error). */
bool user_lookup_uid(const char *user, uid_t *uid, char *err, size_t errlen);

/* A short word for logs: "root", "min_uid", "skip_users", "skip_groups", "unknown_user",
 * "lookup_failed". */
const char *skip_reason_name(enum skip_reason reason);

#endif
