"""The whole Binary Authorization story on the run platform, in order,
as a user lives it: against a real docker-registry and vouchd on both
stores (SQLite and PostgreSQL), driven through the `vouch` CLI (`run`,
`logs`, `org-policies`, `attestations sign`) and raw HTTP where no command
exists (notes, attestors, policy, occurrences).

vouchd runs with the exec runtime (`sh -c "exit 0"`, plus a line per
execution in a file, so the test sees what ran) and `--audit-log FILE`,
which must receive the same entries as `vouch logs read`.

The steps share one daemon per store and run in file order; each asserts
what the user would see (exit status, printed message, the revision's
admitted digest, the audit entries).
"""
import json
import urllib.request
import os
import uuid

import pytest

import run_harness as rh
from run_harness import vouch, vouch_json

pytestmark = pytest.mark.skipif(
    not os.access(rh.vouchd_path(), os.X_OK) or
    not os.access(rh.registry_harness.REGISTRY_BIN, os.X_OK),
    reason="needs the built vouchd and /usr/bin/docker-registry")

BLOCKED = ('protoPayload.response.status.conditions.reason='
           '"ContainerImageUnauthorized"')
ORG_MESSAGE = ('Constraint constraints/run.allowedBinaryAuthorizationPolicies'
               ' violated for attempting CreateService with annotation '
               '"run.googleapis.com/binary-authorization" set to null.')


@pytest.fixture(scope="module")
def registry():
    reg = rh.Registry()
    try:
        yield reg
    finally:
        reg.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def story(request, registry, tmp_path_factory):
    """Everything the steps share: the daemon, project, images, keys."""
    work = str(tmp_path_factory.mktemp("run-story"))
    pg_dir = None
    if request.param == "sqlite":
        store = "sqlite:%s" % os.path.join(work, "vouch.db")
    else:
        store, pg_dir = rh.pg_start()
    ran = os.path.join(work, "ran.txt")
    audit = os.path.join(work, "audit.jsonl")
    daemon = rh.Daemon(store, work, [
        "--registry-insecure", registry.host,
        "--runtime", "exec",
        "--runtime-command",
        'sh -c "exit 0" && echo {job} {execution} {image} >> ' + ran,
        "--audit-log", audit]).start()
    project = "story-" + uuid.uuid4().hex[:10]
    tag = uuid.uuid4().hex[:6]
    s = {
        "daemon": daemon, "project": project, "work": work, "ran": ran,
        "audit": audit, "reg": registry.host, "registry": registry,
        "repo": "team/app-%s" % tag,
    }
    for i, t in enumerate(["v1", "v2", "v3", "job"]):
        s[t] = registry.push(s["repo"], t, "%s-%d" % (tag, i))
    try:
        yield s
    finally:
        code = daemon.stop()
        rh.pg_stop(pg_dir)
        assert code == 0, daemon.stderr_text()


def cli(s, *args, check=None):
    return vouch(s["daemon"], s["project"], *args, check=check)


def cli_json(s, *args):
    return vouch_json(s["daemon"], s["project"], *args)


def image(s, tag):
    return "%s/%s:%s" % (s["reg"], s["repo"], tag)


def by_digest(s, tag):
    return "%s/%s@%s" % (s["reg"], s["repo"], s[tag])


def latest_revision(s, service):
    svc = cli_json(s, "run", "services", "describe", service)
    return cli_json(s, "run", "revisions", "describe",
                    svc["latestReadyRevision"].rsplit("/", 1)[-1])


def decision(revision):
    ann = revision.get("annotations", {})
    raw = ann.get("run.googleapis.com/binary-authorization-decision")
    return json.loads(raw) if raw else None


def logs(s, *filter_args):
    return cli_json(s, "logs", "read", "--order", "asc", *filter_args)


def test_run_story_deploy_with_binauthz_off(story):
    out = cli(story, "run", "deploy", "web", "--image", image(story, "v1"),
              check=0)
    assert "Service [web] revision [web-00001-" in out.stderr
    rev = latest_revision(story, "web")
    # The tag was resolved through the registry; the digest is recorded.
    assert rev["containers"][0]["image"] == by_digest(story, "v1")
    assert decision(rev) is None
    assert logs(story) == []


def test_run_story_turn_on_default_policy(story):
    cli(story, "run", "deploy", "web", "--binary-authorization", "default",
        check=0)
    rev = latest_revision(story, "web")
    assert rev["name"].split("/")[-1].startswith("web-00002-")
    assert rev["containers"][0]["image"] == by_digest(story, "v1")
    assert decision(rev)["decision"] == "ALLOW"
    svc = cli_json(story, "run", "services", "describe", "web")
    assert svc["binaryAuthorization"] == {"useDefault": True}
    # An allow is not an audit event.
    assert logs(story) == []


def test_run_story_require_attestation(story):
    att, note, key = rh.setup_attestor(story["daemon"], story["project"],
                                       story["work"])
    story.update(attestor=att, note=note, key=key)
    rh.set_policy(story["daemon"], story["project"], "REQUIRE_ATTESTATION",
                  [att])
    before = cli_json(story, "run", "services", "describe", "web")
    out = cli(story, "run", "deploy", "web", "--image", image(story, "v2"),
              check=1)
    assert "uses an unauthorized container image" in out.stderr
    assert by_digest(story, "v2") in out.stderr
    assert out.stderr.splitlines()[-1].startswith(
        "vouch: Revision 'web-00003-")
    after = cli_json(story, "run", "services", "describe", "web")
    # Traffic stays on the revision that was serving.
    assert after["latestReadyRevision"] == before["latestReadyRevision"]
    assert after["terminalCondition"]["state"] == "CONDITION_FAILED"
    entries = logs(story, "--filter", BLOCKED)
    assert len(entries) == 1, entries
    e = entries[0]
    assert e["severity"] == "ERROR"
    assert e["resource"]["type"] == "cloud_run_revision"
    assert e["protoPayload"]["resourceName"].startswith(
        "projects/%s/locations/us-central1/services/web/revisions/web-00003-"
        % story["project"])
    assert e["labels"]["binaryauthorization.googleapis.com/decision"] == \
        "DENY"
    story["deny_entry"] = e["insertId"]


def test_run_story_breakglass(story):
    out = cli(story, "run", "deploy", "web", "--image", image(story, "v2"),
              "--breakglass", "incident 42", check=0)
    assert "has been deployed" in out.stderr
    rev = latest_revision(story, "web")
    assert rev["containers"][0]["image"] == by_digest(story, "v2")
    assert decision(rev)["decision"] == "ALLOW_BREAKGLASS"
    entries = logs(story, "--filter", "breakglass")
    assert len(entries) == 1, entries
    e = entries[0]
    assert e["labels"]["binaryauthorization.googleapis.com/break-glass"] == \
        "true"
    assert e["protoPayload"]["response"]["metadata"]["annotations"][
        "run.googleapis.com/binary-authorization-breakglass"] == "incident 42"
    # The deny entry is still the only blocked one.
    assert [x["insertId"] for x in logs(story, "--filter", BLOCKED)] == \
        [story["deny_entry"]]


def test_run_story_attest_then_deploy(story):
    rh.attest(story["daemon"], story["project"], by_digest(story, "v2"),
              story["note"], story["key"], story["attestor"])
    before = len(logs(story))
    out = cli(story, "run", "deploy", "web", "--image", image(story, "v2"),
              check=0)
    assert "has been deployed" in out.stderr
    rev = latest_revision(story, "web")
    assert rev["containers"][0]["image"] == by_digest(story, "v2")
    # Admitted by the attestation, not by a breakglass carried over.
    assert decision(rev)["decision"] == "ALLOW"
    assert "run.googleapis.com/binary-authorization-breakglass" not in \
        rev.get("annotations", {})
    assert len(logs(story)) == before
    story["attested_revision"] = rev


def test_run_story_dry_run(story):
    rh.set_policy(story["daemon"], story["project"], "REQUIRE_ATTESTATION",
                  [story["attestor"]],
                  enforcement="DRYRUN_AUDIT_LOG_ONLY")
    cli(story, "run", "deploy", "dry", "--image", image(story, "v3"),
        "--binary-authorization", "default", check=0)
    rev = latest_revision(story, "dry")
    assert decision(rev)["decision"] == "ALLOW_DRYRUN"
    entries = logs(story, "--filter", '"dry run"')
    assert len(entries) == 1, entries
    assert entries[0]["labels"][
        "binaryauthorization.googleapis.com/dry-run"] == "true"
    assert entries[0]["severity"] == "WARNING"
    # A dry run is not blocked.
    assert len(logs(story, "--filter", BLOCKED)) == 1
    rh.set_policy(story["daemon"], story["project"], "REQUIRE_ATTESTATION",
                  [story["attestor"]])


def read_ran(story):
    if not os.path.exists(story["ran"]):
        return []
    with open(story["ran"]) as f:
        return [line.split() for line in f.read().splitlines()]


def test_run_story_job_execution(story):
    cli(story, "run", "jobs", "create", "batch", "--image",
        image(story, "v2"), "--binary-authorization", "default", check=0)
    out = cli(story, "run", "jobs", "execute", "batch", "--wait", check=0)
    assert "successfully completed" in out.stderr
    assert read_ran(story)[-1][0] == "batch"
    assert read_ran(story)[-1][2] == by_digest(story, "v2")

    # Updating to an unattested image succeeds; its execution does not.
    cli(story, "run", "jobs", "update", "batch", "--image",
        image(story, "job"), check=0)
    job = cli_json(story, "run", "jobs", "describe", "batch")
    assert job["template"]["template"]["containers"][0]["image"] == \
        image(story, "job")
    ran_before = len(read_ran(story))
    out = cli(story, "run", "jobs", "execute", "batch", check=1)
    assert out.stderr.splitlines()[-1].startswith(
        "vouch: Execution 'batch-")
    assert "uses an unauthorized container image" in out.stderr
    assert by_digest(story, "job") in out.stderr
    assert len(read_ran(story)) == ran_before
    failed = [e for e in cli_json(story, "run", "executions", "list",
                                  "--job", "batch")
              if e["failedCount"] > 0]
    assert len(failed) == 1
    entries = logs(story, "--filter", 'resource.type="cloud_run_job"')
    assert [e["labels"]["binaryauthorization.googleapis.com/decision"]
            for e in entries] == ["DENY"]

    # A breakglass execution runs, and is logged.
    cli(story, "run", "jobs", "update", "batch", "--breakglass",
        "hotfix 7", check=0)
    out = cli(story, "run", "jobs", "execute", "batch", "--wait", check=0)
    last = read_ran(story)[-1]
    assert last[0] == "batch" and last[2] == by_digest(story, "job")
    execution = last[1]
    ex = cli_json(story, "run", "executions", "describe", execution)
    assert ex["succeededCount"] == 1
    entries = logs(story, "--filter", 'resource.type="cloud_run_job"')
    assert [e["labels"]["binaryauthorization.googleapis.com/decision"]
            for e in entries] == ["DENY", "ALLOW_BREAKGLASS"]
    table = cli(story, "run", "executions", "list", "--job", "batch",
                check=0).stdout
    assert execution in table and "Succeeded" in table and "Failed" in table


def test_run_story_policy_change_keeps_revision(story):
    before = story["attested_revision"]
    rh.set_policy(story["daemon"], story["project"], "ALWAYS_DENY")
    after = latest_revision(story, "web")
    assert after == before
    svc = cli_json(story, "run", "services", "describe", "web")
    assert svc["latestReadyRevision"].rsplit("/", 1)[-1] == \
        before["name"].rsplit("/", 1)[-1]
    # ...while a new deploy of the same image is now refused.
    cli(story, "run", "deploy", "web", "--image", image(story, "v2"),
        check=1)
    assert latest_revision(story, "web") == before
    rh.set_policy(story["daemon"], story["project"], "REQUIRE_ATTESTATION",
                  [story["attestor"]])


def test_run_story_org_policy(story):
    cli(story, "org-policies", "allow",
        "run.allowedBinaryAuthorizationPolicies", "default", check=0)
    pol = cli_json(story, "org-policies", "describe",
                   "run.allowedBinaryAuthorizationPolicies")
    assert pol["spec"]["rules"] == [{"values": {"allowedValues":
                                                ["default"]}}]
    out = cli(story, "run", "deploy", "plain", "--image",
              image(story, "v2"), check=2)
    assert out.stderr.splitlines()[-1] == "vouch: " + ORG_MESSAGE
    status, body = story["daemon"].request(
        "POST", "/v2/projects/%s/locations/us-central1/services?serviceId="
        "plain" % story["project"],
        {"template": {"containers": [{"image": image(story, "v2")}]}})
    assert status == 400
    assert body["error"]["message"] == ORG_MESSAGE
    assert body["error"]["status"] == "FAILED_PRECONDITION"
    # With Binary Authorization on, the same deploy is allowed.
    cli(story, "run", "deploy", "plain", "--image", image(story, "v2"),
        "--binary-authorization", "default", check=0)
    cli(story, "org-policies", "reset",
        "run.allowedBinaryAuthorizationPolicies", check=0)
    cli(story, "run", "deploy", "plain2", "--image", image(story, "v2"),
        check=0)


def test_run_story_source_deploy_exemption(story):
    reg = story["registry"]
    src = "%s/%s/cloud-run-source-deploy/web" % (story["reg"],
                                                 story["project"])
    other = "%s/%s/elsewhere/web" % (story["reg"], story["project"])
    reg.push(src.split("/", 1)[1], "latest", "src-" + story["project"])
    reg.push(other.split("/", 1)[1], "latest", "other-" + story["project"])
    rh.set_policy(story["daemon"], story["project"], "REQUIRE_ATTESTATION",
                  [story["attestor"]], patterns=[
                      "%s/%s/cloud-run-source-deploy/**"
                      % (story["reg"], story["project"])])
    cli(story, "run", "deploy", "fromsource", "--image", src + ":latest",
        "--binary-authorization", "default", check=0)
    rev = latest_revision(story, "fromsource")
    assert decision(rev)["decision"] == "ALLOW"
    out = cli(story, "run", "deploy", "notsource", "--image",
              other + ":latest", "--binary-authorization", "default",
              check=1)
    assert "uses an unauthorized container image" in out.stderr


def test_run_story_repushed_tag_keeps_digest(story):
    rh.set_policy(story["daemon"], story["project"], "ALWAYS_ALLOW")
    reg = story["registry"]
    first = reg.push(story["repo"], "moving", "moving-1-" + story["project"])
    cli(story, "run", "deploy", "tagged", "--image", image(story, "moving"),
        "--binary-authorization", "default", check=0)
    rev = latest_revision(story, "tagged")
    digest_ref = "%s/%s@%s" % (story["reg"], story["repo"], first)
    assert rev["containers"][0]["image"] == digest_ref
    second = reg.push(story["repo"], "moving", "moving-2-" +
                      story["project"])
    assert second != first
    assert latest_revision(story, "tagged") == rev
    svc = cli_json(story, "run", "services", "describe", "tagged")
    assert svc["terminalCondition"]["state"] == "CONDITION_SUCCEEDED"
    # A deploy right after the push resolves the tag afresh: the new digest.
    cli(story, "run", "deploy", "tagged2", "--image", image(story, "moving"),
        "--binary-authorization", "default", check=0)
    assert latest_revision(story, "tagged2")["containers"][0]["image"] == \
        "%s/%s@%s" % (story["reg"], story["repo"], second)


def test_run_story_audit_log_file(story):
    entries = logs(story)
    kinds = sorted(e.get("labels", {}).get(
        "binaryauthorization.googleapis.com/decision", e["logName"]
        .rsplit("%2F", 1)[-1]) for e in entries)
    assert kinds.count("DENY") >= 4
    assert kinds.count("ALLOW_BREAKGLASS") == 2
    assert kinds.count("ALLOW_DRYRUN") == 1
    with open(story["audit"]) as f:
        lines = [json.loads(line) for line in f]
    mine = [e for e in lines
            if e["logName"].startswith("projects/%s/" % story["project"])]
    assert sorted(e["insertId"] for e in mine) == \
        sorted(e["insertId"] for e in entries)
    by_id = {e["insertId"]: e for e in mine}
    for e in entries:
        assert by_id[e["insertId"]] == e
    # --limit and --order desc: the newest entry first.
    newest = cli_json(story, "logs", "read", "--limit", "1")
    assert newest == [entries[-1]]
    # Deploy and execution decisions are counted in /metrics by outcome.
    with urllib.request.urlopen(story["daemon"].url + "/metrics") as r:
        metrics = r.read().decode()
    counts = {}
    for line in metrics.splitlines():
        if line.startswith("vouchd_decisions_total{outcome=\""):
            outcome = line.split('"')[1]
            counts[outcome] = int(line.rsplit(" ", 1)[1])
    assert counts.get("DENY", 0) >= 4
    assert counts.get("ALLOW_BREAKGLASS", 0) >= 2
    assert counts.get("ALLOW_DRYRUN", 0) >= 1
    assert counts.get("ALLOW", 0) >= 1


# ---- the exec runtime and the CLI's own errors (SQLite only) ----

@pytest.fixture(scope="module")
def plain(registry, tmp_path_factory):
    """A daemon whose runtime command fails for jobs named fail*,
    sleeps for jobs named sleep* (so they can be cancelled), and for jobs
    named signals* fails (status 4) unless its process started with no
    signal blocked and none of 1 to 31 ignored (glibc's own 32 and 33 may
    be)."""
    work = str(tmp_path_factory.mktemp("run-cli"))
    daemon = rh.Daemon("sqlite:%s" % os.path.join(work, "vouch.db"), work, [
        "--registry-insecure", registry.host,
        "--runtime", "exec", "--runtime-command",
        'case {job} in fail*) exit 3;; sleep*) exec sleep 60;; '
        'signals*) grep -Eq "^SigBlk:[[:space:]]*0+$" /proc/self/status && '
        'grep -Eq "^SigIgn:[[:space:]]*[0-9a-f]*[08]0000000$" '
        '/proc/self/status || exit 4;; '
        'esac; sh -c "exit 0"']).start()
    project = "cli-" + uuid.uuid4().hex[:10]
    s = {"daemon": daemon, "project": project, "reg": registry.host,
         "repo": "team/cli-" + project}
    s["v1"] = registry.push(s["repo"], "v1", project)
    try:
        yield s
    finally:
        code = daemon.stop()
        assert code == 0, daemon.stderr_text()


def test_run_cli_failed_execution_exits_1(plain):
    cli(plain, "run", "jobs", "create", "failing", "--image",
        image(plain, "v1"), check=0)
    out = cli(plain, "run", "jobs", "execute", "failing", "--wait", check=1)
    assert out.stderr.splitlines()[-1] == \
        "vouch: The task exited with status 3."
    ex = cli_json(plain, "run", "executions", "list", "--job", "failing")
    assert [e["failedCount"] for e in ex] == [1]


def test_run_cli_job_process_starts_with_default_signals(plain):
    # vouchd blocks SIGTERM, SIGINT and SIGHUP in its threads and
    # ignores SIGPIPE; a job's process must not inherit either (a blocked
    # SIGTERM could not be stopped, an ignored SIGPIPE breaks pipelines).
    cli(plain, "run", "jobs", "create", "signals", "--image",
        image(plain, "v1"), check=0)
    out = cli(plain, "run", "jobs", "execute", "signals", "--wait", check=0)
    assert "status 4" not in out.stderr, out.stderr


def test_run_cli_cancel_running_execution(plain):
    cli(plain, "run", "jobs", "create", "sleeper", "--image",
        image(plain, "v1"), "--tasks", "2", check=0)
    job = cli_json(plain, "run", "jobs", "describe", "sleeper")
    assert job["template"]["taskCount"] == 2
    out = cli(plain, "run", "jobs", "execute", "sleeper", check=0)
    line = out.stderr.splitlines()[-1]
    assert line.endswith("has successfully started running."), out.stderr
    execution = line.split("[", 1)[1].split("]", 1)[0]
    assert execution.startswith("sleeper-")
    table = cli(plain, "run", "executions", "list", check=0).stdout
    assert table.splitlines()[0].split() == ["EXECUTION", "JOB", "STATUS",
                                             "IMAGE", "RUN_BY"]
    row = [r.split() for r in table.splitlines()[1:]
           if r.startswith(execution)]
    # Without an auth config nobody is named.
    assert row and row[0][:3] == [execution, "sleeper", "Running"] and \
        row[0][-1] == "-", table
    cli(plain, "run", "executions", "cancel", execution, check=0)
    ex = cli_json(plain, "run", "executions", "describe", execution)
    assert ex["cancelledCount"] >= 1
    assert ex["runningCount"] == 0
    # Cancelling a finished execution is the server's error, exit 2.
    out = cli(plain, "run", "executions", "cancel", execution, check=2)
    assert out.stderr.startswith("vouch: ")


def test_run_cli_execute_with_overrides(plain):
    cli(plain, "run", "jobs", "create", "overridden", "--image",
        image(plain, "v1"), check=0)
    out = cli(plain, "run", "jobs", "execute", "overridden", "--wait",
              "--args", "a,b", "--update-env-vars", "MODE=fast,EMPTY=",
              "--tasks", "3", "--task-timeout", "60", check=0)
    name = out.stderr.splitlines()[-1].split("[", 1)[1].split("]", 1)[0]
    ex = cli_json(plain, "run", "executions", "describe", name)
    container = ex["template"]["containers"][0]
    assert container["args"] == ["a", "b"]
    assert container["env"] == [{"name": "MODE", "value": "fast"},
                                {"name": "EMPTY", "value": ""}]
    assert ex["template"]["timeout"] == "60s"
    assert ex["taskCount"] == 3
    # The job stays as it was.
    job = cli_json(plain, "run", "jobs", "describe", "overridden")
    assert job["template"].get("taskCount", 1) == 1
    assert "args" not in job["template"]["template"]["containers"][0]
    # Errors: the CLI's own, then the server's with the field path.
    out = cli(plain, "run", "jobs", "execute", "overridden",
              "--update-env-vars", "NOEQUALS", check=2)
    assert "--update-env-vars: 'NOEQUALS' is not NAME=VALUE" in out.stderr
    out = cli(plain, "run", "jobs", "execute", "overridden", "--tasks", "0",
              check=2)
    assert "overrides.taskCount" in out.stderr


def test_run_cli_lists_and_describe(plain):
    cli(plain, "run", "deploy", "listed", "--image", image(plain, "v1"),
        "--image", image(plain, "v1"), check=0)
    svc = cli_json(plain, "run", "services", "describe", "listed")
    assert [c["image"] for c in svc["template"]["containers"]] == \
        [image(plain, "v1")] * 2
    table = cli(plain, "run", "services", "list", check=0).stdout.splitlines()
    assert table[0].split() == ["SERVICE", "READY", "LATEST_REVISION", "URL"]
    assert [r.split()[:2] for r in table[1:]] == [["listed", "True"]]
    revs = cli_json(plain, "run", "revisions", "list", "--service", "listed")
    assert len(revs) == 1
    rev_id = revs[0]["name"].rsplit("/", 1)[-1]
    assert [c["image"] for c in revs[0]["containers"]] == \
        ["%s/%s@%s" % (plain["reg"], plain["repo"], plain["v1"])] * 2
    # The service is found from the revision's name, or given.
    assert cli_json(plain, "run", "revisions", "describe", rev_id) == revs[0]
    assert cli_json(plain, "run", "revisions", "describe", rev_id,
                    "--service", "listed") == revs[0]
    yaml = cli(plain, "run", "revisions", "describe", rev_id,
               check=0).stdout
    assert "name: projects/%s/locations/us-central1/services/listed/" \
        "revisions/%s" % (plain["project"], rev_id) in yaml
    # Another region has none of it.
    assert cli_json(plain, "run", "services", "list", "--region",
                    "europe-west1") == []
    assert cli(plain, "run", "jobs", "list", check=0).stdout.split()[:4] == \
        ["JOB", "READY", "LAST_EXECUTION", "IMAGE"]


@pytest.mark.parametrize("args,message", [
    (["run", "deploy", "new-one"], "needs --image"),
    (["run", "deploy", "Bad_Name", "--image", "x"], "not a valid id"),
    (["run", "deploy", "web", "--image", "x", "--binary-authorization",
      "custom"], "only 'default' is supported"),
    (["run", "deploy", "web", "--image", "x", "--clear-binary-authorization",
      "--breakglass", "why"], "cannot be combined"),
    (["run", "deploy", "web", "--image", "x", "--binary-authorization",
      "default", "--clear-binary-authorization"], "cannot be combined"),
    (["run", "deploy", "web", "--image"], "--image needs a value"),
    (["run", "deploy", "web", "--bogus"], "unknown flag '--bogus'"),
    (["run", "deploy", "web", "--image", "x", "--region", "Not A Region"],
     "not a valid region"),
    (["run", "jobs", "create", "j"], "needs --image"),
    (["run", "jobs", "create", "j", "--image", "x", "--tasks", "0"],
     "--tasks: '0'"),
    (["run", "jobs", "execute"], "JOB is required"),
    (["run", "revisions", "describe", "nodash"], "give --service"),
    (["run", "executions", "describe", "nodash"], "give --job"),
    (["run", "nothing"], "unknown command 'vouch run nothing'"),
    (["logs", "read", "--order", "sideways"], "--order must be desc or asc"),
    (["logs", "read", "--limit", "0"], "--limit: '0'"),
    (["logs", "read", "--filter", "x" * 20001], "limit of 20000 bytes"),
    (["org-policies", "allow", "gcp.resourceLocations", "default"],
     "not served by vouchd"),
    (["org-policies", "allow", "run.allowedBinaryAuthorizationPolicies"],
     "needs at least one VALUE"),
    (["org-policies", "reset"], "CONSTRAINT is required"),
    (["org-policies", "describe", "run.allowedBinaryAuthorizationPolicies",
      "extra"], "unexpected argument 'extra'"),
    (["run", "deploy", "web", "--image", "x", "--breakglass", ""],
     "--breakglass needs a justification"),
    (["run", "jobs", "update", "j", "--tasks", "many"], "--tasks: 'many'"),
    (["--format", "xml", "logs", "read"], "--format must be"),
    (["logs", "read", "one", "two"], "unexpected argument 'two'"),
    (["run", "services", "list", "extra"], "unexpected argument 'extra'"),
])
def test_run_cli_usage_errors_exit_2(plain, args, message):
    out = cli(plain, *args, check=2)
    assert message in out.stderr
    assert out.stderr.startswith("vouch: ")
    assert out.stdout == ""


def test_run_cli_org_policies_deny_and_describe(plain):
    # No org policy yet: the server's NOT_FOUND, exit 2.
    out = cli(plain, "org-policies", "describe",
              "constraints/run.allowedBinaryAuthorizationPolicies", check=2)
    assert "not found" in out.stderr
    out = cli(plain, "org-policies", "deny",
              "run.allowedBinaryAuthorizationPolicies", "default", check=0)
    assert "Updated policy [projects/%s/policies/" % plain["project"] in \
        out.stderr
    pol = cli_json(plain, "org-policies", "describe",
                   "run.allowedBinaryAuthorizationPolicies")
    assert pol["spec"]["rules"] == [{"values": {"deniedValues":
                                                ["default"]}}]
    cli(plain, "org-policies", "reset",
        "run.allowedBinaryAuthorizationPolicies", check=0)
    # A reset policy is gone.
    cli(plain, "org-policies", "describe",
        "run.allowedBinaryAuthorizationPolicies", check=2)


def test_run_cli_needs_project(plain):
    out = rh.vouch(plain["daemon"], "", "run", "services", "list", check=2)
    assert "needs --project" in out.stderr


def test_run_cli_server_errors_are_printed(plain):
    out = cli(plain, "run", "services", "describe", "missing", check=2)
    assert out.stderr.startswith("vouch: ")
    assert "missing" in out.stderr and "not found" in out.stderr
    out = cli(plain, "logs", "read", "--filter", "severity=(", check=2)
    assert out.stderr.startswith("vouch: filter:1:")
    out = cli(plain, "run", "jobs", "update", "missing", "--image", "x",
              check=2)
    assert "not found" in out.stderr


def test_run_cli_unreachable_server(plain):
    port = rh.free_port()
    env_server = "http://127.0.0.1:%d" % port

    class Gone:
        url = env_server

    out = rh.vouch(Gone, plain["project"], "run", "deploy", "web",
                   "--image", "x", check=2)
    assert "cannot reach vouchd at " + env_server in out.stderr
    out = rh.vouch(Gone, plain["project"], "logs", "read", check=2)
    assert "cannot reach vouchd" in out.stderr
