#include "safe_file.h"

#include <errno.h>
#include <fcntl.h>
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

bool safe_file_check_path(const char *path, const char *what, enum safe_file_kind kind, uid_t owner,
                          char *err, size_t errlen)
{
    const char *slash = strrchr(path, '/');
    char dir[4096], problem[512], label[4200];
    struct stat st;
    bool ok = false;
    int dirfd = -1, fd = -1;

    if (path[0] != '/' || !slash || (size_t)(slash - path) >= sizeof(dir) || !slash[1]) {
        snprintf(err, errlen, "%s %s: not an absolute path to a file", what, path);
        return false;
    }
    /* "/ca.pem" lives in "/". */
    snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
    dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        snprintf(err, errlen, "%s %s: directory %s: %s", what, path, dir,
                 errno == ENOENT ? "no such directory" : strerror(errno));
        goto out;
    }
    snprintf(label, sizeof(label), "%s %s: directory %s", what, path, dir);
    if (!safe_file_check_fd(dirfd, label, S_IFDIR, SAFE_FILE_CONFIG, owner, &st, err, errlen))
        goto out;
    /* O_NONBLOCK: a FIFO planted at the path must not hang the login. */
    fd = openat(dirfd, slash + 1, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ELOOP)
            snprintf(problem, sizeof(problem), "is a symlink (give the file it points to)");
        else if (errno == ENOENT)
            snprintf(problem, sizeof(problem), "no such file");
        else
            snprintf(problem, sizeof(problem), "cannot open: %s", strerror(errno));
        snprintf(err, errlen, "%s %s: %s", what, path, problem);
        goto out;
    }
    snprintf(label, sizeof(label), "%s %s", what, path);
    ok = safe_file_check_fd(fd, label, S_IFREG, kind, owner, &st, err, errlen);
out:
    if (fd >= 0)
        close(fd);
    if (dirfd >= 0)
        close(dirfd);
    return ok;
}
