/* The built module in a real libpam stack (pam_wrapper), against the simulator over HTTPS:
 * one case per row of the behaviour table, asserting on the PAM code and the exact text. */
#include "pam_test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct sim_info sim;

#define NEAR_BANNER                                                                                \
    "WARNING: your storage quota is nearly full.\n"                                                \
    "  /public/home/near  651.0 GB of 700.0 GB  93.0%  [##################--]\n"                   \
    "Delete or move files you no longer need: jobs fail with \"Disk quota exceeded\" once a "      \
    "quota is full."

#define OVER_REFUSAL                                                                               \
    "Login refused: your storage quota is exceeded.\n"                                             \
    "  /public/home/over  735.0 GB of 700.0 GB  105.0%  [####################]\n"                  \
    "Logins are refused at 100.0% of the quota. Ask your support team to help you free space."

/* Under deny_scope = tty sftp, scp, rsync and commands are let in: the refusal says so. */
#define OVER_REFUSAL_TTY                                                                           \
    "Login refused: your storage quota is exceeded.\n"                                             \
    "  /public/home/over  735.0 GB of 700.0 GB  105.0%  [####################]\n"                  \
    "Logins are refused at 100.0% of the quota. Free space now with sftp, scp, rsync or \"ssh "    \
    "HOST COMMAND\" (these still work), then log in again."

/* What the pam-auth-update profile's warn-only line (deny=off) shows over the line. */
#define OVER_WARNING                                                                               \
    "WARNING: your storage quota is full.\n"                                                       \
    "  /public/home/over  735.0 GB of 700.0 GB  105.0%  [####################]\n"                  \
    "Delete or move files you no longer need: jobs fail with \"Disk quota exceeded\" once a "      \
    "quota is full."

/* The variable the module hands a deferred refusal in (common/pipeline.h), spelled out: the
 * gate scripts and the documentation name it. */
#define SHELL_GATE_VARIABLE "SCNET_QUOTA_REFUSAL"

#define UNCHECKED_REFUSAL                                                                          \
    "Login refused: your storage quota could not be checked. Please try again later."

static int setup(void **state)
{
    sim_info_load(&sim);
    /* Every case here is about one request: the cache has its own tests. */
    set_conf_prefix("cache_ttl = 0\nstale_ttl = 0\n");
    return 0;
}

static void open_session(const char *service, const char *user, int flags, struct pam_run *run)
{
    run_pam(service, user, PAMTEST_OPEN_SESSION, flags, run);
}

/* Open a session for user on the "scnet" service with the given extra config lines. */
static void session_with(const char *extra, const char *user, struct pam_run *run)
{
    write_https_conf(&sim, extra);
    open_session("scnet", user, 0, run);
}

static void assert_silent(struct pam_run *run)
{
    assert_string_equal(joined_info(run), "");
    assert_string_equal(joined_err(run), "");
}

static void test_below_warn_sees_nothing(void **state)
{
    struct pam_run run;
    long before = sim_quota_count(&sim, "low");

    session_with("", "low", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_silent(&run);
    assert_int_equal(sim_quota_count(&sim, "low"), before + 1);
}

static void test_near_full_sees_warning(void **state)
{
    struct pam_run run;

    session_with("", "near", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_info(&run), NEAR_BANNER HINT);
    assert_string_equal(joined_err(&run), "");
}

static void test_warning_names_deny_line_and_contact(void **state)
{
    struct pam_run run;

    session_with("deny = 100\ncontact = Ask hpc-help@example.org", "near", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_info(&run), NEAR_BANNER "\nLogins are refused at 100.0%.\n"
                                                       "Contact: Ask hpc-help@example.org" HINT);
}

static void test_over_deny_is_refused(void **state)
{
    struct pam_run run;

    session_with("deny = 100", "over", &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_string_equal(joined_err(&run), OVER_REFUSAL HINT);
    assert_string_equal(joined_info(&run), "");
}

/* help: the site's own line closes the refusal and the warning alike (from the file or
 * the pam.d line: one option table). */
static void test_help_line_closes_every_banner(void **state)
{
    struct pam_run run;

    session_with("deny = 100\nhelp = https://hpc.example.org/quota", "over", &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_string_equal(joined_err(&run),
                        OVER_REFUSAL "\nHelp: https://hpc.example.org/quota" HINT);
    session_with("deny = 100\nhelp = https://hpc.example.org/quota", "near", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_info(&run), NEAR_BANNER "\nLogins are refused at 100.0%.\n"
                                                       "Help: https://hpc.example.org/quota" HINT);
}

/* The warning and the refusal end pointing to scnet-quota, in either language; a plain
 * usage list (warn = 0, below 90%) has nothing to follow up; show_command_hint = no drops
 * the line and nothing else. */
static void test_banners_point_to_the_command(void **state)
{
    struct pam_run run;
    const char *zh_refusal_end = "请联系技术支持人员帮助您释放空间。" HINT_ZH;

    session_with("deny = 100", "near", &run);
    assert_string_equal(joined_info(&run), NEAR_BANNER "\nLogins are refused at 100.0%." HINT);
    session_with("deny = 100\nlang = zh", "over", &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_non_null(strstr(joined_err(&run), "登录被拒绝"));
    assert_string_equal(joined_err(&run) + strlen(joined_err(&run)) - strlen(zh_refusal_end),
                        zh_refusal_end);
    session_with("deny = 100\nlang = zh", "near", &run);
    assert_string_equal(joined_info(&run) + strlen(joined_info(&run)) - strlen(HINT_ZH), HINT_ZH);
    session_with("warn = 0", "low", &run);
    assert_non_null(strstr(joined_info(&run), "/public/home/low"));
    assert_null(strstr(joined_info(&run), "scnet-quota"));

    session_with("deny = 100\nshow_command_hint = no", "near", &run);
    assert_string_equal(joined_info(&run), NEAR_BANNER "\nLogins are refused at 100.0%.");
    session_with("deny = 100\nshow_command_hint = no", "over", &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_string_equal(joined_err(&run), OVER_REFUSAL);
    session_with("deny = 100\nshow_command_hint = no\nlang = zh", "over", &run);
    assert_null(strstr(joined_err(&run), "scnet-quota"));
    assert_non_null(strstr(joined_err(&run), "请联系技术支持人员帮助您释放空间。"));
}

static void test_exactly_at_deny_is_refused(void **state)
{
    struct pam_run run;

    session_with("deny = 100", "full", &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_non_null(strstr(joined_err(&run), "/public/home/full  700.0 GB of 700.0 GB  100.0%"));
}

static void test_over_without_deny_only_warns(void **state)
{
    struct pam_run run;

    session_with("", "over", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_info(&run),
                        "WARNING: your storage quota is full.\n"
                        "  /public/home/over  735.0 GB of 700.0 GB  105.0%  "
                        "[####################]\n"
                        "Delete or move files you no longer need: jobs fail with \"Disk quota "
                        "exceeded\" once a quota is full." HINT);
}

static void test_several_paths_list_only_flagged_entries_of_this_user(void **state)
{
    struct pam_run run;

    session_with("", "multi", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_info(&run),
                        "WARNING: your storage quota is nearly full.\n"
                        "  /work/multi  950.0 GB of 1000.0 GB  95.0%  [###################-]\n"
                        "Delete or move files you no longer need: jobs fail with \"Disk quota "
                        "exceeded\" once a quota is full." HINT);
}

static void test_numbers_as_strings_and_code_as_number(void **state)
{
    struct pam_run run;

    session_with("", "strings", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_non_null(strstr(joined_info(&run), "665.0 GB of 700.0 GB  95.0%"));
}

static void test_no_limit_never_warns_or_refuses(void **state)
{
    struct pam_run run;

    session_with("deny = 100\nwarn = 0", "nolimit", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_silent(&run);
}

static void test_warn_zero_shows_usage_line(void **state)
{
    struct pam_run run;

    session_with("warn = 0", "low", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_info(&run), "Storage quota:\n"
                                           "  /public/home/low  100.0 GB of 700.0 GB  14.3%  "
                                           "[##------------------]");
}

static void test_skipped_users_make_no_request(void **state)
{
    const char *users[] = {"root", "daemon", "lowuid", "skipme", "grouped"};
    struct pam_run run;

    write_https_conf(&sim, "fail = closed\nskip_users = other, skipme\nskip_groups = noquota");
    for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
        long before = sim_quota_count(&sim, users[i]);
        /* Alone in its stack, a module returning PAM_IGNORE makes libpam fail the stack:
         * that is how PAM_IGNORE is observed; the second service adds pam_permit. */
        run_pam("scnet_alone", users[i], PAMTEST_OPEN_SESSION, 0, &run);
        assert_int_not_equal(run.rc, PAM_SUCCESS);
        assert_silent(&run);
        open_session("scnet", users[i], 0, &run);
        assert_int_equal(run.rc, PAM_SUCCESS);
        assert_silent(&run);
        assert_int_equal(sim_quota_count(&sim, users[i]), before);
    }
    /* The same stack lets a checked user through: the failures above were the skips. */
    run_pam("scnet_alone", "low", PAMTEST_OPEN_SESSION, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
}

/* Every way the quota can be unknown: fail = open lets the user in silently, fail = closed
 * refuses with the short message. */
static void check_unknown(const char *user, const char *extra)
{
    char conf[512];
    struct pam_run run;

    snprintf(conf, sizeof(conf), "deny = 100\n%s\nfail = open", extra);
    session_with(conf, user, &run);
    if (run.rc != PAM_SUCCESS)
        fail_msg("%s (%s): fail=open gave %d", user, extra, run.rc);
    assert_silent(&run);
    snprintf(conf, sizeof(conf), "deny = 100\n%s\nfail = closed", extra);
    session_with(conf, user, &run);
    if (run.rc != PAM_PERM_DENIED)
        fail_msg("%s (%s): fail=closed gave %d", user, extra, run.rc);
    assert_string_equal(joined_err(&run), UNCHECKED_REFUSAL);
    assert_string_equal(joined_info(&run), "");
}

static void test_api_errors_and_bad_replies(void **state)
{
    const char *users[] = {"apierr-10008", "apierr-10001", "apierr-10007", "apierr-10009",
                           "http500",      "http404",      "malformed",    "trailing",
                           "notjson",      "negative",     "nan",          "huge",
                           "toomany",      "longstring",   "redirect",     "endless"};

    for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
        check_unknown(users[i], "");
}

static void test_bad_token_is_an_error(void **state)
{
    char path[700], extra[800];
    FILE *f;

    snprintf(path, sizeof(path), "%s/wrong-token", sim.run_dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("not-the-token\n", f);
    fclose(f);
    chmod(path, 0600);
    snprintf(extra, sizeof(extra), "token_file = %s", path);
    check_unknown("over", extra);

    chmod(path, 0644); /* readable by others: refused before any request */
    check_unknown("over", extra);
    snprintf(extra, sizeof(extra), "token_file = %s/no-such-token", sim.run_dir);
    check_unknown("over", extra);
    unlink(path);
}

/* A directory that fails (sssd or LDAP down: EIO) is not "no such user": fail decides. The
 * test NSS module fails "nsserror" so, through nss_wrapper's getpwnam_r. */
static void test_nss_failure_lets_fail_decide(void **state)
{
    struct pam_run run;

    check_unknown("nsserror", "");
    /* A user that does not exist is still skipped (PAM_IGNORE fails a stack of one). */
    write_https_conf(&sim, "fail = closed");
    run_pam("scnet_alone", "scnet-no-such-user", PAMTEST_OPEN_SESSION, 0, &run);
    assert_int_not_equal(run.rc, PAM_SUCCESS);
    assert_silent(&run);
}

/* The account's own name from the lookup is checked, not PAM_USER as typed: a
 * case-insensitive directory finds "NEAR" as the account "near". */
static void test_canonical_account_name_is_checked(void **state)
{
    struct pam_run run;
    long before = sim_quota_count(&sim, "near"), upper = sim_quota_count(&sim, "NEAR");

    session_with("", "NEAR", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_info(&run), NEAR_BANNER HINT);
    /* Asked as "near", never as "NEAR". At least one: the simulator's counters are shared,
     * and a request an earlier test gave up on may be counted late (ci-compat saw +2). */
    assert_true(sim_quota_count(&sim, "near") > before);
    assert_int_equal(sim_quota_count(&sim, "NEAR"), upper);
}

static void test_config_errors_let_fail_decide(void **state)
{
    check_unknown("over", "colour = blue");
    check_unknown("over", "timeout = soon");
    check_unknown("over", "url = http://api.example.com");
    check_unknown("over", "cafile = /etc/hostname");
}

static void test_dead_api(void **state)
{
    struct pam_run run;
    char conf[512];

    /* A closed port: refused at once. */
    write_conf(&sim, "url = https://127.0.0.1:1\ntoken_file = %s\ntimeout = 2\ndeny = 100\n",
               sim.token_file);
    open_session("scnet", "over", 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_silent(&run);
    assert_true(run.ms < 2000);
    snprintf(conf, sizeof(conf), "fail = closed");
    write_conf(&sim, "url = https://127.0.0.1:1\ntoken_file = %s\ntimeout = 2\nfail = closed\n",
               sim.token_file);
    open_session("scnet", "over", 0, &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_string_equal(joined_err(&run), UNCHECKED_REFUSAL);
}

/* The server accepts and never answers, or trickles: the login waits timeout, not more. */
static void check_bounded(const char *user, const char *timeout, double limit_ms)
{
    char conf[256];
    struct pam_run run;

    snprintf(conf, sizeof(conf), "timeout = %s\nfail = open", timeout);
    session_with(conf, user, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_silent(&run);
    if (run.ms > limit_ms + 500)
        fail_msg("%s: took %.0f ms with timeout %s s", user, run.ms, timeout);
    if (run.ms < limit_ms * 0.9)
        fail_msg("%s: returned after %.0f ms, before the %s s timeout", user, run.ms, timeout);
    snprintf(conf, sizeof(conf), "timeout = %s\nfail = closed", timeout);
    session_with(conf, user, &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_string_equal(joined_err(&run), UNCHECKED_REFUSAL);
    if (run.ms > limit_ms + 500)
        fail_msg("%s: took %.0f ms with timeout %s s (fail = closed)", user, run.ms, timeout);
}

static void test_timeouts_bound_the_login(void **state)
{
    check_bounded("slow", "1", 1000);
    check_bounded("trickle", "0.5", 500);
}

static void test_answer_within_timeout_is_used(void **state)
{
    struct pam_run run;

    session_with("timeout = 3", "slow1", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_non_null(strstr(joined_info(&run), "93.0%"));
    assert_true(run.ms >= 900);
}

static void test_silent_shows_nothing_but_still_refuses(void **state)
{
    struct pam_run run;

    write_https_conf(&sim, "deny = 100");
    open_session("scnet", "near", PAM_SILENT, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_silent(&run);
    open_session("scnet", "over", PAM_SILENT, &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_silent(&run);
}

static void assert_terminal_safe(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
            fail_msg("control byte 0x%02x in %s", *p, text);
        if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            fail_msg("C1 control in %s", text);
    }
}

static void test_hostile_server_text_is_cleaned(void **state)
{
    struct pam_run run;

    session_with("", "hostile", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_terminal_safe(joined_info(&run));
    assert_non_null(strstr(joined_info(&run), "/public/home/hostile"));
    assert_null(strstr(joined_info(&run), "\nFAKE"));

    /* warn = 0: its usage (14%) is shown, so the cleaned path must be on the screen. */
    session_with("warn = 0", "badutf8", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_non_null(strstr(joined_info(&run), "/public/home/badutf8/"));
    assert_terminal_safe(joined_info(&run));
}

static void test_module_arguments_override_the_file(void **state)
{
    struct pam_run run;

    write_https_conf(&sim, "warn = 90\nlang = en");
    open_session("scnet_args", "low", 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    /* warn=10 lang=zh contact=room-101 on the pam.d line */
    assert_string_equal(joined_info(&run),
                        "警告：您的存储配额即将用满。\n"
                        "  /public/home/low  已用 100.0 GB，配额 700.0 GB  14.3%  "
                        "[##------------------]\n"
                        "请删除或移走不再需要的文件：配额用满后，作业会因“Disk quota "
                        "exceeded”而失败。\n"
                        "联系方式：room-101" HINT_ZH);
}

static void test_secret_on_pam_line_is_refused(void **state)
{
    struct pam_run run;
    long before = sim_quota_count(&sim, "over");

    write_https_conf(&sim, "deny = 100\nfail = closed");
    open_session("scnet_secret", "over", 0, &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_string_equal(joined_err(&run), UNCHECKED_REFUSAL);
    assert_int_equal(sim_quota_count(&sim, "over"), before);
}

static void test_account_stage_makes_the_same_decision(void **state)
{
    struct pam_run run;

    write_https_conf(&sim, "deny = 100");
    run_pam("scnet", "over", PAMTEST_ACCOUNT, 0, &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_string_equal(joined_err(&run), OVER_REFUSAL HINT);
    run_pam("scnet", "near", PAMTEST_ACCOUNT, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_info(&run), NEAR_BANNER "\nLogins are refused at 100.0%." HINT);
    run_pam("scnet", "over", PAMTEST_CLOSE_SESSION, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
}

/* What one session open under sshd leaves behind: the PAM code, the text shown through the
 * conversation and the login-shell gate's variable in the PAM environment. */
struct gate_run {
    int rc;
    char shown[4096];
    char gate[4096];
    bool gate_set;
    char log[4096]; /* the module's syslog lines (pam_wrapper writes them to stderr) */
};

static int record_conversation(int count, const struct pam_message **msgs,
                               struct pam_response **resp, void *data)
{
    struct gate_run *run = data;

    for (int i = 0; i < count; i++) {
        size_t used = strlen(run->shown);
        snprintf(run->shown + used, sizeof(run->shown) - used, "%s%s", used ? "\n" : "",
                 msgs[i]->msg);
    }
    *resp = NULL;
    return PAM_SUCCESS;
}

/* One login of user on service with PAM_TTY = tty (NULL: not set), as sshd runs it: one
 * handle, real libpam; the account stage first when with_account (its code goes into
 * run->rc when it refuses, and the session is then not opened, as sshd does). A value of the
 * gate's variable is planted first, as an earlier stack run of the same handle could have
 * left it. */
static void login_on_handle(const char *service, const char *user, const char *tty,
                            bool with_account, int flags, struct gate_run *run)
{
    struct pam_conv conv = {record_conversation, run};
    pam_handle_t *pamh = NULL;
    const char *value;
    FILE *capture = tmpfile();
    int saved = dup(2);
    size_t n;

    memset(run, 0, sizeof(*run));
    assert_non_null(capture);
    assert_true(saved >= 0);
    /* pam_wrapper passes LOG_INFO lines on from level 2 (debug). */
    setenv("PAM_WRAPPER_DEBUGLEVEL", "2", 1);
    fflush(stderr);
    dup2(fileno(capture), 2);
    assert_int_equal(pam_start(service, user, &conv, &pamh), PAM_SUCCESS);
    if (tty)
        assert_int_equal(pam_set_item(pamh, PAM_TTY, tty), PAM_SUCCESS);
    assert_int_equal(pam_putenv(pamh, SHELL_GATE_VARIABLE "=planted before the check"),
                     PAM_SUCCESS);
    run->rc = with_account ? pam_acct_mgmt(pamh, flags) : PAM_SUCCESS;
    if (run->rc == PAM_SUCCESS)
        run->rc = pam_open_session(pamh, flags);
    value = pam_getenv(pamh, SHELL_GATE_VARIABLE);
    run->gate_set = value != NULL;
    snprintf(run->gate, sizeof(run->gate), "%s", value ? value : "");
    pam_end(pamh, run->rc);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    unsetenv("PAM_WRAPPER_DEBUGLEVEL");
    rewind(capture);
    n = fread(run->log, 1, sizeof(run->log) - 1, capture);
    run->log[n] = '\0';
    fclose(capture);
}

static void session_on_tty(const char *user, const char *tty, int flags, struct gate_run *run)
{
    login_on_handle("scnet", user, tty, false, flags, run);
}

static void test_deny_scope_tty_hands_the_refusal_to_the_shell_gate(void **state)
{
    struct gate_run run;

    write_https_conf(&sim, "deny = 100\ndeny_scope = tty");
    /* sshd: no terminal when the session opens (PAM_TTY "ssh"); a bare stack: no PAM_TTY. */
    session_on_tty("over", "ssh", 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(run.shown, "");
    assert_true(run.gate_set);
    assert_string_equal(run.gate, OVER_REFUSAL_TTY HINT);
    assert_non_null(strstr(run.log, "user=over result=deny-skipped "));
    assert_non_null(strstr(run.log, " scope=tty gate=shell ms="));
    session_on_tty("over", NULL, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(run.shown, "");
    assert_string_equal(run.gate, OVER_REFUSAL_TTY HINT);
    /* PAM_SILENT: nothing shown either way, and the gate still gets the refusal. */
    session_on_tty("over", "ssh", PAM_SILENT, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(run.shown, "");
    assert_string_equal(run.gate, OVER_REFUSAL_TTY HINT);
}

static void test_shell_gate_variable_only_for_a_deferred_refusal(void **state)
{
    struct gate_run run;

    write_https_conf(&sim, "deny = 100\ndeny_scope = tty");
    /* A terminal (the module asks only whether PAM_TTY names a character device): refused
     * at once, shown, and nothing left for a shell. */
    session_on_tty("over", "/dev/null", 0, &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_string_equal(run.shown, OVER_REFUSAL_TTY HINT);
    assert_false(run.gate_set);
    assert_non_null(strstr(run.log, "user=over result=deny "));
    assert_null(strstr(run.log, "gate="));
    /* Warn and allow: the banner as before; the planted value is removed. */
    session_on_tty("near", "ssh", 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(run.shown, NEAR_BANNER "\nLogins are refused at 100.0%." HINT);
    assert_false(run.gate_set);
    session_on_tty("low", "ssh", 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(run.shown, "");
    assert_false(run.gate_set);
    /* deny_scope = all: refused at session open, never deferred. */
    write_https_conf(&sim, "deny = 100");
    session_on_tty("over", "ssh", 0, &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_string_equal(run.shown, OVER_REFUSAL HINT);
    assert_false(run.gate_set);
}

/* The profile's line is optional: it cannot enforce a refusal, so it never claims one. With
 * deny = 100 in the file, the user over the line reads the warning and logs in. */
static void test_profile_line_only_warns(void **state)
{
    struct pam_run run;

    write_https_conf(&sim, "deny = 100");
    open_session("scnet_profile", "over", 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_err(&run), "");
    assert_string_equal(joined_info(&run), OVER_WARNING HINT);
    /* Nor does its warning announce a refusal at 100%. */
    open_session("scnet_profile", "near", 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_info(&run), NEAR_BANNER HINT);
}

/* One login, the module run more than once on its handle: each text is shown once. */
static void test_one_banner_per_login(void **state)
{
    struct gate_run run;

    write_https_conf(&sim, "deny = 100");
    /* An account line and a session line. */
    login_on_handle("scnet", "near", "/dev/null", true, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(run.shown, NEAR_BANNER "\nLogins are refused at 100.0%." HINT);
    /* A required line and the profile's line after it: the refusal once, no warning after. */
    login_on_handle("scnet_twice", "near", "/dev/null", false, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(run.shown, NEAR_BANNER "\nLogins are refused at 100.0%." HINT);
    login_on_handle("scnet_twice", "over", "/dev/null", false, 0, &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_string_equal(run.shown, OVER_REFUSAL HINT);
    /* The profile's line first: its warning, then the refusal is news and is shown. */
    login_on_handle("scnet_twice_profile_first", "near", "/dev/null", false, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(run.shown, NEAR_BANNER HINT);
    login_on_handle("scnet_twice_profile_first", "over", "/dev/null", false, 0, &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_string_equal(run.shown, OVER_WARNING HINT "\n" OVER_REFUSAL HINT);
    /* Two handles are two logins: the second sees its banner too. */
    login_on_handle("scnet", "near", "/dev/null", false, 0, &run);
    assert_string_equal(run.shown, NEAR_BANNER "\nLogins are refused at 100.0%." HINT);
}

/* deny_scope = tty: the required line hands the refusal to the login-shell gate; the
 * profile's warn-only line after it must not take it back. */
static void test_later_warn_only_line_keeps_the_gate_refusal(void **state)
{
    struct gate_run run;

    write_https_conf(&sim, "deny = 100\ndeny_scope = tty");
    login_on_handle("scnet_twice", "over", "ssh", false, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_true(run.gate_set);
    assert_string_equal(run.gate, OVER_REFUSAL_TTY HINT);
    assert_string_equal(run.shown, "");
}

static void test_strange_user_names(void **state)
{
    struct pam_run run;

    /* '/' can never be sent: refused before any request, then fail decides. */
    write_https_conf(&sim, "fail = closed");
    open_session("scnet", "../escape", 0, &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_int_equal(sim_quota_count(&sim, "../escape"), 0);
    assert_int_equal(sim_quota_count(&sim, "escape"), 0);
    /* Anything else is percent-encoded and reaches the API as the same name. */
    write_https_conf(&sim, "");
    open_session("scnet", "odd name%2f?#@", 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_int_equal(sim_quota_count(&sim, "odd name%2f?#@"), 1);
    assert_non_null(strstr(sim_http(&sim, "GET", "/_sim/stats", NULL),
                           "\"last_quota_path\":\"/hpc/openapi/v2/parastor/quota/usernames/"
                           "odd%20name%252f%3F%23%40\""));
}

static void test_plain_http_on_loopback(void **state)
{
    struct pam_run run;

    write_conf(&sim, "url = http://127.0.0.1:%d/\ntoken_file = %s\nlang = en\n", sim.http_port,
               sim.token_file);
    open_session("scnet", "near", 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_info(&run), NEAR_BANNER HINT);
}

/* The chain: the system store does not know the simulator's throwaway CA. */
static void test_certificate_is_verified(void **state)
{
    struct pam_run run;

    write_conf(&sim, "url = https://127.0.0.1:%d\ntoken_file = %s\nfail = closed\n", sim.https_port,
               sim.token_file);
    open_session("scnet", "near", 0, &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    /* With the CA, a name the certificate holds (localhost) is accepted. */
    write_conf(&sim, "url = https://localhost:%d\ntoken_file = %s\ncafile = %s\nlang = en\n",
               sim.https_port, sim.token_file, sim.ca);
    open_session("scnet", "near", 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_info(&run), NEAR_BANNER HINT);
}

/* A config for the second simulator: the same certificate and CA, another address. */
static void write_misnamed_conf(const char *fail)
{
    write_conf(&sim,
               "url = https://" MISNAMED_ADDRESS ":%d\ntoken_file = %s\ncafile = %s\n"
               "lang = en\ntimeout = 2\nfail = %s\n",
               sim_misnamed_https_port(&sim), sim.token_file, sim.ca, fail);
}

/* The host name: the same certificate and CA, reached at an address the certificate does
 * not name, is a TLS failure (logged with libcurl's reason), and `fail` decides. */
static void test_certificate_for_another_name_is_refused(void **state)
{
    struct pam_run run;
    char log[8192];

    write_misnamed_conf("closed");
    run_pam_logged("scnet", "near", &run, log, sizeof(log));
    print_message("%s", log);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_string_equal(joined_err(&run), UNCHECKED_REFUSAL);
    assert_non_null(strstr(log, "result=error fail=closed"));
    assert_non_null(strstr(log, "TLS failure: "));
    /* libcurl's words for a name missing from the certificate, whatever its TLS library */
    assert_non_null(strstr(log, "subject name"));
    assert_non_null(strstr(log, "'" MISNAMED_ADDRESS "'"));

    write_misnamed_conf("open");
    open_session("scnet", "near", 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_silent(&run);
}

static void test_request_headers(void **state)
{
    struct pam_run run;
    const char *headers;

    session_with("", "low", &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    headers = sim_http(&sim, "GET", "/_sim/stats", NULL);
    assert_non_null(strstr(headers, "\"token\":\"sim-static-token\""));
    assert_non_null(strstr(headers, "\"content-type\":\"application/json\""));
    assert_non_null(strstr(headers, "\"user-agent\":\"pam_scnet_quota/"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_below_warn_sees_nothing),
        cmocka_unit_test(test_near_full_sees_warning),
        cmocka_unit_test(test_warning_names_deny_line_and_contact),
        cmocka_unit_test(test_over_deny_is_refused),
        cmocka_unit_test(test_help_line_closes_every_banner),
        cmocka_unit_test(test_banners_point_to_the_command),
        cmocka_unit_test(test_exactly_at_deny_is_refused),
        cmocka_unit_test(test_over_without_deny_only_warns),
        cmocka_unit_test(test_several_paths_list_only_flagged_entries_of_this_user),
        cmocka_unit_test(test_numbers_as_strings_and_code_as_number),
        cmocka_unit_test(test_no_limit_never_warns_or_refuses),
        cmocka_unit_test(test_warn_zero_shows_usage_line),
        cmocka_unit_test(test_skipped_users_make_no_request),
        cmocka_unit_test(test_api_errors_and_bad_replies),
        cmocka_unit_test(test_bad_token_is_an_error),
        cmocka_unit_test(test_config_errors_let_fail_decide),
        cmocka_unit_test(test_nss_failure_lets_fail_decide),
        cmocka_unit_test(test_canonical_account_name_is_checked),
        cmocka_unit_test(test_dead_api),
        cmocka_unit_test(test_timeouts_bound_the_login),
        cmocka_unit_test(test_answer_within_timeout_is_used),
        cmocka_unit_test(test_silent_shows_nothing_but_still_refuses),
        cmocka_unit_test(test_hostile_server_text_is_cleaned),
        cmocka_unit_test(test_module_arguments_override_the_file),
        cmocka_unit_test(test_secret_on_pam_line_is_refused),
        cmocka_unit_test(test_account_stage_makes_the_same_decision),
        cmocka_unit_test(test_deny_scope_tty_hands_the_refusal_to_the_shell_gate),
        cmocka_unit_test(test_shell_gate_variable_only_for_a_deferred_refusal),
        cmocka_unit_test(test_profile_line_only_warns),
        cmocka_unit_test(test_one_banner_per_login),
        cmocka_unit_test(test_later_warn_only_line_keeps_the_gate_refusal),
        cmocka_unit_test(test_strange_user_names),
        cmocka_unit_test(test_plain_http_on_loopback),
        cmocka_unit_test(test_certificate_is_verified),
        cmocka_unit_test(test_certificate_for_another_name_is_refused),
        cmocka_unit_test(test_request_headers),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
