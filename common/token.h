/* Where the API token comes from: a file the administrator keeps, or (auth = aksk or
 * password) the SCNet token service, with the token cached and renewed before it expires. */
#ifndef SCNET_TOKEN_H
#define SCNET_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "log.h"

/* Read the token: the first line of cfg->token_file, checked as a secret file. On success
 * *token is a NUL-terminated string the caller wipes with token_free(). */
bool token_load(const struct scnet_config *cfg, char **token, char *err, size_t errlen);

/* The token to send now, within deadline_ms (CLOCK_MONOTONIC). rejected: NULL on the first
 * try; after the API refused a token, that token, so that a new one is obtained (or a newer
 * one another login already obtained is used). Returns false with the reason in err; also
 * false when a new token cannot exist (auth = token_file and rejected != NULL). */
bool token_get(const struct scnet_config *cfg, int64_t deadline_ms, const struct scnet_log *log,
               const char *rejected, char **token, char *err, size_t errlen);

/* Wipe and free a token (NULL is fine). */
void token_free(char *token);

#endif
