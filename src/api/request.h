/* The request and response records the api layer works on, and the handler type it offers.
 * The api owns them: the HTTP server (http/) fills a gc_http_req from the wire and sends the
 * gc_http_resp back; $batch (api/batch.c) builds inner requests itself, without http/. The
 * gc_http_ names are kept from when http/ owned these records. */
#ifndef GC_API_REQUEST_H
#define GC_API_REQUEST_H

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
    const char *peer_addr;  /* the client's IP address as text ("" when unknown) */
    bool admitted;          /* the handler's admit hook ran for it and let it in */
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
    /* Optional: runs on an I/O thread once the head of a request with a body is in, before any
     * byte of the body is read or any memory is set aside for it. Returns true to go on; false
     * after filling resp with the refusal (401, 403, 404, 405, ...), which is sent at once and
     * the connection closed without reading the body. req->body is NULL. */
    bool (*admit)(void *ctx, const gc_http_req *req, gc_http_resp *resp);
} gc_http_handler;

#endif
