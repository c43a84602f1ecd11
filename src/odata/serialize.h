/* Records to Graph JSON: annotations first, properties in schema order, write-only secrets
 * masked, server-managed version properties filled from the record version. */
#ifndef GC_ODATA_SERIALIZE_H
#define GC_ODATA_SERIALIZE_H

#include <stdint.h>

#include "core/arena.h"
#include "core/util.h"
#include "schema/schema.h"

struct json_t;

/* The Content-Type of every JSON answer, as Graph sends it. */
#define GC_ODATA_JSON_CT                                                                          \
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"      \
    "charset=utf-8"

/* The weak ETag of a version: W/"<version>" (arena-owned). */
const char *gc_odata_etag(gc_arena *a, int64_t version);

/* Appends one entity as a JSON object to b: "@odata.context" (unless context is NULL, as for
 * collection members), "@odata.type", then the properties in schema order — with n_select > 0
 * only the key and the selected ones. rec holds the values by property name (an object) or in
 * schema order (an array, as a store gives them with GC_STORE_VALUES). Records are flat
 * (strings, numbers, booleans, null), so they are written straight into the buffer. 0, or -1
 * when b's limit is reached. */
int gc_odata_write_entity(gc_buf *b, const gc_entity_type *t, const struct json_t *rec,
                          int64_t version, const char *context, const gc_prop *const *select,
                          size_t n_select);

/* "(a,b)" for a $select list, "" without one (arena-owned). */
const char *gc_odata_select_suffix(gc_arena *a, const gc_prop *const *select, size_t n_select);

#endif
