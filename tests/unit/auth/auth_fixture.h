/* What the auth unit tests share (included by each tests/unit/auth/test_*.c): keys generated
 * here with OpenSSL, tokens signed here independently of the code under test, the JWKS and
 * secret files of the run, and the checks every refusal goes through (its kind, its exact
 * message, and that the message holds no piece of the token). */
#ifndef GC_TESTS_AUTH_FIXTURE_H
#define GC_TESTS_AUTH_FIXTURE_H

#pragma GCC diagnostic ignored "-Wunused-function"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/auth.h"

#define NOW INT64_C(1700000000)
#define TID "72f988bf-86f1-41af-91ab-2d7cd011db47"
#define TID_UPPER "72F988BF-86F1-41AF-91AB-2D7CD011DB47"
#define GRAPH "https://graph.microsoft.com"
#define SECRET "test-secret-0123456789"
#define HS_HDR "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

/* ---- fixtures shared by the whole run ---- */

static char tmpdir[512];
static char secret_path[600], jwks_path[600];
static EVP_PKEY *rsa1, *rsa_other, *ec1, *ec_other;
static gc_auth *auth_hs, *auth_jwks, *auth_both;
static gc_arena *A;

/* ---- helpers: encoding and signing, independent of src/auth ---- */

static char *b64url(const void *data, size_t len)
{
    char *out = malloc(len / 3 * 4 + 8);
    assert_non_null(out);
    int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    assert_true(n >= 0);
    while (n > 0 && out[n - 1] == '=')
        n--;
    out[n] = '\0';
    for (char *p = out; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    return out;
}

static char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *str_printf(const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

/* "h64.p64" of the two JSON texts. */
static char *signing_input(const char *hdr, const char *payload)
{
    char *h = b64url(hdr, strlen(hdr)), *p = b64url(payload, strlen(payload));
    char *s = str_printf("%s.%s", h, p);
    free(h);
    free(p);
    return s;
}

static char *with_sig(char *input, const unsigned char *sig, size_t sig_len)
{
    char *s64 = b64url(sig, sig_len);
    char *tok = str_printf("%s.%s", input, s64);
    free(s64);
    free(input);
    return tok;
}

static char *hs_token_key(const char *hdr, const char *payload, const char *key)
{
    char *in = signing_input(hdr, payload);
    unsigned char mac[32];
    unsigned int mac_len = 0;
    assert_non_null(HMAC(EVP_sha256(), key, (int)strlen(key), (unsigned char *)in, strlen(in), mac,
                         &mac_len));
    return with_sig(in, mac, mac_len);
}

static char *hs_token(const char *payload)
{
    return hs_token_key(HS_HDR, payload, SECRET);
}

/* RS256 (PKCS#1 v1.5) or ES256 (raw r||s) signature made with OpenSSL. */
static char *pkey_token(const char *hdr, const char *payload, EVP_PKEY *key, int ec)
{
    char *in = signing_input(hdr, payload);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, key, NULL), 1);
    size_t sig_len = 0;
    assert_int_equal(EVP_DigestSign(md, NULL, &sig_len, (unsigned char *)in, strlen(in)), 1);
    unsigned char *sig = malloc(sig_len);
    assert_int_equal(EVP_DigestSign(md, sig, &sig_len, (unsigned char *)in, strlen(in)), 1);
    EVP_MD_CTX_free(md);
    char *tok;
    if (ec) {
        const unsigned char *p = sig;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);
        assert_non_null(es);
        unsigned char raw[64];
        assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32), 32);
        assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32), 32);
        ECDSA_SIG_free(es);
        tok = with_sig(in, raw, sizeof raw);
    } else {
        tok = with_sig(in, sig, sig_len);
    }
    free(sig);
    return tok;
}

/* A payload with the usual claims; extra is inserted verbatim (",\"k\":v" or ""). */
static char *claims(int64_t exp, const char *extra)
{
    return str_printf("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID "\",\"exp\":%lld,\"iat\":%lld%s}",
                      (long long)exp, (long long)(NOW - 60), extra);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static char *bn_b64(const BIGNUM *bn, int pad)
{
    int n = pad ? pad : BN_num_bytes(bn);
    unsigned char *buf = malloc((size_t)n);
    assert_int_equal(BN_bn2binpad(bn, buf, n), n);
    char *s = b64url(buf, (size_t)n);
    free(buf);
    return s;
}

static char *rsa_jwk(EVP_PKEY *k, const char *kid)
{
    BIGNUM *n = NULL, *e = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n), 1);
    assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e), 1);
    char *n64 = bn_b64(n, 0), *e64 = bn_b64(e, 0);
    char *kid_part = kid ? str_printf("\"kid\":\"%s\",", kid) : str_printf("%s", "");
    char *s = str_printf("{\"kty\":\"RSA\",%s\"use\":\"sig\",\"n\":\"%s\",\"e\":\"%s\","
                         "\"x5t\":\"ignored\"}",
                         kid_part, n64, e64);
    free(kid_part);
    free(n64);
    free(e64);
    BN_free(n);
    BN_free(e);
    return s;
}

static char *ec_jwk(EVP_PKEY *k, const char *kid)
{
    BIGNUM *x = NULL, *y = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x), 1);
    assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &y), 1);
    char *x64 = bn_b64(x, 32), *y64 = bn_b64(y, 32);
    char *kid_part = kid ? str_printf("\"kid\":\"%s\",", kid) : str_printf("%s", "");
    char *s = str_printf("{\"kty\":\"EC\",\"crv\":\"P-256\",%s\"x\":\"%s\",\"y\":\"%s\"}", kid_part,
                         x64, y64);
    free(kid_part);
    free(x64);
    free(y64);
    BN_free(x);
    BN_free(y);
    return s;
}

static char *tmp_path(const char *name)
{
    return str_printf("%s/%s", tmpdir, name);
}

/* Opens an auth with only a JWKS written from text; returns the gc_auth_open result. */
static int open_jwks_text(const char *name, const char *text, gc_auth **out, gc_err *err)
{
    char *path = tmp_path(name);
    write_file(path, text);
    gc_auth_config cfg = {.jwks_file = path};
    int rc = gc_auth_open(&cfg, out, err);
    free(path);
    return rc;
}

/* True when no 8-character piece of token appears in msg. */
static void assert_no_leak(const char *msg, const char *token)
{
    size_t len = strlen(token);
    for (size_t i = 0; i + 8 <= len; i++) {
        char piece[9];
        memcpy(piece, token + i, 8);
        piece[8] = '\0';
        if (strstr(msg, piece)) {
            print_error("message '%s' contains token text '%s'\n", msg, piece);
            fail();
        }
    }
}

/* Verifies "Bearer <token>" at now; on failure checks the message does not leak the token. */
static int verify_at(gc_auth *auth, const char *token, int64_t now, gc_principal *p, gc_err *e)
{
    char *hdr = str_printf("Bearer %s", token);
    gc_err_clear(e);
    int rc = gc_auth_verify(auth, A, hdr, now, p, e);
    if (rc < 0) {
        assert_int_equal(e->kind, GC_E_UNAUTHENTICATED);
        assert_no_leak(e->message, token);
    } else {
        assert_int_equal(rc, 0);
    }
    free(hdr);
    return rc;
}

/* Expects the token (consumed) to be refused with exactly msg. */
static void expect_refused(gc_auth *auth, char *token, int64_t now, const char *msg)
{
    gc_principal p;
    gc_err e;
    assert_int_equal(verify_at(auth, token, now, &p, &e), -1);
    assert_string_equal(e.message, msg);
    assert_int_equal(p.n_perms, 0);
    free(token);
}

static void expect_ok(gc_auth *auth, char *token, int64_t now, gc_principal *p)
{
    gc_err e;
    if (verify_at(auth, token, now, p, &e) != 0) {
        print_error("refused: %s\n", e.message);
        fail();
    }
    free(token);
}

/* ---- group setup ---- */

static int group_setup(void **state)
{
    const char *base = getenv("GC_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    mkdir(base, 0700); /* may exist */
    snprintf(tmpdir, sizeof tmpdir, "%s/auth-%ld", base, (long)getpid());
    if (mkdir(tmpdir, 0700) < 0 && errno != EEXIST)
        return -1;
    snprintf(secret_path, sizeof secret_path, "%s/secret", tmpdir);
    snprintf(jwks_path, sizeof jwks_path, "%s/jwks.json", tmpdir);
    write_file(secret_path, SECRET "\r\n");

    rsa1 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    rsa_other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    ec1 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ec_other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!rsa1 || !rsa_other || !ec1 || !ec_other)
        return -1;
    char *rj = rsa_jwk(rsa1, "rsa1"), *ej = ec_jwk(ec1, "ec1");
    char *text = str_printf("{\"keys\":[%s,%s,{\"kty\":\"oct\",\"kid\":\"sym\",\"k\":\"AAAA\"},"
                            "{\"kty\":\"RSA\",\"kid\":\"enc\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
                            rj, ej);
    write_file(jwks_path, text);
    free(text);
    free(rj);
    free(ej);

    gc_err e;
    gc_auth_config c1 = {.secret_file = secret_path};
    gc_auth_config c2 = {.jwks_file = jwks_path};
    gc_auth_config c3 = {.secret_file = secret_path, .jwks_file = jwks_path};
    if (gc_auth_open(&c1, &auth_hs, &e) < 0 || gc_auth_open(&c2, &auth_jwks, &e) < 0 ||
        gc_auth_open(&c3, &auth_both, &e) < 0) {
        fprintf(stderr, "gc_auth_open: %s\n", e.message);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    gc_auth_close(auth_hs);
    gc_auth_close(auth_jwks);
    gc_auth_close(auth_both);
    EVP_PKEY_free(rsa1);
    EVP_PKEY_free(rsa_other);
    EVP_PKEY_free(ec1);
    EVP_PKEY_free(ec_other);
    return 0;
}

static int arena_setup(void **state)
{
    A = gc_arena_new();
    return 0;
}

static int arena_teardown(void **state)
{
    gc_arena_free(A);
    A = NULL;
    return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, arena_setup, arena_teardown)

#endif
