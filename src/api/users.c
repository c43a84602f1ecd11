/* GET /{version}/users: the directory lookup graphcerts answers itself. Users are not stored;
 * their ids are derived from the tenant and the UPN (gc_schema_user_id). */
#include "api/api_int.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define USERS_HINT                                                                                 \
    "graphcerts looks users up by UPN only: use $filter=userPrincipalName eq 'user@example.com' "   \
    "(or userPrincipalName in ('a@example.com','b@example.com'))."

/* GET /{version}/users?$filter=userPrincipalName eq '...' (or in (...)): the derived user ids,
 * so that clients building userPFXCertificate ids from a directory lookup get matching ones. */
int gc_api_op_users(req_ctx *c, gc_err *err)
{
    const gc_entity_type *t = &gc_schema_user;
    if (gc_odata_query_parse(c->a, t, c->req->query, c->route.version == GC_V_BETA, false, &c->q,
                             err) < 0) {
        if (!c->q.filter_invalid)
            return -1;
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        return gc_err_set(err, GC_E_BAD_REQUEST, "$filter", "%s " USERS_HINT, why);
    }
    const gc_filter *f = c->q.filter;
    const gc_filter *operand = f ? f->left : NULL;
    while (operand && (operand->kind == GC_FILTER_TOLOWER || operand->kind == GC_FILTER_TOUPPER))
        operand = operand->left;
    bool ok = f && operand && operand->kind == GC_FILTER_PROP &&
              ((f->kind == GC_FILTER_CMP && f->op == GC_FILTER_EQ) || f->kind == GC_FILTER_IN);
    for (size_t i = 0; ok && i < f->n_vals; i++)
        ok = f->vals[i].kind == GC_VALUE_TEXT;
    if (!ok)
        return gc_err_set(err, GC_E_BAD_REQUEST, "$filter", USERS_HINT);
    json_t *arr = json_array();
    for (size_t i = 0; i < f->n_vals; i++) {
        char *id;
        if (gc_schema_user_id(c->who.tenant, f->vals[i].s, f->vals[i].len, false, c->a, &id, err) < 0) {
            json_decref(arr);
            return -1;
        }
        json_array_append_new(arr, json_pack("{s:s,s:s%}", "id", id, "userPrincipalName",
                                             f->vals[i].s, f->vals[i].len));
    }
    json_t *o = json_pack("{s:s,s:o}", "@odata.context",
                          gc_arena_printf(c->a, "%s/%s/$metadata#users(id,userPrincipalName)", c->base,
                                          c->route.version_name),
                          "value", arr);
    gc_api_send_json(c, 200, o);
    return 0;
}
