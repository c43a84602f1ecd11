/* $batch: validation of the envelope, dependency tracking, and assembly of the answer. */
#include "api/batch.h"

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
        if (json_array_size(deps) > GC_BATCH_MAX_REQUESTS) /* q->deps holds that many */
            return gc_err_set(err, GC_E_BAD_REQUEST, "dependsOn",
                              "The 'dependsOn' of batch request '%s' lists %zu ids; at most %d are allowed.",
                              q->id, json_array_size(deps), GC_BATCH_MAX_REQUESTS);
        size_t di;
        json_t *d;
        json_array_foreach(deps, di, d) {
            const char *dep = json_string_value(d);
            size_t k = 0;
            while (dep && k < i && strcmp(reqs[k].id, dep) != 0)
                k++;
            if (!dep || k == i)
                return gc_err_set(err, GC_E_BAD_REQUEST, "dependsOn",
                                  "Batch request '%s' depends on '%.64s', which is not an earlier request of the batch.",
                                  q->id, dep ? dep : "(not a string)");
            q->deps[q->n_deps++] = k;
        }
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

/* Builds and runs one inner request; returns its answer as a JSON object. */
static json_t *run_inner(const gc_http_req *outer, const char *version_name, inner *q,
                         void (*run_one)(void *, const gc_http_req *, gc_http_resp *), void *ctx)
{
    gc_arena *a = outer->arena;
    gc_http_req r = *outer;
    r.method = q->method;
    const char *url = q->url[0] == '/' ? q->url + 1 : q->url;
    r.raw_target = gc_arena_printf(a, "/%s/%s", version_name, url);
    const char *qm = strchr(r.raw_target, '?');
    r.path = qm ? gc_arena_strndup(a, r.raw_target, (size_t)(qm - r.raw_target)) : r.raw_target;
    r.query = qm ? qm + 1 : "";
    /* headers: the inner ones, then the outer Authorization when the inner has none */
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
    bool has_body = q->body && !json_is_null(q->body);
    if (has_body && !header_of(q->headers, "Content-Type"))
        hs[k++] = (gc_http_header){"Content-Type", "application/json"};
    r.headers = hs;
    r.n_headers = k;
    r.body = NULL;
    r.body_len = 0;
    if (has_body) {
        char *s = json_dumps(q->body, JSON_COMPACT | JSON_ENCODE_ANY);
        if (s) {
            gc_arena_defer(a, gc_json_text_free, s);
            r.body = (const unsigned char *)s;
            r.body_len = strlen(s);
        }
    }
    gc_http_resp out = {0};
    run_one(ctx, &r, &out);
    q->status = out.status;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(q->id));
    json_object_set_new(o, "status", json_integer(out.status));
    json_t *headers = json_object();
    for (size_t i = 0; i < out.n_headers; i++)
        if (strcasecmp(out.headers[i].name, "request-id") != 0 &&
            strcasecmp(out.headers[i].name, "client-request-id") != 0)
            json_object_set_new(headers, out.headers[i].name, json_string(out.headers[i].value));
    if (out.content_type)
        json_object_set_new(headers, "Content-Type", json_string(out.content_type));
    json_object_set_new(o, "headers", headers);
    if (out.body && out.body_len) {
        json_t *b = NULL;
        if (out.content_type && strncmp(out.content_type, "application/json", 16) == 0)
            b = json_loadb(out.body, out.body_len, JSON_DECODE_ANY, NULL);
        json_object_set_new(o, "body", b ? b : json_stringn(out.body, out.body_len));
    }
    return o;
}

static json_t *failed_dependency(const inner *q, const char *dep_id)
{
    char msg[160];
    snprintf(msg, sizeof msg, "The request depends on '%s', which failed.", dep_id);
    return json_pack("{s:s,s:i,s:{s:s},s:{s:{s:s,s:s}}}", "id", q->id, "status", 424, "headers",
                     "Content-Type", GC_ODATA_JSON_CT, "body", "error", "code", "FailedDependency", "message", msg);
}

int gc_api_batch(const gc_http_req *req, const char *version_name,
                 void (*run_one)(void *ctx, const gc_http_req *inner, gc_http_resp *out), void *ctx,
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
        if (failed) {
            q->status = 424;
            json_array_append_new(answers, failed_dependency(q, failed));
            continue;
        }
        json_array_append_new(answers, run_inner(req, version_name, q, run_one, ctx));
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
