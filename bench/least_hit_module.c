/* The least a cache hit must do, as a bench row (run-bench.sh builds it): a PAM session
 * module that looks the user up, reads its config file (conf=PATH) for cache_dir, reads the
 * user's cache entry, shows the warning and logs one line. None of the module's checks (file
 * owners and modes, skip rules, the config's other settings, the seen stamp, the trend), one
 * fixed text, no refusal: what is left of a hit when everything that is not I/O and output is
 * taken away. The module's hit row over this one is what its own design costs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

/* The file's text, NUL-terminated, in buf; false when it cannot be read. */
static bool read_text(int dirfd, const char *path, char *buf, size_t size)
{
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    ssize_t n;

    if (fd < 0)
        return false;
    n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0)
        return false;
    buf[n] = '\0';
    return true;
}

/* A double the cache stores as the 16 hex digits of its bits. */
static double stored_double(const char *hex)
{
    uint64_t bits = strtoull(hex, NULL, 16);
    double value;

    memcpy(&value, &bits, sizeof(value));
    return value;
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    const char *user = NULL, *setting, *entry;
    struct passwd pw, *found = NULL;
    size_t size = 16384; /* the size the module's lookup starts with */
    char *nss = malloc(size), conf[4096], dir[1024], name[300], text[4096], path[1024];
    double usage, threshold;
    int dirfd, rc = PAM_IGNORE;

    (void)flags;
    if (!nss || argc < 1 || strncmp(argv[0], "conf=", 5) != 0 ||
        pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user ||
        getpwnam_r(user, &pw, nss, size, &found) != 0 || !found)
        goto out;
    if (!read_text(AT_FDCWD, argv[0] + 5, conf, sizeof(conf)) ||
        !(setting = strstr(conf, "\ncache_dir = ")))
        goto out;
    setting += strlen("\ncache_dir = ");
    snprintf(dir, sizeof(dir), "%.*s", (int)strcspn(setting, "\n"), setting);
    snprintf(name, sizeof(name), "%s.cache", pw.pw_name);
    dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        goto out;
    if (!read_text(dirfd, name, text, sizeof(text)) || !(entry = strstr(text, "\nentry "))) {
        close(dirfd);
        goto out;
    }
    close(dirfd);
    /* "entry USAGE THRESHOLD HAS_LIMIT =USER =PATH" */
    usage = stored_double(entry + 7);
    threshold = stored_double(entry + 24);
    setting = strstr(entry, " =/");
    snprintf(path, sizeof(path), "%.*s", setting ? (int)strcspn(setting + 2, "\n") : 1,
             setting ? setting + 2 : "?");
    pam_info(pamh, "WARNING: your storage quota is nearly full.\n  %s  %.1f GB of %.1f GB  %.1f%%",
             path, usage, threshold, 100 * usage / threshold);
    pam_syslog(pamh, LOG_INFO, "user=%s result=warn percent=%.1f source=cache", pw.pw_name,
               100 * usage / threshold);
    rc = PAM_SUCCESS;
out:
    free(nss);
    return rc;
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_SUCCESS;
}
