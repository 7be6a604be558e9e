/* The credentials file parser. Values are secrets: they are never copied into an error,
 * and every buffer that held one is wiped. */
#include "credentials.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "conf_line.h"
#include "safe_file.h"

struct field {
    const char *name;
    size_t offset;
    bool for_aksk;
    bool for_password;
    bool may_hold_space; /* a password may; the others are single tokens */
    bool signed_json;    /* copied into the signed JSON text: '"' and '\' are ambiguous */
};

#define FIELD(name, aksk, pw, space, json)                                                         \
    {                                                                                              \
#name, offsetof(struct credentials, name), aksk, pw, space, json                           \
    }

static const struct field fields[] = {
    FIELD(user, true, true, false, true),         FIELD(access_key, true, false, false, true),
    FIELD(secret_key, true, false, false, false), FIELD(password, false, true, true, false),
    FIELD(org_id, false, true, false, false),
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static char **field_ptr(struct credentials *creds, const struct field *f)
{
    return (char **)((char *)creds + f->offset);
}

void credentials_wipe(struct credentials *creds)
{
    for (size_t i = 0; i < NFIELDS; i++) {
        char **p = field_ptr(creds, &fields[i]);
        if (*p) {
            explicit_bzero(*p, strlen(*p));
            free(*p);
            *p = NULL;
        }
    }
}

/* Whether value may be sent as a header value (and signed, when f says so). */
static const char *value_problem(const struct field *f, const char *value, size_t len)
{
    if (len == 0)
        return "is empty";
    if (len > CREDENTIALS_MAX_VALUE)
        return "is longer than 1024 bytes";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c == ' ' && f->may_hold_space)
            continue;
        /* It goes into an HTTP header: no controls (header splitting), no non-ASCII (the
         * service's encoding of it is unknown), no blanks (servers trim them). */
        if (c < 0x21 || c > 0x7e)
            return f->may_hold_space ? "holds a control or non-ASCII character"
                                     : "holds a space, control or non-ASCII character";
        if (f->signed_json && (c == '"' || c == '\\'))
            return "holds '\"' or '\\', which the signed message cannot carry unambiguously";
    }
    return NULL;
}

static const struct field *find_field(const char *name, size_t len)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (strlen(fields[i].name) == len && memcmp(fields[i].name, name, len) == 0)
            return &fields[i];
    return NULL;
}

/* One line [line, end) without its '\n'. Returns false with the problem in err. */
static bool parse_line(const char *line, const char *end, struct credentials *creds, char *err,
                       size_t errlen)
{
    struct conf_line parts;
    const char *key_end, *value, *value_end;
    const struct field *f;
    const char *problem;
    char **dest;

    switch (conf_line_split(line, end, &parts)) {
    case CONF_LINE_EMPTY:
        return true;
    case CONF_LINE_NO_EQUALS:
        /* Not echoed: a line without '=' may well be a bare secret. */
        snprintf(err, errlen, "not a 'key = value' line");
        return false;
    case CONF_LINE_PAIR:
        break;
    }
    line = parts.key;
    key_end = parts.key + parts.key_len;
    f = find_field(line, (size_t)(key_end - line));
    if (!f) {
        /* A base64 secret with '=' padding also has an '=': echo only what looks like a
         * key name, never the start of a secret. */
        if (config_looks_like_key(line, (size_t)(key_end - line)))
            snprintf(err, errlen,
                     "unknown key '%.*s' (expected user, access_key, secret_key, password, "
                     "org_id)",
                     (int)(key_end - line), line);
        else
            snprintf(err, errlen, "not a 'key = value' line");
        return false;
    }
    dest = field_ptr(creds, f);
    if (*dest) {
        snprintf(err, errlen, "%s is given twice", f->name);
        return false;
    }
    value = parts.value;
    value_end = parts.value + parts.value_len;
    problem = value_problem(f, value, (size_t)(value_end - value));
    if (problem) {
        snprintf(err, errlen, "%s %s", f->name, problem);
        return false;
    }
    *dest = strndup(value, (size_t)(value_end - value));
    if (!*dest) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    return true;
}

bool credentials_parse(const char *text, size_t len, const char *path, enum scnet_auth auth,
                       struct credentials *creds, char *err, size_t errlen)
{
    const char *line = text, *end = text + len;
    unsigned line_no = 0;
    char problem[256];
    bool ok = false;

    memset(creds, 0, sizeof(*creds));
    if (auth != SCNET_AUTH_AKSK && auth != SCNET_AUTH_PASSWORD) {
        snprintf(err, errlen, "%s: not used with auth = token_file", path);
        goto out;
    }
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *line_end = nl ? nl : end;

        line_no++;
        if (memchr(line, '\0', (size_t)(line_end - line))) {
            snprintf(err, errlen, "%s:%u: line holds a NUL byte", path, line_no);
            goto out;
        }
        if (!parse_line(line, line_end, creds, problem, sizeof(problem))) {
            snprintf(err, errlen, "%s:%u: %s", path, line_no, problem);
            goto out;
        }
        line = nl ? nl + 1 : end;
    }
    for (size_t i = 0; i < NFIELDS; i++) {
        const struct field *f = &fields[i];
        bool needed = auth == SCNET_AUTH_AKSK ? f->for_aksk : f->for_password;
        if (needed && !*field_ptr(creds, f)) {
            snprintf(err, errlen, "%s: %s is missing (auth = %s needs user, %s)", path, f->name,
                     auth == SCNET_AUTH_AKSK ? "aksk" : "password",
                     auth == SCNET_AUTH_AKSK ? "access_key and secret_key" : "password and org_id");
            goto out;
        }
    }
    ok = true;
out:
    if (!ok)
        credentials_wipe(creds);
    explicit_bzero(problem, sizeof(problem));
    return ok;
}

bool credentials_load(const char *path, uid_t owner, enum scnet_auth auth,
                      struct credentials *creds, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    bool ok;

    memset(creds, 0, sizeof(*creds));
    ok = safe_file_read(path, SAFE_FILE_SECRET, owner, CREDENTIALS_MAX_SIZE, &text, &len, NULL, err,
                        errlen) &&
         credentials_parse(text, len, path, auth, creds, err, errlen);
    if (text) {
        explicit_bzero(text, len);
        free(text);
    }
    return ok;
}
