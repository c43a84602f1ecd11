/* Subcommands and the typed option table that drives every command's flags, defaults, bounds
 * and GRAPHCERTS_<NAME> environment variables. Each subcommand lives in its own cmd_*.c. */
#ifndef GC_CLI_CLI_H
#define GC_CLI_CLI_H

#include <stddef.h>

typedef enum gc_opt_type {
    GC_OPT_STRING, /* const char * field */
    GC_OPT_INT,    /* long long field, within [min, max] */
    GC_OPT_LIST,   /* gc_opt_list field: the flag may be repeated; the default and the
                      environment give one item, which may hold several separated by commas */
    GC_OPT_FLAG,   /* int field set to 1 by --name (no value; never from the environment) */
    GC_OPT_ARG,    /* const char * field: the next positional argument, NULL when absent
                      (metavar names it in help and usage) */
} gc_opt_type;

#define GC_OPT_LIST_MAX 16

typedef struct gc_opt_list {
    const char *items[GC_OPT_LIST_MAX + 1]; /* NULL-terminated; point into argv or environ */
    size_t n;
    int from_flags; /* nonzero once a flag replaced the default or environment value */
} gc_opt_list;

typedef struct gc_opt {
    const char *name;  /* "max-body" → --max-body and GRAPHCERTS_MAX_BODY */
    gc_opt_type type;
    const char *deflt; /* default as text (parsed like a flag value), or NULL */
    long long min, max;
    const char *metavar; /* e.g. "BYTES" */
    const char *help;
    size_t offset;     /* offsetof(config struct, field) */
    int env;           /* nonzero: also read from GRAPHCERTS_<NAME> */
} gc_opt;

/* Fills cfg from defaults, then the environment, then argv (flags win). Accepts
 * "--name value" and "--name=value". Returns 0 to go on, 1 when --help was printed (exit 0),
 * 2 after printing a message for a bad flag or value to stderr (exit 2). */
int gc_cli_parse(const gc_opt *opts, size_t n_opts, void *cfg, int argc, char **argv,
                 const char *usage);
void gc_cli_print_help(const gc_opt *opts, size_t n_opts, const char *usage);
/* Writes "usage: PROG [--name METAVAR] ..." (every option of the table, wrapped at 100
 * columns), a blank line and about into out (truncated to n bytes), so the usage line always
 * names every option. */
void gc_cli_format_usage(char *out, size_t n, const char *prog, const gc_opt *opts, size_t n_opts,
                         const char *about);

typedef struct gc_cli_cmd {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name; returns the exit code */
    const gc_opt *opts; /* the command's option table (for the completion script), or NULL */
    size_t n_opts;
    const struct gc_cli_cmd *const *verbs; /* NULL-terminated verbs (`pfx import`), or NULL */
} gc_cli_cmd;

extern const gc_cli_cmd gc_cli_cmd_serve;
extern const gc_cli_cmd gc_cli_cmd_token;
extern const gc_cli_cmd gc_cli_cmd_version;
extern const gc_cli_cmd gc_cli_cmd_completion;
extern const gc_cli_cmd gc_cli_cmd_backup;
extern const gc_cli_cmd gc_cli_cmd_restore;
extern const gc_cli_cmd gc_cli_cmd_import;
extern const gc_cli_cmd gc_cli_cmd_export;
extern const gc_cli_cmd gc_cli_cmd_migrate;

/* The subcommand table (main_cmds.c), NULL-terminated. */
extern const gc_cli_cmd *const gc_cli_commands[];
extern const gc_cli_cmd gc_cli_cmd_pfx;
/* The verbs of `graphcerts pfx` (cmd_pfx.c dispatches to them). */
extern const gc_cli_cmd gc_cli_pfx_keygen;
extern const gc_cli_cmd gc_cli_pfx_import;
extern const gc_cli_cmd gc_cli_pfx_decrypt;

/* Runs the command of cmds (NULL-terminated) that argv[1] names, with argv[1..] as its argv;
 * --help, -h and help print the list (prog: "graphcerts" or "graphcerts pfx"; noun: "COMMAND"
 * or "VERB") and exit 0; a missing or unknown name prints it to stderr and exits 2. */
int gc_cli_dispatch(const gc_cli_cmd *const *cmds, const char *prog, const char *noun, int argc,
                    char **argv);
/* Checks a --tenant value (a GUID, any case) and writes it in lower case into out; prints why
 * not and returns -1 otherwise. */
int gc_cli_tenant(const char *given, char out[37]);

/* main(): dispatches to the subcommand table. */
int gc_cli_main(int argc, char **argv);

#endif
