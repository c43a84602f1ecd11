/* Graph requests over libcurl for the CLI tools (see graph_client.h). */
#include "cli/graph_client.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "core/util.h"

typedef struct reply_state {
    gc_buf body;
    char retry_after[32];
    char request_id[64];
} reply_state;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    reply_state *st = ud;
    /* past the limit the transfer stops (libcurl sees a short write) */
    return gc_buf_append(&st->body, p, size * n) < 0 ? 0 : size * n;
}

/* Copies the value of header line p[0..len) into out when its name is name. */
static void header_value(const char *p, size_t len, const char *name, char *out, size_t cap)
{
    size_t nlen = strlen(name);
    if (len <= nlen || strncasecmp(p, name, nlen) != 0 || p[nlen] != ':')
        return;
    p += nlen + 1;
    len -= nlen + 1;
    while (len && isspace((unsigned char)*p))
        p++, len--;
    while (len && isspace((unsigned char)p[len - 1]))
        len--;
    snprintf(out, cap, "%.*s", (int)len, p);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    reply_state *st = ud;
    header_value(p, size * n, "Retry-After", st->retry_after, sizeof st->retry_after);
    header_value(p, size * n, "request-id", st->request_id, sizeof st->request_id);
    return size * n;
}

int gc_client_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

/* Seconds to wait for a Retry-After value: whole seconds, 1 when absent or not a number. */
static long retry_wait(const char *v)
{
    char *end = NULL;
    errno = 0;
    long s = strtol(v, &end, 10);
    if (!*v || errno || end == v || *end != '\0' || s < 0)
        return 1;
    return s > GC_CLIENT_MAX_WAIT ? GC_CLIENT_MAX_WAIT : s;
}

/* One attempt. 0 with status and state filled, or -1 after printing the transport error. */
static int attempt(const gc_client *c, const char *method, const char *url, const char *body,
                   reply_state *st, long *status)
{
    int rc = -1;
    struct curl_slist *hdrs = NULL;
    char *auth = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *h = curl_easy_init();
    size_t alen = strlen(c->token) + 32;
    auth = malloc(alen);
    if (!h || !auth) {
        fprintf(stderr, "%s: out of memory\n", c->who);
        goto done;
    }
    snprintf(auth, alen, "Authorization: Bearer %s", c->token);
    struct curl_slist *more = curl_slist_append(hdrs, auth);
    if (more)
        hdrs = more;
    if (body && (more = curl_slist_append(hdrs, "Content-Type: application/json")))
        hdrs = more;
    if ((more = curl_slist_append(hdrs, "Accept: application/json")))
        hdrs = more;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, st);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, st);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "graphcerts-pfx-import");
    if (c->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
    CURLcode cc = curl_easy_perform(h);
    if (cc != CURLE_OK) {
        fprintf(stderr, "%s: %s %s failed: %s\n", c->who, method, url,
                errbuf[0] ? errbuf : curl_easy_strerror(cc));
        goto done;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    rc = 0;
done:
    if (auth) {
        explicit_bzero(auth, alen);
        free(auth);
    }
    curl_slist_free_all(hdrs); /* libcurl copies nothing: free after the transfer */
    curl_easy_cleanup(h);
    return rc;
}

int gc_client_request(const gc_client *c, const char *method, const char *url, const char *body,
                      gc_arena *a, gc_client_reply *out)
{
    for (int tries = 0;; tries++) {
        reply_state st;
        memset(&st, 0, sizeof st);
        gc_buf_init(&st.body, GC_CLIENT_MAX_BODY);
        long status = 0;
        int rc = attempt(c, method, url, body, &st, &status);
        if (rc == 0 && (status == 429 || status == 503) && tries < c->retries) {
            long wait = retry_wait(st.retry_after);
            fprintf(stderr, "%s: %s answered %ld; retrying in %ld s (retry %d of %d)\n", c->who,
                    method, status, wait, tries + 1, c->retries);
            gc_buf_free(&st.body);
            struct timespec ts = {.tv_sec = wait};
            while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
            continue;
        }
        if (rc == 0) {
            out->status = status;
            out->body = gc_arena_strndup(a, st.body.data ? st.body.data : "", st.body.len);
            out->body_len = st.body.len;
            snprintf(out->request_id, sizeof out->request_id, "%s", st.request_id);
        }
        gc_buf_free(&st.body);
        return rc;
    }
}
