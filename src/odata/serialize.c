/* Entity serialisation (see serialize.h). */
#include "odata/serialize.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <string.h>

const char *gc_odata_etag(gc_arena *a, int64_t version)
{
    return gc_arena_printf(a, "W/\"%" PRId64 "\"", version);
}

static bool selected(const gc_prop *p, const gc_prop *const *select, size_t n_select)
{
    if (n_select == 0 || (p->flags & GC_P_KEY))
        return true;
    for (size_t i = 0; i < n_select; i++)
        if (select[i] == p)
            return true;
    return false;
}

const char *gc_odata_select_suffix(gc_arena *a, const gc_prop *const *select, size_t n_select)
{
    if (n_select == 0)
        return "";
    size_t len = 3;
    for (size_t i = 0; i < n_select; i++)
        len += strlen(select[i]->name) + 1;
    char *s = gc_arena_alloc(a, len);
    size_t k = 0;
    s[k++] = '(';
    for (size_t i = 0; i < n_select; i++) {
        if (i)
            s[k++] = ',';
        size_t n = strlen(select[i]->name);
        memcpy(s + k, select[i]->name, n);
        k += n;
    }
    s[k++] = ')';
    s[k] = '\0';
    return s;
}

json_t *gc_odata_entity(gc_arena *a, const gc_entity_type *t, const json_t *rec, int64_t version,
                        const char *context, const gc_prop *const *select, size_t n_select)
{
    json_t *o = json_object();
    if (context)
        json_object_set_new(o, "@odata.context", json_string(context));
    json_object_set_new(o, "@odata.type", json_sprintf("#microsoft.graph.%s", t->name));
    for (size_t i = 0; i < t->n_props; i++) {
        const gc_prop *p = &t->props[i];
        if (!selected(p, select, n_select))
            continue;
        json_t *v;
        if (p->flags & GC_P_SECRET)
            v = json_loads(p->masked, JSON_DECODE_ANY, NULL);
        else if (p->flags & GC_P_VERSION)
            v = json_string(gc_odata_etag(a, version));
        else
            v = json_incref(json_object_get(rec, p->name));
        json_object_set_new(o, p->name, v ? v : json_null());
    }
    return o;
}
