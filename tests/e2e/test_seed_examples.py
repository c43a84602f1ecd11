"""The request examples of the five seed doc pages, sent byte for byte (copies in data/), and the
answers the pages show (contract: "their request examples are test data")."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import ECSC, ECSC_V1, MADCS, PFXU, UPFX, data_bytes, data_json  # noqa: E402

PFXU_SERVER_MANAGED = ("createdTime", "lastModifiedTime", "eTag")


class SeedExamples(gctest.ServerTest):

    def _check_pfxu(self, e, doc_response):
        self.assertGuid(e["id"])
        for k in PFXU_SERVER_MANAGED:
            self.assertIn(k, e)
            self.assertIsInstance(e[k], str, k)
        self.assertSameProps(e, doc_response, skip=PFXU_SERVER_MANAGED)
        self.assertEqual(set(e) - {"@odata.context", "id"}, set(doc_response))

    def test_pfx_user_certificate_create_and_update(self):
        t = self.srv.tenant()
        create = data_bytes("pfx_user_certificate_create_request.json")
        r = t.post(PFXU, create)
        e = self.assertEntity(r, 201, PFXU, self.base)
        self._check_pfxu(e, data_json("pfx_user_certificate_create_response.json"))
        self.assertIn(r.header("Location"), [self.base + k for k in gctest.key_forms(PFXU, e["id"])])
        self.assertEqual(self.assertEntity(t.get(PFXU + "/" + e["id"]), 200, PFXU, self.base), e)

        update = data_bytes("pfx_user_certificate_update_request.json")
        r = t.patch(PFXU + "/" + e["id"], update)
        u = self.assertEntity(r, 200, PFXU, self.base)
        self._check_pfxu(u, data_json("pfx_user_certificate_update_response.json"))
        self.assertEqual(u["id"], e["id"])
        self.assertEqual(self.assertEntity(t.get(PFXU + "/" + e["id"]), 200, PFXU, self.base), u)
        self.assertCount(t.get(PFXU + "/$count"), 1)

    def test_managed_all_device_certificate_state_update(self):
        t = self.srv.tenant()
        e = t.create(MADCS, {})
        r = t.patch(MADCS + "/" + e["id"], data_bytes("managed_all_device_certificate_state_update_request.json"))
        u = self.assertEntity(r, 200, MADCS, self.base)
        want = data_json("managed_all_device_certificate_state_update_response.json")
        self.assertSameProps(u, want, skip=("id",))
        self.assertEqual(set(u) - {"@odata.context"}, set(want))
        self.assertEqual(u["id"], e["id"])
        self.assertSameProps(u, data_json("managed_all_device_certificate_state_update_request.json"))
        self.assertEqual(self.assertEntity(t.get(MADCS + "/" + e["id"]), 200, MADCS, self.base), u)

    def test_enterprise_code_signing_certificate_update_v1(self):
        t = self.srv.tenant()
        e = t.create(ECSC_V1, {})
        r = t.patch(ECSC_V1 + "/" + e["id"], data_bytes("enterprise_code_signing_certificate_update_request.json"))
        u = self.assertEntity(r, 200, ECSC_V1, self.base)
        want = data_json("enterprise_code_signing_certificate_update_response.json")
        self.assertSameProps(u, want, skip=("id",))
        self.assertEqual(set(u) - {"@odata.context"}, set(want))
        self.assertEqual(u["id"], e["id"])
        self.assertEqual(u["content"], "Y29udGVudA==")
        self.assertEqual(self.assertEntity(t.get(ECSC_V1 + "/" + e["id"]), 200, ECSC_V1, self.base), u)
        self.assertEqual(t.get(ECSC + "/" + e["id"]).json()["content"], "Y29udGVudA==")

    def test_user_pfx_template_at_the_collection_is_405(self):
        # The page's request as written: PATCH on the collection, no key.
        t = self.srv.tenant()
        r = t.patch(UPFX, data_bytes("user_pfx_certificates_update_template_request.json"))
        self.assertGraphError(r, 405, "MethodNotAllowed")
        self.assertIsNotNone(r.header("Allow"))
        self.assertCount(t.get(UPFX + "/$count"), 0)

    def test_user_pfx_template_on_an_entity_is_400(self):
        t = self.srv.tenant()
        e = t.create(UPFX)
        r = t.patch(UPFX + "/" + e["id"], data_bytes("user_pfx_certificates_update_template_request.json"))
        msg = self.assertGraphError(r, 400, "BadRequest")
        invalid = ["thumbprint", "intendedPurpose", "startDateTime", "expirationDateTime", "paddingScheme"]
        self.assertTrue(any(p in msg for p in invalid), "message names no invalid property: %r" % msg)
        self.assertNotIn("@odata.type", msg)  # the internal namespace is an accepted alias
        self.assertEqual(self.assertEntity(t.get(UPFX + "/" + e["id"]), 200, UPFX, self.base), e)

    def test_data_files_are_the_doc_examples(self):
        # Guards against the copies drifting from what the pages send.
        self.assertEqual(len(data_bytes("pfx_user_certificate_create_request.json")), 770)
        self.assertEqual(len(data_bytes("managed_all_device_certificate_state_update_request.json")), 806)
        self.assertEqual(len(data_bytes("enterprise_code_signing_certificate_update_request.json")), 380)
        self.assertEqual(data_json("enterprise_code_signing_certificate_update_request.json")["content"],
                         "Y29udGVudA==")
        self.assertEqual(data_json("user_pfx_certificates_update_template_request.json")["@odata.type"],
                         "#microsoft.management.services.api.userPFXCertificate")


if __name__ == "__main__":
    gctest.main()
