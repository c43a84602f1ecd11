/* SQL text and column values made from the schema tables, shared by every SQL backend: the
 * one identifier-quoting function, DDL, the store's statements, and the mapping between wire
 * records and column values (DATETIME = text as given + ticks, BINARY = bytes, ENUM = value). */
#include "store/sql.h"
#include "store/sql_filter.h"

#include <assert.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t gc_sql_n_values(const gc_entity_type *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_props; i++)
        n += gc_value_width(&t->props[i]);
    return n;
}

/* ---- statement text ---- */

/* `"col" = ?` */
static void w_eq(gc_sqlw *w, const char *name, const char *suffix)
{
    gc_sqlw_ident(w, name, suffix);
    gc_sqlw_str(w, " = ");
    gc_sqlw_placeholder(w);
}

static const gc_prop *key_of(const gc_entity_type *t)
{
    assert(t->n_props > 0 && (t->props[0].flags & GC_P_KEY));
    assert(t->props[0].type == GC_EDM_STRING || t->props[0].type == GC_EDM_GUID);
    return &t->props[0];
}

static int w_done(gc_sqlw *w, const gc_entity_type *t, gc_err *err)
{
    if (gc_sqlw_failed(w))
        return gc_err_set(err, GC_E_INTERNAL, "", "SQL for table %s exceeds %d bytes.", t->table,
                          GC_SQL_MAX_LEN);
    return 0;
}

/* Every value column then version, comma-separated; without secrets, a write-only property's
 * columns are NULL literals (same positions, nothing read). */
static void w_cols(gc_sqlw *w, const gc_entity_type *t, bool with_secrets)
{
    for (size_t i = 0; i < t->n_props; i++) {
        const gc_prop *p = &t->props[i];
        bool hide = !with_secrets && (p->flags & GC_P_SECRET);
        if (hide)
            gc_sqlw_str(w, "NULL");
        else
            gc_sqlw_ident(w, p->column, NULL);
        gc_sqlw_str(w, ", ");
        if (p->type == GC_EDM_DATETIME) {
            if (hide)
                gc_sqlw_str(w, "NULL");
            else
                gc_sqlw_ident(w, p->column, GC_SQL_TICKS_SUFFIX);
            gc_sqlw_str(w, ", ");
        }
    }
    gc_sqlw_ident(w, GC_SQL_VERSION_COL, NULL);
}

/* ` WHERE "tenant" = ? AND "key" = ?` */
static void w_where_id(gc_sqlw *w, const gc_entity_type *t)
{
    gc_sqlw_str(w, " WHERE ");
    w_eq(w, GC_SQL_TENANT_COL, NULL);
    gc_sqlw_str(w, " AND ");
    w_eq(w, key_of(t)->column, NULL);
}

static const char *col_type(const gc_sql_dialect *d, const gc_prop *p)
{
    switch (gc_value_stored_kind(p)) {
    case GC_VALUE_INT:
    case GC_VALUE_BOOL:
        return d->int32_type;
    case GC_VALUE_BLOB:
        return d->blob_type;
    case GC_VALUE_NULL:
    case GC_VALUE_TEXT:
        break;
    }
    return d->text_type;
}

static bool reserved_column(const char *c)
{
    return strcmp(c, GC_SQL_TENANT_COL) == 0 || strcmp(c, GC_SQL_VERSION_COL) == 0;
}

int gc_sql_create_table(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t, gc_err *err)
{
    gc_sqlw w = gc_sqlw_start(b, d, true, NULL, 0);
    gc_sqlw_str(&w, "CREATE TABLE IF NOT EXISTS ");
    gc_sqlw_ident(&w, t->table, NULL);
    gc_sqlw_str(&w, " (");
    gc_sqlw_ident(&w, GC_SQL_TENANT_COL, NULL);
    gc_sqlw_str(&w, " ");
    gc_sqlw_str(&w, d->text_type);
    gc_sqlw_str(&w, " NOT NULL, ");
    for (size_t i = 0; i < t->n_props; i++) {
        const gc_prop *p = &t->props[i];
        if (reserved_column(p->column))
            return gc_err_set(err, GC_E_INTERNAL, p->name,
                              "Column name %s of table %s is reserved by the store.", p->column,
                              t->table);
        gc_sqlw_ident(&w, p->column, NULL);
        gc_sqlw_str(&w, " ");
        gc_sqlw_str(&w, col_type(d, p));
        if (i == 0)
            gc_sqlw_str(&w, " NOT NULL");
        gc_sqlw_str(&w, ", ");
        if (p->type == GC_EDM_DATETIME) {
            gc_sqlw_ident(&w, p->column, GC_SQL_TICKS_SUFFIX);
            gc_sqlw_str(&w, " ");
            gc_sqlw_str(&w, d->int64_type);
            gc_sqlw_str(&w, ", ");
        }
    }
    gc_sqlw_ident(&w, GC_SQL_VERSION_COL, NULL);
    gc_sqlw_str(&w, " ");
    gc_sqlw_str(&w, d->int64_type);
    gc_sqlw_str(&w, " NOT NULL, PRIMARY KEY (");
    gc_sqlw_ident(&w, GC_SQL_TENANT_COL, NULL);
    gc_sqlw_str(&w, ", ");
    gc_sqlw_ident(&w, key_of(t)->column, NULL);
    gc_sqlw_str(&w, "))");
    return w_done(&w, t, err);
}

int gc_sql_create_index(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t,
                        const gc_prop *p, gc_err *err)
{
    const char *suffix = p->type == GC_EDM_DATETIME ? GC_SQL_TICKS_SUFFIX : NULL;
    char name[256];
    int n = snprintf(name, sizeof name, "%s_%s%s_idx", t->table, p->column, suffix ? suffix : "");
    if (n < 0 || (size_t)n >= sizeof name)
        return gc_err_set(err, GC_E_INTERNAL, p->name, "Index name for %s.%s is too long.",
                          t->table, p->column);
    if (d->max_ident && (size_t)n > d->max_ident) { /* the engine would cut it, maybe into a twin */
        size_t keep = d->max_ident - 17;
        snprintf(name + keep, sizeof name - keep, "_%016llx",
                 (unsigned long long)gc_hash64(0, name, (size_t)n));
    }
    gc_sqlw w = gc_sqlw_start(b, d, true, NULL, 0);
    gc_sqlw_str(&w, "CREATE INDEX IF NOT EXISTS ");
    gc_sqlw_ident(&w, name, NULL);
    gc_sqlw_str(&w, " ON ");
    gc_sqlw_ident(&w, t->table, NULL);
    gc_sqlw_str(&w, " (");
    gc_sqlw_ident(&w, GC_SQL_TENANT_COL, NULL);
    gc_sqlw_str(&w, ", ");
    gc_sqlw_ident(&w, p->column, suffix);
    gc_sqlw_str(&w, ", ");
    gc_sqlw_ident(&w, key_of(t)->column, NULL);
    gc_sqlw_str(&w, ")");
    return w_done(&w, t, err);
}

int gc_sql_select_one(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t,
                      bool with_secrets, const char *extra, gc_err *err)
{
    gc_sqlw w = gc_sqlw_start(b, d, true, NULL, 0);
    gc_sqlw_str(&w, "SELECT ");
    w_cols(&w, t, with_secrets);
    if (extra) {
        gc_sqlw_str(&w, ", ");
        gc_sqlw_str(&w, extra);
    }
    gc_sqlw_str(&w, " FROM ");
    gc_sqlw_ident(&w, t->table, NULL);
    w_where_id(&w, t);
    return w_done(&w, t, err);
}

int gc_sql_select_version(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t, gc_err *err)
{
    gc_sqlw w = gc_sqlw_start(b, d, true, NULL, 0);
    gc_sqlw_str(&w, "SELECT ");
    gc_sqlw_ident(&w, GC_SQL_VERSION_COL, NULL);
    gc_sqlw_str(&w, " FROM ");
    gc_sqlw_ident(&w, t->table, NULL);
    w_where_id(&w, t);
    return w_done(&w, t, err);
}

static bool prop_of(const gc_entity_type *t, const gc_prop *p)
{
    for (size_t i = 0; i < t->n_props; i++)
        if (&t->props[i] == p)
            return true;
    return false;
}

static int check_query(const gc_entity_type *t, const gc_store_query *q, gc_err *err)
{
    if (!q)
        return 0;
    for (size_t i = 0; i < q->n_order; i++)
        if (!prop_of(t, q->order[i].prop))
            return gc_err_set(err, GC_E_INTERNAL, "", "Sort key is not a property of %s.", t->name);
    if (q->after && (!json_is_array(q->after) || json_array_size(q->after) != q->n_order + 1))
        return gc_err_set(err, GC_E_INTERNAL, "", "The keyset position does not match the sort keys.");
    return 0;
}

/* The column a sort key compares on: a date-time's instant, otherwise the column itself. */
static void w_sort_col(gc_sqlw *w, const gc_prop *p)
{
    gc_sqlw_ident(w, p->column, p->type == GC_EDM_DATETIME ? GC_SQL_TICKS_SUFFIX : NULL);
}

/* The sortable value of a position entry (NULL kind for JSON null). */
static int sort_value(const gc_prop *p, const json_t *v, gc_arena *a, gc_sql_value *out, gc_err *err)
{
    if (!v || json_is_null(v)) {
        *out = (gc_sql_value){.kind = GC_SQL_NULL};
        return 0;
    }
    gc_sql_value two[GC_VALUE_MAX_WIDTH];
    if (gc_value_from_wire(p, v, a, two, err) != 0)
        return gc_err_set(err, GC_E_BAD_REQUEST, "$skiptoken", "The $skiptoken does not fit this request.");
    *out = p->type == GC_EDM_DATETIME ? two[1] : two[0];
    return 0;
}

/* Keyset predicate: rows strictly after position q->after in the order (keys, then id ASC),
 * with nulls first ascending and last descending, as the ORDER BY sorts them. Expanded as
 * k1 after v1 OR (k1 same v1 AND (k2 after v2 OR (... AND id > vid))). */
static int w_keyset(gc_sqlw *w, const gc_entity_type *t, const gc_store_query *q, gc_arena *a,
                    gc_err *err)
{
    size_t keys = q->n_order;
    gc_sql_value vals[GC_SQL_MAX_ORDER + 1];
    if (keys > GC_SQL_MAX_ORDER)
        return gc_err_set(err, GC_E_INTERNAL, "", "Too many sort keys.");
    for (size_t i = 0; i < keys; i++)
        if (sort_value(q->order[i].prop, json_array_get(q->after, i), a, &vals[i], err) != 0)
            return -1;
    const json_t *last = json_array_get(q->after, keys);
    if (!json_is_string(last))
        return gc_err_set(err, GC_E_BAD_REQUEST, "$skiptoken", "The $skiptoken does not fit this request.");
    vals[keys] = (gc_sql_value){.kind = GC_SQL_TEXT, .p = json_string_value(last),
                                .len = json_string_length(last)};
    gc_sqlw_str(w, " AND (");
    for (size_t i = 0; i < keys; i++) {
        const gc_prop *p = q->order[i].prop;
        bool desc = q->order[i].desc;
        bool null = vals[i].kind == GC_SQL_NULL;
        /* k after v */
        gc_sqlw_str(w, "(");
        if (null && !desc) {
            w_sort_col(w, p);
            gc_sqlw_str(w, " IS NOT NULL");
        } else if (null && desc) {
            gc_sqlw_str(w, "1 = 0");
        } else if (!desc) {
            w_sort_col(w, p);
            gc_sqlw_str(w, " > ");
            gc_sqlw_bind(w, vals[i]);
        } else {
            w_sort_col(w, p);
            gc_sqlw_str(w, " < ");
            gc_sqlw_bind(w, vals[i]);
            gc_sqlw_str(w, " OR ");
            w_sort_col(w, p);
            gc_sqlw_str(w, " IS NULL");
        }
        gc_sqlw_str(w, ") OR (");
        /* k same v */
        w_sort_col(w, p);
        if (null) {
            gc_sqlw_str(w, " IS NULL");
        } else {
            gc_sqlw_str(w, " = ");
            gc_sqlw_bind(w, vals[i]);
        }
        gc_sqlw_str(w, " AND (");
    }
    gc_sqlw_ident(w, key_of(t)->column, NULL);
    gc_sqlw_str(w, " > ");
    gc_sqlw_bind(w, vals[keys]);
    for (size_t i = 0; i < keys; i++)
        gc_sqlw_str(w, "))");
    gc_sqlw_str(w, ")");
    return 0;
}

/* FROM table WHERE tenant = ? [AND (filter)] */
static int w_from_where(gc_sqlw *w, const gc_entity_type *t, const gc_store_query *q,
                        const char *tenant, gc_arena *a, gc_err *err)
{
    gc_sqlw_str(w, " FROM ");
    gc_sqlw_ident(w, t->table, NULL);
    gc_sqlw_str(w, " WHERE ");
    gc_sqlw_ident(w, GC_SQL_TENANT_COL, NULL);
    gc_sqlw_str(w, " = ");
    gc_sqlw_bind(w, gc_value_text(tenant, strlen(tenant)));
    if (q && q->filter) {
        gc_sqlw_str(w, " AND ");
        if (gc_sqlw_failed(w))
            return 0;
        if (gc_sql_filter_write(w, t, q->filter, a, err) != 0)
            return -1;
    }
    return 0;
}

/* The list (count false) or count statement of q: SELECT what FROM ... WHERE ..., and for a list
 * the keyset position, order and page. */
static int w_query(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t,
                   const gc_store_query *q, const char *tenant, gc_arena *a, bool count,
                   gc_sql_value *params, size_t *n_params, gc_err *err)
{
    *n_params = 0;
    if (check_query(t, q, err) != 0)
        return -1;
    gc_sqlw w = gc_sqlw_start(b, d, true, params, GC_SQL_MAX_PARAMS);
    gc_sqlw_str(&w, "SELECT ");
    if (count)
        gc_sqlw_str(&w, "count(*)");
    else
        w_cols(&w, t, false);
    if (w_from_where(&w, t, q, tenant, a, err) != 0)
        return -1;
    if (count) {
        *n_params = w.n_bound;
        return w_done(&w, t, err);
    }
    if (q && q->after && w_keyset(&w, t, q, a, err) != 0)
        return -1;
    gc_sqlw_str(&w, " ORDER BY ");
    for (size_t i = 0; q && i < q->n_order; i++) {
        w_sort_col(&w, q->order[i].prop);
        gc_sqlw_str(&w, q->order[i].desc ? " DESC NULLS LAST, " : " ASC NULLS FIRST, ");
    }
    gc_sqlw_ident(&w, key_of(t)->column, NULL);
    gc_sqlw_str(&w, " ASC LIMIT ");
    size_t limit = q ? q->limit : 0, offset = q ? q->offset : 0;
    gc_sqlw_bind(&w, gc_value_int(limit == 0 || limit > INT64_MAX ? INT64_MAX : (int64_t)limit));
    gc_sqlw_str(&w, " OFFSET ");
    gc_sqlw_bind(&w, gc_value_int(offset > INT64_MAX ? INT64_MAX : (int64_t)offset));
    *n_params = w.n_bound;
    return w_done(&w, t, err);
}

int gc_sql_select_list(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t,
                       const gc_store_query *q, const char *tenant, gc_arena *a,
                       gc_sql_value *params, size_t *n_params, gc_err *err)
{
    return w_query(b, d, t, q, tenant, a, false, params, n_params, err);
}

int gc_sql_count(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t,
                 const gc_store_query *q, const char *tenant, gc_arena *a,
                 gc_sql_value *params, size_t *n_params, gc_err *err)
{
    return w_query(b, d, t, q, tenant, a, true, params, n_params, err);
}

void gc_sql_count_expiring_params(int64_t from_ticks, const int64_t *until_ticks, size_t n_windows,
                                  gc_sql_value *params)
{
    for (size_t i = 0; i < n_windows; i++)
        params[i] = (gc_sql_value){.kind = GC_SQL_INT, .i = until_ticks[i]};
    params[n_windows] = (gc_sql_value){.kind = GC_SQL_INT, .i = from_ticks};
    params[n_windows + 1] = (gc_sql_value){.kind = GC_SQL_INT, .i = until_ticks[n_windows - 1]};
}

int gc_sql_count_expiring(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t,
                          size_t n_windows, gc_err *err)
{
    const gc_prop *p = t->expiry ? gc_schema_find_prop(t, t->expiry) : NULL;
    if (!p || p->type != GC_EDM_DATETIME)
        return gc_err_set(err, GC_E_INTERNAL, "", "%s has no date-time expiry property.", t->name);
    gc_sqlw w = gc_sqlw_start(b, d, true, NULL, 0);
    gc_sqlw_str(&w, "SELECT ");
    gc_sqlw_ident(&w, GC_SQL_TENANT_COL, NULL);
    for (size_t i = 0; i < n_windows; i++) {
        gc_sqlw_str(&w, ", sum(CASE WHEN ");
        gc_sqlw_ident(&w, p->column, GC_SQL_TICKS_SUFFIX);
        gc_sqlw_str(&w, " <= ");
        gc_sqlw_placeholder(&w);
        gc_sqlw_str(&w, " THEN 1 ELSE 0 END)");
    }
    gc_sqlw_str(&w, " FROM ");
    gc_sqlw_ident(&w, t->table, NULL);
    gc_sqlw_str(&w, " WHERE ");
    gc_sqlw_ident(&w, p->column, GC_SQL_TICKS_SUFFIX);
    gc_sqlw_str(&w, " >= ");
    gc_sqlw_placeholder(&w);
    gc_sqlw_str(&w, " AND ");
    gc_sqlw_ident(&w, p->column, GC_SQL_TICKS_SUFFIX);
    gc_sqlw_str(&w, " <= ");
    gc_sqlw_placeholder(&w);
    gc_sqlw_str(&w, " GROUP BY ");
    gc_sqlw_ident(&w, GC_SQL_TENANT_COL, NULL);
    gc_sqlw_str(&w, " ORDER BY ");
    gc_sqlw_ident(&w, GC_SQL_TENANT_COL, NULL);
    return w_done(&w, t, err);
}

int gc_sql_insert(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t, gc_err *err)
{
    gc_sqlw w = gc_sqlw_start(b, d, true, NULL, 0);
    gc_sqlw_str(&w, "INSERT INTO ");
    gc_sqlw_ident(&w, t->table, NULL);
    gc_sqlw_str(&w, " (");
    gc_sqlw_ident(&w, GC_SQL_TENANT_COL, NULL);
    gc_sqlw_str(&w, ", ");
    w_cols(&w, t, true);
    gc_sqlw_str(&w, ") VALUES (");
    size_t n = gc_sql_n_values(t) + 2;
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            gc_sqlw_str(&w, ", ");
        gc_sqlw_placeholder(&w);
    }
    gc_sqlw_str(&w, ")");
    return w_done(&w, t, err);
}

int gc_sql_update(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t, const bool *set,
                  gc_err *err)
{
    gc_sqlw w = gc_sqlw_start(b, d, true, NULL, 0);
    gc_sqlw_str(&w, "UPDATE ");
    gc_sqlw_ident(&w, t->table, NULL);
    gc_sqlw_str(&w, " SET ");
    for (size_t i = 1; i < t->n_props; i++) {
        const gc_prop *p = &t->props[i];
        if (set && !set[i])
            continue;
        w_eq(&w, p->column, NULL);
        gc_sqlw_str(&w, ", ");
        if (p->type == GC_EDM_DATETIME) {
            w_eq(&w, p->column, GC_SQL_TICKS_SUFFIX);
            gc_sqlw_str(&w, ", ");
        }
    }
    w_eq(&w, GC_SQL_VERSION_COL, NULL);
    w_where_id(&w, t);
    gc_sqlw_str(&w, " AND ");
    w_eq(&w, GC_SQL_VERSION_COL, NULL);
    return w_done(&w, t, err);
}

int gc_sql_delete(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t, bool check_version,
                  gc_err *err)
{
    gc_sqlw w = gc_sqlw_start(b, d, true, NULL, 0);
    gc_sqlw_str(&w, "DELETE FROM ");
    gc_sqlw_ident(&w, t->table, NULL);
    w_where_id(&w, t);
    if (check_version) {
        gc_sqlw_str(&w, " AND ");
        w_eq(&w, GC_SQL_VERSION_COL, NULL);
    }
    return w_done(&w, t, err);
}

/* ---- values ---- */

/* The values (two for DATETIME) of property i of t from its JSON value v (not null): the ones
 * memo remembers of v, else converted here. */
static int prop_to_values(const gc_entity_type *t, size_t i, const json_t *v,
                          const gc_value_memo *memo, gc_arena *a, gc_sql_value *out, gc_err *err)
{
    const gc_prop *p = &t->props[i];
    const gc_value *known = gc_value_memo_get(memo, i, v);
    if (!known)
        return gc_value_from_wire(p, v, a, out, err);
    memcpy(out, known, gc_value_width(p) * sizeof *out);
    return 0;
}

int gc_sql_values_from_record(const gc_entity_type *t, const json_t *obj,
                              const gc_value_memo *memo, gc_arena *a, gc_sql_value *values,
                              gc_err *err)
{
    if (!json_is_object(obj))
        return gc_err_set(err, GC_E_BAD_REQUEST, "", "A record must be a JSON object.");
    size_t k = 0;
    for (size_t i = 0; i < t->n_props; i++) {
        const gc_prop *p = &t->props[i];
        size_t width = gc_value_width(p);
        const json_t *v = json_object_get(obj, p->name);
        if (!v || json_is_null(v)) {
            if (i == 0)
                return gc_err_set(err, GC_E_BAD_REQUEST, p->name, "The record has no '%s'.", p->name);
            for (size_t j = 0; j < width; j++)
                values[k + j] = (gc_sql_value){.kind = GC_SQL_NULL};
        } else if (prop_to_values(t, i, v, memo, a, &values[k], err) != 0) {
            return -1;
        }
        k += width;
    }
    return 0;
}

int gc_sql_update_values(const gc_entity_type *t, const char *key, const json_t *old,
                         const json_t *obj, const gc_value_memo *memo, gc_arena *a, bool *set,
                         gc_sql_value *values, size_t *n_values, gc_err *err)
{
    *n_values = 0;
    if (!json_is_object(obj))
        return gc_err_set(err, GC_E_BAD_REQUEST, "", "A record must be a JSON object.");
    const gc_prop *k = key_of(t);
    const json_t *kv = json_object_get(obj, k->name);
    if (kv && (!json_is_string(kv) || strcmp(json_string_value(kv), key) != 0 ||
               json_string_length(kv) != strlen(key)))
        return gc_err_set(err, GC_E_BAD_REQUEST, k->name, "The key '%s' cannot be changed.", k->name);
    set[0] = false;
    size_t n = 0;
    for (size_t i = 1; i < t->n_props; i++) {
        const gc_prop *p = &t->props[i];
        size_t width = gc_value_width(p);
        const json_t *v = json_object_get(obj, p->name);
        set[i] = false;
        if (!v)
            continue;
        if (old) {
            const json_t *ov = json_object_get(old, p->name);
            if (json_equal(ov ? ov : json_null(), v))
                continue;
        }
        set[i] = true;
        if (json_is_null(v)) {
            for (size_t j = 0; j < width; j++)
                values[n + j] = (gc_sql_value){.kind = GC_SQL_NULL};
        } else if (prop_to_values(t, i, v, memo, a, &values[n], err) != 0) {
            return -1;
        }
        n += width;
    }
    *n_values = n;
    return 0;
}

int gc_sql_update_prepare(const gc_sql_dialect *d, const gc_entity_type *t, const char *id,
                          const json_t *old, const json_t *obj, const gc_value_memo *memo,
                          gc_arena *a, const char **sql, gc_sql_value **values, size_t *n_values,
                          gc_err *err)
{
    bool *set = gc_arena_alloc(a, t->n_props * sizeof *set);
    *values = gc_arena_alloc(a, gc_sql_n_values(t) * sizeof **values);
    gc_buf b;
    gc_buf_init(&b, GC_SQL_MAX_LEN);
    int rc = -1;
    if (gc_sql_update_values(t, id, old, obj, memo, a, set, *values, n_values, err) == 0 &&
        gc_sql_update(&b, d, t, set, err) == 0) {
        *sql = gc_arena_strndup(a, b.data, b.len);
        rc = 0;
    }
    gc_buf_free(&b);
    return rc;
}

static int bad_stored(const gc_entity_type *t, const gc_prop *p, gc_err *err)
{
    return gc_err_set(err, GC_E_INTERNAL, p->name, "Stored value of %s.%s has the wrong type.",
                      t->table, p->column);
}

/* The JSON value of one property from its first stored value v (not NULL). */
static json_t *prop_from_value(const gc_entity_type *t, const gc_prop *p, const gc_sql_value *v,
                               gc_arena *a, gc_err *err)
{
    json_t *j = gc_value_to_wire(p, v, a);
    if (!j)
        bad_stored(t, p, err);
    return j;
}

int gc_sql_record_from_values(const gc_entity_type *t, const gc_sql_value *values, bool in_order,
                              gc_arena *a, json_t **out, gc_err *err)
{
    int rc = -1;
    json_t *obj = in_order ? json_array() : json_object();
    if (!obj) {
        gc_err_set(err, GC_E_INTERNAL, "", "Out of memory building a record.");
        goto done;
    }
    size_t k = 0;
    for (size_t i = 0; i < t->n_props; i++) {
        const gc_prop *p = &t->props[i];
        const gc_sql_value *v = &values[k];
        k += gc_value_width(p);
        json_t *j = v->kind == GC_SQL_NULL ? json_null() : prop_from_value(t, p, v, a, err);
        if (!j)
            goto done;
        int set = in_order ? json_array_append_new(obj, j) : json_object_set_new_nocheck(obj, p->name, j);
        if (set != 0) {
            gc_err_set(err, GC_E_INTERNAL, p->name, "Out of memory building a record.");
            goto done;
        }
    }
    *out = gc_arena_json(a, obj);
    obj = NULL;
    rc = 0;
done:
    json_decref(obj);
    return rc;
}

typedef enum fixed_kind { F_GET, F_GET_SECRETS, F_VERSION, F_INSERT, F_REMOVE, F_REMOVE_VERSION } fixed_kind;

/* One fixed statement's text as a malloc'ed string, or NULL with err. */
static char *fixed_text(fixed_kind k, const gc_sql_dialect *d, const gc_entity_type *t,
                        const char *extra_col, gc_err *err)
{
    gc_buf b;
    gc_buf_init(&b, GC_SQL_MAX_LEN);
    int rc = k == F_GET || k == F_GET_SECRETS ? gc_sql_select_one(&b, d, t, k == F_GET_SECRETS, extra_col, err)
             : k == F_VERSION                 ? gc_sql_select_version(&b, d, t, err)
             : k == F_INSERT                  ? gc_sql_insert(&b, d, t, err)
                                              : gc_sql_delete(&b, d, t, k == F_REMOVE_VERSION, err);
    if (rc == 0)
        return b.data;
    gc_buf_free(&b);
    return NULL;
}

int gc_sql_fixed_make(gc_sql_fixed *f, const gc_sql_dialect *d, const gc_entity_type *t,
                      const char *extra_col, gc_err *err)
{
    memset(f, 0, sizeof *f);
    if ((f->get = fixed_text(F_GET, d, t, extra_col, err)) &&
        (f->get_secrets = fixed_text(F_GET_SECRETS, d, t, extra_col, err)) &&
        (f->version = fixed_text(F_VERSION, d, t, extra_col, err)) &&
        (f->insert = fixed_text(F_INSERT, d, t, extra_col, err)) &&
        (f->remove = fixed_text(F_REMOVE, d, t, extra_col, err)) &&
        (f->remove_version = fixed_text(F_REMOVE_VERSION, d, t, extra_col, err)))
        return 0;
    gc_sql_fixed_free(f);
    return -1;
}

void gc_sql_fixed_free(gc_sql_fixed *f)
{
    free(f->get);
    free(f->get_secrets);
    free(f->version);
    free(f->insert);
    free(f->remove);
    free(f->remove_version);
    memset(f, 0, sizeof *f);
}
