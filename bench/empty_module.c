/* The loading floor of the cache-served rows: a PAM session module that does nothing, linked
 * against the same libraries with the same flags as pam_scnet_quota.so (run-bench.sh builds
 * it). A login through it pays what any module in front of pam_permit.so pays (dlopen,
 * relocation) and nothing of ours. bench/run-hit.sh also builds it with libcjson, which the
 * module linked before the network helper parsed for it. */
#include <security/pam_modules.h>

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh;
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
