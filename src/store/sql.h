/* Backend-neutral SQL made from the schema tables: DDL, the statements the store runs, and the
 * mapping between canonical wire records and column values. Identifiers are quoted by exactly
 * one function (gc_sql_ident) and come only from the schema; values are always parameters.
 * Backends (sqlite.c, later postgres.c) only bind gc_sql_values and read them back. */
#ifndef GC_STORE_SQL_H
#define GC_STORE_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/util.h"
#include "schema/schema.h"
#include "schema/value.h"
#include "store/sql_writer.h"
#include "store/store.h"

struct json_t;

/* Hard limit on one statement's text. */
#define GC_SQL_MAX_LEN (64 * 1024)

/* Value columns of t, in this order: for each property, its column, and for a DATETIME also
 * its ticks column right after it. The key (props[0]) is always values[0]. */
size_t gc_sql_n_values(const gc_entity_type *t);

/* Statement text (into b, which the caller initialised with GC_SQL_MAX_LEN); each returns 0 or
 * -1 (GC_E_INTERNAL) and documents its parameters in order. "cols" means every value column
 * followed by version, as read back by gc_sql_record_from_values; in "cols without secrets" the
 * columns of write-only (GC_P_SECRET) properties are the literal NULL instead, so those values
 * are neither read nor decoded and come back as JSON null. */

/* CREATE TABLE IF NOT EXISTS: tenant, the value columns, version, PRIMARY KEY (tenant, key). */
int gc_sql_create_table(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t, gc_err *err);
/* CREATE INDEX IF NOT EXISTS on (tenant, column, key) for prop p (DATETIME: its ticks column):
 * the key last, so a keyset page in that order reads the index in order. */
int gc_sql_create_index(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t,
                        const gc_prop *p, gc_err *err);
/* SELECT cols (without secrets unless with_secrets), then extra when not NULL (a trusted
 * expression, such as SQLite's rowid), WHERE tenant=? AND key=?. */
int gc_sql_select_one(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t,
                      bool with_secrets, const char *extra, gc_err *err);
/* SELECT version WHERE tenant=? AND key=?. */
int gc_sql_select_version(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t, gc_err *err);
/* Most parameters one list or count statement binds, and most sort keys. */
#define GC_SQL_MAX_PARAMS 1024
#define GC_SQL_MAX_ORDER 8

/* SELECT cols without secrets WHERE tenant=? [AND (q's filter)] [AND (rows after q's keyset position)]
 * ORDER BY q's keys (nulls first ascending, as OData sorts), then the key, LIMIT ? OFFSET ?.
 * Fills params[0..*n_params) (at most GC_SQL_MAX_PARAMS) with every value to bind, in order:
 * the tenant first; buffers belong to tenant, q or a. */
int gc_sql_select_list(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t,
                       const gc_store_query *q, const char *tenant, gc_arena *a,
                       gc_sql_value *params, size_t *n_params, gc_err *err);
/* SELECT count(*) WHERE tenant=? [AND (q's filter)], with its parameters as above. */
int gc_sql_count(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t,
                 const gc_store_query *q, const char *tenant, gc_arena *a,
                 gc_sql_value *params, size_t *n_params, gc_err *err);
/* SELECT tenant, then per window i sum(CASE WHEN expiry <= ? THEN 1 ELSE 0 END), WHERE
 * expiry >= ? AND expiry <= ? GROUP BY tenant ORDER BY tenant, where expiry is the ticks
 * column of t->expiry. Parameters: the n_windows upper bounds, then the lower bound, then the
 * largest upper bound. t->expiry must name a DATETIME property. */
/* Those parameters, n_windows + 2 of them, into params. */
void gc_sql_count_expiring_params(int64_t from_ticks, const int64_t *until_ticks, size_t n_windows,
                                  gc_sql_value *params);
int gc_sql_count_expiring(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t,
                          size_t n_windows, gc_err *err);
/* INSERT: tenant, every value, version. */
int gc_sql_insert(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t, gc_err *err);
/* UPDATE SET the columns of each property i >= 1 with set[i] (set NULL: every property; the key
 * is never rewritten), in property order, then version = ?, WHERE tenant=? AND key=? AND
 * version=?. The text depends only on t and set. */
int gc_sql_update(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t, const bool *set,
                  gc_err *err);
/* DELETE WHERE tenant=? AND key=? (and AND version=? when check_version). */
int gc_sql_delete(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t, bool check_version,
                  gc_err *err);

/* The statements of t that no request changes, made once per type when a store opens; each a
 * malloc'ed string. */
typedef struct gc_sql_fixed {
    char *get, *get_secrets;        /* gc_sql_select_one without and with write-only values */
    char *version;                  /* gc_sql_select_version */
    char *insert;                   /* gc_sql_insert */
    char *remove, *remove_version;  /* gc_sql_delete without and with the version check */
} gc_sql_fixed;
/* extra_col: a column the two gets select after the version (SQLite's "rowid"), or NULL.
 * -1 with err, f left all NULL. */
int gc_sql_fixed_make(gc_sql_fixed *f, const gc_sql_dialect *d, const gc_entity_type *t,
                      const char *extra_col, gc_err *err);
void gc_sql_fixed_free(gc_sql_fixed *f);

/* Record (canonical wire form) → gc_sql_n_values(t) values; absent or null properties become
 * NULL. A property's values are memo's (schema/value.h; memo may be NULL) when it remembers
 * the very JSON value obj holds, else converted here. Byte and text buffers live in a, obj or
 * memo. A value of the wrong JSON type, an invalid
 * date-time, invalid base64, an unknown enum member or a missing key → GC_E_BAD_REQUEST naming
 * the property. */
int gc_sql_values_from_record(const gc_entity_type *t, const struct json_t *obj,
                              const gc_value_memo *memo, gc_arena *a, gc_sql_value *values,
                              gc_err *err);
/* What an update of the row with key `key` writes: property i >= 1 when obj holds it (null
 * included) and, when old is not NULL, its value is not json_equal to old's (absent in old counts
 * as null); properties absent from obj are left as stored. Fills set[0..t->n_props) and values
 * with the written properties' values in property order (as gc_sql_update binds them; at most
 * gc_sql_n_values(t)), *n_values their number, taken from memo as above. Buffers live in a, obj
 * or memo. obj's key, when
 * present, must equal key; errors otherwise as gc_sql_values_from_record. */
int gc_sql_update_values(const gc_entity_type *t, const char *key, const struct json_t *old,
                         const struct json_t *obj, const gc_value_memo *memo, gc_arena *a,
                         bool *set, gc_sql_value *values, size_t *n_values, gc_err *err);
/* All an update of the row with key id needs, for dialect d: gc_sql_update_values, then the
 * UPDATE statement for the properties it writes (gc_sql_update). *sql, *values (*n_values of
 * them) live in a. */
int gc_sql_update_prepare(const gc_sql_dialect *d, const gc_entity_type *t, const char *id,
                          const struct json_t *old, const struct json_t *obj,
                          const gc_value_memo *memo, gc_arena *a, const char **sql,
                          gc_sql_value **values, size_t *n_values, gc_err *err);
/* gc_sql_n_values(t) stored values → a new record holding every property (NULL → JSON null),
 * owned by a: an object by property name, or with in_order an array in schema order (see
 * GC_STORE_VALUES). A stored value that cannot be one of the property's → GC_E_INTERNAL. Stored
 * text is trusted to be UTF-8 (it was checked on the way in) and is not validated again. */
int gc_sql_record_from_values(const gc_entity_type *t, const gc_sql_value *values, bool in_order,
                              gc_arena *a, struct json_t **out, gc_err *err);

#endif
