"""Helpers for the run-platform story (test_run_story.py) and the
benchmark: a real Debian docker-registry on 127.0.0.1 (tests/registry/
harness.py starts it and pushes images with curl), a private PostgreSQL
(tests/store/pg_harness.sh), vouchd with the run platform, and the `vouch`
CLI. Standard library only.
"""
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get("VOUCH_SOURCE_ROOT",
                             os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(SOURCE_ROOT, "tests", "registry"))
import harness as registry_harness  # noqa: E402

PG_HARNESS = os.path.join(SOURCE_ROOT, "tests", "store", "pg_harness.sh")
VOUCH = os.environ.get("VOUCH_CLI", "build/src/cli/vouch")


def vouchd_path():
    path = os.environ.get("VOUCHD")
    if path:
        return os.path.abspath(path)
    cli_dir = os.path.dirname(os.path.abspath(VOUCH))
    return os.path.join(os.path.dirname(cli_dir), "daemon", "vouchd")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    """A real docker-registry (anonymous, plain http, loopback)."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="vouch-run-registry-")
        os.chmod(self.tmp, 0o755)
        self.port = free_port()
        self.host = "127.0.0.1:%d" % self.port
        self.proc = registry_harness.start_registry(self.tmp, "anon",
                                                    self.port)

    def push(self, repo, tag, seed):
        """Push a small OCI image; returns its manifest digest."""
        return registry_harness.push_image(self.host, repo, tag, "oci",
                                           seed)["digest"]

    def stop(self):
        registry_harness.stop(self.proc)
        shutil.rmtree(self.tmp, ignore_errors=True)


def pg_start():
    """A private PostgreSQL cluster: (url, directory)."""
    if os.environ.get("VOUCH_TEST_PG_URL"):
        return os.environ["VOUCH_TEST_PG_URL"], None
    out = subprocess.run(["sh", PG_HARNESS, "start"], capture_output=True,
                         text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError("cannot start PostgreSQL with %s: %s"
                           % (PG_HARNESS, out.stderr))
    url, directory = out.stdout.strip().splitlines()[:2]
    return url, directory


def pg_stop(directory):
    if directory:
        subprocess.run(["sh", PG_HARNESS, "stop", directory],
                       capture_output=True, timeout=120)


class Daemon:
    """vouchd on a free loopback port; stopped by PID. With `cafile` it is
    reached over https (vouchd's args then carry --tls-cert/--tls-key),
    and `token` is sent as the bearer of every request()."""

    def __init__(self, store_url, workdir, args=(), cafile=None,
                 token=None):
        self.store_url = store_url
        self.workdir = workdir
        self.args = list(args)
        self.proc = None
        self.port = None
        self.log_path = os.path.join(workdir, "vouchd.err")
        self.cafile = cafile
        self.token = token
        self.scheme = "https" if cafile is not None else "http"

    def start(self, timeout=30):
        cmd = [vouchd_path(), "--listen", "127.0.0.1:0", "--store",
               self.store_url, "--access-log",
               os.path.join(self.workdir, "access.log")] + self.args
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                     stderr=self.log, cwd=self.workdir,
                                     env=registry_harness.clean_env())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(r"listening on %s://127\.0\.0\.1:(\d+)"
                          % self.scheme, self.stderr_text())
            if m:
                self.port = int(m.group(1))
                self.url = "%s://127.0.0.1:%d" % (self.scheme, self.port)
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.kill()
        raise AssertionError("vouchd did not start: " + self.stderr_text())

    def stderr_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def request(self, method, path, body=None, token=None):
        """(status, parsed JSON body or None). `token`: another caller's
        bearer than the daemon's own."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data,
                                     method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if (token or self.token) is not None:
            req.add_header("Authorization", "Bearer " + (token or self.token))
        handlers = [urllib.request.ProxyHandler({})]
        if self.cafile is not None:
            handlers.append(urllib.request.HTTPSHandler(
                context=ssl.create_default_context(cafile=self.cafile)))
        opener = urllib.request.build_opener(*handlers)
        try:
            with opener.open(req, timeout=60) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except ValueError:
                return e.code, raw

    def stop(self, timeout=60):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.log.close()

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def vouch(daemon, project, *args, check=None, region=None):
    """Run the `vouch` CLI against `daemon`; returns CompletedProcess."""
    env = registry_harness.clean_env({
        "VOUCH_SERVER": daemon.url,
        "VOUCH_PROJECT": project,
    })
    env.pop("VOUCH_REGION", None)
    if region is not None:
        env["VOUCH_REGION"] = region
    proc = subprocess.run([VOUCH] + list(args), capture_output=True,
                          text=True, env=env, timeout=120)
    if check is not None:
        assert proc.returncode == check, (
            "vouch %s exited %d, expected %d\nstdout: %s\nstderr: %s"
            % (" ".join(args), proc.returncode, check, proc.stdout,
               proc.stderr))
    return proc


def vouch_json(daemon, project, *args):
    out = vouch(daemon, project, "--format", "json", *args, check=0)
    return json.loads(out.stdout)


# ---- Binary Authorization setup over the v1 API ----

def setup_attestor(daemon, project, workdir, name="built"):
    """A note, an attestor with a fresh P-256 key; returns (attestor
    name, note name, private key path)."""
    key = os.path.join(workdir, "%s.pem" % name)
    pub = os.path.join(workdir, "%s.pub" % name)
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey",
                    "-noout", "-out", key], check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out", pub],
                   check=True, capture_output=True)
    with open(pub) as f:
        pem = f.read()
    note = "projects/%s/notes/%s" % (project, name)
    status, body = daemon.request(
        "POST", "/v1/projects/%s/notes?noteId=%s" % (project, name),
        {"attestation": {"hint": {"humanReadableName": name}}})
    assert status == 200, body
    status, body = daemon.request(
        "POST", "/v1/projects/%s/attestors?attestorId=%s" % (project, name),
        {"userOwnedGrafeasNote": {
            "noteReference": note,
            "publicKeys": [{"pkixPublicKey": {
                "publicKeyPem": pem,
                "signatureAlgorithm": "ECDSA_P256_SHA256"}}]}})
    assert status == 200, body
    return "projects/%s/attestors/%s" % (project, name), note, key


def set_policy(daemon, project, mode="ALWAYS_ALLOW", attestors=(),
               enforcement="ENFORCED_BLOCK_AND_AUDIT_LOG", patterns=()):
    rule = {"evaluationMode": mode, "enforcementMode": enforcement}
    if attestors:
        rule["requireAttestationsBy"] = list(attestors)
    body = {"defaultAdmissionRule": rule,
            "globalPolicyEvaluationMode": "DISABLE"}
    if patterns:
        body["admissionWhitelistPatterns"] = [{"namePattern": p}
                                              for p in patterns]
    status, out = daemon.request("PUT", "/v1/projects/%s/policy" % project,
                                 body)
    assert status == 200, out
    return out


def has_online_attestations():
    """Does this `vouch` have the online `attestations sign-and-create`
    (issue 3)? Until it is wired, the occurrence is stored over HTTP."""
    out = subprocess.run([VOUCH, "attestations", "sign-and-create",
                          "--help"], capture_output=True, text=True)
    return out.returncode == 0


def attest(daemon, project, image, note, key, attestor=None):
    """Attest `image`: `vouch attestations sign-and-create --validate`
    when the CLI has it, else `vouch attestations sign` and a POST of the
    occurrence it prints."""
    if attestor is not None and has_online_attestations():
        vouch(daemon, project, "attestations", "sign-and-create",
              "--artifact-url", image, "--attestor", attestor,
              "--private-key", key, "--validate", check=0)
        return None
    out = vouch(daemon, project, "attestations", "sign", "--artifact-url",
                image, "--note", note, "--private-key", key, check=0)
    occurrence = json.loads(out.stdout)
    status, body = daemon.request(
        "POST", "/v1/projects/%s/occurrences" % project, occurrence)
    assert status == 200, body
    return body
