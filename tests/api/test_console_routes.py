"""What the web console needs from vouchd, on both stores: PUT .../policy
?validateOnly=true (validate, store nothing), GET /v1/projects (Resource
Manager v1), GET /v1/projects/{p}/locations (Cloud Run v1), and the
console's own files with their security headers. The pages themselves are
tested in a browser by tests/console."""
import re

from conftest import create_attestor, create_note, policy_body

DIGEST = "sha256:" + "ab" * 32


def entries(server, project):
    r = server.request("POST", "/v2/entries:list",
                       {"resourceNames": ["projects/%s" % project]})
    assert r.status == 200, r
    return r.json().get("entries", [])


def test_validate_only_stores_nothing_and_answers_the_policy(server, project):
    path = "/v1/projects/%s/policy" % project
    r = server.request("PUT", path + "?validateOnly=true",
                       policy_body(mode="ALWAYS_DENY", patterns=["gcr.io/a/*"]))
    assert r.status == 200, r
    got = r.json()
    assert got["name"] == "projects/%s/policy" % project
    assert got["defaultAdmissionRule"]["evaluationMode"] == "ALWAYS_DENY"
    assert "etag" not in got and "updateTime" not in got
    assert "etag" not in server.get(path).json()
    assert entries(server, project) == []


def test_validate_only_keeps_the_stored_version(server, project):
    path = "/v1/projects/%s/policy" % project
    stored = server.request("PUT", path, policy_body()).json()
    r = server.request("PUT", path + "?validateOnly=true",
                       policy_body(mode="ALWAYS_DENY", etag=stored["etag"]))
    assert r.status == 200, r
    assert r.json()["etag"] == stored["etag"]
    assert r.json()["updateTime"] == stored["updateTime"]
    assert r.json()["defaultAdmissionRule"]["evaluationMode"] == "ALWAYS_DENY"
    assert server.get(path).json() == stored
    assert len(entries(server, project)) == 1   # the real PUT only


def test_validate_only_reports_errors_and_stale_etags(server, project):
    path = "/v1/projects/%s/policy" % project
    first = server.request("PUT", path, policy_body()).json()
    server.request("PUT", path, policy_body())
    r = server.request("PUT", path + "?validateOnly=true",
                       policy_body(etag=first["etag"]))
    assert r.status == 409
    assert r.error()["status"] == "ABORTED"
    bad = policy_body()
    bad["defaultAdmissionRule"]["evaluationMode"] = "SOMETIMES"
    r = server.request("PUT", path + "?validateOnly=true", bad)
    assert r.status == 400
    assert "defaultAdmissionRule.evaluationMode" in r.error()["message"]
    r = server.request("PUT", path + "?validateOnly=true",
                       policy_body(attestors=["projects/%s/attestors/none"
                                              % project]))
    assert r.status == 400
    assert "defaultAdmissionRule.requireAttestationsBy[0]" in \
        r.error()["message"]


def test_validate_only_takes_true_or_false(server, project):
    path = "/v1/projects/%s/policy" % project
    r = server.request("PUT", path + "?validateOnly=yes", policy_body())
    assert r.status == 400
    assert r.error()["message"].startswith("validateOnly: 'yes'")
    r = server.request("PUT", path + "?validateOnly=false", policy_body())
    assert r.status == 200
    assert server.get(path).json()["etag"] == r.json()["etag"]


def test_projects_lists_every_project_that_holds_something(server, project):
    other = project + "-b"
    create_note(server, other)
    create_attestor(server, other, "a", "projects/%s/notes/note-a" % other)
    server.request("PUT", "/v1/projects/%s/policy" % project, policy_body())
    r = server.get("/v1/projects")
    assert r.status == 200, r
    listed = r.json()["projects"]
    ids = [p["projectId"] for p in listed]
    assert ids == sorted(set(ids))
    assert project in ids and other in ids
    assert {"projectId": other, "name": other,
            "lifecycleState": "ACTIVE"} in listed


def test_projects_refuses_filters_and_foreign_page_tokens(server):
    assert server.get("/v1/projects?filter=name:x").status == 400
    assert server.get("/v1/projects?pageToken=abc").status == 400
    assert server.get("/v1/projects?pageSize=5").status == 200


def test_locations_are_those_of_services_and_jobs(server, project):
    path = "/v1/projects/%s/locations" % project
    assert server.get(path).json() == {}
    for loc in ("europe-west1", "asia-east1"):
        r = server.request(
            "POST", "/v2/projects/%s/locations/%s/jobs?jobId=j" % (project, loc),
            {"template": {"template": {"containers": [
                {"image": "gcr.io/x/app@" + DIGEST}]}}})
        assert r.status == 200, r
    assert server.get(path).json() == {"locations": [
        {"name": "projects/%s/locations/asia-east1" % project,
         "locationId": "asia-east1"},
        {"name": "projects/%s/locations/europe-west1" % project,
         "locationId": "europe-west1"}]}


def test_console_is_served_with_its_security_headers(server):
    r = server.get("/")
    assert r.status == 302 and r.headers["Location"] == "/console/"
    r = server.get("/console")
    assert r.status == 301 and r.headers["Location"] == "/console/"
    r = server.get("/console/")
    assert r.status == 200
    assert r.headers["Content-Type"].startswith("text/html")
    csp = r.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([A-Za-z0-9+/=]{24})'", csp).group(1)
    assert ('content="%s"' % nonce).encode() in r.body
    assert b"__VOUCH_CSP_NONCE__" not in r.body
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert server.request("HEAD", "/console/app.js").status == 200
    r = server.get("/console/app.css")
    assert r.headers["Content-Type"].startswith("text/css")
    r = server.get("/console/../etc/passwd")
    assert r.status == 404 and "Content-Security-Policy" in r.headers
    r = server.request("DELETE", "/console/")
    assert r.status == 405 and r.headers["Allow"] == "GET, HEAD"
