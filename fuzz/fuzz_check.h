/* Invariant checks shared by the fuzz harnesses: a violated invariant is a crash, so the
 * fuzzer reports it with the input that caused it. */
#ifndef SCNET_FUZZ_CHECK_H
#define SCNET_FUZZ_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* abort() with a message: libFuzzer saves the input and reports a crash. */
#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The NUL of a fixed error buffer is within it. */
static inline void fuzz_check_terminated(const char *buf, size_t len)
{
    FUZZ_ASSERT(memchr(buf, '\0', len) != NULL);
}

/* No C0 control (newline allowed when asked) and no DEL: what a log line or a terminal line
 * may hold whatever its encoding. */
static inline void fuzz_check_no_c0(const char *s, bool allow_newline)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '\n' && allow_newline)
            continue;
        FUZZ_ASSERT(*p >= 0x20 && *p != 0x7f);
    }
}

/* Unicode category Cf (invisible format characters), from the Unicode 15 tables, plus the
 * unassigned rest of the tag block. */
static inline bool fuzz_is_format_char(uint32_t cp)
{
    return cp == 0xad || (cp >= 0x600 && cp <= 0x605) || cp == 0x61c || cp == 0x6dd ||
           cp == 0x70f || cp == 0x890 || cp == 0x891 || cp == 0x8e2 || cp == 0x180e ||
           (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x206f) || cp == 0xfeff ||
           (cp >= 0xfff9 && cp <= 0xfffb) || cp == 0x110bd || cp == 0x110cd ||
           (cp >= 0x13430 && cp <= 0x1343f) || (cp >= 0x1bca0 && cp <= 0x1bca3) ||
           (cp >= 0x1d173 && cp <= 0x1d17a) || (cp >= 0xe0000 && cp <= 0xe007f);
}

/* What reaches a terminal: strict UTF-8, no C0 (except '\n' when allowed), no DEL, no C1
 * controls, no format characters (Cf: bidi controls, zero-width, tags...), no Unicode line
 * or paragraph separators. */
static inline void fuzz_check_terminal_safe(const char *s, bool allow_newline)
{
    const unsigned char *p = (const unsigned char *)s;

    fuzz_check_no_c0(s, allow_newline);
    while (*p != '\0') {
        uint32_t cp;
        size_t n;

        if (*p < 0x80) {
            p++;
            continue;
        }
        if (*p >= 0xc2 && *p <= 0xdf) {
            n = 1;
            cp = *p & 0x1f;
        } else if (*p >= 0xe0 && *p <= 0xef) {
            n = 2;
            cp = *p & 0x0f;
        } else {
            FUZZ_ASSERT(*p >= 0xf0 && *p <= 0xf4);
            n = 3;
            cp = *p & 0x07;
        }
        for (size_t k = 1; k <= n; k++) {
            FUZZ_ASSERT(p[k] >= 0x80 && p[k] <= 0xbf); /* also stops at the NUL */
            cp = (cp << 6) | (p[k] & 0x3f);
        }
        FUZZ_ASSERT(n != 1 || cp >= 0x80);       /* no overlong */
        FUZZ_ASSERT(n != 2 || cp >= 0x800);      /* no overlong */
        FUZZ_ASSERT(n != 3 || cp >= 0x10000);    /* no overlong */
        FUZZ_ASSERT(cp <= 0x10ffff);             /* Unicode's range */
        FUZZ_ASSERT(cp < 0xd800 || cp > 0xdfff); /* no surrogates */
        FUZZ_ASSERT(cp > 0x9f);                  /* no C1 controls */
        FUZZ_ASSERT(!fuzz_is_format_char(cp));
        FUZZ_ASSERT(cp != 0x2028 && cp != 0x2029);
        p += n + 1;
    }
}

/* A NUL-terminated copy of the fuzz input (NULL when out of memory). */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s != NULL) {
        if (size > 0)
            memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

#endif
