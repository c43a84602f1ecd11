/* Unit tests for src/core/crypto.c: the constant-time comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/crypto.h"

static void test_equal_const_time(void **state)
{
    (void)state;
    unsigned char a[24], b[24];
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = b[i] = (unsigned char)(i * 37 + 1);
    assert_true(gc_equal_const_time(a, b, 0));
    for (size_t n = 1; n <= 20; n++) {
        assert_true(gc_equal_const_time(a, b, n));
        for (size_t at = 0; at < n; at++) {
            b[at] ^= 0x80;
            assert_false(gc_equal_const_time(a, b, n));
            b[at] ^= 0x80;
        }
        b[n] ^= 1; /* a difference past n does not count */
        assert_true(gc_equal_const_time(a, b, n));
        b[n] ^= 1;
    }
}

/* The JSON string escaper against a byte-at-a-time reference: every byte that needs an escape
 * (below 0x20, '"', '\\'), at every offset of strings up to 24 bytes long (so at every place in
 * and across the 8-byte words it skips through), between plain ASCII and UTF-8 bytes. */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_const_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
