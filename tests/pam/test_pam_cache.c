/* The per-node cache through the real module: reuse, private files, corrupt files, a
 * refusal re-checked with the API, stale answers when the API is down, and single flight
 * for bursts of logins (counted at the simulator). */
#include "pam_test_support.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct sim_info sim;
static char cache_dir[600];

#define STALE_TWO_HOURS "(Figures from 2 hours ago: the quota service could not be reached.)"

static int setup(void **state)
{
    sim_info_load(&sim);
    snprintf(cache_dir, sizeof(cache_dir), "%s/cache", sim.run_dir);
    set_conf_prefix("cache_ttl = 300\nstale_ttl = 86400\n");
    return 0;
}

static void set_usage(const char *user, double usage)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"user\":\"%s\",\"usage\":%.1f,\"threshold\":700}", user, usage);
    sim_http(&sim, "POST", "/_sim/set", body);
}

static void set_down(const char *user)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"user\":\"%s\",\"down\":true}", user);
    sim_http(&sim, "POST", "/_sim/set", body);
}

static void forget(const char *user)
{
    char path[1000];
    snprintf(path, sizeof(path), "%s/%.100s.cache", cache_dir, user);
    unlink(path);
}

static void login(const char *user, const char *extra, struct pam_run *run)
{
    write_https_conf(&sim, extra);
    run_pam("scnet", user, PAMTEST_OPEN_SESSION, 0, run);
}

static void test_second_login_is_answered_from_the_cache(void **state)
{
    struct pam_run run;
    long before;

    forget("near");
    before = sim_quota_count(&sim, "near");
    login("near", "", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_non_null(strstr(joined_info(&run), "93.0%"));
    login("near", "", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_non_null(strstr(joined_info(&run), "93.0%"));
    assert_int_equal(sim_quota_count(&sim, "near"), before + 1);
    /* cache_ttl = 0: every login asks. */
    login("near", "cache_ttl = 0", &run);
    assert_int_equal(sim_quota_count(&sim, "near"), before + 2);
}

static void test_cache_files_are_private(void **state)
{
    struct pam_run run;
    struct stat st;
    char path[1000];

    login("low", "", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_int_equal(stat(cache_dir, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(st.st_uid, geteuid());
    snprintf(path, sizeof(path), "%s/low.cache", cache_dir);
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_uid, geteuid());
}

static void test_corrupt_cache_file_is_replaced(void **state)
{
    const char *junk[] = {"", "scnet-cache 2 x", "scnet-cache 2 1 999 00\n{}",
                          "{\"code\":\"0\",\"data\":[]}"};
    struct pam_run run;
    char path[1000];

    snprintf(path, sizeof(path), "%s/corrupt.cache", cache_dir);
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        long before = sim_quota_count(&sim, "corrupt");
        int fd;

        unlink(path);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, junk[i], strlen(junk[i])), (ssize_t)strlen(junk[i]));
        close(fd);
        set_usage("corrupt", 651.0);
        login("corrupt", "", &run);
        assert_int_equal(run.rc, PAM_SUCCESS);
        assert_non_null(strstr(joined_info(&run), "/public/home/corrupt  651.0 GB of 700.0 GB"));
        assert_int_equal(sim_quota_count(&sim, "corrupt"), before + 1);
        login("corrupt", "", &run); /* replaced by a good one: now a hit */
        assert_int_equal(sim_quota_count(&sim, "corrupt"), before + 1);
    }
    /* Another user's file copied over this one is foreign, not trusted. */
    {
        char other[1000], cmd[2400];
        snprintf(other, sizeof(other), "%s/low.cache", cache_dir);
        snprintf(cmd, sizeof(cmd), "cp -p '%s' '%s'", other, path);
        assert_int_equal(system(cmd), 0);
        long before = sim_quota_count(&sim, "corrupt");
        login("corrupt", "", &run);
        assert_int_equal(sim_quota_count(&sim, "corrupt"), before + 1);
        assert_non_null(strstr(joined_info(&run), "/public/home/corrupt"));
    }
    /* An intact entry of the older format (the API's JSON as received), ten seconds old and
     * showing 100 GB: a miss, not a hit and not an error; the login asks the API and the
     * answer replaces it. */
    {
        const char *json = "{\"code\":\"0\",\"msg\":\"success\",\"data\":[{\"username\":"
                           "\"corrupt\",\"path\":\"/public/home/corrupt\",\"threshold\":700,"
                           "\"usage\":100.0}]}";
        char old[1200];
        long before = sim_quota_count(&sim, "corrupt");
        FILE *fp;

        snprintf(old, sizeof(old), "scnet-cache 1 %lld %zu 636f7272757074\n%s",
                 (long long)time(NULL) - 10, strlen(json), json);
        unlink(path);
        fp = fopen(path, "wx");
        assert_non_null(fp);
        assert_int_equal(fputs(old, fp) >= 0, 1);
        assert_int_equal(fclose(fp), 0);
        assert_int_equal(chmod(path, 0600), 0);
        set_usage("corrupt", 651.0);
        login("corrupt", "", &run);
        assert_int_equal(run.rc, PAM_SUCCESS);
        assert_non_null(strstr(joined_info(&run), "/public/home/corrupt  651.0 GB of 700.0 GB"));
        assert_int_equal(sim_quota_count(&sim, "corrupt"), before + 1);
        login("corrupt", "", &run);
        assert_int_equal(sim_quota_count(&sim, "corrupt"), before + 1);
    }
}

static void test_cached_refusal_is_rechecked(void **state)
{
    struct pam_run run;
    long before;

    forget("cleanup");
    set_usage("cleanup", 735.0);
    before = sim_quota_count(&sim, "cleanup");
    login("cleanup", "deny = 100", &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_int_equal(sim_quota_count(&sim, "cleanup"), before + 1);
    /* The user cleans up: the cached refusal is not trusted, the API is asked again. */
    set_usage("cleanup", 10.0);
    login("cleanup", "deny = 100", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_err(&run), "");
    assert_int_equal(sim_quota_count(&sim, "cleanup"), before + 2);
    /* A cached answer that allows is reused. */
    login("cleanup", "deny = 100", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_int_equal(sim_quota_count(&sim, "cleanup"), before + 2);

    /* Over the line in the cache and the API down: never a refusal from an old answer;
     * fail decides. */
    plant_answer(&sim, "cleanup", 735.0, 10);
    set_down("cleanup");
    login("cleanup", "deny = 100\nfail = open", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_non_null(strstr(joined_info(&run), "105.0%"));
    login("cleanup", "deny = 100\nfail = closed", &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_string_equal(joined_err(&run), "Login refused: your storage quota could not be "
                                          "checked. Please try again later.");
    sim_http(&sim, "POST", "/_sim/reset", "{}");
}

static void test_stale_answer_when_api_is_down(void **state)
{
    struct pam_run run;
    long before;

    plant_answer(&sim, "stale", 651.0, 7200);
    set_down("stale");
    before = sim_quota_count(&sim, "stale");
    login("stale", "fail = closed", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_info(&run),
                        "WARNING: your storage quota is nearly full.\n"
                        "  /public/home/stale  651.0 GB of 700.0 GB  93.0%  "
                        "[##################--]\n" STALE_TWO_HOURS "\n"
                        "Delete or move files you no longer need: jobs fail with \"Disk quota "
                        "exceeded\" once a quota is full." HINT);
    assert_int_equal(sim_quota_count(&sim, "stale"), before + 1);

    /* Older than stale_ttl: not used; fail decides. */
    login("stale", "fail = closed\nstale_ttl = 3600", &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    /* stale_ttl = 0: never used. */
    login("stale", "fail = closed\nstale_ttl = 0", &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    sim_http(&sim, "POST", "/_sim/reset", "{}");
}

/* Fifty logins at once start fifty processes, and on a cold cache fifty network helpers, on
 * two cores: the timeout leaves room for a busy machine, and the bound still shows that
 * nobody waited past it. */
#define BURST_TIMEOUT_S 10 /* times the test time factor (slower under an emulator) */

#define MODULE_TIMEOUT_MAX_S 60 /* the largest timeout the config takes */

static int burst_timeout_s;  /* 0 until burst_timeout() has measured */
static double cold_login_ms; /* what one cold login alone costs here and now */

/* The timeout of a burst: fifty times what one cold login (process, module, helper, TLS)
 * costs here and now (the median of three alone), at least BURST_TIMEOUT_S times the test
 * time factor, at most the module's largest. A burst is mostly process start-up, which
 * qemu-user slows far more than the factor says (it translates each new process's code
 * afresh), and the fifty share the cores: under qemu on 2 busy cores (scripts/ci-aarch64.sh)
 * a cold login alone took 0.95 and 1.15 s, and the fifty logins of a burst 27 and 38 s at
 * most, about 30 times that, against the factor-scaled 40 s. Natively one takes a few tens of
 * ms and the timeout stays BURST_TIMEOUT_S. */
static int burst_timeout(void)
{
    const char *users[1] = {"bench1"};
    struct child_result one;
    double ms[3], sorted[3];
    int timeout_s;

    if (burst_timeout_s > 0)
        return burst_timeout_s;
    write_https_conf(&sim, "warn = 0");
    for (int i = 0; i < 3; i++) {
        forget("bench1");
        sessions_at_once(users, 1, &one);
        if (one.status != 0 || !strstr(one.out, "42.0 GB of 700.0 GB"))
            fail_msg("a cold login alone: PAM code %d: %s", one.status, one.out);
        ms[i] = one.ms;
    }
    forget("bench1");
    memcpy(sorted, ms, sizeof(ms));
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2 - i; j++)
            if (sorted[j] > sorted[j + 1]) {
                double t = sorted[j];
                sorted[j] = sorted[j + 1];
                sorted[j + 1] = t;
            }
    cold_login_ms = sorted[1];
    timeout_s = (int)(50 * cold_login_ms / 1000.0) + 1;
    if (timeout_s < BURST_TIMEOUT_S * unit_time_factor())
        timeout_s = BURST_TIMEOUT_S * unit_time_factor();
    if (timeout_s > MODULE_TIMEOUT_MAX_S)
        timeout_s = MODULE_TIMEOUT_MAX_S;
    burst_timeout_s = timeout_s;
    print_message("burst timeout %d s (one cold login alone: %.0f, %.0f, %.0f ms)\n",
                  burst_timeout_s, ms[0], ms[1], ms[2]);
    return burst_timeout_s;
}

static void write_burst_conf(const char *extra)
{
    char conf[256];

    snprintf(conf, sizeof(conf), "timeout = %d\n%s", burst_timeout(), extra);
    write_https_conf(&sim, conf);
}

static void assert_burst_ok(const struct child_result *results, size_t n, const char *text)
{
    double bound_ms = burst_timeout() * 1000.0 + 1000.0 * unit_time_factor();

    for (size_t i = 0; i < n; i++) {
        if (results[i].status != 0)
            fail_msg("session %zu: PAM code %d: %s", i, results[i].status, results[i].out);
        if (!strstr(results[i].out, text))
            fail_msg("session %zu did not show '%s': %s", i, text, results[i].out);
        if (results[i].ms > bound_ms)
            fail_msg("session %zu waited %.0f ms", i, results[i].ms);
    }
}

static void test_burst_of_one_user_makes_one_request(void **state)
{
    const char *users[50];
    static struct child_result results[50];
    long before;

    forget("burst");
    set_usage("burst", 651.0);
    for (size_t i = 0; i < 50; i++)
        users[i] = "burst";
    write_burst_conf("");
    before = sim_quota_count(&sim, "burst");
    sessions_at_once(users, 50, results);
    assert_int_equal(sim_quota_count(&sim, "burst"), before + 1);
    assert_burst_ok(results, 50, "/public/home/burst  651.0 GB of 700.0 GB  93.0%");
    sim_http(&sim, "POST", "/_sim/reset", "{}");
}

/* A login that finds the lock taken by a holder that has not stamped its lease yet (the
 * moment after its flock), the stamp on the lock file being the previous holder's, older than
 * a lease but younger than cache_ttl (so the seen stamp is not renewed), waits for that
 * holder's answer instead of taking the lease for over and asking the API too. The holder is
 * a child that holds the lock for half a second, then plants an answer of its own (665 GB)
 * and lets go. */
static void test_lock_holder_not_yet_stamped_is_waited_for(void **state)
{
    char lock[1000], c;
    struct timespec old[2];
    struct pam_run run;
    int ready[2], fd, status;
    long before;
    pid_t pid;

    forget("holder");
    set_usage("holder", 651.0);
    snprintf(lock, sizeof(lock), "%s/holder.lock", cache_dir);
    fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    old[0].tv_sec = old[1].tv_sec = time(NULL) - 60;
    old[0].tv_nsec = old[1].tv_nsec = 0;
    assert_int_equal(futimens(fd, old), 0);
    assert_int_equal(pipe(ready), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        if (flock(fd, LOCK_EX) != 0 || write(ready[1], "x", 1) != 1)
            _exit(1);
        usleep(500 * 1000);
        plant_answer(&sim, "holder", 665.0, 0);
        _exit(0); /* lets go of the lock */
    }
    /* The lock is on the open file both share: the child's exit must be what frees it. */
    close(fd);
    close(ready[1]);
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    before = sim_quota_count(&sim, "holder");
    login("holder", "timeout = 10", &run);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    /* Ended, whatever its code: under valgrind (scripts/ci-valgrind.sh) a forked child's exit
     * is 1 from the leak check of the heap it shares with the test. What it did shows below:
     * its answer is the one the login read. */
    assert_true(WIFEXITED(status));
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_int_equal(sim_quota_count(&sim, "holder"), before);
    assert_non_null(strstr(joined_info(&run), "/public/home/holder  665.0 GB of 700.0 GB"));
    sim_http(&sim, "POST", "/_sim/reset", "{}");
}

static void test_burst_of_fifty_users_makes_fifty_requests(void **state)
{
    char names[50][16];
    const char *users[50];
    long before[50];
    static struct child_result results[50];

    /* Fifty cold logins take about 30 times one alone (burst_timeout): when that is past the
     * module's largest timeout, the cores are too busy for this test to mean anything. Only
     * seen under an emulator with other builds on the cores; said, and counted as a skip. */
    burst_timeout();
    if (30 * cold_login_ms / 1000.0 > MODULE_TIMEOUT_MAX_S)
        unit_skip(false,
                  "one cold login alone took %.0f ms: fifty at once need about %.0f s, past the "
                  "module's largest timeout (%d s); the cores are too busy",
                  cold_login_ms, 30 * cold_login_ms / 1000.0, MODULE_TIMEOUT_MAX_S);
    for (size_t i = 0; i < 50; i++) {
        snprintf(names[i], sizeof(names[i]), "bench%zu", i + 1);
        users[i] = names[i];
        forget(names[i]);
        before[i] = sim_quota_count(&sim, names[i]);
    }
    write_burst_conf("warn = 0");
    sessions_at_once(users, 50, results);
    assert_burst_ok(results, 50, "42.0 GB of 700.0 GB");
    for (size_t i = 0; i < 50; i++)
        assert_int_equal(sim_quota_count(&sim, names[i]), before[i] + 1);
}

/* A user can start su with RLIMIT_FSIZE = 0 (prlimit --fsize=0). A login on a cold cache
 * then cannot write its answer: the process must survive (SIGXFSZ held back) with the
 * API's answer, and leave no temporary file in the cache directory. */
static void test_fsize_zero_login_survives_and_leaves_no_file(void **state)
{
    const char *child = getenv("SCNET_SESSION_CHILD"), *confdir = getenv("SCNET_SERVICE_DIR");
    char out[2000] = "";
    int fds[2], status;
    ssize_t n;
    size_t used = 0;
    pid_t pid;
    DIR *d;
    struct dirent *e;

    assert_non_null(child);
    assert_non_null(confdir);
    forget("near");
    write_https_conf(&sim, "timeout = 3");
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl;

        /* A pipe, not a file: the child's own output must not hit the limit. */
        dup2(fds[1], 1);
        setenv("LD_PRELOAD", getenv("SCNET_NSS_WRAPPER"), 1);
        unsetenv("PAM_WRAPPER");
        getrlimit(RLIMIT_FSIZE, &rl);
        rl.rlim_cur = 0;
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(126);
        execl(child, child, confdir, "scnet", "near", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    while ((n = read(fds[0], out + used, sizeof(out) - 1 - used)) > 0)
        used += (size_t)n;
    out[used] = '\0';
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("the login process was killed by signal %d", WTERMSIG(status));
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (!strstr(out, "rc=0 ") || !strstr(out, "nearly full"))
        fail_msg("unexpected login result: %s", out);
    d = opendir(cache_dir);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strstr(e->d_name, ".tmp-"))
            fail_msg("temporary file left: %s", e->d_name);
        assert_string_not_equal(e->d_name, "near.cache");
    }
    closedir(d);
}

static void test_broken_cache_dir_does_not_cost_the_login(void **state)
{
    struct pam_run run;
    char dir[800], extra[900];

    snprintf(dir, sizeof(dir), "%s/open-cache", sim.run_dir);
    mkdir(dir, 0777);
    chmod(dir, 0777);
    snprintf(extra, sizeof(extra), "cache_dir = %s", dir);
    login("near", extra, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_non_null(strstr(joined_info(&run), "93.0%"));
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_login_is_answered_from_the_cache),
        cmocka_unit_test(test_cache_files_are_private),
        cmocka_unit_test(test_corrupt_cache_file_is_replaced),
        cmocka_unit_test(test_cached_refusal_is_rechecked),
        cmocka_unit_test(test_stale_answer_when_api_is_down),
        cmocka_unit_test(test_burst_of_one_user_makes_one_request),
        cmocka_unit_test(test_lock_holder_not_yet_stamped_is_waited_for),
        cmocka_unit_test(test_burst_of_fifty_users_makes_fifty_requests),
        cmocka_unit_test(test_broken_cache_dir_does_not_cost_the_login),
        cmocka_unit_test(test_fsize_zero_login_survives_and_leaves_no_file),
    };
    return unit_exit_code(cmocka_run_group_tests(tests, setup, NULL));
}
