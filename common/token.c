/* Where the token comes from. With auth = token_file it is read at every use. With aksk or
 * password it is obtained from the token service and kept in the cache directory, next to
 * the quota answers, in an entry of its own:
 *
 *     scnet-token 1
 *     expires <Unix seconds>
 *     source jwt|ttl
 *     credentials <dev>:<inode>:<mtime seconds>.<nanoseconds>:<size> | none
 *     after_rejection <Unix seconds, 0 = fetched in the normal course>
 *     token <token>
 *
 * (each line ends in '\n', nothing follows). The credentials stamp makes an edit of the
 * credentials file take effect at the next login without reading the secrets on every
 * login; after_rejection stops a token that the API keeps refusing (an account without the
 * permission to read quotas) from turning every login into a token request. */
#include "token.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "answer_text.h"
#include "cache.h"
#include "compat.h"
#include "credentials.h"
#include "deadline.h"
#include "safe_file.h"
#include "sha256.h"
#include "strbuf.h"
#include "token_service.h"

#define TOKEN_FILE_MAX 16384
#define TOKEN_CACHE_MAGIC "scnet-token 1\n"
/* Keys above this are replaced by a digest; the cache's own limit is higher. */
#define TOKEN_KEY_READABLE_MAX 512
/* A token the API refused although it was obtained to replace a refused one is not replaced
 * again before this many seconds: the account, not the token, is the problem then. */
#define TOKEN_REJECTION_HOLDOFF 60
/* An expireTime further ahead than this is not believed (token_ttl applies instead). */
#define TOKEN_EXPIRE_MAX_AHEAD (400L * 86400)
#define STAMP_MAX 128
/* Share of the time left (in percent) that renewing may take when a still-valid token could
 * be used instead, so that the quota request still has time. Waiting for the token lock
 * takes at most DEADLINE_LOCK_WAIT_SHARE, then the login fetches a token of its own. */
#define TOKEN_RENEW_SHARE 50

void token_free(char *token)
{
    if (!token)
        return;
    explicit_bzero(token, strlen(token));
    free(token);
}

bool token_load(const struct scnet_config *cfg, char **token, char *err, size_t errlen)
{
    char *content = NULL;
    size_t len = 0, tok_len;
    bool ok = false;

    *token = NULL;
    if (!safe_file_read(cfg->token_file, SAFE_FILE_SECRET, cfg->owner, TOKEN_FILE_MAX, &content,
                        &len, NULL, err, errlen))
        goto out;
    if (strlen(content) != len) {
        snprintf(err, errlen, "%s: contains a NUL byte", cfg->token_file);
        goto out;
    }
    tok_len = strcspn(content, "\r\n");
    /* Trailing blanks are a copy-paste accident, not part of a token. */
    while (tok_len > 0 && (content[tok_len - 1] == ' ' || content[tok_len - 1] == '\t'))
        tok_len--;
    if (tok_len == 0) {
        snprintf(err, errlen, "%s: first line is empty", cfg->token_file);
        goto out;
    }
    for (size_t i = 0; i < tok_len; i++) {
        unsigned char c = (unsigned char)content[i];
        /* It goes into an HTTP header: anything else would corrupt or split it. */
        if (c < 0x21 || c > 0x7e) {
            snprintf(err, errlen, "%s: token holds a space or non-printable byte", cfg->token_file);
            goto out;
        }
    }
    *token = strndup(content, tok_len);
    if (!*token) {
        snprintf(err, errlen, "%s: out of memory", cfg->token_file);
        goto out;
    }
    ok = true;
out:
    if (content) {
        explicit_bzero(content, len);
        free(content);
    }
    return ok;
}

/* ---- the cached token ---- */

struct cached_token {
    char *token; /* NULL when there is none (or it is unusable) */
    int64_t expires;
    bool from_jwt;
    char stamp[STAMP_MAX];
    int64_t after_rejection;
};

static void cached_token_free(struct cached_token *ct)
{
    token_free(ct->token);
    memset(ct, 0, sizeof(*ct));
}

static const char *auth_name(enum scnet_auth auth)
{
    switch (auth) {
    case SCNET_AUTH_AKSK:
        return "aksk";
    case SCNET_AUTH_PASSWORD:
        return "password";
    case SCNET_AUTH_TOKEN_FILE:
        break;
    }
    return "token_file";
}

/* The cache key: everything that decides which token the service would give. It always
 * holds a '/' (the URL, the path, or "sha256/"), which no user name the quota cache stores
 * can hold, so the two kinds of entry never share a file. */
static char *cache_key(const struct scnet_config *cfg)
{
    struct strbuf sb = {0};

    strbuf_printf(&sb, "token:%s:%s:%s:%s", auth_name(cfg->auth),
                  cfg->auth_url ? cfg->auth_url : (cfg->url ? cfg->url : ""),
                  cfg->cluster ? cfg->cluster : "", cfg->credentials_file);
    if (!sb.failed && sb.len > TOKEN_KEY_READABLE_MAX) {
        unsigned char digest[SHA256_DIGEST_LEN];
        char hex[SHA256_HEX_LEN + 1];

        sha256(sb.data, sb.len, digest);
        hex_lower_encode(digest, sizeof(digest), hex);
        strbuf_free(&sb);
        strbuf_printf(&sb, "token:%s:sha256/%s", auth_name(cfg->auth), hex);
    }
    if (sb.failed) {
        strbuf_free(&sb);
        return NULL;
    }
    return strbuf_take(&sb);
}

/* Which credentials file the token came from, as far as stat tells (no secret is read). */
static void credentials_stamp(const char *path, char *out, size_t outlen)
{
    struct stat st;

    if (lstat(path, &st) != 0) {
        snprintf(out, outlen, "none");
        return;
    }
    snprintf(out, outlen, "%ju:%ju:%jd.%09ld:%jd", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino,
             (intmax_t)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec, (intmax_t)st.st_size);
}

/* Strict "<label> <decimal>\n" at *p; advances *p. */
static bool read_number_line(const char **p, const char *end, const char *label, int64_t *out)
{
    size_t label_len = strlen(label);
    const char *q = *p;
    int64_t v = 0;
    int digits = 0;

    if ((size_t)(end - q) < label_len + 1 || memcmp(q, label, label_len) != 0 ||
        q[label_len] != ' ')
        return false;
    q += label_len + 1;
    while (q < end && *q >= '0' && *q <= '9') {
        if (digits == 18)
            return false;
        v = v * 10 + (*q - '0');
        digits++;
        q++;
    }
    if (digits == 0 || q >= end || *q != '\n')
        return false;
    *out = v;
    *p = q + 1;
    return true;
}

/* "<label> <text>\n" at *p with text of 1..max-1 bytes in 0x21..0x7e; copies it into out. */
static bool read_text_line(const char **p, const char *end, const char *label, char *out,
                           size_t max)
{
    size_t label_len = strlen(label), len;
    const char *q = *p, *nl;

    if ((size_t)(end - q) < label_len + 1 || memcmp(q, label, label_len) != 0 ||
        q[label_len] != ' ')
        return false;
    q += label_len + 1;
    nl = memchr(q, '\n', (size_t)(end - q));
    if (!nl)
        return false;
    len = (size_t)(nl - q);
    if (len == 0 || len >= max)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)q[i] < 0x21 || (unsigned char)q[i] > 0x7e)
            return false;
    memcpy(out, q, len);
    out[len] = '\0';
    *p = nl + 1;
    return true;
}

static bool parse_cached(const char *body, size_t len, struct cached_token *ct)
{
    const char *p = body, *end = body + len;
    char source[8];
    char *token = NULL;
    bool ok = false;

    memset(ct, 0, sizeof(*ct));
    token = malloc(TOKEN_MAX_LEN + 1);
    if (!token)
        return false;
    if ((size_t)(end - p) < strlen(TOKEN_CACHE_MAGIC) ||
        memcmp(p, TOKEN_CACHE_MAGIC, strlen(TOKEN_CACHE_MAGIC)) != 0)
        goto out;
    p += strlen(TOKEN_CACHE_MAGIC);
    if (!read_number_line(&p, end, "expires", &ct->expires) ||
        !read_text_line(&p, end, "source", source, sizeof(source)) ||
        (strcmp(source, "jwt") != 0 && strcmp(source, "ttl") != 0) ||
        !read_text_line(&p, end, "credentials", ct->stamp, sizeof(ct->stamp)) ||
        !read_number_line(&p, end, "after_rejection", &ct->after_rejection) ||
        !read_text_line(&p, end, "token", token, TOKEN_MAX_LEN + 1) || p != end)
        goto out;
    ct->from_jwt = strcmp(source, "jwt") == 0;
    ct->token = strdup(token);
    ok = ct->token != NULL;
out:
    explicit_bzero(token, TOKEN_MAX_LEN + 1);
    free(token);
    if (!ok)
        cached_token_free(ct);
    return ok;
}

/* Read the cached token into ct (ct->token NULL when there is none or it is unusable; an
 * unusable one is logged and will be replaced). */
static void read_cached(int dirfd, const char *key, const struct scnet_config *cfg,
                        const struct scnet_log *log, struct cached_token *ct)
{
    struct cache_entry entry;
    char why[512] = "";

    memset(ct, 0, sizeof(*ct));
    if (!cache_read(dirfd, key, cfg->owner, &entry, why, sizeof(why))) {
        if (why[0])
            scnet_log(log, LOG_WARNING, "token: ignoring the cached token: %s", why);
        return;
    }
    if (!parse_cached(entry.body, entry.len, ct))
        scnet_log(log, LOG_WARNING, "token: ignoring the cached token: corrupt entry");
    cache_entry_free(&entry);
}

static bool write_cached(int dirfd, const char *key, const char *token, int64_t expires,
                         bool from_jwt, const char *stamp, int64_t after_rejection,
                         int64_t fetched_at, char *err, size_t errlen)
{
    struct strbuf sb = {0};
    bool ok;

    strbuf_printf(&sb,
                  TOKEN_CACHE_MAGIC "expires %" PRId64 "\nsource %s\ncredentials %s\n"
                                    "after_rejection %" PRId64 "\ntoken %s\n",
                  expires, from_jwt ? "jwt" : "ttl", stamp, after_rejection, token);
    if (sb.failed) {
        snprintf(err, errlen, "out of memory");
        strbuf_wipe(&sb);
        return false;
    }
    ok = cache_write(dirfd, key, sb.data, sb.len, fetched_at, err, errlen);
    strbuf_wipe(&sb);
    return ok;
}

/* "11h", "42m", "30s": how long is left, for the debug and warning lines. */
static void format_left(int64_t seconds, char *out, size_t outlen)
{
    if (seconds >= 3600)
        snprintf(out, outlen, "%" PRId64 "h%02" PRId64 "m", seconds / 3600, seconds % 3600 / 60);
    else if (seconds >= 60)
        snprintf(out, outlen, "%" PRId64 "m", seconds / 60);
    else
        snprintf(out, outlen, "%" PRId64 "s", seconds > 0 ? seconds : 0);
}

/* When the fresh token expires: its expireTime (read by the helper) when it carries a
 * believable one, otherwise token_ttl from now. */
static int64_t expiry_of(const struct scnet_config *cfg, const struct token_answer *a, int64_t now,
                         const struct scnet_log *log, bool *from_jwt)
{
    int64_t expire_ms = a->expire_ms;

    *from_jwt = false;
    if (!a->has_expire) {
        scnet_debug(log, "token: %s; trusting it for token_ttl = %lds", a->why, cfg->token_ttl);
        return now + cfg->token_ttl;
    }
    if (expire_ms / 1000 <= now || expire_ms / 1000 > now + TOKEN_EXPIRE_MAX_AHEAD) {
        scnet_debug(log, "token: expireTime %" PRId64 " is %s; trusting it for token_ttl = %lds",
                    expire_ms,
                    expire_ms / 1000 <= now ? "already past (clock skew?)" : "too far ahead",
                    cfg->token_ttl);
        return now + cfg->token_ttl;
    }
    *from_jwt = true;
    return expire_ms / 1000;
}

/* Fetch a token: load the credentials (wiped right after), ask the service. */
static bool fetch(const struct scnet_config *cfg, int64_t deadline_ms, const struct scnet_log *log,
                  struct token_answer *answer, char *err, size_t errlen)
{
    struct credentials creds;
    bool ok;

    if (!credentials_load(cfg->credentials_file, cfg->owner, cfg->auth, &creds, err, errlen))
        return false;
    ok = token_service_fetch(cfg, &creds, deadline_ms, log, answer, err, errlen);
    credentials_wipe(&creds);
    return ok;
}

/* Usable without asking the service: from the same credentials, not the one the API
 * refused, and (unless it replaces a refused one, when any unexpired one is newer) with
 * more than token_renew_before left. */
static bool is_fresh(const struct scnet_config *cfg, const struct cached_token *ct,
                     const char *stamp, const char *rejected, int64_t now)
{
    if (!ct->token || strcmp(ct->stamp, stamp) != 0)
        return false;
    if (rejected)
        return strcmp(ct->token, rejected) != 0 && ct->expires > now;
    return ct->expires - now > cfg->token_renew_before;
}

/* Still good enough when the service cannot give a new one: not expired, not refused. */
static bool is_fallback(const struct cached_token *ct, const char *rejected, int64_t now)
{
    return ct->token && ct->expires > now && !(rejected && strcmp(ct->token, rejected) == 0);
}

static bool take(struct cached_token *ct, char **token)
{
    *token = ct->token;
    ct->token = NULL;
    return true;
}

static bool token_from_service(const struct scnet_config *cfg, int64_t deadline_ms,
                               const struct scnet_log *log, const char *rejected, char **token,
                               char *err, size_t errlen)
{
    struct cached_token ct = {0};
    struct token_answer answer = {0};
    char stamp[STAMP_MAX], left[32], why[512] = "";
    char *key = NULL, *fresh = NULL;
    int dirfd = -1, lockfd = -1;
    int64_t now = (int64_t)time(NULL), expires;
    bool ok = false, from_jwt, writer = cache_caller_may_write(cfg->owner);

    credentials_stamp(cfg->credentials_file, stamp, sizeof(stamp));
    key = cache_key(cfg);
    if (!key) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    dirfd = cache_dir_open(cfg->cache_dir, cfg->owner, why, sizeof(why));
    if (dirfd < 0) {
        /* Logins still work; they just each fetch a token until the directory is fixed. */
        scnet_log(log, LOG_WARNING, "token: cannot cache the token: %s", why);
    } else {
        read_cached(dirfd, key, cfg, log, &ct);
        if (is_fresh(cfg, &ct, stamp, rejected, now)) {
            format_left(ct.expires - now, left, sizeof(left));
            scnet_debug(log, "token: cache hit, %s left", left);
            ok = take(&ct, token);
            goto out;
        }
        if (!writer) {
            /* A setuid host (su): its invoker may stop it, so it takes no lock others wait
             * on and caches nothing; a token still valid is good for this login. */
            if (is_fallback(&ct, rejected, now)) {
                format_left(ct.expires - now, left, sizeof(left));
                scnet_debug(log, "token: renewal left to a login of the owner; %s left", left);
                ok = take(&ct, token);
                goto out;
            }
        } else if (is_fallback(&ct, rejected, now)) {
            /* One try: whoever holds the lock is renewing it (or is stopped); the cached
             * token is good for this login either way. */
            lockfd = cache_lease(dirfd, key, cfg->owner, cfg->timeout_ms, monotonic_ms(), NULL, why,
                                 sizeof(why));
            if (lockfd < 0) {
                format_left(ct.expires - now, left, sizeof(left));
                scnet_debug(log,
                            "token: renewal left to the lock holder (%s); using the cached "
                            "token, %s left",
                            why, left);
                ok = take(&ct, token);
                goto out;
            }
        } else {
            /* A third of the budget at most, less once the holder's lease is over: then
             * this login fetches a token of its own. */
            lockfd = cache_lease(dirfd, key, cfg->owner, cfg->timeout_ms,
                                 deadline_share(deadline_ms, DEADLINE_LOCK_WAIT_SHARE), NULL, why,
                                 sizeof(why));
            if (lockfd < 0)
                scnet_debug(log, "token: fetching without the lock (%s)", why);
        }
        if (lockfd >= 0) {
            /* Another login may have fetched one while this one waited for the lock. */
            cached_token_free(&ct);
            read_cached(dirfd, key, cfg, log, &ct);
            now = (int64_t)time(NULL);
            if (is_fresh(cfg, &ct, stamp, rejected, now)) {
                format_left(ct.expires - now, left, sizeof(left));
                scnet_debug(log, "token: another login fetched it, %s left", left);
                ok = take(&ct, token);
                goto out;
            }
        }
        if (rejected && ct.token && strcmp(ct.token, rejected) == 0 &&
            strcmp(ct.stamp, stamp) == 0 && ct.after_rejection > 0 && now >= ct.after_rejection &&
            now - ct.after_rejection < TOKEN_REJECTION_HOLDOFF) {
            snprintf(err, errlen,
                     "the API refused a token obtained %" PRId64 "s ago to replace a refused "
                     "one; not fetching another for %ds (may the credentials' account read "
                     "users' quota?)",
                     now - ct.after_rejection, TOKEN_REJECTION_HOLDOFF);
            goto out;
        }
    }

    if (rejected)
        scnet_debug(log, "token: fetching (%s), the API refused the one it had",
                    auth_name(cfg->auth));
    else if (!ct.token)
        scnet_debug(log, "token: fetching (%s), none cached", auth_name(cfg->auth));
    else if (strcmp(ct.stamp, stamp) != 0)
        scnet_debug(log, "token: fetching (%s), the credentials file changed",
                    auth_name(cfg->auth));
    else {
        format_left(ct.expires - now, left, sizeof(left));
        scnet_debug(log, "token: fetching (%s), %s left", auth_name(cfg->auth), left);
    }
    /* With a token to fall back on, renewal must leave time for the quota request. */
    if (!fetch(cfg,
               is_fallback(&ct, rejected, now) ? deadline_share(deadline_ms, TOKEN_RENEW_SHARE)
                                               : deadline_ms,
               log, &answer, why, sizeof(why))) {
        if (is_fallback(&ct, rejected, now)) {
            format_left(ct.expires - now, left, sizeof(left));
            scnet_log(log, LOG_WARNING,
                      "token: renewal failed (%s); using the cached token, %s left", why, left);
            ok = take(&ct, token);
            goto out;
        }
        snprintf(err, errlen, "%s", why);
        goto out;
    }
    fresh = answer.token;
    answer.token = NULL;
    now = (int64_t)time(NULL);
    expires = expiry_of(cfg, &answer, now, log, &from_jwt);
    format_left(expires - now, left, sizeof(left));
    scnet_debug(log, "token: %s, region %s, %s left (%s)", ct.token ? "renewed" : "obtained",
                answer.region, left, from_jwt ? "expireTime" : "token_ttl");
    if (dirfd >= 0 && writer &&
        !write_cached(dirfd, key, fresh, expires, from_jwt, stamp, rejected ? now : 0, now, why,
                      sizeof(why)))
        scnet_log(log, LOG_WARNING, "token: cannot cache the token: %s", why);
    *token = fresh;
    fresh = NULL;
    ok = true;
out:
    cache_unlock(lockfd);
    if (dirfd >= 0)
        close(dirfd);
    cached_token_free(&ct);
    token_free(fresh);
    free(key);
    if (!ok)
        *token = NULL;
    return ok;
}

bool token_get(const struct scnet_config *cfg, int64_t deadline_ms, const struct scnet_log *log,
               const char *rejected, char **token, char *err, size_t errlen)
{
    *token = NULL;
    if (cfg->auth == SCNET_AUTH_TOKEN_FILE) {
        if (rejected) {
            snprintf(err, errlen,
                     "the API refused the token from %s (auth = token_file cannot renew it)",
                     cfg->token_file);
            return false;
        }
        return token_load(cfg, token, err, errlen);
    }
    return token_from_service(cfg, deadline_ms, log, rejected, token, err, errlen);
}
