/* Fuzz target for entity bodies: parse, create/update validation of every type, its hook, the
 * entity writer. Byte 0 picks the type (low 4 bits) and update (bit 4); the rest is the body.
 * A refusal is a clean 400; an accepted record is complete, canonical (validating it again
 * changes nothing), keeps its id parts and masks secrets; and no outcome may change when only
 * the secret values do. GC_FUZZ_PRINT=1 prints each outcome (for writing seeds). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/util.h"
#include "fuzz.h"
#include "odata/serialize.h"
#include "odata/value.h"

#define NOW_TICKS INT64_C(638400000000000000) /* 2024-01-01 */
#define URL_ID "x-1"

static json_t *stored[16]; /* per type: a valid record as the store would hold it */

/* A valid client value for p, from its schema entry alone. */
static json_t *sample_value(const gc_prop *p)
{
    switch (p->type) {
    case GC_EDM_STRING:
        return json_string(p->flags & GC_P_THUMBPRINT ? "00112233445566778899AABBCCDDEEFF00112233"
                                                      : "someone@example.com");
    case GC_EDM_INT32: return json_integer(7);
    case GC_EDM_BOOLEAN: return json_true();
    case GC_EDM_GUID: return json_string("72F988BF-86F1-41AF-91AB-2D7CD011DB47");
    case GC_EDM_DATETIME: return json_string("2030-05-01T12:30:00.1234567-08:00");
    case GC_EDM_BINARY: return json_string("AQID");
    case GC_EDM_ENUM: return json_string(p->enum_type->members[p->enum_type->n_members - 1].name);
    case GC_EDM_COMPLEX:
    case GC_EDM__COUNT: return json_null();
    }
    return json_null();
}

/* Runs the type's hook as the api does after validation. */
static int run_hook(const gc_entity_type *t, const json_t *old, const json_t *body, json_t *next,
                    gc_arena *a, gc_err *err)
{
    return t->hook ? t->hook(t, old, body, next, NOW_TICKS, a, err) : 0;
}

static void make_stored(void)
{
    for (size_t i = 0; i < gc_schema_n_types; i++) {
        const gc_entity_type *t = gc_schema_types[i];
        gc_arena *a = gc_arena_new();
        gc_err err = {0};
        json_t *body = json_object(), *rec = json_object();
        for (size_t k = 0; k < t->n_props; k++)
            if (!(t->props[k].flags & GC_P_SERVER))
                json_object_set_new(body, t->props[k].name, sample_value(&t->props[k]));
        if (gc_odata_apply_body(t, body, rec, true, NULL, NULL, a, &err) < 0 ||
            run_hook(t, NULL, body, rec, a, &err) < 0) {
            fprintf(stderr, "fuzz_body: the sample %s is refused: %s\n", t->name, err.message);
            abort();
        }
        json_object_set_new(rec, gc_schema_key(t)->name, json_string(URL_ID));
        stored[i] = rec;
        json_decref(body);
        gc_arena_free(a);
    }
}

/* The body with every secret value replaced by another one that validates the same way (a
 * string of as many bytes; other bytes in valid base64, or an invalid text for invalid
 * base64). Validating it must answer exactly as for body: no outcome may depend on a secret. */
static json_t *twin_of(const gc_entity_type *t, const json_t *body, gc_arena *a)
{
    json_t *twin = gc_arena_json(a, json_deep_copy(body));
    for (size_t k = 0; k < t->n_props; k++) {
        const gc_prop *p = &t->props[k];
        json_t *v = json_object_get(twin, p->name);
        if (!(p->flags & GC_P_SECRET) || !json_is_string(v))
            continue;
        json_t *other;
        if (p->type == GC_EDM_BINARY) {
            unsigned char *bytes;
            size_t n;
            if (gc_base64_decode(a, json_string_value(v), json_string_length(v), &bytes, &n) == 0) {
                for (size_t i = 0; i < n; i++)
                    bytes[i] ^= 0xa5;
                other = json_string(gc_base64_encode(a, bytes, n));
            } else {
                other = json_string("*");
            }
        } else {
            size_t n = json_string_length(v);
            char *z = gc_arena_alloc(a, n + 1);
            memset(z, 'Z', n);
            other = json_stringn(z, n);
        }
        json_object_set_new(twin, p->name, other);
    }
    return twin;
}

static void check_refusal(const gc_err *err)
{
    size_t len = strlen(err->message);
    CHECK(err->kind == GC_E_BAD_REQUEST);
    CHECK(len > 0 && len < sizeof err->message - 1 && err->message[len - 1] == '.');
    json_t *m = json_string(err->message), *t = json_string(err->target); /* JSON-safe */
    CHECK(m && t);
    json_decref(m);
    json_decref(t);
}

static bool same_value(const gc_value *x, const gc_value *y)
{
    if (x->kind != y->kind || x->len != y->len)
        return false;
    if (x->kind == GC_VALUE_INT || x->kind == GC_VALUE_BOOL)
        return x->i == y->i;
    return x->kind == GC_VALUE_NULL || x->len == 0 || memcmp(x->p, y->p, x->len) == 0;
}

/* Every property present; every client-settable one canonical (a fixed point of validation);
 * every value memo remembers is what the store would make of the record's value. */
static void check_record(const gc_entity_type *t, const json_t *rec, const gc_value_memo *memo,
                         gc_arena *a)
{
    CHECK(json_object_size(rec) == t->n_props);
    for (size_t k = 0; k < t->n_props; k++) {
        const gc_prop *p = &t->props[k];
        json_t *v = json_object_get(rec, p->name);
        CHECK(v);
        const gc_value *known = gc_value_memo_get(memo, k, v);
        if (known && !json_is_null(v)) {
            gc_value made[GC_VALUE_MAX_WIDTH];
            gc_err err = {0};
            CHECK(gc_value_from_wire(p, v, a, made, &err) == 0);
            for (size_t w = 0; w < gc_value_width(p); w++)
                CHECK(same_value(&known[w], &made[w]));
        }
        if (p->flags & (GC_P_KEY | GC_P_SERVER))
            continue;
        json_t *again = NULL;
        gc_err err = {0};
        if (gc_value_from_client(t, p, v, a, &again, NULL, &err) < 0) {
            fprintf(stderr, "stored %s.%s is not valid: %s\n", t->name, p->name, err.message);
            abort();
        }
        CHECK(json_equal(v, again));
        json_decref(again);
    }
}

/* The record as a client reads it (appended to out): valid JSON with every secret masked. */
static void write_record(const gc_entity_type *t, const json_t *rec, gc_buf *out)
{
    size_t from = out->len;
    CHECK(gc_odata_write_entity(out, t, rec, 3, "https://x/$metadata#e/$entity", NULL, 0) == 0);
    json_error_t je;
    json_t *j = json_loadb(out->data + from, out->len - from, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        fprintf(stderr, "not JSON (%s): %.*s\n", je.text, (int)(out->len - from), out->data + from);
        abort();
    }
    for (size_t k = 0; k < t->n_props; k++) {
        const gc_prop *p = &t->props[k];
        if (!(p->flags & GC_P_SECRET))
            continue;
        json_t *masked = json_loads(p->masked, JSON_DECODE_ANY, NULL);
        CHECK(masked && json_equal(json_object_get(j, p->name), masked));
        json_decref(masked);
    }
    json_decref(j);
}

/* Validates body as a create or an update of t, runs the hook, checks and writes the record
 * into out (on success) or the error (on failure). */
static int run(size_t ti, bool update, const json_t *body, gc_arena *a, gc_err *err, gc_buf *out)
{
    const gc_entity_type *t = gc_schema_types[ti];
    const json_t *old = update ? stored[ti] : NULL;
    json_t *rec = gc_arena_json(a, update ? json_deep_copy(old) : json_object());
    gc_value_memo *memo = gc_value_memo_new(t, a);
    if (gc_odata_apply_body(t, body, rec, !update, update ? URL_ID : NULL, memo, a, err) < 0 ||
        run_hook(t, old, body, rec, a, err) < 0) {
        check_refusal(err);
        gc_buf_appendf(out, "%d %s %s", (int)err->kind, err->target, err->message);
        return -1;
    }
    if (!update)
        json_object_set_new(rec, gc_schema_key(t)->name, json_string(URL_ID));
    check_record(t, rec, memo, a);
    if (update) {
        CHECK(strcmp(json_string_value(json_object_get(rec, gc_schema_key(t)->name)), URL_ID) == 0);
        for (size_t k = 0; k < t->n_props; k++) {
            const gc_prop *p = &t->props[k];
            json_t *was = json_object_get(old, p->name), *now = json_object_get(rec, p->name);
            if (p->flags & GC_P_IMMUTABLE)
                CHECK(json_is_string(was) ? strcasecmp(json_string_value(was), json_string_value(now)) == 0
                                          : json_equal(was, now));
            if (p->flags & GC_P_SERVER)
                CHECK(json_equal(was, now));
        }
    }
    write_record(t, rec, out);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!stored[0])
        make_stored();
    if (size == 0)
        return 0;
    size_t ti = (size_t)(data[0] & 0x0f) % gc_schema_n_types;
    bool update = (data[0] >> 4) & 1;
    gc_arena *a = gc_arena_new();
    gc_err err = {0}, err2 = {0};
    json_t *body = NULL;
    if (gc_odata_parse_body(a, data + 1, size - 1, &body, &err) < 0) {
        check_refusal(&err);
        goto done;
    }
    gc_buf out, out2;
    gc_buf_init(&out, 4 * 1024 * 1024);
    gc_buf_init(&out2, 4 * 1024 * 1024);
    int r = run(ti, update, body, a, &err, &out);
    int r2 = run(ti, update, twin_of(gc_schema_types[ti], body, a), a, &err2, &out2);
    if (getenv("GC_FUZZ_PRINT")) /* for writing seeds: the outcome */
        printf("%s %s: %s\n", update ? "update" : "create", gc_schema_types[ti]->name,
               out.data ? out.data : "");
    CHECK(r == r2 && out.len == out2.len && (out.len == 0 || memcmp(out.data, out2.data, out.len) == 0));
    gc_buf_free(&out);
    gc_buf_free(&out2);
done:
    gc_arena_free(a);
    return 0;
}
