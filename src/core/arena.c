/* Chunked bump allocator with a cleanup list; see arena.h. */
#include "core/arena.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE 8192
#define ALIGN 16

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    _Alignas(ALIGN) unsigned char data[];
} chunk;

typedef struct cleanup {
    struct cleanup *next;
    void (*fn)(void *);
    void *p;
} cleanup;

struct gc_arena {
    chunk *head;
    cleanup *cleanups;
};

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fputs("graphcerts: out of memory\n", stderr);
        abort();
    }
    return p;
}

gc_arena *gc_arena_new(void)
{
    gc_arena *a = xmalloc(sizeof *a);
    a->head = NULL;
    a->cleanups = NULL;
    return a;
}

void gc_arena_free(gc_arena *a)
{
    if (!a)
        return;
    for (cleanup *c = a->cleanups; c;) {
        cleanup *next = c->next;
        c->fn(c->p);
        c = next;
    }
    for (chunk *c = a->head; c;) {
        chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

/* Memory owned by the arena, aligned, not zeroed. */
static void *bump(gc_arena *a, size_t size)
{
    if (size > SIZE_MAX / 2) {
        fputs("graphcerts: allocation too large\n", stderr);
        abort();
    }
    size_t need = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (need == 0)
        need = ALIGN;
    chunk *c = a->head;
    if (!c || c->cap - c->used < need) {
        size_t cap = need > CHUNK_SIZE / 2 ? need : CHUNK_SIZE;
        chunk *n = xmalloc(sizeof *n + cap);
        n->used = 0;
        n->cap = cap;
        if (cap == need && c) {
            /* a large block: keep the current chunk at the head for small allocations */
            n->next = c->next;
            c->next = n;
        } else {
            n->next = c;
            a->head = n;
        }
        c = n;
    }
    void *p = c->data + c->used;
    c->used += need;
    return p;
}

void *gc_arena_alloc(gc_arena *a, size_t size)
{
    void *p = bump(a, size);
    memset(p, 0, size);
    return p;
}

char *gc_arena_strndup(gc_arena *a, const char *s, size_t n)
{
    char *d = gc_arena_alloc(a, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *gc_arena_strdup(gc_arena *a, const char *s)
{
    return gc_arena_strndup(a, s, strlen(s));
}

char *gc_arena_vprintf(gc_arena *a, const char *fmt, va_list ap)
{
    /* one formatting pass for the common short string; a second only when it did not fit */
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        n = 0;
    char *d = gc_arena_alloc(a, (size_t)n + 1);
    if ((size_t)n < sizeof small)
        memcpy(d, small, (size_t)n + 1);
    else
        vsnprintf(d, (size_t)n + 1, fmt, ap);
    return d;
}

char *gc_arena_printf(gc_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *d = gc_arena_vprintf(a, fmt, ap);
    va_end(ap);
    return d;
}

char *gc_arena_concat(gc_arena *a, ...)
{
    va_list ap;
    size_t len = 0;
    va_start(ap, a);
    for (const char *s; (s = va_arg(ap, const char *));)
        len += strlen(s);
    va_end(ap);
    char *d = gc_arena_alloc(a, len + 1), *k = d;
    va_start(ap, a);
    for (const char *s; (s = va_arg(ap, const char *));) {
        size_t n = strlen(s);
        memcpy(k, s, n);
        k += n;
    }
    va_end(ap);
    *k = '\0';
    return d;
}

void gc_arena_defer(gc_arena *a, void (*fn)(void *), void *p)
{
    cleanup *c = gc_arena_alloc(a, sizeof *c);
    c->fn = fn;
    c->p = p;
    c->next = a->cleanups;
    a->cleanups = c;
}

/* ---- jansson's memory ----
 * Every jansson allocation carries a 16-byte header saying where it came from: the arena in
 * scope on this thread (freed with the arena; jansson's free of it does nothing) or the heap. */

#define JSON_FROM_HEAP UINT32_C(0x6a736868)  /* "jshh" */
#define JSON_FROM_ARENA UINT32_C(0x6a736161) /* "jsaa" */

static _Thread_local gc_arena *json_scope;

static void *json_alloc(size_t n)
{
    if (n > SIZE_MAX / 2)
        return NULL;
    gc_arena *a = json_scope;
    uint32_t *h = a ? bump(a, n + ALIGN) : malloc(n + ALIGN);
    if (!h)
        return NULL;
    h[0] = a ? JSON_FROM_ARENA : JSON_FROM_HEAP;
    return (unsigned char *)h + ALIGN;
}

static void json_release(void *p)
{
    if (!p)
        return;
    uint32_t *h = (uint32_t *)(void *)((unsigned char *)p - ALIGN);
    if (h[0] == JSON_FROM_HEAP) {
        free(h);
    } else if (h[0] != JSON_FROM_ARENA) {
        fputs("graphcerts: jansson freed memory it did not allocate\n", stderr);
        abort();
    }
}

/* Installed before main runs, so no jansson value ever predates the header scheme. */
__attribute__((constructor)) static void json_install(void)
{
    json_set_alloc_funcs(json_alloc, json_release);
}

gc_arena *gc_arena_json_scope(gc_arena *a)
{
    gc_arena *old = json_scope;
    json_scope = a;
    return old;
}

void gc_json_text_free(void *s)
{
    json_release(s);
}

static void json_cleanup(void *p)
{
    json_decref((json_t *)p);
}

struct json_t *gc_arena_json(gc_arena *a, struct json_t *j)
{
    if (j)
        gc_arena_defer(a, json_cleanup, j);
    return j;
}
