// Google's own Node.js client (`googleapis`, pinned in package.json),
// Cloud Run Admin **v1** (the Knative shape, `run.namespaces.*`), against
// vouchd's run platform: services create, get, list, replaceService,
// delete; revisions list (labelSelector), get, delete; configurations and
// routes; jobs create, get, list, replaceJob, run (the Execution itself),
// delete; executions list, get, cancel, delete; tasks list, get; IAM and
// locations. Then one model, two shapes: services made through v2
// (googleapis), v1 (googleapis) and, when it is installed, the real gcloud
// are one set of services whichever shape lists them.
//
// Run with `node --test run_v1.test.mjs` in tests/compat (npm ci once).
// Environment: VOUCHD (default ../../build/src/daemon/vouchd). Skipped
// when docker-registry is missing.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';

import {google} from 'googleapis';

import {Harness, hasRegistry, makeAuth} from './harness.mjs';

const P = 'run-v1-compat';
const NS = `namespaces/${P}`;
const skip = !hasRegistry && 'needs /usr/bin/docker-registry';
const gcloud = spawnSync('sh', ['-c', 'command -v gcloud'],
    {encoding: 'utf8'}).stdout.trim();

let h = null;
let v1;      // run v1 at http://127.0.0.1:PORT/: the default location
let v1eu;    // run v1 at http://europe-west1-run.localhost:PORT/
let v2;
let logging;
const digests = {};
const auth = makeAuth();

const image = (tag) => `${h.registry}/team/app:${tag}`;
const byDigest = (tag) => `${h.registry}/team/app@${digests[tag]}`;
const cond = (obj, type) =>
  (obj.status.conditions ?? []).find((c) => c.type === type);

// A Knative Service as gcloud sends it (empty fields included).
function knativeService(name, img, annotations = {}) {
  return {
    apiVersion: 'serving.knative.dev/v1', kind: 'Service',
    metadata: {name, namespace: P, annotations},
    spec: {template: {
      metadata: {labels: {'client.knative.dev/nonce': 'abcdefghij'}},
      spec: {containers: [{image: img, name: ''}], nodeSelector: {}},
    }},
    status: {address: {}},
  };
}

before(async () => {
  if (skip) return;
  h = new Harness('vouch-run-v1-compat-');
  await h.startRegistry();
  for (const [i, tag] of ['good', 'bad', 'job'].entries()) {
    digests[tag] = await h.pushImage('team/app', tag, `${tag}-${i}`);
  }
  await h.startVouchd(['--default-location', 'us-east1']);
  v1 = google.run({version: 'v1', auth, rootUrl: h.rootUrl});
  v1eu = google.run({version: 'v1', auth,
    rootUrl: `http://europe-west1-run.localhost:${h.port}/`});
  v2 = google.run({version: 'v2', auth, rootUrl: h.rootUrl});
  logging = google.logging({version: 'v2', auth, rootUrl: h.rootUrl});
});

after(async () => {
  if (h) await h.stop();
});

describe('googleapis run v1 (Knative) against vouchd', {skip}, () => {
  let firstRevision;

  test('services.create answers the Ready Service', async () => {
    const {data} = await v1.namespaces.services.create({
      parent: NS,
      requestBody: knativeService('web', image('good'),
          {'run.googleapis.com/binary-authorization': 'default'}),
    });
    assert.equal(data.kind, 'Service');
    assert.equal(data.metadata.name, 'web');
    assert.equal(data.metadata.namespace, P);
    // No region in the Host: the default location (--default-location).
    assert.equal(data.metadata.labels['cloud.googleapis.com/location'],
        'us-east1');
    assert.equal(data.metadata.generation, 1);
    assert.equal(data.status.observedGeneration, 1);
    for (const t of ['Ready', 'ConfigurationsReady', 'RoutesReady']) {
      assert.equal(cond(data, t).status, 'True', t);
    }
    firstRevision = data.status.latestReadyRevisionName;
    assert.match(firstRevision, /^web-00001-[a-z]{3}$/);
    assert.equal(data.status.latestCreatedRevisionName, firstRevision);
    assert.deepEqual(data.status.traffic, [{
      revisionName: firstRevision, percent: 100, latestRevision: true}]);
    assert.match(data.status.url, /^https:\/\/web-/);
    assert.equal(data.spec.template.spec.containers[0].image,
        image('good'));
  });

  test('services.create of an existing name is ALREADY_EXISTS',
      async () => {
        await assert.rejects(v1.namespaces.services.create({
          parent: NS, requestBody: knativeService('web', image('good')),
        }), (e) => e.code === 409 &&
            e.response.data.error.status === 'ALREADY_EXISTS');
      });

  test('services.replaceService with a denied image: conditions say why',
      async () => {
        await h.putPolicy(P, {evaluationMode: 'ALWAYS_DENY'});
        const {data: svc} = await v1.namespaces.services.get({
          name: `${NS}/services/web`});
        svc.spec.template.spec.containers[0].image = image('bad');
        const {data} = await v1.namespaces.services.replaceService({
          name: `${NS}/services/web`, requestBody: svc,
        });
        assert.equal(data.metadata.generation, 2);
        assert.equal(data.status.observedGeneration, 2);
        for (const t of ['Ready', 'ConfigurationsReady']) {
          const c = cond(data, t);
          assert.equal(c.status, 'False', t);
          assert.equal(c.reason, 'ContainerImageUnauthorized');
          assert.match(c.message,
              /^Revision 'web-00002-[a-z]{3}' uses an unauthorized/);
          assert.ok(c.message.includes(byDigest('bad')), c.message);
        }
        assert.equal(data.status.latestReadyRevisionName, firstRevision);
        assert.match(data.status.latestCreatedRevisionName, /^web-00002-/);
        // Replace semantics: the annotation is kept because it was sent.
        assert.equal(data.metadata.annotations[
            'run.googleapis.com/binary-authorization'], 'default');
      });

  test('a stale resourceVersion is ABORTED', async () => {
    const {data: svc} = await v1.namespaces.services.get({
      name: `${NS}/services/web`});
    svc.metadata.resourceVersion = 'stale';
    await assert.rejects(v1.namespaces.services.replaceService({
      name: `${NS}/services/web`, requestBody: svc,
    }), (e) => e.code === 409 &&
        e.response.data.error.status === 'ABORTED');
  });

  test('replace without the annotation turns Binary Authorization off',
      async () => {
        const {data: svc} = await v1.namespaces.services.get({
          name: `${NS}/services/web`});
        delete svc.metadata.annotations[
            'run.googleapis.com/binary-authorization'];
        const {data} = await v1.namespaces.services.replaceService({
          name: `${NS}/services/web`, requestBody: svc,
        });
        // The refused template is retried, now admitted.
        assert.equal(cond(data, 'Ready').status, 'True');
        assert.match(data.status.latestReadyRevisionName, /^web-00003-/);
        const {data: s2} = await v2.projects.locations.services.get({
          name: `projects/${P}/locations/us-east1/services/web`});
        assert.equal(s2.binaryAuthorization, undefined);
      });

  test('revisions.list with labelSelector, get, delete', async () => {
    const {data} = await v1.namespaces.revisions.list({
      parent: NS, labelSelector: 'serving.knative.dev/service = web',
    });
    assert.equal(data.kind, 'RevisionList');
    assert.equal(data.items.length, 3);
    const names = data.items.map((r) => r.metadata.name);
    assert.match(names[0], /^web-00001-/);
    const denied = data.items[1];
    assert.equal(denied.metadata.labels['serving.knative.dev/service'],
        'web');
    assert.equal(cond(denied, 'Ready').status, 'False');
    assert.equal(denied.status.imageDigest, byDigest('bad'));
    const active = data.items.filter(
        (r) => cond(r, 'Active').status === 'True');
    assert.deepEqual(active.map((r) => r.metadata.name), [names[2]]);
    const nonce = await v1.namespaces.revisions.list({
      parent: NS, labelSelector: 'client.knative.dev/nonce=abcdefghij',
    });
    assert.equal(nonce.data.items.length, 3);
    const none = await v1.namespaces.revisions.list({
      parent: NS, labelSelector: 'serving.knative.dev/service=nope',
    });
    assert.deepEqual(none.data.items, []);
    // Paging: limit and continue.
    const page = await v1.namespaces.revisions.list({parent: NS, limit: 2});
    assert.equal(page.data.items.length, 2);
    const rest = await v1.namespaces.revisions.list({
      parent: NS, limit: 2, continue: page.data.metadata.continue});
    assert.deepEqual(rest.data.items.map((r) => r.metadata.name),
        [names[2]]);
    assert.equal(rest.data.metadata.continue, undefined);

    const {data: one} = await v1.namespaces.revisions.get({
      name: `${NS}/revisions/${names[1]}`});
    assert.deepEqual(one, denied);
    const {data: st} = await v1.namespaces.revisions.delete({
      name: `${NS}/revisions/${names[1]}`});
    assert.equal(st.status, 'Success');
    // The serving revision cannot be deleted.
    await assert.rejects(v1.namespaces.revisions.delete({
      name: `${NS}/revisions/${names[2]}`,
    }), (e) => e.code === 400 &&
        /serves traffic/.test(e.response.data.error.message));
  });

  test('a bad labelSelector is INVALID_ARGUMENT with its column',
      async () => {
        await assert.rejects(v1.namespaces.revisions.list({
          parent: NS, labelSelector: 'a in (b',
        }), (e) => e.code === 400 &&
            /^labelSelector: column 8: /.test(e.response.data.error.message));
      });

  test('configurations and routes are views of the service', async () => {
    const {data: c} = await v1.namespaces.configurations.get({
      name: `${NS}/configurations/web`});
    assert.equal(c.kind, 'Configuration');
    assert.match(c.status.latestReadyRevisionName, /^web-00003-/);
    const {data: r} = await v1.namespaces.routes.get({
      name: `${NS}/routes/web`});
    assert.equal(r.kind, 'Route');
    assert.equal(r.status.traffic[0].percent, 100);
    const cl = await v1.namespaces.configurations.list({parent: NS});
    assert.deepEqual(cl.data.items.map((x) => x.metadata.name), ['web']);
    const rl = await v1.namespaces.routes.list({parent: NS});
    assert.deepEqual(rl.data.items.map((x) => x.metadata.name), ['web']);
  });

  test('the location comes from the Host', async () => {
    await v1eu.namespaces.services.create({
      parent: NS, requestBody: knativeService('euweb', image('good')),
    });
    const {data} = await v2.projects.locations.services.get({
      name: `projects/${P}/locations/europe-west1/services/euweb`});
    assert.equal(data.template.containers[0].image, image('good'));
    const us = await v1.namespaces.services.list({parent: NS});
    assert.deepEqual(us.data.items.map((x) => x.metadata.name), ['web']);
    await v1eu.namespaces.services.delete({name: `${NS}/services/euweb`});
  });

  test('jobs: create, replace, run denied then allowed', async () => {
    const job = {
      apiVersion: 'run.googleapis.com/v1', kind: 'Job',
      metadata: {name: 'batch', namespace: P, annotations: {
        'run.googleapis.com/binary-authorization': 'default'}},
      spec: {template: {spec: {template: {spec: {
        containers: [{image: image('good'), name: ''}],
        timeoutSeconds: '600', nodeSelector: {}}}}}},
      status: {latestCreatedExecution: {}},
    };
    const {data: made} = await v1.namespaces.jobs.create({
      parent: NS, requestBody: job});
    assert.equal(cond(made, 'Ready').status, 'True');
    // Updating to a non-compliant image is allowed.
    made.spec.template.spec.template.spec.containers[0].image =
        image('job');
    const {data: replaced} = await v1.namespaces.jobs.replaceJob({
      name: `${NS}/jobs/batch`, requestBody: made});
    assert.equal(replaced.metadata.generation, 2);
    assert.equal(replaced.spec.template.spec.template.spec.timeoutSeconds,
        600);

    const {data: ex} = await v1.namespaces.jobs.run({
      name: `${NS}/jobs/batch`, requestBody: {}});
    assert.equal(ex.kind, 'Execution');
    assert.equal(ex.metadata.namespace, P);
    assert.equal(ex.metadata.labels['run.googleapis.com/job'], 'batch');
    for (const t of ['ResourcesAvailable', 'Completed']) {
      assert.equal(cond(ex, t).status, 'False', t);
      assert.equal(cond(ex, t).reason, 'ContainerImageUnauthorized');
    }
    assert.match(cond(ex, 'Completed').message,
        /^Execution 'batch-[a-z0-9]{5}' uses an unauthorized container/);
    assert.equal(ex.status.failedCount, 1);

    await h.putPolicy(P, {evaluationMode: 'ALWAYS_ALLOW'});
    const {data: ok} = await v1.namespaces.jobs.run({
      name: `${NS}/jobs/batch`, requestBody: {overrides: {
        containerOverrides: [{args: ['--once']}], taskCount: 2,
        timeoutSeconds: '30'}}});
    assert.equal(cond(ok, 'Completed').status, 'True');
    assert.equal(ok.spec.taskCount, 2);
    assert.equal(ok.spec.template.spec.timeoutSeconds, 30);
    assert.deepEqual(ok.spec.template.spec.containers[0].args, ['--once']);
    assert.equal(ok.spec.template.spec.containers[0].image, byDigest('job'));

    const {data: j} = await v1.namespaces.jobs.get({
      name: `${NS}/jobs/batch`});
    assert.equal(j.status.executionCount, 2);
    assert.equal(j.status.latestCreatedExecution.name, ok.metadata.name);
    const {data: jl} = await v1.namespaces.jobs.list({parent: NS});
    assert.deepEqual(jl.items.map((x) => x.metadata.name), ['batch']);
  });

  test('executions and tasks', async () => {
    const {data} = await v1.namespaces.executions.list({
      parent: NS, labelSelector: 'run.googleapis.com/job = batch'});
    assert.equal(data.items.length, 2);
    const ok = data.items.find((e) => cond(e, 'Completed').status === 'True');
    const {data: one} = await v1.namespaces.executions.get({
      name: `${NS}/executions/${ok.metadata.name}`});
    assert.deepEqual(one, ok);
    const {data: tasks} = await v1.namespaces.tasks.list({
      parent: NS, labelSelector:
          `run.googleapis.com/execution = ${ok.metadata.name},` +
          'run.googleapis.com/runningState in (Succeeded,Failed)'});
    assert.deepEqual(tasks.items.map((t) => t.status.index), [0, 1]);
    const {data: task} = await v1.namespaces.tasks.get({
      name: `${NS}/tasks/${tasks.items[1].metadata.name}`});
    assert.equal(task.metadata.labels['run.googleapis.com/runningState'],
        'Succeeded');
    // A finished execution cannot be cancelled; it can be deleted.
    await assert.rejects(v1.namespaces.executions.cancel({
      name: `${NS}/executions/${ok.metadata.name}`, requestBody: {},
    }), (e) => e.code === 400 &&
        e.response.data.error.status === 'FAILED_PRECONDITION');
    const {data: st} = await v1.namespaces.executions.delete({
      name: `${NS}/executions/${ok.metadata.name}`});
    assert.equal(st.status, 'Success');
    const {data: left} = await v1.namespaces.executions.list({parent: NS});
    assert.equal(left.items.length, 1);
  });

  test('IAM answers as an anonymous owner; locations', async () => {
    const svc = `projects/${P}/locations/us-east1/services/web`;
    const asked = ['run.services.setIamPolicy', 'run.services.get'];
    const t1 = await v1.projects.locations.services.testIamPermissions({
      resource: svc, requestBody: {permissions: asked}});
    assert.deepEqual(t1.data.permissions, asked);
    const t2 = await v2.projects.locations.services.testIamPermissions({
      resource: svc, requestBody: {permissions: asked}});
    assert.deepEqual(t2.data.permissions, asked);
    const g = await v1.projects.locations.services.getIamPolicy({
      resource: svc});
    assert.ok(g.data.etag);
    assert.equal(g.data.bindings, undefined);
    const policy = {bindings: [{role: 'roles/run.invoker',
      members: ['allUsers']}]};
    const set = await v2.projects.locations.jobs.setIamPolicy({
      resource: `projects/${P}/locations/us-east1/jobs/batch`,
      requestBody: {policy}});
    assert.deepEqual(set.data.bindings, policy.bindings);
    await assert.rejects(v1.projects.locations.services.getIamPolicy({
      resource: `projects/${P}/locations/us-east1/services/nope`,
    }), (e) => e.code === 404);
    const loc = await v1.projects.locations.list({name: `projects/${P}`});
    assert.deepEqual(loc.data.locations.map((l) => l.locationId),
        ['us-east1']);
  });

  test('audit entries name the v1 methods', async () => {
    const {data} = await logging.entries.list({requestBody: {
      resourceNames: [`projects/${P}`],
      filter: 'protoPayload.status.code=9'}});
    assert.deepEqual(data.entries.map((e) => e.protoPayload.methodName), [
      'google.cloud.run.v1.Services.ReplaceService',
      'google.cloud.run.v1.Jobs.RunJob',
    ]);
  });

  test('jobs.delete and services.delete answer a Status', async () => {
    const {data: j} = await v1.namespaces.jobs.delete({
      name: `${NS}/jobs/batch`});
    assert.equal(j.status, 'Success');
    const {data: s} = await v1.namespaces.services.delete({
      name: `${NS}/services/web`});
    assert.equal(s.status, 'Success');
    assert.equal(s.details.name, 'web');
    await assert.rejects(v1.namespaces.services.get({
      name: `${NS}/services/web`}), (e) => e.code === 404);
  });
});

// gcloud with its own configuration, pointed at vouchd (docs/gcloud.md).
function gcloudRun(args) {
  const cfg = path.join(h.tmpDir, 'gcloud');
  if (!fs.existsSync(cfg)) {
    fs.mkdirSync(path.join(cfg, 'configurations'), {recursive: true});
    fs.writeFileSync(path.join(cfg, 'active_config'), 'default');
    const base = `http://127.0.0.1:${h.port}/`;
    fs.writeFileSync(path.join(cfg, 'configurations', 'config_default'), [
      '[auth]', 'disable_credentials = true',
      '[core]', `project = ${P}`, 'disable_usage_reporting = true',
      '[component_manager]', 'disable_update_check = true',
      '[api_endpoint_overrides]',
      `run = http://run.localhost:${h.port}/`,
      `serviceusage = ${base}`, '',
    ].join('\n'));
  }
  const env = {...process.env, CLOUDSDK_CONFIG: cfg};
  for (const k of Object.keys(env)) {
    if (/proxy/i.test(k)) delete env[k];
  }
  return spawnSync(gcloud, args, {encoding: 'utf8', env, input: '',
    timeout: 300000});
}

describe('one model, two shapes', {skip}, () => {
  const names = ['from-v1', 'from-v2'];

  test('services made through v1 and v2 are one set', async () => {
    await v1.namespaces.services.create({
      parent: NS, requestBody: knativeService('from-v1', image('good')),
    });
    await v2.projects.locations.services.create({
      parent: `projects/${P}/locations/us-east1`, serviceId: 'from-v2',
      requestBody: {template: {containers: [{image: image('good')}]}},
    });
    const a = await v1.namespaces.services.list({parent: NS});
    assert.deepEqual(a.data.items.map((x) => x.metadata.name), names);
    const b = await v2.projects.locations.services.list({
      parent: `projects/${P}/locations/us-east1`});
    assert.deepEqual(b.data.services.map((x) => x.name.split('/').pop()),
        names);
  });

  test('and gcloud sees and adds to the same set',
      {skip: !gcloud && 'needs gcloud'}, async () => {
        let out = gcloudRun(['run', 'deploy', 'from-gcloud', '--image',
          image('good'), '--region', 'us-east1']);
        assert.equal(out.status, 0, out.stderr);
        names.push('from-gcloud');
        names.sort();
        out = gcloudRun(['run', 'services', 'list', '--region', 'us-east1',
          '--format=value(metadata.name)']);
        assert.equal(out.status, 0, out.stderr);
        assert.deepEqual(out.stdout.trim().split('\n'), names);
        const b = await v2.projects.locations.services.list({
          parent: `projects/${P}/locations/us-east1`});
        assert.deepEqual(
            b.data.services.map((x) => x.name.split('/').pop()), names);
        // A service made through v2 is deployed again through gcloud.
        out = gcloudRun(['run', 'deploy', 'from-v2', '--image',
          image('bad'), '--region', 'us-east1']);
        assert.equal(out.status, 0, out.stderr);
        const {data} = await v2.projects.locations.services.get({
          name: `projects/${P}/locations/us-east1/services/from-v2`});
        assert.equal(data.template.containers[0].image, image('bad'));
        assert.match(data.latestReadyRevision, /from-v2-00002-/);
      });
});
