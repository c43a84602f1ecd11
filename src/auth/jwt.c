/* Bearer-token verification (see auth.h): split the compact JWT, read the header, pick the key
 * (the shared secret for HS256, a JWKS key by kid for RS256/ES256), check the signature, then
 * the claims (exp, nbf, aud, tid, appid/azp, oid, upn) and collect scp/roles into the principal. The
 * signature is checked before any claim is looked at. A verified token goes into the cache (cache.c); a hit
 * re-checks only the times, with the same code. Messages never echo the token. */
#include "auth/auth_int.h"

#include <jansson.h>
#include <openssl/crypto.h>

#include <assert.h>
#include <curl/curl.h>
#include <pthread.h>
#include <time.h>

#include "core/log.h"
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_SKEW 300
#define MAX_AUDIENCES 16
#define MAX_ISSUERS 16
#define TENANT_MARK "{tenantid}"
#define KID_REFRESH_SECONDS 60 /* a token with an unknown kid refetches the JWKS at most this often */

static const char *const default_audiences[] = {
    "https://graph.microsoft.com",
    "00000003-0000-0000-c000-000000000000",
    NULL,
};

struct gc_auth {
    unsigned char *secret; /* NULL when HS256 is not configured */
    size_t secret_len;
    gc_jwks jwks;          /* n == 0 when no JWKS is configured; under keys_lock */
    char *jwks_url, *jwks_ca; /* keys fetched from a URL (NULL: from the file or none) */
    pthread_rwlock_t keys_lock; /* readers verify with jwks; a refresh swaps it */
    pthread_mutex_t refresh_lock;
    time_t kid_refresh_at; /* when an unknown kid last refetched the JWKS (0: never) */
    char *audiences[MAX_AUDIENCES + 1];
    size_t n_audiences;
    char *issuers[MAX_ISSUERS + 1]; /* none: iss is not checked */
    size_t n_issuers;
    int skew;
    gc_auth_cache *cache;  /* NULL when configured off */
};

typedef enum jwt_alg { ALG_HS256, ALG_RS256, ALG_ES256 } jwt_alg;

static const char *const alg_names[] = {"HS256", "RS256", "ES256"};

/* Everything that points into one request's token; freed by jwt_parts_free. */
typedef struct jwt_parts {
    const char *token;
    size_t signed_len; /* header "." payload */
    const char *payload_b64;
    size_t payload_b64_len;
    unsigned char *sig;
    size_t sig_len;
    json_t *header;
    json_t *claims;
} jwt_parts;

static int unauth(gc_err *err, const char *msg)
{
    return gc_err_set(err, GC_E_UNAUTHENTICATED, "", "%s", msg);
}

/* ---- open / close ---- */

void gc_auth_close(gc_auth *auth)
{
    if (!auth)
        return;
    if (auth->secret) {
        OPENSSL_cleanse(auth->secret, auth->secret_len);
        free(auth->secret);
    }
    gc_auth_jwks_free(&auth->jwks);
    free(auth->jwks_url);
    free(auth->jwks_ca);
    pthread_rwlock_destroy(&auth->keys_lock);
    pthread_mutex_destroy(&auth->refresh_lock);
    gc_auth_cache_free(auth->cache);
    for (size_t i = 0; i < auth->n_audiences; i++)
        free(auth->audiences[i]);
    for (size_t i = 0; i < auth->n_issuers; i++)
        free(auth->issuers[i]);
    free(auth);
}

int gc_auth_open(const gc_auth_config *cfg, gc_auth **out, gc_err *err)
{
    int result = -1;
    gc_auth *auth = NULL;
    *out = NULL;
    bool has_secret = cfg->secret_file && *cfg->secret_file;
    bool has_jwks = cfg->jwks_file && *cfg->jwks_file;
    bool has_url = cfg->jwks_url && *cfg->jwks_url;
    if (!has_secret && !has_jwks && !has_url) {
        gc_err_set(err, GC_E_INTERNAL, "", "auth needs a secret file (HS256), a JWKS file or a JWKS URL");
        goto done;
    }
    if (has_jwks && has_url) {
        gc_err_set(err, GC_E_INTERNAL, "", "give a JWKS file or a JWKS URL, not both");
        goto done;
    }
    if (cfg->skew_seconds < 0 || cfg->skew_seconds > 86400) {
        gc_err_set(err, GC_E_INTERNAL, "", "clock skew must be 0 to 86400 seconds, got %d",
                   cfg->skew_seconds);
        goto done;
    }
    if (cfg->cache_entries < -1 || cfg->cache_entries == 1 ||
        cfg->cache_entries > GC_AUTH_CACHE_MAX) {
        gc_err_set(err, GC_E_INTERNAL, "",
                   "the token cache must have 2 to %d entries (0: %d, -1: off), got %d",
                   GC_AUTH_CACHE_MAX, GC_AUTH_CACHE_DEFAULT, cfg->cache_entries);
        goto done;
    }
    auth = calloc(1, sizeof *auth);
    if (!auth) {
        gc_err_set(err, GC_E_INTERNAL, "", "out of memory opening auth");
        goto done;
    }
    pthread_rwlock_init(&auth->keys_lock, NULL);
    pthread_mutex_init(&auth->refresh_lock, NULL);
    auth->skew = cfg->skew_seconds ? cfg->skew_seconds : DEFAULT_SKEW;
    const char *const *aud = cfg->audiences ? cfg->audiences : default_audiences;
    for (; *aud; aud++) {
        if (auth->n_audiences == MAX_AUDIENCES) {
            gc_err_set(err, GC_E_INTERNAL, "", "more than %d accepted audiences", MAX_AUDIENCES);
            goto done;
        }
        if (!**aud) {
            gc_err_set(err, GC_E_INTERNAL, "", "an accepted audience is empty");
            goto done;
        }
        if (!(auth->audiences[auth->n_audiences] = strdup(*aud))) {
            gc_err_set(err, GC_E_INTERNAL, "", "out of memory opening auth");
            goto done;
        }
        auth->n_audiences++;
    }
    for (const char *const *iss = cfg->issuers; iss && *iss; iss++) {
        if (auth->n_issuers == MAX_ISSUERS || !**iss) {
            gc_err_set(err, GC_E_INTERNAL, "", "at most %d issuers, none of them empty", MAX_ISSUERS);
            goto done;
        }
        if (!(auth->issuers[auth->n_issuers++] = strdup(*iss))) {
            gc_err_set(err, GC_E_INTERNAL, "", "out of memory opening auth");
            goto done;
        }
    }
    if (auth->n_audiences == 0) {
        gc_err_set(err, GC_E_INTERNAL, "", "the list of accepted audiences is empty");
        goto done;
    }
    if (has_secret &&
        gc_auth_read_secret(cfg->secret_file, &auth->secret, &auth->secret_len, err) < 0)
        goto done;
    if (has_jwks && gc_auth_jwks_load(cfg->jwks_file, &auth->jwks, err) < 0)
        goto done;
    if (has_url) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        if (!(auth->jwks_url = strdup(cfg->jwks_url)) ||
            (cfg->jwks_ca_file && !(auth->jwks_ca = strdup(cfg->jwks_ca_file)))) {
            gc_err_set(err, GC_E_INTERNAL, "", "out of memory opening auth");
            goto done;
        }
        if (gc_auth_jwks_fetch(auth->jwks_url, auth->jwks_ca, &auth->jwks, err) < 0)
            goto done;
    }
    if (cfg->cache_entries != -1) {
        size_t entries = cfg->cache_entries ? (size_t)cfg->cache_entries : GC_AUTH_CACHE_DEFAULT;
        if (!(auth->cache = gc_auth_cache_new(entries))) {
            gc_err_set(err, GC_E_INTERNAL, "", "out of memory opening auth");
            goto done;
        }
    }
    *out = auth;
    auth = NULL;
    result = 0;
done:
    gc_auth_close(auth);
    return result;
}

/* ---- token structure ---- */

static void jwt_parts_free(jwt_parts *p)
{
    free(p->sig);
    json_decref(p->header);
    json_decref(p->claims);
}

/* Decodes one base64url segment holding a JSON object. */
static json_t *segment_json(const char *s, size_t len)
{
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    if (gc_base64url_decode_strict(s, len, &raw, &raw_len) < 0)
        return NULL;
    json_t *j = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, NULL);
    free(raw);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* "Bearer <jwt>" → the token text and its length (trailing blanks are not part of it). */
static int bearer_token(const char *header, const char **tok, size_t *tok_len, gc_err *err)
{
    if (!header)
        return unauth(err, "The Authorization header is missing; send 'Authorization: Bearer <token>'.");
    while (*header == ' ' || *header == '\t')
        header++;
    if (strncasecmp(header, "Bearer", 6) != 0 || (header[6] != ' ' && header[6] != '\t'))
        return unauth(err, "The Authorization header must use the Bearer scheme.");
    const char *s = header + 6;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0)
        return unauth(err, "The bearer token is empty.");
    if (len > GC_AUTH_MAX_TOKEN)
        return unauth(err, "The bearer token is longer than 16384 bytes.");
    *tok = s;
    *tok_len = len;
    return 0;
}

/* Splits header.payload.signature, decodes the header and the signature. */
static int split_token(const char *tok, size_t len, jwt_parts *p, gc_err *err)
{
    static const char not_jwt[] =
        "The bearer token is not a JWT (expected three base64url segments separated by dots).";
    const char *dot1 = memchr(tok, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - tok)) : NULL;
    if (!dot1 || !dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - tok)))
        return unauth(err, not_jwt);
    if (dot1 == tok || dot2 == dot1 + 1)
        return unauth(err, not_jwt);
    p->token = tok;
    p->signed_len = (size_t)(dot2 - tok);
    p->payload_b64 = dot1 + 1;
    p->payload_b64_len = (size_t)(dot2 - dot1 - 1);
    p->header = segment_json(tok, (size_t)(dot1 - tok));
    if (!p->header)
        return unauth(err, "The JWT header is not a base64url-encoded JSON object.");
    const char *sig = dot2 + 1;
    size_t sig_len = len - (size_t)(sig - tok);
    if (gc_base64url_decode_strict(sig, sig_len, &p->sig, &p->sig_len) < 0)
        return unauth(err, "The JWT signature is not base64url.");
    return 0;
}

/* ---- signature ---- */

static int header_alg(json_t *header, jwt_alg *alg, gc_err *err)
{
    json_t *v = json_object_get(header, "alg");
    const char *name = json_string_value(v);
    if (!name)
        return unauth(err, "The JWT header has no alg.");
    if (json_object_get(header, "crit"))
        return unauth(err, "The JWT header has a crit parameter; no JWS extensions are supported.");
    for (size_t i = 0; i < sizeof alg_names / sizeof alg_names[0]; i++) {
        if (strcmp(name, alg_names[i]) == 0) {
            *alg = (jwt_alg)i;
            return 0;
        }
    }
    if (strcasecmp(name, "none") == 0)
        return unauth(err, "Unsigned tokens (alg none) are not accepted.");
    return unauth(err, "The JWT alg is not supported (accepted: HS256, RS256, ES256).");
}

/* Finds the JWKS key for an RS256/ES256 token. */
static const gc_jwk *pick_key(const gc_auth *auth, jwt_alg alg, json_t *header, bool *unknown_kid,
                              gc_err *err)
{
    *unknown_kid = false;
    gc_jwk_type want = alg == ALG_RS256 ? GC_JWK_RSA : GC_JWK_EC;
    const char *type_name = want == GC_JWK_RSA ? "RSA" : "EC P-256";
    json_t *kid_v = json_object_get(header, "kid");
    if (kid_v && !json_is_string(kid_v)) {
        unauth(err, "The JWT header kid is not a string.");
        return NULL;
    }
    const char *kid = json_string_value(kid_v);
    const gc_jwk *found = NULL;
    size_t n_type = 0;
    bool kid_other_type = false;
    for (size_t i = 0; i < auth->jwks.n; i++) {
        const gc_jwk *k = &auth->jwks.keys[i];
        if (kid) {
            if (!k->kid || strcmp(k->kid, kid) != 0)
                continue;
            if (k->type == want)
                return k;
            kid_other_type = true;
        } else if (k->type == want) {
            n_type++;
            found = k;
        }
    }
    if (kid) {
        if (kid_other_type)
            gc_err_set(err, GC_E_UNAUTHENTICATED, "",
                       "The JWT alg %s does not match the type of the key its kid names.",
                       alg_names[alg]);
        else
            unauth(err, "The JWT kid matches no key in the configured JWKS.");
        *unknown_kid = !kid_other_type;
        return NULL;
    }
    if (n_type == 1)
        return found;
    if (n_type == 0)
        gc_err_set(err, GC_E_UNAUTHENTICATED, "",
                   "The JWT alg is %s but the configured JWKS has no %s key.", alg_names[alg],
                   type_name);
    else
        gc_err_set(err, GC_E_UNAUTHENTICATED, "",
                   "The JWT has no kid and the configured JWKS has %zu %s keys.", n_type,
                   type_name);
    return NULL;
}

/* A token named a kid the keys lack: keys from a URL may have rotated, so fetch them again,
 * at most once every KID_REFRESH_SECONDS (a stream of made-up kids cannot hammer the IdP). */
static void refresh_keys(gc_auth *auth)
{
    pthread_mutex_lock(&auth->refresh_lock);
    time_t now = time(NULL);
    if (auth->kid_refresh_at == 0 || now - auth->kid_refresh_at >= KID_REFRESH_SECONDS) {
        auth->kid_refresh_at = now;
        gc_jwks fresh = {NULL, 0}, old;
        gc_err e;
        gc_err_clear(&e);
        if (gc_auth_jwks_fetch(auth->jwks_url, auth->jwks_ca, &fresh, &e) == 0) {
            pthread_rwlock_wrlock(&auth->keys_lock);
            old = auth->jwks;
            auth->jwks = fresh;
            pthread_rwlock_unlock(&auth->keys_lock);
            gc_auth_jwks_free(&old);
            gc_log(GC_LOG_INFO, NULL, "token keys refetched from %s (%zu keys)", auth->jwks_url, fresh.n);
        } else {
            gc_log(GC_LOG_WARN, NULL, "token keys not refetched, the old ones stay: %s", e.message);
        }
    }
    pthread_mutex_unlock(&auth->refresh_lock);
}

/* Picks the key and verifies the signature with it, under the keys' read lock. */
static int verify_with_jwks(gc_auth *auth, jwt_alg alg, const jwt_parts *p, bool *unknown_kid,
                            gc_err *err)
{
    const unsigned char *msg = (const unsigned char *)p->token;
    int result = -1;
    pthread_rwlock_rdlock(&auth->keys_lock);
    const gc_jwk *key = pick_key(auth, alg, p->header, unknown_kid, err);
    if (key && !gc_auth_pkey_ok(key->pkey, key->type, msg, p->signed_len, p->sig, p->sig_len))
        unauth(err, "The JWT signature is invalid.");
    else if (key)
        result = 0;
    pthread_rwlock_unlock(&auth->keys_lock);
    return result;
}

static int check_signature(gc_auth *auth, const jwt_parts *p, gc_err *err)
{
    jwt_alg alg = ALG_HS256; /* set by header_alg on success */
    if (header_alg(p->header, &alg, err) < 0)
        return -1;
    const unsigned char *msg = (const unsigned char *)p->token;
    if (alg == ALG_HS256) {
        if (!auth->secret)
            return unauth(err, "HS256 tokens are not accepted: no shared secret is configured.");
        if (!gc_auth_hs256_ok(auth->secret, auth->secret_len, msg, p->signed_len, p->sig,
                              p->sig_len))
            return unauth(err, "The JWT signature is invalid.");
        return 0;
    }
    if (!auth->jwks_url && auth->jwks.n == 0)
        return gc_err_set(err, GC_E_UNAUTHENTICATED, "",
                          "%s tokens are not accepted: no JWKS is configured.", alg_names[alg]);
    bool unknown_kid = false;
    if (verify_with_jwks(auth, alg, p, &unknown_kid, err) == 0)
        return 0;
    if (!unknown_kid || !auth->jwks_url)
        return -1;
    refresh_keys(auth);
    return verify_with_jwks(auth, alg, p, &unknown_kid, err);
}

/* ---- claims ---- */

static int time_claim(json_t *claims, const char *name, bool required, double *out, bool *present,
                      gc_err *err)
{
    json_t *v = json_object_get(claims, name);
    *present = v != NULL;
    if (!v) {
        if (required)
            return gc_err_set(err, GC_E_UNAUTHENTICATED, "", "The token has no %s claim.", name);
        return 0;
    }
    if (!json_is_number(v))
        return gc_err_set(err, GC_E_UNAUTHENTICATED, "", "The token's %s claim is not a number.",
                          name);
    *out = json_number_value(v);
    if (!isfinite(*out))
        return gc_err_set(err, GC_E_UNAUTHENTICATED, "", "The token's %s claim is not a number.",
                          name);
    return 0;
}

static int read_times(json_t *claims, gc_auth_times *times, gc_err *err)
{
    bool has_exp = false;
    memset(times, 0, sizeof *times);
    if (time_claim(claims, "exp", true, &times->exp, &has_exp, err) < 0 ||
        time_claim(claims, "nbf", false, &times->nbf, &times->has_nbf, err) < 0)
        return -1;
    return 0;
}

/* The one clock check, for fresh and cached tokens alike. */
static int check_times(const gc_auth *auth, const gc_auth_times *times, int64_t now, gc_err *err)
{
    double t = (double)now, skew = (double)auth->skew;
    if (times->exp <= t - skew)
        return unauth(err, "The token has expired.");
    if (times->has_nbf && times->nbf > t + skew)
        return unauth(err, "The token is not yet valid (nbf is in the future).");
    return 0;
}

static bool audience_ok(const gc_auth *auth, const char *aud)
{
    for (size_t i = 0; i < auth->n_audiences; i++)
        if (strcmp(auth->audiences[i], aud) == 0)
            return true;
    return false;
}

static int check_audience(const gc_auth *auth, json_t *claims, gc_err *err)
{
    json_t *v = json_object_get(claims, "aud");
    bool ok = false;
    if (!v)
        return unauth(err, "The token has no aud claim.");
    if (json_is_string(v)) {
        ok = audience_ok(auth, json_string_value(v));
    } else if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            if (!json_is_string(item))
                return unauth(err, "The token's aud claim holds a value that is not a string.");
            ok = ok || audience_ok(auth, json_string_value(item));
        }
    } else {
        return unauth(err, "The token's aud claim is neither a string nor an array.");
    }
    if (!ok) {
        if (auth->n_audiences >= 2)
            return gc_err_set(err, GC_E_UNAUTHENTICATED, "",
                              "The token's audience is not accepted (expected %.100s or %.100s%s).",
                              auth->audiences[0], auth->audiences[1],
                              auth->n_audiences > 2 ? " or another configured audience" : "");
        return gc_err_set(err, GC_E_UNAUTHENTICATED, "",
                          "The token's audience is not accepted (expected %.200s).",
                          auth->audiences[0]);
    }
    return 0;
}

/* iss equals one configured issuer, in which {tenantid} stands for the token's tid (as Entra ID
 * writes it: https://login.microsoftonline.com/{tenantid}/v2.0). */
static bool issuer_ok(const char *want, const char *iss, const char *tenant)
{
    const char *mark = strstr(want, TENANT_MARK);
    if (!mark)
        return strcmp(want, iss) == 0;
    size_t head = (size_t)(mark - want), tail_len = strlen(mark + sizeof TENANT_MARK - 1);
    return strncmp(iss, want, head) == 0 && strncmp(iss + head, tenant, 36) == 0 &&
           strlen(iss) == head + 36 + tail_len && strcmp(iss + head + 36, mark + sizeof TENANT_MARK - 1) == 0;
}

static int check_issuer(const gc_auth *auth, json_t *claims, const char *tenant, gc_err *err)
{
    if (auth->n_issuers == 0)
        return 0;
    json_t *v = json_object_get(claims, "iss");
    if (!json_is_string(v))
        return unauth(err, "The token has no iss (issuer) claim.");
    for (size_t i = 0; i < auth->n_issuers; i++)
        if (issuer_ok(auth->issuers[i], json_string_value(v), tenant))
            return 0;
    return gc_err_set(err, GC_E_UNAUTHENTICATED, "", "The token's issuer is not accepted (expected %.200s%s).",
                      auth->issuers[0], auth->n_issuers > 1 ? " or another configured issuer" : "");
}

static int check_tenant(json_t *claims, gc_principal *out, gc_err *err)
{
    json_t *v = json_object_get(claims, "tid");
    if (!v)
        return unauth(err, "The token has no tid (tenant) claim.");
    if (!json_is_string(v) || !gc_guid_valid(json_string_value(v), json_string_length(v)))
        return unauth(err, "The token's tid claim is not a GUID.");
    const char *tid = json_string_value(v);
    for (size_t i = 0; i < 36; i++)
        out->tenant[i] = (char)tolower((unsigned char)tid[i]);
    out->tenant[36] = '\0';
    return 0;
}

/* A printable ASCII claim of 1 to max bytes into out (max + 1 bytes); the first of names that
 * is present wins; "" when none is. */
static int read_text_claim(json_t *claims, const char *const *names, size_t max, char *out,
                           gc_err *err)
{
    const char *name = NULL;
    json_t *v = NULL;
    for (size_t i = 0; names[i] && !v; i++)
        v = json_object_get(claims, name = names[i]);
    out[0] = '\0';
    if (!v)
        return 0;
    size_t n = json_is_string(v) ? json_string_length(v) : 0;
    const char *s = json_string_value(v);
    bool ok = n >= 1 && n <= max;
    for (size_t i = 0; ok && i < n; i++)
        ok = s[i] >= 0x20 && s[i] < 0x7f;
    if (!ok)
        return gc_err_set(err, GC_E_UNAUTHENTICATED, "",
                          "The token's %s claim is not a string of 1 to %zu printable ASCII characters.",
                          name, max);
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

/* Who calls: the application (appid in v1 tokens, else azp in v2 ones; Entra ID sends a GUID),
 * the user's object id (oid) and name (upn, else preferred_username), each "" when absent. */
static int read_caller(json_t *claims, gc_principal *out, gc_err *err)
{
    static const char *const app[] = {"appid", "azp", NULL};
    static const char *const oid[] = {"oid", NULL};
    static const char *const upn[] = {"upn", "preferred_username", NULL};
    if (read_text_claim(claims, app, GC_AUTH_MAX_APP, out->app, err) < 0 ||
        read_text_claim(claims, oid, GC_AUTH_MAX_USER, out->user_id, err) < 0 ||
        read_text_claim(claims, upn, GC_AUTH_MAX_UPN, out->upn, err) < 0)
        return -1;
    return 0;
}

static int add_perm(gc_arena *a, gc_principal *out, const char *s, size_t len, gc_err *err)
{
    if (out->n_perms == GC_AUTH_MAX_PERMS)
        return unauth(err, "The token grants more than 64 permissions.");
    out->perms[out->n_perms++] = gc_arena_strndup(a, s, len);
    return 0;
}

static int collect_perms(gc_arena *a, json_t *claims, gc_principal *out, gc_err *err)
{
    json_t *scp = json_object_get(claims, "scp");
    if (scp) {
        if (!json_is_string(scp))
            return unauth(err, "The token's scp claim is not a string.");
        const char *s = json_string_value(scp);
        const char *end = s + json_string_length(scp);
        while (s < end) {
            while (s < end && *s == ' ')
                s++;
            const char *w = s;
            while (s < end && *s != ' ')
                s++;
            if (s > w && add_perm(a, out, w, (size_t)(s - w), err) < 0)
                return -1;
        }
    }
    json_t *roles = json_object_get(claims, "roles");
    if (roles) {
        if (!json_is_array(roles))
            return unauth(err, "The token's roles claim is not an array.");
        size_t i;
        json_t *item;
        json_array_foreach(roles, i, item) {
            if (!json_is_string(item))
                return unauth(err, "The token's roles claim holds a value that is not a string.");
            if (json_string_length(item) > 0 &&
                add_perm(a, out, json_string_value(item), json_string_length(item), err) < 0)
                return -1;
        }
    }
    return 0;
}

int gc_auth_verify(gc_auth *auth, gc_arena *a, const char *header, int64_t now,
                   gc_principal *out, gc_err *err)
{
    assert(auth && a && out);
    int result = -1;
    jwt_parts p;
    memset(&p, 0, sizeof p);
    memset(out, 0, sizeof *out);
    const char *tok = NULL;
    size_t tok_len = 0;
    gc_auth_times times;
    if (bearer_token(header, &tok, &tok_len, err) < 0)
        goto done;
    if (auth->cache && gc_auth_cache_get(auth->cache, tok, tok_len, a, out, &times)) {
        result = check_times(auth, &times, now, err);
        goto done;
    }
    if (split_token(tok, tok_len, &p, err) < 0 || check_signature(auth, &p, err) < 0)
        goto done;
    p.claims = segment_json(p.payload_b64, p.payload_b64_len);
    if (!p.claims) {
        unauth(err, "The JWT payload is not a base64url-encoded JSON object.");
        goto done;
    }
    if (read_times(p.claims, &times, err) < 0 || check_times(auth, &times, now, err) < 0 ||
        check_audience(auth, p.claims, err) < 0 || check_tenant(p.claims, out, err) < 0 ||
        check_issuer(auth, p.claims, out->tenant, err) < 0 || read_caller(p.claims, out, err) < 0 ||
        collect_perms(a, p.claims, out, err) < 0)
        goto done;
    if (auth->cache)
        gc_auth_cache_put(auth->cache, tok, tok_len, out, &times);
    result = 0;
done:
    if (result < 0)
        memset(out, 0, sizeof *out);
    jwt_parts_free(&p);
    return result;
}

void gc_auth_get_cache_stats(gc_auth *auth, gc_auth_cache_stats *out)
{
    memset(out, 0, sizeof *out);
    if (auth->cache)
        gc_auth_cache_stats_sum(auth->cache, out);
}

bool gc_auth_has_any(const gc_principal *p, const char *const *perms)
{
    if (!p || !perms)
        return false;
    for (; *perms; perms++)
        for (size_t i = 0; i < p->n_perms; i++)
            if (strcasecmp(p->perms[i], *perms) == 0)
                return true;
    return false;
}
