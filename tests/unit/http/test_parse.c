/* Tests for the HTTP/1.1 wire parser (src/http/parse.c): heads that parse, every framing error
 * class with its kind, limits while the head is still arriving, byte-by-byte arrival, and the
 * chunked decoder's strictness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http/parse.h"

static const gc_http_limits lim = {.max_url = 64, .max_headers = 256, .max_n_headers = 8};

typedef struct parsed {
    gc_http_parse_result r;
    gc_http_head h;
    gc_http_field f[8];
    gc_errkind kind;
    char msg[160];
} parsed;

static parsed parse(const char *s)
{
    parsed p;
    memset(&p, 0, sizeof p);
    size_t scanned = 0;
    p.r = gc_http_parse_head(s, strlen(s), &lim, &scanned, p.f, &p.h, &p.kind, p.msg, sizeof p.msg);
    return p;
}

static void expect_error(const char *s, gc_errkind kind, const char *fragment)
{
    parsed p = parse(s);
    if (p.r != GC_PARSE_ERROR)
        fail_msg("expected an error for %s", s);
    assert_int_equal(p.kind, kind);
    if (fragment && !strstr(p.msg, fragment))
        fail_msg("message '%s' lacks '%s'", p.msg, fragment);
}

static void test_simple_get(void **state)
{
    const char *s = "GET /beta/x?$top=1 HTTP/1.1\r\nHost: a\r\nX-Y:  v w \r\n\r\nREST";
    parsed p = parse(s);
    assert_int_equal(p.r, GC_PARSE_DONE);
    assert_int_equal(p.h.head_len, strlen(s) - 4);
    assert_int_equal(p.h.method_len, 3);
    assert_memory_equal(s + p.h.target_off, "/beta/x?$top=1", p.h.target_len);
    assert_int_equal(p.h.minor, 1);
    assert_int_equal(p.h.n_fields, 2);
    assert_true(p.h.keep_alive);
    assert_int_equal(p.h.body, GC_BODY_NONE);
    assert_int_equal(p.h.host_index, 0);
    /* the value without surrounding whitespace, inner spaces kept */
    assert_int_equal(p.f[1].value_len, 3);
    assert_memory_equal(s + p.f[1].value_off, "v w", 3);
    assert_true(gc_http_name_is(s, &p.f[1], "x-y"));
    assert_int_equal(p.h.header_bytes, strlen("Host: a\r\nX-Y:  v w \r\n"));
}

static void test_lf_only_and_leading_empty_lines(void **state)
{
    parsed p = parse("\r\n\nGET / HTTP/1.1\nHost: a\n\n");
    assert_int_equal(p.r, GC_PARSE_DONE);
    assert_int_equal(p.h.n_fields, 1);
}

static void test_raw_spaces_in_target(void **state)
{
    const char *s = "GET /u?$filter=tolower(x) eq 'a b' HTTP/1.1\r\nHost: a\r\n\r\n";
    parsed p = parse(s);
    assert_int_equal(p.r, GC_PARSE_DONE);
    assert_memory_equal(s + p.h.target_off, "/u?$filter=tolower(x) eq 'a b'", p.h.target_len);
}

static void test_bodies(void **state)
{
    parsed p = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n");
    assert_int_equal(p.r, GC_PARSE_DONE);
    assert_int_equal(p.h.body, GC_BODY_LENGTH);
    assert_int_equal(p.h.content_length, 12);
    p = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(p.h.body, GC_BODY_NONE);
    p = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n");
    assert_int_equal(p.r, GC_PARSE_DONE);
    assert_true(p.h.content_length == UINT64_MAX);
    p = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n");
    assert_int_equal(p.h.body, GC_BODY_CHUNKED);
    p = parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n");
    assert_true(p.h.expect_continue);
}

static void test_connection(void **state)
{
    assert_false(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close\r\n\r\n").h.keep_alive);
    assert_false(parse("GET / HTTP/1.0\r\n\r\n").h.keep_alive);
    assert_true(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").h.keep_alive);
}

static void test_framing_errors(void **state)
{
    expect_error("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                 GC_E_BAD_REQUEST, "both Content-Length and Transfer-Encoding");
    expect_error("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                 GC_E_BAD_REQUEST, "more than one Content-Length");
    const char *bad_cl[] = {"+2", "-1", "0x26", "2, 2", "1 2", "", "2.0"};
    for (size_t i = 0; i < sizeof bad_cl / sizeof bad_cl[0]; i++) {
        char req[128];
        snprintf(req, sizeof req, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: %s\r\n\r\n", bad_cl[i]);
        expect_error(req, GC_E_BAD_REQUEST, "Content-Length");
    }
    expect_error("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
                 GC_E_NOT_IMPLEMENTED, "'gzip'");
    expect_error("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                 GC_E_NOT_IMPLEMENTED, "'gzip'");
    expect_error("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                 GC_E_BAD_REQUEST, "Transfer-Encoding");
    expect_error("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", GC_E_BAD_REQUEST, "HTTP/1.0");
    expect_error("GET / HTTP/1.1\r\nHost: a\r\nExpect: nothing\r\n\r\n", GC_E_EXPECTATION, NULL);
}

static void test_syntax_errors(void **state)
{
    expect_error("GET / HTTP/1.1\r\nHost: a\r\nX : y\r\n\r\n", GC_E_BAD_REQUEST, "colon");
    expect_error("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n z\r\n\r\n", GC_E_BAD_REQUEST, "folding");
    expect_error("GET / HTTP/1.1\r\nHost: a\r\nX: y\rz\r\n\r\n", GC_E_BAD_REQUEST, "bare CR");
    expect_error("GET / HTTP/1.1\r\nHost: a\r\nnocolon\r\n\r\n", GC_E_BAD_REQUEST, "no field name");
    expect_error("GET / HTTP/1.1\r\n\r\n", GC_E_BAD_REQUEST, "Host");
    expect_error("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", GC_E_BAD_REQUEST, "Host");
    expect_error("GET / HTTP/2.0\r\n\r\n", GC_E_HTTP_VERSION, NULL);
    expect_error("GET / HTTP/1.10\r\n\r\n", GC_E_BAD_REQUEST, NULL);
    expect_error("GET /\r\n\r\n", GC_E_BAD_REQUEST, NULL);
    expect_error(" GET / HTTP/1.1\r\n\r\n", GC_E_BAD_REQUEST, NULL);
    expect_error("G@T / HTTP/1.1\r\n\r\n", GC_E_BAD_REQUEST, "method");
    expect_error("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", GC_E_BAD_REQUEST, "control");
    expect_error("GET  HTTP/1.1\r\nHost: a\r\n\r\n", GC_E_BAD_REQUEST, NULL);
    /* a NUL in a value: the length-based parser sees it, strlen would not */
    const char nul[] = "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n";
    parsed p;
    size_t scanned = 0;
    p.r = gc_http_parse_head(nul, sizeof nul - 1, &lim, &scanned, p.f, &p.h, &p.kind, p.msg, sizeof p.msg);
    assert_int_equal(p.r, GC_PARSE_ERROR);
    assert_int_equal(p.kind, GC_E_BAD_REQUEST);
    assert_non_null(strstr(p.msg, "'X'"));
}

static void test_limits(void **state)
{
    char req[1024];
    /* a 64-byte target is fine, 65 is not */
    snprintf(req, sizeof req, "GET /%063d HTTP/1.1\r\nHost: a\r\n\r\n", 0);
    assert_int_equal(parse(req).r, GC_PARSE_DONE);
    snprintf(req, sizeof req, "GET /%064d HTTP/1.1\r\nHost: a\r\n\r\n", 0);
    expect_error(req, GC_E_URI_TOO_LONG, "64 bytes");
    /* while still arriving: a request line with no end in sight */
    snprintf(req, sizeof req, "GET /%0200d", 0);
    expect_error(req, GC_E_URI_TOO_LONG, NULL);
    parsed p = parse(req);
    assert_int_equal(p.h.method_len, 3); /* the method is known for the error hook */
    /* the target alone too long while the headers are still arriving */
    snprintf(req, sizeof req, "GET /%064d HTTP/1.1\r\nHost: a\r\n", 0);
    expect_error(req, GC_E_URI_TOO_LONG, NULL);
    /* 256 bytes of header lines, then 257 */
    snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: a\r\nX: %0242d\r\n\r\n", 0);
    assert_int_equal(parse(req).r, GC_PARSE_DONE);
    snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: a\r\nX: %0243d\r\n\r\n", 0);
    expect_error(req, GC_E_HEADERS_TOO_LARGE, "256 bytes");
    snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: a\r\nX: %0400d", 0);
    expect_error(req, GC_E_HEADERS_TOO_LARGE, NULL); /* no end yet */
    /* 8 fields, then 9 */
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nA:1\r\nB:1\r\nC:1\r\nD:1\r\nE:1\r\nF:1\r\nG:1\r\n\r\n").r,
                     GC_PARSE_DONE);
    expect_error("GET / HTTP/1.1\r\nHost: a\r\nA:1\r\nB:1\r\nC:1\r\nD:1\r\nE:1\r\nF:1\r\nG:1\r\nH:1\r\n\r\n",
                 GC_E_HEADERS_TOO_LARGE, "8 header fields");
}

/* Every prefix of a valid head is incomplete, and feeding it a byte at a time with the scan
 * position carried over finds the same head. */
static void test_byte_by_byte(void **state)
{
    const char *s = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";
    size_t full = strlen(s) - 3;
    size_t scanned = 0;
    gc_http_field f[8];
    gc_http_head h;
    gc_errkind kind;
    char msg[160];
    for (size_t n = 1; n < full; n++)
        assert_int_equal(gc_http_parse_head(s, n, &lim, &scanned, f, &h, &kind, msg, sizeof msg),
                         GC_PARSE_INCOMPLETE);
    assert_int_equal(gc_http_parse_head(s, full, &lim, &scanned, f, &h, &kind, msg, sizeof msg),
                     GC_PARSE_DONE);
    assert_int_equal(h.head_len, full);
    assert_int_equal(h.content_length, 3);
}

/* Decodes a whole chunked body; returns the result and the data in out. */
static gc_http_chunk_result decode(const char *in, char *out, size_t *out_len)
{
    gc_http_chunked d;
    memset(&d, 0, sizeof d);
    size_t pos = 0, len = strlen(in);
    *out_len = 0;
    for (;;) {
        size_t used, off, n;
        gc_http_chunk_result r = gc_http_chunked_feed(&d, in + pos, len - pos, 64, &used, &off, &n);
        if (r == GC_CHUNK_DATA) {
            memcpy(out + *out_len, in + pos + off, n);
            *out_len += n;
        }
        pos += used;
        if (r != GC_CHUNK_DATA)
            return r;
    }
}

static void test_chunked(void **state)
{
    char out[256];
    size_t n;
    assert_int_equal(decode("3\r\nabc\r\n0A;ext=1\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n", out, &n),
                     GC_CHUNK_DONE);
    assert_int_equal(n, 13);
    assert_memory_equal(out, "abc0123456789", 13);
    assert_int_equal(decode("3\r\nabc\r\n", out, &n), GC_CHUNK_MORE);
    const char *bad[] = {"x\r\n", "3\r\nabcX\r\n", "3\nabc\n0\n\n", "3\r\nabc\r\n0\r\n\n",
                         "\r\n", "11111111111111111\r\n", "3\r\nabc\r\n0\r\nT: \x01\r\n\r\n",
                         "3;a\nb\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (decode(bad[i], out, &n) != GC_CHUNK_ERROR)
            fail_msg("accepted malformed chunked body #%zu", i);
    /* a trailer section past its bound */
    char big[200];
    snprintf(big, sizeof big, "0\r\nT: %080d\r\n\r\n", 0);
    assert_int_equal(decode(big, out, &n), GC_CHUNK_ERROR);
    /* byte by byte gives the same data */
    const char *s = "4\r\nwxyz\r\n2\r\n12\r\n0\r\n\r\n";
    gc_http_chunked d;
    memset(&d, 0, sizeof d);
    size_t got = 0;
    gc_http_chunk_result r = GC_CHUNK_MORE;
    for (size_t i = 0; i < strlen(s); i++) {
        size_t used, off, len;
        r = gc_http_chunked_feed(&d, s + i, 1, 64, &used, &off, &len);
        assert_int_equal(used, 1);
        if (r == GC_CHUNK_DATA)
            out[got++] = s[i + off];
    }
    assert_int_equal(r, GC_CHUNK_DONE);
    assert_int_equal(got, 6);
    assert_memory_equal(out, "wxyz12", 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_get),
        cmocka_unit_test(test_lf_only_and_leading_empty_lines),
        cmocka_unit_test(test_raw_spaces_in_target),
        cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_connection),
        cmocka_unit_test(test_framing_errors),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_chunked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
