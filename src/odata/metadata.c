/* $metadata (see metadata.h): walks gc_schema_types, gc_schema_complex and gc_schema_enums, keeps what the
 * requested version serves, and writes CSDL with every name XML-escaped. Nothing here knows a
 * particular entity type. */
#include "odata/metadata.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "schema/schema.h"
#include "schema/value.h"

#define NS "microsoft.graph"
#define METADATA_LIMIT (1u << 20)

/* Appends are sticky-failing: after the first failure the rest are no-ops, checked once. */
typedef struct xml_writer {
    gc_buf b;
} xml_writer;

static void put(xml_writer *w, const char *s)
{
    if (!w->b.overflow)
        gc_buf_append(&w->b, s, strlen(s));
}

/* Text escaped for an XML attribute value (double-quoted) or character data. */
static void put_escaped(xml_writer *w, const char *s)
{
    for (const char *p = s; *p && !w->b.overflow; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        default: break;
        }
        if (rep)
            put(w, rep);
        else
            gc_buf_append(&w->b, p, 1);
    }
}

/* ` Name="value"` with the value escaped; prefix is an optional literal before the value
 * (e.g. the namespace), suffix one after it. */
static void put_attr(xml_writer *w, const char *attr, const char *prefix, const char *value,
                     const char *suffix)
{
    put(w, " ");
    put(w, attr);
    put(w, "=\"");
    if (prefix)
        put_escaped(w, prefix);
    put_escaped(w, value);
    if (suffix)
        put_escaped(w, suffix);
    put(w, "\"");
}

static bool served(const gc_entity_type *t, unsigned version)
{
    return (t->versions & version) != 0;
}

static bool enum_used(const gc_enum_type *e, unsigned version)
{
    for (size_t i = 0; i < gc_schema_n_types; i++) {
        const gc_entity_type *t = gc_schema_types[i];
        if (!served(t, version))
            continue;
        for (size_t j = 0; j < t->n_props; j++)
            if (t->props[j].type == GC_EDM_ENUM && t->props[j].enum_type == e)
                return true;
    }
    return false;
}

static void put_enum(xml_writer *w, const gc_enum_type *e)
{
    put(w, "      <EnumType");
    put_attr(w, "Name", NULL, e->name, NULL);
    if (e->is_flags)
        put(w, " IsFlags=\"true\"");
    put(w, ">\n");
    for (size_t i = 0; i < e->n_members; i++) {
        char value[16];
        snprintf(value, sizeof value, "%d", e->members[i].value);
        put(w, "        <Member");
        put_attr(w, "Name", NULL, e->members[i].name, NULL);
        put_attr(w, "Value", NULL, value, NULL);
        put(w, " />\n");
    }
    put(w, "      </EnumType>\n");
}

static void put_key(xml_writer *w, const char *key_name)
{
    put(w, "        <Key>\n          <PropertyRef");
    put_attr(w, "Name", NULL, key_name, NULL);
    put(w, " />\n        </Key>\n");
}

static void put_property(xml_writer *w, const gc_prop *p)
{
    bool many = p->flags & GC_P_COLLECTION;
    bool qualified = p->type == GC_EDM_ENUM || p->type == GC_EDM_COMPLEX;
    assert(p->type != GC_EDM_ENUM || p->enum_type != NULL);
    assert(p->type != GC_EDM_COMPLEX || p->complex != NULL);
    put(w, "        <Property");
    put_attr(w, "Name", NULL, p->name, NULL);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "%s%s", many ? "Collection(" : "", qualified ? NS "." : "");
    put_attr(w, "Type", prefix, gc_value_edm_name(p), many ? ")" : NULL);
    if (!(p->flags & GC_P_NULLABLE))
        put(w, " Nullable=\"false\"");
    put(w, " />\n");
}

/* Whether complex type c is used, directly or inside another complex type, by a served type. */
static bool complex_in(const gc_prop *props, size_t n, const gc_complex_type *c, int depth)
{
    for (size_t i = 0; i < n && depth < 8; i++)
        if (props[i].type == GC_EDM_COMPLEX &&
            (props[i].complex == c ||
             complex_in(props[i].complex->props, props[i].complex->n_props, c, depth + 1)))
            return true;
    return false;
}

static bool complex_used(const gc_complex_type *c, unsigned version)
{
    for (size_t i = 0; i < gc_schema_n_types; i++) {
        const gc_entity_type *t = gc_schema_types[i];
        if ((t->versions & version) && complex_in(t->props, t->n_props, c, 0))
            return true;
    }
    return false;
}

static void put_complex_type(xml_writer *w, const gc_complex_type *c)
{
    put(w, "      <ComplexType");
    put_attr(w, "Name", NULL, c->name, NULL);
    put(w, ">\n");
    for (size_t i = 0; i < c->n_props; i++)
        put_property(w, &c->props[i]);
    put(w, "      </ComplexType>\n");
}

static void put_entity_type(xml_writer *w, const gc_entity_type *t)
{
    put(w, "      <EntityType");
    put_attr(w, "Name", NULL, t->name, NULL);
    put(w, ">\n");
    put_key(w, gc_schema_key(t)->name);
    for (size_t i = 0; i < t->n_props; i++)
        put_property(w, &t->props[i]);
    put(w, "      </EntityType>\n");
}

/* The distinct containers of the served types, in order of first appearance. */
static size_t served_containers(unsigned version, const char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < gc_schema_n_types; i++) {
        const gc_entity_type *t = gc_schema_types[i];
        if (!served(t, version) || !t->container)
            continue;
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++)
            seen = strcmp(out[j], t->container) == 0;
        if (!seen)
            out[n++] = t->container;
    }
    return n;
}

/* A singleton's type: a key and one containment navigation property per set inside it. */
static void put_container_type(xml_writer *w, const char *container, unsigned version)
{
    put(w, "      <EntityType");
    put_attr(w, "Name", NULL, container, NULL);
    put(w, ">\n");
    put_key(w, "id");
    put(w, "        <Property Name=\"id\" Type=\"Edm.String\" Nullable=\"false\" />\n");
    for (size_t i = 0; i < gc_schema_n_types; i++) {
        const gc_entity_type *t = gc_schema_types[i];
        if (!served(t, version) || !t->container || strcmp(t->container, container) != 0)
            continue;
        put(w, "        <NavigationProperty");
        put_attr(w, "Name", NULL, t->set_name, NULL);
        put_attr(w, "Type", "Collection(" NS ".", t->name, ")");
        put(w, " ContainsTarget=\"true\" />\n");
    }
    put(w, "      </EntityType>\n");
}

char *gc_odata_metadata_xml(gc_arena *a, unsigned version, size_t *len)
{
    assert(version == GC_V_BETA || version == GC_V_V1);
    char *result = NULL;
    xml_writer w = {0};
    gc_buf_init(&w.b, METADATA_LIMIT);
    const char **containers = gc_arena_alloc(a, (gc_schema_n_types + 1) * sizeof *containers);
    size_t n_containers = served_containers(version, containers);

    put(&w, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
            "<edmx:Edmx Version=\"4.0\" xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\">\n"
            "  <edmx:DataServices>\n"
            "    <Schema Namespace=\"" NS "\" xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">\n");

    for (size_t i = 0; i < gc_schema_n_enums; i++)
        if (enum_used(gc_schema_enums[i], version))
            put_enum(&w, gc_schema_enums[i]);

    for (size_t i = 0; i < gc_schema_n_complex; i++)
        if (complex_used(gc_schema_complex[i], version))
            put_complex_type(&w, gc_schema_complex[i]);

    for (size_t i = 0; i < gc_schema_n_types; i++)
        if (served(gc_schema_types[i], version))
            put_entity_type(&w, gc_schema_types[i]);

    for (size_t i = 0; i < n_containers; i++)
        put_container_type(&w, containers[i], version);

    put(&w, "      <EntityContainer Name=\"GraphService\">\n");
    for (size_t i = 0; i < n_containers; i++) {
        put(&w, "        <Singleton");
        put_attr(&w, "Name", NULL, containers[i], NULL);
        put_attr(&w, "Type", NS ".", containers[i], NULL);
        put(&w, " />\n");
    }
    for (size_t i = 0; i < gc_schema_n_types; i++) {
        const gc_entity_type *t = gc_schema_types[i];
        if (!served(t, version) || t->container)
            continue;
        put(&w, "        <EntitySet");
        put_attr(&w, "Name", NULL, t->set_name, NULL);
        put_attr(&w, "EntityType", NS ".", t->name, NULL);
        put(&w, " />\n");
    }
    put(&w, "      </EntityContainer>\n"
            "    </Schema>\n"
            "  </edmx:DataServices>\n"
            "</edmx:Edmx>\n");
    if (w.b.overflow)
        goto done;

    result = gc_arena_strndup(a, w.b.data, w.b.len);
    if (len)
        *len = w.b.len;
done:
    gc_buf_free(&w.b);
    return result;
}
