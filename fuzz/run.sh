#!/bin/sh
# Run every libFuzzer target for FUZZ_SECONDS seconds over a scratch copy of
# its committed seed corpus (the committed corpus is never modified).
# Fails if any target finds a crash, a leak or a timeout.
# FUZZ_SEED fixes libFuzzer's random seed and FUZZ_RUNS the number of inputs
# each target runs, so that `make test` explores about the same inputs on
# every machine, however fast (with a time bound alone a faster machine
# runs further and meets inputs this one never tried); FUZZ_SECONDS is then
# only a cap. Not exactly the same: the inputs libFuzzer keeps follow the
# coverage it sees, which varies from run to run (jansson, for one, seeds
# its hash tables at random); a crash found here is still a real defect
# (libfyaml's crash behind vutil_yaml_check.c was found so). `make fuzz` leaves both unset to
# explore anew for FUZZ_SECONDS each time. fuzz/runs lowers FUZZ_RUNS for
# the targets whose inputs are slow.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-300}

if [ ! -f "$BUILD/build.ninja" ]; then
    CC=clang meson setup "$BUILD" -Dfuzzing=true \
        -Db_sanitize=address,undefined -Db_lundef=false >/dev/null || exit 1
fi
targets=$(for f in fuzz/fuzz_*.c; do basename "$f" .c; done)
# shellcheck disable=SC2086
ninja -C "$BUILD" $(for t in $targets; do printf 'fuzz/%s ' "$t"; done) \
    >/dev/null || exit 1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p fuzz/artifacts
rc=0
for t in $targets; do
    target="$BUILD/fuzz/$t"
    [ -x "$target" ] || continue
    name=$(basename "$target" | sed 's/^fuzz_//')
    mkdir -p "$work/$name"
    cp fuzz/corpus/"$name"/* "$work/$name"/ 2>/dev/null
    dict=""
    fixed=""
    [ -n "${FUZZ_SEED:-}" ] && fixed="-seed=$FUZZ_SEED"
    runs=${FUZZ_RUNS:-}
    if [ -n "$runs" ]; then
        listed=$(awk -v n="$name" '$1 == n { print $2 }' fuzz/runs)
        [ -n "$listed" ] && runs=$listed
        fixed="$fixed -runs=$runs"
    fi
    [ -f "fuzz/$name.dict" ] && dict="-dict=fuzz/$name.dict"
    if [ -n "$runs" ]; then
        echo "fuzz: $name for $runs runs (at most ${SECONDS_EACH}s)"
    else
        echo "fuzz: $name for ${SECONDS_EACH}s"
    fi
    # shellcheck disable=SC2086
    if ! "$target" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 \
        -timeout=10 -print_final_stats=1 $dict $fixed \
        -artifact_prefix=fuzz/artifacts/"$name"- "$work/$name" \
        > "$work/$name.log" 2>&1; then
        echo "fuzz: $name FAILED; see fuzz/artifacts/ and below"
        tail -n 60 "$work/$name.log"
        rc=1
    else
        grep -E "stat::number_of_executed_units|Done" "$work/$name.log" |
            tail -n 2
    fi
done
exit $rc
