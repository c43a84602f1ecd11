/* Value codecs shared by every layer: base64, hex, GUIDs, RFC 3339 date-times as .NET-style
 * ticks (100 ns since 0001-01-01T00:00:00Z), ASCII string helpers and a growable byte buffer
 * with a hard limit. Pure functions except gc_guid_v4 (OpenSSL RNG) and gc_now_ticks (clock). */
#include "core/util.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- base64 ---- */

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *b64_encode(gc_arena *a, const unsigned char *data, size_t len, const char *alphabet,
                        bool pad)
{
    char *out = gc_arena_alloc(a, (len + 2) / 3 * 4 + 1);
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

char *gc_base64_encode(gc_arena *a, const unsigned char *data, size_t len)
{
    return b64_encode(a, data, len, b64_std, true);
}

char *gc_base64url_encode(gc_arena *a, const unsigned char *data, size_t len)
{
    return b64_encode(a, data, len, b64_url, false);
}

/* The 6-bit value of c in either alphabet, or -1. */
static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
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

    size_t olen = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
    unsigned char *buf = gc_arena_alloc(a, olen + 1);
    unsigned char *o = buf;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *o++ = (unsigned char)(acc >> bits);
        }
    }
    *o = '\0';
    *out = buf;
    *out_len = olen;
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

static int hex_value(unsigned char c)
{
    return gc_hex_digit(c);
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
        if (hex_value((unsigned char)s[i]) < 0)
            return false;
    return true;
}

/* ---- GUIDs ---- */

static void guid_format(const unsigned char b[16], char out[GC_GUID_LEN + 1])
{
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        gc_hex_lower(b + i, 1, o);
        o += 2;
    }
    *o = '\0';
}

static void guid_set_version(unsigned char b[16], int version)
{
    b[6] = (unsigned char)((b[6] & 0x0f) | version << 4);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant 10 */
}

bool gc_guid_valid(const char *s, size_t len)
{
    if (len != GC_GUID_LEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : hex_value((unsigned char)s[i]) < 0)
            return false;
    }
    return true;
}

void gc_guid_v4(char out[GC_GUID_LEN + 1])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) {
        /* like running out of memory: nothing sensible to answer without randomness */
        fputs("graphcerts: RAND_bytes failed\n", stderr);
        abort();
    }
    guid_set_version(b, 4);
    guid_format(b, out);
}

static uint64_t rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void gc_guid_v4_fast(char out[GC_GUID_LEN + 1])
{
    /* per-thread state: no locking, and no shared "last value" between requests */
    static _Thread_local uint64_t s[4];
    static _Thread_local bool seeded;
    if (!seeded) {
        do
            gc_random_bytes((unsigned char *)s, sizeof s);
        while ((s[0] | s[1] | s[2] | s[3]) == 0);
        seeded = true;
    }
    unsigned char b[16];
    for (int half = 0; half < 2; half++) {
        uint64_t r = rotl64(s[1] * 5, 7) * 9, t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl64(s[3], 45);
        memcpy(b + 8 * half, &r, 8);
    }
    guid_set_version(b, 4);
    guid_format(b, out);
}

int gc_guid_v5(const char *ns, const char *name, size_t name_len, char out[GC_GUID_LEN + 1])
{
    int rc = -1;
    EVP_MD_CTX *ctx = NULL;
    unsigned char nsb[16], md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (!ns || !gc_guid_valid(ns, strlen(ns)))
        goto done;
    for (size_t i = 0, j = 0; i < 16; j++) {
        if (ns[j] == '-')
            continue;
        nsb[i++] = (unsigned char)(hex_value((unsigned char)ns[j]) << 4 |
                                   hex_value((unsigned char)ns[j + 1]));
        j++;
    }
    ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, nsb, sizeof nsb) != 1 ||
        (name_len > 0 && EVP_DigestUpdate(ctx, name, name_len) != 1) ||
        EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen < 16)
        goto done;
    guid_set_version(md, 5);
    guid_format(md, out);
    rc = 0;
done:
    EVP_MD_CTX_free(ctx);
    return rc;
}

/* ---- date-times ---- */

#define TICKS_PER_SECOND INT64_C(10000000)
#define TICKS_PER_DAY (86400 * TICKS_PER_SECOND)
#define DAYS_0001_TO_1970 INT64_C(719162)
#define UNIX_EPOCH_TICKS (DAYS_0001_TO_1970 * TICKS_PER_DAY)
/* 9999-12-31T23:59:59.9999999Z, the largest instant .NET (and so Graph) can represent */
#define MAX_TICKS INT64_C(3155378975999999999)

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* Reads exactly n decimal digits at s[*pos] into *out. */
static bool take_digits(const char *s, size_t len, size_t *pos, int n, int *out)
{
    if (len - *pos < (size_t)n)
        return false;
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = s[*pos + (size_t)i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *pos += (size_t)n;
    *out = v;
    return true;
}

static bool take_char(const char *s, size_t len, size_t *pos, const char *accept)
{
    if (*pos >= len || !s[*pos] || !strchr(accept, s[*pos]))
        return false;
    (*pos)++;
    return true;
}

int gc_datetime_parse(const char *s, size_t len, int64_t *ticks)
{
    int rc = -1;
    size_t p = 0;
    int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0, frac = 0;
    int off_h = 0, off_m = 0, off_sign = 0;

    if (!take_digits(s, len, &p, 4, &year) || !take_char(s, len, &p, "-") ||
        !take_digits(s, len, &p, 2, &mon) || !take_char(s, len, &p, "-") ||
        !take_digits(s, len, &p, 2, &day) || !take_char(s, len, &p, "Tt") ||
        !take_digits(s, len, &p, 2, &hour) || !take_char(s, len, &p, ":") ||
        !take_digits(s, len, &p, 2, &min))
        goto done;
    if (take_char(s, len, &p, ":")) {
        if (!take_digits(s, len, &p, 2, &sec))
            goto done;
        if (take_char(s, len, &p, ".")) {
            int ndigits = 0, digit;
            while (ndigits < 7 && take_digits(s, len, &p, 1, &digit)) {
                frac = frac * 10 + digit;
                ndigits++;
            }
            if (ndigits == 0)
                goto done;
            for (int i = ndigits; i < 7; i++)
                frac *= 10;
        }
    }
    if (take_char(s, len, &p, "Zz")) {
        off_sign = 0;
    } else if (p < len && (s[p] == '+' || s[p] == '-')) {
        off_sign = s[p++] == '-' ? -1 : 1;
        if (!take_digits(s, len, &p, 2, &off_h) || !take_char(s, len, &p, ":") ||
            !take_digits(s, len, &p, 2, &off_m))
            goto done;
    } else {
        goto done; /* no zone, or an eighth fractional digit */
    }
    if (p != len)
        goto done;

    if (year < 1 || mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
        hour > 23 || min > 59 || sec > 59 || off_m > 59 || off_h * 60 + off_m > 14 * 60)
        goto done;

    int64_t days = days_from_civil(year, mon, day) + DAYS_0001_TO_1970;
    int64_t local_seconds = days * 86400 + hour * 3600 + min * 60 + sec;
    int64_t utc_seconds = local_seconds - off_sign * (off_h * 3600 + off_m * 60);
    if (utc_seconds < 0)
        goto done;
    int64_t t = utc_seconds * TICKS_PER_SECOND + frac;
    if (t > MAX_TICKS)
        goto done;
    *ticks = t;
    rc = 0;
done:
    return rc;
}

/* Ticks outside 0..9999-12-31T23:59:59.9999999Z are clamped to that range. */
static void datetime_format(int64_t ticks, bool all_digits, char out[32])
{
    if (ticks < 0)
        ticks = 0;
    if (ticks > MAX_TICKS)
        ticks = MAX_TICKS;
    int64_t days = ticks / TICKS_PER_DAY;
    int64_t rem = ticks % TICKS_PER_DAY;
    int secs = (int)(rem / TICKS_PER_SECOND);
    int frac = (int)(rem % TICKS_PER_SECOND);
    int64_t y;
    int m, d;
    civil_from_days(days - DAYS_0001_TO_1970, &y, &m, &d);

    int n = snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d", (int)y, m, d, secs / 3600,
                     secs / 60 % 60, secs % 60);
    if (frac > 0 || all_digits) {
        int digits = 7;
        while (!all_digits && frac % 10 == 0) {
            frac /= 10;
            digits--;
        }
        n += snprintf(out + n, 32 - (size_t)n, ".%0*d", digits, frac);
    }
    snprintf(out + n, 32 - (size_t)n, "Z");
}

void gc_datetime_format(int64_t ticks, char out[32])
{
    datetime_format(ticks, false, out);
}

void gc_datetime_format_stamp(int64_t ticks, char out[32])
{
    datetime_format(ticks, true, out);
}

int64_t gc_ticks_from_unix(int64_t seconds)
{
    /* clamp so the multiplication cannot overflow; anything beyond is out of range anyway */
    const int64_t lo = -UNIX_EPOCH_TICKS / TICKS_PER_SECOND;
    const int64_t hi = (INT64_MAX - UNIX_EPOCH_TICKS) / TICKS_PER_SECOND;
    if (seconds < lo)
        seconds = lo;
    if (seconds > hi)
        seconds = hi;
    return UNIX_EPOCH_TICKS + seconds * TICKS_PER_SECOND;
}

int64_t gc_now_ticks(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return gc_ticks_from_unix((int64_t)ts.tv_sec) + ts.tv_nsec / 100;
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

/* ---- growable buffer ---- */
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

/* ---- digests ---- */

#include <openssl/hmac.h>

void gc_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                    unsigned char out[32])
{
    unsigned int n = 32;
    if (!HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n)) {
        fputs("graphcerts: HMAC failed\n", stderr);
        abort();
    }
}

void gc_random_bytes(unsigned char *out, size_t n)
{
    if (RAND_bytes(out, (int)n) != 1) {
        fputs("graphcerts: RAND_bytes failed\n", stderr);
        abort();
    }
}

bool gc_equal_const_time(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    uint64_t diff = 0, u, v;
    size_t i = 0;
    for (; n - i >= 8; i += 8) {
        memcpy(&u, x + i, 8);
        memcpy(&v, y + i, 8);
        diff |= u ^ v;
    }
    for (; i < n; i++)
        diff |= (uint64_t)(x[i] ^ y[i]);
    return diff == 0;
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
