/* Log funnel: plain lines for events, one JSON object per line for the access log. */
#include "core/log.h"

#include "core/arena.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Atomic int current_level = GC_LOG_INFO;

void gc_log_set_level(gc_log_level level) { atomic_store(&current_level, (int)level); }
gc_log_level gc_log_get_level(void) { return (gc_log_level)atomic_load(&current_level); }

int gc_log_parse_level(const char *s, gc_log_level *out)
{
    static const char *names[] = {"debug", "info", "warn", "error", "off"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (gc_log_level)i;
            return 0;
        }
    return -1;
}

static void now_iso(char *buf, size_t n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + k, n - k, ".%03ldZ", ts.tv_nsec / 1000000);
}

void gc_log_write(gc_log_level level, const char *request_id, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    char ts[40], msg[1024];
    now_iso(ts, sizeof ts);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *line = json_pack("{s:s,s:s,s:s,s:s}", "time", ts, "level",
                             names[level < 4 ? level : 3], "request-id",
                             request_id ? request_id : "-", "msg", msg);
    char *s = line ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (s) {
        fprintf(stderr, "%s\n", s);
        gc_json_text_free(s);
    }
    json_decref(line);
}

void gc_log_access(const char *request_id, const char *tenant, const char *method, const char *path,
                   int status, double millis)
{
    if (GC_LOG_INFO < gc_log_get_level())
        return;
    char ts[40];
    now_iso(ts, sizeof ts);
    json_t *line = json_pack("{s:s,s:s,s:s,s:s?,s:s,s:s,s:i,s:f}", "time", ts, "type", "access",
                             "request-id", request_id ? request_id : "-", "tenant", tenant,
                             "method", method, "path", path, "status", status, "ms", millis);
    char *s = line ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4)) : NULL;
    if (s) {
        fprintf(stderr, "%s\n", s);
        gc_json_text_free(s);
    }
    json_decref(line);
}
