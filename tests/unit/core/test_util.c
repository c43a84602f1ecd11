/* Unit tests for src/core/util.c: base64 (RFC 4648 vectors, strict decoding), hex, GUIDs
 * (v4 shape, v5 against the RFC 9562 / Python uuid5 vector), RFC 3339 date-times as ticks,
 * ASCII string helpers and the limited growable buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"

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

/* ---- date-times ---- */

static int64_t parse_ok(const char *s)
{
    int64_t t = -1;
    if (gc_datetime_parse(s, strlen(s), &t) != 0)
        fail_msg("rejected \"%s\"", s);
    return t;
}

static void test_datetime_parse(void **state)
{
    assert_int_equal(parse_ok("0001-01-01T00:00:00Z"), 0);
    assert_int_equal(parse_ok("0001-01-01T00:00:00.0000001Z"), 1);
    assert_int_equal(parse_ok("2017-01-01T08:01:48.7697664Z"), INT64_C(636188545087697664));
    assert_int_equal(parse_ok("2017-01-01T00:01:48.7697664-08:00"), INT64_C(636188545087697664));
    assert_int_equal(parse_ok("2017-01-01t08:01:48.7697664z"), INT64_C(636188545087697664));
    assert_int_equal(parse_ok("2017-01-01T13:31:48.7697664+05:30"), INT64_C(636188545087697664));
    assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), INT64_C(621355968000000000));
    assert_int_equal(parse_ok("1970-01-01T00:00Z"), INT64_C(621355968000000000));
    assert_int_equal(parse_ok("1970-01-01T00:00:00.0Z"), INT64_C(621355968000000000));
    assert_int_equal(parse_ok("1970-01-01T00:00:00-00:00"), INT64_C(621355968000000000));
    /* a short fraction means tenths, hundredths... */
    assert_int_equal(parse_ok("1970-01-01T00:00:00.5Z"), INT64_C(621355968005000000));
    assert_int_equal(parse_ok("1970-01-01T00:00:00.123Z"), INT64_C(621355968001230000));
    assert_int_equal(parse_ok("2000-02-29T12:00:00Z"), INT64_C(630874224000000000));
    assert_int_equal(parse_ok("2024-02-29T23:59:59.1Z"), INT64_C(638448479991000000));
    assert_int_equal(parse_ok("9999-12-31T23:59:59.9999999Z"), INT64_C(3155378975999999999));
    /* offsets at the edges */
    assert_int_equal(parse_ok("1970-01-01T14:00:00+14:00"), INT64_C(621355968000000000));
    assert_int_equal(parse_ok("1969-12-31T10:00:00-14:00"), INT64_C(621355968000000000));
    assert_int_equal(parse_ok("0001-01-01T00:00:00-01:00"), INT64_C(36000000000));
}

static void test_datetime_parse_rejects(void **state)
{
    static const char *bad[] = {
        "",
        "2017-01-01",
        "2017-01-01T00:00:00",             /* no zone */
        "2017-01-01 00:00:00Z",            /* space separator */
        "2017-01-01T00Z",                  /* no minutes */
        "2017-1-01T00:00:00Z",             /* short month */
        "17-01-01T00:00:00Z",              /* short year */
        "+2017-01-01T00:00:00Z",
        "2017-01-01T00:00:00.Z",           /* empty fraction */
        "2017-01-01T00:00:00.12345678Z",   /* 8 fractional digits */
        "2017-01-01T00:00:00,5Z",
        "2017-01-01T00:00:00+0100",        /* offset without colon */
        "2017-01-01T00:00:00+01",
        "2017-01-01T00:00:00+14:01",       /* offset beyond 14:00 */
        "2017-01-01T00:00:00-15:00",
        "2017-01-01T00:00:00+01:60",
        "2017-01-01T00:00:00Zjunk",
        "2017-01-01T00:00:00ZZ",
        "2017-00-01T00:00:00Z",            /* month 0 */
        "2017-13-01T00:00:00Z",
        "2017-01-00T00:00:00Z",            /* day 0 */
        "2017-01-32T00:00:00Z",
        "2017-04-31T00:00:00Z",
        "2017-02-29T00:00:00Z",            /* not a leap year */
        "1900-02-29T00:00:00Z",            /* not a leap year (century) */
        "2017-01-01T24:00:00Z",
        "2017-01-01T00:60:00Z",
        "2017-01-01T00:00:60Z",            /* no leap seconds */
        "0000-12-31T23:00:00Z",            /* year 0 */
        "0000-12-31T23:00:00-01:00",       /* year 0 locally, even though 0001 in UTC */
        "0001-01-01T00:00:00+01:00",       /* before year 1 in UTC */
        "0001-01-01T00:59:59.9999999+01:00",
        "9999-12-31T23:59:59-00:01",       /* after year 9999 in UTC */
        "2017-01-01T0a:00:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t = 42;
        if (gc_datetime_parse(bad[i], strlen(bad[i]), &t) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(t, 42);
    }
    /* len bounds the input: a valid prefix is not enough, and text past len is not read */
    int64_t t = 0;
    const char *s = "2017-01-01T00:00:00Z";
    assert_int_equal(gc_datetime_parse(s, strlen(s) - 1, &t), -1);
    assert_int_equal(gc_datetime_parse("2017-01-01T00:00:00Zxyz", 20, &t), 0);
    assert_int_equal(t, parse_ok(s));
    assert_int_equal(gc_datetime_parse("2017-01-01T00:00:00\0Z", 21, &t), -1);
}

static void expect_format(int64_t ticks, const char *want)
{
    char out[32];
    memset(out, 'x', sizeof out);
    gc_datetime_format(ticks, out);
    assert_string_equal(out, want);
}

static void test_datetime_format(void **state)
{
    expect_format(INT64_C(636188545087697664), "2017-01-01T08:01:48.7697664Z");
    expect_format(INT64_C(637238880000000000), "2020-05-01T00:00:00Z");
    expect_format(0, "0001-01-01T00:00:00Z");
    expect_format(1, "0001-01-01T00:00:00.0000001Z");
    expect_format(INT64_C(621355968005000000), "1970-01-01T00:00:00.5Z");
    expect_format(INT64_C(621355968001230000), "1970-01-01T00:00:00.123Z");
    expect_format(INT64_C(630874224000000000), "2000-02-29T12:00:00Z");
    expect_format(INT64_C(3155378975999999999), "9999-12-31T23:59:59.9999999Z");
    /* out of range is clamped */
    expect_format(-5, "0001-01-01T00:00:00Z");
    expect_format(INT64_MAX, "9999-12-31T23:59:59.9999999Z");
}

static void expect_stamp(int64_t ticks, const char *want)
{
    char out[32];
    memset(out, 'x', sizeof out);
    gc_datetime_format_stamp(ticks, out);
    assert_string_equal(out, want);
}

/* server-set times: always seven fraction digits, as Graph writes them */
static void test_datetime_format_stamp(void **state)
{
    expect_stamp(INT64_C(636188545087697664), "2017-01-01T08:01:48.7697664Z");
    expect_stamp(INT64_C(637238880000000000), "2020-05-01T00:00:00.0000000Z");
    expect_stamp(INT64_C(621355968005000000), "1970-01-01T00:00:00.5000000Z");
    expect_stamp(INT64_C(621355968001230000), "1970-01-01T00:00:00.1230000Z");
    expect_stamp(1, "0001-01-01T00:00:00.0000001Z");
    expect_stamp(INT64_MAX, "9999-12-31T23:59:59.9999999Z");
}

static void test_datetime_round_trip(void **state)
{
    static const char *canon[] = {
        "1600-03-01T00:00:00Z", "1899-12-31T23:59:59.9Z", "2016-02-29T01:02:03.0405Z",
        "2100-03-01T12:34:56.78Z", "2400-02-29T00:00:00Z", "2038-01-19T03:14:08Z",
    };
    for (size_t i = 0; i < sizeof canon / sizeof canon[0]; i++)
        expect_format(parse_ok(canon[i]), canon[i]);
    /* every day across a few leap cycles formats back to what parsed */
    int64_t day = INT64_C(864000000000);
    for (int64_t t = parse_ok("1999-12-25T00:00:00Z"); t < parse_ok("2009-01-05T00:00:00Z");
         t += day + 10000001) {
        char out[32];
        gc_datetime_format(t, out);
        assert_int_equal(parse_ok(out), t);
    }
}

static void test_ticks_clock(void **state)
{
    assert_int_equal(gc_ticks_from_unix(0), INT64_C(621355968000000000));
    assert_int_equal(gc_ticks_from_unix(1), INT64_C(621355968010000000));
    assert_int_equal(gc_ticks_from_unix(-62135596800), 0);
    assert_int_equal(gc_ticks_from_unix(1483257708), parse_ok("2017-01-01T08:01:48Z"));

    int64_t before = gc_ticks_from_unix(time(NULL));
    int64_t now = gc_now_ticks();
    int64_t after = gc_ticks_from_unix(time(NULL) + 1);
    assert_true(now >= before && now <= after);
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
        cmocka_unit_test(test_base64_encode_vectors),
        cmocka_unit_test(test_base64_decode_vectors),
        cmocka_unit_test(test_base64_decode_rejects),
        cmocka_unit_test(test_base64_decode_empty),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_guid_valid),
        cmocka_unit_test(test_guid_v4),
        cmocka_unit_test(test_guid_v4_fast),
        cmocka_unit_test(test_guid_v5),
        cmocka_unit_test(test_datetime_parse),
        cmocka_unit_test(test_datetime_parse_rejects),
        cmocka_unit_test(test_datetime_format),
        cmocka_unit_test(test_datetime_format_stamp),
        cmocka_unit_test(test_datetime_round_trip),
        cmocka_unit_test(test_ticks_clock),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_buf_append),
        cmocka_unit_test(test_buf_limit),
        cmocka_unit_test(test_buf_appendf),
        cmocka_unit_test(test_hash64),
        cmocka_unit_test(test_fmt_i64),
        cmocka_unit_test(test_equal_const_time),
        cmocka_unit_test(test_json_string_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
