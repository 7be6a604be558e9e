/* Reading a PAM service's stack the way Linux-PAM does, to find the lines that load
 * pam_scnet_quota.so: `scnet-quota --service NAME` previews exactly what that service's
 * login runs (its module arguments applied over the config file). */
#ifndef SCNET_PAM_SERVICE_H
#define SCNET_PAM_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

/* Where Linux-PAM looks for a service's file, in this order (the first that opens wins):
 * the admin's /etc/pam.d, the distribution's /usr/lib/pam.d (Linux-PAM 1.2 and later), and
 * VENDORDIR/pam.d when libpam was configured with --enable-vendordir (1.4 and later). */
#define PAM_SERVICE_ETC_DIR "/etc/pam.d"
#define PAM_SERVICE_DIST_DIR "/usr/lib/pam.d"
#define PAM_SERVICE_MAX_DIRS 8

struct pam_module_line {
    char *file;    /* the pam.d file the line is in */
    unsigned line; /* its line number there (of the first physical line) */
    char *type;    /* "session" or "account" */
    char *control; /* "required", "optional", "[default=bad ...]", ... */
    int argc;
    char **argv; /* the module arguments, brackets removed */
    /* A session line only: "FILE:LINE" of a line that runs before it in the same stack and
     * should not (`pam_selinux.so open`, `pam_motd.so`), or NULL. */
    char *after_selinux_open;
    char *after_motd;
};

struct pam_service {
    struct pam_module_line *lines; /* in stack order */
    size_t count;
    char **files; /* every file read, in the order first read (files[0]: the service's) */
    size_t file_count;
    /* While reading: the first session `pam_selinux.so open` and `pam_motd.so` lines seen */
    char *selinux_open_seen;
    char *motd_seen;
};

/* Read service, following `@include`, `include` and `substack` (a leading '-' on the type is
 * accepted), and collect the session and account lines whose module is pam_scnet_quota.so
 * (by base name, so a full path matches too). Each name is looked up as Linux-PAM does: an
 * absolute include as it is, any other name in the first of dirs (NULL-terminated) where it
 * opens. False with the reason in err when a file cannot be read in any of dirs or
 * includes nest too deep. */
bool pam_service_find(const char *const *dirs, const char *service, struct pam_service *out,
                      char *err, size_t errlen);

/* The directories this host's Linux-PAM searches: PAM_SERVICE_ETC_DIR, PAM_SERVICE_DIST_DIR,
 * then vendordir/pam.d when vendordir is not empty and that is not one of the two; into
 * dirs, NULL-terminated (room for 4); buf (at least PATH_MAX) holds the string made. */
void pam_service_default_dirs(const char *vendordir, const char **dirs, char *buf, size_t buflen);

void pam_service_free(struct pam_service *service);

#endif
