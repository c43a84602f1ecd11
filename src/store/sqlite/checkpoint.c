/* The SQLite backend's checkpoint thread, and the WAL restarts the writer runs between groups. */
#include "store/sqlite/sqlite_int.h"

/* ---- checkpoints ---- */

/* The checkpoint thread copies the WAL back into the database with PASSIVE checkpoints, each
 * followed by a sync of the database file; neither holds up the writer or readers. The WAL only
 * starts over when a write transaction begins with all of it copied back; under writes that
 * never pause that moment does not come, so once the WAL is past the restart size the
 * checkpoints go on until little is left, and then the writer, between two groups, runs a
 * RESTART checkpoint: it copies that little, waits for readers of older snapshots and makes the
 * next commit write the WAL from its start. At twice the restart size the writer does so
 * whatever is left, which bounds the WAL even when the checkpoints cannot keep up. All of this
 * state is under ck_lock. */

static int wal_left(const sqlite_store *s)
{
    return s->wal_pages - s->ck_base;
}

/* Work for the checkpoint thread: CKPT_PAGES to copy, or past the restart size more than the
 * tail. */
static bool ckpt_due(const sqlite_store *s)
{
    return wal_left(s) >= s->ck_pages ||
           (s->wal_pages >= s->ck_restart_pages && wal_left(s) > CKPT_TAIL_PAGES);
}

static bool writer_turn(const sqlite_store *s)
{
    return s->wal_pages >= s->ck_restart_pages &&
           (wal_left(s) <= CKPT_TAIL_PAGES || s->wal_pages >= 2 * s->ck_restart_pages);
}

/* The writer connection's WAL hook, run after each commit with the WAL's size in pages. */
int gc_sqlite_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    (void)db;
    (void)name;
    sqlite_store *s = arg;
    pthread_mutex_lock(&s->ck_lock);
    if (pages < s->wal_pages)
        s->ck_base = 0; /* the WAL started over */
    s->wal_pages = pages;
    s->ck_stalled = false;
    if (ckpt_due(s))
        pthread_cond_signal(&s->ck_cv);
    pthread_mutex_unlock(&s->ck_lock);
    return SQLITE_OK;
}

/* Syncs the database file of db. SQLite syncs it only at the end of a checkpoint that copied the
 * whole WAL; under steady writes that is the RESTART's, which would then flush everything the
 * PASSIVE checkpoints copied while writes wait (hundreds of milliseconds, measured). */
static int sync_db_file(sqlite3 *db)
{
    sqlite3_file *f = NULL;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f ||
        !f->pMethods)
        return SQLITE_ERROR;
    return f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
}

void *gc_sqlite_checkpoint_main(void *arg)
{
    sqlite_store *s = arg;
    sqlite3 *db = s->ckconn->db;
    pthread_mutex_lock(&s->ck_lock);
    for (;;) {
        while ((s->ck_running || s->ck_stalled || writer_turn(s) || !ckpt_due(s)) &&
               !s->ck_stopping)
            pthread_cond_wait(&s->ck_cv, &s->ck_lock);
        if (s->ck_stopping)
            break;
        s->ck_running = true;
        int before = s->ck_base;
        pthread_mutex_unlock(&s->ck_lock);

        gc_sqlite_end_idle_snapshots(s, false); /* a stale one would keep newer frames from being copied */
        int log = 0, done = 0;
        int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        if (rc == SQLITE_OK && done > before)
            rc = sync_db_file(db);
        /* BUSY: readers that began with the WAL all copied back still read the database file
         * alone; the next commit asks again */
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            gc_log(GC_LOG_ERROR, NULL, "sqlite: checkpoint failed: %s (code %d)", sqlite3_errstr(rc),
                   rc);
        atomic_fetch_add(&s->checkpoints, 1);

        pthread_mutex_lock(&s->ck_lock);
        s->ck_running = false;
        if (rc == SQLITE_OK && done <= s->wal_pages)
            s->ck_base = done; /* else the WAL started over meanwhile */
        s->ck_stalled = rc != SQLITE_OK || done == before;
    }
    pthread_mutex_unlock(&s->ck_lock);
    return NULL;
}

/* Run by the writer between groups: the RESTART checkpoint when it is the writer's turn. */
void gc_sqlite_maybe_restart_wal(sqlite_store *s)
{
    pthread_mutex_lock(&s->ck_lock);
    bool go = writer_turn(s) && !s->ck_running;
    if (go)
        s->ck_running = true;
    pthread_mutex_unlock(&s->ck_lock);
    if (!go)
        return;
    sqlite3 *db = s->wconn->db;
    /* RESTART waits for every reader: idle connections must not keep one waiting */
    atomic_store(&s->keep_snapshots, false);
    gc_sqlite_end_idle_snapshots(s, true);
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_RESTART, &log, &done);
    atomic_store(&s->keep_snapshots, true);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        gc_log(GC_LOG_ERROR, NULL, "sqlite: WAL restart failed: %s (code %d)", sqlite3_errmsg(db),
               sqlite3_extended_errcode(db));
    if (rc == SQLITE_OK)
        atomic_fetch_add(&s->restarts, 1);
    pthread_mutex_lock(&s->ck_lock);
    s->ck_running = false;
    if (rc == SQLITE_OK)
        s->wal_pages = s->ck_base = 0;
    pthread_cond_signal(&s->ck_cv);
    pthread_mutex_unlock(&s->ck_lock);
}
