/* Unit tests of the throttling counters (src/api/throttle.c) with an injected clock: exact
 * limits, window expiry, Retry-After rounding, separate keys, reads against writes, the bound
 * on tracked keys, the sliding-window guarantee and concurrent callers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/throttle.h"

#define NS 1000000000LL
#define T1 "11111111-1111-4111-8111-111111111111"
#define T2 "22222222-2222-4222-8222-222222222222"

static int64_t now_ns;

static int64_t test_clock(void *ctx)
{
    (void)ctx;
    return now_ns;
}

static gc_throttle *open_with(unsigned window, uint32_t aw, uint32_t tw, uint32_t ar, uint32_t tr,
                              size_t keys, unsigned shards)
{
    gc_throttle_config cfg = {.limits = {window, aw, tw, ar, tr}, .max_keys = keys,
                              .shards = shards, .clock = test_clock};
    gc_throttle *t = NULL;
    gc_err e;
    if (gc_throttle_new(&cfg, &t, &e) < 0) {
        print_error("gc_throttle_new: %s\n", e.message);
        fail();
    }
    return t;
}

/* 0 when admitted, else the Retry-After seconds (and the message in msg, when given). */
static unsigned try(gc_throttle *t, const char *tenant, const char *app, bool write, char *msg)
{
    unsigned ra = 12345;
    gc_err e;
    memset(&e, 0, sizeof e);
    int rc = gc_throttle_admit(t, tenant, app, write, &ra, &e);
    if (rc == 0) {
        assert_int_equal(ra, 0);
        return 0;
    }
    assert_int_equal(rc, -1);
    assert_int_equal(e.kind, GC_E_TOO_MANY);
    assert_true(ra >= 1);
    if (msg)
        snprintf(msg, sizeof e.message, "%s", e.message);
    return ra;
}

/* Admits n requests in a row, then expects the next to be refused; returns its Retry-After. */
static unsigned burst(gc_throttle *t, const char *tenant, const char *app, bool write, int n)
{
    for (int i = 0; i < n; i++)
        if (try(t, tenant, app, write, NULL) != 0) {
            print_error("request %d of %d refused\n", i + 1, n);
            fail();
        }
    unsigned ra = try(t, tenant, app, write, NULL);
    assert_true(ra >= 1);
    return ra;
}

static void test_exact_limits(void **state)
{
    (void)state;
    now_ns = 1000 * NS;
    gc_throttle *t = open_with(2, 3, 4, 5, 8, 0, 0);
    char msg[512];
    /* reads: exactly 5 for the application */
    burst(t, T1, "app-a", false, 5);
    assert_true(try(t, T1, "app-a", false, msg) > 0);
    assert_string_equal(msg, "Too many requests: this application has reached its limit of 5 "
                             "requests per 2 seconds in this tenant. Retry after 3 seconds.");
    /* a refused request is not counted: the tenant has 5, so another application gets 3 */
    burst(t, T1, "app-b", false, 3);
    assert_true(try(t, T1, "app-c", false, msg) > 0);
    assert_string_equal(msg, "Too many requests: this tenant has reached its limit of 8 requests "
                             "per 2 seconds (all applications together). Retry after 3 seconds.");
    gc_throttle_stats st;
    gc_throttle_get_stats(t, &st);
    assert_int_equal(st.admitted, 8);
    assert_int_equal(st.refused, 4);
    assert_int_equal(st.keys, 4); /* the tenant and three applications */
    gc_throttle_free(t);
}

static void test_writes_and_reads(void **state)
{
    (void)state;
    now_ns = 5000 * NS;
    gc_throttle *t = open_with(2, 3, 4, 5, 100, 0, 0);
    char msg[512];
    burst(t, T1, "a", true, 3);
    assert_true(try(t, T1, "a", true, msg) > 0);
    assert_string_equal(msg, "Too many requests: this application has reached its limit of 3 writes "
                             "(POST, PATCH, PUT, DELETE) per 2 seconds in this tenant. Retry after 3 seconds.");
    /* reads go on, and the 3 writes count among the application's 5 requests */
    burst(t, T1, "a", false, 2);
    /* a second application: one write left in the tenant */
    burst(t, T1, "b", true, 1);
    assert_true(try(t, T1, "b", true, msg) > 0);
    assert_string_equal(msg, "Too many requests: this tenant has reached its limit of 4 writes "
                             "(POST, PATCH, PUT, DELETE) per 2 seconds (all applications together). "
                             "Retry after 3 seconds.");
    assert_int_equal(try(t, T1, "b", false, NULL), 0);
    /* another tenant is unaffected */
    burst(t, T2, "a", true, 3);
    gc_throttle_free(t);
}

/* The empty application (a token with neither appid nor azp) is one application of its own. */
static void test_empty_app(void **state)
{
    (void)state;
    now_ns = 0;
    gc_throttle *t = open_with(1, 2, 10, 10, 10, 0, 0);
    burst(t, T1, "", true, 2);
    assert_true(try(t, T1, NULL, true, NULL) > 0);
    assert_int_equal(try(t, T1, "x", true, NULL), 0);
    gc_throttle_free(t);
}

/* window 32 s: a sub-window is exactly 1 s */
static void test_expiry_and_retry_after(void **state)
{
    (void)state;
    gc_throttle *t = open_with(32, 2, 100, 100, 100, 0, 0);
    now_ns = 100 * NS;
    assert_int_equal(burst(t, T1, "a", true, 2), 33);
    now_ns = 100 * NS + NS / 2;
    assert_int_equal(try(t, T1, "a", true, NULL), 33); /* 32.5 s rounded up */
    now_ns = 132 * NS;
    assert_int_equal(try(t, T1, "a", true, NULL), 1);
    now_ns = 133 * NS - 1;
    assert_int_equal(try(t, T1, "a", true, NULL), 1); /* 1 ns rounded up */
    now_ns = 133 * NS; /* the burst's sub-window has left the window */
    assert_int_equal(burst(t, T1, "a", true, 2), 33);

    /* spread: one write at 200 s and one at 210 s; the first leaves at 233, the second at 243 */
    now_ns = 200 * NS;
    assert_int_equal(try(t, T1, "b", true, NULL), 0);
    now_ns = 210 * NS;
    assert_int_equal(try(t, T1, "b", true, NULL), 0);
    assert_int_equal(try(t, T1, "b", true, NULL), 23);
    now_ns = 233 * NS;
    assert_int_equal(try(t, T1, "b", true, NULL), 0);
    assert_int_equal(try(t, T1, "b", true, NULL), 10);
    /* a long idle time empties everything */
    now_ns = 100000 * NS;
    assert_int_equal(burst(t, T1, "b", true, 2), 33);
    gc_throttle_free(t);
}

/* Retry-After is the longest wait among the limits reached. */
static void test_longest_wait_wins(void **state)
{
    (void)state;
    gc_throttle *t = open_with(32, 1, 100, 2, 100, 0, 0);
    now_ns = 100 * NS;
    assert_int_equal(try(t, T1, "a", false, NULL), 0);
    now_ns = 110 * NS;
    assert_int_equal(try(t, T1, "a", true, NULL), 0);
    /* requests: 2 of 2 (the first leaves at 133); writes: 1 of 1 (leaves at 143) */
    char msg[512];
    assert_int_equal(try(t, T1, "a", true, msg), 33);
    assert_non_null(strstr(msg, "writes"));
    assert_int_equal(try(t, T1, "a", false, msg), 23);
    assert_null(strstr(msg, "writes"));
    gc_throttle_free(t);
}

/* In any span of one window at most N are admitted, however the requests are spread; and a
 * request is refused only when N were admitted within one window and one sub-window before. */
static void test_sliding_window(void **state)
{
    (void)state;
    const int n = 7, total = 20000;
    const int64_t window = 2 * NS, sub = window / GC_THROTTLE_SUBWINDOWS;
    gc_throttle *t = open_with(2, 1000, 1000, (uint32_t)n, 1000, 0, 0);
    int64_t *admitted = calloc((size_t)total, sizeof *admitted);
    size_t n_adm = 0;
    unsigned seed = 42;
    now_ns = 77 * NS;
    for (int i = 0; i < total; i++) {
        now_ns += rand_r(&seed) % (int)(window / 9);
        if (try(t, T1, "a", false, NULL) == 0) {
            admitted[n_adm++] = now_ns;
            size_t in_window = 0;
            for (size_t k = n_adm; k-- > 0 && admitted[k] > now_ns - window;)
                in_window++;
            assert_true(in_window <= (size_t)n);
        } else {
            size_t recent = 0;
            for (size_t k = n_adm; k-- > 0 && admitted[k] > now_ns - window - sub;)
                recent++;
            assert_true(recent >= (size_t)n);
        }
    }
    assert_true(n_adm > (size_t)total / 10);
    free(admitted);
    gc_throttle_free(t);
}

static void test_key_bound(void **state)
{
    (void)state;
    gc_throttle *t = open_with(1, 5, 5, 5, 5, 8, 1);
    gc_throttle_stats st;
    now_ns = 10 * NS;
    char tenant[40];
    /* a flood of distinct tenants within one window */
    for (int i = 0; i < 1000; i++) {
        snprintf(tenant, sizeof tenant, "%08x-0000-4000-8000-000000000000", i);
        assert_int_equal(try(t, tenant, "a", true, NULL), 0);
        gc_throttle_get_stats(t, &st);
        assert_true(st.keys <= 8);
    }
    assert_int_equal(st.max_keys, 8);
    assert_int_equal(st.keys, 8);
    assert_int_equal(st.evicted_live, 2 * 1000 - 8);
    /* the most recent tenants are still counted */
    burst(t, tenant, "a", true, 4);
    /* keys whose window has passed are replaced without counting as live evictions */
    now_ns += 2 * NS;
    for (int i = 0; i < 4; i++) {
        snprintf(tenant, sizeof tenant, "%08x-0000-4000-8000-00000000ffff", i);
        assert_int_equal(try(t, tenant, "a", false, NULL), 0);
    }
    gc_throttle_get_stats(t, &st);
    assert_int_equal(st.evicted_live, 2 * 1000 - 8);
    assert_int_equal(st.keys, 8);
    gc_throttle_free(t);

    /* sharded: the bound is max_keys rounded up to whole shards */
    t = open_with(1, 5, 5, 5, 5, 100, 64);
    for (int i = 0; i < 5000; i++) {
        snprintf(tenant, sizeof tenant, "%08x-0000-4000-8000-000000000001", i);
        try(t, tenant, i % 3 ? "a" : "b", false, NULL);
    }
    gc_throttle_get_stats(t, &st);
    assert_true(st.max_keys >= 100 && st.max_keys < 100 + 64);
    assert_true(st.keys <= st.max_keys);
    gc_throttle_free(t);
}

static void test_long_app_cut(void **state)
{
    (void)state;
    gc_throttle *t = open_with(1, 1, 10, 10, 10, 0, 0);
    char a[GC_THROTTLE_MAX_APP + 10], b[GC_THROTTLE_MAX_APP + 10];
    memset(a, 'x', sizeof a - 1);
    a[sizeof a - 1] = '\0';
    memcpy(b, a, sizeof b);
    b[GC_THROTTLE_MAX_APP + 3] = 'y'; /* differs past the cut: the same application */
    now_ns = 0;
    assert_int_equal(try(t, T1, a, true, NULL), 0);
    assert_true(try(t, T1, b, true, NULL) > 0);
    b[GC_THROTTLE_MAX_APP - 1] = 'y';
    assert_int_equal(try(t, T1, b, true, NULL), 0);
    gc_throttle_free(t);
}

static void test_config_errors(void **state)
{
    (void)state;
    gc_throttle *t = (gc_throttle *)1;
    gc_err e;
    gc_throttle_config cfg = {.limits = gc_throttle_intune};
    assert_int_equal(gc_throttle_new(&cfg, &t, &e), 0);
    gc_throttle_stats st;
    gc_throttle_get_stats(t, &st);
    assert_int_equal(st.max_keys, GC_THROTTLE_DEFAULT_KEYS);
    gc_throttle_free(t);
    cfg.limits.window_s = 0;
    assert_int_equal(gc_throttle_new(&cfg, &t, &e), -1);
    assert_null(t);
    assert_string_equal(e.message, "The throttling window must be 1 to 3600 seconds, not 0.");
    cfg.limits = gc_throttle_intune;
    cfg.limits.tenant_writes = GC_THROTTLE_MAX_LIMIT + 1;
    assert_int_equal(gc_throttle_new(&cfg, &t, &e), -1);
    assert_string_equal(e.message, "The throttling limit tenant writes must be 1 to 1000000, not 1000001.");
    cfg.limits = gc_throttle_intune;
    cfg.max_keys = 1;
    assert_int_equal(gc_throttle_new(&cfg, &t, &e), -1);
    assert_string_equal(e.message, "The throttling key cap must be 2 to 1048576, not 1.");
}

/* The production clock: a fresh burst admits exactly N. */
static void test_monotonic_clock(void **state)
{
    (void)state;
    gc_throttle_config cfg = {.limits = gc_throttle_intune};
    gc_throttle *t;
    gc_err e;
    assert_int_equal(gc_throttle_new(&cfg, &t, &e), 0);
    burst(t, T1, "a", true, 100);
    unsigned ra = try(t, T1, "a", true, NULL);
    assert_true(ra >= 20 && ra <= 21);
    gc_throttle_free(t);
}

/* ---- threads: with the clock stopped, exactly the limits are admitted ---- */

#define THREADS 8
#define PER_THREAD 3000

typedef struct worker {
    gc_throttle *t;
    int id;
    int admitted[4]; /* per tenant */
} worker;

static const char *const tenants4[4] = {T1, T2, "33333333-3333-4333-8333-333333333333",
                                        "44444444-4444-4444-8444-444444444444"};

static void *run(void *arg)
{
    worker *w = arg;
    char app[16];
    for (int i = 0; i < PER_THREAD; i++) {
        int k = (i + w->id) % 4;
        snprintf(app, sizeof app, "app%d", (i / 4) % 5);
        unsigned ra;
        gc_err e;
        if (gc_throttle_admit(w->t, tenants4[k], app, i % 2 == 0, &ra, &e) == 0)
            w->admitted[k]++;
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    now_ns = 50 * NS;
    /* reads and writes alternate; the tenant's 300 requests are reached before 5 x 100 */
    gc_throttle *t = open_with(20, 1000, 1000, 100, 300, 0, 0);
    worker ws[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        ws[i] = (worker){.t = t, .id = i};
        assert_int_equal(pthread_create(&th[i], NULL, run, &ws[i]), 0);
    }
    int sum[4] = {0};
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        for (int k = 0; k < 4; k++)
            sum[k] += ws[i].admitted[k];
    }
    for (int k = 0; k < 4; k++)
        assert_int_equal(sum[k], 300);
    gc_throttle_stats st;
    gc_throttle_get_stats(t, &st);
    assert_int_equal(st.admitted, 1200);
    assert_int_equal(st.refused, THREADS * PER_THREAD - 1200);
    gc_throttle_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_limits),
        cmocka_unit_test(test_writes_and_reads),
        cmocka_unit_test(test_empty_app),
        cmocka_unit_test(test_expiry_and_retry_after),
        cmocka_unit_test(test_longest_wait_wins),
        cmocka_unit_test(test_sliding_window),
        cmocka_unit_test(test_key_bound),
        cmocka_unit_test(test_long_app_cut),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_monotonic_clock),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
