/* `graphcerts pfx VERB`: the PFX import tool for Linux, in place of Microsoft's PowerShell
 * module. A table of verbs, one file each: keygen (the customer's RSA key pair), import (a PFX
 * file into userPFXCertificate) and decrypt-password (the connector's step, for checking). */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static const gc_cli_cmd *const verbs[] = {&gc_cli_pfx_keygen, &gc_cli_pfx_import,
                                          &gc_cli_pfx_decrypt, NULL};

static int pfx_run(int argc, char **argv)
{
    return gc_cli_dispatch(verbs, "graphcerts pfx", "VERB", argc, argv);
}

const gc_cli_cmd gc_cli_cmd_pfx = {
    "pfx",
    "PFX import tool: keygen, import, decrypt-password",
    pfx_run,
    NULL,
    0,
    verbs,
};
