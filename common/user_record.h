/* The per-user record: what one user may see of the answer their next login uses, for
 * `scnet-quota` run by that user. Never the token, never another user's figures. */
#ifndef SCNET_USER_RECORD_H
#define SCNET_USER_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "quota_reply.h"
#include "trend.h"

/* The record folder is the cache folder's sibling "<cache_dir>-users": the cache folder is
 * root's alone (0700), this one is traversable (0711) but not listable. */
#define USER_RECORD_DIR_SUFFIX "-users"
#define USER_RECORD_DEFAULT_DIR SCNET_DEFAULT_CACHE_DIR USER_RECORD_DIR_SUFFIX

enum user_record_next { RECORD_NEXT_NOTHING, RECORD_NEXT_WARNING, RECORD_NEXT_REFUSAL };

struct user_record {
    char *user;                 /* the name it was written for */
    int64_t fetched_at;         /* when the API gave these figures (Unix seconds) */
    enum user_record_next next; /* what the next login gets from them */
    double warn, deny;          /* the node's lines when written (deny < 0: off) */
    enum scnet_lang lang;       /* the node's lang when written: AUTO when it follows the locale */
    struct quota_reply reply;   /* the user's own entries only (username = the user) */
    /* Earlier answers, oldest first (trend_keep's rules): usage per entry of reply. */
    struct trend_point history[TREND_MAX_POINTS];
    size_t history_count;
};

/* Write user's record from reply (only the entries that are user's), fetched at fetched_at,
 * with what cfg's warn, deny and warn_days make of it, and the history: the record it
 * replaces (when it is cfg->owner's and reads) joins its earlier answers as trend_keep says: in
 * "<cfg->cache_dir>-users" (created 0711 when missing, checked to be cfg->owner's and not writable
 * by others), as the file named by uid (user's, as the caller looked it up: no second NSS lookup
 * in a login, no buffer an account's entry can outgrow), the writer's, readable by that uid
 * alone (a POSIX ACL; mode 0440, group bits the ACL mask), through a temporary file and a
 * rename, never following a link. False with the reason in err. */
bool user_record_store(const struct scnet_config *cfg, const char *user, uid_t uid,
                       const struct quota_reply *reply, int64_t fetched_at, char *err,
                       size_t errlen);

/* Parse a record's text: the len bytes at text (a NUL among them is corrupt), name naming
 * it in errors. What user_record_read does with the file's bytes; no file, no checks of who
 * wrote it. False with the reason in err. Free with user_record_free. */
bool user_record_parse(const char *text, size_t len, const char *name, struct user_record *rec,
                       char *err, size_t errlen);

/* Read the record of uid from folder dir: a regular file, not a link. False
 * with *missing true when there is none yet; otherwise err says why. Free with
 * user_record_free. */
bool user_record_read(const char *dir, uid_t uid, struct user_record *rec, bool *missing, char *err,
                      size_t errlen);

/* Read uid's record as the module does for a decision (warn_days) and the trend line of a
 * warning: "<cfg->cache_dir>-users" and the file in it must be cfg->owner's and writable by
 * no one else, neither a link. False with *missing true when there is none; otherwise err
 * says why. */
bool user_record_read_trusted(const struct scnet_config *cfg, uid_t uid, struct user_record *rec,
                              bool *missing, char *err, size_t errlen);

/* When entry i of rec->reply is full at the recent rate (its history, then the record's own
 * figure): trend_full_in_days, -1 for nothing to say. */
long user_record_full_in_days(const struct user_record *rec, size_t i);

/* The same for an entry of a newer answer: the record's entry with the same path (as the
 * record writes it) gives the history, e's own figures are the newest point. -1 when the
 * record has no such path. */
long user_record_full_in_days_of(const struct user_record *rec, const struct quota_entry *e,
                                 int64_t fetched_at);

void user_record_free(struct user_record *rec);

/* Open the record folder at path, created 0711 when missing: a directory, not a link,
 * owner's and writable by no one else. -1 with the reason in err. */
int user_record_dir_open(const char *path, uid_t owner, char *err, size_t errlen);

/* "nothing", "warning", "refusal". */
const char *user_record_next_name(enum user_record_next next);

#endif
