#!/usr/bin/env python3
"""Copies the userPFXCertificates that bench/seed.py put into the SQLite store into a PostgreSQL
database whose schema graphcerts made on its first start (the server must be stopped), so both
backends serve the same rows; and loads the sampled ids into bench_ids (k, id) for pgbench's
UPDATE. One COPY through psql, with the secondary indexes dropped and rebuilt around it, then
VACUUM ANALYZE (as autovacuum would do on its own after such a load).

Usage: seed_pg.py SQLITE_DB POSTGRES_URI IDS_FILE
"""
import sqlite3
import subprocess
import sys
import time

TABLE = "user_pfx_certificates"


def psql(uri, sql, stdin=None):
    p = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", uri, "-c", sql],
                       input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.exit("seed_pg.py: psql failed: %s" % p.stderr.decode(errors="replace"))
    return p.stdout.decode()


def copy_text(v):
    """One value in COPY's text format."""
    if v is None:
        return "\\N"
    if isinstance(v, bytes):
        return "\\\\x" + v.hex()
    if isinstance(v, int):
        return str(v)
    return v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    db, uri, ids_path = sys.argv[1:]
    t0 = time.monotonic()
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    cols = [r[1] for r in con.execute('PRAGMA table_info("%s")' % TABLE)]
    indexes = psql(uri, "SELECT indexdef FROM pg_indexes WHERE tablename = '%s' "
                        "AND indexname <> '%s_pkey'" % (TABLE, TABLE)).splitlines()
    names = psql(uri, "SELECT indexname FROM pg_indexes WHERE tablename = '%s' "
                      "AND indexname <> '%s_pkey'" % (TABLE, TABLE)).splitlines()
    for name in names:
        psql(uri, 'DROP INDEX "%s"' % name)
    proc = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", uri, "-c",
                             'COPY "%s" (%s) FROM STDIN' % (TABLE, ", ".join('"%s"' % c for c in cols))],
                            stdin=subprocess.PIPE)
    batch = []
    n = 0
    for row in con.execute('SELECT %s FROM "%s" ORDER BY tenant, id' % (", ".join('"%s"' % c for c in cols), TABLE)):
        batch.append("\t".join(copy_text(v) for v in row))
        n += 1
        if len(batch) == 5000:
            proc.stdin.write(("\n".join(batch) + "\n").encode())
            batch = []
    if batch:
        proc.stdin.write(("\n".join(batch) + "\n").encode())
    proc.stdin.close()
    if proc.wait() != 0:
        sys.exit("seed_pg.py: COPY failed")
    con.close()
    for ddl in indexes:
        psql(uri, ddl)
    with open(ids_path) as f:
        ids = [line.strip() for line in f if line.strip()]
    psql(uri, "DROP TABLE IF EXISTS bench_ids")
    psql(uri, "CREATE TABLE bench_ids (k INTEGER PRIMARY KEY, id TEXT COLLATE \"C\" NOT NULL)")
    psql(uri, "COPY bench_ids (k, id) FROM STDIN",
         stdin=("".join("%d\t%s\n" % (i + 1, x) for i, x in enumerate(ids))).encode())
    psql(uri, "VACUUM ANALYZE")
    print("copied %d rows to PostgreSQL in %.1f s (%d ids for pgbench)" % (n, time.monotonic() - t0, len(ids)))


if __name__ == "__main__":
    main()
