"""$select, $orderby, $top, $skip, $count and /$count end to end (contract section 3): context
URLs, the properties each entity carries, sort order with several keys in both directions
(nulls, enums by value, dates by instant, the id tiebreak), the option forms without '$' on beta
and their being ignored on v1.0, and every 400 for a bad option with the culprit named."""
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import ECSC_V1, MADCS, UPFX, query_params, upfx_body  # noqa: E402

MADCS_CTX = "/beta/$metadata#deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates"
UPFX_CTX = "/beta/$metadata#deviceManagement/userPfxCertificates"

# (managedDeviceDisplayName, certificateKeyUsages, certificateRevokeStatus); ties on purpose
ROWS = [
    ("dev-b", 5, "none"), ("dev-a", 5, "revoked"), ("dev-a", 5, "pending"), ("dev-c", None, "issued"),
    ("dev-a", None, "none"), ("dev-b", 1, "failed"), ("dev-a", 1, "none"), ("dev-b", 5, "none"),
    ("dev-b", 5, "none"), (None, 3, "pending"), (None, None, "none"), ("Dev-Z", 3, "revoked"),
]
STATUS_VALUE = {"none": 0, "pending": 1, "issued": 2, "failed": 3, "revoked": 4}
NAME, KU, STATUS = "managedDeviceDisplayName", "certificateKeyUsages", "certificateRevokeStatus"

# userPFXCertificate (startDateTime, intendedPurpose): instants differ from the text order
UPFX_ROWS = [("2024-01-01T05:00:00+06:00", "wifi"),          # u0: 2023-12-31T23:00Z
             ("2024-01-01T00:00:00Z", "unassigned"),         # u1
             ("2023-12-31T20:00:00-05:00", "smimeSigning"),  # u2: 2024-01-01T01:00Z
             ("2024-01-01T00:00:00.0000001Z", "vpn"),        # u3
             ("2023-12-31T23:30:00Z", "smimeEncryption")]    # u4


def sort_rows(rows, keys):
    """rows (dicts) in the order $orderby=keys gives: each key ascending with nulls first or
    descending with nulls last, then id ascending."""
    out = sorted(rows, key=lambda r: r["id"])
    for prop, desc in reversed(keys):
        def k(r, prop=prop):
            v = r.get(prop)
            if prop == STATUS:
                v = STATUS_VALUE[v]
            return (v is not None, v if v is not None else 0)
        out.sort(key=k, reverse=desc)
    return [r["id"] for r in out]


def enc(v):
    return urllib.parse.quote(v, safe="")


class Options(gctest.ServerTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        t = cls.t = cls.srv.tenant()
        bodies = []
        for name, ku, status in ROWS:
            b = {NAME: name, STATUS: status}
            if ku is not None:
                b[KU] = ku
            bodies.append(b)
        cls.rows = t.create_many(MADCS, bodies)
        cls.upfx = t.create_many(UPFX, [upfx_body(startDateTime=s, intendedPurpose=p)
                                        for s, p in UPFX_ROWS])

    def ids(self, query, set_path=MADCS, next_link=None):
        r = self.t.get(set_path + query)
        self.assertEqual(r.status, 200, r)
        body = r.json()
        if next_link is not None:
            self.assertEqual("@odata.nextLink" in body, next_link, body.keys())
        return [e["id"] for e in body["value"]]

    # ---- $orderby

    def test_orderby_several_keys(self):
        cases = [
            [(NAME, False)],
            [(NAME, True)],
            [(KU, True), (NAME, False)],
            [(STATUS, True), (KU, False)],
            [(STATUS, False), (NAME, True), (KU, True)],
            [(STATUS, True), ("id", True)],
            [("id", True)],
            [(KU, False)],
        ]
        for keys in cases:
            ob = ",".join(p + (" desc" if d else "") for p, d in keys)
            with self.subTest(orderby=ob):
                self.assertEqual(self.ids("?$orderby=" + enc(ob), next_link=False),
                                 sort_rows(self.rows, keys))
        # spelled with explicit asc, blanks after commas, any case
        self.assertEqual(self.ids("?$orderby=" + enc("certificateRevokeStatus asc, certificateKeyUsages DESC")),
                         sort_rows(self.rows, [(STATUS, False), (KU, True)]))
        self.assertEqual(self.ids("?$orderby=" + enc("MANAGEDDEVICEDISPLAYNAME Desc")),
                         sort_rows(self.rows, [(NAME, True)]))

    def test_orderby_id_tiebreak(self):
        """Three rows are equal in every key but id: they come in ascending id order."""
        tied = sorted(r["id"] for r in self.rows if (r[NAME], r.get(KU), r[STATUS]) == ("dev-b", 5, "none"))
        self.assertEqual(len(tied), 3)
        for ob in ("managedDeviceDisplayName,certificateKeyUsages,certificateRevokeStatus",
                   "managedDeviceDisplayName desc,certificateKeyUsages desc,certificateRevokeStatus desc"):
            with self.subTest(orderby=ob):
                got = [i for i in self.ids("?$orderby=" + enc(ob)) if i in tied]
                self.assertEqual(got, tied)

    def test_orderby_enum_by_value_and_date_by_instant(self):
        u = [e["id"] for e in self.upfx]
        self.assertEqual(self.ids("?$orderby=startDateTime", UPFX), [u[0], u[4], u[1], u[3], u[2]])
        self.assertEqual(self.ids("?$orderby=startDateTime%20desc", UPFX), [u[2], u[3], u[1], u[4], u[0]])
        self.assertEqual(self.ids("?$orderby=intendedPurpose", UPFX), [u[1], u[4], u[2], u[3], u[0]])
        self.assertEqual(self.ids("?$orderby=intendedPurpose%20desc", UPFX), [u[0], u[3], u[2], u[4], u[1]])
        # the dates come back as given
        r = self.t.get(UPFX + "?$orderby=startDateTime&$select=startDateTime")
        self.assertEqual([e["startDateTime"] for e in r.json()["value"]],
                         [UPFX_ROWS[i][0] for i in (0, 4, 1, 3, 2)])

    # ---- $top, $skip

    def test_top_and_skip(self):
        ob = "?$orderby=" + enc("managedDeviceDisplayName,certificateKeyUsages desc")
        e = sort_rows(self.rows, [(NAME, False), (KU, True)])
        self.assertEqual(self.ids(ob + "&$top=3", next_link=True), e[:3])
        self.assertEqual(self.ids(ob + "&$top=1", next_link=True), e[:1])
        self.assertEqual(self.ids(ob + "&$skip=2&$top=3", next_link=True), e[2:5])
        self.assertEqual(self.ids(ob + "&$top=3&$skip=2", next_link=True), e[2:5])
        self.assertEqual(self.ids(ob + "&$skip=11", next_link=False), e[11:])
        self.assertEqual(self.ids(ob + "&$skip=0", next_link=False), e)
        self.assertEqual(self.ids(ob + "&$skip=12", next_link=False), [])
        self.assertEqual(self.ids(ob + "&$skip=100", next_link=False), [])
        self.assertEqual(self.ids(ob + "&$top=11", next_link=True), e[:11])
        self.assertEqual(self.ids(ob + "&$top=12", next_link=False), e)
        self.assertEqual(self.ids(ob + "&$top=13", next_link=False), e)
        self.assertEqual(self.ids(ob + "&$top=2147483647", next_link=False), e)
        self.assertEqual(self.ids(ob + "&$skip=2147483647", next_link=False), [])
        # the next page after $skip=2&$top=3 continues at the sixth row, with pages of 3
        r = self.t.get(MADCS + ob + "&$skip=2&$top=3")
        link = r.json()["@odata.nextLink"]
        self.assertNotIn("$skip", query_params(link))
        self.assertEqual(query_params(link)["$top"], "3")
        self.assertEqual(self.ids("?" + link.split("?", 1)[1], next_link=True), e[5:8])
        # without $orderby: ascending id
        self.assertEqual(self.ids("?$top=4&$skip=1"), sorted(r["id"] for r in self.rows)[1:5])

    # ---- $count

    def test_count_true(self):
        r = self.t.get(MADCS + "?$count=true")
        body = r.json()
        self.assertEqual(list(body), ["@odata.context", "@odata.count", "value"])
        self.assertEqual(body["@odata.count"], len(ROWS))
        self.assertIsInstance(body["@odata.count"], int)
        none = [r["id"] for r in self.rows if r[STATUS] == "none"]
        self.assertEqual(len(none), 6)
        r = self.t.get(MADCS + "?$filter=" + enc("certificateRevokeStatus eq 'none'") +
                       "&$count=true&$top=2&$orderby=id")
        body = r.json()
        self.assertEqual(list(body), ["@odata.context", "@odata.count", "@odata.nextLink", "value"])
        self.assertEqual(body["@odata.count"], 6)
        self.assertEqual([e["id"] for e in body["value"]], sorted(none)[:2])
        self.assertEqual(query_params(body["@odata.nextLink"])["$count"], "true")
        # the next page repeats the count
        nxt = self.t.get(gctest.local_target(body["@odata.nextLink"])).json()
        self.assertEqual(nxt["@odata.count"], 6)
        self.assertEqual([e["id"] for e in nxt["value"]], sorted(none)[2:4])
        # a filter matching nothing
        body = self.t.get(MADCS + "?$count=true&$filter=" + enc("certificateKeyUsages eq 99")).json()
        self.assertEqual(body["@odata.count"], 0)
        self.assertEqual(body["value"], [])
        # $count=false: no count
        body = self.t.get(MADCS + "?$count=false").json()
        self.assertEqual(list(body), ["@odata.context", "value"])

    def test_slash_count(self):
        self.assertCount(self.t.get(MADCS + "/$count"), len(ROWS))
        five = len([r for r in ROWS if r[1] == 5])
        self.assertEqual(five, 5)
        self.assertCount(self.t.get(MADCS + "/$count?$filter=" + enc("certificateKeyUsages eq 5")), five)
        self.assertCount(self.t.get(MADCS + "/$count?$filter=" + enc("certificateKeyUsages eq null")), 3)
        self.assertCount(self.t.get(MADCS + "/$count?filter=" + enc("certificateKeyUsages eq 5")), five)
        # $top, $skip and $orderby do not change a count (OData 4.01 part 1, 11.2.10)
        self.assertCount(self.t.get(MADCS + "/$count?$top=1&$skip=3&$orderby=id"), len(ROWS))
        self.assertCount(self.t.get(UPFX + "/$count"), len(UPFX_ROWS))

    # ---- $select

    def test_select_collection(self):
        r = self.t.get(MADCS + "?$select=managedDeviceDisplayName,certificateKeyUsages")
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(body["@odata.context"],
                         self.base + MADCS_CTX + "(managedDeviceDisplayName,certificateKeyUsages)")
        by_id = {e["id"]: e for e in self.rows}
        self.assertEqual(len(body["value"]), len(ROWS))
        for e in body["value"]:
            self.assertEqual(e.pop("@odata.type", "#microsoft.graph.managedAllDeviceCertificateState"),
                             "#microsoft.graph.managedAllDeviceCertificateState")
            self.assertEqual(set(e), {"id", NAME, KU})
            self.assertEqual(e[NAME], by_id[e["id"]][NAME])
            self.assertEqual(e[KU], by_id[e["id"]].get(KU))
        # the client's order, duplicates dropped, names in their schema spelling
        r = self.t.get(MADCS + "?$select=CertificateKeyUsages,managedDeviceDisplayName,certificateKeyUsages")
        self.assertEqual(r.json()["@odata.context"],
                         self.base + MADCS_CTX + "(certificateKeyUsages,managedDeviceDisplayName)")
        r = self.t.get(MADCS + "?$select=id")
        body = r.json()
        self.assertEqual(body["@odata.context"], self.base + MADCS_CTX + "(id)")
        self.assertEqual({frozenset(k for k in e if k != "@odata.type") for e in body["value"]},
                         {frozenset({"id"})})

    def test_select_with_other_options(self):
        q = ("?$select=certificateRevokeStatus&$orderby=" + enc("managedDeviceDisplayName desc") +
             "&$filter=" + enc("certificateKeyUsages ge 3") + "&$top=2&$count=true")
        body = self.t.get(MADCS + q).json()
        want = sort_rows([r for r in self.rows if r.get(KU) is not None and r[KU] >= 3],
                         [(NAME, True)])
        self.assertEqual(body["@odata.context"], self.base + MADCS_CTX + "(certificateRevokeStatus)")
        self.assertEqual(body["@odata.count"], len(want))
        self.assertEqual([e["id"] for e in body["value"]], want[:2])
        self.assertEqual({k for e in body["value"] for k in e if k != "@odata.type"},
                         {"id", STATUS})
        nxt = self.t.get(gctest.local_target(body["@odata.nextLink"])).json()
        self.assertEqual(nxt["@odata.context"], self.base + MADCS_CTX + "(certificateRevokeStatus)")
        self.assertEqual([e["id"] for e in nxt["value"]], want[2:4])

    def test_select_single_entity_and_secrets(self):
        e = self.upfx[0]
        r = self.t.get(UPFX + "/" + e["id"] + "?$select=thumbprint,encryptedPfxBlob,encryptedPfxPassword")
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(body["@odata.context"],
                         self.base + UPFX_CTX + "(thumbprint,encryptedPfxBlob,encryptedPfxPassword)/$entity")
        self.assertEqual(body, {"@odata.context": body["@odata.context"],
                                "@odata.type": "#microsoft.graph.userPFXCertificate",
                                "id": e["id"], "thumbprint": e["thumbprint"],
                                "encryptedPfxBlob": "AA==", "encryptedPfxPassword": ""})
        # $select=* is every property
        r = self.t.get(UPFX + "?$select=*&$orderby=startDateTime&$top=1")
        item = r.json()["value"][0]
        item.pop("@odata.type", None)
        self.assertEqual(set(item), {k for k in e if not k.startswith("@")})

    # ---- forms without '$'

    def test_beta_options_without_dollar(self):
        flt = enc("certificateKeyUsages ge 1")
        ob = enc("managedDeviceDisplayName desc")
        a = self.t.get(MADCS + "?$filter=%s&$orderby=%s&$top=2&$skip=1&$count=true&$select=certificateKeyUsages"
                       % (flt, ob))
        b = self.t.get(MADCS + "?filter=%s&orderby=%s&top=2&skip=1&count=true&select=certificateKeyUsages"
                       % (flt, ob))
        c = self.t.get(MADCS + "?$FILTER=%s&$OrderBy=%s&$Top=2&SKIP=1&$Count=true&$SELECT=certificateKeyUsages"
                       % (flt, ob))
        self.assertEqual(a.status, 200, a)
        want = sort_rows([r for r in self.rows if r.get(KU) is not None and r[KU] >= 1], [(NAME, True)])
        body = a.json()
        self.assertEqual([e["id"] for e in body["value"]], want[1:3])
        self.assertEqual(body["@odata.count"], len(want))
        self.assertEqual(b.json(), body)
        self.assertEqual(c.json(), body)
        # the nextLink names the options canonically
        self.assertEqual(set(query_params(body["@odata.nextLink"])),
                         {"$filter", "$orderby", "$top", "$count", "$select", "$skiptoken"})
        # the '$' percent-encoded, as SDKs send it
        d = self.t.get(MADCS + "?%%24filter=%s&%%24orderby=%s&%%24top=2&%%24skip=1&%%24count=true"
                       "&%%24select=certificateKeyUsages" % (flt, ob))
        self.assertEqual(d.json(), body)
        # a custom option (no '$', not an option name) is ignored
        self.assertEqual(self.ids("?foo=bar&$top=2&x"), sorted(r["id"] for r in self.rows)[:2])

    def test_v1_ignores_options_without_dollar(self):
        t = self.srv.tenant()
        made = t.create_many(ECSC_V1, [{"subjectName": "CN=%d" % i} for i in range(3)])
        ids = sorted(e["id"] for e in made)
        r = t.get(ECSC_V1 + "?filter=bogus%20bogus&top=1&orderby=nope&select=nope&count=yes&skip=x"
                            "&search=x&expand=x&skiptoken=x")
        items = self.assertCollection(r, ECSC_V1, self.base)
        self.assertEqual(sorted(e["id"] for e in items), ids)
        self.assertEqual(set(items[0]) - {"@odata.type"},
                         {"id", "content", "status", "subjectName", "subject", "issuerName",
                          "issuer", "expirationDateTime", "uploadDateTime"})
        # with '$' they apply on v1.0 as well
        r = t.get(ECSC_V1 + "?$top=1&$count=true&$select=subjectName")
        body = r.json()
        self.assertEqual(body["@odata.context"],
                         self.base + "/v1.0/$metadata#deviceAppManagement/enterpriseCodeSigningCertificates(subjectName)")
        self.assertEqual(body["@odata.count"], 3)
        self.assertEqual([e["id"] for e in body["value"]], ids[:1])
        self.assertTrue(body["@odata.nextLink"].startswith(
            self.base + "/v1.0/deviceAppManagement/enterpriseCodeSigningCertificates?"), body)
        r = t.get(ECSC_V1 + "?$filter=" + enc("subjectName eq 'CN=1'"))
        self.assertEqual([e["subjectName"] for e in self.assertCollection(r, ECSC_V1, self.base)], ["CN=1"])
        self.assertGraphError(t.get(ECSC_V1 + "?$search=x"), 400, "BadRequest", contains="$search")

    # ---- errors

    def bad(self, query, contains, path=MADCS, message=None):
        r = self.t.get(path + query)
        return self.assertGraphError(r, 400, "BadRequest", message=message, contains=contains)

    def test_unsupported_options(self):
        self.bad("?$search=%22x%22", ["$search", "not supported"])
        self.bad("?search=x", ["$search", "not supported"])
        self.bad("?$expand=foo", ["$expand", "not supported"])
        self.bad("?expand=foo", ["$expand", "not supported"])
        self.bad("?$foo=1", [], message="The query option '$foo' is not supported.")
        self.bad("?$top=1&$whatever", ["$whatever"])
        for opt in ("$format=json", "$apply=x", "$compute=x", "$deltatoken=x", "$levels=2"):
            with self.subTest(opt=opt):
                self.bad("?" + opt, [opt.split("=")[0], "not supported"])
        self.bad("/$count?$search=x", ["$search"])
        self.bad("?$search=x", ["$search"], path=UPFX)

    def test_bad_top_skip_count(self):
        for opt, val in (("$top", "0"), ("$top", "-1"), ("$top", "abc"), ("$top", "2147483648"),
                         ("$top", "1.5"), ("$top", "+1"), ("$top", " 1"), ("$top", "99999999999"),
                         ("$skip", "-1"), ("$skip", "x"), ("$skip", "2147483648"),
                         ("$count", "yes"), ("$count", "1")):
            with self.subTest(opt=opt, val=val):
                self.bad("?%s=%s" % (opt, enc(val)), [opt, "'%s'" % val])
        for opt in ("$top", "$skip", "$count", "$filter", "$select", "$orderby", "$skiptoken"):
            with self.subTest(opt=opt, val=""):
                self.bad("?%s=" % opt, [opt])
        self.bad("?top=0", ["$top", "'0'"])

    def test_bad_select_and_orderby(self):
        self.bad("?$select=nosuch", [], message="Could not find a property named 'nosuch' on type "
                                                "'microsoft.graph.managedAllDeviceCertificateState'.")
        self.bad("?$select=managedDeviceDisplayName,nosuch", ["'nosuch'"])
        self.bad("?$select=managedDeviceDisplayName,", ["$select", "empty"])
        self.bad("?$select=,id", ["$select", "empty"])
        self.bad("?$select=thumbprint", ["'thumbprint'"])  # not a property of this type
        self.bad("?$orderby=nosuch", [], message="Could not find a property named 'nosuch' on type "
                                                 "'microsoft.graph.managedAllDeviceCertificateState'.")
        self.bad("?$orderby=nosuch%20desc", ["'nosuch'"])
        self.bad("?$orderby=managedDeviceDisplayName%20sideways", ["$orderby", "'sideways'"])
        self.bad("?$orderby=managedDeviceDisplayName%20desc%20asc", ["$orderby", "'desc asc'"])
        self.bad("?$orderby=managedDeviceDisplayName,", ["$orderby", "empty"])
        self.bad("?$orderby=id,id%20desc", ["$orderby", "'id'", "more than once"])
        self.bad("?$orderby=encryptedPfxBlob", ["$orderby", "'encryptedPfxBlob'"], path=UPFX)
        self.bad("?$orderby=encryptedPfxPassword%20desc", ["'encryptedPfxPassword'"], path=UPFX)
        nine = ",".join(["id", NAME, KU, STATUS, "certificateRevokeStatusLastChangeDateTime",
                         "userPrincipalName", "certificateExpirationDateTime",
                         "certificateIssuerName", "certificateThumbprint"])
        self.bad("?$orderby=" + nine, ["$orderby", "8"])
        eight = nine.rsplit(",", 1)[0]
        self.assertEqual(self.ids("?$orderby=" + eight), sorted(r["id"] for r in self.rows))

    def test_duplicate_options(self):
        self.bad("?$top=1&$top=1", ["$top", "more than once"])
        self.bad("?$top=1&$TOP=2", ["$top", "more than once"])
        self.bad("?$top=1&top=2", ["$top", "more than once"])
        self.bad("?select=id&$select=id", ["$select", "more than once"])
        f = enc("certificateKeyUsages eq 1")
        self.bad("?$filter=%s&$filter=%s" % (f, f), ["$filter", "more than once"])
        self.bad("?$orderby=id&$orderby=id", ["$orderby", "more than once"])
        self.bad("?$count=true&count=true", ["$count", "more than once"])
        self.bad("?$skip=1&$skip=1", ["$skip", "more than once"])
        self.bad("/$count?$filter=%s&filter=%s" % (f, f), ["$filter", "more than once"])

    def test_collection_options_on_one_entity(self):
        path = MADCS + "/" + self.rows[0]["id"]
        for q, opt in (("?$filter=" + enc("certificateKeyUsages eq 5"), "$filter"),
                       ("?$top=1", "$top"), ("?$skip=1", "$skip"), ("?$orderby=id", "$orderby"),
                       ("?$count=true", "$count")):
            with self.subTest(q=q):
                self.bad(q, [opt], path=path)
        r = self.t.get(path + "?$select=managedDeviceDisplayName")
        self.assertEqual(r.json(), {
            "@odata.context": self.base + MADCS_CTX + "(managedDeviceDisplayName)/$entity",
            "@odata.type": "#microsoft.graph.managedAllDeviceCertificateState",
            "id": self.rows[0]["id"], NAME: "dev-b"})

    def test_encoded_nul(self):
        self.bad("?$filter=certificateKeyUsages%20eq%200%00", ["NUL"])
        self.bad("?$sel%00ect=id", ["NUL"])


if __name__ == "__main__":
    gctest.main()
