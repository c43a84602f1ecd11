"""Tenant isolation (contract section 4): no request reads, counts, changes or learns of another
tenant's records; another tenant's id answers exactly like a missing one."""
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import ECSC, ECSC_V1, MADCS, PFXU, UPFX, ALL_SETS, key_forms, new_thumbprint, upfx_body, user_pfx_id  # noqa: E402

PATCHES = {UPFX: {"keyName": "hijacked"}, MADCS: {"managedDeviceDisplayName": "hijacked"},
           ECSC: {"subjectName": "hijacked"}, ECSC_V1: {"subjectName": "hijacked"},
           PFXU: {"userUpn": "hijacked"}}


class Tenancy(gctest.ServerTest):

    def setUp(self):
        self.a = self.srv.tenant()
        self.b = self.srv.tenant()

    def test_cross_tenant_access_is_404(self):
        for sp in ALL_SETS:
            with self.subTest(set=sp):
                e = self.a.create(sp)
                path = sp + "/" + e["id"]
                for p in key_forms(sp, e["id"]):
                    self.assertGraphError(self.b.get(p), 404, "ResourceNotFound")
                self.assertGraphError(self.b.patch(path, PATCHES[sp]), 404, "ResourceNotFound")
                self.assertGraphError(self.b.patch(path, PATCHES[sp], headers={"If-Match": "*"}),
                                      404, "ResourceNotFound")
                self.assertGraphError(self.b.delete(path), 404, "ResourceNotFound")
                self.assertGraphError(self.b.delete(path, headers={"If-Match": "*"}), 404, "ResourceNotFound")
                r = self.b.get(path, headers={"If-None-Match": self.a.get(path).header("ETag")})
                self.assertGraphError(r, 404, "ResourceNotFound")
                # A's record is untouched.
                self.assertEqual(self.a.get(path).json(), e)

    def test_404_for_foreign_id_looks_like_missing_id(self):
        e = self.a.create(ECSC)
        missing = str(uuid.uuid4())
        foreign = self.b.get(ECSC + "/" + e["id"]).json()["error"]
        absent = self.b.get(ECSC + "/" + missing).json()["error"]
        self.assertEqual(foreign["code"], absent["code"])
        self.assertEqual(foreign["message"].replace(e["id"], "ID"), absent["message"].replace(missing, "ID"))

    def test_lists_and_counts_are_per_tenant(self):
        made = {sp: [self.a.create(sp)["id"] for _ in range(3)] for sp in (UPFX, MADCS, ECSC, PFXU)}
        b_ecsc = self.b.create(ECSC)["id"]
        for sp in (UPFX, MADCS, PFXU):
            with self.subTest(set=sp):
                self.assertEqual(self.assertCollection(self.b.get(sp), sp, self.base), [])
                self.assertCount(self.b.get(sp + "/$count"), 0)
                self.assertEqual(sorted(i["id"] for i in self.assertCollection(self.a.get(sp), sp, self.base)),
                                 sorted(made[sp]))
                self.assertCount(self.a.get(sp + "/$count"), 3)
        for sp in (ECSC, ECSC_V1):
            self.assertEqual([i["id"] for i in self.assertCollection(self.b.get(sp), sp, self.base)], [b_ecsc])
            self.assertCount(self.b.get(sp + "/$count"), 1)
            self.assertCount(self.a.get(sp + "/$count"), 3)

    def test_same_user_and_thumbprint_in_two_tenants(self):
        upn, thumb = "shared.user@contoso.example", new_thumbprint()
        ra = self.a.post(UPFX, upfx_body(upn=upn, thumbprint=thumb))
        rb = self.b.post(UPFX, upfx_body(upn=upn, thumbprint=thumb))
        self.assertEqual((ra.status, rb.status), (201, 201), (ra, rb))
        ea, eb = ra.json(), rb.json()
        self.assertEqual(ea["id"], user_pfx_id(self.a.id, upn, thumb))
        self.assertEqual(eb["id"], user_pfx_id(self.b.id, upn, thumb))
        self.assertNotEqual(ea["id"], eb["id"])
        self.assertCount(self.a.get(UPFX + "/$count"), 1)
        self.assertCount(self.b.get(UPFX + "/$count"), 1)
        # Deleting in one tenant leaves the other's.
        self.assertEqual(self.a.delete(UPFX + "/" + ea["id"]).status, 204)
        self.assertEqual(self.b.get(UPFX + "/" + eb["id"]).json(), eb)
        # And a duplicate is still a duplicate only within a tenant.
        self.assertGraphError(self.b.post(UPFX, upfx_body(upn=upn, thumbprint=thumb)), 409, "Conflict")
        self.assertEqual(self.a.post(UPFX, upfx_body(upn=upn, thumbprint=thumb)).status, 201)

    def test_tenant_is_case_insensitive_guid(self):
        e = self.a.create(ECSC)
        upper = gctest.Tenant(self.srv, self.a.id.upper())
        self.assertEqual(upper.get(ECSC + "/" + e["id"]).json(), e)
        self.assertCount(upper.get(ECSC + "/$count"), 1)

    def test_guessed_foreign_user_pfx_id_is_404(self):
        # userPFXCertificate ids are guessable from tenant, UPN and thumbprint; B knows them all.
        upn, thumb = "victim@contoso.example", new_thumbprint()
        e = self.a.create(UPFX, upfx_body(upn=upn, thumbprint=thumb))
        self.assertGraphError(self.b.get(UPFX + "/" + user_pfx_id(self.a.id, upn, thumb)), 404,
                              "ResourceNotFound")
        self.assertGraphError(self.b.get(UPFX + "/" + e["id"]), 404, "ResourceNotFound")


if __name__ == "__main__":
    gctest.main()
