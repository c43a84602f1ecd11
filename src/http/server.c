/* The libmicrohttpd adapter. I/O threads run GET/HEAD handlers inline; other methods are
 * suspended and handed to blocking worker threads, which fill the response and resume the
 * connection for the I/O thread to send. Limits (413/414/431) are answered through the error
 * hook. MHD 0.9.75 cannot answer mid-body, so a chunked body past max_body is read and dropped
 * (at most 16 MiB or max_body more bytes, else the connection is cut) before its 413 goes out. */
#include "http/http.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

#define DEFAULT_MAX_BODY ((size_t)4 << 20)
#define DEFAULT_MAX_URL ((size_t)32 << 10)
#define DEFAULT_MAX_HEADERS ((size_t)32 << 10)
#define DEFAULT_WORKERS 64u
#define MAX_PEM_BYTES ((off_t)1 << 20)
/* Bytes of an over-long chunked body read and dropped before the 413 (see PH_DRAIN). */
#define DRAIN_MAX ((size_t)16 << 20)
/* Idle keep-alive and stalled connections are closed after this many seconds. */
#define CONNECTION_TIMEOUT_S 60u
/* gc_http_stop waits this long for requests (headers in) still being read or answered; it
 * always waits for those held by workers. */
#define STOP_GRACE_S 10

typedef enum req_phase {
    PH_NEW,    /* request line seen; the access handler has not run yet */
    PH_BODY,   /* headers accepted; collecting the body */
    PH_DRAIN,  /* body over max_body: reading and dropping the rest before the 413 */
    PH_WORKER, /* suspended, owned by a worker thread */
    PH_READY,  /* the worker filled resp; queue it on the next access-handler call */
    PH_QUEUED, /* a response is queued */
} req_phase;

typedef struct req_ctx {
    gc_http_server *srv;
    struct MHD_Connection *conn;
    gc_arena *arena;
    gc_http_req req;
    gc_http_resp resp;
    struct timespec start;
    req_phase phase;
    unsigned char *body; /* arena-owned, body_cap bytes */
    size_t body_cap;
    size_t drained;
    int status;          /* status queued, 0 until then */
    bool counted;        /* included in srv->in_flight */
    struct req_ctx *next; /* worker queue link */
} req_ctx;

struct gc_http_server {
    struct MHD_Daemon *daemon;
    gc_http_handler handler;
    size_t max_body, max_url, max_headers;
    bool tls;
    int listen_fd;
    bool listen_fd_ours; /* MHD_quiesce_daemon handed the socket back to us */
    unsigned short port;
    char *cert_pem, *key_pem;
    size_t key_pem_len;
    char start_msg[256]; /* MHD's first complaint while starting, for the error message */
    atomic_bool started;
    atomic_bool stopping; /* answers carry "Connection: close" */

    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* a job was queued, or quit */
    pthread_cond_t idle_cv; /* in_flight or suspended went down */
    bool sync_ready;
    req_ctx *q_head, *q_tail;
    bool quit;
    bool closing;     /* no more hand-offs to workers: new writes get 503 */
    atomic_size_t in_flight; /* requests between complete headers and completion; atomic, so
                                the per-request count takes no lock that I/O threads share */
    size_t suspended; /* requests handed to workers and not yet resumed */
    pthread_t *workers;
    unsigned n_workers;
};

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p) {
        fputs("graphcerts: out of memory\n", stderr);
        abort();
    }
    return p;
}

static double ms_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) * 1000.0 +
           (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

/* ---- MHD callbacks: logging ---- */

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    gc_http_server *srv = cls;
    char msg[256];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    if (!atomic_load(&srv->started)) { /* MHD_start_daemon is running: keep it for gc_err */
        pthread_mutex_lock(&srv->mu);
        if (srv->start_msg[0] == '\0') /* the first complaint names the cause */
            memcpy(srv->start_msg, msg, n + 1);
        pthread_mutex_unlock(&srv->mu);
        return;
    }
    /* connection-level chatter (clients hanging up, timeouts): useful only when debugging */
    gc_log(GC_LOG_DEBUG, NULL, "libmicrohttpd: %s", msg);
}

/* ---- building requests ---- */

typedef struct header_fill {
    gc_arena *arena;
    gc_http_header *out;
    size_t n, cap, bytes;
} header_fill;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      size_t key_size, const char *value, size_t value_size)
{
    header_fill *f = cls;
    if (f->n >= f->cap)
        return MHD_NO;
    f->out[f->n].name = gc_arena_strndup(f->arena, key, key_size);
    f->out[f->n].value = gc_arena_strndup(f->arena, value ? value : "", value ? value_size : 0);
    f->n++;
    f->bytes += key_size + 2 + value_size + 2; /* "name: value\r\n" as sent */
    return MHD_YES;
}

/* Fills method, headers and host; returns the header bytes. */
static size_t fill_request(req_ctx *rc, const char *method)
{
    gc_http_req *req = &rc->req;
    req->method = gc_arena_strdup(rc->arena, method);
    int n = MHD_get_connection_values_n(rc->conn, MHD_HEADER_KIND, NULL, NULL);
    header_fill f = {.arena = rc->arena, .cap = n > 0 ? (size_t)n : 0};
    if (f.cap > 0) {
        f.out = gc_arena_alloc(rc->arena, f.cap * sizeof *f.out);
        MHD_get_connection_values_n(rc->conn, MHD_HEADER_KIND, collect_header, &f);
    }
    req->headers = f.out;
    req->n_headers = f.n;
    const char *host = gc_http_req_header(req, "Host");
    req->host = host ? host : "";
    return f.bytes;
}

/* Content-Length as sent: 0 and the value, or -1 when absent or not a plain decimal. */
static int content_length(const gc_http_req *req, unsigned long long *out)
{
    const char *s = gc_http_req_header(req, "Content-Length");
    if (!s)
        return -1;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE)
        v = ULLONG_MAX; /* absurdly large is still "too large" */
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* ---- answering ---- */

static bool is_inline_method(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

static void reset_resp(gc_http_resp *resp)
{
    memset(resp, 0, sizeof *resp);
    resp->status = 500;
}

/* The handler runs with the request's arena in jansson's scope (core/arena.h): the values it
 * makes are carved from the arena and go with it, not one malloc and free each. */
static void run_handler(req_ctx *rc)
{
    reset_resp(&rc->resp);
    gc_arena *outer = gc_arena_json_scope(rc->arena);
    rc->srv->handler.handle(rc->srv->handler.ctx, &rc->req, &rc->resp);
    gc_arena_json_scope(outer);
}

static enum MHD_Result queue_resp(req_ctx *rc, bool must_close)
{
    gc_http_resp *resp = &rc->resp;
    int status = resp->status;
    if (status < 200 || status > 599) {
        gc_log(GC_LOG_ERROR, rc->req.request_id, "handler answered invalid status %d", status);
        status = 500;
    }
    struct MHD_Response *r;
    if (resp->body && resp->body_len > 0)
        r = MHD_create_response_from_buffer(resp->body_len, resp->body, MHD_RESPMEM_MUST_COPY);
    else
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) {
        gc_log(GC_LOG_ERROR, rc->req.request_id, "cannot create the response");
        return MHD_NO;
    }
    if (resp->content_type &&
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type) != MHD_YES)
        gc_log(GC_LOG_WARN, rc->req.request_id, "dropped an invalid Content-Type");
    for (size_t i = 0; i < resp->n_headers && i < GC_HTTP_MAX_RESP_HEADERS; i++) {
        const gc_http_header *h = &resp->headers[i];
        if (!h->name || !h->value || MHD_add_response_header(r, h->name, h->value) != MHD_YES)
            gc_log(GC_LOG_WARN, rc->req.request_id, "dropped invalid response header %s",
                   h->name ? h->name : "(null)");
    }
    if (must_close || atomic_load(&rc->srv->stopping))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(rc->conn, (unsigned)status, r);
    MHD_destroy_response(r);
    if (ret == MHD_YES) {
        rc->status = status;
        rc->phase = PH_QUEUED;
    } else {
        gc_log(GC_LOG_ERROR, rc->req.request_id, "cannot queue the response");
    }
    return ret;
}

/* An answer the adapter decided on: the handler's error hook fills the body. */
static enum MHD_Result answer_error(req_ctx *rc, gc_errkind kind, const char *message,
                                    bool must_close)
{
    rc->req.body = NULL;
    rc->req.body_len = 0;
    reset_resp(&rc->resp);
    rc->resp.status = gc_err_http_status(kind);
    gc_arena *outer = gc_arena_json_scope(rc->arena);
    rc->srv->handler.error(rc->srv->handler.ctx, &rc->req, kind, message, &rc->resp);
    gc_arena_json_scope(outer);
    return queue_resp(rc, must_close);
}

/* ---- worker pool ---- */

static void *worker_main(void *arg)
{
    gc_http_server *srv = arg;
    pthread_mutex_lock(&srv->mu);
    for (;;) {
        while (!srv->q_head && !srv->quit)
            pthread_cond_wait(&srv->work_cv, &srv->mu);
        req_ctx *rc = srv->q_head;
        if (!rc)
            break;
        srv->q_head = rc->next;
        if (!srv->q_head)
            srv->q_tail = NULL;
        pthread_mutex_unlock(&srv->mu);

        struct MHD_Connection *conn = rc->conn;
        run_handler(rc);
        rc->phase = PH_READY;
        /* rc may be freed by the I/O thread from here on */
        MHD_resume_connection(conn);

        pthread_mutex_lock(&srv->mu);
        srv->suspended--;
        pthread_cond_broadcast(&srv->idle_cv);
    }
    pthread_mutex_unlock(&srv->mu);
    return NULL;
}

static enum MHD_Result hand_to_worker(req_ctx *rc)
{
    gc_http_server *srv = rc->srv;
    pthread_mutex_lock(&srv->mu);
    if (srv->closing) {
        pthread_mutex_unlock(&srv->mu);
        return answer_error(rc, GC_E_UNAVAILABLE, "The server is shutting down.", true);
    }
    srv->suspended++; /* counted before suspending: gc_http_stop never misses a suspension */
    pthread_mutex_unlock(&srv->mu);

    rc->phase = PH_WORKER;
    MHD_suspend_connection(rc->conn); /* before a worker can see it, so resume follows suspend */

    pthread_mutex_lock(&srv->mu);
    rc->next = NULL;
    if (srv->q_tail)
        srv->q_tail->next = rc;
    else
        srv->q_head = rc;
    srv->q_tail = rc;
    pthread_cond_signal(&srv->work_cv);
    pthread_mutex_unlock(&srv->mu);
    return MHD_YES;
}

/* ---- the request life cycle ---- */

/* Runs first, as soon as the request line is parsed: uri is the target before any decoding. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    gc_http_server *srv = cls;
    req_ctx *rc = xcalloc(1, sizeof *rc);
    rc->srv = srv;
    rc->conn = conn;
    rc->arena = gc_arena_new();
    clock_gettime(CLOCK_MONOTONIC, &rc->start);
    gc_http_req *req = &rc->req;
    req->arena = rc->arena;
    req->raw_target = gc_arena_strdup(rc->arena, uri ? uri : "");
    const char *q = strchr(req->raw_target, '?');
    if (q) {
        req->path = gc_arena_strndup(rc->arena, req->raw_target, (size_t)(q - req->raw_target));
        req->query = q + 1;
    } else {
        req->path = req->raw_target;
        req->query = "";
    }
    req->method = "";
    req->host = "";
    req->scheme = srv->tls ? "https" : "http";
    gc_guid_v4_fast(req->request_id);
    reset_resp(&rc->resp);
    rc->phase = PH_NEW;
    return rc;
}

/* The first access-handler call: headers are in. A response queued now makes MHD skip the
 * body and close the connection afterwards. */
static enum MHD_Result begin_request(req_ctx *rc, const char *method)
{
    gc_http_server *srv = rc->srv;
    /* in flight from here: a client still sending its headers does not hold up gc_http_stop */
    atomic_fetch_add(&srv->in_flight, 1);
    rc->counted = true;
    size_t header_bytes = fill_request(rc, method);
    char msg[128];
    if (strlen(rc->req.raw_target) > srv->max_url) {
        snprintf(msg, sizeof msg, "The request URL is longer than %zu bytes.", srv->max_url);
        return answer_error(rc, GC_E_URI_TOO_LONG, msg, true);
    }
    if (header_bytes > srv->max_headers) {
        snprintf(msg, sizeof msg, "The request headers are larger than %zu bytes.",
                 srv->max_headers);
        return answer_error(rc, GC_E_HEADERS_TOO_LARGE, msg, true);
    }
    if (rc->req.raw_target[0] == '\0')
        return answer_error(rc, GC_E_BAD_REQUEST, "The request has no target.", true);
    unsigned long long len;
    if (content_length(&rc->req, &len) == 0) {
        if (len > srv->max_body) {
            snprintf(msg, sizeof msg, "The request body is larger than %zu bytes.", srv->max_body);
            return answer_error(rc, GC_E_TOO_LARGE, msg, true);
        }
        if (len > 0) {
            rc->body_cap = (size_t)len + 1;
            rc->body = gc_arena_alloc(rc->arena, rc->body_cap);
        }
    }
    rc->phase = PH_BODY;
    return MHD_YES;
}

static void take_body(req_ctx *rc, const char *data, size_t n)
{
    gc_http_server *srv = rc->srv;
    if (n > srv->max_body - rc->req.body_len) {
        rc->phase = PH_DRAIN;
        rc->drained = n;
        return;
    }
    size_t need = rc->req.body_len + n + 1;
    if (need > rc->body_cap) {
        size_t cap = rc->body_cap > 0 ? rc->body_cap : 1024;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        if (cap > srv->max_body + 1)
            cap = srv->max_body + 1;
        unsigned char *grown = gc_arena_alloc(rc->arena, cap);
        if (rc->req.body_len > 0)
            memcpy(grown, rc->body, rc->req.body_len);
        rc->body = grown;
        rc->body_cap = cap;
    }
    memcpy(rc->body + rc->req.body_len, data, n);
    rc->req.body_len += n;
}

/* The last access-handler call for the request: the body is complete. */
static enum MHD_Result finish_request(req_ctx *rc)
{
    if (rc->req.body_len > 0) {
        rc->body[rc->req.body_len] = '\0';
        rc->req.body = rc->body;
    }
    if (is_inline_method(rc->req.method)) {
        run_handler(rc);
        return queue_resp(rc, false);
    }
    return hand_to_worker(rc);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    gc_http_server *srv = cls;
    req_ctx *rc = *con_cls;
    if (!rc) /* on_uri runs for every request; without it there is nothing to answer with */
        return MHD_NO;
    switch (rc->phase) {
    case PH_NEW:
        return begin_request(rc, method);
    case PH_BODY:
        if (*upload_data_size > 0) {
            take_body(rc, upload_data, *upload_data_size);
            *upload_data_size = 0;
            return MHD_YES;
        }
        return finish_request(rc);
    case PH_DRAIN:
        if (*upload_data_size > 0) {
            rc->drained += *upload_data_size;
            *upload_data_size = 0;
            size_t received = rc->req.body_len + rc->drained;
            /* read and drop up to DRAIN_MAX (or max_body, when larger) past the limit, so
             * clients that stream a chunked body still get their 413 */
            size_t allowance = srv->max_body > DRAIN_MAX ? srv->max_body : DRAIN_MAX;
            if (received - srv->max_body > allowance) {
                gc_log(GC_LOG_INFO, rc->req.request_id,
                       "request body far over the limit: connection closed");
                return MHD_NO;
            }
            return MHD_YES;
        } else {
            char msg[128];
            snprintf(msg, sizeof msg, "The request body is larger than %zu bytes.", srv->max_body);
            return answer_error(rc, GC_E_TOO_LARGE, msg, true);
        }
    case PH_READY:
        return queue_resp(rc, false);
    case PH_WORKER:
    case PH_QUEUED:
        *upload_data_size = 0;
        return MHD_YES;
    }
    return MHD_NO;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    gc_http_server *srv = cls;
    req_ctx *rc = *con_cls;
    if (!rc)
        return;
    *con_cls = NULL;
    if (rc->status != 0)
        gc_log_access(rc->req.request_id, rc->resp.tenant, rc->req.method, rc->req.path,
                      rc->status, ms_since(&rc->start));
    else
        gc_log(GC_LOG_DEBUG, rc->req.request_id, "request ended without an answer (reason %d)",
               (int)toe);
    bool counted = rc->counted;
    gc_arena_free(rc->arena);
    free(rc);
    if (!counted)
        return;
    /* gc_http_stop sets stopping before it reads in_flight (both sequentially consistent): the
     * last request to finish either sees stopping and wakes it, or finished before it looked */
    if (atomic_fetch_sub(&srv->in_flight, 1) == 1 && atomic_load(&srv->stopping)) {
        pthread_mutex_lock(&srv->mu);
        pthread_cond_broadcast(&srv->idle_cv);
        pthread_mutex_unlock(&srv->mu);
    }
}

/* graphcerts reads the raw request target (on_uri) and decodes it itself; libmicrohttpd's own
 * percent-decoding of the URL and its query arguments would be work thrown away. */
static size_t keep_escaped(void *cls, struct MHD_Connection *conn, char *uri)
{
    (void)cls;
    (void)conn;
    return strlen(uri);
}

/* ---- start and stop ---- */

static int read_pem(const char *path, const char *what, char **out, size_t *out_len, gc_err *err)
{
    int result = -1;
    char *buf = NULL;
    size_t size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        gc_err_set(err, GC_E_INTERNAL, what, "cannot read TLS %s file '%s': %s", what, path,
                   strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > MAX_PEM_BYTES) {
        gc_err_set(err, GC_E_INTERNAL, what,
                   "cannot read TLS %s file '%s': not a regular file of 1 byte to 1 MiB", what,
                   path);
        goto done;
    }
    size = (size_t)st.st_size;
    buf = xcalloc(1, size + 1);
    for (size_t got = 0; got < size;) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            gc_err_set(err, GC_E_INTERNAL, what, "cannot read TLS %s file '%s': %s", what, path,
                       r < 0 ? strerror(errno) : "the file shrank while being read");
            goto done;
        }
        got += (size_t)r;
    }
    *out = buf;
    *out_len = size;
    buf = NULL;
    result = 0;
done:
    if (buf) /* may hold part of a private key */
        explicit_bzero(buf, size);
    free(buf);
    if (fd >= 0)
        close(fd);
    return result;
}

static bool is_ipv6_any(const struct sockaddr *sa)
{
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
    return sa->sa_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr);
}

/* Binds and listens ourselves (MHD only reports "failed"): errors name the address and errno.
 * "::" listens dual-stack; "[::1]" is accepted as "::1"; NULL or "" means 0.0.0.0. */
static int open_listener(gc_http_server *srv, const char *host, unsigned short port, gc_err *err)
{
    int result = -1, fd = -1;
    struct addrinfo *res = NULL;
    char name[256];
    if (!host || !*host)
        host = "0.0.0.0";
    size_t hl = strlen(host);
    if (hl >= sizeof name)
        return gc_err_set(err, GC_E_INTERNAL, "listen_host", "listen address too long");
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']')
        snprintf(name, sizeof name, "%.*s", (int)(hl - 2), host + 1);
    else
        snprintf(name, sizeof name, "%s", host);
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    int g = getaddrinfo(name, service, &hints, &res);
    if (g != 0 || !res) {
        gc_err_set(err, GC_E_INTERNAL, "listen_host", "cannot resolve listen address '%s': %s",
                   host, g != 0 ? gai_strerror(g) : "no address");
        goto done;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        gc_err_set(err, GC_E_INTERNAL, "listen_host", "cannot listen on %s port %u: %s", host,
                   (unsigned)port, strerror(errno));
        goto done;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (res->ai_family == AF_INET6) {
        int v6only = is_ipv6_any(res->ai_addr) ? 0 : 1;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    }
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
        gc_err_set(err, GC_E_INTERNAL, "listen_host", "cannot listen on %s port %u: %s", host,
                   (unsigned)port, strerror(errno));
        goto done;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        gc_err_set(err, GC_E_INTERNAL, "listen_host", "cannot read the listening port: %s",
                   strerror(errno));
        goto done;
    }
    srv->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    srv->listen_fd = fd;
    fd = -1;
    result = 0;
done:
    if (fd >= 0)
        close(fd);
    if (res)
        freeaddrinfo(res);
    return result;
}

static void server_free(gc_http_server *srv)
{
    if (srv->sync_ready) {
        pthread_mutex_lock(&srv->mu);
        srv->quit = true;
        pthread_cond_broadcast(&srv->work_cv);
        pthread_mutex_unlock(&srv->mu);
        for (unsigned i = 0; i < srv->n_workers; i++)
            pthread_join(srv->workers[i], NULL);
        pthread_cond_destroy(&srv->work_cv);
        pthread_cond_destroy(&srv->idle_cv);
        pthread_mutex_destroy(&srv->mu);
    }
    free(srv->workers);
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    if (srv->key_pem) {
        explicit_bzero(srv->key_pem, srv->key_pem_len);
        free(srv->key_pem);
    }
    free(srv->cert_pem);
    free(srv);
}

static int start_workers(gc_http_server *srv, unsigned n, gc_err *err)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&srv->mu, NULL);
    pthread_cond_init(&srv->work_cv, NULL);
    pthread_cond_init(&srv->idle_cv, &ca);
    pthread_condattr_destroy(&ca);
    srv->sync_ready = true;
    srv->workers = xcalloc(n, sizeof *srv->workers);
    for (unsigned i = 0; i < n; i++) {
        int e = pthread_create(&srv->workers[i], NULL, worker_main, srv);
        if (e != 0)
            return gc_err_set(err, GC_E_INTERNAL, NULL, "cannot start HTTP worker threads: %s",
                              strerror(e));
        srv->n_workers = i + 1;
        pthread_setname_np(srv->workers[i], "gc-worker"); /* names for top, perf and gdb */
    }
    return 0;
}

int gc_http_start(const gc_http_config *cfg, const gc_http_handler *h, gc_http_server **out,
                  gc_err *err)
{
    assert(cfg && h && h->handle && h->error && out);
    int result = -1;
    *out = NULL;
    gc_http_server *srv = xcalloc(1, sizeof *srv);
    srv->listen_fd = -1;
    srv->handler = *h;
    srv->max_body = cfg->max_body ? cfg->max_body : DEFAULT_MAX_BODY;
    srv->max_url = cfg->max_url ? cfg->max_url : DEFAULT_MAX_URL;
    srv->max_headers = cfg->max_headers ? cfg->max_headers : DEFAULT_MAX_HEADERS;
    unsigned io_threads = cfg->io_threads;
    if (io_threads == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        io_threads = cores > 0 && cores < 1024 ? (unsigned)cores : 1;
    }
    unsigned workers = cfg->workers ? cfg->workers : DEFAULT_WORKERS;

    if (!cfg->tls_cert_file != !cfg->tls_key_file) {
        gc_err_set(err, GC_E_INTERNAL, cfg->tls_cert_file ? "tls_key_file" : "tls_cert_file",
                   "TLS needs both a certificate file and a key file");
        goto done;
    }
    srv->tls = cfg->tls_cert_file != NULL;
    if (srv->tls) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            gc_err_set(err, GC_E_INTERNAL, "tls_cert_file",
                       "this libmicrohttpd was built without TLS support");
            goto done;
        }
        size_t cert_len;
        if (read_pem(cfg->tls_cert_file, "certificate", &srv->cert_pem, &cert_len, err) != 0 ||
            read_pem(cfg->tls_key_file, "key", &srv->key_pem, &srv->key_pem_len, err) != 0)
            goto done;
    }
    if (open_listener(srv, cfg->listen_host, cfg->port, err) != 0)
        goto done;
    if (start_workers(srv, workers, err) != 0)
        goto done;

    /* MHD answers a request whose line and headers (raw bytes plus ~50 bytes of bookkeeping
     * per header and per query argument) overflow its per-connection pool itself, with an HTML
     * 414/431 or by closing the connection, so the pool leaves room past our own limits. But
     * MHD zeroes the whole pool between keep-alive requests (at 256 KiB that memset was 23% of
     * the server's CPU under a GET load, at 96 KiB ~15%: bench/), so the slack is 16 KiB: the
     * largest request the limits allow (both at their maximum) and ~1,200 tiny headers still
     * fit (test_server.c, test_431). */
    size_t pool = srv->max_url + srv->max_headers + ((size_t)16 << 10);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL
                                                                    : MHD_USE_AUTO;
    if (srv->tls)
        flags |= MHD_USE_TLS;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(srv->listen_fd, (struct sockaddr *)&ss, &sl) == 0 && ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_OptionItem extra[4];
    size_t ne = 0;
    if (io_threads > 1)
        extra[ne++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, io_threads, NULL};
    if (srv->tls) {
        extra[ne++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, srv->cert_pem};
        extra[ne++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, srv->key_pem};
    }
    extra[ne] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)srv->listen_fd, MHD_OPTION_URI_LOG_CALLBACK, on_uri,
        srv, MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, srv, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        pool, MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT_S, MHD_OPTION_ARRAY, extra,
        MHD_OPTION_END);
    if (!srv->daemon) {
        if (fcntl(srv->listen_fd, F_GETFD) < 0) /* MHD closed it on its way out */
            srv->listen_fd = -1;
        gc_err_set(err, GC_E_INTERNAL, NULL, "cannot start the HTTP server on port %u: %s",
                   (unsigned)srv->port,
                   srv->start_msg[0] ? srv->start_msg : "libmicrohttpd refused the settings");
        goto done;
    }
    atomic_store(&srv->started, true);
    *out = srv;
    result = 0;
done:
    if (result != 0)
        server_free(srv);
    return result;
}

unsigned short gc_http_port(const gc_http_server *srv)
{
    return srv->port;
}

size_t gc_http_open_connections(gc_http_server *srv)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info ? info->num_connections : 0;
}

void gc_http_stop(gc_http_server *srv)
{
    if (!srv)
        return;
    atomic_store(&srv->stopping, true);
    MHD_socket lfd = MHD_quiesce_daemon(srv->daemon);
    if (lfd != MHD_INVALID_SOCKET) {
        /* MHD no longer accepts; shutting the socket down makes new clients see a refusal
         * instead of waiting in the backlog. It is closed after MHD_stop_daemon. */
        srv->listen_fd_ours = true;
        shutdown(lfd, SHUT_RDWR);
    }

    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += STOP_GRACE_S;
    pthread_mutex_lock(&srv->mu);
    while (atomic_load(&srv->in_flight) > 0)
        if (pthread_cond_timedwait(&srv->idle_cv, &srv->mu, &deadline) == ETIMEDOUT)
            break;
    size_t unfinished = atomic_load(&srv->in_flight);
    if (unfinished > 0)
        gc_log(GC_LOG_WARN, NULL, "stopping with %zu request(s) unfinished", unfinished);
    /* MHD must not be stopped with a connection suspended: wait for every worker hand-off */
    srv->closing = true;
    while (srv->suspended > 0)
        pthread_cond_wait(&srv->idle_cv, &srv->mu);
    pthread_mutex_unlock(&srv->mu);

    MHD_stop_daemon(srv->daemon);
    srv->daemon = NULL;
    if (!srv->listen_fd_ours)
        srv->listen_fd = -1; /* MHD closed it */
    server_free(srv);
}
