/* Unit tests for src/core/datetime.c: RFC 3339 date-times as ticks: parsing, refusals,
 * formatting, round trips and the clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/datetime.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_datetime_parse),
        cmocka_unit_test(test_datetime_parse_rejects),
        cmocka_unit_test(test_datetime_format),
        cmocka_unit_test(test_datetime_format_stamp),
        cmocka_unit_test(test_datetime_round_trip),
        cmocka_unit_test(test_ticks_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
