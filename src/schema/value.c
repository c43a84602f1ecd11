/* The mapping between canonical wire JSON and stored values (see value.h): the one switch over
 * the EDM types that both directions, and every backend, share. */
#include "schema/value.h"

#include <assert.h>
#include <jansson.h>
#include <string.h>

#include "core/util.h"

size_t gc_value_width(const gc_prop *p)
{
    return p->type == GC_EDM_DATETIME ? 2 : 1;
}

gc_value_kind gc_value_stored_kind(const gc_prop *p)
{
    if (gc_schema_is_json(p))
        return GC_VALUE_TEXT;
    switch (p->type) {
    case GC_EDM_STRING:
    case GC_EDM_GUID:
    case GC_EDM_DATETIME:
    case GC_EDM_COMPLEX:
        return GC_VALUE_TEXT;
    case GC_EDM_INT32:
    case GC_EDM_BOOLEAN:
    case GC_EDM_ENUM:
        return GC_VALUE_INT;
    case GC_EDM_BINARY:
        return GC_VALUE_BLOB;
    }
    return GC_VALUE_TEXT;
}

static int bad_value(const gc_prop *p, const char *what, gc_err *err)
{
    return gc_err_set(err, GC_E_BAD_REQUEST, p->name, "Property '%s' %s.", p->name, what);
}

/* A complex value or a collection as its compact JSON text (arena-owned). */
static int json_to_value(const gc_prop *p, const json_t *v, gc_arena *a, gc_value *out,
                         gc_err *err)
{
    bool many = p->flags & GC_P_COLLECTION;
    if (many ? !json_is_array(v) : !json_is_object(v))
        return bad_value(p, many ? "must be an array" : "must be an object", err);
    char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!s)
        return gc_err_set(err, GC_E_INTERNAL, p->name, "Property '%s' could not be written.", p->name);
    gc_arena_defer(a, gc_json_text_free, s);
    out[0] = gc_value_text(s, strlen(s));
    return 0;
}

int gc_value_from_wire(const gc_prop *p, const json_t *v, gc_arena *a, gc_value *out, gc_err *err)
{
    if (gc_schema_is_json(p))
        return json_to_value(p, v, a, out, err);
    switch (p->type) {
    case GC_EDM_STRING:
    case GC_EDM_GUID:
        if (!json_is_string(v))
            return bad_value(p, "must be a string", err);
        out[0] = gc_value_text(json_string_value(v), json_string_length(v));
        return 0;
    case GC_EDM_INT32: {
        if (!json_is_integer(v))
            return bad_value(p, "must be an integer", err);
        json_int_t i = json_integer_value(v);
        if (i < INT32_MIN || i > INT32_MAX)
            return bad_value(p, "is out of range for Edm.Int32", err);
        out[0] = gc_value_int((int64_t)i);
        return 0;
    }
    case GC_EDM_BOOLEAN:
        if (!json_is_boolean(v))
            return bad_value(p, "must be true or false", err);
        out[0] = gc_value_int(json_is_true(v) ? 1 : 0);
        return 0;
    case GC_EDM_DATETIME: {
        if (!json_is_string(v))
            return bad_value(p, "must be a date-time string", err);
        int64_t ticks;
        if (gc_datetime_parse(json_string_value(v), json_string_length(v), &ticks) != 0)
            return bad_value(p, "is not a valid date-time", err);
        out[0] = gc_value_text(json_string_value(v), json_string_length(v));
        out[1] = gc_value_int(ticks);
        return 0;
    }
    case GC_EDM_BINARY: {
        unsigned char *bytes;
        size_t len;
        if (!json_is_string(v))
            return bad_value(p, "must be a base64 string", err);
        if (gc_base64_decode(a, json_string_value(v), json_string_length(v), &bytes, &len) != 0)
            return bad_value(p, "is not valid base64", err);
        out[0] = (gc_value){.kind = GC_VALUE_BLOB, .p = bytes, .len = len};
        return 0;
    }
    case GC_EDM_ENUM: {
        assert(p->enum_type);
        long value;
        if (!json_is_string(v) ||
            gc_enum_parse(p->enum_type, json_string_value(v), json_string_length(v), &value) != 0)
            return bad_value(p, "is not a member of its enumeration", err);
        out[0] = gc_value_int(value);
        return 0;
    }
    case GC_EDM_COMPLEX:
        break;
    }
    return gc_err_set(err, GC_E_INTERNAL, p->name, "Property '%s' has an unknown type.", p->name);
}

json_t *gc_value_to_wire(const gc_prop *p, const gc_value *v, gc_arena *a)
{
    json_t *j = NULL;
    if (gc_schema_is_json(p)) {
        bool many = p->flags & GC_P_COLLECTION;
        if (v->kind == GC_VALUE_TEXT)
            j = json_loadb(v->s, v->len, 0, NULL);
        if (j && (many ? !json_is_array(j) : !json_is_object(j))) {
            json_decref(j);
            j = NULL;
        }
        return j;
    }
    switch (p->type) {
    case GC_EDM_STRING:
    case GC_EDM_GUID:
    case GC_EDM_DATETIME:
        if (v->kind == GC_VALUE_TEXT)
            j = json_stringn_nocheck(v->s, v->len);
        break;
    case GC_EDM_INT32:
        if (v->kind == GC_VALUE_INT)
            j = json_integer((json_int_t)v->i);
        break;
    case GC_EDM_BOOLEAN:
        if (v->kind == GC_VALUE_INT)
            j = json_boolean(v->i != 0);
        break;
    case GC_EDM_BINARY:
        if (v->kind == GC_VALUE_BLOB)
            j = json_string_nocheck(gc_base64_encode(a, v->len ? v->p : (const void *)"", v->len));
        break;
    case GC_EDM_ENUM: {
        const char *name = v->kind == GC_VALUE_INT ? gc_enum_format(p->enum_type, (long)v->i, a) : NULL;
        if (name)
            j = json_string_nocheck(name);
        break;
    }
    case GC_EDM_COMPLEX:
        break;
    }
    return j;
}
