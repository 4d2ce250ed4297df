#!/usr/bin/env python3
"""Harness for tests/auth/test_authn.c and test_jwks_cache.c (real keys,
real signatures, a real HTTPS server with a test CA).

  harness.py run -- TEST_EXE [ARGS...]
      In a fresh temporary directory DIR:
        - make keys with the openssl command: RSA 2048 (rsa1, rsa2),
          EC P-256 (ec1), Ed25519 (ed1); write each public key as a JWK
          (DIR/keys/NAME.jwk.json, built with python3-cryptography);
        - make a test CA and a server certificate for 127.0.0.1 signed by
          it (openssl req / x509);
        - serve DIR/www on 127.0.0.1 over HTTPS (that certificate) and over
          plain HTTP, each on a free port (see Handler);
      then run the test with VOUCH_AUTH_DIR, VOUCH_AUTH_HTTPS,
      VOUCH_AUTH_HTTP, VOUCH_AUTH_CA and VOUCH_AUTH_MINT in its
      environment, stop the servers and remove DIR.

  harness.py mint DIR KEY ALG HEADER_FILE CLAIMS_FILE
      Print a compact JWT over the JSON claims in CLAIMS_FILE with the extra
      header members in HEADER_FILE, signed by DIR/keys/KEY.pem with PyJWT
      (python3-jwt): ALG RS256, ES256 (raw r||s, as RFC 7518 says) or
      EdDSA. Two forgeries are made by hand, because no library will make
      them: ALG "none" (no signature), and ALG "HS256-pubkey": HS256 with
      the bytes of KEY's public PEM as the HMAC secret (the classic
      algorithm-confusion attack).
"""
import base64
import hashlib
import hmac
import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = {
    "rsa1": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "rsa2": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "ec1": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "ed1": ["-algorithm", "ED25519"],
}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def int_bytes(n, size=None):
    size = size or (n.bit_length() + 7) // 8
    return n.to_bytes(size, "big")


def public_jwk(name, pem_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    with open(pem_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    pub = key.public_key()
    if isinstance(pub, rsa.RSAPublicKey):
        nums = pub.public_numbers()
        return {"kty": "RSA", "kid": name, "use": "sig", "alg": "RS256",
                "n": b64url(int_bytes(nums.n)), "e": b64url(int_bytes(nums.e))}
    if isinstance(pub, ec.EllipticCurvePublicKey):
        nums = pub.public_numbers()
        return {"kty": "EC", "kid": name, "crv": "P-256",
                "x": b64url(int_bytes(nums.x, 32)),
                "y": b64url(int_bytes(nums.y, 32))}
    if isinstance(pub, ed25519.Ed25519PublicKey):
        raw = pub.public_bytes(serialization.Encoding.Raw,
                               serialization.PublicFormat.Raw)
        return {"kty": "OKP", "kid": name, "crv": "Ed25519",
                "x": b64url(raw)}
    raise ValueError(name)


def make_keys(d):
    os.makedirs(os.path.join(d, "keys"))
    for name, opts in KEYS.items():
        pem = os.path.join(d, "keys", name + ".pem")
        run("openssl", "genpkey", *opts, "-out", pem)
        run("openssl", "pkey", "-in", pem, "-pubout", "-out",
            os.path.join(d, "keys", name + ".pub.pem"))
        with open(os.path.join(d, "keys", name + ".jwk.json"), "w") as f:
            json.dump(public_jwk(name, pem), f)


def make_ca(d):
    ca_key = os.path.join(d, "ca.key")
    ca = os.path.join(d, "ca.pem")
    key = os.path.join(d, "server.key")
    csr = os.path.join(d, "server.csr")
    cert = os.path.join(d, "server.pem")
    ext = os.path.join(d, "server.ext")
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca_key, "-out", ca,
        "-days", "2", "-subj", "/CN=vouch auth test CA")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
        "-subj", "/CN=127.0.0.1")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
        "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext)
    return ca, cert, key


class Handler(http.server.BaseHTTPRequestHandler):
    """GET /jwks/NAME: DIR/www/NAME.json, with the Cache-Control header in
    DIR/www/NAME.cc when that file exists; 404 when the .json is missing.
    Every request first adds one to DIR/www/NAME.count, so the test can
    count fetches. GET /redirect/NAME: 302 to /jwks/NAME on the plain-HTTP
    server. GET /big/NAME: 2 MiB of JSON-ish bytes (over the JWKS limit)."""
    www = None
    http_port = None

    def log_message(self, *args):
        pass

    def count(self, name):
        path = os.path.join(self.www, name + ".count")
        n = 0
        if os.path.exists(path):
            with open(path) as f:
                n = int(f.read() or 0)
        with open(path + ".tmp", "w") as f:
            f.write(str(n + 1))
        os.replace(path + ".tmp", path)

    def do_GET(self):
        parts = self.path.strip("/").split("/")
        if len(parts) != 2 or "." in parts[1] or not parts[1]:
            self.send_error(404)
            return
        kind, name = parts
        self.count(name)
        if kind == "redirect":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:%d/jwks/%s"
                             % (self.http_port, name))
            self.end_headers()
            return
        if kind == "big":
            body = b'{"keys": [' + b" " * (2 * 1024 * 1024) + b"]}"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        path = os.path.join(self.www, name + ".json")
        if kind != "jwks" or not os.path.exists(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        cc = os.path.join(self.www, name + ".cc")
        if os.path.exists(cc):
            with open(cc) as f:
                self.send_header("Cache-Control", f.read().strip())
        self.end_headers()
        self.wfile.write(body)


def serve(server):
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    return t


def cmd_run(argv):
    if not argv or argv[0] != "--":
        sys.exit("usage: harness.py run -- TEST_EXE [ARGS...]")
    d = tempfile.mkdtemp(prefix="vouch-auth-")
    servers = []
    try:
        make_keys(d)
        ca, cert, key = make_ca(d)
        www = os.path.join(d, "www")
        os.makedirs(www)
        Handler.www = www
        plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        Handler.http_port = plain.server_address[1]
        tls = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
        servers = [plain, tls]
        for s in servers:
            serve(s)
        env = dict(os.environ)
        env.update({
            "VOUCH_AUTH_DIR": d,
            "VOUCH_AUTH_HTTPS": "https://127.0.0.1:%d" % tls.server_address[1],
            "VOUCH_AUTH_HTTP": "http://127.0.0.1:%d" % plain.server_address[1],
            "VOUCH_AUTH_CA": ca,
            "VOUCH_AUTH_MINT": "%s %s mint" % (sys.executable,
                                               os.path.abspath(__file__)),
        })
        for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                    "all_proxy", "ALL_PROXY"):
            env.pop(var, None)
        return subprocess.run(argv[1:], env=env).returncode
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()
        shutil.rmtree(d, ignore_errors=True)


def cmd_mint(argv):
    import jwt  # python3-jwt (PyJWT)
    d, key, alg, header_file, claims_file = argv
    with open(header_file) as f:
        header = json.load(f)
    with open(claims_file) as f:
        claims = json.load(f)
    if alg in ("none", "HS256-pubkey"):
        head = dict(header)
        head["alg"] = "none" if alg == "none" else "HS256"
        head.setdefault("typ", "JWT")
        signing_input = (b64url(json.dumps(head).encode()) + "." +
                         b64url(json.dumps(claims).encode()))
        sig = ""
        if alg == "HS256-pubkey":
            with open(os.path.join(d, "keys", key + ".pub.pem"), "rb") as f:
                secret = f.read()
            sig = b64url(hmac.new(secret, signing_input.encode(),
                                  hashlib.sha256).digest())
        print(signing_input + "." + sig)
        return 0
    with open(os.path.join(d, "keys", key + ".pem"), "rb") as f:
        pem = f.read()
    token = jwt.encode(claims, pem, algorithm=alg, headers=header)
    print(token if isinstance(token, str) else token.decode())
    return 0


def debian_python():
    """PyJWT and cryptography come from Debian (python3-jwt,
    python3-cryptography); when the python3 first on PATH is another one
    without them, run this script with Debian's instead."""
    try:
        import cryptography  # noqa: F401
        import jwt  # noqa: F401
    except ImportError:
        if sys.executable != "/usr/bin/python3" and \
                os.path.exists("/usr/bin/python3"):
            os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
        raise


def main():
    debian_python()
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if sys.argv[1] == "run":
        sys.exit(cmd_run(sys.argv[2:]))
    if sys.argv[1] == "mint":
        sys.exit(cmd_mint(sys.argv[2:]))
    sys.exit(__doc__)


if __name__ == "__main__":
    main()
