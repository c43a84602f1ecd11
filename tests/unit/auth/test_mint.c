/* Unit tests of minting tokens (src/auth/mint.c): what is minted verifies, with the claims asked. */
#include "auth_fixture.h"

/* ---- minting ---- */

static void test_mint_roundtrip(void **state)
{
    const unsigned char *key = (const unsigned char *)SECRET;
    char *tok = gc_auth_mint_hs256(key, strlen(SECRET), TID_UPPER,
                                   "DeviceManagementConfiguration.Read.All User.Read", NULL, NOW,
                                   3600);
    assert_non_null(tok);
    /* header and claims as documented */
    char *dot1 = strchr(tok, '.'), *dot2 = strchr(dot1 + 1, '.');
    assert_non_null(dot2);
    char *h64 = b64url(HS_HDR, strlen(HS_HDR));
    assert_int_equal((size_t)(dot1 - tok), strlen(h64));
    assert_memory_equal(tok, h64, strlen(h64));
    free(h64);
    assert_int_equal(strlen(dot2 + 1), 43);

    gc_principal p;
    gc_err e;
    char *copy = str_printf("%s", tok);
    expect_ok(auth_hs, copy, NOW + 10, &p);
    assert_string_equal(p.tenant, TID);
    assert_int_equal(p.n_perms, 2);
    assert_string_equal(p.perms[0], "DeviceManagementConfiguration.Read.All");
    assert_string_equal(p.perms[1], "User.Read");
    /* expires after ttl + skew */
    assert_int_equal(verify_at(auth_hs, tok, NOW + 3600 + 300, &p, &e), -1);
    assert_string_equal(e.message, "The token has expired.");
    assert_int_equal(verify_at(auth_hs, tok, NOW - 301, &p, &e), -1);
    assert_string_equal(e.message, "The token is not yet valid (nbf is in the future).");
    /* another secret does not verify it */
    char *other = tmp_path("other-secret");
    write_file(other, "other\n");
    gc_auth_config cfg = {.secret_file = other};
    gc_auth *ao = NULL;
    assert_int_equal(gc_auth_open(&cfg, &ao, &e), 0);
    assert_int_equal(verify_at(ao, tok, NOW, &p, &e), -1);
    assert_string_equal(e.message, "The JWT signature is invalid.");
    gc_auth_close(ao);
    free(other);
    free(tok);

    tok = gc_auth_mint_hs256(key, strlen(SECRET), TID, NULL, " DeviceManagementApps.ReadWrite.All  X ",
                             NOW, 60);
    assert_non_null(tok);
    expect_ok(auth_both, tok, NOW, &p);
    assert_int_equal(p.n_perms, 2);
    assert_string_equal(p.perms[0], "DeviceManagementApps.ReadWrite.All");
    assert_string_equal(p.perms[1], "X");
}

static void test_mint_claims(void **state)
{
    char *tok = gc_auth_mint_hs256((const unsigned char *)"k", 1, TID_UPPER, NULL, "A B", NOW, 60);
    assert_non_null(tok);
    char *dot1 = strchr(tok, '.'), *dot2 = strchr(dot1 + 1, '.');
    /* decode the payload with OpenSSL's base64 (after mapping the alphabet and padding) */
    size_t n = (size_t)(dot2 - dot1 - 1);
    char *std = calloc(1, n + 4);
    memcpy(std, dot1 + 1, n);
    for (size_t i = 0; i < n; i++)
        std[i] = std[i] == '-' ? '+' : std[i] == '_' ? '/' : std[i];
    while (n % 4)
        std[n++] = '=';
    unsigned char *raw = calloc(1, n);
    int m = EVP_DecodeBlock(raw, (unsigned char *)std, (int)n);
    assert_true(m > 0);
    json_t *c = json_loadb((char *)raw, strlen((char *)raw), 0, NULL);
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "aud")), GRAPH);
    assert_string_equal(json_string_value(json_object_get(c, "iss")),
                        "https://sts.windows.net/" TID "/");
    assert_string_equal(json_string_value(json_object_get(c, "tid")), TID);
    assert_int_equal(json_integer_value(json_object_get(c, "iat")), NOW);
    assert_int_equal(json_integer_value(json_object_get(c, "nbf")), NOW);
    assert_int_equal(json_integer_value(json_object_get(c, "exp")), NOW + 60);
    const char *oid = json_string_value(json_object_get(c, "oid"));
    assert_non_null(oid);
    assert_int_equal(strlen(oid), 36);
    json_t *roles = json_object_get(c, "roles");
    assert_int_equal(json_array_size(roles), 2);
    assert_string_equal(json_string_value(json_array_get(roles, 0)), "A");
    assert_string_equal(json_string_value(json_array_get(roles, 1)), "B");
    assert_null(json_object_get(c, "scp"));
    json_decref(c);
    free(raw);
    free(std);
    free(tok);

    /* refusals */
    const unsigned char *k = (const unsigned char *)"k";
    assert_null(gc_auth_mint_hs256(k, 1, "not-a-guid", "A", NULL, NOW, 60));
    assert_null(gc_auth_mint_hs256(k, 1, TID, "A", NULL, NOW, 0));
    assert_null(gc_auth_mint_hs256(k, 1, TID, "A", NULL, INT64_MAX - 5, 60));
    assert_null(gc_auth_mint_hs256(k, 0, TID, "A", NULL, NOW, 60));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_mint_roundtrip),
        T(test_mint_claims),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
