/* Online backup and restore of a store (`graphcerts backup` and `restore`). A backup is one
 * consistent snapshot taken with SQLite's online backup API while the server keeps serving: it
 * holds every write committed (acknowledged) before it began, also those still in the WAL, which
 * a plain copy of the database file would miss. Only sqlite: DSNs are supported. */
#ifndef GC_STORE_BACKUP_H
#define GC_STORE_BACKUP_H

#include "core/err.h"

/* Copies the store at dsn into a new file out (refused when out exists): written as out.tmp,
 * checked with PRAGMA integrity_check, synced, then renamed to out. */
int gc_store_backup(const char *dsn, const char *out, gc_err *err);

/* Checks the backup file in (integrity_check), then replaces the whole content of the store at
 * dsn with it in one transaction (the file is made when missing) and checks the result. The
 * server must not be running on dsn. */
int gc_store_restore(const char *in, const char *dsn, gc_err *err);

#endif
