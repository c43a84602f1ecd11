/* Loads a JWKS file ({"keys":[...]}, the form Entra ID publishes) into OpenSSL public keys:
 * RSA from n/e and EC P-256 from x/y, built with OSSL_PARAM_BLD and EVP_PKEY_fromdata and
 * checked once here, so verification later only reads them. Errors name the file and the key
 * (by kid, or by position when it has none). */
#include "auth/auth_int.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include <stdlib.h>
#include <string.h>

#define EC_COORD 32
#define RSA_MAX_E_BYTES 8

typedef struct key_ref {
    const char *path;
    size_t index;
    const char *kid;
} key_ref;

/* Fills err for key k of the file: "JWKS file 'p': key 'kid' (#2): <why>". */
static int key_error(gc_err *err, const key_ref *k, const char *why)
{
    if (k->kid)
        return gc_err_set(err, GC_E_INTERNAL, "", "JWKS file '%s': key '%.64s' (#%zu): %s", k->path,
                          k->kid, k->index + 1, why);
    return gc_err_set(err, GC_E_INTERNAL, "", "JWKS file '%s': key #%zu: %s", k->path, k->index + 1,
                      why);
}

/* Decodes the base64url member name of a JWK into a malloc'd buffer of 1..max bytes. */
static int jwk_bytes(json_t *jwk, const char *name, size_t max, const key_ref *k,
                     unsigned char **out, size_t *out_len, gc_err *err)
{
    char why[128];
    json_t *v = json_object_get(jwk, name);
    const char *s = json_string_value(v);
    if (!s) {
        snprintf(why, sizeof why, "\"%s\" is missing or not a string", name);
        return key_error(err, k, why);
    }
    if (gc_base64url_decode_strict(s, json_string_length(v), out, out_len) < 0) {
        snprintf(why, sizeof why, "\"%s\" is not base64url without padding", name);
        return key_error(err, k, why);
    }
    if (*out_len == 0 || *out_len > max) {
        free(*out);
        *out = NULL;
        snprintf(why, sizeof why, "\"%s\" has a wrong length (%zu bytes)", name, *out_len);
        return key_error(err, k, why);
    }
    return 0;
}

/* Builds a public key of the given algorithm name from params and runs OpenSSL's public-key
 * check on it. */
static EVP_PKEY *pkey_from_params(const char *alg, OSSL_PARAM *params)
{
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
    EVP_PKEY_CTX *check = NULL;
    if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        goto fail;
    check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (!check || EVP_PKEY_public_check(check) != 1)
        goto fail;
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(ctx);
    return pkey;
fail:
    ERR_clear_error();
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    return NULL;
}

static EVP_PKEY *rsa_key(json_t *jwk, const key_ref *k, gc_err *err)
{
    EVP_PKEY *pkey = NULL;
    unsigned char *n = NULL, *e = NULL;
    size_t n_len = 0, e_len = 0;
    BIGNUM *bn_n = NULL, *bn_e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    if (jwk_bytes(jwk, "n", GC_AUTH_RSA_MAX_BITS / 8 + 1, k, &n, &n_len, err) < 0 ||
        jwk_bytes(jwk, "e", RSA_MAX_E_BYTES, k, &e, &e_len, err) < 0)
        goto done;
    bn_n = BN_bin2bn(n, (int)n_len, NULL);
    bn_e = BN_bin2bn(e, (int)e_len, NULL);
    bld = OSSL_PARAM_BLD_new();
    if (!bn_n || !bn_e || !bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) ||
        !(params = OSSL_PARAM_BLD_to_param(bld))) {
        key_error(err, k, "out of memory");
        goto done;
    }
    int bits = BN_num_bits(bn_n);
    if (bits < GC_AUTH_RSA_MIN_BITS || bits > GC_AUTH_RSA_MAX_BITS) {
        char why[96];
        snprintf(why, sizeof why, "RSA modulus of %d bits (allowed: %d to %d)", bits,
                 GC_AUTH_RSA_MIN_BITS, GC_AUTH_RSA_MAX_BITS);
        key_error(err, k, why);
        goto done;
    }
    pkey = pkey_from_params("RSA", params);
    if (!pkey)
        key_error(err, k, "not a valid RSA public key");
done:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    free(n);
    free(e);
    return pkey;
}

static EVP_PKEY *ec_key(json_t *jwk, const key_ref *k, gc_err *err)
{
    EVP_PKEY *pkey = NULL;
    unsigned char *x = NULL, *y = NULL;
    size_t x_len = 0, y_len = 0;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    unsigned char point[1 + 2 * EC_COORD];
    if (jwk_bytes(jwk, "x", EC_COORD, k, &x, &x_len, err) < 0 ||
        jwk_bytes(jwk, "y", EC_COORD, k, &y, &y_len, err) < 0)
        goto done;
    if (x_len != EC_COORD || y_len != EC_COORD) {
        key_error(err, k, "\"x\" and \"y\" must be 32 bytes each for P-256");
        goto done;
    }
    point[0] = 0x04; /* uncompressed */
    memcpy(point + 1, x, EC_COORD);
    memcpy(point + 1 + EC_COORD, y, EC_COORD);
    bld = OSSL_PARAM_BLD_new();
    if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point) ||
        !(params = OSSL_PARAM_BLD_to_param(bld))) {
        key_error(err, k, "out of memory");
        goto done;
    }
    pkey = pkey_from_params("EC", params);
    if (!pkey)
        key_error(err, k, "\"x\"/\"y\" is not a point on P-256");
done:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    free(x);
    free(y);
    return pkey;
}

/* Optional string member: NULL when absent, -1 (error filled) when present but not a string. */
static int opt_string(json_t *jwk, const char *name, const key_ref *k, const char **out,
                      gc_err *err)
{
    json_t *v = json_object_get(jwk, name);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_string(v)) {
        char why[96];
        snprintf(why, sizeof why, "\"%s\" is not a string", name);
        return key_error(err, k, why);
    }
    *out = json_string_value(v);
    return 0;
}

/* One entry of "keys": 1 when loaded into *key, 0 when skipped, -1 on error. */
static int load_key(json_t *jwk, const key_ref *at, gc_jwk *key, gc_err *err)
{
    key_ref k = *at;
    const char *kid = NULL, *kty = NULL, *use = NULL, *alg = NULL, *crv = NULL;
    if (!json_is_object(jwk))
        return key_error(err, &k, "not a JSON object");
    if (opt_string(jwk, "kid", &k, &kid, err) < 0)
        return -1;
    k.kid = kid;
    if (opt_string(jwk, "kty", &k, &kty, err) < 0 || opt_string(jwk, "use", &k, &use, err) < 0 ||
        opt_string(jwk, "alg", &k, &alg, err) < 0 || opt_string(jwk, "crv", &k, &crv, err) < 0)
        return -1;
    if (!kty)
        return key_error(err, &k, "\"kty\" is missing");
    if (use && strcmp(use, "sig") != 0)
        return 0; /* an encryption key: not for tokens */
    gc_jwk_type type;
    if (strcmp(kty, "RSA") == 0) {
        if (alg && strcmp(alg, "RS256") != 0)
            return 0;
        type = GC_JWK_RSA;
        key->pkey = rsa_key(jwk, &k, err);
    } else if (strcmp(kty, "EC") == 0) {
        if (!crv)
            return key_error(err, &k, "\"crv\" is missing");
        if (strcmp(crv, "P-256") != 0 || (alg && strcmp(alg, "ES256") != 0))
            return 0;
        type = GC_JWK_EC;
        key->pkey = ec_key(jwk, &k, err);
    } else {
        return 0; /* oct, OKP, ...: not used here */
    }
    if (!key->pkey)
        return -1;
    key->type = type;
    key->kid = NULL;
    if (kid && !(key->kid = strdup(kid))) {
        EVP_PKEY_free(key->pkey);
        key->pkey = NULL;
        return key_error(err, &k, "out of memory");
    }
    return 1;
}

static bool same_kid(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

int gc_auth_jwks_load(const char *path, gc_jwks *out, gc_err *err)
{
    unsigned char *text = NULL;
    size_t text_len = 0;
    if (gc_auth_read_file(path, "JWKS", GC_AUTH_MAX_JWKS, &text, &text_len, err) < 0)
        return -1;
    int rc = gc_auth_jwks_parse(path, text, text_len, out, err);
    free(text);
    return rc;
}

int gc_auth_jwks_parse(const char *path, const unsigned char *text, size_t text_len, gc_jwks *out,
                       gc_err *err)
{
    int result = -1;
    json_t *root = NULL;
    gc_jwks ks = {NULL, 0};
    json_error_t jerr;
    root = json_loadb((const char *)text, text_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        gc_err_set(err, GC_E_INTERNAL, "", "JWKS file '%s' is not valid JSON (line %d: %s)", path,
                   jerr.line, jerr.text);
        goto done;
    }
    json_t *keys = json_object_get(root, "keys");
    if (!json_is_array(keys)) {
        gc_err_set(err, GC_E_INTERNAL, "", "JWKS file '%s' has no \"keys\" array", path);
        goto done;
    }
    size_t n = json_array_size(keys);
    if (n > GC_AUTH_MAX_KEYS) {
        gc_err_set(err, GC_E_INTERNAL, "", "JWKS file '%s' has more than %d keys", path,
                   GC_AUTH_MAX_KEYS);
        goto done;
    }
    ks.keys = calloc(n ? n : 1, sizeof *ks.keys);
    if (!ks.keys) {
        gc_err_set(err, GC_E_INTERNAL, "", "out of memory loading JWKS file '%s'", path);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        key_ref k = {path, i, NULL};
        gc_jwk *key = &ks.keys[ks.n];
        int got = load_key(json_array_get(keys, i), &k, key, err);
        if (got < 0)
            goto done;
        if (got == 0)
            continue;
        ks.n++;
        for (size_t j = 0; j + 1 < ks.n; j++) {
            if (ks.keys[j].type == key->type && same_kid(ks.keys[j].kid, key->kid)) {
                k.kid = key->kid;
                key_error(err, &k, "another key of the same type has this kid");
                goto done;
            }
        }
    }
    if (ks.n == 0) {
        gc_err_set(err, GC_E_INTERNAL, "", "JWKS file '%s' has no usable RSA or EC P-256 signing key",
                   path);
        goto done;
    }
    *out = ks;
    ks.keys = NULL;
    ks.n = 0;
    result = 0;
done:
    gc_auth_jwks_free(&ks);
    json_decref(root);
    return result;
}

void gc_auth_jwks_free(gc_jwks *ks)
{
    if (!ks)
        return;
    for (size_t i = 0; i < ks->n; i++) {
        EVP_PKEY_free(ks->keys[i].pkey);
        free(ks->keys[i].kid);
    }
    free(ks->keys);
    ks->keys = NULL;
    ks->n = 0;
}
