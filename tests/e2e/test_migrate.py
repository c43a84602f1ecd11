"""`graphcerts migrate --db DSN` (issue 9): makes the schema of a new store and records its
version, is a no-op the second time, refuses a store whose schema is newer than it knows, and a
server starts on the migrated store. On PostgreSQL also: the version table holds one row per
version, and several nodes starting together on a new database all start (the advisory lock
makes them take turns instead of racing on CREATE TABLE)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import UPFX  # noqa: E402


def run_bin(args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHCERTS_")}
    return subprocess.run([gctest.BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=env, timeout=120)


class Migrate(gctest.GCTestCase):
    def setUp(self):
        self.srv = gctest.Server("migrate")
        self.srv.make_db()

    def tearDown(self):
        self.srv.cleanup()

    def versions(self):
        if gctest.PG:
            return [int(r[0]) for r in self.srv.query(
                "SELECT version FROM gc_schema_version ORDER BY version")]
        return [int(r[0]) for r in self.srv.query(
            "SELECT value FROM gc_meta WHERE key = 'schema_version'")]

    def test_migrate_then_serve(self):
        r = run_bin(["migrate", "--db", self.srv.dsn])
        self.assertEqual(r.returncode, 0, r.stderr)
        scheme = "postgresql" if gctest.PG else "sqlite"
        self.assertIn(b"graphcerts: the %s store's schema is up to date\n" % scheme.encode(), r.stderr)
        self.assertEqual(self.versions(), [1])
        tables = ("SELECT tablename FROM pg_tables WHERE schemaname = 'public'" if gctest.PG else
                  "SELECT name FROM sqlite_master WHERE type = 'table'")
        names = {r[0] for r in self.srv.query(tables)}
        self.assertTrue({"user_pfx_certificates", "audit_events"} <= names, names)
        r = run_bin(["migrate", "--db", self.srv.dsn])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.versions(), [1])
        self.srv.start()
        try:
            self.srv.tenant().create(UPFX)
        finally:
            self.srv.stop()

    def test_newer_schema_is_refused(self):
        self.assertEqual(run_bin(["migrate", "--db", self.srv.dsn]).returncode, 0)
        if gctest.PG:
            gctest.psql(self.srv.dsn, "INSERT INTO gc_schema_version (version, applied_by) "
                                      "VALUES (99, 'a later graphcerts')")
        else:
            import sqlite3
            db = sqlite3.connect(self.srv.db_path)
            db.execute("UPDATE gc_meta SET value = 99 WHERE key = 'schema_version'")
            db.commit()
            db.close()
        r = run_bin(["migrate", "--db", self.srv.dsn])
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(b"schema version 99, newer than this graphcerts knows (1)", r.stderr)

    def test_usage(self):
        r = run_bin(["migrate", "--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"--db DSN", r.stdout)
        self.assertEqual(run_bin(["migrate", "--bogus"]).returncode, 2)
        r = run_bin(["migrate", "--db", "mysql://x"])
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"Unknown database scheme 'mysql' (supported: sqlite, postgresql)", r.stderr)


@gctest.unittest.skipIf(not gctest.PG, "PostgreSQL only: nodes sharing one database")
class NodesStartTogether(gctest.GCTestCase):
    def test_four_nodes_start_together_on_a_new_database(self):
        first = gctest.Server("start-0")
        first.make_db()
        nodes = [first] + [gctest.Server("start-%d" % i, share_db_of=first) for i in range(1, 4)]
        procs = [subprocess.Popen(n.argv(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  cwd=n.dir) for n in nodes]
        try:
            # each either listens (then it is stopped) or fails: read its log until one is sure
            for p in procs:
                line = b""
                while b"listening on" not in line:
                    line = p.stderr.readline()
                    if not line:
                        self.fail("a node exited before listening: exit %s" % p.wait())
            self.assertEqual(len(first.query("SELECT version FROM gc_schema_version")), 1)
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                self.assertEqual(p.wait(timeout=30), 0)
                p.stderr.close()
            first.cleanup()
            for n in nodes[1:]:
                n.cleanup()


if __name__ == "__main__":
    gctest.main()
