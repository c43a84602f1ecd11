/* RFC 3339 date-times as .NET-style ticks (100 ns since 0001-01-01T00:00:00Z): parsing,
 * formatting and the current time. Pure functions except gc_now_ticks (the clock). */
#include "core/datetime.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define TICKS_PER_SECOND INT64_C(10000000)
#define TICKS_PER_DAY (86400 * TICKS_PER_SECOND)
#define DAYS_0001_TO_1970 INT64_C(719162)
#define UNIX_EPOCH_TICKS (DAYS_0001_TO_1970 * TICKS_PER_DAY)
/* 9999-12-31T23:59:59.9999999Z, the largest instant .NET (and so Graph) can represent */
#define MAX_TICKS INT64_C(3155378975999999999)

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* Reads exactly n decimal digits at s[*pos] into *out. */
static bool take_digits(const char *s, size_t len, size_t *pos, int n, int *out)
{
    if (len - *pos < (size_t)n)
        return false;
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = s[*pos + (size_t)i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *pos += (size_t)n;
    *out = v;
    return true;
}

static bool take_char(const char *s, size_t len, size_t *pos, const char *accept)
{
    if (*pos >= len || !s[*pos] || !strchr(accept, s[*pos]))
        return false;
    (*pos)++;
    return true;
}

int gc_datetime_parse(const char *s, size_t len, int64_t *ticks)
{
    int rc = -1;
    size_t p = 0;
    int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0, frac = 0;
    int off_h = 0, off_m = 0, off_sign = 0;

    if (!take_digits(s, len, &p, 4, &year) || !take_char(s, len, &p, "-") ||
        !take_digits(s, len, &p, 2, &mon) || !take_char(s, len, &p, "-") ||
        !take_digits(s, len, &p, 2, &day) || !take_char(s, len, &p, "Tt") ||
        !take_digits(s, len, &p, 2, &hour) || !take_char(s, len, &p, ":") ||
        !take_digits(s, len, &p, 2, &min))
        goto done;
    if (take_char(s, len, &p, ":")) {
        if (!take_digits(s, len, &p, 2, &sec))
            goto done;
        if (take_char(s, len, &p, ".")) {
            int ndigits = 0, digit;
            while (ndigits < 7 && take_digits(s, len, &p, 1, &digit)) {
                frac = frac * 10 + digit;
                ndigits++;
            }
            if (ndigits == 0)
                goto done;
            for (int i = ndigits; i < 7; i++)
                frac *= 10;
        }
    }
    if (take_char(s, len, &p, "Zz")) {
        off_sign = 0;
    } else if (p < len && (s[p] == '+' || s[p] == '-')) {
        off_sign = s[p++] == '-' ? -1 : 1;
        if (!take_digits(s, len, &p, 2, &off_h) || !take_char(s, len, &p, ":") ||
            !take_digits(s, len, &p, 2, &off_m))
            goto done;
    } else {
        goto done; /* no zone, or an eighth fractional digit */
    }
    if (p != len)
        goto done;

    if (year < 1 || mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
        hour > 23 || min > 59 || sec > 59 || off_m > 59 || off_h * 60 + off_m > 14 * 60)
        goto done;

    int64_t days = days_from_civil(year, mon, day) + DAYS_0001_TO_1970;
    int64_t local_seconds = days * 86400 + hour * 3600 + min * 60 + sec;
    int64_t utc_seconds = local_seconds - off_sign * (off_h * 3600 + off_m * 60);
    if (utc_seconds < 0)
        goto done;
    int64_t t = utc_seconds * TICKS_PER_SECOND + frac;
    if (t > MAX_TICKS)
        goto done;
    *ticks = t;
    rc = 0;
done:
    return rc;
}

/* Ticks outside 0..9999-12-31T23:59:59.9999999Z are clamped to that range. */
static void datetime_format(int64_t ticks, bool all_digits, char out[32])
{
    if (ticks < 0)
        ticks = 0;
    if (ticks > MAX_TICKS)
        ticks = MAX_TICKS;
    int64_t days = ticks / TICKS_PER_DAY;
    int64_t rem = ticks % TICKS_PER_DAY;
    int secs = (int)(rem / TICKS_PER_SECOND);
    int frac = (int)(rem % TICKS_PER_SECOND);
    int64_t y;
    int m, d;
    civil_from_days(days - DAYS_0001_TO_1970, &y, &m, &d);

    int n = snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d", (int)y, m, d, secs / 3600,
                     secs / 60 % 60, secs % 60);
    if (frac > 0 || all_digits) {
        int digits = 7;
        while (!all_digits && frac % 10 == 0) {
            frac /= 10;
            digits--;
        }
        n += snprintf(out + n, 32 - (size_t)n, ".%0*d", digits, frac);
    }
    snprintf(out + n, 32 - (size_t)n, "Z");
}

void gc_datetime_format(int64_t ticks, char out[32])
{
    datetime_format(ticks, false, out);
}

void gc_datetime_format_stamp(int64_t ticks, char out[32])
{
    datetime_format(ticks, true, out);
}

int64_t gc_ticks_from_unix(int64_t seconds)
{
    /* clamp so the multiplication cannot overflow; anything beyond is out of range anyway */
    const int64_t lo = -UNIX_EPOCH_TICKS / TICKS_PER_SECOND;
    const int64_t hi = (INT64_MAX - UNIX_EPOCH_TICKS) / TICKS_PER_SECOND;
    if (seconds < lo)
        seconds = lo;
    if (seconds > hi)
        seconds = hi;
    return UNIX_EPOCH_TICKS + seconds * TICKS_PER_SECOND;
}

int64_t gc_now_ticks(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return gc_ticks_from_unix((int64_t)ts.tv_sec) + ts.tv_nsec / 100;
}
