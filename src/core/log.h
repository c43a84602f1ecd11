/* The one logging funnel. Lines go to stderr; the level is checked before any formatting.
 * Every line carries the request-id ("-" outside a request). Callers never pass tokens, PFX
 * blobs, passwords or DSN passwords: log what happened, not what was sent. */
#ifndef GC_CORE_LOG_H
#define GC_CORE_LOG_H

typedef enum gc_log_level { GC_LOG_DEBUG, GC_LOG_INFO, GC_LOG_WARN, GC_LOG_ERROR, GC_LOG_OFF } gc_log_level;

void gc_log_set_level(gc_log_level level);
gc_log_level gc_log_get_level(void);
/* "debug", "info", "warn", "error", "off" → 0 or -1 when unknown. */
int gc_log_parse_level(const char *s, gc_log_level *out);

#define gc_log(level, request_id, ...)                                                             \
    do {                                                                                           \
        if ((level) >= gc_log_get_level())                                                         \
            gc_log_write((level), (request_id), __VA_ARGS__);                                      \
    } while (0)

void gc_log_write(gc_log_level level, const char *request_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One JSON line per request (at info level): the path is logged without its query string. */
void gc_log_access(const char *request_id, const char *tenant, const char *method, const char *path,
                   int status, double millis);

#endif
