/* `graphcerts serve`: opens the store, loads the token keys, starts the HTTP server and waits
 * for SIGTERM/SIGINT, then stops accepting, finishes requests in flight and closes the store. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api/admin.h"
#include "api/api.h"
#include "cli/cli.h"
#include "console/console.h"
#include "core/log.h"
#include "core/util.h"
#include "http/http.h"

typedef struct serve_config {
    const char *listen, *admin_listen, *db, *jwt_secret_file, *jwks, *jwks_url, *jwks_ca, *tls_cert,
        *tls_key, *public_url, *log_level;
    long long max_body, max_page_size, io_threads, workers;
    long long max_connections, max_per_ip, max_body_memory, header_timeout, body_timeout,
        keepalive_timeout, write_timeout;
    const char *throttle;
    long long throttle_window, throttle_app_writes, throttle_tenant_writes, throttle_app_requests,
        throttle_tenant_requests, throttle_keys; /* limits: 0 when not set */
    int no_console;
    gc_opt_list audience, issuer;
} serve_config;

#define OPT(name, type, deflt, min, max, metavar, help, field)                                     \
    {name, type, deflt, min, max, metavar, help, offsetof(serve_config, field), 1}

static const gc_opt serve_opts[] = {
    OPT("listen", GC_OPT_STRING, "127.0.0.1:8080", 0, 0, "HOST:PORT",
        "address to serve on ([::1]:8080 for IPv6; port 0 picks a free one)", listen),
    OPT("admin-listen", GC_OPT_STRING, NULL, 0, 0, "HOST:PORT",
        "also serve /readyz and /metrics there, without a token (a private interface only)",
        admin_listen),
    OPT("db", GC_OPT_STRING, "sqlite:./var/graphcerts.db", 0, 0, "DSN",
        "store: sqlite:PATH, or postgresql://user@host:port/dbname (libpq URI; PG* variables too)",
        db),
    OPT("jwt-secret-file", GC_OPT_STRING, NULL, 0, 0, "FILE",
        "shared secret for HS256 tokens", jwt_secret_file),
    OPT("jwks", GC_OPT_STRING, NULL, 0, 0, "FILE", "JWKS with RS256/ES256 token keys", jwks),
    OPT("jwks-url", GC_OPT_STRING, NULL, 0, 0, "URL",
        "https URL of the token keys (instead of --jwks), refetched for an unknown kid", jwks_url),
    OPT("jwks-ca", GC_OPT_STRING, NULL, 0, 0, "FILE",
        "CA certificates that verify the --jwks-url server (default: the system's)", jwks_ca),
    OPT("audience", GC_OPT_LIST, "https://graph.microsoft.com,00000003-0000-0000-c000-000000000000",
        0, 0, "AUD", "an accepted token aud", audience),
    OPT("issuer", GC_OPT_LIST, NULL, 0, 0, "ISS",
        "an accepted token iss, {tenantid} standing for its tid (default: any)", issuer),
    OPT("tls-cert", GC_OPT_STRING, NULL, 0, 0, "FILE", "PEM certificate: serve https", tls_cert),
    OPT("tls-key", GC_OPT_STRING, NULL, 0, 0, "FILE", "PEM private key for --tls-cert", tls_key),
    OPT("public-url", GC_OPT_STRING, NULL, 0, 0, "URL",
        "base URL of @odata.context and links (default: the request's scheme and Host)", public_url),
    OPT("max-body", GC_OPT_INT, "4194304", 1024, 1073741824LL, "BYTES", "largest request body",
        max_body),
    OPT("max-page-size", GC_OPT_INT, "1000", 1, 100000, "N", "most entities in one page",
        max_page_size),
    /* a flag: never read from the environment (gc_cli_parse), so no env in its help */
    {"no-console", GC_OPT_FLAG, NULL, 0, 0, NULL,
     "do not serve the web console at /console/ (it answers 404)",
     offsetof(serve_config, no_console), 0},
    OPT("log-level", GC_OPT_STRING, "info", 0, 0, "LEVEL", "debug, info, warn, error or off",
        log_level),
    OPT("io-threads", GC_OPT_INT, "0", 0, 256, "N", "HTTP I/O threads (0: one per core)", io_threads),
    OPT("workers", GC_OPT_INT, "64", 1, 4096, "N", "threads that run writes", workers),
    OPT("max-connections", GC_OPT_INT, "0", 0, 1000000, "N",
        "open connections in all (0: the open-file limit less a reserve); at the cap the oldest "
        "idle connection is closed", max_connections),
    OPT("max-connections-per-ip", GC_OPT_INT, "256", 0, 1000000, "N",
        "open connections from one client address, IPv6 by /64 (0: no cap)", max_per_ip),
    OPT("max-body-memory", GC_OPT_INT, "268435456", 65536, 68719476736LL, "BYTES",
        "memory all request bodies may hold together; beyond it 503", max_body_memory),
    OPT("header-timeout", GC_OPT_INT, "10", 1, 3600, "SECONDS",
        "time for a request head, from its first byte (408 after)", header_timeout),
    OPT("body-timeout", GC_OPT_INT, "30", 1, 3600, "SECONDS",
        "time for a request body, from the end of its head (408 after)", body_timeout),
    OPT("keepalive-timeout", GC_OPT_INT, "30", 1, 3600, "SECONDS",
        "an idle connection between requests is closed after this", keepalive_timeout),
    OPT("write-timeout", GC_OPT_INT, "30", 1, 3600, "SECONDS",
        "a client that reads nothing of its answer for this long is cut off", write_timeout),
    OPT("throttle", GC_OPT_STRING, NULL, 0, 0, "MODE",
        "off or intune: 429 beyond Intune's limits per application and tenant (default: off, "
        "unless a --throttle-* limit is given)", throttle),
    OPT("throttle-window", GC_OPT_INT, NULL, 1, GC_THROTTLE_MAX_WINDOW, "SECONDS",
        "length of the throttling window (intune: 20)", throttle_window),
    OPT("throttle-app-writes", GC_OPT_INT, NULL, 1, GC_THROTTLE_MAX_LIMIT, "N",
        "writes (POST, PATCH, PUT, DELETE) per window by one application in a tenant (intune: 100)",
        throttle_app_writes),
    OPT("throttle-tenant-writes", GC_OPT_INT, NULL, 1, GC_THROTTLE_MAX_LIMIT, "N",
        "writes per window in one tenant, all applications together (intune: 200)",
        throttle_tenant_writes),
    OPT("throttle-app-requests", GC_OPT_INT, NULL, 1, GC_THROTTLE_MAX_LIMIT, "N",
        "requests of any method per window by one application in a tenant (intune: 1000)",
        throttle_app_requests),
    OPT("throttle-tenant-requests", GC_OPT_INT, NULL, 1, GC_THROTTLE_MAX_LIMIT, "N",
        "requests per window in one tenant, all applications together (intune: 2000)",
        throttle_tenant_requests),
    OPT("throttle-keys", GC_OPT_INT, "16384", 2, GC_THROTTLE_MAX_KEYS, "N",
        "tenants and applications counted at once (~500 bytes each)", throttle_keys),
};

#define N_SERVE_OPTS (sizeof serve_opts / sizeof serve_opts[0])

/* The usage line itself is made from serve_opts (gc_cli_format_usage). */
static const char serve_about[] =
    "Serves the Microsoft Graph certificate API. Every option can also be set in the environment\n"
    "as GRAPHCERTS_<NAME> (e.g. GRAPHCERTS_MAX_BODY); a flag wins over the environment.";

/* "127.0.0.1:8080", "[::1]:8080", "localhost:0" → host and port. */
static int split_listen(const char *s, char *host, size_t host_len, unsigned short *port)
{
    const char *colon;
    const char *h = s;
    size_t hn;
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return -1;
        h = s + 1;
        hn = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return -1;
        hn = (size_t)(colon - s);
    }
    if (hn == 0 || hn >= host_len)
        return -1;
    memcpy(host, h, hn);
    host[hn] = '\0';
    errno = 0;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || p < 0 || p > 65535)
        return -1;
    *port = (unsigned short)p;
    return 0;
}

/* The items of a list option, each split at commas, into out (NULL-terminated) using buf. */
static int split_list(const gc_opt_list *l, const char *name, char *buf, size_t buf_len,
                      const char **out, size_t max)
{
    size_t n = 0, used = 0;
    for (size_t i = 0; i < l->n; i++) {
        for (const char *p = l->items[i];;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            if (len == 0 || n == max || used + len + 1 > buf_len) {
                fprintf(stderr, "graphcerts: --%s: at most %zu values, none empty\n", name, max);
                return -1;
            }
            memcpy(buf + used, p, len);
            buf[used + len] = '\0';
            out[n++] = buf + used;
            used += len + 1;
            if (!comma)
                break;
            p = comma + 1;
        }
    }
    out[n] = NULL;
    return 0;
}

static int derive_skiptoken_key(const char *key_file, unsigned char out[32], gc_err *err)
{
    unsigned char *material;
    size_t len;
    if (gc_auth_read_secret(key_file, &material, &len, err) < 0)
        return -1;
    static const char label[] = "graphcerts $skiptoken v1";
    gc_hmac_sha256(material, len, label, sizeof label - 1, out);
    memset(material, 0, len);
    free(material);
    return 0;
}

/* --throttle and the --throttle-* limits → *on and the limits (Intune's for those not given).
 * -1 after printing a message when they contradict each other. */
static int throttle_limits(const serve_config *cfg, bool *on, gc_throttle_limits *out)
{
    const struct {
        long long v;
        const char *name;
    } given[] = {{cfg->throttle_window, "--throttle-window"},
                 {cfg->throttle_app_writes, "--throttle-app-writes"},
                 {cfg->throttle_tenant_writes, "--throttle-tenant-writes"},
                 {cfg->throttle_app_requests, "--throttle-app-requests"},
                 {cfg->throttle_tenant_requests, "--throttle-tenant-requests"}};
    const char *first = NULL;
    for (size_t i = 0; i < sizeof given / sizeof given[0] && !first; i++)
        if (given[i].v)
            first = given[i].name;
    const char *mode = cfg->throttle;
    if (mode && strcasecmp(mode, "off") != 0 && strcasecmp(mode, "intune") != 0) {
        fprintf(stderr, "graphcerts: --throttle must be off or intune, got '%s'\n", mode);
        return -1;
    }
    if (mode && strcasecmp(mode, "off") == 0 && first) {
        fprintf(stderr, "graphcerts: --throttle off contradicts %s (leave --throttle out or set it "
                        "to intune)\n", first);
        return -1;
    }
    *on = first || (mode && strcasecmp(mode, "intune") == 0);
    *out = gc_throttle_intune;
    if (cfg->throttle_window)
        out->window_s = (unsigned)cfg->throttle_window;
    if (cfg->throttle_app_writes)
        out->app_writes = (uint32_t)cfg->throttle_app_writes;
    if (cfg->throttle_tenant_writes)
        out->tenant_writes = (uint32_t)cfg->throttle_tenant_writes;
    if (cfg->throttle_app_requests)
        out->app_requests = (uint32_t)cfg->throttle_app_requests;
    if (cfg->throttle_tenant_requests)
        out->tenant_requests = (uint32_t)cfg->throttle_tenant_requests;
    return 0;
}

/* The main listener's open connections, for the admin /metrics. */
static size_t open_connections(void *srv)
{
    return gc_http_open_connections(srv);
}

static int serve_run(int argc, char **argv)
{
    serve_config cfg = {0};
    char usage[4096];
    gc_cli_format_usage(usage, sizeof usage, "graphcerts serve", serve_opts, N_SERVE_OPTS, serve_about);
    int rc = gc_cli_parse(serve_opts, N_SERVE_OPTS, &cfg, argc, argv, usage);
    if (rc)
        return rc == 1 ? 0 : 2;
    gc_log_level level;
    if (gc_log_parse_level(cfg.log_level, &level) < 0) {
        fprintf(stderr, "graphcerts: --log-level must be debug, info, warn, error or off, got '%s'\n",
                cfg.log_level);
        return 2;
    }
    gc_log_set_level(level);
    char host[256];
    unsigned short port;
    if (split_listen(cfg.listen, host, sizeof host, &port) < 0) {
        fprintf(stderr, "graphcerts: --listen must be HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080), got '%s'\n",
                cfg.listen);
        return 2;
    }
    char admin_host[256];
    unsigned short admin_port = 0;
    if (cfg.admin_listen &&
        split_listen(cfg.admin_listen, admin_host, sizeof admin_host, &admin_port) < 0) {
        fprintf(stderr, "graphcerts: --admin-listen must be HOST:PORT (e.g. 127.0.0.1:9090), got '%s'\n",
                cfg.admin_listen);
        return 2;
    }
    if (!cfg.jwt_secret_file && !cfg.jwks && !cfg.jwks_url) {
        fprintf(stderr, "graphcerts: give --jwt-secret-file and/or --jwks or --jwks-url: tokens must be verifiable\n");
        return 2;
    }
    char aud_buf[4096], iss_buf[4096];
    const char *audiences[GC_OPT_LIST_MAX + 1], *issuers[GC_OPT_LIST_MAX + 1];
    if (split_list(&cfg.audience, "audience", aud_buf, sizeof aud_buf, audiences, GC_OPT_LIST_MAX) < 0 ||
        split_list(&cfg.issuer, "issuer", iss_buf, sizeof iss_buf, issuers, GC_OPT_LIST_MAX) < 0)
        return 2;
    if (!cfg.tls_cert != !cfg.tls_key) {
        fprintf(stderr, "graphcerts: --tls-cert and --tls-key go together\n");
        return 2;
    }
    bool throttle_on;
    gc_throttle_limits limits;
    if (throttle_limits(&cfg, &throttle_on, &limits) < 0)
        return 2;

    /* Signals are taken by sigwait below; block them before any thread starts. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* past a file size limit (ulimit -f) a write fails with EFBIG, answered 507, instead of the
     * signal ending the process */
    signal(SIGXFSZ, SIG_IGN);

    int result = 1;
    gc_err err;
    gc_err_clear(&err);
    gc_store *store = NULL;
    gc_auth *auth = NULL;
    gc_api *api = NULL;
    gc_throttle *throttle = NULL;
    gc_http_server *srv = NULL, *admin_srv = NULL;
    gc_admin *admin = NULL;
    gc_console *console = NULL;

    gc_auth_config acfg = {.secret_file = cfg.jwt_secret_file, .jwks_file = cfg.jwks,
                           .jwks_url = cfg.jwks_url, .jwks_ca_file = cfg.jwks_ca,
                           .audiences = audiences, .issuers = issuers};
    if (gc_auth_open(&acfg, &auth, &err) < 0)
        goto fail;
    if (gc_store_open(cfg.db, &store, &err) < 0)
        goto fail;
    /* $skiptoken MAC key: derived from the token key material, so every node configured alike
     * accepts the others' nextLinks */
    unsigned char skip_key[32];
    const char *key_file = cfg.jwt_secret_file ? cfg.jwt_secret_file : cfg.jwks;
    if (key_file && derive_skiptoken_key(key_file, skip_key, &err) < 0) /* none: a random key */
        goto fail;
    if (throttle_on) {
        gc_throttle_config tcfg = {.limits = limits, .max_keys = (size_t)cfg.throttle_keys};
        if (gc_throttle_new(&tcfg, &throttle, &err) < 0)
            goto fail;
        gc_log(GC_LOG_INFO, NULL,
               "throttling per %u s: %u writes and %u requests per application in a tenant, "
               "%u writes and %u requests per tenant",
               limits.window_s, (unsigned)limits.app_writes, (unsigned)limits.app_requests,
               (unsigned)limits.tenant_writes, (unsigned)limits.tenant_requests);
    }
    gc_api_config apicfg = {.store = store, .auth = auth, .public_url = cfg.public_url,
                            .max_page_size = (size_t)cfg.max_page_size,
                            .skiptoken_key = key_file ? skip_key : NULL, .throttle = throttle};
    if (gc_api_new(&apicfg, &api, &err) < 0)
        goto fail;
    gc_http_config hcfg = {.listen_host = host, .port = port, .tls_cert_file = cfg.tls_cert,
                           .tls_key_file = cfg.tls_key, .max_body = (size_t)cfg.max_body,
                           .io_threads = (unsigned)cfg.io_threads, .workers = (unsigned)cfg.workers,
                           .max_connections = (unsigned)cfg.max_connections,
                           .max_per_ip = (unsigned)cfg.max_per_ip,
                           .max_body_memory = (size_t)cfg.max_body_memory,
                           .header_timeout_ms = (unsigned)cfg.header_timeout * 1000u,
                           .body_timeout_ms = (unsigned)cfg.body_timeout * 1000u,
                           .keepalive_timeout_ms = (unsigned)cfg.keepalive_timeout * 1000u,
                           .write_timeout_ms = (unsigned)cfg.write_timeout * 1000u};
    /* /console in front of the API (off: a 404 there), everything else to the API */
    gc_console_config ccfg = {.next = gc_api_http_handler(api), .enabled = !cfg.no_console};
    if (gc_console_new(&ccfg, &console, &err) < 0)
        goto fail;
    gc_http_handler handler = gc_console_http_handler(console);
    if (gc_http_start(&hcfg, &handler, &srv, &err) < 0)
        goto fail;
    if (cfg.admin_listen) {
        gc_admin_config admcfg = {.api = api, .store = store, .open_connections = open_connections,
                                  .open_connections_ctx = srv};
        if (gc_admin_new(&admcfg, &admin, &err) < 0)
            goto fail;
        gc_http_config acfg_http = {.listen_host = admin_host, .port = admin_port,
                                    .max_body = 1024, .io_threads = 1, .workers = 1};
        gc_http_handler admin_handler = gc_admin_http_handler(admin);
        if (gc_http_start(&acfg_http, &admin_handler, &admin_srv, &err) < 0)
            goto fail;
        int a6 = strchr(admin_host, ':') != NULL;
        gc_log(GC_LOG_INFO, NULL, "admin listening on http://%s%s%s:%u", a6 ? "[" : "", admin_host,
               a6 ? "]" : "", gc_http_port(admin_srv));
    }
    /* last: once this line is out, every listener answers */
    int v6 = strchr(host, ':') != NULL;
    gc_log(GC_LOG_INFO, NULL, "listening on %s://%s%s%s:%u", cfg.tls_cert ? "https" : "http",
           v6 ? "[" : "", host, v6 ? "]" : "", gc_http_port(srv));

    int sig = 0;
    sigwait(&sigs, &sig);
    gc_log(GC_LOG_INFO, NULL, "received %s: finishing requests in flight", sig == SIGINT ? "SIGINT" : "SIGTERM");
    result = 0;
    goto done;
fail: /* once, as a plain line like every other refusal to start */
    fprintf(stderr, "graphcerts: %s\n", err.message);
done:
    if (admin_srv)
        gc_http_stop(admin_srv);
    gc_admin_free(admin);
    if (srv)
        gc_http_stop(srv);
    gc_console_free(console);
    gc_api_free(api);
    gc_throttle_free(throttle);
    gc_store_close(store);
    if (auth)
        gc_auth_close(auth);
    if (result == 0)
        gc_log(GC_LOG_INFO, NULL, "stopped");
    return result;
}

const gc_cli_cmd gc_cli_cmd_serve = {
    .name = "serve",
    .summary = "serve the Graph certificate API",
    .run = serve_run,
    .opts = serve_opts,
    .n_opts = N_SERVE_OPTS,
};
