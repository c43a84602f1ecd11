/* Entity serialisation (see serialize.h). */
#include "odata/serialize.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

const char *gc_odata_etag(gc_arena *a, int64_t version)
{
    char digits[21];
    gc_fmt_i64(digits, version);
    return gc_arena_concat(a, "W/\"", digits, "\"", NULL);
}

/* The ETag as a JSON string: "W/\"<version>\"". */
static int write_etag_value(gc_buf *b, int64_t version)
{
    char digits[21];
    size_t n = gc_fmt_i64(digits, version);
    return gc_buf_append(b, "\"W/\\\"", 5) | gc_buf_append(b, digits, n) |
           gc_buf_append(b, "\\\"\"", 3);
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

static int write_value(gc_buf *b, const json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING:
        return gc_buf_append_json_string(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: {
        char digits[21];
        return gc_buf_append(b, digits, gc_fmt_i64(digits, (int64_t)json_integer_value(v)));
    }
    case JSON_TRUE:
        return gc_buf_append(b, "true", 4);
    case JSON_FALSE:
        return gc_buf_append(b, "false", 5);
    case JSON_NULL:
        return gc_buf_append(b, "null", 4);
    default: {
        /* not produced by the store; written faithfully all the same */
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        int rc = s ? gc_buf_append(b, s, strlen(s)) : -1;
        gc_json_text_free(s);
        return rc;
    }
    }
}

int gc_odata_write_entity(gc_buf *b, const gc_entity_type *t, const json_t *rec, int64_t version,
                          const char *context, const gc_prop *const *select, size_t n_select)
{
    int rc = 0;
    bool in_order = json_is_array(rec);
    rc |= gc_buf_append(b, "{", 1);
    if (context) {
        rc |= gc_buf_append(b, "\"@odata.context\":", 17);
        rc |= gc_buf_append_json_string(b, context, strlen(context));
        rc |= gc_buf_append(b, ",", 1);
    }
    rc |= gc_buf_append(b, "\"@odata.type\":\"#microsoft.graph.", 32);
    rc |= gc_buf_append(b, t->name, strlen(t->name));
    rc |= gc_buf_append(b, "\"", 1);
    for (size_t i = 0; i < t->n_props; i++) {
        const gc_prop *p = &t->props[i];
        if (!selected(p, select, n_select))
            continue;
        rc |= gc_buf_append(b, ",\"", 2);
        rc |= gc_buf_append(b, p->name, strlen(p->name));
        rc |= gc_buf_append(b, "\":", 2);
        if (p->flags & GC_P_SECRET)
            rc |= gc_buf_append(b, p->masked, strlen(p->masked));
        else if (p->flags & GC_P_VERSION)
            rc |= write_etag_value(b, version);
        else
            rc |= write_value(b, in_order ? json_array_get(rec, i) : json_object_get(rec, p->name));
    }
    rc |= gc_buf_append(b, "}", 1);
    return rc ? -1 : 0;
}
