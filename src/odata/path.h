/* Request paths to routes: /{version}/{set path}[/{key} | ('{key}') | ({key})][/$count],
 * /{version}/$metadata, /{version}/$batch, /{version}/users, /healthz. Segment names match
 * case-insensitively, as Graph's do; keys are percent-decoded. */
#ifndef GC_ODATA_PATH_H
#define GC_ODATA_PATH_H

#include "core/arena.h"
#include "core/err.h"
#include "schema/schema.h"

typedef enum gc_route_kind {
    GC_ROUTE_HEALTH,     /* /healthz */
    GC_ROUTE_ROOT,       /* /{version} or /{version}/ */
    GC_ROUTE_METADATA,   /* /{version}/$metadata */
    GC_ROUTE_BATCH,      /* /{version}/$batch */
    GC_ROUTE_USERS,      /* /{version}/users */
    GC_ROUTE_COLLECTION, /* a set */
    GC_ROUTE_COUNT,      /* a set's /$count */
    GC_ROUTE_ENTITY,     /* one entity by key */
} gc_route_kind;

typedef struct gc_route {
    gc_route_kind kind;
    unsigned version;       /* GC_V_BETA or GC_V_V1 */
    const char *version_name; /* "beta" or "v1.0" */
    const gc_entity_type *type; /* for COLLECTION, COUNT, ENTITY */
    const char *key;        /* for ENTITY, decoded, arena-owned */
} gc_route;

/* raw_path is the percent-encoded path (no query). Unknown version → GC_E_NOT_FOUND; unknown
 * segment, or a set not served in that version → GC_E_BAD_REQUEST "Resource not found for the
 * segment 'x'."; a malformed key → GC_E_BAD_REQUEST. */
int gc_odata_parse_path(gc_arena *a, const char *raw_path, gc_route *out, gc_err *err);

/* The percent-encoded form of a key for use in a URL path segment (arena-owned). */
const char *gc_odata_encode_segment(gc_arena *a, const char *s);

#endif
