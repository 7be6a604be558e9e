/* What a user reads: server text made safe for a terminal, the banners (text.c), and what
 * scnet-quota tells an ordinary user (text_message.c), in en or zh. */
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

/* What scnet-quota tells an ordinary user (their own view, --now), beside the banners' words.
 * <1> and <2> are the places of text_message's a and b. */
enum text_message {
    TEXT_OWN_HEAD,          /* "Storage quota of <1: name> (figures from <2: age> ago):" */
    TEXT_OWN_NO_FIGURES,    /* no record yet */
    TEXT_OWN_NO_PATH,       /* a record without entries */
    TEXT_OWN_NEXT_NOTHING,  /* <1>: the warning line (percent) */
    TEXT_OWN_NEXT_WARNING,  /* <1>: the warning line */
    TEXT_OWN_NEXT_REFUSAL,  /* <1>: the deny line */
    TEXT_OWN_UNREADABLE,    /* <1>: why the record cannot be read */
    TEXT_ONLY_ROOT,         /* <1>: the configuration file; another user's name was given */
    TEXT_NOW_SHOWING_LAST,  /* "<1: one of the reasons below>; showing the last record" */
    TEXT_NOW_NOT_ENABLED,   /* the client: no socket */
    TEXT_NOW_UNREACHABLE,   /* <1>: "socket: error" */
    TEXT_NOW_NO_MEMORY,     /* the client */
    TEXT_NOW_SEND_FAILED,   /* <1>: the error */
    TEXT_NOW_NO_ANSWER,     /* the service closed without a word (busy, time limit) */
    TEXT_NOW_CUT_OFF,       /* the reply ended without its trailer */
    TEXT_NOW_NO_NAME,       /* <1>: the caller's uid */
    TEXT_NOW_MISCONFIGURED, /* the service cannot load the configuration */
    TEXT_NOW_LOOKUP_FAILED, /* <1>: why */
    TEXT_NOW_NOT_CHECKED,   /* <1>: the skip reason's name */
    TEXT_NOW_BUSY,          /* another check of the same user holds the lock */
    TEXT_NOW_FAILED,        /* <1>: the check's error */
    TEXT_NOW_API_DOWN,      /* <1>: why (the answer is the stale or offline one) */
    TEXT_NOW_PACED,         /* <1>: self_check_interval, <2>: seconds until the next check */
    TEXT_MESSAGE_COUNT
};

/* Message id in lang with a and b in its places (NULL: nothing there), one line without a
 * newline. Caller frees; NULL when out of memory. */
char *text_message(enum scnet_lang lang, enum text_message id, const char *a, const char *b);

/* How old figures are: "0 seconds", "12 minutes", "3 hours", "5 days" (or the Chinese), as
 * the banner's stale line counts them. Caller frees; NULL when out of memory. */
char *text_age(enum scnet_lang lang, long age_s);

#endif
