/* Text codecs: base64 (standard and URL-safe), hex, percent-encoding, ASCII case, decimal
 * formatting and a fast non-cryptographic hash. Pure functions; results live in the caller's
 * arena. */
#include "core/codec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- base64 ---- */

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Writes the base64 of data into out ((len + 2) / 3 * 4 + 1 bytes), NUL-terminated. */
static char *b64_encode_into(char *out, const unsigned char *data, size_t len, const char *alphabet,
                             bool pad)
{
    char *o = out;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        *o++ = alphabet[v >> 18 & 63];
        *o++ = alphabet[v >> 12 & 63];
        *o++ = alphabet[v >> 6 & 63];
        *o++ = alphabet[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)data[i + 1] << 8;
        *o++ = alphabet[v >> 18 & 63];
        *o++ = alphabet[v >> 12 & 63];
        if (i + 1 < len)
            *o++ = alphabet[v >> 6 & 63];
        else if (pad)
            *o++ = '=';
        if (pad)
            *o++ = '=';
    }
    *o = '\0';
    return out;
}

static char *b64_encode(gc_arena *a, const unsigned char *data, size_t len, const char *alphabet,
                        bool pad)
{
    return b64_encode_into(gc_arena_alloc(a, (len + 2) / 3 * 4 + 1), data, len, alphabet, pad);
}

char *gc_base64_encode(gc_arena *a, const unsigned char *data, size_t len)
{
    return b64_encode(a, data, len, b64_std, true);
}

char *gc_base64url_encode_heap(const unsigned char *data, size_t len)
{
    char *out = malloc((len + 2) / 3 * 4 + 1);
    return out ? b64_encode_into(out, data, len, b64_url, false) : NULL;
}

char *gc_base64url_encode(gc_arena *a, const unsigned char *data, size_t len)
{
    return b64_encode(a, data, len, b64_url, false);
}

/* The 6-bit value of c in either alphabet (url_only: in the URL-safe one), or -1. */
static int b64_value(unsigned char c, bool url_only)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-' || (c == '+' && !url_only))
        return 62;
    if (c == '_' || (c == '/' && !url_only))
        return 63;
    return -1;
}

/* Decodes n base64 digits (no padding) into buf (n / 4 * 3 + 2 bytes at least), NUL-terminated.
 * strict: only the URL-safe alphabet, and the unused low bits of the last group must be zero
 * (so that a value has exactly one spelling); otherwise they are ignored. */
static int b64_decode_into(const char *s, size_t n, bool strict, unsigned char *buf, size_t *out_len)
{
    if (n % 4 == 1)
        return -1;
    unsigned char *o = buf;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)s[i], strict);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *o++ = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (strict && acc != 0)
        return -1;
    *o = '\0';
    *out_len = (size_t)(o - buf);
    return 0;
}

int gc_base64url_decode_strict(const char *s, size_t len, unsigned char **out, size_t *out_len)
{
    if (len % 4 == 1)
        return -1;
    unsigned char *buf = malloc(len / 4 * 3 + 3);
    if (!buf || b64_decode_into(s, len, true, buf, out_len) != 0) {
        free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

/* Unused low bits of the last group are ignored (not required to be zero). */
int gc_base64_decode(gc_arena *a, const char *s, size_t slen, unsigned char **out, size_t *out_len)
{
    size_t pad = 0;
    while (pad < 2 && pad < slen && s[slen - 1 - pad] == '=')
        pad++;
    if (pad > 0 && slen % 4 != 0)
        return -1;
    size_t n = slen - pad;
    if (n % 4 == 1)
        return -1;
    unsigned char *buf = gc_arena_alloc(a, n / 4 * 3 + 3);
    if (b64_decode_into(s, n, false, buf, out_len) != 0)
        return -1;
    *out = buf;
    return 0;
}

/* ---- hex ---- */

void gc_hex_lower(const unsigned char *data, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * len] = '\0';
}

int gc_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int gc_percent_decode(gc_arena *a, const char *s, size_t n, bool strict, char **out,
                      size_t *out_len)
{
    char *d = gc_arena_alloc(a, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int h = -1, l = -1;
        if (s[i] == '%' && i + 2 < n) {
            h = gc_hex_digit((unsigned char)s[i + 1]);
            l = gc_hex_digit((unsigned char)s[i + 2]);
        }
        if (s[i] == '%' && h >= 0 && l >= 0) {
            if (h == 0 && l == 0)
                return -1;
            d[k++] = (char)(h * 16 + l);
            i += 2;
        } else if (s[i] == '%' && strict) {
            return -1;
        } else {
            d[k++] = s[i];
        }
    }
    d[k] = '\0';
    *out = d;
    if (out_len)
        *out_len = k;
    return 0;
}

char *gc_percent_encode(gc_arena *a, const char *s, size_t n, const char *keep)
{
    static const char hex[] = "0123456789ABCDEF";
    if (n > (SIZE_MAX - 1) / 3)
        return NULL;
    char *d = gc_arena_alloc(a, 3 * n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~' ||
                     (keep && c != '\0' && strchr(keep, c) != NULL);
        if (plain) {
            d[k++] = (char)c;
        } else {
            d[k++] = '%';
            d[k++] = hex[c >> 4];
            d[k++] = hex[c & 15];
        }
    }
    d[k] = '\0';
    return d;
}

/* False for the empty string. */
bool gc_is_hex(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (gc_hex_digit((unsigned char)s[i]) < 0)
            return false;
    return true;
}

/* ---- strings ---- */

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool gc_str_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (ascii_lower(*a) != ascii_lower(*b))
            return false;
    return *a == *b;
}

void gc_str_lower(char *s)
{
    for (; *s; s++)
        *s = ascii_lower(*s);
}

/* ---- UTF-8 ---- */

size_t gc_utf8_char_len(const unsigned char *s, size_t avail)
{
    if (avail == 0)
        return 0;
    unsigned c = s[0], cp;
    size_t n;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

bool gc_utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t k = s[i] ? gc_utf8_char_len(s + i, n - i) : 0;
        if (!k)
            return false;
        i += k;
    }
    return true;
}

/* ---- client text in messages ---- */

const char *gc_show_text(char *out, const char *s, size_t n, size_t max)
{
    size_t m = n > max ? max : n;
    for (size_t i = 0; i < m; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (n > max) {
        memcpy(out + m, "...", 3);
        m += 3;
    }
    out[m] = '\0';
    return out;
}

/* ---- numbers and hashing ---- */

size_t gc_fmt_i64(char out[21], int64_t v)
{
    char tmp[20];
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t n = 0, k = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        out[k++] = '-';
    while (n)
        out[k++] = tmp[--n];
    out[k] = '\0';
    return k;
}

uint64_t gc_hash64(uint64_t seed, const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15u), w;
    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9u;
        h ^= h >> 31;
    }
    w = 0;
    memcpy(&w, p, n);
    h = (h ^ w) * 0x94d049bb133111ebu;
    return h ^ (h >> 29);
}
