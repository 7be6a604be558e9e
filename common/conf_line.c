#include "conf_line.h"

#include <string.h>

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Where the comment starts, or end: '#' first on the line or right after a blank. */
static const char *comment_start(const char *line, const char *end)
{
    for (const char *p = line; p < end; p++)
        if (*p == '#' && (p == line || is_blank(p[-1])))
            return p;
    return end;
}

enum conf_line_kind conf_line_split(const char *line, const char *end, struct conf_line *out)
{
    const char *eq, *key_end, *value;

    memset(out, 0, sizeof(*out));
    end = comment_start(line, end);
    while (line < end && is_blank(*line))
        line++;
    while (end > line && is_blank(end[-1]))
        end--;
    if (line == end)
        return CONF_LINE_EMPTY;
    eq = memchr(line, '=', (size_t)(end - line));
    if (!eq)
        return CONF_LINE_NO_EQUALS;
    key_end = eq;
    while (key_end > line && is_blank(key_end[-1]))
        key_end--;
    value = eq + 1;
    while (value < end && is_blank(*value))
        value++;
    out->key = line;
    out->key_len = (size_t)(key_end - line);
    out->value = value;
    out->value_len = (size_t)(end - value);
    return CONF_LINE_PAIR;
}
