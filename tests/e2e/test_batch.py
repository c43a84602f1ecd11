"""JSON $batch end to end (contract section 3): up to 20 requests with unique ids and URLs relative
to the version, run in order; dependsOn chains; 424 for the dependants of a failed request (and
theirs); permissions checked per inner request; a malformed batch is a 400 for the whole and runs
nothing; a nested $batch is refused inside."""
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import DMA_READ, DMC_RW, JSON_CT, MADCS, UPFX, query_params, split_set, upfx_body, user_pfx_id  # noqa: E402

UPFX_REL = "/" + split_set(UPFX)[1]
MADCS_REL = "/" + split_set(MADCS)[1]
ECSC_REL = "/deviceAppManagement/enterpriseCodeSigningCertificates"


def enc(v):
    return urllib.parse.quote(v, safe="")


def get(rid, url, **kw):
    d = {"id": rid, "method": "GET", "url": url}
    d.update(kw)
    return d


def post(rid, url, body, **kw):
    d = {"id": rid, "method": "POST", "url": url, "body": body,
         "headers": {"Content-Type": "application/json"}}
    d.update(kw)
    return d


class Batch(gctest.ServerTest):

    def run_batch(self, t, requests, version="beta"):
        """A valid batch: 200 and one answer per request; returns {id: answer}."""
        r = t.batch(requests, version=version)
        self.assertEqual(r.status, 200, r)
        self.assertJsonCT(r)
        self.assertStdHeaders(r)
        body = r.json()
        self.assertEqual(list(body), ["responses"])
        answers = body["responses"]
        self.assertEqual(sorted(a["id"] for a in answers), sorted(q["id"] for q in requests))
        for a in answers:
            self.assertIsInstance(a["status"], int)
            self.assertIsInstance(a.get("headers", {}), dict)
        return {a["id"]: a for a in answers}

    def assertInnerError(self, answer, status, code, contains=()):
        self.assertEqual(answer["status"], status, answer)
        err = answer["body"]["error"]
        self.assertEqual(err["code"], code, answer)
        for c in ([contains] if isinstance(contains, str) else contains):
            self.assertIn(c, err["message"])
        return err["message"]

    def test_requests_run_in_order_with_dependencies(self):
        t = self.srv.tenant()
        body = upfx_body("Alice@Contoso.com")
        want_id = user_pfx_id(t.id, "alice@contoso.com", body["thumbprint"])
        flt = enc("userPrincipalName eq 'Alice@Contoso.com'")
        a = self.run_batch(t, [
            post("1", UPFX_REL, body),
            get("2", UPFX_REL + "/$count", dependsOn=["1"]),
            get("3", UPFX_REL + "?$filter=" + flt, dependsOn=["2"]),
            get("4", ECSC_REL),
            {"id": "5", "method": "DELETE", "url": UPFX_REL + "/" + want_id, "dependsOn": ["3"]},
            get("6", "deviceManagement/userPfxCertificates/$count", dependsOn=["5"]),
        ])
        self.assertEqual(a["1"]["status"], 201, a["1"])
        self.assertEqual(a["1"]["body"]["id"], want_id)
        self.assertEqual(a["1"]["body"]["@odata.context"],
                         self.base + "/beta/$metadata#deviceManagement/userPfxCertificates/$entity")
        self.assertEqual(a["1"]["headers"]["Location"], self.base + UPFX + "/" + want_id)
        self.assertRegex(a["1"]["headers"]["ETag"], r'^W/".+"$')
        self.assertEqual(a["1"]["headers"]["Content-Type"], JSON_CT)
        self.assertEqual(a["2"]["status"], 200, a["2"])
        self.assertEqual(a["2"]["body"], "1")
        self.assertEqual(a["3"]["status"], 200, a["3"])
        self.assertEqual([e["id"] for e in a["3"]["body"]["value"]], [want_id])
        self.assertEqual(a["4"]["status"], 200)
        self.assertEqual(a["4"]["body"]["value"], [])
        self.assertEqual(a["5"]["status"], 204, a["5"])
        self.assertNotIn("body", a["5"])
        self.assertEqual(a["6"]["body"], "0")
        self.assertEqual(t.count(UPFX), 0)

    def test_failed_dependency_is_424_transitively(self):
        t = self.srv.tenant()
        good = upfx_body()
        a = self.run_batch(t, [
            post("a", UPFX_REL, upfx_body(thumbprint=gctest.DROP)),    # 400: thumbprint missing
            post("b", MADCS_REL, {}, dependsOn=["a"]),                 # 424
            post("c", MADCS_REL, {}, dependsOn=["b"]),                 # 424, b did not succeed
            get("d", MADCS_REL + "/$count"),                           # 200
            post("e", UPFX_REL, good, dependsOn=["d"]),                # 201
            post("f", UPFX_REL, good, dependsOn=["e"]),                # 409
            get("g", UPFX_REL + "/$count", dependsOn=["e", "f"]),      # 424: f failed
            get("h", UPFX_REL + "/$count", dependsOn=["d", "e"]),      # 200
            post("i", MADCS_REL, {}, dependsOn=["g", "d"]),            # 424
        ])
        self.assertInnerError(a["a"], 400, "BadRequest", "thumbprint")
        self.assertInnerError(a["b"], 424, "FailedDependency", "'a'")
        self.assertInnerError(a["c"], 424, "FailedDependency", "'b'")
        self.assertEqual((a["d"]["status"], a["d"]["body"]), (200, "0"))
        self.assertEqual(a["e"]["status"], 201, a["e"])
        self.assertInnerError(a["f"], 409, "Conflict")
        self.assertInnerError(a["g"], 424, "FailedDependency", "'f'")
        self.assertEqual((a["h"]["status"], a["h"]["body"]), (200, "1"))
        self.assertInnerError(a["i"], 424, "FailedDependency", "'g'")
        # the dependants did not run
        self.assertEqual(t.count(MADCS), 0)
        self.assertEqual(t.count(UPFX), 1)

    def test_failed_dependency_is_a_graph_error(self):
        """The 424 is made by the pipeline's own error path: the same envelope, innerError and
        headers as any other inner error."""
        t = self.srv.tenant()
        r = t.batch([
            post("a", MADCS_REL, {"certificateKeyUsages": "not a number"},
                 headers={"Content-Type": "application/json", "client-request-id": "crid-a"}),
            get("b", MADCS_REL, dependsOn=["a"], headers={"client-request-id": "crid-b"}),
            get("c", MADCS_REL + "/$count", dependsOn=["b"]),
        ])
        self.assertEqual(r.status, 200, r)
        rid = r.header("request-id")
        a = {x["id"]: x for x in r.json()["responses"]}
        self.assertInnerError(a["a"], 400, "BadRequest", "certificateKeyUsages")
        for k, dep, crid in (("b", "a", "crid-b"), ("c", "b", rid)):
            ans = a[k]
            date = ans["body"]["error"]["innerError"]["date"]
            self.assertRegex(date, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
            self.assertRecent(date + "Z")
            self.assertEqual(ans, {
                "id": k, "status": 424,
                "headers": {"OData-Version": "4.0", "Content-Type": JSON_CT},
                "body": {"error": {
                    "code": "FailedDependency",
                    "message": "The request depends on '%s', which failed." % dep,
                    "innerError": {"date": date, "request-id": rid, "client-request-id": crid}}}})
            # the same shape as the 400 the pipeline answered itself
            self.assertEqual(list(ans["headers"]), list(a["a"]["headers"]))
            self.assertEqual(list(ans["body"]["error"]), list(a["a"]["body"]["error"]))
            self.assertEqual(list(ans["body"]["error"]["innerError"]),
                             list(a["a"]["body"]["error"]["innerError"]))
        self.assertEqual(a["a"]["body"]["error"]["innerError"]["client-request-id"], "crid-a")
        self.assertEqual(a["a"]["body"]["error"]["innerError"]["request-id"], rid)

    def test_longest_dependsOn(self):
        """A request may depend on all 19 before it: one failure among them is a 424 naming it,
        and the request does not run."""
        t = self.srv.tenant()
        reqs = [post(str(i), MADCS_REL, {"certificateKeyUsages": i}) for i in range(1, 20)]
        reqs[6] = post("7", MADCS_REL, {"certificateKeyUsages": "seven"})  # 400
        reqs.append(post("20", MADCS_REL, {"certificateKeyUsages": 20},
                         dependsOn=[str(i) for i in range(19, 0, -1)]))
        a = self.run_batch(t, reqs)
        self.assertInnerError(a["7"], 400, "BadRequest")
        self.assertInnerError(a["20"], 424, "FailedDependency",
                              "The request depends on '7', which failed.")
        self.assertEqual(sorted(k for k, v in a.items() if v["status"] == 201),
                         sorted(str(i) for i in range(1, 20) if i != 7))
        self.assertEqual(t.count(MADCS), 18)
        reqs[6] = post("7", MADCS_REL, {"certificateKeyUsages": 7})
        a = self.run_batch(t, reqs)
        self.assertEqual({v["status"] for v in a.values()}, {201})
        self.assertEqual(t.count(MADCS), 38)

    def test_permission_checked_per_inner_request(self):
        t = self.srv.tenant(scopes=DMC_RW)
        a = self.run_batch(t, [
            get("1", UPFX_REL),
            post("2", ECSC_REL, {}),    # needs DeviceManagementApps.ReadWrite.All
            get("3", ECSC_REL),         # DeviceManagementConfiguration.ReadWrite.All may read
            post("4", MADCS_REL, {}),
            get("5", ECSC_REL + "/$count", dependsOn=["2"]),
        ])
        self.assertEqual(a["1"]["status"], 200)
        msg = self.assertInnerError(a["2"], 403, "Forbidden", "DeviceManagementApps.ReadWrite.All")
        self.assertTrue(msg.startswith("Application must have one of the following scopes: "), msg)
        self.assertEqual(a["3"]["status"], 200)
        self.assertEqual(a["4"]["status"], 201)
        self.assertInnerError(a["5"], 424, "FailedDependency")
        self.assertEqual(t.count(gctest.ECSC), 0)
        # read-only apps permission: the userPfxCertificates read is refused inside
        ro = self.srv.tenant(scopes=DMA_READ)
        a = self.run_batch(ro, [get("x", UPFX_REL), get("y", ECSC_REL)])
        self.assertInnerError(a["x"], 403, "Forbidden", DMC_RW)
        self.assertEqual(a["y"]["status"], 200)
        # an inner request's own Authorization header is checked on its own
        a = self.run_batch(t, [get("1", UPFX_REL, headers={"Authorization": "Bearer not-a-jwt"}),
                               get("2", UPFX_REL)])
        self.assertInnerError(a["1"], 401, "InvalidAuthenticationToken")
        self.assertEqual(a["2"]["status"], 200)
        # the batch itself needs a token
        r = self.srv.request("POST", "/beta/$batch", {"requests": [get("1", UPFX_REL)]})
        self.assertGraphError(r, 401, "InvalidAuthenticationToken")

    def test_twenty_requests(self):
        t = self.srv.tenant()
        reqs = [post(str(i), MADCS_REL, {"certificateKeyUsages": i}) for i in range(1, 21)]
        a = self.run_batch(t, reqs)
        self.assertEqual({k: v["status"] for k, v in a.items()}, {str(i): 201 for i in range(1, 21)})
        self.assertEqual(sorted(v["body"]["certificateKeyUsages"] for v in a.values()), list(range(1, 21)))
        self.assertEqual(len({v["body"]["id"] for v in a.values()}), 20)
        self.assertEqual(t.count(MADCS), 20)
        # twenty reads, one of each kind of relative URL
        reqs = [get("r%d" % i, MADCS_REL + "/$count" if i % 2 else MADCS_REL[1:] + "/$count")
                for i in range(20)]
        a = self.run_batch(t, reqs)
        self.assertEqual({v["body"] for v in a.values()}, {"20"})

    def test_inner_query_options_and_links(self):
        t = self.srv.tenant()
        t.create_many(MADCS, [{"certificateKeyUsages": i} for i in range(5)])
        a = self.run_batch(t, [
            get("1", MADCS_REL + "?$top=2&$count=true&$orderby=certificateKeyUsages%20desc"),
            get("2", MADCS_REL + "?$filter=" + enc("certificateKeyUsages lt 2") + "&$select=certificateKeyUsages"),
            get("3", MADCS_REL + "/$count?$filter=" + enc("certificateKeyUsages ge 3")),
            get("4", MADCS_REL + "?$filter=" + enc("nosuch eq 1")),
            get("5", MADCS_REL + "?$search=x"),
        ])
        b1 = a["1"]["body"]
        self.assertEqual(b1["@odata.count"], 5)
        self.assertEqual([e["certificateKeyUsages"] for e in b1["value"]], [4, 3])
        link = b1["@odata.nextLink"]
        self.assertTrue(link.startswith(self.base + MADCS + "?"), link)
        self.assertEqual(query_params(link)["$orderby"], "certificateKeyUsages desc")
        nxt = t.get(gctest.local_target(link)).json()
        self.assertEqual([e["certificateKeyUsages"] for e in nxt["value"]], [2, 1])
        self.assertEqual(a["2"]["body"]["@odata.context"], self.base + "/beta/$metadata#deviceManagement/"
                         "deviceConfigurationsAllManagedDeviceCertificateStates(certificateKeyUsages)")
        self.assertEqual(sorted(e["certificateKeyUsages"] for e in a["2"]["body"]["value"]), [0, 1])
        self.assertEqual(a["3"]["body"], "2")
        self.assertInnerError(a["4"], 400, "BadRequest", "'nosuch'")
        self.assertInnerError(a["5"], 400, "BadRequest", "$search")

    def test_nested_batch_refused_inside(self):
        t = self.srv.tenant()
        inner = {"requests": [post("i1", MADCS_REL, {})]}
        a = self.run_batch(t, [post("1", "/$batch", inner), post("2", "$batch", inner),
                               get("3", MADCS_REL + "/$count")])
        self.assertInnerError(a["1"], 400, "BadRequest", "batch")
        self.assertInnerError(a["2"], 400, "BadRequest", "batch")
        self.assertEqual(a["3"]["body"], "0")
        self.assertEqual(t.count(MADCS), 0)

    def test_v1_batch(self):
        t = self.srv.tenant()
        a = self.run_batch(t, [post("1", ECSC_REL, {"subjectName": "CN=v1"}),
                               get("2", ECSC_REL, dependsOn=["1"]),
                               get("3", UPFX_REL)], version="v1.0")
        self.assertEqual(a["1"]["status"], 201, a["1"])
        self.assertEqual(a["1"]["body"]["@odata.context"],
                         self.base + "/v1.0/$metadata#deviceAppManagement/enterpriseCodeSigningCertificates/$entity")
        self.assertEqual([e["subjectName"] for e in a["2"]["body"]["value"]], ["CN=v1"])
        self.assertInnerError(a["3"], 400, "BadRequest", "userPfxCertificates")

    def test_inner_method_and_path_errors(self):
        t = self.srv.tenant()
        a = self.run_batch(t, [{"id": "1", "method": "PUT", "url": MADCS_REL, "body": {}},
                               get("2", "/deviceManagement/nope"),
                               get("3", MADCS_REL + "/" + "0" * 8 + "-0000-0000-0000-" + "0" * 12),
                               {"id": "4", "method": "PATCH", "url": MADCS_REL, "body": {}}])
        self.assertInnerError(a["1"], 405, "MethodNotAllowed")
        self.assertInnerError(a["2"], 400, "BadRequest", "'nope'")
        self.assertInnerError(a["3"], 404, "ResourceNotFound")
        self.assertInnerError(a["4"], 405, "MethodNotAllowed")

    def test_malformed_batch_is_400_and_runs_nothing(self):
        t = self.srv.tenant()
        mk = lambda rid="m": post(rid, MADCS_REL, {"managedDeviceDisplayName": "must-not-exist"})  # noqa: E731
        cases = [
            ("not JSON", "{not json", ()),
            ("an array", [mk()], ()),
            ("no requests", {"request": [mk()]}, ("requests",)),
            ("requests not an array", {"requests": {"id": "1"}}, ("requests",)),
            ("no request at all", {"requests": []}, ("requests",)),
            ("21 requests", {"requests": [mk(str(i)) for i in range(21)]}, ("20", "21")),
            ("duplicate id", {"requests": [mk("x"), get("y", MADCS_REL), mk("x")]}, ("'x'",)),
            ("unknown dependsOn", {"requests": [mk("1"), get("2", MADCS_REL, dependsOn=["zz"])]}, ("'zz'",)),
            ("forward dependsOn", {"requests": [mk("1"), get("2", MADCS_REL, dependsOn=["3"]),
                                                get("3", MADCS_REL)]}, ("'3'",)),
            ("self dependsOn", {"requests": [mk("1"), get("2", MADCS_REL, dependsOn=["2"])]},
             ("'2'", "itself")),
            # more than 20 entries: written past a 20-entry array before (ASan: overflow; release:
            # the dependency forgotten, the request run although "1" failed)
            ("21 dependsOn", {"requests": [mk("1"), get("2", MADCS_REL, dependsOn=["1"] * 21)]},
             ("'2'", "21 dependsOn", "the 2 requests")),
            ("25 dependsOn in 20 requests",
             {"requests": [mk(str(i)) for i in range(1, 20)] +
              [get("20", MADCS_REL, dependsOn=[str(1 + i % 19) for i in range(25)])]},
             ("'20'", "25 dependsOn", "the 20 requests")),
            ("1000 dependsOn", {"requests": [mk("1"), get("2", MADCS_REL, dependsOn=["1"] * 1000)]},
             ("'2'", "1000")),
            ("dependsOn longer than the batch", {"requests": [mk("1"), mk("2"),
                                                              get("3", MADCS_REL, dependsOn=["1", "2", "x", "y"])]},
             ("'3'", "4 dependsOn", "the 3 requests")),
            ("duplicate dependsOn", {"requests": [mk("1"), mk("2"), get("3", MADCS_REL, dependsOn=["1", "2", "1"])]},
             ("'3'", "'1' twice")),
            ("number in dependsOn", {"requests": [mk("1"), get("2", MADCS_REL, dependsOn=["1", 1])]},
             ("'2'", "Entry 2", "not a string")),
            ("null in dependsOn", {"requests": [mk("1"), get("2", MADCS_REL, dependsOn=[None])]},
             ("'2'", "Entry 1", "not a string")),
            ("object in dependsOn", {"requests": [mk("1"), get("2", MADCS_REL, dependsOn=[{"id": "1"}])]},
             ("'2'", "not a string")),
            ("url too long", {"requests": [mk("1"), get("2", MADCS_REL + "?$filter=" + "x" * 40000)]},
             ("'2'", "url", "32768")),
            ("dependsOn not a list", {"requests": [mk("1"), get("2", MADCS_REL, dependsOn="1")]}, ("dependsOn",)),
            # found by fuzz_batch: the 21st id was written past the request's dependency array
            ("21 dependsOn ids", {"requests": [get("1", "/nope"), mk("2") | {"dependsOn": ["1"] * 21}]},
             ("lists 21 dependsOn entries, more than the",)),
            ("missing method", {"requests": [mk("1"), {"id": "2", "url": MADCS_REL}]}, ("method",)),
            ("missing url", {"requests": [mk("1"), {"id": "2", "method": "GET"}]}, ("url",)),
            ("missing id", {"requests": [mk("1"), {"method": "GET", "url": MADCS_REL}]}, ("id",)),
            ("empty id", {"requests": [mk("1"), get("", MADCS_REL)]}, ("id",)),
            ("numeric id", {"requests": [mk("1"), {"id": 2, "method": "GET", "url": MADCS_REL}]}, ("id",)),
            ("absolute URL", {"requests": [mk("1"), get("2", "https://graph.microsoft.com/beta" + MADCS_REL)]},
             ("'2'", "relative")),
            ("scheme-relative URL", {"requests": [mk("1"), get("2", "//graph.microsoft.com/beta" + MADCS_REL)]},
             ("'2'",)),
            ("request not an object", {"requests": [mk("1"), "GET /x"]}, ()),
            ("headers not an object", {"requests": [mk("1"), get("2", MADCS_REL, headers=["a"])]}, ("headers",)),
        ]
        for name, body, contains in cases:
            with self.subTest(case=name):
                raw = body if isinstance(body, str) else json.dumps(body)
                r = t.post("/beta/$batch", raw)
                self.assertGraphError(r, 400, "BadRequest", contains=contains)
        self.assertEqual(t.count(MADCS), 0, "a request of an invalid batch was run")
        # the envelope of a batch: JSON only, POST only
        r = t.post("/beta/$batch", json.dumps({"requests": [mk()]}), content_type="text/plain")
        self.assertGraphError(r, 415, "UnsupportedMediaType")
        r = t.get("/beta/$batch")
        self.assertGraphError(r, 405, "MethodNotAllowed")
        self.assertEqual(t.count(MADCS), 0)


if __name__ == "__main__":
    gctest.main()
