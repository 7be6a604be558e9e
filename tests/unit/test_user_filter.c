/* Unit tests for common/user_filter.c.
 *
 * Most cases use accounts every Debian system has (root uid 0, daemon uid 1 in group daemon,
 * nobody uid 65534 in group nogroup). Entries too large for a small NSS buffer cannot be
 * added to the real databases, so those cases run in a child process under nss_wrapper
 * (Debian libnss-wrapper, SCNET_NSS_WRAPPER from ctest) with fake passwd and group files; they
 * are skipped without it. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "user_filter.h"
#include "unit_support.h"

#define NSS_CHILD_ARG "--nss-wrapper-child"

static char self_path[PATH_MAX]; /* this program, to run it again under nss_wrapper */

static int setup(void **state)
{
    struct scnet_config *cfg = calloc(1, sizeof(*cfg));
    if (!cfg)
        return -1;
    config_defaults(cfg);
    *state = cfg;
    return 0;
}

static int teardown(void **state)
{
    config_free(*state);
    free(*state);
    return 0;
}

static void set_list(char **field, const char *value)
{
    free(*field);
    *field = value ? strdup(value) : NULL;
}

static void assert_reason(const struct scnet_config *cfg, const char *user, enum skip_reason want)
{
    enum skip_reason got = user_filter_check(cfg, user, NULL, 0, NULL, NULL, 0);
    if (got != want)
        fail_msg("user '%s': got %s, want %s", user, skip_reason_name(got), skip_reason_name(want));
}

static void test_root_is_skipped(void **state)
{
    struct scnet_config *cfg = *state;
    assert_reason(cfg, "root", SKIP_ROOT);
    assert_string_equal(skip_reason_name(user_filter_check(cfg, "root", NULL, 0, NULL, NULL, 0)),
                        "root");
}

/* The account's name and uid from the lookup come back for the caller to use; a buffer too
 * small for the name is a failed lookup (never a cut name), with the reason. */
static void test_canonical_name_returned(void **state)
{
    struct scnet_config *cfg = *state;
    char canonical[64] = "untouched", small[3] = "xx", err[128] = "";
    struct passwd *pw = getpwnam("nobody");
    uid_t uid = 12345;

    assert_int_equal(
        user_filter_check(cfg, "nobody", canonical, sizeof(canonical), &uid, err, sizeof(err)),
        SKIP_NONE);
    assert_string_equal(canonical, "nobody");
    assert_non_null(pw);
    assert_int_equal(uid, pw->pw_uid);
    assert_int_equal(user_filter_check(cfg, "nobody", small, sizeof(small), NULL, err, sizeof(err)),
                     SKIP_LOOKUP_FAILED);
    assert_string_equal(small, "");
    assert_string_equal(err, "getpwnam_r: account name of 6 bytes is too long");
    assert_string_equal(skip_reason_name(SKIP_LOOKUP_FAILED), "lookup_failed");
}

static void test_root_is_skipped_even_with_min_uid_0(void **state)
{
    struct scnet_config *cfg = *state;
    cfg->min_uid = 0;
    assert_reason(cfg, "root", SKIP_ROOT);
}

static void test_system_user_below_min_uid(void **state)
{
    struct scnet_config *cfg = *state;
    assert_int_equal(cfg->min_uid, 1000);
    assert_reason(cfg, "daemon", SKIP_LOW_UID);
    assert_string_equal(skip_reason_name(user_filter_check(cfg, "daemon", NULL, 0, NULL, NULL, 0)),
                        "min_uid");
}

static void test_min_uid_boundary(void **state)
{
    struct scnet_config *cfg = *state;
    cfg->min_uid = 1; /* daemon has uid 1: equal to min_uid is checked */
    assert_reason(cfg, "daemon", SKIP_NONE);
    cfg->min_uid = 2;
    assert_reason(cfg, "daemon", SKIP_LOW_UID);
    cfg->min_uid = 0;
    assert_reason(cfg, "daemon", SKIP_NONE);
}

static void test_ordinary_user_is_checked(void **state)
{
    struct scnet_config *cfg = *state;
    assert_reason(cfg, "nobody", SKIP_NONE); /* uid 65534 >= 1000 */
    assert_string_equal(skip_reason_name(SKIP_NONE), "none");
}

static void test_high_min_uid_skips_everyone(void **state)
{
    struct scnet_config *cfg = *state;
    cfg->min_uid = 4294967295L;
    assert_reason(cfg, "nobody", SKIP_LOW_UID);
}

static void test_unknown_user(void **state)
{
    struct scnet_config *cfg = *state;
    assert_reason(cfg, "scnet-no-such-user-x", SKIP_UNKNOWN_USER);
    assert_string_equal(
        skip_reason_name(user_filter_check(cfg, "scnet-no-such-user-x", NULL, 0, NULL, NULL, 0)),
        "unknown_user");
}

static void test_skip_users_list(void **state)
{
    struct scnet_config *cfg = *state;
    set_list(&cfg->skip_users, "alice, nobody ,bob");
    assert_reason(cfg, "nobody", SKIP_USER_LIST);
    assert_string_equal(skip_reason_name(user_filter_check(cfg, "nobody", NULL, 0, NULL, NULL, 0)),
                        "skip_users");
}

static void test_skip_users_needs_whole_name(void **state)
{
    struct scnet_config *cfg = *state;
    set_list(&cfg->skip_users, "nob,nobodyx, ,");
    assert_reason(cfg, "nobody", SKIP_NONE);
}

static void test_low_uid_reported_before_skip_lists(void **state)
{
    struct scnet_config *cfg = *state;
    set_list(&cfg->skip_users, "daemon");
    set_list(&cfg->skip_groups, "daemon");
    assert_reason(cfg, "daemon", SKIP_LOW_UID);
    set_list(&cfg->skip_users, "root");
    assert_reason(cfg, "root", SKIP_ROOT);
}

static void test_skip_groups_primary_group(void **state)
{
    struct scnet_config *cfg = *state;
    cfg->min_uid = 0;
    set_list(&cfg->skip_groups, "daemon");
    assert_reason(cfg, "daemon", SKIP_GROUP_LIST);
    assert_string_equal(skip_reason_name(user_filter_check(cfg, "daemon", NULL, 0, NULL, NULL, 0)),
                        "skip_groups");
}

static void test_skip_groups_list_with_spaces_and_unknown_groups(void **state)
{
    struct scnet_config *cfg = *state;
    cfg->min_uid = 0;
    set_list(&cfg->skip_groups, " scnet-no-such-group ,, \tdaemon\t ,");
    assert_reason(cfg, "daemon", SKIP_GROUP_LIST);
    set_list(&cfg->skip_groups, "nogroup");
    assert_reason(cfg, "nobody", SKIP_GROUP_LIST);
}

static void test_skip_groups_not_member(void **state)
{
    struct scnet_config *cfg = *state;
    cfg->min_uid = 0;
    set_list(&cfg->skip_groups, "users, nogroup, scnet-no-such-group");
    assert_reason(cfg, "daemon", SKIP_NONE);
    set_list(&cfg->skip_groups, "daemo, daemonx, , ,");
    assert_reason(cfg, "daemon", SKIP_NONE);
    set_list(&cfg->skip_groups, "");
    assert_reason(cfg, "daemon", SKIP_NONE);
}

static void test_odd_names_do_not_crash(void **state)
{
    struct scnet_config *cfg = *state;
    static const char *const names[] = {
        "",         " ",        "root ",
        " root",    "a b",      "../../etc/passwd",
        "x\ny",     "\x1b[31m", "\xff\xfe\xfd",
        "%s%n",     "daemon,",  "root:x:0:0",
        "nobody\t", "+",        "-",
        "@x",       "*",
    };
    char long_name[5001];

    set_list(&cfg->skip_users, "alice");
    set_list(&cfg->skip_groups, "users");
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        assert_reason(cfg, names[i], SKIP_UNKNOWN_USER);
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_reason(cfg, long_name, SKIP_UNKNOWN_USER);
}

static void test_reason_names(void **state)
{
    assert_string_equal(skip_reason_name(SKIP_NONE), "none");
    assert_string_equal(skip_reason_name(SKIP_ROOT), "root");
    assert_string_equal(skip_reason_name(SKIP_LOW_UID), "min_uid");
    assert_string_equal(skip_reason_name(SKIP_USER_LIST), "skip_users");
    assert_string_equal(skip_reason_name(SKIP_GROUP_LIST), "skip_groups");
    assert_string_equal(skip_reason_name(SKIP_UNKNOWN_USER), "unknown_user");
    assert_string_equal(skip_reason_name((enum skip_reason)99), "?");
}

/* ---- under nss_wrapper: entries larger than a 16 KiB lookup buffer ---- */

#define BIG_MEMBERS 4000 /* "member0000," each: a group entry of about 44 KiB */
#define BIG_GECOS 40000

/* The nss_wrapper built for this program's architecture, as CMake found it (tests/unit:
 * CMAKE_LIBRARY_ARCHITECTURE, the sysroot of a cross build). No list of folders to try here:
 * under qemu-user an x86_64 library looks readable from an aarch64 program, and the child
 * would run without the wrapper. */
static const char *find_nss_wrapper(void)
{
    const char *env = getenv("SCNET_NSS_WRAPPER");
    if (env && env[0] && access(env, R_OK) == 0)
        return env;
    return NULL;
}

/* In the child: one digit per lookup, so the parent sees every result. */
static int nss_child_main(void)
{
    struct scnet_config cfg;
    int code;

    config_defaults(&cfg);
    code = (int)user_filter_check(&cfg, "bigalice", NULL, 0, NULL, NULL, 0); /* exists: SKIP_NONE */
    code = code * 10 + (int)user_filter_check(&cfg, "biggecos", NULL, 0, NULL, NULL,
                                              0); /* huge entry: SKIP_NONE */
    cfg.skip_groups = strdup("smallgroup, biggroup");
    code = code * 10 +
           (int)user_filter_check(&cfg, "bigalice", NULL, 0, NULL, NULL, 0); /* SKIP_GROUP_LIST */
    code = code * 10 + (int)user_filter_check(&cfg, "biggecos", NULL, 0, NULL, NULL,
                                              0); /* in neither: SKIP_NONE */
    config_free(&cfg);
    fprintf(stderr, "nss_wrapper child: results %04d\n", code);
    /* The expected 0040 fits an exit status; anything over 255 is a failure anyway. */
    return code > 255 ? 255 : code;
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "we");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

static void test_entries_larger_than_lookup_buffer(void **state)
{
    const char *lib = find_nss_wrapper();
    char dir[1024], passwd[PATH_MAX], group[PATH_MAX], env_pre[PATH_MAX + 16];
    char env_pw[PATH_MAX + 32], env_gr[PATH_MAX + 32], env_asan[1024];
    char *text, *p;
    int status;
    pid_t pid;

    if (!self_path[0])
        unit_skip(false, "cannot find this program again to run it under nss_wrapper");
    if (!lib)
        unit_skip(true, "no libnss_wrapper.so (Debian: libnss-wrapper; scripts/install-deps.sh)");
    assert_non_null(unit_mkdtemp(dir, sizeof(dir), "scnet-user-filter-XXXXXX"));
    snprintf(passwd, sizeof(passwd), "%s/passwd", dir);
    snprintf(group, sizeof(group), "%s/group", dir);

    text = malloc(BIG_GECOS + 200);
    assert_non_null(text);
    p = text + sprintf(text, "bigalice:x:5000:5000::/home/bigalice:/bin/sh\nbiggecos:x:5001:7000:");
    memset(p, 'g', BIG_GECOS);
    strcpy(p + BIG_GECOS, ":/home/biggecos:/bin/sh\n");
    write_text(passwd, text);
    free(text);

    text = malloc(BIG_MEMBERS * 11 + 200);
    assert_non_null(text);
    p = text + sprintf(text, "alice:x:5000:\nsmallgroup:x:5001:\nbiggroup:x:6000:");
    for (int i = 0; i < BIG_MEMBERS; i++)
        p += sprintf(p, "member%04d,", i);
    strcpy(p, "bigalice\n");
    write_text(group, text);
    free(text);

    snprintf(env_pre, sizeof(env_pre), "LD_PRELOAD=%s", lib);
    snprintf(env_pw, sizeof(env_pw), "NSS_WRAPPER_PASSWD=%s", passwd);
    snprintf(env_gr, sizeof(env_gr), "NSS_WRAPPER_GROUP=%s", group);
    /* Under scripts/ci-sanitizers.sh the child needs the same ASan options (the wrapper is
     * preloaded before the ASan runtime here). */
    snprintf(env_asan, sizeof(env_asan), "ASAN_OPTIONS=%s",
             getenv("ASAN_OPTIONS") ? getenv("ASAN_OPTIONS") : "");
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char *const argv[] = {self_path, (char *)NSS_CHILD_ARG, NULL};
        char *const envp[] = {env_pre, env_pw, env_gr, (char *)"LC_ALL=C", env_asan, NULL};
        execve(self_path, argv, envp);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(unlink(passwd), 0);
    assert_int_equal(unlink(group), 0);
    assert_int_equal(rmdir(dir), 0);
    assert_true(WIFEXITED(status));
    /* SKIP_NONE, SKIP_NONE, SKIP_GROUP_LIST, SKIP_NONE */
    assert_int_equal(WEXITSTATUS(status),
                     ((SKIP_NONE * 10 + SKIP_NONE) * 10 + SKIP_GROUP_LIST) * 10 + SKIP_NONE);
}

int main(int argc, char **argv)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_root_is_skipped),
        T(test_root_is_skipped_even_with_min_uid_0),
        T(test_system_user_below_min_uid),
        T(test_min_uid_boundary),
        T(test_ordinary_user_is_checked),
        T(test_high_min_uid_skips_everyone),
        T(test_unknown_user),
        T(test_skip_users_list),
        T(test_skip_users_needs_whole_name),
        T(test_low_uid_reported_before_skip_lists),
        T(test_skip_groups_primary_group),
        T(test_skip_groups_list_with_spaces_and_unknown_groups),
        T(test_skip_groups_not_member),
        T(test_odd_names_do_not_crash),
        cmocka_unit_test(test_reason_names),
        T(test_canonical_name_returned),
        cmocka_unit_test(test_entries_larger_than_lookup_buffer),
    };
#undef T
    if (argc == 2 && strcmp(argv[1], NSS_CHILD_ARG) == 0)
        return nss_child_main();
    if (!realpath(argv[0], self_path))
        self_path[0] = '\0';
    return unit_exit_code(cmocka_run_group_tests_name("user_filter", tests, NULL, NULL));
}
