/* Parsing the quota API's JSON reply, strictly: anything unexpected is REPLY_MALFORMED. Part of
 * scnet_parsers (cJSON): the network helper and the tools link it, the module never does. */
#include "quota_reply.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* cJSON decodes "\u0000" into a NUL byte, which would silently cut the C string short
 * ("alice\u0000x" would read as "alice"). In valid JSON a backslash only occurs inside a
 * string and always starts an escape, so walking escape pairs finds every \u0000. */
bool json_has_escaped_nul(const char *body, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (body[i] != '\\')
            continue;
        if (body[i + 1] == 'u' && i + 6 <= len && memcmp(body + i + 2, "0000", 4) == 0)
            return true;
        i++; /* skip the escaped character, so "\\u0000" (a literal backslash) is fine */
    }
    return false;
}

/* A numeric string must be a plain decimal number in JSON's grammar (leading zeros allowed):
 * no spaces, no sign other than '-', no hex, no "inf"/"nan". */
static bool is_decimal_text(const char *s)
{
    const char *p = s;

    if (*p == '-')
        p++;
    if (*p < '0' || *p > '9')
        return false;
    while (*p >= '0' && *p <= '9')
        p++;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

/* Convert checked decimal text with cJSON rather than strtod, because strtod follows the
 * process locale (a decimal comma under su with LC_NUMERIC=de_DE) and cJSON copes with it. */
static bool decimal_text_value(const char *s, double *value)
{
    bool ok = false;
    cJSON *num = cJSON_ParseWithOpts(s, NULL, true);

    if (num != NULL && cJSON_IsNumber(num)) {
        *value = num->valuedouble;
        ok = true;
    }
    cJSON_Delete(num);
    return ok;
}

enum field_result { FIELD_OK, FIELD_MISSING, FIELD_BAD };

/* Read a non-negative finite number given as a JSON number or a numeric string. JSON null
 * counts as missing. On FIELD_BAD writes "<where>.<name> ..." into err. */
static enum field_result get_number(const cJSON *obj, const char *name, const char *where,
                                    double *value, char *err, size_t errlen)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    double v = 0;

    if (item == NULL || cJSON_IsNull(item))
        return FIELD_MISSING;
    if (cJSON_IsNumber(item)) {
        v = item->valuedouble;
    } else if (cJSON_IsString(item)) {
        if (strlen(item->valuestring) > QUOTA_MAX_STRING) {
            error_set(err, errlen, "%s.%s is longer than %d bytes", where, name, QUOTA_MAX_STRING);
            return FIELD_BAD;
        }
        if (!is_decimal_text(item->valuestring) || !decimal_text_value(item->valuestring, &v)) {
            error_set(err, errlen, "%s.%s is not a number", where, name);
            return FIELD_BAD;
        }
    } else {
        error_set(err, errlen, "%s.%s is not a number", where, name);
        return FIELD_BAD;
    }
    /* cJSON turns 1e400 into infinity; a percentage of that means nothing. */
    if (!isfinite(v)) {
        error_set(err, errlen, "%s.%s is not a finite number", where, name);
        return FIELD_BAD;
    }
    if (v < 0) {
        error_set(err, errlen, "%s.%s is negative", where, name);
        return FIELD_BAD;
    }
    *value = v;
    return FIELD_OK;
}

/* Copy a string field (at most QUOTA_MAX_STRING bytes). Null counts as missing. On FIELD_OK
 * *out is set, NULL only when strdup failed (reported as FIELD_BAD). */
static enum field_result get_string(const cJSON *obj, const char *name, const char *where,
                                    char **out, char *err, size_t errlen)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (item == NULL || cJSON_IsNull(item))
        return FIELD_MISSING;
    if (!cJSON_IsString(item)) {
        error_set(err, errlen, "%s%s%s is not a string", where, *where ? "." : "", name);
        return FIELD_BAD;
    }
    if (strlen(item->valuestring) > QUOTA_MAX_STRING) {
        error_set(err, errlen, "%s%s%s is longer than %d bytes", where, *where ? "." : "", name,
                  QUOTA_MAX_STRING);
        return FIELD_BAD;
    }
    *out = strdup(item->valuestring);
    if (*out == NULL) {
        error_set(err, errlen, "out of memory");
        return FIELD_BAD;
    }
    return FIELD_OK;
}

/* The code as text: a string is kept as is, an integer is printed; "0" means success. */
static bool get_code(const cJSON *root, char **code, char *err, size_t errlen)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "code");
    char buf[32];

    if (item == NULL || cJSON_IsNull(item)) {
        error_set(err, errlen, "code is missing");
        return false;
    }
    if (cJSON_IsNumber(item)) {
        double v = item->valuedouble;
        /* 1e15 keeps every integer exact and the text short. */
        if (!isfinite(v) || v != floor(v) || fabs(v) >= 1e15) {
            error_set(err, errlen, "code is not an integer");
            return false;
        }
        snprintf(buf, sizeof(buf), "%.0f", v == 0 ? 0.0 : v); /* no "-0" */
        *code = strdup(buf);
    } else if (cJSON_IsString(item)) {
        if (item->valuestring[0] == '\0') {
            error_set(err, errlen, "code is empty");
            return false;
        }
        if (strlen(item->valuestring) > QUOTA_MAX_STRING) {
            error_set(err, errlen, "code is longer than %d bytes", QUOTA_MAX_STRING);
            return false;
        }
        *code = strdup(item->valuestring);
    } else {
        error_set(err, errlen, "code is not a string or an integer");
        return false;
    }
    if (*code == NULL) {
        error_set(err, errlen, "out of memory");
        return false;
    }
    return true;
}

static bool parse_entry(const cJSON *obj, size_t index, struct quota_entry *entry, char *err,
                        size_t errlen)
{
    char where[32];
    enum field_result r;

    snprintf(where, sizeof(where), "data[%zu]", index);
    if (!cJSON_IsObject(obj)) {
        error_set(err, errlen, "%s is not an object", where);
        return false;
    }

    r = get_string(obj, "username", where, &entry->username, err, errlen);
    if (r == FIELD_MISSING)
        error_set(err, errlen, "%s.username is missing", where);
    if (r != FIELD_OK)
        return false;

    r = get_string(obj, "path", where, &entry->path, err, errlen);
    if (r == FIELD_MISSING)
        error_set(err, errlen, "%s.path is missing", where);
    if (r != FIELD_OK)
        return false;

    r = get_number(obj, "usage", where, &entry->usage, err, errlen);
    if (r == FIELD_MISSING)
        error_set(err, errlen, "%s.usage is missing", where);
    if (r != FIELD_OK)
        return false;

    /* No threshold, or 0, is how the API says "no quota set". */
    r = get_number(obj, "threshold", where, &entry->threshold, err, errlen);
    if (r == FIELD_BAD)
        return false;
    entry->has_limit = r == FIELD_OK && entry->threshold > 0;
    if (!entry->has_limit)
        entry->threshold = 0;
    return true;
}

enum reply_status quota_reply_parse(const char *body, size_t len, struct quota_reply *reply,
                                    char *err, size_t errlen)
{
    enum reply_status rc = REPLY_MALFORMED;
    char *copy = NULL;
    cJSON *root = NULL;
    const cJSON *data = NULL;
    const cJSON *obj = NULL;
    int n = 0;

    memset(reply, 0, sizeof(*reply));
    error_set(err, errlen, "%s", "");

    if (body == NULL || len == 0) {
        error_set(err, errlen, "reply is empty");
        goto cleanup;
    }
    if (memchr(body, '\0', len) != NULL) {
        error_set(err, errlen, "reply holds a NUL byte");
        goto cleanup;
    }
    if (json_has_escaped_nul(body, len)) {
        error_set(err, errlen, "reply holds an escaped NUL (\\u0000)");
        goto cleanup;
    }
    /* cJSON parses up to the NUL, and require_null_terminated rejects anything after the
     * value: the body need not have a NUL, so parse a terminated copy (it holds no other). */
    copy = malloc(len + 1);
    if (copy == NULL) {
        error_set(err, errlen, "out of memory");
        goto cleanup;
    }
    memcpy(copy, body, len);
    copy[len] = '\0';
    root = cJSON_ParseWithOpts(copy, NULL, true);
    if (root == NULL) {
        error_set(err, errlen, "reply is not valid JSON");
        goto cleanup;
    }
    if (!cJSON_IsObject(root)) {
        error_set(err, errlen, "reply is not a JSON object");
        goto cleanup;
    }

    if (!get_code(root, &reply->code, err, errlen))
        goto cleanup;
    if (get_string(root, "msg", "", &reply->msg, err, errlen) == FIELD_BAD)
        goto cleanup;

    if (strcmp(reply->code, "0") != 0) {
        /* An error reply need not carry data; whatever it holds is not used. */
        rc = REPLY_API_ERROR;
        goto cleanup;
    }

    data = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (data == NULL || cJSON_IsNull(data)) {
        error_set(err, errlen, "data is missing");
        goto cleanup;
    }
    if (!cJSON_IsArray(data)) {
        error_set(err, errlen, "data is not an array");
        goto cleanup;
    }
    n = cJSON_GetArraySize(data);
    if (n > QUOTA_MAX_ENTRIES) {
        error_set(err, errlen, "data has more than %d entries", QUOTA_MAX_ENTRIES);
        goto cleanup;
    }
    if (n > 0) {
        reply->entries = calloc((size_t)n, sizeof(*reply->entries));
        if (reply->entries == NULL) {
            error_set(err, errlen, "out of memory");
            goto cleanup;
        }
    }
    cJSON_ArrayForEach(obj, data)
    {
        /* count grows entry by entry so quota_reply_free releases a half-filled array. */
        struct quota_entry *entry = &reply->entries[reply->count];
        reply->count++;
        if (!parse_entry(obj, reply->count - 1, entry, err, errlen))
            goto cleanup;
    }
    rc = REPLY_OK;

cleanup:
    if (rc == REPLY_MALFORMED)
        quota_reply_free(reply);
    cJSON_Delete(root);
    free(copy);
    return rc;
}
