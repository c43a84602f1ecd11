/* JSON batching (POST /{version}/$batch): up to 20 inner requests, run in order through the same
 * pipeline as any request, each with its own auth and permission check. */
#ifndef GC_API_BATCH_H
#define GC_API_BATCH_H

#include "core/err.h"
#include "http/http.h"

#define GC_BATCH_MAX_REQUESTS 20

/* Runs the batch in req (already authenticated by the caller) and fills resp with the 200
 * answer. A malformed batch → -1 with a GC_E_BAD_REQUEST naming what is wrong. run_one handles
 * one inner request (ctx is passed through). */
int gc_api_batch(const gc_http_req *req, const char *version_name,
                 void (*run_one)(void *ctx, const gc_http_req *inner, gc_http_resp *out), void *ctx,
                 gc_http_resp *resp, gc_err *err);

#endif
