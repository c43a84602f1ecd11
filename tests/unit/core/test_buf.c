/* Unit tests for src/core/buf.c: appends, the hard limit and its overflow flag, formatted
 * appends and JSON string escaping (against a reference escaper). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"

/* ---- gc_buf ---- */

static void test_buf_append(void **state)
{
    gc_buf b;
    gc_buf_init(&b, 1 << 20);
    assert_int_equal(b.len, 0);
    assert_int_equal(gc_buf_append(&b, "", 0), 0);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    assert_int_equal(gc_buf_append(&b, "abc", 3), 0);
    assert_int_equal(gc_buf_append(&b, "defXX", 3), 0);
    assert_int_equal(b.len, 6);
    assert_string_equal(b.data, "abcdef");
    /* grow well past the first allocation; content and terminator stay right */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(gc_buf_append(&b, "0123456789", 10), 0);
    assert_int_equal(b.len, 10006);
    assert_true(b.cap > b.len);
    assert_memory_equal(b.data + 9996, "01234567890123456789", 10);
    assert_int_equal(b.data[b.len], '\0');
    assert_int_equal(strlen(b.data), b.len);
    gc_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    gc_buf_free(&b); /* twice is harmless */
}

static void test_buf_limit(void **state)
{
    gc_buf b;
    gc_buf_init(&b, 10);
    assert_int_equal(gc_buf_append(&b, "12345678", 8), 0);
    char *before = b.data;
    assert_int_equal(gc_buf_append(&b, "abc", 3), -1); /* 11 > 10: unchanged */
    assert_ptr_equal(b.data, before);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "12345678");
    assert_int_equal(gc_buf_appendf(&b, "%d", 123), -1);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "12345678");
    assert_int_equal(gc_buf_append(&b, "ab", 2), 0); /* exactly at the limit */
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "12345678ab");
    assert_int_equal(gc_buf_append(&b, "x", 1), -1);
    assert_int_equal(gc_buf_append(&b, "", 0), 0);
    assert_int_equal(gc_buf_appendf(&b, "%s", ""), 0);
    assert_string_equal(b.data, "12345678ab");
    gc_buf_free(&b);

    gc_buf z;
    gc_buf_init(&z, 0);
    assert_int_equal(gc_buf_append(&z, "a", 1), -1);
    assert_int_equal(z.len, 0);
    assert_int_equal(gc_buf_append(&z, "", 0), 0);
    assert_string_equal(z.data, "");
    gc_buf_free(&z);
}

static void test_buf_appendf(void **state)
{
    gc_buf b;
    gc_buf_init(&b, 4096);
    assert_int_equal(gc_buf_appendf(&b, "%s=%d", "top", 5), 0);
    assert_int_equal(gc_buf_appendf(&b, "&%s", "x"), 0);
    assert_string_equal(b.data, "top=5&x");
    assert_int_equal(b.len, 7);
    char big[1000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(gc_buf_appendf(&b, "[%s]", big), 0);
    assert_int_equal(b.len, 7 + 1001);
    assert_int_equal(b.data[7], '[');
    assert_int_equal(b.data[b.len - 1], ']');
    assert_int_equal(b.data[b.len], '\0');
    gc_buf_free(&b);
}

/* gc_hash64: the same bytes and seed give the same hash; every length up to two words is read
 * exactly (ASan reports an over-read from the heap copies); one changed byte or another seed
 * changes it (no collision among these few inputs). */
/* Every digit count, both signs, and the extremes, against printf. */
static void ref_escape(char *out, const unsigned char *s, size_t n)
{
    size_t k = 0;
    out[k++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        const char *short_esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b"
                                : c == '\f' ? "\\f" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
                                : c == '\t' ? "\\t" : NULL;
        if (short_esc)
            k += (size_t)sprintf(out + k, "%s", short_esc);
        else if (c < 0x20)
            k += (size_t)sprintf(out + k, "\\u%04X", c);
        else
            out[k++] = (char)c;
    }
    out[k++] = '"';
    out[k] = '\0';
}

static void test_json_string_escape(void **state)
{
    (void)state;
    const unsigned char specials[] = {0x00, 0x01, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x1f, '"', '\\'};
    const unsigned char fillers[] = {'a', 0x20, 0x7f, 0xc3, 0xff, '!', '#', '[', ']'};
    unsigned char in[32];
    char want[32 * 6 + 3];
    for (size_t len = 0; len <= 24; len++) {
        for (size_t f = 0; f < sizeof fillers; f++) {
            memset(in, fillers[f], len);
            for (size_t at = 0; at <= len; at++) {
                for (size_t sp = 0; sp < sizeof specials; sp++) {
                    if (at < len)
                        in[at] = specials[sp];
                    gc_buf b;
                    gc_buf_init(&b, 1 << 16);
                    assert_int_equal(gc_buf_append_json_string(&b, (const char *)in, len), 0);
                    ref_escape(want, in, len);
                    assert_int_equal(b.len, strlen(want));
                    assert_memory_equal(b.data, want, b.len);
                    gc_buf_free(&b);
                    if (at == len)
                        break; /* no special byte: one run is enough */
                }
                if (at < len)
                    in[at] = fillers[f];
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_append),
        cmocka_unit_test(test_buf_limit),
        cmocka_unit_test(test_buf_appendf),
        cmocka_unit_test(test_json_string_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
