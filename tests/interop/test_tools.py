"""Interop with the real openssl and gpg, made at test time.

For each of the 11 PKIX signature algorithms: a key made by `openssl
genpkey`, the payload made by `vouch attestations create-signature-payload`,
a signature made by `openssl dgst -sign` (ECDSA DER, PKCS#1 v1.5, PSS with
digest-length and maximum salt), then `vouch evaluate` must ALLOW; a
tampered payload, a signature by another key and a key declared with the
wrong algorithm must not. OpenPGP: a key made by gpg, attached
(`gpg --sign`) and detached (`gpg --detach-sign`) signatures.
"""
import json
import os
import subprocess

import pytest

from vouchtest import (ATTESTOR, IMAGE, b64, evaluate, occurrence, openssl,
                       payload_for, pgp_attestor, pkix_attestor,
                       policy_require, run, vouch, write, default_key_id)

ALGORITHMS = {
    # name: (key kind, key parameter, digest, padding)
    "RSA_PSS_2048_SHA256": ("RSA", 2048, "sha256", "pss"),
    "RSA_PSS_3072_SHA256": ("RSA", 3072, "sha256", "pss"),
    "RSA_PSS_4096_SHA256": ("RSA", 4096, "sha256", "pss"),
    "RSA_PSS_4096_SHA512": ("RSA", 4096, "sha512", "pss"),
    "RSA_SIGN_PKCS1_2048_SHA256": ("RSA", 2048, "sha256", "pkcs1"),
    "RSA_SIGN_PKCS1_3072_SHA256": ("RSA", 3072, "sha256", "pkcs1"),
    "RSA_SIGN_PKCS1_4096_SHA256": ("RSA", 4096, "sha256", "pkcs1"),
    "RSA_SIGN_PKCS1_4096_SHA512": ("RSA", 4096, "sha512", "pkcs1"),
    "ECDSA_P256_SHA256": ("EC", "P-256", "sha256", None),
    "ECDSA_P384_SHA384": ("EC", "P-384", "sha384", None),
    "ECDSA_P521_SHA512": ("EC", "P-521", "sha512", None),
}

_keys = {}


@pytest.fixture(scope="session")
def keydir(tmp_path_factory):
    return tmp_path_factory.mktemp("keys")


def make_key(keydir, kind, param, tag=""):
    """One key per (kind, size/curve), made once per session."""
    label = f"{kind}-{param}{tag}"
    if label not in _keys:
        priv = str(keydir / f"{label}.pem")
        pub = str(keydir / f"{label}.pub.pem")
        if kind == "RSA":
            openssl("genpkey", "-algorithm", "RSA", "-pkeyopt",
                    f"rsa_keygen_bits:{param}", "-out", priv)
        else:
            openssl("genpkey", "-algorithm", "EC", "-pkeyopt",
                    f"ec_paramgen_curve:{param}", "-out", priv)
        openssl("pkey", "-in", priv, "-pubout", "-out", pub)
        _keys[label] = (priv, pub)
    return _keys[label]


def sign(priv, digest, padding, payload_path, sig_path, salt="digest"):
    args = ["dgst", f"-{digest}", "-sign", priv, "-out", sig_path]
    if padding == "pss":
        args += ["-sigopt", "rsa_padding_mode:pss", "-sigopt",
                 f"rsa_pss_saltlen:{salt}", "-sigopt",
                 f"rsa_mgf1_md:{digest}"]
    openssl(*args, payload_path)
    with open(sig_path, "rb") as f:
        return f.read()


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_pkix_openssl_signature_allows(algorithm, keydir, tmp_path):
    kind, param, digest, padding = ALGORITHMS[algorithm]
    priv, pub = make_key(keydir, kind, param)
    payload = payload_for()
    payload_path = write(tmp_path / "payload.json", payload)
    salts = ["digest", "max"] if padding == "pss" else ["digest"]
    attestor = pkix_attestor(tmp_path, pub, algorithm)
    key_id = vouch("keys", "id", pub, check=0).stdout.strip()
    assert key_id == default_key_id(pub)
    policy = policy_require(tmp_path)
    for salt in salts:
        sig = sign(priv, digest, padding, payload_path,
                   str(tmp_path / "sig"), salt)
        occ = occurrence(tmp_path, payload, sig, key_id)
        proc, decision = evaluate(policy, [attestor], [occ], [IMAGE])
        assert proc.returncode == 0, proc.stderr
        assert decision["decision"] == "ALLOW"
        assert decision["images"][0]["verdict"] == "ALLOWED"
        assert decision["images"][0]["attestors"][0]["satisfied"] is True


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_pkix_openssl_negative_cases(algorithm, keydir, tmp_path):
    kind, param, digest, padding = ALGORITHMS[algorithm]
    priv, pub = make_key(keydir, kind, param)
    other_priv, _ = make_key(keydir, kind, param, tag="-other")
    key_id = default_key_id(pub)
    attestor = pkix_attestor(tmp_path, pub, algorithm)
    policy = policy_require(tmp_path)

    # A payload for another digest, properly signed: verifies, wrong image.
    other_image = IMAGE.split("@")[0] + "@sha256:" + "cd" * 32
    other_payload = payload_for(other_image)
    p = write(tmp_path / "other.json", other_payload)
    sig = sign(priv, digest, padding, p, str(tmp_path / "sig1"))
    occ = occurrence(tmp_path, other_payload, sig, key_id, fname="o1.json")
    proc, decision = evaluate(policy, [attestor], [occ], [IMAGE])
    assert proc.returncode == 1
    assert decision["decision"] == "DENY"
    reason = decision["images"][0]["attestors"][0]["reason"]
    assert "sha256:" + "cd" * 32 in reason, reason

    # Tampered payload: one byte changed after signing.
    payload = payload_for()
    p = write(tmp_path / "payload.json", payload)
    sig = sign(priv, digest, padding, p, str(tmp_path / "sig2"))
    tampered = payload.replace(b"Google cloud", b"Google Cloud")
    occ = occurrence(tmp_path, tampered, sig, key_id, fname="o2.json")
    proc, decision = evaluate(policy, [attestor], [occ], [IMAGE])
    assert proc.returncode == 1, proc.stdout
    assert key_id in decision["images"][0]["attestors"][0]["reason"]

    # Signed by another key of the same kind, claiming the trusted id.
    sig = sign(other_priv, digest, padding, p, str(tmp_path / "sig3"))
    occ = occurrence(tmp_path, payload, sig, key_id, fname="o3.json")
    proc, decision = evaluate(policy, [attestor], [occ], [IMAGE])
    assert proc.returncode == 1
    assert decision["decision"] == "DENY"


def test_pkix_wrong_declared_algorithm_is_an_input_error(keydir, tmp_path):
    _, pub = make_key(keydir, "EC", "P-384")
    attestor = pkix_attestor(tmp_path, pub, "ECDSA_P256_SHA256")
    policy = policy_require(tmp_path)
    proc = vouch("evaluate", "--policy", policy, "--attestor", attestor,
                 IMAGE)
    assert proc.returncode == 2
    assert "P-384" in proc.stderr or "384" in proc.stderr, proc.stderr
    assert "publicKeys[0]" in proc.stderr, proc.stderr


def test_pkix_rsa_size_must_match_algorithm(keydir, tmp_path):
    _, pub = make_key(keydir, "RSA", 2048)
    attestor = pkix_attestor(tmp_path, pub, "RSA_PSS_4096_SHA256")
    policy = policy_require(tmp_path)
    proc = vouch("evaluate", "--policy", policy, "--attestor", attestor,
                 IMAGE)
    assert proc.returncode == 2
    assert "2048" in proc.stderr and "4096" in proc.stderr, proc.stderr


def test_vouch_sign_verifies_with_openssl(keydir, tmp_path):
    """The other direction: vouch signs, openssl verifies."""
    for algorithm in ("ECDSA_P256_SHA256", "RSA_PSS_2048_SHA256",
                      "RSA_SIGN_PKCS1_3072_SHA256"):
        kind, param, digest, padding = ALGORITHMS[algorithm]
        priv, pub = make_key(keydir, kind, param)
        proc = vouch("attestations", "sign", "--artifact-url", IMAGE,
                     "--note", "projects/my-project/notes/built",
                     "--private-key", priv, "--algorithm", algorithm,
                     check=0)
        occ = json.loads(proc.stdout)
        import base64
        payload = base64.b64decode(occ["attestation"]["serializedPayload"])
        sig = base64.b64decode(occ["attestation"]["signatures"][0]
                               ["signature"])
        assert occ["attestation"]["signatures"][0]["publicKeyId"] == \
            default_key_id(pub)
        write(tmp_path / "p", payload)
        write(tmp_path / "s", sig)
        args = ["dgst", f"-{digest}", "-verify", pub, "-signature",
                str(tmp_path / "s")]
        if padding == "pss":
            args += ["-sigopt", "rsa_padding_mode:pss", "-sigopt",
                     "rsa_pss_saltlen:auto"]
        out = run("openssl", *args, str(tmp_path / "p"), check=0)
        assert "Verified OK" in out.stdout


# --- OpenPGP -------------------------------------------------------------

@pytest.fixture(scope="session")
def gpg_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("gnupg")
    os.chmod(home, 0o700)
    for uid in ("Builder <builder@example.com>",
                "Mallory <mallory@example.com>"):
        run("gpg", "--homedir", str(home), "--batch", "--pinentry-mode",
            "loopback", "--passphrase", "", "--quick-gen-key", uid,
            "rsa2048", "sign", "never", check=0)
    return home


def gpg(home, *args, check=0):
    return run("gpg", "--homedir", str(home), "--batch", "--yes",
               "--pinentry-mode", "loopback", "--passphrase", "", *args,
               check=check)


def fingerprint(home, uid):
    out = gpg(home, "--with-colons", "--list-keys", uid).stdout
    for line in out.splitlines():
        if line.startswith("fpr:"):
            return line.split(":")[9]
    raise AssertionError("no fingerprint")


def test_pgp_attached_and_detached(gpg_home, tmp_path):
    fpr = fingerprint(gpg_home, "builder@example.com")
    armored = gpg(gpg_home, "--armor", "--export",
                  "builder@example.com").stdout
    key_file = write(tmp_path / "builder.asc", armored)
    assert vouch("keys", "id", key_file, check=0).stdout.strip() == fpr
    attestor = pgp_attestor(tmp_path, armored)
    policy = policy_require(tmp_path)
    payload = payload_for()
    p = write(tmp_path / "payload.json", payload)

    # Attached, as the BinAuthz docs do: gpg --armor --sign.
    gpg(gpg_home, "--local-user", "builder@example.com", "--armor",
        "--output", str(tmp_path / "attached.asc"), "--sign", p)
    with open(tmp_path / "attached.asc", "rb") as f:
        attached = f.read()
    for include in (True, False):
        occ = occurrence(tmp_path, payload, attached, fpr,
                         fname=f"a{include}.json", include_payload=include)
        proc, decision = evaluate(policy, [attestor], [occ], [IMAGE])
        assert proc.returncode == 0, proc.stderr
        assert decision["decision"] == "ALLOW"

    # Attached, but serializedPayload says something else: refused.
    other = payload_for(IMAGE.split("@")[0] + "@sha256:" + "ef" * 32)
    occ = occurrence(tmp_path, other, attached, fpr, fname="mismatch.json")
    proc, decision = evaluate(policy, [attestor], [occ], [IMAGE])
    assert proc.returncode == 1

    # Detached, armored and binary.
    for armor in (True, False):
        out = tmp_path / f"detached{armor}.sig"
        args = ["--local-user", "builder@example.com", "--output", str(out),
                "--detach-sign"]
        if armor:
            args.insert(0, "--armor")
        gpg(gpg_home, *args, p)
        with open(out, "rb") as f:
            detached = f.read()
        occ = occurrence(tmp_path, payload, detached, fpr,
                         fname=f"d{armor}.json")
        proc, decision = evaluate(policy, [attestor], [occ], [IMAGE])
        assert proc.returncode == 0, proc.stderr


def test_pgp_signature_by_untrusted_key_denied(gpg_home, tmp_path):
    fpr = fingerprint(gpg_home, "builder@example.com")
    armored = gpg(gpg_home, "--armor", "--export",
                  "builder@example.com").stdout
    attestor = pgp_attestor(tmp_path, armored)
    policy = policy_require(tmp_path)
    payload = payload_for()
    p = write(tmp_path / "payload.json", payload)
    gpg(gpg_home, "--local-user", "mallory@example.com", "--armor",
        "--output", str(tmp_path / "m.asc"), "--sign", p)
    with open(tmp_path / "m.asc", "rb") as f:
        forged = f.read()
    occ = occurrence(tmp_path, payload, forged, fpr)
    proc, decision = evaluate(policy, [attestor], [occ], [IMAGE])
    assert proc.returncode == 1
    assert decision["images"][0]["verdict"] == "DENIED"
    assert fpr in decision["images"][0]["attestors"][0]["reason"]
