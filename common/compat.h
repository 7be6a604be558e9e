/* explicit_bzero and getrandom on every C library of the build floor. glibc has both from
 * 2.25; RHEL/CentOS 7 has 2.17. Include this instead of naming <sys/random.h>, and before
 * the first use of either name: where the C library lacks one (or SCNET_FORCE_COMPAT is on)
 * the name is mapped to the function below, which is also unit-tested in every build. */
#ifndef SCNET_COMPAT_H
#define SCNET_COMPAT_H

#include <stddef.h>
#include <string.h>
#include <sys/types.h>

#include "compat_config.h"

/* Zero n bytes at p through a call the compiler cannot see through or drop. */
void compat_explicit_bzero(void *p, size_t n);

/* getrandom(2): the system call where the kernel has it (3.17+; backported to RHEL 7), else
 * /dev/urandom. flags as getrandom's; /dev/urandom never blocks, so GRND_NONBLOCK holds. */
ssize_t compat_getrandom(void *buf, size_t len, unsigned int flags);

/* Fill buf with len bytes read from path (the /dev/urandom step, testable with any file).
 * Returns len, or -1 with errno set (a short file is EIO). */
ssize_t compat_read_random_file(const char *path, void *buf, size_t len);

/* Run the program open at fd (O_PATH is enough; an ELF binary: with fd close-on-exec, the
 * kernel could not hand a script's interpreter its /dev/fd name) with argv and envp:
 * execveat(fd, "", AT_EMPTY_PATH) where the headers name it and the kernel has it (3.19+),
 * else compat_exec_proc_fd. Async-signal-safe. Returns only on failure, errno set. */
int compat_fexecve(int fd, char *const argv[], char *const envp[]);

/* execve of /proc/self/fd/<fd>, the fallback for kernels and headers without execveat
 * (what glibc's fexecve does there too): it needs /proc mounted. Async-signal-safe. */
int compat_exec_proc_fd(int fd, char *const argv[], char *const envp[]);

#if !SCNET_HAVE_EXPLICIT_BZERO
#define explicit_bzero compat_explicit_bzero
#endif

#if SCNET_HAVE_GETRANDOM
#include <sys/random.h>
#else
#ifndef GRND_NONBLOCK
#define GRND_NONBLOCK 0x01 /* the kernel's value (linux/random.h) */
#endif
#define getrandom compat_getrandom
#endif

#endif
