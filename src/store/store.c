/* Backend selection and the thin dispatch wrappers of store.h. */
#include "store/store.h"

#include <jansson.h>
#include <string.h>

/* Runs call, recording its latency under op. */
#define TIMED(s, op, call)                                                                          \
    do {                                                                                           \
        uint64_t t0_ = gc_metrics_now_ns();                                                        \
        int rc_ = (call);                                                                          \
        gc_hist_observe(&(s)->latency[op], gc_metrics_now_ns() - t0_);                            \
        return rc_;                                                                                \
    } while (0)

static const gc_store_backend *const backends[] = {&gc_store_sqlite, &gc_store_postgres};
/* Other spellings of a scheme (libpq takes both). */
static const struct {
    const char *alias, *scheme;
} aliases[] = {{"postgres", "postgresql"}};

static int store_open(const char *dsn, bool read_only, gc_store **out, gc_err *err)
{
    const char *colon = strchr(dsn, ':');
    if (!colon)
        return gc_err_set(err, GC_E_BAD_REQUEST, "db",
                          "The database must be given as SCHEME:LOCATION, e.g. sqlite:./var/graphcerts.db "
                          "or postgresql://user@host:5432/graphcerts.");
    size_t n = (size_t)(colon - dsn);
    const char *scheme = dsn;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strlen(aliases[i].alias) == n && strncmp(dsn, aliases[i].alias, n) == 0) {
            scheme = aliases[i].scheme;
            n = strlen(scheme);
        }
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strlen(backends[i]->scheme) == n && strncmp(scheme, backends[i]->scheme, n) == 0)
            return backends[i]->open(colon + 1, read_only, out, err);
    return gc_err_set(err, GC_E_BAD_REQUEST, "db",
                      "Unknown database scheme '%.*s' (supported: sqlite, postgresql).",
                      (int)(n > 32 ? 32 : n), dsn);
}

int gc_store_open(const char *dsn, gc_store **out, gc_err *err)
{
    return store_open(dsn, false, out, err);
}

int gc_store_open_read_only(const char *dsn, gc_store **out, gc_err *err)
{
    return store_open(dsn, true, out, err);
}

json_t *gc_record_value(const gc_entity_type *t, const gc_record *r, const gc_prop *p)
{
    if (r->vals)
        return json_array_get(r->vals, (size_t)(p - t->props));
    return json_object_get(r->obj, p->name);
}

void gc_store_close(gc_store *s)
{
    if (s)
        s->be->close(s);
}

int gc_store_get(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant,
                 const char *id, unsigned flags, gc_record *out, gc_err *err)
{
    TIMED(s, GC_STORE_OP_GET, s->be->get(s, a, t, tenant, id, flags, out, err));
}

int gc_store_list(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant,
                  const gc_store_query *q, gc_record **out, size_t *n_out, gc_err *err)
{
    TIMED(s, GC_STORE_OP_LIST, s->be->list(s, a, t, tenant, q, out, n_out, err));
}

int gc_store_count(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant,
                   const gc_store_query *q, int64_t *out, gc_err *err)
{
    TIMED(s, GC_STORE_OP_COUNT, s->be->count(s, a, t, tenant, q, out, err));
}

int gc_store_insert(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant,
                    const struct json_t *obj, int64_t *version_out, gc_err *err)
{
    return gc_store_insert_with(s, a, t, tenant, obj, NULL, NULL, version_out, err);
}

int gc_store_update(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant,
                    const char *id, int64_t expect_version, const struct json_t *old,
                    const struct json_t *obj, int64_t *version_out, gc_err *err)
{
    return gc_store_update_with(s, a, t, tenant, id, expect_version, old, obj, NULL, NULL,
                                version_out, err);
}

int gc_store_remove(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant,
                    const char *id, int64_t expect_version, gc_err *err)
{
    return gc_store_remove_with(s, a, t, tenant, id, expect_version, NULL, err);
}

int gc_store_insert_with(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant,
                         const struct json_t *obj, const gc_value_memo *memo,
                         const gc_store_row *with, int64_t *version_out, gc_err *err)
{
    TIMED(s, GC_STORE_OP_CREATE, s->be->insert(s, a, t, tenant, obj, memo, with, version_out, err));
}

int gc_store_update_with(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant,
                         const char *id, int64_t expect_version, const struct json_t *old,
                         const struct json_t *obj, const gc_value_memo *memo,
                         const gc_store_row *with, int64_t *version_out, gc_err *err)
{
    TIMED(s, GC_STORE_OP_UPDATE, s->be->update(s, a, t, tenant, id, expect_version, old, obj, memo,
                                               with, version_out, err));
}

int gc_store_remove_with(gc_store *s, gc_arena *a, const gc_entity_type *t, const char *tenant,
                         const char *id, int64_t expect_version, const gc_store_row *with,
                         gc_err *err)
{
    TIMED(s, GC_STORE_OP_DELETE, s->be->remove(s, a, t, tenant, id, expect_version, with, err));
}

int gc_store_ping(gc_store *s, gc_err *err)
{
    return s->be->ping(s, err);
}

int gc_store_count_expiring(gc_store *s, gc_arena *a, const gc_entity_type *t, int64_t from_ticks,
                            const int64_t *until_ticks, size_t n_windows, gc_store_expiring **out,
                            size_t *n_out, gc_err *err)
{
    *out = NULL;
    *n_out = 0;
    if (!t->expiry)
        return 0;
    if (n_windows == 0 || n_windows > GC_STORE_MAX_WINDOWS)
        return gc_err_set(err, GC_E_INTERNAL, "", "Between 1 and %d expiry windows, not %zu.",
                          GC_STORE_MAX_WINDOWS, n_windows);
    return s->be->count_expiring(s, a, t, from_ticks, until_ticks, n_windows, out, n_out, err);
}

const gc_hist *gc_store_latency(const gc_store *s, gc_store_op op)
{
    return &s->latency[op];
}

const char *gc_store_op_name(gc_store_op op)
{
    static const char *const names[GC_STORE_OP__COUNT] = {"get", "list", "count",
                                                         "create", "update", "delete"};
    return names[op];
}
