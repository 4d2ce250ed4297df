"""`make run`'s demo (scripts/demo.sh) works from start to end: the
offline walkthrough, then vouchd with its SQLite store, a denied deploy,
an attestation and an admitted deploy. Run twice on one store, as a user
running `make run` again would."""
import os
import socket
import subprocess

ROOT = os.environ.get("VOUCH_SOURCE_ROOT", ".")
BUILD = os.environ.get("VOUCH_BUILD_ROOT", "build")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_runs_twice_on_one_store(tmp_path):
    env = dict(os.environ, VOUCH_DEMO_EXIT="1",
               VOUCH_DEMO_STORE=str(tmp_path / "vouch.db"))
    build = os.path.relpath(BUILD, ROOT)
    for _ in range(2):
        env["VOUCH_DEMO_PORT"] = str(free_port())
        proc = subprocess.run(["sh", os.path.join(ROOT, "scripts/demo.sh"),
                               build], env=env, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
        out = proc.stdout + proc.stderr
        assert "decision: DENY" in out
        assert "decision: ALLOW" in out
        assert "uses an unauthorized container image" in out
        assert "(exit status 1: denied, and written to the audit log)" in out
        assert "ContainerImageUnauthorized" in out
        assert "vouch demo: done." in out
