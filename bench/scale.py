"""The store at scale: the body of bench/scale.sh (which says what it does
and which environment it reads). python3 scale.py sqlite|postgres|all."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

root = os.environ["VOUCH_SOURCE_ROOT"]
sys.path.insert(0, os.path.join(root, "tests", "e2e"))
import run_harness as rh  # noqa: E402

WHICH = sys.argv[1] if len(sys.argv) > 1 else "all"
SIZES = [int(s) for s in
         os.environ.get("SCALE_SIZES", "100 100000 10000000").split()]
DURATION = os.environ.get("SCALE_DURATION", "10s")
BATCH = os.environ.get("SCALE_BATCH", "50000")
VOUCHD_THREADS = os.environ.get("VOUCHD_THREADS", "4")
LOADER = os.environ["SCALE_LOADER"]
P = "p"
LOC = "/v2/projects/p/locations/us-central1"
NOTES = 10
PAGE = 2
# The loaded image whose occurrences are listed (bench_scale_load.c
# names image k like this; image 0 exists at every size).
LISTED = "https://us-docker.pkg.dev/p/scale/app0@sha256:" + "0" * 64

CHECK = r'''
local bad = 0
function response(status, headers, body)
  if status ~= 200 or not body:find(os.getenv("SCALE_EXPECT"), 1, true)
     or body:find('"error"', 1, true) then
    bad = bad + 1
    if bad == 1 then io.stderr:write(status .. " " .. body:sub(1, 300) .. "\n") end
  end
end
function done(summary, latency, requests)
  io.write(string.format("bad %d\n", bad))
end
'''
VALIDATE = r'''
local f = assert(io.open(os.getenv("SCALE_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
''' + CHECK
DEPLOY = r'''
local counter = 0
local image = os.getenv("SCALE_IMAGE")
function request()
  counter = counter + 1
  local body = '{"binaryAuthorization":{"useDefault":true},"template":' ..
    '{"annotations":{"bench/n":"' .. os.time() .. "-" .. counter .. '"},' ..
    '"containers":[{"image":"' .. image .. '"}]}}'
  return wrk.format("PATCH", nil, {["Content-Type"] = "application/json"},
                    body)
end
''' + CHECK
GET = CHECK
NAMES = ("healthz", "validate", "deploy", "list_first", "list_last")


def ms(v):
    for suffix, mult in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if v.endswith(suffix):
            return float(v[:-len(suffix)]) * mult
    return float(v)


def wrk(work, name, url, script, env):
    path = os.path.join(work, name + ".lua")
    with open(path, "w") as f:
        f.write(script)
    cmd = ["wrk", "-t1", "-c1", "-d" + DURATION, "--latency", "-s", path,
           url]
    out = subprocess.run(cmd, capture_output=True, text=True,
                         env=dict(os.environ, **env), check=True)
    text = out.stdout
    if "Non-2xx" in text or "bad 0" not in text:
        sys.exit("scale: %s: failed answers\n%s%s" % (name, text, out.stderr))
    res = {}
    for line in text.splitlines():
        parts = line.split()
        if parts[:1] == ["50%"]:
            res["p50"] = ms(parts[1])
        elif parts[:1] == ["99%"]:
            res["p99"] = ms(parts[1])
        elif parts[:1] == ["Requests/sec:"]:
            res["rps"] = float(parts[1])
        elif len(parts) > 2 and parts[1:3] == ["requests", "in"]:
            res["requests"] = int(parts[0])
    return res


def list_path(token=None):
    q = {"filter": 'resourceUrl="%s"' % LISTED, "pageSize": str(PAGE)}
    if token:
        q["pageToken"] = token
    return "/v1/projects/%s/occurrences?%s" % (P, urllib.parse.urlencode(q))


def last_page_path(daemon):
    """The path of the last page of LISTED's occurrences, walking there
    and checking every page: NOTES / PAGE pages of PAGE each."""
    token, pages = None, 0
    while True:
        st, body = daemon.request("GET", list_path(token))
        assert st == 200, body
        assert len(body.get("occurrences", [])) == PAGE, body
        pages += 1
        nxt = body.get("nextPageToken")
        if not nxt:
            break
        last, token = token, nxt
    assert pages == NOTES // PAGE, pages
    return list_path(last)


def store_size(url, work, pg_url):
    if pg_url is None:
        path = url[len("sqlite:"):]
        return sum(os.path.getsize(path + s) for s in ("", "-wal", "-shm")
                   if os.path.exists(path + s))
    out = subprocess.run(["psql", pg_url, "-Atc",
                          "SELECT pg_database_size(current_database())"],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


LIST_SQL = ("SELECT name FROM resources WHERE kind = 'occurrence' AND "
            "parent = 'projects/p' AND attr2 = '%s' ORDER BY name, kind "
            "LIMIT 3" % LISTED[len("https://"):])


def check_plan(url, pg_url):
    """The plan of the list query (store's SQL shape): must use the
    (kind, attr2, name) index."""
    if pg_url is None:
        con = sqlite3.connect(url[len("sqlite:"):])
        rows = con.execute("EXPLAIN QUERY PLAN " + LIST_SQL).fetchall()
        con.close()
        plan = "; ".join(r[-1] for r in rows)
    else:
        subprocess.run(["psql", pg_url, "-Atqc", "ANALYZE resources"],
                       check=True)
        out = subprocess.run(["psql", pg_url, "-Atc", "EXPLAIN " + LIST_SQL],
                             capture_output=True, text=True, check=True)
        plan = " ".join(out.stdout.split())
    print("list plan: " + plan, flush=True)
    if "resources_attr2" not in plan:
        sys.exit("scale: the list by resourceUrl does not use resources_attr2")


def seed(daemon, work, digest_ref):
    att, note, key = rh.setup_attestor(daemon, P, work)
    rh.set_policy(daemon, P, "REQUIRE_ATTESTATION", [att])
    occ = rh.attest(daemon, P, digest_ref, note, key)
    for i in range(NOTES):
        st, body = daemon.request(
            "POST", "/v1/projects/%s/notes?noteId=n%d" % (P, i),
            {"attestation": {"hint": {"humanReadableName": "n%d" % i}}})
        assert st == 200, body
    body = {"binaryAuthorization": {"useDefault": True},
            "template": {"containers": [{"image": digest_ref}]}}
    st, op = daemon.request("POST", LOC + "/services?serviceId=scale", body)
    assert st == 200 and "error" not in op, op
    if occ is None:
        st, page = daemon.request("GET", "/v1/projects/%s/occurrences" % P)
        occ = page["occurrences"][0]
    template = os.path.join(work, "template.json")
    with open(template, "w") as f:
        json.dump(occ, f)
    validate = os.path.join(work, "validate.json")
    with open(validate, "w") as f:
        json.dump({"attestation": occ["attestation"],
                   "occurrenceNote": occ["noteName"],
                   "occurrenceResourceUri": occ["resourceUri"]}, f)
    return att, template, validate


def load(url, template, have, size):
    """Fill up to `size` occurrences (one is the seeded, real one)."""
    t0 = time.monotonic()
    subprocess.run([LOADER, url, template, str(have - 1), str(size - 1),
                    BATCH], check=True)
    return time.monotonic() - t0


def cache_counters(daemon):
    """(hits, misses) of the store's read cache, from /metrics."""
    import urllib.request
    with urllib.request.urlopen(daemon.url + "/metrics", timeout=30) as r:
        text = r.read().decode()
    got = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith("vouchd_store_cache_"):
            got[parts[0]] = int(float(parts[1]))
    return (got.get("vouchd_store_cache_hits_total", 0),
            got.get("vouchd_store_cache_misses_total", 0))


def db_statements(pg_url):
    """Transactions PostgreSQL counted on the database so far (a
    statement outside a transaction is one): what a request costs in
    round trips. None for SQLite."""
    if pg_url is None:
        return None
    out = subprocess.run(
        ["psql", pg_url, "-Atc", "SELECT pg_stat_force_next_flush(); "
         "SELECT xact_commit + xact_rollback FROM pg_stat_database "
         "WHERE datname = current_database()"],
        capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1])


def measure(daemon, work, att, validate, digest_ref, pg_url=None):
    base = daemon.url
    last = last_page_path(daemon)
    runs = [
        ("healthz", base + "/healthz", GET, {"SCALE_EXPECT": ""}),
        ("validate", base + "/v1/" + att + ":validateAttestationOccurrence",
         VALIDATE, {"SCALE_BODY": validate, "SCALE_EXPECT": '"VERIFIED"'}),
        ("deploy", base + LOC + "/services/scale", DEPLOY,
         {"SCALE_IMAGE": digest_ref, "SCALE_EXPECT": '"done": true'}),
        ("list_first", base + list_path(), GET,
         {"SCALE_EXPECT": '"nextPageToken"'}),
        ("list_last", base + last, GET, {"SCALE_EXPECT": '"occurrences"'}),
    ]
    res = {}
    for name, url, script, env in runs:
        # A short warm-up (caches, the OS's pages) before the timed run.
        wrk(work, name, url, script, env)
        before = cache_counters(daemon)
        tx0 = db_statements(pg_url)
        res[name] = wrk(work, name, url, script, env)
        tx1 = db_statements(pg_url)
        after = cache_counters(daemon)
        if tx0 is not None and res[name].get("requests"):
            # Minus the two psql sessions' own transactions.
            res[name]["db_tx_per_request"] = round(
                (tx1 - tx0 - 2) / res[name]["requests"], 2)
        # How many store reads the timed run answered from memory and
        # how many went to the database (PostgreSQL's read cache).
        res[name]["cache"] = [a - b for a, b in zip(after, before)]
    # The decision admitted the image by its attestation.
    st, page = daemon.request(
        "GET", LOC + "/services/scale/revisions?pageSize=1")
    dec = json.loads(page["revisions"][0]["annotations"][
        "run.googleapis.com/binary-authorization-decision"])
    assert dec["decision"] == "ALLOW", dec
    return res


def bench(url, label, digest_ref, pg_url=None):
    work = tempfile.mkdtemp(prefix="vouch-scale-")
    daemon = rh.Daemon(url, work, ["--threads", VOUCHD_THREADS,
                                   "--registry-insecure",
                                   digest_ref.split("/")[0],
                                   "--runtime", "none"]).start()
    rows = []
    try:
        att, template, validate = seed(daemon, work, digest_ref)
        have = 1
        for size in SIZES:
            free = shutil.disk_usage(work).free
            secs = load(url, template, have, size) if size > have else 0.0
            have = max(have, size)
            check_plan(url, pg_url)
            res = measure(daemon, work, att, validate, digest_ref, pg_url)
            row = {"size": size, "bytes": store_size(url, work, pg_url),
                   "load_s": secs, "load": os.getloadavg()[0],
                   "free_before": free, "res": res}
            rows.append(row)
            print("%s %d: %s" % (label, size, json.dumps(row)), flush=True)
    finally:
        daemon.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(label, rows)
    return rows


def report(label, rows):
    print("\n## %s (wrk -t1 -c1 -d%s; vouchd --threads %s)\n"
          % (label, DURATION, VOUCHD_THREADS))
    print("| occurrences | load s | size on disk | load avg | healthz p50/p99 "
          "ms | validate | deploy | list_first | list_last |")
    print("|---:|---:|---:|---:|---|---|---|---|---|")
    ref = rows[0]["res"]
    for r in rows:
        cells = []
        for n in NAMES:
            x = r["res"][n]
            cells.append("%.3f / %.3f (x%.2f)" % (x["p50"], x["p99"],
                                                 x["p50"] / ref[n]["p50"]))
        print("| {:,} | {:.0f} | {:.2f} GB | {:.1f} | {} |".format(
            r["size"], r["load_s"], r["bytes"] / 1e9, r["load"],
            " | ".join(cells)))
    big = rows[-1]["res"]
    worst = max(big[n]["p50"] / ref[n]["p50"] for n in NAMES[1:])
    print("\nratios p50 at %d / p50 at %d: %s; worst x%.2f (goal <= 1.5x: %s)"
          % (rows[-1]["size"], rows[0]["size"],
             ", ".join("%s x%.2f" % (n, big[n]["p50"] / ref[n]["p50"])
                       for n in NAMES), worst,
             "met" if worst <= 1.5 else "MISSED"))
    # The same ratios measured against /healthz of the same size: what
    # the store's size costs, with the machine's load at each moment
    # divided out.
    print("relative to /healthz (p50 / healthz p50 at %d, over the same "
          "at %d): %s" % (rows[-1]["size"], rows[0]["size"], ", ".join(
              "%s x%.2f" % (n, (big[n]["p50"] / big["healthz"]["p50"]) /
                            (ref[n]["p50"] / ref["healthz"]["p50"]))
              for n in NAMES[1:])), flush=True)


registry = rh.Registry()
pg_dir = None
try:
    digest = registry.push("bench/app", "v1", "scale")
    digest_ref = "%s/bench/app@%s" % (registry.host, digest)
    print("# store at scale, %d CPUs, sizes %s, image %s\n"
          % (os.cpu_count(), SIZES, digest_ref), flush=True)
    if WHICH in ("sqlite", "all"):
        d = tempfile.mkdtemp(prefix="vouch-scale-db-")
        try:
            bench("sqlite:" + os.path.join(d, "vouch.db"), "SQLite",
                  digest_ref)
        finally:
            if os.environ.get("SCALE_KEEP") != "1":
                shutil.rmtree(d, ignore_errors=True)
    if WHICH in ("postgres", "all"):
        url, pg_dir = rh.pg_start()
        bench(url, "PostgreSQL", digest_ref, pg_url=url)
finally:
    rh.pg_stop(pg_dir)
    registry.stop()
