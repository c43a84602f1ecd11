"""enterpriseCodeSigningCertificate uploads (issue 10, point 1; contract section 1.3): X.509
`content` as base64 of DER or of PEM text, by create and by update; a certificate whose extended
key usage leaves out code signing is a 400 with the reason; content that looks like a
certificate (PEM armour, a DER SEQUENCE) but does not parse is a 400 naming the parse error;
anything else is stored as given. Certificates are made with the openssl command at test time."""
import base64
import calendar
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import ECSC, ECSC_V1, dt_instant  # noqa: E402

PARSE = "The content looks like an X.509 certificate but does not parse: "


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def openssl(*args, data=None):
    r = subprocess.run(["openssl"] + list(args), input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60, check=True)
    return r.stdout


def b64(data):
    return base64.b64encode(data).decode()


class Cert:
    """A self-signed RSA certificate with the given extensions: PEM and DER bytes, and what
    openssl says its notAfter is."""

    def __init__(self, d, name, cn, *exts):
        key, pem = os.path.join(d, name + ".key"), os.path.join(d, name + ".pem")
        args = ["req", "-x509", "-nodes", "-newkey", "rsa:2048", "-days", "90", "-keyout", key,
                "-out", pem, "-subj", "/O=Contoso Ltd/CN=" + cn]
        for e in exts:
            args += ["-addext", e]
        openssl(*args)
        self.pem = read_bytes(pem)
        self.key_pem = read_bytes(key)
        self.der = openssl("x509", "-in", pem, "-outform", "DER")
        end = openssl("x509", "-in", pem, "-noout", "-enddate").decode().strip()
        self.not_after = calendar.timegm(time.strptime(end.split("=", 1)[1], "%b %d %H:%M:%S %Y GMT"))
        self.cn = cn


class CodeSigningUploads(gctest.ServerTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = cls.srv.dir
        cls.signing = Cert(d, "signing", "Contoso Code Signing", "extendedKeyUsage=codeSigning")
        cls.no_eku = Cert(d, "noeku", "No EKU At All")
        cls.any_eku = Cert(d, "anyeku", "Any Purpose", "extendedKeyUsage=anyExtendedKeyUsage")
        cls.tls = Cert(d, "tls", "www.contoso.example", "extendedKeyUsage=serverAuth,clientAuth")
        cls.custom = Cert(d, "custom", "Custom EKU", "extendedKeyUsage=1.2.3.4.5,emailProtection")

    def forms(self, cert):
        return (("DER", b64(cert.der)), ("PEM", b64(cert.pem)))

    def assert_provisioned(self, e, cert):
        self.assertEqual(e["status"], "provisioned")
        self.assertIsNone(e["content"])
        self.assertEqual(e["subjectName"], cert.cn)
        self.assertEqual(e["subject"], "CN=%s, O=Contoso Ltd" % cert.cn)
        self.assertEqual(e["issuerName"], cert.cn)
        self.assertEqual(dt_instant(e["expirationDateTime"]), float(cert.not_after))
        self.assertRecent(e["uploadDateTime"], slack=120)

    # ---- accepted

    def test_create_der_and_pem(self):
        t = self.srv.tenant()
        for cert in (self.signing, self.no_eku, self.any_eku):
            for form, content in self.forms(cert):
                with self.subTest(cn=cert.cn, form=form):
                    e = self.assertEntity(t.post(ECSC, {"content": content}), 201, ECSC, self.base)
                    self.assert_provisioned(e, cert)
                    self.assertEqual(t.get(ECSC + "/" + e["id"]).json(), e)

    def test_update_der_and_pem(self):
        t = self.srv.tenant()
        for form, content in self.forms(self.signing):
            with self.subTest(form=form):
                e = t.create(ECSC_V1, {"subjectName": "placeholder", "content": b64(b"not yet")})
                self.assertEqual(e["status"], "notProvisioned")
                p = self.assertEntity(t.patch(ECSC_V1 + "/" + e["id"], {"content": content}),
                                      200, ECSC_V1, self.base)
                self.assert_provisioned(p, self.signing)
                self.assertEqual(p["id"], e["id"])

    def test_pem_with_text_around_and_a_chain(self):
        t = self.srv.tenant()
        text = b"Bag Attributes\n    friendlyName: signing\n" + self.signing.pem + self.tls.pem
        e = self.assertEntity(t.post(ECSC, {"content": b64(text)}), 201, ECSC, self.base)
        self.assert_provisioned(e, self.signing)

    def test_other_content_is_stored_as_given(self):
        t = self.srv.tenant()
        # the doc example ("content"), text starting with '0' (0x30, but no DER length that
        # fits), bytes, and a dash line that is not PEM armour
        for raw in (b"content", b"0abc", b"0", bytes(range(256)), b"----- not armour -----"):
            with self.subTest(raw=raw[:12]):
                e = self.assertEntity(t.post(ECSC, {"content": b64(raw)}), 201, ECSC, self.base)
                self.assertEqual(e["content"], b64(raw))
                self.assertEqual(e["status"], "notProvisioned")
                self.assertIsNone(e["subject"])

    # ---- refused: extended key usage

    def test_eku_without_code_signing_refused_on_create(self):
        t = self.srv.tenant()
        for cert, listed in ((self.tls, "serverAuth, clientAuth"),
                             (self.custom, "1.2.3.4.5, emailProtection")):
            for form, content in self.forms(cert):
                with self.subTest(cn=cert.cn, form=form):
                    self.assertGraphError(
                        t.post(ECSC, {"content": content}), 400, "BadRequest",
                        message="The certificate cannot sign code: its extended key usage (%s) "
                                "does not include codeSigning (1.3.6.1.5.5.7.3.3)." % listed)
        self.assertEqual(t.count(ECSC), 0)

    def test_eku_without_code_signing_refused_on_update(self):
        t = self.srv.tenant()
        e = t.create(ECSC, {"content": b64(self.signing.der)})
        for form, content in self.forms(self.tls):
            with self.subTest(form=form):
                self.assertGraphError(t.patch(ECSC + "/" + e["id"], {"content": content}), 400,
                                      "BadRequest", contains=("serverAuth, clientAuth", "codeSigning"))
        self.assertEqual(t.get(ECSC + "/" + e["id"]).json(), e)  # nothing written

    # ---- refused: looks like a certificate, does not parse

    def broken(self):
        der, pem = self.signing.der, self.signing.pem
        lines = pem.split(b"\n")
        mangled = b"\n".join(lines[:3] + [b"!!!!" + lines[3][4:]] + lines[4:])
        flipped = bytearray(der)
        flipped[4] = 0x05  # the TBSCertificate's tag: a NULL where a SEQUENCE must be
        return [
            ("truncated DER", der[:-40], "DER: "),
            ("DER with bytes after it", der + b"\x00\x00\x00", "DER: 3 bytes follow the certificate"),
            ("DER with a wrong inner tag", bytes(flipped), "DER: wrong tag"),
            ("a SEQUENCE that is no certificate", b"\x30\x03\x02\x01\x05", "DER: wrong tag"),
            ("PEM without its end line", pem[:-30], "PEM: bad end line"),
            ("PEM with bad base64", mangled, "PEM: bad base64 decode"),
            ("PEM of a private key", self.signing.key_pem,
             "PEM: the first block is labelled 'PRIVATE KEY', not 'CERTIFICATE'"),
        ]

    def test_broken_certificate_refused_on_create_and_update(self):
        t = self.srv.tenant()
        e = t.create(ECSC, {"subjectName": "kept"})
        for name, data, why in self.broken():
            with self.subTest(case=name):
                msg = self.assertGraphError(t.post(ECSC, {"content": b64(data)}), 400, "BadRequest",
                                            contains=PARSE + why)
                self.assertTrue(msg.endswith("."), msg)
                self.assertGreater(len(msg), len(PARSE + "DER: "), msg)  # a reason is named
                self.assertNotIn("MII", msg)  # never the content itself
                self.assertEqual(
                    self.assertGraphError(t.patch(ECSC + "/" + e["id"], {"content": b64(data)}),
                                          400, "BadRequest"), msg)
        self.assertEqual(t.count(ECSC), 1)
        self.assertEqual(t.get(ECSC + "/" + e["id"]).json(), e)

    def test_parse_error_names_openssl_reason(self):
        t = self.srv.tenant()
        msg = self.assertGraphError(t.post(ECSC, {"content": b64(self.signing.der[:-40])}), 400,
                                    "BadRequest")
        # OpenSSL's root cause for a short certificate, and where it was found
        self.assertRegex(msg, r"^%sDER: (too long|header too long|.+) \(.*Type=X509.*\)\.$"
                         % PARSE.replace("(", r"\(").replace(")", r"\)"))


if __name__ == "__main__":
    gctest.main()
