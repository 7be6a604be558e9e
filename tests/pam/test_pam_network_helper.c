/* The network runs in scnet-quota-fetch, never in the login process: libcurl is not mapped
 * into it, cache hit or miss; a cache hit starts no process at all; a helper that is not
 * safe to run is a configuration error, which `fail` decides. The helper here is a wrapper
 * script that records each run, then execs the real one. */
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

#include "cache.h"
#include "unit_support.h"
#include "http.h"

static struct sim_info sim;
static char wrapper_dir[600], wrapper[700], runs_log[700];

static bool libcurl_is_mapped(void)
{
    char line[1024];
    bool found = false;
    FILE *maps = fopen("/proc/self/maps", "r");

    assert_non_null(maps);
    while (fgets(line, sizeof(line), maps))
        if (strstr(line, "libcurl"))
            found = true;
    fclose(maps);
    return found;
}

/* Lines in the wrapper's log: how many helpers were started. */
static int helper_runs(void)
{
    char line[64];
    int n = 0;
    FILE *f = fopen(runs_log, "r");

    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f))
        n++;
    fclose(f);
    return n;
}

/* No child of this process is left, running or zombie. */
static void assert_no_child_left(void)
{
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

/* Copy the file from to to (mode 0755 or 0644 as asked). */
static void copy_file(const char *from, const char *to, mode_t mode)
{
    char buf[65536];
    ssize_t n;
    int in = open(from, O_RDONLY | O_CLOEXEC), out;

    assert_true(in >= 0);
    out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    assert_true(out >= 0);
    while ((n = read(in, buf, sizeof(buf))) > 0)
        assert_int_equal(write(out, buf, (size_t)n), n);
    assert_int_equal(n, 0);
    assert_int_equal(fchmod(out, mode), 0);
    close(in);
    assert_int_equal(close(out), 0);
}

/* $run/helper-wrapper/scnet-quota-fetch: counting_helper.c, which appends a line to runs.log
 * and runs the real helper named in real-helper beside it. */
static void make_wrapper(void)
{
    const char *real = getenv("SCNET_TEST_HELPER"), *counting = getenv("SCNET_COUNTING_HELPER");
    char real_file[700], swap_file[700];
    int fd;

    assert_non_null(real);
    assert_non_null(counting);
    snprintf(wrapper_dir, sizeof(wrapper_dir), "%s/helper-wrapper", sim.run_dir);
    snprintf(wrapper, sizeof(wrapper), "%s/scnet-quota-fetch", wrapper_dir);
    snprintf(runs_log, sizeof(runs_log), "%s/runs.log", wrapper_dir);
    snprintf(real_file, sizeof(real_file), "%s/real-helper", wrapper_dir);
    (void)mkdir(wrapper_dir, 0700);
    assert_int_equal(chmod(wrapper_dir, 0700), 0);
    unlink(wrapper);
    unlink(runs_log);
    snprintf(swap_file, sizeof(swap_file), "%s/swap-ca", wrapper_dir);
    unlink(swap_file);
    fd = open(real_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, real, strlen(real)), (ssize_t)strlen(real));
    assert_int_equal(close(fd), 0);
    copy_file(counting, wrapper, 0700);
}

static void conf_with_helper_and_ca(const char *helper, const char *ca, const char *extra)
{
    char prefix[1200];

    snprintf(prefix, sizeof(prefix), "cache_ttl = 300\n%s", extra);
    set_conf_prefix(prefix);
    /* The later `helper =` wins over the one write_conf puts first. */
    write_conf(&sim,
               "url = https://127.0.0.1:%d\ntoken_file = %s\ncafile = %s\ntimeout = 2\n"
               "helper = %s\n",
               sim.https_port, sim.token_file, ca, helper);
}

static void conf_with_helper(const char *helper, const char *extra)
{
    conf_with_helper_and_ca(helper, sim.ca, extra);
}

static void test_cache_hit_starts_nothing_and_miss_keeps_libcurl_out(void **state)
{
    const char *body = "{\"code\":\"0\",\"msg\":\"success\",\"data\":[{\"username\":\"lazy\","
                       "\"path\":\"/public/home/lazy\",\"threshold\":700,\"usage\":651.0}]}";
    char dir[600], path[700], err[256] = "";
    struct pam_run run;
    int dirfd;

    sim_info_load(&sim);
    make_wrapper();
    snprintf(dir, sizeof(dir), "%s/cache", sim.run_dir);
    dirfd = cache_dir_open(dir, geteuid(), err, sizeof(err));
    if (dirfd < 0)
        fail_msg("%s", err);
    unit_cache_answer(dirfd, "lazy", body, time(NULL));
    close(dirfd);
    assert_false(libcurl_is_mapped());

    conf_with_helper(wrapper, "");
    run_pam("scnet", "lazy", PAMTEST_OPEN_SESSION, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_non_null(strstr(joined_info(&run), "/public/home/lazy  651.0 GB of 700.0 GB  93.0%"));
    assert_int_equal(sim_quota_count(&sim, "lazy"), 0);
    assert_int_equal(helper_runs(), 0);
    assert_false(libcurl_is_mapped());

    /* A miss: one helper, reaped; libcurl still only ever in the helper. */
    snprintf(path, sizeof(path), "%s/lazymiss.cache", dir);
    unlink(path);
    run_pam("scnet", "lazymiss", PAMTEST_OPEN_SESSION, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_true(sim_quota_count(&sim, "lazymiss") >= 1);
    assert_int_equal(helper_runs(), 1);
    assert_false(libcurl_is_mapped());
    assert_no_child_left();
    set_conf_prefix("");
}

/* A helper others could replace would run their code as root: refused before any request,
 * as a configuration error (fail = closed refuses, fail = open lets in). */
static void test_unsafe_or_missing_helper_is_a_config_error(void **state)
{
    struct pam_run run;
    char path[700];
    long before;

    sim_info_load(&sim);
    make_wrapper();
    snprintf(path, sizeof(path), "%s/cache/lazymiss.cache", sim.run_dir);
    unlink(path); /* a miss: the helper would be needed */
    before = sim_quota_count(&sim, "lazymiss");

    assert_int_equal(chmod(wrapper, 0720), 0); /* group-writable */
    conf_with_helper(wrapper, "fail = closed\n");
    run_pam("scnet", "lazymiss", PAMTEST_OPEN_SESSION, 0, &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    conf_with_helper(wrapper, "fail = open\n");
    run_pam("scnet", "lazymiss", PAMTEST_OPEN_SESSION, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);

    assert_int_equal(chmod(wrapper, 0700), 0);
    assert_int_equal(chmod(wrapper_dir, 0770), 0); /* its directory group-writable */
    conf_with_helper(wrapper, "fail = closed\n");
    run_pam("scnet", "lazymiss", PAMTEST_OPEN_SESSION, 0, &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    assert_int_equal(chmod(wrapper_dir, 0700), 0);

    conf_with_helper("/nonexistent/scnet-quota-fetch", "fail = closed\n");
    run_pam("scnet", "lazymiss", PAMTEST_OPEN_SESSION, 0, &run);
    assert_int_equal(run.rc, PAM_PERM_DENIED);

    assert_int_equal(helper_runs(), 0);
    assert_int_equal(sim_quota_count(&sim, "lazymiss"), before);

    /* The same file, made safe again, works. */
    conf_with_helper(wrapper, "fail = closed\n");
    run_pam("scnet", "lazymiss", PAMTEST_OPEN_SESSION, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_int_equal(helper_runs(), 1);
    set_conf_prefix("");
}

/* What the helper answers for url: one request (http_perform), then the same on a helper kept
 * for several (http_client_perform, the refresh run). The reason in err. */
static void fetch_both_ways(const char *url, enum http_result want, char *err, size_t errlen)
{
    const char *headers[] = {"token: sim-static-token", NULL};
    struct http_request req = {.method = "GET",
                               .url = url,
                               .headers = headers,
                               .timeout_ms = 5000,
                               .cafile = sim.ca,
                               .helper = getenv("SCNET_TEST_HELPER")};
    struct http_response resp = {0};
    struct http_client *client = NULL;

    assert_non_null(req.helper);
    assert_int_equal(http_perform(&req, &resp, err, errlen), want);
    http_response_free(&resp);
    assert_true(http_client_start(req.helper, req.cafile, &client, err, errlen));
    assert_int_equal(http_client_perform(client, &req, &resp, err, errlen), want);
    http_response_free(&resp);
    http_client_stop(client);
    assert_no_child_left();
}

/* The helper checks the host name, not only the chain: the simulator's certificate (names
 * localhost, 127.0.0.1, ::1), signed by the CA given as cafile, is refused at 127.0.0.2. */
static void test_helper_refuses_a_certificate_for_another_name(void **state)
{
    char url[128], err[512] = "";

    sim_info_load(&sim);
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/_sim/stats", sim.https_port);
    fetch_both_ways(url, HTTP_OK, err, sizeof(err));
    snprintf(url, sizeof(url), "https://" MISNAMED_ADDRESS ":%d/_sim/stats",
             sim_misnamed_https_port(&sim));
    fetch_both_ways(url, HTTP_TLS, err, sizeof(err));
    print_message("reason: %s\n", err);
    assert_non_null(strstr(err, "TLS failure: "));
    /* libcurl's words for a name missing from the certificate, whatever its TLS library */
    assert_non_null(strstr(err, "subject name"));
    assert_non_null(strstr(err, "'" MISNAMED_ADDRESS "'"));
}

/* The helper and cafile in a root-owned folder, inside a folder a user owns: the files and
 * their own folder pass the old check, but the user could swap the folder below theirs
 * between the check and the use. Refused (fail = closed: denied), the folder named in the
 * log, no request made; with that folder root's again, the same files work. */
static void test_helper_and_cafile_under_a_users_folder_refused(void **state)
{
    struct pam_run run;
    char user_dir[700], lib[720], helper[760], ca[760], path[700], log[16384], want[2048];
    long before;

    (void)state;
    if (geteuid() != 0)
        skip(); /* chown to another user */
    sim_info_load(&sim);
    snprintf(user_dir, sizeof(user_dir), "%s/users-folder", sim.run_dir);
    snprintf(lib, sizeof(lib), "%s/lib", user_dir);
    snprintf(helper, sizeof(helper), "%s/scnet-quota-fetch", lib);
    snprintf(ca, sizeof(ca), "%s/ca.pem", lib);
    (void)mkdir(user_dir, 0755);
    (void)mkdir(lib, 0755);
    assert_int_equal(chmod(user_dir, 0755), 0);
    assert_int_equal(chmod(lib, 0755), 0);
    copy_file(getenv("SCNET_TEST_HELPER"), helper, 0755);
    copy_file(sim.ca, ca, 0644);
    assert_int_equal(chown(user_dir, 4242, 4242), 0);
    snprintf(path, sizeof(path), "%s/cache/lazymiss.cache", sim.run_dir);
    unlink(path);
    before = sim_quota_count(&sim, "lazymiss");

    conf_with_helper(helper, "fail = closed\n");
    run_pam_logged("scnet", "lazymiss", &run, log, sizeof(log));
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    snprintf(want, sizeof(want),
             "helper %s: directory %s: owned by uid 4242, must be owned by root", helper, user_dir);
    assert_non_null(strstr(log, want));

    set_conf_prefix("cache_ttl = 300\nfail = closed\n");
    write_conf(&sim, "url = https://127.0.0.1:%d\ntoken_file = %s\ncafile = %s\ntimeout = 2\n",
               sim.https_port, sim.token_file, ca);
    run_pam_logged("scnet", "lazymiss", &run, log, sizeof(log));
    assert_int_equal(run.rc, PAM_PERM_DENIED);
    snprintf(want, sizeof(want),
             "cafile %s: directory %s: owned by uid 4242, must be owned by root", ca, user_dir);
    assert_non_null(strstr(log, want));
    assert_int_equal(sim_quota_count(&sim, "lazymiss"), before);

    /* The same files, the folder root's again: a request is made and answered. */
    assert_int_equal(chown(user_dir, 0, 0), 0);
    conf_with_helper_and_ca(helper, ca, "fail = closed\n");
    run_pam_logged("scnet", "lazymiss", &run, log, sizeof(log));
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_int_equal(sim_quota_count(&sim, "lazymiss"), before + 1);
    set_conf_prefix("");
}

/* The stand-in helper, when it starts, renames `then` over ca, which holds `checked` now: the
 * caller checks one file, and the name holds another by the time the helper reads it. */
static void arm_ca_swap(const char *ca, const char *checked, const char *then)
{
    char moved[800], swap[700], lines[1700];
    int fd;

    snprintf(moved, sizeof(moved), "%s.new", ca);
    copy_file(checked, ca, 0644);
    copy_file(then, moved, 0644);
    snprintf(swap, sizeof(swap), "%s/swap-ca", wrapper_dir);
    snprintf(lines, sizeof(lines), "%s\n%s\n", moved, ca);
    fd = open(swap, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, lines, strlen(lines)), (ssize_t)strlen(lines));
    assert_int_equal(close(fd), 0);
}

/* One GET of url with cafile ca through the stand-in helper: a helper for the request
 * (http_perform), or a kept one (http_client_start, the refresh run). */
static enum http_result fetch_with_ca(const char *url, const char *ca, bool kept, char *err,
                                      size_t errlen)
{
    const char *headers[] = {"token: sim-static-token", NULL};
    struct http_request req = {.method = "GET",
                               .url = url,
                               .headers = headers,
                               .timeout_ms = 5000,
                               .cafile = ca,
                               .helper = wrapper};
    struct http_response resp = {0};
    struct http_client *client = NULL;
    enum http_result rc;

    if (!kept) {
        rc = http_perform(&req, &resp, err, errlen);
    } else {
        assert_true(http_client_start(wrapper, ca, &client, err, errlen));
        rc = http_client_perform(client, &req, &resp, err, errlen);
        http_client_stop(client);
    }
    http_response_free(&resp);
    assert_no_child_left();
    return rc;
}

/* Whether the file at path starts with text. */
static bool file_starts_with(const char *path, const char *text)
{
    char buf[256] = "";
    FILE *f = fopen(path, "re");

    assert_non_null(f);
    assert_non_null(fgets(buf, sizeof(buf), f));
    fclose(f);
    return strncmp(buf, text, strlen(text)) == 0;
}

/* What the helper trusts is the CA file the caller opened and checked, read through that
 * descriptor, never opened again by name: the stand-in helper renames another file over
 * cafile after the check, before the real helper reads it (what a user who swaps a folder
 * above it does). The simulator's CA checked, "not a certificate" at the path by then: the
 * login and both kinds of helper get their answer. The other way round: a TLS failure. */
static void test_cafile_read_is_the_one_checked(void **state)
{
    char dir[650], ca[700], bad[700], url[128], path[700], log[16384], err[512] = "";
    const char *not_a_cert = "not a certificate\n";
    struct pam_run run;
    long before;
    int fd;

    (void)state;
    sim_info_load(&sim);
    make_wrapper();
    snprintf(dir, sizeof(dir), "%s/ca-swap", sim.run_dir);
    snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
    snprintf(bad, sizeof(bad), "%s/bad.pem", dir);
    (void)mkdir(dir, 0755);
    assert_int_equal(chmod(dir, 0755), 0);
    fd = open(bad, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, not_a_cert, strlen(not_a_cert)), (ssize_t)strlen(not_a_cert));
    assert_int_equal(close(fd), 0);

    /* A login that asks the API (a miss), fail = closed. */
    snprintf(path, sizeof(path), "%s/cache/lazymiss.cache", sim.run_dir);
    unlink(path);
    before = sim_quota_count(&sim, "lazymiss");
    arm_ca_swap(ca, sim.ca, bad);
    conf_with_helper_and_ca(wrapper, ca, "fail = closed\n");
    run_pam_logged("scnet", "lazymiss", &run, log, sizeof(log));
    print_message("log: %s\n", log);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_int_equal(helper_runs(), 1);
    assert_true(file_starts_with(ca, "not a certificate")); /* the swap did happen */
    assert_int_equal(sim_quota_count(&sim, "lazymiss"), before + 1);
    set_conf_prefix("");

    snprintf(url, sizeof(url), "https://127.0.0.1:%d/_sim/stats", sim.https_port);
    for (int kept = 0; kept <= 1; kept++) {
        arm_ca_swap(ca, sim.ca, bad);
        assert_int_equal(fetch_with_ca(url, ca, kept, err, sizeof(err)), HTTP_OK);
        assert_true(file_starts_with(ca, "not a certificate"));

        arm_ca_swap(ca, bad, sim.ca);
        assert_int_equal(fetch_with_ca(url, ca, kept, err, sizeof(err)), HTTP_TLS);
        print_message("reason: %s\n", err);
        assert_non_null(strstr(err, "TLS failure: "));
        assert_non_null(strstr(err, ca)); /* named by its path, not its descriptor */
        assert_true(file_starts_with(ca, "-----BEGIN CERTIFICATE-----"));
    }
    assert_int_equal(helper_runs(), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_hit_starts_nothing_and_miss_keeps_libcurl_out),
        cmocka_unit_test(test_unsafe_or_missing_helper_is_a_config_error),
        cmocka_unit_test(test_helper_refuses_a_certificate_for_another_name),
        cmocka_unit_test(test_helper_and_cafile_under_a_users_folder_refused),
        cmocka_unit_test(test_cafile_read_is_the_one_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
