/* Feeds one documentation example through the module's real parsers, for
 * tests/docs/test-doc-examples.py:
 *   doc_example_check config FILE [ARG...]  the file as the config file (conf=FILE), then
 *                                           ARGs as pam.d arguments (e.g. url= for an
 *                                           example that does not name one)
 *   doc_example_check credentials FILE      the file as the credentials file
 *   doc_example_check args ARG...           pam.d module arguments
 * Prints "ok" and then "key<TAB>value" for every key the parser keeps, whatever its type
 * (what it made of each line: the test compares it with the line; an unset text is printed
 * empty, timeout in milliseconds, a percent as %.17g or "off", an enum or boolean by its
 * name), or the parser's error; exit status 0 when the parser accepted it. The values are
 * documentation examples, never a real secret. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "credentials.h"

#define MAX_TEXT (64 * 1024)

static void print_value(const char *key, const char *value)
{
    printf("%s\t%s\n", key, value ? value : "");
}

static void print_long(const char *key, long value)
{
    printf("%s\t%ld\n", key, value);
}

/* %.17g: a double printed this way reads back as the same double. */
static void print_percent(const char *key, double value)
{
    if (value < 0)
        printf("%s\toff\n", key);
    else
        printf("%s\t%.17g\n", key, value);
}

static const char *auth_name(enum scnet_auth auth)
{
    switch (auth) {
    case SCNET_AUTH_AKSK:
        return "aksk";
    case SCNET_AUTH_PASSWORD:
        return "password";
    default:
        return "token_file";
    }
}

static const char *lang_name(enum scnet_lang lang)
{
    switch (lang) {
    case SCNET_LANG_EN:
        return "en";
    case SCNET_LANG_ZH:
        return "zh";
    default:
        return "auto";
    }
}

static int check_config(int argc, char **argv)
{
    struct scnet_config cfg;
    char err[1024] = "";
    bool ok;

    ok = config_load(&cfg, argc, (const char **)argv, err, sizeof(err));
    printf("%s\n", ok ? "ok" : err);
    if (ok) {
        print_value("url", cfg.url);
        print_value("token_file", cfg.token_file);
        print_long("timeout", cfg.timeout_ms);
        print_percent("warn", cfg.warn);
        print_percent("deny", cfg.deny);
        print_value("deny_scope", cfg.deny_scope == SCNET_DENY_SCOPE_TTY ? "tty" : "all");
        print_value("fail", cfg.fail == SCNET_FAIL_CLOSED ? "closed" : "open");
        print_value("cafile", cfg.cafile);
        print_value("proxy", cfg.proxy);
        print_long("min_uid", cfg.min_uid);
        print_value("skip_users", cfg.skip_users);
        print_value("skip_groups", cfg.skip_groups);
        print_value("lang", lang_name(cfg.lang));
        print_value("contact", cfg.contact);
        print_value("help", cfg.help);
        print_value("debug", cfg.debug ? "yes" : "no");
        print_value("cache_dir", cfg.cache_dir);
        print_long("cache_ttl", cfg.cache_ttl);
        print_long("stale_ttl", cfg.stale_ttl);
        print_value("auth", auth_name(cfg.auth));
        print_value("auth_url", cfg.auth_url);
        print_value("credentials_file", cfg.credentials_file);
        print_value("cluster", cfg.cluster);
        print_long("token_ttl", cfg.token_ttl);
        print_long("token_renew_before", cfg.token_renew_before);
        print_value("helper", cfg.helper);
        print_long("offline_retry", cfg.offline_retry);
        print_long("refresh_window", cfg.refresh_window);
        print_long("refresh_rate", cfg.refresh_rate);
        print_long("self_check_interval", cfg.self_check_interval);
    }
    config_free(&cfg);
    return ok ? 0 : 1;
}

static int check_credentials(const char *path)
{
    struct credentials creds;
    static char text[MAX_TEXT];
    char err[1024] = "";
    enum scnet_auth auth;
    size_t len;
    FILE *in = fopen(path, "re");
    bool ok;

    if (!in) {
        perror(path);
        return 2;
    }
    len = fread(text, 1, sizeof(text) - 1, in);
    fclose(in);
    text[len] = '\0';
    /* The example's own keys say which mode it is for. */
    auth = strstr(text, "access_key") || strstr(text, "secret_key") ? SCNET_AUTH_AKSK
                                                                    : SCNET_AUTH_PASSWORD;
    ok = credentials_parse(text, len, path, auth, &creds, err, sizeof(err));
    printf("%s\n", ok ? "ok" : err);
    if (ok) {
        print_value("user", creds.user);
        print_value("access_key", creds.access_key);
        print_value("secret_key", creds.secret_key);
        print_value("password", creds.password);
        print_value("org_id", creds.org_id);
    }
    credentials_wipe(&creds);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    char conf_arg[4200];

    if (argc >= 3 && strcmp(argv[1], "config") == 0) {
        snprintf(conf_arg, sizeof(conf_arg), "conf=%s", argv[2]);
        argv[2] = conf_arg;
        return check_config(argc - 2, argv + 2);
    }
    if (argc == 3 && strcmp(argv[1], "credentials") == 0)
        return check_credentials(argv[2]);
    if (argc >= 2 && strcmp(argv[1], "args") == 0)
        return check_config(argc - 2, argv + 2);
    fprintf(stderr, "usage: doc_example_check config FILE | credentials FILE | args ARG...\n");
    return 2;
}
