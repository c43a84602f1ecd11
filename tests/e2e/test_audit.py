"""The audit log (README "Audit events"): every write, $batch ones included, and every refused
authorisation (403) is one Intune-style auditEvent of the caller's tenant, served read-only at
/beta/deviceManagement/auditEvents with the usual query options; failed writes and 401s record
nothing; no event holds a value the request sent (so never a secret); an acknowledged write's
event survives kill -9."""
import base64
import json
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import (DMA_READ, DMA_RW, DMC_READ, DMC_RW, ECSC, GUID_RE, MADCS, PFXU, RW_ALL,  # noqa: E402
                    UPFX, local_target, split_set, upfx_body)

AUDIT = "/beta/deviceManagement/auditEvents"
EVENT_KEYS = ["@odata.type", "id", "displayName", "componentName", "actor", "activity",
              "activityDateTime", "activityType", "activityOperationType", "activityResult",
              "correlationId", "resources", "category"]
ACTOR_KEYS = ["type", "auditActorType", "userPermissions", "applicationId",
              "applicationDisplayName", "userPrincipalName", "servicePrincipalName", "ipAddress",
              "userId"]
RESOURCE_KEYS = ["displayName", "modifiedProperties", "type", "auditResourceType", "resourceId"]
CATEGORY = {UPFX: "DeviceConfiguration", MADCS: "DeviceConfiguration", PFXU: "DeviceConfiguration",
            ECSC: "Application"}


def enc(target):
    """A request target with its spaces percent-encoded."""
    return target.replace(" ", "%20")


def secret_text():
    """A distinctive value that must never show up in an event."""
    return "s3cr3t-" + uuid.uuid4().hex


class Caller:
    """A tenant's caller whose token names an application and a user."""

    def __init__(self, srv, tenant=None, scopes=RW_ALL):
        self.srv = srv
        self.tenant = tenant or str(uuid.uuid4())
        self.app = str(uuid.uuid4())
        self.oid = str(uuid.uuid4())
        self.upn = "admin-%s@contoso.example" % uuid.uuid4().hex[:6]
        self.token = srv.mint(self.tenant, scopes=scopes, appid=self.app, oid=self.oid, upn=self.upn)

    def req(self, method, path, body=None, crid=None, **kw):
        headers = dict(kw.pop("headers", {}) or {})
        if crid:
            headers["client-request-id"] = crid
        return self.srv.request(method, path, body, token=self.token, headers=headers, **kw)


class Audit(gctest.ServerTest):

    def reader(self, tenant):
        return gctest.Tenant(self.srv, tenant, scopes=DMA_READ)

    def events(self, tenant, query=""):
        """Every event of the tenant (following nextLinks), oldest first."""
        t = self.reader(tenant)
        out, target = [], AUDIT + "?$orderby=activityDateTime" + ("&" + query if query else "")
        while target:
            r = t.get(target)
            self.assertEqual(r.status, 200, r)
            body = r.json()
            out += body["value"]
            target = local_target(body["@odata.nextLink"]) if "@odata.nextLink" in body else None
        return out

    def check_event(self, ev, caller, op, set_path, resource_id, crid, result="Success"):
        self.assertEqual(list(ev.keys()), EVENT_KEYS, ev)
        self.assertEqual(ev["@odata.type"], "#microsoft.graph.auditEvent")
        self.assertRegex(ev["id"], GUID_RE)
        type_name = gctest.SET_TYPES[set_path]
        what = "%s %s" % (op, type_name)
        self.assertEqual((ev["displayName"], ev["activity"], ev["activityType"]), (what, what, what))
        self.assertEqual(ev["activityOperationType"], op)
        self.assertEqual(ev["activityResult"], result)
        self.assertEqual(ev["category"], CATEGORY[set_path])
        self.assertEqual(ev["componentName"], CATEGORY[set_path])
        self.assertRecent(ev["activityDateTime"])
        self.assertEqual(ev["correlationId"], crid)
        actor = ev["actor"]
        self.assertEqual(list(actor.keys()), ACTOR_KEYS, actor)
        self.assertEqual(actor["applicationId"], caller.app)
        self.assertEqual(actor["userPrincipalName"], caller.upn)
        self.assertEqual(actor["userId"], caller.oid)
        self.assertEqual((actor["type"], actor["auditActorType"]), ("ItPro", "ItPro"))
        if result == "Success":
            self.assertEqual(actor["userPermissions"], RW_ALL.split())
        # the HTTP layer that fills the client's address (gc_http_req.peer_addr) may not yet:
        # then null, never anything else
        self.assertIn(actor["ipAddress"], ("127.0.0.1", None))
        self.assertIsNone(actor["applicationDisplayName"])
        self.assertIsNone(actor["servicePrincipalName"])
        self.assertEqual(len(ev["resources"]), 1)
        res = ev["resources"][0]
        self.assertEqual(list(res.keys()), RESOURCE_KEYS, res)
        self.assertEqual(res["type"], type_name)
        self.assertEqual(res["auditResourceType"], "microsoft.graph." + type_name)
        self.assertEqual(res["resourceId"], resource_id)
        for m in res["modifiedProperties"]:
            self.assertEqual(set(m), {"displayName", "oldValue", "newValue"})
            self.assertIsNone(m["oldValue"])
            self.assertIsNone(m["newValue"])
        return res

    def test_every_write_kind_is_one_event_and_holds_no_secret(self):
        c = Caller(self.srv)
        secrets = [secret_text() for _ in range(4)]
        blob = base64.b64encode(secrets[0].encode()).decode()
        password = base64.b64encode(secrets[1].encode()).decode()
        body = upfx_body(encryptedPfxBlob=blob, encryptedPfxPassword=password)
        steps = []  # (crid, op, set_path, id)

        crid = str(uuid.uuid4())
        r = c.req("POST", UPFX, body, crid=crid)
        self.assertEqual(r.status, 201, r)
        upfx_id = r.json()["id"]
        steps.append((crid, "Create", UPFX, upfx_id))
        crid = str(uuid.uuid4())
        r = c.req("PATCH", UPFX + "/" + upfx_id, {"keyName": "k2", "encryptedPfxPassword": password + "QQ=="},
                  crid=crid)
        self.assertEqual(r.status, 200, r)
        steps.append((crid, "Patch", UPFX, upfx_id))
        for sp, b in ((MADCS, {"managedDeviceDisplayName": "laptop-7"}), (ECSC, {"subjectName": "cs"}),
                      (PFXU, {"userUpn": "p@contoso.example", "encryptedPfxBlob": secrets[2],
                              "encryptedPfxPassword": secrets[3]})):
            crid = str(uuid.uuid4())
            r = c.req("POST", sp, b, crid=crid)
            self.assertEqual(r.status, 201, r)
            steps.append((crid, "Create", sp, r.json()["id"]))
        pfxu_id = steps[-1][3]
        crid = str(uuid.uuid4())
        r = c.req("PATCH", PFXU + "/" + pfxu_id, {"encryptedPfxPassword": secrets[3] + "-2"}, crid=crid)
        self.assertEqual(r.status, 200, r)
        steps.append((crid, "Patch", PFXU, pfxu_id))
        for sp, i in ((UPFX, upfx_id), (PFXU, pfxu_id)):
            crid = str(uuid.uuid4())
            self.assertEqual(c.req("DELETE", sp + "/" + i, crid=crid).status, 204)
            steps.append((crid, "Delete", sp, i))

        events = self.events(c.tenant)
        self.assertEqual(len(events), len(steps), events)
        by_crid = {e["correlationId"]: e for e in events}
        self.assertEqual(set(by_crid), {s[0] for s in steps})
        for crid, op, sp, i in steps:
            with self.subTest(op=op, set=sp):
                res = self.check_event(by_crid[crid], c, op, sp, i, crid)
                names = [m["displayName"] for m in res["modifiedProperties"]]
                if sp == UPFX:
                    self.assertEqual(res["displayName"], body["userPrincipalName"])
                if op == "Patch" and sp == UPFX:
                    self.assertEqual(sorted(names), ["encryptedPfxPassword", "keyName"])
                if op == "Create" and sp == UPFX:
                    self.assertIn("encryptedPfxBlob", names)
                if op == "Delete":
                    self.assertEqual(names, [])
        text = json.dumps(events)
        for s in secrets + [blob, password, c.token, c.token.split(".")[2]]:
            self.assertNotIn(s, text)
        # one by id, and the count
        one = self.reader(c.tenant).get(AUDIT + "/" + events[0]["id"])
        self.assertEqual(one.status, 200, one)
        self.assertEqual({k: v for k, v in one.json().items() if k != "@odata.context"}, events[0])
        self.assertEqual(one.json()["@odata.context"], self.base + "/beta/$metadata#deviceManagement/auditEvents/$entity")
        self.assertCount(self.reader(c.tenant).get(AUDIT + "/$count"), len(steps))

    def test_batch_writes_are_events_too(self):
        c = Caller(self.srv)
        _, sp = split_set(MADCS)
        crids = [str(uuid.uuid4()) for _ in range(3)]
        r = c.req("POST", "/beta/$batch", {"requests": [
            {"id": "1", "method": "POST", "url": "/" + sp, "body": {"managedDeviceDisplayName": "b1"},
             "headers": {"Content-Type": "application/json", "client-request-id": crids[0]}},
            {"id": "2", "method": "PATCH", "url": "/" + sp + "/{id}", "dependsOn": ["1"],
             "body": {"managedDeviceDisplayName": "b2"},
             "headers": {"Content-Type": "application/json", "client-request-id": crids[1]}},
            {"id": "3", "method": "POST", "url": "/" + sp, "body": {"nope": 1},
             "headers": {"Content-Type": "application/json"}},
            {"id": "4", "method": "POST", "url": "/deviceManagement/auditEvents", "body": {},
             "headers": {"Content-Type": "application/json"}},
        ]})
        self.assertEqual(r.status, 200, r)
        # the PATCH addressed a made-up id: 404, no event; learn the created id and patch it for real
        got = {a["id"]: a for a in r.json()["responses"]}
        self.assertEqual([got[k]["status"] for k in "1234"], [201, 404, 400, 405])
        self.assertEqual(got["4"]["headers"].get("Allow"), "GET")
        made = got["1"]["body"]["id"]
        r = c.req("POST", "/beta/$batch", {"requests": [
            {"id": "p", "method": "PATCH", "url": "/" + sp + "/" + made, "body": {"managedDeviceDisplayName": "b2"},
             "headers": {"Content-Type": "application/json", "client-request-id": crids[1]}},
            {"id": "d", "method": "DELETE", "url": "/" + sp + "/" + made, "dependsOn": ["p"],
             "headers": {"client-request-id": crids[2]}},
        ]})
        self.assertEqual([a["status"] for a in r.json()["responses"]], [200, 204], r)
        events = self.events(c.tenant)
        self.assertEqual([e["activityOperationType"] for e in events], ["Create", "Patch", "Delete"])
        for ev, crid, op in zip(events, crids, ("Create", "Patch", "Delete")):
            self.check_event(ev, c, op, MADCS, made, crid)

    def test_failed_writes_record_nothing_and_401_neither(self):
        c = Caller(self.srv)
        made = c.req("POST", MADCS, {})
        self.assertEqual(made.status, 201)
        mid = made.json()["id"]
        body = upfx_body()
        self.assertEqual(c.req("POST", UPFX, body).status, 201)
        self.assertEqual(len(self.events(c.tenant)), 2)
        failures = [
            c.req("POST", UPFX, body),                                   # 409
            c.req("POST", UPFX, upfx_body(thumbprint="xyz")),            # 400
            c.req("POST", MADCS, "{not json"),                           # 400
            c.req("PATCH", MADCS + "/" + str(uuid.uuid4()), {}),         # 404
            c.req("DELETE", MADCS + "/" + str(uuid.uuid4())),            # 404
            c.req("PATCH", MADCS + "/" + mid, {"certificateKeyUsages": "x"}),  # 400
            c.req("DELETE", MADCS + "/" + mid, headers={"If-Match": 'W/"1"'}),  # 412
            c.req("PATCH", MADCS + "/" + mid, {}, headers={"If-Match": 'W/"1"'}),  # 412
            self.srv.request("POST", MADCS, {}),                          # 401: no token
            self.srv.request("POST", MADCS, {}, token=c.token[:-4] + "AAAA"),  # 401: bad signature
        ]
        self.assertEqual([r.status for r in failures], [409, 400, 400, 404, 404, 400, 412, 412, 401, 401])
        self.assertEqual(len(self.events(c.tenant)), 2)

    def test_refused_authorisation_is_a_failure_event(self):
        c = Caller(self.srv, scopes=DMC_READ)
        crid = str(uuid.uuid4())
        r = c.req("POST", UPFX, upfx_body(encryptedPfxPassword=base64.b64encode(b"hidden-pw-1").decode()),
                  crid=crid)
        self.assertGraphError(r, 403, "Forbidden")
        # allowed (DeviceManagementConfiguration.Read.All reads code-signing certificates): a
        # 404, which is no refusal
        self.assertGraphError(c.req("GET", ECSC + "/abc"), 404, "ResourceNotFound")
        crid3 = str(uuid.uuid4())
        r = c.req("GET", AUDIT, crid=crid3)  # the audit log needs DeviceManagementApps.*
        self.assertGraphError(r, 403, "Forbidden", contains=(DMA_READ, DMA_RW))
        crid4 = str(uuid.uuid4())
        r = c.req("DELETE", ECSC + "/" + "some-id", crid=crid4)
        self.assertGraphError(r, 403, "Forbidden")
        events = self.events(c.tenant)
        self.assertEqual([e["correlationId"] for e in events], [crid, crid3, crid4])
        self.check_event(events[0], c, "Create", UPFX, None, crid, result="Failure")
        self.assertEqual(events[0]["actor"]["userPermissions"], [DMC_READ])
        self.assertEqual(events[0]["resources"][0]["modifiedProperties"], [])
        self.assertNotIn("hidden-pw", json.dumps(events))
        ev = events[1]
        self.assertEqual((ev["activityOperationType"], ev["activityResult"], ev["category"]),
                         ("Get", "Failure", "Other"))
        self.assertEqual(ev["resources"][0]["type"], "auditEvent")
        self.check_event(events[2], c, "Delete", ECSC, "some-id", crid4, result="Failure")

    def test_tenant_isolation(self):
        a, b = Caller(self.srv), Caller(self.srv)
        self.assertEqual(a.req("POST", MADCS, {}).status, 201)
        self.assertEqual(b.req("POST", ECSC, {}).status, 201)
        ea, eb = self.events(a.tenant), self.events(b.tenant)
        self.assertEqual(len(ea), 1)
        self.assertEqual(len(eb), 1)
        self.assertNotEqual(ea[0]["id"], eb[0]["id"])
        self.assertGraphError(self.reader(b.tenant).get(AUDIT + "/" + ea[0]["id"]), 404, "ResourceNotFound")
        self.assertCount(self.reader(b.tenant).get(AUDIT + "/$count"), 1)
        r = self.reader(b.tenant).get(enc(AUDIT + "?$filter=id eq '%s'" % ea[0]["id"]))
        self.assertEqual(r.json()["value"], [])

    def test_append_only(self):
        c = Caller(self.srv)
        self.assertEqual(c.req("POST", MADCS, {}).status, 201)
        ev = self.events(c.tenant)[0]
        one = AUDIT + "/" + ev["id"]
        for method, path, body in (("POST", AUDIT, {}), ("PATCH", AUDIT, {}), ("DELETE", AUDIT, None),
                                   ("PATCH", one, {"activityResult": "Success"}), ("DELETE", one, None),
                                   ("POST", one, {}), ("PUT", one, {})):
            with self.subTest(method=method, path=path):
                r = c.req(method, path, body)
                self.assertGraphError(r, 405, "MethodNotAllowed")
                self.assertEqual(r.header("Allow"), "GET")
        self.assertGraphError(c.req("POST", AUDIT + "/$count", {}), 405, "MethodNotAllowed")
        self.assertEqual(self.events(c.tenant), [ev])

    def test_read_permissions(self):
        c = Caller(self.srv)
        self.assertEqual(c.req("POST", ECSC, {}).status, 201)
        for scopes, status in ((DMA_READ, 200), (DMA_RW, 200), (DMC_RW, 403), (DMC_READ, 403)):
            with self.subTest(scopes=scopes):
                r = gctest.Tenant(self.srv, c.tenant, scopes=scopes).get(AUDIT)
                self.assertEqual(r.status, status, r)

    def test_query_options_and_paging(self):
        c = Caller(self.srv)
        ids = [c.req("POST", MADCS, {"managedDeviceDisplayName": "q%d" % i}).json()["id"] for i in range(5)]
        for i in ids[:2]:
            self.assertEqual(c.req("PATCH", MADCS + "/" + i, {"managedDeviceDisplayName": "p"}).status, 200)
        crid = str(uuid.uuid4())
        self.assertEqual(c.req("DELETE", MADCS + "/" + ids[4], crid=crid).status, 204)
        rd = self.reader(c.tenant)
        every = self.events(c.tenant)
        self.assertEqual([e["activityOperationType"] for e in every], ["Create"] * 5 + ["Patch"] * 2 + ["Delete"])
        # $filter
        r = rd.get(enc(AUDIT + "?$filter=activityOperationType eq 'Patch'"))
        self.assertEqual(sorted(e["resources"][0]["resourceId"] for e in r.json()["value"]), sorted(ids[:2]))
        r = rd.get(enc(AUDIT + "?$filter=correlationId eq %s" % crid))
        self.assertEqual([e["activityOperationType"] for e in r.json()["value"]], ["Delete"])
        since = every[5]["activityDateTime"]
        r = rd.get(enc(AUDIT + "?$filter=activityDateTime ge %s and activityResult eq 'Success'" % since))
        self.assertEqual(len(r.json()["value"]), 3)
        self.assertGraphError(rd.get(enc(AUDIT + "?$filter=actor eq null")), 400, "BadRequest")
        self.assertGraphError(rd.get(enc(AUDIT + "?$orderby=resources")), 400, "BadRequest")
        # $orderby, $top and paging, $count
        r = rd.get(enc(AUDIT + "?$orderby=activityDateTime desc&$top=3&$count=true"))
        body = r.json()
        self.assertEqual(body["@odata.count"], 8)
        self.assertEqual(body["value"], list(reversed(every))[:3])
        seen = list(body["value"])
        while "@odata.nextLink" in body:
            body = rd.get(local_target(body["@odata.nextLink"])).json()
            seen += body["value"]
        self.assertEqual(seen, list(reversed(every)))
        self.assertCount(rd.get(enc(AUDIT + "/$count?$filter=activityOperationType eq 'Create'")), 5)
        # $select keeps the key and the chosen ones
        r = rd.get(enc(AUDIT + "?$select=activityType,actor&$top=1"))
        self.assertEqual(set(r.json()["value"][0]), {"@odata.type", "id", "activityType", "actor"})

    def test_correlation_id_falls_back_to_the_request_id(self):
        c = Caller(self.srv)
        r = c.req("POST", MADCS, {}, crid="not-a-guid")
        self.assertEqual(r.status, 201)
        self.assertEqual(r.header("client-request-id"), "not-a-guid")
        ev = self.events(c.tenant)[0]
        self.assertEqual(ev["correlationId"], r.header("request-id"))
        # an application token without a user: the actor is the application
        t = gctest.Tenant(self.srv, c.tenant, roles=[DMC_RW])
        self.assertEqual(t.post(MADCS, {}).status, 201)
        actor = self.events(c.tenant)[1]["actor"]
        self.assertEqual((actor["type"], actor["auditActorType"], actor["userPrincipalName"]),
                         ("Application", "Application", None))
        self.assertEqual(actor["userPermissions"], [DMC_RW])


class AuditDurability(gctest.GCTestCase):

    def setUp(self):
        self.srv = gctest.Server("audit-durability")
        self.srv.start()

    def tearDown(self):
        self.srv.finish()

    def test_event_of_an_acknowledged_write_survives_kill_9(self):
        c = Caller(self.srv)
        crids = [str(uuid.uuid4()) for _ in range(3)]
        r = c.req("POST", UPFX, upfx_body(), crid=crids[0])
        self.assertEqual(r.status, 201, r)
        made = r.json()["id"]
        self.assertEqual(c.req("PATCH", UPFX + "/" + made, {"keyName": "k"}, crid=crids[1]).status, 200)
        self.assertEqual(c.req("DELETE", UPFX + "/" + made, crid=crids[2]).status, 204)
        self.srv.kill9()
        self.srv.restart()
        r = gctest.Tenant(self.srv, c.tenant, scopes=DMA_READ).get(enc(AUDIT + "?$orderby=activityDateTime"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual([(e["correlationId"], e["activityOperationType"]) for e in r.json()["value"]],
                         list(zip(crids, ("Create", "Patch", "Delete"))))


if __name__ == "__main__":
    gctest.main()
