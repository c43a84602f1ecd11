"""Operations and first impressions (issue 13): server-set times with seven fraction digits, the
service document and $metadata without a token, RFC 6750 challenges on 401, and a debug log that
says why a request was refused without printing the token."""
import os
import re
import shutil
import subprocess
import tempfile
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402
from gctest import DMC_READ, DMC_RW, ECSC, MADCS, UPFX, claims, jwt_hs256, upfx_body  # noqa: E402

STAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")


class Ops(gctest.ServerTest):
    server_kwargs = {"args": ["--log-level", "debug"]}

    def test_server_stamps_have_seven_fraction_digits(self):
        # a time with trailing zero digits comes one time in ten: 60 stamps see several
        t = self.srv.tenant()
        for _ in range(20):
            e = t.create(UPFX, upfx_body())
            self.assertRegex(e["createdDateTime"], STAMP_RE)
            self.assertRegex(e["lastModifiedDateTime"], STAMP_RE)
            m = t.create(MADCS, {"certificateRevokeStatus": "pending"})
            self.assertRegex(m["certificateRevokeStatusLastChangeDateTime"], STAMP_RE)
        # times the client gave come back as given
        self.assertEqual(e["startDateTime"], "2024-01-01T00:00:00Z")

    def test_metadata_and_service_document_without_token(self):
        for version in ("beta", "v1.0"):
            r = self.srv.request("GET", "/%s/$metadata" % version)
            self.assertEqual(r.status, 200, r)
            self.assertIn(b"<edmx:Edmx", r.body)
            r = self.srv.request("GET", "/%s/" % version)
            self.assertEqual(r.status, 200, r)
            self.assertIn("value", r.json())
            # even a bad token does not stand in the way of a document anyone may read
            r = self.srv.request("GET", "/%s/$metadata" % version, token="not-a-token")
            self.assertEqual(r.status, 200, r)
        # everything else still needs one, and an unknown path tells nothing without one
        r = self.srv.request("GET", ECSC)
        self.assertGraphError(r, 401, "InvalidAuthenticationToken")
        r = self.srv.request("GET", "/beta/noSuchThing")
        self.assertGraphError(r, 401, "InvalidAuthenticationToken")
        r = self.srv.request("POST", "/beta/$metadata", body={})
        self.assertGraphError(r, 405, "MethodNotAllowed")

    def test_www_authenticate(self):
        r = self.srv.request("GET", ECSC)
        self.assertGraphError(r, 401, "InvalidAuthenticationToken")
        self.assertEqual(r.header_all("WWW-Authenticate"), ["Bearer"])
        r = self.srv.request("GET", ECSC, auth="Basic dXNlcjpwYXNz")
        self.assertEqual(r.header_all("WWW-Authenticate"), ["Bearer"])
        tenant = str(uuid.uuid4())
        expired = jwt_hs256(self.srv.secret, claims(tenant, scopes=DMC_RW, now=int(time.time()) - 7200))
        r = self.srv.request("GET", ECSC, token=expired)
        self.assertGraphError(r, 401, "InvalidAuthenticationToken")
        h = r.header_all("WWW-Authenticate")
        self.assertEqual(len(h), 1, r.headers)
        self.assertRegex(h[0], r'^Bearer error="invalid_token", error_description="[\x20\x21\x23-\x5b\x5d-\x7e]+"$')
        self.assertIn("expired", h[0])
        r = self.srv.request("GET", ECSC, token="garbage")
        self.assertTrue(r.header("WWW-Authenticate").startswith('Bearer error="invalid_token"'), r.headers)
        # 403 is not a challenge
        r = self.srv.request("GET", UPFX, token=self.srv.mint(tenant, scopes="User.Read"))
        self.assertGraphError(r, 403, "Forbidden")
        self.assertIsNone(r.header("WWW-Authenticate"))
        r = self.srv.request("GET", UPFX, token=self.srv.mint(tenant, scopes=DMC_READ))
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.header("WWW-Authenticate"))

    def test_debug_log_says_why(self):
        tenant = str(uuid.uuid4())
        wrong_aud = jwt_hs256(self.srv.secret, claims(tenant, scopes=DMC_RW, aud="api://other"))
        r = self.srv.request("GET", ECSC, token=wrong_aud)
        self.assertEqual(r.status, 401, r)
        rid = r.header("request-id")
        t = self.srv.tenant()
        r2 = t.post(UPFX, upfx_body(thumbprint="zz"))
        self.assertEqual(r2.status, 400, r2)
        rid2 = r2.header("request-id")
        log = self.srv.log_text()
        lines = [l for l in log.splitlines() if rid in l and "refused" in l]
        self.assertEqual(len(lines), 1, log[-3000:])
        self.assertIn("401 InvalidAuthenticationToken", lines[0])
        self.assertIn("audience", lines[0])
        lines = [l for l in log.splitlines() if rid2 in l and "refused" in l]
        self.assertEqual(len(lines), 1, log[-3000:])
        self.assertIn("(thumbprint)", lines[0])
        self.assertNotIn(wrong_aud, log)
        self.assertNotIn(wrong_aud.split(".")[2], log)
        self.assertNotIn(t.token.split(".")[2], log)


class NotAtInfo(gctest.ServerTest):
    def test_info_level_does_not_log_refusals(self):
        r = self.srv.request("GET", ECSC, token="garbage")
        self.assertEqual(r.status, 401)
        self.assertNotIn("refused", self.srv.log_text())


def run_bin(args, env=None, timeout=60, **kw):
    e = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHCERTS_")}
    e.update(env or {})
    return subprocess.run([gctest.BIN] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=e, timeout=timeout, **kw)


def help_options(cmd):
    """The --name of every option listed under 'Options:' in `graphcerts CMD --help`."""
    out = run_bin([cmd, "--help"]).stdout.decode()
    opts = out.split("\nOptions:\n", 1)[1]
    return out, [m.group(1) for m in re.finditer(r"^  (--[a-z0-9-]+)", opts, re.M)]


class Cli(gctest.GCTestCase):
    def test_version(self):
        a = run_bin(["--version"])
        b = run_bin(["version"])
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(a.stdout, b.stdout)
        lines = a.stdout.decode().splitlines()
        self.assertRegex(lines[0], r"^graphcerts \d+\.\d+\.\d+$")
        self.assertRegex(lines[1], r"^SQLite 3\.\d+\.\d+, jansson \S+, OpenSSL \S+ .*, libcurl \S+$")
        self.assertIn(b"version", run_bin(["--help"]).stdout)
        self.assertEqual(run_bin(["version", "extra"]).returncode, 2)

    def test_serve_usage_names_every_option(self):
        out, names = help_options("serve")
        self.assertGreaterEqual(len(names), 12, out)
        usage = out.split("\n\n", 1)[0]
        self.assertTrue(usage.startswith("usage: graphcerts serve "), usage)
        for n in names:
            if n != "--help":
                # an option with a value ("[--db DSN]") or a flag ("[--no-console]")
                self.assertRegex(usage, r"\[" + re.escape(n) + r"[ \]]", "usage line lacks " + n)
        self.assertTrue(all(len(l) <= 100 for l in usage.splitlines()), usage)

    def test_startup_error_printed_once(self):
        d = tempfile.mkdtemp(prefix="e2e-ops-", dir=gctest.TMP_ROOT)
        self.addCleanup(shutil.rmtree, d, True)
        missing = os.path.join(d, "no-such-secret")
        r = run_bin(["serve", "--listen", "127.0.0.1:0", "--db", "sqlite:" + os.path.join(d, "x.db"),
                     "--jwt-secret-file", missing])
        self.assertEqual(r.returncode, 1, r.stderr)
        err = r.stderr.decode()
        self.assertEqual(err.count(missing), 1, err)
        self.assertEqual(err.strip().splitlines(), ["graphcerts: cannot open secret file '%s': No such file or directory" % missing])


def complete(script, words):
    """COMPREPLY of the generated bash completion for the words typed so far."""
    prog = (script + "\nCOMP_WORDS=(" + " ".join("'%s'" % w for w in words) + ")\n"
            "COMP_CWORD=%d\n_graphcerts\nprintf '%%s\\n' \"${COMPREPLY[@]}\"\n" % (len(words) - 1))
    r = subprocess.run(["bash", "--norc", "--noprofile"], input=prog.encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30, cwd=gctest.TMP_ROOT)
    if r.returncode != 0:
        raise AssertionError(r.stderr.decode())
    return [l for l in r.stdout.decode().splitlines() if l]


class Completion(gctest.GCTestCase):
    @classmethod
    def setUpClass(cls):
        os.makedirs(gctest.TMP_ROOT, exist_ok=True)
        r = run_bin(["completion", "bash"])
        assert r.returncode == 0, r.stderr
        cls.script = r.stdout.decode()

    def test_commands(self):
        got = complete(self.script, ["graphcerts", ""])
        listed = re.findall(r"^  ([a-z]+) ", run_bin(["--help"]).stdout.decode(), re.M)
        self.assertEqual(sorted(got), sorted(listed + ["--help", "--version"]))
        self.assertEqual(complete(self.script, ["graphcerts", "se"]), ["serve"])

    def test_every_option_of_every_command(self):
        for cmd in ("serve", "token"):
            _, names = help_options(cmd)
            self.assertEqual(sorted(complete(self.script, ["graphcerts", cmd, "--"])), sorted(names))
        _, names = help_options("serve")
        want = sorted(n for n in names if n.startswith("--max-"))
        self.assertIn("--max-page-size", want)
        self.assertEqual(sorted(complete(self.script, ["graphcerts", "serve", "--max-"])), want)

    def test_values(self):
        d = tempfile.mkdtemp(prefix="compl-", dir=gctest.TMP_ROOT)
        self.addCleanup(shutil.rmtree, d, True)
        open(os.path.join(d, "secret.txt"), "w").close()
        got = complete(self.script, ["graphcerts", "serve", "--jwt-secret-file", d + "/se"])
        self.assertEqual(got, [d + "/secret.txt"])
        self.assertEqual(complete(self.script, ["graphcerts", "serve", "--max-body", "1"]), [])
        self.assertEqual(subprocess.run(["bash", "-n"], input=self.script.encode()).returncode, 0)

    def test_bad_shell(self):
        self.assertEqual(run_bin(["completion", "zsh"]).returncode, 2)


class AudienceIssuer(gctest.ServerTest):
    server_kwargs = {"args": ["--audience", "api://graphcerts", "--audience", "https://graph.microsoft.com",
                              "--issuer", "https://login.microsoftonline.com/{tenantid}/v2.0",
                              "--issuer", "https://sts.windows.net/{tenantid}/"]}

    def get(self, tenant, **over):
        tok = jwt_hs256(self.srv.secret, claims(tenant, scopes=DMC_RW, **over))
        return self.srv.request("GET", UPFX, token=tok)

    def test_audiences(self):
        tenant = str(uuid.uuid4())
        self.assertEqual(self.get(tenant, aud="api://graphcerts").status, 200)
        self.assertEqual(self.get(tenant, aud="https://graph.microsoft.com").status, 200)
        self.assertEqual(self.get(tenant, aud=["x", "api://graphcerts"]).status, 200)
        r = self.get(tenant, aud="00000003-0000-0000-c000-000000000000")  # a default, not configured
        self.assertGraphError(r, 401, "InvalidAuthenticationToken", contains="audience")

    def test_issuers(self):
        tenant = str(uuid.uuid4())
        self.assertEqual(self.get(tenant, iss="https://login.microsoftonline.com/%s/v2.0" % tenant).status, 200)
        self.assertEqual(self.get(tenant, iss="https://sts.windows.net/%s/" % tenant).status, 200)
        for bad in ("https://login.microsoftonline.com/%s/v2.0" % uuid.uuid4(),  # another tenant's
                    "https://login.microsoftonline.com/%s/v2.0x" % tenant,
                    "https://evil.example/%s/" % tenant, 42):
            r = self.get(tenant, iss=bad)
            self.assertGraphError(r, 401, "InvalidAuthenticationToken", contains="issuer")
        r = self.get(tenant, iss=gctest.DROP)
        self.assertGraphError(r, 401, "InvalidAuthenticationToken", contains="iss")


class AudienceFromEnvironment(gctest.ServerTest):
    server_kwargs = {"env": {"GRAPHCERTS_AUDIENCE": "api://one,api://two"}}

    def test_env_list_and_defaults(self):
        tenant = str(uuid.uuid4())
        for aud, want in (("api://one", 200), ("api://two", 200), ("https://graph.microsoft.com", 401)):
            tok = jwt_hs256(self.srv.secret, claims(tenant, scopes=DMC_RW, aud=aud))
            self.assertEqual(self.srv.request("GET", UPFX, token=tok).status, want, aud)
        # no --issuer: any issuer will do
        tok = jwt_hs256(self.srv.secret, claims(tenant, scopes=DMC_RW, aud="api://one", iss="https://x/"))
        self.assertEqual(self.srv.request("GET", UPFX, token=tok).status, 200)


if __name__ == "__main__":
    gctest.main()
