#!/usr/bin/env python3
"""Kubernetes objects made by the real kubectl, for vouch's tests.

Every object the Kubernetes tests read is printed by `kubectl create ...
--dry-run=client -o json` or `kubectl run ... --dry-run=client -o json` at
test time, so the tests see exactly the shapes kubectl sends. `kubectl run`
and `kubectl create -f` need API discovery: a discovery-only stand-in
(apiserver_standin.py) answers it for the duration.

    kubectl_objects.py -- CMD ARGS...   make the objects in a temporary
                                        directory, run CMD with
                                        VK8S_OBJECTS=DIR, remove DIR; exit
                                        with CMD's status (77, meson's
                                        "skipped", when kubectl is missing)
    kubectl_objects.py DIR              make them in DIR

or `import kubectl_objects; kubectl_objects.make(dir)`.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
D_A = "sha256:" + "a" * 64
D_B = "sha256:" + "b" * 64
APP = "registry.example/team/app@" + D_A
SIDE = "registry.example/team/sidecar@" + D_B
TAGGED = "registry.example/team/app:1.0"
TOOLS = "registry.example/tools/debug@" + D_B
# Image a of tests/data/core: attested by projects/core-proj/attestors/att-a
# in tests/data/attestations/a-good.json.
ATTESTED = ("gcr.io/core-proj/app@sha256:"
            "527584eb3a3ee27717e6cced437e86c83cee6c6be183a8d109fbddf9b875faf7")

KNATIVE = """apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: hello
  namespace: web
spec:
  template:
    metadata:
      annotations:
        alpha.image-policy.k8s.io/break-glass: "true"
    spec:
      serviceAccountName: runner
      containers:
      - image: %s
""" % APP

# name -> (needs the stand-in, kubectl arguments)
OBJECTS = {
    "deployment": (False, ["create", "deployment", "web", "--image=" + APP,
                           "--image=" + SIDE, "-n", "prod"]),
    "deployment-scaled": (False, ["create", "deployment", "web",
                                  "--image=" + APP, "--image=" + SIDE,
                                  "--replicas=3", "-n", "prod"]),
    "deployment-tagged": (False, ["create", "deployment", "web",
                                  "--image=" + TAGGED, "-n", "prod"]),
    "deployment-attested": (False, ["create", "deployment", "web",
                                    "--image=" + ATTESTED, "-n", "prod"]),
    "job": (False, ["create", "job", "migrate", "--image=" + APP]),
    "cronjob": (False, ["create", "cronjob", "nightly", "--image=" + SIDE,
                        "--schedule=0 3 * * *", "-n", "batch"]),
    "namespace": (False, ["create", "namespace", "prod"]),
    "pod": (True, ["run", "p1", "--image=" + APP, "-n", "prod"]),
    "pod-breakglass": (True, ["run", "p2", "--image=" + TAGGED,
                              "--annotations=alpha.image-policy.k8s.io/"
                              "break-glass=true"]),
    "pod-init-sa": (True, ["run", "p3", "--image=" + APP, "-n", "prod",
                           "--overrides=" + json.dumps({"spec": {
                               "serviceAccountName": "builder",
                               "initContainers": [
                                   {"name": "init", "image": TAGGED}]}})]),
    "pod-ephemeral": (True, ["run", "p4", "--image=" + APP, "-n", "prod",
                             "--overrides=" + json.dumps({"spec": {
                                 "ephemeralContainers": [
                                     {"name": "debugger",
                                      "image": TOOLS}]}})]),
    "knative-service": (True, ["create", "-f", "knative.yaml",
                               "--validate=false"]),
}


class StandIn:
    """The discovery stand-in, started for a `with` block."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="vouch-standin-")
        portfile = os.path.join(self.dir, "port")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "apiserver_standin.py"),
             portfile])
        deadline = time.monotonic() + 20
        while not os.path.exists(portfile):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the discovery stand-in did not start")
            time.sleep(0.02)
        with open(portfile) as f:
            self.url = "http://127.0.0.1:" + f.read().strip()
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def kubectl(args, server=None, cwd=None):
    cmd = ["kubectl"]
    if server is not None:
        cmd += ["--server", server]
    cmd += args + ["--dry-run=client", "-o", "json"]
    out = subprocess.run(cmd, cwd=cwd, check=True, capture_output=True,
                         text=True, timeout=60)
    return json.loads(out.stdout)


def make(outdir):
    """Write OBJECTS[name] as outdir/name.json; return {name: object}."""
    made = {}
    with open(os.path.join(outdir, "knative.yaml"), "w") as f:
        f.write(KNATIVE)
    with StandIn() as standin:
        for name, (needs_server, args) in OBJECTS.items():
            obj = kubectl(args, standin.url if needs_server else None,
                          cwd=outdir)
            with open(os.path.join(outdir, name + ".json"), "w") as f:
                json.dump(obj, f, indent=1)
            made[name] = obj
    return made


def main(argv):
    if shutil.which("kubectl") is None:
        print("kubectl is needed to make the test objects; skipped",
              file=sys.stderr)
        return 77
    if len(argv) >= 2 and argv[1] == "--":
        outdir = tempfile.mkdtemp(prefix="vouch-k8s-objects-")
        try:
            make(outdir)
            env = dict(os.environ, VK8S_OBJECTS=outdir)
            return subprocess.run(argv[2:], env=env).returncode
        finally:
            shutil.rmtree(outdir, ignore_errors=True)
    make(argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
