/* A growable, always NUL-terminated string. */
#include "strbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"

#define STRBUF_MIN_CAP 64

/* Make room for extra more bytes plus the NUL. Growth copies into a fresh block and wipes
 * the old one rather than using realloc, because buffers may hold secrets (request headers)
 * and realloc would leave a stale copy in freed memory. */
static bool strbuf_reserve(struct strbuf *sb, size_t extra)
{
    if (sb->failed)
        return false;
    if (extra > SIZE_MAX - 1 - sb->len) {
        sb->failed = true;
        return false;
    }
    size_t need = sb->len + extra + 1;
    if (sb->data != NULL && need <= sb->cap)
        return true;

    size_t cap = sb->cap < STRBUF_MIN_CAP ? STRBUF_MIN_CAP : sb->cap;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    char *data = malloc(cap);
    if (data == NULL) {
        sb->failed = true;
        return false;
    }
    if (sb->data != NULL) {
        memcpy(data, sb->data, sb->len + 1);
        explicit_bzero(sb->data, sb->cap);
        free(sb->data);
    } else {
        data[0] = '\0';
    }
    sb->data = data;
    sb->cap = cap;
    return true;
}

void strbuf_append(struct strbuf *sb, const char *s, size_t len)
{
    if (!strbuf_reserve(sb, len))
        return;
    if (len > 0)
        memcpy(sb->data + sb->len, s, len);
    sb->len += len;
    sb->data[sb->len] = '\0';
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;

    /* Make sure there is a buffer so the first attempt can often format in place. */
    if (!strbuf_reserve(sb, 0))
        return;

    va_start(ap, fmt);
    int n = vsnprintf(sb->data + sb->len, sb->cap - sb->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        /* The text would be incomplete: say so, and keep what was there before. */
        sb->data[sb->len] = '\0';
        sb->failed = true;
        return;
    }
    if ((size_t)n < sb->cap - sb->len) {
        sb->len += (size_t)n;
        return;
    }

    /* Did not fit: the partial output is ignored (len unchanged), grow and format again. */
    sb->data[sb->len] = '\0';
    if (!strbuf_reserve(sb, (size_t)n))
        return;
    va_start(ap, fmt);
    n = vsnprintf(sb->data + sb->len, sb->cap - sb->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sb->cap - sb->len) {
        sb->data[sb->len] = '\0';
        sb->failed = true;
        return;
    }
    sb->len += (size_t)n;
}

static bool kv_needs_quotes(const char *value)
{
    if (*value == '\0')
        return true;
    for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
        /* Control bytes too: a user name with a newline must not start a fake log line. */
        if (*p <= ' ' || *p == 0x7f || *p == '"' || *p == '=')
            return true;
    }
    return false;
}

void strbuf_kv(struct strbuf *sb, const char *key, const char *value)
{
    if (value == NULL)
        value = "";
    if (sb->len > 0)
        strbuf_append(sb, " ", 1);
    strbuf_append(sb, key, strlen(key));
    strbuf_append(sb, "=", 1);
    if (!kv_needs_quotes(value)) {
        strbuf_append(sb, value, strlen(value));
        return;
    }

    strbuf_append(sb, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
        switch (*p) {
        case '"':
            strbuf_append(sb, "\\\"", 2);
            break;
        case '\\':
            strbuf_append(sb, "\\\\", 2);
            break;
        case '\n':
            strbuf_append(sb, "\\n", 2);
            break;
        case '\r':
            strbuf_append(sb, "\\r", 2);
            break;
        case '\t':
            strbuf_append(sb, "\\t", 2);
            break;
        default:
            if (*p < ' ' || *p == 0x7f)
                strbuf_printf(sb, "\\x%02x", *p);
            else
                strbuf_append(sb, (const char *)p, 1);
            break;
        }
    }
    strbuf_append(sb, "\"", 1);
}

char *strbuf_take(struct strbuf *sb)
{
    char *text = NULL;

    if (sb->failed) {
        /* Half a message is worse than none; the caller treats NULL as out of memory. */
        strbuf_wipe(sb);
        return NULL;
    }
    if (sb->data == NULL) {
        text = strdup("");
    } else {
        text = sb->data;
    }
    sb->data = NULL;
    sb->len = 0;
    sb->cap = 0;
    sb->failed = false;
    return text;
}

void strbuf_wipe(struct strbuf *sb)
{
    if (sb->data != NULL) {
        explicit_bzero(sb->data, sb->cap);
        free(sb->data);
    }
    sb->data = NULL;
    sb->len = 0;
    sb->cap = 0;
    sb->failed = false;
}

void strbuf_free(struct strbuf *sb)
{
    free(sb->data);
    sb->data = NULL;
    sb->len = 0;
    sb->cap = 0;
    sb->failed = false;
}
