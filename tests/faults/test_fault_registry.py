"""A registry that fails while vouchd deploys and runs: a real
docker-registry that was stopped (unreachable), and the fake registry's
busy/app, limited/app and slow/app (503 or 429 on every try, past the
retries; no answer past --registry-timeout: tests/registry/
fake_registry.py, because docker-registry never does these on demand).

What a user must see: the deploy or execution fails closed, UNAVAILABLE
(code 14) with a message naming the registry; no revision becomes ready
(the service keeps its latest ready revision and its traffic); and the
audit log holds an entry for the failed check, found by entries:list
with a filter and written to the --audit-log file. The client-level
faults (slow, 429, dropped connections) are tests/registry's.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

import run_harness as rh

sys.path.insert(0, os.path.join(rh.SOURCE_ROOT, "tests", "registry"))
import harness as registry_harness  # noqa: E402

LOC = "us-central1"
CHECK_FAILED = 'labels."binaryauthorization.googleapis.com/decision"=' \
               '"CHECK_FAILED"'
UNAVAILABLE = 14
REGISTRY_TIMEOUT_S = 2


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    if not os.access(rh.registry_harness.REGISTRY_BIN, os.X_OK):
        pytest.fail("needs /usr/bin/docker-registry")
    work = str(tmp_path_factory.mktemp("fault-registry"))
    registry = rh.Registry()
    # The fake registry, for a registry answering 503 past the retries.
    fake_port = rh.free_port()
    fake = "127.0.0.1:%d" % fake_port
    cert, key = registry_harness.make_certificate(tempfile.mkdtemp(
        prefix="vouch-fault-cert-", dir=work))
    fproc = subprocess.Popen(
        [sys.executable, os.path.join(rh.SOURCE_ROOT, "tests", "registry",
                                      "fake_registry.py"),
         str(fake_port), str(rh.free_port()), str(rh.free_port()),
         str(rh.free_port()), cert, key],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    daemon = None
    try:
        registry_harness.wait_http("http://%s/v2/" % fake, fproc,
                                   "fake registry")
        audit = os.path.join(work, "audit.jsonl")
        daemon = rh.Daemon("sqlite:%s" % os.path.join(work, "vouch.db"),
                           work, ["--registry-insecure", registry.host,
                                  "--registry-insecure", fake,
                                  "--registry-timeout",
                                  str(REGISTRY_TIMEOUT_S),
                                  "--audit-log", audit]).start()
        project = "fault-" + uuid.uuid4().hex[:8]
        repo = "team/app-%s" % uuid.uuid4().hex[:6]
        registry.push(repo, "v1", "v1-" + project)
        registry.push(repo, "v2", "v2-" + project)
        rh.set_policy(daemon, project, "ALWAYS_ALLOW")
        yield {"daemon": daemon, "registry": registry, "fake": fake,
               "project": project, "audit": audit,
               "image": "%s/%s" % (registry.host, repo)}
    finally:
        if daemon is not None:
            code = daemon.stop()
            assert code == 0, daemon.stderr_text()
        fproc.terminate()
        fproc.wait(10)
        registry.stop()


def v2(s, tail=""):
    return "/v2/projects/%s/locations/%s%s" % (s["project"], LOC, tail)


def deploy(s, service, image, create):
    body = {"template": {"containers": [{"image": image}]},
            "binaryAuthorization": {"useDefault": True}}
    if create:
        return s["daemon"].request(
            "POST", v2(s, "/services?serviceId=" + service), body)
    return s["daemon"].request("PATCH", v2(s, "/services/" + service), body)


def get(s, name):
    status, body = s["daemon"].request("GET", "/v2/" + name)
    assert status == 200, body
    return body


def check_failed_entries(s):
    status, body = s["daemon"].request("POST", "/v2/entries:list", {
        "resourceNames": ["projects/" + s["project"]],
        "filter": CHECK_FAILED})
    assert status == 200, body
    return body.get("entries", [])


def assert_unavailable(op, registry):
    assert op["done"] is True, op
    assert op["error"]["code"] == UNAVAILABLE, op["error"]
    assert "registry %s" % registry in op["error"]["message"], op["error"]


def test_registry_down_deploy_fails_closed_and_is_audited(env):
    s = env
    status, op = deploy(s, "web", s["image"] + ":v1", True)
    assert status == 200 and "error" not in op, op
    before = get(s, v2(s, "/services/web")[4:])
    ready = before["latestReadyRevision"]
    assert ready.rsplit("/", 1)[-1].startswith("web-00001-")
    # A job created while the registry is up, run once it is down.
    status, body = s["daemon"].request("POST", v2(s, "/jobs?jobId=batch"), {
        "template": {"template": {"containers": [{"image":
                                                  s["image"] + ":v1"}]}},
        "binaryAuthorization": {"useDefault": True}})
    assert status == 200, body

    s["registry"].stop()
    start = time.monotonic()
    status, op = deploy(s, "web", s["image"] + ":v2", False)
    assert time.monotonic() - start < 30, "the deploy hung past its deadline"
    assert status == 200, op
    assert_unavailable(op, s["registry"].host)
    assert "unreachable" in op["error"]["message"]

    # No revision became ready: the new one failed, the old one serves.
    after = get(s, v2(s, "/services/web")[4:])
    assert after["latestReadyRevision"] == ready
    assert after["traffic"] == before["traffic"]
    created = after["latestCreatedRevision"]
    assert created != ready
    rev = get(s, created)
    cond = [c for c in rev["conditions"] if c["type"] == "Ready"][0]
    assert cond["state"] == "CONDITION_FAILED"
    assert cond["reason"] == "CONTAINER_IMAGE_AUTHORIZATION_CHECK_FAILED"

    # The failed check is in the audit log, and filterable.
    entries = check_failed_entries(s)
    assert [e["protoPayload"]["resourceName"] for e in entries] == [created]
    e = entries[0]
    assert e["logName"] == "projects/%s/logs/cloudaudit.googleapis.com" \
        "%%2Fsystem_event" % s["project"]
    assert e["severity"] == "ERROR"
    assert e["resource"]["type"] == "cloud_run_revision"
    assert e["protoPayload"]["status"]["code"] == UNAVAILABLE
    assert "registry %s" % s["registry"].host in \
        e["protoPayload"]["status"]["message"]
    reason = e["protoPayload"]["response"]["status"]["conditions"][0]
    assert reason["reason"] == "ContainerImageAuthorizationCheckFailed"

    # An execution of the job: failed closed and audited the same way.
    status, op = s["daemon"].request("POST", v2(s, "/jobs/batch:run"), {})
    assert status == 200, op
    assert_unavailable(op, s["registry"].host)
    execution = op["metadata"]["name"]
    entries = check_failed_entries(s)
    assert [e["protoPayload"]["resourceName"] for e in entries] == \
        [created, execution]
    assert entries[1]["resource"]["type"] == "cloud_run_job"

    # The file sink got the same entries.
    with open(s["audit"]) as f:
        lines = [json.loads(line) for line in f]
    ids = {e["insertId"] for e in lines}
    assert all(e["insertId"] in ids for e in entries)


@pytest.mark.parametrize("repo,says", [
    ("busy", "answered 503"),          # 5xx past the retries
    ("limited", "answered 429"),       # 429 past the retries
    ("slow", "unreachable"),           # no answer within --registry-timeout
])
def test_registry_failing_fails_deploy_closed(env, repo, says):
    s = env
    start = time.monotonic()
    status, op = deploy(s, repo, "%s/%s/app:1.0" % (s["fake"], repo), True)
    took = time.monotonic() - start
    assert status == 200, op
    assert_unavailable(op, s["fake"])
    assert says in op["error"]["message"], op["error"]
    assert took < REGISTRY_TIMEOUT_S + 5, "took %.1f s" % took
    svc = get(s, v2(s, "/services/" + repo)[4:])
    assert "latestReadyRevision" not in svc
    entries = [e for e in check_failed_entries(s)
               if "/services/%s/" % repo in e["protoPayload"]["resourceName"]]
    assert len(entries) == 1
    assert entries[0]["protoPayload"]["status"]["code"] == UNAVAILABLE
    assert says in entries[0]["protoPayload"]["status"]["message"]
