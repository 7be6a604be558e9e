/* A test NSS module, loaded by nss_wrapper (NSS_WRAPPER_MODULE_SO_PATH, prefix "scnettest")
 * before the test passwd file, so that the module's lookups go through a real NSS module's
 * answer codes rather than a stubbed getpwnam_r:
 *   "nsserror"  fails as sssd or LDAP do when their server is down: UNAVAIL with EIO;
 *   "NEAR"      is found as the account "near" (uid 2002), as a case-insensitive directory
 *               answers;
 * every other name is not found here (nss_wrapper then asks the passwd file).
 * The module has no groups and enumerates nothing, but defines every passwd and group entry
 * point: nss_wrapper 1.1.11 calls some of them (setgrent from getgrouplist) without checking
 * that the module has them. */
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <string.h>
#include <sys/types.h>

enum nss_status _nss_scnettest_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen,
                                          int *errnop);
enum nss_status _nss_scnettest_setpwent(void);
enum nss_status _nss_scnettest_getpwent_r(struct passwd *pw, char *buf, size_t buflen, int *errnop);
enum nss_status _nss_scnettest_endpwent(void);
enum nss_status _nss_scnettest_getgrnam_r(const char *name, struct group *gr, char *buf,
                                          size_t buflen, int *errnop);
enum nss_status _nss_scnettest_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t buflen,
                                          int *errnop);
enum nss_status _nss_scnettest_setgrent(void);
enum nss_status _nss_scnettest_getgrent_r(struct group *gr, char *buf, size_t buflen, int *errnop);
enum nss_status _nss_scnettest_endgrent(void);
enum nss_status _nss_scnettest_initgroups_dyn(const char *user, gid_t group, long int *start,
                                              long int *size, gid_t **groups, long int limit,
                                              int *errnop);

/* Not here: nss_wrapper then asks its files. A non-zero *errnop with NOTFOUND is read as the
 * error to return, so it is ENOENT, the "no such entry" one. */
static enum nss_status not_here(int *errnop)
{
    *errnop = ENOENT;
    return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_scnettest_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen,
                                          int *errnop)
{
    (void)uid, (void)pw, (void)buf, (void)buflen;
    return not_here(errnop);
}

enum nss_status _nss_scnettest_setpwent(void)
{
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_scnettest_getpwent_r(struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
    (void)pw, (void)buf, (void)buflen;
    return not_here(errnop);
}

enum nss_status _nss_scnettest_endpwent(void)
{
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_scnettest_getgrnam_r(const char *name, struct group *gr, char *buf,
                                          size_t buflen, int *errnop)
{
    (void)name, (void)gr, (void)buf, (void)buflen;
    return not_here(errnop);
}

enum nss_status _nss_scnettest_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t buflen,
                                          int *errnop)
{
    (void)gid, (void)gr, (void)buf, (void)buflen;
    return not_here(errnop);
}

enum nss_status _nss_scnettest_setgrent(void)
{
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_scnettest_getgrent_r(struct group *gr, char *buf, size_t buflen, int *errnop)
{
    (void)gr, (void)buf, (void)buflen;
    return not_here(errnop);
}

enum nss_status _nss_scnettest_endgrent(void)
{
    return NSS_STATUS_SUCCESS;
}

/* No supplementary groups from here: the group file adds them. */
enum nss_status _nss_scnettest_initgroups_dyn(const char *user, gid_t group, long int *start,
                                              long int *size, gid_t **groups, long int limit,
                                              int *errnop)
{
    (void)user, (void)group, (void)start, (void)size, (void)groups, (void)limit;
    return not_here(errnop);
}

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
    if (strcmp(name, "NEAR") != 0)
        return not_here(errnop);
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
