/* The option-table parser shared by every subcommand (see cli.h). */
#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static int set_value(const gc_opt *o, void *cfg, const char *value, const char *source)
{
    char *field = (char *)cfg + o->offset;
    if (o->type == GC_OPT_LIST) {
        gc_opt_list *l = (gc_opt_list *)(void *)field;
        bool flag = strcmp(source, "the value") == 0;
        if (!flag || !l->from_flags)
            l->n = 0; /* the environment replaces the default; the first flag replaces both */
        l->from_flags |= flag;
        if (l->n == GC_OPT_LIST_MAX) {
            fprintf(stderr, "graphcerts: --%s may be given at most %d times\n", o->name, GC_OPT_LIST_MAX);
            return -1;
        }
        l->items[l->n++] = value;
        l->items[l->n] = NULL;
        return 0;
    }
    if (o->type == GC_OPT_FLAG) {
        *(int *)field = 1;
        return 0;
    }
    if (o->type == GC_OPT_STRING || o->type == GC_OPT_ARG) {
        *(const char **)field = value;
        return 0;
    }
    errno = 0;
    char *end = NULL;
    long long v = strtoll(value, &end, 10);
    if (errno || end == value || *end != '\0' || v < o->min || v > o->max) {
        fprintf(stderr, "graphcerts: %s for --%s must be a whole number from %lld to %lld, got '%s'\n",
                source, o->name, o->min, o->max, value);
        return -1;
    }
    *(long long *)field = v;
    return 0;
}

static void env_name(const char *name, char *out, size_t n)
{
    size_t k = (size_t)snprintf(out, n, "GRAPHCERTS_");
    for (const char *p = name; *p && k + 1 < n; p++)
        out[k++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    out[k] = '\0';
}

void gc_cli_print_help(const gc_opt *opts, size_t n_opts, const char *usage)
{
    printf("%s\n\nOptions:\n", usage);
    for (size_t i = 0; i < n_opts; i++) {
        const gc_opt *o = &opts[i];
        char flag[64];
        if (o->type == GC_OPT_ARG)
            snprintf(flag, sizeof flag, "%s", o->metavar ? o->metavar : o->name);
        else
            snprintf(flag, sizeof flag, "--%s %s", o->name, o->metavar ? o->metavar : "");
        printf("  %-28s %s", flag, o->help);
        if (o->type == GC_OPT_LIST)
            printf(" (repeatable)");
        if (o->deflt)
            printf(" (default: %s)", o->deflt);
        if (o->env) {
            char env[64];
            env_name(o->name, env, sizeof env);
            printf(" [env %s]", env);
        }
        printf("\n");
    }
    printf("  %-28s %s\n", "--help", "show this help");
}

void gc_cli_format_usage(char *out, size_t n, const char *prog, const gc_opt *opts, size_t n_opts,
                         const char *about)
{
    size_t used = 0, col = 0;
    int k = snprintf(out, n, "usage: %s", prog);
    if (k < 0 || (size_t)k >= n)
        return;
    used = col = (size_t)k;
    size_t indent = col + 1;
    for (size_t i = 0; i < n_opts && used < n; i++) {
        char item[96];
        const gc_opt *o = &opts[i];
        int len = o->type == GC_OPT_ARG
                      ? snprintf(item, sizeof item, "%s", o->metavar ? o->metavar : o->name)
                      : snprintf(item, sizeof item, "[--%s%s%s]", o->name, o->metavar ? " " : "",
                                 o->metavar ? o->metavar : "");
        if (len < 0)
            return;
        if (col + 1 + (size_t)len > 100) {
            k = snprintf(out + used, n - used, "\n%*s%s", (int)indent, "", item);
            col = indent + (size_t)len;
        } else {
            k = snprintf(out + used, n - used, " %s", item);
            col += 1 + (size_t)len;
        }
        if (k < 0)
            return;
        used += (size_t)k;
    }
    if (used < n && about)
        snprintf(out + used, n - used, "\n\n%s", about);
}

int gc_cli_parse(const gc_opt *opts, size_t n_opts, void *cfg, int argc, char **argv,
                 const char *usage)
{
    for (size_t i = 0; i < n_opts; i++)
        if (opts[i].deflt && set_value(&opts[i], cfg, opts[i].deflt, "the default") < 0)
            return 2;
    for (size_t i = 0; i < n_opts; i++) {
        if (!opts[i].env || opts[i].type == GC_OPT_FLAG || opts[i].type == GC_OPT_ARG)
            continue;
        char env[64];
        env_name(opts[i].name, env, sizeof env);
        const char *v = getenv(env);
        if (v && *v) {
            char src[96];
            snprintf(src, sizeof src, "the value of %s", env);
            if (set_value(&opts[i], cfg, v, src) < 0)
                return 2;
        }
    }
    size_t next_arg = 0; /* positional options before this index are filled */
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            gc_cli_print_help(opts, n_opts, usage);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            while (next_arg < n_opts && opts[next_arg].type != GC_OPT_ARG)
                next_arg++;
            if (next_arg >= n_opts) {
                fprintf(stderr, "graphcerts: unexpected argument '%s' (see --help)\n", arg);
                return 2;
            }
            set_value(&opts[next_arg++], cfg, arg, "the argument");
            continue;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const gc_opt *o = NULL;
        for (size_t k = 0; k < n_opts; k++)
            if (opts[k].type != GC_OPT_ARG && strlen(opts[k].name) == nlen &&
                strncmp(opts[k].name, name, nlen) == 0)
                o = &opts[k];
        if (!o) {
            fprintf(stderr, "graphcerts: unknown option '--%.*s' (see --help)\n", (int)nlen, name);
            return 2;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (o->type == GC_OPT_FLAG) {
            if (value) {
                fprintf(stderr, "graphcerts: option '--%s' takes no value\n", o->name);
                return 2;
            }
            set_value(o, cfg, "1", "the flag");
            continue;
        }
        if (!value) {
            if (i + 1 >= argc) {
                fprintf(stderr, "graphcerts: option '--%s' needs a value (%s)\n", o->name,
                        o->metavar ? o->metavar : "VALUE");
                return 2;
            }
            value = argv[++i];
        }
        if (set_value(o, cfg, value, "the value") < 0)
            return 2;
    }
    return 0;
}

int gc_cli_tenant(const char *given, char out[37])
{
    if (!given || !gc_guid_valid(given, strlen(given))) {
        fprintf(stderr, "graphcerts: --tenant must be the tenant's GUID\n");
        return -1;
    }
    for (size_t i = 0; i < 37; i++)
        out[i] = (char)tolower((unsigned char)given[i]);
    return 0;
}
