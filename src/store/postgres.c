/* The PostgreSQL store backend: "postgresql://..." (or "postgres://..."), a libpq URI whose gaps
 * the PG* environment variables fill. A pool of connections opened as threads need them (at most
 * one per thread inside the store at once), each with its own prepared statements; every write is
 * one transaction holding the row and the row written with it, and is answered once COMMIT
 * returned (durable with synchronous_commit on). Several graphcerts processes may share one
 * database: every conditional write checks the version in its WHERE clause, so a lost race is a
 * stale version, never a lost update. SQL text and value mapping come from sql.c. */
#include <arpa/inet.h>
#include <endian.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/buf.h"
#include "core/codec.h"
#include "store/sql.h"
#include "store/stmt_cache.h"
#include "store/store.h"

/* The schema version this code writes and understands (the gc_schema_version table). */
#define SCHEMA_VERSION 1
/* Most connections one store opens; a thread that finds none free waits for one. */
#define MAX_CONNS 128
#define CONNECT_TIMEOUT_S "5"
/* The advisory lock (pg_advisory_xact_lock) held while the schema is made or migrated, so that
 * nodes starting together take turns: "gcschema". */
#define SCHEMA_LOCK "7454879116283895137"

/* Type OIDs of the columns the store reads (pg_type.h is a server header). */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23

/* A connection is used by one thread at a time. */
typedef struct conn {
    PGconn *pg;
    gc_stmt_cache stmts;
    uint64_t names; /* the number in the last prepared statement's name */
    bool pooled; /* taken from the pool (it may have gone stale since), not opened for this call */
    bool lost;   /* a statement found it unusable (see conn_lost): closed, never pooled again */
    struct conn *next;
} conn;

/* The statements of one type that depend on nothing else, made once at open. */
typedef gc_sql_fixed type_sql; /* the fixed statements of one type */

typedef struct pg_store {
    gc_store base;
    char *conninfo; /* "postgresql:" + the location: the user's DSN, never logged */
    bool read_only;
    const gc_entity_type *const *types;
    size_t n_types;
    type_sql *sql;

    pthread_mutex_t lock; /* the pool */
    pthread_cond_t cv;
    conn *idle;
    size_t n_conns, max_conns; /* read-only: one, whose transaction is the store's snapshot */

    _Atomic int64_t last_version;
    _Atomic bool down; /* the last connection attempt failed (logged once per outage) */
} pg_store;

/* ---- errors ---- */

static bool state_is(const PGresult *r, const char *code)
{
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return st && strcmp(st, code) == 0;
}

static bool state_class(const PGresult *r, const char *cls)
{
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return st && strncmp(st, cls, 2) == 0;
}

/* The connection cannot serve another statement: lost, or talking to a server that refuses
 * writes (a standby after a failover: a new connection may reach the new primary). */
static bool conn_lost(const conn *c, const PGresult *r)
{
    return PQstatus(c->pg) != CONNECTION_OK || state_class(r, "08") || state_is(r, "57P01") ||
           state_is(r, "57P02") || state_is(r, "57P03") || state_is(r, "25006");
}

/* What a failed statement means for the client: the database gone or busy is GC_E_UNAVAILABLE
 * (503, retry), a full disk GC_E_STORAGE_FULL (507), a value the database cannot hold (U+0000,
 * out of range) GC_E_BAD_REQUEST, the rest internal. Logs the primary message and SQLSTATE,
 * which hold no value of the row (a key's DETAIL is left out). The transaction is undone by the
 * caller: nothing is half-written. */
static int pg_fail(conn *c, const PGresult *r, const char *what, gc_err *err)
{
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg)
        msg = PQerrorMessage(c->pg);
    gc_log(GC_LOG_ERROR, NULL, "postgresql: %s failed: %.300s (SQLSTATE %s)", what, msg ? msg : "",
           st ? st : "none");
    if (conn_lost(c, r))
        c->lost = true;
    if (c->lost || state_class(r, "53") || state_is(r, "40001") || state_is(r, "40P01") ||
        state_is(r, "55P03") || state_is(r, "57014")) {
        if (state_is(r, "53100"))
            return gc_err_set(err, GC_E_STORAGE_FULL, "",
                              "The disk of the database is full (while %s): nothing was changed. "
                              "Retry once space is freed.", what);
        return gc_err_set(err, GC_E_UNAVAILABLE, "",
                          "The database is unavailable (while %s): nothing was changed. Retry later.",
                          what);
    }
    if (state_is(r, "22021") || state_is(r, "22P05") || state_is(r, "22003"))
        return gc_err_set(err, GC_E_BAD_REQUEST, "",
                          "A value cannot be stored (while %s): %s.", what,
                          state_is(r, "22003") ? "it is out of range" : "it holds the character U+0000");
    return gc_err_set(err, GC_E_INTERNAL, "", "Database error while %s (SQLSTATE %s).", what,
                      st ? st : "none");
}

static bool res_ok(const PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    return r && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);
}

/* ---- connections ---- */

static int exec_simple(struct conn *c, const char *sql, const char *what, gc_err *err);

static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* "relation already exists, skipping" and the like */
}

static void conn_close(conn *c)
{
    if (!c)
        return;
    gc_stmt_cache_clear(&c->stmts);
    PQfinish(c->pg);
    free(c);
}

/* Opens a connection: the store's session settings, notices dropped. A refused connection is
 * GC_E_UNAVAILABLE (logged once per outage: while the database is away every request tries). */
static conn *conn_open(pg_store *s, gc_err *err)
{
    conn *c = calloc(1, sizeof *c);
    if (!c) {
        gc_err_set(err, GC_E_INTERNAL, "", "Out of memory opening a database connection.");
        return NULL;
    }
    /* entries before dbname are defaults the URI may override: a server that vanishes without
     * closing its connections (a host gone, a partition) fails them within about 30 s instead
     * of TCP's quarter of an hour */
    const char *const keys[] = {"connect_timeout", "application_name", "keepalives_idle",
                                "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                                "dbname", NULL};
    const char *const vals[] = {CONNECT_TIMEOUT_S, "graphcerts", "10", "5", "3", "30000",
                                s->conninfo, NULL};
    c->pg = PQconnectdbParams(keys, vals, 1);
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        if (!atomic_exchange(&s->down, true))
            gc_log(GC_LOG_ERROR, NULL, "postgresql: cannot connect: %.300s",
                   c->pg ? PQerrorMessage(c->pg) : "out of memory");
        gc_err_set(err, GC_E_UNAVAILABLE, "", "The database cannot be reached: retry later.");
        conn_close(c);
        return NULL;
    }
    PQsetNoticeProcessor(c->pg, ignore_notice, NULL);
    /* a write is answered once durable: never with synchronous_commit off (a stronger setting,
     * remote_apply for one, is kept); export reads only */
    PGresult *r = PQexec(c->pg, s->read_only
                                    ? "SELECT set_config('default_transaction_read_only', 'on', false)"
                                    : "SELECT CASE WHEN current_setting('synchronous_commit') = 'off' "
                                      "THEN set_config('synchronous_commit', 'on', false) END");
    bool ok = res_ok(r);
    if (!ok)
        pg_fail(c, r, "setting up a connection", err);
    PQclear(r);
    /* read-only (export): every read sees the store as it was at this point, as on SQLite */
    if (ok && s->read_only &&
        exec_simple(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "taking a snapshot", err) != 0)
        ok = false;
    if (!ok) {
        conn_close(c);
        return NULL;
    }
    if (atomic_exchange(&s->down, false))
        gc_log(GC_LOG_INFO, NULL, "postgresql: connected again");
    return c;
}

/* Closes every idle connection: after one was found lost, the others (same server) likely are. */
static void drop_idle(pg_store *s)
{
    pthread_mutex_lock(&s->lock);
    conn *list = s->idle;
    size_t n = 0;
    for (conn *c = list; c; c = c->next)
        n++;
    s->idle = NULL;
    s->n_conns -= n;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->lock);
    while (list) {
        conn *next = list->next;
        conn_close(list);
        list = next;
    }
}

/* A connection of the pool, or a new one (fresh: forget the pool's, which all went stale). */
static conn *acquire(pg_store *s, bool fresh, gc_err *err)
{
    if (fresh)
        drop_idle(s);
    pthread_mutex_lock(&s->lock);
    while (!s->idle && s->n_conns >= s->max_conns)
        pthread_cond_wait(&s->cv, &s->lock);
    conn *c = s->idle;
    if (c) {
        s->idle = c->next;
        c->next = NULL;
        c->pooled = true;
        pthread_mutex_unlock(&s->lock);
        return c;
    }
    s->n_conns++;
    pthread_mutex_unlock(&s->lock);
    if (!(c = conn_open(s, err))) {
        pthread_mutex_lock(&s->lock);
        s->n_conns--;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->lock);
        return NULL;
    }
    return c;
}

/* Puts c back; a connection that is lost or still inside a transaction (but the snapshot of a
 * read-only store) is closed instead. */
static void release(pg_store *s, conn *c)
{
    if (!c)
        return;
    PGTransactionStatusType tx = PQtransactionStatus(c->pg);
    bool keep = PQstatus(c->pg) == CONNECTION_OK && !c->lost &&
                (tx == PQTRANS_IDLE || (s->read_only && tx == PQTRANS_INTRANS));
    pthread_mutex_lock(&s->lock);
    if (keep) {
        c->next = s->idle;
        s->idle = c;
    } else {
        s->n_conns--;
    }
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->lock);
    if (!keep)
        conn_close(c);
}

/* Whether a call that failed on c may run again on a fresh connection: c came from the pool and
 * is lost, so it was stale (the server restarted since it was last used), and nothing can have
 * been committed (the caller knows). */
static bool retry_fresh(const conn *c)
{
    return c && c->pooled && (PQstatus(c->pg) != CONNECTION_OK || c->lost);
}

/* ---- statements ---- */

/* The name of c's prepared statement for sql, preparing it (and evicting the least recently
 * used one when the cache is full) when new; NULL after filling err. */
static const char *stmt_name(conn *c, const char *sql, gc_err *err)
{
    size_t len = strlen(sql);
    uint64_t h;
    gc_stmt_entry *e = gc_stmt_cache_find(&c->stmts, sql, len, &h);
    if (e)
        return e->name;
    gc_stmt_entry *lru = gc_stmt_cache_full(&c->stmts);
    if (lru) {
        char dealloc[48];
        snprintf(dealloc, sizeof dealloc, "DEALLOCATE %s", lru->name);
        PGresult *r = PQexec(c->pg, dealloc);
        bool ok = res_ok(r);
        if (!ok)
            pg_fail(c, r, "releasing a prepared statement", err);
        PQclear(r);
        gc_stmt_cache_remove(&c->stmts, lru); /* the entry is gone either way */
        if (!ok)
            return NULL;
    }
    e = gc_stmt_cache_add(&c->stmts, sql, len, h);
    if (!e) {
        gc_err_set(err, GC_E_INTERNAL, "", "Out of memory preparing a statement.");
        return NULL;
    }
    snprintf(e->name, sizeof e->name, "gc%llu", (unsigned long long)++c->names);
    PGresult *r = PQprepare(c->pg, e->name, sql, 0, NULL);
    bool ok = res_ok(r);
    if (!ok)
        pg_fail(c, r, "preparing a statement", err);
    PQclear(r);
    if (!ok) {
        gc_stmt_cache_remove(&c->stmts, e);
        return NULL;
    }
    return e->name;
}

/* Runs sql (prepared and cached on c when `prepared`, else parsed once) with params bound, every
 * result column in binary form. Returns the result (the caller PQclears it), failed or not; NULL
 * (err filled) when the statement could not even be sent. Values are never pasted: text and bytes
 * go in binary form with their length, integers as decimal text. */
static PGresult *run(conn *c, const char *sql, bool prepared, const gc_sql_value *params, size_t n,
                     gc_err *err)
{
    const char *name = NULL;
    if (prepared && !(name = stmt_name(c, sql, err)))
        return NULL;
    size_t each = sizeof(char *) + 2 * sizeof(int) + 24;
    char *block = malloc(n ? n * each : 1);
    if (!block) {
        gc_err_set(err, GC_E_INTERNAL, "", "Out of memory binding values.");
        return NULL;
    }
    const char **vals = (const char **)block;
    int *lens = (int *)(block + n * sizeof(char *));
    int *fmts = lens + n;
    char *ints = (char *)(fmts + n);
    for (size_t i = 0; i < n; i++) {
        const gc_sql_value *v = &params[i];
        lens[i] = 0;
        fmts[i] = 0;
        switch (v->kind) {
        case GC_SQL_NULL:
            vals[i] = NULL;
            break;
        case GC_SQL_INT:
        case GC_VALUE_BOOL: /* never given (booleans are bound as INT), but the same text */
            snprintf(ints + 24 * i, 24, "%lld", (long long)v->i);
            vals[i] = ints + 24 * i;
            break;
        case GC_SQL_TEXT:
        case GC_SQL_BLOB:
            if (v->len > INT32_MAX) {
                free(block);
                gc_err_set(err, GC_E_BAD_REQUEST, "", "A value is too large to store.");
                return NULL;
            }
            vals[i] = v->len && v->p ? v->p : ""; /* a NULL pointer would bind SQL NULL */
            lens[i] = (int)v->len;
            fmts[i] = 1;
            break;
        }
    }
    PGresult *r = prepared ? PQexecPrepared(c->pg, name, (int)n, vals, lens, fmts, 1)
                           : PQexecParams(c->pg, sql, (int)n, NULL, vals, lens, fmts, 1);
    free(block);
    if (!r)
        gc_err_set(err, GC_E_UNAVAILABLE, "", "The database connection failed: retry later.");
    return r;
}

/* Runs a parameterless statement (BEGIN, COMMIT, ROLLBACK, DDL); 0 or -1 with err. */
static int exec_simple(conn *c, const char *sql, const char *what, gc_err *err)
{
    PGresult *r = PQexec(c->pg, sql);
    int rc = res_ok(r) ? 0 : pg_fail(c, r, what, err);
    PQclear(r);
    return rc;
}

static void rollback(conn *c)
{
    if (PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        exec_simple(c, "ROLLBACK", "rolling back", NULL);
}

/* A big-endian two's-complement integer of len (2, 4 or 8) bytes, as PostgreSQL's binary form
 * of int2, int4 and int8 is. */
static int64_t be_int(const unsigned char *p, size_t len)
{
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++)
        v = v << 8 | p[i];
    if (len < 8 && (v >> (8 * len - 1)) & 1)
        v |= ~UINT64_C(0) << (8 * len); /* extend the sign */
    return (int64_t)v;
}

/* Column col of row in r (binary form); pointers live as long as r. */
static gc_sql_value column_value(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return (gc_sql_value){.kind = GC_SQL_NULL};
    const char *p = PQgetvalue(r, row, col);
    size_t len = (size_t)PQgetlength(r, row, col);
    Oid type = PQftype(r, col);
    switch (type) {
    case OID_INT8:
    case OID_INT4:
    case OID_INT2:
        if (len == (type == OID_INT8 ? 8u : type == OID_INT4 ? 4u : 2u))
            return (gc_sql_value){.kind = GC_SQL_INT, .i = be_int((const unsigned char *)p, len)};
        break;
    case OID_BOOL:
        if (len == 1)
            return (gc_sql_value){.kind = GC_SQL_INT, .i = p[0] != 0};
        break;
    case OID_BYTEA:
        return (gc_sql_value){.kind = GC_SQL_BLOB, .p = p, .len = len};
    default: /* text */
        return (gc_sql_value){.kind = GC_SQL_TEXT, .p = p, .len = len};
    }
    return (gc_sql_value){.kind = GC_SQL_TEXT, .p = "", .len = 0}; /* a width no column has */
}

static int64_t column_int(const PGresult *r, int row, int col)
{
    gc_sql_value v = column_value(r, row, col);
    return v.kind == GC_SQL_INT ? v.i : 0;
}

/* Row row of r (value columns then version, as gc_sql_select_* lay them out) as a record. */
static int row_record(const gc_entity_type *t, const PGresult *r, int row, bool in_order,
                      gc_arena *a, gc_record *out, gc_err *err)
{
    size_t n = gc_sql_n_values(t);
    if ((size_t)PQnfields(r) < n + 1)
        return gc_err_set(err, GC_E_INTERNAL, "", "The database answered %d columns, not %zu.",
                          PQnfields(r), n + 1);
    gc_sql_value *vals = gc_arena_alloc(a, n * sizeof *vals);
    for (size_t i = 0; i < n; i++)
        vals[i] = column_value(r, row, (int)i);
    json_t *rec = NULL;
    if (gc_sql_record_from_values(t, vals, in_order, a, &rec, err) != 0)
        return -1;
    out->obj = in_order ? NULL : rec;
    out->vals = in_order ? rec : NULL;
    out->version = column_int(r, row, (int)n);
    return 0;
}

/* ---- statement texts ---- */

static const type_sql *sql_of(pg_store *s, const gc_entity_type *t, gc_err *err)
{
    for (size_t i = 0; i < s->n_types; i++)
        if (s->types[i] == t)
            return &s->sql[i];
    gc_err_set(err, GC_E_INTERNAL, "", "%s is not a type of this store.", t->name);
    return NULL;
}

/* ---- reads ---- */

/* Runs one read statement on a pooled connection, once more on a fresh one when the pooled one
 * turned out stale. *c holds the connection (release it), *r the successful result. */
static int read_run(pg_store *s, const char *sql, bool prepared, const gc_sql_value *params,
                    size_t n, const char *what, conn **c, PGresult **r, gc_err *err)
{
    *r = NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!(*c = acquire(s, attempt > 0, err)))
            return -1;
        *r = run(*c, sql, prepared, params, n, err);
        if (*r && res_ok(*r))
            return 0;
        if (retry_fresh(*c) && attempt == 0) {
            PQclear(*r);
            *r = NULL;
            release(s, *c);
            *c = NULL;
            continue;
        }
        if (*r && state_is(*r, "22021")) /* not UTF-8: no stored key or value can equal it */
            gc_err_set(err, GC_E_NOT_FOUND, "id", "No entity with this id.");
        else if (*r)
            pg_fail(*c, *r, what, err);
        PQclear(*r);
        *r = NULL;
        return -1;
    }
    return -1;
}

static int pg_get(gc_store *gs, gc_arena *a, const gc_entity_type *t, const char *tenant,
                  const char *id, unsigned flags, gc_record *out, gc_err *err)
{
    pg_store *s = (pg_store *)gs;
    int result = -1;
    conn *c = NULL;
    PGresult *r = NULL;
    const type_sql *q = sql_of(s, t, err);
    if (!q)
        goto done;
    gc_sql_value params[2] = {{.kind = GC_SQL_TEXT, .p = tenant, .len = strlen(tenant)},
                              {.kind = GC_SQL_TEXT, .p = id, .len = strlen(id)}};
    if (read_run(s, flags & GC_STORE_WITH_SECRETS ? q->get_secrets : q->get, true, params, 2,
                 "reading a row", &c, &r, err) != 0)
        goto done;
    if (PQntuples(r) == 0) {
        gc_err_set(err, GC_E_NOT_FOUND, "id", "No %s with this id.", t->name);
        goto done;
    }
    if (row_record(t, r, 0, flags & GC_STORE_VALUES, a, out, err) != 0)
        goto done;
    result = 0;
done:
    PQclear(r);
    release(s, c);
    return result;
}

static int pg_list(gc_store *gs, gc_arena *a, const gc_entity_type *t, const char *tenant,
                   const gc_store_query *q, gc_record **out, size_t *n_out, gc_err *err)
{
    pg_store *s = (pg_store *)gs;
    int result = -1;
    conn *c = NULL;
    PGresult *r = NULL;
    gc_buf sql;
    gc_buf_init(&sql, GC_SQL_MAX_LEN);
    gc_sql_value *params = gc_arena_alloc(a, GC_SQL_MAX_PARAMS * sizeof *params);
    size_t n_params;
    /* not prepared: a filter makes text of its own, which a cache would only churn through */
    if (gc_sql_select_list(&sql, &gc_sql_dialect_postgres, t, q, tenant, a, params, &n_params, err) != 0 ||
        read_run(s, sql.data, false, params, n_params, "reading rows", &c, &r, err) != 0)
        goto done;
    size_t n = (size_t)PQntuples(r);
    gc_record *rows = gc_arena_alloc(a, (n ? n : 1) * sizeof *rows);
    for (size_t i = 0; i < n; i++)
        if (row_record(t, r, (int)i, q && q->values, a, &rows[i], err) != 0)
            goto done;
    *out = rows;
    *n_out = n;
    result = 0;
done:
    PQclear(r);
    release(s, c);
    gc_buf_free(&sql);
    return result;
}

static int pg_count(gc_store *gs, gc_arena *a, const gc_entity_type *t, const char *tenant,
                    const gc_store_query *q, int64_t *out, gc_err *err)
{
    pg_store *s = (pg_store *)gs;
    int result = -1;
    conn *c = NULL;
    PGresult *r = NULL;
    gc_buf sql;
    gc_buf_init(&sql, GC_SQL_MAX_LEN);
    gc_sql_value *params = gc_arena_alloc(a, GC_SQL_MAX_PARAMS * sizeof *params);
    size_t n_params;
    if (gc_sql_count(&sql, &gc_sql_dialect_postgres, t, q, tenant, a, params, &n_params, err) != 0 ||
        read_run(s, sql.data, !q || !q->filter, params, n_params, "counting rows", &c, &r, err) != 0)
        goto done;
    if (PQntuples(r) != 1) {
        gc_err_set(err, GC_E_INTERNAL, "", "The database answered no count.");
        goto done;
    }
    *out = column_int(r, 0, 0);
    result = 0;
done:
    PQclear(r);
    release(s, c);
    gc_buf_free(&sql);
    return result;
}

static int pg_count_expiring(gc_store *gs, gc_arena *a, const gc_entity_type *t, int64_t from_ticks,
                             const int64_t *until_ticks, size_t n_windows, gc_store_expiring **out,
                             size_t *n_out, gc_err *err)
{
    pg_store *s = (pg_store *)gs;
    int result = -1;
    conn *c = NULL;
    PGresult *r = NULL;
    gc_buf sql;
    gc_buf_init(&sql, GC_SQL_MAX_LEN);
    gc_sql_value params[GC_STORE_MAX_WINDOWS + 2];
    gc_sql_count_expiring_params(from_ticks, until_ticks, n_windows, params);
    if (gc_sql_count_expiring(&sql, &gc_sql_dialect_postgres, t, n_windows, err) != 0 ||
        read_run(s, sql.data, true, params, n_windows + 2, "counting expiring rows", &c, &r, err) != 0)
        goto done;
    size_t n = (size_t)PQntuples(r);
    gc_store_expiring *rows = gc_arena_alloc(a, (n ? n : 1) * sizeof *rows);
    for (size_t i = 0; i < n; i++) {
        gc_sql_value tv = column_value(r, (int)i, 0);
        rows[i].tenant = gc_arena_strndup(a, tv.kind == GC_SQL_TEXT ? tv.p : "",
                                          tv.kind == GC_SQL_TEXT ? tv.len : 0);
        for (size_t w = 0; w < n_windows; w++)
            rows[i].counts[w] = column_int(r, (int)i, (int)w + 1);
    }
    *out = rows;
    *n_out = n;
    result = 0;
done:
    PQclear(r);
    release(s, c);
    gc_buf_free(&sql);
    return result;
}

/* ---- writes ---- */

typedef enum op_kind { OP_INSERT, OP_UPDATE, OP_REMOVE } op_kind;

typedef struct write_op {
    op_kind kind;
    const gc_entity_type *t;
    const char *tenant, *id;
    int64_t expect_version;
    const gc_sql_value *values; /* INSERT: every value; UPDATE: those of the changed columns */
    size_t n_values;
    const char *sql, *version_sql;
    const char *with_sql; /* the row written with it (NULL: none) */
    const gc_entity_type *with_type;
    const gc_sql_value *with_values;
    size_t with_n;
    int64_t version;
    gc_arena *a;
} write_op;

/* A version later than any this process gave, and (a conditional update) than the row's. */
static int64_t next_version(pg_store *s, int64_t after)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    int64_t last = atomic_load(&s->last_version), v;
    do {
        v = now > last ? now : last + 1;
    } while (!atomic_compare_exchange_weak(&s->last_version, &last, v));
    return v > after ? v : after + 1;
}

static gc_sql_value text_of(const char *s)
{
    return (gc_sql_value){.kind = GC_SQL_TEXT, .p = s, .len = strlen(s)};
}

static gc_sql_value int_of(int64_t i)
{
    return (gc_sql_value){.kind = GC_SQL_INT, .i = i};
}

/* The failed INSERT hit the primary key of op's own table. */
static bool own_conflict(const write_op *op, const PGresult *r)
{
    const char *table = PQresultErrorField(r, PG_DIAG_TABLE_NAME);
    return state_is(r, "23505") && (!table || strcmp(table, op->t->table) == 0);
}

/* After an update or delete touched no row: NOT_FOUND when the row is gone, STALE otherwise. */
static int missing_or_stale(conn *c, const write_op *op, gc_err *err)
{
    gc_sql_value params[2] = {text_of(op->tenant), text_of(op->id)};
    PGresult *r = run(c, op->version_sql, true, params, 2, err);
    int rc;
    if (!r)
        rc = -1;
    else if (!res_ok(r))
        rc = pg_fail(c, r, "reading a version", err);
    else if (PQntuples(r) > 0)
        rc = gc_err_set(err, GC_E_STALE, "", "The entity was changed since it was read.");
    else
        rc = gc_err_set(err, GC_E_NOT_FOUND, "id", "No entity with this id.");
    PQclear(r);
    return rc;
}

/* One write as one transaction on c. *committing is set once COMMIT was sent: a failure from
 * then on leaves the outcome unknown to us, so the write is not tried again. */
static int write_txn(conn *c, write_op *op, bool *committing, gc_err *err)
{
    int result = -1;
    PGresult *r = NULL;
    gc_sql_value *params = gc_arena_alloc(op->a, (op->n_values + 4) * sizeof *params);
    size_t k = 0;
    switch (op->kind) {
    case OP_INSERT:
        params[k++] = text_of(op->tenant);
        for (size_t i = 0; i < op->n_values; i++)
            params[k++] = op->values[i];
        params[k++] = int_of(op->version);
        break;
    case OP_UPDATE:
        for (size_t i = 0; i < op->n_values; i++)
            params[k++] = op->values[i];
        params[k++] = int_of(op->version);
        params[k++] = text_of(op->tenant);
        params[k++] = text_of(op->id);
        params[k++] = int_of(op->expect_version);
        break;
    case OP_REMOVE:
        params[k++] = text_of(op->tenant);
        params[k++] = text_of(op->id);
        if (op->expect_version != 0)
            params[k++] = int_of(op->expect_version);
        break;
    }
    if (exec_simple(c, "BEGIN", "starting a transaction", err) != 0)
        goto done;
    if (!(r = run(c, op->sql, true, params, k, err)))
        goto done;
    if (!res_ok(r)) {
        if (op->kind == OP_INSERT && own_conflict(op, r))
            gc_err_set(err, GC_E_CONFLICT, "id", "An entity with this id already exists.");
        else if (op->kind != OP_INSERT && state_is(r, "22021")) /* an id that is not UTF-8 */
            gc_err_set(err, GC_E_NOT_FOUND, "id", "No entity with this id.");
        else
            pg_fail(c, r, "writing a row", err);
        goto done;
    }
    const char *changed = PQcmdTuples(r);
    if (op->kind != OP_INSERT && (!changed[0] || strcmp(changed, "0") == 0)) {
        missing_or_stale(c, op, err);
        goto done;
    }
    PQclear(r);
    r = NULL;
    if (op->with_sql) {
        gc_sql_value *wp = gc_arena_alloc(op->a, (op->with_n + 2) * sizeof *wp);
        size_t w = 0;
        wp[w++] = text_of(op->tenant);
        for (size_t i = 0; i < op->with_n; i++)
            wp[w++] = op->with_values[i];
        wp[w++] = int_of(op->version);
        if (!(r = run(c, op->with_sql, true, wp, w, err)))
            goto done;
        if (!res_ok(r)) {
            pg_fail(c, r, "writing the row that goes with a write", err);
            goto done;
        }
        PQclear(r);
        r = NULL;
    }
    *committing = true;
    r = PQexec(c->pg, "COMMIT");
    if (!res_ok(r) || strcmp(PQcmdStatus(r), "COMMIT") != 0) {
        if (res_ok(r))
            gc_err_set(err, GC_E_INTERNAL, "", "The database rolled the write back.");
        else if (conn_lost(c, r))
            gc_err_set(err, GC_E_UNAVAILABLE, "",
                       "The database connection was lost while committing: the write may or may not "
                       "have been made. Read the entity again before retrying.");
        else
            pg_fail(c, r, "committing", err);
        goto done;
    }
    result = 0;
done:
    PQclear(r);
    if (result != 0)
        rollback(c);
    return result;
}

/* Runs op on a pooled connection, once more on a fresh one when the pooled one was stale and
 * nothing can have been committed. */
static int submit(pg_store *s, write_op *op, int64_t *version_out, gc_err *err)
{
    if (s->read_only)
        return gc_err_set(err, GC_E_INTERNAL, "", "The store was opened read-only.");
    for (int attempt = 0; attempt < 2; attempt++) {
        conn *c = acquire(s, attempt > 0, err);
        if (!c)
            return -1;
        bool committing = false;
        int rc = write_txn(c, op, &committing, err);
        bool again = rc != 0 && !committing && attempt == 0 && retry_fresh(c);
        release(s, c);
        if (again)
            continue;
        if (rc == 0 && version_out)
            *version_out = op->version;
        return rc;
    }
    return -1;
}

/* Fills op's companion fields from with (NULL: none); values live in op->a. */
static int prepare_with(pg_store *s, const gc_store_row *with, write_op *op, gc_err *err)
{
    if (!with)
        return 0;
    const type_sql *q = sql_of(s, with->type, err);
    size_t n = gc_sql_n_values(with->type);
    gc_sql_value *vals = gc_arena_alloc(op->a, n * sizeof *vals);
    if (!q || gc_sql_values_from_record(with->type, with->obj, NULL, op->a, vals, err) != 0)
        return -1;
    op->with_sql = q->insert;
    op->with_type = with->type;
    op->with_values = vals;
    op->with_n = n;
    return 0;
}

static int pg_insert(gc_store *gs, gc_arena *a, const gc_entity_type *t, const char *tenant, const json_t *obj,
                     const gc_value_memo *memo, const gc_store_row *with, int64_t *version_out,
                     gc_err *err)
{
    pg_store *s = (pg_store *)gs;
    int result = -1;
    const type_sql *q = sql_of(s, t, err);
    size_t n = gc_sql_n_values(t);
    gc_sql_value *vals = gc_arena_alloc(a, n * sizeof *vals);
    if (!q || gc_sql_values_from_record(t, obj, memo, a, vals, err) != 0)
        goto done;
    write_op op = {.kind = OP_INSERT, .t = t, .tenant = tenant, .values = vals, .n_values = n,
                   .sql = q->insert, .a = a, .version = next_version(s, 0)};
    if (prepare_with(s, with, &op, err) != 0)
        goto done;
    result = submit(s, &op, version_out, err);
done:
    return result;
}

static int pg_update(gc_store *gs, gc_arena *a, const gc_entity_type *t, const char *tenant, const char *id,
                     int64_t expect_version, const json_t *old, const json_t *obj,
                     const gc_value_memo *memo, const gc_store_row *with, int64_t *version_out,
                     gc_err *err)
{
    pg_store *s = (pg_store *)gs;
    const type_sql *q = sql_of(s, t, err);
    const char *sql;
    gc_sql_value *vals;
    size_t n = 0;
    if (!q || gc_sql_update_prepare(&gc_sql_dialect_postgres, t, id, old, obj, memo, a, &sql, &vals,
                                    &n, err) != 0)
        return -1;
    /* later than the version it replaces, whatever the clocks of the nodes say */
    write_op op = {.kind = OP_UPDATE, .t = t, .tenant = tenant, .id = id,
                   .expect_version = expect_version, .values = vals, .n_values = n,
                   .sql = sql, .version_sql = q->version, .a = a,
                   .version = next_version(s, expect_version)};
    if (prepare_with(s, with, &op, err) != 0)
        return -1;
    return submit(s, &op, version_out, err);
}

static int pg_remove(gc_store *gs, gc_arena *a, const gc_entity_type *t, const char *tenant, const char *id,
                     int64_t expect_version, const gc_store_row *with, gc_err *err)
{
    pg_store *s = (pg_store *)gs;
    int result = -1;
    const type_sql *q = sql_of(s, t, err);
    if (!q)
        goto done;
    write_op op = {.kind = OP_REMOVE, .t = t, .tenant = tenant, .id = id,
                   .expect_version = expect_version,
                   .sql = expect_version != 0 ? q->remove_version : q->remove,
                   .version_sql = q->version, .a = a, .version = next_version(s, 0)};
    if (prepare_with(s, with, &op, err) != 0)
        goto done;
    result = submit(s, &op, NULL, err);
done:
    return result;
}

/* ---- schema and migrations ---- */

/* The schema version recorded in the database: 0 when none is (a new database), -1 on error. */
static int64_t schema_version(conn *c, gc_err *err)
{
    PGresult *r = PQexec(c->pg, "SELECT max(version) FROM gc_schema_version");
    int64_t v = -1;
    if (state_is(r, "42P01")) /* no such table */
        v = 0;
    else if (!res_ok(r) || PQntuples(r) != 1)
        pg_fail(c, r, "reading the schema version", err);
    else if (PQgetisnull(r, 0, 0))
        v = 0;
    else {
        char *end;
        long long x = strtoll(PQgetvalue(r, 0, 0), &end, 10);
        v = *end == '\0' && x >= 0 ? x : -1;
        if (v < 0)
            gc_err_set(err, GC_E_INTERNAL, "db", "The schema version in the database is not a number.");
    }
    PQclear(r);
    return v;
}

/* Brings a database at schema version `from` (0: new) up to SCHEMA_VERSION inside the open
 * schema transaction, one step per version. Version 1 is the first schema, made by make_schema
 * from the schema tables; add later steps here as `if (from < N && <statements for N> != 0)
 * return -1;`. Each version reached gets its row in gc_schema_version. */
static int migrate(conn *c, int64_t from, gc_err *err)
{
    if (from >= SCHEMA_VERSION)
        return 0;
    char sql[160];
    snprintf(sql, sizeof sql,
             "INSERT INTO gc_schema_version (version, applied_by) VALUES (%d, 'graphcerts')",
             SCHEMA_VERSION);
    if (exec_simple(c, sql, "recording the schema version", err) != 0)
        return -1;
    if (from > 0) /* a new database is made, not migrated: nothing to tell */
        gc_log(GC_LOG_INFO, NULL, "postgresql: schema migrated from version %lld to %d",
               (long long)from, SCHEMA_VERSION);
    return 0;
}

/* Makes the schema in one transaction holding the schema lock: the version table, every type's
 * table and indexes (IF NOT EXISTS: a table or index the schema tables gained is made on the next
 * start), then the migration steps. Nodes starting together wait for each other here. */
static int make_schema(pg_store *s, conn *c, gc_err *err)
{
    int result = -1;
    gc_buf sql;
    gc_buf_init(&sql, GC_SQL_MAX_LEN);
    if (exec_simple(c, "BEGIN", "starting the schema transaction", err) != 0 ||
        exec_simple(c, "SELECT pg_advisory_xact_lock(" SCHEMA_LOCK ")", "taking the schema lock", err) != 0 ||
        exec_simple(c,
                    "CREATE TABLE IF NOT EXISTS gc_schema_version (version INTEGER PRIMARY KEY, "
                    "applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_by TEXT NOT NULL)",
                    "creating gc_schema_version", err) != 0)
        goto done;
    int64_t version = schema_version(c, err);
    if (version < 0)
        goto done;
    if (version > SCHEMA_VERSION) {
        gc_err_set(err, GC_E_INTERNAL, "db",
                   "The database has schema version %lld, newer than this graphcerts knows (%d).",
                   (long long)version, SCHEMA_VERSION);
        goto done;
    }
    for (size_t i = 0; i < s->n_types; i++) {
        const gc_entity_type *t = s->types[i];
        if (gc_sql_create_table(&sql, &gc_sql_dialect_postgres, t, err) != 0 ||
            exec_simple(c, sql.data, "creating a table", err) != 0)
            goto done;
        for (size_t j = 0; j < t->n_props; j++)
            if ((t->props[j].flags & GC_P_INDEX) &&
                (gc_sql_create_index(&sql, &gc_sql_dialect_postgres, t, &t->props[j], err) != 0 ||
                 exec_simple(c, sql.data, "creating an index", err) != 0))
                goto done;
    }
    if (migrate(c, version, err) != 0 || exec_simple(c, "COMMIT", "committing the schema", err) != 0)
        goto done;
    result = 0;
done:
    if (result != 0)
        rollback(c);
    gc_buf_free(&sql);
    return result;
}

/* A read-only store finds the schema this code writes, or refuses: it makes and migrates nothing. */
static int check_schema(conn *c, gc_err *err)
{
    gc_err local;
    int64_t v = schema_version(c, &local);
    if (v < 0)
        return gc_err_set(err, local.kind, "db", "%s", local.message);
    if (v != SCHEMA_VERSION)
        return gc_err_set(err, GC_E_INTERNAL, "db",
                          "The database has schema version %lld, not %d: run graphcerts migrate "
                          "(or serve) on it first.",
                          (long long)v, SCHEMA_VERSION);
    return 0;
}

/* ---- open / close ---- */

static void pg_close(gc_store *gs)
{
    pg_store *s = (pg_store *)gs;
    if (!s)
        return;
    drop_idle(s);
    if (s->n_conns)
        gc_log(GC_LOG_ERROR, NULL, "postgresql: store closed while %zu connections were in use",
               s->n_conns);
    for (size_t i = 0; s->sql && i < s->n_types; i++)
        gc_sql_fixed_free(&s->sql[i]);
    free(s->sql);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->lock);
    free(s->conninfo);
    free(s);
}

static int open_store(const char *location, const gc_entity_type *const *types, size_t n_types,
                      bool read_only, gc_store **out, gc_err *err)
{
    int result = -1;
    pg_store *s = NULL;
    conn *c = NULL;
    if (!PQisthreadsafe())
        return gc_err_set(err, GC_E_INTERNAL, "db", "The libpq library is not thread-safe.");
    /* "postgresql:" + location is the user's URI; an empty one takes everything from PG* */
    size_t len = strlen(location);
    char *conninfo = malloc(len + 12);
    if (!conninfo)
        return gc_err_set(err, GC_E_INTERNAL, "db", "Out of memory opening the database.");
    if (len)
        snprintf(conninfo, len + 12, "postgresql:%s", location);
    else
        conninfo[0] = '\0';
    char *perr = NULL;
    PQconninfoOption *parsed = PQconninfoParse(conninfo, &perr);
    PQconninfoFree(parsed);
    if (!parsed) {
        /* libpq's message may quote the URI, password included: not repeated */
        PQfreemem(perr);
        free(conninfo);
        return gc_err_set(err, GC_E_BAD_REQUEST, "db",
                          "The PostgreSQL connection URI cannot be parsed (expected "
                          "postgresql://[user[:password]@][host][:port][/dbname][?param=value&...]).");
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        free(conninfo);
        return gc_err_set(err, GC_E_INTERNAL, "db", "Out of memory opening the database.");
    }
    s->base.be = &gc_store_postgres;
    s->conninfo = conninfo;
    s->read_only = read_only;
    s->max_conns = read_only ? 1 : MAX_CONNS;
    s->types = types;
    s->n_types = n_types;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cv, NULL);
    atomic_init(&s->last_version, 0);
    atomic_init(&s->down, false);
    if (!(s->sql = calloc(n_types ? n_types : 1, sizeof *s->sql))) {
        gc_err_set(err, GC_E_INTERNAL, "db", "Out of memory opening the database.");
        goto done;
    }
    for (size_t i = 0; i < n_types; i++)
        if (gc_sql_fixed_make(&s->sql[i], &gc_sql_dialect_postgres, types[i], NULL, err) != 0)
            goto done;
    if (!(c = acquire(s, false, err))) {
        gc_err_set(err, GC_E_UNAVAILABLE, "db",
                   "Cannot connect to the PostgreSQL database (see the log for why).");
        goto done;
    }
    if ((read_only ? check_schema(c, err) : make_schema(s, c, err)) != 0)
        goto done;
    result = 0;
done:
    release(s, c);
    if (result == 0)
        *out = &s->base;
    else
        pg_close(&s->base);
    return result;
}

static int pg_open(const char *location, bool read_only, gc_store **out, gc_err *err)
{
    return open_store(location, gc_schema_types, gc_schema_n_types, read_only, out, err);
}

/* The health check: a connection answers a query. Messages name no host or secret: /healthz
 * answers them to anyone. */
static int pg_ping(gc_store *gs, gc_err *err)
{
    pg_store *s = (pg_store *)gs;
    conn *c = NULL;
    PGresult *r = NULL;
    gc_err local;
    int rc = read_run(s, "SELECT 1", false, NULL, 0, "checking the database", &c, &r, &local);
    PQclear(r);
    release(s, c);
    if (rc != 0)
        return gc_err_set(err, GC_E_UNAVAILABLE, "", "The database does not answer.");
    return 0;
}

const gc_store_backend gc_store_postgres = {
    .scheme = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .get = pg_get,
    .list = pg_list,
    .count = pg_count,
    .insert = pg_insert,
    .update = pg_update,
    .remove = pg_remove,
    .ping = pg_ping,
    .count_expiring = pg_count_expiring,
};
