/* `graphcerts pfx VERB`: the PFX import tool for Linux, in place of Microsoft's PowerShell
 * module. A table of verbs, one file each: keygen (the customer's RSA key pair), import (a PFX
 * file into userPFXCertificate) and decrypt-password (the connector's step, for checking). */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static const gc_cli_cmd *const verbs[] = {&gc_cli_pfx_keygen, &gc_cli_pfx_import,
                                          &gc_cli_pfx_decrypt, NULL};
#define N_VERBS (sizeof verbs / sizeof verbs[0] - 1)

static void usage(FILE *f)
{
    fprintf(f, "usage: graphcerts pfx VERB [OPTIONS]\n\nVerbs:\n");
    for (size_t i = 0; i < N_VERBS; i++)
        fprintf(f, "  %-18s %s\n", verbs[i]->name, verbs[i]->summary);
    fprintf(f, "\nRun 'graphcerts pfx VERB --help' for a verb's options.\n");
}

static int pfx_run(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < N_VERBS; i++)
        if (strcmp(argv[1], verbs[i]->name) == 0)
            return verbs[i]->run(argc - 1, argv + 1);
    fprintf(stderr, "graphcerts pfx: unknown verb '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}

const gc_cli_cmd gc_cli_cmd_pfx = {
    "pfx",
    "PFX import tool: keygen, import, decrypt-password",
    pfx_run,
    NULL,
    0,
    verbs,
};
