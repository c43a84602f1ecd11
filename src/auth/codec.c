/* The text codecs JWTs need: strict base64url (no padding, canonical trailing bits, so one
 * signature has exactly one spelling) and the GUID form of a tenant id. Kept private to auth so
 * token parsing does not depend on how other layers treat lenient input. */
#include "auth/auth_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

int gc_auth_b64url_decode(const char *s, size_t len, unsigned char **out, size_t *out_len)
{
    int result = -1;
    unsigned char *buf = NULL;
    if (len % 4 == 1)
        goto done;
    size_t cap = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    buf = malloc(cap + 1);
    if (!buf)
        goto done;
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value((unsigned char)s[i]);
        if (v < 0)
            goto done;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* leftover bits must be zero */
        goto done;
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    buf = NULL;
    result = 0;
done:
    free(buf);
    return result;
}

char *gc_auth_b64url_encode(const unsigned char *data, size_t len)
{
    char *out = malloc(len / 3 * 4 + 4 + 1);
    if (!out)
        return NULL;
    size_t n = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        out[n++] = b64url_alphabet[v >> 18];
        out[n++] = b64url_alphabet[(v >> 12) & 63];
        out[n++] = b64url_alphabet[(v >> 6) & 63];
        out[n++] = b64url_alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)data[i] << 16;
        out[n++] = b64url_alphabet[v >> 18];
        out[n++] = b64url_alphabet[(v >> 12) & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8;
        out[n++] = b64url_alphabet[v >> 18];
        out[n++] = b64url_alphabet[(v >> 12) & 63];
        out[n++] = b64url_alphabet[(v >> 6) & 63];
    }
    out[n] = '\0';
    return out;
}

bool gc_auth_guid_ok(const char *s, size_t len)
{
    if (len != 36)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}
