/* A connection's cache of prepared statements, keyed by their SQL text: at most
 * GC_STMT_CACHE_MAX, the least recently used making room for a new one. Both backends use it;
 * each keeps its own handle in the entry (SQLite's sqlite3_stmt, PostgreSQL's statement name)
 * and releases it before an entry is removed. Not thread-safe: a connection is one thread's. */
#ifndef GC_STORE_STMT_CACHE_H
#define GC_STORE_STMT_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define GC_STMT_CACHE_MAX 64

typedef struct gc_stmt_entry {
    uint64_t hash;
    uint64_t used; /* the cache's tick at the last use */
    char *sql;
    size_t len;    /* of sql */
    void *st;      /* SQLite: the prepared statement */
    char name[24]; /* PostgreSQL: the prepared statement's name */
} gc_stmt_entry;

typedef struct gc_stmt_cache {
    gc_stmt_entry e[GC_STMT_CACHE_MAX];
    size_t n;
    uint64_t tick;
} gc_stmt_cache;

/* The entry for sql (len bytes), marked as used now, or NULL; *hash is sql's hash either way,
 * for gc_stmt_cache_add. */
gc_stmt_entry *gc_stmt_cache_find(gc_stmt_cache *c, const char *sql, size_t len, uint64_t *hash);
/* When the cache is full, the least recently used entry (release its handle, then
 * gc_stmt_cache_remove it); else NULL. */
gc_stmt_entry *gc_stmt_cache_full(gc_stmt_cache *c);
/* A new entry for a copy of sql (the cache must not be full), its handle not set yet; NULL when
 * out of memory. */
gc_stmt_entry *gc_stmt_cache_add(gc_stmt_cache *c, const char *sql, size_t len, uint64_t hash);
/* Removes e (its handle already released); entries after it may move. */
void gc_stmt_cache_remove(gc_stmt_cache *c, gc_stmt_entry *e);
/* Removes every entry (their handles already released). */
void gc_stmt_cache_clear(gc_stmt_cache *c);

#endif
