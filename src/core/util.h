/* Small value codecs shared by every layer: base64, hex, GUIDs (v4 random, v5 name-based),
 * RFC 3339 date-times, and a growable byte buffer with a hard limit. No allocation here
 * outlives its caller's arena except gc_buf, which the caller frees. */
#ifndef GC_CORE_UTIL_H
#define GC_CORE_UTIL_H

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

/* ---- GUIDs ---- */
#define GC_GUID_LEN 36
/* A random (v4) GUID, lower case 8-4-4-4-12, into out[37]. */
void gc_guid_v4(char out[GC_GUID_LEN + 1]);
/* A v4 GUID from a fast per-thread generator (xoshiro256**) seeded from the OS: unique but not
 * unpredictable. For request ids; ids a client must not guess use gc_guid_v4. */
void gc_guid_v4_fast(char out[GC_GUID_LEN + 1]);
/* RFC 9562 v5 (SHA-1, name-based) GUID of name in namespace ns (a GUID string); -1 if ns is
 * not a GUID. */
int gc_guid_v5(const char *ns, const char *name, size_t name_len, char out[GC_GUID_LEN + 1]);
/* True for the 8-4-4-4-12 hex form (either case). */
bool gc_guid_valid(const char *s, size_t len);

/* ---- date-times ---- */
/* Parses RFC 3339 / ISO 8601 as OData uses it: YYYY-MM-DDTHH:MM[:SS[.f{1,7}]](Z|±HH:MM).
 * Also accepts a lower-case 't'/'z'. On success stores the instant as 100-nanosecond ticks
 * since 0001-01-01T00:00:00Z (always >= 0 for valid input) and returns 0; -1 otherwise. */
int gc_datetime_parse(const char *s, size_t len, int64_t *ticks);
/* Formats ticks as UTC "YYYY-MM-DDTHH:MM:SS.fffffffZ" with trailing zero digits (and the dot)
 * dropped; out needs 32 bytes. */
void gc_datetime_format(int64_t ticks, char out[32]);
/* The same with all seven fraction digits always written ("...:05.1200000Z"), as Graph writes
 * the times it sets itself (created, modified, uploaded). */
void gc_datetime_format_stamp(int64_t ticks, char out[32]);
/* Current time as ticks. */
int64_t gc_now_ticks(void);
/* Unix seconds <-> ticks. */
int64_t gc_ticks_from_unix(int64_t seconds);

/* ---- digests ---- */
/* HMAC-SHA-256 of data under key into out. */
void gc_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                    unsigned char out[32]);
/* Fills out with n cryptographically random bytes (aborts if the generator fails). */
void gc_random_bytes(unsigned char *out, size_t n);
/* True when the n bytes at a and b are equal, in time that depends on n only (no early exit):
 * for comparing secrets such as tokens. Eight bytes a step. */
bool gc_equal_const_time(const void *a, const void *b, size_t n);
/* A fast seeded 64-bit hash of n bytes (multiply-xorshift over 8-byte words), for spreading
 * keys over hash-table slots: not collision-resistant, so a table using it compares keys. */
uint64_t gc_hash64(uint64_t seed, const void *p, size_t n);

/* v in decimal into out (no terminator written past the digits' NUL); returns the length. */
size_t gc_fmt_i64(char out[21], int64_t v);

/* ---- strings ---- */
bool gc_str_ieq(const char *a, const char *b);
void gc_str_lower(char *s);

/* ---- growable buffer ---- */
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
