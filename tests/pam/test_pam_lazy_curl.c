/* A login answered from the cache must not pay for loading libcurl and its TLS stack: after
 * a cache-hit session no libcurl is mapped in the process; after a cache miss it is. */
#include "pam_test_support.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"

static struct sim_info sim;

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

static void test_cache_hit_does_not_load_libcurl(void **state)
{
    const char *body = "{\"code\":\"0\",\"msg\":\"success\",\"data\":[{\"username\":\"lazy\","
                       "\"path\":\"/public/home/lazy\",\"threshold\":700,\"usage\":651.0}]}";
    char dir[600], path[700], err[256] = "";
    struct pam_run run;
    int dirfd;

    sim_info_load(&sim);
    set_conf_prefix("cache_ttl = 300\n");
    snprintf(dir, sizeof(dir), "%s/cache", sim.run_dir);
    dirfd = cache_dir_open(dir, geteuid(), err, sizeof(err));
    if (dirfd < 0)
        fail_msg("%s", err);
    assert_true(cache_write(dirfd, "lazy", body, strlen(body), time(NULL), err, sizeof(err)));
    close(dirfd);
    assert_false(libcurl_is_mapped());

    write_https_conf(&sim, "");
    run_pam("scnet", "lazy", PAMTEST_OPEN_SESSION, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_non_null(strstr(joined_info(&run), "/public/home/lazy  651.0 GB of 700.0 GB  93.0%"));
    assert_int_equal(sim_quota_count(&sim, "lazy"), 0);
    assert_false(libcurl_is_mapped());

    /* The same check sees libcurl once a request was needed. */
    snprintf(path, sizeof(path), "%s/lazymiss.cache", dir);
    unlink(path);
    run_pam("scnet", "lazymiss", PAMTEST_OPEN_SESSION, 0, &run);
    assert_int_equal(run.rc, PAM_SUCCESS);
    assert_true(sim_quota_count(&sim, "lazymiss") >= 1);
    assert_true(libcurl_is_mapped());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_hit_does_not_load_libcurl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
