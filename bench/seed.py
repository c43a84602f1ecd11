#!/usr/bin/env python3
"""Bulk-seeds a graphcerts SQLite store with N userPFXCertificates of one tenant, in one
transaction, into the table graphcerts created on its first start (the server must be stopped).
Rows are inserted in primary-key order with the secondary indexes dropped and rebuilt after, so
1,000,000 rows take seconds. Writes a random sample of the ids (one a line) for the load scripts.

Usage: seed.py DB TENANT N IDS_OUT [SAMPLE]   (SAMPLE: how many ids to write, default 100000)
"""
import base64
import random
import sqlite3
import sys
import time
import uuid

TABLE = "user_pfx_certificates"
USERS = 50000  # distinct userPrincipalNames: user{i % USERS}@contoso.com
TICKS_AT_EPOCH = 621355968000000000  # 100 ns ticks from 0001-01-01Z to 1970-01-01Z
PURPOSES = (0, 1, 1, 1, 2, 2, 4, 8)  # unassigned, smimeEncryption (most), smimeSigning, vpn, wifi
PADDINGS = (3, 3, 4, 5)  # oaepSha256, oaepSha384, oaepSha512
PROVIDER = "Microsoft Software Key Storage Provider"
YEAR = 365 * 86400


_days = {}


def iso(unix, frac7):
    """RFC 3339 UTC text as the server writes it (7 fraction digits when frac7 is not None)."""
    day, sec = divmod(unix, 86400)
    d = _days.get(day)
    if d is None:
        d = _days[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * 86400))
    hms = "%s%02d:%02d:%02d" % (d, sec // 3600, sec // 60 % 60, sec % 60)
    return hms + ("Z" if frac7 is None else ".%07dZ" % frac7)


def ticks(unix, frac7):
    return TICKS_AT_EPOCH + unix * 10_000_000 + (frac7 or 0)


def rows(tenant, n, rng, sample_every, ids_out):
    """Yields rows ordered by id: users sorted by their id prefix, thumbprints sorted within."""
    ns = uuid.UUID(tenant)
    users = []
    for u in range(min(USERS, n)):
        upn = "user%d@contoso.com" % u
        users.append((uuid.uuid5(ns, upn.lower()).hex, u, upn))
    users.sort()
    # A small pool of realistic secrets: a 2048-bit RSA-OAEP ciphertext (256 bytes) as the
    # password, a few hundred bytes of PFX-like blob (real PFX files are 2-4 KiB; kept small so
    # that a million rows stay a few hundred MB).
    blobs = [b"\x30\x82\x09\xab\x02\x01\x03" + rng.randbytes(377) for _ in range(64)]
    passwords = [base64.b64encode(rng.randbytes(256)).decode() for _ in range(64)]
    now = int(time.time())
    rnd = rng.random
    for prefix, u, upn in users:
        count = (n - u + USERS - 1) // USERS  # i = u, u + USERS, ... < n
        thumbs = sorted(rng.randbytes(20).hex() for _ in range(count))
        key = "PFXEncryptionKey%d" % (u % 4)
        for t in thumbs:
            rid = prefix + "-" + t
            r = rnd()
            start = now - int(r * 3 * YEAR)
            expire = start + YEAR * (1 + int(r * 1e6) % 3)
            created = start + int(rnd() * 86400 * 30)
            cfrac = int(rnd() * 10_000_000)
            r = rnd()
            if r < 0.75:
                modified, mfrac = created, cfrac
            else:
                modified, mfrac = created + int(r * 1e9) % (180 * 86400), int(r * 1e12) % 10_000_000
            if rnd() < sample_every:
                ids_out.append(rid)
            yield (
                tenant, rid, t, PURPOSES[int(r * 1e4) % 8], upn,
                iso(start, None), ticks(start, None),
                iso(expire, None), ticks(expire, None),
                PROVIDER, key, PADDINGS[int(r * 1e5) % 4],
                blobs[int(r * 1e7) % 64], passwords[int(r * 1e8) % 64],
                iso(created, cfrac), ticks(created, cfrac),
                iso(modified, mfrac), ticks(modified, mfrac),
                (modified * 1_000_000) + mfrac // 10,  # version: µs of the last write, as the server does
            )


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    db, tenant, n, ids_path = sys.argv[1], sys.argv[2].lower(), int(sys.argv[3]), sys.argv[4]
    sample = int(sys.argv[5]) if len(sys.argv) == 6 else 100000
    if n <= 0 or sample <= 0:
        sys.exit("seed.py: N and SAMPLE must be positive")
    rng = random.Random(20240601)
    t0 = time.monotonic()
    con = sqlite3.connect(db, isolation_level=None)
    cols = [r[1] for r in con.execute('PRAGMA table_info("%s")' % TABLE)]
    if not cols:
        sys.exit("seed.py: table %s not found: start graphcerts once on the empty store first" % TABLE)
    expected = ["tenant", "id", "thumbprint", "intended_purpose", "user_principal_name",
                "start_date_time", "start_date_time_ticks", "expiration_date_time",
                "expiration_date_time_ticks", "provider_name", "key_name", "padding_scheme",
                "encrypted_pfx_blob", "encrypted_pfx_password", "created_date_time",
                "created_date_time_ticks", "last_modified_date_time",
                "last_modified_date_time_ticks", "version"]
    if cols != expected:
        sys.exit("seed.py: unexpected columns in %s: %s" % (TABLE, cols))
    # The server keeps the store in WAL mode; a bulk load is faster without a journal.
    con.execute("PRAGMA journal_mode=DELETE")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-262144")  # 256 MiB
    indexes = [r[0] for r in con.execute(
        "SELECT sql FROM sqlite_master WHERE type='index' AND tbl_name=? AND sql IS NOT NULL",
        (TABLE,))]
    ids = []
    con.execute("BEGIN")
    for name, in con.execute(
            "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name=? AND sql IS NOT NULL",
            (TABLE,)).fetchall():
        con.execute('DROP INDEX "%s"' % name.replace('"', '""'))
    con.execute('DELETE FROM "%s"' % TABLE)
    sql = 'INSERT INTO "%s" (%s) VALUES (%s)' % (
        TABLE, ", ".join('"%s"' % c for c in cols), ", ".join("?" * len(cols)))
    con.executemany(sql, rows(tenant, n, rng, min(1.0, 1.2 * sample / n), ids))
    for ddl in indexes:
        con.execute(ddl)
    con.execute("COMMIT")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    got = con.execute('SELECT count(*) FROM "%s" WHERE tenant = ?' % TABLE, (tenant,)).fetchone()[0]
    con.close()
    if got != n:
        sys.exit("seed.py: expected %d rows, found %d" % (n, got))
    rng.shuffle(ids)
    with open(ids_path, "w") as f:
        f.write("\n".join(ids[:sample]) + "\n")
    print("seeded %d rows in %.1f s (%d sample ids)" % (n, time.monotonic() - t0, min(sample, len(ids))))


if __name__ == "__main__":
    main()
