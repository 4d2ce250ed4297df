#!/usr/bin/env python3
"""A seeded vouchd for the console tests (tests/console/console.test.mjs).

Starts a real docker-registry and vouchd (SQLite) on loopback with the
run-platform harness of the end-to-end tests (tests/e2e/run_harness.py),
seeds two projects through the API and the `vouch` CLI, prints one JSON
line with the server's URL and the facts the pages must show, and stops
everything (by PID) when its standard input closes.

Project "shop": a policy that requires the attestor built-by-ci, a second
attestor (two keys, one of them RSA), an attested image and an unattested
one, an attestation by a key the attestor does not hold, an allowed
deploy, a denied deploy, a breakglass deploy and a job execution.

Project "xss-probe": an attestor whose description and a breakglass
justification (which the audit entry quotes) hold HTML that must be shown
as text.

A second vouchd on the same database runs with an auth config
(docs/security.md): facts["authUrl"] is its address and
facts["tokens"] the tokens of its principals, for the console with
authentication on: owner@, alice@ and bob@example.com are owners;
carol@example.com may read and update the policy of "shop"
(roles/binaryauthorization.policyEditor) but not read the audit log.
"""
import base64
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get("VOUCH_SOURCE_ROOT",
                             os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(SOURCE_ROOT, "tests", "e2e"))
import run_harness as h  # noqa: E402

SHOP = "shop"
XSS = "xss-probe"
XSS_TEXT = ('<script>window.__xss = "script"</script>'
            '<img src="x" onerror="window.__xss = \'img\'">')
BREAKGLASS = "INC-4711: payment outage, hotfix approved by on-call"


def ok(daemon, method, path, body=None):
    status, out = daemon.request(method, path, body)
    assert status == 200, (method, path, status, out)
    return out


def pem_of(workdir, name, *genkey):
    key = os.path.join(workdir, name + ".pem")
    pub = os.path.join(workdir, name + ".pub")
    subprocess.run(["openssl", "genpkey", *genkey, "-out", key], check=True,
                   capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out", pub],
                   check=True, capture_output=True)
    with open(pub) as f:
        return key, f.read()


def seed_shop(daemon, registry, work):
    good = registry.push("shop/web", "1.0", 1)
    bad = registry.push("shop/web", "2.0", 2)
    web = "%s/shop/web" % registry.host
    attestor, note, key = h.setup_attestor(daemon, SHOP, work, "built-by-ci")
    ok(daemon, "PUT", "/v1/projects/%s/attestors/built-by-ci" % SHOP,
       dict(ok(daemon, "GET", "/v1/projects/%s/attestors/built-by-ci" % SHOP),
            description="Images built by the CI pipeline"))
    # A second attestor with an EC and an RSA key.
    _, ec = pem_of(work, "scan-ec", "-algorithm", "EC", "-pkeyopt",
                   "ec_paramgen_curve:P-384")
    _, rsa = pem_of(work, "scan-rsa", "-algorithm", "RSA", "-pkeyopt",
                    "rsa_keygen_bits:2048")
    ok(daemon, "POST", "/v1/projects/%s/notes?noteId=scanned" % SHOP,
       {"attestation": {"hint": {"humanReadableName": "scanned"}}})
    ok(daemon, "POST", "/v1/projects/%s/attestors?attestorId=scanned" % SHOP,
       {"description": "Images that passed the vulnerability scan",
        "userOwnedGrafeasNote": {
            "noteReference": "projects/%s/notes/scanned" % SHOP,
            "publicKeys": [
                {"comment": "scanner 2026",
                 "pkixPublicKey": {"publicKeyPem": ec,
                                   "signatureAlgorithm": "ECDSA_P384_SHA384"}},
                {"pkixPublicKey": {
                    "publicKeyPem": rsa,
                    "signatureAlgorithm": "RSA_SIGN_PKCS1_2048_SHA256"}}]}})
    h.set_policy(daemon, SHOP, mode="REQUIRE_ATTESTATION",
                 attestors=[attestor],
                 patterns=["gcr.io/shop/base-images/*"])
    h.attest(daemon, SHOP, "%s@%s" % (web, good), note, key, attestor)
    # An attestation on the same note by a key built-by-ci does not hold.
    stranger, _ = pem_of(work, "stranger", "-algorithm", "EC", "-pkeyopt",
                         "ec_paramgen_curve:P-256")
    h.attest(daemon, SHOP, "%s@%s" % (web, good), note, stranger)

    def run(*args, check=0):
        return h.vouch(daemon, SHOP, *args, check=check)

    run("run", "deploy", "web", "--image", web + ":1.0",
        "--binary-authorization", "default")
    run("run", "deploy", "web", "--image", web + ":2.0",
        "--binary-authorization", "default", check=1)
    run("run", "deploy", "checkout", "--image", web + ":2.0",
        "--binary-authorization", "default", "--breakglass", BREAKGLASS)
    run("run", "jobs", "create", "nightly-report", "--image", web + ":1.0",
        "--binary-authorization", "default")
    return {"good": "%s@%s" % (web, good), "bad": "%s@%s" % (web, bad),
            "goodDigest": good, "badDigest": bad}


def seed_xss(daemon, registry, work):
    ok(daemon, "POST", "/v1/projects/%s/notes?noteId=n" % XSS,
       {"attestation": {"hint": {"humanReadableName": "n"}}})
    ok(daemon, "POST", "/v1/projects/%s/attestors?attestorId=probe" % XSS,
       {"description": XSS_TEXT,
        "userOwnedGrafeasNote": {"noteReference":
                                 "projects/%s/notes/n" % XSS}})
    registry.push("probe/app", "1.0", 3)
    h.vouch(daemon, XSS, "run", "deploy", "probe", "--image",
            "%s/probe/app:1.0" % registry.host, "--binary-authorization",
            "default", "--breakglass", XSS_TEXT, check=0)


USERS = ("owner", "alice", "bob", "carol")
OWNERS = ("owner", "alice", "bob")


def start_with_auth(store_url, work, registry):
    """vouchd on the same store with a token for each of USERS in its
    auth config; returns (daemon, {user: token})."""
    tokens = {u: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
              .rstrip("=") for u in USERS}
    path = os.path.join(work, "auth.json")
    with open(path, "w") as f:
        json.dump({"tokens": [{"principal": "user:%s@example.com" % u,
                               "sha256": hashlib.sha256(
                                   t.encode()).hexdigest()}
                              for u, t in tokens.items()],
                   "owners": ["user:%s@example.com" % u for u in OWNERS]},
                  f)
    authed = os.path.join(work, "authed")
    os.mkdir(authed)
    daemon = h.Daemon(store_url, authed, [
        "--auth-config", path, "--registry-insecure", registry.host]).start()
    status, out = daemon.request(
        "POST", "/v1/projects/%s:setIamPolicy" % SHOP,
        {"policy": {"bindings": [{
            "role": "roles/binaryauthorization.policyEditor",
            "members": ["user:carol@example.com"]}]}},
        token=tokens["owner"])
    assert status == 200, out
    return daemon, tokens


def main():
    work = tempfile.mkdtemp(prefix="vouch-console-")
    os.chmod(work, 0o755)
    registry = h.Registry()
    daemon = None
    authed = None
    try:
        daemon = h.Daemon("sqlite:" + os.path.join(work, "vouch.db"),
                          work, ["--registry-insecure",
                                 registry.host]).start()
        facts = seed_shop(daemon, registry, work)
        seed_xss(daemon, registry, work)
        authed, tokens = start_with_auth(daemon.store_url, work, registry)
        # The job's one execution is alice's: the console names who ran it.
        status, out = authed.request(
            "POST", "/v2/projects/%s/locations/us-central1/jobs/"
            "nightly-report:run" % SHOP, {}, token=tokens["alice"])
        assert status == 200 and "error" not in out, out
        facts.update(url=daemon.url, project=SHOP, xssProject=XSS,
                     xssText=XSS_TEXT, breakglass=BREAKGLASS,
                     authUrl=authed.url, tokens=tokens)
        print(json.dumps(facts), flush=True)
        sys.stdin.read()    # until the test closes it
    finally:
        code = daemon.stop() if daemon is not None else 0
        if authed is not None:
            code = code or authed.stop()
        registry.stop()
        if code != 0:
            # Under the sanitizers a leak or an error ends vouchd non-zero.
            sys.stderr.write("seed.py: vouchd exited %s:\n%s\n"
                             % (code, daemon.stderr_text()[-4000:]))
        shutil.rmtree(work, ignore_errors=True)
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
