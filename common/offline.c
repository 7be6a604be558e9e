/* The offline state is one cache entry under a key no user can have (':' is not allowed in
 * user names): it gets the cache's atomic writes and root-only checks for free. Its
 * fetched_at is the latest failure; its body is
 *
 *     scnet-offline 2
 *     since <Unix seconds>
 *     endpoint <64 hex>
 *     cause <one line of text>
 *
 * (each line ends in '\n', nothing follows). */
#include "offline.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cache.h"
#include "deadline.h"
#include "sha256.h"
#include "strbuf.h"
#include "text.h"

#define OFFLINE_KEY "offline:api"
#define OFFLINE_PROBE_KEY "offline:probe"
#define OFFLINE_MAGIC "scnet-offline 2\n"

bool offline_failure_is_service(enum http_result result)
{
    switch (result) {
    case HTTP_CONNECT:
    case HTTP_TLS:
    case HTTP_TIMEOUT:
        return true;
    default:
        /* HTTP_OK is an answer, whatever its status: the service is there. A user whose
         * account makes the API fail (500) must not be a switch for everyone's logins. */
        return false;
    }
}

/* One field of the endpoint: its length first, so that no two endpoints hash alike. */
static void hash_field(struct sha256_ctx *ctx, const char *value)
{
    char len[24];
    int n = snprintf(len, sizeof(len), "%zu:", value ? strlen(value) + 1 : 0);

    sha256_update(ctx, len, (size_t)n);
    if (value)
        sha256_update(ctx, value, strlen(value));
}

void offline_endpoint(const struct scnet_config *cfg, char *out)
{
    struct sha256_ctx ctx;
    unsigned char digest[SHA256_DIGEST_LEN];
    char stamp[128] = "none";
    struct stat st;

    /* Fixing the CA bundle in place (same path) is a new endpoint too. */
    if (cfg->cafile && stat(cfg->cafile, &st) == 0)
        snprintf(stamp, sizeof(stamp), "%ju:%ju:%jd.%09ld:%jd", (uintmax_t)st.st_dev,
                 (uintmax_t)st.st_ino, (intmax_t)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec,
                 (intmax_t)st.st_size);
    sha256_init(&ctx);
    hash_field(&ctx, cfg->url);
    hash_field(&ctx, cfg->proxy);
    hash_field(&ctx, cfg->cafile);
    hash_field(&ctx, stamp);
    sha256_final(&ctx, digest);
    hex_lower_encode(digest, sizeof(digest), out);
}

/* "<label> <rest of the line>\n" at *p: the rest (NUL-terminated in place of the '\n'). */
static char *take_line(char **p, const char *label)
{
    size_t n = strlen(label);
    char *line = *p, *nl;

    if (strncmp(line, label, n) != 0 || line[n] != ' ')
        return NULL;
    nl = strchr(line + n + 1, '\n');
    if (!nl)
        return NULL;
    *nl = '\0';
    *p = nl + 1;
    return line + n + 1;
}

/* Parse body into state; false when it is not a state this version wrote. */
static bool parse_state(char *body, int64_t fetched_at, struct offline_state *state, char *endpoint,
                        size_t endpoint_len)
{
    char *p = body, *since, *ep, *cause, *end = NULL;
    long long v;

    if (strncmp(p, OFFLINE_MAGIC, strlen(OFFLINE_MAGIC)) != 0)
        return false;
    p += strlen(OFFLINE_MAGIC);
    since = take_line(&p, "since");
    ep = since ? take_line(&p, "endpoint") : NULL;
    cause = ep ? take_line(&p, "cause") : NULL;
    if (!cause || *p != '\0' || strlen(ep) + 1 != endpoint_len)
        return false;
    v = strtoll(since, &end, 10);
    if (end == since || *end != '\0' || v < 0 || v > fetched_at)
        return false;
    state->since = (int64_t)v;
    state->checked_at = fetched_at;
    snprintf(state->cause, sizeof(state->cause), "%s", cause);
    memcpy(endpoint, ep, endpoint_len);
    return true;
}

void offline_state_read(int dirfd, uid_t owner, const char *endpoint, struct offline_state *state,
                        char *err, size_t errlen)
{
    struct cache_entry entry;
    char recorded[OFFLINE_ENDPOINT_LEN];

    memset(state, 0, sizeof(*state));
    if (!cache_read(dirfd, OFFLINE_KEY, owner, &entry, err, errlen)) {
        state->leftover = err[0] != '\0';
        return;
    }
    if (strlen(entry.body) != entry.len ||
        !parse_state(entry.body, entry.fetched_at, state, recorded, sizeof(recorded))) {
        memset(state, 0, sizeof(*state));
        state->leftover = true;
        snprintf(err, errlen, "offline state: bad content");
    } else if (endpoint && strcmp(endpoint, recorded) != 0) {
        /* Recorded for a url or CA that is no longer configured: nothing to do with now. */
        memset(state, 0, sizeof(*state));
        state->leftover = true;
    } else {
        state->offline = true;
    }
    cache_entry_free(&entry);
}

bool offline_state_record(int dirfd, const char *endpoint, const struct offline_state *prev,
                          int64_t now, const char *cause, char *err, size_t errlen)
{
    struct strbuf body = {0};
    int64_t since = prev && prev->offline && prev->since <= now ? prev->since : now;
    /* One line, no control characters: it reaches syslog and the admin's terminal. */
    char *line = text_sanitize(cause && *cause ? cause : "unknown", OFFLINE_CAUSE_MAX - 1);
    bool ok = false;

    if (!line) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    strbuf_printf(&body, OFFLINE_MAGIC "since %" PRId64 "\nendpoint %s\ncause %s\n", since,
                  endpoint, line);
    if (body.failed)
        snprintf(err, errlen, "out of memory");
    else
        ok = cache_write(dirfd, OFFLINE_KEY, body.data, body.len, now, err, errlen);
    strbuf_free(&body);
    free(line);
    return ok;
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

int offline_probe_lock(int dirfd, uid_t owner, long lease_ms, bool *expired)
{
    char err[256];

    /* A wait already over: one try, never a wait. */
    return cache_lease(dirfd, OFFLINE_PROBE_KEY, owner, lease_ms, monotonic_ms(), expired, err,
                       sizeof(err));
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
    snprintf(buf, buflen, "API offline since %s: %s (retry in %lds)", when,
             state->cause[0] ? state->cause : "cause unknown",
             offline_retry_in(state, offline_retry, now));
}
