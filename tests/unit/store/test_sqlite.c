/* Tests of the SQLite store backend (src/store/sqlite/) against a real database file under
 * $GC_TEST_TMP: the column mapping of every EDM type, tenant isolation, conflicts and versions,
 * ordering and paging, group commit under 32 concurrent writers, partial updates that write only
 * changed columns, reads without write-only values, checkpoints that bound the WAL, reopen and
 * schema version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "store/sqlite.h"
#include "store/store.h"

/* ---- a test entity type with one property of every EDM type ---- */

static const gc_enum_member color_members[] = {{"red", 5}, {"green", 1}, {"blue", 3}};
static const gc_enum_type color_enum = {"testColor", color_members, 3, false};

static const gc_prop widget_props[] = {
    {.name = "id", .column = "id", .type = GC_EDM_STRING, .flags = GC_P_KEY},
    {.name = "name", .column = "name", .type = GC_EDM_STRING, .flags = GC_P_INDEX | GC_P_NULLABLE},
    {.name = "size", .column = "size", .type = GC_EDM_INT32, .flags = GC_P_NULLABLE},
    /* a column name holding a double quote proves identifiers are quoted everywhere */
    {.name = "enabled", .column = "is \"enabled\"", .type = GC_EDM_BOOLEAN, .flags = GC_P_NULLABLE},
    {.name = "ownerId", .column = "owner_id", .type = GC_EDM_GUID, .flags = GC_P_NULLABLE},
    {.name = "seenDateTime", .column = "seen_date_time", .type = GC_EDM_DATETIME,
     .flags = GC_P_INDEX | GC_P_NULLABLE},
    {.name = "blob", .column = "blob", .type = GC_EDM_BINARY, .flags = GC_P_NULLABLE},
    {.name = "color", .column = "color", .type = GC_EDM_ENUM, .enum_type = &color_enum,
     .flags = GC_P_INDEX | GC_P_NULLABLE},
    /* write-only: read only with GC_STORE_WITH_SECRETS */
    {.name = "pin", .column = "pin", .type = GC_EDM_STRING, .flags = GC_P_SECRET | GC_P_NULLABLE},
    {.name = "secretBlob", .column = "secret_blob", .type = GC_EDM_BINARY,
     .flags = GC_P_SECRET | GC_P_NULLABLE},
};
static const gc_entity_type widget = {
    .name = "testWidget",
    .table = "test_widgets",
    .props = widget_props,
    .n_props = sizeof widget_props / sizeof widget_props[0],
};
/* ---- a log type: a complex value and collections, stored as JSON text; rows written with
 * widget writes (gc_store_*_with) ---- */

static const gc_prop who_props[] = {
    {.name = "app", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
    {.name = "perms", .type = GC_EDM_STRING, .flags = GC_P_COLLECTION},
};
static const gc_complex_type who_type = {"testWho", who_props, 2};
static const gc_prop log_props[] = {
    {.name = "id", .column = "id", .type = GC_EDM_STRING, .flags = GC_P_KEY},
    {.name = "what", .column = "what", .type = GC_EDM_STRING, .flags = GC_P_NULLABLE},
    {.name = "who", .column = "who", .type = GC_EDM_COMPLEX, .complex = &who_type,
     .flags = GC_P_NULLABLE},
    {.name = "tags", .column = "tags", .type = GC_EDM_STRING, .flags = GC_P_COLLECTION},
};
static const gc_entity_type logrow = {
    .name = "testLog",
    .table = "test_log",
    .props = log_props,
    .n_props = sizeof log_props / sizeof log_props[0],
};

static const gc_entity_type *const test_types[] = {&widget, &logrow};

#define P_NAME (&widget_props[1])
#define P_SEEN (&widget_props[5])
#define P_COLOR (&widget_props[7])

/* ---- fixture ---- */

typedef struct fx {
    char path[512];
    gc_store *s;
    gc_arena *a;
} fx;

static void remove_db(const char *path)
{
    char p[600];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static void test_dir(char *out, size_t n)
{
    const char *root = getenv("GC_TEST_TMP");
    snprintf(out, n, "%s/store_sqlite", root && *root ? root : "/tmp");
    mkdir(root && *root ? root : "/tmp", 0700);
    mkdir(out, 0700);
}

static gc_store *open_types(const char *path)
{
    gc_store *s = NULL;
    gc_err err = {0};
    int rc = gc_store_sqlite_open_types(path, test_types, 2, &s, &err);
    if (rc != 0)
        fail_msg("open %s: %s", path, err.message);
    return s;
}

static int setup(void **state)
{
    static int counter;
    fx *f = calloc(1, sizeof *f);
    char dir[400];
    test_dir(dir, sizeof dir);
    snprintf(f->path, sizeof f->path, "%s/t%d-%d.db", dir, (int)getpid(), counter++);
    remove_db(f->path);
    f->s = open_types(f->path);
    f->a = gc_arena_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    gc_store_close(f->s);
    gc_arena_free(f->a);
    remove_db(f->path);
    free(f);
    return 0;
}

/* ---- helpers ---- */

static json_t *mk(const char *id, const char *name)
{
    return json_pack("{s:s,s:s?}", "id", id, "name", name);
}

/* The store's calls take the caller's arena: these make one for a single call (threads, and
 * tests without a fixture). */
static int insert_in(gc_store *s, const gc_entity_type *t, const char *tenant, json_t *obj,
                     int64_t *version, gc_err *err)
{
    gc_arena *a = gc_arena_new();
    int rc = gc_store_insert(s, a, t, tenant, obj, version, err);
    gc_arena_free(a);
    return rc;
}

static int count_in(gc_store *s, const gc_entity_type *t, const char *tenant,
                    const gc_store_query *q, int64_t *n, gc_err *err)
{
    gc_arena *a = gc_arena_new();
    int rc = gc_store_count(s, a, t, tenant, q, n, err);
    gc_arena_free(a);
    return rc;
}

static int64_t insert_ok(gc_store *s, const char *tenant, json_t *obj)
{
    gc_err err = {0};
    int64_t v = 0;
    int rc = insert_in(s, &widget, tenant, obj, &v, &err);
    json_decref(obj);
    if (rc != 0)
        fail_msg("insert: %s", err.message);
    assert_true(v > 0);
    return v;
}

static void assert_json_eq(const json_t *got, const char *expected_text)
{
    json_t *want = json_loads(expected_text, 0, NULL);
    assert_non_null(want);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_SORT_KEYS);
        fail_msg("got %s\nwant %s", g, expected_text);
    }
    json_decref(want);
}

/* ids of a list, comma-joined */
static char *list_ids(fx *f, const char *tenant, const gc_store_query *q)
{
    gc_record *rows = NULL;
    size_t n = 99;
    gc_err err = {0};
    if (gc_store_list(f->s, f->a, &widget, tenant, q, &rows, &n, &err) != 0)
        fail_msg("list: %s", err.message);
    char *out = gc_arena_strdup(f->a, "");
    for (size_t i = 0; i < n; i++)
        out = gc_arena_printf(f->a, "%s%s%s", out, i ? "," : "",
                              json_string_value(json_object_get(rows[i].obj, "id")));
    return out;
}

static int64_t count_of(fx *f, const char *tenant)
{
    int64_t n = -1;
    gc_err err = {0};
    gc_store_query q = {0};
    assert_int_equal(gc_store_count(f->s, f->a, &widget, tenant, &q, &n, &err), 0);
    return n;
}

/* ids of the tenant's log rows, comma-joined, in id order */
static char *list_log(fx *f, const char *tenant)
{
    gc_record *rows = NULL;
    size_t n = 0;
    gc_err err = {0};
    gc_store_query q = {0};
    if (gc_store_list(f->s, f->a, &logrow, tenant, &q, &rows, &n, &err) != 0)
        fail_msg("list: %s", err.message);
    char *out = gc_arena_strdup(f->a, "");
    for (size_t i = 0; i < n; i++)
        out = gc_arena_printf(f->a, "%s%s%s", out, i ? "," : "",
                              json_string_value(json_object_get(rows[i].obj, "id")));
    return out;
}

/* ---- tests ---- */

static void test_round_trip_every_type(void **state)
{
    fx *f = *state;
    const char *full = "{\"id\":\"w1\",\"name\":\"caf\\u00e9 \\\"x\\\"\",\"size\":-2147483648,"
                       "\"enabled\":true,\"ownerId\":\"0f8fad5b-d9cb-469f-a165-70867728950e\","
                       "\"seenDateTime\":\"2024-03-01T10:00:00.1234567+02:00\","
                       "\"blob\":\"AAEC/w==\",\"color\":\"blue\",\"pin\":\"1234\","
                       "\"secretBlob\":\"c2VjcmV0\"}";
    int64_t v = insert_ok(f->s, "tA", json_loads(full, 0, NULL));

    gc_record r = {0};
    gc_err err = {0};
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "tA", "w1", GC_STORE_WITH_SECRETS, &r, &err), 0);
    assert_json_eq(r.obj, full);
    assert_int_equal(r.version, v);

    /* every other property absent or null → SQL NULL → JSON null; false, 0 and empty bytes kept */
    insert_ok(f->s, "tA", json_pack("{s:s,s:n,s:b,s:i,s:s}", "id", "w2", "name", "enabled", 0,
                                    "size", 0, "blob", ""));
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "tA", "w2", GC_STORE_WITH_SECRETS, &r, &err), 0);
    assert_json_eq(r.obj, "{\"id\":\"w2\",\"name\":null,\"size\":0,\"enabled\":false,\"ownerId\":null,"
                          "\"seenDateTime\":null,\"blob\":\"\",\"color\":null,\"pin\":null,"
                          "\"secretBlob\":null}");

    /* the stored columns themselves */
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT typeof(blob), hex(blob), seen_date_time, "
                                        "seen_date_time_ticks, color, \"is \"\"enabled\"\"\", size, "
                                        "typeof(owner_id) FROM test_widgets WHERE tenant = 'tA' "
                                        "ORDER BY id",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal(sqlite3_column_text(st, 0), "blob");
    assert_string_equal(sqlite3_column_text(st, 1), "000102FF");
    assert_string_equal(sqlite3_column_text(st, 2), "2024-03-01T10:00:00.1234567+02:00");
    assert_true(sqlite3_column_int64(st, 3) == 638448768001234567LL);
    assert_int_equal(sqlite3_column_int64(st, 4), 3);
    assert_int_equal(sqlite3_column_int64(st, 5), 1);
    assert_int_equal(sqlite3_column_int64(st, 6), INT32_MIN);
    assert_string_equal(sqlite3_column_text(st, 7), "text");
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal(sqlite3_column_text(st, 0), "blob"); /* empty bytes, not NULL */
    assert_int_equal(sqlite3_column_type(st, 2), SQLITE_NULL);
    assert_int_equal(sqlite3_column_type(st, 3), SQLITE_NULL);
    assert_int_equal(sqlite3_column_type(st, 4), SQLITE_NULL);
    assert_int_equal(sqlite3_column_int64(st, 5), 0);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_bad_values_refused(void **state)
{
    fx *f = *state;
    static const struct {
        const char *json, *target;
    } cases[] = {
        {"{\"id\":\"b\",\"blob\":\"not base64!\"}", "blob"},
        {"{\"id\":\"b\",\"color\":\"purple\"}", "color"},
        {"{\"id\":\"b\",\"size\":2147483648}", "size"},
        {"{\"id\":\"b\",\"size\":\"1\"}", "size"},
        {"{\"id\":\"b\",\"enabled\":1}", "enabled"},
        {"{\"id\":\"b\",\"seenDateTime\":\"2024-13-01T00:00:00Z\"}", "seenDateTime"},
        {"{\"name\":\"no key\"}", "id"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *obj = json_loads(cases[i].json, 0, NULL);
        gc_err err = {0};
        assert_int_equal(gc_store_insert(f->s, f->a, &widget, "t", obj, NULL, &err), -1);
        json_decref(obj);
        assert_int_equal(err.kind, GC_E_BAD_REQUEST);
        assert_string_equal(err.target, cases[i].target);
    }
    assert_int_equal(count_of(f, "t"), 0);
}

static void test_tenant_isolation(void **state)
{
    fx *f = *state;
    gc_err err = {0};
    gc_record r = {0};
    int64_t va = insert_ok(f->s, "tA", mk("same", "a"));
    int64_t vb = insert_ok(f->s, "tB", mk("same", "b"));
    insert_ok(f->s, "tB", mk("only-b", "b2"));
    assert_true(vb > va);

    assert_int_equal(gc_store_get(f->s, f->a, &widget, "tA", "same", GC_STORE_WITH_SECRETS, &r, &err), 0);
    assert_string_equal(json_string_value(json_object_get(r.obj, "name")), "a");
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "tB", "same", GC_STORE_WITH_SECRETS, &r, &err), 0);
    assert_string_equal(json_string_value(json_object_get(r.obj, "name")), "b");
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "tA", "only-b", GC_STORE_WITH_SECRETS, &r, &err), -1);
    assert_int_equal(err.kind, GC_E_NOT_FOUND);

    assert_int_equal(count_of(f, "tA"), 1);
    assert_int_equal(count_of(f, "tB"), 2);
    assert_int_equal(count_of(f, "tC"), 0);
    gc_store_query q = {0};
    assert_string_equal(list_ids(f, "tA", &q), "same");
    assert_string_equal(list_ids(f, "tB", &q), "only-b,same");

    /* update/remove in the wrong tenant: not found, and the other tenant's row is untouched */
    json_t *obj = mk("only-b", "hijack");
    assert_int_equal(gc_store_update(f->s, f->a, &widget, "tA", "only-b", vb, NULL, obj, NULL, &err), -1);
    json_decref(obj);
    assert_int_equal(err.kind, GC_E_NOT_FOUND);
    assert_int_equal(gc_store_remove(f->s, f->a, &widget, "tA", "only-b", 0, &err), -1);
    assert_int_equal(err.kind, GC_E_NOT_FOUND);
    obj = mk("same", "a2");
    assert_int_equal(gc_store_update(f->s, f->a, &widget, "tA", "same", va, NULL, obj, NULL, &err), 0);
    json_decref(obj);
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "tB", "same", GC_STORE_WITH_SECRETS, &r, &err), 0);
    assert_string_equal(json_string_value(json_object_get(r.obj, "name")), "b");
    assert_int_equal(r.version, vb);
    assert_int_equal(gc_store_remove(f->s, f->a, &widget, "tB", "same", 0, &err), 0);
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "tA", "same", GC_STORE_WITH_SECRETS, &r, &err), 0);
    assert_string_equal(json_string_value(json_object_get(r.obj, "name")), "a2");
}

static void test_duplicate_insert_conflicts(void **state)
{
    fx *f = *state;
    gc_err err = {0};
    int64_t v = insert_ok(f->s, "t", mk("dup", "first"));
    json_t *obj = mk("dup", "second");
    assert_int_equal(gc_store_insert(f->s, f->a, &widget, "t", obj, NULL, &err), -1);
    json_decref(obj);
    assert_int_equal(err.kind, GC_E_CONFLICT);
    gc_record r = {0};
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "t", "dup", GC_STORE_WITH_SECRETS, &r, &err), 0);
    assert_string_equal(json_string_value(json_object_get(r.obj, "name")), "first");
    assert_int_equal(r.version, v);
    assert_int_equal(count_of(f, "t"), 1);
}

/* Runs sql on the store's file through a connection of its own, as another program might. */
static void raw_exec(fx *f, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

static void assert_name(fx *f, const char *tenant, const char *id, const char *name)
{
    gc_record r = {0};
    gc_err err = {0};
    if (gc_store_get(f->s, f->a, &widget, tenant, id, 0, &r, &err) != 0)
        fail_msg("get %s: %s", id, err.message);
    assert_string_equal(json_string_value(json_object_get(r.obj, "name")), name);
}

/* The rowid cache is a hint: a read by id finds the row after it moved to another rowid, not
 * the row that took its old one, and nothing once it is gone. Each step follows a write through
 * the store, so that the reads take new snapshots. */
static void test_reads_by_id_whatever_the_rowid_cache_holds(void **state)
{
    fx *f = *state;
    gc_err err = {0};
    gc_record r = {0};
    insert_ok(f->s, "t", mk("a", "first")); /* cached by the insert */
    assert_name(f, "t", "a", "first");
    raw_exec(f, "UPDATE test_widgets SET rowid = 1000 WHERE id = 'a'");
    insert_ok(f->s, "t", mk("step1", NULL));
    assert_name(f, "t", "a", "first"); /* moved: through the index, cached at 1000 */
    raw_exec(f, "UPDATE test_widgets SET rowid = 5000 WHERE id = 'a';"
                "INSERT INTO test_widgets (rowid, tenant, id, name, version) "
                "VALUES (1000, 't', 'other', 'second', 1)");
    insert_ok(f->s, "t", mk("step2", NULL));
    assert_name(f, "t", "a", "first"); /* 1000 is other's now */
    assert_name(f, "t", "other", "second");
    assert_name(f, "t", "a", "first");
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "u", "a", 0, &r, &err), -1);
    assert_int_equal(err.kind, GC_E_NOT_FOUND);
    assert_int_equal(gc_store_remove(f->s, f->a, &widget, "t", "a", 0, &err), 0);
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "t", "a", 0, &r, &err), -1);
    assert_int_equal(err.kind, GC_E_NOT_FOUND);
    assert_name(f, "t", "other", "second");
    insert_ok(f->s, "t", mk("a", "again"));
    assert_name(f, "t", "a", "again");
}

static void test_update_versions(void **state)
{
    fx *f = *state;
    gc_err err = {0};
    gc_record r = {0};
    int64_t v1 = insert_ok(f->s, "t", mk("u", "one"));

    json_t *obj = json_pack("{s:s,s:s,s:i,s:s}", "id", "u", "name", "two", "size", 7, "color", "red");
    int64_t v2 = 0;
    assert_int_equal(gc_store_update(f->s, f->a, &widget, "t", "u", v1, NULL, obj, &v2, &err), 0);
    json_decref(obj);
    assert_true(v2 > v1);
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "t", "u", GC_STORE_WITH_SECRETS, &r, &err), 0);
    assert_int_equal(r.version, v2);
    assert_json_eq(r.obj, "{\"id\":\"u\",\"name\":\"two\",\"size\":7,\"enabled\":null,\"ownerId\":null,"
                          "\"seenDateTime\":null,\"blob\":null,\"color\":\"red\",\"pin\":null,"
                          "\"secretBlob\":null}");

    /* the old version is stale now */
    obj = mk("u", "three");
    assert_int_equal(gc_store_update(f->s, f->a, &widget, "t", "u", v1, NULL, obj, NULL, &err), -1);
    assert_int_equal(err.kind, GC_E_STALE);
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "t", "u", GC_STORE_WITH_SECRETS, &r, &err), 0);
    assert_string_equal(json_string_value(json_object_get(r.obj, "name")), "two");
    json_decref(obj);

    obj = mk("gone", "x");
    assert_int_equal(gc_store_update(f->s, f->a, &widget, "t", "gone", v2, NULL, obj, NULL, &err), -1);
    assert_int_equal(err.kind, GC_E_NOT_FOUND);
    json_decref(obj);

    /* the key cannot be changed through update */
    obj = mk("other", "x");
    assert_int_equal(gc_store_update(f->s, f->a, &widget, "t", "u", v2, NULL, obj, NULL, &err), -1);
    assert_int_equal(err.kind, GC_E_BAD_REQUEST);
    json_decref(obj);
}

/* ---- partial updates ---- */

/* A side connection on the store's file whose triggers record, in table "touched", every column
 * an UPDATE writes: AFTER UPDATE OF col fires whenever col is in the SET list, whatever the
 * value, so it shows which columns (and so which indexes) a write touched. */
static sqlite3 *touch_recorder(const char *path)
{
    static const char *const cols[][2] = {
        {"name", "name"}, {"size", "size"}, {"\"is \"\"enabled\"\"\"", "enabled"},
        {"owner_id", "owner_id"}, {"seen_date_time", "seen_date_time"},
        {"seen_date_time_ticks", "seen_date_time_ticks"}, {"blob", "blob"}, {"color", "color"},
        {"pin", "pin"}, {"secret_blob", "secret_blob"}, {"id", "id"}, {"tenant", "tenant"},
    };
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE touched (col TEXT)", NULL, NULL, NULL), SQLITE_OK);
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
        char sql[300];
        snprintf(sql, sizeof sql,
                 "CREATE TRIGGER touch_%zu AFTER UPDATE OF %s ON test_widgets "
                 "BEGIN INSERT INTO touched VALUES ('%s'); END",
                 i, cols[i][0], cols[i][1]);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    }
    return db;
}

/* The columns written since the last call, sorted, comma-joined (into buf). */
static const char *touched(sqlite3 *db, char *buf, size_t n)
{
    sqlite3_stmt *st;
    buf[0] = '\0';
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT col FROM touched ORDER BY col", -1, &st, NULL),
                     SQLITE_OK);
    size_t len = 0;
    while (sqlite3_step(st) == SQLITE_ROW)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? "," : "",
                                (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_exec(db, "DELETE FROM touched", NULL, NULL, NULL), SQLITE_OK);
    return buf;
}

/* Updates w1 in tenant t from cur to next (given old = cur) and returns the new record. */
static gc_record update_from(fx *f, const gc_record *cur, json_t *next)
{
    gc_err err = {0};
    int64_t v = 0;
    if (gc_store_update(f->s, f->a, &widget, "t", "w1", cur->version, cur->obj, next, &v, &err) != 0)
        fail_msg("update: %s", err.message);
    json_decref(next);
    assert_true(v > cur->version);
    gc_record r = {0};
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "t", "w1", GC_STORE_WITH_SECRETS, &r, &err), 0);
    assert_int_equal(r.version, v);
    return r;
}

static void test_update_writes_only_changed_columns(void **state)
{
    fx *f = *state;
    gc_err err = {0};
    char buf[400];
    const char *full = "{\"id\":\"w1\",\"name\":\"n\",\"size\":3,\"enabled\":true,"
                       "\"ownerId\":\"0f8fad5b-d9cb-469f-a165-70867728950e\","
                       "\"seenDateTime\":\"2024-03-01T10:00:00Z\",\"blob\":\"AAEC\","
                       "\"color\":\"blue\",\"pin\":\"1234\",\"secretBlob\":\"c2VjcmV0\"}";
    insert_ok(f->s, "t", json_loads(full, 0, NULL));
    sqlite3 *db = touch_recorder(f->path);
    gc_record cur = {0};
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "t", "w1", GC_STORE_WITH_SECRETS, &cur, &err), 0);

    /* one property changed: one column written, every other property kept */
    json_t *next = json_deep_copy(cur.obj);
    json_object_set_new(next, "name", json_string("renamed"));
    cur = update_from(f, &cur, next);
    assert_string_equal(touched(db, buf, sizeof buf), "name");
    assert_json_eq(cur.obj, "{\"id\":\"w1\",\"name\":\"renamed\",\"size\":3,\"enabled\":true,"
                            "\"ownerId\":\"0f8fad5b-d9cb-469f-a165-70867728950e\","
                            "\"seenDateTime\":\"2024-03-01T10:00:00Z\",\"blob\":\"AAEC\","
                            "\"color\":\"blue\",\"pin\":\"1234\",\"secretBlob\":\"c2VjcmV0\"}");

    /* nothing changed: no column but the version */
    cur = update_from(f, &cur, json_deep_copy(cur.obj));
    assert_string_equal(touched(db, buf, sizeof buf), "");

    /* a date-time writes its text and its instant; a secret, a null and an enum their columns */
    next = json_deep_copy(cur.obj);
    json_object_set_new(next, "seenDateTime", json_string("2024-03-01T12:00:00+02:00"));
    json_object_set_new(next, "secretBlob", json_string("bmV3"));
    json_object_set_new(next, "size", json_null());
    json_object_set_new(next, "color", json_string("red"));
    cur = update_from(f, &cur, next);
    assert_string_equal(touched(db, buf, sizeof buf), "color,secret_blob,seen_date_time,seen_date_time_ticks,size");
    assert_json_eq(cur.obj, "{\"id\":\"w1\",\"name\":\"renamed\",\"size\":null,\"enabled\":true,"
                            "\"ownerId\":\"0f8fad5b-d9cb-469f-a165-70867728950e\","
                            "\"seenDateTime\":\"2024-03-01T12:00:00+02:00\",\"blob\":\"AAEC\","
                            "\"color\":\"red\",\"pin\":\"1234\",\"secretBlob\":\"bmV3\"}");
    /* the same instant in another text is another value: both columns rewritten */
    next = json_deep_copy(cur.obj);
    json_object_set_new(next, "seenDateTime", json_string("2024-03-01T10:00:00Z"));
    cur = update_from(f, &cur, next);
    assert_string_equal(touched(db, buf, sizeof buf), "seen_date_time,seen_date_time_ticks");

    /* without old: every property obj holds is written, the absent ones are left as they are;
     * obj need not repeat the key */
    json_t *obj = json_pack("{s:s,s:s}", "id", "w1", "color", "red");
    int64_t v = 0;
    assert_int_equal(gc_store_update(f->s, f->a, &widget, "t", "w1", cur.version, NULL, obj, &v, &err), 0);
    json_decref(obj);
    assert_string_equal(touched(db, buf, sizeof buf), "color");
    obj = json_pack("{s:n,s:b}", "pin", "enabled", 0);
    assert_int_equal(gc_store_update(f->s, f->a, &widget, "t", "w1", v, NULL, obj, &v, &err), 0);
    json_decref(obj);
    assert_string_equal(touched(db, buf, sizeof buf), "enabled,pin");
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "t", "w1", GC_STORE_WITH_SECRETS, &cur, &err), 0);
    assert_int_equal(cur.version, v);
    assert_json_eq(cur.obj, "{\"id\":\"w1\",\"name\":\"renamed\",\"size\":null,\"enabled\":false,"
                            "\"ownerId\":\"0f8fad5b-d9cb-469f-a165-70867728950e\","
                            "\"seenDateTime\":\"2024-03-01T10:00:00Z\",\"blob\":\"AAEC\","
                            "\"color\":\"red\",\"pin\":null,\"secretBlob\":\"bmV3\"}");

    /* a bad value among the changed ones is refused, and nothing is written */
    next = json_deep_copy(cur.obj);
    json_object_set_new(next, "name", json_string("x"));
    json_object_set_new(next, "blob", json_string("not base64!"));
    assert_int_equal(gc_store_update(f->s, f->a, &widget, "t", "w1", cur.version, cur.obj, next, NULL, &err), -1);
    json_decref(next);
    assert_int_equal(err.kind, GC_E_BAD_REQUEST);
    assert_string_equal(err.target, "blob");
    assert_string_equal(touched(db, buf, sizeof buf), "");
    /* a stale version still fails when nothing differs */
    assert_int_equal(gc_store_update(f->s, f->a, &widget, "t", "w1", cur.version - 1, cur.obj, cur.obj,
                                     NULL, &err), -1);
    assert_int_equal(err.kind, GC_E_STALE);
    assert_string_equal(touched(db, buf, sizeof buf), "");
    sqlite3_close(db);
}

static void test_get_without_secrets(void **state)
{
    fx *f = *state;
    gc_err err = {0};
    gc_record r = {0};
    insert_ok(f->s, "t", json_pack("{s:s,s:s,s:s,s:s}", "id", "s1", "name", "x", "pin", "1234",
                                   "secretBlob", "c2VjcmV0"));
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "t", "s1", 0, &r, &err), 0);
    assert_json_eq(r.obj, "{\"id\":\"s1\",\"name\":\"x\",\"size\":null,\"enabled\":null,\"ownerId\":null,"
                          "\"seenDateTime\":null,\"blob\":null,\"color\":null,\"pin\":null,"
                          "\"secretBlob\":null}");
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "t", "s1", GC_STORE_WITH_SECRETS, &r, &err), 0);
    assert_string_equal(json_string_value(json_object_get(r.obj, "pin")), "1234");
    assert_string_equal(json_string_value(json_object_get(r.obj, "secretBlob")), "c2VjcmV0");

    gc_record *rows = NULL;
    size_t n = 0;
    gc_store_query q = {0};
    assert_int_equal(gc_store_list(f->s, f->a, &widget, "t", &q, &rows, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_true(json_is_null(json_object_get(rows[0].obj, "pin")));
    assert_true(json_is_null(json_object_get(rows[0].obj, "secretBlob")));
    assert_string_equal(json_string_value(json_object_get(rows[0].obj, "name")), "x");
}

/* GC_STORE_VALUES: the same values as the object, as an array in schema order, from a get (at
 * a cached rowid or through the index) and from a list; gc_record_value reads either form. */
static void test_values_in_schema_order(void **state)
{
    fx *f = *state;
    gc_err err = {0};
    insert_ok(f->s, "t", json_pack("{s:s,s:s,s:i,s:s,s:s}", "id", "v1", "name", "x", "size", 7,
                                   "color", "blue", "pin", "1234"));
    insert_ok(f->s, "t", mk("v2", "y"));
    gc_record by_name = {0};
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "t", "v1", 0, &by_name, &err), 0);
    assert_null(by_name.vals);
    for (int pass = 0; pass < 2; pass++) { /* after the insert cached its rowid, then not */
        if (pass == 1)
            raw_exec(f, "UPDATE test_widgets SET rowid = 9000 WHERE id = 'v1'");
        insert_ok(f->s, "t", mk(pass ? "v4" : "v3", NULL)); /* new snapshots */
        gc_record r = {0};
        assert_int_equal(gc_store_get(f->s, f->a, &widget, "t", "v1", GC_STORE_VALUES, &r, &err), 0);
        assert_null(r.obj);
        assert_true(json_is_array(r.vals));
        assert_int_equal(json_array_size(r.vals), widget.n_props);
        assert_int_equal(r.version, by_name.version);
        for (size_t i = 0; i < widget.n_props; i++) {
            const gc_prop *p = &widget.props[i];
            assert_true(json_equal(json_array_get(r.vals, i), json_object_get(by_name.obj, p->name)));
            assert_ptr_equal(gc_record_value(&widget, &r, p), json_array_get(r.vals, i));
            assert_ptr_equal(gc_record_value(&widget, &by_name, p), json_object_get(by_name.obj, p->name));
        }
        assert_string_equal(json_string_value(gc_record_value(&widget, &r, P_COLOR)), "blue");
    }
    gc_order by_name_order = {.prop = P_NAME};
    gc_store_query q = {.order = &by_name_order, .n_order = 1, .values = true};
    gc_record *rows = NULL;
    size_t n = 0;
    assert_int_equal(gc_store_list(f->s, f->a, &widget, "t", &q, &rows, &n, &err), 0);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        assert_null(rows[i].obj);
        assert_int_equal(json_array_size(rows[i].vals), widget.n_props);
    }
    const gc_record *v1 = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(json_string_value(gc_record_value(&widget, &rows[i], &widget.props[0])), "v1") == 0)
            v1 = &rows[i];
    assert_non_null(v1);
    assert_string_equal(json_string_value(gc_record_value(&widget, v1, P_NAME)), "x");
    assert_true(json_is_null(gc_record_value(&widget, v1, &widget.props[8]))); /* pin, unread */
}

/* More distinct sets of changed columns than a connection caches statements for: the least
 * recently used statements are dropped and every update still lands. */
static void test_update_many_column_sets(void **state)
{
    fx *f = *state;
    gc_err err = {0};
    static const char *const props[] = {"name", "size", "enabled", "ownerId", "color", "pin", "blob"};
    int64_t v = insert_ok(f->s, "t", mk("w1", NULL));
    json_t *want = json_pack("{s:s,s:n,s:n,s:n,s:n,s:n,s:n,s:n,s:n,s:n}", "id", "w1", "name", "size",
                             "enabled", "ownerId", "seenDateTime", "blob", "color", "pin", "secretBlob");
    for (int i = 1; i < 200; i++) {
        json_t *obj = json_object();
        for (int b = 0; b < 7; b++) {
            if (!((i ^ (i >> 3)) & (1 << b)) && b != i % 7)
                continue;
            json_t *val;
            switch (b) {
            case 0: val = json_sprintf("n%d", i); break;
            case 1: val = json_integer(i); break;
            case 2: val = json_boolean(i % 2); break;
            case 3: val = json_sprintf("00000000-0000-0000-0000-%012d", i); break;
            case 4: val = json_string(i % 3 ? "green" : "blue"); break;
            case 5: val = json_sprintf("p%d", i); break;
            default: val = json_string(i % 2 ? "AAEC" : "AA=="); break;
            }
            json_object_set(want, props[b], val);
            json_object_set_new(obj, props[b], val);
        }
        if (gc_store_update(f->s, f->a, &widget, "t", "w1", v, NULL, obj, &v, &err) != 0)
            fail_msg("update %d: %s", i, err.message);
        json_decref(obj);
    }
    gc_record r = {0};
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "t", "w1", GC_STORE_WITH_SECRETS, &r, &err), 0);
    assert_int_equal(r.version, v);
    if (!json_equal(r.obj, want))
        fail_msg("got %s", json_dumps(r.obj, JSON_SORT_KEYS));
    json_decref(want);
}

static void test_remove(void **state)
{
    fx *f = *state;
    gc_err err = {0};
    gc_record r = {0};
    int64_t v = insert_ok(f->s, "t", mk("r1", NULL));
    insert_ok(f->s, "t", mk("r2", NULL));

    assert_int_equal(gc_store_remove(f->s, f->a, &widget, "t", "r1", v - 1, &err), -1);
    assert_int_equal(err.kind, GC_E_STALE);
    assert_int_equal(gc_store_remove(f->s, f->a, &widget, "t", "r1", v, &err), 0);
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "t", "r1", GC_STORE_WITH_SECRETS, &r, &err), -1);
    assert_int_equal(err.kind, GC_E_NOT_FOUND);
    assert_int_equal(gc_store_remove(f->s, f->a, &widget, "t", "r1", 0, &err), -1);
    assert_int_equal(err.kind, GC_E_NOT_FOUND);
    assert_int_equal(gc_store_remove(f->s, f->a, &widget, "t", "r1", v, &err), -1);
    assert_int_equal(err.kind, GC_E_NOT_FOUND);
    /* expect_version 0: any version */
    assert_int_equal(gc_store_remove(f->s, f->a, &widget, "t", "r2", 0, &err), 0);
    assert_int_equal(count_of(f, "t"), 0);
}

static void test_order_by_instant_and_enum(void **state)
{
    fx *f = *state;
    /* as text: c < b < a; as instants: a (05:00Z) < c (05:30Z) < b (06:00Z) */
    insert_ok(f->s, "t", json_pack("{s:s,s:s,s:s}", "id", "a", "seenDateTime",
                                   "2024-01-01T10:00:00+05:00", "color", "red"));
    insert_ok(f->s, "t", json_pack("{s:s,s:s,s:s}", "id", "b", "seenDateTime",
                                   "2024-01-01T06:00:00Z", "color", "green"));
    insert_ok(f->s, "t", json_pack("{s:s,s:s,s:s}", "id", "c", "seenDateTime",
                                   "2024-01-01T01:30:00.0000001-04:00", "color", "blue"));
    insert_ok(f->s, "t", json_pack("{s:s}", "id", "n")); /* null date and color */
    insert_ok(f->s, "t", json_pack("{s:s,s:s}", "id", "a0", "seenDateTime", "2024-01-01T05:00:00Z"));

    gc_order by_seen = {P_SEEN, false};
    gc_store_query q = {.order = &by_seen, .n_order = 1};
    /* nulls first ascending; equal instants (a, a0) fall back to the key */
    assert_string_equal(list_ids(f, "t", &q), "n,a,a0,c,b");
    by_seen.desc = true;
    assert_string_equal(list_ids(f, "t", &q), "b,c,a,a0,n");

    /* enums sort by member value: green 1 < blue 3 < red 5 */
    gc_order by_color[2] = {{P_COLOR, false}, {P_SEEN, true}};
    q = (gc_store_query){.order = by_color, .n_order = 2};
    assert_string_equal(list_ids(f, "t", &q), "a0,n,b,c,a");

    /* no order: by key */
    q = (gc_store_query){0};
    assert_string_equal(list_ids(f, "t", &q), "a,a0,b,c,n");
}

static void test_limit_offset(void **state)
{
    fx *f = *state;
    for (int i = 0; i < 10; i++) {
        char id[8], name[8];
        snprintf(id, sizeof id, "id%d", i);
        snprintf(name, sizeof name, "n%d", 9 - i);
        insert_ok(f->s, "t", mk(id, name));
    }
    insert_ok(f->s, "other", mk("x", "n0"));
    gc_order by_name = {P_NAME, false};
    gc_store_query q = {.order = &by_name, .n_order = 1, .limit = 3, .offset = 2};
    assert_string_equal(list_ids(f, "t", &q), "id7,id6,id5");
    q.limit = 0;
    q.offset = 8;
    assert_string_equal(list_ids(f, "t", &q), "id1,id0");
    q.limit = 5;
    q.offset = 0;
    assert_string_equal(list_ids(f, "t", &q), "id9,id8,id7,id6,id5");
    q.offset = 10;
    assert_string_equal(list_ids(f, "t", &q), "");
    /* count ignores limit and offset */
    int64_t n = -1;
    gc_err err = {0};
    assert_int_equal(gc_store_count(f->s, f->a, &widget, "t", &q, &n, &err), 0);
    assert_int_equal(n, 10);
}

/* ---- group commit ---- */

#define N_THREADS 32
#define N_PER_THREAD 50

typedef struct writer_arg {
    gc_store *s;
    int thread;
    int failures;
    int64_t versions[N_PER_THREAD];
} writer_arg;

static void *writer_thread(void *p)
{
    writer_arg *w = p;
    for (int i = 0; i < N_PER_THREAD; i++) {
        char id[32];
        snprintf(id, sizeof id, "w%02d-%02d", w->thread, i);
        json_t *obj = json_pack("{s:s,s:i}", "id", id, "size", i);
        gc_err err = {0};
        if (insert_in(w->s, &widget, "t", obj, &w->versions[i], &err) != 0)
            w->failures++;
        json_decref(obj);
    }
    return NULL;
}

/* Reads while the writers run: counts never go down and every read succeeds. */
typedef struct reader_arg {
    gc_store *s;
    _Atomic int *stop;
    int failures, reads;
} reader_arg;

static void *reader_thread(void *p)
{
    reader_arg *r = p;
    int64_t last = 0;
    gc_arena *a = gc_arena_new();
    while (!*r->stop) {
        int64_t n = -1;
        gc_err err = {0};
        gc_store_query q = {.limit = 5};
        gc_record *rows;
        size_t n_rows;
        if (gc_store_count(r->s, a, &widget, "t", &q, &n, &err) != 0 || n < last ||
            gc_store_list(r->s, a, &widget, "t", &q, &rows, &n_rows, &err) != 0)
            r->failures++;
        last = n;
        r->reads++;
    }
    gc_arena_free(a);
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Failed writes inside a group: 16 threads insert the same 40 ids at once, so groups mix
 * successes with conflicts. Exactly one insert of each id wins, every loser is a conflict, and
 * a loser leaves nothing behind (its row and index entries are undone with its statement):
 * the rows read through the name index are exactly the winners. */
#define N_RACERS 16
#define N_RACE_IDS 40

typedef struct racer_arg {
    gc_store *s;
    int thread, wins, conflicts, other;
} racer_arg;

static void *racer_thread(void *p)
{
    racer_arg *r = p;
    for (int i = 0; i < N_RACE_IDS; i++) {
        char id[16], name[32];
        snprintf(id, sizeof id, "race-%02d", i);
        snprintf(name, sizeof name, "n%02d-by-%02d", i, r->thread);
        json_t *obj = json_pack("{s:s,s:s,s:s}", "id", id, "name", name, "color", "red");
        gc_err err = {0};
        if (insert_in(r->s, &widget, "t", obj, NULL, &err) == 0)
            r->wins++;
        else if (err.kind == GC_E_CONFLICT)
            r->conflicts++;
        else
            r->other++;
        json_decref(obj);
    }
    return NULL;
}

static void test_group_failures_stay_their_own(void **state)
{
    fx *f = *state;
    racer_arg args[N_RACERS];
    pthread_t th[N_RACERS];
    uint64_t commits_before = gc_store_sqlite_commits(f->s);
    for (int i = 0; i < N_RACERS; i++) {
        args[i] = (racer_arg){.s = f->s, .thread = i};
        assert_int_equal(pthread_create(&th[i], NULL, racer_thread, &args[i]), 0);
    }
    int wins = 0, conflicts = 0;
    for (int i = 0; i < N_RACERS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].other, 0);
        wins += args[i].wins;
        conflicts += args[i].conflicts;
    }
    uint64_t commits = gc_store_sqlite_commits(f->s) - commits_before;
    print_message("%d inserts (%d conflicts) in %llu commits\n", N_RACERS * N_RACE_IDS, conflicts,
                  (unsigned long long)commits);
    assert_int_equal(wins, N_RACE_IDS);
    assert_int_equal(conflicts, (N_RACERS - 1) * N_RACE_IDS);
    assert_true(commits < (uint64_t)(N_RACERS * N_RACE_IDS)); /* failures shared groups */
    assert_int_equal(count_of(f, "t"), N_RACE_IDS);
    /* through the name and color indexes: one entry per winning row, none for a loser */
    gc_order by_name = {.prop = P_NAME};
    gc_store_query q = {.order = &by_name, .n_order = 1};
    gc_record *rows = NULL;
    size_t n = 0;
    gc_err err = {0};
    assert_int_equal(gc_store_list(f->s, f->a, &widget, "t", &q, &rows, &n, &err), 0);
    assert_int_equal(n, N_RACE_IDS);
    for (size_t i = 0; i < n; i++) {
        char want[32];
        snprintf(want, sizeof want, "race-%02zu", i);
        assert_string_equal(json_string_value(json_object_get(rows[i].obj, "id")), want);
    }
    gc_order by_color = {.prop = P_COLOR};
    q.order = &by_color;
    assert_int_equal(gc_store_list(f->s, f->a, &widget, "t", &q, &rows, &n, &err), 0);
    assert_int_equal(n, N_RACE_IDS);
}

static void test_group_commit(void **state)
{
    fx *f = *state;
    static writer_arg args[N_THREADS];
    pthread_t th[N_THREADS];
    uint64_t commits_before = gc_store_sqlite_commits(f->s);
    /* each commit visible 1 ms before it is counted: readers that take a snapshot then must not
     * make another connection's older one look current */
    gc_store_sqlite_delay_settle(f->s, 1000);
    _Atomic int stop = 0;
    reader_arg rargs[4];
    pthread_t rth[4];
    for (int i = 0; i < 4; i++) {
        rargs[i] = (reader_arg){.s = f->s, .stop = &stop};
        assert_int_equal(pthread_create(&rth[i], NULL, reader_thread, &rargs[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++) {
        args[i] = (writer_arg){.s = f->s, .thread = i};
        assert_int_equal(pthread_create(&th[i], NULL, writer_thread, &args[i]), 0);
    }
    int failures = 0;
    static int64_t all[N_THREADS * N_PER_THREAD];
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(th[i], NULL);
        failures += args[i].failures;
        memcpy(&all[i * N_PER_THREAD], args[i].versions, sizeof args[i].versions);
    }
    uint64_t commits = gc_store_sqlite_commits(f->s) - commits_before;
    stop = 1;
    for (int i = 0; i < 4; i++) {
        pthread_join(rth[i], NULL);
        assert_int_equal(rargs[i].failures, 0);
        assert_true(rargs[i].reads > 0);
    }
    int ops = N_THREADS * N_PER_THREAD;
    print_message("group commit: %d writes in %llu commits\n", ops, (unsigned long long)commits);
    assert_int_equal(failures, 0);
    assert_int_equal(count_of(f, "t"), ops);
    assert_true(commits >= 1);
    assert_true(commits <= (uint64_t)ops / 4);
    /* every write got its own version */
    qsort(all, (size_t)ops, sizeof all[0], cmp_i64);
    for (int i = 1; i < ops; i++)
        assert_true(all[i] > all[i - 1]);
}

static void test_failed_commit_is_invisible(void **state)
{
    fx *f = *state;
    gc_err err = {0};
    gc_record r = {0};
    int64_t v = insert_ok(f->s, "t", mk("kept", "k"));
    uint64_t commits = gc_store_sqlite_commits(f->s);

    gc_store_sqlite_fail_commits(f->s, 1);
    json_t *obj = mk("lost", "l");
    assert_int_equal(gc_store_insert(f->s, f->a, &widget, "t", obj, NULL, &err), -1);
    json_decref(obj);
    assert_int_equal(err.kind, GC_E_INTERNAL);
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "t", "lost", GC_STORE_WITH_SECRETS, &r, &err), -1);
    assert_int_equal(err.kind, GC_E_NOT_FOUND);
    assert_int_equal(gc_store_sqlite_commits(f->s), commits);

    /* the store carries on, and versions keep increasing past the lost one */
    assert_true(insert_ok(f->s, "t", mk("lost", "again")) > v);
    assert_int_equal(count_of(f, "t"), 2);
}


/* ---- rows written with a write (gc_store_row) ---- */

static gc_store_row log_of(json_t **keep, const char *id, const char *what)
{
    *keep = json_pack("{s:s,s:s,s:{s:s,s:[s,s]},s:[s]}", "id", id, "what", what, "who", "app",
                      "a1", "perms", "P.Read", "P.Write", "tags", "x");
    return (gc_store_row){.type = &logrow, .obj = *keep};
}

static int64_t log_count(fx *f, const char *tenant)
{
    int64_t n = -1;
    gc_err err = {0};
    gc_store_query q = {0};
    assert_int_equal(gc_store_count(f->s, f->a, &logrow, tenant, &q, &n, &err), 0);
    return n;
}

/* Complex values and collections go in as JSON text and come back as the same JSON, in order. */
static void test_json_properties_round_trip(void **state)
{
    fx *f = *state;
    gc_err err = {0};
    json_t *keep;
    gc_store_row row = log_of(&keep, "l1", "made");
    int64_t v = 0;
    assert_int_equal(gc_store_insert(f->s, f->a, &logrow, "t", row.obj, &v, &err), 0);
    gc_record r = {0};
    assert_int_equal(gc_store_get(f->s, f->a, &logrow, "t", "l1", 0, &r, &err), 0);
    char *text = json_dumps(r.obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(text, "{\"id\":\"l1\",\"what\":\"made\",\"who\":{\"app\":\"a1\","
                              "\"perms\":[\"P.Read\",\"P.Write\"]},\"tags\":[\"x\"]}");
    gc_json_text_free(text);
    /* the wrong JSON shape is refused before anything is written */
    json_t *bad = json_pack("{s:s,s:[],s:[]}", "id", "l2", "who", "tags");
    assert_int_equal(gc_store_insert(f->s, f->a, &logrow, "t", bad, &v, &err), -1);
    assert_int_equal(err.kind, GC_E_BAD_REQUEST);
    assert_string_equal(err.target, "who");
    json_decref(bad);
    bad = json_pack("{s:s,s:{}}", "id", "l3", "tags");
    assert_int_equal(gc_store_insert(f->s, f->a, &logrow, "t", bad, &v, &err), -1);
    assert_string_equal(err.target, "tags");
    json_decref(bad);
    /* text that is not the property's JSON reads as an internal error, not as garbage */
    raw_exec(f, "UPDATE test_log SET tags = '{\"not\":\"an array\"}'");
    insert_ok(f->s, "t", mk("new-snapshots", NULL));
    assert_int_equal(gc_store_get(f->s, f->a, &logrow, "t", "l1", 0, &r, &err), -1);
    assert_int_equal(err.kind, GC_E_INTERNAL);
    json_decref(keep);
    assert_int_equal(log_count(f, "t"), 1);
}

/* Each write kind writes its row exactly when it succeeds, in the write's tenant. */
static void test_row_written_with_each_write(void **state)
{
    fx *f = *state;
    gc_err err = {0};
    json_t *keep, *obj = mk("w1", "one");
    gc_store_row row = log_of(&keep, "c1", "create");
    int64_t v = 0;
    assert_int_equal(gc_store_insert_with(f->s, f->a, &widget, "t", obj, NULL, &row, &v, &err), 0);
    json_decref(keep);
    assert_int_equal(log_count(f, "t"), 1);
    assert_int_equal(log_count(f, "other"), 0);

    /* a failed create (conflict) writes no row */
    row = log_of(&keep, "c2", "create again");
    assert_int_equal(gc_store_insert_with(f->s, f->a, &widget, "t", obj, NULL, &row, &v, &err), -1);
    assert_int_equal(err.kind, GC_E_CONFLICT);
    json_decref(keep);
    json_decref(obj);
    assert_int_equal(log_count(f, "t"), 1);

    /* update: stale → no row; current → one */
    json_t *next = mk("w1", "two");
    row = log_of(&keep, "u1", "stale");
    assert_int_equal(gc_store_update_with(f->s, f->a, &widget, "t", "w1", v + 1000, NULL, next, NULL, &row, &v,
                                          &err), -1);
    assert_int_equal(err.kind, GC_E_STALE);
    json_decref(keep);
    assert_int_equal(log_count(f, "t"), 1);
    row = log_of(&keep, "u2", "update");
    assert_int_equal(gc_store_update_with(f->s, f->a, &widget, "t", "w1", v, NULL, next, NULL, &row, &v, &err), 0);
    json_decref(keep);
    json_decref(next);
    assert_int_equal(log_count(f, "t"), 2);
    assert_name(f, "t", "w1", "two");

    /* delete: missing → no row; present → one */
    row = log_of(&keep, "d1", "missing");
    assert_int_equal(gc_store_remove_with(f->s, f->a, &widget, "t", "nope", 0, &row, &err), -1);
    assert_int_equal(err.kind, GC_E_NOT_FOUND);
    json_decref(keep);
    row = log_of(&keep, "d2", "delete");
    assert_int_equal(gc_store_remove_with(f->s, f->a, &widget, "t", "w1", 0, &row, &err), 0);
    json_decref(keep);
    assert_int_equal(log_count(f, "t"), 3);
    assert_int_equal(count_of(f, "t"), 0);
    assert_string_equal(list_log(f, "t"), "c1,d2,u2");
}

/* When the row cannot be written (here: its id is taken), the write is undone with it and
 * fails, and the other writes of the same group are not affected. */
static void test_write_undone_when_its_row_fails(void **state)
{
    fx *f = *state;
    gc_err err = {0};
    json_t *keep;
    insert_ok(f->s, "t", mk("w1", "one"));
    gc_store_row row = log_of(&keep, "taken", "first");
    json_t *obj = mk("w2", "two");
    int64_t v = 0;
    assert_int_equal(gc_store_insert_with(f->s, f->a, &widget, "t", obj, NULL, &row, &v, &err), 0);
    json_decref(obj);
    json_decref(keep);

    gc_record cur = {0};
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "t", "w1", GC_STORE_WITH_SECRETS, &cur, &err), 0);
    json_t *next = mk("w1", "changed");
    row = log_of(&keep, "taken", "again");
    assert_int_equal(gc_store_update_with(f->s, f->a, &widget, "t", "w1", cur.version, cur.obj, next, NULL, &row,
                                          &v, &err), -1);
    assert_int_equal(err.kind, GC_E_INTERNAL);
    assert_name(f, "t", "w1", "one");
    obj = mk("w3", "three");
    assert_int_equal(gc_store_insert_with(f->s, f->a, &widget, "t", obj, NULL, &row, &v, &err), -1);
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "t", "w3", 0, &cur, &err), -1);
    assert_int_equal(err.kind, GC_E_NOT_FOUND);
    assert_int_equal(gc_store_remove_with(f->s, f->a, &widget, "t", "w2", 0, &row, &err), -1);
    assert_name(f, "t", "w2", "two");
    json_decref(keep);
    json_decref(next);
    json_decref(obj);
    assert_int_equal(log_count(f, "t"), 1);
    /* the store carries on */
    row = log_of(&keep, "fresh", "after");
    assert_int_equal(gc_store_remove_with(f->s, f->a, &widget, "t", "w2", 0, &row, &err), 0);
    json_decref(keep);
    assert_int_equal(log_count(f, "t"), 2);
}

/* A lost group commit loses the write and its row together. */
static void test_lost_commit_loses_write_and_row(void **state)
{
    fx *f = *state;
    gc_err err = {0};
    json_t *keep, *obj = mk("w1", "one");
    gc_store_row row = log_of(&keep, "c1", "create");
    int64_t v = 0;
    gc_store_sqlite_fail_commits(f->s, 1);
    assert_int_equal(gc_store_insert_with(f->s, f->a, &widget, "t", obj, NULL, &row, &v, &err), -1);
    assert_int_equal(count_of(f, "t"), 0);
    assert_int_equal(log_count(f, "t"), 0);
    assert_int_equal(gc_store_insert_with(f->s, f->a, &widget, "t", obj, NULL, &row, &v, &err), 0);
    assert_int_equal(count_of(f, "t"), 1);
    assert_int_equal(log_count(f, "t"), 1);
    json_decref(keep);
    json_decref(obj);
}

/* ---- checkpoints ---- */

typedef struct blob_writer {
    gc_store *s;
    int thread, failures;
} blob_writer;

static char b64_4000[4001]; /* 3,000 zero bytes in base64 */

static void *blob_writer_thread(void *p)
{
    blob_writer *w = p;
    const char *b64 = b64_4000;
    for (int i = 0; i < 60; i++) {
        char id[32];
        snprintf(id, sizeof id, "b%02d-%03d", w->thread, i);
        json_t *obj = json_pack("{s:s,s:s,s:s}", "id", id, "name", id, "blob", b64);
        gc_err err = {0};
        if (insert_in(w->s, &widget, "t", obj, NULL, &err) != 0)
            w->failures++;
        json_decref(obj);
    }
    return NULL;
}

/* Checkpoints and at least one WAL restart happened, and the WAL file is within the restart size
 * plus what the groups written during one checkpoint added. */
static void assert_wal_bounded(fx *f, const char *label, int restart_pages)
{
    uint64_t checkpoints = 0, restarts = 0;
    gc_store_sqlite_checkpoint_stats(f->s, &checkpoints, &restarts);
    char wal[600];
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    struct stat sb;
    assert_int_equal(stat(wal, &sb), 0);
    print_message("%scheckpoints: %llu passive, %llu restarts, WAL %lld bytes\n", label,
                  (unsigned long long)checkpoints, (unsigned long long)restarts, (long long)sb.st_size);
    assert_true(checkpoints >= 1);
    assert_true(restarts >= 1);
    assert_true(sb.st_size <= (off_t)(4 * restart_pages) * (4096 + 24) + 32);
}

/* The checkpoint thread copies the WAL back while writes go on, and the writer restarts the
 * WAL once it reaches the restart size, so the WAL file stays small; nothing is lost. */
static void test_checkpoints_bound_the_wal(void **state)
{
    fx *f = *state;
    enum { THREADS = 8, PAGES = 16, RESTART_PAGES = 128 };
    gc_store_sqlite_set_checkpoint_pages(f->s, PAGES, RESTART_PAGES);
    memset(b64_4000, 'A', 4000);
    static blob_writer args[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (blob_writer){.s = f->s, .thread = i};
        assert_int_equal(pthread_create(&th[i], NULL, blob_writer_thread, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    /* 480 rows of 3 KiB: over 480 pages written, far more with the index pages */
    assert_wal_bounded(f, "", RESTART_PAGES);
    assert_int_equal(count_of(f, "t"), THREADS * 60);

    gc_store_close(f->s);
    f->s = open_types(f->path);
    assert_int_equal(count_of(f, "t"), THREADS * 60);
    gc_record r = {0};
    gc_err err = {0};
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "t", "b07-059", 0, &r, &err), 0);
    assert_int_equal(strlen(json_string_value(json_object_get(r.obj, "blob"))), 4000);
}

/* ---- read snapshots kept between reads ---- */

#define N_SNAP_READERS 16

typedef struct snap_reader {
    gc_store *s;
    pthread_barrier_t *start, *done;
    const char *volatile *want; /* the id to read this round; NULL: stop */
    int rounds, misses;
} snap_reader;

static void *snap_reader_thread(void *p)
{
    snap_reader *r = p;
    gc_arena *a = gc_arena_new();
    for (;;) {
        pthread_barrier_wait(r->start);
        const char *id = *r->want;
        if (!id)
            break;
        gc_record rec = {0};
        gc_err err = {0};
        if (gc_store_get(r->s, a, &widget, "t", id, 0, &rec, &err) != 0)
            r->misses++;
        r->rounds++;
        pthread_barrier_wait(r->done);
    }
    gc_arena_free(a);
    return NULL;
}

/* N_SNAP_READERS reader threads that read one id at once, a round at a time. */
typedef struct snap_crew {
    pthread_barrier_t start, done;
    const char *volatile want;
    snap_reader rs[N_SNAP_READERS];
    pthread_t th[N_SNAP_READERS];
} snap_crew;

static void crew_start(snap_crew *c, gc_store *s)
{
    pthread_barrier_init(&c->start, NULL, N_SNAP_READERS + 1);
    pthread_barrier_init(&c->done, NULL, N_SNAP_READERS + 1);
    for (int i = 0; i < N_SNAP_READERS; i++) {
        c->rs[i] = (snap_reader){.s = s, .start = &c->start, .done = &c->done, .want = &c->want};
        assert_int_equal(pthread_create(&c->th[i], NULL, snap_reader_thread, &c->rs[i]), 0);
    }
}

/* Every reader reads id at the same time (so from as many pooled connections). */
static void crew_round(snap_crew *c, const char *id)
{
    c->want = id;
    pthread_barrier_wait(&c->start);
    pthread_barrier_wait(&c->done);
}

/* Stops the readers; every read of every round found its row. */
static void crew_stop(snap_crew *c, int rounds)
{
    c->want = NULL;
    pthread_barrier_wait(&c->start);
    for (int i = 0; i < N_SNAP_READERS; i++) {
        pthread_join(c->th[i], NULL);
        assert_int_equal(c->rs[i].misses, 0);
        assert_int_equal(c->rs[i].rounds, rounds);
    }
    pthread_barrier_destroy(&c->start);
    pthread_barrier_destroy(&c->done);
}

/* Pooled read connections keep their snapshot between reads while nothing was committed: a
 * read after an acknowledged write must still see the write, on every connection of the pool.
 * 16 threads read at once (so from up to 16 connections, each left holding a snapshot), then
 * a write is acknowledged and all 16 read it at once; 40 rounds. */
static void test_reads_see_acknowledged_writes(void **state)
{
    fx *f = *state;
    static snap_crew crew;
    insert_ok(f->s, "t", mk("base", "b"));
    crew_start(&crew, f->s);
    crew_round(&crew, "base");
    char ids[40][16];
    for (int round = 0; round < 40; round++) {
        snprintf(ids[round], sizeof ids[round], "ryw-%02d", round);
        insert_ok(f->s, "t", mk(ids[round], "w")); /* acknowledged */
        crew_round(&crew, ids[round]);
    }
    crew_stop(&crew, 41);
}

/* Idle pooled connections holding snapshots must not hold up checkpoints or the WAL restart
 * (which waits for every reader): with 16 of them idle before and during a write load, the
 * checkpoints and restarts still happen and the WAL stays within its bound. */
static void test_idle_snapshots_hold_up_nothing(void **state)
{
    fx *f = *state;
    enum { THREADS = 8, PAGES = 16, RESTART_PAGES = 128 };
    gc_store_sqlite_set_checkpoint_pages(f->s, PAGES, RESTART_PAGES);
    memset(b64_4000, 'A', 4000);
    /* leave 16 connections in the pool, each with a snapshot */
    static snap_crew crew;
    insert_ok(f->s, "t", mk("base", "b"));
    crew_start(&crew, f->s);
    crew_round(&crew, "base");
    static blob_writer args[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (blob_writer){.s = f->s, .thread = i};
        assert_int_equal(pthread_create(&th[i], NULL, blob_writer_thread, &args[i]), 0);
    }
    crew_round(&crew, "base"); /* one more round in the middle of the writes */
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    crew_stop(&crew, 2);
    assert_wal_bounded(f, "with idle snapshots: ", RESTART_PAGES);
    assert_int_equal(count_of(f, "t"), THREADS * 60 + 1);
}

/* ---- reopen and schema version ---- */

static int64_t meta_value(const char *path, const char *key)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int64_t v = -1;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT value FROM gc_meta WHERE key = ?", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void test_reopen_and_schema_version(void **state)
{
    fx *f = *state;
    gc_err err = {0};
    gc_record r = {0};
    int64_t v1 = insert_ok(f->s, "t", mk("p1", "one"));
    int64_t v2 = insert_ok(f->s, "t2", json_pack("{s:s,s:s}", "id", "p2", "blob", "3q2+7w=="));
    gc_store_close(f->s);
    f->s = NULL;

    assert_int_equal(meta_value(f->path, "schema_version"), 1);
    assert_int_equal(meta_value(f->path, "last_version"), v2);

    f->s = open_types(f->path);
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "t", "p1", GC_STORE_WITH_SECRETS, &r, &err), 0);
    assert_int_equal(r.version, v1);
    assert_string_equal(json_string_value(json_object_get(r.obj, "name")), "one");
    assert_int_equal(gc_store_get(f->s, f->a, &widget, "t2", "p2", GC_STORE_WITH_SECRETS, &r, &err), 0);
    assert_int_equal(r.version, v2);
    assert_string_equal(json_string_value(json_object_get(r.obj, "blob")), "3q2+7w==");
    assert_true(insert_ok(f->s, "t", mk("p3", NULL)) > v2);

    /* a database written by a newer graphcerts is refused, naming the file */
    gc_store_close(f->s);
    f->s = NULL;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE gc_meta SET value = 2 WHERE key = 'schema_version'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    gc_store *s = NULL;
    assert_int_equal(gc_store_sqlite_open_types(f->path, test_types, 1, &s, &err), -1);
    assert_null(s);
    assert_int_equal(err.kind, GC_E_INTERNAL);
    assert_non_null(strstr(err.message, f->path));
    assert_non_null(strstr(err.message, "newer"));
}

/* One store per file: a second open is refused naming the file until the first is closed. */
static void test_one_store_per_file(void **state)
{
    fx *f = *state;
    gc_err err = {0};
    assert_int_equal(gc_store_ping(f->s, &err), 0);
    gc_store *s = NULL;
    assert_int_equal(gc_store_sqlite_open_types(f->path, test_types, 1, &s, &err), -1);
    assert_null(s);
    assert_int_equal(err.kind, GC_E_UNAVAILABLE);
    assert_string_equal(err.target, "db");
    assert_non_null(strstr(err.message, f->path));
    assert_non_null(strstr(err.message, "in use by another graphcerts process"));
    assert_int_equal(gc_store_ping(f->s, &err), 0); /* the first is untouched */
    gc_store_close(f->s);
    f->s = open_types(f->path);
    assert_int_equal(gc_store_ping(f->s, &err), 0);
}

static void test_open_by_dsn_creates_directory_and_schema(void **state)
{
    (void)state;
    char dir[400], sub[480], path[560];
    test_dir(dir, sizeof dir);
    snprintf(sub, sizeof sub, "%s/new-%d", dir, (int)getpid());
    snprintf(path, sizeof path, "%s/sub/gc.db", sub);
    remove_db(path);
    char subsub[520];
    snprintf(subsub, sizeof subsub, "%s/sub", sub);
    rmdir(subsub);
    rmdir(sub);

    char dsn[600];
    snprintf(dsn, sizeof dsn, "sqlite:%s", path);
    gc_store *s = NULL;
    gc_err err = {0};
    if (gc_store_open(dsn, &s, &err) != 0)
        fail_msg("open: %s", err.message);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    /* every schema type has its table */
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    for (size_t i = 0; i < gc_schema_n_types; i++) {
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = "
                                                "'table' AND name = ?",
                                            -1, &st, NULL),
                         SQLITE_OK);
        sqlite3_bind_text(st, 1, gc_schema_types[i]->table, -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), 1);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    int64_t n = -1;
    gc_store_query q = {0};
    assert_int_equal(count_in(s, gc_schema_types[0], "t", &q, &n, &err), 0);
    assert_int_equal(n, 0);
    gc_store_close(s);
    assert_int_equal(meta_value(path, "schema_version"), 1);

    remove_db(path);
    rmdir(subsub);
    rmdir(sub);

    assert_int_equal(gc_store_open("nosuch:/x", &s, &err), -1);
    assert_int_equal(err.kind, GC_E_BAD_REQUEST);
    assert_int_equal(gc_store_open("sqlite::memory:", &s, &err), -1);
    assert_int_equal(err.kind, GC_E_BAD_REQUEST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_every_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tenant_isolation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_insert_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reads_by_id_whatever_the_rowid_cache_holds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_writes_only_changed_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_without_secrets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values_in_schema_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_many_column_sets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_order_by_instant_and_enum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_failures_stay_their_own, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reads_see_acknowledged_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_snapshots_hold_up_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_commit_is_invisible, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_properties_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_row_written_with_each_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_undone_when_its_row_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_commit_loses_write_and_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoints_bound_the_wal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_and_schema_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_store_per_file, setup, teardown),
        cmocka_unit_test(test_open_by_dsn_creates_directory_and_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
