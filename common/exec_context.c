/* Clearing the exec context in the helper's child (see exec_context.h).
 *
 * Why: `pam_selinux.so open` sets the login process's exec context to the user's context
 * (setexeccon) so that the shell starts in it. A process forked after that inherits the
 * setting, and the kernel then uses it for the next execve instead of the policy's
 * type_transition: the helper would have to be an entrypoint of every user domain, which
 * the policy never grants. Writing an empty value to the calling thread's attr/exec is
 * what setexeccon(NULL) does, without linking libselinux into every login program's PAM
 * stack. The login domains that run pam_selinux hold `process setexec` already; the value
 * is read first, so a domain that never set one is never audited for a write it needs not.
 *
 * The paths are fixed at build time. A test build of the module (tests/pam) compiles this
 * file with paths under its build tree; nothing a user controls at run time moves them. */
#include "exec_context.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* Present only when SELinux is enabled: selinuxfs is registered by the kernel only then. */
#ifndef EXEC_CONTEXT_SELINUX_PROBE
#define EXEC_CONTEXT_SELINUX_PROBE "/sys/fs/selinux/enforce"
#endif
/* The calling thread's exec attribute (Linux 3.17 and later). */
#ifndef EXEC_CONTEXT_ATTR
#define EXEC_CONTEXT_ATTR "/proc/thread-self/attr/exec"
#endif
/* Older kernels have no thread-self; in the child, which has one thread (the thread group
 * leader), the process's own attr/exec is that thread's. */
#ifndef EXEC_CONTEXT_ATTR_OLD
#define EXEC_CONTEXT_ATTR_OLD "/proc/self/attr/exec"
#endif

static int open_attr(int flags)
{
    int fd;

    do
        fd = open(EXEC_CONTEXT_ATTR, flags | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0 && errno == ENOENT) {
        do
            fd = open(EXEC_CONTEXT_ATTR_OLD, flags | O_CLOEXEC);
        while (fd < 0 && errno == EINTR);
    }
    return fd;
}

/* True when an exec context is set: the attribute reads as something not empty. */
static int exec_context_set(void)
{
    char first = '\0';
    ssize_t got;
    int fd = open_attr(O_RDONLY);

    if (fd < 0)
        return 0;
    do
        got = read(fd, &first, 1);
    while (got < 0 && errno == EINTR);
    close(fd);
    return got == 1 && first != '\0' && first != '\n';
}

void exec_context_reset(void)
{
    int saved = errno, fd;
    ssize_t wrote;

    if (access(EXEC_CONTEXT_SELINUX_PROBE, F_OK) != 0 || !exec_context_set())
        goto out;
    fd = open_attr(O_WRONLY);
    if (fd < 0)
        goto out;
    /* A write of nothing clears the attribute (the kernel's own convention). A refusal
     * leaves the exec as it was before this call: the policy and fail= decide then. */
    wrote = write(fd, "", 0);
    (void)wrote;
    close(fd);
out:
    errno = saved;
}
