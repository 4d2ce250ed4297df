"""A web page in the user's browser tries to run a command on the user's
machine through vouchd (issue 9, finding 1; docs/security.md).

vouchd runs with the exec runtime, whose command writes a marker file
for every execution, and a real docker-registry holding the image. The
page's requests are what a browser sends for a cross-site fetch with a
text/plain body (no CORS preflight), and what it sends after DNS
rebinding (the attacker's name now resolving to 127.0.0.1: the Origin is
then the page's own, the Host the attacker's name). Both must be refused
and the marker never written; the same job created and run by a proper
client does write it, so the test can tell.
"""
import http.client
import json
import os
import time
import uuid

import pytest

import run_harness as rh

pytestmark = pytest.mark.skipif(
    not os.access(rh.vouchd_path(), os.X_OK) or
    not os.access(rh.registry_harness.REGISTRY_BIN, os.X_OK),
    reason="needs the built vouchd and /usr/bin/docker-registry")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    work = str(tmp_path_factory.mktemp("browser-attack"))
    marks = os.path.join(work, "ran")
    os.mkdir(marks)
    registry = rh.Registry()
    daemon = None
    try:
        daemon = rh.Daemon("sqlite:%s" % os.path.join(work, "vouch.db"),
                           work, [
                               "--registry-insecure", registry.host,
                               "--runtime", "exec", "--runtime-command",
                               "touch %s/{job}" % marks]).start()
        repo = "team/attack-" + uuid.uuid4().hex[:6]
        digest = registry.push(repo, "v1", repo)
        yield {"daemon": daemon, "marks": marks,
               "image": "%s/%s@%s" % (registry.host, repo, digest),
               "project": "victim-" + uuid.uuid4().hex[:8]}
    finally:
        if daemon is not None:
            code = daemon.stop()
            assert code == 0, daemon.stderr_text()
        registry.stop()


def send(daemon, method, path, headers, body=None):
    """A request with exactly these headers (Host included)."""
    conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=60)
    try:
        conn.putrequest(method, path, skip_host=True,
                        skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        data = json.dumps(body).encode() if body is not None else b""
        conn.putheader("Content-Length", str(len(data)))
        conn.endheaders(data)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def jobs(s):
    return "/v2/projects/%s/locations/us-central1/jobs" % s["project"]


def attack(s, job, headers):
    """Create `job` and run it as the page would; returns both statuses."""
    body = {"template": {"template": {"containers": [{"image":
                                                      s["image"]}]}}}
    created, _ = send(s["daemon"], "POST", jobs(s) + "?jobId=" + job,
                      headers, body)
    ran, _ = send(s["daemon"], "POST", "%s/%s:run" % (jobs(s), job),
                  headers, {})
    return created, ran


def marker(s, job):
    return os.path.join(s["marks"], job)


def test_cross_site_text_plain_is_refused(setup):
    port = setup["daemon"].port
    # The review's request: text/plain from the page's origin, with the
    # attacker's name in Host.
    created, ran = attack(setup, "evil1", {
        "Host": "evil.example:%d" % port,
        "Origin": "http://evil.example",
        "Content-Type": "text/plain;charset=UTF-8"})
    assert (created, ran) == (421, 421)
    # Without rebinding (Host is 127.0.0.1): the Origin refuses it.
    created, ran = attack(setup, "evil2", {
        "Host": "127.0.0.1:%d" % port,
        "Origin": "http://evil.example",
        "Content-Type": "text/plain;charset=UTF-8"})
    assert (created, ran) == (403, 403)
    # A page with no Origin to show (a form from a file, say) and a
    # text/plain body: the Content-Type refuses it.
    created, ran = attack(setup, "evil3", {
        "Host": "127.0.0.1:%d" % port,
        "Content-Type": "text/plain"})
    assert (created, ran) == (415, 415)


def test_dns_rebinding_is_refused(setup):
    port = setup["daemon"].port
    page = "evil.example:%d" % port
    # After rebinding the page is "same-origin" with what it calls, so it
    # may even send JSON: only the Host gives it away.
    created, ran = attack(setup, "evil4", {
        "Host": page, "Origin": "http://" + page,
        "Content-Type": "application/json"})
    assert (created, ran) == (421, 421)


def test_marker_only_for_the_proper_client(setup):
    # Give any execution wrongly started above the time to write.
    for job in ("evil1", "evil2", "evil3", "evil4"):
        status, _ = send(setup["daemon"], "GET", jobs(setup) + "/" + job,
                         {"Host": "127.0.0.1:%d" % setup["daemon"].port})
        assert status == 404, job
    # The same job from a proper client runs, and writes its marker.
    created, ran = attack(setup, "good", {
        "Host": "127.0.0.1:%d" % setup["daemon"].port,
        "Content-Type": "application/json"})
    assert (created, ran) == (200, 200)
    deadline = time.monotonic() + 60
    while not os.path.exists(marker(setup, "good")):
        assert time.monotonic() < deadline, "the runtime never ran"
        time.sleep(0.05)
    assert sorted(os.listdir(setup["marks"])) == ["good"]
