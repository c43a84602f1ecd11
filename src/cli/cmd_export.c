/* `graphcerts export --db DSN --tenant GUID [OUT]`: every entity of one tenant as JSON Lines,
 * one {"@odata.type": ..., properties...} object a line, write-only values (PFX blobs,
 * passwords) included so `graphcerts import` can seed another store with them: OUT is made
 * with mode 0600. A progress line goes to stderr when stderr is a terminal. */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/util.h"
#include "schema/schema.h"
#include "store/store.h"

#define PAGE 500

typedef struct export_cfg {
    const char *db, *file, *tenant;
} export_cfg;

static const gc_opt export_opts[] = {
    {"db", GC_OPT_STRING, "sqlite:./var/graphcerts.db", 0, 0, "DSN", "the store to read",
     offsetof(export_cfg, db), 1},
    {"tenant", GC_OPT_STRING, NULL, 0, 0, "GUID", "the tenant whose entities to write",
     offsetof(export_cfg, tenant), 0},
    {"file", GC_OPT_ARG, NULL, 0, 0, "OUT", "the new file to write, mode 0600 (default: standard output)",
     offsetof(export_cfg, file), 0},
};
#define N_EXPORT_OPTS (sizeof export_opts / sizeof export_opts[0])

static const char export_usage[] =
    "usage: graphcerts export [--db DSN] --tenant GUID [OUT]\n\n"
    "Writes every entity of the tenant as JSON Lines to OUT (a new file, mode 0600) or stdout.\n"
    "Write-only values (PFX blobs and passwords) are included: keep the file as safe as the store.";

static int write_type(gc_store *s, const gc_entity_type *t, const char *tenant, FILE *out,
                      size_t *written, bool progress, gc_err *err)
{
    json_t *after = NULL;
    int result = -1;
    for (;;) {
        gc_arena *a = gc_arena_new();
        if (!a)
            return gc_err_set(err, GC_E_INTERNAL, "", "Out of memory.");
        gc_store_query q = {.limit = PAGE, .after = after};
        gc_record *rows;
        size_t n;
        int rc = gc_store_list(s, a, t, tenant, &q, &rows, &n, err);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            const char *id = json_string_value(json_object_get(rows[i].obj, gc_schema_key(t)->name));
            gc_record full;
            if (!id || gc_store_get(s, a, t, tenant, id, GC_STORE_WITH_SECRETS, &full, err) < 0) {
                rc = -1;
                break;
            }
            json_t *line = json_pack("{s:s+}", "@odata.type", "#microsoft.graph.", t->name);
            if (!line || json_object_update(line, full.obj) < 0 ||
                json_dumpf(line, out, JSON_COMPACT | JSON_PRESERVE_ORDER) < 0 || fputc('\n', out) == EOF) {
                json_decref(line);
                rc = gc_err_set(err, GC_E_INTERNAL, "", "Cannot write the export: %s.", strerror(errno));
                break;
            }
            json_decref(line);
            if (++*written % 1000 == 0 && progress)
                fprintf(stderr, "\rexported %zu entities", *written);
        }
        json_decref(after);
        after = NULL;
        if (rc == 0 && n == PAGE)
            after = json_pack("[s]", json_string_value(json_object_get(rows[n - 1].obj,
                                                                        gc_schema_key(t)->name)));
        gc_arena_free(a);
        if (rc < 0)
            goto done;
        if (n < PAGE) {
            result = 0;
            goto done;
        }
    }
done:
    json_decref(after);
    return result;
}

static int export_run(int argc, char **argv)
{
    export_cfg cfg = {0};
    int rc = gc_cli_parse(export_opts, N_EXPORT_OPTS, &cfg, argc, argv, export_usage);
    if (rc)
        return rc == 1 ? 0 : 2;
    char tenant[37];
    if (gc_cli_tenant(cfg.tenant, tenant) < 0)
        return 2;
    int result = 1;
    gc_err err;
    gc_err_clear(&err);
    gc_store *s = NULL;
    FILE *out = stdout;
    if (cfg.file) {
        int fd = open(cfg.file, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0 || !(out = fdopen(fd, "w"))) {
            fprintf(stderr, "graphcerts: cannot make %s: %s\n", cfg.file, strerror(errno));
            if (fd >= 0)
                close(fd);
            return 1;
        }
    }
    if (gc_store_open_read_only(cfg.db, &s, &err) < 0)
        goto fail;
    bool progress = isatty(STDERR_FILENO);
    size_t written = 0;
    for (size_t i = 0; i < gc_schema_n_types; i++) /* not the audit log: the server writes that */
        if (!gc_schema_types[i]->read_only && write_type(s, gc_schema_types[i], tenant, out, &written, progress, &err) < 0)
            goto fail;
    if (fflush(out) != 0 || (cfg.file && fsync(fileno(out)) != 0)) {
        gc_err_set(&err, GC_E_INTERNAL, "", "Cannot write the export: %s.", strerror(errno));
        goto fail;
    }
    fprintf(stderr, "%sexported %zu entities of tenant %s\n", progress ? "\r" : "", written, tenant);
    result = 0;
    goto done;
fail:
    fprintf(stderr, "%sgraphcerts: %s\n", isatty(STDERR_FILENO) ? "\n" : "", err.message);
    if (cfg.file)
        unlink(cfg.file);
done:
    if (out != stdout)
        fclose(out);
    gc_store_close(s);
    return result;
}

const gc_cli_cmd gc_cli_cmd_export = {
    .name = "export",
    .summary = "write a tenant's entities as JSON Lines",
    .run = export_run,
    .opts = export_opts,
    .n_opts = N_EXPORT_OPTS,
};
