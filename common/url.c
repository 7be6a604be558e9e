/* Building the quota URL and deciding which base URLs are acceptable. */
#include "url.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "strbuf.h"

#define USERNAME_MAX 256
#define HPC_SEGMENT "/hpc"

static bool is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool username_is_sendable(const char *user)
{
    size_t len;

    if (user == NULL)
        return false;
    len = strnlen(user, USERNAME_MAX + 1);
    /* "." and ".." would be resolved as path segments by the server or a proxy. */
    if (len == 0 || len > USERNAME_MAX || strcmp(user, ".") == 0 || strcmp(user, "..") == 0)
        return false;
    for (const char *p = user; *p != '\0'; p++) {
        if (*p == '/' || is_control((unsigned char)*p))
            return false;
    }
    return true;
}

/* One decimal octet 0..255 without leading zeros: "010" would be octal 8 to some parsers
 * and 10 to others, and the check must agree with whatever libcurl connects to. */
static bool parse_octet(const char **pp, const char *end)
{
    const char *p = *pp;
    int value = 0, digits = 0;

    while (p < end && is_digit(*p) && digits < 4) {
        value = value * 10 + (*p - '0');
        digits++;
        p++;
    }
    if (digits == 0 || digits > 3 || value > 255 || (digits > 1 && **pp == '0'))
        return false;
    *pp = p;
    return true;
}

/* host[0..len) is exactly a dotted quad inside 127.0.0.0/8. */
static bool is_loopback_ipv4(const char *host, size_t len)
{
    const char *p = host, *end = host + len;

    if (len < 4 || strncmp(host, "127.", 4) != 0)
        return false;
    for (int i = 0; i < 4; i++) {
        if (i > 0) {
            if (p >= end || *p != '.')
                return false;
            p++;
        }
        if (!parse_octet(&p, end))
            return false;
    }
    return p == end;
}

static bool is_loopback_host(const char *host, size_t len)
{
    return (len == 9 && strncasecmp(host, "localhost", 9) == 0) ||
           (len == 5 && strncmp(host, "[::1]", 5) == 0) || is_loopback_ipv4(host, len);
}

/* Length of the host at p: a name or IPv4 address of letters, digits, '-', '.', '_', or an
 * IPv6 literal in brackets. Anything else (IDN bytes, '%', '\\') is refused rather than
 * left to a URL parser to interpret. 0 when there is no valid host. */
static size_t host_length(const char *p)
{
    size_t n = 0;

    if (*p == '[') {
        n = 1;
        while (p[n] != '\0' && (is_digit(p[n]) || strchr("abcdefABCDEF:.", p[n]) != NULL))
            n++;
        return (p[n] == ']' && n > 1) ? n + 1 : 0;
    }
    while (is_alnum(p[n]) || p[n] == '-' || p[n] == '.' || p[n] == '_')
        n++;
    return n;
}

/* ":port" with 1..65535 at p; advances past it. */
static bool parse_port(const char **pp)
{
    const char *p = *pp + 1;
    long value = 0;
    int digits = 0;

    while (is_digit(*p) && digits < 6) {
        value = value * 10 + (*p - '0');
        digits++;
        p++;
    }
    if (digits == 0 || digits > 5 || value < 1 || value > 65535)
        return false;
    *pp = p;
    return true;
}

bool base_url_is_allowed(const char *base, char *err, size_t errlen)
{
    bool ok = false, is_http;
    const char *p, *host;
    size_t host_len;

    if (base == NULL || *base == '\0') {
        error_set(err, errlen, "URL is empty");
        goto out;
    }
    for (p = base; *p != '\0'; p++) {
        if (is_control((unsigned char)*p) || *p == ' ') {
            error_set(err, errlen, "URL contains a space or control character");
            goto out;
        }
        if (*p == '?' || *p == '#') {
            error_set(err, errlen, "URL must not have a query or fragment");
            goto out;
        }
        if (*p == '\\') {
            error_set(err, errlen, "URL must not contain a backslash");
            goto out;
        }
    }
    is_http = strncasecmp(base, "http://", 7) == 0;
    if (strncasecmp(base, "https://", 8) == 0) {
        host = base + 8;
    } else if (is_http) {
        host = base + 7;
    } else {
        error_set(err, errlen, "URL must start with https://");
        goto out;
    }
    if (memchr(host, '@', strcspn(host, "/")) != NULL) {
        error_set(err, errlen, "URL must not contain user information");
        goto out;
    }
    host_len = host_length(host);
    p = host + host_len;
    if (host_len == 0) {
        error_set(err, errlen, "URL has no valid host");
        goto out;
    }
    if (*p == ':' && !parse_port(&p)) {
        error_set(err, errlen, "URL has a bad port");
        goto out;
    }
    if (*p != '\0' && *p != '/') {
        error_set(err, errlen, "URL has a bad host");
        goto out;
    }
    if (is_http && !is_loopback_host(host, host_len)) {
        error_set(err, errlen, "http:// is allowed only for a loopback host; use https://");
        goto out;
    }
    ok = true;
out:
    return ok;
}

bool url_join(const char *base, const char *path_suffix, char **url, char *err, size_t errlen)
{
    bool ok = false;
    struct strbuf sb = {0};
    const char *authority, *path, *suffix = path_suffix != NULL ? path_suffix : "";
    size_t base_len, hpc_len = strlen(HPC_SEGMENT);

    *url = NULL;
    authority = base != NULL ? strstr(base, "://") : NULL;
    if (authority == NULL) {
        error_set(err, errlen, "base URL has no scheme");
        goto out;
    }
    authority += 3;
    path = authority + strcspn(authority, "/");
    base_len = strlen(base);
    while (base + base_len > path && base[base_len - 1] == '/')
        base_len--;
    /* Some hpcUrls already end in /hpc: the API path must not get a second one. Only a
     * whole path segment counts, and never the host ("https://hpc"). */
    if ((size_t)(base + base_len - path) >= hpc_len &&
        strncmp(base + base_len - hpc_len, HPC_SEGMENT, hpc_len) == 0 &&
        strncmp(suffix, HPC_SEGMENT, hpc_len) == 0 &&
        (suffix[hpc_len] == '/' || suffix[hpc_len] == '\0'))
        suffix += hpc_len;
    strbuf_append(&sb, base, base_len);
    if (*suffix != '\0' && *suffix != '/')
        strbuf_append(&sb, "/", 1);
    strbuf_append(&sb, suffix, strlen(suffix));
    *url = strbuf_take(&sb);
    if (*url == NULL) {
        error_set(err, errlen, "out of memory");
        goto out;
    }
    ok = true;
out:
    strbuf_free(&sb);
    return ok;
}

bool quota_url_build(const char *base, const char *user, char **url, char *err, size_t errlen)
{
    static const char hex[] = "0123456789ABCDEF";
    bool ok = false;
    struct strbuf path = {0};

    *url = NULL;
    if (!username_is_sendable(user)) {
        error_set(err, errlen, "user name cannot be put in a URL");
        goto out;
    }
    if (!base_url_is_allowed(base, err, errlen))
        goto out;
    strbuf_append(&path, SCNET_QUOTA_PATH, strlen(SCNET_QUOTA_PATH));
    for (const unsigned char *p = (const unsigned char *)user; *p != '\0'; p++) {
        if (is_alnum((char)*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            strbuf_append(&path, (const char *)p, 1);
        } else {
            char enc[3] = {'%', hex[*p >> 4], hex[*p & 0x0f]};

            strbuf_append(&path, enc, sizeof(enc));
        }
    }
    if (path.failed) {
        error_set(err, errlen, "out of memory");
        goto out;
    }
    ok = url_join(base, path.data, url, err, errlen);
out:
    strbuf_free(&path);
    return ok;
}
