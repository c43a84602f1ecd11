/* The OpenSSL side of gc_tls (see tls.h): server contexts and non-blocking connections. */
#include "cert/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>

struct gc_tls_ctx {
    SSL_CTX *ssl;
};

struct gc_tls_conn {
    SSL *ssl;
};

static void openssl_reason(char *out, size_t n)
{
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, out, n);
    else
        snprintf(out, n, "unknown error");
    ERR_clear_error();
}

int gc_tls_ctx_new(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                   gc_tls_ctx **out, gc_err *err)
{
    int result = -1;
    char why[256];
    BIO *cb = NULL, *kb = NULL;
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    gc_tls_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return gc_err_set(err, GC_E_INTERNAL, "", "Out of memory.");
    ctx->ssl = SSL_CTX_new(TLS_server_method());
    if (!ctx->ssl) {
        openssl_reason(why, sizeof why);
        gc_err_set(err, GC_E_INTERNAL, "tls", "cannot make a TLS context: %s", why);
        goto done;
    }
    SSL_CTX_set_min_proto_version(ctx->ssl, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                   SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(ctx->ssl, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    cb = BIO_new_mem_buf(cert_pem, (int)cert_len);
    kb = BIO_new_mem_buf(key_pem, (int)key_len);
    cert = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    if (!cert) {
        openssl_reason(why, sizeof why);
        gc_err_set(err, GC_E_INTERNAL, "tls_cert_file", "the TLS certificate is not PEM: %s", why);
        goto done;
    }
    key = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    if (!key) {
        openssl_reason(why, sizeof why);
        gc_err_set(err, GC_E_INTERNAL, "tls_key_file", "the TLS key is not a PEM private key: %s", why);
        goto done;
    }
    if (SSL_CTX_use_certificate(ctx->ssl, cert) != 1 || SSL_CTX_use_PrivateKey(ctx->ssl, key) != 1 ||
        SSL_CTX_check_private_key(ctx->ssl) != 1) {
        openssl_reason(why, sizeof why);
        gc_err_set(err, GC_E_INTERNAL, "tls_key_file",
                   "the TLS key does not match the certificate: %s", why);
        goto done;
    }
    /* the rest of a chain, when the file holds one */
    X509 *extra;
    while ((extra = PEM_read_bio_X509(cb, NULL, NULL, NULL)) != NULL)
        if (SSL_CTX_add_extra_chain_cert(ctx->ssl, extra) != 1)
            X509_free(extra);
    ERR_clear_error();
    *out = ctx;
    ctx = NULL;
    result = 0;
done:
    X509_free(cert);
    EVP_PKEY_free(key);
    BIO_free(cb);
    BIO_free(kb);
    gc_tls_ctx_free(ctx);
    return result;
}

void gc_tls_ctx_free(gc_tls_ctx *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->ssl);
    free(ctx);
}

gc_tls_conn *gc_tls_conn_new(gc_tls_ctx *ctx, int fd)
{
    gc_tls_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->ssl = SSL_new(ctx->ssl);
    if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
        SSL_free(c->ssl);
        free(c);
        ERR_clear_error();
        return NULL;
    }
    SSL_set_accept_state(c->ssl);
    return c;
}

static ssize_t outcome(gc_tls_conn *c, int r)
{
    int e = SSL_get_error(c->ssl, r);
    ERR_clear_error();
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return GC_TLS_AGAIN;
    if (e == SSL_ERROR_ZERO_RETURN)
        return 0;
    return GC_TLS_ERROR;
}

ssize_t gc_tls_read(gc_tls_conn *c, void *buf, size_t n)
{
    size_t got = 0;
    int r = SSL_read_ex(c->ssl, buf, n, &got);
    return r == 1 ? (ssize_t)got : outcome(c, r);
}

ssize_t gc_tls_write(gc_tls_conn *c, const void *buf, size_t n)
{
    size_t put = 0;
    int r = SSL_write_ex(c->ssl, buf, n, &put);
    return r == 1 ? (ssize_t)put : outcome(c, r);
}

size_t gc_tls_pending(gc_tls_conn *c)
{
    return (size_t)SSL_pending(c->ssl);
}

void gc_tls_conn_free(gc_tls_conn *c)
{
    if (!c)
        return;
    if (SSL_is_init_finished(c->ssl))
        SSL_shutdown(c->ssl);
    ERR_clear_error();
    SSL_free(c->ssl);
    free(c);
}
