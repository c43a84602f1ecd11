/* The typed value (see value.h): one row per EDM type in `kinds`, holding everything the type
 * does — its name, how it is stored, client JSON in (canonical form and stored values in one
 * pass), stored values out, and the $filter literals it takes. Nothing else in the code
 * switches over the EDM types. */
#include "schema/value.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

/* What one EDM type does. in: canon is NULL when the value is already canonical (a store
 * converting a record), and then the client's rules (length limits, thumbprints, refused
 * members) are not checked again; out always gets the stored values. */
typedef struct edm_kind {
    const char *name; /* NULL: the enum's or complex type's own name */
    gc_value_kind stored;
    size_t width;
    int (*in)(const gc_entity_type *t, const gc_prop *p, const json_t *v, gc_arena *a,
              json_t **canon, gc_value *out, gc_err *err);
    json_t *(*out)(const gc_prop *p, const gc_value *v, gc_arena *a);
    /* the $filter literals it takes: literal(), or else literals of kind lit only, as the
     * storage domain says (plain_literal); GC_LIT_NULL: none */
    gc_literal_fit (*literal)(const gc_prop *p, const gc_literal *l, gc_arena *a, gc_value *out);
    gc_literal_kind lit;
} edm_kind;

static const edm_kind *kind_of(const gc_prop *p);

/* ---- messages ---- */

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

static int wrong_type(const gc_entity_type *t, const gc_prop *p, const json_t *in,
                      const char *expects, gc_err *err)
{
    if (!t)
        return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                          "Invalid value for property '%s': expected %s (%s), got %s.", p->name,
                          expects, gc_value_edm_name(p), json_kind(in));
    return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                      "Invalid value for property '%s' of type 'microsoft.graph.%s': expected %s (%s), got %s.",
                      p->name, t->name, expects, gc_value_edm_name(p), json_kind(in));
}

/* A literal of the one kind a type takes, in the storage domain (schema/expr.h): a string as
 * its text, an integer within Int32, a Boolean, a date-time as its instant. */
static gc_literal_fit plain_literal(gc_literal_kind takes, const gc_literal *l, gc_value *out)
{
    if (takes == GC_LIT_NULL || l->kind != takes)
        return GC_LIT_WRONG_TYPE;
    if (l->kind == GC_LIT_STRING)
        *out = gc_value_text(l->s, l->len);
    else if (l->kind == GC_LIT_INT && (l->i < INT32_MIN || l->i > INT32_MAX))
        return GC_LIT_OUT_OF_RANGE;
    else
        *out = (gc_value){.kind = l->kind == GC_LIT_BOOL ? GC_VALUE_BOOL : GC_VALUE_INT, .i = l->i};
    return GC_LIT_FITS;
}

/* ---- String ---- */

static int string_in(const gc_entity_type *t, const gc_prop *p, const json_t *v, gc_arena *a,
                     json_t **canon, gc_value *out, gc_err *err)
{
    if (!json_is_string(v))
        return wrong_type(t, p, v, "a string", err);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (canon && n > GC_STRING_MAX_BYTES)
        return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                          "The property '%s' is longer than the limit of %d bytes.", p->name,
                          GC_STRING_MAX_BYTES);
    if (canon && (p->flags & GC_P_THUMBPRINT) && (n != 40 || !gc_is_hex(s, n)))
        return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                          "The property '%s' must be a SHA-1 thumbprint: exactly 40 hexadecimal digits.",
                          p->name);
    if (canon && (p->flags & GC_P_LOWER)) {
        char *low = gc_arena_strndup(a, s, n);
        gc_str_lower(low);
        s = low;
        *canon = json_stringn(s, n);
    } else if (canon) {
        *canon = json_copy((json_t *)v);
    }
    if (canon && !*canon)
        return gc_err_set(err, GC_E_BAD_REQUEST, p->name, "The property '%s' is not valid UTF-8.", p->name);
    if (canon)
        s = json_string_value(*canon);
    out[0] = gc_value_text(s, n);
    return 0;
}

static json_t *text_out(const gc_prop *p, const gc_value *v, gc_arena *a)
{
    (void)p, (void)a;
    return v->kind == GC_VALUE_TEXT ? json_stringn_nocheck(v->s, v->len) : NULL;
}

/* ---- Int32 ---- */

static int int32_in(const gc_entity_type *t, const gc_prop *p, const json_t *v, gc_arena *a,
                    json_t **canon, gc_value *out, gc_err *err)
{
    (void)a;
    json_int_t i;
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d < INT32_MIN || d > INT32_MAX)
            goto out_of_range;
        if (d != (double)(int64_t)d)
            return wrong_type(t, p, v, "a whole number", err);
        i = (json_int_t)d;
    } else if (json_is_integer(v)) {
        i = json_integer_value(v);
        if (i < INT32_MIN || i > INT32_MAX)
            goto out_of_range;
    } else {
        return wrong_type(t, p, v, "a whole number", err);
    }
    if (canon)
        *canon = json_integer(i);
    out[0] = gc_value_int((int64_t)i);
    return 0;
out_of_range:
    return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                      "The property '%s' must be a whole number from -2147483648 to 2147483647 (Edm.Int32).",
                      p->name);
}

static json_t *int_out(const gc_prop *p, const gc_value *v, gc_arena *a)
{
    (void)p, (void)a;
    return v->kind == GC_VALUE_INT ? json_integer((json_int_t)v->i) : NULL;
}

/* ---- Boolean ---- */

static int bool_in(const gc_entity_type *t, const gc_prop *p, const json_t *v, gc_arena *a,
                   json_t **canon, gc_value *out, gc_err *err)
{
    (void)a;
    if (!json_is_boolean(v))
        return wrong_type(t, p, v, "true or false", err);
    if (canon)
        *canon = json_boolean(json_is_true(v));
    out[0] = gc_value_int(json_is_true(v) ? 1 : 0);
    return 0;
}

static json_t *bool_out(const gc_prop *p, const gc_value *v, gc_arena *a)
{
    (void)p, (void)a;
    return v->kind == GC_VALUE_INT ? json_boolean(v->i != 0) : NULL;
}

/* ---- Guid ---- */

static int guid_in(const gc_entity_type *t, const gc_prop *p, const json_t *v, gc_arena *a,
                   json_t **canon, gc_value *out, gc_err *err)
{
    (void)t;
    if (!json_is_string(v) || !gc_guid_valid(json_string_value(v), json_string_length(v)))
        return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                          "The property '%s' must be a GUID in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (Edm.Guid).",
                          p->name);
    char *s = gc_arena_strndup(a, json_string_value(v), GC_GUID_LEN);
    gc_str_lower(s);
    if (canon)
        *canon = json_string(s);
    out[0] = gc_value_text(s, GC_GUID_LEN);
    return 0;
}

static gc_literal_fit guid_literal(const gc_prop *p, const gc_literal *l, gc_arena *a,
                                   gc_value *out)
{
    (void)p;
    if (l->kind == GC_LIT_STRING && gc_guid_valid(l->s, l->len)) {
        char *s = gc_arena_strndup(a, l->s, l->len);
        gc_str_lower(s);
        *out = gc_value_text(s, l->len);
        return GC_LIT_FITS;
    }
    if (l->kind != GC_LIT_GUID)
        return GC_LIT_WRONG_TYPE;
    *out = gc_value_text(l->s, l->len);
    return GC_LIT_FITS;
}

/* ---- DateTimeOffset ---- */

static int datetime_in(const gc_entity_type *t, const gc_prop *p, const json_t *v, gc_arena *a,
                       json_t **canon, gc_value *out, gc_err *err)
{
    (void)t, (void)a;
    int64_t ticks;
    if (!json_is_string(v) ||
        gc_datetime_parse(json_string_value(v), json_string_length(v), &ticks) < 0)
        return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                          "The property '%s' must be a date and time with an offset, e.g. "
                          "2024-05-01T12:30:00Z or 2024-05-01T12:30:00.1234567-08:00 (Edm.DateTimeOffset).",
                          p->name);
    if (canon)
        v = *canon = json_copy((json_t *)v);
    out[0] = gc_value_text(json_string_value(v), json_string_length(v));
    out[1] = gc_value_int(ticks);
    return 0;
}

/* ---- Binary ---- */

static int binary_in(const gc_entity_type *t, const gc_prop *p, const json_t *v, gc_arena *a,
                     json_t **canon, gc_value *out, gc_err *err)
{
    (void)t;
    unsigned char *bytes;
    size_t n;
    if (!json_is_string(v) ||
        gc_base64_decode(a, json_string_value(v), json_string_length(v), &bytes, &n) < 0)
        return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                          "The property '%s' must be base64-encoded bytes (Edm.Binary).", p->name);
    if (canon)
        *canon = json_string(gc_base64_encode(a, bytes, n));
    out[0] = (gc_value){.kind = GC_VALUE_BLOB, .p = bytes, .len = n};
    return 0;
}

static json_t *binary_out(const gc_prop *p, const gc_value *v, gc_arena *a)
{
    (void)p;
    if (v->kind != GC_VALUE_BLOB)
        return NULL;
    return json_string_nocheck(gc_base64_encode(a, v->len ? v->p : (const void *)"", v->len));
}

/* ---- enum ---- */

/* A member name (for a flags enum, names joined by ','), qualified or not, or a member's
 * value; canonical as the member name(s). */
static int enum_in(const gc_entity_type *t, const gc_prop *p, const json_t *v, gc_arena *a,
                   json_t **canon, gc_value *out, gc_err *err)
{
    const gc_enum_type *e = p->enum_type;
    assert(e);
    long value = 0;
    bool ok;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        /* the qualified form microsoft.graph.enumType'name' too */
        char prefix[128];
        int k = snprintf(prefix, sizeof prefix, "microsoft.graph.%s'", e->name);
        if (k > 0 && (size_t)k < n && strncasecmp(s, prefix, (size_t)k) == 0 && s[n - 1] == '\'')
            ok = gc_enum_parse(e, s + k, n - (size_t)k - 1, &value) == 0;
        else
            ok = gc_enum_parse(e, s, n, &value) == 0;
    } else if (json_is_integer(v)) {
        value = (long)json_integer_value(v);
        ok = gc_enum_valid(e, value);
    } else {
        return wrong_type(t, p, v, "a member name", err);
    }
    if (!ok) {
        char names[512] = "";
        size_t used = 0;
        for (size_t i = 0; i < e->n_members && used < sizeof names; i++)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                                     e->members[i].name);
        if (json_is_string(v))
            return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                              "Invalid value '%.64s' for property '%s': expected one of the %s members %s.",
                              json_string_value(v), p->name, e->name, names);
        return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                          "Invalid value %lld for property '%s': expected one of the %s members %s.",
                          (long long)json_integer_value(v), p->name, e->name, names);
    }
    if (canon) {
        const char *name = gc_enum_format(e, value, a);
        for (const int *r = p->refused; r && *r >= 0; r++)
            if (*r == value)
                return gc_err_set(err, GC_E_BAD_REQUEST, p->name, "The value '%s' of property '%s' %s.",
                                  name, p->name, p->refused_why ? p->refused_why : "is not supported");
        *canon = json_string(name);
    }
    out[0] = gc_value_int(value);
    return 0;
}

static json_t *enum_out(const gc_prop *p, const gc_value *v, gc_arena *a)
{
    const char *name = v->kind == GC_VALUE_INT ? gc_enum_format(p->enum_type, (long)v->i, a) : NULL;
    return name ? json_string_nocheck(name) : NULL;
}

static gc_literal_fit enum_literal(const gc_prop *p, const gc_literal *l, gc_arena *a,
                                   gc_value *out)
{
    (void)a;
    static const char ns[] = "microsoft.graph.";
    const gc_enum_type *e = p->enum_type;
    long value;
    if (l->kind == GC_LIT_ENUM) {
        size_t nl = sizeof ns - 1, el = strlen(e->name);
        if (l->type_len != nl + el || strncasecmp(l->type, ns, nl) != 0 ||
            strncasecmp(l->type + nl, e->name, el) != 0)
            return GC_LIT_OTHER_ENUM;
    }
    if (l->kind == GC_LIT_STRING || l->kind == GC_LIT_ENUM) {
        if (gc_enum_parse(e, l->s, l->len, &value) != 0)
            return GC_LIT_NOT_MEMBER;
    } else if (l->kind == GC_LIT_INT) {
        value = (long)l->i;
        if (l->i < INT32_MIN || l->i > INT32_MAX || !gc_enum_valid(e, value))
            return GC_LIT_NOT_MEMBER;
    } else {
        return GC_LIT_WRONG_TYPE;
    }
    *out = gc_value_int(value);
    return GC_LIT_FITS;
}

/* ---- complex values and collections: stored as compact JSON text ---- */

/* A collection: an array whose every element is canonical for p without GC_P_COLLECTION. */
static int many_canon(const gc_entity_type *t, const gc_prop *p, const json_t *v, gc_arena *a,
                      json_t **canon, gc_err *err)
{
    if (!json_is_array(v))
        return wrong_type(t, p, v, "an array", err);
    gc_prop elem = *p;
    elem.flags &= ~(unsigned)(GC_P_COLLECTION | GC_P_NULLABLE);
    json_t *arr = gc_arena_json(a, json_array());
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        json_t *c = NULL;
        if (gc_value_from_client(t, &elem, e, a, &c, NULL, err) < 0)
            return -1;
        json_array_append_new(arr, c);
    }
    *canon = json_incref(arr);
    return 0;
}

/* A complex value: an object of p->complex's properties, in their order, an absent one as
 * null (an empty array for a collection). */
static int complex_canon(const gc_entity_type *t, const gc_prop *p, const json_t *v, gc_arena *a,
                         json_t **canon, gc_err *err)
{
    const gc_complex_type *ct = p->complex;
    if (!json_is_object(v))
        return wrong_type(t, p, v, "an object", err);
    const char *key;
    json_t *x;
    json_object_foreach((json_t *)v, key, x) {
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
        const json_t *given = json_object_get(v, q->name);
        json_t *c = NULL;
        if (!given)
            c = (q->flags & GC_P_COLLECTION) ? json_array() : json_null();
        else if (gc_value_from_client(t, q, given, a, &c, NULL, err) < 0)
            return -1;
        json_object_set_new(obj, q->name, c);
    }
    *canon = json_incref(obj);
    return 0;
}

static int json_in(const gc_entity_type *t, const gc_prop *p, const json_t *v, gc_arena *a,
                   json_t **canon, gc_value *out, gc_err *err)
{
    bool many = p->flags & GC_P_COLLECTION;
    const json_t *text_of = v;
    if (canon) {
        if ((many ? many_canon : complex_canon)(t, p, v, a, canon, err) < 0)
            return -1;
        text_of = *canon;
    } else if (many ? !json_is_array(v) : !json_is_object(v)) {
        return wrong_type(t, p, v, many ? "an array" : "an object", err);
    }
    char *s = json_dumps(text_of, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!s)
        return gc_err_set(err, GC_E_INTERNAL, p->name, "Property '%s' could not be written.", p->name);
    gc_arena_defer(a, gc_json_text_free, s);
    out[0] = gc_value_text(s, strlen(s));
    return 0;
}

static json_t *json_out(const gc_prop *p, const gc_value *v, gc_arena *a)
{
    (void)a;
    bool many = p->flags & GC_P_COLLECTION;
    json_t *j = v->kind == GC_VALUE_TEXT ? json_loadb(v->s, v->len, 0, NULL) : NULL;
    if (j && (many ? !json_is_array(j) : !json_is_object(j))) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* ---- the table ---- */

static const edm_kind kinds[] = {
    [GC_EDM_STRING] = {"Edm.String", GC_VALUE_TEXT, 1, string_in, text_out, NULL, GC_LIT_STRING},
    [GC_EDM_INT32] = {"Edm.Int32", GC_VALUE_INT, 1, int32_in, int_out, NULL, GC_LIT_INT},
    [GC_EDM_BOOLEAN] = {"Edm.Boolean", GC_VALUE_INT, 1, bool_in, bool_out, NULL, GC_LIT_BOOL},
    [GC_EDM_GUID] = {"Edm.Guid", GC_VALUE_TEXT, 1, guid_in, text_out, guid_literal, GC_LIT_NULL},
    [GC_EDM_DATETIME] = {"Edm.DateTimeOffset", GC_VALUE_TEXT, 2, datetime_in, text_out, NULL,
                         GC_LIT_DATETIME},
    [GC_EDM_BINARY] = {"Edm.Binary", GC_VALUE_BLOB, 1, binary_in, binary_out, NULL, GC_LIT_NULL},
    [GC_EDM_ENUM] = {NULL, GC_VALUE_INT, 1, enum_in, enum_out, enum_literal, GC_LIT_NULL},
    [GC_EDM_COMPLEX] = {NULL, GC_VALUE_TEXT, 1, json_in, json_out, NULL, GC_LIT_NULL},
};
_Static_assert(sizeof kinds / sizeof kinds[0] == GC_EDM__COUNT, "every EDM type has its row");

/* A collection of any type is stored as JSON text, as a complex value is. */
static const edm_kind *kind_of(const gc_prop *p)
{
    assert((size_t)p->type < GC_EDM__COUNT && kinds[p->type].in);
    return (p->flags & GC_P_COLLECTION) ? &kinds[GC_EDM_COMPLEX] : &kinds[p->type];
}

size_t gc_value_width(const gc_prop *p)
{
    return kind_of(p)->width;
}

gc_value_kind gc_value_stored_kind(const gc_prop *p)
{
    return kind_of(p)->stored;
}

const char *gc_value_edm_name(const gc_prop *p)
{
    const char *name = kinds[p->type].name;
    if (name)
        return name;
    return p->type == GC_EDM_ENUM ? p->enum_type->name : p->complex->name;
}

int gc_value_from_client(const gc_entity_type *t, const gc_prop *p, const json_t *in, gc_arena *a,
                         json_t **canon, gc_value *out, gc_err *err)
{
    gc_value scratch[GC_VALUE_MAX_WIDTH];
    if (!out)
        out = scratch;
    if (json_is_null(in)) {
        if (!(p->flags & GC_P_NULLABLE)) {
            if (t)
                return gc_err_set(err, GC_E_BAD_REQUEST, p->name,
                                  "The property '%s' of type 'microsoft.graph.%s' cannot be null (%s).",
                                  p->name, t->name, gc_value_edm_name(p));
            return gc_err_set(err, GC_E_BAD_REQUEST, p->name, "The property '%s' cannot be null (%s).",
                              p->name, gc_value_edm_name(p));
        }
        for (size_t i = 0; i < gc_value_width(p); i++)
            out[i] = (gc_value){.kind = GC_VALUE_NULL};
        if (canon)
            *canon = json_null();
        return 0;
    }
    return kind_of(p)->in(t, p, in, a, canon, out, err);
}

int gc_value_from_wire(const gc_prop *p, const json_t *v, gc_arena *a, gc_value *out, gc_err *err)
{
    return kind_of(p)->in(NULL, p, v, a, NULL, out, err);
}

json_t *gc_value_to_wire(const gc_prop *p, const gc_value *v, gc_arena *a)
{
    return kind_of(p)->out(p, v, a);
}

gc_literal_fit gc_value_from_literal(const gc_prop *p, const gc_literal *l, gc_arena *a,
                                     gc_value *out)
{
    const edm_kind *k = kind_of(p);
    return k->literal ? k->literal(p, l, a, out) : plain_literal(k->lit, l, out);
}

/* ---- the memo ---- */

gc_value_memo *gc_value_memo_new(const gc_entity_type *t, gc_arena *a)
{
    gc_value_memo *m = gc_arena_alloc(a, sizeof *m);
    m->from = gc_arena_alloc(a, t->n_props * sizeof *m->from);
    m->vals = gc_arena_alloc(a, t->n_props * sizeof *m->vals);
    memset(m->from, 0, t->n_props * sizeof *m->from);
    return m;
}

void gc_value_memo_set(gc_value_memo *m, size_t i, json_t *v, const gc_value *vals, size_t width,
                       gc_arena *a)
{
    assert(width <= GC_VALUE_MAX_WIDTH);
    m->from[i] = gc_arena_json(a, json_incref(v));
    memcpy(m->vals[i], vals, width * sizeof *vals);
}

const gc_value *gc_value_memo_get(const gc_value_memo *m, size_t i, const json_t *v)
{
    return m && v && m->from[i] == v ? m->vals[i] : NULL;
}
