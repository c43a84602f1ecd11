/* Validation and canonicalisation of client JSON against the schema tables (see value.h). */
#include "odata/value.h"

#include <jansson.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

/* Nesting depth of a JSON text, counted outside strings; stops early past the limit. */
static int json_depth_ok(const unsigned char *p, size_t n)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > GC_JSON_MAX_DEPTH)
                return 0;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 1;
}

int gc_odata_parse_body(gc_arena *a, const unsigned char *data, size_t len, json_t **out,
                        gc_err *err)
{
    if (!data || len == 0)
        return gc_err_set(err, GC_E_BAD_REQUEST, "", "The request body is empty; a JSON object is required.");
    if (!json_depth_ok(data, len))
        return gc_err_set(err, GC_E_BAD_REQUEST, "",
                          "The request body is nested more than %d levels deep.", GC_JSON_MAX_DEPTH);
    json_error_t je;
    json_t *j = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        /* jansson's text names the position and the problem but quotes no input bytes beyond
         * a token; keep only the position to be safe with secrets. */
        if (strstr(je.text, "duplicate object key"))
            return gc_err_set(err, GC_E_BAD_REQUEST, "",
                              "The request body is not valid JSON: a property appears twice (line %d, column %d).",
                              je.line, je.column);
        return gc_err_set(err, GC_E_BAD_REQUEST, "",
                          "The request body is not valid JSON (line %d, column %d).", je.line, je.column);
    }
    gc_arena_json(a, j);
    if (!json_is_object(j))
        return gc_err_set(err, GC_E_BAD_REQUEST, "", "The request body must be a JSON object.");
    *out = j;
    return 0;
}

/* Id-forming values compare as the id does: strings case-insensitively. */
static bool same_id_part(const json_t *a, const json_t *b)
{
    if (json_is_string(a) && json_is_string(b))
        return strcasecmp(json_string_value(a), json_string_value(b)) == 0;
    return json_equal((json_t *)a, (json_t *)b);
}

/* "#microsoft.graph.T", "microsoft.graph.T" or the alias, compared case-insensitively. */
static bool type_matches(const gc_entity_type *t, const char *s)
{
    if (*s == '#')
        s++;
    if (strncasecmp(s, "microsoft.graph.", 16) == 0 && strcasecmp(s + 16, t->name) == 0)
        return true;
    return t->type_alias && strcasecmp(s, t->type_alias) == 0;
}

int gc_odata_apply_body(const gc_entity_type *t, const json_t *body, json_t *rec, bool create,
                        const char *url_id, gc_value_memo *memo, gc_arena *a, gc_err *err)
{
    const char *key;
    json_t *in;
    json_object_foreach((json_t *)body, key, in) {
        if (strcmp(key, "@odata.type") == 0) {
            if (!json_is_string(in) || !type_matches(t, json_string_value(in)))
                return gc_err_set(err, GC_E_BAD_REQUEST, "@odata.type",
                                  "The @odata.type '%.128s' does not match this set's type '#microsoft.graph.%s'.",
                                  json_is_string(in) ? json_string_value(in) : "(not a string)", t->name);
            continue;
        }
        if (key[0] == '@' || strchr(key, '@'))
            continue; /* instance and property annotations carry no data */
        const gc_prop *p = gc_schema_find_prop(t, key);
        if (!p)
            return gc_err_set(err, GC_E_BAD_REQUEST, key,
                              "The property '%.128s' does not exist on type 'microsoft.graph.%s'.", key,
                              t->name);
        if (p->flags & GC_P_KEY) {
            if (create)
                continue; /* the server makes ids */
            if (!json_is_string(in) || strcasecmp(json_string_value(in), url_id) != 0)
                return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                                  "The property 'id' in the body does not match the id in the URL.");
            continue;
        }
        if (p->flags & GC_P_SERVER)
            continue;
        json_t *v = NULL;
        gc_value vals[GC_VALUE_MAX_WIDTH];
        if (gc_value_from_client(t, p, in, a, &v, vals, err) < 0)
            return -1;
        if (!create && (p->flags & GC_P_IMMUTABLE) && !same_id_part(v, json_object_get(rec, p->name))) {
            json_decref(v);
            return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                              "The property '%s' is part of the id and cannot be changed; delete the entity and create it again.",
                              p->name);
        }
        json_object_set_new(rec, p->name, v);
        if (memo)
            gc_value_memo_set(memo, (size_t)(p - t->props), v, vals, gc_value_width(p), a);
    }
    if (!create)
        return 0;
    for (size_t i = 0; i < t->n_props; i++) {
        const gc_prop *p = &t->props[i];
        if (p->flags & GC_P_KEY)
            continue;
        json_t *v = json_object_get(rec, p->name);
        if ((p->flags & GC_P_REQUIRED) && (!v || json_is_null(v)))
            return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                              "The property '%s' is required to create a %s.", p->name, t->name);
        if (!v) {
            /* a default is written canonical; a default of null needs no values */
            json_t *d = p->deflt ? json_loads(p->deflt, JSON_DECODE_ANY, NULL) : NULL;
            json_object_set_new(rec, p->name, d ? d : json_null());
        }
    }
    return 0;
}
