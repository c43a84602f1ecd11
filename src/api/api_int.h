/* What the files of the api module share and no one else sees: the api record, one request's
 * context, the response helpers, and the operations that live outside api.c (the collection
 * read with its paging in list.c, the users lookup in users.c). */
#ifndef GC_API_API_INT_H
#define GC_API_API_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"
#include "api/metrics.h"
#include "api/skiptoken.h"
#include "auth/auth.h"
#include "core/util.h"
#include "odata/path.h"
#include "odata/query.h"

struct json_t;

/* Largest response body the server writes (a page of 1000 entities is ~1-4 MB). */
#define MAX_RESPONSE (256u << 20)

struct gc_api {
    gc_api_config cfg;
    char *public_url;
    unsigned char skiptoken_key[GC_SKIPTOKEN_KEY_LEN];
    gc_api_metrics *metrics;
};

typedef struct req_ctx {
    gc_api *api;
    const gc_http_req *req;
    gc_http_resp *resp;
    gc_arena *a;
    gc_route route;
    gc_principal who;
    const char *base; /* "https://host" without a trailing slash */
    const char *client_request_id;
    gc_odata_query q; /* the query options, parsed for routes that take them */
    int metric_route; /* GC_METRICS_ROUTE_*: the route as far as it is known */
} req_ctx;

/* The response: status, content type and body (owned by the request's arena, or NULL). */
void gc_api_set_body(req_ctx *c, int status, const char *content_type, char *body, size_t len);
/* Sends j as compact JSON (takes the reference). */
void gc_api_send_json(req_ctx *c, int status, struct json_t *j);
/* A Graph error envelope (a new reference): code, message, and the innerError with the date,
 * request-id and client-request-id. */
struct json_t *gc_api_error_json(const gc_http_req *req, const char *client_request_id,
                                 gc_errkind kind, const char *message);
/* Sends the JSON in b, handing its memory to the request's arena. */
int gc_api_send_buf(req_ctx *c, int status, gc_buf *b, gc_err *err);
/* The @odata.context URL of the route's set (entity: of one entity), with the $select suffix. */
const char *gc_api_context_url(req_ctx *c, bool entity);
/* Parses the query options of a collection (or, with entity set, of one entity). */
int gc_api_parse_query(req_ctx *c, bool entity, gc_err *err);
/* A record's values as gc_odata_write_entity takes them: in schema order when the store gave
 * them so. */
const struct json_t *gc_api_wire_values(const gc_record *r);

/* GET of a collection (paged) and of its $count (list.c); GET /users (users.c). */
int gc_api_op_list(req_ctx *c, gc_err *err);
int gc_api_op_count(req_ctx *c, gc_err *err);
int gc_api_op_users(req_ctx *c, gc_err *err);

#endif
