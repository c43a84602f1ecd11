/* Unit tests for src/api/metrics.c: requests counted by route, method and status, routes named
 * by entity set (never by URL), 429 answers counted as throttled, statuses outside 100..599 not
 * counted by status, and the rendered families each with their HELP and TYPE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "api/metrics.h"
#include "schema/schema.h"

static char *render(gc_api_metrics *m, gc_buf *b)
{
    gc_buf_init(b, 1 << 20);
    assert_int_equal(gc_api_metrics_render(m, b), 0);
    return b->data;
}

static void test_counts_by_route_method_status(void **state)
{
    gc_api_metrics *m = gc_api_metrics_new();
    assert_non_null(m);
    gc_route r = {.kind = GC_ROUTE_ENTITY, .type = gc_schema_types[0], .key = "secret-id"};
    int route = gc_api_metrics_route(&r);
    assert_int_equal(route, GC_METRICS_ROUTE_SETS);
    for (int i = 0; i < 3; i++)
        gc_api_metrics_record(m, route, "GET", 200, 1000);
    gc_api_metrics_record(m, route, "PATCH", 429, 1000);
    gc_api_metrics_record(m, route, "BREW", 429, 1000);
    gc_api_metrics_record(m, GC_METRICS_ROUTE_BATCH, "POST", 700, 1000); /* latency only */
    gc_api_metrics_record(m, 9999, "GET", 404, 1000);                  /* → unknown */
    gc_buf b;
    const char *t = render(m, &b);
    char want[256];
    snprintf(want, sizeof want, "graphcerts_http_requests_total{route=\"%s\",method=\"GET\",status=\"200\"} 3\n",
             gc_schema_types[0]->set_path);
    assert_non_null(strstr(t, want));
    assert_non_null(strstr(t, "method=\"PATCH\",status=\"429\"} 1\n"));
    assert_non_null(strstr(t, "method=\"other\",status=\"429\"} 1\n"));
    assert_non_null(strstr(t, "{route=\"unknown\",method=\"GET\",status=\"404\"} 1\n"));
    assert_null(strstr(t, "status=\"700\""));
    assert_null(strstr(t, "secret-id"));
    assert_non_null(strstr(t, "graphcerts_http_throttled_requests_total 2\n"));
    assert_non_null(strstr(t, "graphcerts_http_request_duration_seconds_count{route=\"batch\"} 1\n"));
    assert_non_null(strstr(t, "# TYPE graphcerts_http_requests_total counter\n"));
    assert_non_null(strstr(t, "# TYPE graphcerts_http_request_duration_seconds histogram\n"));
    assert_non_null(strstr(t, "# TYPE graphcerts_http_throttled_requests_total counter\n"));
    gc_buf_free(&b);
    gc_api_metrics_free(m);
}

static void test_fixed_routes(void **state)
{
    gc_route r = {.kind = GC_ROUTE_METADATA};
    assert_int_equal(gc_api_metrics_route(&r), GC_METRICS_ROUTE_METADATA);
    r.kind = GC_ROUTE_BATCH;
    assert_int_equal(gc_api_metrics_route(&r), GC_METRICS_ROUTE_BATCH);
    r.kind = GC_ROUTE_COUNT;
    r.type = gc_schema_types[gc_schema_n_types - 1];
    assert_int_equal(gc_api_metrics_route(&r), GC_METRICS_ROUTE_SETS + (int)gc_schema_n_types - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_by_route_method_status),
        cmocka_unit_test(test_fixed_routes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
