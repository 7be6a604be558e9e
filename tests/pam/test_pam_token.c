/* Tokens that look after themselves, through the real module: auth = aksk / password against
 * the simulator's token service, counting token requests at the simulator. The life cycle:
 * first token, reuse, renewal before expiry, a new token after the API refuses one (10008),
 * a suspended account, a bad signature, the token service down (with and without a token
 * still valid), password mode, and a burst of logins with a cold token cache.
 *
 * The simulator knows these accounts (tests/pam/CMakeLists.txt, sim_start):
 *   --aksk tokop:AKtokop01:SKtokop01secret   --aksk suspended:AKsusp01:SKsusp01secret
 *   --password pwop:PWpwop01secret:ORG42 */
#include "pam_test_support.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_KEY "SKtokop01secret"
#define PASSWORD "PWpwop01secret"

#define NEAR_FIRST_LINE "WARNING: your storage quota is nearly full."
#define UNCHECKED_REFUSAL                                                                          \
    "Login refused: your storage quota could not be checked. Please try again later."

static struct sim_info sim;
static char token_cache[700];
static char creds_path[700];

static int setup(void **state)
{
    sim_info_load(&sim);
    snprintf(token_cache, sizeof(token_cache), "%s/token-cache", sim.run_dir);
    snprintf(creds_path, sizeof(creds_path), "%s/token.credentials", sim.run_dir);
    /* Every login asks the quota API: what is under test is the token it sends. */
    set_conf_prefix("cache_ttl = 0\n");
    return 0;
}

/* Each test starts with an empty token cache, and the token service up. */
static int fresh(void **state)
{
    DIR *d = opendir(token_cache);
    struct dirent *e;
    char path[1000];

    if (d) {
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "%s/%s", token_cache, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    sim_http(&sim, "POST", "/_sim/token-service", "{\"down\":false}");
    return 0;
}

static void write_creds(const char *text)
{
    char tmp[720];
    int fd;

    snprintf(tmp, sizeof(tmp), "%s.tmp", creds_path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(close(fd), 0);
    assert_int_equal(rename(tmp, creds_path), 0);
}

static void aksk_creds(void)
{
    write_creds("# the simulator's operator account\n"
                "user = tokop\naccess_key = AKtokop01\nsecret_key = " SECRET_KEY "\n");
}

/* The config for auth (aksk or password) plus extra lines; no token_file at all. */
static void token_conf(const char *auth, const char *extra)
{
    write_conf(&sim,
               "url = https://127.0.0.1:%d\n"
               "cafile = %s\n"
               "timeout = %d\n"
               "lang = en\n"
               "token_file = /nonexistent/never-read\n"
               "auth = %s\n"
               "credentials_file = %s\n"
               "cache_dir = %s\n"
               "%s\n",
               sim.https_port, sim.ca, 3 * unit_time_factor(), auth, creds_path, token_cache,
               extra);
}

/* Token requests of this kind ("aksk", "password") the simulator has served so far. */
static long token_count(const char *kind)
{
    const char *stats = sim_http(&sim, "GET", "/_sim/stats", NULL);
    const char *by_kind = strstr(stats, "\"token_by_kind\"");
    char key[64];
    const char *p;

    assert_non_null(by_kind);
    snprintf(key, sizeof(key), "\"%s\":", kind);
    p = strstr(by_kind, key);
    assert_non_null(p);
    p += strlen(key);
    while (*p == ' ')
        p++;
    return strtol(p, NULL, 10);
}

static long stat_number(const char *name)
{
    const char *stats = sim_http(&sim, "GET", "/_sim/stats", NULL);
    char key[64];
    const char *p;

    snprintf(key, sizeof(key), "\"%s\":", name);
    p = strstr(stats, key);
    assert_non_null(p);
    p += strlen(key);
    while (*p == ' ')
        p++;
    return strtol(p, NULL, 10);
}

/* One session open, its log lines kept in log (when not NULL). */
static void login(const char *user, struct pam_run *run, char *log, size_t loglen)
{
    char scratch[64];

    if (log == NULL) {
        run_pam_logged("scnet", user, run, scratch, sizeof(scratch));
        return;
    }
    run_pam_logged("scnet", user, run, log, loglen);
    /* Whatever the module logs, a secret never is. */
    assert_null(strstr(log, SECRET_KEY));
    assert_null(strstr(log, PASSWORD));
}

static void assert_near_banner(struct pam_run *run)
{
    assert_int_equal(run->rc, PAM_SUCCESS);
    assert_non_null(strstr(joined_info(run), NEAR_FIRST_LINE));
    assert_string_equal(joined_err(run), "");
}

/* The single token entry in the cache directory: mode 0600, no secret in it. */
static void assert_token_entry_private(void)
{
    DIR *d = opendir(token_cache);
    struct dirent *e;
    char path[1000], buf[20000];
    struct stat st;
    int entries = 0;
    FILE *f;
    size_t n;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        /* The quota answers share the directory; the token's key starts "token:". */
        if (len < 6 || strcmp(e->d_name + len - 6, ".cache") != 0 || !strstr(e->d_name, "token%3A"))
            continue;
        entries++;
        snprintf(path, sizeof(path), "%s/%s", token_cache, e->d_name);
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0600);
        f = fopen(path, "r");
        assert_non_null(f);
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        fclose(f);
        assert_non_null(strstr(buf, "\nscnet-token 1\nexpires "));
        assert_non_null(strstr(buf, "\nsource jwt\n"));
        assert_null(strstr(buf, SECRET_KEY));
        assert_null(strstr(buf, "AKtokop01"));
    }
    closedir(d);
    assert_int_equal(entries, 1);
}

static void test_first_token_then_reused(void **state)
{
    struct pam_run run;
    long tokens = token_count("aksk"), quota_near = sim_quota_count(&sim, "near");

    aksk_creds();
    token_conf("aksk", "");
    login("near", &run, NULL, 0);
    assert_near_banner(&run);
    assert_int_equal(token_count("aksk"), tokens + 1);
    assert_int_equal(sim_quota_count(&sim, "near"), quota_near + 1);
    assert_token_entry_private();

    /* The next logins, of this user and others, reuse it. */
    login("near", &run, NULL, 0);
    assert_near_banner(&run);
    login("low", &run, NULL, 0);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_info(&run), "");
    login("over", &run, NULL, 0);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_non_null(strstr(joined_info(&run), "735.0 GB of 700.0 GB"));
    assert_int_equal(token_count("aksk"), tokens + 1);
    assert_int_equal(sim_quota_count(&sim, "near"), quota_near + 2);
}

static void test_renewed_before_expiry(void **state)
{
    struct pam_run run;
    long tokens = token_count("aksk");

    aksk_creds();
    /* The simulator's tokens live 3600 s: with 3700 s to spare, each use renews. */
    token_conf("aksk", "token_renew_before = 3700");
    login("near", &run, NULL, 0);
    assert_near_banner(&run);
    assert_int_equal(token_count("aksk"), tokens + 1);
    login("near", &run, NULL, 0);
    assert_near_banner(&run);
    assert_int_equal(token_count("aksk"), tokens + 2);
    /* With the default 600 s the renewed one is simply reused. */
    token_conf("aksk", "");
    login("near", &run, NULL, 0);
    assert_near_banner(&run);
    assert_int_equal(token_count("aksk"), tokens + 2);
}

static void test_new_token_after_10008(void **state)
{
    struct pam_run run;
    long tokens = token_count("aksk"), quota_near, denied;

    aksk_creds();
    token_conf("aksk", "fail = closed");
    login("near", &run, NULL, 0);
    assert_near_banner(&run);
    assert_int_equal(token_count("aksk"), tokens + 1);

    /* The service ends every token's life early: the cached one is now refused. */
    sim_http(&sim, "POST", "/_sim/expire-tokens", "{}");
    quota_near = sim_quota_count(&sim, "near");
    denied = stat_number("quota_denied");
    login("near", &run, NULL, 0);
    assert_near_banner(&run);
    assert_int_equal(stat_number("quota_denied"), denied + 1);       /* 10008 once */
    assert_int_equal(sim_quota_count(&sim, "near"), quota_near + 2); /* then the retry */
    assert_int_equal(token_count("aksk"), tokens + 2);

    /* The new token is cached for everyone. */
    login("low", &run, NULL, 0);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_int_equal(token_count("aksk"), tokens + 2);
    assert_int_equal(stat_number("quota_denied"), denied + 1);
}

static void test_suspended_account(void **state)
{
    struct pam_run run;
    char log[8192];
    long tokens = token_count("aksk"), quota_low = sim_quota_count(&sim, "low");

    write_creds("user = suspended\naccess_key = AKsusp01\nsecret_key = SKsusp01secret\n");
    token_conf("aksk", "fail = open");
    login("low", &run, log, sizeof(log));
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_info(&run), "");
    assert_string_equal(joined_err(&run), "");
    assert_non_null(strstr(log, "account suspended: no token for region hefei (11250), kunshan "
                                "(11251)"));
    token_conf("aksk", "fail = closed");
    login("low", &run, log, sizeof(log));
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_string_equal(joined_err(&run), UNCHECKED_REFUSAL);
    assert_non_null(strstr(log, "account suspended"));
    /* Asked the token service each time; never sent a quota request without a token. */
    assert_int_equal(token_count("aksk"), tokens + 2);
    assert_int_equal(sim_quota_count(&sim, "low"), quota_low);
}

static void test_bad_signature(void **state)
{
    struct pam_run run;
    char log[8192];
    long tokens = token_count("aksk"), quota_low = sim_quota_count(&sim, "low");

    write_creds("user = tokop\naccess_key = AKtokop01\nsecret_key = not-the-secret\n");
    token_conf("aksk", "fail = closed");
    login("low", &run, log, sizeof(log));
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_string_equal(joined_err(&run), UNCHECKED_REFUSAL);
    assert_non_null(strstr(log, "token service refused: code 10008"));
    assert_non_null(strstr(log, "signature mismatch"));
    assert_null(strstr(log, "not-the-secret"));
    assert_int_equal(token_count("aksk"), tokens + 1);
    assert_int_equal(sim_quota_count(&sim, "low"), quota_low);
}

static void test_service_down_keeps_valid_token(void **state)
{
    struct pam_run run;
    char log[8192];
    char expected[256];
    long tokens = token_count("aksk");

    aksk_creds();
    token_conf("aksk", "fail = closed");
    login("near", &run, NULL, 0);
    assert_near_banner(&run);
    sim_http(&sim, "POST", "/_sim/token-service", "{\"down\":true}");
    /* Inside the renew window: renewal fails, the token still valid is used. */
    token_conf("aksk", "fail = closed\ntoken_renew_before = 3700");
    login("near", &run, log, sizeof(log));
    assert_near_banner(&run);
    snprintf(expected, sizeof(expected),
             "token: renewal failed (token service: HTTP status 503 from "
             "https://127.0.0.1:%d/api/user/v3/tokens); using the cached token, ",
             sim.https_port);
    assert_non_null(strstr(log, expected));
    login("low", &run, NULL, 0);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_int_equal(token_count("aksk"), tokens + 3);
    sim_http(&sim, "POST", "/_sim/token-service", "{\"down\":false}");
}

static void test_service_down_without_token(void **state)
{
    struct pam_run run;
    char log[8192];
    char expected[256];
    long quota_low = sim_quota_count(&sim, "low");

    aksk_creds();
    sim_http(&sim, "POST", "/_sim/token-service", "{\"down\":true}");
    token_conf("aksk", "fail = open");
    login("low", &run, log, sizeof(log));
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_string_equal(joined_info(&run), "");
    /* The decision line names the URL that failed. */
    snprintf(
        expected, sizeof(expected),
        "reason=\"token service: HTTP status 503 from https://127.0.0.1:%d/api/user/v3/tokens\"",
        sim.https_port);
    assert_non_null(strstr(log, expected));
    token_conf("aksk", "fail = closed");
    login("low", &run, NULL, 0);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_string_equal(joined_err(&run), UNCHECKED_REFUSAL);
    assert_int_equal(sim_quota_count(&sim, "low"), quota_low);
    sim_http(&sim, "POST", "/_sim/token-service", "{\"down\":false}");
}

static void test_password_mode(void **state)
{
    struct pam_run run;
    char log[8192];
    long by_password = token_count("password"), by_aksk = token_count("aksk");

    write_creds("user = pwop\npassword = " PASSWORD "\norg_id = ORG42\n");
    token_conf("password", "");
    login("near", &run, NULL, 0);
    assert_near_banner(&run);
    login("near", &run, NULL, 0);
    assert_near_banner(&run);
    assert_int_equal(token_count("password"), by_password + 1);
    assert_int_equal(token_count("aksk"), by_aksk);

    /* Edited credentials are tried at the next login; when the service refuses them the
     * token still valid keeps logins working, with a warning... */
    write_creds("user = pwop\npassword = " PASSWORD "\norg_id = ORG43\n");
    token_conf("password", "fail = closed");
    login("near", &run, log, sizeof(log));
    assert_near_banner(&run);
    assert_non_null(strstr(log, "token: renewal failed (token service refused: code 10008"));
    assert_int_equal(token_count("password"), by_password + 2);
    /* ...and without one, fail decides. */
    fresh(state);
    login("near", &run, log, sizeof(log));
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_string_equal(joined_err(&run), UNCHECKED_REFUSAL);
    assert_non_null(strstr(log, "token service refused: code 10008"));
}

static void test_cluster_choice(void **state)
{
    struct pam_run run;
    char log[8192];

    aksk_creds();
    token_conf("aksk", "cluster = kunshan");
    login("near", &run, NULL, 0);
    assert_near_banner(&run);
    token_conf("aksk", "cluster = 11250\nfail = closed");
    login("near", &run, NULL, 0);
    assert_near_banner(&run);
    /* The platform token (clusterId 0) is refused by the quota API. */
    fresh(state);
    token_conf("aksk", "cluster = ac\nfail = closed");
    login("near", &run, log, sizeof(log));
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    token_conf("aksk", "cluster = wuxi\nfail = closed");
    fresh(state);
    login("near", &run, log, sizeof(log));
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_non_null(strstr(log, "no region 'wuxi' in the token service's reply (it offers: "
                                "ac (0), hefei (11250), kunshan (11251))"));
}

/* Path of the token's file in the cache directory with this suffix (".cache", ".lock"). */
static void token_file_path(const char *suffix, char *out, size_t outlen)
{
    DIR *d = opendir(token_cache);
    struct dirent *e;
    int found = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (strstr(e->d_name, "token%3A") && len > strlen(suffix) &&
            strcmp(e->d_name + len - strlen(suffix), suffix) == 0) {
            snprintf(out, outlen, "%s/%s", token_cache, e->d_name);
            found++;
        }
    }
    closedir(d);
    assert_int_equal(found, 1);
}

/* A login stopped while it holds the token lock (before the su rule, a user could stop their
 * own setuid su there). Other logins must not wait for it while a valid token is cached, and
 * without one only for a third of timeout, after which they fetch a token of their own. The
 * lock is held here with flock and stamped, as a holder does. */
static void test_stopped_lock_holder(void **state)
{
    struct pam_run run;
    char log[8192], path[1000];
    long tokens = token_count("aksk");
    double start, ms;
    int held;

    aksk_creds();
    token_conf("aksk", "fail = closed");
    login("near", &run, NULL, 0);
    assert_near_banner(&run);
    token_file_path(".lock", path, sizeof(path));
    held = open(path, O_RDWR | O_CLOEXEC);
    assert_true(held >= 0);
    assert_int_equal(flock(held, LOCK_EX | LOCK_NB), 0);
    assert_int_equal(futimens(held, NULL), 0); /* the lease starts now, as a holder's does */

    /* Inside the renew window (every use would renew): the cached token, at once. */
    token_conf("aksk", "fail = closed\ntoken_renew_before = 3700");
    start = now_ms();
    login("near", &run, log, sizeof(log));
    ms = now_ms() - start;
    assert_near_banner(&run);
    if (ms > 1500)
        fail_msg("login took %.0f ms with the token lock held and a valid token", ms);
    assert_int_equal(token_count("aksk"), tokens + 1);

    /* No usable token: a third of timeout (2 s of 6) for the lock, then this login fetches a
     * token of its own and gets its answer within its budget, even with fail = closed. */
    token_file_path(".cache", path, sizeof(path));
    assert_int_equal(unlink(path), 0);
    /* (No stale quota answer standing in either: only a fresh answer gives the banner.) */
    token_conf("aksk", "fail = closed\nstale_ttl = 0\ntimeout = 6");
    start = now_ms();
    login("near", &run, log, sizeof(log));
    ms = now_ms() - start;
    assert_near_banner(&run);
    if (ms < 1500 || ms > 5500)
        fail_msg("went on without the lock after %.0f ms of 6000 (expected a third)", ms);
    assert_int_equal(token_count("aksk"), tokens + 2);
    close(held);
}

/* The token service answers too slowly: renewal gets half of timeout, then the token still
 * valid is used and the quota request has the rest. */
static void test_renewal_timeout_keeps_valid_token(void **state)
{
    struct pam_run run;
    char log[8192];
    long tokens = token_count("aksk"), quota_near;

    aksk_creds();
    /* stale_ttl = 0: no old quota answer can stand in for the one this login must get. */
    token_conf("aksk", "fail = closed\nstale_ttl = 0\ntoken_renew_before = 3700");
    login("near", &run, NULL, 0);
    assert_near_banner(&run);
    sim_http(&sim, "POST", "/_sim/token-service", "{\"delay\":10}");
    quota_near = sim_quota_count(&sim, "near");
    login("near", &run, log, sizeof(log));
    assert_near_banner(&run);
    assert_non_null(strstr(log, "token: renewal failed (token service: timeout after "));
    assert_int_equal(sim_quota_count(&sim, "near"), quota_near + 1);
    assert_int_equal(token_count("aksk"), tokens + 2);
    sim_http(&sim, "POST", "/_sim/token-service", "{\"delay\":0}");
}

/* N parallel logins, one process each (like sshd), through session_child and the real
 * libpam, with a cold token cache: one token request. */
static void test_burst_makes_one_token_request(void **state)
{
    enum { N = 20 };
    struct child_result results[N];
    char names[N][32];
    const char *users[N];
    long tokens = token_count("aksk");

    aksk_creds();
    /* Twenty logins at once on two cores: room for a busy machine (the bound below still
     * shows nobody waited past the timeout). A later key wins over token_conf's. */
    char extra[128];

    snprintf(extra, sizeof(extra), "warn = 0\nfail = closed\ntimeout = %d",
             10 * unit_time_factor());
    token_conf("aksk", extra);
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]), "bench%d", i + 1);
        users[i] = names[i];
    }
    sessions_at_once(users, N, results);
    for (int i = 0; i < N; i++) {
        if (results[i].status != 0 || !strstr(results[i].out, "42.0 GB of 700.0 GB"))
            fail_msg("session %d: PAM code %d: %s", i, results[i].status, results[i].out);
        if (results[i].ms > (10000 + 1000) * unit_time_factor())
            fail_msg("session %d waited %.0f ms", i, results[i].ms);
    }
    assert_int_equal(token_count("aksk"), tokens + 1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, fresh)
    const struct CMUnitTest tests[] = {
        T(test_first_token_then_reused),
        T(test_renewed_before_expiry),
        T(test_new_token_after_10008),
        T(test_suspended_account),
        T(test_bad_signature),
        T(test_service_down_keeps_valid_token),
        T(test_service_down_without_token),
        T(test_password_mode),
        T(test_cluster_choice),
        T(test_burst_makes_one_token_request),
        T(test_stopped_lock_holder),
        T(test_renewal_timeout_keeps_valid_token),
    };
#undef T
    return cmocka_run_group_tests_name("pam_token", tests, setup, NULL);
}
