"""`make install` delivers a usable library: headers, libvouch shared and
static, a working vouch.pc, man pages, and a shared library that exports
only the public vouch_ API."""
import os
import subprocess

import pytest

BUILD = os.environ.get("VOUCH_BUILD_ROOT", "build")

CONSUMER = r"""
#include <stdio.h>
#include <string.h>
#include <vouch/vouch.h>

int main(void)
{
    vouch_policy *p = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char *text = NULL;

    if (vouch_policy_new_default(&p, "demo", &err) != 0) {
        return 1;
    }
    if (vouch_policy_print(p, VOUCH_FORMAT_YAML, &text, NULL, &err) != 0) {
        return 1;
    }
    fputs(text, stdout);
    vouch_free(text);
    vouch_policy_free(p);
    return strcmp(vouch_version(), "0.1.0") != 0;
}
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    dest = tmp_path_factory.mktemp("destdir")
    subprocess.run(["meson", "install", "-C", BUILD, "--destdir", str(dest),
                    "--no-rebuild", "--quiet"], check=True,
                   capture_output=True)
    found = {}
    for root, _, files in os.walk(dest):
        for f in files:
            found[f] = os.path.join(root, f)
    return dest, found


def test_install_lays_out_everything(installed):
    _, found = installed
    for name in ("vouch", "libvouch.a", "libvouch.so.0.1.0", "vouch.pc",
                 "vouch.h", "policy.h", "evaluate.h", "vouch.1",
                 "vouch-evaluate.1"):
        assert name in found, name


def test_shared_library_exports_only_the_public_api(installed):
    _, found = installed
    out = subprocess.run(["nm", "-D", "--defined-only",
                          found["libvouch.so.0.1.0"]], check=True,
                         capture_output=True, text=True).stdout
    symbols = [line.split()[-1] for line in out.splitlines()
               if line.split() and line.split()[-2] in ("T", "D", "B")]
    assert "vouch_evaluate" in symbols
    leaked = [s for s in symbols if not s.startswith("vouch_")
              or s.startswith("vouch__")]
    assert leaked == []


def test_pkg_config_builds_a_consumer(installed, tmp_path):
    if os.environ.get("VOUCH_SANITIZE", "none") != "none":
        pytest.skip("the sanitizer build's library needs the ASan runtime; "
                    "the normal build runs this test")
    dest, found = installed
    pcdir = os.path.dirname(found["vouch.pc"])
    prefix = subprocess.run(["pkg-config", "--variable=prefix", "vouch"],
                            env=dict(os.environ, PKG_CONFIG_PATH=pcdir),
                            capture_output=True, text=True,
                            check=True).stdout.strip()
    env = dict(os.environ, PKG_CONFIG_PATH=pcdir,
               PKG_CONFIG_SYSROOT_DIR=str(dest))
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "vouch"],
                           env=env, capture_output=True, text=True,
                           check=True).stdout.split()
    src = tmp_path / "consumer.c"
    src.write_text(CONSUMER)
    exe = tmp_path / "consumer"
    subprocess.run(["cc", "-std=c11", "-Wall", "-Werror", str(src), "-o",
                    str(exe)] + flags, check=True)
    libdir = os.path.dirname(found["libvouch.so.0.1.0"])
    out = subprocess.run([str(exe)], env=dict(os.environ,
                                              LD_LIBRARY_PATH=libdir),
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "name: projects/demo/policy" in out.stdout
    assert prefix
