/* The storage floor of the write benchmarks: graphcerts's own store (src/store, the SQLite
 * backend with its group commit) driven directly by THREADS threads, with no HTTP, no JSON
 * bodies and no authentication. It makes the same store calls as a PATCH (read with secrets,
 * then update the changed columns at that version) or a POST (insert), on the seeded store,
 * for SECONDS, and prints the durable writes per second: the most the write scenarios could
 * reach if everything in front of the store cost nothing.
 * Usage: store_writes DB TENANT IDS_FILE patch|post SECONDS THREADS NONCE
 *   → prints "ops_per_s=<float> ops=<n> failures=<n> seconds=<float>" */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/util.h"
#include "schema/schema.h"
#include "store/store.h"

#define MAX_IDS 200000
#define MAX_THREADS 256
#define MAX_SECONDS 600.0

static gc_store *store;
static const gc_entity_type *type;
static const char *tenant;
static char **ids;
static size_t n_ids;
static bool post_mode;
static unsigned long nonce;
static json_t *post_template; /* POST: a seeded row (with secrets) whose values new rows copy */
static atomic_bool stop;
static atomic_ullong ops, failures;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One PATCH's store calls: the row with secrets, then a new keyName and lastModifiedDateTime at
 * the version read; when another thread changed the row in between, again, as the API does. */
static int one_patch(gc_arena *a, unsigned *seed, unsigned long n)
{
    gc_err err;
    const char *id = ids[(size_t)rand_r(seed) % n_ids];
    for (int attempt = 0; attempt < 5; attempt++) {
        gc_record cur;
        if (gc_store_get(store, a, type, tenant, id, GC_STORE_WITH_SECRETS, &cur, &err) != 0)
            return -1;
        json_t *next = gc_arena_json(a, json_deep_copy(cur.obj));
        char key[64], stamp[32];
        snprintf(key, sizeof key, "PFXEncryptionKey-store-%lu", n);
        gc_datetime_format(gc_now_ticks(), stamp);
        json_object_set_new(next, "keyName", json_string(key));
        json_object_set_new(next, "lastModifiedDateTime", json_string(stamp));
        if (gc_store_update(store, a, type, tenant, id, cur.version, cur.obj, next, NULL, &err) == 0)
            return 0;
        if (err.kind != GC_E_STALE)
            return -1;
    }
    return -1;
}

/* One POST's store call: a new row, with a thumbprint and id unique to this run, thread and
 * count, and the template row's other values. */
static int one_post(gc_arena *a, unsigned thread, unsigned long n)
{
    gc_err err;
    char thumb[48], id[160];
    snprintf(thumb, sizeof thumb, "%08lx%08x%024lx", nonce & 0xffffffffu, thread, n);
    const char *tid = json_string_value(json_object_get(post_template, "id"));
    size_t keep = strlen(tid) > 40 ? strlen(tid) - 40 : 0; /* "{uuid5 of the UPN}-" */
    snprintf(id, sizeof id, "%.*s%s", (int)keep, tid, thumb);
    json_t *obj = gc_arena_json(a, json_deep_copy(post_template));
    json_object_set_new(obj, "id", json_string(id));
    json_object_set_new(obj, "thumbprint", json_string(thumb));
    return gc_store_insert(store, a, type, tenant, obj, NULL, &err);
}

static void *worker(void *arg)
{
    unsigned thread = (unsigned)(uintptr_t)arg;
    unsigned seed = thread * 2654435761u + 1;
    for (unsigned long n = 0; !atomic_load(&stop); n++) {
        gc_arena *a = gc_arena_new();
        gc_arena *outer = gc_arena_json_scope(a); /* as the server runs a request */
        int rc = post_mode ? one_post(a, thread, n) : one_patch(a, &seed, n);
        gc_arena_json_scope(outer);
        gc_arena_free(a);
        atomic_fetch_add(rc == 0 ? &ops : &failures, 1);
    }
    return NULL;
}

static int read_ids(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    ids = calloc(MAX_IDS, sizeof *ids);
    char line[256];
    while (ids && n_ids < MAX_IDS && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0])
            ids[n_ids++] = strdup(line);
    }
    fclose(f);
    return n_ids > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 8 || (strcmp(argv[4], "patch") != 0 && strcmp(argv[4], "post") != 0)) {
        fprintf(stderr, "usage: store_writes DB TENANT IDS_FILE patch|post SECONDS THREADS NONCE\n");
        return 2;
    }
    tenant = argv[2];
    post_mode = strcmp(argv[4], "post") == 0;
    double seconds = atof(argv[5]);
    long threads = atol(argv[6]);
    nonce = strtoul(argv[7], NULL, 10);
    if (!(seconds > 0 && seconds <= MAX_SECONDS) || threads < 1 || threads > MAX_THREADS) {
        fprintf(stderr, "store_writes: SECONDS must be in (0, 600] and THREADS in [1, 256]\n");
        return 2;
    }
    if (read_ids(argv[3]) != 0) {
        fprintf(stderr, "store_writes: no ids in %s\n", argv[3]);
        return 1;
    }
    type = gc_schema_find_set("deviceManagement", "userPfxCertificates");
    char dsn[4200];
    snprintf(dsn, sizeof dsn, "sqlite:%s", argv[1]);
    gc_err err;
    if (!type || gc_store_open(dsn, &store, &err) != 0) {
        fprintf(stderr, "store_writes: cannot open the store: %s\n", type ? err.message : "no type");
        return 1;
    }
    gc_arena *a = gc_arena_new();
    gc_record tpl;
    if (gc_store_get(store, a, type, tenant, ids[0], GC_STORE_WITH_SECRETS, &tpl, &err) != 0) {
        fprintf(stderr, "store_writes: cannot read %s: %s\n", ids[0], err.message);
        return 1;
    }
    post_template = json_deep_copy(tpl.obj);
    gc_arena_free(a);

    pthread_t th[MAX_THREADS];
    double t0 = now_s();
    for (long i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i);
    struct timespec nap = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&nap, NULL);
    atomic_store(&stop, true);
    for (long i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    double elapsed = now_s() - t0;
    unsigned long long done = atomic_load(&ops), failed = atomic_load(&failures);
    printf("ops_per_s=%.1f ops=%llu failures=%llu seconds=%.3f\n", (double)done / elapsed, done,
           failed, elapsed);
    json_decref(post_template);
    gc_store_close(store);
    for (size_t i = 0; i < n_ids; i++)
        free(ids[i]);
    free(ids);
    return failed ? 1 : 0;
}
