/* The per-user record through the real module, read back by scnet-quota run as the user
 * (setpriv to the nss_wrapper uid): each user sees their own figures only (the file is
 * root's, readable by its user through a POSIX ACL), a cache hit does not rewrite it, no
 * token goes in, a link at its name is not followed. Root only (the tool is run as other
 * uids): 77, a skip, otherwise. */
#include "pam_test_support.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NEAR_UID 2002
#define OVER_UID 2003
#define MULTI_UID 2005
#define NOLIMIT_UID 2006
#define BIG_ENTRY_UID 2034 /* its passwd entry is about 20 KiB (tests/pam/CMakeLists.txt) */
#define USERS_GID 2000

static struct sim_info sim;
static char cache_dir[600], record_dir[620];

struct tool_run {
    int status;
    char out[4096];
};

static int setup(void **state)
{
    sim_info_load(&sim);
    snprintf(cache_dir, sizeof(cache_dir), "%s/cache", sim.run_dir);
    snprintf(record_dir, sizeof(record_dir), "%s-users", cache_dir);
    set_conf_prefix("cache_ttl = 300\nstale_ttl = 86400\n");
    /* The users reach the record folder through the run folder, root's 0700 otherwise. */
    assert_int_equal(chmod(sim.run_dir, 0711), 0);
    return 0;
}

static int teardown(void **state)
{
    chmod(sim.run_dir, 0700);
    return 0;
}

static void record_path(unsigned uid, char *path, size_t len)
{
    snprintf(path, len, "%s/%u", record_dir, uid);
}

/* A login that asks the API: the user's cached answer and record go first. */
static void fresh_login(const char *user, unsigned uid, const char *extra, struct pam_run *run)
{
    char path[1000];

    snprintf(path, sizeof(path), "%s/%s.cache", cache_dir, user);
    unlink(path);
    record_path(uid, path, sizeof(path));
    unlink(path);
    write_https_conf(&sim, extra);
    run_pam("scnet", user, PAMTEST_OPEN_SESSION, 0, run);
}

/* scnet-quota run as uid (an ordinary user), stdout and stderr together. Without the test
 * NSS module (for names the directory spells differently; the tool does not look them up):
 * in a cross build it is the target's, which the build host's setpriv cannot load. */
static void tool_as(unsigned uid, const char *args, struct tool_run *run)
{
    char cmd[2000];
    size_t len;
    FILE *p;

    snprintf(cmd, sizeof(cmd),
             "env -u NSS_WRAPPER_MODULE_SO_PATH -u NSS_WRAPPER_MODULE_FN_PREFIX "
             "setpriv --reuid=%u --regid=%d --clear-groups '%s' --records '%s' %s 2>&1",
             uid, USERS_GID, getenv("SCNET_QUOTA_TOOL"), record_dir, args);
    p = popen(cmd, "r");
    assert_non_null(p);
    len = fread(run->out, 1, sizeof(run->out) - 1, p);
    run->out[len] = '\0';
    run->status = pclose(p);
    assert_true(WIFEXITED(run->status));
    run->status = WEXITSTATUS(run->status);
}

static size_t read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    assert_true(fd >= 0);
    n = read(fd, buf, cap - 1);
    assert_true(n >= 0);
    buf[n] = '\0';
    close(fd);
    return (size_t)n;
}

static void test_login_records_what_the_user_then_sees(void **state)
{
    struct pam_run run;
    struct tool_run tool;
    struct stat st;
    char path[1000];

    fresh_login("near", NEAR_UID, "", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_int_equal(stat(record_dir, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0711);
    assert_int_equal(st.st_uid, 0);
    record_path(NEAR_UID, path, sizeof(path));
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    /* Root's, readable by near through its ACL (the group bits are the ACL's mask). */
    assert_int_equal(st.st_mode & 07777, 0440);
    assert_int_equal(st.st_uid, 0);
    assert_int_equal(st.st_gid, 0);

    tool_as(NEAR_UID, "", &tool);
    assert_int_equal(tool.status, 0);
    assert_non_null(strstr(tool.out, "Storage quota of near (figures from "));
    assert_non_null(strstr(tool.out, " ago):\n" /* "1 second" or "N seconds" */
                                     "  /public/home/near  651.0 GB of 700.0 GB  93.0%  "
                                     "[##################--]\n"
                                     "Your next login: a warning (the warning line is 90%).\n"));
    tool_as(NEAR_UID, "--json", &tool);
    assert_int_equal(tool.status, 0);
    assert_non_null(strstr(tool.out, "\"user\":\"near\""));
    assert_non_null(strstr(tool.out, "\"next_login\":\"warning\""));
    assert_non_null(strstr(tool.out, "\"entries\":[{\"path\":\"/public/home/near\",\"usage\":651,"
                                     "\"threshold\":700,\"percent\":93,\"full_in_days\":null}]"));
    /* Their own name is fine; another's is root's to ask. */
    tool_as(NEAR_UID, "near", &tool);
    assert_int_equal(tool.status, 0);
    assert_non_null(strstr(tool.out, "651.0 GB of 700.0 GB"));
    tool_as(NEAR_UID, "over", &tool);
    assert_int_equal(tool.status, 2);
    assert_non_null(strstr(tool.out, "scnet-quota: only root can check users"));
    assert_null(strstr(tool.out, "735"));
}

static void test_other_users_record_is_closed(void **state)
{
    struct pam_run run;
    struct tool_run tool;
    char path[1000], cmd[1200], out[512];
    size_t len;
    FILE *p;
    int status;

    fresh_login("near", NEAR_UID, "deny = 100", &run);
    fresh_login("over", OVER_UID, "deny = 100", &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    /* over, a real uid other than near's, cannot open near's record: a program run as over
     * (not a forked copy of this one, whose exit valgrind's leak check would turn into 1). */
    record_path(NEAR_UID, path, sizeof(path));
    snprintf(cmd, sizeof(cmd), "setpriv --reuid=%u --regid=%d --clear-groups cat '%s' 2>&1",
             OVER_UID, USERS_GID, path);
    p = popen(cmd, "r");
    assert_non_null(p);
    len = fread(out, 1, sizeof(out) - 1, p);
    out[len] = '\0';
    status = pclose(p);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
    if (!strstr(out, "Permission denied"))
        fail_msg("cat of near's record as over: %s", out);
    /* And scnet-quota as over shows over's figures, and its refusal status. */
    tool_as(OVER_UID, "", &tool);
    assert_int_equal(tool.status, 1);
    assert_non_null(strstr(tool.out, "Storage quota of over "));
    assert_non_null(strstr(tool.out, "  /public/home/over  735.0 GB of 700.0 GB  105.0%  "
                                     "[####################]\n"
                                     "Your next login: refused (over the line of 100%)"));
    assert_null(strstr(tool.out, "near"));
}

static void test_only_the_users_own_entries_are_recorded(void **state)
{
    struct pam_run run;
    char path[1000], text[4096];

    fresh_login("multi", MULTI_UID, "", &run);
    record_path(MULTI_UID, path, sizeof(path));
    read_file(path, text, sizeof(text));
    assert_non_null(strstr(text, "entry 120500 700000 /public/home/multi\n"));
    assert_non_null(strstr(text, "entry 950000 1000000 /work/multi\n"));
    assert_non_null(strstr(text, "entry 12000 - /scratch/multi\n"));
    assert_null(strstr(text, "someoneelse"));
}

/* An account whose passwd entry outgrows the lookups' first buffer (a long GECOS field, as a
 * directory may hold) gets its record and reads it like any other: the record is named by the
 * uid the skip rules looked up, and scnet-quota finds the caller's name with a buffer that
 * grows. */
static void test_account_with_a_large_entry_is_recorded(void **state)
{
    struct pam_run run;
    struct tool_run tool;
    struct stat st;
    char path[1000];

    fresh_login("bigentry", BIG_ENTRY_UID, "", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    record_path(BIG_ENTRY_UID, path, sizeof(path));
    if (lstat(path, &st) != 0)
        fail_msg("no record for bigentry at %s: %s", path, strerror(errno));
    assert_true(S_ISREG(st.st_mode));
    tool_as(BIG_ENTRY_UID, "", &tool);
    assert_int_equal(tool.status, 0);
    assert_non_null(strstr(tool.out, "Storage quota of bigentry (figures from "));
    assert_non_null(strstr(tool.out, "  /public/home/bigentry  42.0 GB of 700.0 GB  6.0%"));
    /* Their own name, looked up to be theirs. */
    tool_as(BIG_ENTRY_UID, "bigentry", &tool);
    assert_int_equal(tool.status, 0);
    assert_non_null(strstr(tool.out, "42.0 GB of 700.0 GB"));
}

static void test_cache_hit_does_not_rewrite_the_record(void **state)
{
    struct pam_run run;
    struct stat before, after;
    char path[1000];

    fresh_login("near", NEAR_UID, "", &run);
    record_path(NEAR_UID, path, sizeof(path));
    assert_int_equal(stat(path, &before), 0);
    usleep(20000);
    run_pam("scnet", "near", PAMTEST_OPEN_SESSION, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_non_null(strstr(joined_info(&run), "93.0%"));
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    assert_int_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
    assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
}

static void test_no_token_in_any_record(void **state)
{
    struct pam_run run;
    char token[4096], text[4096], path[1000];
    const unsigned uids[] = {NEAR_UID, OVER_UID, MULTI_UID};

    read_file(sim.token_file, token, sizeof(token));
    token[strcspn(token, "\n")] = '\0';
    assert_true(strlen(token) > 8);
    fresh_login("near", NEAR_UID, "", &run);
    fresh_login("over", OVER_UID, "", &run);
    fresh_login("multi", MULTI_UID, "", &run);
    for (size_t i = 0; i < sizeof(uids) / sizeof(uids[0]); i++) {
        record_path(uids[i], path, sizeof(path));
        read_file(path, text, sizeof(text));
        assert_non_null(strstr(text, "scnet-user-record 1\n"));
        assert_null(strstr(text, token));
    }
}

static void test_link_at_the_record_name_is_not_followed(void **state)
{
    struct pam_run run;
    struct stat st;
    char path[1000], target[1000], text[64];
    FILE *f;

    snprintf(target, sizeof(target), "%s/record-link-target", sim.run_dir);
    f = fopen(target, "w");
    assert_non_null(f);
    fputs("untouched\n", f);
    fclose(f);
    fresh_login("low", 2001, "", &run); /* the folder exists */
    snprintf(path, sizeof(path), "%s/low.cache", cache_dir);
    unlink(path);
    record_path(2001, path, sizeof(path));
    unlink(path);
    assert_int_equal(symlink(target, path), 0);
    run_pam("scnet", "low", PAMTEST_OPEN_SESSION, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    read_file(target, text, sizeof(text));
    assert_string_equal(text, "untouched\n");
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_uid, 0);
    unlink(target);
}

static void test_no_record_yet(void **state)
{
    struct tool_run tool;
    char path[1000];

    record_path(NOLIMIT_UID, path, sizeof(path));
    unlink(path);
    tool_as(NOLIMIT_UID, "", &tool);
    assert_int_equal(tool.status, 0);
    assert_string_equal(tool.out, "no figures yet: they are recorded at your next login\n");
}

/* Leave uid's record as logins on earlier days would have: daily[0] was the figure n days
 * ago, ..., daily[n - 1] one day ago (the record's own answer, the others its history), for
 * the one path of the simulator's answer; and drop the cached answer, so that the next
 * login asks the API and adds today's figure. */
static void plant_days(const char *user, unsigned uid, const char *server_path, const double *daily,
                       size_t n)
{
    char path[1000];
    long long now = (long long)time(NULL);
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s.cache", cache_dir, user);
    unlink(path);
    mkdir(record_dir, 0711);
    record_path(uid, path, sizeof(path));
    unlink(path);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "scnet-user-record 1\nuser %s\nfetched_at %lld\nnext nothing\nwarn 90000\n"
            "deny -1\nentry %lld 700000 %s\n",
            user, now - 86400, (long long)(daily[n - 1] * 1000), server_path);
    for (size_t i = 0; i + 1 < n; i++)
        fprintf(f, "history %lld %lld\n", now - (long long)(n - i) * 86400,
                (long long)(daily[i] * 1000));
    assert_int_equal(fclose(f), 0);
}

/* After a test that planted records: the other tests (and the other test programs sharing
 * the simulator's run folder) find near's and low's as a first login leaves them. */
static int forget_planted(void **state)
{
    const char *users[] = {"near", "low"};
    const unsigned uids[] = {NEAR_UID, 2001};
    char path[1000];

    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s.cache", cache_dir, users[i]);
        unlink(path);
        record_path(uids[i], path, sizeof(path));
        unlink(path);
    }
    return 0;
}

#define NEAR_TREND_LINE "At the recent rate /public/home/near is full in about 5 days."
#define ADVICE                                                                                     \
    "Delete or move files you no longer need: jobs fail with \"Disk quota exceeded\" once a "      \
    "quota is full."

/* A week of growth (10 GB a day up to today's 651 of 700): the warning says when the path is
 * full, at the login that asks the API and at the cache hit after it; the user's own
 * scnet-quota says it too, and --json gives full_in_days; in Chinese with lang = zh. */
static void test_a_week_of_growth_shows_the_trend(void **state)
{
    const double week[] = {591, 601, 611, 621, 631, 641};
    struct pam_run run;
    struct tool_run tool;
    const char *want =
        "WARNING: your storage quota is nearly full.\n"
        "  /public/home/near  651.0 GB of 700.0 GB  93.0%  [##################--]\n" NEAR_TREND_LINE
        "\n" ADVICE HINT;

    plant_days("near", NEAR_UID, "/public/home/near", week, 6);
    write_https_conf(&sim, "");
    run_pam("scnet", "near", PAMTEST_OPEN_SESSION, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_info(&run), want);
    run_pam("scnet", "near", PAMTEST_OPEN_SESSION, 0, &run); /* from the cache */
    assert_string_equal(joined_info(&run), want);
    tool_as(NEAR_UID, "", &tool);
    assert_int_equal(tool.status, 0);
    assert_non_null(strstr(tool.out, "[##################--]\n" NEAR_TREND_LINE "\n"
                                     "Your next login: a warning"));
    tool_as(NEAR_UID, "--json", &tool);
    assert_non_null(strstr(tool.out, "\"percent\":93,\"full_in_days\":5}"));

    plant_days("near", NEAR_UID, "/public/home/near", week, 6);
    write_https_conf(&sim, "lang = zh");
    run_pam("scnet", "near", PAMTEST_OPEN_SESSION, 0, &run);
    assert_non_null(strstr(joined_info(&run),
                           "[##################--]\n"
                           "按近期的增长速度，/public/home/near 约 5 天后用满。\n"
                           "请删除或移走"));
    tool_as(NEAR_UID, "--lang zh", &tool);
    assert_non_null(strstr(tool.out, "按近期的增长速度，/public/home/near 约 5 天后用满。\n"));
}

/* A shrinking or flat history, or none: no trend line; a day of history is enough. */
static void test_shrinking_flat_or_short_history_shows_none(void **state)
{
    const double shrinking[] = {701, 691, 681, 671, 661, 655};
    const double flat[] = {651, 651, 651, 651, 651, 651};
    const double *cases[] = {shrinking, flat};
    struct pam_run run;
    struct tool_run tool;

    write_https_conf(&sim, "");
    for (size_t i = 0; i < 2; i++) {
        plant_days("near", NEAR_UID, "/public/home/near", cases[i], 6);
        run_pam("scnet", "near", PAMTEST_OPEN_SESSION, 0, &run);
        assert_non_null(strstr(joined_info(&run), "93.0%"));
        assert_null(strstr(joined_info(&run), "At the recent rate"));
        tool_as(NEAR_UID, "--json", &tool);
        assert_non_null(strstr(tool.out, "\"full_in_days\":null"));
    }
    /* The record's own answer a day old, and today's: a day of history is enough. */
    plant_days("near", NEAR_UID, "/public/home/near", (const double[]){641}, 1);
    run_pam("scnet", "near", PAMTEST_OPEN_SESSION, 0, &run);
    assert_non_null(strstr(joined_info(&run), NEAR_TREND_LINE));
    /* No earlier answer at all (the first login): nothing. */
    fresh_login("near", NEAR_UID, "", &run);
    assert_non_null(strstr(joined_info(&run), "93.0%"));
    assert_null(strstr(joined_info(&run), "At the recent rate"));
}

/* warn_days: low (100 of 700, 14%, far below warn = 90) grew 50 GB a day: full in about 12
 * days. Within warn_days = 14 the login shows the warning ("filling up") with the trend and
 * is let in, deny = 100 set and the prediction past 100%: a trend never refuses. With
 * warn_days = 7, or 0 (off), nothing is shown. */
static void test_warn_days_warns_early_and_never_refuses(void **state)
{
    const double growth[] = {0, 50};
    struct pam_run run;
    struct tool_run tool;

    plant_days("low", 2001, "/public/home/low", growth, 2);
    write_https_conf(&sim, "deny = 100\nwarn_days = 14");
    run_pam("scnet", "low", PAMTEST_OPEN_SESSION, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_err(&run), "");
    assert_string_equal(joined_info(&run),
                        "WARNING: your storage quota is filling up.\n"
                        "  /public/home/low  100.0 GB of 700.0 GB  14.3%  [##------------------]\n"
                        "At the recent rate /public/home/low is full in about 12 days.\n" ADVICE
                        "\nLogins are refused at 100.0%." HINT);
    tool_as(2001, "", &tool);
    assert_int_equal(tool.status, 0);
    assert_non_null(strstr(tool.out, "At the recent rate /public/home/low is full in about 12 "
                                     "days.\nYour next login: a warning"));
    /* The cache hit decides the same from the record. */
    run_pam("scnet", "low", PAMTEST_OPEN_SESSION, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_non_null(strstr(joined_info(&run), "filling up"));

    plant_days("low", 2001, "/public/home/low", growth, 2);
    write_https_conf(&sim, "deny = 100\nwarn_days = 7");
    run_pam("scnet", "low", PAMTEST_OPEN_SESSION, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_info(&run), "");
    plant_days("low", 2001, "/public/home/low", growth, 2);
    write_https_conf(&sim, "deny = 100");
    run_pam("scnet", "low", PAMTEST_OPEN_SESSION, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_info(&run), "");
    tool_as(2001, "", &tool);
    assert_non_null(strstr(tool.out, "full in about 12 days.\nYour next login: nothing shown"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_login_records_what_the_user_then_sees),
        cmocka_unit_test(test_other_users_record_is_closed),
        cmocka_unit_test(test_only_the_users_own_entries_are_recorded),
        cmocka_unit_test(test_account_with_a_large_entry_is_recorded),
        cmocka_unit_test(test_cache_hit_does_not_rewrite_the_record),
        cmocka_unit_test(test_no_token_in_any_record),
        cmocka_unit_test(test_link_at_the_record_name_is_not_followed),
        cmocka_unit_test(test_no_record_yet),
        cmocka_unit_test_teardown(test_a_week_of_growth_shows_the_trend, forget_planted),
        cmocka_unit_test_teardown(test_shrinking_flat_or_short_history_shows_none, forget_planted),
        cmocka_unit_test_teardown(test_warn_days_warns_early_and_never_refuses, forget_planted),
    };

    if (geteuid() != 0) {
        printf("SKIP: needs root (records are given to their users; the tool runs as them)\n");
        return 77;
    }
    if (system("command -v setpriv >/dev/null") != 0) {
        printf("SKIP: needs setpriv (util-linux)\n");
        return 77;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
