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

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "a number";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

static int wrong_type(const gc_entity_type *t, const gc_prop *p, const json_t *in, const char *expects,
                      gc_err *err)
{
    return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                      "Invalid value for property '%s' of type 'microsoft.graph.%s': expected %s (%s), got %s.",
                      p->name, t->name, expects, gc_schema_edm_name(p), json_kind(in));
}

/* A member name (for a flags enum, names joined by ','), qualified or not, or a member's value;
 * answered as the canonical name(s). */
static int canonical_enum(const gc_entity_type *t, const gc_prop *p, const json_t *in, gc_arena *a,
                          json_t **out, gc_err *err)
{
    const gc_enum_type *e = p->enum_type;
    long value = 0;
    bool ok;
    if (json_is_string(in)) {
        const char *s = json_string_value(in);
        size_t n = json_string_length(in);
        /* allow the qualified form microsoft.graph.enumType'name' too */
        char prefix[128];
        int k = snprintf(prefix, sizeof prefix, "microsoft.graph.%s'", e->name);
        if (k > 0 && (size_t)k < n && strncasecmp(s, prefix, (size_t)k) == 0 && s[n - 1] == '\'')
            ok = gc_enum_parse(e, s + k, n - (size_t)k - 1, &value) == 0;
        else
            ok = gc_enum_parse(e, s, n, &value) == 0;
    } else if (json_is_integer(in)) {
        value = (long)json_integer_value(in);
        ok = gc_enum_valid(e, value);
    } else {
        return wrong_type(t, p, in, "a member name", err);
    }
    if (!ok) {
        char names[512] = "";
        size_t used = 0;
        for (size_t i = 0; i < e->n_members && used < sizeof names; i++)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                                     e->members[i].name);
        if (json_is_string(in))
            return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                              "Invalid value '%.64s' for property '%s': expected one of the %s members %s.",
                              json_string_value(in), p->name, e->name, names);
        return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                          "Invalid value %lld for property '%s': expected one of the %s members %s.",
                          (long long)json_integer_value(in), p->name, e->name, names);
    }
    const char *name = gc_enum_format(e, value, a);
    for (const int *r = p->refused; r && *r >= 0; r++)
        if (*r == value)
            return gc_err_set(err, GC_E_BAD_REQUEST, p->name, "The value '%s' of property '%s' %s.",
                              name, p->name, p->refused_why ? p->refused_why : "is not supported");
    *out = json_string(name);
    return 0;
}

/* A collection: an array whose every element is canonical for p without GC_P_COLLECTION. */
static int canonical_many(const gc_entity_type *t, const gc_prop *p, const json_t *in, gc_arena *a,
                          json_t **out, gc_err *err)
{
    if (!json_is_array(in))
        return wrong_type(t, p, in, "an array", err);
    gc_prop elem = *p;
    elem.flags &= ~(unsigned)(GC_P_COLLECTION | GC_P_NULLABLE);
    json_t *arr = gc_arena_json(a, json_array());
    size_t i;
    json_t *v;
    json_array_foreach(in, i, v) {
        json_t *c = NULL;
        if (gc_odata_canonical_value(t, &elem, v, a, &c, err) < 0)
            return -1;
        json_array_append_new(arr, c);
    }
    *out = json_incref(arr);
    return 0;
}

/* A complex value: an object of p->complex's properties, answered in their order, an absent
 * one as null (an empty array for a collection). */
static int canonical_complex(const gc_entity_type *t, const gc_prop *p, const json_t *in,
                             gc_arena *a, json_t **out, gc_err *err)
{
    const gc_complex_type *ct = p->complex;
    if (!json_is_object(in))
        return wrong_type(t, p, in, "an object", err);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)in, key, v) {
        bool known = key[0] == '@';
        for (size_t i = 0; i < ct->n_props && !known; i++)
            known = strcmp(ct->props[i].name, key) == 0;
        if (!known)
            return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                              "The property '%.128s' does not exist on type 'microsoft.graph.%s'.",
                              key, ct->name);
    }
    json_t *obj = gc_arena_json(a, json_object());
    for (size_t i = 0; i < ct->n_props; i++) {
        const gc_prop *q = &ct->props[i];
        const json_t *given = json_object_get(in, q->name);
        json_t *c = NULL;
        if (!given)
            c = (q->flags & GC_P_COLLECTION) ? json_array() : json_null();
        else if (gc_odata_canonical_value(t, q, given, a, &c, err) < 0)
            return -1;
        json_object_set_new(obj, q->name, c);
    }
    *out = json_incref(obj);
    return 0;
}

int gc_odata_canonical_value(const gc_entity_type *t, const gc_prop *p, const json_t *in,
                             gc_arena *a, json_t **out, gc_err *err)
{
    if (json_is_null(in)) {
        if (!(p->flags & GC_P_NULLABLE))
            return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                              "The property '%s' of type 'microsoft.graph.%s' cannot be null (%s).",
                              p->name, t->name, gc_schema_edm_name(p));
        *out = json_null();
        return 0;
    }
    if (p->flags & GC_P_COLLECTION)
        return canonical_many(t, p, in, a, out, err);
    switch (p->type) {
    case GC_EDM_STRING: {
        if (!json_is_string(in))
            return wrong_type(t, p, in, "a string", err);
        size_t n = json_string_length(in);
        if (n > GC_STRING_MAX_BYTES)
            return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                              "The property '%s' is longer than the limit of %d bytes.", p->name,
                              GC_STRING_MAX_BYTES);
        if (p->flags & GC_P_THUMBPRINT) {
            if (n != 40 || !gc_is_hex(json_string_value(in), n))
                return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                                  "The property '%s' must be a SHA-1 thumbprint: exactly 40 hexadecimal digits.",
                                  p->name);
        }
        if (p->flags & GC_P_LOWER) {
            char *s = gc_arena_strndup(a, json_string_value(in), n);
            gc_str_lower(s);
            *out = json_stringn(s, n);
        } else {
            *out = json_copy((json_t *)in);
        }
        return *out ? 0 : gc_err_set(err, GC_E_BAD_REQUEST, p->name, "The property '%s' is not valid UTF-8.", p->name);
    }
    case GC_EDM_INT32: {
        if (json_is_real(in)) {
            double d = json_real_value(in);
            if (d < INT32_MIN || d > INT32_MAX)
                goto out_of_range;
            if (d != (double)(int64_t)d)
                return wrong_type(t, p, in, "a whole number", err);
            *out = json_integer((json_int_t)d);
            return 0;
        }
        if (!json_is_integer(in))
            return wrong_type(t, p, in, "a whole number", err);
        json_int_t v = json_integer_value(in);
        if (v < INT32_MIN || v > INT32_MAX)
            goto out_of_range;
        *out = json_integer(v);
        return 0;
    out_of_range:
        return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                          "The property '%s' must be a whole number from -2147483648 to 2147483647 (Edm.Int32).",
                          p->name);
    }
    case GC_EDM_BOOLEAN:
        if (!json_is_boolean(in))
            return wrong_type(t, p, in, "true or false", err);
        *out = json_copy((json_t *)in);
        return 0;
    case GC_EDM_GUID: {
        if (!json_is_string(in) || !gc_guid_valid(json_string_value(in), json_string_length(in)))
            return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                              "The property '%s' must be a GUID in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (Edm.Guid).",
                              p->name);
        char s[GC_GUID_LEN + 1];
        memcpy(s, json_string_value(in), sizeof s);
        gc_str_lower(s);
        *out = json_string(s);
        return 0;
    }
    case GC_EDM_DATETIME: {
        int64_t ticks;
        if (!json_is_string(in) || gc_datetime_parse(json_string_value(in), json_string_length(in), &ticks) < 0)
            return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                              "The property '%s' must be a date and time with an offset, e.g. "
                              "2024-05-01T12:30:00Z or 2024-05-01T12:30:00.1234567-08:00 (Edm.DateTimeOffset).",
                              p->name);
        *out = json_copy((json_t *)in);
        return 0;
    }
    case GC_EDM_BINARY: {
        unsigned char *bytes;
        size_t n;
        if (!json_is_string(in) ||
            gc_base64_decode(a, json_string_value(in), json_string_length(in), &bytes, &n) < 0)
            return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                              "The property '%s' must be base64-encoded bytes (Edm.Binary).", p->name);
        *out = json_string(gc_base64_encode(a, bytes, n));
        return 0;
    }
    case GC_EDM_ENUM:
        return canonical_enum(t, p, in, a, out, err);
    case GC_EDM_COMPLEX:
        return canonical_complex(t, p, in, a, out, err);
    }
    return gc_err_set(err, GC_E_INTERNAL, p->name, "Unknown property type.");
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
                        const char *url_id, gc_arena *a, gc_err *err)
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
        if (gc_odata_canonical_value(t, p, in, a, &v, err) < 0)
            return -1;
        if (!create && (p->flags & GC_P_IMMUTABLE) && !same_id_part(v, json_object_get(rec, p->name))) {
            json_decref(v);
            return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                              "The property '%s' is part of the id and cannot be changed; delete the entity and create it again.",
                              p->name);
        }
        json_object_set_new(rec, p->name, v);
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
            json_t *d = p->deflt ? json_loads(p->deflt, JSON_DECODE_ANY, NULL) : json_null();
            json_object_set_new(rec, p->name, d ? d : json_null());
        }
    }
    return 0;
}
