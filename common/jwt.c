/* The JWT payload is decoded only to learn when to renew: nothing is trusted from it beyond
 * a number, and a token we cannot read simply falls back to token_ttl. */
#include "jwt.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"

/* Far beyond any real date (year 33,658), and every whole number up to it and just above it
 * is exact in a double, so a larger claim cannot round down into range. */
#define JWT_EXPIRE_MAX 1e15

static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decode len base64url characters (no padding, as RFC 7515 writes them) into out, which has
 * room for len * 3 / 4 + 1 bytes; NUL-terminates. False on a bad character or length. */
static bool b64url_decode(const char *in, size_t len, unsigned char *out, size_t *out_len)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t n = 0;

    /* One leftover character carries only 6 bits: no whole byte, so no valid encoding. */
    if (len % 4 == 1)
        return false;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value((unsigned char)in[i]);
        if (v < 0)
            return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    out[n] = '\0';
    *out_len = n;
    return true;
}

static bool fail(char *why, size_t whylen, const char *reason)
{
    snprintf(why, whylen, "%s", reason);
    return false;
}

/* A whole number 1..JWT_EXPIRE_MAX from a JSON number or a string of 1 to 16 digits. */
static bool claim_value(const cJSON *item, double *value)
{
    double v;

    if (cJSON_IsNumber(item)) {
        v = item->valuedouble;
    } else if (cJSON_IsString(item)) {
        const char *s = item->valuestring;
        size_t len = strlen(s);
        if (len == 0 || len > 16 || strspn(s, "0123456789") != len)
            return false;
        v = 0;
        for (; *s; s++)
            v = v * 10 + (*s - '0');
    } else {
        return false;
    }
    if (!isfinite(v) || v != floor(v) || v < 1 || v > JWT_EXPIRE_MAX)
        return false;
    *value = v;
    return true;
}

bool jwt_expire_ms(const char *token, int64_t *expire_ms, char *why, size_t whylen)
{
    const char *dot1, *dot2, *payload;
    size_t len, payload_len, decoded_len = 0;
    unsigned char *decoded = NULL;
    cJSON *root = NULL;
    const cJSON *claim;
    double value;
    bool ok = false;

    *expire_ms = 0;
    len = strnlen(token, JWT_MAX_LEN + 1);
    if (len > JWT_MAX_LEN)
        return fail(why, whylen, "longer than a JWT we read");
    dot1 = strchr(token, '.');
    dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || strchr(dot2 + 1, '.'))
        return fail(why, whylen, "not a JWT (three dot-separated parts)");
    if (dot1 == token || dot2 == dot1 + 1 || dot2[1] == '\0')
        return fail(why, whylen, "not a JWT (an empty part)");
    payload = dot1 + 1;
    payload_len = (size_t)(dot2 - payload);
    decoded = malloc(payload_len * 3 / 4 + 1);
    if (!decoded)
        return fail(why, whylen, "out of memory");
    if (!b64url_decode(payload, payload_len, decoded, &decoded_len)) {
        fail(why, whylen, "JWT payload is not base64url");
        goto out;
    }
    if (memchr(decoded, '\0', decoded_len)) {
        fail(why, whylen, "JWT payload holds a NUL byte");
        goto out;
    }
    /* decoded is NUL-terminated and holds no other NUL (checked above). */
    root = cJSON_ParseWithOpts((const char *)decoded, NULL, true);
    if (!root || !cJSON_IsObject(root)) {
        fail(why, whylen, "JWT payload is not a JSON object");
        goto out;
    }
    claim = cJSON_GetObjectItemCaseSensitive(root, "expireTime");
    if (!claim) {
        fail(why, whylen, "JWT has no expireTime");
        goto out;
    }
    if (!claim_value(claim, &value)) {
        fail(why, whylen, "JWT expireTime is not a whole number of milliseconds");
        goto out;
    }
    *expire_ms = (int64_t)value;
    ok = true;
out:
    cJSON_Delete(root);
    if (decoded) {
        /* The payload names the account; cheap to wipe. */
        explicit_bzero(decoded, payload_len * 3 / 4 + 1);
        free(decoded);
    }
    return ok;
}
