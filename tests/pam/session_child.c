/* One login for the burst tests: session_child [--lookup-first] CONFDIR SERVICE USER
 * Opens a session through the real libpam with pam_start_confdir (no pam_wrapper: its
 * one-character folder names cannot take 50 new processes at once) and prints
 * "rc=<PAM code> ms=<wall time>" followed by the messages the module sent.
 * --lookup-first looks the user up (getpwnam) before pam_start, as sshd's monitor does
 * before authentication: the process's first NSS lookup is then not the session stage's
 * (bench/bench.py's "as sshd" rows). */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <security/pam_appl.h>

static int collect(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    struct pam_response *r = calloc((size_t)n, sizeof(*r));

    (void)data;
    if (!r)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++)
        printf("%s: %s\n", msg[i]->msg_style == PAM_ERROR_MSG ? "error" : "info", msg[i]->msg);
    *resp = r;
    return PAM_SUCCESS;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    struct pam_conv conv = {collect, NULL};
    pam_handle_t *pamh = NULL;
    double start;
    int rc;

    if (argc == 5 && strcmp(argv[1], "--lookup-first") == 0) {
        if (!getpwnam(argv[4])) {
            fprintf(stderr, "session_child: no user %s\n", argv[4]);
            return 2;
        }
        argc--;
        argv++;
    }
    if (argc != 4) {
        fprintf(stderr, "usage: session_child [--lookup-first] CONFDIR SERVICE USER\n");
        return 2;
    }
    start = now_ms();
    rc = pam_start_confdir(argv[2], argv[3], &conv, argv[1], &pamh);
    if (rc == PAM_SUCCESS)
        rc = pam_open_session(pamh, 0);
    printf("rc=%d ms=%.1f\n", rc, now_ms() - start);
    if (pamh)
        pam_end(pamh, rc);
    return 0;
}
