/* The admin endpoints, served on their own listener (--admin-listen) without a token, for a
 * private interface only: GET /readyz (does the store answer?) and GET /metrics (Prometheus
 * text format 0.0.4: API requests and latency, store latency, open connections, throttled
 * requests, and certificates expiring within 7, 30 and 90 days per set and tenant). */
#ifndef GC_API_ADMIN_H
#define GC_API_ADMIN_H

#include "api/api.h"
#include "api/request.h"
#include "store/store.h"

typedef struct gc_admin_config {
    gc_api *api;                 /* whose request metrics are served; not owned */
    gc_store *store;             /* not owned */
    /* the main listener's open connections, for /metrics (NULL: counted as 0) */
    size_t (*open_connections)(void *ctx);
    void *open_connections_ctx;
    unsigned expiring_ttl_s;     /* how long the expiring counts are reused; 0: 30 s */
} gc_admin_config;

typedef struct gc_admin gc_admin;

int gc_admin_new(const gc_admin_config *cfg, gc_admin **out, gc_err *err);
void gc_admin_free(gc_admin *adm);
/* The handler to give the admin listener (gc_http_start); valid while adm lives. */
gc_http_handler gc_admin_http_handler(gc_admin *adm);

#endif
