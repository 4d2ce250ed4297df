#!/bin/sh
# The whole test suite, as `make test` and CI run it:
#   1. the normal build: unit, interop, fuzz-corpus and end-to-end suites;
#   2. the same suites built with -fsanitize=address,undefined (LSan on);
#   3. every fuzz target under libFuzzer for a short bounded run over its
#      committed seed corpus: FUZZ_RUNS inputs each (default 300000) with a
#      fixed seed (FUZZ_SEED, default 1), so every machine runs about the
#      same inputs (fuzz/run.sh says why not exactly); FUZZ_SECONDS
#      (default 120) only caps a target.
# Closes with one line counting every test run: "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 2

passed=0
failed=0
log=$(mktemp)
failures=$(mktemp)
trap 'rm -f "$log" "$failures"' EXIT

count() {
    # count OK FAILED: add to the totals.
    passed=$((passed + $1))
    failed=$((failed + $2))
}

setup() {
    dir=$1
    shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >/dev/null || return 1
    fi
    ninja -C "$dir" >/dev/null || ninja -C "$dir"
}

suites() {
    dir=$1
    echo "=== tests in $dir"
    meson test -C "$dir" --no-rebuild --print-errorlogs \
        --num-processes 2 --timeout-multiplier "${2:-1}" > "$log" 2>&1
    rc=$?
    grep -E "^ *[0-9]+/[0-9]+ " "$log" | sed 's/^ */  /'
    ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log")
    bad=$(sed -n 's/^\(Fail\|Timeout\|Unexpected Pass\): *\([0-9]*\).*/\2/p' \
        "$log" | awk '{s += $1} END {print s + 0}')
    if [ "$rc" -ne 0 ]; then
        sed -n '/^=* [0-9]*\/[0-9]* =*$/,$p' "$log" | tail -n 200
        # Keep the names (and pytest's one-line reasons) for the closing
        # lines, where a CI log that shows only its tail still has them.
        grep -E "^ *[0-9]+/[0-9]+ .* (FAIL|TIMEOUT|ERROR) " "$log" |
            sed "s|^ *|  $dir: |" >> "$failures"
        grep -E "^(FAILED|ERROR) [^ ]+::" "$log" | cut -c1-300 |
            sed 's/^/    /' >> "$failures"
        # node's test runner (the console suites) marks a failure with ✖.
        grep -E "^ *✖ " "$log" | grep -v "failing tests" | sort -u |
            head -n 10 | cut -c1-300 | sed 's/^ */    /' >> "$failures"
        [ "${bad:-0}" -eq 0 ] && bad=1
    fi
    count "${ok:-0}" "${bad:-0}"
}

if setup build; then
    suites build
else
    echo "=== build FAILED"
    count 0 1
fi

if (export CC=gcc; setup build-san -Db_sanitize=address,undefined \
    -Db_lundef=false); then
    suites build-san 3
else
    echo "=== sanitizer build FAILED"
    count 0 1
fi

echo "=== fuzz targets (libFuzzer, ${FUZZ_RUNS:-300000} runs each, seed ${FUZZ_SEED:-1})"
env FUZZ_SECONDS="${FUZZ_SECONDS:-120}" FUZZ_SEED="${FUZZ_SEED:-1}" \
    FUZZ_RUNS="${FUZZ_RUNS:-300000}" \
    BUILD=build-fuzz sh fuzz/run.sh \
    > "$log" 2>&1
rc=$?
cat "$log"
ran=$(grep -c "^fuzz: .* for " "$log")
bad=$(grep -c "FAILED" "$log")
grep "FAILED" "$log" | sed 's/^/  fuzz: /' >> "$failures"
[ "$rc" -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
count $((ran - bad < 0 ? 0 : ran - bad)) "$bad"

if [ -s "$failures" ]; then
    echo "=== what failed"
    awk '!seen[$0]++' "$failures"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
