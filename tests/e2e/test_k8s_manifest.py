"""`vouch evaluate --manifest` offline, on objects the real kubectl makes
(tests/k8s/kubectl_objects.py): one verdict per object in GKE's words,
exit 0/1/2, FILE:LINE:COL for a malformed object, stdin, Lists."""
import json
import os
import sys

import pytest

from vouchtest import vouch, write

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "k8s"))
import kubectl_objects  # noqa: E402

DATA = os.environ.get("VOUCH_TEST_DATA", "tests/data")
ATTESTOR = os.path.join(DATA, "core", "attestor-a.json")
ATTESTATION = os.path.join(DATA, "attestations", "a-good.json")
ATT_NAME = "projects/core-proj/attestors/att-a"

POLICY = f"""kubernetesNamespaceAdmissionRules:
  prod:
    evaluationMode: REQUIRE_ATTESTATION
    enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG
    requireAttestationsBy: [{ATT_NAME}]
  batch:
    evaluationMode: ALWAYS_DENY
    enforcementMode: DRYRUN_AUDIT_LOG_ONLY
defaultAdmissionRule:
  evaluationMode: ALWAYS_ALLOW
  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG
"""


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    if kubectl_objects.shutil.which("kubectl") is None:
        pytest.fail("kubectl is needed")
    return kubectl_objects.make(str(tmp_path_factory.mktemp("objects")))


def stream(*docs):
    """A YAML stream of JSON documents, as `kubectl ... -o json` prints."""
    return "---\n".join(json.dumps(d, indent=2) + "\n" for d in docs)


def manifest(tmp_path, text, *extra, stdin=None, check=None):
    path = write(tmp_path / "m.yaml", text) if stdin is None else "-"
    policy = write(tmp_path / "policy.yaml", POLICY)
    proc = vouch("evaluate", "--manifest", path, "--policy", policy,
                 "--attestor", ATTESTOR, "--attestation", ATTESTATION,
                 *extra, stdin=stdin, check=check)
    out = json.loads(proc.stdout)["objects"] if proc.stdout.strip() \
        and "--format" not in extra else None
    return proc, out


def test_every_object_gets_a_verdict(tmp_path, objects):
    text = stream(objects["deployment-attested"], objects["deployment"],
                  objects["job"], objects["cronjob"], objects["namespace"])
    proc, out = manifest(tmp_path, text, check=1)
    assert [(v["kind"], v["namespace"], v["name"], v["decision"])
            for v in out] == [
        ("Deployment", "prod", "web", "ALLOW"),
        ("Deployment", "prod", "web", "DENY"),
        ("Job", "default", "migrate", "ALLOW"),
        ("CronJob", "batch", "nightly", "ALLOW_DRYRUN"),
        ("Namespace", "", "prod", "ALLOW"),
    ]
    assert out[0]["rule"] == 'kubernetesNamespaceAdmissionRules["prod"]'
    # An object is placed at its first key (line 2, after the "{").
    assert out[0]["source"] == str(tmp_path / "m.yaml") + ":2"
    second = text.splitlines().index("---") + 3
    assert out[1]["source"] == str(tmp_path / "m.yaml") + f":{second}"
    denied = out[1]["message"]
    assert denied.startswith(
        "image policy webhook backend denied one or more images: Denied by "
        "Kubernetes namespace admission rule for prod. Denied by Attestor. "
        "Image registry.example/team/app@sha256:" + "a" * 64 +
        f" denied by {ATT_NAME}: no attestation on note")
    assert "Image registry.example/team/sidecar@sha256:" in denied
    assert out[2]["rule"] == "defaultAdmissionRule"
    assert out[3]["allowed"] is True
    assert out[3]["warnings"][0].startswith("vouch: dry run")
    assert out[4]["notEvaluated"] == "the object runs no pod vouch checks"


def test_all_allowed_exits_0_and_text_is_one_line_each(tmp_path, objects):
    text = stream(objects["deployment-attested"], objects["job"])
    proc, _ = manifest(tmp_path, text, "--format", "text", check=0)
    lines = proc.stdout.splitlines()
    assert lines[0].endswith(": Deployment prod/web: ALLOW")
    assert lines[1].endswith(": Job default/migrate: ALLOW")


def test_pods_init_and_ephemeral_containers_and_breakglass(tmp_path,
                                                           objects):
    text = stream(objects["pod-init-sa"], objects["pod-ephemeral"],
                  objects["pod-breakglass"])
    proc, out = manifest(tmp_path, text, "--namespace", "prod", check=1)
    # The init container runs a tag: denied by digest rule.
    assert out[0]["decision"] == "DENY"
    assert "Image registry.example/team/app:1.0 denied by " + ATT_NAME + \
        ": Attestor cannot attest to an image deployed by tag" \
        in out[0]["message"]
    # The ephemeral container's image is not attested either.
    assert "Image registry.example/tools/debug@" in out[1]["message"]
    # --namespace places the break-glass pod in prod; it is admitted.
    assert out[2]["namespace"] == "prod"
    assert out[2]["decision"] == "ALLOW_BREAKGLASS"
    assert "break-glass" in out[2]["warnings"][0]


def test_cluster_rule_and_stdin(tmp_path, objects):
    policy = write(tmp_path / "p.yaml", """clusterAdmissionRules:
  us-central1-a.prod:
    evaluationMode: ALWAYS_DENY
    enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG
defaultAdmissionRule:
  evaluationMode: ALWAYS_ALLOW
  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG
""")
    text = stream(objects["job"])
    proc = vouch("evaluate", "--manifest", "-", "--policy", policy,
                 stdin=text, check=0)
    proc = vouch("evaluate", "--manifest", "-", "--policy", policy,
                 "--cluster", "us-central1-a.prod", stdin=text, check=1)
    v = json.loads(proc.stdout)["objects"][0]
    assert v["source"] == "<stdin>:2"
    assert v["message"] == (
        "image policy webhook backend denied one or more images: Denied by "
        "cluster admission rule for us-central1-a.prod. Image "
        "registry.example/team/app@sha256:" + "a" * 64 +
        " denied by always_deny admission rule")


def test_a_list_counts_as_its_items(tmp_path, objects):
    doc = {"apiVersion": "v1", "kind": "List",
           "items": [objects["deployment-attested"], objects["deployment"]]}
    proc, out = manifest(tmp_path, json.dumps(doc), check=1)
    assert [v["decision"] for v in out] == ["ALLOW", "DENY"]


def test_malformed_object_is_placed(tmp_path, objects):
    bad = json.loads(json.dumps(objects["cronjob"]))
    bad["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0][
        "image"] = ["busybox"]
    text = stream(objects["job"], bad)
    proc, _ = manifest(tmp_path, text, check=2)
    lines = text.splitlines()
    line = next(i for i, l in enumerate(lines, 1) if '"image": [' in l)
    col = lines[line].index('busybox') + 1   # the string's text
    assert proc.stderr == (
        f"vouch: {tmp_path / 'm.yaml'}:{line + 1}:{col}: "
        "spec.jobTemplate.spec.template.spec.containers[0].image: expected "
        "a string, found an array\n")
    assert proc.stdout == ""


def test_malformed_yaml_and_lists_are_placed(tmp_path, objects):
    proc, _ = manifest(tmp_path, "a: [1,\n", check=2)
    assert proc.stderr.startswith(f"vouch: {tmp_path / 'm.yaml'}:2:1: ")
    doc = {"apiVersion": "v1", "kind": "List",
           "items": [objects["job"], {"apiVersion": "v1", "kind": "Pod",
                                      "spec": {"containers": [{}]}}]}
    proc, _ = manifest(tmp_path, json.dumps(doc, indent=1), check=2)
    assert "items[1].spec.containers[0].image: required" in proc.stderr
    proc, _ = manifest(tmp_path, "kind: Pod\n", check=2)
    assert proc.stderr == (f"vouch: {tmp_path / 'm.yaml'}:1:1: apiVersion: "
                           "required: every Kubernetes object has an "
                           "apiVersion and a kind\n")
    proc, _ = manifest(tmp_path, "---\n", check=2)
    assert "no Kubernetes object" in proc.stderr


def test_flags_that_do_not_go_together(tmp_path, objects):
    m = write(tmp_path / "m.yaml", stream(objects["job"]))
    proc = vouch("evaluate", "--manifest", m, "img", check=2)
    assert "not both" in proc.stderr
    proc = vouch("evaluate", "--manifest", m, "--project", "p", check=2)
    assert "--cluster LOCATION.NAME" in proc.stderr
    proc = vouch("evaluate", "--manifest", m, "--cluster", "nodot",
                 check=2)
    assert "is not LOCATION.NAME" in proc.stderr
    proc = vouch("evaluate", "--manifest", m, "--cluster", "us-east1.c",
                 "--attestor", ATTESTOR, check=2)
    assert "give --policy to decide offline" in proc.stderr
    proc = vouch("evaluate", "--cluster", "us-east1.c", "--policy", m, "i",
                 check=2)
    assert "go with --manifest" in proc.stderr
