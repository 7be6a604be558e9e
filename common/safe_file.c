#include "safe_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Check on the open descriptor (not the path) so a swap between check and use is harmless. */
static bool check_descriptor(int fd, const char *path, enum safe_file_kind kind, uid_t owner,
                             char *err, size_t errlen)
{
    struct stat st;
    mode_t forbidden = kind == SAFE_FILE_SECRET ? (S_IRWXG | S_IRWXO) : (S_IWGRP | S_IWOTH);

    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        return false;
    }
    if (st.st_uid != owner) {
        snprintf(err, errlen, "%s: owned by uid %lu, must be owned by uid %lu", path,
                 (unsigned long)st.st_uid, (unsigned long)owner);
        return false;
    }
    if (st.st_mode & forbidden) {
        snprintf(err, errlen, "%s: mode %04o is too open (%s)", path,
                 (unsigned)(st.st_mode & 07777),
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
    if (!check_descriptor(fd, path, kind, owner, err, errlen))
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
