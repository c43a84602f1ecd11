"""Throttling (issue 11 item 9): --throttle intune and the --throttle-* limits. Writes and all
requests are limited per application (the token's appid or azp) in a tenant and per tenant;
beyond a limit the answer is 429 TooManyRequests with Retry-After in whole seconds. Off by
default. A $batch counts as one request and each inner request by its own method."""
import http.client
import os
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import BIN, ECSC  # noqa: E402

# window 20 s: every test runs well inside one window, however slow the machine
CUSTOM = ["--throttle-window", "20", "--throttle-app-writes", "3", "--throttle-tenant-writes", "5",
          "--throttle-app-requests", "6", "--throttle-tenant-requests", "10"]

APP_WRITES = ("Too many requests: this application has reached its limit of %d writes (POST, PATCH, "
              "PUT, DELETE) per %d seconds in this tenant. Retry after %s second%s.")
TENANT_WRITES = ("Too many requests: this tenant has reached its limit of %d writes (POST, PATCH, "
                 "PUT, DELETE) per %d seconds (all applications together). Retry after %s second%s.")
APP_REQUESTS = ("Too many requests: this application has reached its limit of %d requests per %d "
                "seconds in this tenant. Retry after %s second%s.")
TENANT_REQUESTS = ("Too many requests: this tenant has reached its limit of %d requests per %d "
                   "seconds (all applications together). Retry after %s second%s.")
COUNT = ECSC + "/$count"


def caller(srv, tenant, app=None, claim="appid"):
    """A caller of tenant whose token names app in the given claim (none when app is None)."""
    over = {claim: app} if app is not None else {}
    return gctest.Tenant(srv, tenant, token=srv.mint(tenant, **over))


class ThrottleCase(gctest.ServerTest):
    window = 20

    def assertThrottled(self, r, template, limit, max_wait=None):
        """A 429 Graph error with an integer Retry-After of 1 to max_wait seconds, which the
        message repeats; returns the Retry-After."""
        ra = r.header("Retry-After")
        self.assertIsNotNone(ra, r)
        self.assertRegex(ra, r"^[1-9][0-9]*$")
        # after a burst the wait is at most one window and 1/32 of it, rounded up
        self.assertLessEqual(int(ra), max_wait or self.window + 1)
        self.assertGraphError(r, 429, "TooManyRequests",
                              template % (limit, self.window, ra, "" if ra == "1" else "s"))
        return int(ra)

    def writes(self, who, n):
        for i in range(n):
            r = who.post(ECSC, {})
            self.assertEqual(r.status, 201, "write %d of %d: %r" % (i + 1, n, r))

    def reads(self, who, n, path=COUNT, status=200):
        for i in range(n):
            r = who.get(path)
            self.assertEqual(r.status, status, "read %d of %d: %r" % (i + 1, n, r))


class CustomLimits(ThrottleCase):
    server_kwargs = {"args": CUSTOM}

    def setUp(self):
        self.tid = str(uuid.uuid4())

    def test_exactly_n_writes_then_429(self):
        a = caller(self.srv, self.tid, "app-one")
        self.writes(a, 3)
        self.assertThrottled(a.post(ECSC, {}), APP_WRITES, 3)
        # nothing was written by the refused request; PATCH, PUT and DELETE are writes too
        self.assertCount(a.get(COUNT), 3)
        eid = a.get(ECSC).json()["value"][0]["id"]
        self.assertThrottled(a.patch(ECSC + "/" + eid, {"subjectName": "x"}), APP_WRITES, 3)
        self.assertThrottled(a.req("PUT", ECSC + "/" + eid, {}), APP_WRITES, 3)
        self.assertThrottled(a.delete(ECSC + "/" + eid), APP_WRITES, 3)
        self.assertEqual(a.get(ECSC + "/" + eid).status, 200)

    def test_reads_and_writes_counted_separately(self):
        a = caller(self.srv, self.tid, "app-one")
        self.reads(a, 5)
        self.writes(a, 1)  # reads do not use up writes
        # the write counts among the application's 6 requests
        self.assertThrottled(a.get(COUNT), APP_REQUESTS, 6)
        self.assertThrottled(a.post(ECSC, {}), APP_REQUESTS, 6)
        b = caller(self.srv, self.tid, "app-two")
        self.writes(b, 3)
        self.assertThrottled(b.post(ECSC, {}), APP_WRITES, 3)
        self.reads(b, 1)  # 3 writes of 6 requests: reads go on

    def test_second_app_hits_tenant_limit_other_tenant_unaffected(self):
        a = caller(self.srv, self.tid, "app-one")
        b = caller(self.srv, self.tid, "app-two")
        self.writes(a, 3)
        self.assertThrottled(a.post(ECSC, {}), APP_WRITES, 3)
        self.writes(b, 2)  # b is under its own limit of 3 ...
        self.assertThrottled(b.post(ECSC, {}), TENANT_WRITES, 5)  # ... but the tenant has had 5
        self.assertThrottled(caller(self.srv, self.tid, "app-three").post(ECSC, {}), TENANT_WRITES, 5)
        self.reads(b, 1)
        other = caller(self.srv, str(uuid.uuid4()), "app-one")
        self.writes(other, 3)
        self.assertThrottled(other.post(ECSC, {}), APP_WRITES, 3)
        self.assertCount(a.get(COUNT), 5)

    def test_tenant_request_limit(self):
        self.reads(caller(self.srv, self.tid, "app-one"), 6)
        self.reads(caller(self.srv, self.tid, "app-two"), 4)
        r = caller(self.srv, self.tid, "app-three").get(COUNT)
        self.assertThrottled(r, TENANT_REQUESTS, 10)

    def test_application_from_appid_or_azp(self):
        # one application, whether a v1 token (appid) or a v2 token (azp) names it
        self.writes(caller(self.srv, self.tid, "11111111-aaaa-4aaa-8aaa-111111111111"), 2)
        v2 = caller(self.srv, self.tid, "11111111-aaaa-4aaa-8aaa-111111111111", claim="azp")
        self.writes(v2, 1)
        self.assertThrottled(v2.post(ECSC, {}), APP_WRITES, 3)
        # tokens naming no application share one application id, the empty one
        t2 = str(uuid.uuid4())
        self.writes(caller(self.srv, t2), 2)
        none = caller(self.srv, t2)
        self.writes(none, 1)
        self.assertThrottled(none.post(ECSC, {}), APP_WRITES, 3)
        self.writes(caller(self.srv, t2, "named"), 2)  # the tenant's 5

    def test_batch_counts_each_inner_request(self):
        a = caller(self.srv, self.tid, "app-one")
        reqs = [{"id": str(i), "method": "POST", "url": "/deviceAppManagement/enterpriseCodeSigningCertificates",
                 "body": {}, "headers": {"Content-Type": "application/json"}} for i in range(5)]
        r = a.batch(reqs)
        self.assertEqual(r.status, 200, r)
        got = {x["id"]: x for x in r.json()["responses"]}
        self.assertEqual([got[str(i)]["status"] for i in range(5)], [201, 201, 201, 429, 429])
        for i in (3, 4):
            inner = got[str(i)]
            ra = inner["headers"].get("Retry-After")
            self.assertRegex(ra, r"^[1-9][0-9]*$")
            self.assertLessEqual(int(ra), 21)
            self.assertEqual(inner["body"]["error"]["code"], "TooManyRequests")
            self.assertEqual(inner["body"]["error"]["message"],
                             APP_WRITES % (3, 20, ra, "" if ra == "1" else "s"))
            self.assertEqual(set(inner["body"]["error"]["innerError"]),
                             {"date", "request-id", "client-request-id"})
        # the envelope (a request, not a write) and 3 admitted inner writes: 4 of 6 requests
        self.reads(a, 2)
        self.assertThrottled(a.get(COUNT), APP_REQUESTS, 6)
        # a throttled envelope is refused whole
        r = a.batch([{"id": "1", "method": "GET", "url": "/deviceAppManagement/enterpriseCodeSigningCertificates/$count"}])
        self.assertThrottled(r, APP_REQUESTS, 6)

    def test_requests_to_bad_paths_count_unauthenticated_do_not(self):
        a = caller(self.srv, self.tid, "app-one")
        for _ in range(10):
            self.assertEqual(self.srv.request("GET", COUNT).status, 401)
            forged = gctest.jwt_hs256(b"not-the-secret", gctest.claims(self.tid, appid="app-one"))
            self.assertEqual(self.srv.request("GET", COUNT, token=forged).status, 401)
        self.reads(a, 6, path="/beta/noSuchSegment", status=400)
        self.assertThrottled(a.get("/beta/noSuchSegment"), APP_REQUESTS, 6)

    def test_startup_log_names_the_limits(self):
        self.assertIn("throttling per 20 s: 3 writes and 6 requests per application in a tenant, "
                      "5 writes and 10 requests per tenant", self.srv.log_text())


class ResumesAfterRetryAfter(ThrottleCase):
    """Limits from GRAPHCERTS_* variables; the ones not given keep Intune's values."""
    window = 2
    server_kwargs = {"env": {"GRAPHCERTS_THROTTLE_WINDOW": "2",
                             "GRAPHCERTS_THROTTLE_APP_REQUESTS": "2"}}

    def test_service_resumes_after_retry_after(self):
        a = caller(self.srv, str(uuid.uuid4()), "app-one")
        self.reads(a, 2)
        ra = self.assertThrottled(a.get(COUNT), APP_REQUESTS, 2, max_wait=3)
        self.assertThrottled(a.get(COUNT), APP_REQUESTS, 2, max_wait=3)  # refusals do not count
        time.sleep(ra)  # the behaviour under test is the passing of time
        # Retry-After is shorter than a window when the burst was slow: then only the oldest
        # request has left the window, and one more is admitted
        self.reads(a, 1)

    def test_other_limits_are_intune(self):
        self.assertIn("throttling per 2 s: 100 writes and 2 requests per application in a tenant, "
                      "200 writes and 2000 requests per tenant", self.srv.log_text())


class IntuneLimits(ThrottleCase):
    server_kwargs = {"args": ["--throttle", "intune"]}

    def test_intune_write_limit(self):
        self.assertIn("throttling per 20 s: 100 writes and 1000 requests per application in a "
                      "tenant, 200 writes and 2000 requests per tenant", self.srv.log_text())
        a = caller(self.srv, str(uuid.uuid4()), "app-one")
        a.create_many(ECSC, [{}] * 100, threads=2)
        self.assertThrottled(a.post(ECSC, {}), APP_WRITES, 100)
        self.assertCount(a.get(COUNT), 100)


class OffByDefault(ThrottleCase):

    def test_no_throttling_by_default(self):
        a = caller(self.srv, str(uuid.uuid4()), "app-one")
        # more than Intune's 100 writes and 1,000 requests of an application in 20 s
        a.create_many(ECSC, [{}] * 120, threads=2)
        conn = self.srv.connection()
        try:
            for i in range(1100):
                conn.request("GET", COUNT, headers={"Authorization": "Bearer " + a.token})
                r = conn.getresponse()
                r.read()
                self.assertEqual(r.status, 200, "request %d" % (i + 1))
        finally:
            conn.close()
        self.assertCount(a.get(COUNT), 120)
        self.assertNotIn("throttling", self.srv.log_text())


class BadFlags(gctest.GCTestCase):

    def run_serve(self, *args, env=None):
        e = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHCERTS_")}
        e.update(env or {})
        return subprocess.run([BIN, "serve", "--listen", "127.0.0.1:0", "--db", "sqlite::memory:",
                               "--jwt-secret-file", "/nonexistent"] + list(args),
                              stdin=subprocess.DEVNULL, capture_output=True, env=e, timeout=30)

    def test_bad_values_exit_2(self):
        cases = [(["--throttle", "sometimes"], b"--throttle must be off or intune, got 'sometimes'"),
                 (["--throttle", "off", "--throttle-app-writes", "5"],
                  b"--throttle off contradicts --throttle-app-writes"),
                 (["--throttle-window", "0"], b"--throttle-window must be a whole number from 1 to 3600"),
                 (["--throttle-tenant-requests", "1000001"], b"--throttle-tenant-requests must be"),
                 (["--throttle-keys", "1"], b"--throttle-keys must be")]
        for args, msg in cases:
            with self.subTest(args=args):
                r = self.run_serve(*args)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(msg, r.stderr)
        r = self.run_serve(env={"GRAPHCERTS_THROTTLE": "off", "GRAPHCERTS_THROTTLE_WINDOW": "5"})
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"--throttle off contradicts --throttle-window", r.stderr)

    def test_help_lists_the_flags(self):
        r = subprocess.run([BIN, "serve", "--help"], capture_output=True, timeout=30)
        for flag in (b"--throttle MODE", b"--throttle-window SECONDS", b"--throttle-app-writes N",
                     b"--throttle-tenant-writes N", b"--throttle-app-requests N",
                     b"--throttle-tenant-requests N", b"--throttle-keys N", b"GRAPHCERTS_THROTTLE"):
            self.assertIn(flag, r.stdout)


if __name__ == "__main__":
    gctest.main()
