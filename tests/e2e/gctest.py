"""Shared harness for the graphcerts end-to-end tests (Python 3 standard library only).

Starts the real `graphcerts` binary on a free loopback port with its own scratch directory,
talks real HTTP(S) to it, mints tokens (HS256 in Python; RS256/ES256 with the openssl CLI) and
offers assertions for the Graph wire rules. Environment: GRAPHCERTS_BIN (the binary),
GC_TEST_TMP (scratch root), GC_SOURCE_DIR (repository root); GC_KEEP_TMP=1 keeps scratch dirs;
GC_VALGRIND=1 runs the server under valgrind memcheck (a memory error or a definite leak makes
its exit code VALGRIND_EXIT, which finish() reports).

Backends: by default each Server has its own SQLite file. With GC_TEST_PG (a libpq URI of a
PostgreSQL server whose user may create databases) or GC_TEST_PG_DIR (the state directory of
scripts/pg-test-server.sh, holding such a URI in its file dsn), each Server gets its own fresh
database on that server instead (dropped by cleanup()); PG is then that URI, and tests that only
make sense on SQLite skip themselves with @sqlite_only.
"""
import atexit
import base64
import datetime
import email.utils
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = os.path.join(HERE, "data")
SOURCE_DIR = os.environ.get("GC_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("GRAPHCERTS_BIN") or os.path.join(SOURCE_DIR, "build", "graphcerts")
TMP_ROOT = os.environ.get("GC_TEST_TMP") or tempfile.gettempdir()
KEEP_TMP = bool(os.environ.get("GC_KEEP_TMP"))
VALGRIND = os.environ.get("GC_VALGRIND", "") not in ("", "0")
VALGRIND_EXIT = 97
VALGRIND_ARGV = ["valgrind", "--tool=memcheck", "--error-exitcode=%d" % VALGRIND_EXIT,
                 "--leak-check=full", "--errors-for-leak-kinds=definite",
                 "--show-leak-kinds=definite", "--track-origins=yes", "--num-callers=30",
                 "--trace-children=no"]
# Under valgrind the server is ~20-50x slower: waits for it to start scale by this much.
SLOW = 10 if VALGRIND else 1


def _pg_from_env():
    if os.environ.get("GC_TEST_PG"):
        return os.environ["GC_TEST_PG"]
    d = os.environ.get("GC_TEST_PG_DIR")
    if d:
        with open(os.path.join(d, "dsn")) as f:
            return f.read().strip()
    return None


# The PostgreSQL server the suite runs against (URI of its admin database), or None for SQLite.
PG = _pg_from_env()


def sqlite_only(reason):
    """Skips a test or class when the suite runs on PostgreSQL: it inspects or breaks the SQLite
    file itself."""
    return unittest.skipIf(PG is not None, "SQLite only: " + reason)


def pg_uri(base, dbname):
    """base (a postgresql:// URI) with its database replaced by dbname."""
    p = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit((p.scheme, p.netloc, "/" + dbname, p.query, p.fragment))


def psql(uri, sql, check=True):
    """Runs sql with psql on uri; returns the rows (lists of text, None for NULL; bytea as bytes)."""
    r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-F", "\x1f",
                        "-P", "null=\x1e", "-d", uri, "-c", sql],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                       env=dict(os.environ, PGCONNECT_TIMEOUT="10"))
    if check and r.returncode != 0:
        raise RuntimeError("psql %r failed: %s" % (sql[:200], r.stderr.decode(errors="replace")))

    def value(v):
        if v == "\x1e":
            return None
        if v.startswith("\\x"):
            return bytes.fromhex(v[2:])
        return v
    out = r.stdout.decode("utf-8")
    return [[value(v) for v in line.split("\x1f")] for line in out.split("\n") if line]


def sql_literal(v):
    return "'" + str(v).replace("'", "''") + "'"

JSON_CT = ("application/json;odata.metadata=minimal;odata.streaming=true;"
           "IEEE754Compatible=false;charset=utf-8")

# Entity set paths (under the version) and their type names (contract section 1).
UPFX = "/beta/deviceManagement/userPfxCertificates"
MADCS = "/beta/deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates"
ECSC = "/beta/deviceAppManagement/enterpriseCodeSigningCertificates"
ECSC_V1 = "/v1.0/deviceAppManagement/enterpriseCodeSigningCertificates"
PFXU = "/beta/pfxUserCertificates"

SET_TYPES = {
    UPFX: "userPFXCertificate",
    MADCS: "managedAllDeviceCertificateState",
    ECSC: "enterpriseCodeSigningCertificate",
    ECSC_V1: "enterpriseCodeSigningCertificate",
    PFXU: "pfxUserCertificate",
}
ALL_SETS = [UPFX, MADCS, ECSC, ECSC_V1, PFXU]

DMC_READ = "DeviceManagementConfiguration.Read.All"
DMC_RW = "DeviceManagementConfiguration.ReadWrite.All"
DMA_READ = "DeviceManagementApps.Read.All"
DMA_RW = "DeviceManagementApps.ReadWrite.All"
RW_ALL = DMC_RW + " " + DMA_RW

GRAPH_AUD = "https://graph.microsoft.com"
GUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ZERO_DATE = "0001-01-01T00:00:00Z"

DROP = object()  # claims(..., key=DROP) removes a claim


def split_set(set_path):
    """'/beta/deviceManagement/userPfxCertificates' -> ('beta', 'deviceManagement/userPfxCertificates')."""
    parts = set_path.lstrip("/").split("/", 1)
    return parts[0], parts[1]


def data_bytes(name):
    with open(os.path.join(DATA_DIR, name), "rb") as f:
        return f.read()


def data_json(name):
    return json.loads(data_bytes(name).decode("utf-8"))


# ---------------------------------------------------------------- values

_DT_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,7}))?)?"
                    r"(?:([Zz])|([+-])(\d\d):(\d\d))$")


def parse_dt(s):
    """RFC 3339 (0-7 fractional digits) -> aware datetime (fraction truncated to microseconds)."""
    m = _DT_RE.match(s)
    if not m:
        raise ValueError("not an RFC 3339 date-time: %r" % (s,))
    y, mo, d, h, mi = (int(m.group(i)) for i in range(1, 6))
    sec = int(m.group(6) or 0)
    frac = (m.group(7) or "").ljust(7, "0")
    ticks100 = int(frac)
    if m.group(8):
        off = datetime.timedelta(0)
    else:
        off = datetime.timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
        if m.group(9) == "-":
            off = -off
    tz = datetime.timezone(off)
    dt = datetime.datetime(y, mo, d, h, mi, sec, ticks100 // 10, tzinfo=tz)
    return dt


def dt_instant(s):
    """Seconds since the Unix epoch (float) of an RFC 3339 string."""
    return parse_dt(s).timestamp()


def user_object_id(tenant, upn):
    return str(uuid.uuid5(uuid.UUID(tenant), upn.lower()))


def user_pfx_id(tenant, upn, thumbprint):
    return uuid.uuid5(uuid.UUID(tenant), upn.lower()).hex + "-" + thumbprint.lower()


def new_thumbprint(upper=False):
    t = os.urandom(20).hex()
    return t.upper() if upper else t


def upfx_body(upn=DROP, **over):
    """A valid userPFXCertificate create body with a fresh user and thumbprint; upn sets
    userPrincipalName, other keyword arguments set a property or (DROP) remove it."""
    if upn is not DROP:
        over["userPrincipalName"] = upn
    body = {
        "thumbprint": new_thumbprint(),
        "userPrincipalName": "user-%s@contoso.example" % uuid.uuid4().hex[:8],
        "encryptedPfxBlob": base64.b64encode(b"\x30\x82pfx-bytes" + os.urandom(8)).decode(),
        "encryptedPfxPassword": base64.b64encode(b"wrapped-password").decode(),
        "providerName": "Microsoft Software Key Storage Provider",
        "keyName": "PFXEncryptionKey",
        "paddingScheme": "oaepSha512",
        "intendedPurpose": "smimeEncryption",
        "startDateTime": "2024-01-01T00:00:00Z",
        "expirationDateTime": "2026-01-01T00:00:00Z",
    }
    for k, v in over.items():
        if v is DROP:
            body.pop(k, None)
        else:
            body[k] = v
    return body


def key_forms(set_path, entity_id):
    """The three equal ways to address one entity."""
    return [set_path + "/" + entity_id, set_path + "('" + entity_id + "')",
            set_path + "(" + entity_id + ")"]


def local_target(url):
    """An absolute URL (an @odata.nextLink) -> its path and query, to request from the server."""
    p = urllib.parse.urlsplit(url)
    return p.path + ("?" + p.query if p.query else "")


def query_params(url):
    """The percent-decoded query options of a URL ('+' kept) as a dict (each name once)."""
    query = urllib.parse.urlsplit(url).query
    pairs = [(urllib.parse.unquote(k), urllib.parse.unquote(v))
             for k, _, v in (item.partition("=") for item in query.split("&") if item)]
    names = [k for k, _ in pairs]
    if len(names) != len(set(names)):
        raise AssertionError("a query option repeated in %r" % (url,))
    return dict(pairs)


def qs(**opts):
    """'?$filter=...&$top=...' from keyword arguments (name without '$'), values percent-encoded."""
    return "?" + "&".join("$%s=%s" % (k, urllib.parse.quote(str(v), safe="")) for k, v in opts.items())


# ---------------------------------------------------------------- tokens

def b64url(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def claims(tenant, scopes=None, roles=None, ttl=3600, now=None, **over):
    now = int(time.time()) if now is None else now
    c = {"aud": GRAPH_AUD, "iss": "https://sts.windows.net/%s/" % tenant, "iat": now,
         "nbf": now, "exp": now + ttl, "tid": tenant, "oid": str(uuid.uuid4())}
    if scopes is not None:
        c["scp"] = scopes
    if roles is not None:
        c["roles"] = list(roles)
    for k, v in over.items():
        if v is DROP:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def jwt_signing_input(header, payload):
    return (b64url(json.dumps(header, separators=(",", ":"))) + "." +
            b64url(json.dumps(payload, separators=(",", ":"))))


def jwt_hs256(secret, payload, header=None):
    header = header or {"alg": "HS256", "typ": "JWT"}
    si = jwt_signing_input(header, payload)
    sig = hmac.new(secret, si.encode("ascii"), hashlib.sha256).digest()
    return si + "." + b64url(sig)


def jwt_unsigned(payload, alg="none"):
    return jwt_signing_input({"alg": alg, "typ": "JWT"}, payload) + "."


def jwt_decode(token):
    h, p, _ = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p))


def _run(cmd, data=None):
    r = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd), r.stderr.decode(errors="replace")))
    return r.stdout


def _der_read(buf, pos):
    """One DER TLV at pos -> (tag, value bytes, next pos)."""
    tag = buf[pos]
    ln = buf[pos + 1]
    pos += 2
    if ln & 0x80:
        n = ln & 0x7F
        ln = int.from_bytes(buf[pos:pos + n], "big")
        pos += n
    return tag, buf[pos:pos + ln], pos + ln


def _der_children(value):
    out, pos = [], 0
    while pos < len(value):
        tag, v, pos = _der_read(value, pos)
        out.append((tag, v))
    return out


class NpmDeps:
    """The npm packages a test drives (a committed package.json and package-lock.json in src_dir),
    installed with `npm ci` into deps_dir, outside the source tree, once per lock file; files
    (the lock pair and the test's scripts) are copied beside node_modules, since ES modules
    resolve packages from their own folder. marker: a path under node_modules that an install
    leaves."""

    def __init__(self, src_dir, deps_dir, files, marker):
        self.src_dir, self.deps_dir, self.files, self.marker = src_dir, deps_dir, files, marker
        self.npm = shutil.which("npm")

    def _installed(self):
        return os.path.isdir(os.path.join(self.deps_dir, "node_modules", self.marker))

    def _digest(self):
        h = hashlib.sha256()
        for name in ("package.json", "package-lock.json"):
            with open(os.path.join(self.src_dir, name), "rb") as f:
                h.update(f.read())
        return h.hexdigest()

    def registry_reachable(self):
        """True when the npm registry answers (or the packages are installed already)."""
        if self.npm is None or self._installed():
            return True
        r = subprocess.run([self.npm, "ping", "--fetch-retries=0", "--fetch-timeout=15000"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60)
        return r.returncode == 0

    def install(self):
        """`npm ci` unless this lock file is installed already; returns the seconds it took."""
        if self.npm is None:
            raise AssertionError("npm is not installed: cannot install %s" % self.marker)
        os.makedirs(self.deps_dir, exist_ok=True)
        stamp = os.path.join(self.deps_dir, ".installed-lock-sha256")
        digest = self._digest()
        for name in self.files:
            shutil.copyfile(os.path.join(self.src_dir, name), os.path.join(self.deps_dir, name))
        try:
            with open(stamp) as f:
                if f.read().strip() == digest and self._installed():
                    return 0.0
        except FileNotFoundError:
            pass
        if os.path.exists(stamp):
            os.unlink(stamp)
        t0 = time.time()
        r = subprocess.run([self.npm, "ci", "--prefix", self.deps_dir, "--no-audit", "--no-fund",
                            "--ignore-scripts"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=300)
        if r.returncode != 0:
            raise AssertionError("npm ci --prefix %s failed (exit %d); the npm registry must be reachable:\n%s"
                                 % (self.deps_dir, r.returncode, r.stdout.decode(errors="replace")[-3000:]))
        with open(stamp, "w") as f:
            f.write(digest + "\n")
        return time.time() - t0


class KeyPair:
    """An RSA-2048 or EC P-256 key made by the openssl CLI, with its JWK and a JWS signer."""

    def __init__(self, workdir, kind, kid):
        self.kind, self.kid = kind, kid
        self.path = os.path.join(workdir, "%s-%s.pem" % (kind, uuid.uuid4().hex[:8]))
        if kind == "rsa":
            _run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                  "-out", self.path])
        else:
            _run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                  "ec_paramgen_curve:P-256", "-out", self.path])
        spki = _run(["openssl", "pkey", "-in", self.path, "-pubout", "-outform", "DER"])
        self.public_pem = _run(["openssl", "pkey", "-in", self.path, "-pubout"])
        _, seq, _ = _der_read(spki, 0)
        (_, _alg), (_, bits) = _der_children(seq)
        key = bits[1:]  # skip the unused-bits byte
        if kind == "rsa":
            _, rsapub, _ = _der_read(key, 0)
            (_, n), (_, e) = _der_children(rsapub)
            self.jwk = {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
                        "n": b64url(n.lstrip(b"\x00")), "e": b64url(e.lstrip(b"\x00"))}
        else:
            assert key[0] == 4 and len(key) == 65
            self.jwk = {"kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256",
                        "x": b64url(key[1:33]), "y": b64url(key[33:65])}

    @property
    def alg(self):
        return "RS256" if self.kind == "rsa" else "ES256"

    def sign(self, data):
        der = _run(["openssl", "dgst", "-sha256", "-sign", self.path], data)
        if self.kind == "rsa":
            return der
        _, seq, _ = _der_read(der, 0)
        (_, r), (_, s) = _der_children(seq)
        return r.lstrip(b"\x00").rjust(32, b"\x00") + s.lstrip(b"\x00").rjust(32, b"\x00")

    def token(self, payload, kid=None, alg=None):
        header = {"alg": alg or self.alg, "typ": "JWT", "kid": kid or self.kid}
        si = jwt_signing_input(header, payload)
        return si + "." + b64url(self.sign(si.encode("ascii")))


def write_jwks(path, keys):
    with open(path, "w") as f:
        json.dump({"keys": [k.jwk for k in keys]}, f)
    return path


def make_self_signed(workdir, cn="127.0.0.1", kind="rsa", extra=()):
    """A self-signed certificate and key (PEM files) made by the openssl CLI."""
    cert = os.path.join(workdir, "cert-%s.pem" % uuid.uuid4().hex[:8])
    key = os.path.join(workdir, "key-%s.pem" % uuid.uuid4().hex[:8])
    newkey = ["-newkey", "rsa:2048"] if kind == "rsa" else [
        "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    _run(["openssl", "req", "-x509", "-nodes", "-days", "30", "-subj", "/CN=" + cn,
          "-keyout", key, "-out", cert] + newkey + list(extra))
    return cert, key


# ---------------------------------------------------------------- HTTP

class Resp:
    def __init__(self, status, reason, headers, body):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def text(self):
        return self.body.decode("utf-8")

    def json(self):
        def no_dupes(pairs):
            keys = [k for k, _ in pairs]
            if len(keys) != len(set(keys)):
                raise AssertionError("duplicate JSON keys in response: %r" % keys)
            return dict(pairs)
        return json.loads(self.body.decode("utf-8"), object_pairs_hook=no_dupes)

    def __repr__(self):
        return "<Resp %d %s %r>" % (self.status, self.reason, self.body[:600])


_servers = []


@atexit.register
def _kill_leftovers():
    for s in list(_servers):
        if s.proc is not None and s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()


class Server:
    """One graphcerts process (and its restarts) with its own scratch dir and database."""

    def __init__(self, name="gc", args=(), env=None, tls=False, jwks=None, secret=None,
                 db=True, secret_file=True, pg=None, share_db_of=None):
        """pg: a PostgreSQL server URI for this server's database (default: PG, the suite's);
        share_db_of: another Server whose database and token secret this one uses (a second
        node on the same PostgreSQL database)."""
        os.makedirs(TMP_ROOT, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="e2e-%s-" % name, dir=TMP_ROOT)
        if share_db_of is not None:
            secret = share_db_of.secret
        self.pg = share_db_of.pg if share_db_of is not None else (pg or PG)
        self.pg_db = share_db_of.pg_db if share_db_of is not None else "gc_%s" % uuid.uuid4().hex[:16]
        self.pg_owner = share_db_of is None  # creates and drops the database
        self.pg_made = share_db_of is not None
        self.secret = secret or os.urandom(24).hex().encode()
        self.secret_path = os.path.join(self.dir, "jwt.secret")
        with open(self.secret_path, "wb") as f:
            f.write(self.secret + b"\n")
        self.db_path = os.path.join(self.dir, "graphcerts.db")
        self.args = list(args)
        self.env = dict(env or {})
        self.tls = tls
        self.jwks = jwks
        self.use_db, self.use_secret = db, secret_file
        self.fixed_port = None  # set to listen there and wait by connecting, not by the log
        self.proc = None
        self.port = None
        self.scheme = "https" if tls else "http"
        self.logs = []
        self.starts = 0
        self.tls_files = None
        if tls:
            self.tls_files = make_self_signed(self.dir)
        _servers.append(self)

    # ---- process control

    def argv(self):
        # valgrind writes to its own file, so tests that read the server's log see only the server
        vg = VALGRIND_ARGV + ["--log-file=" + os.path.join(self.dir, "valgrind-%d.log" % self.starts)]
        a = (vg if VALGRIND else []) + [
            BIN, "serve", "--listen", "127.0.0.1:%d" % (self.fixed_port or 0)]
        if self.use_db:
            a += ["--db", self.dsn]
        if self.use_secret:
            a += ["--jwt-secret-file", self.secret_path]
        if self.jwks:
            a += ["--jwks", self.jwks]
        if self.tls:
            a += ["--tls-cert", self.tls_files[0], "--tls-key", self.tls_files[1]]
        return a + self.args

    @property
    def dsn(self):
        """The --db this server runs on: its SQLite file, or its PostgreSQL database."""
        if self.pg:
            return pg_uri(self.pg, self.pg_db)
        return "sqlite:" + self.db_path

    def make_db(self):
        """Creates the PostgreSQL database (once); nothing for SQLite."""
        if self.pg and not self.pg_made:
            psql(self.pg, "CREATE DATABASE %s" % self.pg_db)
            self.pg_made = True

    def query(self, sql, params=()):
        """Rows of sql (with ? placeholders) read from this server's database behind its back:
        sqlite3 on the file, or psql (values then come back as text, bytea as bytes)."""
        if self.pg:
            parts = sql.split("?")
            assert len(parts) == len(params) + 1
            text = parts[0] + "".join(sql_literal(v) + rest for v, rest in zip(params, parts[1:]))
            return [tuple(r) for r in psql(self.dsn, text)]
        import sqlite3
        db = sqlite3.connect("file:%s?mode=ro" % self.db_path, uri=True)
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()

    def start(self, timeout=45):
        if not os.path.exists(BIN):
            raise RuntimeError("graphcerts binary not found at %s (set GRAPHCERTS_BIN)" % BIN)
        if self.use_db:
            self.make_db()
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHCERTS_")}
        env.update(self.env)
        self.starts += 1
        log = os.path.join(self.dir, "stderr-%d.log" % self.starts)
        self.logs.append(log)
        with open(log, "wb") as errf:
            self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=errf, env=env,
                                         cwd=self.dir)
        want = re.compile(r"^listening on (https?)://127\.0\.0\.1:(\d+)$")
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            if self.fixed_port and self._connects(self.fixed_port):
                self.port = self.fixed_port
                return self
            for line in self._read(log).splitlines():
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                m = want.match(str(rec.get("msg", ""))) if isinstance(rec, dict) else None
                if m:
                    if m.group(1) != self.scheme:
                        raise AssertionError("server says %s, expected %s" % (m.group(1), self.scheme))
                    self.port = int(m.group(2))
                    return self
            if self.proc.poll() is not None:
                raise RuntimeError("graphcerts exited with %s before listening:\n%s"
                                   % (self.proc.returncode, self.log_tail()))
            time.sleep(0.05)
        self.proc.kill()
        self.proc.wait()
        raise RuntimeError("graphcerts did not log 'listening on' within %ss:\n%s"
                           % (timeout, self.log_tail()))

    @staticmethod
    def _connects(port):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    @staticmethod
    def free_port():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def stop(self, sig=signal.SIGTERM, timeout=30 * SLOW):
        """Signals the process and returns its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("graphcerts did not exit within %ss of signal %s:\n%s"
                                     % (timeout, sig, self.log_tail()))
        return self.proc.returncode

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def restart(self):
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("restart of a running server")
        return self.start()

    def finish(self):
        """Graceful stop at the end of a test class: exit 0 and no sanitizer report, or raise."""
        rc = self.stop()
        problems = self.sanitizer_reports()
        if rc != 0 or problems:
            raise AssertionError("graphcerts ended badly (exit %s)%s\n%s"
                                 % (rc, ": sanitizer report" if problems else "", self.log_tail()))
        self.cleanup()

    def cleanup(self):
        if not KEEP_TMP:
            shutil.rmtree(self.dir, ignore_errors=True)
            if self.pg and self.pg_made and self.pg_owner:
                psql(self.pg, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.pg_db, check=False)
                self.pg_made = False

    # ---- logs

    @staticmethod
    def _read(path):
        try:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_text(self):
        return "".join(self._read(p) for p in self.logs)

    def log_tail(self, n=40):
        return "\n".join((self.log_text() + self.valgrind_text()).splitlines()[-n:])

    def valgrind_text(self):
        return "".join(self._read(os.path.join(self.dir, "valgrind-%d.log" % i))
                       for i in range(1, self.starts + 1))

    def log_records(self):
        out = []
        for line in self.log_text().splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                out.append(rec)
        return out

    def sanitizer_reports(self):
        t = self.log_text() + self.valgrind_text()
        found = [m for m in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                             "ThreadSanitizer") if m in t]
        found += re.findall(r"==\d+== ERROR SUMMARY: [1-9]\d* errors", t)
        return found

    # ---- HTTP

    @property
    def base(self):
        return "%s://127.0.0.1:%d" % (self.scheme, self.port)

    def connection(self, timeout=60):
        if self.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, token=None, headers=None, auth=None,
                content_type="application/json", timeout=60, chunked=False):
        """One request on a fresh connection. body: dict/list (JSON-encoded), str or bytes (sent
        as is). token: a JWT sent as 'Bearer'; auth: a raw Authorization value."""
        hdrs = {}
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        if body is not None and content_type is not None:
            hdrs["Content-Type"] = content_type
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        if auth is not None:
            hdrs["Authorization"] = auth
        hdrs.update(headers or {})
        conn = self.connection(timeout)
        try:
            try:
                if chunked:
                    def chunks(b=body, n=512):
                        for i in range(0, len(b), n):
                            yield b[i:i + n]
                    conn.request(method, path, body=chunks(), headers=hdrs, encode_chunked=True)
                else:
                    conn.request(method, path, body=body, headers=hdrs)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered early (e.g. 413) and closed: read what it sent
            try:
                r = conn.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError) as e:
                raise AssertionError("%s %s: the server closed the connection without a response (%s)"
                                     % (method, path[:200], e)) from None
            data = r.read()
            return Resp(r.status, r.reason, r.getheaders(), data)
        finally:
            conn.close()

    def raw_request(self, method, target, token=None, headers=None, body=None, timeout=60):
        """One request written byte for byte on a fresh connection: target goes into the request
        line exactly as given (spaces, quotes and all, as the PFX import tool sends its $filter),
        which http.client refuses to do. body: bytes, str or a dict/list (JSON)."""
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        hdrs = [("Host", "127.0.0.1:%d" % self.port), ("Connection", "close")]
        if token is not None:
            hdrs.append(("Authorization", "Bearer " + token))
        if body is not None:
            hdrs += [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        hdrs += list((headers or {}).items())
        head = "%s %s HTTP/1.1\r\n" % (method, target)
        head += "".join("%s: %s\r\n" % kv for kv in hdrs) + "\r\n"
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        if self.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock, server_hostname="127.0.0.1")
        try:
            sock.sendall(head.encode("utf-8") + (body or b""))
            r = http.client.HTTPResponse(sock, method=method)
            r.begin()
            data = r.read()
            return Resp(r.status, r.reason, r.getheaders(), data)
        finally:
            sock.close()

    def mint(self, tenant, scopes=RW_ALL, roles=None, **over):
        if roles is not None:
            scopes = None
        return jwt_hs256(self.secret, claims(tenant, scopes=scopes, roles=roles, **over))

    def tenant(self, scopes=RW_ALL, roles=None, tenant=None):
        return Tenant(self, tenant or str(uuid.uuid4()), scopes=scopes, roles=roles)


class Tenant:
    """A caller of one tenant holding one token."""

    def __init__(self, server, tenant_id, scopes=RW_ALL, roles=None, token=None):
        self.server, self.id = server, tenant_id
        self.token = token or server.mint(tenant_id, scopes=scopes, roles=roles)

    def req(self, method, path, body=None, **kw):
        kw.setdefault("token", self.token)
        return self.server.request(method, path, body, **kw)

    def get(self, path, **kw):
        return self.req("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.req("POST", path, body, **kw)

    def patch(self, path, body, **kw):
        return self.req("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.req("DELETE", path, **kw)

    def raw_get(self, target, **kw):
        """GET with target written into the request line as is (see Server.raw_request)."""
        kw.setdefault("token", self.token)
        return self.server.raw_request("GET", target, **kw)

    def batch(self, requests, version="beta", **kw):
        """POST /{version}/$batch with {"requests": requests}."""
        return self.post("/%s/$batch" % version, {"requests": requests}, **kw)

    def create_many(self, set_path, bodies, threads=8, per_batch=20):
        """Creates every body (in $batch requests of per_batch, threads batches at a time);
        returns the created entities in the order of bodies."""
        version, sp = split_set(set_path)
        chunks = [bodies[i:i + per_batch] for i in range(0, len(bodies), per_batch)]

        def run(chunk):
            reqs = [{"id": str(k), "method": "POST", "url": "/" + sp, "body": b,
                     "headers": {"Content-Type": "application/json"}} for k, b in enumerate(chunk)]
            r = self.batch(reqs, version=version)
            if r.status != 200:
                raise AssertionError("POST /%s/$batch -> %r" % (version, r))
            got = {a["id"]: a for a in r.json()["responses"]}
            out = []
            for k in range(len(chunk)):
                a = got[str(k)]
                if a["status"] != 201:
                    raise AssertionError("batch create in %s -> %r" % (set_path, a))
                out.append(a["body"])
            return out

        with ThreadPoolExecutor(max_workers=threads) as ex:
            return [e for part in ex.map(run, chunks) for e in part]

    def count(self, set_path):
        r = self.get(set_path + "/$count")
        if r.status != 200:
            raise AssertionError("GET %s/$count -> %r" % (set_path, r))
        return int(r.text.strip())

    def create(self, set_path, body=None):
        """POST that must answer 201; returns the entity (dict)."""
        if body is None:
            body = upfx_body() if set_path == UPFX else {}
        r = self.post(set_path, body)
        if r.status != 201:
            raise AssertionError("POST %s %r -> %r" % (set_path, body, r))
        return r.json()


# ---------------------------------------------------------------- assertions

def without_context(entity):
    """The entity without @odata.context (whose base holds the port, which a restart changes)."""
    return {k: v for k, v in entity.items() if k != "@odata.context"}


class GCTestCase(unittest.TestCase):
    maxDiff = None

    def assertGuid(self, s, msg=None):
        self.assertIsInstance(s, str, msg)
        self.assertRegex(s, GUID_RE, msg)

    def assertRecent(self, s, slack=300):
        self.assertLess(abs(dt_instant(s) - time.time()), slack, "not about now: %r" % (s,))

    def assertJsonCT(self, r):
        self.assertEqual(r.header("Content-Type"), JSON_CT, r)

    def assertStdHeaders(self, r, client_request_id=None):
        rid = r.header("request-id")
        self.assertIsNotNone(rid, "no request-id header: %r" % (r.headers,))
        self.assertRegex(rid, GUID_RE)
        self.assertEqual(r.header("client-request-id"), client_request_id or rid)
        self.assertEqual(r.header("OData-Version"), "4.0")
        date = r.header("Date")
        self.assertIsNotNone(date, "no Date header")
        self.assertIsNotNone(email.utils.parsedate_to_datetime(date))

    def assertGraphError(self, r, status, code, message=None, contains=()):
        """A Graph error envelope with exactly these parts; returns the error message."""
        self.assertEqual(r.status, status, r)
        self.assertJsonCT(r)
        body = r.json()
        self.assertEqual(list(body.keys()), ["error"], r)
        err = body["error"]
        self.assertEqual(set(err.keys()), {"code", "message", "innerError"}, r)
        self.assertEqual(err["code"], code, r)
        self.assertIsInstance(err["message"], str)
        self.assertTrue(err["message"], "empty error message")
        inner = err["innerError"]
        self.assertEqual(set(inner.keys()), {"date", "request-id", "client-request-id"}, r)
        self.assertRegex(inner["date"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
        self.assertEqual(inner["request-id"], r.header("request-id"))
        self.assertEqual(inner["client-request-id"], r.header("client-request-id"))
        self.assertStdHeaders(r, client_request_id=inner["client-request-id"])
        if message is not None:
            self.assertEqual(err["message"], message)
        for c in ([contains] if isinstance(contains, str) else contains):
            self.assertIn(c, err["message"])
        return err["message"]

    def assertBadProp(self, r, prop, status=400, code="BadRequest"):
        """A validation error naming the property."""
        msg = self.assertGraphError(r, status, code)
        self.assertIn(prop, msg, "error message does not name %r: %r" % (prop, msg))
        return msg

    def assertEntity(self, r, status, set_path, base):
        """A single-entity response; returns the body."""
        self.assertEqual(r.status, status, r)
        self.assertJsonCT(r)
        self.assertStdHeaders(r)
        body = r.json()
        version, sp = split_set(set_path)
        keys = list(body.keys())
        self.assertGreaterEqual(len(keys), 3, body)
        self.assertEqual(keys[:2], ["@odata.context", "@odata.type"], body)
        self.assertEqual(body["@odata.context"], "%s/%s/$metadata#%s/$entity" % (base, version, sp))
        self.assertEqual(body["@odata.type"], "#microsoft.graph." + SET_TYPES[set_path])
        etag = r.header("ETag")
        self.assertIsNotNone(etag, "no ETag on a single-entity response")
        self.assertRegex(etag, r'^W/".+"$')
        return body

    def assertCollection(self, r, set_path, base):
        """A collection response; returns the value list."""
        self.assertEqual(r.status, 200, r)
        self.assertJsonCT(r)
        self.assertStdHeaders(r)
        body = r.json()
        version, sp = split_set(set_path)
        self.assertEqual(list(body.keys()), ["@odata.context", "value"], body)
        self.assertEqual(body["@odata.context"], "%s/%s/$metadata#%s" % (base, version, sp))
        self.assertIsInstance(body["value"], list)
        return body["value"]

    def assertCount(self, r, n):
        self.assertEqual(r.status, 200, r)
        ct = r.header("Content-Type") or ""
        self.assertEqual(ct.split(";")[0].strip(), "text/plain", r.headers)
        self.assertEqual(r.text, str(n))

    def assertSameProps(self, got, want, skip=()):
        """Every property of want (but @odata.* and skip) equals got's."""
        for k, v in want.items():
            if k.startswith("@odata.") or k in skip:
                continue
            self.assertIn(k, got)
            self.assertEqual(got[k], v, "property %s" % k)


class ServerTest(GCTestCase):
    """One shared server per test class."""
    server_kwargs = {}

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(cls.__name__, **cls.server_kwargs)
        try:
            cls.srv.start()
        except Exception:
            cls.srv.stop(signal.SIGKILL)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()

    @property
    def base(self):
        return self.srv.base


def main():
    unittest.main(verbosity=2)
