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

/* The bits all members of a flags enum have between them. */
static long flags_mask(const gc_enum_type *e)
{
    long mask = 0;
    for (size_t i = 0; i < e->n_members; i++)
        mask |= e->members[i].value;
    return mask;
}

bool gc_enum_valid(const gc_enum_type *e, long value)
{
    if (!e->is_flags)
        return gc_enum_by_value(e, value) != NULL;
    return value >= 0 && (value & ~flags_mask(e)) == 0 && (value != 0 || gc_enum_by_value(e, 0));
}

int gc_enum_parse(const gc_enum_type *e, const char *s, size_t len, long *value)
{
    if (!e->is_flags) {
        const gc_enum_member *m = gc_enum_by_name(e, s, len);
        if (!m)
            return -1;
        *value = m->value;
        return 0;
    }
    long v = 0;
    for (size_t i = 0; i <= len;) {
        size_t end = i;
        while (end < len && s[end] != ',')
            end++;
        size_t a = i, b = end;
        while (a < b && s[a] == ' ')
            a++;
        while (b > a && s[b - 1] == ' ')
            b--;
        const gc_enum_member *m = gc_enum_by_name(e, s + a, b - a);
        if (!m)
            return -1;
        v |= m->value;
        i = end + 1;
    }
    *value = v;
    return 0;
}

const char *gc_enum_format(const gc_enum_type *e, long value, gc_arena *a)
{
    if (!gc_enum_valid(e, value))
        return NULL;
    const gc_enum_member *m = gc_enum_by_value(e, value);
    if (!e->is_flags || m)
        return m->name;
    size_t n = 0;
    for (size_t i = 0; i < e->n_members; i++)
        if (e->members[i].value && (value & e->members[i].value) == e->members[i].value)
            n += strlen(e->members[i].name) + 1;
    char *out = gc_arena_alloc(a, n + 1), *o = out;
    for (size_t i = 0; i < e->n_members; i++) {
        const gc_enum_member *x = &e->members[i];
        if (!x->value || (value & x->value) != x->value)
            continue;
        if (o != out)
            *o++ = ',';
        size_t k = strlen(x->name);
        memcpy(o, x->name, k);
        o += k;
    }
    *o = '\0';
    return out;
}
