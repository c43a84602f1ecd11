"""Validation (contract sections 2 and 3a): every refused body answers 400 (415, 413) naming the
property, and nothing is written. The server keeps serving after all of them."""
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import DROP, ECSC, MADCS, PFXU, UPFX, upfx_body  # noqa: E402

UNKNOWN = "The property '%s' does not exist on type 'microsoft.graph.%s'."

# (label, body overrides, property the message must name)
UPFX_CREATE_CASES = [
    ("wrong type: string gets number", {"userPrincipalName": 5}, "userPrincipalName"),
    ("wrong type: string gets bool", {"thumbprint": True}, "thumbprint"),
    ("wrong type: string gets array", {"providerName": ["a"]}, "providerName"),
    ("wrong type: string gets object", {"keyName": {"a": 1}}, "keyName"),
    ("wrong type: enum gets bool", {"intendedPurpose": True}, "intendedPurpose"),
    ("wrong type: binary gets number", {"encryptedPfxBlob": 5}, "encryptedPfxBlob"),
    ("wrong type: date gets number", {"startDateTime": 1700000000}, "startDateTime"),
    ("bad enum name", {"intendedPurpose": "bogus"}, "intendedPurpose"),
    ("bad enum number", {"paddingScheme": 99}, "paddingScheme"),
    ("enum fraction", {"intendedPurpose": 1.5}, "intendedPurpose"),
    ("bad date word", {"startDateTime": "yesterday"}, "startDateTime"),
    ("bad date month 13", {"startDateTime": "2024-13-01T00:00:00Z"}, "startDateTime"),
    ("bad date Feb 30", {"expirationDateTime": "2023-02-30T00:00:00Z"}, "expirationDateTime"),
    ("bad date 8 digits", {"startDateTime": "2024-01-01T00:00:00.12345678Z"}, "startDateTime"),
    ("bad date no offset", {"expirationDateTime": "2024-01-01T00:00:00"}, "expirationDateTime"),
    ("bad date hour 24", {"startDateTime": "2024-01-01T24:00:00Z"}, "startDateTime"),
    ("bad date offset", {"startDateTime": "2024-01-01T00:00:00+25:00"}, "startDateTime"),
    ("bad base64", {"encryptedPfxBlob": "!!!notbase64"}, "encryptedPfxBlob"),
    ("base64 with space", {"encryptedPfxBlob": "AQID BA=="}, "encryptedPfxBlob"),
    ("base64 bad length", {"encryptedPfxBlob": "AQIDB"}, "encryptedPfxBlob"),
    ("missing thumbprint", {"thumbprint": DROP}, "thumbprint"),
    ("missing userPrincipalName", {"userPrincipalName": DROP}, "userPrincipalName"),
    ("missing encryptedPfxBlob", {"encryptedPfxBlob": DROP}, "encryptedPfxBlob"),
    ("missing encryptedPfxPassword", {"encryptedPfxPassword": DROP}, "encryptedPfxPassword"),
    ("null thumbprint", {"thumbprint": None}, "thumbprint"),
    ("null userPrincipalName", {"userPrincipalName": None}, "userPrincipalName"),
    ("null encryptedPfxBlob", {"encryptedPfxBlob": None}, "encryptedPfxBlob"),
    ("null encryptedPfxPassword", {"encryptedPfxPassword": None}, "encryptedPfxPassword"),
    ("null non-nullable enum", {"intendedPurpose": None}, "intendedPurpose"),
    ("null non-nullable date", {"startDateTime": None}, "startDateTime"),
    ("thumbprint 39 hex", {"thumbprint": "a" * 39}, "thumbprint"),
    ("thumbprint 41 hex", {"thumbprint": "a" * 41}, "thumbprint"),
    ("thumbprint not hex", {"thumbprint": "g" * 40}, "thumbprint"),
    ("thumbprint with colons", {"thumbprint": ":".join(["ab"] * 20)}, "thumbprint"),
    ("thumbprint empty", {"thumbprint": ""}, "thumbprint"),
    ("string over 64 KiB", {"providerName": "p" * (64 * 1024 + 1)}, "providerName"),
    ("mismatched @odata.type", {"@odata.type": "#microsoft.graph.pfxUserCertificate"}, "@odata.type"),
    ("other entity @odata.type", {"@odata.type": "#microsoft.graph.enterpriseCodeSigningCertificate"},
     "@odata.type"),
    ("@odata.type not a string", {"@odata.type": 5}, "@odata.type"),
]

RAW_BODIES = [
    ("truncated", b'{"thumbprint": '),
    ("open brace", b"{"),
    ("trailing garbage", b'{"thumbprint": "a"}}'),
    ("single quotes", b"{'thumbprint': 'a'}"),
    ("trailing comma", b'{"thumbprint": "a",}'),
    ("NaN", b'{"certificateKeyUsages": NaN}'),
    ("empty", b""),
    ("array", b"[]"),
    ("string", b'"text"'),
    ("number", b"42"),
    ("null", b"null"),
    ("true", b"true"),
    ("invalid utf-8", b'{"managedDeviceDisplayName": "\xff\xfe"}'),
    ("nested 70 deep", b'{"managedDeviceDisplayName": ' + b"[" * 70 + b"]" * 70 + b"}"),
    ("nested objects 70 deep", b'{"a":' * 70 + b"1" + b"}" * 70),
    ("nested 200000 deep", b"[" * 200000 + b"]" * 200000),
]


class Validation(gctest.ServerTest):
    server_kwargs = {"args": ["--log-level", "debug"]}  # secrets must not reach even debug logs

    def _refused_create(self, t, set_path, body, status=400, code="BadRequest", prop=None,
                        message=None, **kw):
        before = t.count(set_path)
        r = t.post(set_path, body, **kw)
        if prop is not None:
            msg = self.assertBadProp(r, prop, status=status, code=code)
        else:
            msg = self.assertGraphError(r, status, code)
        if message is not None:
            self.assertEqual(msg, message)
        self.assertEqual(t.count(set_path), before, "a refused create wrote something")
        return msg

    def _refused_patch(self, t, set_path, eid, body, prop=None, status=400, code="BadRequest", **kw):
        path = set_path + "/" + eid
        before = t.get(path)
        r = t.patch(path, body, **kw)
        if prop is not None:
            msg = self.assertBadProp(r, prop, status=status, code=code)
        else:
            msg = self.assertGraphError(r, status, code)
        after = t.get(path)
        self.assertEqual(after.json(), before.json(), "a refused PATCH changed the entity")
        self.assertEqual(after.header("ETag"), before.header("ETag"))
        return msg

    def test_unknown_property(self):
        t = self.srv.tenant()
        self._refused_create(t, UPFX, upfx_body(x=1), prop="x",
                             message=UNKNOWN % ("x", "userPFXCertificate"))
        self._refused_create(t, MADCS, {"foo": "bar"},
                             message=UNKNOWN % ("foo", "managedAllDeviceCertificateState"))
        self._refused_create(t, ECSC, {"certificate": "AA=="},
                             message=UNKNOWN % ("certificate", "enterpriseCodeSigningCertificate"))
        self._refused_create(t, PFXU, {"userPrincipalName": "a@b"},
                             message=UNKNOWN % ("userPrincipalName", "pfxUserCertificate"))
        e = t.create(UPFX)
        self._refused_patch(t, UPFX, e["id"], {"providerName": "ok", "nope": 1}, prop="nope")

    def test_userpfx_create_cases(self):
        t = self.srv.tenant()
        for label, over, prop in UPFX_CREATE_CASES:
            with self.subTest(case=label):
                self._refused_create(t, UPFX, upfx_body(**over), prop=prop)
        self.assertCount(t.get(UPFX + "/$count"), 0)

    def test_userpfx_patch_cases(self):
        t = self.srv.tenant()
        e = t.create(UPFX)
        # Every create case but the required-on-create ones (missing, or null) applies to PATCH.
        required = ("thumbprint", "userPrincipalName", "encryptedPfxBlob", "encryptedPfxPassword")
        cases = [(label, over, prop) for label, over, prop in UPFX_CREATE_CASES
                 if not label.startswith("missing")
                 and not (label.startswith("null") and prop in required)]
        for label, body, prop in cases:
            with self.subTest(case=label):
                self._refused_patch(t, UPFX, e["id"], body, prop=prop)

    def test_id_on_patch_must_match(self):
        t = self.srv.tenant()
        e = t.create(UPFX)
        self._refused_patch(t, UPFX, e["id"], {"id": "something-else", "keyName": "k"}, prop="id")
        other = t.create(UPFX)
        self._refused_patch(t, UPFX, e["id"], {"id": other["id"]}, prop="id")
        r = t.patch(UPFX + "/" + e["id"], {"id": e["id"], "keyName": "k"})
        self.assertEqual(self.assertEntity(r, 200, UPFX, self.base)["keyName"], "k")
        g = t.create(ECSC)
        self._refused_patch(t, ECSC, g["id"], {"id": str(uuid.uuid4())}, prop="id")

    def test_odata_type_alias_and_own_type_accepted(self):
        t = self.srv.tenant()
        for typ in ("#microsoft.management.services.api.userPFXCertificate",
                    "#microsoft.graph.userPFXCertificate"):
            with self.subTest(type=typ):
                r = t.post(UPFX, upfx_body(**{"@odata.type": typ}))
                e = self.assertEntity(r, 201, UPFX, self.base)
                self.assertEqual(e["@odata.type"], "#microsoft.graph.userPFXCertificate")
        self._refused_create(t, MADCS, {"@odata.type": "#microsoft.graph.userPFXCertificate"},
                             prop="@odata.type")
        self.assertCount(t.get(UPFX + "/$count"), 2)

    def test_raw_bodies(self):
        t = self.srv.tenant()
        e = t.create(MADCS, {"managedDeviceDisplayName": "keep"})
        for label, raw in RAW_BODIES:
            with self.subTest(case=label):
                self._refused_create(t, MADCS, raw)
                self._refused_patch(t, MADCS, e["id"], raw)
        self.assertEqual(self.srv.request("GET", "/healthz").status, 200)

    def test_wrong_content_type_is_415(self):
        t = self.srv.tenant()
        e = t.create(ECSC)
        for ct in ("text/plain", "application/xml", "application/x-www-form-urlencoded"):
            with self.subTest(ct=ct):
                self._refused_create(t, ECSC, json.dumps({"subjectName": "x"}), status=415,
                                     code="UnsupportedMediaType", content_type=ct)
                self._refused_patch(t, ECSC, e["id"], json.dumps({"subjectName": "x"}), status=415,
                                    code="UnsupportedMediaType", content_type=ct)

    def test_pfx_user_certificate_types(self):
        t = self.srv.tenant()
        cases = [({"tenantId": "not-a-guid"}, "tenantId"),
                 ({"tenantId": "f9882bcd-2bcd-f988-cd2b-88f9cd2b88fZ"}, "tenantId"),
                 ({"tenantId": "f9882bcd2bcdf988cd2b88f9cd2b88f9aa"}, "tenantId"),
                 ({"userId": 5}, "userId"),
                 ({"isDeleted": "true"}, "isDeleted"),
                 ({"isDeleted": 1}, "isDeleted"),
                 ({"status": "6"}, "status"),
                 ({"intendedPurpose": 2147483648}, "intendedPurpose"),
                 ({"paddingScheme": -2147483649}, "paddingScheme"),
                 ({"paddingScheme": 13.5}, "paddingScheme"),
                 ({"certStartDate": "2017-01-01"}, "certStartDate"),
                 ({"userUpn": 7}, "userUpn")]
        e = t.create(PFXU, {"userUpn": "g@contoso.example"})
        for body, prop in cases:
            with self.subTest(body=body):
                self._refused_create(t, PFXU, body, prop=prop)
                self._refused_patch(t, PFXU, e["id"], body, prop=prop)
        self.assertCount(t.get(PFXU + "/$count"), 1)

    def test_int32_range(self):
        t = self.srv.tenant()
        for v in (2147483648, -2147483649, 4294967300, 9223372036854775807):
            with self.subTest(value=v):
                self._refused_create(t, MADCS, {"certificateKeyUsages": v}, prop="certificateKeyUsages")
        # Beyond 64 bits: a 400 (it may be refused as JSON rather than as the property).
        self._refused_create(t, MADCS, '{"certificateKeyUsages": 99999999999999999999999}')

    def test_secrets_never_echoed_or_logged(self):
        t = self.srv.tenant()
        blob = "U0VDUkVUQkxPQi1" + uuid.uuid4().hex  # valid base64
        password = "cGFzc3dvcmQt" + uuid.uuid4().hex
        ok = t.post(UPFX, upfx_body(encryptedPfxBlob=blob, encryptedPfxPassword=password))
        self.assertEqual(ok.status, 201, ok)
        bad_blob = "!!notbase64!!" + uuid.uuid4().hex
        bad_password = {"secret": uuid.uuid4().hex}
        for body in (upfx_body(encryptedPfxBlob=bad_blob), upfx_body(encryptedPfxPassword=bad_password),
                     upfx_body(encryptedPfxBlob=blob, encryptedPfxPassword=password, paddingScheme="pkcs1"),
                     upfx_body(encryptedPfxBlob=blob, encryptedPfxPassword=password, thumbprint="x")):
            r = t.post(UPFX, body)
            self.assertEqual(r.status, 400, r)
            for secret in (blob, password, bad_blob, bad_password["secret"]):
                self.assertNotIn(secret.encode(), r.body)
        e = ok.json()
        r = t.patch(UPFX + "/" + e["id"], {"encryptedPfxBlob": bad_blob})
        self.assertBadProp(r, "encryptedPfxBlob")
        self.assertNotIn(bad_blob.encode(), r.body)
        log = self.srv.log_text()
        for secret in (blob, password, bad_blob, bad_password["secret"]):
            self.assertNotIn(secret, log)

    def test_zz_still_serving(self):
        self.assertEqual(self.srv.request("GET", "/healthz").status, 200)
        t = self.srv.tenant()
        t.create(UPFX)
        self.assertCount(t.get(UPFX + "/$count"), 1)


class BodyLimit(gctest.ServerTest):
    server_kwargs = {"args": ["--max-body", "1024"]}

    def test_small_body_accepted(self):
        t = self.srv.tenant()
        body = {"subjectName": "s" * 900}
        self.assertLessEqual(len(json.dumps(body)), 1024)
        self.assertEqual(t.post(ECSC, body).status, 201)

    def test_large_body_is_413(self):
        t = self.srv.tenant()
        e = t.create(ECSC)
        big = json.dumps({"subjectName": "s" * 1100})
        self.assertGraphError(t.post(ECSC, big), 413, "RequestEntityTooLarge")
        self.assertGraphError(t.patch(ECSC + "/" + e["id"], big), 413, "RequestEntityTooLarge")
        self.assertGraphError(t.post(ECSC, json.dumps({"subjectName": "s" * 20000})), 413,
                              "RequestEntityTooLarge")
        self.assertCount(t.get(ECSC + "/$count"), 1)
        self.assertIsNone(t.get(ECSC + "/" + e["id"]).json()["subjectName"])

    def test_large_chunked_body_is_413(self):
        t = self.srv.tenant()
        big = json.dumps({"subjectName": "s" * 5000})
        self.assertGraphError(t.post(ECSC, big, chunked=True), 413, "RequestEntityTooLarge")
        self.assertCount(t.get(ECSC + "/$count"), 0)
        small = t.post(ECSC, json.dumps({"subjectName": "chunked"}), chunked=True)
        self.assertEqual(small.status, 201, small)
        self.assertEqual(self.srv.request("GET", "/healthz").status, 200)


if __name__ == "__main__":
    gctest.main()
