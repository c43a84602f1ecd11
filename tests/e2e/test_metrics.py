"""Observability: `serve --admin-listen` serves /readyz and /metrics (Prometheus text format
0.0.4) without a token on a second listener. The metrics text is checked by a strict parser
written here; counters must move by exactly the requests made, expiring-certificate gauges
must match entities created with known expiries."""
import datetime
import http.client
import math
import os
import re
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import MADCS, UPFX, upfx_body  # noqa: E402

UPFX_ROUTE = "deviceManagement/userPfxCertificates"
MADCS_ROUTE = "deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates"
METRICS_CT = "text/plain; version=0.0.4; charset=utf-8"

NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


class PromError(AssertionError):
    pass


def _parse_value(s, where):
    if s in ("+Inf", "-Inf", "NaN"):
        return float(s.replace("Inf", "inf").replace("NaN", "nan"))
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", s):
        raise PromError("%s: bad value %r" % (where, s))
    return float(s)


def _parse_labels(s, i, where):
    """Parses '{a="x",b="y"}' starting at s[i] == '{'; returns (dict, index after '}')."""
    labels = {}
    i += 1
    while True:
        if s[i:i + 1] == "}":
            return labels, i + 1
        m = LABEL_RE.match(s, i)
        if not m:
            raise PromError("%s: bad label name at %d" % (where, i))
        name = m.group(0)
        i = m.end()
        if s[i:i + 2] != '="':
            raise PromError("%s: expected =\" after label %s" % (where, name))
        i += 2
        val = []
        while True:
            if i >= len(s):
                raise PromError("%s: unterminated label value" % where)
            c = s[i]
            if c == "\\":
                nxt = s[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise PromError("%s: bad escape \\%s" % (where, nxt))
                val.append("\n" if nxt == "n" else nxt)
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise PromError("%s: raw newline in a label value" % where)
            else:
                val.append(c)
                i += 1
        if name in labels:
            raise PromError("%s: label %s twice" % (where, name))
        labels[name] = "".join(val)
        if s[i:i + 1] == ",":
            i += 1
        elif s[i:i + 1] != "}":
            raise PromError("%s: expected , or } after a label" % where)


def parse_prometheus(text):
    """Strict parse of the text format 0.0.4. Returns {(name, ((label, value), ...)): float}
    and {family: type}. Checks: every line is a HELP, TYPE or sample line; TYPE at most once per
    family and before its samples; a family's samples are contiguous; no duplicate series;
    histogram buckets carry le, are cumulative, end at +Inf, and _count equals the +Inf bucket."""
    if not text.endswith("\n"):
        raise PromError("the text must end with a newline")
    samples, types, helps = {}, {}, set()
    done_families, current = set(), None
    hist = {}  # (family, labels without le) -> list of (le, value), count

    def family_of(name):
        for suf in ("_bucket", "_sum", "_count"):
            if name.endswith(suf) and types.get(name[:-len(suf)]) in ("histogram", "summary"):
                return name[:-len(suf)]
        return name

    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = "line %d %r" % (n, line)
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                if not NAME_RE.fullmatch(parts[2]):
                    raise PromError("%s: bad metric name" % where)
                fam = parts[2]
                if fam in done_families or fam in samples:
                    raise PromError("%s: %s after the family's samples" % (where, parts[1]))
                if parts[1] == "TYPE":
                    if len(parts) != 4 or parts[3] not in TYPES:
                        raise PromError("%s: bad TYPE" % where)
                    if fam in types:
                        raise PromError("%s: second TYPE" % where)
                    types[fam] = parts[3]
                else:
                    if fam in helps:
                        raise PromError("%s: second HELP" % where)
                    helps.add(fam)
                    if re.search(r"\\[^\\n]", parts[3] if len(parts) > 3 else ""):
                        raise PromError("%s: bad escape in HELP" % where)
            continue
        if not line:
            raise PromError("%s: empty line" % where)
        m = NAME_RE.match(line)
        if not m:
            raise PromError("%s: bad metric name" % where)
        name, i = m.group(0), m.end()
        labels = {}
        if line[i:i + 1] == "{":
            labels, i = _parse_labels(line, i, where)
        if line[i:i + 1] != " ":
            raise PromError("%s: expected a space before the value" % where)
        rest = line[i + 1:].split(" ")
        if len(rest) not in (1, 2):
            raise PromError("%s: trailing text" % where)
        value = _parse_value(rest[0], where)
        fam = family_of(name)
        if fam != current:
            if fam in done_families:
                raise PromError("%s: family %s is not contiguous" % (where, fam))
            if current:
                done_families.add(current)
            current = fam
        key = (name, tuple(sorted(labels.items())))
        if key in samples:
            raise PromError("%s: duplicate series" % where)
        samples[key] = value
        if types.get(fam) == "histogram":
            base = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
            h = hist.setdefault((fam, base), {"buckets": [], "count": None, "sum": None})
            if name == fam + "_bucket":
                if "le" not in labels:
                    raise PromError("%s: bucket without le" % where)
                h["buckets"].append((_parse_value(labels["le"], where), value))
            elif name == fam + "_count":
                h["count"] = value
            elif name == fam + "_sum":
                h["sum"] = value
            else:
                raise PromError("%s: not a histogram series" % where)
    for (fam, base), h in hist.items():
        bs = h["buckets"]
        if not bs or bs[-1][0] != math.inf:
            raise PromError("%s%r: no +Inf bucket" % (fam, base))
        for (le1, v1), (le2, v2) in zip(bs, bs[1:]):
            if not le1 < le2 or v2 < v1:
                raise PromError("%s%r: buckets not cumulative in increasing le" % (fam, base))
        if h["count"] != bs[-1][1] or h["sum"] is None:
            raise PromError("%s%r: _count %s != +Inf bucket %s" % (fam, base, h["count"], bs[-1][1]))
    return samples, types


def series(samples, name, **labels):
    """The value of one series (0 when absent)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0)


def total(samples, name, **match):
    return sum(v for (n, ls), v in samples.items()
               if n == name and all(dict(ls).get(k) == w for k, w in match.items()))


def iso_in(days):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class ParserSelfTest(gctest.GCTestCase):
    """The parser must be able to fail, or the checks below prove nothing."""

    def test_rejects_malformed_text(self):
        good = ('# HELP a_total x\n# TYPE a_total counter\na_total{r="q\\"\\\\\\n"} 3\n'
                '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 0.5\nh_count 2\n')
        s, _ = parse_prometheus(good)
        self.assertEqual(series(s, "a_total", r='q"\\\n'), 3)
        bad = [
            good.replace('r="q', 'r="\\tq'),           # unknown escape
            good.replace('h_count 2', 'h_count 3'),      # count != +Inf bucket
            good.replace('{le="1"} 1', '{le="1"} 5'),    # not cumulative
            good + "a_total{r=\"x\"} 1\n",               # family not contiguous
            good.replace("a_total{", "a-total{"),        # bad name
            good + "# TYPE h gauge\n",                   # second TYPE
            good.replace("} 3\n", "} three\n"),          # bad value
            good[:-1],                                   # no final newline
        ]
        for b in bad:
            with self.assertRaises(PromError, msg=b):
                parse_prometheus(b)


class AdminOff(gctest.GCTestCase):

    def test_admin_listener_is_off_by_default(self):
        srv = gctest.Server("metrics-off")
        srv.start()
        try:
            self.assertNotIn("admin listening", srv.log_text())
            # the API listener does not serve them: without a token it answers 401, with one 400
            r = srv.request("GET", "/metrics")
            self.assertGraphError(r, 401, "InvalidAuthenticationToken")
            self.assertNotIn("graphcerts_", r.text)
            r = srv.request("GET", "/readyz", token=srv.mint(str(uuid.uuid4())))
            self.assertNotEqual(r.status, 200, r)
        finally:
            srv.finish()


class Metrics(gctest.GCTestCase):

    def setUp(self):
        self.srv = gctest.Server("metrics", args=["--admin-listen", "127.0.0.1:0"])
        self.srv.start()
        m = re.search(r'"admin listening on http://127\.0\.0\.1:(\d+)"', self.srv.log_text())
        self.assertTrue(m, self.srv.log_tail())
        self.admin_port = int(m.group(1))

    def tearDown(self):
        self.srv.finish()

    def admin(self, method, path):
        conn = http.client.HTTPConnection("127.0.0.1", self.admin_port, timeout=60)
        try:
            conn.request(method, path)
            r = conn.getresponse()
            return gctest.Resp(r.status, r.reason, r.getheaders(), r.read())
        finally:
            conn.close()

    def scrape(self):
        r = self.admin("GET", "/metrics")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), METRICS_CT)
        return parse_prometheus(r.text)[0], r.text

    def test_readyz_and_other_paths(self):
        r = self.admin("GET", "/readyz")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"status": "ready"})
        self.assertGraphError(self.admin("GET", "/healthz"), 404, "ResourceNotFound")
        self.assertGraphError(self.admin("GET", "/metrics/x"), 404, "ResourceNotFound")
        self.assertGraphError(self.admin("GET", "/beta/deviceManagement/userPfxCertificates"), 404,
                              "ResourceNotFound")
        r = self.admin("POST", "/metrics")
        self.assertGraphError(r, 405, "MethodNotAllowed")
        self.assertEqual(r.header("Allow"), "GET")

    @gctest.sqlite_only("moves the database file away (test_pg_outage.py stops PostgreSQL)")
    def test_readyz_503_when_the_database_file_is_gone(self):
        moved = self.srv.db_path + ".moved"
        os.rename(self.srv.db_path, moved)
        try:
            r = self.admin("GET", "/readyz")
            self.assertGraphError(r, 503, "ServiceUnavailable")
            self.assertIn("replaced or removed", r.json()["error"]["message"])
        finally:
            os.rename(moved, self.srv.db_path)
        self.assertEqual(self.admin("GET", "/readyz").status, 200)
        # a different file at the same path is not the database the server writes to
        os.rename(self.srv.db_path, moved)
        try:
            with open(self.srv.db_path, "wb"):
                pass
            r = self.admin("GET", "/readyz")
            self.assertGraphError(r, 503, "ServiceUnavailable")
            self.assertIn("replaced", r.json()["error"]["message"])
        finally:
            os.replace(moved, self.srv.db_path)
        self.assertEqual(self.admin("GET", "/readyz").status, 200)

    def test_counters_move_by_exactly_the_requests_made(self):
        t = self.srv.tenant()
        before, _ = self.scrape()
        body = upfx_body()
        created = t.create(UPFX, body)
        for _ in range(3):
            self.assertEqual(t.get(UPFX).status, 200)
        missing = "does-not-exist-" + uuid.uuid4().hex
        self.assertEqual(t.get(UPFX + "/" + missing).status, 404)
        self.assertEqual(self.srv.request("GET", UPFX).status, 401)  # no token: route unknown
        after, text = self.scrape()

        req = "graphcerts_http_requests_total"

        def delta(name, **labels):
            return series(after, name, **labels) - series(before, name, **labels)

        self.assertEqual(delta(req, route=UPFX_ROUTE, method="GET", status="200"), 3)
        self.assertEqual(delta(req, route=UPFX_ROUTE, method="GET", status="404"), 1)
        self.assertEqual(delta(req, route=UPFX_ROUTE, method="POST", status="201"), 1)
        self.assertEqual(delta(req, route="unknown", method="GET", status="401"), 1)
        self.assertEqual(total(after, req) - total(before, req), 6)
        dur = "graphcerts_http_request_duration_seconds"
        self.assertEqual(delta(dur + "_count", route=UPFX_ROUTE), 5)
        self.assertEqual(delta(dur + "_bucket", route=UPFX_ROUTE, le="+Inf"), 5)
        self.assertEqual(delta(dur + "_count", route="unknown"), 1)
        self.assertGreater(delta(dur + "_sum", route=UPFX_ROUTE), 0)
        st = "graphcerts_store_operation_duration_seconds_count"
        self.assertEqual(delta(st, operation="create"), 1)
        self.assertEqual(delta(st, operation="list"), 3)
        self.assertEqual(delta(st, operation="get"), 1)
        for op in ("count", "update", "delete"):
            self.assertEqual(delta(st, operation=op), 0, op)
        self.assertEqual(series(after, "graphcerts_http_throttled_requests_total"), 0)
        # the scrape's connection is the admin listener's; the API listener has none open now
        self.assertIn(("graphcerts_http_open_connections", ()), after)
        # a $batch counts once, under "batch", not under the routes inside it
        r = t.batch([{"id": "1", "method": "GET", "url": "/" + UPFX_ROUTE}])
        self.assertEqual(r.status, 200, r)
        third, _ = self.scrape()
        self.assertEqual(series(third, req, route="batch", method="POST", status="200"), 1)
        self.assertEqual(series(third, req, route=UPFX_ROUTE, method="GET", status="200"),
                         series(after, req, route=UPFX_ROUTE, method="GET", status="200"))
        # never a token, a secret, an id or a raw URL
        for secret in (t.token, t.token.split(".")[2], body["encryptedPfxBlob"],
                       body["encryptedPfxPassword"], self.srv.secret.decode(), missing,
                       created["id"], body["thumbprint"], "/beta/"):
            self.assertNotIn(secret, text)

    def test_open_connections_counts_the_api_listener(self):
        conns = []
        try:
            for _ in range(3):
                c = self.srv.connection()
                c.request("GET", "/healthz")
                c.getresponse().read()  # answered: the connection is accepted and kept open
                conns.append(c)
            now, _ = self.scrape()
            self.assertEqual(series(now, "graphcerts_http_open_connections"), 3)
        finally:
            for c in conns:
                c.close()

    def test_expiring_gauges_match_entities(self):
        a, b = self.srv.tenant(), self.srv.tenant()
        for days in (5, 20, 60, 200, -1):
            a.create(UPFX, upfx_body(expirationDateTime=iso_in(days)))
        for days in (5, 5, 60):
            b.create(MADCS, {"managedDeviceDisplayName": "d", "certificateExpirationDateTime": iso_in(days)})
        b.create(UPFX, upfx_body(expirationDateTime=iso_in(29)))
        samples, _ = self.scrape()
        exp = "graphcerts_certificates_expiring"
        want = {
            (UPFX_ROUTE, a.id): (1, 2, 3),
            (UPFX_ROUTE, b.id): (0, 1, 1),
            (MADCS_ROUTE, b.id): (2, 2, 3),
        }
        got = {}
        for (n, ls), v in samples.items():
            if n == exp:
                d = dict(ls)
                got.setdefault((d["set"], d["tenant"]), {})[d["within_days"]] = v
        self.assertEqual({k: (v["7"], v["30"], v["90"]) for k, v in got.items()}, want)
        # counted once, then reused: a new entity shows after the cache's lifetime, not now
        a.create(UPFX, upfx_body(expirationDateTime=iso_in(1)))
        again, _ = self.scrape()
        self.assertEqual(series(again, exp, set=UPFX_ROUTE, tenant=a.id, within_days="7"), 1)


if __name__ == "__main__":
    gctest.main()
