"""The unit of work (src/service/vsvc_uow.h): network I/O happens before a
store transaction opens, never while it holds the write lock.

A deploy by tag resolves the tag through the registry. Here the registry
is a small FAKE that holds the manifest request until the test lets it go:
a real docker-registry cannot be made to answer slowly on demand, and a
slow registry is the fault under test. While the deploy waits on it, an
unrelated policy write of another project must go through (before, the
deploy held SQLite's write lock during the resolve, so every writer of the
process waited for the registry).
"""
import hashlib
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import Daemon, policy_body

MANIFEST = json.dumps({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": "sha256:" + "2" * 64, "size": 2},
    "layers": [],
}, sort_keys=True).encode()
DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
HOLD_S = 20       # longest the fake holds a manifest request


class SlowRegistry:
    """FAKE registry on 127.0.0.1: /v2/ answers at once; a manifest request
    waits until release() (at most HOLD_S seconds), then gets MANIFEST."""

    def __init__(self):
        self.arrived = threading.Event()
        self.released = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                pass

            def answer(self, body):
                self.send_response(200)
                if "/manifests/" in self.path:
                    self.send_header("Docker-Content-Digest", DIGEST)
                    self.send_header(
                        "Content-Type",
                        "application/vnd.oci.image.manifest.v1+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_HEAD(self):
                self.do_GET()

            def do_GET(self):
                if "/manifests/" in self.path:
                    outer.arrived.set()
                    outer.released.wait(HOLD_S)
                    self.answer(MANIFEST)
                else:
                    self.answer(b"{}")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)

    def start(self):
        self.thread.start()
        return self

    def release(self):
        self.released.set()

    def stop(self):
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def registry_and_server(store_url, workdir):
    """A slow registry, and a daemon that may reach it (a loopback
    registry must be listed insecure)."""
    registry = SlowRegistry().start()
    d = Daemon(store_url, workdir,
               ["--registry-insecure", "127.0.0.1:%d" % registry.port])
    d.start()
    yield registry, d
    registry.stop()
    assert d.stop() == 0, d.stderr_text()


def test_uow_slow_registry_does_not_block_a_policy_write(
        registry_and_server, project):
    registry, server = registry_and_server
    image = "127.0.0.1:%d/team/app:1.0" % registry.port
    deployed = {}

    def deploy():
        deployed["response"] = server.request(
            "POST", "/v2/projects/%s/locations/us-central1/services"
            "?serviceId=web" % project,
            {"template": {"containers": [{"image": image}]}})

    worker = threading.Thread(target=deploy)
    try:
        worker.start()
        assert registry.arrived.wait(30), "the deploy never asked"
        # The deploy now waits on the registry. Another project's policy
        # write must not wait with it.
        other = "p-" + uuid.uuid4().hex[:12]
        conn = server.connect(timeout=HOLD_S / 2)
        try:
            conn.request("PUT", "/v1/projects/%s/policy" % other,
                         body=json.dumps(policy_body()).encode(),
                         headers={"Content-Type": "application/json"})
            status = conn.getresponse().status
        finally:
            conn.close()
        assert status == 200
        assert worker.is_alive(), "the deploy should still be waiting"
        assert not registry.released.is_set()
    finally:
        registry.release()
        worker.join(60)
    r = deployed["response"]
    assert r.status == 200, r
    svc = r.json()["response"]
    assert svc["name"].endswith("/services/web")
    rev = server.get("/v2/%s" % svc["latestCreatedRevision"]).json()
    assert rev["containers"][0]["image"] == \
        "127.0.0.1:%d/team/app@%s" % (registry.port, DIGEST)


def test_uow_registry_down_fails_closed(store_url, workdir, project):
    # A port where nothing listens: the resolve fails before any
    # transaction, and the deploy fails closed with a reason naming it.
    closed = SlowRegistry()
    port = closed.port
    closed.httpd.server_close()
    server = Daemon(store_url, workdir,
                    ["--registry-insecure", "127.0.0.1:%d" % port]).start()
    image = "127.0.0.1:%d/team/app:1.0" % port
    r = server.request("POST", "/v2/projects/%s/locations/us-central1/"
                       "services?serviceId=web" % project,
                       {"template": {"containers": [{"image": image}]},
                        "binaryAuthorization": {"useDefault": True}})
    assert r.status == 200, r
    op = r.json()
    assert op["done"] is True
    assert "could not be resolved" in op["error"]["message"]
    assert "127.0.0.1:%d" % port in op["error"]["message"]
    assert server.stop() == 0, server.stderr_text()
