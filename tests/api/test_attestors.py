"""Attestors: create, get, list (pagination), update, delete and the
referential rules; validateAttestationOccurrence (docs/api.md)."""
import json

from conftest import (attestor_body, create_attestor, create_note,
                      data_file, data_json, policy_body)


def path(project, attestor=None):
    p = "/v1/projects/%s/attestors" % project
    return p if attestor is None else p + "/" + attestor


def test_attestors_create_returns_the_attestor(server, project):
    note = create_note(server, project)
    r = server.request("POST", path(project) + "?attestorId=a1",
                       attestor_body(note, "p256-a.pub.pem", "first"))
    assert r.status == 200, r
    doc = r.json()
    assert doc["name"] == "projects/%s/attestors/a1" % project
    assert doc["description"] == "first"
    assert doc["etag"] and doc["updateTime"].endswith("Z")
    key = doc["userOwnedGrafeasNote"]["publicKeys"][0]
    ids = data_file("core", "ids.txt").decode().split()
    assert key["id"] == ids[0]   # the server computed the default id
    assert server.get(path(project, "a1")).json() == doc


def test_attestors_create_twice_is_already_exists(server, project):
    note = create_note(server, project)
    create_attestor(server, project, "a1", note)
    r = server.request("POST", path(project) + "?attestorId=a1",
                       attestor_body(note))
    assert r.status == 409
    err = r.error()
    assert err["status"] == "ALREADY_EXISTS"
    assert "projects/%s/attestors/a1" % project in err["message"]


def test_attestors_create_needs_attestor_id(server, project):
    note = create_note(server, project)
    r = server.request("POST", path(project), attestor_body(note))
    assert r.status == 400
    assert "attestorId" in r.error()["message"]


def test_attestors_create_rejects_bad_attestor_id(server, project):
    note = create_note(server, project)
    r = server.request("POST", path(project) + "?attestorId=a%2Fb",
                       attestor_body(note))
    assert r.status == 400
    assert "attestorId" in r.error()["message"]


def test_attestors_create_rejects_missing_note(server, project):
    note = "projects/%s/notes/never" % project
    r = server.request("POST", path(project) + "?attestorId=a1",
                       attestor_body(note))
    assert r.status == 400
    err = r.error()
    assert err["status"] == "INVALID_ARGUMENT"
    assert "noteReference" in err["message"] and note in err["message"]
    assert server.get(path(project, "a1")).status == 404


def test_attestors_create_invalid_body_names_field(server, project):
    note = create_note(server, project)
    body = attestor_body(note, "p256-a.pub.pem")
    body["userOwnedGrafeasNote"]["publicKeys"][0]["pkixPublicKey"][
        "signatureAlgorithm"] = "RSA_PSS_2048_SHA256"
    r = server.request("POST", path(project) + "?attestorId=a1",
                       json.dumps(body, indent=2))
    assert r.status == 400
    msg = r.error()["message"]
    assert "publicKeys[0].pkixPublicKey" in msg
    assert "RSA_PSS_2048_SHA256" in msg
    assert "request body:" in msg


def test_attestors_create_bad_json_has_position(server, project):
    r = server.request("POST", path(project) + "?attestorId=a1",
                       '{"userOwnedGrafeasNote": }')
    assert r.status == 400
    assert "request body:1:" in r.error()["message"]


def test_attestors_get_missing_is_not_found(server, project):
    r = server.get(path(project, "nope"))
    assert r.status == 404
    err = r.error()
    assert err["status"] == "NOT_FOUND"
    assert "projects/%s/attestors/nope" % project in err["message"]


def test_attestors_list_pages_through_everything(server, project):
    note = create_note(server, project)
    for i in range(5):
        create_attestor(server, project, "a%d" % i, note)
    seen = []
    token = None
    pages = 0
    while True:
        q = "?pageSize=2" + ("&pageToken=" + token if token else "")
        doc = server.get(path(project) + q).json()
        pages += 1
        assert len(doc["attestors"]) <= 2
        seen += [a["name"].rsplit("/", 1)[1] for a in doc["attestors"]]
        token = doc.get("nextPageToken")
        if not token:
            break
    assert pages == 3
    assert seen == ["a0", "a1", "a2", "a3", "a4"]


def test_attestors_list_default_page_holds_all_of_a_few(server, project):
    note = create_note(server, project)
    for i in range(3):
        create_attestor(server, project, "b%d" % i, note)
    doc = server.get(path(project)).json()
    assert len(doc["attestors"]) == 3
    assert "nextPageToken" not in doc


def test_attestors_list_empty_project_is_empty_object(server, project):
    r = server.get(path(project))
    assert r.status == 200
    assert r.json() == {}


def test_attestors_list_huge_page_size_is_lowered(server, project):
    note = create_note(server, project)
    create_attestor(server, project, "a", note)
    r = server.get(path(project) + "?pageSize=100000")
    assert r.status == 200
    assert len(r.json()["attestors"]) == 1


def test_attestors_list_bad_page_size_is_invalid(server, project):
    for bad in ("-1", "abc", "1.5"):
        r = server.get(path(project) + "?pageSize=" + bad)
        assert r.status == 400, bad
        assert "pageSize" in r.error()["message"]


def test_attestors_list_bad_page_token_is_invalid(server, project):
    r = server.get(path(project) + "?pageToken=%25%25garbage")
    assert r.status == 400
    err = r.error()
    assert err["status"] == "INVALID_ARGUMENT"
    assert "pageToken" in err["message"]


def test_attestors_update_changes_description_and_keys(server, project):
    note = create_note(server, project)
    created = create_attestor(server, project, "a1", note)
    r = server.request("PUT", path(project, "a1"),
                       attestor_body(note, "p256-b.pub.pem", "second"))
    assert r.status == 200, r
    doc = r.json()
    assert doc["description"] == "second"
    ids = data_file("core", "ids.txt").decode().split()
    assert [k["id"] for k in doc["userOwnedGrafeasNote"]["publicKeys"]] \
        == [ids[1]]
    assert doc["etag"] != created["etag"]
    assert server.get(path(project, "a1")).json() == doc


def test_attestors_update_cannot_change_note(server, project):
    note = create_note(server, project)
    other = create_note(server, project, "note-b")
    create_attestor(server, project, "a1", note)
    r = server.request("PUT", path(project, "a1"), attestor_body(other))
    assert r.status == 400
    err = r.error()
    assert "noteReference" in err["message"]
    assert "immutable" in err["message"]
    assert server.get(path(project, "a1")).json()[
        "userOwnedGrafeasNote"]["noteReference"] == note


def test_attestors_update_with_stale_etag_is_aborted(server, project):
    note = create_note(server, project)
    first = create_attestor(server, project, "a1", note)
    current = server.request("PUT", path(project, "a1"),
                             attestor_body(note, None, "x")).json()
    body = attestor_body(note, None, "y")
    body["etag"] = first["etag"]
    r = server.request("PUT", path(project, "a1"), body)
    assert r.status == 409
    assert r.error()["status"] == "ABORTED"
    assert server.get(path(project, "a1")).json() == current


def test_attestors_update_with_current_etag_succeeds(server, project):
    note = create_note(server, project)
    first = create_attestor(server, project, "a1", note)
    body = attestor_body(note, None, "y")
    body["etag"] = first["etag"]
    r = server.request("PUT", path(project, "a1"), body)
    assert r.status == 200, r


def test_attestors_update_missing_is_not_found(server, project):
    note = create_note(server, project)
    r = server.request("PUT", path(project, "nope"), attestor_body(note))
    assert r.status == 404
    assert r.error()["status"] == "NOT_FOUND"


def test_attestors_delete_returns_empty_object(server, project):
    note = create_note(server, project)
    create_attestor(server, project, "a1", note)
    r = server.request("DELETE", path(project, "a1"))
    assert r.status == 200
    assert r.json() == {}
    assert server.get(path(project, "a1")).status == 404


def test_attestors_delete_missing_is_not_found(server, project):
    r = server.request("DELETE", path(project, "nope"))
    assert r.status == 404
    assert r.error()["status"] == "NOT_FOUND"


def test_attestors_delete_required_by_policy_is_refused(server, project):
    note = create_note(server, project)
    create_attestor(server, project, "a1", note)
    name = "projects/%s/attestors/a1" % project
    assert server.request("PUT", "/v1/projects/%s/policy" % project,
                          policy_body(attestors=[name])).status == 200
    r = server.request("DELETE", path(project, "a1"))
    assert r.status == 400
    err = r.error()
    assert err["status"] == "FAILED_PRECONDITION"
    assert "projects/%s/policy" % project in err["message"]
    assert server.get(path(project, "a1")).status == 200
    # Once the policy no longer needs it, it can go.
    assert server.request("PUT", "/v1/projects/%s/policy" % project,
                          policy_body()).status == 200
    assert server.request("DELETE", path(project, "a1")).status == 200


# ---- validateAttestationOccurrence ----

CORE_NOTE = "projects/core-proj/notes/note-a"


def core_attestor(server, attestor_id, fixture="attestor-a.json"):
    """An attestor of the core fixtures (note-a of core-proj)."""
    create_note(server, "core-proj", "note-a")
    body = data_json("core", fixture)
    r = server.request("POST", "/v1/projects/core-proj/attestors?"
                       "attestorId=" + attestor_id, body)
    assert r.status == 200, r
    return "/v1/projects/core-proj/attestors/%s" % attestor_id


def validate(server, attestor_path, occurrence, note=None, uri=None):
    body = {"attestation": occurrence["attestation"],
            "occurrenceNote": note or occurrence["noteName"],
            "occurrenceResourceUri": uri or occurrence["resourceUri"]}
    return server.request("POST", attestor_path +
                          ":validateAttestationOccurrence", body)


def uid():
    import uuid
    return "v" + uuid.uuid4().hex[:10]


def test_validate_good_attestation_is_verified(server):
    a = core_attestor(server, uid())
    r = validate(server, a, data_json("attestations", "a-good.json"))
    assert r.status == 200, r
    assert r.json() == {"result": "VERIFIED"}


def test_validate_wrong_key_is_not_verifiable(server):
    a = core_attestor(server, uid())
    r = validate(server, a, data_json("attestations", "a-wrong-key.json"))
    assert r.status == 200
    doc = r.json()
    assert doc["result"] == "ATTESTATION_NOT_VERIFIABLE"
    assert doc["denialReason"]


def test_validate_other_digest_is_not_verifiable(server):
    a = core_attestor(server, uid())
    occ = data_json("attestations", "a-good.json")
    digests = data_file("core", "digests.txt").decode().split()
    uri = "gcr.io/core-proj/app@" + digests[1]
    r = validate(server, a, occ, uri=uri)
    doc = r.json()
    assert doc["result"] == "ATTESTATION_NOT_VERIFIABLE"
    assert doc["denialReason"]


def test_validate_tampered_payload_is_not_verifiable(server):
    a = core_attestor(server, uid())
    r = validate(server, a, data_json("attestations", "a-tampered.json"))
    assert r.json()["result"] == "ATTESTATION_NOT_VERIFIABLE"


def test_validate_other_note_is_not_verifiable(server):
    a = core_attestor(server, uid())
    occ = data_json("attestations", "a-good.json")
    r = validate(server, a, occ, note="projects/core-proj/notes/other")
    doc = r.json()
    assert doc["result"] == "ATTESTATION_NOT_VERIFIABLE"
    assert "projects/core-proj/notes/other" in doc["denialReason"]
    assert CORE_NOTE in doc["denialReason"]


def test_validate_uri_without_digest_is_invalid(server):
    a = core_attestor(server, uid())
    occ = data_json("attestations", "a-good.json")
    r = validate(server, a, occ, uri="gcr.io/core-proj/app:latest")
    assert r.status == 400, r
    msg = r.error()["message"]
    assert msg.startswith("request body: occurrenceResourceUri:"), msg
    assert "digest" in msg


def test_validate_attestor_without_keys_is_not_verifiable(server):
    a = core_attestor(server, uid(), "attestor-empty.json")
    r = validate(server, a, data_json("attestations", "a-good.json"))
    assert r.json()["result"] == "ATTESTATION_NOT_VERIFIABLE"


def test_validate_missing_attestor_is_not_found(server):
    occ = data_json("attestations", "a-good.json")
    r = validate(server, "/v1/projects/core-proj/attestors/none-" + uid(),
                 occ)
    assert r.status == 404
    assert r.error()["status"] == "NOT_FOUND"


def test_validate_request_fields_are_checked(server):
    a = core_attestor(server, uid())
    occ = data_json("attestations", "a-good.json")
    url = a + ":validateAttestationOccurrence"
    good = {"attestation": occ["attestation"], "occurrenceNote": CORE_NOTE,
            "occurrenceResourceUri": occ["resourceUri"]}
    for field in ("attestation", "occurrenceNote", "occurrenceResourceUri"):
        body = dict(good)
        del body[field]
        r = server.request("POST", url, body)
        assert r.status == 400, field
        assert field in r.error()["message"]
    body = dict(good, extra=1)
    r = server.request("POST", url, body)
    assert r.status == 400
    assert "extra" in r.error()["message"]
    r = server.request("POST", url, "[1,")
    assert r.status == 400
    assert "request body:1:" in r.error()["message"]


def test_validate_malformed_attestation_names_field(server):
    a = core_attestor(server, uid())
    occ = data_json("attestations", "a-good.json")
    occ["attestation"]["signatures"][0]["signature"] = 42
    r = validate(server, a, occ)
    assert r.status == 400
    assert "signature" in r.error()["message"]


def test_validate_occurrence_over_the_size_limit_is_refused(server):
    # The occurrence rebuilt from the request may print to at most 1 MiB:
    # here 16 signatures of 60,000 bytes (80,000 in base64), valid in every
    # other way, in a 1.3 MB body (under the 4 MiB body limit).
    import base64
    a = core_attestor(server, uid())
    occ = data_json("attestations", "a-good.json")
    sig = occ["attestation"]["signatures"][0]
    big = base64.b64encode(b"\x30" * 60000).decode()
    occ["attestation"]["signatures"] = [dict(sig, signature=big)
                                        for _ in range(16)]
    r = validate(server, a, occ)
    assert r.status == 400, r
    err = r.error()
    assert err["status"] == "INVALID_ARGUMENT", err
    assert "1048576" in err["message"], err["message"]
    # One of them fits: it is read, and does not verify.
    occ["attestation"]["signatures"] = [dict(sig, signature=big)]
    r = validate(server, a, occ)
    assert r.status == 200, r
    assert r.json()["result"] == "ATTESTATION_NOT_VERIFIABLE"


def metric(server, name, label=None):
    for line in server.get("/metrics").body.decode().splitlines():
        if line.startswith(name + (label or "") + " ") or (
                label is None and line.startswith(name + " ")):
            return int(float(line.split()[-1]))
    return 0


def test_validate_counts_decisions_and_cache_hits(server):
    a = core_attestor(server, uid())
    occ = data_json("attestations", "a-good.json")
    verified = metric(server, "vouchd_decisions_total",
                      '{outcome="VERIFIED"}')
    assert validate(server, a, occ).json()["result"] == "VERIFIED"
    hits = metric(server, "vouchd_verify_cache_hits_total")
    assert validate(server, a, occ).json()["result"] == "VERIFIED"
    assert metric(server, "vouchd_verify_cache_hits_total") == hits + 1
    assert metric(server, "vouchd_decisions_total",
                  '{outcome="VERIFIED"}') == verified + 2
    refused = metric(server, "vouchd_decisions_total",
                     '{outcome="ATTESTATION_NOT_VERIFIABLE"}')
    validate(server, a, data_json("attestations", "a-wrong-key.json"))
    assert metric(server, "vouchd_decisions_total",
                  '{outcome="ATTESTATION_NOT_VERIFIABLE"}') == refused + 1


def test_validate_sees_a_key_change_at_once(server):
    name = uid()
    a = core_attestor(server, name)
    occ = data_json("attestations", "a-good.json")
    assert validate(server, a, occ).json()["result"] == "VERIFIED"
    # Same key id, other key: a cached success for (id, payload,
    # signature) must not survive the attestor change.
    body = data_json("core", "attestor-a-keyb.json")
    ids = data_file("core", "ids.txt").decode().split()
    body["userOwnedGrafeasNote"]["publicKeys"][0]["id"] = ids[0]
    r = server.request("PUT", a, body)
    assert r.status == 200, r
    assert validate(server, a, occ).json()["result"] == \
        "ATTESTATION_NOT_VERIFIABLE"
