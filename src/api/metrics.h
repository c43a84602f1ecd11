/* Request metrics of the API: requests by route, method and status, latency per route, and
 * throttled (429) answers. Routes are low-cardinality names (an entity set's path, "batch",
 * "metadata", ...), never the raw URL. Recording is a few relaxed atomic adds: no lock. */
#ifndef GC_API_METRICS_H
#define GC_API_METRICS_H

#include <stdint.h>

#include "core/util.h"
#include "odata/path.h"

/* Route indexes besides one per entity type (GC_METRICS_ROUTE_SETS + its schema index). */
enum {
    GC_METRICS_ROUTE_UNKNOWN, /* not routed: no valid token, unknown path, refused by the edge */
    GC_METRICS_ROUTE_HEALTHZ,
    GC_METRICS_ROUTE_ROOT,
    GC_METRICS_ROUTE_METADATA,
    GC_METRICS_ROUTE_BATCH,
    GC_METRICS_ROUTE_USERS,
    GC_METRICS_ROUTE_SETS
};

typedef struct gc_api_metrics gc_api_metrics;

/* NULL when out of memory. Free with gc_api_metrics_free. */
gc_api_metrics *gc_api_metrics_new(void);
void gc_api_metrics_free(gc_api_metrics *m);

/* The route index of r. */
int gc_api_metrics_route(const gc_route *r);
/* Records one answered request: its latency, and its count by status when 100..599. */
void gc_api_metrics_record(gc_api_metrics *m, int route, const char *method, int status,
                           uint64_t ns);
/* Appends the text exposition of every counter and histogram to b; 0 or -1 (b's limit). */
int gc_api_metrics_render(gc_api_metrics *m, gc_buf *b);

#endif
