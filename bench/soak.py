"""A mixed soak of vouchd: the body of bench/soak.sh (which says what it
does and which environment it reads). python3 soak.py sqlite|postgres."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

root = os.environ["VOUCH_SOURCE_ROOT"]
sys.path.insert(0, os.path.join(root, "tests", "e2e"))
import run_harness as rh  # noqa: E402

STORE = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
SECONDS = int(os.environ.get("SOAK_SECONDS", "600"))
ROUND = int(os.environ.get("SOAK_ROUND", "30"))
CONNS = os.environ.get("SOAK_CONNECTIONS", "4")
DELAY_MS = os.environ.get("SOAK_DELAY_MS", "10")
VOUCHD_THREADS = os.environ.get("VOUCHD_THREADS", "4")
WARMUP = int(os.environ.get("SOAK_WARMUP", "60"))  # seconds before memory and descriptors must be flat
RSS_SLACK = 1.10     # flat: within 10 % of the level after the warm-up
P = "p"
LOC = "/v2/projects/p/locations/us-central1"
SERVICES = 4

# One request per call, chosen by a counter: reads (policy, attestor,
# occurrence list), validations, deploys (PATCH of a service: a new
# revision), job executions and audit log reads. Every answer is
# counted by its status class; the run fails on any 5xx, or any answer
# that is not a 200.
MIX = r'''
-- Globals, not locals: done() reads them from each thread (thread:get).
counter = 0
tid = 0
s2, s4, s5, other = 0, 0, 0, 0
local threads = {}
local image = os.getenv("SOAK_IMAGE")
local loc = os.getenv("SOAK_LOC")
local f = assert(io.open(os.getenv("SOAK_VALIDATE"), "rb"))
local validate = f:read("*a")
f:close()
local json = {["Content-Type"] = "application/json"}
local kinds = {"read", "read", "read", "list", "validate", "validate",
               "deploy", "execute", "logs", "read"}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function delay()
  return tonumber(os.getenv("SOAK_DELAY_MS"))
end

function request()
  counter = counter + 1
  local k = kinds[(counter % #kinds) + 1]
  if k == "read" then
    if counter % 2 == 0 then
      return wrk.format("GET", "/v1/projects/p/policy")
    end
    return wrk.format("GET", "/v1/projects/p/attestors/built")
  elseif k == "list" then
    return wrk.format("GET", "/v1/projects/p/occurrences?pageSize=5")
  elseif k == "validate" then
    return wrk.format("POST", "/v1/projects/p/attestors/built:" ..
                      "validateAttestationOccurrence", json, validate)
  elseif k == "deploy" then
    local body = '{"binaryAuthorization":{"useDefault":true},"template":' ..
      '{"annotations":{"soak/n":"' .. tid .. "-" .. counter .. '"},' ..
      '"containers":[{"image":"' .. image .. '"}]}}'
    return wrk.format("PATCH", loc .. "/services/soak-" ..
                      ((counter + tid) % 4), json, body)
  elseif k == "execute" then
    return wrk.format("POST", loc .. "/jobs/soak:run", json, "{}")
  end
  return wrk.format("POST", "/v2/entries:list", json,
                    '{"resourceNames":["projects/p"],"pageSize":20}')
end

function response(status, headers, body)
  if status >= 500 then
    s5 = s5 + 1
    if s5 == 1 then io.stderr:write(status .. " " .. body:sub(1, 300) .. "\n") end
  elseif status >= 400 then
    s4 = s4 + 1
    if s4 == 1 then io.stderr:write(status .. " " .. body:sub(1, 300) .. "\n") end
  elseif status == 200 then
    s2 = s2 + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local t = {0, 0, 0, 0}
  for _, thread in ipairs(threads) do
    t[1] = t[1] + thread:get("s2")
    t[2] = t[2] + thread:get("s4")
    t[3] = t[3] + thread:get("s5")
    t[4] = t[4] + thread:get("other")
  end
  io.write(string.format("status 200 %d 4xx %d 5xx %d other %d\n",
                         t[1], t[2], t[3], t[4]))
end
'''


PARTS = ("RssAnon", "RssFile", "RssShmem")


def sample(pid):
    """VmRSS (kB), open descriptors, and the parts of VmRSS (heap and
    stacks; mapped files such as libraries; shared memory such as
    SQLite's WAL index), to tell what grew."""
    with open("/proc/%d/status" % pid) as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    parts = {k: int(fields[k].split()[0]) for k in PARTS if k in fields}
    return (int(fields["VmRSS"].split()[0]),
            len(os.listdir("/proc/%d/fd" % pid)), parts)


def fd_kinds(pid):
    """What the descriptors are: socket, pipe, anon_inode:…, or the
    file's name (vouch.db, vouch.db-wal, …), with counts."""
    kinds = {}
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        kind = target.split(":[")[0] if ":[" in target else \
            os.path.basename(target)
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def seed(daemon, work, digest_ref):
    att, note, key = rh.setup_attestor(daemon, P, work)
    rh.set_policy(daemon, P, "REQUIRE_ATTESTATION", [att])
    occ = rh.attest(daemon, P, digest_ref, note, key)
    if occ is None:
        st, page = daemon.request("GET", "/v1/projects/%s/occurrences" % P)
        occ = page["occurrences"][0]
    validate = os.path.join(work, "validate.json")
    with open(validate, "w") as f:
        json.dump({"attestation": occ["attestation"],
                   "occurrenceNote": occ["noteName"],
                   "occurrenceResourceUri": occ["resourceUri"]}, f)
    body = {"binaryAuthorization": {"useDefault": True},
            "template": {"containers": [{"image": digest_ref}]}}
    for i in range(SERVICES):
        st, op = daemon.request(
            "POST", LOC + "/services?serviceId=soak-%d" % i, body)
        assert st == 200 and "error" not in op, op
    st, op = daemon.request("POST", LOC + "/jobs?jobId=soak", {
        "binaryAuthorization": {"useDefault": True},
        "template": {"template": {"containers": [{"image": digest_ref}]}}})
    assert st == 200 and "error" not in op, op
    return validate


def soak(url, digest_ref):
    work = tempfile.mkdtemp(prefix="vouch-soak-")
    daemon = rh.Daemon(url, work, ["--threads", VOUCHD_THREADS,
                                   "--registry-insecure",
                                   digest_ref.split("/")[0],
                                   "--runtime", "none"]).start()
    pid = daemon.proc.pid
    samples = []      # (t, rss kB, fds, parts), every second, under load
    quiet = []        # (t, rss, fds, fd kinds) between rounds, no client
    totals = [0, 0, 0, 0]
    stop = threading.Event()
    script = os.path.join(work, "mix.lua")
    with open(script, "w") as f:
        f.write(MIX)
    try:
        validate = seed(daemon, work, digest_ref)
        t0 = time.monotonic()

        def sampler():
            while not stop.is_set():
                rss, fds, parts = sample(pid)
                samples.append((time.monotonic() - t0, rss, fds, parts))
                stop.wait(1.0)
        th = threading.Thread(target=sampler, daemon=True)
        th.start()
        env = dict(os.environ, SOAK_IMAGE=digest_ref, SOAK_LOC=LOC,
                   SOAK_VALIDATE=validate, SOAK_DELAY_MS=DELAY_MS)
        rounds = 0
        while time.monotonic() - t0 < SECONDS:
            left = SECONDS - (time.monotonic() - t0)
            dur = max(1, min(ROUND, int(left)))
            out = subprocess.run(
                ["wrk", "-t2", "-c" + CONNS, "-d%ds" % dur, "-s", script,
                 daemon.url], capture_output=True, text=True, env=env,
                check=True)
            line = [ln for ln in out.stdout.splitlines()
                    if ln.startswith("status 200")]
            if not line:
                sys.exit("soak: wrk printed no counts\n" + out.stdout +
                         out.stderr)
            n = [int(x) for x in line[0].split()[2::2]]
            totals = [a + b for a, b in zip(totals, n)]
            rounds += 1
            time.sleep(1.0)    # the connections close: a quiet sample
            rss, fds, parts = sample(pid)
            quiet.append((time.monotonic() - t0, rss, fds, fd_kinds(pid)))
            print("soak %s: t=%4.0fs round %d: %s; rss %d kB, fds %d, "
                  "load %.1f" % (STORE, quiet[-1][0], rounds, line[0], rss,
                                 fds, os.getloadavg()[0]), flush=True)
            if n[1] + n[2] + n[3] > 0:
                # wrk's stderr has the first such answer (status, body).
                print("soak: the first answer that was not a 200: %s"
                      % out.stderr.strip()[:400], flush=True)
            if n[2] > 0:
                sys.exit("soak: %d answers were 5xx" % n[2])
        stop.set()
        th.join()
        rc = daemon.proc.poll()
        if rc is not None:
            sys.exit("soak: vouchd exited (%s)" % rc)
    finally:
        stop.set()
        daemon.stop()
        shutil.rmtree(work, ignore_errors=True)
    return report(samples, quiet, totals)


def report(samples, quiet, totals):
    after = [s for s in samples if s[0] >= WARMUP]
    qafter = [q for q in quiet if q[0] >= WARMUP]
    if not after or not qafter:
        print("soak: shorter than the %ds warm-up: no verdict" % WARMUP)
        return 0
    base_rss = after[0][1]
    max_rss = max(s[1] for s in after)
    end_rss = after[-1][1]
    base_fd = qafter[0][2]
    end_fd = qafter[-1][2]
    max_fd_load = max(s[2] for s in after)
    print("\n## soak %s: %d s, wrk -t2 -c%s with %s ms between requests, "
          "vouchd --threads %s\n" % (STORE, SECONDS, CONNS, DELAY_MS,
                                     VOUCHD_THREADS))
    print("answers: 200 %d, 4xx %d, 5xx %d, other %d" % tuple(totals))
    print("RSS: %d kB at %ds, max %d kB after it (x%.3f), %d kB at the end "
          "(x%.3f); first sample %d kB"
          % (base_rss, WARMUP, max_rss, max_rss / base_rss, end_rss,
             end_rss / base_rss, samples[0][1]))
    print("parts of VmRSS at %ds -> end (kB): %s" % (WARMUP, ", ".join(
        "%s %d -> %d" % (k, after[0][3][k], after[-1][3][k])
        for k in PARTS if k in after[0][3] and k in after[-1][3])))
    print("fds between rounds: %d after the warm-up, %d at the end "
          "(max under load %d)" % (base_fd, end_fd, max_fd_load))
    a, b = qafter[0][3], qafter[-1][3]
    print("fds by kind after the warm-up -> end: %s" % ", ".join(
        "%s %d -> %d" % (k, a.get(k, 0), b.get(k, 0))
        for k in sorted(set(a) | set(b))))
    # The store's pool opens connections lazily (each one: the database
    # and its WAL), up to its size; any other descriptor must not grow.
    pool = ("vouch.db", "vouch.db-wal")
    others_base = sum(v for k, v in a.items() if k not in pool)
    others_end = sum(v for k, v in b.items() if k not in pool)
    ok = (totals[2] == 0 and max_rss <= base_rss * RSS_SLACK and
          others_end <= others_base)
    print("verdict: %s (zero 5xx; RSS within 10%% of its level after %ds; "
          "no descriptor growth but the pool's database files)%s" % (
              "met" if ok else "MISSED", WARMUP,
              "" if totals[1] + totals[3] == 0 else
              "; and %d answers were neither 200 nor 5xx (the first is "
              "shown above)" % (totals[1] + totals[3])), flush=True)
    return 0 if ok else 1


registry = rh.Registry()
pg_dir = None
d = None
rc = 1
try:
    digest = registry.push("bench/app", "v1", "soak")
    digest_ref = "%s/bench/app@%s" % (registry.host, digest)
    if STORE == "postgres":
        url, pg_dir = rh.pg_start()
    else:
        d = tempfile.mkdtemp(prefix="vouch-soak-db-")
        url = "sqlite:" + os.path.join(d, "vouch.db")
    rc = soak(url, digest_ref)
finally:
    if pg_dir is None and d is not None:
        shutil.rmtree(d, ignore_errors=True)
    rh.pg_stop(pg_dir)
    registry.stop()
sys.exit(rc)
