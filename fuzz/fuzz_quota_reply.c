/* libFuzzer harness: the quota API reply parser and the display path after it (policy,
 * text_sanitize, banner_render), with the invariants the design demands of them. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "policy.h"
#include "quota_reply.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_sanitized(const char *in, size_t max)
{
    char *clean = text_sanitize(in, max);

    FUZZ_ASSERT(clean != NULL);
    FUZZ_ASSERT(strlen(clean) <= max + 3); /* "..." after a cut */
    fuzz_check_terminal_safe(clean, false);
    free(clean);
}

static void check_reply(enum reply_status rc, const struct quota_reply *reply)
{
    if (rc == REPLY_MALFORMED) {
        /* Nothing is left allocated or half-set for the caller. */
        FUZZ_ASSERT(reply->code == NULL && reply->msg == NULL && reply->entries == NULL &&
                    reply->count == 0);
        return;
    }
    FUZZ_ASSERT(reply->code != NULL);
    FUZZ_ASSERT(strlen(reply->code) <= QUOTA_MAX_STRING);
    if (rc == REPLY_API_ERROR) {
        FUZZ_ASSERT(strcmp(reply->code, "0") != 0);
        return;
    }
    FUZZ_ASSERT(rc == REPLY_OK);
    FUZZ_ASSERT(strcmp(reply->code, "0") == 0);
    FUZZ_ASSERT(reply->count <= QUOTA_MAX_ENTRIES);
    FUZZ_ASSERT(reply->count == 0 || reply->entries != NULL);
    for (size_t i = 0; i < reply->count; i++) {
        const struct quota_entry *e = &reply->entries[i];
        FUZZ_ASSERT(e->username != NULL && e->path != NULL);
        FUZZ_ASSERT(strlen(e->username) <= QUOTA_MAX_STRING);
        FUZZ_ASSERT(strlen(e->path) <= QUOTA_MAX_STRING);
        FUZZ_ASSERT(isfinite(e->usage) && e->usage >= 0);
        FUZZ_ASSERT(isfinite(e->threshold));
        FUZZ_ASSERT(e->has_limit ? e->threshold > 0 : e->threshold == 0);
    }
}

static void check_banners(const struct quota_reply *reply, const char *user, double warn,
                          double deny, const char *contact)
{
    static const enum banner_kind kinds[] = {BANNER_USAGE, BANNER_REFUSED, BANNER_UNCHECKED};
    static const enum scnet_lang langs[] = {SCNET_LANG_EN, SCNET_LANG_ZH};
    static const long ages[] = {-1, 59, 7300, 400000};
    struct policy_result policy;

    policy_decide(reply, user, warn, deny, &policy);
    FUZZ_ASSERT(policy.count <= QUOTA_MAX_ENTRIES);
    FUZZ_ASSERT((policy.count == 0) == (policy.worst == NULL));
    FUZZ_ASSERT(deny >= 0 || policy.level != POLICY_DENY);
    for (size_t i = 0; i < policy.count; i++) {
        FUZZ_ASSERT(policy.items[i].entry != NULL);
        FUZZ_ASSERT(strcmp(policy.items[i].entry->username, user) == 0);
        FUZZ_ASSERT(policy.items[i].percent <= policy.worst->percent);
        FUZZ_ASSERT(policy.items[i].level <= policy.level);
    }
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        for (size_t l = 0; l < sizeof(langs) / sizeof(langs[0]); l++) {
            struct banner_input in = {
                .kind = kinds[k],
                .lang = langs[l],
                .policy = &policy,
                .warn = warn,
                .deny = deny,
                .contact = contact,
                .stale_age_s = ages[(k + l) % (sizeof(ages) / sizeof(ages[0]))],
            };
            char *text = banner_render(&in);
            FUZZ_ASSERT(text != NULL);
            /* Lines are the banner's own; server text never adds one. */
            fuzz_check_terminal_safe(text, true);
            free(text);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct quota_reply reply;
    char err[256];
    enum reply_status rc;
    char *raw;

    memset(err, 'x', sizeof(err));
    rc = quota_reply_parse((const char *)data, size, &reply, err, sizeof(err));
    fuzz_check_terminated(err, sizeof(err));
    check_reply(rc, &reply);
    if (rc != REPLY_MALFORMED) {
        check_sanitized(reply.code, TEXT_MAX_SERVER_STRING);
        FUZZ_ASSERT(api_code_meaning(reply.code) != NULL);
        if (reply.msg != NULL)
            check_sanitized(reply.msg, TEXT_MAX_SERVER_STRING);
    }
    if (rc == REPLY_OK) {
        for (size_t i = 0; i < reply.count; i++) {
            check_sanitized(reply.entries[i].username, 64);
            check_sanitized(reply.entries[i].path, TEXT_MAX_SERVER_STRING);
        }
        /* The first entry's user, so that the banner lists something. */
        const char *user = reply.count > 0 ? reply.entries[0].username : "alice";
        check_banners(&reply, user, 90.0, -1.0, NULL);
        check_banners(&reply, user, 0.0, 100.0, reply.msg != NULL ? reply.msg : "room 101");
    }
    quota_reply_free(&reply);

    /* The sanitiser on the raw bytes, with a cut wherever the input says. */
    raw = fuzz_cstring(data, size);
    if (raw != NULL) {
        check_sanitized(raw, size > 0 ? data[0] : 0);
        check_sanitized(raw, TEXT_MAX_SERVER_STRING);
        free(raw);
    }
    return 0;
}
