/* The API's request counters and latency histograms (see metrics.h), kept as flat arrays of
 * atomics indexed by route, method and status, and rendered in the Prometheus text format. */
#include "api/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "schema/schema.h"

enum { M_GET, M_HEAD, M_POST, M_PATCH, M_PUT, M_DELETE, M_OTHER, M__COUNT };
static const char *const method_names[M__COUNT] = {"GET", "HEAD", "POST", "PATCH",
                                                   "PUT", "DELETE", "other"};

#define STATUS_MIN 100
#define N_STATUS 500 /* 100..599 */

struct gc_api_metrics {
    size_t n_routes;
    _Atomic uint64_t *requests; /* [route][method][status - 100] */
    gc_hist *latency;           /* [route] */
    _Atomic uint64_t throttled;
};

static const char *route_name(size_t i)
{
    static const char *const fixed[GC_METRICS_ROUTE_SETS] = {"unknown", "healthz", "root",
                                                             "metadata", "batch", "users"};
    return i < GC_METRICS_ROUTE_SETS ? fixed[i] : gc_schema_types[i - GC_METRICS_ROUTE_SETS]->set_path;
}

gc_api_metrics *gc_api_metrics_new(void)
{
    gc_api_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->n_routes = GC_METRICS_ROUTE_SETS + gc_schema_n_types;
    m->requests = calloc(m->n_routes * M__COUNT * N_STATUS, sizeof *m->requests);
    m->latency = calloc(m->n_routes, sizeof *m->latency);
    if (!m->requests || !m->latency) {
        gc_api_metrics_free(m);
        return NULL;
    }
    return m;
}

void gc_api_metrics_free(gc_api_metrics *m)
{
    if (!m)
        return;
    free(m->requests);
    free(m->latency);
    free(m);
}

int gc_api_metrics_route(const gc_route *r)
{
    switch (r->kind) {
    case GC_ROUTE_HEALTH:
        return GC_METRICS_ROUTE_HEALTHZ;
    case GC_ROUTE_ROOT:
        return GC_METRICS_ROUTE_ROOT;
    case GC_ROUTE_METADATA:
        return GC_METRICS_ROUTE_METADATA;
    case GC_ROUTE_BATCH:
        return GC_METRICS_ROUTE_BATCH;
    case GC_ROUTE_USERS:
        return GC_METRICS_ROUTE_USERS;
    case GC_ROUTE_COLLECTION:
    case GC_ROUTE_COUNT:
    case GC_ROUTE_ENTITY:
        for (size_t i = 0; i < gc_schema_n_types; i++)
            if (gc_schema_types[i] == r->type)
                return GC_METRICS_ROUTE_SETS + (int)i;
        break;
    }
    return GC_METRICS_ROUTE_UNKNOWN;
}

static int method_index(const char *m)
{
    for (int i = 0; i < M_OTHER; i++)
        if (strcmp(m, method_names[i]) == 0)
            return i;
    return M_OTHER;
}

void gc_api_metrics_record(gc_api_metrics *m, int route, const char *method, int status,
                           uint64_t ns)
{
    if (route < 0 || (size_t)route >= m->n_routes)
        route = GC_METRICS_ROUTE_UNKNOWN;
    if (status >= STATUS_MIN && status < STATUS_MIN + N_STATUS) {
        size_t i = ((size_t)route * M__COUNT + (size_t)method_index(method ? method : "")) * N_STATUS +
                   (size_t)(status - STATUS_MIN);
        atomic_fetch_add_explicit(&m->requests[i], 1, memory_order_relaxed);
    }
    if (status == 429)
        atomic_fetch_add_explicit(&m->throttled, 1, memory_order_relaxed);
    gc_hist_observe(&m->latency[route], ns);
}

int gc_api_metrics_render(gc_api_metrics *m, gc_buf *b)
{
    if (gc_prom_header(b, "graphcerts_http_requests_total", "counter",
                       "HTTP requests answered by the API, by route, method and status.") < 0)
        return -1;
    for (size_t r = 0; r < m->n_routes; r++)
        for (size_t me = 0; me < M__COUNT; me++)
            for (size_t s = 0; s < N_STATUS; s++) {
                uint64_t v = atomic_load_explicit(&m->requests[(r * M__COUNT + me) * N_STATUS + s],
                                                  memory_order_relaxed);
                if (!v)
                    continue;
                char status[8];
                snprintf(status, sizeof status, "%zu", s + STATUS_MIN);
                gc_label l[3] = {{"route", route_name(r)}, {"method", method_names[me]},
                                 {"status", status}};
                if (gc_prom_sample_u64(b, "graphcerts_http_requests_total", l, 3, v) < 0)
                    return -1;
            }
    if (gc_prom_header(b, "graphcerts_http_request_duration_seconds", "histogram",
                       "Time from a request's arrival at the API to its answer, by route.") < 0)
        return -1;
    for (size_t r = 0; r < m->n_routes; r++) {
        gc_label l = {"route", route_name(r)};
        if (gc_prom_hist(b, "graphcerts_http_request_duration_seconds", &l, 1, &m->latency[r]) < 0)
            return -1;
    }
    if (gc_prom_header(b, "graphcerts_http_throttled_requests_total", "counter",
                       "Requests answered 429 TooManyRequests.") < 0)
        return -1;
    return gc_prom_sample_u64(b, "graphcerts_http_throttled_requests_total", NULL, 0,
                              atomic_load_explicit(&m->throttled, memory_order_relaxed));
}
