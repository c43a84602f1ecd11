/* Lookups over the schema tables. */
#include "schema/schema.h"

#include "core/codec.h"
#include "core/guid.h"

#include <string.h>
#include <strings.h>

const gc_entity_type *gc_schema_find_set(const char *container, const char *set_name)
{
    for (size_t i = 0; i < gc_schema_n_types; i++) {
        const gc_entity_type *t = gc_schema_types[i];
        bool same_container = container ? (t->container && strcasecmp(t->container, container) == 0)
                                        : t->container == NULL;
        if (same_container && strcasecmp(t->set_name, set_name) == 0)
            return t;
    }
    return NULL;
}

int gc_schema_user_id(const char *tenant, const char *upn, size_t len, bool compact, gc_arena *a,
                      char **out, gc_err *err)
{
    char *lower = gc_arena_strndup(a, upn, len);
    gc_str_lower(lower);
    char g[GC_GUID_LEN + 1];
    if (gc_guid_v5(tenant, lower, len, g) < 0)
        return gc_err_set(err, GC_E_INTERNAL, "", "The tenant id is not a GUID.");
    if (!compact) {
        *out = gc_arena_strdup(a, g);
        return 0;
    }
    char *d = gc_arena_alloc(a, 33);
    size_t k = 0;
    for (const char *p = g; *p; p++)
        if (*p != '-')
            d[k++] = *p;
    *out = d;
    return 0;
}

const gc_prop *gc_schema_find_prop(const gc_entity_type *t, const char *name)
{
    for (size_t i = 0; i < t->n_props; i++)
        if (strcmp(t->props[i].name, name) == 0)
            return &t->props[i];
    return NULL;
}

const gc_prop *gc_schema_key(const gc_entity_type *t)
{
    return &t->props[0];
}

bool gc_schema_is_json(const gc_prop *p)
{
    return p->type == GC_EDM_COMPLEX || (p->flags & GC_P_COLLECTION);
}

const gc_enum_member *gc_enum_by_name(const gc_enum_type *e, const char *name, size_t len)
{
    for (size_t i = 0; i < e->n_members; i++)
        if (strlen(e->members[i].name) == len && strncasecmp(e->members[i].name, name, len) == 0)
            return &e->members[i];
    return NULL;
}

const gc_enum_member *gc_enum_by_value(const gc_enum_type *e, long value)
{
    for (size_t i = 0; i < e->n_members; i++)
        if (e->members[i].value == value)
            return &e->members[i];
    return NULL;
}

const char *gc_schema_edm_name(const gc_prop *p)
{
    switch (p->type) {
    case GC_EDM_STRING: return "Edm.String";
    case GC_EDM_INT32: return "Edm.Int32";
    case GC_EDM_BOOLEAN: return "Edm.Boolean";
    case GC_EDM_GUID: return "Edm.Guid";
    case GC_EDM_DATETIME: return "Edm.DateTimeOffset";
    case GC_EDM_BINARY: return "Edm.Binary";
    case GC_EDM_ENUM: return p->enum_type->name;
    case GC_EDM_COMPLEX: return p->complex->name;
    }
    return "?";
}
