#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_line.h"
#include "safe_file.h"
#include "url.h"

#define CONFIG_MAX_SIZE (64 * 1024)
#define CONFIG_MAX_VALUE 1024

enum opt_type {
    OPT_URL,     /* char *, checked with base_url_is_allowed */
    OPT_PATH,    /* char *, absolute */
    OPT_TEXT,    /* char *, printable, may be empty (= unset) */
    OPT_SECONDS, /* long milliseconds from decimal seconds */
    OPT_PERCENT, /* double */
    OPT_PERCENT_OR_OFF,
    OPT_FAIL,
    OPT_LANG,
    OPT_UID,
    OPT_DURATION, /* long whole seconds, 0 allowed */
    OPT_BOOL,
    OPT_AUTH,
    OPT_LIFETIME, /* long whole seconds, LIFETIME_MIN to DURATION_MAX */
    OPT_DENY_SCOPE,
    OPT_RATE, /* long requests per second, 0 = unpaced, up to RATE_MAX */
    OPT_DAYS, /* long whole days, 0 to DAYS_MAX */
};

struct option_def {
    const char *name;
    enum opt_type type;
    size_t offset;
};

#define OPT(name, type, field)                                                                     \
    {                                                                                              \
        name, type, offsetof(struct scnet_config, field)                                           \
    }

/* The one table both the file and the pam.d arguments go through. */
static const struct option_def options[] = {
    OPT("url", OPT_URL, url),
    OPT("token_file", OPT_PATH, token_file),
    OPT("timeout", OPT_SECONDS, timeout_ms),
    OPT("warn", OPT_PERCENT, warn),
    OPT("deny", OPT_PERCENT_OR_OFF, deny),
    OPT("warn_days", OPT_DAYS, warn_days),
    OPT("deny_scope", OPT_DENY_SCOPE, deny_scope),
    OPT("fail", OPT_FAIL, fail),
    OPT("cafile", OPT_PATH, cafile),
    OPT("proxy", OPT_TEXT, proxy),
    OPT("min_uid", OPT_UID, min_uid),
    OPT("skip_users", OPT_TEXT, skip_users),
    OPT("skip_groups", OPT_TEXT, skip_groups),
    OPT("lang", OPT_LANG, lang),
    OPT("contact", OPT_TEXT, contact),
    OPT("help", OPT_TEXT, help),
    OPT("show_command_hint", OPT_BOOL, show_command_hint),
    OPT("debug", OPT_BOOL, debug),
    OPT("cache_dir", OPT_PATH, cache_dir),
    OPT("cache_ttl", OPT_DURATION, cache_ttl),
    OPT("stale_ttl", OPT_DURATION, stale_ttl),
    OPT("auth", OPT_AUTH, auth),
    OPT("auth_url", OPT_URL, auth_url),
    OPT("credentials_file", OPT_PATH, credentials_file),
    OPT("cluster", OPT_TEXT, cluster),
    OPT("token_ttl", OPT_LIFETIME, token_ttl),
    OPT("token_renew_before", OPT_DURATION, token_renew_before),
    OPT("helper", OPT_PATH, helper),
    OPT("offline_retry", OPT_DURATION, offline_retry),
    OPT("refresh_window", OPT_DURATION, refresh_window),
    OPT("refresh_rate", OPT_RATE, refresh_rate),
    OPT("self_check_interval", OPT_DURATION, self_check_interval),
};

/* pam.d files are world-readable: these never belong there. */
static const char *const secret_names[] = {"token",    "secret_key", "access_key",
                                           "password", "org_id",     "secret"};

#define TIMEOUT_MIN_MS 100
#define TIMEOUT_MAX_MS 60000
#define PERCENT_MAX 1000.0
#define DURATION_MAX (30 * 86400)
/* A token trusted for less than a minute would be fetched at nearly every login. */
#define LIFETIME_MIN 60
#define RATE_MAX 100000
/* A trend is said up to a year ahead (TREND_MAX_DAYS): warning earlier means nothing. */
#define DAYS_MAX 365

void config_defaults(struct scnet_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->conf_path = strdup(SCNET_DEFAULT_CONF);
    cfg->token_file = strdup(SCNET_DEFAULT_TOKEN_FILE);
    cfg->timeout_ms = 3000;
    cfg->warn = 90.0;
    cfg->deny = -1.0;
    cfg->fail = SCNET_FAIL_OPEN;
    cfg->min_uid = 1000;
    cfg->lang = SCNET_LANG_AUTO;
    cfg->show_command_hint = true;
    cfg->cache_dir = strdup(SCNET_DEFAULT_CACHE_DIR);
    cfg->cache_ttl = 300;
    cfg->stale_ttl = 86400;
    cfg->auth = SCNET_AUTH_TOKEN_FILE;
    cfg->credentials_file = strdup(SCNET_DEFAULT_CREDENTIALS_FILE);
    cfg->token_ttl = 43200;
    cfg->token_renew_before = 600;
    cfg->helper = strdup(SCNET_DEFAULT_HELPER);
    cfg->offline_retry = 30;
    cfg->refresh_window = 86400;
    cfg->refresh_rate = 20;
    cfg->self_check_interval = 60;
    cfg->owner = geteuid();
}

void config_free(struct scnet_config *cfg)
{
    char **strings[] = {&cfg->conf_path, &cfg->url,        &cfg->token_file,       &cfg->cafile,
                        &cfg->proxy,     &cfg->skip_users, &cfg->skip_groups,      &cfg->contact,
                        &cfg->cache_dir, &cfg->auth_url,   &cfg->credentials_file, &cfg->cluster,
                        &cfg->helper,    &cfg->help};
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        free(*strings[i]);
        *strings[i] = NULL;
    }
}

bool config_looks_like_key(const char *name, size_t len)
{
    if (len == 0 || len > 32)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || name[i] == '_'))
            return false;
    return true;
}

bool config_check_helper(const struct scnet_config *cfg, char *err, size_t errlen)
{
    const char *helper = cfg->helper != NULL ? cfg->helper : "(none)";
    struct stat st;
    int fd = -1;

    /* O_PATH: only its status is needed here (common/http.c runs it through its own walk). */
    if (!safe_file_open_trusted(helper, "helper", O_PATH, SAFE_FILE_CONFIG, cfg->owner, &fd, &st,
                                err, errlen))
        return false;
    close(fd);
    if (!(st.st_mode & S_IXUSR)) {
        snprintf(err, errlen, "helper %s: not executable", helper);
        return false;
    }
    return true;
}

bool config_list_contains(const char *list, const char *name)
{
    size_t name_len = strlen(name);

    while (list && *list) {
        const char *end = strchr(list, ',');
        size_t len = end ? (size_t)(end - list) : strlen(list);
        const char *item = list;
        size_t item_len = len;

        while (item_len > 0 && isspace((unsigned char)*item)) {
            item++;
            item_len--;
        }
        while (item_len > 0 && isspace((unsigned char)item[item_len - 1]))
            item_len--;
        if (item_len == name_len && item_len > 0 && memcmp(item, name, name_len) == 0)
            return true;
        list = end ? end + 1 : NULL;
    }
    return false;
}

/* Decimal "12", "0.5", "93.25": parsed by hand because strtod follows the host process's
 * locale, which may use a decimal comma. */
static bool parse_decimal(const char *s, double *out)
{
    double value = 0.0, scale = 1.0;
    bool digits = false, point = false;

    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s >= '0' && *s <= '9') {
            if (point) {
                scale /= 10.0;
                value += (*s - '0') * scale;
            } else {
                value = value * 10.0 + (*s - '0');
            }
            digits = true;
            /* Far above any percent, timeout or uid (UINT_MAX), yet exact in a double. */
            if (value > 1e12)
                return false;
        } else if (*s == '.' && !point) {
            point = true;
        } else {
            return false;
        }
    }
    *out = value;
    return digits;
}

static bool is_printable_text(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static bool set_string(char **field, const char *value)
{
    char *copy = *value ? strdup(value) : NULL;
    if (*value && !copy)
        return false;
    free(*field);
    *field = copy;
    return true;
}

/* Parse value for def into cfg; on error writes the problem (without location) into err. */
static bool apply_option(struct scnet_config *cfg, const struct option_def *def, const char *value,
                         char *err, size_t errlen)
{
    void *field = (char *)cfg + def->offset;
    double number;

    if (strlen(value) > CONFIG_MAX_VALUE) {
        snprintf(err, errlen, "%s: value longer than %d bytes", def->name, CONFIG_MAX_VALUE);
        return false;
    }
    if (!is_printable_text(value)) {
        snprintf(err, errlen, "%s: value holds control characters", def->name);
        return false;
    }
    switch (def->type) {
    case OPT_URL: {
        char why[200];
        if (!base_url_is_allowed(value, why, sizeof(why))) {
            snprintf(err, errlen, "%s: %s", def->name, why);
            return false;
        }
        break;
    }
    case OPT_PATH:
        if (value[0] != '/') {
            snprintf(err, errlen, "%s: '%.100s' is not an absolute path", def->name, value);
            return false;
        }
        break;
    case OPT_TEXT:
        break;
    case OPT_SECONDS:
        if (!parse_decimal(value, &number) || number * 1000.0 < TIMEOUT_MIN_MS ||
            number * 1000.0 > TIMEOUT_MAX_MS) {
            snprintf(err, errlen, "%s: '%.100s' is not a number of seconds from %.1f to %d",
                     def->name, value, TIMEOUT_MIN_MS / 1000.0, TIMEOUT_MAX_MS / 1000);
            return false;
        }
        *(long *)field = (long)(number * 1000.0 + 0.5);
        return true;
    case OPT_PERCENT_OR_OFF:
        if (strcmp(value, "off") == 0) {
            *(double *)field = -1.0;
            return true;
        }
        /* fall through */
    case OPT_PERCENT:
        if (!parse_decimal(value, &number) || number > PERCENT_MAX ||
            (def->type == OPT_PERCENT_OR_OFF && number <= 0.0)) {
            snprintf(err, errlen, "%s: '%.100s' is not a percent from %s to %.0f%s", def->name,
                     value, def->type == OPT_PERCENT ? "0" : "above 0", PERCENT_MAX,
                     def->type == OPT_PERCENT_OR_OFF ? ", or off" : "");
            return false;
        }
        *(double *)field = number;
        return true;
    case OPT_FAIL:
        if (strcmp(value, "open") == 0)
            *(enum scnet_fail_mode *)field = SCNET_FAIL_OPEN;
        else if (strcmp(value, "closed") == 0)
            *(enum scnet_fail_mode *)field = SCNET_FAIL_CLOSED;
        else {
            snprintf(err, errlen, "%s: '%.100s' is not open or closed", def->name, value);
            return false;
        }
        return true;
    case OPT_LANG:
        if (strcmp(value, "auto") == 0)
            *(enum scnet_lang *)field = SCNET_LANG_AUTO;
        else if (strcmp(value, "en") == 0)
            *(enum scnet_lang *)field = SCNET_LANG_EN;
        else if (strcmp(value, "zh") == 0)
            *(enum scnet_lang *)field = SCNET_LANG_ZH;
        else {
            snprintf(err, errlen, "%s: '%.100s' is not en, zh or auto", def->name, value);
            return false;
        }
        return true;
    case OPT_UID:
        if (!parse_decimal(value, &number) || strchr(value, '.') || number > (double)UINT_MAX) {
            snprintf(err, errlen, "%s: '%.100s' is not a uid", def->name, value);
            return false;
        }
        *(long *)field = (long)number;
        return true;
    case OPT_DURATION:
        if (!parse_decimal(value, &number) || strchr(value, '.') || number > DURATION_MAX) {
            snprintf(err, errlen, "%s: '%.100s' is not a whole number of seconds up to %d",
                     def->name, value, DURATION_MAX);
            return false;
        }
        *(long *)field = (long)number;
        return true;
    case OPT_LIFETIME:
        if (!parse_decimal(value, &number) || strchr(value, '.') || number < LIFETIME_MIN ||
            number > DURATION_MAX) {
            snprintf(err, errlen, "%s: '%.100s' is not a whole number of seconds from %d to %d",
                     def->name, value, LIFETIME_MIN, DURATION_MAX);
            return false;
        }
        *(long *)field = (long)number;
        return true;
    case OPT_RATE:
        if (!parse_decimal(value, &number) || strchr(value, '.') || number > RATE_MAX) {
            snprintf(err, errlen,
                     "%s: '%.100s' is not a whole number of requests per second up to %d",
                     def->name, value, RATE_MAX);
            return false;
        }
        *(long *)field = (long)number;
        return true;
    case OPT_DAYS:
        if (!parse_decimal(value, &number) || strchr(value, '.') || number > DAYS_MAX) {
            snprintf(err, errlen, "%s: '%.100s' is not a whole number of days up to %d", def->name,
                     value, DAYS_MAX);
            return false;
        }
        *(long *)field = (long)number;
        return true;
    case OPT_AUTH:
        if (strcmp(value, "token_file") == 0)
            *(enum scnet_auth *)field = SCNET_AUTH_TOKEN_FILE;
        else if (strcmp(value, "aksk") == 0)
            *(enum scnet_auth *)field = SCNET_AUTH_AKSK;
        else if (strcmp(value, "password") == 0)
            *(enum scnet_auth *)field = SCNET_AUTH_PASSWORD;
        else {
            snprintf(err, errlen, "%s: '%.100s' is not token_file, aksk or password", def->name,
                     value);
            return false;
        }
        return true;
    case OPT_DENY_SCOPE:
        if (strcmp(value, "all") == 0)
            *(enum scnet_deny_scope *)field = SCNET_DENY_SCOPE_ALL;
        else if (strcmp(value, "tty") == 0)
            *(enum scnet_deny_scope *)field = SCNET_DENY_SCOPE_TTY;
        else {
            snprintf(err, errlen, "%s: '%.100s' is not all or tty", def->name, value);
            return false;
        }
        return true;
    case OPT_BOOL:
        if (!strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "on") ||
            !strcmp(value, "1"))
            *(bool *)field = true;
        else if (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "off") ||
                 !strcmp(value, "0"))
            *(bool *)field = false;
        else {
            snprintf(err, errlen, "%s: '%.100s' is not yes or no", def->name, value);
            return false;
        }
        return true;
    }
    if (!set_string((char **)field, value)) {
        snprintf(err, errlen, "%s: out of memory", def->name);
        return false;
    }
    return true;
}

static const struct option_def *find_option(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
        if (strlen(options[i].name) == len && memcmp(options[i].name, name, len) == 0)
            return &options[i];
    return NULL;
}

/* The file the secret named name belongs in: a token in token_file, anything used to obtain
 * one in credentials_file. */
static const char *secret_home(const char *name, size_t len)
{
    if ((len == 5 && memcmp(name, "token", 5) == 0) || (len == 6 && memcmp(name, "secret", 6) == 0))
        return "token_file";
    return "credentials_file";
}

static bool is_secret_name(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(secret_names) / sizeof(secret_names[0]); i++)
        if (strlen(secret_names[i]) == len && memcmp(secret_names[i], name, len) == 0)
            return true;
    return false;
}

/* One line of the file; returns false with the problem in err. */
static bool parse_line(struct scnet_config *cfg, char *line, char *err, size_t errlen)
{
    struct conf_line parts;
    const struct option_def *def;
    char *key, *value;

    switch (conf_line_split(line, line + strlen(line), &parts)) {
    case CONF_LINE_EMPTY:
        return true;
    case CONF_LINE_NO_EQUALS:
        /* Not echoed: a line without '=' may well be a token pasted into the wrong file. */
        snprintf(err, errlen, "not a 'key = value' line");
        return false;
    case CONF_LINE_PAIR:
        break;
    }
    /* The line is ours to cut: the key ends at or before '=', the value after it. */
    key = (char *)parts.key;
    value = (char *)parts.value;
    key[parts.key_len] = '\0';
    value[parts.value_len] = '\0';
    def = find_option(key, strlen(key));
    if (!def) {
        if (is_secret_name(key, strlen(key)))
            snprintf(err, errlen, "'%s' cannot be set here; put %s in %s", key,
                     strcmp(secret_home(key, strlen(key)), "token_file") == 0 ? "the token" : "it",
                     secret_home(key, strlen(key)));
        else if (config_looks_like_key(key, strlen(key)))
            snprintf(err, errlen, "unknown key '%s'", key);
        else
            snprintf(err, errlen, "not a 'key = value' line");
        return false;
    }
    return apply_option(cfg, def, value, err, errlen);
}

/* Apply every line of the file; keep going after an error so later valid keys (`fail`
 * above all) still take effect, but report the first error: the one to fix first. */
static bool parse_file_text(struct scnet_config *cfg, char *text, size_t len, char *err,
                            size_t errlen)
{
    bool ok = true;
    unsigned line_no = 0;
    char problem[512];
    char *end = text + len; /* *end is the NUL safe_file_read adds */

    for (char *line = text; line;) {
        char *newline = memchr(line, '\n', (size_t)(end - line));
        size_t line_len = newline ? (size_t)(newline - line) : (size_t)(end - line);
        bool line_ok;

        line[line_len] = '\0';
        line_no++;
        /* A NUL byte spoils only its own line: the others (`fail` above all) still apply. */
        if (memchr(line, '\0', line_len)) {
            snprintf(problem, sizeof(problem), "line holds a NUL byte");
            line_ok = false;
        } else {
            line_ok = parse_line(cfg, line, problem, sizeof(problem));
        }
        if (!line_ok && ok) {
            snprintf(err, errlen, "%s:%u: %s", cfg->conf_path, line_no, problem);
            ok = false;
        }
        line = newline ? newline + 1 : NULL;
    }
    return ok;
}

static bool load_file(struct scnet_config *cfg, bool explicit_path, bool *missing, char *err,
                      size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    bool ok;

    ok = safe_file_read(cfg->conf_path, SAFE_FILE_CONFIG, cfg->owner, CONFIG_MAX_SIZE, &text, &len,
                        missing, err, errlen);
    if (!ok) {
        /* Without conf= the file is optional: everything may come from arguments. */
        if (*missing && !explicit_path)
            ok = true;
        return ok;
    }
    ok = parse_file_text(cfg, text, len, err, errlen);
    free(text);
    return ok;
}

static bool apply_argument(struct scnet_config *cfg, const char *arg, char *err, size_t errlen)
{
    const char *eq = strchr(arg, '=');
    size_t key_len = eq ? (size_t)(eq - arg) : strlen(arg);
    const struct option_def *def;
    char problem[512];

    if (strcmp(arg, "debug") == 0) {
        cfg->debug = true;
        return true;
    }
    if (is_secret_name(arg, key_len)) {
        snprintf(err, errlen,
                 "module argument '%.*s': secrets are refused on the pam.d line (it is "
                 "world-readable); use %s",
                 (int)key_len, arg, secret_home(arg, key_len));
        return false;
    }
    if (!eq) {
        snprintf(err, errlen, "module argument '%s': expected key=value", arg);
        return false;
    }
    if (key_len == 4 && memcmp(arg, "conf", 4) == 0)
        return true; /* handled before the file is read */
    def = find_option(arg, key_len);
    if (!def) {
        snprintf(err, errlen, "module argument '%.*s': unknown key", (int)key_len, arg);
        return false;
    }
    if (!apply_option(cfg, def, eq + 1, problem, sizeof(problem))) {
        snprintf(err, errlen, "module argument %s", problem);
        return false;
    }
    return true;
}

bool config_load(struct scnet_config *cfg, int argc, const char **argv, char *err, size_t errlen)
{
    bool ok = true, explicit_path = false, missing = false;
    char arg_err[768] = "";

    config_defaults(cfg);
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "conf=", 5) != 0)
            continue;
        explicit_path = true;
        if (argv[i][5] != '/') {
            snprintf(err, errlen, "module argument conf: '%.200s' is not an absolute path",
                     argv[i] + 5);
            ok = false;
        } else if (!set_string(&cfg->conf_path, argv[i] + 5)) {
            snprintf(err, errlen, "module argument conf: out of memory");
            ok = false;
        }
    }
    /* With a bad conf= the file meant is unknown: read none, but still apply the arguments
     * below, which may carry `fail`. */
    if (ok)
        ok = load_file(cfg, explicit_path, &missing, err, errlen);
    /* Arguments are applied even after a file error: they may carry `fail`. */
    for (int i = 0; i < argc; i++) {
        if (!apply_argument(cfg, argv[i], arg_err, sizeof(arg_err)) && ok) {
            snprintf(err, errlen, "%s", arg_err);
            ok = false;
        }
    }
    if (ok && !cfg->url) {
        snprintf(err, errlen, "no url set: give url = in %s%s or url= on the pam.d line",
                 cfg->conf_path, missing ? " (which does not exist)" : "");
        ok = false;
    }
    return ok;
}

bool config_check_cafile(const struct scnet_config *cfg, char *err, size_t errlen)
{
    /* The CA bundle decides which server is believed: whoever can write it (or replace it
     * in its directory) could make the module trust any server, as with the token file. */
    return !cfg->cafile ||
           safe_file_check_path(cfg->cafile, "cafile", SAFE_FILE_CONFIG, cfg->owner, err, errlen);
}
