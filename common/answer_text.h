/* What the network helper makes of a reply, as fixed fields in a small line-based text: the
 * quota API's answer (also what the cache keeps per user) and the token service's pick. The
 * helper writes it with the JSON parsers (scnet_parsers); the module reads it here, without
 * them, as strictly as the wire: the login process parses no network data.
 *
 *     scnet-answer quota ok\n            code =0\n [msg =<s>\n] entry ...\n (0 to 64) end\n
 *     scnet-answer quota api-error\n     code =<s other than 0>\n [msg =<s>\n] end\n
 *     scnet-answer quota malformed\n     why =<s>\n end\n
 *     entry <usage> <threshold> <limit 0|1> <username> <path>\n
 *     scnet-answer token ok\n            token =<s>\n region =<s>\n
 *                                        (expire <ms>\n | expire-unknown =<s>\n) end\n
 *     scnet-answer token refused|malformed\n  why =<s>\n end\n
 *
 * <s> is "=" and the string with every byte below 0x21, 0x7f and '%' as %XX (uppercase hex),
 * "-" alone a missing string; nothing else is escaped. A figure is the 16 lowercase hex digits
 * of its IEEE-754 bits: exact, and no locale changes how it reads. Usage is finite and not
 * negative; a threshold is > 0 with limit 1, 0 with limit 0 (what quota_reply_parse gives). */
#ifndef SCNET_ANSWER_TEXT_H
#define SCNET_ANSWER_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quota_reply.h"
#include "strbuf.h"
#include "token_service.h"

#define ANSWER_WHY_MAX 512
#define ANSWER_REGION_MAX 320

/* Append the text of a quota answer: rs and reply as quota_reply_parse left them (reply is
 * not read for REPLY_MALFORMED, why is). False when out of memory or reply breaks a rule the
 * reader enforces (then out is unchanged in length). */
bool answer_text_put_quota(struct strbuf *out, enum reply_status rs,
                           const struct quota_reply *reply, const char *why);

/* Read a quota answer's text (len bytes, need not be NUL-terminated): quota_reply_parse's
 * contract, with the parse status the helper sent. Text that breaks a rule above is
 * REPLY_MALFORMED, err saying where. On REPLY_OK and REPLY_API_ERROR the caller frees *reply. */
enum reply_status answer_text_get_quota(const char *text, size_t len, struct quota_reply *reply,
                                        char *err, size_t errlen);

/* A token service reply as the helper picked it. */
struct token_answer {
    enum token_pick pick;
    char *token; /* TOKEN_PICK_OK only: the caller's, free with token_free */
    char region[ANSWER_REGION_MAX];
    bool has_expire;          /* TOKEN_PICK_OK: the token's expireTime could be read */
    int64_t expire_ms;        /* with has_expire (1 to 10^15) */
    char why[ANSWER_WHY_MAX]; /* not OK: why; OK without has_expire: why not (never a token) */
};

/* Append the text of a token answer; false as answer_text_put_quota. */
bool answer_text_put_token(struct strbuf *out, const struct token_answer *a);

/* Read a token answer's text into *a (zeroed first): false, with a->pick TOKEN_PICK_MALFORMED
 * and the reason in a->why, when it breaks a rule above. */
bool answer_text_get_token(const char *text, size_t len, struct token_answer *a);

/* Wipe and free what a token answer holds. */
void answer_token_free(struct token_answer *a);

#endif
