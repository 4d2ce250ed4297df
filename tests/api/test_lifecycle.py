"""The daemon's life: start-up checks, graceful shutdown, and two daemons
on one database."""
import json
import signal
import socket
import subprocess
import time
import uuid

import pytest

from conftest import (Daemon, create_attestor, create_note, data_file,
                      data_json, in_threads, policy_body, vouchd_path)


def run_vouchd(*args, timeout=60):
    return subprocess.run([vouchd_path()] + list(args), capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.parametrize("addr", ["0.0.0.0:8080", "[::]:8080",
                                  "192.0.2.1:8080"])
def test_lifecycle_non_loopback_listen_is_refused(addr, tmp_path):
    out = run_vouchd("--listen", addr, "--store",
                     "sqlite:%s" % (tmp_path / "x.db"))
    assert out.returncode == 2
    # Neither an auth config nor TLS: the message names both.
    assert "needs an auth config (--auth-config" in out.stderr
    assert "and TLS (--tls-cert" in out.stderr
    assert "loopback" in out.stderr
    assert addr in out.stderr
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("addr", ["127.0.0.1", "nohost:80", "[::1:80",
                                  "127.0.0.1:99999", "127.0.0.1:-1"])
def test_lifecycle_malformed_listen_is_a_usage_error(addr, tmp_path):
    out = run_vouchd("--listen", addr, "--store",
                     "sqlite:%s" % (tmp_path / "x.db"))
    assert out.returncode == 2
    assert "--listen" in out.stderr


@pytest.mark.parametrize("args", [["--threads", "0"], ["--threads", "x"],
                                  ["--threads", "257"], ["--max-body", "0"],
                                  ["--max-body", "99999999999"],
                                  ["--max-header", "100"],
                                  ["--timeout", "0"], ["--timeout", "-5"],
                                  ["--bogus"], ["--store"], ["--listen"],
                                  ["--threads=two"]])
def test_lifecycle_bad_flags_are_usage_errors(args):
    out = run_vouchd(*args)
    assert out.returncode == 2
    assert out.stderr.startswith("vouchd: ")


def test_lifecycle_unknown_store_scheme_is_refused():
    out = run_vouchd("--listen", "127.0.0.1:0", "--store", "mysql://x")
    assert out.returncode == 2
    assert "--store" in out.stderr


def test_lifecycle_help_and_version():
    out = run_vouchd("--help")
    assert out.returncode == 0 and "--listen" in out.stdout
    out = run_vouchd("--version")
    assert out.returncode == 0 and out.stdout.startswith("vouchd ")


def test_lifecycle_ipv6_loopback(store_url, workdir):
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    d = Daemon(store_url, workdir)
    d.args = ["--listen", "[::1]:0"]
    cmd = [vouchd_path(), "--listen", "[::1]:0", "--store", store_url,
           "--access-log", d.access_log]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        assert "listening on http://[::1]:" in line, line
        port = int(line.rsplit(":", 1)[1].split()[0])
        import http.client
        c = http.client.HTTPConnection("::1", port, timeout=30)
        c.request("GET", "/healthz")
        assert c.getresponse().read() == b"ok\n"
        c.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0


def test_lifecycle_sigterm_lets_in_flight_request_finish(store_url,
                                                         workdir):
    d = Daemon(store_url, workdir).start()
    body = json.dumps(policy_body(mode="ALWAYS_DENY")).encode()
    s = socket.create_connection(("127.0.0.1", d.port), timeout=30)
    try:
        # Headers and half the body: the request is in flight.
        s.sendall(b"PUT /v1/projects/shutdown-test/policy HTTP/1.1\r\n"
                  b"Host: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n" % (d.port, len(body)))
        s.sendall(body[:10])
        time.sleep(0.5)
        d.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert d.proc.poll() is None, "exited with a request in flight"
        # New connections are refused while it drains (once the signal
        # was handled, however loaded the machine is).
        deadline = time.monotonic() + 10
        with pytest.raises(OSError):
            while time.monotonic() < deadline:
                socket.create_connection(("127.0.0.1", d.port),
                                         timeout=5).close()
                time.sleep(0.1)
        s.sendall(body[10:])
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if data.rstrip().endswith(b"}") and b"\r\n\r\n" in data:
                head, _, rest = data.partition(b"\r\n\r\n")
                length = [int(h.split(b":")[1]) for h in head.split(b"\r\n")
                          if h.lower().startswith(b"content-length")]
                if length and len(rest) >= length[0]:
                    break
    finally:
        s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), data
    assert json.loads(rest)["defaultAdmissionRule"]["evaluationMode"] == \
        "ALWAYS_DENY"
    assert d.proc.wait(timeout=60) == 0, d.stderr_text()
    assert "stopped" in d.stderr_text()
    # The write was committed: a new daemon on the same store sees it.
    d2 = Daemon(store_url, workdir).start()
    try:
        doc = d2.get("/v1/projects/shutdown-test/policy").json()
        assert doc["defaultAdmissionRule"]["evaluationMode"] == \
            "ALWAYS_DENY"
    finally:
        assert d2.stop() == 0


def test_lifecycle_sigint_stops_cleanly(store_url, workdir):
    d = Daemon(store_url, workdir).start()
    assert d.get("/healthz").status == 200
    assert d.stop(signal.SIGINT) == 0


def test_lifecycle_two_daemons_share_one_database(store_url, workdir,
                                                  project):
    a = Daemon(store_url, workdir).start()
    b = Daemon(store_url, workdir).start()
    try:
        note = create_note(a, project)
        assert b.get("/v1/" + note).status == 200
        create_attestor(a, project, "x", note)
        name = "projects/%s/attestors/x" % project
        # Written through A, read through B at once.
        assert b.get("/v1/" + name).status == 200
        r = a.request("PUT", "/v1/projects/%s/policy" % project,
                      policy_body(attestors=[name]))
        assert r.status == 200
        assert b.get("/v1/projects/%s/policy" % project).json() == r.json()
        # B refuses to delete what A's policy requires.
        assert b.request("DELETE", "/v1/" + name).status == 400
        # An etag from A's write is current on B too; a stale one is not.
        etag = r.json()["etag"]
        r2 = b.request("PUT", "/v1/projects/%s/policy" % project,
                       policy_body(etag=etag))
        assert r2.status == 200
        r3 = a.request("PUT", "/v1/projects/%s/policy" % project,
                       policy_body(etag=etag))
        assert r3.status == 409
        # Many interleaved writes and reads; the reader has just read the
        # old policy (with PostgreSQL it keeps it in memory) before the
        # other daemon replaces it.
        path = "/v1/projects/%s/policy" % project
        for i in range(60):
            w = (a, b)[i % 2]
            rd = (b, a)[i % 2]
            rd.get(path)
            doc = w.request("PUT", path, policy_body()).json()
            assert rd.get(path).json() == doc, "round %d" % i
    finally:
        assert a.stop() == 0
        assert b.stop() == 0


def test_lifecycle_concurrent_requests(server, project):
    note = create_note(server, project)

    def worker(n):
        for i in range(5):
            r = server.request("POST", "/v1/projects/%s/attestors?"
                               "attestorId=c%d-%d" % (project, n, i),
                               {"userOwnedGrafeasNote": {
                                   "noteReference": note}})
            assert r.status == 200, r.status

    assert in_threads(worker, 8) == []
    doc = server.get("/v1/projects/%s/attestors?pageSize=1000"
                     % project).json()
    assert len(doc["attestors"]) == 40


def test_lifecycle_readyz_is_503_when_postgres_is_down(workdir):
    from conftest import PG_HARNESS
    out = subprocess.run(["sh", PG_HARNESS, "start"], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    url, directory = out.stdout.strip().splitlines()[:2]
    stopped = False
    d = Daemon(url, workdir).start()
    try:
        assert d.get("/readyz").status == 200
        subprocess.run(["sh", PG_HARNESS, "stop", directory],
                       capture_output=True, timeout=120, check=True)
        stopped = True
        r = d.get("/readyz")
        assert r.status == 503
        assert r.error()["status"] == "UNAVAILABLE"
        r = d.get("/v1/projects/p/policy")
        assert r.status == 503, r
        assert r.error()["status"] == "UNAVAILABLE"
        assert d.get("/healthz").status == 200
    finally:
        code = d.stop()
        if not stopped:
            subprocess.run(["sh", PG_HARNESS, "stop", directory],
                           capture_output=True, timeout=120)
    assert code == 0, d.stderr_text()


def test_lifecycle_unwritable_access_log_is_a_usage_error(tmp_path):
    out = run_vouchd("--listen", "127.0.0.1:0", "--store",
                     "sqlite:%s" % (tmp_path / "x.db"), "--access-log",
                     str(tmp_path / "no" / "such" / "dir" / "log"))
    assert out.returncode == 2
    assert "--access-log" in out.stderr


def test_lifecycle_missing_system_policy_file_is_a_usage_error(tmp_path):
    out = run_vouchd("--listen", "127.0.0.1:0", "--store",
                     "sqlite:%s" % (tmp_path / "x.db"), "--system-policy",
                     str(tmp_path / "missing.yaml"))
    assert out.returncode == 2
    assert "missing.yaml" in out.stderr


def test_lifecycle_unopenable_store_fails_start_up(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    out = run_vouchd("--listen", "127.0.0.1:0", "--store",
                     "sqlite:%s" % (blocker / "x.db"))
    assert out.returncode == 1
    assert "--store" in out.stderr


def test_lifecycle_address_in_use_fails_start_up(store_url, workdir):
    d = Daemon(store_url, workdir).start()
    try:
        out = run_vouchd("--listen", "127.0.0.1:%d" % d.port, "--store",
                         store_url)
    finally:
        assert d.stop() == 0
    assert out.returncode == 1
    assert "cannot listen on 127.0.0.1:%d" % d.port in out.stderr


def test_lifecycle_key_change_through_other_daemon(store_url, workdir):
    # A verifies an attestation (and keeps the success in its verify
    # cache); B rebinds the key id to another key; A must refuse at once.
    from test_attestors import core_attestor, validate
    a = Daemon(store_url, workdir).start()
    b = Daemon(store_url, workdir).start()
    try:
        path = core_attestor(a, "rebind-" + uuid.uuid4().hex[:8])
        occ = data_json("attestations", "a-good.json")
        for _ in range(2):
            assert validate(a, path, occ).json()["result"] == "VERIFIED"
        body = data_json("core", "attestor-a-keyb.json")
        ids = data_file("core", "ids.txt").decode().split()
        body["userOwnedGrafeasNote"]["publicKeys"][0]["id"] = ids[0]
        assert b.request("PUT", path, body).status == 200
        assert validate(a, path, occ).json()["result"] == \
            "ATTESTATION_NOT_VERIFIABLE"
    finally:
        assert a.stop() == 0
        assert b.stop() == 0
