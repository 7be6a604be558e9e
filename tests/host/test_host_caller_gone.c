/* scnet-quota-fetch dies with its caller, also where the kernel cleared the parent-death
 * signal the caller set (an exec inside a setuid host such as su is a secure exec, which
 * clears it). The test process is a child subreaper, as init would be, so an orphaned helper
 * becomes its child and its end can be awaited with a bound. It keeps the write end of the
 * helper's stdin: a helper that merely waits for input would never end by itself. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fetch_wire.h"

/* How long an orphaned helper may live: far above its start-up, far below a hung one. */
#define GONE_WITHIN_S 10

static const char *helper_path(void)
{
    const char *helper = getenv("SCNET_TEST_HELPER");

    if (!helper)
        fail_msg("SCNET_TEST_HELPER is not set: run through ctest");
    return helper;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* In a forked child: stdin from in_fd, no parent-death signal (as a secure exec leaves it),
 * then the helper with --caller-pid=caller. */
static void exec_helper(int in_fd, pid_t caller)
{
    char arg[64];
    char *argv[] = {(char *)helper_path(), arg, NULL};
    char *envp[] = {NULL};

    snprintf(arg, sizeof(arg), "%s%ld", FETCH_CALLER_ARG, (long)caller);
    if (dup2(in_fd, STDIN_FILENO) < 0 || prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) != 0)
        _exit(120);
    execve(argv[0], argv, envp);
    _exit(121);
}

/* Wait (bounded) for pid to end; its wait status, or -1 when it is still running. */
static int wait_bounded(pid_t pid)
{
    int status;

    for (int i = 0; i < GONE_WITHIN_S * 20; i++) {
        pid_t got = waitpid(pid, &status, WNOHANG);

        if (got == pid)
            return status;
        assert_int_equal(got, 0);
        sleep_ms(50);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

/* Whether pid sits in read(0, ...): past its start-up, waiting for a request. */
static bool reading_stdin(pid_t pid)
{
    char path[64], line[128] = "", want[32];
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/syscall", (long)pid);
    snprintf(want, sizeof(want), "%ld 0x0 ", (long)SYS_read);
    f = fopen(path, "re");
    if (!f)
        return false;
    if (!fgets(line, sizeof(line), f))
        line[0] = '\0';
    fclose(f);
    return strncmp(line, want, strlen(want)) == 0;
}

/* The caller starts the helper and dies before the helper's exec: the helper's new parent
 * is this test, its own getppid() agrees with itself, and nothing kills it. It must compare
 * its parent with the pid the caller sent, and end. */
static void test_caller_gone_before_start_ends_helper(void **state)
{
    int in[2], report[2], status;
    pid_t caller, helper = 0;

    (void)state;
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(report), 0);
    caller = fork();
    assert_true(caller >= 0);
    if (caller == 0) {
        pid_t me = getpid(), child = fork();

        if (child == 0) {
            close(in[1]);
            while (getppid() == me) /* until the caller is gone */
                sleep_ms(10);
            exec_helper(in[0], me);
        }
        _exit(write(report[1], &child, sizeof(child)) == sizeof(child) ? 0 : 1);
    }
    close(in[0]);
    close(report[1]);
    assert_int_equal(read(report[0], &helper, sizeof(helper)), (ssize_t)sizeof(helper));
    close(report[0]);
    assert_int_equal(waitpid(caller, &status, 0), caller);
    assert_true(helper > 0);
    status = wait_bounded(helper);
    close(in[1]);
    assert_int_not_equal(status, -1); /* -1: still alive after GONE_WITHIN_S */
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), FETCH_EXIT_SETUP);
}

/* The caller dies while the helper waits for a request, the parent-death signal of the
 * caller's fork cleared: the one the helper set itself kills it. */
static void test_caller_dies_while_helper_waits(void **state)
{
    int in[2], report[2], status;
    pid_t caller, helper = 0;

    (void)state;
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(report), 0);
    caller = fork();
    assert_true(caller >= 0);
    if (caller == 0) {
        pid_t me = getpid(), child = fork();

        if (child == 0) {
            close(in[1]);
            exec_helper(in[0], me);
        }
        if (write(report[1], &child, sizeof(child)) != sizeof(child))
            _exit(1);
        pause(); /* until killed */
        _exit(0);
    }
    close(in[0]);
    close(report[1]);
    assert_int_equal(read(report[0], &helper, sizeof(helper)), (ssize_t)sizeof(helper));
    close(report[0]);
    for (int i = 0; i < GONE_WITHIN_S * 100 && !reading_stdin(helper); i++)
        sleep_ms(10);
    assert_true(reading_stdin(helper));
    assert_int_equal(kill(caller, SIGKILL), 0);
    assert_int_equal(waitpid(caller, &status, 0), caller);
    status = wait_bounded(helper);
    close(in[1]);
    assert_int_not_equal(status, -1);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
}

/* Started without a caller pid, the helper refuses to run: nothing would bind it. */
static void test_no_caller_pid_refused(void **state)
{
    int in[2], status;
    pid_t helper;

    (void)state;
    assert_int_equal(pipe(in), 0);
    helper = fork();
    assert_true(helper >= 0);
    if (helper == 0) {
        char *argv[] = {(char *)helper_path(), NULL};
        char *envp[] = {NULL};

        close(in[1]);
        if (dup2(in[0], STDIN_FILENO) < 0)
            _exit(120);
        execve(argv[0], argv, envp);
        _exit(121);
    }
    close(in[0]);
    status = wait_bounded(helper);
    close(in[1]);
    assert_int_not_equal(status, -1);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), FETCH_EXIT_SETUP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caller_gone_before_start_ends_helper),
        cmocka_unit_test(test_caller_dies_while_helper_waits),
        cmocka_unit_test(test_no_caller_pid_refused),
    };

    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
        perror("PR_SET_CHILD_SUBREAPER");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
