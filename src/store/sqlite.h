/* Store-internal entry points of the SQLite backend, for tests and tools only: opening with a
 * chosen list of entity types, and counters/fault injection that make group commit and
 * checkpoints observable.
 * Everything else goes through store.h (gc_store_open("sqlite:PATH")). */
#ifndef GC_STORE_SQLITE_H
#define GC_STORE_SQLITE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Like gc_store_open("sqlite:PATH") but creates tables for types[0..n_types) instead of
 * gc_schema_types. The types must outlive the store. */
int gc_store_sqlite_open_types(const char *path, const gc_entity_type *const *types, size_t n_types,
                               gc_store **out, gc_err *err);

/* Number of write transactions committed since open (one per group of writes). */
uint64_t gc_store_sqlite_commits(gc_store *s);

/* Fault injection: the next n group commits roll back instead, failing every write of the
 * group with GC_E_INTERNAL exactly as a failed COMMIT does. */
void gc_store_sqlite_fail_commits(gc_store *s, int n);

/* Fault injection: each commit, once visible, waits us microseconds (below a second) before
 * the store counts it, widening the window in which readers must not go back in time. */
void gc_store_sqlite_delay_settle(gc_store *s, int us);

/* Checkpoints run by the checkpoint thread, and WAL restarts run by the writer, since open. */
void gc_store_sqlite_checkpoint_stats(gc_store *s, uint64_t *checkpoints, uint64_t *restarts);

/* Changes the WAL sizes (in pages) that trigger a checkpoint and a WAL restart; for tests. */
void gc_store_sqlite_set_checkpoint_pages(gc_store *s, int pages, int restart_pages);

/* The schema version this code writes and understands. */
#define GC_STORE_SQLITE_SCHEMA_VERSION 1

#endif
