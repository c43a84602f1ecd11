"""Store faults end to end: one graphcerts process per SQLite file (a second is refused with a
clear message, a kill -9 frees the file), /healthz reporting a store that answers errors, a store
locked by another program (503 with Retry-After, reads go on) and a file size limit (507
InsufficientStorage, nothing half-written). The really full filesystem is in test_full_disk.py."""
# gctest: sqlite-only (the SQLite file lock, a replaced file, a locked file, a file size limit)
import os
import shutil
import sqlite3
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import MADCS, UPFX, upfx_body, user_pfx_id, without_context  # noqa: E402


def refusal(srv, db_path):
    """Runs a second `graphcerts serve` (same secret, db_path) to its end: (exit code, stderr)."""
    other = gctest.Server("second", secret=srv.secret)
    other.db_path = db_path
    try:
        r = subprocess.run(other.argv(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60, cwd=other.dir)
    finally:
        other.cleanup()
    return r.returncode, r.stderr.decode("utf-8", errors="replace")


class SingleProcess(gctest.GCTestCase):

    def setUp(self):
        self.srv = gctest.Server("lock")
        self.srv.start()

    def tearDown(self):
        self.srv.finish()

    def assertRefused(self, db_path):
        rc, err = refusal(self.srv, db_path)
        self.assertEqual(rc, 1, err)
        self.assertIn("graphcerts: The database %s is in use by another graphcerts process, which "
                      "holds its lock: stop that process first, or use another database file."
                      % db_path, err)
        self.assertNotIn("listening on", err)

    def test_second_serve_on_the_same_file_is_refused(self):
        t = self.srv.tenant()
        e = t.create(MADCS, {"managedDeviceDisplayName": "first"})
        self.assertRefused(self.srv.db_path)
        # also through another name for the same file
        link = os.path.join(self.srv.dir, "alias.db")
        os.symlink(self.srv.db_path, link)
        self.assertRefused(link)
        # the first one goes on serving, reads and writes, and its data is all there
        self.assertEqual(without_context(t.get(MADCS + "/" + e["id"]).json()), without_context(e))
        t.create(MADCS, {"managedDeviceDisplayName": "second"})
        self.assertCount(t.get(MADCS + "/$count"), 2)

    def test_kill_9_releases_the_file(self):
        t = self.srv.tenant()
        e = t.create(UPFX)
        for _ in range(3):
            self.srv.kill9()
            self.srv.restart()  # the kernel dropped the dead process's lock
            self.assertRefused(self.srv.db_path)
            self.assertEqual(t.get(UPFX + "/" + e["id"]).status, 200)
        t.create(UPFX)
        self.assertCount(t.get(UPFX + "/$count"), 2)
        # and after a clean stop too
        self.assertEqual(self.srv.stop(), 0)
        self.srv.restart()
        self.assertCount(t.get(UPFX + "/$count"), 2)


class Healthz(gctest.GCTestCase):

    def setUp(self):
        self.srv = gctest.Server("healthz")
        self.srv.start()

    def tearDown(self):
        self.srv.finish()

    def assertHealthy(self):
        for method in ("GET", "HEAD"):
            r = self.srv.request(method, "/healthz")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.header("Content-Type"), "application/json")
            self.assertEqual(r.body, b'{"status":"ok"}' if method == "GET" else b"")
            self.assertIsNone(r.header("Retry-After"))

    def assertUnhealthy(self, message):
        r = self.srv.request("GET", "/healthz")
        self.assertGraphError(r, 503, "ServiceUnavailable", message=message)
        self.assertEqual(r.header("Retry-After"), "1")
        self.assertNotIn(self.srv.dir, r.text)  # no path to an unauthenticated client

    def test_healthy_store(self):
        self.assertHealthy()
        self.srv.tenant().create(MADCS, {})
        self.assertHealthy()

    def test_replaced_database_file(self):
        t = self.srv.tenant()
        t.create(MADCS, {})
        db = self.srv.db_path
        keep = db + ".orig"
        os.link(db, keep)  # the open file, to put back
        copy = db + ".copy"
        shutil.copyfile(db, copy)
        os.replace(copy, db)
        self.assertUnhealthy("The database file was replaced or removed while the server runs: restart it.")
        os.unlink(db)
        self.assertUnhealthy("The database file was replaced or removed while the server runs: restart it.")
        os.replace(keep, db)
        self.assertHealthy()
        self.assertCount(t.get(MADCS + "/$count"), 1)
        self.assertIn("is no longer the database file this process opened", self.srv.log_text())

    def test_unreadable_database_file(self):
        t = self.srv.tenant()
        t.create(MADCS, {})
        # copy the WAL back into the file, so that a new reader reads the file and not the WAL
        con = sqlite3.connect(self.srv.db_path, isolation_level=None)
        busy, frames, copied = con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        con.close()
        self.assertEqual((busy, copied), (0, frames))
        with open(self.srv.db_path, "r+b") as f:
            header = f.read(16)
            self.assertEqual(header, b"SQLite format 3\x00")
            f.seek(0)
            f.write(b"this is garbage!")
        try:
            self.assertUnhealthy("The database does not answer: file is not a database.")
        finally:
            with open(self.srv.db_path, "r+b") as f:
                f.write(header)
        self.assertHealthy()
        self.assertCount(t.get(MADCS + "/$count"), 1)


class LockedStore(gctest.GCTestCase):
    """Another program holds the write lock past the busy timeout (10 s): writes are 503 with
    Retry-After and change nothing; reads go on; once the lock is gone writes work again."""

    def setUp(self):
        self.srv = gctest.Server("locked")
        self.srv.start()

    def tearDown(self):
        self.srv.finish()

    def test_locked_store_is_503_with_retry_after(self):
        t = self.srv.tenant()
        kept = t.create(MADCS, {"managedDeviceDisplayName": "kept"})
        other = sqlite3.connect(self.srv.db_path, isolation_level=None, timeout=30)
        other.execute("BEGIN IMMEDIATE")
        try:
            body = upfx_body()
            answers = {}

            def write():
                answers["post"] = t.post(UPFX, body)
            th = threading.Thread(target=write)
            th.start()
            # a read is answered while the write waits for the lock
            self.assertEqual(t.get(MADCS + "/" + kept["id"]).status, 200)
            th.join()
            r = answers["post"]
            msg = self.assertGraphError(r, 503, "ServiceUnavailable")
            self.assertEqual(r.header("Retry-After"), "1")
            self.assertIn("The store is locked by another connection", msg)
            r = t.patch(MADCS + "/" + kept["id"], {"managedDeviceDisplayName": "changed"})
            self.assertGraphError(r, 503, "ServiceUnavailable")
            self.assertEqual(r.header("Retry-After"), "1")
        finally:
            other.rollback()
            other.close()
        self.assertGraphError(t.get(UPFX + "/" + user_pfx_id(t.id, body["userPrincipalName"],
                                                             body["thumbprint"])),
                              404, "ResourceNotFound")
        self.assertEqual(t.get(MADCS + "/" + kept["id"]).json()["managedDeviceDisplayName"], "kept")
        self.assertEqual(t.post(UPFX, body).status, 201)
        self.assertCount(t.get(UPFX + "/$count"), 1)


class LimitedServer(gctest.Server):
    """A server whose files may not grow past fsize bytes (prlimit --fsize, as `ulimit -f`)."""

    def __init__(self, fsize, **kw):
        super().__init__("fsize", **kw)
        self.fsize = fsize

    def argv(self):
        return ["prlimit", "--fsize=%d" % self.fsize, "--"] + super().argv()


@gctest.unittest.skipUnless(shutil.which("prlimit"), "prlimit (util-linux) is not installed")
class FileSizeLimit(gctest.GCTestCase):
    """Past RLIMIT_FSIZE a write fails with EFBIG (an I/O error to SQLite): 507, never 500, the
    failed write not stored, reads go on."""

    def test_file_size_limit_is_507(self):
        srv = LimitedServer(1 << 20)
        srv.start()
        try:
            t = srv.tenant()
            made, full = [], None
            for i in range(400):
                body = upfx_body(keyName="k" * 8000)
                r = t.post(UPFX, body)
                if r.status == 201:
                    made.append(r.json())
                    continue
                full = (r, body)
                break
            self.assertIsNotNone(full, "1 MiB of writes never hit the file size limit")
            self.assertGreater(len(made), 10)
            r, body = full
            msg = self.assertGraphError(r, 507, "InsufficientStorage")
            self.assertIn("The disk of the store is full", msg)
            self.assertGraphError(t.get(UPFX + "/" + user_pfx_id(t.id, body["userPrincipalName"],
                                                                 body["thumbprint"])),
                                  404, "ResourceNotFound")
            r = t.patch(UPFX + "/" + made[0]["id"], {"keyName": "x" * 60000})
            self.assertGraphError(r, 507, "InsufficientStorage")
            self.assertCount(t.get(UPFX + "/$count"), len(made))
            got = t.get(UPFX + "/" + made[0]["id"]).json()
            self.assertEqual(without_context(got), without_context(made[0]))
            self.assertEqual(srv.request("GET", "/healthz").status, 200)
            self.assertIn("errno 27", srv.log_text())  # EFBIG: the I/O error path, not SQLITE_FULL
            self.assertEqual(srv.stop(), 0)
            self.assertEqual(srv.sanitizer_reports(), [])
        finally:
            srv.stop()
            srv.cleanup()


if __name__ == "__main__":
    gctest.main()
