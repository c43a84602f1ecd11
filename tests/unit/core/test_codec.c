/* Unit tests for src/core/codec.c: base64 (RFC 4648 vectors, strict decoding), hex, ASCII
 * string helpers, decimal formatting and the 64-bit hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/codec.h"
#include "core/arena.h"

/* ---- base64 ---- */

static const struct {
    const char *plain, *b64;
} rfc4648[] = {
    {"", ""},           {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

static void test_base64_encode_vectors(void **state)
{
    gc_arena *a = gc_arena_new();
    for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
        const char *p = rfc4648[i].plain;
        assert_string_equal(gc_base64_encode(a, (const unsigned char *)p, strlen(p)), rfc4648[i].b64);
    }
    const unsigned char hi[] = {0xfb, 0xff, 0xbf};
    assert_string_equal(gc_base64_encode(a, hi, 3), "+/+/");
    assert_string_equal(gc_base64url_encode(a, hi, 3), "-_-_");
    assert_string_equal(gc_base64url_encode(a, (const unsigned char *)"f", 1), "Zg");
    assert_string_equal(gc_base64url_encode(a, (const unsigned char *)"fo", 2), "Zm8");
    assert_string_equal(gc_base64url_encode(a, (const unsigned char *)"", 0), "");
    gc_arena_free(a);
}

static void expect_decode(gc_arena *a, const char *in, const void *want, size_t want_len)
{
    unsigned char *out = NULL;
    size_t out_len = 12345;
    assert_int_equal(gc_base64_decode(a, in, strlen(in), &out, &out_len), 0);
    assert_non_null(out);
    assert_int_equal(out_len, want_len);
    assert_memory_equal(out, want, want_len);
    assert_int_equal(out[out_len], '\0');
}

static void test_base64_decode_vectors(void **state)
{
    gc_arena *a = gc_arena_new();
    for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++)
        expect_decode(a, rfc4648[i].b64, rfc4648[i].plain, strlen(rfc4648[i].plain));
    /* unpadded */
    expect_decode(a, "Zg", "f", 1);
    expect_decode(a, "Zm8", "fo", 2);
    expect_decode(a, "Zm9vYmE", "fooba", 5);
    /* both alphabets */
    const unsigned char hi[] = {0xfb, 0xff, 0xbf};
    expect_decode(a, "+/+/", hi, 3);
    expect_decode(a, "-_-_", hi, 3);
    /* binary round trip through both encoders */
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    for (size_t n = 0; n <= sizeof all; n += 37) {
        expect_decode(a, gc_base64_encode(a, all, n), all, n);
        expect_decode(a, gc_base64url_encode(a, all, n), all, n);
    }
    gc_arena_free(a);
}

static void test_base64_decode_rejects(void **state)
{
    static const char *bad[] = {
        "Z",        /* length 1 mod 4 */
        "Zm9vY",    /* length 1 mod 4 */
        "Zg=",      /* padded but not a multiple of 4 */
        "Zg===",    /* too much padding */
        "Z===",     /* too much padding */
        "====",     /* nothing but padding */
        "=",        /* nothing but padding */
        "Zg==Zg==", /* padding in the middle */
        "Zm=v",     /* padding in the middle */
        "Zm9v\n",   /* whitespace */
        "Zm 9v",    /* whitespace */
        " Zm9v",    /* whitespace */
        "Zm9v!A==", /* bad character */
        "Zm9v.A==", /* bad character */
        "\xc3\xa9Zm",
    };
    gc_arena *a = gc_arena_new();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned char *out = NULL;
        size_t out_len = 0;
        if (gc_base64_decode(a, bad[i], strlen(bad[i]), &out, &out_len) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    /* an embedded NUL is a bad character, not the end of input */
    unsigned char *out = NULL;
    size_t out_len = 0;
    assert_int_equal(gc_base64_decode(a, "Zm9v\0AAA", 8, &out, &out_len), -1);
    gc_arena_free(a);
}

static void test_base64_decode_empty(void **state)
{
    gc_arena *a = gc_arena_new();
    unsigned char *out = NULL;
    size_t out_len = 99;
    assert_int_equal(gc_base64_decode(a, "", 0, &out, &out_len), 0);
    assert_int_equal(out_len, 0);
    assert_non_null(out);
    assert_int_equal(out[0], '\0');
    gc_arena_free(a);
}

/* ---- hex ---- */

static void test_hex(void **state)
{
    const unsigned char b[] = {0x00, 0x01, 0xab, 0xcd, 0xef, 0xff};
    char out[2 * sizeof b + 1];
    memset(out, 'x', sizeof out);
    gc_hex_lower(b, sizeof b, out);
    assert_string_equal(out, "0001abcdefff");
    gc_hex_lower(b, 0, out);
    assert_string_equal(out, "");

    assert_true(gc_is_hex("0123456789abcdefABCDEF", 22));
    assert_true(gc_is_hex("zz0f", 0) == false);
    assert_true(gc_is_hex("0fzz", 2));
    assert_false(gc_is_hex("0fzz", 3));
    assert_false(gc_is_hex("0g", 2));
    assert_false(gc_is_hex("0 ", 2));
}

/* ---- strings ---- */

static void test_strings(void **state)
{
    assert_true(gc_str_ieq("", ""));
    assert_true(gc_str_ieq("Content-Type", "content-TYPE"));
    assert_true(gc_str_ieq("a1-_Z", "A1-_z"));
    assert_false(gc_str_ieq("abc", "abd"));
    assert_false(gc_str_ieq("abc", "ab"));
    assert_false(gc_str_ieq("ab", "abc"));
    assert_false(gc_str_ieq("@", "`")); /* neighbours of the letter ranges are not letters */
    assert_false(gc_str_ieq("[", "{"));
    assert_false(gc_str_ieq("\xc3\x89", "\xc3\xa9")); /* ASCII only */

    char s[] = "Hello, WORLD @[`{ \xc3\x89";
    gc_str_lower(s);
    assert_string_equal(s, "hello, world @[`{ \xc3\x89");
    char e[] = "";
    gc_str_lower(e);
    assert_string_equal(e, "");
}

static void test_fmt_i64(void **state)
{
    (void)state;
    int64_t vals[] = {0, 1, -1, 9, 10, -10, 99, 100, 1234567890123456789LL, INT64_MAX, INT64_MIN,
                      INT64_MIN + 1, 1763781435000000LL};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        char want[32], got[21];
        int n = snprintf(want, sizeof want, "%lld", (long long)vals[i]);
        assert_int_equal(gc_fmt_i64(got, vals[i]), (size_t)n);
        assert_string_equal(got, want);
    }
    for (int64_t v = 1; v < INT64_MAX / 10; v = v * 10 + 7) {
        char want[32], got[21];
        snprintf(want, sizeof want, "%lld", (long long)v);
        gc_fmt_i64(got, v);
        assert_string_equal(got, want);
    }
}

static void test_hash64(void **state)
{
    (void)state;
    const char text[] = "SELECT \"tenant\", \"id\" FROM \"user_pfx_certificates\"";
    for (size_t n = 0; n <= 17; n++) {
        char *copy = malloc(n ? n : 1);
        memcpy(copy, text, n);
        uint64_t h = gc_hash64(7, copy, n);
        assert_true(h == gc_hash64(7, text, n));
        assert_true(h != gc_hash64(8, copy, n));
        if (n > 0) {
            for (size_t i = 0; i < n; i++) {
                copy[i] ^= 1;
                assert_true(gc_hash64(7, copy, n) != h);
                copy[i] ^= 1;
            }
            assert_true(gc_hash64(7, text, n - 1) != h); /* the length counts */
        }
        free(copy);
    }
}

/* gc_equal_const_time: equal and unequal at every position of every length up to 20 (across
 * and inside the 8-byte steps), and n == 0 is equal. */

static void test_base64url_strict(void **state)
{
    (void)state;
    unsigned char *out = NULL;
    size_t n = 0;
    assert_int_equal(gc_base64url_decode_strict("AAEC_-8", 7, &out, &n), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "\x00\x01\x02\xff\xef", 5);
    free(out);
    /* one spelling only: no padding, no standard alphabet, no stray low bits */
    assert_int_equal(gc_base64url_decode_strict("AAE=", 4, &out, &n), -1);
    assert_int_equal(gc_base64url_decode_strict("AA+/", 4, &out, &n), -1);
    assert_int_equal(gc_base64url_decode_strict("AB", 2, &out, &n), -1);
    assert_int_equal(gc_base64url_decode_strict("A", 1, &out, &n), -1);
    char *e = gc_base64url_encode_heap((const unsigned char *)"\x00\x01\x02\xff\xef", 5);
    assert_string_equal(e, "AAEC_-8");
    free(e);
}

static void test_utf8_and_show(void **state)
{
    (void)state;
    assert_true(gc_utf8_valid((const unsigned char *)"a\xc3\xa9\xf0\x9f\x98\x80", 7));
    assert_false(gc_utf8_valid((const unsigned char *)"a\0b", 3));            /* NUL */
    assert_false(gc_utf8_valid((const unsigned char *)"\xc0\xaf", 2));          /* overlong */
    assert_false(gc_utf8_valid((const unsigned char *)"\xed\xa0\x80", 3));      /* surrogate */
    assert_false(gc_utf8_valid((const unsigned char *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(gc_utf8_valid((const unsigned char *)"\xc3", 1));              /* cut short */
    assert_int_equal(gc_utf8_char_len((const unsigned char *)"\xe2\x82\xac", 3), 3);
    char out[8];
    assert_string_equal(gc_show_text(out, "ab\ncd", 5, 4), "ab?c...");
    assert_string_equal(gc_show_text(out, "abc", 3, 4), "abc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64_encode_vectors),
        cmocka_unit_test(test_base64_decode_vectors),
        cmocka_unit_test(test_base64_decode_rejects),
        cmocka_unit_test(test_base64_decode_empty),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_fmt_i64),
        cmocka_unit_test(test_hash64),
        cmocka_unit_test(test_base64url_strict),
        cmocka_unit_test(test_utf8_and_show),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
