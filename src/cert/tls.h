/* TLS for the HTTP server: a server context made from PEM certificate and key, and
 * non-blocking connections over a socket. The HTTP layer sees only these opaque types; OpenSSL
 * stays in cert/. Reads and writes never block: GC_TLS_AGAIN asks to wait for the socket. */
#ifndef GC_CERT_TLS_H
#define GC_CERT_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include "core/err.h"

typedef struct gc_tls_ctx gc_tls_ctx;
typedef struct gc_tls_conn gc_tls_conn;

#define GC_TLS_AGAIN (-2) /* would block: wait for the socket and call again */
#define GC_TLS_ERROR (-1) /* the connection failed (or was closed without close_notify) */

/* cert_pem and key_pem are PEM text (the key is not kept beyond the context's own copy).
 * The context offers TLS 1.2 and 1.3 with the library's default secure ciphers. */
int gc_tls_ctx_new(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                   gc_tls_ctx **out, gc_err *err);
void gc_tls_ctx_free(gc_tls_ctx *ctx);

/* A server-side connection over fd (non-blocking); the handshake runs inside the first reads. */
gc_tls_conn *gc_tls_conn_new(gc_tls_ctx *ctx, int fd);
/* > 0 bytes read, 0 at a clean end, GC_TLS_AGAIN or GC_TLS_ERROR. */
ssize_t gc_tls_read(gc_tls_conn *c, void *buf, size_t n);
/* > 0 bytes written, GC_TLS_AGAIN or GC_TLS_ERROR. */
ssize_t gc_tls_write(gc_tls_conn *c, const void *buf, size_t n);
/* Decrypted bytes buffered inside the library, readable without the socket. */
size_t gc_tls_pending(gc_tls_conn *c);
/* Sends close_notify (best effort) and frees the connection; the caller closes fd. */
void gc_tls_conn_free(gc_tls_conn *c);

#endif
