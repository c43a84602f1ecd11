/* `graphcerts migrate --db DSN`: makes the store's schema, or brings it up to the version this
 * graphcerts writes, and exits. `serve` does the same when it starts (under a lock on PostgreSQL,
 * so nodes starting together take turns); this is for doing it ahead of a rolling upgrade, or
 * from a deployment job. */
#include "cli/cli.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "store/store.h"

typedef struct migrate_cfg {
    const char *db;
} migrate_cfg;

static const gc_opt migrate_opts[] = {
    {"db", GC_OPT_STRING, "sqlite:./var/graphcerts.db", 0, 0, "DSN",
     "the store: sqlite:PATH or postgresql://user@host:port/dbname", offsetof(migrate_cfg, db), 1},
};
#define N_MIGRATE_OPTS (sizeof migrate_opts / sizeof migrate_opts[0])

static const char migrate_usage[] =
    "usage: graphcerts migrate [--db DSN]\n\n"
    "Creates the store's tables and indexes, or migrates them to this version's schema, and exits.\n"
    "graphcerts serve does the same at start; on PostgreSQL an advisory lock lets one node at a\n"
    "time do it. A store with a newer schema than this graphcerts knows is left alone (exit 1).";

static int migrate_run(int argc, char **argv)
{
    migrate_cfg cfg = {0};
    int rc = gc_cli_parse(migrate_opts, N_MIGRATE_OPTS, &cfg, argc, argv, migrate_usage);
    if (rc)
        return rc == 1 ? 0 : 2;
    gc_err err;
    gc_err_clear(&err);
    gc_store *s = NULL;
    if (gc_store_open(cfg.db, &s, &err) < 0) {
        fprintf(stderr, "graphcerts: %s\n", err.message);
        return 1;
    }
    gc_store_close(s);
    /* the scheme only: the rest of a DSN may hold a password */
    const char *colon = strchr(cfg.db, ':');
    fprintf(stderr, "graphcerts: the %.*s store's schema is up to date\n",
            colon ? (int)(colon - cfg.db) : 0, cfg.db);
    return 0;
}

const gc_cli_cmd gc_cli_cmd_migrate = {
    .name = "migrate",
    .summary = "create or migrate the store's schema, then exit",
    .run = migrate_run,
    .opts = migrate_opts,
    .n_opts = N_MIGRATE_OPTS,
};
