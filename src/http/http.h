/* The HTTP/1.1 server (epoll, OpenSSL for TLS through cert/tls.h). It knows HTTP, not
 * certificates: it turns the bytes of a request into the api's request record (gc_http_req,
 * api/request.h), calls one handler, and sends the gc_http_resp the handler filled. It guards the network edge before any handler runs: framing
 * (RFC 9112: conflicting lengths, unknown codings → 400/501 and close), limits (413, 414, 431),
 * deadlines for the head, the body, idle keep-alive and stalled writes (408 or close),
 * connection caps (total, per client address) and a cap on the memory all bodies may hold (503).
 * Every answer it makes itself goes through the handler's error hook, so it is a Graph error. */
#ifndef GC_HTTP_HTTP_H
#define GC_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "api/request.h"
#include "core/arena.h"
#include "core/err.h"

typedef struct gc_http_config {
    const char *listen_host; /* e.g. "127.0.0.1", "::1", "0.0.0.0" */
    unsigned short port;     /* 0: pick a free port (see gc_http_port) */
    const char *tls_cert_file, *tls_key_file; /* both or neither */
    size_t max_body;         /* bytes; larger bodies → 413 */
    size_t max_url;          /* bytes; default 32 KiB */
    size_t max_headers;      /* bytes of all headers; default 32 KiB */
    unsigned io_threads;     /* 0: number of cores */
    unsigned workers;        /* blocking worker threads for writes; 0: 64 */
    /* The edge. 0 means the default given. */
    unsigned max_connections;     /* open connections in all; default: the open-file limit
                                     (raised to its hard maximum) less a reserve */
    unsigned max_per_ip;          /* open connections from one address (IPv6: one /64);
                                     0: no cap */
    size_t max_body_memory;       /* bytes all request bodies may hold together; 256 MiB */
    unsigned header_timeout_ms;   /* from the first byte of a head to its end; 10 s */
    unsigned body_timeout_ms;     /* from the end of the head to the end of the body; 30 s */
    unsigned keepalive_timeout_ms;/* an idle connection between requests; 30 s */
    unsigned write_timeout_ms;    /* a response that makes no progress; 30 s */
} gc_http_config;

typedef struct gc_http_server gc_http_server;

int gc_http_start(const gc_http_config *cfg, const gc_http_handler *h, gc_http_server **out,
                  gc_err *err);
unsigned short gc_http_port(const gc_http_server *srv);
/* Connections open right now (accepted and not yet closed), for metrics. */
size_t gc_http_open_connections(gc_http_server *srv);
/* Stops accepting, lets requests in flight finish, then frees the server. */
void gc_http_stop(gc_http_server *srv);

#endif
