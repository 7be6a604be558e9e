/* Per-node answer cache. Everything is done relative to the directory descriptor, without
 * following symlinks, and checked on the opened descriptor, because root reads these files
 * at every login and a wrong answer can refuse one.
 *
 * Entry file "<stem>.cache":
 *     scnet-cache 2 <fetched_at> <body_len> <key as lowercase hex>\n<body_len bytes>
 * and nothing after. Numbers are plain decimal (no sign, no leading zeros). A user's body is
 * the helper's answer as fixed fields (answer_text.h), a token's the token record (token.c).
 * Format 1 held the quota API's JSON as received: such a file reads as a miss. */
#include "cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "deadline.h"
#include "log.h"
#include "safe_file.h"

#define CACHE_MAGIC "scnet-cache 2 "
#define CACHE_MAGIC_OLDER "scnet-cache 1 "
#define CACHE_BODY_MAX 65536
#define CACHE_FILE_MAX 81920
/* Bounds the header line; user names and "token:<cluster>" are far shorter. */
#define CACHE_KEY_MAX 1024
/* A clock stepped back on this node, or a file from a node whose clock runs ahead. */
#define CACHE_FUTURE_SLACK 300
/* Longer encodings are hashed; the stem stays well under the 100 bytes promised. */
#define CACHE_DIRECT_MAX 90
#define CACHE_HASH_PREFIX 20
#define CACHE_STEM_BUF (CACHE_DIRECT_MAX + 1)
/* Room for "cache file ", a stem and ".tmp-<pid>-<16 hex>" or ".cache". */
#define CACHE_NAME_BUF 160
/* A temporary file lives for microseconds; one this old was left by a writer that died
 * (before the write was held back from SIGXFSZ, or by SIGKILL), and is removed. */
#define CACHE_TEMP_MAX_AGE 60

static const char hex_upper[] = "0123456789ABCDEF";
static const char hex_lower[] = "0123456789abcdef";

static bool name_byte_is_plain(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Appends the encoding of c at out (room for 3 bytes); returns how many bytes it took. */
static size_t encode_byte(unsigned char c, char *out)
{
    if (name_byte_is_plain(c)) {
        out[0] = (char)c;
        return 1;
    }
    out[0] = '%';
    out[1] = hex_upper[c >> 4];
    out[2] = hex_upper[c & 0xf];
    return 3;
}

/* Writes the stem into out (CACHE_STEM_BUF bytes). Plain bytes stay, others become %XX, so
 * neither '/' nor '.' can appear and a stem never starts with '.'. Empty or over-long
 * encodings become "%h<16 hex>_<start of the encoding>": "%h" cannot come out of the
 * encoding ('h' is not an uppercase hex digit), so those never collide with direct names. */
static void make_stem(const char *key, char *out)
{
    const unsigned char *p;
    size_t enc_len = 0, n = 0, head;
    char triple[3];

    for (p = (const unsigned char *)key; *p && enc_len <= CACHE_DIRECT_MAX; p++)
        enc_len += name_byte_is_plain(*p) ? 1 : 3;
    if (enc_len > 0 && enc_len <= CACHE_DIRECT_MAX) {
        for (p = (const unsigned char *)key; *p; p++)
            n += encode_byte(*p, out + n);
        out[n] = '\0';
        return;
    }
    head = (size_t)snprintf(out, CACHE_STEM_BUF, "%%h%016" PRIx64 "_", fnv1a64(key));
    /* A readable start for the administrator, cut only between whole %XX triples. */
    for (p = (const unsigned char *)key; *p; p++) {
        size_t w = encode_byte(*p, triple);
        if (n + w > CACHE_HASH_PREFIX)
            break;
        memcpy(out + head + n, triple, w);
        n += w;
    }
    out[head + n] = '\0';
}

void cache_file_name(const char *key, char *name, size_t namelen)
{
    char stem[CACHE_STEM_BUF];
    size_t len;

    make_stem(key, stem);
    len = strlen(stem);
    if (namelen == 0)
        return;
    /* A cut name could be "" (then ".cache") or clash with another key: give nothing. */
    if (len >= namelen) {
        name[0] = '\0';
        return;
    }
    memcpy(name, stem, len + 1);
}

/* The group of what the module creates: root's when it runs as root. Inside setuid su the
 * effective gid is the caller's, and the files would otherwise belong to the caller's
 * group; as another user (tests, the admin command run by hand) its own group. */
static gid_t created_group(void)
{
    return geteuid() == 0 ? 0 : getegid();
}

/* Give fd (a file or directory this process owns) the group above; err says why not. */
static bool set_group(int fd, const struct stat *st, const char *what, char *err, size_t errlen)
{
    gid_t group = created_group();

    if (st->st_gid == group || fchown(fd, (uid_t)-1, group) == 0)
        return true;
    snprintf(err, errlen, "%s: cannot set group %ld: %s", what, (long)group, strerror(errno));
    return false;
}

int cache_dir_open(const char *path, uid_t owner, char *err, size_t errlen)
{
    struct stat st;
    bool created = false;
    int fd = -1, rc = -1;

    if (!path || !*path) {
        snprintf(err, errlen, "cache directory: empty path");
        goto out;
    }
    /* Opened first: it exists at every login but the first, and a mkdir that fails with
     * EEXIST is one more system call per login. Only the last component is created: the
     * parents are the administrator's to create and secure. */
    fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        if (mkdir(path, 0700) == 0) {
            created = true;
        } else if (errno != EEXIST) { /* EEXIST: another login made it a moment ago */
            snprintf(err, errlen, "%s: cannot create: %s%s", path, strerror(errno),
                     denied_hint(errno));
            goto out;
        }
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
        int e = errno;

        /* With O_DIRECTORY a symlink gives ENOTDIR; lstat only picks the message. */
        if (e == ELOOP || (e == ENOTDIR && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)))
            snprintf(err, errlen, "%s: is a symlink", path);
        else if (e == ENOTDIR)
            snprintf(err, errlen, "%s: not a directory", path);
        else
            snprintf(err, errlen, "%s: cannot open: %s%s", path, strerror(e), denied_hint(e));
        goto out;
    }
    /* A umask such as 0277 would leave our own fresh directory unusable; fix only ours, and
     * only after checking the descriptor is a directory we own. */
    if (created && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == owner &&
        (st.st_mode & 07777) != 0700 && fchmod(fd, 0700) != 0) {
        snprintf(err, errlen, "%s: cannot set mode 0700: %s", path, strerror(errno));
        goto out;
    }
    if (!safe_file_check_fd(fd, path, S_IFDIR, SAFE_FILE_SECRET, owner, &st, err, errlen))
        goto out;
    /* Only ours: an existing directory's group is the administrator's choice. */
    if (created && !set_group(fd, &st, path, err, errlen))
        goto out;
    rc = fd;
    fd = -1;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

static bool write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Strict decimal: 1 to 19 digits, no sign, no leading zero, at most max, then sep. */
static bool parse_decimal(const char **pp, const char *end, char sep, uint64_t max, uint64_t *out)
{
    const char *p = *pp;
    uint64_t v = 0;
    size_t digits = 0;

    while (p < end && *p >= '0' && *p <= '9') {
        if (digits == 19 || (digits == 1 && v == 0))
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
        digits++;
        p++;
    }
    if (digits == 0 || v > max || p >= end || *p != sep)
        return false;
    *out = v;
    *pp = p + 1;
    return true;
}

/* Whether [p, end) is exactly key in lowercase hex. */
static bool hex_is_key(const char *p, const char *end, const char *key)
{
    const unsigned char *k = (const unsigned char *)key;

    for (; *k; k++, p += 2) {
        if (end - p < 2 || p[0] != hex_lower[*k >> 4] || p[1] != hex_lower[*k & 0xf])
            return false;
    }
    return p == end;
}

static bool hex_is_valid(const char *p, const char *end)
{
    if ((end - p) % 2 != 0)
        return false;
    for (; p < end; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    }
    return true;
}

/* Reads the whole descriptor into buf (cap bytes); false if it holds more than cap - 1. */
static bool read_all(int fd, char *buf, size_t cap, size_t *used)
{
    *used = 0;
    for (;;) {
        ssize_t n = read(fd, buf + *used, cap - *used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        if (n == 0)
            return true;
        *used += (size_t)n;
        if (*used == cap) {
            errno = EFBIG;
            return false;
        }
    }
}

bool cache_read(int dirfd, const char *key, uid_t owner, struct cache_entry *entry, char *err,
                size_t errlen)
{
    char stem[CACHE_STEM_BUF], what[CACHE_NAME_BUF], *name, *buf = NULL;
    const char *p, *nl, *end;
    uint64_t fetched_at, body_len;
    size_t used = 0, buflen = 0, magic_len = strlen(CACHE_MAGIC);
    struct stat st;
    bool ok = false, header_ok = false;
    int fd = -1;

    memset(entry, 0, sizeof(*entry));
    if (errlen > 0)
        err[0] = '\0';
    make_stem(key, stem);
    snprintf(what, sizeof(what), "cache file %s.cache", stem);
    name = what + strlen("cache file ");
    if (strlen(key) > CACHE_KEY_MAX) {
        snprintf(err, errlen, "%s: key longer than %d bytes", what, CACHE_KEY_MAX);
        goto out;
    }
    /* O_NONBLOCK: a FIFO planted at the name must not hang the login. */
    fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT) /* simply missing: err stays empty */
            goto out;
        if (errno == ELOOP)
            snprintf(err, errlen, "%s: is a symlink", what);
        else
            snprintf(err, errlen, "%s: cannot open: %s%s", what, strerror(errno),
                     denied_hint(errno));
        goto out;
    }
    if (!safe_file_check_fd(fd, what, S_IFREG, SAFE_FILE_SECRET, owner, &st, err, errlen))
        goto out;
    if (st.st_size > CACHE_FILE_MAX) {
        snprintf(err, errlen, "%s: larger than %d bytes", what, CACHE_FILE_MAX);
        goto out;
    }
    /* One byte more than fstat said: a file that grows meanwhile is caught, not cut. */
    buflen = (size_t)st.st_size + 1;
    buf = malloc(buflen);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", what);
        goto out;
    }
    if (!read_all(fd, buf, buflen, &used)) {
        snprintf(err, errlen, "%s: cannot read: %s", what,
                 errno == EFBIG ? "it grew while being read" : strerror(errno));
        goto out;
    }
    end = buf + used;
    nl = memchr(buf, '\n', used);
    p = buf;
    if (nl && (size_t)(nl - buf) >= magic_len && memcmp(buf, CACHE_MAGIC, magic_len) == 0) {
        p = buf + magic_len;
        header_ok = parse_decimal(&p, nl, ' ', INT64_MAX, &fetched_at) &&
                    parse_decimal(&p, nl, ' ', CACHE_BODY_MAX, &body_len) && hex_is_valid(p, nl);
    }
    if (!header_ok && nl && (size_t)(nl - buf) >= magic_len &&
        memcmp(buf, CACHE_MAGIC_OLDER, magic_len) == 0) {
        entry->older_format = true; /* a miss, like no file: err stays empty */
        goto out;
    }
    if (!header_ok) {
        snprintf(err, errlen, "%s: corrupt header", what);
        goto out;
    }
    if (!hex_is_key(p, nl, key)) {
        snprintf(err, errlen, "%s: stored for another key", what);
        goto out;
    }
    if ((size_t)(end - (nl + 1)) != body_len) {
        snprintf(err, errlen, "%s: body is %zu bytes, header says %" PRIu64, what,
                 (size_t)(end - (nl + 1)), body_len);
        goto out;
    }
    if ((int64_t)fetched_at > (int64_t)time(NULL) + CACHE_FUTURE_SLACK) {
        snprintf(err, errlen, "%s: fetched_at %" PRIu64 " is in the future", what, fetched_at);
        goto out;
    }
    entry->body = malloc(body_len + 1);
    if (!entry->body) {
        snprintf(err, errlen, "%s: out of memory", what);
        goto out;
    }
    memcpy(entry->body, nl + 1, body_len);
    entry->body[body_len] = '\0';
    entry->len = body_len;
    entry->fetched_at = (int64_t)fetched_at;
    ok = true;
out:
    if (buf) {
        explicit_bzero(buf, buflen);
        free(buf);
    }
    if (fd >= 0)
        close(fd);
    return ok;
}

/* 64 bits for the temporary name; O_EXCL makes a repeat an error, never a shared file. */
static uint64_t temp_nonce(void)
{
    uint64_t v;
    struct timespec ts;

    /* GRND_NONBLOCK: early at boot the pool may not be ready, and a login must not wait. */
    if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
        return v;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec) ^
           ((uint64_t)getpid() << 40);
}

/* Remove temporary files older than CACHE_TEMP_MAX_AGE. Run before each write (not on a
 * cache hit) and by scnet-quota --refresh: one pass over the names, a stat only for
 * temporary ones. Best effort: what fails is left for the next write and costs the login
 * nothing. */
size_t cache_sweep_temp_files(int dirfd)
{
    struct stat st;
    struct dirent *e;
    time_t now = time(NULL);
    size_t removed = 0;
    DIR *dir;
    int fd;

    fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    dir = fdopendir(fd);
    if (!dir) {
        close(fd);
        return 0;
    }
    /* readdir on a DIR of our own is thread-safe (readdir_r is the deprecated one). */
    // cppcheck-suppress readdirCalled
    while ((e = readdir(dir)) != NULL) {
        /* Only our own temporary names: "<stem>.tmp-<pid>-<hex>" (a stem has no '.'). */
        const char *dot = strchr(e->d_name, '.');
        if (!dot || strncmp(dot, ".tmp-", 5) != 0 || e->d_name[0] == '.')
            continue;
        if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            now - st.st_mtime > CACHE_TEMP_MAX_AGE && unlinkat(dirfd, e->d_name, 0) == 0)
            removed++;
    }
    closedir(dir);
    return removed;
}

/* Write header and body to fd and close it, with SIGXFSZ held back: a user can start su
 * with RLIMIT_FSIZE = 0, and the signal's default action would kill the host. The write
 * then fails with EFBIG instead; a SIGXFSZ it caused is consumed, one that was already
 * pending is left alone. The signal is sent to the writing thread, so blocking it in this
 * thread is enough (sigprocmask is per thread on Linux, and always in libc). */
bool cache_write_and_close(int fd, const char *header, size_t header_len, const char *body,
                           size_t len)
{
    const struct timespec no_wait = {0, 0};
    sigset_t xfsz, old_mask, pending;
    bool ok, was_pending;
    int saved_errno;

    sigemptyset(&xfsz);
    sigaddset(&xfsz, SIGXFSZ);
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGXFSZ) == 1;
    sigprocmask(SIG_BLOCK, &xfsz, &old_mask);
    ok = write_all(fd, header, header_len) && write_all(fd, body, len);
    saved_errno = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        saved_errno = errno;
    }
    if (!was_pending) {
        sigemptyset(&pending);
        sigpending(&pending);
        if (sigismember(&pending, SIGXFSZ) == 1)
            sigtimedwait(&xfsz, NULL, &no_wait);
    }
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    errno = saved_errno;
    return ok;
}

bool cache_write(int dirfd, const char *key, const char *body, size_t len, int64_t fetched_at,
                 char *err, size_t errlen)
{
    char stem[CACHE_STEM_BUF], what[CACHE_NAME_BUF], tmp[CACHE_NAME_BUF], *name;
    char *header = NULL;
    size_t key_len = strlen(key), header_len = 0;
    bool ok = false, tmp_exists = false, written;
    struct stat st;
    int fd = -1;

    make_stem(key, stem);
    snprintf(what, sizeof(what), "cache file %s.cache", stem);
    name = what + strlen("cache file ");
    if (key_len > CACHE_KEY_MAX) {
        snprintf(err, errlen, "%s: key longer than %d bytes", what, CACHE_KEY_MAX);
        goto out;
    }
    if (len > CACHE_BODY_MAX) {
        snprintf(err, errlen, "%s: body of %zu bytes is over %d", what, len, CACHE_BODY_MAX);
        goto out;
    }
    if (fetched_at < 0) {
        snprintf(err, errlen, "%s: negative fetched_at", what);
        goto out;
    }
    header = malloc(sizeof(CACHE_MAGIC) + 48 + 2 * key_len);
    if (!header) {
        snprintf(err, errlen, "%s: out of memory", what);
        goto out;
    }
    header_len = (size_t)sprintf(header, CACHE_MAGIC "%" PRId64 " %zu ", fetched_at, len);
    for (const unsigned char *k = (const unsigned char *)key; *k; k++) {
        header[header_len++] = hex_lower[*k >> 4];
        header[header_len++] = hex_lower[*k & 0xf];
    }
    header[header_len++] = '\n';

    cache_sweep_temp_files(dirfd);
    for (int attempt = 0; fd < 0; attempt++) {
        /* The stem has no '.', so "<stem>.tmp-..." never equals another key's entry or lock. */
        snprintf(tmp, sizeof(tmp), "%s.tmp-%ld-%016" PRIx64, stem, (long)getpid(), temp_nonce());
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                    0600);
        if (fd < 0 && (errno != EEXIST || attempt == 3)) {
            snprintf(err, errlen, "%s: cannot create %s: %s%s", what, tmp, strerror(errno),
                     denied_hint(errno));
            goto out;
        }
    }
    tmp_exists = true;
    /* The umask may have taken the owner's bits; it can never have added others'. */
    if (fchmod(fd, 0600) != 0) {
        snprintf(err, errlen, "%s: cannot set mode 0600: %s", what, strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot stat: %s", what, strerror(errno));
        goto out;
    }
    if (!set_group(fd, &st, what, err, errlen))
        goto out;
    written = cache_write_and_close(fd, header, header_len, body, len);
    fd = -1;
    if (!written) {
        snprintf(err, errlen, "%s: cannot write: %s", what, strerror(errno));
        goto out;
    }
    /* rename replaces a symlink at the name itself, never its target; a directory there
     * makes it fail. */
    if (renameat(dirfd, tmp, dirfd, name) != 0) {
        snprintf(err, errlen, "%s: cannot rename into place: %s", what, strerror(errno));
        goto out;
    }
    tmp_exists = false;
    ok = true;
out:
    if (fd >= 0)
        close(fd);
    if (tmp_exists)
        unlinkat(dirfd, tmp, 0);
    free(header);
    return ok;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

    /* EINTR cuts it short; the caller looks at the clock again, so that is harmless. */
    nanosleep(&ts, NULL);
}

/* Open (creating) <stem>.lock of key for cache_lock and cache_mark_seen: never a symlink or a
 * FIFO, always ours, with the group of what we create. what (CACHE_NAME_BUF bytes) names the
 * file for later messages. Returns the descriptor, or -1 with the reason in err. */
static int open_lock_file(int dirfd, const char *key, uid_t owner, char *what, char *err,
                          size_t errlen)
{
    char stem[CACHE_STEM_BUF], *name;
    struct stat st;
    int fd;

    make_stem(key, stem);
    snprintf(what, CACHE_NAME_BUF, "lock file %s.lock", stem);
    name = what + strlen("lock file ");
    /* O_NONBLOCK: opening a FIFO planted here must not wait for a writer. */
    fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                0600);
    if (fd < 0) {
        if (errno == ELOOP)
            snprintf(err, errlen, "%s: is a symlink", what);
        else
            snprintf(err, errlen, "%s: cannot open: %s%s", what, strerror(errno),
                     denied_hint(errno));
        return -1;
    }
    if (!safe_file_check_fd(fd, what, S_IFREG, SAFE_FILE_SECRET, owner, &st, err, errlen) ||
        !set_group(fd, &st, what, err, errlen)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Whether the holder of the lock on fd took it more than lease_ms ago (its stamp, the lock
 * file's mtime, is that old). */
static bool lease_is_over(int fd, long lease_ms)
{
    struct stat st;
    struct timespec now;
    int64_t age_ms;

    if (lease_ms <= 0 || fstat(fd, &st) != 0 || clock_gettime(CLOCK_REALTIME, &now) != 0)
        return false;
    age_ms = ((int64_t)now.tv_sec - (int64_t)st.st_mtim.tv_sec) * 1000 +
             ((int64_t)now.tv_nsec - (int64_t)st.st_mtim.tv_nsec) / 1000000;
    return age_ms > lease_ms;
}

/* cache_lock and cache_lease: lease_ms 0 = a lock without a lease (never stamped, never
 * given up on before wait_until_ms). */
static int lock_key(int dirfd, const char *key, uid_t owner, long lease_ms, int64_t wait_until_ms,
                    bool *expired, char *err, size_t errlen)
{
    char what[CACHE_NAME_BUF];
    long step_ms = 1;
    int fd, rc = -1;

    if (expired)
        *expired = false;
    fd = open_lock_file(dirfd, key, owner, what, err, errlen);
    if (fd < 0)
        goto out;
    /* flock has no timeout and alarm() would touch the host's signal handling: poll, starting
     * fine-grained since the holder usually needs only one API round trip. */
    for (;;) {
        long left;

        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            break;
        if (errno != EWOULDBLOCK && errno != EINTR) {
            snprintf(err, errlen, "%s: cannot lock: %s", what, strerror(errno));
            goto out;
        }
        if (lease_is_over(fd, lease_ms)) {
            if (expired)
                *expired = true;
            snprintf(err, errlen, "the lock holder's lease of %ld ms is over", lease_ms);
            goto out;
        }
        left = deadline_left_ms(wait_until_ms);
        if (left <= 0) {
            snprintf(err, errlen, "timed out waiting for the lock");
            goto out;
        }
        sleep_ms(step_ms < left ? step_ms : left);
        if (step_ms < 10)
            step_ms = step_ms * 2 < 10 ? step_ms * 2 : 10;
    }
    /* The lease starts now: the stamp others read. */
    if (lease_ms > 0 && futimens(fd, NULL) != 0) {
        snprintf(err, errlen, "%s: cannot stamp the lease: %s", what, strerror(errno));
        goto out;
    }
    rc = fd;
    fd = -1;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

int cache_lock(int dirfd, const char *key, uid_t owner, int64_t deadline_ms, char *err,
               size_t errlen)
{
    return lock_key(dirfd, key, owner, 0, deadline_ms, NULL, err, errlen);
}

int cache_lease(int dirfd, const char *key, uid_t owner, long lease_ms, int64_t wait_until_ms,
                bool *expired, char *err, size_t errlen)
{
    return lock_key(dirfd, key, owner, lease_ms > 0 ? lease_ms : 1, wait_until_ms, expired, err,
                    errlen);
}

bool cache_caller_may_write(uid_t owner)
{
    return getuid() == owner;
}

void cache_unlock(int lockfd)
{
    if (lockfd < 0)
        return;
    /* Explicit: a copy of the descriptor inherited by a child would otherwise keep it. */
    flock(lockfd, LOCK_UN);
    close(lockfd);
}

void cache_entry_free(struct cache_entry *entry)
{
    if (!entry)
        return;
    if (entry->body) {
        explicit_bzero(entry->body, entry->len);
        free(entry->body);
    }
    memset(entry, 0, sizeof(*entry));
}

/* When the lock file of key was last touched by a login; -1 when there is none. */
static int64_t lock_mtime(int dirfd, const char *key)
{
    char stem[CACHE_STEM_BUF], name[CACHE_NAME_BUF];
    struct stat st;

    make_stem(key, stem);
    snprintf(name, sizeof(name), "%s.lock", stem);
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
        return -1;
    return (int64_t)st.st_mtime;
}

bool cache_mark_seen(int dirfd, const char *key, uid_t owner, long every_s, char *err,
                     size_t errlen)
{
    char what[CACHE_NAME_BUF];
    bool ok = false;
    int fd = -1;
    int64_t age = every_s > 0 ? (int64_t)time(NULL) - lock_mtime(dirfd, key) : -1;

    /* A login every few seconds needs no stamp each time: --refresh reads seen times in
     * hours (refresh_window), and a cache hit is then one stat, no open and no write. A stamp
     * in the future (the clock went back) is renewed. */
    if (age >= 0 && age < every_s) {
        ok = true;
        goto out;
    }
    fd = open_lock_file(dirfd, key, owner, what, err, errlen);
    if (fd < 0)
        goto out;
    /* A timestamp, not a write: no data block changes, and it survives the entry being
     * replaced by a refresh (rename gives the entry a new inode, the lock keeps its own). */
    if (futimens(fd, NULL) != 0) {
        snprintf(err, errlen, "cannot mark %s seen: %s", key, strerror(errno));
        goto out;
    }
    ok = true;
out:
    if (fd >= 0)
        close(fd);
    return ok;
}

/* The key stored in the header of the entry file name (checked like cache_read checks it),
 * or NULL. Caller frees. */
static char *stored_key(int dirfd, const char *name, uid_t owner)
{
    char buf[sizeof(CACHE_MAGIC) + 48 + 2 * CACHE_KEY_MAX], err[256], *key = NULL;
    const char *p, *nl;
    size_t used = 0, magic_len = strlen(CACHE_MAGIC), key_len;
    uint64_t number;
    struct stat st;
    ssize_t n;
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);

    if (fd < 0)
        return NULL;
    if (!safe_file_check_fd(fd, name, S_IFREG, SAFE_FILE_SECRET, owner, &st, err, sizeof(err)))
        goto out;
    while (used < sizeof(buf) && (n = read(fd, buf + used, sizeof(buf) - used)) > 0)
        used += (size_t)n;
    nl = memchr(buf, '\n', used);
    if (!nl || (size_t)(nl - buf) < magic_len || memcmp(buf, CACHE_MAGIC, magic_len) != 0)
        goto out;
    p = buf + magic_len;
    if (!parse_decimal(&p, nl, ' ', INT64_MAX, &number) ||
        !parse_decimal(&p, nl, ' ', CACHE_BODY_MAX, &number) || !hex_is_valid(p, nl) || p == nl)
        goto out;
    key_len = (size_t)(nl - p) / 2;
    key = malloc(key_len + 1);
    if (!key)
        goto out;
    for (size_t i = 0; i < key_len; i++) {
        const char *hi = strchr(hex_lower, p[2 * i]), *lo = strchr(hex_lower, p[2 * i + 1]);
        key[i] = (char)(((hi - hex_lower) << 4) | (lo - hex_lower));
    }
    key[key_len] = '\0';
    /* A NUL inside would make another key out of this one. */
    if (strlen(key) != key_len) {
        free(key);
        key = NULL;
    }
out:
    close(fd);
    return key;
}

static bool has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    return n > k && strcmp(name + n - k, suffix) == 0;
}

bool cache_list(int dirfd, uid_t owner, struct cache_item **items, size_t *count, char *err,
                size_t errlen)
{
    struct cache_item *list = NULL;
    size_t used = 0, cap = 0;
    struct dirent *de;
    bool ok = false;
    DIR *dir = NULL;
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    *items = NULL;
    *count = 0;
    if (fd < 0 || !(dir = fdopendir(fd))) {
        snprintf(err, errlen, "cannot list the cache directory: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        goto out;
    }
    /* readdir_r is deprecated; this DIR is this call's own, never shared with a thread. */
    // cppcheck-suppress readdirCalled
    while ((de = readdir(dir)) != NULL) {
        char stem[CACHE_STEM_BUF], name[CACHE_NAME_BUF], why[256];
        struct cache_entry entry;
        char *key;

        if (!has_suffix(de->d_name, ".cache") || !(key = stored_key(dirfd, de->d_name, owner)))
            continue;
        /* Only the file cache_read would open for this key counts (not a copy under a
         * made-up name), and only when it passes every check cache_read makes. */
        make_stem(key, stem);
        snprintf(name, sizeof(name), "%s.cache", stem);
        if (strcmp(name, de->d_name) != 0 ||
            !cache_read(dirfd, key, owner, &entry, why, sizeof(why))) {
            free(key);
            continue;
        }
        if (used == cap) {
            size_t more = cap ? cap * 2 : 64;
            struct cache_item *grown = realloc(list, more * sizeof(*list));
            if (!grown) {
                free(key);
                cache_entry_free(&entry);
                snprintf(err, errlen, "out of memory");
                goto out;
            }
            list = grown;
            cap = more;
        }
        list[used].key = key;
        list[used].fetched_at = entry.fetched_at;
        list[used].seen_at = lock_mtime(dirfd, key);
        if (list[used].seen_at < 0)
            list[used].seen_at = entry.fetched_at;
        used++;
        cache_entry_free(&entry);
    }
    *items = list;
    *count = used;
    list = NULL;
    used = 0;
    ok = true;
out:
    cache_items_free(list, used);
    if (dir)
        closedir(dir);
    return ok;
}

void cache_items_free(struct cache_item *items, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(items[i].key);
    free(items);
}

bool cache_remove(int dirfd, const char *key, bool with_lock, char *err, size_t errlen)
{
    char stem[CACHE_STEM_BUF], name[CACHE_NAME_BUF];
    bool ok = true;

    make_stem(key, stem);
    snprintf(name, sizeof(name), "%s.cache", stem);
    if (unlinkat(dirfd, name, 0) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "cannot delete %s: %s", name, strerror(errno));
        ok = false;
    }
    snprintf(name, sizeof(name), "%s.lock", stem);
    if (with_lock && unlinkat(dirfd, name, 0) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "cannot delete %s: %s", name, strerror(errno));
        ok = false;
    }
    return ok;
}

size_t cache_prune_orphan_locks(int dirfd, uid_t owner, int64_t older_than)
{
    struct dirent *de;
    size_t pruned = 0;
    DIR *dir = NULL;
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 || !(dir = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    /* readdir_r is deprecated; this DIR is this call's own, never shared with a thread. */
    // cppcheck-suppress readdirCalled
    while ((de = readdir(dir)) != NULL) {
        char entry_name[CACHE_NAME_BUF];
        size_t stem_len = strlen(de->d_name) - strlen(".lock");
        struct stat st;
        int lockfd;

        if (!has_suffix(de->d_name, ".lock") || stem_len >= CACHE_STEM_BUF ||
            memchr(de->d_name, '.', stem_len))
            continue;
        snprintf(entry_name, sizeof(entry_name), "%.*s.cache", (int)stem_len, de->d_name);
        if (fstatat(dirfd, entry_name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
            continue;
        lockfd =
            openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (lockfd < 0)
            continue;
        /* Held by a login right now, or touched recently: not ours to delete. */
        if (fstat(lockfd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == owner &&
            (int64_t)st.st_mtime < older_than && flock(lockfd, LOCK_EX | LOCK_NB) == 0 &&
            unlinkat(dirfd, de->d_name, 0) == 0)
            pruned++;
        close(lockfd);
    }
    closedir(dir);
    return pruned;
}
