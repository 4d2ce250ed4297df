"""The real Google Cloud CLI against vouchd (docs/gcloud.md): an isolated
CLOUDSDK_CONFIG whose `gcloud config set` lines are the ones the docs give,
a real docker-registry and vouchd (tests/e2e/run_harness.py starts both).
vouchd runs as it would beyond loopback: over TLS with a test CA
(core/custom_ca_certs_file) and an auth config whose token gcloud sends
(auth/access_token_file; docs/security.md).
"""
import configparser
import json
import os
import re
import shutil
import socket
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import run_harness as rh  # noqa: E402

GCLOUD = shutil.which("gcloud")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
REGION = "us-central1"


def require_tools():
    """Fail without gcloud, docker-registry, vouchd or the resolver that
    makes REGION-run.localhost reach vouchd: the suite needs its tools and
    never skips (install-deps.sh installs libnss-myhostname)."""
    if GCLOUD is None:
        pytest.fail("needs the Google Cloud CLI (gcloud) on PATH")
    if not os.access(rh.registry_harness.REGISTRY_BIN, os.X_OK):
        pytest.fail("needs /usr/bin/docker-registry")
    if not os.access(rh.vouchd_path(), os.X_OK):
        pytest.fail("needs the built vouchd")
    try:
        socket.getaddrinfo(REGION + "-run.localhost", 80)
    except socket.gaierror:
        pytest.fail("%s-run.localhost does not resolve: install "
                    "libnss-myhostname (scripts/install-deps.sh) and check "
                    "that /etc/nsswitch.conf has 'myhostname' on the hosts "
                    "line" % REGION)


class Gcloud:
    """`gcloud` with its own configuration directory, pointed at vouchd;
    with `token_file` and `ca_file`, at vouchd over https, sending the
    token in the file."""

    def __init__(self, config_dir, port, project, token_file=None,
                 ca_file=None):
        self.config_dir = config_dir
        self.project = project
        # The machine's CA bundle variables would win over the config's
        # core/custom_ca_certs_file (requests reads REQUESTS_CA_BUNDLE):
        # gcloud trusts what its configuration says, as a user's does.
        bundles = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE",
                   "SSL_CERT_DIR")
        env = {k: v for k, v in rh.registry_harness.clean_env().items()
               if not k.startswith("CLOUDSDK_") and k not in bundles}
        env["CLOUDSDK_CONFIG"] = config_dir
        self.env = env
        # The settings of the `gcloud config set` lines docs/gcloud.md
        # gives, written as gcloud writes them (running `gcloud config set`
        # eleven times would cost a gcloud start-up each).
        scheme = "https" if ca_file is not None else "http"
        base = "%s://127.0.0.1:%d/" % (scheme, port)
        overrides = {api: base for api in (
            "binaryauthorization", "containeranalysis", "logging",
            "orgpolicy", "serviceusage", "cloudresourcemanager")}
        overrides["run"] = "%s://run.localhost:%d/" % (scheme, port)
        config = configparser.ConfigParser()
        if token_file is not None:
            config["auth"] = {"access_token_file": token_file}
        else:
            config["auth"] = {"disable_credentials": "true"}
        # disable_color: plain text to assert on; the rest keeps a test
        # from reaching for updates or surveys.
        config["core"] = {"project": project, "disable_color": "true",
                          "disable_usage_reporting": "true"}
        if ca_file is not None:
            config["core"]["custom_ca_certs_file"] = ca_file
        config["api_endpoint_overrides"] = overrides
        config["component_manager"] = {"disable_update_check": "true"}
        config["survey"] = {"disable_prompts": "true"}
        os.makedirs(os.path.join(config_dir, "configurations"))
        with open(os.path.join(config_dir, "active_config"), "w") as f:
            f.write("default")
        with open(os.path.join(config_dir, "configurations",
                               "config_default"), "w") as f:
            config.write(f)

    def run(self, *args, check=None, stdin=None):
        proc = subprocess.run([GCLOUD] + list(args), capture_output=True,
                              text=True, env=self.env, timeout=300,
                              input=stdin if stdin is not None else "",
                              cwd=self.config_dir)
        # gcloud marks names in bold even without colour; assert on text.
        proc.stdout = ANSI.sub("", proc.stdout)
        proc.stderr = ANSI.sub("", proc.stderr)
        if check is not None:
            assert proc.returncode == check, (
                "gcloud %s exited %d, expected %d\nstdout: %s\nstderr: %s"
                % (" ".join(args), proc.returncode, check, proc.stdout,
                   proc.stderr))
        return proc

    def json(self, *args):
        return json.loads(self.run(*args, "--format=json", check=0).stdout)


@pytest.fixture(scope="module")
def registry():
    require_tools()
    reg = rh.Registry()
    try:
        yield reg
    finally:
        reg.stop()
