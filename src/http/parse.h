/* The HTTP/1.1 wire parser: request heads and chunked bodies, as pure functions over bytes (no
 * sockets, no allocation), so the server and the fuzzer run the same code. It is strict where
 * leniency lets two parsers disagree about framing (RFC 9112 section 6.3, 11.2): conflicting or
 * malformed Content-Length, Transfer-Encoding with Content-Length, unknown codings, obs-fold,
 * bare CR, whitespace before a colon are errors that end the connection. */
#ifndef GC_HTTP_PARSE_H
#define GC_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct gc_http_limits {
    size_t max_url;       /* bytes of the request target */
    size_t max_headers;   /* bytes of all header lines ("name: value\r\n" as sent) */
    size_t max_n_headers; /* header fields */
} gc_http_limits;

/* One header field: offsets into the parsed buffer (value without surrounding whitespace). */
typedef struct gc_http_field {
    uint32_t name_off, name_len, value_off, value_len;
} gc_http_field;

typedef enum gc_http_body_kind { GC_BODY_NONE, GC_BODY_LENGTH, GC_BODY_CHUNKED } gc_http_body_kind;

typedef struct gc_http_head {
    /* offsets into the parsed buffer */
    uint32_t method_off, method_len, target_off, target_len;
    int minor;                /* HTTP/1.minor: 0 or 1 */
    size_t n_fields;          /* fields written to the caller's array */
    size_t header_bytes;      /* header lines as sent */
    size_t head_len;          /* bytes of the whole head, through the blank line */
    gc_http_body_kind body;
    uint64_t content_length;  /* GC_BODY_LENGTH; UINT64_MAX when it does not fit 64 bits */
    bool keep_alive;          /* after this request, by version and Connection */
    bool expect_continue;     /* Expect: 100-continue */
    int host_index;           /* index of the Host field, -1 when none */
} gc_http_head;

typedef enum gc_http_parse_result {
    GC_PARSE_INCOMPLETE = 0, /* need more bytes (none of the limits is broken yet) */
    GC_PARSE_DONE = 1,       /* head parsed: head->head_len bytes */
    GC_PARSE_ERROR = -1,     /* *kind and msg say what is wrong; answer it and close */
} gc_http_parse_result;

/* Parses the request head at the start of buf[0..len). fields has room for
 * lim->max_n_headers entries. scanned (in/out, start at 0) remembers how far a previous call
 * looked for the end of the head, so a head that arrives byte by byte costs linear time.
 * On GC_PARSE_ERROR, *kind is GC_E_BAD_REQUEST, GC_E_URI_TOO_LONG, GC_E_HEADERS_TOO_LARGE,
 * GC_E_NOT_IMPLEMENTED, GC_E_EXPECTATION or GC_E_HTTP_VERSION and msg (msg_len bytes) holds a
 * message safe for clients (it never quotes header values). head->method_* and target_* are
 * set as far as they were parsed (method_len 0 when not). */
gc_http_parse_result gc_http_parse_head(const char *buf, size_t len, const gc_http_limits *lim,
                                        size_t *scanned, gc_http_field *fields, gc_http_head *head,
                                        gc_errkind *kind, char *msg, size_t msg_len);

/* Decoder state for a chunked body; zero it before the first call. */
typedef struct gc_http_chunked {
    int state;
    uint64_t remaining; /* data bytes left in the current chunk */
    size_t size_digits, ext_bytes, trailer_bytes, line_bytes;
} gc_http_chunked;

typedef enum gc_http_chunk_result {
    GC_CHUNK_MORE = 0,  /* all input consumed; need more */
    GC_CHUNK_DATA = 1,  /* a run of body bytes: buf[*data_off .. +*data_len) */
    GC_CHUNK_DONE = 2,  /* the last chunk and the trailers are in */
    GC_CHUNK_ERROR = -1 /* malformed framing: 400 and close */
} gc_http_chunk_result;

/* Feeds buf[0..len) to the decoder; *consumed is how many bytes it used (through the data run
 * it returns, or all of them). max_trailer bounds the trailer section. */
gc_http_chunk_result gc_http_chunked_feed(gc_http_chunked *d, const char *buf, size_t len,
                                          size_t max_trailer, size_t *consumed, size_t *data_off,
                                          size_t *data_len);

/* Case-insensitive compare of a field name to a NUL-terminated lowercase-or-not name. */
bool gc_http_name_is(const char *buf, const gc_http_field *f, const char *name);

#endif
