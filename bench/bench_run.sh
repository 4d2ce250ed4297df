#!/bin/sh
# The run platform under load (figures in bench/RUN.md).
#
#   bench/bench_run.sh BUILD [sqlite|postgres|all]
#
# Starts a real docker-registry on 127.0.0.1 (tests/registry/harness.py)
# with one pushed image, and BUILD/src/daemon/vouchd (--runtime none) on a
# free loopback port, SQLite in a temp directory and/or PostgreSQL through
# tests/store/pg_harness.sh. Seeds a note, an attestor (ECDSA P-256), a
# policy REQUIRE_ATTESTATION by it, one attestation of the image (signed
# with BUILD/src/cli/vouch attestations sign), 8 services and one job with
# Binary Authorization on and the image by digest, then runs wrk
# (-t2 -c8, BENCH_DURATION, default 10s, --latency) with Lua scripts for
#
#   get_policy  GET  /v1/projects/p/policy
#   deploy      PATCH …/services/bench-N (N = request mod 8), each with a new
#               template annotation, so each makes and checks a revision:
#               registry lookup (cached), policy read, attestation
#               verification (verify cache warm), revision + operation
#               writes; every answer must be a done operation without
#               error, or the run fails
#   execute     POST …/jobs/batch:run: an execution, checked and recorded
#               (runtime none: done at once); same check
#   get_policy_c1, deploy_c1  the same with one connection (-t1 -c1): the
#               latency of one deploy decision without queueing behind
#               other writers
#
# and prints requests/s and p50/p99 latency, each also as a ratio to
# get_policy (the _c1 lines to get_policy_c1) in the same run. wrk is the client; each Lua script
# counts answers that are not a successful operation and the run fails
# if any is.
set -eu

BUILD=${1:?usage: bench_run.sh BUILD [sqlite|postgres|all]}
WHICH=${2:-all}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
for tool in wrk python3 openssl; do
    command -v $tool >/dev/null || {
        echo "bench_run: needs $tool" >&2; exit 2; }
done
[ -x "$BUILD/src/daemon/vouchd" ] || {
    echo "bench_run: no $BUILD/src/daemon/vouchd" >&2; exit 2; }
[ -x "$BUILD/src/cli/vouch" ] || {
    echo "bench_run: no $BUILD/src/cli/vouch" >&2; exit 2; }

VOUCHD=$BUILD/src/daemon/vouchd VOUCH_CLI=${VOUCH_CLI:-$BUILD/src/cli/vouch} \
VOUCH_SOURCE_ROOT=$root exec python3 - "$WHICH" <<'PY'
import json
import os
import subprocess
import sys
import tempfile

root = os.environ["VOUCH_SOURCE_ROOT"]
sys.path.insert(0, os.path.join(root, "tests", "e2e"))
import run_harness as rh  # noqa: E402

WHICH = sys.argv[1]
DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNS = os.environ.get("BENCH_CONNECTIONS", "8")
THREADS = os.environ.get("BENCH_THREADS", "2")
VOUCHD_THREADS = os.environ.get("VOUCHD_THREADS", "4")
P = "p"
LOC = "/v2/projects/p/locations/us-central1"
SERVICES = 8

# Each script: a request per call, and a count of answers that are not a
# done operation without error ("bad N" at the end).
CHECK = r'''
local bad = 0
function response(status, headers, body)
  if status ~= 200 or not body:find('"done": *true') or
     body:find('"error"', 1, true) then
    bad = bad + 1
    if bad == 1 then io.stderr:write(status .. " " .. body:sub(1, 300) .. "\n") end
  end
end
function done(summary, latency, requests)
  io.write(string.format("bad %d\n", bad))
end
'''
DEPLOY = r'''
local counter = 0
local image = os.getenv("BENCH_IMAGE")
local prefix = os.getenv("BENCH_LOC")
local tid = 0
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function request()
  counter = counter + 1
  local svc = "bench-" .. ((counter + tid) % 8)
  local body = '{"binaryAuthorization":{"useDefault":true},"template":' ..
    '{"annotations":{"bench/n":"' .. tid .. "-" .. counter .. '"},' ..
    '"containers":[{"image":"' .. image .. '"}]}}'
  return wrk.format("PATCH", prefix .. "/services/" .. svc,
                    {["Content-Type"] = "application/json"}, body)
end
''' + CHECK
EXECUTE = r'''
wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
''' + CHECK


def wrk(work, name, url, script=None, env=None, serial=False):
    cmd = ["wrk", "-t" + ("1" if serial else THREADS),
           "-c" + ("1" if serial else CONNS), "-d" + DURATION,
           "--latency", url]
    if script is not None:
        path = os.path.join(work, name + ".lua")
        with open(path, "w") as f:
            f.write(script)
        cmd[1:1] = ["-s", path]
    out = subprocess.run(cmd, capture_output=True, text=True,
                         env=dict(os.environ, **(env or {})), check=True)
    text = out.stdout
    if "Non-2xx" in text or ("bad " in text and "bad 0" not in text):
        sys.exit("bench_run: %s: failed answers\n%s%s"
                 % (name, text, out.stderr))

    def ms(v):
        for suffix, mult in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
            if v.endswith(suffix):
                return float(v[:-len(suffix)]) * mult
        return float(v)
    res = {"name": name}
    for line in text.splitlines():
        parts = line.split()
        if parts[:1] == ["50%"]:
            res["p50"] = ms(parts[1])
        elif parts[:1] == ["99%"]:
            res["p99"] = ms(parts[1])
        elif parts[:1] == ["Requests/sec:"]:
            res["rps"] = float(parts[1])
    return res


def bench(store, label, registry, digest_ref):
    work = tempfile.mkdtemp(prefix="vouch-bench-run-")
    daemon = rh.Daemon(store, work, ["--threads", VOUCHD_THREADS,
                                     "--registry-insecure", registry.host,
                                     "--runtime", "none"]).start()
    try:
        att, note, key = rh.setup_attestor(daemon, P, work)
        rh.set_policy(daemon, P, "REQUIRE_ATTESTATION", [att])
        rh.attest(daemon, P, digest_ref, note, key)
        body = {"binaryAuthorization": {"useDefault": True},
                "template": {"containers": [{"image": digest_ref}]}}
        for i in range(SERVICES):
            st, op = daemon.request(
                "POST", LOC + "/services?serviceId=bench-%d" % i, body)
            assert st == 200 and "error" not in op, op
        st, op = daemon.request("POST", LOC + "/jobs?jobId=batch", {
            "binaryAuthorization": {"useDefault": True},
            "template": {"template": {"containers": [
                {"image": digest_ref}]}}})
        assert st == 200 and "error" not in op, op
        st, op = daemon.request("POST", LOC + "/jobs/batch:run", {})
        assert st == 200 and "error" not in op, op
        base = daemon.url
        results = [
            wrk(work, "get_policy", base + "/v1/projects/p/policy"),
            wrk(work, "deploy", base + LOC + "/services/bench-0", DEPLOY,
                {"BENCH_IMAGE": digest_ref, "BENCH_LOC": LOC}),
            wrk(work, "execute", base + LOC + "/jobs/batch:run", EXECUTE),
            wrk(work, "get_policy_c1", base + "/v1/projects/p/policy",
                serial=True),
            wrk(work, "deploy_c1", base + LOC + "/services/bench-0", DEPLOY,
                {"BENCH_IMAGE": digest_ref, "BENCH_LOC": LOC}, serial=True),
        ]
        # Every deploy made a revision that was admitted by the attestation.
        st, page = daemon.request(
            "GET", LOC + "/services/bench-1/revisions?pageSize=2")
        rev = page["revisions"][0]
        dec = json.loads(rev["annotations"][
            "run.googleapis.com/binary-authorization-decision"])
        assert dec["decision"] == "ALLOW", dec
    finally:
        daemon.stop()
    print("## %s (vouchd --threads %s; wrk -t%s -c%s -d%s --latency)\n"
          % (label, VOUCHD_THREADS, THREADS, CONNS, DURATION))
    print("| request | req/s | p50 ms | p99 ms | p50 / get_policy | "
          "p99 / get_policy |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in results:
        ref = results[3] if r["name"].endswith("_c1") else results[0]
        print("| %s | %.0f | %.3f | %.3f | x%.2f | x%.2f |"
              % (r["name"], r["rps"], r["p50"], r["p99"],
                 r["p50"] / ref["p50"], r["p99"] / ref["p99"]))
    print("\nexecutions started per second: %.0f\n" % results[2]["rps"])


registry = rh.Registry()
pg_dir = None
try:
    digest = registry.push("bench/app", "v1", "bench")
    digest_ref = "%s/bench/app@%s" % (registry.host, digest)
    print("# run platform benchmark, %s CPUs, image %s\n"
          % (os.cpu_count(), digest_ref))
    if WHICH in ("sqlite", "all"):
        d = tempfile.mkdtemp(prefix="vouch-bench-run-db-")
        bench("sqlite:" + os.path.join(d, "vouch.db"), "SQLite", registry,
              digest_ref)
    if WHICH in ("postgres", "all"):
        url, pg_dir = rh.pg_start()
        bench(url, "PostgreSQL", registry, digest_ref)
finally:
    rh.pg_stop(pg_dir)
    registry.stop()
PY
