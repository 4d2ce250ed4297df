"""The `vouch` CLI against vouchd over TLS with an auth config:
`auth tokens create` makes a token vouchd accepts once its entry is in the
config, --access-token-file (or VOUCH_ACCESS_TOKEN) sends it, --cacert
(or VOUCH_CACERT) trusts the test CA, and `auth whoami` prints vouchd's
view of the caller (docs/cli-online.md, vouch-auth(1))."""
import json
import os
import stat
import subprocess

import pytest

import authz

VOUCH = os.environ.get("VOUCH_CLI", "build/src/cli/vouch")


def vouch(*args, env=None):
    full = {k: v for k, v in os.environ.items()
            if not k.startswith("VOUCH_") or k == "VOUCH_CLI"}
    full.update(env or {})
    return subprocess.run([VOUCH] + list(args), capture_output=True,
                          text=True, env=full, timeout=60)


@pytest.fixture(scope="module")
def made(workdir, server, auth):
    """A token made by the CLI, its entry added to the config, reloaded."""
    path = os.path.join(workdir, "cli-token")
    out = vouch("--format", "json", "auth", "tokens", "create",
                "--principal", "serviceAccount:CI@Example.com",
                "--token-file", path)
    assert out.returncode == 0, out.stderr
    entry = json.loads(out.stdout)["entry"]
    assert "token" not in json.loads(out.stdout)
    assert entry["principal"] == "serviceAccount:ci@example.com"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as f:
        token = f.read().strip()
    assert len(token) == 43 and authz.sha256_hex(token) == entry["sha256"]
    auth.tokens[entry["principal"]] = token
    auth.write()
    server.reload()
    return path, token


def test_cli_whoami_with_token_file_and_cacert(server, pki, made):
    path, token = made
    out = vouch("--server", server.url, "--cacert", pki.ca,
                "--access-token-file", path, "--format", "json", "auth",
                "whoami")
    assert out.returncode == 0, out.stderr
    me = json.loads(out.stdout)
    assert me["principal"] == "serviceAccount:ci@example.com"
    assert me["principalEmail"] == "ci@example.com"
    assert me["authenticationMethod"] == "STATIC_TOKEN"
    # The environment's spellings, and YAML by default.
    out = vouch("auth", "whoami", env={"VOUCH_SERVER": server.url,
                                       "VOUCH_CACERT": pki.ca,
                                       "VOUCH_ACCESS_TOKEN": token})
    assert out.returncode == 0, out.stderr
    assert 'principal: "serviceAccount:ci@example.com"' in out.stdout


def test_cli_refusals_never_show_the_token(server, pki, made, workdir):
    path, token = made
    bad = os.path.join(workdir, "bad-token")
    with open(bad, "w") as f:
        f.write("wrong-" + token + "\n")
    out = vouch("--server", server.url, "--cacert", pki.ca,
                "--access-token-file", bad, "--project", "p", "attestors",
                "list")
    assert out.returncode == 2
    assert "invalid authentication credentials" in out.stderr
    assert token not in out.stderr + out.stdout
    # Without --cacert the server's certificate is not trusted.
    out = vouch("--server", server.url, "--access-token-file", path,
                "auth", "whoami")
    assert out.returncode == 2
    assert "cannot reach vouchd" in out.stderr
    # A token file the flag wins over VOUCH_ACCESS_TOKEN.
    out = vouch("--server", server.url, "--cacert", pki.ca,
                "--access-token-file", path, "auth", "whoami",
                env={"VOUCH_ACCESS_TOKEN": "something-else"})
    assert out.returncode == 0, out.stderr


def test_cli_token_file_and_cacert_mistakes(workdir):
    two = os.path.join(workdir, "two-words")
    with open(two, "w") as f:
        f.write("abc def\n")
    out = vouch("--access-token-file", two, "auth", "whoami")
    assert out.returncode == 2
    assert "one word of printable ASCII" in out.stderr
    assert "abc" not in out.stderr
    empty = os.path.join(workdir, "empty-token")
    open(empty, "w").close()
    out = vouch("--access-token-file", empty, "auth", "whoami")
    assert out.returncode == 2 and "holds no token" in out.stderr
    out = vouch("--cacert", os.path.join(workdir, "no-such-ca.pem"), "auth",
                "whoami")
    assert out.returncode == 2 and "--cacert" in out.stderr
    assert "No such file" in out.stderr


def test_cli_tokens_create_prints_once_and_checks_the_principal():
    out = vouch("auth", "tokens", "create", "--principal",
                "user:Dev@Example.com")
    assert out.returncode == 0, out.stderr
    token, entry = out.stdout.splitlines()
    assert json.loads(entry) == {"principal": "user:dev@example.com",
                                 "sha256": authz.sha256_hex(token)}
    assert "shown once" in out.stderr
    again = vouch("auth", "tokens", "create", "--principal",
                  "user:Dev@Example.com")
    assert again.stdout.splitlines()[0] != token
    out = vouch("auth", "tokens", "create", "--principal", "group:x@y.z")
    assert out.returncode == 2
    assert "--principal: group:EMAIL is not allowed here" in out.stderr
    out = vouch("auth", "tokens", "create")
    assert out.returncode == 2 and "--principal" in out.stderr
