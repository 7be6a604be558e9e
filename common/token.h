/* Where the API token comes from. */
#ifndef SCNET_TOKEN_H
#define SCNET_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Read the token: the first line of cfg->token_file, checked as a secret file. On success
 * *token is a NUL-terminated string the caller wipes with token_free(). */
bool token_load(const struct scnet_config *cfg, char **token, char *err, size_t errlen);

/* Wipe and free a token (NULL is fine). */
void token_free(char *token);

#endif
