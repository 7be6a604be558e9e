#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "answer_text.h"
#include "cache.h"
#include "deadline.h"
#include "http.h"
#include "offline.h"
#include "strbuf.h"
#include "text.h"
#include "token.h"
#include "url.h"
#include "user_filter.h"
#include "user_record.h"

/* With warn = 0 every login shows the usage; it is worded as a warning from here on. */
#define ALWAYS_SHOW_WARNING_LINE 90.0

const char *decision_name(enum scnet_decision decision)
{
    switch (decision) {
    case DECISION_SKIP:
        return "skip";
    case DECISION_ALLOW:
        return "ok";
    case DECISION_WARN:
        return "warn";
    case DECISION_DENY:
        return "deny";
    case DECISION_DENY_SKIPPED:
        return "deny-skipped";
    case DECISION_ERROR_OPEN:
    case DECISION_ERROR_DENY:
        return "error";
    }
    return "?";
}

static const char *source_name(enum scnet_source source)
{
    switch (source) {
    case SOURCE_API:
        return "api";
    case SOURCE_CACHE:
        return "cache";
    case SOURCE_STALE:
        return "stale";
    case SOURCE_OFFLINE:
        return "offline";
    case SOURCE_NONE:
        break;
    }
    return "none";
}

/* An answer the API did not give for this login: it may warn, never refuse. */
static bool source_is_old(enum scnet_source source)
{
    return source == SOURCE_STALE || source == SOURCE_OFFLINE;
}

void scnet_outcome_free(struct scnet_outcome *out)
{
    free(out->message);
    out->message = NULL;
    quota_reply_free(&out->reply);
    memset(&out->policy, 0, sizeof(out->policy));
}

bool scnet_token_was_refused(long status, const char *body, size_t len)
{
    struct quota_reply reply = {0};
    char why[64];
    bool refused = status == 401;

    if (!refused && status == 200 &&
        answer_text_get_quota(body, len, &reply, why, sizeof(why)) == REPLY_API_ERROR)
        refused = strcmp(reply.code, "10008") == 0 || strcmp(reply.code, "10009") == 0;
    quota_reply_free(&reply);
    return refused;
}

enum http_result scnet_quota_get(const struct scnet_config *cfg, struct http_client *client,
                                 const char *url, const char *token, long timeout_ms,
                                 struct http_response *resp, char *err, size_t errlen)
{
    struct strbuf token_header = {0};
    enum http_result hr = HTTP_FAILED;

    strbuf_printf(&token_header, "token: %s", token);
    if (!token_header.failed) {
        const char *headers[] = {token_header.data, "Content-Type: application/json",
                                 "Accept: application/json", NULL};
        struct http_request req = {
            .method = "GET",
            .url = url,
            .headers = headers,
            .timeout_ms = timeout_ms,
            .cafile = cfg->cafile,
            .proxy = cfg->proxy,
            .helper = cfg->helper,
            .answer = HTTP_ANSWER_QUOTA,
        };
        hr = client ? http_client_perform(client, &req, resp, err, errlen)
                    : http_perform(&req, resp, err, errlen);
    } else {
        snprintf(err, errlen, "out of memory");
    }
    strbuf_wipe(&token_header);
    return hr;
}

/* What the API's side of an exchange showed, for offline mode. */
enum api_contact {
    CONTACT_NONE,     /* no quota request was made (or nothing can be said) */
    CONTACT_ANSWERED, /* the service answered: it is up, whatever it said (5xx included) */
    CONTACT_DOWN,     /* a failure about the service as a whole: connect, TLS, timeout */
};

/* One GET of the quota URL with token; false with the reason in err. *contact says what the
 * exchange showed about the service. */
static bool request_quota(const struct scnet_config *cfg, const char *url, const char *token,
                          int64_t deadline, struct http_response *resp, enum api_contact *contact,
                          char *err, size_t errlen)
{
    char why[256] = "out of memory";
    enum http_result hr =
        scnet_quota_get(cfg, NULL, url, token, deadline_left_ms(deadline), resp, why, sizeof(why));

    if (offline_failure_is_service(hr))
        *contact = CONTACT_DOWN;
    else if (hr == HTTP_OK)
        *contact = CONTACT_ANSWERED;
    if (hr == HTTP_TIMEOUT)
        snprintf(err, errlen, "timeout after %ld ms", cfg->timeout_ms);
    else if (hr != HTTP_OK)
        snprintf(err, errlen, "%s", why);
    return hr == HTTP_OK;
}

/* Ask the API for user's reply: out->reply on success, and the helper's answer text in *body
 * (for the cache; caller frees). A refused token is replaced once and the request retried once.
 * *contact says what the exchange showed about the service (for offline mode). */
static bool fetch_from_api(const struct scnet_config *cfg, const char *user, int64_t deadline,
                           const struct scnet_log *log, struct scnet_outcome *out, char **body,
                           size_t *body_len, enum api_contact *contact)
{
    bool ok = false;
    char *token = NULL, *url = NULL;
    struct http_response resp = {0};
    enum reply_status rs;
    char why[256] = "", renew_err[256] = "";

    *body = NULL;
    *contact = CONTACT_NONE;
    quota_reply_free(&out->reply);
    if (!quota_url_build(cfg->url, user, &url, out->error, sizeof(out->error)))
        goto out;
    if (!token_get(cfg, deadline, log, NULL, &token, out->error, sizeof(out->error)))
        goto out;
    scnet_debug(log, "user=%s step=request url=%s", user, url);
    if (!request_quota(cfg, url, token, deadline, &resp, contact, out->error, sizeof(out->error)))
        goto out;
    if (scnet_token_was_refused(resp.status, resp.body, resp.body_len)) {
        char *fresh = NULL;
        scnet_debug(log, "user=%s step=token-refused status=%ld", user, resp.status);
        /* Without a new token (a token file cannot renew itself) the API's own answer
         * below is the error, with why there is no new one. */
        if (token_get(cfg, deadline, log, token, &fresh, renew_err, sizeof(renew_err))) {
            renew_err[0] = '\0';
            token_free(token);
            token = fresh;
            http_response_free(&resp);
            if (!request_quota(cfg, url, token, deadline, &resp, contact, out->error,
                               sizeof(out->error)))
                goto out;
        }
    }
    scnet_debug(log, "user=%s step=reply status=%ld bytes=%zu", user, resp.status, resp.body_len);
    if (resp.status != 200) {
        /* Which server answered what: a 404 is usually a wrong url. */
        http_status_error(resp.status, url, out->error, sizeof(out->error));
        goto out;
    }
    rs = answer_text_get_quota(resp.body, resp.body_len, &out->reply, why, sizeof(why));
    if (rs == REPLY_MALFORMED) {
        snprintf(out->error, sizeof(out->error), "bad reply: %s", why);
        goto out;
    }
    if (rs == REPLY_API_ERROR) {
        /* The code is server text: it reaches syslog and scnet-quota's terminal. */
        char *code = text_sanitize(out->reply.code, 64);
        snprintf(out->error, sizeof(out->error), "API code %s: %s%s%s", code ? code : "?",
                 api_code_meaning(out->reply.code), renew_err[0] ? "; no new token: " : "",
                 renew_err);
        free(code);
        quota_reply_free(&out->reply);
        goto out;
    }
    out->source = SOURCE_API;
    *body = resp.body;
    *body_len = resp.body_len;
    resp.body = NULL;
    ok = true;
out:
    token_free(token);
    http_response_free(&resp);
    free(url);
    return ok;
}

/* Read a cached answer into out->reply; one that does not read is simply unusable. */
static bool use_cached(const struct cache_entry *entry, enum scnet_source source,
                       struct scnet_outcome *out)
{
    char why[128];

    quota_reply_free(&out->reply);
    if (answer_text_get_quota(entry->body, entry->len, &out->reply, why, sizeof(why)) != REPLY_OK) {
        quota_reply_free(&out->reply);
        return false;
    }
    out->source = source;
    return true;
}

/* Whether the entry was replaced since `before` was read (before may be empty). */
static bool entry_changed(const struct cache_entry *before, const struct cache_entry *after)
{
    return !before->body || before->fetched_at != after->fetched_at || before->len != after->len ||
           memcmp(before->body, after->body, after->len) != 0;
}

/* Whether this answer may refuse a login: only a fresh one may (see DESIGN.md). */
static bool would_deny(const struct scnet_config *cfg, const char *user,
                       const struct quota_reply *reply)
{
    struct policy_result policy;

    policy_decide(reply, user, cfg->warn, cfg->deny, &policy);
    return policy.level == POLICY_DENY;
}

/* Whether an entry may stand in for an answer the API cannot give now. */
static bool usable_when_down(const struct scnet_config *cfg, const struct cache_entry *entry,
                             int64_t now)
{
    return entry->body && cfg->stale_ttl > 0 && now - entry->fetched_at < cfg->stale_ttl;
}

/* Within an offline window: an old answer or nothing, at once. False with out->error saying
 * since when the API is offline. */
static bool answer_offline(const struct scnet_config *cfg, const struct scnet_request *req,
                           const struct offline_state *offline, const struct cache_entry *entry,
                           int64_t now, const struct scnet_log *log, struct scnet_outcome *out)
{
    offline_describe(offline, cfg->offline_retry, now, out->error, sizeof(out->error));
    scnet_debug(log, "user=%s step=offline reason=\"%s\"", req->user, out->error);
    if (!usable_when_down(cfg, entry, now) || !use_cached(entry, SOURCE_OFFLINE, out))
        return false;
    out->stale_age_s = (long)(now - entry->fetched_at);
    return true;
}

/* What the exchange showed about the API goes into the node's offline state, with why it
 * failed (cause). Only a process whose real uid is the owner's gets here. */
static void note_contact(const struct scnet_config *cfg, int dirfd, const char *endpoint,
                         enum api_contact contact, const struct offline_state *offline,
                         const char *cause, const struct scnet_log *log)
{
    char why[256] = "";

    if (cfg->offline_retry <= 0)
        return;
    if (contact == CONTACT_DOWN &&
        !offline_state_record(dirfd, endpoint, offline, time(NULL), cause, why, sizeof(why)))
        scnet_log(log, LOG_WARNING, "cannot record the offline state: %s", why);
    /* Also a state left for another url or CA, or one that cannot be read: it is over. */
    if (contact == CONTACT_ANSWERED && (offline->offline || offline->leftover) &&
        !offline_state_clear(dirfd, why, sizeof(why)))
        scnet_log(log, LOG_WARNING, "cannot clear the offline state: %s", why);
}

/* Get user's reply through the cache: a fresh entry is used unless it would refuse the
 * login; otherwise one login per user asks the API (the others wait a share of their budget
 * on the lock and then read what it wrote); a stale entry stands in when the API cannot
 * answer. While the API is known to be offline, logins do not ask it at all, except one probe
 * per offline_retry. A process whose real uid is not the owner's (a setuid host such as su)
 * reads all that but writes nothing and takes no lock: its invoker may stop it. */
static bool obtain_reply(const struct scnet_config *cfg, const struct scnet_request *req,
                         int64_t deadline, const struct scnet_log *log, struct scnet_outcome *out)
{
    bool ok = false, use_cache = cfg->cache_ttl > 0 && !req->fresh;
    bool keep_entries = cfg->cache_ttl > 0 || cfg->stale_ttl > 0;
    bool writer = cache_caller_may_write(cfg->owner), probe_expired = false;
    long seen_every = cfg->cache_ttl < cfg->refresh_window ? cfg->cache_ttl : cfg->refresh_window;
    int64_t now = time(NULL);
    struct cache_entry entry = {0};
    struct offline_state offline = {0};
    enum api_contact contact = CONTACT_NONE;
    char *body = NULL;
    size_t body_len = 0;
    char why[256] = "", endpoint[OFFLINE_ENDPOINT_LEN] = "";
    int dirfd = -1, lockfd = -1, probefd = -1;

    /* --no-cache in the admin command: what the API says now, nothing else. Offline mode
     * needs the directory too, whatever cache_ttl and stale_ttl say. */
    if (!req->no_cache && (keep_entries || cfg->offline_retry > 0)) {
        dirfd = cache_dir_open(cfg->cache_dir, cfg->owner, why, sizeof(why));
        /* A broken cache must not cost the user their login: go without it, say so. */
        if (dirfd < 0)
            scnet_log(log, LOG_WARNING, "cache disabled: %s", why);
    }
    if (dirfd < 0) {
        ok = fetch_from_api(cfg, req->user, deadline, log, out, &body, &body_len, &contact);
        goto out;
    }
    /* For scnet-quota --refresh: who logs in here, kept up to date at the price of a
     * timestamp, renewed at most once per cache_ttl (and refresh_window, which it serves). */
    if (keep_entries && writer &&
        !cache_mark_seen(dirfd, req->user, cfg->owner, seen_every, why, sizeof(why)))
        scnet_debug(log, "user=%s step=mark-seen reason=\"%s\"", req->user, why);
    if (keep_entries && !cache_read(dirfd, req->user, cfg->owner, &entry, why, sizeof(why))) {
        if (entry.older_format)
            scnet_debug(log, "user=%s step=cache-miss reason=\"cache file of an older format\"",
                        req->user);
        else if (why[0])
            scnet_log(log, LOG_WARNING, "user=%s ignoring cache file: %s", req->user, why);
    }
    if (use_cache && entry.body && now - entry.fetched_at < cfg->cache_ttl &&
        use_cached(&entry, SOURCE_CACHE, out) && !would_deny(cfg, req->user, &out->reply)) {
        out->stale_age_s = (long)(now - entry.fetched_at);
        ok = true;
        goto out;
    }
    if (cfg->offline_retry > 0) {
        offline_endpoint(cfg, endpoint);
        offline_state_read(dirfd, cfg->owner, endpoint, &offline, why, sizeof(why));
        if (why[0])
            scnet_log(log, LOG_WARNING, "ignoring the offline state: %s", why);
        /* Once the window is over, one login probes; the others do not wait for it. Whoever
         * gets the probe lock looks again: a probe may have just failed (new window). A
         * prober that has held the lock past its lease (timeout) is gone: probe without it.
         * A setuid host asks for its own user without the lock and records nothing. */
        if (offline.offline && offline_retry_in(&offline, cfg->offline_retry, now) == 0) {
            if (!writer)
                probe_expired = true;
            else if ((probefd = offline_probe_lock(dirfd, cfg->owner, cfg->timeout_ms,
                                                   &probe_expired)) >= 0)
                offline_state_read(dirfd, cfg->owner, endpoint, &offline, why, sizeof(why));
        }
        if (offline.offline && !probe_expired &&
            (probefd < 0 || offline_retry_in(&offline, cfg->offline_retry, now) > 0)) {
            ok = answer_offline(cfg, req, &offline, &entry, now, log, out);
            goto out;
        }
    }
    if (keep_entries && writer) {
        /* Stamped now, whatever the interval: a holder stamps its lease a moment after it
         * takes the lock, and a login looking in between would read the previous holder's
         * stamp as a lease that is over and ask the API too (two requests in a burst). */
        if (!cache_mark_seen(dirfd, req->user, cfg->owner, 0, why, sizeof(why)))
            scnet_debug(log, "user=%s step=mark-seen reason=\"%s\"", req->user, why);
        /* A third of the budget at most: a holder that is stopped or slow costs this login
         * that share, then it asks the API itself. */
        lockfd =
            cache_lease(dirfd, req->user, cfg->owner, cfg->timeout_ms,
                        deadline_share(deadline, DEADLINE_LOCK_WAIT_SHARE), NULL, why, sizeof(why));
        if (lockfd < 0)
            scnet_debug(log, "user=%s step=no-lock reason=\"%s\"", req->user, why);
    }
    if (lockfd >= 0) {
        /* A login that held the lock before this one has just asked the API: what it wrote
         * is as fresh as a request of our own would be (even with cache_ttl = 0). */
        struct cache_entry now_entry = {0};
        if (cache_read(dirfd, req->user, cfg->owner, &now_entry, why, sizeof(why)) &&
            entry_changed(&entry, &now_entry) && use_cached(&now_entry, SOURCE_CACHE, out)) {
            out->stale_age_s = (long)(time(NULL) - now_entry.fetched_at);
            cache_entry_free(&now_entry);
            ok = true;
            goto out;
        }
        cache_entry_free(&now_entry);
    }
    ok = fetch_from_api(cfg, req->user, deadline, log, out, &body, &body_len, &contact);
    if (ok && keep_entries && writer) {
        int64_t fetched_at = time(NULL);
        if (cache_write(dirfd, req->user, body, body_len, fetched_at, why, sizeof(why)))
            out->stored_at = fetched_at;
        else
            scnet_log(log, LOG_WARNING, "user=%s cannot write cache: %s", req->user, why);
    }
    if (writer)
        note_contact(cfg, dirfd, endpoint, contact, &offline, out->error, log);
    if (!ok && usable_when_down(cfg, &entry, now) && use_cached(&entry, SOURCE_STALE, out)) {
        scnet_debug(log, "user=%s step=stale reason=\"%s\"", req->user, out->error);
        out->stale_age_s = (long)(now - entry.fetched_at);
        ok = true;
    }
out:
    if (!ok)
        quota_reply_free(&out->reply);
    free(body);
    cache_unlock(lockfd);
    cache_unlock(probefd);
    cache_entry_free(&entry);
    if (dirfd >= 0)
        close(dirfd);
    return ok;
}

static void render(const struct scnet_config *cfg, const struct scnet_request *req,
                   enum banner_kind kind, bool is_error, struct scnet_outcome *out)
{
    struct banner_input in = {
        .kind = kind,
        .lang = text_pick_lang(cfg->lang, req->locale),
        .policy = &out->policy,
        .warn = cfg->warn,
        .deny = cfg->deny,
        .contact = cfg->contact,
        .help = cfg->help,
        .tty_scope = cfg->deny_scope == SCNET_DENY_SCOPE_TTY,
        .command_hint = cfg->show_command_hint,
        .stale_age_s = source_is_old(out->source) ? out->stale_age_s : -1,
    };
    out->message = banner_render(&in);
    out->message_is_error = is_error;
}

static void fail_decides(const struct scnet_config *cfg, const struct scnet_request *req,
                         struct scnet_outcome *out)
{
    if (cfg->fail == SCNET_FAIL_CLOSED) {
        out->decision = DECISION_ERROR_DENY;
        render(cfg, req, BANNER_UNCHECKED, true, out);
    } else {
        out->decision = DECISION_ERROR_OPEN;
    }
}

bool scnet_trend_days(const struct scnet_config *cfg, const char *user,
                      const struct scnet_outcome *out, long days[QUOTA_MAX_ENTRIES], bool *missing,
                      char *why, size_t whylen)
{
    struct user_record *rec = calloc(1, sizeof(*rec)); /* off the stack: 4 KiB of history */
    int64_t fetched_at = out->stored_at > 0          ? out->stored_at
                         : out->source == SOURCE_API ? (int64_t)time(NULL)
                                                     : (int64_t)time(NULL) - out->stale_age_s;

    memset(days, 0, QUOTA_MAX_ENTRIES * sizeof(days[0]));
    *missing = false;
    if (!rec) {
        snprintf(why, whylen, "out of memory");
        return false;
    }
    /* By the uid the skip rules looked up: no second NSS lookup (LDAP) on a hit. */
    if (!user_record_read_trusted(cfg, out->uid, rec, missing, why, whylen)) {
        free(rec);
        return false;
    }
    for (size_t i = 0; i < out->reply.count && i < QUOTA_MAX_ENTRIES; i++) {
        const struct quota_entry *e = &out->reply.entries[i];
        if (e->username && strcmp(e->username, user) == 0) {
            long d = user_record_full_in_days_of(rec, e, fetched_at);
            days[i] = d > 0 ? d : 0;
        }
    }
    user_record_free(rec);
    free(rec);
    return true;
}

/* The trend of each of the user's paths: policy decided again with it (warn_days). Reads the
 * record, so only called when it can change something: a warning (its trend lines) or
 * warn_days set. */
static void apply_trend(const struct scnet_config *cfg, const struct scnet_request *req,
                        const struct scnet_log *log, struct scnet_outcome *out)
{
    long days[QUOTA_MAX_ENTRIES];
    char why[512];
    bool missing;

    if (!scnet_trend_days(cfg, req->user, out, days, &missing, why, sizeof(why))) {
        if (!missing)
            scnet_debug(log, "user=%s step=no-trend reason=\"%s\"", req->user, why);
        return;
    }
    policy_decide_trend(&out->reply, req->user, cfg->warn, cfg->deny, days, cfg->warn_days,
                        &out->policy);
}

static void decide(const struct scnet_config *cfg, const struct scnet_request *req,
                   const struct scnet_log *log, struct scnet_outcome *out)
{
    double warning_line = cfg->warn > 0 ? cfg->warn : ALWAYS_SHOW_WARNING_LINE;

    policy_decide(&out->reply, req->user, cfg->warn, cfg->deny, &out->policy);
    /* Only a fresh answer may refuse: an old one over the line is an error for `fail`,
     * shown as a warning when fail = open. */
    if (out->policy.level == POLICY_DENY && source_is_old(out->source) &&
        cfg->fail == SCNET_FAIL_CLOSED) {
        snprintf(out->error, sizeof(out->error),
                 "API unreachable and the cached answer is over deny");
        fail_decides(cfg, req, out);
        return;
    }
    /* deny_scope = tty: scp, sftp and `ssh host cmd` stay open so the user can free space;
     * nothing is shown, as any output would corrupt their byte stream. sshd opens every
     * session before any terminal exists, so the refusal is left for the login-shell gate
     * (packaging/profile.d/), which ends an interactive shell on a terminal. */
    if (out->policy.level == POLICY_DENY && !source_is_old(out->source) &&
        cfg->deny_scope == SCNET_DENY_SCOPE_TTY && req->no_terminal) {
        out->decision = DECISION_DENY_SKIPPED;
        render(cfg, req, BANNER_REFUSED, true, out);
        out->message_for_shell_gate = out->message != NULL;
        return;
    }
    if (out->policy.level == POLICY_DENY && !source_is_old(out->source)) {
        out->decision = DECISION_DENY;
        render(cfg, req, BANNER_REFUSED, true, out);
        return;
    }
    out->decision = out->policy.worst && out->policy.worst->percent >= warning_line
                        ? DECISION_WARN
                        : DECISION_ALLOW;
    /* The trend only adds: lines to a warning, and with warn_days a warning before warn;
     * never a refusal (the level above was decided without it). Users below warn with
     * warn_days = 0 read no record: their login costs what it did. */
    if (out->decision == DECISION_WARN || cfg->warn_days > 0) {
        apply_trend(cfg, req, log, out);
        if (out->policy.early)
            out->decision = DECISION_WARN;
    }
    if (out->policy.count > 0)
        render(cfg, req, BANNER_USAGE, false, out);
}

/* The one syslog line per decision: key=value, values from the server sanitised. */
static void log_decision(const struct scnet_config *cfg, const struct scnet_request *req,
                         const struct scnet_log *log, const struct scnet_outcome *out)
{
    struct strbuf line = {0};
    char *user = text_sanitize(req->user ? req->user : "", 64);
    char number[32];
    int priority = LOG_INFO;

    strbuf_kv(&line, "user", user ? user : "?");
    strbuf_kv(&line, "result", decision_name(out->decision));
    switch (out->decision) {
    case DECISION_SKIP:
        strbuf_kv(&line, "reason", out->error);
        break;
    case DECISION_ERROR_OPEN:
    case DECISION_ERROR_DENY:
        priority = out->decision == DECISION_ERROR_DENY ? LOG_ERR : LOG_WARNING;
        strbuf_kv(&line, "fail", cfg->fail == SCNET_FAIL_CLOSED ? "closed" : "open");
        strbuf_kv(&line, "reason", out->error);
        break;
    default:
        if (out->decision == DECISION_DENY)
            priority = LOG_NOTICE;
        if (out->policy.worst) {
            const struct policy_item *w = out->policy.worst;
            char *path = text_sanitize(w->entry->path, 256);
            snprintf(number, sizeof(number), "%.1f", w->percent);
            strbuf_kv(&line, "percent", number);
            snprintf(number, sizeof(number), "%.1f", w->entry->usage);
            strbuf_kv(&line, "usage", number);
            snprintf(number, sizeof(number), "%.1f", w->entry->threshold);
            strbuf_kv(&line, "threshold", number);
            strbuf_kv(&line, "path", path ? path : "?");
            free(path);
        } else if (out->policy.max_percent >= 0) {
            snprintf(number, sizeof(number), "%.1f", out->policy.max_percent);
            strbuf_kv(&line, "percent", number);
        } else {
            strbuf_kv(&line, "percent", "none");
        }
        strbuf_kv(&line, "source", source_name(out->source));
        /* Why the API was not asked (cache: the answer is this young) or did not answer. */
        if (out->source == SOURCE_CACHE || source_is_old(out->source)) {
            snprintf(number, sizeof(number), "%ld", out->stale_age_s < 0 ? 0 : out->stale_age_s);
            strbuf_kv(&line, "age", number);
        }
        if (source_is_old(out->source))
            strbuf_kv(&line, "reason", out->error);
        if (out->decision == DECISION_DENY_SKIPPED)
            strbuf_kv(&line, "scope", "tty");
        if (out->message_for_shell_gate)
            strbuf_kv(&line, "gate", "shell");
        break;
    }
    snprintf(number, sizeof(number), "%ld", out->elapsed_ms);
    strbuf_kv(&line, "ms", number);
    scnet_log(log, priority, "%s", line.data ? line.data : "result=?");
    strbuf_free(&line);
    free(user);
}

void scnet_check(const struct scnet_config *cfg, const struct scnet_request *req,
                 const struct scnet_log *log, struct scnet_outcome *out)
{
    int64_t start = monotonic_ms();
    int64_t deadline = start + cfg->timeout_ms;
    enum skip_reason skip;
    struct scnet_request as_looked_up;
    char canonical[256], lookup_err[256] = "", record_err[512];

    memset(out, 0, sizeof(*out));
    if (!req->user || !*req->user) {
        snprintf(out->error, sizeof(out->error), "no user name");
        fail_decides(cfg, req, out);
        goto done;
    }
    /* Skip rules come before everything, config errors included: a broken config with
     * fail = closed must never lock root out. */
    skip = user_filter_check(cfg, req->user, canonical, sizeof(canonical), &out->uid, lookup_err,
                             sizeof(lookup_err));
    if (skip == SKIP_LOOKUP_FAILED) {
        snprintf(out->error, sizeof(out->error), "user lookup failed: %s", lookup_err);
        fail_decides(cfg, req, out);
        goto done;
    }
    if (skip != SKIP_NONE) {
        out->decision = DECISION_SKIP;
        snprintf(out->error, sizeof(out->error), "%s", skip_reason_name(skip));
        goto done;
    }
    /* From here on the account's own name (pw_name), not PAM_USER as typed: the API, the
     * cache and the match of the reply's username all use it. */
    as_looked_up = *req;
    as_looked_up.user = canonical;
    req = &as_looked_up;
    if (!req->config_ok) {
        snprintf(out->error, sizeof(out->error), "config: %s", req->config_error);
        fail_decides(cfg, req, out);
        goto done;
    }
    if (!username_is_sendable(req->user)) {
        snprintf(out->error, sizeof(out->error), "user name cannot be sent to the API");
        fail_decides(cfg, req, out);
        goto done;
    }
    if (!obtain_reply(cfg, req, deadline, log, out)) {
        fail_decides(cfg, req, out);
        goto done;
    }
    /* Only with a new answer: a cache hit writes nothing more than before. Before the
     * decision, whose trend reads the history this adds to. */
    if (out->stored_at > 0 && !user_record_store(cfg, req->user, out->uid, &out->reply,
                                                 out->stored_at, record_err, sizeof(record_err)))
        scnet_log(log, LOG_WARNING, "user=%s cannot write the user's record: %s", req->user,
                  record_err);
    decide(cfg, req, log, out);
done:
    out->elapsed_ms = (long)(monotonic_ms() - start);
    log_decision(cfg, req, log, out);
}

bool scnet_probe(const struct scnet_config *cfg, const char *user, const struct scnet_log *log,
                 struct scnet_outcome *out)
{
    int64_t start = monotonic_ms();
    char *body = NULL;
    size_t len = 0;
    enum api_contact contact;
    bool ok;

    memset(out, 0, sizeof(*out));
    if (!username_is_sendable(user)) {
        snprintf(out->error, sizeof(out->error), "user name cannot be sent to the API");
        return false;
    }
    ok = fetch_from_api(cfg, user, start + cfg->timeout_ms, log, out, &body, &len, &contact);
    free(body);
    out->elapsed_ms = (long)(monotonic_ms() - start);
    return ok;
}
