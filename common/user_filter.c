#include "user_filter.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NSS_BUF_SIZE 16384
#define NSS_BUF_MAX (4 * 1024 * 1024)
#define MAX_GROUPS 65536

/* NSS entries have no size bound (a group of a few thousand members is over 16 KiB): on
 * ERANGE, retry with a buffer twice the size, up to NSS_BUF_MAX. glibc returns ERANGE;
 * some NSS shims (nss_wrapper) return -1 and set errno instead: accept both. */
static bool grow_nss_buffer(int rc, char **buf, size_t *size)
{
    char *grown;

    if (rc != ERANGE && !(rc < 0 && errno == ERANGE))
        return false;
    if (*size >= NSS_BUF_MAX)
        return false;
    grown = realloc(*buf, *size * 2);
    if (!grown)
        return false;
    *buf = grown;
    *size *= 2;
    return true;
}

enum lookup_result { LOOKUP_FOUND, LOOKUP_NO_SUCH_USER, LOOKUP_FAILED };

/* getpwnam_r of user, or getpwuid_r of uid when user is NULL: 0 with no result is "no such
 * user"; so are the codes getpwnam_r(3) lists for it (ENOENT, ESRCH, EBADF, EPERM: some NSS
 * modules and nss_wrapper use them). Anything else (EIO, EAGAIN, EMFILE, ENOMEM, ... from sssd
 * or LDAP) is a failed lookup, in *error. */
static enum lookup_result lookup_user(const char *user, uid_t uid, struct passwd *pw, char **buf,
                                      size_t *size, int *error)
{
    struct passwd *res = NULL;
    int rc;

    do {
        errno = 0;
        rc =
            user ? getpwnam_r(user, pw, *buf, *size, &res) : getpwuid_r(uid, pw, *buf, *size, &res);
    } while (grow_nss_buffer(rc, buf, size));
    if (rc < 0) /* shims that return -1 and set errno */
        rc = errno != 0 ? errno : EIO;
    *error = rc;
    if (rc == 0)
        return res != NULL ? LOOKUP_FOUND : LOOKUP_NO_SUCH_USER;
    if (rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM)
        return LOOKUP_NO_SUCH_USER;
    return LOOKUP_FAILED;
}

static bool lookup_group(const char *name, struct group *grp, char **buf, size_t *size)
{
    struct group *res = NULL;
    int rc;

    do {
        errno = 0;
        rc = getgrnam_r(name, grp, *buf, *size, &res);
    } while (grow_nss_buffer(rc, buf, size));
    return rc == 0 && res != NULL;
}

/* Whether the user (primary gid `gid`) belongs to one of the comma-separated groups. */
static bool in_skip_groups(const char *list, const char *user, gid_t gid)
{
    bool found = false;
    int count = 64;
    gid_t *gids = NULL;
    char *names = NULL, *save = NULL, *buf = NULL;
    size_t buf_size = NSS_BUF_SIZE;

    for (;;) {
        gid_t *grown = realloc(gids, (size_t)count * sizeof(*gids));
        int want = count;
        if (!grown)
            goto out;
        gids = grown;
        if (getgrouplist(user, gid, gids, &want) >= 0) {
            count = want;
            break;
        }
        if (want <= count || want > MAX_GROUPS)
            goto out;
        count = want;
    }
    names = strdup(list);
    buf = malloc(buf_size);
    if (!names || !buf)
        goto out;
    for (char *name = strtok_r(names, ",", &save); name && !found;
         name = strtok_r(NULL, ",", &save)) {
        struct group grp;
        char *end;
        while (*name == ' ' || *name == '\t')
            name++;
        end = name + strlen(name);
        while (end > name && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        if (*name == '\0' || !lookup_group(name, &grp, &buf, &buf_size))
            continue;
        for (int i = 0; i < count; i++)
            if (gids[i] == grp.gr_gid)
                found = true;
    }
out:
    free(gids);
    free(names);
    free(buf);
    return found;
}

enum skip_reason user_filter_check(const struct scnet_config *cfg, const char *user,
                                   char *canonical, size_t canonlen, uid_t *uid, char *err,
                                   size_t errlen)
{
    enum skip_reason reason = SKIP_NONE;
    struct passwd pw;
    size_t buf_size = NSS_BUF_SIZE;
    char *buf = malloc(buf_size);
    const char *name;
    int error = ENOMEM;

    if (canonical && canonlen > 0)
        canonical[0] = '\0';
    switch (buf ? lookup_user(user, 0, &pw, &buf, &buf_size, &error) : LOOKUP_FAILED) {
    case LOOKUP_FOUND:
        break;
    case LOOKUP_NO_SUCH_USER:
        reason = SKIP_UNKNOWN_USER;
        goto out;
    case LOOKUP_FAILED:
        /* A directory that is down must not lock root out under fail = closed. */
        reason = strcmp(user, "root") == 0 ? SKIP_ROOT : SKIP_LOOKUP_FAILED;
        if (err)
            snprintf(err, errlen, "getpwnam_r: %s", strerror(error));
        goto out;
    }
    name = pw.pw_name && *pw.pw_name ? pw.pw_name : user;
    if (canonical && strlen(name) >= canonlen) {
        reason = SKIP_LOOKUP_FAILED;
        if (err)
            snprintf(err, errlen, "getpwnam_r: account name of %zu bytes is too long",
                     strlen(name));
        goto out;
    }
    if (canonical)
        memcpy(canonical, name, strlen(name) + 1);
    if (uid)
        *uid = pw.pw_uid;
    if (pw.pw_uid == 0)
        reason = SKIP_ROOT;
    else if ((long)pw.pw_uid < cfg->min_uid)
        reason = SKIP_LOW_UID;
    else if (config_list_contains(cfg->skip_users, name))
        reason = SKIP_USER_LIST;
    else if (cfg->skip_groups && in_skip_groups(cfg->skip_groups, name, pw.pw_gid))
        reason = SKIP_GROUP_LIST;
out:
    free(buf);
    return reason;
}

bool user_lookup_name(uid_t uid, char *name, size_t namelen)
{
    struct passwd pw;
    size_t buf_size = NSS_BUF_SIZE;
    char *buf = malloc(buf_size);
    int error;
    bool found = buf && lookup_user(NULL, uid, &pw, &buf, &buf_size, &error) == LOOKUP_FOUND &&
                 pw.pw_name && strlen(pw.pw_name) < namelen;

    if (found)
        memcpy(name, pw.pw_name, strlen(pw.pw_name) + 1);
    free(buf);
    return found;
}

bool user_lookup_uid(const char *user, uid_t *uid, char *err, size_t errlen)
{
    struct passwd pw;
    size_t buf_size = NSS_BUF_SIZE;
    char *buf = malloc(buf_size);
    int error = ENOMEM;
    enum lookup_result found =
        buf ? lookup_user(user, 0, &pw, &buf, &buf_size, &error) : LOOKUP_FAILED;

    if (found == LOOKUP_FOUND)
        *uid = pw.pw_uid;
    else if (found == LOOKUP_NO_SUCH_USER)
        snprintf(err, errlen, "no such user");
    else
        snprintf(err, errlen, "getpwnam_r: %s", strerror(error));
    free(buf);
    return found == LOOKUP_FOUND;
}

const char *skip_reason_name(enum skip_reason reason)
{
    switch (reason) {
    case SKIP_NONE:
        return "none";
    case SKIP_ROOT:
        return "root";
    case SKIP_LOW_UID:
        return "min_uid";
    case SKIP_USER_LIST:
        return "skip_users";
    case SKIP_GROUP_LIST:
        return "skip_groups";
    case SKIP_UNKNOWN_USER:
        return "unknown_user";
    case SKIP_LOOKUP_FAILED:
        return "lookup_failed";
    }
    return "?";
}
