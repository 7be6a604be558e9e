/* Shared by the unit tests in tests/unit (not a test program itself: only test_*.c are).
 * Helpers that check something do it with cmocka's assertions, so a failure fails the test
 * that called them. */
#ifndef SCNET_UNIT_SUPPORT_H
#define SCNET_UNIT_SUPPORT_H

#include <stdint.h>
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

/* ---- time ---- */

/* SCNET_TEST_TIME_FACTOR from the environment (tests/CMakeLists.txt: 4 under an emulator, 1
 * otherwise): every time limit a test sets or checks is multiplied by it. 1 when unset; a
 * value that is not a whole number from 1 to 99 fails the test. */
int unit_time_factor(void);

/* ---- sockets ---- */

/* A TCP socket bound to 127.0.0.1 on a free port, close-on-exec; the port in *port. */
int unit_loopback_socket(int *port);

/* The same, listening with this backlog. */
int unit_loopback_listener(int backlog, int *port);

/* ---- text ---- */

/* base64url of the string in, without padding; written here independently of any decoder
 * under test. The caller frees it. */
char *unit_b64url(const char *in);

/* Sets LC_NUMERIC to a locale with a decimal comma: de_DE.UTF-8 from $SCNET_TEST_LOCPATH (the
 * one the unit.comma_locale fixture builds with localedef), else an installed de_DE, fr_FR or
 * ru_RU. When there is none the case is skipped (unit_skip: a failure in CI). The caller sets
 * LC_NUMERIC back to "C". */
void unit_set_decimal_comma_locale(void);

/* ---- answers ---- */

/* Store the quota API's reply json (it must parse) as user's cache entry in dirfd, fetched at
 * fetched_at: what a login stores after the helper read that reply (answer_text.h). Fails the
 * test otherwise. */
void unit_cache_answer(int dirfd, const char *user, const char *json, int64_t fetched_at);

/* ---- skips ---- */

/* Ends the running case as skipped, printing "SKIPPED: <why>" and counting it for
 * unit_exit_code. When the environment has CI set and ci_provides is true (CI installs the
 * prerequisite, or runs as root), a missing prerequisite is a failure there instead. */
void unit_skip(bool ci_provides, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What main returns, given cmocka_run_group_tests' count of failures: that count when not
 * 0, else 77 (ctest's SKIP_RETURN_CODE: the program shows as skipped, not passed) when any
 * case was skipped, else 0. */
int unit_exit_code(int failed);

/* Skips the running case unless this process is root (CI runs as root: a failure there);
 * what says what root is needed for. */
void unit_need_root(const char *what);

#endif
