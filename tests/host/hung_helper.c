/* A network helper that never answers and never exits, for test_host_hung_helper: writes its
 * pid to "hung.pid" beside its own executable (the module starts helpers with an empty
 * environment, so the place is derived from argv[0], the configured helper path the module
 * passes; not /proc/self/exe, which qemu-user answers with the /proc/self/fd name the module
 * executed when the kernel has no execveat), reads whatever it is sent, and then sleeps
 * until it is killed. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char exe[PATH_MAX], path[PATH_MAX + 16], buf[4096], pid[32];
    char *slash;
    int fd;

    if (argc < 1 || argv[0][0] != '/' || strlen(argv[0]) >= sizeof(exe))
        return 1;
    strcpy(exe, argv[0]);
    slash = strrchr(exe, '/');
    if (!slash)
        return 1;
    *slash = '\0';
    snprintf(path, sizeof(path), "%s/hung.pid", exe);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return 1;
    snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (write(fd, pid, strlen(pid)) != (ssize_t)strlen(pid) || close(fd) != 0)
        return 1;
    /* Read until the caller closes our input (or forever, if it never does). */
    while (read(0, buf, sizeof(buf)) > 0)
        ;
    for (;;)
        pause();
}
