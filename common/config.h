/* Module configuration: one option table serves the config file and the pam.d arguments. */
#ifndef SCNET_CONFIG_H
#define SCNET_CONFIG_H

#include <stdbool.h>
#include <sys/types.h>

#define SCNET_DEFAULT_CONF "/etc/security/pam_scnet_quota.conf"
#define SCNET_DEFAULT_TOKEN_FILE "/etc/security/pam_scnet_quota.token"
#define SCNET_DEFAULT_CACHE_DIR "/var/cache/pam_scnet_quota"
#define SCNET_DEFAULT_CREDENTIALS_FILE "/etc/security/pam_scnet_quota.credentials"
/* SCNET_DEFAULT_HELPER: where the install rules put scnet-quota-fetch */
#include "paths.h"

enum scnet_fail_mode { SCNET_FAIL_OPEN, SCNET_FAIL_CLOSED };
enum scnet_lang { SCNET_LANG_AUTO, SCNET_LANG_EN, SCNET_LANG_ZH };
/* Where the token comes from: token_file, or the token service with AK/SK (v3) or password
 * (v2) credentials from credentials_file. */
enum scnet_auth { SCNET_AUTH_TOKEN_FILE, SCNET_AUTH_AKSK, SCNET_AUTH_PASSWORD };
/* Which sessions over deny are refused: all, or only those with a terminal (so scp, sftp
 * and `ssh host cmd` still let an over-quota user free space). */
enum scnet_deny_scope { SCNET_DENY_SCOPE_ALL, SCNET_DENY_SCOPE_TTY };

struct scnet_config {
    char *conf_path;  /* the file read (default SCNET_DEFAULT_CONF) */
    char *url;        /* base URL of the HPC API; required */
    char *token_file; /* first line is the token */
    long timeout_ms;  /* bound for the whole check */
    double warn;      /* percent; 0 = always show the usage */
    double deny;      /* percent; < 0 = never refuse */
    long warn_days;   /* warn when the trend is full within this many days; 0 = off */
    enum scnet_deny_scope deny_scope;
    enum scnet_fail_mode fail;
    char *cafile; /* NULL = system store */
    char *proxy;  /* NULL = no proxy, whatever the environment says */
    long min_uid;
    char *skip_users;  /* comma-separated, NULL = none */
    char *skip_groups; /* comma-separated, NULL = none */
    enum scnet_lang lang;
    char *contact; /* NULL = none */
    char *help;    /* the site's own line (URL, ticket address) on every banner; NULL = none */
    bool show_command_hint; /* the warning and the refusal end pointing to `scnet-quota` */
    bool debug;
    char *cache_dir; /* per-node answer cache */
    long cache_ttl;  /* seconds a good answer is reused; 0 = no cache */
    long stale_ttl;  /* seconds an old answer may stand in for a dead API; 0 = never */
    enum scnet_auth auth;
    char *auth_url;          /* base URL of the token service; NULL = url */
    char *credentials_file;  /* user + access_key/secret_key or password/org_id */
    char *cluster;           /* region (clusterId or clusterName); NULL = first regional one */
    long token_ttl;          /* seconds a token without expireTime is trusted */
    long token_renew_before; /* renew when fewer seconds than this remain */
    char *helper;            /* the network helper, scnet-quota-fetch */
    long offline_retry;      /* seconds logins skip the API after it failed; 0 = always ask */
    long refresh_window;     /* scnet-quota --refresh keeps users seen within this many seconds */
    long refresh_rate;       /* scnet-quota --refresh requests per second; 0 = unpaced */
    /* scnet-quota --now asks the API for a user at most once in this many seconds */
    long self_check_interval;
    uid_t owner; /* files must be owned by this uid (the process's euid) */
};

/* Fill cfg from the pam.d arguments and the config file they name (arguments win).
 * Always leaves cfg usable with defaults for whatever was not set (so `fail` is known even
 * on error). Returns false and writes one line naming the file, line and problem into err
 * on the first error. */
bool config_load(struct scnet_config *cfg, int argc, const char **argv, char *err, size_t errlen);

/* Check that cfg->helper is a regular executable file owned by cfg->owner and not writable
 * by group or others, reached through folders that pass safe_file_open_trusted all the way
 * from "/" (whoever could replace it, or any folder above it, would run code as root at
 * every login). False with "helper <path>: <problem>" in err, the problem naming the
 * folder at fault. Run by scnet-quota after config_load, for a clear configuration error;
 * the module leaves it to common/http.c, which checks the helper it runs (the same
 * descriptor) when a request is made: a cache hit touches neither file. */
bool config_check_helper(const struct scnet_config *cfg, char *err, size_t errlen);

/* Check cfg->cafile (if set) like the config file: owner, mode, no symlink, trusted folders
 * from "/". False with "cafile <path>: <problem>" in err. Run by scnet-quota after
 * config_load; in the module common/http.c checks the descriptor the helper reads. */
bool config_check_cafile(const struct scnet_config *cfg, char *err, size_t errlen);

/* Set every field to its default (owner = geteuid()). */
void config_defaults(struct scnet_config *cfg);

/* Free what config_load allocated. */
void config_free(struct scnet_config *cfg);

/* True when `name` appears in the comma-separated list (spaces around items ignored). */
bool config_list_contains(const char *list, const char *name);

/* Whether the len bytes at name look like a key name ([a-z_], 1 to 32 bytes), and may
 * therefore be echoed in an error. Anything else before a '=' may be a pasted secret
 * (base64 ends in '=' padding) and is never shown. */
bool config_looks_like_key(const char *name, size_t len);

#endif
