"""Every ```sh block of README.md runs as pasted against a fresh server (issue 13). A block is
skipped only when the line before it is `<!-- readme-test: skip (reason) -->`; after
`<!-- readme-test: http errors expected (reason) -->` a block's curl may meet a 4xx (a throttling
demo) but the block must still exit 0. The scratch
directory is what `make run` leaves behind (var/dev-jwt-secret, var/dev-tenant, a server on
var/graphcerts.db, $TOKEN exported), with build/graphcerts the binary under test; 127.0.0.1:8080
becomes the test server's free port. Each block runs in its own `bash -e -o pipefail` where curl
fails on an HTTP error (--fail-with-body), so a 4xx in an example fails the test."""
# gctest: sqlite-only (the README's examples run against make run's SQLite store)
import json
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402

README = os.path.join(gctest.SOURCE_DIR, "README.md")
SCOPES = ("DeviceManagementConfiguration.ReadWrite.All DeviceManagementApps.ReadWrite.All "
          "User.Read.All")  # what `make run`'s token holds


def shell_blocks(text):
    """[(line number, code, skip reason or None, errors expected)] of the ```sh blocks."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        if lines[i].strip() == "```sh":
            start = i + 1
            before = lines[i - 1].strip() if i else ""
            m = re.match(r"^<!-- readme-test: skip \((.+)\) -->$", before)
            errors = re.match(r"^<!-- readme-test: http errors expected \((.+)\) -->$", before)
            j = start
            while lines[j].strip() != "```":
                j += 1
            out.append((start, "\n".join(lines[start:j]), m.group(1) if m else None, bool(errors)))
            i = j
        i += 1
    return out


class Readme(gctest.GCTestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = gctest.Server("readme")
        d = cls.srv.dir
        os.makedirs(os.path.join(d, "var"))
        os.makedirs(os.path.join(d, "build"))
        os.symlink(os.path.abspath(gctest.BIN), os.path.join(d, "build", "graphcerts"))
        os.replace(cls.srv.secret_path, os.path.join(d, "var", "dev-jwt-secret"))
        cls.srv.secret_path = os.path.join(d, "var", "dev-jwt-secret")
        cls.tenant = "6f3c1a52-8d0e-4b7a-9c21-5e4d3b2a1f00"
        with open(os.path.join(d, "var", "dev-tenant"), "w") as f:
            f.write(cls.tenant + "\n")
        cls.srv.db_path = os.path.join(d, "var", "graphcerts.db")
        cls.srv.start()
        cls.token = cls.srv.mint(cls.tenant, scopes=SCOPES)

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()

    def run_block(self, code, errors_expected=False):
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHCERTS_")}
        env["TOKEN"] = self.token
        prelude = "set -e -o pipefail\n"
        if errors_expected:
            prelude += "curl() { command curl --max-time 30 \"$@\"; }\n"
        else:
            prelude += "curl() { command curl --fail-with-body --max-time 30 \"$@\"; }\n"
        code = code.replace("127.0.0.1:8080", "127.0.0.1:%d" % self.srv.port)
        # its own process group, ended afterwards: a block that fails before its `kill %1`
        # leaves no server behind on a fixed port
        p = subprocess.Popen(["bash", "--norc", "--noprofile", "-c", prelude + code],
                             cwd=self.srv.dir, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = p.communicate(timeout=120)
        finally:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
        return subprocess.CompletedProcess(p.args, p.returncode, out, err)

    def test_blocks_run_as_pasted(self):
        with open(README, encoding="utf-8") as f:
            text = f.read()
        blocks = shell_blocks(text)
        self.assertGreaterEqual(len(blocks), 4)
        ran = 0
        for line, code, skip, errors_expected in blocks:
            if skip:
                print("README.md:%d: skipped: %s" % (line, skip))
                continue
            with self.subTest(line=line):
                self.assertNotIn("...", code, "a placeholder cannot be pasted")
                r = self.run_block(code, errors_expected)
                self.assertEqual(r.returncode, 0, "README.md:%d failed:\n%s\n--- stdout\n%s\n--- stderr\n%s"
                                 % (line, code, r.stdout.decode(errors="replace")[-2000:],
                                    r.stderr.decode(errors="replace")[-2000:]))
                ran += 1
        self.assertGreaterEqual(ran, 4)
        # the curl example created alice's certificate in make run's tenant, changed it and
        # deleted it (the access log tells)
        seen = set()
        for l in self.srv.log_text().splitlines():
            if '"status"' in l and self.tenant in l:
                a = json.loads(l)
                seen.add((a["method"], a["status"]))
        for want in (("POST", 201), ("PATCH", 200), ("DELETE", 204), ("GET", 200)):
            self.assertIn(want, seen)

    def test_links_stay_in_the_repository(self):
        with open(README, encoding="utf-8") as f:
            text = f.read()
        self.assertNotIn("../shared", text)
        for target in re.findall(r"\]\(([^)#]+)\)", text):
            if "://" not in target:
                self.assertTrue(os.path.exists(os.path.join(gctest.SOURCE_DIR, target)), target)
        self.assertIn("[docs/api.md](docs/api.md)", text)


if __name__ == "__main__":
    gctest.main()
