/* Online backup and restore of an SQLite store through sqlite3_backup_*: one pass (step -1)
 * under one read snapshot, so writers go on and the copy is consistent; each copy is checked
 * with integrity_check before it is trusted. */
#include "store/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BUSY_MS 10000

static const char *sqlite_path(const char *dsn, gc_err *err)
{
    if (strncmp(dsn, "sqlite:", 7) != 0 || !dsn[7]) {
        /* the scheme only: the rest of another store's DSN may hold a password */
        const char *colon = strchr(dsn, ':');
        gc_err_set(err, GC_E_BAD_REQUEST, "db",
                   "Backup and restore need an sqlite:PATH store, got a '%.*s' one (PostgreSQL: "
                   "use pg_dump or a base backup, see docs/scaling.md).",
                   colon ? (int)(colon - dsn > 32 ? 32 : colon - dsn) : 0, dsn);
        return NULL;
    }
    return dsn + 7;
}

static int db_fail(sqlite3 *db, const char *what, const char *path, gc_err *err)
{
    return gc_err_set(err, GC_E_INTERNAL, "db", "%s %s: %s.", what, path,
                      db ? sqlite3_errmsg(db) : "out of memory");
}

static int open_db(const char *path, int flags, sqlite3 **out, gc_err *err)
{
    *out = NULL;
    int rc = sqlite3_open_v2(path, out, flags, NULL);
    if (rc != SQLITE_OK) {
        db_fail(*out, "Cannot open", path, err);
        sqlite3_close(*out);
        *out = NULL;
        return -1;
    }
    sqlite3_busy_timeout(*out, BUSY_MS);
    return 0;
}

/* PRAGMA integrity_check answers one row "ok" when the file is sound. */
static int check_integrity(sqlite3 *db, const char *path, gc_err *err)
{
    sqlite3_stmt *st = NULL;
    int result = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
        gc_err_set(err, GC_E_INTERNAL, "db", "%s failed its integrity check: %s.", path, sqlite3_errmsg(db));
        goto done;
    }
    int rc = sqlite3_step(st);
    const char *first = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    if (!first || strcmp(first, "ok") != 0) {
        gc_err_set(err, GC_E_INTERNAL, "db", "%s failed its integrity check: %.200s.", path,
                   first ? first : sqlite3_errmsg(db));
        goto done;
    }
    result = 0;
done:
    sqlite3_finalize(st);
    return result;
}

static int copy_db(sqlite3 *from, sqlite3 *to, const char *to_path, gc_err *err)
{
    sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
    if (!b)
        return db_fail(to, "Cannot copy into", to_path, err);
    int rc;
    while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED)
        sqlite3_sleep(50);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE)
        return gc_err_set(err, GC_E_INTERNAL, "db", "Copying into %s failed: %s.", to_path,
                          sqlite3_errstr(rc));
    return 0;
}

static int exec(sqlite3 *db, const char *sql, const char *path, gc_err *err)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(db, "Cannot finish", path, err);
    return 0;
}

static int fsync_path(const char *path, int dir, gc_err *err)
{
    int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return gc_err_set(err, GC_E_INTERNAL, "", "Cannot sync %s: %s.", path, strerror(e));
    }
    close(fd);
    return 0;
}

int gc_store_backup(const char *dsn, const char *out, gc_err *err)
{
    int result = -1;
    sqlite3 *src = NULL, *dst = NULL;
    char tmp[4096], dir[4096];
    const char *path = sqlite_path(dsn, err);
    if (!path)
        return -1;
    if (access(out, F_OK) == 0)
        return gc_err_set(err, GC_E_CONFLICT, "", "%s exists; give a new file for the backup.", out);
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", out) >= sizeof tmp)
        return gc_err_set(err, GC_E_BAD_REQUEST, "", "The backup path is too long.");
    if (access(path, F_OK) != 0)
        return gc_err_set(err, GC_E_NOT_FOUND, "db", "There is no store at %s.", path);
    unlink(tmp);
    if (open_db(path, SQLITE_OPEN_READONLY, &src, err) < 0 ||
        open_db(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &dst, err) < 0)
        goto done;
    if (copy_db(src, dst, tmp, err) < 0)
        goto done;
    /* the copy keeps the source's WAL flag: a backup is one self-contained file */
    if (exec(dst, "PRAGMA journal_mode=DELETE", tmp, err) < 0 || check_integrity(dst, tmp, err) < 0)
        goto done;
    sqlite3_close(dst);
    dst = NULL;
    snprintf(dir, sizeof dir, "%s", out);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    if (fsync_path(tmp, 0, err) < 0)
        goto done;
    if (rename(tmp, out) != 0) {
        gc_err_set(err, GC_E_INTERNAL, "", "Cannot rename %s to %s: %s.", tmp, out, strerror(errno));
        goto done;
    }
    if (fsync_path(dir, 1, err) < 0)
        goto done;
    result = 0;
done:
    sqlite3_close(src);
    sqlite3_close(dst);
    if (result < 0)
        unlink(tmp);
    return result;
}

int gc_store_restore(const char *in, const char *dsn, gc_err *err)
{
    int result = -1;
    sqlite3 *src = NULL, *dst = NULL;
    const char *path = sqlite_path(dsn, err);
    if (!path)
        return -1;
    if (access(in, R_OK) != 0)
        return gc_err_set(err, GC_E_NOT_FOUND, "", "Cannot read the backup %s: %s.", in, strerror(errno));
    if (open_db(in, SQLITE_OPEN_READONLY, &src, err) < 0 || check_integrity(src, in, err) < 0 ||
        open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &dst, err) < 0)
        goto done;
    if (copy_db(src, dst, path, err) < 0 || exec(dst, "PRAGMA journal_mode=WAL", path, err) < 0 ||
        exec(dst, "PRAGMA wal_checkpoint(TRUNCATE)", path, err) < 0 ||
        check_integrity(dst, path, err) < 0)
        goto done;
    result = 0;
done:
    sqlite3_close(src);
    sqlite3_close(dst);
    return result;
}
