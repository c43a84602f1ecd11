/* $filter: a recursive-descent parser for the OData v4 subset of contract §3, producing an AST
 * already bound against one entity type's schema table. Every literal is checked against the
 * property it is compared with and converted to that property's storage domain (ticks, enum
 * value, lower-case GUID, 0/1), so the SQL layer (store/sql_filter.c) never reads the text. */
#ifndef GC_ODATA_FILTER_H
#define GC_ODATA_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "schema/schema.h"

/* Hard limits, each answered with GC_E_BAD_REQUEST. Depth counts parentheses, `not` and
 * function calls; nodes count every AST node and every literal (so an `in` list is bounded). */
#define GC_FILTER_MAX_LEN 4096
#define GC_FILTER_MAX_DEPTH 64
#define GC_FILTER_MAX_NODES 256

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

/* A bound literal, in the storage domain of the property it is compared with:
 *   String            → STRING, the unescaped text (valid UTF-8, no NUL)
 *   Guid              → STRING, 36 characters, lower case
 *   Int32             → INT, within Int32
 *   enum              → INT, the member's value (always a member)
 *   DateTimeOffset    → INT, the instant as ticks (core/util.h), whatever the literal's offset
 *   Boolean           → BOOL, i is 0 or 1
 *   null (eq/ne only) → NULL */
typedef enum gc_filter_lit_kind {
    GC_FILTER_LIT_NULL,
    GC_FILTER_LIT_INT,
    GC_FILTER_LIT_STRING,
    GC_FILTER_LIT_BOOL,
} gc_filter_lit_kind;

typedef struct gc_filter_value {
    gc_filter_lit_kind kind;
    int64_t i;
    const char *s; /* STRING: NUL-terminated, len bytes */
    size_t len;
} gc_filter_value;

typedef struct gc_filter gc_filter;
struct gc_filter {
    gc_filter_kind kind;
    gc_filter_op op;       /* CMP only */
    const gc_prop *prop;   /* every kind but OR/AND/NOT: the property the operand reads */
    gc_filter *left;       /* OR/AND/NOT: operand predicates; CMP/IN/functions: the operand */
    gc_filter *right;      /* OR/AND only */
    gc_filter_value *vals; /* CMP, STARTSWITH, ENDSWITH, CONTAINS: one; IN: n_vals (≥ 1) */
    size_t n_vals;
    size_t pos;            /* byte offset of the node's first token in the text (0-based) */
};

/* Parses and binds text (already percent-decoded, len bytes, need not be NUL-terminated)
 * against type t. On success *out is the root predicate; every node, value and string is owned
 * by a. Errors are GC_E_BAD_REQUEST with target "$filter" and a message that names the offending
 * property or token and ends "at position N." (N a 0-based byte offset into text).
 *
 * Syntax accepted: `or` < `and` < `not` < comparisons (`eq ne gt ge lt le`, `in (...)`),
 * parentheses, startswith/endswith/contains(operand, 'string'), tolower/toupper(operand),
 * a Boolean property alone (`isDeleted` means `isDeleted eq true`), and a literal on either
 * side of a comparison. Tokens are separated by spaces or tabs. Keywords and function names are
 * case-sensitive as in OData, but their all-upper-case spelling (`EQ`, `AND`, `TOLOWER`, `NULL`)
 * is also accepted; property names are case-sensitive; enum member names and the enum type
 * name of a qualified enum literal are matched case-insensitively; a Guid property also takes
 * its GUID in quotes. Not supported (400):
 * property-to-property comparisons, arithmetic, lambda operators, other functions. */
int gc_odata_filter_parse(gc_arena *a, const gc_entity_type *t, const char *text, size_t len,
                          gc_filter **out, gc_err *err);

#endif
