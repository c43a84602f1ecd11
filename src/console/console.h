/* The web console: static HTML, CSS and ES modules compiled into the binary (the table in
 * console_assets.c, generated at build time from src/console/assets/ by embed.cmake) and served
 * at /console/ without a token, in front of the handler it wraps (the API). The console's own
 * calls to the API carry the user's bearer token; its files need none. */
#ifndef GC_CONSOLE_CONSOLE_H
#define GC_CONSOLE_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "api/request.h"

/* One embedded file; the generated table owns everything (static storage). */
typedef struct gc_console_asset {
    const char *name;          /* path under /console/, e.g. "app.js" */
    const unsigned char *data; /* len bytes, NUL-terminated */
    size_t len;
    const char *etag;          /* "\"<sha-256 hex, 16 digits>\"" */
} gc_console_asset;

extern const gc_console_asset gc_console_assets[];
extern const size_t gc_console_n_assets;

/* The asset named name (no leading slash; "" is index.html), or NULL. */
const gc_console_asset *gc_console_find(const char *name);
/* Content-Type for a file name, by its extension. */
const char *gc_console_content_type(const char *name);

typedef struct gc_console_config {
    gc_http_handler next; /* answers everything outside /console; its error hook makes the
                             console's own error answers (a Graph error envelope) */
    bool enabled;         /* false (--no-console): /console answers 404 */
} gc_console_config;

typedef struct gc_console gc_console;

int gc_console_new(const gc_console_config *cfg, gc_console **out, gc_err *err);
void gc_console_free(gc_console *con);
/* The handler to give gc_http_start; valid while con lives. */
gc_http_handler gc_console_http_handler(gc_console *con);

#endif
