/* Unit tests for common/cache.c: real files in a fresh directory, real locks between real
 * processes, and a count of open descriptors around every test. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache.h"
#include "deadline.h"
#include "unit_support.h"

#define OTHER_UID 12345
#define NOBODY_ID 65534
#define NAME_MAX_LEN 100
/* A string literal as data and length, NULs included. */
#define LIT(s) (s), (sizeof(s) - 1)

struct fixture {
    char base[1024];    /* fresh mkdtemp directory, removed at the end */
    char dir[PATH_MAX]; /* base/cache */
    int dirfd;          /* from cache_dir_open, or -1 */
    int fds_before;
    char err[512];
};

/* out = a/b; a cut path would make the test act on the wrong file. */
static void path_join(char *out, size_t outlen, const char *a, const char *b)
{
    int n = snprintf(out, outlen, "%s/%s", a, b);

    assert_true(n > 0 && (size_t)n < outlen);
}

static int setup_base(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    f->dirfd = -1;
    f->fds_before = unit_count_open_fds();
    if (!unit_mkdtemp(f->base, sizeof(f->base), "scnet-cache-XXXXXX")) {
        free(f);
        return -1;
    }
    path_join(f->dir, sizeof(f->dir), f->base, "cache");
    *state = f;
    return 0;
}

/* setup_base, then the cache directory opened the way the module opens it. */
static int setup_cache(void **state)
{
    struct fixture *f;

    if (setup_base(state) != 0)
        return -1;
    f = *state;
    f->dirfd = cache_dir_open(f->dir, geteuid(), f->err, sizeof(f->err));
    return f->dirfd >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    if (f->dirfd >= 0)
        close(f->dirfd);
    /* A symlink planted by a test is removed, never followed. */
    assert_int_equal(unit_remove_tree(f->base), 0);
    assert_int_equal(unit_count_open_fds(), f->fds_before);
    free(f);
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void entry_name(const char *key, const char *suffix, char *out, size_t outlen)
{
    char stem[NAME_MAX_LEN + 1];

    cache_file_name(key, stem, sizeof(stem));
    assert_true(stem[0] != '\0');
    snprintf(out, outlen, "%s%s", stem, suffix);
}

/* Creates dirfd/name with exactly data and mode (whatever the umask), replacing any file. */
static void put_raw(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
    unit_write_file_at(dirfd, name, O_TRUNC | O_NOFOLLOW, data, len, mode);
}

/* The whole file at dirfd/name; caller frees. */
static char *get_raw(int dirfd, const char *name, size_t *len)
{
    char *buf = malloc(100000);
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    ssize_t n;

    assert_non_null(buf);
    assert_true(fd >= 0);
    n = read(fd, buf, 100000);
    assert_true(n >= 0);
    close(fd);
    *len = (size_t)n;
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names in the directory at path, joined by '\n'. */
static void list_dir(const char *path, char *out, size_t outlen)
{
    DIR *d = opendir(path);
    struct dirent *e;
    char *names[64];
    size_t n = 0, used = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        assert_true(n < 64);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp_str);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        used += (size_t)snprintf(out + used, outlen - used, "%s%s", i ? "\n" : "", names[i]);
        assert_true(used < outlen);
        free(names[i]);
    }
}

static mode_t mode_at(int dirfd, const char *name)
{
    struct stat st;

    assert_int_equal(fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
    return st.st_mode;
}

/* ---- the directory ---- */

static void test_dir_created_0700_whatever_the_umask(void **state)
{
    struct fixture *f = *state;
    const mode_t masks[] = {0, 022, 0277};
    struct stat st;

    for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
        mode_t old = umask(masks[i]);
        int fd = cache_dir_open(f->dir, geteuid(), f->err, sizeof(f->err));
        umask(old);
        assert_true(fd >= 0);
        assert_int_equal(stat(f->dir, &st), 0);
        assert_int_equal(st.st_mode, S_IFDIR | 0700);
        assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
        close(fd);
        assert_int_equal(rmdir(f->dir), 0);
    }
}

static void test_dir_existing_0700_reused(void **state)
{
    struct fixture *f = *state;
    int fd;

    assert_int_equal(mkdir(f->dir, 0700), 0);
    assert_int_equal(chmod(f->dir, 0700), 0);
    fd = cache_dir_open(f->dir, geteuid(), f->err, sizeof(f->err));
    assert_true(fd >= 0);
    close(fd);
}

static void test_dir_existing_0755_rejected(void **state)
{
    struct fixture *f = *state;
    char want[PATH_MAX + 64];

    assert_int_equal(mkdir(f->dir, 0700), 0);
    assert_int_equal(chmod(f->dir, 0755), 0);
    assert_int_equal(cache_dir_open(f->dir, geteuid(), f->err, sizeof(f->err)), -1);
    snprintf(want, sizeof(want), "%s: mode 0755 is too open (group and others must have no access)",
             f->dir);
    assert_string_equal(f->err, want);
    /* Not "fixed" behind the administrator's back. */
    assert_int_equal(mode_at(AT_FDCWD, f->dir), S_IFDIR | 0755);

    assert_int_equal(chmod(f->dir, 0750), 0);
    assert_int_equal(cache_dir_open(f->dir, geteuid(), f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "mode 0750 is too open (group and others must have no access)"));
}

static void test_dir_symlink_rejected(void **state)
{
    struct fixture *f = *state;
    char real[PATH_MAX];

    path_join(real, sizeof(real), f->base, "real");
    assert_int_equal(mkdir(real, 0700), 0);
    assert_int_equal(symlink(real, f->dir), 0);
    assert_int_equal(cache_dir_open(f->dir, geteuid(), f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "is a symlink"));
}

static void test_dir_missing_parent_rejected(void **state)
{
    struct fixture *f = *state;
    char path[PATH_MAX], parent[PATH_MAX];

    path_join(parent, sizeof(parent), f->base, "missing");
    path_join(path, sizeof(path), parent, "cache");
    assert_int_equal(cache_dir_open(path, geteuid(), f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "cannot create"));
    assert_null(strstr(f->err, "SELinux"));     /* the hint is for EACCES/EPERM only */
    assert_int_equal(access(parent, F_OK), -1); /* parents are the administrator's */
}

static void test_dir_regular_file_rejected(void **state)
{
    struct fixture *f = *state;
    int fd = open(f->dir, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cache_dir_open(f->dir, geteuid(), f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "not a directory"));
}

static void test_dir_wrong_owner_rejected(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(mkdir(f->dir, 0700), 0);
    /* The owner the caller expects is not the one on disk. */
    assert_int_equal(cache_dir_open(f->dir, geteuid() + 1, f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "must be owned by uid"));
    unit_need_root("to give the folder to another owner");
    assert_int_equal(chown(f->dir, OTHER_UID, OTHER_UID), 0);
    assert_int_equal(cache_dir_open(f->dir, 0, f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "owned by uid 12345, must be owned by uid 0"));
}

/* cache_dir_open(path) as a user without the right to it: in a child that drops to nobody
 * when the test runs as root (root passes every mode check). Returns the reason. */
static void open_dir_unprivileged(const char *path, char *err, size_t errlen)
{
    int pipefd[2];
    pid_t pid;
    ssize_t n;
    int status;

    assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char reason[512] = "";

        if (geteuid() == 0 &&
            (setgroups(0, NULL) != 0 || setgid(NOBODY_ID) != 0 || setuid(NOBODY_ID) != 0))
            _exit(2);
        if (cache_dir_open(path, geteuid(), reason, sizeof(reason)) >= 0)
            _exit(3);
        if (write(pipefd[1], reason, strlen(reason)) < 0)
            _exit(4);
        _exit(0);
    }
    close(pipefd[1]);
    n = read(pipefd[0], err, errlen - 1);
    close(pipefd[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(n > 0);
    err[n] = '\0';
}

#define SELINUX_HINT "(permission denied: SELinux? see pam_scnet_quota(8), SELINUX)"

/* A folder that nobody may traverse, for the unprivileged child: the test folder may sit
 * under one that nobody cannot enter (SCNET_TEST_TMP), which would deny every case alike. */
static void make_traversable(char *dir, size_t dirlen)
{
    int n = snprintf(dir, dirlen, "/tmp/scnet-denied-XXXXXX");

    assert_true(n > 0 && (size_t)n < dirlen);
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0711), 0);
}

/* EACCES is what an SELinux denial looks like to the module; a mode gives the same errno. */
static void test_dir_create_denied_points_at_selinux(void **state)
{
    struct fixture *f = *state;
    char top[PATH_MAX], parent[PATH_MAX], path[PATH_MAX];

    make_traversable(top, sizeof(top));
    path_join(parent, sizeof(parent), top, "readonly");
    assert_int_equal(mkdir(parent, 0555), 0);
    path_join(path, sizeof(path), parent, "cache");
    open_dir_unprivileged(path, f->err, sizeof(f->err));
    assert_int_equal(unit_remove_tree(top), 0);
    assert_string_equal(strstr(f->err, "cannot create: "),
                        "cannot create: Permission denied " SELINUX_HINT);
}

static void test_dir_open_denied_points_at_selinux(void **state)
{
    struct fixture *f = *state;
    char top[PATH_MAX], path[PATH_MAX];

    make_traversable(top, sizeof(top));
    path_join(path, sizeof(path), top, "cache");
    assert_int_equal(mkdir(path, 0), 0);
    open_dir_unprivileged(path, f->err, sizeof(f->err));
    assert_int_equal(chmod(path, 0700), 0); /* so that the tree can be walked and removed */
    assert_int_equal(unit_remove_tree(top), 0);
    assert_string_equal(strstr(f->err, "cannot open: "),
                        "cannot open: Permission denied " SELINUX_HINT);
}

/* ---- file names ---- */

static void assert_name_safe(const char *key)
{
    char name[NAME_MAX_LEN + 1];

    cache_file_name(key, name, sizeof(name));
    assert_true(name[0] != '\0');
    assert_true(strlen(name) <= NAME_MAX_LEN);
    assert_true(name[0] != '.');
    assert_null(strchr(name, '/'));
    assert_null(strchr(name, '.'));
    assert_int_equal(strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789_-%"),
                     strlen(name));
}

static void test_name_encodes_everything_but_plain_bytes(void **state)
{
    static const struct {
        const char *key, *name;
    } cases[] = {
        {"alice", "alice"},
        {"Ab_-9", "Ab_-9"},
        {"a.b", "a%2Eb"},
        {"token:c1", "token%3Ac1"},
        {"../../etc/passwd", "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd"},
        {"/", "%2F"},
        {".", "%2E"},
        {"..", "%2E%2E"},
        {"\xc3\xa9t\xc3\xa9", "%C3%A9t%C3%A9"},
        {"a\x01\n\x1b[1m", "a%01%0A%1B%5B1m"},
        {"a%20b", "a%2520b"}, /* '%' itself is encoded: no two keys share a name */
        {"a b", "a%20b"},
    };
    char name[NAME_MAX_LEN + 1];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cache_file_name(cases[i].key, name, sizeof(name));
        assert_string_equal(name, cases[i].name);
        assert_name_safe(cases[i].key);
    }
}

static void test_name_long_and_empty_keys_are_hashed_and_bounded(void **state)
{
    char key[301], other[301], name[NAME_MAX_LEN + 1], name2[NAME_MAX_LEN + 1];

    /* 30 bytes encoding to 3 each: 90, the longest direct name. */
    memset(key, '/', 30);
    key[30] = '\0';
    cache_file_name(key, name, sizeof(name));
    assert_int_equal(strlen(name), 90);
    assert_memory_equal(name, "%2F%2F%2F", 9);

    key[30] = '/';
    key[31] = '\0';
    cache_file_name(key, name, sizeof(name));
    assert_memory_equal(name, "%h", 2);
    assert_name_safe(key);
    /* The readable start is cut between whole %XX triples: 6 of them fit in 20 bytes. */
    assert_string_equal(name + 19, "%2F%2F%2F%2F%2F%2F");

    memset(key, 'a', 300);
    key[300] = '\0';
    memcpy(other, key, sizeof(other));
    other[299] = 'b';
    cache_file_name(key, name, sizeof(name));
    cache_file_name(other, name2, sizeof(name2));
    assert_int_equal(strlen(name), 2 + 16 + 1 + 20);
    assert_string_equal(name + 19, "aaaaaaaaaaaaaaaaaaaa");
    assert_string_not_equal(name, name2);
    assert_name_safe(key);

    /* Empty: the FNV-1a offset basis, never "" (which would make ".cache"). */
    cache_file_name("", name, sizeof(name));
    assert_string_equal(name, "%hcbf29ce484222325_");
    /* A key spelling a hashed name is encoded, so it cannot take that name. */
    cache_file_name("%hcbf29ce484222325_", name2, sizeof(name2));
    assert_string_equal(name2, "%25hcbf29ce484222325_");
}

static void test_name_short_buffer_gives_nothing(void **state)
{
    char name[6];

    cache_file_name("alice", name, sizeof(name));
    assert_string_equal(name, "alice");
    memset(name, 'x', sizeof(name));
    cache_file_name("alice", name, 5);
    assert_string_equal(name, "");
    cache_file_name("alice", name, 0); /* must not write at all */
}

static void test_hostile_keys_stay_inside_the_directory(void **state)
{
    struct fixture *f = *state;
    char long_key[301], *expect[64], listing[8192], want[8192], name[160];
    const char *keys[] = {"../../etc/passwd",
                          "/",
                          ".",
                          "..",
                          "",
                          long_key,
                          "\xce\xb4\xce\xbf\xce\xba\xce\xb9\xce\xbc\xce\xae",
                          "ctl\x01\x1b[31m\n\r\x7f",
                          "a/b",
                          ".hidden",
                          "token:cluster-1",
                          "\xff\xfe"};
    size_t nkeys = sizeof(keys) / sizeof(keys[0]), n = 0, used = 0;
    struct cache_entry e;

    memset(long_key, 'x', 300);
    long_key[300] = '\0';
    for (size_t i = 0; i < nkeys; i++) {
        int lockfd;

        assert_true(cache_write(f->dirfd, keys[i], keys[i], strlen(keys[i]), 1700000000 + (int)i,
                                f->err, sizeof(f->err)));
        lockfd =
            cache_lock(f->dirfd, keys[i], geteuid(), monotonic_ms() + 100, f->err, sizeof(f->err));
        assert_true(lockfd >= 0);
        cache_unlock(lockfd);
        entry_name(keys[i], ".cache", name, sizeof(name));
        expect[n++] = strdup(name);
        entry_name(keys[i], ".lock", name, sizeof(name));
        expect[n++] = strdup(name);
    }
    for (size_t i = 0; i < nkeys; i++) {
        assert_true(cache_read(f->dirfd, keys[i], geteuid(), &e, f->err, sizeof(f->err)));
        assert_int_equal(e.len, strlen(keys[i]));
        assert_string_equal(e.body, keys[i]);
        assert_int_equal(e.fetched_at, 1700000000 + (int64_t)i);
        cache_entry_free(&e);
    }
    /* Exactly one entry and one lock per key, all distinct, nothing else anywhere. */
    qsort(expect, n, sizeof(expect[0]), cmp_str);
    want[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        assert_true(i == 0 || strcmp(expect[i - 1], expect[i]) != 0);
        assert_true(expect[i][0] != '.');
        used +=
            (size_t)snprintf(want + used, sizeof(want) - used, "%s%s", i ? "\n" : "", expect[i]);
    }
    for (size_t i = 0; i < n; i++)
        free(expect[i]);
    list_dir(f->dir, listing, sizeof(listing));
    assert_string_equal(listing, want);
    list_dir(f->base, listing, sizeof(listing));
    assert_string_equal(listing, "cache");
}

/* ---- entries ---- */

static void test_round_trip_keeps_body_and_time(void **state)
{
    struct fixture *f = *state;
    const char *body = "{\n  \"user\": \"alice\",\n  \"used\": 93,\n  \"limit\": 100\n}\n";
    char want[512], listing[256];
    struct cache_entry e;
    size_t raw_len;
    char *raw;

    assert_true(
        cache_write(f->dirfd, "alice", body, strlen(body), 1700000000, f->err, sizeof(f->err)));
    assert_true(cache_read(f->dirfd, "alice", geteuid(), &e, f->err, sizeof(f->err)));
    assert_string_equal(f->err, "");
    assert_int_equal(e.len, strlen(body));
    assert_string_equal(e.body, body);
    assert_int_equal(e.fetched_at, 1700000000);
    cache_entry_free(&e);
    assert_null(e.body);
    assert_int_equal(e.len, 0);

    /* The format on disk, byte for byte: header line, body, nothing after. */
    raw = get_raw(f->dirfd, "alice.cache", &raw_len);
    snprintf(want, sizeof(want), "scnet-cache 2 1700000000 %zu 616c696365\n%s", strlen(body), body);
    assert_int_equal(raw_len, strlen(want));
    assert_memory_equal(raw, want, raw_len);
    free(raw);

    /* Replaced, not appended; no temporary file left behind. */
    assert_true(cache_write(f->dirfd, "alice", "{}", 2, 1700000100, f->err, sizeof(f->err)));
    assert_true(cache_read(f->dirfd, "alice", geteuid(), &e, f->err, sizeof(f->err)));
    assert_string_equal(e.body, "{}");
    assert_int_equal(e.fetched_at, 1700000100);
    cache_entry_free(&e);
    list_dir(f->dir, listing, sizeof(listing));
    assert_string_equal(listing, "alice.cache");
}

static void test_round_trip_any_bytes_up_to_64k(void **state)
{
    struct fixture *f = *state;
    char *body = malloc(65537);
    struct cache_entry e;
    char listing[256];

    assert_non_null(body);
    for (size_t i = 0; i < 65537; i++)
        body[i] = (char)(i * 7 + i / 256);
    assert_true(cache_write(f->dirfd, "bob", body, 65536, 0, f->err, sizeof(f->err)));
    assert_true(cache_read(f->dirfd, "bob", geteuid(), &e, f->err, sizeof(f->err)));
    assert_int_equal(e.len, 65536);
    assert_memory_equal(e.body, body, 65536);
    assert_int_equal(e.body[65536], '\0');
    assert_int_equal(e.fetched_at, 0);
    cache_entry_free(&e);

    assert_false(cache_write(f->dirfd, "carol", body, 65537, 1, f->err, sizeof(f->err)));
    assert_non_null(strstr(f->err, "65537"));
    assert_false(cache_write(f->dirfd, "carol", body, 1, -5, f->err, sizeof(f->err)));
    assert_non_null(strstr(f->err, "negative"));
    list_dir(f->dir, listing, sizeof(listing));
    assert_string_equal(listing, "bob.cache");

    assert_true(cache_write(f->dirfd, "dave", "", 0, 5, f->err, sizeof(f->err)));
    assert_true(cache_read(f->dirfd, "dave", geteuid(), &e, f->err, sizeof(f->err)));
    assert_int_equal(e.len, 0);
    assert_string_equal(e.body, "");
    cache_entry_free(&e);
    free(body);
}

static void test_written_file_is_0600_whatever_the_umask(void **state)
{
    struct fixture *f = *state;
    const mode_t masks[] = {0, 0777};
    struct stat st;

    for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
        mode_t old = umask(masks[i]);
        bool ok = cache_write(f->dirfd, "alice", "{}", 2, 1, f->err, sizeof(f->err));
        umask(old);
        assert_true(ok);
        assert_int_equal(fstatat(f->dirfd, "alice.cache", &st, AT_SYMLINK_NOFOLLOW), 0);
        assert_int_equal(st.st_mode, S_IFREG | 0600);
        assert_int_equal(st.st_uid, geteuid());
    }
}

static void test_missing_entry_is_quiet(void **state)
{
    struct fixture *f = *state;
    struct cache_entry e = {(char *)"junk", 4, 99, true};

    strcpy(f->err, "stale text");
    assert_false(cache_read(f->dirfd, "alice", geteuid(), &e, f->err, sizeof(f->err)));
    assert_string_equal(f->err, "");
    assert_null(e.body);
    assert_int_equal(e.len, 0);
    assert_int_equal(e.fetched_at, 0);
    cache_entry_free(&e); /* fine on a zeroed entry */
}

static void expect_rejected(struct fixture *f, const char *key, const char *why)
{
    struct cache_entry e = {(char *)"junk", 4, 99, true};

    assert_false(cache_read(f->dirfd, key, geteuid(), &e, f->err, sizeof(f->err)));
    if (!strstr(f->err, why))
        fail_msg("err \"%s\" does not say \"%s\"", f->err, why);
    assert_null(e.body);
    assert_int_equal(e.len, 0);
    assert_false(e.older_format);
}

/* A file of format 1 (the quota API's JSON as received) is a miss: no error, and the caller
 * can tell why (a debug line, never a warning). */
static void test_older_format_is_a_quiet_miss(void **state)
{
    struct fixture *f = *state;
    struct cache_entry e = {(char *)"junk", 4, 99, false};

    put_raw(f->dirfd, "alice.cache",
            LIT("scnet-cache 1 1700000000 22 616c696365\n{\"code\":\"0\",\"data\":[]}"), 0600);
    strcpy(f->err, "stale text");
    assert_false(cache_read(f->dirfd, "alice", geteuid(), &e, f->err, sizeof(f->err)));
    assert_string_equal(f->err, "");
    assert_true(e.older_format);
    assert_null(e.body);
    /* A broken one of format 2 is an error, not an older format. */
    put_raw(f->dirfd, "alice.cache", LIT("scnet-cache 2 1700000000 22 616c696365\n{}"), 0600);
    assert_false(cache_read(f->dirfd, "alice", geteuid(), &e, f->err, sizeof(f->err)));
    assert_false(e.older_format);
    assert_non_null(strstr(f->err, "body is 2 bytes"));
}

static void test_corrupt_headers_rejected(void **state)
{
    struct fixture *f = *state;
    static const char *const bad[] = {
        "",
        "\n",
        "garbage\n{}",
        "scnet-cache 2 1 2 616c696365", /* no end of line */
        "scnet-cache 3 1 2 616c696365\n{}",
        "scnet-cache 2 -1 2 616c696365\n{}",
        "scnet-cache 2 +1 2 616c696365\n{}",
        "scnet-cache 2 01 2 616c696365\n{}",
        "scnet-cache 2 1 02 616c696365\n{}",
        "scnet-cache 2 1  2 616c696365\n{}",
        "scnet-cache 2 1 2 616C696365\n{}",
        "scnet-cache 2 1 2 616c69636\n{}",
        "scnet-cache 2 1 2 616c6963zz\n{}",
        "scnet-cache 2 1 2 616c696365 \n{}",
        "scnet-cache 2 1 2 616c696365\r\n{}",
        "scnet-cache 2 1 2\n{}",
        "scnet-cache 2 1 65537 616c696365\n{}",
        "scnet-cache 2 99999999999999999999 2 616c696365\n{}",
        "scnet-cache 2 9223372036854775808 2 616c696365\n{}",
        "SCNET-CACHE 1 1 2 616c696365\n{}",
        "scnet-cache 2 1 x 616c696365\n{}",
    };
    struct cache_entry e;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        put_raw(f->dirfd, "alice.cache", bad[i], strlen(bad[i]), 0600);
        expect_rejected(f, "alice", "corrupt header");
    }
    /* A NUL inside the header line. */
    put_raw(f->dirfd, "alice.cache", LIT("scnet-cache 2 1\0 2 616c696365\n{}"), 0600);
    expect_rejected(f, "alice", "corrupt header");
    /* The strict parser still takes a plain "0". */
    put_raw(f->dirfd, "alice.cache", LIT("scnet-cache 2 0 2 616c696365\n{}"), 0600);
    assert_true(cache_read(f->dirfd, "alice", geteuid(), &e, f->err, sizeof(f->err)));
    assert_int_equal(e.fetched_at, 0);
    assert_string_equal(e.body, "{}");
    cache_entry_free(&e);
}

static void test_truncated_body_rejected(void **state)
{
    struct fixture *f = *state;
    const char *raw = "scnet-cache 2 1700000000 10 616c696365\n{\"a\":";

    put_raw(f->dirfd, "alice.cache", raw, strlen(raw), 0600);
    expect_rejected(f, "alice", "body is 5 bytes, header says 10");
}

static void test_extra_trailing_bytes_rejected(void **state)
{
    struct fixture *f = *state;
    const char *body = "{\"used\":1}\n";
    size_t len;
    char *raw;

    assert_true(
        cache_write(f->dirfd, "alice", body, strlen(body), 1700000000, f->err, sizeof(f->err)));
    raw = get_raw(f->dirfd, "alice.cache", &len);
    raw[len] = 'x';
    put_raw(f->dirfd, "alice.cache", raw, len + 1, 0600);
    free(raw);
    expect_rejected(f, "alice", "body is 12 bytes, header says 11");
}

static void test_foreign_key_rejected(void **state)
{
    struct fixture *f = *state;
    struct cache_entry e;
    size_t len;
    char *raw;

    assert_true(cache_write(f->dirfd, "alice", "{\"used\":99}", 11, 1, f->err, sizeof(f->err)));
    assert_true(cache_write(f->dirfd, "bob", "{\"used\":1}", 10, 1, f->err, sizeof(f->err)));
    /* alice's answer copied over bob's name: well formed, but not bob's. */
    raw = get_raw(f->dirfd, "alice.cache", &len);
    put_raw(f->dirfd, "bob.cache", raw, len, 0600);
    free(raw);
    expect_rejected(f, "bob", "stored for another key");
    assert_true(cache_read(f->dirfd, "alice", geteuid(), &e, f->err, sizeof(f->err)));
    cache_entry_free(&e);
    /* A prefix of the key is not the key either. */
    put_raw(f->dirfd, "alice.cache", LIT("scnet-cache 2 1 2 616c6963\n{}"), 0600);
    expect_rejected(f, "alice", "stored for another key");
}

static void test_future_fetched_at_rejected(void **state)
{
    struct fixture *f = *state;
    int64_t now = (int64_t)time(NULL);
    struct cache_entry e;

    assert_true(cache_write(f->dirfd, "alice", "{}", 2, now + 1000, f->err, sizeof(f->err)));
    expect_rejected(f, "alice", "in the future");
    /* Small clock differences are tolerated. */
    assert_true(cache_write(f->dirfd, "alice", "{}", 2, now + 200, f->err, sizeof(f->err)));
    assert_true(cache_read(f->dirfd, "alice", geteuid(), &e, f->err, sizeof(f->err)));
    cache_entry_free(&e);
}

static void test_oversized_file_rejected(void **state)
{
    struct fixture *f = *state;
    size_t len = 81921;
    char *raw = malloc(len);

    assert_non_null(raw);
    memset(raw, 'x', len);
    put_raw(f->dirfd, "alice.cache", raw, len, 0600);
    free(raw);
    expect_rejected(f, "alice", "larger than 81920 bytes");
}

#define OTHER_ENTRY "scnet-cache 2 1 10 616c696365\n{\"used\":1}"

static void test_symlink_at_entry_not_followed(void **state)
{
    struct fixture *f = *state;
    char other[PATH_MAX], target[PATH_MAX];
    struct cache_entry e;
    int otherfd;
    size_t len;
    char *raw;

    /* The link points at a perfectly valid entry for the same key: still refused. */
    path_join(other, sizeof(other), f->base, "other");
    otherfd = cache_dir_open(other, geteuid(), f->err, sizeof(f->err));
    assert_true(otherfd >= 0);
    assert_true(cache_write(otherfd, "alice", "{\"used\":1}", 10, 1, f->err, sizeof(f->err)));
    path_join(target, sizeof(target), other, "alice.cache");
    assert_int_equal(symlinkat(target, f->dirfd, "alice.cache"), 0);
    expect_rejected(f, "alice", "is a symlink");

    /* Writing replaces the link itself; the file it pointed at is untouched. */
    assert_true(cache_write(f->dirfd, "alice", "{\"used\":2}", 10, 2, f->err, sizeof(f->err)));
    assert_int_equal(mode_at(f->dirfd, "alice.cache"), S_IFREG | 0600);
    assert_true(cache_read(f->dirfd, "alice", geteuid(), &e, f->err, sizeof(f->err)));
    assert_string_equal(e.body, "{\"used\":2}");
    cache_entry_free(&e);
    raw = get_raw(otherfd, "alice.cache", &len);
    assert_int_equal(len, sizeof(OTHER_ENTRY) - 1);
    assert_memory_equal(raw, OTHER_ENTRY, len);
    free(raw);
    close(otherfd);
}

static void test_directory_at_entry_makes_write_fail_cleanly(void **state)
{
    struct fixture *f = *state;
    char listing[256];

    assert_int_equal(mkdirat(f->dirfd, "alice.cache", 0700), 0);
    assert_false(cache_write(f->dirfd, "alice", "{}", 2, 1, f->err, sizeof(f->err)));
    assert_non_null(strstr(f->err, "cannot rename into place"));
    expect_rejected(f, "alice", "not a regular file");
    list_dir(f->dir, listing, sizeof(listing));
    assert_string_equal(listing, "alice.cache"); /* the temporary file is gone */
}

static void test_fifo_at_entry_fails_fast(void **state)
{
    struct fixture *f = *state;
    int64_t start;

    assert_int_equal(mkfifoat(f->dirfd, "alice.cache", 0600), 0);
    start = now_ms();
    expect_rejected(f, "alice", "not a regular file");
    assert_true(now_ms() - start < 1000);

    assert_int_equal(mkfifoat(f->dirfd, "alice.lock", 0600), 0);
    start = now_ms();
    assert_int_equal(
        cache_lock(f->dirfd, "alice", geteuid(), monotonic_ms() + 200, f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "not a regular file"));
    assert_true(now_ms() - start < 1000);
}

static void test_open_mode_rejected(void **state)
{
    struct fixture *f = *state;
    struct cache_entry e;

    assert_true(cache_write(f->dirfd, "alice", "{}", 2, 1, f->err, sizeof(f->err)));
    assert_int_equal(fchmodat(f->dirfd, "alice.cache", 0644, 0), 0);
    expect_rejected(f, "alice", "mode 0644 is too open (group and others must have no access)");
    assert_int_equal(fchmodat(f->dirfd, "alice.cache", 0604, 0), 0);
    expect_rejected(f, "alice", "mode 0604 is too open (group and others must have no access)");
    assert_int_equal(fchmodat(f->dirfd, "alice.cache", 0400, 0), 0);
    assert_true(cache_read(f->dirfd, "alice", geteuid(), &e, f->err, sizeof(f->err)));
    cache_entry_free(&e);
}

static void test_wrong_owner_rejected(void **state)
{
    struct fixture *f = *state;
    struct cache_entry e;

    assert_true(cache_write(f->dirfd, "alice", "{}", 2, 1, f->err, sizeof(f->err)));
    assert_false(cache_read(f->dirfd, "alice", geteuid() + 1, &e, f->err, sizeof(f->err)));
    assert_non_null(strstr(f->err, "must be owned by uid"));
    assert_null(e.body);
    unit_need_root("to give the entry to another owner");
    assert_int_equal(fchownat(f->dirfd, "alice.cache", OTHER_UID, OTHER_UID, 0), 0);
    expect_rejected(f, "alice", "owned by uid 12345, must be owned by uid 0");
    assert_int_equal(fchownat(f->dirfd, "alice.cache", 0, 0, 0), 0);
    assert_true(cache_read(f->dirfd, "alice", 0, &e, f->err, sizeof(f->err)));
    cache_entry_free(&e);

    /* A lock file someone else owns is not used either. */
    put_raw(f->dirfd, "bob.lock", "", 0, 0600);
    assert_int_equal(fchownat(f->dirfd, "bob.lock", OTHER_UID, OTHER_UID, 0), 0);
    assert_int_equal(cache_lock(f->dirfd, "bob", 0, monotonic_ms() + 100, f->err, sizeof(f->err)),
                     -1);
    assert_non_null(strstr(f->err, "owned by uid 12345"));
}

/* ---- locks ---- */

struct holder {
    pid_t pid;
    int ready;   /* the child writes one byte once it holds the lock */
    int release; /* the parent writes one byte to make it let go */
};

/* A child process that takes the lock for key and holds it until told, then waits hold_ms more
 * before releasing, so the parent can already be waiting when it does. */
static void start_holder(struct fixture *f, const char *key, long hold_ms, struct holder *h)
{
    int ready[2], release[2];
    char c;

    assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
    assert_int_equal(pipe2(release, O_CLOEXEC), 0);
    h->pid = fork();
    assert_true(h->pid >= 0);
    if (h->pid == 0) {
        char err[256];
        struct timespec ts = {hold_ms / 1000, (hold_ms % 1000) * 1000000L};
        int fd;

        /* Only the parent may hold the write end, or EOF could never come. */
        close(release[1]);
        close(ready[0]);
        fd = cache_lock(f->dirfd, key, geteuid(), monotonic_ms() + 5000, err, sizeof(err));
        if (fd < 0 || write(ready[1], "L", 1) != 1)
            _exit(2);
        /* EOF (the parent died) releases as well. */
        if (read(release[0], &c, 1) < 0)
            _exit(3);
        nanosleep(&ts, NULL);
        cache_unlock(fd);
        _exit(0);
    }
    close(ready[1]);
    close(release[0]);
    h->ready = ready[0];
    h->release = release[1];
    assert_int_equal(read(h->ready, &c, 1), 1);
}

static void release_holder(struct holder *h)
{
    assert_int_equal(write(h->release, "R", 1), 1);
}

static void reap_holder(struct holder *h)
{
    int status;

    close(h->ready);
    close(h->release);
    assert_int_equal(waitpid(h->pid, &status, 0), h->pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_lock_file_is_private_and_cloexec(void **state)
{
    struct fixture *f = *state;
    int fd = cache_lock(f->dirfd, "alice", geteuid(), monotonic_ms() + 100, f->err, sizeof(f->err));

    assert_true(fd >= 0);
    assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    assert_int_equal(mode_at(f->dirfd, "alice.lock"), S_IFREG | 0600);
    cache_unlock(fd);
    /* Left in place: deleting it would race with a waiter that already opened it. */
    assert_int_equal(mode_at(f->dirfd, "alice.lock"), S_IFREG | 0600);
    cache_unlock(-1);
}

static void test_lock_held_by_other_process_times_out_then_is_granted(void **state)
{
    struct fixture *f = *state;
    struct holder h;
    int64_t start, elapsed;
    int fd;

    start_holder(f, "alice", 50, &h);
    start = monotonic_ms();
    fd = cache_lock(f->dirfd, "alice", geteuid(), start + 200, f->err, sizeof(f->err));
    elapsed = monotonic_ms() - start;
    assert_int_equal(fd, -1);
    assert_string_equal(f->err, "timed out waiting for the lock");
    if (elapsed < 160 || elapsed > 400)
        fail_msg("waited %" PRId64 " ms for a 200 ms deadline", elapsed);

    /* The holder lets go 50 ms after being told; the waiter gets it right after. */
    release_holder(&h);
    start = monotonic_ms();
    fd = cache_lock(f->dirfd, "alice", geteuid(), start + 2000, f->err, sizeof(f->err));
    elapsed = monotonic_ms() - start;
    assert_true(fd >= 0);
    if (elapsed < 40 || elapsed > 300)
        fail_msg("got the lock after %" PRId64 " ms, holder released at ~50 ms", elapsed);
    cache_unlock(fd);
    reap_holder(&h);
}

static void test_lock_other_key_not_blocked(void **state)
{
    struct fixture *f = *state;
    struct holder h;
    int64_t start;
    int fd;

    start_holder(f, "alice", 0, &h);
    start = monotonic_ms();
    fd = cache_lock(f->dirfd, "bob", geteuid(), start + 200, f->err, sizeof(f->err));
    assert_true(fd >= 0);
    assert_true(monotonic_ms() - start < 100);
    cache_unlock(fd);
    release_holder(&h);
    reap_holder(&h);
}

static void test_lock_deadline_already_passed(void **state)
{
    struct fixture *f = *state;
    int64_t start;
    int fd, fd2;

    /* Free: taken at once even with no time left. */
    fd = cache_lock(f->dirfd, "alice", geteuid(), monotonic_ms() - 1, f->err, sizeof(f->err));
    assert_true(fd >= 0);
    /* Held (a second open file in this very process counts): refused without waiting. */
    start = monotonic_ms();
    fd2 = cache_lock(f->dirfd, "alice", geteuid(), start - 1, f->err, sizeof(f->err));
    assert_int_equal(fd2, -1);
    assert_string_equal(f->err, "timed out waiting for the lock");
    assert_true(monotonic_ms() - start < 50);
    cache_unlock(fd);
}

static void test_unlock_releases_copies_inherited_by_children(void **state)
{
    struct fixture *f = *state;
    int fd, fd2, status;
    pid_t pid;

    fd = cache_lock(f->dirfd, "alice", geteuid(), monotonic_ms() + 100, f->err, sizeof(f->err));
    assert_true(fd >= 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct timespec ts = {0, 400 * 1000000L};
        nanosleep(&ts, NULL); /* keeps its copy of fd open meanwhile */
        _exit(0);
    }
    cache_unlock(fd);
    fd2 = cache_lock(f->dirfd, "alice", geteuid(), monotonic_ms() + 100, f->err, sizeof(f->err));
    assert_true(fd2 >= 0);
    cache_unlock(fd2);
    assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void test_lock_symlink_refused(void **state)
{
    struct fixture *f = *state;
    char target[PATH_MAX];

    path_join(target, sizeof(target), f->base, "created-through-link");
    assert_int_equal(symlinkat(target, f->dirfd, "alice.lock"), 0);
    assert_int_equal(
        cache_lock(f->dirfd, "alice", geteuid(), monotonic_ms() + 100, f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "is a symlink"));
    assert_int_equal(access(target, F_OK), -1);
}

static void test_lock_open_mode_rejected(void **state)
{
    struct fixture *f = *state;

    put_raw(f->dirfd, "alice.lock", "", 0, 0644);
    assert_int_equal(
        cache_lock(f->dirfd, "alice", geteuid(), monotonic_ms() + 100, f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "mode 0644 is too open (group and others must have no access)"));
}

/* ---- a hostile process: RLIMIT_FSIZE = 0, the caller's group ---- */

/* Whether a name in the directory holds ".tmp-" (a temporary file). */
static bool has_temp_file(const char *path)
{
    char listing[4096];

    list_dir(path, listing, sizeof(listing));
    return strstr(listing, ".tmp-") != NULL;
}

/* A user can start setuid su with RLIMIT_FSIZE = 0: SIGXFSZ must not kill the host. The
 * write fails cleanly, no temporary file stays, and the signal mask is as it was. */
static void test_write_under_fsize_zero_fails_cleanly(void **state)
{
    struct fixture *f = *state;
    int status;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl;
        sigset_t mask, pending;
        char err[512] = "";
        bool ok;

        getrlimit(RLIMIT_FSIZE, &rl);
        rl.rlim_cur = 0;
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(10);
        ok = cache_write(f->dirfd, "alice", "{\"code\":\"0\"}", 12, 1700000000, err, sizeof(err));
        if (ok)
            _exit(11);
        if (!strstr(err, "cannot write: File too large"))
            _exit(12);
        sigprocmask(SIG_BLOCK, NULL, &mask);
        sigpending(&pending);
        if (sigismember(&mask, SIGXFSZ) || sigismember(&pending, SIGXFSZ))
            _exit(13);
        if (has_temp_file(f->dir))
            _exit(14);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("the writer was killed by signal %d", WTERMSIG(status));
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_false(has_temp_file(f->dir));
}

/* Temporary files left by writers that died (SIGKILL, or SIGXFSZ before it was held back)
 * are removed by the next write once older than a minute; younger ones and other names
 * stay. */
static void test_old_temp_files_swept_at_next_write(void **state)
{
    struct fixture *f = *state;
    struct timespec old[2] = {{.tv_sec = time(NULL) - 120}, {.tv_sec = time(NULL) - 120}};
    char listing[4096];

    unit_write_file_at(f->dirfd, "bob.tmp-4242-00000000deadbeef", O_EXCL, "x", 1, 0600);
    unit_write_file_at(f->dirfd, "carol.tmp-4243-00000000feedf00d", O_EXCL, "x", 1, 0600);
    unit_write_file_at(f->dirfd, "notes", O_EXCL, "x", 1, 0600);
    assert_int_equal(utimensat(f->dirfd, "bob.tmp-4242-00000000deadbeef", old, 0), 0);
    assert_int_equal(utimensat(f->dirfd, "notes", old, 0), 0);
    /* A cache hit sweeps nothing. */
    assert_false(
        cache_read(f->dirfd, "alice", geteuid(), &(struct cache_entry){0}, f->err, sizeof(f->err)));
    list_dir(f->dir, listing, sizeof(listing));
    assert_string_equal(listing, "bob.tmp-4242-00000000deadbeef\n"
                                 "carol.tmp-4243-00000000feedf00d\nnotes");
    assert_true(cache_write(f->dirfd, "alice", "{}", 2, 1700000000, f->err, sizeof(f->err)));
    list_dir(f->dir, listing, sizeof(listing));
    assert_string_equal(listing, "alice.cache\ncarol.tmp-4243-00000000feedf00d\nnotes");
}

/* Inside setuid su the effective gid is the caller's: what the module creates must still
 * belong to root's group (as root; as another user, to its own group: nothing to test). */
static void test_created_files_belong_to_root_group(void **state)
{
    struct fixture *f = *state;
    int status;
    pid_t pid;

    unit_need_root("files made by root in root's group");
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        const char *names[] = {"", "alice.cache", "alice.lock"};
        char err[512] = "";
        struct stat st;
        int dirfd, lockfd;

        if (setegid(4242) != 0)
            _exit(10);
        dirfd = cache_dir_open(f->dir, geteuid(), err, sizeof(err));
        if (dirfd < 0 || !cache_write(dirfd, "alice", "{}", 2, 1700000000, err, sizeof(err)))
            _exit(11);
        lockfd = cache_lock(dirfd, "alice", geteuid(), 0, err, sizeof(err));
        if (lockfd < 0)
            _exit(12);
        cache_unlock(lockfd);
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            if (fstatat(dirfd, names[i], &st, names[i][0] ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH) !=
                0)
                _exit(13);
            if (st.st_gid != 0 || st.st_uid != 0)
                _exit(20 + (int)i);
        }
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    /* 20: the directory, 21: the entry, 22: the lock file has the caller's group. */
    assert_int_equal(WEXITSTATUS(status), 0);
}

#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* ---- upkeep: seen times, listing, removal (scnet-quota --refresh / --forget) ---- */

static void set_mtime_at(int dirfd, const char *name, time_t t)
{
    struct timespec times[2] = {{.tv_sec = t}, {.tv_sec = t}};

    assert_int_equal(utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW), 0);
}

static void test_mark_seen_touches_the_lock_file_only(void **state)
{
    struct fixture *f = *state;
    char lock[NAME_MAX_LEN + 8], entry[NAME_MAX_LEN + 8];
    struct stat st_entry, st_lock;

    entry_name("alice", ".lock", lock, sizeof(lock));
    entry_name("alice", ".cache", entry, sizeof(entry));
    assert_true(cache_write(f->dirfd, "alice", LIT("{}"), 1000, f->err, sizeof(f->err)));
    set_mtime_at(f->dirfd, entry, 1000);
    /* No lock file yet: made, private, and stamped now. */
    assert_true(cache_mark_seen(f->dirfd, "alice", geteuid(), 0, f->err, sizeof(f->err)));
    assert_int_equal(fstatat(f->dirfd, lock, &st_lock, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(st_lock.st_mode & 07777, 0600);
    assert_true(st_lock.st_mtime >= time(NULL) - 5);
    set_mtime_at(f->dirfd, lock, 2000);
    assert_true(cache_mark_seen(f->dirfd, "alice", geteuid(), 0, f->err, sizeof(f->err)));
    assert_int_equal(fstatat(f->dirfd, lock, &st_lock, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(st_lock.st_mtime >= time(NULL) - 5);
    assert_int_equal(st_lock.st_size, 0);
    assert_int_equal(fstatat(f->dirfd, entry, &st_entry, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(st_entry.st_mtime, 1000);
    /* A symlink planted at the lock's name is refused, not followed. */
    assert_int_equal(unlinkat(f->dirfd, lock, 0), 0);
    assert_int_equal(symlinkat("/etc/passwd", f->dirfd, lock), 0);
    assert_false(cache_mark_seen(f->dirfd, "alice", geteuid(), 0, f->err, sizeof(f->err)));
    assert_non_null(strstr(f->err, "symlink"));
}

/* A hit stamps the seen time at most once per interval: a younger stamp is left alone (no
 * write), an older one, a missing lock file or one in the future (the clock went back) is
 * renewed. */
static void test_mark_seen_at_most_once_per_interval(void **state)
{
    struct fixture *f = *state;
    char lock[NAME_MAX_LEN + 8];
    struct stat st;
    time_t now = time(NULL);

    entry_name("alice", ".lock", lock, sizeof(lock));
    assert_true(cache_mark_seen(f->dirfd, "alice", geteuid(), 300, f->err, sizeof(f->err)));
    assert_int_equal(fstatat(f->dirfd, lock, &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(st.st_mtime >= now - 5);
    /* Stamped 100 s ago: within 300 s, untouched; with 60 s, renewed. */
    set_mtime_at(f->dirfd, lock, now - 100);
    assert_true(cache_mark_seen(f->dirfd, "alice", geteuid(), 300, f->err, sizeof(f->err)));
    assert_int_equal(fstatat(f->dirfd, lock, &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(st.st_mtime, now - 100);
    assert_true(cache_mark_seen(f->dirfd, "alice", geteuid(), 60, f->err, sizeof(f->err)));
    assert_int_equal(fstatat(f->dirfd, lock, &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(st.st_mtime >= now - 5);
    /* In the future: renewed, or the user would look seen until then. */
    set_mtime_at(f->dirfd, lock, now + 1000);
    assert_true(cache_mark_seen(f->dirfd, "alice", geteuid(), 300, f->err, sizeof(f->err)));
    assert_int_equal(fstatat(f->dirfd, lock, &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(st.st_mtime < now + 1000);
    /* 0: always stamped. */
    set_mtime_at(f->dirfd, lock, now - 10);
    assert_true(cache_mark_seen(f->dirfd, "alice", geteuid(), 0, f->err, sizeof(f->err)));
    assert_int_equal(fstatat(f->dirfd, lock, &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(st.st_mtime >= now - 5);
}

static int item_index(const struct cache_item *items, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].key, key) == 0)
            return (int)i;
    return -1;
}

static void test_list_finds_usable_entries_with_their_seen_time(void **state)
{
    struct fixture *f = *state;
    char lock[NAME_MAX_LEN + 8], name[NAME_MAX_LEN + 8];
    struct cache_item *items = NULL;
    size_t n = 0;
    int a, b, t;

    assert_true(cache_write(f->dirfd, "alice", LIT("{}"), 1000, f->err, sizeof(f->err)));
    assert_true(cache_write(f->dirfd, "bob smith", LIT("{}"), 3000, f->err, sizeof(f->err)));
    assert_true(cache_write(f->dirfd, "token:hefei", LIT("tok"), 4000, f->err, sizeof(f->err)));
    assert_true(cache_mark_seen(f->dirfd, "alice", geteuid(), 0, f->err, sizeof(f->err)));
    entry_name("alice", ".lock", lock, sizeof(lock));
    set_mtime_at(f->dirfd, lock, 2000);
    /* Not entries: a copy under another name, junk, a temporary file, a lock alone. */
    entry_name("carol", ".cache", name, sizeof(name));
    assert_int_equal(linkat(f->dirfd, "alice.cache", f->dirfd, name, 0), 0);
    unit_write_file_at(f->dirfd, "junk.cache", O_EXCL, LIT("scnet-cache 2 x"), 0600);
    unit_write_file_at(f->dirfd, "dave.tmp-1-00", O_EXCL, LIT("x"), 0600);
    assert_true(cache_mark_seen(f->dirfd, "erin", geteuid(), 0, f->err, sizeof(f->err)));

    assert_true(cache_list(f->dirfd, geteuid(), &items, &n, f->err, sizeof(f->err)));
    assert_int_equal(n, 3);
    a = item_index(items, n, "alice");
    b = item_index(items, n, "bob smith");
    t = item_index(items, n, "token:hefei");
    assert_true(a >= 0 && b >= 0 && t >= 0);
    assert_int_equal(items[a].fetched_at, 1000);
    assert_int_equal(items[a].seen_at, 2000);
    /* Never seen by a login (no lock file): the fetch time stands in. */
    assert_int_equal(items[b].seen_at, 3000);
    cache_items_free(items, n);
}

static void test_remove_and_prune_orphan_locks(void **state)
{
    struct fixture *f = *state;
    char lock[NAME_MAX_LEN + 8], entry[NAME_MAX_LEN + 8], other[NAME_MAX_LEN + 8];
    struct cache_entry e;
    int held;

    entry_name("alice", ".lock", lock, sizeof(lock));
    entry_name("alice", ".cache", entry, sizeof(entry));
    assert_true(cache_write(f->dirfd, "alice", LIT("{}"), 1000, f->err, sizeof(f->err)));
    assert_true(cache_mark_seen(f->dirfd, "alice", geteuid(), 0, f->err, sizeof(f->err)));
    /* Without with_lock the lock file stays; a second removal of nothing is fine. */
    assert_true(cache_remove(f->dirfd, "alice", false, f->err, sizeof(f->err)));
    assert_false(cache_read(f->dirfd, "alice", geteuid(), &e, f->err, sizeof(f->err)));
    assert_true(faccessat(f->dirfd, lock, F_OK, AT_SYMLINK_NOFOLLOW) == 0);
    assert_true(cache_remove(f->dirfd, "alice", true, f->err, sizeof(f->err)));
    assert_true(faccessat(f->dirfd, lock, F_OK, AT_SYMLINK_NOFOLLOW) != 0);

    /* Orphan locks: old and free ones go; recent, held or still backed by an entry stay. */
    assert_true(cache_mark_seen(f->dirfd, "old", geteuid(), 0, f->err, sizeof(f->err)));
    entry_name("old", ".lock", other, sizeof(other));
    set_mtime_at(f->dirfd, other, 1000);
    assert_true(cache_mark_seen(f->dirfd, "recent", geteuid(), 0, f->err, sizeof(f->err)));
    assert_true(cache_mark_seen(f->dirfd, "held", geteuid(), 0, f->err, sizeof(f->err)));
    entry_name("held", ".lock", other, sizeof(other));
    set_mtime_at(f->dirfd, other, 1000);
    held = cache_lock(f->dirfd, "held", geteuid(), now_ms() + 1000, f->err, sizeof(f->err));
    assert_true(held >= 0);
    assert_true(cache_write(f->dirfd, "kept", LIT("{}"), 1000, f->err, sizeof(f->err)));
    assert_true(cache_mark_seen(f->dirfd, "kept", geteuid(), 0, f->err, sizeof(f->err)));
    entry_name("kept", ".lock", other, sizeof(other));
    set_mtime_at(f->dirfd, other, 1000);
    assert_int_equal(cache_prune_orphan_locks(f->dirfd, geteuid(), time(NULL) - 60), 1);
    entry_name("old", ".lock", other, sizeof(other));
    assert_true(faccessat(f->dirfd, other, F_OK, AT_SYMLINK_NOFOLLOW) != 0);
    entry_name("recent", ".lock", other, sizeof(other));
    assert_true(faccessat(f->dirfd, other, F_OK, AT_SYMLINK_NOFOLLOW) == 0);
    entry_name("held", ".lock", other, sizeof(other));
    assert_true(faccessat(f->dirfd, other, F_OK, AT_SYMLINK_NOFOLLOW) == 0);
    entry_name("kept", ".lock", other, sizeof(other));
    assert_true(faccessat(f->dirfd, other, F_OK, AT_SYMLINK_NOFOLLOW) == 0);
    cache_unlock(held);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_dir_created_0700_whatever_the_umask, setup_base),
        T(test_dir_existing_0700_reused, setup_base),
        T(test_dir_existing_0755_rejected, setup_base),
        T(test_dir_symlink_rejected, setup_base),
        T(test_dir_missing_parent_rejected, setup_base),
        T(test_dir_regular_file_rejected, setup_base),
        T(test_dir_wrong_owner_rejected, setup_base),
        T(test_dir_create_denied_points_at_selinux, setup_base),
        T(test_dir_open_denied_points_at_selinux, setup_base),
        cmocka_unit_test(test_name_encodes_everything_but_plain_bytes),
        cmocka_unit_test(test_name_long_and_empty_keys_are_hashed_and_bounded),
        cmocka_unit_test(test_name_short_buffer_gives_nothing),
        T(test_hostile_keys_stay_inside_the_directory, setup_cache),
        T(test_round_trip_keeps_body_and_time, setup_cache),
        T(test_round_trip_any_bytes_up_to_64k, setup_cache),
        T(test_written_file_is_0600_whatever_the_umask, setup_cache),
        T(test_missing_entry_is_quiet, setup_cache),
        T(test_older_format_is_a_quiet_miss, setup_cache),
        T(test_corrupt_headers_rejected, setup_cache),
        T(test_truncated_body_rejected, setup_cache),
        T(test_extra_trailing_bytes_rejected, setup_cache),
        T(test_foreign_key_rejected, setup_cache),
        T(test_future_fetched_at_rejected, setup_cache),
        T(test_oversized_file_rejected, setup_cache),
        T(test_symlink_at_entry_not_followed, setup_cache),
        T(test_directory_at_entry_makes_write_fail_cleanly, setup_cache),
        T(test_fifo_at_entry_fails_fast, setup_cache),
        T(test_open_mode_rejected, setup_cache),
        T(test_wrong_owner_rejected, setup_cache),
        T(test_lock_file_is_private_and_cloexec, setup_cache),
        T(test_lock_held_by_other_process_times_out_then_is_granted, setup_cache),
        T(test_lock_other_key_not_blocked, setup_cache),
        T(test_lock_deadline_already_passed, setup_cache),
        T(test_unlock_releases_copies_inherited_by_children, setup_cache),
        T(test_lock_symlink_refused, setup_cache),
        T(test_lock_open_mode_rejected, setup_cache),
        T(test_write_under_fsize_zero_fails_cleanly, setup_cache),
        T(test_old_temp_files_swept_at_next_write, setup_cache),
        T(test_created_files_belong_to_root_group, setup_base),
        T(test_mark_seen_touches_the_lock_file_only, setup_cache),
        T(test_mark_seen_at_most_once_per_interval, setup_cache),
        T(test_list_finds_usable_entries_with_their_seen_time, setup_cache),
        T(test_remove_and_prune_orphan_locks, setup_cache),
    };
    return unit_exit_code(cmocka_run_group_tests(tests, NULL, NULL));
}
