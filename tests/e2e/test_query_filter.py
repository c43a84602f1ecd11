"""$filter end to end (contract section 3): every comparison operator and function on every EDM
type the served sets have (String, Int32, Boolean, Guid, DateTimeOffset compared by instant,
enums by name, qualified name or value, null), `and or not`, parentheses, `in (...)`, the
case-sensitive string functions with LIKE/GLOB wildcards in the values, tolower/toupper, the
PFX import tool's unencoded filter on a raw request line, every 400 with the culprit and its
position, and tenant isolation. Each query asserts the exact result set."""
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import ECSC, ECSC_V1, MADCS, PFXU, UPFX, new_thumbprint, upfx_body  # noqa: E402

D0 = "2024-01-01T00:00:00Z"

# userPFXCertificate rows: label -> (userPrincipalName, intendedPurpose (None: omitted, the
# default unassigned), paddingScheme, startDateTime, expirationDateTime, providerName, keyName)
UPFX_ROWS = {
    "a": ("alice@contoso.com", "smimeEncryption", "oaepSha512", "2024-01-01T00:00:00+02:00",
          "2026-01-01T00:00:00Z", "Microsoft Software Key Storage Provider", "PFXEncryptionKey"),
    "b": ("Bob@Contoso.com", "vpn", "oaepSha256", "2023-12-31T22:00:00Z",
          "2025-06-30T23:59:59.1234567Z", None, "k2"),
    "c": ("carol%admin@contoso.com", "wifi", "none", "2024-06-01T12:00:00-05:00",
          "2027-01-01T00:00:00+05:30", "Contoso HSM", None),
    "d": ("dave_x@fabrikam.com", "wifi", "oaepSha384", "2024-03-01T00:00:00Z",
          "2025-01-01T00:00:00Z", "P", "k"),
    "g": ("davexx@fabrikam.com", "smimeSigning", "oaepSha512", "2022-01-01T00:00:00.5Z",
          "2026-01-01T00:00:00Z", "P", "k"),
    "h": ("carolXadmin@contoso.com", None, "oaepSha512", D0, "2026-01-01T00:00:00Z", "P", "k"),
    "e": ("eve*star@fabrikam.com", "smimeEncryption", "oaepSha512", D0, "2026-01-01T00:00:00Z",
          "P", "k"),
    "i": ("eveXstar@fabrikam.com", "smimeEncryption", "oaepSha512", D0, "2026-01-01T00:00:00Z",
          "P", "k"),
    "j": ("eve[1]@fabrikam.com", "vpn", "oaepSha512", D0, "2026-01-01T00:00:00Z", "P", "k"),
    "k": ("user1@fabrikam.com", "vpn", "oaepSha512", D0, "2026-01-01T00:00:00Z", "P", "k"),
    "f": ("o'neil@contoso.com", "unassigned", "oaepSha512", D0, "2026-01-01T00:00:00Z", "P", "k"),
    "p": ("plus+tag@contoso.com", "smimeSigning", "oaepSha512", D0, "2026-01-01T00:00:00Z", "P",
          "k"),
    "q1": ("q?z@fabrikam.com", "smimeEncryption", "oaepSha512", D0, "2026-01-01T00:00:00Z", "P",
           "k"),
    "q2": ("qaz@fabrikam.com", "smimeEncryption", "oaepSha512", D0, "2026-01-01T00:00:00Z", "P",
           "k"),
    "r": ("back\\slash@fabrikam.com", "smimeEncryption", "oaepSha512", D0,
          "2026-01-01T00:00:00Z", "P", "k"),
}
ALL_U = set(UPFX_ROWS)
UPN = {k: v[0] for k, v in UPFX_ROWS.items()}
PURPOSE_VALUE = {None: 0, "unassigned": 0, "smimeEncryption": 1, "smimeSigning": 2, "vpn": 4,
                 "wifi": 8}
PURPOSE = {k: PURPOSE_VALUE[v[1]] for k, v in UPFX_ROWS.items()}
OTHERS = {k for k, v in UPFX_ROWS.items() if v[3] == D0}

# managedAllDeviceCertificateState rows: label -> (certificateKeyUsages, certificateRevokeStatus)
MADCS_ROWS = {
    "m0": (0, "none"), "m5": (5, "pending"), "m160": (160, "revoked"), "mneg": (-7, "issued"),
    "mnull": (None, None), "mmax": (2147483647, "failed"),
}
ALL_M = set(MADCS_ROWS)

TA = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
TB = "b1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
U1 = "10000000-0000-0000-0000-000000000001"
U2 = "20000000-0000-0000-0000-000000000002"
U3 = "30000000-0000-0000-0000-000000000003"
ZERO = "00000000-0000-0000-0000-000000000000"
# pfxUserCertificate rows: label -> properties (omitted ones take their defaults)
PFXU_ROWS = {
    "x1": {"tenantId": TA, "userId": U1, "isDeleted": False, "status": 0, "intendedPurpose": 1,
           "userUpn": "x1@contoso.com", "certStartDate": "2024-01-01T00:00:00Z"},
    "x2": {"tenantId": TA, "userId": U2, "isDeleted": True, "status": 2, "intendedPurpose": 4,
           "userUpn": "x2@contoso.com", "certStartDate": "2024-01-01T02:00:00+02:00"},
    "x3": {"tenantId": TB, "userId": U3, "status": 5, "intendedPurpose": 8,
           "userUpn": "x3@contoso.com", "certStartDate": "2023-06-01T00:00:00-07:00"},
    "x4": {"isDeleted": True, "userUpn": "x4@contoso.com"},
}
ALL_X = set(PFXU_ROWS)


def enc(text):
    """A $filter value percent-encoded as a careful client does."""
    return urllib.parse.quote(text, safe="")


class Filter(gctest.ServerTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        t = cls.t = cls.srv.tenant()
        cls.labels = {}  # set path -> {id: label}
        cls.thumb = {}
        rows = {}
        for label, (upn, purpose, padding, start, exp, provider, key) in UPFX_ROWS.items():
            thumb = new_thumbprint(upper=(label == "a"))
            body = upfx_body(upn, thumbprint=thumb, paddingScheme=padding, startDateTime=start,
                             expirationDateTime=exp, providerName=provider, keyName=key,
                             intendedPurpose=purpose if purpose else gctest.DROP)
            if provider is None:
                body["providerName"] = None
            if key is None:
                body["keyName"] = None
            cls.thumb[label] = thumb.lower()
            rows[label] = body
        labels = list(rows)
        made = t.create_many(UPFX, [rows[k] for k in labels])
        cls.labels[UPFX] = {e["id"]: k for k, e in zip(labels, made)}
        cls.upfx = dict(zip(labels, made))

        labels = list(MADCS_ROWS)
        bodies = []
        for k in labels:
            ku, status = MADCS_ROWS[k]
            b = {"managedDeviceDisplayName": "dev-" + k}
            if ku is not None:
                b["certificateKeyUsages"] = ku
            if status is not None:
                b["certificateRevokeStatus"] = status
            bodies.append(b)
        made = t.create_many(MADCS, bodies)
        cls.labels[MADCS] = {e["id"]: k for k, e in zip(labels, made)}

        labels = list(PFXU_ROWS)
        made = t.create_many(PFXU, [PFXU_ROWS[k] for k in labels])
        cls.labels[PFXU] = {e["id"]: k for k, e in zip(labels, made)}

        made = t.create_many(ECSC, [{"subjectName": "CN=Alpha"},
                                    {"subjectName": "CN=Beta", "status": "provisioned"}])
        cls.labels[ECSC] = {made[0]["id"]: "s1", made[1]["id"]: "s2"}
        cls.labels[ECSC_V1] = cls.labels[ECSC]

    # ---- helpers

    def find(self, flt, set_path=UPFX, tenant=None):
        """The labels of the entities a GET with this $filter answers (one page, no nextLink)."""
        t = tenant or self.t
        r = t.get(set_path + "?$filter=" + enc(flt))
        items = self.assertCollection(r, set_path, self.base)
        ids = [e["id"] for e in items]
        self.assertEqual(len(ids), len(set(ids)), "duplicate ids for %r" % flt)
        labels = {self.labels[set_path].get(i, i) for i in ids}
        # /$count agrees
        c = t.get(set_path + "/$count?$filter=" + enc(flt))
        self.assertCount(c, len(ids))
        return labels

    def check(self, set_path, cases):
        for flt, want in cases:
            with self.subTest(filter=flt):
                self.assertEqual(self.find(flt, set_path), set(want))

    def bad(self, flt, culprit, pos=None, set_path=UPFX, encoded=True):
        """A 400 BadRequest for this $filter whose message names culprit (and ends with
        'at position pos.'); also on /$count. Returns the message."""
        q = "?$filter=" + (enc(flt) if encoded else flt)
        msg = None
        for path in (set_path, set_path + "/$count"):
            r = self.t.get(path + q)
            msg = self.assertGraphError(r, 400, "BadRequest")
            self.assertIn(culprit, msg, "%r: %r" % (flt, msg))
            if pos is not None:
                self.assertTrue(msg.endswith("at position %d." % pos), "%r: %r" % (flt, msg))
        return msg

    # ---- String

    def test_string_comparisons(self):
        names = sorted(UPN.values())
        pivot = "dave_x@fabrikam.com"
        self.check(UPFX, [
            ("userPrincipalName eq 'alice@contoso.com'", {"a"}),
            ("userPrincipalName eq 'ALICE@contoso.com'", set()),  # eq is case-sensitive
            ("userPrincipalName eq 'Bob@Contoso.com'", {"b"}),
            ("userPrincipalName eq 'o''neil@contoso.com'", {"f"}),
            ("userPrincipalName eq 'back\\slash@fabrikam.com'", {"r"}),
            ("userPrincipalName eq 'carol%admin@contoso.com'", {"c"}),
            ("userPrincipalName ne 'alice@contoso.com'", ALL_U - {"a"}),
            ("userPrincipalName gt '%s'" % pivot, {k for k, v in UPN.items() if v > pivot}),
            ("userPrincipalName ge '%s'" % pivot, {k for k, v in UPN.items() if v >= pivot}),
            ("userPrincipalName lt '%s'" % pivot, {k for k, v in UPN.items() if v < pivot}),
            ("userPrincipalName le '%s'" % pivot, {k for k, v in UPN.items() if v <= pivot}),
            ("userPrincipalName in ('alice@contoso.com', 'Bob@Contoso.com', 'nobody@x')",
             {"a", "b"}),
            ("userPrincipalName in ('o''neil@contoso.com')", {"f"}),
            ("keyName eq 'k2'", {"b"}),
        ])
        self.assertEqual(len(names), len(set(names)))

    def test_string_functions_case_sensitive(self):
        self.check(UPFX, [
            ("startswith(userPrincipalName,'dave')", {"d", "g"}),
            ("startswith(userPrincipalName, 'Bob')", {"b"}),
            ("startswith(userPrincipalName,'bob')", set()),
            ("startswith(userPrincipalName,'')", ALL_U),
            ("endswith(userPrincipalName,'@fabrikam.com')",
             {k for k, v in UPN.items() if v.endswith("@fabrikam.com")}),
            ("endswith(userPrincipalName,'@Contoso.com')", {"b"}),
            ("endswith(userPrincipalName,'@CONTOSO.COM')", set()),
            ("contains(userPrincipalName,'X')", {"h", "i"}),
            ("contains(userPrincipalName,'x')", {"d", "g"}),
            ("contains(userPrincipalName,'contoso')", {"a", "c", "h", "f", "p"}),
            ("not startswith(userPrincipalName,'dave')", ALL_U - {"d", "g"}),
            ("not contains(userPrincipalName,'@')", set()),
        ])

    def test_wildcards_in_values_are_literal(self):
        """LIKE's % _ \\ and GLOB's * ? [ in a value match only themselves."""
        self.check(UPFX, [
            ("startswith(userPrincipalName,'dave_')", {"d"}),
            ("contains(userPrincipalName,'_')", {"d"}),
            ("contains(userPrincipalName,'%admin')", {"c"}),
            ("contains(userPrincipalName,'%')", {"c"}),
            ("startswith(userPrincipalName,'carol%')", {"c"}),
            ("contains(userPrincipalName,'eve*star')", {"e"}),
            ("contains(userPrincipalName,'*')", {"e"}),
            ("endswith(userPrincipalName,'*star@fabrikam.com')", {"e"}),
            ("contains(userPrincipalName,'[1]')", {"j"}),
            ("contains(userPrincipalName,'[')", {"j"}),
            ("contains(userPrincipalName,'q?z')", {"q1"}),
            ("startswith(userPrincipalName,'?')", set()),
            ("contains(userPrincipalName,'\\')", {"r"}),
            ("contains(userPrincipalName,'+')", {"p"}),
            ("contains(userPrincipalName,'''')", {"f"}),
            ("startswith(userPrincipalName,'o''')", {"f"}),
        ])

    def test_tolower_toupper(self):
        tb = self.thumb["b"]
        self.check(UPFX, [
            ("tolower(userPrincipalName) eq 'bob@contoso.com'", {"b"}),
            ("tolower(userPrincipalName) eq 'Bob@Contoso.com'", set()),
            ("toupper(userPrincipalName) eq 'BOB@CONTOSO.COM'", {"b"}),
            ("tolower(toupper(userPrincipalName)) eq 'bob@contoso.com'", {"b"}),
            ("startswith(tolower(userPrincipalName),'bob')", {"b"}),
            ("endswith(toupper(userPrincipalName),'@CONTOSO.COM')",
             {"a", "b", "c", "h", "f", "p"}),
            ("contains(toupper(userPrincipalName),'EVEX')", {"i"}),
            ("tolower(userPrincipalName) in ('bob@contoso.com', 'alice@contoso.com')", {"a", "b"}),
            ("thumbprint eq '%s'" % tb, {"b"}),
            ("thumbprint eq '%s'" % tb.upper(), set()),  # stored lower case; eq is exact
            ("toupper(thumbprint) eq '%s'" % tb.upper(), {"b"}),
            ("tolower(thumbprint) eq '%s'" % self.thumb["a"], {"a"}),
            ("TOLOWER(userPrincipalName) EQ 'bob@contoso.com'", {"b"}),
        ])

    def test_string_null(self):
        self.check(UPFX, [
            ("providerName eq null", {"b"}),
            ("null eq providerName", {"b"}),
            ("keyName eq null", {"c"}),
            ("providerName ne null", ALL_U - {"b"}),
            ("providerName ne 'Contoso HSM'", ALL_U - {"c"}),  # null ne 'x' is true
            ("not (providerName eq 'Contoso HSM')", ALL_U - {"c"}),
            ("providerName gt 'A'", ALL_U - {"b"}),  # null gt 'A' is false
            ("not (providerName gt 'A')", {"b"}),
            ("providerName eq null or keyName eq null", {"b", "c"}),
            ("providerName in ('Contoso HSM', 'P')", ALL_U - {"a", "b"}),
            ("not (providerName in ('Contoso HSM', 'P'))", {"a", "b"}),
            ("tolower(providerName) eq null", {"b"}),
            ("startswith(providerName,'C')", {"c"}),
            ("userPrincipalName eq null", set()),
            ("intendedPurpose eq null", set()),
            ("intendedPurpose ne null", ALL_U),
            ("startDateTime eq null", set()),
        ])

    # ---- enums

    def test_enum_by_name_qualified_and_value(self):
        vpn = {"b", "j", "k"}
        self.check(UPFX, [
            ("intendedPurpose eq 'vpn'", vpn),
            ("intendedPurpose eq 'VPN'", vpn),
            ("intendedPurpose eq 'Vpn'", vpn),
            ("intendedPurpose eq microsoft.graph.userPfxIntendedPurpose'vpn'", vpn),
            ("intendedPurpose eq Microsoft.Graph.UserPfxIntendedPurpose'VPN'", vpn),
            ("intendedPurpose eq 4", vpn),
            ("'vpn' eq intendedPurpose", vpn),
            ("intendedPurpose ne 'vpn'", ALL_U - vpn),
            ("intendedPurpose eq 'unassigned'", {"h", "f"}),  # h took the default
            # value order (unassigned 0 < smimeEncryption 1 < smimeSigning 2 < vpn 4 < wifi 8),
            # not name order
            ("intendedPurpose lt 'smimeSigning'", {k for k, v in PURPOSE.items() if v < 2}),
            ("intendedPurpose le 2", {k for k, v in PURPOSE.items() if v <= 2}),
            ("intendedPurpose gt 'unassigned'", {k for k, v in PURPOSE.items() if v > 0}),
            ("intendedPurpose ge microsoft.graph.userPfxIntendedPurpose'vpn'",
             {k for k, v in PURPOSE.items() if v >= 4}),
            ("intendedPurpose gt 4", {"c", "d"}),
            ("intendedPurpose in ('vpn', 'wifi')", vpn | {"c", "d"}),
            ("intendedPurpose in (0, microsoft.graph.userPfxIntendedPurpose'smimeSigning')",
             {"h", "f", "g", "p"}),
            ("paddingScheme eq 'none'", {"c"}),
            ("paddingScheme eq 'OAEPSHA256'", {"b"}),
            ("paddingScheme eq 3", {"b"}),
            ("paddingScheme lt 'oaepSha512'", {"b", "c", "d"}),
            ("paddingScheme eq microsoft.graph.userPfxPaddingScheme'oaepSha384'", {"d"}),
        ])
        self.check(MADCS, [
            ("certificateRevokeStatus eq 'revoked'", {"m160"}),
            ("certificateRevokeStatus eq 'REVOKED'", {"m160"}),
            ("certificateRevokeStatus eq 4", {"m160"}),
            ("certificateRevokeStatus eq microsoft.graph.certificateRevocationStatus'pending'",
             {"m5"}),
            ("certificateRevokeStatus ge 'issued'", {"mneg", "mmax", "m160"}),
            ("certificateRevokeStatus lt 'failed'", {"m0", "mnull", "m5", "mneg"}),
            ("certificateRevokeStatus in ('none', 'failed')", {"m0", "mnull", "mmax"}),
            ("certificateRevokeStatus ne 'none'", ALL_M - {"m0", "mnull"}),
        ])
        for sp in (ECSC, ECSC_V1):
            self.check(sp, [
                ("status eq 'provisioned'", {"s2"}),
                ("status eq 1", {"s2"}),
                ("status eq microsoft.graph.certificateStatus'notProvisioned'", {"s1"}),
                ("status ne 'notProvisioned'", {"s2"}),
                ("status gt 0", {"s2"}),
                ("status le 'notProvisioned'", {"s1"}),
                ("subjectName eq 'CN=Alpha' or status eq 'provisioned'", {"s1", "s2"}),
            ])

    # ---- Int32

    def test_int32(self):
        self.check(MADCS, [
            ("certificateKeyUsages eq 5", {"m5"}),
            ("certificateKeyUsages ne 5", ALL_M - {"m5"}),  # the null row too
            ("certificateKeyUsages gt 0", {"m5", "m160", "mmax"}),
            ("certificateKeyUsages ge 0", {"m0", "m5", "m160", "mmax"}),
            ("certificateKeyUsages lt 0", {"mneg"}),
            ("certificateKeyUsages le 5", {"m0", "m5", "mneg"}),
            ("certificateKeyUsages gt -8", {"m0", "m5", "m160", "mneg", "mmax"}),
            ("certificateKeyUsages eq -7", {"mneg"}),
            ("certificateKeyUsages eq 2147483647", {"mmax"}),
            ("certificateKeyUsages eq -2147483648", set()),
            ("certificateKeyUsages eq null", {"mnull"}),
            ("certificateKeyUsages ne null", ALL_M - {"mnull"}),
            ("certificateKeyUsages in (0, 160, -7)", {"m0", "m160", "mneg"}),
            ("not (certificateKeyUsages lt 160)", {"m160", "mmax", "mnull"}),
            ("not (certificateKeyUsages in (0, 5))", ALL_M - {"m0", "m5"}),
            ("5 lt certificateKeyUsages", {"m160", "mmax"}),
            ("0 ge certificateKeyUsages", {"m0", "mneg"}),
        ])
        self.check(PFXU, [
            ("status eq 2", {"x2"}),
            ("status ge 2", {"x2", "x3"}),
            ("status lt 5", {"x1", "x2", "x4"}),
            ("status ne 0", {"x2", "x3"}),
            ("intendedPurpose eq 8", {"x3"}),
            ("intendedPurpose le 1", {"x1", "x4"}),
            ("paddingScheme eq 0", ALL_X),
        ])

    # ---- Boolean

    def test_boolean(self):
        self.check(PFXU, [
            ("isDeleted", {"x2", "x4"}),
            ("isDeleted eq true", {"x2", "x4"}),
            ("isDeleted eq false", {"x1", "x3"}),
            ("not isDeleted", {"x1", "x3"}),
            ("isDeleted ne true", {"x1", "x3"}),
            ("isDeleted ne false", {"x2", "x4"}),
            ("isDeleted gt false", {"x2", "x4"}),
            ("isDeleted ge false", ALL_X),
            ("isDeleted lt true", {"x1", "x3"}),
            ("isDeleted le false", {"x1", "x3"}),
            ("true eq isDeleted", {"x2", "x4"}),
            ("isDeleted in (true)", {"x2", "x4"}),
            ("isDeleted and status gt 0", {"x2"}),
            ("isDeleted eq null", set()),
            ("isDeleted EQ TRUE", {"x2", "x4"}),
        ])

    # ---- Guid

    def test_guid(self):
        self.check(PFXU, [
            ("userId eq %s" % U2, {"x2"}),
            ("userId eq '%s'" % U2, {"x2"}),
            ("tenantId eq %s" % TA, {"x1", "x2"}),
            ("tenantId eq %s" % TA.upper(), {"x1", "x2"}),
            ("tenantId eq '%s'" % TA.upper(), {"x1", "x2"}),
            ("tenantId ne %s" % TA, {"x3", "x4"}),
            ("tenantId eq %s" % ZERO, {"x4"}),
            ("userId gt %s" % U1, {"x2", "x3"}),
            ("userId ge %s" % U1, {"x1", "x2", "x3"}),
            ("userId lt %s" % U2, {"x1", "x4"}),
            ("userId le %s" % U2, {"x1", "x2", "x4"}),
            ("userId in (%s, '%s')" % (U1, U3), {"x1", "x3"}),
            ("%s eq userId" % U3, {"x3"}),
            ("userId eq null", set()),
            ("tenantId ne null", ALL_X),
            ("tenantId eq %s and userId ne %s" % (TA, U1), {"x2"}),
        ])

    # ---- DateTimeOffset

    def test_datetime_by_instant(self):
        ab = {"a", "b"}
        self.check(UPFX, [
            # a was given as 2024-01-01T00:00:00+02:00, b as 2023-12-31T22:00:00Z
            ("startDateTime eq 2023-12-31T22:00:00Z", ab),
            ("startDateTime eq 2024-01-01T00:00:00+02:00", ab),
            ("startDateTime eq 2023-12-31T17:00:00-05:00", ab),
            ("startDateTime eq 2023-12-31T22:00:00.0000000Z", ab),
            ("startDateTime eq 2024-01-01T00:00:00Z", OTHERS),
            ("startDateTime ne 2023-12-31T22:00:00Z", ALL_U - ab),
            ("startDateTime gt 2024-01-01T00:00:00Z", {"c", "d"}),
            ("startDateTime ge 2024-01-01T00:00:00Z", {"c", "d"} | OTHERS),
            ("startDateTime lt 2023-12-31T22:00:00Z", {"g"}),
            ("startDateTime le 2024-01-01T00:00:00+02:00", {"a", "b", "g"}),
            ("startDateTime lt 2023-12-31T23:59:59+02:00", {"g"}),
            # c was given as 2024-06-01T12:00:00-05:00
            ("startDateTime eq 2024-06-01T17:00:00Z", {"c"}),
            ("startDateTime gt 2024-06-01T16:59:59.9999999Z", {"c"}),
            ("startDateTime in (2023-12-31T22:00:00Z, 2024-06-01T17:00:00Z)", {"a", "b", "c"}),
            ("2024-01-01T00:00:00Z lt startDateTime", {"c", "d"}),
            # fractions: g is ...00.5Z, b's expiry has 7 digits
            ("startDateTime eq 2022-01-01T00:00:00.5Z", {"g"}),
            ("startDateTime eq 2022-01-01T00:00:00.5000000Z", {"g"}),
            ("startDateTime eq 2022-01-01T00:00:00Z", set()),
            ("startDateTime gt 2022-01-01T00:00:00.4999999Z and "
             "startDateTime lt 2022-01-01T00:00:00.5000001Z", {"g"}),
            ("expirationDateTime eq 2025-06-30T23:59:59.1234567Z", {"b"}),
            ("expirationDateTime eq 2025-06-30T23:59:59.123456Z", set()),
            ("expirationDateTime gt 2025-06-30T23:59:59.123456Z and "
             "expirationDateTime lt 2025-07-01T00:00:00Z", {"b"}),
            # c's expiry 2027-01-01T00:00:00+05:30 is 2026-12-31T18:30:00Z
            ("expirationDateTime eq 2026-12-31T18:30:00Z", {"c"}),
            ("expirationDateTime gt 2026-12-31T18:29:59Z", {"c"}),
            ("expirationDateTime ge 2026-12-31T18:30:00.0000001Z", set()),
            ("createdDateTime gt 2020-01-01T00:00:00Z", ALL_U),
            ("lastModifiedDateTime lt 2020-01-01T00:00:00Z", set()),
        ])
        self.check(PFXU, [
            ("certStartDate eq 2024-01-01T00:00:00Z", {"x1", "x2"}),
            ("certStartDate eq 2023-06-01T07:00:00Z", {"x3"}),
            ("certStartDate eq 0001-01-01T00:00:00Z", {"x4"}),
            ("certStartDate lt 2000-01-01T00:00:00Z", {"x4"}),
            ("certStartDate ge 2023-06-01T00:00:00-07:00", {"x1", "x2", "x3"}),
            ("createdTime ge 2020-01-01T00:00:00Z", ALL_X),
        ])
        # answered as given (offset and digits kept)
        self.assertEqual(self.upfx["a"]["startDateTime"], "2024-01-01T00:00:00+02:00")
        r = self.t.get(UPFX + "?$filter=" + enc("startDateTime eq 2023-12-31T22:00:00Z"))
        got = {e["userPrincipalName"]: e["startDateTime"]
               for e in self.assertCollection(r, UPFX, self.base)}
        self.assertEqual(got, {"alice@contoso.com": "2024-01-01T00:00:00+02:00",
                               "Bob@Contoso.com": "2023-12-31T22:00:00Z"})

    # ---- logic

    def test_and_or_not_parentheses(self):
        vpn = {"b", "j", "k"}
        wifi = {"c", "d"}
        carol = {"c", "h"}
        self.check(UPFX, [
            ("intendedPurpose eq 'wifi' and startswith(userPrincipalName,'carol')", {"c"}),
            # and binds tighter than or
            ("intendedPurpose eq 'vpn' or intendedPurpose eq 'wifi' and "
             "startswith(userPrincipalName,'carol')", vpn | (wifi & carol)),
            ("(intendedPurpose eq 'vpn' or intendedPurpose eq 'wifi') and "
             "startswith(userPrincipalName,'carol')", (vpn | wifi) & carol),
            ("startswith(userPrincipalName,'carol') and intendedPurpose eq 'wifi' or "
             "intendedPurpose eq 'vpn'", vpn | (wifi & carol)),
            ("not (intendedPurpose eq 'vpn' or intendedPurpose eq 'wifi')", ALL_U - vpn - wifi),
            ("not intendedPurpose eq 'vpn' and not intendedPurpose eq 'wifi'",
             ALL_U - vpn - wifi),
            ("not (not (intendedPurpose eq 'vpn'))", vpn),
            ("((intendedPurpose eq 'vpn'))", vpn),
            ("intendedPurpose eq 'vpn' and (startswith(userPrincipalName,'Bob') or "
             "startswith(userPrincipalName,'user'))", {"b", "k"}),
            ("userPrincipalName eq 'alice@contoso.com' or userPrincipalName eq 'Bob@Contoso.com' "
             "or userPrincipalName eq 'qaz@fabrikam.com'", {"a", "b", "q2"}),
            ("intendedPurpose eq 'vpn' and intendedPurpose eq 'wifi'", set()),
            ("intendedPurpose EQ 'vpn' AND NOT (userPrincipalName EQ NULL)", vpn),
            ("STARTSWITH(userPrincipalName,'dave') OR ENDSWITH(userPrincipalName,'@Contoso.com')",
             {"d", "g", "b"}),
            ("intendedPurpose\teq\t'vpn'", vpn),
            ("  intendedPurpose   eq 'vpn'  ", vpn),
            ("(intendedPurpose eq 'vpn')and(startswith(userPrincipalName,'Bob'))", {"b"}),
        ])

    # ---- the PFX import tool

    def test_import_tool_unencoded_filter_raw(self):
        """The tool sends its filter unencoded: spaces and quotes on the request line."""
        for label, upn_lower in (("a", "alice@contoso.com"), ("b", "bob@contoso.com")):
            with self.subTest(label=label):
                target = ("/beta/deviceManagement/userPfxCertificates?$filter=tolower(userPrincipalName)"
                          " eq '%s' and tolower(thumbprint) eq '%s'" % (upn_lower, self.thumb[label]))
                r = self.t.raw_get(target)
                items = self.assertCollection(r, UPFX, self.base)
                self.assertEqual([e["id"] for e in items], [self.upfx[label]["id"]])
                self.assertEqual(items[0]["thumbprint"], self.thumb[label])
                # the same filter percent-encoded
                r = self.t.get(UPFX + "?$filter=" + enc(target.split("=", 1)[1]))
                self.assertEqual([e["id"] for e in self.assertCollection(r, UPFX, self.base)],
                                 [self.upfx[label]["id"]])
        # an upper-case thumbprint in the filter does not match the lower-cased column
        target = ("/beta/deviceManagement/userPfxCertificates?$filter=tolower(userPrincipalName)"
                  " eq 'alice@contoso.com' and thumbprint eq '%s'" % self.thumb["a"].upper())
        self.assertEqual(self.assertCollection(self.t.raw_get(target), UPFX, self.base), [])
        # /$count the same way
        target = ("/beta/deviceManagement/userPfxCertificates/$count?$filter=tolower(userPrincipalName)"
                  " eq 'alice@contoso.com' and tolower(thumbprint) eq '%s'" % self.thumb["a"])
        self.assertCount(self.t.raw_get(target), 1)

    def test_raw_plus_and_percent_stay_literal(self):
        """'+' is not a space in a query value; %2B is '+'; a '%' without two hex digits stays."""
        r = self.t.raw_get(UPFX + "?$filter=userPrincipalName eq 'plus+tag@contoso.com'")
        self.assertEqual([e["id"] for e in self.assertCollection(r, UPFX, self.base)],
                         [self.upfx["p"]["id"]])
        r = self.t.raw_get(UPFX + "?$filter=userPrincipalName eq 'plus%2Btag@contoso.com'")
        self.assertEqual([e["id"] for e in self.assertCollection(r, UPFX, self.base)],
                         [self.upfx["p"]["id"]])
        r = self.t.raw_get(UPFX + "?$filter=contains(userPrincipalName,'%')")
        self.assertEqual([e["id"] for e in self.assertCollection(r, UPFX, self.base)],
                         [self.upfx["c"]["id"]])
        r = self.t.raw_get(UPFX + "?$filter=userPrincipalName%20eq%20'o''neil@contoso.com'")
        self.assertEqual([e["id"] for e in self.assertCollection(r, UPFX, self.base)],
                         [self.upfx["f"]["id"]])

    # ---- errors

    def test_unknown_property(self):
        self.bad("nosuch eq 'x'", "'nosuch'", 0)
        f = "userPrincipalName eq 'a' and Thumbprint eq 'b'"  # property names are case-sensitive
        self.bad(f, "'Thumbprint'", f.index("Thumbprint"))
        self.bad("startswith(displayName,'a')", "'displayName'", 11)
        self.bad("isDeleted", "'isDeleted'", 0)  # a pfxUserCertificate property, not this type's
        self.bad("userUpn eq 'a'", "'userUpn'", 0, set_path=MADCS)

    def test_not_filterable_property(self):
        self.bad("encryptedPfxBlob eq 'AA=='", "'encryptedPfxBlob'", 0)
        self.bad("encryptedPfxBlob eq null", "'encryptedPfxBlob'", 0)
        self.bad("encryptedPfxPassword eq ''", "'encryptedPfxPassword'", 0)
        f = "userPrincipalName eq 'a' or contains(encryptedPfxPassword,'x')"
        self.bad(f, "'encryptedPfxPassword'", f.index("encryptedPfxPassword"))
        self.bad("content eq null", "'content'", 0, set_path=ECSC)

    def test_wrong_literal_type(self):
        cases = [
            (MADCS, "certificateKeyUsages eq '5'", "'certificateKeyUsages'", 24),
            (MADCS, "certificateKeyUsages eq true", "'certificateKeyUsages'", 24),
            (MADCS, "certificateKeyUsages eq 2024-01-01T00:00:00Z", "'certificateKeyUsages'", 24),
            (UPFX, "startDateTime eq '2024-01-01T00:00:00Z'", "'startDateTime'", 17),
            (UPFX, "startDateTime eq 5", "'startDateTime'", 17),
            (UPFX, "userPrincipalName eq 5", "'userPrincipalName'", 21),
            (UPFX, "userPrincipalName eq true", "'userPrincipalName'", 21),
            (UPFX, "intendedPurpose eq true", "'intendedPurpose'", 19),
            (UPFX, "intendedPurpose eq 2024-01-01T00:00:00Z", "'intendedPurpose'", 19),
            (PFXU, "isDeleted eq 1", "'isDeleted'", 13),
            (PFXU, "isDeleted eq 'true'", "'isDeleted'", 13),
            (PFXU, "userId eq 'nope'", "'userId'", 10),
            (PFXU, "userId eq 12", "'userId'", 10),
            (PFXU, "intendedPurpose eq 'vpn'", "'intendedPurpose'", 19),  # Int32 on this type
            (ECSC, "status eq true", "'status'", 10),
        ]
        for sp, f, culprit, pos in cases:
            with self.subTest(filter=f):
                self.bad(f, culprit, pos, set_path=sp)

    def test_bad_enum_and_literals(self):
        self.bad("intendedPurpose eq 'bogus'", "'bogus'", 19)
        self.bad("intendedPurpose eq 3", "3 is not a member", 19)
        self.bad("intendedPurpose eq microsoft.graph.userPfxPaddingScheme'none'",
                 "'intendedPurpose'", 19)
        self.bad("intendedPurpose in ('vpn', 'bogus')", "'bogus'", 27)
        self.bad("certificateKeyUsages eq 2147483648", "'certificateKeyUsages'", 24,
                 set_path=MADCS)
        self.bad("certificateKeyUsages eq 5.5", "'5.5'", 24, set_path=MADCS)
        self.bad("startDateTime eq 2024-13-01T00:00:00Z", "'2024-13-01T00:00:00Z'", 17)
        self.bad("startDateTime eq 2024-01-01", "'2024-01-01'", 17)
        self.bad("userId eq 1000000-0000-0000-0000-000000000001", "Guid", 10, set_path=PFXU)
        self.bad("certificateKeyUsages gt null", "null", 24, set_path=MADCS)
        self.bad("userPrincipalName%20eq%20'%FF'", "UTF-8", 21, encoded=False)

    def test_syntax_errors_with_position(self):
        cases = [
            ("userPrincipalName eq", "end of the expression", 20),
            ("userPrincipalName xx 'a'", "'xx'", 18),
            ("userPrincipalName eq 'a' and", "end of the expression", 28),
            ("(userPrincipalName eq 'a'", "')'", 25),
            ("userPrincipalName eq 'a')", "')'", 24),
            ("userPrincipalName eq 'abc", "Unterminated string", 21),
            ("startswith(userPrincipalName 'a')", "','", 29),
            ("startswith(userPrincipalName,'a'", "')'", 32),
            ("userPrincipalName eq 'a' ; x", "';'", 25),
            ("userPrincipalName eq @x", "'@'", 21),
            ("userPrincipalName eq 'a' and or", "'or'", 29),
            ("length(userPrincipalName) eq 1", "'length'", 0),
            ("userPrincipalName eq keyName", "properties", 21),
            ("'a' eq 'b'", "property", 4),
            ("userPrincipalName in ()", "')'", 22),
            ("userPrincipalName in ('a' 'b')", "','", 26),
            ("userPrincipalName in (keyName)", "literals", 22),
            ("startswith('a', userPrincipalName)", "property", 11),
            ("startswith(userPrincipalName, keyName)", "string literal", 30),
            ("startswith(intendedPurpose,'v')", "'intendedPurpose'", 11),
            ("tolower(intendedPurpose) eq 'vpn'", "'intendedPurpose'", 8),
            ("userPrincipalName", "comparison operator", 17),
            ("userPrincipalName eq 'a' eq 'b'", "'eq'", 25),
            ("any(x: x eq 1)", "'any'", 0),
        ]
        for f, culprit, pos in cases:
            with self.subTest(filter=f):
                self.bad(f, culprit, pos)

    def test_empty_filter(self):
        r = self.t.get(UPFX + "?$filter=%20%20")
        msg = self.assertGraphError(r, 400, "BadRequest")
        self.assertIn("$filter", msg)
        self.assertIn("empty", msg)
        r = self.t.get(UPFX + "?$filter=")
        self.assertIn("$filter", self.assertGraphError(r, 400, "BadRequest"))

    def test_too_long(self):
        head = "userPrincipalName eq '"
        ok = head + "x" * (4096 - len(head) - 1) + "'"
        self.assertEqual(len(ok), 4096)
        self.assertEqual(self.find(ok), set())
        long = head + "x" * (4097 - len(head) - 1) + "'"
        msg = self.bad(long, "4096")
        self.assertIn("$filter", msg)

    def test_too_deep(self):
        """Nesting up to 64 levels is answered (by parentheses, not, or function calls); 65 is
        a 400 at the token that goes one level too deep."""
        ok = [("(" * 64 + "isDeleted" + ")" * 64, {"x2", "x4"}),
              ("not " * 64 + "isDeleted", {"x2", "x4"}),
              ("not " * 63 + "isDeleted", {"x1", "x3"}),
              ("not (" * 32 + "isDeleted" + ")" * 32, {"x2", "x4"}),
              ("tolower(" * 64 + "userUpn" + ")" * 64 + " eq 'x1@contoso.com'", {"x1"}),
              ("startswith(" + "toupper(" * 63 + "userUpn" + ")" * 63 + ",'X3')", {"x3"})]
        for f, want in ok:
            with self.subTest(filter=f[:24] + "...", length=len(f)):
                self.assertEqual(self.find(f, PFXU), want)
        bad = [("(" * 65 + "isDeleted" + ")" * 65, 64),
               ("not " * 65 + "isDeleted", 4 * 64),
               ("not (" * 33 + "isDeleted" + ")" * 33, 5 * 32),
               ("tolower(" * 65 + "userUpn" + ")" * 65 + " eq 'a'", 8 * 64)]
        for f, pos in bad:
            with self.subTest(filter=f[:24] + "...", length=len(f)):
                self.bad(f, "64", pos, set_path=PFXU)

    def test_too_many_nodes(self):
        f = "userPrincipalName in (%s)" % ", ".join("'u%d'" % i for i in range(300))
        msg = self.bad(f, "256")
        self.assertIn("nodes", msg)
        f = " or ".join("userPrincipalName eq 'u%d'" % i for i in range(100))
        self.bad(f, "256")

    # ---- tenants

    def test_other_tenant_sees_nothing(self):
        other = self.srv.tenant()
        for sp, f in ((UPFX, "userPrincipalName eq 'alice@contoso.com'"),
                      (UPFX, "startswith(userPrincipalName,'')"),
                      (UPFX, "intendedPurpose ne 'vpn' or intendedPurpose eq 'vpn'"),
                      (MADCS, "certificateKeyUsages eq 5"),
                      (MADCS, "certificateKeyUsages eq null"),
                      (PFXU, "tenantId eq %s" % TA),
                      (PFXU, "isDeleted or not isDeleted"),
                      (ECSC, "status eq 'provisioned'")):
            with self.subTest(set=sp, filter=f):
                self.assertEqual(self.find(f, sp, tenant=other), set())
                self.assertCount(other.get(sp + "/$count?$filter=" + enc(f)), 0)
        # the other tenant's own row with the same UPN is the only one it finds
        mine = other.create(UPFX, upfx_body("alice@contoso.com"))
        self.assertNotEqual(mine["id"], self.upfx["a"]["id"])
        r = other.get(UPFX + "?$filter=" + enc("userPrincipalName eq 'alice@contoso.com'"))
        self.assertEqual([e["id"] for e in self.assertCollection(r, UPFX, self.base)], [mine["id"]])
        self.assertCount(other.get(UPFX + "/$count?$filter=" + enc("startswith(userPrincipalName,'')")), 1)
        self.assertEqual(self.find("userPrincipalName eq 'alice@contoso.com'"), {"a"})


if __name__ == "__main__":
    gctest.main()
