/* The storage interface. A store keeps entities of the schema types, each row owned by exactly
 * one tenant; every call takes the tenant and never touches another tenant's rows. Records are
 * jansson objects in canonical wire form (see odata/value.h), or for readers that only
 * serialise them the same values in schema order (GC_STORE_VALUES): the store maps them to
 * columns using the schema tables, so it knows SQL but not HTTP or OData syntax.
 *
 * Writes return only once they are durable (synced to disk). Concurrent writes are grouped
 * into one transaction and one sync. Reads never wait for writes.
 *
 * Backends are function tables in their own files (sqlite/, postgres.c); gc_store_open
 * picks one from the DSN scheme. All functions are safe to call from many threads at once.
 *
 * One arena convention: every call that reads or writes entities takes the caller's arena right
 * after the store (gc_store_get(s, a, ...), gc_store_insert(s, a, ...), ...). What it returns
 * lives there, and so does whatever it needs while it runs (column values, statement text):
 * a call allocates nothing that outlives it outside a. */
#ifndef GC_STORE_STORE_H
#define GC_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/metrics.h"
#include "schema/expr.h"
#include "schema/schema.h"
#include "schema/value.h"

struct json_t;
typedef struct gc_store gc_store;


/* What a list or count reads: the tenant's rows matching filter, in order, a page at a time.
 * Paging is by keyset: after holds the position of the last row of the previous page, so a
 * deep page costs what the first does. */
typedef struct gc_store_query {
    const gc_filter *filter; /* bound filter tree (schema/expr.h), or NULL for all rows */
    const gc_order *order;  /* sort keys; the key (id) is always the final tiebreak */
    size_t n_order;
    size_t limit;           /* at most this many rows (0: none) */
    size_t offset;
    /* NULL, or a JSON array of the previous page's last row: the canonical wire values of the
     * n_order sort keys, then its id. Only rows strictly after it in the order are read. */
    const struct json_t *after;
    bool values; /* the rows may come as GC_STORE_VALUES records */
} gc_store_query;

/* gc_store_get flags. */
enum gc_store_get_flags {
    GC_STORE_WITH_SECRETS = 1u << 0, /* also read write-only (GC_P_SECRET) values */
    /* the caller only reads values (gc_record_value): the store may give them in schema order
     * (vals) instead of an object (obj), which spares building one (a tenth of a GET's work) */
    GC_STORE_VALUES = 1u << 1,
};

typedef struct gc_record {
    struct json_t *obj; /* canonical wire form, every property; write-only (GC_P_SECRET) ones are
                         * null unless read with GC_STORE_WITH_SECRETS; arena-owned */
    struct json_t *vals; /* with GC_STORE_VALUES, instead of obj when the store chose so: the
                          * same values as an array in schema order (NULL otherwise) */
    int64_t version;    /* changes on every write; the ETag */
} gc_record;

/* r's value of p, a property of t, from obj or vals (NULL when absent). */
struct json_t *gc_record_value(const gc_entity_type *t, const gc_record *r, const gc_prop *p);

/* A row written with a write, in its transaction: inserted only when the write succeeds, and
 * the write is undone (it fails with GC_E_INTERNAL) when the row cannot be inserted. This is
 * how a write's audit event is recorded: never a write without its event, nor the reverse. */
typedef struct gc_store_row {
    const gc_entity_type *type; /* one of the store's types */
    const struct json_t *obj;   /* the record, holding its key */
} gc_store_row;
/* Per tenant, how many entities of one type expire within each of up to GC_STORE_MAX_WINDOWS
 * windows (see gc_store_count_expiring). */
#define GC_STORE_MAX_WINDOWS 8
typedef struct gc_store_expiring {
    const char *tenant; /* arena-owned */
    int64_t counts[GC_STORE_MAX_WINDOWS];
} gc_store_expiring;

/* The store operations whose latency is measured (gc_store_latency). */
typedef enum gc_store_op {
    GC_STORE_OP_GET,
    GC_STORE_OP_LIST,
    GC_STORE_OP_COUNT,
    GC_STORE_OP_CREATE,
    GC_STORE_OP_UPDATE,
    GC_STORE_OP_DELETE,
    GC_STORE_OP__COUNT
} gc_store_op;

typedef struct gc_store_backend {
    const char *scheme; /* DSN prefix before ':', e.g. "sqlite" */
    int (*open)(const char *location, bool read_only, gc_store **out, gc_err *err);
    void (*close)(gc_store *s);
    int (*get)(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant,
               const char *id, unsigned flags, gc_record *out, gc_err *err);
    int (*list)(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant,
                const gc_store_query *q, gc_record **out, size_t *n_out, gc_err *err);
    int (*count)(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant,
                 const gc_store_query *q, int64_t *out, gc_err *err);
    /* with: NULL, or a row of the same tenant written in the write's transaction */
    /* memo: NULL, or values already made of obj's (schema/value.h) */
    int (*insert)(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant,
                  const struct json_t *obj, const gc_value_memo *memo, const gc_store_row *with,
                  int64_t *version_out, gc_err *err);
    int (*update)(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant, const char *id,
                  int64_t expect_version, const struct json_t *old, const struct json_t *obj,
                  const gc_value_memo *memo, const gc_store_row *with, int64_t *version_out,
                  gc_err *err);
    int (*remove)(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant, const char *id,
                  int64_t expect_version, const gc_store_row *with, gc_err *err);
    int (*ping)(gc_store *s, gc_err *err);
    int (*count_expiring)(gc_store *s, gc_arena *a, const gc_entity_type *t, int64_t from_ticks,
                          const int64_t *until_ticks, size_t n_windows, gc_store_expiring **out,
                          size_t *n_out, gc_err *err);
} gc_store_backend;

/* Backends embed this as their first member (zeroed, be set). */
struct gc_store {
    const gc_store_backend *be;
    gc_hist latency[GC_STORE_OP__COUNT]; /* filled by the dispatch wrappers below */
};

/* Opens "sqlite:PATH" (creating the file, its directory's schema and the schema-version record
 * on first start). Unknown scheme → GC_E_BAD_REQUEST naming the DSN scheme (never the DSN
 * itself, which may hold a password). A store is used by one process at a time: when another
 * process has it open → GC_E_UNAVAILABLE naming the file (the lock is held until close, and the
 * kernel releases it when a process dies).
 *
 * Every call below fails with GC_E_STORAGE_FULL when the disk is full and GC_E_UNAVAILABLE
 * when the store is locked by someone else past its busy timeout; a failed write changes
 * nothing. */
int gc_store_open(const char *dsn, gc_store **out, gc_err *err);
/* The same, read-only, for tools that read while a server writes (export): takes no lock, makes
 * nothing (the store must exist, at this code's schema version), and every write fails. Reads
 * see the store as it was when their snapshot was taken. */
int gc_store_open_read_only(const char *dsn, gc_store **out, gc_err *err);
void gc_store_close(gc_store *s);

/* GC_E_NOT_FOUND when the tenant has no such id. out->obj is owned by a. flags: GC_STORE_*. */
int gc_store_get(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant,
                 const char *id, unsigned flags, gc_record *out, gc_err *err);
/* Rows in q's order, without write-only values (they read as null); *out is an arena array of
 * *n_out records. */
int gc_store_list(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant,
                  const gc_store_query *q, gc_record **out, size_t *n_out, gc_err *err);
/* Rows matching q (limit/offset ignored). */
int gc_store_count(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant,
                   const gc_store_query *q, int64_t *out, gc_err *err);
/* Inserts obj (which holds the key). GC_E_CONFLICT when the tenant already has that id. */
int gc_store_insert(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant,
                    const struct json_t *obj, int64_t *version_out, gc_err *err);
/* Replaces the row with obj when its version is still expect_version. old, when not NULL, is
 * the record as read at that version (with secrets): then only the columns of properties whose
 * value differs from old are written, which spares unchanged indexes. A property absent from
 * obj is left as it is. GC_E_NOT_FOUND when gone, GC_E_STALE when the version moved on. */
int gc_store_update(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant, const char *id,
                    int64_t expect_version, const struct json_t *old, const struct json_t *obj,
                    int64_t *version_out, gc_err *err);
/* Deletes the row; expect_version 0 means any version. GC_E_NOT_FOUND / GC_E_STALE as above. */
int gc_store_remove(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant, const char *id,
                    int64_t expect_version, gc_err *err);

/* A cheap check that the store answers (for /healthz and /readyz): 0, or -1 with a message that
 * names no path or secret, fit for an unauthenticated client. */
int gc_store_ping(gc_store *s, gc_err *err);
/* The same three writes, with a row of the same tenant written in the write's own transaction
 * (see gc_store_row): the row is there exactly when the write succeeded. A row that cannot be
 * made from its record → the write fails before anything is written. memo (NULL, or what
 * gc_odata_apply_body remembered) gives the stored values already made of obj's values, so
 * that none is parsed twice (schema/value.h). */
int gc_store_insert_with(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant,
                         const struct json_t *obj, const gc_value_memo *memo,
                         const gc_store_row *with, int64_t *version_out, gc_err *err);
int gc_store_update_with(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant,
                         const char *id, int64_t expect_version, const struct json_t *old,
                         const struct json_t *obj, const gc_value_memo *memo,
                         const gc_store_row *with, int64_t *version_out, gc_err *err);
int gc_store_remove_with(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant,
                         const char *id, int64_t expect_version, const gc_store_row *with,
                         gc_err *err);
/* For t (whose t->expiry names a DATETIME property), per tenant that has any: the number of
 * entities whose expiry lies in [from_ticks, until_ticks[i]], for each of the n_windows
 * (1..GC_STORE_MAX_WINDOWS, ascending) windows. One grouped query; *out is an arena array of
 * *n_out entries in tenant order. A type without an expiry gives no entries. */
int gc_store_count_expiring(gc_store *s, gc_arena *a, const gc_entity_type *t, int64_t from_ticks,
                            const int64_t *until_ticks, size_t n_windows, gc_store_expiring **out,
                            size_t *n_out, gc_err *err);
/* The latency histogram of op over this store's calls; lives as long as s. */
const gc_hist *gc_store_latency(const gc_store *s, gc_store_op op);
/* "get", "list", "count", "create", "update", "delete". */
const char *gc_store_op_name(gc_store_op op);

extern const gc_store_backend gc_store_sqlite;
/* "postgresql:" (or "postgres:") followed by the rest of a libpq URI, e.g.
 * postgresql://graphcerts@db.example:5432/graphcerts; the PG* environment variables give what it
 * leaves out. Creates and migrates the schema under an advisory lock (postgres.c). */
extern const gc_store_backend gc_store_postgres;

#endif
