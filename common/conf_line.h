/* One "key = value" line of a file the module reads (the config file, the credentials
 * file): the one place that says what a comment is, so every key of every file follows
 * the same rule. pam.d arguments are not lines of a file and have no comments. */
#ifndef SCNET_CONF_LINE_H
#define SCNET_CONF_LINE_H

#include <stddef.h>

enum conf_line_kind {
    CONF_LINE_EMPTY,     /* blank, or only a comment */
    CONF_LINE_PAIR,      /* key and value are set */
    CONF_LINE_NO_EQUALS, /* text without '=': an error for the caller to report */
};

struct conf_line {
    const char *key; /* points into the line; not NUL-terminated */
    size_t key_len;
    const char *value; /* may be empty */
    size_t value_len;
};

/* Split [line, end) (no '\n'). A '#' at the start of the line or after a blank (space,
 * tab) starts a comment that runs to the end of the line; a '#' inside a word is text.
 * Blanks (space, tab, CR) around the key and the value are dropped. */
enum conf_line_kind conf_line_split(const char *line, const char *end, struct conf_line *out);

#endif
