/* `graphcerts token`: mints an HS256 bearer token with the shared secret the server uses, for
 * local testing and scripts. Prints the token and a newline to stdout; errors go to stderr with
 * exit 2. Only the secret file may come from the environment (GRAPHCERTS_SECRET_FILE). */
#include "cli/cli.h"

#include "auth/auth.h"
#include "core/guid.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct token_cfg {
    const char *secret_file;
    const char *tenant;
    const char *scopes;
    const char *roles;
    long long ttl;
} token_cfg;

static const gc_opt token_opts[] = {
    {"secret-file", GC_OPT_STRING, NULL, 0, 0, "FILE", "HS256 shared secret (the server's)",
     offsetof(token_cfg, secret_file), 1},
    {"tenant", GC_OPT_STRING, NULL, 0, 0, "GUID", "tenant id (tid claim)",
     offsetof(token_cfg, tenant), 0},
    {"scopes", GC_OPT_STRING, NULL, 0, 0, "\"A B\"", "delegated permissions (scp claim)",
     offsetof(token_cfg, scopes), 0},
    {"roles", GC_OPT_STRING, NULL, 0, 0, "\"A B\"", "application permissions (roles claim)",
     offsetof(token_cfg, roles), 0},
    {"ttl", GC_OPT_INT, "3600", 1, 315360000, "SECONDS", "lifetime of the token",
     offsetof(token_cfg, ttl), 0},
};
#define N_TOKEN_OPTS (sizeof token_opts / sizeof token_opts[0])

static const char token_usage[] =
    "usage: graphcerts token --secret-file FILE --tenant GUID (--scopes \"A B\" | --roles \"A B\") "
    "[--ttl SECONDS]\n\n"
    "Mints an HS256 access token for https://graph.microsoft.com signed with the shared secret\n"
    "and prints it to stdout. Give exactly one of --scopes (delegated) or --roles (application).";

static int token_run(int argc, char **argv)
{
    int code = 2;
    unsigned char *secret = NULL;
    size_t secret_len = 0;
    char *token = NULL;
    token_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = gc_cli_parse(token_opts, N_TOKEN_OPTS, &cfg, argc, argv, token_usage);
    if (rc == 1) {
        code = 0;
        goto done;
    }
    if (rc != 0)
        goto done;
    if (!cfg.secret_file || !*cfg.secret_file) {
        fprintf(stderr, "graphcerts token: --secret-file is required (see --help)\n");
        goto done;
    }
    if (!cfg.tenant) {
        fprintf(stderr, "graphcerts token: --tenant is required (see --help)\n");
        goto done;
    }
    if (!gc_guid_valid(cfg.tenant, strlen(cfg.tenant))) {
        fprintf(stderr, "graphcerts token: --tenant must be a GUID (8-4-4-4-12 hex digits), got '%s'\n",
                cfg.tenant);
        goto done;
    }
    if ((cfg.scopes != NULL) == (cfg.roles != NULL)) {
        fprintf(stderr, "graphcerts token: give exactly one of --scopes or --roles (see --help)\n");
        goto done;
    }
    gc_err err;
    gc_err_clear(&err);
    if (gc_auth_read_secret(cfg.secret_file, &secret, &secret_len, &err) < 0) {
        fprintf(stderr, "graphcerts token: %s\n", err.message);
        goto done;
    }
    token = gc_auth_mint_hs256(secret, secret_len, cfg.tenant, cfg.scopes, cfg.roles,
                               (int64_t)time(NULL), (int64_t)cfg.ttl);
    if (!token) {
        fprintf(stderr, "graphcerts token: could not mint the token\n");
        code = 1;
        goto done;
    }
    if (printf("%s\n", token) < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "graphcerts token: cannot write to stdout\n");
        code = 1;
        goto done;
    }
    code = 0;
done:
    if (secret) {
        explicit_bzero(secret, secret_len);
        free(secret);
    }
    free(token);
    return code;
}

const gc_cli_cmd gc_cli_cmd_token = {
    .name = "token",
    .summary = "mint an HS256 bearer token for local use",
    .run = token_run,
    .opts = token_opts,
    .n_opts = N_TOKEN_OPTS,
};
