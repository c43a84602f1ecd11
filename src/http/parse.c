/* HTTP/1.1 request heads and chunked bodies, parsed strictly (see parse.h). Lines may end in
 * CRLF or a bare LF (RFC 9112 section 2.2); a bare CR anywhere is an error. The request target
 * is everything between the first and the last space of the request line, so a target with raw
 * spaces (as Microsoft's PFX import tool sends its $filter) still parses. */
#include "http/parse.h"

#include "core/util.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_METHOD 32
#define MAX_LEADING_EMPTY_LINES 8
#define MAX_CHUNK_EXT 4096

static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

/* A field-value byte: visible ASCII, space, tab, or obs-text. */
static bool is_value_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static gc_http_parse_result fail(gc_errkind *kind, char *msg, size_t msg_len, gc_errkind k,
                                 const char *text)
{
    *kind = k;
    snprintf(msg, msg_len, "%s", text);
    return GC_PARSE_ERROR;
}

bool gc_http_name_is(const char *buf, const gc_http_field *f, const char *name)
{
    return strlen(name) == f->name_len && strncasecmp(buf + f->name_off, name, f->name_len) == 0;
}

/* The end of the line starting at p (the index of its LF), or -1 when it is not complete. */
static ptrdiff_t line_end(const char *buf, size_t from, size_t len)
{
    const char *lf = memchr(buf + from, '\n', len - from);
    return lf ? lf - buf : -1;
}

/* Content of a line [start, lf): without the CR before the LF. A CR anywhere else is an error. */
static bool line_content(const char *buf, size_t start, size_t lf, size_t *end)
{
    size_t e = lf;
    if (e > start && buf[e - 1] == '\r')
        e--;
    if (memchr(buf + start, '\r', e - start))
        return false;
    *end = e;
    return true;
}

/* Where the head ends (just past its blank line) or 0 when it has not arrived yet. */
static size_t find_head_end(const char *buf, size_t from, size_t len)
{
    for (size_t i = from; i < len;) {
        const char *lf = memchr(buf + i, '\n', len - i);
        if (!lf)
            return 0;
        size_t k = (size_t)(lf - buf) + 1;
        if (k < len && buf[k] == '\n')
            return k + 1;
        if (k + 1 < len && buf[k] == '\r' && buf[k + 1] == '\n')
            return k + 2;
        if (k + 1 >= len) /* the next line has not begun, or is a lone CR so far */
            return 0;
        i = k;
    }
    return 0;
}

/* Walks comma-separated list elements of one field value (OWS trimmed, empty ones skipped). */
typedef struct list_iter {
    const char *p, *end;
} list_iter;

static bool list_next(list_iter *it, const char **tok, size_t *tok_len)
{
    while (it->p < it->end) {
        const char *comma = memchr(it->p, ',', (size_t)(it->end - it->p));
        const char *e = comma ? comma : it->end;
        const char *s = it->p;
        it->p = comma ? comma + 1 : it->end;
        while (s < e && is_ows(*s))
            s++;
        while (e > s && is_ows(e[-1]))
            e--;
        if (e > s) {
            *tok = s;
            *tok_len = (size_t)(e - s);
            return true;
        }
    }
    return false;
}

static bool tok_is(const char *tok, size_t len, const char *word)
{
    return strlen(word) == len && strncasecmp(tok, word, len) == 0;
}

static gc_http_parse_result parse_request_line(const char *buf, size_t start, size_t end,
                                               const gc_http_limits *lim, gc_http_head *head,
                                               gc_errkind *kind, char *msg, size_t msg_len)
{
    const char *line = buf + start;
    size_t n = end - start;
    const char *sp1 = memchr(line, ' ', n);
    if (!sp1 || sp1 == line)
        return fail(kind, msg, msg_len, GC_E_BAD_REQUEST, "The request line is malformed.");
    size_t mlen = (size_t)(sp1 - line);
    for (size_t i = 0; i < mlen; i++)
        if (!is_tchar((unsigned char)line[i]))
            return fail(kind, msg, msg_len, GC_E_BAD_REQUEST,
                        "The request method is not a valid token.");
    if (mlen > MAX_METHOD)
        return fail(kind, msg, msg_len, GC_E_BAD_REQUEST, "The request method is too long.");
    head->method_off = (uint32_t)start;
    head->method_len = (uint32_t)mlen;
    const char *sp2 = line + n;
    while (sp2 > sp1 && sp2[-1] != ' ')
        sp2--;
    sp2--; /* the last space */
    if (sp2 == sp1)
        return fail(kind, msg, msg_len, GC_E_BAD_REQUEST,
                    "The request line has no HTTP version.");
    const char *ver = sp2 + 1;
    size_t vlen = (size_t)(line + n - ver);
    size_t tlen = (size_t)(sp2 - (sp1 + 1));
    head->target_off = (uint32_t)(start + mlen + 1);
    head->target_len = (uint32_t)(tlen > lim->max_url ? 0 : tlen);
    if (vlen == 8 && memcmp(ver, "HTTP/1.", 7) == 0 && (ver[7] == '1' || ver[7] == '0'))
        head->minor = ver[7] - '0';
    else if (vlen == 8 && memcmp(ver, "HTTP/", 5) == 0 && ver[5] >= '0' && ver[5] <= '9' &&
             ver[6] == '.' && ver[7] >= '0' && ver[7] <= '9')
        return fail(kind, msg, msg_len, GC_E_HTTP_VERSION,
                    "Only HTTP/1.1 and HTTP/1.0 are served here.");
    else
        return fail(kind, msg, msg_len, GC_E_BAD_REQUEST, "The request line is malformed.");
    if (tlen > lim->max_url) {
        snprintf(msg, msg_len, "The request URL is longer than %zu bytes.", lim->max_url);
        *kind = GC_E_URI_TOO_LONG;
        return GC_PARSE_ERROR;
    }
    const unsigned char *t = (const unsigned char *)sp1 + 1;
    if (tlen == 0 || t[0] == ' ')
        return fail(kind, msg, msg_len, GC_E_BAD_REQUEST, "The request has no target.");
    for (size_t i = 0; i < tlen; i++)
        if (t[i] < 0x20 || t[i] == 0x7f)
            return fail(kind, msg, msg_len, GC_E_BAD_REQUEST,
                        "The request target holds a control character.");
    return GC_PARSE_DONE;
}

/* The limits while the head is still arriving: a request line or header section that is
 * already too long is answered now, not when (if ever) its end arrives. */
static gc_http_parse_result check_partial(const char *buf, size_t skip, size_t len,
                                          const gc_http_limits *lim, gc_http_head *head,
                                          gc_errkind *kind, char *msg, size_t msg_len)
{
    ptrdiff_t lf = line_end(buf, skip, len);
    if (lf < 0) {
        if (len - skip > lim->max_url + MAX_METHOD + 16) {
            /* the method is known when its space has arrived; the error hook names it */
            const char *sp = memchr(buf + skip, ' ', len - skip);
            if (sp && sp - (buf + skip) <= MAX_METHOD) {
                head->method_off = (uint32_t)skip;
                head->method_len = (uint32_t)(sp - (buf + skip));
                for (uint32_t i = 0; i < head->method_len; i++)
                    if (!is_tchar((unsigned char)buf[skip + i]))
                        head->method_len = 0;
            }
            snprintf(msg, msg_len, "The request URL is longer than %zu bytes.", lim->max_url);
            *kind = GC_E_URI_TOO_LONG;
            return GC_PARSE_ERROR;
        }
        return GC_PARSE_INCOMPLETE;
    }
    size_t end;
    if (!line_content(buf, skip, (size_t)lf, &end))
        return fail(kind, msg, msg_len, GC_E_BAD_REQUEST, "The request line holds a bare CR.");
    gc_http_parse_result r = parse_request_line(buf, skip, end, lim, head, kind, msg, msg_len);
    if (r == GC_PARSE_ERROR)
        return r;
    if (len - ((size_t)lf + 1) > lim->max_headers + 2) {
        snprintf(msg, msg_len, "The request headers are larger than %zu bytes.", lim->max_headers);
        *kind = GC_E_HEADERS_TOO_LARGE;
        return GC_PARSE_ERROR;
    }
    return GC_PARSE_INCOMPLETE;
}

/* Content-Length, Transfer-Encoding, Host, Connection and Expect, once every field is in. */
static gc_http_parse_result check_fields(const char *buf, const gc_http_field *fields,
                                         gc_http_head *head, gc_errkind *kind, char *msg,
                                         size_t msg_len)
{
    int n_cl = 0, n_te = 0, n_host = 0;
    const gc_http_field *cl = NULL;
    bool chunked_last = false, chunked_twice = false, chunked_seen = false;
    const char *unknown = NULL;
    size_t unknown_len = 0;
    head->keep_alive = head->minor == 1;
    head->host_index = -1;
    for (size_t i = 0; i < head->n_fields; i++) {
        const gc_http_field *f = &fields[i];
        const char *v = buf + f->value_off;
        list_iter it = {v, v + f->value_len};
        const char *tok;
        size_t tl;
        if (gc_http_name_is(buf, f, "content-length")) {
            n_cl++;
            cl = f;
        } else if (gc_http_name_is(buf, f, "transfer-encoding")) {
            n_te++;
            while (list_next(&it, &tok, &tl)) {
                bool is_chunked = tok_is(tok, tl, "chunked");
                if (is_chunked && chunked_seen)
                    chunked_twice = true;
                chunked_seen = chunked_seen || is_chunked;
                chunked_last = is_chunked;
                if (!is_chunked && !unknown) {
                    unknown = tok;
                    unknown_len = tl;
                }
            }
        } else if (gc_http_name_is(buf, f, "host")) {
            n_host++;
            head->host_index = (int)i;
        } else if (gc_http_name_is(buf, f, "connection")) {
            while (list_next(&it, &tok, &tl)) {
                if (tok_is(tok, tl, "close"))
                    head->keep_alive = false;
                else if (tok_is(tok, tl, "keep-alive") && head->minor == 0)
                    head->keep_alive = true;
            }
        } else if (gc_http_name_is(buf, f, "expect")) {
            if (tok_is(v, f->value_len, "100-continue"))
                head->expect_continue = head->minor == 1;
            else if (f->value_len > 0)
                return fail(kind, msg, msg_len, GC_E_EXPECTATION,
                            "Only the expectation 100-continue is supported.");
        }
    }
    if (n_host > 1)
        return fail(kind, msg, msg_len, GC_E_BAD_REQUEST, "The request has more than one Host header.");
    if (n_host == 0 && head->minor == 1)
        return fail(kind, msg, msg_len, GC_E_BAD_REQUEST,
                    "An HTTP/1.1 request must have a Host header.");
    if (n_te > 0) {
        if (n_cl > 0)
            return fail(kind, msg, msg_len, GC_E_BAD_REQUEST,
                        "The request has both Content-Length and Transfer-Encoding.");
        if (head->minor == 0)
            return fail(kind, msg, msg_len, GC_E_BAD_REQUEST,
                        "Transfer-Encoding is not allowed in an HTTP/1.0 request.");
        if (unknown) {
            snprintf(msg, msg_len, "The transfer coding '%.*s' is not supported; only chunked is.",
                     (int)(unknown_len > 40 ? 40 : unknown_len), unknown);
            *kind = GC_E_NOT_IMPLEMENTED;
            return GC_PARSE_ERROR;
        }
        if (!chunked_last || chunked_twice)
            return fail(kind, msg, msg_len, GC_E_BAD_REQUEST,
                        "The Transfer-Encoding header is malformed.");
        head->body = GC_BODY_CHUNKED;
        return GC_PARSE_DONE;
    }
    if (n_cl > 1)
        return fail(kind, msg, msg_len, GC_E_BAD_REQUEST,
                    "The request has more than one Content-Length header.");
    if (cl) {
        const char *v = buf + cl->value_off;
        if (cl->value_len == 0)
            return fail(kind, msg, msg_len, GC_E_BAD_REQUEST,
                        "The Content-Length header is empty.");
        uint64_t n = 0;
        for (size_t i = 0; i < cl->value_len; i++) {
            if (v[i] < '0' || v[i] > '9')
                return fail(kind, msg, msg_len, GC_E_BAD_REQUEST,
                            "The Content-Length header is not a decimal number.");
            unsigned d = (unsigned)(v[i] - '0');
            n = n > (UINT64_MAX - d) / 10 ? UINT64_MAX : n * 10 + d;
        }
        head->content_length = n;
        head->body = n > 0 ? GC_BODY_LENGTH : GC_BODY_NONE;
    }
    return GC_PARSE_DONE;
}

gc_http_parse_result gc_http_parse_head(const char *buf, size_t len, const gc_http_limits *lim,
                                        size_t *scanned, gc_http_field *fields, gc_http_head *head,
                                        gc_errkind *kind, char *msg, size_t msg_len)
{
    memset(head, 0, sizeof *head);
    head->host_index = -1;
    /* empty lines before the request line are skipped (RFC 9112 section 2.2) */
    size_t skip = 0;
    for (int i = 0; i < MAX_LEADING_EMPTY_LINES; i++) {
        if (skip < len && buf[skip] == '\n')
            skip += 1;
        else if (skip + 1 < len && buf[skip] == '\r' && buf[skip + 1] == '\n')
            skip += 2;
        else
            break;
    }
    if (skip == len || (skip + 1 == len && buf[skip] == '\r'))
        return GC_PARSE_INCOMPLETE;
    size_t from = *scanned > skip + 2 ? *scanned - 2 : skip;
    size_t end = find_head_end(buf, from, len);
    if (end == 0) {
        *scanned = len;
        return check_partial(buf, skip, len, lim, head, kind, msg, msg_len);
    }
    ptrdiff_t lf = line_end(buf, skip, end);
    size_t rl_end;
    if (!line_content(buf, skip, (size_t)lf, &rl_end))
        return fail(kind, msg, msg_len, GC_E_BAD_REQUEST, "The request line holds a bare CR.");
    gc_http_parse_result r = parse_request_line(buf, skip, rl_end, lim, head, kind, msg, msg_len);
    if (r == GC_PARSE_ERROR)
        return r;
    size_t pos = (size_t)lf + 1;
    for (;;) {
        size_t nl = (size_t)line_end(buf, pos, end);
        size_t e;
        if (!line_content(buf, pos, nl, &e))
            return fail(kind, msg, msg_len, GC_E_BAD_REQUEST, "A header line holds a bare CR.");
        if (e == pos) { /* the blank line */
            pos = nl + 1;
            break;
        }
        head->header_bytes += nl + 1 - pos;
        if (head->header_bytes > lim->max_headers) {
            snprintf(msg, msg_len, "The request headers are larger than %zu bytes.",
                     lim->max_headers);
            *kind = GC_E_HEADERS_TOO_LARGE;
            return GC_PARSE_ERROR;
        }
        if (head->n_fields >= lim->max_n_headers) {
            snprintf(msg, msg_len, "The request has more than %zu header fields.",
                     lim->max_n_headers);
            *kind = GC_E_HEADERS_TOO_LARGE;
            return GC_PARSE_ERROR;
        }
        if (is_ows(buf[pos]))
            return fail(kind, msg, msg_len, GC_E_BAD_REQUEST,
                        "Header line folding (a line starting with whitespace) is not allowed.");
        const char *colon = memchr(buf + pos, ':', e - pos);
        if (!colon || colon == buf + pos)
            return fail(kind, msg, msg_len, GC_E_BAD_REQUEST, "A header line has no field name.");
        size_t name_len = (size_t)(colon - (buf + pos));
        for (size_t i = 0; i < name_len; i++)
            if (!is_tchar((unsigned char)buf[pos + i]))
                return fail(kind, msg, msg_len, GC_E_BAD_REQUEST,
                            "A header field name holds a character that is not allowed "
                            "(whitespace before the colon, or a control character).");
        size_t vs = (size_t)(colon - buf) + 1, ve = e;
        while (vs < ve && is_ows(buf[vs]))
            vs++;
        while (ve > vs && is_ows(buf[ve - 1]))
            ve--;
        for (size_t i = vs; i < ve; i++)
            if (!is_value_char((unsigned char)buf[i])) {
                snprintf(msg, msg_len, "The header '%.*s' holds a control character.",
                         (int)(name_len > 64 ? 64 : name_len), buf + pos);
                *kind = GC_E_BAD_REQUEST;
                return GC_PARSE_ERROR;
            }
        fields[head->n_fields++] = (gc_http_field){(uint32_t)pos, (uint32_t)name_len,
                                                   (uint32_t)vs, (uint32_t)(ve - vs)};
        pos = nl + 1;
    }
    head->head_len = pos;
    r = check_fields(buf, fields, head, kind, msg, msg_len);
    return r;
}

/* ---- chunked bodies ---- */

enum {
    CH_SIZE,
    CH_SIZE_WS,
    CH_EXT,
    CH_SIZE_LF,
    CH_DATA,
    CH_DATA_CR,
    CH_DATA_LF,
    CH_TRAILER,
    CH_TRAILER_LF,
    CH_DONE,
};

gc_http_chunk_result gc_http_chunked_feed(gc_http_chunked *d, const char *buf, size_t len,
                                          size_t max_trailer, size_t *consumed, size_t *data_off,
                                          size_t *data_len)
{
    size_t i = 0;
    *data_off = *data_len = 0;
    while (i < len) {
        char c = buf[i];
        switch (d->state) {
        case CH_SIZE: {
            int h = gc_hex_digit((unsigned char)c);
            if (h >= 0) {
                if (++d->size_digits > 16)
                    goto bad;
                d->remaining = d->remaining * 16 + (uint64_t)h;
            } else if (d->size_digits == 0) {
                goto bad;
            } else if (c == ';') {
                d->state = CH_EXT;
            } else if (is_ows(c)) {
                d->state = CH_SIZE_WS;
            } else if (c == '\r') {
                d->state = CH_SIZE_LF;
            } else {
                goto bad;
            }
            i++;
            break;
        }
        case CH_SIZE_WS:
            if (c == ';')
                d->state = CH_EXT;
            else if (c == '\r')
                d->state = CH_SIZE_LF;
            else if (!is_ows(c))
                goto bad;
            i++;
            break;
        case CH_EXT:
            if (c == '\r')
                d->state = CH_SIZE_LF;
            else if (c == '\n' || (!is_value_char((unsigned char)c)) || ++d->ext_bytes > MAX_CHUNK_EXT)
                goto bad;
            i++;
            break;
        case CH_SIZE_LF:
            if (c != '\n')
                goto bad;
            i++;
            d->size_digits = 0;
            if (d->remaining == 0) {
                d->state = CH_TRAILER;
                d->line_bytes = 0;
            } else {
                d->state = CH_DATA;
            }
            break;
        case CH_DATA: {
            size_t n = len - i;
            if ((uint64_t)n > d->remaining)
                n = (size_t)d->remaining;
            d->remaining -= n;
            if (d->remaining == 0)
                d->state = CH_DATA_CR;
            *data_off = i;
            *data_len = n;
            *consumed = i + n;
            return GC_CHUNK_DATA;
        }
        case CH_DATA_CR:
            if (c != '\r')
                goto bad;
            d->state = CH_DATA_LF;
            i++;
            break;
        case CH_DATA_LF:
            if (c != '\n')
                goto bad;
            d->state = CH_SIZE;
            i++;
            break;
        case CH_TRAILER:
            if (c == '\r') {
                d->state = CH_TRAILER_LF;
            } else if (c == '\n' || !is_value_char((unsigned char)c) ||
                       ++d->trailer_bytes > max_trailer) {
                goto bad;
            } else {
                d->line_bytes++;
            }
            i++;
            break;
        case CH_TRAILER_LF:
            if (c != '\n')
                goto bad;
            i++;
            if (d->line_bytes == 0) {
                d->state = CH_DONE;
                *consumed = i;
                return GC_CHUNK_DONE;
            }
            d->line_bytes = 0;
            d->state = CH_TRAILER;
            break;
        case CH_DONE:
            *consumed = i;
            return GC_CHUNK_DONE;
        default:
            goto bad;
        }
    }
    *consumed = i;
    return d->state == CH_DONE ? GC_CHUNK_DONE : GC_CHUNK_MORE;
bad:
    *consumed = i;
    return GC_CHUNK_ERROR;
}
