/* Cache of verified tokens (see auth_int.h): a 2-way set-associative table keyed by the SHA-256
 * of the token, least recently used way replaced, one mutex per set (sets are cache-line
 * aligned, so threads on different sets never share a line). An entry owns a copy of the
 * principal; a hit copies it out under the set's lock, so an entry is only ever freed by the
 * thread that unlinked it. Keys are compared in full (32 bytes), in constant time. */
#include "auth/auth_int.h"

#include <openssl/crypto.h>
#include <openssl/err.h>

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WAYS 2
#define LINE 64

typedef struct cache_entry {
    unsigned char key[32];
    gc_auth_times times;
    char tenant[37];
    size_t n_perms;
    size_t names_len;  /* bytes in names */
    char names[];      /* n_perms NUL-terminated names, back to back */
} cache_entry;

typedef struct cache_set {
    _Alignas(LINE) pthread_mutex_t mu;
    cache_entry *way[WAYS];
    unsigned victim; /* the way to replace when both are full */
    uint64_t hits, misses, evictions;
} cache_set;

struct gc_auth_cache {
    EVP_MD *sha256; /* fetched once: no per-call lookup in the provider store */
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
    EVP_MD_free(c->sha256);
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
    c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!c->sha256)
        goto done;
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
    if (!result)
        ERR_clear_error();
    gc_auth_cache_free(c);
    return result;
}

int gc_auth_cache_key(const gc_auth_cache *c, const char *tok, size_t len, unsigned char key[32])
{
    unsigned int key_len = 0;
    if (EVP_Digest(tok, len, key, &key_len, c->sha256, NULL) != 1 || key_len != 32) {
        ERR_clear_error();
        return -1;
    }
    return 0;
}

static cache_set *set_of(const gc_auth_cache *c, const unsigned char key[32])
{
    uint64_t h;
    memcpy(&h, key, sizeof h);
    return &c->sets[h & (c->n_sets - 1)];
}

static int find_way(const cache_set *s, const unsigned char key[32])
{
    for (int w = 0; w < WAYS; w++)
        if (s->way[w] && CRYPTO_memcmp(s->way[w]->key, key, 32) == 0)
            return w;
    return -1;
}

bool gc_auth_cache_get(gc_auth_cache *c, const unsigned char key[32], gc_arena *a,
                       gc_principal *out, gc_auth_times *times)
{
    char names[GC_AUTH_CACHE_MAX_NAMES];
    size_t n_perms = 0, names_len = 0;
    cache_set *s = set_of(c, key);
    pthread_mutex_lock(&s->mu);
    int w = find_way(s, key);
    if (w < 0) {
        s->misses++;
        pthread_mutex_unlock(&s->mu);
        return false;
    }
    const cache_entry *e = s->way[w];
    *times = e->times;
    memcpy(out->tenant, e->tenant, sizeof out->tenant);
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

void gc_auth_cache_put(gc_auth_cache *c, const unsigned char key[32], const gc_principal *p,
                       const gc_auth_times *times)
{
    size_t names_len = 0;
    for (size_t i = 0; i < p->n_perms; i++) {
        names_len += strlen(p->perms[i]) + 1;
        if (names_len > GC_AUTH_CACHE_MAX_NAMES)
            return;
    }
    cache_entry *e = malloc(sizeof *e + names_len);
    if (!e)
        return;
    memcpy(e->key, key, 32);
    e->times = *times;
    memcpy(e->tenant, p->tenant, sizeof e->tenant);
    e->n_perms = p->n_perms;
    e->names_len = names_len;
    char *q = e->names;
    for (size_t i = 0; i < p->n_perms; i++) {
        size_t n = strlen(p->perms[i]) + 1;
        memcpy(q, p->perms[i], n);
        q += n;
    }

    cache_entry *old = NULL;
    cache_set *s = set_of(c, key);
    pthread_mutex_lock(&s->mu);
    int w = find_way(s, key); /* another thread may have cached the same token meanwhile */
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
