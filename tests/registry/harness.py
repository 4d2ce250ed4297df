#!/usr/bin/env python3
"""Harness for tests/registry/test_registry.c.

  harness.py run -- TEST_EXE [ARGS...]
      Start, on 127.0.0.1 only:
        - a REAL Debian docker-registry (/usr/bin/docker-registry), anonymous;
        - a second REAL docker-registry with htpasswd basic auth (bcrypt
          hash made with Python's crypt module, METHOD_BLOWFISH);
        - fake_registry.py on three ports (two plain http, one https with
          a certificate made here with openssl) plus a probe port that
          counts connections (bearer flow, 429/5xx, timeouts, dropped
          connections, redirects: see its docstring for why those parts
          are fake);
      push test images into the real registries with curl (blob upload:
      POST /v2/<name>/blobs/uploads/ then PUT ?digest=; then PUT the
      manifest: OCI image manifest, Docker v2 schema 2, OCI index, Docker
      manifest list), run the test with the addresses and expected digests in
      its environment, and stop every server by PID.

  harness.py push REGISTRY REPO TAG KIND SEED [USER:PASS]
      Push one image (KIND: oci | docker) and print its manifest digest.
      The test uses it to re-push a tag.

Registries run as `nobody` when the harness runs as root.
"""
import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings

with warnings.catch_warnings():
    # deprecated since 3.11, and still the only bcrypt on this machine
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

HERE = os.path.dirname(os.path.abspath(__file__))
REGISTRY_BIN = "/usr/bin/docker-registry"
AUTH_USER = "alice"
AUTH_PASS = "wonderland-42"

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def curl(*args, data=None):
    """Run curl (never through a proxy); returns (status, headers, body)."""
    cmd = ["curl", "-sS", "--noproxy", "*", "-D", "-", "-o", "-",
           "--max-time", "30"] + list(args)
    if data is not None:
        cmd += ["--data-binary", "@-"]
    out = subprocess.run(cmd, input=data, capture_output=True, check=True)
    raw = out.stdout
    # skip any interim 1xx blocks
    while True:
        head, _, rest = raw.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        if status >= 200:
            break
        raw = rest
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.decode().partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, rest


def auth_args(userpass):
    return ["-u", userpass] if userpass else []


def push_blob(registry, repo, data, userpass=None):
    digest = sha256(data)
    status, headers, body = curl(*auth_args(userpass), "-X", "POST",
                                 "http://%s/v2/%s/blobs/uploads/"
                                 % (registry, repo))
    if status != 202:
        raise RuntimeError("upload start: %d %s" % (status, body))
    loc = headers["location"]
    if loc.startswith("/"):
        loc = "http://%s%s" % (registry, loc)
    loc += ("&" if "?" in loc else "?") + "digest=" + digest
    status, _, body = curl(*auth_args(userpass), "-X", "PUT", "-H",
                           "Content-Type: application/octet-stream", loc,
                           data=data)
    if status != 201:
        raise RuntimeError("upload finish: %d %s" % (status, body))
    return {"digest": digest, "size": len(data)}


def push_manifest(registry, repo, tag, media_type, doc, userpass=None):
    raw = json.dumps(doc, sort_keys=True).encode()
    status, headers, body = curl(*auth_args(userpass), "-X", "PUT", "-H",
                                 "Content-Type: " + media_type,
                                 "http://%s/v2/%s/manifests/%s"
                                 % (registry, repo, tag), data=raw)
    if status != 201:
        raise RuntimeError("manifest put %s: %d %s" % (tag, status, body))
    digest = sha256(raw)
    if headers.get("docker-content-digest") != digest:
        raise RuntimeError("registry digest %s != %s"
                           % (headers.get("docker-content-digest"), digest))
    return {"digest": digest, "size": len(raw), "mediaType": media_type}


def push_image(registry, repo, tag, kind, seed, userpass=None):
    docker = kind == "docker"
    layer = push_blob(registry, repo,
                      ("layer %s %s" % (repo, seed)).encode() * 8, userpass)
    config = push_blob(registry, repo, json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Labels": {"seed": str(seed)}},
        "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]},
    }, sort_keys=True).encode(), userpass)
    doc = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST if docker else OCI_MANIFEST,
        "config": {"mediaType": DOCKER_CONFIG if docker else OCI_CONFIG,
                   **config},
        "layers": [{"mediaType": DOCKER_LAYER if docker else OCI_LAYER,
                    **layer}],
    }
    return push_manifest(registry, repo, tag,
                         DOCKER_MANIFEST if docker else OCI_MANIFEST, doc,
                         userpass)


def push_list(registry, repo, tag, kind, child, userpass=None):
    media = OCI_INDEX if kind == "index" else DOCKER_LIST
    doc = {
        "schemaVersion": 2,
        "mediaType": media,
        "manifests": [{**child,
                       "platform": {"architecture": "amd64",
                                    "os": "linux"}}],
    }
    return push_manifest(registry, repo, tag, media, doc, userpass)


def wait_http(url, proc, what, accept=(200, 401)):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.time() + 20
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("%s exited with %d" % (what, proc.returncode))
        try:
            opener.open(url, timeout=2).close()
            return
        except urllib.error.HTTPError as e:
            if e.code in accept:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("%s did not come up at %s" % (what, url))


def start_registry(tmp, name, port, htpasswd=None):
    root = os.path.join(tmp, name)
    os.makedirs(os.path.join(root, "storage"))
    cfg = os.path.join(root, "config.yml")
    lines = [
        "version: 0.1",
        "log:",
        "  level: error",
        "storage:",
        "  filesystem:",
        "    rootdirectory: %s" % os.path.join(root, "storage"),
        "  delete:",
        "    enabled: true",
        "http:",
        "  addr: 127.0.0.1:%d" % port,
    ]
    if htpasswd:
        lines += ["auth:", "  htpasswd:", "    realm: vouch-test",
                  "    path: %s" % htpasswd]
    with open(cfg, "w") as f:
        f.write("\n".join(lines) + "\n")
    cmd = [REGISTRY_BIN, "serve", cfg]
    if os.geteuid() == 0 and shutil.which("runuser"):
        shutil.chown(os.path.join(root, "storage"), "nobody", "nogroup")
        cmd = ["runuser", "-u", "nobody", "--"] + cmd
    log = open(os.path.join(root, "registry.log"), "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                            env=clean_env())
    wait_http("http://127.0.0.1:%d/v2/" % port, proc, "docker-registry")
    return proc


def make_certificate(tmp):
    """A self-signed P-256 certificate for 127.0.0.1 (and localhost), made
    with the openssl command; the test trusts it as its CA file."""
    cert = os.path.join(tmp, "tls-cert.pem")
    key = os.path.join(tmp, "tls-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if "proxy" not in k.lower()}
    env.update(extra or {})
    return env


def stop(proc):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run(test_cmd):
    tmp = tempfile.mkdtemp(prefix="vouch-registry-")
    os.chmod(tmp, 0o755)
    procs = []
    try:
        anon = "127.0.0.1:%d" % free_port()
        procs.append(start_registry(tmp, "anon", int(anon.split(":")[1])))

        htpasswd = os.path.join(tmp, "htpasswd")
        salt = crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 5)
        with open(htpasswd, "w") as f:
            f.write("%s:%s\n" % (AUTH_USER, crypt.crypt(AUTH_PASS, salt)))
        os.chmod(htpasswd, 0o644)
        auth = "127.0.0.1:%d" % free_port()
        procs.append(start_registry(tmp, "auth", int(auth.split(":")[1]),
                                    htpasswd))

        fake = "127.0.0.1:%d" % free_port()
        alt = "127.0.0.1:%d" % free_port()
        tls = "127.0.0.1:%d" % free_port()
        probe = "127.0.0.1:%d" % free_port()
        cert, key = make_certificate(tmp)
        fproc = subprocess.Popen([sys.executable,
                                  os.path.join(HERE, "fake_registry.py"),
                                  fake.split(":")[1], alt.split(":")[1],
                                  tls.split(":")[1], probe.split(":")[1],
                                  cert, key], env=clean_env())
        procs.append(fproc)
        wait_http("http://%s/v2/" % fake, fproc, "fake registry")
        wait_http("http://%s/v2/" % alt, fproc, "fake registry (alt)")

        dead = "127.0.0.1:%d" % free_port()  # nothing listens there

        oci = push_image(anon, "team/app", "oci", "oci", 1)
        docker = push_image(anon, "team/app", "docker", "docker", 2)
        index = push_list(anon, "team/app", "index", "index", oci)
        dlist = push_list(anon, "team/app", "list", "list", docker)
        push_image(anon, "team/app", "1.0", "oci", 3)
        private = push_image(auth, "team/private", "1.0", "oci", 4,
                             "%s:%s" % (AUTH_USER, AUTH_PASS))

        import fake_registry  # noqa: E402  (same directory)
        creds = os.path.join(tmp, "credentials.json")
        with open(creds, "w") as f:
            json.dump({"auths": {
                auth: {"username": AUTH_USER, "password": AUTH_PASS},
                "http://%s/v2/" % fake: {"auth": base64.b64encode(
                    ("%s:%s" % (fake_registry.BASIC_USER,
                                fake_registry.BASIC_PASS)).encode()
                ).decode()},
            }}, f)
        badcreds = os.path.join(tmp, "badcredentials.json")
        with open(badcreds, "w") as f:
            json.dump({"auths": {
                auth: {"username": AUTH_USER, "password": "wrong"},
                fake: {"username": "bob", "password": "wrong"},
            }}, f)

        env = clean_env({
            "VOUCH_REG_ANON": anon,
            "VOUCH_REG_AUTH": auth,
            "VOUCH_REG_FAKE": fake,
            "VOUCH_REG_ALT": alt,
            "VOUCH_REG_TLS": tls,
            "VOUCH_REG_PROBE": probe,
            "VOUCH_REG_CA": cert,
            "VOUCH_REG_DEAD": dead,
            "VOUCH_REG_CREDS": creds,
            "VOUCH_REG_BADCREDS": badcreds,
            "VOUCH_REG_DIGEST_OCI": oci["digest"],
            "VOUCH_REG_DIGEST_DOCKER": docker["digest"],
            "VOUCH_REG_DIGEST_INDEX": index["digest"],
            "VOUCH_REG_DIGEST_LIST": dlist["digest"],
            "VOUCH_REG_DIGEST_PRIVATE": private["digest"],
            "VOUCH_REG_DIGEST_FAKE": fake_registry.DIGEST,
            "VOUCH_REG_PUSH": "%s %s push %s" % (
                sys.executable, os.path.abspath(__file__), anon),
        })
        return subprocess.call(test_cmd, env=env)
    finally:
        for p in reversed(procs):
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv):
    sys.path.insert(0, HERE)
    if len(argv) >= 3 and argv[1] == "run" and argv[2] == "--":
        return run(argv[3:])
    if len(argv) in (7, 8) and argv[1] == "push":
        d = push_image(argv[2], argv[3], argv[4], argv[5], argv[6],
                       argv[7] if len(argv) == 8 else None)
        print(d["digest"])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
