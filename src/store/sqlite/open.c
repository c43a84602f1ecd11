/* The SQLite store backend. One file in WAL mode; reads use a pool of read connections (one per
 * concurrent reader, prepared statements cached per connection) and never wait for writes.
 * Writes are queued to one writer thread that commits everything queued in one transaction and
 * one sync (group commit); each write is one statement (or, with a row written alongside it,
 * two inside a savepoint), so one failure stays its own.
 * A checkpoint thread with its own connection copies the WAL back into the database off the
 * writer's path. SQL text and value mapping come from sql.c. The files: conn.c (connections,
 * statement cache, rowid cache, reader pool), read.c, writer.c (queue, group commit, writes),
 * checkpoint.c, and this one (open, schema, close, ping, the backend table). */
#include "store/sqlite/sqlite_int.h"

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
        return gc_sqlite_db_fail(c->db, rc, "reading the schema version", err);
    gc_sqlite_bind_text(st, 1, key);
    rc = sqlite3_step(st);
    int result = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    if (result == 1)
        *out = sqlite3_column_int64(st, 0);
    else if (result < 0)
        gc_sqlite_db_fail(c->db, rc, "reading the schema version", err);
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
        gc_sqlite_bind_text(st, 1, key);
        sqlite3_bind_int64(st, 2, value);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_OK ? 0 : gc_sqlite_db_fail(c->db, rc, "writing the schema version", err);
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
    if (gc_sqlite_exec_sql(c, "BEGIN IMMEDIATE", "starting the schema transaction", err) != 0 ||
        gc_sqlite_exec_sql(c, "CREATE TABLE IF NOT EXISTS gc_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
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
            gc_sqlite_exec_sql(c, sql.data, "creating a table", err) != 0)
            goto done;
        for (size_t j = 0; j < t->n_props; j++)
            if ((t->props[j].flags & GC_P_INDEX) &&
                (gc_sql_create_index(&sql, &gc_sql_dialect_sqlite, t, &t->props[j], err) != 0 ||
                 gc_sqlite_exec_sql(c, sql.data, "creating an index", err) != 0))
                goto done;
    }
    int64_t last = 0;
    have = meta_get(c, "last_version", &last, err);
    if (have < 0 || (!have && meta_set(c, "last_version", 0, err) != 0))
        goto done;
    if (gc_sqlite_exec_sql(c, "COMMIT", "committing the schema", err) != 0)
        goto done;
    s->last_version = last;
    result = 0;
done:
    if (result != 0 && !sqlite3_get_autocommit(c->db))
        gc_sqlite_exec_sql(c, "ROLLBACK", "rolling back the schema", NULL);
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
        gc_jobq_wake_all(&s->queue);
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
    gc_sqlite_conn_close(s->ckconn);
    gc_sqlite_conn_close(s->wconn);
    size_t closed = 0;
    for (conn *c = s->free_readers; c;) {
        conn *next = c->next;
        gc_sqlite_conn_close(c);
        closed++;
        c = next;
    }
    if (closed != s->n_readers)
        gc_log(GC_LOG_ERROR, NULL, "sqlite: store closed while %zu reads were running",
               s->n_readers - closed);
    for (size_t i = 0; s->sql && i < s->n_types; i++)
        gc_sqlite_type_sql_free(&s->sql[i]);
    free(s->sql);
    pthread_cond_destroy(&s->ck_cv);
    pthread_mutex_destroy(&s->ck_lock);
    pthread_cond_destroy(&s->rcv);
    pthread_mutex_destroy(&s->rlock);
    gc_jobq_destroy(&s->queue);
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
    conn *c = gc_sqlite_conn_open(s->path, ROLE_READER, err);
    if (!c)
        return -1;
    int64_t version = 0;
    int have = meta_get(c, "schema_version", &version, err);
    gc_sqlite_conn_close(c);
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
    gc_jobq_init(&s->queue, offsetof(write_op, next));
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
        if (gc_sqlite_type_sql_make(&s->sql[i], types[i], err) != 0)
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
    if (!(s->wconn = gc_sqlite_conn_open(path, ROLE_WRITER, err)) || create_schema(s, err) != 0 ||
        gc_sqlite_rowid_cache_make(s, err) != 0 || !(s->ckconn = gc_sqlite_conn_open(path, ROLE_CHECKPOINT, err)))
        goto done;
    sqlite3_wal_hook(s->wconn->db, gc_sqlite_wal_hook, s); /* replaces SQLite's own autocheckpoint */
    if (pthread_create(&s->ckpt, NULL, gc_sqlite_checkpoint_main, s) != 0) {
        gc_err_set(err, GC_E_INTERNAL, "db", "Cannot start the database checkpoint thread.");
        goto done;
    }
    s->ckpt_started = true;
    pthread_setname_np(s->ckpt, "gc-checkpoint"); /* names for top, perf and gdb */
    if (pthread_create(&s->writer, NULL, gc_sqlite_writer_main, s) != 0) {
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
    .get = gc_sqlite_get,
    .list = gc_sqlite_list,
    .count = gc_sqlite_count,
    .insert = gc_sqlite_insert,
    .update = gc_sqlite_update,
    .remove = gc_sqlite_remove,
    .ping = sqlite_ping,
    .count_expiring = gc_sqlite_count_expiring,
};
