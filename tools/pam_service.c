#include "pam_service.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODULE_NAME "pam_scnet_quota.so"
/* Linux-PAM itself stops at a depth of this order; a loop of includes must end. */
#define MAX_INCLUDE_DEPTH 16
#define MAX_WORDS 64

struct words {
    char *word[MAX_WORDS];
    int count;
};

/* Split a pam.d line into words; a word starting with '[' runs to the matching ']' (a
 * control or an argument holding blanks), and its brackets are kept for a control and
 * removed for an argument by the caller. The line is cut in place. */
static void split_words(char *s, struct words *w)
{
    w->count = 0;
    while (*s && w->count < MAX_WORDS) {
        while (isspace((unsigned char)*s))
            s++;
        if (!*s)
            break;
        w->word[w->count++] = s;
        if (*s == '[') {
            char *close = strchr(s, ']');
            s = close ? close + 1 : s + strlen(s);
        } else {
            while (*s && !isspace((unsigned char)*s))
                s++;
        }
        if (*s)
            *s++ = '\0';
    }
}

static bool module_is(const char *path, const char *name)
{
    const char *base = strrchr(path, '/');
    return strcmp(base ? base + 1 : path, name) == 0;
}

static bool has_arg(const struct words *w, const char *arg)
{
    for (int i = 3; i < w->count; i++)
        if (strcmp(w->word[i], arg) == 0)
            return true;
    return false;
}

/* Note the first session line of pam_selinux.so open and of pam_motd.so: the module's line
 * belongs before both (pam_selinux sets the user's exec context, pam_motd writes the login
 * message ahead of a refusal). False when out of memory. */
static bool note_placement(struct pam_service *out, const char *file, unsigned line_no,
                           const struct words *w)
{
    char **seen = NULL, where[4200];

    if (module_is(w->word[2], "pam_selinux.so") && has_arg(w, "open"))
        seen = &out->selinux_open_seen;
    else if (module_is(w->word[2], "pam_motd.so"))
        seen = &out->motd_seen;
    if (!seen || *seen)
        return true;
    snprintf(where, sizeof(where), "%s:%u", file, line_no);
    *seen = strdup(where);
    return *seen != NULL;
}

static bool add_line(struct pam_service *out, const char *file, unsigned line_no, const char *type,
                     const struct words *w)
{
    struct pam_module_line *grown, *l;
    int argc = w->count - 3;

    grown = realloc(out->lines, (out->count + 1) * sizeof(*grown));
    if (!grown)
        return false;
    out->lines = grown;
    l = &out->lines[out->count];
    memset(l, 0, sizeof(*l));
    out->count++;
    l->file = strdup(file);
    l->line = line_no;
    l->type = strdup(type);
    l->control = strdup(w->word[1]);
    l->argv = calloc((size_t)argc + 1, sizeof(char *));
    if (!l->file || !l->type || !l->control || !l->argv)
        return false;
    if (strcmp(type, "session") == 0) {
        if (out->selinux_open_seen && !(l->after_selinux_open = strdup(out->selinux_open_seen)))
            return false;
        if (out->motd_seen && !(l->after_motd = strdup(out->motd_seen)))
            return false;
    }
    for (int i = 0; i < argc; i++) {
        const char *arg = w->word[3 + i];
        size_t len = strlen(arg);
        /* [text with blanks] is one argument without its brackets. */
        if (arg[0] == '[' && len >= 2 && arg[len - 1] == ']')
            l->argv[i] = strndup(arg + 1, len - 2);
        else
            l->argv[i] = strdup(arg);
        if (!l->argv[i])
            return false;
        l->argc++;
    }
    return true;
}

/* Remember path among the files read (once). */
static bool note_file(struct pam_service *out, const char *path)
{
    char **grown;

    for (size_t i = 0; i < out->file_count; i++)
        if (strcmp(out->files[i], path) == 0)
            return true;
    grown = realloc(out->files, (out->file_count + 1) * sizeof(*grown));
    if (!grown)
        return false;
    out->files = grown;
    out->files[out->file_count] = strdup(path);
    if (!out->files[out->file_count])
        return false;
    out->file_count++;
    return true;
}

/* Open name the way Linux-PAM's _pam_open_config_file does: an absolute path (an include may
 * name one) as it is, any other name in the first of dirs where fopen succeeds; the path
 * opened goes into path. NULL with every path tried and the last error in err. */
static FILE *open_config(const char *const *dirs, const char *name, char *path, size_t pathlen,
                         char *err, size_t errlen)
{
    size_t used = 0;
    FILE *in;

    if (name[0] == '/') {
        snprintf(path, pathlen, "%s", name);
        in = fopen(path, "re");
        if (!in)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return in;
    }
    if (strchr(name, '/') || !*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        snprintf(err, errlen, "'%s' is not a PAM service name", name);
        return NULL;
    }
    err[0] = '\0';
    for (size_t i = 0; dirs[i]; i++) {
        snprintf(path, pathlen, "%s/%s", dirs[i], name);
        in = fopen(path, "re");
        if (in)
            return in;
        if (used < errlen)
            used += (size_t)snprintf(err + used, errlen - used, "%s%s", i ? ", " : "", path);
    }
    if (used < errlen)
        snprintf(err + used, errlen - used, ": %s", strerror(errno));
    return NULL;
}

/* Read name (looked up in dirs); only_type limits the lines taken to one type
 * ("include"/"substack" of a type), NULL takes every type (@include). Recursive like the
 * includes it follows, and bounded by MAX_INCLUDE_DEPTH. */
// NOLINTNEXTLINE(misc-no-recursion): includes nest; depth is bounded by MAX_INCLUDE_DEPTH
static bool read_stack(const char *const *dirs, const char *name, const char *only_type, int depth,
                       struct pam_service *out, char *err, size_t errlen)
{
    char path[4096], physical[2048], line[8192];
    unsigned line_no = 0, first_line = 0;
    bool ok = false;
    FILE *in = NULL;

    if (depth > MAX_INCLUDE_DEPTH) {
        snprintf(err, errlen, "includes nest deeper than %d (a loop?) at %s", MAX_INCLUDE_DEPTH,
                 name);
        return false;
    }
    in = open_config(dirs, name, path, sizeof(path), err, errlen);
    if (!in)
        return false;
    if (!note_file(out, path)) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    line[0] = '\0';
    while (fgets(physical, sizeof(physical), in)) {
        struct words w;
        char *hash, *type;
        size_t len;

        line_no++;
        if (!line[0])
            first_line = line_no;
        physical[strcspn(physical, "\n")] = '\0';
        len = strlen(physical);
        /* A backslash at the end joins the next line, as Linux-PAM reads it. */
        if (len > 0 && physical[len - 1] == '\\') {
            physical[len - 1] = ' ';
            strncat(line, physical, sizeof(line) - strlen(line) - 1);
            continue;
        }
        strncat(line, physical, sizeof(line) - strlen(line) - 1);
        hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        split_words(line, &w);
        if (w.count == 0)
            goto next;
        if (strcmp(w.word[0], "@include") == 0) {
            if (w.count >= 2 &&
                !read_stack(dirs, w.word[1], only_type, depth + 1, out, err, errlen))
                goto out;
            goto next;
        }
        if (w.count < 3)
            goto next;
        type = w.word[0][0] == '-' ? w.word[0] + 1 : w.word[0];
        if (only_type && strcmp(type, only_type) != 0)
            goto next;
        if (strcmp(w.word[1], "include") == 0 || strcmp(w.word[1], "substack") == 0) {
            if (!read_stack(dirs, w.word[2], type, depth + 1, out, err, errlen))
                goto out;
            goto next;
        }
        if (strcmp(type, "session") == 0 && !note_placement(out, path, first_line, &w)) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        if ((strcmp(type, "session") == 0 || strcmp(type, "account") == 0) &&
            module_is(w.word[2], MODULE_NAME) && !add_line(out, path, first_line, type, &w)) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
    next:
        line[0] = '\0';
    }
    ok = true;
out:
    fclose(in);
    return ok;
}

bool pam_service_find(const char *const *dirs, const char *service, struct pam_service *out,
                      char *err, size_t errlen)
{
    bool ok;

    memset(out, 0, sizeof(*out));
    /* pam_start takes no path as a service name; an include may name one. */
    if (strchr(service, '/')) {
        snprintf(err, errlen, "'%s' is not a PAM service name", service);
        return false;
    }
    ok = read_stack(dirs, service, NULL, 0, out, err, errlen);
    if (!ok)
        pam_service_free(out);
    return ok;
}

void pam_service_free(struct pam_service *service)
{
    for (size_t i = 0; i < service->count; i++) {
        struct pam_module_line *l = &service->lines[i];
        for (int j = 0; j < l->argc; j++)
            free(l->argv[j]);
        free(l->argv);
        free(l->file);
        free(l->type);
        free(l->control);
        free(l->after_selinux_open);
        free(l->after_motd);
    }
    free(service->lines);
    service->lines = NULL;
    service->count = 0;
    for (size_t i = 0; i < service->file_count; i++)
        free(service->files[i]);
    free(service->files);
    service->files = NULL;
    service->file_count = 0;
    free(service->selinux_open_seen);
    free(service->motd_seen);
    service->selinux_open_seen = service->motd_seen = NULL;
}

void pam_service_default_dirs(const char *vendordir, const char **dirs, char *buf, size_t buflen)
{
    size_t n = 0;

    dirs[n++] = PAM_SERVICE_ETC_DIR;
    dirs[n++] = PAM_SERVICE_DIST_DIR;
    if (vendordir && *vendordir) {
        snprintf(buf, buflen, "%s/pam.d", vendordir);
        if (strcmp(buf, PAM_SERVICE_ETC_DIR) != 0 && strcmp(buf, PAM_SERVICE_DIST_DIR) != 0)
            dirs[n++] = buf;
    }
    dirs[n] = NULL;
}
