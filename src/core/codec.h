/* Text codecs: base64, hex, percent-encoding, ASCII case, decimal formatting and a fast
 * non-cryptographic hash. Results live in the caller's arena. */
#ifndef GC_CORE_CODEC_H
#define GC_CORE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

/* ---- base64 ---- */
/* Standard padded base64 of data, NUL-terminated, in the arena. */
char *gc_base64_encode(gc_arena *a, const unsigned char *data, size_t len);
/* Decodes standard or URL-safe base64, padded or not; whitespace is not allowed.
 * Returns 0 and the bytes (NUL-terminated for convenience, *out_len excludes it) or -1. */
int gc_base64_decode(gc_arena *a, const char *s, size_t slen, unsigned char **out, size_t *out_len);
/* base64url without padding (JWT segments). */
char *gc_base64url_encode(gc_arena *a, const unsigned char *data, size_t len);
/* The same, malloc'd (the caller frees it); NULL when out of memory. */
char *gc_base64url_encode_heap(const unsigned char *data, size_t len);
/* Strict base64url as JWTs need it: the URL-safe alphabet only, no padding, and the unused low
 * bits of the last group zero, so a value has exactly one spelling. 0 and the bytes (malloc'd,
 * NUL-terminated for convenience, *out_len excludes it; the caller frees them) or -1. */
int gc_base64url_decode_strict(const char *s, size_t len, unsigned char **out, size_t *out_len);

/* ---- hex ---- */
void gc_hex_lower(const unsigned char *data, size_t len, char *out /* 2*len+1 */);
/* The value of one hex digit (either case), or -1. */
int gc_hex_digit(int c);

/* ---- percent-encoding ---- */
/* Decodes %XX escapes of s[0..n) into a NUL-terminated arena string ('+' stays '+'). strict: a
 * '%' without two hex digits is an error; otherwise it stays as it is (as ASP.NET reads query
 * strings). An encoded NUL (%00) is always an error. Returns 0 or -1. out_len may be NULL. */
int gc_percent_decode(gc_arena *a, const char *s, size_t n, bool strict, char **out,
                      size_t *out_len);
/* Percent-encodes s[0..n) into a NUL-terminated arena string: the unreserved characters
 * A-Z a-z 0-9 - . _ ~ and any byte in keep (NULL: none) stay as they are, every other byte
 * becomes %XX (upper-case hex). NULL when n is too large to encode. */
char *gc_percent_encode(gc_arena *a, const char *s, size_t n, const char *keep);
bool gc_is_hex(const char *s, size_t len);

/* ---- strings ---- */
bool gc_str_ieq(const char *a, const char *b);
void gc_str_lower(char *s);

/* ---- UTF-8 ---- */
/* Length of the valid UTF-8 character at s (avail bytes there), as JSON accepts it: no overlong
 * forms, no surrogates, nothing past U+10FFFF; 0 when there is none. A NUL counts as 1. */
size_t gc_utf8_char_len(const unsigned char *s, size_t avail);
/* True when s[0..n) is well-formed UTF-8 (as above) without NUL. */
bool gc_utf8_valid(const unsigned char *s, size_t n);

/* ---- client text in messages ---- */
/* s[0..n) fit to quote in a message: at most max bytes, each byte outside printable ASCII as
 * '?', and "..." when cut; into out (max + 4 bytes), which is returned. */
const char *gc_show_text(char *out, const char *s, size_t n, size_t max);

/* ---- numbers and hashing ---- */
/* A fast seeded 64-bit hash of n bytes (multiply-xorshift over 8-byte words), for spreading
 * keys over hash-table slots: not collision-resistant, so a table using it compares keys. */
uint64_t gc_hash64(uint64_t seed, const void *p, size_t n);

/* v in decimal into out (no terminator written past the digits' NUL); returns the length. */
size_t gc_fmt_i64(char out[21], int64_t v);

#endif
