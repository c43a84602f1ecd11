/* Tests for the HTTP adapter: the real server on 127.0.0.1 port 0 with a small echo handler,
 * driven by a raw HTTP/1.1 client over POSIX sockets (no mocks). Ordering, not time, decides
 * the concurrency tests: slow handlers block on a semaphore the test releases. */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/log.h"
#include "core/util.h"
#include "http/http.h"

/* ---- the handler under test ---- */

static atomic_int n_handled; /* handle() calls */
static atomic_int n_errors;  /* error() calls */
static sem_t slow_started, slow_release;

static void wait_sem(sem_t *s)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 10;
    while (sem_timedwait(s, &ts) != 0 && errno == EINTR)
        ;
}

/* Echoes what the adapter delivered: "key=value" lines, a blank line, then the body bytes. */
static void echo_handle(void *ctx, const gc_http_req *req, gc_http_resp *resp)
{
    atomic_fetch_add(&n_handled, 1);
    if (strcmp(req->path, "/slow") == 0) {
        sem_post(&slow_started);
        wait_sem(&slow_release);
    }
    const char *xt = gc_http_req_header(req, "x-TEST");
    char *head = gc_arena_printf(
        req->arena,
        "method=%s\nraw=%s\npath=%s\nquery=%s\nhost=%s\nscheme=%s\nrid=%s\nx-test=%s\n"
        "headers=%zu\nlen=%zu\nnul=%d\nbodynull=%d\n\n",
        req->method, req->raw_target, req->path, req->query, req->host, req->scheme,
        req->request_id, xt ? xt : "(none)", req->n_headers, req->body_len,
        req->body ? req->body[req->body_len] == '\0' : -1, req->body == NULL);
    size_t hl = strlen(head);
    char *body = gc_arena_alloc(req->arena, hl + req->body_len + 1);
    memcpy(body, head, hl);
    if (req->body_len > 0)
        memcpy(body + hl, req->body, req->body_len);
    resp->status = strcmp(req->path, "/created") == 0 ? 201 : 200;
    resp->content_type = "text/plain";
    resp->body = body;
    resp->body_len = hl + req->body_len;
    gc_http_resp_header(resp, "X-Echo", "yes");
    gc_http_resp_header(resp, "request-id", req->request_id);
    resp->tenant = "tenant-1";
}

static void echo_error(void *ctx, const gc_http_req *req, gc_errkind kind, const char *message,
                       gc_http_resp *resp)
{
    atomic_fetch_add(&n_errors, 1);
    resp->status = gc_err_http_status(kind);
    resp->content_type = "application/json";
    resp->body = gc_arena_printf(req->arena,
                                 "{\"error\":{\"code\":\"%s\",\"method\":\"%s\",\"path\":\"%s\","
                                 "\"ridlen\":%zu,\"bodynull\":%d}}",
                                 gc_err_graph_code(kind), req->method, req->path,
                                 strlen(req->request_id), req->body == NULL);
    resp->body_len = strlen(resp->body);
}

static const gc_http_handler echo = {NULL, echo_handle, echo_error, NULL};

static gc_http_config test_config(void)
{
    gc_http_config cfg = {0};
    cfg.listen_host = "127.0.0.1";
    cfg.max_body = 64 * 1024;
    cfg.io_threads = 1;
    cfg.workers = 4;
    return cfg;
}

static gc_http_server *start(const gc_http_config *cfg)
{
    gc_http_server *srv = NULL;
    gc_err err = {0};
    int rc = gc_http_start(cfg, &echo, &srv, &err);
    if (rc != 0)
        fprintf(stderr, "gc_http_start: %s\n", err.message);
    assert_int_equal(rc, 0);
    assert_non_null(srv);
    assert_int_not_equal(gc_http_port(srv), 0);
    return srv;
}

/* ---- a tiny HTTP/1.1 client ---- */

typedef struct tconn {
    int fd;
    char *buf;
    size_t len, cap;
} tconn;

typedef struct tresp {
    int status;
    char *head; /* status line and headers, NUL-terminated */
    char *body; /* NUL-terminated for convenience */
    size_t body_len;
} tresp;

static int connect_to(int family, const char *addr, unsigned short port)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int r;
    if (family == AF_INET6) {
        struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
        inet_pton(AF_INET6, addr, &sa.sin6_addr);
        r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    } else {
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
        inet_pton(AF_INET, addr, &sa.sin_addr);
        r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    }
    if (r != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static tconn tc_open(const gc_http_server *srv)
{
    tconn c = {0};
    c.fd = connect_to(AF_INET, "127.0.0.1", gc_http_port(srv));
    assert_true(c.fd >= 0);
    return c;
}

static void tc_close(tconn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = 0;
}

/* Sends everything; false when the server already closed (EPIPE / ECONNRESET). */
static bool tc_send(tconn *c, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void tc_sends(tconn *c, const char *s)
{
    assert_true(tc_send(c, s, strlen(s)));
}

/* Reads more bytes: > 0 read, 0 at EOF, -1 on error or timeout. */
static ssize_t tc_fill(tconn *c)
{
    if (c->cap - c->len < 65536) {
        c->cap = c->cap ? c->cap * 2 : 131072;
        c->buf = realloc(c->buf, c->cap);
        assert_non_null(c->buf);
    }
    ssize_t r;
    do
        r = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
    while (r < 0 && errno == EINTR);
    if (r > 0)
        c->len += (size_t)r;
    return r;
}

static bool at_eof(tconn *c)
{
    return c->len == 0 && tc_fill(c) <= 0;
}

static bool has_data_now(tconn *c)
{
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    return c->len > 0 || poll(&p, 1, 0) > 0;
}

static void resp_free(tresp *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* Value of a response header (case-insensitive name) copied into out, or NULL. */
static const char *resp_header(const tresp *r, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    for (const char *line = strstr(r->head, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        const char *l = line + 2;
        if (strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
            const char *v = l + nl + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            size_t vl = e ? (size_t)(e - v) : strlen(v);
            if (vl >= outlen)
                vl = outlen - 1;
            memcpy(out, v, vl);
            out[vl] = '\0';
            return out;
        }
    }
    return NULL;
}

/* Reads one response (Content-Length framed, or to EOF without one). HEAD answers carry no
 * body. Returns -1 when the connection ends first. */
static int tc_read(tconn *c, tresp *r, bool head_request)
{
    memset(r, 0, sizeof *r);
    char *end;
    while (!(end = memmem(c->buf ? c->buf : "", c->len, "\r\n\r\n", 4)))
        if (tc_fill(c) <= 0)
            return -1;
    size_t head_len = (size_t)(end - c->buf) + 2;
    r->head = strndup(c->buf, head_len);
    assert_true(head_len > 12 && strncmp(r->head, "HTTP/1.1 ", 9) == 0);
    r->status = (r->head[9] - '0') * 100 + (r->head[10] - '0') * 10 + (r->head[11] - '0');
    size_t off = head_len + 2;
    char v[64];
    size_t want = 0;
    bool to_eof = false;
    if (head_request)
        want = 0;
    else if (resp_header(r, "Content-Length", v, sizeof v))
        want = (size_t)strtoull(v, NULL, 10);
    else
        to_eof = true;
    while (to_eof || c->len - off < want) {
        ssize_t got = tc_fill(c);
        if (got <= 0) {
            if (to_eof && got == 0)
                break;
            return -1;
        }
    }
    if (to_eof)
        want = c->len - off;
    r->body = malloc(want + 1);
    memcpy(r->body, c->buf + off, want);
    r->body[want] = '\0';
    r->body_len = want;
    memmove(c->buf, c->buf + off + want, c->len - off - want);
    c->len -= off + want;
    return 0;
}

static void must_read(tconn *c, tresp *r, bool head_request)
{
    assert_int_equal(tc_read(c, r, head_request), 0);
}

/* The value of "key=" in an echo body, copied into out. */
static const char *echo_field(const tresp *r, const char *key, char *out, size_t outlen)
{
    char pat[64];
    snprintf(pat, sizeof pat, "%s=", key);
    const char *p = r->body;
    size_t pl = strlen(pat);
    while (p && strncmp(p, pat, pl) != 0) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!p)
        return NULL;
    p += pl;
    size_t n = strcspn(p, "\n");
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

static void assert_field(const tresp *r, const char *key, const char *want)
{
    char buf[40000];
    const char *got = echo_field(r, key, buf, sizeof buf);
    assert_non_null(got);
    assert_string_equal(got, want);
}

/* The echoed request body: the bytes after the first blank line. */
static const char *echo_body(const tresp *r, size_t *len)
{
    const char *p = strstr(r->body, "\n\n");
    assert_non_null(p);
    p += 2;
    *len = r->body_len - (size_t)(p - r->body);
    return p;
}

/* ---- tests ---- */

static void test_header_helpers(void **state)
{
    gc_http_header hs[] = {{"Host", "h"}, {"Content-Type", "text/plain"}, {"X-A", "1"}};
    gc_http_req req = {.headers = hs, .n_headers = 3};
    assert_string_equal(gc_http_req_header(&req, "content-type"), "text/plain");
    assert_string_equal(gc_http_req_header(&req, "X-A"), "1");
    assert_string_equal(gc_http_req_header(&req, "HOST"), "h");
    assert_null(gc_http_req_header(&req, "X-B"));
    assert_null(gc_http_req_header(&req, "X-"));

    gc_http_resp resp = {0};
    for (int i = 0; i < GC_HTTP_MAX_RESP_HEADERS + 3; i++)
        gc_http_resp_header(&resp, i == 0 ? "first" : "more", "v");
    assert_int_equal(resp.n_headers, GC_HTTP_MAX_RESP_HEADERS);
    assert_string_equal(resp.headers[0].name, "first");
    assert_string_equal(resp.headers[GC_HTTP_MAX_RESP_HEADERS - 1].name, "more");
}

static void test_get_inline(void **state)
{
    gc_http_config cfg = test_config();
    gc_http_server *srv = start(&cfg);
    tconn c = tc_open(srv);
    tc_sends(&c, "GET /hello/world?a=1&b=two HTTP/1.1\r\nHost: example.test\r\n"
                 "X-Test: some value\r\n\r\n");
    tresp r;
    must_read(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_field(&r, "method", "GET");
    assert_field(&r, "raw", "/hello/world?a=1&b=two");
    assert_field(&r, "path", "/hello/world");
    assert_field(&r, "query", "a=1&b=two");
    assert_field(&r, "host", "example.test");
    assert_field(&r, "scheme", "http");
    assert_field(&r, "x-test", "some value");
    assert_field(&r, "headers", "2");
    assert_field(&r, "len", "0");
    assert_field(&r, "bodynull", "1");
    char rid[64], v[256];
    assert_non_null(echo_field(&r, "rid", rid, sizeof rid));
    assert_true(gc_guid_valid(rid, strlen(rid)));
    for (const char *p = rid; *p; p++)
        assert_true(*p == '-' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));
    assert_string_equal(resp_header(&r, "request-id", v, sizeof v), rid);
    assert_string_equal(resp_header(&r, "Content-Type", v, sizeof v), "text/plain");
    assert_string_equal(resp_header(&r, "X-Echo", v, sizeof v), "yes");
    assert_non_null(resp_header(&r, "Date", v, sizeof v));
    assert_true(strlen(v) == 29 && strcmp(v + 25, " GMT") == 0);
    assert_null(resp_header(&r, "Connection", v, sizeof v));
    resp_free(&r);

    /* a second request gets a different request-id; a path without a query has query "" */
    tc_sends(&c, "GET /plain HTTP/1.1\r\nHost: example.test\r\n\r\n");
    must_read(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_field(&r, "query", "");
    assert_field(&r, "path", "/plain");
    assert_field(&r, "x-test", "(none)");
    char rid2[64];
    assert_non_null(echo_field(&r, "rid", rid2, sizeof rid2));
    assert_string_not_equal(rid, rid2);
    resp_free(&r);
    tc_close(&c);
    gc_http_stop(srv);
}

static void test_head_has_no_body(void **state)
{
    gc_http_config cfg = test_config();
    gc_http_server *srv = start(&cfg);
    tconn c = tc_open(srv);
    tc_sends(&c, "HEAD /h?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
    tresp r;
    must_read(&c, &r, true);
    assert_int_equal(r.status, 200);
    char v[64];
    assert_non_null(resp_header(&r, "Content-Length", v, sizeof v));
    assert_true(strtoul(v, NULL, 10) > 0); /* the length the GET would have */
    resp_free(&r);
    /* no body bytes follow: the next answer on the socket starts right away */
    tc_sends(&c, "GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
    must_read(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_field(&r, "method", "GET");
    assert_field(&r, "path", "/after");
    resp_free(&r);
    tc_close(&c);
    gc_http_stop(srv);
}

static void test_post_binary_body(void **state)
{
    gc_http_config cfg = test_config();
    gc_http_server *srv = start(&cfg);
    enum { N = 20000 };
    unsigned char *data = malloc(N);
    for (size_t i = 0; i < N; i++)
        data[i] = (unsigned char)(i * 7 % 256); /* includes NUL bytes */
    tconn c = tc_open(srv);
    char head[256];
    snprintf(head, sizeof head,
             "POST /created HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\n"
             "Content-Length: %d\r\n\r\n",
             N);
    tc_sends(&c, head);
    assert_true(tc_send(&c, data, N));
    tresp r;
    must_read(&c, &r, false);
    assert_int_equal(r.status, 201);
    assert_field(&r, "method", "POST");
    assert_field(&r, "len", "20000");
    assert_field(&r, "nul", "1");
    size_t bl;
    const char *b = echo_body(&r, &bl);
    assert_int_equal(bl, N);
    assert_memory_equal(b, data, N);
    resp_free(&r);

    /* a POST without a body: body NULL, length 0 */
    tc_sends(&c, "POST /empty HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
    must_read(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_field(&r, "len", "0");
    assert_field(&r, "bodynull", "1");
    resp_free(&r);
    free(data);
    tc_close(&c);
    gc_http_stop(srv);
}

static void test_chunked_body(void **state)
{
    gc_http_config cfg = test_config();
    gc_http_server *srv = start(&cfg);
    tconn c = tc_open(srv);
    tc_sends(&c, "PATCH /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
    char chunk[3000];
    for (int i = 0; i < 3; i++) {
        size_t n = 1000 + (size_t)i * 700;
        int hl = snprintf(chunk, sizeof chunk, "%zx\r\n", n);
        memset(chunk + hl, 'a' + i, n);
        memcpy(chunk + hl + n, "\r\n", 2);
        assert_true(tc_send(&c, chunk, (size_t)hl + n + 2));
    }
    tc_sends(&c, "0\r\n\r\n");
    tresp r;
    must_read(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_field(&r, "method", "PATCH");
    assert_field(&r, "len", "5100");
    size_t bl;
    const char *b = echo_body(&r, &bl);
    assert_int_equal(bl, 5100);
    assert_true(b[0] == 'a' && b[999] == 'a' && b[1000] == 'b' && b[2699] == 'b' &&
                b[2700] == 'c' && b[5099] == 'c');
    resp_free(&r);
    tc_close(&c);
    gc_http_stop(srv);
}

static void test_keepalive(void **state)
{
    gc_http_config cfg = test_config();
    gc_http_server *srv = start(&cfg);
    tconn c = tc_open(srv);
    tresp r;
    char v[64];
    tc_sends(&c, "GET /one HTTP/1.1\r\nHost: a\r\n\r\n");
    must_read(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_field(&r, "path", "/one");
    assert_null(resp_header(&r, "Connection", v, sizeof v));
    resp_free(&r);
    tc_sends(&c, "DELETE /two HTTP/1.1\r\nHost: a\r\n\r\n");
    must_read(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_field(&r, "method", "DELETE");
    assert_field(&r, "path", "/two");
    resp_free(&r);
    /* pipelined: two requests in one write, answered in order */
    tc_sends(&c, "POST /three HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                 "GET /four HTTP/1.1\r\nHost: a\r\n\r\n");
    must_read(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_field(&r, "path", "/three");
    assert_field(&r, "len", "3");
    resp_free(&r);
    must_read(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_field(&r, "path", "/four");
    resp_free(&r);
    assert_false(has_data_now(&c));
    tc_close(&c);
    gc_http_stop(srv);
}

static void test_slow_post_does_not_block_get(void **state)
{
    gc_http_config cfg = test_config(); /* one I/O thread: an inline POST would block the GET */
    gc_http_server *srv = start(&cfg);
    tconn a = tc_open(srv), b = tc_open(srv);
    tc_sends(&a, "POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi");
    wait_sem(&slow_started); /* the POST handler is running and holding its worker */
    tc_sends(&b, "GET /fast HTTP/1.1\r\nHost: a\r\n\r\n");
    tresp r;
    must_read(&b, &r, false);
    assert_int_equal(r.status, 200);
    assert_field(&r, "path", "/fast");
    resp_free(&r);
    /* the GET answer came while the POST handler is still blocked */
    assert_false(has_data_now(&a));
    sem_post(&slow_release);
    must_read(&a, &r, false);
    assert_int_equal(r.status, 200);
    assert_field(&r, "path", "/slow");
    assert_field(&r, "len", "2");
    resp_free(&r);
    /* the resumed connection stays usable */
    tc_sends(&a, "GET /again HTTP/1.1\r\nHost: a\r\n\r\n");
    must_read(&a, &r, false);
    assert_int_equal(r.status, 200);
    assert_field(&r, "path", "/again");
    resp_free(&r);
    tc_close(&a);
    tc_close(&b);
    gc_http_stop(srv);
}

static void test_many_writes_through_few_workers(void **state)
{
    gc_http_config cfg = test_config();
    cfg.workers = 2;
    cfg.io_threads = 2;
    gc_http_server *srv = start(&cfg);
    enum { CONNS = 6, ROUNDS = 20 };
    tconn c[CONNS];
    for (int i = 0; i < CONNS; i++)
        c[i] = tc_open(srv);
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < CONNS; i++) {
            char req[128];
            snprintf(req, sizeof req,
                     "PUT /w/%d/%d HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx", i, round);
            tc_sends(&c[i], req);
        }
        for (int i = 0; i < CONNS; i++) {
            tresp r;
            char want[32];
            must_read(&c[i], &r, false);
            assert_int_equal(r.status, 200);
            snprintf(want, sizeof want, "/w/%d/%d", i, round);
            assert_field(&r, "path", want);
            resp_free(&r);
        }
    }
    for (int i = 0; i < CONNS; i++)
        tc_close(&c[i]);
    gc_http_stop(srv);
}

static void test_413_content_length(void **state)
{
    gc_http_config cfg = test_config();
    cfg.max_body = 1024;
    gc_http_server *srv = start(&cfg);
    int handled0 = atomic_load(&n_handled);
    tconn c = tc_open(srv);
    /* only the headers are sent: the answer must not wait for the body */
    tc_sends(&c, "POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n");
    tresp r;
    char v[64];
    must_read(&c, &r, false);
    assert_int_equal(r.status, 413);
    assert_string_equal(resp_header(&r, "Content-Type", v, sizeof v), "application/json");
    assert_string_equal(resp_header(&r, "Connection", v, sizeof v), "close");
    assert_string_equal(r.body, "{\"error\":{\"code\":\"RequestEntityTooLarge\","
                                "\"method\":\"POST\",\"path\":\"/big\",\"ridlen\":36,"
                                "\"bodynull\":1}}");
    resp_free(&r);
    assert_true(at_eof(&c));
    tc_close(&c);
    assert_int_equal(atomic_load(&n_handled), handled0);

    /* the largest Content-Length there is */
    c = tc_open(srv);
    tc_sends(&c, "PUT /big HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551615\r\n\r\n");
    must_read(&c, &r, false);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body, "\"code\":\"RequestEntityTooLarge\",\"method\":\"PUT\""));
    resp_free(&r);
    tc_close(&c);
    /* one that overflows 64 bits is too large too, not malformed, and a Graph envelope */
    c = tc_open(srv);
    tc_sends(&c, "PUT /big HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n");
    must_read(&c, &r, false);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body, "\"code\":\"RequestEntityTooLarge\""));
    resp_free(&r);
    tc_close(&c);

    /* exactly the limit is fine */
    c = tc_open(srv);
    tc_sends(&c, "POST /edge HTTP/1.1\r\nHost: a\r\nContent-Length: 1024\r\n\r\n");
    char body[1024];
    memset(body, 'z', sizeof body);
    assert_true(tc_send(&c, body, sizeof body));
    must_read(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_field(&r, "len", "1024");
    resp_free(&r);
    tc_close(&c);
    gc_http_stop(srv);
}

static void send_chunks(tconn *c, size_t n_chunks, size_t chunk_len)
{
    char *chunk = malloc(chunk_len + 32);
    for (size_t i = 0; i < n_chunks; i++) {
        int hl = snprintf(chunk, 32, "%zx\r\n", chunk_len);
        memset(chunk + hl, 'q', chunk_len);
        memcpy(chunk + hl + chunk_len, "\r\n", 2);
        if (!tc_send(c, chunk, (size_t)hl + chunk_len + 2))
            break;
    }
    free(chunk);
}

static void test_413_chunked(void **state)
{
    gc_http_config cfg = test_config();
    cfg.max_body = 1024;
    gc_http_server *srv = start(&cfg);
    int handled0 = atomic_load(&n_handled);
    tconn c = tc_open(srv);
    tc_sends(&c, "POST /grow HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
    send_chunks(&c, 3, 600); /* 1800 bytes: past 1024 on the second chunk */
    tc_sends(&c, "0\r\n\r\n");
    tresp r;
    char v[64];
    must_read(&c, &r, false);
    assert_int_equal(r.status, 413);
    assert_string_equal(resp_header(&r, "Connection", v, sizeof v), "close");
    assert_non_null(strstr(r.body, "\"code\":\"RequestEntityTooLarge\""));
    assert_non_null(strstr(r.body, "\"path\":\"/grow\""));
    resp_free(&r);
    assert_true(at_eof(&c));
    tc_close(&c);

    /* far past the limit: the 413 goes out as soon as the limit is passed, and the rest of the
     * body is read and dropped (up to a bound) so the answer is not lost to a reset */
    c = tc_open(srv);
    tc_sends(&c, "POST /huge HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
    send_chunks(&c, 64, 1000);
    must_read(&c, &r, false);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body, "\"path\":\"/huge\""));
    resp_free(&r);
    assert_true(at_eof(&c));
    tc_close(&c);
    assert_int_equal(atomic_load(&n_handled), handled0);
    gc_http_stop(srv);
}

/* A GET of a target_len-byte target ("/uuu..."; 0: "/h") with "Host: a\r\n" (9 bytes) plus
 * n_headers "Xnnnn: <fill>\r\n" headers of header_len bytes each. */
static void get_with_target_and_headers(gc_http_server *srv, size_t target_len, size_t n_headers,
                                        size_t header_len, tresp *r)
{
    size_t total = 64 + target_len + n_headers * header_len;
    char *req = malloc(total);
    size_t off = (size_t)snprintf(req, total, "GET /");
    if (target_len == 0)
        req[off++] = 'h';
    else {
        memset(req + off, 'u', target_len - 1);
        off += target_len - 1;
    }
    off += (size_t)snprintf(req + off, total - off, " HTTP/1.1\r\nHost: a\r\n");
    for (size_t i = 0; i < n_headers; i++) {
        off += (size_t)snprintf(req + off, total - off, "X%04zu: ", i);
        size_t fill = header_len - 7 - 2; /* "Xnnnn: " and CRLF */
        memset(req + off, 'v', fill);
        off += fill;
        memcpy(req + off, "\r\n", 2);
        off += 2;
    }
    memcpy(req + off, "\r\n", 3);
    tconn c = tc_open(srv);
    tc_sends(&c, req);
    must_read(&c, r, false);
    tc_close(&c);
    free(req);
}

static void get_with_headers(gc_http_server *srv, size_t n_headers, size_t header_len, tresp *r)
{
    get_with_target_and_headers(srv, 0, n_headers, header_len, r);
}

static void get_with_target_len(gc_http_server *srv, size_t len, tresp *r)
{
    get_with_target_and_headers(srv, len, 0, 0, r);
}

static void test_414(void **state)
{
    gc_http_config cfg = test_config(); /* max_url 0: the 32 KiB default */
    gc_http_server *srv = start(&cfg);
    tresp r;
    get_with_target_len(srv, 32768, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    get_with_target_len(srv, 32769, &r);
    assert_int_equal(r.status, 414);
    assert_non_null(strstr(r.body, "\"code\":\"RequestUriTooLong\""));
    assert_non_null(strstr(r.body, "\"method\":\"GET\""));
    resp_free(&r);
    gc_http_stop(srv);

    cfg.max_url = 100;
    srv = start(&cfg);
    get_with_target_len(srv, 100, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    get_with_target_len(srv, 101, &r);
    assert_int_equal(r.status, 414);
    assert_non_null(strstr(r.body, "\"code\":\"RequestUriTooLong\""));
    resp_free(&r);
    gc_http_stop(srv);
}

static void test_431(void **state)
{
    gc_http_config cfg = test_config(); /* max_headers 0: the 32 KiB default */
    gc_http_server *srv = start(&cfg);
    tresp r;
    get_with_headers(srv, 1, 32768 - 9, &r); /* exactly 32 KiB of headers */
    assert_int_equal(r.status, 200);
    resp_free(&r);
    get_with_headers(srv, 1, 32768 - 8, &r);
    assert_int_equal(r.status, 431);
    assert_non_null(strstr(r.body, "\"code\":\"RequestHeaderFieldsTooLarge\""));
    resp_free(&r);
    /* many tiny headers under the limits (32 KiB, 1,024 fields) reach the handler */
    get_with_headers(srv, 1000, 11, &r);
    assert_int_equal(r.status, 200);
    assert_field(&r, "headers", "1001");
    resp_free(&r);
    /* 3000 headers: past the field count, a 431 in a Graph envelope, and the server goes on */
    get_with_headers(srv, 3000, 11, &r);
    assert_int_equal(r.status, 431);
    assert_non_null(strstr(r.body, "\"code\":\"RequestHeaderFieldsTooLarge\""));
    resp_free(&r);
    /* the largest request the limits allow: a 32 KiB target and 32 KiB of headers together */
    get_with_target_and_headers(srv, 32768, 1, 32768 - 9, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    get_with_headers(srv, 64, 600, &r); /* many medium headers: 38 KB */
    assert_int_equal(r.status, 431);
    assert_non_null(strstr(r.body, "\"code\":\"RequestHeaderFieldsTooLarge\""));
    resp_free(&r);
    gc_http_stop(srv);
}

static void test_raw_target(void **state)
{
    gc_http_config cfg = test_config();
    gc_http_server *srv = start(&cfg);
    tconn c = tc_open(srv);
    tresp r;
    tc_sends(&c, "GET /a%20b/c%2Fd?x=%27y%27&z=%2B+1 HTTP/1.1\r\nHost: a\r\n\r\n");
    must_read(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_field(&r, "raw", "/a%20b/c%2Fd?x=%27y%27&z=%2B+1");
    assert_field(&r, "path", "/a%20b/c%2Fd");
    assert_field(&r, "query", "x=%27y%27&z=%2B+1");
    resp_free(&r);

    /* as Microsoft's PFX import tool sends it: raw spaces and quotes in the request line */
    tc_sends(&c, "GET /beta/deviceManagement/userPfxCertificates?$filter=tolower(x) eq 'a' "
                 "and tolower(y) eq 'B c' HTTP/1.1\r\nHost: graph\r\n\r\n");
    must_read(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_field(&r, "raw", "/beta/deviceManagement/userPfxCertificates?$filter=tolower(x) eq 'a' "
                            "and tolower(y) eq 'B c'");
    assert_field(&r, "path", "/beta/deviceManagement/userPfxCertificates");
    assert_field(&r, "query", "$filter=tolower(x) eq 'a' and tolower(y) eq 'B c'");
    assert_field(&r, "host", "graph");
    resp_free(&r);

    /* only the first '?' splits */
    tc_sends(&c, "GET /q?a=?b HTTP/1.1\r\nHost: a\r\n\r\n");
    must_read(&c, &r, false);
    assert_field(&r, "path", "/q");
    assert_field(&r, "query", "a=?b");
    resp_free(&r);
    tc_close(&c);
    gc_http_stop(srv);
}

static void test_port_zero_and_busy_port(void **state)
{
    gc_http_config cfg = test_config();
    gc_http_server *a = start(&cfg), *b = start(&cfg);
    assert_int_not_equal(gc_http_port(a), gc_http_port(b));

    gc_http_config busy = test_config();
    busy.port = gc_http_port(a);
    gc_http_server *c = NULL;
    gc_err err = {0};
    assert_int_equal(gc_http_start(&busy, &echo, &c, &err), -1);
    assert_null(c);
    char want[64];
    snprintf(want, sizeof want, "port %u", (unsigned)busy.port);
    assert_non_null(strstr(err.message, want));
    assert_non_null(strstr(err.message, "in use"));

    gc_http_config bad = test_config();
    bad.listen_host = "not an address";
    assert_int_equal(gc_http_start(&bad, &echo, &c, &err), -1);
    assert_non_null(strstr(err.message, "'not an address'"));
    gc_http_stop(b);
    gc_http_stop(a);
}

typedef struct stopper {
    gc_http_server *srv;
    atomic_bool done;
} stopper;

static void *stop_thread(void *arg)
{
    stopper *s = arg;
    gc_http_stop(s->srv);
    atomic_store(&s->done, true);
    return NULL;
}

static void test_graceful_stop(void **state)
{
    gc_http_config cfg = test_config();
    gc_http_server *srv = start(&cfg);
    unsigned short port = gc_http_port(srv);
    tconn idle = tc_open(srv); /* an idle keep-alive connection does not hold the stop up */
    tresp r;
    tc_sends(&idle, "GET /warm HTTP/1.1\r\nHost: a\r\n\r\n");
    must_read(&idle, &r, false);
    resp_free(&r);

    tconn c = tc_open(srv);
    tc_sends(&c, "POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody");
    wait_sem(&slow_started);
    stopper s = {.srv = srv};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, stop_thread, &s), 0);
    /* wait until the server no longer accepts: the stop has begun */
    bool refused = false;
    for (int i = 0; i < 1000 && !refused; i++) {
        int fd = connect_to(AF_INET, "127.0.0.1", port);
        if (fd < 0 && errno == ECONNREFUSED)
            refused = true;
        else {
            if (fd >= 0)
                close(fd);
            usleep(5000);
        }
    }
    assert_true(refused);
    assert_false(atomic_load(&s.done)); /* still waiting for the POST */
    sem_post(&slow_release);
    must_read(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_field(&r, "path", "/slow");
    assert_field(&r, "len", "4");
    char v[32];
    assert_string_equal(resp_header(&r, "Connection", v, sizeof v), "close");
    resp_free(&r);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(atomic_load(&s.done));
    assert_true(at_eof(&idle));
    tc_close(&c);
    tc_close(&idle);
}

static void test_access_log(void **state)
{
    const char *tmp = getenv("GC_TEST_TMP");
    char path[512];
    snprintf(path, sizeof path, "%s/http_access_%d.log", tmp ? tmp : "/tmp", (int)getpid());
    if (tmp)
        mkdir(tmp, 0700);
    fflush(stderr);
    int saved = dup(2);
    FILE *f = fopen(path, "w+");
    assert_non_null(f);
    dup2(fileno(f), 2);
    gc_log_set_level(GC_LOG_INFO);

    gc_http_config cfg = test_config();
    gc_http_server *srv = start(&cfg);
    tconn c = tc_open(srv);
    tc_sends(&c, "POST /logme/x?secretquery=1 HTTP/1.1\r\nHost: a\r\n"
                 "Authorization: Bearer SECRETTOKEN\r\nContent-Length: 10\r\n\r\nSECRETBODY");
    tresp r;
    must_read(&c, &r, false);
    assert_int_equal(r.status, 200);
    char rid[64];
    assert_non_null(echo_field(&r, "rid", rid, sizeof rid));
    resp_free(&r);
    tc_close(&c);
    gc_http_stop(srv); /* completion (and its log line) happens before stop returns */

    fflush(stderr);
    gc_log_set_level(GC_LOG_WARN);
    dup2(saved, 2);
    close(saved);
    fseek(f, 0, SEEK_SET);
    static char log[65536];
    size_t n = fread(log, 1, sizeof log - 1, f);
    log[n] = '\0';
    fclose(f);
    unlink(path);
    char want[128];
    snprintf(want, sizeof want, "\"request-id\":\"%s\"", rid);
    assert_non_null(strstr(log, want));
    assert_non_null(strstr(log, "\"type\":\"access\""));
    assert_non_null(strstr(log, "\"tenant\":\"tenant-1\""));
    assert_non_null(strstr(log, "\"method\":\"POST\""));
    assert_non_null(strstr(log, "\"path\":\"/logme/x\""));
    assert_non_null(strstr(log, "\"status\":200"));
    assert_null(strstr(log, "SECRETTOKEN"));
    assert_null(strstr(log, "SECRETBODY"));
    assert_null(strstr(log, "secretquery"));
}

static void test_ipv6(void **state)
{
    gc_http_config cfg = test_config();
    cfg.listen_host = "::1";
    gc_http_server *srv = NULL;
    gc_err err = {0};
    if (gc_http_start(&cfg, &echo, &srv, &err) != 0) {
        fprintf(stderr, "skipping IPv6 test: %s\n", err.message);
        skip();
    }
    tconn c = {0};
    c.fd = connect_to(AF_INET6, "::1", gc_http_port(srv));
    assert_true(c.fd >= 0);
    tc_sends(&c, "GET /v6 HTTP/1.1\r\nHost: [::1]\r\n\r\n");
    tresp r;
    must_read(&c, &r, false);
    assert_int_equal(r.status, 200);
    assert_field(&r, "host", "[::1]");
    resp_free(&r);
    tc_close(&c);
    gc_http_stop(srv);

    cfg.listen_host = "[::]"; /* dual stack: IPv4 clients reach it too */
    assert_int_equal(gc_http_start(&cfg, &echo, &srv, &err), 0);
    c = tc_open(srv);
    tc_sends(&c, "GET /v4 HTTP/1.1\r\nHost: a\r\n\r\n");
    must_read(&c, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    tc_close(&c);
    gc_http_stop(srv);
}

static int run_quiet(const char *cmd)
{
    int rc = system(cmd);
    return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static void test_tls(void **state)
{
    gc_http_config cfg = test_config();
    gc_http_server *srv = NULL;
    gc_err err = {0};
    cfg.tls_cert_file = "/nonexistent/cert.pem";
    cfg.tls_key_file = "/nonexistent/key.pem";
    assert_int_equal(gc_http_start(&cfg, &echo, &srv, &err), -1);
    assert_non_null(strstr(err.message, "'/nonexistent/cert.pem'"));
    cfg.tls_key_file = NULL;
    assert_int_equal(gc_http_start(&cfg, &echo, &srv, &err), -1);
    assert_string_equal(err.target, "tls_key_file");

    if (access("/usr/bin/openssl", X_OK) != 0 || access("/usr/bin/curl", X_OK) != 0) {
        fprintf(stderr, "skipping TLS round trip: openssl or curl missing\n");
        skip();
    }
    const char *tmp = getenv("GC_TEST_TMP");
    char dir[512], cert[600], key[600], cmd[2048];
    snprintf(dir, sizeof dir, "%s/http_tls_%d", tmp ? tmp : "/tmp", (int)getpid());
    if (tmp)
        mkdir(tmp, 0700);
    mkdir(dir, 0700);
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
             "-keyout '%s' -out '%s' -days 1 -subj /CN=localhost >/dev/null 2>&1",
             key, cert);
    assert_int_equal(run_quiet(cmd), 0);

    /* the key file unreadable: the error names it */
    cfg.tls_cert_file = cert;
    cfg.tls_key_file = dir; /* a directory */
    assert_int_equal(gc_http_start(&cfg, &echo, &srv, &err), -1);
    assert_non_null(strstr(err.message, dir));

    /* readable but not a certificate: refused, and the message says which file is wrong */
    cfg.tls_cert_file = key;
    cfg.tls_key_file = key;
    assert_int_equal(gc_http_start(&cfg, &echo, &srv, &err), -1);
    assert_non_null(strstr(err.message, "the TLS certificate is not PEM"));
    assert_string_equal(err.target, "tls_cert_file");

    cfg.tls_cert_file = cert;
    cfg.tls_key_file = key;
    srv = start(&cfg);
    snprintf(cmd, sizeof cmd,
             "curl -sk --max-time 10 -H 'X-Test: tls' 'https://127.0.0.1:%u/tls?x=%%27q%%27'",
             (unsigned)gc_http_port(srv));
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char out[4096];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int rc = pclose(p);
    assert_int_equal(WEXITSTATUS(rc), 0);
    assert_non_null(strstr(out, "scheme=https\n"));
    assert_non_null(strstr(out, "raw=/tls?x=%27q%27\n"));
    assert_non_null(strstr(out, "x-test=tls\n"));

    /* a write goes through a worker and a resumed TLS connection */
    snprintf(cmd, sizeof cmd,
             "curl -sk --max-time 10 --data-binary 'abc' 'https://127.0.0.1:%u/w'",
             (unsigned)gc_http_port(srv));
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    rc = pclose(p);
    assert_int_equal(WEXITSTATUS(rc), 0);
    assert_non_null(strstr(out, "method=POST\n"));
    assert_non_null(strstr(out, "len=3\n"));
    assert_non_null(strstr(out, "\n\nabc"));
    gc_http_stop(srv);
    unlink(cert);
    unlink(key);
    rmdir(dir);
}

static int setup(void **state)
{
    gc_log_set_level(GC_LOG_WARN);
    sem_init(&slow_started, 0, 0);
    sem_init(&slow_release, 0, 0);
    return 0;
}

static int teardown(void **state)
{
    sem_destroy(&slow_started);
    sem_destroy(&slow_release);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_helpers),
        cmocka_unit_test(test_get_inline),
        cmocka_unit_test(test_head_has_no_body),
        cmocka_unit_test(test_post_binary_body),
        cmocka_unit_test(test_chunked_body),
        cmocka_unit_test(test_keepalive),
        cmocka_unit_test(test_slow_post_does_not_block_get),
        cmocka_unit_test(test_many_writes_through_few_workers),
        cmocka_unit_test(test_413_content_length),
        cmocka_unit_test(test_413_chunked),
        cmocka_unit_test(test_414),
        cmocka_unit_test(test_431),
        cmocka_unit_test(test_raw_target),
        cmocka_unit_test(test_port_zero_and_busy_port),
        cmocka_unit_test(test_graceful_stop),
        cmocka_unit_test(test_access_log),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_tls),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
