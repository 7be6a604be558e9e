/* Shared by the pam tests: the simulator's address, config files, running a PAM stack. */
#ifndef SCNET_PAM_TEST_SUPPORT_H
#define SCNET_PAM_TEST_SUPPORT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include <cmocka.h>
#include <libpamtest.h>
#include <security/pam_appl.h>

#include "unit_support.h" /* unit_time_factor */

#define PAM_RUN_MAX_MSGS 16

struct sim_info {
    int http_port;
    int https_port;
    char run_dir[512];
    char ca[600];
    char token_file[600];
};

struct pam_run {
    int rc;                                            /* what the PAM call returned */
    char info[PAM_RUN_MAX_MSGS][PAM_MAX_MSG_SIZE + 1]; /* PAM_TEXT_INFO messages */
    char err[PAM_RUN_MAX_MSGS][PAM_MAX_MSG_SIZE + 1];  /* PAM_ERROR_MSG messages */
    double ms;                                         /* wall time of the call */
};

/* Read $SCNET_PAM_RUN/ready.json; fails the test when pam_wrapper is not active. */
void sim_info_load(struct sim_info *sim);

/* The HTTPS port of the second simulator (pam.sim_misnamed_start): the same certificate and
 * CA as sim->https_port, served on MISNAMED_ADDRESS, a name the certificate does not hold. */
#define MISNAMED_ADDRESS "127.0.0.2"
int sim_misnamed_https_port(const struct sim_info *sim);

/* The line that ends a warning and a refusal (show_command_hint = yes, the default). */
#define HINT "\nSee your quota any time: scnet-quota"
#define HINT_ZH "\n随时查看您的配额：scnet-quota"

/* Lines written at the top of every config file from now on (after cache_dir). */
void set_conf_prefix(const char *prefix);

/* Write $SCNET_PAM_RUN/scnet.conf (mode 0600): cache_dir inside the run folder, helper =
 * $SCNET_TEST_HELPER, offline_retry = 0 (tests of offline mode set it again), the prefix,
 * then the printf format. */
void write_conf(const struct sim_info *sim, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Write the usual config for the HTTPS listener plus extra lines (may be ""). */
void write_https_conf(const struct sim_info *sim, const char *extra);

/* Run one PAM operation (PAMTEST_OPEN_SESSION, PAMTEST_ACCOUNT, ...) for user on service. */
void run_pam(const char *service, const char *user, enum pamtest_ops op, int flags,
             struct pam_run *run);

/* Open a session as run_pam does, keeping its stderr in log: pam_wrapper writes pam_syslog
 * lines there (from LOG_WARNING up with PAM_WRAPPER_DEBUGLEVEL=1, which CMake sets). */
void run_pam_logged(const char *service, const char *user, struct pam_run *run, char *log,
                    size_t loglen);

/* All info (or error) messages joined with '\n'. */
const char *joined_info(struct pam_run *run);
const char *joined_err(struct pam_run *run);

/* GET or POST (body non-NULL) a simulator control path over plain HTTP; returns the body
 * (static buffer). */
const char *sim_http(const struct sim_info *sim, const char *method, const char *path,
                     const char *body);

/* Quota requests the simulator has seen for user so far. */
long sim_quota_count(const struct sim_info *sim, const char *user);

/* A number from the simulator's /_sim/stats: the first "key": in it (nested keys too). */
long sim_stat(const struct sim_info *sim, const char *key);

/* Put an answer for user (usage of 700 GB) into the cache with the project's own writer, as
 * if fetched age_s seconds ago. */
void plant_answer(const struct sim_info *sim, const char *user, double usage, long age_s);

/* The same in the cache directory dir. */
void plant_answer_in(const char *dir, const char *user, double usage, long age_s);

struct child_result {
    int status; /* the PAM code of the session open */
    double ms;
    char out[1200]; /* what session_child printed */
};

/* Open one session per user in users[] (at most 64) at once, each in its own process (like
 * sshd: one process per login), through session_child: real libpam with our service folder
 * and service "scnet". */
void sessions_at_once(const char *const *users, size_t n, struct child_result *results);

double now_ms(void);

#endif
