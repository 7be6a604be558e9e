/* Shared by the unit tests in tests/unit (not a test program itself: only test_*.c are).
 * Helpers that check something do it with cmocka's assertions, so a failure fails the test
 * that called them. */
#ifndef SCNET_UNIT_SUPPORT_H
#define SCNET_UNIT_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- files and directories ---- */

/* mkdtemp of "$SCNET_TEST_TMP/<leaf>" ("/tmp/<leaf>" when unset or empty; that base is made
 * 0700 when missing). leaf ends in XXXXXX. Returns dir, now the new directory's path, or NULL
 * when it could not be made. */
char *unit_mkdtemp(char *dir, size_t dirlen, const char *leaf);

/* Removes path and everything below it, never following a symlink; 0 when all of it went. */
int unit_remove_tree(const char *path);

/* Creates path (it must not exist yet) with exactly these bytes and exactly this mode,
 * whatever the umask. */
void unit_write_file(const char *path, const void *data, size_t len, mode_t mode);

/* The same at dirfd/path (dirfd may be AT_FDCWD), opened with O_WRONLY | O_CREAT |
 * O_CLOEXEC plus flags: O_EXCL, or O_TRUNC to replace a file, O_NOFOLLOW, ... */
void unit_write_file_at(int dirfd, const char *path, int flags, const void *data, size_t len,
                        mode_t mode);

/* Entries of /proc/self/fd: only for comparing two counts (the one reading it is counted). */
int unit_count_open_fds(void);

/* ---- sockets ---- */

/* A TCP socket bound to 127.0.0.1 on a free port, close-on-exec; the port in *port. */
int unit_loopback_socket(int *port);

/* The same, listening with this backlog. */
int unit_loopback_listener(int backlog, int *port);

/* ---- text ---- */

/* base64url of the string in, without padding; written here independently of any decoder
 * under test. The caller frees it. */
char *unit_b64url(const char *in);

/* Sets LC_NUMERIC to an installed locale with a decimal comma (de_DE, fr_FR, ru_RU); false
 * when there is none. The caller sets it back to "C". */
bool unit_set_decimal_comma_locale(void);

#endif
