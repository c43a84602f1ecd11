/* The prepared-statement cache of a connection (see stmt_cache.h). */
#include "store/stmt_cache.h"

#include <stdlib.h>
#include <string.h>

#include "core/codec.h"

gc_stmt_entry *gc_stmt_cache_find(gc_stmt_cache *c, const char *sql, size_t len, uint64_t *hash)
{
    uint64_t h = gc_hash64(0, sql, len);
    *hash = h;
    c->tick++;
    for (size_t i = 0; i < c->n; i++) {
        gc_stmt_entry *e = &c->e[i];
        if (e->hash == h && e->len == len && memcmp(e->sql, sql, len) == 0) {
            e->used = c->tick;
            return e;
        }
    }
    return NULL;
}

gc_stmt_entry *gc_stmt_cache_full(gc_stmt_cache *c)
{
    if (c->n < GC_STMT_CACHE_MAX)
        return NULL;
    gc_stmt_entry *lru = &c->e[0];
    for (size_t i = 1; i < c->n; i++)
        if (c->e[i].used < lru->used)
            lru = &c->e[i];
    return lru;
}

gc_stmt_entry *gc_stmt_cache_add(gc_stmt_cache *c, const char *sql, size_t len, uint64_t hash)
{
    if (c->n == GC_STMT_CACHE_MAX)
        return NULL;
    char *copy = malloc(len + 1);
    if (!copy)
        return NULL;
    memcpy(copy, sql, len);
    copy[len] = '\0';
    gc_stmt_entry *e = &c->e[c->n++];
    *e = (gc_stmt_entry){.hash = hash, .used = c->tick, .sql = copy, .len = len};
    return e;
}

void gc_stmt_cache_remove(gc_stmt_cache *c, gc_stmt_entry *e)
{
    free(e->sql);
    *e = c->e[--c->n];
}

void gc_stmt_cache_clear(gc_stmt_cache *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->e[i].sql);
    c->n = 0;
}
