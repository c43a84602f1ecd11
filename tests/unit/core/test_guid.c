/* Unit tests for src/core/guid.c: the GUID check, v4 shape (both generators), v5 against the
 * RFC 9562 / Python uuid5 vector. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/guid.h"

/* ---- GUIDs ---- */

static void test_guid_valid(void **state)
{
    const char *g = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
    assert_true(gc_guid_valid(g, strlen(g)));
    assert_true(gc_guid_valid("6BA7B810-9DAD-11D1-80B4-00C04FD430C8", 36));
    assert_false(gc_guid_valid(g, 35));
    assert_false(gc_guid_valid("6ba7b810-9dad-11d1-80b4-00c04fd430c8a", 37));
    assert_false(gc_guid_valid("6ba7b8109-dad-11d1-80b4-00c04fd430c8", 36));
    assert_false(gc_guid_valid("6ba7b810-9dad-11d1-80b4-00c04fd430cg", 36));
    assert_false(gc_guid_valid("6ba7b810-9dad-11d1-80b4_00c04fd430c8", 36));
    assert_false(gc_guid_valid("{6ba7b810-9dad-11d1-80b4-00c04fd430c}", 38));
    assert_false(gc_guid_valid("", 0));
}

static void test_guid_v4(void **state)
{
    char g1[GC_GUID_LEN + 1], g2[GC_GUID_LEN + 1];
    gc_guid_v4(g1);
    gc_guid_v4(g2);
    assert_int_equal(strlen(g1), GC_GUID_LEN);
    assert_true(gc_guid_valid(g1, strlen(g1)));
    assert_int_equal(g1[14], '4');
    assert_non_null(strchr("89ab", g1[19]));
    for (const char *p = g1; *p; p++)
        assert_true(*p == '-' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));
    assert_string_not_equal(g1, g2);
}

static void test_guid_v4_fast(void **state)
{
    /* well-formed v4, and no repeats over many draws (the generator really advances) */
    enum { N = 2000 };
    static char seen[N][GC_GUID_LEN + 1];
    for (int i = 0; i < N; i++) {
        gc_guid_v4_fast(seen[i]);
        assert_true(gc_guid_valid(seen[i], strlen(seen[i])));
        assert_int_equal(seen[i][14], '4');
        assert_non_null(strchr("89ab", seen[i][19]));
    }
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            assert_string_not_equal(seen[i], seen[j]);
}

static void test_guid_v5(void **state)
{
    char out[GC_GUID_LEN + 1];
    assert_int_equal(gc_guid_v5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com", 15, out), 0);
    assert_string_equal(out, "2ed6657d-e927-568b-95e1-2665a8aea6a2");
    /* the namespace may be upper case; only name_len bytes of name count */
    assert_int_equal(
        gc_guid_v5("6BA7B810-9DAD-11D1-80B4-00C04FD430C8", "www.example.comXYZ", 15, out), 0);
    assert_string_equal(out, "2ed6657d-e927-568b-95e1-2665a8aea6a2");
    /* empty name in the URL namespace (Python: uuid5(NAMESPACE_URL, "")) */
    assert_int_equal(gc_guid_v5("6ba7b811-9dad-11d1-80b4-00c04fd430c8", "", 0, out), 0);
    assert_string_equal(out, "1b4db7eb-4057-5ddf-91e0-36dec72071f5");

    assert_int_equal(gc_guid_v5("not-a-guid", "x", 1, out), -1);
    assert_int_equal(gc_guid_v5("6ba7b810-9dad-11d1-80b4-00c04fd430c", "x", 1, out), -1);
    assert_int_equal(gc_guid_v5("6ba7b810-9dad-11d1-80b4-00c04fd430c8 ", "x", 1, out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guid_valid),
        cmocka_unit_test(test_guid_v4),
        cmocka_unit_test(test_guid_v4_fast),
        cmocka_unit_test(test_guid_v5),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
