/* The HTTP/1.1 server (see http.h). Each I/O thread owns an epoll set (edge-triggered) with the
 * shared listening socket (EPOLLEXCLUSIVE), an eventfd for wake-ups and its connections. GET and
 * HEAD run inline on the I/O thread; other methods go to blocking worker threads, which hand the
 * connection back through the thread's done list. A connection is in one state at a time:
 * HEAD (waiting for or reading a request head), BODY, WORKER, WRITE or LINGER (answered and
 * closing: the rest of the input is read and dropped so the answer is not lost to a reset).
 * Deadlines are checked by a sweep every SWEEP_MS; idle connections (no request under way) sit
 * on a per-thread LRU list, and the oldest is closed when the connection cap is reached. */
#include "http/http.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "cert/tls.h"
#include "core/jobq.h"
#include "core/log.h"
#include "core/util.h"
#include "http/parse.h"

#define DEFAULT_MAX_BODY ((size_t)4 << 20)
#define DEFAULT_MAX_URL ((size_t)32 << 10)
#define DEFAULT_MAX_HEADERS ((size_t)32 << 10)
#define MAX_HEADER_FIELDS 1024u
#define DEFAULT_WORKERS 64u
#define DEFAULT_MAX_PER_IP 0u
#define DEFAULT_BODY_MEMORY ((size_t)256 << 20)
#define DEFAULT_HEADER_TIMEOUT_MS 10000u
#define DEFAULT_BODY_TIMEOUT_MS 30000u
#define DEFAULT_KEEPALIVE_TIMEOUT_MS 30000u
#define DEFAULT_WRITE_TIMEOUT_MS 30000u
/* Open files kept back from the connection cap for the store, logs and the like. */
#define FD_RESERVE 512u
#define MAX_PEM_BYTES ((off_t)1 << 20)
/* A closing connection reads and drops at most this much (or max_body, when larger) for at
 * most LINGER_MS, so that its answer reaches a client still sending. */
#define LINGER_BYTES ((size_t)16 << 20)
#define LINGER_MS 2000
#define SWEEP_MS 100
#define READ_CHUNK ((size_t)16 << 10)
#define BODY_MIN_CAP ((size_t)16 << 10)
/* gc_http_stop waits this long for requests (heads in) still being read or answered; it
 * always waits for those held by workers. */
#define STOP_GRACE_S 10
#define MAX_EVENTS 128

typedef enum conn_state { CS_HEAD, CS_BODY, CS_WORKER, CS_WRITE, CS_LINGER } conn_state;

typedef struct io_thread io_thread;
typedef struct conn conn;

typedef struct req_ctx {
    gc_arena *arena; /* owns this record too */
    gc_http_req req;
    gc_http_resp resp;
    int64_t start_ns;
    gc_http_body_kind body_kind;
    uint64_t body_left;      /* GC_BODY_LENGTH: bytes still to come */
    gc_http_chunked chunk;
    unsigned char *body;     /* malloc'd, body_cap bytes counted in srv->body_memory */
    size_t body_cap;
    bool keep_alive, is_head, http10, counted;
    int status;              /* sent, 0 until then */
} req_ctx;

typedef struct ip_key {
    unsigned char b[16];
} ip_key;

struct conn {
    io_thread *t;
    int fd;
    gc_tls_conn *tls;
    conn_state state;
    bool dead;          /* the peer is gone: free when a worker hands the connection back */
    bool closed;        /* closed; freed after the current batch of events (which may name it) */
    bool must_close;    /* close once the current answer is out */
    bool served;        /* one request answered: an empty HEAD state is keep-alive idle */
    bool head_started;  /* bytes of the next head have arrived (its deadline runs) */
    bool on_idle;
    bool ip_counted;
    ip_key ip;
    char peer[INET6_ADDRSTRLEN];
    int64_t deadline_ms; /* 0: none */
    char *in;
    size_t in_len, in_cap, scanned;
    const char *interim; /* "100 Continue" still to send, from interim_off */
    size_t interim_off;
    req_ctx *rc;
    struct iovec out[2]; /* head and body of the answer being written */
    size_t lingered;
    conn *prev, *next;   /* t->all */
    conn *iprev, *inext; /* t->idle, oldest first */
    conn *qnext;         /* worker queue, or t->done */
};

struct io_thread {
    gc_http_server *srv;
    pthread_t thread;
    bool started;
    int ep, wake_fd;
    conn *all;
    conn *idle_head, *idle_tail;
    conn *closed;        /* closed in this turn of the loop, freed at its end */
    pthread_mutex_t done_mu;
    conn *done;          /* handed back by workers */
    atomic_bool quit;
    gc_http_field *fields; /* parser scratch, MAX_HEADER_FIELDS */
    char date[40];
    time_t date_sec;
};

typedef struct ip_entry {
    ip_key key;
    unsigned count;
    struct ip_entry *next;
} ip_entry;

#define IP_BUCKETS 1024u

struct gc_http_server {
    gc_http_handler handler;
    size_t max_body, max_url, max_headers, head_cap, max_body_memory;
    unsigned max_connections, max_per_ip;
    unsigned header_timeout_ms, body_timeout_ms, keepalive_timeout_ms, write_timeout_ms;
    gc_http_limits limits;
    gc_tls_ctx *tls;
    int listen_fd;
    unsigned short port;
    atomic_bool stopping; /* answers carry "Connection: close"; no more accepts */
    atomic_size_t open_conns;
    atomic_size_t body_memory;

    io_thread *threads;
    unsigned n_threads;

    pthread_mutex_t ip_mu;
    ip_entry *ip_table[IP_BUCKETS];

    pthread_mutex_t mu;
    gc_jobq work;           /* connections for the workers (linked through qnext) */
    pthread_cond_t idle_cv; /* in_flight or suspended went down */
    bool sync_ready;
    bool quit;
    bool closing;            /* no more hand-offs to workers: new writes get 503 */
    atomic_size_t in_flight; /* requests between a complete head and their end */
    size_t suspended;        /* connections held by workers */
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

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t now_ms(void)
{
    return now_ns() / 1000000;
}

/* ---- per-address connection counts ---- */

static unsigned ip_bucket(const ip_key *k)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < sizeof k->b; i++)
        h = (h ^ k->b[i]) * 1099511628211ull;
    return (unsigned)(h % IP_BUCKETS);
}

/* The key of an address: IPv4 (also when mapped into IPv6) in full, IPv6 by its /64, since
 * one client commonly holds a whole /64. */
static void ip_key_of(const struct sockaddr_storage *ss, ip_key *k, char *text, size_t text_len)
{
    memset(k, 0, sizeof *k);
    text[0] = '\0';
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        memcpy(k->b, &s4->sin_addr, 4);
        inet_ntop(AF_INET, &s4->sin_addr, text, (socklen_t)text_len);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
            memcpy(k->b, s6->sin6_addr.s6_addr + 12, 4);
            inet_ntop(AF_INET, s6->sin6_addr.s6_addr + 12, text, (socklen_t)text_len);
        } else {
            k->b[15] = 6;
            memcpy(k->b, s6->sin6_addr.s6_addr, 8);
            inet_ntop(AF_INET6, &s6->sin6_addr, text, (socklen_t)text_len);
        }
    }
}

static bool ip_acquire(gc_http_server *srv, const ip_key *k)
{
    if (srv->max_per_ip == 0)
        return true;
    unsigned b = ip_bucket(k);
    bool ok = true;
    pthread_mutex_lock(&srv->ip_mu);
    ip_entry *e = srv->ip_table[b];
    while (e && memcmp(&e->key, k, sizeof *k) != 0)
        e = e->next;
    if (!e) {
        e = xcalloc(1, sizeof *e);
        e->key = *k;
        e->next = srv->ip_table[b];
        srv->ip_table[b] = e;
    }
    if (e->count >= srv->max_per_ip)
        ok = false;
    else
        e->count++;
    pthread_mutex_unlock(&srv->ip_mu);
    return ok;
}

static void ip_release(gc_http_server *srv, const ip_key *k)
{
    unsigned b = ip_bucket(k);
    pthread_mutex_lock(&srv->ip_mu);
    for (ip_entry **pp = &srv->ip_table[b]; *pp; pp = &(*pp)->next) {
        ip_entry *e = *pp;
        if (memcmp(&e->key, k, sizeof *k) == 0) {
            if (--e->count == 0) {
                *pp = e->next;
                free(e);
            }
            break;
        }
    }
    pthread_mutex_unlock(&srv->ip_mu);
}

/* ---- connection lists ---- */

static void idle_remove(conn *c)
{
    if (!c->on_idle)
        return;
    io_thread *t = c->t;
    if (c->iprev)
        c->iprev->inext = c->inext;
    else
        t->idle_head = c->inext;
    if (c->inext)
        c->inext->iprev = c->iprev;
    else
        t->idle_tail = c->iprev;
    c->iprev = c->inext = NULL;
    c->on_idle = false;
}

static void idle_add(conn *c)
{
    io_thread *t = c->t;
    idle_remove(c);
    c->iprev = t->idle_tail;
    c->inext = NULL;
    if (t->idle_tail)
        t->idle_tail->inext = c;
    else
        t->idle_head = c;
    t->idle_tail = c;
    c->on_idle = true;
}

/* ---- requests ---- */

static void body_release(gc_http_server *srv, req_ctx *rc)
{
    if (rc->body) {
        atomic_fetch_sub(&srv->body_memory, rc->body_cap);
        free(rc->body);
        rc->body = NULL;
        rc->body_cap = 0;
    }
}

static void reset_resp(gc_http_resp *resp)
{
    memset(resp, 0, sizeof *resp);
    resp->status = 500;
}

static req_ctx *req_new(conn *c)
{
    gc_arena *a = gc_arena_new();
    req_ctx *rc = gc_arena_alloc(a, sizeof *rc);
    rc->arena = a;
    rc->start_ns = now_ns();
    rc->req.arena = a;
    rc->req.method = "";
    rc->req.raw_target = "";
    rc->req.path = "";
    rc->req.query = "";
    rc->req.host = "";
    rc->req.scheme = c->t->srv->tls ? "https" : "http";
    rc->req.peer_addr = c->peer;
    gc_guid_v4_fast(rc->req.request_id);
    reset_resp(&rc->resp);
    rc->keep_alive = true;
    return rc;
}

/* Ends the connection's request: access log, in-flight count, memory. */
static void req_end(conn *c)
{
    req_ctx *rc = c->rc;
    if (!rc)
        return;
    c->rc = NULL;
    gc_http_server *srv = c->t->srv;
    if (rc->status != 0)
        gc_log_access(rc->req.request_id, rc->resp.tenant, rc->req.method, rc->req.path,
                      rc->status, (double)(now_ns() - rc->start_ns) / 1e6);
    else
        gc_log(GC_LOG_DEBUG, rc->req.request_id, "request ended without an answer");
    body_release(srv, rc);
    bool counted = rc->counted;
    gc_arena_free(rc->arena);
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

static void conn_free(conn *c)
{
    io_thread *t = c->t;
    gc_http_server *srv = t->srv;
    req_end(c);
    idle_remove(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        t->all = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (c->tls)
        gc_tls_conn_free(c->tls);
    /* leave the epoll set explicitly: close alone does not while another process (a fork on its
     * way to exec) still shares the socket, and epoll would go on naming the freed connection */
    epoll_ctl(t->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    if (c->ip_counted)
        ip_release(srv, &c->ip);
    free(c->in);
    c->in = NULL;
    atomic_fetch_sub(&srv->open_conns, 1);
    /* epoll may still report it in the batch being handled: free it once the batch is done */
    c->closed = true;
    c->next = t->closed;
    t->closed = c;
}

static void free_closed(io_thread *t)
{
    while (t->closed) {
        conn *c = t->closed;
        t->closed = c->next;
        free(c);
    }
}

/* ---- socket I/O ---- */

#define IO_AGAIN (-2)
#define IO_ERROR (-1)

static ssize_t conn_recv(conn *c, void *buf, size_t n)
{
    if (c->tls)
        return gc_tls_read(c->tls, buf, n);
    for (;;) {
        ssize_t r = recv(c->fd, buf, n, 0);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? IO_AGAIN : IO_ERROR;
    }
}

static ssize_t conn_send(conn *c, const void *buf, size_t n)
{
    if (c->tls)
        return gc_tls_write(c->tls, buf, n);
    for (;;) {
        ssize_t r = send(c->fd, buf, n, MSG_NOSIGNAL);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? IO_AGAIN : IO_ERROR;
    }
}

/* Reads into c->in, growing it up to cap. > 0 bytes, 0 at EOF, IO_AGAIN, IO_ERROR; IO_ERROR
 * too when the buffer is full (the parser has answered long before that). */
static ssize_t fill_input(conn *c, size_t cap)
{
    if (c->in_len == c->in_cap) {
        if (c->in_cap >= cap)
            return IO_ERROR;
        size_t ncap = c->in_cap ? c->in_cap * 2 : 4096;
        if (ncap > cap)
            ncap = cap;
        char *p = realloc(c->in, ncap);
        if (!p)
            return IO_ERROR;
        c->in = p;
        c->in_cap = ncap;
    }
    size_t room = c->in_cap - c->in_len;
    if (room > READ_CHUNK * 4)
        room = READ_CHUNK * 4;
    ssize_t r = conn_recv(c, c->in + c->in_len, room);
    if (r > 0)
        c->in_len += (size_t)r;
    return r;
}

static void consume_input(conn *c, size_t n)
{
    assert(n <= c->in_len);
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
    c->scanned = 0;
    /* a buffer grown by one large head is not kept by an idle connection */
    if (c->in_len == 0 && c->in_cap > 16384) {
        free(c->in);
        c->in = NULL;
        c->in_cap = 0;
    }
}

/* ---- answers ---- */

static const char *reason_phrase(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 424: return "Failed Dependency";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    default: return "Unknown";
    }
}

static const char *http_date(io_thread *t)
{
    time_t now = time(NULL);
    if (now != t->date_sec) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(t->date, sizeof t->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        t->date_sec = now;
    }
    return t->date;
}

/* A response header a handler set is sent only when it cannot break the framing. */
static bool header_ok(const gc_http_header *h)
{
    if (!h->name || !h->value || !h->name[0])
        return false;
    for (const char *p = h->name; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == ':' || *p == 0x7f)
            return false;
    for (const char *p = h->value; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\t')
            return false;
    static const char *const reserved[] = {"Content-Length", "Transfer-Encoding", "Connection",
                                           "Date"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcasecmp(h->name, reserved[i]) == 0)
            return false;
    return true;
}

static void put(gc_buf *b, const char *s)
{
    gc_buf_append(b, s, strlen(s));
}

/* Puts the filled response on the wire (the connection moves to CS_WRITE). */
static void queue_resp(conn *c)
{
    req_ctx *rc = c->rc;
    gc_http_server *srv = c->t->srv;
    gc_http_resp *resp = &rc->resp;
    int status = resp->status;
    if (status < 200 || status > 599) {
        gc_log(GC_LOG_ERROR, rc->req.request_id, "handler answered invalid status %d", status);
        status = 500;
        resp->body = NULL;
        resp->body_len = 0;
    }
    if (!rc->keep_alive || atomic_load(&srv->stopping))
        c->must_close = true;
    bool no_body = status == 204 || status == 304;
    size_t body_len = resp->body ? resp->body_len : 0;
    gc_buf b;
    gc_buf_init(&b, (size_t)1 << 20);
    gc_buf_reserve(&b, 256 + 96 * resp->n_headers);
    char num[24];
    put(&b, "HTTP/1.1 ");
    gc_buf_append(&b, num, gc_fmt_i64(num, status));
    put(&b, " ");
    put(&b, reason_phrase(status));
    put(&b, "\r\nDate: ");
    put(&b, http_date(c->t));
    if (!no_body) {
        put(&b, "\r\nContent-Length: ");
        gc_buf_append(&b, num, gc_fmt_i64(num, (int64_t)body_len));
        gc_http_header ct = {"Content-Type", resp->content_type};
        if (resp->content_type && header_ok(&ct)) {
            put(&b, "\r\nContent-Type: ");
            put(&b, resp->content_type);
        }
    }
    for (size_t i = 0; i < resp->n_headers && i < GC_HTTP_MAX_RESP_HEADERS; i++) {
        const gc_http_header *h = &resp->headers[i];
        if (!header_ok(h)) {
            gc_log(GC_LOG_WARN, rc->req.request_id, "dropped an invalid response header");
            continue;
        }
        put(&b, "\r\n");
        put(&b, h->name);
        put(&b, ": ");
        put(&b, h->value);
    }
    if (c->must_close)
        put(&b, "\r\nConnection: close");
    else if (rc->http10)
        put(&b, "\r\nConnection: keep-alive");
    put(&b, "\r\n\r\n");
    if (b.overflow)
        gc_buf_free(&b);
    char *head = b.data;
    size_t head_len = b.len;
    if (!head) { /* a megabyte of headers: the handler's bug, not the client's */
        gc_buf_free(&b);
        head = gc_arena_strdup(rc->arena, "HTTP/1.1 500 Internal Server Error\r\n"
                                          "Content-Length: 0\r\nConnection: close\r\n\r\n");
        head_len = strlen(head);
        c->must_close = true;
        no_body = true;
        status = 500;
    } else {
        gc_arena_defer(rc->arena, free, head);
    }
    rc->status = status;
    c->out[0] = (struct iovec){head, head_len};
    c->out[1] = (struct iovec){resp->body, no_body || rc->is_head ? 0 : body_len};
    c->state = CS_WRITE;
    c->deadline_ms = now_ms() + srv->write_timeout_ms;
}

static void run_handler(req_ctx *rc, gc_http_server *srv)
{
    reset_resp(&rc->resp);
    gc_arena *outer = gc_arena_json_scope(rc->arena);
    srv->handler.handle(srv->handler.ctx, &rc->req, &rc->resp);
    gc_arena_json_scope(outer);
}

/* An answer the server decided on: the handler's error hook fills the body; the connection
 * closes after it. */
static void answer_error(conn *c, gc_errkind kind, const char *message)
{
    gc_http_server *srv = c->t->srv;
    if (!c->rc)
        c->rc = req_new(c);
    req_ctx *rc = c->rc;
    rc->req.body = NULL;
    rc->req.body_len = 0;
    body_release(srv, rc);
    reset_resp(&rc->resp);
    rc->resp.status = gc_err_http_status(kind);
    gc_arena *outer = gc_arena_json_scope(rc->arena);
    srv->handler.error(srv->handler.ctx, &rc->req, kind, message, &rc->resp);
    gc_arena_json_scope(outer);
    if (kind == GC_E_UNAVAILABLE)
        gc_http_resp_header(&rc->resp, "Retry-After", "1");
    c->must_close = true;
    idle_remove(c);
    queue_resp(c);
}

/* ---- worker pool ---- */

static void wake_thread(io_thread *t)
{
    uint64_t one = 1;
    ssize_t w = write(t->wake_fd, &one, sizeof one);
    (void)w; /* a full counter still wakes the thread */
}

static void *worker_main(void *arg)
{
    gc_http_server *srv = arg;
    pthread_mutex_lock(&srv->mu);
    for (;;) {
        if (!gc_jobq_wait(&srv->work, &srv->mu, &srv->quit))
            break;
        conn *c = gc_jobq_pop(&srv->work);
        pthread_mutex_unlock(&srv->mu);

        run_handler(c->rc, srv);
        io_thread *t = c->t;
        pthread_mutex_lock(&t->done_mu);
        bool was_empty = t->done == NULL;
        c->qnext = t->done;
        t->done = c;
        pthread_mutex_unlock(&t->done_mu);
        if (was_empty)
            wake_thread(t);

        pthread_mutex_lock(&srv->mu);
        srv->suspended--;
        pthread_cond_broadcast(&srv->idle_cv);
    }
    pthread_mutex_unlock(&srv->mu);
    return NULL;
}

static void hand_to_worker(conn *c)
{
    gc_http_server *srv = c->t->srv;
    pthread_mutex_lock(&srv->mu);
    if (srv->closing) {
        pthread_mutex_unlock(&srv->mu);
        answer_error(c, GC_E_UNAVAILABLE, "The server is shutting down.");
        return;
    }
    srv->suspended++;
    c->state = CS_WORKER;
    c->deadline_ms = 0;
    gc_jobq_push(&srv->work, c);
    pthread_mutex_unlock(&srv->mu);
}

/* ---- the request life cycle ---- */

static bool is_inline_method(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

/* The body is complete: run the handler here or on a worker. */
static void dispatch(conn *c)
{
    req_ctx *rc = c->rc;
    if (rc->body) {
        rc->body[rc->req.body_len] = '\0';
        rc->req.body = rc->body;
    }
    if (is_inline_method(rc->req.method)) {
        run_handler(rc, c->t->srv);
        queue_resp(c);
    } else {
        hand_to_worker(c);
    }
}

/* Builds the request record from a parsed head (copied out of the input buffer). */
static void fill_request(conn *c, const gc_http_head *h, const gc_http_field *fields)
{
    req_ctx *rc = c->rc;
    gc_http_req *req = &rc->req;
    gc_arena *a = rc->arena;
    req->method = gc_arena_strndup(a, c->in + h->method_off, h->method_len);
    req->raw_target = gc_arena_strndup(a, c->in + h->target_off, h->target_len);
    const char *q = strchr(req->raw_target, '?');
    if (q) {
        req->path = gc_arena_strndup(a, req->raw_target, (size_t)(q - req->raw_target));
        req->query = q + 1;
    } else {
        req->path = req->raw_target;
        req->query = "";
    }
    gc_http_header *hs = h->n_fields ? gc_arena_alloc(a, h->n_fields * sizeof *hs) : NULL;
    for (size_t i = 0; i < h->n_fields; i++) {
        hs[i].name = gc_arena_strndup(a, c->in + fields[i].name_off, fields[i].name_len);
        hs[i].value = gc_arena_strndup(a, c->in + fields[i].value_off, fields[i].value_len);
    }
    req->headers = hs;
    req->n_headers = h->n_fields;
    req->host = h->host_index >= 0 ? hs[h->host_index].value : "";
    rc->is_head = strcmp(req->method, "HEAD") == 0;
    rc->keep_alive = h->keep_alive;
    rc->http10 = h->minor == 0;
}

/* The head is in (h parsed from c->in): check what can be checked before the body. */
static void begin_request(conn *c, const gc_http_head *h, const gc_http_field *fields)
{
    gc_http_server *srv = c->t->srv;
    c->rc = req_new(c);
    req_ctx *rc = c->rc;
    atomic_fetch_add(&srv->in_flight, 1);
    rc->counted = true;
    idle_remove(c);
    fill_request(c, h, fields);
    consume_input(c, h->head_len);
    c->head_started = false;
    rc->body_kind = h->body;
    if (h->body == GC_BODY_NONE) {
        dispatch(c);
        return;
    }
    char msg[128];
    if (h->body == GC_BODY_LENGTH && h->content_length > srv->max_body) {
        snprintf(msg, sizeof msg, "The request body is larger than %zu bytes.", srv->max_body);
        answer_error(c, GC_E_TOO_LARGE, msg);
        return;
    }
    if (srv->handler.admit) {
        reset_resp(&rc->resp);
        gc_arena *outer = gc_arena_json_scope(rc->arena);
        bool go_on = srv->handler.admit(srv->handler.ctx, &rc->req, &rc->resp);
        gc_arena_json_scope(outer);
        rc->req.admitted = go_on;
        if (!go_on) {
            c->must_close = true;
            queue_resp(c);
            return;
        }
    }
    rc->body_left = h->content_length;
    if (h->expect_continue && c->in_len == 0) {
        c->interim = "HTTP/1.1 100 Continue\r\n\r\n";
        c->interim_off = 0;
    }
    c->state = CS_BODY;
    c->deadline_ms = now_ms() + srv->body_timeout_ms;
}

/* Appends n body bytes, growing the buffer as they arrive within the body-memory budget.
 * false after answering (413 or 503). */
static bool take_body(conn *c, const char *data, size_t n)
{
    gc_http_server *srv = c->t->srv;
    req_ctx *rc = c->rc;
    char msg[128];
    if (n > srv->max_body - rc->req.body_len) {
        snprintf(msg, sizeof msg, "The request body is larger than %zu bytes.", srv->max_body);
        answer_error(c, GC_E_TOO_LARGE, msg);
        return false;
    }
    size_t need = rc->req.body_len + n + 1;
    if (need > rc->body_cap) {
        size_t cap = rc->body_cap ? rc->body_cap : BODY_MIN_CAP;
        while (cap < need)
            cap *= 2;
        if (rc->body_kind == GC_BODY_LENGTH && cap > rc->req.body_len + rc->body_left + 1)
            cap = rc->req.body_len + rc->body_left + 1; /* what was declared, no more */
        if (cap > srv->max_body + 1)
            cap = srv->max_body + 1;
        if (cap < need)
            cap = need;
        size_t grow = cap - rc->body_cap;
        size_t before = atomic_fetch_add(&srv->body_memory, grow);
        if (before + grow > srv->max_body_memory) {
            atomic_fetch_sub(&srv->body_memory, grow);
            gc_log(GC_LOG_WARN, rc->req.request_id,
                   "request bodies hold %zu bytes (the --max-body-memory cap): refused one",
                   before);
            answer_error(c, GC_E_UNAVAILABLE,
                         "The server is busy receiving other requests; try again shortly.");
            return false;
        }
        unsigned char *p = realloc(rc->body, cap);
        if (!p) {
            atomic_fetch_sub(&srv->body_memory, grow);
            answer_error(c, GC_E_UNAVAILABLE, "The server is out of memory; try again shortly.");
            return false;
        }
        rc->body = p;
        rc->body_cap = cap;
    }
    memcpy(rc->body + rc->req.body_len, data, n);
    rc->req.body_len += n;
    return true;
}

/* Moves body bytes from the input buffer; true when the body is complete. */
static bool absorb_body(conn *c, bool *answered)
{
    req_ctx *rc = c->rc;
    gc_http_server *srv = c->t->srv;
    *answered = false;
    if (rc->body_kind == GC_BODY_LENGTH) {
        size_t n = c->in_len < rc->body_left ? c->in_len : (size_t)rc->body_left;
        if (n > 0) {
            if (!take_body(c, c->in, n)) {
                *answered = true;
                return false;
            }
            rc->body_left -= n;
            consume_input(c, n);
        }
        return rc->body_left == 0;
    }
    size_t pos = 0;
    for (;;) {
        size_t used, off, len;
        gc_http_chunk_result r = gc_http_chunked_feed(&rc->chunk, c->in + pos, c->in_len - pos,
                                                      srv->max_headers, &used, &off, &len);
        if (r == GC_CHUNK_DATA && !take_body(c, c->in + pos + off, len)) {
            *answered = true;
            return false;
        }
        pos += used;
        if (r == GC_CHUNK_ERROR) {
            answer_error(c, GC_E_BAD_REQUEST, "The chunked request body is malformed.");
            *answered = true;
            return false;
        }
        if (r == GC_CHUNK_DONE) {
            consume_input(c, pos);
            return true;
        }
        if (r == GC_CHUNK_MORE) {
            consume_input(c, pos);
            return false;
        }
    }
}

/* The response is out: log, then wait for the next request or close. */
static void finish_response(conn *c)
{
    gc_http_server *srv = c->t->srv;
    req_end(c);
    c->interim = NULL;
    if (c->must_close) {
        c->state = CS_LINGER;
        c->lingered = 0;
        c->deadline_ms = now_ms() + LINGER_MS;
        if (!c->tls)
            shutdown(c->fd, SHUT_WR);
        return;
    }
    c->served = true;
    c->state = CS_HEAD;
    c->head_started = c->in_len > 0;
    c->deadline_ms = now_ms() + (c->head_started ? srv->header_timeout_ms
                                                 : srv->keepalive_timeout_ms);
    idle_add(c);
}

/* Writes what is pending: 1 when all is out, 0 to wait, -1 when the connection failed. */
static int flush_out(conn *c)
{
    gc_http_server *srv = c->t->srv;
    for (;;) {
        struct iovec *v = c->out[0].iov_len ? &c->out[0] : &c->out[1];
        if (v->iov_len == 0)
            return 1;
        ssize_t w;
        if (!c->tls && c->out[0].iov_len && c->out[1].iov_len) {
            do
                w = writev(c->fd, c->out, 2);
            while (w < 0 && errno == EINTR);
            if (w < 0)
                w = errno == EAGAIN || errno == EWOULDBLOCK ? IO_AGAIN : IO_ERROR;
        } else {
            w = conn_send(c, v->iov_base, v->iov_len);
        }
        if (w == IO_AGAIN)
            return 0;
        if (w < 0)
            return -1;
        c->deadline_ms = now_ms() + srv->write_timeout_ms;
        size_t n = (size_t)w;
        for (int i = 0; i < 2 && n > 0; i++) {
            size_t k = n < c->out[i].iov_len ? n : c->out[i].iov_len;
            c->out[i].iov_base = (char *)c->out[i].iov_base + k;
            c->out[i].iov_len -= k;
            n -= k;
        }
    }
}

/* Sends the interim 100 Continue: 1 done, 0 wait, -1 failed. */
static int flush_interim(conn *c)
{
    while (c->interim) {
        size_t len = strlen(c->interim);
        ssize_t w = conn_send(c, c->interim + c->interim_off, len - c->interim_off);
        if (w == IO_AGAIN)
            return 0;
        if (w < 0)
            return -1;
        c->interim_off += (size_t)w;
        if (c->interim_off == len)
            c->interim = NULL;
    }
    return 1;
}

/* Parses what the input holds as a head. true when the connection moved on (a request began
 * or an error was answered); false when more bytes are needed. */
static bool try_head(conn *c)
{
    gc_http_server *srv = c->t->srv;
    if (c->in_len == 0)
        return false;
    if (!c->head_started) {
        c->head_started = true;
        c->deadline_ms = now_ms() + srv->header_timeout_ms;
    }
    gc_http_head h;
    gc_errkind kind;
    char msg[160];
    gc_http_parse_result r = gc_http_parse_head(c->in, c->in_len, &srv->limits, &c->scanned,
                                                c->t->fields, &h, &kind, msg, sizeof msg);
    if (r == GC_PARSE_INCOMPLETE)
        return false;
    if (r == GC_PARSE_DONE) {
        begin_request(c, &h, c->t->fields);
        return true;
    }
    /* an error: name what was parsed of the request line, for the log and the error hook */
    c->rc = req_new(c);
    atomic_fetch_add(&srv->in_flight, 1);
    c->rc->counted = true;
    if (h.method_len > 0)
        c->rc->req.method = gc_arena_strndup(c->rc->arena, c->in + h.method_off, h.method_len);
    if (h.target_len > 0) {
        const char *t = c->in + h.target_off;
        const char *qm = memchr(t, '?', h.target_len);
        c->rc->req.path = gc_arena_strndup(c->rc->arena, t, qm ? (size_t)(qm - t) : h.target_len);
    }
    answer_error(c, kind, msg);
    return true;
}

/* Reads more input: 1 when bytes came, 0 to wait for the socket, -1 when the connection ended
 * (and was freed). */
static int read_more(conn *c)
{
    ssize_t r = fill_input(c, c->t->srv->head_cap);
    if (r == IO_AGAIN)
        return 0;
    if (r <= 0) {
        conn_free(c);
        return -1;
    }
    return 1;
}

/* Runs the connection's state machine as far as it goes without blocking. Returns false when
 * the connection was freed. */
static bool conn_drive(conn *c)
{
    gc_http_server *srv = c->t->srv;
    for (;;) {
        switch (c->state) {
        case CS_WORKER:
            return true;
        case CS_WRITE: {
            int r = flush_out(c);
            if (r == 0)
                return true;
            if (r < 0) {
                conn_free(c);
                return false;
            }
            finish_response(c);
            continue;
        }
        case CS_HEAD: {
            if (try_head(c))
                continue;
            if (atomic_load(&srv->stopping) && c->in_len == 0 && c->served) {
                conn_free(c); /* idle while stopping: nothing to wait for */
                return false;
            }
            int more = read_more(c);
            if (more <= 0)
                return more == 0;
            continue;
        }
        case CS_BODY: {
            int ir = flush_interim(c);
            if (ir < 0) {
                conn_free(c);
                return false;
            }
            bool answered;
            if (c->in_len > 0 || c->rc->body_left == 0) {
                if (absorb_body(c, &answered)) {
                    dispatch(c);
                    continue;
                }
                if (answered)
                    continue;
            }
            if (ir == 0)
                return true; /* the client waits for 100 Continue before sending */
            int more = read_more(c);
            if (more <= 0)
                return more == 0;
            continue;
        }
        case CS_LINGER: {
            char scratch[READ_CHUNK];
            ssize_t r = conn_recv(c, scratch, sizeof scratch);
            if (r == IO_AGAIN)
                return true;
            size_t allowance = srv->max_body > LINGER_BYTES ? srv->max_body : LINGER_BYTES;
            if (r > 0 && (c->lingered += (size_t)r) <= allowance)
                continue;
            conn_free(c);
            return false;
        }
        }
    }
}

/* ---- accepting ---- */

/* Answers a connection refused at the door (cap reached) and closes it. */
static void refuse(io_thread *t, int fd, const char *peer, const char *message)
{
    if (t->srv->tls) { /* no TLS session to answer in */
        close(fd);
        return;
    }
    conn tmp = {.t = t, .fd = fd};
    snprintf(tmp.peer, sizeof tmp.peer, "%s", peer);
    answer_error(&tmp, GC_E_UNAVAILABLE, message);
    /* one best-effort write into a fresh socket buffer */
    flush_out(&tmp);
    req_end(&tmp);
    shutdown(fd, SHUT_WR);
    close(fd);
}

static void accept_ready(io_thread *t)
{
    gc_http_server *srv = t->srv;
    for (int i = 0; i < 64 && !atomic_load(&srv->stopping); i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(srv->listen_fd, (struct sockaddr *)&ss, &sl,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE)
                gc_log(GC_LOG_WARN, NULL, "cannot accept a connection: %s", strerror(errno));
            return;
        }
        ip_key key;
        char peer[INET6_ADDRSTRLEN];
        ip_key_of(&ss, &key, peer, sizeof peer);
        if (atomic_load(&srv->open_conns) >= srv->max_connections) {
            /* make room: the oldest connection of this thread with no request under way */
            conn *victim = t->idle_head;
            if (victim) {
                gc_log(GC_LOG_DEBUG, NULL, "connection cap reached: closed an idle connection");
                conn_free(victim);
            } else {
                refuse(t, fd, peer, "The server has too many open connections; try again shortly.");
                continue;
            }
        }
        if (!ip_acquire(srv, &key)) {
            gc_log(GC_LOG_INFO, NULL, "refused a connection from %s: %u already open from there",
                   peer, srv->max_per_ip);
            refuse(t, fd, peer, "Too many open connections from this address; try again shortly.");
            continue;
        }
        conn *c = xcalloc(1, sizeof *c);
        c->t = t;
        c->fd = fd;
        c->ip = key;
        c->ip_counted = srv->max_per_ip > 0;
        memcpy(c->peer, peer, sizeof peer);
        atomic_fetch_add(&srv->open_conns, 1);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->tls = srv->tls ? gc_tls_conn_new(srv->tls, fd) : NULL;
        c->next = t->all;
        if (t->all)
            t->all->prev = c;
        t->all = c;
        if (srv->tls && !c->tls) {
            conn_free(c);
            continue;
        }
        c->state = CS_HEAD;
        c->deadline_ms = now_ms() + srv->header_timeout_ms;
        idle_add(c);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                                 .data.ptr = c};
        if (epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            conn_free(c);
            continue;
        }
        conn_drive(c);
    }
}

/* ---- the I/O thread ---- */

static char listen_tag, wake_tag;

static void take_done(io_thread *t)
{
    uint64_t n;
    ssize_t r = read(t->wake_fd, &n, sizeof n);
    (void)r;
    pthread_mutex_lock(&t->done_mu);
    conn *list = t->done;
    t->done = NULL;
    pthread_mutex_unlock(&t->done_mu);
    while (list) {
        conn *c = list;
        list = c->qnext;
        c->qnext = NULL;
        if (c->dead) {
            conn_free(c);
            continue;
        }
        queue_resp(c);
        conn_drive(c);
    }
}

static void sweep(io_thread *t, int64_t now)
{
    gc_http_server *srv = t->srv;
    conn *next;
    for (conn *c = t->all; c; c = next) {
        next = c->next;
        if (c->deadline_ms == 0 || now < c->deadline_ms)
            continue;
        if (c->state == CS_HEAD && c->head_started) {
            gc_log(GC_LOG_INFO, NULL, "request head from %s not complete within %u ms", c->peer,
                   srv->header_timeout_ms);
            answer_error(c, GC_E_TIMEOUT, "The request head did not arrive in time.");
            conn_drive(c);
        } else if (c->state == CS_BODY) {
            gc_log(GC_LOG_INFO, c->rc->req.request_id, "request body not complete within %u ms",
                   srv->body_timeout_ms);
            answer_error(c, GC_E_TIMEOUT, "The request body did not arrive in time.");
            conn_drive(c);
        } else if (c->state != CS_WORKER) {
            conn_free(c); /* idle, a stalled reader, or the end of a linger */
        }
    }
}

static void *io_main(void *arg)
{
    io_thread *t = arg;
    gc_http_server *srv = t->srv;
    struct epoll_event evs[MAX_EVENTS];
    int64_t next_sweep = now_ms() + SWEEP_MS;
    while (!atomic_load(&t->quit)) {
        int timeout = (int)(next_sweep - now_ms());
        if (timeout < 0)
            timeout = 0;
        int n = epoll_wait(t->ep, evs, MAX_EVENTS, timeout);
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &listen_tag) {
                accept_ready(t);
            } else if (p == &wake_tag) {
                take_done(t);
            } else {
                conn *c = p;
                if (c->closed)
                    continue;
                if (c->state == CS_WORKER) {
                    if (evs[i].events & (EPOLLERR | EPOLLHUP))
                        c->dead = true;
                    continue;
                }
                conn_drive(c);
            }
        }
        int64_t now = now_ms();
        if (now >= next_sweep) {
            sweep(t, now);
            next_sweep = now + SWEEP_MS;
        }
        if (atomic_load(&srv->stopping)) { /* idle keep-alive connections close now */
            conn *next;
            for (conn *c = t->idle_head; c; c = next) {
                next = c->inext;
                if (c->in_len == 0 && c->state == CS_HEAD)
                    conn_free(c);
            }
        }
        free_closed(t);
    }
    take_done(t);
    while (t->all)
        conn_free(t->all);
    free_closed(t);
    return NULL;
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

static int load_tls(gc_http_server *srv, const gc_http_config *cfg, gc_err *err)
{
    char *cert = NULL, *key = NULL;
    size_t cert_len = 0, key_len = 0;
    int r = -1;
    if (read_pem(cfg->tls_cert_file, "certificate", &cert, &cert_len, err) == 0 &&
        read_pem(cfg->tls_key_file, "key", &key, &key_len, err) == 0)
        r = gc_tls_ctx_new(cert, cert_len, key, key_len, &srv->tls, err);
    if (key) {
        explicit_bzero(key, key_len);
        free(key);
    }
    free(cert);
    return r;
}

static bool is_ipv6_any(const struct sockaddr *sa)
{
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
    return sa->sa_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr);
}

/* Binds and listens: errors name the address and errno. "::" listens dual-stack; "[::1]" is
 * accepted as "::1"; NULL or "" means 0.0.0.0. */
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

/* The default connection cap: the open-file limit, raised to its hard maximum, less a reserve
 * for the store and the rest of the process. A larger cap asked for is lowered to it. */
static unsigned connection_cap(unsigned wanted)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return wanted ? wanted : 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit raised = rl;
        raised.rlim_cur = rl.rlim_max > (1u << 20) ? (1u << 20) : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            rl = raised;
    }
    rlim_t usable = rl.rlim_cur > FD_RESERVE + 64 ? rl.rlim_cur - FD_RESERVE : 64;
    if (usable > 1000000)
        usable = 1000000;
    if (wanted == 0)
        return (unsigned)usable;
    if (wanted > usable) {
        gc_log(GC_LOG_WARN, NULL,
               "--max-connections %u is above what the open-file limit allows; using %u", wanted,
               (unsigned)usable);
        return (unsigned)usable;
    }
    return wanted;
}

static void server_free(gc_http_server *srv)
{
    for (unsigned i = 0; i < srv->n_threads; i++) {
        io_thread *t = &srv->threads[i];
        if (t->started) {
            atomic_store(&t->quit, true);
            wake_thread(t);
            pthread_join(t->thread, NULL);
        }
        if (t->ep >= 0)
            close(t->ep);
        if (t->wake_fd >= 0)
            close(t->wake_fd);
        pthread_mutex_destroy(&t->done_mu);
        free(t->fields);
    }
    free(srv->threads);
    if (srv->sync_ready) {
        pthread_mutex_lock(&srv->mu);
        srv->quit = true;
        gc_jobq_wake_all(&srv->work);
        pthread_mutex_unlock(&srv->mu);
        for (unsigned i = 0; i < srv->n_workers; i++)
            pthread_join(srv->workers[i], NULL);
        gc_jobq_destroy(&srv->work);
        pthread_cond_destroy(&srv->idle_cv);
        pthread_mutex_destroy(&srv->mu);
    }
    free(srv->workers);
    for (unsigned b = 0; b < IP_BUCKETS; b++)
        while (srv->ip_table[b]) {
            ip_entry *e = srv->ip_table[b];
            srv->ip_table[b] = e->next;
            free(e);
        }
    pthread_mutex_destroy(&srv->ip_mu);
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    gc_tls_ctx_free(srv->tls);
    free(srv);
}

static int start_workers(gc_http_server *srv, unsigned n, gc_err *err)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&srv->mu, NULL);
    gc_jobq_init(&srv->work, offsetof(conn, qnext));
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

static int start_io_threads(gc_http_server *srv, unsigned n, gc_err *err)
{
    srv->threads = xcalloc(n, sizeof *srv->threads);
    srv->n_threads = n;
    for (unsigned i = 0; i < n; i++) {
        io_thread *t = &srv->threads[i];
        t->srv = srv;
        t->ep = t->wake_fd = -1;
        pthread_mutex_init(&t->done_mu, NULL);
        t->fields = xcalloc(MAX_HEADER_FIELDS, sizeof *t->fields);
    }
    for (unsigned i = 0; i < n; i++) {
        io_thread *t = &srv->threads[i];
        t->ep = epoll_create1(EPOLL_CLOEXEC);
        t->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (t->ep < 0 || t->wake_fd < 0)
            return gc_err_set(err, GC_E_INTERNAL, NULL, "cannot make an epoll set: %s",
                              strerror(errno));
        struct epoll_event lev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = &listen_tag};
        struct epoll_event wev = {.events = EPOLLIN, .data.ptr = &wake_tag};
        if (epoll_ctl(t->ep, EPOLL_CTL_ADD, srv->listen_fd, &lev) != 0 ||
            epoll_ctl(t->ep, EPOLL_CTL_ADD, t->wake_fd, &wev) != 0)
            return gc_err_set(err, GC_E_INTERNAL, NULL, "cannot watch the listening socket: %s",
                              strerror(errno));
        int e = pthread_create(&t->thread, NULL, io_main, t);
        if (e != 0)
            return gc_err_set(err, GC_E_INTERNAL, NULL, "cannot start HTTP I/O threads: %s",
                              strerror(e));
        t->started = true;
        pthread_setname_np(t->thread, "gc-io");
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
    pthread_mutex_init(&srv->ip_mu, NULL);
    srv->handler = *h;
    srv->max_body = cfg->max_body ? cfg->max_body : DEFAULT_MAX_BODY;
    srv->max_url = cfg->max_url ? cfg->max_url : DEFAULT_MAX_URL;
    srv->max_headers = cfg->max_headers ? cfg->max_headers : DEFAULT_MAX_HEADERS;
    /* the request line around the target, the blank line, leading empty lines */
    srv->head_cap = srv->max_url + srv->max_headers + 1024;
    srv->limits = (gc_http_limits){srv->max_url, srv->max_headers, MAX_HEADER_FIELDS};
    srv->max_body_memory = cfg->max_body_memory ? cfg->max_body_memory : DEFAULT_BODY_MEMORY;
    srv->max_per_ip = cfg->max_per_ip ? cfg->max_per_ip : DEFAULT_MAX_PER_IP;
    srv->max_connections = connection_cap(cfg->max_connections);
#define OR_DEFAULT(v, d) ((v) ? (v) : (d))
    srv->header_timeout_ms = OR_DEFAULT(cfg->header_timeout_ms, DEFAULT_HEADER_TIMEOUT_MS);
    srv->body_timeout_ms = OR_DEFAULT(cfg->body_timeout_ms, DEFAULT_BODY_TIMEOUT_MS);
    srv->keepalive_timeout_ms = OR_DEFAULT(cfg->keepalive_timeout_ms, DEFAULT_KEEPALIVE_TIMEOUT_MS);
    srv->write_timeout_ms = OR_DEFAULT(cfg->write_timeout_ms, DEFAULT_WRITE_TIMEOUT_MS);
#undef OR_DEFAULT
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
    if (cfg->tls_cert_file && load_tls(srv, cfg, err) != 0)
        goto done;
    if (open_listener(srv, cfg->listen_host, cfg->port, err) != 0)
        goto done;
    if (start_workers(srv, workers, err) != 0)
        goto done;
    if (start_io_threads(srv, io_threads, err) != 0)
        goto done;
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
    return atomic_load(&srv->open_conns);
}

void gc_http_stop(gc_http_server *srv)
{
    if (!srv)
        return;
    atomic_store(&srv->stopping, true);
    for (unsigned i = 0; i < srv->n_threads; i++) {
        epoll_ctl(srv->threads[i].ep, EPOLL_CTL_DEL, srv->listen_fd, NULL);
        wake_thread(&srv->threads[i]); /* idle connections close on the next turn */
    }
    /* new clients see a refusal instead of waiting in the backlog */
    shutdown(srv->listen_fd, SHUT_RDWR);

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
    /* connections must not be freed while a worker holds one: wait for every hand-off */
    srv->closing = true;
    while (srv->suspended > 0)
        pthread_cond_wait(&srv->idle_cv, &srv->mu);
    pthread_mutex_unlock(&srv->mu);
    server_free(srv);
}
