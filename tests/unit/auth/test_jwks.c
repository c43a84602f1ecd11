/* Unit tests of RS256/ES256 verification with keys from a JWKS file (src/auth/jwks.c): accepted
 * keys, refusals, kid ambiguity, malformed files and configuration errors. */
#include "auth_fixture.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_rs256_es256),
        T(test_jwks_refusals),
        T(test_jwks_no_kid_ambiguous),
        T(test_jwks_malformed),
        T(test_open_config_errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
