/* The credentials file: what the token service needs to issue a token (auth = aksk or
 * password). Root-only, `key = value` lines, `#` comments. */
#ifndef SCNET_CREDENTIALS_H
#define SCNET_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

#define CREDENTIALS_MAX_SIZE 8192
#define CREDENTIALS_MAX_VALUE 1024

struct credentials {
    char *user;       /* platform user name */
    char *access_key; /* aksk */
    char *secret_key; /* aksk */
    char *password;   /* password */
    char *org_id;     /* password */
};

/* Parse text (len bytes, NUL-terminated at len) named path for auth (AKSK or PASSWORD).
 * Keys: user, access_key, secret_key, password, org_id (those of the other mode are allowed
 * and ignored). An unknown or repeated key, a line without '=', an empty value, a value
 * that cannot go into an HTTP header, or a key the mode needs missing is an error
 * "<path>:<line>: problem" or "<path>: problem", never quoting a value. On failure nothing
 * is left allocated. */
bool credentials_parse(const char *text, size_t len, const char *path, enum scnet_auth auth,
                       struct credentials *creds, char *err, size_t errlen);

/* Read path as a secret file (regular, owned by owner, no access for group or others, no
 * symlink) and parse it; the file's bytes are wiped after parsing. */
bool credentials_load(const char *path, uid_t owner, enum scnet_auth auth,
                      struct credentials *creds, char *err, size_t errlen);

/* Wipe and free every field (safe on a zeroed struct). */
void credentials_wipe(struct credentials *creds);

#endif
