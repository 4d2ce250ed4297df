"""Continuous validation of the run platform (docs/run.md), on both stores,
with a real docker-registry: a policy tightened after deploy flags exactly
the serving revisions and job templates that no longer conform, once (not
on every check), in the continuous_validation log, in the lists
(`vouch run services|jobs list --show-conformance`, ?showConformance=true)
and in the /metrics gauge; they keep running. Loosened, nothing is."""
import os
import re
import urllib.request
import uuid

import pytest

import run_harness as rh

CV_LOG = "binaryauthorization.googleapis.com%2Fcontinuous_validation"


@pytest.fixture(scope="module")
def registry():
    reg = rh.Registry()
    try:
        yield reg
    finally:
        reg.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def cv(request, registry, tmp_path_factory):
    work = str(tmp_path_factory.mktemp("cv"))
    pg_dir = None
    if request.param == "sqlite":
        store = "sqlite:%s" % os.path.join(work, "vouch.db")
    else:
        store, pg_dir = rh.pg_start()
    daemon = rh.Daemon(store, work,
                       ["--registry-insecure", registry.host]).start()
    project = "cv-" + uuid.uuid4().hex[:10]
    repo = "team/app-%s" % uuid.uuid4().hex[:6]
    s = {"daemon": daemon, "project": project, "work": work,
         "good": registry.push(repo, "good", "good-" + project),
         "bad": registry.push(repo, "bad", "bad-" + project),
         "image": "%s/%s" % (registry.host, repo)}
    try:
        yield s
    finally:
        code = daemon.stop()
        rh.pg_stop(pg_dir)
        assert code == 0, daemon.stderr_text()


def cli(s, *args, check=0):
    return rh.vouch(s["daemon"], s["project"], "--region", "us-central1",
                    *args, check=check)


def findings(s):
    return rh.vouch_json(s["daemon"], s["project"], "logs", "read",
                         'logName="projects/%s/logs/%s"'
                         % (s["project"], CV_LOG))


def gauge(s):
    with urllib.request.urlopen(s["daemon"].url + "/metrics") as r:
        text = r.read().decode()
    return {k: int(v) for k, v in re.findall(
        r'^vouchd_nonconforming\{kind="(\w+)"\} (\d+)$', text, re.M)}


def table(s, what):
    """{name: CONFORMS} of `vouch run WHAT list --show-conformance`."""
    out = cli(s, "run", what, "list", "--show-conformance").stdout
    lines = out.splitlines()
    col = lines[0].index("CONFORMS")
    return {line.split()[0]: line[col:].strip() for line in lines[1:]}


def test_a_tightened_policy_flags_exactly_the_nonconforming(cv):
    d, p = cv["daemon"], cv["project"]
    attestor, note, key = rh.setup_attestor(d, p, cv["work"])
    good = "%s@%s" % (cv["image"], cv["good"])
    rh.attest(d, p, good, note, key)
    rh.set_policy(d, p, "ALWAYS_ALLOW")
    # Tags: the services' revisions pin their digests at deploy; the jobs'
    # templates are resolved again by every check.
    for name, tag in (("good", "good"), ("bad", "bad")):
        cli(cv, "run", "deploy", name, "--image",
            "%s:%s" % (cv["image"], tag), "--binary-authorization",
            "default")
        cli(cv, "run", "jobs", "create", "batch-" + name, "--image",
            "%s:%s" % (cv["image"], tag), "--binary-authorization",
            "default")
    assert findings(cv) == []

    rh.set_policy(d, p, "REQUIRE_ATTESTATION", [attestor])
    entries = findings(cv)
    about = sorted(e["jsonPayload"]["runEvent"]["resource"]
                   for e in entries)
    assert len(about) == 2, about
    assert about[0] == "projects/%s/locations/us-central1/jobs/batch-bad" % p
    assert about[1].startswith("projects/%s/locations/us-central1/services/"
                               "bad/revisions/bad-" % p)
    bad = "%s@%s" % (cv["image"], cv["bad"])
    for e in entries:
        event = e["jsonPayload"]["runEvent"]
        assert e["severity"] == "WARNING"
        # Not a denied deploy: filters on those do not list findings.
        assert e["labels"] == {
            "binaryauthorization.googleapis.com/continuous-validation":
                "DENY"}
        assert (event["verdict"], event["policyName"]) == \
            ("VIOLATES_POLICY", "projects/%s/policy" % p)
        assert (event["images"][0]["image"], event["images"][0]["result"]) \
            == (bad, "DENY")
        # The deploy's words: the same engine, the same reasons.
        assert event["description"].startswith(
            "Container image '%s' is not authorized by policy." % bad)
        assert "no attestation on note %s" % note in event["description"]

    # The CLI's column; checking again is no news.
    assert table(cv, "services") == {"good": "True",
                                     "bad": "False (1 revision)"}
    assert table(cv, "jobs") == {"batch-good": "True", "batch-bad": "False"}
    assert len(findings(cv)) == 2
    assert gauge(cv) == {"revision": 1, "job": 1}
    # The same policy again: a change, but not news.
    rh.set_policy(d, p, "REQUIRE_ATTESTATION", [attestor])
    assert len(findings(cv)) == 2
    # Nothing was stopped.
    svc = rh.vouch_json(d, p, "run", "services", "describe", "bad")
    assert svc["trafficStatuses"][0]["percent"] == 100
    # A plain list is Cloud Run's shape, without the field.
    services = rh.vouch_json(d, p, "run", "services", "list")
    assert all("conformance" not in x for x in services)

    # Loosened: everything conforms again; nothing new is logged.
    rh.set_policy(d, p, "ALWAYS_ALLOW")
    assert len(findings(cv)) == 2
    assert table(cv, "services") == {"good": "True", "bad": "True"}
    assert gauge(cv) == {"revision": 0, "job": 0}


def test_show_conformance_takes_only_true_or_false(cv):
    status, body = cv["daemon"].request(
        "GET", "/v2/projects/%s/locations/us-central1/services"
        "?showConformance=yes" % cv["project"])
    assert status == 400
    assert "showConformance" in body["error"]["message"]
