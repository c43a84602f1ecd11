/* JSON batching (POST /{version}/$batch): up to 20 inner requests, run in order through the same
 * pipeline as any request, each with its own auth and permission check. */
#ifndef GC_API_BATCH_H
#define GC_API_BATCH_H

#include "core/err.h"
#include "api/request.h"

#define GC_BATCH_MAX_REQUESTS 20
/* Longest inner url, as the HTTP edge's default for a request target: a batch is no way around it. */
#define GC_BATCH_MAX_URL 32768

/* Runs the batch in req (already authenticated by the caller) and fills resp with the 200
 * answer. A malformed batch → -1 with a GC_E_BAD_REQUEST naming what is wrong, and nothing run.
 * h->handle answers one inner request; h->error answers one that is not run because a request
 * it depends on failed (GC_E_FAILED_DEPENDENCY), so its 424 is made like every other error. */
int gc_api_batch(const gc_http_req *req, const char *version_name, const gc_http_handler *h,
                 gc_http_resp *resp, gc_err *err);

#endif
