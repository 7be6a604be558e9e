/* What a user reads: server text made safe for a terminal, and the banners, in en or zh. */
#ifndef SCNET_TEXT_H
#define SCNET_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "policy.h"

#define TEXT_MAX_SERVER_STRING 200 /* bytes of one server string shown to a user */

/* A copy of in that is safe to print: valid UTF-8 only (invalid bytes become '?'), no C0
 * or C1 controls, no DEL, no invisible format characters (Unicode Cf: bidi controls,
 * zero-width characters, BOM, soft hyphen, tags), escape sequences removed whole, at most
 * max_bytes bytes (cut on a character boundary, "..." appended when cut). Never NULL unless out of
 * memory. */
char *text_sanitize(const char *in, size_t max_bytes);

/* en or zh for lang: auto picks zh when locale (e.g. "zh_CN.UTF-8") starts with "zh". */
enum scnet_lang text_pick_lang(enum scnet_lang lang, const char *locale);

enum banner_kind {
    BANNER_USAGE,     /* policy level OK/WARN: one line per listed item */
    BANNER_REFUSED,   /* policy level DENY */
    BANNER_UNCHECKED, /* quota unknown and fail = closed */
};

struct banner_input {
    enum banner_kind kind;
    enum scnet_lang lang;               /* EN or ZH (already picked) */
    const struct policy_result *policy; /* for USAGE and REFUSED */
    double warn;                        /* the configured warn percent */
    double deny;                        /* the configured deny percent (< 0 = off) */
    const char *contact;                /* NULL = none */
    long stale_age_s;                   /* >= 0: the numbers are this old (API unreachable) */
    const char *help;                   /* the site's line, closing every banner; NULL = none */
    bool tty_scope;    /* deny_scope = tty: sftp, scp, rsync and commands are let in */
    bool command_hint; /* the warning and the refusal end pointing to `scnet-quota` */
};

/* One path as a banner lists it: "  /path  651.0 GB of 700.0 GB  93.0%  [##...--]", or
 * "  /path  12.0 GB" without a limit. Caller frees; NULL when out of memory. */
char *text_quota_line(enum scnet_lang lang, const struct quota_entry *entry);

/* "At the recent rate /path is full in about N days." (or the Chinese), the path cleaned as
 * server text. Caller frees; NULL when out of memory. */
char *text_trend_line(enum scnet_lang lang, const char *path, long days);

/* The text to show (lines separated by '\n', no trailing newline), caller frees. A warning
 * adds the trend line of each listed path that has one (policy_item.full_in_days). */
char *banner_render(const struct banner_input *in);

#endif
