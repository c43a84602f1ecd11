/* Unit tests for the schema's registry, generated at build time by src/schema/registry.cmake
 * from the GC_SCHEMA_REGISTER lines of src/schema/entities/: the order of every list (which is
 * the order of $metadata, the service document and the DDL), one set path, type name and table
 * for each stored type, the audit log last, and the directory's users left out. Adding a type
 * means adding its name here, at the place its key gives it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <strings.h>

#include "schema/schema.h"

#define N(arr) (sizeof(arr) / sizeof((arr)[0]))

static void test_entity_types_in_key_order(void **state)
{
    (void)state;
    static const char *const expected[][2] = {
        {"userPFXCertificate", "deviceManagement/userPfxCertificates"},
        {"managedAllDeviceCertificateState",
         "deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates"},
        {"enterpriseCodeSigningCertificate", "deviceAppManagement/enterpriseCodeSigningCertificates"},
        {"pfxUserCertificate", "pfxUserCertificates"},
        {"auditEvent", "deviceManagement/auditEvents"},
    };
    assert_int_equal(gc_schema_n_types, N(expected));
    for (size_t i = 0; i < N(expected); i++) {
        assert_string_equal(gc_schema_types[i]->name, expected[i][0]);
        assert_string_equal(gc_schema_types[i]->set_path, expected[i][1]);
    }
    assert_ptr_equal(gc_schema_types[gc_schema_n_types - 1], &gc_schema_audit_event);
}

static void test_enum_types_in_key_order(void **state)
{
    (void)state;
    static const char *const expected[] = {"userPfxIntendedPurpose", "userPfxPaddingScheme",
                                           "certificateRevocationStatus", "certificateStatus"};
    assert_int_equal(gc_schema_n_enums, N(expected));
    for (size_t i = 0; i < N(expected); i++)
        assert_string_equal(gc_schema_enums[i]->name, expected[i]);
}

static void test_complex_types_in_key_order(void **state)
{
    (void)state;
    static const char *const expected[] = {"auditProperty", "auditActor", "auditResource"};
    assert_int_equal(gc_schema_n_complex, N(expected));
    for (size_t i = 0; i < N(expected); i++)
        assert_string_equal(gc_schema_complex[i]->name, expected[i]);
}

/* Two types on one set path, one name or one table would shadow each other in routing,
 * $metadata or the store (all three are matched without regard to case). */
static void test_set_paths_names_and_tables_are_unique(void **state)
{
    (void)state;
    for (size_t i = 0; i < gc_schema_n_types; i++) {
        const gc_entity_type *t = gc_schema_types[i];
        assert_non_null(t->set_path);
        for (size_t k = 0; k < i; k++) {
            const gc_entity_type *u = gc_schema_types[k];
            assert_ptr_not_equal(t, u);
            if (strcasecmp(t->set_path, u->set_path) == 0 || strcasecmp(t->name, u->name) == 0 ||
                strcasecmp(t->table, u->table) == 0)
                fail_msg("%s and %s share a set path, a name or a table", t->name, u->name);
        }
        assert_ptr_equal(gc_schema_find_set(t->container, t->set_name), t);
    }
    for (size_t i = 0; i < gc_schema_n_enums; i++)
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(gc_schema_enums[i]->name, gc_schema_enums[k]->name);
    for (size_t i = 0; i < gc_schema_n_complex; i++)
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(gc_schema_complex[i]->name, gc_schema_complex[k]->name);
}

/* users are derived, not stored: no table, no place in the registry */
static void test_users_are_not_registered(void **state)
{
    (void)state;
    for (size_t i = 0; i < gc_schema_n_types; i++) {
        assert_ptr_not_equal(gc_schema_types[i], &gc_schema_user);
        assert_string_not_equal(gc_schema_types[i]->set_path, gc_schema_user.set_path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entity_types_in_key_order),
        cmocka_unit_test(test_enum_types_in_key_order),
        cmocka_unit_test(test_complex_types_in_key_order),
        cmocka_unit_test(test_set_paths_names_and_tables_are_unique),
        cmocka_unit_test(test_users_are_not_registered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
