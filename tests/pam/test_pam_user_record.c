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
#include <unistd.h>

#define NEAR_UID 2002
#define OVER_UID 2003
#define MULTI_UID 2005
#define NOLIMIT_UID 2006
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

/* scnet-quota run as uid (an ordinary user), stdout and stderr together. */
static void tool_as(unsigned uid, const char *args, struct tool_run *run)
{
    char cmd[2000];
    size_t len;
    FILE *p;

    snprintf(cmd, sizeof(cmd),
             "setpriv --reuid=%u --regid=%d --clear-groups '%s' --records '%s' %s 2>&1", uid,
             USERS_GID, getenv("SCNET_QUOTA_TOOL"), record_dir, args);
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
                                     "\"threshold\":700,\"percent\":93}]"));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_login_records_what_the_user_then_sees),
        cmocka_unit_test(test_other_users_record_is_closed),
        cmocka_unit_test(test_only_the_users_own_entries_are_recorded),
        cmocka_unit_test(test_cache_hit_does_not_rewrite_the_record),
        cmocka_unit_test(test_no_token_in_any_record),
        cmocka_unit_test(test_link_at_the_record_name_is_not_followed),
        cmocka_unit_test(test_no_record_yet),
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
