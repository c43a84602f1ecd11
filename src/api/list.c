/* Reading a collection: one page of rows in the requested order, @odata.count, and the
 * nextLink whose $skiptoken carries the keyset position (signed, bound to the request); and
 * /$count. */
#include "api/api_int.h"

#include "odata/serialize.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* What a skiptoken is bound to: the tenant, the set and the options that shape the order. */
static const char *skiptoken_binding(req_ctx *c)
{
    gc_buf b;
    gc_buf_init(&b, 64 * 1024);
    gc_buf_appendf(&b, "%s\n%s\n", c->who.tenant, c->route.type->name);
    if (c->q.filter_text)
        gc_buf_append(&b, c->q.filter_text, c->q.filter_text_len);
    gc_buf_append(&b, "\n", 1);
    for (size_t i = 0; i < c->q.n_orderby; i++)
        gc_buf_appendf(&b, "%s %s,", c->q.orderby[i].prop->name, c->q.orderby[i].desc ? "desc" : "asc");
    char *s = gc_arena_strndup(c->a, b.data ? b.data : "", b.len);
    gc_buf_free(&b);
    return s;
}

/* The next page's URL: every original option but $skip and $skiptoken, then the new token. */
static const char *next_link(req_ctx *c, const char *token)
{
    gc_buf b;
    gc_buf_init(&b, 256 * 1024);
    gc_buf_appendf(&b, "%s/%s/%s?", c->base, c->route.version_name, c->route.type->set_path);
    for (size_t i = 0; i < c->q.n_params; i++) {
        const gc_odata_param *p = &c->q.params[i];
        if (p->opt == GC_ODATA_OPT_SKIP || p->opt == GC_ODATA_OPT_SKIPTOKEN)
            continue;
        char *v;
        if (gc_odata_query_encode_value(c->a, p->value, p->value_len, &v) < 0)
            continue;
        gc_buf_appendf(&b, "%s=%s&", gc_odata_opt_name(p->opt), v);
    }
    gc_buf_appendf(&b, "$skiptoken=%s", token);
    char *s = gc_arena_strndup(c->a, b.data, b.len);
    gc_buf_free(&b);
    return s;
}

int gc_api_op_list(req_ctx *c, gc_err *err)
{
    const gc_entity_type *t = c->route.type;
    if (gc_api_parse_query(c, false, err) < 0)
        return -1;
    const gc_filter *f = c->q.filter;
    size_t page = c->api->cfg.max_page_size;
    if (gc_odata_query_has(&c->q, GC_ODATA_OPT_TOP) && c->q.top < page)
        page = c->q.top;
    gc_store_query sq = {.filter = f, .order = c->q.orderby, .n_order = c->q.n_orderby, .limit = page + 1,
                         .offset = c->q.skip, .values = true};
    if (c->q.skiptoken) {
        json_t *pos;
        if (gc_skiptoken_read(c->a, c->api->skiptoken_key, skiptoken_binding(c), c->q.skiptoken,
                              &pos, err) < 0)
            return -1;
        if (json_array_size(pos) != c->q.n_orderby + 1)
            return gc_err_set(err, GC_E_BAD_REQUEST, "$skiptoken",
                              "The $skiptoken is not valid for this request: use the @odata.nextLink exactly as it was given.");
        sq.after = pos;
        sq.offset = 0;
    }
    gc_record *rows;
    size_t n;
    if (gc_store_list(c->api->cfg.store, c->a, t, c->who.tenant, &sq, &rows, &n, err) < 0)
        return -1;
    bool more = n > page;
    if (more)
        n = page;
    gc_buf b;
    gc_buf_init(&b, MAX_RESPONSE);
    gc_buf_reserve(&b, 1024 + 2048 * n);
    gc_buf_append(&b, "{\"@odata.context\":", 18);
    const char *ctx = gc_api_context_url(c, false);
    gc_buf_append_json_string(&b, ctx, strlen(ctx));
    if (c->q.count) {
        int64_t total;
        gc_store_query cq = {.filter = f};
        if (gc_store_count(c->api->cfg.store, c->a, t, c->who.tenant, &cq, &total, err) < 0) {
            gc_buf_free(&b);
            return -1;
        }
        gc_buf_appendf(&b, ",\"@odata.count\":%" PRId64, total);
    }
    if (more) {
        json_t *pos = gc_arena_json(c->a, json_array());
        const gc_record *last = &rows[n - 1];
        for (size_t i = 0; i < c->q.n_orderby; i++)
            json_array_append(pos, gc_record_value(t, last, c->q.orderby[i].prop));
        json_array_append(pos, gc_record_value(t, last, gc_schema_key(t)));
        const char *token = gc_skiptoken_make(c->a, c->api->skiptoken_key, skiptoken_binding(c), pos);
        if (!token) {
            gc_buf_free(&b);
            return gc_err_set(err, GC_E_INTERNAL, "", "The next page link could not be made.");
        }
        const char *link = next_link(c, token);
        gc_buf_append(&b, ",\"@odata.nextLink\":", 19);
        gc_buf_append_json_string(&b, link, strlen(link));
    }
    gc_buf_append(&b, ",\"value\":[", 10);
    for (size_t i = 0; i < n; i++) {
        if (i)
            gc_buf_append(&b, ",", 1);
        gc_odata_write_entity(&b, t, gc_api_wire_values(&rows[i]), rows[i].version, NULL, c->q.select,
                              c->q.n_select);
    }
    if (gc_buf_append(&b, "]}", 2) < 0 || b.overflow) {
        gc_buf_free(&b);
        return gc_err_set(err, GC_E_INTERNAL, "", "The response is larger than %u bytes.", MAX_RESPONSE);
    }
    return gc_api_send_buf(c, 200, &b, err);
}

int gc_api_op_count(req_ctx *c, gc_err *err)
{
    if (gc_api_parse_query(c, false, err) < 0)
        return -1;
    gc_store_query q = {.filter = c->q.filter};
    int64_t n;
    if (gc_store_count(c->api->cfg.store, c->a, c->route.type, c->who.tenant, &q, &n, err) < 0)
        return -1;
    char *s = gc_arena_printf(c->a, "%" PRId64, n);
    gc_api_set_body(c, 200, "text/plain;charset=utf-8", s, strlen(s));
    return 0;
}
