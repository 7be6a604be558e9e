#include "token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safe_file.h"

#define TOKEN_FILE_MAX 16384

void token_free(char *token)
{
    if (!token)
        return;
    explicit_bzero(token, strlen(token));
    free(token);
}

bool token_load(const struct scnet_config *cfg, char **token, char *err, size_t errlen)
{
    char *content = NULL;
    size_t len = 0, tok_len;
    bool ok = false;

    *token = NULL;
    if (!safe_file_read(cfg->token_file, SAFE_FILE_SECRET, cfg->owner, TOKEN_FILE_MAX, &content,
                        &len, NULL, err, errlen))
        goto out;
    if (strlen(content) != len) {
        snprintf(err, errlen, "%s: contains a NUL byte", cfg->token_file);
        goto out;
    }
    tok_len = strcspn(content, "\r\n");
    /* Trailing blanks are a copy-paste accident, not part of a token. */
    while (tok_len > 0 && (content[tok_len - 1] == ' ' || content[tok_len - 1] == '\t'))
        tok_len--;
    if (tok_len == 0) {
        snprintf(err, errlen, "%s: first line is empty", cfg->token_file);
        goto out;
    }
    for (size_t i = 0; i < tok_len; i++) {
        unsigned char c = (unsigned char)content[i];
        /* It goes into an HTTP header: anything else would corrupt or split it. */
        if (c < 0x21 || c > 0x7e) {
            snprintf(err, errlen, "%s: token holds a space or non-printable byte",
                     cfg->token_file);
            goto out;
        }
    }
    *token = strndup(content, tok_len);
    if (!*token) {
        snprintf(err, errlen, "%s: out of memory", cfg->token_file);
        goto out;
    }
    ok = true;
out:
    if (content) {
        explicit_bzero(content, len);
        free(content);
    }
    return ok;
}

bool token_get(const struct scnet_config *cfg, int64_t deadline_ms, const struct scnet_log *log,
               const char *rejected, char **token, char *err, size_t errlen)
{
    (void)deadline_ms;
    (void)log;
    if (rejected) {
        *token = NULL;
        snprintf(err, errlen, "the API refused the token from %s", cfg->token_file);
        return false;
    }
    return token_load(cfg, token, err, errlen);
}
