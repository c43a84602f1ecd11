/* Unit tests for src/core/metrics.c: label and HELP escaping of the Prometheus text format,
 * histogram bucketing (bounds inclusive, +Inf last), the cumulative rendering with _sum in
 * seconds and _count equal to the +Inf bucket, the buffer limit, and concurrent recording. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "core/metrics.h"

static void test_label_escaping(void **state)
{
    gc_buf b;
    gc_buf_init(&b, 1024);
    gc_label l[2] = {{"tenant", "a\\b\"c\nd"}, {"set", "plain/ünicode"}};
    assert_int_equal(gc_prom_sample_u64(&b, "x_total", l, 2, 42), 0);
    assert_string_equal(b.data, "x_total{tenant=\"a\\\\b\\\"c\\nd\",set=\"plain/ünicode\"} 42\n");
    gc_buf_free(&b);
}

static void test_no_labels_and_help(void **state)
{
    gc_buf b;
    gc_buf_init(&b, 1024);
    assert_int_equal(gc_prom_header(&b, "g", "gauge", "line\\one\ntwo \"quoted\""), 0);
    assert_int_equal(gc_prom_sample_u64(&b, "g", NULL, 0, 0), 0);
    /* HELP escapes backslash and newline only; quotes stay as they are */
    assert_string_equal(b.data, "# HELP g line\\\\one\\ntwo \"quoted\"\n# TYPE g gauge\ng 0\n");
    gc_buf_free(&b);
}

static void test_histogram_buckets(void **state)
{
    gc_hist h;
    memset(&h, 0, sizeof h);
    gc_hist_observe(&h, 500000);      /* exactly 0.0005 s: the first bucket (le is inclusive) */
    gc_hist_observe(&h, 500001);      /* just above: the second */
    gc_hist_observe(&h, 3000000);     /* 3 ms: le 0.005 */
    gc_hist_observe(&h, 60000000000); /* a minute: +Inf only */
    gc_buf b;
    gc_buf_init(&b, 8192);
    gc_label l = {"route", "r"};
    assert_int_equal(gc_prom_hist(&b, "d_seconds", &l, 1, &h), 0);
    const char *want =
        "d_seconds_bucket{route=\"r\",le=\"0.0005\"} 1\n"
        "d_seconds_bucket{route=\"r\",le=\"0.001\"} 2\n"
        "d_seconds_bucket{route=\"r\",le=\"0.0025\"} 2\n"
        "d_seconds_bucket{route=\"r\",le=\"0.005\"} 3\n"
        "d_seconds_bucket{route=\"r\",le=\"0.01\"} 3\n"
        "d_seconds_bucket{route=\"r\",le=\"0.025\"} 3\n"
        "d_seconds_bucket{route=\"r\",le=\"0.05\"} 3\n"
        "d_seconds_bucket{route=\"r\",le=\"0.1\"} 3\n"
        "d_seconds_bucket{route=\"r\",le=\"0.25\"} 3\n"
        "d_seconds_bucket{route=\"r\",le=\"0.5\"} 3\n"
        "d_seconds_bucket{route=\"r\",le=\"1\"} 3\n"
        "d_seconds_bucket{route=\"r\",le=\"2.5\"} 3\n"
        "d_seconds_bucket{route=\"r\",le=\"5\"} 3\n"
        "d_seconds_bucket{route=\"r\",le=\"10\"} 3\n"
        "d_seconds_bucket{route=\"r\",le=\"+Inf\"} 4\n"
        "d_seconds_sum{route=\"r\"} 60.004000001\n"
        "d_seconds_count{route=\"r\"} 4\n";
    assert_string_equal(b.data, want);
    gc_buf_free(&b);
}

static void test_limit(void **state)
{
    gc_hist h;
    memset(&h, 0, sizeof h);
    gc_buf b;
    gc_buf_init(&b, 100);
    assert_int_equal(gc_prom_hist(&b, "d_seconds", NULL, 0, &h), -1);
    gc_buf_free(&b);
}

#define THREADS 4
#define PER_THREAD 100000

static void *observe_many(void *arg)
{
    for (int i = 0; i < PER_THREAD; i++)
        gc_hist_observe(arg, (uint64_t)(i % 7) * 1000000);
    return NULL;
}

static void test_concurrent_observations_all_counted(void **state)
{
    static gc_hist h;
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, observe_many, &h), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    uint64_t n = 0;
    for (int i = 0; i <= GC_HIST_N_BOUNDS; i++)
        n += atomic_load(&h.buckets[i]);
    assert_int_equal(n, THREADS * PER_THREAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_escaping),
        cmocka_unit_test(test_no_labels_and_help),
        cmocka_unit_test(test_histogram_buckets),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_concurrent_observations_all_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
