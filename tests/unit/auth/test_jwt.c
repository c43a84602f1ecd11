/* Unit tests of token verification (src/auth/jwt.c, jws.c): bearer parsing, HS256 with a shared
 * secret, the exp/nbf/aud/tid/scp/roles claims, alg none and tampering, header forms, the
 * permission check, and many threads verifying on one gc_auth. */
#include "auth_fixture.h"

/* ---- HS256 and claims ---- */

static void test_hs256_scp(void **state)
{
    gc_principal p;
    expect_ok(auth_hs,
              hs_token_key(HS_HDR,
                           "{\"aud\":\"" GRAPH "\",\"tid\":\"" TID_UPPER "\",\"exp\":1700003600,"
                           "\"scp\":\" DeviceManagementConfiguration.Read.All  User.Read \"}",
                           SECRET),
              NOW, &p);
    assert_string_equal(p.tenant, TID);
    assert_int_equal(p.n_perms, 2);
    assert_string_equal(p.perms[0], "DeviceManagementConfiguration.Read.All");
    assert_string_equal(p.perms[1], "User.Read");
}

static void test_hs256_roles(void **state)
{
    gc_principal p;
    char *pl = claims(NOW + 3600, ",\"roles\":[\"DeviceManagementApps.ReadWrite.All\",\"X.Y\"]");
    expect_ok(auth_hs, hs_token(pl), NOW, &p);
    free(pl);
    assert_string_equal(p.tenant, TID);
    assert_int_equal(p.n_perms, 2);
    assert_string_equal(p.perms[0], "DeviceManagementApps.ReadWrite.All");
    assert_string_equal(p.perms[1], "X.Y");

    /* no scp nor roles: authenticated, no permissions */
    pl = claims(NOW + 3600, "");
    expect_ok(auth_both, hs_token(pl), NOW, &p);
    free(pl);
    assert_int_equal(p.n_perms, 0);
    assert_string_equal(p.tenant, TID);
}

static void test_scheme_case_and_blanks(void **state)
{
    char *pl = claims(NOW + 3600, ",\"scp\":\"A\"");
    char *tok = hs_token(pl);
    free(pl);
    static const char *const forms[][2] = {
        {"bearer ", ""}, {"BEARER\t", ""}, {"  Bearer   ", "  "}, {"bEaReR ", "\t"}};
    for (size_t i = 0; i < 4; i++) {
        char *h = str_printf("%s%s%s", forms[i][0], tok, forms[i][1]);
        gc_principal p;
        gc_err e;
        assert_int_equal(gc_auth_verify(auth_hs, A, h, NOW, &p, &e), 0);
        assert_int_equal(p.n_perms, 1);
        free(h);
    }
    free(tok);
}

static void test_expired_and_skew(void **state)
{
    gc_principal p;
    char *pl = claims(NOW - 301, "");
    expect_refused(auth_hs, hs_token(pl), NOW, "The token has expired.");
    free(pl);
    pl = claims(NOW - 300, ""); /* exp + skew == now: expired */
    expect_refused(auth_hs, hs_token(pl), NOW, "The token has expired.");
    free(pl);
    pl = claims(NOW - 299, ""); /* within the default 300 s of skew */
    expect_ok(auth_hs, hs_token(pl), NOW, &p);
    free(pl);

    /* a configured skew of 10 s */
    gc_auth *a10 = NULL;
    gc_err e;
    gc_auth_config cfg = {.secret_file = secret_path, .skew_seconds = 10};
    assert_int_equal(gc_auth_open(&cfg, &a10, &e), 0);
    pl = claims(NOW - 11, "");
    expect_refused(a10, hs_token(pl), NOW, "The token has expired.");
    free(pl);
    pl = claims(NOW - 9, "");
    expect_ok(a10, hs_token(pl), NOW, &p);
    free(pl);
    gc_auth_close(a10);

    /* exp as a JSON real is a number too */
    expect_ok(auth_hs,
              hs_token("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID "\",\"exp\":1700000100.5}"), NOW, &p);
}

static void test_nbf(void **state)
{
    gc_principal p;
    char *pl = claims(NOW + 3600, ",\"nbf\":1700000301");
    expect_refused(auth_hs, hs_token(pl), NOW, "The token is not yet valid (nbf is in the future).");
    free(pl);
    pl = claims(NOW + 3600, ",\"nbf\":1700000300"); /* within skew */
    expect_ok(auth_hs, hs_token(pl), NOW, &p);
    free(pl);
    pl = claims(NOW + 3600, ",\"nbf\":\"soon\"");
    expect_refused(auth_hs, hs_token(pl), NOW, "The token's nbf claim is not a number.");
    free(pl);
}

static void test_exp_required(void **state)
{
    expect_refused(auth_hs, hs_token("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID "\"}"), NOW,
                   "The token has no exp claim.");
    expect_refused(auth_hs,
                   hs_token("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID "\",\"exp\":\"1800000000\"}"),
                   NOW, "The token's exp claim is not a number.");
    expect_refused(auth_hs,
                   hs_token("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID "\",\"exp\":null}"), NOW,
                   "The token's exp claim is not a number.");
}

static void test_audience(void **state)
{
    gc_principal p;
    static const char wrong[] = "The token's audience is not accepted (expected "
                                "https://graph.microsoft.com or 00000003-0000-0000-c000-000000000000).";
    expect_refused(auth_hs,
                   hs_token("{\"aud\":\"https://management.azure.com\",\"tid\":\"" TID
                            "\",\"exp\":1700003600}"),
                   NOW, wrong);
    expect_refused(auth_hs,
                   hs_token("{\"aud\":\"https://graph.microsoft.com/x\",\"tid\":\"" TID
                            "\",\"exp\":1700003600}"),
                   NOW, wrong);
    expect_refused(auth_hs, hs_token("{\"aud\":[],\"tid\":\"" TID "\",\"exp\":1700003600}"), NOW,
                   wrong);
    expect_refused(auth_hs, hs_token("{\"tid\":\"" TID "\",\"exp\":1700003600}"), NOW,
                   "The token has no aud claim.");
    expect_refused(auth_hs, hs_token("{\"aud\":7,\"tid\":\"" TID "\",\"exp\":1700003600}"), NOW,
                   "The token's aud claim is neither a string nor an array.");
    expect_refused(auth_hs,
                   hs_token("{\"aud\":[\"" GRAPH "\",1],\"tid\":\"" TID "\",\"exp\":1700003600}"),
                   NOW, "The token's aud claim holds a value that is not a string.");
    /* the GUID form, and an array holding one accepted value */
    expect_ok(auth_hs,
              hs_token("{\"aud\":\"00000003-0000-0000-c000-000000000000\",\"tid\":\"" TID
                       "\",\"exp\":1700003600}"),
              NOW, &p);
    expect_ok(auth_hs,
              hs_token("{\"aud\":[\"api://other\",\"" GRAPH "\"],\"tid\":\"" TID
                       "\",\"exp\":1700003600}"),
              NOW, &p);

    /* configured audiences replace the defaults */
    const char *const auds[] = {"api://graphcerts", NULL};
    gc_auth_config cfg = {.secret_file = secret_path, .audiences = auds};
    gc_auth *custom = NULL;
    gc_err e;
    assert_int_equal(gc_auth_open(&cfg, &custom, &e), 0);
    expect_ok(custom,
              hs_token("{\"aud\":\"api://graphcerts\",\"tid\":\"" TID "\",\"exp\":1700003600}"),
              NOW, &p);
    expect_refused(custom, hs_token("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID "\",\"exp\":1700003600}"),
                   NOW, "The token's audience is not accepted (expected api://graphcerts).");
    gc_auth_close(custom);
}

static void test_tenant(void **state)
{
    expect_refused(auth_hs, hs_token("{\"aud\":\"" GRAPH "\",\"exp\":1700003600}"), NOW,
                   "The token has no tid (tenant) claim.");
    static const char *const bad[] = {
        "\"not-a-guid\"",
        "\"72f988bf86f141af91ab2d7cd011db47\"",
        "\"72f988bf-86f1-41af-91ab-2d7cd011db4\"",
        "\"72f988bf-86f1-41af-91ab-2d7cd011db47x\"",
        "\"{72f988bf-86f1-41af-91ab-2d7cd011db47}\"",
        "\"72f988bg-86f1-41af-91ab-2d7cd011db47\"",
        "42",
        "null",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *pl = str_printf("{\"aud\":\"" GRAPH "\",\"exp\":1700003600,\"tid\":%s}", bad[i]);
        expect_refused(auth_hs, hs_token(pl), NOW, "The token's tid claim is not a GUID.");
        free(pl);
    }
}

/* An HS256 token of the usual claims plus extra (which stays the caller's). */
static char *user_token(const char *extra)
{
    char *pl = claims(1700003600, extra);
    char *tok = hs_token(pl);
    free(pl);
    return tok;
}

/* The user: oid, and upn (else preferred_username); "" when absent; bounded like appid. */
static void test_user(void **state)
{
    (void)state;
    gc_principal p;
    expect_ok(auth_hs, user_token(""), NOW, &p);
    assert_string_equal(p.user_id, "");
    assert_string_equal(p.upn, "");
    expect_ok(auth_hs, user_token(",\"oid\":\"u-1\",\"upn\":\"a@b.c\","
                                  "\"preferred_username\":\"x@y.z\""), NOW, &p);
    assert_string_equal(p.user_id, "u-1");
    assert_string_equal(p.upn, "a@b.c");
    expect_ok(auth_hs, user_token(",\"preferred_username\":\"x@y.z\""), NOW, &p);
    assert_string_equal(p.upn, "x@y.z");
    expect_refused(auth_hs, user_token(",\"oid\":42"), NOW,
                   "The token's oid claim is not a string of 1 to 128 printable ASCII characters.");
    char *long_upn = calloc(1, GC_AUTH_MAX_UPN + 2);
    memset(long_upn, 'u', GC_AUTH_MAX_UPN + 1);
    char *extra = str_printf(",\"upn\":\"%s\"", long_upn);
    expect_refused(auth_hs, user_token(extra), NOW,
                   "The token's upn claim is not a string of 1 to 256 printable ASCII characters.");
    free(extra);
    long_upn[GC_AUTH_MAX_UPN] = '\0';
    extra = str_printf(",\"upn\":\"%s\"", long_upn);
    expect_ok(auth_hs, user_token(extra), NOW, &p);
    assert_string_equal(p.upn, long_upn);
    free(extra);
    free(long_upn);
}

static void test_app(void **state)
{
    gc_principal p;
    static const struct {
        const char *extra, *app;
    } ok[] = {
        {"", ""},
        {",\"appid\":\"App-One\"", "App-One"},
        {",\"azp\":\"app-two\"", "app-two"},
        {",\"azp\":\"b\",\"appid\":\"a\"", "a"}, /* a v1 token's appid wins over an azp */
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char *pl = claims(1700003600, ok[i].extra);
        expect_ok(auth_hs, hs_token(pl), NOW, &p);
        free(pl);
        assert_string_equal(p.app, ok[i].app);
    }
    char longest[GC_AUTH_MAX_APP + 1];
    memset(longest, 'x', GC_AUTH_MAX_APP);
    longest[GC_AUTH_MAX_APP] = '\0';
    char *extra = str_printf(",\"appid\":\"%s\"", longest);
    char *pl = claims(1700003600, extra);
    expect_ok(auth_hs, hs_token(pl), NOW, &p);
    free(pl);
    free(extra);
    assert_string_equal(p.app, longest);

    static const char *const bad[] = {"\"\"", "42", "null", "[\"a\"]", "\"a\\u0001b\"",
                                      "\"caf\u00e9\""};
    static const char *const names[] = {"appid", "azp"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (size_t k = 0; k < 2; k++) {
            extra = str_printf(",\"%s\":%s", names[k], bad[i]);
            pl = claims(1700003600, extra);
            char *want = str_printf("The token's %s claim is not a string of 1 to 128 printable "
                                    "ASCII characters.", names[k]);
            expect_refused(auth_hs, hs_token(pl), NOW, want);
            free(want);
            free(pl);
            free(extra);
        }
    }
    extra = str_printf(",\"appid\":\"%sx\"", longest);
    pl = claims(1700003600, extra);
    expect_refused(auth_hs, hs_token(pl), NOW,
                   "The token's appid claim is not a string of 1 to 128 printable ASCII characters.");
    free(pl);
    free(extra);
}

static void test_perm_claim_types(void **state)
{
    char *pl = claims(NOW + 3600, ",\"scp\":[\"A\"]");
    expect_refused(auth_hs, hs_token(pl), NOW, "The token's scp claim is not a string.");
    free(pl);
    pl = claims(NOW + 3600, ",\"roles\":\"A B\"");
    expect_refused(auth_hs, hs_token(pl), NOW, "The token's roles claim is not an array.");
    free(pl);
    pl = claims(NOW + 3600, ",\"roles\":[\"A\",{}]");
    expect_refused(auth_hs, hs_token(pl), NOW,
                   "The token's roles claim holds a value that is not a string.");
    free(pl);

    /* 64 permissions fit; 65 do not */
    char roles[2048] = "";
    size_t n = 0;
    for (int i = 0; i < 65; i++)
        n += (size_t)snprintf(roles + n, sizeof roles - n, "%s\"R%d\"", i ? "," : "", i);
    roles[n] = '\0';
    pl = str_printf("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID "\",\"exp\":1700003600,\"roles\":[%s]}",
                    roles);
    expect_refused(auth_hs, hs_token(pl), NOW, "The token grants more than 64 permissions.");
    free(pl);
    *strrchr(roles, ',') = '\0';
    pl = str_printf("{\"aud\":\"" GRAPH "\",\"tid\":\"" TID "\",\"exp\":1700003600,\"roles\":[%s]}",
                    roles);
    gc_principal p;
    expect_ok(auth_hs, hs_token(pl), NOW, &p);
    free(pl);
    assert_int_equal(p.n_perms, 64);
    assert_string_equal(p.perms[63], "R63");

    /* scp and roles together grant both */
    pl = claims(NOW + 3600, ",\"scp\":\"S1\",\"roles\":[\"R1\"]");
    expect_ok(auth_hs, hs_token(pl), NOW, &p);
    free(pl);
    assert_int_equal(p.n_perms, 2);
    assert_string_equal(p.perms[0], "S1");
    assert_string_equal(p.perms[1], "R1");
}

static void test_alg_none(void **state)
{
    char *pl = claims(NOW + 3600, ",\"roles\":[\"A\"]");
    char *in = signing_input("{\"alg\":\"none\",\"typ\":\"JWT\"}", pl);
    char *tok = str_printf("%s.", in);
    expect_refused(auth_both, tok, NOW, "Unsigned tokens (alg none) are not accepted.");
    /* alg none carrying a valid HS256 MAC of its input is still refused */
    expect_refused(auth_both, hs_token_key("{\"alg\":\"None\"}", pl, SECRET), NOW,
                   "Unsigned tokens (alg none) are not accepted.");
    expect_refused(auth_both, hs_token_key("{\"typ\":\"JWT\"}", pl, SECRET), NOW,
                   "The JWT header has no alg.");
    expect_refused(auth_both, hs_token_key("{\"alg\":256}", pl, SECRET), NOW,
                   "The JWT header has no alg.");
    expect_refused(auth_both, hs_token_key("{\"alg\":\"HS512\"}", pl, SECRET), NOW,
                   "The JWT alg is not supported (accepted: HS256, RS256, ES256).");
    expect_refused(auth_both, hs_token_key("{\"alg\":\"hs256\"}", pl, SECRET), NOW,
                   "The JWT alg is not supported (accepted: HS256, RS256, ES256).");
    expect_refused(auth_both, hs_token_key("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", pl, SECRET),
                   NOW, "The JWT header has a crit parameter; no JWS extensions are supported.");
    free(in);
    free(pl);
}

static void test_tampered_and_wrong_secret(void **state)
{
    char *pl = claims(NOW + 3600, ",\"roles\":[\"DeviceManagementApps.Read.All\"]");
    char *tok = hs_token(pl);
    free(pl);
    /* swap the payload for one granting more, keep the signature */
    char *pl2 = claims(NOW + 3600, ",\"roles\":[\"DeviceManagementApps.ReadWrite.All\"]");
    char *p64 = b64url(pl2, strlen(pl2));
    free(pl2);
    char *dot1 = strchr(tok, '.'), *dot2 = strchr(dot1 + 1, '.');
    char *forged = str_printf("%.*s.%s%s", (int)(dot1 - tok), tok, p64, dot2);
    free(p64);
    expect_refused(auth_hs, forged, NOW, "The JWT signature is invalid.");
    /* one flipped signature character */
    char *flip = str_printf("%s", tok);
    size_t last = strlen(flip) - 2;
    flip[last] = flip[last] == 'A' ? 'B' : 'A';
    expect_refused(auth_hs, flip, NOW, "The JWT signature is invalid.");
    /* signature removed */
    char *nosig = str_printf("%.*s.", (int)(dot2 - tok), tok);
    expect_refused(auth_hs, nosig, NOW, "The JWT signature is invalid.");
    free(tok);

    pl = claims(NOW + 3600, ",\"scp\":\"A\"");
    expect_refused(auth_hs, hs_token_key(HS_HDR, pl, "another-secret"), NOW,
                   "The JWT signature is invalid.");
    /* the secret file's trailing CR LF is not part of the key */
    expect_refused(auth_hs, hs_token_key(HS_HDR, pl, SECRET "\r\n"), NOW,
                   "The JWT signature is invalid.");
    free(pl);
}

static void test_header_forms(void **state)
{
    gc_principal p;
    gc_err e;
    assert_int_equal(gc_auth_verify(auth_hs, A, NULL, NOW, &p, &e), -1);
    assert_int_equal(e.kind, GC_E_UNAUTHENTICATED);
    assert_string_equal(e.message,
                        "The Authorization header is missing; send 'Authorization: Bearer <token>'.");
    assert_int_equal(gc_auth_verify(auth_hs, A, "Basic dXNlcjpwYXNz", NOW, &p, &e), -1);
    assert_string_equal(e.message, "The Authorization header must use the Bearer scheme.");
    assert_int_equal(gc_auth_verify(auth_hs, A, "Bearerabc.def.ghi", NOW, &p, &e), -1);
    assert_string_equal(e.message, "The Authorization header must use the Bearer scheme.");
    assert_int_equal(gc_auth_verify(auth_hs, A, "Bearer   ", NOW, &p, &e), -1);
    assert_string_equal(e.message, "The bearer token is empty.");
    assert_int_equal(gc_auth_verify(auth_hs, A, "", NOW, &p, &e), -1);
    assert_string_equal(e.message, "The Authorization header must use the Bearer scheme.");

    static const char not_jwt[] =
        "The bearer token is not a JWT (expected three base64url segments separated by dots).";
    char *pl = claims(NOW + 3600, "");
    char *tok = hs_token(pl);
    free(pl);
    char *dot2 = strrchr(tok, '.');
    expect_refused(auth_hs, str_printf("%.*s", (int)(dot2 - tok), tok), NOW, not_jwt);
    expect_refused(auth_hs, str_printf("%s.AAAA", tok), NOW, not_jwt);
    expect_refused(auth_hs, str_printf("%s", "opaque-token-value"), NOW, not_jwt);
    expect_refused(auth_hs, str_printf(".%s", strchr(tok, '.') + 1), NOW, not_jwt);
    /* padding and the standard alphabet are not base64url */
    expect_refused(auth_hs, str_printf("%s=", tok), NOW, "The JWT signature is not base64url.");
    char *plus = str_printf("%s", tok);
    plus[strlen(plus) - 1] = '+';
    expect_refused(auth_hs, plus, NOW, "The JWT signature is not base64url.");
    /* a header segment that decodes to something other than a JSON object */
    char *in = signing_input("[\"alg\",\"HS256\"]", "{}");
    expect_refused(auth_hs, str_printf("%s.AAAA", in), NOW,
                   "The JWT header is not a base64url-encoded JSON object.");
    free(in);
    expect_refused(auth_hs, str_printf("%s", "e30K!.e30.AAAA"), NOW,
                   "The JWT header is not a base64url-encoded JSON object.");
    /* duplicate header members are refused rather than guessed at */
    in = signing_input("{\"alg\":\"HS256\",\"alg\":\"none\"}", "{}");
    expect_refused(auth_hs, str_printf("%s.AAAA", in), NOW,
                   "The JWT header is not a base64url-encoded JSON object.");
    free(in);
    /* a payload that is not JSON, validly signed */
    in = str_printf("%s", HS_HDR);
    expect_refused(auth_hs, hs_token_key(in, "not json", SECRET), NOW,
                   "The JWT payload is not a base64url-encoded JSON object.");
    free(in);
    free(tok);

    /* 16 KiB of token is the limit */
    char *big = malloc(16 * 1024 + 2);
    memset(big, 'A', 16 * 1024 + 1);
    big[16 * 1024 + 1] = '\0';
    expect_refused(auth_hs, big, NOW, "The bearer token is longer than 16384 bytes.");
}

static void test_large_token_within_limit(void **state)
{
    /* a 10 KB claim is fine */
    char *filler = malloc(10001);
    memset(filler, 'x', 10000);
    filler[10000] = '\0';
    char *extra = str_printf(",\"filler\":\"%s\",\"scp\":\"A\"", filler);
    char *pl = claims(NOW + 3600, extra);
    gc_principal p;
    expect_ok(auth_hs, hs_token(pl), NOW, &p);
    assert_int_equal(p.n_perms, 1);
    free(pl);
    free(extra);
    free(filler);
}

/* ---- permissions ---- */

static void test_has_any(void **state)
{
    gc_principal p = {.tenant = TID, .n_perms = 2,
                      .perms = {"DeviceManagementConfiguration.Read.All", "User.Read"}};
    const char *const read[] = {"DeviceManagementConfiguration.ReadWrite.All",
                                "deviceManagementConfiguration.read.all", NULL};
    const char *const write[] = {"DeviceManagementConfiguration.ReadWrite.All", NULL};
    const char *const prefix[] = {"DeviceManagementConfiguration.Read", NULL};
    const char *const empty[] = {NULL};
    assert_true(gc_auth_has_any(&p, read));
    assert_false(gc_auth_has_any(&p, write));
    assert_false(gc_auth_has_any(&p, prefix));
    assert_false(gc_auth_has_any(&p, empty));
    const char *const upper[] = {"USER.READ", NULL};
    assert_true(gc_auth_has_any(&p, upper));
    gc_principal none = {.n_perms = 0};
    assert_false(gc_auth_has_any(&none, read));
}

/* ---- many threads on one gc_auth ---- */

typedef struct thread_job {
    const char *tokens[3];
    int failures;
} thread_job;

static void *verify_loop(void *arg)
{
    thread_job *job = arg;
    for (int i = 0; i < 30; i++) {
        gc_arena *a = gc_arena_new();
        for (int t = 0; t < 3; t++) {
            char *h = str_printf("Bearer %s", job->tokens[t]);
            gc_principal p;
            gc_err e;
            if (gc_auth_verify(auth_both, a, h, NOW, &p, &e) != 0 || p.n_perms != 1 ||
                strcmp(p.perms[0], "A") != 0)
                job->failures++;
            /* a bad token in between leaves no state behind */
            if (gc_auth_verify(auth_both, a, "Bearer e30.e30.AAAA", NOW, &p, &e) != -1)
                job->failures++;
            free(h);
        }
        gc_arena_free(a);
    }
    return NULL;
}

static void test_threads(void **state)
{
    char *pl = claims(NOW + 3600, ",\"scp\":\"A\"");
    char *hs = hs_token(pl);
    char *rs = pkey_token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", pl, rsa1, 0);
    char *es = pkey_token("{\"alg\":\"ES256\",\"kid\":\"ec1\"}", pl, ec1, 1);
    free(pl);
    enum { N = 4 };
    pthread_t th[N];
    thread_job jobs[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (thread_job){{hs, rs, es}, 0};
        assert_int_equal(pthread_create(&th[i], NULL, verify_loop, &jobs[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(jobs[i].failures, 0);
    }
    free(hs);
    free(rs);
    free(es);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_hs256_scp),
        T(test_hs256_roles),
        T(test_scheme_case_and_blanks),
        T(test_expired_and_skew),
        T(test_nbf),
        T(test_exp_required),
        T(test_audience),
        T(test_tenant),
        T(test_user),
        T(test_app),
        T(test_perm_claim_types),
        T(test_alg_none),
        T(test_tampered_and_wrong_secret),
        T(test_header_forms),
        T(test_large_token_within_limit),
        T(test_has_any),
        T(test_threads),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
