/* $filter: a recursive-descent parser for the OData v4 subset of contract §3, producing an AST
 * already bound against one entity type's schema table. Every literal is checked against the
 * property it is compared with and converted to that property's storage domain (ticks, enum
 * value, lower-case GUID, 0/1), so the SQL layer (store/sql_filter.c) never reads the text. The tree's types live in
 * schema/expr.h, below both odata and store. */
#ifndef GC_ODATA_FILTER_H
#define GC_ODATA_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "schema/expr.h"
#include "schema/schema.h"

/* Hard limits, each answered with GC_E_BAD_REQUEST. Depth counts parentheses, `not` and
 * function calls; nodes count every AST node and every literal (so an `in` list is bounded). */
#define GC_FILTER_MAX_LEN 4096
#define GC_FILTER_MAX_DEPTH 64
#define GC_FILTER_MAX_NODES 256

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
