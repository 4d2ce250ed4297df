"""Fixtures for the vouchd API tests.

Every test runs against both stores: SQLite (a temp file) and PostgreSQL
(a private cluster from tests/store/pg_harness.sh, started once per
session). The daemon is the one meson built (env VOUCHD); tests talk to it
with the standard library only (http.client, json, subprocess).
"""
import http.client
import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get("VOUCH_SOURCE_ROOT",
                             os.path.dirname(os.path.dirname(HERE)))
DATA = os.environ.get("VOUCH_TEST_DATA",
                      os.path.join(SOURCE_ROOT, "tests", "data"))
PG_HARNESS = os.path.join(SOURCE_ROOT, "tests", "store", "pg_harness.sh")


def vouchd_path():
    path = os.environ.get("VOUCHD")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("VOUCHD must name the built vouchd (meson test sets it)")
    return path


def data_file(*parts):
    with open(os.path.join(DATA, *parts), "rb") as f:
        return f.read()


def data_json(*parts):
    return json.loads(data_file(*parts))


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def error(self):
        """The Google error object, checked for shape."""
        doc = self.json()
        assert set(doc) == {"error"}, doc
        err = doc["error"]
        assert set(err) == {"code", "message", "status"}, err
        assert err["code"] == self.status, err
        return err

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.body[:300])


class Daemon:
    """One vouchd process on a free loopback port."""

    scheme = "http"    # tests/authz's SecureDaemon serves https

    def __init__(self, store_url, workdir, args=()):
        self.store_url = store_url
        self.workdir = workdir
        self.args = list(args)
        self.proc = None
        self.port = None
        tag = uuid.uuid4().hex[:8]
        self.stderr_path = os.path.join(workdir, "vouchd-%s.err" % tag)
        self.access_log = os.path.join(workdir, "access-%s.log" % tag)

    def start(self, timeout=30):
        cmd = [vouchd_path(), "--listen", "127.0.0.1:0", "--store",
               self.store_url, "--access-log", self.access_log,
               "--threads", "4"] + self.args
        self.stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                     stderr=self.stderr,
                                     cwd=self.workdir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.stderr_text()
            m = re.search(r"listening on %s://127\.0\.0\.1:(\d+)"
                          % self.scheme, text)
            if m:
                self.port = int(m.group(1))
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.kill()
        raise AssertionError("vouchd did not start: " + self.stderr_text())

    def stderr_text(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def connect(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)

    def request(self, method, path, body=None, headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        conn = self.connect()
        try:
            hdrs = {"Content-Type": "application/json"} if body else {}
            hdrs.update(headers or {})
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            return Response(resp.status, dict(resp.getheaders()),
                            resp.read())
        finally:
            conn.close()

    def get(self, path):
        return self.request("GET", path)

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.stderr.close()

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="session")
def pg_url():
    """A private PostgreSQL cluster for the session; never skipped."""
    if os.environ.get("VOUCH_TEST_PG_URL"):
        yield os.environ["VOUCH_TEST_PG_URL"]
        return
    out = subprocess.run(["sh", PG_HARNESS, "start"], capture_output=True,
                         text=True, timeout=300)
    if out.returncode != 0:
        pytest.fail("cannot start PostgreSQL with %s: %s"
                    % (PG_HARNESS, out.stderr))
    url, directory = out.stdout.strip().splitlines()[:2]
    yield url
    subprocess.run(["sh", PG_HARNESS, "stop", directory],
                   capture_output=True, timeout=120)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def store_url(request, tmp_path_factory):
    if request.param == "sqlite":
        d = tmp_path_factory.mktemp("sqlite")
        return "sqlite:%s" % (d / "vouch.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("vouchd"))


@pytest.fixture(scope="module")
def server(store_url, workdir):
    """One daemon per module and store; tests use their own project."""
    d = Daemon(store_url, workdir).start()
    yield d
    code = d.stop()
    assert code == 0, d.stderr_text()


@pytest.fixture
def project():
    return "p-" + uuid.uuid4().hex[:12]


def in_threads(worker, count):
    """Run worker(0) .. worker(count - 1) at once, each on its own thread;
    the list of what they raised (empty when all returned)."""
    errors = []

    def run(n):
        try:
            worker(n)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def create_note(server, project, note_id="note-a"):
    r = server.request("POST", "/v1/projects/%s/notes?noteId=%s"
                       % (project, note_id),
                       {"attestation": {"hint": {
                           "humanReadableName": note_id}}})
    assert r.status in (200, 409), r
    return "projects/%s/notes/%s" % (project, note_id)


def attestor_body(note, pem_file=None, description=None):
    body = {"userOwnedGrafeasNote": {"noteReference": note}}
    if pem_file is not None:
        pem = data_file("core", pem_file).decode()
        body["userOwnedGrafeasNote"]["publicKeys"] = [{
            "pkixPublicKey": {"publicKeyPem": pem,
                              "signatureAlgorithm": "ECDSA_P256_SHA256"}}]
    if description is not None:
        body["description"] = description
    return body


def create_attestor(server, project, attestor_id, note, pem_file=None):
    r = server.request("POST", "/v1/projects/%s/attestors?attestorId=%s"
                       % (project, attestor_id),
                       attestor_body(note, pem_file))
    assert r.status == 200, r
    return r.json()


def policy_body(attestors=(), mode=None, etag=None, patterns=()):
    rule = {"enforcementMode": "ENFORCED_BLOCK_AND_AUDIT_LOG"}
    if attestors:
        rule["evaluationMode"] = "REQUIRE_ATTESTATION"
        rule["requireAttestationsBy"] = list(attestors)
    else:
        rule["evaluationMode"] = mode or "ALWAYS_ALLOW"
    body = {"defaultAdmissionRule": rule}
    if patterns:
        body["admissionWhitelistPatterns"] = [
            {"namePattern": p} for p in patterns]
    if etag is not None:
        body["etag"] = etag
    return body
