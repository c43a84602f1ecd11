"""Per-entity behaviour: ids, defaults, server-set and write-only properties, enums, dates and
derived fields of the four entity types (contract sections 1.1-1.4 and 2)."""
import base64
import calendar
import os
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import (ECSC, ECSC_V1, MADCS, PFXU, UPFX, ZERO_DATE, dt_instant, new_thumbprint,  # noqa: E402
                    upfx_body, user_object_id, user_pfx_id)

UPFX_KEYS = ["id", "thumbprint", "intendedPurpose", "userPrincipalName", "startDateTime",
             "expirationDateTime", "providerName", "keyName", "paddingScheme", "encryptedPfxBlob",
             "encryptedPfxPassword", "createdDateTime", "lastModifiedDateTime"]
MADCS_KEYS = ["id", "certificateRevokeStatus", "certificateRevokeStatusLastChangeDateTime",
              "managedDeviceDisplayName", "userPrincipalName", "certificateExpirationDateTime",
              "certificateIssuerName", "certificateThumbprint", "certificateSerialNumber",
              "certificateSubjectName", "certificateKeyUsages", "certificateExtendedKeyUsages",
              "certificateIssuanceDateTime"]
ECSC_KEYS = ["id", "content", "status", "subjectName", "subject", "issuerName", "issuer",
             "expirationDateTime", "uploadDateTime"]
PFXU_KEYS = ["id", "tenantId", "userId", "thumbprint", "userUpn", "encryptedPfxBlob",
             "encryptedPfxPassword", "certStartDate", "certExpirationDate", "providerName",
             "encryptionKeyName", "paddingScheme", "status", "intendedPurpose", "createdTime",
             "isDeleted", "lastModifiedTime", "eTag"]


def props(entity):
    return {k for k in entity if not k.startswith("@odata.")}


class UserPfx(gctest.ServerTest):

    def test_create_derives_id_and_masks_secrets(self):
        t = self.srv.tenant()
        upn, thumb = "Alice.Smith@Contoso.COM", new_thumbprint(upper=True)
        body = upfx_body(upn=upn, thumbprint=thumb, id="ignored-client-id",
                         createdDateTime="2001-01-01T00:00:00Z",
                         lastModifiedDateTime="2002-02-02T00:00:00Z")
        r = t.post(UPFX, body)
        e = self.assertEntity(r, 201, UPFX, self.base)
        self.assertEqual(props(e), set(UPFX_KEYS))
        want_id = uuid.uuid5(uuid.UUID(t.id), upn.lower()).hex + "-" + thumb.lower()
        self.assertEqual(e["id"], want_id)
        self.assertEqual(e["id"], user_pfx_id(t.id, upn, thumb))
        self.assertEqual(e["thumbprint"], thumb.lower())
        self.assertEqual(e["userPrincipalName"], upn)
        self.assertEqual(e["encryptedPfxBlob"], "AA==")
        self.assertEqual(e["encryptedPfxPassword"], "")
        self.assertEqual(e["intendedPurpose"], "smimeEncryption")
        self.assertEqual(e["paddingScheme"], "oaepSha512")
        self.assertEqual(e["providerName"], body["providerName"])
        self.assertEqual(e["keyName"], body["keyName"])
        self.assertEqual(e["startDateTime"], "2024-01-01T00:00:00Z")
        self.assertEqual(e["expirationDateTime"], "2026-01-01T00:00:00Z")
        # Server-set dates ignore the client's values.
        self.assertRecent(e["createdDateTime"])
        self.assertRecent(e["lastModifiedDateTime"])
        # Secrets never come back, on any read.
        g = self.assertEntity(t.get(UPFX + "/" + e["id"]), 200, UPFX, self.base)
        self.assertEqual(g, e)
        for resp in (r, t.get(UPFX + "/" + e["id"]), t.get(UPFX)):
            self.assertNotIn(body["encryptedPfxBlob"].encode(), resp.body)
            self.assertNotIn(body["encryptedPfxPassword"].encode(), resp.body)
        self.assertEqual(self.assertCollection(t.get(UPFX), UPFX, self.base)[0]["encryptedPfxBlob"],
                         "AA==")

    def test_defaults_and_zero_dates(self):
        t = self.srv.tenant()
        body = {"thumbprint": new_thumbprint(), "userPrincipalName": "bob@contoso.example",
                "encryptedPfxBlob": "AQID", "encryptedPfxPassword": "cGFzcw=="}
        e = self.assertEntity(t.post(UPFX, body), 201, UPFX, self.base)
        self.assertEqual(props(e), set(UPFX_KEYS))
        self.assertEqual(e["intendedPurpose"], "unassigned")
        self.assertEqual(e["paddingScheme"], "none")
        self.assertEqual(e["startDateTime"], ZERO_DATE)
        self.assertEqual(e["expirationDateTime"], ZERO_DATE)
        self.assertIsNone(e["providerName"])
        self.assertIsNone(e["keyName"])

    def test_enum_input_forms(self):
        t = self.srv.tenant()
        cases = [("paddingScheme", "OaepSha512", "oaepSha512"), ("paddingScheme", 3, "oaepSha256"),
                 ("paddingScheme", 4, "oaepSha384"), ("paddingScheme", "NONE", "none"),
                 ("paddingScheme", 0, "none"), ("intendedPurpose", "SMIMESIGNING", "smimeSigning"),
                 ("intendedPurpose", 8, "wifi"), ("intendedPurpose", 4, "vpn"),
                 ("intendedPurpose", "Wifi", "wifi")]
        for prop, given, answered in cases:
            with self.subTest(prop=prop, given=given):
                e = t.create(UPFX, upfx_body(**{prop: given}))
                self.assertEqual(e[prop], answered)
                # and a PATCH takes the same forms
                p = t.patch(UPFX + "/" + e["id"], {prop: given})
                self.assertEqual(self.assertEntity(p, 200, UPFX, self.base)[prop], answered)

    def test_refused_padding_schemes(self):
        t = self.srv.tenant()
        existing = t.create(UPFX)
        for bad in ("pkcs1", "oaepSha1", "PKCS1", 1, 2, 6, -1, "oaepSha3"):
            with self.subTest(paddingScheme=bad):
                self.assertBadProp(t.post(UPFX, upfx_body(paddingScheme=bad)), "paddingScheme")
                self.assertBadProp(t.patch(UPFX + "/" + existing["id"], {"paddingScheme": bad}),
                                   "paddingScheme")
        for bad in (3, 16, "everything", "smime"):
            with self.subTest(intendedPurpose=bad):
                self.assertBadProp(t.post(UPFX, upfx_body(intendedPurpose=bad)), "intendedPurpose")
        self.assertCount(t.get(UPFX + "/$count"), 1)
        self.assertEqual(self.assertEntity(t.get(UPFX + "/" + existing["id"]), 200, UPFX,
                                           self.base), existing)

    def test_duplicate_user_and_thumbprint_is_409(self):
        t = self.srv.tenant()
        thumb = new_thumbprint()
        first = t.create(UPFX, upfx_body(upn="carol@contoso.example", thumbprint=thumb))
        for upn, tp in (("carol@contoso.example", thumb), ("CAROL@Contoso.Example", thumb.upper())):
            with self.subTest(upn=upn):
                self.assertGraphError(t.post(UPFX, upfx_body(upn=upn, thumbprint=tp)), 409, "Conflict")
        self.assertCount(t.get(UPFX + "/$count"), 1)
        self.assertEqual(self.assertEntity(t.get(UPFX + "/" + first["id"]), 200, UPFX, self.base),
                         first)
        # Same thumbprint, another user: a different record.
        other = t.create(UPFX, upfx_body(upn="dave@contoso.example", thumbprint=thumb))
        self.assertNotEqual(other["id"], first["id"])
        self.assertCount(t.get(UPFX + "/$count"), 2)

    def test_concurrent_duplicates_one_wins(self):
        t = self.srv.tenant()
        body = upfx_body(upn="race@contoso.example")
        results, lock = [], threading.Lock()

        def create():
            r = t.post(UPFX, body)
            with lock:
                results.append(r)

        threads = [threading.Thread(target=create) for _ in range(10)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        self.assertEqual(sorted(r.status for r in results), [201] + [409] * 9,
                         [r.body[:100] for r in results])
        for r in results:
            if r.status == 409:
                self.assertGraphError(r, 409, "Conflict")
        self.assertCount(t.get(UPFX + "/$count"), 1)

    def test_dates_answered_as_given(self):
        t = self.srv.tenant()
        given = ["2024-03-01T08:00:00.1234567+05:30", "2025-03-01T08:00:00Z",
                 "2024-03-01T08:00:00.1-08:00", "2024-12-31T23:59:59.999999Z",
                 "2030-01-01T00:00:00+00:00", "2024-02-29T12:30:00.50-00:30"]
        for i in range(0, len(given), 2):
            start, end = given[i], given[i + 1]
            e = t.create(UPFX, upfx_body(startDateTime=start, expirationDateTime=end))
            self.assertEqual((e["startDateTime"], e["expirationDateTime"]), (start, end))
            g = self.assertEntity(t.get(UPFX + "/" + e["id"]), 200, UPFX, self.base)
            self.assertEqual((g["startDateTime"], g["expirationDateTime"]), (start, end))

    def test_patch_merges_and_keeps_created(self):
        t = self.srv.tenant()
        e = t.create(UPFX)
        time.sleep(0.02)
        r = t.patch(UPFX + "/" + e["id"], {"providerName": "Other KSP", "encryptedPfxBlob": "AQIDBA==",
                                           "createdDateTime": "2001-01-01T00:00:00Z",
                                           "lastModifiedDateTime": "2001-01-01T00:00:00Z"})
        p = self.assertEntity(r, 200, UPFX, self.base)
        self.assertEqual(p["providerName"], "Other KSP")
        self.assertEqual(p["encryptedPfxBlob"], "AA==")
        self.assertEqual(p["createdDateTime"], e["createdDateTime"])
        self.assertGreaterEqual(dt_instant(p["lastModifiedDateTime"]),
                                dt_instant(e["lastModifiedDateTime"]))
        self.assertRecent(p["lastModifiedDateTime"])
        for k in UPFX_KEYS:
            if k not in ("providerName", "lastModifiedDateTime"):
                self.assertEqual(p[k], e[k], k)
        self.assertNotEqual(r.header("ETag"), None)
        # nullable: null clears it
        p2 = self.assertEntity(t.patch(UPFX + "/" + e["id"], {"keyName": None}), 200, UPFX, self.base)
        self.assertIsNone(p2["keyName"])
        self.assertEqual(p2["providerName"], "Other KSP")

    def stored_secrets(self, entity_id):
        """The write-only values as stored: never answered over HTTP, so read from the database."""
        rows = self.srv.query("SELECT encrypted_pfx_blob, encrypted_pfx_password "
                              "FROM user_pfx_certificates WHERE id = ?", (entity_id,))
        return rows[0] if rows else None

    def test_patch_keeps_or_changes_write_only_values(self):
        # An update reads the stored secrets only when its body names one (api.c
        # update_read_flags): the others must come out untouched, and a null must clear.
        t = self.srv.tenant()
        body = upfx_body()
        e = t.create(UPFX, body)
        blob, password = base64.b64decode(body["encryptedPfxBlob"]), body["encryptedPfxPassword"]
        self.assertEqual(self.stored_secrets(e["id"]), (blob, password))
        self.assertEntity(t.patch(UPFX + "/" + e["id"], {"keyName": "Rotated"}), 200, UPFX, self.base)
        self.assertEqual(self.stored_secrets(e["id"]), (blob, password))
        self.assertEntity(t.patch(UPFX + "/" + e["id"], {"encryptedPfxPassword": None}), 200, UPFX,
                          self.base)
        self.assertEqual(self.stored_secrets(e["id"]), (blob, None))
        self.assertEntity(t.patch(UPFX + "/" + e["id"], {"encryptedPfxBlob": "AQIDBA=="}), 200, UPFX,
                          self.base)
        self.assertEqual(self.stored_secrets(e["id"]), (b"\x01\x02\x03\x04", None))
        self.assertEntity(t.patch(UPFX + "/" + e["id"], {"encryptedPfxPassword": password}), 200,
                          UPFX, self.base)
        self.assertEqual(self.stored_secrets(e["id"]), (b"\x01\x02\x03\x04", password))

    def test_users_lookup_gives_the_v5_id(self):
        t = self.srv.tenant()
        upn = "Erin.Example@Contoso.com"
        r = t.get("/beta/users?$filter=userPrincipalName%20eq%20'" + upn + "'")
        self.assertEqual(r.status, 200, r)
        value = r.json()["value"]
        self.assertEqual(len(value), 1, value)
        self.assertEqual(value[0]["id"], user_object_id(t.id, upn))
        self.assertEqual(value[0]["userPrincipalName"].lower(), upn.lower())
        thumb = new_thumbprint()
        e = t.create(UPFX, upfx_body(upn=upn, thumbprint=thumb))
        self.assertEqual(e["id"], value[0]["id"].replace("-", "") + "-" + thumb)


class DeviceCertState(gctest.ServerTest):

    def test_create_empty_defaults(self):
        t = self.srv.tenant()
        e = self.assertEntity(t.post(MADCS, {"id": "my-own-id"}), 201, MADCS, self.base)
        self.assertEqual(props(e), set(MADCS_KEYS))
        self.assertGuid(e["id"])
        self.assertEqual(e["certificateRevokeStatus"], "none")
        for k in ("certificateRevokeStatusLastChangeDateTime", "certificateExpirationDateTime",
                  "certificateIssuanceDateTime"):
            self.assertEqual(e[k], ZERO_DATE, k)
        for k in ("managedDeviceDisplayName", "userPrincipalName", "certificateIssuerName",
                  "certificateThumbprint", "certificateSerialNumber", "certificateSubjectName",
                  "certificateExtendedKeyUsages", "certificateKeyUsages"):
            self.assertIsNone(e[k], k)
        e2 = t.create(MADCS, {})
        self.assertNotEqual(e2["id"], e["id"])

    def test_revoke_status_change_sets_date(self):
        t = self.srv.tenant()
        e = t.create(MADCS, {"managedDeviceDisplayName": "laptop"})
        path = MADCS + "/" + e["id"]
        p1 = self.assertEntity(t.patch(path, {"certificateRevokeStatus": "revoked"}), 200, MADCS, self.base)
        self.assertEqual(p1["certificateRevokeStatus"], "revoked")
        self.assertRecent(p1["certificateRevokeStatusLastChangeDateTime"], slack=120)
        stamped = p1["certificateRevokeStatusLastChangeDateTime"]
        time.sleep(0.05)
        # No change of status: the date stays.
        p2 = self.assertEntity(t.patch(path, {"certificateRevokeStatus": "Revoked",
                                              "managedDeviceDisplayName": "laptop-2"}), 200, MADCS, self.base)
        self.assertEqual(p2["certificateRevokeStatusLastChangeDateTime"], stamped)
        # A client value wins over the server's stamp.
        given = "2020-05-05T05:05:05.5+02:00"
        p3 = self.assertEntity(t.patch(path, {"certificateRevokeStatus": 2,
                                              "certificateRevokeStatusLastChangeDateTime": given}),
                               200, MADCS, self.base)
        self.assertEqual(p3["certificateRevokeStatus"], "issued")
        self.assertEqual(p3["certificateRevokeStatusLastChangeDateTime"], given)
        # The date alone can be set too.
        p4 = self.assertEntity(t.patch(path, {"certificateRevokeStatusLastChangeDateTime": "2021-01-01T00:00:00Z"}),
                               200, MADCS, self.base)
        self.assertEqual(p4["certificateRevokeStatusLastChangeDateTime"], "2021-01-01T00:00:00Z")
        self.assertEqual(p4["certificateRevokeStatus"], "issued")
        self.assertEqual(p4["managedDeviceDisplayName"], "laptop-2")

    def test_key_usages_int32(self):
        t = self.srv.tenant()
        for v in (0, 4, 2147483647, -2147483648):
            with self.subTest(value=v):
                e = t.create(MADCS, {"certificateKeyUsages": v})
                self.assertEqual(e["certificateKeyUsages"], v)
                # read back from the store too: each backend's integer column, sign included
                self.assertEqual(t.get(MADCS + "/" + e["id"]).json()["certificateKeyUsages"], v)
        e = t.create(MADCS, {"certificateKeyUsages": 160})
        for bad in (2147483648, -2147483649, 1.5, "4", True, [4], 1e10):
            with self.subTest(bad=bad):
                self.assertBadProp(t.post(MADCS, {"certificateKeyUsages": bad}), "certificateKeyUsages")
                self.assertBadProp(t.patch(MADCS + "/" + e["id"], {"certificateKeyUsages": bad}),
                                   "certificateKeyUsages")
        self.assertCount(t.get(MADCS + "/$count"), 5)
        self.assertEqual(t.get(MADCS + "/" + e["id"]).json()["certificateKeyUsages"], 160)

    def test_revocation_status_enum(self):
        t = self.srv.tenant()
        for given, answered in (("PENDING", "pending"), (4, "revoked"), ("failed", "failed"), (0, "none")):
            with self.subTest(given=given):
                self.assertEqual(t.create(MADCS, {"certificateRevokeStatus": given})["certificateRevokeStatus"],
                                 answered)
        for bad in ("unknown", 5, -1):
            self.assertBadProp(t.post(MADCS, {"certificateRevokeStatus": bad}), "certificateRevokeStatus")
        self.assertCount(t.get(MADCS + "/$count"), 4)


def _openssl(*args, data=None):
    r = subprocess.run(["openssl"] + list(args), input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60, check=True)
    return r.stdout


class CodeSigning(gctest.ServerTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = cls.srv.dir
        key, pem = os.path.join(d, "cs.key"), os.path.join(d, "cs.pem")
        _openssl("req", "-x509", "-nodes", "-newkey", "rsa:2048", "-days", "200", "-keyout", key,
                 "-out", pem, "-subj", "/C=US/O=Contoso Ltd/CN=Contoso Code Signing",
                 "-addext", "extendedKeyUsage=codeSigning")
        cls.pem = open(pem, "rb").read()
        cls.der = _openssl("x509", "-in", pem, "-outform", "DER")
        end = _openssl("x509", "-in", pem, "-noout", "-enddate").decode().strip()
        cls.not_after = calendar.timegm(time.strptime(end.split("=", 1)[1], "%b %d %H:%M:%S %Y GMT"))

    def test_create_empty_defaults(self):
        t = self.srv.tenant()
        e = self.assertEntity(t.post(ECSC, {"id": "mine"}), 201, ECSC, self.base)
        self.assertEqual(props(e), set(ECSC_KEYS))
        self.assertGuid(e["id"])
        self.assertEqual(e["status"], "notProvisioned")
        self.assertIsNone(e["content"])
        for k in ("subjectName", "subject", "issuerName", "issuer"):
            self.assertIsNone(e[k], k)
        self.assertEqual(e["expirationDateTime"], gctest.ZERO_DATE)
        self.assertEqual(e["uploadDateTime"], gctest.ZERO_DATE)

    def test_content_base64url_answered_standard(self):
        t = self.srv.tenant()
        raw = bytes([0xfb, 0xff, 0xbf, 0xfe, 0xef, 0x3e, 0x01])
        std = base64.b64encode(raw).decode()
        self.assertIn("+", std + "/")
        for given in (base64.urlsafe_b64encode(raw).decode().rstrip("="),
                      base64.urlsafe_b64encode(raw).decode(), std):
            with self.subTest(given=given):
                e = self.assertEntity(t.post(ECSC, {"content": given}), 201, ECSC, self.base)
                self.assertEqual(e["content"], std)
                self.assertEqual(e["status"], "notProvisioned")
                self.assertEqual(t.get(ECSC + "/" + e["id"]).json()["content"], std)

    def test_status_enum(self):
        t = self.srv.tenant()
        self.assertEqual(t.create(ECSC, {"status": "Provisioned"})["status"], "provisioned")
        self.assertEqual(t.create(ECSC, {"status": 1})["status"], "provisioned")
        self.assertEqual(t.create(ECSC, {"status": 0})["status"], "notProvisioned")
        self.assertBadProp(t.post(ECSC, {"status": 2}), "status")
        self.assertBadProp(t.post(ECSC, {"status": "revoked"}), "status")
        self.assertCount(t.get(ECSC + "/$count"), 3)

    def _assert_derived(self, e):
        self.assertEqual(e["status"], "provisioned")
        self.assertIsNone(e["content"])
        self.assertEqual(e["subjectName"], "Contoso Code Signing")
        self.assertEqual(e["issuerName"], "Contoso Code Signing")
        for k in ("subject", "issuer"):
            self.assertIn("Contoso Code Signing", e[k], k)
            self.assertIn("Contoso Ltd", e[k], k)
        self.assertEqual(dt_instant(e["expirationDateTime"]), float(self.not_after))
        self.assertRecent(e["uploadDateTime"], slack=120)

    def test_certificate_content_is_parsed(self):
        t = self.srv.tenant()
        for name, content in (("der", base64.b64encode(self.der).decode()),
                              ("pem", base64.b64encode(self.pem).decode())):
            with self.subTest(form=name):
                e = self.assertEntity(t.post(ECSC_V1, {"content": content}), 201, ECSC_V1, self.base)
                self._assert_derived(e)
                g = self.assertEntity(t.get(ECSC_V1 + "/" + e["id"]), 200, ECSC_V1, self.base)
                self.assertEqual(g, e)

    def test_patch_with_certificate_provisions(self):
        t = self.srv.tenant()
        e = t.create(ECSC, {"subjectName": "placeholder"})
        p = self.assertEntity(t.patch(ECSC + "/" + e["id"], {"content": base64.b64encode(self.der).decode()}),
                              200, ECSC, self.base)
        self._assert_derived(p)
        self.assertEqual(p["id"], e["id"])


class PfxUserCert(gctest.ServerTest):

    def test_create_echoes_everything(self):
        t = self.srv.tenant()
        body = {"tenantId": t.id, "userId": str(uuid.uuid4()), "thumbprint": "ABCDEF",
                "userUpn": "frank@contoso.example", "encryptedPfxBlob": "not base64 at all!",
                "encryptedPfxPassword": "secret-ish", "certStartDate": "2024-01-01T00:00:00.5+01:00",
                "certExpirationDate": "2025-01-01T00:00:00Z", "providerName": "KSP",
                "encryptionKeyName": "key1", "paddingScheme": 5, "status": 1,
                "intendedPurpose": 2, "isDeleted": False}
        e = self.assertEntity(t.post(PFXU, body), 201, PFXU, self.base)
        self.assertEqual(props(e), set(PFXU_KEYS))
        self.assertGuid(e["id"])
        self.assertSameProps(e, body)
        for k in ("createdTime", "lastModifiedTime", "eTag"):
            self.assertIsInstance(e[k], str, k)
        self.assertRecent(e["createdTime"])
        g = self.assertEntity(t.get(PFXU + "/" + e["id"]), 200, PFXU, self.base)
        self.assertEqual(g, e)
        p = self.assertEntity(t.patch(PFXU + "/" + e["id"], {"isDeleted": True, "status": 7}), 200, PFXU, self.base)
        self.assertEqual(p["isDeleted"], True)
        self.assertEqual(p["status"], 7)
        self.assertSameProps(p, body, skip=("isDeleted", "status"))
        self.assertEqual(p["createdTime"], e["createdTime"])


if __name__ == "__main__":
    gctest.main()
