/* Path routing (see path.h). */
#include "odata/path.h"

#include "core/util.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

const char *gc_odata_encode_segment(gc_arena *a, const char *s)
{
    return gc_percent_encode(a, s, strlen(s), NULL);
}

static int segment_error(gc_err *err, const char *seg)
{
    return gc_err_set(err, GC_E_BAD_REQUEST, "", "Resource not found for the segment '%.200s'.", seg);
}

/* "('k')", "(k)" appended to a set name: splits name and key. The quoted form doubles quotes. */
static int split_paren_key(gc_arena *a, char *seg, char **key, gc_err *err)
{
    char *open = strchr(seg, '(');
    *key = NULL;
    if (!open)
        return 0;
    size_t n = strlen(open);
    if (n < 2 || open[n - 1] != ')')
        return gc_err_set(err, GC_E_BAD_REQUEST, "id", "The key in '%.200s' is malformed.", seg);
    char *inner = open + 1;
    size_t len = n - 2;
    if (len >= 2 && inner[0] == '\'' && inner[len - 1] == '\'') {
        char *d = gc_arena_alloc(a, len);
        size_t k = 0;
        for (size_t i = 1; i + 1 < len; i++) {
            if (inner[i] == '\'') {
                if (i + 2 < len && inner[i + 1] == '\'') {
                    d[k++] = '\'';
                    i++;
                    continue;
                }
                return gc_err_set(err, GC_E_BAD_REQUEST, "id", "The key in '%.200s' is malformed.", seg);
            }
            d[k++] = inner[i];
        }
        d[k] = '\0';
        *key = d;
    } else {
        if (len == 0 || memchr(inner, '\'', len))
            return gc_err_set(err, GC_E_BAD_REQUEST, "id", "The key in '%.200s' is malformed.", seg);
        *key = gc_arena_strndup(a, inner, len);
    }
    *open = '\0';
    return 0;
}

int gc_odata_parse_path(gc_arena *a, const char *raw_path, gc_route *out, gc_err *err)
{
    memset(out, 0, sizeof *out);
    /* split into decoded segments; empty segments from doubled or trailing slashes are skipped */
    char *segs[8];
    size_t n = 0;
    const char *p = raw_path;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (n == sizeof segs / sizeof segs[0])
            return gc_err_set(err, GC_E_BAD_REQUEST, "", "The path has too many segments.");
        if (gc_percent_decode(a, p, len, true, &segs[n], NULL) < 0)
            return gc_err_set(err, GC_E_BAD_REQUEST, "", "The path holds a malformed percent-escape or an encoded NUL (%%00).");
        n++;
        p += len;
    }
    if (n == 1 && strcmp(segs[0], "healthz") == 0) {
        out->kind = GC_ROUTE_HEALTH;
        return 0;
    }
    if (n == 0)
        return gc_err_set(err, GC_E_NOT_FOUND, "", "No API version given: use /beta or /v1.0.");
    if (strcasecmp(segs[0], "beta") == 0) {
        out->version = GC_V_BETA;
        out->version_name = "beta";
    } else if (strcasecmp(segs[0], "v1.0") == 0) {
        out->version = GC_V_V1;
        out->version_name = "v1.0";
    } else {
        return gc_err_set(err, GC_E_NOT_FOUND, "", "Unknown API version '%.64s': use /beta or /v1.0.", segs[0]);
    }
    if (n == 1) {
        out->kind = GC_ROUTE_ROOT;
        return 0;
    }
    if (n == 2 && strcmp(segs[1], "$metadata") == 0) {
        out->kind = GC_ROUTE_METADATA;
        return 0;
    }
    if (n == 2 && strcmp(segs[1], "$batch") == 0) {
        out->kind = GC_ROUTE_BATCH;
        return 0;
    }
    if (n == 2 && strcasecmp(segs[1], "users") == 0) {
        out->kind = GC_ROUTE_USERS;
        out->type = &gc_schema_user;
        return 0;
    }
    /* the set: a root set, or a container followed by a set */
    size_t i = 1;
    char *key = NULL;
    if (split_paren_key(a, segs[i], &key, err) < 0)
        return -1;
    const gc_entity_type *t = gc_schema_find_set(NULL, segs[i]);
    if (!t) {
        bool container = false;
        for (size_t k = 0; k < gc_schema_n_types; k++) {
            const char *c = gc_schema_types[k]->container;
            if (c && strcasecmp(c, segs[i]) == 0)
                container = true;
        }
        if (!container || key)
            return segment_error(err, segs[i]);
        if (i + 1 >= n)
            return segment_error(err, segs[i]); /* the singleton itself is not served */
        const char *cont = segs[i++];
        if (split_paren_key(a, segs[i], &key, err) < 0)
            return -1;
        t = gc_schema_find_set(cont, segs[i]);
        if (!t)
            return segment_error(err, segs[i]);
    }
    if (!(t->versions & out->version))
        return segment_error(err, segs[i]);
    out->type = t;
    i++;
    if (!key && i < n && strcmp(segs[i], "$count") != 0)
        key = segs[i++];
    if (key) {
        if (!*key)
            return gc_err_set(err, GC_E_BAD_REQUEST, "id", "The key is empty.");
        out->key = key;
        out->kind = GC_ROUTE_ENTITY;
        if (i < n)
            return segment_error(err, segs[i]);
        return 0;
    }
    if (i < n) {
        if (strcmp(segs[i], "$count") == 0 && i + 1 == n) {
            out->kind = GC_ROUTE_COUNT;
            return 0;
        }
        return segment_error(err, segs[i]);
    }
    out->kind = GC_ROUTE_COLLECTION;
    return 0;
}
