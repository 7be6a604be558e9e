/* The shipped example configuration loads without error and states the real defaults. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

/* Copy the example to a private temp file: the check under test is the content, not the
 * mode the checkout happened to give the file. */
static void copy_example(char *path, size_t len)
{
    const char *src_dir = getenv("SCNET_SOURCE_DIR");
    char src[1024], buf[4096];
    FILE *in, *out;
    size_t n;
    int fd;

    assert_non_null(src_dir);
    snprintf(src, sizeof(src), "%s/etc/pam_scnet_quota.conf.example", src_dir);
    snprintf(path, len, "/tmp/scnet-example-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    in = fopen(src, "r");
    assert_non_null(in);
    out = fdopen(fd, "w");
    assert_non_null(out);
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static void test_example_loads_with_the_defaults(void **state)
{
    struct scnet_config cfg, defaults;
    char path[64], arg[80], err[1024] = "";
    const char *argv[1] = {arg};

    copy_example(path, sizeof(path));
    snprintf(arg, sizeof(arg), "conf=%s", path);
    if (!config_load(&cfg, 1, argv, err, sizeof(err)))
        fail_msg("the example does not load: %s", err);
    unlink(path);
    config_defaults(&defaults);
    assert_string_equal(cfg.url, "https://scnet-demo.accloud.cn");
    /* Everything else in the example is commented out: the defaults it documents. */
    assert_int_equal(cfg.timeout_ms, defaults.timeout_ms);
    assert_true(cfg.warn == defaults.warn && cfg.deny == defaults.deny);
    assert_int_equal(cfg.fail, defaults.fail);
    assert_int_equal(cfg.cache_ttl, defaults.cache_ttl);
    assert_int_equal(cfg.stale_ttl, defaults.stale_ttl);
    assert_string_equal(cfg.token_file, defaults.token_file);
    assert_string_equal(cfg.cache_dir, defaults.cache_dir);
    config_free(&cfg);
    config_free(&defaults);
}

/* Each commented key line "#key = value" is a valid setting once uncommented. */
static void test_every_commented_key_is_valid(void **state)
{
    const char *src_dir = getenv("SCNET_SOURCE_DIR");
    char src[1024], line[1024], empty[64] = "/tmp/scnet-empty-XXXXXX", conf_arg[80];
    int keys = 0, fd = mkstemp(empty);
    FILE *in;

    /* An empty config file of our own, so only the argument under test counts. */
    assert_true(fd >= 0);
    close(fd);
    snprintf(conf_arg, sizeof(conf_arg), "conf=%s", empty);

    snprintf(src, sizeof(src), "%s/etc/pam_scnet_quota.conf.example", src_dir);
    in = fopen(src, "r");
    assert_non_null(in);
    while (fgets(line, sizeof(line), in)) {
        struct scnet_config cfg;
        char *eq, arg[1100], err[1024] = "";
        const char *argv[3] = {conf_arg, "url=https://api.example.org", arg};
        if (line[0] != '#' || line[1] == ' ' || line[1] == '\n' || !(eq = strchr(line, '=')))
            continue;
        line[strcspn(line, "\n")] = '\0';
        /* "#key = value" -> "key=value", as a module argument. */
        *eq = '\0';
        snprintf(arg, sizeof(arg), "%.*s=%s", (int)strcspn(line + 1, " "), line + 1,
                 eq + 1 + strspn(eq + 1, " "));
        if (!config_load(&cfg, 3, argv, err, sizeof(err)))
            fail_msg("'%s' from the example is refused: %s", arg, err);
        config_free(&cfg);
        keys++;
    }
    fclose(in);
    unlink(empty);
    assert_true(keys >= 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_loads_with_the_defaults),
        cmocka_unit_test(test_every_commented_key_is_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
