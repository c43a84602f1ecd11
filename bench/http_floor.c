/* The HTTP-library floor of the benchmarks: libmicrohttpd alone, started the way graphcerts
 * starts it (internal epoll polling, one I/O thread per core, the given per-connection pool),
 * answering every GET with the same entity bytes and the same response headers graphcerts
 * sends, with no authentication, routing or storage behind it. Its requests/s against nginx's
 * shows what the HTTP layer costs by itself; graphcerts's against it, what graphcerts adds.
 * Listens on 127.0.0.1 only; runs until SIGTERM or SIGINT.
 * Usage: http_floor PORT POOL_BYTES THREADS ENTITY_FILE */
#define _POSIX_C_SOURCE 200809L
#include <microhttpd.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOOR_MAX_ENTITY (1u << 20)

static char *entity;
static size_t entity_len;

static const char content_type[] =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
    "charset=utf-8";

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **req)
{
    static int first_call;
    (void)cls, (void)url, (void)method, (void)version, (void)upload, (void)upload_size;
    if (*req == NULL) { /* headers are in; answer on the next call, as graphcerts does */
        *req = &first_call;
        return MHD_YES;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(entity_len, entity, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", content_type);
    MHD_add_response_header(r, "OData-Version", "4.0");
    MHD_add_response_header(r, "request-id", "5f0c3d2a-8e61-4b7f-9a3c-2d1e0f4b6a71");
    MHD_add_response_header(r, "client-request-id", "5f0c3d2a-8e61-4b7f-9a3c-2d1e0f4b6a71");
    MHD_add_response_header(r, "ETag", "W/\"1\"");
    enum MHD_Result ret = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return ret;
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
    unsigned long port = argc == 5 ? parse_num(argv[1], 65535) : 0;
    unsigned long pool = argc == 5 ? parse_num(argv[2], 1ul << 30) : 0;
    unsigned long threads = argc == 5 ? parse_num(argv[3], 1024) : 0;
    if (!port || !pool || !threads) {
        fprintf(stderr, "usage: http_floor PORT POOL_BYTES THREADS ENTITY_FILE\n");
        return 2;
    }
    if (read_entity(argv[4]) != 0) {
        fprintf(stderr, "http_floor: cannot read an entity of 1 byte to 1 MiB from %s\n", argv[4]);
        return 1;
    }
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* before MHD's threads start: they inherit it */
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_access, NULL, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)pool, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)threads, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "http_floor: cannot start libmicrohttpd on port %lu\n", port);
        return 1;
    }
    int sig = 0;
    sigwait(&stop, &sig);
    MHD_stop_daemon(d);
    free(entity);
    return 0;
}
