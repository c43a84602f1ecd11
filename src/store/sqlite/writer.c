/* The SQLite backend's writer thread: the queue of writes, group commit (one transaction and
 * one sync for everything queued), and insert/update/remove, which queue a write and wait. */
#include "store/sqlite/sqlite_int.h"

/* ---- the writer thread ---- */

static int64_t next_version(sqlite_store *s)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    s->last_version = now > s->last_version ? now : s->last_version + 1;
    return s->last_version;
}

/* Runs one statement to completion on the writer connection. */
static int write_step(conn *c, sqlite3_stmt *st, const char *what, gc_err *err)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        return 0;
    return gc_sqlite_db_fail(c->db, rc, what, err);
}

/* After an update or delete touched no row: NOT_FOUND when the row is gone, STALE otherwise. */
static int missing_or_stale(conn *c, write_op *op)
{
    bool cached = false;
    sqlite3_stmt *st = gc_sqlite_stmt_get(c, op->version_sql, &cached, &op->err);
    if (!st)
        return -1;
    gc_sqlite_bind_text(st, 1, op->tenant);
    gc_sqlite_bind_text(st, 2, op->id);
    int rc = sqlite3_step(st);
    gc_sqlite_stmt_put(st, cached);
    if (rc == SQLITE_ROW)
        return gc_err_set(&op->err, GC_E_STALE, "", "The entity was changed since it was read.");
    if (rc == SQLITE_DONE)
        return gc_err_set(&op->err, GC_E_NOT_FOUND, "id", "No entity with this id.");
    return gc_sqlite_db_fail(c->db, rc, "reading a version", &op->err);
}

/* Inserts op's companion row (tenant, its values, op's version). */
static int run_with(conn *c, write_op *op)
{
    bool cached = false;
    sqlite3_stmt *st = gc_sqlite_stmt_get(c, op->with_sql, &cached, &op->err);
    if (!st)
        return -1;
    int k = 1;
    gc_sqlite_bind_text(st, k++, op->tenant);
    for (size_t i = 0; i < op->with_n; i++)
        gc_sqlite_bind_value(st, k++, &op->with_values[i]);
    sqlite3_bind_int64(st, k++, op->version);
    int rc = sqlite3_step(st);
    gc_sqlite_stmt_put(st, cached);
    if (rc == SQLITE_DONE)
        return 0;
    gc_sqlite_db_fail(c->db, rc, "writing the row that goes with a write", &op->err);
    return -1;
}

/* One write inside the open transaction; fills op->err on failure. */
static int run_op(conn *c, write_op *op)
{
    int result = -1;
    bool cached = false;
    sqlite3_stmt *st = gc_sqlite_stmt_get(c, op->sql, &cached, &op->err);
    if (!st)
        goto done;
    int k = 1;
    switch (op->kind) {
    case OP_INSERT:
        gc_sqlite_bind_text(st, k++, op->tenant);
        for (size_t i = 0; i < op->n_values; i++)
            gc_sqlite_bind_value(st, k++, &op->values[i]);
        sqlite3_bind_int64(st, k++, op->version);
        break;
    case OP_UPDATE:
        for (size_t i = 0; i < op->n_values; i++)
            gc_sqlite_bind_value(st, k++, &op->values[i]);
        sqlite3_bind_int64(st, k++, op->version);
        gc_sqlite_bind_text(st, k++, op->tenant);
        gc_sqlite_bind_text(st, k++, op->id);
        sqlite3_bind_int64(st, k++, op->expect_version);
        break;
    case OP_REMOVE:
        gc_sqlite_bind_text(st, k++, op->tenant);
        gc_sqlite_bind_text(st, k++, op->id);
        if (op->expect_version != 0)
            sqlite3_bind_int64(st, k++, op->expect_version);
        break;
    }
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) {
        int ext = sqlite3_extended_errcode(c->db);
        if (op->kind == OP_INSERT &&
            (ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE))
            gc_err_set(&op->err, GC_E_CONFLICT, "id", "An entity with this id already exists.");
        else
            gc_sqlite_db_fail(c->db, rc, "writing a row", &op->err);
        goto done;
    }
    if (op->kind == OP_INSERT)
        op->rowid = sqlite3_last_insert_rowid(c->db);
    if (op->kind != OP_INSERT && sqlite3_changes(c->db) == 0) {
        gc_sqlite_stmt_put(st, cached);
        st = NULL;
        missing_or_stale(c, op);
        goto done;
    }
    gc_sqlite_stmt_put(st, cached);
    st = NULL;
    if (op->with_sql && run_with(c, op) != 0)
        goto done;
    result = 0;
done:
    gc_sqlite_stmt_put(st, cached);
    return result;
}

/* An op with a companion row runs inside a savepoint: when the row fails, the op's own
 * statement is undone with it, and the rest of the group goes on. */
static int run_op_with(conn *c, write_op *op)
{
    if (gc_sqlite_run_cached(c, "SAVEPOINT gc_with", "starting a savepoint", &op->err) != 0)
        return -1;
    int rc = run_op(c, op);
    if (rc != 0 && !sqlite3_get_autocommit(c->db))
        gc_sqlite_run_cached(c, "ROLLBACK TO gc_with", "undoing a write", NULL);
    if (!sqlite3_get_autocommit(c->db) &&
        gc_sqlite_run_cached(c, "RELEASE gc_with", "ending a savepoint", rc == 0 ? &op->err : NULL) != 0)
        rc = -1;
    return rc;
}

static int save_last_version(sqlite_store *s, gc_err *err)
{
    bool cached = false;
    sqlite3_stmt *st = gc_sqlite_stmt_get(s->wconn,
                                "UPDATE gc_meta SET value = ? WHERE key = 'last_version'", &cached, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, s->last_version);
    int rc = write_step(s->wconn, st, "recording the last version", err);
    gc_sqlite_stmt_put(st, cached);
    return rc;
}

/* One group: BEGIN IMMEDIATE, the ops, one COMMIT. Each op is one statement, and SQLite undoes
 * a failed statement on its own (a conflict or a stale version) while the transaction goes on,
 * so one write's failure stays its own without a savepoint around it (an op with a companion
 * row has one: see run_op_with). An error that ends the
 * whole transaction (I/O, full disk) is seen by autocommit being back on: the group is lost. */
static void run_group(sqlite_store *s, write_op *ops)
{
    conn *c = s->wconn;
    gc_err gerr;
    gc_err_clear(&gerr);
    bool lost = gc_sqlite_run_cached(c, "BEGIN IMMEDIATE", "starting a transaction", &gerr) != 0;
    for (write_op *op = ops; op && !lost; op = op->next) {
        op->version = next_version(s);
        op->rc = op->with_sql ? run_op_with(c, op) : run_op(c, op);
        if (op->rc != 0 && sqlite3_get_autocommit(c->db)) {
            gerr = op->err; /* an error that ended the transaction (full disk, I/O) */
            lost = true;
        }
    }
    if (!lost && save_last_version(s, &gerr) != 0)
        lost = true;
    if (!lost) {
        int inject = atomic_load(&s->fail_commits);
        while (inject > 0 && !atomic_compare_exchange_weak(&s->fail_commits, &inject, inject - 1))
            ;
        if (inject > 0) {
            gc_err_set(&gerr, GC_E_INTERNAL, "", "Database error while committing (injected).");
            lost = true;
        } else {
            atomic_fetch_add(&s->announced, 1); /* before anyone can see it: see the reader pool */
            lost = gc_sqlite_run_cached(c, "COMMIT", "committing", &gerr) != 0;
            int delay = atomic_load(&s->settle_delay_us);
            if (delay > 0)
                nanosleep(&(struct timespec){0, (long)delay * 1000L}, NULL);
            atomic_fetch_add(&s->settled, 1);
        }
    }
    if (lost) {
        if (!sqlite3_get_autocommit(c->db))
            gc_sqlite_run_cached(c, "ROLLBACK", "rolling back", NULL);
        /* a full disk and a lock keep their kinds (507, 503): the client can act on them */
        gc_errkind kind = gerr.kind == GC_E_STORAGE_FULL || gerr.kind == GC_E_UNAVAILABLE
                              ? gerr.kind
                              : GC_E_INTERNAL;
        for (write_op *op = ops; op; op = op->next) {
            op->rc = -1;
            gc_err_set(&op->err, kind, "", "The write was not committed: %s", gerr.message);
        }
        return;
    }
    atomic_fetch_add(&s->commits, 1);
}

void *gc_sqlite_writer_main(void *arg)
{
    sqlite_store *s = arg;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        if (!gc_jobq_wait(&s->queue, &s->lock, &s->stopping))
            break; /* stopping and drained */
        write_op *ops = gc_jobq_take_all(&s->queue);
        pthread_mutex_unlock(&s->lock);

        run_group(s, ops);

        pthread_mutex_lock(&s->lock);
        for (write_op *op = ops; op;) {
            write_op *next = op->next; /* op may vanish once done is seen */
            op->done = true;
            pthread_cond_signal(&op->done_cv);
            op = next;
        }
        pthread_mutex_unlock(&s->lock);
        gc_sqlite_maybe_restart_wal(s);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* Queues op and waits for the writer's verdict. */
static int submit(sqlite_store *s, write_op *op, int64_t *version_out, gc_err *err)
{
    if (s->read_only)
        return gc_err_set(err, GC_E_INTERNAL, "", "The store was opened read-only.");
    gc_err_clear(&op->err);
    op->rc = -1;
    op->done = false;
    pthread_mutex_lock(&s->lock);
    if (s->stopping) {
        pthread_mutex_unlock(&s->lock);
        return gc_err_set(err, GC_E_UNAVAILABLE, "", "The store is closing.");
    }
    pthread_cond_init(&op->done_cv, NULL);
    gc_jobq_push(&s->queue, op);
    while (!op->done)
        pthread_cond_wait(&op->done_cv, &s->lock);
    pthread_mutex_unlock(&s->lock);
    pthread_cond_destroy(&op->done_cv);
    if (op->rc != 0) {
        if (err)
            *err = op->err;
        return -1;
    }
    if (version_out)
        *version_out = op->version;
    return 0;
}

/* ---- writes ---- */

/* Fills op's companion fields from with (NULL: none); values live in a. */
static int prepare_with(sqlite_store *s, const gc_store_row *with, gc_arena *a, write_op *op,
                        gc_err *err)
{
    if (!with)
        return 0;
    const type_sql *q = gc_sqlite_sql_of(s, with->type, err);
    size_t n = gc_sql_n_values(with->type);
    gc_sql_value *vals = gc_arena_alloc(a, n * sizeof *vals);
    if (!q || gc_sql_values_from_record(with->type, with->obj, NULL, a, vals, err) != 0)
        return -1;
    op->with_sql = q->f.insert;
    op->with_values = vals;
    op->with_n = n;
    return 0;
}

int gc_sqlite_insert(gc_store *gs, gc_arena *a, const gc_entity_type *t, const char *tenant,
                         const json_t *obj, const gc_value_memo *memo, const gc_store_row *with,
                         int64_t *version_out, gc_err *err)
{
    sqlite_store *s = (sqlite_store *)gs;
    int result = -1;
    const type_sql *q = gc_sqlite_sql_of(s, t, err);
    size_t n = gc_sql_n_values(t);
    gc_sql_value *vals = gc_arena_alloc(a, n * sizeof *vals);
    if (!q || gc_sql_values_from_record(t, obj, memo, a, vals, err) != 0)
        goto done;
    write_op op = {.kind = OP_INSERT, .tenant = tenant, .values = vals, .n_values = n, .sql = q->f.insert};
    if (prepare_with(s, with, a, &op, err) != 0)
        goto done;
    result = submit(s, &op, version_out, err);
    const char *id = json_string_value(json_object_get(obj, gc_schema_key(t)->name));
    if (result == 0 && id)
        gc_sqlite_rowid_remember(s, gc_sqlite_rowid_hash(q, tenant, id), op.rowid);
done:
    return result;
}

int gc_sqlite_update(gc_store *gs, gc_arena *a, const gc_entity_type *t, const char *tenant, const char *id,
                         int64_t expect_version, const json_t *old, const json_t *obj,
                         const gc_value_memo *memo, const gc_store_row *with, int64_t *version_out,
                         gc_err *err)
{
    sqlite_store *s = (sqlite_store *)gs;
    int result = -1;
    const type_sql *q = gc_sqlite_sql_of(s, t, err);
    gc_buf sql;
    gc_buf_init(&sql, GC_SQL_MAX_LEN);
    bool *set = gc_arena_alloc(a, t->n_props * sizeof *set);
    gc_sql_value *vals = gc_arena_alloc(a, gc_sql_n_values(t) * sizeof *vals);
    size_t n = 0;
    if (!q || gc_sql_update_values(t, id, old, obj, memo, a, set, vals, &n, err) != 0 ||
        gc_sql_update(&sql, &gc_sql_dialect_sqlite, t, set, err) != 0)
        goto done;
    write_op op = {.kind = OP_UPDATE, .tenant = tenant, .id = id, .expect_version = expect_version,
                   .values = vals, .n_values = n, .sql = sql.data, .version_sql = q->f.version};
    if (prepare_with(s, with, a, &op, err) != 0)
        goto done;
    result = submit(s, &op, version_out, err);
done:
    gc_buf_free(&sql);
    return result;
}

int gc_sqlite_remove(gc_store *gs, gc_arena *a, const gc_entity_type *t, const char *tenant, const char *id,
                         int64_t expect_version, const gc_store_row *with, gc_err *err)
{
    sqlite_store *s = (sqlite_store *)gs;
    int result = -1;
    const type_sql *q = gc_sqlite_sql_of(s, t, err);
    if (!q)
        goto done;
    write_op op = {.kind = OP_REMOVE, .tenant = tenant, .id = id, .expect_version = expect_version,
                   .sql = expect_version != 0 ? q->f.remove_version : q->f.remove,
                   .version_sql = q->f.version};
    if (prepare_with(s, with, a, &op, err) != 0)
        goto done;
    result = submit(s, &op, NULL, err);
done:
    return result;
}
