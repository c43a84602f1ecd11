/* The generic API: one pipeline for every entity type — route, authenticate, authorise, read or
 * validate, store, serialise — with no per-entity code. It plugs into the HTTP adapter as a
 * gc_http_handler. */
#ifndef GC_API_API_H
#define GC_API_API_H

#include <stddef.h>

#include "api/throttle.h"
#include "auth/auth.h"
#include "core/err.h"
#include "api/request.h"
#include "store/store.h"

typedef struct gc_api_config {
    gc_store *store;        /* not owned */
    gc_auth *auth;          /* not owned */
    const char *public_url; /* base of @odata.context, Location, nextLink; NULL: from the request */
    size_t max_page_size;   /* entities per page; default 1000 */
    /* 32 bytes that sign $skiptoken values, shared by every node of one deployment so a
     * nextLink works on any of them; NULL: random for this process. */
    const unsigned char *skiptoken_key;
    /* Not owned; NULL: no throttling. Every authenticated request is counted against the
     * token's tenant and application (a $batch as one request, plus each of its inner
     * requests by its own method); beyond a limit → 429 with Retry-After. */
    gc_throttle *throttle;
} gc_api_config;

typedef struct gc_api gc_api;

int gc_api_new(const gc_api_config *cfg, gc_api **out, gc_err *err);
void gc_api_free(gc_api *api);
struct gc_api_metrics;
/* The request metrics the handler records (api/metrics.h); owned by api. */
struct gc_api_metrics *gc_api_get_metrics(gc_api *api);
/* The handler to give gc_http_start; valid while api lives. */
gc_http_handler gc_api_http_handler(gc_api *api);

#endif
