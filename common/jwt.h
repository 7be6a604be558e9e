/* Reading the expiry of an SCNet token: an HS256 JWT whose payload carries `expireTime`. */
#ifndef SCNET_JWT_H
#define SCNET_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JWT_MAX_LEN 8192 /* longer tokens are not read */

/* The payload's `expireTime` claim (milliseconds since the epoch), without checking the
 * signature (the key is the issuer's). True only when token is three base64url parts, the
 * payload is a JSON object, and expireTime is a whole number from 1 to 10^15 (a JSON number or
 * a string of digits). Otherwise false, with a short reason (no token text) in why. */
bool jwt_expire_ms(const char *token, int64_t *expire_ms, char *why, size_t whylen);

#endif
