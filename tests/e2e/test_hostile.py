"""Hostile requests: SQL injection in every query option and in ids, path traversal, NUL and
invalid UTF-8, header injection through client-request-id, malformed and forged tokens, and
tenant A's token with tenant B's ids. Each gets its exact 4xx Graph error, leaks nothing, and
changes nothing (a snapshot of both tenants' data through the API is taken before and after).
What test_auth, test_tenancy, test_validation and test_wire already cover is not repeated."""
import base64
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import (DROP, ECSC, MADCS, UPFX, b64url, claims, jwt_hs256, jwt_signing_input,  # noqa: E402
                    key_forms, qs, upfx_body)

SETS = (ECSC, MADCS, UPFX)
INJECTIONS = ["' OR 1=1 --", "1; DROP TABLE x", "x') OR ('1'='1", "1 UNION SELECT name FROM sqlite_master",
              '"id"', "id;--", "%00", "\u00e9"]
# what the store or a stack trace would say, never the API
LEAK_MARKERS = ["select ", "sqlite", "syntax error near", "no such table", "no such column",
                "traceback", ".c:", "-----begin", "union select", "constraint failed"]


class Hostile(gctest.GCTestCase):

    @classmethod
    def setUpClass(cls):
        os.makedirs(gctest.TMP_ROOT, exist_ok=True)
        cls.keydir = gctest.tempfile.mkdtemp(prefix="e2e-hostile-keys-", dir=gctest.TMP_ROOT)
        cls.rsa = gctest.KeyPair(cls.keydir, "rsa", "rsa-hostile")
        jwks = gctest.write_jwks(os.path.join(cls.keydir, "jwks.json"), [cls.rsa])
        cls.srv = gctest.Server("hostile", jwks=jwks, args=["--log-level", "debug"])
        try:
            cls.srv.start()
        except Exception:
            cls.srv.stop(gctest.signal.SIGKILL)
            raise
        cls.a, cls.b = cls.srv.tenant(), cls.srv.tenant()
        cls.own = {}
        for name, t in (("a", cls.a), ("b", cls.b)):
            cls.own[name] = {
                ECSC: t.create(ECSC, {"subjectName": "%s-subject-%s" % (name, uuid.uuid4().hex[:6])}),
                MADCS: t.create(MADCS, {"managedDeviceDisplayName": "%s-device-%s" % (name, uuid.uuid4().hex[:6])}),
                UPFX: t.create(UPFX, upfx_body()),
            }

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()
        if not gctest.KEEP_TMP:
            gctest.shutil.rmtree(cls.keydir, ignore_errors=True)

    # ---- helpers

    def tearDown(self):
        # after every test, whatever ran before it: still serving, no secret in the log
        self.assertEqual(self.srv.request("GET", "/healthz").status, 200)
        log = self.srv.log_text()
        self.assertNotIn(self.a.token, log)
        self.assertNotIn(self.b.token, log)
        self.assertNotIn("-----BEGIN", log)
        self.assertEqual(self.srv.sanitizer_reports(), [])

    def snapshot(self):
        snap = {}
        for name, t in (("a", self.a), ("b", self.b)):
            for sp in SETS:
                r = t.get(sp + "?$top=999")
                self.assertEqual(r.status, 200, r)
                snap[(name, sp)] = sorted((gctest.without_context(e) for e in r.json()["value"]),
                                          key=lambda e: e["id"])
        return snap

    def b_secrets(self):
        """What tenant A must never see of tenant B."""
        out = []
        for e in self.own["b"].values():
            out.append(e["id"])
            for k in ("subjectName", "managedDeviceDisplayName", "userPrincipalName", "thumbprint"):
                if isinstance(e.get(k), str):
                    out.append(e[k])
        return out

    def assertNoLeak(self, r, extra=(), echo=None):
        """No store text, stack or foreign data in r; echo: request text the message may quote."""
        text = r.body.decode("utf-8", errors="replace")
        low = text.lower()
        if echo:
            low = low.replace(json.dumps(echo)[1:-1].lower(), "")
        for m in LEAK_MARKERS:
            self.assertNotIn(m, low, "response leaks %r: %r" % (m, r))
        for s in list(self.b_secrets()) + list(extra):
            self.assertNotIn(s, text, "response leaks %r: %r" % (s[:40], r))

    def refused(self, r, status, code, extra=(), echo=None):
        self.assertGraphError(r, status, code)
        self.assertNoLeak(r, extra, echo)

    # ---- SQL injection

    def test_sql_injection_in_every_query_option(self):
        before = self.snapshot()
        for opt in ("filter", "orderby", "select", "top", "skip", "skiptoken", "count"):
            for v in INJECTIONS:
                with self.subTest(option=opt, value=v):
                    r = self.a.get(ECSC + "?$%s=%s" % (opt, urllib.parse.quote(v, safe="")))
                    self.refused(r, 400, "BadRequest", echo=v)
        # well-formed filters whose string literals carry SQL: no match, no error
        for f in ("subjectName eq 'x'' OR 1=1 --'", "subjectName eq ''' OR ''1''=''1'",
                  "subjectName eq '%s'" % self.own["b"][ECSC]["subjectName"],
                  "id eq '%s'" % self.own["b"][ECSC]["id"],
                  "startswith(subjectName, ''';DROP TABLE x;--')"):
            with self.subTest(filter=f):
                r = self.a.get(ECSC + qs(filter=f))
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json()["value"], [])
                self.assertNoLeak(r)
        self.assertEqual(self.snapshot(), before)

    def test_sql_injection_in_ids_all_key_forms(self):
        before = self.snapshot()
        for sp in (ECSC, UPFX):
            for v in ("' OR 1=1 --", "1' OR '1'='1", self.own["a"][sp]["id"] + "' OR '1'='1"):
                enc = urllib.parse.quote(v, safe="'")
                # /{id}: the whole segment is an id that does not exist; (...) forms: malformed key
                for target, status, code in ((sp + "/" + enc, 404, "ResourceNotFound"),
                                             (sp + "('" + enc + "')", 400, "BadRequest"),
                                             (sp + "(" + enc + ")", 400, "BadRequest")):
                    for method in ("GET", "PATCH", "DELETE"):
                        with self.subTest(target=target, method=method):
                            body = {"subjectName": "x"} if method == "PATCH" and sp == ECSC else (
                                {"keyName": "x"} if method == "PATCH" else None)
                            r = self.srv.raw_request(method, target, token=self.a.token, body=body)
                            self.refused(r, status, code)
        self.assertEqual(self.snapshot(), before)

    # ---- traversal, NUL, invalid UTF-8

    def test_path_traversal(self):
        before = self.snapshot()
        cases = [
            ("/beta/../beta/deviceAppManagement/enterpriseCodeSigningCertificates", 400, "BadRequest"),
            ("/beta/%2e%2e/deviceAppManagement/enterpriseCodeSigningCertificates", 400, "BadRequest"),
            ("/beta/deviceAppManagement%2fenterpriseCodeSigningCertificates", 400, "BadRequest"),
            ("/beta/deviceAppManagement%2Fenterprisecodesigningcertificates", 400, "BadRequest"),
            ("/%2e%2e/%2e%2e/etc/passwd", 404, "ResourceNotFound"),
        ]
        for sp in (ECSC, UPFX):
            for seg in ("..", "%2e%2e", "%2E%2E%2f%2e%2e", "..%2f..%2fetc%2fpasswd"):
                for target in key_forms(sp, seg):
                    cases.append((target, 404, "ResourceNotFound"))
        for target, status, code in cases:
            for method in ("GET", "DELETE"):
                with self.subTest(target=target, method=method):
                    r = self.srv.raw_request(method, target, token=self.a.token)
                    self.refused(r, status, code, extra=("root:",))
        self.assertEqual(self.snapshot(), before)

    def test_nul_and_invalid_utf8(self):
        before = self.snapshot()
        cases = [
            # invalid UTF-8 in a path segment that ends up quoted in the error message: was a 500
            # with an empty body (the envelope could not be encoded as JSON)
            ("GET", "/%ff/x", 404, "ResourceNotFound"),
            ("GET", "/beta/%ff%fe", 400, "BadRequest"),
            ("GET", "/beta/deviceAppManagement/%c3", 400, "BadRequest"),
            ("GET", "/v1.0/%e2%82", 400, "BadRequest"),
            ("GET", "/a" + "%c3%a9" * 40, 404, "ResourceNotFound"),  # valid, cut inside a character
            ("GET", ECSC + "/%ff%fe", 404, "ResourceNotFound"),
            ("GET", ECSC + "('%ff')", 404, "ResourceNotFound"),
            ("DELETE", ECSC + "(%ff)", 404, "ResourceNotFound"),
            ("GET", ECSC + "%00", 400, "BadRequest"),
            ("GET", ECSC + "/x%00y", 400, "BadRequest"),
            ("DELETE", ECSC + "('x%00')", 400, "BadRequest"),
            ("GET", ECSC + "?$filter=subjectName%20eq%20'%ff'", 400, "BadRequest"),
            ("GET", ECSC + "?$filter=subjectName%20eq%20'%00'", 400, "BadRequest"),
            ("GET", ECSC + "?$select=%ff", 400, "BadRequest"),
            ("GET", ECSC + "?$orderby=%c3", 400, "BadRequest"),
            ("GET", ECSC + "?$top=1%00", 400, "BadRequest"),
            ("GET", ECSC + "?$%ff=1", 400, "BadRequest"),
        ]
        for method, target, status, code in cases:
            with self.subTest(method=method, target=target):
                r = self.srv.raw_request(method, target, token=self.a.token)
                self.refused(r, status, code)
                json.loads(r.body.decode("utf-8"))  # valid UTF-8 JSON
        # JSON strings and property names (test_validation covers "\xff\xfe" in a value)
        eid = self.own["a"][ECSC]["id"]
        for raw in (b'{"subjectName":"a\\u0000b"}', b'{"subject\\u0000Name":"x"}', b'{"\xff":"x"}',
                    b'{"subjectName":"\xed\xa0\x80"}', b'{"subjectName":"\\ud800"}',
                    b'{"subjectName":"\xc0\xaf"}'):
            with self.subTest(body=raw):
                self.refused(self.a.post(ECSC, raw), 400, "BadRequest")
                self.refused(self.a.patch(ECSC + "/" + eid, raw), 400, "BadRequest")
        self.assertEqual(self.snapshot(), before)

    # ---- client-request-id

    def test_client_request_id_is_never_echoed_unsafely(self):
        before = self.snapshot()
        # CR LF ends the header: the rest is a header of the request, never one of the answer
        r = self.srv.raw_request("GET", ECSC + "/" + str(uuid.uuid4()), token=self.a.token,
                                 headers={"client-request-id": "abc\r\nX-Injected: 1"})
        self.refused(r, 404, "ResourceNotFound")
        self.assertIsNone(r.header("X-Injected"))
        self.assertEqual(r.header("client-request-id"), "abc")
        for crid in ("x" * 129, "y" * 8000, "caf\u00e9", "\u202eevil", "a\tb", "a b", "\x7f"):
            for token in (self.a.token, None):
                with self.subTest(crid=crid[:20], token=bool(token)):
                    r = self.srv.raw_request("GET", ECSC + "/" + str(uuid.uuid4()), token=token,
                                             headers={"client-request-id": crid})
                    if crid == "\x7f":
                        # DEL is no field-vchar (RFC 9110 5.5): the head itself is refused
                        self.assertGraphError(r, 400, "BadRequest")
                        self.assertIn(b"client-request-id", r.body)
                    elif token:
                        self.assertGraphError(r, 404, "ResourceNotFound")
                    else:
                        self.assertGraphError(r, 401, "InvalidAuthenticationToken")
                    # not echoed: replaced by the request-id, in the header and in innerError
                    self.assertEqual(r.header("client-request-id"), r.header("request-id"))
                    self.assertNotIn(crid.encode("utf-8"), r.body)
        self.assertEqual(self.snapshot(), before)

    # ---- tokens

    def _token_refused(self, token=None, auth=None):
        """GET, PATCH and DELETE with this token: 401 each, the token never echoed."""
        eid = self.own["a"][ECSC]["id"]
        for method, body in (("GET", None), ("PATCH", {"subjectName": "forged"}), ("DELETE", None)):
            r = self.srv.request(method, ECSC + "/" + eid, body, token=token, auth=auth)
            secret = (token or auth or "")
            self.refused(r, 401, "InvalidAuthenticationToken",
                         extra=[secret[-40:]] if len(secret) >= 40 else [])

    def test_oversized_and_malformed_tokens(self):
        before = self.snapshot()
        tenant = self.a.id
        good = self.srv.mint(tenant)
        h, p, s = good.split(".")
        obj = lambda o: b64url(json.dumps(o))  # noqa: E731
        cases = {
            "huge": good + "A" * 7000,
            "bad base64 header": "!!!" + h + "." + p + "." + s,
            "bad base64 payload": h + ".@@@" + p + "." + s,
            "bad base64 signature": h + "." + p + ".%%%" + s,
            "three dots": h + "." + p + "." + s + ".",
            "four parts": "a.b.c.d",
            "header is an array": obj([]) + "." + p + "." + s,
            "payload is a number": h + "." + obj(42) + "." + s,
            "payload is a string": h + "." + obj("claims") + "." + s,
            "payload not JSON": h + "." + b64url(b"{not json") + "." + s,
        }
        si = jwt_signing_input({"alg": "HS256", "typ": "JWT"}, 42)
        cases["signed non-object payload"] = si + "." + b64url(
            hmac.new(self.srv.secret, si.encode(), hashlib.sha256).digest())
        for claim in ("tid", "aud", "exp"):
            cases["missing " + claim] = self.srv.mint(tenant, **{claim: DROP})
        cases["tid not a guid"] = self.srv.mint(tenant, tid="' OR 1=1 --")
        cases["tid a number"] = self.srv.mint(tenant, tid=7)
        cases["scp a number"] = self.srv.mint(tenant, scp=7)
        for name, tok in cases.items():
            with self.subTest(case=name):
                self._token_refused(tok)
        self.assertEqual(self.snapshot(), before)

    def test_forged_signatures_against_a_jwks_server(self):
        before = self.snapshot()
        c = claims(self.a.id, scopes=gctest.RW_ALL)
        # algorithm confusion: HS256 with the RSA public key (PEM, as served) as the HMAC key
        for kid in (self.rsa.kid, None):
            header = {"alg": "HS256", "typ": "JWT"}
            if kid:
                header["kid"] = kid
            for key in (self.rsa.public_pem, self.rsa.public_pem.strip(),
                        json.dumps(self.rsa.jwk).encode()):
                with self.subTest(kid=kid, key=key[:20]):
                    self._token_refused(jwt_hs256(key, c, header=header))
        # alg none with the JWKS key's kid, and RS256 with an empty signature
        self._token_refused(jwt_signing_input({"alg": "none", "kid": self.rsa.kid}, c) + ".")
        self._token_refused(jwt_signing_input({"alg": "RS256", "kid": self.rsa.kid}, c) + ".")
        # a good RS256 signature over other claims
        good = self.rsa.token(c)
        h, _, sig = good.split(".")
        forged = dict(c, tid=self.b.id)
        self._token_refused(h + "." + b64url(json.dumps(forged, separators=(",", ":"))) + "." + sig)
        # expired, not yet valid, wrong audience: RS256-signed, on writes
        now = int(time.time())
        for over in ({"exp": now - 3600, "iat": now - 7200, "nbf": now - 7200}, {"nbf": now + 3600},
                     {"aud": "https://graph.microsoft.com.evil.test"}, {"aud": ["https://evil.test"]}):
            with self.subTest(claims=over):
                self._token_refused(self.rsa.token(dict(c, **over)))
        self.assertEqual(self.snapshot(), before)

    # ---- tenants

    def test_tenant_a_token_with_tenant_b_ids(self):
        before = self.snapshot()
        for sp in SETS:
            bid = self.own["b"][sp]["id"]
            body = {"subjectName": "taken"} if sp == ECSC else (
                {"managedDeviceDisplayName": "taken"} if sp == MADCS else {"keyName": "taken"})
            for target in key_forms(sp, bid):
                for method in ("GET", "PATCH", "DELETE"):
                    with self.subTest(target=target, method=method):
                        r = self.a.req(method, target, body if method == "PATCH" else None,
                                       headers={"If-Match": "*"} if method != "GET" else None)
                        self.refused(r, 404, "ResourceNotFound")
            with self.subTest(filter=sp):
                r = self.a.get(sp + qs(filter="id eq '%s'" % bid))
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json()["value"], [])
                self.assertNoLeak(r)
            version, path = gctest.split_set(sp)
            reqs = [{"id": "1", "method": "GET", "url": "/%s/%s" % (path, bid)},
                    {"id": "2", "method": "PATCH", "url": "/%s('%s')" % (path, bid), "body": body,
                     "headers": {"Content-Type": "application/json"}},
                    {"id": "3", "method": "DELETE", "url": "/%s(%s)" % (path, bid)},
                    {"id": "4", "method": "GET", "url": "/%s?$filter=id eq '%s'" % (path, bid)}]
            with self.subTest(batch=sp):
                r = self.a.batch(reqs, version=version)
                self.assertEqual(r.status, 200, r)
                got = {x["id"]: x for x in r.json()["responses"]}
                for k in ("1", "2", "3"):
                    self.assertEqual(got[k]["status"], 404, got[k])
                    self.assertEqual(got[k]["body"]["error"]["code"], "ResourceNotFound")
                self.assertEqual(got["4"]["status"], 200, got["4"])
                self.assertEqual(got["4"]["body"]["value"], [])
                self.assertNoLeak(r)
        self.assertEqual(self.snapshot(), before)



if __name__ == "__main__":
    gctest.main()
