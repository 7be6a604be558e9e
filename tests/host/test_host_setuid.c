/* The module inside a setuid host, as inside su: this program makes itself one (real uid a
 * test user, effective uid 0, as TESTING-PAM.md says) and runs the PAM stack there. The
 * user, from a process of their own, stops the network helper (kill -STOP, which they may:
 * the helper's real uid is theirs). That login's request times out, and it must stay that
 * login's business: no offline state, no lock file, no cached answer; and a login in a
 * real-uid-root process right after (as sshd's) asks the API and shows its answer.
 * Needs root (exit 77 = skip otherwise). */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache.h"
#include "host_support.h"
#include "offline.h"

/* slow1 in tests/pam/passwd.in; the simulator answers it after 1 s, within timeout. */
#define SU_USER "slow1"
#define SU_UID 2022
#define TIMEOUT_S 3
#define NEAR_BANNER "/public/home/near  651.0 GB of 700.0 GB  93.0%"
#define WATCH_MS 5000

/* The parent of pid, from /proc/pid/stat ("pid (comm) state ppid ..."; comm may hold
 * anything, so read after its last ')'); -1 when it cannot be read. */
static pid_t parent_of(pid_t pid)
{
    char path[64], buf[512], *close_paren;
    long ppid = -1;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    f = fopen(path, "re");
    if (!f)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    close_paren = strrchr(buf, ')');
    if (!close_paren || sscanf(close_paren + 1, " %*c %ld", &ppid) != 1)
        return -1;
    return (pid_t)ppid;
}

/* The user's own process: drops to SU_UID entirely, waits for a child of host that is not
 * itself (the module's helper) and stops it. Exit 0 when it stopped one, 1 when none
 * appeared within WATCH_MS, 2 when the kill was refused. Plain syscalls only (no cmocka). */
static void stop_the_helper_as_the_user(pid_t host)
{
    struct timespec step = {0, 2 * 1000 * 1000};
    int64_t waited_ms = 0;

    if (setresgid(SU_UID, SU_UID, SU_UID) != 0 || setresuid(SU_UID, SU_UID, SU_UID) != 0)
        _exit(3);
    while (waited_ms < WATCH_MS) {
        DIR *d = opendir("/proc");
        struct dirent *e;

        while (d && (e = readdir(d)) != NULL) {
            pid_t pid = (pid_t)strtol(e->d_name, NULL, 10);
            if (pid <= 0 || pid == getpid() || parent_of(pid) != host)
                continue;
            closedir(d);
            _exit(kill(pid, SIGSTOP) == 0 ? 0 : 2);
        }
        if (d)
            closedir(d);
        nanosleep(&step, NULL);
        waited_ms += 2;
    }
    _exit(1);
}

static bool file_exists_in(const char *dir, const char *name)
{
    char path[1200];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return lstat(path, &st) == 0;
}

static void test_a_stopped_helper_in_su_is_that_logins_alone(void **state)
{
    struct host h;
    struct host_session s;
    struct offline_state offline;
    char conf[256], cache[600], err[256] = "";
    pid_t host = getpid(), watcher;
    int status = -1, dirfd;

    (void)state;
    host_setup(&h);
    snprintf(cache, sizeof(cache), "%s/cache", h.dir);
    snprintf(conf, sizeof(conf),
             "cache_ttl = 300\nstale_ttl = 86400\noffline_retry = 60\ntimeout = %d\n", TIMEOUT_S);
    host_write_conf(&h, conf);

    /* su: real uid the user's, effective (and saved) uid root. */
    assert_int_equal(setresuid(SU_UID, 0, 0), 0);
    watcher = fork();
    assert_true(watcher >= 0);
    if (watcher == 0)
        stop_the_helper_as_the_user(host);
    host_login(&h, SU_USER, &s);
    /* Root again, as sshd is. */
    assert_int_equal(setresuid(0, 0, 0), 0);
    assert_int_equal(waitpid(watcher, &status, 0), watcher);
    print_message("su login with its helper stopped: rc %d after %.0f ms; watcher status %d\n",
                  s.rc, s.ms, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    /* The user did stop the helper, and the login waited out its timeout (fail = open). */
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(s.rc, PAM_SUCCESS);
    assert_true(s.ms >= TIMEOUT_S * 1000 * 0.9);

    /* Nothing others read was written: no offline state, no lock, no answer. */
    dirfd = cache_dir_open(cache, 0, err, sizeof(err));
    if (dirfd >= 0) {
        offline_state_read(dirfd, 0, NULL, &offline, err, sizeof(err));
        assert_false(offline.offline);
        assert_false(offline.leftover);
        close(dirfd);
    }
    assert_false(file_exists_in(cache, "offline%3Aapi.cache"));
    assert_false(file_exists_in(cache, SU_USER ".lock"));
    assert_false(file_exists_in(cache, SU_USER ".cache"));

    /* A login in a real-uid-root process right after asks the API: the banner can only come
     * from its answer (nothing is cached for near in this fresh folder). */
    host_login(&h, "near", &s);
    print_message("root login right after: rc %d after %.0f ms\n", s.rc, s.ms);
    assert_int_equal(s.rc, PAM_SUCCESS);
    assert_non_null(strstr(s.info, NEAR_BANNER));
    assert_true(file_exists_in(cache, "near.cache"));
    host_teardown(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_stopped_helper_in_su_is_that_logins_alone),
    };

    if (geteuid() != 0) {
        printf("skip: a setuid host needs root to become one\n");
        return 77;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
