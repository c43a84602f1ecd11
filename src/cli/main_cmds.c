/* The subcommand table and dispatcher behind main(). */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

const gc_cli_cmd *const gc_cli_commands[] = {&gc_cli_cmd_serve, &gc_cli_cmd_token,
                                             &gc_cli_cmd_pfx, &gc_cli_cmd_backup,
                                             &gc_cli_cmd_restore, &gc_cli_cmd_import,
                                             &gc_cli_cmd_export, &gc_cli_cmd_migrate,
                                             &gc_cli_cmd_version,
                                             &gc_cli_cmd_completion, NULL};

static void usage(FILE *f)
{
    fprintf(f, "usage: graphcerts COMMAND [OPTIONS]\n\nCommands:\n");
    for (size_t i = 0; gc_cli_commands[i]; i++)
        fprintf(f, "  %-10s %s\n", gc_cli_commands[i]->name, gc_cli_commands[i]->summary);
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
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
        return gc_cli_cmd_version.run(argc - 1, argv + 1);
    for (size_t i = 0; gc_cli_commands[i]; i++)
        if (strcmp(argv[1], gc_cli_commands[i]->name) == 0)
            return gc_cli_commands[i]->run(argc - 1, argv + 1);
    fprintf(stderr, "graphcerts: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
