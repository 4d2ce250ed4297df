#!/bin/sh
# The whole test suite, as `make test` and CI run it:
#   1. the normal build: unit, interop, fuzz-corpus and end-to-end suites;
#   2. the same suites built with -fsanitize=address,undefined (LSan on);
#   3. every fuzz target under libFuzzer for a short bounded run over its
#      committed seed corpus (FUZZ_SECONDS each, default 20).
# Prints one closing line: "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 2

passed=0
failed=0

stage() {
    name=$1
    shift
    echo "=== $name"
    if "$@"; then
        passed=$((passed + 1))
        echo "=== $name: ok"
    else
        failed=$((failed + 1))
        echo "=== $name: FAILED"
    fi
}

setup() {
    dir=$1
    shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >/dev/null || return 1
    fi
    ninja -C "$dir" >/dev/null || ninja -C "$dir"
}

run_suites() {
    dir=$1
    meson test -C "$dir" --no-rebuild --print-errorlogs \
        --num-processes 2 --timeout-multiplier "${2:-1}"
}

stage "build" setup build
stage "tests" run_suites build
stage "build (asan+ubsan)" env CC=gcc setup build-san \
    -Db_sanitize=address,undefined -Db_lundef=false
stage "tests (asan+ubsan)" run_suites build-san 3
stage "build (libFuzzer)" env CC=clang setup build-fuzz \
    -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false
stage "fuzz (bounded)" env FUZZ_SECONDS="${FUZZ_SECONDS:-20}" \
    BUILD=build-fuzz sh fuzz/run.sh

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
