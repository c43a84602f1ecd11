/* The SQLite backend's reads: get, list, count and the expiring counts, on a pooled read
 * connection, never waiting for the writer. */
#include "store/sqlite/sqlite_int.h"

/* ---- reads ---- */

/* A pooled connection (*c) and its prepared statement for sql with params bound; NULL on
 * failure (*c is then released by the caller like on success, when not NULL). */
static sqlite3_stmt *read_stmt(sqlite_store *s, const char *sql, const gc_sql_value *params,
                               size_t n_params, conn **c, bool *cached, gc_err *err)
{
    if (!(*c = gc_sqlite_reader_acquire(s, err)))
        return NULL;
    sqlite3_stmt *st = gc_sqlite_stmt_get(*c, sql, cached, err);
    for (size_t i = 0; st && i < n_params; i++)
        gc_sqlite_bind_value(st, (int)i + 1, &params[i]);
    return st;
}

/* The end of a read: the statement back to its cache, the connection to the pool, the text
 * (sql, when not NULL) freed. Any of them may be missing (a read that failed early). */
static void read_end(sqlite_store *s, sqlite3_stmt *st, bool cached, conn *c, gc_buf *sql)
{
    gc_sqlite_stmt_put(st, cached);
    if (c)
        gc_sqlite_reader_release(s, c);
    if (sql)
        gc_buf_free(sql);
}

int gc_sqlite_get(gc_store *gs, gc_arena *a, const gc_entity_type *t, const char *tenant,
                      const char *id, unsigned flags, gc_record *out, gc_err *err)
{
    sqlite_store *s = (sqlite_store *)gs;
    int result = -1;
    conn *c = NULL;
    sqlite3_stmt *st = NULL;
    bool cached = false;
    const type_sql *q = gc_sqlite_sql_of(s, t, err);
    if (!q)
        goto done;
    bool secrets = flags & GC_STORE_WITH_SECRETS;
    uint64_t h = gc_sqlite_rowid_hash(q, tenant, id);
    int64_t rowid = 0;
    bool at = gc_sqlite_rowid_cached(s, h, &rowid);
    if (!(c = gc_sqlite_reader_acquire(s, err)) ||
        !(st = gc_sqlite_stmt_get(c, at ? (secrets ? q->get_secrets_at : q->get_at)
                              : (secrets ? q->f.get_secrets : q->f.get),
                        &cached, err)))
        goto done;
    gc_sqlite_bind_text(st, 1, tenant);
    gc_sqlite_bind_text(st, 2, id);
    if (at)
        sqlite3_bind_int64(st, 3, rowid);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE && at) { /* not there (any more): through the index */
        gc_sqlite_stmt_put(st, cached);
        if (!(st = gc_sqlite_stmt_get(c, secrets ? q->f.get_secrets : q->f.get, &cached, err)))
            goto done;
        gc_sqlite_bind_text(st, 1, tenant);
        gc_sqlite_bind_text(st, 2, id);
        rc = sqlite3_step(st);
        at = false;
    }
    if (rc == SQLITE_ROW && !at)
        gc_sqlite_rowid_remember(s, h, sqlite3_column_int64(st, (int)gc_sql_n_values(t) + 1));
    if (rc == SQLITE_DONE) {
        gc_err_set(err, GC_E_NOT_FOUND, "id", "No %s with this id.", t->name);
        goto done;
    }
    if (rc != SQLITE_ROW) {
        gc_sqlite_db_fail(c->db, rc, "reading a row", err);
        goto done;
    }
    if (gc_sqlite_row_record(t, st, flags & GC_STORE_VALUES, a, out, err) != 0)
        goto done;
    result = 0;
done:
    read_end(s, st, cached, c, NULL);
    return result;
}

typedef int (*query_sql_fn)(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t,
                            const gc_store_query *q, const char *tenant, gc_arena *a,
                            gc_sql_value *params, size_t *n_params, gc_err *err);

/* The statement of a list or count (gen: gc_sql_select_list or gc_sql_count) on a pooled read
 * connection, its text in sql and its values in a. */
static sqlite3_stmt *query_stmt(sqlite_store *s, query_sql_fn gen, const gc_entity_type *t,
                                const gc_store_query *q, const char *tenant, gc_arena *a,
                                gc_buf *sql, conn **c, bool *cached, gc_err *err)
{
    gc_buf_init(sql, GC_SQL_MAX_LEN);
    gc_sql_value *params = gc_arena_alloc(a, GC_SQL_MAX_PARAMS * sizeof *params);
    size_t n_params;
    if (gen(sql, &gc_sql_dialect_sqlite, t, q, tenant, a, params, &n_params, err) != 0)
        return NULL;
    return read_stmt(s, sql->data, params, n_params, c, cached, err);
}

int gc_sqlite_list(gc_store *gs, gc_arena *a, const gc_entity_type *t, const char *tenant,
                       const gc_store_query *q, gc_record **out, size_t *n_out, gc_err *err)
{
    sqlite_store *s = (sqlite_store *)gs;
    int result = -1;
    conn *c = NULL;
    bool cached = false;
    gc_record *rows = NULL;
    size_t n = 0, cap = 0;
    gc_buf sql;
    sqlite3_stmt *st = query_stmt(s, gc_sql_select_list, t, q, tenant, a, &sql, &c, &cached, err);
    if (!st)
        goto done;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            gc_record *nrows = realloc(rows, ncap * sizeof *rows);
            if (!nrows) {
                gc_err_set(err, GC_E_INTERNAL, "", "Out of memory reading rows.");
                goto done;
            }
            rows = nrows;
            cap = ncap;
        }
        if (gc_sqlite_row_record(t, st, q && q->values, a, &rows[n], err) != 0)
            goto done;
        n++;
    }
    if (rc != SQLITE_DONE) {
        gc_sqlite_db_fail(c->db, rc, "reading rows", err);
        goto done;
    }
    *out = gc_arena_alloc(a, (n ? n : 1) * sizeof **out);
    if (n)
        memcpy(*out, rows, n * sizeof *rows);
    *n_out = n;
    result = 0;
done:
    free(rows);
    read_end(s, st, cached, c, &sql);
    return result;
}

int gc_sqlite_count(gc_store *gs, gc_arena *a, const gc_entity_type *t, const char *tenant,
                        const gc_store_query *q, int64_t *out, gc_err *err)
{
    sqlite_store *s = (sqlite_store *)gs;
    int result = -1;
    conn *c = NULL;
    bool cached = false;
    gc_buf sql;
    sqlite3_stmt *st = query_stmt(s, gc_sql_count, t, q, tenant, a, &sql, &c, &cached, err);
    if (!st)
        goto done;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        gc_sqlite_db_fail(c->db, rc, "counting rows", err);
        goto done;
    }
    *out = sqlite3_column_int64(st, 0);
    result = 0;
done:
    read_end(s, st, cached, c, &sql);
    return result;
}

int gc_sqlite_count_expiring(gc_store *gs, gc_arena *a, const gc_entity_type *t,
                                 int64_t from_ticks, const int64_t *until_ticks, size_t n_windows,
                                 gc_store_expiring **out, size_t *n_out, gc_err *err)
{
    sqlite_store *s = (sqlite_store *)gs;
    int result = -1;
    conn *c = NULL;
    sqlite3_stmt *st = NULL;
    bool cached = false;
    gc_store_expiring *rows = NULL;
    size_t n = 0, cap = 0;
    gc_buf sql;
    gc_buf_init(&sql, GC_SQL_MAX_LEN);
    gc_sql_value params[GC_STORE_MAX_WINDOWS + 2];
    gc_sql_count_expiring_params(from_ticks, until_ticks, n_windows, params);
    if (gc_sql_count_expiring(&sql, &gc_sql_dialect_sqlite, t, n_windows, err) != 0 ||
        !(st = read_stmt(s, sql.data, params, n_windows + 2, &c, &cached, err)))
        goto done;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            gc_store_expiring *nrows = gc_arena_alloc(a, ncap * sizeof *nrows);
            if (n)
                memcpy(nrows, rows, n * sizeof *rows);
            rows = nrows;
            cap = ncap;
        }
        const char *tenant = (const char *)sqlite3_column_text(st, 0);
        rows[n].tenant = gc_arena_strdup(a, tenant ? tenant : "");
        for (size_t i = 0; i < n_windows; i++)
            rows[n].counts[i] = sqlite3_column_int64(st, (int)i + 1);
        n++;
    }
    if (rc != SQLITE_DONE) {
        gc_sqlite_db_fail(c->db, rc, "counting expiring rows", err);
        goto done;
    }
    *out = rows;
    *n_out = n;
    result = 0;
done:
    read_end(s, st, cached, c, &sql);
    return result;
}
