/* Small accessors on the request and response records (request.h): header lookup on a
 * request, header append on a response. No allocation: strings stay owned by
 * whoever owns them (the request arena). */
#include "api/request.h"

#include "core/util.h"

const char *gc_http_req_header(const gc_http_req *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (gc_str_ieq(req->headers[i].name, name))
            return req->headers[i].value;
    return NULL;
}

void gc_http_resp_header(gc_http_resp *resp, const char *name, const char *value)
{
    if (resp->n_headers >= GC_HTTP_MAX_RESP_HEADERS)
        return;
    resp->headers[resp->n_headers].name = name;
    resp->headers[resp->n_headers].value = value;
    resp->n_headers++;
}
