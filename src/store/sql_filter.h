/* A filter to SQL: a bound filter tree (schema/expr.h, built by odata/filter.c from $filter)
 * becomes one parenthesised boolean expression for a WHERE clause, with every literal a bound
 * parameter and every identifier quoted by gc_sql_ident. */
#ifndef GC_STORE_SQL_FILTER_H
#define GC_STORE_SQL_FILTER_H

#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/util.h"
#include "schema/expr.h"
#include "schema/schema.h"
#include "store/sql_writer.h"

/* Appends to b the SQL of f (a filter bound against t), to be ANDed by the caller after its
 * `"tenant" = ?`. Placeholders are `?`, or `$first_param`, `$first_param+1`, ... when
 * d->numbered_params (first_param is ignored otherwise). The values, in placeholder order, go
 * to params[0..*n_params); TEXT values point into f or into a. max_params of
 * the filter parser's node limit (GC_FILTER_MAX_NODES) always suffices. Returns 0, or -1 with:
 *   GC_E_BAD_REQUEST  b's limit reached (the filter is too large to translate);
 *   GC_E_INTERNAL     more than max_params values, or a node that does not belong to t.
 * On failure b and params may hold part of the output.
 *
 * SQL forms. E is the operand: "col" ("col_ticks" for DateTimeOffset), inside lower()/upper()
 * for tolower/toupper (a nested chain of them collapses to at most two calls). `not` is pushed
 * down to the leaves (De Morgan; `not not x` is x), so no SQL NOT encloses a leaf and each leaf
 * is written so that a null column answers as OData says:
 *   eq null / ne null      E IS NULL / E IS NOT NULL      (negated: the other one)
 *   eq gt ge lt le v       E = ? / E > ? / E >= ? / E < ? / E <= ?
 *   ne v                   (E IS NULL OR E <> ?)          (OData: null ne v is true)
 *   negated comparison     its complement, null rows included: not (E gt v) is
 *                          (E IS NULL OR E <= ?), not (E eq v) is (E IS NULL OR E <> ?),
 *                          not (E ne v) is E = ?
 *   in (v, ...)            E IN (?, ...); negated (E IS NULL OR E NOT IN (?, ...))
 *   and / or               a AND b AND ... / (a OR b OR ...): same-operator chains flattened,
 *                          AND chains unparenthesised (AND binds tighter than OR), the most
 *                          deeply nested operand first: SQLite 3.40's parser stack takes ~29
 *                          levels of `a AND (b OR (...))` but ~80 of `((...) OR b) AND a`, and
 *                          this keeps every filter within the parser's 64 levels inside it
 *   startswith/endswith/contains, case-sensitive as in OData (a null column matches neither
 *   the function nor its negation):
 *     SQLite (gc_sql_dialect_sqlite)   E GLOB ? / E NOT GLOB ?, with * ? [ in the value
 *                                      written [*] [?] [[]
 *     other dialects (PostgreSQL)      E LIKE ? ESCAPE '\' / E NOT LIKE ? ESCAPE '\', with
 *                                      \ % _ in the value escaped by '\'
 * The whole is parenthesised. Parameters follow the SQL's order (a chain's deepest operand
 * comes first), not the filter text's. Values: String/Guid as text, Int32 and enum values,
 * Boolean 0/1 and DateTimeOffset ticks as integers. */
int gc_sql_filter_where(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t,
                        const gc_filter *f, gc_sql_value *params, size_t max_params,
                        int first_param, size_t *n_params, gc_arena *a, gc_err *err);
/* The same through a statement's writer (sql.c): placeholders continue w's numbering and the
 * values go after those w has bound; errors as above (b's limit: w's buffer overflowed). */
int gc_sql_filter_write(gc_sqlw *w, const gc_entity_type *t, const gc_filter *f, gc_arena *a,
                        gc_err *err);

#endif
