/* The HTTP-layer floor of the benchmarks: graphcerts's own HTTP server (src/http) alone, started
 * the way graphcerts starts it (one I/O thread per core, the default limits), answering every
 * request with the same entity bytes and response headers graphcerts sends, with no
 * authentication, routing or storage behind it. Its requests/s against nginx's shows what the
 * HTTP layer costs by itself; graphcerts's against it, what graphcerts adds.
 * Listens on 127.0.0.1 only; runs until SIGTERM or SIGINT.
 * Usage: http_floor PORT THREADS ENTITY_FILE */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "http/http.h"

#define FLOOR_MAX_ENTITY (1u << 20)

static char *entity;
static size_t entity_len;

static const char content_type[] =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
    "charset=utf-8";

static void handle(void *ctx, const gc_http_req *req, gc_http_resp *resp)
{
    (void)ctx;
    resp->status = 200;
    resp->content_type = content_type;
    resp->body = entity;
    resp->body_len = entity_len;
    gc_http_resp_header(resp, "OData-Version", "4.0");
    gc_http_resp_header(resp, "request-id", req->request_id);
    gc_http_resp_header(resp, "client-request-id", req->request_id);
    gc_http_resp_header(resp, "ETag", "W/\"1\"");
}

static void error(void *ctx, const gc_http_req *req, gc_errkind kind, const char *message,
                  gc_http_resp *resp)
{
    (void)ctx, (void)req, (void)message;
    resp->status = gc_err_http_status(kind);
}

static int read_entity(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    entity = malloc(FLOOR_MAX_ENTITY);
    entity_len = entity ? fread(entity, 1, FLOOR_MAX_ENTITY, f) : 0;
    int bad = !entity || ferror(f) || entity_len == 0 || entity_len == FLOOR_MAX_ENTITY;
    fclose(f);
    return bad ? -1 : 0;
}

static unsigned long parse_num(const char *s, unsigned long max)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    return errno || end == s || *end || v == 0 || v > max ? 0 : v;
}

int main(int argc, char **argv)
{
    unsigned long port = argc == 4 ? parse_num(argv[1], 65535) : 0;
    unsigned long threads = argc == 4 ? parse_num(argv[2], 1024) : 0;
    if (!port || !threads) {
        fprintf(stderr, "usage: http_floor PORT THREADS ENTITY_FILE\n");
        return 2;
    }
    if (read_entity(argv[3]) != 0) {
        fprintf(stderr, "http_floor: cannot read an entity of 1 byte to 1 MiB from %s\n", argv[3]);
        return 1;
    }
    gc_log_set_level(GC_LOG_WARN);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* before the server's threads start */
    gc_http_config cfg = {.listen_host = "127.0.0.1", .port = (unsigned short)port,
                          .io_threads = (unsigned)threads};
    gc_http_handler h = {.handle = handle, .error = error};
    gc_http_server *srv = NULL;
    gc_err err;
    if (gc_http_start(&cfg, &h, &srv, &err) != 0) {
        fprintf(stderr, "http_floor: %s\n", err.message);
        return 1;
    }
    int sig = 0;
    sigwait(&stop, &sig);
    gc_http_stop(srv);
    free(entity);
    return 0;
}
