"""IAM as Google's users know it, end to end over TLS (docs/security.md
"IAM"): policies on projects and resources, etags, members (groups,
allUsers, allAuthenticatedUsers), the same 403 whether or not a resource
exists, attachOccurrence, the audit log's authenticationInfo and
policyDelta, reloading the auth config, the rate limit and /metrics."""
import json
import os
import subprocess
import urllib.request

import pytest

import authz

ALICE = "user:alice@example.com"
BOB = "user:bob@example.com"
SRE = "group:sre@example.com"


@pytest.fixture(scope="module")
def auth(workdir, issuer):
    cfg = authz.owner_config(os.path.join(workdir, "auth.json"),
                             users=(ALICE, BOB), issuer=issuer)
    cfg.groups = {SRE: [BOB]}
    return cfg


@pytest.fixture(scope="module")
def owner(auth):
    return auth.tokens["user:owner@example.com"]


def set_policy(server, owner, path, bindings, etag=None):
    policy = {"bindings": bindings}
    if etag is not None:
        policy["etag"] = etag
    return server.call("POST", path + ":setIamPolicy", {"policy": policy},
                       token=owner)


def grant(server, owner, path, role, member):
    r = set_policy(server, owner, path, [{"role": role,
                                          "members": [member]}])
    assert r.status == 200, r
    return r.json()


def make_attestor(server, owner, project, name):
    r = server.call("POST", "/v1/projects/%s/notes?noteId=%s"
                    % (project, name),
                    {"attestation": {"hint": {"humanReadableName": name}}},
                    token=owner)
    assert r.status == 200, r
    r = server.call("POST", "/v1/projects/%s/attestors?attestorId=%s"
                    % (project, name),
                    {"userOwnedGrafeasNote": {
                        "noteReference": "projects/%s/notes/%s"
                        % (project, name)}}, token=owner)
    assert r.status == 200, r


def test_iam_set_and_get_with_etags(server, owner, project):
    path = "/v1/projects/%s/policy" % project
    r = server.call("GET", path + ":getIamPolicy", token=owner)
    assert r.json() == {"version": 1, "etag": "ACAB"}
    first = grant(server, owner, path, "roles/binaryauthorization."
                  "policyViewer", ALICE)
    assert first["bindings"] == [{
        "role": "roles/binaryauthorization.policyViewer",
        "members": [ALICE]}]
    # With the etag just read: accepted. With the old one: ABORTED.
    r = set_policy(server, owner, path, [], etag=first["etag"])
    assert r.status == 200, r
    r = set_policy(server, owner, path, [], etag=first["etag"])
    assert r.status == 409
    assert r.error()["status"] == "ABORTED"
    assert "concurrent policy changes" in r.error()["message"]


def test_iam_denied_is_the_same_whether_or_not_the_resource_exists(
        server, owner, project, auth):
    make_attestor(server, owner, project, "there")
    alice = auth.tokens[ALICE]
    grant(server, owner, "/v1/projects/" + project, "roles/run.viewer",
          ALICE)
    there = server.call("GET", "/v1/projects/%s/attestors/there" % project,
                        token=alice)
    gone = server.call("GET", "/v1/projects/%s/attestors/gone" % project,
                       token=alice)
    assert there.status == gone.status == 403
    assert there.error()["message"] == (
        "Permission 'binaryauthorization.attestors.get' denied on resource "
        "'projects/%s/attestors/there' (or it may not exist)." % project)
    assert gone.error()["message"] == there.error()["message"].replace(
        "/there'", "/gone'")
    # A holder of the permission is told what exists.
    grant(server, owner, "/v1/projects/" + project,
          "roles/binaryauthorization.attestorsViewer", ALICE)
    assert server.call("GET", "/v1/projects/%s/attestors/there" % project,
                       token=alice).status == 200
    assert server.call("GET", "/v1/projects/%s/attestors/gone" % project,
                       token=alice).status == 404


def test_iam_a_resource_grant_covers_that_resource_only(server, owner,
                                                        project, auth):
    make_attestor(server, owner, project, "a1")
    make_attestor(server, owner, project, "a2")
    grant(server, owner, "/v1/projects/%s/attestors/a1" % project,
          "roles/binaryauthorization.attestorsViewer", ALICE)
    alice = auth.tokens[ALICE]
    base = "/v1/projects/%s/attestors" % project
    assert server.call("GET", base + "/a1", token=alice).status == 200
    assert server.call("GET", base + "/a2", token=alice).status == 403
    assert server.call("GET", base, token=alice).status == 403
    # Deleting the attestor forgets its policy: a new one of the same name
    # starts without the grant.
    assert server.call("DELETE", base + "/a1", token=owner).status == 200
    make_attestor(server, owner, project, "a1b")
    r = server.call("GET", base + "/a1:getIamPolicy", token=owner)
    assert r.status == 404
    r = server.call("POST", base + "?attestorId=a1", {
        "userOwnedGrafeasNote": {"noteReference":
                                 "projects/%s/notes/a1" % project}},
        token=owner)
    assert r.status == 200, r
    assert server.call("GET", base + "/a1", token=alice).status == 403


def test_iam_groups_all_users_and_all_authenticated_users(
        server, owner, project, auth, issuer):
    path = "/v1/projects/%s/policy" % project
    bob = auth.tokens[BOB]
    jwt = issuer.mint(issuer.claims(sub="anyone"))
    assert server.call("GET", path, token=bob).status == 403
    grant(server, owner, "/v1/projects/" + project,
          "roles/binaryauthorization.policyViewer", SRE)
    assert server.call("GET", path, token=bob).status == 200
    assert server.call("GET", path, token=jwt).status == 403
    grant(server, owner, "/v1/projects/" + project,
          "roles/binaryauthorization.policyViewer", "allAuthenticatedUsers")
    assert server.call("GET", path, token=jwt).status == 200
    assert server.call("GET", path).status == 401
    grant(server, owner, "/v1/projects/" + project,
          "roles/binaryauthorization.policyViewer", "allUsers")
    # allUsers admits a request without a token, for what it grants only.
    assert server.call("GET", path).status == 200
    r = server.call("PUT", path, {})
    assert r.status == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="vouchd"'


def test_iam_attaching_an_occurrence_needs_the_note(server, owner, project,
                                                    auth):
    note_project = project + "-notes"
    r = server.call("POST", "/v1/projects/%s/notes?noteId=n"
                    % note_project, {"attestation": {}}, token=owner)
    assert r.status == 200, r
    grant(server, owner, "/v1/projects/" + project,
          "roles/containeranalysis.occurrences.editor", ALICE)
    alice = auth.tokens[ALICE]
    occurrence = {
        "noteName": "projects/%s/notes/n" % note_project,
        "resourceUri": "https://registry.example/app@sha256:" + "ab" * 32,
        "attestation": {"serializedPayload": "e30=", "signatures": [
            {"publicKeyId": "k", "signature": "c2ln"}]}}
    r = server.call("POST", "/v1/projects/%s/occurrences" % project,
                    occurrence, token=alice)
    assert r.status == 403, r
    assert r.error()["message"] == (
        "Permission 'containeranalysis.notes.attachOccurrence' denied on "
        "resource 'projects/%s/notes/n' (or it may not exist)."
        % note_project)
    grant(server, owner, "/v1/projects/%s/notes/n" % note_project,
          "roles/containeranalysis.notes.attacher", ALICE)
    r = server.call("POST", "/v1/projects/%s/occurrences" % project,
                    occurrence, token=alice)
    assert r.status == 200, r
    r = server.call("POST", "/v1/projects/%s/occurrences:batchCreate"
                    % project, {"occurrences": [occurrence]},
                    token=auth.tokens[BOB])
    assert r.status == 403


def entries(server, owner, project, filter_text):
    r = server.call("POST", "/v2/entries:list",
                    {"resourceNames": ["projects/" + project],
                     "filter": filter_text}, token=owner)
    assert r.status == 200, r
    return r.json().get("entries", [])


def test_iam_audit_names_the_caller_and_the_policy_delta(
        server, owner, project, auth, issuer):
    grant(server, owner, "/v1/projects/" + project,
          "roles/binaryauthorization.attestorsAdmin",
          "principal://ci.example.com/subject/deployer")
    got = entries(server, owner, project,
                  'protoPayload.methodName="SetIamPolicy"')
    assert len(got) == 1, got
    p = got[0]["protoPayload"]
    assert p["authenticationInfo"] == {"principalEmail": "owner@example.com"}
    assert p["serviceName"] == "cloudresourcemanager.googleapis.com"
    assert p["resourceName"] == "projects/" + project
    assert p["serviceData"]["policyDelta"] == {"bindingDeltas": [{
        "action": "ADD", "role": "roles/binaryauthorization.attestorsAdmin",
        "member": "principal://ci.example.com/subject/deployer"}]}
    # An OIDC caller without an e-mail is its principal:// subject.
    jwt = issuer.mint(issuer.claims(sub="deployer"))
    r = server.call("POST", "/v1/projects/%s/notes?noteId=ci" % project,
                    {"attestation": {}}, token=owner)
    assert r.status == 200, r
    r = server.call("POST", "/v1/projects/%s/attestors?attestorId=ci"
                    % project, {"userOwnedGrafeasNote": {
                        "noteReference": "projects/%s/notes/ci" % project}},
                    token=jwt)
    assert r.status == 200, r
    got = entries(server, owner, project,
                  'protoPayload.methodName:"CreateAttestor"')
    assert got[0]["protoPayload"]["authenticationInfo"] == {
        "principalSubject": "principal://ci.example.com/subject/deployer"}


def test_iam_test_permissions_and_whoami_need_no_permission(
        server, owner, project, auth):
    alice = auth.tokens[ALICE]
    grant(server, owner, "/v1/projects/" + project, "roles/viewer", ALICE)
    r = server.call("POST", "/v1/projects/%s:testIamPermissions" % project,
                    {"permissions": ["binaryauthorization.policy.get",
                                     "binaryauthorization.policy.update",
                                     "resourcemanager.projects.get"]},
                    token=alice)
    assert r.json() == {"permissions": ["binaryauthorization.policy.get",
                                        "resourcemanager.projects.get"]}
    r = server.call("POST", "/v1/projects/%s:testIamPermissions" % project,
                    {"permissions": ["binaryauthorization.*"]}, token=alice)
    assert r.status == 400
    me = server.call("GET", "/v1/vouch:whoami", token=alice).json()
    assert me["principal"] == ALICE and me["owner"] is False


def test_iam_probes_and_console_answer_without_a_token(server):
    assert server.call("GET", "/healthz", token="junk").status == 200
    assert server.call("GET", "/readyz").status == 200
    assert server.call("GET", "/console/").status == 200


def test_iam_reload_of_the_auth_config(server, auth):
    alice = auth.tokens[ALICE]
    me = server.call("GET", "/v1/vouch:whoami", token=alice)
    assert me.status == 200
    saved = dict(auth.tokens)
    try:
        del auth.tokens[ALICE]
        auth.write()
        log = server.reload()
        assert "reloaded --auth-config" in log
        assert server.call("GET", "/v1/vouch:whoami",
                           token=alice).status == 401
        reload_a_broken_config(server, auth)
    finally:
        auth.tokens.update(saved)
        auth.write()
        server.reload()
    assert server.call("GET", "/v1/vouch:whoami", token=alice).status == 200


def reload_a_broken_config(server, auth):
    # A config that does not load is logged; the previous one stays.
    with open(auth.path, "w") as f:
        f.write('{"tokens": [{"principal": "user:x@y", "sha256": "12"}]}')
    log = server.reload()
    assert "the previous config stays in force" in log
    assert auth.path + ":1:" in log
    owner = auth.tokens["user:owner@example.com"]
    assert server.call("GET", "/v1/vouch:whoami", token=owner).status == 200


def test_iam_metrics_needs_a_viewer(server, owner, project, auth):
    bob = auth.tokens[BOB]
    r = server.call("GET", "/metrics", token=bob)
    assert r.status == 403
    grant(server, owner, "/v1/projects/" + project + "-mon",
          "roles/monitoring.viewer", BOB)
    r = server.call("GET", "/metrics", token=bob)
    assert r.status == 200
    assert b"vouchd_requests_total" in r.body


def test_metrics_listen_serves_metrics_alone(workdir, pki, auth):
    d = authz.SecureDaemon("sqlite:" + os.path.join(workdir, "m.db"),
                           workdir, pki=pki, auth=auth,
                           args=["--metrics-listen", "127.0.0.1:0"]).start()
    try:
        text = d.stderr_text()
        port = int(text.split("serving /metrics on http://127.0.0.1:")[1]
                   .split()[0])
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                    timeout=30) as resp:
            assert b"vouchd_requests_total" in resp.read()
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen("http://127.0.0.1:%d/v1/projects/p/policy"
                                   % port, timeout=30)
        assert e.value.code == 404
    finally:
        assert d.stop() == 0
    out = subprocess.run(
        [authz.api.vouchd_path(), "--metrics-listen", "0.0.0.0:9100",
         "--store", "sqlite:" + os.path.join(workdir, "m2.db")],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "--metrics-listen 0.0.0.0:9100: expected a loopback" in out.stderr


def test_rate_limit_answers_429_with_retry_after(workdir, pki, auth):
    d = authz.SecureDaemon("sqlite:" + os.path.join(workdir, "rl.db"),
                           workdir, pki=pki, auth=auth,
                           args=["--rate-limit", "3"]).start()
    try:
        alice = auth.tokens[ALICE]
        got = [d.call("GET", "/v1/vouch:whoami", token=alice)
               for _ in range(8)]
        limited = [r for r in got if r.status == 429]
        assert limited, [r.status for r in got]
        err = limited[0].error()
        assert err["status"] == "RESOURCE_EXHAUSTED"
        assert ALICE in err["message"]
        assert int(limited[0].headers["Retry-After"]) >= 1
        # Another principal has a bucket of its own.
        owner = auth.tokens["user:owner@example.com"]
        assert d.call("GET", "/v1/vouch:whoami", token=owner).status == 200
    finally:
        assert d.stop() == 0


def test_no_auth_config_is_anonymous_owner_on_loopback(workdir):
    """`make run`: no auth config, no TLS, every caller an owner."""
    d = authz.SecureDaemon("sqlite:" + os.path.join(workdir, "open.db"),
                           workdir).start()
    try:
        me = d.call("GET", "/v1/vouch:whoami").json()
        assert me == {"authConfigured": False,
                      "authenticationMethod": "NONE", "owner": True}
        assert d.call("PUT", "/v1/projects/p/policy", {
            "defaultAdmissionRule": {
                "evaluationMode": "ALWAYS_ALLOW",
                "enforcementMode": "ENFORCED_BLOCK_AND_AUDIT_LOG"}}) \
            .status == 200
        r = d.call("POST", "/v1/projects/p:testIamPermissions",
                   {"permissions": ["run.services.get", "made.up.thing"]})
        assert r.json() == {"permissions": ["run.services.get"]}
        assert "no auth config" in d.stderr_text()
        log = open(d.access_log).read().splitlines()[-1]
        assert json.loads(log)["caller"] is None
    finally:
        assert d.stop() == 0
