/* The token keys fetched from a JWKS URL (Entra ID publishes them at
 * https://login.microsoftonline.com/common/discovery/v2.0/keys) with libcurl: https only, the
 * server's certificate verified, the body bounded, and a few attempts before giving up. */
#include "auth/auth_int.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

typedef struct body {
    unsigned char *data;
    size_t len;
    bool too_big;
} body;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ctx)
{
    body *b = ctx;
    size_t n = size * nmemb;
    if (b->len + n > GC_AUTH_MAX_JWKS) {
        b->too_big = true;
        return 0; /* aborts the transfer */
    }
    unsigned char *grown = realloc(b->data, b->len + n + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->len, ptr, n);
    b->data = grown;
    b->len += n;
    return n;
}

/* One attempt: 0 with the body, or -1 with err saying why (the URL holds no secret). */
static int fetch_once(const char *url, const char *ca_file, body *b, gc_err *err)
{
    CURL *c = curl_easy_init();
    if (!c)
        return gc_err_set(err, GC_E_INTERNAL, "", "cannot start a JWKS download (libcurl)");
    char why[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, why);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    if (ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (b->too_big)
        return gc_err_set(err, GC_E_INTERNAL, "", "the JWKS at %.200s is larger than %d bytes", url,
                          GC_AUTH_MAX_JWKS);
    if (rc != CURLE_OK)
        return gc_err_set(err, GC_E_INTERNAL, "", "cannot fetch the JWKS at %.200s: %.200s", url,
                          why[0] ? why : curl_easy_strerror(rc));
    if (status != 200)
        return gc_err_set(err, GC_E_INTERNAL, "", "cannot fetch the JWKS at %.200s: HTTP status %ld", url,
                          status);
    return 0;
}

int gc_auth_jwks_fetch(const char *url, const char *ca_file, gc_jwks *out, gc_err *err)
{
    if (strncmp(url, "https://", 8) != 0)
        return gc_err_set(err, GC_E_INTERNAL, "", "the JWKS URL must be https://, got '%.200s'", url);
    int result = -1;
    for (int attempt = 0; attempt < GC_AUTH_JWKS_ATTEMPTS && result < 0; attempt++) {
        if (attempt) {
            struct timespec ts = {0, 250000000L << (attempt - 1)};
            nanosleep(&ts, NULL);
        }
        body b = {NULL, 0, false};
        if (fetch_once(url, ca_file, &b, err) == 0)
            result = gc_auth_jwks_parse(url, b.data ? b.data : (const unsigned char *)"", b.len, out, err);
        free(b.data);
    }
    return result;
}
