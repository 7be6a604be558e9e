/* Picking the region's token from the token service's JSON reply (token_reply_pick). Part of
 * scnet_parsers (cJSON): the network helper and the tools link it, the module never does. */
#include "token_service.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "log.h"
#include "quota_reply.h"
#include "text.h"
#include "token.h"

#define REPLY_MAX_STRING 4096
#define SERVER_TEXT_SHOWN 120
#define REGION_ID_MAX 32

/* The code or clusterId as text: a string as is (bounded), an integer printed. */
static bool id_text(const cJSON *item, char *out, size_t outlen)
{
    if (cJSON_IsString(item)) {
        size_t len = strlen(item->valuestring);
        if (len == 0 || len >= outlen)
            return false;
        memcpy(out, item->valuestring, len + 1);
        return true;
    }
    if (cJSON_IsNumber(item)) {
        double v = item->valuedouble;
        if (!isfinite(v) || v != floor(v) || fabs(v) >= 1e15)
            return false;
        snprintf(out, outlen, "%.0f", v == 0 ? 0.0 : v);
        return true;
    }
    return false;
}

/* Server text made safe for a log line; caller frees; NULL only when out of memory. */
static char *shown(const char *s)
{
    return text_sanitize(s ? s : "", SERVER_TEXT_SHOWN);
}

struct region {
    char id[REGION_ID_MAX];
    const char *name;  /* NULL when the entry has none */
    const char *token; /* NULL for a JSON null */
};

static bool token_is_sendable(const char *token)
{
    size_t len = strlen(token);

    if (len == 0 || len > TOKEN_MAX_LEN)
        return false;
    for (const char *p = token; *p; p++)
        if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
            return false;
    return true;
}

static bool parse_region(const cJSON *obj, size_t index, struct region *r, char *err, size_t errlen)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, "clusterId");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(obj, "clusterName");
    const cJSON *token = cJSON_GetObjectItemCaseSensitive(obj, "token");

    memset(r, 0, sizeof(*r));
    if (!cJSON_IsObject(obj)) {
        error_set(err, errlen, "data[%zu] is not an object", index);
        return false;
    }
    if (!id || !id_text(id, r->id, sizeof(r->id))) {
        error_set(err, errlen, "data[%zu].clusterId is %s", index,
                  id ? "not a short string or an integer" : "missing");
        return false;
    }
    if (name && !cJSON_IsNull(name)) {
        if (!cJSON_IsString(name) || strlen(name->valuestring) > REPLY_MAX_STRING) {
            error_set(err, errlen, "data[%zu].clusterName is not a string", index);
            return false;
        }
        r->name = name->valuestring;
    }
    if (!token) {
        error_set(err, errlen, "data[%zu].token is missing", index);
        return false;
    }
    if (!cJSON_IsNull(token)) {
        if (!cJSON_IsString(token) || !token_is_sendable(token->valuestring)) {
            /* Never quoted: it may be a real token with one bad byte. */
            error_set(err, errlen,
                      "data[%zu].token is not a string of 1 to %d printable ASCII characters",
                      index, TOKEN_MAX_LEN);
            return false;
        }
        r->token = token->valuestring;
    }
    return true;
}

/* The reply holds every region's token: wipe them all before cJSON frees the strings. */
static void wipe_tokens(cJSON *root)
{
    const cJSON *data = root ? cJSON_GetObjectItemCaseSensitive(root, "data") : NULL;
    const cJSON *obj;

    if (!cJSON_IsArray(data))
        return;
    cJSON_ArrayForEach(obj, data)
    {
        const cJSON *token = cJSON_GetObjectItemCaseSensitive(obj, "token");
        if (cJSON_IsString(token))
            explicit_bzero(token->valuestring, strlen(token->valuestring));
    }
}

static bool is_platform(const struct region *r)
{
    return strcmp(r->id, "0") == 0 || (r->name && strcmp(r->name, "ac") == 0);
}

static bool region_matches(const struct region *r, const char *cluster)
{
    return strcmp(r->id, cluster) == 0 || (r->name && strcmp(r->name, cluster) == 0);
}

/* "hefei (11250)", or "11250" without a name; sanitised. */
static void region_label(const struct region *r, char *out, size_t outlen)
{
    char *name = r->name ? shown(r->name) : NULL;
    char *id = shown(r->id);

    if (name && *name)
        snprintf(out, outlen, "%s (%s)", name, id ? id : "?");
    else
        snprintf(out, outlen, "%s", id ? id : "?");
    free(name);
    free(id);
}

/* The labels of all entries (or only the regional ones), for an error message. */
static void list_labels(const struct region *regions, size_t n, bool regional_only, char *out,
                        size_t outlen)
{
    size_t used = 0;
    char label[300];

    out[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < outlen; i++) {
        if (regional_only && is_platform(&regions[i]))
            continue;
        region_label(&regions[i], label, sizeof(label));
        used += (size_t)snprintf(out + used, outlen - used, "%s%s", used ? ", " : "", label);
    }
    if (used == 0)
        snprintf(out, outlen, "none");
}

enum token_pick token_reply_pick(const char *body, size_t len, const char *cluster, char **token,
                                 char *region, size_t regionlen, char *err, size_t errlen)
{
    char *copy = NULL, code[REGION_ID_MAX], labels[512];
    cJSON *root = NULL;
    const cJSON *item, *data, *obj;
    struct region regions[TOKEN_REPLY_MAX_ENTRIES];
    const struct region *chosen = NULL;
    size_t n = 0;
    enum token_pick rc = TOKEN_PICK_MALFORMED;

    *token = NULL;
    if (regionlen > 0)
        region[0] = '\0';
    if (!body || len == 0) {
        error_set(err, errlen, "reply is empty");
        goto out;
    }
    if (memchr(body, '\0', len) || json_has_escaped_nul(body, len)) {
        error_set(err, errlen, "reply holds a NUL byte");
        goto out;
    }
    copy = malloc(len + 1);
    if (!copy) {
        error_set(err, errlen, "out of memory");
        goto out;
    }
    memcpy(copy, body, len);
    copy[len] = '\0';
    root = cJSON_ParseWithOpts(copy, NULL, true);
    if (!root || !cJSON_IsObject(root)) {
        error_set(err, errlen, "reply is not a JSON object");
        goto out;
    }
    item = cJSON_GetObjectItemCaseSensitive(root, "code");
    if (!item || !id_text(item, code, sizeof(code))) {
        error_set(err, errlen, "reply code is %s",
                  item ? "not a short string or an integer" : "missing");
        goto out;
    }
    if (strcmp(code, "0") != 0) {
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "msg");
        char *code_shown = shown(code);
        char *msg_shown = cJSON_IsString(msg) ? shown(msg->valuestring) : NULL;
        error_set(err, errlen, "token service refused: code %s (%s)%s%s%s",
                  code_shown ? code_shown : "?", api_code_meaning(code),
                  msg_shown && *msg_shown ? ": \"" : "", msg_shown && *msg_shown ? msg_shown : "",
                  msg_shown && *msg_shown ? "\"" : "");
        free(code_shown);
        free(msg_shown);
        rc = TOKEN_PICK_REFUSED;
        goto out;
    }
    data = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (!cJSON_IsArray(data)) {
        error_set(err, errlen, "reply data is %s", data ? "not an array" : "missing");
        goto out;
    }
    if (cJSON_GetArraySize(data) > TOKEN_REPLY_MAX_ENTRIES) {
        error_set(err, errlen, "reply data has more than %d entries", TOKEN_REPLY_MAX_ENTRIES);
        goto out;
    }
    cJSON_ArrayForEach(obj, data)
    {
        if (!parse_region(obj, n, &regions[n], err, errlen))
            goto out;
        n++;
    }
    if (cluster && *cluster) {
        for (size_t i = 0; i < n && !chosen; i++)
            if (region_matches(&regions[i], cluster))
                chosen = &regions[i];
        if (!chosen) {
            char *wanted = shown(cluster);
            list_labels(regions, n, false, labels, sizeof(labels));
            error_set(err, errlen, "no region '%s' in the token service's reply (it offers: %s)",
                      wanted ? wanted : "?", labels);
            free(wanted);
            rc = TOKEN_PICK_REFUSED;
            goto out;
        }
        if (!chosen->token) {
            region_label(chosen, labels, sizeof(labels));
            error_set(err, errlen, "account suspended: no token for region %s", labels);
            rc = TOKEN_PICK_REFUSED;
            goto out;
        }
    } else {
        bool any_regional = false;
        for (size_t i = 0; i < n && !chosen; i++) {
            if (is_platform(&regions[i]))
                continue;
            any_regional = true;
            if (regions[i].token)
                chosen = &regions[i];
        }
        if (!chosen) {
            if (any_regional) {
                list_labels(regions, n, true, labels, sizeof(labels));
                error_set(err, errlen, "account suspended: no token for region %s", labels);
            } else {
                error_set(err, errlen,
                          "the token service offered no regional token (only the "
                          "platform entry, which the quota API does not take)");
            }
            rc = TOKEN_PICK_REFUSED;
            goto out;
        }
    }
    *token = strdup(chosen->token);
    if (!*token) {
        error_set(err, errlen, "out of memory");
        goto out;
    }
    region_label(chosen, region, regionlen);
    rc = TOKEN_PICK_OK;
out:
    wipe_tokens(root);
    cJSON_Delete(root);
    if (copy) {
        explicit_bzero(copy, len);
        free(copy);
    }
    return rc;
}
