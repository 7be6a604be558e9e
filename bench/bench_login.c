/* One login for the benchmark: bench_login CONFDIR SERVICE USER
 * What sshd does for the session stage, and nothing else: pam_start on the service (read
 * from CONFDIR through pam_start_confdir, so no root and no pam_wrapper are needed),
 * pam_open_session, pam_end. Prints "rc=<PAM code> ms=<in-process ms>" and then every
 * conversation message; exits 0 when the session opened, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <security/pam_appl.h>

static int show(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
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
    struct pam_conv conv = {show, NULL};
    pam_handle_t *pamh = NULL;
    double start;
    int rc;

    if (argc != 4) {
        fprintf(stderr, "usage: bench_login CONFDIR SERVICE USER\n");
        return 2;
    }
    start = now_ms();
    rc = pam_start_confdir(argv[2], argv[3], &conv, argv[1], &pamh);
    if (rc == PAM_SUCCESS)
        rc = pam_open_session(pamh, 0);
    printf("rc=%d ms=%.2f\n", rc, now_ms() - start);
    if (pamh)
        pam_end(pamh, rc);
    return rc == PAM_SUCCESS ? 0 : 1;
}
