"""Authentication and authorization (contract section 4): HS256 tokens made here in Python,
RS256/ES256 tokens signed with openssl-made keys published in a JWKS file, bad tokens of every
kind → 401, missing permissions → 403 naming the permissions that would do, the per-set
permission table, and tokens never reaching the logs."""
import hashlib
import hmac
import json
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import (DMA_READ, DMA_RW, DMC_READ, DMC_RW, DROP, ECSC, ECSC_V1, MADCS, PFXU, UPFX,  # noqa: E402
                    ALL_SETS, b64url, claims, jwt_hs256, jwt_signing_input, jwt_unsigned, upfx_body)

READ_PERMS = {
    UPFX: [DMC_READ, DMC_RW], MADCS: [DMC_READ, DMC_RW], PFXU: [DMC_READ, DMC_RW],
    ECSC: [DMA_READ, DMA_RW, DMC_READ, DMC_RW], ECSC_V1: [DMA_READ, DMA_RW, DMC_READ, DMC_RW],
}
WRITE_PERMS = {UPFX: [DMC_RW], MADCS: [DMC_RW], PFXU: [DMC_RW], ECSC: [DMA_RW], ECSC_V1: [DMA_RW]}
ALL_PERMS = [DMC_READ, DMC_RW, DMA_READ, DMA_RW]


def create_body(sp):
    return upfx_body() if sp == UPFX else {}


def listed_perms(message):
    """The permission names after 'one of the following scopes: '."""
    marker = "one of the following scopes: "
    i = message.find(marker)
    if i < 0:
        return None
    tail = message[i + len(marker):].strip().rstrip(".")
    return {p.strip() for p in tail.split(",") if p.strip()}


class TokenLog:
    """Remembers every token sent so the logs can be searched for them."""
    tokens = []

    @classmethod
    def check_not_logged(cls, log, at_least):
        if not log:
            raise AssertionError("the server wrote no log")
        checked = 0
        for tok in cls.tokens:
            tok = tok.split(" ")[-1]
            if tok.count(".") != 2 or len(tok) < 40:
                continue
            checked += 1
            if tok in log:
                raise AssertionError("a token was logged")
            # neither the payload nor the signature segment on its own
            for seg in tok.split(".")[1:]:
                if len(seg) >= 16 and seg in log:
                    raise AssertionError("a token's segment was logged: " + seg[:8] + "...")
        if checked < at_least:
            raise AssertionError("only %d tokens were checked" % checked)


class HS256(gctest.ServerTest):
    server_kwargs = {"args": ["--log-level", "debug"]}  # the most the server ever logs

    def tok(self, tenant, **kw):
        t = jwt_hs256(self.srv.secret, claims(tenant, **kw))
        TokenLog.tokens.append(t)
        return t

    def assert401(self, r):
        return self.assertGraphError(r, 401, "InvalidAuthenticationToken")

    def _get(self, token=None, auth=None, path=ECSC):
        if token is not None:
            TokenLog.tokens.append(token)
        if auth is not None:
            TokenLog.tokens.append(auth)
        return self.srv.request("GET", path, token=token, auth=auth)

    def test_healthz_needs_no_token(self):
        self.assertEqual(self.srv.request("GET", "/healthz").status, 200)

    def test_valid_token(self):
        tenant = str(uuid.uuid4())
        r = self._get(self.tok(tenant, scopes=DMC_RW))
        self.assertEqual(r.status, 200, r)
        r = self.srv.request("GET", ECSC, auth="bearer " + self.tok(tenant, scopes=DMC_RW))
        self.assertEqual(r.status, 200, r)
        r = self.srv.request("GET", ECSC, auth="BEARER " + self.tok(tenant, scopes=DMC_RW))
        self.assertEqual(r.status, 200, r)

    def test_missing_or_malformed_header(self):
        tenant = str(uuid.uuid4())
        good = self.tok(tenant, scopes=DMC_RW)
        for auth in (None, "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer garbage",
                     "Bearer a.b.c", "Bearer ...", "Bearer " + good + ".extra", good,
                     "Token " + good, "Bearer " + good[:-10], "Bearer " + good.replace(".", "", 1)):
            with self.subTest(auth=(auth or "")[:30]):
                r = self._get(auth=auth) if auth is not None else self.srv.request("GET", ECSC)
                self.assert401(r)

    def test_alg_none_and_alg_confusion(self):
        tenant = str(uuid.uuid4())
        c = claims(tenant, scopes=DMC_RW)
        for alg in ("none", "None", "NONE", "nOnE"):
            with self.subTest(alg=alg):
                self.assert401(self._get(jwt_unsigned(c, alg=alg)))
                # alg none with a (valid HS256) signature attached
                si = jwt_signing_input({"alg": alg, "typ": "JWT"}, c)
                sig = hmac.new(self.srv.secret, si.encode(), hashlib.sha256).digest()
                self.assert401(self._get(si + "." + b64url(sig)))
        for alg in ("HS384", "HS512", "RS256", "ES256", "hs256", ""):
            with self.subTest(alg=alg):
                # signed with the shared secret, but claiming another algorithm
                self.assert401(self._get(jwt_hs256(self.srv.secret, c, header={"alg": alg, "typ": "JWT"})))
        self.assert401(self._get(jwt_hs256(self.srv.secret, c, header={"typ": "JWT"})))

    def test_wrong_secret_and_tampering(self):
        tenant = str(uuid.uuid4())
        c = claims(tenant, scopes=DMC_RW)
        self.assert401(self._get(jwt_hs256(b"some-other-secret", c)))
        self.assert401(self._get(jwt_hs256(self.srv.secret + b"x", c)))
        self.assert401(self._get(jwt_hs256(self.srv.secret + b"\n", c)))
        good = jwt_hs256(self.srv.secret, claims(tenant, scopes=DMC_READ))
        h, p, s = good.split(".")
        for name, change in (("tid", str(uuid.uuid4())), ("scp", DMC_RW), ("exp", int(time.time()) + 99999)):
            with self.subTest(tampered=name):
                payload = json.loads(gctest.b64url_decode(p))
                payload[name] = change
                self.assert401(self._get(h + "." + b64url(json.dumps(payload, separators=(",", ":"))) + "." + s))
        # flipping one signature bit
        sig = bytearray(gctest.b64url_decode(s))
        sig[0] ^= 1
        self.assert401(self._get(h + "." + p + "." + b64url(bytes(sig))))
        self.assert401(self._get(h + "." + p + "."))

    def test_time_claims(self):
        tenant = str(uuid.uuid4())
        now = int(time.time())
        self.assert401(self._get(self.tok(tenant, scopes=DMC_RW, now=now - 7200, ttl=3600)))  # expired 1 h ago
        self.assert401(self._get(self.tok(tenant, scopes=DMC_RW, nbf=now + 3600)))  # not valid for 1 h
        self.assert401(self._get(self.tok(tenant, scopes=DMC_RW, exp=DROP)))  # no expiry at all
        self.assert401(self._get(self.tok(tenant, scopes=DMC_RW, exp="tomorrow")))
        # within "a few minutes" of skew: accepted
        r = self._get(self.tok(tenant, scopes=DMC_RW, now=now - 3630, ttl=3600))  # expired 30 s ago
        self.assertEqual(r.status, 200, r)
        r = self._get(self.tok(tenant, scopes=DMC_RW, nbf=now + 30))
        self.assertEqual(r.status, 200, r)

    def test_audience(self):
        tenant = str(uuid.uuid4())
        for aud in ("https://example.com", "api://graphcerts", "", "https://graph.microsoft.com.evil.test"):
            with self.subTest(aud=aud):
                self.assert401(self._get(self.tok(tenant, scopes=DMC_RW, aud=aud)))
        self.assert401(self._get(self.tok(tenant, scopes=DMC_RW, aud=DROP)))
        for aud in ("https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000"):
            with self.subTest(aud=aud):
                r = self._get(self.tok(tenant, scopes=DMC_RW, aud=aud))
                self.assertEqual(r.status, 200, r)

    def test_tenant_claim(self):
        self.assert401(self._get(self.tok(str(uuid.uuid4()), scopes=DMC_RW, tid=DROP)))
        for tid in ("", "not-a-guid", 42, None, "../../etc", "00000000-0000-0000-0000-00000000000g"):
            with self.subTest(tid=tid):
                self.assert401(self._get(self.tok(str(uuid.uuid4()), scopes=DMC_RW, tid=tid)))

    def test_403_lists_sufficient_permissions(self):
        tenant = str(uuid.uuid4())
        tok = self.tok(tenant, scopes="User.Read Mail.Read")
        r = self.srv.request("GET", UPFX, token=tok)
        msg = self.assertGraphError(r, 403, "Forbidden")
        self.assertEqual(listed_perms(msg), {DMC_READ, DMC_RW}, msg)
        r = self.srv.request("POST", UPFX, upfx_body(), token=self.tok(tenant, scopes=DMC_READ))
        msg = self.assertGraphError(r, 403, "Forbidden")
        self.assertEqual(listed_perms(msg), {DMC_RW}, msg)
        r = self.srv.request("GET", ECSC, token=tok)
        msg = self.assertGraphError(r, 403, "Forbidden")
        self.assertEqual(listed_perms(msg), set(READ_PERMS[ECSC]), msg)
        r = self.srv.request("POST", ECSC_V1, {}, token=self.tok(tenant, scopes=DMC_RW))
        msg = self.assertGraphError(r, 403, "Forbidden")
        self.assertEqual(listed_perms(msg), {DMA_RW}, msg)
        # No scp and no roles at all: valid token, no permission.
        r = self.srv.request("GET", UPFX, token=self.tok(tenant))
        self.assertGraphError(r, 403, "Forbidden")

    def test_read_only_scope(self):
        tenant = str(uuid.uuid4())
        writer = gctest.Tenant(self.srv, tenant, scopes=DMC_RW)
        e = writer.create(UPFX)
        reader = gctest.Tenant(self.srv, tenant, scopes=DMC_READ)
        TokenLog.tokens += [writer.token, reader.token]
        self.assertEqual(reader.get(UPFX).status, 200)
        self.assertEqual(reader.get(UPFX + "/" + e["id"]).status, 200)
        self.assertCount(reader.get(UPFX + "/$count"), 1)
        self.assertGraphError(reader.post(UPFX, upfx_body()), 403, "Forbidden")
        self.assertGraphError(reader.patch(UPFX + "/" + e["id"], {"keyName": "x"}), 403, "Forbidden")
        self.assertGraphError(reader.delete(UPFX + "/" + e["id"]), 403, "Forbidden")
        self.assertEqual(writer.get(UPFX + "/" + e["id"]).json(), e)
        self.assertCount(writer.get(UPFX + "/$count"), 1)

    def test_application_roles(self):
        tenant = str(uuid.uuid4())
        app = gctest.Tenant(self.srv, tenant, token=self.tok(tenant, roles=[DMC_RW]))
        e = self.assertEntity(app.post(UPFX, upfx_body()), 201, UPFX, self.base)
        self.assertEqual(app.get(UPFX + "/" + e["id"]).status, 200)
        ro = gctest.Tenant(self.srv, tenant, token=self.tok(tenant, roles=[DMC_READ]))
        self.assertEqual(ro.get(UPFX).status, 200)
        msg = self.assertGraphError(ro.post(UPFX, upfx_body()), 403, "Forbidden")
        self.assertEqual(listed_perms(msg), {DMC_RW}, msg)

    def test_several_scopes_and_case(self):
        tenant = str(uuid.uuid4())
        t = gctest.Tenant(self.srv, tenant, token=self.tok(tenant, scopes="User.Read " + DMC_RW + " openid"))
        self.assertEqual(t.post(UPFX, upfx_body()).status, 201)
        t = gctest.Tenant(self.srv, tenant, token=self.tok(tenant, scopes=DMC_RW.lower()))
        self.assertEqual(t.post(UPFX, upfx_body()).status, 201)
        # A permission name only as a prefix of a scope does not count.
        t = gctest.Tenant(self.srv, tenant, token=self.tok(tenant, scopes=DMC_RW + "x"))
        self.assertGraphError(t.get(UPFX), 403, "Forbidden")

    def test_permission_table(self):
        tenant = str(uuid.uuid4())
        for perm in ALL_PERMS:
            t = gctest.Tenant(self.srv, tenant, token=self.tok(tenant, scopes=perm))
            for sp in ALL_SETS:
                with self.subTest(perm=perm, set=sp):
                    r = t.get(sp)
                    if perm in READ_PERMS[sp]:
                        self.assertEqual(r.status, 200, r)
                    else:
                        self.assertGraphError(r, 403, "Forbidden")
                    r = t.post(sp, create_body(sp))
                    if perm in WRITE_PERMS[sp]:
                        self.assertEqual(r.status, 201, r)
                        eid = r.json()["id"]
                        self.assertEqual(t.delete(sp + "/" + eid).status, 204)
                    else:
                        self.assertGraphError(r, 403, "Forbidden")

    @classmethod
    def tearDownClass(cls):
        # Once every test of the class has run and the server has exited (its log complete),
        # no token it was sent appears in the log: not whole, nor its payload or signature.
        cls.srv.stop()
        log = cls.srv.log_text()
        cls.srv.finish()
        TokenLog.check_not_logged(log, at_least=20)


class JWKS(gctest.GCTestCase):
    """A server with RSA and EC keys in a JWKS file (and the HS256 secret too)."""

    @classmethod
    def setUpClass(cls):
        d = os.path.join(gctest.TMP_ROOT)
        os.makedirs(d, exist_ok=True)
        cls.keydir = gctest.tempfile.mkdtemp(prefix="e2e-jwks-keys-", dir=d)
        cls.rsa = gctest.KeyPair(cls.keydir, "rsa", "rsa-key-1")
        cls.ec = gctest.KeyPair(cls.keydir, "ec", "ec-key-1")
        cls.rsa_other = gctest.KeyPair(cls.keydir, "rsa", "rsa-key-1")  # same kid, other key
        cls.ec_other = gctest.KeyPair(cls.keydir, "ec", "ec-key-1")
        jwks = gctest.write_jwks(os.path.join(cls.keydir, "jwks.json"), [cls.rsa, cls.ec])
        cls.srv = gctest.Server("JWKS", jwks=jwks)
        try:
            cls.srv.start()
        except Exception:
            cls.srv.stop(gctest.signal.SIGKILL)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        log = cls.srv.log_text()
        cls.srv.finish()
        TokenLog.check_not_logged(log, at_least=5)
        if not gctest.KEEP_TMP:
            gctest.shutil.rmtree(cls.keydir, ignore_errors=True)

    def _get(self, token):
        TokenLog.tokens.append(token)
        return self.srv.request("GET", UPFX, token=token)

    def test_rs256_and_es256_accepted(self):
        tenant = str(uuid.uuid4())
        for key in (self.rsa, self.ec):
            with self.subTest(alg=key.alg):
                tok = key.token(claims(tenant, scopes=DMC_RW))
                r = self._get(tok)
                self.assertEqual(r.status, 200, r)
                r = self.srv.request("POST", UPFX, upfx_body(), token=tok)
                self.assertEqual(r.status, 201, r)
        r = self._get(self.rsa.token(claims(tenant, roles=[DMC_READ])))
        self.assertEqual(len(r.json()["value"]), 2)

    def test_other_key_same_kid_401(self):
        tenant = str(uuid.uuid4())
        for key in (self.rsa_other, self.ec_other):
            with self.subTest(alg=key.alg):
                self.assertGraphError(self._get(key.token(claims(tenant, scopes=DMC_RW))), 401,
                                      "InvalidAuthenticationToken")

    def test_unknown_kid_401(self):
        tenant = str(uuid.uuid4())
        c = claims(tenant, scopes=DMC_RW)
        self.assertGraphError(self._get(self.rsa.token(c, kid="no-such-kid")), 401, "InvalidAuthenticationToken")

    def test_alg_mismatch_with_key_401(self):
        tenant = str(uuid.uuid4())
        c = claims(tenant, scopes=DMC_RW)
        # RSA signature, but the header names the EC key (and ES256)
        self.assertGraphError(self._get(self.rsa.token(c, kid=self.ec.kid, alg="ES256")), 401,
                              "InvalidAuthenticationToken")
        # RSA key's kid, header says ES256
        self.assertGraphError(self._get(self.rsa.token(c, alg="ES256")), 401, "InvalidAuthenticationToken")
        # EC signature under the RSA kid
        self.assertGraphError(self._get(self.ec.token(c, kid=self.rsa.kid)), 401, "InvalidAuthenticationToken")
        # RS256 with PS/RS384 names
        self.assertGraphError(self._get(self.rsa.token(c, alg="RS384")), 401, "InvalidAuthenticationToken")
        # HS256 keyed with the RSA public key (classic confusion), under the RSA kid
        for secret in (self.rsa.public_pem, self.rsa.public_pem.strip()):
            tok = jwt_hs256(secret, c, header={"alg": "HS256", "typ": "JWT", "kid": self.rsa.kid})
            self.assertGraphError(self._get(tok), 401, "InvalidAuthenticationToken")
        # alg none under a real kid
        si = jwt_signing_input({"alg": "none", "kid": self.rsa.kid}, c)
        self.assertGraphError(self._get(si + "."), 401, "InvalidAuthenticationToken")

    def test_es256_der_signature_or_tampered_401(self):
        tenant = str(uuid.uuid4())
        c = claims(tenant, scopes=DMC_RW)
        good = self.ec.token(c)
        h, p, s = good.split(".")
        # JWS (RFC 7518 3.4) wants R||S; the DER form openssl makes is not a valid ES256 signature
        der = gctest._run(["openssl", "dgst", "-sha256", "-sign", self.ec.path], (h + "." + p).encode())
        self.assertGraphError(self._get(h + "." + p + "." + b64url(der)), 401, "InvalidAuthenticationToken")
        raw = bytearray(gctest.b64url_decode(s))
        raw[-1] ^= 1
        self.assertGraphError(self._get(h + "." + p + "." + b64url(bytes(raw))), 401,
                              "InvalidAuthenticationToken")
        other = dict(c, tid=str(uuid.uuid4()))
        p2 = b64url(json.dumps(other, separators=(",", ":")))
        self.assertGraphError(self._get(h + "." + p2 + "." + s), 401, "InvalidAuthenticationToken")
        # an expired RS256 token
        self.assertGraphError(self._get(self.rsa.token(claims(tenant, scopes=DMC_RW, now=int(time.time()) - 7200))),
                              401, "InvalidAuthenticationToken")

    def test_hs256_still_works(self):
        tenant = str(uuid.uuid4())
        r = self._get(self.srv.mint(tenant, scopes=DMC_READ))
        self.assertEqual(r.status, 200, r)



if __name__ == "__main__":
    gctest.main()
