/* `graphcerts import --db DSN --tenant GUID [IN]`: entities from JSON Lines (as `graphcerts
 * export` writes them: "@odata.type" and every property) into the tenant. Every line is checked
 * first (type, each property's value as the API would accept it, the id not yet taken), and
 * nothing is written unless all are good. A progress line goes to stderr on a terminal. */
#include "cli/cli.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/util.h"
#include "schema/value.h"
#include "schema/schema.h"
#include "store/store.h"

#define MAX_LINE (16u << 20)

typedef struct import_cfg {
    const char *db, *file, *tenant;
} import_cfg;

static const gc_opt import_opts[] = {
    {"db", GC_OPT_STRING, "sqlite:./var/graphcerts.db", 0, 0, "DSN", "the store to write",
     offsetof(import_cfg, db), 1},
    {"tenant", GC_OPT_STRING, NULL, 0, 0, "GUID", "the tenant the entities go to",
     offsetof(import_cfg, tenant), 0},
    {"file", GC_OPT_ARG, NULL, 0, 0, "IN", "the JSON Lines to read (default: standard input)",
     offsetof(import_cfg, file), 0},
};
#define N_IMPORT_OPTS (sizeof import_opts / sizeof import_opts[0])

static const char import_usage[] =
    "usage: graphcerts import [--db DSN] --tenant GUID [IN]\n\n"
    "Adds the entities of the JSON Lines file IN (or stdin), as graphcerts export writes them, to\n"
    "the tenant. Every line is checked before anything is written; an id the tenant already has\n"
    "is an error.";

typedef struct item {
    const gc_entity_type *t;
    json_t *rec;
} item;

static const gc_entity_type *find_type(const char *odata_type)
{
    static const char prefix[] = "#microsoft.graph.";
    if (!odata_type || strncmp(odata_type, prefix, sizeof prefix - 1) != 0)
        return NULL;
    for (size_t i = 0; i < gc_schema_n_types; i++)
        if (!gc_schema_types[i]->read_only &&
            strcmp(gc_schema_types[i]->name, odata_type + sizeof prefix - 1) == 0)
            return gc_schema_types[i];
    return NULL;
}

/* One line → a record in canonical form, or -1 with err naming what is wrong. */
static int read_item(gc_store *s, const char *tenant, const char *text, size_t len, item *out,
                     gc_err *err)
{
    json_error_t je;
    json_t *in = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    json_t *rec = NULL;
    int result = -1;
    gc_arena *a = gc_arena_new();
    if (!in || !json_is_object(in)) {
        gc_err_set(err, GC_E_BAD_REQUEST, "", "not a JSON object (%s)", in ? "another JSON value" : je.text);
        goto done;
    }
    const gc_entity_type *t = find_type(json_string_value(json_object_get(in, "@odata.type")));
    if (!t) {
        gc_err_set(err, GC_E_BAD_REQUEST, "@odata.type", "\"@odata.type\" must name a type of this server");
        goto done;
    }
    const char *key;
    json_t *v;
    json_object_foreach(in, key, v) {
        if (strcmp(key, "@odata.type") != 0 && !gc_schema_find_prop(t, key)) {
            gc_err_set(err, GC_E_BAD_REQUEST, "", "the property '%.60s' does not exist on type '%s'", key,
                       t->name);
            goto done;
        }
    }
    rec = json_object();
    for (size_t i = 0; rec && i < t->n_props; i++) {
        const gc_prop *p = &t->props[i];
        json_t *given = json_object_get(in, p->name), *canon = NULL;
        if (!given) {
            gc_err_set(err, GC_E_BAD_REQUEST, p->name, "the property '%s' is missing", p->name);
            goto done;
        }
        if (gc_value_from_client(t, p, given, a, &canon, NULL, err) < 0)
            goto done;
        json_object_set_new(rec, p->name, canon);
    }
    const char *id = json_string_value(json_object_get(rec, gc_schema_key(t)->name));
    gc_record old;
    gc_err probe;
    if (!id || !*id) {
        gc_err_set(err, GC_E_BAD_REQUEST, "id", "the id must be a non-empty string");
        goto done;
    }
    if (gc_store_get(s, a, t, tenant, id, 0, &old, &probe) == 0) {
        gc_err_set(err, GC_E_CONFLICT, "id", "the tenant already has a %s with id '%.80s'", t->name, id);
        goto done;
    }
    if (probe.kind != GC_E_NOT_FOUND) {
        *err = probe;
        goto done;
    }
    out->t = t;
    out->rec = rec;
    rec = NULL;
    result = 0;
done:
    json_decref(rec);
    json_decref(in);
    gc_arena_free(a);
    return result;
}

static int import_run(int argc, char **argv)
{
    import_cfg cfg = {0};
    int rc = gc_cli_parse(import_opts, N_IMPORT_OPTS, &cfg, argc, argv, import_usage);
    if (rc)
        return rc == 1 ? 0 : 2;
    char tenant[37];
    if (gc_cli_tenant(cfg.tenant, tenant) < 0)
        return 2;
    int result = 1;
    bool progress = isatty(STDERR_FILENO);
    gc_err err;
    gc_err_clear(&err);
    gc_store *s = NULL;
    item *items = NULL;
    size_t n = 0, cap = 0, lineno = 0, done_n = 0;
    char *line = NULL;
    size_t line_cap = 0;
    FILE *in = cfg.file ? fopen(cfg.file, "r") : stdin;
    if (!in) {
        fprintf(stderr, "graphcerts: cannot read %s: %s\n", cfg.file, strerror(errno));
        return 1;
    }
    if (gc_store_open(cfg.db, &s, &err) < 0)
        goto fail;
    ssize_t len;
    while ((len = getline(&line, &line_cap, in)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        if ((size_t)len > MAX_LINE) {
            gc_err_set(&err, GC_E_TOO_LARGE, "", "line %zu is longer than %u bytes", lineno, MAX_LINE);
            goto fail;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            item *grown = realloc(items, nc * sizeof *items);
            if (!grown) {
                gc_err_set(&err, GC_E_INTERNAL, "", "out of memory at line %zu", lineno);
                goto fail;
            }
            items = grown, cap = nc;
        }
        gc_err why;
        gc_err_clear(&why);
        if (read_item(s, tenant, line, (size_t)len, &items[n], &why) < 0) {
            gc_err_set(&err, why.kind, why.target, "line %zu: %s; nothing was imported", lineno, why.message);
            goto fail;
        }
        n++;
        if (progress && n % 1000 == 0)
            fprintf(stderr, "\rchecked %zu entities", n);
    }
    if (ferror(in)) {
        gc_err_set(&err, GC_E_INTERNAL, "", "cannot read the input: %s", strerror(errno));
        goto fail;
    }
    for (; done_n < n; done_n++) {
        int64_t version;
        gc_arena *wa = gc_arena_new(); /* the write's values, one entity at a time */
        int wrc = gc_store_insert(s, wa, items[done_n].t, tenant, items[done_n].rec, &version, &err);
        gc_arena_free(wa);
        if (wrc < 0)
            goto fail;
        if (progress && (done_n + 1) % 100 == 0)
            fprintf(stderr, "\rimported %zu of %zu entities", done_n + 1, n);
    }
    fprintf(stderr, "%simported %zu entities into tenant %s\n", progress ? "\r" : "", n, tenant);
    result = 0;
    goto done;
fail:
    fprintf(stderr, "%sgraphcerts: %s%s\n", progress ? "\n" : "", err.message,
            done_n ? " (the entities before it were imported)" : "");
done:
    for (size_t i = 0; i < n; i++)
        json_decref(items[i].rec);
    free(items);
    free(line);
    if (in != stdin)
        fclose(in);
    gc_store_close(s);
    return result;
}

const gc_cli_cmd gc_cli_cmd_import = {
    .name = "import",
    .summary = "add entities from JSON Lines to a tenant",
    .run = import_run,
    .opts = import_opts,
    .n_opts = N_IMPORT_OPTS,
};
