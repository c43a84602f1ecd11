/* Tests for src/store/sql_filter.c: the exact SQL text and parameters of parsed filters in both
 * parameter styles, failures, and an end-to-end check that runs the generated WHERE clauses on
 * a real in-memory SQLite database and compares the rows that match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>

#include "store/sql.h"
#include "store/sql_filter.h"

#include "odata/filter.h"

static const gc_entity_type *user_pfx(void)
{
    return gc_schema_find_set("deviceManagement", "userPfxCertificates");
}
static const gc_entity_type *pfx_user(void)
{
    return gc_schema_find_set(NULL, "pfxUserCertificates");
}

/* PostgreSQL's parameter style; any dialect but gc_sql_dialect_sqlite uses LIKE. */
static const gc_sql_dialect numbered = {
    .text_type = "TEXT", .int32_type = "INTEGER", .int64_type = "BIGINT", .blob_type = "BYTEA",
    .numbered_params = true};

typedef struct sql_out {
    char *sql;
    gc_sql_value params[GC_FILTER_MAX_NODES];
    size_t n;
} sql_out;

static gc_filter *parse_filter(gc_arena *a, const gc_entity_type *t, const char *text)
{
    gc_err err = {0};
    gc_filter *f = NULL;
    if (gc_odata_filter_parse(a, t, text, strlen(text), &f, &err) != 0)
        fail_msg("parse of \"%s\" failed: %s", text, err.message);
    return f;
}

/* The WHERE expression of text (appended after a prefix, to check that it appends). */
static void translate(gc_arena *a, const gc_sql_dialect *d, const gc_entity_type *t,
                      const char *text, int first, sql_out *out)
{
    gc_filter *f = parse_filter(a, t, text);
    gc_buf b;
    gc_err err = {0};
    gc_buf_init(&b, GC_SQL_MAX_LEN);
    assert_int_equal(gc_buf_append(&b, "X AND ", 6), 0);
    out->n = 99;
    if (gc_sql_filter_where(&b, d, t, f, out->params, GC_FILTER_MAX_NODES, first, &out->n, a,
                            &err) != 0)
        fail_msg("SQL of \"%s\" failed: %s", text, err.message);
    assert_memory_equal(b.data, "X AND ", 6);
    out->sql = gc_arena_strdup(a, b.data + 6);
    gc_buf_free(&b);
}

static void expect_sql(const gc_sql_dialect *d, const gc_entity_type *t, const char *text,
                       const char *want)
{
    gc_arena *a = gc_arena_new();
    sql_out o;
    translate(a, d, t, text, 1, &o);
    if (strcmp(o.sql, want) != 0)
        fail_msg("\"%s\"\n  got  %s\n  want %s", text, o.sql, want);
    gc_arena_free(a);
}

static void assert_text(const gc_sql_value *v, const char *want)
{
    assert_int_equal(v->kind, GC_SQL_TEXT);
    assert_int_equal(v->len, strlen(want));
    assert_memory_equal(v->p, want, v->len);
}

static void assert_int_param(const gc_sql_value *v, int64_t want)
{
    assert_int_equal(v->kind, GC_SQL_INT);
    assert_int_equal(v->i, want);
}

/* ---- exact SQL ---- */

static void test_sql_import_tool(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    sql_out o;
    translate(a, &gc_sql_dialect_sqlite, user_pfx(),
              "tolower(userPrincipalName) eq 'user@contoso.com' and tolower(thumbprint) eq "
              "'f00dcafef00dcafef00dcafef00dcafef00dcafe'", 1, &o);
    assert_string_equal(o.sql, "(lower(\"user_principal_name\") = ? AND lower(\"thumbprint\") = ?)");
    assert_int_equal(o.n, 2);
    assert_text(&o.params[0], "user@contoso.com");
    assert_text(&o.params[1], "f00dcafef00dcafef00dcafef00dcafef00dcafe");
    /* numbered: placeholders continue from first_param */
    translate(a, &numbered, user_pfx(),
              "tolower(userPrincipalName) eq 'user@contoso.com' and tolower(thumbprint) eq 'ab'",
              2, &o);
    assert_string_equal(o.sql, "(lower(\"user_principal_name\") = $2 AND lower(\"thumbprint\") = $3)");
    assert_int_equal(o.n, 2);
    gc_arena_free(a);
}

static void test_sql_comparisons(void **state)
{
    (void)state;
    const gc_sql_dialect *d = &gc_sql_dialect_sqlite;
    const gc_entity_type *t = user_pfx();
    expect_sql(d, t, "keyName eq 'a'", "(\"key_name\" = ?)");
    expect_sql(d, t, "keyName ne 'a'", "(\"key_name\" IS NULL OR \"key_name\" <> ?)");
    expect_sql(d, t, "keyName gt 'a'", "(\"key_name\" > ?)");
    expect_sql(d, t, "keyName ge 'a'", "(\"key_name\" >= ?)");
    expect_sql(d, t, "keyName lt 'a'", "(\"key_name\" < ?)");
    expect_sql(d, t, "keyName le 'a'", "(\"key_name\" <= ?)");
    expect_sql(d, t, "keyName eq null", "(\"key_name\" IS NULL)");
    expect_sql(d, t, "null ne keyName", "(\"key_name\" IS NOT NULL)");
    expect_sql(d, t, "keyName in ('a', 'b', 'c')", "(\"key_name\" IN (?, ?, ?))");
    expect_sql(d, t, "tolower(toupper(keyName)) ne 'a'",
               "(lower(upper(\"key_name\")) IS NULL OR lower(upper(\"key_name\")) <> ?)");
    /* DateTimeOffset compares on its ticks column */
    expect_sql(d, t, "expirationDateTime ge 2024-01-01T00:00:00Z",
               "(\"expiration_date_time_ticks\" >= ?)");
    expect_sql(d, t, "createdDateTime ne 2024-01-01T00:00:00Z",
               "(\"created_date_time_ticks\" IS NULL OR \"created_date_time_ticks\" <> ?)");
    expect_sql(d, t, "intendedPurpose in ('vpn', 'wifi')", "(\"intended_purpose\" IN (?, ?))");
    expect_sql(&numbered, t, "intendedPurpose in ('vpn', 'wifi') or keyName ne 'k'",
               "(\"intended_purpose\" IN ($1, $2) OR (\"key_name\" IS NULL OR \"key_name\" <> $3))");

    gc_arena *a = gc_arena_new();
    sql_out o;
    translate(a, d, t, "expirationDateTime lt 2024-01-01T01:00:00+01:00 and intendedPurpose in "
                       "('vpn', microsoft.graph.userPfxIntendedPurpose'wifi', 0)", 1, &o);
    assert_string_equal(o.sql, "(\"expiration_date_time_ticks\" < ? AND \"intended_purpose\" IN (?, ?, ?))");
    assert_int_equal(o.n, 4);
    assert_int_param(&o.params[0], 638396640000000000);
    assert_int_param(&o.params[1], 4);
    assert_int_param(&o.params[2], 8);
    assert_int_param(&o.params[3], 0);
    translate(a, d, pfx_user(),
              "isDeleted and not isDeleted and tenantId eq 0F8FAD5B-D9CB-469F-A165-70867728950E "
              "and status le -3", 1, &o);
    assert_string_equal(o.sql, "(\"is_deleted\" = ? AND (\"is_deleted\" IS NULL OR \"is_deleted\" "
                               "<> ?) AND \"tenant_id\" = ? AND \"status\" <= ?)");
    assert_int_equal(o.n, 4);
    assert_int_param(&o.params[0], 1);
    assert_int_param(&o.params[1], 1);
    assert_text(&o.params[2], "0f8fad5b-d9cb-469f-a165-70867728950e");
    assert_int_param(&o.params[3], -3);
    gc_arena_free(a);
}

static void test_sql_logic(void **state)
{
    (void)state;
    const gc_sql_dialect *d = &gc_sql_dialect_sqlite;
    const gc_entity_type *t = user_pfx();
    /* same-operator chains are flattened; an OR inside an AND is parenthesised (an AND inside
     * an OR needs no parentheses); a chain's most deeply nested operand comes first */
    expect_sql(d, t, "keyName eq 'a' and keyName eq 'b' and keyName eq 'c'",
               "(\"key_name\" = ? AND \"key_name\" = ? AND \"key_name\" = ?)");
    expect_sql(d, t, "keyName eq 'a' or keyName eq 'b' and keyName eq 'c' or keyName eq 'd'",
               "(\"key_name\" = ? AND \"key_name\" = ? OR \"key_name\" = ? OR \"key_name\" = ?)");
    expect_sql(d, t, "(keyName eq 'a' or keyName eq 'b') and (keyName eq 'c' or keyName eq 'd')",
               "((\"key_name\" = ? OR \"key_name\" = ?) AND (\"key_name\" = ? OR \"key_name\" = ?))");
    expect_sql(d, t, "keyName eq 'a' and (keyName eq 'b' or (keyName eq 'c' and keyName ne 'd'))",
               "((\"key_name\" = ? AND (\"key_name\" IS NULL OR \"key_name\" <> ?) OR "
               "\"key_name\" = ?) AND \"key_name\" = ?)");
    /* not is pushed to the leaves, each written as its complement (null columns included) */
    expect_sql(d, t, "not (keyName eq 'a' or intendedPurpose gt 'vpn')",
               "((\"key_name\" IS NULL OR \"key_name\" <> ?) AND (\"intended_purpose\" IS NULL OR "
               "\"intended_purpose\" <= ?))");
    expect_sql(d, t, "not (keyName ge 'a' and keyName lt 'b' or keyName le 'c')",
               "(((\"key_name\" IS NULL OR \"key_name\" < ?) OR (\"key_name\" IS NULL OR "
               "\"key_name\" >= ?)) AND (\"key_name\" IS NULL OR \"key_name\" > ?))");
    expect_sql(d, t, "not not keyName eq 'a'", "(\"key_name\" = ?)");
    expect_sql(d, t, "not not not keyName eq 'a'", "(\"key_name\" IS NULL OR \"key_name\" <> ?)");
    expect_sql(d, t, "not keyName ne 'a'", "(\"key_name\" = ?)");
    expect_sql(d, t, "not keyName eq null", "(\"key_name\" IS NOT NULL)");
    expect_sql(d, t, "not (keyName ne null)", "(\"key_name\" IS NULL)");
    expect_sql(d, t, "not keyName in ('a', 'b')",
               "(\"key_name\" IS NULL OR \"key_name\" NOT IN (?, ?))");
    expect_sql(d, t, "not startswith(keyName, 'a')", "(\"key_name\" NOT GLOB ?)");
    expect_sql(&numbered, t, "not contains(keyName, 'a')",
               "(\"key_name\" NOT LIKE $1 ESCAPE '\\')");
    expect_sql(d, t, "keyName eq 'x' and not (keyName eq 'a' and not keyName eq 'b')",
               "(((\"key_name\" IS NULL OR \"key_name\" <> ?) OR \"key_name\" = ?) AND "
               "\"key_name\" = ?)");
    /* chains of case functions collapse to at most two calls */
    expect_sql(d, t, "tolower(tolower(tolower(keyName))) eq 'a'", "(lower(\"key_name\") = ?)");
    expect_sql(d, t, "toupper(tolower(toupper(tolower(keyName)))) eq 'A'",
               "(upper(lower(\"key_name\")) = ?)");
    expect_sql(d, t, "tolower(tolower(toupper(keyName))) eq 'a'", "(lower(upper(\"key_name\")) = ?)");

    /* parameters follow the SQL's order, not the filter's */
    gc_arena *a = gc_arena_new();
    sql_out o;
    translate(a, d, t, "keyName eq 'a' or keyName eq 'b' and keyName eq 'c'", 1, &o);
    assert_int_equal(o.n, 3);
    assert_text(&o.params[0], "b");
    assert_text(&o.params[1], "c");
    assert_text(&o.params[2], "a");
    gc_arena_free(a);
}

static void test_sql_string_functions(void **state)
{
    (void)state;
    const gc_entity_type *t = user_pfx();
    gc_arena *a = gc_arena_new();
    sql_out o;
    /* SQLite: GLOB (case-sensitive), its own wildcards bracketed; % _ \ are literal */
    translate(a, &gc_sql_dialect_sqlite, t, "startswith(keyName, '50%_*?[a]\\')", 1, &o);
    assert_string_equal(o.sql, "(\"key_name\" GLOB ?)");
    assert_int_equal(o.n, 1);
    assert_text(&o.params[0], "50%_[*][?][[]a]\\*");
    translate(a, &gc_sql_dialect_sqlite, t, "endswith(tolower(keyName), 'x*')", 1, &o);
    assert_string_equal(o.sql, "(lower(\"key_name\") GLOB ?)");
    assert_text(&o.params[0], "*x[*]");
    translate(a, &gc_sql_dialect_sqlite, t, "contains(keyName, '')", 1, &o);
    assert_text(&o.params[0], "**");
    /* other dialects: LIKE with '\' escaping \ % _ */
    translate(a, &numbered, t, "startswith(keyName, '50%_*?[a]\\')", 3, &o);
    assert_string_equal(o.sql, "(\"key_name\" LIKE $3 ESCAPE '\\')");
    assert_text(&o.params[0], "50\\%\\_*?[a]\\\\%");
    translate(a, &numbered, t, "endswith(keyName, 'a_') or contains(toupper(keyName), '%')", 1, &o);
    assert_string_equal(o.sql, "(\"key_name\" LIKE $1 ESCAPE '\\' OR upper(\"key_name\") LIKE $2 "
                               "ESCAPE '\\')");
    assert_int_equal(o.n, 2);
    assert_text(&o.params[0], "%a\\_");
    assert_text(&o.params[1], "%\\%%");
    gc_arena_free(a);
}

/* Identifiers go through gc_sql_ident: a column with a quote in it stays one identifier. */
static const gc_prop odd_props[] = {
    {.name = "id", .column = "id", .type = GC_EDM_STRING, .flags = GC_P_KEY | GC_P_FILTER},
    {.name = "odd", .column = "o\"dd", .type = GC_EDM_DATETIME, .flags = GC_P_FILTER},
};
static const gc_entity_type odd_type = {.name = "odd", .table = "odd", .props = odd_props,
                                        .n_props = 2};

static void test_sql_quoting(void **state)
{
    (void)state;
    expect_sql(&gc_sql_dialect_sqlite, &odd_type, "odd eq 2024-01-01T00:00:00Z or id eq 'a\"b'",
               "(\"o\"\"dd_ticks\" = ? OR \"id\" = ?)");
}

static void test_sql_failures(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    gc_err err = {0};
    gc_sql_value params[4];
    size_t n = 0;
    gc_buf b;
    gc_filter *f = parse_filter(a, user_pfx(), "keyName in ('a', 'b', 'c', 'd', 'e')");
    /* more values than max_params */
    gc_buf_init(&b, GC_SQL_MAX_LEN);
    assert_int_equal(gc_sql_filter_where(&b, &gc_sql_dialect_sqlite, user_pfx(), f, params, 4, 1,
                                         &n, a, &err), -1);
    assert_int_equal(err.kind, GC_E_INTERNAL);
    assert_string_equal(err.message, "The filter needs more than 4 parameters.");
    assert_int_equal(n, 4);
    gc_buf_free(&b);
    /* the buffer's limit */
    gc_buf_init(&b, 15); /* one byte short of ("key_name" = ?) */
    f = parse_filter(a, user_pfx(), "keyName eq 'a'");
    assert_int_equal(gc_sql_filter_where(&b, &gc_sql_dialect_sqlite, user_pfx(), f, params, 4, 1,
                                         &n, a, &err), -1);
    assert_int_equal(err.kind, GC_E_BAD_REQUEST);
    assert_string_equal(err.target, "$filter");
    assert_string_equal(err.message, "The $filter expression is too large to translate.");
    gc_buf_free(&b);
    /* a filter bound against another type */
    gc_buf_init(&b, GC_SQL_MAX_LEN);
    assert_int_equal(gc_sql_filter_where(&b, &gc_sql_dialect_sqlite, pfx_user(), f, params, 4, 1,
                                         &n, a, &err), -1);
    assert_int_equal(err.kind, GC_E_INTERNAL);
    assert_string_equal(err.message, "The filter was not bound against type pfxUserCertificate.");
    gc_buf_free(&b);
    gc_arena_free(a);
}

/* The largest filters the parser accepts translate within GC_SQL_MAX_LEN. */
static void test_sql_worst_case_size(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    char text[GC_FILTER_MAX_LEN + 1];
    const gc_entity_type *t = gc_schema_find_set(
        "deviceManagement", "deviceConfigurationsAllManagedDeviceCertificateStates");
    /* not + ne on the longest column, as many times as the node limit allows */
    size_t n = 0;
    for (int i = 0; i < 50; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%snot certificateRevokeStatusLastChangeDateTime ne 0001-01-01T00:00:00Z",
                              i ? " or " : "");
    assert_true(n <= GC_FILTER_MAX_LEN);
    sql_out o;
    translate(a, &numbered, t, text, 1000, &o);
    assert_int_equal(o.n, 50);
    assert_true(strlen(o.sql) < GC_SQL_MAX_LEN / 2);
    /* 62 nested tolower inside a ne, under a not */
    n = (size_t)snprintf(text, sizeof text, "not ");
    for (int i = 0; i < 63; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "tolower(");
    n += (size_t)snprintf(text + n, sizeof text - n, "certificateExtendedKeyUsages");
    for (int i = 0; i < 63; i++)
        text[n++] = ')';
    snprintf(text + n, sizeof text - n, " ne 'x'");
    translate(a, &numbered, t, text, 1, &o);
    assert_true(strlen(o.sql) < GC_SQL_MAX_LEN / 8);
    gc_arena_free(a);
}

/* ---- end to end on SQLite ---- */

typedef struct db {
    sqlite3 *h;
    const gc_entity_type *t;
} db;

static void exec_sql(sqlite3 *h, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
}

static void bind_param(sqlite3_stmt *st, int idx, const gc_sql_value *v)
{
    switch (v->kind) {
    case GC_SQL_NULL: sqlite3_bind_null(st, idx); break;
    case GC_SQL_INT:
    case GC_VALUE_BOOL: sqlite3_bind_int64(st, idx, v->i); break;
    case GC_SQL_TEXT: sqlite3_bind_text64(st, idx, v->p, v->len, SQLITE_STATIC, SQLITE_UTF8); break;
    case GC_SQL_BLOB: sqlite3_bind_blob64(st, idx, v->p ? v->p : "", v->len, SQLITE_STATIC); break;
    }
}

static void open_db(db *d, const gc_entity_type *t, const char *tenant, const char *const *rows)
{
    gc_arena *a = gc_arena_new();
    gc_buf b;
    gc_err err = {0};
    d->t = t;
    assert_int_equal(sqlite3_open(":memory:", &d->h), SQLITE_OK);
    gc_buf_init(&b, GC_SQL_MAX_LEN);
    assert_int_equal(gc_sql_create_table(&b, &gc_sql_dialect_sqlite, t, &err), 0);
    exec_sql(d->h, b.data);
    assert_int_equal(gc_sql_insert(&b, &gc_sql_dialect_sqlite, t, &err), 0);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(d->h, b.data, -1, &st, NULL), SQLITE_OK);
    size_t nv = gc_sql_n_values(t);
    gc_sql_value *vals = gc_arena_alloc(a, nv * sizeof *vals);
    for (size_t r = 0; rows[r]; r++) {
        json_error_t jerr;
        json_t *obj = json_loads(rows[r], 0, &jerr);
        if (!obj)
            fail_msg("row %zu: %s", r, jerr.text);
        gc_arena_json(a, obj);
        if (gc_sql_values_from_record(t, obj, NULL, a, vals, &err) != 0)
            fail_msg("row %zu: %s", r, err.message);
        sqlite3_reset(st);
        /* a row whose id starts with "other" belongs to another tenant */
        const char *id = json_string_value(json_object_get(obj, "id"));
        sqlite3_bind_text(st, 1, strncmp(id, "other", 5) == 0 ? "t2" : tenant, -1, SQLITE_STATIC);
        for (size_t i = 0; i < nv; i++)
            bind_param(st, (int)i + 2, &vals[i]);
        sqlite3_bind_int64(st, (int)nv + 2, 1);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    }
    sqlite3_finalize(st);
    gc_buf_free(&b);
    gc_arena_free(a);
}

/* The ids (comma-separated, in id order) of tenant t1's rows that text matches, using dialect
 * dl's SQL (placeholders numbered from 2 after the tenant's when dl numbers them). */
static void expect_rows_d(db *d, const gc_sql_dialect *dl, const char *text, const char *want)
{
    gc_arena *a = gc_arena_new();
    gc_err err = {0};
    gc_buf b;
    gc_sql_value params[GC_FILTER_MAX_NODES];
    size_t n = 0;
    gc_filter *f = parse_filter(a, d->t, text);
    gc_buf_init(&b, GC_SQL_MAX_LEN);
    gc_buf_appendf(&b, "SELECT \"id\" FROM \"%s\" WHERE \"tenant\" = %s AND ", d->t->table,
                   dl->numbered_params ? "$1" : "?");
    assert_int_equal(gc_sql_filter_where(&b, dl, d->t, f, params, GC_FILTER_MAX_NODES, 2, &n, a,
                                         &err), 0);
    gc_buf_appendf(&b, " ORDER BY \"id\"");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->h, b.data, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", b.data, sqlite3_errmsg(d->h));
    assert_int_equal(sqlite3_bind_parameter_count(st), (int)n + 1);
    sqlite3_bind_text(st, 1, "t1", -1, SQLITE_STATIC);
    for (size_t i = 0; i < n; i++)
        bind_param(st, (int)i + 2, &params[i]);
    char got[1024] = "";
    size_t len = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        len += (size_t)snprintf(got + len, sizeof got - len, "%s%s", len ? "," : "",
                                (const char *)sqlite3_column_text(st, 0));
    assert_int_equal(rc, SQLITE_DONE);
    sqlite3_finalize(st);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n  \"%s\"\n  got  [%s]\n  want [%s]", dl->numbered_params ? "LIKE" : "GLOB",
                 text, got, want);
    gc_buf_free(&b);
    gc_arena_free(a);
}

/* Both dialects' SQL must select the same rows: SQLite's own (GLOB), and the LIKE form run
 * with case_sensitive_like on, as PostgreSQL's LIKE is. */
static void expect_rows(db *d, const char *text, const char *want)
{
    exec_sql(d->h, "PRAGMA case_sensitive_like = OFF");
    expect_rows_d(d, &gc_sql_dialect_sqlite, text, want);
    exec_sql(d->h, "PRAGMA case_sensitive_like = ON");
    expect_rows_d(d, &numbered, text, want);
    exec_sql(d->h, "PRAGMA case_sensitive_like = OFF");
}

static const char *const pfx_rows[] = {
    "{\"id\": \"a1\", \"userPrincipalName\": \"Alice@Contoso.com\", \"thumbprint\": "
    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"intendedPurpose\": \"vpn\", \"keyName\": "
    "\"50%\", \"providerName\": \"Microsoft Software Key Storage Provider\", "
    "\"expirationDateTime\": \"2024-01-01T00:00:00Z\", \"paddingScheme\": \"oaepSha256\"}",
    "{\"id\": \"b2\", \"userPrincipalName\": \"bob@contoso.com\", \"thumbprint\": "
    "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\", \"intendedPurpose\": \"wifi\", \"keyName\": "
    "\"500\", \"expirationDateTime\": \"2024-01-01T01:00:00+01:00\", \"paddingScheme\": \"none\"}",
    "{\"id\": \"c3\", \"userPrincipalName\": \"alice@contoso.com\", \"intendedPurpose\": "
    "\"unassigned\", \"keyName\": \"a_b\", \"providerName\": \"[x]*?\", "
    "\"expirationDateTime\": \"2023-12-31T23:59:59.9999999Z\", \"paddingScheme\": \"oaepSha512\"}",
    "{\"id\": \"d4\", \"intendedPurpose\": \"smimeSigning\", \"providerName\": \"k\\\\ey\", "
    "\"expirationDateTime\": \"2023-12-31T19:00:00.0000001-05:00\", \"paddingScheme\": \"none\"}",
    /* another tenant's row that matches nearly everything */
    "{\"id\": \"other5\", \"userPrincipalName\": \"alice@contoso.com\", \"intendedPurpose\": "
    "\"vpn\", \"keyName\": \"50%\", \"providerName\": \"[x]*?\", \"expirationDateTime\": "
    "\"2024-01-01T00:00:00Z\"}",
    NULL,
};

static void test_e2e_strings(void **state)
{
    (void)state;
    db d;
    open_db(&d, user_pfx(), "t1", pfx_rows);
    /* startswith/endswith/contains are case-sensitive */
    expect_rows(&d, "startswith(userPrincipalName, 'alice')", "c3");
    expect_rows(&d, "startswith(userPrincipalName, 'Alice')", "a1");
    expect_rows(&d, "startswith(userPrincipalName, 'ALICE')", "");
    expect_rows(&d, "startswith(tolower(userPrincipalName), 'alice')", "a1,c3");
    expect_rows(&d, "startswith(toupper(userPrincipalName), 'ALICE@')", "a1,c3");
    expect_rows(&d, "endswith(userPrincipalName, '@contoso.com')", "b2,c3");
    expect_rows(&d, "contains(userPrincipalName, 'Contoso')", "a1");
    expect_rows(&d, "contains(userPrincipalName, '')", "a1,b2,c3");
    /* the pattern's characters are literal: '50%' does not match '500' */
    expect_rows(&d, "contains(keyName, '50%')", "a1");
    expect_rows(&d, "startswith(keyName, '50')", "a1,b2");
    expect_rows(&d, "endswith(keyName, '%')", "a1");
    expect_rows(&d, "contains(keyName, '_')", "c3");
    expect_rows(&d, "contains(keyName, 'a_')", "c3");
    expect_rows(&d, "contains(providerName, '[x]*?')", "c3");
    expect_rows(&d, "contains(providerName, '*')", "c3");
    expect_rows(&d, "endswith(providerName, '?')", "c3");
    expect_rows(&d, "startswith(providerName, '[')", "c3");
    expect_rows(&d, "contains(providerName, 'x]')", "c3");
    expect_rows(&d, "contains(providerName, '\\')", "d4");
    expect_rows(&d, "endswith(providerName, '\\ey')", "d4");
    /* the functions on null are null, and not null is null: not contains skips null rows */
    expect_rows(&d, "not contains(keyName, '5')", "c3");
    /* equality and case functions */
    expect_rows(&d, "keyName eq '50%'", "a1");
    expect_rows(&d, "userPrincipalName eq 'alice@contoso.com'", "c3");
    expect_rows(&d, "tolower(userPrincipalName) eq 'alice@contoso.com'", "a1,c3");
    expect_rows(&d, "toupper(userPrincipalName) eq 'BOB@CONTOSO.COM'", "b2");
    expect_rows(&d, "tolower(userPrincipalName) eq 'alice@contoso.com' and tolower(thumbprint) eq "
                    "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'", "a1");
    expect_rows(&d, "userPrincipalName in ('bob@contoso.com', 'Alice@Contoso.com', 'x')", "a1,b2");
    expect_rows(&d, "userPrincipalName gt 'b'", "b2");
    sqlite3_close(d.h);
}

static void test_e2e_nulls(void **state)
{
    (void)state;
    db d;
    open_db(&d, user_pfx(), "t1", pfx_rows);
    /* ne matches null rows (null ne 'x' is true); eq never does */
    expect_rows(&d, "keyName ne '500'", "a1,c3,d4");
    expect_rows(&d, "not (keyName eq '500')", "a1,c3,d4");
    expect_rows(&d, "not (keyName ne '500')", "b2");
    expect_rows(&d, "not not (keyName eq '500')", "b2");
    expect_rows(&d, "keyName eq null", "d4");
    expect_rows(&d, "keyName ne null", "a1,b2,c3");
    expect_rows(&d, "not (keyName eq null)", "a1,b2,c3");
    expect_rows(&d, "tolower(keyName) ne '500'", "a1,c3,d4");
    /* gt with a null side is false, so its negation holds */
    expect_rows(&d, "not (userPrincipalName gt 'b')", "a1,c3,d4");
    expect_rows(&d, "not (keyName in ('500', '50%'))", "c3,d4");
    expect_rows(&d, "not (keyName eq '500' or keyName eq '50%')", "c3,d4");
    expect_rows(&d, "not (keyName ne '500' and keyName ne '50%')", "a1,b2");
    expect_rows(&d, "userPrincipalName eq 'alice@contoso.com' or keyName eq null", "c3,d4");
    sqlite3_close(d.h);
}

static void test_e2e_dates_enums(void **state)
{
    (void)state;
    db d;
    open_db(&d, user_pfx(), "t1", pfx_rows);
    /* compared by instant, whatever offset either side was written with */
    expect_rows(&d, "expirationDateTime eq 2024-01-01T00:00:00Z", "a1,b2");
    expect_rows(&d, "expirationDateTime eq 2024-01-01T02:00:00+02:00", "a1,b2");
    expect_rows(&d, "expirationDateTime eq 2023-12-31T16:00:00-08:00", "a1,b2");
    expect_rows(&d, "expirationDateTime lt 2024-01-01T00:00:00Z", "c3");
    expect_rows(&d, "expirationDateTime gt 2023-12-31T19:00:00-05:00", "d4");
    expect_rows(&d, "expirationDateTime ge 2024-01-01T00:00:00.0000001+00:00", "d4");
    expect_rows(&d, "expirationDateTime ne 2024-01-01T00:00:00Z", "c3,d4");
    expect_rows(&d, "expirationDateTime in (2023-12-31T23:59:59.9999999Z, 2024-01-01T05:30:00+05:30)",
                "a1,b2,c3");
    /* enums compare on their values */
    expect_rows(&d, "intendedPurpose eq 'vpn'", "a1");
    expect_rows(&d, "intendedPurpose eq 'VPN'", "a1");
    expect_rows(&d, "intendedPurpose eq 8", "b2");
    expect_rows(&d, "intendedPurpose gt 'smimeEncryption'", "a1,b2,d4");
    expect_rows(&d, "intendedPurpose le microsoft.graph.userPfxIntendedPurpose'smimeSigning'",
                "c3,d4");
    expect_rows(&d, "intendedPurpose in ('wifi', 'unassigned')", "b2,c3");
    expect_rows(&d, "not (intendedPurpose in ('wifi', 'unassigned'))", "a1,d4");
    expect_rows(&d, "paddingScheme eq 'none' and intendedPurpose ne 'wifi'", "d4");
    sqlite3_close(d.h);
}

/* The deepest filters the parser accepts run on SQLite, whose parser stack (100 entries in
 * 3.40) overflows at about 29 levels of `a AND (b OR (...))` written as nested. */
static void test_e2e_deep(void **state)
{
    (void)state;
    static char text[GC_FILTER_MAX_LEN + 1];
    db d;
    open_db(&d, user_pfx(), "t1", pfx_rows);
    /* 60 levels of alternating and/or nested on the right, inside 2 `not (not (` (64 levels in
     * all); only b2 (keyName '500') gets through every level */
    size_t n = (size_t)snprintf(text, sizeof text, "not (not (");
    for (int i = 0; i < 60; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s (",
                              i % 2 ? "keyName ne 'zz' and" : "keyName eq 'nope' or");
    n += (size_t)snprintf(text + n, sizeof text - n, "keyName eq '500'");
    for (int i = 0; i < 62; i++)
        text[n++] = ')';
    text[n] = '\0';
    expect_rows(&d, text, "b2");
    /* one level more is refused */
    memmove(text + 4, text, n + 1);
    memcpy(text, "not ", 4);
    gc_arena *a = gc_arena_new();
    gc_filter *f = NULL;
    gc_err err = {0};
    assert_int_equal(gc_odata_filter_parse(a, d.t, text, strlen(text), &f, &err), -1);
    assert_string_equal(err.message, "The $filter expression is nested more than 64 levels deep "
                                     "at position 1303.");
    gc_arena_free(a);
    /* one `not` fewer: every other row */
    memmove(text, text + 4, n + 1);
    memcpy(text, "not ((    ", 10);
    expect_rows(&d, text, "a1,c3,d4");
    /* or-of-and at every level, as many levels as the node limit allows */
    n = 0;
    for (int i = 0; i < 31; i++)
        n += (size_t)snprintf(text + n, sizeof text - n,
                              "keyName eq 'nope' or keyName ne 'zz' and (");
    n += (size_t)snprintf(text + n, sizeof text - n, "keyName eq '500'");
    for (int i = 0; i < 31; i++)
        text[n++] = ')';
    text[n] = '\0';
    expect_rows(&d, text, "b2");
    /* 64 nested nots, and 63 nots around 1 function call */
    n = 0;
    for (int i = 0; i < 64; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "not ");
    snprintf(text + n, sizeof text - n, "keyName eq '500'");
    expect_rows(&d, text, "b2");
    n = 0;
    for (int i = 0; i < 63; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "not ");
    snprintf(text + n, sizeof text - n, "startswith(keyName, '50')");
    expect_rows(&d, text, "c3");
    /* 64 nested tolower/toupper */
    n = 0;
    for (int i = 0; i < 64; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, i % 2 ? "toupper(" : "tolower(");
    n += (size_t)snprintf(text + n, sizeof text - n, "userPrincipalName");
    for (int i = 0; i < 64; i++)
        text[n++] = ')';
    snprintf(text + n, sizeof text - n, " eq 'alice@contoso.com'");
    expect_rows(&d, text, "a1,c3");
    sqlite3_close(d.h);
}

static void test_e2e_guid_bool_int(void **state)
{
    (void)state;
    static const char *const rows[] = {
        "{\"id\": \"p1\", \"tenantId\": \"0f8fad5b-d9cb-469f-a165-70867728950e\", \"isDeleted\": "
        "true, \"status\": 1, \"userUpn\": \"a@x\"}",
        "{\"id\": \"p2\", \"tenantId\": \"00000000-0000-0000-0000-000000000000\", \"isDeleted\": "
        "false, \"status\": 2}",
        "{\"id\": \"p3\", \"status\": -7}",
        NULL,
    };
    db d;
    open_db(&d, pfx_user(), "t1", rows);
    expect_rows(&d, "tenantId eq 0F8FAD5B-D9CB-469F-A165-70867728950E", "p1");
    expect_rows(&d, "tenantId eq '0f8fad5b-d9cb-469f-a165-70867728950E'", "p1");
    expect_rows(&d, "tenantId ne 0f8fad5b-d9cb-469f-a165-70867728950e", "p2,p3");
    expect_rows(&d, "tenantId eq null", "p3");
    expect_rows(&d, "isDeleted", "p1");
    expect_rows(&d, "isDeleted eq false", "p2");
    expect_rows(&d, "isDeleted ne true", "p2,p3");
    expect_rows(&d, "status ge 1", "p1,p2");
    expect_rows(&d, "status lt 0", "p3");
    expect_rows(&d, "-7 eq status or status eq 2", "p2,p3");
    expect_rows(&d, "status in (1, 2) and not isDeleted", "p2");
    sqlite3_close(d.h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sql_import_tool),
        cmocka_unit_test(test_sql_comparisons),
        cmocka_unit_test(test_sql_logic),
        cmocka_unit_test(test_sql_string_functions),
        cmocka_unit_test(test_sql_quoting),
        cmocka_unit_test(test_sql_failures),
        cmocka_unit_test(test_sql_worst_case_size),
        cmocka_unit_test(test_e2e_strings),
        cmocka_unit_test(test_e2e_nulls),
        cmocka_unit_test(test_e2e_dates_enums),
        cmocka_unit_test(test_e2e_deep),
        cmocka_unit_test(test_e2e_guid_bool_int),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
