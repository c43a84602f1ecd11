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
    refused(a, "thumbprint", "5", "Property 'thumbprint' must be a string.");
    refused(a, "expirationDateTime", "\"yesterday\"",
            "Property 'expirationDateTime' is not a valid date-time.");
    refused(a, "encryptedPfxBlob", "\"A\"", "Property 'encryptedPfxBlob' is not valid base64.");
    refused(a, "paddingScheme", "\"rot13\"",
            "Property 'paddingScheme' is not a member of its enumeration.");
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_stored_forms),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_flags_enum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
