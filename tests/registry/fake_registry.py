#!/usr/bin/env python3
"""A FAKE OCI registry for the behaviours a real docker-registry cannot be
made to show on demand. Used by tests/registry/test_registry.c through
harness.py; binds 127.0.0.1 only.

What is fake here, and why:
- Bearer tokens: docker-registry's `token` auth needs a token service that
  signs JWTs with a certificate chain the registry trusts; we cannot run
  such a service here, so this server plays both the registry (answering
  401 with `WWW-Authenticate: Bearer realm=...,service=...,scope=...`) and
  the token server, and checks the token it issued.
- 429/503 with Retry-After, a server that never answers, a registry that
  sends no Docker-Content-Digest, and one whose header does not match the
  manifest: docker-registry never does these on purpose.

Repositories (all tag "1.0"):
  flaky/app          1st request 429 Retry-After: 1, 2nd 503 Retry-After: 0,
                     then 200
  busy/app           always 503 Retry-After: 0, JSON error body
  slow/app           accepts the connection and never answers
  nodigest/app       200 without Docker-Content-Digest (client hashes body)
  baddigest/app      HEAD without digest; GET with a digest that lies
  private/app        Bearer; the token server wants Basic bob:builder and
                     answers {"token": ...}
  public-bearer/app  Bearer; anonymous token server answering
                     {"access_token": ...} (Docker Hub's style)
  evilrealm/app      Bearer with a plain-http realm on a non-loopback host
  redirect/app       307 to plain http (on 127.0.0.1 itself): refused
  /stats             {"counts": {path: n}, "tokens": n}
"""
import base64
import hashlib
import json
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
tokens = {}          # token -> scope
token_requests = [0]


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
                                   "tokens": token_requests[0]})
            return self.send(200, body)
        if path == "/token":
            return self.token(parse_qs(url.query))
        with lock:
            n = counts.get(path, 0) + 1
            counts[path] = n
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
        if path == "/v2/slow/app/manifests/1.0":
            time.sleep(30)
            return None
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
        if repo in ("private/app", "public-bearer/app", "evilrealm/app"):
            return self.bearer_protected(repo)
        return self.send(404, error_body("NAME_UNKNOWN",
                                         "repository name not known to "
                                         "registry"))

    def bearer_protected(self, repo):
        scope = "repository:%s:pull" % repo
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            with lock:
                ok = tokens.get(auth[len("Bearer "):]) == scope
            if ok:
                return self.send(200, MANIFEST, digest=DIGEST)
        host = "127.0.0.1:%d" % self.server.server_address[1]
        if repo == "evilrealm/app":
            host = "registry.example.com"
        challenge = ('Bearer realm="http://%s/token",service="fake-registry",'
                     'scope="%s"' % (host, scope))
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
        if scope == "repository:private/app:pull":
            want = "Basic " + base64.b64encode(
                ("%s:%s" % (BASIC_USER, BASIC_PASS)).encode()).decode()
            if self.headers.get("Authorization", "") != want:
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


def main():
    port = int(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
