"""The authorization matrix: every route of vouchd × {no token, a bad
token, an expired JWT, a JWT for another audience, roles/viewer, the
route's own predefined role, a role one permission short, an owner} → the
status it must answer, over TLS.

The table comes from vouchd itself (tests/authz/route_table.c prints the
route table and the roles vouchd enforces), so a route added without its
check, or with a permission the caller should not need, fails here:
"allowed" means anything but 401 and 403 (the resources named do not
exist, so an allowed caller mostly gets 404 or 400), "denied" exactly 403
PERMISSION_DENIED with Google's message, "unauthenticated" exactly 401
UNAUTHENTICATED with WWW-Authenticate: Bearer.
"""
import json
import os
import re
import subprocess
import time

import pytest

import authz

TABLE = json.loads(subprocess.run(
    [os.environ.get("VOUCH_ROUTE_TABLE", "build/tests/authz/route_table")],
    check=True, capture_output=True, text=True).stdout)
ROUTES = TABLE["routes"]
ROLES = {name: set(perms) for name, perms in TABLE["roles"].items()}


def own_role(permission):
    """The narrowest predefined role that grants `permission`."""
    return min((r for r, p in ROLES.items() if permission in p),
               key=lambda r: (len(ROLES[r]), r))


def short_role(permission):
    """The predefined role closest to the route's own role without
    `permission`: the most permissions in common, then the smallest."""
    own = ROLES[own_role(permission)]
    return max((r for r, p in ROLES.items() if permission not in p),
               key=lambda r: (len(ROLES[r] & own), -len(ROLES[r]), r))


def slug(role):
    return re.sub(r"[^a-z0-9]+", "-", role.replace("roles/", "").lower())


def needed_roles():
    roles = {"roles/viewer"}
    for r in ROUTES:
        if r["permission"] is not None:
            roles.add(own_role(r["permission"]))
            roles.add(short_role(r["permission"]))
    return sorted(roles)


RUN = "m%d" % (os.getpid() % 100000)


def member(role):
    return "user:%s@matrix.test" % slug(role)


def project_of(role):
    """Each role's caller holds it on a project of its own."""
    return "%s-%s" % (RUN, slug(role))[:60]


OWNER_PROJECT = RUN + "-owner"


@pytest.fixture(scope="module")
def auth(workdir, issuer):
    return authz.owner_config(os.path.join(workdir, "auth.json"),
                              users=[member(r) for r in needed_roles()],
                              issuer=issuer)


@pytest.fixture(scope="module")
def granted(server, auth):
    """Every role granted to its caller on its project, by the owner."""
    owner = auth.tokens["user:owner@example.com"]
    for role in needed_roles():
        r = server.call("POST", "/v1/projects/%s:setIamPolicy"
                        % project_of(role),
                        {"policy": {"bindings": [{"role": role, "members": [
                            member(role)]}]}}, token=owner)
        assert r.status == 200, r
    return True


@pytest.fixture(scope="module")
def callers(auth, issuer):
    """(name, token, role or None, project)."""
    now = int(time.time())
    expired = issuer.mint(issuer.claims(sub="late", exp=now - 3600,
                                        iat=now - 7200))
    other_aud = issuer.mint(issuer.claims(sub="elsewhere", aud="another"))
    anon = RUN + "-anon"
    return {
        "none": (None, None, anon),
        "bad": ("not-a-token-vouchd-knows", None, anon),
        "expired": (expired, None, anon),
        "wrong_audience": (other_aud, None, anon),
        "viewer": (auth.tokens[member("roles/viewer")], "roles/viewer",
                   project_of("roles/viewer")),
        "owner": (auth.tokens["user:owner@example.com"], "roles/owner",
                  OWNER_PROJECT),
    }


def fill(template, project):
    def one(m):
        name = m.group(1)
        return {"p": project, "l": "us-central1"}.get(name, "x1")
    return re.sub(r"\{(\w)\}", one, template)


def body_for(route, project, role, who):
    if route["method"] not in ("POST", "PUT", "PATCH"):
        return None
    if route["template"] == "/v2/entries:list":
        return {"resourceNames": ["projects/" + project]}
    if route["template"].endswith(":setIamPolicy") and role is not None:
        # The grant the caller already has: allowed callers change
        # nothing that later requests depend on.
        return {"policy": {"bindings": [{"role": role, "members": [who]}]}}
    return {}


def expect(route, caller, role):
    """'allowed', 'denied' or 'unauthenticated'."""
    if route["public"]:
        return "allowed"
    if caller in ("bad", "expired", "wrong_audience"):
        return "unauthenticated"
    if route["anyCaller"]:
        return "allowed"
    if caller == "none":
        return "unauthenticated"
    return "allowed" if route["permission"] in ROLES[role] else "denied"


def check(server, route, caller, token, role, project, who):
    path = fill(route["template"], project)
    r = server.call(route["method"], path, body_for(route, project, role,
                                                    who), token=token)
    want = expect(route, caller, role)
    what = "%s %s as %s (%s): %r" % (route["method"], path, caller, role, r)
    if want == "allowed":
        assert r.status not in (401, 403) and r.status < 500, what
    elif want == "unauthenticated":
        assert r.status == 401, what
        assert r.error()["status"] == "UNAUTHENTICATED", what
        assert r.headers.get("WWW-Authenticate", "").startswith(
            'Bearer realm="vouchd"'), what
    else:
        assert r.status == 403, what
        err = r.error()
        assert err["status"] == "PERMISSION_DENIED", what
        assert err["message"].startswith(
            "Permission '%s' denied on resource '" % route["permission"])
        assert err["message"].endswith("' (or it may not exist)."), what


def route_id(route):
    return route["method"] + " " + route["template"]


def test_matrix_every_route_maps_to_one_known_permission():
    """Exactly one permission per route, one vouchd knows, or an explicit
    reason for none (the probes, whoami, testIamPermissions)."""
    known = set().union(*ROLES.values())
    open_routes = []
    for r in ROUTES:
        if r["permission"] is None:
            assert r["public"] or r["anyCaller"], route_id(r)
            open_routes.append(route_id(r))
        else:
            assert r["permission"] in known, route_id(r)
            assert not (r["public"] or r["anyCaller"]), route_id(r)
    assert "GET /healthz" in open_routes and "GET /readyz" in open_routes
    assert "GET /v1/vouch:whoami" in open_routes
    assert all(":testIamPermissions" in r or r in (
        "GET /healthz", "GET /readyz", "GET /v1/vouch:whoami")
        for r in open_routes), open_routes


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_matrix(route, server, granted, callers, auth):
    for caller, (token, role, project) in callers.items():
        who = None
        if role == "roles/viewer":
            who = member(role)
        check(server, route, caller, token, role, project, who)
    if route["permission"] is None:
        return
    for role in (own_role(route["permission"]),
                 short_role(route["permission"])):
        caller = "own" if route["permission"] in ROLES[role] else "short"
        check(server, route, caller, auth.tokens[member(role)], role,
              project_of(role), member(role))
