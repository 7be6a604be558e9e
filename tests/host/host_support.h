/* Shared by the host tests in tests/host: a login through the real libpam (pam_start_confdir,
 * no pam_wrapper) inside a test program that plays the PAM host, so the test controls what a
 * real host controls: its threads, signal dispositions, children and descriptors.
 * Failures are cmocka assertions, so they fail the test that called the helper. */
#ifndef SCNET_HOST_SUPPORT_H
#define SCNET_HOST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <security/pam_appl.h>

#define HOST_MSG_MAX 4096

struct host {
    char dir[512];     /* private folder: services/host, scnet.conf, cache/ */
    char confdir[600]; /* dir/services, for pam_start_confdir */
    int https_port;    /* the simulator's (tests/support/sim-start.sh, fixture pam_sim) */
    char ca[600];
    char token_file[600];
};

/* One session's handle and what the module said through the conversation. */
struct host_session {
    pam_handle_t *pamh;
    struct pam_conv conv;
    int rc;                  /* what pam_open_session returned */
    double ms;               /* wall time of pam_start_confdir + pam_open_session */
    char info[HOST_MSG_MAX]; /* PAM_TEXT_INFO and PAM_ERROR_MSG texts, one per line */
};

/* A fresh folder with a service "host": the module (conf=<dir>/scnet.conf) then pam_permit.
 * Reads the simulator's ports from $SCNET_PAM_RUN/ready.json. */
void host_setup(struct host *h);

/* Remove the folder and everything in it. */
void host_teardown(struct host *h);

/* Write <dir>/scnet.conf (0600): cache_dir in the folder, lang en, fail open, then url, the
 * token file and CA for the simulator's HTTPS listener unless extra sets its own url, then
 * extra, then "helper = $SCNET_TEST_HELPER" when that is set and extra names no helper. */
void host_write_conf(const struct host *h, const char *extra);

/* pam_start_confdir + pam_open_session for user; the session stays open until host_end. */
void host_open(const struct host *h, const char *user, struct host_session *s);

/* pam_close_session (when it was opened) + pam_end. */
void host_end(struct host_session *s);

/* host_open + host_end; returns pam_open_session's code. */
int host_login(const struct host *h, const char *user, struct host_session *s);

/* "fd -> target" for every open descriptor of this process, one per line, sorted by number
 * (the descriptor used to read /proc/self/fd is left out). */
void host_fd_list(char *out, size_t outlen);

/* Pids of this process's children, in state Z (zombies) when zombies_only; returns how many
 * (at most max are stored). */
int host_children(pid_t *pids, int max, bool zombies_only);

/* Whether a process with this pid exists at all (a zombie counts). */
bool host_pid_exists(pid_t pid);

double host_now_ms(void);

#endif
