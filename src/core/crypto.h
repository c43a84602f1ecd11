/* Cryptographic primitives for the layers above (HMAC, SHA-1, random bytes, constant-time
 * comparison); the one module of core that uses OpenSSL. */
#ifndef GC_CORE_CRYPTO_H
#define GC_CORE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

/* HMAC-SHA-256 of data under key into out. */
void gc_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                    unsigned char out[32]);
/* Fills out with n cryptographically random bytes (aborts if the generator fails). */
void gc_random_bytes(unsigned char *out, size_t n);
/* True when the n bytes at a and b are equal, in time that depends on n only (no early exit):
 * for comparing secrets such as tokens. Eight bytes a step. */
bool gc_equal_const_time(const void *a, const void *b, size_t n);

#define GC_SHA1_LEN 20
/* SHA-1 of a[0..a_len) followed by b[0..b_len) into out; 0, or -1 when the digest fails. */
int gc_sha1_2(const void *a, size_t a_len, const void *b, size_t b_len,
              unsigned char out[GC_SHA1_LEN]);

#endif
