/* Tests of the backend-neutral SQL text and value mapping (src/store/sql.c): identifier quoting,
 * exact statement text for both parameter styles (write-only columns read as NULL, updates of
 * chosen columns), record <-> column value conversion and what an update writes; the
 * PostgreSQL dialect's DDL (bytewise collation, index names cut to its 63 bytes without clashes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "store/sql.h"

static const gc_enum_member level_members[] = {{"low", 10}, {"high", 20}};
static const gc_enum_type level_enum = {"testLevel", level_members, 2, false};

static const gc_prop thing_props[] = {
    {.name = "id", .column = "id", .type = GC_EDM_STRING, .flags = GC_P_KEY},
    {.name = "label", .column = "la\"bel", .type = GC_EDM_STRING, .flags = GC_P_INDEX},
    {.name = "at", .column = "at", .type = GC_EDM_DATETIME, .flags = GC_P_INDEX},
    {.name = "level", .column = "level", .type = GC_EDM_ENUM, .enum_type = &level_enum},
    {.name = "data", .column = "data", .type = GC_EDM_BINARY},
};
static const gc_entity_type thing = {
    .name = "thing", .table = "things", .props = thing_props, .n_props = 5};

static const gc_sql_dialect numbered = {
    .text_type = "TEXT", .int32_type = "INTEGER", .int64_type = "BIGINT", .blob_type = "BYTEA",
    .numbered_params = true};

typedef int (*gen_fn)(gc_buf *, const gc_sql_dialect *, const gc_entity_type *, gc_err *);

static void expect_sql(gen_fn fn, const gc_sql_dialect *d, const char *want)
{
    gc_buf b;
    gc_err err = {0};
    gc_buf_init(&b, GC_SQL_MAX_LEN);
    assert_int_equal(fn(&b, d, &thing, &err), 0);
    assert_string_equal(b.data, want);
    gc_buf_free(&b);
}

static int select_one_all(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t, gc_err *err)
{
    return gc_sql_select_one(b, d, t, true, NULL, err);
}

static int select_one_rowid(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t, gc_err *err)
{
    return gc_sql_select_one(b, d, t, true, "rowid", err);
}

static int update_all(gc_buf *b, const gc_sql_dialect *d, const gc_entity_type *t, gc_err *err)
{
    return gc_sql_update(b, d, t, NULL, err);
}

/* a type with write-only properties */
static const gc_prop vault_props[] = {
    {.name = "id", .column = "id", .type = GC_EDM_STRING, .flags = GC_P_KEY},
    {.name = "label", .column = "label", .type = GC_EDM_STRING},
    {.name = "pin", .column = "pin", .type = GC_EDM_STRING, .flags = GC_P_SECRET},
    {.name = "at", .column = "at", .type = GC_EDM_DATETIME, .flags = GC_P_SECRET},
    {.name = "key", .column = "key", .type = GC_EDM_BINARY, .flags = GC_P_SECRET},
};
static const gc_entity_type vault = {
    .name = "vault", .table = "vaults", .props = vault_props, .n_props = 5};

static void test_ident_quoting(void **state)
{
    (void)state;
    gc_buf b;
    gc_buf_init(&b, 64);
    assert_int_equal(gc_sql_ident(&b, "a\"b", "_ticks"), 0);
    assert_string_equal(b.data, "\"a\"\"b_ticks\"");
    b.len = 0;
    assert_int_equal(gc_sql_ident(&b, "x\"; DROP TABLE t; --", NULL), 0);
    assert_string_equal(b.data, "\"x\"\"; DROP TABLE t; --\"");
    b.len = 0; /* quotes first, last, back to back, and in the suffix */
    assert_int_equal(gc_sql_ident(&b, "\"q\"", "x\""), 0);
    assert_string_equal(b.data, "\"\"\"q\"\"x\"\"\"");
    b.len = 0;
    assert_int_equal(gc_sql_ident(&b, "\"\"", NULL), 0);
    assert_string_equal(b.data, "\"\"\"\"\"\"");
    gc_buf_free(&b);
    gc_buf_init(&b, 4);
    assert_int_equal(gc_sql_ident(&b, "toolong", NULL), -1);
    gc_buf_free(&b);
}

static void test_ddl(void **state)
{
    (void)state;
    assert_int_equal(gc_sql_n_values(&thing), 6);
    expect_sql(gc_sql_create_table, &gc_sql_dialect_sqlite,
               "CREATE TABLE IF NOT EXISTS \"things\" (\"tenant\" TEXT NOT NULL, \"id\" TEXT NOT NULL, "
               "\"la\"\"bel\" TEXT, \"at\" TEXT, \"at_ticks\" INTEGER, \"level\" INTEGER, \"data\" BLOB, "
               "\"version\" INTEGER NOT NULL, PRIMARY KEY (\"tenant\", \"id\"))");
    expect_sql(gc_sql_create_table, &numbered,
               "CREATE TABLE IF NOT EXISTS \"things\" (\"tenant\" TEXT NOT NULL, \"id\" TEXT NOT NULL, "
               "\"la\"\"bel\" TEXT, \"at\" TEXT, \"at_ticks\" BIGINT, \"level\" INTEGER, \"data\" BYTEA, "
               "\"version\" BIGINT NOT NULL, PRIMARY KEY (\"tenant\", \"id\"))");
    gc_buf b;
    gc_err err = {0};
    gc_buf_init(&b, GC_SQL_MAX_LEN);
    assert_int_equal(gc_sql_create_index(&b, &gc_sql_dialect_sqlite, &thing, &thing_props[2], &err), 0);
    assert_string_equal(b.data, "CREATE INDEX IF NOT EXISTS \"things_at_ticks_idx\" ON \"things\" "
                                "(\"tenant\", \"at_ticks\", \"id\")");
    assert_int_equal(gc_sql_create_index(&b, &gc_sql_dialect_sqlite, &thing, &thing_props[1], &err), 0);
    assert_string_equal(b.data, "CREATE INDEX IF NOT EXISTS \"things_la\"\"bel_idx\" ON \"things\" "
                                "(\"tenant\", \"la\"\"bel\", \"id\")");
    gc_buf_free(&b);
}

/* two indexed columns whose index names share their first 63 bytes */
static const gc_prop long_props[] = {
    {.name = "id", .column = "id", .type = GC_EDM_STRING, .flags = GC_P_KEY},
    {.name = "a", .column = "certificate_expiration_date_time_of_the_first_kind", .type = GC_EDM_STRING,
     .flags = GC_P_INDEX},
    {.name = "b", .column = "certificate_expiration_date_time_of_the_second_kind", .type = GC_EDM_STRING,
     .flags = GC_P_INDEX},
};
static const gc_entity_type long_type = {
    .name = "long", .table = "managed_devices", .props = long_props, .n_props = 3};

static void test_postgres_dialect(void **state)
{
    (void)state;
    expect_sql(gc_sql_create_table, &gc_sql_dialect_postgres,
               "CREATE TABLE IF NOT EXISTS \"things\" (\"tenant\" TEXT COLLATE \"C\" NOT NULL, "
               "\"id\" TEXT COLLATE \"C\" NOT NULL, \"la\"\"bel\" TEXT COLLATE \"C\", "
               "\"at\" TEXT COLLATE \"C\", \"at_ticks\" BIGINT, \"level\" INTEGER, \"data\" BYTEA, "
               "\"version\" BIGINT NOT NULL, PRIMARY KEY (\"tenant\", \"id\"))");
    gc_buf b;
    gc_err err = {0};
    gc_buf_init(&b, GC_SQL_MAX_LEN);
    /* a short name is kept as it is */
    assert_int_equal(gc_sql_create_index(&b, &gc_sql_dialect_postgres, &thing, &thing_props[2], &err), 0);
    assert_string_equal(b.data, "CREATE INDEX IF NOT EXISTS \"things_at_ticks_idx\" ON \"things\" "
                                "(\"tenant\", \"at_ticks\", \"id\")");
    /* long ones: 63 bytes, a shared head, a hash of the whole name: never the same */
    char names[2][128];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(gc_sql_create_index(&b, &gc_sql_dialect_postgres, &long_type,
                                             &long_props[1 + i], &err), 0);
        const char *open = strchr(b.data, '"'), *close = strchr(open + 1, '"');
        assert_int_equal(close - open - 1, 63);
        memcpy(names[i], open + 1, 63);
        names[i][63] = '\0';
        assert_memory_equal(names[i], "managed_devices_certificate_expiration_date_", 44);
    }
    assert_string_not_equal(names[0], names[1]);
    /* SQLite keeps names whole */
    assert_int_equal(gc_sql_create_index(&b, &gc_sql_dialect_sqlite, &long_type, &long_props[1], &err), 0);
    assert_non_null(strstr(b.data, "\"managed_devices_certificate_expiration_date_time_of_the_first_kind_idx\""));
    gc_buf_free(&b);
}

static void test_statements(void **state)
{
    (void)state;
    const char *cols = "\"id\", \"la\"\"bel\", \"at\", \"at_ticks\", \"level\", \"data\", \"version\"";
    char want[1024];
    snprintf(want, sizeof want, "SELECT %s FROM \"things\" WHERE \"tenant\" = ? AND \"id\" = ?", cols);
    expect_sql(select_one_all, &gc_sql_dialect_sqlite, want);
    snprintf(want, sizeof want, "SELECT %s FROM \"things\" WHERE \"tenant\" = $1 AND \"id\" = $2", cols);
    expect_sql(select_one_all, &numbered, want);
    snprintf(want, sizeof want, "SELECT %s, rowid FROM \"things\" WHERE \"tenant\" = ? AND \"id\" = ?",
             cols);
    expect_sql(select_one_rowid, &gc_sql_dialect_sqlite, want);
    snprintf(want, sizeof want, "INSERT INTO \"things\" (\"tenant\", %s) VALUES ($1, $2, $3, $4, $5, "
                                "$6, $7, $8)", cols);
    expect_sql(gc_sql_insert, &numbered, want);
    expect_sql(update_all, &numbered,
               "UPDATE \"things\" SET \"la\"\"bel\" = $1, \"at\" = $2, \"at_ticks\" = $3, \"level\" = $4, "
               "\"data\" = $5, \"version\" = $6 WHERE \"tenant\" = $7 AND \"id\" = $8 AND \"version\" = $9");
    expect_sql(gc_sql_select_version, &gc_sql_dialect_sqlite,
               "SELECT \"version\" FROM \"things\" WHERE \"tenant\" = ? AND \"id\" = ?");

    gc_buf b;
    gc_err err = {0};
    gc_buf_init(&b, GC_SQL_MAX_LEN);
    assert_int_equal(gc_sql_delete(&b, &numbered, &thing, true, &err), 0);
    assert_string_equal(b.data, "DELETE FROM \"things\" WHERE \"tenant\" = $1 AND \"id\" = $2 AND "
                                "\"version\" = $3");
    assert_int_equal(gc_sql_delete(&b, &gc_sql_dialect_sqlite, &thing, false, &err), 0);
    assert_string_equal(b.data, "DELETE FROM \"things\" WHERE \"tenant\" = ? AND \"id\" = ?");

    gc_order order[2] = {{&thing_props[2], true}, {&thing_props[3], false}};
    gc_store_query q = {.order = order, .n_order = 2};
    gc_arena *a = gc_arena_new();
    gc_sql_value params[GC_SQL_MAX_PARAMS];
    size_t n_params;
    q.limit = 10;
    assert_int_equal(gc_sql_select_list(&b, &numbered, &thing, &q, "t1", a, params, &n_params, &err), 0);
    snprintf(want, sizeof want,
             "SELECT %s FROM \"things\" WHERE \"tenant\" = $1 ORDER BY \"at_ticks\" DESC NULLS LAST, "
             "\"level\" ASC NULLS FIRST, \"id\" ASC LIMIT $2 OFFSET $3", cols);
    assert_string_equal(b.data, want);
    assert_int_equal(n_params, 3);
    assert_int_equal(params[0].kind, GC_SQL_TEXT);
    assert_memory_equal(params[0].p, "t1", 2);
    assert_int_equal(params[1].i, 10);
    assert_int_equal(params[2].i, 0);
    assert_int_equal(gc_sql_count(&b, &gc_sql_dialect_sqlite, &thing, &q, "t1", a, params, &n_params, &err), 0);
    assert_string_equal(b.data, "SELECT count(*) FROM \"things\" WHERE \"tenant\" = ?");
    assert_int_equal(n_params, 1);

    /* keyset: rows after (at = 0001-01-01T00:00:00Z desc, level = null asc, id = "k9") */
    json_t *after = json_pack("[s,n,s]", "0001-01-01T00:00:00Z", "k9");
    q.after = after;
    assert_int_equal(gc_sql_select_list(&b, &gc_sql_dialect_sqlite, &thing, &q, "t1", a, params, &n_params, &err), 0);
    snprintf(want, sizeof want,
             "SELECT %s FROM \"things\" WHERE \"tenant\" = ? AND ((\"at_ticks\" < ? OR \"at_ticks\" IS NULL) "
             "OR (\"at_ticks\" = ? AND ((\"level\" IS NOT NULL) OR (\"level\" IS NULL AND (\"id\" > ?))))) "
             "ORDER BY \"at_ticks\" DESC NULLS LAST, \"level\" ASC NULLS FIRST, \"id\" ASC LIMIT ? OFFSET ?",
             cols);
    assert_string_equal(b.data, want);
    assert_int_equal(n_params, 6);
    assert_int_equal(params[1].i, 0);
    assert_int_equal(params[2].i, 0);
    assert_memory_equal(params[3].p, "k9", 2);
    json_decref(after);
    q.after = NULL;
    gc_arena_free(a);

    /* a sort key from another type is a programmer error, reported not run */
    static const gc_prop foreign = {.name = "x", .column = "x", .type = GC_EDM_STRING};
    gc_order bad = {&foreign, false};
    q = (gc_store_query){.order = &bad, .n_order = 1};
    gc_arena *a2 = gc_arena_new();
    assert_int_equal(gc_sql_select_list(&b, &numbered, &thing, &q, "t1", a2, params, &n_params, &err), -1);
    assert_int_equal(err.kind, GC_E_INTERNAL);
    gc_arena_free(a2);
    gc_buf_free(&b);
}

/* the expiry windows of the expiring-certificates metrics: one grouped statement */
static void test_count_expiring(void **state)
{
    static const gc_entity_type expiring = {.name = "thing", .table = "things", .props = thing_props,
                                            .n_props = 5, .expiry = "at"};
    gc_buf b;
    gc_err err = {0};
    gc_buf_init(&b, GC_SQL_MAX_LEN);
    assert_int_equal(gc_sql_count_expiring(&b, &numbered, &expiring, 2, &err), 0);
    assert_string_equal(b.data,
                        "SELECT \"tenant\", sum(CASE WHEN \"at_ticks\" <= $1 THEN 1 ELSE 0 END), "
                        "sum(CASE WHEN \"at_ticks\" <= $2 THEN 1 ELSE 0 END) FROM \"things\" WHERE "
                        "\"at_ticks\" >= $3 AND \"at_ticks\" <= $4 GROUP BY \"tenant\" ORDER BY \"tenant\"");
    /* its parameters in that order: the upper bounds, the lower bound, the largest upper bound */
    const int64_t until[] = {70, 90};
    gc_sql_value params[4];
    gc_sql_count_expiring_params(10, until, 2, params);
    assert_true(params[0].i == 70 && params[1].i == 90 && params[2].i == 10 && params[3].i == 90);
    assert_int_equal(params[3].kind, GC_SQL_INT);
    /* no expiry, or one that is not a date-time: refused */
    assert_int_equal(gc_sql_count_expiring(&b, &numbered, &thing, 2, &err), -1);
    static const gc_entity_type wrong = {.name = "thing", .table = "things", .props = thing_props,
                                         .n_props = 5, .expiry = "label"};
    assert_int_equal(gc_sql_count_expiring(&b, &numbered, &wrong, 2, &err), -1);
    assert_int_equal(err.kind, GC_E_INTERNAL);
    /* the four certificate types of the schema name their expiry, a date-time */
    size_t with_expiry = 0;
    for (size_t i = 0; i < gc_schema_n_types; i++) {
        if (!gc_schema_types[i]->expiry)
            continue;
        with_expiry++;
        assert_int_equal(gc_sql_count_expiring(&b, &gc_sql_dialect_sqlite, gc_schema_types[i], 3, &err), 0);
    }
    assert_true(with_expiry >= 4);
    gc_buf_free(&b);
}

static void test_values_round_trip(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    gc_err err = {0};
    json_t *in = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", "k", "label", "L", "at",
                           "2000-01-01T00:00:00.5-01:00", "level", "high", "data", "AAE=");
    gc_sql_value v[6];
    assert_int_equal(gc_sql_values_from_record(&thing, in, NULL, a, v, &err), 0);
    assert_int_equal(v[0].kind, GC_SQL_TEXT);
    assert_int_equal(v[2].kind, GC_SQL_TEXT);
    assert_int_equal(v[2].len, strlen("2000-01-01T00:00:00.5-01:00"));
    assert_int_equal(v[3].kind, GC_SQL_INT);
    int64_t ticks;
    assert_int_equal(gc_datetime_parse("2000-01-01T01:00:00.5Z", 22, &ticks), 0);
    assert_true(v[3].i == ticks);
    assert_int_equal(v[4].kind, GC_SQL_INT);
    assert_int_equal(v[4].i, 20);
    assert_int_equal(v[5].kind, GC_SQL_BLOB);
    assert_int_equal(v[5].len, 2);
    assert_memory_equal(v[5].p, "\x00\x01", 2);

    json_t *out = NULL;
    assert_int_equal(gc_sql_record_from_values(&thing, v, false, a, &out, &err), 0);
    assert_true(json_equal(in, out));

    /* a stored enum value that is no member is corruption, not a client error */
    v[4].i = 15;
    assert_int_equal(gc_sql_record_from_values(&thing, v, false, a, &out, &err), -1);
    assert_int_equal(err.kind, GC_E_INTERNAL);
    assert_string_equal(err.target, "level");
    json_decref(in);
    gc_arena_free(a);
}

static void test_secrets_read_as_null(void **state)
{
    (void)state;
    gc_buf b;
    gc_err err = {0};
    gc_buf_init(&b, GC_SQL_MAX_LEN);
    assert_int_equal(gc_sql_select_one(&b, &gc_sql_dialect_sqlite, &vault, false, NULL, &err), 0);
    assert_string_equal(b.data, "SELECT \"id\", \"label\", NULL, NULL, NULL, NULL, \"version\" FROM "
                                "\"vaults\" WHERE \"tenant\" = ? AND \"id\" = ?");
    assert_int_equal(gc_sql_select_one(&b, &gc_sql_dialect_sqlite, &vault, true, NULL, &err), 0);
    assert_string_equal(b.data, "SELECT \"id\", \"label\", \"pin\", \"at\", \"at_ticks\", \"key\", "
                                "\"version\" FROM \"vaults\" WHERE \"tenant\" = ? AND \"id\" = ?");
    /* lists never read them */
    gc_arena *a = gc_arena_new();
    gc_sql_value params[GC_SQL_MAX_PARAMS];
    size_t n_params;
    gc_store_query q = {0};
    assert_int_equal(gc_sql_select_list(&b, &gc_sql_dialect_sqlite, &vault, &q, "t1", a, params,
                                        &n_params, &err), 0);
    assert_string_equal(b.data, "SELECT \"id\", \"label\", NULL, NULL, NULL, NULL, \"version\" FROM "
                                "\"vaults\" WHERE \"tenant\" = ? ORDER BY \"id\" ASC LIMIT ? OFFSET ?");
    /* inserts write them */
    assert_int_equal(gc_sql_insert(&b, &gc_sql_dialect_sqlite, &vault, &err), 0);
    assert_string_equal(b.data, "INSERT INTO \"vaults\" (\"tenant\", \"id\", \"label\", \"pin\", \"at\", "
                                "\"at_ticks\", \"key\", \"version\") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    gc_arena_free(a);
    gc_buf_free(&b);
}

static void test_update_columns(void **state)
{
    (void)state;
    gc_buf b;
    gc_err err = {0};
    gc_buf_init(&b, GC_SQL_MAX_LEN);
    bool set[5] = {true, false, true, true, false}; /* set[0] (the key) is never written */
    assert_int_equal(gc_sql_update(&b, &numbered, &thing, set, &err), 0);
    assert_string_equal(b.data, "UPDATE \"things\" SET \"at\" = $1, \"at_ticks\" = $2, \"level\" = $3, "
                                "\"version\" = $4 WHERE \"tenant\" = $5 AND \"id\" = $6 AND \"version\" = $7");
    bool none[5] = {false};
    assert_int_equal(gc_sql_update(&b, &gc_sql_dialect_sqlite, &thing, none, &err), 0);
    assert_string_equal(b.data, "UPDATE \"things\" SET \"version\" = ? WHERE \"tenant\" = ? AND \"id\" = ? "
                                "AND \"version\" = ?");
    gc_buf_free(&b);
}

static void test_update_values(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    gc_err err = {0};
    bool set[5];
    gc_sql_value v[6];
    size_t n = 99;
    json_t *old = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", "k", "label", "L", "at",
                            "2000-01-01T00:00:00Z", "level", "high", "data", "AAE=");

    /* against old: only what differs, a null included; absent old values count as null */
    json_t *obj = json_pack("{s:s,s:s,s:s,s:s,s:n}", "id", "k", "label", "L", "at",
                            "2000-01-01T01:00:00+01:00", "level", "high", "data");
    assert_int_equal(gc_sql_update_values(&thing, "k", old, obj, NULL, a, set, v, &n, &err), 0);
    assert_false(set[0]);
    assert_false(set[1]);
    assert_true(set[2]);
    assert_false(set[3]);
    assert_true(set[4]);
    assert_int_equal(n, 3);
    assert_int_equal(v[0].kind, GC_SQL_TEXT);
    assert_memory_equal(v[0].p, "2000-01-01T01:00:00+01:00", v[0].len);
    assert_int_equal(v[1].kind, GC_SQL_INT);
    assert_int_equal(v[2].kind, GC_SQL_NULL);
    json_decref(obj);

    json_t *old_partial = json_pack("{s:s}", "id", "k");
    obj = json_pack("{s:n,s:s}", "label", "level", "low");
    assert_int_equal(gc_sql_update_values(&thing, "k", old_partial, obj, NULL, a, set, v, &n, &err), 0);
    assert_false(set[1]);
    assert_true(set[3]);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].i, 10);
    json_decref(obj);
    json_decref(old_partial);

    /* without old: everything obj holds */
    obj = json_pack("{s:s,s:s}", "label", "L", "data", "AAE=");
    assert_int_equal(gc_sql_update_values(&thing, "k", NULL, obj, NULL, a, set, v, &n, &err), 0);
    assert_true(set[1]);
    assert_false(set[2]);
    assert_false(set[3]);
    assert_true(set[4]);
    assert_int_equal(n, 2);
    assert_int_equal(v[1].kind, GC_SQL_BLOB);
    assert_int_equal(v[1].len, 2);
    json_decref(obj);

    /* the key cannot change; changed values are checked, unchanged ones are not converted */
    obj = json_pack("{s:s}", "id", "other");
    assert_int_equal(gc_sql_update_values(&thing, "k", old, obj, NULL, a, set, v, &n, &err), -1);
    assert_int_equal(err.kind, GC_E_BAD_REQUEST);
    assert_string_equal(err.target, "id");
    json_decref(obj);
    obj = json_pack("{s:s}", "level", "medium");
    assert_int_equal(gc_sql_update_values(&thing, "k", old, obj, NULL, a, set, v, &n, &err), -1);
    assert_int_equal(err.kind, GC_E_BAD_REQUEST);
    assert_string_equal(err.target, "level");
    json_decref(obj);

    json_decref(old);
    gc_arena_free(a);
}

/* A write parses each value once: the store takes a property's values from the memo when the
 * record holds the very JSON value they were made of, and converts any other value itself. */
static void test_values_from_memo(void **state)
{
    (void)state;
    gc_arena *a = gc_arena_new();
    gc_err err = {0};
    json_t *in = gc_arena_json(a, json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", "k", "label", "L", "at",
                                            "2000-01-01T00:00:00Z", "level", "high", "data", "AAE="));
    gc_value_memo *memo = gc_value_memo_new(&thing, a);
    /* values no parse of the record would make, so that their use shows */
    gc_value at[] = {gc_value_text("remembered", 10), gc_value_int(42)};
    gc_value_memo_set(memo, 2, json_object_get(in, "at"), at, 2, a);
    gc_value level[] = {gc_value_int(10)};
    gc_value_memo_set(memo, 3, gc_arena_json(a, json_string("high")), level, 1, a); /* equal, other */
    gc_sql_value v[6];
    assert_int_equal(gc_sql_values_from_record(&thing, in, memo, a, v, &err), 0);
    assert_int_equal(v[2].len, 10);
    assert_memory_equal(v[2].s, "remembered", 10);
    assert_true(v[3].i == 42);
    assert_int_equal(v[4].i, 20); /* "high" parsed here: not the memo's value of another JSON value */

    bool set[5];
    size_t n = 0;
    assert_int_equal(gc_sql_update_values(&thing, "k", NULL, in, memo, a, set, v, &n, &err), 0);
    assert_true(set[2]);
    assert_true(v[1].kind == GC_SQL_TEXT && v[1].len == 10 && v[2].i == 42);
    gc_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ident_quoting),
        cmocka_unit_test(test_ddl),
        cmocka_unit_test(test_postgres_dialect),
        cmocka_unit_test(test_statements),
        cmocka_unit_test(test_count_expiring),
        cmocka_unit_test(test_values_round_trip),
        cmocka_unit_test(test_secrets_read_as_null),
        cmocka_unit_test(test_update_columns),
        cmocka_unit_test(test_update_values),
        cmocka_unit_test(test_values_from_memo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
