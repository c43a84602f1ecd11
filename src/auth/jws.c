/* JWS signature checks with OpenSSL 3: HS256 (HMAC-SHA-256, constant-time compare), RS256
 * (RSASSA-PKCS1-v1_5 with SHA-256) and ES256 (ECDSA P-256 with SHA-256, whose JWS form is the
 * raw 64-byte r||s, turned into DER for OpenSSL). Every call makes its own contexts, so the
 * shared keys are only read. */
#include "auth/auth_int.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>

#include <stdlib.h>

#define ES256_COORD 32

int gc_auth_hs256_sign(const unsigned char *key, size_t key_len, const unsigned char *msg,
                       size_t msg_len, unsigned char out[32])
{
    unsigned int out_len = 0;
    if (key_len > (size_t)INT32_MAX)
        return -1;
    if (!HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, out, &out_len) || out_len != 32)
        return -1;
    return 0;
}

bool gc_auth_hs256_ok(const unsigned char *key, size_t key_len, const unsigned char *msg,
                      size_t msg_len, const unsigned char *sig, size_t sig_len)
{
    unsigned char mac[32];
    if (sig_len != sizeof mac || gc_auth_hs256_sign(key, key_len, msg, msg_len, mac) < 0)
        return false;
    bool ok = CRYPTO_memcmp(mac, sig, sizeof mac) == 0;
    OPENSSL_cleanse(mac, sizeof mac);
    return ok;
}

/* Raw r||s (32 bytes each) to a DER ECDSA-Sig-Value; malloc'd by OpenSSL (free with
 * OPENSSL_free). */
static int es256_to_der(const unsigned char *sig, unsigned char **der, int *der_len)
{
    int result = -1;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, ES256_COORD, NULL);
    BIGNUM *s = BN_bin2bn(sig + ES256_COORD, ES256_COORD, NULL);
    if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s))
        goto done;
    r = s = NULL; /* owned by es now */
    *der = NULL;
    *der_len = i2d_ECDSA_SIG(es, der);
    if (*der_len <= 0)
        goto done;
    result = 0;
done:
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return result;
}

bool gc_auth_pkey_ok(EVP_PKEY *pkey, gc_jwk_type type, const unsigned char *msg, size_t msg_len,
                     const unsigned char *sig, size_t sig_len)
{
    bool ok = false;
    EVP_MD_CTX *md = NULL;
    unsigned char *der = NULL;
    const unsigned char *check = sig;
    size_t check_len = sig_len;
    if (type == GC_JWK_EC) {
        int der_len = 0;
        if (sig_len != 2 * ES256_COORD || es256_to_der(sig, &der, &der_len) < 0)
            goto done;
        check = der;
        check_len = (size_t)der_len;
    } else {
        int size = EVP_PKEY_get_size(pkey);
        if (size <= 0 || sig_len != (size_t)size)
            goto done;
    }
    md = EVP_MD_CTX_new();
    if (!md || EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, pkey, NULL) != 1)
        goto done;
    /* RSA keys default to PKCS#1 v1.5 padding, which is what RS256 means. */
    ok = EVP_DigestVerify(md, check, check_len, msg, msg_len) == 1;
done:
    if (!ok)
        ERR_clear_error(); /* the queue is per thread; leave nothing behind for a later call */
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    return ok;
}
