"""The `vouch` command end to end, as a user runs it: exit statuses,
messages with positions, canonical output, and the five-minute walkthrough
of README.md (policy, key, signature, evaluate, deny reason)."""
import base64
import json
import os
import re

import pytest
import yaml

from vouchtest import (DIGEST, IMAGE, NOTE, ATTESTOR, evaluate, occurrence,
                       openssl, payload_for, pkix_attestor, policy_require,
                       run, vouch, write)

DATA = os.environ.get("VOUCH_TEST_DATA", "tests/data")

COMMANDS = [
    [], ["policy"], ["policy", "validate"], ["policy", "format"],
    ["keys"], ["keys", "id"], ["attestations"],
    ["attestations", "create-signature-payload"],
    ["attestations", "sign"], ["evaluate"],
]


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "-")
def test_every_command_has_help(cmd):
    proc = vouch(*cmd, "--help", check=0)
    assert "usage: vouch" in proc.stdout


def test_version():
    assert vouch("--version", check=0).stdout.startswith("vouch ")


def test_unknown_flag_and_command_are_usage_errors():
    proc = vouch("policy", "validate", "--bogus", check=2)
    assert "unknown flag '--bogus'" in proc.stderr
    proc = vouch("frobnicate", check=2)
    assert "unknown command group 'frobnicate'" in proc.stderr
    proc = vouch("evaluate", IMAGE, check=2)
    assert "--policy is required" in proc.stderr


GCLOUD_DEFAULT = """defaultAdmissionRule:
  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG
  evaluationMode: ALWAYS_ALLOW
globalPolicyEvaluationMode: ENABLE
name: projects/PROJECT_ID/policy
"""


def test_policy_validate_and_format_gcloud_export(tmp_path):
    path = write(tmp_path / "policy.yaml", GCLOUD_DEFAULT)
    proc = vouch("policy", "validate", path, check=0)
    assert proc.stdout == f"{path}: valid\n"
    assert vouch("policy", "format", path, check=0).stdout == GCLOUD_DEFAULT
    js = json.loads(vouch("policy", "format", "--format", "json", path,
                          check=0).stdout)
    assert js == {"name": "projects/PROJECT_ID/policy",
                  "globalPolicyEvaluationMode": "ENABLE",
                  "defaultAdmissionRule": {
                      "evaluationMode": "ALWAYS_ALLOW",
                      "enforcementMode": "ENFORCED_BLOCK_AND_AUDIT_LOG"}}
    # JSON in, YAML out: the same canonical bytes.
    jpath = write(tmp_path / "policy.json", json.dumps(js))
    assert vouch("policy", "format", "--format=yaml", jpath,
                 check=0).stdout == GCLOUD_DEFAULT


def test_policy_validate_reports_file_line_column(tmp_path):
    bad = GCLOUD_DEFAULT.replace("ALWAYS_ALLOW", "ALWAYS")
    path = write(tmp_path / "bad.yaml", bad)
    proc = vouch("policy", "validate", path, check=2)
    assert proc.stderr.startswith(f"vouch: {path}:3:"), proc.stderr
    assert "evaluationMode" in proc.stderr
    assert "ALWAYS_ALLOW" in proc.stderr  # says what is allowed
    unknown = GCLOUD_DEFAULT + "colour: blue\n"
    path = write(tmp_path / "unknown.yaml", unknown)
    proc = vouch("policy", "validate", path, check=2)
    assert f"{path}:6:1:" in proc.stderr and "colour" in proc.stderr


def test_policy_validate_many_files_reports_each(tmp_path):
    good = write(tmp_path / "good.yaml", GCLOUD_DEFAULT)
    bad = write(tmp_path / "bad.json", "{\"name\": }")
    proc = vouch("policy", "validate", good, bad, check=2)
    assert f"{good}: valid" in proc.stdout
    assert f"vouch: {bad}:1:" in proc.stderr


def test_missing_file_is_an_input_error(tmp_path):
    proc = vouch("policy", "validate", str(tmp_path / "nope.yaml"), check=2)
    assert "No such file" in proc.stderr


def test_create_signature_payload_is_gcloud_bytes():
    with open(os.path.join(DATA, "vectors", "payloads.json")) as f:
        vectors = json.load(f)
    n = 0
    for p in vectors["payloads"]:
        if p["format"] != "binauthz-gcloud":
            continue
        out = run(os.environ.get("VOUCH_CLI"), "attestations",
                  "create-signature-payload", "--artifact-url",
                  p["artifact_url"], check=0).stdout
        assert out.encode() == base64.b64decode(p["payload_b64"]), p["id"]
        n += 1
    assert n == 5
    for bad in vectors["invalid_artifact_urls"]:
        proc = vouch("attestations", "create-signature-payload",
                     "--artifact-url", bad["artifact_url"])
        assert proc.returncode == 2, bad["id"]
        assert proc.stderr.startswith("vouch: "), bad["id"]


@pytest.fixture
def walkthrough(tmp_path):
    """The README walkthrough: a P-256 key, an attestor, a policy."""
    priv = str(tmp_path / "key.pem")
    pub = str(tmp_path / "key.pub.pem")
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-out", priv)
    openssl("pkey", "-in", priv, "-pubout", "-out", pub)
    attestor = pkix_attestor(tmp_path, pub, "ECDSA_P256_SHA256")
    return tmp_path, priv, pub, attestor


def test_walkthrough_deny_then_allow(walkthrough):
    tmp, priv, pub, attestor = walkthrough
    policy = policy_require(tmp)
    # No attestation yet: denied, exit 1, and the reason says why.
    proc, d = evaluate(policy, [attestor], [], [IMAGE])
    assert proc.returncode == 1
    assert d["decision"] == "DENY"
    img = d["images"][0]
    assert img["image"] == IMAGE and img["verdict"] == "DENIED"
    assert img["attestors"][0]["name"] == ATTESTOR
    assert "no attestation" in img["attestors"][0]["reason"]
    assert NOTE in img["attestors"][0]["reason"]
    assert f"Container image '{IMAGE}' is not authorized by policy" \
        in proc.stderr
    # Sign with vouch, evaluate again: allowed.
    occ = vouch("attestations", "sign", "--artifact-url", IMAGE, "--note",
                NOTE, "--private-key", priv, check=0).stdout
    occ_path = write(tmp / "occ.json", occ)
    proc, d = evaluate(policy, [attestor], [occ_path], [IMAGE])
    assert proc.returncode == 0, proc.stderr
    assert d["decision"] == "ALLOW"
    assert d["images"][0]["attestors"][0]["satisfied"] is True
    # Text output for people.
    proc = vouch("evaluate", "--format", "text", "--policy", policy,
                 "--attestor", attestor, "--attestation", occ_path, IMAGE,
                 check=0)
    assert proc.stdout.startswith("decision: ALLOW\n")
    # YAML with the same fields as the JSON.
    proc = vouch("evaluate", "--format", "yaml", "--policy", policy,
                 "--attestor", attestor, "--attestation", occ_path, IMAGE,
                 check=0)
    assert not proc.stdout.lstrip().startswith("{")
    assert yaml.safe_load(proc.stdout) == d


def test_tag_only_image_cannot_satisfy_attestation(walkthrough):
    tmp, _, _, attestor = walkthrough
    policy = policy_require(tmp)
    proc, d = evaluate(policy, [attestor], [],
                       ["us-docker.pkg.dev/my-project/repo/app:1.0"])
    assert proc.returncode == 1
    assert "by tag" in d["images"][0]["reason"]


def test_dry_run_and_breakglass_allow_with_exit_0(walkthrough):
    tmp, _, _, attestor = walkthrough
    dry = policy_require(tmp, enforcement="DRYRUN_AUDIT_LOG_ONLY")
    proc, d = evaluate(dry, [attestor], [], [IMAGE])
    assert proc.returncode == 0 and d["decision"] == "ALLOW_DRYRUN"
    assert "Dry run" in proc.stderr
    enforced = policy_require(tmp)
    proc, d = evaluate(enforced, [attestor], [], [IMAGE], "--breakglass",
                       "INC-1234 hotfix")
    assert proc.returncode == 0 and d["decision"] == "ALLOW_BREAKGLASS"
    assert d["images"][0]["verdict"] == "DENIED"


def test_exempt_pattern_and_several_images(walkthrough):
    tmp, _, _, attestor = walkthrough
    policy = policy_require(
        tmp, patterns=["us-central1-docker.pkg.dev/my-project/"
                       "cloud-run-source-deploy/**"])
    exempt = ("us-central1-docker.pkg.dev/my-project/cloud-run-source-deploy"
              "/svc/app@" + DIGEST)
    proc, d = evaluate(policy, [attestor], [], [exempt])
    assert proc.returncode == 0 and d["images"][0]["verdict"] == "EXEMPT"
    # AND over images: one exempt, one not attested.
    proc, d = evaluate(policy, [attestor], [], [exempt, IMAGE])
    assert proc.returncode == 1
    assert [i["verdict"] for i in d["images"]] == ["EXEMPT", "DENIED"]


def test_bad_attestation_file_names_the_field(walkthrough):
    tmp, _, _, attestor = walkthrough
    policy = policy_require(tmp)
    bad = write(tmp / "bad.json", json.dumps({
        "noteName": NOTE, "resourceUri": IMAGE,
        "attestation": {"serializedPayload": "!!notbase64!!",
                        "signatures": [{"signature": "AA=="}]}}, indent=2))
    proc = vouch("evaluate", "--policy", policy, "--attestor", attestor,
                 "--attestation", bad, IMAGE, check=2)
    assert f"{bad}:" in proc.stderr
    assert "attestation.serializedPayload" in proc.stderr


def test_keys_id_rejects_garbage(tmp_path):
    path = write(tmp_path / "junk.pem", "not a key\n")
    proc = vouch("keys", "id", path, check=2)
    assert proc.stderr.startswith("vouch: ")


def help_of(*words):
    proc = vouch(*words, "--help", check=0)
    return proc.stdout


def section(text, title):
    """The lines of a --help section ("commands:", "flags:")."""
    lines = text.splitlines()
    if title not in lines:
        return []
    out = []
    for line in lines[lines.index(title) + 1:]:
        if not line.strip():
            break
        out.append(line)
    return out


def command_flags():
    """{(group, command words): [--flag, ...]} from every --help."""
    groups = [line.split()[0] for line in section(help_of(), "groups:")]
    found = {}
    todo = [[g] for g in groups]
    while todo:
        words = todo.pop()
        text = help_of(*words)
        commands = section(text, "commands:")
        if commands:
            todo += [words + [line.split()[0]] for line in commands]
            continue
        flags = [line.split()[0] for line in section(text, "flags:")
                 if line.startswith("  --")]
        found[tuple(words)] = flags
    return found


def man_page(name):
    root = os.environ.get("VOUCH_SOURCE_ROOT", ".")
    with open(os.path.join(root, "docs", "man", name)) as f:
        return f.read().replace("\\-", "-")


def test_every_flag_of_every_command_is_in_its_man_page():
    """--help comes from each command's flag table; the man page of the
    command's group (docs/man/vouch-GROUP.1) is the reference and must
    name every one of those flags, so the two cannot drift apart."""
    found = command_flags()
    assert ("run", "deploy") in found and ("evaluate",) in found
    assert "--image" in found[("run", "deploy")]
    missing = []
    for words, flags in sorted(found.items()):
        page = man_page(f"vouch-{words[0]}.1")
        for flag in flags:
            if not re.search(re.escape(flag) + r"(?![\w-])", page):
                missing.append(f"{flag} of 'vouch {' '.join(words)}' is not "
                               f"in docs/man/vouch-{words[0]}.1")
    assert missing == []
    # The global flags, which every command takes, are in vouch(1).
    page = man_page("vouch.1")
    text = help_of("attestors", "list")
    for line in section(text, "global flags (see 'vouch --help'):"):
        assert line.split()[0] in page, line


def test_every_flag_in_a_synopsis_exists():
    """And back: a flag a man page's SYNOPSIS shows is a flag of one of
    its group's commands (or a global one)."""
    found = command_flags()
    globals_ = {"--format", "--server", "--project", "--region", "--help",
                "--version"}
    for group in {words[0] for words in found}:
        page = man_page(f"vouch-{group}.1")
        synopsis = page.split(".SH SYNOPSIS", 1)[1].split(".SH ", 1)[0]
        known = set().union(*[set(f) for w, f in found.items()
                              if w[0] == group]) | globals_
        for flag in set(re.findall(r"--[a-z][a-z-]*", synopsis)):
            assert flag in known, f"vouch-{group}.1 shows {flag}"


def test_flag_parser_forms():
    """--flag value, --flag=value, repeated flags and '--' all parse the
    same way in every command, since one parser does it."""
    proc = vouch("evaluate", "--policy=/nonexistent", IMAGE, check=2)
    assert "/nonexistent" in proc.stderr
    proc = vouch("evaluate", "--policy", "/nonexistent", "--", "-x", check=2)
    assert "/nonexistent" in proc.stderr      # '-x' was taken as an IMAGE
    proc = vouch("keys", "id", "--format", check=2)
    assert proc.stderr == "vouch: --format needs a value\n"
    proc = vouch("keys", "id", check=2)
    assert proc.stderr == "vouch: FILE is required\n"
    proc = vouch("keys", "id", "a", "b", check=2)
    assert "unexpected argument 'b' for 'vouch keys id'" in proc.stderr
    proc = vouch("attestations", "sign", "--note", "n", check=2)
    assert proc.stderr == ("vouch: --artifact-url, --note and --private-key "
                           "are required\n")
    text = " ".join(help_of("evaluate").split())
    assert "usage: vouch evaluate IMAGE... [--policy FILE] [--attestor " \
        "FILE]..." in text
    assert "--attestor FILE an Attestor resource (YAML or JSON) " \
        "(repeatable)" in text
