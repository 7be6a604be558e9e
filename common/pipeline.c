#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deadline.h"
#include "http.h"
#include "strbuf.h"
#include "text.h"
#include "token.h"
#include "url.h"
#include "user_filter.h"

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
    case SOURCE_NONE:
        break;
    }
    return "none";
}

void scnet_outcome_free(struct scnet_outcome *out)
{
    free(out->message);
    out->message = NULL;
    quota_reply_free(&out->reply);
    memset(&out->policy, 0, sizeof(out->policy));
}

/* GET the quota reply for user into out->reply; false with the reason in out->error. */
static bool fetch_from_api(const struct scnet_config *cfg, const char *user, int64_t deadline,
                           const struct scnet_log *log, struct scnet_outcome *out)
{
    bool ok = false;
    char *token = NULL, *url = NULL;
    struct strbuf token_header = {0};
    struct http_response resp = {0};
    enum http_result hr;
    enum reply_status rs;
    char why[256] = "";

    if (!token_load(cfg, &token, out->error, sizeof(out->error)))
        goto out;
    if (!quota_url_build(cfg->url, user, &url, out->error, sizeof(out->error)))
        goto out;
    strbuf_printf(&token_header, "token: %s", token);
    if (token_header.failed) {
        snprintf(out->error, sizeof(out->error), "out of memory");
        goto out;
    }
    {
        const char *headers[] = {token_header.data, "Content-Type: application/json",
                                 "Accept: application/json", NULL};
        struct http_request req = {
            .method = "GET",
            .url = url,
            .headers = headers,
            .timeout_ms = deadline_left_ms(deadline),
            .cafile = cfg->cafile,
            .proxy = cfg->proxy,
        };
        scnet_debug(log, "user=%s step=request url=%s timeout_ms=%ld", user, url, req.timeout_ms);
        if (req.timeout_ms <= 0) {
            snprintf(out->error, sizeof(out->error), "timeout after %ld ms", cfg->timeout_ms);
            goto out;
        }
        hr = http_perform(&req, &resp, why, sizeof(why));
    }
    if (hr == HTTP_TIMEOUT) {
        snprintf(out->error, sizeof(out->error), "timeout after %ld ms", cfg->timeout_ms);
        goto out;
    }
    if (hr != HTTP_OK) {
        snprintf(out->error, sizeof(out->error), "%s", why);
        goto out;
    }
    scnet_debug(log, "user=%s step=reply status=%ld bytes=%zu", user, resp.status, resp.body_len);
    if (resp.status != 200) {
        snprintf(out->error, sizeof(out->error), "HTTP status %ld", resp.status);
        goto out;
    }
    rs = quota_reply_parse(resp.body, resp.body_len, &out->reply, why, sizeof(why));
    if (rs == REPLY_MALFORMED) {
        snprintf(out->error, sizeof(out->error), "bad reply: %s", why);
        goto out;
    }
    if (rs == REPLY_API_ERROR) {
        snprintf(out->error, sizeof(out->error), "API code %s: %s", out->reply.code,
                 api_code_meaning(out->reply.code));
        quota_reply_free(&out->reply);
        goto out;
    }
    out->source = SOURCE_API;
    ok = true;
out:
    token_free(token);
    strbuf_wipe(&token_header);
    http_response_free(&resp);
    free(url);
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
        .stale_age_s = -1,
    };
    out->message = banner_render(&in);
    out->message_is_error = is_error;
}

static void decide(const struct scnet_config *cfg, const struct scnet_request *req,
                   struct scnet_outcome *out)
{
    double warning_line = cfg->warn > 0 ? cfg->warn : ALWAYS_SHOW_WARNING_LINE;

    policy_decide(&out->reply, req->user, cfg->warn, cfg->deny, &out->policy);
    if (out->policy.level == POLICY_DENY) {
        out->decision = DECISION_DENY;
        render(cfg, req, BANNER_REFUSED, true, out);
        return;
    }
    out->decision = out->policy.worst && out->policy.worst->percent >= warning_line
                        ? DECISION_WARN
                        : DECISION_ALLOW;
    if (out->policy.count > 0)
        render(cfg, req, BANNER_USAGE, false, out);
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

    memset(out, 0, sizeof(*out));
    if (!req->user || !*req->user) {
        snprintf(out->error, sizeof(out->error), "no user name");
        fail_decides(cfg, req, out);
        goto done;
    }
    /* Skip rules come before everything, config errors included: a broken config with
     * fail = closed must never lock root out. */
    skip = user_filter_check(cfg, req->user);
    if (skip != SKIP_NONE) {
        out->decision = DECISION_SKIP;
        snprintf(out->error, sizeof(out->error), "%s", skip_reason_name(skip));
        goto done;
    }
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
    if (!fetch_from_api(cfg, req->user, deadline, log, out)) {
        fail_decides(cfg, req, out);
        goto done;
    }
    decide(cfg, req, out);
done:
    out->elapsed_ms = (long)(monotonic_ms() - start);
    log_decision(cfg, req, log, out);
}
