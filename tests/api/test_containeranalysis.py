"""Container Analysis v1: ATTESTATION notes and occurrences, the list
filter, pagination, batchCreate and the referential rules."""
import json
from urllib.parse import quote

from conftest import create_note, data_json


def notes(project, note=None):
    p = "/v1/projects/%s/notes" % project
    return p if note is None else p + "/" + note


def occs(project, occ=None):
    p = "/v1/projects/%s/occurrences" % project
    return p if occ is None else p + "/" + occ


def occurrence(project, note="note-a", image="gcr.io/core-proj/app",
               digest_index=0):
    """The a-good fixture re-pointed at `project`'s note."""
    occ = data_json("attestations", "a-good.json")
    del occ["name"]
    occ["noteName"] = "projects/%s/notes/%s" % (project, note)
    digest = occ["resourceUri"].split("@", 1)[1]
    if digest_index:
        digest = "sha256:" + ("%064x" % digest_index)
    occ["resourceUri"] = "%s@%s" % (image, digest)
    return occ


# ---- notes ----

def test_notes_create_get_list_delete(server, project):
    r = server.request("POST", notes(project) + "?noteId=n1",
                       {"attestation": {"hint": {
                           "humanReadableName": "built by CI"}}})
    assert r.status == 200, r
    doc = r.json()
    assert doc["name"] == "projects/%s/notes/n1" % project
    assert doc["kind"] == "ATTESTATION"
    assert doc["attestation"]["hint"]["humanReadableName"] == "built by CI"
    assert doc["createTime"].endswith("Z")
    assert server.get(notes(project, "n1")).json() == doc
    assert server.get(notes(project)).json() == {"notes": [doc]}
    r = server.request("DELETE", notes(project, "n1"))
    assert r.status == 200 and r.json() == {}
    assert server.get(notes(project, "n1")).status == 404


def test_notes_kind_attestation_may_be_given(server, project):
    r = server.request("POST", notes(project) + "?noteId=n1",
                       {"kind": "ATTESTATION", "attestation": {}})
    assert r.status == 200, r


def test_notes_other_kinds_are_refused(server, project):
    for body in ({"kind": "VULNERABILITY"},
                 {"vulnerability": {"severity": "HIGH"}},
                 {"kind": 7}):
        r = server.request("POST", notes(project) + "?noteId=n1", body)
        assert r.status == 400, body
        assert "only ATTESTATION notes are supported" in \
            r.error()["message"]
    assert server.get(notes(project, "n1")).status == 404


def test_notes_unknown_fields_are_named(server, project):
    for body, field in (({"bogus": 1}, "bogus"),
                        ({"attestation": {"hint": {"x": "y"}}},
                         "attestation.hint.x"),
                        ({"attestation": {"hint": {
                            "humanReadableName": 5}}},
                         "humanReadableName"),
                        ({"attestation": []}, "attestation")):
        r = server.request("POST", notes(project) + "?noteId=n1", body)
        assert r.status == 400, body
        assert field in r.error()["message"], body


def test_notes_bad_json_has_position(server, project):
    r = server.request("POST", notes(project) + "?noteId=n1",
                       '{\n "attestation": nope}')
    assert r.status == 400
    assert "request body:2:" in r.error()["message"]


def test_notes_need_a_valid_note_id(server, project):
    r = server.request("POST", notes(project), {})
    assert r.status == 400
    assert "noteId" in r.error()["message"]
    r = server.request("POST", notes(project) + "?noteId=a%20b", {})
    assert r.status == 400
    assert "noteId" in r.error()["message"]


def test_notes_create_twice_is_already_exists(server, project):
    create_note(server, project, "n1")
    r = server.request("POST", notes(project) + "?noteId=n1", {})
    assert r.status == 409
    assert r.error()["status"] == "ALREADY_EXISTS"


def test_notes_get_and_delete_missing_are_not_found(server, project):
    assert server.get(notes(project, "nope")).status == 404
    r = server.request("DELETE", notes(project, "nope"))
    assert r.status == 404
    assert "projects/%s/notes/nope" % project in r.error()["message"]


def test_notes_with_occurrences_cannot_be_deleted(server, project):
    create_note(server, project)
    for i in range(2):
        assert server.request("POST", occs(project),
                              occurrence(project)).status == 200
    r = server.request("DELETE", notes(project, "note-a"))
    assert r.status == 400
    err = r.error()
    assert err["status"] == "FAILED_PRECONDITION"
    assert "2 occurrences" in err["message"]
    assert server.get(notes(project, "note-a")).status == 200


# ---- occurrences ----

def test_occurrences_create_get_delete(server, project):
    create_note(server, project)
    occ = occurrence(project)
    r = server.request("POST", occs(project), occ)
    assert r.status == 200, r
    doc = r.json()
    assert doc["name"].startswith("projects/%s/occurrences/" % project)
    occ_id = doc["name"].rsplit("/", 1)[1]
    assert len(occ_id) == 36
    assert doc["noteName"] == occ["noteName"]
    assert doc["resourceUri"] == occ["resourceUri"]
    assert doc["kind"] == "ATTESTATION"
    assert doc["attestation"]["serializedPayload"] == \
        occ["attestation"]["serializedPayload"]
    assert doc["createTime"].endswith("Z")
    assert server.get(occs(project, occ_id)).json() == doc
    r = server.request("DELETE", occs(project, occ_id))
    assert r.status == 200 and r.json() == {}
    assert server.get(occs(project, occ_id)).status == 404
    assert server.request("DELETE", occs(project, occ_id)).status == 404


def test_occurrences_ids_are_server_generated_and_unique(server, project):
    create_note(server, project)
    names = {server.request("POST", occs(project),
                            occurrence(project)).json()["name"]
             for _ in range(3)}
    assert len(names) == 3


def test_occurrences_need_an_existing_note(server, project):
    occ = occurrence(project, note="ghost")
    r = server.request("POST", occs(project), occ)
    assert r.status == 404
    err = r.error()
    assert err["status"] == "NOT_FOUND"
    assert "projects/%s/notes/ghost" % project in err["message"]


def test_occurrences_invalid_body_names_field(server, project):
    create_note(server, project)
    occ = occurrence(project)
    occ["kind"] = "VULNERABILITY"
    r = server.request("POST", occs(project), json.dumps(occ, indent=2))
    assert r.status == 400
    msg = r.error()["message"]
    assert "kind" in msg and "request body:" in msg
    occ = occurrence(project)
    del occ["resourceUri"]
    r = server.request("POST", occs(project), occ)
    assert r.status == 400
    assert "resourceUri" in r.error()["message"]


def test_occurrences_get_missing_is_not_found(server, project):
    r = server.get(occs(project, "0000"))
    assert r.status == 404
    assert r.error()["status"] == "NOT_FOUND"


def listing(server, project, flt=None, page_size=None, token=None):
    q = []
    if flt is not None:
        q.append("filter=" + quote(flt))
    if page_size is not None:
        q.append("pageSize=%d" % page_size)
    if token is not None:
        q.append("pageToken=" + quote(token))
    return server.get(occs(project) + ("?" + "&".join(q) if q else ""))


def seed(server, project):
    create_note(server, project, "note-a")
    create_note(server, project, "note-b")
    made = []
    for note, image, d in (("note-a", "gcr.io/x/app", 1),
                           ("note-a", "gcr.io/x/app", 2),
                           ("note-b", "gcr.io/x/app", 1),
                           ("note-a", "https://gcr.io/x/other", 1)):
        r = server.request("POST", occs(project),
                           occurrence(project, note, image, d))
        assert r.status == 200, r
        made.append(r.json())
    return made


def test_occurrences_filter_by_resource_url(server, project):
    made = seed(server, project)
    uri = made[0]["resourceUri"]
    doc = listing(server, project, 'resourceUrl="%s"' % uri).json()
    assert sorted(o["name"] for o in doc["occurrences"]) == \
        sorted([made[0]["name"], made[2]["name"]])
    # With the https:// prefix the same occurrences match ...
    doc = listing(server, project,
                  'resourceUrl="https://%s"' % uri).json()
    assert len(doc["occurrences"]) == 2
    # ... and one stored with the prefix matches without it.
    other = made[3]["resourceUri"].replace("https://", "")
    doc = listing(server, project, 'resourceUrl="%s"' % other).json()
    assert [o["name"] for o in doc["occurrences"]] == [made[3]["name"]]


def test_occurrences_filter_by_note_and_kind_joined_by_and(server,
                                                           project):
    made = seed(server, project)
    note_a = "projects/%s/notes/note-a" % project
    doc = listing(server, project,
                  'kind="ATTESTATION" AND noteName="%s" AND '
                  'resourceUrl="%s"' % (note_a, made[0]["resourceUri"])
                  ).json()
    assert [o["name"] for o in doc["occurrences"]] == [made[0]["name"]]
    doc = listing(server, project, ' noteName = "%s" ' % note_a).json()
    assert len(doc["occurrences"]) == 3
    doc = listing(server, project, 'kind="ATTESTATION"').json()
    assert len(doc["occurrences"]) == 4
    assert listing(server, project, 'kind="VULNERABILITY"').json() == {}
    assert listing(server, project,
                   'resourceUrl="gcr.io/nothing@sha256:00"').json() == {}


def test_occurrences_filter_errors_name_the_position(server, project):
    cases = (('resourceUrl=', 13, "quoted string"),
             ('resourceUrl="a" OR kind="ATTESTATION"', 17, "AND"),
             ('color="red"', 1, "unknown field"),
             ('kind "ATTESTATION"', 6, "'='"),
             ('kind="ATTESTATION" AND', 23, "after AND"),
             ('noteName="unterminated', 10, "not closed"),
             ('kind="A" AND kind="B"', 14, "twice"),
             ('kind="a\\n"', 8, "escaped"))
    for flt, column, words in cases:
        r = listing(server, project, flt)
        assert r.status == 400, flt
        err = r.error()
        assert err["status"] == "INVALID_ARGUMENT"
        assert "filter: column %d:" % column in err["message"], \
            (flt, err["message"])
        assert words in err["message"], (flt, err["message"])


def test_occurrences_filter_too_long_is_invalid(server, project):
    r = listing(server, project, 'noteName="%s"' % ("x" * 5000))
    assert r.status == 400
    assert "4096" in r.error()["message"]


def test_occurrences_list_paginates(server, project):
    create_note(server, project)
    made = set()
    for i in range(5):
        made.add(server.request("POST", occs(project),
                                occurrence(project)).json()["name"])
    seen = []
    token = None
    while True:
        doc = listing(server, project,
                      'noteName="projects/%s/notes/note-a"' % project,
                      page_size=2, token=token).json()
        assert 1 <= len(doc["occurrences"]) <= 2
        seen += [o["name"] for o in doc["occurrences"]]
        token = doc.get("nextPageToken")
        if not token:
            break
    assert sorted(seen) == sorted(made)
    r = listing(server, project, token="not-a-token!")
    assert r.status == 400


def test_occurrences_batch_create(server, project):
    create_note(server, project)
    body = {"parent": "projects/%s" % project,
            "occurrences": [occurrence(project, digest_index=i)
                            for i in (1, 2, 3)]}
    r = server.request("POST", occs(project) + ":batchCreate", body)
    assert r.status == 200, r
    created = r.json()["occurrences"]
    assert len(created) == 3
    assert len({o["name"] for o in created}) == 3
    for o in created:
        assert server.get("/v1/" + o["name"]).json() == o


def test_occurrences_batch_create_is_all_or_nothing(server, project):
    create_note(server, project)
    good = occurrence(project, digest_index=1)
    bad = occurrence(project, note="ghost")
    r = server.request("POST", occs(project) + ":batchCreate",
                       {"occurrences": [good, good, bad]})
    assert r.status == 404
    assert "occurrences[2]" in r.error()["message"]
    assert listing(server, project).json() == {}
    broken = occurrence(project)
    broken["attestation"] = "nope"
    r = server.request("POST", occs(project) + ":batchCreate",
                       {"occurrences": [good, broken]})
    assert r.status == 400
    msg = r.error()["message"]
    assert msg.startswith("occurrences[1]: attestation"), msg
    assert listing(server, project).json() == {}


def test_occurrences_batch_create_checks_the_request(server, project):
    create_note(server, project)
    url = occs(project) + ":batchCreate"
    r = server.request("POST", url, {"parent": "projects/other",
                                     "occurrences": [occurrence(project)]})
    assert r.status == 400
    assert "parent" in r.error()["message"]
    r = server.request("POST", url, {"occurrences": []})
    assert r.status == 400
    assert "occurrences" in r.error()["message"]
    r = server.request("POST", url, {"occurrences": [occurrence(project)],
                                     "extra": True})
    assert r.status == 400
    assert "extra" in r.error()["message"]
    r = server.request("POST", url, "{")
    assert r.status == 400
    assert "request body:1:" in r.error()["message"]
    assert listing(server, project).json() == {}
