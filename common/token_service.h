/* Obtaining a token from the SCNet token service: the v3 AK/SK request (HMAC-SHA256
 * signature) or the v2 password request, and picking the region's token from the reply. */
#ifndef SCNET_TOKEN_SERVICE_H
#define SCNET_TOKEN_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "credentials.h"
#include "log.h"
#include "sha256.h"

#define TOKEN_SERVICE_AKSK_PATH "/api/user/v3/tokens"
#define TOKEN_SERVICE_PASSWORD_PATH "/ac/openapi/v2/tokens"
#define TOKEN_REPLY_MAX_ENTRIES 64
#define TOKEN_MAX_LEN 8192

/* The exact text the v3 signature covers: {"accessKey":"AK","timestamp":"TS","user":"U"}.
 * Caller wipes and frees. NULL when out of memory. */
char *aksk_signed_message(const char *access_key, const char *timestamp, const char *user);

/* Lowercase hex HMAC-SHA256 keyed with secret_key over aksk_signed_message(...) into out.
 * False only when out of memory. */
bool aksk_signature(const char *secret_key, const char *access_key, const char *timestamp,
                    const char *user, char out[SHA256_HEX_LEN + 1]);

enum token_pick {
    TOKEN_PICK_OK,
    TOKEN_PICK_REFUSED,   /* well-formed, but no token: API code, suspended, no such region */
    TOKEN_PICK_MALFORMED, /* anything unexpected in the reply */
};

/* Parse the token service's reply (len bytes) strictly and pick the token for cluster (a
 * clusterId or clusterName; NULL or "" = the first entry with a token that is not the
 * platform entry, clusterId 0 / clusterName "ac"). On TOKEN_PICK_OK *token is the caller's
 * (free with token_free) and region says which entry it came from ("hefei (11250)",
 * sanitised). Otherwise err says why: an API code and its meaning, "account suspended: no
 * token for region ...", no such region, or what is malformed; never a token. In
 * scnet_parsers (cJSON): the network helper runs it, the module never does. */
enum token_pick token_reply_pick(const char *body, size_t len, const char *cluster, char **token,
                                 char *region, size_t regionlen, char *err, size_t errlen);

struct token_answer;

/* POST to the token service named by cfg (auth_url, or url) with creds, within deadline_ms;
 * the network helper picks the token as token_reply_pick does and reads its expiry
 * (jwt_expire_ms): true with TOKEN_PICK_OK in *answer (free with answer_token_free), else err
 * says why. Secrets travel only in request headers, which are wiped afterwards. err never
 * holds a secret. */
bool token_service_fetch(const struct scnet_config *cfg, const struct credentials *creds,
                         int64_t deadline_ms, const struct scnet_log *log,
                         struct token_answer *answer, char *err, size_t errlen);

#endif
