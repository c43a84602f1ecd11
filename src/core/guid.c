/* GUIDs: v4 (random, from the crypto module's generator, or a fast per-thread one for request
 * ids), v5 (name-based, SHA-1) and the 8-4-4-4-12 check. */
#include "core/guid.h"

#include <stdbool.h>
#include <string.h>

#include "core/codec.h"
#include "core/crypto.h"

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
        if (dash ? s[i] != '-' : gc_hex_digit((unsigned char)s[i]) < 0)
            return false;
    }
    return true;
}

void gc_guid_v4(char out[GC_GUID_LEN + 1])
{
    unsigned char b[16];
    gc_random_bytes(b, sizeof b);
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
    unsigned char nsb[16], md[GC_SHA1_LEN];
    if (!ns || !gc_guid_valid(ns, strlen(ns)))
        return -1;
    for (size_t i = 0, j = 0; i < 16; j++) {
        if (ns[j] == '-')
            continue;
        nsb[i++] = (unsigned char)(gc_hex_digit((unsigned char)ns[j]) << 4 |
                                   gc_hex_digit((unsigned char)ns[j + 1]));
        j++;
    }
    if (gc_sha1_2(nsb, sizeof nsb, name, name_len, md) != 0)
        return -1;
    guid_set_version(md, 5);
    guid_format(md, out);
    return 0;
}
