"""Fixtures of the authentication, IAM and TLS suite: one test CA, one
OIDC issuer and one vouchd over TLS with an auth config per module
(SQLite), and a private PostgreSQL cluster for the replica test
(tests/store/pg_harness.sh)."""
import os
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
    return authz.owner_config(os.path.join(workdir, "auth.json"),
                              issuer=issuer)


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


# The private PostgreSQL cluster of the API suite, for this session.
pg_url = authz.api.pg_url
