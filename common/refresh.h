/* Background refresh and upkeep of the per-node cache (scnet-quota --refresh, --forget):
 * answers of users who log in here are renewed before they expire, so their logins never
 * wait on the API; users gone for good, and their files, are removed. */
#ifndef SCNET_REFRESH_H
#define SCNET_REFRESH_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "log.h"

/* Connections (helper sessions) one run keeps open at most. */
#define REFRESH_MAX_CONNECTIONS 4

struct refresh_summary {
    size_t due;       /* users seen within refresh_window whose answer was older than cache_ttl/2 */
    size_t refreshed; /* new answer written */
    size_t failed;    /* the API did not give a usable answer */
    size_t skipped;   /* locked by a login, already renewed by one, or not tried (API offline) */
    size_t pruned;    /* entries and lock files of users gone, leftover temporary files */
    long took_ms;
    bool offline; /* the API is offline (known before, or found during the run) */
    char offline_why[320];
};

/* One refresh run under cfg: renew due answers with at most REFRESH_MAX_CONNECTIONS kept-alive
 * connections, one token, refresh_rate requests per second, never waiting for a lock; then
 * prune. Respects and updates the offline state. False (with err) only when the run could not
 * start (cache directory unusable); API failures are in the summary. */
bool refresh_run(const struct scnet_config *cfg, const struct scnet_log *log,
                 struct refresh_summary *sum, char *err, size_t errlen);

/* Drop the cached answers of users[0..count) (all of them when all is set: every user's
 * answer, never the token or the offline state); *dropped says how many went. Writes one log
 * line. False with err when the cache directory cannot be used or a file cannot be removed. */
bool refresh_forget(const struct scnet_config *cfg, const char *const *users, size_t count,
                    bool all, const struct scnet_log *log, size_t *dropped, char *err,
                    size_t errlen);

#endif
