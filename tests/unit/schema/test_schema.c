/* Unit tests for src/schema: the invariants the rest of the server relies on, checked over every
 * table — complex values and collections (stored as JSON text) are never queried, complex
 * types nest only types declared before them, an audited type names its records by a property
 * that is never a secret, and the audit log is a read-only set nobody may write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "schema/schema.h"
#include "schema/value.h"

static void check_json_props(const gc_prop *props, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const gc_prop *p = &props[i];
        if (p->type == GC_EDM_COMPLEX)
            assert_non_null(p->complex);
        if (gc_schema_is_json(p))
            assert_int_equal(p->flags & (GC_P_FILTER | GC_P_SORT | GC_P_INDEX | GC_P_KEY | GC_P_SECRET), 0);
    }
}

static void test_json_properties_are_never_queried(void **state)
{
    (void)state;
    for (size_t i = 0; i < gc_schema_n_types; i++)
        check_json_props(gc_schema_types[i]->props, gc_schema_types[i]->n_props);
    for (size_t i = 0; i < gc_schema_n_complex; i++)
        check_json_props(gc_schema_complex[i]->props, gc_schema_complex[i]->n_props);
    const gc_prop *actor = gc_schema_find_prop(&gc_schema_audit_event, "actor");
    const gc_prop *resources = gc_schema_find_prop(&gc_schema_audit_event, "resources");
    const gc_prop *category = gc_schema_find_prop(&gc_schema_audit_event, "category");
    assert_true(gc_schema_is_json(actor));
    assert_true(gc_schema_is_json(resources));
    assert_false(gc_schema_is_json(category));
    assert_string_equal(gc_value_edm_name(actor), "auditActor");
    assert_string_equal(gc_value_edm_name(resources), "auditResource");
    assert_true(resources->flags & GC_P_COLLECTION);
}

static void test_complex_types_nest_only_earlier_ones(void **state)
{
    (void)state;
    for (size_t i = 0; i < gc_schema_n_complex; i++) {
        const gc_complex_type *c = gc_schema_complex[i];
        for (size_t j = 0; j < c->n_props; j++) {
            const gc_prop *p = &c->props[j];
            assert_null(p->column);
            if (p->type != GC_EDM_COMPLEX)
                continue;
            bool earlier = false;
            for (size_t k = 0; k < i; k++)
                earlier |= gc_schema_complex[k] == p->complex;
            assert_true(earlier);
        }
    }
}

static void test_audited_types_name_records_without_secrets(void **state)
{
    (void)state;
    size_t audited = 0;
    for (size_t i = 0; i < gc_schema_n_types; i++) {
        const gc_entity_type *t = gc_schema_types[i];
        if (t->read_only) {
            assert_null(t->audit_category);
            continue;
        }
        /* every writable set is audited */
        assert_non_null(t->audit_category);
        audited++;
        if (!t->audit_name)
            continue;
        assert_true(t->audit_name >= t->props && t->audit_name < t->props + t->n_props);
        assert_int_equal(t->audit_name->flags & GC_P_SECRET, 0);
        assert_int_equal(t->audit_name->type, GC_EDM_STRING);
    }
    assert_int_equal(audited, 4);
}

static void test_audit_log_is_read_only(void **state)
{
    (void)state;
    const gc_entity_type *t = gc_schema_find_set("deviceManagement", "auditEvents");
    assert_ptr_equal(t, &gc_schema_audit_event);
    assert_true(t->read_only);
    assert_null(t->write_perms[0]);
    assert_string_equal(t->read_perms[0], "DeviceManagementApps.Read.All");
    assert_string_equal(t->read_perms[1], "DeviceManagementApps.ReadWrite.All");
    assert_null(t->read_perms[2]);
    assert_string_equal(gc_schema_key(t)->name, "id");
    assert_true(gc_schema_find_prop(t, "activityDateTime")->flags & GC_P_INDEX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_properties_are_never_queried),
        cmocka_unit_test(test_complex_types_nest_only_earlier_ones),
        cmocka_unit_test(test_audited_types_name_records_without_secrets),
        cmocka_unit_test(test_audit_log_is_read_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
