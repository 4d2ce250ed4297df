#!/usr/bin/env python3
"""kill -9 test of the store: no acknowledged write is lost, no corruption.

    test_crash.py sqlite|postgres [ROUNDS]

Runs tests/store/crash_writer.c (VOUCH_CRASH_WRITER) with several threads
against a real database, kills it with SIGKILL at a random moment, and
repeats. A name counts as acknowledged once the writer printed it: it
prints only after vouch_store_commit() returned 0. After every round the
database is reopened through the store (which also runs migrations) and
every acknowledged name must be there; for SQLite, `PRAGMA
integrity_check` (sqlite3 CLI) must say "ok". PostgreSQL comes from
VOUCH_TEST_PG_URL, or a private cluster started with pg_harness.sh; with
a private cluster every other round also crashes the server
(`pg_ctl stop -m immediate`: no checkpoint, WAL recovery on restart) while
the writer runs.
Fails loudly (never skips) when a tool it needs is missing.
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

THREADS = 4


def die(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def run_round(writer, url, tag, acked, crash_server=None):
    proc = subprocess.Popen([writer, "write", url, str(THREADS), tag],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Let it write for a random while (sometimes only through startup
    # and migration), then kill it without warning.
    time.sleep(random.uniform(0.01, 1.2))
    if crash_server is not None:
        # The database server crashes under the writer, which then fails
        # its next call and exits 3; what it acknowledged must survive
        # the server's recovery.
        crash_server()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate()
    # With a server crash, the writer exits 3 (a call failed) or, when
    # the crash came while it was still opening the store, 5.
    expected = [-signal.SIGKILL] + ([3, 5] if crash_server else [])
    if proc.returncode not in expected:
        die("writer exited by itself (%s): %s" %
            (proc.returncode, err.decode(errors="replace")))
    text = out.decode()
    # A line cut by the kill has no newline: it was not acknowledged.
    lines = text.split("\n")
    new = [l for l in lines[:-1] if l]
    acked.extend(new)
    return len(new)


def verify(writer, url, acked):
    res = subprocess.run([writer, "verify", url], input="\n".join(acked),
                         capture_output=True, text=True)
    if res.returncode != 0:
        die("verify after kill: %s%s" % (res.stdout, res.stderr[-2000:]))
    return res.stdout.strip()


def sqlite_integrity(path):
    sqlite3 = shutil.which("sqlite3")
    if sqlite3 is None:
        die("the sqlite3 CLI is needed for PRAGMA integrity_check")
    res = subprocess.run([sqlite3, path, "PRAGMA integrity_check;"],
                         capture_output=True, text=True)
    if res.returncode != 0 or res.stdout.strip() != "ok":
        die("integrity_check of %s: %s %s" % (path, res.stdout, res.stderr))


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("sqlite", "postgres"):
        die("usage: test_crash.py sqlite|postgres [ROUNDS]")
    backend = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    writer = os.environ.get("VOUCH_CRASH_WRITER")
    if not writer or not os.access(writer, os.X_OK):
        die("VOUCH_CRASH_WRITER must name the built crash_writer")
    harness = os.environ.get("VOUCH_PG_HARNESS",
                             os.path.join(os.path.dirname(__file__),
                                          "pg_harness.sh"))
    tmp = tempfile.mkdtemp(prefix="vouch-crash-")
    pg_dir = None
    try:
        if backend == "sqlite":
            path = os.path.join(tmp, "var", "vouch.db")
            url = "sqlite:" + path
        else:
            url = os.environ.get("VOUCH_TEST_PG_URL")
            if not url:
                res = subprocess.run(["sh", harness, "start"],
                                     capture_output=True, text=True)
                if res.returncode != 0:
                    die("VOUCH_TEST_PG_URL unset and pg_harness.sh "
                        "failed: " + res.stderr)
                url, pg_dir = res.stdout.split("\n")[:2]
        acked = []

        def crash_server():
            res = subprocess.run(["sh", harness, "crash", pg_dir],
                                 capture_output=True, text=True)
            if res.returncode != 0:
                die("pg_harness.sh crash: " + res.stderr)

        if backend == "postgres" and pg_dir is None:
            print("note: VOUCH_TEST_PG_URL is set, so the server-crash "
                  "rounds are not run (the cluster is not ours)")
        for r in range(rounds):
            # PostgreSQL: every other round crashes the server as well.
            crash = crash_server if pg_dir and r % 2 == 1 else None
            n = run_round(writer, url, "r%d" % r, acked, crash)
            if backend == "sqlite":
                if os.path.exists(path):
                    sqlite_integrity(path)
                elif acked:
                    die("%s is gone after acknowledged writes" % path)
                # else: killed before it created the file; verify opens it.
            summary = verify(writer, url, acked)
            print("round %d%s: %d acknowledged this round, %d in all; %s" %
                  (r, " (server crashed)" if crash else "", n, len(acked),
                   summary))
        if len(acked) == 0:
            die("the writer never acknowledged a write: nothing was tested")
        print("PASS: %d rounds, %d acknowledged writes all present" %
              (rounds, len(acked)))
    finally:
        if pg_dir:
            subprocess.run(["sh", harness, "stop", pg_dir])
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
