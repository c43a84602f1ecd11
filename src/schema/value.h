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

/* Every function below dispatches on the property's EDM type through one table in value.c,
 * one row per type (gc_edm), which holds all a type does: its EDM name, how it is stored, how a
 * client's JSON becomes its canonical wire form and stored values, how stored values become
 * wire JSON again, and which $filter literals it accepts. Adding an EDM type is adding its row.
 *
 * How a property is stored, per EDM type:
 *   String, Guid            TEXT (Guid lower case)
 *   Int32                   INT, within Int32
 *   Boolean                 INT 0/1
 *   enum                    INT, the member's value (a flags enum: the OR of its members')
 *   DateTimeOffset          TEXT as given, then INT ticks (core/time.h): two values
 *   Binary                  BLOB
 *   complex or collection   TEXT, compact JSON
 * gc_value_width is 2 for DateTimeOffset, else 1 (at most GC_VALUE_MAX_WIDTH);
 * gc_value_stored_kind is the first value's kind (what its column holds). */
#define GC_VALUE_MAX_WIDTH 2
#define GC_STRING_MAX_BYTES (64 * 1024)
size_t gc_value_width(const gc_prop *p);
gc_value_kind gc_value_stored_kind(const gc_prop *p);
/* "Edm.String", "Edm.Int32", ... for p's type; an enum's or complex type's unqualified name
 * (without the Collection(...) of a GC_P_COLLECTION). */
const char *gc_value_edm_name(const gc_prop *p);

/* A client's value in for p, a property of t (t names the type in messages), in one pass:
 * *canon (a new reference) is its canonical wire form and out (gc_value_width(p) values, or
 * NULL) its stored values. JSON null is allowed when p is nullable (stored as NULL values).
 * Refusals are GC_E_BAD_REQUEST naming the property and what it expects, never echoing a
 * secret: a value of the wrong JSON type, an invalid date-time, GUID or base64, an unknown or
 * refused enum member, a String over GC_STRING_MAX_BYTES or a thumbprint that is not 40 hex
 * digits, an unknown property inside a complex value. */
int gc_value_from_client(const gc_entity_type *t, const gc_prop *p, const struct json_t *in,
                         gc_arena *a, struct json_t **canon, gc_value *out, gc_err *err);
/* The stored values (gc_value_width(p) of them) of v, a value of p already in canonical wire
 * form (not null): what a store does with a value no one converted before. Buffers live in a
 * or in v. A value that cannot be one of p's → GC_E_BAD_REQUEST naming the property. */
int gc_value_from_wire(const gc_prop *p, const struct json_t *v, gc_arena *a, gc_value *out,
                       gc_err *err);
/* The canonical wire value of p (a new reference) from its first stored value v (not NULL
 * kind); NULL when v cannot be one of p's (the caller reports the stored value as damaged). */
struct json_t *gc_value_to_wire(const gc_prop *p, const gc_value *v, gc_arena *a);

/* A record's stored values as they were made, beside its canonical JSON, so that a write
 * parses each value once: slot i (property i of the type) holds the values made from the JSON
 * value from[i]. A store converting the record takes a property's values from here when the
 * record's JSON value of it is still that very value (the memo holds a reference to it, so its
 * address cannot be reused), and converts it itself otherwise (a value a hook derived). */
typedef struct gc_value_memo {
    const struct json_t **from;             /* per property; NULL: nothing remembered */
    gc_value (*vals)[GC_VALUE_MAX_WIDTH];   /* per property */
} gc_value_memo;

/* A memo for t with nothing remembered, in a. */
gc_value_memo *gc_value_memo_new(const gc_entity_type *t, gc_arena *a);
/* Remembers that v (a value of t's property index i, held by the memo from now on) has the
 * stored values vals. */
void gc_value_memo_set(gc_value_memo *m, size_t i, struct json_t *v, const gc_value *vals,
                       size_t width, gc_arena *a);
/* The remembered values of property i when v is the value they were made from, else NULL. */
const gc_value *gc_value_memo_get(const gc_value_memo *m, size_t i, const struct json_t *v);

/* A $filter literal as written, before it meets a property (odata's lexer makes it). */
typedef enum gc_literal_kind {
    GC_LIT_NULL,
    GC_LIT_BOOL,     /* i is 0 or 1 */
    GC_LIT_INT,      /* i */
    GC_LIT_STRING,   /* s/len, unescaped, NUL-terminated */
    GC_LIT_ENUM,     /* type'member': the member in s/len, the qualified type in type/type_len */
    GC_LIT_DATETIME, /* i: the instant as ticks */
    GC_LIT_GUID,     /* s/len, lower case */
} gc_literal_kind;

typedef struct gc_literal {
    gc_literal_kind kind;
    const char *s;
    size_t len;
    int64_t i;
    const char *type;
    size_t type_len;
} gc_literal;

/* How a literal met a property. */
typedef enum gc_literal_fit {
    GC_LIT_FITS,
    GC_LIT_WRONG_TYPE,  /* not a literal of the property's type */
    GC_LIT_OUT_OF_RANGE, /* an integer outside Int32 for an Int32 property */
    GC_LIT_OTHER_ENUM,  /* a member qualified with another enum type's name */
    GC_LIT_NOT_MEMBER,  /* not a member (or, for flags, a combination) of the property's enum */
} gc_literal_fit;

/* The literal l (not null) as a value of p, in its storage domain (see schema/expr.h); TEXT
 * values may point into l or a. */
gc_literal_fit gc_value_from_literal(const gc_prop *p, const gc_literal *l, gc_arena *a,
                                     gc_value *out);

#endif
