/* The SQLite backend's connections: error mapping, the per-connection statement cache, opening
 * a connection for its role, binding and reading values, the statements made once per type,
 * the rowid cache and the pool of read connections. */
#include "store/sqlite/sqlite_int.h"

/* errno of the failed system call behind an SQLite I/O error on db, 0 when unknown.
 * sqlite3_system_errno does not always keep it (0 after a failed WAL write, seen under a file
 * size limit), so the last errno of the WAL and of the database file are asked too. */
static int io_errno(sqlite3 *db)
{
    int e = sqlite3_system_errno(db);
    sqlite3_file *f = NULL;
    if (!e && sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f) == SQLITE_OK && f &&
        f->pMethods && f->pMethods->xFileControl(f, SQLITE_FCNTL_LAST_ERRNO, &e) != SQLITE_OK)
        e = 0;
    if (!e && sqlite3_file_control(db, "main", SQLITE_FCNTL_LAST_ERRNO, &e) != SQLITE_OK)
        e = 0;
    return e;
}

/* What a failed SQLite call means for the client: a full disk (SQLITE_FULL, or an I/O error
 * whose errno says no space, quota or file size limit) is GC_E_STORAGE_FULL (507); a lock another
 * connection held past the busy timeout is GC_E_UNAVAILABLE (503, retry); the rest is internal.
 * The statement, or the transaction with it, is undone either way: nothing is half-written. */
static gc_errkind fail_kind(sqlite3 *db, int rc)
{
    switch (rc & 0xff) {
    case SQLITE_FULL:
        return GC_E_STORAGE_FULL;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return GC_E_UNAVAILABLE;
    case SQLITE_IOERR: {
        int e = db ? io_errno(db) : 0;
        return e == ENOSPC || e == EDQUOT || e == EFBIG ? GC_E_STORAGE_FULL : GC_E_INTERNAL;
    }
    default:
        return GC_E_INTERNAL;
    }
}

int gc_sqlite_db_fail(sqlite3 *db, int rc, const char *what, gc_err *err)
{
    gc_errkind kind = fail_kind(db, rc);
    gc_log(GC_LOG_ERROR, NULL, "sqlite: %s failed: %s (code %d, errno %d)", what,
           db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), db ? sqlite3_extended_errcode(db) : rc,
           db && (rc & 0xff) == SQLITE_IOERR ? io_errno(db) : 0);
    if (kind == GC_E_STORAGE_FULL)
        return gc_err_set(err, kind, "",
                          "The disk of the store is full (while %s): nothing was changed. Retry once space is freed.",
                          what);
    if (kind == GC_E_UNAVAILABLE)
        return gc_err_set(err, kind, "",
                          "The store is locked by another connection (while %s): nothing was changed. Retry later.",
                          what);
    return gc_err_set(err, kind, "", "Database error while %s (%s).", what, sqlite3_errstr(rc));
}

/* A prepared statement for sql on c: from the cache, or prepared and cached in place of the
 * least recently used one when the cache is full (*cached false only when out of memory:
 * gc_sqlite_stmt_put then finalizes it). */
sqlite3_stmt *gc_sqlite_stmt_get(conn *c, const char *sql, bool *cached, gc_err *err)
{
    size_t len = strlen(sql);
    uint64_t h;
    gc_stmt_entry *e = gc_stmt_cache_find(&c->stmts, sql, len, &h);
    *cached = e != NULL;
    if (e)
        return e->st;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        gc_sqlite_db_fail(c->db, rc, "preparing a statement", err);
        return NULL;
    }
    gc_stmt_entry *lru = gc_stmt_cache_full(&c->stmts);
    if (lru) {
        sqlite3_finalize(lru->st);
        gc_stmt_cache_remove(&c->stmts, lru);
    }
    e = gc_stmt_cache_add(&c->stmts, sql, len, h);
    *cached = e != NULL;
    if (e)
        e->st = st;
    return st;
}

void gc_sqlite_stmt_put(sqlite3_stmt *st, bool cached)
{
    if (!st)
        return;
    if (cached) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    } else {
        sqlite3_finalize(st);
    }
}

void gc_sqlite_conn_close(conn *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->stmts.n; i++)
        sqlite3_finalize(c->stmts.e[i].st);
    gc_stmt_cache_clear(&c->stmts);
    int rc = sqlite3_close(c->db);
    if (rc != SQLITE_OK)
        gc_log(GC_LOG_ERROR, NULL, "sqlite: closing a connection failed: %s", sqlite3_errstr(rc));
    free(c);
}

int gc_sqlite_exec_sql(conn *c, const char *sql, const char *what, gc_err *err)
{
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : gc_sqlite_db_fail(c->db, rc, what, err);
}

/* Runs one parameterless statement (BEGIN, COMMIT, ...) prepared once per connection. */
int gc_sqlite_run_cached(conn *c, const char *sql, const char *what, gc_err *err)
{
    bool cached = false;
    sqlite3_stmt *st = gc_sqlite_stmt_get(c, sql, &cached, err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    int result = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : gc_sqlite_db_fail(c->db, rc, what, err);
    gc_sqlite_stmt_put(st, cached);
    return result;
}

/* Opens a connection to path with the store's pragmas; readers refuse writes. */
conn *gc_sqlite_conn_open(const char *path, conn_role role, gc_err *err)
{
    bool writer = role == ROLE_WRITER;
    conn *c = calloc(1, sizeof *c);
    if (!c) {
        gc_err_set(err, GC_E_INTERNAL, "", "Out of memory opening the database.");
        return NULL;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        gc_log(GC_LOG_ERROR, NULL, "sqlite: cannot open %s: %s", path,
               c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        gc_err_set(err, GC_E_INTERNAL, "db", "Cannot open database %s: %s.", path, sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
    if (writer) {
        sqlite3_stmt *st = NULL;
        rc = sqlite3_prepare_v2(c->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(st);
        const unsigned char *mode = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
        bool wal = mode && strcmp((const char *)mode, "wal") == 0;
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW) {
            gc_sqlite_db_fail(c->db, rc, "enabling WAL mode", err);
            goto fail;
        }
        if (!wal) {
            gc_err_set(err, GC_E_INTERNAL, "db", "Database %s cannot use WAL mode.", path);
            goto fail;
        }
    }
    if (gc_sqlite_exec_sql(c, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF", "applying pragmas", err) != 0)
        goto fail;
    bool reader = role == ROLE_READER || role == ROLE_WARM_READER;
    if (reader && gc_sqlite_exec_sql(c, "PRAGMA query_only=ON", "applying pragmas", err) != 0)
        goto fail;
    if (role == ROLE_WARM_READER) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%d", WARM_READER_CACHE_KIB);
        if (gc_sqlite_exec_sql(c, pragma, "applying pragmas", err) != 0)
            goto fail;
    }
    /* the checkpoint thread checkpoints (see gc_sqlite_wal_hook); when the WAL starts over, its file is cut
     * back to about the size at which it normally does (4 KiB pages and 24-byte frame headers),
     * so a WAL that went past it shrinks again and one that did not is rewritten in place */
    if (writer) {
        char pragmas[200];
        snprintf(pragmas, sizeof pragmas,
                 "PRAGMA cache_size=-%d; PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit=%lld",
                 WRITER_CACHE_KIB, (long long)(CKPT_RESTART_PAGES + CKPT_PAGES) * (4096 + 24));
        if (gc_sqlite_exec_sql(c, pragmas, "applying pragmas", err) != 0)
            goto fail;
    }
    return c;
fail:
    gc_sqlite_conn_close(c);
    return NULL;
}

void gc_sqlite_bind_value(sqlite3_stmt *st, int idx, const gc_sql_value *v)
{
    switch (v->kind) {
    case GC_SQL_NULL:
        sqlite3_bind_null(st, idx);
        break;
    case GC_SQL_INT:
    case GC_VALUE_BOOL: /* not given to backends (sql_filter.c binds 0/1), but harmless */
        sqlite3_bind_int64(st, idx, v->i);
        break;
    case GC_SQL_TEXT:
        sqlite3_bind_text64(st, idx, v->p, v->len, SQLITE_STATIC, SQLITE_UTF8);
        break;
    case GC_SQL_BLOB:
        if (v->len == 0)
            sqlite3_bind_zeroblob(st, idx, 0); /* a NULL pointer would bind SQL NULL */
        else
            sqlite3_bind_blob64(st, idx, v->p, v->len, SQLITE_STATIC);
        break;
    }
}

void gc_sqlite_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
    sqlite3_bind_text(st, idx, s, -1, SQLITE_STATIC);
}

/* Column idx of the current row; pointers are valid until the next step or reset. */
static gc_sql_value column_value(sqlite3_stmt *st, int idx)
{
    switch (sqlite3_column_type(st, idx)) {
    case SQLITE_NULL:
        return (gc_sql_value){.kind = GC_SQL_NULL};
    case SQLITE_INTEGER:
        return (gc_sql_value){.kind = GC_SQL_INT, .i = sqlite3_column_int64(st, idx)};
    case SQLITE_BLOB: {
        const void *p = sqlite3_column_blob(st, idx);
        return (gc_sql_value){.kind = GC_SQL_BLOB, .p = p, .len = (size_t)sqlite3_column_bytes(st, idx)};
    }
    default: { /* TEXT (a FLOAT, which no column holds, is read as its text) */
        const void *p = sqlite3_column_text(st, idx);
        return (gc_sql_value){.kind = GC_SQL_TEXT, .p = p ? p : "", .len = (size_t)sqlite3_column_bytes(st, idx)};
    }
    }
}

/* The current row (value columns then version, as gc_sql_select_* lay them out) as a record:
 * with in_order, its values in schema order (GC_STORE_VALUES). */
int gc_sqlite_row_record(const gc_entity_type *t, sqlite3_stmt *st, bool in_order, gc_arena *a,
                      gc_record *out, gc_err *err)
{
    size_t n = gc_sql_n_values(t);
    gc_sql_value *vals = gc_arena_alloc(a, n * sizeof *vals);
    for (size_t i = 0; i < n; i++)
        vals[i] = column_value(st, (int)i);
    json_t *rec = NULL;
    if (gc_sql_record_from_values(t, vals, in_order, a, &rec, err) != 0)
        return -1;
    out->obj = in_order ? NULL : rec;
    out->vals = in_order ? rec : NULL;
    out->version = sqlite3_column_int64(st, (int)n);
    return 0;
}

/* ---- statement texts ---- */

/* sql (a statement by tenant and id) narrowed to one rowid, a third parameter. */
static char *at_rowid(const char *sql)
{
    if (!sql)
        return NULL;
    static const char tail[] = " AND rowid = ?";
    size_t n = strlen(sql);
    char *k = malloc(n + sizeof tail);
    if (k) {
        memcpy(k, sql, n);
        memcpy(k + n, tail, sizeof tail);
    }
    return k;
}

void gc_sqlite_type_sql_free(type_sql *q)
{
    gc_sql_fixed_free(&q->f);
    free(q->get_at);
    free(q->get_secrets_at);
}

int gc_sqlite_type_sql_make(type_sql *q, const gc_entity_type *t, gc_err *err)
{
    if (gc_sql_fixed_make(&q->f, &gc_sql_dialect_sqlite, t, "rowid", err) == 0 &&
        (q->get_at = at_rowid(q->f.get)) && (q->get_secrets_at = at_rowid(q->f.get_secrets))) {
        q->rowid_seed = gc_hash64(ROWID_SEED, t->table, strlen(t->table));
        return 0;
    }
    return -1;
}

/* The fixed statements of t, one of the types the store was opened with. */
const type_sql *gc_sqlite_sql_of(sqlite_store *s, const gc_entity_type *t, gc_err *err)
{
    for (size_t i = 0; i < s->n_types; i++)
        if (s->types[i] == t)
            return &s->sql[i];
    gc_err_set(err, GC_E_INTERNAL, "", "%s is not a type of this store.", t->name);
    return NULL;
}

/* ---- the rowid cache ----
 * A read by id goes through the (tenant, id) index to the row's rowid, then through the table to
 * the row: two b-tree descents, each ending in a page the OS cache hands over (pread). The cache
 * remembers rowids by a hash of type, tenant and id, so that a read by id usually makes one
 * descent, the table's. It is a hint and never the truth: the read at a cached rowid also checks
 * tenant and id, and when no such row is there (deleted, or another key's rowid) it reads
 * through the index as before. So nothing ever invalidates it, and one 64-bit slot holds a key
 * (direct-mapped: a key takes its slot from whichever held it): ROWID_TAG_BITS of the hash, then
 * the rowid (below 2^40; a larger one is not cached). Sized at open to twice the rows then
 * present, from 4 Ki to 2 Mi slots (16 MiB, touched as used). Slots are relaxed atomics: a reader
 * may see a slot as it was a moment ago, which costs only that read's shortcut. */


/* The hash of the type (its seed, made once), tenant and id. */
uint64_t gc_sqlite_rowid_hash(const type_sql *q, const char *tenant, const char *id)
{
    uint64_t h = gc_hash64(q->rowid_seed, tenant, strlen(tenant));
    return gc_hash64(h, id, strlen(id));
}

bool gc_sqlite_rowid_cached(sqlite_store *s, uint64_t h, int64_t *rowid)
{
    uint64_t v = atomic_load_explicit(&s->rowids[h & s->rowid_mask], memory_order_relaxed);
    if (v == 0 || v >> ROWID_BITS != h >> (64 - ROWID_TAG_BITS))
        return false;
    *rowid = (int64_t)(v & ((UINT64_C(1) << ROWID_BITS) - 1));
    return true;
}

void gc_sqlite_rowid_remember(sqlite_store *s, uint64_t h, int64_t rowid)
{
    /* read-only beside a server: that process's writes would make remembered rowids stale */
    if (s->read_only || rowid <= 0 || rowid >= (INT64_C(1) << ROWID_BITS))
        return;
    uint64_t v = (h >> (64 - ROWID_TAG_BITS)) << ROWID_BITS | (uint64_t)rowid;
    atomic_store_explicit(&s->rowids[h & s->rowid_mask], v, memory_order_relaxed);
}

/* Sizes and allocates the cache: twice the rows present, by the largest rowid of each table
 * (an index lookup each, where counting would read a million-row index). */
int gc_sqlite_rowid_cache_make(sqlite_store *s, gc_err *err)
{
    uint64_t rows = 0;
    for (size_t i = 0; i < s->n_types; i++) {
        gc_buf sql;
        gc_buf_init(&sql, GC_SQL_MAX_LEN);
        static const char head[] = "SELECT max(rowid) FROM ";
        gc_buf_append(&sql, head, sizeof head - 1);
        gc_sql_ident(&sql, s->types[i]->table, NULL);
        sqlite3_stmt *st = NULL; /* once at open: not for the writer's statement cache */
        int rc = sql.data ? sqlite3_prepare_v2(s->wconn->db, sql.data, -1, &st, NULL) : SQLITE_NOMEM;
        gc_buf_free(&sql);
        if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
            rows += (uint64_t)sqlite3_column_int64(st, 0);
        else
            gc_sqlite_db_fail(s->wconn->db, rc, "sizing the rowid cache", err);
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW)
            return -1;
    }
    uint64_t slots = ROWID_MIN_SLOTS;
    while (slots < 2 * rows && slots < ROWID_MAX_SLOTS)
        slots *= 2;
    if (!(s->rowids = calloc(slots, sizeof *s->rowids)))
        return gc_err_set(err, GC_E_INTERNAL, "db", "Out of memory opening the database.");
    s->rowid_mask = slots - 1;
    return 0;
}

/* ---- reader pool ----
 * A read connection keeps its read transaction, and so its snapshot, open from one request to
 * the next as long as no commit has begun since it began (see below): beginning and ending one per
 * request cost two file-lock system calls, a stat and a process-wide SQLite mutex that the I/O
 * threads queued on (5% of a GET's CPU on a quiet machine, 15% on a busy one, measured).
 * A commit is counted twice: in announced before its COMMIT runs, in settled once it returned.
 * A new snapshot is tagged with settled as read before it is taken, so it holds at least that
 * many commits, maybe more (one that was visible but not yet counted); it is kept only while
 * announced still equals its tag, so no commit can have become visible since it began, and is
 * ended otherwise, before its connection serves another request and when it goes back to the
 * pool. So a read never sees less than an earlier read saw (a kept snapshot older than what a
 * newer one showed would be: found by test_group_commit's readers), and a read that follows an
 * acknowledged write always holds it. Idle snapshots must not hold up checkpoints: the checkpoint
 * thread ends the stale ones of idle connections before each checkpoint (gc_sqlite_end_idle_snapshots),
 * and while the writer restarts the WAL, which waits for every reader, none is kept at all. */

static bool snapshot_open(const conn *c)
{
    return !sqlite3_get_autocommit(c->db);
}

static void end_snapshot(conn *c)
{
    gc_sqlite_run_cached(c, "COMMIT", "ending a read transaction", NULL);
}


static bool snapshot_stale(sqlite_store *s, const conn *c)
{
    return c->snap_gen != atomic_load(&s->announced);
}

/* A connection of the pool, or a new one, inside a read transaction whose snapshot (taken by
 * the first read) holds every write acknowledged so far. */
conn *gc_sqlite_reader_acquire(sqlite_store *s, gc_err *err)
{
    pthread_mutex_lock(&s->rlock);
    while (!s->free_readers && s->n_readers >= MAX_READERS)
        pthread_cond_wait(&s->rcv, &s->rlock);
    conn *c = s->free_readers;
    if (c) {
        s->free_readers = c->next;
        c->next = NULL;
        pthread_mutex_unlock(&s->rlock);
    } else {
        bool warm = ++s->n_readers <= WARM_READERS;
        pthread_mutex_unlock(&s->rlock);
        if (!(c = gc_sqlite_conn_open(s->path, warm ? ROLE_WARM_READER : ROLE_READER, err))) {
            pthread_mutex_lock(&s->rlock);
            s->n_readers--;
            pthread_cond_signal(&s->rcv);
            pthread_mutex_unlock(&s->rlock);
            return NULL;
        }
    }
    /* read before the snapshot is taken: it holds at least the commits counted so far */
    uint64_t gen = atomic_load(&s->settled);
    if (snapshot_open(c) && snapshot_stale(s, c))
        end_snapshot(c);
    if (!snapshot_open(c)) {
        if (gc_sqlite_run_cached(c, "BEGIN", "starting a read transaction", err) != 0) {
            gc_sqlite_reader_release(s, c);
            return NULL;
        }
        c->snap_gen = gen;
    }
    return c;
}

void gc_sqlite_reader_release(sqlite_store *s, conn *c)
{
    if (snapshot_open(c) && snapshot_stale(s, c))
        end_snapshot(c); /* the common case, outside the pool's lock */
    pthread_mutex_lock(&s->rlock);
    /* checked under the lock: a WAL restart clears keep_snapshots and then sweeps the pool
     * under it, so a connection added after that sweep must not bring a snapshot along */
    if (snapshot_open(c) && !atomic_load(&s->keep_snapshots))
        end_snapshot(c);
    c->next = s->free_readers;
    s->free_readers = c;
    pthread_cond_signal(&s->rcv);
    pthread_mutex_unlock(&s->rlock);
}

/* Ends the snapshots of idle pooled connections: the stale ones, or all. */
void gc_sqlite_end_idle_snapshots(sqlite_store *s, bool all)
{
    pthread_mutex_lock(&s->rlock);
    for (conn *c = s->free_readers; c; c = c->next)
        if (snapshot_open(c) && (all || snapshot_stale(s, c)))
            end_snapshot(c);
    pthread_mutex_unlock(&s->rlock);
}
