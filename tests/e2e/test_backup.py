"""`graphcerts backup` and `restore` (issue 13) under write load: writers keep creating entities
while the backup runs; every create acknowledged before the backup started is in the restored
store (read back over HTTP by a server started on it), the backup is one self-contained file (no
WAL beside it), and a damaged backup is refused by restore."""
# gctest: sqlite-only (SQLite online backup and restore of the database file)
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import MADCS  # noqa: E402

MAX_WRITES = 3000  # a bound on the load, whatever happens


def run_bin(args, timeout=300):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHCERTS_")}
    return subprocess.run([gctest.BIN] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env, timeout=timeout)


class Backup(gctest.ServerTest):
    def writers(self, t, acked, stop, n=4):
        lock = threading.Lock()

        def loop():
            while not stop.is_set():
                with lock:
                    if len(acked) >= MAX_WRITES:
                        return
                r = t.post(MADCS, {"certificateRevokeStatus": "pending",
                                   "managedDeviceDisplayName": "load"})
                if r.status != 201:
                    raise AssertionError(r)
                with lock:
                    acked.append(r.json()["id"])
        ths = [threading.Thread(target=loop) for _ in range(n)]
        for th in ths:
            th.start()
        return ths

    def test_backup_under_load_holds_every_acknowledged_write(self):
        t = self.srv.tenant()
        acked, stop = [], threading.Event()
        ths = self.writers(t, acked, stop)
        try:
            while len(acked) < 200:  # the load is running: wait for some acknowledged writes
                if not any(th.is_alive() for th in ths):
                    self.fail("writers stopped")
                threading.Event().wait(0.01)
            before = list(acked)  # acknowledged before the backup starts
            out = os.path.join(self.srv.dir, "backup.db")
            r = run_bin(["backup", "--db", "sqlite:" + self.srv.db_path, out])
            during = len(acked) - len(before)
        finally:
            stop.set()
            for th in ths:
                th.join()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"integrity checked", r.stderr)
        self.assertTrue(os.path.exists(out))
        self.assertFalse(os.path.exists(out + "-wal") and os.path.getsize(out + "-wal") > 0)
        self.assertFalse(os.path.exists(out + ".tmp"))
        print("acknowledged before the backup: %d; during it: %d" % (len(before), during))
        # a second backup to the same file is refused, the first kept
        r2 = run_bin(["backup", "--db", "sqlite:" + self.srv.db_path, out])
        self.assertEqual(r2.returncode, 1)
        self.assertIn(b"exists", r2.stderr)

        # restore into a new store and read every acknowledged entity back
        other = gctest.Server("restored", secret=self.srv.secret)
        r = run_bin(["restore", "--db", "sqlite:" + other.db_path, out])
        self.assertEqual(r.returncode, 0, r.stderr)
        other.start()
        try:
            t2 = gctest.Tenant(other, t.id, token=t.token)
            n = t2.count(MADCS)
            self.assertGreaterEqual(n, len(before))
            self.assertLessEqual(n, len(acked))
            missing = [i for i in before if t2.get(MADCS + "/" + i).status != 200]
            self.assertEqual(missing, [])
        finally:
            other.finish()

    def test_restore_refuses_a_damaged_backup(self):
        t = self.srv.tenant()
        for _ in range(20):
            t.create(MADCS, {"managedDeviceDisplayName": "x" * 2000})
        out = os.path.join(self.srv.dir, "damaged.db")
        self.assertEqual(run_bin(["backup", "--db", "sqlite:" + self.srv.db_path, out]).returncode, 0)
        size = os.path.getsize(out)
        with open(out, "r+b") as f:  # scribble over the middle of the last page (a table's)
            f.seek(size - 3000)
            f.write(os.urandom(2000))
        target = os.path.join(self.srv.dir, "target.db")
        r = run_bin(["restore", "--db", "sqlite:" + target, out])
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(b"failed its integrity check", r.stderr)
        self.assertFalse(os.path.exists(target) and os.path.getsize(target) > 0)

    def test_usage(self):
        self.assertEqual(run_bin(["backup"]).returncode, 2)
        self.assertEqual(run_bin(["backup", "--db", "postgres://x", "/tmp/x"]).returncode, 1)
        r = run_bin(["backup", "--help"])
        self.assertIn(b"not a backup", r.stdout)


if __name__ == "__main__":
    gctest.main()
