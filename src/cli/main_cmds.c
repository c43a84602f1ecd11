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

static void usage(FILE *f, const gc_cli_cmd *const *cmds, const char *prog, const char *noun)
{
    fprintf(f, "usage: %s %s [OPTIONS]\n\n%s:\n", prog, noun,
            strcmp(noun, "VERB") == 0 ? "Verbs" : "Commands");
    for (size_t i = 0; cmds[i]; i++)
        fprintf(f, "  %-18s %s\n", cmds[i]->name, cmds[i]->summary);
    fprintf(f, "\nRun '%s %s --help' for its options.\n", prog, noun);
}

int gc_cli_dispatch(const gc_cli_cmd *const *cmds, const char *prog, const char *noun, int argc,
                    char **argv)
{
    if (argc < 2) {
        usage(stderr, cmds, prog, noun);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout, cmds, prog, noun);
        return 0;
    }
    for (size_t i = 0; cmds[i]; i++)
        if (strcmp(argv[1], cmds[i]->name) == 0)
            return cmds[i]->run(argc - 1, argv + 1);
    fprintf(stderr, "%s: unknown %s '%s'\n\n", prog, strcmp(noun, "VERB") == 0 ? "verb" : "command",
            argv[1]);
    usage(stderr, cmds, prog, noun);
    return 2;
}

int gc_cli_main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0))
        return gc_cli_cmd_version.run(argc - 1, argv + 1);
    return gc_cli_dispatch(gc_cli_commands, "graphcerts", "COMMAND", argc, argv);
}
