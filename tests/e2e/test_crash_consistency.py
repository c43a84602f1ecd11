"""Crash consistency: writer threads create, PATCH and DELETE over HTTP while the server is
SIGKILLed at random moments, again and again on one SQLite file. After each kill the file passes
`PRAGMA integrity_check`, and after each restart every acknowledged (2xx) write is there, intact.
GC_CRASH_SEED=N replays a run (the seed is printed); GC_CRASH_ROUNDS sets the number of kills."""
# gctest: sqlite-only (reads the SQLite file after SIGKILL)
import os
import random
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import ECSC, MADCS, local_target, without_context  # noqa: E402

ROUNDS = int(os.environ.get("GC_CRASH_ROUNDS", "12"))
WRITERS = 4
SETS = (ECSC, MADCS)
PROP = {ECSC: "subjectName", MADCS: "managedDeviceDisplayName"}


class Entity:
    """What a writer knows of one entity: the last acknowledged body (None once a DELETE was
    acknowledged) and, when a request on it got no answer, what that request would have made it."""
    UNKNOWN = object()

    def __init__(self, set_path, eid, body):
        self.set_path, self.id, self.acked = set_path, eid, body
        self.pending = Entity.UNKNOWN  # UNKNOWN: none; None: a DELETE; str: a PATCHed value


class Writer(threading.Thread):
    def __init__(self, tenant, n, seed, stop):
        super().__init__(name="writer-%d" % n)
        self.t, self.n, self.rng, self.stop = tenant, n, random.Random(seed), stop
        self.entities = []      # every entity this writer ever had acknowledged
        self.unacked_creates = 0
        self.unexpected = []    # answers that are neither 2xx nor a dropped connection
        self.seq = 0
        self.acks = 0

    def live(self):
        return [e for e in self.entities if e.acked is not None]

    def run(self):
        while not self.stop.is_set():
            live = self.live()
            op = "create" if len(live) < 3 else self.rng.choice(("create", "patch", "patch", "delete"))
            self.seq += 1
            value = "w%d-%d-%s" % (self.n, self.seq, op)
            try:
                if op == "create":
                    sp = self.rng.choice(SETS)
                    try:
                        r = self.t.post(sp, {PROP[sp]: value}, timeout=10)
                    except Exception:  # noqa: BLE001 - the server died under the request
                        self.unacked_creates += 1
                        raise
                    if r.status != 201:
                        self.unacked_creates += 1
                        self.unexpected.append(("POST", sp, r))
                        continue
                    body = without_context(r.json())
                    self.entities.append(Entity(sp, body["id"], body))
                else:
                    e = self.rng.choice(live)
                    e.pending = value if op == "patch" else None
                    url = e.set_path + "/" + e.id
                    if op == "patch":
                        r = self.t.patch(url, {PROP[e.set_path]: value}, timeout=10)
                        ok = r.status == 200
                    else:
                        r = self.t.delete(url, timeout=10)
                        ok = r.status == 204
                    if not ok:
                        self.unexpected.append((op, url, r))
                        return
                    e.acked = without_context(r.json()) if op == "patch" else None
                    e.pending = Entity.UNKNOWN
                self.acks += 1
            except Exception:  # noqa: BLE001 - connection refused/reset: the server is gone
                return


class CrashConsistency(gctest.GCTestCase):

    def setUp(self):
        self.srv = gctest.Server("crash")
        self.srv.start()

    def tearDown(self):
        if self.srv.proc.poll() is None:
            self.srv.finish()  # a failure between a kill and its restart leaves nothing to stop

    def integrity_check(self):
        """PRAGMA integrity_check on the killed server's file, opened read-only."""
        conn = sqlite3.connect("file:%s?mode=ro" % self.srv.db_path, uri=True)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        finally:
            conn.close()
        return rows

    def listed_ids(self, t, sp):
        ids, target = set(), sp
        while target:
            r = t.get(target)
            self.assertEqual(r.status, 200, r)
            body = r.json()
            ids |= {v["id"] for v in body["value"]}
            nxt = body.get("@odata.nextLink")
            target = local_target(nxt) if nxt else None
        return ids

    def verify(self, t, writers, where):
        """Every acknowledged write is there; resolves what unanswered requests did."""
        expect = {sp: set() for sp in SETS}
        for w in writers:
            for e in w.entities:
                url = e.set_path + "/" + e.id
                r = t.get(url)
                if r.status == 404:
                    self.assertTrue(e.acked is None or e.pending is None,
                                    "%s: %s acknowledged but gone after the restart" % (where, url))
                    e.acked = None
                else:
                    self.assertEqual(r.status, 200, r)
                    got = without_context(r.json())
                    if e.acked is None:
                        self.fail("%s: acknowledged DELETE of %s undone: %r" % (where, url, got))
                    if got != e.acked:
                        # only an unanswered PATCH may have changed it, and only to its value
                        self.assertIsInstance(e.pending, str, "%s: %s is %r, acknowledged %r"
                                              % (where, url, got, e.acked))
                        self.assertEqual(got[gctest_prop(e)], e.pending, where)
                        self.assertEqual({k: v for k, v in got.items()
                                          if k not in (gctest_prop(e), "lastModifiedDateTime")},
                                         {k: v for k, v in e.acked.items()
                                          if k not in (gctest_prop(e), "lastModifiedDateTime")},
                                         where)
                    e.acked = got
                    expect[e.set_path].add(e.id)
                e.pending = Entity.UNKNOWN
        unacked = sum(w.unacked_creates for w in writers)
        for sp in SETS:
            listed = self.listed_ids(t, sp)
            self.assertLessEqual(expect[sp], listed, "%s: %s listing misses acknowledged ids" % (where, sp))
            extra = listed - expect[sp]
            # extras can only be creates whose answer the kill swallowed; adopt them
            self.assertLessEqual(len(extra), unacked, "%s: %s has unexplained rows" % (where, sp))
            for eid in extra:
                r = t.get(sp + "/" + eid)
                self.assertEqual(r.status, 200, r)
                writers[0].entities.append(Entity(sp, eid, without_context(r.json())))
            unacked -= len(extra)
        for w in writers:
            w.unacked_creates = 0

    def test_sigkill_at_random_moments_loses_no_acknowledged_write(self):
        seed = int(os.environ.get("GC_CRASH_SEED") or random.SystemRandom().randrange(1 << 31))
        print("crash consistency: GC_CRASH_SEED=%d GC_CRASH_ROUNDS=%d" % (seed, ROUNDS), flush=True)
        rng = random.Random(seed)
        t = self.srv.tenant()
        acks, kills = 0, 0
        carried = []  # entities from earlier rounds, checked again after every restart
        for rnd in range(ROUNDS):
            stop = threading.Event()
            writers = [Writer(t, n, rng.randrange(1 << 31), stop) for n in range(WRITERS)]
            if carried:
                writers[0].entities.extend(carried)
            for w in writers:
                w.start()
            delay = rng.uniform(0.05, 0.6)
            time.sleep(delay)  # the random moment of the kill is the point of this test
            self.srv.kill9()
            kills += 1
            stop.set()
            for w in writers:
                w.join(30)
                self.assertFalse(w.is_alive(), "a writer hangs after the kill")
            where = "round %d (seed %d, kill after %.3f s)" % (rnd, seed, delay)
            for w in writers:
                self.assertEqual(w.unexpected, [], where)
            self.assertEqual(self.integrity_check(), [("ok",)], where)
            self.srv.restart()
            self.verify(t, writers, where)
            acks += sum(w.acks for w in writers)
            carried = [e for w in writers for e in w.entities]
        print("crash consistency: %d kills, %d acknowledged writes, %d entities checked"
              % (kills, acks, len(carried)), flush=True)
        self.assertGreaterEqual(kills, 10)
        self.assertGreater(acks, 0)


def gctest_prop(e):
    return PROP[e.set_path]


if __name__ == "__main__":
    gctest.main()
