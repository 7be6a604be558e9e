/* libFuzzer harness: the helper's answers as fixed fields (answer_text_get_quota and
 * answer_text_get_token), what the module reads from scnet-quota-fetch at a cold login and from
 * its cache at every hit, in place of the servers' JSON. Whatever reads keeps the format's
 * bounds and writes back to exactly the same bytes (the format has one spelling). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "answer_text.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_bytes(const struct strbuf *text, const uint8_t *data, size_t size)
{
    FUZZ_ASSERT(!text->failed && text->len == size && memcmp(text->data, data, size) == 0);
}

static void quota(const uint8_t *data, size_t size)
{
    struct quota_reply r;
    struct strbuf text = {0};
    char err[256];
    enum reply_status rs;

    memset(err, 'x', sizeof(err));
    rs = answer_text_get_quota((const char *)data, size, &r, err, sizeof(err));
    fuzz_check_terminated(err, sizeof(err));
    if (rs == REPLY_MALFORMED) {
        FUZZ_ASSERT(r.code == NULL && r.msg == NULL && r.entries == NULL && r.count == 0);
        return;
    }
    FUZZ_ASSERT(r.code != NULL && strlen(r.code) <= QUOTA_MAX_STRING);
    FUZZ_ASSERT(r.msg == NULL || strlen(r.msg) <= QUOTA_MAX_STRING);
    FUZZ_ASSERT(r.count <= QUOTA_MAX_ENTRIES && (rs == REPLY_OK || r.count == 0));
    for (size_t i = 0; i < r.count; i++) {
        const struct quota_entry *e = &r.entries[i];
        FUZZ_ASSERT(isfinite(e->usage) && e->usage >= 0);
        FUZZ_ASSERT(isfinite(e->threshold) &&
                    (e->has_limit ? e->threshold > 0 : e->threshold == 0));
        FUZZ_ASSERT(e->username == NULL || strlen(e->username) <= QUOTA_MAX_STRING);
        FUZZ_ASSERT(e->path == NULL || strlen(e->path) <= QUOTA_MAX_STRING);
    }
    FUZZ_ASSERT(answer_text_put_quota(&text, rs, &r, NULL));
    same_bytes(&text, data, size);
    strbuf_free(&text);
    quota_reply_free(&r);
}

static void token(const uint8_t *data, size_t size)
{
    struct token_answer a;
    struct strbuf text = {0};

    if (!answer_text_get_token((const char *)data, size, &a)) {
        FUZZ_ASSERT(a.pick == TOKEN_PICK_MALFORMED && a.token == NULL);
        fuzz_check_terminated(a.why, sizeof(a.why));
        return;
    }
    FUZZ_ASSERT((a.pick == TOKEN_PICK_OK) == (a.token != NULL));
    if (a.token != NULL)
        FUZZ_ASSERT(a.token[0] != '\0' && strlen(a.token) <= TOKEN_MAX_LEN);
    FUZZ_ASSERT(!a.has_expire || (a.expire_ms >= 1 && a.expire_ms <= 1000000000000000LL));
    fuzz_check_terminated(a.region, sizeof(a.region));
    fuzz_check_terminated(a.why, sizeof(a.why));
    FUZZ_ASSERT(answer_text_put_token(&text, &a));
    same_bytes(&text, data, size);
    strbuf_wipe(&text);
    answer_token_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    quota(data, size);
    token(data, size);
    return 0;
}
