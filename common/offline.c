/* The offline state is one cache entry under a key no user can have (':' is not allowed in
 * user names): it gets the cache's atomic writes and root-only checks for free. Its
 * fetched_at is the latest failure; its body is the decimal "since". */
#include "offline.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "deadline.h"

#define OFFLINE_KEY "offline:api"
#define OFFLINE_PROBE_KEY "offline:probe"

bool offline_failure_is_service(enum http_result result, long status)
{
    switch (result) {
    case HTTP_CONNECT:
    case HTTP_TLS:
    case HTTP_TIMEOUT:
        return true;
    case HTTP_OK:
        return status >= 500 && status <= 599;
    default:
        return false;
    }
}

void offline_state_read(int dirfd, uid_t owner, struct offline_state *state, char *err,
                        size_t errlen)
{
    struct cache_entry entry;
    char *end = NULL;
    long long since;

    memset(state, 0, sizeof(*state));
    if (!cache_read(dirfd, OFFLINE_KEY, owner, &entry, err, errlen))
        return;
    since = strtoll(entry.body, &end, 10);
    if (entry.len == 0 || *end != '\0' || since < 0 || since > entry.fetched_at) {
        snprintf(err, errlen, "offline state: bad content");
    } else {
        state->offline = true;
        state->since = (int64_t)since;
        state->checked_at = entry.fetched_at;
    }
    cache_entry_free(&entry);
}

bool offline_state_record(int dirfd, const struct offline_state *prev, int64_t now, char *err,
                          size_t errlen)
{
    char body[32];
    int64_t since = prev && prev->offline && prev->since <= now ? prev->since : now;
    int n = snprintf(body, sizeof(body), "%" PRId64, since);

    return cache_write(dirfd, OFFLINE_KEY, body, (size_t)n, now, err, errlen);
}

bool offline_state_clear(int dirfd, char *err, size_t errlen)
{
    return cache_remove(dirfd, OFFLINE_KEY, false, err, errlen);
}

long offline_retry_in(const struct offline_state *state, long offline_retry, int64_t now)
{
    int64_t left;

    if (!state->offline)
        return 0;
    left = state->checked_at + offline_retry - now;
    return left > 0 ? (long)left : 0;
}

int offline_probe_lock(int dirfd, uid_t owner)
{
    char err[256];

    /* A deadline already reached: one try, never a wait. */
    return cache_lock(dirfd, OFFLINE_PROBE_KEY, owner, monotonic_ms(), err, sizeof(err));
}

void offline_iso_time(int64_t t, char *buf, size_t buflen)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (!gmtime_r(&tt, &tm) || strftime(buf, buflen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, buflen, "%" PRId64, t);
}

void offline_describe(const struct offline_state *state, long offline_retry, int64_t now, char *buf,
                      size_t buflen)
{
    char when[32];

    offline_iso_time(state->since, when, sizeof(when));
    snprintf(buf, buflen, "API offline since %s (retry in %lds)", when,
             offline_retry_in(state, offline_retry, now));
}
