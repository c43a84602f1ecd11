"""TLS: with --tls-cert/--tls-key (a self-signed certificate made by the openssl CLI) the server
speaks HTTPS, says so in its listening line, and builds https URLs."""
import os
import socket
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import ECSC, UPFX, upfx_body  # noqa: E402


class Tls(gctest.ServerTest):
    server_kwargs = {"tls": True}

    def test_healthz_over_https(self):
        self.assertTrue(self.base.startswith("https://127.0.0.1:"))
        r = self.srv.request("GET", "/healthz")
        self.assertEqual(r.status, 200, r)

    def test_crud_over_https(self):
        t = self.srv.tenant()
        r = t.post(UPFX, upfx_body())
        e = self.assertEntity(r, 201, UPFX, self.base)
        self.assertTrue(e["@odata.context"].startswith("https://127.0.0.1:%d/beta/$metadata#" % self.srv.port))
        self.assertIn(r.header("Location"), [self.base + k for k in gctest.key_forms(UPFX, e["id"])])
        self.assertEqual(self.assertEntity(t.get(UPFX + "/" + e["id"]), 200, UPFX, self.base), e)
        self.assertCount(t.get(UPFX + "/$count"), 1)
        self.assertGraphError(self.srv.request("GET", ECSC), 401, "InvalidAuthenticationToken")

    def test_presented_certificate_is_ours(self):
        ctx = ssl.create_default_context(cafile=self.srv.tls_files[0])
        ctx.check_hostname = False  # CN=127.0.0.1 without a subjectAltName
        with socket.create_connection(("127.0.0.1", self.srv.port), timeout=30) as s:
            with ctx.wrap_socket(s) as tls:
                self.assertIsNotNone(tls.getpeercert())
                tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    chunk = tls.recv(4096)
                    if not chunk:
                        break
                    data += chunk
        self.assertTrue(data.startswith(b"HTTP/1.1 200"), data[:100])

    def test_plain_http_is_not_served(self):
        with socket.create_connection(("127.0.0.1", self.srv.port), timeout=10) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            try:
                data = s.recv(4096)
            except (ConnectionResetError, socket.timeout):
                data = b""
        self.assertFalse(data.startswith(b"HTTP/1.1 200"), data[:100])
        # and the server is fine afterwards
        self.assertEqual(self.srv.request("GET", "/healthz").status, 200)


if __name__ == "__main__":
    gctest.main()
