/* A test NSS module, loaded by nss_wrapper (NSS_WRAPPER_MODULE_SO_PATH, prefix "scnettest")
 * before the test passwd file, so that the module's lookups go through a real NSS module's
 * answer codes rather than a stubbed getpwnam_r:
 *   "nsserror"  fails as sssd or LDAP do when their server is down: UNAVAIL with EIO;
 *   "NEAR"      is found as the account "near" (uid 2002), as a case-insensitive directory
 *               answers;
 * every other name is not found here (nss_wrapper then asks the passwd file). */
#include <errno.h>
#include <nss.h>
#include <pwd.h>
#include <string.h>

enum nss_status _nss_scnettest_getpwnam_r(const char *name, struct passwd *pw, char *buf,
                                          size_t buflen, int *errnop);

enum nss_status _nss_scnettest_getpwnam_r(const char *name, struct passwd *pw, char *buf,
                                          size_t buflen, int *errnop)
{
    static const char entry[] = "near\0x\0/home/near\0/bin/sh";

    if (strcmp(name, "nsserror") == 0) {
        *errnop = EIO;
        return NSS_STATUS_UNAVAIL;
    }
    if (strcmp(name, "NEAR") != 0) {
        /* nss_wrapper reads a non-zero *errnop with NOTFOUND as the error to return. */
        *errnop = ENOENT;
        return NSS_STATUS_NOTFOUND;
    }
    if (buflen < sizeof(entry)) {
        *errnop = ERANGE;
        return NSS_STATUS_TRYAGAIN;
    }
    memcpy(buf, entry, sizeof(entry));
    pw->pw_name = buf;
    pw->pw_passwd = buf + 5;
    pw->pw_uid = 2002;
    pw->pw_gid = 2000;
    pw->pw_gecos = buf + 7;
    pw->pw_dir = buf + 7;
    pw->pw_shell = buf + 18;
    return NSS_STATUS_SUCCESS;
}
