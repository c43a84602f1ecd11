/* gc_store_open_read_only on SQLite (what `graphcerts export` uses): it opens a store a server
 * has open (no lock), reads it, refuses every write with a message, and refuses a file that is
 * missing or is not a graphcerts database rather than making one. Real files under $GC_TEST_TMP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "schema/schema.h"
#include "store/store.h"

static char path[512], dsn[600];

static void remove_db(void)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[540];
        snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

static int setup(void **state)
{
    (void)state;
    static int counter;
    const char *root = getenv("GC_TEST_TMP");
    char dir[400];
    snprintf(dir, sizeof dir, "%s/store_read_only", root && *root ? root : "/tmp");
    mkdir(root && *root ? root : "/tmp", 0700);
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/r%d-%d.db", dir, (int)getpid(), counter++);
    snprintf(dsn, sizeof dsn, "sqlite:%s", path);
    remove_db();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    remove_db();
    return 0;
}

/* The device certificate state type: every property but the key may be left out. */
static const gc_entity_type *device_type(void)
{
    for (size_t i = 0; i < gc_schema_n_types; i++)
        if (strcmp(gc_schema_types[i]->name, "managedAllDeviceCertificateState") == 0)
            return gc_schema_types[i];
    fail_msg("no managedAllDeviceCertificateState in the schema");
    return NULL;
}

static json_t *device(const char *id)
{
    return json_pack("{s:s}", gc_schema_key(device_type())->name, id);
}

static const char *const TENANT = "8a0b4f7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
static const char *const ID1 = "11111111-1111-4111-8111-111111111111";
static const char *const ID2 = "22222222-2222-4222-8222-222222222222";

static void test_reads_beside_a_writer_and_refuses_writes(void **state)
{
    (void)state;
    const gc_entity_type *t = device_type();
    gc_err err = {0};
    gc_store *w = NULL, *r = NULL;
    gc_arena *a = gc_arena_new();
    assert_int_equal(gc_store_open(dsn, &w, &err), 0);
    json_t *obj = device(ID1);
    assert_int_equal(gc_store_insert(w, a, t, TENANT, obj, NULL, &err), 0);
    json_decref(obj);

    /* the writer holds its lock: a second writer is refused, a reader is not */
    gc_store *w2 = NULL;
    assert_int_equal(gc_store_open(dsn, &w2, &err), -1);
    assert_non_null(strstr(err.message, "in use by another graphcerts process"));
    assert_int_equal(gc_store_open_read_only(dsn, &r, &err), 0);

    gc_record rec;
    assert_int_equal(gc_store_get(r, a, t, TENANT, ID1, 0, &rec, &err), 0);
    int64_t n = -1;
    assert_int_equal(gc_store_count(r, a, t, TENANT, NULL, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(gc_store_ping(r, &err), 0);

    /* every write through the read-only store fails, saying why, and changes nothing */
    obj = device(ID2);
    gc_err_clear(&err);
    assert_int_equal(gc_store_insert(r, a, t, TENANT, obj, NULL, &err), -1);
    assert_int_equal(err.kind, GC_E_INTERNAL);
    assert_non_null(strstr(err.message, "read-only"));
    gc_err_clear(&err);
    assert_int_equal(gc_store_remove(r, a, t, TENANT, ID1, 0, &err), -1);
    assert_non_null(strstr(err.message, "read-only"));
    assert_int_equal(gc_store_count(w, a, t, TENANT, NULL, &n, &err), 0);
    assert_int_equal(n, 1);

    /* the writer goes on writing while the reader is open */
    assert_int_equal(gc_store_insert(w, a, t, TENANT, obj, NULL, &err), 0);
    json_decref(obj);
    gc_store_close(r);
    gc_store_close(w);
    gc_arena_free(a);
}

static void test_refuses_what_is_not_a_graphcerts_store(void **state)
{
    (void)state;
    gc_store *r = NULL;
    gc_err err = {0};
    /* missing: not made */
    assert_int_equal(gc_store_open_read_only(dsn, &r, &err), -1);
    assert_null(r);
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0);

    /* an SQLite database of something else */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE notes (x TEXT)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    gc_err_clear(&err);
    assert_int_equal(gc_store_open_read_only(dsn, &r, &err), -1);
    assert_null(r);
    assert_non_null(strstr(err.message, "not a graphcerts database"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reads_beside_a_writer_and_refuses_writes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refuses_what_is_not_a_graphcerts_store, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
