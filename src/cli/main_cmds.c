/* The subcommand table and dispatcher behind main(). */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static const gc_cli_cmd *const commands[] = {&gc_cli_cmd_serve, &gc_cli_cmd_token,
                                            &gc_cli_cmd_pfx};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: graphcerts COMMAND [OPTIONS]\n\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\nRun 'graphcerts COMMAND --help' for a command's options.\n");
}

int gc_cli_main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i]->name) == 0)
            return commands[i]->run(argc - 1, argv + 1);
    fprintf(stderr, "graphcerts: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
