"""Helpers of the authentication, IAM and TLS suite (tests/authz): a test
CA and server certificates made with the openssl command, static tokens
and their auth-config entries, an OIDC issuer whose tokens PyJWT signs,
and vouchd started with --tls-cert, --tls-key and --auth-config.

Everything is real: openssl keys and certificates, PyJWT signatures,
vouchd over TLS; clients are the standard library's http.client with an
ssl context that trusts only the test CA.
"""
import base64
import hashlib
import http.client
import json
import os
import secrets
import signal
import ssl
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TESTS, "auth"))
import harness as authharness  # noqa: E402  (tests/auth: JWKs, forgeries)


def _load(name, path):
    """A module by path: tests/api/conftest.py under another name, so that
    it does not shadow this suite's own conftest."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


api = _load("api_conftest", os.path.join(TESTS, "api", "conftest.py"))

# The names a test certificate covers: what the tests, gcloud (its Cloud
# Run endpoint run.localhost becomes REGION-run.localhost) and browsers
# use. OpenSSL accepts no wildcard directly under a one-label domain such
# as "*.localhost", so each name is listed.
SERVER_NAMES = ["localhost", "run.localhost", "us-central1-run.localhost",
                "europe-west1-run.localhost"]


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class Pki:
    """A test CA in `d`, and server certificates it signs."""

    def __init__(self, d, name="vouch test CA"):
        self.d = d
        os.makedirs(d, exist_ok=True)
        self.ca_key = os.path.join(d, "ca.key")
        self.ca = os.path.join(d, "ca.pem")
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-keyout", self.ca_key,
                "-out", self.ca, "-days", "2", "-subj", "/CN=" + name)
        self.serial = 0

    def issue(self, cn="127.0.0.1", names=SERVER_NAMES, ips=("127.0.0.1",),
              days=2):
        """A new key and a certificate for it: (cert path, key path)."""
        self.serial += 1
        base = os.path.join(self.d, "server%d" % self.serial)
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", base + ".key", "-out", base + ".csr",
                "-subj", "/CN=" + cn)
        san = ["DNS:" + n for n in names] + ["IP:" + i for i in ips]
        with open(base + ".ext", "w") as f:
            f.write("subjectAltName=%s\n" % ",".join(san))
        openssl("x509", "-req", "-in", base + ".csr", "-CA", self.ca,
                "-CAkey", self.ca_key, "-set_serial", str(1000 + self.serial),
                "-out", base + ".pem", "-days", str(days), "-extfile",
                base + ".ext")
        return base + ".pem", base + ".key"

    def context(self):
        """A client context that trusts this CA only."""
        ctx = ssl.create_default_context(cafile=self.ca)
        return ctx


def new_token():
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() \
        .rstrip("=")


def sha256_hex(text):
    return hashlib.sha256(text.encode()).hexdigest()


class Issuer:
    """An OIDC issuer: signing keys (openssl), its JWKS in a file, and
    tokens signed with PyJWT."""

    def __init__(self, d, url="https://ci.example.com", audience="vouch",
                 keys=(("rsa1", ["-algorithm", "RSA", "-pkeyopt",
                                 "rsa_keygen_bits:2048"]),
                       ("ec1", ["-algorithm", "EC", "-pkeyopt",
                                "ec_paramgen_curve:P-256"]),
                       ("ed1", ["-algorithm", "ED25519"]))):
        self.d = d
        self.url = url
        self.audience = audience
        os.makedirs(os.path.join(d, "keys"), exist_ok=True)
        jwks = []
        for name, opts in keys:
            pem = os.path.join(d, "keys", name + ".pem")
            openssl("genpkey", *opts, "-out", pem)
            openssl("pkey", "-in", pem, "-pubout", "-out",
                    os.path.join(d, "keys", name + ".pub.pem"))
            jwks.append(authharness.public_jwk(name, pem))
        self.jwks_path = os.path.join(d, "jwks.json")
        with open(self.jwks_path, "w") as f:
            json.dump({"keys": jwks}, f)

    def config(self, jwks=None):
        return {"issuer": self.url, "audience": self.audience,
                "jwks": jwks or "file://" + self.jwks_path}

    def claims(self, sub="deployer", **extra):
        now = int(time.time())
        c = {"iss": self.url, "aud": self.audience, "sub": sub,
             "iat": now, "exp": now + 600}
        c.update(extra)
        return {k: v for k, v in c.items() if v is not None}

    def mint(self, claims, key="ec1", alg="ES256", header=None):
        """A compact JWT. alg "none" and "HS256-pubkey" are the forgeries
        tests/auth/harness.py makes by hand."""
        head = {"kid": key}
        head.update(header or {})
        hfile = os.path.join(self.d, "h-%s.json" % uuid.uuid4().hex[:8])
        cfile = os.path.join(self.d, "c-%s.json" % uuid.uuid4().hex[:8])
        with open(hfile, "w") as f:
            json.dump(head, f)
        with open(cfile, "w") as f:
            json.dump(claims, f)
        out = subprocess.run(
            ["/usr/bin/python3", authharness.__file__, "mint", self.d, key,
             alg, hfile, cfile], check=True, capture_output=True, text=True)
        os.remove(hfile)
        os.remove(cfile)
        return out.stdout.strip()


class AuthConfig:
    """The auth config of a test: static tokens by principal, owners,
    groups, OIDC issuers."""

    def __init__(self, path):
        self.path = path
        self.tokens = {}        # principal -> token
        self.owners = []
        self.groups = {}
        self.oidc = []

    def token(self, principal):
        if principal not in self.tokens:
            self.tokens[principal] = new_token()
        return self.tokens[principal]

    def document(self):
        doc = {"tokens": [{"principal": p, "sha256": sha256_hex(t)}
                          for p, t in sorted(self.tokens.items())]}
        if self.owners:
            doc["owners"] = list(self.owners)
        if self.groups:
            doc["groups"] = self.groups
        if self.oidc:
            doc["oidc"] = self.oidc
        return doc

    def write(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.document(), f, indent=2)
        os.replace(tmp, self.path)
        return self.path


OWNER = "user:owner@example.com"


def owner_config(path, users=(), issuer=None):
    """An auth config with the owner OWNER, a token for each of `users`,
    and `issuer` trusted when given."""
    cfg = AuthConfig(path)
    cfg.token(OWNER)
    cfg.owners.append(OWNER)
    for user in users:
        cfg.token(user)
    if issuer is not None:
        cfg.oidc.append(issuer.config())
    return cfg


class SecureDaemon(api.Daemon):
    """vouchd with TLS and an auth config (either may be left out)."""

    def __init__(self, store_url, workdir, pki=None, cert=None,
                 auth=None, args=()):
        extra = list(args)
        self.pki = pki
        if pki is not None:
            self.cert, self.key = cert or pki.issue()
            extra += ["--tls-cert", self.cert, "--tls-key", self.key]
        if auth is not None:
            extra += ["--auth-config", auth.write()]
        super().__init__(store_url, workdir, extra)
        self.scheme = "https" if pki is not None else "http"

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % (self.scheme, self.port)

    def connect(self, timeout=30):
        if self.pki is None:
            return http.client.HTTPConnection("127.0.0.1", self.port,
                                              timeout=timeout)
        return http.client.HTTPSConnection("127.0.0.1", self.port,
                                           timeout=timeout,
                                           context=self.pki.context())

    def call(self, method, path, body=None, token=None, headers=None):
        """A request with `token` as its bearer (None: no Authorization)."""
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        return self.request(method, path, body, hdrs)

    def reload(self):
        """SIGHUP, then wait for the log line that says it was handled."""
        before = self.stderr_text().count("reload done")
        self.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.stderr_text().count("reload done") > before:
                return self.stderr_text()
            time.sleep(0.05)
        raise AssertionError("no reload: " + self.stderr_text())
