/* The one writer of SQL text, shared by the statements (sql.c) and the filter translation
 * (sql_filter.c): the dialect, the one identifier-quoting function, placeholders (? or $N) and
 * the values bound to them, all appended to a gc_buf whose overflow flag is the only failure
 * flag (checked once, after a statement is written). */
#ifndef GC_STORE_SQL_WRITER_H
#define GC_STORE_SQL_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "schema/value.h"

/* The fixed columns every entity table has besides its properties. */
#define GC_SQL_TENANT_COL "tenant"
#define GC_SQL_VERSION_COL "version"
#define GC_SQL_TICKS_SUFFIX "_ticks"

typedef struct gc_sql_dialect {
    const char *text_type;   /* STRING, GUID, DATETIME text, tenant */
    const char *int32_type;  /* INT32, ENUM, BOOLEAN (0/1) */
    const char *int64_type;  /* DATETIME ticks, version */
    const char *blob_type;   /* BINARY */
    bool numbered_params;    /* $1, $2, ... (PostgreSQL) instead of ? */
    size_t max_ident;        /* longest identifier kept, in bytes (0: no limit): a longer index
                              * name is cut and ends in a hash of the whole, so two never clash */
} gc_sql_dialect;

extern const gc_sql_dialect gc_sql_dialect_sqlite;
/* Text columns compare and sort bytewise (COLLATE "C"), as SQLite's BINARY does, whatever the
 * database's locale. */
extern const gc_sql_dialect gc_sql_dialect_postgres;

/* One column value: the schema's typed value (schema/value.h), under the names the backends
 * use. p/len for TEXT (not necessarily NUL-terminated) and BLOB; the memory belongs to whoever
 * filled the value (an arena, or the backend's current row). A backend is never given
 * GC_VALUE_BOOL: booleans are bound as INT 0/1. */
typedef gc_value_kind gc_sql_kind;
#define GC_SQL_NULL GC_VALUE_NULL
#define GC_SQL_INT GC_VALUE_INT
#define GC_SQL_TEXT GC_VALUE_TEXT
#define GC_SQL_BLOB GC_VALUE_BLOB
typedef gc_value gc_sql_value;

/* Appends name followed by suffix (NULL for none) as one double-quoted identifier, doubling any
 * embedded quote. The only place identifiers are quoted. 0, or -1 when b's limit is reached. */
int gc_sql_ident(gc_buf *b, const char *name, const char *suffix);

typedef struct gc_sqlw {
    gc_buf *b;
    const gc_sql_dialect *d;
    int n_params;          /* placeholders written so far: a numbered one is $(n_params + 1) */
    gc_sql_value *params;  /* where gc_sqlw_bind puts the values, in placeholder order */
    size_t max_params, n_bound;
    bool too_many;         /* a value past max_params was refused */
} gc_sqlw;

/* A writer appending to b (emptied first when fresh) that binds up to max_params values into
 * params (NULL, 0: none). */
gc_sqlw gc_sqlw_start(gc_buf *b, const gc_sql_dialect *d, bool fresh, gc_sql_value *params,
                      size_t max_params);
/* Nothing is appended once b has overflowed; gc_sqlw_failed tells. */
void gc_sqlw_str(gc_sqlw *w, const char *s);
void gc_sqlw_ident(gc_sqlw *w, const char *name, const char *suffix);
/* A placeholder whose value the caller binds itself. */
void gc_sqlw_placeholder(gc_sqlw *w);
/* A placeholder bound to v. */
void gc_sqlw_bind(gc_sqlw *w, gc_sql_value v);
/* True when b overflowed or a value was refused. */
bool gc_sqlw_failed(const gc_sqlw *w);

#endif
