/* graphcerts: a self-hostable server for the Microsoft Graph (Intune) certificate API. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
    return gc_cli_main(argc, argv);
}
