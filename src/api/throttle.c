/* Throttling counters (see throttle.h). Keys are a tenant ("T" + tenant) or an application in a
 * tenant ("A" + tenant + NUL + app); a tenant and all its applications live in one shard (picked
 * by a seeded hash of the tenant), so one request takes one lock. A key counts requests and
 * writes in a ring of SUBWINDOWS + 1 sub-windows: the current one and the SUBWINDOWS before it,
 * which together cover every instant of the last window. Each shard holds at most cap keys in
 * a hash table and an LRU list; a new key replaces the least recently used one. */
#include "api/throttle.h"

#include <assert.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"

#define SLOTS (GC_THROTTLE_SUBWINDOWS + 1)
#define KEY_MAX (1 + 36 + 1 + GC_THROTTLE_MAX_APP)
#define LINE 64
#define NS 1000000000LL

enum { REQUESTS, WRITES, N_KINDS };

const gc_throttle_limits gc_throttle_intune = {.window_s = 20, .app_writes = 100,
                                               .tenant_writes = 200, .app_requests = 1000,
                                               .tenant_requests = 2000};

typedef struct entry {
    struct entry *hnext;         /* hash chain */
    struct entry *newer, *older; /* LRU list */
    uint64_t hash;
    int64_t sub;                 /* the newest sub-window counted into */
    uint32_t sum[N_KINDS];       /* counts of sub-windows sub - SUBWINDOWS .. sub */
    uint32_t count[N_KINDS][SLOTS]; /* sub-window j at j % SLOTS */
    size_t key_len;
    char key[KEY_MAX];
} entry;

typedef struct shard {
    _Alignas(LINE) pthread_mutex_t mu;
    entry **heads;          /* n_heads chains */
    entry *newest, *oldest; /* LRU list */
    size_t n;               /* keys held */
    uint64_t admitted, refused, evicted_live;
} shard;

struct gc_throttle {
    gc_throttle_limits lim;
    int64_t sub_ns;   /* a sub-window's length */
    uint64_t seed;
    size_t n_shards;  /* a power of two */
    size_t cap;       /* keys per shard */
    size_t n_heads;   /* chains per shard, a power of two */
    gc_throttle_clock clock;
    void *clock_ctx;
    shard *shards;
};

static int64_t monotonic_ns(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static int check_limit(const char *name, uint32_t v, gc_err *err)
{
    if (v < 1 || v > GC_THROTTLE_MAX_LIMIT)
        return gc_err_set(err, GC_E_BAD_REQUEST, name, "The throttling limit %s must be 1 to %d, not %u.",
                          name, GC_THROTTLE_MAX_LIMIT, (unsigned)v);
    return 0;
}

void gc_throttle_free(gc_throttle *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->shards && i < t->n_shards; i++) {
        shard *s = &t->shards[i];
        for (entry *e = s->newest, *next; e; e = next) {
            next = e->older;
            free(e);
        }
        free(s->heads);
        pthread_mutex_destroy(&s->mu);
    }
    free(t->shards);
    free(t);
}

int gc_throttle_new(const gc_throttle_config *cfg, gc_throttle **out, gc_err *err)
{
    int result = -1;
    gc_throttle *t = NULL;
    *out = NULL;
    const gc_throttle_limits *l = &cfg->limits;
    if (l->window_s < 1 || l->window_s > GC_THROTTLE_MAX_WINDOW) {
        gc_err_set(err, GC_E_BAD_REQUEST, "window", "The throttling window must be 1 to %d seconds, not %u.",
                   GC_THROTTLE_MAX_WINDOW, l->window_s);
        goto done;
    }
    if (check_limit("app writes", l->app_writes, err) < 0 ||
        check_limit("tenant writes", l->tenant_writes, err) < 0 ||
        check_limit("app requests", l->app_requests, err) < 0 ||
        check_limit("tenant requests", l->tenant_requests, err) < 0)
        goto done;
    size_t keys = cfg->max_keys ? cfg->max_keys : GC_THROTTLE_DEFAULT_KEYS;
    if (keys < 2 || keys > GC_THROTTLE_MAX_KEYS) {
        gc_err_set(err, GC_E_BAD_REQUEST, "keys", "The throttling key cap must be 2 to %d, not %zu.",
                   GC_THROTTLE_MAX_KEYS, keys);
        goto done;
    }
    t = calloc(1, sizeof *t);
    if (!t)
        goto oom;
    t->lim = *l;
    t->sub_ns = (int64_t)l->window_s * (NS / GC_THROTTLE_SUBWINDOWS);
    gc_random_bytes((unsigned char *)&t->seed, sizeof t->seed);
    t->clock = cfg->clock ? cfg->clock : monotonic_ns;
    t->clock_ctx = cfg->clock_ctx;
    /* every shard must hold a tenant and one of its applications */
    size_t want = cfg->shards ? cfg->shards : 64;
    t->n_shards = 1;
    while (t->n_shards * 2 <= want && t->n_shards * 4 <= keys)
        t->n_shards *= 2;
    t->cap = (keys + t->n_shards - 1) / t->n_shards;
    t->n_heads = 1;
    while (t->n_heads < t->cap)
        t->n_heads *= 2;
    t->shards = aligned_alloc(LINE, t->n_shards * sizeof *t->shards); /* sizeof: a multiple of LINE */
    if (!t->shards)
        goto oom;
    memset(t->shards, 0, t->n_shards * sizeof *t->shards);
    for (size_t i = 0; i < t->n_shards; i++) {
        shard *s = &t->shards[i];
        s->heads = calloc(t->n_heads, sizeof *s->heads);
        if (!s->heads || pthread_mutex_init(&s->mu, NULL) != 0) {
            free(s->heads);
            t->n_shards = i; /* only these are freed */
            goto oom;
        }
    }
    *out = t;
    t = NULL;
    result = 0;
    goto done;
oom:
    gc_err_set(err, GC_E_INTERNAL, "", "Out of memory for the throttling counters.");
done:
    gc_throttle_free(t);
    return result;
}

/* ---- keys ---- */

static size_t make_key(char out[KEY_MAX], const char *tenant, const char *app)
{
    size_t tn = strnlen(tenant, 36);
    out[0] = app ? 'A' : 'T';
    memcpy(out + 1, tenant, tn);
    size_t n = 1 + tn;
    if (app) {
        size_t an = strnlen(app, GC_THROTTLE_MAX_APP);
        out[n++] = '\0';
        memcpy(out + n, app, an);
        n += an;
    }
    return n;
}

static void lru_unlink(shard *s, entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        s->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        s->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void lru_push(shard *s, entry *e)
{
    e->older = s->newest;
    e->newer = NULL;
    if (s->newest)
        s->newest->newer = e;
    s->newest = e;
    if (!s->oldest)
        s->oldest = e;
}

static void chain_unlink(const gc_throttle *t, shard *s, entry *e)
{
    entry **p = &s->heads[e->hash & (t->n_heads - 1)];
    while (*p != e)
        p = &(*p)->hnext;
    *p = e->hnext;
}

/* The ring slot of sub-window j (j < 0 before the clock's first window: never counted). */
static size_t slot_of(int64_t j)
{
    return (size_t)(((j % SLOTS) + SLOTS) % SLOTS);
}

/* The sub-windows up to cur that passed since e was last counted into are emptied. */
static void advance(entry *e, int64_t cur)
{
    if (cur <= e->sub)
        return;
    if (cur - e->sub >= SLOTS) {
        memset(e->count, 0, sizeof e->count);
        memset(e->sum, 0, sizeof e->sum);
    } else {
        for (int64_t j = e->sub + 1; j <= cur; j++) {
            size_t slot = slot_of(j);
            for (int k = 0; k < N_KINDS; k++) {
                e->sum[k] -= e->count[k][slot];
                e->count[k][slot] = 0;
            }
        }
    }
    e->sub = cur;
}

/* The key's entry, made (or taken over from the least recently used key) when missing; moved
 * to the front of the LRU list. NULL only when out of memory. A shard holds at least 2 keys, so
 * the entry of the tenant, found first and moved to the front, is never the one taken over for
 * its application. */
static entry *find_or_add(gc_throttle *t, shard *s, const char *key, size_t len, int64_t cur)
{
    uint64_t h = gc_hash64(t->seed, key, len);
    entry *e = s->heads[h & (t->n_heads - 1)];
    while (e && !(e->hash == h && e->key_len == len && memcmp(e->key, key, len) == 0))
        e = e->hnext;
    if (e) {
        lru_unlink(s, e);
        lru_push(s, e);
        return e;
    }
    if (s->n < t->cap) {
        e = malloc(sizeof *e);
        if (!e)
            return NULL;
        s->n++;
    } else {
        e = s->oldest;
        if (cur - e->sub <= GC_THROTTLE_SUBWINDOWS && (e->sum[REQUESTS] || e->sum[WRITES]))
            s->evicted_live++;
        lru_unlink(s, e);
        chain_unlink(t, s, e);
    }
    memset(e, 0, offsetof(entry, key));
    e->hash = h;
    e->sub = cur;
    e->key_len = len;
    memcpy(e->key, key, len);
    entry **head = &s->heads[h & (t->n_heads - 1)];
    e->hnext = *head;
    *head = e;
    lru_push(s, e);
    return e;
}

/* ---- admission ---- */

typedef struct limit_ref {
    entry *e;
    int kind;
    uint32_t max;
    bool tenant;      /* a tenant's limit, not an application's */
} limit_ref;

/* Nanoseconds from now until the counts of r's key admit one more request, nothing else being
 * counted meanwhile: the oldest sub-windows leave the window one by one. */
static int64_t wait_ns(const gc_throttle *t, const limit_ref *r, int64_t cur, int64_t now)
{
    uint32_t sum = r->e->sum[r->kind];
    int64_t d = 0;
    while (sum >= r->max && d < SLOTS) {
        sum -= r->e->count[r->kind][slot_of(cur - GC_THROTTLE_SUBWINDOWS + d)];
        d++;
    }
    return (cur + d) * t->sub_ns - now;
}

static void refuse(gc_err *err, const gc_throttle *t, const limit_ref *r, unsigned secs)
{
    static const char *const kind_name[N_KINDS] = {"requests", "writes (POST, PATCH, PUT, DELETE)"};
    gc_err_set(err, GC_E_TOO_MANY, "",
               "Too many requests: %s has reached its limit of %u %s per %u seconds%s. "
               "Retry after %u second%s.",
               r->tenant ? "this tenant" : "this application", (unsigned)r->max,
               kind_name[r->kind], t->lim.window_s,
               r->tenant ? " (all applications together)" : " in this tenant", secs,
               secs == 1 ? "" : "s");
}

int gc_throttle_admit(gc_throttle *t, const char *tenant, const char *app, bool write,
                      unsigned *retry_after, gc_err *err)
{
    assert(t && tenant && retry_after);
    int result = -1;
    char tkey[KEY_MAX], akey[KEY_MAX];
    size_t tlen = make_key(tkey, tenant, NULL);
    size_t alen = make_key(akey, tenant, app ? app : "");
    shard *s = &t->shards[gc_hash64(t->seed, tkey, tlen) & (t->n_shards - 1)];
    *retry_after = 0;

    pthread_mutex_lock(&s->mu);
    int64_t now = t->clock(t->clock_ctx);
    if (now < 0)
        now = 0;
    int64_t cur = now / t->sub_ns;
    entry *te = find_or_add(t, s, tkey, tlen, cur);
    entry *ae = te ? find_or_add(t, s, akey, alen, cur) : NULL;
    if (!ae) {
        /* out of memory: admitted uncounted, rather than refusing every tenant */
        s->admitted++;
        result = 0;
        goto unlock;
    }
    if (cur < te->sub) /* another thread's later clock reading came first */
        cur = te->sub;
    if (cur < ae->sub)
        cur = ae->sub;
    advance(te, cur);
    advance(ae, cur);
    limit_ref refs[4] = {
        {ae, REQUESTS, t->lim.app_requests, false},
        {te, REQUESTS, t->lim.tenant_requests, true},
        {ae, WRITES, t->lim.app_writes, false},
        {te, WRITES, t->lim.tenant_writes, true},
    };
    size_t n_refs = write ? 4 : 2;
    int64_t longest = 0;
    const limit_ref *reached = NULL;
    for (size_t i = 0; i < n_refs; i++) {
        if (refs[i].e->sum[refs[i].kind] < refs[i].max)
            continue;
        int64_t w = wait_ns(t, &refs[i], cur, now);
        if (!reached || w > longest) {
            longest = w;
            reached = &refs[i];
        }
    }
    if (reached) {
        s->refused++;
        int64_t secs = (longest + NS - 1) / NS;
        *retry_after = secs < 1 ? 1u : (unsigned)secs;
        refuse(err, t, reached, *retry_after);
        goto unlock;
    }
    size_t slot = slot_of(cur);
    for (size_t i = 0; i < n_refs; i++) {
        refs[i].e->sum[refs[i].kind]++;
        refs[i].e->count[refs[i].kind][slot]++;
    }
    s->admitted++;
    result = 0;
unlock:
    pthread_mutex_unlock(&s->mu);
    return result;
}

void gc_throttle_get_stats(gc_throttle *t, gc_throttle_stats *out)
{
    memset(out, 0, sizeof *out);
    out->max_keys = t->n_shards * t->cap;
    for (size_t i = 0; i < t->n_shards; i++) {
        shard *s = &t->shards[i];
        pthread_mutex_lock(&s->mu);
        out->keys += s->n;
        out->admitted += s->admitted;
        out->refused += s->refused;
        out->evicted_live += s->evicted_live;
        pthread_mutex_unlock(&s->mu);
    }
}
