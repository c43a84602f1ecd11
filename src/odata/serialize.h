/* Records to Graph JSON: annotations first, properties in schema order, write-only secrets
 * masked, server-managed version properties filled from the record version. */
#ifndef GC_ODATA_SERIALIZE_H
#define GC_ODATA_SERIALIZE_H

#include <stdint.h>

#include "core/arena.h"
#include "schema/schema.h"

struct json_t;

/* The weak ETag of a version: W/"<version>" (arena-owned). */
const char *gc_odata_etag(gc_arena *a, int64_t version);

/* A new object for one entity. context may be NULL (collection members carry none). With
 * n_select > 0 only the key and the selected properties are written. */
struct json_t *gc_odata_entity(gc_arena *a, const gc_entity_type *t, const struct json_t *rec,
                               int64_t version, const char *context, const gc_prop *const *select,
                               size_t n_select);

/* "(a,b)" for a $select list, "" without one (arena-owned). */
const char *gc_odata_select_suffix(gc_arena *a, const gc_prop *const *select, size_t n_select);

#endif
