/* A growable byte buffer with a hard limit set at init, and JSON string escaping into it. */
#include "core/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* limit is the most bytes the buffer may hold, not counting the NUL kept after them. data stays
 * NULL until the first append (even of zero bytes); from then on it is always NUL-terminated. */

void gc_buf_init(gc_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
    b->overflow = false;
}

/* Makes room for len more bytes plus the NUL; -1 past the limit or when out of memory. */
static int buf_reserve(gc_buf *b, size_t len)
{
    if (len > b->limit - b->len || len >= SIZE_MAX - b->len) {
        b->overflow = true;
        return -1;
    }
    size_t need = b->len + len + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->limit + 1 && b->limit < SIZE_MAX)
        cap = b->limit + 1;
    char *d = realloc(b->data, cap);
    if (!d) {
        b->overflow = true;
        return -1;
    }
    if (!b->data)
        d[0] = '\0';
    b->data = d;
    b->cap = cap;
    return 0;
}

int gc_buf_reserve(gc_buf *b, size_t len)
{
    return buf_reserve(b, len);
}

int gc_buf_append(gc_buf *b, const void *data, size_t len)
{
    if (buf_reserve(b, len) != 0)
        return -1;
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int gc_buf_appendf(gc_buf *b, const char *fmt, ...)
{
    int rc = -1;
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || buf_reserve(b, (size_t)n) != 0)
        goto done;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    rc = 0;
done:
    va_end(ap);
    return rc;
}

void gc_buf_free(gc_buf *b)
{
    free(b->data);
    gc_buf_init(b, b->limit);
}

/* True when one of w's 8 bytes is below 0x20, '"' or '\\' (the bytes JSON escapes). */
static bool word_needs_escape(uint64_t w)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
    uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
    uint64_t below_space = (w - ones * 0x20) & ~w & highs;
    uint64_t is_quote = (quote - ones) & ~quote & highs;
    uint64_t is_backslash = (backslash - ones) & ~backslash & highs;
    return (below_space | is_quote | is_backslash) != 0;
}

int gc_buf_append_json_string(gc_buf *b, const char *s, size_t n)
{
    if (gc_buf_append(b, "\"", 1) != 0)
        return -1;
    size_t run = 0; /* start of the pending run of bytes that need no escape */
    for (size_t i = 0; i < n;) {
        uint64_t w;
        if (n - i >= 8 && (memcpy(&w, s + i, 8), !word_needs_escape(w))) {
            i += 8; /* eight bytes at a time through text that needs no escape */
            continue;
        }
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (gc_buf_append(b, s + run, i - run) != 0)
            return -1;
        char esc[8];
        size_t k = 2;
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            snprintf(esc, sizeof esc, "\\u%04X", c);
            k = 6;
        }
        if (gc_buf_append(b, esc, k) != 0)
            return -1;
        run = ++i;
    }
    if (gc_buf_append(b, s + run, n - run) != 0)
        return -1;
    return gc_buf_append(b, "\"", 1);
}
