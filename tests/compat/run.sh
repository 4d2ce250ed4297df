#!/bin/sh
# Google's own Node.js client (googleapis, pinned in package.json and
# package-lock.json) against vouchd. Installs node_modules with `npm ci`
# when it is missing or older than the lock file (this needs the npm
# registry once); after that it runs offline.
#
#   tests/compat/run.sh            starts VOUCHD (default build/src/daemon/vouchd)
#   VOUCH_COMPAT_URL=http://127.0.0.1:8080 tests/compat/run.sh
#                                  uses a running vouchd instead
#
# Exit status: 0 all passed, 1 a test failed, npm ci failed, or node or
# npm is not installed (the suite needs its tools; it never skips).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${VOUCHD:-}" ]; then
    case $VOUCHD in /*) ;; *) VOUCHD=$PWD/$VOUCHD ;; esac
fi
cd "$here"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "compat: node and npm are needed (scripts/install-deps.sh)" >&2
    exit 1
fi
if [ -z "${VOUCH_COMPAT_URL:-}" ]; then
    : "${VOUCHD:=$here/../../build/src/daemon/vouchd}"
    if [ ! -x "$VOUCHD" ]; then
        echo "compat: vouchd not found at $VOUCHD (set VOUCHD)" >&2
        exit 1
    fi
    export VOUCHD
fi
if [ ! -f node_modules/.package-lock.json ] ||
   [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
exec node --test --test-reporter=spec googleapis.test.mjs run.test.mjs run_v1.test.mjs \
    auth.test.mjs
