"""PostgreSQL going away (issue 9): on a private PostgreSQL server (scripts/pg-test-server.sh,
not the suite's shared one), stopped while graphcerts serves. Reads, writes and /healthz answer
503 ServiceUnavailable with Retry-After, nothing crashes, a write refused then is not there later,
and once the server is back the very next requests are served, without restarting graphcerts,
also when it restarted between two requests (every pooled connection stale).
Also: a start with the database unreachable fails with a message that holds no password."""
# gctest: postgresql-only
import os
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import MADCS, UPFX, upfx_body  # noqa: E402

SCRIPT = os.path.join(gctest.SOURCE_DIR, "scripts", "pg-test-server.sh")


def pg_server(action, state):
    r = subprocess.run([SCRIPT, action, state], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    if r.returncode != 0:
        raise RuntimeError("pg-test-server.sh %s failed: %s" % (action, r.stderr.decode()))


class Outage(gctest.GCTestCase):
    @classmethod
    def setUpClass(cls):
        cls.state = os.path.join(gctest.TMP_ROOT, "pg-outage-%s" % uuid.uuid4().hex[:8])
        pg_server("up", cls.state)
        with open(os.path.join(cls.state, "dsn")) as f:
            cls.pg = f.read().strip()

    @classmethod
    def tearDownClass(cls):
        pg_server("destroy", cls.state)

    def assertUnavailable(self, r):
        self.assertGraphError(r, 503, "ServiceUnavailable")
        self.assertEqual(r.header("Retry-After"), "1")
        self.assertNotIn("127.0.0.1", r.text)

    def test_stop_and_restart_postgresql_under_a_running_server(self):
        srv = gctest.Server("outage", pg=self.pg)
        srv.start()
        try:
            t = srv.tenant()
            kept = t.create(UPFX)
            path = UPFX + "/" + kept["id"]
            self.assertEqual(t.get(path).status, 200)
            pg_server("down", self.state)
            try:
                self.assertUnavailable(t.get(path))
                self.assertUnavailable(t.get(UPFX))
                self.assertUnavailable(t.post(MADCS, {"managedDeviceDisplayName": "refused"}))
                self.assertUnavailable(t.patch(path, {"keyName": "refused"}))
                self.assertUnavailable(t.delete(path))
                r = srv.request("GET", "/healthz")
                self.assertEqual(r.status, 503, r)
                self.assertIsNone(srv.proc.poll(), "graphcerts ended during the outage")
            finally:
                pg_server("up", self.state)
            # back: the next requests are served (stale pooled connections are replaced)
            r = t.get(path)
            self.assertEqual(r.status, 200, r)
            self.assertNotEqual(r.json()["keyName"], "refused")
            self.assertEqual(t.count(MADCS), 0)
            self.assertEqual(t.patch(path, {"keyName": "after"}).status, 200)
            t.create(MADCS)
            self.assertEqual(t.count(MADCS), 1)
            self.assertEqual(srv.request("GET", "/healthz").status, 200)
            # a second outage, met by connections that were all opened after the first
            pg_server("down", self.state)
            try:
                self.assertUnavailable(t.get(path))
            finally:
                pg_server("up", self.state)
            self.assertEqual(t.get(path).json()["keyName"], "after")
            # a restart between two requests: the pooled connections are stale, and the first
            # write and the first read after it are served all the same
            pg_server("down", self.state)
            pg_server("up", self.state)
            r = t.patch(path, {"keyName": "after-restart"})
            self.assertEqual(r.status, 200, r)
            pg_server("down", self.state)
            pg_server("up", self.state)
            self.assertEqual(t.get(path).json()["keyName"], "after-restart")
            logs = srv.log_text()
            self.assertIn("postgresql: cannot connect", logs)
            self.assertIn("postgresql: connected again", logs)
        finally:
            srv.finish()

    def test_failover_to_a_read_only_server(self):
        # a node that reconnects after a failover may land on a standby first: there reads work,
        # writes answer 503 (nothing written), and once a writable server answers, writes resume.
        # A database set read-only and its sessions cut stand in for the standby here.
        srv = gctest.Server("standby", pg=self.pg)
        srv.start()
        try:
            t = srv.tenant()
            made = t.create(UPFX)
            path = UPFX + "/" + made["id"]
            cut = ("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                   "WHERE datname = '%s' AND pid <> pg_backend_pid()" % srv.pg_db)
            gctest.psql(self.pg, "ALTER DATABASE %s SET default_transaction_read_only = on" % srv.pg_db)
            gctest.psql(self.pg, cut)
            self.assertUnavailable(t.patch(path, {"keyName": "on-the-standby"}))
            self.assertUnavailable(t.post(MADCS, {}))
            r = t.get(path)
            self.assertEqual(r.status, 200, r)
            self.assertNotEqual(r.json()["keyName"], "on-the-standby")
            gctest.psql(self.pg, "ALTER DATABASE %s RESET default_transaction_read_only" % srv.pg_db)
            # the pooled sessions are still read-only: the write meets one, drops the pool and
            # goes through on a new connection
            r = t.patch(path, {"keyName": "on-the-primary"})
            self.assertEqual(r.status, 200, r)
            self.assertEqual(t.get(path).json()["keyName"], "on-the-primary")
            self.assertEqual(t.count(MADCS), 0)
        finally:
            srv.finish()

    def test_start_with_the_database_away_names_no_password(self):
        port = gctest.Server.free_port()
        dsn = "postgresql://graphcerts:hunter2-%s@127.0.0.1:%d/x" % (uuid.uuid4().hex[:6], port)
        srv = gctest.Server("unreachable")
        r = subprocess.run([gctest.BIN, "serve", "--listen", "127.0.0.1:0", "--db", dsn,
                            "--jwt-secret-file", srv.secret_path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        srv.cleanup()
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(b"Cannot connect to the PostgreSQL database", r.stderr)
        self.assertNotIn(b"hunter2", r.stderr)
        r = subprocess.run([gctest.BIN, "migrate", "--db", dsn + "?sslmode=bogus%zz"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(b"cannot be parsed", r.stderr)
        self.assertNotIn(b"hunter2", r.stderr)


if __name__ == "__main__":
    gctest.main()
