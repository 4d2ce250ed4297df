#!/bin/sh
# Run the benchmarks of BUILD (default: build) with their in-run reference.
#
#   sh bench/run.sh [BUILD]      (what `make bench` does)
#
# 1. `openssl speed -seconds 3 ecdsap256`: verifications per second of
#    OpenSSL itself on this machine, the reference for a cold decision.
# 2. Every bench binary that exists in BUILD/bench/ (bench_pattern,
#    bench_policy_parse, bench_decision, bench_audit_list), each printing
#    "bench_<name>: <figure> <value> <unit>" lines; bench_audit_list
#    prints its own ratios (to a typical entries:list filter measured in
#    the same run; README.md, "bench_audit_list").
# 3. The ratios: cold decision time / openssl verify time (goal < 1.3x),
#    warm decisions per second / openssl verifications per second (goal
#    >= 150x), both in CPU time as openssl counts, and bench_policy_parse's
#    JSON read straight into the model against the old position-keeping
#    read.
# 4. With vouchd built: bench_server.sh (wrk against /healthz, GET policy,
#    validateAttestationOccurrence warm and cold; SERVER.md; it prints its
#    ratios: GET policy and warm validate / healthz, cold validate /
#    openssl verify/s of one core), bench_run.sh (deploy
#    decisions and job executions; RUN.md), on both stores, and
#    bench_k8s.sh (the Kubernetes webhook's p99 at 1,000 requests/s
#    against /healthz paced the same way; README.md, "bench_k8s").
# 5. Only with BENCH_SCALE=1: scale.sh (10M occurrences on both stores;
#    README.md, "Scale"). Only with BENCH_SOAK=1: soak.sh (SOAK_SECONDS,
#    default 600, of mixed load; README.md, "Soak").
# Benchmarks are built without sanitizers; run them on an idle machine.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${1:-build}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0

if [ ! -d "$BUILD/bench" ]; then
    echo "bench: no $BUILD/bench; build first (ninja -C $BUILD)" >&2
    exit 2
fi

echo "== reference: openssl speed -seconds 3 ecdsap256"
verify_s=$(openssl speed -seconds 3 ecdsap256 2>/dev/null |
    awk '/ecdsa \(nistp256\)/ { print $NF; exit }')
if [ -z "$verify_s" ]; then
    echo "bench: could not read openssl's verify/s" >&2
    rc=1
else
    echo "openssl: ecdsap256_verify ${verify_s} verify/s"
fi

for name in pattern policy_parse decision audit_list; do
    exe="$BUILD/bench/bench_$name"
    [ -x "$exe" ] || { echo "== bench_$name: not built, skipped"; continue; }
    echo "== bench_$name"
    if ! "$exe" | tee -a "$out"; then
        echo "bench: bench_$name failed" >&2
        rc=1
    fi
done

cold=$(awk '$1 == "bench_decision:" && $2 == "cold_decision_cpu" {
    print $3 }' "$out")
warm=$(awk '$1 == "bench_decision:" && $2 == "warm_decisions" { print $3 }' \
    "$out")
warm_cpu=$(awk '$1 == "bench_decision:" && $2 == "warm_decisions_cpu" {
    print $3 }' "$out")
echo "== ratios"
if [ -n "$cold" ] && [ -n "${verify_s:-}" ]; then
    awk -v cold="$cold" -v vs="$verify_s" 'BEGIN {
        ref = 1e6 / vs
        r = cold / ref
        printf "cold decision %.2f us (CPU time) / openssl verify %.2f " \
               "us (CPU time) = %.2fx (goal < 1.3x): %s\n", cold, ref, r,
               ((r < 1.3) ? "met" : "MISSED")
    }'
fi
# openssl speed divides by user CPU time (not wall time) unless given
# -elapsed, so the decision figures it is compared with are counted in CPU
# time too; the wall-clock rate, which falls when the machine is busy, is
# shown beside it.
if [ -n "$warm_cpu" ] && [ -n "${verify_s:-}" ]; then
    awk -v warm="$warm_cpu" -v wall="$warm" -v vs="$verify_s" 'BEGIN {
        r = warm / vs
        printf "warm decisions %.0f /s (CPU time; %.0f /s wall clock) / " \
               "openssl verify %.0f /s (CPU time) = %.0fx (goal >= 150x): " \
               "%s\n", warm, wall, vs, r, ((r >= 150) ? "met" : "MISSED")
    }'
fi
for figure in json_direct_speedup occurrence_direct_speedup \
    occurrence_value_speedup; do
    v=$(awk -v f="$figure" '$1 == "bench_policy_parse:" && $2 == f {
        print $3 }' "$out")
    [ -n "$v" ] && echo "bench_policy_parse $figure: ${v}x (the old" \
        "libfyaml read of the same JSON / jansson straight into the model)"
done

if [ -x "$BUILD/src/daemon/vouchd" ] && command -v wrk >/dev/null; then
    echo "== bench_server (bench/SERVER.md)"
    sh bench/bench_server.sh "$BUILD" all || rc=1
    echo "== bench_run (bench/RUN.md)"
    sh bench/bench_run.sh "$BUILD" || rc=1
fi
if [ -x "$BUILD/src/daemon/vouchd" ] && [ -x "$BUILD/bench/bench_pace" ]; then
    echo "== bench_k8s (bench/README.md)"
    sh bench/bench_k8s.sh "$BUILD" || rc=1
fi
# The slow ones, only when asked (README.md, "Scale" and "Soak"): tens of
# minutes and ~25 GB of disk per store for the 10M fill; 10 minutes for
# the soak.
if [ "${BENCH_SCALE:-0}" = 1 ]; then
    echo "== scale (bench/README.md, Scale)"
    sh bench/scale.sh "$BUILD" all || rc=1
fi
if [ "${BENCH_SOAK:-0}" = 1 ]; then
    echo "== soak (bench/README.md, Soak)"
    sh bench/soak.sh "$BUILD" sqlite || rc=1
fi
exit $rc
