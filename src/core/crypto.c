/* The cryptographic primitives core offers the other layers: HMAC-SHA-256, SHA-1, random bytes
 * and a constant-time comparison. The only file of core that uses OpenSSL. */
#include "core/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gc_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                    unsigned char out[32])
{
    unsigned int n = 32;
    if (!HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n)) {
        fputs("graphcerts: HMAC failed\n", stderr);
        abort();
    }
}

void gc_random_bytes(unsigned char *out, size_t n)
{
    if (RAND_bytes(out, (int)n) != 1) {
        fputs("graphcerts: RAND_bytes failed\n", stderr);
        abort();
    }
}

bool gc_equal_const_time(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    uint64_t diff = 0, u, v;
    size_t i = 0;
    for (; n - i >= 8; i += 8) {
        memcpy(&u, x + i, 8);
        memcpy(&v, y + i, 8);
        diff |= u ^ v;
    }
    for (; i < n; i++)
        diff |= (uint64_t)(x[i] ^ y[i]);
    return diff == 0;
}


int gc_sha1_2(const void *a, size_t a_len, const void *b, size_t b_len,
              unsigned char out[GC_SHA1_LEN])
{
    int rc = -1;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 ||
        (a_len > 0 && EVP_DigestUpdate(ctx, a, a_len) != 1) ||
        (b_len > 0 && EVP_DigestUpdate(ctx, b, b_len) != 1) ||
        EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != GC_SHA1_LEN)
        goto done;
    memcpy(out, md, GC_SHA1_LEN);
    rc = 0;
done:
    EVP_MD_CTX_free(ctx);
    return rc;
}
