/* `graphcerts restore --db DSN IN`: replaces the store's content with a backup made by
 * `graphcerts backup`, after checking the backup; the server must be stopped meanwhile. */
#include "cli/cli.h"

#include <stddef.h>
#include <stdio.h>

#include "store/backup.h"

typedef struct restore_cfg {
    const char *db, *backup;
} restore_cfg;

static const gc_opt restore_opts[] = {
    {"db", GC_OPT_STRING, "sqlite:./var/graphcerts.db", 0, 0, "DSN", "the store to replace",
     offsetof(restore_cfg, db), 1},
    {"backup", GC_OPT_ARG, NULL, 0, 0, "BACKUP", "the backup file to restore from",
     offsetof(restore_cfg, backup), 0},
};
#define N_RESTORE_OPTS (sizeof restore_opts / sizeof restore_opts[0])

static const char restore_usage[] =
    "usage: graphcerts restore [--db DSN] IN\n\n"
    "Checks the backup IN (made by graphcerts backup), then replaces everything in the store with\n"
    "it in one transaction (the store is made when missing). Stop the server first.";

static int restore_run(int argc, char **argv)
{
    restore_cfg cfg = {0};
    int rc = gc_cli_parse(restore_opts, N_RESTORE_OPTS, &cfg, argc, argv, restore_usage);
    if (rc)
        return rc == 1 ? 0 : 2;
    if (!cfg.backup) {
        fprintf(stderr, "graphcerts: restore needs the backup file to read (see --help)\n");
        return 2;
    }
    gc_err err;
    gc_err_clear(&err);
    if (gc_store_restore(cfg.backup, cfg.db, &err) < 0) {
        fprintf(stderr, "graphcerts: %s\n", err.message);
        return 1;
    }
    fprintf(stderr, "graphcerts: restored %s from %s (integrity checked)\n", cfg.db, cfg.backup);
    return 0;
}

const gc_cli_cmd gc_cli_cmd_restore = {
    .name = "restore",
    .summary = "replace the store with a backup",
    .run = restore_run,
    .opts = restore_opts,
    .n_opts = N_RESTORE_OPTS,
};
