/* Fallbacks for glibc < 2.25 (see compat.h). Compiled on every platform, so that the unit
 * tests run them everywhere; compat.h decides whether the rest of the code uses them. */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A call through a volatile pointer: the compiler must load the pointer at run time, so it
 * cannot know the callee is memset and drop the store to memory that is freed next. */
static void *(*const volatile wipe_memset)(void *, int, size_t) = memset;

void compat_explicit_bzero(void *p, size_t n)
{
    wipe_memset(p, 0, n);
}

ssize_t compat_read_random_file(const char *path, void *buf, size_t len)
{
    unsigned char *out = buf;
    size_t done = 0;
    ssize_t rc = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

    if (fd < 0)
        return -1;
    while (done < len) {
        ssize_t n = read(fd, out + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto out;
        if (n == 0) {
            errno = EIO;
            goto out;
        }
        done += (size_t)n;
    }
    rc = (ssize_t)len;
out:
    close(fd);
    return rc;
}

ssize_t compat_getrandom(void *buf, size_t len, unsigned int flags)
{
#ifdef SYS_getrandom
    long n = syscall(SYS_getrandom, buf, len, flags);

    if (n >= 0 || errno != ENOSYS)
        return (ssize_t)n;
#else
    (void)flags;
#endif
    return compat_read_random_file("/dev/urandom", buf, len);
}
