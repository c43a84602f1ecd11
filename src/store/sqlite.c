/* The SQLite store backend. One file in WAL mode; reads use a pool of read connections (one per
 * concurrent reader, prepared statements cached per connection) and never wait for writes.
 * Writes are queued to one writer thread that commits everything queued in one transaction and
 * one sync (group commit); each write is one statement (or, with a row written alongside it,
 * two inside a savepoint), so one failure stays its own.
 * A checkpoint thread with its own connection copies the WAL back into the database off the
 * writer's path. SQL text and value mapping come from sql.c. */
#include "store/sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "store/sql.h"

#define BUSY_TIMEOUT_MS 10000
/* The health check's wait for a lock (a WAL recovery): well below a prober's usual timeout. */
#define PING_BUSY_TIMEOUT_MS 1000
#define MAX_READERS 64
#define MAX_CACHED_STMTS 64
/* The writer's page cache (KiB; readers keep SQLite's default of 2 MiB): holds the upper
 * levels of the b-trees a write goes through. */
#define WRITER_CACHE_KIB 8192
/* The first WARM_READERS read connections, those a read load keeps busy, get a page cache of
 * WARM_READER_CACHE_KIB: it holds the upper levels of a million-row table and its (tenant, id)
 * index (~9 MiB at 4 KiB a page), so that a read by id mostly leaves only the leaves to the OS.
 * The others keep SQLite's 2 MiB: at most 4 x 8 + 60 x 2 MiB in all. */
#define WARM_READERS 4
#define WARM_READER_CACHE_KIB 8192
#define ROWID_SEED UINT64_C(0x67632d726f776964) /* "gc-rowid": the rowid cache's hash */
/* The WAL, in pages: CKPT_PAGES written since the last checkpoint wake the checkpoint thread
 * (SQLite's autocheckpoint default is 1000). Writes that never pause keep the WAL from starting
 * over, so past CKPT_RESTART_PAGES the writer restarts it once the checkpoints have left at most
 * CKPT_TAIL_PAGES to copy, or at twice that size whatever is left (see maybe_restart_wal). */
#define CKPT_PAGES 4000
#define CKPT_RESTART_PAGES 32000
#define CKPT_TAIL_PAGES 256

/* ---- connections and their statement caches ---- */

typedef struct cached_stmt {
    uint64_t hash;
    uint64_t used; /* conn->tick at the last use: the least recently used is evicted */
    char *sql;
    size_t len; /* of sql */
    sqlite3_stmt *st;
} cached_stmt;

/* A connection is used by one thread at a time, and by one cached statement at a time: a
 * statement from stmt_get is put back before the next stmt_get on the same connection. */
typedef struct conn {
    sqlite3 *db;
    cached_stmt stmts[MAX_CACHED_STMTS];
    size_t n_stmts;
    uint64_t tick;
    uint64_t snap_gen; /* readers: store->settled when the open read transaction began */
    struct conn *next; /* free list */
} conn;

typedef enum op_kind { OP_INSERT, OP_UPDATE, OP_REMOVE } op_kind;

/* One queued write. Lives on the caller's stack; everything it points to stays valid until
 * the writer sets done. */
typedef struct write_op {
    op_kind kind;
    const char *tenant, *id;
    int64_t expect_version;
    const gc_sql_value *values; /* INSERT: every value; UPDATE: those of the changed columns */
    size_t n_values;
    const char *sql;         /* the write itself */
    const char *version_sql; /* SELECT version ... to tell NOT_FOUND from STALE */
    /* the gc_store_row written with it (with_sql NULL: none): its type's INSERT and values */
    const char *with_sql;
    const gc_sql_value *with_values;
    size_t with_n;
    int rc;
    gc_err err;
    int64_t version;
    int64_t rowid; /* INSERT: the new row's */
    bool done;
    pthread_cond_t done_cv; /* signalled once done is set: each waiter is woken alone */
    struct write_op *next;
} write_op;

/* The statements of one type that depend on nothing else, made once at open. */
typedef struct type_sql {
    char *get, *get_secrets; /* gc_sql_select_one, with the rowid after the version */
    char *get_at, *get_secrets_at; /* the same, at a rowid (a third parameter; see rowid_cache) */
    uint64_t rowid_seed;           /* the type's start of rowid_hash */
    char *version;           /* gc_sql_select_version */
    char *insert;
    char *remove, *remove_version; /* gc_sql_delete without and with the version check */
} type_sql;

typedef struct sqlite_store {
    gc_store base;
    char *path;
    int lock_fd; /* the database file, flock()ed for the store's lifetime: one process per file */
    bool read_only; /* gc_store_open_read_only: no lock, no writer, no checkpoints, no rowid cache */
    const gc_entity_type *const *types;
    size_t n_types;
    type_sql *sql; /* one per type */

    pthread_mutex_t lock; /* queue, stopping, done flags */
    pthread_cond_t work_cv;
    write_op *queue_head, *queue_tail;
    bool stopping;
    pthread_t writer;
    bool writer_started;
    conn *wconn;          /* the writer thread's own */
    int64_t last_version; /* writer thread only (after open) */
    _Atomic uint64_t commits;            /* COMMITs that succeeded (gc_store_sqlite_commits) */
    _Atomic uint64_t announced, settled; /* COMMITs begun, and returned (see the reader pool) */
    _Atomic int fail_commits;
    _Atomic int settle_delay_us; /* tests: a pause between a COMMIT's return and its count */

    _Atomic uint64_t *rowids; /* the rowid cache: rowid_mask + 1 slots (see "the rowid cache") */
    uint64_t rowid_mask;

    pthread_mutex_t rlock; /* reader pool */
    pthread_cond_t rcv;
    conn *free_readers;
    size_t n_readers;
    _Atomic bool keep_snapshots; /* false while the writer restarts the WAL */

    pthread_mutex_t ck_lock; /* checkpoint thread: the fields below */
    pthread_cond_t ck_cv;
    bool ck_running, ck_stopping;
    bool ck_stalled; /* the last checkpoint copied nothing: wait for the next commit */
    int ck_pages, ck_restart_pages; /* CKPT_PAGES, CKPT_RESTART_PAGES unless tests change them */
    int wal_pages;  /* WAL size after the last commit (writer's WAL hook) */
    int ck_base;    /* WAL pages already copied back by the last checkpoint */
    pthread_t ckpt;
    bool ckpt_started;
    conn *ckconn;   /* the checkpoint thread's own */
    _Atomic uint64_t checkpoints, restarts;
} sqlite_store;

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

static int db_fail(sqlite3 *db, int rc, const char *what, gc_err *err)
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
 * stmt_put then finalizes it). */
static sqlite3_stmt *stmt_get(conn *c, const char *sql, bool *cached, gc_err *err)
{
    size_t len = strlen(sql);
    uint64_t h = gc_hash64(0, sql, len);
    c->tick++;
    for (size_t i = 0; i < c->n_stmts; i++)
        if (c->stmts[i].hash == h && c->stmts[i].len == len && memcmp(c->stmts[i].sql, sql, len) == 0) {
            c->stmts[i].used = c->tick;
            *cached = true;
            return c->stmts[i].st;
        }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        db_fail(c->db, rc, "preparing a statement", err);
        return NULL;
    }
    char *copy = strdup(sql);
    *cached = copy != NULL;
    if (!copy)
        return st;
    size_t slot = c->n_stmts;
    if (slot == MAX_CACHED_STMTS) {
        slot = 0;
        for (size_t i = 1; i < c->n_stmts; i++)
            if (c->stmts[i].used < c->stmts[slot].used)
                slot = i;
        sqlite3_finalize(c->stmts[slot].st);
        free(c->stmts[slot].sql);
    } else {
        c->n_stmts++;
    }
    c->stmts[slot] = (cached_stmt){.hash = h, .used = c->tick, .sql = copy, .len = len, .st = st};
    return st;
}

static void stmt_put(sqlite3_stmt *st, bool cached)
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

static void conn_close(conn *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_stmts; i++) {
        sqlite3_finalize(c->stmts[i].st);
        free(c->stmts[i].sql);
    }
    int rc = sqlite3_close(c->db);
    if (rc != SQLITE_OK)
        gc_log(GC_LOG_ERROR, NULL, "sqlite: closing a connection failed: %s", sqlite3_errstr(rc));
    free(c);
}

static int exec_sql(conn *c, const char *sql, const char *what, gc_err *err)
{
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : db_fail(c->db, rc, what, err);
}

/* Runs one parameterless statement (BEGIN, COMMIT, ...) prepared once per connection. */
static int run_cached(conn *c, const char *sql, const char *what, gc_err *err)
{
    bool cached = false;
    sqlite3_stmt *st = stmt_get(c, sql, &cached, err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    int result = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : db_fail(c->db, rc, what, err);
    stmt_put(st, cached);
    return result;
}

typedef enum conn_role { ROLE_WRITER, ROLE_READER, ROLE_WARM_READER, ROLE_CHECKPOINT } conn_role;

/* Opens a connection to path with the store's pragmas; readers refuse writes. */
static conn *conn_open(const char *path, conn_role role, gc_err *err)
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
            db_fail(c->db, rc, "enabling WAL mode", err);
            goto fail;
        }
        if (!wal) {
            gc_err_set(err, GC_E_INTERNAL, "db", "Database %s cannot use WAL mode.", path);
            goto fail;
        }
    }
    if (exec_sql(c, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF", "applying pragmas", err) != 0)
        goto fail;
    bool reader = role == ROLE_READER || role == ROLE_WARM_READER;
    if (reader && exec_sql(c, "PRAGMA query_only=ON", "applying pragmas", err) != 0)
        goto fail;
    if (role == ROLE_WARM_READER) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%d", WARM_READER_CACHE_KIB);
        if (exec_sql(c, pragma, "applying pragmas", err) != 0)
            goto fail;
    }
    /* the checkpoint thread checkpoints (see wal_hook); when the WAL starts over, its file is cut
     * back to about the size at which it normally does (4 KiB pages and 24-byte frame headers),
     * so a WAL that went past it shrinks again and one that did not is rewritten in place */
    if (writer) {
        char pragmas[200];
        snprintf(pragmas, sizeof pragmas,
                 "PRAGMA cache_size=-%d; PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit=%lld",
                 WRITER_CACHE_KIB, (long long)(CKPT_RESTART_PAGES + CKPT_PAGES) * (4096 + 24));
        if (exec_sql(c, pragmas, "applying pragmas", err) != 0)
            goto fail;
    }
    return c;
fail:
    conn_close(c);
    return NULL;
}

static void bind_value(sqlite3_stmt *st, int idx, const gc_sql_value *v)
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

static void bind_text(sqlite3_stmt *st, int idx, const char *s)
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
static int row_record(const gc_entity_type *t, sqlite3_stmt *st, bool in_order, gc_arena *a,
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

static char *make_sql(int (*gen)(gc_buf *, const gc_sql_dialect *, const gc_entity_type *, gc_err *),
                      const gc_entity_type *t, gc_err *err)
{
    gc_buf b;
    gc_buf_init(&b, GC_SQL_MAX_LEN);
    char *sql = gen(&b, &gc_sql_dialect_sqlite, t, err) == 0 ? b.data : NULL;
    if (!sql)
        gc_buf_free(&b);
    return sql;
}

static int gen_get(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t, gc_err *err)
{
    return gc_sql_select_one(b, d, t, false, "rowid", err);
}

static int gen_get_secrets(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t, gc_err *err)
{
    return gc_sql_select_one(b, d, t, true, "rowid", err);
}

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

static int gen_remove(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t, gc_err *err)
{
    return gc_sql_delete(b, d, t, false, err);
}

static int gen_remove_version(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t,
                              gc_err *err)
{
    return gc_sql_delete(b, d, t, true, err);
}

static void type_sql_free(type_sql *q)
{
    free(q->get);
    free(q->get_secrets);
    free(q->get_at);
    free(q->get_secrets_at);
    free(q->version);
    free(q->insert);
    free(q->remove);
    free(q->remove_version);
}

static int type_sql_make(type_sql *q, const gc_entity_type *t, gc_err *err)
{
    if ((q->get = make_sql(gen_get, t, err)) && (q->get_secrets = make_sql(gen_get_secrets, t, err)) &&
        (q->get_at = at_rowid(q->get)) && (q->get_secrets_at = at_rowid(q->get_secrets)) &&
        (q->version = make_sql(gc_sql_select_version, t, err)) &&
        (q->insert = make_sql(gc_sql_insert, t, err)) && (q->remove = make_sql(gen_remove, t, err)) &&
        (q->remove_version = make_sql(gen_remove_version, t, err))) {
        q->rowid_seed = gc_hash64(ROWID_SEED, t->table, strlen(t->table));
        return 0;
    }
    return -1;
}

/* The fixed statements of t, one of the types the store was opened with. */
static const type_sql *sql_of(sqlite_store *s, const gc_entity_type *t, gc_err *err)
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

#define ROWID_BITS 40
#define ROWID_TAG_BITS 24
#define ROWID_MIN_SLOTS (UINT64_C(1) << 12)
#define ROWID_MAX_SLOTS (UINT64_C(1) << 21)

/* The hash of the type (its seed, made once), tenant and id. */
static uint64_t rowid_hash(const type_sql *q, const char *tenant, const char *id)
{
    uint64_t h = gc_hash64(q->rowid_seed, tenant, strlen(tenant));
    return gc_hash64(h, id, strlen(id));
}

static bool rowid_cached(sqlite_store *s, uint64_t h, int64_t *rowid)
{
    uint64_t v = atomic_load_explicit(&s->rowids[h & s->rowid_mask], memory_order_relaxed);
    if (v == 0 || v >> ROWID_BITS != h >> (64 - ROWID_TAG_BITS))
        return false;
    *rowid = (int64_t)(v & ((UINT64_C(1) << ROWID_BITS) - 1));
    return true;
}

static void rowid_remember(sqlite_store *s, uint64_t h, int64_t rowid)
{
    /* read-only beside a server: that process's writes would make remembered rowids stale */
    if (s->read_only || rowid <= 0 || rowid >= (INT64_C(1) << ROWID_BITS))
        return;
    uint64_t v = (h >> (64 - ROWID_TAG_BITS)) << ROWID_BITS | (uint64_t)rowid;
    atomic_store_explicit(&s->rowids[h & s->rowid_mask], v, memory_order_relaxed);
}

/* Sizes and allocates the cache: twice the rows present, by the largest rowid of each table
 * (an index lookup each, where counting would read a million-row index). */
static int rowid_cache_make(sqlite_store *s, gc_err *err)
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
            db_fail(s->wconn->db, rc, "sizing the rowid cache", err);
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
 * thread ends the stale ones of idle connections before each checkpoint (end_idle_snapshots),
 * and while the writer restarts the WAL, which waits for every reader, none is kept at all. */

static bool snapshot_open(const conn *c)
{
    return !sqlite3_get_autocommit(c->db);
}

static void end_snapshot(conn *c)
{
    run_cached(c, "COMMIT", "ending a read transaction", NULL);
}

static void reader_release(sqlite_store *s, conn *c);

static bool snapshot_stale(sqlite_store *s, const conn *c)
{
    return c->snap_gen != atomic_load(&s->announced);
}

/* A connection of the pool, or a new one, inside a read transaction whose snapshot (taken by
 * the first read) holds every write acknowledged so far. */
static conn *reader_acquire(sqlite_store *s, gc_err *err)
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
        if (!(c = conn_open(s->path, warm ? ROLE_WARM_READER : ROLE_READER, err))) {
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
        if (run_cached(c, "BEGIN", "starting a read transaction", err) != 0) {
            reader_release(s, c);
            return NULL;
        }
        c->snap_gen = gen;
    }
    return c;
}

static void reader_release(sqlite_store *s, conn *c)
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
static void end_idle_snapshots(sqlite_store *s, bool all)
{
    pthread_mutex_lock(&s->rlock);
    for (conn *c = s->free_readers; c; c = c->next)
        if (snapshot_open(c) && (all || snapshot_stale(s, c)))
            end_snapshot(c);
    pthread_mutex_unlock(&s->rlock);
}

/* ---- reads ---- */

/* A pooled connection (*c) and its prepared statement for sql with params bound; NULL on
 * failure (*c is then released by the caller like on success, when not NULL). */
static sqlite3_stmt *read_stmt(sqlite_store *s, const char *sql, const gc_sql_value *params,
                               size_t n_params, conn **c, bool *cached, gc_err *err)
{
    if (!(*c = reader_acquire(s, err)))
        return NULL;
    sqlite3_stmt *st = stmt_get(*c, sql, cached, err);
    for (size_t i = 0; st && i < n_params; i++)
        bind_value(st, (int)i + 1, &params[i]);
    return st;
}

static int sqlite_get(gc_store *gs, gc_arena *a, const gc_entity_type *t, const char *tenant,
                      const char *id, unsigned flags, gc_record *out, gc_err *err)
{
    sqlite_store *s = (sqlite_store *)gs;
    int result = -1;
    conn *c = NULL;
    sqlite3_stmt *st = NULL;
    bool cached = false;
    const type_sql *q = sql_of(s, t, err);
    if (!q)
        goto done;
    bool secrets = flags & GC_STORE_WITH_SECRETS;
    uint64_t h = rowid_hash(q, tenant, id);
    int64_t rowid = 0;
    bool at = rowid_cached(s, h, &rowid);
    if (!(c = reader_acquire(s, err)) ||
        !(st = stmt_get(c, at ? (secrets ? q->get_secrets_at : q->get_at)
                              : (secrets ? q->get_secrets : q->get),
                        &cached, err)))
        goto done;
    bind_text(st, 1, tenant);
    bind_text(st, 2, id);
    if (at)
        sqlite3_bind_int64(st, 3, rowid);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE && at) { /* not there (any more): through the index */
        stmt_put(st, cached);
        if (!(st = stmt_get(c, secrets ? q->get_secrets : q->get, &cached, err)))
            goto done;
        bind_text(st, 1, tenant);
        bind_text(st, 2, id);
        rc = sqlite3_step(st);
        at = false;
    }
    if (rc == SQLITE_ROW && !at)
        rowid_remember(s, h, sqlite3_column_int64(st, (int)gc_sql_n_values(t) + 1));
    if (rc == SQLITE_DONE) {
        gc_err_set(err, GC_E_NOT_FOUND, "id", "No %s with this id.", t->name);
        goto done;
    }
    if (rc != SQLITE_ROW) {
        db_fail(c->db, rc, "reading a row", err);
        goto done;
    }
    if (row_record(t, st, flags & GC_STORE_VALUES, a, out, err) != 0)
        goto done;
    result = 0;
done:
    stmt_put(st, cached);
    if (c)
        reader_release(s, c);
    return result;
}

static int sqlite_list(gc_store *gs, gc_arena *a, const gc_entity_type *t, const char *tenant,
                       const gc_store_query *q, gc_record **out, size_t *n_out, gc_err *err)
{
    sqlite_store *s = (sqlite_store *)gs;
    int result = -1;
    conn *c = NULL;
    sqlite3_stmt *st = NULL;
    bool cached = false;
    gc_record *rows = NULL;
    size_t n = 0, cap = 0;
    gc_buf sql;
    gc_buf_init(&sql, GC_SQL_MAX_LEN);
    gc_sql_value *params = gc_arena_alloc(a, GC_SQL_MAX_PARAMS * sizeof *params);
    size_t n_params;
    if (gc_sql_select_list(&sql, &gc_sql_dialect_sqlite, t, q, tenant, a, params, &n_params, err) != 0 ||
        !(st = read_stmt(s, sql.data, params, n_params, &c, &cached, err)))
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
        if (row_record(t, st, q && q->values, a, &rows[n], err) != 0)
            goto done;
        n++;
    }
    if (rc != SQLITE_DONE) {
        db_fail(c->db, rc, "reading rows", err);
        goto done;
    }
    *out = gc_arena_alloc(a, (n ? n : 1) * sizeof **out);
    if (n)
        memcpy(*out, rows, n * sizeof *rows);
    *n_out = n;
    result = 0;
done:
    free(rows);
    stmt_put(st, cached);
    if (c)
        reader_release(s, c);
    gc_buf_free(&sql);
    return result;
}

static int sqlite_count(gc_store *gs, const gc_entity_type *t, const char *tenant,
                        const gc_store_query *q, int64_t *out, gc_err *err)
{
    sqlite_store *s = (sqlite_store *)gs;
    int result = -1;
    conn *c = NULL;
    sqlite3_stmt *st = NULL;
    bool cached = false;
    gc_arena *a = gc_arena_new();
    gc_buf sql;
    gc_buf_init(&sql, GC_SQL_MAX_LEN);
    gc_sql_value *params = gc_arena_alloc(a, GC_SQL_MAX_PARAMS * sizeof *params);
    size_t n_params;
    if (gc_sql_count(&sql, &gc_sql_dialect_sqlite, t, q, tenant, a, params, &n_params, err) != 0 ||
        !(st = read_stmt(s, sql.data, params, n_params, &c, &cached, err)))
        goto done;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        db_fail(c->db, rc, "counting rows", err);
        goto done;
    }
    *out = sqlite3_column_int64(st, 0);
    result = 0;
done:
    stmt_put(st, cached);
    if (c)
        reader_release(s, c);
    gc_buf_free(&sql);
    gc_arena_free(a);
    return result;
}

static int sqlite_count_expiring(gc_store *gs, gc_arena *a, const gc_entity_type *t,
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
    for (size_t i = 0; i < n_windows; i++)
        params[i] = (gc_sql_value){.kind = GC_SQL_INT, .i = until_ticks[i]};
    params[n_windows] = (gc_sql_value){.kind = GC_SQL_INT, .i = from_ticks};
    params[n_windows + 1] = (gc_sql_value){.kind = GC_SQL_INT, .i = until_ticks[n_windows - 1]};
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
        db_fail(c->db, rc, "counting expiring rows", err);
        goto done;
    }
    *out = rows;
    *n_out = n;
    result = 0;
done:
    stmt_put(st, cached);
    if (c)
        reader_release(s, c);
    gc_buf_free(&sql);
    return result;
}

/* ---- checkpoints ---- */

/* The checkpoint thread copies the WAL back into the database with PASSIVE checkpoints, each
 * followed by a sync of the database file; neither holds up the writer or readers. The WAL only
 * starts over when a write transaction begins with all of it copied back; under writes that
 * never pause that moment does not come, so once the WAL is past the restart size the
 * checkpoints go on until little is left, and then the writer, between two groups, runs a
 * RESTART checkpoint: it copies that little, waits for readers of older snapshots and makes the
 * next commit write the WAL from its start. At twice the restart size the writer does so
 * whatever is left, which bounds the WAL even when the checkpoints cannot keep up. All of this
 * state is under ck_lock. */

static int wal_left(const sqlite_store *s)
{
    return s->wal_pages - s->ck_base;
}

/* Work for the checkpoint thread: CKPT_PAGES to copy, or past the restart size more than the
 * tail. */
static bool ckpt_due(const sqlite_store *s)
{
    return wal_left(s) >= s->ck_pages ||
           (s->wal_pages >= s->ck_restart_pages && wal_left(s) > CKPT_TAIL_PAGES);
}

static bool writer_turn(const sqlite_store *s)
{
    return s->wal_pages >= s->ck_restart_pages &&
           (wal_left(s) <= CKPT_TAIL_PAGES || s->wal_pages >= 2 * s->ck_restart_pages);
}

/* The writer connection's WAL hook, run after each commit with the WAL's size in pages. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    (void)db;
    (void)name;
    sqlite_store *s = arg;
    pthread_mutex_lock(&s->ck_lock);
    if (pages < s->wal_pages)
        s->ck_base = 0; /* the WAL started over */
    s->wal_pages = pages;
    s->ck_stalled = false;
    if (ckpt_due(s))
        pthread_cond_signal(&s->ck_cv);
    pthread_mutex_unlock(&s->ck_lock);
    return SQLITE_OK;
}

/* Syncs the database file of db. SQLite syncs it only at the end of a checkpoint that copied the
 * whole WAL; under steady writes that is the RESTART's, which would then flush everything the
 * PASSIVE checkpoints copied while writes wait (hundreds of milliseconds, measured). */
static int sync_db_file(sqlite3 *db)
{
    sqlite3_file *f = NULL;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f ||
        !f->pMethods)
        return SQLITE_ERROR;
    return f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
}

static void *checkpoint_main(void *arg)
{
    sqlite_store *s = arg;
    sqlite3 *db = s->ckconn->db;
    pthread_mutex_lock(&s->ck_lock);
    for (;;) {
        while ((s->ck_running || s->ck_stalled || writer_turn(s) || !ckpt_due(s)) &&
               !s->ck_stopping)
            pthread_cond_wait(&s->ck_cv, &s->ck_lock);
        if (s->ck_stopping)
            break;
        s->ck_running = true;
        int before = s->ck_base;
        pthread_mutex_unlock(&s->ck_lock);

        end_idle_snapshots(s, false); /* a stale one would keep newer frames from being copied */
        int log = 0, done = 0;
        int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        if (rc == SQLITE_OK && done > before)
            rc = sync_db_file(db);
        /* BUSY: readers that began with the WAL all copied back still read the database file
         * alone; the next commit asks again */
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            gc_log(GC_LOG_ERROR, NULL, "sqlite: checkpoint failed: %s (code %d)", sqlite3_errstr(rc),
                   rc);
        atomic_fetch_add(&s->checkpoints, 1);

        pthread_mutex_lock(&s->ck_lock);
        s->ck_running = false;
        if (rc == SQLITE_OK && done <= s->wal_pages)
            s->ck_base = done; /* else the WAL started over meanwhile */
        s->ck_stalled = rc != SQLITE_OK || done == before;
    }
    pthread_mutex_unlock(&s->ck_lock);
    return NULL;
}

/* Run by the writer between groups: the RESTART checkpoint when it is the writer's turn. */
static void maybe_restart_wal(sqlite_store *s)
{
    pthread_mutex_lock(&s->ck_lock);
    bool go = writer_turn(s) && !s->ck_running;
    if (go)
        s->ck_running = true;
    pthread_mutex_unlock(&s->ck_lock);
    if (!go)
        return;
    sqlite3 *db = s->wconn->db;
    /* RESTART waits for every reader: idle connections must not keep one waiting */
    atomic_store(&s->keep_snapshots, false);
    end_idle_snapshots(s, true);
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_RESTART, &log, &done);
    atomic_store(&s->keep_snapshots, true);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        gc_log(GC_LOG_ERROR, NULL, "sqlite: WAL restart failed: %s (code %d)", sqlite3_errmsg(db),
               sqlite3_extended_errcode(db));
    if (rc == SQLITE_OK)
        atomic_fetch_add(&s->restarts, 1);
    pthread_mutex_lock(&s->ck_lock);
    s->ck_running = false;
    if (rc == SQLITE_OK)
        s->wal_pages = s->ck_base = 0;
    pthread_cond_signal(&s->ck_cv);
    pthread_mutex_unlock(&s->ck_lock);
}

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
    return db_fail(c->db, rc, what, err);
}

/* After an update or delete touched no row: NOT_FOUND when the row is gone, STALE otherwise. */
static int missing_or_stale(conn *c, write_op *op)
{
    bool cached = false;
    sqlite3_stmt *st = stmt_get(c, op->version_sql, &cached, &op->err);
    if (!st)
        return -1;
    bind_text(st, 1, op->tenant);
    bind_text(st, 2, op->id);
    int rc = sqlite3_step(st);
    stmt_put(st, cached);
    if (rc == SQLITE_ROW)
        return gc_err_set(&op->err, GC_E_STALE, "", "The entity was changed since it was read.");
    if (rc == SQLITE_DONE)
        return gc_err_set(&op->err, GC_E_NOT_FOUND, "id", "No entity with this id.");
    return db_fail(c->db, rc, "reading a version", &op->err);
}

/* Inserts op's companion row (tenant, its values, op's version). */
static int run_with(conn *c, write_op *op)
{
    bool cached = false;
    sqlite3_stmt *st = stmt_get(c, op->with_sql, &cached, &op->err);
    if (!st)
        return -1;
    int k = 1;
    bind_text(st, k++, op->tenant);
    for (size_t i = 0; i < op->with_n; i++)
        bind_value(st, k++, &op->with_values[i]);
    sqlite3_bind_int64(st, k++, op->version);
    int rc = sqlite3_step(st);
    stmt_put(st, cached);
    if (rc == SQLITE_DONE)
        return 0;
    db_fail(c->db, rc, "writing the row that goes with a write", &op->err);
    return -1;
}

/* One write inside the open transaction; fills op->err on failure. */
static int run_op(conn *c, write_op *op)
{
    int result = -1;
    bool cached = false;
    sqlite3_stmt *st = stmt_get(c, op->sql, &cached, &op->err);
    if (!st)
        goto done;
    int k = 1;
    switch (op->kind) {
    case OP_INSERT:
        bind_text(st, k++, op->tenant);
        for (size_t i = 0; i < op->n_values; i++)
            bind_value(st, k++, &op->values[i]);
        sqlite3_bind_int64(st, k++, op->version);
        break;
    case OP_UPDATE:
        for (size_t i = 0; i < op->n_values; i++)
            bind_value(st, k++, &op->values[i]);
        sqlite3_bind_int64(st, k++, op->version);
        bind_text(st, k++, op->tenant);
        bind_text(st, k++, op->id);
        sqlite3_bind_int64(st, k++, op->expect_version);
        break;
    case OP_REMOVE:
        bind_text(st, k++, op->tenant);
        bind_text(st, k++, op->id);
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
            db_fail(c->db, rc, "writing a row", &op->err);
        goto done;
    }
    if (op->kind == OP_INSERT)
        op->rowid = sqlite3_last_insert_rowid(c->db);
    if (op->kind != OP_INSERT && sqlite3_changes(c->db) == 0) {
        stmt_put(st, cached);
        st = NULL;
        missing_or_stale(c, op);
        goto done;
    }
    stmt_put(st, cached);
    st = NULL;
    if (op->with_sql && run_with(c, op) != 0)
        goto done;
    result = 0;
done:
    stmt_put(st, cached);
    return result;
}

/* An op with a companion row runs inside a savepoint: when the row fails, the op's own
 * statement is undone with it, and the rest of the group goes on. */
static int run_op_with(conn *c, write_op *op)
{
    if (run_cached(c, "SAVEPOINT gc_with", "starting a savepoint", &op->err) != 0)
        return -1;
    int rc = run_op(c, op);
    if (rc != 0 && !sqlite3_get_autocommit(c->db))
        run_cached(c, "ROLLBACK TO gc_with", "undoing a write", NULL);
    if (!sqlite3_get_autocommit(c->db) &&
        run_cached(c, "RELEASE gc_with", "ending a savepoint", rc == 0 ? &op->err : NULL) != 0)
        rc = -1;
    return rc;
}

static int save_last_version(sqlite_store *s, gc_err *err)
{
    bool cached = false;
    sqlite3_stmt *st = stmt_get(s->wconn,
                                "UPDATE gc_meta SET value = ? WHERE key = 'last_version'", &cached, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, s->last_version);
    int rc = write_step(s->wconn, st, "recording the last version", err);
    stmt_put(st, cached);
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
    bool lost = run_cached(c, "BEGIN IMMEDIATE", "starting a transaction", &gerr) != 0;
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
            lost = run_cached(c, "COMMIT", "committing", &gerr) != 0;
            int delay = atomic_load(&s->settle_delay_us);
            if (delay > 0)
                nanosleep(&(struct timespec){0, (long)delay * 1000L}, NULL);
            atomic_fetch_add(&s->settled, 1);
        }
    }
    if (lost) {
        if (!sqlite3_get_autocommit(c->db))
            run_cached(c, "ROLLBACK", "rolling back", NULL);
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

static void *writer_main(void *arg)
{
    sqlite_store *s = arg;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->queue_head && !s->stopping)
            pthread_cond_wait(&s->work_cv, &s->lock);
        if (!s->queue_head)
            break; /* stopping and drained */
        write_op *ops = s->queue_head;
        s->queue_head = s->queue_tail = NULL;
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
        maybe_restart_wal(s);
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
    op->next = NULL;
    pthread_mutex_lock(&s->lock);
    if (s->stopping) {
        pthread_mutex_unlock(&s->lock);
        return gc_err_set(err, GC_E_UNAVAILABLE, "", "The store is closing.");
    }
    pthread_cond_init(&op->done_cv, NULL);
    if (s->queue_tail)
        s->queue_tail->next = op;
    else
        s->queue_head = op;
    s->queue_tail = op;
    pthread_cond_signal(&s->work_cv);
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
    const type_sql *q = sql_of(s, with->type, err);
    size_t n = gc_sql_n_values(with->type);
    gc_sql_value *vals = gc_arena_alloc(a, n * sizeof *vals);
    if (!q || gc_sql_values_from_record(with->type, with->obj, a, vals, err) != 0)
        return -1;
    op->with_sql = q->insert;
    op->with_values = vals;
    op->with_n = n;
    return 0;
}

static int sqlite_insert(gc_store *gs, const gc_entity_type *t, const char *tenant,
                         const json_t *obj, const gc_store_row *with, int64_t *version_out,
                         gc_err *err)
{
    sqlite_store *s = (sqlite_store *)gs;
    int result = -1;
    gc_arena *a = gc_arena_new();
    const type_sql *q = sql_of(s, t, err);
    size_t n = gc_sql_n_values(t);
    gc_sql_value *vals = gc_arena_alloc(a, n * sizeof *vals);
    if (!q || gc_sql_values_from_record(t, obj, a, vals, err) != 0)
        goto done;
    write_op op = {.kind = OP_INSERT, .tenant = tenant, .values = vals, .n_values = n, .sql = q->insert};
    if (prepare_with(s, with, a, &op, err) != 0)
        goto done;
    result = submit(s, &op, version_out, err);
    const char *id = json_string_value(json_object_get(obj, gc_schema_key(t)->name));
    if (result == 0 && id)
        rowid_remember(s, rowid_hash(q, tenant, id), op.rowid);
done:
    gc_arena_free(a);
    return result;
}

static int sqlite_update(gc_store *gs, const gc_entity_type *t, const char *tenant, const char *id,
                         int64_t expect_version, const json_t *old, const json_t *obj,
                         const gc_store_row *with, int64_t *version_out, gc_err *err)
{
    sqlite_store *s = (sqlite_store *)gs;
    int result = -1;
    gc_arena *a = gc_arena_new();
    const type_sql *q = sql_of(s, t, err);
    gc_buf sql;
    gc_buf_init(&sql, GC_SQL_MAX_LEN);
    bool *set = gc_arena_alloc(a, t->n_props * sizeof *set);
    gc_sql_value *vals = gc_arena_alloc(a, gc_sql_n_values(t) * sizeof *vals);
    size_t n = 0;
    if (!q || gc_sql_update_values(t, id, old, obj, a, set, vals, &n, err) != 0 ||
        gc_sql_update(&sql, &gc_sql_dialect_sqlite, t, set, err) != 0)
        goto done;
    write_op op = {.kind = OP_UPDATE, .tenant = tenant, .id = id, .expect_version = expect_version,
                   .values = vals, .n_values = n, .sql = sql.data, .version_sql = q->version};
    if (prepare_with(s, with, a, &op, err) != 0)
        goto done;
    result = submit(s, &op, version_out, err);
done:
    gc_buf_free(&sql);
    gc_arena_free(a);
    return result;
}

static int sqlite_remove(gc_store *gs, const gc_entity_type *t, const char *tenant, const char *id,
                         int64_t expect_version, const gc_store_row *with, gc_err *err)
{
    sqlite_store *s = (sqlite_store *)gs;
    int result = -1;
    gc_arena *a = gc_arena_new();
    const type_sql *q = sql_of(s, t, err);
    if (!q)
        goto done;
    write_op op = {.kind = OP_REMOVE, .tenant = tenant, .id = id, .expect_version = expect_version,
                   .sql = expect_version != 0 ? q->remove_version : q->remove,
                   .version_sql = q->version};
    if (prepare_with(s, with, a, &op, err) != 0)
        goto done;
    result = submit(s, &op, NULL, err);
done:
    gc_arena_free(a);
    return result;
}

/* ---- open / close ---- */

/* Creates the directories leading to path (mkdir -p of its dirname), owner-only. */
static int make_parent_dirs(const char *path, gc_err *err)
{
    int result = -1;
    char *dir = strdup(path);
    if (!dir)
        return gc_err_set(err, GC_E_INTERNAL, "db", "Out of memory.");
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) {
        result = 0;
        goto done;
    }
    *slash = '\0';
    for (char *p = dir + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
                gc_err_set(err, GC_E_INTERNAL, "db", "Cannot create directory %s: %s.", dir,
                           strerror(errno));
                goto done;
            }
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    result = 0;
done:
    free(dir);
    return result;
}

/* Reads gc_meta key into *out; 1 when present, 0 when absent, -1 on error. */
static int meta_get(conn *c, const char *key, int64_t *out, gc_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db, "SELECT value FROM gc_meta WHERE key = ?", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return db_fail(c->db, rc, "reading the schema version", err);
    bind_text(st, 1, key);
    rc = sqlite3_step(st);
    int result = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    if (result == 1)
        *out = sqlite3_column_int64(st, 0);
    else if (result < 0)
        db_fail(c->db, rc, "reading the schema version", err);
    sqlite3_finalize(st);
    return result;
}

static int meta_set(conn *c, const char *key, int64_t value, gc_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db, "INSERT INTO gc_meta (key, value) VALUES (?, ?) "
                                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        bind_text(st, 1, key);
        sqlite3_bind_int64(st, 2, value);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_OK ? 0 : db_fail(c->db, rc, "writing the schema version", err);
}

/* Brings a database at schema version `from` up to GC_STORE_SQLITE_SCHEMA_VERSION, one step
 * per version, inside the open schema transaction. Version 1 is the first schema, so there are
 * no steps yet: add them here as `if (from < N && <statements for N> != 0) return -1;`. */
static int migrate(conn *c, int64_t from, gc_err *err)
{
    (void)from;
    return meta_set(c, "schema_version", GC_STORE_SQLITE_SCHEMA_VERSION, err);
}

static int create_schema(sqlite_store *s, gc_err *err)
{
    conn *c = s->wconn;
    int result = -1;
    gc_buf sql;
    gc_buf_init(&sql, GC_SQL_MAX_LEN);
    if (exec_sql(c, "BEGIN IMMEDIATE", "starting the schema transaction", err) != 0 ||
        exec_sql(c, "CREATE TABLE IF NOT EXISTS gc_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
                 "creating gc_meta", err) != 0)
        goto done;
    int64_t version = 0;
    int have = meta_get(c, "schema_version", &version, err);
    if (have < 0)
        goto done;
    if (have && version > GC_STORE_SQLITE_SCHEMA_VERSION) {
        gc_err_set(err, GC_E_INTERNAL, "db",
                   "Database %s has schema version %lld, newer than this graphcerts knows (%d).",
                   s->path, (long long)version, GC_STORE_SQLITE_SCHEMA_VERSION);
        goto done;
    }
    if (!have && meta_set(c, "schema_version", GC_STORE_SQLITE_SCHEMA_VERSION, err) != 0)
        goto done;
    if (have && version < GC_STORE_SQLITE_SCHEMA_VERSION && migrate(c, version, err) != 0)
        goto done;
    for (size_t i = 0; i < s->n_types; i++) {
        const gc_entity_type *t = s->types[i];
        if (gc_sql_create_table(&sql, &gc_sql_dialect_sqlite, t, err) != 0 ||
            exec_sql(c, sql.data, "creating a table", err) != 0)
            goto done;
        for (size_t j = 0; j < t->n_props; j++)
            if ((t->props[j].flags & GC_P_INDEX) &&
                (gc_sql_create_index(&sql, &gc_sql_dialect_sqlite, t, &t->props[j], err) != 0 ||
                 exec_sql(c, sql.data, "creating an index", err) != 0))
                goto done;
    }
    int64_t last = 0;
    have = meta_get(c, "last_version", &last, err);
    if (have < 0 || (!have && meta_set(c, "last_version", 0, err) != 0))
        goto done;
    if (exec_sql(c, "COMMIT", "committing the schema", err) != 0)
        goto done;
    s->last_version = last;
    result = 0;
done:
    if (result != 0 && !sqlite3_get_autocommit(c->db))
        exec_sql(c, "ROLLBACK", "rolling back the schema", NULL);
    gc_buf_free(&sql);
    return result;
}

static void sqlite_close(gc_store *gs)
{
    sqlite_store *s = (sqlite_store *)gs;
    if (!s)
        return;
    if (s->writer_started) {
        pthread_mutex_lock(&s->lock);
        s->stopping = true;
        pthread_cond_signal(&s->work_cv);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->writer, NULL);
    }
    if (s->ckpt_started) {
        pthread_mutex_lock(&s->ck_lock);
        s->ck_stopping = true;
        pthread_cond_signal(&s->ck_cv);
        pthread_mutex_unlock(&s->ck_lock);
        pthread_join(s->ckpt, NULL);
    }
    conn_close(s->ckconn);
    conn_close(s->wconn);
    size_t closed = 0;
    for (conn *c = s->free_readers; c;) {
        conn *next = c->next;
        conn_close(c);
        closed++;
        c = next;
    }
    if (closed != s->n_readers)
        gc_log(GC_LOG_ERROR, NULL, "sqlite: store closed while %zu reads were running",
               s->n_readers - closed);
    for (size_t i = 0; s->sql && i < s->n_types; i++)
        type_sql_free(&s->sql[i]);
    free(s->sql);
    pthread_cond_destroy(&s->ck_cv);
    pthread_mutex_destroy(&s->ck_lock);
    pthread_cond_destroy(&s->rcv);
    pthread_mutex_destroy(&s->rlock);
    pthread_cond_destroy(&s->work_cv);
    pthread_mutex_destroy(&s->lock);
    free((void *)s->rowids);
    /* last, with every connection closed: closing a descriptor of the file drops the process's
     * POSIX locks on it, SQLite's included */
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    free(s->path);
    free(s);
}

/* A read-only store finds the schema this code writes, or refuses: it makes and migrates nothing. */
static int check_schema_read_only(sqlite_store *s, gc_err *err)
{
    conn *c = conn_open(s->path, ROLE_READER, err);
    if (!c)
        return -1;
    int64_t version = 0;
    int have = meta_get(c, "schema_version", &version, err);
    conn_close(c);
    if (have < 0)
        return gc_err_set(err, GC_E_INTERNAL, "db", "%s is not a graphcerts database.", s->path);
    if (!have || version != GC_STORE_SQLITE_SCHEMA_VERSION)
        return gc_err_set(err, GC_E_INTERNAL, "db",
                          "Database %s has schema version %lld, not %d: open it once with "
                          "graphcerts serve to migrate it.",
                          s->path, (long long)version, GC_STORE_SQLITE_SCHEMA_VERSION);
    return 0;
}

static int open_store(const char *path, const gc_entity_type *const *types, size_t n_types,
                      bool read_only, gc_store **out, gc_err *err)
{
    int result = -1;
    sqlite_store *s = NULL;
    if (!path || !*path || strcmp(path, ":memory:") == 0)
        return gc_err_set(err, GC_E_BAD_REQUEST, "db", "The SQLite database needs a file path.");
    if (!sqlite3_threadsafe())
        return gc_err_set(err, GC_E_INTERNAL, "db", "The SQLite library is not thread-safe.");
    if (!read_only && make_parent_dirs(path, err) != 0)
        return -1;
    /* create the file owner-only: it holds secrets (WAL and shm files inherit its mode) */
    int fd = read_only ? open(path, O_RDONLY | O_CLOEXEC) : open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return gc_err_set(err, GC_E_INTERNAL, "db", "Cannot open database %s: %s.", path, strerror(errno));
    /* One process per file: two would each trust their own caches (rowids, last version) and
     * disagree about what is stored. flock, not fcntl: SQLite's own locks are fcntl ones, which
     * this neither meets nor disturbs; the kernel drops it when the process ends, kill -9 too.
     * A read-only store takes none: it caches nothing a writer could make stale. */
    if (!read_only && flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return gc_err_set(err, GC_E_UNAVAILABLE, "db",
                              "The database %s is in use by another graphcerts process, which holds its lock: "
                              "stop that process first, or use another database file.",
                              path);
        return gc_err_set(err, GC_E_INTERNAL, "db", "Cannot lock database %s: %s.", path, strerror(e));
    }

    s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        close(fd);
        return gc_err_set(err, GC_E_INTERNAL, "db", "Out of memory opening the database.");
    }
    s->lock_fd = fd;
    s->read_only = read_only;
    s->base.be = &gc_store_sqlite;
    s->types = types;
    s->n_types = n_types;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->work_cv, NULL);
    pthread_mutex_init(&s->rlock, NULL);
    pthread_cond_init(&s->rcv, NULL);
    pthread_mutex_init(&s->ck_lock, NULL);
    pthread_cond_init(&s->ck_cv, NULL);
    s->ck_pages = CKPT_PAGES;
    s->ck_restart_pages = CKPT_RESTART_PAGES;
    atomic_init(&s->commits, 0);
    atomic_init(&s->announced, 0);
    atomic_init(&s->settled, 0);
    atomic_init(&s->fail_commits, 0);
    atomic_init(&s->checkpoints, 0);
    atomic_init(&s->restarts, 0);
    atomic_init(&s->keep_snapshots, true);

    if (!(s->sql = calloc(n_types ? n_types : 1, sizeof *s->sql))) {
        gc_err_set(err, GC_E_INTERNAL, "db", "Out of memory opening the database.");
        goto done;
    }
    for (size_t i = 0; i < n_types; i++)
        if (type_sql_make(&s->sql[i], types[i], err) != 0)
            goto done;
    if (read_only) {
        if (check_schema_read_only(s, err) != 0)
            goto done;
        if (!(s->rowids = calloc(ROWID_MIN_SLOTS, sizeof *s->rowids))) {
            gc_err_set(err, GC_E_INTERNAL, "db", "Out of memory opening the database.");
            goto done;
        }
        s->rowid_mask = ROWID_MIN_SLOTS - 1;
        *out = &s->base;
        return 0;
    }
    if (!(s->wconn = conn_open(path, ROLE_WRITER, err)) || create_schema(s, err) != 0 ||
        rowid_cache_make(s, err) != 0 || !(s->ckconn = conn_open(path, ROLE_CHECKPOINT, err)))
        goto done;
    sqlite3_wal_hook(s->wconn->db, wal_hook, s); /* replaces SQLite's own autocheckpoint */
    if (pthread_create(&s->ckpt, NULL, checkpoint_main, s) != 0) {
        gc_err_set(err, GC_E_INTERNAL, "db", "Cannot start the database checkpoint thread.");
        goto done;
    }
    s->ckpt_started = true;
    pthread_setname_np(s->ckpt, "gc-checkpoint"); /* names for top, perf and gdb */
    if (pthread_create(&s->writer, NULL, writer_main, s) != 0) {
        gc_err_set(err, GC_E_INTERNAL, "db", "Cannot start the database writer thread.");
        goto done;
    }
    s->writer_started = true;
    pthread_setname_np(s->writer, "gc-writer");
    *out = &s->base;
    s = NULL;
    result = 0;
done:
    sqlite_close(s ? &s->base : NULL);
    return result;
}

/* The health check: the file at the path is still the one this store locked (not replaced or
 * removed under it), and a fresh connection reads the schema version from it. A fresh one, as a
 * pooled connection may answer from its page cache without reading the file at all. Messages
 * name no path: /healthz answers them to anyone. */
static int sqlite_ping(gc_store *gs, gc_err *err)
{
    sqlite_store *s = (sqlite_store *)gs;
    int result = -1;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    struct stat at_path, held;
    if (stat(s->path, &at_path) != 0 || fstat(s->lock_fd, &held) != 0 ||
        at_path.st_dev != held.st_dev || at_path.st_ino != held.st_ino) {
        gc_log(GC_LOG_ERROR, NULL, "sqlite: %s is no longer the database file this process opened",
               s->path);
        return gc_err_set(err, GC_E_UNAVAILABLE, "",
                          "The database file was replaced or removed while the server runs: restart it.");
    }
    int rc = sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_busy_timeout(db, PING_BUSY_TIMEOUT_MS);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "SELECT value FROM gc_meta WHERE key = 'schema_version'", -1, &st,
                                NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        gc_log(GC_LOG_ERROR, NULL, "sqlite: health check of %s failed: %s", s->path,
               db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        gc_err_set(err, GC_E_UNAVAILABLE, "", "The database does not answer: %s.",
                   rc == SQLITE_DONE ? "its schema version is missing" : sqlite3_errstr(rc));
        goto done;
    }
    result = 0;
done:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return result;
}

/* Process-wide SQLite settings, made once before the library initialises itself. Memory
 * statistics are off: with them on, every sqlite3_malloc and sqlite3_free of every connection
 * takes one global mutex, which the reader threads then queue on. */
int gc_store_sqlite_open_types(const char *path, const gc_entity_type *const *types, size_t n_types,
                               gc_store **out, gc_err *err)
{
    return open_store(path, types, n_types, false, out, err);
}

static void sqlite_configure(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int sqlite_open(const char *location, bool read_only, gc_store **out, gc_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_configure);
    return open_store(location, gc_schema_types, gc_schema_n_types, read_only, out, err);
}

uint64_t gc_store_sqlite_commits(gc_store *gs)
{
    return atomic_load(&((sqlite_store *)gs)->commits);
}

void gc_store_sqlite_fail_commits(gc_store *gs, int n)
{
    atomic_store(&((sqlite_store *)gs)->fail_commits, n);
}

void gc_store_sqlite_delay_settle(gc_store *gs, int us)
{
    atomic_store(&((sqlite_store *)gs)->settle_delay_us, us);
}

void gc_store_sqlite_checkpoint_stats(gc_store *gs, uint64_t *checkpoints, uint64_t *restarts)
{
    sqlite_store *s = (sqlite_store *)gs;
    *checkpoints = atomic_load(&s->checkpoints);
    *restarts = atomic_load(&s->restarts);
}

void gc_store_sqlite_set_checkpoint_pages(gc_store *gs, int pages, int restart_pages)
{
    sqlite_store *s = (sqlite_store *)gs;
    pthread_mutex_lock(&s->ck_lock);
    s->ck_pages = pages;
    s->ck_restart_pages = restart_pages;
    pthread_mutex_unlock(&s->ck_lock);
}

const gc_store_backend gc_store_sqlite = {
    .scheme = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .get = sqlite_get,
    .list = sqlite_list,
    .count = sqlite_count,
    .insert = sqlite_insert,
    .update = sqlite_update,
    .remove = sqlite_remove,
    .ping = sqlite_ping,
    .count_expiring = sqlite_count_expiring,
};
