/* $skiptoken: an opaque, tamper-evident keyset position. The token carries the last row's
 * sort-key values and id; its MAC also covers the request it belongs to (tenant, set, filter,
 * order), so a token altered, or replayed against another query, is refused with a 400. */
#ifndef GC_API_SKIPTOKEN_H
#define GC_API_SKIPTOKEN_H

#include "core/arena.h"
#include "core/err.h"

struct json_t;

#define GC_SKIPTOKEN_KEY_LEN 32

/* position: a JSON array (the store's gc_store_query.after). Returns an arena string made of
 * URL-safe characters only. */
const char *gc_skiptoken_make(gc_arena *a, const unsigned char key[GC_SKIPTOKEN_KEY_LEN],
                              const char *binding, const struct json_t *position);

/* Checks and opens a token; *position is an arena-owned JSON array. */
int gc_skiptoken_read(gc_arena *a, const unsigned char key[GC_SKIPTOKEN_KEY_LEN],
                      const char *binding, const char *token, struct json_t **position,
                      gc_err *err);

#endif
