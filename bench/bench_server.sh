#!/bin/sh
# vouchd throughput and latency with wrk (bench/SERVER.md has the figures).
#
#   bench/bench_server.sh BUILD [sqlite|postgres|all]
#
# Starts BUILD/src/daemon/vouchd on a free loopback port (SQLite in a temp
# directory; PostgreSQL through tests/store/pg_harness.sh when it exists),
# seeds a note, an attestor with an ECDSA P-256 key, a policy requiring it
# and one attestation, then runs `wrk -t2 -c32 -d10s --latency` against
#   GET  /healthz
#   GET  /v1/projects/p/policy
#   POST /v1/projects/p/attestors/a:validateAttestationOccurrence
#        (validate: one attestation again and again, the verify cache warm;
#         validate_cold: a different signature every request, each a miss)
# and /healthz again, and prints requests/s, p50 and p99 latency, each
# also as a ratio to the mean of the two /healthz runs, vouchd's CPU time
# per request, and the verify cache's hit rate of each
# validate run (from /metrics). Goals: GET policy >= 50% of /healthz
# requests/s; validate >= 50% of /healthz; validate_cold >= 1.0x the
# ECDSA P-256 verifications per second of one core (`openssl speed
# ecdsap256`, the mean of a measure just before and one just after the
# cold run). It also prints the cold run's capacity from vouchd's CPU
# time alone: what the cores would carry if wrk did not share them.
#
# Environment: BENCH_DURATION (default 10s), BENCH_CONNECTIONS (32),
# BENCH_THREADS (wrk threads, 2), VOUCHD_THREADS (vouchd --threads, 4),
# BENCH_COLD_BODIES (distinct signed requests of validate_cold, 16384:
# four times the verify cache's 4096 entries).
set -eu

BUILD=${1:?usage: bench_server.sh BUILD [sqlite|postgres|all]}
WHICH=${2:-all}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
VOUCHD=$BUILD/src/daemon/vouchd
VOUCH=$BUILD/src/cli/vouch
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-32}
WRK_THREADS=${BENCH_THREADS:-2}
VOUCHD_THREADS=${VOUCHD_THREADS:-4}
COLD_BODIES=${BENCH_COLD_BODIES:-16384}
CLK_TCK=$(getconf CLK_TCK)
IMAGE=us-docker.pkg.dev/p/repo/app@sha256:$(printf 'ab%.0s' $(seq 32))

for tool in wrk curl openssl python3; do
    command -v $tool >/dev/null || { echo "bench_server: needs $tool" >&2; exit 2; }
done
[ -x "$VOUCHD" ] || { echo "bench_server: no $VOUCHD" >&2; exit 2; }
[ -x "$VOUCH" ] || { echo "bench_server: no $VOUCH" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vouch-bench.XXXXXX")
pid=
pgdir=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    if [ -n "$pgdir" ]; then "$root/tests/store/pg_harness.sh" stop "$pgdir" >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# call METHOD PATH [BODY-FILE]: fail loudly unless 200.
call() {
    if [ $# -ge 3 ]; then
        code=$(curl -s -o "$work/answer" -w '%{http_code}' -X "$1" \
            -H 'Content-Type: application/json' --data-binary "@$3" "$url$2")
    else
        code=$(curl -s -o "$work/answer" -w '%{http_code}' -X "$1" "$url$2")
    fi
    if [ "$code" != 200 ]; then
        echo "bench_server: $1 $2 answered $code: $(cat "$work/answer")" >&2
        exit 1
    fi
}

seed() {
    openssl ecparam -name prime256v1 -genkey -noout -out "$work/ec.pem" 2>/dev/null
    openssl pkey -in "$work/ec.pem" -pubout -out "$work/ec.pub"
    "$VOUCH" attestations create-signature-payload --artifact-url "$IMAGE" \
        > "$work/payload.json"
    openssl dgst -sha256 -sign "$work/ec.pem" -out "$work/sig" "$work/payload.json"
    python3 - "$work" "$IMAGE" <<'PY'
import base64, json, sys
work, image = sys.argv[1], sys.argv[2]
pem = open(work + "/ec.pub").read()
b64 = lambda p: base64.b64encode(open(p, "rb").read()).decode()
att = {"serializedPayload": b64(work + "/payload.json"),
       "signatures": [{"signature": b64(work + "/sig"), "publicKeyId": ""}]}
def dump(name, doc):
    with open(work + "/" + name, "w") as f:
        json.dump(doc, f)
dump("note.json", {"attestation": {"hint": {"humanReadableName": "n"}}})
dump("attestor.json", {"userOwnedGrafeasNote": {
    "noteReference": "projects/p/notes/n",
    "publicKeys": [{"pkixPublicKey": {"publicKeyPem": pem,
                    "signatureAlgorithm": "ECDSA_P256_SHA256"}}]}})
dump("policy.json", {"globalPolicyEvaluationMode": "ENABLE",
    "admissionWhitelistPatterns": [{"namePattern": "gcr.io/distroless/*"}],
    "defaultAdmissionRule": {"evaluationMode": "REQUIRE_ATTESTATION",
        "enforcementMode": "ENFORCED_BLOCK_AND_AUDIT_LOG",
        "requireAttestationsBy": ["projects/p/attestors/a"]}})
dump("att.json", att)
PY
    call POST '/v1/projects/p/notes?noteId=n' "$work/note.json"
    call POST '/v1/projects/p/attestors?attestorId=a' "$work/attestor.json"
    keyid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["userOwnedGrafeasNote"]["publicKeys"][0]["id"])' "$work/answer")
    call PUT /v1/projects/p/policy "$work/policy.json"
    python3 - "$work" "$IMAGE" "$keyid" <<'PY'
import json, sys
work, image, keyid = sys.argv[1:4]
att = json.load(open(work + "/att.json"))
att["signatures"][0]["publicKeyId"] = keyid
json.dump({"kind": "ATTESTATION", "noteName": "projects/p/notes/n",
           "resourceUri": image, "attestation": att},
          open(work + "/occurrence.json", "w"))
json.dump({"attestation": att, "occurrenceNote": "projects/p/notes/n",
           "occurrenceResourceUri": image}, open(work + "/validate.json", "w"))
PY
    # validate_cold's bodies: the same payload signed again and again
    # (ECDSA signatures are random, so each is a new verify cache key).
    python3 - "$work" "$IMAGE" "$keyid" "$COLD_BODIES" <<'PY'
import base64, json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
work, image, keyid, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
key = serialization.load_pem_private_key(open(work + "/ec.pem", "rb").read(), None)
payload = open(work + "/payload.json", "rb").read()
b64 = lambda b: base64.b64encode(b).decode()
seen = set()
with open(work + "/validate_cold.txt", "w") as f:
    for _ in range(count):
        sig = key.sign(payload, ec.ECDSA(hashes.SHA256()))
        if sig in seen:
            sys.exit("bench_server: the same signature twice")
        seen.add(sig)
        att = {"serializedPayload": b64(payload),
               "signatures": [{"signature": b64(sig), "publicKeyId": keyid}]}
        f.write(json.dumps({"attestation": att,
                            "occurrenceNote": "projects/p/notes/n",
                            "occurrenceResourceUri": image}) + "\n")
PY
    call POST /v1/projects/p/occurrences "$work/occurrence.json"
    call POST /v1/projects/p/attestors/a:validateAttestationOccurrence "$work/validate.json"
    grep -q '"VERIFIED"' "$work/answer" || {
        echo "bench_server: the seeded attestation does not verify: $(cat "$work/answer")" >&2
        exit 1
    }
}

# vouchd_cpu: vouchd's CPU time so far (user + system), in clock ticks.
vouchd_cpu() {
    awk '{ print $14 + $15 }' "/proc/$pid/stat"
}

# timed CMD...: runs CMD, appending its CPU time (user + system, seconds)
# to the output as a line "cpu_seconds S".
timed() {
    python3 -c 'import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:]).returncode
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("cpu_seconds %.3f" % (r.ru_utime + r.ru_stime), flush=True)
sys.exit(rc)' "$@"
}

# wrk_run NAME PATH [LUA]: prints "NAME RPS P50_MS P99_MS CPU_US WRK_US":
# vouchd's and wrk's CPU time per request (user + system, µs). On a
# machine other work loads they are steadier than requests/s, and while
# wrk and vouchd share the cores, wrk's part bounds the ratios.
wrk_run() {
    cpu_before=$(vouchd_cpu)
    if [ $# -ge 3 ]; then
        VOUCH_BENCH_BODY="$work/validate.json" \
        VOUCH_BENCH_BODIES="$work/validate_cold.txt" \
        VOUCH_BENCH_THREADS="$WRK_THREADS" \
            timed wrk -t"$WRK_THREADS" -c"$CONNS" -d"$DURATION" --latency \
            -s "$3" "$url$2" > "$work/wrk.out"
    else
        timed wrk -t"$WRK_THREADS" -c"$CONNS" -d"$DURATION" --latency \
            "$url$2" > "$work/wrk.out"
    fi
    cpu_after=$(vouchd_cpu)
    if grep -q 'Non-2xx' "$work/wrk.out"; then
        echo "bench_server: $1: non-2xx answers" >&2
        cat "$work/wrk.out" >&2
        exit 1
    fi
    awk -v name="$1" -v ticks=$((cpu_after - cpu_before)) -v hz="$CLK_TCK" '
        function ms(v) {
            if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
            if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
            if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
            return v
        }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        $1 == "Requests/sec:" { rps = $2 }
        $2 == "requests" && $3 == "in" { n = $1 }
        $1 == "cpu_seconds" { wrk_s = $2 }
        END { printf "%s %.0f %.3f %.3f %.1f %.1f\n", name, rps, p50, p99,
                     (n > 0 ? 1e6 * ticks / hz / n : 0),
                     (n > 0 ? 1e6 * wrk_s / n : 0) }
    ' "$work/wrk.out"
}

# counters: prints "HITS MISSES VERIFIED OTHER" from one read of
# vouchd's /metrics: the verify cache's hits and misses, and the
# decisions so far that were VERIFIED and that were anything else.
counters() {
    curl -sf "$url/metrics" | awk '
        $1 == "vouchd_verify_cache_hits_total" { h = $2 }
        $1 == "vouchd_verify_cache_misses_total" { m = $2 }
        $1 ~ /^vouchd_decisions_total[{]/ {
            if ($1 ~ /outcome="VERIFIED"/) v += $2; else o += $2 }
        END { printf "%d %d %d %d\n", h, m, v, o }'
}

# validate_run NAME LUA: wrk_run of validate with the verify cache's hit
# rate over the run appended ("NAME RPS P50 P99 CPU_US WRK_US HIT%").
# Every answer is checked: wrk_run fails on any answer that is not 2xx,
# and here the run fails unless vouchd decided VERIFIED at least as many
# times as wrk counted answers and decided nothing else (the scripts
# leave the answers' bodies unread, see bench/validate.lua).
validate_run() {
    before=$(counters)
    line=$(wrk_run "$1" /v1/projects/p/attestors/a:validateAttestationOccurrence "$2")
    after=$(counters)
    answers=$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$work/wrk.out")
    echo "$before $after $answers" | awk -v name="$1" '{
        verified = $7 - $3; other = $8 - $4
        if (other != 0 || verified < $9 || $9 == 0) {
            printf "bench_server: %s: %d answers, %d VERIFIED decisions, " \
                   "%d others\n", name, $9, verified, other > "/dev/stderr"
            exit 1
        } }' || exit 1
    echo "$line $before $after" | awk '{
        h = $11 - $7; m = $12 - $8
        printf "%s %s %s %s %s %s %.1f\n", $1, $2, $3, $4, $5, $6,
               (h + m > 0 ? 100 * h / (h + m) : 0) }'
}

# verify_rate: one core's ECDSA P-256 verifications per second (CPU
# time, as openssl speed counts), the reference of validate_cold.
verify_rate() {
    rate=$(openssl speed -seconds 3 ecdsap256 2>/dev/null |
        awk '/ecdsa \(nistp256\)/ { print $NF; exit }')
    if [ -z "$rate" ]; then
        echo "bench_server: could not read openssl speed's verify/s" >&2
        exit 2
    fi
    echo "$rate"
}

# SIGTERM, then at most 10 s for a clean exit; a hang is reported (and
# makes the run fail at the end) instead of blocking the benchmark.
stuck=0
stop_vouchd() {
    kill "$pid"
    i=0
    while state=$(ps -o stat= -p "$pid" 2>/dev/null) &&
          [ "${state#Z}" = "$state" ]; do
        i=$((i + 1))
        if [ $i -gt 100 ]; then
            echo "bench_server: vouchd did not stop within 10 s of SIGTERM;" \
                 "killed (store $store)" >&2
            kill -9 "$pid" 2>/dev/null || true
            stuck=1
            break
        fi
        sleep 0.1
    done
    wait "$pid" 2>/dev/null || true
    pid=
}

bench_store() {
    store=$1
    label=$2
    port=$(free_port)
    url=http://127.0.0.1:$port
    "$VOUCHD" --listen "127.0.0.1:$port" --store "$store" \
        --threads "$VOUCHD_THREADS" --access-log /dev/null \
        > "$work/vouchd.log" 2>&1 &
    pid=$!
    i=0
    until curl -sf "$url/healthz" >/dev/null 2>&1; do
        i=$((i + 1))
        if [ $i -gt 200 ] || ! kill -0 "$pid" 2>/dev/null; then
            echo "bench_server: vouchd did not start:" >&2
            cat "$work/vouchd.log" >&2
            exit 1
        fi
        sleep 0.05
    done
    seed
    {
        wrk_run healthz /healthz
        wrk_run get_policy /v1/projects/p/policy
        validate_run validate "$here/validate.lua"
        # The reference just before and just after the run it measures:
        # the machine's speed drifts by several per cent within minutes.
        before_rate=$(verify_rate)
        validate_run validate_cold "$here/validate_cold.lua"
        after_rate=$(verify_rate)
        echo "openssl $before_rate $after_rate"
        wrk_run healthz /healthz
    } > "$work/results"
    stop_vouchd
    echo "## $label (vouchd --threads $VOUCHD_THREADS; wrk -t$WRK_THREADS -c$CONNS -d$DURATION --latency)"
    echo
    # The reference is the mean of the two /healthz runs, the first and
    # the last: other work on the machine drifts during a run.
    awk -v cores="$(nproc)" '
        NR == FNR { if ($1 == "healthz") { n++; r += $2; l50 += $3; l99 += $4; c += $5 }
                    if ($1 == "openssl") { vs = ($2 + $3) / 2; vs1 = $2; vs2 = $3 }
                    next }
        FNR == 1 { base_rps = r / n; base50 = l50 / n; base99 = l99 / n; base_cpu = c / n
                   printf "openssl speed ecdsap256, one core: %.0f verify/s before validate_cold, %.0f after, mean %.0f\n\n", vs1, vs2, vs }
        $1 == "openssl" { next }
        { printf "| %-13s | %9s req/s (%5.1f%%) | p50 %8.3f ms (x%.2f) | p99 %8.3f ms (x%.2f) | vouchd CPU %6.1f us/req (x%.2f) | wrk CPU %5.1f us/req |",
                 $1, $2, 100 * $2 / base_rps, $3, $3 / base50, $4, $4 / base99,
                 $5, $5 / base_cpu, $6 }
        NF >= 7 { printf " verify cache hits %5.1f%% |", $7 }
        { printf "\n" }
        $1 == "get_policy" { ratio = $2 / base_rps }
        $1 == "validate" { warm = $2 / base_rps }
        $1 == "validate_cold" { cold = $2 / vs; cold_cpu = $5; cold_wrk = $6 }
        END {
            printf "\n(percentages and x: against the mean of the two healthz runs, %.0f req/s)\n", base_rps
            printf "GET policy / healthz throughput: %.1f%% (goal >= 50%%): %s\n",
                   100 * ratio, (ratio >= 0.5 ? "met" : "MISSED")
            printf "validate (warm) / healthz throughput: %.2f (goal >= 0.5): %s\n",
                   warm, (warm >= 0.5 ? "met" : "MISSED")
            printf "validate_cold / openssl ecdsap256 verify/s of one core (%.0f): %.2f (goal >= 1.0): %s\n",
                   vs, cold, (cold >= 1.0 ? "met" : "MISSED")
            # What the cores would carry were they vouchd'"'"'s alone: wrk
            # shares them here, at a cost per request printed beside it.
            cap = cores * 1e6 / cold_cpu
            printf "validate_cold capacity, vouchd'"'"'s CPU alone: %d cores / %.1f us per request = %.0f req/s = %.2f x one core'"'"'s verify/s (wrk took %.1f us per request of the same cores)\n\n",
                   cores, cold_cpu, cap, cap / vs, cold_wrk
        }
    ' "$work/results" "$work/results"
}

echo "# vouchd benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
if [ "$WHICH" = sqlite ] || [ "$WHICH" = all ]; then
    bench_store "sqlite:$work/vouch.db" "SQLite"
fi
if [ "$WHICH" = postgres ] || [ "$WHICH" = all ]; then
    if [ -x "$root/tests/store/pg_harness.sh" ]; then
        out=$("$root/tests/store/pg_harness.sh" start)
        pgurl=$(echo "$out" | sed -n 1p)
        pgdir=$(echo "$out" | sed -n 2p)
        bench_store "$pgurl" "PostgreSQL (tests/store/pg_harness.sh)"
    else
        echo "(PostgreSQL skipped: tests/store/pg_harness.sh is not there)"
    fi
fi
if [ "$stuck" = 1 ]; then
    exit 1
fi
