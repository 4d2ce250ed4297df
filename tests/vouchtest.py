"""Shared helpers for the pytest suites (interop/ and e2e/).

They drive the real `vouch` binary (VOUCH_CLI, set by meson) and the real
`openssl` and `gpg`, in a temporary directory per test.
"""
import base64
import hashlib
import json
import os
import subprocess

VOUCH = os.environ.get("VOUCH_CLI", "build/src/cli/vouch")
DIGEST = "sha256:" + "ab" * 32
IMAGE = "us-docker.pkg.dev/my-project/repo/app@" + DIGEST
NOTE = "projects/my-project/notes/built"
ATTESTOR = "projects/my-project/attestors/built"


def run(*args, stdin=None, check=None):
    """Run a command; returns CompletedProcess with text output."""
    proc = subprocess.run(list(args), input=stdin, capture_output=True,
                          text=not isinstance(stdin, bytes))
    if check is not None:
        assert proc.returncode == check, (
            f"{args} exited {proc.returncode}, expected {check}\n"
            f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


def vouch(*args, check=None, stdin=None):
    return run(VOUCH, *args, check=check, stdin=stdin)


def openssl(*args):
    return run("openssl", *args, check=0)


def b64(data):
    return base64.b64encode(data).decode()


def write(path, data):
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode) as f:
        f.write(data)
    return str(path)


def default_key_id(pub_pem_path):
    """ni:///sha-256;base64url(SHA-256(DER SPKI)), computed independently."""
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in", pub_pem_path,
                          "-outform", "DER"], capture_output=True,
                         check=True).stdout
    digest = hashlib.sha256(der).digest()
    return "ni:///sha-256;" + base64.urlsafe_b64encode(digest).decode() \
        .rstrip("=")


def policy_require(tmp, attestors=(ATTESTOR,), enforcement=
                   "ENFORCED_BLOCK_AND_AUDIT_LOG", patterns=()):
    doc = {
        "name": "projects/my-project/policy",
        "globalPolicyEvaluationMode": "ENABLE",
        "defaultAdmissionRule": {
            "evaluationMode": "REQUIRE_ATTESTATION",
            "enforcementMode": enforcement,
            "requireAttestationsBy": list(attestors),
        },
    }
    if patterns:
        doc["admissionWhitelistPatterns"] = [{"namePattern": p}
                                             for p in patterns]
    return write(tmp / "policy.json", json.dumps(doc, indent=2))


def pkix_attestor(tmp, pub_pem_path, algorithm, name=ATTESTOR, note=NOTE,
                  key_id=None):
    with open(pub_pem_path) as f:
        pem = f.read()
    key = {"pkixPublicKey": {"publicKeyPem": pem,
                             "signatureAlgorithm": algorithm}}
    if key_id:
        key["id"] = key_id
    doc = {"name": name,
           "userOwnedGrafeasNote": {"noteReference": note,
                                    "publicKeys": [key]}}
    return write(tmp / (name.rsplit("/", 1)[1] + ".attestor.json"),
                 json.dumps(doc, indent=2))


def pgp_attestor(tmp, armored, name=ATTESTOR, note=NOTE):
    doc = {"name": name,
           "userOwnedGrafeasNote": {
               "noteReference": note,
               "publicKeys": [{"asciiArmoredPgpPublicKey": armored}]}}
    return write(tmp / (name.rsplit("/", 1)[1] + ".attestor.json"),
                 json.dumps(doc, indent=2))


def occurrence(tmp, payload, signature, key_id, image=IMAGE, note=NOTE,
               fname="occurrence.json", include_payload=True):
    att = {"signatures": [{"signature": b64(signature),
                           "publicKeyId": key_id}]}
    if include_payload:
        att["serializedPayload"] = b64(payload)
    doc = {"kind": "ATTESTATION", "noteName": note, "resourceUri": image,
           "attestation": att}
    return write(tmp / fname, json.dumps(doc, indent=2))


def payload_for(image=IMAGE):
    proc = run(VOUCH, "attestations", "create-signature-payload",
               "--artifact-url", image, check=0)
    return proc.stdout.encode()


def evaluate(policy, attestors, attestations, images, *extra):
    args = ["evaluate", "--policy", policy]
    for a in attestors:
        args += ["--attestor", a]
    for a in attestations:
        args += ["--attestation", a]
    args += list(extra) + list(images)
    proc = vouch(*args)
    decision = None
    if proc.stdout.strip():
        decision = json.loads(proc.stdout)
    return proc, decision
