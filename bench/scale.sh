#!/bin/sh
# The store at scale (figures in bench/README.md, "Scale").
#
#   bench/scale.sh BUILD [sqlite|postgres|all]
#
# Starts a real docker-registry (tests/registry/harness.py) with one
# pushed image and BUILD/src/daemon/vouchd (--runtime none) on SQLite in a
# temp directory and/or PostgreSQL (tests/store/pg_harness.sh). Seeds, over
# the API, a note and an attestor (ECDSA P-256), a policy
# REQUIRE_ATTESTATION by it, one signed attestation of the image, notes
# n0..n9 and a service running the image. Then, for each size of
# SCALE_SIZES (default "100 100000 10000000" stored occurrences), it
# fills the store up to that size with BUILD/bench/bench_scale_load
# (vouch_store_bulk_create: one prepared INSERT per batch transaction on
# SQLite, COPY on PostgreSQL; the loaded rows are copies of the stored
# attestation with their own name, note n(i mod 10) and image i / 10, so
# 10M occurrences cover 1M images and 10 notes) and measures, with
# `wrk -t1 -c1 -d$SCALE_DURATION --latency` (one request at a time:
# latency without queueing):
#
#   validate    POST …/attestors/built:validateAttestationOccurrence
#   deploy      PATCH …/services/scale (a new revision of the attested
#               image each time: registry (cached), policy, the image's
#               attestations by resource URI, verification, writes)
#   list_first  GET /v1/projects/p/occurrences?filter=resourceUrl="…"
#               &pageSize=2, one loaded image's 10 occurrences, page 1
#   list_last   the same, page 5 (by the page token of page 4)
#
# and the store's size on disk (SQLite: the database, WAL and shared
# memory files; PostgreSQL: pg_database_size). It prints, for each
# request, p50 and p99 at every size and the ratio of each size's p50 to
# the first size's. Goal: every p50 at the largest size <= 1.5x its p50
# at the smallest. Every answer is checked (VERIFIED, a done operation
# without error, the expected page) or the run fails. It also prints the
# plan of the list query and fails unless it uses the resources_attr2
# index. After each fill of PostgreSQL it runs ANALYZE resources, as
# autovacuum would shortly after (a table never analysed may be listed
# through the parent index, see bench/README.md).
#
# Slow (the 10M fill takes tens of minutes and ~25 GB per store): not
# part of `make test`; `BENCH_SCALE=1 make bench` runs it.
#
# Environment: SCALE_SIZES, SCALE_DURATION (default 10s), SCALE_BATCH
# (rows per bulk_create call, 50000), VOUCHD_THREADS (4), SCALE_KEEP=1
# keeps the SQLite database of an "all" run (it is removed after its
# measurements to leave disk for PostgreSQL).
set -eu

BUILD=${1:?usage: scale.sh BUILD [sqlite|postgres|all]}
WHICH=${2:-all}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
for tool in wrk python3 openssl psql; do
    command -v $tool >/dev/null || { echo "scale: needs $tool" >&2; exit 2; }
done
for exe in src/daemon/vouchd src/cli/vouch bench/bench_scale_load; do
    [ -x "$BUILD/$exe" ] || { echo "scale: no $BUILD/$exe" >&2; exit 2; }
done

VOUCHD=$BUILD/src/daemon/vouchd VOUCH_CLI=$BUILD/src/cli/vouch \
SCALE_LOADER=$BUILD/bench/bench_scale_load VOUCH_SOURCE_ROOT=$root \
exec python3 "$here/scale.py" "$WHICH"
