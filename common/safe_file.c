#include "safe_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat.h"

bool safe_file_check_fd(int fd, const char *what, mode_t type, enum safe_file_kind kind,
                        uid_t owner, struct stat *st, char *err, size_t errlen)
{
    mode_t forbidden = kind == SAFE_FILE_SECRET ? (S_IRWXG | S_IRWXO) : (S_IWGRP | S_IWOTH);

    if (fstat(fd, st) != 0) {
        snprintf(err, errlen, "%s: cannot stat: %s", what, strerror(errno));
        return false;
    }
    if ((st->st_mode & S_IFMT) != type) {
        snprintf(err, errlen, "%s: not a %s", what, type == S_IFDIR ? "directory" : "regular file");
        return false;
    }
    if (st->st_uid != owner) {
        snprintf(err, errlen, "%s: owned by uid %lu, must be owned by uid %lu", what,
                 (unsigned long)st->st_uid, (unsigned long)owner);
        return false;
    }
    if (st->st_mode & forbidden) {
        snprintf(err, errlen, "%s: mode %04o is too open (%s)", what,
                 (unsigned)(st->st_mode & 07777),
                 kind == SAFE_FILE_SECRET ? "group and others must have no access"
                                          : "group and others must not write");
        return false;
    }
    return true;
}

bool safe_file_read(const char *path, enum safe_file_kind kind, uid_t owner, size_t max_size,
                    char **content, size_t *len, bool *missing, char *err, size_t errlen)
{
    bool ok = false;
    char *buf = NULL;
    size_t used = 0;
    struct stat st;
    int fd;

    *content = NULL;
    *len = 0;
    if (missing)
        *missing = false;

    /* O_NONBLOCK: a FIFO planted at the path must not hang the login. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ELOOP)
            snprintf(err, errlen, "%s: is a symlink", path);
        else
            snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        if (missing && errno == ENOENT)
            *missing = true;
        goto out;
    }
    if (!safe_file_check_fd(fd, path, S_IFREG, kind, owner, &st, err, errlen))
        goto out;

    buf = malloc(max_size + 1);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, buf + used, max_size + 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        used += (size_t)n;
        if (used > max_size) {
            snprintf(err, errlen, "%s: larger than %zu bytes", path, max_size);
            goto out;
        }
    }
    buf[used] = '\0';
    *content = buf;
    *len = used;
    buf = NULL;
    ok = true;
out:
    if (buf) {
        explicit_bzero(buf, max_size + 1);
        free(buf);
    }
    if (fd >= 0)
        close(fd);
    return ok;
}

/* Symlinks followed in one walk, as the kernel's own limit (MAXSYMLINKS). */
#define WALK_MAX_LINKS 40

/* A folder (or a symlink in one) the walk passes: owned by root or owner, not writable by
 * group or others (a symlink's own mode means nothing). One exception: a sticky folder root
 * owns (/tmp): there only root and an entry's owner may rename or remove that entry, and the
 * next step checks the entry's owner, so nobody else can swap what lies below it. */
static bool walk_step_ok(const struct stat *st, const char *where, uid_t owner, char *problem,
                         size_t problemlen)
{
    bool link = S_ISLNK(st->st_mode);

    if (st->st_uid != 0 && st->st_uid != owner) {
        if (owner != 0)
            snprintf(problem, problemlen,
                     "%s %s: owned by uid %lu, must be owned by root or uid %lu",
                     link ? "symlink" : "directory", where, (unsigned long)st->st_uid,
                     (unsigned long)owner);
        else
            snprintf(problem, problemlen, "%s %s: owned by uid %lu, must be owned by root",
                     link ? "symlink" : "directory", where, (unsigned long)st->st_uid);
        return false;
    }
    if (!link && (st->st_mode & (S_IWGRP | S_IWOTH)) &&
        !(st->st_uid == 0 && (st->st_mode & S_ISVTX))) {
        snprintf(problem, problemlen,
                 "directory %s: mode %04o is too open (group and others must not write)", where,
                 (unsigned)(st->st_mode & 07777));
        return false;
    }
    return true;
}

/* Where a walk stands: the folder reached, its path as walked, what is left to walk. */
struct walk {
    int dir;
    char at[PATH_MAX];
    char rest[PATH_MAX];
    int links;
    uid_t owner;
};

/* Start (or restart, after an absolute symlink) at "/". */
static bool walk_from_root(struct walk *w, char *problem, size_t problemlen)
{
    struct stat st;

    if (w->dir >= 0)
        close(w->dir);
    snprintf(w->at, sizeof(w->at), "/");
    w->dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (w->dir < 0 || fstat(w->dir, &st) != 0) {
        snprintf(problem, problemlen, "directory /: %s", strerror(errno));
        return false;
    }
    return walk_step_ok(&st, "/", w->owner, problem, problemlen);
}

/* Take the next component of w->rest into name; false when only the last one is left. */
static bool walk_next(struct walk *w, char *name, size_t namelen)
{
    char *p = w->rest, *slash;
    size_t len;

    while (*p == '/')
        p++;
    slash = strchr(p, '/');
    len = slash ? (size_t)(slash - p) : strlen(p);
    snprintf(name, namelen, "%.*s", (int)len, p);
    memmove(w->rest, p + len, strlen(p + len) + 1);
    /* "a/" and "a//" leave only slashes: a is the last component. */
    for (p = w->rest; *p == '/'; p++)
        ;
    return *p != '\0';
}

/* Step from w->dir into the folder (or symlink) name; false with problem on anything the
 * rule refuses. */
static bool walk_into(struct walk *w, const char *name, char *problem, size_t problemlen)
{
    char where[PATH_MAX], target[PATH_MAX], joined[PATH_MAX];
    struct stat st;
    ssize_t n;
    int fd;

    size_t at_len = strlen(w->at), name_len = strlen(name);

    if (at_len + 1 + name_len >= sizeof(where)) {
        snprintf(problem, problemlen, "path too long");
        return false;
    }
    memcpy(where, w->at, at_len);
    if (at_len > 1)
        where[at_len++] = '/';
    memcpy(where + at_len, name, name_len + 1);
    if (strcmp(name, "..") == 0) {
        snprintf(problem, problemlen, "'..' in the path");
        return false;
    }
    fd = openat(w->dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(problem, problemlen, "directory %s: %s", where,
                 errno == ENOENT ? "no such directory" : strerror(errno));
        goto fail;
    }
    if (!walk_step_ok(&st, where, w->owner, problem, problemlen))
        goto fail;
    if (S_ISLNK(st.st_mode)) {
        n = readlinkat(fd, "", target, sizeof(target) - 1);
        close(fd);
        if (n <= 0 || ++w->links > WALK_MAX_LINKS) {
            snprintf(problem, problemlen, "symlink %s: %s", where,
                     n <= 0 ? strerror(errno) : "too many levels of symbolic links");
            return false;
        }
        target[n] = '\0';
        if (snprintf(joined, sizeof(joined), "%s/%s", target, w->rest) >= (int)sizeof(joined)) {
            snprintf(problem, problemlen, "symlink %s: path too long", where);
            return false;
        }
        memcpy(w->rest, joined, sizeof(joined));
        return target[0] != '/' || walk_from_root(w, problem, problemlen);
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(problem, problemlen, "%s: not a directory", where);
        goto fail;
    }
    close(w->dir);
    w->dir = fd;
    memcpy(w->at, where, strlen(where) + 1);
    return true;
fail:
    if (fd >= 0)
        close(fd);
    return false;
}

bool safe_file_open_trusted(const char *path, const char *what, int flags, enum safe_file_kind kind,
                            uid_t owner, int *fd, struct stat *st, char *err, size_t errlen)
{
    struct walk w = {.dir = -1, .owner = owner};
    char name[PATH_MAX], problem[PATH_MAX + 256], label[2 * PATH_MAX];
    bool ok = false;

    *fd = -1;
    problem[0] = '\0';
    if (path[0] != '/' || strlen(path) >= sizeof(w.rest) || path[strlen(path) - 1] == '/') {
        snprintf(err, errlen, "%s %s: not an absolute path to a file", what, path);
        return false;
    }
    snprintf(w.rest, sizeof(w.rest), "%s", path);
    if (!walk_from_root(&w, problem, sizeof(problem)))
        goto out;
    while (walk_next(&w, name, sizeof(name)))
        if (!walk_into(&w, name, problem, sizeof(problem)))
            goto out;
    if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        snprintf(problem, sizeof(problem), "not a path to a file");
        goto out;
    }
    /* O_NONBLOCK: a FIFO planted at the path must not hang the login. */
    *fd = openat(w.dir, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (*fd < 0) {
        if (errno == ELOOP)
            snprintf(problem, sizeof(problem), "is a symlink (give the file it points to)");
        else if (errno == ENOENT)
            snprintf(problem, sizeof(problem), "no such file");
        else
            snprintf(problem, sizeof(problem), "cannot open: %s", strerror(errno));
        goto out;
    }
    snprintf(label, sizeof(label), "%s %s", what, path);
    ok = safe_file_check_fd(*fd, label, S_IFREG, kind, owner, st, err, errlen);
    if (!ok) {
        close(*fd);
        *fd = -1;
    }
out:
    if (!ok && problem[0] != '\0')
        snprintf(err, errlen, "%s %s: %s", what, path, problem);
    if (w.dir >= 0)
        close(w.dir);
    return ok;
}

bool safe_file_check_path(const char *path, const char *what, enum safe_file_kind kind, uid_t owner,
                          char *err, size_t errlen)
{
    struct stat st;
    int fd;

    if (!safe_file_open_trusted(path, what, O_RDONLY, kind, owner, &fd, &st, err, errlen))
        return false;
    close(fd);
    return true;
}
