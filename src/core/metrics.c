/* Atomic counters and latency histograms, and their Prometheus text exposition (version
 * 0.0.4: https://prometheus.io/docs/instrumenting/exposition_formats/). */
#include "core/metrics.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* From half a millisecond (a cached GET) to ten seconds (a write waiting on a slow disk). */
const double gc_hist_bounds[GC_HIST_N_BOUNDS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                 0.1,    0.25,  0.5,    1,     2.5,  5,     10};

void gc_hist_observe(gc_hist *h, uint64_t ns)
{
    double s = (double)ns / 1e9;
    size_t i = 0;
    while (i < GC_HIST_N_BOUNDS && s > gc_hist_bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_ns, ns, memory_order_relaxed);
}

uint64_t gc_metrics_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int gc_prom_escape_label(gc_buf *b, const char *value)
{
    int rc = 0;
    for (const char *p = value; *p && rc == 0; p++) {
        if (*p == '\\')
            rc = gc_buf_append(b, "\\\\", 2);
        else if (*p == '"')
            rc = gc_buf_append(b, "\\\"", 2);
        else if (*p == '\n')
            rc = gc_buf_append(b, "\\n", 2);
        else
            rc = gc_buf_append(b, p, 1);
    }
    return rc;
}

int gc_prom_header(gc_buf *b, const char *name, const char *type, const char *help)
{
    if (gc_buf_appendf(b, "# HELP %s ", name) < 0)
        return -1;
    for (const char *p = help; *p; p++) {
        int rc = *p == '\\' ? gc_buf_append(b, "\\\\", 2)
                 : *p == '\n' ? gc_buf_append(b, "\\n", 2)
                              : gc_buf_append(b, p, 1);
        if (rc < 0)
            return -1;
    }
    return gc_buf_appendf(b, "\n# TYPE %s %s\n", name, type);
}

/* name{labels[,extra="extra_value"]} */
static int series(gc_buf *b, const char *name, const char *suffix, const gc_label *labels,
                  size_t n_labels, const char *extra, const char *extra_value)
{
    if (gc_buf_appendf(b, "%s%s", name, suffix) < 0)
        return -1;
    if (!n_labels && !extra)
        return 0;
    if (gc_buf_append(b, "{", 1) < 0)
        return -1;
    for (size_t i = 0; i < n_labels + (extra != NULL); i++) {
        const char *ln = i < n_labels ? labels[i].name : extra;
        const char *lv = i < n_labels ? labels[i].value : extra_value;
        if (gc_buf_appendf(b, "%s%s=\"", i ? "," : "", ln) < 0 || gc_prom_escape_label(b, lv) < 0 ||
            gc_buf_append(b, "\"", 1) < 0)
            return -1;
    }
    return gc_buf_append(b, "}", 1);
}

int gc_prom_sample_u64(gc_buf *b, const char *name, const gc_label *labels, size_t n_labels,
                       uint64_t value)
{
    if (series(b, name, "", labels, n_labels, NULL, NULL) < 0)
        return -1;
    return gc_buf_appendf(b, " %llu\n", (unsigned long long)value);
}

int gc_prom_hist(gc_buf *b, const char *name, const gc_label *labels, size_t n_labels,
                 const gc_hist *h)
{
    uint64_t cum = 0;
    for (size_t i = 0; i <= GC_HIST_N_BOUNDS; i++) {
        cum += atomic_load_explicit(&h->buckets[i], memory_order_relaxed);
        char le[32];
        if (i < GC_HIST_N_BOUNDS)
            snprintf(le, sizeof le, "%g", gc_hist_bounds[i]);
        else
            memcpy(le, "+Inf", 5);
        if (series(b, name, "_bucket", labels, n_labels, "le", le) < 0 ||
            gc_buf_appendf(b, " %llu\n", (unsigned long long)cum) < 0)
            return -1;
    }
    uint64_t ns = atomic_load_explicit(&h->sum_ns, memory_order_relaxed);
    /* seconds, exactly: the nanoseconds as a decimal fraction */
    if (series(b, name, "_sum", labels, n_labels, NULL, NULL) < 0 ||
        gc_buf_appendf(b, " %llu.%09llu\n", (unsigned long long)(ns / 1000000000u),
                       (unsigned long long)(ns % 1000000000u)) < 0 ||
        series(b, name, "_count", labels, n_labels, NULL, NULL) < 0)
        return -1;
    /* the count is the +Inf bucket as rendered, so the two always agree */
    return gc_buf_appendf(b, " %llu\n", (unsigned long long)cum);
}
