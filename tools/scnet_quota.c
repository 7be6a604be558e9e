/* scnet-quota: run the module's pipeline for users from a shell, or check the setup.
 * Glue only: configuration, decision and text all come from common/, as in the module. */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "answer_text.h"
#include "cache.h"
#include "config.h"
#include "offline.h"
#include "paths.h"
#include "pam_service.h"
#include "pipeline.h"
#include "refresh.h"
#include "deadline.h"
#include "self_check.h"
#include "selinux_label.h"
#include "text.h"
#include "token.h"
#include "user_filter.h"
#include "user_record.h"
#include "version.h"

enum exit_status { EXIT_ALLOWED = 0, EXIT_REFUSED = 1, EXIT_ERROR = 2 };

struct options {
    const char *conf;
    const char *lang;
    bool json;
    bool no_cache;
    bool check;
    bool verbose;
    const char *service; /* --service: take the module's arguments from this PAM service */
    /* --pam-dir, in the order given: where its files are looked up (default: where the
     * host's Linux-PAM looks) */
    const char *pam_dirs[PAM_SERVICE_MAX_DIRS + 1];
    size_t pam_dir_count;
    bool refresh;
    bool forget;
    bool forget_all;
    bool list;
    double over;            /* --list --over PERCENT; < 0 = everyone */
    const char *records;    /* an ordinary user's own record: its folder (default: the default
                             * cache folder's record folder) */
    bool now;               /* --now: a fresh answer from the service (the client) */
    bool serve_now;         /* --serve-now: that service, for the peer of standard input */
    const char *now_socket; /* the client's socket (default NOW_SOCKET_DEFAULT) */
    /* --serve-now: the language of the client's locale (its request's auto-en, auto-zh) */
    enum scnet_lang locale_lang;
};

/* Where pam-scnet-quota-now.socket listens (packaging/systemd). */
#define NOW_SOCKET_DEFAULT "/run/pam_scnet_quota/now.sock"
/* The service's reply ends with this line and the exit status: the client tells a whole
 * answer from a cut one by it. */
#define NOW_TRAILER "scnet-quota-now status "
/* The one request line the service reads ("json"; "en" or "zh": --lang; "auto-en" or "auto-zh":
 * the client's locale, below the node's lang setting; the rest is ignored). */
#define NOW_REQUEST_MAX 256
#define NOW_REQUEST_WAIT_MS 2000
/* What a reply may hold, and how long the client waits for it: the unit stops the service
 * after RuntimeMaxSec=30s, a check takes at most its timeout (60 s at most). */
#define NOW_REPLY_MAX 65536
#define NOW_CLIENT_WAIT_MS 90000

static void stderr_sink(void *ctx, int priority, const char *line)
{
    const struct options *opt = ctx;
    if (priority <= LOG_WARNING || opt->verbose)
        fprintf(stderr, "scnet-quota: %s\n", line);
}

/* Cache upkeep changes what logins see: it goes to syslog too (the admin's record), and to
 * stderr as for a check. */
static void upkeep_sink(void *ctx, int priority, const char *line)
{
    syslog(LOG_AUTHPRIV | (priority & LOG_PRIMASK), "%s", line);
    stderr_sink(ctx, priority, line);
}

static void usage(FILE *out)
{
    fputs("Usage: scnet-quota [--json] [--lang en|zh] [--records DIR]   (an ordinary user: yours)\n"
          "       scnet-quota --now [--json] [--lang en|zh]   (an ordinary user: yours, fresh)\n"
          "       scnet-quota [--service NAME] [--conf FILE] [--json] [--no-cache] [--lang en|zh]\n"
          "                   USER...\n"
          "       scnet-quota --check-config [--service NAME] [--conf FILE] [USER]\n"
          "       scnet-quota --refresh [--conf FILE]\n"
          "       scnet-quota --forget USER... | --forget-all [--conf FILE]\n"
          "       scnet-quota --list [--over PERCENT] [--json] [--conf FILE]\n"
          "\n"
          "Shows what USER would see at login and what pam_scnet_quota would decide, using\n"
          "the module's configuration, cache and text. Run by an ordinary user without a\n"
          "name: their own quota, as recorded at their last login or refresh.\n"
          "\n"
          "  -s, --service NAME  use the module's arguments from the PAM service NAME\n"
          "                      (/etc/pam.d/NAME, else /usr/lib/pam.d/NAME, following\n"
          "                      @include, include, substack), as that service's login does\n"
          "      --pam-dir DIR   look the service's files up in DIR instead (repeat to\n"
          "                      search several directories in order)\n"
          "  -c, --conf FILE     configuration file (default " SCNET_DEFAULT_CONF ")\n"
          "  -j, --json          one JSON object per user\n"
          "  -n, --no-cache      ask the API even when the cache holds a fresh answer\n"
          "  -l, --lang LANG     en or zh, for the banners and a user's own view (default:\n"
          "                      the lang key, else the locale)\n"
          "  -k, --check-config  check the configuration and the token, and with USER one\n"
          "                      API request for USER\n"
          "  -r, --refresh       renew the cached answers of users seen on this node within\n"
          "                      refresh_window, and delete those of users long gone\n"
          "  -f, --forget        drop the cached answers of the USERs\n"
          "  -F, --forget-all    drop every cached answer and the offline state (the token stays)\n"
          "  -L, --list          the users this node has answers for, fullest first: percent,\n"
          "                      path, age of the answer, what their next login gets\n"
          "      --over PERCENT  with --list: only users at or above PERCENT\n"
          "      --records DIR   an ordinary user's record folder (default\n"
          "                      " USER_RECORD_DEFAULT_DIR ")\n"
          "  -N, --now           an ordinary user: a fresh answer from the node's service\n"
          "                      (pam-scnet-quota-now.socket), at most one API request per\n"
          "                      self_check_interval; without the service, the record\n"
          "      --now-socket PATH  the service's socket (default " NOW_SOCKET_DEFAULT ")\n"
          "      --serve-now     that service: answer the user connected on standard input\n"
          "                      (run by pam-scnet-quota-now@.service, as root)\n"
          "  -v, --verbose       also print the log lines the module would send to syslog\n"
          "  -h, --help          this text\n"
          "  -V, --version       the version\n"
          "\n"
          "Exit status: 0 allowed, 1 refused, 2 configuration or API error, or not root.\n"
          "Your own quota: 0 your next login is let in (or no figures yet), 1 it is refused,\n"
          "2 the record cannot be read, another user's name was given, or --now's fresh\n"
          "check failed (the record is shown).\n"
          "--refresh: 0 done, 1 the API failed for every user due, 2 configuration error.\n",
          out);
}

/* The caller's message locale: what setlocale found, else the environment's (LC_ALL,
 * LC_MESSAGES, LANG, in POSIX's order) when that locale is not installed here: a user's
 * LANG=zh_CN.UTF-8 asks for Chinese on a node that has only C.UTF-8 too. */
static const char *caller_locale(void)
{
    static const char *const names[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    const char *value = setlocale(LC_MESSAGES, NULL);

    if (value && strcmp(value, "C") != 0 && strcmp(value, "POSIX") != 0)
        return value;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if ((value = getenv(names[i])) && *value)
            return value;
    return NULL;
}

/* The language of what a user reads, as the module picks a banner's: --lang (or the --now
 * request's), else the node's lang setting (site: the configuration's, or as the user's
 * record carries it), else the locale (for the service, the --now client's). */
static enum scnet_lang user_lang(const struct options *opt, enum scnet_lang site)
{
    if (opt->lang)
        return strcmp(opt->lang, "zh") == 0 ? SCNET_LANG_ZH : SCNET_LANG_EN;
    if (site != SCNET_LANG_AUTO)
        return site;
    if (opt->locale_lang != SCNET_LANG_AUTO)
        return opt->locale_lang;
    return text_pick_lang(SCNET_LANG_AUTO, caller_locale());
}

/* One line a user reads: prefix, then message id in lang with a and b in its places. */
static void say(FILE *out, const char *prefix, enum scnet_lang lang, enum text_message id,
                const char *a, const char *b)
{
    char *text = text_message(lang, id, a, b);

    fprintf(out, "%s%s\n", prefix, text ? text : "out of memory");
    free(text);
}

/* "scnet-quota: <reason>; showing the last record": a --now without a fresh answer. */
static void say_showing_last(FILE *out, enum scnet_lang lang, enum text_message reason,
                             const char *detail)
{
    char *text = text_message(lang, reason, detail, NULL);

    say(out, "scnet-quota: ", lang, TEXT_NOW_SHOWING_LAST, text ? text : "?", NULL);
    free(text);
}

/* The module's arguments, as the pam.d line gives them (line: the service's line, or NULL),
 * then --conf and --lang, which win as later arguments do. */
static bool load_config(const struct options *opt, const struct pam_module_line *line,
                        struct scnet_config *cfg, char *err, size_t errlen)
{
    char conf_arg[4200] = "", lang_arg[32] = "";
    const char **argv = calloc((size_t)(line ? line->argc : 0) + 2, sizeof(char *));
    int argc = 0;
    bool ok;

    if (!argv) {
        config_defaults(cfg);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (int i = 0; line && i < line->argc; i++)
        argv[argc++] = line->argv[i];
    if (opt->conf) {
        snprintf(conf_arg, sizeof(conf_arg), "conf=%s", opt->conf);
        argv[argc++] = conf_arg;
    }
    if (opt->lang) {
        snprintf(lang_arg, sizeof(lang_arg), "lang=%s", opt->lang);
        argv[argc++] = lang_arg;
    }
    ok = config_load(cfg, argc, argv, err, errlen) && config_check_helper(cfg, err, errlen) &&
         config_check_cafile(cfg, err, errlen);
    free(argv);
    return ok;
}

/* Whether the module's refusal on a line with this control ends the login: required and
 * requisite do; a [value=action ...] control does when perm_denied (else default) is bad
 * or die. optional and sufficient never do. */
static bool control_enforces(const char *control)
{
    const char *action;

    if (strcmp(control, "required") == 0 || strcmp(control, "requisite") == 0)
        return true;
    if (control[0] != '[')
        return false;
    action = strstr(control, "perm_denied=");
    if (action)
        action += strlen("perm_denied=");
    else if ((action = strstr(control, "default=")) != NULL)
        action += strlen("default=");
    else
        return false;
    return strncmp(action, "bad", 3) == 0 || strncmp(action, "die", 3) == 0;
}

/* Whether the line's own arguments turn deny off (the last deny= wins, as in config_load):
 * the pam-auth-update profile's line does. */
static bool line_is_warn_only(const struct pam_module_line *line)
{
    bool off = false;

    for (int i = 0; i < line->argc; i++)
        if (strncmp(line->argv[i], "deny=", 5) == 0)
            off = strcmp(line->argv[i] + 5, "off") == 0;
    return off;
}

/* Whether the line can refuse a login: its control enforces and its arguments keep deny. */
static bool line_can_refuse(const struct pam_module_line *line)
{
    return control_enforces(line->control) && !line_is_warn_only(line);
}

static void print_line(const char *prefix, const struct pam_module_line *line)
{
    fprintf(stderr, "%s%s:%u: %s %s pam_scnet_quota.so", prefix, line->file, line->line, line->type,
            line->control);
    for (int i = 0; i < line->argc; i++)
        fprintf(stderr, " %s", line->argv[i]);
    fprintf(stderr, "\n");
}

/* The line whose decision a login of the service ends with: the first that can refuse
 * (session before account), else the first session line, else the first line. */
static const struct pam_module_line *deciding_line(const struct pam_service *svc)
{
    static const char *const types[] = {"session", "account"};

    for (size_t t = 0; t < 2; t++)
        for (size_t i = 0; i < svc->count; i++)
            if (strcmp(svc->lines[i].type, types[t]) == 0 && line_can_refuse(&svc->lines[i]))
                return &svc->lines[i];
    for (size_t i = 0; i < svc->count; i++)
        if (strcmp(svc->lines[i].type, "session") == 0)
            return &svc->lines[i];
    return svc->count > 0 ? &svc->lines[0] : NULL;
}

/* What the other lines of the service do next to the deciding one. */
static void report_other_lines(const struct pam_service *svc, const struct pam_module_line *used)
{
    size_t refusing = 0;

    for (size_t i = 0; i < svc->count; i++)
        refusing += line_can_refuse(&svc->lines[i]);
    if (refusing > 1) {
        fprintf(stderr,
                "scnet-quota: warning: %zu lines of the service can refuse a login; each asks "
                "the quota API again: keep one (the user still reads one banner)\n",
                refusing);
        for (size_t i = 0; i < svc->count; i++)
            if (line_can_refuse(&svc->lines[i]))
                print_line("scnet-quota:   ", &svc->lines[i]);
    }
    for (size_t i = 0; i < svc->count; i++) {
        const struct pam_module_line *l = &svc->lines[i];
        if (l == used)
            continue;
        fprintf(stderr,
                "scnet-quota: note: %s:%u (%s %s) also runs the module%s; a login "
                "shows each text once\n",
                l->file, l->line, l->type, l->control,
                line_is_warn_only(l) ? " warn-only (deny=off)" : "");
    }
}

/* The one place for the module's session line on every distribution: after pam_loginuid,
 * before `pam_selinux.so open` and pam_motd (README, "Where the line goes"). Say so for each
 * session line of the service that runs after either. */
static void warn_about_placement(const struct pam_service *svc)
{
    for (size_t i = 0; i < svc->count; i++) {
        const struct pam_module_line *l = &svc->lines[i];

        if (l->after_selinux_open)
            fprintf(stderr,
                    "scnet-quota: warning: %s:%u runs after pam_selinux.so open (%s): put the "
                    "line before it, after pam_loginuid.so (README, Where the line goes)\n",
                    l->file, l->line, l->after_selinux_open);
        if (l->after_motd)
            fprintf(stderr,
                    "scnet-quota: warning: %s:%u runs after pam_motd.so (%s): the login "
                    "message comes before the banner, and before a refusal that scp and sftp "
                    "then cannot show; put the line before it\n",
                    l->file, l->line, l->after_motd);
    }
}

/* With --service: read the service's stack and pick the line that decides its logins
 * (deciding_line); *line stays NULL when there is none, which is said. False when the
 * service cannot be read. */
static bool read_service(const struct options *opt, struct pam_service *svc,
                         const struct pam_module_line **line)
{
    const char *host_dirs[4];
    const char *const *dirs = opt->pam_dirs;
    char err[1024] = "", vendor_dir[4096];

    *line = NULL;
    memset(svc, 0, sizeof(*svc));
    if (!opt->service)
        return true;
    if (opt->pam_dir_count == 0) {
        pam_service_default_dirs(SCNET_PAM_VENDORDIR, host_dirs, vendor_dir, sizeof(vendor_dir));
        dirs = host_dirs;
    }
    if (!pam_service_find(dirs, opt->service, svc, err, sizeof(err))) {
        fprintf(stderr, "scnet-quota: service %s: %s\n", opt->service, err);
        return false;
    }
    /* Which files the preview read: /usr/lib/pam.d/NAME when /etc/pam.d has none. */
    fprintf(stderr, "scnet-quota: service %s: read", opt->service);
    for (size_t i = 0; i < svc->file_count; i++)
        fprintf(stderr, "%s %s", i ? "," : "", svc->files[i]);
    fprintf(stderr, "\n");
    warn_about_placement(svc);
    *line = deciding_line(svc);
    if (!*line) {
        fprintf(stderr,
                "scnet-quota: warning: %s has no session or account line for "
                "pam_scnet_quota.so: its logins are not checked (showing the configuration "
                "file alone)\n",
                svc->files[0]);
        return true;
    }
    snprintf(err, sizeof(err), "scnet-quota: service %s: ", opt->service);
    print_line(err, *line);
    if (svc->count > 1)
        fprintf(stderr,
                "scnet-quota: note: %zu lines of the service load the module; the "
                "one above decides\n",
                svc->count);
    if (line_is_warn_only(*line))
        fprintf(stderr,
                "scnet-quota: note: %s:%u passes deny=off: warn-only, whatever deny the file "
                "sets; a user over the line reads the warning, never \"Login refused\"\n",
                (*line)->file, (*line)->line);
    report_other_lines(svc, *line);
    return true;
}

/* True when the file exists and holds text (a bounded read: these are small shell files). */
static bool file_mentions(const char *path, const char *text)
{
    char buf[65536];
    size_t got;
    FILE *f = fopen(path, "re");

    if (!f)
        return false;
    got = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[got] = '\0';
    return strstr(buf, text) != NULL;
}

/* Whether a login shell reads a gate at login: the sh family reads /etc/profile, which runs
 * the profile.d files; csh and tcsh read the csh gate through /etc/csh.login (RHEL-like:
 * it sources the .csh files of profile.d) or /etc/csh/login.d (Debian); zsh only where its zprofile
 * reads /etc/profile. Anything else (fish, ...) reads none. Judged by the host's files. */
static bool shell_reads_a_gate(const char *shell)
{
    static const char *const sh_family[] = {"sh",    "bash", "rbash", "dash",  "ksh",
                                            "ksh93", "mksh", "lksh",  "pdksh", "ash"};
    const char *base = strrchr(shell, '/');
    bool sh_gate =
        access(SCNET_SHELL_GATE_FILE, R_OK) == 0 && file_mentions("/etc/profile", "profile.d");
    size_t i;

    base = base ? base + 1 : shell;
    for (i = 0; i < sizeof(sh_family) / sizeof(sh_family[0]); i++)
        if (strcmp(base, sh_family[i]) == 0)
            return sh_gate;
    if (strcmp(base, "csh") == 0 || strcmp(base, "tcsh") == 0 || strcmp(base, "bsd-csh") == 0)
        return access(SCNET_SHELL_GATE_CSH_FILE, R_OK) == 0 &&
               (access("/etc/csh/login.d/scnet-quota.csh", R_OK) == 0 ||
                file_mentions("/etc/csh.login", "profile.d"));
    if (strcmp(base, "zsh") == 0)
        return sh_gate && (file_mentions("/etc/zsh/zprofile", "/etc/profile") ||
                           file_mentions("/etc/zprofile", "/etc/profile"));
    return false;
}

/* Under deny_scope = tty, a user whose login shell reads no gate is never refused over ssh:
 * name every such shell in /etc/shells (not the ones that refuse logins anyway). */
static void warn_about_ungated_shells(void)
{
    char line[4096], list[8192] = "";
    size_t used = 0;
    FILE *f = fopen("/etc/shells", "re");

    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        const char *base;

        line[strcspn(line, " \t\r\n")] = '\0';
        base = strrchr(line, '/');
        if (line[0] != '/' || !base || strcmp(base, "/nologin") == 0 ||
            strcmp(base, "/false") == 0 || shell_reads_a_gate(line))
            continue;
        used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", used ? " " : "", line);
        if (used >= sizeof(list))
            used = sizeof(list) - 1;
    }
    fclose(f);
    if (used)
        fprintf(stderr,
                "scnet-quota: warning: deny_scope = tty: these login shells in /etc/shells "
                "read no login-shell gate, so ssh logins with them are never refused: %s\n",
                list);
}

/* A refusal under a control that is not required/requisite is shown but not enforced; and
 * sshd opens the session before any terminal exists, so under deny_scope = tty only the
 * login-shell gate refuses its interactive logins: without the gate file, none is refused. */
static void warn_about_control(const struct pam_module_line *line, const char *service,
                               const struct scnet_config *cfg)
{
    if (line && cfg->deny >= 0 && cfg->deny_scope == SCNET_DENY_SCOPE_TTY && service &&
        strstr(service, "sshd")) {
        bool gate_missing = access(SCNET_SHELL_GATE_FILE, R_OK) != 0;
        fprintf(stderr,
                "scnet-quota: %s: deny_scope = tty under sshd: sshd opens the PAM session "
                "before any terminal exists, so an interactive ssh login is refused by the "
                "login-shell gate %s when its login shell starts; ssh host cmd, scp and sftp "
                "are let in%s\n",
                gate_missing ? "warning" : "note", SCNET_SHELL_GATE_FILE,
                gate_missing ? ". The gate is missing: no ssh login is refused" : "");
        warn_about_ungated_shells();
    }
    if (!line || cfg->deny < 0 || strcmp(line->control, "required") == 0 ||
        strcmp(line->control, "requisite") == 0)
        return;
    fprintf(stderr,
            "scnet-quota: warning: deny = %.1f is set but %s:%u uses '%s': the refusal is "
            "shown and the login continues; use required to enforce it\n",
            cfg->deny, line->file, line->line, line->control);
}

static const char *source_word(enum scnet_source source)
{
    static const char *const words[] = {"none", "api", "cache", "stale", "offline"};
    return words[source];
}

static int exit_for(enum scnet_decision decision)
{
    switch (decision) {
    case DECISION_DENY:
        return EXIT_REFUSED;
    case DECISION_ERROR_OPEN:
    case DECISION_ERROR_DENY:
        return EXIT_ERROR;
    default:
        return EXIT_ALLOWED;
    }
}

static const char *verdict(enum scnet_decision decision)
{
    switch (decision) {
    case DECISION_SKIP:
        return "skipped";
    case DECISION_ALLOW:
        return "allowed";
    case DECISION_WARN:
        return "allowed, with a warning";
    case DECISION_DENY:
        return "refused";
    case DECISION_DENY_SKIPPED:
        return "allowed without a terminal (over deny, deny_scope = tty); an interactive "
               "login shell shows this refusal and ends";
    case DECISION_ERROR_OPEN:
        return "allowed (quota unknown, fail = open)";
    case DECISION_ERROR_DENY:
        return "refused (quota unknown, fail = closed)";
    }
    return "?";
}

/* The node's offline state for the configured endpoint, as the module sees it (offline false
 * when online, when offline mode is off, or when the cache cannot be read: then why, when
 * given, says so). */
static void read_offline_state(const struct scnet_config *cfg, struct offline_state *state,
                               char *why, size_t whylen)
{
    char err[256] = "", endpoint[OFFLINE_ENDPOINT_LEN];
    int dirfd;

    memset(state, 0, sizeof(*state));
    if (why)
        why[0] = '\0';
    if (cfg->offline_retry <= 0)
        return;
    dirfd = cache_dir_open(cfg->cache_dir, cfg->owner, err, sizeof(err));
    if (dirfd < 0) {
        if (why)
            snprintf(why, whylen, "the cache directory cannot be used: %s", err);
        return;
    }
    offline_endpoint(cfg, endpoint);
    offline_state_read(dirfd, cfg->owner, endpoint, state, err, sizeof(err));
    close(dirfd);
}

/* Forget the node's offline state (any endpoint's); what it said goes into was (empty when
 * there was none). False with err. */
static bool clear_offline_state(const struct scnet_config *cfg, char *was, size_t waslen, char *err,
                                size_t errlen)
{
    struct offline_state state;
    char why[256] = "";
    bool ok;
    int dirfd = cache_dir_open(cfg->cache_dir, cfg->owner, err, errlen);

    was[0] = '\0';
    if (dirfd < 0)
        return false;
    offline_state_read(dirfd, cfg->owner, NULL, &state, why, sizeof(why));
    if (state.offline)
        offline_describe(&state, cfg->offline_retry, time(NULL), was, waslen);
    else if (state.leftover)
        snprintf(was, waslen, "an unreadable offline state%s%s", why[0] ? ": " : "", why);
    ok = offline_state_clear(dirfd, err, errlen);
    close(dirfd);
    return ok;
}

/* Only what this node judged by its own clock: a certificate "expired" or "not yet valid",
 * a token's expireTime (the JWT exp). A refused token or password ("insufficient permission
 * or expired token" is the API's wording for any refused token) is not about the clock. */
static const char *clock_hint(const char *error)
{
    bool certificate_time = strstr(error, "certificate") &&
                            (strstr(error, "expired") || strstr(error, "not yet valid"));

    if (certificate_time || strstr(error, "expireTime"))
        return "; check the node's clock (date, chronyc tracking)";
    return "";
}

/* Every path with its usage: below the warning line the banner is empty, but the admin
 * asked to see the numbers. Server text is sanitised as for the banner. */
static void print_usage_lines(const struct scnet_outcome *out)
{
    for (size_t i = 0; i < out->reply.count; i++) {
        const struct quota_entry *e = &out->reply.entries[i];
        char *path = text_sanitize(e->path, TEXT_MAX_SERVER_STRING);
        if (e->has_limit)
            printf("  %s  %.1f GB of %.1f GB  %.1f%%\n", path ? path : "?", e->usage, e->threshold,
                   e->usage * 100.0 / e->threshold);
        else
            printf("  %s  %.1f GB (no quota set)\n", path ? path : "?", e->usage);
        free(path);
    }
}

static void print_text(const char *user, const struct scnet_outcome *out)
{
    printf("%s: %s", user, verdict(out->decision));
    if (out->decision == DECISION_SKIP || out->decision >= DECISION_ERROR_OPEN)
        printf(" (%s%s)", out->error, clock_hint(out->error));
    else
        printf(" (source %s, %ld ms)", source_word(out->source), out->elapsed_ms);
    printf("\n");
    if (out->message)
        printf("%s\n", out->message);
    else if (out->decision == DECISION_ALLOW || out->decision == DECISION_DENY_SKIPPED)
        print_usage_lines(out);
}

/* One quota entry as --json shows it; the user's own view leaves out the name. */
static cJSON *entry_json(const struct quota_entry *e, bool with_username)
{
    cJSON *item = cJSON_CreateObject();

    if (with_username)
        cJSON_AddStringToObject(item, "username", e->username);
    cJSON_AddStringToObject(item, "path", e->path);
    cJSON_AddNumberToObject(item, "usage", e->usage);
    if (e->has_limit) {
        cJSON_AddNumberToObject(item, "threshold", e->threshold);
        cJSON_AddNumberToObject(item, "percent", e->usage * 100.0 / e->threshold);
    } else {
        cJSON_AddNullToObject(item, "threshold");
        cJSON_AddNullToObject(item, "percent");
    }
    return item;
}

/* The trend on an entry of --json: days until full at the recent rate, null when there is
 * nothing to say. */
static void add_full_in_days(cJSON *item, long days)
{
    if (days > 0)
        cJSON_AddNumberToObject(item, "full_in_days", (double)days);
    else
        cJSON_AddNullToObject(item, "full_in_days");
}

static void print_json(const char *user, const struct scnet_outcome *out,
                       const struct scnet_config *cfg, const struct offline_state *offline)
{
    cJSON *obj = cJSON_CreateObject(), *entries = cJSON_AddArrayToObject(obj, "entries");
    long days[QUOTA_MAX_ENTRIES];
    char *text, why[512];
    bool missing;

    cJSON_AddStringToObject(obj, "user", user);
    cJSON_AddStringToObject(obj, "decision", decision_name(out->decision));
    cJSON_AddBoolToObject(obj, "allowed",
                          exit_for(out->decision) != EXIT_REFUSED &&
                              out->decision != DECISION_ERROR_DENY);
    if (out->policy.max_percent >= 0 && out->source != SOURCE_NONE)
        cJSON_AddNumberToObject(obj, "percent", out->policy.max_percent);
    else
        cJSON_AddNullToObject(obj, "percent");
    cJSON_AddStringToObject(obj, "source", source_word(out->source));
    if (out->decision == DECISION_SKIP || out->decision >= DECISION_ERROR_OPEN)
        cJSON_AddStringToObject(obj, "error", out->error);
    else
        cJSON_AddNullToObject(obj, "error");
    /* The user's paths get the trend as their own --json shows it: their record's history
     * (root reads it as a login does) and this answer. Skipped users have no record to name. */
    if (out->decision == DECISION_SKIP || out->reply.count == 0 ||
        !scnet_trend_days(cfg, user, out, days, &missing, why, sizeof(why)))
        memset(days, 0, sizeof(days));
    for (size_t i = 0; i < out->reply.count; i++) {
        cJSON *item = entry_json(&out->reply.entries[i], true);
        add_full_in_days(item, i < QUOTA_MAX_ENTRIES ? days[i] : 0);
        cJSON_AddItemToArray(entries, item);
    }
    if (out->message)
        cJSON_AddStringToObject(obj, "message", out->message);
    else
        cJSON_AddNullToObject(obj, "message");
    cJSON_AddNumberToObject(obj, "ms", (double)out->elapsed_ms);
    if (offline->offline) {
        cJSON *state = cJSON_AddObjectToObject(obj, "offline");
        char since[32];
        offline_iso_time(offline->since, since, sizeof(since));
        cJSON_AddStringToObject(state, "since", since);
        cJSON_AddStringToObject(state, "cause", offline->cause);
        cJSON_AddNumberToObject(state, "retry_in",
                                (double)offline_retry_in(offline, cfg->offline_retry, time(NULL)));
    } else {
        cJSON_AddNullToObject(obj, "offline");
    }
    text = cJSON_PrintUnformatted(obj);
    if (text)
        printf("%s\n", text);
    free(text);
    cJSON_Delete(obj);
}

static void print_now_service(FILE *out);

static int check_users(const struct options *opt, int count, char **users)
{
    struct scnet_config cfg;
    struct scnet_log log = {.write = stderr_sink, .ctx = (void *)opt};
    char config_error[1024] = "";
    int status = EXIT_ALLOWED;
    struct scnet_request req = {
        .locale = caller_locale(),
        .no_cache = opt->no_cache,
        .config_error = config_error,
    };
    struct pam_service svc;
    const struct pam_module_line *line;

    if (!read_service(opt, &svc, &line))
        return EXIT_ERROR;
    /* The service's report (on stderr, beside its lines): can its users ask for --now? */
    if (opt->service)
        print_now_service(stderr);
    req.config_ok = load_config(opt, line, &cfg, config_error, sizeof(config_error));
    warn_about_control(line, opt->service, &cfg);
    /* --verbose shows the steps whether or not debug is set in the file. */
    log.debug = cfg.debug || opt->verbose;
    for (int i = 0; i < count; i++) {
        struct scnet_outcome out;
        struct offline_state offline = {0};
        int user_status;

        req.user = users[i];
        scnet_check(&cfg, &req, &log, &out);
        /* --no-cache asks the API whatever the node's state: nothing to show. */
        if (req.config_ok && !opt->no_cache)
            read_offline_state(&cfg, &offline, NULL, 0);
        if (opt->json) {
            print_json(users[i], &out, &cfg, &offline);
        } else {
            print_text(users[i], &out);
            if (offline.offline) {
                char state[320];
                offline_describe(&offline, cfg.offline_retry, time(NULL), state, sizeof(state));
                printf("%s\n", state);
            }
        }
        if (!opt->json && out.decision == DECISION_DENY && cfg.deny_scope == SCNET_DENY_SCOPE_TTY)
            printf("(deny_scope = tty: refused at a login with a terminal, and under sshd by "
                   "the login-shell gate; ssh host cmd, scp and sftp are let in without a "
                   "word)\n");
        user_status = exit_for(out.decision);
        if (user_status > status)
            status = user_status;
        scnet_outcome_free(&out);
    }
    config_free(&cfg);
    pam_service_free(&svc);
    return status;
}

/* --check-config without a user: the token (read, or obtained from the token service), and
 * no quota request, which is about one user: said, with how to make one. */
static int check_token_only(const struct scnet_config *cfg, const struct scnet_log *log)
{
    int64_t start = monotonic_ms();
    char *token = NULL, err[512] = "";
    bool ok = token_get(cfg, start + cfg->timeout_ms, log, NULL, &token, err, sizeof(err));

    token_free(token);
    if (!ok) {
        printf("token: FAILED after %ld ms: %s%s\n", (long)(monotonic_ms() - start), err,
               clock_hint(err));
        return EXIT_ERROR;
    }
    printf("token: ok (%s)\n",
           cfg->auth == SCNET_AUTH_TOKEN_FILE ? cfg->token_file : "from the token service");
    printf("API request: not made (no USER given): the quota request is about one user; "
           "scnet-quota --check-config USER makes one for USER\n");
    return EXIT_ALLOWED;
}

/* Whether offline mode can work, and the state it is in. */
static void print_offline_mode(const struct scnet_config *cfg)
{
    struct offline_state state;
    char why[320], text[320];

    if (cfg->offline_retry <= 0) {
        printf("offline mode: off (offline_retry = 0): every login asks the API\n");
        return;
    }
    read_offline_state(cfg, &state, why, sizeof(why));
    if (why[0]) {
        printf("offline mode: off: %s\n", why);
    } else if (state.offline) {
        offline_describe(&state, cfg->offline_retry, time(NULL), text, sizeof(text));
        printf("offline mode: %s\n", text);
    } else {
        printf("offline mode: on (offline_retry = %lds), the API is not known to be down\n",
               cfg->offline_retry);
    }
}

/* Whether users can ask for a fresh answer here (scnet-quota --now): the socket unit
 * installed, enabled, and its socket there. Judged by the files, not by asking systemd (a
 * node may have none); the socket is not connected to (that would start a check). */
static void print_now_service(FILE *out)
{
    static const char *const unit_dirs[] = {"/etc/systemd/system", "/usr/lib/systemd/system",
                                            "/lib/systemd/system"};
    static const char unit[] = "pam-scnet-quota-now.socket";
    char path[256];
    struct stat st;
    bool installed = false, enabled, listening;

    for (size_t i = 0; i < sizeof(unit_dirs) / sizeof(unit_dirs[0]) && !installed; i++) {
        snprintf(path, sizeof(path), "%s/%s", unit_dirs[i], unit);
        installed = access(path, R_OK) == 0;
    }
    snprintf(path, sizeof(path), "/etc/systemd/system/sockets.target.wants/%s", unit);
    enabled = access(path, F_OK) == 0;
    listening = stat(NOW_SOCKET_DEFAULT, &st) == 0 && S_ISSOCK(st.st_mode);
    if (listening && enabled)
        fprintf(out, "scnet-quota --now: available (%s enabled, %s there)\n", unit,
                NOW_SOCKET_DEFAULT);
    else if (listening)
        fprintf(out,
                "scnet-quota --now: available now (%s there), but %s is not enabled: it stops "
                "at the next boot\n",
                NOW_SOCKET_DEFAULT, unit);
    else if (installed)
        fprintf(out,
                "scnet-quota --now: not available: %s is installed but %s (systemctl enable "
                "--now %s); users see their last record\n",
                unit, enabled ? "not listening" : "not enabled", unit);
    else
        fprintf(out,
                "scnet-quota --now: not available: %s is not installed (no systemd, or not "
                "from the packages); users see their last record\n",
                unit);
}

/* A secret file at a path the policy does not name keeps its folder's type (etc_t): the
 * login programs may not read it, and any domain that reads /etc may. Say how to label it. */
static void report_secret_label(const char *key, const char *path)
{
    char type[128];

    if (!path || !selinux_file_type(path, type, sizeof(type)) ||
        strcmp(type, "pam_scnet_quota_secret_t") == 0)
        return;
    printf("%s %s: SELinux type %s, not pam_scnet_quota_secret_t (sshd may not read it, "
           "other domains may): semanage fcontext -a -t pam_scnet_quota_secret_t '%s' && "
           "restorecon -v '%s'\n",
           key, path, type, path, path);
}

static void report_secret_labels(const struct scnet_config *cfg)
{
    if (!selinux_enabled())
        return;
    if (cfg->auth == SCNET_AUTH_TOKEN_FILE)
        report_secret_label("token_file", cfg->token_file);
    else
        report_secret_label("credentials_file", cfg->credentials_file);
}

static int check_config(const struct options *opt, const char *user)
{
    struct scnet_config cfg;
    struct scnet_log log = {.write = stderr_sink, .ctx = (void *)opt};
    struct scnet_outcome out;
    char err[1024] = "";
    int status = EXIT_ERROR;
    struct pam_service svc;
    const struct pam_module_line *line;
    enum skip_reason skip;
    char lookup_err[256] = "";

    if (!read_service(opt, &svc, &line)) {
        config_defaults(&cfg);
        goto out;
    }
    if (!load_config(opt, line, &cfg, err, sizeof(err))) {
        printf("configuration: FAILED: %s\n", err);
        goto out;
    }
    warn_about_control(line, opt->service, &cfg);
    printf("configuration: ok (%s)\n", cfg.conf_path);
    report_secret_labels(&cfg);
    log.debug = cfg.debug || opt->verbose;
    print_offline_mode(&cfg);
    print_now_service(stdout);
    if (!user) {
        status = check_token_only(&cfg, &log);
        goto out;
    }
    skip = user_filter_check(&cfg, user, NULL, 0, NULL, lookup_err, sizeof(lookup_err));
    /* The request below still checks the token and the API; the user's logins are not. */
    if (skip == SKIP_LOOKUP_FAILED)
        printf("user %s: lookup failed (%s): the module lets `fail` decide\n", user, lookup_err);
    else if (skip != SKIP_NONE)
        printf("user %s: skipped (%s): the module does not check this user's logins\n", user,
               skip_reason_name(skip));
    /* Straight to the API, never the cache: a warm cache must not hide a broken url. */
    if (!scnet_probe(&cfg, user, &log, &out)) {
        printf("API request for %s: FAILED after %ld ms: %s%s\n", user, out.elapsed_ms, out.error,
               clock_hint(out.error));
        scnet_outcome_free(&out);
        goto out;
    }
    printf("API request for %s: ok, %zu entr%s in %ld ms (%s; the cache is not used)\n", user,
           out.reply.count, out.reply.count == 1 ? "y" : "ies", out.elapsed_ms, cfg.url);
    scnet_outcome_free(&out);
    /* The API answered: whatever the node recorded as offline is over. */
    if (cfg.offline_retry > 0 && cache_caller_may_write(cfg.owner)) {
        char was[400], why[256] = "";
        if (!clear_offline_state(&cfg, was, sizeof(was), why, sizeof(why)))
            printf("offline state: cannot clear: %s\n", why);
        else if (was[0])
            printf("offline state: cleared (was: %s)\n", was);
    }
    status = EXIT_ALLOWED;
out:
    config_free(&cfg);
    pam_service_free(&svc);
    return status;
}

static int run_refresh(const struct options *opt)
{
    struct scnet_config cfg;
    struct scnet_log log = {.write = upkeep_sink, .ctx = (void *)opt};
    struct refresh_summary sum;
    char err[1024] = "", line[512];
    int status = EXIT_ERROR;

    openlog("scnet-quota", LOG_PID, LOG_AUTHPRIV);
    if (!load_config(opt, NULL, &cfg, err, sizeof(err))) {
        scnet_log(&log, LOG_ERR, "refresh: configuration: %s", err);
        goto out;
    }
    log.debug = cfg.debug;
    if (!refresh_run(&cfg, &log, &sum, err, sizeof(err))) {
        scnet_log(&log, LOG_ERR, "refresh: %s", err);
        goto out;
    }
    snprintf(line, sizeof(line),
             "refreshed %zu, failed %zu, skipped %zu, pruned %zu, took %.1fs%s%s", sum.refreshed,
             sum.failed, sum.skipped, sum.pruned, sum.took_ms / 1000.0, sum.offline ? "; " : "",
             sum.offline ? sum.offline_why : "");
    printf("%s\n", line);
    scnet_log(&log, sum.refreshed == 0 && sum.due > 0 ? LOG_WARNING : LOG_INFO, "refresh: %s",
              line);
    status = sum.due > 0 && sum.refreshed == 0 && (sum.failed > 0 || sum.offline) ? 1 : 0;
out:
    config_free(&cfg);
    closelog();
    return status;
}

/* One user of --list: their fullest path in the cached answer. */
struct listed_user {
    char *user;
    double percent; /* -1: no path with a limit */
    char *path;     /* sanitised; NULL with percent -1 */
    long age_s;
    const char *next; /* what their next login gets */
};

static int fullest_first(const void *a, const void *b)
{
    const struct listed_user *x = a, *y = b;

    if (x->percent != y->percent)
        return x->percent < y->percent ? 1 : -1;
    return strcmp(x->user, y->user);
}

/* What the user's next login gets from this answer, as the pipeline decides it: a fresh
 * answer is used unless it would refuse (only the API's own answer refuses); an old one
 * means a request first. */
static const char *next_login(const struct scnet_config *cfg, const struct policy_result *policy,
                              long age_s)
{
    bool fresh = cfg->cache_ttl > 0 && age_s < cfg->cache_ttl;

    if (policy->level == POLICY_DENY)
        return "refused if the API still says so (a refusal always asks the API)";
    if (!fresh)
        return "asks the API (this answer is older than cache_ttl)";
    return policy->level == POLICY_WARN ? "warning, from this answer"
                                        : "nothing shown, from this answer";
}

/* Fill u from key's cached answer; false when it is not a user's or cannot be read. */
static bool list_one(const struct scnet_config *cfg, int dirfd, const char *key, int64_t now,
                     struct listed_user *u)
{
    struct cache_entry entry = {0};
    struct quota_reply reply = {0};
    struct policy_result policy;
    const struct quota_entry *fullest = NULL;
    char why[256];
    bool ok = false;

    memset(u, 0, sizeof(*u));
    /* "token:<cluster>", "offline:api": the node's own state, not a user's. */
    if (strchr(key, ':') || !cache_read(dirfd, key, cfg->owner, &entry, why, sizeof(why)))
        goto out;
    if (answer_text_get_quota(entry.body, entry.len, &reply, why, sizeof(why)) != REPLY_OK)
        goto out;
    policy_decide(&reply, key, cfg->warn, cfg->deny, &policy);
    u->percent = -1;
    for (size_t i = 0; i < reply.count; i++) {
        const struct quota_entry *e = &reply.entries[i];
        double p;
        if (!e->has_limit || !e->username || strcmp(e->username, key) != 0)
            continue;
        p = e->usage * 100.0 / e->threshold;
        if (p > u->percent) {
            u->percent = p;
            fullest = e;
        }
    }
    u->user = strdup(key);
    u->path = fullest ? text_sanitize(fullest->path, TEXT_MAX_SERVER_STRING) : NULL;
    u->age_s = (long)(now - entry.fetched_at);
    u->next = next_login(cfg, &policy, u->age_s);
    ok = u->user != NULL;
out:
    quota_reply_free(&reply);
    cache_entry_free(&entry);
    return ok;
}

static void print_listed(const struct options *opt, const struct listed_user *users, size_t n)
{
    cJSON *array = opt->json ? cJSON_CreateArray() : NULL;
    char *text;

    for (size_t i = 0; i < n; i++) {
        const struct listed_user *u = &users[i];
        if (!array) {
            if (u->percent >= 0)
                printf("%s  %.1f%%  %s  %lds ago  next login: %s\n", u->user, u->percent,
                       u->path ? u->path : "?", u->age_s, u->next);
            else
                printf("%s  no quota set  %lds ago  next login: %s\n", u->user, u->age_s, u->next);
            continue;
        }
        cJSON *obj = cJSON_CreateObject();
        cJSON_AddStringToObject(obj, "user", u->user);
        if (u->percent >= 0) {
            cJSON_AddNumberToObject(obj, "percent", u->percent);
            cJSON_AddStringToObject(obj, "path", u->path ? u->path : "");
        } else {
            cJSON_AddNullToObject(obj, "percent");
            cJSON_AddNullToObject(obj, "path");
        }
        cJSON_AddNumberToObject(obj, "age", (double)u->age_s);
        cJSON_AddStringToObject(obj, "next_login", u->next);
        cJSON_AddItemToArray(array, obj);
    }
    if (!array)
        return;
    text = cJSON_PrintUnformatted(array);
    if (text)
        printf("%s\n", text);
    free(text);
    cJSON_Delete(array);
}

/* --list: who on this node is about to hit the wall, from the cache alone (no request). */
static int run_list(const struct options *opt)
{
    struct scnet_config cfg;
    struct cache_item *items = NULL;
    struct listed_user *users = NULL;
    size_t count = 0, n = 0;
    char err[1024] = "";
    int status = EXIT_ERROR, dirfd = -1;
    int64_t now = time(NULL);

    if (!load_config(opt, NULL, &cfg, err, sizeof(err))) {
        fprintf(stderr, "scnet-quota: configuration: %s\n", err);
        goto out;
    }
    dirfd = cache_dir_open(cfg.cache_dir, cfg.owner, err, sizeof(err));
    if (dirfd < 0 || !cache_list(dirfd, cfg.owner, &items, &count, err, sizeof(err))) {
        fprintf(stderr, "scnet-quota: cache: %s\n", err);
        goto out;
    }
    users = calloc(count ? count : 1, sizeof(*users));
    if (!users) {
        fprintf(stderr, "scnet-quota: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < count; i++)
        if (list_one(&cfg, dirfd, items[i].key, now, &users[n]) &&
            (opt->over < 0 || users[n].percent >= opt->over))
            n++;
        else {
            free(users[n].user);
            free(users[n].path);
        }
    qsort(users, n, sizeof(*users), fullest_first);
    print_listed(opt, users, n);
    status = EXIT_ALLOWED;
out:
    for (size_t i = 0; i < n; i++) {
        free(users[i].user);
        free(users[i].path);
    }
    free(users);
    cache_items_free(items, count);
    if (dirfd >= 0)
        close(dirfd);
    config_free(&cfg);
    return status;
}

static int run_forget(const struct options *opt, int count, char **users)
{
    struct scnet_config cfg;
    struct scnet_log log = {.write = upkeep_sink, .ctx = (void *)opt};
    char err[1024] = "";
    size_t dropped = 0;
    int status = EXIT_ERROR;

    openlog("scnet-quota", LOG_PID, LOG_AUTHPRIV);
    if (!load_config(opt, NULL, &cfg, err, sizeof(err))) {
        fprintf(stderr, "scnet-quota: configuration: %s\n", err);
        goto out;
    }
    if (!refresh_forget(&cfg, (const char *const *)users, (size_t)count, opt->forget_all, &log,
                        &dropped, err, sizeof(err))) {
        fprintf(stderr, "scnet-quota: %s\n", err);
        goto out;
    }
    printf("forgot %zu cached answer%s\n", dropped, dropped == 1 ? "" : "s");
    if (opt->forget_all) {
        char was[400];
        if (!clear_offline_state(&cfg, was, sizeof(was), err, sizeof(err))) {
            fprintf(stderr, "scnet-quota: offline state: %s\n", err);
            goto out;
        }
        if (was[0]) {
            printf("forgot the offline state (%s)\n", was);
            scnet_log(&log, LOG_NOTICE, "forgot the offline state (%s)", was);
        }
    }
    status = EXIT_ALLOWED;
out:
    config_free(&cfg);
    closelog();
    return status;
}

static void print_own_json(const char *name, const struct user_record *rec, long age_s,
                           const char *error)
{
    cJSON *obj = cJSON_CreateObject(), *entries;
    char *text;

    cJSON_AddStringToObject(obj, "user", name);
    /* --now: why the figures are not fresh (the check failed, or was not due). */
    if (error)
        cJSON_AddStringToObject(obj, "error", error);
    if (!rec) {
        cJSON_AddNullToObject(obj, "fetched_at");
        cJSON_AddNullToObject(obj, "age");
        cJSON_AddNullToObject(obj, "next_login");
    } else {
        cJSON_AddNumberToObject(obj, "fetched_at", (double)rec->fetched_at);
        cJSON_AddNumberToObject(obj, "age", (double)age_s);
        cJSON_AddStringToObject(obj, "next_login", user_record_next_name(rec->next));
    }
    entries = cJSON_AddArrayToObject(obj, "entries");
    for (size_t i = 0; rec && i < rec->reply.count; i++) {
        cJSON *item = entry_json(&rec->reply.entries[i], false);
        add_full_in_days(item, user_record_full_in_days(rec, i));
        cJSON_AddItemToArray(entries, item);
    }
    text = cJSON_PrintUnformatted(obj);
    if (text)
        printf("%s\n", text);
    free(text);
    cJSON_Delete(obj);
}

/* The quota of uid, from their record in dir (what the module, --refresh and --now write):
 * no configuration, no token, no request. error: with --json, why the figures are not fresh. */
static int show_record(const struct options *opt, uid_t uid, const char *dir, const char *error)
{
    static const enum text_message next_line[] = {
        [RECORD_NEXT_NOTHING] = TEXT_OWN_NEXT_NOTHING,
        [RECORD_NEXT_WARNING] = TEXT_OWN_NEXT_WARNING,
        [RECORD_NEXT_REFUSAL] = TEXT_OWN_NEXT_REFUSAL,
    };
    enum scnet_lang lang;
    struct user_record rec;
    char name[256], err[600], line_pct[32], *age;
    bool missing, ok;
    long age_s;
    int status;

    if (!user_lookup_name(uid, name, sizeof(name)))
        snprintf(name, sizeof(name), "?");
    ok = user_record_read(dir, uid, &rec, &missing, err, sizeof(err));
    lang = user_lang(opt, ok ? rec.lang : SCNET_LANG_AUTO);
    if (!ok) {
        if (!missing) {
            say(stderr, "scnet-quota: ", lang, TEXT_OWN_UNREADABLE, err, NULL);
            return EXIT_ERROR;
        }
        if (opt->json)
            print_own_json(name, NULL, 0, error);
        else
            say(stdout, "", lang, TEXT_OWN_NO_FIGURES, NULL, NULL);
        return EXIT_ALLOWED;
    }
    age_s = (long)(time(NULL) - rec.fetched_at);
    if (age_s < 0)
        age_s = 0;
    if (opt->json) {
        print_own_json(name, &rec, age_s, error);
    } else {
        age = text_age(lang, age_s);
        say(stdout, "", lang, TEXT_OWN_HEAD, name, age ? age : "?");
        free(age);
        for (size_t i = 0; i < rec.reply.count; i++) {
            char *line = text_quota_line(lang, &rec.reply.entries[i]);
            printf("%s\n", line ? line : "  ?");
            free(line);
        }
        if (rec.reply.count == 0)
            say(stdout, "", lang, TEXT_OWN_NO_PATH, NULL, NULL);
        for (size_t i = 0; i < rec.reply.count; i++) {
            long days = user_record_full_in_days(&rec, i);
            char *line = days > 0 ? text_trend_line(lang, rec.reply.entries[i].path, days) : NULL;
            if (line)
                printf("%s\n", line);
            free(line);
        }
        snprintf(line_pct, sizeof(line_pct), "%.0f",
                 rec.next == RECORD_NEXT_REFUSAL ? rec.deny : rec.warn);
        say(stdout, "", lang, next_line[rec.next], line_pct, NULL);
    }
    status = rec.next == RECORD_NEXT_REFUSAL ? EXIT_REFUSED : EXIT_ALLOWED;
    user_record_free(&rec);
    return status;
}

/* An ordinary user's own quota, from their record. */
static int show_own_record(const struct options *opt)
{
    return show_record(opt, getuid(), opt->records ? opt->records : USER_RECORD_DEFAULT_DIR, NULL);
}

/* Read from fd into buf, at most max bytes, until the other end closes, deadline (monotonic
 * ms) passes, or (at_newline) what was read holds a newline. Returns the bytes read. */
static size_t read_within(int fd, char *buf, size_t max, int64_t deadline, bool at_newline)
{
    size_t got = 0;

    while (got < max && !(at_newline && memchr(buf, '\n', got))) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        long left = deadline_left_ms(deadline);
        ssize_t n;

        if (left == 0 || poll(&p, 1, (int)left) <= 0)
            break;
        n = read(fd, buf + got, max - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got;
}

/* --serve-now: read the one request line from fd (at most NOW_REQUEST_MAX bytes, within
 * NOW_REQUEST_WAIT_MS); its words json, en and zh choose the reply's form. Nothing in it
 * says who asks: that is the socket's peer. */
static void read_now_request(int fd, struct options *opt)
{
    char line[NOW_REQUEST_MAX + 1] = "", *word, *save = NULL;
    size_t got = read_within(fd, line, NOW_REQUEST_MAX, monotonic_ms() + NOW_REQUEST_WAIT_MS, true);

    line[got] = '\0';
    line[strcspn(line, "\n")] = '\0';
    for (word = strtok_r(line, " \t\r", &save); word; word = strtok_r(NULL, " \t\r", &save)) {
        if (strcmp(word, "json") == 0)
            opt->json = true;
        else if (strcmp(word, "en") == 0)
            opt->lang = "en";
        else if (strcmp(word, "zh") == 0)
            opt->lang = "zh";
        else if (strcmp(word, "auto-en") == 0)
            opt->locale_lang = SCNET_LANG_EN;
        else if (strcmp(word, "auto-zh") == 0)
            opt->locale_lang = SCNET_LANG_ZH;
    }
}

/* --serve-now: a reply that is only a reason (no figures to show): in lang, or with --json
 * in English (what --json shows is the same in every language). */
static void now_reason(const struct options *opt, enum scnet_lang lang, const char *name,
                       enum text_message reason, const char *detail)
{
    if (opt->json) {
        cJSON *obj = cJSON_CreateObject();
        char *text, *error = text_message(SCNET_LANG_EN, reason, detail, NULL);

        if (name)
            cJSON_AddStringToObject(obj, "user", name);
        else
            cJSON_AddNullToObject(obj, "user");
        cJSON_AddStringToObject(obj, "error", error ? error : "out of memory");
        text = cJSON_PrintUnformatted(obj);
        if (text)
            printf("%s\n", text);
        free(text);
        free(error);
        cJSON_Delete(obj);
    } else {
        say(stdout, "scnet-quota: ", lang, reason, detail, NULL);
    }
}

/* --serve-now, run per connection by pam-scnet-quota-now@.service with the connection on
 * standard input and output: a fresh answer for the peer (SO_PEERCRED, never what it
 * sends), through the login's pipeline without the cache, at most once per
 * self_check_interval; within it, and whenever the check fails, the user's record. The
 * reply is what scnet-quota shows the user, then the trailer with the exit status. */
static int serve_now(struct options *opt)
{
    struct scnet_config cfg;
    struct scnet_log log = {.write = upkeep_sink, .ctx = (void *)opt};
    struct sockaddr_un self = {0};
    struct ucred peer;
    socklen_t len = sizeof(peer), selflen = sizeof(self);
    struct user_record rec;
    char err[1024] = "", why[700] = "", name[256], dir[4200], *error_en = NULL;
    char a[32], b[32];
    /* Why the figures are not fresh: TEXT_MESSAGE_COUNT when they are (or not due), else one
     * of TEXT_NOW_BUSY, _FAILED, _API_DOWN with why. */
    enum text_message error = TEXT_MESSAGE_COUNT;
    enum scnet_lang lang;
    bool missing, paced = false;
    int status = EXIT_ERROR, lockfd = -1;
    int64_t now = 0, last_at = 0, since = 0;
    enum skip_reason skip;

    config_defaults(&cfg);
    if (getsockname(STDIN_FILENO, (struct sockaddr *)&self, &selflen) != 0 ||
        self.sun_family != AF_UNIX ||
        getsockopt(STDIN_FILENO, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0) {
        fprintf(stderr, "scnet-quota: --serve-now: standard input is not a connected local socket: "
                        "pam-scnet-quota-now@.service runs it\n");
        config_free(&cfg);
        return EXIT_ERROR;
    }
    openlog("scnet-quota", LOG_PID, LOG_AUTHPRIV);
    read_now_request(STDIN_FILENO, opt);
    lang = user_lang(opt, SCNET_LANG_AUTO);
    if (!user_lookup_name(peer.uid, name, sizeof(name))) {
        snprintf(a, sizeof(a), "%lu", (unsigned long)peer.uid);
        now_reason(opt, lang, NULL, TEXT_NOW_NO_NAME, a);
        goto reply;
    }
    config_free(&cfg);
    if (!load_config(opt, NULL, &cfg, err, sizeof(err))) {
        scnet_log(&log, LOG_ERR, "now: user=%s configuration: %s", name, err);
        now_reason(opt, lang, name, TEXT_NOW_MISCONFIGURED, NULL);
        goto reply;
    }
    /* The node's lang now known: the record below is shown in the same language. */
    lang = user_lang(opt, cfg.lang);
    opt->lang = lang == SCNET_LANG_ZH ? "zh" : "en";
    skip = user_filter_check(&cfg, name, NULL, 0, NULL, err, sizeof(err));
    if (skip == SKIP_LOOKUP_FAILED) {
        now_reason(opt, lang, name, TEXT_NOW_LOOKUP_FAILED, err);
        goto reply;
    }
    if (skip != SKIP_NONE) {
        now_reason(opt, lang, name, TEXT_NOW_NOT_CHECKED, skip_reason_name(skip));
        status = EXIT_ALLOWED;
        goto reply;
    }
    snprintf(dir, sizeof(dir), "%s" USER_RECORD_DIR_SUFFIX, cfg.cache_dir);
    /* One check of this user at a time; the others wait for it, and find its answer. */
    lockfd = self_check_lock(&cfg, peer.uid, monotonic_ms() + cfg.timeout_ms + NOW_REQUEST_WAIT_MS,
                             &last_at, err, sizeof(err));
    if (lockfd < 0) {
        scnet_log(&log, LOG_WARNING, "now: user=%s %s", name, err);
        error = TEXT_NOW_BUSY;
    } else {
        now = time(NULL);
        if (user_record_read(dir, peer.uid, &rec, &missing, err, sizeof(err))) {
            since = rec.fetched_at;
            user_record_free(&rec);
        }
        if (last_at > since)
            since = last_at;
        /* Within the interval (and not from the future, whatever the clock did): no request. */
        paced = since > 0 && now >= since && now - since < cfg.self_check_interval;
    }
    if (lockfd >= 0 && !paced) {
        struct scnet_request req = {
            .user = name, .config_ok = true, .fresh = true, .no_terminal = true};
        struct scnet_outcome out;

        if (!self_check_mark(lockfd))
            scnet_log(&log, LOG_WARNING, "now: user=%s cannot mark the check: %s", name,
                      strerror(errno));
        log.debug = cfg.debug;
        scnet_check(&cfg, &req, &log, &out);
        if (out.decision == DECISION_ERROR_OPEN || out.decision == DECISION_ERROR_DENY)
            error = TEXT_NOW_FAILED;
        else if (out.source == SOURCE_STALE || out.source == SOURCE_OFFLINE)
            error = TEXT_NOW_API_DOWN;
        snprintf(why, sizeof(why), "%s", out.error);
        scnet_outcome_free(&out);
    }
    self_check_unlock(lockfd);
    if (error != TEXT_MESSAGE_COUNT) {
        const char *detail = error == TEXT_NOW_BUSY ? NULL : why;
        /* --json says why in English, as the rest of --json. */
        error_en = text_message(SCNET_LANG_EN, error, detail, NULL);
        if (!opt->json)
            say_showing_last(stdout, lang, error, detail);
    }
    status = show_record(opt, peer.uid, dir,
                         error != TEXT_MESSAGE_COUNT ? (error_en ? error_en : "out of memory")
                         : paced ? "not due: one fresh check per self_check_interval"
                                 : NULL);
    if (paced && !opt->json) {
        snprintf(a, sizeof(a), "%ld", cfg.self_check_interval);
        snprintf(b, sizeof(b), "%ld", (long)(cfg.self_check_interval - (now - since)));
        say(stdout, "", lang, TEXT_NOW_PACED, a, b);
    }
    if (error != TEXT_MESSAGE_COUNT)
        status = EXIT_ERROR;
reply:
    fflush(stdout);
    printf(NOW_TRAILER "%d\n", status);
    fflush(stdout);
    free(error_en);
    config_free(&cfg);
    closelog();
    return status;
}

/* user_lang for the caller, with the node's lang as their record carries it. */
static enum scnet_lang own_lang(const struct options *opt)
{
    struct user_record rec;
    enum scnet_lang site = SCNET_LANG_AUTO;
    char err[600];
    bool missing;

    if (!opt->lang && user_record_read(opt->records ? opt->records : USER_RECORD_DEFAULT_DIR,
                                       getuid(), &rec, &missing, err, sizeof(err))) {
        site = rec.lang;
        user_record_free(&rec);
    }
    return user_lang(opt, site);
}

/* --now: ask the node's service for a fresh answer and print it; without the service (not
 * enabled, no systemd), say so and show the record. */
static int now_client(const struct options *opt)
{
    const char *path = opt->now_socket ? opt->now_socket : NOW_SOCKET_DEFAULT;
    struct sockaddr_un sa;
    char request[32], *buf = NULL, *trailer, detail[4400] = "";
    enum text_message why = TEXT_NOW_NOT_ENABLED;
    enum scnet_lang lang;
    size_t got = 0;
    int fd = -1, status = -1;
    int64_t deadline = monotonic_ms() + NOW_CLIENT_WAIT_MS;

    if (getuid() == 0) {
        printf("root's logins are not checked: --now is for users (as root, scnet-quota "
               "--no-cache USER asks the API for USER)\n");
        return EXIT_ALLOWED;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "scnet-quota: --now-socket: path too long\n");
        return EXIT_ERROR;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    lang = own_lang(opt); /* for the lines said here */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int e = errno;
        if (e != ENOENT && e != ECONNREFUSED && e != ENOTDIR) {
            why = TEXT_NOW_UNREACHABLE;
            snprintf(detail, sizeof(detail), "%s: %s", path, strerror(e));
        }
        goto record;
    }
    /* --lang as asked; else the caller's locale, below the node's lang setting, which the
     * service reads (the record's may be older). */
    snprintf(request, sizeof(request), "%s %s%s\n", opt->json ? "json" : "text",
             opt->lang ? "" : "auto-",
             user_lang(opt, SCNET_LANG_AUTO) == SCNET_LANG_ZH ? "zh" : "en");
    buf = malloc(NOW_REPLY_MAX + 1);
    if (!buf) {
        why = TEXT_NOW_NO_MEMORY;
        goto record;
    }
    /* A service that closes at once (systemd beyond MaxConnections=) may do so before the
     * request is out: the empty reply then says so below. */
    if (send(fd, request, strlen(request), MSG_NOSIGNAL) < 0 && errno != EPIPE &&
        errno != ECONNRESET) {
        why = TEXT_NOW_SEND_FAILED;
        snprintf(detail, sizeof(detail), "%s", strerror(errno));
        goto record;
    }
    got = read_within(fd, buf, NOW_REPLY_MAX, deadline, false);
    buf[got] = '\0';
    /* A whole reply ends with the trailer line; anything else was cut off, or refused. */
    trailer = got >= 2 ? memrchr(buf, '\n', got - 1) : NULL;
    trailer = trailer ? trailer + 1 : buf;
    if (got > strlen(NOW_TRAILER) + 1 && strlen(buf) == got &&
        strncmp(trailer, NOW_TRAILER, strlen(NOW_TRAILER)) == 0 &&
        trailer[strlen(NOW_TRAILER)] >= '0' && trailer[strlen(NOW_TRAILER)] <= '2' &&
        strcmp(trailer + strlen(NOW_TRAILER) + 1, "\n") == 0) {
        status = trailer[strlen(NOW_TRAILER)] - '0';
        fwrite(buf, 1, (size_t)(trailer - buf), stdout);
        goto out;
    }
    why = got == 0 ? TEXT_NOW_NO_ANSWER : TEXT_NOW_CUT_OFF;
record:
    say_showing_last(stderr, lang, why, detail[0] ? detail : NULL);
    status = show_own_record(opt);
out:
    free(buf);
    if (fd >= 0)
        close(fd);
    return status;
}

/* Whether the caller is an ordinary user: not root, and the configuration is not their own
 * (a test setup's, which runs the checks as the module would as that user). */
static bool is_ordinary_user(const struct options *opt)
{
    const char *conf = opt->conf ? opt->conf : SCNET_DEFAULT_CONF;
    struct stat st;

    return geteuid() != 0 && !(stat(conf, &st) == 0 && st.st_uid == geteuid());
}

/* Whether name is the caller's own account. */
static bool is_own_name(const char *name)
{
    char err[300];
    uid_t uid;

    return user_lookup_uid(name, &uid, err, sizeof(err)) && uid == getuid();
}

/* An ordinary user and root's configuration: the checks read root's token and cache, so
 * they are root's to run. Said plainly, instead of the file check's advice to chown the
 * configuration to the caller. A configuration of the caller's own (a test setup) is used. */
static bool refuse_ordinary_user(const struct options *opt)
{
    const char *conf = opt->conf ? opt->conf : SCNET_DEFAULT_CONF;

    if (!is_ordinary_user(opt))
        return false;
    say(stderr, "scnet-quota: ", own_lang(opt), TEXT_ONLY_ROOT, conf, NULL);
    return true;
}

int main(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"conf", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {"no-cache", no_argument, NULL, 'n'},
        {"lang", required_argument, NULL, 'l'},
        {"check-config", no_argument, NULL, 'k'},
        {"verbose", no_argument, NULL, 'v'},
        {"service", required_argument, NULL, 's'},
        {"pam-dir", required_argument, NULL, 'P'},
        {"refresh", no_argument, NULL, 'r'},
        {"forget", no_argument, NULL, 'f'},
        {"forget-all", no_argument, NULL, 'F'},
        {"list", no_argument, NULL, 'L'},
        {"over", required_argument, NULL, 'O'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"records", required_argument, NULL, 'R'},
        {"now", no_argument, NULL, 'N'},
        {"serve-now", no_argument, NULL, 'S'},
        {"now-socket", required_argument, NULL, 'W'},
        {NULL, 0, NULL, 0},
    };
    struct options opt = {.over = -1};
    int c;

    setlocale(LC_ALL, "");
    while ((c = getopt_long(argc, argv, "c:jnl:kvs:rfFLNhV", long_options, NULL)) != -1) {
        switch (c) {
        case 'c':
            opt.conf = optarg;
            break;
        case 'j':
            opt.json = true;
            break;
        case 'n':
            opt.no_cache = true;
            break;
        case 'l':
            if (strcmp(optarg, "en") != 0 && strcmp(optarg, "zh") != 0) {
                fprintf(stderr, "scnet-quota: --lang takes en or zh\n");
                return EXIT_ERROR;
            }
            opt.lang = optarg;
            break;
        case 'k':
            opt.check = true;
            break;
        case 'v':
            opt.verbose = true;
            break;
        case 's':
            opt.service = optarg;
            break;
        case 'P':
            if (opt.pam_dir_count == PAM_SERVICE_MAX_DIRS) {
                fprintf(stderr, "scnet-quota: --pam-dir: at most %d directories\n",
                        PAM_SERVICE_MAX_DIRS);
                return EXIT_ERROR;
            }
            opt.pam_dirs[opt.pam_dir_count++] = optarg;
            break;
        case 'r':
            opt.refresh = true;
            break;
        case 'f':
            opt.forget = true;
            break;
        case 'F':
            opt.forget_all = true;
            break;
        case 'L':
            opt.list = true;
            break;
        case 'O': {
            char *end = NULL;
            opt.over = strtod(optarg, &end);
            if (!end || *end || end == optarg || !(opt.over >= 0 && opt.over <= 1000)) {
                fprintf(stderr, "scnet-quota: --over takes a percent from 0 to 1000\n");
                return EXIT_ERROR;
            }
            break;
        }
        case 'R':
            opt.records = optarg;
            break;
        case 'N':
            opt.now = true;
            break;
        case 'S':
            opt.serve_now = true;
            break;
        case 'W':
            opt.now_socket = optarg;
            break;
        case 'h':
            usage(stdout);
            return EXIT_ALLOWED;
        case 'V':
            printf("scnet-quota " SCNET_VERSION "\n");
            return EXIT_ALLOWED;
        default:
            usage(stderr);
            return EXIT_ERROR;
        }
    }
#ifdef SCNET_SERVE_NOW_ONLY
    /* scnet-quota-now, the service's program: no other mode. */
    if (opt.now) {
        usage(stderr);
        return EXIT_ERROR;
    }
    opt.serve_now = true;
#endif
    if (opt.now) {
        if (optind < argc || opt.serve_now || opt.check || opt.refresh || opt.forget ||
            opt.forget_all || opt.list || opt.no_cache) {
            usage(stderr);
            return EXIT_ERROR;
        }
        return now_client(&opt);
    }
    if (is_ordinary_user(&opt) && !opt.serve_now && !opt.check && !opt.refresh && !opt.forget &&
        !opt.forget_all && !opt.list && opt.over < 0 &&
        (optind == argc || (argc - optind == 1 && is_own_name(argv[optind]))))
        return show_own_record(&opt);
    if (refuse_ordinary_user(&opt))
        return EXIT_ERROR;
    if (opt.check + opt.refresh + opt.forget + opt.forget_all + opt.list > 1 ||
        (opt.over >= 0 && !opt.list)) {
        usage(stderr);
        return EXIT_ERROR;
    }
    if (opt.serve_now) {
        if (optind < argc || opt.check + opt.refresh + opt.forget + opt.forget_all + opt.list) {
            usage(stderr);
            return EXIT_ERROR;
        }
        return serve_now(&opt);
    }
    if (opt.list) {
        if (optind < argc) {
            usage(stderr);
            return EXIT_ERROR;
        }
        return run_list(&opt);
    }
    if (opt.refresh || opt.forget_all) {
        if (optind < argc) {
            usage(stderr);
            return EXIT_ERROR;
        }
        return opt.refresh ? run_refresh(&opt) : run_forget(&opt, 0, NULL);
    }
    if (opt.forget) {
        if (optind >= argc) {
            usage(stderr);
            return EXIT_ERROR;
        }
        return run_forget(&opt, argc - optind, argv + optind);
    }
    if (opt.check) {
        if (argc - optind > 1) {
            usage(stderr);
            return EXIT_ERROR;
        }
        return check_config(&opt, optind < argc ? argv[optind] : NULL);
    }
    if (optind >= argc) {
        usage(stderr);
        return EXIT_ERROR;
    }
    return check_users(&opt, argc - optind, argv + optind);
}
