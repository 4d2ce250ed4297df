#!/bin/sh
# A private PostgreSQL 15 cluster for the store tests.
#
#   pg_harness.sh start   initdb + pg_ctl start on 127.0.0.1, a free port,
#                         in a new temp directory; prints two lines:
#                         the connection URL, then the directory.
#   pg_harness.sh stop DIR   stop that cluster and remove DIR.
#   pg_harness.sh crash DIR  stop it the way a crash does (immediate mode:
#                            no checkpoint, WAL recovery at the next start)
#                            and start it again on the same port.
#   pg_harness.sh halt DIR   stop it as an operator does (fast mode: open
#                            sessions are ended, a checkpoint is written)
#                            and leave it stopped;
#   pg_harness.sh resume DIR start it again on the same port.
#
# initdb refuses to run as root, so as root the cluster runs as the
# `postgres` user (runuser). Authentication is `trust` on 127.0.0.1 only.
set -eu

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "${1:-}" in
start)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/vouch-pg.XXXXXX")
    chmod 0755 "$dir"
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$dir"
    fi
    as_pg "$PGBIN/initdb" -D "$dir/data" -U vouch --auth=trust \
        -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        rm -rf "$dir"
        exit 1
    }
    tries=0
    while :; do
        port=$(free_port)
        if as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
            -t 60 -o "-p $port -k $dir -c listen_addresses=127.0.0.1 \
            -c max_connections=200" start >/dev/null 2>&1; then
            break
        fi
        tries=$((tries + 1))
        if [ $tries -ge 5 ]; then
            cat "$dir/server.log" >&2 || true
            rm -rf "$dir"
            echo "pg_harness: cannot start PostgreSQL" >&2
            exit 1
        fi
    done
    echo "$port" >"$dir/port"
    as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U vouch vouch
    echo "postgres://vouch@127.0.0.1:$port/vouch"
    echo "$dir"
    ;;
crash)
    dir=${2:?usage: pg_harness.sh crash DIR}
    port=$(cat "$dir/port")
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 \
        -c max_connections=200" start >/dev/null
    ;;
halt)
    dir=${2:?usage: pg_harness.sh halt DIR}
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
resume)
    dir=${2:?usage: pg_harness.sh resume DIR}
    port=$(cat "$dir/port")
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 \
        -c max_connections=200" start >/dev/null
    ;;
stop)
    dir=${2:?usage: pg_harness.sh stop DIR}
    case "$dir" in
    */vouch-pg.*) ;;
    *) echo "pg_harness: $dir is not a harness directory" >&2; exit 2 ;;
    esac
    if [ -d "$dir/data" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop \
            >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: pg_harness.sh start | stop DIR | crash DIR | halt DIR |" \
        "resume DIR" >&2
    exit 2
    ;;
esac
