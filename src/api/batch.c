/* $batch: validation of the envelope, dependency tracking, and assembly of the answer. */
#include "api/batch.h"

#include <assert.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "odata/serialize.h"
#include "odata/value.h"

typedef struct inner {
    const char *id;
    const char *method;
    const char *url;
    json_t *headers; /* object or NULL */
    json_t *body;    /* any JSON or NULL */
    size_t deps[GC_BATCH_MAX_REQUESTS];
    size_t n_deps;
    int status;
} inner;

/* The dependsOn of reqs[i] (an array or NULL) into its deps: each entry the id of an earlier
 * request, named once. So a request depends on at most i < GC_BATCH_MAX_REQUESTS others; a list
 * longer than the batch is refused before any entry is read. */
static int parse_depends(inner *reqs, size_t i, size_t count, json_t *deps, gc_err *err)
{
    inner *q = &reqs[i];
    size_t n = json_array_size(deps);
    if (n > count)
        return gc_err_set(err, GC_E_BAD_REQUEST, "dependsOn",
                          "Batch request '%s' lists %zu dependsOn entries, more than the %zu requests of the batch.",
                          q->id, n, count);
    for (size_t di = 0; di < n; di++) {
        const char *dep = json_string_value(json_array_get(deps, di));
        if (!dep)
            return gc_err_set(err, GC_E_BAD_REQUEST, "dependsOn",
                              "Entry %zu of the dependsOn of batch request '%s' is not a string: it must be the id of an earlier request.",
                              di + 1, q->id);
        if (strcmp(dep, q->id) == 0)
            return gc_err_set(err, GC_E_BAD_REQUEST, "dependsOn", "Batch request '%s' depends on itself.", q->id);
        size_t k = 0;
        while (k < i && strcmp(reqs[k].id, dep) != 0)
            k++;
        if (k == i)
            return gc_err_set(err, GC_E_BAD_REQUEST, "dependsOn",
                              "Batch request '%s' depends on '%.64s', which is not an earlier request of the batch.",
                              q->id, dep);
        for (size_t e = 0; e < q->n_deps; e++)
            if (q->deps[e] == k)
                return gc_err_set(err, GC_E_BAD_REQUEST, "dependsOn",
                                  "Batch request '%s' names '%s' twice in its dependsOn.", q->id, dep);
        assert(q->n_deps < i && i < GC_BATCH_MAX_REQUESTS);
        q->deps[q->n_deps++] = k;
    }
    return 0;
}

static int parse_envelope(json_t *root, inner *reqs, size_t *n, gc_err *err)
{
    json_t *arr = json_object_get(root, "requests");
    if (!json_is_array(arr))
        return gc_err_set(err, GC_E_BAD_REQUEST, "requests", "The batch must hold a 'requests' array.");
    size_t count = json_array_size(arr);
    if (count == 0)
        return gc_err_set(err, GC_E_BAD_REQUEST, "requests", "The batch holds no requests.");
    if (count > GC_BATCH_MAX_REQUESTS)
        return gc_err_set(err, GC_E_BAD_REQUEST, "requests",
                          "A batch may hold at most %d requests; this one holds %zu.",
                          GC_BATCH_MAX_REQUESTS, count);
    for (size_t i = 0; i < count; i++) {
        json_t *r = json_array_get(arr, i);
        inner *q = &reqs[i];
        memset(q, 0, sizeof *q);
        if (!json_is_object(r))
            return gc_err_set(err, GC_E_BAD_REQUEST, "requests", "Batch request %zu is not an object.", i + 1);
        q->id = json_string_value(json_object_get(r, "id"));
        q->method = json_string_value(json_object_get(r, "method"));
        q->url = json_string_value(json_object_get(r, "url"));
        if (!q->id || !*q->id || strlen(q->id) > 64)
            return gc_err_set(err, GC_E_BAD_REQUEST, "id",
                              "Batch request %zu needs an 'id' string of 1 to 64 characters.", i + 1);
        if (!q->method || !q->url)
            return gc_err_set(err, GC_E_BAD_REQUEST, "requests",
                              "Batch request '%s' needs 'method' and 'url' strings.", q->id);
        if (strstr(q->url, "://") || strncasecmp(q->url, "//", 2) == 0)
            return gc_err_set(err, GC_E_BAD_REQUEST, "url",
                              "Batch request '%s' must use a URL relative to the version, e.g. /deviceManagement/userPfxCertificates.",
                              q->id);
        if (strlen(q->url) > GC_BATCH_MAX_URL)
            return gc_err_set(err, GC_E_BAD_REQUEST, "url",
                              "The url of batch request '%s' is longer than %d bytes.", q->id,
                              GC_BATCH_MAX_URL);
        for (size_t k = 0; k < i; k++)
            if (strcmp(reqs[k].id, q->id) == 0)
                return gc_err_set(err, GC_E_BAD_REQUEST, "id", "The batch request id '%s' is used twice.", q->id);
        json_t *h = json_object_get(r, "headers");
        if (h && !json_is_object(h) && !json_is_null(h))
            return gc_err_set(err, GC_E_BAD_REQUEST, "headers", "The 'headers' of batch request '%s' must be an object.", q->id);
        q->headers = json_is_object(h) ? h : NULL;
        q->body = json_object_get(r, "body");
        json_t *deps = json_object_get(r, "dependsOn");
        if (deps && !json_is_array(deps) && !json_is_null(deps))
            return gc_err_set(err, GC_E_BAD_REQUEST, "dependsOn", "The 'dependsOn' of batch request '%s' must be an array of ids.", q->id);
        if (parse_depends(reqs, i, count, deps, err) < 0)
            return -1;
    }
    *n = count;
    return 0;
}

static const char *header_of(json_t *headers, const char *name)
{
    const char *k;
    json_t *v;
    json_object_foreach(headers, k, v)
        if (strcasecmp(k, name) == 0 && json_is_string(v))
            return json_string_value(v);
    return NULL;
}

/* The inner request q as the pipeline sees it: the outer one's arena and request-id, q's
 * method and URL under the version, q's headers (then the outer Authorization when q has none),
 * and q's body (with a JSON Content-Type when q sets none) when with_body. */
static void inner_request(const gc_http_req *outer, const char *version_name, const inner *q,
                          bool with_body, gc_http_req *r)
{
    gc_arena *a = outer->arena;
    *r = *outer;
    r->admitted = false; /* an inner request is routed, authorised and counted on its own */
    r->method = q->method;
    const char *url = q->url[0] == '/' ? q->url + 1 : q->url;
    r->raw_target = gc_arena_printf(a, "/%s/%s", version_name, url);
    const char *qm = strchr(r->raw_target, '?');
    r->path = qm ? gc_arena_strndup(a, r->raw_target, (size_t)(qm - r->raw_target)) : r->raw_target;
    r->query = qm ? qm + 1 : "";
    size_t nh = q->headers ? json_object_size(q->headers) : 0;
    gc_http_header *hs = gc_arena_alloc(a, (nh + 3) * sizeof *hs);
    size_t k = 0;
    const char *name;
    json_t *v;
    json_object_foreach(q->headers, name, v)
        if (json_is_string(v))
            hs[k++] = (gc_http_header){gc_arena_strdup(a, name), json_string_value(v)};
    const char *auth = gc_http_req_header(outer, "Authorization");
    if (auth && !header_of(q->headers, "Authorization"))
        hs[k++] = (gc_http_header){"Authorization", auth};
    bool has_body = with_body && q->body && !json_is_null(q->body);
    if (has_body && !header_of(q->headers, "Content-Type"))
        hs[k++] = (gc_http_header){"Content-Type", "application/json"};
    r->headers = hs;
    r->n_headers = k;
    r->body = NULL;
    r->body_len = 0;
    if (has_body) {
        char *s = json_dumps(q->body, JSON_COMPACT | JSON_ENCODE_ANY);
        if (s) {
            gc_arena_defer(a, gc_json_text_free, s);
            r->body = (const unsigned char *)s;
            r->body_len = strlen(s);
        }
    }
}

/* The answer to q as a JSON object of the batch response, from what the pipeline sent. */
static json_t *answer_of(inner *q, const gc_http_resp *out)
{
    q->status = out->status;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(q->id));
    json_object_set_new(o, "status", json_integer(out->status));
    json_t *headers = json_object();
    for (size_t i = 0; i < out->n_headers; i++)
        if (strcasecmp(out->headers[i].name, "request-id") != 0 &&
            strcasecmp(out->headers[i].name, "client-request-id") != 0)
            json_object_set_new(headers, out->headers[i].name, json_string(out->headers[i].value));
    if (out->content_type)
        json_object_set_new(headers, "Content-Type", json_string(out->content_type));
    json_object_set_new(o, "headers", headers);
    if (out->body && out->body_len) {
        json_t *b = NULL;
        if (out->content_type && strncmp(out->content_type, "application/json", 16) == 0)
            b = json_loadb(out->body, out->body_len, JSON_DECODE_ANY, NULL);
        json_object_set_new(o, "body", b ? b : json_stringn(out->body, out->body_len));
    }
    return o;
}

/* Runs q through the pipeline, or when dep_failed names a request it depends on that failed,
 * answers 424 through the pipeline's own error path (the same envelope as every error). */
static json_t *run_inner(const gc_http_req *outer, const char *version_name, inner *q,
                         const char *dep_failed, const gc_http_handler *h)
{
    gc_http_req r;
    inner_request(outer, version_name, q, !dep_failed, &r);
    gc_http_resp out = {0};
    if (dep_failed) {
        char msg[160];
        snprintf(msg, sizeof msg, "The request depends on '%s', which failed.", dep_failed);
        h->error(h->ctx, &r, GC_E_FAILED_DEPENDENCY, msg, &out);
    } else {
        h->handle(h->ctx, &r, &out);
    }
    return answer_of(q, &out);
}

int gc_api_batch(const gc_http_req *req, const char *version_name, const gc_http_handler *h,
                 gc_http_resp *resp, gc_err *err)
{
    json_t *root;
    if (gc_odata_parse_body(req->arena, req->body, req->body_len, &root, err) < 0)
        return -1;
    inner reqs[GC_BATCH_MAX_REQUESTS];
    size_t n = 0;
    if (parse_envelope(root, reqs, &n, err) < 0)
        return -1;
    json_t *answers = json_array();
    for (size_t i = 0; i < n; i++) {
        inner *q = &reqs[i];
        const char *failed = NULL;
        for (size_t d = 0; d < q->n_deps && !failed; d++) {
            int st = reqs[q->deps[d]].status;
            if (st < 200 || st > 299)
                failed = reqs[q->deps[d]].id;
        }
        json_array_append_new(answers, run_inner(req, version_name, q, failed, h));
    }
    json_t *o = json_pack("{s:o}", "responses", answers);
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!s)
        return gc_err_set(err, GC_E_INTERNAL, "", "The batch answer could not be written.");
    gc_arena_defer(req->arena, gc_json_text_free, s);
    resp->status = 200;
    resp->content_type = GC_ODATA_JSON_CT;
    resp->body = s;
    resp->body_len = strlen(s);
    return 0;
}
