/* Subcommands and the typed option table that drives every command's flags, defaults, bounds
 * and GRAPHCERTS_<NAME> environment variables. Each subcommand lives in its own cmd_*.c. */
#ifndef GC_CLI_CLI_H
#define GC_CLI_CLI_H

#include <stddef.h>

typedef enum gc_opt_type {
    GC_OPT_STRING, /* const char * field */
    GC_OPT_INT,    /* long long field, within [min, max] */
    GC_OPT_FLAG,   /* int field set to 1 by --name (no value; never from the environment) */
    GC_OPT_ARG,    /* const char * field: the next positional argument (name is for help) */
} gc_opt_type;

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

typedef struct gc_cli_cmd {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name; returns the exit code */
} gc_cli_cmd;

extern const gc_cli_cmd gc_cli_cmd_serve;
extern const gc_cli_cmd gc_cli_cmd_token;
extern const gc_cli_cmd gc_cli_cmd_pfx;
/* The verbs of `graphcerts pfx` (cmd_pfx.c dispatches to them). */
extern const gc_cli_cmd gc_cli_pfx_keygen;
extern const gc_cli_cmd gc_cli_pfx_import;
extern const gc_cli_cmd gc_cli_pfx_decrypt;

/* main(): dispatches to the subcommand table. */
int gc_cli_main(int argc, char **argv);

#endif
