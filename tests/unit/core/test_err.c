/* gc_err_set: every message and target it stores is valid UTF-8, whatever bytes the client sent
 * and wherever a limit cut them. */
#include "core/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

static void test_messages_are_valid_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain ascii", "plain ascii"},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91"},
        {"\xff\xfe", "??"},
        {"cut \xe2\x82", "cut ??"},   /* a character cut by truncation */
        {"\xc0\xaf", "??"},           /* overlong '/' */
        {"\xed\xa0\x80", "???"},      /* a UTF-16 surrogate */
        {"\xf4\x90\x80\x80", "????"}, /* past U+10FFFF */
        {"a\x80" "b", "a?b"},         /* a stray continuation byte */
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gc_err err;
        memset(&err, 0, sizeof err);
        assert_int_equal(gc_err_set(&err, GC_E_BAD_REQUEST, cases[i].in, "%s", cases[i].in), -1);
        assert_string_equal(err.message, cases[i].out);
        assert_string_equal(err.target, cases[i].out);
    }
}

static void test_truncation_inside_a_character(void **state)
{
    (void)state;
    /* fill the message so that the limit falls inside a 3-byte character */
    char long_text[sizeof(((gc_err *)0)->message) + 8];
    size_t cap = sizeof(((gc_err *)0)->message) - 1; /* bytes that fit before the NUL */
    memset(long_text, 'x', sizeof long_text);
    memcpy(long_text + cap - 1, "\xe2\x82\xac", 3);
    long_text[sizeof long_text - 1] = '\0';
    gc_err err;
    gc_err_set(&err, GC_E_BAD_REQUEST, NULL, "%s", long_text);
    assert_int_equal(strlen(err.message), cap);
    assert_int_equal((unsigned char)err.message[cap - 1], '?');
    assert_string_equal(err.target, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages_are_valid_utf8),
        cmocka_unit_test(test_truncation_inside_a_character),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
