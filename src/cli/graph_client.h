/* A small Graph client over libcurl for the CLI's tools: one JSON request with a bearer token,
 * retried after Retry-After when the service answers 429 or 503 (a bounded number of times,
 * each wait capped). The token never reaches a message. */
#ifndef GC_CLI_GRAPH_CLIENT_H
#define GC_CLI_GRAPH_CLIENT_H

#include <stddef.h>

#include "core/arena.h"

/* Longest wait honoured from one Retry-After, in seconds. */
#define GC_CLIENT_MAX_WAIT 60
/* Largest response body kept. */
#define GC_CLIENT_MAX_BODY ((size_t)1 << 20)

typedef struct gc_client {
    const char *who;     /* prefix of messages on stderr, e.g. "graphcerts pfx import" */
    const char *token;   /* bearer token */
    const char *ca_file; /* trusted CA bundle for https, or NULL for the system's */
    int retries;         /* further attempts after a 429 or 503 */
} gc_client;

typedef struct gc_client_reply {
    long status;
    char *body; /* NUL-terminated, in the arena */
    size_t body_len;
    char request_id[64]; /* the service's request-id header, "" when none */
} gc_client_reply;

/* Process-wide libcurl setup; call once before any request. 0 or -1. */
int gc_client_global_init(void);

/* Sends method url (with body as application/json when not NULL) and waits for the answer;
 * on 429 or 503 waits Retry-After seconds (1 when absent, at most GC_CLIENT_MAX_WAIT) and
 * tries again, at most c->retries times, saying so on stderr. Returns 0 with the last reply
 * (any status), or -1 after printing why no reply came (connection, TLS, timeout). */
int gc_client_request(const gc_client *c, const char *method, const char *url, const char *body,
                      gc_arena *a, gc_client_reply *out);

#endif
