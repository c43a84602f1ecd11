/* The one typed value under every layer: a property's value in its storage domain (text, a
 * 64-bit integer, bytes, a boolean or null), and the one mapping between a property's canonical
 * wire JSON and those values. odata parses client text into these values ($filter literals);
 * store binds them as SQL parameters and reads rows back into them. */
#ifndef GC_SCHEMA_VALUE_H
#define GC_SCHEMA_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "schema/schema.h"

struct json_t;

typedef enum gc_value_kind {
    GC_VALUE_NULL,
    GC_VALUE_INT,  /* i */
    GC_VALUE_TEXT, /* s/len: UTF-8, not necessarily NUL-terminated unless said */
    GC_VALUE_BLOB, /* p/len */
    GC_VALUE_BOOL, /* i is 0 or 1 (a $filter literal; stored as INT 0/1) */
} gc_value_kind;

/* One value. The memory p/s points to belongs to whoever filled the value (an arena, a JSON
 * value, or a backend's current row). */
typedef struct gc_value {
    gc_value_kind kind;
    int64_t i;
    union {
        const void *p;
        const char *s;
    };
    size_t len;
} gc_value;

/* A TEXT value of s[0..len) (not copied) and an INT value. */
static inline gc_value gc_value_text(const char *s, size_t len)
{
    return (gc_value){.kind = GC_VALUE_TEXT, .s = s, .len = len};
}
static inline gc_value gc_value_int(int64_t i)
{
    return (gc_value){.kind = GC_VALUE_INT, .i = i};
}

/* How a property is stored, per EDM type:
 *   String, Guid            TEXT (Guid lower case)
 *   Int32                   INT, within Int32
 *   Boolean                 INT 0/1
 *   enum                    INT, the member's value
 *   DateTimeOffset          TEXT as given, then INT ticks (core/time.h): two values
 *   Binary                  BLOB
 *   complex or collection   TEXT, compact JSON
 * gc_value_width is 2 for DateTimeOffset, else 1; gc_value_stored_kind is the first value's
 * kind (what its column holds). */
size_t gc_value_width(const gc_prop *p);
gc_value_kind gc_value_stored_kind(const gc_prop *p);

/* The stored values (gc_value_width(p) of them) of v, p's canonical wire value (not null).
 * Buffers live in a or in v. A value of the wrong JSON type, an invalid date-time, invalid
 * base64 or an unknown enum member → GC_E_BAD_REQUEST naming the property. */
int gc_value_from_wire(const gc_prop *p, const struct json_t *v, gc_arena *a, gc_value *out,
                       gc_err *err);
/* The canonical wire value of p (a new reference) from its first stored value v (not NULL
 * kind); NULL when v cannot be one of p's (the caller reports the stored value as damaged). */
struct json_t *gc_value_to_wire(const gc_prop *p, const gc_value *v, gc_arena *a);

#endif
