// Google's own Node.js client (`googleapis`, pinned in package.json)
// against vouchd's run platform: Cloud Run Admin v2 (services create, get,
// list, patch, delete; revisions list, get; jobs create, run (also with
// overrides), get; executions list, get; operations get) and Cloud
// Logging v2 entries.list with the documented Cloud Run audit filters (docs/audit.md). Images live in
// a real docker-registry (/usr/bin/docker-registry on 127.0.0.1, pushed to
// with fetch) because vouchd resolves every image through its registry.
//
// Run with `node --test run.test.mjs` in tests/compat (npm ci once).
// Environment: VOUCHD, the vouchd binary (default
// ../../build/src/daemon/vouchd). Skipped when docker-registry is missing.
import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';

import {google} from 'googleapis';

import {Harness, hasRegistry, makeAuth} from './harness.mjs';

const P = 'run-compat';
const LOC = `projects/${P}/locations/us-central1`;
const BLOCKED = 'protoPayload.response.status.conditions.reason=' +
    '"ContainerImageUnauthorized"';
const skip = !hasRegistry && 'needs /usr/bin/docker-registry';

let h = null;
let registry = null;
let run;
let logging;
const digests = {};
const auth = makeAuth();
const putPolicy = (rule) => h.putPolicy(P, rule);

const image = (tag) => `${registry}/team/app:${tag}`;
const byDigest = (tag) => `${registry}/team/app@${digests[tag]}`;

before(async () => {
  if (skip) return;
  h = new Harness('vouch-run-compat-');
  await h.startRegistry();
  registry = h.registry;
  for (const [i, tag] of ['good', 'bad', 'job'].entries()) {
    digests[tag] = await h.pushImage('team/app', tag, `${tag}-${i}`);
  }
  await h.startVouchd();
  run = google.run({version: 'v2', auth, rootUrl: h.rootUrl});
  logging = google.logging({version: 'v2', auth, rootUrl: h.rootUrl});
});

after(async () => {
  if (h) await h.stop();
});

const shortName = (n) => n.split('/').pop();

describe('googleapis run v2 and logging v2 against vouchd', {skip}, () => {
  let deniedOp;

  test('services.create returns a done Operation with the Service',
      async () => {
        const res = await run.projects.locations.services.create({
          parent: LOC,
          serviceId: 'web',
          requestBody: {
            template: {containers: [{image: image('good')}]},
            binaryAuthorization: {useDefault: true},
          },
        });
        assert.equal(res.status, 200);
        const op = res.data;
        assert.match(op.name, new RegExp(`^${LOC}/operations/`));
        assert.equal(op.done, true);
        assert.equal(op.error, undefined);
        assert.equal(op.response['@type'],
            'type.googleapis.com/google.cloud.run.v2.Service');
        assert.equal(op.response.name, `${LOC}/services/web`);
        assert.deepEqual(op.response.binaryAuthorization, {useDefault: true});
      });

  test('services.get shows the ready revision and the template',
      async () => {
        const {data} = await run.projects.locations.services.get({
          name: `${LOC}/services/web`,
        });
        assert.equal(data.name, `${LOC}/services/web`);
        assert.equal(data.template.containers[0].image, image('good'));
        assert.equal(data.terminalCondition.state, 'CONDITION_SUCCEEDED');
        assert.match(shortName(data.latestReadyRevision),
            /^web-00001-[a-z]{3}$/);
        // proto3 JSON writes int64 as a string ("1"); vouchd writes a
        // number today, which the client accepts either way.
        assert.equal(String(data.generation), '1');
        assert.deepEqual(data.traffic, [{
          type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100}]);
      });

  test('services.list lists it', async () => {
    const {data} = await run.projects.locations.services.list({
      parent: LOC,
    });
    assert.deepEqual(data.services.map((s) => s.name),
        [`${LOC}/services/web`]);
  });

  test('services.patch with an unattested image: operation error 9',
      async () => {
        await putPolicy({evaluationMode: 'ALWAYS_DENY'});
        const {data: svc} = await run.projects.locations.services.get({
          name: `${LOC}/services/web`,
        });
        svc.template.containers[0].image = image('bad');
        const res = await run.projects.locations.services.patch({
          name: `${LOC}/services/web`,
          requestBody: svc,
        });
        assert.equal(res.status, 200);
        deniedOp = res.data;
        assert.equal(deniedOp.done, true);
        assert.equal(deniedOp.error.code, 9);
        assert.match(deniedOp.error.message,
            /^Revision 'web-00002-[a-z]{3}' uses an unauthorized container image\./);
        assert.ok(deniedOp.error.message.includes(byDigest('bad')),
            deniedOp.error.message);
      });

  test('operations.get returns the stored operation', async () => {
    const {data} = await run.projects.locations.operations.get({
      name: deniedOp.name,
    });
    assert.deepEqual(data, deniedOp);
  });

  test('revisions.list and revisions.get show both revisions', async () => {
    const {data} = await run.projects.locations.services.revisions.list({
      parent: `${LOC}/services/web`,
    });
    assert.equal(data.revisions.length, 2);
    const byId = Object.fromEntries(
        data.revisions.map((r) => [shortName(r.name).slice(0, 9), r]));
    const good = byId['web-00001'];
    const bad = byId['web-00002'];
    assert.equal(good.containers[0].image, byDigest('good'));
    assert.equal(bad.containers[0].image, byDigest('bad'));
    const ready = (r) => r.conditions.find((c) => c.type === 'Ready');
    assert.equal(ready(good).state, 'CONDITION_SUCCEEDED');
    assert.equal(ready(bad).state, 'CONDITION_FAILED');
    assert.equal(ready(bad).reason, 'CONTAINER_IMAGE_UNAUTHORIZED');
    const decision = JSON.parse(bad.annotations[
        'run.googleapis.com/binary-authorization-decision']);
    assert.equal(decision.decision, 'DENY');

    const {data: one} = await run.projects.locations.services.revisions.get({
      name: bad.name,
    });
    assert.deepEqual(one, bad);
  });

  test('jobs.create then jobs.run: denied, then admitted', async () => {
    const created = await run.projects.locations.jobs.create({
      parent: LOC,
      jobId: 'batch',
      requestBody: {
        template: {template: {containers: [{image: image('job')}]}},
        binaryAuthorization: {useDefault: true},
      },
    });
    assert.equal(created.data.done, true);
    assert.equal(created.data.response.name, `${LOC}/jobs/batch`);

    const denied = await run.projects.locations.jobs.run({
      name: `${LOC}/jobs/batch`, requestBody: {},
    });
    assert.equal(denied.data.done, true);
    assert.equal(denied.data.error.code, 9);
    assert.match(denied.data.error.message,
        /^Execution 'batch-[a-z0-9]{5}' uses an unauthorized container image/);

    await putPolicy({evaluationMode: 'ALWAYS_ALLOW'});
    const ok = await run.projects.locations.jobs.run({
      name: `${LOC}/jobs/batch`, requestBody: {},
    });
    assert.equal(ok.data.done, true);
    assert.equal(ok.data.error, undefined);
    assert.equal(ok.data.metadata['@type'],
        'type.googleapis.com/google.cloud.run.v2.Execution');
  });

  test('executions.list and executions.get', async () => {
    const {data} = await run.projects.locations.jobs.executions.list({
      parent: `${LOC}/jobs/batch`,
    });
    assert.equal(data.executions.length, 2);
    const failed = data.executions.filter((e) => e.failedCount === 1);
    const succeeded = data.executions.filter((e) => e.succeededCount === 1);
    assert.equal(failed.length, 1);
    assert.equal(succeeded.length, 1);
    assert.equal(succeeded[0].template.containers[0].image, byDigest('job'));
    const {data: one} = await run.projects.locations.jobs.executions.get({
      name: failed[0].name,
    });
    assert.deepEqual(one, failed[0]);
    const done = one.conditions.find((c) => c.type === 'Completed');
    assert.equal(done.state, 'CONDITION_FAILED');
  });

  test('jobs.run with overrides changes that execution only', async () => {
    const {data} = await run.projects.locations.jobs.run({
      name: `${LOC}/jobs/batch`,
      requestBody: {overrides: {
        taskCount: 2, timeout: '30s',
        containerOverrides: [{args: ['--once'],
          env: [{name: 'MODE', value: 'fast'}]}],
      }},
    });
    assert.equal(data.done, true);
    assert.equal(data.error, undefined);
    const ex = data.response;
    assert.equal(ex.taskCount, 2);
    assert.equal(ex.template.timeout, '30s');
    assert.deepEqual(ex.template.containers[0].args, ['--once']);
    assert.deepEqual(ex.template.containers[0].env,
        [{name: 'MODE', value: 'fast'}]);
    assert.equal(ex.template.containers[0].image, byDigest('job'));
    const {data: job} = await run.projects.locations.jobs.get({
      name: `${LOC}/jobs/batch`,
    });
    assert.equal(job.template.template.containers[0].args, undefined);
    assert.equal(job.template.taskCount ?? 1, 1);

    // A container the job does not have: INVALID_ARGUMENT, field named.
    await assert.rejects(run.projects.locations.jobs.run({
      name: `${LOC}/jobs/batch`,
      requestBody: {overrides: {containerOverrides: [{name: 'nope'}]}},
    }), (e) => e.code === 400 &&
        /overrides\.containerOverrides\[0\]\.name/.test(e.message));
  });

  test('logging entries.list: the documented blocked filter',
      async () => {
        const {data} = await logging.entries.list({
          requestBody: {resourceNames: [`projects/${P}`], filter: BLOCKED},
        });
        assert.equal(data.entries.length, 2);
        const [rev, exec] = data.entries;
        assert.equal(rev.resource.type, 'cloud_run_revision');
        assert.equal(rev.resource.labels.service_name, 'web');
        assert.equal(rev.severity, 'ERROR');
        assert.equal(rev.protoPayload['@type'],
            'type.googleapis.com/google.cloud.audit.AuditLog');
        assert.equal(rev.protoPayload.serviceName, 'run.googleapis.com');
        assert.equal(rev.protoPayload.status.code, 9);
        assert.equal(exec.resource.type, 'cloud_run_job');
        assert.equal(exec.resource.labels.job_name, 'batch');
        assert.ok(rev.timestamp <= exec.timestamp);
      });

  test('logging entries.list: resource.type, logName, orderBy, pageSize',
      async () => {
        const jobs = await logging.entries.list({
          requestBody: {
            resourceNames: [`projects/${P}`],
            filter: 'resource.type="cloud_run_job"',
          },
        });
        assert.deepEqual(jobs.data.entries.map((e) => e.resource.type),
            ['cloud_run_job']);
        const system = await logging.entries.list({
          requestBody: {
            resourceNames: [`projects/${P}`],
            filter: `logName="projects/${P}/logs/` +
                'cloudaudit.googleapis.com%2Fsystem_event"',
            orderBy: 'timestamp desc',
            pageSize: 1,
          },
        });
        assert.equal(system.data.entries.length, 1);
        assert.equal(system.data.entries[0].resource.type, 'cloud_run_job');
        assert.ok(system.data.nextPageToken);
        const next = await logging.entries.list({
          requestBody: {
            resourceNames: [`projects/${P}`],
            filter: `logName="projects/${P}/logs/` +
                'cloudaudit.googleapis.com%2Fsystem_event"',
            orderBy: 'timestamp desc',
            pageSize: 1,
            pageToken: system.data.nextPageToken,
          },
        });
        assert.equal(next.data.entries[0].resource.type,
            'cloud_run_revision');
      });

  test('logging entries.list: a bad filter is INVALID_ARGUMENT',
      async () => {
        let err = null;
        try {
          await logging.entries.list({
            requestBody: {resourceNames: [`projects/${P}`],
              filter: 'severity=('},
          });
        } catch (e) {
          err = e;
        }
        assert.ok(err, 'the call was expected to fail');
        assert.equal(err.response.status, 400);
        assert.equal(err.response.data.error.status, 'INVALID_ARGUMENT');
        assert.match(err.response.data.error.message, /^filter:1:\d+: /);
      });

  test('services.delete removes the service', async () => {
    const res = await run.projects.locations.services.delete({
      name: `${LOC}/services/web`,
    });
    assert.equal(res.data.done, true);
    const {data} = await run.projects.locations.services.list({
      parent: LOC,
    });
    assert.deepEqual(data.services ?? [], []);
  });
});
