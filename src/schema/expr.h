/* The bound filter tree and sort keys: what a collection read selects and how it orders it,
 * in terms of schema properties and typed values (schema/value.h) only. odata/filter.c builds
 * the tree from $filter text; store/sql_filter.c turns it into SQL; neither sees the other. */
#ifndef GC_SCHEMA_EXPR_H
#define GC_SCHEMA_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include "schema/schema.h"
#include "schema/value.h"

typedef enum gc_filter_kind {
    /* predicates (boolean) */
    GC_FILTER_OR,         /* left or right */
    GC_FILTER_AND,        /* left and right */
    GC_FILTER_NOT,        /* not left */
    GC_FILTER_CMP,        /* left op vals[0] */
    GC_FILTER_IN,         /* left in (vals[0], ..., vals[n_vals - 1]) */
    GC_FILTER_STARTSWITH, /* startswith(left, vals[0]) */
    GC_FILTER_ENDSWITH,   /* endswith(left, vals[0]) */
    GC_FILTER_CONTAINS,   /* contains(left, vals[0]) */
    /* operands (the value side of a predicate) */
    GC_FILTER_PROP,       /* the property prop */
    GC_FILTER_TOLOWER,    /* tolower(left), left a String operand */
    GC_FILTER_TOUPPER,    /* toupper(left), left a String operand */
} gc_filter_kind;

typedef enum gc_filter_op {
    GC_FILTER_EQ,
    GC_FILTER_NE,
    GC_FILTER_GT,
    GC_FILTER_GE,
    GC_FILTER_LT,
    GC_FILTER_LE,
} gc_filter_op;

/* A bound literal (schema/value.h), in the storage domain of the property it is compared with:
 *   String            → TEXT, the unescaped text (valid UTF-8, no NUL), NUL-terminated
 *   Guid              → TEXT, 36 characters, lower case
 *   Int32             → INT, within Int32
 *   enum              → INT, the member's value (always a member)
 *   DateTimeOffset    → INT, the instant as ticks (core/time.h), whatever the literal's offset
 *   Boolean           → BOOL, i is 0 or 1
 *   null (eq/ne only) → NULL */

typedef struct gc_filter gc_filter;
struct gc_filter {
    gc_filter_kind kind;
    gc_filter_op op;       /* CMP only */
    const gc_prop *prop;   /* every kind but OR/AND/NOT: the property the operand reads */
    gc_filter *left;       /* OR/AND/NOT: operand predicates; CMP/IN/functions: the operand */
    gc_filter *right;      /* OR/AND only */
    gc_value *vals;    /* CMP, STARTSWITH, ENDSWITH, CONTAINS: one; IN: n_vals (≥ 1) */
    size_t n_vals;
    size_t pos;            /* byte offset of the node's first token in the text (0-based) */
};

/* One sort key ($orderby). */
typedef struct gc_order {
    const gc_prop *prop;
    bool desc;
} gc_order;

#endif
