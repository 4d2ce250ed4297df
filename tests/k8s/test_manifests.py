"""The deployment manifests of docs/kubernetes/ (docs/kubernetes.md), as a
user would apply them:

- the real kubectl accepts every one (`kubectl apply --dry-run=client`,
  against the discovery-only stand-in of the API server, which stores
  nothing);
- each object is valid against the Kubernetes API schema (the npm package
  kubernetes-models, pinned by tests/k8s/schema/package-lock.json and
  installed here with `npm ci` when missing);
- the webhook configuration keeps the promises the docs make.
"""
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kubectl_objects  # noqa: E402

ROOT = os.environ.get("VOUCH_SOURCE_ROOT",
                      os.path.join(HERE, "..", ".."))
DOCS = os.path.join(ROOT, "docs", "kubernetes")
FILES = sorted(os.path.join(DOCS, f) for f in os.listdir(DOCS)
               if f.endswith(".yaml"))
SCHEMA = os.path.join(HERE, "schema")
# The admission route of vouchd (docs/api.md).
ROUTE = re.compile(r"^/k8s/v1/projects/[a-z][a-z0-9-]*/locations/"
                   r"[a-z][a-z0-9-]*/clusters/[a-z][a-z0-9-]*:admit$")


def objects():
    out = []
    for path in FILES:
        with open(path) as f:
            out += [d for d in yaml.safe_load_all(f) if d is not None]
    return out


def test_kubectl_applies_every_manifest():
    assert shutil.which("kubectl") is not None, "needs kubectl"
    with kubectl_objects.StandIn() as standin:
        proc = subprocess.run(
            ["kubectl", "--server", standin.url, "apply", "--dry-run=client",
             "--validate=false"] + sum((["-f", f] for f in FILES), []),
            capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(objects())
    assert all(line.endswith(" created (dry run)") for line in lines), lines
    assert ("validatingwebhookconfiguration.admissionregistration.k8s.io/"
            "vouch-binauthz created (dry run)") in lines


def npm_ci():
    stamp = os.path.join(SCHEMA, "node_modules", ".package-lock.json")
    lock = os.path.join(SCHEMA, "package-lock.json")
    if not os.path.exists(stamp) or \
            os.path.getmtime(lock) > os.path.getmtime(stamp):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund",
                        "--loglevel=error"], cwd=SCHEMA, check=True,
                       timeout=300)


def validate(*files):
    return subprocess.run(["node", os.path.join(SCHEMA, "validate.mjs"),
                           *files], capture_output=True, text=True,
                          timeout=120)


def test_every_object_matches_the_kubernetes_schema(tmp_path):
    assert shutil.which("npm") and shutil.which("node"), "needs node, npm"
    npm_ci()
    proc = validate(*FILES)
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.count(": valid\n") == len(objects())
    # The check can fail: a value Kubernetes does not know is refused.
    with open(os.path.join(DOCS, "webhook.yaml")) as f:
        bad = f.read().replace("failurePolicy: Fail",
                               "failurePolicy: Sometimes")
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    proc = validate(str(path))
    assert proc.returncode == 1
    assert "failurePolicy must be equal to one of the allowed values" \
        in proc.stdout


def test_the_webhook_keeps_the_documented_promises():
    [config] = [o for o in objects()
                if o["kind"] == "ValidatingWebhookConfiguration"]
    [hook] = config["webhooks"]
    assert hook["failurePolicy"] == "Fail"
    assert hook["sideEffects"] == "None"
    assert 1 <= hook["timeoutSeconds"] <= 30
    assert hook["admissionReviewVersions"] == ["v1", "v1beta1"]
    excluded = hook["namespaceSelector"]["matchExpressions"][0]
    assert excluded == {"key": "kubernetes.io/metadata.name",
                        "operator": "NotIn",
                        "values": ["kube-system", "vouch"]}
    service = hook["clientConfig"]["service"]
    assert ROUTE.match(service["path"]), service["path"]
    assert (service["namespace"], service["name"]) == ("vouch", "vouchd")
    resources = {(g, r) for rule in hook["rules"]
                 for g in rule["apiGroups"] for r in rule["resources"]}
    for needed in [("", "pods"), ("", "pods/ephemeralcontainers"),
                   ("apps", "deployments"), ("batch", "cronjobs"),
                   ("serving.knative.dev", "services")]:
        assert needed in resources
    # Core Services run no pods: only Knative's are sent.
    assert ("", "services") not in resources
    # vouchd is reached where the webhook says, and answers that host.
    [deploy] = [o for o in objects() if o["kind"] == "Deployment"]
    args = deploy["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--public-host=vouchd.vouch.svc" in args
    assert any(a.startswith("--tls-cert=") for a in args)
    [svc] = [o for o in objects() if o["kind"] == "Service"
             and o["metadata"]["name"] == "vouchd"]
    assert svc["metadata"]["namespace"] == "vouch"
    assert svc["spec"]["ports"][0]["port"] == service["port"]


def tls_steps():
    """The shell block docs/kubernetes.md marks as the TLS steps."""
    with open(os.path.join(ROOT, "docs", "kubernetes.md")) as f:
        text = f.read()
    after = text.split("<!-- tls-steps", 1)[1]
    return after.split("```sh\n", 1)[1].split("```", 1)[0]


def test_the_documented_tls_steps_make_a_certificate_a_client_trusts(
        tmp_path):
    """Run the documented openssl commands, then do what kube-apiserver
    does: a TLS handshake that trusts only ca.crt (the caBundle) and
    checks the name vouchd.vouch.svc."""
    import base64
    import socket
    import ssl
    import threading

    subprocess.run(["bash", "-euo", "pipefail", "-c", tls_steps()],
                   cwd=tmp_path, check=True, capture_output=True, timeout=60)
    ca = (tmp_path / "ca.crt").read_bytes()
    assert base64.b64decode((tmp_path / "ca.b64").read_text()) == ca

    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(tmp_path / "tls.crt", tmp_path / "tls.key")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        conn, _ = listener.accept()
        try:
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(b"ok")
        except ssl.SSLError:
            pass

    for name, trusted in [("vouchd.vouch.svc", True),
                          ("vouchd.vouch.svc.cluster.local", True),
                          ("localhost", True),
                          ("vouchd.other.svc", False)]:
        thread = threading.Thread(target=serve)
        thread.start()
        client_ctx = ssl.create_default_context(cafile=tmp_path / "ca.crt")
        try:
            with socket.create_connection(("127.0.0.1", port)) as raw, \
                    client_ctx.wrap_socket(raw, server_hostname=name) as tls:
                assert tls.recv(2) == b"ok" and trusted, name
        except ssl.SSLCertVerificationError:
            assert not trusted, name
        thread.join(timeout=10)
    listener.close()


def vouchd_path():
    path = os.environ.get("VOUCHD")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("VOUCHD names no built vouchd")
    return path


def test_vouchd_takes_the_deployment_flags_and_auth_config(tmp_path):
    """Every flag the Deployment gives is one vouchd has, and the
    ConfigMap's auth.json is an auth config vouchd starts with."""
    [deploy] = [o for o in objects() if o["kind"] == "Deployment"]
    args = deploy["spec"]["template"]["spec"]["containers"][0]["args"]
    help_text = subprocess.run([vouchd_path(), "--help"], check=True,
                               capture_output=True, text=True).stdout
    known = set(re.findall(r"^  (--[a-z0-9-]+)", help_text, re.M))
    for arg in args:
        assert arg.split("=", 1)[0] in known, arg
    trust = [a.split("=", 1)[1] for a in args
             if a.startswith("--k8s-trust-domain=")]
    [config] = [o for o in objects() if o["kind"] == "ConfigMap"]
    auth = tmp_path / "auth.json"
    auth.write_text(config["data"]["auth.json"])
    proc = subprocess.Popen(
        [vouchd_path(), "--listen", "127.0.0.1:0", "--store",
         "sqlite:%s" % (tmp_path / "v.db"), "--auth-config", str(auth),
         "--access-log", str(tmp_path / "access.log")] +
        ["--k8s-trust-domain=" + t for t in trust],
        stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        assert "listening on" in line, line + proc.stderr.read()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
