/* Per-request arena: allocations live until gc_arena_free, which also runs the cleanups
 * registered with gc_arena_defer (jansson references, statements, results) in reverse order.
 * An arena is used by one thread at a time. Allocation failure aborts the process (the
 * request limits keep arenas small, so running out of memory is not a request error). */
#ifndef GC_CORE_ARENA_H
#define GC_CORE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct gc_arena gc_arena;

gc_arena *gc_arena_new(void);
void gc_arena_free(gc_arena *a);

/* Memory owned by the arena, zeroed, aligned for any type. */
void *gc_arena_alloc(gc_arena *a, size_t size);
char *gc_arena_strdup(gc_arena *a, const char *s);
char *gc_arena_strndup(gc_arena *a, const char *s, size_t n);
char *gc_arena_printf(gc_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *gc_arena_vprintf(gc_arena *a, const char *fmt, va_list ap);
/* The strings up to the first NULL, joined: for the URLs and tags built on every request,
 * where a format string's parsing costs more than the copying. */
char *gc_arena_concat(gc_arena *a, ...) __attribute__((sentinel));

/* Runs fn(p) when the arena is freed. */
void gc_arena_defer(gc_arena *a, void (*fn)(void *), void *p);

struct json_t;
/* Hands one reference of j to the arena (json_decref at free); returns j. */
struct json_t *gc_arena_json(gc_arena *a, struct json_t *j);

/* jansson's memory. While an arena is in scope on a thread, every jansson value that thread
 * makes (parsed bodies, records, json_dumps text) is carved from the arena instead of malloc:
 * a request makes hundreds, and frees them all at once with its arena. Such a value must not
 * outlive the arena (ASan reports it if it does); out of scope, jansson uses the heap as
 * usual. Returns the arena in scope before, to be restored when the scope ends (scopes nest).
 * The allocator is installed before main; text from json_dumps is freed with
 * gc_json_text_free, never free(). */
gc_arena *gc_arena_json_scope(gc_arena *a);
void gc_json_text_free(void *s);

#endif
