/* Unit tests of the typed value (src/schema/value.c): how each EDM type is stored (kind and
 * width), canonical wire JSON to stored values and back, and the refusals of values that
 * cannot be one of a property's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "schema/schema.h"
#include "schema/value.h"

static const gc_entity_type *upfx(void)
{
    return gc_schema_find_set("deviceManagement", "userPfxCertificates");
}

static const gc_prop *prop(const char *name)
{
    const gc_prop *p = gc_schema_find_prop(upfx(), name);
    assert_non_null(p);
    return p;
}

/* v (JSON text) → stored values → back to JSON: equal to v; the first value's kind is want. */
static void round_trip(gc_arena *a, const char *name, const char *v, gc_value_kind want)
{
    const gc_prop *p = prop(name);
    json_t *in = gc_arena_json(a, json_loads(v, JSON_DECODE_ANY, NULL));
    assert_non_null(in);
    gc_value out[2];
    gc_err err;
    gc_err_clear(&err);
    assert_int_equal(gc_value_from_wire(p, in, a, out, &err), 0);
    assert_int_equal(out[0].kind, want);
    assert_int_equal(out[0].kind, gc_value_stored_kind(p));
    json_t *back = gc_arena_json(a, gc_value_to_wire(p, &out[0], a));
    assert_non_null(back);
    assert_true(json_equal(back, in));
}

static void test_round_trips(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    round_trip(a, "thumbprint", "\"0123456789abcdef0123456789abcdef01234567\"", GC_VALUE_TEXT);
    round_trip(a, "intendedPurpose", "\"smimeSigning\"", GC_VALUE_INT);
    round_trip(a, "expirationDateTime", "\"2024-05-01T12:30:00.1234567-08:00\"", GC_VALUE_TEXT);
    round_trip(a, "encryptedPfxBlob", "\"AAECAwQ=\"", GC_VALUE_BLOB);
    gc_arena_free(a);
}

static void test_stored_forms(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    gc_value v[2];
    gc_err err;
    gc_err_clear(&err);
    /* a date-time is its text and its instant as ticks: two values */
    assert_int_equal(gc_value_width(prop("expirationDateTime")), 2);
    assert_int_equal(gc_value_width(prop("thumbprint")), 1);
    json_t *dt = gc_arena_json(a, json_string("0001-01-01T00:00:01+00:00"));
    assert_int_equal(gc_value_from_wire(prop("expirationDateTime"), dt, a, v, &err), 0);
    assert_int_equal(v[1].kind, GC_VALUE_INT);
    assert_int_equal(v[1].i, 10000000);
    /* an enum is its member's value, a binary its bytes */
    json_t *e = gc_arena_json(a, json_string("oaepSha256"));
    assert_int_equal(gc_value_from_wire(prop("paddingScheme"), e, a, v, &err), 0);
    assert_int_equal(v[0].i, 3);
    json_t *b = gc_arena_json(a, json_string("AAEC"));
    assert_int_equal(gc_value_from_wire(prop("encryptedPfxBlob"), b, a, v, &err), 0);
    assert_int_equal(v[0].len, 3);
    assert_memory_equal(v[0].p, "\x00\x01\x02", 3);
    gc_arena_free(a);
}

static void refused(gc_arena *a, const char *name, const char *v, const char *message)
{
    gc_value out[2];
    gc_err err;
    gc_err_clear(&err);
    json_t *in = gc_arena_json(a, json_loads(v, JSON_DECODE_ANY, NULL));
    assert_int_equal(gc_value_from_wire(prop(name), in, a, out, &err), -1);
    assert_int_equal(err.kind, GC_E_BAD_REQUEST);
    assert_string_equal(err.target, name);
    assert_string_equal(err.message, message);
}

static void test_refusals(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    refused(a, "thumbprint", "5",
            "Invalid value for property 'thumbprint': expected a string (Edm.String), got a number.");
    refused(a, "expirationDateTime", "\"yesterday\"",
            "The property 'expirationDateTime' must be a date and time with an offset, e.g. "
            "2024-05-01T12:30:00Z or 2024-05-01T12:30:00.1234567-08:00 (Edm.DateTimeOffset).");
    refused(a, "encryptedPfxBlob", "\"A\"",
            "The property 'encryptedPfxBlob' must be base64-encoded bytes (Edm.Binary).");
    refused(a, "paddingScheme", "\"rot13\"",
            "Invalid value 'rot13' for property 'paddingScheme': expected one of the "
            "userPfxPaddingScheme members none, pkcs1, oaepSha1, oaepSha256, oaepSha384, oaepSha512.");
    /* a stored value of the wrong kind has no wire form */
    gc_value text = {.kind = GC_VALUE_TEXT, .s = "x", .len = 1};
    assert_null(gc_value_to_wire(prop("paddingScheme"), &text, a));
    gc_value unknown = {.kind = GC_VALUE_INT, .i = 99};
    assert_null(gc_value_to_wire(prop("paddingScheme"), &unknown, a));
    gc_arena_free(a);
}

/* A flags enum (OData IsFlags), as deviceManagementDerivedCredentialNotificationType is. */
static const gc_enum_member notify_members[] = {{"none", 0}, {"companyPortal", 1}, {"email", 2}};
static const gc_enum_type notify = {"notificationType", notify_members, 3, true};
static const gc_prop notify_prop = {.name = "notificationType", .column = "notification_type",
                                    .type = GC_EDM_ENUM, .enum_type = &notify};

static void test_flags_enum(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    long v = -1;
    assert_int_equal(gc_enum_parse(&notify, "companyPortal,email", 19, &v), 0);
    assert_int_equal(v, 3);
    assert_int_equal(gc_enum_parse(&notify, "Email, companyportal", 20, &v), 0);
    assert_int_equal(v, 3);
    assert_int_equal(gc_enum_parse(&notify, "none", 4, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(gc_enum_parse(&notify, "email,", 6, &v), -1);
    assert_int_equal(gc_enum_parse(&notify, "fax", 3, &v), -1);
    assert_string_equal(gc_enum_format(&notify, 3, a), "companyPortal,email");
    assert_string_equal(gc_enum_format(&notify, 2, a), "email");
    assert_string_equal(gc_enum_format(&notify, 0, a), "none");
    assert_null(gc_enum_format(&notify, 4, a));
    assert_false(gc_enum_valid(&notify, -1));
    /* a plain enum takes one member only */
    const gc_prop *purpose = prop("intendedPurpose");
    assert_int_equal(gc_enum_parse(purpose->enum_type, "vpn,wifi", 8, &v), -1);
    assert_null(gc_enum_format(purpose->enum_type, 12, a));
    /* through the value model: stored as the OR of the bits, answered in member order */
    gc_value out[1];
    gc_err err;
    gc_err_clear(&err);
    json_t *in = gc_arena_json(a, json_string("email,companyPortal"));
    assert_int_equal(gc_value_from_wire(&notify_prop, in, a, out, &err), 0);
    assert_int_equal(out[0].kind, GC_VALUE_INT);
    assert_int_equal(out[0].i, 3);
    json_t *back = gc_arena_json(a, gc_value_to_wire(&notify_prop, out, a));
    assert_string_equal(json_string_value(back), "companyPortal,email");
    gc_arena_free(a);
}

/* One property of each EDM type, for the table's rows. */
static const gc_prop kinds_props[] = {
    {.name = "id", .column = "id", .type = GC_EDM_STRING, .flags = GC_P_KEY},
    {.name = "tp", .column = "tp", .type = GC_EDM_STRING, .flags = GC_P_LOWER | GC_P_THUMBPRINT},
    {.name = "n", .column = "n", .type = GC_EDM_INT32, .flags = GC_P_NULLABLE},
    {.name = "b", .column = "b", .type = GC_EDM_BOOLEAN},
    {.name = "g", .column = "g", .type = GC_EDM_GUID},
    {.name = "at", .column = "at", .type = GC_EDM_DATETIME},
    {.name = "bin", .column = "bin", .type = GC_EDM_BINARY},
    {.name = "e", .column = "e", .type = GC_EDM_ENUM, .enum_type = &notify},
    {.name = "many", .column = "many", .type = GC_EDM_STRING, .flags = GC_P_COLLECTION},
};
static const gc_entity_type kinds_type = {.name = "kinds", .table = "kinds", .props = kinds_props,
                                          .n_props = sizeof kinds_props / sizeof kinds_props[0]};

/* Client text in → canonical text out, in one pass, with the very values the store makes of
 * that canonical form (gc_value_from_wire). */
static void client(gc_arena *a, const char *name, const char *in, const char *want)
{
    const gc_prop *p = gc_schema_find_prop(&kinds_type, name);
    json_t *j = gc_arena_json(a, json_loads(in, JSON_DECODE_ANY, NULL));
    json_t *canon = NULL;
    gc_value vals[GC_VALUE_MAX_WIDTH], again[GC_VALUE_MAX_WIDTH];
    gc_err err;
    gc_err_clear(&err);
    assert_int_equal(gc_value_from_client(&kinds_type, p, j, a, &canon, vals, &err), 0);
    gc_arena_json(a, canon);
    char *text = json_dumps(canon, JSON_ENCODE_ANY | JSON_COMPACT);
    assert_string_equal(text, want);
    gc_json_text_free(text);
    if (json_is_null(canon)) {
        assert_int_equal(vals[0].kind, GC_VALUE_NULL);
        return;
    }
    assert_int_equal(gc_value_from_wire(p, canon, a, again, &err), 0);
    for (size_t i = 0; i < gc_value_width(p); i++) {
        assert_int_equal(vals[i].kind, again[i].kind);
        assert_int_equal(vals[i].len, again[i].len);
        if (vals[i].kind == GC_VALUE_INT)
            assert_true(vals[i].i == again[i].i);
        else if (vals[i].len)
            assert_memory_equal(vals[i].p, again[i].p, vals[i].len);
    }
}

static void test_client_values_in_one_pass(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    client(a, "tp", "\"00112233445566778899AABBCCDDEEFF00112233\"",
           "\"00112233445566778899aabbccddeeff00112233\"");
    client(a, "n", "5.0", "5");
    client(a, "n", "null", "null");
    client(a, "b", "false", "false");
    client(a, "g", "\"72F988BF-86F1-41AF-91AB-2D7CD011DB47\"", "\"72f988bf-86f1-41af-91ab-2d7cd011db47\"");
    client(a, "at", "\"2024-05-01T12:30:00.1234567-08:00\"", "\"2024-05-01T12:30:00.1234567-08:00\"");
    client(a, "bin", "\"AAEC\"", "\"AAEC\"");
    client(a, "e", "3", "\"companyPortal,email\"");
    client(a, "e", "\"microsoft.graph.notificationType'email'\"", "\"email\"");
    client(a, "many", "[\"x\",\"y\"]", "[\"x\",\"y\"]");
    /* the client's rules are the client's: a canonical value is not checked against them again */
    json_t *long_tp = gc_arena_json(a, json_string("not a thumbprint"));
    gc_value v[GC_VALUE_MAX_WIDTH];
    gc_err err;
    gc_err_clear(&err);
    assert_int_equal(gc_value_from_wire(&kinds_props[1], long_tp, a, v, &err), 0);
    json_t *canon = NULL;
    assert_int_equal(gc_value_from_client(&kinds_type, &kinds_props[1], long_tp, a, &canon, v, &err), -1);
    assert_string_equal(err.message,
                        "The property 'tp' must be a SHA-1 thumbprint: exactly 40 hexadecimal digits.");
    assert_int_equal(gc_value_from_client(&kinds_type, &kinds_props[3], json_null(), a, &canon, v, &err), -1);
    assert_string_equal(err.message,
                        "The property 'b' of type 'microsoft.graph.kinds' cannot be null (Edm.Boolean).");
    gc_arena_free(a);
}

static gc_literal_fit lit(gc_arena *a, const char *name, gc_literal l, gc_value *out)
{
    if (l.s && !l.len)
        l.len = strlen(l.s);
    if (l.type)
        l.type_len = strlen(l.type);
    return gc_value_from_literal(gc_schema_find_prop(&kinds_type, name), &l, a, out);
}

static void test_literals(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    gc_value v;
    assert_int_equal(lit(a, "tp", (gc_literal){.kind = GC_LIT_STRING, .s = "ab"}, &v), GC_LIT_FITS);
    assert_int_equal(v.kind, GC_VALUE_TEXT);
    assert_int_equal(lit(a, "tp", (gc_literal){.kind = GC_LIT_INT, .i = 1}, &v), GC_LIT_WRONG_TYPE);
    assert_int_equal(lit(a, "n", (gc_literal){.kind = GC_LIT_INT, .i = INT64_C(1) << 31}, &v),
                     GC_LIT_OUT_OF_RANGE);
    assert_int_equal(lit(a, "b", (gc_literal){.kind = GC_LIT_BOOL, .i = 1}, &v), GC_LIT_FITS);
    assert_int_equal(v.kind, GC_VALUE_BOOL);
    /* a GUID may come quoted; stored lower case */
    assert_int_equal(lit(a, "g", (gc_literal){.kind = GC_LIT_STRING,
                                               .s = "72F988BF-86F1-41AF-91AB-2D7CD011DB47"}, &v),
                     GC_LIT_FITS);
    assert_string_equal(v.s, "72f988bf-86f1-41af-91ab-2d7cd011db47");
    assert_int_equal(lit(a, "at", (gc_literal){.kind = GC_LIT_DATETIME, .i = 7}, &v), GC_LIT_FITS);
    assert_true(v.kind == GC_VALUE_INT && v.i == 7);
    assert_int_equal(lit(a, "bin", (gc_literal){.kind = GC_LIT_STRING, .s = "AA=="}, &v),
                     GC_LIT_WRONG_TYPE);
    assert_int_equal(lit(a, "e", (gc_literal){.kind = GC_LIT_STRING, .s = "email,companyPortal"}, &v),
                     GC_LIT_FITS);
    assert_true(v.i == 3);
    assert_int_equal(lit(a, "e", (gc_literal){.kind = GC_LIT_ENUM, .s = "email",
                                               .type = "microsoft.graph.notificationType"}, &v),
                     GC_LIT_FITS);
    assert_int_equal(lit(a, "e", (gc_literal){.kind = GC_LIT_ENUM, .s = "email",
                                               .type = "microsoft.graph.otherType"}, &v),
                     GC_LIT_OTHER_ENUM);
    assert_int_equal(lit(a, "e", (gc_literal){.kind = GC_LIT_INT, .i = 4}, &v), GC_LIT_NOT_MEMBER);
    assert_int_equal(lit(a, "e", (gc_literal){.kind = GC_LIT_STRING, .s = "fax"}, &v), GC_LIT_NOT_MEMBER);
    gc_arena_free(a);
}

static void test_edm_names(void **state)
{
    (void)state;
    const char *want[] = {"Edm.String", "Edm.String", "Edm.Int32", "Edm.Boolean", "Edm.Guid",
                          "Edm.DateTimeOffset", "Edm.Binary", "notificationType", "Edm.String"};
    for (size_t i = 0; i < kinds_type.n_props; i++)
        assert_string_equal(gc_value_edm_name(&kinds_props[i]), want[i]);
    assert_int_equal(gc_value_width(&kinds_props[5]), 2);
    assert_int_equal(gc_value_stored_kind(&kinds_props[6]), GC_VALUE_BLOB);
    assert_int_equal(gc_value_stored_kind(&kinds_props[8]), GC_VALUE_TEXT); /* JSON text */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_stored_forms),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_flags_enum),
        cmocka_unit_test(test_client_values_in_one_pass),
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_edm_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
