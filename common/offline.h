/* Offline mode: once the API failed for a reason about the service (not the user), the node
 * remembers "API offline since T" in the cache directory, and for offline_retry seconds
 * logins answer from the cache or through `fail` without trying the network; one login per
 * window probes the API. */
#ifndef SCNET_OFFLINE_H
#define SCNET_OFFLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "http.h"

struct offline_state {
    bool offline;
    int64_t since;      /* wall-clock seconds of the first failure in a row */
    int64_t checked_at; /* wall-clock seconds of the latest failure: the window starts there */
};

/* Whether a request that ended with result (and HTTP status, when result is HTTP_OK) says the
 * service is unreachable or broken: connect/DNS, TLS, timeout, HTTP 5xx. */
bool offline_failure_is_service(enum http_result result, long status);

/* Read the node's state from the cache directory; a missing or unusable file means online
 * (then err says why it was unusable, or is empty). */
void offline_state_read(int dirfd, uid_t owner, struct offline_state *state, char *err,
                        size_t errlen);

/* Record a service failure seen at now; prev (may be NULL) keeps the "since" of an outage
 * already known. Written atomically, root-only, like cache entries. */
bool offline_state_record(int dirfd, const struct offline_state *prev, int64_t now, char *err,
                          size_t errlen);

/* Forget the state: the API answered. A missing file is fine. */
bool offline_state_clear(int dirfd, char *err, size_t errlen);

/* Seconds left before the next probe is due (0 when it is due now or the node is online). */
long offline_retry_in(const struct offline_state *state, long offline_retry, int64_t now);

/* Take the probe lock without waiting: the lock descriptor (release with cache_unlock), or
 * -1 when another process is probing (or the lock cannot be had). */
int offline_probe_lock(int dirfd, uid_t owner);

/* "API offline since 2026-11-30T04:50:12Z (retry in 25s)" into buf. */
void offline_describe(const struct offline_state *state, long offline_retry, int64_t now, char *buf,
                      size_t buflen);

/* The ISO 8601 UTC form of t into buf (at least 21 bytes). */
void offline_iso_time(int64_t t, char *buf, size_t buflen);

#endif
