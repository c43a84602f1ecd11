/* Internals shared by the files of the SQLite backend (store/sqlite/): the store record, its
 * connections and queued writes, and the functions one file offers the others. Not for use
 * outside store/sqlite/. The backend's overview is at the top of open.c. */
#ifndef GC_STORE_SQLITE_INT_H
#define GC_STORE_SQLITE_INT_H

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

#include "core/jobq.h"
#include "core/log.h"
#include "core/util.h"
#include "store/sql.h"
#include "store/stmt_cache.h"

#include "store/sqlite.h"

#define BUSY_TIMEOUT_MS 10000
/* The health check's wait for a lock (a WAL recovery): well below a prober's usual timeout. */
#define PING_BUSY_TIMEOUT_MS 1000
#define MAX_READERS 64
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

#define ROWID_BITS 40
#define ROWID_TAG_BITS 24
#define ROWID_MIN_SLOTS (UINT64_C(1) << 12)
#define ROWID_MAX_SLOTS (UINT64_C(1) << 21)

/* A connection is used by one thread at a time, and by one cached statement at a time: a
 * statement from stmt_get is put back before the next stmt_get on the same connection. */
typedef struct conn {
    sqlite3 *db;
    gc_stmt_cache stmts;
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
    gc_sql_fixed f;                /* its gets select the rowid after the version */
    char *get_at, *get_secrets_at; /* those gets at a rowid (a third parameter; see rowid_cache) */
    uint64_t rowid_seed;           /* the type's start of rowid_hash */
} type_sql;

typedef enum conn_role { ROLE_WRITER, ROLE_READER, ROLE_WARM_READER, ROLE_CHECKPOINT } conn_role;

typedef struct sqlite_store {
    gc_store base;
    char *path;
    int lock_fd; /* the database file, flock()ed for the store's lifetime: one process per file */
    bool read_only; /* gc_store_open_read_only: no lock, no writer, no checkpoints, no rowid cache */
    const gc_entity_type *const *types;
    size_t n_types;
    type_sql *sql; /* one per type */

    pthread_mutex_t lock; /* queue, stopping, done flags */
    gc_jobq queue; /* the writes waiting for the writer (linked through next) */
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

/* ---- connections, statements, the rowid cache, the reader pool (conn.c) ---- */
void gc_sqlite_bind_text(sqlite3_stmt *st, int idx, const char *s);
void gc_sqlite_bind_value(sqlite3_stmt *st, int idx, const gc_sql_value *v);
void gc_sqlite_conn_close(conn *c);
conn *gc_sqlite_conn_open(const char *path, conn_role role, gc_err *err);
int gc_sqlite_db_fail(sqlite3 *db, int rc, const char *what, gc_err *err);
void gc_sqlite_end_idle_snapshots(sqlite_store *s, bool all);
int gc_sqlite_exec_sql(conn *c, const char *sql, const char *what, gc_err *err);
conn *gc_sqlite_reader_acquire(sqlite_store *s, gc_err *err);
void gc_sqlite_reader_release(sqlite_store *s, conn *c);
int gc_sqlite_row_record(const gc_entity_type *t, sqlite3_stmt *st, bool in_order, gc_arena *a,
                         gc_record *out, gc_err *err);
int gc_sqlite_rowid_cache_make(sqlite_store *s, gc_err *err);
bool gc_sqlite_rowid_cached(sqlite_store *s, uint64_t h, int64_t *rowid);
uint64_t gc_sqlite_rowid_hash(const type_sql *q, const char *tenant, const char *id);
void gc_sqlite_rowid_remember(sqlite_store *s, uint64_t h, int64_t rowid);
int gc_sqlite_run_cached(conn *c, const char *sql, const char *what, gc_err *err);
const type_sql *gc_sqlite_sql_of(sqlite_store *s, const gc_entity_type *t, gc_err *err);
sqlite3_stmt *gc_sqlite_stmt_get(conn *c, const char *sql, bool *cached, gc_err *err);
void gc_sqlite_stmt_put(sqlite3_stmt *st, bool cached);
void gc_sqlite_type_sql_free(type_sql *q);
int gc_sqlite_type_sql_make(type_sql *q, const gc_entity_type *t, gc_err *err);

/* ---- reads (read.c) ---- */
int gc_sqlite_count(gc_store *gs, gc_arena *a, const gc_entity_type *t, const char *tenant,
                    const gc_store_query *q, int64_t *out, gc_err *err);
int gc_sqlite_count_expiring(gc_store *gs, gc_arena *a, const gc_entity_type *t,
                             int64_t from_ticks, const int64_t *until_ticks, size_t n_windows,
                             gc_store_expiring **out, size_t *n_out, gc_err *err);
int gc_sqlite_get(gc_store *gs, gc_arena *a, const gc_entity_type *t, const char *tenant,
                  const char *id, unsigned flags, gc_record *out, gc_err *err);
int gc_sqlite_list(gc_store *gs, gc_arena *a, const gc_entity_type *t, const char *tenant,
                   const gc_store_query *q, gc_record **out, size_t *n_out, gc_err *err);

/* ---- checkpoints (checkpoint.c) ---- */
void *gc_sqlite_checkpoint_main(void *arg);
void gc_sqlite_maybe_restart_wal(sqlite_store *s);
int gc_sqlite_wal_hook(void *arg, sqlite3 *db, const char *name, int pages);

/* ---- the writer thread, group commit and the writes (writer.c) ---- */
int gc_sqlite_insert(gc_store *gs, gc_arena *a, const gc_entity_type *t, const char *tenant,
                     const json_t *obj, const gc_value_memo *memo, const gc_store_row *with,
                     int64_t *version_out, gc_err *err);
int gc_sqlite_remove(gc_store *gs, gc_arena *a, const gc_entity_type *t, const char *tenant, const char *id,
                     int64_t expect_version, const gc_store_row *with, gc_err *err);
int gc_sqlite_update(gc_store *gs, gc_arena *a, const gc_entity_type *t, const char *tenant, const char *id,
                     int64_t expect_version, const json_t *old, const json_t *obj,
                     const gc_value_memo *memo, const gc_store_row *with, int64_t *version_out,
                     gc_err *err);
void *gc_sqlite_writer_main(void *arg);

#endif
