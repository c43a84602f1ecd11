/* Cache of verified tokens (see auth_int.h): a 2-way set-associative table keyed by the token
 * itself, least recently used way replaced, one mutex per set (sets are cache-line aligned, so
 * threads on different sets never share a line). A seeded 64-bit hash of the token picks the
 * set; a hit needs the whole token to be equal (compared in constant time), so the hash only
 * has to spread tokens, not resist collisions: a SHA-256 key cost ~16,000 instructions a
 * request, this ~200. An entry owns a copy of the principal and of the token; a hit copies the
 * principal out under the set's lock, so an entry is only ever freed by the thread that
 * unlinked it. */
#include "auth/auth_int.h"

#include "core/util.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WAYS 2
#define LINE 64

typedef struct cache_entry {
    uint64_t hash;
    size_t tok_len;
    gc_auth_times times;
    char tenant[37];
    char app[GC_AUTH_MAX_APP + 1];
    char user_id[GC_AUTH_MAX_USER + 1];
    char upn[GC_AUTH_MAX_UPN + 1];
    size_t n_perms;
    size_t names_len;  /* bytes in names */
    char names[];      /* n_perms NUL-terminated names, back to back, then the token's bytes */
} cache_entry;

typedef struct cache_set {
    _Alignas(LINE) pthread_mutex_t mu;
    cache_entry *way[WAYS];
    unsigned victim; /* the way to replace when both are full */
    uint64_t hits, misses, evictions;
} cache_set;

struct gc_auth_cache {
    uint64_t seed;  /* random: which tokens share a set cannot be planned from outside */
    size_t n_sets;  /* a power of two */
    cache_set *sets;
};

void gc_auth_cache_free(gc_auth_cache *c)
{
    if (!c)
        return;
    if (c->sets) {
        for (size_t i = 0; i < c->n_sets; i++) {
            for (int w = 0; w < WAYS; w++)
                free(c->sets[i].way[w]);
            pthread_mutex_destroy(&c->sets[i].mu);
        }
        free(c->sets);
    }
    free(c);
}

gc_auth_cache *gc_auth_cache_new(size_t entries)
{
    gc_auth_cache *result = NULL;
    gc_auth_cache *c = calloc(1, sizeof *c);
    if (!c)
        goto done;
    if (entries < WAYS)
        entries = WAYS;
    if (entries > GC_AUTH_CACHE_MAX)
        entries = GC_AUTH_CACHE_MAX;
    size_t n_sets = 1;
    while (n_sets * WAYS < entries)
        n_sets <<= 1;
    gc_random_bytes((unsigned char *)&c->seed, sizeof c->seed);
    c->sets = aligned_alloc(LINE, n_sets * sizeof *c->sets); /* sizeof is a multiple of LINE */
    if (!c->sets)
        goto done;
    memset(c->sets, 0, n_sets * sizeof *c->sets);
    for (; c->n_sets < n_sets; c->n_sets++)
        if (pthread_mutex_init(&c->sets[c->n_sets].mu, NULL) != 0)
            goto done;
    result = c;
    c = NULL;
done:
    gc_auth_cache_free(c);
    return result;
}

static const char *token_of(const cache_entry *e)
{
    return e->names + e->names_len;
}

static cache_set *set_of(const gc_auth_cache *c, uint64_t hash)
{
    return &c->sets[hash & (c->n_sets - 1)];
}

static int find_way(const cache_set *s, uint64_t hash, const char *tok, size_t len)
{
    for (int w = 0; w < WAYS; w++) {
        const cache_entry *e = s->way[w];
        if (e && e->hash == hash && e->tok_len == len && gc_equal_const_time(token_of(e), tok, len))
            return w;
    }
    return -1;
}

bool gc_auth_cache_get(gc_auth_cache *c, const char *tok, size_t len, gc_arena *a,
                       gc_principal *out, gc_auth_times *times)
{
    char names[GC_AUTH_CACHE_MAX_NAMES];
    size_t n_perms = 0, names_len = 0;
    if (len > GC_AUTH_MAX_TOKEN)
        return false;
    uint64_t hash = gc_hash64(c->seed, tok, len);
    cache_set *s = set_of(c, hash);
    pthread_mutex_lock(&s->mu);
    int w = find_way(s, hash, tok, len);
    if (w < 0) {
        s->misses++;
        pthread_mutex_unlock(&s->mu);
        return false;
    }
    const cache_entry *e = s->way[w];
    *times = e->times;
    memcpy(out->tenant, e->tenant, sizeof out->tenant);
    memcpy(out->app, e->app, sizeof out->app);
    memcpy(out->user_id, e->user_id, sizeof out->user_id);
    memcpy(out->upn, e->upn, sizeof out->upn);
    n_perms = e->n_perms;
    names_len = e->names_len;
    memcpy(names, e->names, names_len);
    s->victim = (unsigned)(WAYS - 1 - w);
    s->hits++;
    pthread_mutex_unlock(&s->mu);

    /* the arena may call malloc: done outside the lock */
    char *p = names_len ? gc_arena_alloc(a, names_len) : NULL;
    if (names_len)
        memcpy(p, names, names_len);
    out->n_perms = n_perms;
    for (size_t i = 0; i < n_perms; i++) {
        out->perms[i] = p;
        p += strlen(p) + 1;
    }
    return true;
}

void gc_auth_cache_put(gc_auth_cache *c, const char *tok, size_t len, const gc_principal *p,
                       const gc_auth_times *times)
{
    size_t names_len = 0;
    if (len > GC_AUTH_MAX_TOKEN)
        return;
    for (size_t i = 0; i < p->n_perms; i++) {
        names_len += strlen(p->perms[i]) + 1;
        if (names_len > GC_AUTH_CACHE_MAX_NAMES)
            return;
    }
    cache_entry *e = malloc(sizeof *e + names_len + len);
    if (!e)
        return;
    e->hash = gc_hash64(c->seed, tok, len);
    e->tok_len = len;
    e->times = *times;
    memcpy(e->tenant, p->tenant, sizeof e->tenant);
    memcpy(e->app, p->app, sizeof e->app);
    memcpy(e->user_id, p->user_id, sizeof e->user_id);
    memcpy(e->upn, p->upn, sizeof e->upn);
    e->n_perms = p->n_perms;
    e->names_len = names_len;
    char *q = e->names;
    for (size_t i = 0; i < p->n_perms; i++) {
        size_t n = strlen(p->perms[i]) + 1;
        memcpy(q, p->perms[i], n);
        q += n;
    }
    memcpy(q, tok, len);

    cache_entry *old = NULL;
    cache_set *s = set_of(c, e->hash);
    pthread_mutex_lock(&s->mu);
    int w = find_way(s, e->hash, tok, len); /* another thread may have cached it meanwhile */
    if (w >= 0) {
        old = e; /* keep theirs: it is the same principal */
    } else {
        for (w = 0; w < WAYS && s->way[w]; w++)
            ;
        if (w == WAYS) {
            w = (int)s->victim;
            old = s->way[w];
            s->evictions++;
        }
        s->way[w] = e;
    }
    s->victim = (unsigned)(WAYS - 1 - w);
    pthread_mutex_unlock(&s->mu);
    free(old);
}

void gc_auth_cache_stats_sum(gc_auth_cache *c, gc_auth_cache_stats *out)
{
    memset(out, 0, sizeof *out);
    out->capacity = c->n_sets * WAYS;
    for (size_t i = 0; i < c->n_sets; i++) {
        cache_set *s = &c->sets[i];
        pthread_mutex_lock(&s->mu);
        for (int w = 0; w < WAYS; w++)
            out->used += s->way[w] != NULL;
        out->hits += s->hits;
        out->misses += s->misses;
        out->evictions += s->evictions;
        pthread_mutex_unlock(&s->mu);
    }
}
