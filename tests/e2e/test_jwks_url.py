"""--jwks-url (issue 13): the token keys fetched over HTTPS with libcurl from a JWKS server this
test starts (its own self-signed certificate, trusted through --jwks-ca): fetched once at start
and cached, fetched again when a token names an unknown kid (at most once a minute), a few
attempts when the server fails, a start-up error naming the URL when it never answers; plain
http and an untrusted certificate are refused."""
import http.server
import json
import os
import ssl
import subprocess
import sys
import threading
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import DMC_RW, UPFX, claims  # noqa: E402


class JwksServer:
    """An HTTPS server on a free loopback port answering GET /keys with the current key set,
    or with 500 for the next `fail` requests; counts the requests."""

    def __init__(self, workdir):
        self.keys, self.fail, self.hits = [], 0, 0
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with outer.lock:
                    outer.hits += 1
                    failing = outer.fail > 0
                    if failing:
                        outer.fail -= 1
                    body = json.dumps({"keys": [k.jwk for k in outer.keys]}).encode()
                if failing or self.path != "/keys":
                    self.send_response(500 if failing else 404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.cert, key = gctest.make_self_signed(workdir, cn="127.0.0.1",
                                                 extra=["-addext", "subjectAltName=IP:127.0.0.1"])
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.url = "https://127.0.0.1:%d/keys" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class JwksUrl(gctest.GCTestCase):
    @classmethod
    def setUpClass(cls):
        os.makedirs(gctest.TMP_ROOT, exist_ok=True)
        cls.dir = gctest.tempfile.mkdtemp(prefix="e2e-jwks-url-", dir=gctest.TMP_ROOT)
        cls.js = JwksServer(cls.dir)
        cls.a = gctest.KeyPair(cls.dir, "rsa", "key-a")
        cls.b = gctest.KeyPair(cls.dir, "ec", "key-b")
        cls.c = gctest.KeyPair(cls.dir, "rsa", "key-c")

    @classmethod
    def tearDownClass(cls):
        cls.js.stop()
        if not gctest.KEEP_TMP:
            gctest.shutil.rmtree(cls.dir, ignore_errors=True)

    def server(self, url=None, ca=True):
        args = ["--jwks-url", url or self.js.url] + (["--jwks-ca", self.js.cert] if ca else [])
        srv = gctest.Server("jwksurl", args=args, secret_file=False)
        self.addCleanup(srv.cleanup)
        return srv

    def get(self, srv, key, tenant):
        return srv.request("GET", UPFX, token=key.token(claims(tenant, scopes=DMC_RW)))

    def test_cache_refresh_and_rate_limit(self):
        self.js.keys, self.js.fail, self.js.hits = [self.a], 0, 0
        srv = self.server()
        srv.start()
        try:
            tenant = str(uuid.uuid4())
            self.assertEqual(self.js.hits, 1)
            for _ in range(3):
                self.assertEqual(self.get(srv, self.a, tenant).status, 200)
            self.assertEqual(self.js.hits, 1)  # cached: no fetch per request
            # the IdP rotates in key-b: a token naming it makes the server fetch again
            self.js.keys = [self.a, self.b]
            self.assertEqual(self.get(srv, self.b, tenant).status, 200)
            self.assertEqual(self.js.hits, 2)
            self.assertEqual(self.get(srv, self.b, tenant).status, 200)
            self.assertEqual(self.js.hits, 2)
            # an unknown kid again within the minute: refused without another fetch
            self.js.keys = [self.a, self.b, self.c]
            r = self.get(srv, self.c, tenant)
            self.assertGraphError(r, 401, "InvalidAuthenticationToken", contains="kid")
            self.assertEqual(self.js.hits, 2)
            self.assertIn("token keys refetched from " + self.js.url, srv.log_text())
        finally:
            srv.finish()

    def test_bounded_retry(self):
        self.js.keys, self.js.fail, self.js.hits = [self.a], 2, 0
        srv = self.server()
        srv.start()  # the third attempt succeeds
        try:
            self.assertEqual(self.js.hits, 3)
            self.assertEqual(self.get(srv, self.a, str(uuid.uuid4())).status, 200)
        finally:
            srv.finish()
        self.js.fail, self.js.hits = 100, 0
        r = subprocess.run(self.server().argv(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        self.js.fail = 0
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(self.js.hits, 3)  # gives up after three attempts
        self.assertEqual(r.stderr.decode().strip().splitlines(),
                         ["graphcerts: cannot fetch the JWKS at %s: HTTP status 500" % self.js.url])

    def test_refused_sources(self):
        self.js.keys, self.js.fail = [self.a], 0
        for url, ca, want in ((self.js.url.replace("https:", "http:"), True, "must be https://"),
                              (self.js.url, False, "cannot fetch the JWKS")):
            r = subprocess.run(self.server(url=url, ca=ca).argv(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=120)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn(want, r.stderr.decode())


if __name__ == "__main__":
    gctest.main()
