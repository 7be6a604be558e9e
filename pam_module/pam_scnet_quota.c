/* PAM entry points: read PAM items, run the shared pipeline, talk through the conversation. */
#define PAM_SM_SESSION
#define PAM_SM_ACCOUNT

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "config.h"
#include "pipeline.h"
#include "strbuf.h"

static void syslog_sink(void *ctx, int priority, const char *line)
{
    pam_syslog((pam_handle_t *)ctx, priority, "%s", line);
}

static bool is_set_locale(const char *value)
{
    return value && *value && strcmp(value, "C") != 0 && strcmp(value, "POSIX") != 0;
}

/* Only the message language may follow the caller's locale: PAM environment first (pam_env
 * sets the node's locale there), then the process's own. */
static const char *message_locale(pam_handle_t *pamh)
{
    static const char *const names[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    const char *value;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        value = pam_getenv(pamh, names[i]);
        if (is_set_locale(value))
            return value;
    }
    value = setlocale(LC_MESSAGES, NULL);
    if (is_set_locale(value))
        return value;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        value = secure_getenv(names[i]);
        if (is_set_locale(value))
            return value;
    }
    return NULL;
}

/* Whether PAM_TTY names a terminal device: "/dev/pts/3", "pts/3", "tty1" do; sshd's "ssh"
 * for a session without a terminal and an X display ":0" do not. Asked of the device node
 * itself, so any naming a PAM application uses is read the same way. */
static bool session_has_terminal(pam_handle_t *pamh)
{
    const void *item = NULL;
    const char *tty;
    char path[256];
    struct stat st;

    if (pam_get_item(pamh, PAM_TTY, &item) != PAM_SUCCESS || !item)
        return false;
    tty = item;
    if (!*tty || strstr(tty, ".."))
        return false;
    if (strncmp(tty, "/dev/", 5) == 0)
        snprintf(path, sizeof(path), "%s", tty);
    else
        snprintf(path, sizeof(path), "/dev/%s", tty);
    return stat(path, &st) == 0 && S_ISCHR(st.st_mode);
}

/* Conversation messages are bounded (PAM_MAX_MSG_SIZE); send long text in line-aligned parts. */
static void show(pam_handle_t *pamh, const char *text, bool is_error)
{
    const char *p = text;

    while (*p) {
        size_t len = strlen(p), cut = len;
        if (len >= PAM_MAX_MSG_SIZE) {
            cut = 0;
            for (size_t i = 0; i < PAM_MAX_MSG_SIZE - 1; i++)
                if (p[i] == '\n')
                    cut = i;
            /* A line longer than a message (a server can send 300-digit numbers) is cut
             * between characters, never inside one: the text is valid UTF-8, so at most three
             * continuation bytes are stepped back over. */
            if (cut == 0) {
                cut = PAM_MAX_MSG_SIZE - 1;
                while (cut > 1 && ((unsigned char)p[cut] & 0xc0) == 0x80)
                    cut--;
            }
        }
        if (is_error)
            pam_error(pamh, "%.*s", (int)cut, p);
        else
            pam_info(pamh, "%.*s", (int)cut, p);
        p += cut;
        if (*p == '\n')
            p++;
    }
}

/* The refusal under deny_scope = tty without a terminal goes into the PAM environment for
 * the login-shell gate; any other decision removes a value an earlier check of this handle
 * (the account stage, a second stack run) left there, so the variable always tells the last
 * decision. */
static void hand_to_shell_gate(pam_handle_t *pamh, const struct scnet_outcome *out)
{
    struct strbuf entry = {0};
    int rc;

    if (!out->message_for_shell_gate) {
        if (pam_getenv(pamh, SCNET_SHELL_GATE_VARIABLE))
            pam_putenv(pamh, SCNET_SHELL_GATE_VARIABLE);
        return;
    }
    strbuf_printf(&entry, "%s=%s", SCNET_SHELL_GATE_VARIABLE, out->message);
    rc = entry.failed || !entry.data ? PAM_BUF_ERR : pam_putenv(pamh, entry.data);
    if (rc != PAM_SUCCESS)
        pam_syslog(pamh, LOG_ERR, "cannot hand the refusal to the login-shell gate: %s",
                   pam_strerror(pamh, rc));
    strbuf_free(&entry);
}

static int pam_code(enum scnet_decision decision)
{
    switch (decision) {
    case DECISION_SKIP:
        return PAM_IGNORE;
    case DECISION_DENY:
    case DECISION_ERROR_DENY:
        return PAM_PERM_DENIED;
    case DECISION_ALLOW:
    case DECISION_WARN:
    case DECISION_DENY_SKIPPED:
    case DECISION_ERROR_OPEN:
        break;
    }
    return PAM_SUCCESS;
}

static int check_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct scnet_config cfg;
    struct scnet_outcome out;
    char config_error[1024] = "";
    const char *user = NULL;
    struct scnet_request req = {0};
    struct scnet_log log = {.write = syslog_sink, .ctx = pamh};
    int rc;

    req.config_ok = config_load(&cfg, argc, argv, config_error, sizeof(config_error)) &&
                    config_check_helper(&cfg, config_error, sizeof(config_error));
    req.config_error = config_error;
    log.debug = cfg.debug;
    if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS)
        user = NULL;
    req.user = user;
    req.locale = message_locale(pamh);
    req.no_terminal = !session_has_terminal(pamh);

    scnet_check(&cfg, &req, &log, &out);
    hand_to_shell_gate(pamh, &out);
    if (out.message && !out.message_for_shell_gate && !(flags & PAM_SILENT))
        show(pamh, out.message, out.message_is_error);
    rc = pam_code(out.decision);
    scnet_outcome_free(&out);
    config_free(&cfg);
    return rc;
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    return check_session(pamh, flags, argc, argv);
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    return check_session(pamh, flags, argc, argv);
}
