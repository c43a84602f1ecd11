"""`make install` (issue 13): into a DESTDIR with PREFIX=/usr it lays down exactly the binary,
graphcerts(1) naming every serve option, the hardened systemd unit and the bash completion; the
unit passes `systemd-analyze verify` (skipped, with the reason printed, where that tool cannot
run)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gctest  # noqa: E402

WANT = ["usr/bin/graphcerts", "usr/lib/systemd/system/graphcerts.service",
        "usr/share/bash-completion/completions/graphcerts", "usr/share/man/man1/graphcerts.1"]


class Install(gctest.GCTestCase):
    @classmethod
    def setUpClass(cls):
        os.makedirs(gctest.TMP_ROOT, exist_ok=True)
        cls.dest = tempfile.mkdtemp(prefix="install-", dir=gctest.TMP_ROOT)
        build = os.path.dirname(os.path.abspath(gctest.BIN))
        r = subprocess.run(["make", "-s", "-C", gctest.SOURCE_DIR, "install", "PREFIX=/usr",
                            "DESTDIR=" + cls.dest, "BUILD=" + build, "JOBS=2"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
        assert r.returncode == 0, r.stdout.decode(errors="replace")
        cls.unit_path = os.path.join(cls.dest, WANT[1])
        with open(cls.unit_path) as f:
            cls.unit = f.read()

    @classmethod
    def tearDownClass(cls):
        if not gctest.KEEP_TMP:
            shutil.rmtree(cls.dest, ignore_errors=True)

    def test_tree(self):
        got = sorted(os.path.relpath(os.path.join(d, f), self.dest)
                     for d, _, fs in os.walk(self.dest) for f in fs)
        self.assertEqual(got, WANT)
        binary = os.path.join(self.dest, WANT[0])
        self.assertTrue(os.access(binary, os.X_OK))
        r = subprocess.run([binary, "--version"], stdout=subprocess.PIPE, timeout=30)
        self.assertRegex(r.stdout.decode(), r"^graphcerts \d+\.\d+\.\d+\n")
        with open(os.path.join(self.dest, WANT[2])) as f:
            self.assertIn("complete -o filenames -F _graphcerts graphcerts", f.read())

    def test_man_page_names_every_option(self):
        page = os.path.join(self.dest, WANT[3])
        with open(page) as f:
            roff = f.read()
        self.assertIn(".TH GRAPHCERTS 1", roff)
        self.assertNotIn("@SERVE_OPTIONS@", roff)
        out = subprocess.run([gctest.BIN, "serve", "--help"], stdout=subprocess.PIPE).stdout.decode()
        names = re.findall(r"^  --([a-z0-9-]+)", out.split("\nOptions:\n", 1)[1], re.M)
        self.assertGreaterEqual(len(names), 12)
        for n in names:
            if n != "help":
                name = "\\-\\-" + n.replace("-", "\\-")
                # an option with a value (".BI --db ...") or a flag (".B --no-console")
                self.assertTrue(".BI " + name + " " in roff or ".B " + name + "\n" in roff, n)
        if shutil.which("man"):
            r = subprocess.run(["man", "-l", page], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=dict(os.environ, MANPAGER="cat", MANWIDTH="100"), timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            text = r.stdout.decode().replace("\u2010", "-").replace("\u2212", "-")
            self.assertTrue(text.lstrip().startswith("GRAPHCERTS(1)"), text[:500])
            self.assertRegex(text, r"\n {7}--max-page-size N\n {14}Most entities in one page")
            self.assertIn("\nOTHER COMMANDS\n", text)

    def test_unit(self):
        lines = [l.strip() for l in self.unit.splitlines() if l.strip() and not l.startswith("#")]
        for want in ("ExecStart=/usr/bin/graphcerts serve", "DynamicUser=yes", "User=graphcerts",
                     "StateDirectory=graphcerts", "ProtectSystem=strict", "NoNewPrivileges=yes",
                     "ProtectHome=yes", "PrivateTmp=yes", "CapabilityBoundingSet=",
                     "Environment=GRAPHCERTS_DB=sqlite:/var/lib/graphcerts/graphcerts.db",
                     "LoadCredential=jwt-secret:/etc/graphcerts/jwt-secret",
                     "Environment=GRAPHCERTS_JWT_SECRET_FILE=%d/jwt-secret", "WantedBy=multi-user.target"):
            self.assertIn(want, lines)

    def test_systemd_analyze_verify(self):
        tool = shutil.which("systemd-analyze")
        if not tool or subprocess.run([tool, "--version"], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL).returncode != 0:
            print("SKIP systemd-analyze verify: systemd-analyze is not available here")
            self.skipTest("systemd-analyze not available")
        # the unit names /usr/bin/graphcerts, which is in the DESTDIR, not on this machine: verify
        # a copy that points into the DESTDIR; every other line is the installed one
        d = tempfile.mkdtemp(prefix="verify-", dir=gctest.TMP_ROOT)
        self.addCleanup(shutil.rmtree, d, True)
        copy = os.path.join(d, "graphcerts.service")
        with open(copy, "w") as f:
            f.write(self.unit.replace("ExecStart=/usr/bin/", "ExecStart=%s/usr/bin/" % self.dest))
        r = subprocess.run([tool, "verify", "--man=no", copy], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        out = (r.stdout + r.stderr).decode(errors="replace")
        if r.returncode != 0 and ("Failed to initialize" in out or "System has not been booted" in out):
            print("SKIP systemd-analyze verify: it cannot run here: " + out.strip()[:300])
            self.skipTest("systemd-analyze cannot run here")
        self.assertEqual(r.returncode, 0, out)
        self.assertEqual(out.strip(), "", "systemd-analyze verify complained")


if __name__ == "__main__":
    gctest.main()
