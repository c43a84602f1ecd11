/* Fuzz target for the $filter parser (src/odata/filter.c) and its SQL (src/store/sql_filter.c).
 * Each input is parsed against every schema type. A rejection must be a clean 400 with a
 * printable message; an accepted filter must be a well-formed bound AST whose SQL, in both
 * parameter styles, is produced and whose SQLite form prepares and runs on a real table. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fuzz.h"
#include "odata/filter.h"
#include "store/sql.h"
#include "store/sql_filter.h"

static const gc_sql_dialect numbered = {.text_type = "TEXT", .int32_type = "INTEGER",
                                        .int64_type = "BIGINT", .blob_type = "BYTEA",
                                        .numbered_params = true};

static sqlite3 *db;

static void db_exec(const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", sql, msg ? msg : "?");
        abort();
    }
}

/* One table per schema type, each with a row of nulls and a row of values. */
static void db_open(void)
{
    gc_buf b;
    gc_err err = {0};
    CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
    gc_buf_init(&b, GC_SQL_MAX_LEN);
    for (size_t i = 0; i < gc_schema_n_types; i++) {
        const gc_entity_type *t = gc_schema_types[i];
        CHECK(gc_sql_create_table(&b, &gc_sql_dialect_sqlite, t, &err) == 0);
        db_exec(b.data);
        b.len = 0;
        gc_buf_appendf(&b, "INSERT INTO \"%s\" (\"tenant\", \"%s\", \"version\") VALUES ('t', 'n', 1)",
                       t->table, t->props[0].column);
        db_exec(b.data);
        b.len = 0;
        gc_buf_appendf(&b, "INSERT INTO \"%s\" (\"tenant\", \"version\"", t->table);
        for (size_t k = 0; k < t->n_props; k++)
            gc_buf_appendf(&b, ", \"%s\"", t->props[k].column);
        gc_buf_appendf(&b, ") VALUES ('t', 1");
        for (size_t k = 0; k < t->n_props; k++) {
            const gc_prop *p = &t->props[k];
            bool text = p->type == GC_EDM_STRING || p->type == GC_EDM_GUID ||
                        p->type == GC_EDM_DATETIME;
            gc_buf_appendf(&b, ", %s", text ? "'a%_[*?]\\'" : "1");
        }
        gc_buf_appendf(&b, ")");
        db_exec(b.data);
        b.len = 0;
    }
    gc_buf_free(&b);
}

static bool printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

static bool prop_of(const gc_entity_type *t, const gc_prop *p)
{
    return p >= t->props && p < t->props + t->n_props;
}

static void check_value(const gc_prop *p, const gc_value *v, bool null_ok)
{
    if (v->kind == GC_VALUE_NULL) {
        CHECK(null_ok);
        return;
    }
    switch (p->type) {
    case GC_EDM_STRING:
        CHECK(v->kind == GC_VALUE_TEXT && v->s && v->s[v->len] == '\0' &&
              strlen(v->s) == v->len);
        break;
    case GC_EDM_GUID:
        CHECK(v->kind == GC_VALUE_TEXT && v->len == 36);
        for (size_t i = 0; i < v->len; i++)
            CHECK(v->s[i] < 'A' || v->s[i] > 'Z');
        break;
    case GC_EDM_INT32:
        CHECK(v->kind == GC_VALUE_INT && v->i >= INT32_MIN && v->i <= INT32_MAX);
        break;
    case GC_EDM_ENUM:
        CHECK(v->kind == GC_VALUE_INT && gc_enum_by_value(p->enum_type, (long)v->i));
        break;
    case GC_EDM_DATETIME:
        CHECK(v->kind == GC_VALUE_INT && v->i >= 0);
        break;
    case GC_EDM_BOOLEAN:
        CHECK(v->kind == GC_VALUE_BOOL && (v->i == 0 || v->i == 1));
        break;
    case GC_EDM_BINARY:
        CHECK(!"Binary is not filterable");
        break;
    case GC_EDM_COMPLEX:
    case GC_EDM__COUNT:
        CHECK(!"complex values are not filterable");
        break;
    }
}

/* Walks the AST; returns its node count (values included). */
static size_t check_tree(const gc_entity_type *t, const gc_filter *f, bool predicate, int depth)
{
    CHECK(f && depth < 1000);
    switch (f->kind) {
    case GC_FILTER_OR:
    case GC_FILTER_AND:
        CHECK(predicate && f->right);
        return 1 + check_tree(t, f->left, true, depth + 1) + check_tree(t, f->right, true, depth + 1);
    case GC_FILTER_NOT:
        CHECK(predicate);
        return 1 + check_tree(t, f->left, true, depth + 1);
    case GC_FILTER_PROP:
        CHECK(!predicate && prop_of(t, f->prop) && (f->prop->flags & GC_P_FILTER) &&
              !(f->prop->flags & GC_P_SECRET) && f->prop->type != GC_EDM_BINARY);
        return 1;
    case GC_FILTER_TOLOWER:
    case GC_FILTER_TOUPPER:
        CHECK(!predicate && f->prop->type == GC_EDM_STRING && f->left->prop == f->prop);
        return 1 + check_tree(t, f->left, false, depth + 1);
    case GC_FILTER_STARTSWITH:
    case GC_FILTER_ENDSWITH:
    case GC_FILTER_CONTAINS:
        CHECK(f->prop->type == GC_EDM_STRING);
        /* fall through */
    case GC_FILTER_CMP:
    case GC_FILTER_IN:
        CHECK(predicate && f->vals && f->n_vals >= 1 && f->left->prop == f->prop);
        CHECK(f->kind == GC_FILTER_IN || f->n_vals == 1);
        for (size_t i = 0; i < f->n_vals; i++)
            check_value(f->prop, &f->vals[i],
                        f->kind == GC_FILTER_CMP && (f->op == GC_FILTER_EQ || f->op == GC_FILTER_NE));
        return 1 + f->n_vals + check_tree(t, f->left, false, depth + 1);
    }
    CHECK(!"unknown node kind");
    return 0;
}

static void bind(sqlite3_stmt *st, int idx, const gc_sql_value *v)
{
    switch (v->kind) {
    case GC_SQL_NULL: sqlite3_bind_null(st, idx); break;
    case GC_SQL_INT:
    case GC_VALUE_BOOL: sqlite3_bind_int64(st, idx, v->i); break;
    case GC_SQL_TEXT: sqlite3_bind_text64(st, idx, v->p, v->len, SQLITE_STATIC, SQLITE_UTF8); break;
    case GC_SQL_BLOB: sqlite3_bind_blob64(st, idx, v->p ? v->p : "", v->len, SQLITE_STATIC); break;
    }
}

static void check_sql(gc_arena *a, const gc_entity_type *t, const gc_filter *f)
{
    static gc_sql_value params[GC_FILTER_MAX_NODES];
    gc_err err = {0};
    gc_buf b;
    size_t n = 0;

    gc_buf_init(&b, GC_SQL_MAX_LEN);
    CHECK(gc_sql_filter_where(&b, &numbered, t, f, params, GC_FILTER_MAX_NODES, 2, &n, a, &err) == 0);
    gc_buf_free(&b);

    gc_buf_init(&b, GC_SQL_MAX_LEN);
    gc_buf_appendf(&b, "SELECT count(*) FROM \"%s\" WHERE \"tenant\" = ? AND ", t->table);
    CHECK(gc_sql_filter_where(&b, &gc_sql_dialect_sqlite, t, f, params, GC_FILTER_MAX_NODES, 2, &n,
                              a, &err) == 0);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, b.data, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "SQLite rejected: %s\n%s\n", sqlite3_errmsg(db), b.data);
        abort();
    }
    CHECK(sqlite3_bind_parameter_count(st) == (int)n + 1);
    sqlite3_bind_text(st, 1, "t", -1, SQLITE_STATIC);
    for (size_t i = 0; i < n; i++)
        bind(st, (int)i + 2, &params[i]);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_finalize(st);
    gc_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!db)
        db_open();
    for (size_t i = 0; i < gc_schema_n_types; i++) {
        const gc_entity_type *t = gc_schema_types[i];
        gc_arena *a = gc_arena_new();
        gc_err err = {0};
        gc_filter *f = NULL;
        if (gc_odata_filter_parse(a, t, (const char *)data, size, &f, &err) == 0) {
            CHECK(size <= GC_FILTER_MAX_LEN);
            CHECK(check_tree(t, f, true, 0) <= GC_FILTER_MAX_NODES);
            check_sql(a, t, f);
        } else {
            size_t len = strlen(err.message);
            CHECK(err.kind == GC_E_BAD_REQUEST && strcmp(err.target, "$filter") == 0);
            CHECK(len > 0 && len < sizeof err.message - 1 && err.message[len - 1] == '.');
            CHECK(printable(err.message));
            CHECK(!f);
        }
        gc_arena_free(a);
    }
    return 0;
}
