/* Fallbacks for glibc < 2.25 and kernels before execveat (see compat.h). Compiled on every
 * platform, so that the unit tests run them everywhere; compat.h decides whether the rest of the
 * code uses them. */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
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

int compat_exec_proc_fd(int fd, char *const argv[], char *const envp[])
{
    char path[32] = "/proc/self/fd/", digits[16];
    size_t len = strlen(path), n = 0;
    unsigned int v = (unsigned int)fd;

    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    /* No snprintf: this runs between fork and exec. */
    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n > 0)
        path[len++] = digits[--n];
    path[len] = '\0';
    return execve(path, argv, envp);
}

int compat_fexecve(int fd, char *const argv[], char *const envp[])
{
#ifdef SYS_execveat
    (void)syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
    if (errno != ENOSYS)
        return -1;
#endif
    return compat_exec_proc_fd(fd, argv, envp);
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
