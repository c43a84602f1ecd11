/* Unit tests for src/auth: bearer parsing, HS256 with a shared secret, RS256/ES256 with keys
 * from a JWKS file (keys generated here with OpenSSL, tokens signed here independently of the
 * code under test), the exp/nbf/aud/tid/scp/roles claims, JWKS loading errors, minting,
 * concurrent verification, and the cache of verified tokens (hits, expiry on a hit, tampering,
 * eviction, limits, many threads). Every refusal is checked for its kind, its exact message, and that
 * the message holds no piece of the token. */
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

/* ---- HS256 and claims ---- */

static void test_hs256_scp(void **state)
{
    gc_principal p;
    expect_ok(auth_hs,
              hs_token_key(HS_HDR,
                           "{\"aud\":\"" GRAPH "\",\"tid\":\"" TID_UPPER "\",\"exp\":1700003600,"
                           "\"scp\":\" DeviceManagementConfiguration.Read.All  User.Read \"}",
                           SECRET),
              NOW, &p);
    assert_string_equal(p.tenant, TID);
    assert_int_equal(p.n_perms, 2);
    assert_string_equal(p.perms[0], "DeviceManagementConfiguration.Read.All");
    assert_string_equal(p.perms[1], "User.Read");
}

static void test_hs256_roles(void **state)
{
    gc_principal p;
    char *pl = claims(NOW + 3600, ",\"roles\":[\"DeviceManagementApps.ReadWrite.All\",\"X.Y\"]");
    expect_ok(auth_hs, hs_token(pl), NOW, &p);
    free(pl);
    assert_string_equal(p.tenant, TID);
    assert_int_equal(p.n_perms, 2);
    assert_string_equal(p.perms[0], "DeviceManagementApps.ReadWrite.All");
    assert_string_equal(p.perms[1], "X.Y");

    /* no scp nor roles: authenticated, no permissions */
    pl = claims(NOW + 3600, "");
    expect_ok(auth_both, hs_token(pl), NOW, &p);
    free(pl);
    assert_int_equal(p.n_perms, 0);
    assert_string_equal(p.tenant, TID);
}

static void test_scheme_case_and_blanks(void **state)
{
    char *pl = claims(NOW + 3600, ",\"scp\":\"A\"");
    char *tok = hs_token(pl);
    free(pl);
    static const char *const forms[][2] = {
        {"bearer ", ""}, {"BEARER\t", ""}, {"  Bearer   ", "  "}, {"bEaReR ", "\t"}};
    for (size_t i = 0; i < 4; i++) {
        char *h = str_printf("%s%s%s", forms[i][0], tok, forms[i][1]);
        gc_principal p;
        gc_err e;
        assert_int_equal(gc_auth_verify(auth_hs, A, h, NOW, &p, &e), 0);
        assert_int_equal(p.n_perms, 1);
        free(h);
    }
    free(tok);
}

static void test_expired_and_skew(void **state)
{
    gc_principal p;
    char *pl = claims(NOW - 301, "");
    expect_refused(auth_hs, hs_token(pl), NOW, "The token has expired.");
    free(pl);
    pl = claims(NOW - 300, ""); /* exp + skew == now: expired */
    expect_refused(auth_hs, hs_token(pl), NOW, "The token has expired.");
    free(pl);
    pl = claims(NOW - 299, ""); /* within the default 300 s of skew */
    expect_ok(auth_hs, hs_token(pl), NOW, &p);
    free(pl);

    /* a configured skew of 10 s */
    gc_auth *a10 = NULL;
    gc_err e;
    gc_auth_config cfg = {.secret_file = secret_path, .skew_seconds = 10};
    assert_int_equal(gc_auth_open(&cfg, &a10, &e), 0);
    pl = claims(NOW - 11, "");
    expect_refused(a10, hs_token(pl), NOW, "The token has expired.");
    free(pl);
    pl = claims(NOW - 9, "");
    expect_ok(a10, hs_token(pl), NOW, &p);
    free(pl);
    gc_auth_close(a10);

    /* exp as a JSON real is a number too */
    expect_ok(auth_hs,
              hs_token("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID "\",\"exp\":1700000100.5}"), NOW, &p);
}

static void test_nbf(void **state)
{
    gc_principal p;
    char *pl = claims(NOW + 3600, ",\"nbf\":1700000301");
    expect_refused(auth_hs, hs_token(pl), NOW, "The token is not yet valid (nbf is in the future).");
    free(pl);
    pl = claims(NOW + 3600, ",\"nbf\":1700000300"); /* within skew */
    expect_ok(auth_hs, hs_token(pl), NOW, &p);
    free(pl);
    pl = claims(NOW + 3600, ",\"nbf\":\"soon\"");
    expect_refused(auth_hs, hs_token(pl), NOW, "The token's nbf claim is not a number.");
    free(pl);
}

static void test_exp_required(void **state)
{
    expect_refused(auth_hs, hs_token("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID "\"}"), NOW,
                   "The token has no exp claim.");
    expect_refused(auth_hs,
                   hs_token("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID "\",\"exp\":\"1800000000\"}"),
                   NOW, "The token's exp claim is not a number.");
    expect_refused(auth_hs,
                   hs_token("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID "\",\"exp\":null}"), NOW,
                   "The token's exp claim is not a number.");
}

static void test_audience(void **state)
{
    gc_principal p;
    static const char wrong[] = "The token's audience is not accepted (expected "
                                "https://graph.microsoft.com or 00000003-0000-0000-c000-000000000000).";
    expect_refused(auth_hs,
                   hs_token("{\"aud\":\"https://management.azure.com\",\"tid\":\"" TID
                            "\",\"exp\":1700003600}"),
                   NOW, wrong);
    expect_refused(auth_hs,
                   hs_token("{\"aud\":\"https://graph.microsoft.com/x\",\"tid\":\"" TID
                            "\",\"exp\":1700003600}"),
                   NOW, wrong);
    expect_refused(auth_hs, hs_token("{\"aud\":[],\"tid\":\"" TID "\",\"exp\":1700003600}"), NOW,
                   wrong);
    expect_refused(auth_hs, hs_token("{\"tid\":\"" TID "\",\"exp\":1700003600}"), NOW,
                   "The token has no aud claim.");
    expect_refused(auth_hs, hs_token("{\"aud\":7,\"tid\":\"" TID "\",\"exp\":1700003600}"), NOW,
                   "The token's aud claim is neither a string nor an array.");
    expect_refused(auth_hs,
                   hs_token("{\"aud\":[\"" GRAPH "\",1],\"tid\":\"" TID "\",\"exp\":1700003600}"),
                   NOW, "The token's aud claim holds a value that is not a string.");
    /* the GUID form, and an array holding one accepted value */
    expect_ok(auth_hs,
              hs_token("{\"aud\":\"00000003-0000-0000-c000-000000000000\",\"tid\":\"" TID
                       "\",\"exp\":1700003600}"),
              NOW, &p);
    expect_ok(auth_hs,
              hs_token("{\"aud\":[\"api://other\",\"" GRAPH "\"],\"tid\":\"" TID
                       "\",\"exp\":1700003600}"),
              NOW, &p);

    /* configured audiences replace the defaults */
    const char *const auds[] = {"api://graphcerts", NULL};
    gc_auth_config cfg = {.secret_file = secret_path, .audiences = auds};
    gc_auth *custom = NULL;
    gc_err e;
    assert_int_equal(gc_auth_open(&cfg, &custom, &e), 0);
    expect_ok(custom,
              hs_token("{\"aud\":\"api://graphcerts\",\"tid\":\"" TID "\",\"exp\":1700003600}"),
              NOW, &p);
    expect_refused(custom, hs_token("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID "\",\"exp\":1700003600}"),
                   NOW, "The token's audience is not accepted (expected api://graphcerts).");
    gc_auth_close(custom);
}

static void test_tenant(void **state)
{
    expect_refused(auth_hs, hs_token("{\"aud\":\"" GRAPH "\",\"exp\":1700003600}"), NOW,
                   "The token has no tid (tenant) claim.");
    static const char *const bad[] = {
        "\"not-a-guid\"",
        "\"72f988bf86f141af91ab2d7cd011db47\"",
        "\"72f988bf-86f1-41af-91ab-2d7cd011db4\"",
        "\"72f988bf-86f1-41af-91ab-2d7cd011db47x\"",
        "\"{72f988bf-86f1-41af-91ab-2d7cd011db47}\"",
        "\"72f988bg-86f1-41af-91ab-2d7cd011db47\"",
        "42",
        "null",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *pl = str_printf("{\"aud\":\"" GRAPH "\",\"exp\":1700003600,\"tid\":%s}", bad[i]);
        expect_refused(auth_hs, hs_token(pl), NOW, "The token's tid claim is not a GUID.");
        free(pl);
    }
}

/* An HS256 token of the usual claims plus extra (which stays the caller's). */
static char *user_token(const char *extra)
{
    char *pl = claims(1700003600, extra);
    char *tok = hs_token(pl);
    free(pl);
    return tok;
}

/* The user: oid, and upn (else preferred_username); "" when absent; bounded like appid. */
static void test_user(void **state)
{
    (void)state;
    gc_principal p;
    expect_ok(auth_hs, user_token(""), NOW, &p);
    assert_string_equal(p.user_id, "");
    assert_string_equal(p.upn, "");
    expect_ok(auth_hs, user_token(",\"oid\":\"u-1\",\"upn\":\"a@b.c\","
                                  "\"preferred_username\":\"x@y.z\""), NOW, &p);
    assert_string_equal(p.user_id, "u-1");
    assert_string_equal(p.upn, "a@b.c");
    expect_ok(auth_hs, user_token(",\"preferred_username\":\"x@y.z\""), NOW, &p);
    assert_string_equal(p.upn, "x@y.z");
    expect_refused(auth_hs, user_token(",\"oid\":42"), NOW,
                   "The token's oid claim is not a string of 1 to 128 printable ASCII characters.");
    char *long_upn = calloc(1, GC_AUTH_MAX_UPN + 2);
    memset(long_upn, 'u', GC_AUTH_MAX_UPN + 1);
    char *extra = str_printf(",\"upn\":\"%s\"", long_upn);
    expect_refused(auth_hs, user_token(extra), NOW,
                   "The token's upn claim is not a string of 1 to 256 printable ASCII characters.");
    free(extra);
    long_upn[GC_AUTH_MAX_UPN] = '\0';
    extra = str_printf(",\"upn\":\"%s\"", long_upn);
    expect_ok(auth_hs, user_token(extra), NOW, &p);
    assert_string_equal(p.upn, long_upn);
    free(extra);
    free(long_upn);
}

static void test_app(void **state)
{
    gc_principal p;
    static const struct {
        const char *extra, *app;
    } ok[] = {
        {"", ""},
        {",\"appid\":\"App-One\"", "App-One"},
        {",\"azp\":\"app-two\"", "app-two"},
        {",\"azp\":\"b\",\"appid\":\"a\"", "a"}, /* a v1 token's appid wins over an azp */
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char *pl = claims(1700003600, ok[i].extra);
        expect_ok(auth_hs, hs_token(pl), NOW, &p);
        free(pl);
        assert_string_equal(p.app, ok[i].app);
    }
    char longest[GC_AUTH_MAX_APP + 1];
    memset(longest, 'x', GC_AUTH_MAX_APP);
    longest[GC_AUTH_MAX_APP] = '\0';
    char *extra = str_printf(",\"appid\":\"%s\"", longest);
    char *pl = claims(1700003600, extra);
    expect_ok(auth_hs, hs_token(pl), NOW, &p);
    free(pl);
    free(extra);
    assert_string_equal(p.app, longest);

    static const char *const bad[] = {"\"\"", "42", "null", "[\"a\"]", "\"a\\u0001b\"",
                                      "\"caf\u00e9\""};
    static const char *const names[] = {"appid", "azp"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (size_t k = 0; k < 2; k++) {
            extra = str_printf(",\"%s\":%s", names[k], bad[i]);
            pl = claims(1700003600, extra);
            char *want = str_printf("The token's %s claim is not a string of 1 to 128 printable "
                                    "ASCII characters.", names[k]);
            expect_refused(auth_hs, hs_token(pl), NOW, want);
            free(want);
            free(pl);
            free(extra);
        }
    }
    extra = str_printf(",\"appid\":\"%sx\"", longest);
    pl = claims(1700003600, extra);
    expect_refused(auth_hs, hs_token(pl), NOW,
                   "The token's appid claim is not a string of 1 to 128 printable ASCII characters.");
    free(pl);
    free(extra);
}

static void test_perm_claim_types(void **state)
{
    char *pl = claims(NOW + 3600, ",\"scp\":[\"A\"]");
    expect_refused(auth_hs, hs_token(pl), NOW, "The token's scp claim is not a string.");
    free(pl);
    pl = claims(NOW + 3600, ",\"roles\":\"A B\"");
    expect_refused(auth_hs, hs_token(pl), NOW, "The token's roles claim is not an array.");
    free(pl);
    pl = claims(NOW + 3600, ",\"roles\":[\"A\",{}]");
    expect_refused(auth_hs, hs_token(pl), NOW,
                   "The token's roles claim holds a value that is not a string.");
    free(pl);

    /* 64 permissions fit; 65 do not */
    char roles[2048] = "";
    size_t n = 0;
    for (int i = 0; i < 65; i++)
        n += (size_t)snprintf(roles + n, sizeof roles - n, "%s\"R%d\"", i ? "," : "", i);
    roles[n] = '\0';
    pl = str_printf("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID "\",\"exp\":1700003600,\"roles\":[%s]}",
                    roles);
    expect_refused(auth_hs, hs_token(pl), NOW, "The token grants more than 64 permissions.");
    free(pl);
    *strrchr(roles, ',') = '\0';
    pl = str_printf("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID "\",\"exp\":1700003600,\"roles\":[%s]}",
                    roles);
    gc_principal p;
    expect_ok(auth_hs, hs_token(pl), NOW, &p);
    free(pl);
    assert_int_equal(p.n_perms, 64);
    assert_string_equal(p.perms[63], "R63");

    /* scp and roles together grant both */
    pl = claims(NOW + 3600, ",\"scp\":\"S1\",\"roles\":[\"R1\"]");
    expect_ok(auth_hs, hs_token(pl), NOW, &p);
    free(pl);
    assert_int_equal(p.n_perms, 2);
    assert_string_equal(p.perms[0], "S1");
    assert_string_equal(p.perms[1], "R1");
}

static void test_alg_none(void **state)
{
    char *pl = claims(NOW + 3600, ",\"roles\":[\"A\"]");
    char *in = signing_input("{\"alg\":\"none\",\"typ\":\"JWT\"}", pl);
    char *tok = str_printf("%s.", in);
    expect_refused(auth_both, tok, NOW, "Unsigned tokens (alg none) are not accepted.");
    /* alg none carrying a valid HS256 MAC of its input is still refused */
    expect_refused(auth_both, hs_token_key("{\"alg\":\"None\"}", pl, SECRET), NOW,
                   "Unsigned tokens (alg none) are not accepted.");
    expect_refused(auth_both, hs_token_key("{\"typ\":\"JWT\"}", pl, SECRET), NOW,
                   "The JWT header has no alg.");
    expect_refused(auth_both, hs_token_key("{\"alg\":256}", pl, SECRET), NOW,
                   "The JWT header has no alg.");
    expect_refused(auth_both, hs_token_key("{\"alg\":\"HS512\"}", pl, SECRET), NOW,
                   "The JWT alg is not supported (accepted: HS256, RS256, ES256).");
    expect_refused(auth_both, hs_token_key("{\"alg\":\"hs256\"}", pl, SECRET), NOW,
                   "The JWT alg is not supported (accepted: HS256, RS256, ES256).");
    expect_refused(auth_both, hs_token_key("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", pl, SECRET),
                   NOW, "The JWT header has a crit parameter; no JWS extensions are supported.");
    free(in);
    free(pl);
}

static void test_tampered_and_wrong_secret(void **state)
{
    char *pl = claims(NOW + 3600, ",\"roles\":[\"DeviceManagementApps.Read.All\"]");
    char *tok = hs_token(pl);
    free(pl);
    /* swap the payload for one granting more, keep the signature */
    char *pl2 = claims(NOW + 3600, ",\"roles\":[\"DeviceManagementApps.ReadWrite.All\"]");
    char *p64 = b64url(pl2, strlen(pl2));
    free(pl2);
    char *dot1 = strchr(tok, '.'), *dot2 = strchr(dot1 + 1, '.');
    char *forged = str_printf("%.*s.%s%s", (int)(dot1 - tok), tok, p64, dot2);
    free(p64);
    expect_refused(auth_hs, forged, NOW, "The JWT signature is invalid.");
    /* one flipped signature character */
    char *flip = str_printf("%s", tok);
    size_t last = strlen(flip) - 2;
    flip[last] = flip[last] == 'A' ? 'B' : 'A';
    expect_refused(auth_hs, flip, NOW, "The JWT signature is invalid.");
    /* signature removed */
    char *nosig = str_printf("%.*s.", (int)(dot2 - tok), tok);
    expect_refused(auth_hs, nosig, NOW, "The JWT signature is invalid.");
    free(tok);

    pl = claims(NOW + 3600, ",\"scp\":\"A\"");
    expect_refused(auth_hs, hs_token_key(HS_HDR, pl, "another-secret"), NOW,
                   "The JWT signature is invalid.");
    /* the secret file's trailing CR LF is not part of the key */
    expect_refused(auth_hs, hs_token_key(HS_HDR, pl, SECRET "\r\n"), NOW,
                   "The JWT signature is invalid.");
    free(pl);
}

static void test_header_forms(void **state)
{
    gc_principal p;
    gc_err e;
    assert_int_equal(gc_auth_verify(auth_hs, A, NULL, NOW, &p, &e), -1);
    assert_int_equal(e.kind, GC_E_UNAUTHENTICATED);
    assert_string_equal(e.message,
                        "The Authorization header is missing; send 'Authorization: Bearer <token>'.");
    assert_int_equal(gc_auth_verify(auth_hs, A, "Basic dXNlcjpwYXNz", NOW, &p, &e), -1);
    assert_string_equal(e.message, "The Authorization header must use the Bearer scheme.");
    assert_int_equal(gc_auth_verify(auth_hs, A, "Bearerabc.def.ghi", NOW, &p, &e), -1);
    assert_string_equal(e.message, "The Authorization header must use the Bearer scheme.");
    assert_int_equal(gc_auth_verify(auth_hs, A, "Bearer   ", NOW, &p, &e), -1);
    assert_string_equal(e.message, "The bearer token is empty.");
    assert_int_equal(gc_auth_verify(auth_hs, A, "", NOW, &p, &e), -1);
    assert_string_equal(e.message, "The Authorization header must use the Bearer scheme.");

    static const char not_jwt[] =
        "The bearer token is not a JWT (expected three base64url segments separated by dots).";
    char *pl = claims(NOW + 3600, "");
    char *tok = hs_token(pl);
    free(pl);
    char *dot2 = strrchr(tok, '.');
    expect_refused(auth_hs, str_printf("%.*s", (int)(dot2 - tok), tok), NOW, not_jwt);
    expect_refused(auth_hs, str_printf("%s.AAAA", tok), NOW, not_jwt);
    expect_refused(auth_hs, str_printf("%s", "opaque-token-value"), NOW, not_jwt);
    expect_refused(auth_hs, str_printf(".%s", strchr(tok, '.') + 1), NOW, not_jwt);
    /* padding and the standard alphabet are not base64url */
    expect_refused(auth_hs, str_printf("%s=", tok), NOW, "The JWT signature is not base64url.");
    char *plus = str_printf("%s", tok);
    plus[strlen(plus) - 1] = '+';
    expect_refused(auth_hs, plus, NOW, "The JWT signature is not base64url.");
    /* a header segment that decodes to something other than a JSON object */
    char *in = signing_input("[\"alg\",\"HS256\"]", "{}");
    expect_refused(auth_hs, str_printf("%s.AAAA", in), NOW,
                   "The JWT header is not a base64url-encoded JSON object.");
    free(in);
    expect_refused(auth_hs, str_printf("%s", "e30K!.e30.AAAA"), NOW,
                   "The JWT header is not a base64url-encoded JSON object.");
    /* duplicate header members are refused rather than guessed at */
    in = signing_input("{\"alg\":\"HS256\",\"alg\":\"none\"}", "{}");
    expect_refused(auth_hs, str_printf("%s.AAAA", in), NOW,
                   "The JWT header is not a base64url-encoded JSON object.");
    free(in);
    /* a payload that is not JSON, validly signed */
    in = str_printf("%s", HS_HDR);
    expect_refused(auth_hs, hs_token_key(in, "not json", SECRET), NOW,
                   "The JWT payload is not a base64url-encoded JSON object.");
    free(in);
    free(tok);

    /* 16 KiB of token is the limit */
    char *big = malloc(16 * 1024 + 2);
    memset(big, 'A', 16 * 1024 + 1);
    big[16 * 1024 + 1] = '\0';
    expect_refused(auth_hs, big, NOW, "The bearer token is longer than 16384 bytes.");
}

static void test_large_token_within_limit(void **state)
{
    /* a 10 KB claim is fine */
    char *filler = malloc(10001);
    memset(filler, 'x', 10000);
    filler[10000] = '\0';
    char *extra = str_printf(",\"filler\":\"%s\",\"scp\":\"A\"", filler);
    char *pl = claims(NOW + 3600, extra);
    gc_principal p;
    expect_ok(auth_hs, hs_token(pl), NOW, &p);
    assert_int_equal(p.n_perms, 1);
    free(pl);
    free(extra);
    free(filler);
}

/* ---- RS256 / ES256 with a JWKS ---- */

static void test_rs256_es256(void **state)
{
    gc_principal p;
    char *pl = claims(NOW + 3600, ",\"roles\":[\"DeviceManagementConfiguration.ReadWrite.All\"]");
    expect_ok(auth_jwks, pkey_token("{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"typ\":\"JWT\"}", pl, rsa1, 0),
              NOW, &p);
    assert_string_equal(p.tenant, TID);
    assert_int_equal(p.n_perms, 1);
    assert_string_equal(p.perms[0], "DeviceManagementConfiguration.ReadWrite.All");
    expect_ok(auth_jwks, pkey_token("{\"alg\":\"ES256\",\"kid\":\"ec1\"}", pl, ec1, 1), NOW, &p);
    assert_int_equal(p.n_perms, 1);
    /* both kinds of config at once */
    expect_ok(auth_both, pkey_token("{\"alg\":\"ES256\",\"kid\":\"ec1\"}", pl, ec1, 1), NOW, &p);
    expect_ok(auth_both, hs_token(pl), NOW, &p);
    /* no kid and exactly one key of the type: that key */
    expect_ok(auth_jwks, pkey_token("{\"alg\":\"RS256\"}", pl, rsa1, 0), NOW, &p);
    expect_ok(auth_jwks, pkey_token("{\"alg\":\"ES256\"}", pl, ec1, 1), NOW, &p);
    /* claims are still checked */
    char *old = claims(NOW - 1000, "");
    expect_refused(auth_jwks, pkey_token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", old, rsa1, 0), NOW,
                   "The token has expired.");
    free(old);
    free(pl);
}

static void test_jwks_refusals(void **state)
{
    char *pl = claims(NOW + 3600, ",\"scp\":\"A\"");
    expect_refused(auth_jwks, pkey_token("{\"alg\":\"RS256\",\"kid\":\"nope\"}", pl, rsa1, 0), NOW,
                   "The JWT kid matches no key in the configured JWKS.");
    /* the oct and the encryption key in the file are not signing keys */
    expect_refused(auth_jwks, pkey_token("{\"alg\":\"RS256\",\"kid\":\"enc\"}", pl, rsa1, 0), NOW,
                   "The JWT kid matches no key in the configured JWKS.");
    expect_refused(auth_both, hs_token_key("{\"alg\":\"HS256\",\"kid\":\"sym\"}", pl, "AAAA"), NOW,
                   "The JWT signature is invalid.");
    /* alg / key type mismatch */
    expect_refused(auth_jwks, pkey_token("{\"alg\":\"RS256\",\"kid\":\"ec1\"}", pl, ec1, 1), NOW,
                   "The JWT alg RS256 does not match the type of the key its kid names.");
    expect_refused(auth_jwks, pkey_token("{\"alg\":\"ES256\",\"kid\":\"rsa1\"}", pl, rsa1, 0), NOW,
                   "The JWT alg ES256 does not match the type of the key its kid names.");
    /* signed by another key under a known kid */
    expect_refused(auth_jwks, pkey_token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", pl, rsa_other, 0),
                   NOW, "The JWT signature is invalid.");
    expect_refused(auth_jwks, pkey_token("{\"alg\":\"ES256\",\"kid\":\"ec1\"}", pl, ec_other, 1), NOW,
                   "The JWT signature is invalid.");
    /* ES256 signature in DER form instead of r||s */
    {
        char *in = signing_input("{\"alg\":\"ES256\",\"kid\":\"ec1\"}", pl);
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        assert_int_equal(EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, ec1, NULL), 1);
        unsigned char der[80];
        size_t der_len = sizeof der;
        assert_int_equal(EVP_DigestSign(md, der, &der_len, (unsigned char *)in, strlen(in)), 1);
        EVP_MD_CTX_free(md);
        expect_refused(auth_jwks, with_sig(in, der, der_len), NOW, "The JWT signature is invalid.");
    }
    /* HS256 presented to a JWKS-only config, even when its MAC key is public key material */
    expect_refused(auth_jwks, hs_token(pl), NOW,
                   "HS256 tokens are not accepted: no shared secret is configured.");
    /* RS256 presented to a secret-only config */
    expect_refused(auth_hs, pkey_token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", pl, rsa1, 0), NOW,
                   "RS256 tokens are not accepted: no JWKS is configured.");
    expect_refused(auth_jwks, pkey_token("{\"alg\":\"RS256\",\"kid\":5}", pl, rsa1, 0), NOW,
                   "The JWT header kid is not a string.");
    free(pl);
}

static void test_jwks_no_kid_ambiguous(void **state)
{
    char *a = ec_jwk(ec1, NULL), *b = ec_jwk(ec_other, NULL);
    char *text = str_printf("{\"keys\":[%s,%s]}", a, b);
    gc_auth *two = NULL;
    gc_err e;
    assert_int_equal(open_jwks_text("two-ec.json", text, &two, &e), 0);
    char *pl = claims(NOW + 3600, "");
    expect_refused(two, pkey_token("{\"alg\":\"ES256\"}", pl, ec1, 1), NOW,
                   "The JWT has no kid and the configured JWKS has 2 EC P-256 keys.");
    expect_refused(two, pkey_token("{\"alg\":\"RS256\"}", pl, rsa1, 0), NOW,
                   "The JWT alg is RS256 but the configured JWKS has no RSA key.");
    gc_auth_close(two);
    free(pl);
    free(text);
    free(a);
    free(b);
}

/* want: the message after "JWKS file '<path>'". */
static void expect_open_error(const char *name, const char *text, const char *want)
{
    gc_auth *x = (gc_auth *)1;
    gc_err e;
    gc_err_clear(&e);
    assert_int_equal(open_jwks_text(name, text, &x, &e), -1);
    assert_null(x);
    char *path = tmp_path(name);
    char *msg = str_printf("JWKS file '%s'%s", path, want);
    assert_string_equal(e.message, msg);
    free(msg);
    free(path);
}

static void test_jwks_malformed(void **state)
{
    expect_open_error("bad1.json", "{\"keys\": [",
                      " is not valid JSON (line 1: ']' expected near end of file)");
    expect_open_error("bad2.json", "{\"key\":[]}", " has no \"keys\" array");
    expect_open_error("bad3.json", "{\"keys\":[]}",
                      " has no usable RSA or EC P-256 signing key");
    expect_open_error("bad4.json", "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"}]}",
                      " has no usable RSA or EC P-256 signing key");
    expect_open_error("bad5.json", "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\",\"e\":\"AQAB\"}]}",
                      ": key 'k1' (#1): \"n\" is missing or not a string");
    expect_open_error("bad6.json", "{\"keys\":[7]}", ": key #1: not a JSON object");
    expect_open_error("bad7.json", "{\"keys\":[{\"kid\":\"k\"}]}",
                      ": key 'k' (#1): \"kty\" is missing");
    expect_open_error("bad8.json",
                      "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"e\",\"x\":\"AAA=\",\"y\":\"AAA\"}]}",
                      ": key 'e' (#1): \"x\" is not base64url without padding");

    /* a point that is not on the curve */
    char *xy = b64url("0123456789abcdef0123456789abcdef", 32);
    char *text = str_printf("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"off\",\"x\":\"%s\","
                            "\"y\":\"%s\"}]}",
                            xy, xy);
    expect_open_error("bad9.json", text, ": key 'off' (#1): \"x\"/\"y\" is not a point on P-256");
    free(text);
    free(xy);

    /* the second key is wrong: the message says which */
    char *good = rsa_jwk(rsa1, "good");
    text = str_printf("{\"keys\":[%s,{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"short\","
                      "\"x\":\"AQAB\",\"y\":\"AQAB\"}]}",
                      good);
    expect_open_error("bad10.json", text,
                      ": key 'short' (#2): \"x\" and \"y\" must be 32 bytes each for P-256");
    free(text);
    /* duplicate kid for one key type */
    text = str_printf("{\"keys\":[%s,%s]}", good, good);
    expect_open_error("bad11.json", text,
                      ": key 'good' (#2): another key of the same type has this kid");
    free(text);
    free(good);

    /* a 1024-bit RSA key is too weak */
    EVP_PKEY *weak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    assert_non_null(weak);
    char *wj = rsa_jwk(weak, "weak");
    text = str_printf("{\"keys\":[%s]}", wj);
    expect_open_error("bad12.json", text,
                      ": key 'weak' (#1): RSA modulus of 1024 bits (allowed: 2048 to 8192)");
    free(text);
    free(wj);
    EVP_PKEY_free(weak);

    /* a missing file */
    gc_auth *x = NULL;
    gc_err e;
    char *missing = tmp_path("missing.json");
    gc_auth_config cfg = {.jwks_file = missing};
    assert_int_equal(gc_auth_open(&cfg, &x, &e), -1);
    char *want = str_printf("cannot open JWKS file '%s': No such file or directory", missing);
    assert_string_equal(e.message, want);
    free(want);
    free(missing);
}

static void test_open_config_errors(void **state)
{
    gc_auth *x = NULL;
    gc_err e;
    gc_auth_config none = {0};
    assert_int_equal(gc_auth_open(&none, &x, &e), -1);
    assert_string_equal(e.message, "auth needs a secret file (HS256), a JWKS file or a JWKS URL");
    assert_null(x);
    gc_auth_config both = {.jwks_file = "/nonexistent/jwks.json", .jwks_url = "https://127.0.0.1:1/keys"};
    assert_int_equal(gc_auth_open(&both, &x, &e), -1);
    assert_string_equal(e.message, "give a JWKS file or a JWKS URL, not both");
    assert_null(x);
    gc_auth_config plain = {.jwks_url = "http://127.0.0.1:1/keys"};
    assert_int_equal(gc_auth_open(&plain, &x, &e), -1);
    assert_string_equal(e.message, "the JWKS URL must be https://, got 'http://127.0.0.1:1/keys'");
    assert_null(x);

    char *empty = tmp_path("empty-secret");
    write_file(empty, "\n\r\n");
    gc_auth_config c = {.secret_file = empty};
    assert_int_equal(gc_auth_open(&c, &x, &e), -1);
    char *want = str_printf("secret file '%s' is empty", empty);
    assert_string_equal(e.message, want);
    free(want);

    const char *const no_auds[] = {NULL};
    gc_auth_config c2 = {.secret_file = secret_path, .audiences = no_auds};
    assert_int_equal(gc_auth_open(&c2, &x, &e), -1);
    assert_string_equal(e.message, "the list of accepted audiences is empty");

    /* a bad JWKS spoils the whole config even when the secret is fine */
    gc_auth_config c3 = {.secret_file = secret_path, .jwks_file = empty};
    assert_int_equal(gc_auth_open(&c3, &x, &e), -1);
    assert_null(x);
    free(empty);

    unsigned char *s = NULL;
    size_t n = 0;
    assert_int_equal(gc_auth_read_secret(secret_path, &s, &n, &e), 0);
    assert_int_equal(n, strlen(SECRET));
    assert_memory_equal(s, SECRET, n);
    free(s);
}

/* ---- minting ---- */

static void test_mint_roundtrip(void **state)
{
    const unsigned char *key = (const unsigned char *)SECRET;
    char *tok = gc_auth_mint_hs256(key, strlen(SECRET), TID_UPPER,
                                   "DeviceManagementConfiguration.Read.All User.Read", NULL, NOW,
                                   3600);
    assert_non_null(tok);
    /* header and claims as documented */
    char *dot1 = strchr(tok, '.'), *dot2 = strchr(dot1 + 1, '.');
    assert_non_null(dot2);
    char *h64 = b64url(HS_HDR, strlen(HS_HDR));
    assert_int_equal((size_t)(dot1 - tok), strlen(h64));
    assert_memory_equal(tok, h64, strlen(h64));
    free(h64);
    assert_int_equal(strlen(dot2 + 1), 43);

    gc_principal p;
    gc_err e;
    char *copy = str_printf("%s", tok);
    expect_ok(auth_hs, copy, NOW + 10, &p);
    assert_string_equal(p.tenant, TID);
    assert_int_equal(p.n_perms, 2);
    assert_string_equal(p.perms[0], "DeviceManagementConfiguration.Read.All");
    assert_string_equal(p.perms[1], "User.Read");
    /* expires after ttl + skew */
    assert_int_equal(verify_at(auth_hs, tok, NOW + 3600 + 300, &p, &e), -1);
    assert_string_equal(e.message, "The token has expired.");
    assert_int_equal(verify_at(auth_hs, tok, NOW - 301, &p, &e), -1);
    assert_string_equal(e.message, "The token is not yet valid (nbf is in the future).");
    /* another secret does not verify it */
    char *other = tmp_path("other-secret");
    write_file(other, "other\n");
    gc_auth_config cfg = {.secret_file = other};
    gc_auth *ao = NULL;
    assert_int_equal(gc_auth_open(&cfg, &ao, &e), 0);
    assert_int_equal(verify_at(ao, tok, NOW, &p, &e), -1);
    assert_string_equal(e.message, "The JWT signature is invalid.");
    gc_auth_close(ao);
    free(other);
    free(tok);

    tok = gc_auth_mint_hs256(key, strlen(SECRET), TID, NULL, " DeviceManagementApps.ReadWrite.All  X ",
                             NOW, 60);
    assert_non_null(tok);
    expect_ok(auth_both, tok, NOW, &p);
    assert_int_equal(p.n_perms, 2);
    assert_string_equal(p.perms[0], "DeviceManagementApps.ReadWrite.All");
    assert_string_equal(p.perms[1], "X");
}

static void test_mint_claims(void **state)
{
    char *tok = gc_auth_mint_hs256((const unsigned char *)"k", 1, TID_UPPER, NULL, "A B", NOW, 60);
    assert_non_null(tok);
    char *dot1 = strchr(tok, '.'), *dot2 = strchr(dot1 + 1, '.');
    /* decode the payload with OpenSSL's base64 (after mapping the alphabet and padding) */
    size_t n = (size_t)(dot2 - dot1 - 1);
    char *std = calloc(1, n + 4);
    memcpy(std, dot1 + 1, n);
    for (size_t i = 0; i < n; i++)
        std[i] = std[i] == '-' ? '+' : std[i] == '_' ? '/' : std[i];
    while (n % 4)
        std[n++] = '=';
    unsigned char *raw = calloc(1, n);
    int m = EVP_DecodeBlock(raw, (unsigned char *)std, (int)n);
    assert_true(m > 0);
    json_t *c = json_loadb((char *)raw, strlen((char *)raw), 0, NULL);
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "aud")), GRAPH);
    assert_string_equal(json_string_value(json_object_get(c, "iss")),
                        "https://sts.windows.net/" TID "/");
    assert_string_equal(json_string_value(json_object_get(c, "tid")), TID);
    assert_int_equal(json_integer_value(json_object_get(c, "iat")), NOW);
    assert_int_equal(json_integer_value(json_object_get(c, "nbf")), NOW);
    assert_int_equal(json_integer_value(json_object_get(c, "exp")), NOW + 60);
    const char *oid = json_string_value(json_object_get(c, "oid"));
    assert_non_null(oid);
    assert_int_equal(strlen(oid), 36);
    json_t *roles = json_object_get(c, "roles");
    assert_int_equal(json_array_size(roles), 2);
    assert_string_equal(json_string_value(json_array_get(roles, 0)), "A");
    assert_string_equal(json_string_value(json_array_get(roles, 1)), "B");
    assert_null(json_object_get(c, "scp"));
    json_decref(c);
    free(raw);
    free(std);
    free(tok);

    /* refusals */
    const unsigned char *k = (const unsigned char *)"k";
    assert_null(gc_auth_mint_hs256(k, 1, "not-a-guid", "A", NULL, NOW, 60));
    assert_null(gc_auth_mint_hs256(k, 1, TID, "A", NULL, NOW, 0));
    assert_null(gc_auth_mint_hs256(k, 1, TID, "A", NULL, INT64_MAX - 5, 60));
    assert_null(gc_auth_mint_hs256(k, 0, TID, "A", NULL, NOW, 60));
}

/* ---- permissions ---- */

static void test_has_any(void **state)
{
    gc_principal p = {.tenant = TID, .n_perms = 2,
                      .perms = {"DeviceManagementConfiguration.Read.All", "User.Read"}};
    const char *const read[] = {"DeviceManagementConfiguration.ReadWrite.All",
                                "deviceManagementConfiguration.read.all", NULL};
    const char *const write[] = {"DeviceManagementConfiguration.ReadWrite.All", NULL};
    const char *const prefix[] = {"DeviceManagementConfiguration.Read", NULL};
    const char *const empty[] = {NULL};
    assert_true(gc_auth_has_any(&p, read));
    assert_false(gc_auth_has_any(&p, write));
    assert_false(gc_auth_has_any(&p, prefix));
    assert_false(gc_auth_has_any(&p, empty));
    const char *const upper[] = {"USER.READ", NULL};
    assert_true(gc_auth_has_any(&p, upper));
    gc_principal none = {.n_perms = 0};
    assert_false(gc_auth_has_any(&none, read));
}

/* ---- many threads on one gc_auth ---- */

typedef struct thread_job {
    const char *tokens[3];
    int failures;
} thread_job;

static void *verify_loop(void *arg)
{
    thread_job *job = arg;
    for (int i = 0; i < 30; i++) {
        gc_arena *a = gc_arena_new();
        for (int t = 0; t < 3; t++) {
            char *h = str_printf("Bearer %s", job->tokens[t]);
            gc_principal p;
            gc_err e;
            if (gc_auth_verify(auth_both, a, h, NOW, &p, &e) != 0 || p.n_perms != 1 ||
                strcmp(p.perms[0], "A") != 0)
                job->failures++;
            /* a bad token in between leaves no state behind */
            if (gc_auth_verify(auth_both, a, "Bearer e30.e30.AAAA", NOW, &p, &e) != -1)
                job->failures++;
            free(h);
        }
        gc_arena_free(a);
    }
    return NULL;
}

static void test_threads(void **state)
{
    char *pl = claims(NOW + 3600, ",\"scp\":\"A\"");
    char *hs = hs_token(pl);
    char *rs = pkey_token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", pl, rsa1, 0);
    char *es = pkey_token("{\"alg\":\"ES256\",\"kid\":\"ec1\"}", pl, ec1, 1);
    free(pl);
    enum { N = 4 };
    pthread_t th[N];
    thread_job jobs[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (thread_job){{hs, rs, es}, 0};
        assert_int_equal(pthread_create(&th[i], NULL, verify_loop, &jobs[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(jobs[i].failures, 0);
    }
    free(hs);
    free(rs);
    free(es);
}


/* ---- the cache of verified tokens ---- */

static gc_auth *open_cached(int entries, int skew)
{
    gc_auth *x = NULL;
    gc_err e;
    gc_auth_config cfg = {.secret_file = secret_path, .jwks_file = jwks_path,
                          .cache_entries = entries, .skew_seconds = skew};
    if (gc_auth_open(&cfg, &x, &e) < 0) {
        print_error("gc_auth_open: %s\n", e.message);
        fail();
    }
    return x;
}

static gc_auth_cache_stats stats_of(gc_auth *x)
{
    gc_auth_cache_stats st;
    memset(&st, 0xa5, sizeof st);
    gc_auth_get_cache_stats(x, &st);
    return st;
}

static void assert_stats(gc_auth *x, size_t used, uint64_t hits, uint64_t misses,
                         uint64_t evictions)
{
    gc_auth_cache_stats st = stats_of(x);
    assert_int_equal(st.used, used);
    assert_int_equal(st.hits, hits);
    assert_int_equal(st.misses, misses);
    assert_int_equal(st.evictions, evictions);
}

static void assert_same_principal(const gc_principal *a, const gc_principal *b)
{
    assert_string_equal(a->tenant, b->tenant);
    assert_string_equal(a->app, b->app);
    assert_string_equal(a->user_id, b->user_id);
    assert_string_equal(a->upn, b->upn);
    assert_int_equal(a->n_perms, b->n_perms);
    for (size_t i = 0; i < a->n_perms; i++)
        assert_string_equal(a->perms[i], b->perms[i]);
}

static void test_cache_hit_same_principal(void **state)
{
    gc_auth *x = open_cached(0, 0);
    gc_auth_cache_stats st = stats_of(x);
    assert_int_equal(st.capacity, 4096);
    assert_stats(x, 0, 0, 0, 0);

    char *pl = str_printf("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID_UPPER "\",\"exp\":1700003600,"
                          "\"azp\":\"8a1c2b3d-0000-4000-8000-00000000000a\","
                          "\"oid\":\"0d0e0f00-0000-4000-8000-000000000001\",\"upn\":\"ann@contoso.com\","
                          "\"scp\":\" User.Read  DeviceManagementConfiguration.Read.All \","
                          "\"roles\":[\"DeviceManagementApps.ReadWrite.All\",\"\",\"X\"]}");
    char *tok = hs_token(pl);
    free(pl);
    gc_principal miss, hit, plain;
    gc_err e;
    assert_int_equal(verify_at(x, tok, NOW, &miss, &e), 0);
    assert_stats(x, 1, 0, 1, 0);
    assert_string_equal(miss.tenant, TID);
    assert_string_equal(miss.app, "8a1c2b3d-0000-4000-8000-00000000000a");
    assert_string_equal(miss.upn, "ann@contoso.com");
    assert_int_equal(miss.n_perms, 4);
    assert_string_equal(miss.perms[0], "User.Read");
    assert_string_equal(miss.perms[1], "DeviceManagementConfiguration.Read.All");
    assert_string_equal(miss.perms[2], "DeviceManagementApps.ReadWrite.All");
    assert_string_equal(miss.perms[3], "X");

    /* a hit in another arena, through another spelling of the header */
    gc_arena *b = gc_arena_new();
    char *h = str_printf("  bEARER\t%s \t", tok);
    assert_int_equal(gc_auth_verify(x, b, h, NOW + 5, &hit, &e), 0);
    free(h);
    assert_stats(x, 1, 1, 1, 0);
    assert_same_principal(&miss, &hit);
    for (size_t i = 0; i < hit.n_perms; i++)
        assert_ptr_not_equal(hit.perms[i], miss.perms[i]);

    /* the same answer from an auth without a cache */
    gc_auth *off = open_cached(-1, 0);
    assert_int_equal(verify_at(off, tok, NOW, &plain, &e), 0);
    assert_same_principal(&plain, &hit);
    assert_int_equal(verify_at(off, tok, NOW, &plain, &e), 0);
    st = stats_of(off);
    assert_int_equal(st.capacity, 0);
    assert_int_equal(st.used + st.hits + st.misses + st.evictions, 0);
    gc_auth_close(off);

    /* the hit's names live in the caller's arena, not in the cache: closing the auth (which
       frees the cache) leaves them readable (ASan would report a use after free) */
    gc_auth_close(x);
    assert_string_equal(hit.perms[1], "DeviceManagementConfiguration.Read.All");
    assert_string_equal(hit.perms[3], "X");
    gc_arena_free(b);

    /* no permissions, RS256 and ES256: hits give the same principal too */
    x = open_cached(16, 0);
    gc_auth_cache_stats st16 = stats_of(x);
    assert_int_equal(st16.capacity, 16);
    pl = claims(NOW + 3600, "");
    char *none = hs_token(pl);
    free(pl);
    pl = claims(NOW + 3600, ",\"roles\":[\"R\"]");
    char *rs = pkey_token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", pl, rsa1, 0);
    char *es = pkey_token("{\"alg\":\"ES256\",\"kid\":\"ec1\"}", pl, ec1, 1);
    free(pl);
    const char *toks[] = {none, rs, es};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(verify_at(x, toks[i], NOW, &miss, &e), 0);
        assert_int_equal(verify_at(x, toks[i], NOW, &hit, &e), 0);
        assert_same_principal(&miss, &hit);
        assert_int_equal(hit.n_perms, i == 0 ? 0 : 1);
    }
    /* each hit came straight after its miss; with 8 sets of 2 ways and a random seed, all three
     * share a set one time in 64 and the third then evicts one of the others */
    st16 = stats_of(x);
    assert_int_equal(st16.hits, 3);
    assert_int_equal(st16.misses, 3);
    assert_int_equal(st16.used + st16.evictions, 3);
    gc_auth_close(x);
    free(none);
    free(rs);
    free(es);
    free(tok);
}

static void test_cache_expiry(void **state)
{
    gc_auth *x = open_cached(0, 0);
    gc_principal p;
    gc_err e;
    char *pl = claims(NOW + 100, ",\"nbf\":1699999990,\"scp\":\"A\"");
    char *tok = hs_token(pl);
    free(pl);
    assert_int_equal(verify_at(x, tok, NOW, &p, &e), 0);
    assert_stats(x, 1, 0, 1, 0);
    /* exp + skew == now: expired, answered from the cache */
    assert_int_equal(verify_at(x, tok, NOW + 400, &p, &e), -1);
    assert_string_equal(e.message, "The token has expired.");
    assert_int_equal(p.n_perms, 0);
    assert_string_equal(p.tenant, "");
    assert_stats(x, 1, 1, 1, 0);
    assert_int_equal(verify_at(x, tok, NOW + 399, &p, &e), 0);
    assert_int_equal(p.n_perms, 1);
    /* nbf - skew in the future */
    assert_int_equal(verify_at(x, tok, NOW - 10 - 301, &p, &e), -1);
    assert_string_equal(e.message, "The token is not yet valid (nbf is in the future).");
    assert_int_equal(p.n_perms, 0);
    assert_int_equal(verify_at(x, tok, NOW - 10 - 300, &p, &e), 0);
    assert_stats(x, 1, 4, 1, 0);
    /* a refusal is not cached: an expired token verifies in full each time */
    char *old = claims(NOW - 1000, "");
    char *otok = hs_token(old);
    free(old);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(verify_at(x, otok, NOW, &p, &e), -1);
        assert_string_equal(e.message, "The token has expired.");
    }
    assert_stats(x, 1, 4, 3, 0);
    free(otok);
    gc_auth_close(x);

    /* a configured skew and a fractional exp survive the cache exactly */
    x = open_cached(0, 10);
    char *frac = hs_token("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID "\",\"exp\":1700000100.5}");
    assert_int_equal(verify_at(x, frac, NOW, &p, &e), 0);
    assert_int_equal(verify_at(x, frac, NOW + 110, &p, &e), 0);
    assert_int_equal(verify_at(x, frac, NOW + 111, &p, &e), -1);
    assert_string_equal(e.message, "The token has expired.");
    assert_stats(x, 1, 2, 1, 0);
    free(frac);
    gc_auth_close(x);
    free(tok);
}

static void test_cache_tampered(void **state)
{
    gc_auth *x = open_cached(0, 0);
    gc_principal p;
    gc_err e;
    char *pl = claims(NOW + 3600, ",\"roles\":[\"DeviceManagementApps.Read.All\"]");
    char *tok = hs_token(pl);
    free(pl);
    assert_int_equal(verify_at(x, tok, NOW, &p, &e), 0);
    assert_int_equal(verify_at(x, tok, NOW, &p, &e), 0);
    assert_stats(x, 1, 1, 1, 0);

    char *dot1 = strchr(tok, '.'), *dot2 = strchr(dot1 + 1, '.');
    char *pl2 = claims(NOW + 3600, ",\"roles\":[\"DeviceManagementApps.ReadWrite.All\"]");
    char *p64 = b64url(pl2, strlen(pl2));
    free(pl2);
    char *forged = str_printf("%.*s.%s%s", (int)(dot1 - tok), tok, p64, dot2);
    free(p64);
    char *flip = str_printf("%s", tok);
    size_t last = strlen(flip) - 2;
    flip[last] = flip[last] == 'A' ? 'B' : 'A';
    char *flip_payload = str_printf("%s", tok);
    size_t mid = (size_t)(dot1 - tok) + 5;
    flip_payload[mid] = flip_payload[mid] == 'x' ? 'y' : 'x';
    char *longer = str_printf("%sA", tok);
    char *shorter = str_printf("%.*s", (int)strlen(tok) - 1, tok);
    char *hdr_changed = NULL;
    {
        char *in = signing_input("{\"alg\":\"HS256\",\"typ\":\"JWS\"}", "{}");
        hdr_changed = str_printf("%.*s%s", (int)strcspn(in, "."), in, dot1);
        free(in);
    }
    const char *bad[] = {forged, flip, flip_payload, longer, shorter, hdr_changed};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int round = 0; round < 2; round++) {
            assert_int_equal(verify_at(x, bad[i], NOW, &p, &e), -1);
            if (strcmp(e.message, "The JWT signature is invalid.") != 0 &&
                strcmp(e.message, "The JWT signature is not base64url.") != 0 &&
                strcmp(e.message, "The JWT payload is not a base64url-encoded JSON object.") != 0) {
                print_error("variant %zu: %s\n", i, e.message);
                fail();
            }
            assert_int_equal(p.n_perms, 0);
        }
    }
    /* every variant missed (twice each), nothing new was cached, the original still hits */
    assert_stats(x, 1, 1, 1 + 2 * 6, 0);
    assert_int_equal(verify_at(x, tok, NOW, &p, &e), 0);
    assert_int_equal(p.n_perms, 1);
    assert_string_equal(p.perms[0], "DeviceManagementApps.Read.All");
    assert_stats(x, 1, 2, 13, 0);

    /* two valid tokens that differ in the tenant only: each gets its own principal */
    char *t2 = hs_token("{\"aud\":\"" GRAPH "\",\"tid\":\"00000000-0000-0000-0000-000000000001\","
                        "\"exp\":1700003600,\"roles\":[\"DeviceManagementApps.Read.All\"]}");
    for (int round = 0; round < 3; round++) {
        assert_int_equal(verify_at(x, t2, NOW, &p, &e), 0);
        assert_string_equal(p.tenant, "00000000-0000-0000-0000-000000000001");
        assert_int_equal(verify_at(x, tok, NOW, &p, &e), 0);
        assert_string_equal(p.tenant, TID);
    }
    assert_stats(x, 2, 2 + 5, 14, 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        free((void *)bad[i]);
    free(t2);
    free(tok);
    gc_auth_close(x);
}

/* An HS256 token granting the one role "R<i>". */
static char *role_token(int i, int64_t exp)
{
    char *extra = str_printf(",\"roles\":[\"R%d\"]", i);
    char *pl = claims(exp, extra);
    char *tok = hs_token(pl);
    free(pl);
    free(extra);
    return tok;
}

static void expect_role(gc_auth *x, const char *tok, int i)
{
    gc_principal p;
    gc_err e;
    assert_int_equal(verify_at(x, tok, NOW, &p, &e), 0);
    char want[16];
    snprintf(want, sizeof want, "R%d", i);
    assert_int_equal(p.n_perms, 1);
    assert_string_equal(p.perms[0], want);
}

static void test_cache_eviction(void **state)
{
    /* 2 slots: one set, least recently used way replaced */
    gc_auth *x = open_cached(2, 0);
    assert_int_equal(stats_of(x).capacity, 2);
    char *a = role_token(1, NOW + 3600), *b = role_token(2, NOW + 3600),
         *c = role_token(3, NOW + 3600);
    expect_role(x, a, 1);
    expect_role(x, b, 2);
    expect_role(x, c, 3); /* evicts a */
    assert_stats(x, 2, 0, 3, 1);
    expect_role(x, a, 1); /* miss; evicts b, the older of b and c */
    assert_stats(x, 2, 0, 4, 2);
    expect_role(x, c, 3); /* hit; a becomes the older */
    assert_stats(x, 2, 1, 4, 2);
    expect_role(x, b, 2); /* miss; evicts a */
    expect_role(x, c, 3); /* hit */
    expect_role(x, b, 2); /* hit */
    assert_stats(x, 2, 3, 5, 3);
    gc_auth_close(x);
    free(a);
    free(b);
    free(c);

    /* more distinct tokens than slots: the cache stays full and the latest ones hit */
    x = open_cached(7, 0); /* rounded up to 8 */
    assert_int_equal(stats_of(x).capacity, 8);
    enum { N = 100 };
    char *toks[N];
    for (int i = 0; i < N; i++) {
        toks[i] = role_token(i, NOW + 3600);
        expect_role(x, toks[i], i);
    }
    assert_stats(x, 8, 0, N, N - 8);
    expect_role(x, toks[N - 1], N - 1);
    assert_stats(x, 8, 1, N, N - 8);
    for (int i = 0; i < N; i++)
        free(toks[i]);
    gc_auth_close(x);

    /* sizes that are not accepted */
    static const int bad[] = {1, -2, INT32_MIN, (1 << 20) + 1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gc_auth *y = (gc_auth *)1;
        gc_err e;
        gc_auth_config cfg = {.secret_file = secret_path, .cache_entries = bad[i]};
        assert_int_equal(gc_auth_open(&cfg, &y, &e), -1);
        assert_null(y);
        char *want = str_printf("the token cache must have 2 to 1048576 entries (0: 4096, -1: off), "
                                "got %d", bad[i]);
        assert_string_equal(e.message, want);
        free(want);
    }
    x = open_cached(1 << 20, 0);
    assert_int_equal(stats_of(x).capacity, 1 << 20);
    gc_auth_close(x);
}

/* A valid HS256 token of exactly len bytes granting one role of name_len 'N's: the filler
 * claim is sized from the length without it, then adjusted a few bytes either way (a base64url
 * segment cannot have every length, hence two headers). */
static char *filled_token(size_t fill, const char *name, int hdr)
{
    char *filler = malloc(fill + 1);
    memset(filler, 'f', fill);
    filler[fill] = '\0';
    char *extra = str_printf(",\"f\":\"%s\",\"roles\":[\"%s\"]", filler, name);
    char *pl = claims(NOW + 3600, extra);
    char *tok = hs_token_key(hdr ? "{\"alg\":\"HS256\"}" : HS_HDR, pl, SECRET);
    free(filler);
    free(extra);
    free(pl);
    return tok;
}

static char *sized_token(size_t len, size_t name_len)
{
    char *name = malloc(name_len + 1);
    memset(name, 'N', name_len);
    name[name_len] = '\0';
    char *tok = filled_token(0, name, 0);
    size_t base = strlen(tok);
    free(tok);
    assert_true(base + 16 < len);
    size_t guess = (len - base) * 3 / 4;
    for (size_t fill = guess - 8; fill < guess + 8; fill++) {
        for (int h = 0; h < 2; h++) {
            tok = filled_token(fill, name, h);
            if (strlen(tok) == len) {
                free(name);
                return tok;
            }
            free(tok);
        }
    }
    free(name);
    fail_msg("no token of %zu bytes", len);
    return NULL;
}

static void test_cache_limits(void **state)
{
    gc_auth *x = open_cached(0, 0);
    gc_principal p;
    gc_err e;
    /* a token of exactly 16384 bytes is cached; one byte more never reaches the cache */
    char *max = sized_token(16384, 10);
    assert_int_equal(verify_at(x, max, NOW, &p, &e), 0);
    assert_int_equal(verify_at(x, max, NOW, &p, &e), 0);
    assert_int_equal(p.n_perms, 1);
    assert_stats(x, 1, 1, 1, 0);
    char *over = str_printf("%sA", max);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(verify_at(x, over, NOW, &p, &e), -1);
        assert_string_equal(e.message, "The bearer token is longer than 16384 bytes.");
    }
    assert_stats(x, 1, 1, 1, 0);
    free(over);
    free(max);

    /* permission names of 2048 bytes (NULs included) are cached; 2049 are not */
    char *fits = sized_token(4000, 2047), *big = sized_token(4000, 2048);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(verify_at(x, fits, NOW, &p, &e), 0);
        assert_int_equal(strlen(p.perms[0]), 2047);
        assert_int_equal(verify_at(x, big, NOW, &p, &e), 0);
        assert_int_equal(strlen(p.perms[0]), 2048);
    }
    assert_stats(x, 2, 2, 4, 0);
    free(fits);
    free(big);

    /* 64 permissions fit in the cache too */
    char roles[2048] = "";
    size_t n = 0;
    for (int i = 0; i < 64; i++)
        n += (size_t)snprintf(roles + n, sizeof roles - n, "%s\"Role.%d\"", i ? "," : "", i);
    char *pl = str_printf("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID "\",\"exp\":1700003600,"
                          "\"roles\":[%s]}", roles);
    char *tok = hs_token(pl);
    free(pl);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(verify_at(x, tok, NOW, &p, &e), 0);
        assert_int_equal(p.n_perms, 64);
        assert_string_equal(p.perms[0], "Role.0");
        assert_string_equal(p.perms[63], "Role.63");
    }
    assert_stats(x, 3, 3, 5, 0);
    free(tok);
    gc_auth_close(x);
}

/* Many threads, one small cache, a mix of good, expired-by-now and tampered tokens. */
enum { MIX_TOKENS = 24, MIX_ROUNDS = 60, MIX_THREADS = 4 };

typedef struct mix_job {
    gc_auth *auth;
    char **toks;  /* MIX_TOKENS: i % 8 == 6 tampered, i % 8 == 7 RS256/ES256 */
    unsigned seed;
    int failures;
    long verifies;
} mix_job;

static void *mix_loop(void *arg)
{
    mix_job *job = arg;
    for (int r = 0; r < MIX_ROUNDS; r++) {
        gc_arena *a = gc_arena_new();
        for (int k = 0; k < MIX_TOKENS; k++) {
            job->seed = job->seed * 1103515245u + 12345u;
            int i = (int)((job->seed >> 8) % MIX_TOKENS);
            bool late = (job->seed >> 4) % 5 == 0; /* after exp + skew */
            char *h = str_printf("Bearer %s", job->toks[i]);
            gc_principal p;
            gc_err e;
            int rc = gc_auth_verify(job->auth, a, h, late ? NOW + 3900 : NOW, &p, &e);
            free(h);
            job->verifies++;
            char want[16];
            snprintf(want, sizeof want, "R%d", i);
            if (i % 8 == 6) {
                if (rc != -1 || strcmp(e.message, "The JWT signature is invalid.") != 0 ||
                    p.n_perms != 0)
                    job->failures++;
            } else if (late) {
                if (rc != -1 || strcmp(e.message, "The token has expired.") != 0 || p.n_perms != 0)
                    job->failures++;
            } else if (rc != 0 || strcmp(p.tenant, TID) != 0 || p.n_perms != 1 ||
                       strcmp(p.perms[0], want) != 0) {
                job->failures++;
            }
        }
        gc_arena_free(a);
    }
    return NULL;
}

static void test_cache_threads(void **state)
{
    gc_auth *x = open_cached(8, 0);
    char *toks[MIX_TOKENS];
    for (int i = 0; i < MIX_TOKENS; i++) {
        if (i % 8 == 7) {
            char *extra = str_printf(",\"roles\":[\"R%d\"]", i);
            char *pl = claims(NOW + 3600, extra);
            toks[i] = i % 16 == 7 ? pkey_token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", pl, rsa1, 0)
                                  : pkey_token("{\"alg\":\"ES256\",\"kid\":\"ec1\"}", pl, ec1, 1);
            free(pl);
            free(extra);
        } else {
            toks[i] = role_token(i, NOW + 3600);
        }
        if (i % 8 == 6) { /* the payload of token i - 1 under token i's signature */
            char *prev = toks[i - 1];
            char *d1 = strchr(prev, '.'), *d2 = strchr(d1 + 1, '.');
            char *sig = strrchr(toks[i], '.');
            char *t = str_printf("%.*s%s", (int)(d2 - prev), prev, sig);
            free(toks[i]);
            toks[i] = t;
        }
    }
    pthread_t th[MIX_THREADS];
    mix_job jobs[MIX_THREADS];
    for (int i = 0; i < MIX_THREADS; i++) {
        jobs[i] = (mix_job){x, toks, (unsigned)(i * 7919 + 1), 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, mix_loop, &jobs[i]), 0);
    }
    long verifies = 0;
    for (int i = 0; i < MIX_THREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(jobs[i].failures, 0);
        verifies += jobs[i].verifies;
    }
    gc_auth_cache_stats st = stats_of(x);
    assert_int_equal(verifies, MIX_THREADS * MIX_ROUNDS * MIX_TOKENS);
    assert_int_equal(st.hits + st.misses, verifies);
    assert_true(st.hits > 0);
    assert_true(st.evictions > 0);
    assert_true(st.used <= 8);
    for (int i = 0; i < MIX_TOKENS; i++)
        free(toks[i]);
    gc_auth_close(x);
}

#define T(f) cmocka_unit_test_setup_teardown(f, arena_setup, arena_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_hs256_scp),
        T(test_hs256_roles),
        T(test_scheme_case_and_blanks),
        T(test_expired_and_skew),
        T(test_nbf),
        T(test_exp_required),
        T(test_audience),
        T(test_tenant),
        T(test_app),
        T(test_user),
        T(test_perm_claim_types),
        T(test_alg_none),
        T(test_tampered_and_wrong_secret),
        T(test_header_forms),
        T(test_large_token_within_limit),
        T(test_rs256_es256),
        T(test_jwks_refusals),
        T(test_jwks_no_kid_ambiguous),
        T(test_jwks_malformed),
        T(test_open_config_errors),
        T(test_mint_roundtrip),
        T(test_mint_claims),
        T(test_has_any),
        T(test_threads),
        T(test_cache_hit_same_principal),
        T(test_cache_expiry),
        T(test_cache_tampered),
        T(test_cache_eviction),
        T(test_cache_limits),
        T(test_cache_threads),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
