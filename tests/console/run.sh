#!/bin/sh
# The console's tests (tests/console/meson.build runs them):
#
#   run.sh unit      console/dist is what console/src builds (esbuild is
#                    deterministic), and the pure modules under node --test;
#   run.sh browser   every page in Debian's headless chromium against a
#                    seeded vouchd (console.test.mjs, puppeteer-core).
#
# node_modules of console/ and tests/console/ are installed with `npm ci`
# from the lock files when missing or older than them (this needs the npm
# registry once; after that the tests run offline). Exit status: 0 passed,
# 1 failed — also when node, npm or chromium is missing: the suite needs
# its tools (scripts/install-deps.sh installs them), it never skips.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mode=${1:-}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "console: node and npm are needed (scripts/install-deps.sh)" >&2
    exit 1
fi

# npm ci in $1 unless its node_modules matches the lock file; a lock file
# beside it keeps the two tests that run at once from installing together.
ensure_modules() {
    (
        cd "$1"
        flock 9
        if [ ! -f node_modules/.package-lock.json ] ||
           [ package-lock.json -nt node_modules/.package-lock.json ]; then
            npm ci --no-audit --no-fund --loglevel=error
        fi
    ) 9>"$1/.npm-ci.lock"
}

case $mode in
unit)
    ensure_modules "$root/console"
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    node "$root/console/build.mjs" "$out"
    if ! diff -r "$root/console/dist" "$out" >/dev/null; then
        echo "console: console/dist is not what console/src builds:" >&2
        diff -rq "$root/console/dist" "$out" >&2 || true
        echo "console: run 'make console' and commit console/dist" >&2
        exit 1
    fi
    echo "console: console/dist is what console/src builds"
    cd "$here"
    exec node --test --test-reporter=spec unit.test.mjs
    ;;
browser)
    if [ ! -x /usr/bin/chromium ]; then
        echo "console: /usr/bin/chromium is needed (apt-get install chromium)" >&2
        exit 1
    fi
    ensure_modules "$here"
    cd "$here"
    exec node --test --test-reporter=spec console.test.mjs
    ;;
*)
    echo "usage: run.sh unit|browser" >&2
    exit 2
    ;;
esac
