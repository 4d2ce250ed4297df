"""Two vouchd replicas on one PostgreSQL database, both over TLS with the
same auth config (docs/security.md "Replicas"): an IAM change made
through one is enforced by the other at its next request. IAM policies are
read from the database for every check, never from a cache, so there is
no window in which the other replica still grants a removed role."""
import os

import pytest

import authz

ALICE = "user:alice@example.com"


@pytest.fixture(scope="module")
def auth(workdir, issuer):
    return authz.owner_config(os.path.join(workdir, "auth.json"),
                              users=(ALICE,))


@pytest.fixture(scope="module")
def replicas(workdir, pki, auth, pg_url):
    a = authz.SecureDaemon(pg_url, workdir, pki=pki, auth=auth).start()
    b = authz.SecureDaemon(pg_url, workdir, pki=pki, auth=auth).start()
    yield a, b
    assert a.stop() == 0, a.stderr_text()
    assert b.stop() == 0, b.stderr_text()


def test_replicas_enforce_each_others_iam_changes_at_once(replicas, auth,
                                                          project):
    a, b = replicas
    owner = auth.tokens["user:owner@example.com"]
    alice = auth.tokens[ALICE]
    policy = "/v1/projects/%s/policy" % project
    attestor = "/v1/projects/%s/attestors/built" % project
    for d in (a, b):
        assert d.call("GET", policy, token=alice).status == 403
    r = b.call("POST", "/v1/projects/%s/notes?noteId=built" % project,
               {"attestation": {}}, token=owner)
    assert r.status == 200, r
    r = b.call("POST", "/v1/projects/%s/attestors?attestorId=built"
               % project, {"userOwnedGrafeasNote": {
                   "noteReference": "projects/%s/notes/built" % project}},
               token=owner)
    assert r.status == 200, r
    for round_ in range(3):
        # Granted through A: B lets Alice in on her next request.
        r = a.call("POST", "/v1/projects/%s:setIamPolicy" % project,
                   {"policy": {"bindings": [{
                       "role": "roles/binaryauthorization.policyEditor",
                       "members": [ALICE]}]}}, token=owner)
        assert r.status == 200, r
        assert b.call("GET", policy, token=alice).status == 200, round_
        assert b.call("GET", attestor, token=alice).status == 403
        # Removed through B: A refuses her next request.
        r = b.call("POST", "/v1/projects/%s:setIamPolicy" % project,
                   {"policy": {"bindings": []}}, token=owner)
        assert r.status == 200, r
        assert a.call("GET", policy, token=alice).status == 403, round_
    # A resource's own policy, set through B, seen by A.
    r = b.call("POST", attestor + ":setIamPolicy", {"policy": {"bindings": [{
        "role": "roles/binaryauthorization.attestorsViewer",
        "members": [ALICE]}]}}, token=owner)
    assert r.status == 200, r
    assert a.call("GET", attestor, token=alice).status == 200
    etag = a.call("GET", attestor + ":getIamPolicy", token=owner) \
        .json()["etag"]
    assert etag == r.json()["etag"]
    # A stale etag through the other replica is refused.
    r = b.call("POST", attestor + ":setIamPolicy", {"policy": {
        "bindings": [], "etag": etag}}, token=owner)
    assert r.status == 200
    r = a.call("POST", attestor + ":setIamPolicy", {"policy": {
        "bindings": [], "etag": etag}}, token=owner)
    assert r.status == 409 and r.error()["status"] == "ABORTED"
    assert a.call("GET", attestor, token=alice).status == 403
