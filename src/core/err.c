/* The one table from error kinds to HTTP status and Graph error code, and the one place error
 * records are filled: a message or target that quotes client bytes, or that a limit cut in
 * the middle of a character, is mended to valid UTF-8 there, so every error can be sent as
 * JSON. */
#include "core/err.h"

#include "core/codec.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    int status;
    const char *code;
} err_table[GC_E__COUNT] = {
    [GC_OK] = {200, ""},
    [GC_E_BAD_REQUEST] = {400, "BadRequest"},
    [GC_E_UNAUTHENTICATED] = {401, "InvalidAuthenticationToken"},
    [GC_E_FORBIDDEN] = {403, "Forbidden"},
    [GC_E_NOT_FOUND] = {404, "ResourceNotFound"},
    [GC_E_METHOD] = {405, "MethodNotAllowed"},
    [GC_E_TIMEOUT] = {408, "RequestTimeout"},
    [GC_E_CONFLICT] = {409, "Conflict"},
    [GC_E_PRECONDITION] = {412, "PreconditionFailed"},
    [GC_E_TOO_LARGE] = {413, "RequestEntityTooLarge"},
    [GC_E_URI_TOO_LONG] = {414, "RequestUriTooLong"},
    [GC_E_MEDIA_TYPE] = {415, "UnsupportedMediaType"},
    [GC_E_EXPECTATION] = {417, "ExpectationFailed"},
    [GC_E_FAILED_DEPENDENCY] = {424, "FailedDependency"},
    [GC_E_HEADERS_TOO_LARGE] = {431, "RequestHeaderFieldsTooLarge"},
    [GC_E_TOO_MANY] = {429, "TooManyRequests"},
    [GC_E_INTERNAL] = {500, "InternalServerError"},
    [GC_E_NOT_IMPLEMENTED] = {501, "NotImplemented"},
    [GC_E_UNAVAILABLE] = {503, "ServiceUnavailable"},
    [GC_E_HTTP_VERSION] = {505, "HttpVersionNotSupported"},
    [GC_E_STORAGE_FULL] = {507, "InsufficientStorage"},
    [GC_E_STALE] = {412, "PreconditionFailed"},
};

/* Every byte that does not start a valid UTF-8 character becomes '?'. */
static void utf8_mend(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t left = strlen(s);
    while (*p) {
        size_t n = gc_utf8_char_len(p, left);
        left -= n ? n : 1;
        if (n) {
            p += n;
        } else {
            *p++ = '?';
        }
    }
}

int gc_err_set(gc_err *err, gc_errkind kind, const char *target, const char *fmt, ...)
{
    if (!err)
        return -1;
    err->kind = kind;
    snprintf(err->target, sizeof err->target, "%s", target ? target : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    utf8_mend(err->target);
    utf8_mend(err->message);
    return -1;
}

void gc_err_clear(gc_err *err)
{
    if (!err)
        return;
    err->kind = GC_OK;
    err->target[0] = '\0';
    err->message[0] = '\0';
}

int gc_err_http_status(gc_errkind kind)
{
    if ((unsigned)kind >= GC_E__COUNT)
        return 500;
    return err_table[kind].status;
}

const char *gc_err_graph_code(gc_errkind kind)
{
    if ((unsigned)kind >= GC_E__COUNT)
        return "InternalServerError";
    return err_table[kind].code;
}

gc_errkind gc_err_kind_for_status(int status)
{
    for (int k = GC_E_BAD_REQUEST; k < GC_E__COUNT; k++)
        if (k != GC_E_STALE && err_table[k].status == status)
            return (gc_errkind)k;
    return GC_E_INTERNAL;
}
