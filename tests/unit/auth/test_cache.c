/* Unit tests of the cache of verified tokens (src/auth/cache.c): hits give the same principal,
 * expiry on a hit, tampering, eviction, limits and many threads. */
#include "auth_fixture.h"

/* ---- the cache of verified tokens ---- */

static gc_auth *open_cached(int entries, int skew)
{
    gc_auth *x = NULL;
    gc_err e;
    gc_auth_config cfg = {.secret_file = secret_path, .jwks_file = jwks_path,
                          .cache_entries = entries, .skew_seconds = skew};
    if (gc_auth_open(&cfg, &x, &e) < 0) {
        print_error("gc_auth_open: %s\n", e.message);
        fail();
    }
    return x;
}

static gc_auth_cache_stats stats_of(gc_auth *x)
{
    gc_auth_cache_stats st;
    memset(&st, 0xa5, sizeof st);
    gc_auth_get_cache_stats(x, &st);
    return st;
}

static void assert_stats(gc_auth *x, size_t used, uint64_t hits, uint64_t misses,
                         uint64_t evictions)
{
    gc_auth_cache_stats st = stats_of(x);
    assert_int_equal(st.used, used);
    assert_int_equal(st.hits, hits);
    assert_int_equal(st.misses, misses);
    assert_int_equal(st.evictions, evictions);
}

static void assert_same_principal(const gc_principal *a, const gc_principal *b)
{
    assert_string_equal(a->tenant, b->tenant);
    assert_string_equal(a->app, b->app);
    assert_string_equal(a->user_id, b->user_id);
    assert_string_equal(a->upn, b->upn);
    assert_int_equal(a->n_perms, b->n_perms);
    for (size_t i = 0; i < a->n_perms; i++)
        assert_string_equal(a->perms[i], b->perms[i]);
}

static void test_cache_hit_same_principal(void **state)
{
    gc_auth *x = open_cached(0, 0);
    gc_auth_cache_stats st = stats_of(x);
    assert_int_equal(st.capacity, 4096);
    assert_stats(x, 0, 0, 0, 0);

    char *pl = str_printf("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID_UPPER "\",\"exp\":1700003600,"
                          "\"azp\":\"8a1c2b3d-0000-4000-8000-00000000000a\","
                          "\"oid\":\"0d0e0f00-0000-4000-8000-000000000001\",\"upn\":\"ann@contoso.com\","
                          "\"scp\":\" User.Read  DeviceManagementConfiguration.Read.All \","
                          "\"roles\":[\"DeviceManagementApps.ReadWrite.All\",\"\",\"X\"]}");
    char *tok = hs_token(pl);
    free(pl);
    gc_principal miss, hit, plain;
    gc_err e;
    assert_int_equal(verify_at(x, tok, NOW, &miss, &e), 0);
    assert_stats(x, 1, 0, 1, 0);
    assert_string_equal(miss.tenant, TID);
    assert_string_equal(miss.app, "8a1c2b3d-0000-4000-8000-00000000000a");
    assert_string_equal(miss.upn, "ann@contoso.com");
    assert_int_equal(miss.n_perms, 4);
    assert_string_equal(miss.perms[0], "User.Read");
    assert_string_equal(miss.perms[1], "DeviceManagementConfiguration.Read.All");
    assert_string_equal(miss.perms[2], "DeviceManagementApps.ReadWrite.All");
    assert_string_equal(miss.perms[3], "X");

    /* a hit in another arena, through another spelling of the header */
    gc_arena *b = gc_arena_new();
    char *h = str_printf("  bEARER\t%s \t", tok);
    assert_int_equal(gc_auth_verify(x, b, h, NOW + 5, &hit, &e), 0);
    free(h);
    assert_stats(x, 1, 1, 1, 0);
    assert_same_principal(&miss, &hit);
    for (size_t i = 0; i < hit.n_perms; i++)
        assert_ptr_not_equal(hit.perms[i], miss.perms[i]);

    /* the same answer from an auth without a cache */
    gc_auth *off = open_cached(-1, 0);
    assert_int_equal(verify_at(off, tok, NOW, &plain, &e), 0);
    assert_same_principal(&plain, &hit);
    assert_int_equal(verify_at(off, tok, NOW, &plain, &e), 0);
    st = stats_of(off);
    assert_int_equal(st.capacity, 0);
    assert_int_equal(st.used + st.hits + st.misses + st.evictions, 0);
    gc_auth_close(off);

    /* the hit's names live in the caller's arena, not in the cache: closing the auth (which
       frees the cache) leaves them readable (ASan would report a use after free) */
    gc_auth_close(x);
    assert_string_equal(hit.perms[1], "DeviceManagementConfiguration.Read.All");
    assert_string_equal(hit.perms[3], "X");
    gc_arena_free(b);

    /* no permissions, RS256 and ES256: hits give the same principal too */
    x = open_cached(16, 0);
    gc_auth_cache_stats st16 = stats_of(x);
    assert_int_equal(st16.capacity, 16);
    pl = claims(NOW + 3600, "");
    char *none = hs_token(pl);
    free(pl);
    pl = claims(NOW + 3600, ",\"roles\":[\"R\"]");
    char *rs = pkey_token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", pl, rsa1, 0);
    char *es = pkey_token("{\"alg\":\"ES256\",\"kid\":\"ec1\"}", pl, ec1, 1);
    free(pl);
    const char *toks[] = {none, rs, es};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(verify_at(x, toks[i], NOW, &miss, &e), 0);
        assert_int_equal(verify_at(x, toks[i], NOW, &hit, &e), 0);
        assert_same_principal(&miss, &hit);
        assert_int_equal(hit.n_perms, i == 0 ? 0 : 1);
    }
    /* each hit came straight after its miss; with 8 sets of 2 ways and a random seed, all three
     * share a set one time in 64 and the third then evicts one of the others */
    st16 = stats_of(x);
    assert_int_equal(st16.hits, 3);
    assert_int_equal(st16.misses, 3);
    assert_int_equal(st16.used + st16.evictions, 3);
    gc_auth_close(x);
    free(none);
    free(rs);
    free(es);
    free(tok);
}

static void test_cache_expiry(void **state)
{
    gc_auth *x = open_cached(0, 0);
    gc_principal p;
    gc_err e;
    char *pl = claims(NOW + 100, ",\"nbf\":1699999990,\"scp\":\"A\"");
    char *tok = hs_token(pl);
    free(pl);
    assert_int_equal(verify_at(x, tok, NOW, &p, &e), 0);
    assert_stats(x, 1, 0, 1, 0);
    /* exp + skew == now: expired, answered from the cache */
    assert_int_equal(verify_at(x, tok, NOW + 400, &p, &e), -1);
    assert_string_equal(e.message, "The token has expired.");
    assert_int_equal(p.n_perms, 0);
    assert_string_equal(p.tenant, "");
    assert_stats(x, 1, 1, 1, 0);
    assert_int_equal(verify_at(x, tok, NOW + 399, &p, &e), 0);
    assert_int_equal(p.n_perms, 1);
    /* nbf - skew in the future */
    assert_int_equal(verify_at(x, tok, NOW - 10 - 301, &p, &e), -1);
    assert_string_equal(e.message, "The token is not yet valid (nbf is in the future).");
    assert_int_equal(p.n_perms, 0);
    assert_int_equal(verify_at(x, tok, NOW - 10 - 300, &p, &e), 0);
    assert_stats(x, 1, 4, 1, 0);
    /* a refusal is not cached: an expired token verifies in full each time */
    char *old = claims(NOW - 1000, "");
    char *otok = hs_token(old);
    free(old);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(verify_at(x, otok, NOW, &p, &e), -1);
        assert_string_equal(e.message, "The token has expired.");
    }
    assert_stats(x, 1, 4, 3, 0);
    free(otok);
    gc_auth_close(x);

    /* a configured skew and a fractional exp survive the cache exactly */
    x = open_cached(0, 10);
    char *frac = hs_token("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID "\",\"exp\":1700000100.5}");
    assert_int_equal(verify_at(x, frac, NOW, &p, &e), 0);
    assert_int_equal(verify_at(x, frac, NOW + 110, &p, &e), 0);
    assert_int_equal(verify_at(x, frac, NOW + 111, &p, &e), -1);
    assert_string_equal(e.message, "The token has expired.");
    assert_stats(x, 1, 2, 1, 0);
    free(frac);
    gc_auth_close(x);
    free(tok);
}

static void test_cache_tampered(void **state)
{
    gc_auth *x = open_cached(0, 0);
    gc_principal p;
    gc_err e;
    char *pl = claims(NOW + 3600, ",\"roles\":[\"DeviceManagementApps.Read.All\"]");
    char *tok = hs_token(pl);
    free(pl);
    assert_int_equal(verify_at(x, tok, NOW, &p, &e), 0);
    assert_int_equal(verify_at(x, tok, NOW, &p, &e), 0);
    assert_stats(x, 1, 1, 1, 0);

    char *dot1 = strchr(tok, '.'), *dot2 = strchr(dot1 + 1, '.');
    char *pl2 = claims(NOW + 3600, ",\"roles\":[\"DeviceManagementApps.ReadWrite.All\"]");
    char *p64 = b64url(pl2, strlen(pl2));
    free(pl2);
    char *forged = str_printf("%.*s.%s%s", (int)(dot1 - tok), tok, p64, dot2);
    free(p64);
    char *flip = str_printf("%s", tok);
    size_t last = strlen(flip) - 2;
    flip[last] = flip[last] == 'A' ? 'B' : 'A';
    char *flip_payload = str_printf("%s", tok);
    size_t mid = (size_t)(dot1 - tok) + 5;
    flip_payload[mid] = flip_payload[mid] == 'x' ? 'y' : 'x';
    char *longer = str_printf("%sA", tok);
    char *shorter = str_printf("%.*s", (int)strlen(tok) - 1, tok);
    char *hdr_changed = NULL;
    {
        char *in = signing_input("{\"alg\":\"HS256\",\"typ\":\"JWS\"}", "{}");
        hdr_changed = str_printf("%.*s%s", (int)strcspn(in, "."), in, dot1);
        free(in);
    }
    const char *bad[] = {forged, flip, flip_payload, longer, shorter, hdr_changed};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int round = 0; round < 2; round++) {
            assert_int_equal(verify_at(x, bad[i], NOW, &p, &e), -1);
            if (strcmp(e.message, "The JWT signature is invalid.") != 0 &&
                strcmp(e.message, "The JWT signature is not base64url.") != 0 &&
                strcmp(e.message, "The JWT payload is not a base64url-encoded JSON object.") != 0) {
                print_error("variant %zu: %s\n", i, e.message);
                fail();
            }
            assert_int_equal(p.n_perms, 0);
        }
    }
    /* every variant missed (twice each), nothing new was cached, the original still hits */
    assert_stats(x, 1, 1, 1 + 2 * 6, 0);
    assert_int_equal(verify_at(x, tok, NOW, &p, &e), 0);
    assert_int_equal(p.n_perms, 1);
    assert_string_equal(p.perms[0], "DeviceManagementApps.Read.All");
    assert_stats(x, 1, 2, 13, 0);

    /* two valid tokens that differ in the tenant only: each gets its own principal */
    char *t2 = hs_token("{\"aud\":\"" GRAPH "\",\"tid\":\"00000000-0000-0000-0000-000000000001\","
                        "\"exp\":1700003600,\"roles\":[\"DeviceManagementApps.Read.All\"]}");
    for (int round = 0; round < 3; round++) {
        assert_int_equal(verify_at(x, t2, NOW, &p, &e), 0);
        assert_string_equal(p.tenant, "00000000-0000-0000-0000-000000000001");
        assert_int_equal(verify_at(x, tok, NOW, &p, &e), 0);
        assert_string_equal(p.tenant, TID);
    }
    assert_stats(x, 2, 2 + 5, 14, 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        free((void *)bad[i]);
    free(t2);
    free(tok);
    gc_auth_close(x);
}

/* An HS256 token granting the one role "R<i>". */
static char *role_token(int i, int64_t exp)
{
    char *extra = str_printf(",\"roles\":[\"R%d\"]", i);
    char *pl = claims(exp, extra);
    char *tok = hs_token(pl);
    free(pl);
    free(extra);
    return tok;
}

static void expect_role(gc_auth *x, const char *tok, int i)
{
    gc_principal p;
    gc_err e;
    assert_int_equal(verify_at(x, tok, NOW, &p, &e), 0);
    char want[16];
    snprintf(want, sizeof want, "R%d", i);
    assert_int_equal(p.n_perms, 1);
    assert_string_equal(p.perms[0], want);
}

static void test_cache_eviction(void **state)
{
    /* 2 slots: one set, least recently used way replaced */
    gc_auth *x = open_cached(2, 0);
    assert_int_equal(stats_of(x).capacity, 2);
    char *a = role_token(1, NOW + 3600), *b = role_token(2, NOW + 3600),
         *c = role_token(3, NOW + 3600);
    expect_role(x, a, 1);
    expect_role(x, b, 2);
    expect_role(x, c, 3); /* evicts a */
    assert_stats(x, 2, 0, 3, 1);
    expect_role(x, a, 1); /* miss; evicts b, the older of b and c */
    assert_stats(x, 2, 0, 4, 2);
    expect_role(x, c, 3); /* hit; a becomes the older */
    assert_stats(x, 2, 1, 4, 2);
    expect_role(x, b, 2); /* miss; evicts a */
    expect_role(x, c, 3); /* hit */
    expect_role(x, b, 2); /* hit */
    assert_stats(x, 2, 3, 5, 3);
    gc_auth_close(x);
    free(a);
    free(b);
    free(c);

    /* more distinct tokens than slots: the cache stays full and the latest ones hit */
    x = open_cached(7, 0); /* rounded up to 8 */
    assert_int_equal(stats_of(x).capacity, 8);
    enum { N = 100 };
    char *toks[N];
    for (int i = 0; i < N; i++) {
        toks[i] = role_token(i, NOW + 3600);
        expect_role(x, toks[i], i);
    }
    assert_stats(x, 8, 0, N, N - 8);
    expect_role(x, toks[N - 1], N - 1);
    assert_stats(x, 8, 1, N, N - 8);
    for (int i = 0; i < N; i++)
        free(toks[i]);
    gc_auth_close(x);

    /* sizes that are not accepted */
    static const int bad[] = {1, -2, INT32_MIN, (1 << 20) + 1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gc_auth *y = (gc_auth *)1;
        gc_err e;
        gc_auth_config cfg = {.secret_file = secret_path, .cache_entries = bad[i]};
        assert_int_equal(gc_auth_open(&cfg, &y, &e), -1);
        assert_null(y);
        char *want = str_printf("the token cache must have 2 to 1048576 entries (0: 4096, -1: off), "
                                "got %d", bad[i]);
        assert_string_equal(e.message, want);
        free(want);
    }
    x = open_cached(1 << 20, 0);
    assert_int_equal(stats_of(x).capacity, 1 << 20);
    gc_auth_close(x);
}

/* A valid HS256 token of exactly len bytes granting one role of name_len 'N's: the filler
 * claim is sized from the length without it, then adjusted a few bytes either way (a base64url
 * segment cannot have every length, hence two headers). */
static char *filled_token(size_t fill, const char *name, int hdr)
{
    char *filler = malloc(fill + 1);
    memset(filler, 'f', fill);
    filler[fill] = '\0';
    char *extra = str_printf(",\"f\":\"%s\",\"roles\":[\"%s\"]", filler, name);
    char *pl = claims(NOW + 3600, extra);
    char *tok = hs_token_key(hdr ? "{\"alg\":\"HS256\"}" : HS_HDR, pl, SECRET);
    free(filler);
    free(extra);
    free(pl);
    return tok;
}

static char *sized_token(size_t len, size_t name_len)
{
    char *name = malloc(name_len + 1);
    memset(name, 'N', name_len);
    name[name_len] = '\0';
    char *tok = filled_token(0, name, 0);
    size_t base = strlen(tok);
    free(tok);
    assert_true(base + 16 < len);
    size_t guess = (len - base) * 3 / 4;
    for (size_t fill = guess - 8; fill < guess + 8; fill++) {
        for (int h = 0; h < 2; h++) {
            tok = filled_token(fill, name, h);
            if (strlen(tok) == len) {
                free(name);
                return tok;
            }
            free(tok);
        }
    }
    free(name);
    fail_msg("no token of %zu bytes", len);
    return NULL;
}

static void test_cache_limits(void **state)
{
    gc_auth *x = open_cached(0, 0);
    gc_principal p;
    gc_err e;
    /* a token of exactly 16384 bytes is cached; one byte more never reaches the cache */
    char *max = sized_token(16384, 10);
    assert_int_equal(verify_at(x, max, NOW, &p, &e), 0);
    assert_int_equal(verify_at(x, max, NOW, &p, &e), 0);
    assert_int_equal(p.n_perms, 1);
    assert_stats(x, 1, 1, 1, 0);
    char *over = str_printf("%sA", max);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(verify_at(x, over, NOW, &p, &e), -1);
        assert_string_equal(e.message, "The bearer token is longer than 16384 bytes.");
    }
    assert_stats(x, 1, 1, 1, 0);
    free(over);
    free(max);

    /* permission names of 2048 bytes (NULs included) are cached; 2049 are not */
    char *fits = sized_token(4000, 2047), *big = sized_token(4000, 2048);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(verify_at(x, fits, NOW, &p, &e), 0);
        assert_int_equal(strlen(p.perms[0]), 2047);
        assert_int_equal(verify_at(x, big, NOW, &p, &e), 0);
        assert_int_equal(strlen(p.perms[0]), 2048);
    }
    assert_stats(x, 2, 2, 4, 0);
    free(fits);
    free(big);

    /* 64 permissions fit in the cache too */
    char roles[2048] = "";
    size_t n = 0;
    for (int i = 0; i < 64; i++)
        n += (size_t)snprintf(roles + n, sizeof roles - n, "%s\"Role.%d\"", i ? "," : "", i);
    char *pl = str_printf("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID "\",\"exp\":1700003600,"
                          "\"roles\":[%s]}", roles);
    char *tok = hs_token(pl);
    free(pl);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(verify_at(x, tok, NOW, &p, &e), 0);
        assert_int_equal(p.n_perms, 64);
        assert_string_equal(p.perms[0], "Role.0");
        assert_string_equal(p.perms[63], "Role.63");
    }
    assert_stats(x, 3, 3, 5, 0);
    free(tok);
    gc_auth_close(x);
}

/* Many threads, one small cache, a mix of good, expired-by-now and tampered tokens. */
enum { MIX_TOKENS = 24, MIX_ROUNDS = 60, MIX_THREADS = 4 };

typedef struct mix_job {
    gc_auth *auth;
    char **toks;  /* MIX_TOKENS: i % 8 == 6 tampered, i % 8 == 7 RS256/ES256 */
    unsigned seed;
    int failures;
    long verifies;
} mix_job;

static void *mix_loop(void *arg)
{
    mix_job *job = arg;
    for (int r = 0; r < MIX_ROUNDS; r++) {
        gc_arena *a = gc_arena_new();
        for (int k = 0; k < MIX_TOKENS; k++) {
            job->seed = job->seed * 1103515245u + 12345u;
            int i = (int)((job->seed >> 8) % MIX_TOKENS);
            bool late = (job->seed >> 4) % 5 == 0; /* after exp + skew */
            char *h = str_printf("Bearer %s", job->toks[i]);
            gc_principal p;
            gc_err e;
            int rc = gc_auth_verify(job->auth, a, h, late ? NOW + 3900 : NOW, &p, &e);
            free(h);
            job->verifies++;
            char want[16];
            snprintf(want, sizeof want, "R%d", i);
            if (i % 8 == 6) {
                if (rc != -1 || strcmp(e.message, "The JWT signature is invalid.") != 0 ||
                    p.n_perms != 0)
                    job->failures++;
            } else if (late) {
                if (rc != -1 || strcmp(e.message, "The token has expired.") != 0 || p.n_perms != 0)
                    job->failures++;
            } else if (rc != 0 || strcmp(p.tenant, TID) != 0 || p.n_perms != 1 ||
                       strcmp(p.perms[0], want) != 0) {
                job->failures++;
            }
        }
        gc_arena_free(a);
    }
    return NULL;
}

static void test_cache_threads(void **state)
{
    gc_auth *x = open_cached(8, 0);
    char *toks[MIX_TOKENS];
    for (int i = 0; i < MIX_TOKENS; i++) {
        if (i % 8 == 7) {
            char *extra = str_printf(",\"roles\":[\"R%d\"]", i);
            char *pl = claims(NOW + 3600, extra);
            toks[i] = i % 16 == 7 ? pkey_token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", pl, rsa1, 0)
                                  : pkey_token("{\"alg\":\"ES256\",\"kid\":\"ec1\"}", pl, ec1, 1);
            free(pl);
            free(extra);
        } else {
            toks[i] = role_token(i, NOW + 3600);
        }
        if (i % 8 == 6) { /* the payload of token i - 1 under token i's signature */
            char *prev = toks[i - 1];
            char *d1 = strchr(prev, '.'), *d2 = strchr(d1 + 1, '.');
            char *sig = strrchr(toks[i], '.');
            char *t = str_printf("%.*s%s", (int)(d2 - prev), prev, sig);
            free(toks[i]);
            toks[i] = t;
        }
    }
    pthread_t th[MIX_THREADS];
    mix_job jobs[MIX_THREADS];
    for (int i = 0; i < MIX_THREADS; i++) {
        jobs[i] = (mix_job){x, toks, (unsigned)(i * 7919 + 1), 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, mix_loop, &jobs[i]), 0);
    }
    long verifies = 0;
    for (int i = 0; i < MIX_THREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(jobs[i].failures, 0);
        verifies += jobs[i].verifies;
    }
    gc_auth_cache_stats st = stats_of(x);
    assert_int_equal(verifies, MIX_THREADS * MIX_ROUNDS * MIX_TOKENS);
    assert_int_equal(st.hits + st.misses, verifies);
    assert_true(st.hits > 0);
    assert_true(st.evictions > 0);
    assert_true(st.used <= 8);
    for (int i = 0; i < MIX_TOKENS; i++)
        free(toks[i]);
    gc_auth_close(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_cache_hit_same_principal),
        T(test_cache_expiry),
        T(test_cache_tampered),
        T(test_cache_eviction),
        T(test_cache_limits),
        T(test_cache_threads),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
