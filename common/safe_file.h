/* Opening files that decide what root does: no symlinks, right owner, right mode. */
#ifndef SCNET_SAFE_FILE_H
#define SCNET_SAFE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

enum safe_file_kind {
    SAFE_FILE_CONFIG, /* may be world-readable, must not be group/other-writable */
    SAFE_FILE_SECRET, /* no access at all for group or others */
};

/* Check, on an open descriptor (not a path, so a swap after the check is harmless), that it
 * is of file type `type` (S_IFREG or S_IFDIR), owned by owner, with the mode kind demands;
 * *st receives its status. On failure writes "<what>: <problem>" into err. */
bool safe_file_check_fd(int fd, const char *what, mode_t type, enum safe_file_kind kind,
                        uid_t owner, struct stat *st, char *err, size_t errlen);

/* Read the whole file at path (at most max_size bytes) after checking, on the opened
 * descriptor, that it is a regular file (not a symlink), owned by owner, with the mode kind
 * demands. On success *content is NUL-terminated (caller frees; wipe it if secret).
 * On failure writes "<path>: <problem>" into err, sets *missing when the file does not
 * exist, and returns false. */
bool safe_file_read(const char *path, enum safe_file_kind kind, uid_t owner, size_t max_size,
                    char **content, size_t *len, bool *missing, char *err, size_t errlen);

/* Open path (absolute) by walking it from "/" one component at a time, the way OpenSSH
 * checks AuthorizedKeysCommand: every folder on the way is a directory owned by root or by
 * owner and not writable by group or others; a symlink on the way is followed only when root
 * or owner owns it (its folder is checked already) and what it points to is walked the same
 * way; the last component is opened with flags | O_NOFOLLOW | O_CLOEXEC and must pass
 * safe_file_check_fd (S_IFREG, kind, owner). A file checked this way is used through *fd,
 * never opened again by name. On failure writes "<what> <path>: <problem>", naming the
 * folder at fault ("directory /tmp/x: owned by uid 1001, ..."), into err. */
bool safe_file_open_trusted(const char *path, const char *what, int flags, enum safe_file_kind kind,
                            uid_t owner, int *fd, struct stat *st, char *err, size_t errlen);

/* safe_file_open_trusted, then the descriptor is closed: for a check only (--check-config,
 * config_load), as the one who uses the file opens it again the same way. */
bool safe_file_check_path(const char *path, const char *what, enum safe_file_kind kind, uid_t owner,
                          char *err, size_t errlen);

#endif
