"""The command line: bad flags exit 2, --help exits 0, GRAPHCERTS_* environment variables,
the token subcommand, log output, and a graceful stop on SIGTERM/SIGINT that finishes the
request in flight."""
import hashlib
import hmac
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import BIN, DMC_RW, ECSC, GRAPH_AUD, UPFX, b64url, b64url_decode, upfx_body  # noqa: E402


def run(args, env=None, timeout=30):
    e = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHCERTS_")}
    e.update(env or {})
    return subprocess.run([BIN] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=e, timeout=timeout)


class Cli(gctest.GCTestCase):

    @classmethod
    def setUpClass(cls):
        os.makedirs(gctest.TMP_ROOT, exist_ok=True)
        cls.dir = gctest.tempfile.mkdtemp(prefix="e2e-cli-", dir=gctest.TMP_ROOT)
        cls.secret = b"cli-test-secret-" + os.urandom(8).hex().encode()
        cls.secret_file = os.path.join(cls.dir, "secret")
        with open(cls.secret_file, "wb") as f:
            f.write(cls.secret + b"\r\n")

    @classmethod
    def tearDownClass(cls):
        if not gctest.KEEP_TMP:
            gctest.shutil.rmtree(cls.dir, ignore_errors=True)

    def serve_args(self, *extra):
        return ["serve", "--listen", "127.0.0.1:0", "--db",
                "sqlite:" + os.path.join(self.dir, "cli-%s.db" % uuid.uuid4().hex[:6]),
                "--jwt-secret-file", self.secret_file] + list(extra)

    def test_bad_flags_exit_2(self):
        cases = [["serve", "--bogus"], ["serve", "--bogus=1"], ["serve", "positional"],
                 self.serve_args("--max-body", "notanumber"), self.serve_args("--max-body", "-5"),
                 self.serve_args("--max-body"), self.serve_args("--log-level", "chatty"),
                 ["token", "--bogus"], ["token", "--secret-file", self.secret_file, "--tenant",
                                        str(uuid.uuid4()), "--ttl", "soon", "--scopes", "A"],
                 [], ["nosuchcommand"]]
        for args in cases:
            with self.subTest(args=args):
                r = run(args)
                self.assertEqual(r.returncode, 2, (r.returncode, r.stderr))
                self.assertTrue(r.stderr.strip(), "no message on stderr")
                self.assertEqual(r.stdout, b"")
        r = run(["serve", "--bogus"])
        self.assertIn(b"--bogus", r.stderr)

    def test_bad_env_value_exits_2(self):
        r = run(self.serve_args(), env={"GRAPHCERTS_MAX_BODY": "lots"})
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"GRAPHCERTS_MAX_BODY", r.stderr)

    def test_help_exits_0(self):
        for args, must in ((["serve", "--help"], [b"--listen", b"--db", b"--jwt-secret-file", b"--max-body",
                                                  b"--tls-cert", b"--public-url", b"GRAPHCERTS_MAX_BODY"]),
                           (["token", "--help"], [b"--secret-file", b"--tenant", b"--scopes", b"--roles", b"--ttl"]),
                           (["--help"], [b"serve", b"token"])):
            with self.subTest(args=args):
                r = run(args)
                self.assertEqual(r.returncode, 0, r.stderr)
                for m in must:
                    self.assertIn(m, r.stdout)

    def test_serve_without_secret_fails(self):
        r = run(["serve", "--listen", "127.0.0.1:0", "--db",
                 "sqlite:" + os.path.join(self.dir, "nosecret.db")], timeout=15)
        self.assertNotEqual(r.returncode, 0)
        r = run(self.serve_args() + ["--jwt-secret-file", os.path.join(self.dir, "missing")])
        self.assertNotEqual(r.returncode, 0)
        self.assertNotIn(self.secret, r.stderr)

    def _token(self, *args):
        r = run(["token", "--secret-file", self.secret_file] + list(args))
        self.assertEqual(r.returncode, 0, r.stderr)
        tok = r.stdout.decode().strip()
        h, p, s = tok.split(".")
        sig = hmac.new(self.secret, (h + "." + p).encode(), hashlib.sha256).digest()
        self.assertEqual(s, b64url(sig), "token not signed with the trimmed secret")
        return tok, json.loads(b64url_decode(h)), json.loads(b64url_decode(p))

    def test_token_command(self):
        tenant = str(uuid.uuid4())
        now = int(time.time())
        tok, h, p = self._token("--tenant", tenant, "--scopes", "A.Read B.Write")
        self.assertEqual(h["alg"], "HS256")
        self.assertEqual(p["tid"], tenant)
        self.assertEqual(p["scp"], "A.Read B.Write")
        self.assertNotIn("roles", p)
        self.assertEqual(p["aud"], GRAPH_AUD)
        self.assertLessEqual(abs(p["iat"] - now), 5)
        self.assertGreater(p["exp"], now)
        tok, h, p = self._token("--tenant", tenant, "--roles", "A.Read B.Write", "--ttl", "60")
        self.assertEqual(p["roles"], ["A.Read", "B.Write"])
        self.assertNotIn("scp", p)
        self.assertEqual(p["exp"] - p["iat"], 60)
        self.assertLessEqual(abs(p["exp"] - (now + 60)), 5)

    def test_token_works_against_server(self):
        srv = gctest.Server("cli-token")
        srv.secret_path = self.secret_file
        srv.secret = self.secret
        srv.start()
        try:
            tenant = str(uuid.uuid4())
            tok, _, _ = self._token("--tenant", tenant, "--scopes", DMC_RW)
            r = srv.request("POST", UPFX, upfx_body(), token=tok)
            self.assertEqual(r.status, 201, r)
            tok, _, _ = self._token("--tenant", tenant, "--roles", DMC_RW)
            self.assertCount(srv.request("GET", UPFX + "/$count", token=tok), 1)
            # the server also accepts the Python-made token with the trimmed secret
            self.assertEqual(srv.request("GET", UPFX, token=srv.mint(tenant)).status, 200)
        finally:
            srv.finish()

    def test_env_max_body(self):
        body = json.dumps({"subjectName": "s" * 2000})
        srv = gctest.Server("cli-env", env={"GRAPHCERTS_MAX_BODY": "1024"})
        srv.start()
        try:
            t = srv.tenant()
            self.assertGraphError(t.post(ECSC, body), 413, "RequestEntityTooLarge")
            self.assertEqual(t.post(ECSC, {"subjectName": "small"}).status, 201)
        finally:
            srv.finish()
        # the flag wins over the environment
        srv = gctest.Server("cli-env2", env={"GRAPHCERTS_MAX_BODY": "1024"}, args=["--max-body", "8192"])
        srv.start()
        try:
            self.assertEqual(srv.tenant().post(ECSC, body).status, 201)
        finally:
            srv.finish()

    def test_logs_are_json_and_level(self):
        # At error level the (info) "listening on" line is not written: listen on a known port.
        srv = gctest.Server("cli-log", args=["--log-level", "error"])
        srv.fixed_port = gctest.Server.free_port()
        srv.start()
        try:
            t = srv.tenant()
            for _ in range(3):
                self.assertEqual(t.get(ECSC).status, 200)
            srv.stop()  # the log is complete once the server has exited
            self.assertFalse([x for x in srv.log_records() if "status" in x and "method" in x],
                             "access log lines written at --log-level error")
        finally:
            srv.finish()
        srv = gctest.Server("cli-log2", args=["--log-level", "info"])
        srv.start()
        try:
            t = srv.tenant()
            r = t.get(ECSC)
            srv.stop()
            self.assertTrue([x for x in srv.log_records() if x.get("request-id") == r.header("request-id")])
        finally:
            srv.finish()

    def _slow_request(self, srv, body, tenant):
        """Sends the headers and half the body; returns the socket."""
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        tok = srv.mint(tenant)
        head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                % (ECSC, srv.port, tok, len(body))).encode()
        s.sendall(head + body[: len(body) // 2])
        return s

    def _read_all(self, s):
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk

    def _wait_until(self, what, cond, srv):
        """Waits (bounded) for an event the server makes visible; fails naming it otherwise."""
        deadline = time.monotonic() + 30 * gctest.SLOW
        while not cond():
            if time.monotonic() > deadline:
                self.fail("timed out waiting for %s\n%s" % (what, srv.log_tail()))
            time.sleep(0.01)

    def _open_connections(self, admin_port):
        conn = http.client.HTTPConnection("127.0.0.1", admin_port, timeout=30)
        try:
            conn.request("GET", "/metrics")
            text = conn.getresponse().read().decode()
        finally:
            conn.close()
        m = re.search(r"^graphcerts_http_open_connections (\d+)$", text, re.M)
        return int(m.group(1)) if m else 0

    def test_sigterm_and_sigint_finish_in_flight_then_exit_0(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(sig=sig):
                srv = gctest.Server("cli-sig", args=["--admin-listen", "127.0.0.1:0"])
                srv.start()
                m = re.search(r'"admin listening on http://127\.0\.0\.1:(\d+)"', srv.log_text())
                self.assertTrue(m, srv.log_tail())
                admin_port = int(m.group(1))
                body = json.dumps({"subjectName": "in flight " + "x" * 500}).encode()
                tenant = str(uuid.uuid4())
                s = self._slow_request(srv, body, tenant)
                # the server holds the request (its connection is open) ...
                self._wait_until("the slow request's connection",
                                 lambda: self._open_connections(admin_port) >= 1, srv)
                srv.proc.send_signal(sig)
                # ... and has taken the signal before the rest of the body arrives
                name = "SIGINT" if sig == signal.SIGINT else "SIGTERM"
                self._wait_until("the server to take " + name,
                                 lambda: "received %s" % name in srv.log_text(), srv)
                try:
                    s.sendall(body[len(body) // 2:])
                    resp = self._read_all(s)
                finally:
                    s.close()
                rc = srv.proc.wait(30)
                self.assertEqual(rc, 0, srv.log_tail())
                self.assertEqual(srv.sanitizer_reports(), [])
                self.assertTrue(resp.startswith(b"HTTP/1.1 201"), resp[:200])
                # the write it answered is there after a restart
                srv.restart()
                t = gctest.Tenant(srv, tenant)
                items = self.assertCollection(t.get(ECSC), ECSC, srv.base)
                self.assertEqual([i["subjectName"] for i in items], [json.loads(body)["subjectName"]])
                srv.finish()

    def test_sigterm_idle_exit_0(self):
        srv = gctest.Server("cli-idle")
        srv.start()
        self.assertEqual(srv.request("GET", "/healthz").status, 200)
        start = time.time()
        self.assertEqual(srv.stop(signal.SIGTERM), 0)
        self.assertLess(time.time() - start, 10)
        srv.cleanup()


if __name__ == "__main__":
    gctest.main()
