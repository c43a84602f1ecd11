/* `graphcerts backup --db DSN OUT`: an online backup of the store while the server keeps
 * serving (store/backup.h): one consistent snapshot holding every acknowledged write, checked
 * with integrity_check before it is renamed into place. */
#include "cli/cli.h"

#include <stddef.h>
#include <stdio.h>

#include "store/backup.h"

typedef struct backup_cfg {
    const char *db, *out;
} backup_cfg;

static const gc_opt backup_opts[] = {
    {"db", GC_OPT_STRING, "sqlite:./var/graphcerts.db", 0, 0, "DSN", "the store to back up",
     offsetof(backup_cfg, db), 1},
    {"out", GC_OPT_ARG, NULL, 0, 0, "OUT", "the new file to write the backup to",
     offsetof(backup_cfg, out), 0},
};
#define N_BACKUP_OPTS (sizeof backup_opts / sizeof backup_opts[0])

static const char backup_usage[] =
    "usage: graphcerts backup [--db DSN] OUT\n\n"
    "Copies the store into the new file OUT while the server keeps serving (SQLite's online\n"
    "backup: every write acknowledged before the backup began is in it), then checks the copy.\n"
    "Copying the database file by hand is not a backup: recent writes may still be in its WAL.";

static int backup_run(int argc, char **argv)
{
    backup_cfg cfg = {0};
    int rc = gc_cli_parse(backup_opts, N_BACKUP_OPTS, &cfg, argc, argv, backup_usage);
    if (rc)
        return rc == 1 ? 0 : 2;
    if (!cfg.out) {
        fprintf(stderr, "graphcerts: backup needs the file to write (see --help)\n");
        return 2;
    }
    gc_err err;
    gc_err_clear(&err);
    if (gc_store_backup(cfg.db, cfg.out, &err) < 0) {
        fprintf(stderr, "graphcerts: %s\n", err.message);
        return 1;
    }
    fprintf(stderr, "graphcerts: backed up %s to %s (integrity checked)\n", cfg.db, cfg.out);
    return 0;
}

const gc_cli_cmd gc_cli_cmd_backup = {
    .name = "backup",
    .summary = "copy the store while serving (online backup)",
    .run = backup_run,
    .opts = backup_opts,
    .n_opts = N_BACKUP_OPTS,
};
