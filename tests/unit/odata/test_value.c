/* Tests for src/odata/value.c: canonical values, merge, defaults, and each validation error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "odata/value.h"

static const gc_entity_type *user_pfx(void)
{
    return gc_schema_find_set("deviceManagement", "userPfxCertificates");
}

/* Applies body (JSON text) on create; returns the result and leaves the error in err. */
static int create(gc_arena *a, const gc_entity_type *t, const char *text, json_t **rec, gc_err *err)
{
    gc_err_clear(err);
    json_t *body = NULL;
    if (gc_odata_parse_body(a, (const unsigned char *)text, strlen(text), &body, err) < 0)
        return -1;
    *rec = gc_arena_json(a, json_object());
    return gc_odata_apply_body(t, body, *rec, true, NULL, NULL, a, err);
}

#define VALID_PFX                                                                                  \
    "\"thumbprint\":\"ABCDEF0123456789ABCDEF0123456789ABCDEF01\",\"userPrincipalName\":\"a@b.c\"," \
    "\"encryptedPfxBlob\":\"AAEC\",\"encryptedPfxPassword\":\"pw\""

static void test_create_canonical(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    json_t *rec;
    gc_err err;
    assert_int_equal(create(a, user_pfx(),
                            "{\"@odata.type\":\"#microsoft.management.services.api.userPFXCertificate\","
                            VALID_PFX ",\"paddingScheme\":\"OaepSha512\",\"intendedPurpose\":8,"
                            "\"createdDateTime\":\"2000-01-01T00:00:00Z\",\"id\":\"ignored\","
                            "\"startDateTime\":\"2024-01-01T00:00:00.1234567+02:00\"}",
                            &rec, &err),
                     0);
    assert_string_equal(json_string_value(json_object_get(rec, "thumbprint")),
                        "abcdef0123456789abcdef0123456789abcdef01");
    assert_string_equal(json_string_value(json_object_get(rec, "paddingScheme")), "oaepSha512");
    assert_string_equal(json_string_value(json_object_get(rec, "intendedPurpose")), "wifi");
    assert_string_equal(json_string_value(json_object_get(rec, "startDateTime")),
                        "2024-01-01T00:00:00.1234567+02:00");
    assert_string_equal(json_string_value(json_object_get(rec, "expirationDateTime")),
                        "0001-01-01T00:00:00Z");
    assert_true(json_is_null(json_object_get(rec, "providerName")));
    /* server-set and key properties are not taken from the client */
    assert_true(json_is_null(json_object_get(rec, "createdDateTime")));
    assert_null(json_object_get(rec, "id"));
    gc_arena_free(a);
}

static void expect_error(const char *body, gc_errkind kind, const char *message)
{
    gc_arena *a = gc_arena_new();
    json_t *rec;
    gc_err err;
    assert_int_equal(create(a, user_pfx(), body, &rec, &err), -1);
    assert_int_equal(err.kind, kind);
    assert_string_equal(err.message, message);
    gc_arena_free(a);
}

static void test_create_errors(void **state)
{
    (void)state;
    expect_error("{" VALID_PFX ",\"bogus\":1}", GC_E_BAD_REQUEST,
                 "The property 'bogus' does not exist on type 'microsoft.graph.userPFXCertificate'.");
    expect_error("{" VALID_PFX ",\"providerName\":5}", GC_E_BAD_REQUEST,
                 "Invalid value for property 'providerName' of type 'microsoft.graph.userPFXCertificate': "
                 "expected a string (Edm.String), got a number.");
    expect_error("{" VALID_PFX ",\"paddingScheme\":\"pkcs1\"}", GC_E_BAD_REQUEST,
                 "The value 'pkcs1' of property 'paddingScheme' is no longer supported; use oaepSha256, "
                 "oaepSha384, oaepSha512 or none.");
    expect_error("{" VALID_PFX ",\"paddingScheme\":2}", GC_E_BAD_REQUEST,
                 "The value 'oaepSha1' of property 'paddingScheme' is no longer supported; use oaepSha256, "
                 "oaepSha384, oaepSha512 or none.");
    expect_error("{" VALID_PFX ",\"intendedPurpose\":\"String\"}", GC_E_BAD_REQUEST,
                 "Invalid value 'String' for property 'intendedPurpose': expected one of the "
                 "userPfxIntendedPurpose members unassigned, smimeEncryption, smimeSigning, vpn, wifi.");
    expect_error("{" VALID_PFX ",\"startDateTime\":\"2024-13-01T00:00:00Z\"}", GC_E_BAD_REQUEST,
                 "The property 'startDateTime' must be a date and time with an offset, e.g. "
                 "2024-05-01T12:30:00Z or 2024-05-01T12:30:00.1234567-08:00 (Edm.DateTimeOffset).");
    expect_error("{\"thumbprint\":\"abc\",\"userPrincipalName\":\"a\",\"encryptedPfxBlob\":\"AA==\","
                 "\"encryptedPfxPassword\":\"p\"}",
                 GC_E_BAD_REQUEST,
                 "The property 'thumbprint' must be a SHA-1 thumbprint: exactly 40 hexadecimal digits.");
    expect_error("{\"thumbprint\":\"ABCDEF0123456789ABCDEF0123456789ABCDEF01\",\"userPrincipalName\":\"a\","
                 "\"encryptedPfxBlob\":\"not base64!\",\"encryptedPfxPassword\":\"p\"}",
                 GC_E_BAD_REQUEST, "The property 'encryptedPfxBlob' must be base64-encoded bytes (Edm.Binary).");
    expect_error("{\"thumbprint\":\"ABCDEF0123456789ABCDEF0123456789ABCDEF01\",\"userPrincipalName\":\"a\","
                 "\"encryptedPfxPassword\":\"p\"}",
                 GC_E_BAD_REQUEST, "The property 'encryptedPfxBlob' is required to create a userPFXCertificate.");
    expect_error("{" VALID_PFX ",\"@odata.type\":\"#microsoft.graph.enterpriseCodeSigningCertificate\"}",
                 GC_E_BAD_REQUEST,
                 "The @odata.type '#microsoft.graph.enterpriseCodeSigningCertificate' does not match this "
                 "set's type '#microsoft.graph.userPFXCertificate'.");
    expect_error("{" VALID_PFX ",\"intendedPurpose\":null}", GC_E_BAD_REQUEST,
                 "The property 'intendedPurpose' of type 'microsoft.graph.userPFXCertificate' cannot be null "
                 "(userPfxIntendedPurpose).");
    expect_error("{\"a\":1,\"a\":2}", GC_E_BAD_REQUEST,
                 "The request body is not valid JSON: a property appears twice (line 1, column 10).");
    expect_error("[1]", GC_E_BAD_REQUEST, "The request body must be a JSON object.");
    expect_error("{\"a\":", GC_E_BAD_REQUEST, "The request body is not valid JSON (line 1, column 5).");
    char deep[200] = "{\"a\":";
    memset(deep + 5, '[', 70); /* 70 levels after the object's own, NUL-terminated by the initialiser */
    expect_error(deep, GC_E_BAD_REQUEST, "The request body is nested more than 64 levels deep.");
}

static void test_int32_and_guid(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    const gc_entity_type *states =
        gc_schema_find_set("deviceManagement", "deviceConfigurationsAllManagedDeviceCertificateStates");
    const gc_entity_type *old = gc_schema_find_set(NULL, "pfxUserCertificates");
    json_t *rec;
    gc_err err;
    assert_int_equal(create(a, states, "{\"certificateKeyUsages\":4.0}", &rec, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(rec, "certificateKeyUsages")), 4);
    assert_int_equal(create(a, states, "{\"certificateKeyUsages\":2147483648}", &rec, &err), -1);
    assert_string_equal(err.target, "certificateKeyUsages");
    assert_int_equal(create(a, states, "{\"certificateKeyUsages\":1.5}", &rec, &err), -1);
    /* a real far outside Int64 (found by fuzzing: the cast was undefined) */
    assert_int_equal(create(a, states, "{\"certificateKeyUsages\":1e300}", &rec, &err), -1);
    assert_string_equal(err.message, "The property 'certificateKeyUsages' must be a whole number from "
                                     "-2147483648 to 2147483647 (Edm.Int32).");
    assert_int_equal(create(a, old, "{\"tenantId\":\"F9882BCD-2BCD-F988-CD2B-88F9CD2B88F9\"}", &rec, &err), 0);
    assert_string_equal(json_string_value(json_object_get(rec, "tenantId")),
                        "f9882bcd-2bcd-f988-cd2b-88f9cd2b88f9");
    assert_int_equal(create(a, old, "{\"userId\":\"nope\"}", &rec, &err), -1);
    assert_string_equal(err.target, "userId");
    gc_arena_free(a);
}

static void test_update_merge(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    json_t *rec;
    gc_err err;
    assert_int_equal(create(a, user_pfx(), "{" VALID_PFX "}", &rec, &err), 0);
    json_object_set_new(rec, "id", json_string("abc"));
    json_t *body;
    const char *patch = "{\"keyName\":\"k\",\"id\":\"ABC\"}";
    assert_int_equal(gc_odata_parse_body(a, (const unsigned char *)patch, strlen(patch), &body, &err), 0);
    assert_int_equal(gc_odata_apply_body(user_pfx(), body, rec, false, "abc", NULL, a, &err), 0);
    assert_string_equal(json_string_value(json_object_get(rec, "keyName")), "k");
    assert_string_equal(json_string_value(json_object_get(rec, "userPrincipalName")), "a@b.c");
    const char *other_id = "{\"id\":\"xyz\"}";
    assert_int_equal(gc_odata_parse_body(a, (const unsigned char *)other_id, strlen(other_id), &body, &err), 0);
    assert_int_equal(gc_odata_apply_body(user_pfx(), body, rec, false, "abc", NULL, a, &err), -1);
    assert_string_equal(err.message, "The property 'id' in the body does not match the id in the URL.");
    const char *new_upn = "{\"userPrincipalName\":\"other@b.c\"}";
    assert_int_equal(gc_odata_parse_body(a, (const unsigned char *)new_upn, strlen(new_upn), &body, &err), 0);
    assert_int_equal(gc_odata_apply_body(user_pfx(), body, rec, false, "abc", NULL, a, &err), -1);
    assert_string_equal(err.target, "userPrincipalName");
    gc_arena_free(a);
}

/* canonical value of the audit event's property name from JSON text: 0 and the dumped
 * canonical text in out, or -1 with err */
static int canon(gc_arena *a, const char *prop, const char *text, char **out, gc_err *err)
{
    const gc_entity_type *t = &gc_schema_audit_event;
    json_t *in = json_loads(text, JSON_DECODE_ANY, NULL);
    assert_non_null(in);
    gc_arena_json(a, in);
    json_t *v = NULL;
    gc_err_clear(err);
    int rc = gc_value_from_client(t, gc_schema_find_prop(t, prop), in, a, &v, NULL, err);
    if (rc == 0) {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
        *out = gc_arena_strdup(a, s);
        gc_json_text_free(s);
        json_decref(v);
    }
    return rc;
}

/* Complex values come out with every property of their type, in its order; collections element
 * by element; unknown members and wrong shapes are refused naming the property. */
static void test_complex_and_collection(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    gc_err err;
    char *out;
    assert_int_equal(canon(a, "actor", "{\"userId\":\"u\",\"userPermissions\":[\"A\",\"B\"],"
                                        "\"@odata.type\":\"microsoft.graph.auditActor\"}",
                           &out, &err), 0);
    assert_string_equal(out, "{\"type\":null,\"auditActorType\":null,\"userPermissions\":[\"A\",\"B\"],"
                             "\"applicationId\":null,\"applicationDisplayName\":null,"
                             "\"userPrincipalName\":null,\"servicePrincipalName\":null,"
                             "\"ipAddress\":null,\"userId\":\"u\"}");
    assert_int_equal(canon(a, "actor", "null", &out, &err), 0);
    assert_string_equal(out, "null");
    assert_int_equal(canon(a, "resources", "[{\"resourceId\":\"r\",\"modifiedProperties\":"
                                            "[{\"displayName\":\"p\"}]}]", &out, &err), 0);
    assert_string_equal(out, "[{\"displayName\":null,\"modifiedProperties\":[{\"displayName\":\"p\","
                             "\"oldValue\":null,\"newValue\":null}],\"type\":null,"
                             "\"auditResourceType\":null,\"resourceId\":\"r\"}]");
    assert_int_equal(canon(a, "resources", "[]", &out, &err), 0);
    assert_string_equal(out, "[]");

    assert_int_equal(canon(a, "resources", "null", &out, &err), -1); /* not nullable */
    assert_string_equal(err.target, "resources");
    assert_int_equal(canon(a, "resources", "{}", &out, &err), -1);
    assert_non_null(strstr(err.message, "expected an array"));
    assert_int_equal(canon(a, "resources", "[null]", &out, &err), -1);
    assert_int_equal(canon(a, "actor", "[]", &out, &err), -1);
    assert_non_null(strstr(err.message, "expected an object"));
    assert_int_equal(canon(a, "actor", "{\"nope\":1}", &out, &err), -1);
    assert_string_equal(err.message, "The property 'nope' does not exist on type 'microsoft.graph.auditActor'.");
    assert_int_equal(canon(a, "actor", "{\"userPermissions\":[1]}", &out, &err), -1);
    assert_string_equal(err.target, "userPermissions");
    assert_int_equal(canon(a, "actor", "{\"userId\":5}", &out, &err), -1);
    assert_string_equal(err.target, "userId");
    gc_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_canonical),
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_int32_and_guid),
        cmocka_unit_test(test_update_merge),
        cmocka_unit_test(test_complex_and_collection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
