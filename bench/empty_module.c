/* The loading floor of the cache-served rows: a PAM session module that does nothing, linked
 * against the same libraries with the same flags as pam_scnet_quota.so (run-bench.sh builds
 * it). A login through it pays what any module in front of pam_permit.so pays (dlopen,
 * relocation) and nothing of ours. bench/run-hit.sh also builds it with libcjson, which the
 * module linked before the network helper parsed for it. */
#include <security/pam_modules.h>

#ifdef LOOK_UP_USER
/* Built with -DLOOK_UP_USER (run-bench.sh): the module also looks the user up, as ours does
 * for its skip rules, so the row shows what the process's first NSS lookup costs any module
 * (here through nss_wrapper) apart from the work of ours. */
#include <pwd.h>
#include <stdlib.h>

static void look_up_user(pam_handle_t *pamh)
{
    const char *user = NULL;
    struct passwd pw, *found = NULL;
    size_t size = 16384; /* the size the module's lookup starts with */
    char *buf = malloc(size);

    if (buf && pam_get_user(pamh, &user, NULL) == PAM_SUCCESS && user)
        (void)getpwnam_r(user, &pw, buf, size, &found);
    free(buf);
}
#else
static void look_up_user(pam_handle_t *pamh)
{
    (void)pamh;
}
#endif

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    look_up_user(pamh);
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_SUCCESS;
}
