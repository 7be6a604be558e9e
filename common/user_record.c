/* Per-user record. File "<uid>" in "<cache_dir>-users":
 *     scnet-user-record 1\n
 *     user <name>\n fetched_at <unix s>\n next <nothing|warning|refusal>\n
 *     warn <milli>\n deny <milli, or -1>\n
 *     lang <en|zh>\n   (only when the node's lang is set: what the user reads follows it)
 *     entry <usage milli> <threshold milli, or -> <path>\n   (0 to QUOTA_MAX_ENTRIES lines)
 *     history <unix s> <usage milli, or -> ...\n   (0 to TREND_MAX_POINTS lines, oldest first)
 * Figures are integers in thousandths (GB, percent): no locale can change how they read.
 * The path is sanitised as for a banner, so it holds no newline. A history line holds one
 * usage per entry line, in the same order ("-": that path was not in that answer); records
 * written before the trend have none and read as a record without history.
 *
 * The file is root's, readable by its user through a POSIX ACL (see grant_read). What root
 * reads back from it (the history, for the next record and for the trend of a warning) is
 * read through a folder and a file checked to be root's (user_record_read_trusted), and can
 * only add a warning, never a refusal. */
#include "user_record.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h> /* NAN and isfinite: macros, no libm */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cache.h"
#include "log.h"
#include "policy.h"
#include "safe_file.h"
#include "strbuf.h"
#include "text.h"
#include "trend.h"

#define RECORD_MAGIC "scnet-user-record 1\n"
#define RECORD_FILE_MAX 65536
#define RECORD_MILLI_MAX 9000000000000000000.0 /* below INT64_MAX */

static const char *const next_names[] = {"nothing", "warning", "refusal"};

static bool read_record_at(int dirfd, const char *name, uid_t owner, struct user_record *rec,
                           bool *missing, char *err, size_t errlen);

const char *user_record_next_name(enum user_record_next next)
{
    return next_names[next];
}

/* Rounded half away from zero, as llround does, without libm: every library the module
 * needs is loaded at every login (libm alone cost 3 % of a bare login, bench/run-hit.sh). */
static long long to_milli(double v)
{
    double m = v * 1000.0;
    long long whole;

    if (!(m > -RECORD_MILLI_MAX)) /* also NaN */
        return 0;
    if (m > RECORD_MILLI_MAX)
        m = RECORD_MILLI_MAX;
    whole = (long long)m; /* toward zero; m - whole is exact (beyond 2^52 there is no fraction) */
    if (m - (double)whole >= 0.5)
        whole++;
    else if (m - (double)whole <= -0.5)
        whole--;
    return whole;
}

/* The folder (user_record.h), created 0711 when missing (only its last component, like the cache
 * folder): a directory, not a link, owned by owner, writable by no one else. */
int user_record_dir_open(const char *path, uid_t owner, char *err, size_t errlen)
{
    struct stat st;
    bool created = false;
    int fd;

    if (mkdir(path, 0711) == 0)
        created = true;
    else if (errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create: %s%s", path, strerror(errno), denied_hint(errno));
        return -1;
    }
    fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path,
                 errno == ELOOP || errno == ENOTDIR ? "not a directory (or a symlink)"
                                                    : strerror(errno));
        return -1;
    }
    /* The umask may have taken bits; users must be able to reach their own file. */
    if (created && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == owner &&
        fchmod(fd, 0711) != 0) {
        snprintf(err, errlen, "%s: cannot set mode 0711: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!safe_file_check_fd(fd, path, S_IFDIR, SAFE_FILE_CONFIG, owner, &st, err, errlen)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The file stays its writer's (root's): the user gets read access by a POSIX ACL (owner r,
 * that uid r, group and others nothing: mode 0440 with the mask as group bits). No
 * capability and no chown is needed, so the refresh unit, which has neither, can write it,
 * and the user cannot change it. */
static bool grant_read(int fd, uid_t uid)
{
    /* The kernel's "system.posix_acl_access" format: a version, then entries sorted by tag. */
    enum {
        TAG_USER_OBJ = 0x01,
        TAG_USER = 0x02,
        TAG_GROUP_OBJ = 0x04,
        TAG_MASK = 0x10,
        TAG_OTHER = 0x20,
        PERM_READ = 4,
        ACL_VERSION = 2
    };
    static const struct {
        uint16_t tag, perm;
    } entries[] = {{TAG_USER_OBJ, PERM_READ},
                   {TAG_USER, PERM_READ},
                   {TAG_GROUP_OBJ, 0},
                   {TAG_MASK, PERM_READ},
                   {TAG_OTHER, 0}};
    unsigned char acl[4 + 5 * 8];
    uint32_t v = htole32(ACL_VERSION);

    memcpy(acl, &v, 4);
    for (size_t i = 0; i < 5; i++) {
        uint16_t tag = htole16(entries[i].tag), perm = htole16(entries[i].perm);
        uint32_t id = htole32(entries[i].tag == TAG_USER ? (uint32_t)uid : UINT32_MAX);
        memcpy(acl + 4 + 8 * i, &tag, 2);
        memcpy(acl + 4 + 8 * i + 2, &perm, 2);
        memcpy(acl + 4 + 8 * i + 4, &id, 4);
    }
    /* The mode first, then the ACL, which sets the group bits to its mask (0440). */
    return fchmod(fd, 0400) == 0 &&
           fsetxattr(fd, "system.posix_acl_access", acl, sizeof(acl), 0) == 0;
}

/* The user's entries of a reply, as the record lists them: the columns of its history. */
struct columns {
    size_t count;
    size_t reply_index[QUOTA_MAX_ENTRIES]; /* entry of the reply */
    char *path[QUOTA_MAX_ENTRIES];         /* sanitised, as written */
};

static void columns_free(struct columns *c)
{
    for (size_t i = 0; i < c->count; i++)
        free(c->path[i]);
    c->count = 0;
}

static bool columns_of(const struct quota_reply *reply, const char *user, struct columns *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < reply->count && c->count < QUOTA_MAX_ENTRIES; i++) {
        const struct quota_entry *e = &reply->entries[i];
        if (!e->username || strcmp(e->username, user) != 0)
            continue; /* another user's figures never go in */
        c->path[c->count] = text_sanitize(e->path ? e->path : "", TEXT_MAX_SERVER_STRING);
        if (!c->path[c->count]) {
            columns_free(c);
            return false;
        }
        c->reply_index[c->count++] = i;
    }
    return true;
}

/* Point p of the old record (its columns old_entries) under the new columns: a path that is
 * gone is dropped, a new one is unknown (NaN) in the old answers. */
static void map_point(const struct trend_point *p, const struct quota_reply *old_entries,
                      const struct columns *c, struct trend_point *out)
{
    out->at = p->at;
    for (size_t j = 0; j < c->count; j++) {
        out->usage[j] = NAN;
        for (size_t k = 0; k < old_entries->count; k++)
            if (old_entries->entries[k].path &&
                strcmp(old_entries->entries[k].path, c->path[j]) == 0)
                out->usage[j] = p->usage[k];
    }
}

/* The history the new record carries: the old record's, with the old record's own answer
 * offered to it (trend_keep), all under the new columns. */
static size_t carry_history(const struct user_record *old, const struct columns *c,
                            int64_t fetched_at, struct trend_point *history)
{
    struct trend_point work[TREND_MAX_POINTS + 1], answer, current;
    size_t n = 0;

    if (!old)
        return 0;
    for (size_t i = 0; i < old->history_count && n < TREND_MAX_POINTS; i++)
        map_point(&old->history[i], &old->reply, c, &work[n++]);
    answer.at = old->fetched_at;
    for (size_t k = 0; k < old->reply.count; k++)
        answer.usage[k] = old->reply.entries[k].usage;
    map_point(&answer, &old->reply, c, &current);
    trend_keep(work, &n, &current, fetched_at);
    memcpy(history, work, n * sizeof(work[0]));
    return n;
}

/* Column j's history and newest figure (usage at fetched_at), as trend_full_in_days wants. */
static long column_full_in_days(const struct trend_point *history, size_t n, size_t j, double usage,
                                double threshold, int64_t fetched_at)
{
    int64_t at[TREND_MAX_POINTS + 1];
    double use[TREND_MAX_POINTS + 1];
    size_t m = 0;

    for (size_t i = 0; i < n && m < TREND_MAX_POINTS; i++) {
        /* Earlier answers within the week before this one: a record not rewritten for a
         * while (no cache kept, no login) says nothing about the recent rate. */
        if (history[i].at >= fetched_at || fetched_at - history[i].at > TREND_MAX_AGE_S)
            continue;
        at[m] = history[i].at;
        use[m++] = history[i].usage[j];
    }
    at[m] = fetched_at;
    use[m++] = usage;
    return trend_full_in_days(at, use, m, threshold);
}

static void add_milli_or_dash(struct strbuf *sb, double v)
{
    if (isfinite(v))
        strbuf_printf(sb, " %lld", to_milli(v));
    else
        strbuf_printf(sb, " -");
}

/* The record's text for user from reply under cfg, with history (under the columns c);
 * false when out of memory. */
static bool render_record(const struct scnet_config *cfg, const char *user,
                          const struct quota_reply *reply, const struct columns *c,
                          const struct trend_point *history, size_t history_count,
                          int64_t fetched_at, struct strbuf *sb)
{
    struct policy_result policy;
    enum user_record_next next;
    long days[QUOTA_MAX_ENTRIES] = {0};
    char *name = text_sanitize(user, TEXT_MAX_SERVER_STRING);
    bool ok = name != NULL;

    for (size_t j = 0; j < c->count; j++) {
        const struct quota_entry *e = &reply->entries[c->reply_index[j]];
        if (e->has_limit)
            days[c->reply_index[j]] =
                column_full_in_days(history, history_count, j, e->usage, e->threshold, fetched_at);
    }
    policy_decide_trend(reply, user, cfg->warn, cfg->deny, days, cfg->warn_days, &policy);
    /* As the pipeline decides on a fresh answer: over deny refuses, any listed path shows
     * a banner (warn_days lists a path full soon at the recent rate). */
    next = policy.level == POLICY_DENY ? RECORD_NEXT_REFUSAL
           : policy.count > 0          ? RECORD_NEXT_WARNING
                                       : RECORD_NEXT_NOTHING;
    if (ok)
        strbuf_printf(sb, RECORD_MAGIC "user %s\nfetched_at %" PRId64 "\nnext %s\nwarn %lld\n",
                      name, fetched_at, next_names[next], to_milli(cfg->warn));
    if (ok && cfg->deny >= 0)
        strbuf_printf(sb, "deny %lld\n", to_milli(cfg->deny));
    else if (ok)
        strbuf_printf(sb, "deny -1\n");
    if (ok && cfg->lang != SCNET_LANG_AUTO)
        strbuf_printf(sb, "lang %s\n", cfg->lang == SCNET_LANG_ZH ? "zh" : "en");
    for (size_t j = 0; ok && j < c->count; j++) {
        const struct quota_entry *e = &reply->entries[c->reply_index[j]];
        if (e->has_limit)
            strbuf_printf(sb, "entry %lld %lld %s\n", to_milli(e->usage), to_milli(e->threshold),
                          c->path[j]);
        else
            strbuf_printf(sb, "entry %lld - %s\n", to_milli(e->usage), c->path[j]);
    }
    for (size_t i = 0; ok && i < history_count; i++) {
        strbuf_printf(sb, "history %" PRId64, history[i].at);
        for (size_t j = 0; j < c->count; j++)
            add_milli_or_dash(sb, history[i].usage[j]);
        strbuf_printf(sb, "\n");
    }
    free(name);
    return ok && !sb->failed;
}

bool user_record_store(const struct scnet_config *cfg, const char *user, uid_t uid,
                       const struct quota_reply *reply, int64_t fetched_at, char *err,
                       size_t errlen)
{
    char dir[4200], name[32], tmp[64];
    struct strbuf sb = {0};
    struct columns columns = {0};
    struct user_record *old = NULL;
    struct trend_point *history = NULL;
    size_t history_count = 0;
    bool ok = false, tmp_exists = false, missing;
    int dirfd = -1, fd = -1;

    if (snprintf(dir, sizeof(dir), "%s" USER_RECORD_DIR_SUFFIX, cfg->cache_dir) >=
        (int)sizeof(dir)) {
        snprintf(err, errlen, "record folder: path too long");
        goto out;
    }
    dirfd = user_record_dir_open(dir, cfg->owner, err, errlen);
    if (dirfd < 0)
        goto out;
    /* Names from the uid: no user name, however odd, becomes a path. */
    snprintf(name, sizeof(name), "%lu", (unsigned long)uid);
    /* Off the stack: a login process may run this on a thread. */
    old = calloc(1, sizeof(*old));
    history = calloc(TREND_MAX_POINTS, sizeof(*history));
    if (!old || !history || !columns_of(reply, user, &columns)) {
        snprintf(err, errlen, "record of %s: out of memory", user);
        goto out;
    }
    /* The record this one replaces gives the history; one that cannot be read (none yet,
     * corrupt, not root's) gives none and is replaced. */
    if (!read_record_at(dirfd, name, cfg->owner, old, &missing, err, errlen)) {
        free(old);
        old = NULL;
    }
    history_count = carry_history(old, &columns, fetched_at, history);
    if (!render_record(cfg, user, reply, &columns, history, history_count, fetched_at, &sb)) {
        snprintf(err, errlen, "record of %s: out of memory", user);
        goto out;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", name, (long)getpid());
    for (int attempt = 0; fd < 0 && attempt < 2; attempt++) {
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                    0600);
        /* Left by a writer of the same pid that died: only root writes here. */
        if (fd < 0 && errno == EEXIST)
            unlinkat(dirfd, tmp, 0);
    }
    if (fd < 0) {
        snprintf(err, errlen, "%s/%s: cannot create: %s", dir, tmp, strerror(errno));
        goto out;
    }
    tmp_exists = true;
    if (!grant_read(fd, uid)) {
        snprintf(err, errlen, "%s/%s: cannot give uid %lu read access: %s%s", dir, tmp,
                 (unsigned long)uid, strerror(errno),
                 errno == EOPNOTSUPP ? " (the file system has no POSIX ACLs)" : "");
        goto out;
    }
    ok = cache_write_and_close(fd, sb.data, sb.len, "", 0);
    fd = -1;
    if (!ok) {
        snprintf(err, errlen, "%s/%s: cannot write: %s", dir, tmp, strerror(errno));
        goto out;
    }
    /* rename replaces a link planted at the name, never what it points to. */
    ok = renameat(dirfd, tmp, dirfd, name) == 0;
    if (!ok) {
        snprintf(err, errlen, "%s/%s: cannot rename into place: %s", dir, name, strerror(errno));
        goto out;
    }
    tmp_exists = false;
out:
    if (fd >= 0)
        close(fd);
    if (tmp_exists)
        unlinkat(dirfd, tmp, 0);
    if (dirfd >= 0)
        close(dirfd);
    if (old)
        user_record_free(old);
    free(old);
    free(history);
    columns_free(&columns);
    strbuf_free(&sb);
    return ok;
}

/* Strict integer of the record: optional '-', digits, then the end or a space. */
static bool parse_int(const char **pp, long long *out)
{
    char *end;

    errno = 0;
    *out = strtoll(*pp, &end, 10);
    if (end == *pp || errno != 0 || (*end != ' ' && *end != '\0'))
        return false;
    *pp = *end == ' ' ? end + 1 : end;
    return true;
}

/* "history <unix s> <milli or -> ...": *values gets how many usages the line holds. */
static bool parse_history(const char *p, struct user_record *rec, size_t *values)
{
    struct trend_point *point;
    long long a;

    if (rec->history_count >= TREND_MAX_POINTS)
        return false;
    point = &rec->history[rec->history_count];
    if (!parse_int(&p, &a) || a < 0 ||
        (rec->history_count > 0 && a <= rec->history[rec->history_count - 1].at))
        return false;
    point->at = a;
    *values = 0;
    while (*p) {
        if (*values >= QUOTA_MAX_ENTRIES)
            return false;
        if (p[0] == '-' && (p[1] == ' ' || p[1] == '\0')) {
            point->usage[*values] = NAN;
            p += p[1] ? 2 : 1;
        } else if (parse_int(&p, &a) && a >= 0) {
            point->usage[*values] = (double)a / 1000.0;
        } else {
            return false;
        }
        (*values)++;
    }
    rec->history_count++;
    return true;
}

/* values[i]: how many usages history line i held (checked against the entries at the end). */
static bool parse_line(char *line, struct user_record *rec, size_t *values)
{
    const char *p;
    long long a, b;

    if (strncmp(line, "history ", 8) == 0)
        return parse_history(line + 8, rec, &values[rec->history_count]);
    if (strncmp(line, "user ", 5) == 0) {
        free(rec->user);
        return (rec->user = strdup(line + 5)) != NULL;
    }
    if (strncmp(line, "fetched_at ", 11) == 0) {
        p = line + 11;
        return parse_int(&p, &a) && !*p && (rec->fetched_at = a) >= 0;
    }
    if (strncmp(line, "next ", 5) == 0) {
        for (int i = 0; i < 3; i++)
            if (strcmp(line + 5, next_names[i]) == 0) {
                rec->next = (enum user_record_next)i;
                return true;
            }
        return false;
    }
    if (strncmp(line, "warn ", 5) == 0 || strncmp(line, "deny ", 5) == 0) {
        p = line + 5;
        if (!parse_int(&p, &a) || *p)
            return false;
        *(line[0] == 'w' ? &rec->warn : &rec->deny) = a < 0 ? -1 : (double)a / 1000.0;
        return true;
    }
    if (strcmp(line, "lang en") == 0 || strcmp(line, "lang zh") == 0) {
        rec->lang = line[5] == 'z' ? SCNET_LANG_ZH : SCNET_LANG_EN;
        return true;
    }
    if (strncmp(line, "entry ", 6) == 0 && rec->reply.count < QUOTA_MAX_ENTRIES) {
        struct quota_entry *e = &rec->reply.entries[rec->reply.count];
        p = line + 6;
        if (!parse_int(&p, &a) || a < 0)
            return false;
        b = 0;
        if (strncmp(p, "- ", 2) == 0)
            p += 2;
        else if (!parse_int(&p, &b) || b <= 0)
            return false;
        e->usage = (double)a / 1000.0;
        e->threshold = (double)b / 1000.0;
        e->has_limit = b > 0;
        e->path = strdup(p);
        rec->reply.count++;
        return e->path != NULL;
    }
    return false;
}

bool user_record_parse(const char *text, size_t len, const char *name, struct user_record *rec,
                       char *err, size_t errlen)
{
    char *buf = NULL, *line, *save = NULL;
    size_t values[TREND_MAX_POINTS] = {0};
    bool ok = false;

    memset(rec, 0, sizeof(*rec));
    if (len > RECORD_FILE_MAX) {
        snprintf(err, errlen, "%s: not a record (type or size)", name);
        goto out;
    }
    /* A copy to cut into lines; the caller's bytes may hold a NUL anywhere. */
    buf = malloc(len + 1);
    rec->reply.entries = calloc(QUOTA_MAX_ENTRIES, sizeof(*rec->reply.entries));
    if (!buf || !rec->reply.entries) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (len > 0)
        memcpy(buf, text, len);
    buf[len] = '\0';
    if (strncmp(buf, RECORD_MAGIC, strlen(RECORD_MAGIC)) != 0 || strlen(buf) != len) {
        snprintf(err, errlen, "%s: not a record (header)", name);
        goto out;
    }
    rec->deny = -1;
    for (line = strtok_r(buf + strlen(RECORD_MAGIC), "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (!parse_line(line, rec, values)) {
            snprintf(err, errlen, "%s: corrupt line", name);
            goto out;
        }
    }
    if (!rec->user) {
        snprintf(err, errlen, "%s: no user line", name);
        goto out;
    }
    /* A history line has one usage per entry: anything else belongs to other entries. */
    for (size_t i = 0; i < rec->history_count; i++)
        if (values[i] != rec->reply.count || rec->history[i].at >= rec->fetched_at) {
            snprintf(err, errlen, "%s: corrupt history", name);
            goto out;
        }
    /* The record holds only its user's entries: each is theirs. */
    for (size_t i = 0; i < rec->reply.count; i++)
        if (!(rec->reply.entries[i].username = strdup(rec->user))) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
    ok = true;
out:
    free(buf);
    if (!ok)
        user_record_free(rec);
    return ok;
}

/* Read the record open at fd (path names it in errors). */
static bool read_record_fd(int fd, const char *path, struct user_record *rec, char *err,
                           size_t errlen)
{
    char *buf = NULL;
    struct stat st;
    ssize_t n;
    bool ok;

    memset(rec, 0, sizeof(*rec));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > RECORD_FILE_MAX) {
        snprintf(err, errlen, "%s: not a record (type or size)", path);
        return false;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    n = read(fd, buf, (size_t)st.st_size);
    if (n != (ssize_t)st.st_size) {
        snprintf(err, errlen, "%s: not a record (header)", path);
        free(buf);
        return false;
    }
    ok = user_record_parse(buf, (size_t)n, path, rec, err, errlen);
    free(buf);
    return ok;
}

bool user_record_read(const char *dir, uid_t uid, struct user_record *rec, bool *missing, char *err,
                      size_t errlen)
{
    char path[4200];
    bool ok;
    int fd;

    memset(rec, 0, sizeof(*rec));
    *missing = false;
    snprintf(path, sizeof(path), "%s/%lu", dir, (unsigned long)uid);
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        *missing = errno == ENOENT;
        snprintf(err, errlen, "%s: %s", path, errno == ELOOP ? "is a symlink" : strerror(errno));
        return false;
    }
    /* Only root can put a file in the folder; who owns it (root, or the test's writer) is
     * not the reader's concern: it reads with its own rights. */
    ok = read_record_fd(fd, path, rec, err, errlen);
    close(fd);
    return ok;
}

/* The record name in the folder open at dirfd, when it is owner's and writable by no one
 * else. */
static bool read_record_at(int dirfd, const char *name, uid_t owner, struct user_record *rec,
                           bool *missing, char *err, size_t errlen)
{
    struct stat st;
    bool ok;
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

    memset(rec, 0, sizeof(*rec));
    *missing = fd < 0 && errno == ENOENT;
    if (fd < 0) {
        snprintf(err, errlen, "record %s: %s", name,
                 errno == ELOOP ? "is a symlink" : strerror(errno));
        return false;
    }
    ok = safe_file_check_fd(fd, "record", S_IFREG, SAFE_FILE_CONFIG, owner, &st, err, errlen) &&
         read_record_fd(fd, name, rec, err, errlen);
    close(fd);
    return ok;
}

bool user_record_read_trusted(const struct scnet_config *cfg, uid_t uid, struct user_record *rec,
                              bool *missing, char *err, size_t errlen)
{
    char dir[4200], name[32];
    struct stat st;
    bool ok = false;
    int dirfd = -1;

    memset(rec, 0, sizeof(*rec));
    *missing = false;
    if (snprintf(dir, sizeof(dir), "%s" USER_RECORD_DIR_SUFFIX, cfg->cache_dir) >=
        (int)sizeof(dir)) {
        snprintf(err, errlen, "record folder: path too long");
        return false;
    }
    dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dirfd < 0) {
        *missing = errno == ENOENT;
        snprintf(err, errlen, "%s: cannot open: %s", dir, strerror(errno));
        return false;
    }
    if (!safe_file_check_fd(dirfd, dir, S_IFDIR, SAFE_FILE_CONFIG, cfg->owner, &st, err, errlen))
        goto out;
    snprintf(name, sizeof(name), "%lu", (unsigned long)uid);
    ok = read_record_at(dirfd, name, cfg->owner, rec, missing, err, errlen);
out:
    close(dirfd);
    return ok;
}

long user_record_full_in_days(const struct user_record *rec, size_t i)
{
    const struct quota_entry *e;

    if (i >= rec->reply.count || !(e = &rec->reply.entries[i])->has_limit)
        return -1;
    return column_full_in_days(rec->history, rec->history_count, i, e->usage, e->threshold,
                               rec->fetched_at);
}

long user_record_full_in_days_of(const struct user_record *rec, const struct quota_entry *e,
                                 int64_t fetched_at)
{
    char *path;
    long days = -1;

    if (!e->has_limit || !(path = text_sanitize(e->path ? e->path : "", TEXT_MAX_SERVER_STRING)))
        return -1;
    for (size_t k = 0; k < rec->reply.count; k++)
        if (rec->reply.entries[k].path && strcmp(rec->reply.entries[k].path, path) == 0) {
            days = column_full_in_days(rec->history, rec->history_count, k, e->usage, e->threshold,
                                       fetched_at);
            break;
        }
    free(path);
    return days;
}

void user_record_free(struct user_record *rec)
{
    quota_reply_free(&rec->reply);
    free(rec->user);
    memset(rec, 0, sizeof(*rec));
}
