/* Mints HS256 tokens for local use (the `graphcerts token` command and tests): the claims an
 * Entra ID access token for Microsoft Graph carries that graphcerts reads, signed with the
 * shared secret. */
#include "auth/auth_int.h"

#include "core/arena.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A random (v4) GUID for the oid claim. */
static int random_guid(char out[37])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        return -1;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return 0;
}

/* Space-separated words → JSON array of strings. */
static json_t *split_words(const char *s)
{
    json_t *arr = json_array();
    while (arr && *s) {
        while (*s == ' ')
            s++;
        const char *w = s;
        while (*s && *s != ' ')
            s++;
        if (s > w && json_array_append_new(arr, json_stringn(w, (size_t)(s - w))) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return arr;
}

/* base64url of the compact JSON of j, malloc'd. */
static char *json_segment(json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    if (!text)
        return NULL;
    char *seg = gc_base64url_encode_heap((const unsigned char *)text, strlen(text));
    gc_json_text_free(text);
    return seg;
}

char *gc_auth_mint_hs256(const unsigned char *secret, size_t secret_len, const char *tenant,
                         const char *scopes, const char *roles, int64_t now, int64_t ttl)
{
    char *token = NULL;
    json_t *header = NULL, *claims = NULL;
    char *h64 = NULL, *p64 = NULL, *s64 = NULL, *iss = NULL;
    unsigned char mac[32];
    char tid[37], oid[37];
    if (!secret || secret_len == 0 || !tenant || !gc_guid_valid(tenant, strlen(tenant)) ||
        ttl <= 0 || now > INT64_MAX - ttl || random_guid(oid) < 0)
        goto done;
    for (size_t i = 0; i < 36; i++)
        tid[i] = (char)tolower((unsigned char)tenant[i]);
    tid[36] = '\0';
    size_t iss_len = sizeof "https://sts.windows.net//" + 36;
    iss = malloc(iss_len);
    if (!iss)
        goto done;
    snprintf(iss, iss_len, "https://sts.windows.net/%s/", tid);

    header = json_pack("{s:s, s:s}", "alg", "HS256", "typ", "JWT");
    claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "aud", "https://graph.microsoft.com",
                       "iss", iss, "tid", tid, "iat", (json_int_t)now, "nbf", (json_int_t)now,
                       "exp", (json_int_t)(now + ttl), "oid", oid);
    if (!header || !claims)
        goto done;
    if (scopes && json_object_set_new(claims, "scp", json_string(scopes)) < 0)
        goto done;
    if (roles && json_object_set_new(claims, "roles", split_words(roles)) < 0)
        goto done;

    h64 = json_segment(header);
    p64 = json_segment(claims);
    if (!h64 || !p64)
        goto done;
    size_t h_len = strlen(h64), p_len = strlen(p64);
    size_t signed_len = h_len + 1 + p_len;
    token = malloc(signed_len + 1 + 43 + 1);
    if (!token)
        goto done;
    memcpy(token, h64, h_len);
    token[h_len] = '.';
    memcpy(token + h_len + 1, p64, p_len);
    if (gc_auth_hs256_sign(secret, secret_len, (const unsigned char *)token, signed_len, mac) < 0 ||
        !(s64 = gc_base64url_encode_heap(mac, sizeof mac))) {
        free(token);
        token = NULL;
        goto done;
    }
    token[signed_len] = '.';
    memcpy(token + signed_len + 1, s64, 43 + 1); /* 32 bytes → 43 characters, and the NUL */
done:
    OPENSSL_cleanse(mac, sizeof mac);
    free(s64);
    free(p64);
    free(h64);
    free(iss);
    json_decref(claims);
    json_decref(header);
    return token;
}
