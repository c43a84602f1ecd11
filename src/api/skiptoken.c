/* $skiptoken = base64url(JSON position) "." base64url(first 16 bytes of
 * HMAC-SHA-256(key, binding "\n" JSON position)). */
#include "api/skiptoken.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define MAC_LEN 16
#define MAX_TOKEN 8192

static void mac_of(gc_arena *a, const unsigned char *key, const char *binding, const char *payload,
                   size_t payload_len, unsigned char out[32])
{
    size_t bl = strlen(binding);
    char *msg = gc_arena_alloc(a, bl + 1 + payload_len);
    memcpy(msg, binding, bl);
    msg[bl] = '\n';
    memcpy(msg + bl + 1, payload, payload_len);
    gc_hmac_sha256(key, GC_SKIPTOKEN_KEY_LEN, msg, bl + 1 + payload_len, out);
}

const char *gc_skiptoken_make(gc_arena *a, const unsigned char key[GC_SKIPTOKEN_KEY_LEN],
                              const char *binding, const json_t *position)
{
    char *payload = json_dumps(position, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!payload)
        return NULL;
    gc_arena_defer(a, gc_json_text_free, payload);
    size_t n = strlen(payload);
    unsigned char mac[32];
    mac_of(a, key, binding, payload, n, mac);
    return gc_arena_printf(a, "%s.%s", gc_base64url_encode(a, (const unsigned char *)payload, n),
                           gc_base64url_encode(a, mac, MAC_LEN));
}

static int bad(gc_err *err)
{
    return gc_err_set(err, GC_E_BAD_REQUEST, "$skiptoken",
                      "The $skiptoken is not valid for this request: use the @odata.nextLink exactly as it was given.");
}

int gc_skiptoken_read(gc_arena *a, const unsigned char key[GC_SKIPTOKEN_KEY_LEN],
                      const char *binding, const char *token, json_t **position, gc_err *err)
{
    size_t tn = strlen(token);
    const char *dot = strchr(token, '.');
    if (tn > MAX_TOKEN || !dot)
        return bad(err);
    unsigned char *payload, *mac;
    size_t pn, mn;
    if (gc_base64_decode(a, token, (size_t)(dot - token), &payload, &pn) < 0 ||
        gc_base64_decode(a, dot + 1, strlen(dot + 1), &mac, &mn) < 0 || mn != MAC_LEN)
        return bad(err);
    unsigned char want[32];
    mac_of(a, key, binding, (const char *)payload, pn, want);
    if (!gc_equal_const_time(want, mac, MAC_LEN))
        return bad(err);
    json_t *j = json_loadb((const char *)payload, pn, 0, NULL);
    if (!j)
        return bad(err);
    gc_arena_json(a, j);
    if (!json_is_array(j) || json_array_size(j) == 0)
        return bad(err);
    *position = j;
    return 0;
}
