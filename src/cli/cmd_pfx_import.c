/* `graphcerts pfx import`: Microsoft's New-IntuneUserPfxCertificate and
 * Import-IntuneUserPfxCertificate for Linux. Opens the PFX with its password, encrypts the
 * password with RSA-OAEP to the customer's public key, builds the userPFXCertificate JSON the
 * way Microsoft's tool serialises it, and prints it (--dry-run) or sends it to a Graph base URL
 * (POST, or PATCH with --update), printing the record's id. The password is never printed. */
#include "cli/cli.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cert/pfx.h"
#include "cli/graph_client.h"
#include "cli/pfx_common.h"
#include "core/util.h"

#define WHO "graphcerts pfx import"
#define MAX_SMALL_FILE (64 * 1024)

typedef struct import_cfg {
    const char *file, *password_file, *upn, *public_key, *padding, *purpose;
    const char *provider_name, *key_name, *url, *token_file, *ca_file;
    int dry_run, update;
    long long retries;
} import_cfg;

#define OPT(name, type, deflt, lo, hi, metavar, help, field) \
    {name, type, deflt, lo, hi, metavar, help, offsetof(import_cfg, field), 0}
static const gc_opt import_opts[] = {
    OPT("file", GC_OPT_ARG, NULL, 0, 0, "FILE", "the PFX (PKCS#12) file", file),
    OPT("password-file", GC_OPT_STRING, NULL, 0, 0, "FILE",
        "file whose first line is the PFX password", password_file),
    OPT("upn", GC_OPT_STRING, NULL, 0, 0, "UPN", "the user's userPrincipalName", upn),
    OPT("public-key", GC_OPT_STRING, NULL, 0, 0, "FILE",
        "public key to encrypt the password to (PEM/DER, or a CNG RSAPUBLICBLOB)", public_key),
    OPT("padding", GC_OPT_STRING, "oaepSha512", 0, 0, "P", "oaepSha256, oaepSha384 or oaepSha512",
        padding),
    OPT("purpose", GC_OPT_STRING, "unassigned", 0, 0, "P",
        "unassigned, smimeEncryption, smimeSigning, vpn or wifi", purpose),
    OPT("provider-name", GC_OPT_STRING, NULL, 0, 0, "NAME",
        "key store holding the decryption key (providerName)", provider_name),
    OPT("key-name", GC_OPT_STRING, NULL, 0, 0, "NAME", "the key's name in it (keyName)", key_name),
    OPT("dry-run", GC_OPT_FLAG, NULL, 0, 0, NULL, "print the JSON instead of sending it", dry_run),
    OPT("url", GC_OPT_STRING, NULL, 0, 0, "BASE",
        "Graph base, e.g. https://graph.microsoft.com/beta", url),
    OPT("token-file", GC_OPT_STRING, NULL, 0, 0, "FILE", "file whose first line is the bearer token",
        token_file),
    OPT("update", GC_OPT_FLAG, NULL, 0, 0, NULL, "PATCH the existing record instead of POST",
        update),
    OPT("ca-file", GC_OPT_STRING, NULL, 0, 0, "FILE", "CA bundle to trust for https", ca_file),
    OPT("retries", GC_OPT_INT, "4", 0, 10, "N", "retries after 429/503 (Retry-After, <= 60 s each)",
        retries),
};
#define N_IMPORT_OPTS (sizeof import_opts / sizeof import_opts[0])

static const char import_usage[] =
    "usage: graphcerts pfx import FILE --password-file F --upn UPN --public-key F\n"
    "         [--padding oaepSha256|oaepSha384|oaepSha512] [--purpose P] [--provider-name NAME]\n"
    "         [--key-name NAME] [--retries N]\n"
    "         (--dry-run | --url BASE --token-file F [--update] [--ca-file F])\n\n"
    "Builds the userPFXCertificate for a PFX file as Microsoft's PFX import tool does and prints\n"
    "it (--dry-run) or sends it to BASE/deviceManagement/userPfxCertificates (POST; with --update\n"
    "a PATCH of the record {user id}-{thumbprint}), then prints the record's id.\n"
    "Exit status: 0 done, 1 a bad file, key or password, 2 a bad command line, 3 the service\n"
    "refused or could not be reached.";

/* The first line of a file (without its line break), NUL-terminated in the arena. */
static int first_line(const char *what, const char *path, gc_arena *a, char **out, size_t *len,
                      unsigned char **raw, size_t *raw_len)
{
    if (gc_pfx_read_file(WHO, what, path, MAX_SMALL_FILE, a, raw, raw_len) < 0)
        return -1;
    size_t n = 0;
    while (n < *raw_len && (*raw)[n] != '\n')
        n++;
    if (n > 0 && (*raw)[n - 1] == '\r')
        n--;
    if (memchr(*raw, '\0', n)) {
        fprintf(stderr, WHO ": the %s file '%s' holds a NUL byte\n", what, path);
        return -1;
    }
    *out = gc_arena_strndup(a, (const char *)*raw, n);
    *len = n;
    return 0;
}

/* Ticks as Newtonsoft writes a UTC DateTimeOffset: fraction without trailing zeros, "+00:00". */
static json_t *json_date(int64_t ticks)
{
    char s[40];
    gc_datetime_format(ticks, s);
    size_t n = strlen(s);
    if (n && s[n - 1] == 'Z')
        snprintf(s + n - 1, sizeof s - (n - 1), "+00:00");
    return json_string(s);
}

static json_t *json_opt_string(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* Prints a refusal: status, Graph error code and message, request-id. */
static void print_refusal(const char *method, const char *url, const gc_client_reply *r)
{
    json_t *j = json_loads(r->body, 0, NULL);
    json_t *e = json_object_get(j, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    fprintf(stderr, WHO ": %s %s answered %ld", method, url, r->status);
    if (code)
        fprintf(stderr, " %s", code);
    if (msg)
        fprintf(stderr, ": %s", msg);
    if (r->request_id[0])
        fprintf(stderr, " (request-id %s)", r->request_id);
    fputc('\n', stderr);
    json_decref(j);
}

/* The user's object id without dashes from BASE/users?$filter=userPrincipalName eq '...'
 * (the lookup Microsoft's tool makes). 0, or -1 after printing why. */
static int lookup_user(const gc_client *c, const char *base, const char *upn, gc_arena *a,
                       char **out)
{
    gc_buf f;
    gc_buf_init(&f, 4096);
    gc_buf_appendf(&f, "userPrincipalName eq '");
    for (const char *p = upn; *p; p++) { /* OData doubles a quote inside a literal */
        if (*p == '\'')
            gc_buf_append(&f, "''", 2);
        else
            gc_buf_append(&f, p, 1);
    }
    gc_buf_append(&f, "'", 1);
    if (f.overflow) {
        gc_buf_free(&f);
        fprintf(stderr, WHO ": the UPN is too long\n");
        return -1;
    }
    char *enc = gc_percent_encode(a, f.data, f.len, "'");
    gc_buf_free(&f);
    char *url = gc_arena_concat(a, base, "/users?$filter=", enc, NULL);
    gc_client_reply r;
    if (gc_client_request(c, "GET", url, NULL, a, &r) < 0)
        return -1;
    json_t *j = json_loads(r.body, 0, NULL);
    json_t *first = json_array_get(json_object_get(j, "value"), 0);
    const char *id = json_string_value(json_object_get(first, "id"));
    int rc = -1;
    if (r.status != 200)
        print_refusal("GET", url, &r);
    else if (!id || !*id)
        fprintf(stderr, WHO ": no user with userPrincipalName '%s' in the directory\n", upn);
    else
        rc = 0;
    if (rc == 0) {
        char *u = gc_arena_alloc(a, strlen(id) + 1);
        size_t k = 0;
        for (const char *p = id; *p; p++)
            if (*p != '-')
                u[k++] = *p;
        *out = u;
    }
    json_decref(j);
    return rc;
}

static int import_run(int argc, char **argv)
{
    int code = GC_PFX_EXIT_USAGE;
    gc_arena *a = gc_arena_new();
    unsigned char *pw_raw = NULL, *pw_bytes = NULL, *tok_raw = NULL;
    size_t pw_raw_len = 0, pw_bytes_len = 0, tok_raw_len = 0;
    char *password = NULL, *token = NULL, *text = NULL;
    size_t password_len = 0, token_len = 0;
    json_t *cert = NULL;
    import_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = gc_cli_parse(import_opts, N_IMPORT_OPTS, &cfg, argc, argv, import_usage);
    if (rc != 0) {
        code = rc == 1 ? 0 : GC_PFX_EXIT_USAGE;
        goto done;
    }
    const char *missing = !cfg.file ? "FILE" : !cfg.password_file ? "--password-file"
                        : !cfg.upn ? "--upn" : !cfg.public_key ? "--public-key" : NULL;
    if (missing) {
        fprintf(stderr, WHO ": %s is required (see --help)\n", missing);
        goto done;
    }
    if (!*cfg.upn) {
        fprintf(stderr, WHO ": --upn is empty\n");
        goto done;
    }
    if (cfg.dry_run == (cfg.url != NULL)) {
        fprintf(stderr, WHO ": give exactly one of --dry-run or --url (see --help)\n");
        goto done;
    }
    if (cfg.dry_run && (cfg.token_file || cfg.update || cfg.ca_file)) {
        fprintf(stderr, WHO ": --token-file, --update and --ca-file go with --url, not --dry-run\n");
        goto done;
    }
    if (cfg.url && !cfg.token_file) {
        fprintf(stderr, WHO ": --url needs --token-file\n");
        goto done;
    }
    const gc_pfx_padding *pad = gc_pfx_padding_find(WHO, cfg.padding);
    const char *purpose = pad ? gc_pfx_purpose_find(WHO, cfg.purpose) : NULL;
    if (!pad || !purpose)
        goto done;

    code = GC_PFX_EXIT_INPUT;
    unsigned char *pfx, *pub;
    size_t pfx_len, pub_len;
    if (gc_pfx_read_file(WHO, "PFX file", cfg.file, GC_PFX_MAX_FILE, a, &pfx, &pfx_len) < 0 ||
        first_line("password", cfg.password_file, a, &password, &password_len, &pw_raw,
                   &pw_raw_len) < 0 ||
        gc_pfx_read_file(WHO, "public key", cfg.public_key, MAX_SMALL_FILE, a, &pub, &pub_len) < 0 ||
        gc_pfx_password_bytes(WHO, password, password_len, a, &pw_bytes, &pw_bytes_len) < 0)
        goto done;
    gc_err err;
    gc_err_clear(&err);
    gc_pfx_info info;
    if (gc_cert_pfx_read(pfx, pfx_len, password, a, &info, &err) < 0) {
        fprintf(stderr, WHO ": %s: %s\n", cfg.file, err.message);
        goto done;
    }
    unsigned char *wrapped;
    size_t wrapped_len;
    if (gc_cert_oaep_encrypt(pub, pub_len, pad->sha_bits, pw_bytes, pw_bytes_len, a, &wrapped,
                             &wrapped_len, &err) < 0) {
        fprintf(stderr, WHO ": %s: %s\n", cfg.public_key, err.message);
        goto done;
    }

    /* Microsoft's UserPFXCertificate as Newtonsoft writes it: camelCase names in class order,
     * enum member names as in C#, byte[] as base64, the id left out while it is null. */
    int64_t now = gc_now_ticks();
    cert = json_object();
    if (!cert || json_object_set_new(cert, "thumbprint", json_string(info.thumbprint)) < 0 ||
        json_object_set_new(cert, "intendedPurpose", json_string(purpose)) < 0 ||
        json_object_set_new(cert, "userPrincipalName", json_string(cfg.upn)) < 0 ||
        json_object_set_new(cert, "startDateTime", json_date(info.not_before)) < 0 ||
        json_object_set_new(cert, "expirationDateTime", json_date(info.not_after)) < 0 ||
        json_object_set_new(cert, "providerName", json_opt_string(cfg.provider_name)) < 0 ||
        json_object_set_new(cert, "keyName", json_opt_string(cfg.key_name)) < 0 ||
        json_object_set_new(cert, "paddingScheme", json_string(pad->wire)) < 0 ||
        json_object_set_new(cert, "encryptedPfxBlob",
                            json_string(gc_base64_encode(a, pfx, pfx_len))) < 0 ||
        json_object_set_new(cert, "encryptedPfxPassword",
                            json_string(gc_base64_encode(a, wrapped, wrapped_len))) < 0 ||
        json_object_set_new(cert, "createdDateTime", json_date(now)) < 0 ||
        json_object_set_new(cert, "lastModifiedDateTime", json_date(now)) < 0 ||
        !(text = json_dumps(cert, JSON_INDENT(2) | JSON_PRESERVE_ORDER))) {
        fprintf(stderr, WHO ": cannot build the JSON (is --upn, --provider-name or --key-name "
                        "valid UTF-8?)\n");
        goto done;
    }
    if (cfg.dry_run) {
        if (printf("%s\n", text) < 0 || fflush(stdout) != 0) {
            fprintf(stderr, WHO ": cannot write to stdout\n");
            goto done;
        }
        code = 0;
        goto done;
    }

    if (first_line("token", cfg.token_file, a, &token, &token_len, &tok_raw, &tok_raw_len) < 0)
        goto done;
    while (token_len && (token[token_len - 1] == ' ' || token[token_len - 1] == '\t'))
        token[--token_len] = '\0';
    if (!token_len) {
        fprintf(stderr, WHO ": the token file '%s' is empty\n", cfg.token_file);
        goto done;
    }
    code = GC_PFX_EXIT_SERVICE;
    if (gc_client_global_init() < 0) {
        fprintf(stderr, WHO ": cannot initialise libcurl\n");
        goto done;
    }
    gc_client c = {.who = WHO, .token = token, .ca_file = cfg.ca_file, .retries = (int)cfg.retries};
    char *base = gc_arena_strdup(a, cfg.url);
    for (size_t n = strlen(base); n > 0 && base[n - 1] == '/'; n--)
        base[n - 1] = '\0';
    const char *set = gc_arena_concat(a, base, "/deviceManagement/userPfxCertificates", NULL);
    char *user = NULL;
    if (cfg.update && lookup_user(&c, base, cfg.upn, a, &user) < 0)
        goto done;
    const char *method = cfg.update ? "PATCH" : "POST";
    const char *url = cfg.update
                          ? gc_arena_concat(a, set, "(", user, "-", info.thumbprint, ")", NULL)
                          : set;
    gc_client_reply r;
    if (gc_client_request(&c, method, url, text, a, &r) < 0)
        goto done;
    if (r.status < 200 || r.status > 299) {
        print_refusal(method, url, &r);
        goto done;
    }
    json_t *body = r.body_len ? json_loads(r.body, 0, NULL) : NULL;
    const char *id = json_string_value(json_object_get(body, "id"));
    char *made = id ? gc_arena_strdup(a, id) : NULL;
    json_decref(body);
    if (!made) { /* a 204 (Graph's PATCH): the id is the one addressed */
        if (!user && lookup_user(&c, base, cfg.upn, a, &user) < 0)
            goto done;
        made = gc_arena_concat(a, user, "-", info.thumbprint, NULL);
    }
    printf("%s\n", made);
    code = fflush(stdout) == 0 ? 0 : GC_PFX_EXIT_SERVICE;
done:
    if (pw_raw)
        explicit_bzero(pw_raw, pw_raw_len);
    if (password)
        explicit_bzero(password, password_len);
    if (pw_bytes)
        explicit_bzero(pw_bytes, pw_bytes_len);
    if (tok_raw)
        explicit_bzero(tok_raw, tok_raw_len);
    if (token)
        explicit_bzero(token, strlen(token));
    if (text)
        gc_json_text_free(text);
    json_decref(cert);
    gc_arena_free(a);
    return code;
}

const gc_cli_cmd gc_cli_pfx_import = {
    .name = "import",
    .summary = "import a PFX file as a userPFXCertificate (or --dry-run)",
    .run = import_run,
    .opts = import_opts,
    .n_opts = N_IMPORT_OPTS,
};
