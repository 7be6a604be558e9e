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

/* Check that path names a regular file (not a symlink) and that the directory holding it is
 * a directory, both owned by owner and with the mode kind demands (a file trusted for what it
 * says, such as a CA bundle, that is read by another library by path). On failure writes
 * "<what> <path>: <problem>" into err ("no such file" when it does not exist). */
bool safe_file_check_path(const char *path, const char *what, enum safe_file_kind kind, uid_t owner,
                          char *err, size_t errlen);

#endif
