"""Operations and first impressions (issue 13): server-set times with seven fraction digits, the
service document and $metadata without a token, RFC 6750 challenges on 401, and a debug log that
says why a request was refused without printing the token."""
import os
import re
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import DMC_READ, DMC_RW, ECSC, MADCS, UPFX, claims, jwt_hs256, upfx_body  # noqa: E402

STAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")


class Ops(gctest.ServerTest):
    server_kwargs = {"args": ["--log-level", "debug"]}

    def test_server_stamps_have_seven_fraction_digits(self):
        # a time with trailing zero digits comes one time in ten: 60 stamps see several
        t = self.srv.tenant()
        for _ in range(20):
            e = t.create(UPFX, upfx_body())
            self.assertRegex(e["createdDateTime"], STAMP_RE)
            self.assertRegex(e["lastModifiedDateTime"], STAMP_RE)
            m = t.create(MADCS, {"certificateRevokeStatus": "pending"})
            self.assertRegex(m["certificateRevokeStatusLastChangeDateTime"], STAMP_RE)
        # times the client gave come back as given
        self.assertEqual(e["startDateTime"], "2024-01-01T00:00:00Z")

    def test_metadata_and_service_document_without_token(self):
        for version in ("beta", "v1.0"):
            r = self.srv.request("GET", "/%s/$metadata" % version)
            self.assertEqual(r.status, 200, r)
            self.assertIn(b"<edmx:Edmx", r.body)
            r = self.srv.request("GET", "/%s/" % version)
            self.assertEqual(r.status, 200, r)
            self.assertIn("value", r.json())
            # even a bad token does not stand in the way of a document anyone may read
            r = self.srv.request("GET", "/%s/$metadata" % version, token="not-a-token")
            self.assertEqual(r.status, 200, r)
        # everything else still needs one, and an unknown path tells nothing without one
        r = self.srv.request("GET", ECSC)
        self.assertGraphError(r, 401, "InvalidAuthenticationToken")
        r = self.srv.request("GET", "/beta/noSuchThing")
        self.assertGraphError(r, 401, "InvalidAuthenticationToken")
        r = self.srv.request("POST", "/beta/$metadata", body={})
        self.assertGraphError(r, 405, "MethodNotAllowed")

    def test_www_authenticate(self):
        r = self.srv.request("GET", ECSC)
        self.assertGraphError(r, 401, "InvalidAuthenticationToken")
        self.assertEqual(r.header_all("WWW-Authenticate"), ["Bearer"])
        r = self.srv.request("GET", ECSC, auth="Basic dXNlcjpwYXNz")
        self.assertEqual(r.header_all("WWW-Authenticate"), ["Bearer"])
        tenant = str(uuid.uuid4())
        expired = jwt_hs256(self.srv.secret, claims(tenant, scopes=DMC_RW, now=int(time.time()) - 7200))
        r = self.srv.request("GET", ECSC, token=expired)
        self.assertGraphError(r, 401, "InvalidAuthenticationToken")
        h = r.header_all("WWW-Authenticate")
        self.assertEqual(len(h), 1, r.headers)
        self.assertRegex(h[0], r'^Bearer error="invalid_token", error_description="[\x20\x21\x23-\x5b\x5d-\x7e]+"$')
        self.assertIn("expired", h[0])
        r = self.srv.request("GET", ECSC, token="garbage")
        self.assertTrue(r.header("WWW-Authenticate").startswith('Bearer error="invalid_token"'), r.headers)
        # 403 is not a challenge
        r = self.srv.request("GET", UPFX, token=self.srv.mint(tenant, scopes="User.Read"))
        self.assertGraphError(r, 403, "Forbidden")
        self.assertIsNone(r.header("WWW-Authenticate"))
        r = self.srv.request("GET", UPFX, token=self.srv.mint(tenant, scopes=DMC_READ))
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.header("WWW-Authenticate"))

    def test_debug_log_says_why(self):
        tenant = str(uuid.uuid4())
        wrong_aud = jwt_hs256(self.srv.secret, claims(tenant, scopes=DMC_RW, aud="api://other"))
        r = self.srv.request("GET", ECSC, token=wrong_aud)
        self.assertEqual(r.status, 401, r)
        rid = r.header("request-id")
        t = self.srv.tenant()
        r2 = t.post(UPFX, upfx_body(thumbprint="zz"))
        self.assertEqual(r2.status, 400, r2)
        rid2 = r2.header("request-id")
        log = self.srv.log_text()
        lines = [l for l in log.splitlines() if rid in l and "refused" in l]
        self.assertEqual(len(lines), 1, log[-3000:])
        self.assertIn("401 InvalidAuthenticationToken", lines[0])
        self.assertIn("audience", lines[0])
        lines = [l for l in log.splitlines() if rid2 in l and "refused" in l]
        self.assertEqual(len(lines), 1, log[-3000:])
        self.assertIn("(thumbprint)", lines[0])
        self.assertNotIn(wrong_aud, log)
        self.assertNotIn(wrong_aud.split(".")[2], log)
        self.assertNotIn(t.token.split(".")[2], log)


class NotAtInfo(gctest.ServerTest):
    def test_info_level_does_not_log_refusals(self):
        r = self.srv.request("GET", ECSC, token="garbage")
        self.assertEqual(r.status, 401)
        self.assertNotIn("refused", self.srv.log_text())


if __name__ == "__main__":
    gctest.main()
