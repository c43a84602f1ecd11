/* `graphcerts version` (also `graphcerts --version`): prints the program's version and, on a
 * second line, the versions of the libraries it runs with (as loaded, not as built against). */
#include "cli/cli.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#ifndef GC_VERSION
#define GC_VERSION "unknown"
#endif

static int version_run(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0) {
        fprintf(stderr, "graphcerts: version takes no arguments, got '%s'\n", argv[1]);
        return 2;
    }
    if (argc > 1) {
        printf("usage: graphcerts version\n\nPrints graphcerts' version and its libraries'.\n");
        return 0;
    }
    printf("graphcerts %s\n", GC_VERSION);
    printf("SQLite %s, jansson %s, %s, libcurl %s\n", sqlite3_libversion(), jansson_version_str(),
           OpenSSL_version(OPENSSL_VERSION), curl_version_info(CURLVERSION_NOW)->version);
    return 0;
}

const gc_cli_cmd gc_cli_cmd_version = {
    .name = "version",
    .summary = "print the version and exit",
    .run = version_run,
};
