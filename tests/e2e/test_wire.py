"""Wire rules (contract section 2): response shape, headers, error envelope, ETags and
conditional requests, --public-url, and the access log."""
import json
import os
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import ECSC, MADCS, UPFX, GUID_RE, JSON_CT, upfx_body  # noqa: E402


class Wire(gctest.ServerTest):

    def test_headers_on_success(self):
        t = self.srv.tenant()
        r = t.post(ECSC, {})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.header("Content-Type"), JSON_CT)
        self.assertStdHeaders(r)
        r2 = t.get(ECSC + "/" + r.json()["id"])
        self.assertStdHeaders(r2)
        self.assertNotEqual(r.header("request-id"), r2.header("request-id"))
        self.assertEqual(len(r.header_all("request-id")), 1)

    def test_client_request_id_echoed(self):
        t = self.srv.tenant()
        crid = str(uuid.uuid4())
        r = t.get(ECSC, headers={"client-request-id": crid})
        self.assertEqual(r.status, 200, r)
        self.assertStdHeaders(r, client_request_id=crid)
        self.assertNotEqual(r.header("request-id"), crid)
        # and on an error, inside innerError too
        r = t.get(ECSC + "/" + str(uuid.uuid4()), headers={"client-request-id": crid})
        self.assertGraphError(r, 404, "ResourceNotFound")
        self.assertEqual(r.json()["error"]["innerError"]["client-request-id"], crid)
        r = self.srv.request("GET", ECSC, headers={"client-request-id": crid})
        self.assertGraphError(r, 401, "InvalidAuthenticationToken")
        self.assertEqual(r.json()["error"]["innerError"]["client-request-id"], crid)

    def test_headers_on_204_and_count(self):
        t = self.srv.tenant()
        e = t.create(ECSC)
        c = t.get(ECSC + "/$count")
        self.assertCount(c, 1)
        self.assertStdHeaders(c)
        d = t.delete(ECSC + "/" + e["id"])
        self.assertEqual(d.status, 204, d)
        self.assertEqual(d.body, b"")
        self.assertStdHeaders(d)
        self.assertIsNone(d.header("Content-Type"))

    def test_entity_and_collection_shapes(self):
        t = self.srv.tenant()
        e = t.create(MADCS, {"managedDeviceDisplayName": "x"})
        self.assertEqual(list(e)[:3], ["@odata.context", "@odata.type", "id"])
        r = t.get(MADCS)
        items = self.assertCollection(r, MADCS, self.base)
        self.assertEqual(len(items), 1)
        self.assertEqual(items[0]["id"], e["id"])
        self.assertNotIn("@odata.context", items[0])
        self.assertEqual({k: v for k, v in items[0].items() if not k.startswith("@")},
                         {k: v for k, v in e.items() if not k.startswith("@")})
        self.assertEqual(r.json()["@odata.context"],
                         self.base + "/beta/$metadata#deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates")
        r = t.get(UPFX)
        self.assertEqual(r.json(), {"@odata.context": self.base + "/beta/$metadata#deviceManagement/userPfxCertificates",
                                    "value": []})

    def test_error_envelope(self):
        t = self.srv.tenant()
        r = t.get("/beta/deviceManagement/nope")
        self.assertGraphError(r, 400, "BadRequest", message="Resource not found for the segment 'nope'.")
        body = r.json()
        self.assertEqual(list(body["error"].keys()), ["code", "message", "innerError"])
        self.assertEqual(list(body["error"]["innerError"].keys()), ["date", "request-id", "client-request-id"])
        self.assertRegex(body["error"]["innerError"]["request-id"], GUID_RE)

    def test_etag_and_if_match(self):
        t = self.srv.tenant()
        r = t.post(ECSC, {"subjectName": "one"})
        e = r.json()
        path = ECSC + "/" + e["id"]
        etag = r.header("ETag")
        self.assertRegex(etag, r'^W/".+"$')
        g = t.get(path)
        self.assertEqual(g.header("ETag"), etag)

        # If-Match mismatch: 412, nothing changes.
        bad = 'W/"definitely-not-the-version"'
        self.assertGraphError(t.patch(path, {"subjectName": "two"}, headers={"If-Match": bad}),
                              412, "PreconditionFailed")
        self.assertGraphError(t.delete(path, headers={"If-Match": bad}), 412, "PreconditionFailed")
        g = t.get(path)
        self.assertEqual(g.json(), e)
        self.assertEqual(g.header("ETag"), etag)

        # The right ETag, then '*'.
        p = t.patch(path, {"subjectName": "two"}, headers={"If-Match": etag})
        self.assertEqual(self.assertEntity(p, 200, ECSC, self.base)["subjectName"], "two")
        etag2 = p.header("ETag")
        self.assertNotEqual(etag2, etag)
        self.assertEqual(t.get(path).header("ETag"), etag2)
        # The old ETag is now stale.
        self.assertGraphError(t.patch(path, {"subjectName": "three"}, headers={"If-Match": etag}),
                              412, "PreconditionFailed")
        self.assertEqual(t.get(path).json()["subjectName"], "two")
        p = t.patch(path, {"subjectName": "three"}, headers={"If-Match": "*"})
        self.assertEqual(self.assertEntity(p, 200, ECSC, self.base)["subjectName"], "three")
        etag3 = p.header("ETag")
        self.assertGraphError(t.delete(path, headers={"If-Match": etag2}), 412, "PreconditionFailed")
        self.assertEqual(t.get(path).status, 200)
        d = t.delete(path, headers={"If-Match": etag3})
        self.assertEqual(d.status, 204, d)
        self.assertGraphError(t.get(path), 404, "ResourceNotFound")

    def test_if_match_race_has_one_winner(self):
        t = self.srv.tenant()
        r = t.post(ECSC, {"subjectName": "start"})
        path, etag = ECSC + "/" + r.json()["id"], r.header("ETag")
        results, lock = [], threading.Lock()

        def writer(n):
            resp = t.patch(path, {"subjectName": "writer-%d" % n}, headers={"If-Match": etag})
            with lock:
                results.append((resp.status, n, resp))

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(12)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        winners = [n for status, n, _ in results if status == 200]
        self.assertEqual(len(winners), 1, [(s, x.body[:120]) for s, _, x in results])
        for status, n, resp in results:
            if status != 200:
                self.assertGraphError(resp, 412, "PreconditionFailed")
        self.assertEqual(t.get(path).json()["subjectName"], "writer-%d" % winners[0])

    def test_if_match_star_on_delete(self):
        t = self.srv.tenant()
        e = t.create(ECSC)
        d = t.delete(ECSC + "/" + e["id"], headers={"If-Match": "*"})
        self.assertEqual(d.status, 204, d)
        self.assertCount(t.get(ECSC + "/$count"), 0)

    def test_if_none_match(self):
        t = self.srv.tenant()
        r = t.post(UPFX, upfx_body())
        path = UPFX + "/" + r.json()["id"]
        etag = r.header("ETag")
        nm = t.get(path, headers={"If-None-Match": etag})
        self.assertEqual(nm.status, 304, nm)
        self.assertEqual(nm.body, b"")
        self.assertEqual(nm.header("ETag"), etag)
        other = t.get(path, headers={"If-None-Match": 'W/"other"'})
        self.assertEqual(other.status, 200, other)
        t.patch(path, {"keyName": "k2"})
        changed = t.get(path, headers={"If-None-Match": etag})
        self.assertEqual(changed.status, 200, changed)
        self.assertEqual(changed.json()["keyName"], "k2")

    def test_json_content_type_with_parameters(self):
        t = self.srv.tenant()
        for ct in ("application/json; charset=utf-8", "application/json;odata.metadata=minimal",
                   "Application/JSON"):
            with self.subTest(ct=ct):
                r = t.post(ECSC, {"subjectName": "ct"}, content_type=ct)
                self.assertEqual(r.status, 201, r)

    def test_access_log(self):
        t = self.srv.tenant()
        r = t.get(ECSC + "?$top=5", headers={"client-request-id": "crid-for-log"})
        rid = r.header("request-id")
        deadline = time.time() + 5
        rec = None
        while rec is None and time.time() < deadline:
            for x in self.srv.log_records():
                if x.get("request-id") == rid and "status" in x:
                    rec = x
            time.sleep(0.05)
        self.assertIsNotNone(rec, "no access log line for request %s" % rid)
        for k in ("request-id", "tenant", "method", "path", "status", "ms"):
            self.assertIn(k, rec)
        self.assertEqual(rec["tenant"], t.id)
        self.assertEqual(rec["method"], "GET")
        self.assertEqual(rec["path"], ECSC)
        self.assertEqual(rec["status"], r.status)
        self.assertIsInstance(rec["ms"], (int, float))
        # Every line the server wrote is one JSON object.
        for line in self.srv.log_text().splitlines():
            if line.strip():
                self.assertIsInstance(json.loads(line), dict, line)


class PublicUrl(gctest.ServerTest):
    server_kwargs = {"args": ["--public-url", "https://graph.example.test"]}

    def test_context_and_location_use_public_url(self):
        base = "https://graph.example.test"
        t = self.srv.tenant()
        r = t.post(ECSC, {})
        e = self.assertEntity(r, 201, ECSC, base)
        self.assertIn(r.header("Location"), [base + k for k in gctest.key_forms(ECSC, e["id"])])
        self.assertEqual(self.assertCollection(t.get(ECSC), ECSC, base)[0]["id"], e["id"])
        self.assertEntity(t.get(ECSC + "/" + e["id"]), 200, ECSC, base)


if __name__ == "__main__":
    gctest.main()
