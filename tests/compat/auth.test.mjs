// Google's own Node.js client against vouchd over TLS with an auth config
// (docs/security.md): an OAuth2Client holding a static access token that
// vouchd's config lists (setCredentials({access_token})), https with a
// test CA made by the openssl command, and the IAM methods through the
// client's own calls (setIamPolicy, getIamPolicy, testIamPermissions).
//
// Run with `node --test auth.test.mjs` (see run.sh); VOUCHD names the
// binary (default ../../build/src/daemon/vouchd).
import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';

import {google} from 'googleapis';

import {freePort} from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const P = 'compat-auth';
const DEV = 'user:dev@example.com';

let server = null;
let tmpDir = null;
let rootUrl = null;
let ca = null;
const tokens = {};

function openssl(...args) {
  execFileSync('openssl', args, {stdio: ['ignore', 'ignore', 'pipe']});
}

// A test CA and a certificate for 127.0.0.1 it signs.
function makePki(dir) {
  const f = (n) => path.join(dir, n);
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt',
      'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('ca.key'), '-out',
      f('ca.pem'), '-days', '2', '-subj', '/CN=vouch compat CA');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
      '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'),
      '-subj', '/CN=127.0.0.1');
  fs.writeFileSync(f('server.ext'),
      'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'),
      '-CAkey', f('ca.key'), '-set_serial', '7', '-out', f('server.pem'),
      '-days', '2', '-extfile', f('server.ext'));
  return {ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key')};
}

function token(principal) {
  tokens[principal] = crypto.randomBytes(32).toString('base64url');
  return {principal, sha256: crypto.createHash('sha256')
      .update(tokens[principal]).digest('hex')};
}

function client(principal) {
  const auth = new google.auth.OAuth2();
  auth.setCredentials({
    access_token: tokens[principal] ?? 'not-a-token-vouchd-knows',
    expiry_date: Date.now() + 24 * 3600 * 1000,
  });
  // The test CA only: gaxios takes an https.Agent per call.
  const agent = new https.Agent({ca: fs.readFileSync(ca)});
  return google.binaryauthorization({version: 'v1', auth, rootUrl, agent});
}

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return {code: e.response?.status ?? e.code,
      status: e.response?.data?.error?.status, message: e.message};
  }
  assert.fail('the call was expected to fail');
}

before(async () => {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vouch-compat-auth-'));
  const pki = makePki(tmpDir);
  ca = pki.ca;
  const cfg = path.join(tmpDir, 'auth.json');
  fs.writeFileSync(cfg, JSON.stringify({
    tokens: [token('user:owner@example.com'), token(DEV)],
    owners: ['user:owner@example.com'],
  }));
  const vouchd = process.env.VOUCHD ??
      path.join(here, '..', '..', 'build', 'src', 'daemon', 'vouchd');
  const port = await freePort();
  rootUrl = `https://127.0.0.1:${port}`;
  const log = fs.openSync(path.join(tmpDir, 'vouchd.log'), 'w');
  server = spawn(vouchd, [
    '--listen', `127.0.0.1:${port}`,
    '--store', `sqlite:${path.join(tmpDir, 'vouch.db')}`,
    '--tls-cert', pki.cert, '--tls-key', pki.key, '--auth-config', cfg,
  ], {stdio: ['ignore', log, log]});
  fs.closeSync(log);
  for (let i = 0; ; i++) {
    const text = fs.readFileSync(path.join(tmpDir, 'vouchd.log'), 'utf8');
    if (text.includes('listening on https://')) break;
    assert.ok(i < 400 && server.exitCode === null, text);
    await new Promise((r) => setTimeout(r, 50));
  }
});

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(tmpDir, {recursive: true, force: true});
});

describe('googleapis over https with an access token', () => {
  test('the owner reads and writes the policy', async () => {
    const owner = client('user:owner@example.com');
    const name = `projects/${P}/policy`;
    const put = await owner.projects.updatePolicy({name, requestBody: {
      globalPolicyEvaluationMode: 'ENABLE',
      defaultAdmissionRule: {evaluationMode: 'ALWAYS_DENY',
        enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG'}}});
    assert.equal(put.status, 200);
    const got = await owner.projects.getPolicy({name});
    assert.equal(got.data.defaultAdmissionRule.evaluationMode,
        'ALWAYS_DENY');
  });

  test('IAM through the client: a grant lets another caller read', async () => {
    const owner = client('user:owner@example.com');
    const dev = client(DEV);
    const name = `projects/${P}/policy`;
    const denied = await rejection(dev.projects.getPolicy({name}));
    assert.equal(denied.code, 403);
    assert.equal(denied.status, 'PERMISSION_DENIED');
    const before = await owner.projects.policy.getIamPolicy({
      resource: name});
    assert.equal(before.data.etag, 'ACAB');
    const set = await owner.projects.policy.setIamPolicy({resource: name,
      requestBody: {policy: {etag: before.data.etag, bindings: [{
        role: 'roles/binaryauthorization.policyViewer', members: [DEV]}]}}});
    assert.deepEqual(set.data.bindings[0].members, [DEV]);
    const got = await dev.projects.getPolicy({name});
    assert.equal(got.status, 200);
    const held = await dev.projects.policy.testIamPermissions({
      resource: name, requestBody: {permissions: [
        'binaryauthorization.policy.get',
        'binaryauthorization.policy.update']}});
    assert.deepEqual(held.data.permissions,
        ['binaryauthorization.policy.get']);
    // The etag read before the change is stale now.
    const stale = await rejection(owner.projects.policy.setIamPolicy({
      resource: name, requestBody: {policy: {etag: before.data.etag}}}));
    assert.equal(stale.code, 409);
    assert.equal(stale.status, 'ABORTED');
  });

  test('a token vouchd does not know is 401', async () => {
    const nobody = client('user:nobody@example.com');
    const r = await rejection(nobody.projects.getPolicy({
      name: `projects/${P}/policy`}));
    assert.equal(r.code, 401);
    assert.equal(r.status, 'UNAUTHENTICATED');
  });

  test('without the test CA the certificate is not trusted', async () => {
    const auth = new google.auth.OAuth2();
    auth.setCredentials({access_token: tokens[DEV],
      expiry_date: Date.now() + 3600 * 1000});
    const untrusted = google.binaryauthorization({version: 'v1', auth,
      rootUrl});
    const r = await rejection(untrusted.projects.getPolicy({
      name: `projects/${P}/policy`}));
    assert.match(String(r.message), /certificate/i);
  });
});
