/* The request pipeline: route → auth → permission → operation → response (see api.h). Every
 * entity type goes through the same code, driven by its schema table. */
#include "api/api.h"
#include "api/api_int.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/batch.h"
#include "api/metrics.h"
#include "api/skiptoken.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/util.h"
#include "odata/metadata.h"
#include "odata/path.h"
#include "odata/query.h"
#include "odata/serialize.h"
#include "odata/value.h"

#define UPDATE_RETRIES 8

/* ---- responses ---- */

void gc_api_set_body(req_ctx *c, int status, const char *content_type, char *body, size_t len)
{
    c->resp->status = status;
    c->resp->content_type = content_type;
    c->resp->body = body;
    c->resp->body_len = len;
}

void gc_api_send_json(req_ctx *c, int status, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!s) {
        gc_api_set_body(c, 500, NULL, NULL, 0);
        return;
    }
    gc_arena_defer(c->a, gc_json_text_free, s);
    gc_api_set_body(c, status, GC_ODATA_JSON_CT, s, strlen(s));
}

json_t *gc_api_error_json(const gc_http_req *req, const char *client_request_id, gc_errkind kind,
                          const char *message)
{
    char date[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    return json_pack("{s:{s:s,s:s,s:{s:s,s:s,s:s}}}", "error", "code", gc_err_graph_code(kind),
                     "message", message, "innerError", "date", date, "request-id", req->request_id,
                     "client-request-id", client_request_id);
}

/* Seconds a 503 asks the client to wait (Retry-After): the store's busy timeout has already
 * waited 10 s for a lock before one is answered, so the lock is rare and soon gone. */
#define RETRY_AFTER_SECONDS "1"

static bool has_resp_header(const gc_http_resp *resp, const char *name)
{
    for (size_t i = 0; i < resp->n_headers; i++)
        if (strcasecmp(resp->headers[i].name, name) == 0)
            return true;
    return false;
}

/* RFC 6750 section 3: a 401 names the Bearer scheme; when a bearer token was sent and refused,
 * error="invalid_token" and the reason (quotes and backslashes made safe for the header). */
static void bearer_challenge(req_ctx *c, const gc_err *err)
{
    const char *h = gc_http_req_header(c->req, "Authorization");
    while (h && *h == ' ')
        h++;
    if (!h || strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\0')) {
        gc_http_resp_header(c->resp, "WWW-Authenticate", "Bearer");
        return;
    }
    char why[sizeof err->message];
    size_t n = 0;
    for (const char *p = err->message; *p && n + 1 < sizeof why; p++)
        why[n++] = (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
                       ? '\''
                       : *p;
    why[n] = '\0';
    gc_http_resp_header(c->resp, "WWW-Authenticate",
                        gc_arena_concat(c->a, "Bearer error=\"invalid_token\", error_description=\"",
                                        why, "\"", (char *)NULL));
}

static void send_error(req_ctx *c, const gc_err *err)
{
    gc_errkind kind = err->kind == GC_OK ? GC_E_INTERNAL : err->kind;
    if (kind == GC_E_INTERNAL)
        gc_log(GC_LOG_ERROR, c->req->request_id, "internal error: %s", err->message);
    else /* error messages never hold a secret (err.h), so the reason can be logged as is */
        gc_log(GC_LOG_DEBUG, c->req->request_id, "refused with %d %s%s%s%s: %s",
               gc_err_http_status(kind), gc_err_graph_code(kind), err->target[0] ? " (" : "",
               err->target, err->target[0] ? ")" : "", err->message);
    if (kind == GC_E_UNAVAILABLE && !has_resp_header(c->resp, "Retry-After"))
        gc_http_resp_header(c->resp, "Retry-After", RETRY_AFTER_SECONDS);
    if (kind == GC_E_UNAUTHENTICATED)
        bearer_challenge(c, err);
    gc_api_send_json(c, gc_err_http_status(kind),
              gc_api_error_json(c->req, c->client_request_id, kind,
                         err->message[0] ? err->message : "An internal error occurred."));
}

static void common_headers(req_ctx *c)
{
    const char *crid = gc_http_req_header(c->req, "client-request-id");
    /* echo only a sane value: printable ASCII, bounded */
    bool ok = crid && *crid && strlen(crid) <= 128;
    for (const char *p = crid; ok && *p; p++)
        ok = *p > 0x20 && *p < 0x7f;
    c->client_request_id = ok ? crid : c->req->request_id;
    gc_http_resp_header(c->resp, "request-id", c->req->request_id);
    gc_http_resp_header(c->resp, "client-request-id", c->client_request_id);
    gc_http_resp_header(c->resp, "OData-Version", "4.0");
}

static const char *request_base(req_ctx *c)
{
    if (c->api->public_url)
        return c->api->public_url;
    const char *host = c->req->host && *c->req->host ? c->req->host : "localhost";
    return gc_arena_concat(c->a, c->req->scheme, "://", host, NULL);
}

const char *gc_api_context_url(req_ctx *c, bool entity)
{
    return gc_arena_concat(c->a, c->base, "/", c->route.version_name, "/$metadata#",
                           c->route.type->set_path,
                           gc_odata_select_suffix(c->a, c->q.select, c->q.n_select),
                           entity ? "/$entity" : "", NULL);
}

static const char *entity_url(req_ctx *c, const char *id)
{
    return gc_arena_concat(c->a, c->base, "/", c->route.version_name, "/", c->route.type->set_path,
                           "/", gc_odata_encode_segment(c->a, id), NULL);
}


/* Sends the JSON in b (handing its memory to the request's arena). */
int gc_api_send_buf(req_ctx *c, int status, gc_buf *b, gc_err *err)
{
    if (!b->data) {
        gc_buf_free(b);
        return gc_err_set(err, GC_E_INTERNAL, "", "The response is larger than %u bytes.", MAX_RESPONSE);
    }
    gc_arena_defer(c->a, free, b->data);
    gc_api_set_body(c, status, GC_ODATA_JSON_CT, b->data, b->len);
    return 0;
}

/* A record's values as write_entity takes them: in schema order when the store gave them so. */
const json_t *gc_api_wire_values(const gc_record *r)
{
    return r->vals ? r->vals : r->obj;
}

static int send_entity(req_ctx *c, int status, const gc_record *rec, gc_err *err)
{
    gc_buf b;
    gc_buf_init(&b, MAX_RESPONSE);
    gc_buf_reserve(&b, 4096);
    if (gc_odata_write_entity(&b, c->route.type, gc_api_wire_values(rec), rec->version,
                              gc_api_context_url(c, true), c->q.select, c->q.n_select) < 0) {
        gc_buf_free(&b);
        return gc_err_set(err, GC_E_INTERNAL, "", "The response is larger than %u bytes.", MAX_RESPONSE);
    }
    gc_http_resp_header(c->resp, "ETag", gc_odata_etag(c->a, rec->version));
    return gc_api_send_buf(c, status, &b, err);
}

/* ---- preconditions ---- */

/* True when the header's list of entity tags names version (or is "*"). Weak and strong forms
 * compare equal: our tags are weak, and clients send them back either way. */
static bool etag_list_matches(gc_arena *a, const char *header, int64_t version)
{
    char want[32];
    snprintf(want, sizeof want, "\"%" PRId64 "\"", version);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n == 1 && *p == '*')
            return true;
        const char *tag = p;
        if (n > 2 && strncmp(tag, "W/", 2) == 0) {
            tag += 2;
            n -= 2;
        }
        if (n == strlen(want) && strncmp(tag, want, n) == 0)
            return true;
        p += e ? (size_t)(e - p) : strlen(p);
    }
    (void)a;
    return false;
}

/* ---- the audit log ----
 * Every write and every refused authorisation becomes an Intune-style auditEvent of the
 * tenant (schema: gc_schema_audit_event). A write's event goes into the store with the write,
 * in its transaction (gc_store_*_with); a refusal's on its own. An event names who (the
 * token's application, user and permissions, the client's address), what (the operation, the
 * type, the entity's id and display name, the names of the properties the request set) and
 * how it ended; never a value the request sent, so never a secret. */

/* "" as JSON null, anything else as a string. */
static json_t *text_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

/* The client-request-id when it is a GUID (Graph's correlationId is an Edm.Guid), else the
 * request-id, lower case. */
static const char *correlation_id(req_ctx *c)
{
    const char *id = c->client_request_id;
    if (!id || !gc_guid_valid(id, strlen(id)))
        id = c->req->request_id;
    char *s = gc_arena_strdup(c->a, id);
    gc_str_lower(s);
    return s;
}

static json_t *audit_actor(req_ctx *c)
{
    const gc_principal *w = &c->who;
    json_t *perms = json_array();
    for (size_t i = 0; i < w->n_perms; i++)
        json_array_append_new(perms, json_string(w->perms[i]));
    /* a token with a signed-in user is an administrator's (Intune's "ItPro"); one without, an
     * application's */
    const char *kind = w->upn[0] ? "ItPro" : "Application";
    return json_pack("{s:s,s:s,s:o,s:o,s:n,s:o,s:n,s:o,s:o}", "type", kind, "auditActorType", kind,
                     "userPermissions", perms, "applicationId", text_or_null(w->app),
                     "applicationDisplayName", "userPrincipalName", text_or_null(w->upn),
                     "servicePrincipalName", "ipAddress", text_or_null(c->req->peer_addr),
                     "userId", text_or_null(w->user_id));
}

/* The names (never the values) of the properties of t that body sets. */
static json_t *modified_properties(const gc_entity_type *t, const json_t *body)
{
    json_t *arr = json_array();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v) {
        const gc_prop *p = gc_schema_find_prop(t, key);
        if (p && !(p->flags & (GC_P_KEY | GC_P_SERVER)))
            json_array_append_new(arr, json_pack("{s:s,s:n,s:n}", "displayName", p->name,
                                                 "oldValue", "newValue"));
    }
    return arr;
}

/* An auditEvent record of the route's type: operation ("Create", "Patch", "Delete", "Get"),
 * success or failure, the entity's id (NULL: the set) and its record (for the display name; may
 * be NULL), the request body (for the modified properties; may be NULL). Owned by the arena. */
static json_t *audit_event(req_ctx *c, const char *operation, bool ok, const char *id,
                           const json_t *rec, const json_t *body)
{
    const gc_entity_type *t = c->route.type;
    char guid[GC_GUID_LEN + 1], when[32];
    gc_guid_v4(guid);
    gc_datetime_format(gc_now_ticks(), when);
    const char *category = t->audit_category ? t->audit_category : "Other";
    const char *what = gc_arena_concat(c->a, operation, " ", t->name, NULL);
    const char *name = NULL;
    if (rec && t->audit_name && !(t->audit_name->flags & GC_P_SECRET))
        name = json_string_value(json_object_get(rec, t->audit_name->name));
    json_t *resource = json_pack(
        "{s:o,s:o,s:s,s:s,s:o}", "displayName", text_or_null(name), "modifiedProperties",
        body ? modified_properties(t, body) : json_array(), "type", t->name, "auditResourceType",
        gc_arena_concat(c->a, "microsoft.graph.", t->name, NULL), "resourceId", text_or_null(id));
    json_t *ev = json_pack("{s:s,s:s,s:s,s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:[o],s:s}", "id", guid,
                           "displayName", what, "componentName", category, "actor", audit_actor(c),
                           "activity", what, "activityDateTime", when, "activityType", what,
                           "activityOperationType", operation, "activityResult",
                           ok ? "Success" : "Failure", "correlationId", correlation_id(c),
                           "resources", resource, "category", category);
    return ev ? gc_arena_json(c->a, ev) : NULL;
}

/* The row that records a successful write of the route's type, to go into the store in the
 * write's transaction. Fails only when out of memory. */
static int audit_row(req_ctx *c, const char *operation, const char *id, const json_t *rec,
                     const json_t *body, gc_store_row *row, gc_err *err)
{
    row->type = &gc_schema_audit_event;
    row->obj = audit_event(c, operation, true, id, rec, body);
    if (!row->obj)
        return gc_err_set(err, GC_E_INTERNAL, "", "The audit event could not be made.");
    return 0;
}

/* Records a refused authorisation on its own; a failure to record it is logged, and the
 * refusal stands. */
static void audit_refusal(req_ctx *c, bool write)
{
    const char *m = c->req->method;
    const char *operation = !write ? "Get" : strcmp(m, "POST") == 0 ? "Create"
                                           : strcmp(m, "PATCH") == 0 ? "Patch" : "Delete";
    json_t *ev = audit_event(c, operation, false, c->route.key, NULL, NULL);
    gc_err err;
    gc_err_clear(&err);
    if (!ev || gc_store_insert(c->api->cfg.store, c->a, &gc_schema_audit_event, c->who.tenant, ev,
                               NULL, &err) < 0)
        gc_log(GC_LOG_ERROR, c->req->request_id, "the refused request's audit event was not recorded: %s",
               ev ? err.message : "out of memory");
}

/* ---- operations ---- */

static int require_json_body(req_ctx *c, json_t **body, gc_err *err)
{
    const char *ct = gc_http_req_header(c->req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0 || (ct[16] && ct[16] != ';' && ct[16] != ' '))
        return gc_err_set(err, GC_E_MEDIA_TYPE, "Content-Type",
                          "The request body must be sent with Content-Type: application/json.");
    return gc_odata_parse_body(c->a, c->req->body, c->req->body_len, body, err);
}


static int make_id(req_ctx *c, const json_t *rec, char **id, gc_err *err)
{
    const gc_entity_type *t = c->route.type;
    if (t->make_id)
        return t->make_id(t, rec, c->who.tenant, c->a, id, err);
    char g[GC_GUID_LEN + 1];
    gc_guid_v4(g);
    *id = gc_arena_strdup(c->a, g);
    return 0;
}

/* Sets server-stamped dates (remembering their stored values in memo) and runs the type's
 * hook. */
static int finish_record(req_ctx *c, const json_t *old, const json_t *body, json_t *next,
                         gc_value_memo *memo, gc_err *err)
{
    const gc_entity_type *t = c->route.type;
    int64_t now = gc_now_ticks();
    char stamp[32];
    gc_datetime_format_stamp(now, stamp);
    for (size_t i = 0; i < t->n_props; i++) {
        const gc_prop *p = &t->props[i];
        if ((p->flags & GC_P_STAMP_WRITE) || ((p->flags & GC_P_STAMP_CREATE) && !old)) {
            json_t *v = json_string(stamp);
            json_object_set_new(next, p->name, v);
            gc_value vals[] = {gc_value_text(json_string_value(v), json_string_length(v)),
                               gc_value_int(now)};
            gc_value_memo_set(memo, i, v, vals, 2, c->a);
        } else if ((p->flags & GC_P_STAMP_CREATE) && old)
            json_object_set(next, p->name, json_object_get(old, p->name));
    }
    if (t->hook && t->hook(t, old, body, next, now, c->a, err) < 0)
        return -1;
    return 0;
}

static int op_create(req_ctx *c, gc_err *err)
{
    const gc_entity_type *t = c->route.type;
    json_t *body;
    if (require_json_body(c, &body, err) < 0)
        return -1;
    json_t *rec = gc_arena_json(c->a, json_object());
    gc_value_memo *memo = gc_value_memo_new(t, c->a);
    if (gc_odata_apply_body(t, body, rec, true, NULL, memo, c->a, err) < 0)
        return -1;
    if (finish_record(c, NULL, body, rec, memo, err) < 0)
        return -1;
    char *id = NULL;
    if (make_id(c, rec, &id, err) < 0)
        return -1;
    /* the key goes first, as in the schema order */
    json_t *ordered = gc_arena_json(c->a, json_object());
    json_object_set_new(ordered, gc_schema_key(t)->name, json_string(id));
    json_object_update(ordered, rec);
    gc_record out = {.obj = ordered};
    gc_store_row audit;
    if (audit_row(c, "Create", id, ordered, body, &audit, err) < 0)
        return -1;
    if (gc_store_insert_with(c->api->cfg.store, c->a, t, c->who.tenant, ordered, memo, &audit,
                             &out.version, err) < 0) {
        if (err->kind == GC_E_CONFLICT)
            gc_err_set(err, GC_E_CONFLICT, "id", "A %s with id '%s' already exists.", t->name, id);
        return -1;
    }
    gc_http_resp_header(c->resp, "Location", entity_url(c, id));
    return send_entity(c, 201, &out, err);
}

static int op_get(req_ctx *c, gc_err *err)
{
    if (gc_api_parse_query(c, true, err) < 0)
        return -1;
    gc_record rec;
    if (gc_store_get(c->api->cfg.store, c->a, c->route.type, c->who.tenant, c->route.key,
                     GC_STORE_VALUES, &rec, err) < 0)
        return -1;
    const char *inm = gc_http_req_header(c->req, "If-None-Match");
    if (inm && etag_list_matches(c->a, inm, rec.version)) {
        gc_http_resp_header(c->resp, "ETag", gc_odata_etag(c->a, rec.version));
        gc_api_set_body(c, 304, NULL, NULL, 0);
        return 0;
    }
    return send_entity(c, 200, &rec, err);
}

static int check_if_match(req_ctx *c, const gc_record *cur, gc_err *err)
{
    const char *im = gc_http_req_header(c->req, "If-Match");
    if (im && !etag_list_matches(c->a, im, cur->version))
        return gc_err_set(err, GC_E_PRECONDITION, "If-Match",
                          "The entity has changed: its ETag is %s, not the one given in If-Match.",
                          gc_odata_etag(c->a, cur->version));
    return 0;
}

/* What an update reads of the stored entity. The write-only values only when it needs them: for
 * a type's hook, which may derive values from them, and when the body sets one, which must be
 * compared with the stored value (a secret left unread is null on both sides, so unchanged and
 * not written). */
static unsigned update_read_flags(const gc_entity_type *t, const json_t *body)
{
    if (t->hook)
        return GC_STORE_WITH_SECRETS;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v) {
        const gc_prop *p = gc_schema_find_prop(t, key);
        if (p && (p->flags & GC_P_SECRET))
            return GC_STORE_WITH_SECRETS;
    }
    return 0;
}

static int op_update(req_ctx *c, gc_err *err)
{
    const gc_entity_type *t = c->route.type;
    json_t *body;
    if (require_json_body(c, &body, err) < 0)
        return -1;
    unsigned flags = update_read_flags(t, body);
    for (int attempt = 0; attempt < UPDATE_RETRIES; attempt++) {
        gc_record cur;
        if (gc_store_get(c->api->cfg.store, c->a, t, c->who.tenant, c->route.key, flags, &cur,
                         err) < 0)
            return -1;
        if (check_if_match(c, &cur, err) < 0)
            return -1;
        const char *id = json_string_value(json_object_get(cur.obj, gc_schema_key(t)->name));
        json_t *next = gc_arena_json(c->a, json_deep_copy(cur.obj));
        gc_value_memo *memo = gc_value_memo_new(t, c->a);
        if (gc_odata_apply_body(t, body, next, false, id, memo, c->a, err) < 0)
            return -1;
        if (finish_record(c, cur.obj, body, next, memo, err) < 0)
            return -1;
        gc_record out = {.obj = next};
        gc_store_row audit;
        if (audit_row(c, "Patch", id, next, body, &audit, err) < 0)
            return -1;
        if (gc_store_update_with(c->api->cfg.store, c->a, t, c->who.tenant, id, cur.version, cur.obj,
                                 next, memo, &audit, &out.version, err) == 0) {
            return send_entity(c, 200, &out, err);
        }
        if (err->kind != GC_E_STALE)
            return -1;
        /* a concurrent write won: with If-Match that is the client's conflict, otherwise merge
         * onto the newer version */
        if (gc_http_req_header(c->req, "If-Match"))
            return gc_err_set(err, GC_E_PRECONDITION, "If-Match",
                              "The entity was changed by another request; read it again and retry.");
    }
    return gc_err_set(err, GC_E_UNAVAILABLE, "", "The entity is being changed by many requests at once; retry.");
}

static int op_delete(req_ctx *c, gc_err *err)
{
    const gc_entity_type *t = c->route.type;
    int64_t expect = 0;
    /* read first: for If-Match, and for the name the audit event gives the entity */
    gc_record cur;
    if (gc_store_get(c->api->cfg.store, c->a, t, c->who.tenant, c->route.key, 0, &cur, err) < 0)
        return -1;
    if (gc_http_req_header(c->req, "If-Match")) {
        if (check_if_match(c, &cur, err) < 0)
            return -1;
        expect = cur.version;
    }
    const char *id = json_string_value(json_object_get(cur.obj, gc_schema_key(t)->name));
    gc_store_row audit;
    if (audit_row(c, "Delete", id ? id : c->route.key, cur.obj, NULL, &audit, err) < 0)
        return -1;
    if (gc_store_remove_with(c->api->cfg.store, c->a, t, c->who.tenant, c->route.key, expect, &audit,
                             err) < 0) {
        if (err->kind == GC_E_STALE)
            gc_err_set(err, GC_E_PRECONDITION, "If-Match",
                       "The entity was changed by another request; read it again and retry.");
        return -1;
    }
    gc_api_set_body(c, 204, NULL, NULL, 0);
    return 0;
}

/* Parses the query options of a collection (or, with entity set, of one entity: only $select
 * applies there). */
int gc_api_parse_query(req_ctx *c, bool entity, gc_err *err)
{
    if (gc_odata_query_parse(c->a, c->route.type, c->req->query, c->route.version == GC_V_BETA,
                             entity, &c->q, err) < 0)
        return -1;
    if (c->q.select_all)
        c->q.n_select = 0;
    return 0;
}

static int op_metadata(req_ctx *c, gc_err *err)
{
    size_t len;
    char *xml = gc_odata_metadata_xml(c->a, c->route.version, &len);
    if (!xml)
        return gc_err_set(err, GC_E_INTERNAL, "", "The metadata document could not be made.");
    gc_api_set_body(c, 200, "application/xml;charset=utf-8", xml, len);
    return 0;
}

static int op_service_root(req_ctx *c, gc_err *err)
{
    (void)err;
    json_t *value = json_array();
    for (size_t i = 0; i < gc_schema_n_types; i++) {
        const gc_entity_type *t = gc_schema_types[i];
        if (!(t->versions & c->route.version))
            continue;
        /* each container (or root set) once, where it first appears */
        const char *name = t->container ? t->container : t->set_name;
        bool dup = false;
        for (size_t k = 0; k < i && !dup; k++) {
            const gc_entity_type *u = gc_schema_types[k];
            dup = (u->versions & c->route.version) &&
                  strcmp(u->container ? u->container : u->set_name, name) == 0;
        }
        if (dup)
            continue;
        json_array_append_new(value, json_pack("{s:s,s:s,s:s}", "name", name, "kind",
                                               t->container ? "Singleton" : "EntitySet", "url", name));
    }
    gc_api_send_json(c, 200, json_pack("{s:s,s:o}", "@odata.context",
                                gc_arena_printf(c->a, "%s/%s/$metadata", c->base, c->route.version_name),
                                "value", value));
    return 0;
}

static int handle_one(gc_api *api, const gc_http_req *req, gc_http_resp *resp);
static void handle_error(void *ctx, const gc_http_req *req, gc_errkind kind, const char *message,
                         gc_http_resp *resp);

static void run_inner(void *ctx, const gc_http_req *inner, gc_http_resp *out)
{
    gc_api *api = ctx;
    gc_route r;
    gc_err err;
    gc_err_clear(&err);
    if (gc_odata_parse_path(inner->arena, inner->path, &r, &err) == 0 && r.kind == GC_ROUTE_BATCH) {
        req_ctx c = {.api = api, .req = inner, .resp = out, .a = inner->arena};
        common_headers(&c);
        gc_err_set(&err, GC_E_BAD_REQUEST, "url", "A batch cannot contain another batch.");
        send_error(&c, &err);
        return;
    }
    (void)handle_one(api, inner, out);
}

static int op_batch(req_ctx *c, gc_err *err)
{
    const char *ct = gc_http_req_header(c->req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0)
        return gc_err_set(err, GC_E_MEDIA_TYPE, "Content-Type",
                          "The batch must be sent with Content-Type: application/json.");
    gc_http_handler h = {.ctx = c->api, .handle = run_inner, .error = handle_error};
    return gc_api_batch(c->req, c->route.version_name, &h, c->resp, err);
}

/* ---- dispatch ---- */

typedef int (*op_fn)(req_ctx *c, gc_err *err);

typedef struct route_ops {
    const char *allow; /* the Allow header */
    op_fn get, post, patch, del;
} route_ops;

static const route_ops ops_by_route[] = {
    [GC_ROUTE_HEALTH] = {"GET", NULL, NULL, NULL, NULL},
    [GC_ROUTE_ROOT] = {"GET", op_service_root, NULL, NULL, NULL},
    [GC_ROUTE_METADATA] = {"GET", op_metadata, NULL, NULL, NULL},
    [GC_ROUTE_BATCH] = {"POST", NULL, op_batch, NULL, NULL},
    [GC_ROUTE_USERS] = {"GET", gc_api_op_users, NULL, NULL, NULL},
    [GC_ROUTE_COLLECTION] = {"GET, POST", gc_api_op_list, op_create, NULL, NULL},
    [GC_ROUTE_COUNT] = {"GET", gc_api_op_count, NULL, NULL, NULL},
    [GC_ROUTE_ENTITY] = {"GET, PATCH, DELETE", op_get, NULL, op_update, op_delete},
};

/* The routes of a read-only set (t->read_only): reads only. */
static const route_ops read_only_collection = {"GET", gc_api_op_list, NULL, NULL, NULL};
static const route_ops read_only_entity = {"GET", op_get, NULL, NULL, NULL};

static const route_ops *route_ops_of(const gc_route *r)
{
    if (r->type && r->type->read_only && r->kind == GC_ROUTE_COLLECTION)
        return &read_only_collection;
    if (r->type && r->type->read_only && r->kind == GC_ROUTE_ENTITY)
        return &read_only_entity;
    return &ops_by_route[r->kind];
}

static int method_not_allowed(req_ctx *c, const route_ops *ro, gc_err *err)
{
    gc_http_resp_header(c->resp, "Allow", ro->allow);
    if (c->route.kind == GC_ROUTE_COLLECTION && strcmp(c->req->method, "PATCH") == 0 &&
        !c->route.type->read_only)
        return gc_err_set(err, GC_E_METHOD, "",
                          "PATCH updates one entity: address it by id, e.g. PATCH /%s/%s/{id}.",
                          c->route.version_name, c->route.type->set_path);
    if (c->route.type && c->route.type->read_only)
        return gc_err_set(err, GC_E_METHOD, "",
                          "The %s set is read-only (%s is not allowed); allowed: %s.",
                          c->route.type->set_name, c->req->method, ro->allow);
    return gc_err_set(err, GC_E_METHOD, "", "The method %s is not allowed here; allowed: %s.",
                      c->req->method, ro->allow);
}

static int authenticate(req_ctx *c, gc_err *err)
{
    if (gc_auth_verify(c->api->cfg.auth, c->a, gc_http_req_header(c->req, "Authorization"),
                       (int64_t)time(NULL), &c->who, err) < 0)
        return -1;
    c->resp->tenant = gc_arena_strdup(c->a, c->who.tenant);
    return 0;
}

/* The token's permissions against the route's type (routes without a type need only a valid
 * token). */
static int authorise(req_ctx *c, bool write, gc_err *err)
{
    const gc_entity_type *t = c->route.type;
    if (!t)
        return 0;
    const char *const *need = write ? t->write_perms : t->read_perms;
    if (gc_auth_has_any(&c->who, need))
        return 0;
    audit_refusal(c, write);
    char list[512] = "";
    size_t used = 0;
    for (size_t i = 0; need[i] && used < sizeof list; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", need[i]);
    return gc_err_set(err, GC_E_FORBIDDEN, "",
                      "Application must have one of the following scopes: %s", list);
}

/* Counts the request against the limits of the token's tenant and application (only after
 * authentication: an unauthenticated request has no tenant to trust). POST, PATCH, PUT and
 * DELETE are writes, except the $batch envelope: it counts as one request, and each inner
 * request counts by its own method as it runs. A refused request is not counted. */
static int throttle(req_ctx *c, bool batch, gc_err *err)
{
    if (!c->api->cfg.throttle)
        return 0;
    const char *m = c->req->method;
    bool write = !batch && (strcmp(m, "POST") == 0 || strcmp(m, "PATCH") == 0 ||
                            strcmp(m, "PUT") == 0 || strcmp(m, "DELETE") == 0);
    unsigned retry_after;
    if (gc_throttle_admit(c->api->cfg.throttle, c->who.tenant, c->who.app, write, &retry_after,
                          err) == 0)
        return 0;
    gc_http_resp_header(c->resp, "Retry-After", gc_arena_printf(c->a, "%u", retry_after));
    return -1;
}

/* Order: /healthz answers without a token (200 when the store answers a read, else 503), and so
 * do the service document and $metadata (as Graph's do); every other request is authenticated
 * before its path's error is told (so an unauthenticated client learns nothing, not even which
 * routes exist), then throttled (whether its path is valid or not), then its method and
 * permission checked. Sets *fn to the
 * operation to run (NULL for /healthz). This much needs no body, so it also runs before a body
 * is read (admit; count is false when admit ran already, so a request is counted once). */
static int route_request(req_ctx *c, bool count, op_fn *fn, gc_err *err)
{
    *fn = NULL;
    if (strcmp(c->req->path, "/healthz") == 0) {
        if (strcmp(c->req->method, "GET") != 0 && strcmp(c->req->method, "HEAD") != 0)
            return method_not_allowed(c, &ops_by_route[GC_ROUTE_HEALTH], err);
        c->metric_route = GC_METRICS_ROUTE_HEALTHZ;
        return 0;
    }
    gc_err path_err;
    gc_err_clear(&path_err);
    int parsed = gc_odata_parse_path(c->a, c->req->path, &c->route, &path_err);
    bool open = parsed == 0 && (c->route.kind == GC_ROUTE_ROOT || c->route.kind == GC_ROUTE_METADATA);
    if (!open && authenticate(c, err) < 0)
        return -1;
    if (count && !open && throttle(c, parsed == 0 && c->route.kind == GC_ROUTE_BATCH, err) < 0)
        return -1;
    if (parsed < 0) {
        *err = path_err;
        return -1;
    }
    c->metric_route = gc_api_metrics_route(&c->route);
    c->base = request_base(c);
    const route_ops *ro = route_ops_of(&c->route);
    const char *m = c->req->method;
    bool write = false;
    if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
        *fn = ro->get;
    else if (strcmp(m, "POST") == 0)
        *fn = ro->post, write = true;
    else if (strcmp(m, "PATCH") == 0)
        *fn = ro->patch, write = true;
    else if (strcmp(m, "DELETE") == 0)
        *fn = ro->del, write = true;
    if (!*fn)
        return method_not_allowed(c, ro, err);
    return authorise(c, write, err);
}

static int dispatch(req_ctx *c, gc_err *err)
{
    op_fn fn;
    if (route_request(c, !c->req->admitted, &fn, err) < 0)
        return -1;
    if (!fn) {
        gc_err why;
        gc_err_clear(&why);
        if (gc_store_ping(c->api->cfg.store, &why) < 0)
            return gc_err_set(err, GC_E_UNAVAILABLE, "", "%s", why.message);
        char *ok = gc_arena_strdup(c->a, "{\"status\":\"ok\"}");
        gc_api_set_body(c, 200, "application/json", ok, strlen(ok));
        return 0;
    }
    return fn(c, err);
}

/* One request, outer or inside a $batch; returns the route it was counted under. */
static int handle_one(gc_api *api, const gc_http_req *req, gc_http_resp *resp)
{
    req_ctx c = {.api = api, .req = req, .resp = resp, .a = req->arena,
                 .metric_route = GC_METRICS_ROUTE_UNKNOWN};
    common_headers(&c);
    gc_err err;
    gc_err_clear(&err);
    if (dispatch(&c, &err) < 0)
        send_error(&c, &err);
    return c.metric_route;
}

/* The HTTP entry point: the request is counted once, under its own route (a $batch under
 * "batch", not under the routes of the requests inside it). */
static void handle(void *ctx, const gc_http_req *req, gc_http_resp *resp)
{
    gc_api *api = ctx;
    uint64_t t0 = gc_metrics_now_ns();
    int route = handle_one(api, req, resp);
    gc_api_metrics_record(api->metrics, route, req->method, resp->status, gc_metrics_now_ns() - t0);
}

/* Before a body is read: the token, the route, the method and the permission. */
static bool admit(void *ctx, const gc_http_req *req, gc_http_resp *resp)
{
    req_ctx c = {.api = ctx, .req = req, .resp = resp, .a = req->arena};
    common_headers(&c);
    gc_err err;
    gc_err_clear(&err);
    op_fn fn;
    if (route_request(&c, true, &fn, &err) == 0)
        return true;
    send_error(&c, &err);
    return false;
}

static void handle_error(void *ctx, const gc_http_req *req, gc_errkind kind, const char *message,
                         gc_http_resp *resp)
{
    gc_api *api = ctx;
    req_ctx c = {.api = api, .req = req, .resp = resp, .a = req->arena};
    common_headers(&c);
    gc_err err;
    gc_err_set(&err, kind, "", "%s", message);
    send_error(&c, &err);
    gc_api_metrics_record(api->metrics, GC_METRICS_ROUTE_UNKNOWN, req->method, resp->status, 0);
}

int gc_api_new(const gc_api_config *cfg, gc_api **out, gc_err *err)
{
    gc_api *api = calloc(1, sizeof *api);
    if (!api)
        return gc_err_set(err, GC_E_INTERNAL, "", "Out of memory.");
    api->cfg = *cfg;
    if (!(api->metrics = gc_api_metrics_new())) {
        free(api);
        return gc_err_set(err, GC_E_INTERNAL, "", "Out of memory.");
    }
    if (!api->cfg.max_page_size)
        api->cfg.max_page_size = 1000;
    if (cfg->public_url && *cfg->public_url) {
        api->public_url = strdup(cfg->public_url);
        size_t n = strlen(api->public_url);
        while (n && api->public_url[n - 1] == '/')
            api->public_url[--n] = '\0';
    }
    api->cfg.public_url = api->public_url;
    if (cfg->skiptoken_key)
        memcpy(api->skiptoken_key, cfg->skiptoken_key, GC_SKIPTOKEN_KEY_LEN);
    else
        gc_random_bytes(api->skiptoken_key, GC_SKIPTOKEN_KEY_LEN);
    *out = api;
    return 0;
}

void gc_api_free(gc_api *api)
{
    if (!api)
        return;
    free(api->public_url);
    gc_api_metrics_free(api->metrics);
    free(api);
}

gc_api_metrics *gc_api_get_metrics(gc_api *api)
{
    return api->metrics;
}

gc_http_handler gc_api_http_handler(gc_api *api)
{
    return (gc_http_handler){.ctx = api, .handle = handle, .error = handle_error, .admit = admit};
}
