#!/bin/sh
# Install every build and test dependency of vouch that is missing.
# As root it runs apt-get; otherwise it prints the one apt-get line to run.
# Keep this list in sync with README.md ("The two commands").
set -eu

PACKAGES="build-essential pkgconf meson ninja-build clang libclang-rt-14-dev \
libssl-dev openssl librnp-dev libfyaml-dev libyaml-dev libjansson-dev libmicrohttpd-dev \
libgnutls28-dev \
libcurl4-openssl-dev libsqlite3-dev sqlite3 libpq-dev postgresql \
libcmocka-dev python3 python3-pytest python3-yaml python3-jwt python3-cryptography \
gnupg valgrind docker-registry \
wrk curl ca-certificates chromium libnss-myhostname"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done

# Google's Node.js client (tests/compat) needs node and npm; machines of
# this kind ship a newer Node.js than Debian's, so only fall back to
# Debian's when there is none.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    missing="$missing nodejs npm"
fi

if [ -z "$missing" ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "vouch: missing packages:$missing" >&2
    echo "vouch: run this once, then try again:" >&2
    echo "  sudo apt-get install -y$missing" >&2
    exit 1
fi

echo "vouch: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
