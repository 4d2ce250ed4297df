"""The documentation says what vouchd enforces: docs/api.md lists every
route with the permission it checks, and docs/security.md every role with
its permissions, both equal to the tables vouchd is built from
(tests/authz/route_table.c prints them)."""
import os
import re

import pytest

from test_matrix import ROLES, ROUTES

ROOT = os.environ.get("VOUCH_SOURCE_ROOT",
                      os.path.dirname(os.path.dirname(os.path.dirname(
                          os.path.abspath(__file__)))))


def doc(name):
    with open(os.path.join(ROOT, "docs", name)) as f:
        return f.read()


def test_docs_api_lists_every_route_with_its_permission():
    rows = re.findall(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \| "
                      r"([^|]+) \|", doc("api.md"), re.M)
    listed = {(m, t.replace("\\|", "|")): p.strip() for m, t, p in rows}
    want = {}
    for r in ROUTES:
        if r["permission"] is not None:
            perm = "`%s`" % r["permission"]
        else:
            perm = "none: no authentication" if r["public"] else "none"
        want[(r["method"], r["template"])] = perm
    assert listed == want


def grouped(perms, sep):
    """`a.b.{c,d}` groups, in order, as the roles list writes them."""
    groups = {}
    for p in perms:
        prefix, verb = p.rsplit(".", 1)
        groups.setdefault(prefix, []).append(verb)
    return ["`%s.%s`" % (k, v[0]) if len(v) == 1
            else "`%s.{%s}`" % (k, sep.join(v)) for k, v in groups.items()]


def test_docs_security_lists_every_role_with_its_permissions():
    text = doc("security.md")
    for role, perms in ROLES.items():
        line = re.search(r"^- `%s` \([^)]*\): (.*)$" % re.escape(role),
                         text, re.M)
        assert line, role
        assert line.group(1) == "; ".join(grouped(sorted(perms), ",")), role
    every = sorted(set().union(*ROLES.values()))
    section = text.split("Every permission vouchd knows:", 1)[1]
    section = section.split("###", 1)[0]
    listed = re.findall(r"^- (`.*`)$", section, re.M)
    assert listed == grouped(every, ", ")


@pytest.mark.parametrize("page", ["vouchd.8"])
def test_docs_man_page_names_the_security_flags(page):
    with open(os.path.join(ROOT, "docs", "man", page)) as f:
        text = f.read().replace("\\-", "-")
    for flag in ("--auth-config", "--tls-cert", "--tls-key", "--rate-limit",
                 "--metrics-listen", "SIGHUP"):
        assert flag in text, flag
