/* What the PFX import tool needs from OpenSSL: opening a PKCS#12 (PFX) file with its password
 * (modern AES files and legacy RC2/3DES ones), the customer's RSA key pair, and RSA-OAEP
 * encryption of the PFX password to that key and back. Callers see bytes, strings and ticks;
 * no OpenSSL type leaves src/cert. Errors fill a gc_err whose message never holds a secret. */
#ifndef GC_CERT_PFX_H
#define GC_CERT_PFX_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

/* PFX files larger than this are refused before parsing. */
#define GC_PFX_MAX_FILE ((size_t)1 << 20)

typedef struct gc_pfx_info {
    const char *thumbprint;       /* SHA-1 of the certificate's DER, 40 lower-case hex digits */
    int64_t not_before, not_after; /* validity as ticks (100 ns since 0001-01-01T00:00:00Z) */
    const char *subject;          /* the subject DN as Windows shows it (x509.h) */
} gc_pfx_info;

/* Opens the PFX in data[0..len) with password (UTF-8, NUL-terminated) and describes the
 * certificate that matches its private key. Loads OpenSSL's legacy provider once (beside the
 * default one) so RC2 and 3DES files open too. Fails (-1, err kind GC_E_BAD_REQUEST) when the
 * data is not a PKCS#12 file, the password is wrong, the file holds no private key or no
 * certificate matching it, or it uses an algorithm this OpenSSL cannot run. Strings live in a. */
int gc_cert_pfx_read(const unsigned char *data, size_t len, const char *password, gc_arena *a,
                     gc_pfx_info *out, gc_err *err);

/* A new RSA key pair of bits (2048, 3072 or 4096): *private_pem gets the private key as
 * unencrypted PKCS#8 PEM, *public_pem the public key as SubjectPublicKeyInfo PEM. Both are
 * malloc'd and owned by the caller, who zeroes the private one (explicit_bzero) before free. */
int gc_cert_rsa_keygen(int bits, char **private_pem, size_t *private_len, char **public_pem,
                       size_t *public_len, gc_err *err);

/* RSA-OAEP with SHA-sha_bits (256, 384 or 512) as both the OAEP hash and the MGF1 hash and an
 * empty label: what Windows' RSACng does for RSAEncryptionPadding.CreateOaep(SHAnnn).
 * gc_cert_oaep_encrypt takes a public key: PEM or DER, SubjectPublicKeyInfo or PKCS#1, or a
 * Windows CNG RSAPUBLICBLOB (what Microsoft's Export-IntunePublicKey writes).
 * gc_cert_oaep_decrypt takes an unencrypted private key, PEM or DER (PKCS#8 or PKCS#1).
 * The result is in the arena (for decryption the caller zeroes it when done; it is followed by
 * a NUL not counted in *out_len). */
int gc_cert_oaep_encrypt(const unsigned char *key, size_t key_len, int sha_bits,
                         const unsigned char *data, size_t len, gc_arena *a, unsigned char **out,
                         size_t *out_len, gc_err *err);
int gc_cert_oaep_decrypt(const unsigned char *key, size_t key_len, int sha_bits,
                         const unsigned char *data, size_t len, gc_arena *a, unsigned char **out,
                         size_t *out_len, gc_err *err);

#endif
