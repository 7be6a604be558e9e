/* scnet-quota --refresh and --forget. The run lists the cache once, then up to
 * REFRESH_MAX_CONNECTIONS workers (threads: this is the admin command, never the module) take
 * due users in turn, each over its own kept-alive connection; they share one token, one
 * pacing clock and one stop flag, under one mutex. A login is never made to wait: a user
 * whose lock is held is skipped. */
#include "refresh.h"

#include <pthread.h>
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
#include "pipeline.h"
#include "quota_reply.h"
#include "token.h"
#include "url.h"
#include "user_filter.h"
#include "user_record.h"

/* A key holding ':' is the token's or the offline state's: user names cannot hold one. */
static bool key_is_user(const char *key)
{
    return strchr(key, ':') == NULL;
}

struct run {
    const struct scnet_config *cfg;
    const struct scnet_log *log;
    int dirfd;
    struct cache_item **due;
    size_t due_count;
    pthread_mutex_t mu; /* guards everything below */
    size_t next;
    int64_t next_slot_us; /* monotonic microseconds of the next request's turn */
    char *token;
    unsigned token_generation;
    bool stop;                     /* a service failure: no more requests this run */
    bool service_down;             /* what to record in the offline state */
    char cause[OFFLINE_CAUSE_MAX]; /* why the service was down, for the offline state */
    bool answered;                 /* the API answered at least once */
    struct refresh_summary *sum;
};

/* One kept-alive connection per worker: its own helper session. */
struct worker {
    struct run *run;
    pthread_t thread;
    struct http_client *client; /* started at the first request */
};

static int64_t monotonic_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_until_us(int64_t when)
{
    int64_t left = when - monotonic_us();

    if (left > 0) {
        struct timespec ts = {.tv_sec = left / 1000000, .tv_nsec = (left % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
}

static void count(struct run *run, size_t *counter)
{
    pthread_mutex_lock(&run->mu);
    (*counter)++;
    pthread_mutex_unlock(&run->mu);
}

/* The next request's turn under refresh_rate (0: now). */
static int64_t take_turn(struct run *run)
{
    int64_t now = monotonic_us(), slot;

    pthread_mutex_lock(&run->mu);
    slot = run->next_slot_us > now ? run->next_slot_us : now;
    if (run->cfg->refresh_rate > 0)
        run->next_slot_us = slot + 1000000 / run->cfg->refresh_rate;
    pthread_mutex_unlock(&run->mu);
    return slot;
}

/* The shared token (a copy, and its generation), or NULL. */
static char *token_copy(struct run *run, unsigned *generation)
{
    char *copy;

    pthread_mutex_lock(&run->mu);
    copy = run->token ? strdup(run->token) : NULL;
    *generation = run->token_generation;
    pthread_mutex_unlock(&run->mu);
    return copy;
}

/* The API refused the token of this generation: renew it once for every worker. */
static bool token_renew(struct run *run, unsigned generation)
{
    char err[256] = "";
    char *fresh = NULL;
    bool ok = true;

    pthread_mutex_lock(&run->mu);
    if (run->token_generation == generation) {
        ok = token_get(run->cfg, monotonic_ms() + run->cfg->timeout_ms, run->log, run->token,
                       &fresh, err, sizeof(err));
        if (ok) {
            token_free(run->token);
            run->token = fresh;
            run->token_generation++;
        } else {
            scnet_log(run->log, LOG_WARNING, "refresh: no new token: %s", err);
        }
    }
    pthread_mutex_unlock(&run->mu);
    return ok;
}

/* One GET of user's quota with the run's token: the login's request, over the worker's
 * kept-alive helper (started on first use). */
static enum http_result request_once(struct worker *w, const char *url, unsigned *generation,
                                     struct http_response *resp, char *err, size_t errlen)
{
    const struct scnet_config *cfg = w->run->cfg;
    enum http_result hr = HTTP_FAILED;
    char *token = token_copy(w->run, generation);

    if (!token)
        snprintf(err, errlen, "out of memory");
    else if (w->client || http_client_start(cfg->helper, cfg->cafile, &w->client, err, errlen))
        hr = scnet_quota_get(cfg, w->client, url, token, cfg->timeout_ms, resp, err, errlen);
    else
        hr = HTTP_UNAVAILABLE;
    token_free(token);
    return hr;
}

/* Renew one user's answer; the caller holds the user's lock. */
static void refresh_user(struct worker *w, const char *user)
{
    struct run *run = w->run;
    struct http_response resp = {0};
    struct quota_reply reply = {0};
    enum http_result hr;
    unsigned generation = 0;
    char *url = NULL, err[256] = "", why[128], record_err[512];
    int64_t fetched_at;
    uid_t uid;
    bool ok = false;

    if (!quota_url_build(run->cfg->url, user, &url, err, sizeof(err)))
        goto out;
    sleep_until_us(take_turn(run));
    hr = request_once(w, url, &generation, &resp, err, sizeof(err));
    if (hr == HTTP_OK && scnet_token_was_refused(resp.status, resp.body, resp.body_len) &&
        token_renew(run, generation)) {
        http_response_free(&resp);
        hr = request_once(w, url, &generation, &resp, err, sizeof(err));
    }
    /* Only a failure of the whole service stops the run; a 5xx for one user is that
     * user's (see offline_failure_is_service). */
    if (offline_failure_is_service(hr)) {
        pthread_mutex_lock(&run->mu);
        run->stop = true;
        if (!run->service_down) /* cut to the offline state's cause, as it would be there */
            snprintf(run->cause, sizeof(run->cause), "%.*s", (int)sizeof(run->cause) - 1, err);
        run->service_down = true;
        pthread_mutex_unlock(&run->mu);
        goto out;
    }
    if (hr != HTTP_OK)
        goto out;
    pthread_mutex_lock(&run->mu);
    run->answered = true;
    pthread_mutex_unlock(&run->mu);
    /* Only an answer a login could use goes into the cache. */
    if (resp.status != 200) {
        http_status_error(resp.status, url, err, sizeof(err));
        goto out;
    }
    if (answer_text_get_quota(resp.body, resp.body_len, &reply, why, sizeof(why)) != REPLY_OK) {
        snprintf(err, sizeof(err), "HTTP status 200, no usable answer");
        goto out;
    }
    fetched_at = time(NULL);
    ok = cache_write(run->dirfd, user, resp.body, resp.body_len, fetched_at, err, sizeof(err));
    /* The user's own record follows every new answer; failing it costs the refresh nothing. */
    if (ok && (!user_lookup_uid(user, &uid, record_err, sizeof(record_err)) ||
               !user_record_store(run->cfg, user, uid, &reply, fetched_at, record_err,
                                  sizeof(record_err))))
        scnet_log(run->log, LOG_WARNING, "user=%s cannot write the user's record: %s", user,
                  record_err);
out:
    if (!ok)
        scnet_debug(run->log, "user=%s step=refresh-failed reason=\"%s\"", user, err);
    count(run, ok ? &run->sum->refreshed : &run->sum->failed);
    quota_reply_free(&reply);
    http_response_free(&resp);
    free(url);
}

/* Whether user's answer still needs renewing, read again under its lock: a login may have
 * just done it. */
static bool still_due(const struct run *run, const char *user)
{
    struct cache_entry entry;
    char err[256];
    bool due;

    if (!cache_read(run->dirfd, user, run->cfg->owner, &entry, err, sizeof(err)))
        return true;
    due = time(NULL) - entry.fetched_at >= run->cfg->cache_ttl / 2;
    cache_entry_free(&entry);
    return due;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct run *run = w->run;

    for (;;) {
        const struct cache_item *item = NULL;
        char err[256];
        int lockfd;

        pthread_mutex_lock(&run->mu);
        if (!run->stop && run->next < run->due_count)
            item = run->due[run->next++];
        pthread_mutex_unlock(&run->mu);
        if (!item)
            break;
        /* Never wait: a login holding the lock is asking the API itself. */
        lockfd =
            cache_lock(run->dirfd, item->key, run->cfg->owner, monotonic_ms(), err, sizeof(err));
        if (lockfd < 0) {
            count(run, &run->sum->skipped);
            continue;
        }
        if (still_due(run, item->key))
            refresh_user(w, item->key);
        else
            count(run, &run->sum->skipped);
        cache_unlock(lockfd);
    }
    http_client_stop(w->client);
    w->client = NULL;
    return NULL;
}

/* Entries and lock files of users not seen for longer than both stale_ttl and
 * refresh_window, then lock files left without an entry, then old temporary files. */
static void prune(const struct scnet_config *cfg, int dirfd, struct cache_item *items, size_t n,
                  int64_t now, const struct scnet_log *log, struct refresh_summary *sum)
{
    long keep = cfg->stale_ttl > cfg->refresh_window ? cfg->stale_ttl : cfg->refresh_window;
    char err[256];

    for (size_t i = 0; i < n; i++) {
        int lockfd;

        if (!key_is_user(items[i].key) || now - items[i].seen_at <= keep)
            continue;
        lockfd = cache_lock(dirfd, items[i].key, cfg->owner, monotonic_ms(), err, sizeof(err));
        if (lockfd < 0)
            continue;
        if (cache_remove(dirfd, items[i].key, true, err, sizeof(err)))
            sum->pruned++;
        else
            scnet_log(log, LOG_WARNING, "refresh: %s", err);
        cache_unlock(lockfd);
    }
    sum->pruned += cache_prune_orphan_locks(dirfd, cfg->owner, now - keep);
    sum->pruned += cache_sweep_temp_files(dirfd);
}

/* Whether this run may ask the API: not within an offline window, and, once it is over, only
 * as the one probe (*probefd then holds the probe lock). */
static bool may_ask(const struct scnet_config *cfg, int dirfd, const char *endpoint,
                    struct offline_state *offline, int *probefd, int64_t now,
                    struct refresh_summary *sum)
{
    char err[256];
    bool expired = false;

    *probefd = -1;
    if (cfg->offline_retry <= 0)
        return true;
    offline_state_read(dirfd, cfg->owner, endpoint, offline, err, sizeof(err));
    if (offline->offline && offline_retry_in(offline, cfg->offline_retry, now) == 0 &&
        (*probefd = offline_probe_lock(dirfd, cfg->owner, cfg->timeout_ms, &expired)) >= 0)
        offline_state_read(dirfd, cfg->owner, endpoint, offline, err, sizeof(err));
    /* A prober that held the lock past its lease is gone: this run probes without it. */
    if (!offline->offline || expired ||
        (*probefd >= 0 && offline_retry_in(offline, cfg->offline_retry, now) == 0))
        return true;
    sum->offline = true;
    offline_describe(offline, cfg->offline_retry, now, sum->offline_why, sizeof(sum->offline_why));
    return false;
}

static void run_workers(struct run *run)
{
    struct worker workers[REFRESH_MAX_CONNECTIONS] = {{0}};
    size_t n = run->due_count < REFRESH_MAX_CONNECTIONS ? run->due_count : REFRESH_MAX_CONNECTIONS;
    size_t started = 0;

    for (size_t i = 0; i < n; i++) {
        workers[i].run = run;
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0)
            break;
        started++;
    }
    /* Not even one thread: do the work here, over one connection. */
    if (started == 0 && n > 0) {
        workers[0].run = run;
        worker_main(&workers[0]);
    }
    for (size_t i = 0; i < started; i++)
        pthread_join(workers[i].thread, NULL);
}

bool refresh_run(const struct scnet_config *cfg, const struct scnet_log *log,
                 struct refresh_summary *sum, char *err, size_t errlen)
{
    int64_t start = monotonic_ms(), now = time(NULL);
    struct cache_item *items = NULL;
    struct offline_state offline = {0};
    struct run run;
    size_t count_items = 0;
    bool ok = false;
    char why[256] = "", endpoint[OFFLINE_ENDPOINT_LEN];
    int probefd = -1;
    int dirfd = cache_dir_open(cfg->cache_dir, cfg->owner, err, errlen);

    memset(sum, 0, sizeof(*sum));
    memset(&run, 0, sizeof(run));
    pthread_mutex_init(&run.mu, NULL);
    run.cfg = cfg;
    run.log = log;
    run.dirfd = dirfd;
    run.sum = sum;
    if (dirfd < 0)
        goto out;
    if (!cache_list(dirfd, cfg->owner, &items, &count_items, err, errlen))
        goto out;
    ok = true;
    prune(cfg, dirfd, items, count_items, now, log, sum);
    run.due = calloc(count_items ? count_items : 1, sizeof(struct cache_item *));
    if (!run.due) {
        snprintf(err, errlen, "out of memory");
        ok = false;
        goto out;
    }
    /* cache_ttl = 0: logins never use a cached answer, so there is nothing to keep fresh. */
    for (size_t i = 0; i < count_items && cfg->cache_ttl > 0; i++) {
        if (key_is_user(items[i].key) && now - items[i].seen_at <= cfg->refresh_window &&
            now - items[i].fetched_at >= cfg->cache_ttl / 2 && username_is_sendable(items[i].key))
            run.due[run.due_count++] = &items[i];
    }
    sum->due = run.due_count;
    if (run.due_count == 0)
        goto out;
    offline_endpoint(cfg, endpoint);
    if (!may_ask(cfg, dirfd, endpoint, &offline, &probefd, now, sum)) {
        sum->skipped = run.due_count;
        goto out;
    }
    /* One token for the whole run. */
    if (!token_get(cfg, monotonic_ms() + cfg->timeout_ms, log, NULL, &run.token, why,
                   sizeof(why))) {
        scnet_log(log, LOG_WARNING, "refresh: no token: %s", why);
        sum->failed = run.due_count;
        goto out;
    }
    run_workers(&run);
    sum->skipped += run.due_count - run.next;
    if (run.service_down && cfg->offline_retry > 0) {
        now = time(NULL);
        if (!offline_state_record(dirfd, endpoint, &offline, now, run.cause, why, sizeof(why)))
            scnet_log(log, LOG_WARNING, "refresh: cannot record the offline state: %s", why);
        offline_state_read(dirfd, cfg->owner, endpoint, &offline, why, sizeof(why));
        sum->offline = true;
        offline_describe(&offline, cfg->offline_retry, now, sum->offline_why,
                         sizeof(sum->offline_why));
    } else if (run.answered && (offline.offline || offline.leftover) &&
               !offline_state_clear(dirfd, why, sizeof(why))) {
        scnet_log(log, LOG_WARNING, "refresh: cannot clear the offline state: %s", why);
    }
out:
    token_free(run.token);
    free(run.due);
    cache_items_free(items, count_items);
    cache_unlock(probefd);
    pthread_mutex_destroy(&run.mu);
    if (dirfd >= 0)
        close(dirfd);
    sum->took_ms = (long)(monotonic_ms() - start);
    return ok;
}

bool refresh_forget(const struct scnet_config *cfg, const char *const *users, size_t count,
                    bool all, const struct scnet_log *log, size_t *dropped, char *err,
                    size_t errlen)
{
    struct cache_item *items = NULL;
    size_t n = 0;
    bool ok = false;
    int dirfd = cache_dir_open(cfg->cache_dir, cfg->owner, err, errlen);

    *dropped = 0;
    if (dirfd < 0)
        goto out;
    if (all) {
        if (!cache_list(dirfd, cfg->owner, &items, &n, err, errlen))
            goto out;
        for (size_t i = 0; i < n; i++) {
            if (!key_is_user(items[i].key))
                continue;
            if (!cache_remove(dirfd, items[i].key, false, err, errlen))
                goto out;
            (*dropped)++;
        }
        scnet_log(log, LOG_NOTICE, "forgot every cached answer (%zu), the token kept", *dropped);
    } else {
        struct cache_entry entry;
        char why[256];

        for (size_t i = 0; i < count; i++) {
            bool present = cache_read(dirfd, users[i], cfg->owner, &entry, why, sizeof(why));

            cache_entry_free(&entry);
            if (!key_is_user(users[i])) {
                snprintf(err, errlen, "'%s' is not a user name", users[i]);
                goto out;
            }
            if (!cache_remove(dirfd, users[i], false, err, errlen))
                goto out;
            if (present)
                (*dropped)++;
        }
        scnet_log(log, LOG_NOTICE, "forgot the cached answers of %zu user%s (%zu held one)", count,
                  count == 1 ? "" : "s", *dropped);
    }
    ok = true;
out:
    cache_items_free(items, n);
    if (dirfd >= 0)
        close(dirfd);
    return ok;
}
