/* Tests for src/odata/filter.c: every operator and function on every EDM type of the real
 * schema types (checked as an exact dump of the bound AST), precedence, the import tool's
 * filter, literal forms and conversions, and each error with its exact message and position. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/util.h"
#include "odata/filter.h"

static const gc_entity_type *user_pfx(void)
{
    return gc_schema_find_set("deviceManagement", "userPfxCertificates");
}
static const gc_entity_type *device_state(void)
{
    return gc_schema_find_set("deviceManagement",
                              "deviceConfigurationsAllManagedDeviceCertificateStates");
}
static const gc_entity_type *code_signing(void)
{
    return gc_schema_find_set("deviceAppManagement", "enterpriseCodeSigningCertificates");
}
static const gc_entity_type *pfx_user(void)
{
    return gc_schema_find_set(NULL, "pfxUserCertificates");
}

/* ---- an s-expression dump of the AST, for exact comparison ---- */

static void dump_value(gc_buf *b, const gc_value *v)
{
    switch (v->kind) {
    case GC_VALUE_NULL: gc_buf_appendf(b, "null"); break;
    case GC_VALUE_INT: gc_buf_appendf(b, "%lld", (long long)v->i); break;
    case GC_VALUE_BOOL: gc_buf_appendf(b, "%s", v->i ? "true" : "false"); break;
    case GC_VALUE_TEXT:
        assert_int_equal(strlen(v->s), v->len);
        gc_buf_appendf(b, "'%s'", v->s);
        break;
    case GC_VALUE_BLOB: fail_msg("a filter literal is never a blob"); break;
    }
}

static void dump(gc_buf *b, const gc_filter *f)
{
    static const char *const ops[] = {"eq", "ne", "gt", "ge", "lt", "le"};
    switch (f->kind) {
    case GC_FILTER_OR:
    case GC_FILTER_AND:
        gc_buf_appendf(b, "(%s ", f->kind == GC_FILTER_OR ? "or" : "and");
        dump(b, f->left);
        gc_buf_appendf(b, " ");
        dump(b, f->right);
        gc_buf_appendf(b, ")");
        return;
    case GC_FILTER_NOT:
        gc_buf_appendf(b, "(not ");
        dump(b, f->left);
        gc_buf_appendf(b, ")");
        return;
    case GC_FILTER_PROP:
        gc_buf_appendf(b, "%s", f->prop->name);
        return;
    case GC_FILTER_TOLOWER:
    case GC_FILTER_TOUPPER:
        gc_buf_appendf(b, "(%s ", f->kind == GC_FILTER_TOLOWER ? "tolower" : "toupper");
        dump(b, f->left);
        gc_buf_appendf(b, ")");
        assert_ptr_equal(f->prop, f->left->prop);
        return;
    case GC_FILTER_CMP: gc_buf_appendf(b, "(%s ", ops[f->op]); break;
    case GC_FILTER_IN: gc_buf_appendf(b, "(in "); break;
    case GC_FILTER_STARTSWITH: gc_buf_appendf(b, "(startswith "); break;
    case GC_FILTER_ENDSWITH: gc_buf_appendf(b, "(endswith "); break;
    case GC_FILTER_CONTAINS: gc_buf_appendf(b, "(contains "); break;
    }
    assert_ptr_equal(f->prop, f->left->prop);
    dump(b, f->left);
    assert_true(f->n_vals >= 1);
    for (size_t i = 0; i < f->n_vals; i++) {
        gc_buf_appendf(b, " ");
        dump_value(b, &f->vals[i]);
    }
    gc_buf_appendf(b, ")");
}

static gc_filter *parse_ok(gc_arena *a, const gc_entity_type *t, const char *text)
{
    gc_err err = {0};
    gc_filter *f = NULL;
    int rc = gc_odata_filter_parse(a, t, text, strlen(text), &f, &err);
    if (rc != 0)
        fail_msg("parse of \"%s\" failed: %s", text, err.message);
    assert_non_null(f);
    return f;
}

static void expect_ast(const gc_entity_type *t, const char *text, const char *want)
{
    gc_arena *a = gc_arena_new();
    gc_filter *f = parse_ok(a, t, text);
    gc_buf b;
    gc_buf_init(&b, 8192);
    dump(&b, f);
    if (strcmp(b.data, want) != 0)
        fail_msg("\"%s\"\n  got  %s\n  want %s", text, b.data, want);
    gc_buf_free(&b);
    gc_arena_free(a);
}

static void expect_error_n(const gc_entity_type *t, const char *text, size_t len, const char *want)
{
    gc_arena *a = gc_arena_new();
    gc_err err = {0};
    gc_filter *f = NULL;
    assert_int_equal(gc_odata_filter_parse(a, t, text, len, &f, &err), -1);
    assert_null(f);
    assert_int_equal(err.kind, GC_E_BAD_REQUEST);
    assert_string_equal(err.target, "$filter");
    if (strcmp(err.message, want) != 0)
        fail_msg("\"%.80s\"\n  got  %s\n  want %s", text, err.message, want);
    gc_arena_free(a);
}

static void expect_error(const gc_entity_type *t, const char *text, const char *want)
{
    expect_error_n(t, text, strlen(text), want);
}

/* ---- success: every operator and function on every EDM type ---- */

static void test_string(void **state)
{
    (void)state;
    const gc_entity_type *t = user_pfx();
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"userPrincipalName eq 'a@b.c'", "(eq userPrincipalName 'a@b.c')"},
        {"userPrincipalName ne 'a'", "(ne userPrincipalName 'a')"},
        {"userPrincipalName gt 'a'", "(gt userPrincipalName 'a')"},
        {"userPrincipalName ge 'a'", "(ge userPrincipalName 'a')"},
        {"userPrincipalName lt 'a'", "(lt userPrincipalName 'a')"},
        {"userPrincipalName le 'a'", "(le userPrincipalName 'a')"},
        {"userPrincipalName eq null", "(eq userPrincipalName null)"},
        {"userPrincipalName ne null", "(ne userPrincipalName null)"},
        {"userPrincipalName in ('a', 'b','c')", "(in userPrincipalName 'a' 'b' 'c')"},
        {"userPrincipalName in ('a')", "(in userPrincipalName 'a')"},
        {"startswith(userPrincipalName,'ad')", "(startswith userPrincipalName 'ad')"},
        {"endswith(userPrincipalName, '@contoso.com')",
         "(endswith userPrincipalName '@contoso.com')"},
        {"contains( keyName , '50%' )", "(contains keyName '50%')"},
        {"contains(tolower(providerName),'microsoft')",
         "(contains (tolower providerName) 'microsoft')"},
        {"tolower(thumbprint) eq 'ab'", "(eq (tolower thumbprint) 'ab')"},
        {"toupper(thumbprint) ne 'AB'", "(ne (toupper thumbprint) 'AB')"},
        {"tolower(toupper(keyName)) eq 'k'", "(eq (tolower (toupper keyName)) 'k')"},
        {"toupper(keyName) in ('A', 'B')", "(in (toupper keyName) 'A' 'B')"},
        {"id eq 'x-y'", "(eq id 'x-y')"},
        /* a doubled quote is one quote; other characters are literal */
        {"keyName eq 'O''Brien'", "(eq keyName 'O'Brien')"},
        {"keyName eq ''''", "(eq keyName ''')"},
        {"keyName eq ''", "(eq keyName '')"},
        {"keyName eq 'a and b or c eq ( ) , \\ %_'", "(eq keyName 'a and b or c eq ( ) , \\ %_')"},
        {"keyName eq 'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91'",
         "(eq keyName 'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91')"},
        /* a literal on the left */
        {"'a' eq keyName", "(eq keyName 'a')"},
        {"null ne keyName", "(ne keyName null)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_ast(t, cases[i].in, cases[i].want);
    /* the same on the other types' String properties */
    expect_ast(device_state(), "startswith(certificateSubjectName,'CN=')",
               "(startswith certificateSubjectName 'CN=')");
    expect_ast(code_signing(), "issuerName eq 'Contoso CA' or contains(subject, 'O=')",
               "(or (eq issuerName 'Contoso CA') (contains subject 'O='))");
    expect_ast(pfx_user(), "tolower(userUpn) eq 'u@x' and encryptionKeyName ne null",
               "(and (eq (tolower userUpn) 'u@x') (ne encryptionKeyName null))");
}

static void test_int32(void **state)
{
    (void)state;
    const gc_entity_type *t = device_state();
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"certificateKeyUsages eq 5", "(eq certificateKeyUsages 5)"},
        {"certificateKeyUsages ne -5", "(ne certificateKeyUsages -5)"},
        {"certificateKeyUsages gt 0", "(gt certificateKeyUsages 0)"},
        {"certificateKeyUsages ge 2147483647", "(ge certificateKeyUsages 2147483647)"},
        {"certificateKeyUsages lt -2147483648", "(lt certificateKeyUsages -2147483648)"},
        {"certificateKeyUsages le 007", "(le certificateKeyUsages 7)"},
        {"certificateKeyUsages eq null", "(eq certificateKeyUsages null)"},
        {"certificateKeyUsages ne null", "(ne certificateKeyUsages null)"},
        {"certificateKeyUsages in (1, 2, 160)", "(in certificateKeyUsages 1 2 160)"},
        /* literal on the left: the operator is mirrored */
        {"5 lt certificateKeyUsages", "(gt certificateKeyUsages 5)"},
        {"5 ge certificateKeyUsages", "(le certificateKeyUsages 5)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_ast(t, cases[i].in, cases[i].want);
    expect_ast(pfx_user(), "status eq 1 and paddingScheme le 3 and intendedPurpose in (1, 2)",
               "(and (and (eq status 1) (le paddingScheme 3)) (in intendedPurpose 1 2))");
}

static void test_boolean(void **state)
{
    (void)state;
    const gc_entity_type *t = pfx_user();
    expect_ast(t, "isDeleted eq true", "(eq isDeleted true)");
    expect_ast(t, "isDeleted ne false", "(ne isDeleted false)");
    expect_ast(t, "isDeleted eq null", "(eq isDeleted null)");
    expect_ast(t, "isDeleted in (true, false)", "(in isDeleted true false)");
    expect_ast(t, "isDeleted gt false", "(gt isDeleted false)");
    /* a Boolean property alone is a predicate */
    expect_ast(t, "isDeleted", "(eq isDeleted true)");
    expect_ast(t, "not isDeleted", "(not (eq isDeleted true))");
    expect_ast(t, "isDeleted and (not isDeleted or status eq 0)",
               "(and (eq isDeleted true) (or (not (eq isDeleted true)) (eq status 0)))");
    expect_ast(t, "false eq isDeleted", "(eq isDeleted false)");
}

static void test_guid(void **state)
{
    (void)state;
    const gc_entity_type *t = pfx_user();
    /* stored lower case, so literals are lowered: comparison is case-insensitive */
    expect_ast(t, "tenantId eq 0F8FAD5B-D9CB-469F-A165-70867728950E",
               "(eq tenantId '0f8fad5b-d9cb-469f-a165-70867728950e')");
    expect_ast(t, "userId ne deadbeef-0000-4000-8000-00000000ABCD",
               "(ne userId 'deadbeef-0000-4000-8000-00000000abcd')");
    expect_ast(t, "userId eq 'DEADBEEF-0000-4000-8000-00000000ABCD'",
               "(eq userId 'deadbeef-0000-4000-8000-00000000abcd')");
    expect_ast(t, "userId in (00000000-0000-0000-0000-000000000000, "
                  "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee)",
               "(in userId '00000000-0000-0000-0000-000000000000' "
               "'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee')");
    expect_ast(t, "userId gt 12345678-1234-1234-1234-123456789012 and tenantId eq null",
               "(and (gt userId '12345678-1234-1234-1234-123456789012') (eq tenantId null))");
    expect_ast(t, "(userId eq 12345678-1234-1234-1234-123456789012)",
               "(eq userId '12345678-1234-1234-1234-123456789012')");
}

static void test_datetime(void **state)
{
    (void)state;
    const gc_entity_type *t = user_pfx();
    /* compared by instant: the same instant in three offsets gives the same ticks */
    expect_ast(t, "expirationDateTime ge 2024-01-01T00:00:00Z",
               "(ge expirationDateTime 638396640000000000)");
    expect_ast(t, "expirationDateTime lt 2024-01-01T01:00:00+01:00",
               "(lt expirationDateTime 638396640000000000)");
    expect_ast(t, "expirationDateTime le 2023-12-31T19:00:00-05:00",
               "(le expirationDateTime 638396640000000000)");
    expect_ast(t, "startDateTime gt 2024-06-30T12:34:56.1234567Z",
               "(gt startDateTime 638553476961234567)");
    expect_ast(t, "startDateTime eq 0001-01-01T00:00:00Z", "(eq startDateTime 0)");
    expect_ast(t, "createdDateTime ne 2024-01-01t00:00z", "(ne createdDateTime 638396640000000000)");
    expect_ast(t, "lastModifiedDateTime in (2024-01-01T00:00:00Z, 2025-03-01T00:00:00Z)",
               "(in lastModifiedDateTime 638396640000000000 638763840000000000)");
    expect_ast(t, "2024-01-01T00:00:00Z lt expirationDateTime",
               "(gt expirationDateTime 638396640000000000)");
    expect_ast(device_state(),
               "certificateExpirationDateTime gt 2024-01-01T00:00:00Z and "
               "certificateIssuanceDateTime le 2025-03-01T00:00:00Z",
               "(and (gt certificateExpirationDateTime 638396640000000000) "
               "(le certificateIssuanceDateTime 638763840000000000))");
    expect_ast(code_signing(), "uploadDateTime ge 2024-01-01T00:00:00Z",
               "(ge uploadDateTime 638396640000000000)");
    expect_ast(pfx_user(), "(certExpirationDate lt 2025-03-01T00:00:00Z)",
               "(lt certExpirationDate 638763840000000000)");
}

static void test_enum(void **state)
{
    (void)state;
    const gc_entity_type *t = user_pfx();
    expect_ast(t, "intendedPurpose eq 'vpn'", "(eq intendedPurpose 4)");
    expect_ast(t, "intendedPurpose eq 'WiFi'", "(eq intendedPurpose 8)");
    expect_ast(t, "intendedPurpose eq microsoft.graph.userPfxIntendedPurpose'smimeSigning'",
               "(eq intendedPurpose 2)");
    expect_ast(t, "intendedPurpose ne Microsoft.Graph.UserPfxIntendedPurpose'VPN'",
               "(ne intendedPurpose 4)");
    expect_ast(t, "intendedPurpose eq 8", "(eq intendedPurpose 8)");
    expect_ast(t, "intendedPurpose gt 'smimeEncryption'", "(gt intendedPurpose 1)");
    expect_ast(t, "intendedPurpose in ('vpn', 8, microsoft.graph.userPfxIntendedPurpose'unassigned')",
               "(in intendedPurpose 4 8 0)");
    expect_ast(t, "paddingScheme ge 'oaepSha256' and paddingScheme lt 5",
               "(and (ge paddingScheme 3) (lt paddingScheme 5))");
    /* refused on input, but still a member: filtering for it is fine */
    expect_ast(t, "paddingScheme eq 'pkcs1'", "(eq paddingScheme 1)");
    expect_ast(t, "'vpn' eq intendedPurpose", "(eq intendedPurpose 4)");
    expect_ast(device_state(), "certificateRevokeStatus le 'issued'",
               "(le certificateRevokeStatus 2)");
    expect_ast(device_state(),
               "certificateRevokeStatus eq microsoft.graph.certificateRevocationStatus'revoked'",
               "(eq certificateRevokeStatus 4)");
    expect_ast(code_signing(), "status eq 'provisioned' or status eq 'notProvisioned'",
               "(or (eq status 1) (eq status 0))");
}

static void test_precedence(void **state)
{
    (void)state;
    const gc_entity_type *t = device_state();
    expect_ast(t, "certificateKeyUsages eq 1 or certificateKeyUsages eq 2 and certificateKeyUsages eq 3",
               "(or (eq certificateKeyUsages 1) (and (eq certificateKeyUsages 2) "
               "(eq certificateKeyUsages 3)))");
    expect_ast(t, "(certificateKeyUsages eq 1 or certificateKeyUsages eq 2) and certificateKeyUsages eq 3",
               "(and (or (eq certificateKeyUsages 1) (eq certificateKeyUsages 2)) "
               "(eq certificateKeyUsages 3))");
    expect_ast(t, "not certificateKeyUsages eq 1 and certificateKeyUsages eq 2",
               "(and (not (eq certificateKeyUsages 1)) (eq certificateKeyUsages 2))");
    expect_ast(t, "not (certificateKeyUsages eq 1 or certificateKeyUsages eq 2)",
               "(not (or (eq certificateKeyUsages 1) (eq certificateKeyUsages 2)))");
    expect_ast(t, "not not certificateKeyUsages eq 1",
               "(not (not (eq certificateKeyUsages 1)))");
    expect_ast(t, "certificateKeyUsages eq 1 or certificateKeyUsages eq 2 or certificateKeyUsages eq 3",
               "(or (or (eq certificateKeyUsages 1) (eq certificateKeyUsages 2)) "
               "(eq certificateKeyUsages 3))");
    expect_ast(t, "((((certificateKeyUsages eq 1))))", "(eq certificateKeyUsages 1)");
    expect_ast(t, "not(certificateKeyUsages eq 1)", "(not (eq certificateKeyUsages 1))");
}

static void test_spelling(void **state)
{
    (void)state;
    const gc_entity_type *t = device_state();
    /* tabs and runs of blanks between tokens; blanks around the whole expression */
    expect_ast(t, " \tcertificateKeyUsages\t\teq   1  ", "(eq certificateKeyUsages 1)");
    /* upper-case keywords and functions are accepted too */
    expect_ast(t, "certificateKeyUsages EQ 1 AND NOT certificateKeyUsages GT 2 OR "
                  "STARTSWITH(TOLOWER(userPrincipalName), 'a') or userPrincipalName EQ NULL",
               "(or (or (and (eq certificateKeyUsages 1) (not (gt certificateKeyUsages 2))) "
               "(startswith (tolower userPrincipalName) 'a')) (eq userPrincipalName null))");
    expect_ast(pfx_user(), "isDeleted eq TRUE or isDeleted IN (FALSE)",
               "(or (eq isDeleted true) (in isDeleted false))");
    /* a string may follow its operator without a blank */
    expect_ast(t, "userPrincipalName eq'x'", "(eq userPrincipalName 'x')");
    /* the text need not be NUL-terminated */
    gc_arena *a = gc_arena_new();
    gc_err err = {0};
    gc_filter *f = NULL;
    const char text[] = "certificateKeyUsages eq 12345";
    assert_int_equal(gc_odata_filter_parse(a, t, text, sizeof text - 4, &f, &err), 0);
    assert_int_equal(f->vals[0].i, 12);
    gc_arena_free(a);
}

/* The PFX import tool (Intune-Resource-Access, PFXImportPowershell) sends exactly this. */
static void test_import_tool_filter(void **state)
{
    (void)state;
    const char *text = "tolower(userPrincipalName) eq 'user@contoso.com' and tolower(thumbprint) "
                       "eq 'f00dcafef00dcafef00dcafef00dcafef00dcafe'";
    expect_ast(user_pfx(), text,
               "(and (eq (tolower userPrincipalName) 'user@contoso.com') "
               "(eq (tolower thumbprint) 'f00dcafef00dcafef00dcafef00dcafef00dcafe'))");
    gc_arena *a = gc_arena_new();
    gc_filter *f = parse_ok(a, user_pfx(), text);
    /* positions and properties of the nodes */
    assert_int_equal(f->kind, GC_FILTER_AND);
    assert_int_equal(f->pos, 0);
    assert_int_equal(f->left->kind, GC_FILTER_CMP);
    assert_int_equal(f->left->op, GC_FILTER_EQ);
    assert_string_equal(f->left->prop->name, "userPrincipalName");
    assert_string_equal(f->left->prop->column, "user_principal_name");
    assert_int_equal(f->left->left->kind, GC_FILTER_TOLOWER);
    assert_int_equal(f->left->left->left->kind, GC_FILTER_PROP);
    assert_int_equal(f->left->left->left->pos, 8);
    assert_int_equal(f->right->pos, 53);
    assert_int_equal(f->right->left->left->pos, 61);
    assert_int_equal(f->right->vals[0].kind, GC_VALUE_TEXT);
    assert_int_equal(f->right->vals[0].len, 40);
    gc_arena_free(a);
}

static void test_limits_ok(void **state)
{
    (void)state;
    const gc_entity_type *t = device_state();
    gc_arena *a = gc_arena_new();
    char buf[GC_FILTER_MAX_LEN + 1];
    /* 64 levels of parentheses */
    size_t n = 0;
    for (int i = 0; i < 64; i++)
        buf[n++] = '(';
    n += (size_t)snprintf(buf + n, sizeof buf - n, "certificateKeyUsages eq 1");
    for (int i = 0; i < 64; i++)
        buf[n++] = ')';
    buf[n] = '\0';
    parse_ok(a, t, buf);
    /* 63 nots around tolower: 64 levels */
    n = 0;
    for (int i = 0; i < 63; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "not ");
    n += (size_t)snprintf(buf + n, sizeof buf - n, "tolower(userPrincipalName) eq 'x'");
    parse_ok(a, t, buf);
    /* exactly GC_FILTER_MAX_LEN bytes */
    n = (size_t)snprintf(buf, sizeof buf, "userPrincipalName eq '");
    while (n < GC_FILTER_MAX_LEN - 1)
        buf[n++] = 'x';
    buf[n++] = '\'';
    buf[n] = '\0';
    assert_int_equal(strlen(buf), GC_FILTER_MAX_LEN);
    gc_filter *f = parse_ok(a, t, buf);
    assert_int_equal(f->vals[0].len, GC_FILTER_MAX_LEN - 23);
    /* 256 nodes: PROP, IN and 254 values */
    n = (size_t)snprintf(buf, sizeof buf, "certificateKeyUsages in (0");
    for (int i = 1; i < 254; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, ",%d", i % 10);
    n += (size_t)snprintf(buf + n, sizeof buf - n, ")");
    f = parse_ok(a, t, buf);
    assert_int_equal(f->n_vals, 254);
    gc_arena_free(a);
}

/* ---- errors, each with its exact message ---- */

static void test_error_properties(void **state)
{
    (void)state;
    const gc_entity_type *t = user_pfx();
    expect_error(t, "foo eq 1",
                 "Could not find a property named 'foo' on type 'microsoft.graph.userPFXCertificate' "
                 "at position 0.");
    /* property names are case-sensitive */
    expect_error(t, "thumbprint eq 'a' and UserPrincipalName eq 'x'",
                 "Could not find a property named 'UserPrincipalName' on type "
                 "'microsoft.graph.userPFXCertificate' at position 22.");
    expect_error(t, "tolower(nope) eq 'x'",
                 "Could not find a property named 'nope' on type 'microsoft.graph.userPFXCertificate' "
                 "at position 8.");
    expect_error(t, "'x' eq a.b",
                 "Could not find a property named 'a.b' on type 'microsoft.graph.userPFXCertificate' "
                 "at position 7.");
    /* secrets and Binary properties are not filterable */
    expect_error(t, "encryptedPfxBlob eq 'AA=='",
                 "The property 'encryptedPfxBlob' cannot be used in $filter at position 0.");
    expect_error(t, "keyName eq 'k' or encryptedPfxPassword eq 'secret'",
                 "The property 'encryptedPfxPassword' cannot be used in $filter at position 18.");
    expect_error(code_signing(), "content ne null",
                 "The property 'content' cannot be used in $filter at position 0.");
    expect_error(pfx_user(), "encryptedPfxBlob eq 'x'",
                 "The property 'encryptedPfxBlob' cannot be used in $filter at position 0.");
    expect_error(pfx_user(), "eTag eq 'x'",
                 "The property 'eTag' cannot be used in $filter at position 0.");
    expect_error(t, "keyName eq thumbprint", "Comparing two properties is not supported at position 11.");
    expect_error(t, "'a' eq 'b'", "A comparison needs a property on one side at position 4.");
}

static void test_error_types(void **state)
{
    (void)state;
    const gc_entity_type *t = user_pfx();
    expect_error(t, "userPrincipalName eq 5",
                 "Property 'userPrincipalName' expects an Edm.String value, not an integer, at "
                 "position 21.");
    expect_error(t, "tolower(userPrincipalName) eq true",
                 "Property 'userPrincipalName' expects an Edm.String value, not a Boolean, at "
                 "position 30.");
    expect_error(t, "keyName in ('a', 2024-01-01T00:00:00Z)",
                 "Property 'keyName' expects an Edm.String value, not a date-time, at position 17.");
    expect_error(t, "expirationDateTime gt '2024-01-01T00:00:00Z'",
                 "Property 'expirationDateTime' expects an Edm.DateTimeOffset value, not a string, "
                 "at position 22.");
    expect_error(t, "intendedPurpose eq true",
                 "Property 'intendedPurpose' expects a microsoft.graph.userPfxIntendedPurpose value, "
                 "not a Boolean, at position 19.");
    expect_error(device_state(), "certificateKeyUsages eq '5'",
                 "Property 'certificateKeyUsages' expects an Edm.Int32 value, not a string, at "
                 "position 24.");
    expect_error(device_state(), "certificateKeyUsages eq 2147483648",
                 "Value 2147483648 is out of range for Edm.Int32 property 'certificateKeyUsages' at "
                 "position 24.");
    expect_error(device_state(), "certificateKeyUsages eq 99999999999999999999",
                 "Number '99999999999999999999' is out of range at position 24.");
    expect_error(device_state(), "certificateKeyUsages eq 1.5",
                 "Invalid number '1.5' at position 24.");
    expect_error(device_state(), "certificateKeyUsages eq 5x",
                 "Invalid number '5x' at position 24.");
    expect_error(pfx_user(), "isDeleted eq 1",
                 "Property 'isDeleted' expects an Edm.Boolean value, not an integer, at position 13.");
    expect_error(pfx_user(), "status eq 00000000-0000-0000-0000-000000000000",
                 "Property 'status' expects an Edm.Int32 value, not a GUID, at position 10.");
    expect_error(pfx_user(), "tenantId eq 'nope'",
                 "Property 'tenantId' expects an Edm.Guid value, not a string, at position 12.");
    expect_error(pfx_user(), "tenantId eq 5",
                 "Property 'tenantId' expects an Edm.Guid value, not an integer, at position 12.");
    /* null only with eq / ne */
    expect_error(t, "keyName gt null", "null can only be compared with eq or ne at position 11.");
    expect_error(t, "keyName in ('a', null)", "null can only be compared with eq or ne at position 17.");
    expect_error(t, "startswith(keyName, null)", "null can only be compared with eq or ne at position 20.");
    /* string functions take String properties only */
    expect_error(t, "startswith(intendedPurpose, 'v')",
                 "The function 'startswith' needs an Edm.String argument; property "
                 "'intendedPurpose' is userPfxIntendedPurpose at position 11.");
    expect_error(pfx_user(), "contains(userId, 'abc')",
                 "The function 'contains' needs an Edm.String argument; property 'userId' is "
                 "Edm.Guid at position 9.");
    expect_error(t, "tolower(expirationDateTime) eq 'x'",
                 "The function 'tolower' needs an Edm.String argument; property "
                 "'expirationDateTime' is Edm.DateTimeOffset at position 8.");
    expect_error(t, "toupper('abc') eq keyName",
                 "The function 'toupper' needs a property argument at position 8.");
    expect_error(t, "endswith('abc', keyName)",
                 "The first argument of 'endswith' must be a property at position 9.");
    expect_error(t, "endswith(keyName, keyName)",
                 "The second argument of 'endswith' must be a string literal at position 18.");
    expect_error(t, "contains(keyName, 5)",
                 "Property 'keyName' expects an Edm.String value, not an integer, at position 18.");
    expect_error(t, "length(keyName) eq 5", "The function 'length' is not supported at position 0.");
    expect_error(t, "'a' in ('a')", "The left side of 'in' must be a property at position 0.");
    expect_error(t, "keyName in (keyName)", "The list after 'in' may hold only literals at position 12.");
}

static void test_error_literals(void **state)
{
    (void)state;
    const gc_entity_type *t = user_pfx();
    /* dates */
    expect_error(t, "expirationDateTime gt 2024-13-01T00:00:00Z",
                 "Invalid DateTimeOffset literal '2024-13-01T00:00:00Z' at position 22.");
    expect_error(t, "expirationDateTime gt 2024-02-30T00:00:00Z",
                 "Invalid DateTimeOffset literal '2024-02-30T00:00:00Z' at position 22.");
    expect_error(t, "expirationDateTime gt 2024-01-01T00:00:00",
                 "Invalid DateTimeOffset literal '2024-01-01T00:00:00' at position 22.");
    expect_error(t, "expirationDateTime gt 2024-01-01",
                 "Invalid DateTimeOffset literal '2024-01-01' at position 22.");
    expect_error(t, "(expirationDateTime gt 2024-01-01T00:00:00+25:00)",
                 "Invalid DateTimeOffset literal '2024-01-01T00:00:00+25:00' at position 23.");
    /* GUIDs */
    expect_error(pfx_user(), "tenantId eq 0f8fad5b-d9cb-469f-a165-70867728950",
                 "Invalid Guid literal '0f8fad5b-d9cb-469f-a165-70867728950' at position 12.");
    expect_error(pfx_user(), "tenantId eq 0f8fad5b-d9cb-469f-a165-70867728950eX",
                 "Invalid Guid literal '0f8fad5b-d9cb-469f-a165-70867728950eX' at position 12.");
    expect_error(pfx_user(), "userId eq abcdefab-zzzz-469f-a165-70867728950e",
                 "Invalid Guid literal 'abcdefab-zzzz-469f-a165-70867728950e' at position 10.");
    /* enum members */
    expect_error(t, "intendedPurpose eq 'bogus'",
                 "'bogus' is not a member of microsoft.graph.userPfxIntendedPurpose (property "
                 "'intendedPurpose') at position 19.");
    expect_error(t, "intendedPurpose eq 3",
                 "3 is not a member of microsoft.graph.userPfxIntendedPurpose (property "
                 "'intendedPurpose') at position 19.");
    expect_error(t, "intendedPurpose in ('vpn', 'wifi', 'smime')",
                 "'smime' is not a member of microsoft.graph.userPfxIntendedPurpose (property "
                 "'intendedPurpose') at position 35.");
    expect_error(t, "intendedPurpose eq microsoft.graph.userPfxPaddingScheme'none'",
                 "Property 'intendedPurpose' expects a microsoft.graph.userPfxIntendedPurpose "
                 "value, not a member of microsoft.graph.userPfxPaddingScheme, at position 19.");
    expect_error(t, "intendedPurpose eq userPfxIntendedPurpose.x'vpn'",
                 "Property 'intendedPurpose' expects a microsoft.graph.userPfxIntendedPurpose "
                 "value, not a member of userPfxIntendedPurpose.x, at position 19.");
    expect_error(t, "keyName eq microsoft.graph.userPfxPaddingScheme'none'",
                 "Property 'keyName' expects an Edm.String value, not an enum member, at position 11.");
    /* strings */
    expect_error(t, "userPrincipalName eq 'abc",
                 "Unterminated string literal at position 21.");
    expect_error(t, "userPrincipalName eq 'it''s",
                 "Unterminated string literal at position 21.");
    expect_error(t, "intendedPurpose eq microsoft.graph.userPfxIntendedPurpose'vpn",
                 "Unterminated string literal at position 57.");
    expect_error_n(t, "keyName eq 'a\0b'", 16, "String literal is not valid UTF-8 text at position 11.");
    expect_error(t, "keyName eq 'a\xff'", "String literal is not valid UTF-8 text at position 11.");
    expect_error(t, "keyName eq 'a\xc0\xaf'", "String literal is not valid UTF-8 text at position 11.");
    expect_error(t, "keyName eq 'a\xed\xa0\x80'", "String literal is not valid UTF-8 text at position 11.");
}

static void test_error_syntax(void **state)
{
    (void)state;
    const gc_entity_type *t = user_pfx();
    expect_error(t, "", "The $filter expression is empty.");
    expect_error(t, " \t ", "The $filter expression is empty.");
    expect_error(t, "userPrincipalName eq 'a' garbage",
                 "Syntax error: unexpected 'garbage' at position 25.");
    expect_error(t, "userPrincipalName eq 'a')", "Syntax error: unexpected ')' at position 24.");
    expect_error(t, "userPrincipalName eq 'a' eq 'b'", "Syntax error: unexpected 'eq' at position 25.");
    expect_error(t, "userPrincipalName eq 'a' 'b'", "Syntax error: unexpected ''b'' at position 25.");
    expect_error(t, "userPrincipalName eq",
                 "Syntax error: expected a property or a literal but found the end of the "
                 "expression at position 20.");
    expect_error(t, "userPrincipalName",
                 "Syntax error: expected a comparison operator but found the end of the expression "
                 "at position 17.");
    expect_error(t, "userPrincipalName Eq 'x'",
                 "Syntax error: expected a comparison operator but found 'Eq' at position 18.");
    expect_error(t, "(keyName eq 'a'", "Syntax error: expected ')' but found the end of the "
                                       "expression at position 15.");
    expect_error(t, "keyName eq 'a' and", "Syntax error: expected a property or a literal but "
                                          "found the end of the expression at position 18.");
    expect_error(t, "keyName eq 'a' and or keyName eq 'b'",
                 "Syntax error: expected a property or a literal but found 'or' at position 19.");
    expect_error(t, "startswith keyName", "Syntax error: expected '(' but found 'keyName' at position 11.");
    expect_error(t, "startswith(keyName 'a')", "Syntax error: expected ',' but found ''a'' at position 19.");
    expect_error(t, "keyName in ('a' 'b')", "Syntax error: expected ',' or ')' but found ''b'' at position 16.");
    expect_error(t, "keyName in 'a'", "Syntax error: expected '(' but found ''a'' at position 11.");
    expect_error(t, "keyName in ()", "Syntax error: expected a property or a literal but found ')' at position 12.");
    expect_error(t, "keyName eq 'a' & keyName eq 'b'", "Syntax error: unexpected character '&' at position 15.");
    expect_error(t, "keyName\neq 'a'", "Syntax error: unexpected character '?' at position 7.");
    expect_error(t, "keyName eq \xc3\xa9", "Syntax error: unexpected character '?' at position 11.");
    expect_error(t, "keyName eq 'a' and x", "Could not find a property named 'x' on type "
                                            "'microsoft.graph.userPFXCertificate' at position 19.");
    /* long client text is quoted truncated */
    expect_error(t, "keyName eq 'a' aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                 "Syntax error: unexpected 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' at position 15.");
}

static void test_error_limits(void **state)
{
    (void)state;
    const gc_entity_type *t = device_state();
    static char buf[GC_FILTER_MAX_LEN * 2];
    size_t n;
    /* too long: GC_FILTER_MAX_LEN + 1 bytes, even of blanks */
    memset(buf, ' ', GC_FILTER_MAX_LEN + 1);
    expect_error_n(t, buf, GC_FILTER_MAX_LEN + 1, "The $filter expression is longer than 4096 bytes.");
    n = (size_t)snprintf(buf, sizeof buf, "userPrincipalName eq '");
    while (n < GC_FILTER_MAX_LEN)
        buf[n++] = 'x';
    buf[n++] = '\'';
    buf[n] = '\0';
    expect_error(t, buf, "The $filter expression is longer than 4096 bytes.");
    /* too deep: 65 parentheses, 65 nots, 65 function calls */
    n = 0;
    for (int i = 0; i < 65; i++)
        buf[n++] = '(';
    n += (size_t)snprintf(buf + n, sizeof buf - n, "certificateKeyUsages eq 1");
    for (int i = 0; i < 65; i++)
        buf[n++] = ')';
    buf[n] = '\0';
    expect_error(t, buf, "The $filter expression is nested more than 64 levels deep at position 64.");
    n = 0;
    for (int i = 0; i < 65; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "not ");
    n += (size_t)snprintf(buf + n, sizeof buf - n, "certificateKeyUsages eq 1");
    expect_error(t, buf, "The $filter expression is nested more than 64 levels deep at position 256.");
    n = 0;
    for (int i = 0; i < 65; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "tolower(");
    n += (size_t)snprintf(buf + n, sizeof buf - n, "userPrincipalName");
    for (int i = 0; i < 65; i++)
        buf[n++] = ')';
    snprintf(buf + n, sizeof buf - n, " eq 'x'");
    expect_error(t, buf, "The $filter expression is nested more than 64 levels deep at position 512.");
    /* 2000 unclosed parentheses stop at the limit, long before the stack would */
    memset(buf, '(', 2000);
    buf[2000] = '\0';
    expect_error(t, buf, "The $filter expression is nested more than 64 levels deep at position 64.");
    /* too many nodes: an in list of 255 values is 257 nodes */
    n = (size_t)snprintf(buf, sizeof buf, "certificateKeyUsages in (0");
    for (int i = 1; i < 255; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, ",%d", i % 10);
    snprintf(buf + n, sizeof buf - n, ")");
    expect_error(t, buf, "The $filter expression has more than 256 nodes at position 533.");
    /* ... and a long or-chain of comparisons (4 nodes each) */
    n = (size_t)snprintf(buf, sizeof buf, "certificateKeyUsages eq 1");
    for (int i = 0; i < 70; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, " or certificateKeyUsages eq 1");
    expect_error(t, buf, "The $filter expression has more than 256 nodes at position 1856.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string),
        cmocka_unit_test(test_int32),
        cmocka_unit_test(test_boolean),
        cmocka_unit_test(test_guid),
        cmocka_unit_test(test_datetime),
        cmocka_unit_test(test_enum),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_spelling),
        cmocka_unit_test(test_import_tool_filter),
        cmocka_unit_test(test_limits_ok),
        cmocka_unit_test(test_error_properties),
        cmocka_unit_test(test_error_types),
        cmocka_unit_test(test_error_literals),
        cmocka_unit_test(test_error_syntax),
        cmocka_unit_test(test_error_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
