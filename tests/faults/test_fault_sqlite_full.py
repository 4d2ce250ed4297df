"""SQLite on a full disk: vouchd's database on a 2 MiB tmpfs, filled up.

What a user must see: a write fails with a clear error (429
RESOURCE_EXHAUSTED saying the disk is full), reads go on answering what
was committed, nothing is corrupted (PRAGMA integrity_check, every
acknowledged write still there), and writes succeed again once space is
freed, without a restart.

Needs root (mount -t tmpfs); without it the test fails saying so.
"""
import errno
import os
import sqlite3
import subprocess
import tempfile
import uuid

import pytest

import run_harness as rh


@pytest.fixture
def tmpfs():
    mnt = tempfile.mkdtemp(prefix="vouch-full-")
    out = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs",
                          mnt], capture_output=True, text=True)
    if out.returncode != 0:
        os.rmdir(mnt)
        pytest.fail("cannot mount a 2 MiB tmpfs to fill (needs root and "
                    "mount permission): %s" % out.stderr.strip())
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", mnt], capture_output=True)
        os.rmdir(mnt)


def note(daemon, project, i, pad):
    return daemon.request(
        "POST", "/v1/projects/%s/notes?noteId=n%d" % (project, i),
        {"attestation": {"hint": {"humanReadableName": "n%d" % i}},
         "shortDescription": pad})


def fill(path):
    """Write `path` until the disk is full."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as e:
        assert e.errno == errno.ENOSPC, e
    finally:
        os.close(fd)


def test_sqlite_disk_full(tmpfs, tmp_path):
    db = os.path.join(tmpfs, "vouch.db")
    daemon = rh.Daemon("sqlite:" + db, str(tmp_path)).start()
    project = "full-" + uuid.uuid4().hex[:8]
    pad = "x" * 3000
    acknowledged = []
    try:
        for i in range(20):
            status, body = note(daemon, project, i, pad)
            assert status == 200, body
            acknowledged.append(i)
        filler = os.path.join(tmpfs, "filler")
        fill(filler)

        # Writes: once SQLite's free pages are spent, a clear refusal.
        refused = None
        for i in range(20, 400):
            status, body = note(daemon, project, i, pad)
            if status == 200:
                acknowledged.append(i)
                continue
            refused = (status, body, i)
            break
        assert refused is not None, "no write failed on a full disk"
        status, body, lost = refused
        assert status == 429, body
        assert body["error"]["status"] == "RESOURCE_EXHAUSTED", body
        assert "disk holding the database is full" in \
            body["error"]["message"], body

        # Reads go on, and see every acknowledged write.
        for i in acknowledged:
            status, body = daemon.request(
                "GET", "/v1/projects/%s/notes/n%d" % (project, i))
            assert status == 200, body
        # The refused write left nothing behind.
        status, body = daemon.request(
            "GET", "/v1/projects/%s/notes/n%d" % (project, lost))
        assert status == 404, body

        # Space freed: writes go on, no restart.
        os.unlink(filler)
        status, body = note(daemon, project, 1000, pad)
        assert status == 200, body
        acknowledged.append(1000)
    finally:
        code = daemon.stop()
        assert code == 0, daemon.stderr_text()

    # Nothing is corrupted, nothing acknowledged is lost.
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == \
            [("ok",)]
        names = {r[0] for r in conn.execute(
            "SELECT name FROM resources WHERE kind = 'note'")}
    finally:
        conn.close()
    for i in acknowledged:
        assert "projects/%s/notes/n%d" % (project, i) in names
