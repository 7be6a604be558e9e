/* A libcurl.so.4 that behaves, for options and info items, like an older libcurl: it
 * forwards every call to the real libcurl (opened by its full path, STANDIN_REAL_LIBCURL,
 * found at configure time) but answers CURLE_UNKNOWN_OPTION, as a libcurl that does not know
 * it does, for every CURLOPT_* / CURLINFO_* introduced after STANDIN_VERSION_NUM (0xMMmmpp),
 * and reports that version from curl_version_info() and curl_version().
 *
 * The table comes from curl's docs/libcurl/symbols-in-versions (curl-symbols.tsv,
 * gen-option-table.py). Each refusal is appended as "CURLOPT_NAME\n" to STANDIN_LOG, so a
 * test can prove that the stand-in was in effect and what it refused.
 *
 * Test code only: it is never installed. tests/compat/CMakeLists.txt builds one per version. */
/* This file defines curl_easy_setopt and curl_easy_getinfo, which typecheck-gcc.h makes macros. */
#define CURL_DISABLE_TYPECHECK
#define CURL_DISABLE_DEPRECATION /* the table names deprecated options too */
#include <curl/curl.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct standin_symbol {
    int value;
    unsigned int introduced; /* 0xMMmmpp */
    const char *name;
};

#include "standin_table.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

struct real_curl {
    CURLcode (*global_init)(long);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_reset)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    curl_version_info_data *(*version_info)(CURLversion);
    void (*free)(void *);
};

static struct real_curl real;
static curl_version_info_data emulated_info;
static char emulated_version[32];
static char emulated_banner[96];
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void *real_symbol(void *lib, const char *name)
{
    void *sym = dlsym(lib, name);
    if (sym == NULL) {
        fprintf(stderr, "libcurl stand-in: %s has no %s\n", STANDIN_REAL_LIBCURL, name);
        abort(); /* test code: a stand-in that cannot forward must not pretend */
    }
    return sym;
}

static void load_real(void)
{
    void *lib = dlopen(STANDIN_REAL_LIBCURL, RTLD_NOW | RTLD_LOCAL);

    if (lib == NULL) {
        fprintf(stderr, "libcurl stand-in: %s\n", dlerror());
        abort();
    }
    /* dlsym hands back void *; the cast through memcpy keeps -Wpedantic quiet */
#define RESOLVE(field, name)                                                                       \
    do {                                                                                           \
        void *sym_ = real_symbol(lib, name);                                                       \
        memcpy(&real.field, &sym_, sizeof(sym_));                                                  \
    } while (0)
    RESOLVE(global_init, "curl_global_init");
    RESOLVE(global_cleanup, "curl_global_cleanup");
    RESOLVE(easy_init, "curl_easy_init");
    RESOLVE(easy_setopt, "curl_easy_setopt");
    RESOLVE(easy_perform, "curl_easy_perform");
    RESOLVE(easy_cleanup, "curl_easy_cleanup");
    RESOLVE(easy_getinfo, "curl_easy_getinfo");
    RESOLVE(easy_reset, "curl_easy_reset");
    RESOLVE(easy_strerror, "curl_easy_strerror");
    RESOLVE(slist_append, "curl_slist_append");
    RESOLVE(slist_free_all, "curl_slist_free_all");
    RESOLVE(version_info, "curl_version_info");
    RESOLVE(free, "curl_free");
#undef RESOLVE

    emulated_info = *real.version_info(CURLVERSION_NOW);
    snprintf(emulated_version, sizeof(emulated_version), "%u.%u.%u",
             (STANDIN_VERSION_NUM >> 16) & 0xff, (STANDIN_VERSION_NUM >> 8) & 0xff,
             STANDIN_VERSION_NUM & 0xff);
    emulated_info.version = emulated_version;
    emulated_info.version_num = STANDIN_VERSION_NUM;
    snprintf(emulated_banner, sizeof(emulated_banner), "libcurl/%s (stand-in over libcurl/%s)",
             emulated_version, real.version_info(CURLVERSION_NOW)->version);
}

static void ensure_real(void)
{
    pthread_once(&real_once, load_real);
}

/* The oldest version that knows this value (aliases share a value: the oldest name counts). */
static const struct standin_symbol *newer_symbol(const struct standin_symbol *table, size_t n,
                                                 int value)
{
    const struct standin_symbol *oldest = NULL;
    size_t i;

    for (i = 0; i < n; i++) {
        if (table[i].value == value && (oldest == NULL || table[i].introduced < oldest->introduced))
            oldest = &table[i];
    }
    return (oldest != NULL && oldest->introduced > STANDIN_VERSION_NUM) ? oldest : NULL;
}

static void log_refusal(const char *name)
{
    char line[128];
    int len = snprintf(line, sizeof(line), "%s\n", name);
    int fd = open(STANDIN_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

    if (fd < 0)
        return;
    if (len > 0 && write(fd, line, (size_t)len) < 0) {
        /* nothing to do: the test that reads the log fails instead */
    }
    close(fd);
}

CURLcode curl_global_init(long flags)
{
    ensure_real();
    return real.global_init(flags);
}

void curl_global_cleanup(void)
{
    ensure_real();
    real.global_cleanup();
}

CURL *curl_easy_init(void)
{
    ensure_real();
    return real.easy_init();
}

/* The argument's type follows from the option's number range, as in curl.h. */
CURLcode curl_easy_setopt(CURL *easy, CURLoption option, ...)
{
    const struct standin_symbol *newer;
    CURLcode rc;
    va_list ap;

    ensure_real();
    newer = newer_symbol(standin_options, N_OF(standin_options), (int)option);
    if (newer != NULL) {
        log_refusal(newer->name);
        return CURLE_UNKNOWN_OPTION;
    }
    va_start(ap, option);
    if (option < CURLOPTTYPE_OBJECTPOINT) {
        long v = va_arg(ap, long);
        rc = real.easy_setopt(easy, option, v);
    } else if (option >= CURLOPTTYPE_OFF_T && option < CURLOPTTYPE_BLOB) {
        curl_off_t v = va_arg(ap, curl_off_t);
        rc = real.easy_setopt(easy, option, v);
    } else if (option >= CURLOPTTYPE_FUNCTIONPOINT && option < CURLOPTTYPE_OFF_T) {
        void (*fn)(void) = va_arg(ap, void (*)(void));
        rc = real.easy_setopt(easy, option, fn);
    } else {
        void *p = va_arg(ap, void *);
        rc = real.easy_setopt(easy, option, p);
    }
    va_end(ap);
    return rc;
}

CURLcode curl_easy_getinfo(CURL *easy, CURLINFO info, ...)
{
    const struct standin_symbol *newer;
    CURLcode rc;
    void *out;
    va_list ap;

    ensure_real();
    newer = newer_symbol(standin_infos, N_OF(standin_infos), (int)info);
    if (newer != NULL) {
        log_refusal(newer->name);
        return CURLE_UNKNOWN_OPTION;
    }
    va_start(ap, info);
    out = va_arg(ap, void *); /* every item is returned through a pointer */
    va_end(ap);
    rc = real.easy_getinfo(easy, info, out);
    return rc;
}

CURLcode curl_easy_perform(CURL *easy)
{
    ensure_real();
    return real.easy_perform(easy);
}

void curl_easy_cleanup(CURL *easy)
{
    ensure_real();
    real.easy_cleanup(easy);
}

void curl_easy_reset(CURL *easy)
{
    ensure_real();
    real.easy_reset(easy);
}

const char *curl_easy_strerror(CURLcode code)
{
    ensure_real();
    return real.easy_strerror(code);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *text)
{
    ensure_real();
    return real.slist_append(list, text);
}

void curl_slist_free_all(struct curl_slist *list)
{
    ensure_real();
    real.slist_free_all(list);
}

curl_version_info_data *curl_version_info(CURLversion age)
{
    (void)age;
    ensure_real();
    return &emulated_info;
}

char *curl_version(void)
{
    ensure_real();
    return emulated_banner;
}

void curl_free(void *p)
{
    ensure_real();
    real.free(p);
}
