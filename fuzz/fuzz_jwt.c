/* Fuzz target for bearer-token verification (src/auth), the token cache included. Byte 0
 * picks the mode: the rest is the raw Authorization value, or "HEADER\nPAYLOAD" JSON signed
 * here with the fixed HS256 secret or RS256/ES256 key (or a wrong one), so the accept path is
 * as reachable as each refusal; an accepted token must really be signed and valid.
 * GC_FUZZ_PRINT=1 prints each value built and its verdict (for writing seeds). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "auth/auth.h"
#include "core/util.h"
#include "fuzz.h"

#define NOW INT64_C(1700000000)
#define SKEW 300
#define SECRET "fuzz-secret-0123456789abcdef"

/* Fixed keys, for this fuzzer only (they sign nothing else). */
static const char rsa_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQDDQUfdUB/WD5a1\n"
    "ptZRqoTgGJldvX/Po6xjzr+zwse7MhQxXSc2N9Cuwg6apFiRZ9WYxPBfCELN78lA\n"
    "jx5g0iV8J4qecGmIlbm6nySnCnN1b76GwJAHQnUj4nidnyc83U41WfXZI+D94UxZ\n"
    "M9gT+H3pIhew2URum7sl4nB3MGMX4R08MdgkQ/v+r7wlYqGsMKJ5Ryb4WCzcVMcf\n"
    "pfy/t8i/nBFjlb9QrjJI/LQuDKDhISVKVXYxb5eZvWVWxiappu7sfLkfL+UBYRYD\n"
    "lU/B8yy8atzhZJBF1oB+hZBkc79ZxM/Ev6nToXha2YhFGsq45NQd9PeLFPBxU6Io\n"
    "Tm06bAJzAgMBAAECggEAToph1/o09CxNGUDFERCgZmw+tOBXGzThUTyHDE4bfYdF\n"
    "bB3mef61qLZSnY3iOosj9lGxxuhRxvjfYWKwe43MmkZlkhnxuYlQrmr5mV+w1dpf\n"
    "L2EiDmmDKS4eCnlMlUUIApnvNKskA7uutGsQTeg07aRTF0YuKrfl7fVJ/AewtJeb\n"
    "BP3+S5KHe3/t6gr1aCY2vhYub+oWG2soP3WA4iDjC3+ArUq0JzCqgirdMFXwveUJ\n"
    "cAs2gQUyyqw83xRrtUK3ZjxhnH96nAaVjrphtI3H/0gXoJ2KRhBW+ZPx2xjltpJk\n"
    "WPdyJrDCg0ueQrTHLNp25D6PQ7NFDlTp1UGR+UF0EQKBgQDhxK54AzHg/0R+FfG/\n"
    "/3JeabBSb27B2YiyCRFiAaVjrqFiLoIIn7SRbOZqKU27Brc9EcxravqqZ2J0rFYB\n"
    "DmPgH7Iphsi3Fj15LRdYQ+b+H0xxiF7+QHOY3A4MZ9EirgEqg6kVUGtPTqN6AxWC\n"
    "7dQaIb0ZS0Cbz2Zr46+Ktebi7QKBgQDdZps2jRZZPp+cCwsJ2RFTHCVrscov+SHa\n"
    "Ssn49i8Wxd6UR+cgWPJ28G2J3bdVEIZ2umwx/Fr7EK/lWXSlJzZFlHNRumF6Xi7N\n"
    "v7X0tLmnMagXoeuTRJRI3IeGU6hLdCiIiRZRGQrqX2nMyJW44/e7pgxyER1UhRXc\n"
    "Q+1gTiTu3wKBgQCSNHWr4J3HkGgBoyJobPvaqmT2LZWzUbWVXgv0xQ4fDLMUSvwI\n"
    "q6wa1UQuEct1x7aYhNM16RSlj8gRuJ0FmBUTylLtU4zeDDgJJitNDMQlY410pJSn\n"
    "4IM7xZ4PaJfl9nto1dSEqgykUk/Jrv+aR3wo5Bp6q+IORPSV/9/pWz1HTQKBgQDB\n"
    "UT5lu3uwIUYsclgJGUhPUVw7VNo+WUJ94J/KiutC7zMSNlZRoFjWEckTgEz8MZm3\n"
    "QcAHRVoLrt5nXFzFeB+jUaP/0MYcmvAzJxoxuTwCCRHE0NVpmZAArs6HM7TXbW2X\n"
    "Clw6I6usSfOPo/VXo3ZEmxBy6Q67JhmYYpd6Z8FH8QKBgQCek6J+W4XYYCeFd+KH\n"
    "+4Z/0PANAzx0sRGZtkKZPr5BzLezDv6Nl3g5B1qwJaGi+PZxh6lBlsVJ/zAl/bay\n"
    "hfZolFvMEvglWJBLWLOTK1eMm1kaHfnwSj6ITgZYMFwbEFhKlSAkZ8bfJ7l/JpxZ\n"
    "mGJcZuk9Jy10oc3VczZbYPLsdQ==\n"
    "-----END PRIVATE KEY-----\n";
static const char ec1_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg0T4loqztrFgaXlT+\n"
    "9gg0AjeBdideQ82mJ4sL6FsPw1ahRANCAATfi6A3YV04+Y0WcWXVKqBgfqoZnSdf\n"
    "6hrwVS4skWACH2dKzhBvWZSQ5NpqD3/KYFE/20G9RBeilHkzVFDs6NCn\n"
    "-----END PRIVATE KEY-----\n";
static const char ec2_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgTD70NCQlptDGCwCt\n"
    "v4zgBeB07313Dfe7CLcLYq5whfmhRANCAARq4d1OwTHcjFlXVIdUy88tx4PSwHmq\n"
    "4/SRnc3DkEvQH+4Ly2/PsU4YVzfuIXj38meczDeyabT4wsiYYXEa0DQE\n"
    "-----END PRIVATE KEY-----\n";

static EVP_PKEY *rsa1, *ec1, *ec2;
static gc_auth *plain;  /* no cache: every call verifies in full */
static gc_auth *cached; /* two cache slots: hits, misses and evictions on every run */
static char *rsa_public_pem; /* the RSA public key as PEM: the secret of an alg-confusion token */

/* Byte 0: bits 0-1 the mode; bit 2 signs with another key (HS256: another secret; RS256: an
 * HMAC keyed with the RSA public key, the classic confusion; ES256: ec2 rather than ec1). */
enum mode { RAW, HS256, RS256, ES256 };

static EVP_PKEY *load_key(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    CHECK(b);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    CHECK(k);
    return k;
}

static char *b64url(gc_arena *a, const void *data, size_t len)
{
    return gc_base64url_encode(a, data, len);
}

static char *bn_b64url(gc_arena *a, EVP_PKEY *k, const char *name)
{
    BIGNUM *bn = NULL;
    CHECK(EVP_PKEY_get_bn_param(k, name, &bn) == 1);
    unsigned char buf[512];
    bool coord = strcmp(name, OSSL_PKEY_PARAM_EC_PUB_X) == 0 || strcmp(name, OSSL_PKEY_PARAM_EC_PUB_Y) == 0;
    int n = BN_bn2binpad(bn, buf, coord ? 32 : BN_num_bytes(bn));
    CHECK(n > 0);
    BN_free(bn);
    return b64url(a, buf, (size_t)n);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    CHECK(f);
    CHECK(fwrite(text, 1, strlen(text), f) == strlen(text));
    CHECK(fclose(f) == 0);
}

/* The JWKS: rsa1, ec1 and ec2 by kid, and an encryption key that must be skipped. */
static void setup(void)
{
    rsa1 = load_key(rsa_pem);
    ec1 = load_key(ec1_pem);
    ec2 = load_key(ec2_pem);
    BIO *b = BIO_new(BIO_s_mem());
    CHECK(b && PEM_write_bio_PUBKEY(b, rsa1) == 1);
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    rsa_public_pem = strndup(p, (size_t)n);
    BIO_free(b);

    gc_arena *a = gc_arena_new();
    char *jwks = gc_arena_printf(
        a,
        "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"rsa1\",\"use\":\"sig\",\"n\":\"%s\",\"e\":\"%s\"},"
        "{\"kty\":\"EC\",\"kid\":\"ec1\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"},"
        "{\"kty\":\"EC\",\"kid\":\"ec2\",\"crv\":\"P-256\",\"alg\":\"ES256\",\"x\":\"%s\",\"y\":\"%s\"},"
        "{\"kty\":\"RSA\",\"kid\":\"enc\",\"use\":\"enc\",\"n\":\"%s\",\"e\":\"%s\"}]}",
        bn_b64url(a, rsa1, OSSL_PKEY_PARAM_RSA_N), bn_b64url(a, rsa1, OSSL_PKEY_PARAM_RSA_E),
        bn_b64url(a, ec1, OSSL_PKEY_PARAM_EC_PUB_X), bn_b64url(a, ec1, OSSL_PKEY_PARAM_EC_PUB_Y),
        bn_b64url(a, ec2, OSSL_PKEY_PARAM_EC_PUB_X), bn_b64url(a, ec2, OSSL_PKEY_PARAM_EC_PUB_Y),
        bn_b64url(a, rsa1, OSSL_PKEY_PARAM_RSA_N), bn_b64url(a, rsa1, OSSL_PKEY_PARAM_RSA_E));
    const char *tmp = getenv("TMPDIR");
    char *dir = gc_arena_printf(a, "%s/gc-fuzz-jwt-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    CHECK(mkdtemp(dir));
    char *secret_path = gc_arena_printf(a, "%s/secret", dir);
    char *jwks_path = gc_arena_printf(a, "%s/jwks.json", dir);
    write_file(secret_path, SECRET "\n");
    write_file(jwks_path, jwks);
    gc_err err = {0};
    gc_auth_config cfg = {.secret_file = secret_path, .jwks_file = jwks_path, .cache_entries = -1};
    if (gc_auth_open(&cfg, &plain, &err) < 0) {
        fprintf(stderr, "fuzz_jwt setup: %s\n", err.message);
        abort();
    }
    cfg.cache_entries = 2;
    CHECK(gc_auth_open(&cfg, &cached, &err) == 0);
    unlink(secret_path);
    unlink(jwks_path);
    rmdir(dir);
    gc_arena_free(a);
}

static char *hs_sig(gc_arena *a, const char *key, size_t key_len, const char *in)
{
    unsigned char mac[32];
    unsigned int n = 0;
    CHECK(HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)in, strlen(in), mac, &n));
    return b64url(a, mac, n);
}

/* RS256, or ES256 in JWS form (raw r||s). */
static char *pkey_sig(gc_arena *a, EVP_PKEY *k, bool ec, const char *in)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char sig[512];
    size_t n = sizeof sig;
    CHECK(md && EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, k, NULL) == 1);
    CHECK(EVP_DigestSign(md, sig, &n, (const unsigned char *)in, strlen(in)) == 1);
    EVP_MD_CTX_free(md);
    if (!ec)
        return b64url(a, sig, n);
    const unsigned char *p = sig;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
    CHECK(es);
    unsigned char raw[64];
    CHECK(BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32) == 32);
    CHECK(BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32) == 32);
    ECDSA_SIG_free(es);
    return b64url(a, raw, sizeof raw);
}

/* The Authorization value for the input; *trusted says whether it is signed by a configured
 * key in the way that key's alg requires (then *alg names it). */
static char *make_header(gc_arena *a, const uint8_t *data, size_t size, bool *trusted,
                         const char **alg, const char **hdr_text, const char **payload_text)
{
    uint8_t b = data[0];
    enum mode m = (enum mode)(b & 3);
    bool wrong = (b >> 2) & 1;
    char *text = gc_arena_strndup(a, (const char *)data + 1, size - 1);
    size_t len = size - 1; /* may hold NULs: strndup stops at the first */
    len = strnlen(text, len);
    *trusted = false;
    *alg = NULL;
    *hdr_text = *payload_text = NULL;
    if (m == RAW)
        return text;
    char *nl = memchr(text, '\n', len);
    const char *hdr = text, *payload = "";
    if (nl) {
        *nl = '\0';
        payload = nl + 1;
    }
    *hdr_text = hdr;
    *payload_text = payload;
    char *in = gc_arena_printf(a, "%s.%s", b64url(a, hdr, strlen(hdr)),
                               b64url(a, payload, strlen(payload)));
    const char *sig;
    switch (m) {
    case HS256:
        sig = wrong ? hs_sig(a, "not-the-secret", 14, in) : hs_sig(a, SECRET, strlen(SECRET), in);
        *trusted = !wrong;
        *alg = "HS256";
        break;
    case RS256:
        /* wrong: the classic confusion, HMAC keyed with the RSA public key */
        sig = wrong ? hs_sig(a, rsa_public_pem, strlen(rsa_public_pem), in) : pkey_sig(a, rsa1, false, in);
        *trusted = !wrong;
        *alg = "RS256";
        break;
    default:
        sig = pkey_sig(a, wrong ? ec2 : ec1, true, in);
        *trusted = true;
        *alg = "ES256";
        break;
    }
    return gc_arena_printf(a, "Bearer %s.%s", in, sig);
}

static bool printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

/* A refusal names what is wrong and holds no piece of the token of 20 bytes or more (shorter
 * pieces may be words of the fixed messages, e.g. "base64url-encoded"). */
static void check_refusal(const gc_err *err, const char *header)
{
    size_t len = strlen(err->message);
    CHECK(err->kind == GC_E_UNAUTHENTICATED);
    CHECK(len > 0 && err->message[len - 1] == '.' && printable(err->message));
    const char *tok = strchr(header, ' ');
    if (!tok)
        return;
    tok++;
    while (*tok) {
        size_t n = strcspn(tok, ". \t");
        if (n >= 20) {
            char *piece = strndup(tok, n);
            CHECK(piece && !strstr(err->message, piece));
            free(piece);
        }
        tok += n;
        if (*tok)
            tok++;
    }
}

/* An accepted token: a well-formed principal, and (when it was signed here) signed by the key
 * its alg names, with claims that really pass exp/nbf/tid. */
static void check_accepted(const gc_principal *p, bool signed_here, bool trusted, const char *alg,
                           const char *hdr_text, const char *payload_text)
{
    CHECK(strlen(p->tenant) == 36 && gc_guid_valid(p->tenant, 36));
    for (size_t i = 0; i < 36; i++)
        CHECK(p->tenant[i] < 'A' || p->tenant[i] > 'Z');
    CHECK(p->n_perms <= GC_AUTH_MAX_PERMS);
    for (size_t i = 0; i < p->n_perms; i++)
        CHECK(p->perms[i] && p->perms[i][0]);
    if (!signed_here)
        return;
    CHECK(trusted);
    json_t *h = json_loads(hdr_text, JSON_REJECT_DUPLICATES, NULL);
    json_t *c = json_loads(payload_text, JSON_REJECT_DUPLICATES, NULL);
    CHECK(h && c);
    CHECK(json_is_string(json_object_get(h, "alg")) &&
          strcmp(json_string_value(json_object_get(h, "alg")), alg) == 0);
    json_t *exp = json_object_get(c, "exp"), *nbf = json_object_get(c, "nbf");
    CHECK(json_is_number(exp) && json_number_value(exp) > (double)(NOW - SKEW));
    CHECK(!nbf || (json_is_number(nbf) && json_number_value(nbf) <= (double)(NOW + SKEW)));
    const char *tid = json_string_value(json_object_get(c, "tid"));
    CHECK(tid && strcasecmp(tid, p->tenant) == 0);
    json_decref(h);
    json_decref(c);
}

static void check_same(int r1, const gc_principal *p1, const gc_err *e1, int r2,
                       const gc_principal *p2, const gc_err *e2)
{
    CHECK(r1 == r2);
    if (r1 < 0) {
        CHECK(e1->kind == e2->kind && strcmp(e1->message, e2->message) == 0);
        return;
    }
    CHECK(strcmp(p1->tenant, p2->tenant) == 0 && p1->n_perms == p2->n_perms);
    for (size_t i = 0; i < p1->n_perms; i++)
        CHECK(strcmp(p1->perms[i], p2->perms[i]) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!plain)
        setup();
    if (size == 0)
        return 0;
    gc_arena *a = gc_arena_new();
    bool trusted;
    const char *alg, *hdr_text, *payload_text;
    const char *header = make_header(a, data, size, &trusted, &alg, &hdr_text, &payload_text);

    gc_principal p1, p2, p3;
    gc_err e1 = {0}, e2 = {0}, e3 = {0};
    int r1 = gc_auth_verify(plain, a, header, NOW, &p1, &e1);
    int r2 = gc_auth_verify(cached, a, header, NOW, &p2, &e2);
    int r3 = gc_auth_verify(cached, a, header, NOW, &p3, &e3); /* a hit when r2 was 0 */
    check_same(r1, &p1, &e1, r2, &p2, &e2);
    check_same(r1, &p1, &e1, r3, &p3, &e3);
    if (getenv("GC_FUZZ_PRINT")) /* for writing seeds: the value built and the verdict */
        printf("%s\n  -> %s\n", header, r1 == 0 ? "accepted" : e1.message);
    if (r1 == 0)
        check_accepted(&p1, hdr_text != NULL, trusted, alg, hdr_text, payload_text);
    else
        check_refusal(&e1, header);
    gc_arena_free(a);
    return 0;
}
