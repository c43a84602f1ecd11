/* The HTTP adapter over libmicrohttpd. It knows HTTP, not certificates: it turns a request into
 * a gc_http_req, calls one handler, and sends the gc_http_resp the handler filled. It enforces
 * the transport limits (body size → 413, URL length → 414, header size → 431) before the handler
 * runs, answering those itself through the handler's error hook so the body is a Graph error. */
#ifndef GC_HTTP_HTTP_H
#define GC_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"

typedef struct gc_http_header {
    const char *name;
    const char *value;
} gc_http_header;

typedef struct gc_http_req {
    gc_arena *arena;        /* freed after the response is sent */
    const char *method;     /* "GET", "POST", ... */
    const char *raw_target; /* the request target exactly as sent (path + "?" + query), undecoded */
    const char *path;       /* raw_target before '?', still percent-encoded */
    const char *query;      /* raw_target after '?', undecoded, "" when none */
    const char *scheme;     /* "http" or "https" */
    const char *host;       /* Host header or "" */
    const gc_http_header *headers; /* all request headers, in order */
    size_t n_headers;
    const unsigned char *body; /* NULL when none; NUL-terminated */
    size_t body_len;
    char request_id[37];    /* a fresh GUID per request */
    const char *peer_addr;  /* the client's IP address as text; NULL or "" when unknown */
} gc_http_req;

#define GC_HTTP_MAX_RESP_HEADERS 16

typedef struct gc_http_resp {
    int status;
    const char *content_type; /* NULL: no body content type */
    char *body;               /* arena-owned (of the request) or NULL */
    size_t body_len;
    gc_http_header headers[GC_HTTP_MAX_RESP_HEADERS]; /* extra headers (arena-owned strings) */
    size_t n_headers;
    const char *tenant;       /* for the access log, or NULL */
} gc_http_resp;

/* Case-insensitive header lookup; NULL when absent. */
const char *gc_http_req_header(const gc_http_req *req, const char *name);
/* Appends a header to resp (silently dropped past GC_HTTP_MAX_RESP_HEADERS). */
void gc_http_resp_header(gc_http_resp *resp, const char *name, const char *value);

typedef struct gc_http_handler {
    void *ctx;
    /* Fills resp for req. Runs on an I/O thread for GET/HEAD and on a blocking worker thread
     * for other methods (writes wait for durable storage there). */
    void (*handle)(void *ctx, const gc_http_req *req, gc_http_resp *resp);
    /* Fills resp with an error the adapter detected before handle ran (413, 414, 431, 400
     * for a malformed request). req has method, path, headers and request_id; body NULL. */
    void (*error)(void *ctx, const gc_http_req *req, gc_errkind kind, const char *message,
                  gc_http_resp *resp);
} gc_http_handler;

typedef struct gc_http_config {
    const char *listen_host; /* e.g. "127.0.0.1", "::1", "0.0.0.0" */
    unsigned short port;     /* 0: pick a free port (see gc_http_port) */
    const char *tls_cert_file, *tls_key_file; /* both or neither */
    size_t max_body;         /* bytes; larger bodies → 413 */
    size_t max_url;          /* bytes; default 32 KiB */
    size_t max_headers;      /* bytes of all headers; default 32 KiB */
    unsigned io_threads;     /* 0: number of cores */
    unsigned workers;        /* blocking worker threads for writes; 0: 64 */
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
