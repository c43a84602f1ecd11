/* Entity serialisation (see serialize.h). */
#include "odata/serialize.h"

#include <inttypes.h>
#include <jansson.h>

const char *gc_odata_etag(gc_arena *a, int64_t version)
{
    return gc_arena_printf(a, "W/\"%" PRId64 "\"", version);
}

json_t *gc_odata_entity(gc_arena *a, const gc_entity_type *t, const json_t *rec, int64_t version,
                        const char *context)
{
    json_t *o = json_object();
    if (context)
        json_object_set_new(o, "@odata.context", json_string(context));
    json_object_set_new(o, "@odata.type", json_sprintf("#microsoft.graph.%s", t->name));
    for (size_t i = 0; i < t->n_props; i++) {
        const gc_prop *p = &t->props[i];
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
