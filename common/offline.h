/* Offline mode: once the API failed for a reason about the service as a whole (not about one
 * user), the node remembers "API offline since T: cause" in the cache directory, and for
 * offline_retry seconds logins answer from the cache or through `fail` without trying the
 * network; one login per window probes the API. The state belongs to the endpoint it was
 * recorded for (url, proxy, cafile): another endpoint finds the node online. */
#ifndef SCNET_OFFLINE_H
#define SCNET_OFFLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "http.h"

#define OFFLINE_ENDPOINT_LEN 65 /* sha256 in hex and a NUL */
#define OFFLINE_CAUSE_MAX 200

struct offline_state {
    bool offline;       /* the endpoint asked about is offline */
    bool leftover;      /* a recorded state that does not apply (another endpoint, unreadable) */
    int64_t since;      /* wall-clock seconds of the first failure in a row */
    int64_t checked_at; /* wall-clock seconds of the latest failure: the window starts there */
    char cause[OFFLINE_CAUSE_MAX]; /* why the latest failure, e.g. "TLS failure: ..." */
};

/* Whether a request that ended with result says the service as a whole is unreachable: name
 * resolution or connect, TLS handshake, timeout. An HTTP answer of any status (5xx included)
 * is about the user it was for, never about the node. */
bool offline_failure_is_service(enum http_result result);

/* The endpoint the state belongs to, as hex into out (OFFLINE_ENDPOINT_LEN bytes): url, proxy,
 * cafile and what stat says of the file, so that a CA bundle fixed in place counts as new. */
void offline_endpoint(const struct scnet_config *cfg, char *out);

/* Read the state recorded for endpoint (NULL: whatever endpoint) from the cache directory; a
 * missing or unusable file, or one for another endpoint, means online (then err says why it
 * was unusable, or is empty, and state->leftover says a file is there). */
void offline_state_read(int dirfd, uid_t owner, const char *endpoint, struct offline_state *state,
                        char *err, size_t errlen);

/* Record a service failure of endpoint seen at now, with its cause; prev (may be NULL) keeps
 * the "since" of an outage already known. Written atomically, root-only, like cache entries.
 * Only a process whose real uid is the owner may call this (cache_caller_may_write). */
bool offline_state_record(int dirfd, const char *endpoint, const struct offline_state *prev,
                          int64_t now, const char *cause, char *err, size_t errlen);

/* Forget the state: the API answered. A missing file is fine. */
bool offline_state_clear(int dirfd, char *err, size_t errlen);

/* Seconds left before the next probe is due (0 when it is due now or the node is online). */
long offline_retry_in(const struct offline_state *state, long offline_retry, int64_t now);

/* Take the probe lock without waiting: the lock descriptor (release with cache_unlock), or -1
 * when another process is probing (or the lock cannot be had). The lock is a lease of
 * lease_ms: *expired (may be NULL) says the holder has had it longer, and the caller may
 * probe without it. */
int offline_probe_lock(int dirfd, uid_t owner, long lease_ms, bool *expired);

/* "API offline since 2026-11-30T04:50:12Z: TLS failure: ... (retry in 25s)" into buf. */
void offline_describe(const struct offline_state *state, long offline_retry, int64_t now, char *buf,
                      size_t buflen);

/* The ISO 8601 UTC form of t into buf (at least 21 bytes). */
void offline_iso_time(int64_t t, char *buf, size_t buflen);

#endif
