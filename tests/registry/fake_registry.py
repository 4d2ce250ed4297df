#!/usr/bin/env python3
"""A FAKE OCI registry for the behaviours a real docker-registry cannot be
made to show on demand. Used by tests/registry/test_registry.c through
harness.py; binds 127.0.0.1 only.

  fake_registry.py PORT ALT_PORT TLS_PORT PROBE_PORT CERT KEY

serves the same registry on PORT and ALT_PORT (plain http) and TLS_PORT
(https with CERT/KEY, a certificate the harness makes with openssl), and
counts the TCP connections made to PROBE_PORT (closing each at once): a
request that should never be sent shows up there.

What is fake here, and why:
- Bearer tokens: docker-registry's `token` auth needs a token service that
  signs JWTs with a certificate chain the registry trusts; we cannot run
  such a service here, so this server plays both the registry (answering
  401 with `WWW-Authenticate: Bearer realm=...,service=...,scope=...`) and
  the token server, and checks the token it issued. It also records which
  Authorization scheme each path received, so a test can prove that
  credentials were NOT sent somewhere.
- 429/5xx with Retry-After, a server that never answers, one that drops
  the connection mid-answer, one that holds every answer until released,
  error bodies carrying secrets, redirects to other ports, a registry that
  sends no Docker-Content-Digest, and one whose header does not match the
  manifest: docker-registry never does these on purpose.

Repositories (all tag "1.0"):
  flaky/app          1st request 429 Retry-After: 1, 2nd 503 Retry-After: 0,
                     then 200
  busy/app           always 503 Retry-After: 0, JSON error body
  limited/app        always 429 Retry-After: 0 (TOOMANYREQUESTS)
  longwait/app       429 Retry-After: 3600
  leak/app           500 whose body holds SECRET-INTERNAL-DATA (message,
                     detail and an unknown code)
  denied/app         403 DENIED whose message holds SECRET-INTERNAL-DATA
  slow/app           accepts the connection and never answers
  drop/app           closes the connection without answering
  partial/app        HEAD: 200 without a digest; GET: headers and half the
                     manifest, then closes
  toggle/app         200, until GET /down: then like drop/app
  gate/app           holds each answer until GET /release (then 200)
  nodigest/app       200 without Docker-Content-Digest (client hashes body)
  baddigest/app      HEAD without digest; GET with a digest that lies
  tls/app            200 with the digest (meant for the TLS port)
  private/app        Bearer; the token server (same origin) wants Basic
                     bob:builder and answers {"token": ...}
  public-bearer/app  Bearer; anonymous token server answering
                     {"access_token": ...} (Docker Hub's style)
  evilrealm/app      Bearer with a plain-http realm on a non-loopback host
  otherrealm/app     Bearer with a plain-http realm on ALT_PORT (another
                     port): /othertoken answers anonymously
  tlsrealm/app       Bearer with an https realm on TLS_PORT: /tlstoken
                     wants Basic bob:builder
  redirect/app       307 to plain http (on 127.0.0.1 itself): refused
  redirect-probe/app 307 to https://127.0.0.1:PROBE_PORT/...: refused
  redirect-tls/app   wants Basic bob:builder, then 307 to
                     https://127.0.0.1:TLS_PORT/v2/tls/app/manifests/1.0
  /release, /down    open the gate of gate/app; take toggle/app down
  /stats             {"counts": {path: n}, "tokens": n, "probe": n,
                      "auth": {path: ["none" | "basic" | "bearer", ...]}}
"""
import base64
import hashlib
import json
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MANIFEST = json.dumps({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": "sha256:" + "1" * 64, "size": 2},
    "layers": [],
}, sort_keys=True).encode()
DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
BASIC_USER = "bob"
BASIC_PASS = "builder"

lock = threading.Lock()
counts = {}
auth_seen = {}       # path -> ["none" | "basic" | "bearer", ...]
tokens = {}          # token -> scope
token_requests = [0]
probe_connections = [0]
gate = threading.Event()
down = threading.Event()
ports = {}           # "alt", "tls", "probe" -> port
SECRET = "SECRET-INTERNAL-DATA"


def basic_header():
    return "Basic " + base64.b64encode(
        ("%s:%s" % (BASIC_USER, BASIC_PASS)).encode()).decode()


def error_body(code, message):
    return json.dumps({"errors": [{"code": code, "message": message}]})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep the test output quiet
        pass

    def send(self, status, body=b"", headers=None, digest=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if digest is not None:
            self.send_header("Docker-Content-Digest", digest)
        if status == 200 and body == MANIFEST:
            self.send_header("Content-Type", OCI_MANIFEST)
        elif body:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.handle_any()

    def do_GET(self):
        self.handle_any()

    def handle_any(self):
        url = urlsplit(self.path)
        path = url.path
        if path == "/stats":
            with lock:
                body = json.dumps({"counts": counts,
                                   "tokens": token_requests[0],
                                   "probe": probe_connections[0],
                                   "auth": auth_seen})
            return self.send(200, body)
        if path == "/release":
            gate.set()
            return self.send(200, "{}")
        if path == "/down":
            down.set()
            return self.send(200, "{}")
        auth = self.headers.get("Authorization", "")
        with lock:
            n = counts.get(path, 0) + 1
            counts[path] = n
            auth_seen.setdefault(path, []).append(
                auth.split(" ", 1)[0].lower() if auth else "none")
        if path in ("/token", "/othertoken", "/tlstoken"):
            return self.token(parse_qs(url.query))
        if path == "/v2/":
            return self.send(200, "{}")
        repo = path[len("/v2/"):].rsplit("/manifests/", 1)[0]
        if path == "/v2/flaky/app/manifests/1.0":
            if n == 1:
                return self.send(429, error_body("TOOMANYREQUESTS", "slow down"),
                                 {"Retry-After": "1"})
            if n == 2:
                return self.send(503, error_body("UNAVAILABLE", "busy"),
                                 {"Retry-After": "0"})
            return self.send(200, MANIFEST, digest=DIGEST)
        if path == "/v2/busy/app/manifests/1.0":
            return self.send(503, error_body("UNAVAILABLE", "try later"),
                             {"Retry-After": "0"})
        if path == "/v2/limited/app/manifests/1.0":
            return self.send(429, error_body("TOOMANYREQUESTS", "slow down"),
                             {"Retry-After": "0"})
        if path == "/v2/longwait/app/manifests/1.0":
            return self.send(429, error_body("TOOMANYREQUESTS", "an hour"),
                             {"Retry-After": "3600"})
        if path == "/v2/leak/app/manifests/1.0":
            return self.send(500, json.dumps({"errors": [{
                "code": "SECRET_INTERNAL_CODE", "message": SECRET,
                "detail": {"secret": SECRET}}]}))
        if path == "/v2/denied/app/manifests/1.0":
            return self.send(403, error_body("DENIED", SECRET))
        if path == "/v2/slow/app/manifests/1.0":
            time.sleep(30)
            return None
        if path == "/v2/drop/app/manifests/1.0" or (
                path == "/v2/toggle/app/manifests/1.0" and down.is_set()):
            return self.drop()
        if path == "/v2/toggle/app/manifests/1.0":
            return self.send(200, MANIFEST, digest=DIGEST)
        if path == "/v2/partial/app/manifests/1.0":
            if self.command == "HEAD":
                return self.send(200, MANIFEST)
            return self.drop()
        if path == "/v2/gate/app/manifests/1.0":
            gate.wait(60)
            return self.send(200, MANIFEST, digest=DIGEST)
        if path == "/v2/tls/app/manifests/1.0":
            return self.send(200, MANIFEST, digest=DIGEST)
        if path == "/v2/nodigest/app/manifests/1.0":
            return self.send(200, MANIFEST)
        if path == "/v2/baddigest/app/manifests/1.0":
            return self.send(200, MANIFEST, digest=None
                             if self.command == "HEAD"
                             else "sha256:" + "0" * 64)
        if path == "/v2/redirect/app/manifests/1.0":
            return self.send(307, "", {
                "Location": "http://127.0.0.1:%d/v2/redirected/app/manifests/1.0"
                % self.server.server_address[1]})
        if path == "/v2/redirect-probe/app/manifests/1.0":
            return self.send(307, "", {
                "Location": "https://127.0.0.1:%d/v2/probe/app/manifests/1.0"
                % ports["probe"]})
        if path == "/v2/redirect-tls/app/manifests/1.0":
            if auth != basic_header():
                return self.send(401, error_body("UNAUTHORIZED", "who?"),
                                 {"WWW-Authenticate": 'Basic realm="fake"'})
            return self.send(307, "", {
                "Location": "https://127.0.0.1:%d/v2/tls/app/manifests/1.0"
                % ports["tls"]})
        if repo in ("private/app", "public-bearer/app", "evilrealm/app",
                    "otherrealm/app", "tlsrealm/app"):
            return self.bearer_protected(repo)
        return self.send(404, error_body("NAME_UNKNOWN",
                                         "repository name not known to "
                                         "registry"))

    def drop(self):
        """Break the answer: nothing at all to a HEAD, half a body to a
        GET; either way the connection closes."""
        self.close_connection = True
        if self.command == "GET":
            self.send_response(200)
            self.send_header("Content-Type", OCI_MANIFEST)
            self.send_header("Content-Length", str(len(MANIFEST)))
            self.end_headers()
            self.wfile.write(MANIFEST[:len(MANIFEST) // 2])
            self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)

    def bearer_protected(self, repo):
        scope = "repository:%s:pull" % repo
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            with lock:
                ok = tokens.get(auth[len("Bearer "):]) == scope
            if ok:
                return self.send(200, MANIFEST, digest=DIGEST)
        realm = "http://127.0.0.1:%d/token" % self.server.server_address[1]
        if repo == "evilrealm/app":
            realm = "http://registry.example.com/token"
        elif repo == "otherrealm/app":
            realm = "http://127.0.0.1:%d/othertoken" % ports["alt"]
        elif repo == "tlsrealm/app":
            realm = "https://127.0.0.1:%d/tlstoken" % ports["tls"]
        challenge = ('Bearer realm="%s",service="fake-registry",'
                     'scope="%s"' % (realm, scope))
        return self.send(401, error_body("UNAUTHORIZED",
                                         "authentication required"),
                         {"WWW-Authenticate": challenge})

    def token(self, query):
        with lock:
            token_requests[0] += 1
            serial = token_requests[0]
        service = query.get("service", [""])[0]
        scope = query.get("scope", [""])[0]
        if service != "fake-registry" or not scope.startswith("repository:"):
            return self.send(400, error_body("DENIED", "bad service/scope"))
        if scope in ("repository:private/app:pull",
                     "repository:tlsrealm/app:pull"):
            if self.headers.get("Authorization", "") != basic_header():
                return self.send(401, error_body("UNAUTHORIZED",
                                                 "bad credentials"))
            tok = "tok-%d-%s" % (serial, "p")
            with lock:
                tokens[tok] = scope
            return self.send(200, json.dumps({"token": tok,
                                              "expires_in": 300}))
        tok = "anon-%d" % serial
        with lock:
            tokens[tok] = scope
        return self.send(200, json.dumps({"access_token": tok}))


class TLSServer(ThreadingHTTPServer):
    """https: the handshake happens in the handler's thread, so a client
    that never completes it cannot stall the accept loop."""

    def __init__(self, address, cert, key):
        super().__init__(address, Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.socket = ctx.wrap_socket(self.socket, server_side=True,
                                      do_handshake_on_connect=False)

    def finish_request(self, request, client_address):
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)


def probe(port):
    """Count connections to PROBE_PORT; none should ever arrive."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    while True:
        conn, _ = s.accept()
        with lock:
            probe_connections[0] += 1
        conn.close()


def serve(server):
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()


def main():
    port, alt, tls, probe_port = (int(a) for a in sys.argv[1:5])
    cert, key = sys.argv[5:7]
    ports.update({"alt": alt, "tls": tls, "probe": probe_port})
    threading.Thread(target=probe, args=(probe_port,), daemon=True).start()
    serve(ThreadingHTTPServer(("127.0.0.1", alt), Handler))
    serve(TLSServer(("127.0.0.1", tls), cert, key))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
