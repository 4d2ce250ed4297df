"""OIDC tokens end to end: what vouchd accepts from a trusted issuer and
every forgery and mistake it refuses with 401 (docs/security.md "OIDC
tokens"), with the reason in the server log and never the token."""
import os
import subprocess
import time

import pytest

import authz

WHOAMI = "/v1/vouch:whoami"


def whoami(server, token):
    return server.call("GET", WHOAMI, token=token)


def refused(server, token, reason):
    """401 with the challenge, and `reason` (never the token) logged."""
    before = server.stderr_text()
    r = whoami(server, token)
    assert r.status == 401, r
    assert r.error()["status"] == "UNAUTHENTICATED"
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        log = server.stderr_text()[len(before):]
        if "refused" in log:
            break
        time.sleep(0.05)
    assert ": %s:" % reason in log, log
    # Never the token, nor its signature.
    assert token not in server.stderr_text()
    if token.count(".") == 2 and len(token.split(".")[2]) > 8:
        assert token.split(".")[2] not in server.stderr_text()
    return log


@pytest.mark.parametrize("key,alg", [("rsa1", "RS256"), ("ec1", "ES256"),
                                     ("ed1", "EdDSA")])
def test_jwt_each_algorithm_authenticates(server, issuer, key, alg):
    token = issuer.mint(issuer.claims(sub="repo:acme/app"), key=key,
                        alg=alg)
    me = whoami(server, token).json()
    assert me["authenticationMethod"] == "OIDC"
    assert me["principal"] == "principal://ci.example.com/subject/repo:acme/app"
    assert me["principalSubject"] == me["principal"]
    assert me["issuer"] == "https://ci.example.com"


def test_jwt_verified_email_is_a_service_account(server, issuer):
    token = issuer.mint(issuer.claims(email="Deployer@Example.com",
                                      email_verified=True))
    me = whoami(server, token).json()
    assert me["principal"] == "serviceAccount:deployer@example.com"
    assert me["principalEmail"] == "deployer@example.com"
    # Unverified: the subject, not the address.
    token = issuer.mint(issuer.claims(sub="s1", email="x@example.com",
                                      email_verified=False))
    assert whoami(server, token).json()["principal"].startswith(
        "principal://")


def test_jwt_audience_list_of_kubernetes(server, issuer):
    token = issuer.mint(issuer.claims(aud=["https://kubernetes.default",
                                           "vouch"]))
    assert whoami(server, token).status == 200
    token = issuer.mint(issuer.claims(aud=["https://kubernetes.default"]))
    refused(server, token, "WRONG_AUDIENCE")


def test_jwt_alg_none_is_refused(server, issuer):
    refused(server, issuer.mint(issuer.claims(), alg="none"),
            "BAD_ALGORITHM")


def test_jwt_hs256_with_the_public_key_as_secret_is_refused(server,
                                                            issuer):
    for key in ("rsa1", "ec1"):
        refused(server, issuer.mint(issuer.claims(), key=key,
                                    alg="HS256-pubkey"), "BAD_ALGORITHM")


def test_jwt_unknown_kid_is_refused(server, issuer):
    refused(server, issuer.mint(issuer.claims(), header={"kid": "nope"}),
            "UNKNOWN_KEY")


def test_jwt_signed_by_another_key_is_refused(server, issuer, workdir):
    # Same kid, another key: the signature does not verify.
    other = authz.Issuer(os.path.join(workdir, "other-keys"))
    refused(server, other.mint(issuer.claims()), "BAD_SIGNATURE")


def test_jwt_of_another_issuer_is_refused(server, issuer):
    refused(server, issuer.mint(issuer.claims(
        iss="https://evil.example.com")), "UNKNOWN_ISSUER")


def test_jwt_clock_skew_within_and_past_the_leeway(server, issuer):
    now = int(time.time())
    # Expired 30 s ago, or valid from 30 s from now: inside 60 s leeway.
    assert whoami(server, issuer.mint(issuer.claims(exp=now - 30))) \
        .status == 200
    assert whoami(server, issuer.mint(issuer.claims(nbf=now + 30))) \
        .status == 200
    refused(server, issuer.mint(issuer.claims(exp=now - 120)), "EXPIRED")
    refused(server, issuer.mint(issuer.claims(nbf=now + 120)),
            "NOT_YET_VALID")
    refused(server, issuer.mint(issuer.claims(exp=None)), "BAD_CLAIMS")


def test_jwt_malformed_header_and_scheme(server):
    r = server.call("GET", WHOAMI, headers={"Authorization": "Basic eDp5"})
    assert r.status == 401
    r = server.call("GET", WHOAMI, token="a.b.c")
    assert r.status == 401


def test_jwks_over_plain_http_is_refused_at_load(workdir, pki, issuer):
    """An issuer whose keys would come over plain http: vouchd refuses the
    config, naming the field and its position."""
    cfg = authz.AuthConfig(os.path.join(workdir, "http-jwks.json"))
    cfg.owners.append("user:owner@example.com")
    cfg.token("user:owner@example.com")
    cfg.oidc.append(issuer.config(jwks="http://127.0.0.1:9/jwks"))
    path = cfg.write()
    proc = subprocess.run(
        [authz.api.vouchd_path(), "--listen", "127.0.0.1:0", "--store",
         "sqlite:" + os.path.join(workdir, "never.db"), "--auth-config",
         path], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert path + ":" in proc.stderr
    assert "oidc[0].jwks" in proc.stderr
    assert "http" in proc.stderr


def test_jwks_from_https_with_a_private_ca(workdir, pki, issuer):
    """The issuer's JWKS served over https by a server whose certificate
    the test CA issued: vouchd fetches it with the config's "ca"."""
    import http.server
    import ssl
    import threading

    www = os.path.join(workdir, "jwks-www")
    os.makedirs(www, exist_ok=True)
    with open(issuer.jwks_path) as f, \
            open(os.path.join(www, "jwks"), "w") as out:
        out.write(f.read())

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=www, **kw)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    cert, key = pki.issue()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        cfg = authz.AuthConfig(os.path.join(workdir, "https-jwks.json"))
        cfg.token("user:owner@example.com")
        cfg.owners.append("user:owner@example.com")
        cfg.oidc.append(issuer.config(jwks={
            "url": "https://127.0.0.1:%d/jwks" % httpd.server_address[1],
            "ca": pki.ca}))
        d = authz.SecureDaemon(
            "sqlite:" + os.path.join(workdir, "https-jwks.db"), workdir,
            pki=pki, auth=cfg).start()
        try:
            token = issuer.mint(issuer.claims(sub="fetched"))
            assert whoami(d, token).json()["principal"].endswith(
                "/subject/fetched")
        finally:
            assert d.stop() == 0
    finally:
        httpd.shutdown()
        httpd.server_close()
