/* Unit tests for src/core/arena.c (alignment, zeroing, chunk overflow, large blocks, string
 * helpers, cleanup order, jansson references) and src/core/err.c (the kind → status/code table
 * and gc_err_set truncation and UTF-8 mending), the two pieces every other module leans on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdalign.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"

/* ---- arena ---- */

static void test_alloc_aligned_and_zeroed(void **state)
{
    gc_arena *a = gc_arena_new();
    static const size_t sizes[] = {1, 3, 7, 8, 15, 16, 17, 31, 100, 1000, 4095, 4097, 9000, 1};
    for (int round = 0; round < 50; round++)
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            unsigned char *p = gc_arena_alloc(a, sizes[i]);
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
            for (size_t j = 0; j < sizes[i]; j++)
                assert_int_equal(p[j], 0);
            memset(p, 0xa5, sizes[i]); /* ASan flags any overlap with the chunk's bounds */
        }
    /* size 0 still gives a distinct, usable pointer */
    void *z1 = gc_arena_alloc(a, 0), *z2 = gc_arena_alloc(a, 0);
    assert_non_null(z1);
    assert_ptr_not_equal(z1, z2);
    gc_arena_free(a);
}

static void test_allocations_do_not_overlap(void **state)
{
    gc_arena *a = gc_arena_new();
    enum { N = 3000 };
    unsigned char *ptrs[N];
    size_t lens[N];
    for (int i = 0; i < N; i++) {
        lens[i] = (size_t)(i * 7 % 61) + 1;
        ptrs[i] = gc_arena_alloc(a, lens[i]);
        memset(ptrs[i], i & 0xff, lens[i]);
    }
    for (int i = 0; i < N; i++)
        for (size_t j = 0; j < lens[i]; j++)
            assert_int_equal(ptrs[i][j], i & 0xff);
    gc_arena_free(a);
}

static void test_large_allocations(void **state)
{
    gc_arena *a = gc_arena_new();
    unsigned char *small1 = gc_arena_alloc(a, 24);
    memset(small1, 1, 24);
    /* larger than a chunk: its own block, fully usable */
    size_t big_len = 1u << 20;
    unsigned char *big = gc_arena_alloc(a, big_len);
    assert_int_equal((uintptr_t)big % alignof(max_align_t), 0);
    assert_int_equal(big[0], 0);
    assert_int_equal(big[big_len - 1], 0);
    memset(big, 2, big_len);
    /* small allocations after a big one still work and do not land inside it */
    unsigned char *small2 = gc_arena_alloc(a, 24);
    memset(small2, 3, 24);
    assert_true(small2 + 24 <= big || small2 >= big + big_len);
    /* several big blocks, including sizes right around the chunk size */
    static const size_t sizes[] = {4096, 4097, 8191, 8192, 8193, 65536, 3u << 20};
    unsigned char *bigs[sizeof sizes / sizeof sizes[0]];
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        bigs[i] = gc_arena_alloc(a, sizes[i]);
        memset(bigs[i], (int)(10 + i), sizes[i]);
    }
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        assert_int_equal(bigs[i][0], 10 + i);
        assert_int_equal(bigs[i][sizes[i] - 1], 10 + i);
    }
    assert_int_equal(small1[23], 1);
    assert_int_equal(big[big_len / 2], 2);
    assert_int_equal(small2[0], 3);
    gc_arena_free(a);
}

static void test_strings(void **state)
{
    gc_arena *a = gc_arena_new();
    assert_string_equal(gc_arena_strdup(a, "hello"), "hello");
    assert_string_equal(gc_arena_strdup(a, ""), "");
    assert_string_equal(gc_arena_strndup(a, "hello world", 5), "hello");
    assert_string_equal(gc_arena_strndup(a, "hi", 0), "");
    assert_string_equal(gc_arena_printf(a, "%s-%d-%05.1f", "x", 42, 3.14159), "x-42-003.1");
    char long_s[10000];
    memset(long_s, 'w', sizeof long_s - 1);
    long_s[sizeof long_s - 1] = '\0';
    char *p = gc_arena_printf(a, "<%s>", long_s);
    assert_int_equal(strlen(p), sizeof long_s + 1);
    assert_int_equal(p[0], '<');
    assert_int_equal(p[sizeof long_s], '>');
    /* around the one-pass buffer's size (256 bytes with the NUL) */
    for (int n = 253; n <= 257; n++) {
        char *q = gc_arena_printf(a, "%.*s|", n, long_s);
        assert_int_equal(strlen(q), (size_t)n + 1);
        assert_int_equal(q[n], '|');
        assert_int_equal(q[n - 1], 'w');
    }
    gc_arena_free(a);
}

static int order[8];
static int order_n;

static void record(void *p)
{
    order[order_n++] = *(int *)p;
}

static void test_defer_reverse_order(void **state)
{
    static int ids[] = {1, 2, 3, 4};
    order_n = 0;
    gc_arena *a = gc_arena_new();
    gc_arena_defer(a, record, &ids[0]);
    gc_arena_defer(a, record, &ids[1]);
    (void)gc_arena_alloc(a, 100000); /* chunks in between do not disturb the list */
    gc_arena_defer(a, record, &ids[2]);
    gc_arena_defer(a, record, &ids[3]);
    assert_int_equal(order_n, 0);
    gc_arena_free(a);
    assert_int_equal(order_n, 4);
    assert_int_equal(order[0], 4);
    assert_int_equal(order[1], 3);
    assert_int_equal(order[2], 2);
    assert_int_equal(order[3], 1);

    gc_arena_free(NULL); /* harmless */
    order_n = 0;
    gc_arena_free(gc_arena_new()); /* empty arena: no cleanups, no chunks */
    assert_int_equal(order_n, 0);
}

/* A cleanup may still read arena memory: cleanups run before the chunks are freed. */
static void read_arena_string(void *p)
{
    order[order_n++] = (int)strlen((const char *)p);
}

static void test_defer_sees_arena_memory(void **state)
{
    order_n = 0;
    gc_arena *a = gc_arena_new();
    gc_arena_defer(a, read_arena_string, gc_arena_strdup(a, "seven!!"));
    gc_arena_free(a);
    assert_int_equal(order_n, 1);
    assert_int_equal(order[0], 7);
}

static void test_arena_json(void **state)
{
    gc_arena *a = gc_arena_new();
    json_t *kept = json_object();
    json_incref(kept); /* the test keeps one reference, the arena gets the other */
    assert_ptr_equal(gc_arena_json(a, kept), kept);
    assert_int_equal(kept->refcount, 2);
    /* a fresh value handed over entirely; leak checking proves it is released */
    json_t *owned = gc_arena_json(a, json_pack("{s:[i,i]}", "a", 1, 2));
    assert_non_null(owned);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(owned, "a"), 1)), 2);
    assert_null(gc_arena_json(a, NULL)); /* NULL passes through, registers nothing */
    gc_arena_free(a);
    assert_int_equal(kept->refcount, 1);
    json_decref(kept);
}

/* jansson's values come from the arena in scope: a decref frees nothing (the value stays
 * readable until the arena goes; under ASan, reading a value jansson had really freed is
 * reported), out of scope they are heap memory that a decref frees (LeakSanitizer reports a
 * leak otherwise), scopes nest, and json_dumps text is freed with gc_json_text_free. */
static void test_json_scope(void **state)
{
    gc_arena *a = gc_arena_new(), *b = gc_arena_new();
    assert_null(gc_arena_json_scope(a));
    json_t *in_a = json_pack("{s:s,s:[i,i,i]}", "name", "carved", "n", 1, 2, 3);
    char *text = json_dumps(in_a, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(text, "{\"n\":[1,2,3],\"name\":\"carved\"}");
    json_t *name = json_object_get(in_a, "name");
    json_decref(in_a);
    assert_string_equal(json_string_value(name), "carved"); /* arena memory: still there */
    gc_json_text_free(text);

    assert_ptr_equal(gc_arena_json_scope(b), a); /* nested */
    json_t *in_b = json_string("in b");
    assert_ptr_equal(gc_arena_json_scope(a), b);  /* back to a */
    assert_ptr_equal(gc_arena_json_scope(NULL), a); /* out of scope: the heap */
    json_t *heap = json_pack("{s:s}", "k", "heap value");
    char *heap_text = json_dumps(heap, JSON_COMPACT);
    assert_string_equal(heap_text, "{\"k\":\"heap value\"}");
    gc_json_text_free(heap_text);
    json_decref(heap); /* really freed: a leak check fails without it */
    assert_string_equal(json_string_value(in_b), "in b");
    json_decref(in_b); /* an arena value freed out of scope: still nothing to free */
    gc_arena_free(b);
    gc_arena_free(a);
}

/* ---- err ---- */

static void test_err_set_and_clear(void **state)
{
    gc_err e;
    gc_err_clear(&e);
    assert_int_equal(e.kind, GC_OK);
    assert_string_equal(e.target, "");
    assert_string_equal(e.message, "");

    assert_int_equal(gc_err_set(&e, GC_E_BAD_REQUEST, "thumbprint", "bad %s: %d", "length", 39), -1);
    assert_int_equal(e.kind, GC_E_BAD_REQUEST);
    assert_string_equal(e.target, "thumbprint");
    assert_string_equal(e.message, "bad length: 39");

    assert_int_equal(gc_err_set(&e, GC_E_NOT_FOUND, NULL, "gone"), -1);
    assert_string_equal(e.target, "");
    assert_string_equal(e.message, "gone");

    assert_int_equal(gc_err_set(NULL, GC_E_INTERNAL, "x", "no record"), -1);
    gc_err_clear(NULL);

    gc_err_clear(&e);
    assert_int_equal(e.kind, GC_OK);
    assert_string_equal(e.target, "");
    assert_string_equal(e.message, "");
}

static void test_err_set_truncates(void **state)
{
    char long_target[200], long_msg[2000];
    memset(long_target, 't', sizeof long_target - 1);
    long_target[sizeof long_target - 1] = '\0';
    memset(long_msg, 'm', sizeof long_msg - 1);
    long_msg[sizeof long_msg - 1] = '\0';

    gc_err e;
    memset(&e, 0x7f, sizeof e);
    assert_int_equal(gc_err_set(&e, GC_E_CONFLICT, long_target, "[%s]", long_msg), -1);
    assert_int_equal(strlen(e.target), sizeof e.target - 1);
    assert_int_equal(e.target[0], 't');
    assert_int_equal(strlen(e.message), sizeof e.message - 1);
    assert_int_equal(e.message[0], '[');
    assert_int_equal(e.message[sizeof e.message - 2], 'm');
    assert_int_equal(e.kind, GC_E_CONFLICT);

    /* exactly fitting strings are kept whole */
    long_target[sizeof e.target - 1] = '\0';
    long_msg[sizeof e.message - 1] = '\0';
    gc_err_set(&e, GC_E_CONFLICT, long_target, "%s", long_msg);
    assert_string_equal(e.target, long_target);
    assert_string_equal(e.message, long_msg);
}

/* Client bytes quoted in a message, or a character cut by a precision or the size limit, are
 * mended to valid UTF-8 (invalid bytes become '?'), so the message fits a JSON envelope. */
static void test_err_set_mends_utf8(void **state)
{
    (void)state;
    gc_err e;
    /* %.2s cuts the two-byte "é" of "aé"; \xff is never UTF-8; "€" and U+1F600 are valid */
    gc_err_set(&e, GC_E_BAD_REQUEST, "p\xc3", "'%.2s' '%s' \xe2\x82\xac \xf0\x9f\x98\x80.", "a\xc3\xa9", "\xff");
    assert_string_equal(e.message, "'a?' '?' \xe2\x82\xac \xf0\x9f\x98\x80.");
    assert_string_equal(e.target, "p?");
    /* overlong "/", a UTF-16 surrogate, past U+10FFFF, a lone continuation byte */
    gc_err_set(&e, GC_E_BAD_REQUEST, "", "%s|%s|%s|%s", "\xc0\xaf", "\xed\xa0\x80",
               "\xf4\x90\x80\x80", "\x80");
    assert_string_equal(e.message, "??|???|????|?");
    /* the size limit cuts a three-byte character after its first two bytes */
    char long_msg[600];
    memset(long_msg, 'a', sizeof long_msg);
    memcpy(long_msg + sizeof e.message - 3, "\xe2\x82\xac", 3);
    long_msg[sizeof long_msg - 1] = '\0';
    gc_err_set(&e, GC_E_BAD_REQUEST, "", "%s", long_msg);
    assert_int_equal(strlen(e.message), sizeof e.message - 1);
    assert_string_equal(e.message + sizeof e.message - 3, "??");
    json_t *j = json_string(e.message);
    assert_non_null(j);
    json_decref(j);
}

static void test_err_table(void **state)
{
    static const struct {
        gc_errkind kind;
        int status;
        const char *code;
    } want[] = {
        {GC_E_BAD_REQUEST, 400, "BadRequest"},
        {GC_E_UNAUTHENTICATED, 401, "InvalidAuthenticationToken"},
        {GC_E_FORBIDDEN, 403, "Forbidden"},
        {GC_E_NOT_FOUND, 404, "ResourceNotFound"},
        {GC_E_METHOD, 405, "MethodNotAllowed"},
        {GC_E_CONFLICT, 409, "Conflict"},
        {GC_E_PRECONDITION, 412, "PreconditionFailed"},
        {GC_E_TOO_LARGE, 413, "RequestEntityTooLarge"},
        {GC_E_URI_TOO_LONG, 414, "RequestUriTooLong"},
        {GC_E_MEDIA_TYPE, 415, "UnsupportedMediaType"},
        {GC_E_FAILED_DEPENDENCY, 424, "FailedDependency"},
        {GC_E_HEADERS_TOO_LARGE, 431, "RequestHeaderFieldsTooLarge"},
        {GC_E_TOO_MANY, 429, "TooManyRequests"},
        {GC_E_INTERNAL, 500, "InternalServerError"},
        {GC_E_UNAVAILABLE, 503, "ServiceUnavailable"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(gc_err_http_status(want[i].kind), want[i].status);
        assert_string_equal(gc_err_graph_code(want[i].kind), want[i].code);
        assert_int_equal(gc_err_kind_for_status(want[i].status), want[i].kind);
    }
    /* a lost race answers like a failed precondition, but 412 maps back to the public kind */
    assert_int_equal(gc_err_http_status(GC_E_STALE), 412);
    assert_string_equal(gc_err_graph_code(GC_E_STALE), "PreconditionFailed");
    assert_int_equal(gc_err_kind_for_status(412), GC_E_PRECONDITION);
    assert_int_equal(gc_err_http_status(GC_OK), 200);
    /* out of range */
    assert_int_equal(gc_err_http_status(GC_E__COUNT), 500);
    assert_int_equal(gc_err_http_status((gc_errkind)-1), 500);
    assert_string_equal(gc_err_graph_code(GC_E__COUNT), "InternalServerError");
    assert_int_equal(gc_err_kind_for_status(418), GC_E_INTERNAL);
    assert_int_equal(gc_err_kind_for_status(200), GC_E_INTERNAL);
}

static void test_concat(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    assert_string_equal(gc_arena_concat(a, NULL), "");
    assert_string_equal(gc_arena_concat(a, "", "", NULL), "");
    assert_string_equal(gc_arena_concat(a, "http", "://", "localhost", NULL), "http://localhost");
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char *s = gc_arena_concat(a, "<", big, ">", NULL);
    assert_int_equal(strlen(s), sizeof big + 1);
    assert_int_equal(s[0], '<');
    assert_int_equal(s[sizeof big], '>');
    gc_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_aligned_and_zeroed),
        cmocka_unit_test(test_allocations_do_not_overlap),
        cmocka_unit_test(test_large_allocations),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_defer_reverse_order),
        cmocka_unit_test(test_defer_sees_arena_memory),
        cmocka_unit_test(test_arena_json),
        cmocka_unit_test(test_json_scope),
        cmocka_unit_test(test_err_set_and_clear),
        cmocka_unit_test(test_err_set_truncates),
        cmocka_unit_test(test_err_set_mends_utf8),
        cmocka_unit_test(test_err_table),
        cmocka_unit_test(test_concat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
