/* Unit tests for src/odata/query.c: each option and its value rules, the optional '$' on beta
 * (and v1.0 ignoring unprefixed names), case-insensitive option names, percent-decoding and
 * the raw spaces and quotes the PFX import tool sends, duplicates, the exact 400 messages,
 * the length bound, and the nextLink value encoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "odata/query.h"

static const gc_entity_type *user_pfx(void)
{
    const gc_entity_type *t = gc_schema_find_set("deviceManagement", "userPfxCertificates");
    assert_non_null(t);
    return t;
}

static const gc_entity_type *code_signing(void)
{
    const gc_entity_type *t = gc_schema_find_set("deviceAppManagement",
                                                 "enterpriseCodeSigningCertificates");
    assert_non_null(t);
    return t;
}

typedef struct fixture {
    gc_arena *a;
    gc_odata_query q;
    gc_err err;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->a = gc_arena_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    gc_arena_free(f->a);
    free(f);
    return 0;
}

static void ok_as(fixture *f, const gc_entity_type *t, const char *raw, bool beta)
{
    gc_err_clear(&f->err);
    int rc = gc_odata_query_split(f->a, t, raw, beta, &f->q, &f->err);
    if (rc != 0)
        fail_msg("'%s' refused: %s", raw, f->err.message);
}

static void ok(fixture *f, const char *raw)
{
    ok_as(f, user_pfx(), raw, true);
}

/* Expects a 400 (or kind) with exactly this message and target. */
static void refused_as(fixture *f, const char *raw, bool beta, gc_errkind kind, const char *target,
                       const char *message)
{
    gc_err_clear(&f->err);
    memset(&f->q, 0xA5, sizeof f->q);
    int rc = gc_odata_query_split(f->a, user_pfx(), raw, beta, &f->q, &f->err);
    if (rc != -1)
        fail_msg("'%s' accepted", raw);
    assert_int_equal(f->err.kind, kind);
    assert_string_equal(f->err.message, message);
    assert_string_equal(f->err.target, target);
    assert_int_equal(f->q.present, 0); /* nothing half-filled */
    assert_null(f->q.filter);
}

static void refused(fixture *f, const char *raw, const char *target, const char *message)
{
    refused_as(f, raw, true, GC_E_BAD_REQUEST, target, message);
}

static const unsigned BIT_FILTER = 1u << GC_ODATA_OPT_FILTER;
static const unsigned BIT_SELECT = 1u << GC_ODATA_OPT_SELECT;
static const unsigned BIT_ORDERBY = 1u << GC_ODATA_OPT_ORDERBY;
static const unsigned BIT_TOP = 1u << GC_ODATA_OPT_TOP;
static const unsigned BIT_SKIP = 1u << GC_ODATA_OPT_SKIP;
static const unsigned BIT_COUNT = 1u << GC_ODATA_OPT_COUNT;
static const unsigned BIT_SKIPTOKEN = 1u << GC_ODATA_OPT_SKIPTOKEN;

/* ---- no options ---- */

static void test_no_query(void **state)
{
    fixture *f = *state;
    ok(f, NULL);
    assert_int_equal(f->q.present, 0);
    assert_int_equal(f->q.n_params, 0);
    ok(f, "");
    assert_int_equal(f->q.present, 0);
    ok(f, "&&&");
    assert_int_equal(f->q.present, 0);
    ok(f, "foo=bar&api-version=2&=x&noequals");
    assert_int_equal(f->q.present, 0);
    assert_null(f->q.filter);
    assert_null(f->q.select);
    assert_int_equal(f->q.n_orderby, 0);
}

/* ---- $filter ---- */

static void test_filter_raw_spaces_and_quotes(void **state)
{
    fixture *f = *state;
    /* As the PFX import tool sends it: nothing encoded. */
    const char *text = "tolower(userPrincipalName) eq 'a.b@contoso.com' and tolower(thumbprint) "
                       "eq 'f4c1a2'";
    char raw[256];
    snprintf(raw, sizeof raw, "$filter=%s", text);
    ok(f, raw);
    assert_int_equal(f->q.present, BIT_FILTER);
    assert_true(gc_odata_query_has(&f->q, GC_ODATA_OPT_FILTER));
    assert_string_equal(f->q.filter_text, text);
    assert_int_equal(f->q.filter_text_len, strlen(text));
    assert_int_equal(f->q.n_params, 1);
    assert_int_equal(f->q.params[0].opt, GC_ODATA_OPT_FILTER);
    assert_string_equal(f->q.params[0].value, text);
    assert_int_equal(f->q.params[0].value_len, strlen(text));
}

static void test_filter_percent_decoding(void **state)
{
    fixture *f = *state;
    ok(f, "%24filter=userPrincipalName%20eq%20%27o%27%27neil%40x.com%27");
    assert_string_equal(f->q.filter_text, "userPrincipalName eq 'o''neil@x.com'");
    assert_int_equal(f->q.filter_text_len, 36);
    /* '+' stays '+'; '=' after the first belongs to the value. */
    ok(f, "$filter=a+b eq 'x=y'");
    assert_string_equal(f->q.filter_text, "a+b eq 'x=y'");
    /* Lower-case hex; a '%' without two hex digits stays literal. */
    ok(f, "$filter=%2a%zz%4");
    assert_string_equal(f->q.filter_text, "*%zz%4");
    ok(f, "$filter=100%");
    assert_string_equal(f->q.filter_text, "100%");
    /* UTF-8 bytes pass through. */
    ok(f, "$filter=%C3%A9");
    assert_string_equal(f->q.filter_text, "\xC3\xA9");
    /* An encoded NUL cannot be carried. */
    refused(f, "$filter=a%00b", "", "The query string contains an encoded NUL character (%00).");
    refused(f, "$fil%00ter=a", "", "The query string contains an encoded NUL character (%00).");
}

/* ---- $select ---- */

static void test_select(void **state)
{
    fixture *f = *state;
    const gc_entity_type *t = user_pfx();
    ok(f, "$select=thumbprint, id,thumbprint,KEYNAME");
    assert_int_equal(f->q.present, BIT_SELECT);
    assert_int_equal(f->q.n_select, 3);
    assert_ptr_equal(f->q.select[0], gc_schema_find_prop(t, "thumbprint"));
    assert_ptr_equal(f->q.select[1], gc_schema_find_prop(t, "id"));
    assert_ptr_equal(f->q.select[2], gc_schema_find_prop(t, "keyName"));
    assert_false(f->q.select_all);

    ok(f, "$select=%20userPrincipalName%20");
    assert_int_equal(f->q.n_select, 1);
    assert_string_equal(f->q.select[0]->name, "userPrincipalName");

    ok(f, "$select=*");
    assert_true(f->q.select_all);
    assert_int_equal(f->q.n_select, t->n_props);
    for (size_t i = 0; i < t->n_props; i++)
        assert_ptr_equal(f->q.select[i], &t->props[i]);
    ok(f, "$select=id,*");
    assert_true(f->q.select_all);
    assert_int_equal(f->q.n_select, t->n_props);
}

static void test_select_errors(void **state)
{
    fixture *f = *state;
    refused(f, "$select=id,nope", "$select",
            "Could not find a property named 'nope' on type 'microsoft.graph.userPFXCertificate'.");
    refused(f, "$select=id,,thumbprint", "$select",
            "Syntax error: the query option '$select' has an empty item.");
    refused(f, "$select=id,", "$select",
            "Syntax error: the query option '$select' has an empty item.");
    refused(f, "$select=id, ", "$select",
            "Syntax error: the query option '$select' has an empty item.");
    /* Client text in a message: control and non-ASCII bytes shown as '?', long text cut. */
    refused(f, "$select=a%01b%C3%A9", "$select",
            "Could not find a property named 'a?b?" "?' on type "
            "'microsoft.graph.userPFXCertificate'.");
    char raw[300] = "$select=";
    memset(raw + 8, 'x', 150);
    raw[158] = '\0';
    char want[300];
    snprintf(want, sizeof want,
             "Could not find a property named '%.100s...' on type "
             "'microsoft.graph.userPFXCertificate'.",
             raw + 8);
    refused(f, raw, "$select", want);
    /* The type named is the collection's. */
    gc_err_clear(&f->err);
    assert_int_equal(gc_odata_query_split(f->a, code_signing(), "$select=thumbprint", false,
                                          &f->q, &f->err),
                     -1);
    assert_string_equal(f->err.message, "Could not find a property named 'thumbprint' on type "
                                        "'microsoft.graph.enterpriseCodeSigningCertificate'.");
}

/* ---- $orderby ---- */

static void test_orderby(void **state)
{
    fixture *f = *state;
    const gc_entity_type *t = user_pfx();
    ok(f, "$orderby=expirationDateTime desc,userPrincipalName%20asc, ID , thumbprint%20DESC");
    assert_int_equal(f->q.present, BIT_ORDERBY);
    assert_int_equal(f->q.n_orderby, 4);
    assert_ptr_equal(f->q.orderby[0].prop, gc_schema_find_prop(t, "expirationDateTime"));
    assert_true(f->q.orderby[0].desc);
    assert_ptr_equal(f->q.orderby[1].prop, gc_schema_find_prop(t, "userPrincipalName"));
    assert_false(f->q.orderby[1].desc);
    assert_ptr_equal(f->q.orderby[2].prop, gc_schema_find_prop(t, "id"));
    assert_false(f->q.orderby[2].desc);
    assert_ptr_equal(f->q.orderby[3].prop, gc_schema_find_prop(t, "thumbprint"));
    assert_true(f->q.orderby[3].desc);

    ok(f, "$orderby=createdDateTime  desc");
    assert_int_equal(f->q.n_orderby, 1);
    assert_true(f->q.orderby[0].desc);

    /* Eight keys is the most. */
    ok(f, "$orderby=id,thumbprint,intendedPurpose,userPrincipalName,startDateTime,"
          "expirationDateTime,providerName,keyName");
    assert_int_equal(f->q.n_orderby, GC_ODATA_MAX_ORDERBY);
}

static void test_orderby_errors(void **state)
{
    fixture *f = *state;
    refused(f, "$orderby=nope desc", "$orderby",
            "Could not find a property named 'nope' on type 'microsoft.graph.userPFXCertificate'.");
    refused(f, "$orderby=encryptedPfxBlob", "$orderby",
            "The property 'encryptedPfxBlob' cannot be used in the $orderby query option.");
    refused(f, "$orderby=encryptedpfxpassword desc", "$orderby",
            "The property 'encryptedPfxPassword' cannot be used in the $orderby query option.");
    refused(f, "$orderby=id sideways", "$orderby",
            "Syntax error in the query option '$orderby' at 'sideways': expected 'asc' or 'desc' "
            "after the property name.");
    refused(f, "$orderby=id asc desc", "$orderby",
            "Syntax error in the query option '$orderby' at 'asc desc': expected 'asc' or 'desc' "
            "after the property name.");
    refused(f, "$orderby=id,Id desc", "$orderby",
            "The property 'id' appears more than once in the $orderby query option.");
    refused(f, "$orderby=id,", "$orderby",
            "Syntax error: the query option '$orderby' has an empty item.");
    refused(f, "$orderby=,id", "$orderby",
            "Syntax error: the query option '$orderby' has an empty item.");
    refused(f,
            "$orderby=id,thumbprint,intendedPurpose,userPrincipalName,startDateTime,"
            "expirationDateTime,providerName,keyName,createdDateTime",
            "$orderby", "The query option '$orderby' allows at most 8 sort keys.");
}

/* ---- $top, $skip, $count, $skiptoken ---- */

static void test_top_and_skip(void **state)
{
    fixture *f = *state;
    ok(f, "$top=5&$skip=0");
    assert_int_equal(f->q.present, BIT_TOP | BIT_SKIP);
    assert_int_equal(f->q.top, 5);
    assert_int_equal(f->q.skip, 0);
    ok(f, "$top=2147483647&$skip=2147483647");
    assert_int_equal(f->q.top, 2147483647u);
    assert_int_equal(f->q.skip, 2147483647u);
    ok(f, "$top=0001");
    assert_int_equal(f->q.top, 1);

    static const char *const bad_top[] = {"0", "-1", "+3", "abc", "1.5", " 5", "2147483648",
                                          "99999999999"};
    for (size_t i = 0; i < sizeof bad_top / sizeof bad_top[0]; i++) {
        char raw[64], want[200];
        snprintf(raw, sizeof raw, "$top=%s", bad_top[i]);
        snprintf(want, sizeof want,
                 "Invalid value '%s' for the query option '$top'. It must be an integer between "
                 "1 and 2147483647.",
                 bad_top[i]);
        refused(f, raw, "$top", want);
    }
    refused(f, "$skip=-1", "$skip",
            "Invalid value '-1' for the query option '$skip'. It must be an integer between 0 and "
            "2147483647.");
    refused(f, "$skip=ten", "$skip",
            "Invalid value 'ten' for the query option '$skip'. It must be an integer between 0 "
            "and 2147483647.");
}

static void test_count_and_skiptoken(void **state)
{
    fixture *f = *state;
    ok(f, "$count=true");
    assert_int_equal(f->q.present, BIT_COUNT);
    assert_true(f->q.count);
    ok(f, "$count=false");
    assert_int_equal(f->q.present, BIT_COUNT);
    assert_false(f->q.count);
    /* Values are case-sensitive. */
    refused(f, "$count=True", "$count",
            "Invalid value 'True' for the query option '$count'. It must be 'true' or 'false'.");
    refused(f, "$count=1", "$count",
            "Invalid value '1' for the query option '$count'. It must be 'true' or 'false'.");

    ok(f, "$skiptoken=AbC-_%3D%3D");
    assert_int_equal(f->q.present, BIT_SKIPTOKEN);
    assert_string_equal(f->q.skiptoken, "AbC-_==");
}

static void test_empty_values(void **state)
{
    fixture *f = *state;
    refused(f, "$top=", "$top", "The query option '$top' requires a value.");
    refused(f, "$top", "$top", "The query option '$top' requires a value.");
    refused(f, "$filter=", "$filter", "The query option '$filter' requires a value.");
    refused(f, "$select", "$select", "The query option '$select' requires a value.");
    refused(f, "$skiptoken=", "$skiptoken", "The query option '$skiptoken' requires a value.");
}

/* ---- names: case, prefix, versions ---- */

static void test_option_names_are_case_insensitive(void **state)
{
    fixture *f = *state;
    ok(f, "$Filter=Id eq 'X'&$TOP=3&$OrderBy=id DESC&$sKiP=1&$COUNT=true&$Select=ID&$SkipToken=t");
    assert_int_equal(f->q.present, BIT_FILTER | BIT_TOP | BIT_ORDERBY | BIT_SKIP | BIT_COUNT |
                                       BIT_SELECT | BIT_SKIPTOKEN);
    assert_string_equal(f->q.filter_text, "Id eq 'X'"); /* values keep their case */
    assert_int_equal(f->q.top, 3);
    assert_true(f->q.orderby[0].desc);
    assert_int_equal(f->q.skip, 1);
    assert_true(f->q.count);
    assert_string_equal(f->q.select[0]->name, "id");
    assert_string_equal(f->q.skiptoken, "t");
    /* The given order, with canonical names. */
    assert_int_equal(f->q.n_params, 7);
    static const gc_odata_opt order[] = {GC_ODATA_OPT_FILTER, GC_ODATA_OPT_TOP,
                                         GC_ODATA_OPT_ORDERBY, GC_ODATA_OPT_SKIP,
                                         GC_ODATA_OPT_COUNT, GC_ODATA_OPT_SELECT,
                                         GC_ODATA_OPT_SKIPTOKEN};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(f->q.params[i].opt, order[i]);
    assert_string_equal(f->q.params[2].value, "id DESC");
    assert_string_equal(gc_odata_opt_name(GC_ODATA_OPT_ORDERBY), "$orderby");
    assert_string_equal(gc_odata_opt_name(GC_ODATA_OPT_SKIPTOKEN), "$skiptoken");
}

static void test_beta_accepts_options_without_dollar(void **state)
{
    fixture *f = *state;
    ok_as(f, user_pfx(), "filter=a eq 'b'&select=id&orderby=id desc&top=3&skip=2&count=true&"
                         "skiptoken=x&Top_=9&custom=1",
          true);
    assert_int_equal(f->q.present, BIT_FILTER | BIT_SELECT | BIT_ORDERBY | BIT_TOP | BIT_SKIP |
                                       BIT_COUNT | BIT_SKIPTOKEN);
    assert_string_equal(f->q.filter_text, "a eq 'b'");
    assert_int_equal(f->q.top, 3);
    assert_int_equal(f->q.skip, 2);
    assert_int_equal(f->q.n_params, 7);
    ok_as(f, user_pfx(), "TOP=4", true);
    assert_int_equal(f->q.top, 4);
    /* The unprefixed forms are the same options: errors and all. */
    refused(f, "top=0", "$top",
            "Invalid value '0' for the query option '$top'. It must be an integer between 1 and "
            "2147483647.");
    refused(f, "search=x", "$search",
            "The query option '$search' is not supported on this resource.");
    refused(f, "format=json", "$format", "The query option '$format' is not supported.");
}

static void test_v1_ignores_options_without_dollar(void **state)
{
    fixture *f = *state;
    ok_as(f, code_signing(), "filter=a&select=nope&top=0&count=maybe&search=x&expand=y&format=z",
          false);
    assert_int_equal(f->q.present, 0);
    assert_int_equal(f->q.n_params, 0);
    ok_as(f, code_signing(), "$filter=a&filter=b&$top=2&top=3", false);
    assert_int_equal(f->q.present, BIT_FILTER | BIT_TOP);
    assert_string_equal(f->q.filter_text, "a");
    assert_int_equal(f->q.top, 2);
    /* '$' options are the same on v1.0. */
    refused_as(f, "$search=x", false, GC_E_BAD_REQUEST, "$search",
               "The query option '$search' is not supported on this resource.");
}

/* ---- unsupported and duplicate options ---- */

static void test_unsupported_options(void **state)
{
    fixture *f = *state;
    refused(f, "$search=\"pfx\"", "$search",
            "The query option '$search' is not supported on this resource.");
    refused(f, "$Expand=*", "$expand",
            "The query option '$expand' is not supported on this resource.");
    refused(f, "$format=json", "$format", "The query option '$format' is not supported.");
    refused(f, "$apply=groupby((id))", "$apply", "The query option '$apply' is not supported.");
    refused(f, "$compute=x", "$compute", "The query option '$compute' is not supported.");
    refused(f, "$levels=2", "$levels", "The query option '$levels' is not supported.");
    refused(f, "$deltatoken=2", "$deltatoken", "The query option '$deltatoken' is not supported.");
    refused(f, "$Foo=1", "$Foo", "The query option '$Foo' is not supported.");
    refused(f, "%24bar", "$bar", "The query option '$bar' is not supported.");
    refused(f, "$=1", "$", "The query option '$' is not supported.");
    /* The first problem in the string is the one reported. */
    refused(f, "$top=1&$x=1&$search=2", "$x", "The query option '$x' is not supported.");
}

static void test_duplicates(void **state)
{
    fixture *f = *state;
    refused(f, "$top=1&$top=2", "$top",
            "Query option '$top' was specified more than once, but it must be specified at most "
            "once.");
    refused(f, "$TOP=1&$top=1", "$top",
            "Query option '$top' was specified more than once, but it must be specified at most "
            "once.");
    refused(f, "$filter=a&filter=b", "$filter",
            "Query option '$filter' was specified more than once, but it must be specified at "
            "most once.");
    refused(f, "%24select=id&$select=id", "$select",
            "Query option '$select' was specified more than once, but it must be specified at "
            "most once.");
    /* Custom options may repeat. */
    ok(f, "x=1&x=2&$top=1");
    assert_int_equal(f->q.present, BIT_TOP);
}

/* ---- bounds ---- */

static void test_length_bound(void **state)
{
    fixture *f = *state;
    size_t n = GC_ODATA_QUERY_MAX;
    char *raw = gc_arena_alloc(f->a, n + 2);
    memcpy(raw, "$filter=", 8);
    memset(raw + 8, 'a', n - 8);
    raw[n] = '\0';
    ok(f, raw);
    assert_int_equal(f->q.filter_text_len, n - 8);
    raw[n] = 'a';
    raw[n + 1] = '\0';
    refused_as(f, raw, true, GC_E_URI_TOO_LONG, "",
               "The query string is longer than 32768 bytes.");
}

/* ---- nextLink encoding ---- */

static void test_encode_value(void **state)
{
    fixture *f = *state;
    char *out = NULL;
    const char *in = "tolower(upn) eq 'a+b@x.com' & c=d;e#f%g?h\"i";
    assert_int_equal(gc_odata_query_encode_value(f->a, in, strlen(in), &out), 0);
    assert_string_equal(out, "tolower(upn)%20eq%20'a%2Bb@x.com'%20%26%20c%3Dd%3Be%23f%25g%3Fh%22i");
    assert_int_equal(gc_odata_query_encode_value(f->a, "AZaz09-._~,$()':/*@", 19, &out), 0);
    assert_string_equal(out, "AZaz09-._~,$()':/*@");
    assert_int_equal(gc_odata_query_encode_value(f->a, "\xC3\xA9\x01\x7f", 4, &out), 0);
    assert_string_equal(out, "%C3%A9%01%7F");
    assert_int_equal(gc_odata_query_encode_value(f->a, "", 0, &out), 0);
    assert_string_equal(out, "");
    /* Only n bytes are read. */
    assert_int_equal(gc_odata_query_encode_value(f->a, "ab", 1, &out), 0);
    assert_string_equal(out, "a");

    /* Round trip through the parser. */
    assert_int_equal(gc_odata_query_encode_value(f->a, in, strlen(in), &out), 0);
    char *raw = gc_arena_printf(f->a, "$filter=%s&$top=1", out);
    ok(f, raw);
    assert_string_equal(f->q.filter_text, in);
    assert_int_equal(f->q.top, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_query, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_raw_spaces_and_quotes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_percent_decoding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_orderby, setup, teardown),
        cmocka_unit_test_setup_teardown(test_orderby_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_top_and_skip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_count_and_skiptoken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_option_names_are_case_insensitive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_beta_accepts_options_without_dollar, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v1_ignores_options_without_dollar, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_length_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encode_value, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
