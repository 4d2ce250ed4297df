"""GET/PUT /v1/projects/{p}/policy and GET /v1/locations/{l}/policy."""
import os

from conftest import (Daemon, create_attestor, create_note, data_file,
                      policy_body)


def test_policy_get_never_written_is_the_default(server, project):
    r = server.get("/v1/projects/%s/policy" % project)
    assert r.status == 200
    assert r.json() == {
        "name": "projects/%s/policy" % project,
        "globalPolicyEvaluationMode": "ENABLE",
        "defaultAdmissionRule": {
            "evaluationMode": "ALWAYS_ALLOW",
            "enforcementMode": "ENFORCED_BLOCK_AND_AUDIT_LOG"}}


def test_policy_put_then_get_returns_it_with_output_fields(server, project):
    body = policy_body(mode="ALWAYS_DENY", patterns=["gcr.io/x/**"])
    body["name"] = "projects/someone-else/policy"
    r = server.request("PUT", "/v1/projects/%s/policy" % project, body)
    assert r.status == 200, r
    put = r.json()
    assert put["name"] == "projects/%s/policy" % project
    assert put["defaultAdmissionRule"]["evaluationMode"] == "ALWAYS_DENY"
    assert put["admissionWhitelistPatterns"] == [{"namePattern":
                                                  "gcr.io/x/**"}]
    assert put["etag"] and put["updateTime"].endswith("Z")
    got = server.get("/v1/projects/%s/policy" % project).json()
    assert got == put


def test_policy_every_write_has_a_new_etag_and_update_time(server, project):
    path = "/v1/projects/%s/policy" % project
    first = server.request("PUT", path, policy_body()).json()
    second = server.request("PUT", path, policy_body()).json()
    assert first["etag"] != second["etag"]
    assert second["updateTime"] > first["updateTime"]


def test_policy_put_with_current_etag_succeeds(server, project):
    path = "/v1/projects/%s/policy" % project
    first = server.request("PUT", path, policy_body()).json()
    r = server.request("PUT", path, policy_body(mode="ALWAYS_DENY",
                                                etag=first["etag"]))
    assert r.status == 200, r
    assert r.json()["defaultAdmissionRule"]["evaluationMode"] == \
        "ALWAYS_DENY"


def test_policy_put_with_stale_etag_is_aborted_and_changes_nothing(
        server, project):
    path = "/v1/projects/%s/policy" % project
    first = server.request("PUT", path, policy_body()).json()
    second = server.request("PUT", path, policy_body()).json()
    r = server.request("PUT", path, policy_body(mode="ALWAYS_DENY",
                                                etag=first["etag"]))
    assert r.status == 409
    err = r.error()
    assert err["status"] == "ABORTED"
    assert "etag" in err["message"]
    assert server.get(path).json() == second


def test_policy_put_with_etag_when_never_written_is_aborted(server,
                                                            project):
    path = "/v1/projects/%s/policy" % project
    r = server.request("PUT", path, policy_body(etag="abc"))
    assert r.status == 409
    assert r.error()["status"] == "ABORTED"
    assert "etag" not in server.get(path).json()


def test_policy_bad_json_names_line_and_column(server, project):
    r = server.request("PUT", "/v1/projects/%s/policy" % project,
                       '{\n  "defaultAdmissionRule": {,\n}')
    assert r.status == 400
    err = r.error()
    assert err["status"] == "INVALID_ARGUMENT"
    assert "request body:2:" in err["message"], err


def test_policy_invalid_field_names_path_and_position(server, project):
    body = ('{\n  "defaultAdmissionRule": {\n'
            '    "evaluationMode": "SOMETIMES",\n'
            '    "enforcementMode": "ENFORCED_BLOCK_AND_AUDIT_LOG"\n  }\n}')
    r = server.request("PUT", "/v1/projects/%s/policy" % project, body)
    assert r.status == 400
    msg = r.error()["message"]
    assert "evaluationMode" in msg
    assert "request body:3:" in msg, msg


def test_policy_empty_body_is_invalid_argument(server, project):
    r = server.request("PUT", "/v1/projects/%s/policy" % project, b"")
    assert r.status == 400
    assert r.error()["status"] == "INVALID_ARGUMENT"


def test_policy_unknown_attestors_are_named(server, project):
    note = create_note(server, project)
    create_attestor(server, project, "exists", note)
    names = ["projects/%s/attestors/%s" % (project, a)
             for a in ("missing1", "exists", "missing2")]
    r = server.request("PUT", "/v1/projects/%s/policy" % project,
                       policy_body(attestors=names))
    assert r.status == 400
    err = r.error()
    assert err["status"] == "INVALID_ARGUMENT"
    assert names[0] in err["message"] and names[2] in err["message"]
    assert "/exists" not in err["message"]
    assert "etag" not in server.get("/v1/projects/%s/policy"
                                    % project).json()


def test_policy_with_existing_attestor_is_accepted(server, project):
    note = create_note(server, project)
    create_attestor(server, project, "a", note)
    name = "projects/%s/attestors/a" % project
    r = server.request("PUT", "/v1/projects/%s/policy" % project,
                       policy_body(attestors=[name]))
    assert r.status == 200, r
    assert r.json()["defaultAdmissionRule"]["requireAttestationsBy"] == \
        [name]


def test_policy_system_policy_is_built_in(server):
    r = server.get("/v1/locations/global/policy")
    assert r.status == 200
    doc = r.json()
    assert doc["name"] == "locations/global/policy"
    patterns = [p["namePattern"] for p in doc["admissionWhitelistPatterns"]]
    assert "gcr.io/gke-release/**" in patterns


def test_policy_system_policy_of_other_location_is_not_found(server):
    r = server.get("/v1/locations/us-central1/policy")
    assert r.status == 404
    assert "locations/global/policy" in r.error()["message"]


def test_policy_system_policy_from_file(store_url, workdir):
    path = os.path.join(workdir, "system.yaml")
    with open(path, "w") as f:
        f.write("admissionWhitelistPatterns:\n"
                "- namePattern: example.com/system/**\n"
                "defaultAdmissionRule:\n"
                "  evaluationMode: ALWAYS_ALLOW\n"
                "  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n")
    d = Daemon(store_url, workdir, ["--system-policy", path]).start()
    try:
        doc = d.get("/v1/locations/global/policy").json()
    finally:
        assert d.stop() == 0
    assert doc["name"] == "locations/global/policy"
    assert doc["admissionWhitelistPatterns"] == [
        {"namePattern": "example.com/system/**"}]


def test_policy_bad_system_policy_file_stops_start_up(store_url, workdir):
    import subprocess
    from conftest import vouchd_path
    path = os.path.join(workdir, "bad-system.yaml")
    with open(path, "w") as f:
        f.write("defaultAdmissionRule:\n  evaluationMode: NOPE\n")
    out = subprocess.run([vouchd_path(), "--listen", "127.0.0.1:0",
                          "--store", store_url, "--system-policy", path],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "bad-system.yaml:2:" in out.stderr
    assert "evaluationMode" in out.stderr


def test_policy_gcloud_export_yaml_body_is_rejected_as_json(server,
                                                            project):
    body = data_file("core", "attestor-a.json")  # any non-policy JSON
    r = server.request("PUT", "/v1/projects/%s/policy" % project, body)
    assert r.status == 400
    assert r.error()["status"] == "INVALID_ARGUMENT"


def test_policy_unknown_attestors_in_gke_rules_are_named(server, project):
    note = create_note(server, project)
    create_attestor(server, project, "exists", note)
    exists = "projects/%s/attestors/exists" % project
    gone = "projects/%s/attestors/gone" % project
    body = policy_body(attestors=[exists])
    body["clusterAdmissionRules"] = {
        "us-east1-a.prod": {
            "evaluationMode": "REQUIRE_ATTESTATION",
            "enforcementMode": "ENFORCED_BLOCK_AND_AUDIT_LOG",
            "requireAttestationsBy": [exists, gone]}}
    path = "/v1/projects/%s/policy" % project
    r = server.request("PUT", path, body)
    assert r.status == 400
    msg = r.error()["message"]
    assert ('clusterAdmissionRules["us-east1-a.prod"]'
            '.requireAttestationsBy[1] ' + gone) in msg, msg
    assert "etag" not in server.get(path).json()
    # With the attestor created, the same policy is stored.
    create_attestor(server, project, "gone", note)
    assert server.request("PUT", path, body).status == 200
    # ...and the attestor only a GKE rule requires cannot be deleted.
    r = server.request("DELETE", "/v1/" + gone)
    assert r.status == 400
    assert r.error()["status"] == "FAILED_PRECONDITION"
    assert path[len("/v1/"):] in r.error()["message"]
