"""The Kubernetes admission webhook, on both stores, driven through its real
route with objects the real kubectl made (tests/k8s/kubectl_objects.py)
wrapped in AdmissionReviews as kube-apiserver sends them: every rule kind
and its precedence, tags, break-glass, dry runs (the policy's and the
review's), init and ephemeral containers, UPDATE without image change,
malformed and huge reviews, the audit entries, and `vouch evaluate
--manifest` giving the same verdicts offline and from the server."""
import copy
import json
import os
import subprocess
import sys

import pytest

from conftest import Daemon, create_note, data_file, data_json

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "k8s"))
import kubectl_objects  # noqa: E402

ATTESTED = kubectl_objects.ATTESTED
NOTE = "projects/core-proj/notes/note-a"
CLUSTER = "/locations/us-central1-a/clusters/prod:admit"
LEAD = "image policy webhook backend denied one or more images: "


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    if kubectl_objects.shutil.which("kubectl") is None:
        pytest.fail("kubectl is needed")
    return kubectl_objects.make(str(tmp_path_factory.mktemp("objects")))


def review(obj, op="CREATE", old=None, dry_run=False,
           api="admission.k8s.io/v1", uid="0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"):
    """An AdmissionReview as kube-apiserver sends it (the Kubernetes API
    reference, admission.k8s.io/v1). The objects are copied: a test may
    spoil its review's without spoiling the next test's."""
    obj = copy.deepcopy(obj)
    old = copy.deepcopy(old)
    group, _, version = obj["apiVersion"].rpartition("/")
    meta = obj.get("metadata", {})
    resource = {"group": group, "version": version,
                "resource": obj["kind"].lower() + "s"}
    return {"apiVersion": api, "kind": "AdmissionReview", "request": {
        "uid": uid,
        "kind": {"group": group, "version": version, "kind": obj["kind"]},
        "resource": resource, "requestKind": {
            "group": group, "version": version, "kind": obj["kind"]},
        "requestResource": resource,
        "name": meta.get("name", ""),
        "namespace": meta.get("namespace", "default"),
        "operation": op,
        "userInfo": {"username": "alice@example.com",
                     "groups": ["system:authenticated"]},
        "object": obj, "oldObject": old, "dryRun": dry_run,
        "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"}}}


def admit(server, project, body, path=CLUSTER, status=200):
    r = server.request("POST", "/k8s/v1/projects/%s%s?timeout=10s"
                       % (project, path), body)
    assert r.status == status, r
    return r.json() if status == 200 else r.error()


def response(server, project, body, path=CLUSTER):
    doc = admit(server, project, body, path)
    assert doc["apiVersion"] == body["apiVersion"]
    assert doc["kind"] == "AdmissionReview"
    assert doc["response"]["uid"] == body["request"]["uid"]
    return doc["response"]


def put_policy(server, project, policy):
    r = server.request("PUT", "/v1/projects/%s/policy" % project, policy)
    assert r.status == 200, r


def rule(mode, attestors=(), enforcement="ENFORCED_BLOCK_AND_AUDIT_LOG"):
    r = {"evaluationMode": mode, "enforcementMode": enforcement}
    if attestors:
        r["requireAttestationsBy"] = list(attestors)
    return r


@pytest.fixture
def attested(server, project):
    """Attestor att-a of tests/data/core (key a, note-a) in `project`, and
    the occurrence that attests ATTESTED with it."""
    create_note(server, "core-proj", "note-a")
    body = data_json("core", "attestor-a.json")
    body.pop("name", None)
    r = server.request("POST", "/v1/projects/%s/attestors?attestorId=att-a"
                       % project, body)
    assert r.status == 200, r
    r = server.request("POST", "/v1/projects/core-proj/occurrences",
                       data_json("attestations", "a-good.json"))
    assert r.status == 200, r
    return "projects/%s/attestors/att-a" % project


def audit_entries(server, project, flt=None):
    body = {"resourceNames": ["projects/%s" % project]}
    if flt:
        body["filter"] = flt
    r = server.request("POST", "/v2/entries:list", body)
    assert r.status == 200, r
    return r.json().get("entries", [])


def test_attested_digests_are_allowed_and_not_audited(server, project,
                                                      objects, attested):
    put_policy(server, project,
               {"defaultAdmissionRule": rule("REQUIRE_ATTESTATION",
                                             [attested])})
    resp = response(server, project, review(objects["deployment-attested"]))
    assert resp["allowed"] is True
    assert "status" not in resp and "warnings" not in resp
    assert resp["auditAnnotations"] == {"decision": "ALLOW",
                                        "rule": "defaultAdmissionRule"}
    assert audit_entries(server, project,
                         'resource.type="k8s_cluster"') == []


def test_deny_says_what_gke_says_and_is_audited(server, project, objects,
                                                attested):
    put_policy(server, project,
               {"defaultAdmissionRule": rule("REQUIRE_ATTESTATION",
                                             [attested])})
    resp = response(server, project, review(objects["deployment"]))
    assert resp["allowed"] is False
    status = resp["status"]
    assert (status["code"], status["reason"], status["status"]) == \
        (403, "VIOLATES_POLICY", "Failure")
    msg = status["message"]
    assert msg.startswith(
        LEAD + "Denied by default admission rule. Denied by Attestor. Image "
        "registry.example/team/app@sha256:" + "a" * 64 + " denied by " +
        attested + ": no attestation on note " + NOTE)
    assert ". Image registry.example/team/sidecar@sha256:" + "b" * 64 + \
        " denied by " + attested in msg
    assert resp["auditAnnotations"]["decision"] == "DENY"

    [entry] = audit_entries(
        server, project, 'resource.type="k8s_cluster" AND '
        'protoPayload.resourceName="apps/v1/namespaces/prod/deployments/web"')
    assert audit_entries(server, project,
                         'resource.labels.cluster_name="prod"') == [entry]
    assert entry["resource"] == {"type": "k8s_cluster", "labels": {
        "project_id": project, "location": "us-central1-a",
        "cluster_name": "prod"}}
    assert entry["severity"] == "ERROR"
    payload = entry["protoPayload"]
    assert payload["methodName"] == "io.k8s.apps.v1.deployments.create"
    assert payload["authenticationInfo"] == {
        "principalEmail": "alice@example.com"}
    assert payload["response"]["reason"] == "VIOLATES_POLICY"
    assert payload["status"]["message"] == msg
    assert payload["metadata"]["decision"]["decision"] == "DENY"
    assert entry["labels"]["binaryauthorization.googleapis.com/decision"] \
        == "DENY"
    # `vouch logs read` finds it by the same filter.
    out = subprocess.run(
        [os.environ["VOUCH_CLI"], "logs", "read", "--format", "json",
         "--server", "http://127.0.0.1:%d" % server.port,
         "--project", project,
         'protoPayload.resourceName="apps/v1/namespaces/prod/deployments/'
         'web"'], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert [e["insertId"] for e in json.loads(out.stdout)] == \
        [entry["insertId"]]


def test_images_by_tag_are_told_to_deploy_by_digest(server, project,
                                                    objects, attested):
    put_policy(server, project,
               {"defaultAdmissionRule": rule("REQUIRE_ATTESTATION",
                                             [attested])})
    resp = response(server, project, review(objects["deployment-tagged"]))
    assert resp["status"]["message"] == (
        LEAD + "Denied by default admission rule. Denied by Attestor. Image "
        "registry.example/team/app:1.0 denied by " + attested +
        ": Attestor cannot attest to an image deployed by tag; deploy "
        "registry.example/team/app@sha256:...")


def test_each_rule_map_is_consulted_with_gke_keys(server, project, objects):
    allow = rule("ALWAYS_ALLOW")
    deny = rule("ALWAYS_DENY")
    # The cluster of the path.
    put_policy(server, project, {"defaultAdmissionRule": allow,
                                 "clusterAdmissionRules": {
                                     "us-central1-a.prod": deny}})
    resp = response(server, project, review(objects["job"]))
    assert resp["status"]["message"] == (
        LEAD + "Denied by cluster admission rule for us-central1-a.prod. "
        "Image registry.example/team/app@sha256:" + "a" * 64 +
        " denied by always_deny admission rule")
    assert resp["auditAnnotations"]["rule"] == \
        'clusterAdmissionRules["us-central1-a.prod"]'
    other = "/locations/us-east1/clusters/staging:admit"
    assert response(server, project, review(objects["job"]),
                    other)["allowed"] is True
    # The namespace: the object's, else the review's.
    put_policy(server, project, {"defaultAdmissionRule": allow,
                                 "kubernetesNamespaceAdmissionRules": {
                                     "prod": deny}})
    assert response(server, project, review(objects["pod"]))["allowed"] \
        is False
    assert response(server, project, review(objects["cronjob"]))[
        "allowed"] is True
    job_in_prod = review(objects["job"])
    job_in_prod["request"]["namespace"] = "prod"
    assert response(server, project, job_in_prod)["allowed"] is False
    # The service account, NAMESPACE:SA (unset: default).
    put_policy(server, project, {"defaultAdmissionRule": allow,
                                 "kubernetesServiceAccountAdmissionRules": {
                                     "prod:builder": deny}})
    assert response(server, project, review(objects["pod-init-sa"]))[
        "allowed"] is False
    assert response(server, project, review(objects["pod"]))["allowed"] \
        is True
    # The Istio identity in cluster.local (no --k8s-trust-domain here).
    put_policy(server, project, {"defaultAdmissionRule": allow,
                                 "istioServiceIdentityAdmissionRules": {
                                     "spiffe://cluster.local/ns/prod/sa/"
                                     "default": deny}})
    resp = response(server, project, review(objects["pod"]))
    assert "Denied by Istio service identity admission rule for " \
        "spiffe://cluster.local/ns/prod/sa/default." \
        in resp["status"]["message"]
    # Exempt patterns come first; two maps in one policy are refused.
    put_policy(server, project, {"defaultAdmissionRule": deny,
                                 "admissionWhitelistPatterns": [
                                     {"namePattern":
                                      "registry.example/team/*"}],
                                 "kubernetesNamespaceAdmissionRules": {
                                     "prod": deny}})
    assert response(server, project, review(objects["pod"]))["allowed"] \
        is True
    r = server.request("PUT", "/v1/projects/%s/policy" % project, {
        "defaultAdmissionRule": allow,
        "clusterAdmissionRules": {"us-central1-a.prod": deny},
        "kubernetesNamespaceAdmissionRules": {"prod": deny}})
    assert r.status == 400
    assert "kubernetesNamespaceAdmissionRules: cannot be set together " \
        "with clusterAdmissionRules" in r.error()["message"]


def test_trust_domain_of_a_cluster(store_url, workdir, project, objects):
    d = Daemon(store_url, workdir,
               ["--k8s-trust-domain", "us-central1-a.prod=corp.example"])
    d.start()
    try:
        put_policy(d, project, {
            "defaultAdmissionRule": rule("ALWAYS_ALLOW"),
            "istioServiceIdentityAdmissionRules": {
                "corp.example/ns/prod/sa/builder": rule("ALWAYS_DENY")}})
        assert response(d, project, review(objects["pod-init-sa"]))[
            "allowed"] is False
        other = "/locations/us-east1/clusters/staging:admit"
        assert response(d, project, review(objects["pod-init-sa"]),
                        other)["allowed"] is True
    finally:
        assert d.stop() == 0, d.stderr_text()
    bad = Daemon(store_url, workdir, ["--k8s-trust-domain", "nodot=x"])
    with pytest.raises(AssertionError):
        bad.start(timeout=10)
    assert "--k8s-trust-domain" in bad.stderr_text()
    assert "expected LOCATION.NAME=DOMAIN" in bad.stderr_text()


def test_breakglass_admits_and_is_audited(server, project, objects,
                                          attested):
    put_policy(server, project,
               {"defaultAdmissionRule": rule("REQUIRE_ATTESTATION",
                                             [attested])})
    resp = response(server, project, review(objects["pod-breakglass"]))
    assert resp["allowed"] is True
    assert resp["auditAnnotations"]["decision"] == "ALLOW_BREAKGLASS"
    assert "break-glass" in resp["warnings"][0]
    [entry] = audit_entries(server, project, 'resource.type="k8s_cluster"')
    assert entry["severity"] == "WARNING"
    assert entry["labels"][
        "binaryauthorization.googleapis.com/break-glass"] == "true"
    assert entry["protoPayload"]["resourceName"] == \
        "core/v1/namespaces/default/pods/p2"


def test_dry_run_rule_allows_warns_and_audits(server, project, objects):
    put_policy(server, project, {"defaultAdmissionRule": rule(
        "ALWAYS_DENY", enforcement="DRYRUN_AUDIT_LOG_ONLY")})
    resp = response(server, project, review(objects["cronjob"]))
    assert resp["allowed"] is True
    assert resp["auditAnnotations"]["decision"] == "ALLOW_DRYRUN"
    assert resp["warnings"][0].startswith("vouch: dry run")
    assert "denied by always_deny admission rule" in resp["warnings"][1]
    [entry] = audit_entries(server, project, 'resource.type="k8s_cluster"')
    assert entry["labels"]["binaryauthorization.googleapis.com/dry-run"] \
        == "true"
    assert entry["protoPayload"]["methodName"] == \
        "io.k8s.batch.v1.cronjobs.create"


def test_a_dry_run_review_is_decided_but_never_audited(server, project,
                                                       objects):
    put_policy(server, project, {"defaultAdmissionRule": rule("ALWAYS_DENY")})
    resp = response(server, project, review(objects["deployment"],
                                             dry_run=True))
    assert resp["allowed"] is False
    resp = response(server, project, review(objects["pod-breakglass"],
                                            dry_run=True))
    assert resp["allowed"] is True
    assert audit_entries(server, project, 'resource.type="k8s_cluster"') \
        == []


def test_init_and_ephemeral_containers_and_updates(server, project,
                                                   objects, attested):
    put_policy(server, project,
               {"defaultAdmissionRule": rule("REQUIRE_ATTESTATION",
                                             [attested])})
    resp = response(server, project, review(objects["pod-init-sa"]))
    assert "Image registry.example/team/app:1.0 denied by" in \
        resp["status"]["message"]
    # kubectl debug adds an ephemeral container: an UPDATE of the pod.
    resp = response(server, project, review(objects["pod-ephemeral"],
                                            "UPDATE", objects["pod"]))
    assert resp["allowed"] is False
    assert "Image registry.example/tools/debug@sha256:" in \
        resp["status"]["message"]
    # Scaling changes no image: allowed even though the images would now
    # be denied.
    resp = response(server, project, review(objects["deployment-scaled"],
                                            "UPDATE", objects["deployment"]))
    assert resp["allowed"] is True
    assert resp["auditAnnotations"] == {
        "decision": "ALLOW", "not-evaluated": "the update changes no image"}
    for op in ("DELETE", "CONNECT"):
        resp = response(server, project, review(objects["deployment"], op))
        assert resp["auditAnnotations"]["not-evaluated"] == \
            "only CREATE and UPDATE run images"
    # v1beta1 reviews get a v1beta1 answer.
    resp = response(server, project, review(objects["deployment"],
                                            api="admission.k8s.io/v1beta1"))
    assert resp["allowed"] is False


BAD_REVIEWS = [
    (b"not json", "request body: not JSON"),
    ({"apiVersion": "admission.k8s.io/v2", "kind": "AdmissionReview"},
     "apiVersion: 'admission.k8s.io/v2' is not admission.k8s.io/v1 or "
     "v1beta1"),
    ({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
      "request": {"kind": {"kind": "Pod"}, "operation": "CREATE"}},
     "request.uid: required"),
]


def test_malformed_reviews_are_400_with_a_reason(server, project, objects):
    for body, reason in BAD_REVIEWS:
        err = admit(server, project, body, status=400)
        assert err["status"] == "INVALID_ARGUMENT"
        assert reason in err["message"], err
    bad = review(objects["deployment"])
    bad["request"]["object"]["spec"]["template"]["spec"]["containers"][1][
        "image"] = 7
    err = admit(server, project, bad, status=400)
    assert err["message"] == (
        "request.object.spec.template.spec.containers[1].image: expected "
        "a string, found a number")
    err = admit(server, project, review(objects["pod"]),
                "/locations/us-central1-a/clusters/Prod:admit", status=400)
    assert "LOCATION.NAME" in err["message"]


def test_huge_reviews_are_refused(store_url, workdir, project, objects):
    """Over VK8S_REVIEW_MAX_BYTES (4 MiB) the review is refused before it
    is read, even when vouchd takes larger bodies elsewhere."""
    d = Daemon(store_url, workdir, ["--max-body", "8MiB"]).start()
    try:
        huge = review(objects["pod"])
        huge["request"]["object"]["metadata"]["annotations"] = {
            "filler": "x" * (4 * 1024 * 1024)}
        err = admit(d, project, huge, status=413)
        assert err["message"].startswith(
            "request body: the AdmissionReview is ")
        assert err["message"].endswith("bytes, over the limit of 4194304")
    finally:
        assert d.stop() == 0, d.stderr_text()


def vouch_cli(*args):
    return subprocess.run([os.environ["VOUCH_CLI"], *args],
                          capture_output=True, text=True, timeout=120)


def test_manifest_verdicts_match_the_webhook(server, project, objects,
                                             attested, tmp_path):
    """`vouch evaluate --manifest` decides offline (the policy, attestor
    and attestation as files) exactly as the server's webhook does."""
    put_policy(server, project, {
        "defaultAdmissionRule": rule("REQUIRE_ATTESTATION", [attested]),
        "kubernetesNamespaceAdmissionRules": {
            "batch": rule("ALWAYS_DENY",
                          enforcement="DRYRUN_AUDIT_LOG_ONLY")}})
    names = ["deployment-attested", "deployment", "deployment-tagged",
             "job", "cronjob", "pod-init-sa", "pod-ephemeral",
             "pod-breakglass", "knative-service", "namespace"]
    manifest = tmp_path / "m.yaml"
    manifest.write_text("---\n".join(json.dumps(objects[n]) + "\n"
                                     for n in names))
    policy = tmp_path / "policy.json"
    policy.write_text(server.get("/v1/projects/%s/policy"
                                 % project).body.decode())
    attestor = tmp_path / "attestor.json"
    attestor.write_text(server.get("/v1/projects/%s/attestors/att-a"
                                   % project).body.decode())
    before = len(audit_entries(server, project))
    offline = vouch_cli("evaluate", "--manifest", str(manifest), "--policy",
                        str(policy), "--attestor", str(attestor),
                        "--attestation",
                        os.path.join(os.environ["VOUCH_TEST_DATA"],
                                     "attestations", "a-good.json"),
                        "--cluster", "us-central1-a.prod")
    online = vouch_cli("evaluate", "--manifest", str(manifest), "--server",
                       "http://127.0.0.1:%d" % server.port, "--project",
                       project, "--cluster", "us-central1-a.prod")
    assert offline.returncode == online.returncode == 1, \
        (offline.stderr, online.stderr)
    a = json.loads(offline.stdout)["objects"]
    b = json.loads(online.stdout)["objects"]
    assert a == b
    assert [v["decision"] for v in a] == [
        "ALLOW", "DENY", "DENY", "DENY", "ALLOW_DRYRUN", "DENY", "DENY",
        "ALLOW_BREAKGLASS", "ALLOW_BREAKGLASS", "ALLOW"]
    # The server was asked with dry-run reviews: nothing audited.
    assert len(audit_entries(server, project)) == before
