/* Bearer-token authentication: verifies a JWT (HS256 with a shared secret; RS256 and ES256 with
 * keys from a JWKS file, matched by kid) and yields who is calling: the tenant (tid), the
 * application (appid in v1 tokens, azp in v2 ones) and the permissions granted by scp
 * (delegated, space-separated) or roles (application, array).
 * Signatures are verified with OpenSSL. Never accepts alg "none" or a token whose alg differs
 * from its key's. Error messages never contain the token. Verified tokens are cached (see
 * gc_auth_verify), so a client that sends the same token on every request pays for the
 * signature and the JSON once. */
#ifndef GC_AUTH_AUTH_H
#define GC_AUTH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

typedef struct gc_auth gc_auth;

typedef struct gc_auth_config {
    const char *secret_file;   /* HS256 shared secret (raw file bytes, trailing newline trimmed), or NULL */
    const char *jwks_file;     /* JWKS JSON with RSA and EC P-256 keys, or NULL */
    const char *jwks_url;      /* https URL of a JWKS (instead of jwks_file), or NULL: fetched at
                                  open and again when a token names an unknown kid (at most once
                                  a minute), each time with a few attempts */
    const char *jwks_ca_file;  /* CA bundle that verifies the JWKS server (NULL: the system's) */
    const char *const *audiences; /* NULL-terminated accepted aud values; NULL: the Graph defaults */
    const char *const *issuers;   /* NULL-terminated accepted iss values, "{tenantid}" standing for
                                     the token's tid; NULL or empty: iss is not checked */
    int skew_seconds;          /* allowed clock skew for exp/nbf; default 300 when 0 */
    int cache_entries;         /* verified-token cache slots: 0 → 4096; -1 → no cache; else 2 to
                                  1048576, rounded up to a power of two. Memory: 64 bytes per
                                  slot up front, plus per cached token ~620 bytes, its
                                  permission names (a token whose names need more than 2 KiB is
                                  not cached) and the token itself (at most 16 KiB): typically
                                  1-3 KiB a token; 4096 slots of the longest tokens would take
                                  74 MiB. Only verified tokens are cached. */
} gc_auth_config;

#define GC_AUTH_MAX_PERMS 64
#define GC_AUTH_MAX_APP 128 /* bytes of an application id */
#define GC_AUTH_MAX_USER 128 /* bytes of a user's object id */
#define GC_AUTH_MAX_UPN 256  /* bytes of a user principal name */

typedef struct gc_principal {
    char tenant[37];             /* tid, lower case GUID */
    char app[GC_AUTH_MAX_APP + 1]; /* appid (v1 tokens) or else azp (v2), as sent; "" when the
                                      token has neither */
    char user_id[GC_AUTH_MAX_USER + 1]; /* oid (the signed-in user, or the app's service
                                           principal in app-only tokens), as sent; "" when absent */
    char upn[GC_AUTH_MAX_UPN + 1];      /* upn, else preferred_username (delegated tokens); "" */
    size_t n_perms;
    const char *perms[GC_AUTH_MAX_PERMS]; /* arena-owned permission names */
} gc_principal;

/* At least one of secret_file / jwks_file must be given. A missing, unreadable or malformed
 * file → -1 with a message naming the file (and for JWKS, which key is wrong). */
int gc_auth_open(const gc_auth_config *cfg, gc_auth **out, gc_err *err);
void gc_auth_close(gc_auth *auth);

/* Verifies the value of an Authorization header ("Bearer <jwt>"; the scheme is matched
 * case-insensitively). header may be NULL (missing). now is Unix seconds.
 * Failure → GC_E_UNAUTHENTICATED with a message saying what is wrong (missing header, not a
 * JWT, unsupported or mismatched alg, unknown kid, bad signature, expired, not yet valid,
 * wrong audience, missing or malformed tid, issuer not accepted, an appid or azp that is not a
 * string of 1 to 128 printable ASCII characters; the same for oid, and 1 to 256 for upn or
 * preferred_username).
 * Thread-safe. A successful verification is cached, keyed by the token's bytes (a hit compares
 * the whole token); a later call with the same token skips the signature and the
 * claims, copies the cached principal into a, and re-checks only exp/nbf against now, so it
 * answers exactly as a full verification would (same principal, same expiry messages).
 * Refusals are never cached. */
int gc_auth_verify(gc_auth *auth, gc_arena *a, const char *header, int64_t now,
                   gc_principal *out, gc_err *err);

/* Counters of the verified-token cache, summed over its locks (a consistent snapshot only when
 * no verification runs at the same time). All zero when the cache is off. */
typedef struct gc_auth_cache_stats {
    size_t capacity;    /* slots */
    size_t used;        /* slots holding a token */
    uint64_t hits;      /* verifications answered from the cache (expired hits included) */
    uint64_t misses;    /* bearer tokens (of at most 16 KiB) looked up and not found */
    uint64_t evictions; /* tokens replaced by another one */
} gc_auth_cache_stats;

void gc_auth_get_cache_stats(gc_auth *auth, gc_auth_cache_stats *out);

/* True when p holds any one of the NULL-terminated permission names (case-insensitive). */
bool gc_auth_has_any(const gc_principal *p, const char *const *perms);

/* Mints an HS256 token for local use: aud https://graph.microsoft.com, tid tenant, iat/nbf now,
 * exp now+ttl, and scp (space-separated, when scopes != NULL) or roles (array, split from a
 * space-separated roles string). Returns a malloc'd string the caller frees, or NULL. */
char *gc_auth_mint_hs256(const unsigned char *secret, size_t secret_len, const char *tenant,
                         const char *scopes, const char *roles, int64_t now, int64_t ttl);

/* Reads a secret file (trailing CR/LF trimmed) into a malloc'd buffer. */
int gc_auth_read_secret(const char *path, unsigned char **out, size_t *len, gc_err *err);

#endif
