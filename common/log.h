/* The pipeline's only way to log: the module points it at pam_syslog, the tool at stderr. */
#ifndef SCNET_LOG_H
#define SCNET_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

struct scnet_log {
    void (*write)(void *ctx, int priority, const char *line); /* may be NULL: drop */
    void *ctx;
    bool debug; /* LOG_DEBUG lines are written only when set */
};

/* Format and write one line at priority (LOG_DEBUG lines only when log->debug). */
void scnet_log(const struct scnet_log *log, int priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Write a reason into err (errlen bytes; nothing when err is NULL). Reasons end up in a
 * syslog line or on a terminal, and may quote server text: control characters become '?'
 * so they cannot split or forge a line. */
void error_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* What to append to a reason when a call failed with err: for EACCES and EPERM, which root
 * gets mostly from a security policy (an SELinux denial), a pointer to the man page section
 * that says what the policy module allows; "" for any other err. */
const char *denied_hint(int err);

#define scnet_debug(log, ...) scnet_log((log), LOG_DEBUG, __VA_ARGS__)

#endif
