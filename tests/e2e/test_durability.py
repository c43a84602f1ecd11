"""Durability: an answered write survives `kill -9` and a restart on the same database, also
when many writes arrive at once (store.h: writes return only once durable)."""
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import ECSC, MADCS, UPFX, upfx_body, without_context  # noqa: E402

THREADS, PER_THREAD = 20, 10


class Durability(gctest.GCTestCase):

    def setUp(self):
        self.srv = gctest.Server("durability")
        self.srv.start()

    def tearDown(self):
        self.srv.finish()

    def test_acknowledged_writes_survive_kill_9(self):
        t = self.srv.tenant()
        created = t.create(UPFX)
        r = t.patch(UPFX + "/" + created["id"], {"keyName": "after-patch"})
        self.assertEqual(r.status, 200, r)
        patched, etag = r.json(), r.header("ETag")
        gone = t.create(MADCS, {"managedDeviceDisplayName": "to delete"})
        self.assertEqual(t.delete(MADCS + "/" + gone["id"]).status, 204)
        self.srv.kill9()

        self.srv.restart()
        g = t.get(UPFX + "/" + created["id"])
        self.assertEqual(g.status, 200, g)
        self.assertEqual(without_context(g.json()), without_context(patched))
        self.assertEqual(g.json()["keyName"], "after-patch")
        self.assertEqual(g.header("ETag"), etag)
        self.assertGraphError(t.get(MADCS + "/" + gone["id"]), 404, "ResourceNotFound")
        self.assertCount(t.get(UPFX + "/$count"), 1)
        self.assertCount(t.get(MADCS + "/$count"), 0)
        # and the record can still be written after the restart
        r = t.patch(UPFX + "/" + created["id"], {"keyName": "after-restart"}, headers={"If-Match": etag})
        self.assertEqual(r.status, 200, r)

    def test_concurrent_writes_survive_kill_9(self):
        t = self.srv.tenant()
        ids, errors, lock = [], [], threading.Lock()

        def worker(n):
            for i in range(PER_THREAD):
                body = upfx_body(upn="user%d@contoso.example" % n) if i % 2 else {"subjectName": "w%d-%d" % (n, i)}
                sp = UPFX if i % 2 else ECSC
                try:
                    r = t.post(sp, body)
                    with lock:
                        if r.status == 201:
                            ids.append((sp, r.json()["id"]))
                        else:
                            errors.append(r)
                except Exception as e:  # noqa: BLE001
                    with lock:
                        errors.append(e)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(ids), THREADS * PER_THREAD)
        self.assertEqual(len(set(ids)), THREADS * PER_THREAD)
        half = THREADS * PER_THREAD // 2
        self.assertCount(t.get(UPFX + "/$count"), half)
        self.assertCount(t.get(ECSC + "/$count"), half)
        self.srv.kill9()

        self.srv.restart()
        self.assertCount(t.get(UPFX + "/$count"), half)
        self.assertCount(t.get(ECSC + "/$count"), half)
        for sp in (UPFX, ECSC):
            listed = {i["id"] for i in self.assertCollection(t.get(sp), sp, self.srv.base)}
            self.assertEqual(listed, {i for s, i in ids if s == sp})

    def test_sigterm_then_restart_keeps_data(self):
        t = self.srv.tenant()
        e = t.create(ECSC, {"subjectName": "graceful"})
        self.assertEqual(self.srv.stop(), 0)
        self.srv.restart()
        self.assertEqual(without_context(t.get(ECSC + "/" + e["id"]).json()), without_context(e))


if __name__ == "__main__":
    gctest.main()
