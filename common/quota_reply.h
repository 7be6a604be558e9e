/* Parsing the quota API's JSON reply, strictly. */
#ifndef SCNET_QUOTA_REPLY_H
#define SCNET_QUOTA_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#define QUOTA_MAX_ENTRIES 64
#define QUOTA_MAX_STRING 4096

struct quota_entry {
    char *username;   /* as sent by the server, unsanitised */
    char *path;       /* as sent by the server, unsanitised */
    double usage;     /* GB, >= 0 */
    double threshold; /* GB, > 0 when has_limit */
    bool has_limit;   /* false when threshold is 0 or missing */
};

struct quota_reply {
    char *code; /* the API code as text ("0" on success) */
    char *msg;  /* may be NULL */
    struct quota_entry *entries;
    size_t count;
};

enum reply_status {
    REPLY_OK,        /* code 0 and a valid data array */
    REPLY_API_ERROR, /* well-formed, but code != 0: see reply->code */
    REPLY_MALFORMED, /* anything else: err says what */
};

/* Parse body (len bytes, need not be NUL-terminated). Accepts code "0"/0 and numbers as JSON
 * numbers or numeric strings; rejects NaN, infinities, negatives, wrong types, a missing
 * data array, trailing bytes, more than QUOTA_MAX_ENTRIES entries, strings longer than
 * QUOTA_MAX_STRING. On REPLY_OK and REPLY_API_ERROR the caller frees *reply. */
enum reply_status quota_reply_parse(const char *body, size_t len, struct quota_reply *reply,
                                    char *err, size_t errlen);

/* Whether a JSON text holds the escape \u0000, which cJSON would decode into a NUL that cuts
 * a C string short. For the parsers of scnet_parsers (the token service's reply too). */
bool json_has_escaped_nul(const char *body, size_t len);

/* Free a reply (safe on a zeroed one). */
void quota_reply_free(struct quota_reply *reply);

/* The documented English meaning of an API error code, or "unknown error code". */
const char *api_code_meaning(const char *code);

#endif
