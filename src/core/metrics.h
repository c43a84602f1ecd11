/* Metric primitives shared by the layers that measure (api, store) and the Prometheus text
 * exposition (format 0.0.4) that renders them. Counters and histograms are plain atomics: a
 * hot path records with a few relaxed atomic adds and never takes a lock. */
#ifndef GC_CORE_METRICS_H
#define GC_CORE_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

/* Upper bounds (seconds) of the latency buckets, +Inf implied after the last. */
#define GC_HIST_N_BOUNDS 14
extern const double gc_hist_bounds[GC_HIST_N_BOUNDS];

/* A latency histogram. Zero-initialised memory is an empty histogram. Each bucket counts only
 * its own observations; the text form adds them up (cumulative, as Prometheus wants). */
typedef struct gc_hist {
    _Atomic uint64_t buckets[GC_HIST_N_BOUNDS + 1]; /* the last is (last bound, +Inf) */
    _Atomic uint64_t sum_ns;
} gc_hist;

/* Records one observation of ns nanoseconds. */
void gc_hist_observe(gc_hist *h, uint64_t ns);

/* Monotonic clock in nanoseconds, for measuring durations. */
uint64_t gc_metrics_now_ns(void);

/* A label: name="value". Values are escaped on output. */
typedef struct gc_label {
    const char *name;
    const char *value;
} gc_label;

/* Text exposition. Each returns 0, or -1 when b's limit is reached. */
/* "# HELP name help\n# TYPE name type\n" (help escaped: backslash and newline). */
int gc_prom_header(gc_buf *b, const char *name, const char *type, const char *help);
/* "name{labels} value\n" with the value as an integer. */
int gc_prom_sample_u64(gc_buf *b, const char *name, const gc_label *labels, size_t n_labels,
                       uint64_t value);
/* The _bucket (cumulative, with le), _sum (seconds) and _count lines of h. */
int gc_prom_hist(gc_buf *b, const char *name, const gc_label *labels, size_t n_labels,
                 const gc_hist *h);
/* Appends a label value escaped for the text format: \ → \\, " → \", newline → \n. */
int gc_prom_escape_label(gc_buf *b, const char *value);

#endif
