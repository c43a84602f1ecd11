/* Fuzz target for the request parsers a client reaches before any storage: the path router,
 * the query-option parser and the JSON body validator. Input: "PATH\nQUERY\nBODY". */

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "odata/path.h"
#include "odata/query.h"
#include "odata/value.h"

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
    gc_err err;
    if (gc_odata_parse_path(a, text, &r, &err) == 0 && r.type) {
        gc_odata_query q;
        (void)gc_odata_query_parse(a, r.type, query, r.version == GC_V_BETA, &q, &err);
        json_t *obj;
        if (gc_odata_parse_body(a, (const unsigned char *)body, strlen(body), &obj, &err) == 0) {
            json_t *rec = gc_arena_json(a, json_object());
            (void)gc_odata_apply_body(r.type, obj, rec, true, NULL, a, &err);
            json_t *upd = gc_arena_json(a, json_deep_copy(rec));
            (void)gc_odata_apply_body(r.type, obj, upd, false, "x", a, &err);
        }
    }
    gc_arena_free(a);
    return 0;
}
