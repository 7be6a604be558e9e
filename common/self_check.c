/* Pace lock of `scnet-quota --now`. One file per user beside their record, "<uid>.now":
 * flock serialises the connections of one user (the others then find the answer the first
 * one fetched), and the file's size and mtime say when the last fresh check began (size 0:
 * none yet; a file just created is not a check). Only root writes the folder. */
#include "self_check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "user_record.h"

int self_check_lock(const struct scnet_config *cfg, uid_t uid, int64_t deadline_ms,
                    int64_t *last_at, char *err, size_t errlen)
{
    char dir[4200], name[40];
    struct stat st;
    int dirfd, fd;

    *last_at = 0;
    if (snprintf(dir, sizeof(dir), "%s" USER_RECORD_DIR_SUFFIX, cfg->cache_dir) >=
        (int)sizeof(dir)) {
        snprintf(err, errlen, "record folder: path too long");
        return -1;
    }
    dirfd = user_record_dir_open(dir, cfg->owner, err, errlen);
    if (dirfd < 0)
        return -1;
    snprintf(name, sizeof(name), "%lu.now", (unsigned long)uid);
    fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                0600);
    if (fd < 0) {
        snprintf(err, errlen, "%s/%s: cannot open: %s", dir, name,
                 errno == ELOOP ? "a symlink" : strerror(errno));
        close(dirfd);
        return -1;
    }
    close(dirfd);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != cfg->owner ||
        (st.st_mode & 0077)) {
        snprintf(err, errlen, "%s/%s: not a pace file (type, owner or mode)", dir, name);
        close(fd);
        return -1;
    }
    /* Bounded: a holder is itself bounded by its check's timeout. */
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if ((errno != EWOULDBLOCK && errno != EINTR) || deadline_left_ms(deadline_ms) == 0) {
            snprintf(err, errlen, "%s/%s: %s", dir, name,
                     errno == EWOULDBLOCK ? "still locked by another check of this user"
                                          : strerror(errno));
            close(fd);
            return -1;
        }
        usleep(10000);
    }
    /* Read after the lock: a holder before us may have just marked it. */
    if (fstat(fd, &st) == 0 && st.st_size > 0)
        *last_at = (int64_t)st.st_mtime;
    return fd;
}

bool self_check_mark(int lockfd)
{
    /* One byte: a file that was only created reads as "never". */
    return ftruncate(lockfd, 1) == 0 && futimens(lockfd, NULL) == 0;
}

void self_check_unlock(int lockfd)
{
    if (lockfd >= 0)
        close(lockfd);
}
