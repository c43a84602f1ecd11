/* Fuzz target for the request parsers before any storage: the path router and its key forms
 * (/set/k, /set('k'), /set(k)), the query options and the body validator. Input:
 * "PATH\nQUERY\nBODY". Every refusal must fit a JSON error envelope; a key must read back the
 * same from all three key forms; query options written back as a nextLink must parse the same. */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "fuzz.h"
#include "odata/path.h"
#include "odata/query.h"
#include "odata/value.h"

static void check_error(const gc_err *err)
{
    size_t len = strlen(err->message);
    CHECK(err->kind == GC_E_BAD_REQUEST || err->kind == GC_E_NOT_FOUND ||
          err->kind == GC_E_URI_TOO_LONG);
    CHECK(len > 0 && len < sizeof err->message - 1 && err->message[len - 1] == '.');
    json_t *m = json_string(err->message), *t = json_string(err->target);
    CHECK(m && t);
    json_decref(m);
    json_decref(t);
}

/* Parses path and checks it addresses t's entity key. */
static void check_key_path(gc_arena *a, const char *path, const gc_route *want)
{
    gc_route r;
    gc_err err = {0};
    if (gc_odata_parse_path(a, path, &r, &err) != 0) {
        fprintf(stderr, "key path %s refused: %s\n", path, err.message);
        abort();
    }
    CHECK(r.kind == GC_ROUTE_ENTITY && r.type == want->type && r.version == want->version);
    CHECK(strcmp(r.key, want->key) == 0);
}

/* The key of an entity route, written in each key form, reads back the same. */
static void check_key_forms(gc_arena *a, const gc_route *r)
{
    const gc_entity_type *t = r->type;
    const char *key = r->key;
    const char *prefix = gc_arena_printf(a, "/%s/%s%s", r->version_name,
                                         t->container ? t->container : "", t->container ? "/" : "");
    CHECK(*key);
    if (strcmp(key, "$count") != 0) /* that segment is the count, whatever its spelling */
        check_key_path(a, gc_arena_printf(a, "/%s/%s/%s", r->version_name, t->set_path,
                                          gc_odata_encode_segment(a, key)), r);
    gc_buf b;
    gc_buf_init(&b, 1 << 20);
    gc_buf_appendf(&b, "%s('", t->set_name);
    for (const char *p = key; *p; p++) {
        if (*p == '\'')
            gc_buf_append(&b, "'", 1); /* the quoted form doubles a quote */
        gc_buf_append(&b, p, 1);
    }
    gc_buf_appendf(&b, "')");
    CHECK(!b.overflow);
    check_key_path(a, gc_arena_printf(a, "%s%s", prefix, gc_odata_encode_segment(a, b.data)), r);
    gc_buf_free(&b);
    if (!strchr(key, '\''))
        check_key_path(a, gc_arena_printf(a, "%s%s", prefix,
                                          gc_odata_encode_segment(
                                              a, gc_arena_printf(a, "%s(%s)", t->set_name, key))),
                       r);
}

/* The options as a nextLink repeats them parse to the same options. */
static void check_query_again(gc_arena *a, const gc_route *r, const gc_odata_query *q)
{
    gc_buf b;
    gc_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < q->n_params; i++) {
        char *v;
        CHECK(gc_odata_query_encode_value(a, q->params[i].value, q->params[i].value_len, &v) == 0);
        gc_buf_appendf(&b, "%s%s=%s", i ? "&" : "", gc_odata_opt_name(q->params[i].opt), v);
    }
    CHECK(!b.overflow);
    gc_odata_query again;
    gc_err err = {0};
    if (gc_odata_query_parse(a, r->type, b.data ? b.data : "", r->version == GC_V_BETA, false, &again,
                             &err) != 0) {
        fprintf(stderr, "query written back %s refused: %s\n", b.data, err.message);
        abort();
    }
    CHECK(again.present == q->present && again.n_params == q->n_params);
    for (size_t i = 0; i < q->n_params; i++)
        CHECK(again.params[i].opt == q->params[i].opt &&
              again.params[i].value_len == q->params[i].value_len &&
              memcmp(again.params[i].value, q->params[i].value, q->params[i].value_len) == 0);
    CHECK(again.top == q->top && again.skip == q->skip && again.count == q->count &&
          again.n_select == q->n_select && again.n_orderby == q->n_orderby);
    gc_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gc_arena *a = gc_arena_new();
    char *text = gc_arena_strndup(a, (const char *)data, size);
    size_t len = strnlen(text, size);
    char *nl1 = memchr(text, '\n', len);
    char *query = "", *body = "";
    if (nl1) {
        *nl1 = '\0';
        query = nl1 + 1;
        char *nl2 = strchr(query, '\n');
        if (nl2) {
            *nl2 = '\0';
            body = nl2 + 1;
        }
    }
    gc_route r;
    gc_err err = {0};
    if (gc_odata_parse_path(a, text, &r, &err) != 0) {
        check_error(&err);
        goto done;
    }
    if (!r.type)
        goto done;
    if (r.kind == GC_ROUTE_ENTITY)
        check_key_forms(a, &r);
    gc_odata_query q;
    if (gc_odata_query_parse(a, r.type, query, r.version == GC_V_BETA, false, &q, &err) == 0)
        check_query_again(a, &r, &q);
    else
        check_error(&err);
    json_t *obj;
    if (gc_odata_parse_body(a, (const unsigned char *)body, strlen(body), &obj, &err) == 0) {
        json_t *rec = gc_arena_json(a, json_object());
        if (gc_odata_apply_body(r.type, obj, rec, true, NULL, NULL, a, &err) != 0)
            check_error(&err);
        json_t *upd = gc_arena_json(a, json_deep_copy(rec));
        if (gc_odata_apply_body(r.type, obj, upd, false, "x", NULL, a, &err) != 0)
            check_error(&err);
    } else {
        check_error(&err);
    }
done:
    gc_arena_free(a);
    return 0;
}
