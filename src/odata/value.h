/* Client JSON in, canonical wire form out. A record is a jansson object holding every property
 * of its type in schema order, each value in canonical form: strings as given (thumbprints lower
 * case), Int32 numbers, booleans, GUIDs lower case, date-times as given (validated), Binary as
 * standard padded base64, enums as the member's declared name. Validation errors name the
 * property and what it expects, and never echo a secret's value. */
#ifndef GC_ODATA_VALUE_H
#define GC_ODATA_VALUE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "schema/schema.h"
#include "schema/value.h"

struct json_t;

#define GC_JSON_MAX_DEPTH 64

/* Parses a request body as one JSON object. Malformed JSON, nesting deeper than
 * GC_JSON_MAX_DEPTH, duplicate keys or a non-object → GC_E_BAD_REQUEST. *out is a new
 * reference owned by the arena. */
int gc_odata_parse_body(gc_arena *a, const unsigned char *data, size_t len, struct json_t **out,
                        gc_err *err);

/* Applies a client body to rec in place, each value through gc_value_from_client
 * (schema/value.h); when memo is not NULL, the stored values made of each value set are
 * remembered there for the store, so that a write parses each value once. On create, rec starts as an empty object and ends as a
 * full record: defaults filled in, required properties checked. On update, rec holds the stored
 * record and only the given properties change (merge); url_id is the addressed key, which a
 * client "id" must equal. Server-set properties and instance annotations are ignored;
 * "@odata.type" must name t (or its alias). On failure rec may be partly changed: callers work
 * on a copy. */
int gc_odata_apply_body(const gc_entity_type *t, const struct json_t *body, struct json_t *rec,
                        bool create, const char *url_id, gc_value_memo *memo, gc_arena *a,
                        gc_err *err);

#endif
