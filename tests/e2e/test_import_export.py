"""`graphcerts export` and `import` (issue 13): a tenant's entities to JSON Lines and back, write-
only values included; exported from a serving store, imported into another, every entity reads
back the same and a second export is byte-equal; another tenant's entities stay out; a bad line
writes nothing; the progress line appears on a terminal only."""
import json
import os
import pty
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import ECSC, MADCS, PFXU, UPFX, upfx_body, without_context  # noqa: E402


def run_bin(args, stdin=subprocess.DEVNULL, timeout=300):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHCERTS_")}
    return subprocess.run([gctest.BIN] + args, stdin=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env, timeout=timeout)


def run_on_pty(args, timeout=300):
    """Runs the binary with stderr on a pseudo-terminal; returns (exit code, what it printed)."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHCERTS_")}
    p = subprocess.Popen([gctest.BIN] + args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=slave, env=env)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return p.wait(timeout=timeout), out


class ImportExport(gctest.ServerTest):
    def test_round_trip(self):
        t, other = self.srv.tenant(), self.srv.tenant()
        bodies = [upfx_body() for _ in range(5)]
        made = {UPFX: [t.create(UPFX, b) for b in bodies],
                MADCS: [t.create(MADCS, {"certificateRevokeStatus": "revoked"}) for _ in range(3)],
                ECSC: [t.create(ECSC, {"subjectName": "CN=x"})],
                PFXU: [t.create(PFXU, {"userUpn": "a@b.c", "encryptedPfxBlob": "c2VjcmV0"})]}
        other.create(MADCS, {})
        out = os.path.join(self.srv.dir, "t.jsonl")
        r = run_bin(["export", "--db", self.srv.dsn, "--tenant", t.id.upper(), out])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.decode(), "exported 10 entities of tenant %s\n" % t.id)
        self.assertEqual(os.stat(out).st_mode & 0o777, 0o600)
        with open(out, "rb") as f:
            first = f.read()
        lines = [json.loads(l) for l in first.decode().splitlines()]
        self.assertEqual(len(lines), 10)
        # the write-only values as they were sent, not the placeholder the API answers with
        secrets = {(l["encryptedPfxBlob"], l["encryptedPfxPassword"]) for l in lines
                   if l["@odata.type"] == "#microsoft.graph.userPFXCertificate"}
        self.assertEqual(secrets, {(b["encryptedPfxBlob"], b["encryptedPfxPassword"]) for b in bodies})

        dest = gctest.Server("imported", secret=self.srv.secret)
        dest.make_db()
        r = run_bin(["import", "--db", dest.dsn, "--tenant", t.id, out])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.decode(), "imported 10 entities into tenant %s\n" % t.id)
        # importing again: every id is taken, nothing is written
        r = run_bin(["import", "--db", dest.dsn, "--tenant", t.id, out])
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"line 1: the tenant already has", r.stderr)
        again = os.path.join(self.srv.dir, "again.jsonl")
        self.assertEqual(run_bin(["export", "--db", dest.dsn, "--tenant", t.id, again]).returncode, 0)
        with open(again, "rb") as f:
            self.assertEqual(f.read(), first)
        dest.start()
        try:
            t2 = gctest.Tenant(dest, t.id, token=t.token)
            for sp, ents in made.items():
                for e in ents:
                    got = t2.get(sp + "/" + e["id"])
                    self.assertEqual(got.status, 200, got)
                    # the same entity; only pfxUserCertificate's eTag, the version, is new
                    want, have = without_context(e), without_context(got.json())
                    if sp == PFXU:
                        self.assertNotEqual(want.pop("eTag"), have.pop("eTag"))
                    self.assertEqual(have, want)
            self.assertEqual(gctest.Tenant(dest, other.id, token=other.token).count(MADCS), 0)
        finally:
            dest.finish()

    def test_bad_line_writes_nothing(self):
        t = self.srv.tenant()
        good = t.create(MADCS, {})
        out = os.path.join(self.srv.dir, "one.jsonl")
        self.assertEqual(run_bin(["export", "--db", self.srv.dsn, "--tenant", t.id, out]).returncode, 0)
        with open(out) as f:
            line = json.loads(f.read())
        fresh = self.srv.tenant()
        line2 = dict(line, id="f0f0f0f0-0000-4000-8000-000000000001", certificateRevokeStatus="sideways")
        bad = os.path.join(self.srv.dir, "bad.jsonl")
        with open(bad, "w") as f:
            f.write(json.dumps(line) + "\n" + json.dumps(line2) + "\n")
        if not gctest.PG:
            # an SQLite store a server is writing is refused (its caches would go stale), saying
            # so; PostgreSQL takes writers side by side
            r = run_bin(["import", "--db", self.srv.dsn, "--tenant", fresh.id, out])
            self.assertEqual(r.returncode, 1)
            self.assertIn(b"in use by another graphcerts process", r.stderr)
            self.assertEqual(fresh.count(MADCS), 0)
        dest_srv = gctest.Server("dest")
        dest_srv.make_db()
        self.addCleanup(dest_srv.cleanup)
        dest = dest_srv.dsn
        self.assertEqual(run_bin(["import", "--db", dest, "--tenant", t.id, out]).returncode, 0)

        def exported():
            r = run_bin(["export", "--db", dest, "--tenant", fresh.id])
            self.assertEqual(r.returncode, 0, r.stderr)
            return r.stdout
        r = run_bin(["import", "--db", dest, "--tenant", fresh.id, bad])
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"line 2:", r.stderr)
        self.assertIn(b"certificateRevokeStatus", r.stderr)
        self.assertIn(b"nothing was imported", r.stderr)
        self.assertEqual(exported(), b"")
        with open(bad, "w") as f:
            f.write(json.dumps(dict(line, bogus=1)) + "\n")
        r = run_bin(["import", "--db", dest, "--tenant", fresh.id, bad])
        self.assertIn(b"'bogus' does not exist", r.stderr)
        self.assertEqual(exported(), b"")
        # the audit log is the server's own: not exported, and not importable
        with open(bad, "w") as f:
            f.write(json.dumps({"@odata.type": "#microsoft.graph.auditEvent",
                                "id": "f0f0f0f0-0000-4000-8000-000000000002"}) + "\n")
        r = run_bin(["import", "--db", dest, "--tenant", fresh.id, bad])
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"line 1:", r.stderr)
        self.assertEqual(good["id"], line["id"])

    def test_progress_on_a_terminal_only(self):
        t = self.srv.tenant()
        t.create_many(MADCS, [{} for _ in range(1100)])
        code, printed = run_on_pty(["export", "--db", self.srv.dsn, "--tenant", t.id])
        self.assertEqual(code, 0, printed)
        self.assertIn(b"\rexported 1000 entities", printed)
        self.assertIn(b"\rexported 1100 entities of tenant", printed)
        r = run_bin(["export", "--db", self.srv.dsn, "--tenant", t.id])
        self.assertEqual(r.stderr, b"exported 1100 entities of tenant %s\n" % t.id.encode())
        self.assertEqual(len(r.stdout.splitlines()), 1100)


if __name__ == "__main__":
    gctest.main()
