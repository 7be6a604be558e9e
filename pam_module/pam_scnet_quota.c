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

/* What the module's earlier calls on this PAM handle did: one login may run the module more
 * than once (an account line and a session line; the pam-auth-update profile's line and a
 * hand-written one), and the user is to read each text once. */
struct handle_memory {
    int shown;         /* the strongest text shown so far: SHOWN_NONE, _USAGE, _REFUSAL */
    bool gate_refusal; /* a refusal was handed to the login-shell gate */
};

enum { SHOWN_NONE, SHOWN_USAGE, SHOWN_REFUSAL };

#define HANDLE_MEMORY_KEY "pam_scnet_quota_memory"

static void free_memory(pam_handle_t *pamh, void *data, int error_status)
{
    (void)pamh;
    (void)error_status;
    free(data);
}

/* This handle's memory, made on first use; NULL only when out of memory (then every call
 * acts on its own, as before). */
static struct handle_memory *handle_memory(pam_handle_t *pamh)
{
    const void *data = NULL;
    struct handle_memory *memory;

    if (pam_get_data(pamh, HANDLE_MEMORY_KEY, &data) == PAM_SUCCESS && data)
        return (struct handle_memory *)data;
    memory = calloc(1, sizeof(*memory));
    if (memory && pam_set_data(pamh, HANDLE_MEMORY_KEY, memory, free_memory) != PAM_SUCCESS) {
        free(memory);
        memory = NULL;
    }
    return memory;
}

/* A text is shown when it says more than what this handle already showed: a refusal after
 * a warning is news, the same warning from a second line (or the session after the account
 * stage), or a warning after a refusal, is not. */
static void show_once(pam_handle_t *pamh, struct handle_memory *memory,
                      const struct scnet_outcome *out)
{
    int level = out->message_is_error ? SHOWN_REFUSAL : SHOWN_USAGE;

    if (memory && memory->shown >= level)
        return;
    show(pamh, out->message, out->message_is_error);
    if (memory)
        memory->shown = level;
}

/* The refusal under deny_scope = tty without a terminal goes into the PAM environment for
 * the login-shell gate; any other decision removes a value that something else left there
 * (a second stack run, the caller), so the variable tells this login's decision. A refusal
 * an earlier call of this handle handed over stays: a later line that only warns (the
 * profile's deny=off) must not take it back. */
static void hand_to_shell_gate(pam_handle_t *pamh, struct handle_memory *memory,
                               const struct scnet_outcome *out)
{
    struct strbuf entry = {0};
    int rc;

    if (!out->message_for_shell_gate) {
        if (memory && memory->gate_refusal)
            return;
        if (pam_getenv(pamh, SCNET_SHELL_GATE_VARIABLE))
            pam_putenv(pamh, SCNET_SHELL_GATE_VARIABLE);
        return;
    }
    strbuf_printf(&entry, "%s=%s", SCNET_SHELL_GATE_VARIABLE, out->message);
    rc = entry.failed || !entry.data ? PAM_BUF_ERR : pam_putenv(pamh, entry.data);
    /* The gate shows it: a later line's warning would only come before it. */
    if (rc == PAM_SUCCESS && memory) {
        memory->gate_refusal = true;
        memory->shown = SHOWN_REFUSAL;
    }
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
    struct handle_memory *memory;
    int rc;

    /* Not the helper's and the CA file's checks: a cache hit uses neither, and a request
     * checks both on the descriptors it uses (common/http.c). */
    req.config_ok = config_load(&cfg, argc, argv, config_error, sizeof(config_error));
    req.config_error = config_error;
    log.debug = cfg.debug;
    if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS)
        user = NULL;
    req.user = user;
    req.locale = message_locale(pamh);
    req.no_terminal = !session_has_terminal(pamh);

    scnet_check(&cfg, &req, &log, &out);
    memory = handle_memory(pamh);
    hand_to_shell_gate(pamh, memory, &out);
    if (out.message && !out.message_for_shell_gate && !(flags & PAM_SILENT))
        show_once(pamh, memory, &out);
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
