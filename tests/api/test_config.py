"""vouchd --config FILE: the same settings as the flags, one per line;
flags on the command line win; a bad line is reported with its number."""
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import vouchd_path

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port, proc):
    for _ in range(100):
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read())
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz",
                                        timeout=1) as r:
                return r.read()
        except OSError:
            time.sleep(0.05)
    raise AssertionError("vouchd did not start")


def test_config_file_settings_and_flag_override(tmp_path):
    file_port, flag_port = free_port(), free_port()
    conf = tmp_path / "vouchd.conf"
    conf.write_text(f"# vouchd settings\n"
                    f"listen 127.0.0.1:{file_port}\n"
                    f"store = sqlite:{tmp_path}/v.db   # embedded\n"
                    f"threads 2\n"
                    f"access-log {tmp_path}/access.log\n")
    proc = subprocess.Popen([vouchd_path(), "--config", str(conf)],
                            stderr=subprocess.PIPE, text=True)
    try:
        assert wait_up(file_port, proc) == b"ok\n"
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
    assert '"path":"/healthz"' in (tmp_path / "access.log").read_text()
    assert (tmp_path / "v.db").exists()
    # A flag given on the command line wins over the file.
    proc = subprocess.Popen([vouchd_path(), f"--config={conf}", "--listen",
                             f"127.0.0.1:{flag_port}"],
                            stderr=subprocess.PIPE, text=True)
    try:
        assert wait_up(flag_port, proc) == b"ok\n"
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_config_file_errors_name_the_line(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("threads 2\n\nlisen 127.0.0.1:1\n")
    proc = subprocess.run([vouchd_path(), "--config", str(conf)],
                          capture_output=True, text=True, timeout=10)
    assert proc.returncode == 2
    assert f"{conf}:3: unknown setting 'lisen'" in proc.stderr
    conf.write_text("store\n")
    proc = subprocess.run([vouchd_path(), "--config", str(conf)],
                          capture_output=True, text=True, timeout=10)
    assert proc.returncode == 2
    assert f"{conf}:1: 'store' needs a value" in proc.stderr
    proc = subprocess.run([vouchd_path(), "--config", str(tmp_path / "no")],
                          capture_output=True, text=True, timeout=10)
    assert proc.returncode == 2
    assert "No such file" in proc.stderr
    # A config file cannot open the non-loopback door either.
    conf.write_text("listen 0.0.0.0:8080\n")
    proc = subprocess.run([vouchd_path(), "--config", str(conf)],
                          capture_output=True, text=True, timeout=10)
    assert proc.returncode == 2
    assert "needs an auth config" in proc.stderr


def help_flags():
    """The flags of `vouchd --help`, as "--name"."""
    out = subprocess.run([vouchd_path(), "--help"], capture_output=True,
                         text=True, timeout=10, check=True).stdout
    return [line.split()[0] for line in out.splitlines()
            if line.startswith("  --")]


def man_page_text():
    root = os.environ.get("VOUCH_SOURCE_ROOT",
                          os.path.dirname(os.path.dirname(HERE)))
    with open(os.path.join(root, "docs", "man", "vouchd.8")) as f:
        return f.read().replace("\\-", "-")


def test_every_flag_is_in_the_man_page_and_back():
    """--help comes from the flag table; vouchd(8) must list the same
    flags, so that the two cannot drift apart."""
    flags = help_flags()
    assert "--listen" in flags and "--config" in flags
    man = man_page_text()
    for flag in flags:
        assert re.search(re.escape(flag) + r"(?![\w-])", man), \
            f"{flag} is in vouchd --help but not in docs/man/vouchd.8"
    # Each option the page describes (a .TP entry) is a flag of vouchd.
    described = re.findall(r"^\.TP\n\.B[IR]? (--[a-z][a-z0-9-]*)", man, re.M)
    assert "--listen" in described
    for flag in described:
        assert flag in flags, \
            f"docs/man/vouchd.8 names {flag}, which vouchd does not have"


def test_every_setting_is_a_config_key(tmp_path):
    """Each flag but --config/--help/--version is a --config setting: a
    bad value is reported with FILE:LINE and the setting's name, never as
    an unknown setting."""
    conf = tmp_path / "v.conf"
    for flag in help_flags():
        name = flag[2:]
        if name in ("config", "help", "version"):
            continue
        conf.write_text(f"# one setting\n{name} \n")
        proc = subprocess.run([vouchd_path(), "--config", str(conf)],
                              capture_output=True, text=True, timeout=10)
        assert proc.returncode == 2, (name, proc.stderr)
        assert f"{conf}:2: '{name}' needs a value" in proc.stderr, \
            proc.stderr


def test_config_values_are_checked_with_their_line(tmp_path):
    conf = tmp_path / "v.conf"
    conf.write_text("threads 2\nmax-body = 5GiB\n")
    proc = subprocess.run([vouchd_path(), "--config", str(conf)],
                          capture_output=True, text=True, timeout=10)
    assert proc.returncode == 2
    assert (f"{conf}:2: max-body: expected 1 to 67108864 bytes, got "
            "'5GiB'") in proc.stderr
    conf.write_text("runtime podman\n")
    proc = subprocess.run([vouchd_path(), "--config", str(conf)],
                          capture_output=True, text=True, timeout=10)
    assert proc.returncode == 2
    assert f"{conf}:1: runtime must be none or exec, not 'podman'" in \
        proc.stderr
    conf.write_text("registry-insecure a:1\n" * 33)
    proc = subprocess.run([vouchd_path(), "--config", str(conf)],
                          capture_output=True, text=True, timeout=10)
    assert proc.returncode == 2
    assert f"{conf}:33: registry-insecure: at most 32 values" in proc.stderr


@pytest.mark.parametrize("args,message", [
    (["--threads"], "--threads needs a value"),
    (["--threads", "0"], "--threads: expected 1 to 256, got '0'"),
    (["--timeout=2h"], "--timeout: expected 1 to 3600 seconds, got '2h'"),
    (["--max-header", "1KiB"],
     "--max-header: expected 4096 to 16777216 bytes, got '1KiB'"),
    (["--runtime", "podman"], "--runtime must be none or exec"),
    (["--access-log="], "--access-log needs a value"),
    (["--listne", "x"], "unknown argument '--listne'"),
    (["serve"], "unknown argument 'serve'"),
])
def test_flag_errors_are_usage_errors(args, message):
    proc = subprocess.run([vouchd_path(), *args], capture_output=True,
                          text=True, timeout=10)
    assert proc.returncode == 2
    assert proc.stderr.startswith("vouchd: ")
    assert message in proc.stderr


def test_help_wins_and_lists_defaults():
    proc = subprocess.run([vouchd_path(), "--threads", "0", "--help"],
                          capture_output=True, text=True, timeout=10)
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: vouchd [--listen ADDR:PORT]")
    text = " ".join(proc.stdout.split())
    assert "(default 127.0.0.1:8080)" in text
    assert "(default 4; 1 to 256)" in text


def test_sizes_and_durations_take_units(tmp_path):
    """--max-body 1KiB is 1024 bytes: a 2 KiB body is refused with 413."""
    port = free_port()
    proc = subprocess.Popen([vouchd_path(), "--listen",
                             f"127.0.0.1:{port}", "--store",
                             f"sqlite:{tmp_path}/v.db", "--max-body=1KiB",
                             "--timeout", "1m"],
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_up(port, proc)
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/projects/p/attestors?attestorId=a",
            data=b"{" + b" " * 2048 + b"}", method="POST",
            headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=5)
        assert e.value.code == 413
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_ipv4_mapped_listen_address_says_what_is_wrong():
    """Finding: [::ffff:127.0.0.1]:P passed the loopback check, then
    failed with libmicrohttpd's "Failed to bind to port 0"."""
    port = free_port()
    proc = subprocess.run([vouchd_path(), "--listen",
                           f"[::ffff:127.0.0.1]:{port}", "--store",
                           "sqlite::memory:"],
                          capture_output=True, text=True, timeout=10)
    assert proc.returncode == 2
    assert "IPv4-mapped IPv6 address" in proc.stderr
    assert f"127.0.0.1:{port}" in proc.stderr
    assert "Failed to bind" not in proc.stderr
