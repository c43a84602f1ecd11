/* Tests for src/odata/path.c: routes, key forms, segment errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "odata/path.h"

static int parse(gc_arena *a, const char *p, gc_route *r, gc_err *err)
{
    gc_err_clear(err);
    return gc_odata_parse_path(a, p, r, err);
}

static void test_sets_and_keys(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    gc_route r;
    gc_err err;
    assert_int_equal(parse(a, "/beta/deviceManagement/userPfxCertificates", &r, &err), 0);
    assert_int_equal(r.kind, GC_ROUTE_COLLECTION);
    assert_string_equal(r.type->name, "userPFXCertificate");
    assert_string_equal(r.version_name, "beta");

    const char *forms[] = {"/beta/deviceManagement/userPfxCertificates/ab-c%27d",
                           "/beta/deviceManagement/userPfxCertificates('ab-c''d')",
                           "/beta/deviceManagement/userPfxCertificates(ab-c%27d)"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(parse(a, forms[i], &r, &err), i == 2 ? -1 : 0);
        if (i < 2) {
            assert_int_equal(r.kind, GC_ROUTE_ENTITY);
            assert_string_equal(r.key, "ab-c'd");
        }
    }
    assert_int_equal(parse(a, "/beta/deviceManagement/userPfxCertificates(abc)", &r, &err), 0);
    assert_string_equal(r.key, "abc");
    assert_int_equal(parse(a, "/beta/deviceManagement/userPfxCertificates/$count", &r, &err), 0);
    assert_int_equal(r.kind, GC_ROUTE_COUNT);
    assert_int_equal(parse(a, "/beta/pfxUserCertificates('x')", &r, &err), 0);
    assert_int_equal(r.kind, GC_ROUTE_ENTITY);
    assert_string_equal(r.type->name, "pfxUserCertificate");
    assert_int_equal(parse(a, "/v1.0/deviceAppManagement/enterpriseCodeSigningCertificates", &r, &err), 0);
    assert_int_equal(r.version, GC_V_V1);
    /* segment names are case-insensitive, as in Graph */
    assert_int_equal(parse(a, "/BETA/devicemanagement/USERPFXCERTIFICATES/", &r, &err), 0);
    assert_int_equal(r.kind, GC_ROUTE_COLLECTION);
    gc_arena_free(a);
}

static void test_other_routes(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    gc_route r;
    gc_err err;
    assert_int_equal(parse(a, "/healthz", &r, &err), 0);
    assert_int_equal(r.kind, GC_ROUTE_HEALTH);
    assert_int_equal(parse(a, "/beta/$metadata", &r, &err), 0);
    assert_int_equal(r.kind, GC_ROUTE_METADATA);
    assert_int_equal(parse(a, "/v1.0/$batch", &r, &err), 0);
    assert_int_equal(r.kind, GC_ROUTE_BATCH);
    assert_int_equal(parse(a, "/beta/users", &r, &err), 0);
    assert_int_equal(r.kind, GC_ROUTE_USERS);
    assert_int_equal(parse(a, "/beta", &r, &err), 0);
    assert_int_equal(r.kind, GC_ROUTE_ROOT);
    gc_arena_free(a);
}

static void test_errors(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    gc_route r;
    gc_err err;
    assert_int_equal(parse(a, "/v2.0/deviceManagement/userPfxCertificates", &r, &err), -1);
    assert_int_equal(err.kind, GC_E_NOT_FOUND);
    assert_int_equal(parse(a, "/beta/deviceManagement/nope", &r, &err), -1);
    assert_int_equal(err.kind, GC_E_BAD_REQUEST);
    assert_string_equal(err.message, "Resource not found for the segment 'nope'.");
    assert_int_equal(parse(a, "/v1.0/deviceManagement/userPfxCertificates", &r, &err), -1);
    assert_string_equal(err.message, "Resource not found for the segment 'userPfxCertificates'.");
    assert_int_equal(parse(a, "/beta/deviceManagement", &r, &err), -1);
    assert_string_equal(err.message, "Resource not found for the segment 'deviceManagement'.");
    assert_int_equal(parse(a, "/beta/deviceManagement/userPfxCertificates/x/extra", &r, &err), -1);
    assert_string_equal(err.message, "Resource not found for the segment 'extra'.");
    assert_int_equal(parse(a, "/beta/deviceManagement/userPfxCertificates/%zz", &r, &err), -1);
    assert_int_equal(err.kind, GC_E_BAD_REQUEST);
    assert_int_equal(parse(a, "/beta/deviceManagement/userPfxCertificates/a%00b", &r, &err), -1);
    assert_int_equal(parse(a, "/beta/deviceManagement/userPfxCertificates('a'b')", &r, &err), -1);
    assert_int_equal(parse(a, "/beta/deviceManagement/userPfxCertificates('abc'", &r, &err), -1);
    gc_arena_free(a);
}

static void test_encode_segment(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    assert_string_equal(gc_odata_encode_segment(a, "ab-c_d.e~f"), "ab-c_d.e~f");
    assert_string_equal(gc_odata_encode_segment(a, "a b/c'"), "a%20b%2Fc%27");
    gc_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sets_and_keys),
        cmocka_unit_test(test_other_routes),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_encode_segment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
