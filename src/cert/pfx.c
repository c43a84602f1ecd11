/* PKCS#12 reading, RSA key pairs and RSA-OAEP for the PFX import tool (see pfx.h). Every
 * OpenSSL object is freed before returning and the thread's error queue is left empty; error
 * messages carry OpenSSL's reason, never a password or key bytes. */
#include "cert/pfx.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "cert/x509.h"

/* ---- errors ---- */

/* The oldest OpenSSL reason on the queue (the root cause: the queue is emptied before each
 * operation), with its detail when it has one, or fallback; then the queue is emptied. */
static const char *take_reason(char *buf, size_t cap, const char *fallback)
{
    const char *data = NULL;
    int flags = 0;
    unsigned long e = ERR_peek_error_all(NULL, NULL, NULL, &data, &flags);
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    if (r && (flags & ERR_TXT_STRING) && data && *data)
        snprintf(buf, cap, "%s (%s)", r, data);
    else
        snprintf(buf, cap, "%s", r ? r : fallback);
    ERR_clear_error();
    return buf;
}
#define REASON(fallback) take_reason(reason_buf, sizeof reason_buf, fallback)

/* ---- providers ---- */

static pthread_once_t providers_once = PTHREAD_ONCE_INIT;
static OSSL_PROVIDER *legacy, *deflt;
static bool legacy_loaded;

static void unload_providers(void)
{
    if (legacy)
        OSSL_PROVIDER_unload(legacy);
    if (deflt)
        OSSL_PROVIDER_unload(deflt);
    legacy = deflt = NULL;
}

/* Loading any provider explicitly stops the default one from loading by itself, so both are
 * loaded; the legacy provider brings RC2, RC4, 40-bit and DES-based PBEs of older PFX files.
 * They are unloaded at exit (before OpenSSL's own cleanup, registered earlier). */
static void load_providers(void)
{
    legacy = OSSL_PROVIDER_load(NULL, "legacy");
    deflt = OSSL_PROVIDER_load(NULL, "default");
    legacy_loaded = legacy != NULL;
    atexit(unload_providers);
    ERR_clear_error();
}

/* ---- PKCS#12 ---- */

/* PKCS12_verify_mac fails without an error of its own when the MAC does not match. */
static bool mac_wrong_password(void)
{
    unsigned long e = ERR_peek_last_error();
    return e == 0 ||
           (ERR_GET_LIB(e) == ERR_LIB_PKCS12 && ERR_GET_REASON(e) == PKCS12_R_MAC_VERIFY_FAILURE);
}

int gc_cert_pfx_read(const unsigned char *data, size_t len, const char *password, gc_arena *a,
                     gc_pfx_info *out, gc_err *err)
{
    char reason_buf[256];
    int rc = -1;
    PKCS12 *p12 = NULL;
    EVP_PKEY *pkey = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *ca = NULL;
    unsigned char *der = NULL;
    pthread_once(&providers_once, load_providers);
    ERR_clear_error();

    if (len == 0 || len > GC_PFX_MAX_FILE) {
        gc_err_set(err, GC_E_BAD_REQUEST, "pfx", "not a PFX (PKCS#12) file: %s",
                   len ? "larger than 1 MiB" : "the file is empty");
        goto done;
    }
    const unsigned char *p = data;
    p12 = d2i_PKCS12(NULL, &p, (long)len);
    if (!p12) {
        gc_err_set(err, GC_E_BAD_REQUEST, "pfx", "not a PFX (PKCS#12) file: %s",
                   REASON("it does not parse"));
        goto done;
    }
    /* OpenSSL 3.0's PKCS12_parse needs the MAC, and the MAC is what tells a wrong password */
    if (!PKCS12_mac_present(p12)) {
        gc_err_set(err, GC_E_BAD_REQUEST, "pfx",
                   "the PFX has no integrity check (MAC); export it again with one (Windows "
                   "always adds it; openssl pkcs12 -export does unless given -nomac)");
        goto done;
    }
    const char *pass = password;
    if (!PKCS12_verify_mac(p12, pass, -1)) {
        /* an empty password may have been encoded as none at all */
        if (*pass == '\0' && (ERR_clear_error(), PKCS12_verify_mac(p12, NULL, 0))) {
            pass = NULL;
        } else if (mac_wrong_password()) {
            ERR_clear_error();
            gc_err_set(err, GC_E_BAD_REQUEST, "password",
                       "wrong password: the PFX's integrity check (MAC) fails with it");
            goto done;
        } else {
            gc_err_set(err, GC_E_BAD_REQUEST, "pfx", "cannot check the PFX's integrity: %s",
                       REASON("unknown MAC algorithm"));
            goto done;
        }
    }
    ERR_clear_error();
    if (!PKCS12_parse(p12, pass, &pkey, &cert, &ca)) {
        const char *r = REASON("it does not decrypt");
        gc_err_set(err, GC_E_BAD_REQUEST, "pfx", "cannot open the PFX: %s%s", r,
                   legacy_loaded ? "" : "; OpenSSL's legacy provider (RC2, 3DES) is not available");
        goto done;
    }
    if (!pkey) {
        gc_err_set(err, GC_E_BAD_REQUEST, "pfx", "the PFX holds no private key");
        goto done;
    }
    if (!cert || X509_check_private_key(cert, pkey) != 1) {
        ERR_clear_error();
        gc_err_set(err, GC_E_BAD_REQUEST, "pfx",
                   "no certificate in the PFX matches its private key (%d other certificates)",
                   ca ? sk_X509_num(ca) : 0);
        goto done;
    }
    int n = i2d_X509(cert, &der);
    gc_cert_info ci;
    if (n <= 0 || gc_cert_x509_parse(der, (size_t)n, a, &ci) < 0) {
        gc_err_set(err, GC_E_BAD_REQUEST, "pfx", "the PFX's certificate cannot be read");
        goto done;
    }
    out->thumbprint = ci.thumbprint;
    out->not_before = ci.not_before;
    out->not_after = ci.not_after;
    out->subject = ci.subject;
    rc = 0;
done:
    OPENSSL_free(der);
    X509_free(cert);
    sk_X509_pop_free(ca, X509_free);
    EVP_PKEY_free(pkey);
    PKCS12_free(p12);
    ERR_clear_error();
    return rc;
}

/* ---- RSA keys ---- */

static char *bio_text(BIO *bio, size_t *len)
{
    char *mem = NULL;
    long n = BIO_get_mem_data(bio, &mem);
    if (n <= 0)
        return NULL;
    char *copy = malloc((size_t)n + 1);
    if (!copy)
        return NULL;
    memcpy(copy, mem, (size_t)n);
    copy[n] = '\0';
    *len = (size_t)n;
    return copy;
}

int gc_cert_rsa_keygen(int bits, char **private_pem, size_t *private_len, char **public_pem,
                       size_t *public_len, gc_err *err)
{
    char reason_buf[256];
    int rc = -1;
    EVP_PKEY *key = NULL;
    BIO *priv = NULL, *pub = NULL;
    *private_pem = *public_pem = NULL;
    if (bits != 2048 && bits != 3072 && bits != 4096) {
        gc_err_set(err, GC_E_BAD_REQUEST, "bits", "key size must be 2048, 3072 or 4096 bits");
        goto done;
    }
    key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
    priv = BIO_new(BIO_s_secmem());
    pub = BIO_new(BIO_s_mem());
    if (!key || !priv || !pub ||
        PEM_write_bio_PrivateKey(priv, key, NULL, NULL, 0, NULL, NULL) != 1 ||
        PEM_write_bio_PUBKEY(pub, key) != 1 || !(*private_pem = bio_text(priv, private_len)) ||
        !(*public_pem = bio_text(pub, public_len))) {
        gc_err_set(err, GC_E_INTERNAL, "bits", "cannot make the RSA key pair: %s",
                   REASON("out of memory"));
        goto done;
    }
    rc = 0;
done:
    if (rc < 0 && *private_pem) {
        explicit_bzero(*private_pem, *private_len);
        free(*private_pem);
        *private_pem = NULL;
    }
    BIO_free(priv);
    BIO_free(pub);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return rc;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A Windows CNG BCRYPT_RSAPUBLIC_BLOB: "RSA1", bit length, public exponent size, modulus size,
 * two zero prime sizes (little-endian 32-bit each), then exponent and modulus (big-endian).
 * NULL when data is not one. */
static EVP_PKEY *from_rsapublicblob(const unsigned char *data, size_t len)
{
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    BIGNUM *n = NULL, *e = NULL;
    if (len < 24 || memcmp(data, "RSA1", 4) != 0)
        goto done;
    uint32_t bits = le32(data + 4), elen = le32(data + 8), nlen = le32(data + 12);
    if (elen == 0 || elen > 8 || nlen == 0 || nlen > 2048 || le32(data + 16) != 0 ||
        le32(data + 20) != 0 || (size_t)24 + elen + nlen != len || bits > 8 * nlen)
        goto done;
    e = BN_bin2bn(data + 24, (int)elen, NULL);
    n = BN_bin2bn(data + 24 + elen, (int)nlen, NULL);
    bld = OSSL_PARAM_BLD_new();
    if (!e || !n || !bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
        !(params = OSSL_PARAM_BLD_to_param(bld)))
        goto done;
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
        key = NULL;
done:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return key;
}

/* An RSA key from PEM or DER in any encoding OpenSSL's decoders know (selection: public key or
 * key pair). Encrypted private keys are refused (no passphrase callback: nothing prompts). */
static EVP_PKEY *decode_key(const unsigned char *data, size_t len, int selection, gc_err *err)
{
    EVP_PKEY *key = NULL;
    OSSL_DECODER_CTX *dctx =
        OSSL_DECODER_CTX_new_for_pkey(&key, NULL, NULL, "RSA", selection, NULL, NULL);
    const unsigned char *p = data;
    size_t left = len;
    if (!dctx || OSSL_DECODER_from_data(dctx, &p, &left) != 1)
        key = NULL;
    OSSL_DECODER_CTX_free(dctx);
    if (!key && selection == EVP_PKEY_PUBLIC_KEY)
        key = from_rsapublicblob(data, len);
    ERR_clear_error();
    if (!key)
        gc_err_set(err, GC_E_BAD_REQUEST, "key", "%s",
                   selection == EVP_PKEY_PUBLIC_KEY
                       ? "not an RSA public key (PEM or DER, SubjectPublicKeyInfo or PKCS#1, "
                         "or a CNG RSAPUBLICBLOB)"
                       : "not an unencrypted RSA private key (PEM or DER, PKCS#8 or PKCS#1)");
    return key;
}

static const EVP_MD *oaep_md(int sha_bits)
{
    switch (sha_bits) {
    case 256: return EVP_sha256();
    case 384: return EVP_sha384();
    case 512: return EVP_sha512();
    }
    return NULL;
}

/* One OAEP operation: encrypt (public key) or decrypt (private key). */
static int oaep(bool encrypt, const unsigned char *key_data, size_t key_len, int sha_bits,
                const unsigned char *data, size_t len, gc_arena *a, unsigned char **out,
                size_t *out_len, gc_err *err)
{
    char reason_buf[256];
    int rc = -1;
    EVP_PKEY_CTX *ctx = NULL;
    unsigned char *buf = NULL;
    size_t cap = 0;
    const EVP_MD *md = oaep_md(sha_bits);
    EVP_PKEY *key = decode_key(key_data, key_len,
                               encrypt ? EVP_PKEY_PUBLIC_KEY : EVP_PKEY_KEYPAIR, err);
    if (!key)
        goto done;
    if (!md) {
        gc_err_set(err, GC_E_BAD_REQUEST, "padding", "OAEP hash must be SHA-256, -384 or -512");
        goto done;
    }
    size_t k = (size_t)EVP_PKEY_get_size(key), h = (size_t)EVP_MD_get_size(md);
    if (encrypt && (k < 2 * h + 2 || len > k - 2 * h - 2)) {
        gc_err_set(err, GC_E_BAD_REQUEST, "password",
                   "the password is %zu bytes; a %zu-bit key with OAEP SHA-%d takes at most %zu",
                   len, 8 * k, sha_bits, k < 2 * h + 2 ? (size_t)0 : k - 2 * h - 2);
        goto done;
    }
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    int init = !ctx ? 0 : encrypt ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx);
    if (init != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1) {
        gc_err_set(err, GC_E_INTERNAL, "key", "cannot set up RSA-OAEP: %s",
                   REASON("unknown error"));
        goto done;
    }
    cap = k + 1;
    buf = gc_arena_alloc(a, cap);
    size_t n = k;
    int ok = encrypt ? EVP_PKEY_encrypt(ctx, buf, &n, data, len)
                     : EVP_PKEY_decrypt(ctx, buf, &n, data, len);
    if (ok != 1) {
        gc_err_set(err, GC_E_BAD_REQUEST, "key", "RSA-OAEP %s failed: %s",
                   encrypt ? "encryption" : "decryption",
                   REASON(encrypt ? "unknown error" : "wrong key or padding"));
        explicit_bzero(buf, cap);
        goto done;
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    rc = 0;
done:
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return rc;
}

int gc_cert_oaep_encrypt(const unsigned char *key, size_t key_len, int sha_bits,
                         const unsigned char *data, size_t len, gc_arena *a, unsigned char **out,
                         size_t *out_len, gc_err *err)
{
    return oaep(true, key, key_len, sha_bits, data, len, a, out, out_len, err);
}

int gc_cert_oaep_decrypt(const unsigned char *key, size_t key_len, int sha_bits,
                         const unsigned char *data, size_t len, gc_arena *a, unsigned char **out,
                         size_t *out_len, gc_err *err)
{
    return oaep(false, key, key_len, sha_bits, data, len, a, out, out_len, err);
}
