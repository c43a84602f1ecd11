"""Paging end to end (contract section 3): 2,500 entities in pages of the default 1000, $top as
the page size with $filter/$orderby/$select/$count carried by every absolute nextLink with its
$skiptoken, no empty page behind a nextLink, the --max-page-size clamp and --public-url base,
tampered or replayed skiptokens refused, and no duplicates while rows are inserted or deleted
during a walk."""
import os
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import MADCS, local_target, query_params  # noqa: E402

N = 2500
SET = MADCS
NAME, KU, STATUS = "managedDeviceDisplayName", "certificateKeyUsages", "certificateRevokeStatus"
STATUSES = ["none", "pending", "issued", "failed", "revoked"]
STATUS_VALUE = {s: i for i, s in enumerate(STATUSES)}


def enc(v):
    return urllib.parse.quote(v, safe="")


def flip(s, i):
    """s with the character at i changed to another base64url character."""
    c = s[i]
    return s[:i] + ("B" if c != "B" else "C") + s[i + 1:]


class PagingCase(gctest.ServerTest):

    def walk(self, t, first, max_pages=50):
        """Follows nextLinks from the request `first` (a path); returns the list of page bodies."""
        pages = []
        target = first
        while target is not None:
            r = t.get(target)
            self.assertEqual(r.status, 200, r)
            self.assertJsonCT(r)
            body = r.json()
            pages.append(body)
            link = body.get("@odata.nextLink")
            if link is not None:
                self.assertTrue(body["value"], "an empty page with a nextLink: %r" % body)
            target = local_target(link) if link else None
            self.assertLess(len(pages), max_pages, "runaway paging")
        return pages

    @staticmethod
    def ids_of(pages):
        return [e["id"] for p in pages for e in p["value"]]


class Paging(PagingCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        t = cls.t = cls.srv.tenant()
        bodies = [{KU: i, NAME: "dev-%04d" % ((i * 7919) % N), STATUS: STATUSES[i % 5]}
                  for i in range(N)]
        cls.rows = t.create_many(SET, bodies, threads=8)
        cls.all_ids = sorted(e["id"] for e in cls.rows)
        assert len(set(cls.all_ids)) == N

    def prefix(self):
        return self.base + "/beta/deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates?"

    def test_default_page_size(self):
        pages = self.walk(self.t, SET)
        self.assertEqual([len(p["value"]) for p in pages], [1000, 1000, 500])
        for p in pages[:2]:
            self.assertEqual(list(p), ["@odata.context", "@odata.nextLink", "value"])
            link = p["@odata.nextLink"]
            self.assertTrue(link.startswith(self.prefix()), link)
            self.assertEqual(set(query_params(link)), {"$skiptoken"})
            self.assertTrue(query_params(link)["$skiptoken"])
        self.assertEqual(list(pages[2]), ["@odata.context", "value"])
        ids = self.ids_of(pages)
        self.assertEqual(len(ids), len(set(ids)), "duplicate ids across pages")
        self.assertEqual(set(ids), set(self.all_ids))
        self.assertEqual(ids, self.all_ids)  # no $orderby: ascending id
        self.assertEqual(pages[0]["@odata.context"],
                         self.base + "/beta/$metadata#deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates")
        self.assertCount(self.t.get(SET + "/$count"), N)

    def test_top_filter_orderby_select_count(self):
        flt = "certificateKeyUsages ge 1250"
        ob = "managedDeviceDisplayName desc"
        sel = "managedDeviceDisplayName,certificateKeyUsages"
        first = SET + "?$filter=%s&$orderby=%s&$top=300&$count=true&$select=%s" % (enc(flt), enc(ob), sel)
        pages = self.walk(self.t, first)
        self.assertEqual([len(p["value"]) for p in pages], [300, 300, 300, 300, 50])
        want = [r["id"] for r in sorted((r for r in self.rows if r[KU] >= 1250),
                                        key=lambda r: r[NAME], reverse=True)]
        self.assertEqual(self.ids_of(pages), want)
        for p in pages:
            self.assertEqual(p["@odata.count"], 1250)
            self.assertEqual(p["@odata.context"], self.base + "/beta/$metadata#deviceManagement/"
                             "deviceConfigurationsAllManagedDeviceCertificateStates(%s)" % sel)
            for e in p["value"]:
                self.assertEqual(set(e) - {"@odata.type"}, {"id", NAME, KU})
        for p in pages[:-1]:
            link = p["@odata.nextLink"]
            self.assertTrue(link.startswith(self.prefix()), link)
            self.assertEqual(query_params(link), {"$filter": flt, "$orderby": ob, "$top": "300",
                                                  "$count": "true", "$select": sel,
                                                  "$skiptoken": query_params(link)["$skiptoken"]})
        self.assertNotIn("@odata.nextLink", pages[-1])

    def test_orderby_ties_across_pages(self):
        """Equal sort keys across page boundaries: the id tiebreak keeps every row once."""
        pages = self.walk(self.t, SET + "?$orderby=" + enc("certificateRevokeStatus desc") + "&$top=400")
        self.assertEqual([len(p["value"]) for p in pages], [400] * 6 + [100])
        want = [r["id"] for r in sorted(sorted(self.rows, key=lambda r: r["id"]),
                                        key=lambda r: STATUS_VALUE[r[STATUS]], reverse=True)]
        self.assertEqual(self.ids_of(pages), want)
        pages = self.walk(self.t, SET + "?$orderby=" + enc("certificateRevokeStatus,certificateKeyUsages desc")
                          + "&$top=700")
        self.assertEqual([len(p["value"]) for p in pages], [700, 700, 700, 400])
        want = [r["id"] for r in sorted(self.rows, key=lambda r: (STATUS_VALUE[r[STATUS]], -r[KU]))]
        self.assertEqual(self.ids_of(pages), want)

    def test_skip_then_pages(self):
        pages = self.walk(self.t, SET + "?$skip=1400")
        self.assertEqual([len(p["value"]) for p in pages], [1000, 100])
        self.assertNotIn("$skip", query_params(pages[0]["@odata.nextLink"]))
        self.assertEqual(self.ids_of(pages), self.all_ids[1400:])
        pages = self.walk(self.t, SET + "?$skip=1500")
        self.assertEqual([len(p["value"]) for p in pages], [1000])
        self.assertEqual(self.ids_of(pages), self.all_ids[1500:])
        pages = self.walk(self.t, SET + "?$skip=2490&$top=4")
        self.assertEqual([len(p["value"]) for p in pages], [4, 4, 2])
        self.assertEqual(self.ids_of(pages), self.all_ids[2490:])

    def test_no_empty_page_behind_a_next_link(self):
        for q, sizes in (("?$filter=%s&$top=1000" % enc("certificateKeyUsages lt 1000"), [1000]),
                         ("?$filter=%s" % enc("certificateKeyUsages lt 1000"), [1000]),
                         ("?$filter=%s" % enc("certificateKeyUsages lt 2000"), [1000, 1000]),
                         ("?$filter=%s&$top=100" % enc("certificateKeyUsages lt 300"), [100, 100, 100]),
                         ("?$filter=%s&$top=1" % enc("certificateKeyUsages eq 7"), [1]),
                         ("?$filter=%s" % enc("certificateKeyUsages eq -1"), [0]),
                         ("?$top=2500", [1000, 1000, 500])):
            with self.subTest(q=q):
                pages = self.walk(self.t, SET + q)
                self.assertEqual([len(p["value"]) for p in pages], sizes)
                self.assertNotIn("@odata.nextLink", pages[-1])

    def first_link(self, query):
        r = self.t.get(SET + query)
        self.assertEqual(r.status, 200, r)
        return r.json()["@odata.nextLink"]

    def test_tampered_skiptoken(self):
        link = self.first_link("?$top=10")
        token = query_params(link)["$skiptoken"]
        payload, mac = token.split(".")
        r = self.t.get(local_target(link))
        self.assertEqual(len(r.json()["value"]), 10, r)
        tampered = [flip(token, len(payload) // 2),             # inside the position
                    flip(token, len(payload) + 1 + len(mac) // 2),  # inside the MAC
                    flip(token, 0),
                    token[:-4],
                    payload,
                    "." + mac,
                    "abc",
                    token + "A"]
        for bad in tampered:
            with self.subTest(token=bad):
                self.assertNotEqual(bad, token)
                r = self.t.get(SET + "?$top=10&$skiptoken=" + enc(bad))
                self.assertGraphError(r, 400, "BadRequest", contains="$skiptoken")

    def test_skiptoken_replayed_elsewhere(self):
        flt = enc("certificateKeyUsages ge 0")
        link = self.first_link("?$filter=%s&$top=10&$orderby=%s" % (flt, enc("certificateKeyUsages")))
        token = enc(query_params(link)["$skiptoken"])
        ok = self.t.get(SET + "?$filter=%s&$top=10&$orderby=certificateKeyUsages&$skiptoken=%s" % (flt, token))
        self.assertEqual([e[KU] for e in ok.json()["value"]], list(range(10, 20)))
        other_filter = enc("certificateKeyUsages ge 1")
        for q in ("?$filter=%s&$top=10&$orderby=certificateKeyUsages&$skiptoken=%s" % (other_filter, token),
                  "?$top=10&$orderby=certificateKeyUsages&$skiptoken=%s" % token,
                  "?$filter=%s&$top=10&$orderby=%s&$skiptoken=%s" % (flt, enc("certificateKeyUsages desc"), token),
                  "?$filter=%s&$top=10&$skiptoken=%s" % (flt, token),
                  "?$filter=%s&$top=10&$orderby=%s&$skiptoken=%s" % (flt, enc("managedDeviceDisplayName"), token)):
            with self.subTest(q=q):
                self.assertGraphError(self.t.get(SET + q), 400, "BadRequest", contains="$skiptoken")
        # another tenant with the very same link
        other = self.srv.tenant()
        self.assertGraphError(other.get(local_target(link)), 400, "BadRequest", contains="$skiptoken")
        # another set
        self.assertGraphError(self.t.get(gctest.PFXU + "?$skiptoken=" + token), 400, "BadRequest",
                              contains="$skiptoken")

    def test_next_link_encodes_option_values(self):
        flt = "managedDeviceDisplayName eq 'a&b+c=d #%' or certificateKeyUsages lt 5"
        link = self.first_link("?$filter=%s&$top=2" % enc(flt))
        self.assertEqual(query_params(link)["$filter"], flt)
        self.assertNotIn(" ", link)
        pages = self.walk(self.t, local_target(link))
        self.assertEqual([len(p["value"]) for p in pages], [2, 1])
        self.assertEqual(self.ids_of(pages), sorted(r["id"] for r in self.rows if r[KU] < 5)[2:])


class KeysetEdges(PagingCase):
    """Page boundaries on nulls, on equal dates written with different offsets, and on ties."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        t = cls.t = cls.srv.tenant()
        dates = ["2024-01-01T00:00:00+02:00", "2023-12-31T22:00:00Z", "2023-12-31T23:00:00+01:00",
                 "2024-06-01T00:00:00-05:00", "2024-06-01T05:00:00Z", "2020-01-01T00:00:00.0000001Z"]
        bodies = []
        for i in range(36):
            b = {"certificateExpirationDateTime": dates[i % len(dates)]}
            if i % 3:
                b[NAME] = "n%d" % (i % 4)
            if i % 4:
                b[KU] = i % 5
            bodies.append(b)
        cls.rows = t.create_many(SET, bodies)

    @staticmethod
    def instant(s):
        """Ticks since the epoch of an RFC 3339 string with up to 7 fractional digits."""
        dt = gctest.parse_dt(s)
        frac = s.split(".", 1)[1].rstrip("Z").split("+")[0].split("-")[0] if "." in s else ""
        whole = int(dt.replace(microsecond=0).timestamp())
        return whole * 10 ** 7 + int(frac.ljust(7, "0") or 0)

    def expected(self, keys):
        out = sorted(self.rows, key=lambda r: r["id"])
        for prop, desc in reversed(keys):
            def k(r, prop=prop):
                v = r.get(prop)
                if v is not None and prop == "certificateExpirationDateTime":
                    v = self.instant(v)
                return (v is not None, v if v is not None else 0)
            out.sort(key=k, reverse=desc)
        return [r["id"] for r in out]

    def test_walks_match_the_full_order(self):
        cases = [[(NAME, False)], [(NAME, True)], [(KU, True)], [(KU, False), (NAME, True)],
                 [("certificateExpirationDateTime", False)], [("certificateExpirationDateTime", True)],
                 [(NAME, True), ("certificateExpirationDateTime", False), (KU, True)]]
        for keys in cases:
            ob = ",".join(p + (" desc" if d else "") for p, d in keys)
            want = self.expected(keys)
            for top in (1, 4, 5, 7):
                with self.subTest(orderby=ob, top=top):
                    pages = self.walk(self.t, SET + "?$orderby=%s&$top=%d" % (enc(ob), top), max_pages=40)
                    self.assertEqual(self.ids_of(pages), want)
                    self.assertEqual(len(pages), -(-len(want) // top))

    def test_walk_with_filter_on_nulls(self):
        flt = "managedDeviceDisplayName eq null or certificateKeyUsages eq null"
        want = [i for i in self.expected([(KU, False), (NAME, False)])
                if any(r["id"] == i and (r.get(NAME) is None or r.get(KU) is None) for r in self.rows)]
        pages = self.walk(self.t, SET + "?$filter=%s&$orderby=%s&$top=3&$count=true"
                          % (enc(flt), enc("certificateKeyUsages,managedDeviceDisplayName")))
        self.assertEqual(self.ids_of(pages), want)
        self.assertEqual({p["@odata.count"] for p in pages}, {len(want)})


class PagingDuringWrites(PagingCase):
    """Keyset paging: rows inserted or deleted between pages never make a row appear twice or
    an old row disappear."""

    def test_inserts_before_and_after_the_cursor(self):
        t = self.srv.tenant()
        made = t.create_many(SET, [{KU: i * 10} for i in range(300)])
        originals = {e["id"] for e in made}
        after, before = [], set()
        seen = []
        target = SET + "?$orderby=certificateKeyUsages&$top=50"
        while target:
            body = t.get(target).json()
            page = body["value"]
            self.assertTrue(page)
            seen += [e["id"] for e in page]
            last = page[-1][KU]
            # one row sorting before the cursor (never returned), one after it (returned on the
            # next page, if there is one)
            before.add(t.create(SET, {KU: last - 5})["id"])
            after.append(t.create(SET, {KU: last + 5})["id"])
            link = body.get("@odata.nextLink")
            target = local_target(link) if link else None
        self.assertEqual(len(seen), len(set(seen)), "an id appeared twice")
        got = set(seen)
        self.assertEqual(got & originals, originals)
        self.assertEqual(got & before, set())
        # every row inserted after the cursor came back, but the one inserted after the last page
        self.assertEqual(got & set(after), set(after[:-1]))
        self.assertEqual(len(seen), 300 + len(after) - 1)
        self.assertGreaterEqual(len(after), 7)

    def test_random_ids_inserted_while_walking_by_id(self):
        t = self.srv.tenant()
        made = t.create_many(SET, [{KU: i} for i in range(400)])
        originals = {e["id"] for e in made}
        stop = threading.Event()
        inserted = []
        errors = []

        def writer():
            while not stop.is_set() and len(inserted) < 400:
                r = t.post(SET, {KU: -1})
                if r.status != 201:
                    errors.append(r)
                    return
                inserted.append(r.json()["id"])

        th = threading.Thread(target=writer)
        th.start()
        ids = []
        try:
            target = SET + "?$top=37"
            while target:
                body = t.get(target).json()
                ids += [e["id"] for e in body["value"]]
                # let the writer get at least one row in before the next page
                n = len(inserted)
                for _ in range(200):
                    if len(inserted) > n or errors:
                        break
                    stop.wait(0.01)
                link = body.get("@odata.nextLink")
                target = local_target(link) if link else None
        finally:
            stop.set()
            th.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(ids), len(set(ids)), "an id appeared twice")
        self.assertEqual(ids, sorted(ids), "not in ascending id order")
        self.assertEqual(set(ids) & originals, originals)
        self.assertTrue(set(ids) <= originals | set(inserted))
        self.assertTrue(set(ids) & set(inserted), "no row inserted during the walk was read")

    def test_deletes_while_walking(self):
        t = self.srv.tenant()
        made = t.create_many(SET, [{KU: i} for i in range(200)])
        by_ku = {e[KU]: e["id"] for e in made}
        seen, deleted = [], set()
        target = SET + "?$orderby=certificateKeyUsages%20desc&$top=30"
        while target:
            body = t.get(target).json()
            page = body["value"]
            seen += [e["id"] for e in page]
            cursor = page[-1][KU]
            # delete the cursor row itself and one row not yet read
            for ku in (cursor, cursor - 7):
                if ku in by_ku and by_ku[ku] not in deleted:
                    r = t.delete(SET + "/" + by_ku[ku])
                    self.assertEqual(r.status, 204, r)
                    deleted.add(by_ku[ku])
            link = body.get("@odata.nextLink")
            target = local_target(link) if link else None
        self.assertEqual(len(seen), len(set(seen)))
        unread_deleted = deleted - set(seen)
        self.assertGreaterEqual(len(unread_deleted), 5)
        # every row that was not deleted before it could be read, in order
        self.assertEqual(seen, [by_ku[k] for k in sorted(by_ku, reverse=True)
                                if by_ku[k] not in unread_deleted])


class SmallPages(PagingCase):
    server_kwargs = {"args": ["--max-page-size", "100", "--public-url", "https://graph.example.test/"]}
    PUBLIC = "https://graph.example.test"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.t = cls.srv.tenant()
        cls.rows = cls.t.create_many(SET, [{KU: i} for i in range(250)])
        cls.all_ids = sorted(e["id"] for e in cls.rows)

    def test_top_clamped_to_max_page_size(self):
        for q, first in (("?$top=500", 100), ("", 100), ("?$top=100", 100), ("?$top=101", 100),
                         ("?$top=50", 50), ("?$top=2147483647", 100)):
            with self.subTest(q=q):
                r = self.t.get(SET + q)
                body = r.json()
                self.assertEqual(len(body["value"]), first)
                self.assertEqual([e["id"] for e in body["value"]], self.all_ids[:first])
                self.assertIn("@odata.nextLink", body)
        pages = self.walk(self.t, SET + "?$top=500")
        self.assertEqual([len(p["value"]) for p in pages], [100, 100, 50])
        self.assertEqual(self.ids_of(pages), self.all_ids)
        self.assertEqual(query_params(pages[0]["@odata.nextLink"])["$top"], "500")

    def test_public_url_is_the_link_base(self):
        body = self.t.get(SET + "?$top=500&$filter=" + enc("certificateKeyUsages ge 0")).json()
        self.assertEqual(body["@odata.context"], self.PUBLIC + "/beta/$metadata#deviceManagement/"
                         "deviceConfigurationsAllManagedDeviceCertificateStates")
        link = body["@odata.nextLink"]
        self.assertTrue(link.startswith(self.PUBLIC + "/beta/deviceManagement/"
                                        "deviceConfigurationsAllManagedDeviceCertificateStates?"), link)
        self.assertEqual(set(query_params(link)), {"$filter", "$top", "$skiptoken"})
        pages = self.walk(self.t, local_target(link))
        self.assertEqual([len(p["value"]) for p in pages], [100, 50])
        self.assertTrue(pages[0]["@odata.nextLink"].startswith(self.PUBLIC + "/beta/"))


if __name__ == "__main__":
    gctest.main()
