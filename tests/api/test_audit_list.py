"""POST /v2/entries:list with the longest filter, on both stores (issue 9,
finding 5; docs/audit.md, "The bound on one request"): a 20,000-byte
filter of OR'd global-search words over 201 entries. Each request reads
at most its budget's worth of entries and answers with a nextPageToken;
following the tokens finds exactly the match. The same words behind an
indexed condition, or a usual filter, take one request."""
from conftest import policy_body

# docs/audit.md: 50,000 terms x entries per request; reading an entry
# counts 10 terms, a global-search word 2 (plus 1 per 64 bytes).
BUDGET = 50000
ENTRY_TERMS = 10
FILTER_MAX = 20000


def put_policies(server, project, n):
    """n admin-activity entries: one per policy update."""
    for i in range(n):
        r = server.request("PUT", "/v1/projects/%s/policy" % project,
                           policy_body(patterns=["gcr.io/x/p%d" % i]))
        assert r.status == 200, r


def walk(server, body):
    """Follow nextPageToken to the end: (requests, insertIds)."""
    pages, ids, token = 0, [], None
    while True:
        req = dict(body)
        if token:
            req["pageToken"] = token
        r = server.request("POST", "/v2/entries:list", req)
        assert r.status == 200, r
        doc = r.json()
        pages += 1
        ids += [e["insertId"] for e in doc.get("entries", [])]
        token = doc.get("nextPageToken")
        if not token:
            return pages, ids


def long_filter(last, size=FILTER_MAX):
    """Words that match nothing, OR'd, then `last`: (filter, words)."""
    words = []
    text = ""
    while len(text) + 16 + len(last) < size:
        words.append("zq%05d" % len(words))
        text = " OR ".join(words)
    words.append(last)
    return " OR ".join(words), len(words)


def test_entries_list_long_filter_is_bounded(server, project):
    put_policies(server, project, 201)
    names = {"resourceNames": ["projects/%s" % project]}
    pages, ids = walk(server, dict(names, pageSize=1000))
    assert (pages, len(ids)) == (1, 201)
    r = server.request("POST", "/v2/entries:list", dict(names, pageSize=1000))
    everything = r.json()["entries"]
    target = everything[150]

    flt, words = long_filter(target["insertId"])
    assert FILTER_MAX - 64 < len(flt) <= FILTER_MAX
    per_request = BUDGET // (ENTRY_TERMS + 2 * words)
    want = -(-201 // per_request)
    pages, found = walk(server, dict(names, filter=flt))
    assert found == [target["insertId"]]
    assert pages > 1 and pages == want, (pages, want)
    pages, found = walk(server, dict(names, filter=flt,
                                     orderBy="timestamp desc"))
    assert found == [target["insertId"]]
    assert pages == want

    # The first request of the attack answers with no entry and a token.
    r = server.request("POST", "/v2/entries:list", dict(names, filter=flt))
    assert r.status == 200, r
    assert "entries" not in r.json() and r.json()["nextPageToken"]

    # Behind an indexed timestamp range the words read one entry.
    short, _ = long_filter(target["insertId"], FILTER_MAX - 80)
    narrowed = 'timestamp>="%s" timestamp<="%s" (%s)' % (
        target["timestamp"], target["timestamp"], short)
    assert walk(server, dict(names, filter=narrowed)) == (
        1, [target["insertId"]])

    # A usual filter reads the whole log in one request.
    pages, found = walk(server, dict(names, pageSize=1000,
                                     filter="severity=NOTICE %s"
                                     % target["insertId"]))
    assert (pages, found) == (1, [target["insertId"]])
