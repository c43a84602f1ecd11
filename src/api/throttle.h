/* Request throttling by tenant and by application within a tenant, as Intune publishes it
 * (writes 100 per 20 s per application and 200 per tenant; all requests 1,000 and 2,000). Each
 * limit is a sliding window of GC_THROTTLE_SUBWINDOWS sub-windows: never more than N requests
 * are admitted in any span of the window's length, and a burst into an idle window admits
 * exactly N. Thread-safe; memory bounded by a cap on tracked keys. */
#ifndef GC_API_THROTTLE_H
#define GC_API_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define GC_THROTTLE_SUBWINDOWS 32     /* a window is counted in this many equal parts */
#define GC_THROTTLE_DEFAULT_KEYS 16384
#define GC_THROTTLE_MAX_KEYS (1 << 20)
#define GC_THROTTLE_MAX_WINDOW 3600   /* seconds */
#define GC_THROTTLE_MAX_LIMIT 1000000 /* requests in one window */
#define GC_THROTTLE_MAX_APP 128       /* bytes of an application id (as GC_AUTH_MAX_APP) */

typedef struct gc_throttle_limits {
    unsigned window_s;        /* 1 to GC_THROTTLE_MAX_WINDOW */
    uint32_t app_writes;      /* POST, PATCH, PUT, DELETE by one application in one tenant */
    uint32_t tenant_writes;   /* writes in one tenant, all applications together */
    uint32_t app_requests;    /* all requests (writes included) by one application in one tenant */
    uint32_t tenant_requests; /* all requests in one tenant */
} gc_throttle_limits;         /* each limit 1 to GC_THROTTLE_MAX_LIMIT */

/* Intune's published limits: 20 s; 100, 200, 1,000, 2,000. */
extern const gc_throttle_limits gc_throttle_intune;

/* Nanoseconds of a monotonic clock. */
typedef int64_t (*gc_throttle_clock)(void *ctx);

typedef struct gc_throttle_config {
    gc_throttle_limits limits;
    /* Tracked keys (one per tenant and one per application in a tenant): 0 → the default, else
     * 2 to GC_THROTTLE_MAX_KEYS. Each takes ~500 bytes once used; nothing is allocated up
     * front. When all are in use, a new key replaces the least recently used one: limits hold
     * exactly while fewer keys than this are active in one window. */
    size_t max_keys;
    unsigned shards;         /* lock shards, a power of two; 0 → 64 (fewer when max_keys is small) */
    gc_throttle_clock clock; /* NULL: CLOCK_MONOTONIC */
    void *clock_ctx;
} gc_throttle_config;

typedef struct gc_throttle gc_throttle;

/* A limit out of range or out of memory → -1 with a message naming the limit. */
int gc_throttle_new(const gc_throttle_config *cfg, gc_throttle **out, gc_err *err);
void gc_throttle_free(gc_throttle *t);

/* One request of application app ("" when unknown; at most GC_THROTTLE_MAX_APP bytes, longer
 * ones are cut) in tenant (at most 36 bytes, a GUID). A write also counts against the write
 * limits. Admitted → 0, counted against every limit that applies. Refused → -1, nothing counted,
 * err GC_E_TOO_MANY naming the limit reached, and *retry_after the whole seconds (at least 1,
 * rounded up) until this request would be admitted if no other were counted meanwhile.
 * Thread-safe; the tenant's keys share one lock. */
int gc_throttle_admit(gc_throttle *t, const char *tenant, const char *app, bool write,
                      unsigned *retry_after, gc_err *err);

typedef struct gc_throttle_stats {
    size_t keys;           /* keys tracked now */
    size_t max_keys;       /* the bound on keys (max_keys rounded up to whole shards) */
    uint64_t admitted;     /* requests admitted */
    uint64_t refused;      /* requests refused with 429 */
    uint64_t evicted_live; /* keys replaced while still counting requests in their window */
} gc_throttle_stats;

/* Sums the shards' counters (a consistent snapshot only when no request runs meanwhile). */
void gc_throttle_get_stats(gc_throttle *t, gc_throttle_stats *out);

#endif
