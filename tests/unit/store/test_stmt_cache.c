/* Unit tests of the prepared-statement cache (src/store/stmt_cache.c): found by SQL text,
 * the least recently used one named when full, removal and clearing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "store/stmt_cache.h"

static gc_stmt_entry *add(gc_stmt_cache *c, const char *sql)
{
    uint64_t h;
    assert_null(gc_stmt_cache_find(c, sql, strlen(sql), &h));
    gc_stmt_entry *e = gc_stmt_cache_add(c, sql, strlen(sql), h);
    assert_non_null(e);
    return e;
}

static void test_find_by_text(void **state)
{
    (void)state;
    gc_stmt_cache c = {0};
    add(&c, "SELECT 1")->st = (void *)1;
    add(&c, "SELECT 2")->st = (void *)2;
    uint64_t h;
    gc_stmt_entry *e = gc_stmt_cache_find(&c, "SELECT 2", 8, &h);
    assert_non_null(e);
    assert_ptr_equal(e->st, (void *)2);
    assert_null(gc_stmt_cache_find(&c, "SELECT 2 ", 9, &h)); /* the whole text, not a prefix */
    assert_null(gc_stmt_cache_full(&c));
    gc_stmt_cache_remove(&c, e);
    assert_null(gc_stmt_cache_find(&c, "SELECT 2", 8, &h));
    assert_non_null(gc_stmt_cache_find(&c, "SELECT 1", 8, &h));
    gc_stmt_cache_clear(&c);
    assert_int_equal(c.n, 0);
}

static void test_least_recently_used_makes_room(void **state)
{
    (void)state;
    gc_stmt_cache c = {0};
    char sql[32];
    for (int i = 0; i < GC_STMT_CACHE_MAX; i++) {
        snprintf(sql, sizeof sql, "SELECT %d", i);
        add(&c, sql);
    }
    /* use all but statement 5 again: 5 is the least recently used */
    uint64_t h;
    for (int i = 0; i < GC_STMT_CACHE_MAX; i++) {
        snprintf(sql, sizeof sql, "SELECT %d", i);
        if (i != 5)
            assert_non_null(gc_stmt_cache_find(&c, sql, strlen(sql), &h));
    }
    assert_null(gc_stmt_cache_add(&c, "SELECT x", 8, 0)); /* full */
    gc_stmt_entry *lru = gc_stmt_cache_full(&c);
    assert_non_null(lru);
    assert_string_equal(lru->sql, "SELECT 5");
    gc_stmt_cache_remove(&c, lru);
    add(&c, "SELECT x");
    assert_int_equal(c.n, GC_STMT_CACHE_MAX);
    assert_null(gc_stmt_cache_find(&c, "SELECT 5", 8, &h));
    assert_non_null(gc_stmt_cache_find(&c, "SELECT 63", 9, &h));
    gc_stmt_cache_clear(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_by_text),
        cmocka_unit_test(test_least_recently_used_makes_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
