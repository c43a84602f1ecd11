/* Fuzz target for the HTTP/1.1 wire parser (src/http/parse.c): the input is what a client sends.
 * The head is parsed whole and again in two pieces (the result must not depend on how bytes
 * arrive); a parsed head's offsets must lie inside it and its framing must be consistent; then
 * the rest is fed to the chunked decoder, whose data runs must lie inside its input. */
#include <string.h>

#include "fuzz.h"
#include "http/parse.h"

static const gc_http_limits lim = {.max_url = 512, .max_headers = 1024, .max_n_headers = 32};

static gc_http_parse_result parse(const char *buf, size_t len, size_t *scanned, gc_http_head *h,
                                  gc_http_field *f, gc_errkind *kind)
{
    char msg[160];
    gc_http_parse_result r = gc_http_parse_head(buf, len, &lim, scanned, f, h, kind, msg, sizeof msg);
    if (r == GC_PARSE_ERROR)
        CHECK(memchr(msg, '\0', sizeof msg) && msg[0] != '\0');
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    gc_http_field f[32], f2[32];
    gc_http_head h, h2;
    gc_errkind kind = GC_OK, kind2 = GC_OK;
    size_t scanned = 0;
    gc_http_parse_result r = parse(buf, size, &scanned, &h, f, &kind);

    /* the same bytes in two pieces: the first piece may not be an error the whole is not */
    size_t cut = size / 2, scanned2 = 0;
    gc_http_parse_result r1 = parse(buf, cut, &scanned2, &h2, f2, &kind2);
    if (r1 == GC_PARSE_INCOMPLETE) {
        gc_http_parse_result r2 = parse(buf, size, &scanned2, &h2, f2, &kind2);
        CHECK(r2 == r);
        if (r == GC_PARSE_DONE)
            CHECK(h2.head_len == h.head_len && h2.n_fields == h.n_fields);
        if (r == GC_PARSE_ERROR)
            CHECK(kind2 == kind);
    } else if (r1 == GC_PARSE_DONE) {
        CHECK(r == GC_PARSE_DONE && h.head_len == h2.head_len);
    }
    if (r != GC_PARSE_DONE)
        return 0;
    CHECK(h.head_len <= size && h.n_fields <= lim.max_n_headers);
    CHECK(h.method_off + h.method_len <= h.head_len && h.method_len > 0);
    CHECK(h.target_off + h.target_len <= h.head_len && h.target_len <= lim.max_url);
    CHECK(h.header_bytes <= lim.max_headers);
    for (size_t i = 0; i < h.n_fields; i++) {
        CHECK(f[i].name_off + f[i].name_len <= h.head_len);
        CHECK(f[i].value_off + f[i].value_len <= h.head_len);
        CHECK(memchr(buf + f[i].value_off, '\r', f[i].value_len) == NULL);
        CHECK(memchr(buf + f[i].value_off, '\n', f[i].value_len) == NULL);
    }
    CHECK(h.minor == 0 || h.minor == 1);
    if (h.body != GC_BODY_CHUNKED)
        return 0;
    gc_http_chunked d;
    memset(&d, 0, sizeof d);
    size_t pos = h.head_len;
    for (;;) {
        size_t used, off, n;
        gc_http_chunk_result c = gc_http_chunked_feed(&d, buf + pos, size - pos, 256, &used, &off, &n);
        CHECK(used <= size - pos);
        if (c == GC_CHUNK_DATA)
            CHECK(n > 0 && off + n == used);
        pos += used;
        if (c != GC_CHUNK_DATA)
            break;
    }
    return 0;
}
