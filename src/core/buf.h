/* A growable byte buffer with a hard limit set at init (the caller frees it), and JSON string
 * escaping into it. */
#ifndef GC_CORE_BUF_H
#define GC_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct gc_buf {
    char *data; /* NUL-terminated while len < cap */
    size_t len, cap, limit;
    bool overflow; /* some append was refused: check once after a series of appends */
} gc_buf;
void gc_buf_init(gc_buf *b, size_t limit);
/* 0, or -1 when the limit would be passed (the buffer is left unchanged). */
int gc_buf_append(gc_buf *b, const void *data, size_t len);
/* Makes room for len more bytes up front (a hint: it saves reallocations); -1 past the limit. */
int gc_buf_reserve(gc_buf *b, size_t len);
int gc_buf_appendf(gc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gc_buf_free(gc_buf *b);
/* Appends s[0..n) as a JSON string literal (quotes included), escaped as jansson escapes:
 * \" \\ \b \f \n \r \t, other control characters as \u00XX, everything else as is. */
int gc_buf_append_json_string(gc_buf *b, const char *s, size_t n);

#endif
