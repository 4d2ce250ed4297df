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
# and prints requests/s, p50 and p99 latency, each also as a ratio to
# /healthz in the same run. Goal: GET policy >= 50% of /healthz requests/s.
#
# Environment: BENCH_DURATION (default 10s), BENCH_CONNECTIONS (32),
# BENCH_THREADS (wrk threads, 2), VOUCHD_THREADS (vouchd --threads, 4).
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
    call POST /v1/projects/p/occurrences "$work/occurrence.json"
    call POST /v1/projects/p/attestors/a:validateAttestationOccurrence "$work/validate.json"
    grep -q '"VERIFIED"' "$work/answer" || {
        echo "bench_server: the seeded attestation does not verify: $(cat "$work/answer")" >&2
        exit 1
    }
}

# wrk_run NAME PATH [LUA]: prints "NAME RPS P50_MS P99_MS".
wrk_run() {
    if [ $# -ge 3 ]; then
        VOUCH_BENCH_BODY="$work/validate.json" wrk -t"$WRK_THREADS" -c"$CONNS" \
            -d"$DURATION" --latency -s "$3" "$url$2" > "$work/wrk.out"
        if ! grep -q '^not_verified 0$' "$work/wrk.out"; then
            echo "bench_server: $1: some answers were not VERIFIED" >&2
            cat "$work/wrk.out" >&2
            exit 1
        fi
    else
        wrk -t"$WRK_THREADS" -c"$CONNS" -d"$DURATION" --latency "$url$2" \
            > "$work/wrk.out"
    fi
    if grep -q 'Non-2xx' "$work/wrk.out"; then
        echo "bench_server: $1: non-2xx answers" >&2
        cat "$work/wrk.out" >&2
        exit 1
    fi
    awk -v name="$1" '
        function ms(v) {
            if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
            if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
            if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
            return v
        }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        $1 == "Requests/sec:" { rps = $2 }
        END { printf "%s %.0f %.3f %.3f\n", name, rps, p50, p99 }
    ' "$work/wrk.out"
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
        wrk_run validate /v1/projects/p/attestors/a:validateAttestationOccurrence \
            "$here/validate.lua"
    } > "$work/results"
    stop_vouchd
    echo "## $label (vouchd --threads $VOUCHD_THREADS; wrk -t$WRK_THREADS -c$CONNS -d$DURATION --latency)"
    echo
    awk '
        NR == 1 { base_rps = $2; base50 = $3; base99 = $4 }
        { printf "| %-12s | %9s req/s (%5.1f%%) | p50 %8.3f ms (x%.2f) | p99 %8.3f ms (x%.2f) |\n",
                 $1, $2, 100 * $2 / base_rps, $3, $3 / base50, $4, $4 / base99 }
        $1 == "get_policy" { ratio = $2 / base_rps }
        END { printf "\nGET policy / healthz throughput: %.1f%% (goal >= 50%%): %s\n\n",
                     100 * ratio, (ratio >= 0.5 ? "met" : "NOT met") }
    ' "$work/results"
}

echo "# vouchd benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs"
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
