/* scnet-quota --refresh, --forget and --forget-all, run as the admin (or the systemd timer)
 * runs them, against the simulator: what is renewed (counted at the simulator), what is left
 * alone, what is pruned, and that a login holding a user's lock is never waited for. */
#include "pam_test_support.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "answer_text.h"
#include "cache.h"
#include "deadline.h"
#include "offline.h"

static struct sim_info sim;
static char dir[700];
static int dirfd_ = -1;

struct tool_run {
    int status; /* exit status */
    char out[4096];
    double ms;
};

static int setup(void **state)
{
    char err[256] = "";

    sim_info_load(&sim);
    assert_non_null(getenv("SCNET_QUOTA_TOOL"));
    /* A cache of its own: the other tests' users must not count here. */
    snprintf(dir, sizeof(dir), "%s/refresh-cache", sim.run_dir);
    dirfd_ = cache_dir_open(dir, geteuid(), err, sizeof(err));
    if (dirfd_ < 0)
        fail_msg("%s", err);
    return 0;
}

static int teardown(void **state)
{
    sim_http(&sim, "POST", "/_sim/reset", "{}");
    close(dirfd_);
    return 0;
}

/* Every file of the refresh cache removed. */
static void empty_cache(void)
{
    char cmd[900];

    snprintf(cmd, sizeof(cmd), "find '%s' -mindepth 1 -delete", dir);
    assert_int_equal(system(cmd), 0);
}

static void write_refresh_conf(const char *extra)
{
    char more[1200];

    snprintf(more, sizeof(more), "cache_dir = %s\ncache_ttl = 300\nstale_ttl = 86400\n%s", dir,
             extra);
    write_https_conf(&sim, more);
}

/* scnet-quota ARGS with the pam tests' config; stdout and stderr into run->out. */
static void tool(const char *args, struct tool_run *run)
{
    char cmd[2000];
    double start = now_ms();
    size_t len;
    FILE *p;

    snprintf(cmd, sizeof(cmd), "'%s' --conf '%s/scnet.conf' %s 2>&1", getenv("SCNET_QUOTA_TOOL"),
             sim.run_dir, args);
    p = popen(cmd, "r");
    assert_non_null(p);
    len = fread(run->out, 1, sizeof(run->out) - 1, p);
    run->out[len] = '\0';
    run->status = pclose(p);
    assert_true(WIFEXITED(run->status));
    run->status = WEXITSTATUS(run->status);
    run->ms = now_ms() - start;
}

/* The user was seen at login ago_s seconds ago (the lock file's mtime, as the module sets it). */
static void seen(const char *user, long ago_s)
{
    char err[256] = "", stem[128], name[160];
    struct timespec times[2] = {{.tv_sec = time(NULL) - ago_s}, {.tv_sec = time(NULL) - ago_s}};

    assert_true(cache_mark_seen(dirfd_, user, geteuid(), 0, err, sizeof(err)));
    cache_file_name(user, stem, sizeof(stem));
    snprintf(name, sizeof(name), "%s.lock", stem);
    assert_int_equal(utimensat(dirfd_, name, times, 0), 0);
}

static int64_t fetched_at(const char *user)
{
    struct cache_entry e;
    char err[256];
    int64_t t;

    if (!cache_read(dirfd_, user, geteuid(), &e, err, sizeof(err)))
        return -1;
    t = e.fetched_at;
    cache_entry_free(&e);
    return t;
}

static bool has_file(const char *user, const char *suffix)
{
    char stem[128], name[160];

    cache_file_name(user, stem, sizeof(stem));
    snprintf(name, sizeof(name), "%s%s", stem, suffix);
    return faccessat(dirfd_, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static void set_usage(const char *user, double usage)
{
    char body[256];

    snprintf(body, sizeof(body), "{\"user\":\"%s\",\"usage\":%.1f,\"threshold\":700}", user, usage);
    sim_http(&sim, "POST", "/_sim/set", body);
}

static void test_refresh_renews_due_users_and_leaves_the_rest(void **state)
{
    struct tool_run run;
    struct cache_entry e;
    char err[256];
    int64_t rf2_at, rf3_at, rf5_at;
    int held;

    empty_cache();
    sim_http(&sim, "POST", "/_sim/reset", "{}");
    /* timeout = 10: a refresh that waited for rf5's lock (held until it ends) would take
     * that long; one that does not wait takes a round trip, also on a loaded machine. */
    write_refresh_conf("refresh_window = 3600\nrefresh_rate = 0\ntimeout = 10\n");
    /* rf1: due (older than cache_ttl/2, seen recently). rf2: fresh enough. rf3: not seen
     * within refresh_window (kept: stale_ttl still covers it). rf4: gone longer than both
     * stale_ttl and refresh_window (pruned, with its lock file). rf5: due, but a login holds
     * its lock. And a leftover temporary file (pruned). */
    plant_answer_in(dir, "rf1", 651.0, 200);
    seen("rf1", 10);
    plant_answer_in(dir, "rf2", 651.0, 100);
    seen("rf2", 0);
    plant_answer_in(dir, "rf3", 651.0, 1000);
    seen("rf3", 7200);
    plant_answer_in(dir, "rf4", 651.0, 200000);
    seen("rf4", 200000);
    plant_answer_in(dir, "rf5", 651.0, 400);
    seen("rf5", 5);
    set_usage("rf1", 100.0);
    rf2_at = fetched_at("rf2");
    rf3_at = fetched_at("rf3");
    rf5_at = fetched_at("rf5");
    /* A temporary file left by a write that died two minutes ago. */
    {
        struct timespec old[2] = {{.tv_sec = time(NULL) - 120}, {.tv_sec = time(NULL) - 120}};
        int fd = openat(dirfd_, "rf9.tmp-1-00", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(futimens(fd, old), 0);
        close(fd);
    }
    held = cache_lock(dirfd_, "rf5", geteuid(), monotonic_ms() + 1000, err, sizeof(err));
    assert_true(held >= 0);

    tool("--refresh", &run);
    cache_unlock(held);
    if (run.status != 0 || !strstr(run.out, "refreshed 1, failed 0, skipped 1, pruned 2, took "))
        fail_msg("exit %d: %s", run.status, run.out);
    /* Not waited for: far less than the 10 s a wait would cost. */
    if (run.ms >= 5000 * unit_time_factor())
        fail_msg("--refresh took %ld ms with rf5's lock held: it waited for the lock",
                 (long)run.ms);
    assert_int_equal(sim_quota_count(&sim, "rf1"), 1);
    assert_int_equal(sim_quota_count(&sim, "rf2") + sim_quota_count(&sim, "rf3") +
                         sim_quota_count(&sim, "rf4") + sim_quota_count(&sim, "rf5"),
                     0);
    /* rf1 holds the API's new answer, fetched now. */
    assert_true(cache_read(dirfd_, "rf1", geteuid(), &e, err, sizeof(err)));
    assert_true(e.fetched_at >= time(NULL) - 5);
    {
        struct quota_reply reply;
        assert_int_equal(answer_text_get_quota(e.body, e.len, &reply, err, sizeof(err)), REPLY_OK);
        assert_int_equal(reply.count, 1);
        assert_true(reply.entries[0].usage == 100.0);
        quota_reply_free(&reply);
    }
    cache_entry_free(&e);
    assert_int_equal(fetched_at("rf2"), rf2_at);
    assert_int_equal(fetched_at("rf3"), rf3_at);
    assert_int_equal(fetched_at("rf5"), rf5_at);
    assert_false(has_file("rf4", ".cache"));
    assert_false(has_file("rf4", ".lock"));
    assert_true(has_file("rf3", ".lock"));
    assert_true(faccessat(dirfd_, "rf9.tmp-1-00", F_OK, AT_SYMLINK_NOFOLLOW) != 0);

    /* A second run finds nothing due but rf5. */
    tool("--refresh", &run);
    assert_int_equal(run.status, 0);
    assert_non_null(strstr(run.out, "refreshed 1, failed 0, skipped 0, pruned 0, took "));
    assert_int_equal(sim_quota_count(&sim, "rf5"), 1);
}

static void test_refresh_reuses_connections(void **state)
{
    struct tool_run run;
    long handshakes, connections, requests;
    char user[16];

    empty_cache();
    for (int i = 1; i <= 8; i++) {
        snprintf(user, sizeof(user), "rf%d", i);
        plant_answer_in(dir, user, 651.0, 400);
        seen(user, 5);
    }
    write_refresh_conf("refresh_rate = 0\n");
    handshakes = sim_stat(&sim, "tls_handshakes");
    connections = sim_stat(&sim, "https");
    requests = sim_stat(&sim, "quota_requests");
    tool("--refresh", &run);
    if (run.status != 0 || !strstr(run.out, "refreshed 8, failed 0"))
        fail_msg("exit %d: %s", run.status, run.out);
    /* 8 requests over HTTPS, over at most 4 kept-alive connections: one handshake each. */
    assert_int_equal(sim_stat(&sim, "quota_requests") - requests, 8);
    assert_in_range(sim_stat(&sim, "tls_handshakes") - handshakes, 1, 4);
    assert_in_range(sim_stat(&sim, "https") - connections, 1, 4);
}

static void test_refresh_respects_and_records_offline(void **state)
{
    struct offline_state st;
    struct tool_run run;
    char err[256];
    long before;

    empty_cache();
    sim_http(&sim, "POST", "/_sim/reset", "{}");
    plant_answer_in(dir, "rf1", 651.0, 400);
    seen("rf1", 5);
    plant_answer_in(dir, "rf2", 651.0, 400);
    seen("rf2", 5);
    /* The API is dead (nothing listens on port 1): every due user fails, exit 1, recorded. */
    write_refresh_conf("offline_retry = 60\n");
    {
        char conf[900], cmd[2000];
        snprintf(conf, sizeof(conf), "%s/scnet.conf", sim.run_dir);
        snprintf(cmd, sizeof(cmd), "sed -i 's|^url = .*|url = https://127.0.0.1:1|' '%s'", conf);
        assert_int_equal(system(cmd), 0);
    }
    tool("--refresh", &run);
    if (run.status != 1 || !strstr(run.out, "refreshed 0, failed ") ||
        !strstr(run.out, "API offline since "))
        fail_msg("exit %d: %s", run.status, run.out);
    offline_state_read(dirfd_, geteuid(), NULL, &st, err, sizeof(err));
    assert_true(st.offline);
    assert_non_null(strstr(st.cause, "cannot connect: "));
    assert_non_null(strstr(run.out, ": cannot connect: "));
    /* Within the window, same endpoint: not even tried. */
    tool("--refresh", &run);
    if (run.status != 1 || !strstr(run.out, "refreshed 0, failed 0, skipped 2, pruned 0") ||
        !strstr(run.out, "(retry in "))
        fail_msg("exit %d: %s", run.status, run.out);
    /* The url fixed: another endpoint, asked at once, and the old state is gone. */
    write_refresh_conf("offline_retry = 60\n");
    before = sim_stat(&sim, "quota_requests");
    tool("--refresh", &run);
    if (run.status != 0 || !strstr(run.out, "refreshed 2, failed 0"))
        fail_msg("exit %d: %s", run.status, run.out);
    assert_int_equal(sim_stat(&sim, "quota_requests"), before + 2);
    offline_state_read(dirfd_, geteuid(), NULL, &st, err, sizeof(err));
    assert_false(st.offline);
}

static void test_forget_and_forget_all(void **state)
{
    struct offline_state st;
    struct tool_run run;
    char err[256];

    empty_cache();
    plant_answer_in(dir, "rf1", 651.0, 10);
    plant_answer_in(dir, "rf2", 651.0, 10);
    plant_answer_in(dir, "rf3", 651.0, 10);
    assert_true(cache_write(dirfd_, "token:hefei", "tok", 3, time(NULL), err, sizeof(err)));
    assert_true(offline_state_record(dirfd_,
                                     "0123456789abcdef0123456789abcdef0123456789abcdef"
                                     "0123456789abcdef",
                                     NULL, time(NULL), "TLS failure: test", err, sizeof(err)));
    write_refresh_conf("");

    tool("--verbose --forget rf1 rf6", &run);
    if (run.status != 0 || !strstr(run.out, "forgot 1 cached answer\n") ||
        !strstr(run.out, "forgot the cached answers of 2 users (1 held one)"))
        fail_msg("exit %d: %s", run.status, run.out);
    assert_int_equal(fetched_at("rf1"), -1);
    assert_true(fetched_at("rf2") > 0);

    tool("--verbose --forget-all", &run);
    if (run.status != 0 || !strstr(run.out, "forgot 2 cached answers\n") ||
        !strstr(run.out, "forgot every cached answer (2), the token kept") ||
        !strstr(run.out, "forgot the offline state (API offline since ") ||
        !strstr(run.out, ": TLS failure: test (retry in "))
        fail_msg("exit %d: %s", run.status, run.out);
    assert_int_equal(fetched_at("rf2"), -1);
    assert_int_equal(fetched_at("rf3"), -1);
    assert_true(fetched_at("token:hefei") > 0);
    /* --forget-all forgets the offline state too, and says so. */
    offline_state_read(dirfd_, geteuid(), NULL, &st, err, sizeof(err));
    assert_false(st.offline);
    assert_false(st.leftover);

    tool("--forget", &run);
    assert_int_equal(run.status, 2);
    tool("--forget-all rf1", &run);
    assert_int_equal(run.status, 2);
}

static void test_refresh_config_error_exits_2(void **state)
{
    struct tool_run run;

    write_refresh_conf("refresh_rate = fast\n");
    tool("--refresh", &run);
    assert_int_equal(run.status, 2);
    assert_non_null(strstr(run.out, "refresh_rate"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refresh_renews_due_users_and_leaves_the_rest),
        cmocka_unit_test(test_refresh_reuses_connections),
        cmocka_unit_test(test_refresh_respects_and_records_offline),
        cmocka_unit_test(test_forget_and_forget_all),
        cmocka_unit_test(test_refresh_config_error_exits_2),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
