#!/bin/sh
# A mixed soak of vouchd (figures in bench/README.md, "Soak").
#
#   bench/soak.sh BUILD [sqlite|postgres]
#
# Starts a real docker-registry with one pushed image and
# BUILD/src/daemon/vouchd (--runtime none) on SQLite in a temp directory
# or PostgreSQL (tests/store/pg_harness.sh), seeds an attestor, a policy
# REQUIRE_ATTESTATION by it, one signed attestation, 4 services and a
# job, then for SOAK_SECONDS (default 600) runs bounded rounds of
# `wrk -t2 -c$SOAK_CONNECTIONS -d$SOAK_ROUND` (4 connections, 30 s) with
# a Lua script that mixes, per 10 requests: 4 reads (GET policy or
# attestor), 1 occurrence list, 2 validateAttestationOccurrence, 1
# deploy (PATCH of a service: a new revision, checked against the
# policy), 1 job execution, 1 audit log read (POST /v2/entries:list);
# each connection waits SOAK_DELAY_MS (10) between requests, so the load
# is steady rather than saturating.
#
# Every second it samples vouchd's VmRSS (/proc/PID/status) and open
# descriptors (/proc/PID/fd); after each round, with no client
# connected, once more. Verdict (exit 1 when missed): no 5xx; after the
# first SOAK_WARMUP seconds (60) the RSS stays within 10% of its level
# then; the descriptors between rounds at the end are no more than after
# the warm-up, but for the database and WAL files of store connections
# the pool opens lazily (up to its size), which are listed by kind. Other answers that are not a 200 are counted and the first
# is printed (status and body).
#
# Slow: not part of `make test`; `BENCH_SOAK=1 make bench` runs it.
# Environment: SOAK_SECONDS, SOAK_ROUND, SOAK_CONNECTIONS, SOAK_DELAY_MS,
# SOAK_WARMUP, VOUCHD_THREADS (4).
set -eu

BUILD=${1:?usage: soak.sh BUILD [sqlite|postgres]}
STORE=${2:-sqlite}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
for tool in wrk python3 openssl; do
    command -v $tool >/dev/null || { echo "soak: needs $tool" >&2; exit 2; }
done
for exe in src/daemon/vouchd src/cli/vouch; do
    [ -x "$BUILD/$exe" ] || { echo "soak: no $BUILD/$exe" >&2; exit 2; }
done

VOUCHD=$BUILD/src/daemon/vouchd VOUCH_CLI=$BUILD/src/cli/vouch \
VOUCH_SOURCE_ROOT=$root exec python3 "$here/soak.py" "$STORE"
