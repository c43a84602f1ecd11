"""The user lookup the PFX import tool makes (contract 1.1 and 3): GET /beta/users?$filter=
userPrincipalName eq '...' answers the name-based UUID (v5) of the lower-cased UPN in the tenant's
namespace, and a userPFXCertificate made for that UPN has the id the tool builds from it. Also
the permissions that may read it and the filters it refuses."""
import os
import sys
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import DMA_READ, DMA_RW, DMC_READ, DMC_RW, UPFX, new_thumbprint, upfx_body  # noqa: E402

USERS = "/beta/users"


def enc(v):
    return urllib.parse.quote(v, safe="")


def uid(tenant, upn):
    return str(uuid.uuid5(uuid.UUID(tenant), upn.lower()))


class Users(gctest.ServerTest):

    def lookup(self, t, flt, path=USERS):
        r = t.get(path + "?$filter=" + enc(flt))
        self.assertEqual(r.status, 200, r)
        self.assertJsonCT(r)
        self.assertStdHeaders(r)
        body = r.json()
        self.assertEqual(list(body), ["@odata.context", "value"])
        self.assertEqual(body["@odata.context"], self.base + "/beta/$metadata#users(id,userPrincipalName)")
        return body["value"]

    def test_lookup_by_upn(self):
        t = self.srv.tenant()
        want = uid(t.id, "alice@contoso.com")
        self.assertEqual(want, str(uuid.uuid5(uuid.UUID(t.id), "alice@contoso.com")))
        self.assertEqual(self.lookup(t, "userPrincipalName eq 'Alice@Contoso.com'"),
                         [{"id": want, "userPrincipalName": "Alice@Contoso.com"}])
        self.assertEqual(self.lookup(t, "userPrincipalName eq 'alice@contoso.com'"),
                         [{"id": want, "userPrincipalName": "alice@contoso.com"}])
        self.assertEqual(self.lookup(t, "userPrincipalName eq 'ALICE@CONTOSO.COM'")[0]["id"], want)
        # stable: the same answer again
        self.assertEqual(self.lookup(t, "userPrincipalName eq 'Alice@Contoso.com'")[0]["id"], want)
        # a quote doubled in the literal
        self.assertEqual(self.lookup(t, "userPrincipalName eq 'o''neil@contoso.com'"),
                         [{"id": uid(t.id, "o'neil@contoso.com"), "userPrincipalName": "o'neil@contoso.com"}])
        # the $ is optional on beta
        r = t.get(USERS + "?filter=" + enc("userPrincipalName eq 'Alice@Contoso.com'"))
        self.assertEqual(r.json()["value"], [{"id": want, "userPrincipalName": "Alice@Contoso.com"}])
        # unencoded, as the import tool sends it
        r = t.raw_get(USERS + "?$filter=userPrincipalName eq 'Alice@Contoso.com'")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["value"], [{"id": want, "userPrincipalName": "Alice@Contoso.com"}])

    def test_several_upns_with_in(self):
        t = self.srv.tenant()
        got = self.lookup(t, "userPrincipalName in ('a@contoso.com', 'B@Fabrikam.com')")
        self.assertEqual(got, [{"id": uid(t.id, "a@contoso.com"), "userPrincipalName": "a@contoso.com"},
                               {"id": uid(t.id, "b@fabrikam.com"), "userPrincipalName": "B@Fabrikam.com"}])

    def test_ids_differ_per_tenant(self):
        a, b = self.srv.tenant(), self.srv.tenant()
        ia = self.lookup(a, "userPrincipalName eq 'alice@contoso.com'")[0]["id"]
        ib = self.lookup(b, "userPrincipalName eq 'alice@contoso.com'")[0]["id"]
        self.assertNotEqual(ia, ib)
        self.assertEqual(ib, uid(b.id, "alice@contoso.com"))

    def test_certificate_id_built_from_the_lookup(self):
        """The import tool builds '{user id without dashes}-{thumbprint}' and addresses it."""
        t = self.srv.tenant()
        user = self.lookup(t, "userPrincipalName eq 'Alice@Contoso.com'")[0]
        thumb = new_thumbprint(upper=True)
        built = uuid.UUID(user["id"]).hex + "-" + thumb.lower()
        self.assertEqual(built, user["id"].replace("-", "") + "-" + thumb.lower())
        made = t.create(UPFX, upfx_body("alice@contoso.com", thumbprint=thumb))
        self.assertEqual(made["id"], built)
        self.assertEqual(made["userPrincipalName"], "alice@contoso.com")
        r = t.get(UPFX + "/" + built)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["id"], built)
        # another spelling of the same UPN is the same user: same id, so a conflict
        r = t.post(UPFX, upfx_body("ALICE@Contoso.com", thumbprint=thumb))
        self.assertGraphError(r, 409, "Conflict")
        # the tool's own lookup of the certificate, unencoded
        r = t.raw_get(UPFX + "?$filter=tolower(userPrincipalName) eq 'alice@contoso.com' and "
                             "tolower(thumbprint) eq '%s'" % thumb.lower())
        self.assertEqual([e["id"] for e in r.json()["value"]], [built])
        # in another tenant, the same UPN and thumbprint make another id
        other = self.srv.tenant()
        made2 = other.create(UPFX, upfx_body("alice@contoso.com", thumbprint=thumb))
        self.assertEqual(made2["id"], uuid.UUID(uid(other.id, "alice@contoso.com")).hex + "-" + thumb.lower())
        self.assertNotEqual(made2["id"], built)

    def test_permissions(self):
        flt = "?$filter=" + enc("userPrincipalName eq 'a@contoso.com'")
        for scopes in ("User.Read.All", "User.ReadBasic.All", "Directory.Read.All", DMC_READ, DMC_RW,
                       "openid " + DMC_READ + " profile"):
            with self.subTest(scopes=scopes):
                t = self.srv.tenant(scopes=scopes)
                r = t.get(USERS + flt)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json()["value"][0]["id"], uid(t.id, "a@contoso.com"))
        for roles in (["User.Read.All"], ["Directory.Read.All"], [DMC_RW]):
            with self.subTest(roles=roles):
                t = self.srv.tenant(roles=roles)
                self.assertEqual(t.get(USERS + flt).status, 200)
        for scopes in (DMA_RW, DMA_READ, "", "User.Read", "user.read.all.extra"):
            with self.subTest(scopes=scopes):
                t = self.srv.tenant(scopes=scopes)
                msg = self.assertGraphError(t.get(USERS + flt), 403, "Forbidden")
                self.assertTrue(msg.startswith("Application must have one of the following scopes: "), msg)
                for p in ("User.Read.All", "User.ReadBasic.All", "Directory.Read.All", DMC_READ, DMC_RW):
                    self.assertIn(p, msg)
        t = self.srv.tenant(roles=[])
        self.assertGraphError(t.get(USERS + flt), 403, "Forbidden")
        self.assertGraphError(self.srv.request("GET", USERS + flt), 401, "InvalidAuthenticationToken")
        # reading users does not read certificates
        t = self.srv.tenant(scopes="User.Read.All")
        self.assertGraphError(t.get(UPFX), 403, "Forbidden")

    def test_unsupported_filters(self):
        t = self.srv.tenant()
        r = t.get(USERS)
        self.assertGraphError(r, 400, "BadRequest", contains="userPrincipalName")
        cases = [
            "id eq 'abc'",
            "id eq '%s'" % uid(t.id, "a@contoso.com"),
            "userPrincipalName ne 'a@contoso.com'",
            "userPrincipalName gt 'a'",
            "startswith(userPrincipalName,'a')",
            "endswith(userPrincipalName,'@contoso.com')",
            "contains(userPrincipalName,'a')",
            "userPrincipalName eq 'a@x.com' or userPrincipalName eq 'b@x.com'",
            "userPrincipalName eq 'a@x.com' and userPrincipalName eq 'a@x.com'",
            "not (userPrincipalName eq 'a@x.com')",
            "userPrincipalName eq null",
            "'a@x.com' eq userPrincipalName and id eq 'x'",
        ]
        for f in cases:
            with self.subTest(filter=f):
                r = t.get(USERS + "?$filter=" + enc(f))
                self.assertGraphError(r, 400, "BadRequest", contains="userPrincipalName")
        for f, culprit in (("displayName eq 'x'", "'displayName'"),
                           ("userPrincipalName eq 5", "'userPrincipalName'"),
                           ("userPrincipalName eq", "position 20")):
            with self.subTest(filter=f):
                r = t.get(USERS + "?$filter=" + enc(f))
                self.assertGraphError(r, 400, "BadRequest", contains=culprit)
        self.assertGraphError(t.get(USERS + "?$search=alice"), 400, "BadRequest", contains="$search")
        self.assertGraphError(t.get(USERS + "?$foo=1"), 400, "BadRequest", contains="$foo")
        r = t.post(USERS, {"userPrincipalName": "a@x.com"})
        self.assertGraphError(r, 405, "MethodNotAllowed")


if __name__ == "__main__":
    gctest.main()
