/* The token service client. The reply is parsed as strictly as the quota reply: whatever
 * token comes out of it goes into an HTTP header at every login until it expires. */
#include "token_service.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "answer_text.h"
#include "compat.h"
#include "deadline.h"
#include "http.h"
#include "log.h"
#include "quota_reply.h"
#include "strbuf.h"
#include "text.h"
#include "url.h"

char *aksk_signed_message(const char *access_key, const char *timestamp, const char *user)
{
    struct strbuf sb = {0};

    /* Literal, in this key order, no spaces: the service signs the same bytes. The
     * credentials parser has refused '"' and '\' in access_key and user, so no escaping
     * question arises; the timestamp is digits. */
    strbuf_printf(&sb, "{\"accessKey\":\"%s\",\"timestamp\":\"%s\",\"user\":\"%s\"}", access_key,
                  timestamp, user);
    if (sb.failed) {
        strbuf_wipe(&sb);
        return NULL;
    }
    return strbuf_take(&sb);
}

bool aksk_signature(const char *secret_key, const char *access_key, const char *timestamp,
                    const char *user, char out[SHA256_HEX_LEN + 1])
{
    unsigned char mac[SHA256_DIGEST_LEN];
    char *message = aksk_signed_message(access_key, timestamp, user);

    if (!message)
        return false;
    hmac_sha256(secret_key, strlen(secret_key), message, strlen(message), mac);
    hex_lower_encode(mac, sizeof(mac), out);
    explicit_bzero(mac, sizeof(mac));
    explicit_bzero(message, strlen(message));
    free(message);
    return true;
}

/* "Name: value" into sb (wiped by the caller). */
static void header(struct strbuf *sb, const char *name, const char *value)
{
    strbuf_printf(sb, "%s: %s", name, value);
}

bool token_service_fetch(const struct scnet_config *cfg, const struct credentials *creds,
                         int64_t deadline_ms, const struct scnet_log *log,
                         struct token_answer *answer, char *err, size_t errlen)
{
    const char *base = cfg->auth_url ? cfg->auth_url : cfg->url;
    bool aksk = cfg->auth == SCNET_AUTH_AKSK, ok = false;
    struct strbuf h[3] = {{0}, {0}, {0}}, h_sig = {0};
    struct http_response resp = {0};
    enum http_result hr;
    char *url = NULL, why[512] = "", timestamp[32], signature[SHA256_HEX_LEN + 1] = "";
    long timeout_ms;

    memset(answer, 0, sizeof(*answer));
    if (!base) {
        error_set(err, errlen, "no auth_url or url set");
        goto out;
    }
    if (!url_join(base, aksk ? TOKEN_SERVICE_AKSK_PATH : TOKEN_SERVICE_PASSWORD_PATH, &url, why,
                  sizeof(why))) {
        error_set(err, errlen, "token service URL: %s", why);
        goto out;
    }
    header(&h[0], "user", creds->user);
    if (aksk) {
        snprintf(timestamp, sizeof(timestamp), "%" PRId64, (int64_t)time(NULL));
        if (!aksk_signature(creds->secret_key, creds->access_key, timestamp, creds->user,
                            signature)) {
            error_set(err, errlen, "out of memory");
            goto out;
        }
        header(&h[1], "accessKey", creds->access_key);
        header(&h[2], "timestamp", timestamp);
        header(&h_sig, "signature", signature);
    } else {
        header(&h[1], "password", creds->password);
        header(&h[2], "orgId", creds->org_id);
    }
    if (h[0].failed || h[1].failed || h[2].failed || h_sig.failed) {
        error_set(err, errlen, "out of memory");
        goto out;
    }
    timeout_ms = deadline_left_ms(deadline_ms);
    if (timeout_ms <= 0) {
        error_set(err, errlen, "token service: no time left");
        goto out;
    }
    {
        const char *headers[] = {h[0].data,
                                 h[1].data,
                                 h[2].data,
                                 "Content-Type: application/json",
                                 "Accept: application/json",
                                 aksk ? h_sig.data : NULL,
                                 NULL};
        struct http_request req = {
            .method = "POST",
            .url = url,
            .headers = headers,
            .timeout_ms = timeout_ms,
            .cafile = cfg->cafile,
            .proxy = cfg->proxy,
            .helper = cfg->helper,
            .answer = HTTP_ANSWER_TOKEN,
            .cluster = cfg->cluster,
        };
        scnet_debug(log, "token: POST %s timeout_ms=%ld", url, timeout_ms);
        hr = http_perform(&req, &resp, why, sizeof(why));
    }
    if (hr == HTTP_TIMEOUT) {
        error_set(err, errlen, "token service: timeout after %ld ms", timeout_ms);
        goto out;
    }
    if (hr != HTTP_OK) {
        error_set(err, errlen, "token service: %s", why);
        goto out;
    }
    if (resp.status != 200) {
        /* The URL tells a wrong auth_url (404) from a failing service; the secrets are
         * in the headers, never in it. */
        http_status_error(resp.status, url, why, sizeof(why));
        error_set(err, errlen, "token service: %s", why);
        goto out;
    }
    /* The helper parsed the reply (token_reply_pick, jwt_expire_ms): fixed fields here. */
    answer_text_get_token(resp.body, resp.body_len, answer);
    if (answer->pick == TOKEN_PICK_MALFORMED) {
        error_set(err, errlen, "token service: bad reply: %s", answer->why);
        goto out;
    }
    if (answer->pick == TOKEN_PICK_REFUSED) {
        error_set(err, errlen, "%s", answer->why);
        goto out;
    }
    ok = true;
out:
    for (size_t i = 0; i < 3; i++)
        strbuf_wipe(&h[i]);
    strbuf_wipe(&h_sig);
    explicit_bzero(signature, sizeof(signature));
    if (resp.body)
        explicit_bzero(resp.body, resp.body_len);
    http_response_free(&resp);
    free(url);
    if (!ok)
        answer_token_free(answer);
    return ok;
}
