/* The helper's answers as fixed fields: see answer_text.h. No cJSON here: the module reads it. */
#include "answer_text.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "token.h"

#define MAGIC "scnet-answer "
#define TOKEN_EXPIRE_MAX 1000000000000000LL /* jwt.c's bound: 10^15 ms */

static const char *const quota_status[] = {"ok", "api-error", "malformed"};
static const char *const pick_status[] = {"ok", "refused", "malformed"};

static bool must_escape(unsigned char c)
{
    return c <= 0x20 || c == 0x7f || c == '%';
}

/* " =<escaped>" or " -" (NULL), after name. */
static void put_str(struct strbuf *out, const char *name, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    strbuf_printf(out, "%s%s", name, s ? "=" : "-");
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[3] = {'%', hex[c >> 4], hex[c & 15]};

        if (must_escape(c))
            strbuf_append(out, esc, 3);
        else
            strbuf_append(out, s, 1);
    }
}

static uint64_t bits_of(double v)
{
    uint64_t bits;

    memcpy(&bits, &v, sizeof(bits));
    return bits;
}

static bool figure_ok(double v)
{
    return v == v && v >= 0 && v <= 1.7976931348623157e308 && (bits_of(v) >> 63) == 0;
}

static bool entry_ok(const struct quota_entry *e)
{
    return figure_ok(e->usage) && figure_ok(e->threshold) &&
           (e->has_limit ? e->threshold > 0 : e->threshold == 0);
}

static bool string_ok(const char *s, size_t max)
{
    return s == NULL || strlen(s) <= max;
}

bool answer_text_put_quota(struct strbuf *out, enum reply_status rs,
                           const struct quota_reply *reply, const char *why)
{
    size_t start = out->len;
    bool ok = (unsigned)rs <= REPLY_MALFORMED;

    if (ok && rs != REPLY_MALFORMED)
        ok = reply->code != NULL && (strcmp(reply->code, "0") == 0) == (rs == REPLY_OK) &&
             string_ok(reply->code, QUOTA_MAX_STRING) && string_ok(reply->msg, QUOTA_MAX_STRING) &&
             (rs == REPLY_API_ERROR || reply->count <= QUOTA_MAX_ENTRIES);
    for (size_t i = 0; ok && rs == REPLY_OK && i < reply->count; i++)
        ok = entry_ok(&reply->entries[i]) &&
             string_ok(reply->entries[i].username, QUOTA_MAX_STRING) &&
             string_ok(reply->entries[i].path, QUOTA_MAX_STRING);
    if (!ok)
        return false;
    strbuf_printf(out, MAGIC "quota %s\n", quota_status[rs]);
    if (rs == REPLY_MALFORMED) {
        char shown[ANSWER_WHY_MAX + 1];

        error_set(shown, sizeof(shown), "%s", why ? why : "");
        put_str(out, "why ", shown);
    } else {
        put_str(out, "code ", reply->code);
        if (reply->msg) {
            strbuf_append(out, "\n", 1);
            put_str(out, "msg ", reply->msg);
        }
    }
    strbuf_append(out, "\n", 1);
    for (size_t i = 0; rs == REPLY_OK && i < reply->count; i++) {
        const struct quota_entry *e = &reply->entries[i];

        strbuf_printf(out, "entry %016" PRIx64 " %016" PRIx64 " %d", bits_of(e->usage),
                      bits_of(e->threshold), e->has_limit ? 1 : 0);
        put_str(out, " ", e->username);
        put_str(out, " ", e->path);
        strbuf_append(out, "\n", 1);
    }
    strbuf_append(out, "end\n", 4);
    if (out->failed) {
        out->len = start;
        return false;
    }
    return true;
}

/* The text being read, line by line. */
struct reader {
    const char *p, *end;
    const char *line; /* the current line, without its '\n' */
    size_t len;
    size_t number;
};

static bool next_line(struct reader *r)
{
    const char *nl = r->p < r->end ? memchr(r->p, '\n', (size_t)(r->end - r->p)) : NULL;

    if (nl == NULL)
        return false;
    r->line = r->p;
    r->len = (size_t)(nl - r->p);
    r->p = nl + 1;
    r->number++;
    return true;
}

static bool line_is(const struct reader *r, const char *text)
{
    return r->len == strlen(text) && memcmp(r->line, text, r->len) == 0;
}

/* Whether the line starts with name (e.g. "code "); *rest is what follows. */
static bool line_has(const struct reader *r, const char *name, const char **rest, size_t *restlen)
{
    size_t n = strlen(name);

    if (r->len < n || memcmp(r->line, name, n) != 0)
        return false;
    *rest = r->line + n;
    *restlen = r->len - n;
    return true;
}

static int hex_digit(char c, bool upper)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (upper && c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (!upper && c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* A string word (s, n bytes) into a new string (*out, NULL for "-"), at most max bytes. */
static bool get_str(const char *s, size_t n, size_t max, char **out)
{
    char *d;
    size_t used = 0;

    *out = NULL;
    if (n == 1 && s[0] == '-')
        return true;
    if (n == 0 || s[0] != '=')
        return false;
    d = malloc(n);
    if (d == NULL)
        return false;
    for (size_t i = 1; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '%') {
            int hi = i + 2 < n ? hex_digit(s[i + 1], true) : -1;
            int lo = hi >= 0 ? hex_digit(s[i + 2], true) : -1;

            /* Only what must be escaped is, and never a NUL. */
            if (lo < 0 || !must_escape((unsigned char)(hi << 4 | lo)) || (hi | lo) == 0)
                goto bad;
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        } else if (must_escape(c)) {
            goto bad;
        }
        if (used == max)
            goto bad;
        d[used++] = (char)c;
    }
    d[used] = '\0';
    *out = d;
    return true;
bad:
    free(d);
    return false;
}

/* The next space-separated word of *s (n bytes left). */
static bool get_word(const char **s, size_t *n, const char **word, size_t *wlen)
{
    const char *sp = memchr(*s, ' ', *n);
    size_t len = sp ? (size_t)(sp - *s) : *n;

    if (*n == 0)
        return false;
    *word = *s;
    *wlen = len;
    *s += sp ? len + 1 : len;
    *n -= sp ? len + 1 : len;
    return len > 0 && !(sp && *n == 0); /* no empty word, no trailing space */
}

static bool get_figure(const char *w, size_t n, double *v)
{
    uint64_t bits = 0;

    if (n != 16)
        return false;
    for (size_t i = 0; i < 16; i++) {
        int d = hex_digit(w[i], false);

        if (d < 0)
            return false;
        bits = bits << 4 | (uint64_t)d;
    }
    memcpy(v, &bits, sizeof(*v));
    return figure_ok(*v);
}

static bool get_entry(const char *s, size_t n, struct quota_entry *e)
{
    const char *w;
    size_t wn;

    if (!get_word(&s, &n, &w, &wn) || !get_figure(w, wn, &e->usage) || !get_word(&s, &n, &w, &wn) ||
        !get_figure(w, wn, &e->threshold) || !get_word(&s, &n, &w, &wn) || wn != 1 ||
        (w[0] != '0' && w[0] != '1'))
        return false;
    e->has_limit = w[0] == '1';
    if (!entry_ok(e) || !get_word(&s, &n, &w, &wn) ||
        !get_str(w, wn, QUOTA_MAX_STRING, &e->username) || !get_word(&s, &n, &w, &wn) ||
        !get_str(w, wn, QUOTA_MAX_STRING, &e->path))
        return false;
    return n == 0;
}

/* A "name =<s>" line into *out; a missing string ("-") only where may_miss. */
static bool get_named(const struct reader *r, const char *name, size_t max, bool may_miss,
                      char **out)
{
    const char *rest;
    size_t n;

    *out = NULL;
    if (!line_has(r, name, &rest, &n) || !get_str(rest, n, max, out))
        return false;
    return *out != NULL || may_miss;
}

/* The status word of the first line ("scnet-answer <kind> <status>"): its index in names. */
static int get_status(struct reader *r, const char *kind, const char *const names[3])
{
    const char *rest;
    size_t n;

    if (!next_line(r) || !line_has(r, MAGIC, &rest, &n) || n <= strlen(kind) ||
        memcmp(rest, kind, strlen(kind)) != 0 || rest[strlen(kind)] != ' ')
        return -1;
    rest += strlen(kind) + 1;
    n -= strlen(kind) + 1;
    for (int i = 0; i < 3; i++)
        if (n == strlen(names[i]) && memcmp(rest, names[i], n) == 0)
            return i;
    return -1;
}

static bool text_usable(const char *text, size_t len, char *err, size_t errlen)
{
    if (text == NULL || len == 0) {
        error_set(err, errlen, "the helper's answer is empty");
        return false;
    }
    if (memchr(text, '\0', len) != NULL) {
        error_set(err, errlen, "the helper's answer holds a NUL byte");
        return false;
    }
    return true;
}

/* The "end" line, and nothing after it. */
static bool at_end(struct reader *r)
{
    return line_is(r, "end") && r->p == r->end;
}

enum reply_status answer_text_get_quota(const char *text, size_t len, struct quota_reply *reply,
                                        char *err, size_t errlen)
{
    struct reader r = {.p = text, .end = text + len};
    char *why = NULL;
    int status;

    memset(reply, 0, sizeof(*reply));
    error_set(err, errlen, "%s", "");
    if (!text_usable(text, len, err, errlen))
        return REPLY_MALFORMED;
    status = get_status(&r, "quota", quota_status);
    if (status < 0)
        goto bad;
    if (status == REPLY_MALFORMED) {
        if (!next_line(&r) || !get_named(&r, "why ", ANSWER_WHY_MAX, false, &why) ||
            !next_line(&r) || !at_end(&r))
            goto bad;
        error_set(err, errlen, "%s", why);
        free(why);
        return REPLY_MALFORMED;
    }
    /* Code "0" is an answer, any other an API error (quota_reply_parse's rule). */
    if (!next_line(&r) || !get_named(&r, "code ", QUOTA_MAX_STRING, false, &reply->code) ||
        (strcmp(reply->code, "0") == 0) != (status == REPLY_OK) || !next_line(&r))
        goto bad;
    if (r.len >= 4 && memcmp(r.line, "msg ", 4) == 0 &&
        (!get_named(&r, "msg ", QUOTA_MAX_STRING, false, &reply->msg) || !next_line(&r)))
        goto bad;
    /* An error reply carries no entries; an answer at most QUOTA_MAX_ENTRIES. */
    while (status == REPLY_OK && r.len > 6 && memcmp(r.line, "entry ", 6) == 0) {
        struct quota_entry *grown;

        if (reply->count == QUOTA_MAX_ENTRIES)
            goto bad;
        grown = realloc(reply->entries, (reply->count + 1) * sizeof(*grown));
        if (grown == NULL)
            goto bad;
        reply->entries = grown;
        memset(&grown[reply->count], 0, sizeof(*grown));
        reply->count++; /* so that quota_reply_free releases a half-read entry */
        if (!get_entry(r.line + 6, r.len - 6, &grown[reply->count - 1]) || !next_line(&r))
            goto bad;
    }
    if (!at_end(&r))
        goto bad;
    return (enum reply_status)status;
bad:
    free(why);
    quota_reply_free(reply);
    error_set(err, errlen, "the helper's answer is not valid (line %zu)", r.number);
    return REPLY_MALFORMED;
}

bool answer_text_put_token(struct strbuf *out, const struct token_answer *a)
{
    size_t start = out->len;

    if ((unsigned)a->pick > TOKEN_PICK_MALFORMED ||
        (a->pick == TOKEN_PICK_OK &&
         (a->token == NULL || a->token[0] == '\0' || strlen(a->token) > TOKEN_MAX_LEN ||
          (a->has_expire && (a->expire_ms < 1 || a->expire_ms > TOKEN_EXPIRE_MAX)))))
        return false;
    strbuf_printf(out, MAGIC "token %s\n", pick_status[a->pick]);
    if (a->pick == TOKEN_PICK_OK) {
        put_str(out, "token ", a->token);
        put_str(out, "\nregion ", a->region);
        if (a->has_expire)
            strbuf_printf(out, "\nexpire %" PRId64, a->expire_ms);
        else
            put_str(out, "\nexpire-unknown ", a->why);
    } else {
        put_str(out, "why ", a->why);
    }
    strbuf_append(out, "\nend\n", 5);
    if (out->failed) {
        /* The token may have made it in: wipe what was appended. */
        if (out->data != NULL)
            explicit_bzero(out->data + start, out->len - start);
        out->len = start;
        return false;
    }
    return true;
}

/* A "name =<s>" line into buf (size bytes), never "-". */
static bool get_into(const struct reader *r, const char *name, char *buf, size_t size)
{
    char *s = NULL;
    bool ok = get_named(r, name, size - 1, false, &s);

    if (ok)
        memcpy(buf, s, strlen(s) + 1);
    free(s);
    return ok;
}

static bool get_expire(const struct reader *r, struct token_answer *a)
{
    const char *rest;
    size_t n;
    int64_t v = 0;

    if (!line_has(r, "expire ", &rest, &n))
        return get_into(r, "expire-unknown ", a->why, sizeof(a->why));
    if (n == 0 || n > 16 || rest[0] == '0')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (rest[i] < '0' || rest[i] > '9')
            return false;
        v = v * 10 + (rest[i] - '0');
    }
    if (v > TOKEN_EXPIRE_MAX)
        return false;
    a->has_expire = true;
    a->expire_ms = v;
    return true;
}

bool answer_text_get_token(const char *text, size_t len, struct token_answer *a)
{
    struct reader r = {.p = text, .end = text + len};
    int status;
    bool ok = false;

    memset(a, 0, sizeof(*a));
    if (!text_usable(text, len, a->why, sizeof(a->why)))
        goto out;
    status = get_status(&r, "token", pick_status);
    if (status < 0 || !next_line(&r))
        goto bad;
    if (status == TOKEN_PICK_OK) {
        if (!get_named(&r, "token ", TOKEN_MAX_LEN, false, &a->token) || a->token[0] == '\0' ||
            !next_line(&r) || !get_into(&r, "region ", a->region, sizeof(a->region)) ||
            !next_line(&r) || !get_expire(&r, a))
            goto bad;
    } else if (!get_into(&r, "why ", a->why, sizeof(a->why))) {
        goto bad;
    }
    if (!next_line(&r) || !at_end(&r))
        goto bad;
    a->pick = (enum token_pick)status;
    return true;
bad:
    answer_token_free(a);
    memset(a, 0, sizeof(*a));
    error_set(a->why, sizeof(a->why), "the helper's answer is not valid (line %zu)", r.number);
out:
    a->pick = TOKEN_PICK_MALFORMED;
    return ok;
}

void answer_token_free(struct token_answer *a)
{
    token_free(a->token);
    a->token = NULL;
}
