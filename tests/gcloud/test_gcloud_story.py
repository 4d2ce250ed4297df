"""The Binary Authorization story driven by the real `gcloud` (528), each
command as a user types it, against vouchd and a real docker-registry:
policy import with the source-deploy exemption, attestors and keys,
attestations create and list, deploys allowed / denied / by tag /
breakglass, services update --clear-binary-authorization, update-traffic,
revisions list, jobs create and update with a non-compliant image, jobs
execute denied and allowed with --wait, executions list, org-policies
set-policy then a deploy without Binary Authorization refused, and logging
read with the audit filters.

gcloud speaks Cloud Run v1 (Knative); after each step the test also reads
the same resources through vouchd's v2 API: one model, two shapes.

The steps share one vouchd and run in file order. gcloud takes a second or
two to start, so each step runs only the commands it is about. vouchd
serves them over TLS with an auth config, as beyond loopback: gcloud trusts
the test CA (core/custom_ca_certs_file) and sends an owner's token
(auth/access_token_file); the last steps grant roles with gcloud's
add-iam-policy-binding commands and check them with another caller.
"""
import json
import os
import subprocess
import sys
import uuid

import pytest

from conftest import REGION, Gcloud, rh

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "authz"))
import authz  # noqa: E402  (test CA, tokens, auth config)

DEV = "user:dev@example.com"

R = ["--region", REGION]
BLOCKED = ('protoPayload.response.status.conditions.reason='
           '"ContainerImageUnauthorized"')


@pytest.fixture(scope="module")
def s(registry, tmp_path_factory):
    """What the steps share: vouchd, gcloud, the project, images, keys."""
    work = str(tmp_path_factory.mktemp("gcloud-story"))
    ran = os.path.join(work, "ran.txt")
    pki = authz.Pki(os.path.join(work, "pki"))
    cert, key = pki.issue()
    auth = authz.AuthConfig(os.path.join(work, "auth.json"))
    owner = auth.token("user:owner@example.com")
    auth.owners.append("user:owner@example.com")
    auth.token(DEV)
    token_file = os.path.join(work, "token")
    with open(token_file, "w") as f:
        f.write(owner + "\n")
    daemon = rh.Daemon("sqlite:%s" % os.path.join(work, "vouch.db"), work, [
        "--runtime", "exec",
        "--runtime-command",
        'sh -c "exit 0" && echo {job} {execution} {image} >> ' + ran,
        "--audit-log", os.path.join(work, "audit.jsonl"),
        "--registry-insecure", registry.host,
        "--tls-cert", cert, "--tls-key", key,
        "--auth-config", auth.write()], cafile=pki.ca, token=owner).start()
    project = "gc-" + uuid.uuid4().hex[:10]
    tag = uuid.uuid4().hex[:6]
    cfg = os.path.join(work, "gcloud")
    os.mkdir(cfg)
    st = {"daemon": daemon, "project": project, "work": work, "ran": ran,
          "reg": registry.host, "repo": "team/app-%s" % tag,
          "g": Gcloud(cfg, daemon.port, project, token_file=token_file,
                      ca_file=pki.ca),
          "auth": auth, "pki": pki}
    for i, t in enumerate(["v1", "v2", "job"]):
        st[t] = registry.push(st["repo"], t, "%s-%d" % (tag, i))
    st["source"] = "%s/cloud-run-source-deploy/web" % project
    st["source_digest"] = registry.push(st["source"], "latest",
                                        "src-" + tag)
    try:
        yield st
    finally:
        code = daemon.stop()
        assert code == 0, daemon.stderr_text()


def image(s, tag):
    return "%s/%s:%s" % (s["reg"], s["repo"], tag)


def by_digest(s, tag):
    return "%s/%s@%s" % (s["reg"], s["repo"], s[tag])


def v2(s, path):
    """GET a v2 resource of the project's location."""
    status, body = s["daemon"].request(
        "GET", "/v2/projects/%s/locations/%s/%s" % (s["project"], REGION,
                                                   path))
    assert status == 200, body
    return body


def revisions(s, service):
    """The service's revisions (v2), oldest first."""
    return v2(s, "services/%s/revisions" % service).get("revisions", [])


def short(name):
    return name.rsplit("/", 1)[-1]


def logs(s, flt):
    g = s["g"]
    return g.json("logging", "read", flt, "--freshness=1h")


def test_attestors_and_keys(s):
    g, p = s["g"], s["project"]
    # gcloud has no command for Grafeas notes: the note is made over HTTP.
    status, body = s["daemon"].request(
        "POST", "/v1/projects/%s/notes?noteId=ci-note" % p,
        {"attestation": {"hint": {"humanReadableName": "built by CI"}}})
    assert status == 200, body
    key = os.path.join(s["work"], "ci.pem")
    pub = os.path.join(s["work"], "ci.pub")
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey",
                    "-noout", "-out", key], check=True)
    subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out", pub],
                   check=True)
    g.run("container", "binauthz", "attestors", "create", "built-by-ci",
          "--attestation-authority-note=ci-note",
          "--attestation-authority-note-project=" + p, check=0)
    out = g.run("container", "binauthz", "attestors", "public-keys", "add",
                "--attestor=built-by-ci", "--pkix-public-key-file=" + pub,
                "--pkix-public-key-algorithm=ecdsa-p256-sha256", check=0)
    assert "id: ni:///sha-256;" in out.stdout
    att = g.json("container", "binauthz", "attestors", "describe",
                 "built-by-ci")
    keys = att["userOwnedGrafeasNote"]["publicKeys"]
    assert len(keys) == 1
    s.update(key=key, key_id=keys[0]["id"])


def test_beta_and_alpha_tracks_share_the_attestors(s):
    g, p = s["g"], s["project"]
    g.run("beta", "container", "binauthz", "attestors", "create", "by-beta",
          "--attestation-authority-note=ci-note",
          "--attestation-authority-note-project=" + p, check=0)
    g.run("beta", "container", "binauthz", "attestors", "public-keys", "add",
          "--attestor=by-beta",
          "--pkix-public-key-file=" + os.path.join(s["work"], "ci.pub"),
          "--pkix-public-key-algorithm=ecdsa-p256-sha256", check=0)
    ga = g.json("container", "binauthz", "attestors", "describe", "by-beta")
    assert ga["userOwnedGrafeasNote"]["publicKeys"][0]["id"] == s["key_id"]
    alpha = g.json("alpha", "container", "binauthz", "attestors", "describe",
                   "by-beta")
    assert alpha["userOwnedDrydockNote"] == ga["userOwnedGrafeasNote"]
    system = g.run("alpha", "container", "binauthz", "policy",
                   "export-system-policy", check=0)
    assert "name: locations/global/policy" in system.stdout
    g.run("beta", "container", "binauthz", "attestors", "delete", "by-beta",
          check=0)


def test_policy_import_with_source_deploy_exemption(s):
    p = s["project"]
    exempt = "%s/%s/cloud-run-source-deploy/**" % (s["reg"], p)
    path = os.path.join(s["work"], "policy.yaml")
    with open(path, "w") as f:
        f.write("admissionWhitelistPatterns:\n"
                "- namePattern: %s\n"
                "defaultAdmissionRule:\n"
                "  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"
                "  evaluationMode: REQUIRE_ATTESTATION\n"
                "  requireAttestationsBy:\n"
                "  - projects/%s/attestors/built-by-ci\n"
                "globalPolicyEvaluationMode: ENABLE\n"
                "name: projects/%s/policy\n" % (exempt, p, p))
    s["g"].run("container", "binauthz", "policy", "import", path, check=0)
    pol = s["g"].json("container", "binauthz", "policy", "export")
    assert pol["admissionWhitelistPatterns"] == [{"namePattern": exempt}]
    assert pol["defaultAdmissionRule"]["evaluationMode"] == \
        "REQUIRE_ATTESTATION"


def test_attestations_create_and_list(s):
    g, p = s["g"], s["project"]
    url = by_digest(s, "v1")
    payload = os.path.join(s["work"], "payload.json")
    sig = os.path.join(s["work"], "payload.sig")
    out = g.run("container", "binauthz", "create-signature-payload",
                "--artifact-url=" + url, check=0)
    with open(payload, "w") as f:
        f.write(out.stdout)
    subprocess.run(["openssl", "dgst", "-sha256", "-sign", s["key"], "-out",
                    sig, payload], check=True)
    g.run("container", "binauthz", "attestations", "create",
          "--artifact-url=" + url, "--attestor=built-by-ci",
          "--attestor-project=" + p, "--signature-file=" + sig,
          "--public-key-id=" + s["key_id"], "--validate", check=0)
    listed = g.json("container", "binauthz", "attestations", "list",
                    "--attestor=built-by-ci", "--attestor-project=" + p)
    assert [o["resourceUri"] for o in listed] == [url]
    # --artifact-url sends has_suffix(resourceUrl, "sha256:…").
    one = g.json("container", "binauthz", "attestations", "list",
                 "--attestor=built-by-ci", "--attestor-project=" + p,
                 "--artifact-url=" + url)
    assert [o["resourceUri"] for o in one] == [url]
    none = g.json("container", "binauthz", "attestations", "list",
                  "--attestor=built-by-ci", "--attestor-project=" + p,
                  "--artifact-url=" + by_digest(s, "v2"))
    assert none == []


def test_deploy_allowed(s):
    out = s["g"].run("run", "deploy", "web", "--image", image(s, "v1"),
                     "--binary-authorization=default", *R, check=0)
    assert "Service [web] revision [web-00001-" in out.stderr
    assert "is serving 100 percent of traffic" in out.stderr
    # The same service through v2: the tag resolved to the attested digest.
    svc = v2(s, "services/web")
    assert svc["binaryAuthorization"] == {"useDefault": True}
    assert svc["terminalCondition"]["state"] == "CONDITION_SUCCEEDED"
    [rev] = revisions(s, "web")
    assert rev["containers"][0]["image"] == by_digest(s, "v1")
    s["rev1"] = short(rev["name"])


def test_deploy_denied_prints_the_reason(s):
    out = s["g"].run("run", "deploy", "web", "--image", image(s, "v2"),
                     "--binary-authorization=default", *R, check=1)
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("ERROR: (gcloud.run.deploy) Revision 'web-00002-")
    assert "uses an unauthorized container image" in last
    assert by_digest(s, "v2") in last
    svc = v2(s, "services/web")
    # Traffic stays on the revision that was serving.
    assert short(svc["latestReadyRevision"]) == s["rev1"]
    assert svc["terminalCondition"]["reason"] == \
        "CONTAINER_IMAGE_UNAUTHORIZED"


def test_services_update_clear_binary_authorization(s):
    out = s["g"].run("run", "services", "update", "web",
                     "--clear-binary-authorization", *R, check=0)
    assert "Service [web] has been updated" in out.stderr
    svc = v2(s, "services/web")
    assert "binaryAuthorization" not in svc
    # The refused template is retried with Binary Authorization off.
    revs = revisions(s, "web")
    assert len(revs) == 3
    assert short(svc["latestReadyRevision"]) == short(revs[-1]["name"])
    assert revs[-1]["containers"][0]["image"] == by_digest(s, "v2")
    s["rev3"] = short(revs[-1]["name"])


def test_deploy_breakglass(s):
    out = s["g"].run("run", "deploy", "web", "--image", image(s, "v2"),
                     "--binary-authorization=default",
                     "--breakglass=incident 42", *R, check=0)
    assert "has been deployed and is serving 100 percent" in out.stderr
    rev = revisions(s, "web")[-1]
    decision = json.loads(rev["annotations"][
        "run.googleapis.com/binary-authorization-decision"])
    assert decision["decision"] == "ALLOW_BREAKGLASS"
    assert v2(s, "services/web")["binaryAuthorization"] == {
        "useDefault": True, "breakglassJustification": "incident 42"}
    # gcloud drops the breakglass annotation on the next change: one shot.
    s["g"].run("run", "services", "update", "web",
               "--binary-authorization=default", *R, check=0)
    assert v2(s, "services/web")["binaryAuthorization"] == {
        "useDefault": True}
    assert len(revisions(s, "web")) == 4


def test_deploy_by_tag(s):
    out = s["g"].run("run", "deploy", "web", "--image", image(s, "v1"),
                     "--binary-authorization=default", "--tag=green",
                     "--no-traffic", *R, check=0)
    assert "is serving 0 percent of traffic" in out.stderr
    assert "https://green---web-" in out.stderr
    svc = v2(s, "services/web")
    tagged = [t for t in svc["traffic"] if t.get("tag") == "green"]
    assert tagged[0]["percent"] == 0
    s["rev_green"] = tagged[0]["revision"]


def test_update_traffic(s):
    g = s["g"]
    out = g.run("run", "services", "update-traffic", "web",
                "--to-tags=green=100", *R, check=0)
    assert "100%% %s" % s["rev_green"] in out.stdout
    svc = v2(s, "services/web")
    assert [(t["revision"], t["percent"]) for t in svc["trafficStatuses"]
            if t["percent"]] == [(s["rev_green"], 100)]
    # Moving traffic re-checks the revision against today's policy: the
    # revision admitted with Binary Authorization off is refused now.
    out = g.run("run", "services", "update-traffic", "web",
                "--to-revisions=%s=100" % s["rev3"], *R, check=1)
    assert "uses an unauthorized container image" in out.stderr
    assert "Revision '%s'" % s["rev3"] in out.stderr
    svc = v2(s, "services/web")
    assert [t["revision"] for t in svc["trafficStatuses"]
            if t["percent"]] == [s["rev_green"]]
    g.run("run", "services", "update-traffic", "web", "--to-latest", *R,
          check=0)


def test_revisions_list(s):
    out = s["g"].run("run", "revisions", "list", "--service", "web", *R,
                     check=0)
    lines = out.stdout.splitlines()
    names = [short(r["name"]) for r in revisions(s, "web")]
    assert len(lines) == 1 + len(names)
    for name in names:
        assert any(name in line for line in lines), out.stdout
    # DEPLOYED BY: the caller whose token gcloud sent.
    assert all(line.rstrip().endswith("owner@example.com")
               for line in lines[1:]), out.stdout
    denied = [line for line in lines if "web-00002-" in line]
    assert denied[0].lstrip().startswith("X"), out.stdout


def test_jobs_create_and_update_with_a_non_compliant_image(s):
    g = s["g"]
    out = g.run("run", "jobs", "create", "batch", "--image", image(s, "job"),
                "--binary-authorization=default", *R, check=0)
    assert "Job [batch] has successfully been created" in out.stderr
    g.run("run", "jobs", "update", "batch", "--image", image(s, "v2"),
          "--task-timeout=600s", *R, check=0)
    job = v2(s, "jobs/batch")
    assert job["template"]["template"]["containers"][0]["image"] == \
        image(s, "v2")
    assert job["template"]["template"]["timeout"] == "600s"


def test_jobs_execute_denied(s):
    out = s["g"].run("run", "jobs", "execute", "batch", "--wait", *R,
                     check=1)
    assert "ERROR: (gcloud.run.jobs.execute) The execution failed." in \
        out.stderr
    execs = v2(s, "jobs/batch/executions")["executions"]
    assert len(execs) == 1 and execs[0]["failedCount"] == 1
    desc = s["g"].run("run", "jobs", "executions", "describe",
                      short(execs[0]["name"]), *R, check=0)
    assert "uses an unauthorized container image" in desc.stdout
    assert not os.path.exists(s["ran"])


def test_jobs_execute_allowed_with_wait(s):
    g = s["g"]
    g.run("run", "jobs", "update", "batch", "--image", image(s, "v1"), *R,
          check=0)
    out = g.run("run", "jobs", "execute", "batch", "--wait", *R, check=0)
    assert "has successfully completed" in out.stderr
    with open(s["ran"]) as f:
        job, execution, img = f.read().split()
    assert job == "batch" and img == by_digest(s, "v1")
    s["execution"] = execution


def test_executions_list(s):
    out = s["g"].run("run", "jobs", "executions", "list", "--job", "batch",
                     *R, check=0)
    lines = out.stdout.splitlines()
    assert len(lines) == 3, out.stdout
    ok = [line for line in lines if s["execution"] in line]
    assert ok and "1 / 1" in ok[0]
    assert ok[0].rstrip().endswith("owner@example.com"), out.stdout  # RUN BY
    failed = [line for line in lines[1:] if s["execution"] not in line]
    assert failed[0].lstrip().startswith("X") and "0 / 1" in failed[0]


def test_source_deploy_is_exempt(s):
    out = s["g"].run("run", "deploy", "fromsource", "--image",
                     "%s/%s:latest" % (s["reg"], s["source"]),
                     "--binary-authorization=default", *R, check=0)
    assert "has been deployed" in out.stderr


def test_org_policy_then_deploy_without_binauthz_refused(s):
    g, p = s["g"], s["project"]
    path = os.path.join(s["work"], "org.yaml")
    with open(path, "w") as f:
        f.write("name: projects/%s/policies/"
                "run.allowedBinaryAuthorizationPolicies\n"
                "spec:\n  rules:\n  - values:\n      allowedValues:\n"
                "      - default\n" % p)
    # As at Google, no basic role sets org policies: not even an owner
    # may, until granted the Org Policy Administrator role.
    out = g.run("org-policies", "set-policy", path, check=1)
    assert "Permission 'orgpolicy.policies.create' denied" in out.stderr
    g.run("projects", "add-iam-policy-binding", p,
          "--member=user:owner@example.com",
          "--role=roles/orgpolicy.policyAdmin", check=0)
    out = g.run("org-policies", "set-policy", path, check=0)
    assert "Created policy" in out.stderr
    out = g.run("run", "deploy", "plain", "--image", image(s, "v1"), *R,
                check=1)
    assert out.stderr.strip().splitlines()[-1] == (
        "ERROR: (gcloud.run.deploy) FAILED_PRECONDITION: Constraint "
        "constraints/run.allowedBinaryAuthorizationPolicies violated for "
        "attempting CreateService with annotation "
        "\"run.googleapis.com/binary-authorization\" set to null.")
    g.run("run", "deploy", "plain", "--image", image(s, "v1"),
          "--binary-authorization=default", *R, check=0)
    g.run("org-policies", "delete",
          "run.allowedBinaryAuthorizationPolicies", "--project=" + p,
          check=0)


def test_logging_read_with_the_audit_filters(s):
    p = s["project"]
    system = ('logName="projects/%s/logs/cloudaudit.googleapis.com'
              '%%2Fsystem_event"' % p)
    denied = logs(s, 'resource.type="cloud_run_revision" AND %s AND %s'
                  % (system, BLOCKED))
    # The refused deploy and the refused traffic change, newest first, in
    # the v1 methods gcloud called.
    assert [e["protoPayload"]["methodName"] for e in denied] == [
        "google.cloud.run.v1.Services.ReplaceService"] * 2
    assert [e["resource"]["labels"]["revision_name"] for e in denied] == [
        s["rev3"], denied[1]["resource"]["labels"]["revision_name"]]
    assert denied[1]["resource"]["labels"]["revision_name"].startswith(
        "web-00002-")
    glass = logs(s, "breakglass")
    assert len(glass) == 1
    assert glass[0]["labels"][
        "binaryauthorization.googleapis.com/break-glass"] == "true"
    jobs = logs(s, 'resource.type="cloud_run_job"')
    assert [e["protoPayload"]["methodName"] for e in jobs] == [
        "google.cloud.run.v1.Jobs.RunJob"]
    assert len(logs(s, "protoPayload.status.code=9")) == 3
    activity = ('logName="projects/%s/logs/cloudaudit.googleapis.com'
                '%%2Factivity"' % p)
    admin = logs(s, activity + ' AND protoPayload.serviceName='
                 '"binaryauthorization.googleapis.com"')
    assert "google.cloud.binaryauthorization.v1.BinauthzManagementServiceV1"\
           ".UpdatePolicy" in [e["protoPayload"]["methodName"]
                               for e in admin]
    org = logs(s, activity + ' AND protoPayload.serviceName='
               '"orgpolicy.googleapis.com"')
    assert len(org) == 2


def as_dev(s, method, path):
    """The status of a request of another caller than gcloud's owner."""
    return s["daemon"].request(method, path,
                               token=s["auth"].tokens[DEV])[0]


def test_iam_add_policy_bindings(s):
    """gcloud's add-iam-policy-binding (read, add, write with the etag) on a
    project, an attestor and a Cloud Run service; each grant lets another
    caller in at once, and only where it was made."""
    g, p = s["g"], s["project"]
    assert as_dev(s, "GET", "/v1/projects/%s/policy" % p) == 403
    out = g.run("projects", "add-iam-policy-binding", p,
                "--member=" + DEV,
                "--role=roles/binaryauthorization.policyViewer", check=0)
    assert DEV in out.stdout
    assert as_dev(s, "GET", "/v1/projects/%s/policy" % p) == 200

    attestor = "/v1/projects/%s/attestors/built-by-ci" % p
    assert as_dev(s, "GET", attestor) == 403
    g.run("container", "binauthz", "attestors", "add-iam-policy-binding",
          "built-by-ci", "--member=" + DEV,
          "--role=roles/binaryauthorization.attestorsViewer", check=0)
    assert as_dev(s, "GET", attestor) == 200
    out = g.run("container", "binauthz", "attestors", "get-iam-policy",
                "built-by-ci", "--format=json", check=0)
    assert json.loads(out.stdout)["bindings"][0]["members"] == [DEV]

    service = "/v2/projects/%s/locations/%s/services/web" % (p, REGION)
    assert as_dev(s, "GET", service) == 403
    g.run("run", "services", "add-iam-policy-binding", "web", *R,
          "--member=" + DEV, "--role=roles/run.viewer", check=0)
    assert as_dev(s, "GET", service) == 200
    assert as_dev(s, "GET", "/v2/projects/%s/locations/%s/jobs/batch"
                  % (p, REGION)) == 403
