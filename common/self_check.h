/* The pace of `scnet-quota --now`: at most one API request per user per
 * self_check_interval, however many connections ask at once. */
#ifndef SCNET_SELF_CHECK_H
#define SCNET_SELF_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

/* Take uid's pace lock: the file "<uid>.now" in the record folder "<cfg->cache_dir>-users"
 * (user_record_dir_open), cfg->owner's, mode 0600, never a link; waits until deadline_ms
 * (CLOCK_MONOTONIC) at most. *last_at: when the user's last fresh check began (wall-clock
 * Unix seconds; 0 when never). Returns the lock descriptor, or -1 with the reason in err. */
int self_check_lock(const struct scnet_config *cfg, uid_t uid, int64_t deadline_ms,
                    int64_t *last_at, char *err, size_t errlen);

/* Record that a fresh check of the lock's user begins now. False when it cannot be. */
bool self_check_mark(int lockfd);

/* Release the lock (-1 is fine). */
void self_check_unlock(int lockfd);

#endif
