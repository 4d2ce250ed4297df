"""The online `vouch` commands against a real vouchd, as a user runs them:
notes, attestors and their keys, policy import/export, attestations
create / sign-and-create / list, --validate, server errors printed as
"vouch: <server message>" with exit 2, short ids and full names.

vouchd is started here (SQLite in a temporary directory, a free loopback
port) and stopped by PID. It is found through VOUCHD, else next to the
CLI (build/src/cli/vouch -> build/src/daemon/vouchd); the module is
skipped when vouchd has not been built.
"""
import base64
import http.server
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

from vouchtest import VOUCH, openssl, run, write

DIGEST = "sha256:" + "ab" * 32
IMAGE = "us-docker.pkg.dev/my-project/repo/app@" + DIGEST
OTHER = "us-docker.pkg.dev/my-project/repo/app@sha256:" + "cd" * 32


def vouchd_path():
    path = os.environ.get("VOUCHD")
    if path:
        return path
    cli_dir = os.path.dirname(os.path.abspath(VOUCH))
    return os.path.join(os.path.dirname(cli_dir), "daemon", "vouchd")


VOUCHD = vouchd_path()
pytestmark = pytest.mark.skipif(not os.access(VOUCHD, os.X_OK),
                                reason="vouchd is not built: " + VOUCHD)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server(tmp_path):
    """A fresh vouchd; yields its base URL."""
    port = free_port()
    log = open(tmp_path / "vouchd.log", "w")
    proc = subprocess.Popen(
        [VOUCHD, "--listen", f"127.0.0.1:{port}",
         "--store", f"sqlite:{tmp_path / 'vouch.db'}",
         "--access-log", str(tmp_path / "access.log")],
        stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("vouchd exited: " +
                                (tmp_path / "vouchd.log").read_text())
                time.sleep(0.05)
        else:
            pytest.fail("vouchd did not answer /healthz")
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture()
def cli(server):
    """Run vouch against the server with --project p."""
    env = dict(os.environ, VOUCH_SERVER=server, VOUCH_PROJECT="p")
    env.pop("VOUCH_ACCESS_TOKEN", None)

    def call(*args, check=None, env_extra=None):
        e = dict(env, **(env_extra or {}))
        proc = subprocess.run([VOUCH, *args], capture_output=True,
                              text=True, env=e)
        if check is not None:
            assert proc.returncode == check, (
                f"vouch {' '.join(args)} exited {proc.returncode}, "
                f"expected {check}\nstdout: {proc.stdout}\n"
                f"stderr: {proc.stderr}")
        return proc
    return call


@pytest.fixture()
def ec_key(tmp_path):
    key = str(tmp_path / "ec.pem")
    pub = str(tmp_path / "ec.pub")
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout",
            "-out", key)
    openssl("pkey", "-in", key, "-pubout", "-out", pub)
    return key, pub


def setup_attestor(cli, pub):
    cli("notes", "create", "n", "--hint", "built by CI", check=0)
    cli("attestors", "create", "a", "--attestation-authority-note", "n",
        "--description", "CI", check=0)
    proc = cli("attestors", "public-keys", "add", "--attestor", "a",
               "--pkix-public-key-file", pub, "--format", "json", check=0)
    return json.loads(proc.stdout)["id"]


ONLINE = [
    ["attestors"], ["attestors", "create"], ["attestors", "describe"],
    ["attestors", "list"], ["attestors", "update"], ["attestors", "delete"],
    ["attestors", "public-keys"], ["attestors", "public-keys", "add"],
    ["attestors", "public-keys", "remove"], ["notes"], ["notes", "create"],
    ["policy", "import"], ["policy", "export"],
    ["attestations", "create"], ["attestations", "sign-and-create"],
    ["attestations", "list"],
]


@pytest.mark.parametrize("cmd", ONLINE, ids=" ".join)
def test_online_cli_every_command_has_help(cmd):
    proc = run(VOUCH, *cmd, "--help", check=0)
    assert "usage: vouch" in proc.stdout


def test_online_cli_notes_and_attestors_round_trip(cli, ec_key):
    key_id = setup_attestor(cli, ec_key[1])
    assert key_id.startswith("ni:///sha-256;")

    note = json.loads(cli("notes", "describe", "n", "--format", "json",
                          check=0).stdout)
    assert note["name"] == "projects/p/notes/n"
    assert note["attestation"]["hint"]["humanReadableName"] == "built by CI"

    att = json.loads(cli("attestors", "describe", "projects/p/attestors/a",
                         "--format", "json", check=0).stdout)
    assert att["name"] == "projects/p/attestors/a"
    assert att["description"] == "CI"
    note_ref = att["userOwnedGrafeasNote"]["noteReference"]
    assert note_ref == "projects/p/notes/n"
    keys = att["userOwnedGrafeasNote"]["publicKeys"]
    assert [k["id"] for k in keys] == [key_id]
    assert keys[0]["pkixPublicKey"]["signatureAlgorithm"] == \
        "ECDSA_P256_SHA256"

    # Default YAML, as gcloud describes.
    yaml_text = cli("attestors", "describe", "a", check=0).stdout
    assert "name: projects/p/attestors/a\n" in yaml_text
    assert f"id: {key_id}\n" in yaml_text
    assert f"updateTime: '{att['updateTime']}'\n" in yaml_text
    note_yaml = cli("notes", "describe", "projects/p/notes/n",
                    check=0).stdout
    assert "    humanReadableName: \"built by CI\"\n" in note_yaml
    assert "kind: ATTESTATION\n" in note_yaml

    table = cli("attestors", "list", check=0).stdout.splitlines()
    assert table[0].split() == ["NAME", "NOTE", "NUM_PUBLIC_KEYS"]
    assert table[1].split() == ["a", "projects/p/notes/n", "1"]
    listed = json.loads(cli("attestors", "list", "--format", "json",
                            check=0).stdout)
    assert [a["name"] for a in listed] == ["projects/p/attestors/a"]

    updated = json.loads(cli("attestors", "update", "a", "--description",
                             "changed", "--format", "json", check=0).stdout)
    assert updated["description"] == "changed"
    assert updated["etag"] != att["etag"]

    cli("attestors", "public-keys", "remove", key_id, "--attestor", "a",
        check=0)
    att = json.loads(cli("attestors", "describe", "a", "--format", "json",
                         check=0).stdout)
    assert att["userOwnedGrafeasNote"].get("publicKeys", []) == []

    cli("attestors", "delete", "a", check=0)
    proc = cli("attestors", "describe", "a", check=2)
    assert proc.stderr == \
        "vouch: attestor projects/p/attestors/a not found\n"


def test_online_cli_server_errors_are_printed_with_exit_2(cli, ec_key):
    setup_attestor(cli, ec_key[1])
    proc = cli("notes", "create", "n", check=2)
    assert proc.stderr == "vouch: note projects/p/notes/n already exists\n"
    proc = cli("attestors", "create", "b", "--attestation-authority-note",
               "missing", check=2)
    assert "projects/p/notes/missing" in proc.stderr
    assert proc.stderr.startswith("vouch: ")
    proc = cli("attestors", "create", "a", "--attestation-authority-note",
               "n", check=2)
    assert "already exists" in proc.stderr


def test_online_cli_public_key_errors_are_caught_locally(cli, ec_key,
                                                         tmp_path):
    key_id = setup_attestor(cli, ec_key[1])
    proc = cli("attestors", "public-keys", "add", "--attestor", "a",
               "--pkix-public-key-file", ec_key[1], check=2)
    assert f"already has a public key with id '{key_id}'" in proc.stderr
    proc = cli("attestors", "public-keys", "add", "--attestor", "a",
               "--pkix-public-key-file", ec_key[0], check=2)
    assert "private key" in proc.stderr
    proc = cli("attestors", "public-keys", "add", "--attestor", "a",
               "--pkix-public-key-file", ec_key[1],
               "--pkix-public-key-algorithm", "rsa-pss-2048-sha256",
               check=2)
    assert "RSA_PSS_2048_SHA256" in proc.stderr
    proc = cli("attestors", "public-keys", "add", "--attestor", "a",
               "--pkix-public-key-file", ec_key[1],
               "--pgp-public-key-file", ec_key[1], check=2)
    assert "exactly one of" in proc.stderr
    proc = cli("attestors", "public-keys", "remove", "nope", "--attestor",
               "a", check=2)
    assert f"no public key with id 'nope' (it has: {key_id})" in proc.stderr


def test_online_cli_policy_import_export(cli, ec_key, tmp_path):
    setup_attestor(cli, ec_key[1])
    exported = cli("policy", "export", check=0).stdout
    assert "evaluationMode: ALWAYS_ALLOW" in exported
    assert "name: projects/p/policy" in exported

    policy = write(tmp_path / "policy.yaml",
                   "defaultAdmissionRule:\n"
                   "  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"
                   "  evaluationMode: REQUIRE_ATTESTATION\n"
                   "  requireAttestationsBy:\n"
                   "  - projects/p/attestors/a\n"
                   "globalPolicyEvaluationMode: ENABLE\n")
    cli("policy", "import", policy, check=0)
    doc = json.loads(cli("policy", "export", "--format", "json",
                         check=0).stdout)
    rule = doc["defaultAdmissionRule"]
    assert rule["evaluationMode"] == "REQUIRE_ATTESTATION"
    assert rule["requireAttestationsBy"] == ["projects/p/attestors/a"]
    assert doc["etag"]

    # The export imports unchanged once; its etag then is stale.
    again = write(tmp_path / "export.yaml",
                  cli("policy", "export", check=0).stdout)
    cli("policy", "import", again, check=0)
    proc = cli("policy", "import", again, check=2)
    assert proc.stderr.startswith("vouch: etag: ")

    # The attestor cannot go while the policy requires it.
    proc = cli("attestors", "delete", "a", check=2)
    assert "required by the policy projects/p/policy" in proc.stderr


def test_online_cli_policy_import_reports_file_position(cli, tmp_path):
    bad = write(tmp_path / "bad.yaml",
                "defaultAdmissionRule:\n  evaluationMode: BOGUS\n")
    proc = cli("policy", "import", bad, check=2)
    assert proc.stderr.startswith(f"vouch: {bad}:2:")
    assert "BOGUS" in proc.stderr
    missing = write(tmp_path / "missing.yaml",
                    "defaultAdmissionRule:\n"
                    "  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"
                    "  evaluationMode: REQUIRE_ATTESTATION\n"
                    "  requireAttestationsBy:\n"
                    "  - projects/p/attestors/nobody\n")
    proc = cli("policy", "import", missing, check=2)
    assert "projects/p/attestors/nobody" in proc.stderr


def test_online_cli_sign_and_create_then_list(cli, ec_key):
    key_id = setup_attestor(cli, ec_key[1])
    proc = cli("attestations", "sign-and-create", "--artifact-url", IMAGE,
               "--attestor", "a", "--private-key", ec_key[0], "--validate",
               "--format", "json", check=0)
    occ = json.loads(proc.stdout)
    assert occ["name"].startswith("projects/p/occurrences/")
    assert occ["noteName"] == "projects/p/notes/n"
    assert occ["resourceUri"] == IMAGE
    assert occ["attestation"]["signatures"][0]["publicKeyId"] == key_id

    listed = json.loads(cli("attestations", "list", "--attestor", "a",
                            "--artifact-url", IMAGE, "--format", "json",
                            check=0).stdout)
    assert [o["name"] for o in listed] == [occ["name"]]
    assert json.loads(cli("attestations", "list", "--attestor", "a",
                          "--artifact-url", OTHER, "--format", "json",
                          check=0).stdout) == []
    table = cli("attestations", "list", "--attestor", "a",
                check=0).stdout.splitlines()
    assert table[0].split() == ["NAME", "RESOURCE_URI", "PUBLIC_KEY_IDS"]
    assert table[1].split() == [occ["name"], IMAGE, key_id]


def test_online_cli_create_from_signature_file(cli, ec_key, tmp_path):
    key_id = setup_attestor(cli, ec_key[1])
    payload = write(tmp_path / "payload.json",
                    run(VOUCH, "attestations", "create-signature-payload",
                        "--artifact-url", IMAGE, check=0).stdout)
    sig = str(tmp_path / "sig")
    openssl("dgst", "-sha256", "-sign", ec_key[0], "-out", sig, payload)
    proc = cli("attestations", "create", "--artifact-url", IMAGE,
               "--attestor", "projects/p/attestors/a", "--signature-file",
               sig, "--public-key-id", key_id, "--validate", "--format",
               "json", check=0)
    occ = json.loads(proc.stdout)
    assert occ["attestation"]["signatures"][0]["publicKeyId"] == key_id
    with open(payload, "rb") as f:
        assert base64.b64decode(occ["attestation"]["serializedPayload"]) \
            == f.read()


def test_online_cli_validate_refuses_a_bad_signature(cli, ec_key,
                                                     tmp_path):
    key_id = setup_attestor(cli, ec_key[1])
    other = str(tmp_path / "other.pem")
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout",
            "-out", other)
    payload = write(tmp_path / "payload.json",
                    run(VOUCH, "attestations", "create-signature-payload",
                        "--artifact-url", IMAGE, check=0).stdout)
    sig = str(tmp_path / "sig")
    openssl("dgst", "-sha256", "-sign", other, "-out", sig, payload)
    proc = cli("attestations", "create", "--artifact-url", IMAGE,
               "--attestor", "a", "--signature-file", sig,
               "--public-key-id", key_id, "--validate", check=1)
    assert "ATTESTATION_NOT_VERIFIABLE" in proc.stderr
    assert key_id in proc.stderr
    # Nothing was stored.
    assert json.loads(cli("attestations", "list", "--attestor", "a",
                          "--format", "json", check=0).stdout) == []
    # A key the attestor does not trust is refused too.
    proc = cli("attestations", "sign-and-create", "--artifact-url", IMAGE,
               "--attestor", "a", "--private-key", other, "--validate",
               check=1)
    assert "not created" in proc.stderr


def test_online_cli_names_and_usage_errors(cli, server):
    proc = cli("attestors", "describe", "a",
               env_extra={"VOUCH_PROJECT": ""}, check=2)
    assert "needs --project" in proc.stderr
    proc = cli("attestors", "describe", "projects/p/notes/n", check=2)
    assert "projects/PROJECT/attestors/ID" in proc.stderr
    proc = cli("attestors", "describe", "a/../b", check=2)
    assert proc.stderr.startswith("vouch: ATTESTOR:")
    proc = cli("attestations", "create", "--artifact-url", IMAGE,
               "--attestor", "a", check=2)
    assert "are required" in proc.stderr
    proc = cli("attestors", "create", "a", check=2)
    assert "--attestation-authority-note is required" in proc.stderr
    proc = cli("attestors", "describe", "a", "--bogus", check=2)
    assert "unknown flag '--bogus'" in proc.stderr
    proc = cli("--server", "ftp://x", "attestors", "describe", "a", check=2)
    assert "not an http:// or https:// URL" in proc.stderr


def test_online_cli_unreachable_server_names_it_without_secrets(cli):
    port = free_port()
    proc = cli("attestors", "describe", "a", env_extra={
        "VOUCH_SERVER": f"http://user:hunter2@127.0.0.1:{port}",
        "VOUCH_ACCESS_TOKEN": "s3cr3t-token"}, check=2)
    assert f"cannot reach vouchd at http://127.0.0.1:{port}" in proc.stderr
    assert "hunter2" not in proc.stderr + proc.stdout
    assert "s3cr3t-token" not in proc.stderr + proc.stdout


def test_online_cli_pgp_key_id_is_the_fingerprint(cli, ec_key):
    setup_attestor(cli, ec_key[1])
    armored = os.path.join(os.environ.get("VOUCH_TEST_DATA", "tests/data"),
                           "keys", "pgp.pub.asc")
    shown = run("gpg", "--batch", "--show-keys", "--with-colons", armored,
                check=0).stdout
    fpr = next(line.split(":")[9] for line in shown.splitlines()
               if line.startswith("fpr:"))
    proc = cli("attestors", "public-keys", "add", "--attestor", "a",
               "--pgp-public-key-file", armored, "--comment", "release",
               "--format", "json", check=0)
    key = json.loads(proc.stdout)
    assert key["id"] == fpr.upper()
    assert key["comment"] == "release"
    att = json.loads(cli("attestors", "describe", "a", "--format", "json",
                         check=0).stdout)
    ids = [k["id"] for k in att["userOwnedGrafeasNote"]["publicKeys"]]
    assert ids[1] == fpr.upper()
    proc = cli("attestors", "public-keys", "add", "--attestor", "a",
               "--pgp-public-key-file", armored,
               "--public-key-id-override", "x:y", check=2)
    assert "applies to PKIX keys only" in proc.stderr


class FakeServer(http.server.BaseHTTPRequestHandler):
    """Answers every request with the class's status and body."""
    status = 502
    body = b"<html>bad gateway</html>"
    delay = 0
    seen = []

    def do_GET(self):
        FakeServer.seen.append(dict(self.headers))
        time.sleep(self.delay)
        self.send_response(self.status)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def fake():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeServer)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    FakeServer.seen = []
    FakeServer.status, FakeServer.body = 502, b"<html>bad gateway</html>"
    FakeServer.delay = 0
    yield httpd, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_online_cli_answers_that_are_not_google_errors(fake):
    httpd, url = fake
    env = dict(os.environ, VOUCH_SERVER=url, VOUCH_PROJECT="p",
               VOUCH_ACCESS_TOKEN="tok-123")
    FakeServer.status, FakeServer.body = 502, b"<html>bad gateway</html>"
    proc = subprocess.run([VOUCH, "attestors", "describe", "a"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert proc.stderr == (f"vouch: {url} answered HTTP 502: "
                           "<html>bad gateway</html>\n")
    # The token went to the server, and only there.
    assert FakeServer.seen[-1]["Authorization"] == "Bearer tok-123"
    assert "tok-123" not in proc.stdout + proc.stderr

    FakeServer.status = 404
    FakeServer.body = json.dumps({"error": {
        "code": 404, "status": "NOT_FOUND",
        "message": "no such\x1b[2J thing\nreally"}}).encode()
    proc = subprocess.run([VOUCH, "attestors", "describe", "a"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    # Control characters are shown, escaped, never sent to the terminal.
    assert proc.stderr == "vouch: no such\\x1b[2J thing\\nreally\n"

    FakeServer.status, FakeServer.body = 200, b'{"name": '
    proc = subprocess.run([VOUCH, "attestors", "describe", "a"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"vouch: {url} answered with invalid "
                                  "JSON at 1:")


def test_online_cli_pgp_attestation_flow(cli, ec_key, tmp_path):
    """gcloud's documented PGP flow: gpg --armor --sign the payload, then
    attestations create --pgp-key-fingerprint, validated by the server."""
    setup_attestor(cli, ec_key[1])
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    gpg = ["gpg", "--batch", "--homedir", str(home), "--passphrase", "",
           "--pinentry-mode", "loopback"]
    run(*gpg, "--quick-gen-key", "CI <ci@example.com>", "ed25519", "sign",
        "never", check=0)
    armored = write(tmp_path / "ci.asc",
                    run(*gpg, "--armor", "--export", "ci@example.com",
                        check=0).stdout)
    key = json.loads(cli("attestors", "public-keys", "add", "--attestor",
                         "a", "--pgp-public-key-file", armored, "--format",
                         "json", check=0).stdout)
    fpr = key["id"]
    assert len(fpr) == 40 and fpr == fpr.upper()
    payload = write(tmp_path / "payload.json",
                    run(VOUCH, "attestations", "create-signature-payload",
                        "--artifact-url", IMAGE, check=0).stdout)
    sig = str(tmp_path / "sig.pgp")
    run(*gpg, "--local-user", fpr, "--armor", "--output", sig, "--sign",
        payload, check=0)
    occ = json.loads(cli("attestations", "create", "--artifact-url", IMAGE,
                         "--attestor", "a", "--signature-file", sig,
                         "--pgp-key-fingerprint", fpr, "--validate",
                         "--format", "json", check=0).stdout)
    assert occ["attestation"]["signatures"][0]["publicKeyId"] == fpr
    # Both flags at once is a usage error.
    proc = cli("attestations", "create", "--artifact-url", IMAGE,
               "--attestor", "a", "--signature-file", sig,
               "--pgp-key-fingerprint", fpr, "--public-key-id", fpr,
               check=2)
    assert "exactly one of --public-key-id and --pgp-key-fingerprint" in \
        proc.stderr


def test_online_cli_timeouts(fake):
    httpd, url = fake
    env = dict(os.environ, VOUCH_SERVER=url, VOUCH_PROJECT="p")
    proc = subprocess.run([VOUCH, "attestors", "describe", "a"],
                          capture_output=True, text=True,
                          env=dict(env, VOUCH_TIMEOUT="soon"))
    assert proc.returncode == 2
    assert "VOUCH_TIMEOUT: 'soon' is not a number of seconds" in proc.stderr

    FakeServer.delay = 3
    try:
        start = time.monotonic()
        proc = subprocess.run([VOUCH, "attestors", "describe", "a"],
                              capture_output=True, text=True,
                              env=dict(env, VOUCH_TIMEOUT="1"))
        # The server answers after 3 s: anything sooner is the timeout.
        assert time.monotonic() - start < 2.9
    finally:
        FakeServer.delay = 0
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"vouch: cannot reach vouchd at {url}: ")
    assert "timed out" in proc.stderr


def post(url, path, doc):
    req = urllib.request.Request(url + path, data=json.dumps(doc).encode(),
                                 method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def test_online_cli_lists_follow_every_page(cli, server, ec_key):
    """vouchd pages at 100 by default: the lists must fetch every page."""
    setup_attestor(cli, ec_key[1])
    for i in range(104):
        post(server, f"/v1/projects/p/attestors?attestorId=x{i:03d}",
             {"userOwnedGrafeasNote": {"noteReference": "projects/p/notes/n"}})
    occ = json.loads(run(VOUCH, "attestations", "sign", "--artifact-url",
                         IMAGE, "--note", "projects/p/notes/n",
                         "--private-key", ec_key[0], check=0).stdout)
    for _ in range(103):
        post(server, "/v1/projects/p/occurrences", occ)
    names = [a["name"] for a in json.loads(
        cli("attestors", "list", "--format", "json", check=0).stdout)]
    assert len(names) == 105 and len(set(names)) == 105
    assert "projects/p/attestors/x103" in names
    table = cli("attestors", "list", check=0).stdout.splitlines()
    assert len(table) == 106
    listed = json.loads(cli("attestations", "list", "--attestor", "a",
                            "--artifact-url", IMAGE, "--format", "json",
                            check=0).stdout)
    assert len({o["name"] for o in listed}) == 103


def test_online_cli_policy_import_into_another_project(cli, ec_key,
                                                       tmp_path):
    setup_attestor(cli, ec_key[1])
    cli("policy", "import", write(tmp_path / "p.yaml",
                                  "defaultAdmissionRule:\n"
                                  "  enforcementMode: DRYRUN_AUDIT_LOG_ONLY\n"
                                  "  evaluationMode: ALWAYS_DENY\n"),
        check=0)
    exported = write(tmp_path / "export.yaml",
                     cli("policy", "export", check=0).stdout)
    assert "etag:" in open(exported).read()
    # Project q never had a policy: the etag of p's export is dropped.
    cli("--project", "q", "policy", "import", exported, check=0)
    doc = json.loads(cli("--project", "q", "policy", "export", "--format",
                         "json", check=0).stdout)
    assert doc["name"] == "projects/q/policy"
    assert doc["defaultAdmissionRule"]["evaluationMode"] == "ALWAYS_DENY"
    # Without --project the file's own name decides: p, whose policy has
    # not changed since the export, so its etag still matches once.
    no_project = {"VOUCH_PROJECT": ""}
    proc = cli("policy", "import", exported, env_extra=no_project, check=0)
    assert "name: projects/p/policy\n" in proc.stdout
    proc = cli("policy", "import", exported, env_extra=no_project, check=2)
    assert proc.stderr.startswith("vouch: etag: ")


def test_online_cli_deep_answer_is_refused_as_yaml_only(fake):
    httpd, url = fake
    env = dict(os.environ, VOUCH_SERVER=url, VOUCH_PROJECT="p")
    FakeServer.status = 200
    FakeServer.body = (b'{"a":' * 70) + b"1" + (b"}" * 70)
    try:
        proc = subprocess.run([VOUCH, "notes", "describe", "n"],
                              capture_output=True, text=True, env=env)
        assert proc.returncode == 2
        assert "nested over 64 levels" in proc.stderr
        proc = subprocess.run([VOUCH, "notes", "describe", "n", "--format",
                               "json"], capture_output=True, text=True,
                              env=env)
        assert proc.returncode == 0
        assert json.loads(proc.stdout)["a"]["a"]["a"]
    finally:
        FakeServer.status = 502
        FakeServer.body = b"<html>bad gateway</html>"


# ---- a hostile server (issue 9, findings 6 and 7) ----
#
# The CLI must not trust a server: these tests play one with Python's
# http.server, answering what vouchd never would (a page token that comes
# back, names full of terminal escape sequences). A real vouchd cannot be
# made to send them, so here a fake server is the only way to reproduce
# the attack.

class HostileServer(http.server.BaseHTTPRequestHandler):
    """Answers with `answer(method, path, body)` -> (status, JSON)."""
    answer = None
    requests = []

    def reply(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"null")
        HostileServer.requests.append((method, self.path, body))
        status, doc = HostileServer.answer(method, self.path, body)
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.reply("GET")

    def do_POST(self):
        self.reply("POST")

    def log_message(self, *args):
        pass


@pytest.fixture()
def hostile():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HostileServer)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    HostileServer.requests = []
    url = f"http://127.0.0.1:{httpd.server_address[1]}"

    def vouch_at(*args):
        env = dict(os.environ, VOUCH_SERVER=url, VOUCH_PROJECT="p")
        env.pop("VOUCH_ACCESS_TOKEN", None)
        return subprocess.run([VOUCH, *args], capture_output=True, env=env,
                              timeout=120)
    yield url, vouch_at
    httpd.shutdown()
    httpd.server_close()


def attestor(name, note="projects/p/notes/n"):
    return {"name": name, "userOwnedGrafeasNote": {"noteReference": note}}


def test_online_cli_repeated_page_token_is_an_error(hostile):
    """A server that always answers the same nextPageToken made
    `attestors list` grow without end (1.9 GB). Now the second sight of a
    token stops the list with exit 2 and a message naming the server."""
    url, vouch_at = hostile
    HostileServer.answer = lambda m, p, b: (200, {
        "attestors": [attestor("projects/p/attestors/a")],
        "nextPageToken": "again"})
    proc = vouch_at("attestors", "list")
    assert proc.returncode == 2
    assert proc.stderr.decode() == (
        f"vouch: {url} repeated the page token 'again' after 2 pages: its "
        "list would never end; stopping\n")
    assert proc.stdout == b""
    assert len(HostileServer.requests) == 2
    # A cycle through two tokens is caught as well.
    HostileServer.requests = []
    HostileServer.answer = lambda m, p, b: (200, {
        "notes": [{"name": "projects/p/notes/n"}],
        "nextPageToken": "B" if "pageToken=A" in p else "A"})
    proc = vouch_at("notes", "list")
    assert proc.returncode == 2
    assert "repeated the page token 'A' after 3 pages" in \
        proc.stderr.decode()
    assert len(HostileServer.requests) == 3


def test_online_cli_logs_read_repeated_page_token_is_an_error(hostile):
    url, vouch_at = hostile
    HostileServer.answer = lambda m, p, b: (200, {
        "entries": [{"logName": "projects/p/logs/x"}],
        "nextPageToken": "same"})
    proc = vouch_at("logs", "read")
    assert proc.returncode == 2
    assert f"vouch: {url} repeated the page token 'same'" in \
        proc.stderr.decode()
    assert len(HostileServer.requests) == 2
    assert HostileServer.requests[1][2]["pageToken"] == "same"


def test_online_cli_list_cap_is_an_error(hostile):
    """Reaching the 100,000-item cap used to print the partial list and
    exit 0; it is an error now, and the CLI stops asking."""
    url, vouch_at = hostile
    page = [attestor("projects/p/attestors/a%d" % i) for i in range(1000)]
    HostileServer.answer = lambda m, p, b: (200, {
        "attestors": page,
        "nextPageToken": "t%d" % len(HostileServer.requests)})
    proc = vouch_at("attestors", "list", "--format", "json")
    assert proc.returncode == 2
    assert proc.stderr.decode() == (
        f"vouch: {url}: the list goes on past 100000 items; stopping (a "
        "server that never ends its list?)\n")
    assert proc.stdout == b""
    assert len(HostileServer.requests) == 101


ESCAPES = "\x1b]0;pwned\x07\x1b[2J\u009b31m\x7f"
RAW = [b"\x1b", b"\x07", b"\xc2\x9b", b"\x7f"]


def assert_no_raw_controls(data):
    for raw in RAW:
        assert raw not in data, (raw, data)


def test_online_cli_tables_escape_server_text(hostile):
    """Text tables printed server-supplied names raw: a name holding
    ESC ]0;... BEL ESC [2J set the terminal's title and cleared the
    screen."""
    url, vouch_at = hostile
    HostileServer.answer = lambda m, p, b: (200, {
        "attestors": [attestor("projects/p/attestors/" + ESCAPES,
                               note="projects/p/notes/" + ESCAPES)],
        "notes": [{"name": "projects/p/notes/" + ESCAPES}]})
    proc = vouch_at("attestors", "list")
    assert proc.returncode == 0, proc.stderr
    assert_no_raw_controls(proc.stdout)
    shown = "\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m\\x7f"
    lines = proc.stdout.decode().splitlines()
    assert lines[1].split() == [shown, "projects/p/notes/" + shown, "0"]
    proc = vouch_at("notes", "list")
    assert_no_raw_controls(proc.stdout)
    assert proc.stdout.decode() == "projects/p/notes/" + shown + "\n"
    # JSON keeps the value, escaped the JSON way.
    proc = vouch_at("attestors", "list", "--format", "json")
    assert_no_raw_controls(proc.stdout)
    assert json.loads(proc.stdout)[0]["name"].endswith(ESCAPES)


def test_online_cli_messages_escape_server_text(hostile, ec_key):
    """A message quoting the server (here the denial reason of
    --validate) shows control characters escaped."""
    url, vouch_at = hostile

    def answer(method, path, body):
        if path.endswith(":validateAttestationOccurrence"):
            return 200, {"result": "ATTESTATION_NOT_VERIFIABLE",
                         "denialReason": ESCAPES}
        return 200, attestor("projects/p/attestors/a")
    HostileServer.answer = answer
    proc = vouch_at("attestations", "sign-and-create", "--artifact-url",
                    IMAGE, "--attestor", "a", "--private-key", ec_key[0],
                    "--validate")
    assert proc.returncode == 1
    assert_no_raw_controls(proc.stderr)
    assert "\\x1b]0;pwned\\x07\\x1b[2J" in proc.stderr.decode()


def test_online_cli_real_vouchd_descriptions_are_escaped(cli, server):
    """vouchd stores a description holding control characters; every
    format the CLI prints it in is free of raw ones."""
    cli("notes", "create", "n", check=0)
    cli("attestors", "create", "a", "--attestation-authority-note", "n",
        "--description", ESCAPES, check=0)
    env = dict(os.environ, VOUCH_SERVER=server, VOUCH_PROJECT="p")
    for fmt in ([], ["--format", "text"], ["--format", "yaml"],
                ["--format", "json"]):
        proc = subprocess.run([VOUCH, "attestors", "describe", "a", *fmt],
                              capture_output=True, env=env)
        assert proc.returncode == 0, proc.stderr
        assert_no_raw_controls(proc.stdout)
    assert json.loads(proc.stdout)["description"] == ESCAPES
