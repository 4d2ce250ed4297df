"""TLS on vouchd's port (docs/security.md "TLS"): clients that trust the
test CA connect; TLS 1.1 and below, and plain HTTP, get a TLS alert and no
answer; SIGHUP puts a new certificate in force without dropping a
connection in flight; and vouchd leaves loopback only with both an auth
config and TLS."""
import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time

import pytest

import authz


@pytest.fixture(scope="module")
def live(workdir, pki, auth):
    """vouchd whose certificate files the tests may replace."""
    cert, key = pki.issue(cn="first.vouch.test")
    live_cert = os.path.join(workdir, "live.pem")
    live_key = os.path.join(workdir, "live.key")
    shutil.copy(cert, live_cert)
    shutil.copy(key, live_key)
    d = authz.SecureDaemon("sqlite:" + os.path.join(workdir, "tls.db"),
                           workdir, pki=pki, cert=(live_cert, live_key),
                           auth=auth).start()
    yield d
    assert d.stop() == 0, d.stderr_text()


def peer_cn(sock):
    subject = dict(x[0] for x in sock.getpeercert()["subject"])
    return subject["commonName"]


def install(src_cert, src_key, d):
    # Replace the files the way an operator's renewal does: new files
    # renamed over the old ones.
    for src, dst in ((src_cert, d.cert), (src_key, d.key)):
        shutil.copy(src, dst + ".new")
        os.replace(dst + ".new", dst)


def test_tls_curl_with_the_test_ca(live, pki):
    url = live.url + "/healthz"
    out = subprocess.run(["curl", "-sS", "--cacert", pki.ca, url],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "ok\n"
    # Without the CA the certificate is not trusted.
    out = subprocess.run(["curl", "-sS", url], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 60, out.stderr
    for version in ("1.2", "1.3"):
        out = subprocess.run(["curl", "-sS", "--cacert", pki.ca,
                              "--tlsv" + version, "--tls-max", version,
                              url], capture_output=True, text=True,
                             timeout=60)
        assert out.returncode == 0, (version, out.stderr)


def test_tls_old_versions_get_a_protocol_version_alert(live, pki):
    out = subprocess.run(["curl", "-sS", "--cacert", pki.ca, "--tls-max",
                          "1.1", live.url + "/healthz"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 35, out.stderr
    assert "alert protocol version" in out.stderr
    for flag in ("-tls1_1", "-tls1"):
        out = subprocess.run(
            ["openssl", "s_client", "-connect", "127.0.0.1:%d" % live.port,
             flag, "-cipher", "DEFAULT@SECLEVEL=0"],
            input="", capture_output=True, text=True, timeout=60)
        assert out.returncode != 0
        assert "alert protocol version" in out.stdout + out.stderr, flag


def test_tls_plain_http_gets_an_alert_not_an_answer(live):
    with socket.create_connection(("127.0.0.1", live.port),
                                  timeout=30) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    # A TLS alert record (21), fatal (2), unexpected_message (10).
    assert data[:1] == b"\x15" and data[5:7] == b"\x02\x0a", data
    assert b"HTTP/" not in data


def test_tls_sighup_swaps_the_certificate_keeping_connections(live, pki):
    # A keep-alive connection, and a request whose body is on its way.
    kept = live.connect()
    kept.request("GET", "/healthz")
    assert kept.getresponse().read() == b"ok\n"
    assert peer_cn(kept.sock) == "first.vouch.test"
    raw = socket.create_connection(("127.0.0.1", live.port), timeout=30)
    half = pki.context().wrap_socket(raw, server_hostname="localhost")
    body = b'{"permissions": ["run.services.get"]}'
    half.sendall(b"POST /v1/projects/p:testIamPermissions HTTP/1.1\r\n"
                 b"Host: localhost:%d\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                 % (live.port, len(body)) + body[:10])

    cert, key = pki.issue(cn="second.vouch.test")
    install(cert, key, live)
    log = live.reload()
    assert "reloaded the TLS certificate: CN=second.vouch.test" in log

    # The request in flight completes on its connection.
    half.sendall(body[10:])
    answer = b""
    while True:
        chunk = half.recv(4096)
        if not chunk:
            break
        answer += chunk
    half.close()
    # Anonymous: testIamPermissions answers, holding nothing.
    assert answer.startswith(b"HTTP/1.1 200"), answer
    assert answer.endswith(b"\r\n\r\n{}\n"), answer
    # The kept connection still works, with the certificate it began with.
    kept.request("GET", "/healthz")
    assert kept.getresponse().read() == b"ok\n"
    assert peer_cn(kept.sock) == "first.vouch.test"
    kept.close()
    # A new connection gets the new certificate.
    fresh = live.connect()
    fresh.request("GET", "/healthz")
    assert fresh.getresponse().read() == b"ok\n"
    assert peer_cn(fresh.sock) == "second.vouch.test"
    fresh.close()


def test_tls_a_broken_key_on_reload_keeps_the_certificate(live, pki):
    cert, key = pki.issue(cn="third.vouch.test")
    install(cert, key, live)
    live.reload()
    with open(live.key, "w") as f:
        f.write("-----BEGIN PRIVATE KEY-----\nnot a key\n")
    log = live.reload()
    assert "reload: TLS (the previous certificate stays in force)" in log
    c = live.connect()
    c.request("GET", "/healthz")
    assert c.getresponse().read() == b"ok\n"
    assert peer_cn(c.sock) == "third.vouch.test"
    c.close()
    # Put a good key back for the tests after this one.
    install(cert, key, live)
    live.reload()


def run_vouchd(*args):
    return subprocess.run([authz.api.vouchd_path()] + list(args),
                          capture_output=True, text=True, timeout=60)


def test_tls_start_up_refuses_bad_pairs(workdir, pki):
    cert, key = pki.issue()
    other_cert, other_key = pki.issue()
    db = "sqlite:" + os.path.join(workdir, "never.db")
    out = run_vouchd("--listen", "127.0.0.1:0", "--store", db, "--tls-cert",
                     cert, "--tls-key", other_key)
    assert out.returncode == 2
    assert "is not the key of the certificate" in out.stderr
    out = run_vouchd("--listen", "127.0.0.1:0", "--store", db, "--tls-cert",
                     cert)
    assert out.returncode == 2
    assert "--tls-cert and --tls-key go together" in out.stderr
    out = run_vouchd("--listen", "127.0.0.1:0", "--store", db, "--tls-cert",
                     key, "--tls-key", key)
    assert out.returncode == 2
    assert "not a PEM certificate chain" in out.stderr


def test_listen_beyond_loopback_needs_auth_and_tls(workdir, pki, auth):
    cert, key = pki.issue()
    db = "sqlite:" + os.path.join(workdir, "wide.db")
    path = auth.write()
    out = run_vouchd("--listen", "0.0.0.0:0", "--store", db,
                     "--auth-config", path)
    assert out.returncode == 2
    assert "needs TLS (--tls-cert" in out.stderr
    assert "auth config" not in out.stderr
    out = run_vouchd("--listen", "0.0.0.0:0", "--store", db, "--tls-cert",
                     cert, "--tls-key", key)
    assert out.returncode == 2
    assert "needs an auth config (--auth-config" in out.stderr
    assert "TLS" not in out.stderr
    # Both: it starts (on every address, a free port), over https.
    proc = subprocess.Popen([authz.api.vouchd_path(), "--listen",
                             "0.0.0.0:0", "--store", db, "--auth-config",
                             path, "--tls-cert", cert, "--tls-key", key],
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        assert "listening on https://0.0.0.0:" in line, line
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.stderr.close()
        assert proc.wait(timeout=60) == 0
