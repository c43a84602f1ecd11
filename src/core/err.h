/* Error records: every fallible function returns 0 or a negative value and fills a gc_err that
 * the caller owns. One table (err.c) maps each kind to its HTTP status and Graph error code, so
 * no layer above invents its own. There is no thread-local "last error". */
#ifndef GC_CORE_ERR_H
#define GC_CORE_ERR_H

#include <stddef.h>

typedef enum gc_errkind {
    GC_OK = 0,
    GC_E_BAD_REQUEST,        /* 400 BadRequest */
    GC_E_UNAUTHENTICATED,    /* 401 InvalidAuthenticationToken */
    GC_E_FORBIDDEN,          /* 403 Forbidden */
    GC_E_NOT_FOUND,          /* 404 ResourceNotFound */
    GC_E_METHOD,             /* 405 MethodNotAllowed */
    GC_E_TIMEOUT,            /* 408 RequestTimeout */
    GC_E_CONFLICT,           /* 409 Conflict */
    GC_E_PRECONDITION,       /* 412 PreconditionFailed */
    GC_E_TOO_LARGE,          /* 413 RequestEntityTooLarge */
    GC_E_URI_TOO_LONG,       /* 414 RequestUriTooLong */
    GC_E_MEDIA_TYPE,         /* 415 UnsupportedMediaType */
    GC_E_EXPECTATION,        /* 417 ExpectationFailed */
    GC_E_FAILED_DEPENDENCY,  /* 424 FailedDependency */
    GC_E_HEADERS_TOO_LARGE,  /* 431 RequestHeaderFieldsTooLarge */
    GC_E_TOO_MANY,           /* 429 TooManyRequests */
    GC_E_INTERNAL,           /* 500 InternalServerError */
    GC_E_NOT_IMPLEMENTED,    /* 501 NotImplemented */
    GC_E_UNAVAILABLE,        /* 503 ServiceUnavailable */
    GC_E_HTTP_VERSION,       /* 505 HttpVersionNotSupported */
    GC_E_STORAGE_FULL,       /* 507 InsufficientStorage */
    GC_E_STALE,              /* store only: a conditional write lost a race (version changed) */
    GC_E__COUNT
} gc_errkind;

typedef struct gc_err {
    gc_errkind kind;
    char target[64];   /* the property or parameter at fault, "" when none */
    char message[512]; /* safe for clients and logs: never holds a secret */
} gc_err;

/* Fills err (printf-style message, truncated to fit; in target and message every byte that
 * does not start a valid UTF-8 character becomes '?') and returns -1, so callers can write
 * `return gc_err_set(err, GC_E_BAD_REQUEST, "thumbprint", "...")`. err may be NULL. */
int gc_err_set(gc_err *err, gc_errkind kind, const char *target, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void gc_err_clear(gc_err *err);

int gc_err_http_status(gc_errkind kind);
const char *gc_err_graph_code(gc_errkind kind);
/* Status 4xx/5xx to the kind that answers it (GC_E_INTERNAL when unknown). */
gc_errkind gc_err_kind_for_status(int status);

#endif
