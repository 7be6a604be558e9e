/* A growable, always NUL-terminated string; used for log lines, banners and URLs. */
#ifndef SCNET_STRBUF_H
#define SCNET_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
    bool failed; /* an allocation failed; data holds what fitted */
};

/* Append formatted text; on allocation failure sets sb->failed and keeps what it had. */
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append len bytes of s. */
void strbuf_append(struct strbuf *sb, const char *s, size_t len);

/* Append `key=value`, quoting the value when it holds spaces, quotes, '=' or is empty
 * (a space is added before the pair unless the buffer is empty). */
void strbuf_kv(struct strbuf *sb, const char *key, const char *value);

/* Hand over the text (never NULL unless failed) and reset sb; caller frees. */
char *strbuf_take(struct strbuf *sb);

/* Wipe and free the contents (use for buffers that held secrets). */
void strbuf_wipe(struct strbuf *sb);

/* Free the contents without wiping. */
void strbuf_free(struct strbuf *sb);

#endif
