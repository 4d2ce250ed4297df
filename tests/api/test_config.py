"""vouchd --config FILE: the same settings as the flags, one per line;
flags on the command line win; a bad line is reported with its number."""
import socket
import subprocess
import time
import urllib.request

from conftest import vouchd_path


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
    assert "authentication is not configured" in proc.stderr
