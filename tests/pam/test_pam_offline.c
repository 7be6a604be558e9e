/* Offline mode through the real module: after the API failed for a reason about the service,
 * logins within offline_retry do not touch the network (counted at the simulator) and are
 * fast; one login per window probes; the node comes back online when the API answers. */
#include "pam_test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "offline.h"

#define RETRY_S 2
/* The times here (the window, the timeout, the API's delay) are multiplied by the test time
 * factor (slower under an emulator), set in setup. */
static int factor = 1;
#define STALE_TWO_HOURS "(Figures from 2 hours ago: the quota service could not be reached.)"
#define UNCHECKED "Login refused: your storage quota could not be checked. Please try again later."

static struct sim_info sim;
static char cache_dir[600], conf_extra[256];

static int setup(void **state)
{
    sim_info_load(&sim);
    snprintf(cache_dir, sizeof(cache_dir), "%s/cache", sim.run_dir);
    set_conf_prefix("cache_ttl = 300\nstale_ttl = 86400\n");
    /* The API answers after 1.5 s, the module waits 0.5 s: a timeout, the service's fault. */
    factor = unit_time_factor();
    snprintf(conf_extra, sizeof(conf_extra), "timeout = %.1f\noffline_retry = %d\n", 0.5 * factor,
             RETRY_S * factor);
    return 0;
}

static int teardown(void **state)
{
    sim_http(&sim, "POST", "/_sim/reset", "{}");
    return 0;
}

static void set_latency_ms(int ms)
{
    char path[64];

    snprintf(path, sizeof(path), "/_sim/latency?ms=%d", ms);
    sim_http(&sim, "POST", path, "{}");
}

static void forget(const char *user)
{
    char path[1000];
    snprintf(path, sizeof(path), "%s/%.100s.cache", cache_dir, user);
    unlink(path);
}

static void read_state(struct offline_state *state)
{
    char err[256] = "";
    int dirfd = cache_dir_open(cache_dir, geteuid(), err, sizeof(err));

    if (dirfd < 0)
        fail_msg("cache dir: %s", err);
    offline_state_read(dirfd, geteuid(), NULL, state, err, sizeof(err));
    assert_string_equal(err, "");
    close(dirfd);
}

static void clear_state(void)
{
    char err[256] = "";
    int dirfd = cache_dir_open(cache_dir, geteuid(), err, sizeof(err));

    assert_true(dirfd >= 0);
    assert_true(offline_state_clear(dirfd, err, sizeof(err)));
    close(dirfd);
}

static void login(const char *user, const char *more, struct pam_run *run)
{
    char extra[1200];

    snprintf(extra, sizeof(extra), "%s%s", conf_extra, more);
    write_https_conf(&sim, extra);
    run_pam("scnet", user, PAMTEST_OPEN_SESSION, 0, run);
}

/* login, with the module's log lines (pam_wrapper sends them to stderr) kept in log. */
static void login_logged(const char *user, const char *more, struct pam_run *run, char *log,
                         size_t loglen)
{
    FILE *capture = tmpfile();
    int saved = dup(2);
    size_t n;

    assert_non_null(capture);
    assert_true(saved >= 0);
    fflush(stderr);
    dup2(fileno(capture), 2);
    login(user, more, run);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(capture);
    n = fread(log, 1, loglen - 1, capture);
    log[n] = '\0';
    fclose(capture);
}

static long api_requests(void)
{
    return sim_stat(&sim, "quota_requests");
}

static long api_connections(void)
{
    return sim_stat(&sim, "https");
}

/* Wait until the window of the recorded state is over (a second more for the clock tick). */
static void wait_out_window(void)
{
    struct offline_state st;

    read_state(&st);
    assert_true(st.offline);
    while (time(NULL) < st.checked_at + RETRY_S * factor + 1)
        usleep(100 * 1000);
}

static void test_logins_in_the_window_do_not_touch_the_network(void **state)
{
    struct offline_state st;
    struct pam_run run;
    double first_ms;
    long requests, connections;

    clear_state();
    sim_http(&sim, "POST", "/_sim/reset", "{}");
    set_latency_ms(1500 * factor);
    plant_answer(&sim, "offa", 651.0, 7200);
    forget("offb");

    /* The first login pays the timeout once, answers from the old entry, records the state. */
    login("offa", "", &run);
    first_ms = run.ms;
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_non_null(strstr(joined_info(&run), STALE_TWO_HOURS));
    assert_true(first_ms >= 450 * factor && first_ms < 1500 * factor);
    assert_int_equal(api_requests(), 1);
    read_state(&st);
    assert_true(st.offline);
    assert_true(st.since == st.checked_at && st.checked_at >= time(NULL) - 2);

    /* Within the window: no request, no connection, an answer at once. */
    requests = api_requests();
    connections = api_connections();
    for (int i = 0; i < 3; i++) {
        login("offa", "", &run);
        assert_int_equal(run.rc, PAM_SUCCESS);
        assert_non_null(strstr(joined_info(&run), "/public/home/offa  651.0 GB of 700.0 GB"));
        assert_non_null(strstr(joined_info(&run), STALE_TWO_HOURS));
        if (run.ms > first_ms / 3)
            fail_msg("login %d in the window took %.1f ms (first: %.1f ms)", i, run.ms, first_ms);
    }
    /* Nothing cached: fail decides, at once. */
    login("offb", "fail = open", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_info(&run), "");
    assert_true(run.ms < first_ms / 3);
    login("offb", "fail = closed", &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_string_equal(joined_err(&run), UNCHECKED);
    assert_true(run.ms < first_ms / 3);
    assert_int_equal(api_requests(), requests);
    assert_int_equal(api_connections(), connections);
}

static void test_one_probe_per_window(void **state)
{
    const char *users[6] = {"probe1", "probe2", "probe3", "probe4", "probe5", "probe6"};
    static struct child_result results[6];
    struct offline_state before, after;
    long requests;
    int waited = 0;
    char extra[512];

    for (size_t i = 0; i < 6; i++)
        forget(users[i]);
    wait_out_window();
    read_state(&before);
    requests = api_requests();
    snprintf(extra, sizeof(extra), "%sfail = open\n", conf_extra);
    write_https_conf(&sim, extra);
    sessions_at_once(users, 6, results);
    /* One of them asked (and waited for its timeout); the others did not wait for it. */
    assert_int_equal(api_requests(), requests + 1);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(results[i].status, PAM_SUCCESS);
        if (results[i].ms >= 450 * factor)
            waited++;
    }
    assert_int_equal(waited, 1);
    /* The probe failed: a new window, the outage still dated from its start. */
    read_state(&after);
    assert_true(after.offline);
    assert_true(after.checked_at > before.checked_at);
    assert_true(after.since == before.since);
}

static void test_recovery_when_the_api_is_back(void **state)
{
    struct offline_state st;
    struct pam_run run;
    long requests;

    sim_http(&sim, "POST", "/_sim/latency?ms=0", "{}");
    forget("offc");
    wait_out_window();
    requests = api_requests();
    login("offa", "", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_null(strstr(joined_info(&run), STALE_TWO_HOURS));
    assert_int_equal(api_requests(), requests + 1);
    read_state(&st);
    assert_false(st.offline);
    /* Online again: a user without an answer goes to the API at once. */
    login("offc", "", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_int_equal(api_requests(), requests + 2);
}

static void test_offline_retry_zero_always_asks(void **state)
{
    struct offline_state st;
    struct pam_run run;
    long requests;
    char conf[64];

    snprintf(conf, sizeof(conf), "timeout = %.1f\noffline_retry = 0\n", 0.5 * factor);
    clear_state();
    set_latency_ms(1500 * factor);
    plant_answer(&sim, "offa", 651.0, 7200);
    requests = api_requests();
    for (int i = 0; i < 2; i++) {
        write_https_conf(&sim, conf);
        run_pam("scnet", "offa", PAMTEST_OPEN_SESSION, 0, &run);
        assert_int_equal(run.rc, PAM_SUCCESS);
        assert_non_null(strstr(joined_info(&run), STALE_TWO_HOURS));
    }
    assert_int_equal(api_requests(), requests + 2);
    read_state(&st);
    assert_false(st.offline);
    sim_http(&sim, "POST", "/_sim/reset", "{}");
}

/* One user's HTTP answer, 500 or 503, is about that user: the next user (over quota,
 * deny = 100) is asked and refused, not let in through an offline window. */
static void test_a_users_5xx_does_not_make_the_node_offline(void **state)
{
    struct offline_state st;
    struct pam_run run;
    long over;

    clear_state();
    sim_http(&sim, "POST", "/_sim/reset", "{}");
    forget("over");
    login("http500", "deny = 100", &run);
    assert_int_equal(run.rc, PAM_SUCCESS); /* fail = open */
    read_state(&st);
    assert_false(st.offline);
    over = sim_quota_count(&sim, "over");
    login("over", "deny = 100", &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_int_equal(sim_quota_count(&sim, "over"), over + 1);

    /* A 503 for one user (the simulator's "down" for offb) neither. */
    forget("over");
    sim_http(&sim, "POST", "/_sim/set", "{\"user\":\"offb\",\"down\":true}");
    login("offb", "deny = 100", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    read_state(&st);
    assert_false(st.offline);
    login("over", "deny = 100", &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_int_equal(sim_quota_count(&sim, "over"), over + 2);
    sim_http(&sim, "POST", "/_sim/reset", "{}");
}

/* The state belongs to the endpoint and says why: a wrong url, then the right one, is asked
 * at once; a wrong CA bundle, then the same file fixed in place, too. */
static void test_a_fixed_endpoint_is_asked_at_once(void **state)
{
    struct offline_state st;
    struct pam_run run;
    char log[16384], extra[800], wrong_ca[700], cmd[4000];
    long offc;

    clear_state();
    sim_http(&sim, "POST", "/_sim/reset", "{}");
    forget("offc");
    /* Nothing listens on port 1: the service as a whole is unreachable. */
    snprintf(extra, sizeof(extra), "url = https://127.0.0.1:1\n");
    login_logged("offc", extra, &run, log, sizeof(log));
    read_state(&st);
    assert_true(st.offline);
    assert_non_null(strstr(st.cause, "cannot connect: "));
    /* fail = closed: the decision line is an error, which pam_wrapper shows. */
    snprintf(extra, sizeof(extra), "url = https://127.0.0.1:1\nfail = closed\n");
    login_logged("offc", extra, &run, log, sizeof(log));
    if (!strstr(log, "reason=\"API offline since ") || !strstr(log, ": cannot connect: "))
        fail_msg("no cause in the offline log line: %s", log);
    offc = sim_quota_count(&sim, "offc");
    login("offc", "", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_int_equal(sim_quota_count(&sim, "offc"), offc + 1);
    read_state(&st);
    assert_false(st.offline);

    /* A CA that did not sign the simulator's certificate: a TLS failure, with its cause. */
    snprintf(wrong_ca, sizeof(wrong_ca), "%s/wrong-ca.pem", sim.run_dir);
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "
             "/dev/null -out '%s' -days 2 -subj /CN=wrong >/dev/null 2>&1 && chmod 0644 '%s'",
             wrong_ca, wrong_ca);
    assert_int_equal(system(cmd), 0);
    snprintf(extra, sizeof(extra), "cafile = %s\n", wrong_ca);
    forget("offc");
    login_logged("offc", extra, &run, log, sizeof(log));
    read_state(&st);
    assert_true(st.offline);
    assert_non_null(strstr(st.cause, "TLS failure: "));
    snprintf(extra, sizeof(extra), "cafile = %s\nfail = closed\n", wrong_ca);
    login_logged("offc", extra, &run, log, sizeof(log));
    if (!strstr(log, ": TLS failure: "))
        fail_msg("no TLS cause in the offline log line: %s", log);
    /* The same path, the right content: a new endpoint, asked at once. */
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s.new' && mv '%s.new' '%s'", sim.ca, wrong_ca, wrong_ca,
             wrong_ca);
    assert_int_equal(system(cmd), 0);
    offc = sim_quota_count(&sim, "offc");
    login("offc", extra, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_int_equal(sim_quota_count(&sim, "offc"), offc + 1);
    read_state(&st);
    assert_false(st.offline);
    unlink(wrong_ca);
}

/* A prober stopped while it holds the probe lock (here: the lock held and stamped by this
 * test, as a prober does) keeps the node offline for its lease (timeout) at most: after the
 * window plus timeout the next login probes. */
static void test_a_stopped_prober_is_outlived(void **state)
{
    struct pam_run run;
    char path[1000];
    long requests;
    int held;

    clear_state();
    sim_http(&sim, "POST", "/_sim/reset", "{}");
    set_latency_ms(1500 * factor);
    forget("offb");
    login("offb", "", &run); /* the timeout: offline */
    wait_out_window();
    snprintf(path, sizeof(path), "%s/offline%%3Aprobe.lock", cache_dir);
    held = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    assert_true(held >= 0);
    assert_int_equal(flock(held, LOCK_EX | LOCK_NB), 0);
    assert_int_equal(futimens(held, NULL), 0);
    set_latency_ms(0);
    requests = api_requests();
    /* Within the holder's lease: it is probing, this login does not. */
    login("offb", "", &run);
    assert_int_equal(api_requests(), requests);
    /* The lease (the timeout: 0.5 s times the factor) is over: this login probes, and the
     * node is online. */
    usleep(700 * 1000 * factor);
    login("offb", "", &run);
    assert_int_equal(api_requests(), requests + 1);
    {
        struct offline_state st;
        read_state(&st);
        assert_false(st.offline);
    }
    close(held);
}

/* offline_retry works without cache_ttl and stale_ttl: the window holds all the same. */
static void test_offline_without_a_cache(void **state)
{
    struct offline_state st;
    struct pam_run run;
    long requests;

    clear_state();
    sim_http(&sim, "POST", "/_sim/reset", "{}");
    set_latency_ms(1500 * factor);
    set_conf_prefix("cache_ttl = 0\nstale_ttl = 0\n");
    login("offb", "", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    read_state(&st);
    assert_true(st.offline);
    requests = api_requests();
    login("offb", "", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_int_equal(api_requests(), requests);
    set_conf_prefix("cache_ttl = 300\nstale_ttl = 86400\n");
    sim_http(&sim, "POST", "/_sim/reset", "{}");
    clear_state();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logins_in_the_window_do_not_touch_the_network),
        cmocka_unit_test(test_one_probe_per_window),
        cmocka_unit_test(test_recovery_when_the_api_is_back),
        cmocka_unit_test(test_offline_retry_zero_always_asks),
        cmocka_unit_test(test_a_users_5xx_does_not_make_the_node_offline),
        cmocka_unit_test(test_a_fixed_endpoint_is_asked_at_once),
        cmocka_unit_test(test_a_stopped_prober_is_outlived),
        cmocka_unit_test(test_offline_without_a_cache),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
