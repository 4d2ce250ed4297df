"""PostgreSQL stopped (pg_ctl stop -m fast) and started again while two
vouchd replicas share it and deploys keep arriving.

What a user must see:
- during the outage every request fails fast with 503 UNAVAILABLE: never
  an admitted deploy (the policy denies everything), never an answer
  slower than the request timeout;
- both replicas recover without a restart once PostgreSQL is back;
- the read cache is rebuilt: a policy written through one replica right
  after the restart is what the other replica enforces at once (a cache
  kept across the outage would still deny).
A real PostgreSQL (tests/store/pg_harness.sh), real vouchd processes.
"""
import subprocess
import threading
import time
import uuid

import pytest

import run_harness as rh

LOC = "us-central1"
REQUEST_TIMEOUT_S = 10


def harness(*args):
    out = subprocess.run(["sh", rh.PG_HARNESS] + list(args),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


@pytest.fixture
def cluster(tmp_path):
    # Its own cluster whatever VOUCH_TEST_PG_URL says: it stops it.
    out = subprocess.run(["sh", rh.PG_HARNESS, "start"], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    url, directory = out.stdout.strip().splitlines()[:2]
    registry = None
    daemons = []
    try:
        registry = rh.Registry()
        image = "%s/team/app@%s" % (registry.host,
                                    registry.push("team/app", "v1", "pg"))
        for name in ("a", "b"):
            work = tmp_path / name
            work.mkdir()
            daemons.append(rh.Daemon(url, str(work), [
                "--registry-insecure", registry.host,
                "--request-timeout", str(REQUEST_TIMEOUT_S)]).start())
        yield {"dir": directory, "a": daemons[0], "b": daemons[1],
               "project": "pgfault-" + uuid.uuid4().hex[:8],
               "image": image}
    finally:
        for d in daemons:
            code = d.stop()
            assert code == 0, d.stderr_text()
        rh.pg_stop(directory)
        if registry is not None:
            registry.stop()


def deploy(c, daemon, n):
    """A deploy by digest; (status, body, seconds)."""
    start = time.monotonic()
    status, body = daemon.request(
        "POST", "/v2/projects/%s/locations/%s/services?serviceId=s%d"
        % (c["project"], LOC, n),
        {"template": {"containers": [{"image": c["image"]}]},
         "binaryAuthorization": {"useDefault": True}})
    return status, body, time.monotonic() - start


def policy_mode(daemon, project):
    status, body = daemon.request("GET", "/v1/projects/%s/policy" % project)
    assert status == 200, body
    return body["defaultAdmissionRule"]["evaluationMode"]


def admitted(status, body):
    return status == 200 and isinstance(body, dict) and \
        body.get("done") is True and "error" not in body


def test_postgres_restart_under_load(cluster):
    a, b, project = cluster["a"], cluster["b"], cluster["project"]
    rh.set_policy(a, project, "ALWAYS_DENY")
    # Both replicas have read (and cached) the denying policy.
    for d in (a, b):
        status, body, _ = deploy(cluster, d, 0 if d is a else 1)
        assert status == 200 and body["error"]["code"] == 9, \
            body["error"]["message"]
        assert policy_mode(d, project) == "ALWAYS_DENY"

    results = []
    stop = threading.Event()
    counter = iter(range(100, 100000))
    lock = threading.Lock()

    def load(daemon):
        while not stop.is_set():
            with lock:
                n = next(counter)
            results.append(deploy(cluster, daemon, n))

    threads = [threading.Thread(target=load, args=(d,)) for d in (a, b)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        harness("halt", cluster["dir"])
        down_from = len(results)
        time.sleep(2)
        # Still down: every answer now is a fast 503.
        during = results[down_from:]
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    harness("resume", cluster["dir"])

    assert during, "no request was made while PostgreSQL was down"
    for status, body, secs in results:
        assert not admitted(status, body), body
        assert secs < REQUEST_TIMEOUT_S, \
            "a request took %.1f s, past the request timeout" % secs
    unavailable = [(s, b) for s, b, _ in during if s == 503]
    assert unavailable, [s for s, _, _ in during]
    for status, body in unavailable:
        assert body["error"]["status"] == "UNAVAILABLE", body
    for status, body, _ in during:
        assert status in (200, 503), body

    # Recovery without a restart: a write through B as soon as
    # PostgreSQL answers, likely before A listens for changes again...
    deadline = time.monotonic() + 20
    while True:
        status, body = b.request("PUT", "/v1/projects/%s/policy" % project, {
            "defaultAdmissionRule": {
                "evaluationMode": "ALWAYS_ALLOW",
                "enforcementMode": "ENFORCED_BLOCK_AND_AUDIT_LOG"},
            "globalPolicyEvaluationMode": "DISABLE"})
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == 200, body
    # ... is what A reads from then on, before and after its watch is
    # back: its cache did not survive the outage with the old policy.
    until = time.monotonic() + 2.5
    while time.monotonic() < until:
        assert policy_mode(a, project) == "ALWAYS_ALLOW"
        time.sleep(0.1)
    status, body, _ = deploy(cluster, a, 99999)
    assert admitted(status, body), body
    for d in (a, b):
        assert d.proc.poll() is None, d.stderr_text()
