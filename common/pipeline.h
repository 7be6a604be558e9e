/* One check of one user, from configuration to decision: shared by the module and the tool. */
#ifndef SCNET_PIPELINE_H
#define SCNET_PIPELINE_H

#include <stdbool.h>

#include "config.h"
#include "http.h"
#include "log.h"
#include "policy.h"
#include "quota_reply.h"

enum scnet_decision {
    DECISION_SKIP,         /* user not checked */
    DECISION_ALLOW,        /* below warn */
    DECISION_WARN,         /* allowed, with a banner */
    DECISION_DENY,         /* over deny on a fresh answer */
    DECISION_DENY_SKIPPED, /* over deny, deny_scope = tty, no terminal: let in, silent; the
                            * refusal goes to the login-shell gate (message_for_shell_gate) */
    DECISION_ERROR_OPEN,   /* quota unknown, fail = open: allowed */
    DECISION_ERROR_DENY,   /* quota unknown, fail = closed: refused */
};

/* The PAM environment variable that carries a deferred refusal to the login-shell gate
 * (packaging/profile.d/scnet-quota.{sh,csh}); sshd copies the PAM environment into every
 * session it starts. */
#define SCNET_SHELL_GATE_VARIABLE "SCNET_QUOTA_REFUSAL"

/* SOURCE_OFFLINE: an old answer used without asking, because the API is known to be down. */
enum scnet_source { SOURCE_NONE, SOURCE_API, SOURCE_CACHE, SOURCE_STALE, SOURCE_OFFLINE };

struct scnet_request {
    const char *user;
    const char *locale; /* for lang = auto; NULL = "C" */
    bool config_ok;     /* false: cfg failed to load, config_error says why */
    const char *config_error;
    bool no_cache;    /* ask the API even when a fresh cached answer exists */
    bool fresh;       /* the same, but through the cache as a login goes: its lock, offline state,
                       * and the answer stored (scnet-quota --now) */
    bool no_terminal; /* the session has no terminal (PAM_TTY not a tty device) */
};

struct scnet_outcome {
    enum scnet_decision decision;
    enum scnet_source source;
    char *message;         /* text for the user, NULL = nothing to show */
    bool message_is_error; /* show with pam_error rather than pam_info */
    /* DENY_SKIPPED: message is the refusal, never shown at session open (it would corrupt
     * scp and sftp); the module hands it to the login-shell gate in the PAM environment. */
    bool message_for_shell_gate;
    struct quota_reply reply;
    struct policy_result policy;
    char error[512];  /* why the quota is unknown (ERROR_*) or why skipped */
    long stale_age_s; /* source CACHE, STALE or OFFLINE: seconds since the API gave the answer */
    long elapsed_ms;
    long long stored_at; /* > 0: this check stored a new answer, fetched then (Unix s) */
    uid_t uid;           /* the user's, from the lookup of the skip rules (names the record) */
};

/* Check req->user under cfg: skip rules, fetch, parse, decide, render; writes exactly one
 * decision line to log. Never takes longer than cfg->timeout_ms (plus local file work). */
void scnet_check(const struct scnet_config *cfg, const struct scnet_request *req,
                 const struct scnet_log *log, struct scnet_outcome *out);

/* The trend of user's entries of out (a decided check: out->uid names the record): days[i]
 * until entry i is full at the recent rate, from the user's record read as root reads it
 * (user_record_read_trusted: its history) and out's own figures, fetched when out says; 0
 * where there is nothing to say (another user's entry, a path without history). False when
 * no record could be read: why says why, *missing when there is none yet. */
bool scnet_trend_days(const struct scnet_config *cfg, const char *user,
                      const struct scnet_outcome *out, long days[QUOTA_MAX_ENTRIES], bool *missing,
                      char *why, size_t whylen);

/* One request for user straight to the API (no skip rules, no cache), as
 * `scnet-quota --check-config` makes it: true when a valid reply came back; otherwise
 * out->error says what went wrong. out->reply holds the reply on success. */
bool scnet_probe(const struct scnet_config *cfg, const char *user, const struct scnet_log *log,
                 struct scnet_outcome *out);

/* The module's quota request, as every login makes it: GET url with the token and JSON
 * headers, with cfg->cafile and cfg->proxy, within timeout_ms; through client's kept-alive
 * helper (the refresh), or with client NULL a helper of its own (cfg->helper). The helper
 * parses the reply: resp->body is its answer text (answer_text_get_quota reads it). The token
 * header is wiped; http_perform's contract otherwise (the bench's client floor calls it too). */
enum http_result scnet_quota_get(const struct scnet_config *cfg, struct http_client *client,
                                 const char *url, const char *token, long timeout_ms,
                                 struct http_response *resp, char *err, size_t errlen);

/* True when the API's answer (HTTP status, and the helper's answer text as body) means the
 * token itself was refused: worth one new token. */
bool scnet_token_was_refused(long status, const char *body, size_t len);

/* Free what scnet_check put in out. */
void scnet_outcome_free(struct scnet_outcome *out);

/* "skip", "ok", "warn", "deny", "error". */
const char *decision_name(enum scnet_decision decision);

#endif
