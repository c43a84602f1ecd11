/* Internals shared by the files of the auth module (not for use outside src/auth): the verified
 * key set loaded from a JWKS file, the JWS signature primitives, strict base64url, bounded file
 * reading and the cache of verified tokens. Everything but the cache is read-only once built;
 * the cache locks itself, so one gc_auth serves many threads. */
#ifndef GC_AUTH_AUTH_INT_H
#define GC_AUTH_AUTH_INT_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>

#include "auth/auth.h"
#include "core/codec.h"
#include "core/guid.h"

#define GC_AUTH_MAX_TOKEN (16 * 1024)     /* bytes of the compact JWT */
#define GC_AUTH_MAX_SECRET (64 * 1024)    /* bytes of the shared-secret file */
#define GC_AUTH_MAX_JWKS (1024 * 1024)    /* bytes of the JWKS file */
#define GC_AUTH_MAX_KEYS 256              /* keys in the JWKS */
#define GC_AUTH_RSA_MIN_BITS 2048
#define GC_AUTH_RSA_MAX_BITS 8192

typedef enum gc_jwk_type { GC_JWK_RSA, GC_JWK_EC } gc_jwk_type;

typedef struct gc_jwk {
    gc_jwk_type type;
    char *kid;      /* NULL when the key has none */
    EVP_PKEY *pkey; /* public key, owned */
} gc_jwk;

typedef struct gc_jwks {
    gc_jwk *keys;
    size_t n;
} gc_jwks;

/* Loads the RSA and EC P-256 signing keys of a JWKS file. Keys of other types or curves, keys
 * whose "use" is not "sig" and keys restricted to another "alg" are skipped; a malformed key is
 * an error naming the file and the key. -1 also when no usable key remains. */
int gc_auth_jwks_load(const char *path, gc_jwks *out, gc_err *err);
/* The same from JWKS text already read; path names its source in messages. */
int gc_auth_jwks_parse(const char *path, const unsigned char *text, size_t text_len, gc_jwks *out,
                       gc_err *err);
/* Fetches and parses the JWKS at an https URL with libcurl: TLS verified (against ca_file when
 * not NULL, else the system's CAs), 10 s per attempt, at most GC_AUTH_MAX_JWKS bytes, up to
 * GC_AUTH_JWKS_ATTEMPTS attempts 250 ms, 500 ms... apart. */
#define GC_AUTH_JWKS_ATTEMPTS 3
int gc_auth_jwks_fetch(const char *url, const char *ca_file, gc_jwks *out, gc_err *err);
void gc_auth_jwks_free(gc_jwks *ks);

/* Reads a whole file of at most limit bytes into a malloc'd, NUL-terminated buffer. Errors
 * name the file as "<what> file '<path>'". */
int gc_auth_read_file(const char *path, const char *what, size_t limit, unsigned char **out,
                      size_t *len, gc_err *err);

/* HMAC-SHA-256 of msg into out; 0 or -1. */
int gc_auth_hs256_sign(const unsigned char *key, size_t key_len, const unsigned char *msg,
                       size_t msg_len, unsigned char out[32]);
/* True when sig is the HMAC-SHA-256 of msg (compared in constant time). */
bool gc_auth_hs256_ok(const unsigned char *key, size_t key_len, const unsigned char *msg,
                      size_t msg_len, const unsigned char *sig, size_t sig_len);
/* True when sig is a valid RS256 (RSA) or ES256 (EC, raw r||s) signature of msg by pkey.
 * Creates its own contexts: safe to call from many threads with the same pkey. */
bool gc_auth_pkey_ok(EVP_PKEY *pkey, gc_jwk_type type, const unsigned char *msg, size_t msg_len,
                     const unsigned char *sig, size_t sig_len);

/* ---- cache of verified tokens (cache.c) ---- */

#define GC_AUTH_CACHE_DEFAULT 4096
#define GC_AUTH_CACHE_MAX (1 << 20)
#define GC_AUTH_CACHE_MAX_NAMES 2048 /* bytes of permission names (NULs included) a cached
                                        principal may hold; a larger one is not cached */

typedef struct gc_auth_cache gc_auth_cache;

/* The token times a cache hit re-checks against the clock. */
typedef struct gc_auth_times {
    double exp;
    double nbf;
    bool has_nbf;
} gc_auth_times;

/* A 2-way set-associative table of entries slots (2 to GC_AUTH_CACHE_MAX, rounded up to a
 * power of two), one mutex per set. NULL when out of memory. */
gc_auth_cache *gc_auth_cache_new(size_t entries);
void gc_auth_cache_free(gc_auth_cache *c);
/* Looks the token's bytes up. On a hit: true, *out filled (its perms copied into a) and *times
 * set; the caller still has to check the times. On a miss: false, *out and *times untouched. */
bool gc_auth_cache_get(gc_auth_cache *c, const char *tok, size_t len, gc_arena *a,
                       gc_principal *out, gc_auth_times *times);
/* Remembers the verified principal of a token (both copied). Silently does nothing when out of
 * memory or when the permission names need more than GC_AUTH_CACHE_MAX_NAMES bytes. */
void gc_auth_cache_put(gc_auth_cache *c, const char *tok, size_t len, const gc_principal *p,
                       const gc_auth_times *times);
void gc_auth_cache_stats_sum(gc_auth_cache *c, gc_auth_cache_stats *out);

#endif
