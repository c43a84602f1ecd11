/* `graphcerts pfx keygen`: the customer's RSA key pair for PFX passwords (what Microsoft's
 * tool keeps in a Windows key store). The private key file is created exclusively with mode
 * 0600 and the public key file exclusively with 0644; nothing is overwritten, and a failure
 * leaves neither file behind. */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cert/pfx.h"
#include "cli/pfx_common.h"

#define WHO "graphcerts pfx keygen"

typedef struct keygen_cfg {
    const char *private_out, *public_out;
    long long bits;
} keygen_cfg;

static const gc_opt keygen_opts[] = {
    {"private-key-out", GC_OPT_STRING, NULL, 0, 0, "FILE",
     "new file for the private key (PKCS#8 PEM, mode 0600)", offsetof(keygen_cfg, private_out), 0},
    {"public-key-out", GC_OPT_STRING, NULL, 0, 0, "FILE",
     "new file for the public key (SubjectPublicKeyInfo PEM)", offsetof(keygen_cfg, public_out), 0},
    {"bits", GC_OPT_INT, "2048", 2048, 4096, "2048|3072|4096", "RSA key size",
     offsetof(keygen_cfg, bits), 0},
};
#define N_KEYGEN_OPTS (sizeof keygen_opts / sizeof keygen_opts[0])

static const char keygen_usage[] =
    "usage: graphcerts pfx keygen --private-key-out FILE --public-key-out FILE "
    "[--bits 2048|3072|4096]\n\n"
    "Makes an RSA key pair: import encrypts PFX passwords to the public key, and whoever holds\n"
    "the private key (the PFX connector) decrypts them. Neither file may exist yet.";

/* Creates path exclusively with mode and writes data; -1 after printing why. */
static int write_new(const char *path, mode_t mode, const char *data, size_t len, bool *created)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        fprintf(stderr, WHO ": cannot create '%s': %s%s\n", path, strerror(errno),
                errno == EEXIST ? " (keygen never overwrites a file)" : "");
        return -1;
    }
    *created = true;
    size_t n = 0;
    while (n < len) {
        ssize_t k = write(fd, data + n, len - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            break;
        n += (size_t)k;
    }
    int saved = errno;
    bool ok = n == len && fchmod(fd, mode) == 0 && fsync(fd) == 0;
    if (close(fd) != 0)
        ok = false;
    if (!ok) {
        fprintf(stderr, WHO ": cannot write '%s': %s\n", path, strerror(n == len ? errno : saved));
        return -1;
    }
    return 0;
}

static int keygen_run(int argc, char **argv)
{
    int code = GC_PFX_EXIT_USAGE;
    char *priv = NULL, *pub = NULL;
    size_t priv_len = 0, pub_len = 0;
    bool priv_made = false, pub_made = false;
    keygen_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = gc_cli_parse(keygen_opts, N_KEYGEN_OPTS, &cfg, argc, argv, keygen_usage);
    if (rc != 0) {
        code = rc == 1 ? 0 : GC_PFX_EXIT_USAGE;
        goto done;
    }
    if (!cfg.private_out || !cfg.public_out) {
        fprintf(stderr, WHO ": --private-key-out and --public-key-out are required (see --help)\n");
        goto done;
    }
    if (cfg.bits != 2048 && cfg.bits != 3072 && cfg.bits != 4096) {
        fprintf(stderr, WHO ": --bits must be 2048, 3072 or 4096, got %lld\n", cfg.bits);
        goto done;
    }
    if (strcmp(cfg.private_out, cfg.public_out) == 0) {
        fprintf(stderr, WHO ": --private-key-out and --public-key-out name the same file\n");
        goto done;
    }
    code = GC_PFX_EXIT_INPUT;
    gc_err err;
    gc_err_clear(&err);
    if (gc_cert_rsa_keygen((int)cfg.bits, &priv, &priv_len, &pub, &pub_len, &err) < 0) {
        fprintf(stderr, WHO ": %s\n", err.message);
        goto done;
    }
    if (write_new(cfg.private_out, 0600, priv, priv_len, &priv_made) < 0 ||
        write_new(cfg.public_out, 0644, pub, pub_len, &pub_made) < 0)
        goto done;
    printf("RSA-%lld key pair: private key %s (mode 0600), public key %s\n", cfg.bits,
           cfg.private_out, cfg.public_out);
    code = fflush(stdout) == 0 ? 0 : GC_PFX_EXIT_INPUT;
done:
    if (code != 0 && code != GC_PFX_EXIT_USAGE) {
        if (priv_made)
            unlink(cfg.private_out);
        if (pub_made)
            unlink(cfg.public_out);
    }
    if (priv) {
        explicit_bzero(priv, priv_len);
        free(priv);
    }
    free(pub);
    return code;
}

const gc_cli_cmd gc_cli_pfx_keygen = {
    .name = "keygen",
    .summary = "make the RSA key pair PFX passwords are encrypted to",
    .run = keygen_run,
    .opts = keygen_opts,
    .n_opts = N_KEYGEN_OPTS,
};
