/* Serves the embedded console files at /console/ (see console.h): GET and HEAD only, with an
 * ETag each (If-None-Match → 304), and on every /console answer, errors included, the headers
 * that keep the page to its own origin (CSP without inline script, no framing, no referrer). */
#include "console/console.h"

#include <stdlib.h>
#include <string.h>


#define PREFIX "/console"
#define PREFIX_LEN (sizeof PREFIX - 1)

struct gc_console {
    gc_console_config cfg;
};

static const char csp[] = "default-src 'self'; base-uri 'none'; form-action 'self'; "
                          "frame-ancestors 'none'; object-src 'none'";

const gc_console_asset *gc_console_find(const char *name)
{
    if (*name == '\0')
        name = "index.html";
    for (size_t i = 0; i < gc_console_n_assets; i++)
        if (strcmp(gc_console_assets[i].name, name) == 0)
            return &gc_console_assets[i];
    return NULL;
}

const char *gc_console_content_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},     {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".svg", "image/svg+xml"},
        {".png", "image/png"},                     {".json", "application/json"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* "/console" or "/console/..." (the query is not part of path). */
static bool is_console_path(const char *path)
{
    return strncmp(path, PREFIX, PREFIX_LEN) == 0 &&
           (path[PREFIX_LEN] == '\0' || path[PREFIX_LEN] == '/');
}

static bool is_read(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

static void security_headers(gc_http_resp *resp)
{
    gc_http_resp_header(resp, "Content-Security-Policy", csp);
    gc_http_resp_header(resp, "X-Frame-Options", "DENY");
    gc_http_resp_header(resp, "Referrer-Policy", "no-referrer");
    gc_http_resp_header(resp, "X-Content-Type-Options", "nosniff");
}

/* An error answer made by the wrapped handler (a Graph error envelope), with the console's
 * headers. */
static void console_error(gc_console *con, const gc_http_req *req, gc_errkind kind,
                          const char *message, gc_http_resp *resp)
{
    con->cfg.next.error(con->cfg.next.ctx, req, kind, message, resp);
    if (kind == GC_E_METHOD)
        gc_http_resp_header(resp, "Allow", "GET, HEAD");
    security_headers(resp);
}

/* true when req is refused before anything is served; resp then holds the refusal. */
static bool refuse(gc_console *con, const gc_http_req *req, gc_http_resp *resp)
{
    if (!con->cfg.enabled) {
        console_error(con, req, GC_E_NOT_FOUND,
                      "The web console is turned off on this server (--no-console).", resp);
        return true;
    }
    if (!is_read(req->method)) {
        console_error(con, req, GC_E_METHOD,
                      "The web console's files answer GET and HEAD only.", resp);
        return true;
    }
    return false;
}

/* Does If-None-Match list etag (or '*')? */
static bool etag_matches(const char *header, const char *etag)
{
    size_t n = strlen(etag);
    for (const char *p = header; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (end - start == 1 && *start == '*')
            return true;
        if (end - start >= 2 && start[0] == 'W' && start[1] == '/')
            start += 2; /* weak comparison, as for GET */
        if ((size_t)(end - start) == n && memcmp(start, etag, n) == 0)
            return true;
    }
    return false;
}

static void serve(gc_console *con, const gc_http_req *req, gc_http_resp *resp)
{
    if (refuse(con, req, resp))
        return;
    if (req->path[PREFIX_LEN] == '\0') { /* "/console" → "/console/", so relative URLs work */
        resp->status = 301;
        gc_http_resp_header(resp, "Location", PREFIX "/");
        gc_http_resp_header(resp, "Cache-Control", "no-cache");
        security_headers(resp);
        return;
    }
    const char *name = req->path + PREFIX_LEN + 1;
    const gc_console_asset *a = gc_console_find(name);
    if (!a) {
        /* names are plain file names; anything else (dots, slashes, escapes) is not ours */
        console_error(con, req, GC_E_NOT_FOUND, "The web console has no file by that name.", resp);
        return;
    }
    gc_http_resp_header(resp, "ETag", a->etag);
    gc_http_resp_header(resp, "Cache-Control", "no-cache");
    security_headers(resp);
    const char *inm = gc_http_req_header(req, "If-None-Match");
    if (inm && etag_matches(inm, a->etag)) {
        resp->status = 304;
        return;
    }
    resp->status = 200;
    resp->content_type = gc_console_content_type(a->name);
    /* static storage; the adapter only reads the body */
    resp->body = (char *)a->data;
    resp->body_len = a->len;
}

static void handle(void *ctx, const gc_http_req *req, gc_http_resp *resp)
{
    gc_console *con = ctx;
    if (is_console_path(req->path))
        serve(con, req, resp);
    else
        con->cfg.next.handle(con->cfg.next.ctx, req, resp);
}

static bool admit(void *ctx, const gc_http_req *req, gc_http_resp *resp)
{
    gc_console *con = ctx;
    if (is_console_path(req->path))
        return !refuse(con, req, resp);
    return con->cfg.next.admit ? con->cfg.next.admit(con->cfg.next.ctx, req, resp) : true;
}

static void handle_error(void *ctx, const gc_http_req *req, gc_errkind kind, const char *message,
                         gc_http_resp *resp)
{
    gc_console *con = ctx;
    if (req->path && is_console_path(req->path))
        console_error(con, req, kind, message, resp);
    else
        con->cfg.next.error(con->cfg.next.ctx, req, kind, message, resp);
}

int gc_console_new(const gc_console_config *cfg, gc_console **out, gc_err *err)
{
    if (!cfg->next.handle || !cfg->next.error)
        return gc_err_set(err, GC_E_INTERNAL, "", "The web console needs a handler to wrap.");
    gc_console *con = calloc(1, sizeof *con);
    if (!con)
        return gc_err_set(err, GC_E_INTERNAL, "", "Out of memory.");
    con->cfg = *cfg;
    *out = con;
    return 0;
}

void gc_console_free(gc_console *con)
{
    free(con);
}

gc_http_handler gc_console_http_handler(gc_console *con)
{
    return (gc_http_handler){.ctx = con, .handle = handle, .error = handle_error, .admit = admit};
}
