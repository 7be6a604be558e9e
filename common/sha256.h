/* SHA-256 and HMAC-SHA256 (FIPS 180-4, RFC 2104), for the token service's request signature
 * and for naming cache keys. */
#ifndef SCNET_SHA256_H
#define SCNET_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_BLOCK_LEN 64
#define SHA256_HEX_LEN (2 * SHA256_DIGEST_LEN)

struct sha256_ctx {
    uint32_t state[8];
    uint64_t total; /* bytes hashed so far */
    unsigned char block[SHA256_BLOCK_LEN];
    size_t used; /* bytes waiting in block */
};

/* Start a new hash. */
void sha256_init(struct sha256_ctx *ctx);

/* Hash len more bytes of data. */
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);

/* Write the digest into out and wipe ctx. */
void sha256_final(struct sha256_ctx *ctx, unsigned char out[SHA256_DIGEST_LEN]);

/* out = SHA-256(data). */
void sha256(const void *data, size_t len, unsigned char out[SHA256_DIGEST_LEN]);

/* out = HMAC-SHA256(key, msg); every intermediate holding key material is wiped. */
void hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                 unsigned char out[SHA256_DIGEST_LEN]);

/* Write len bytes of in as lowercase hex plus a NUL into out (2 * len + 1 bytes). */
void hex_lower_encode(const unsigned char *in, size_t len, char *out);

#endif
