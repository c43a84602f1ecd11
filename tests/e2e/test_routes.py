"""Routing: every entity set under its versions, the six operations, the three key forms, and
the answers for wrong paths, versions and methods (contract section 1 and 2)."""
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import ECSC, ECSC_V1, MADCS, PFXU, UPFX, ALL_SETS, key_forms, upfx_body  # noqa: E402

CREATE = {
    UPFX: lambda: upfx_body(),
    MADCS: lambda: {"managedDeviceDisplayName": "device-1"},
    ECSC: lambda: {"subjectName": "CN=first"},
    ECSC_V1: lambda: {"subjectName": "CN=first"},
    PFXU: lambda: {"userUpn": "a@contoso.example", "thumbprint": "t1"},
}
PATCH = {
    UPFX: ("providerName", "Other Key Storage Provider"),
    MADCS: ("managedDeviceDisplayName", "device-2"),
    ECSC: ("subjectName", "CN=second"),
    ECSC_V1: ("subjectName", "CN=second"),
    PFXU: ("userUpn", "b@contoso.example"),
}


def allowed(r):
    """The methods of the Allow header (HEAD, implied by GET, left out)."""
    return {m.strip() for m in (r.header("Allow") or "").split(",") if m.strip()} - {"HEAD"}


def missing_id(set_path):
    if set_path == UPFX:
        return uuid.uuid4().hex + "-" + "ab" * 20
    return str(uuid.uuid4())


class Routes(gctest.ServerTest):

    def test_healthz_without_auth(self):
        r = self.srv.request("GET", "/healthz")
        self.assertEqual(r.status, 200, r)

    def test_crud_cycle_every_set(self):
        for sp in ALL_SETS:
            with self.subTest(set=sp):
                self._crud_cycle(sp)

    def _crud_cycle(self, sp):
        t = self.srv.tenant()
        self.assertEqual(self.assertCollection(t.get(sp), sp, self.base), [])
        self.assertCount(t.get(sp + "/$count"), 0)

        r = t.post(sp, CREATE[sp]())
        created = self.assertEntity(r, 201, sp, self.base)
        eid = created["id"]
        self.assertIsInstance(eid, str)
        loc = r.header("Location")
        self.assertIn(loc, [self.base + k for k in key_forms(sp, eid)], "Location %r" % loc)

        # Location, and all three key forms, address the same entity.
        for path in key_forms(sp, eid):
            g = t.get(path)
            self.assertEqual(self.assertEntity(g, 200, sp, self.base), created, path)
        g = t.get(sp + "(%27" + eid + "%27)")  # percent-encoded quotes
        self.assertEqual(self.assertEntity(g, 200, sp, self.base), created)

        prop, value = PATCH[sp]
        for n, path in enumerate(key_forms(sp, eid)):
            r = t.patch(path, {prop: value + str(n)})
            updated = self.assertEntity(r, 200, sp, self.base)
            self.assertEqual(updated[prop], value + str(n))
            self.assertEqual(updated["id"], eid)
            # The whole entity comes back: the same properties as on create.
            self.assertEqual(set(updated.keys()), set(created.keys()))

        items = self.assertCollection(t.get(sp), sp, self.base)
        self.assertEqual([i["id"] for i in items], [eid])
        self.assertEqual(items[0][prop], value + "2")
        self.assertCount(t.get(sp + "/$count"), 1)

        r = t.delete(key_forms(sp, eid)[1])
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        self.assertStdHeaders(r)
        self.assertGraphError(t.get(sp + "/" + eid), 404, "ResourceNotFound")
        self.assertCount(t.get(sp + "/$count"), 0)
        self.assertGraphError(t.delete(sp + "/" + eid), 404, "ResourceNotFound")

    def test_delete_each_key_form(self):
        t = self.srv.tenant()
        for path_of in (lambda i: ECSC + "/" + i, lambda i: ECSC + "('" + i + "')",
                        lambda i: ECSC + "(" + i + ")"):
            eid = t.create(ECSC)["id"]
            r = t.delete(path_of(eid))
            self.assertEqual(r.status, 204, r)
            self.assertGraphError(t.get(ECSC + "/" + eid), 404, "ResourceNotFound")
        self.assertCount(t.get(ECSC + "/$count"), 0)

    def test_v1_and_beta_share_code_signing_set(self):
        t = self.srv.tenant()
        a = self.assertEntity(t.post(ECSC_V1, {"subjectName": "v1"}), 201, ECSC_V1, self.base)
        b = self.assertEntity(t.get(ECSC + "/" + a["id"]), 200, ECSC, self.base)
        self.assertEqual({k: v for k, v in a.items() if k != "@odata.context"},
                         {k: v for k, v in b.items() if k != "@odata.context"})
        self.assertCount(t.get(ECSC + "/$count"), 1)
        self.assertCount(t.get(ECSC_V1 + "/$count"), 1)

    def test_missing_id_is_404_for_every_operation(self):
        t = self.srv.tenant()
        for sp in ALL_SETS:
            with self.subTest(set=sp):
                mid = missing_id(sp)
                for path in key_forms(sp, mid):
                    self.assertGraphError(t.get(path), 404, "ResourceNotFound")
                prop, value = PATCH[sp]
                self.assertGraphError(t.patch(sp + "/" + mid, {prop: value}), 404, "ResourceNotFound")
                self.assertGraphError(t.delete(sp + "/" + mid), 404, "ResourceNotFound")
                self.assertCount(t.get(sp + "/$count"), 0)

    def test_patch_on_collection_is_405_with_allow(self):
        t = self.srv.tenant()
        for sp in ALL_SETS:
            with self.subTest(set=sp):
                prop, value = PATCH[sp]
                r = t.patch(sp, {prop: value})
                msg = self.assertGraphError(r, 405, "MethodNotAllowed")
                self.assertEqual(allowed(r), {"GET", "POST"}, r.headers)
                self.assertIn("id", msg)
                self.assertCount(t.get(sp + "/$count"), 0)

    def test_wrong_methods_are_405(self):
        t = self.srv.tenant()
        eid = t.create(ECSC)["id"]
        ent = ECSC + "/" + eid
        entity, collection, count = {"GET", "PATCH", "DELETE"}, {"GET", "POST"}, {"GET"}
        cases = [("PUT", ent, {"subjectName": "x"}, entity), ("POST", ent, {"subjectName": "x"}, entity),
                 ("PUT", ECSC + "('" + eid + "')", {"subjectName": "x"}, entity),
                 ("PUT", ECSC, {"subjectName": "x"}, collection), ("DELETE", ECSC, None, collection),
                 ("POST", ECSC + "/$count", {}, count), ("DELETE", ECSC + "/$count", None, count),
                 ("PATCH", ECSC + "/$count", {}, count)]
        for method, path, body, allow in cases:
            with self.subTest(method=method, path=path):
                r = t.req(method, path, body)
                self.assertGraphError(r, 405, "MethodNotAllowed")
                self.assertEqual(allowed(r), allow, r.headers)
        # Nothing was created, changed or deleted by those.
        self.assertCount(t.get(ECSC + "/$count"), 1)
        self.assertIsNone(self.assertEntity(t.get(ent), 200, ECSC, self.base)["subjectName"])

    def test_unknown_segment_is_400(self):
        t = self.srv.tenant()
        self.assertGraphError(t.get("/beta/deviceManagement/nope"), 400, "BadRequest",
                              message="Resource not found for the segment 'nope'.")
        self.assertGraphError(t.get("/beta/nope"), 400, "BadRequest",
                              message="Resource not found for the segment 'nope'.")
        self.assertGraphError(t.get("/beta/deviceAppManagement/userPfxCertificates"), 400,
                              "BadRequest",
                              message="Resource not found for the segment 'userPfxCertificates'.")
        self.assertGraphError(t.post("/beta/deviceManagement/nope", {}), 400, "BadRequest",
                              message="Resource not found for the segment 'nope'.")

    def test_client_bytes_that_are_not_utf8_still_get_an_envelope(self):
        # found by fuzz_request: a message quoting such bytes, or one cut inside a character,
        # made the error envelope unencodable, and the answer was a 500 with no body
        t = self.srv.tenant()
        self.assertGraphError(t.get("/beta/%FF%FE"), 400, "BadRequest",
                              message="Resource not found for the segment '??'.")
        self.assertGraphError(t.get("/%C3%A9%FF/x"), 404, "ResourceNotFound",
                              message="Unknown API version '\u00e9?': use /beta or /v1.0.")
        key = "a" + "\u00e9" * 100  # %.128s cuts the 64th character in two
        self.assertGraphError(t.post(UPFX, dict(upfx_body(), **{key: 1})), 400, "BadRequest",
                              message="The property '%s?' does not exist on type "
                                      "'microsoft.graph.userPFXCertificate'." % key[:64])
        self.assertCount(t.get(UPFX + "/$count"), 0)

    def test_unknown_version_is_404(self):
        t = self.srv.tenant()
        for path in ("/v2.0/deviceManagement/userPfxCertificates",
                     "/v2.0/deviceAppManagement/enterpriseCodeSigningCertificates",
                     "/alpha/pfxUserCertificates"):
            with self.subTest(path=path):
                self.assertGraphError(t.get(path), 404, "ResourceNotFound")

    def test_beta_only_sets_under_v1_are_400(self):
        t = self.srv.tenant()
        for path in ("/v1.0/deviceManagement/userPfxCertificates",
                     "/v1.0/deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates",
                     "/v1.0/pfxUserCertificates"):
            with self.subTest(path=path):
                self.assertGraphError(t.get(path), 400, "BadRequest")
                self.assertGraphError(t.post(path, upfx_body()), 400, "BadRequest")
        self.assertCount(t.get(UPFX + "/$count"), 0)
        self.assertCount(t.get(PFXU + "/$count"), 0)

    def test_odd_keys_never_match(self):
        t = self.srv.tenant()
        t.create(ECSC)
        for path in (ECSC + "('x''%20OR%20''1''=''1')", ECSC + "/x'%20OR%201=1--",
                     ECSC + "('%25')", ECSC + "/*", ECSC + "/" + "a" * 5000):
            with self.subTest(path=path[:90]):
                self.assertGraphError(t.get(path), 404, "ResourceNotFound")
        for path in (ECSC + "('')", ECSC + "()", ECSC + "('a'", ECSC + "(%27x%27%20OR%20%271%27=%271%27)"):
            with self.subTest(path=path):
                self.assertGraphError(t.get(path), 400, "BadRequest")
        self.assertCount(t.get(ECSC + "/$count"), 1)

    def test_patch_with_the_entity_as_read(self):
        # A client that GETs an entity and PATCHes it back whole (id, server-set and masked
        # properties included) gets 200 and the entity unchanged but for lastModified*.
        t = self.srv.tenant()
        for sp in ALL_SETS:
            with self.subTest(set=sp):
                e = t.create(sp, CREATE[sp]())
                read = t.get(sp + "/" + e["id"]).json()
                body = {k: v for k, v in read.items() if k != "@odata.context"}
                p = self.assertEntity(t.patch(sp + "/" + e["id"], body), 200, sp, self.base)
                for k in p:
                    if k not in ("lastModifiedDateTime", "lastModifiedTime", "eTag"):
                        self.assertEqual(p[k], read[k], k)

    def test_count_of_each_set(self):
        t = self.srv.tenant()
        for sp in ALL_SETS:
            t.create(sp, CREATE[sp]())
        self.assertCount(t.get(UPFX + "/$count"), 1)
        self.assertCount(t.get(MADCS + "/$count"), 1)
        self.assertCount(t.get(ECSC + "/$count"), 2)  # beta and v1.0 are one set
        self.assertCount(t.get(ECSC_V1 + "/$count"), 2)
        self.assertCount(t.get(PFXU + "/$count"), 1)


if __name__ == "__main__":
    gctest.main()
