/* Helpers shared by the unit tests: see unit_support.h. */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <locale.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit_support.h"

#include "answer_text.h"
#include "cache.h"

char *unit_mkdtemp(char *dir, size_t dirlen, const char *leaf)
{
    const char *base = getenv("SCNET_TEST_TMP");

    if (!base || !*base)
        base = "/tmp";
    (void)mkdir(base, 0700);
    snprintf(dir, dirlen, "%s/%s", base, leaf);
    return mkdtemp(dir);
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    return type == FTW_DP ? rmdir(path) : unlink(path);
}

int unit_remove_tree(const char *path)
{
    /* FTW_PHYS: a symlink planted by a test is removed, never followed. */
    return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

void unit_write_file_at(int dirfd, const char *path, int flags, const void *data, size_t len,
                        mode_t mode)
{
    int fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0); /* exact mode whatever the umask */
    assert_int_equal(close(fd), 0);
}

void unit_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    unit_write_file_at(AT_FDCWD, path, O_EXCL, data, len, mode);
}

int unit_time_factor(void)
{
    const char *text = getenv("SCNET_TEST_TIME_FACTOR");
    char *end;
    long factor;

    if (!text || !text[0])
        return 1;
    factor = strtol(text, &end, 10);
    if (*end || factor < 1 || factor > 99)
        fail_msg("SCNET_TEST_TIME_FACTOR='%s': not a whole number from 1 to 99", text);
    return (int)factor;
}

int unit_count_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static int loopback(int backlog, int *port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    socklen_t addrlen = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    if (backlog >= 0)
        assert_int_equal(listen(fd, backlog), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &addrlen), 0);
    *port = ntohs(addr.sin_port);
    return fd;
}

int unit_loopback_socket(int *port)
{
    return loopback(-1, port);
}

int unit_loopback_listener(int backlog, int *port)
{
    assert_true(backlog >= 0);
    return loopback(backlog, port);
}

char *unit_b64url(const char *in)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t len = strlen(in), o = 0;
    char *out = malloc(len * 4 / 3 + 4);
    const unsigned char *p = (const unsigned char *)in;

    assert_non_null(out);
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        if (i + 1 < len)
            out[o++] = alphabet[(v >> 6) & 63];
        if (i + 2 < len)
            out[o++] = alphabet[v & 63];
    }
    out[o] = '\0';
    return out;
}

void unit_set_decimal_comma_locale(void)
{
    static const char *const locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8",
                                          "ru_RU.UTF-8"};
    const char *built = getenv("SCNET_TEST_LOCPATH");

    /* glibc reads LOCPATH at each setlocale call; the loaded locale outlives the variable. */
    if (built != NULL && *built != '\0') {
        bool found;

        assert_int_equal(setenv("LOCPATH", built, 1), 0);
        found = setlocale(LC_NUMERIC, "de_DE.UTF-8") != NULL;
        assert_int_equal(unsetenv("LOCPATH"), 0);
        if (found)
            return;
    }
    for (size_t i = 0; i < sizeof(locales) / sizeof(locales[0]); i++)
        if (setlocale(LC_NUMERIC, locales[i]) != NULL)
            return;
    unit_skip(true,
              "no decimal-comma locale: none installed, none built in %s "
              "(localedef and the locales sources: scripts/install-deps.sh)",
              built != NULL && *built != '\0' ? built : "$SCNET_TEST_LOCPATH (unset)");
}

static int skipped_cases;

void unit_skip(bool ci_provides, const char *fmt, ...)
{
    const char *ci = getenv("CI");
    char why[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (ci_provides && ci != NULL && *ci != '\0')
        fail_msg("%s; CI provides this, so here it is a failure, not a skip", why);
    print_message("SKIPPED: %s\n", why);
    skipped_cases++;
    skip();
}

void unit_need_root(const char *what)
{
    if (geteuid() != 0)
        unit_skip(true, "needs root: %s", what);
}

int unit_exit_code(int failed)
{
    if (failed != 0)
        return failed;
    return skipped_cases > 0 ? 77 : 0;
}

void unit_cache_answer(int dirfd, const char *user, const char *json, int64_t fetched_at)
{
    struct quota_reply reply = {0};
    struct strbuf text = {0};
    char err[256] = "";

    if (quota_reply_parse(json, strlen(json), &reply, err, sizeof(err)) != REPLY_OK)
        fail_msg("not a quota answer: %s: %s", err, json);
    if (!answer_text_put_quota(&text, REPLY_OK, &reply, NULL))
        fail_msg("cannot write the answer of %s", json);
    if (!cache_write(dirfd, user, text.data, text.len, fetched_at, err, sizeof(err)))
        fail_msg("cache_write: %s", err);
    quota_reply_free(&reply);
    strbuf_free(&text);
}
