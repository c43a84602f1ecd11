"""A really full filesystem: the database on a 4 MiB tmpfs mounted in a private mount namespace
(the script re-runs itself under `unshare -m`), filled to the last page by a filler file. Writes
answer 507 InsufficientStorage (never 500) and change nothing, reads and /healthz go on, and once
the filler is removed writes work again without a restart; after a restart every acknowledged
write is there and the database passes integrity_check. Needs root and mount namespaces; exits
77 (skipped) saying why when they are not to be had."""
# gctest: sqlite-only (the SQLite file on a full tmpfs)
import errno
import os
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import MADCS, UPFX, upfx_body, user_pfx_id, without_context  # noqa: E402

NS_FLAG = "GC_FULL_DISK_IN_NAMESPACE"
UNSHARE = ["unshare", "-m", "--propagation", "private"]


def skip(why):
    print("test_full_disk: skipped: %s" % why)
    sys.exit(77)


def enter_namespace():
    """Re-runs this script in a private mount namespace (its mounts vanish with it)."""
    if os.environ.get(NS_FLAG) == "1":
        return
    if os.geteuid() != 0:
        skip("mounting a size-limited tmpfs needs root")
    if not shutil.which("unshare"):
        skip("unshare (util-linux) is not installed")
    probe = subprocess.run(UNSHARE + ["true"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if probe.returncode != 0:
        skip("no mount namespace here: %s" % probe.stderr.decode(errors="replace").strip())
    env = dict(os.environ)
    env[NS_FLAG] = "1"
    os.execvpe(UNSHARE[0], UNSHARE + [sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env)


def fill(path):
    """Writes path until the filesystem has no byte left; returns the bytes written."""
    n = 0
    with open(path, "wb", buffering=0) as f:
        for size in (1 << 16, 4096, 512, 1):
            block = b"\xff" * size
            while True:
                try:
                    w = f.write(block)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
                n += w
                if w < size:
                    break
    return n


class FullDisk(gctest.GCTestCase):

    def setUp(self):
        self.srv = gctest.Server("fulldisk")
        self.mnt = os.path.join(self.srv.dir, "mnt")
        os.mkdir(self.mnt)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", self.mnt],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0:
            skip("cannot mount a tmpfs: %s" % r.stderr.decode(errors="replace").strip())
        self.srv.db_path = os.path.join(self.mnt, "graphcerts.db")
        self.filler = os.path.join(self.mnt, "filler")
        self.srv.start()

    def tearDown(self):
        try:
            self.srv.finish()
        finally:
            subprocess.run(["umount", self.mnt])

    def assertFull(self, r):
        msg = self.assertGraphError(r, 507, "InsufficientStorage")
        self.assertIn("The disk of the store is full", msg)
        self.assertIn("nothing was changed", msg)

    def test_full_disk_is_507_and_recovers(self):
        t = self.srv.tenant()
        made = [t.create(UPFX) for _ in range(5)]
        madcs = t.create(MADCS, {"managedDeviceDisplayName": "before"})
        self.assertGreater(fill(self.filler), 1 << 20)
        self.assertEqual(os.statvfs(self.mnt).f_bavail, 0)

        # writes: 507, nothing changed
        body = upfx_body()
        lost_id = user_pfx_id(t.id, body["userPrincipalName"], body["thumbprint"])
        for _ in range(3):
            self.assertFull(t.post(UPFX, body))
        self.assertFull(t.patch(UPFX + "/" + made[0]["id"], {"keyName": "changed"}))
        self.assertFull(t.delete(UPFX + "/" + made[1]["id"]))
        self.assertFull(t.patch(MADCS + "/" + madcs["id"], {"managedDeviceDisplayName": "after"}))
        r = t.batch([{"id": "1", "method": "POST", "url": "/deviceManagement/userPfxCertificates",
                      "body": upfx_body(), "headers": {"Content-Type": "application/json"}},
                     {"id": "2", "method": "GET", "url": "/deviceManagement/userPfxCertificates/$count",
                      "dependsOn": ["1"]}])
        self.assertEqual(r.status, 200, r)
        a = {x["id"]: x for x in r.json()["responses"]}
        self.assertEqual(a["1"]["status"], 507, a["1"])
        self.assertEqual(a["1"]["body"]["error"]["code"], "InsufficientStorage")
        self.assertEqual(a["2"]["status"], 424, a["2"])

        # reads and /healthz go on
        self.assertGraphError(t.get(UPFX + "/" + lost_id), 404, "ResourceNotFound")
        self.assertCount(t.get(UPFX + "/$count"), 5)
        for e in made:
            self.assertEqual(without_context(t.get(UPFX + "/" + e["id"]).json()), without_context(e))
        self.assertEqual(t.get(MADCS + "/" + madcs["id"]).json()["managedDeviceDisplayName"], "before")
        h = self.srv.request("GET", "/healthz")
        self.assertEqual((h.status, h.body), (200, b'{"status":"ok"}'))
        self.assertNotIn("InternalServerError", self.srv.log_text())

        # space back: writes work again, no restart
        os.unlink(self.filler)
        r = t.post(UPFX, body)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["id"], lost_id)
        self.assertEqual(t.patch(UPFX + "/" + made[0]["id"], {"keyName": "changed"}).status, 200)
        self.assertEqual(t.delete(UPFX + "/" + made[1]["id"]).status, 204)
        self.assertCount(t.get(UPFX + "/$count"), 5)

        # full again, then a restart with space: every acknowledged write is there
        fill(self.filler)
        self.assertFull(t.post(UPFX, upfx_body()))
        os.unlink(self.filler)
        self.assertEqual(self.srv.stop(), 0)
        self.srv.restart()
        self.assertCount(t.get(UPFX + "/$count"), 5)
        self.assertEqual(t.get(UPFX + "/" + made[0]["id"]).json()["keyName"], "changed")
        self.assertGraphError(t.get(UPFX + "/" + made[1]["id"]), 404, "ResourceNotFound")
        self.assertEqual(t.get(UPFX + "/" + lost_id).status, 200)
        self.assertEqual(self.srv.stop(), 0)
        con = sqlite3.connect(self.srv.db_path)
        self.assertEqual(con.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
        con.close()
        self.srv.restart()  # for finish()


if __name__ == "__main__":
    enter_namespace()
    gctest.main()
