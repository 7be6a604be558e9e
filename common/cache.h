/* Per-node cache of API replies: one root-only file per user, and a lock per user so that a
 * burst of logins makes one request. */
#ifndef SCNET_CACHE_H
#define SCNET_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cache_entry {
    char *body; /* NUL-terminated: a user's answer (answer_text.h) or a token record */
    size_t len;
    int64_t fetched_at; /* wall-clock Unix seconds when it was fetched */
    bool older_format;  /* set by a failed cache_read: the file is of an older format */
};

/* Open (creating 0700 if missing) the cache directory; it must be a real directory (no
 * symlink), owned by owner, not group/other-writable. Returns an O_DIRECTORY|O_CLOEXEC
 * descriptor, or -1 with the reason in err. */
int cache_dir_open(const char *path, uid_t owner, char *err, size_t errlen);

/* The file name (no '/') used for key (a user name or "token:<cluster>"), never "." or
 * "..", never starting with '.', at most 100 bytes; different keys map to different names
 * except for hashed long keys, whose collisions the stored key catches. */
void cache_file_name(const char *key, char *name, size_t namelen);

/* Read the entry for key. False (entry zeroed) when there is none or it is unusable:
 * symlink, not regular, wrong owner or mode, corrupt, truncated, or stored for another key;
 * then err says which (empty when simply missing, or when the file is of an older format:
 * then entry->older_format). Caller frees with cache_entry_free. */
bool cache_read(int dirfd, const char *key, uid_t owner, struct cache_entry *entry, char *err,
                size_t errlen);

/* Replace the entry for key atomically (temporary 0600 file, fsync-free rename). */
bool cache_write(int dirfd, const char *key, const char *body, size_t len, int64_t fetched_at,
                 char *err, size_t errlen);

/* Write header then body to fd and close it, with SIGXFSZ held back (a user may start su
 * with RLIMIT_FSIZE = 0): false with errno (EFBIG then) instead of a killed host. */
bool cache_write_and_close(int fd, const char *header, size_t header_len, const char *body,
                           size_t len);

/* Take the exclusive lock for key, waiting until deadline_ms (CLOCK_MONOTONIC ms) at most.
 * Returns the lock descriptor (release with cache_unlock) or -1: err says timeout or why. */
int cache_lock(int dirfd, const char *key, uid_t owner, int64_t deadline_ms, char *err,
               size_t errlen);

/* Take the lock for key as a lease of lease_ms (> 0): the holder's lease starts when it takes
 * the lock (stamped on the lock file), and a holder that has had it longer is treated as
 * gone. Waits until wait_until_ms (CLOCK_MONOTONIC ms) at most, and not at all once the
 * holder's lease is over: then -1 with *expired (may be NULL) true, and the caller goes on
 * without the lock. Returns the lock descriptor or -1 with the reason in err. */
int cache_lease(int dirfd, const char *key, uid_t owner, long lease_ms, int64_t wait_until_ms,
                bool *expired, char *err, size_t errlen);

/* Whether this process may write what other logins read (answers, the token, the offline
 * state) and take locks they wait on: only when its real uid is owner. Inside a setuid host
 * such as su the real uid is the invoking user's, who may stop or kill the process. */
bool cache_caller_may_write(uid_t owner);

/* Release a lock from cache_lock or cache_lease (-1 is fine). */
void cache_unlock(int lockfd);

/* Free an entry (wipes the body: it may be a token). */
void cache_entry_free(struct cache_entry *entry);

/* Record that key's user logged in now: the mtime of its lock file (created if missing), the
 * only write a cache hit makes; skipped when the stamp is already younger than every_s
 * seconds (0: always stamp). False with the reason in err. */
bool cache_mark_seen(int dirfd, const char *key, uid_t owner, long every_s, char *err,
                     size_t errlen);

/* One stored entry, as cache_list finds it. */
struct cache_item {
    char *key;
    int64_t fetched_at;
    int64_t seen_at; /* mtime of the key's lock file; fetched_at when there is none */
};

/* Every usable entry in the directory (files failing cache_read's checks are left out).
 * Caller frees with cache_items_free. False with the reason in err. */
bool cache_list(int dirfd, uid_t owner, struct cache_item **items, size_t *count, char *err,
                size_t errlen);

/* Free what cache_list returned. */
void cache_items_free(struct cache_item *items, size_t count);

/* Delete key's entry, and its lock file too when with_lock (the caller holds that lock, or
 * nobody does). A missing file is not an error. */
bool cache_remove(int dirfd, const char *key, bool with_lock, char *err, size_t errlen);

/* Delete leftover temporary files (of writes that died) older than a minute; cache_write
 * does it too. Returns how many went. */
size_t cache_sweep_temp_files(int dirfd);

/* Delete lock files without an entry whose mtime is before older_than (wall-clock seconds)
 * and that nobody holds. Returns how many went. */
size_t cache_prune_orphan_locks(int dirfd, uid_t owner, int64_t older_than);

#endif
