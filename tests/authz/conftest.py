"""Fixtures of the authentication, IAM and TLS suite: one test CA, one
OIDC issuer and one vouchd over TLS with an auth config per module
(SQLite), and a private PostgreSQL cluster for the replica test
(tests/store/pg_harness.sh)."""
import os
import subprocess
import uuid

import pytest

import authz


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("authz"))


@pytest.fixture(scope="module")
def pki(workdir):
    return authz.Pki(os.path.join(workdir, "pki"))


@pytest.fixture(scope="module")
def issuer(workdir):
    return authz.Issuer(os.path.join(workdir, "issuer"))


@pytest.fixture(scope="module")
def auth(workdir, issuer):
    """An auth config with an owner, and the test issuer trusted."""
    cfg = authz.AuthConfig(os.path.join(workdir, "auth.json"))
    cfg.token("user:owner@example.com")
    cfg.owners.append("user:owner@example.com")
    cfg.oidc.append(issuer.config())
    return cfg


@pytest.fixture(scope="module")
def server(workdir, pki, auth):
    d = authz.SecureDaemon("sqlite:" + os.path.join(workdir, "v.db"),
                           workdir, pki=pki, auth=auth).start()
    yield d
    code = d.stop()
    assert code == 0, d.stderr_text()


@pytest.fixture
def project():
    return "p-" + uuid.uuid4().hex[:12]


@pytest.fixture(scope="session")
def pg_url():
    """A private PostgreSQL cluster for the session."""
    if os.environ.get("VOUCH_TEST_PG_URL"):
        yield os.environ["VOUCH_TEST_PG_URL"]
        return
    harness = os.path.join(authz.TESTS, "store", "pg_harness.sh")
    out = subprocess.run(["sh", harness, "start"], capture_output=True,
                         text=True, timeout=300)
    if out.returncode != 0:
        pytest.fail("cannot start PostgreSQL with %s: %s"
                    % (harness, out.stderr))
    url, directory = out.stdout.strip().splitlines()[:2]
    yield url
    subprocess.run(["sh", harness, "stop", directory], capture_output=True,
                   timeout=120)
