/* Building the quota URL and deciding which base URLs are acceptable. */
#ifndef SCNET_URL_H
#define SCNET_URL_H

#include <stdbool.h>
#include <stddef.h>

#define SCNET_QUOTA_PATH "/hpc/openapi/v2/parastor/quota/usernames/"

/* True when the name may be sent at all: not empty, not "." or "..", no '/', no control
 * characters (C0, DEL), at most 256 bytes. */
bool username_is_sendable(const char *user);

/* True when base is "https://host[:port][/path]", or "http://" with a loopback host
 * (127.0.0.0/8, [::1], localhost). Otherwise writes why into err. No userinfo, query or
 * fragment is accepted. */
bool base_url_is_allowed(const char *base, char *err, size_t errlen);

/* Join base (allowed per base_url_is_allowed) and path_suffix without doubling '/', and
 * without doubling "/hpc" when base already ends in "/hpc" and path_suffix starts with it.
 * Caller frees *url. */
bool url_join(const char *base, const char *path_suffix, char **url, char *err, size_t errlen);

/* The full quota URL for user: base + SCNET_QUOTA_PATH + percent-encoded user (every byte
 * outside A-Z a-z 0-9 - . _ ~ is encoded). Refuses a name username_is_sendable rejects. */
bool quota_url_build(const char *base, const char *user, char **url, char *err, size_t errlen);

#endif
