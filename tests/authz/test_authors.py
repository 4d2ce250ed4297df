"""Who deployed (docs/run.md "Who deployed"): services, revisions, jobs,
executions and tasks name the caller who made them, in v2's `creator` and
`lastModifier` and in the v1 annotations gcloud prints ("Last updated on
... by", DEPLOYED BY, CREATED BY, RUN BY). Over loopback with an auth
config, so that every call has a caller."""
import os
import subprocess

import pytest

import authz

ALICE = "user:alice@example.com"
DEPLOYER = "principal://ci.example.com/subject/deployer"
LOC = "us-central1"
IMAGE = "registry.example/app@sha256:" + "ab" * 32
OTHER = "registry.example/app@sha256:" + "cd" * 32
VOUCH = os.environ.get("VOUCH_CLI", "build/src/cli/vouch")


@pytest.fixture(scope="module")
def auth(workdir, issuer):
    return authz.owner_config(os.path.join(workdir, "auth-authors.json"),
                              users=(ALICE,), issuer=issuer)


@pytest.fixture(scope="module")
def server(workdir, auth):
    d = authz.SecureDaemon("sqlite:" + os.path.join(workdir, "authors.db"),
                           workdir, auth=auth).start()
    yield d
    code = d.stop()
    assert code == 0, d.stderr_text()


@pytest.fixture(scope="module")
def owner(auth):
    return auth.tokens["user:owner@example.com"]


def ok(r):
    assert r.status == 200, r
    return r.json()


def v2(project, *rest):
    return "/v2/projects/%s/locations/%s/%s" % (project, LOC, "/".join(rest))


def v1(project, collection, name):
    group = "serving.knative.dev" if collection == "services" else \
        "run.googleapis.com"
    return "/apis/%s/v1/namespaces/%s/%s/%s" % (group, project, collection,
                                                 name)


def grant_developer(server, owner, project, member):
    ok(server.call("POST", "/v1/projects/%s:setIamPolicy" % project,
                   {"policy": {"bindings": [{"role": "roles/run.developer",
                                             "members": [member]}]}},
                   token=owner))


def create_service(server, project, service_id, token):
    ok(server.call("POST", v2(project, "services?serviceId=" + service_id),
                   {"template": {"containers": [{"image": IMAGE}]}},
                   token=token))


def create_job(server, project, job_id, token):
    ok(server.call("POST", v2(project, "jobs?jobId=" + job_id),
                   {"template": {"template": {"containers": [
                       {"image": IMAGE}]}}}, token=token))


def test_a_service_and_its_revisions_name_who_deployed_them(server, owner,
                                                            auth, project):
    alice = auth.tokens[ALICE]
    grant_developer(server, owner, project, ALICE)
    create_service(server, project, "web", owner)
    ok(server.call("PATCH", v2(project, "services/web"),
                   {"template": {"containers": [{"image": OTHER}]}},
                   token=alice))
    svc = ok(server.call("GET", v2(project, "services/web"), token=owner))
    assert svc["creator"] == "owner@example.com"
    assert svc["lastModifier"] == "alice@example.com"
    revs = ok(server.call("GET", v2(project, "services/web/revisions"),
                          token=owner))["revisions"]
    by_image = {r["containers"][0]["image"]: r["creator"] for r in revs}
    assert by_image == {IMAGE: "owner@example.com",
                        OTHER: "alice@example.com"}

    # The v1 (Knative) shape gcloud reads says the same.
    v1svc = ok(server.call("GET", v1(project, "services", "web"),
                           token=owner))
    ann = v1svc["metadata"]["annotations"]
    assert ann["serving.knative.dev/creator"] == "owner@example.com"
    assert ann["serving.knative.dev/lastModifier"] == "alice@example.com"
    rev_id = v1svc["status"]["latestCreatedRevisionName"]
    rev = ok(server.call(
        "GET", "/apis/serving.knative.dev/v1/namespaces/%s/revisions/%s"
        % (project, rev_id), token=owner))
    assert rev["metadata"]["annotations"][
        "serving.knative.dev/creator"] == "alice@example.com"

    # A replace that carries them (an exported YAML, or a claim to be
    # someone else) does not change who is named, nor store them.
    v1svc["metadata"]["annotations"]["serving.knative.dev/creator"] = \
        "mallory@example.com"
    v1svc["metadata"]["annotations"]["serving.knative.dev/lastModifier"] = \
        "mallory@example.com"
    v1svc["metadata"]["labels"]["run.googleapis.com/lastUpdatedTime"] = \
        "2020-01-01T00:00:00Z"
    del v1svc["status"]
    ok(server.call("PUT", v1(project, "services", "web"), v1svc,
                   token=alice))
    svc = ok(server.call("GET", v2(project, "services/web"), token=owner))
    assert svc["creator"] == "owner@example.com"
    assert svc["lastModifier"] == "alice@example.com"
    assert "mallory@example.com" not in str(svc)
    assert "run.googleapis.com/lastUpdatedTime" not in svc.get("labels", {})


def test_a_job_and_its_executions_name_who_made_and_ran_them(
        server, owner, issuer, project):
    grant_developer(server, owner, project, DEPLOYER)
    ci = issuer.mint(issuer.claims(sub="deployer"))
    create_job(server, project, "batch", ci)
    ok(server.call("POST", v2(project, "jobs/batch:run"), {}, token=owner))
    job = ok(server.call("GET", v2(project, "jobs/batch"), token=owner))
    assert job["creator"] == DEPLOYER
    assert job["lastModifier"] == DEPLOYER
    ex = ok(server.call("GET", v2(project, "jobs/batch/executions"),
                        token=owner))["executions"]
    assert [e["creator"] for e in ex] == ["owner@example.com"]
    assert "lastModifier" not in ex[0]

    v1job = ok(server.call("GET", v1(project, "jobs", "batch"), token=owner))
    assert v1job["metadata"]["annotations"]["run.googleapis.com/creator"] \
        == DEPLOYER
    assert v1job["metadata"]["labels"][
        "run.googleapis.com/lastUpdatedTime"] == job["updateTime"]
    ex_id = ex[0]["name"].rsplit("/", 1)[1]
    v1ex = ok(server.call("GET", v1(project, "executions", ex_id),
                          token=owner))
    assert v1ex["metadata"]["annotations"]["run.googleapis.com/creator"] \
        == "owner@example.com"


def test_the_cli_tables_say_who_deployed_and_who_ran(server, owner, auth,
                                                    project):
    alice = auth.tokens[ALICE]
    grant_developer(server, owner, project, ALICE)
    create_service(server, project, "api", alice)
    create_job(server, project, "nightly", owner)
    ok(server.call("POST", v2(project, "jobs/nightly:run"), {},
                   token=alice))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOUCH_")}
    env.update(VOUCH_SERVER=server.url, VOUCH_PROJECT=project,
               VOUCH_ACCESS_TOKEN=owner)
    for what, head in (("revisions", "DEPLOYED_BY"), ("executions", "RUN_BY")):
        out = subprocess.run([VOUCH, "run", what, "list"], capture_output=True,
                             text=True, env=env, timeout=60)
        assert out.returncode == 0, out.stderr
        lines = out.stdout.splitlines()
        assert lines[0].split()[-1] == head, out.stdout
        assert [r.split()[-1] for r in lines[1:]] == ["alice@example.com"], \
            out.stdout
