"""Two graphcerts nodes on one PostgreSQL database (issue 9): a write through one node is read
through the other at once; concurrent PATCHes with the same If-Match through both nodes give
exactly one 200 and 412 for the rest; concurrent creates of the same userPFXCertificate give one
201 and one 409; concurrent PATCHes of different properties all land (no lost update); and each
acknowledged write has exactly one audit event, a refused one none."""
# gctest: postgresql-only
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import DMA_READ, MADCS, RW_ALL, UPFX, upfx_body, without_context  # noqa: E402

AUDIT = "/beta/deviceManagement/auditEvents"
ROUNDS = 5


def together(fns):
    """Runs the callables at once (released by one barrier); their results in order."""
    gate = threading.Barrier(len(fns))

    def go(fn):
        gate.wait(timeout=30)
        return fn()
    with ThreadPoolExecutor(max_workers=len(fns)) as ex:
        return list(ex.map(go, fns))


class TwoNodes(gctest.GCTestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = gctest.Server("node-a")
        cls.b = gctest.Server("node-b", share_db_of=cls.a)
        cls.a.start()
        cls.b.start()

    @classmethod
    def tearDownClass(cls):
        cls.b.finish()
        cls.a.finish()

    def callers(self):
        """The same tenant and token on node a and node b."""
        ta = self.a.tenant(scopes=RW_ALL + " " + DMA_READ)
        return ta, gctest.Tenant(self.b, ta.id, token=ta.token)

    def audit_count(self, t):
        return t.count(AUDIT)

    def test_write_on_one_node_reads_on_the_other_at_once(self):
        ta, tb = self.callers()
        made = ta.create(UPFX)
        path = UPFX + "/" + made["id"]
        r = tb.get(path)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(without_context(r.json()), without_context(made))
        r = tb.patch(path, {"keyName": "from-b"})
        self.assertEqual(r.status, 200, r)
        etag = r.header("ETag")
        r = ta.get(path)
        self.assertEqual((r.json()["keyName"], r.header("ETag")), ("from-b", etag))
        self.assertEqual(ta.get(UPFX).json()["value"][0]["id"], made["id"])
        self.assertEqual(tb.count(UPFX), 1)
        self.assertEqual(ta.delete(path).status, 204)
        self.assertGraphError(tb.get(path), 404, "ResourceNotFound")
        self.assertEqual(self.audit_count(tb), 3)

    def test_same_if_match_through_both_nodes_one_wins(self):
        ta, tb = self.callers()
        for rnd in range(ROUNDS):
            made = ta.create(MADCS, {"managedDeviceDisplayName": "round %d" % rnd})
            path = MADCS + "/" + made["id"]
            etag = ta.get(path).header("ETag")
            nodes = [ta, tb] * 4
            rs = together([lambda t=t, i=i: t.patch(path, {"managedDeviceDisplayName": "by %d" % i},
                                                       headers={"If-Match": etag})
                           for i, t in enumerate(nodes)])
            statuses = sorted(r.status for r in rs)
            self.assertEqual(statuses, [200] + [412] * 7, rs)
            winner = [i for i, r in enumerate(rs) if r.status == 200][0]
            for r in rs:
                if r.status == 412:
                    self.assertGraphError(r, 412, "PreconditionFailed")
            got = tb.get(path)
            self.assertEqual(got.json()["managedDeviceDisplayName"], "by %d" % winner)
            self.assertEqual(got.header("ETag"), rs[winner].header("ETag"))
        # one create and one PATCH per round
        self.assertEqual(self.audit_count(ta), 2 * ROUNDS)

    def test_same_create_through_both_nodes_one_201_one_409(self):
        ta, tb = self.callers()
        for _ in range(ROUNDS):
            body = upfx_body()
            rs = together([lambda: ta.post(UPFX, body), lambda: tb.post(UPFX, body)])
            self.assertEqual(sorted(r.status for r in rs), [201, 409], rs)
            lost = [r for r in rs if r.status == 409][0]
            self.assertGraphError(lost, 409, "Conflict")
            made = [r for r in rs if r.status == 201][0].json()
            self.assertEqual(ta.get(UPFX + "/" + made["id"]).json()["thumbprint"], body["thumbprint"])
        self.assertEqual(tb.count(UPFX), ROUNDS)
        self.assertEqual(self.audit_count(ta), ROUNDS)

    def test_patches_of_different_properties_all_land(self):
        ta, tb = self.callers()
        for rnd in range(ROUNDS):
            made = ta.create(UPFX)
            path = UPFX + "/" + made["id"]
            values = {"keyName": "k-%d" % rnd, "providerName": "p-%d" % rnd,
                      "paddingScheme": "oaepSha256",
                      "expirationDateTime": "2030-0%d-01T00:00:00Z" % (rnd + 1)}
            nodes = [ta, tb, ta, tb]
            rs = together([lambda t=t, k=k, v=v: t.patch(path, {k: v})
                           for t, (k, v) in zip(nodes, values.items())])
            self.assertEqual([r.status for r in rs], [200] * len(values), rs)
            for t in (ta, tb):
                got = t.get(path).json()
                for k, v in values.items():
                    self.assertEqual(got[k], v, "%s lost in round %d" % (k, rnd))
        self.assertEqual(self.audit_count(ta), ROUNDS * (1 + len(values)))


if __name__ == "__main__":
    gctest.main()
