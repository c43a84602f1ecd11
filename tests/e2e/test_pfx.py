"""The PFX import tool for Linux (issue 10, points 2-5): `graphcerts pfx keygen`, `pfx import`
(--dry-run and against a running graphcerts, create and update in place, Retry-After on 503)
and `pfx decrypt-password`. Certificates, keys and PFX files (modern AES, legacy RC2 + 3DES,
3DES with a SHA-1 MAC) are made with the openssl command at test time; the dry-run JSON is
checked field by field against openssl's own view of the certificate, and the encrypted
password is decrypted both by graphcerts and by `openssl pkeyutl`."""
import base64
import calendar
import json
import os
import socket
import stat
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import BIN, UPFX, dt_instant, user_pfx_id  # noqa: E402

PASSWORD = "Pa55 w0rd-\u00e9t\u00e9 'quoted'"  # a space, quotes and Latin-1 letters
FIELDS = ["thumbprint", "intendedPurpose", "userPrincipalName", "startDateTime",
          "expirationDateTime", "providerName", "keyName", "paddingScheme", "encryptedPfxBlob",
          "encryptedPfxPassword", "createdDateTime", "lastModifiedDateTime"]
PADDINGS = {"oaepSha256": ("OaepSha256", "sha256"), "oaepSha384": ("OaepSha384", "sha384"),
            "oaepSha512": ("OaepSha512", "sha512")}
PURPOSES = {"unassigned": "Unassigned", "smimeEncryption": "SmimeEncryption",
            "smimeSigning": "SmimeSigning", "vpn": "VPN", "wifi": "Wifi"}


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def openssl(*args, data=None):
    r = subprocess.run(["openssl"] + list(args), input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), r.stderr.decode(errors="replace")))
    return r.stdout


def gc(*args, stdin=None):
    """Runs graphcerts; returns (exit code, stdout, stderr) as text."""
    r = subprocess.run([BIN] + list(args), input=stdin.encode() if stdin is not None else None,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def openssl_date(pem, which):
    """openssl x509 -startdate/-enddate as '+00:00' date-time text (what the tool writes)."""
    out = openssl("x509", "-in", pem, "-noout", "-" + which).decode().strip()
    t = time.strptime(out.split("=", 1)[1], "%b %d %H:%M:%S %Y GMT")
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", t), calendar.timegm(t)


class Material:
    """Keys, a certificate and PFX files in one scratch directory."""

    def __init__(self, d):
        self.d = d
        self.pw = self.path("pw.txt")
        with open(self.pw, "w", encoding="utf-8") as f:
            f.write(PASSWORD + "\n")
        self.key, self.cert = self.path("user.key"), self.path("user.pem")
        openssl("req", "-x509", "-nodes", "-newkey", "rsa:2048", "-days", "400", "-keyout", self.key,
                "-out", self.cert, "-subj", "/O=Contoso/CN=Alice Example",
                "-addext", "extendedKeyUsage=emailProtection")
        fp = openssl("x509", "-in", self.cert, "-noout", "-fingerprint", "-sha1").decode()
        self.thumbprint = fp.strip().split("=", 1)[1].replace(":", "").lower()
        self.start, self.start_unix = openssl_date(self.cert, "startdate")
        self.end, self.end_unix = openssl_date(self.cert, "enddate")
        # another certificate, listed first in the PFX: the tool must take the key's own
        other_key, other = self.path("other.key"), self.path("other.pem")
        openssl("req", "-x509", "-nodes", "-newkey", "rsa:2048", "-days", "30", "-keyout", other_key,
                "-out", other, "-subj", "/CN=Some CA")
        both = self.path("both.pem")
        with open(both, "wb") as f:
            f.write(read_bytes(other) + read_bytes(self.cert))
        self.pfx = {}
        for name, extra in (("modern", []), ("legacy", ["-legacy"]),
                            ("3des", ["-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES",
                                      "-macalg", "sha1"])):
            self.pfx[name] = self.export(name, both, extra)

    def path(self, name):
        return os.path.join(self.d, name)

    def export(self, name, certs, extra):
        out = self.path(name + ".pfx")
        openssl("pkcs12", "-export", "-in", certs, "-inkey", self.key, "-passout", "file:" + self.pw,
                "-out", out, *extra)
        return out


def pbe_of(pfx, pw):
    """openssl's description of a PFX's encryption (to show the legacy files are legacy)."""
    r = subprocess.run(["openssl", "pkcs12", "-in", pfx, "-info", "-noout", "-passin",
                        "file:" + pw, "-legacy"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    return (r.stdout + r.stderr).decode(errors="replace")


class PfxTool(gctest.ServerTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = cls.srv.dir
        cls.m = Material(d)
        cls.priv, cls.pub = os.path.join(d, "customer.key"), os.path.join(d, "customer.pub")
        code, out, err = gc("pfx", "keygen", "--private-key-out", cls.priv, "--public-key-out", cls.pub)
        if code != 0:
            raise RuntimeError("keygen: %s" % err)
        cls.tenant = cls.srv.tenant()
        cls.token_file = os.path.join(d, "token")
        with open(cls.token_file, "w") as f:
            f.write(cls.tenant.token + "\n")

    def import_args(self, pfx=None, upn="alice@contoso.example", *extra):
        return ["pfx", "import", pfx or self.m.pfx["modern"], "--password-file", self.m.pw,
                "--upn", upn, "--public-key", self.pub] + list(extra)

    def dry_run(self, *extra, pfx=None, upn="alice@contoso.example"):
        code, out, err = gc(*self.import_args(pfx, upn, "--dry-run", *extra))
        self.assertEqual(code, 0, err)
        self.assertEqual(err, "")
        self.assertNotIn(PASSWORD, out)
        return json.loads(out, object_pairs_hook=lambda kv: dict(kv) if len(kv) == len(
            {k for k, _ in kv}) else self.fail("duplicate keys"))

    def decrypt(self, wrapped, padding):
        code, out, err = gc("pfx", "decrypt-password", "--private-key", self.priv, "--padding",
                            padding, stdin=wrapped + "\n")
        self.assertEqual(code, 0, err)
        return out

    def openssl_decrypt(self, wrapped, md):
        return openssl("pkeyutl", "-decrypt", "-inkey", self.priv, "-pkeyopt",
                       "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:" + md, "-pkeyopt",
                       "rsa_mgf1_md:" + md, data=base64.b64decode(wrapped))

    # ---- keygen

    def test_keygen_files_and_modes(self):
        self.assertEqual(stat.S_IMODE(os.stat(self.priv).st_mode), 0o600)
        umask = os.umask(0)
        os.umask(umask)
        self.assertEqual(stat.S_IMODE(os.stat(self.pub).st_mode), 0o644 & ~umask)
        self.assertIn(b"-----BEGIN PRIVATE KEY-----", read_bytes(self.priv))
        self.assertIn(b"-----BEGIN PUBLIC KEY-----", read_bytes(self.pub))
        # the two halves belong together, by openssl
        self.assertEqual(openssl("pkey", "-in", self.priv, "-pubout"), read_bytes(self.pub))
        self.assertIn(b"Private-Key: (2048 bit", openssl("pkey", "-in", self.priv, "-noout", "-text"))

    def test_keygen_bits(self):
        d = self.srv.dir
        for bits in (3072, 4096):
            with self.subTest(bits=bits):
                priv, pub = os.path.join(d, "k%d" % bits), os.path.join(d, "k%d.pub" % bits)
                code, out, err = gc("pfx", "keygen", "--private-key-out", priv, "--public-key-out",
                                    pub, "--bits", str(bits))
                self.assertEqual((code, err), (0, ""))
                self.assertEqual(out, "RSA-%d key pair: private key %s (mode 0600), public key %s\n"
                                 % (bits, priv, pub))
                self.assertIn(b"Private-Key: (%d bit" % bits,
                              openssl("pkey", "-in", priv, "-noout", "-text"))
                self.assertEqual(stat.S_IMODE(os.stat(priv).st_mode), 0o600)
        for bits in ("1024", "2500", "8192", "x"):
            with self.subTest(bits=bits):
                priv = os.path.join(d, "bad-%s" % bits)
                code, out, err = gc("pfx", "keygen", "--private-key-out", priv, "--public-key-out",
                                    priv + ".pub", "--bits", bits)
                self.assertEqual(code, 2, err)
                self.assertIn("--bits", err)
                self.assertFalse(os.path.exists(priv))

    def test_keygen_never_overwrites(self):
        d = self.srv.dir
        existing = os.path.join(d, "existing")
        with open(existing, "w") as f:
            f.write("keep me")
        fresh = os.path.join(d, "fresh-%s" % uuid.uuid4().hex[:6])
        # private key file exists: nothing is written at all
        code, out, err = gc("pfx", "keygen", "--private-key-out", existing, "--public-key-out", fresh)
        self.assertEqual(code, 1)
        self.assertEqual(err, "graphcerts pfx keygen: cannot create '%s': File exists "
                              "(keygen never overwrites a file)\n" % existing)
        self.assertFalse(os.path.exists(fresh))
        # public key file exists: the private key just written is removed again
        code, out, err = gc("pfx", "keygen", "--private-key-out", fresh, "--public-key-out", existing)
        self.assertEqual(code, 1)
        self.assertIn("cannot create '%s': File exists" % existing, err)
        self.assertFalse(os.path.exists(fresh))
        self.assertEqual(read_bytes(existing).decode(), "keep me")
        code, out, err = gc("pfx", "keygen", "--private-key-out", fresh)
        self.assertEqual(code, 2)
        self.assertIn("--private-key-out and --public-key-out are required", err)

    # ---- dry run

    def test_dry_run_field_by_field(self):
        for kind in ("modern", "legacy", "3des"):
            with self.subTest(pfx=kind):
                before = time.time()
                j = self.dry_run(pfx=self.m.pfx[kind])
                self.assertEqual(list(j.keys()), FIELDS)
                self.assertEqual(j["thumbprint"], self.m.thumbprint)
                self.assertEqual(j["intendedPurpose"], "Unassigned")
                self.assertEqual(j["userPrincipalName"], "alice@contoso.example")
                self.assertEqual(j["startDateTime"], self.m.start)
                self.assertEqual(j["expirationDateTime"], self.m.end)
                self.assertIsNone(j["providerName"])
                self.assertIsNone(j["keyName"])
                self.assertEqual(j["paddingScheme"], "OaepSha512")
                self.assertEqual(base64.b64decode(j["encryptedPfxBlob"]),
                                 read_bytes(self.m.pfx[kind]))
                self.assertEqual(self.decrypt(j["encryptedPfxPassword"], "oaepSha512"), PASSWORD + "\n")
                self.assertEqual(j["createdDateTime"], j["lastModifiedDateTime"])
                self.assertRegex(j["createdDateTime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?\+00:00$")
                self.assertGreaterEqual(dt_instant(j["createdDateTime"]), before - 1)
                self.assertLessEqual(dt_instant(j["createdDateTime"]), time.time() + 1)

    def test_legacy_files_really_are_legacy(self):
        legacy = pbe_of(self.m.pfx["legacy"], self.m.pw)
        self.assertIn("pbeWithSHA1And40BitRC2-CBC", legacy)
        self.assertIn("pbeWithSHA1And3-KeyTripleDES-CBC", legacy)
        des = pbe_of(self.m.pfx["3des"], self.m.pw)
        self.assertIn("MAC: sha1", des)
        self.assertEqual(des.count("pbeWithSHA1And3-KeyTripleDES-CBC"), 2, des)
        self.assertIn("AES", pbe_of(self.m.pfx["modern"], self.m.pw))

    def test_dry_run_options(self):
        j = self.dry_run("--provider-name", "Microsoft Software Key Storage Provider",
                         "--key-name", "PFXEncryptionKey", "--padding", "OAEPSHA384",
                         upn="o'brien@contoso.example")
        self.assertEqual(j["providerName"], "Microsoft Software Key Storage Provider")
        self.assertEqual(j["keyName"], "PFXEncryptionKey")
        self.assertEqual(j["paddingScheme"], "OaepSha384")
        self.assertEqual(j["userPrincipalName"], "o'brien@contoso.example")
        for given, wire in PURPOSES.items():
            with self.subTest(purpose=given):
                self.assertEqual(self.dry_run("--purpose", given)["intendedPurpose"], wire)

    def test_password_round_trip_every_padding(self):
        for kind in ("modern", "legacy"):
            for padding, (wire, md) in PADDINGS.items():
                with self.subTest(pfx=kind, padding=padding):
                    j = self.dry_run("--padding", padding, pfx=self.m.pfx[kind])
                    self.assertEqual(j["paddingScheme"], wire)
                    wrapped = j["encryptedPfxPassword"]
                    self.assertEqual(len(base64.b64decode(wrapped)), 256)  # one RSA-2048 block
                    self.assertEqual(self.decrypt(wrapped, padding), PASSWORD + "\n")
                    # openssl agrees on OAEP's parameters; the bytes are Latin-1, one a character
                    self.assertEqual(self.openssl_decrypt(wrapped, md), PASSWORD.encode("latin-1"))
                    # another hash does not decrypt it
                    other = "oaepSha256" if padding != "oaepSha256" else "oaepSha512"
                    code, out, err = gc("pfx", "decrypt-password", "--private-key", self.priv,
                                        "--padding", other, stdin=wrapped)
                    self.assertEqual((code, out), (1, ""))
                    self.assertIn("RSA-OAEP decryption failed", err)

    def test_public_key_forms(self):
        d = self.srv.dir
        der = os.path.join(d, "customer.pub.der")
        with open(der, "wb") as f:
            f.write(openssl("pkey", "-pubin", "-in", self.pub, "-outform", "DER"))
        pkcs1 = os.path.join(d, "customer.rsapub.pem")
        with open(pkcs1, "wb") as f:
            f.write(openssl("rsa", "-pubin", "-in", self.pub, "-RSAPublicKey_out"))
        # Windows' BCRYPT_RSAPUBLIC_BLOB (Export-IntunePublicKey), built from openssl's numbers
        text = openssl("rsa", "-pubin", "-in", self.pub, "-noout", "-text").decode()
        hexmod = "".join(text.split("Modulus:")[1].split("Exponent:")[0].split()).replace(":", "")
        n = bytes.fromhex(hexmod).lstrip(b"\0")
        e = (65537).to_bytes(3, "big")
        blob = os.path.join(d, "customer.blob")
        with open(blob, "wb") as f:
            f.write(b"RSA1" + (2048).to_bytes(4, "little") + len(e).to_bytes(4, "little") +
                    len(n).to_bytes(4, "little") + bytes(8) + e + n)
        for name, path in (("DER", der), ("PKCS#1", pkcs1), ("RSAPUBLICBLOB", blob)):
            with self.subTest(form=name):
                code, out, err = gc("pfx", "import", self.m.pfx["modern"], "--password-file",
                                    self.m.pw, "--upn", "a@b.example", "--public-key", path, "--dry-run")
                self.assertEqual(code, 0, err)
                wrapped = json.loads(out)["encryptedPfxPassword"]
                self.assertEqual(self.decrypt(wrapped, "oaepSha512"), PASSWORD + "\n")

    def test_the_certificate_matching_the_key_is_taken(self):
        # both.pem lists another certificate first; openssl confirms the PFX holds two
        info = pbe_of(self.m.pfx["modern"], self.m.pw)
        self.assertEqual(info.count("Certificate bag"), 2, info)
        self.assertEqual(self.dry_run()["thumbprint"], self.m.thumbprint)

    # ---- failures

    def assert_fails(self, args, code, message, stdin=None):
        got, out, err = gc(*args, stdin=stdin)
        self.assertEqual(got, code, err)
        self.assertEqual(out, "")
        self.assertIn(message, err)
        self.assertNotIn(PASSWORD, err)
        self.assertNotIn(self.tenant.token, err)
        return err

    def test_refused_paddings(self):
        for padding in ("pkcs1", "oaepSha1", "OAEPSHA1"):
            with self.subTest(padding=padding):
                err = self.assert_fails(self.import_args(None, "a@b.example", "--dry-run",
                                                         "--padding", padding), 2,
                                        "is no longer supported by Intune; use oaepSha256, "
                                        "oaepSha384 or oaepSha512")
                self.assertEqual(err.count("\n"), 1)
        self.assert_fails(self.import_args(None, "a@b.example", "--dry-run", "--padding", "rsa"), 2,
                          "unknown padding 'rsa'")
        self.assert_fails(["pfx", "decrypt-password", "--private-key", self.priv, "--padding",
                           "pkcs1"], 2, "padding pkcs1 is no longer supported", stdin="AA==")

    def test_wrong_password(self):
        wrong = os.path.join(self.srv.dir, "wrong.txt")
        with open(wrong, "w") as f:
            f.write(PASSWORD[:-1] + "\n")
        for kind, path in self.m.pfx.items():
            with self.subTest(pfx=kind):
                err = self.assert_fails(["pfx", "import", path, "--password-file", wrong, "--upn",
                                         "a@b.example", "--public-key", self.pub, "--dry-run"], 1,
                                        "wrong password: the PFX's integrity check (MAC) fails with it")
                self.assertNotIn(PASSWORD[:-1], err)
                self.assertEqual(err, "graphcerts pfx import: %s: wrong password: the PFX's "
                                      "integrity check (MAC) fails with it\n" % path)

    def test_not_a_pfx(self):
        d = self.srv.dir
        text = os.path.join(d, "notes.txt")
        with open(text, "w") as f:
            f.write("hello, not a PFX\n")
        for path, why in ((self.m.cert, "not a PFX (PKCS#12) file: "),
                          (text, "not a PFX (PKCS#12) file: "),
                          (self.m.pw, "not a PFX (PKCS#12) file: ")):
            with self.subTest(path=os.path.basename(path)):
                self.assert_fails(self.import_args(path, "a@b.example", "--dry-run"), 1,
                                  "graphcerts pfx import: %s: %s" % (path, why))
        self.assert_fails(self.import_args(os.path.join(d, "missing.pfx"), "a@b.example", "--dry-run"),
                          1, "cannot read PFX file '%s': No such file or directory"
                          % os.path.join(d, "missing.pfx"))
        nokey = self.m.export("nokey", self.m.cert, ["-nokeys"])
        self.assert_fails(self.import_args(nokey, "a@b.example", "--dry-run"), 1,
                          "the PFX holds no private key")
        nomac = self.m.export("nomac", self.m.cert, ["-nomac"])
        self.assert_fails(self.import_args(nomac, "a@b.example", "--dry-run"), 1,
                          "the PFX has no integrity check (MAC)")
        self.assert_fails(["pfx", "import", self.m.pfx["modern"], "--password-file", self.m.pw,
                           "--upn", "a@b.example", "--public-key", self.priv, "--dry-run"], 1,
                          "not an RSA public key")

    def test_command_line_errors(self):
        base = self.import_args(None, "a@b.example")
        for extra, message in (
                ([], "give exactly one of --dry-run or --url"),
                (["--dry-run", "--url", "http://127.0.0.1:1/beta", "--token-file", self.token_file],
                 "give exactly one of --dry-run or --url"),
                (["--url", "http://127.0.0.1:1/beta"], "--url needs --token-file"),
                (["--dry-run", "--update"], "go with --url, not --dry-run"),
                (["--dry-run", "--purpose", "email"], "unknown purpose 'email'"),
                (["--dry-run", "--bogus"], "unknown option '--bogus'"),
                (["--dry-run", "extra.pfx"], "unexpected argument 'extra.pfx'")):
            with self.subTest(extra=extra):
                self.assert_fails(base + extra, 2, message)
        self.assert_fails(["pfx", "import", "--dry-run"], 2, "FILE is required")
        self.assert_fails(["pfx", "frobnicate"], 2, "unknown verb 'frobnicate'")
        self.assert_fails(["pfx", "decrypt-password", "--private-key", self.priv], 1,
                          "stdin does not hold base64", stdin="not base64!")

    # ---- against a running graphcerts

    def url(self):
        return self.srv.base + "/beta"

    def stored_secrets(self, entity_id):
        """The write-only values as stored: never answered over HTTP, so read from the database."""
        rows = self.srv.query("SELECT encrypted_pfx_blob, encrypted_pfx_password "
                              "FROM user_pfx_certificates WHERE id = ?", (entity_id,))
        return rows[0] if rows else None

    def test_import_then_update_in_place(self):
        upn = "Alice.%s@Contoso.example" % uuid.uuid4().hex[:6]
        want_id = user_pfx_id(self.tenant.id, upn, self.m.thumbprint)
        code, out, err = gc(*self.import_args(self.m.pfx["legacy"], upn, "--url", self.url(),
                                              "--token-file", self.token_file, "--purpose",
                                              "smimeEncryption", "--provider-name", "KSP",
                                              "--key-name", "key-1", "--padding", "oaepSha256"))
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(out, want_id + "\n")
        e = self.tenant.get(UPFX + "/" + want_id).json()
        self.assertEqual(e["thumbprint"], self.m.thumbprint)
        self.assertEqual(e["userPrincipalName"], upn)
        self.assertEqual(e["intendedPurpose"], "smimeEncryption")
        self.assertEqual(e["paddingScheme"], "oaepSha256")
        self.assertEqual((e["providerName"], e["keyName"]), ("KSP", "key-1"))
        self.assertEqual(dt_instant(e["startDateTime"]), self.m.start_unix)
        self.assertEqual(dt_instant(e["expirationDateTime"]), self.m.end_unix)
        self.assertEqual((e["encryptedPfxBlob"], e["encryptedPfxPassword"]), ("AA==", ""))
        blob, wrapped = self.stored_secrets(want_id)
        self.assertEqual(blob, read_bytes(self.m.pfx["legacy"]))
        self.assertEqual(self.decrypt(wrapped, "oaepSha256"), PASSWORD + "\n")

        # the same again is a conflict, reported with Graph's own words
        code, out, err = gc(*self.import_args(self.m.pfx["legacy"], upn, "--url", self.url(),
                                              "--token-file", self.token_file))
        self.assertEqual((code, out), (3, ""))
        self.assertRegex(err, r"^graphcerts pfx import: POST %s/deviceManagement/userPfxCertificates "
                              r"answered 409 Conflict: .+ \(request-id [0-9a-f-]{36}\)\n$" % self.url())

        # --update: PATCH of the record the user lookup names, in place
        code, out, err = gc(*self.import_args(self.m.pfx["modern"], upn, "--url", self.url() + "/",
                                              "--token-file", self.token_file, "--update",
                                              "--purpose", "vpn", "--key-name", "key-2"))
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(out, want_id + "\n")
        u = self.tenant.get(UPFX + "/" + want_id).json()
        self.assertEqual(u["intendedPurpose"], "vpn")
        self.assertEqual(u["paddingScheme"], "oaepSha512")
        # the whole record is sent, as Microsoft's tool does: no --provider-name is a null
        self.assertEqual((u["providerName"], u["keyName"]), (None, "key-2"))
        self.assertEqual(u["createdDateTime"], e["createdDateTime"])
        self.assertGreater(dt_instant(u["lastModifiedDateTime"]), dt_instant(e["lastModifiedDateTime"]))
        blob, wrapped = self.stored_secrets(want_id)
        self.assertEqual(blob, read_bytes(self.m.pfx["modern"]))
        self.assertEqual(self.decrypt(wrapped, "oaepSha512"), PASSWORD + "\n")
        self.assertEqual(self.tenant.get(UPFX + "/$count?$filter=userPrincipalName%%20eq%%20'%s'"
                                         % upn).text, "1")

    def test_update_of_a_missing_record(self):
        upn = "nobody-%s@contoso.example" % uuid.uuid4().hex[:6]
        want_id = user_pfx_id(self.tenant.id, upn, self.m.thumbprint)
        err = self.assert_fails(self.import_args(None, upn, "--url", self.url(), "--token-file",
                                                 self.token_file, "--update"), 3,
                                "PATCH %s/deviceManagement/userPfxCertificates(%s) answered 404 "
                                "ResourceNotFound" % (self.url(), want_id))
        self.assertEqual(err.count("\n"), 1)

    def test_service_refusals(self):
        bad = os.path.join(self.srv.dir, "bad-token")
        with open(bad, "w") as f:
            f.write("not.a.token\n")
        self.assert_fails(self.import_args(None, "a@b.example", "--url", self.url(), "--token-file",
                                           bad), 3, "answered 401 InvalidAuthenticationToken")
        port = gctest.Server.free_port()
        self.assert_fails(self.import_args(None, "a@b.example", "--url",
                                           "http://127.0.0.1:%d/beta" % port, "--token-file",
                                           self.token_file), 3,
                          "POST http://127.0.0.1:%d/beta/deviceManagement/userPfxCertificates "
                          "failed: " % port)


class PfxImportRetry(gctest.ServerTest):
    """A 503 with Retry-After (graphcerts' answer when request bodies hold all the memory
    --max-body-memory allows) is waited out and the request sent again."""
    server_kwargs = {"args": ["--max-body-memory", "65536"]}

    def test_retry_after_503(self):
        d = self.srv.dir
        m = Material(d)
        priv, pub = os.path.join(d, "k"), os.path.join(d, "k.pub")
        self.assertEqual(gc("pfx", "keygen", "--private-key-out", priv, "--public-key-out", pub)[0], 0)
        t = self.srv.tenant()
        token_file = os.path.join(d, "token")
        with open(token_file, "w") as f:
            f.write(t.token)
        # a client that has sent 64,000 of the 65,000 body bytes it announced holds the memory
        hog = socket.create_connection(("127.0.0.1", self.srv.port), timeout=30)
        head = ("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: "
                "application/json\r\nContent-Length: 65000\r\n\r\n" % (UPFX, t.token))
        hog.sendall(head.encode() + b" " * 64000)
        upn = "retry-%s@contoso.example" % uuid.uuid4().hex[:6]
        proc = subprocess.Popen([BIN, "pfx", "import", m.pfx["modern"], "--password-file", m.pw,
                                 "--upn", upn, "--public-key", pub, "--url", self.base + "/beta",
                                 "--token-file", token_file], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            line = proc.stderr.readline().decode()  # waits for the event, not for a time
            self.assertEqual(line, "graphcerts pfx import: POST answered 503; retrying in 1 s "
                                   "(retry 1 of 4)\n")
            hog.close()  # the memory is freed
            out, err = proc.communicate(timeout=60)
        finally:
            hog.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(out.decode(), user_pfx_id(t.id, upn, m.thumbprint) + "\n")
        self.assertEqual(t.count(UPFX), 1)

    def test_retries_are_bounded(self):
        d = self.srv.dir
        m = Material(d)
        priv, pub = os.path.join(d, "k2"), os.path.join(d, "k2.pub")
        self.assertEqual(gc("pfx", "keygen", "--private-key-out", priv, "--public-key-out", pub)[0], 0)
        t = self.srv.tenant()
        token_file = os.path.join(d, "token2")
        with open(token_file, "w") as f:
            f.write(t.token)
        hog = socket.create_connection(("127.0.0.1", self.srv.port), timeout=30)
        head = ("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: "
                "application/json\r\nContent-Length: 65000\r\n\r\n" % (UPFX, t.token))
        hog.sendall(head.encode() + b" " * 64000)
        try:
            code, out, err = gc("pfx", "import", m.pfx["modern"], "--password-file", m.pw, "--upn",
                                "x@contoso.example", "--public-key", pub, "--url", self.base + "/beta",
                                "--token-file", token_file, "--retries", "1")
        finally:
            hog.close()
        self.assertEqual((code, out), (3, ""))
        lines = err.splitlines()
        self.assertEqual(lines[0], "graphcerts pfx import: POST answered 503; retrying in 1 s (retry 1 of 1)")
        self.assertRegex(lines[1], r"^graphcerts pfx import: POST .* answered 503 ServiceUnavailable: ")
        self.assertEqual(len(lines), 2)


class PfxImportTls(gctest.ServerTest):
    """https: the server's certificate is trusted through --ca-file, and refused without it."""
    server_kwargs = {"tls": True}

    def test_ca_file(self):
        d = self.srv.dir
        m = Material(d)
        priv, pub = os.path.join(d, "k"), os.path.join(d, "k.pub")
        self.assertEqual(gc("pfx", "keygen", "--private-key-out", priv, "--public-key-out", pub)[0], 0)
        t = self.srv.tenant()
        token_file = os.path.join(d, "token")
        with open(token_file, "w") as f:
            f.write(t.token)
        upn = "tls@contoso.example"
        args = ["pfx", "import", m.pfx["modern"], "--password-file", m.pw, "--upn", upn,
                "--public-key", pub, "--url", self.base + "/beta", "--token-file", token_file]
        code, out, err = gc(*args)
        self.assertEqual((code, out), (3, ""))
        self.assertIn("POST %s/beta/deviceManagement/userPfxCertificates failed: " % self.base, err)
        self.assertIn("certificate", err)
        self.assertEqual(t.count(UPFX), 0)
        code, out, err = gc(*(args + ["--ca-file", self.srv.tls_files[0]]))
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(out, user_pfx_id(t.id, upn, m.thumbprint) + "\n")
        self.assertEqual(t.count(UPFX), 1)


if __name__ == "__main__":
    gctest.main()
