/* $filter to SQL: a bound filter AST (odata/filter.h) becomes one parenthesised boolean
 * expression for a WHERE clause, with every literal a bound parameter and every identifier
 * quoted by gc_sql_ident. Only the AST's types are used from odata/, never its code. */
#ifndef GC_STORE_SQL_FILTER_H
#define GC_STORE_SQL_FILTER_H

#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/util.h"
#include "odata/filter.h"
#include "schema/schema.h"
#include "store/sql.h"

/* Appends to b the SQL of f (a filter bound against t), to be ANDed by the caller after its
 * `"tenant" = ?`. Placeholders are `?`, or `$first_param`, `$first_param+1`, ... when
 * d->numbered_params (first_param is ignored otherwise). The values, in placeholder order, go
 * to params[0..*n_params); TEXT values point into f or into a. max_params of
 * GC_FILTER_MAX_NODES always suffices. Returns 0, or -1 with:
 *   GC_E_BAD_REQUEST  b's limit reached (the filter is too large to translate);
 *   GC_E_INTERNAL     more than max_params values, or a node that does not belong to t.
 * On failure b and params may hold part of the output.
 *
 * SQL forms (E is the operand: "col", or "col_ticks" for DateTimeOffset, inside lower()/upper()):
 *   eq null / ne null     E IS NULL / E IS NOT NULL
 *   ne v                  (E IS NULL OR E <> ?)           (OData: null ne v is true)
 *   eq gt ge lt le v      E = ? / E > ? / ...; under an odd number of `not`s
 *                         (E IS NOT NULL AND E = ?), so that `not (x eq v)` holds for null x
 *   in (v, ...)           E IN (?, ...); under `not` (E IS NOT NULL AND E IN (?, ...))
 *   and / or              (a AND b AND ...) / (a OR b OR ...), same-operator chains flattened
 *   not                   NOT (x)
 *   startswith/endswith/contains (case-sensitive, as OData):
 *     SQLite (gc_sql_dialect_sqlite)   E GLOB ?   with * ? [ in the value written [*] [?] [[]
 *     any other dialect (PostgreSQL)  E LIKE ? ESCAPE '\'   with \ % _ escaped by '\'
 * Values: String/Guid text, Int32 and enum values and Boolean 0/1 as integers, DateTimeOffset
 * as ticks. */
int gc_sql_filter_where(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t,
                        const gc_filter *f, gc_sql_value *params, size_t max_params,
                        int first_param, size_t *n_params, gc_arena *a, gc_err *err);

#endif
