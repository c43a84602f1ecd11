/* The admin listener's handler (see admin.h). /metrics renders live counters on every scrape;
 * only the expiring-certificate counts, one grouped query per entity type, are cached for
 * expiring_ttl_s, so frequent scrapes of a large store stay cheap. */
#include "api/admin.h"
#include "api/api_int.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/metrics.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/util.h"
#include "odata/serialize.h"

#define METRICS_CT "text/plain; version=0.0.4; charset=utf-8"
#define MAX_METRICS_TEXT (64u << 20)
#define TICKS_PER_DAY INT64_C(864000000000)

static const int expiring_days[] = {7, 30, 90};
#define N_WINDOWS (sizeof expiring_days / sizeof expiring_days[0])

struct gc_admin {
    gc_admin_config cfg;
    pthread_mutex_t lock; /* the cache below; taken by scrapes only, never by API requests */
    char *expiring_text;  /* the expiring gauges as rendered last, or NULL */
    size_t expiring_len;
    uint64_t expiring_at_ns; /* when (gc_metrics_now_ns) */
    double expiring_query_s; /* what computing them took */
};

int gc_admin_new(const gc_admin_config *cfg, gc_admin **out, gc_err *err)
{
    gc_admin *adm = calloc(1, sizeof *adm);
    if (!adm)
        return gc_err_set(err, GC_E_INTERNAL, "", "Out of memory.");
    adm->cfg = *cfg;
    if (!adm->cfg.expiring_ttl_s)
        adm->cfg.expiring_ttl_s = 30;
    pthread_mutex_init(&adm->lock, NULL);
    *out = adm;
    return 0;
}

void gc_admin_free(gc_admin *adm)
{
    if (!adm)
        return;
    pthread_mutex_destroy(&adm->lock);
    free(adm->expiring_text);
    free(adm);
}

/* ---- responses ---- */

static void send_text(gc_http_resp *resp, gc_arena *a, int status, const char *ct, const char *s,
                      size_t len)
{
    resp->status = status;
    resp->content_type = ct;
    resp->body = gc_arena_alloc(a, len + 1);
    memcpy(resp->body, s, len);
    resp->body[len] = '\0';
    resp->body_len = len;
}

/* A Graph error envelope, as the API answers. */
static void send_error(const gc_http_req *req, gc_http_resp *resp, gc_errkind kind,
                       const char *message)
{
    json_t *j = gc_api_error_json(req, req->request_id, kind, message);
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    if (!s) {
        resp->status = 500;
        return;
    }
    send_text(resp, req->arena, gc_err_http_status(kind), GC_ODATA_JSON_CT, s, strlen(s));
    gc_json_text_free(s);
    gc_http_resp_header(resp, "request-id", req->request_id);
    gc_http_resp_header(resp, "client-request-id", req->request_id);
    gc_http_resp_header(resp, "OData-Version", "4.0");
}

/* ---- /metrics ---- */

static int render_store(gc_admin *adm, gc_buf *b)
{
    static const char name[] = "graphcerts_store_operation_duration_seconds";
    if (gc_prom_header(b, name, "histogram", "Time of store calls, by operation.") < 0)
        return -1;
    for (int op = 0; op < GC_STORE_OP__COUNT; op++) {
        gc_label l = {"operation", gc_store_op_name((gc_store_op)op)};
        if (gc_prom_hist(b, name, &l, 1, gc_store_latency(adm->cfg.store, (gc_store_op)op)) < 0)
            return -1;
    }
    return 0;
}

/* The expiring gauges, freshly counted, into b. */
static int count_expiring(gc_admin *adm, gc_buf *b, gc_err *err)
{
    int result = -1;
    gc_arena *a = gc_arena_new();
    static const char name[] = "graphcerts_certificates_expiring";
    if (gc_prom_header(b, name, "gauge",
                       "Certificates whose expiry lies between now and now + within_days days, by "
                       "entity set and tenant (tenants with none in 90 days are not listed).") < 0)
        goto overflow;
    int64_t now = gc_now_ticks();
    int64_t until[N_WINDOWS];
    for (size_t w = 0; w < N_WINDOWS; w++)
        until[w] = now + expiring_days[w] * TICKS_PER_DAY;
    for (size_t i = 0; i < gc_schema_n_types; i++) {
        const gc_entity_type *t = gc_schema_types[i];
        gc_store_expiring *rows;
        size_t n;
        if (gc_store_count_expiring(adm->cfg.store, a, t, now, until, N_WINDOWS, &rows, &n, err) < 0)
            goto done;
        for (size_t r = 0; r < n; r++)
            for (size_t w = 0; w < N_WINDOWS; w++) {
                char days[8];
                snprintf(days, sizeof days, "%d", expiring_days[w]);
                gc_label l[3] = {{"set", t->set_path}, {"tenant", rows[r].tenant},
                                 {"within_days", days}};
                if (gc_prom_sample_u64(b, name, l, 3, (uint64_t)rows[r].counts[w]) < 0)
                    goto overflow;
            }
    }
    result = 0;
    goto done;
overflow:
    gc_err_set(err, GC_E_INTERNAL, "", "The metrics text exceeds %u bytes.", MAX_METRICS_TEXT);
done:
    gc_arena_free(a);
    return result;
}

/* The expiring gauges from the cache, recounted when older than the TTL. */
static int render_expiring(gc_admin *adm, gc_buf *b, gc_err *err)
{
    int result = -1;
    pthread_mutex_lock(&adm->lock);
    uint64_t now = gc_metrics_now_ns();
    if (!adm->expiring_text || now - adm->expiring_at_ns >= adm->cfg.expiring_ttl_s * 1000000000ull) {
        gc_buf fresh;
        gc_buf_init(&fresh, MAX_METRICS_TEXT);
        uint64_t t0 = gc_metrics_now_ns();
        if (count_expiring(adm, &fresh, err) < 0) {
            gc_buf_free(&fresh);
            goto done;
        }
        free(adm->expiring_text);
        adm->expiring_text = fresh.data; /* handed over: not freed here */
        adm->expiring_len = fresh.len;
        adm->expiring_at_ns = gc_metrics_now_ns();
        adm->expiring_query_s = (double)(adm->expiring_at_ns - t0) / 1e9;
    }
    if ((adm->expiring_len && gc_buf_append(b, adm->expiring_text, adm->expiring_len) < 0) ||
        gc_prom_header(b, "graphcerts_certificates_expiring_query_seconds", "gauge",
                       "What counting the expiring certificates took when last done.") < 0 ||
        gc_buf_appendf(b, "graphcerts_certificates_expiring_query_seconds %.6f\n",
                       adm->expiring_query_s) < 0 ||
        gc_prom_header(b, "graphcerts_certificates_expiring_age_seconds", "gauge",
                       "How old the expiring-certificate counts are (they are reused for a while).") < 0 ||
        gc_buf_appendf(b, "graphcerts_certificates_expiring_age_seconds %.3f\n",
                       (double)(now > adm->expiring_at_ns ? now - adm->expiring_at_ns : 0) / 1e9) < 0) {
        gc_err_set(err, GC_E_INTERNAL, "", "The metrics text exceeds %u bytes.", MAX_METRICS_TEXT);
        goto done;
    }
    result = 0;
done:
    pthread_mutex_unlock(&adm->lock);
    return result;
}

static void serve_metrics(gc_admin *adm, const gc_http_req *req, gc_http_resp *resp)
{
    gc_err err;
    gc_err_clear(&err);
    gc_buf b;
    gc_buf_init(&b, MAX_METRICS_TEXT);
    gc_buf_reserve(&b, 64 * 1024);
    if (gc_api_metrics_render(gc_api_get_metrics(adm->cfg.api), &b) < 0 || render_store(adm, &b) < 0 ||
        gc_prom_header(&b, "graphcerts_http_open_connections", "gauge",
                       "Connections of the API listener open right now.") < 0 ||
        gc_prom_sample_u64(&b, "graphcerts_http_open_connections", NULL, 0,
                           adm->cfg.open_connections ? adm->cfg.open_connections(adm->cfg.open_connections_ctx) : 0) < 0) {
        gc_err_set(&err, GC_E_INTERNAL, "", "The metrics text exceeds %u bytes.", MAX_METRICS_TEXT);
        goto fail;
    }
    if (render_expiring(adm, &b, &err) < 0)
        goto fail;
    gc_arena_defer(req->arena, free, b.data);
    resp->status = 200;
    resp->content_type = METRICS_CT;
    resp->body = b.data;
    resp->body_len = b.len;
    return;
fail:
    gc_buf_free(&b);
    gc_log(GC_LOG_ERROR, req->request_id, "metrics: %s", err.message);
    send_error(req, resp, err.kind, "The metrics could not be gathered; see the server log.");
}

/* ---- dispatch ---- */

static void handle(void *ctx, const gc_http_req *req, gc_http_resp *resp)
{
    gc_admin *adm = ctx;
    bool readyz = strcmp(req->path, "/readyz") == 0, metrics = strcmp(req->path, "/metrics") == 0;
    if (!readyz && !metrics) {
        send_error(req, resp, GC_E_NOT_FOUND, "The admin listener serves only /readyz and /metrics.");
        return;
    }
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        send_error(req, resp, GC_E_METHOD, "Only GET is allowed here.");
        gc_http_resp_header(resp, "Allow", "GET");
        return;
    }
    if (metrics) {
        serve_metrics(adm, req, resp);
        return;
    }
    gc_err err;
    gc_err_clear(&err);
    if (gc_store_ping(adm->cfg.store, &err) < 0) {
        gc_log(GC_LOG_WARN, req->request_id, "readyz: the store does not answer: %s", err.message);
        send_error(req, resp, GC_E_UNAVAILABLE, err.message[0] ? err.message : "The store does not answer.");
        return;
    }
    static const char ready[] = "{\"status\":\"ready\"}";
    send_text(resp, req->arena, 200, "application/json", ready, sizeof ready - 1);
}

static void handle_error(void *ctx, const gc_http_req *req, gc_errkind kind, const char *message,
                         gc_http_resp *resp)
{
    send_error(req, resp, kind, message);
}

gc_http_handler gc_admin_http_handler(gc_admin *adm)
{
    return (gc_http_handler){.ctx = adm, .handle = handle, .error = handle_error};
}
