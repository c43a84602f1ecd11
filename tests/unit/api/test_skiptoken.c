/* Unit tests of $skiptoken (src/api/skiptoken.c): a token made for a position reads back as
 * that position; one altered anywhere, made under another key or read for another request (its
 * binding) is refused with the one 400 message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "api/skiptoken.h"
#include "core/arena.h"

#define BINDING "11111111-1111-4111-8111-111111111111\nuserPFXCertificate\n\nid asc,"
#define REFUSED                                                                                    \
    "The $skiptoken is not valid for this request: use the @odata.nextLink exactly as it was given."

static const unsigned char key1[GC_SKIPTOKEN_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const unsigned char key2[GC_SKIPTOKEN_KEY_LEN] = {9, 8, 7, 6, 5, 4, 3, 2, 1};

static void refused(gc_arena *a, const unsigned char *key, const char *binding, const char *token)
{
    json_t *pos = NULL;
    gc_err err;
    gc_err_clear(&err);
    assert_int_equal(gc_skiptoken_read(a, key, binding, token, &pos, &err), -1);
    assert_int_equal(err.kind, GC_E_BAD_REQUEST);
    assert_string_equal(err.target, "$skiptoken");
    assert_string_equal(err.message, REFUSED);
}

static void test_round_trip(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    json_t *pos = gc_arena_json(a, json_pack("[s,i,n,s]", "2024-05-01T00:00:00Z", 7, "abc"));
    const char *token = gc_skiptoken_make(a, key1, BINDING, pos);
    assert_non_null(token);
    /* URL-safe characters only: it goes into a nextLink as it is */
    assert_int_equal(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
                     strlen(token));
    json_t *back = NULL;
    gc_err err;
    gc_err_clear(&err);
    assert_int_equal(gc_skiptoken_read(a, key1, BINDING, token, &back, &err), 0);
    assert_true(json_equal(back, pos));
    gc_arena_free(a);
}

static void test_mac_covers_key_binding_and_every_byte(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    json_t *pos = gc_arena_json(a, json_pack("[s]", "id-1"));
    const char *token = gc_skiptoken_make(a, key1, BINDING, pos);
    refused(a, key2, BINDING, token);                        /* another deployment's key */
    refused(a, key1, BINDING "x", token);                    /* another request */
    refused(a, key1, "22222222-2222-4222-8222-222222222222\nuserPFXCertificate\n\nid asc,", token);
    /* any one character changed (in the top bit of its six, which every digit uses: the low
     * bits of a segment's last digit may be unused, and the decoder ignores them) */
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t n = strlen(token);
    for (size_t i = 0; i < n; i++) {
        char *t = gc_arena_strdup(a, token);
        const char *d = strchr(b64, t[i]);
        t[i] = d ? b64[(d - b64) ^ 32] : 'A';
        refused(a, key1, BINDING, t);
    }
    refused(a, key1, BINDING, "");
    refused(a, key1, BINDING, "no-dot");
    refused(a, key1, BINDING, gc_arena_printf(a, "%s.", token));
    gc_arena_free(a);
}

static void test_position_must_be_a_non_empty_array(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    /* correctly signed, but not a position */
    refused(a, key1, BINDING, gc_skiptoken_make(a, key1, BINDING, gc_arena_json(a, json_array())));
    refused(a, key1, BINDING, gc_skiptoken_make(a, key1, BINDING, gc_arena_json(a, json_object())));
    gc_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_mac_covers_key_binding_and_every_byte),
        cmocka_unit_test(test_position_must_be_a_non_empty_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
