/* Hosts that do their own thing with SIGCHLD: one ignores it (its children are reaped by the
 * kernel, waitpid fails with ECHILD), one reaps with waitpid(-1) in a handler and counts.
 * Both must get the right PAM result from a cold login; the handler host must still get the
 * exit status of the child it forked itself before the login (the module neither loses nor
 * steals it); the host's SIGCHLD disposition is what it was; no zombie of ours is left.
 *
 * The host's own child is a witness: it watches /proc for a sibling (a process the module
 * started: the network helper) while the login runs, reports on a pipe whether it saw one,
 * and exits with status 42. A login that started no process would make this test vacuous, so
 * seeing the helper is asserted too. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "host_support.h"

#define WITNESS_STATUS 42
#define WITNESS_EXIT "exit 42" /* WITNESS_STATUS, as sh says it */
#define WITNESS_WATCH_MS 3000
#define MAX_REAPED 64
#define BANNER "/public/home/near  651.0 GB of 700.0 GB  93.0%"

/* What the handler reaped: written only by the handler, read after the login. */
static volatile sig_atomic_t reaped_count;
static volatile pid_t reaped_pid[MAX_REAPED];
static volatile int reaped_status[MAX_REAPED];

static void reap_all(int sig)
{
    int saved = errno, status;
    pid_t pid;

    (void)sig;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (reaped_count < MAX_REAPED) {
            reaped_pid[reaped_count] = pid;
            reaped_status[reaped_count] = status;
        }
        reaped_count++;
    }
    errno = saved;
}

/* In the witness: a process other than us whose parent is our parent. */
static bool sibling_running(pid_t parent)
{
    char path[300], buf[512];
    struct dirent *e;
    DIR *d = opendir("/proc");
    bool found = false;

    if (!d)
        return false;
    while (!found && (e = readdir(d)) != NULL) {
        const char *paren;
        FILE *f;
        size_t n;
        long ppid;
        char st;

        if (e->d_name[0] < '0' || e->d_name[0] > '9' || atol(e->d_name) == (long)getpid())
            continue;
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        f = fopen(path, "re");
        if (!f)
            continue;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        paren = strrchr(buf, ')');
        if (paren && sscanf(paren + 1, " %c %ld", &st, &ppid) == 2 && ppid == (long)parent)
            found = true;
    }
    closedir(d);
    return found;
}

static pid_t start_witness(int *report_fd)
{
    int fds[2];
    pid_t parent = getpid(), pid;

    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char seen = 'N';
        double end = host_now_ms() + WITNESS_WATCH_MS;
        while (host_now_ms() < end) {
            if (sibling_running(parent)) {
                seen = 'Y';
                break;
            }
            usleep(200);
        }
        (void)!write(fds[1], &seen, 1);
        /* Exit through exec: under valgrind a forked child that exits is leak-checked, and
         * the heap it inherited turns its status into valgrind's error code; the status is
         * what the handler test checks. */
        execl("/bin/sh", "sh", "-c", WITNESS_EXIT, (char *)NULL);
        _exit(WITNESS_STATUS);
    }
    close(fds[1]);
    *report_fd = fds[0];
    return pid;
}

static char witness_report(int fd)
{
    char seen = '?';
    assert_int_equal(read(fd, &seen, 1), 1);
    close(fd);
    return seen;
}

/* No child at all (all_children) or no zombie child left; prints what is left. */
static void assert_no_children_left(bool all_children, pid_t witness)
{
    pid_t pids[16];
    int n = host_children(pids, 16, !all_children);

    /* A host that ignores SIGCHLD has its children reaped by the kernel, a moment later. */
    for (int i = 0; i < 100 && n > 0; i++) {
        usleep(10000);
        n = host_children(pids, 16, !all_children);
    }
    for (int i = 0; i < n && i < 16; i++)
        print_message("%s left: pid %ld%s\n", all_children ? "child" : "zombie child",
                      (long)pids[i], pids[i] == witness ? " (the host's own child)" : "");
    assert_int_equal(n, 0);
}

static void test_sigchld_ignored(void **state)
{
    struct sigaction ign = {.sa_handler = SIG_IGN}, now;
    struct host h;
    struct host_session s;
    pid_t witness;
    int report;

    (void)state;
    host_setup(&h);
    host_write_conf(&h, "cache_ttl = 0\nstale_ttl = 0\ntimeout = 5\n");
    sigemptyset(&ign.sa_mask);
    assert_int_equal(sigaction(SIGCHLD, &ign, NULL), 0);

    witness = start_witness(&report);
    host_login(&h, "near", &s);
    print_message("login: rc %d in %.1f ms\n", s.rc, s.ms);
    assert_int_equal(s.rc, PAM_SUCCESS);
    assert_non_null(strstr(s.info, BANNER));
    assert_int_equal(witness_report(report), 'Y');

    assert_int_equal(sigaction(SIGCHLD, NULL, &now), 0);
    assert_true(now.sa_handler == SIG_IGN);
    /* The kernel reaps children of a process that ignores SIGCHLD: none may be left, not
     * even the host's own child turned into a zombie while the module had SIGCHLD changed
     * (the host would never wait for it). */
    assert_no_children_left(true, witness);

    signal(SIGCHLD, SIG_DFL);
    host_teardown(&h);
}

static bool handler_reaped(pid_t pid, int *status)
{
    for (int i = 0; i < reaped_count && i < MAX_REAPED; i++)
        if (reaped_pid[i] == pid) {
            *status = reaped_status[i];
            return true;
        }
    return false;
}

static void test_sigchld_handler_keeps_its_child(void **state)
{
    struct sigaction act = {.sa_handler = reap_all, .sa_flags = SA_RESTART}, now;
    struct host h;
    struct host_session s;
    int report, status = -1;
    bool got = false;
    pid_t witness;

    (void)state;
    host_setup(&h);
    host_write_conf(&h, "cache_ttl = 0\nstale_ttl = 0\ntimeout = 5\n");
    sigemptyset(&act.sa_mask);
    reaped_count = 0;
    assert_int_equal(sigaction(SIGCHLD, &act, NULL), 0);

    witness = start_witness(&report);
    host_login(&h, "near", &s);
    print_message("login: rc %d in %.1f ms; the handler reaped %d process(es) so far\n", s.rc, s.ms,
                  (int)reaped_count);
    assert_int_equal(s.rc, PAM_SUCCESS);
    assert_non_null(strstr(s.info, BANNER));
    assert_int_equal(witness_report(report), 'Y');

    /* The witness's status reaches us: through the handler, or a waitpid of our own. */
    for (int i = 0; i < 5000 && !got; i++) {
        pid_t r;
        if (handler_reaped(witness, &status)) {
            got = true;
            break;
        }
        r = waitpid(witness, &status, WNOHANG);
        if (r == witness)
            got = true;
        else if (r < 0 && errno == ECHILD)
            got = handler_reaped(witness, &status);
        if (r < 0 && errno != EINTR && !got)
            break; /* gone, and not through us: stolen */
        if (!got)
            usleep(1000);
    }
    print_message("own child %ld: %s, wait status %d\n", (long)witness,
                  got ? "status received" : "status LOST", status);
    assert_true(got);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), WITNESS_STATUS);

    assert_int_equal(sigaction(SIGCHLD, NULL, &now), 0);
    assert_true(now.sa_handler == reap_all);
    assert_no_children_left(false, witness);

    signal(SIGCHLD, SIG_DFL);
    host_teardown(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigchld_ignored),
        cmocka_unit_test(test_sigchld_handler_keeps_its_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
