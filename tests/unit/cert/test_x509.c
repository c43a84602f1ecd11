/* Unit tests for src/cert/x509.c: certificates made here with OpenSSL (DER and PEM forms) and
 * one fixed certificate whose fields were read with the openssl command line; the Windows-style
 * DN (order, separators, keys, quoting, non-text values), CN choice, serial and date forms;
 * refusal of garbage, empty, truncated, trailing-byte, oversized and wrongly labelled input
 * without touching the OpenSSL error queue; and byte-flipped certificates parsed without harm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert/x509.h"

/* 2024-01-02T03:04:05Z and 2051-06-07T08:09:10Z as ticks (UTCTime and GeneralizedTime). */
#define NB_TEXT "20240102030405Z"
#define NB_TICKS INT64_C(638397614450000000)
#define NA_TEXT "20510607080910Z"
#define NA_TICKS INT64_C(647053349500000000)

/* Made with `openssl req -x509 -newkey ec -subj "/C=US/O=Contoso Ltd/CN=Contoso Code Signing"
 * -set_serial 0xC0FFEE01`; the expected values below are what `openssl x509 -serial -dates
 * -fingerprint -sha1` says about it. */
static const char fixed_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIB3zCCAYWgAwIBAgIFAMD/7gEwCgYIKoZIzj0EAwIwQjELMAkGA1UEBhMCVVMx\n"
    "FDASBgNVBAoMC0NvbnRvc28gTHRkMR0wGwYDVQQDDBRDb250b3NvIENvZGUgU2ln\n"
    "bmluZzAeFw0yNjExMjIwMDIxMzFaFw0zNjExMTkwMDIxMzFaMEIxCzAJBgNVBAYT\n"
    "AlVTMRQwEgYDVQQKDAtDb250b3NvIEx0ZDEdMBsGA1UEAwwUQ29udG9zbyBDb2Rl\n"
    "IFNpZ25pbmcwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATGxjFjckY9aG4W+/mE\n"
    "TdtFXzDV2JqzWlDL39rgWOFSgsi8mx6jLZoChL0vD3FoMDU6lpfqUVFKk3nd7gP4\n"
    "xDPlo2gwZjAdBgNVHQ4EFgQU3eSWmuLMhTBJoXI17j2YIYsBTQ0wHwYDVR0jBBgw\n"
    "FoAU3eSWmuLMhTBJoXI17j2YIYsBTQ0wDwYDVR0TAQH/BAUwAwEB/zATBgNVHSUE\n"
    "DDAKBggrBgEFBQcDAzAKBggqhkjOPQQDAgNIADBFAiEAsnmCVIn4jImcqYLUVzvB\n"
    "aC+GmjFGc5sN0md3/ZouOT4CIE94AoNLwRu9SE57/nfvascJMs+n+j2ThclOLDov\n"
    "+aKF\n"
    "-----END CERTIFICATE-----\n";
#define FIXED_THUMB "98d9138d2d3a448377086e5f40ab09cbfc2d98bf"
#define FIXED_NB INT64_C(639309036910000000) /* Nov 22 00:21:31 2026 GMT */
#define FIXED_NA INT64_C(642462636910000000) /* Nov 19 00:21:31 2036 GMT */

/* ---- making certificates ---- */

typedef struct attr {
    const char *field; /* short name or dotted OID */
    int type;          /* MBSTRING_UTF8, or an ASN.1 string type for raw bytes */
    const char *value;
    int len;           /* -1: strlen */
    int set;           /* 0: a new RDN; -1: joins the previous RDN */
} attr;

static EVP_PKEY *key;

static int setup(void **state)
{
    key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    return key ? 0 : -1;
}

static int clear_errors(void **state)
{
    ERR_clear_error();
    return 0;
}

static int teardown(void **state)
{
    EVP_PKEY_free(key);
    return 0;
}

static X509_NAME *make_name(const attr *attrs)
{
    X509_NAME *n = X509_NAME_new();
    assert_non_null(n);
    for (const attr *p = attrs; p->field; p++)
        assert_int_equal(X509_NAME_add_entry_by_txt(n, p->field, p->type,
                                                    (const unsigned char *)p->value, p->len, -1,
                                                    p->set),
                         1);
    return n;
}

static const attr contoso[] = {
    {"C", MBSTRING_UTF8, "US", -1, 0},
    {"O", MBSTRING_UTF8, "Contoso Ltd", -1, 0},
    {"CN", MBSTRING_UTF8, "Contoso Code Signing", -1, 0},
    {NULL, 0, NULL, 0, 0},
};

/* A certificate with the given subject and issuer (NULL: self-issued), serial (big-endian
 * magnitude bytes) and validity, signed with the test key. */
static X509 *make_cert(const attr *subject, const attr *issuer, const unsigned char *serial,
                       size_t serial_len, const char *not_before, const char *not_after)
{
    X509 *x = X509_new();
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
    BIGNUM *bn = BN_bin2bn(serial, (int)serial_len, NULL);
    assert_non_null(bn);
    assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
    BN_free(bn);
    X509_NAME *s = make_name(subject), *i = make_name(issuer ? issuer : subject);
    assert_int_equal(X509_set_subject_name(x, s), 1);
    assert_int_equal(X509_set_issuer_name(x, i), 1);
    X509_NAME_free(s);
    X509_NAME_free(i);
    assert_int_equal(ASN1_TIME_set_string_X509(X509_getm_notBefore(x), not_before), 1);
    assert_int_equal(ASN1_TIME_set_string_X509(X509_getm_notAfter(x), not_after), 1);
    assert_int_equal(X509_set_pubkey(x, key), 1);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    return x;
}

static unsigned char *der_of(X509 *x, size_t *len)
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    assert_true(n > 0);
    *len = (size_t)n;
    return der;
}

static char *pem_of(X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    assert_non_null(b);
    assert_int_equal(PEM_write_bio_X509(b, x), 1);
    char *p;
    long n = BIO_get_mem_data(b, &p);
    char *out = malloc((size_t)n + 1);
    assert_non_null(out);
    memcpy(out, p, (size_t)n);
    out[n] = '\0';
    BIO_free(b);
    return out;
}

static void sha1_hex(const unsigned char *d, size_t n, char out[41])
{
    unsigned char md[20];
    unsigned int md_len = 0;
    assert_int_equal(EVP_Digest(d, n, md, &md_len, EVP_sha1(), NULL), 1);
    assert_int_equal(md_len, 20);
    for (int i = 0; i < 20; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

#define REJECT_TEXT(s) expect_reject(s, sizeof(s) - 1)

static void expect_reject(const void *data, size_t len)
{
    gc_arena *a = gc_arena_new();
    gc_cert_info ci = {.subject = "untouched"};
    assert_int_equal(gc_cert_x509_parse(data, len, a, &ci), -1);
    assert_string_equal(ci.subject, "untouched");
    assert_int_equal(ERR_peek_error(), 0);
    gc_arena_free(a);
}

/* ---- accepted forms ---- */

static const unsigned char contoso_serial[] = {0x8a, 0x1b, 0x2c};

static void assert_contoso(const gc_cert_info *ci)
{
    assert_string_equal(ci->subject, "CN=Contoso Code Signing, O=Contoso Ltd, C=US");
    assert_string_equal(ci->subject_name, "Contoso Code Signing");
    assert_string_equal(ci->issuer, "CN=Contoso Code Signing, O=Contoso Ltd, C=US");
    assert_string_equal(ci->issuer_name, "Contoso Code Signing");
    assert_int_equal(ci->not_before, NB_TICKS);
    assert_int_equal(ci->not_after, NA_TICKS);
    assert_string_equal(ci->serial, "008A1B2C");
}

static void test_der(void **state)
{
    X509 *x = make_cert(contoso, NULL, contoso_serial, sizeof contoso_serial, NB_TEXT, NA_TEXT);
    size_t n;
    unsigned char *der = der_of(x, &n);
    char thumb[41];
    sha1_hex(der, n, thumb);

    gc_arena *a = gc_arena_new();
    gc_cert_info ci;
    assert_int_equal(gc_cert_x509_parse(der, n, a, &ci), 0);
    assert_contoso(&ci);
    assert_string_equal(ci.thumbprint, thumb);
    assert_int_equal(strlen(ci.thumbprint), 40);
    assert_int_equal(ERR_peek_error(), 0);
    gc_arena_free(a);
    OPENSSL_free(der);
    X509_free(x);
}

static void test_pem(void **state)
{
    X509 *x = make_cert(contoso, NULL, contoso_serial, sizeof contoso_serial, NB_TEXT, NA_TEXT);
    size_t n;
    unsigned char *der = der_of(x, &n);
    char thumb[41];
    sha1_hex(der, n, thumb);
    char *pem = pem_of(x);
    assert_memory_equal(pem, "-----BEGIN CERTIFICATE-----\n", 28);

    gc_arena *a = gc_arena_new();
    gc_cert_info ci;
    assert_int_equal(gc_cert_x509_parse((const unsigned char *)pem, strlen(pem), a, &ci), 0);
    assert_contoso(&ci);
    assert_string_equal(ci.thumbprint, thumb);

    /* CRLF line ends, text before the block, a second block after it */
    char *crlf = malloc(2 * strlen(pem) + 1);
    assert_non_null(crlf);
    size_t k = 0;
    for (const char *p = pem; *p; p++) {
        if (*p == '\n')
            crlf[k++] = '\r';
        crlf[k++] = *p;
    }
    crlf[k] = '\0';
    char *framed = gc_arena_printf(a, "Subject: Contoso\r\n%s%s", crlf, fixed_pem);
    gc_cert_info cf;
    assert_int_equal(gc_cert_x509_parse((const unsigned char *)framed, strlen(framed), a, &cf), 0);
    assert_contoso(&cf);
    assert_string_equal(cf.thumbprint, thumb);
    assert_int_equal(ERR_peek_error(), 0);

    free(crlf);
    gc_arena_free(a);
    free(pem);
    OPENSSL_free(der);
    X509_free(x);
}

static void test_fixed_certificate(void **state)
{
    gc_arena *a = gc_arena_new();
    gc_cert_info ci;
    assert_int_equal(gc_cert_x509_parse((const unsigned char *)fixed_pem, strlen(fixed_pem), a, &ci), 0);
    assert_string_equal(ci.subject, "CN=Contoso Code Signing, O=Contoso Ltd, C=US");
    assert_string_equal(ci.subject_name, "Contoso Code Signing");
    assert_string_equal(ci.issuer, "CN=Contoso Code Signing, O=Contoso Ltd, C=US");
    assert_string_equal(ci.issuer_name, "Contoso Code Signing");
    assert_int_equal(ci.not_before, FIXED_NB);
    assert_int_equal(ci.not_after, FIXED_NA);
    assert_string_equal(ci.thumbprint, FIXED_THUMB);
    assert_string_equal(ci.serial, "00C0FFEE01"); /* openssl says C0FFEE01; .NET keeps the 00 */
    gc_arena_free(a);
}

static void expect_names(const attr *subject, const attr *issuer, const char *want_subject,
                         const char *want_subject_name, const char *want_issuer,
                         const char *want_issuer_name)
{
    static const unsigned char one[] = {0x01};
    X509 *x = make_cert(subject, issuer, one, 1, NB_TEXT, NA_TEXT);
    size_t n;
    unsigned char *der = der_of(x, &n);
    gc_arena *a = gc_arena_new();
    gc_cert_info ci;
    assert_int_equal(gc_cert_x509_parse(der, n, a, &ci), 0);
    assert_string_equal(ci.subject, want_subject);
    assert_string_equal(ci.subject_name, want_subject_name);
    assert_string_equal(ci.issuer, want_issuer);
    assert_string_equal(ci.issuer_name, want_issuer_name);
    assert_string_equal(ci.serial, "01");
    gc_arena_free(a);
    OPENSSL_free(der);
    X509_free(x);
}

static void test_dn_keys_quoting_and_multivalued_rdns(void **state)
{
    static const attr subject[] = {
        {"C", MBSTRING_UTF8, "US", -1, 0},
        {"ST", MBSTRING_UTF8, "Washington", -1, 0},
        {"L", MBSTRING_UTF8, "Redmond", -1, 0},
        {"O", MBSTRING_UTF8, "Contoso, Ltd", -1, 0},
        {"OU", MBSTRING_UTF8, "Dev", -1, 0},
        {"OU", MBSTRING_UTF8, "Ops", -1, -1},
        {"CN", MBSTRING_UTF8, "Zo\xc3\xab \"Q\"", -1, 0},
        {"emailAddress", MBSTRING_ASC, "zoe@contoso.example", -1, 0},
        {"UID", MBSTRING_UTF8, "zoe", -1, 0},
        {"title", MBSTRING_UTF8, " padded", -1, 0},
        {"serialNumber", MBSTRING_ASC, "A1=2", -1, 0},
        {"DC", MBSTRING_ASC, "example", -1, 0},
        {NULL, 0, NULL, 0, 0},
    };
    static const attr issuer[] = {
        {"O", MBSTRING_UTF8, "Contoso Ltd", -1, 0},
        {"CN", MBSTRING_UTF8, "Contoso Root CA", -1, 0},
        {NULL, 0, NULL, 0, 0},
    };
    expect_names(subject, issuer,
                 "DC=example, SERIALNUMBER=\"A1=2\", T=\" padded\", OID.0.9.2342.19200300.100.1.1=zoe, "
                 "E=zoe@contoso.example, CN=\"Zo\xc3\xab \"\"Q\"\"\", OU=Dev + OU=Ops, "
                 "O=\"Contoso, Ltd\", L=Redmond, S=Washington, C=US",
                 "Zo\xc3\xab \"Q\"", "CN=Contoso Root CA, O=Contoso Ltd", "Contoso Root CA");
}

static void test_cn_choice(void **state)
{
    static const attr no_cn[] = {
        {"C", MBSTRING_UTF8, "US", -1, 0},
        {"O", MBSTRING_UTF8, "Contoso Ltd", -1, 0},
        {NULL, 0, NULL, 0, 0},
    };
    static const attr two_cns[] = {
        {"CN", MBSTRING_UTF8, "Outer", -1, 0},
        {"O", MBSTRING_UTF8, "Contoso Ltd", -1, 0},
        {"CN", MBSTRING_UTF8, "Inner", -1, 0},
        {NULL, 0, NULL, 0, 0},
    };
    static const attr empty_cn[] = {
        {"CN", V_ASN1_UTF8STRING, "", 0, 0},
        {NULL, 0, NULL, 0, 0},
    };
    static const attr empty[] = {{NULL, 0, NULL, 0, 0}};
    expect_names(no_cn, two_cns, "O=Contoso Ltd, C=US", "O=Contoso Ltd, C=US",
                 "CN=Inner, O=Contoso Ltd, CN=Outer", "Inner");
    expect_names(empty_cn, empty, "CN=\"\"", "", "", "");
}

/* OpenSSL itself refuses names whose text strings do not convert to UTF-8, so what is left to
 * show as hex is values of non-string types and text holding a NUL. */
static void test_values_that_are_not_text(void **state)
{
    static const attr subject[] = {
        {"1.2.3.4", V_ASN1_SEQUENCE, "\x30\x03\x02\x01\x05", 5, 0}, /* SEQUENCE { INTEGER 5 } */
        {"O", V_ASN1_T61STRING, "caf\xe9", 4, 0},                     /* Latin-1 "café" */
        {"OU", V_ASN1_BMPSTRING, "\x00" "A" "\x00\x00", 4, 0},         /* "A\0": a NUL inside */
        {"CN", V_ASN1_BMPSTRING, "\x00" "Z" "\x00\xeb", 4, 0},         /* "Zë" */
        {NULL, 0, NULL, 0, 0},
    };
    expect_names(subject, contoso,
                 "CN=Z\xc3\xab, OU=#00410000, O=caf\xc3\xa9, OID.1.2.3.4=#3003020105",
                 "Z\xc3\xab", "CN=Contoso Code Signing, O=Contoso Ltd, C=US",
                 "Contoso Code Signing");
}

static void test_serial_forms(void **state)
{
    static const struct {
        unsigned char bytes[8];
        size_t len;
        const char *want;
    } cases[] = {
        {{0x00}, 1, "00"},
        {{0x7f}, 1, "7F"},
        {{0x80}, 1, "0080"},
        {{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}, 8, "0102030405060708"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        X509 *x = make_cert(contoso, NULL, cases[i].bytes, cases[i].len, NB_TEXT, NA_TEXT);
        size_t n;
        unsigned char *der = der_of(x, &n);
        gc_arena *a = gc_arena_new();
        gc_cert_info ci;
        assert_int_equal(gc_cert_x509_parse(der, n, a, &ci), 0);
        assert_string_equal(ci.serial, cases[i].want);
        gc_arena_free(a);
        OPENSSL_free(der);
        X509_free(x);
    }
}

static void test_dates(void **state)
{
    /* both before 2050 (UTCTime) and an hour and second boundary */
    X509 *x = make_cert(contoso, NULL, contoso_serial, 3, "19991231235959Z", "20491231235959Z");
    size_t n;
    unsigned char *der = der_of(x, &n);
    gc_arena *a = gc_arena_new();
    gc_cert_info ci;
    assert_int_equal(gc_cert_x509_parse(der, n, a, &ci), 0);
    /* 1999-12-31T23:59:59Z and 2049-12-31T23:59:59Z */
    assert_int_equal(ci.not_before, INT64_C(630822815990000000));
    assert_int_equal(ci.not_after, INT64_C(646602047990000000));
    gc_arena_free(a);
    OPENSSL_free(der);
    X509_free(x);
}

/* ---- refused input ---- */

static void test_garbage_and_empty(void **state)
{
    expect_reject("", 0);
    expect_reject(NULL, 0);
    expect_reject("content", 7);
    expect_reject("\x30", 1);
    expect_reject("\x30\x00", 2);
    expect_reject("\x30\x80\x00\x00", 4);
    expect_reject("\x30\x84\xff\xff\xff\xff", 6);
    REJECT_TEXT("-----BEGIN CERTIFICATE-----\n");
    REJECT_TEXT("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    REJECT_TEXT("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
    static const unsigned char zeros[64];
    expect_reject(zeros, sizeof zeros);
}

static void test_truncated_and_trailing_der(void **state)
{
    X509 *x = make_cert(contoso, NULL, contoso_serial, 3, NB_TEXT, NA_TEXT);
    size_t n;
    unsigned char *der = der_of(x, &n);
    for (size_t len = 0; len < n; len++)
        expect_reject(der, len);
    unsigned char *longer = malloc(n + 1);
    assert_non_null(longer);
    memcpy(longer, der, n);
    longer[n] = 0;
    expect_reject(longer, n + 1);
    free(longer);
    OPENSSL_free(der);
    X509_free(x);
}

static void test_other_pem_labels(void **state)
{
    X509 *x = make_cert(contoso, NULL, contoso_serial, 3, NB_TEXT, NA_TEXT);
    char *pem = pem_of(x);
    gc_arena *a = gc_arena_new();
    /* the same body under other labels */
    const char *body = pem + strlen("-----BEGIN CERTIFICATE-----\n");
    size_t body_len = strlen(body) - strlen("-----END CERTIFICATE-----\n");
    static const char *const labels[] = {"PUBLIC KEY", "TRUSTED CERTIFICATE", "X509 CRL",
                                         "CERTIFICATE REQUEST", "PKCS7"};
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        char *other = gc_arena_printf(a, "-----BEGIN %s-----\n%.*s-----END %s-----\n", labels[i],
                                      (int)body_len, body, labels[i]);
        expect_reject(other, strlen(other));
    }
    /* a certificate after another kind of block is not looked for */
    char *after = gc_arena_printf(a, "-----BEGIN PUBLIC KEY-----\n%.*s-----END PUBLIC KEY-----\n%s",
                                  (int)body_len, body, pem);
    expect_reject(after, strlen(after));
    /* encryption headers */
    char *headers = gc_arena_printf(a, "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n"
                                       "DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n%s",
                                    body);
    expect_reject(headers, strlen(headers));
    gc_arena_free(a);
    free(pem);
    X509_free(x);
}

static void test_size_bound(void **state)
{
    X509 *x = make_cert(contoso, NULL, contoso_serial, 3, NB_TEXT, NA_TEXT);
    char *pem = pem_of(x);
    size_t n = strlen(pem);
    unsigned char *big = malloc(GC_CERT_MAX_INPUT + 1);
    assert_non_null(big);
    memcpy(big, pem, n);
    memset(big + n, '\n', GC_CERT_MAX_INPUT + 1 - n);
    gc_arena *a = gc_arena_new();
    gc_cert_info ci;
    assert_int_equal(gc_cert_x509_parse(big, GC_CERT_MAX_INPUT, a, &ci), 0);
    assert_string_equal(ci.subject_name, "Contoso Code Signing");
    expect_reject(big, GC_CERT_MAX_INPUT + 1);
    gc_arena_free(a);
    free(big);
    free(pem);
    X509_free(x);
}

static void test_error_queue_kept(void **state)
{
    ERR_raise_data(ERR_LIB_USER, 42, "the caller's own error");
    gc_arena *a = gc_arena_new();
    gc_cert_info ci;
    assert_int_equal(gc_cert_x509_parse((const unsigned char *)"\x30\x03\x02\x01", 4, a, &ci), -1);
    assert_int_equal(gc_cert_x509_parse((const unsigned char *)"junk", 4, a, &ci), -1);
    unsigned long e = ERR_get_error();
    assert_int_equal(ERR_GET_LIB(e), ERR_LIB_USER);
    assert_int_equal(ERR_GET_REASON(e), 42);
    assert_int_equal(ERR_get_error(), 0);
    gc_arena_free(a);
}

/* Every byte of a certificate changed in three ways: each parse either succeeds with strings
 * that are all set or fails cleanly (the sanitizers watch the rest). */
static void test_flipped_bytes(void **state)
{
    X509 *x = make_cert(contoso, NULL, contoso_serial, 3, NB_TEXT, NA_TEXT);
    size_t n;
    unsigned char *der = der_of(x, &n);
    unsigned char *m = malloc(n);
    assert_non_null(m);
    static const unsigned char masks[] = {0x01, 0x80, 0xff};
    int ok = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof masks; k++) {
            memcpy(m, der, n);
            m[i] ^= masks[k];
            gc_arena *a = gc_arena_new();
            gc_cert_info ci;
            if (gc_cert_x509_parse(m, n, a, &ci) == 0) {
                assert_non_null(ci.subject);
                assert_non_null(ci.subject_name);
                assert_non_null(ci.issuer);
                assert_non_null(ci.issuer_name);
                assert_int_equal(strlen(ci.thumbprint), 40);
                assert_non_null(ci.serial);
                ok++;
            }
            assert_int_equal(ERR_peek_error(), 0);
            gc_arena_free(a);
        }
    }
    assert_true(ok > 0); /* flips inside the signature still parse */
    free(m);
    OPENSSL_free(der);
    X509_free(x);
}


/* ---- gc_cert_x509_read: verdicts, reasons, extended key usage ---- */

static gc_cert_verdict read_verdict(const void *data, size_t len, gc_arena *a, gc_cert_info *ci,
                                    char *why)
{
    gc_cert_verdict v = gc_cert_x509_read(data, len, a, ci, why, 200);
    assert_int_equal(ERR_peek_error(), 0);
    return v;
}

static void test_read_verdicts(void **state)
{
    X509 *x = make_cert(contoso, NULL, contoso_serial, sizeof contoso_serial, NB_TEXT, NA_TEXT);
    size_t n;
    unsigned char *der = der_of(x, &n);
    char *pem = pem_of(x);
    gc_arena *a = gc_arena_new();
    gc_cert_info ci;
    char why[200];

    assert_int_equal(read_verdict(der, n, a, &ci, why), GC_CERT_OK);
    assert_string_equal(why, "");
    assert_false(ci.has_eku);
    assert_int_equal(read_verdict(pem, strlen(pem), a, &ci, why), GC_CERT_OK);
    /* not certificate-looking: opaque, no reason */
    static const char *const opaque[] = {"content", "0abc", "0", "----- no armour -----", ""};
    for (size_t i = 0; i < sizeof opaque / sizeof opaque[0]; i++) {
        assert_int_equal(read_verdict(opaque[i], strlen(opaque[i]), a, &ci, why), GC_CERT_NOT_CERT);
        assert_string_equal(why, "");
    }
    /* certificate-looking and broken: a reason */
    assert_int_equal(read_verdict(der, n - 1, a, &ci, why), GC_CERT_BROKEN);
    assert_true(strncmp(why, "DER: ", 5) == 0);
    unsigned char *longer = malloc(n + 2);
    assert_non_null(longer);
    memcpy(longer, der, n);
    longer[n] = longer[n + 1] = 0;
    assert_int_equal(read_verdict(longer, n + 2, a, &ci, why), GC_CERT_BROKEN);
    assert_string_equal(why, "DER: 2 bytes follow the certificate");
    assert_int_equal(read_verdict("\x30\x03\x02\x01\x05", 5, a, &ci, why), GC_CERT_BROKEN);
    assert_string_equal(why, "DER: wrong tag (Type=X509_CINF)");
    static const char key_pem[] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    assert_int_equal(read_verdict(key_pem, sizeof key_pem - 1, a, &ci, why), GC_CERT_BROKEN);
    assert_string_equal(why, "PEM: the first block is labelled 'PRIVATE KEY', not 'CERTIFICATE'");
    assert_int_equal(read_verdict(pem, strlen(pem) - 20, a, &ci, why), GC_CERT_BROKEN);
    assert_string_equal(why, "PEM: bad end line");
    /* a caller's own error stays on the queue, alone */
    ERR_raise_data(ERR_LIB_USER, 7, "mine");
    assert_int_equal(gc_cert_x509_read(der, n - 1, a, &ci, why, sizeof why), GC_CERT_BROKEN);
    assert_true(strncmp(why, "DER: ", 5) == 0);
    assert_int_equal(ERR_GET_REASON(ERR_get_error()), 7);
    assert_int_equal(ERR_get_error(), 0);
    /* a short reason buffer truncates */
    char tiny[8];
    assert_int_equal(gc_cert_x509_read(longer, n + 2, a, &ci, tiny, sizeof tiny), GC_CERT_BROKEN);
    assert_string_equal(tiny, "DER: 2 ");
    free(longer);
    gc_arena_free(a);
    free(pem);
    OPENSSL_free(der);
    X509_free(x);
}

static X509 *cert_with_eku(const char *eku)
{
    X509 *x = make_cert(contoso, NULL, contoso_serial, sizeof contoso_serial, NB_TEXT, NA_TEXT);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_ext_key_usage, eku);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    return x;
}

static void test_read_eku(void **state)
{
    static const struct {
        const char *conf, *listed;
        bool code_signing;
    } cases[] = {
        {"codeSigning", "codeSigning", true},
        {"serverAuth,clientAuth", "serverAuth, clientAuth", false},
        {"anyExtendedKeyUsage", "anyExtendedKeyUsage", true},
        {"emailProtection,codeSigning", "emailProtection, codeSigning", true},
        {"1.2.3.4.5", "1.2.3.4.5", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        X509 *x = cert_with_eku(cases[i].conf);
        size_t n;
        unsigned char *der = der_of(x, &n);
        gc_arena *a = gc_arena_new();
        gc_cert_info ci;
        char why[200];
        assert_int_equal(read_verdict(der, n, a, &ci, why), GC_CERT_OK);
        assert_true(ci.has_eku);
        assert_string_equal(ci.eku, cases[i].listed);
        assert_int_equal(ci.eku_code_signing, cases[i].code_signing);
        gc_arena_free(a);
        OPENSSL_free(der);
        X509_free(x);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_der, clear_errors),
        cmocka_unit_test_setup(test_pem, clear_errors),
        cmocka_unit_test_setup(test_fixed_certificate, clear_errors),
        cmocka_unit_test_setup(test_dn_keys_quoting_and_multivalued_rdns, clear_errors),
        cmocka_unit_test_setup(test_cn_choice, clear_errors),
        cmocka_unit_test_setup(test_values_that_are_not_text, clear_errors),
        cmocka_unit_test_setup(test_serial_forms, clear_errors),
        cmocka_unit_test_setup(test_dates, clear_errors),
        cmocka_unit_test_setup(test_garbage_and_empty, clear_errors),
        cmocka_unit_test_setup(test_truncated_and_trailing_der, clear_errors),
        cmocka_unit_test_setup(test_other_pem_labels, clear_errors),
        cmocka_unit_test_setup(test_size_bound, clear_errors),
        cmocka_unit_test_setup(test_error_queue_kept, clear_errors),
        cmocka_unit_test_setup(test_flipped_bytes, clear_errors),
        cmocka_unit_test_setup(test_read_verdicts, clear_errors),
        cmocka_unit_test_setup(test_read_eku, clear_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
