#!/usr/bin/env python3
"""A discovery-only stand-in of the Kubernetes API server, for tests.

kubectl needs API discovery even for client-side work (`kubectl run
--dry-run=client`, `kubectl apply --dry-run=client`): it asks which groups,
versions and resources exist before it builds or sends anything. This
server answers exactly that, for the kinds vouch's tests and manifests
use, and nothing else: it stores nothing, every object GET is a 404
NotFound, every write is refused, and every answer carries the header
`X-Vouch-Stand-In: discovery only` (its /version says so too).

    python3 apiserver_standin.py PORTFILE

listens on 127.0.0.1 at a free port and writes the port to PORTFILE once
it accepts connections. Stop it with SIGTERM.
"""
import http.server
import json
import os
import signal
import sys

# group/version -> [(resource, kind, namespaced, verbs)]
RESOURCES = {
    "v1": [
        ("pods", "Pod", True), ("services", "Service", True),
        ("secrets", "Secret", True), ("configmaps", "ConfigMap", True),
        ("namespaces", "Namespace", False),
        ("serviceaccounts", "ServiceAccount", True),
        ("replicationcontrollers", "ReplicationController", True),
    ],
    "apps/v1": [
        ("deployments", "Deployment", True),
        ("replicasets", "ReplicaSet", True),
        ("statefulsets", "StatefulSet", True),
        ("daemonsets", "DaemonSet", True),
    ],
    "batch/v1": [("jobs", "Job", True), ("cronjobs", "CronJob", True)],
    "admissionregistration.k8s.io/v1": [
        ("validatingwebhookconfigurations",
         "ValidatingWebhookConfiguration", False),
        ("mutatingwebhookconfigurations",
         "MutatingWebhookConfiguration", False),
    ],
    "serving.knative.dev/v1": [
        ("services", "Service", True),
        ("configurations", "Configuration", True),
        ("revisions", "Revision", True),
    ],
}
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


def resource_list(gv):
    return {
        "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
        "resources": [
            {"name": name, "singularName": kind.lower(), "namespaced": ns,
             "kind": kind, "verbs": VERBS}
            for name, kind, ns in RESOURCES[gv]
        ],
    }


def group_list():
    groups = []
    for gv in RESOURCES:
        if "/" not in gv:
            continue
        group, version = gv.split("/")
        entry = {"groupVersion": gv, "version": version}
        groups.append({"name": group, "versions": [entry],
                       "preferredVersion": entry})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def not_found(path):
    return 404, {
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "reason": "NotFound", "code": 404,
        "message": "the discovery stand-in stores nothing: %s" % path,
    }


def answer(path):
    if path == "/version":
        return 200, {"major": "1", "minor": "30",
                     "gitVersion": "v1.30.0-vouch-discovery-stand-in",
                     "platform": "linux/amd64"}
    if path == "/api":
        return 200, {"kind": "APIVersions", "versions": ["v1"],
                     "serverAddressByClientCIDRs": [
                         {"clientCIDR": "0.0.0.0/0",
                          "serverAddress": "127.0.0.1"}]}
    if path == "/apis":
        return 200, group_list()
    if path == "/api/v1":
        return 200, resource_list("v1")
    if path.startswith("/apis/"):
        gv = path[len("/apis/"):]
        if gv in RESOURCES:
            return 200, resource_list(gv)
    return not_found(path)


class Handler(http.server.BaseHTTPRequestHandler):
    def send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Vouch-Stand-In", "discovery only")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.send(*answer(self.path.split("?", 1)[0]))

    def refuse(self):
        self.send(405, {"kind": "Status", "apiVersion": "v1",
                        "status": "Failure", "reason": "MethodNotAllowed",
                        "code": 405,
                        "message": "the discovery stand-in stores nothing"})

    do_POST = do_PUT = do_PATCH = do_DELETE = refuse

    def log_message(self, fmt, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, sys.argv[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
