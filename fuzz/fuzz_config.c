/* libFuzzer harness: the configuration parser, both ways in.
 *
 * 1. The input is the config file: written to a private temporary file (mode 0600, owned by
 *    the euid, as config_load demands) and read with argv = { "conf=<that file>" }.
 * 2. The input, split at newlines, is the pam.d argument list (after the same conf=), so the
 *    option table is reached through apply_argument as well; a "conf=" line the fuzzer makes
 *    is pointed at the same file, so that no other file on the machine is ever read. */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz_check.h"
#include "url.h"

#define MAX_ARGS 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char conf_dir[PATH_MAX];
static char conf_path[PATH_MAX];
static char conf_arg[PATH_MAX + 8];

static void remove_conf(void)
{
    unlink(conf_path);
    rmdir(conf_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");

    (void)argc;
    (void)argv;
    snprintf(conf_dir, sizeof(conf_dir), "%s/scnet-fuzz-config.XXXXXX",
             tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
    if (mkdtemp(conf_dir) == NULL) {
        perror("mkdtemp");
        abort();
    }
    snprintf(conf_path, sizeof(conf_path), "%s/scnet.conf", conf_dir);
    snprintf(conf_arg, sizeof(conf_arg), "conf=%s", conf_path);
    atexit(remove_conf);
    return 0;
}

static void write_conf(const uint8_t *data, size_t size)
{
    int fd = open(conf_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    size_t done = 0;

    FUZZ_ASSERT(fd >= 0);
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        FUZZ_ASSERT(n > 0);
        done += (size_t)n;
    }
    FUZZ_ASSERT(close(fd) == 0);
}

/* What config_load promises whatever the input: a usable config, values in range. */
static void check_config(const struct scnet_config *cfg, bool ok, const char *err, size_t errlen)
{
    char why[256];

    FUZZ_ASSERT(cfg->conf_path != NULL && cfg->conf_path[0] == '/');
    FUZZ_ASSERT(cfg->timeout_ms >= 100 && cfg->timeout_ms <= 60000);
    FUZZ_ASSERT(cfg->warn >= 0 && cfg->warn <= 1000);
    FUZZ_ASSERT(cfg->deny == -1.0 || (cfg->deny > 0 && cfg->deny <= 1000));
    FUZZ_ASSERT(cfg->fail == SCNET_FAIL_OPEN || cfg->fail == SCNET_FAIL_CLOSED);
    FUZZ_ASSERT(cfg->min_uid >= 0 && cfg->min_uid <= (long)UINT_MAX);
    FUZZ_ASSERT(cfg->cache_ttl >= 0 && cfg->stale_ttl >= 0 && cfg->token_renew_before >= 0);
    FUZZ_ASSERT(cfg->token_ttl >= 60);
    if (cfg->url != NULL)
        FUZZ_ASSERT(base_url_is_allowed(cfg->url, why, sizeof(why)));
    if (cfg->auth_url != NULL)
        FUZZ_ASSERT(base_url_is_allowed(cfg->auth_url, why, sizeof(why)));
    FUZZ_ASSERT(cfg->token_file == NULL || cfg->token_file[0] == '/');
    FUZZ_ASSERT(cfg->cafile == NULL || cfg->cafile[0] == '/');
    FUZZ_ASSERT(cfg->cache_dir == NULL || cfg->cache_dir[0] == '/');
    FUZZ_ASSERT(cfg->credentials_file == NULL || cfg->credentials_file[0] == '/');
    /* Text values end up in logs, banners and libcurl options. */
    if (cfg->contact != NULL)
        fuzz_check_no_c0(cfg->contact, false);
    if (cfg->proxy != NULL)
        fuzz_check_no_c0(cfg->proxy, false);
    if (cfg->cluster != NULL)
        fuzz_check_no_c0(cfg->cluster, false);
    if (ok) {
        FUZZ_ASSERT(cfg->url != NULL);
    } else {
        fuzz_check_terminated(err, errlen); /* written only on failure */
        FUZZ_ASSERT(err[0] != '\0');
    }
    (void)config_list_contains(cfg->skip_users, "alice");
    (void)config_list_contains(cfg->skip_groups, "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scnet_config cfg;
    char err[512];
    const char *argv[MAX_ARGS + 1];
    int argc = 0;
    char *text;
    bool ok;

    write_conf(data, size);

    /* 1: the file. */
    argv[argc++] = conf_arg;
    memset(err, 'x', sizeof(err));
    ok = config_load(&cfg, argc, argv, err, sizeof(err));
    check_config(&cfg, ok, err, sizeof(err));
    config_free(&cfg);

    /* 2: the same bytes as pam.d arguments (libpam passes them NUL-terminated). */
    text = fuzz_cstring(data, size);
    if (text == NULL)
        return 0;
    for (char *line = text; line != NULL && argc < MAX_ARGS;) {
        char *nl = strchr(line, '\n');
        if (nl != NULL)
            *nl = '\0';
        argv[argc++] = strncmp(line, "conf=", 5) == 0 ? conf_arg : line;
        line = nl != NULL ? nl + 1 : NULL;
    }
    memset(err, 'x', sizeof(err));
    ok = config_load(&cfg, argc, argv, err, sizeof(err));
    check_config(&cfg, ok, err, sizeof(err));
    config_free(&cfg);
    free(text);
    return 0;
}
