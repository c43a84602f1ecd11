/* Fuzz target for JSON batching (src/api/batch.c): the envelope, dependsOn, the inner requests
 * built from it and the answer. The input is the $batch body. Inner requests go to a stub
 * runner that checks what it is given and answers a status picked from the URL, so no store is
 * needed. Oracle: a refusal is a clean 400 whose message JSON can carry; an accepted batch
 * answers every request, in order, with the stub's status or 424 when a dependency failed. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "api/batch.h"
#include "fuzz.h"

#define OUTER_AUTH "Bearer outer-token"

static const int statuses[] = {200, 201, 204, 400, 404, 412, 500, 503};

/* The stub's answer for a URL (the part after the version, as the client wrote it). */
static int status_for(const char *url)
{
    unsigned sum = 0;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        sum += *p;
    return statuses[sum % (sizeof statuses / sizeof statuses[0])];
}

static void stub_run(void *ctx, const gc_http_req *in, gc_http_resp *out)
{
    (void)ctx;
    CHECK(in->arena && in->method && in->raw_target && in->path && in->query);
    CHECK(strncmp(in->raw_target, "/beta/", 6) == 0 && strncmp(in->path, "/beta/", 6) == 0);
    size_t plen = strlen(in->path);
    CHECK(strncmp(in->raw_target, in->path, plen) == 0);
    CHECK(in->raw_target[plen] == '\0' ? *in->query == '\0'
                                       : in->raw_target[plen] == '?' && strcmp(in->query, in->raw_target + plen + 1) == 0);
    for (size_t i = 0; i < in->n_headers; i++)
        CHECK(in->headers[i].name && in->headers[i].value);
    CHECK(gc_http_req_header(in, "Authorization"));
    if (in->body) {
        CHECK(in->body_len == strlen((const char *)in->body));
        json_t *j = json_loadb((const char *)in->body, in->body_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        CHECK(j);
        json_decref(j);
        CHECK(gc_http_req_header(in, "Content-Type"));
    }
    int st = status_for(in->raw_target + 6);
    out->status = st;
    out->headers[out->n_headers++] = (gc_http_header){"request-id", "00000000-0000-0000-0000-000000000001"};
    out->headers[out->n_headers++] = (gc_http_header){"ETag", "W/\"1\""};
    if (st == 204)
        return;
    if (st == 503) {
        out->content_type = "text/plain";
        out->body = gc_arena_strdup(in->arena, "busy");
    } else {
        out->content_type = "application/json;odata.metadata=minimal";
        out->body = gc_arena_printf(in->arena, "{\"status\":%d}", st);
    }
    out->body_len = strlen(out->body);
}

static bool ok_status(int st)
{
    return st >= 200 && st <= 299;
}

/* Checks the answer against the statuses the envelope implies. */
static void check_answer(const uint8_t *data, size_t size, const gc_http_resp *resp)
{
    json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    json_t *out = json_loadb(resp->body, resp->body_len, JSON_REJECT_DUPLICATES, NULL);
    CHECK(in && out && resp->status == 200);
    json_t *reqs = json_object_get(in, "requests"), *answers = json_object_get(out, "responses");
    size_t n = json_array_size(reqs);
    CHECK(n >= 1 && n <= GC_BATCH_MAX_REQUESTS && json_array_size(answers) == n);
    int got[GC_BATCH_MAX_REQUESTS];
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(reqs, i), *a = json_array_get(answers, i);
        const char *id = json_string_value(json_object_get(r, "id"));
        CHECK(id && json_equal(json_object_get(a, "id"), json_object_get(r, "id")));
        bool dep_failed = false;
        size_t di;
        json_t *d;
        json_array_foreach(json_object_get(r, "dependsOn"), di, d) {
            size_t k = 0;
            while (k < i && strcmp(json_string_value(json_object_get(json_array_get(reqs, k), "id")),
                                   json_string_value(d)) != 0)
                k++;
            CHECK(k < i);
            dep_failed = dep_failed || !ok_status(got[k]);
        }
        int want = dep_failed ? 424 : status_for(json_string_value(json_object_get(r, "url")) +
                                                 (json_string_value(json_object_get(r, "url"))[0] == '/'));
        got[i] = (int)json_integer_value(json_object_get(a, "status"));
        CHECK(got[i] == want);
        json_t *headers = json_object_get(a, "headers");
        CHECK(json_is_object(headers) && !json_object_get(headers, "request-id"));
        if (want == 424)
            CHECK(strcmp(json_string_value(json_object_get(
                             json_object_get(json_object_get(a, "body"), "error"), "code")),
                         "FailedDependency") == 0);
        else
            CHECK(want == 204 ? !json_object_get(a, "body") : json_object_get(a, "body") != NULL);
    }
    json_decref(in);
    json_decref(out);
}

/* The error hook: a FailedDependency (424) answer with a Graph envelope. */
static void stub_error(void *ctx, const gc_http_req *req, gc_errkind kind, const char *message,
                       gc_http_resp *resp)
{
    (void)ctx;
    CHECK(kind == GC_E_FAILED_DEPENDENCY && message && *message);
    resp->status = gc_err_http_status(kind);
    resp->content_type = "application/json";
    resp->body = gc_arena_strdup(req->arena, "{\"error\":{\"code\":\"FailedDependency\","
                                             "\"message\":\"x\",\"innerError\":{}}}");
    resp->body_len = strlen(resp->body);
}

static const gc_http_handler stub = {.handle = stub_run, .error = stub_error};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gc_arena *a = gc_arena_new();
    gc_http_header headers[] = {{"Authorization", OUTER_AUTH}, {"Content-Type", "application/json"}};
    unsigned char *body = gc_arena_alloc(a, size + 1);
    if (size)
        memcpy(body, data, size);
    body[size] = '\0';
    gc_http_req req = {.arena = a, .method = "POST", .raw_target = "/beta/$batch",
                       .path = "/beta/$batch", .query = "", .scheme = "http", .host = "localhost",
                       .headers = headers, .n_headers = 2, .body = body, .body_len = size};
    gc_http_resp resp = {0};
    gc_err err = {0};
    if (gc_api_batch(&req, "beta", &stub, &resp, &err) == 0) {
        check_answer(data, size, &resp);
    } else {
        size_t len = strlen(err.message);
        CHECK(err.kind == GC_E_BAD_REQUEST);
        CHECK(len > 0 && len < sizeof err.message - 1 && err.message[len - 1] == '.');
        json_t *m = json_string(err.message); /* it goes into a JSON error envelope */
        CHECK(m);
        json_decref(m);
    }
    gc_arena_free(a);
    return 0;
}
