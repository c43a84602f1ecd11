"""$metadata end to end (contract sections 1 and 3): well-formed CSDL for beta and v1.0 with every
entity type of the contract, every property with its EDM type and nullability, every enum with
every member and value, the containment navigation properties and the entity container; v1.0
holds only enterpriseCodeSigningCertificate. The expectations are written from the contract,
not read from the code."""
import os
import sys
import xml.dom.minidom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import ECSC, ECSC_V1, MADCS, PFXU, UPFX, upfx_body  # noqa: E402

EDMX_NS = "http://docs.oasis-open.org/odata/ns/edmx"
EDM_NS = "http://docs.oasis-open.org/odata/ns/edm"
S, I, B, G, DT, BIN = ("Edm.String", "Edm.Int32", "Edm.Boolean", "Edm.Guid",
                       "Edm.DateTimeOffset", "Edm.Binary")

# type -> {property: (type, nullable)}; nullable None: the contract does not say
TYPES = {
    "userPFXCertificate": {
        "id": (S, False), "thumbprint": (S, True),
        "intendedPurpose": ("microsoft.graph.userPfxIntendedPurpose", False),
        "userPrincipalName": (S, True), "startDateTime": (DT, False),
        "expirationDateTime": (DT, False), "providerName": (S, True), "keyName": (S, True),
        "paddingScheme": ("microsoft.graph.userPfxPaddingScheme", False),
        "encryptedPfxBlob": (BIN, True), "encryptedPfxPassword": (S, True),
        "createdDateTime": (DT, False), "lastModifiedDateTime": (DT, False),
    },
    "managedAllDeviceCertificateState": {
        "id": (S, False),
        "certificateRevokeStatus": ("microsoft.graph.certificateRevocationStatus", False),
        "certificateRevokeStatusLastChangeDateTime": (DT, False),
        "managedDeviceDisplayName": (S, True), "userPrincipalName": (S, True),
        "certificateIssuerName": (S, True), "certificateThumbprint": (S, True),
        "certificateSerialNumber": (S, True), "certificateSubjectName": (S, True),
        "certificateExtendedKeyUsages": (S, True),
        "certificateExpirationDateTime": (DT, False), "certificateIssuanceDateTime": (DT, False),
        "certificateKeyUsages": (I, True),
    },
    "enterpriseCodeSigningCertificate": {
        "id": (S, False), "content": (BIN, True),
        "status": ("microsoft.graph.certificateStatus", False),
        "subjectName": (S, True), "subject": (S, True), "issuerName": (S, True),
        "issuer": (S, True), "expirationDateTime": (DT, False), "uploadDateTime": (DT, False),
    },
    "pfxUserCertificate": {
        "id": (S, False), "tenantId": (G, None), "userId": (G, None), "thumbprint": (S, None),
        "userUpn": (S, None), "encryptedPfxBlob": (S, None), "encryptedPfxPassword": (S, None),
        "certStartDate": (DT, None), "certExpirationDate": (DT, None),
        "providerName": (S, None), "encryptionKeyName": (S, None), "paddingScheme": (I, None),
        "status": (I, None), "intendedPurpose": (I, None), "createdTime": (DT, None),
        "isDeleted": (B, None), "lastModifiedTime": (DT, None), "eTag": (S, None),
    },
    # the audit log (Intune's auditEvent; README "Audit events")
    "auditEvent": {
        "id": (S, False), "displayName": (S, True), "componentName": (S, True),
        "actor": ("microsoft.graph.auditActor", True), "activity": (S, True),
        "activityDateTime": (DT, False), "activityType": (S, True),
        "activityOperationType": (S, True), "activityResult": (S, True),
        "correlationId": (G, False),
        "resources": ("Collection(microsoft.graph.auditResource)", None), "category": (S, True),
    },
}
COMPLEX = {
    "auditActor": {"type": S, "auditActorType": S, "userPermissions": "Collection(Edm.String)",
                   "applicationId": S, "applicationDisplayName": S, "userPrincipalName": S,
                   "servicePrincipalName": S, "ipAddress": S, "userId": S},
    "auditResource": {"displayName": S,
                      "modifiedProperties": "Collection(microsoft.graph.auditProperty)",
                      "type": S, "auditResourceType": S, "resourceId": S},
    "auditProperty": {"displayName": S, "oldValue": S, "newValue": S},
}
# the wire order of userPFXCertificate (contract 1.1, as the doc pages' examples)
UPFX_ORDER = ["id", "thumbprint", "intendedPurpose", "userPrincipalName", "startDateTime",
              "expirationDateTime", "providerName", "keyName", "paddingScheme", "encryptedPfxBlob",
              "encryptedPfxPassword", "createdDateTime", "lastModifiedDateTime"]

ENUMS = {
    "userPfxIntendedPurpose": [("unassigned", 0), ("smimeEncryption", 1), ("smimeSigning", 2),
                               ("vpn", 4), ("wifi", 8)],
    "userPfxPaddingScheme": [("none", 0), ("pkcs1", 1), ("oaepSha1", 2), ("oaepSha256", 3),
                             ("oaepSha384", 4), ("oaepSha512", 5)],
    "certificateRevocationStatus": [("none", 0), ("pending", 1), ("issued", 2), ("failed", 3),
                                    ("revoked", 4)],
    "certificateStatus": [("notProvisioned", 0), ("provisioned", 1)],
}

CONTAINERS = {
    "deviceManagement": {"userPfxCertificates": "userPFXCertificate",
                         "deviceConfigurationsAllManagedDeviceCertificateStates":
                             "managedAllDeviceCertificateState",
                         "auditEvents": "auditEvent"},
    "deviceAppManagement": {"enterpriseCodeSigningCertificates": "enterpriseCodeSigningCertificate"},
}


def children(node, name):
    return [e for e in node.childNodes if e.nodeType == e.ELEMENT_NODE and e.tagName == name]


class Metadata(gctest.ServerTest):

    def fetch(self, version):
        t = self.srv.tenant()
        r = t.get("/%s/$metadata" % version)
        self.assertEqual(r.status, 200, r)
        self.assertStdHeaders(r)
        ct = r.header("Content-Type") or ""
        self.assertEqual(ct.split(";")[0].strip(), "application/xml", r.headers)
        doc = xml.dom.minidom.parseString(r.body)  # raises unless well-formed
        root = doc.documentElement
        self.assertEqual(root.tagName, "edmx:Edmx")
        self.assertEqual(root.getAttribute("Version"), "4.0")
        self.assertEqual(root.getAttribute("xmlns:edmx"), EDMX_NS)
        ds = children(root, "edmx:DataServices")
        self.assertEqual(len(ds), 1)
        schemas = children(ds[0], "Schema")
        self.assertEqual(len(schemas), 1)
        schema = schemas[0]
        self.assertEqual(schema.getAttribute("Namespace"), "microsoft.graph")
        self.assertEqual(schema.getAttribute("xmlns"), EDM_NS)
        return schema, r.text

    def entity_types(self, schema):
        out = {}
        for et in children(schema, "EntityType"):
            name = et.getAttribute("Name")
            self.assertNotIn(name, out, "EntityType %s twice" % name)
            out[name] = et
        return out

    def check_type(self, et, name):
        keys = [p.getAttribute("Name") for k in children(et, "Key") for p in children(k, "PropertyRef")]
        self.assertEqual(keys, ["id"], name)
        props = {}
        for p in children(et, "Property"):
            pn = p.getAttribute("Name")
            self.assertNotIn(pn, props, "%s.%s twice" % (name, pn))
            nullable = p.getAttribute("Nullable") or "true"
            self.assertIn(nullable, ("true", "false"))
            props[pn] = (p.getAttribute("Type"), nullable == "true")
        want = TYPES[name]
        self.assertEqual(set(props), set(want), name)
        for pn, (typ, nullable) in want.items():
            with self.subTest(type=name, prop=pn):
                self.assertEqual(props[pn][0], typ)
                if nullable is not None:
                    self.assertEqual(props[pn][1], nullable)
        return [p.getAttribute("Name") for p in children(et, "Property")]

    def check_enums(self, schema, names):
        got = {}
        for e in children(schema, "EnumType"):
            got[e.getAttribute("Name")] = [(m.getAttribute("Name"), int(m.getAttribute("Value")))
                                           for m in children(e, "Member")]
            self.assertNotIn(e.getAttribute("IsFlags"), ("true",), "not a flags enum")
        self.assertEqual(got, {n: ENUMS[n] for n in names})

    def check_containers(self, schema, types, names):
        for c in names:
            with self.subTest(container=c):
                et = types[c]
                navs = {n.getAttribute("Name"): (n.getAttribute("Type"), n.getAttribute("ContainsTarget"))
                        for n in children(et, "NavigationProperty")}
                self.assertEqual(navs, {set_name: ("Collection(microsoft.graph.%s)" % tn, "true")
                                        for set_name, tn in CONTAINERS[c].items()})

    def test_beta(self):
        schema, text = self.fetch("beta")
        types = self.entity_types(schema)
        self.assertEqual(set(types), set(TYPES) | set(CONTAINERS))
        for name in TYPES:
            order = self.check_type(types[name], name)
            if name == "userPFXCertificate":
                self.assertEqual(order, UPFX_ORDER)
        self.check_enums(schema, list(ENUMS))
        self.check_containers(schema, types, list(CONTAINERS))
        complex_types = {c.getAttribute("Name"): {p.getAttribute("Name"): p.getAttribute("Type")
                                                  for p in children(c, "Property")}
                         for c in children(schema, "ComplexType")}
        self.assertEqual(complex_types, COMPLEX)
        ec = children(schema, "EntityContainer")
        self.assertEqual(len(ec), 1)
        singletons = {s.getAttribute("Name"): s.getAttribute("Type") for s in children(ec[0], "Singleton")}
        self.assertEqual(singletons, {"deviceManagement": "microsoft.graph.deviceManagement",
                                      "deviceAppManagement": "microsoft.graph.deviceAppManagement"})
        sets = {s.getAttribute("Name"): s.getAttribute("EntityType") for s in children(ec[0], "EntitySet")}
        self.assertEqual(sets, {"pfxUserCertificates": "microsoft.graph.pfxUserCertificate"})

    def test_v1_only_code_signing(self):
        schema, text = self.fetch("v1.0")
        types = self.entity_types(schema)
        self.assertEqual(set(types), {"enterpriseCodeSigningCertificate", "deviceAppManagement"})
        self.assertEqual(children(schema, "ComplexType"), [])
        self.check_type(types["enterpriseCodeSigningCertificate"], "enterpriseCodeSigningCertificate")
        self.check_enums(schema, ["certificateStatus"])
        self.check_containers(schema, types, ["deviceAppManagement"])
        ec = children(schema, "EntityContainer")
        self.assertEqual(len(ec), 1)
        self.assertEqual({s.getAttribute("Name"): s.getAttribute("Type") for s in children(ec[0], "Singleton")},
                         {"deviceAppManagement": "microsoft.graph.deviceAppManagement"})
        self.assertEqual(children(ec[0], "EntitySet"), [])
        for absent in ("userPFXCertificate", "userPfxCertificates", "pfxUserCertificate",
                       "managedAllDeviceCertificateState", "userPfxIntendedPurpose",
                       "certificateRevocationStatus", "deviceManagement\""):
            self.assertNotIn(absent, text)

    def test_metadata_matches_the_wire(self):
        """Every property an entity carries on the wire is declared, and every declared one is
        carried."""
        t = self.srv.tenant()
        made = {
            "userPFXCertificate": t.create(UPFX, upfx_body()),
            "managedAllDeviceCertificateState": t.create(MADCS, {}),
            "enterpriseCodeSigningCertificate": t.create(ECSC, {}),
            "pfxUserCertificate": t.create(PFXU, {}),
        }
        events = t.get("/beta/deviceManagement/auditEvents?$top=1")
        self.assertEqual(events.status, 200, events)
        made["auditEvent"] = events.json()["value"][0]
        self.assertEqual(set(made["auditEvent"]["actor"]), set(COMPLEX["auditActor"]))
        self.assertEqual(set(made["auditEvent"]["resources"][0]), set(COMPLEX["auditResource"]))
        for name, e in made.items():
            with self.subTest(type=name):
                self.assertEqual({k for k in e if not k.startswith("@")}, set(TYPES[name]))
                self.assertEqual(e["@odata.type"], "#microsoft.graph." + name)
        v1 = t.get(ECSC_V1 + "/" + made["enterpriseCodeSigningCertificate"]["id"]).json()
        self.assertEqual({k for k in v1 if not k.startswith("@")}, set(TYPES["enterpriseCodeSigningCertificate"]))
        self.assertEqual(v1["@odata.context"],
                         self.base + "/v1.0/$metadata#deviceAppManagement/enterpriseCodeSigningCertificates/$entity")

    def test_needs_no_token(self):
        # as Graph's: anyone may read the schema (issue 13; test_ops.py checks the service document)
        r = self.srv.request("GET", "/beta/$metadata")
        self.assertEqual(r.status, 200, r)
        r = self.srv.request("GET", "/v2.0/$metadata")
        self.assertGraphError(r, 401, "InvalidAuthenticationToken")
        r = self.srv.tenant().get("/v2.0/$metadata")
        self.assertGraphError(r, 404, "ResourceNotFound")


if __name__ == "__main__":
    gctest.main()
