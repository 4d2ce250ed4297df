"""Binary Authorization's older versions, v1beta1 and v1alpha2 (gcloud's
beta and alpha tracks; docs/api.md "The older versions"): the same
policy and attestors, an attestor's note named userOwnedDrydockNote."""
import pytest

from conftest import attestor_body, create_note, policy_body

OLD = ("v1beta1", "v1alpha2")


def old_body(note, pem_file=None, description=None):
    body = attestor_body(note, pem_file, description)
    body["userOwnedDrydockNote"] = body.pop("userOwnedGrafeasNote")
    return body


@pytest.mark.parametrize("version", OLD)
def test_an_attestor_written_in_an_old_version_reads_in_every_version(
        server, project, version):
    note = create_note(server, project)
    base = "/%s/projects/%s/attestors" % (version, project)
    r = server.request("POST", base + "?attestorId=a1",
                       old_body(note, "p256-a.pub.pem", "first"))
    assert r.status == 200, r
    old = r.json()
    assert "userOwnedGrafeasNote" not in old
    assert old["userOwnedDrydockNote"]["noteReference"] == note
    assert len(old["userOwnedDrydockNote"]["publicKeys"]) == 1

    v1 = server.get("/v1/projects/%s/attestors/a1" % project).json()
    assert v1["userOwnedGrafeasNote"] == old["userOwnedDrydockNote"]
    assert "userOwnedDrydockNote" not in v1
    for other in OLD:
        got = server.get("/%s/projects/%s/attestors/a1"
                         % (other, project)).json()
        assert got == old
        listed = server.get("/%s/projects/%s/attestors"
                            % (other, project)).json()
        assert listed == {"attestors": [old]}

    # An update in the old shape, as gcloud beta's public-keys add sends.
    r = server.request("PUT", base + "/a1",
                       old_body(note, "p256-b.pub.pem", "second"))
    assert r.status == 200, r
    assert r.json()["description"] == "second"
    assert "userOwnedDrydockNote" in r.json()
    r = server.request("DELETE", base + "/a1")
    assert r.status == 200 and r.json() == {}
    assert server.request("GET", "/v1/projects/%s/attestors/a1"
                          % project).status == 404


def test_old_versions_name_the_field_the_request_named(server, project):
    base = "/v1beta1/projects/%s/attestors?attestorId=a1" % project
    missing = "projects/%s/notes/never" % project
    r = server.request("POST", base, old_body(missing))
    assert r.status == 400
    assert r.error()["message"].startswith(
        "userOwnedDrydockNote.noteReference: note %s does not exist"
        % missing), r.error()
    # v1's name is read there too, and its messages keep it.
    r = server.request("POST", base, attestor_body(missing))
    assert r.status == 400
    assert r.error()["message"].startswith(
        "userOwnedGrafeasNote.noteReference:"), r.error()
    # libvouch's own messages name the field and where it stands.
    note = create_note(server, project)
    body = old_body(note)
    body["userOwnedDrydockNote"]["publicKeys"] = [{"id": "x"}]
    r = server.request("POST", base, body)
    assert r.status == 400
    assert "userOwnedDrydockNote.publicKeys[0]" in r.error()["message"]
    assert server.get("/v1/projects/%s/attestors" % project).json() == {}


@pytest.mark.parametrize("version", OLD)
def test_the_policy_is_the_same_in_every_version(server, project, version):
    r = server.request("PUT", "/%s/projects/%s/policy" % (version, project),
                       policy_body(mode="ALWAYS_DENY"))
    assert r.status == 200, r
    v1 = server.get("/v1/projects/%s/policy" % project).json()
    assert v1 == r.json()
    assert v1["defaultAdmissionRule"]["evaluationMode"] == "ALWAYS_DENY"
    system = server.get("/%s/locations/global/policy" % version).json()
    assert system == server.get("/v1/locations/global/policy").json()


def test_v1beta1_writes_are_audited_under_its_method_names(server, project):
    note = create_note(server, project)
    for version in ("v1beta1", "v1alpha2", "v1"):
        base = "/%s/projects/%s/attestors" % (version, project)
        r = server.request("POST", base + "?attestorId=" + version,
                           old_body(note))
        assert r.status == 200, r
    r = server.request("PUT", "/v1beta1/projects/%s/policy" % project,
                       policy_body())
    assert r.status == 200, r
    r = server.request("DELETE", "/v1beta1/projects/%s/attestors/v1beta1"
                       % project)
    assert r.status == 200, r
    r = server.request("POST", "/v2/entries:list", {
        "resourceNames": ["projects/" + project],
        "filter": 'protoPayload.serviceName="binaryauthorization.'
                  'googleapis.com"', "orderBy": "timestamp asc"})
    assert r.status == 200, r
    got = [(e["protoPayload"]["methodName"],
            e["protoPayload"]["resourceName"].rsplit("/", 1)[1])
           for e in r.json()["entries"]]
    beta = ("google.cloud.binaryauthorization.v1beta1."
            "BinauthzManagementServiceV1Beta1.")
    # Google documents no v1alpha2 method names: its writes keep v1's.
    v1 = "google.cloud.binaryauthorization.v1.BinauthzManagementServiceV1."
    assert got == [(beta + "CreateAttestor", "v1beta1"),
                   (v1 + "CreateAttestor", "v1alpha2"),
                   (v1 + "CreateAttestor", "v1"),
                   (beta + "UpdatePolicy", "policy"),
                   (beta + "DeleteAttestor", "v1beta1")]
