#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

void scnet_log(const struct scnet_log *log, int priority, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (!log || !log->write || (priority == LOG_DEBUG && !log->debug))
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    log->write(log->ctx, priority, line);
}

void error_set(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    for (unsigned char *p = (unsigned char *)err; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f)
            *p = '?';
}

const char *denied_hint(int err)
{
    return err == EACCES || err == EPERM
               ? " (permission denied: SELinux? see pam_scnet_quota(8), SELINUX)"
               : "";
}
