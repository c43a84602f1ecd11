/* `graphcerts pfx decrypt-password`: what the on-premises PFX connector does with an
 * encryptedPfxPassword: reads it (base64) on stdin, decrypts it with the private key and
 * prints the password, so the whole import can be checked end to end. */
#include "cli/cli.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cert/pfx.h"
#include "cli/pfx_common.h"
#include "core/util.h"

#define WHO "graphcerts pfx decrypt-password"
#define MAX_INPUT (64 * 1024)

typedef struct decrypt_cfg {
    const char *private_key, *padding;
} decrypt_cfg;

static const gc_opt decrypt_opts[] = {
    {"private-key", GC_OPT_STRING, NULL, 0, 0, "FILE", "the private key (from pfx keygen)",
     offsetof(decrypt_cfg, private_key), 0},
    {"padding", GC_OPT_STRING, "oaepSha512", 0, 0, "P",
     "oaepSha256, oaepSha384 or oaepSha512 (the record's paddingScheme)",
     offsetof(decrypt_cfg, padding), 0},
};
#define N_DECRYPT_OPTS (sizeof decrypt_opts / sizeof decrypt_opts[0])

static const char decrypt_usage[] =
    "usage: graphcerts pfx decrypt-password --private-key FILE [--padding P] < encrypted.b64\n\n"
    "Reads an encryptedPfxPassword (base64) on stdin and prints the password it holds.";

static int decrypt_run(int argc, char **argv)
{
    int code = GC_PFX_EXIT_USAGE;
    gc_arena *a = gc_arena_new();
    unsigned char *key = NULL, *plain = NULL;
    size_t key_len = 0, plain_len = 0;
    char *text = NULL;
    decrypt_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = gc_cli_parse(decrypt_opts, N_DECRYPT_OPTS, &cfg, argc, argv, decrypt_usage);
    if (rc != 0) {
        code = rc == 1 ? 0 : GC_PFX_EXIT_USAGE;
        goto done;
    }
    if (!cfg.private_key) {
        fprintf(stderr, WHO ": --private-key is required (see --help)\n");
        goto done;
    }
    const gc_pfx_padding *pad = gc_pfx_padding_find(WHO, cfg.padding);
    if (!pad)
        goto done;
    code = GC_PFX_EXIT_INPUT;
    if (gc_pfx_read_file(WHO, "private key", cfg.private_key, 64 * 1024, a, &key, &key_len) < 0)
        goto done;
    char *in = gc_arena_alloc(a, MAX_INPUT + 1);
    size_t n = fread(in, 1, MAX_INPUT + 1, stdin);
    if (n > MAX_INPUT) {
        fprintf(stderr, WHO ": the input is larger than %d bytes\n", MAX_INPUT);
        goto done;
    }
    size_t from = 0;
    while (from < n && isspace((unsigned char)in[from]))
        from++;
    while (n > from && isspace((unsigned char)in[n - 1]))
        n--;
    unsigned char *wrapped;
    size_t wrapped_len;
    if (n == from || gc_base64_decode(a, in + from, n - from, &wrapped, &wrapped_len) < 0) {
        fprintf(stderr, WHO ": stdin does not hold base64 (an encryptedPfxPassword)\n");
        goto done;
    }
    gc_err err;
    gc_err_clear(&err);
    if (gc_cert_oaep_decrypt(key, key_len, pad->sha_bits, wrapped, wrapped_len, a, &plain,
                             &plain_len, &err) < 0) {
        fprintf(stderr, WHO ": %s\n", err.message);
        goto done;
    }
    text = gc_pfx_password_text(plain, plain_len, a);
    if (printf("%s\n", text) < 0 || fflush(stdout) != 0) {
        fprintf(stderr, WHO ": cannot write to stdout\n");
        goto done;
    }
    code = 0;
done:
    if (plain)
        explicit_bzero(plain, plain_len);
    if (text)
        explicit_bzero(text, strlen(text));
    if (key)
        explicit_bzero(key, key_len);
    gc_arena_free(a);
    return code;
}

const gc_cli_cmd gc_cli_pfx_decrypt = {
    .name = "decrypt-password",
    .summary = "decrypt an encryptedPfxPassword (stdin) with the private key",
    .run = decrypt_run,
    .opts = decrypt_opts,
    .n_opts = N_DECRYPT_OPTS,
};
