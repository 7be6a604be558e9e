/* Reading a PAM service's stack the way Linux-PAM does, to find the lines that load
 * pam_scnet_quota.so: `scnet-quota --service NAME` previews exactly what that service's
 * login runs (its module arguments applied over the config file). */
#ifndef SCNET_PAM_SERVICE_H
#define SCNET_PAM_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#define PAM_SERVICE_DEFAULT_DIR "/etc/pam.d"

struct pam_module_line {
    char *file;    /* the pam.d file the line is in */
    unsigned line; /* its line number there (of the first physical line) */
    char *type;    /* "session" or "account" */
    char *control; /* "required", "optional", "[default=bad ...]", ... */
    int argc;
    char **argv; /* the module arguments, brackets removed */
};

struct pam_service {
    struct pam_module_line *lines; /* in stack order */
    size_t count;
};

/* Read dir/service, following `@include`, `include` and `substack` (a leading '-' on the
 * type is accepted), and collect the session and account lines whose module is
 * pam_scnet_quota.so (by base name, so a full path matches too). False with the reason in
 * err when the service file cannot be read or includes nest too deep. */
bool pam_service_find(const char *dir, const char *service, struct pam_service *out, char *err,
                      size_t errlen);

void pam_service_free(struct pam_service *service);

#endif
