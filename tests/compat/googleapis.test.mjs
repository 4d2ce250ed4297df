// Google's own Node.js client (the `googleapis` package, version pinned in
// package.json) against vouchd: Binary Authorization v1 and Container
// Analysis v1, with `rootUrl` pointed at a vouchd this test starts.
//
// Run with `node --test googleapis.test.mjs` (see run.sh). Environment:
//   VOUCH_COMPAT_URL  use this running vouchd instead of starting one
//   VOUCHD            the vouchd binary (default ../../build/src/daemon/vouchd)
//
// Authentication: an OAuth2 client holding a fixed access token that never
// expires, so the library neither looks for Google credentials nor fetches
// a token; vouchd ignores the Authorization header it sends.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';

import {google} from 'googleapis';

const here = path.dirname(fileURLToPath(import.meta.url));
const P = 'compat-project';
const IMAGE = 'us-docker.pkg.dev/compat-project/repo/app@sha256:' +
    'ab'.repeat(32);

let server = null;
let rootUrl = process.env.VOUCH_COMPAT_URL;
let tmpDir = null;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const {port} = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url, child) {
  for (let i = 0; i < 200; i++) {
    if (child && child.exitCode !== null) {
      throw new Error(`vouchd exited with ${child.exitCode}`);
    }
    try {
      const r = await fetch(url + '/healthz');
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('vouchd did not answer /healthz');
}

// The exact bytes of `gcloud container binauthz create-signature-payload`.
function signaturePayload(image) {
  const [name, digest] = image.split('@');
  const doc = {
    critical: {
      identity: {'docker-reference': name},
      image: {'docker-manifest-digest': digest},
      type: 'Google cloud binauthz container signature',
    },
  };
  return Buffer.from(JSON.stringify(doc, null, 2) + '\n');
}

function defaultKeyId(publicKey) {
  const der = publicKey.export({type: 'spki', format: 'der'});
  return 'ni:///sha-256;' +
      crypto.createHash('sha256').update(der).digest('base64url');
}

const auth = new google.auth.OAuth2();
auth.setCredentials({
  access_token: 'compat-test-token',
  expiry_date: Date.now() + 24 * 3600 * 1000,
});

let binauthz;
let analysis;
const key = crypto.generateKeyPairSync('ec', {namedCurve: 'P-256'});
const pem = key.publicKey.export({type: 'spki', format: 'pem'});
const keyId = defaultKeyId(key.publicKey);
const payload = signaturePayload(IMAGE);

function attestationFor(signer, data = payload) {
  // Node signs EC keys in DER (SEQUENCE{r,s}), as openssl and Cloud KMS do.
  const sig = crypto.sign('sha256', data, signer);
  return {
    serializedPayload: data.toString('base64'),
    signatures: [{signature: sig.toString('base64'), publicKeyId: keyId}],
  };
}

// The Google error a call is rejected with: HTTP code, status, message.
async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return {
      code: e.response?.status,
      status: e.response?.data?.error?.status,
      message: e.response?.data?.error?.message ?? e.message,
    };
  }
  assert.fail('the call was expected to fail');
}

before(async () => {
  if (!rootUrl) {
    const vouchd = process.env.VOUCHD ??
        path.join(here, '..', '..', 'build', 'src', 'daemon', 'vouchd');
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vouch-compat-'));
    const port = await freePort();
    rootUrl = `http://127.0.0.1:${port}`;
    const log = fs.openSync(path.join(tmpDir, 'vouchd.log'), 'w');
    server = spawn(vouchd, [
      '--listen', `127.0.0.1:${port}`,
      '--store', `sqlite:${path.join(tmpDir, 'vouch.db')}`,
      '--access-log', path.join(tmpDir, 'access.log'),
    ], {stdio: ['ignore', log, log]});
    fs.closeSync(log);
  }
  await waitHealthy(rootUrl, server);
  binauthz = google.binaryauthorization({version: 'v1', auth, rootUrl});
  analysis = google.containeranalysis({version: 'v1', auth, rootUrl});
});

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  if (tmpDir) fs.rmSync(tmpDir, {recursive: true, force: true});
});

describe('googleapis against vouchd', () => {
  test('projects.getPolicy returns the default policy', async () => {
    const res = await binauthz.projects.getPolicy({
      name: `projects/${P}/policy`,
    });
    assert.equal(res.status, 200);
    assert.equal(res.data.name, `projects/${P}/policy`);
    assert.equal(res.data.globalPolicyEvaluationMode, 'ENABLE');
    assert.deepEqual(res.data.defaultAdmissionRule, {
      evaluationMode: 'ALWAYS_ALLOW',
      enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG',
    });
  });

  test('projects.notes.create makes an ATTESTATION note', async () => {
    const res = await analysis.projects.notes.create({
      parent: `projects/${P}`,
      noteId: 'built',
      requestBody: {attestation: {hint: {humanReadableName: 'built'}}},
    });
    assert.equal(res.data.name, `projects/${P}/notes/built`);
    assert.equal(res.data.kind, 'ATTESTATION');
    assert.equal(res.data.attestation.hint.humanReadableName, 'built');
  });

  test('projects.attestors.create computes the key id', async () => {
    const res = await binauthz.projects.attestors.create({
      parent: `projects/${P}`,
      attestorId: 'built',
      requestBody: {
        userOwnedGrafeasNote: {
          noteReference: `projects/${P}/notes/built`,
          publicKeys: [{
            comment: 'compat',
            pkixPublicKey: {
              publicKeyPem: pem,
              signatureAlgorithm: 'ECDSA_P256_SHA256',
            },
          }],
        },
      },
    });
    assert.equal(res.data.name, `projects/${P}/attestors/built`);
    const keys = res.data.userOwnedGrafeasNote.publicKeys;
    assert.equal(keys.length, 1);
    assert.equal(keys[0].id, keyId);
    assert.equal(keys[0].comment, 'compat');
    assert.equal(keys[0].pkixPublicKey.publicKeyPem, pem);
    assert.ok(res.data.etag);
  });

  test('projects.attestors.create twice is ALREADY_EXISTS', async () => {
    const err = await rejection(binauthz.projects.attestors.create({
      parent: `projects/${P}`,
      attestorId: 'built',
      requestBody: {
        userOwnedGrafeasNote: {noteReference: `projects/${P}/notes/built`},
      },
    }));
    assert.equal(err.code, 409);
    assert.equal(err.status, 'ALREADY_EXISTS');
    assert.match(err.message, /projects\/compat-project\/attestors\/built/);
  });

  test('projects.attestors.get and list', async () => {
    const got = await binauthz.projects.attestors.get({
      name: `projects/${P}/attestors/built`,
    });
    assert.equal(got.data.userOwnedGrafeasNote.noteReference,
        `projects/${P}/notes/built`);
    const list = await binauthz.projects.attestors.list({
      parent: `projects/${P}`,
      pageSize: 10,
    });
    assert.deepEqual(list.data.attestors.map((a) => a.name),
        [`projects/${P}/attestors/built`]);
    const missing = await rejection(binauthz.projects.attestors.get({
      name: `projects/${P}/attestors/nobody`,
    }));
    assert.equal(missing.code, 404);
    assert.equal(missing.status, 'NOT_FOUND');
  });

  test('the v1beta1 client reads the same attestor, its note renamed',
      async () => {
        const beta = google.binaryauthorization({
          version: 'v1beta1', auth, rootUrl,
        });
        const got = await beta.projects.attestors.get({
          name: `projects/${P}/attestors/built`,
        });
        assert.equal(got.data.userOwnedGrafeasNote, undefined);
        assert.equal(got.data.userOwnedDrydockNote.noteReference,
            `projects/${P}/notes/built`);
        assert.equal(got.data.userOwnedDrydockNote.publicKeys[0].id, keyId);
        const policy = await beta.projects.getPolicy({
          name: `projects/${P}/policy`,
        });
        assert.equal(policy.data.name, `projects/${P}/policy`);
      });

  test('projects.attestors.update changes the description', async () => {
    const got = await binauthz.projects.attestors.get({
      name: `projects/${P}/attestors/built`,
    });
    const body = {...got.data, description: 'built by CI'};
    const res = await binauthz.projects.attestors.update({
      name: `projects/${P}/attestors/built`,
      requestBody: body,
    });
    assert.equal(res.data.description, 'built by CI');
    assert.notEqual(res.data.etag, got.data.etag);
    // The old etag is stale now: ABORTED.
    const err = await rejection(binauthz.projects.attestors.update({
      name: `projects/${P}/attestors/built`,
      requestBody: {...got.data, description: 'lost update'},
    }));
    assert.equal(err.code, 409);
    assert.equal(err.status, 'ABORTED');
  });

  test('projects.updatePolicy replaces the policy', async () => {
    const res = await binauthz.projects.updatePolicy({
      name: `projects/${P}/policy`,
      requestBody: {
        name: `projects/${P}/policy`,
        globalPolicyEvaluationMode: 'ENABLE',
        admissionWhitelistPatterns: [{namePattern: 'gcr.io/distroless/*'}],
        defaultAdmissionRule: {
          evaluationMode: 'REQUIRE_ATTESTATION',
          enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG',
          requireAttestationsBy: [`projects/${P}/attestors/built`],
        },
      },
    });
    assert.equal(res.data.defaultAdmissionRule.evaluationMode,
        'REQUIRE_ATTESTATION');
    const got = await binauthz.projects.getPolicy({
      name: `projects/${P}/policy`,
    });
    assert.deepEqual(got.data.admissionWhitelistPatterns,
        [{namePattern: 'gcr.io/distroless/*'}]);
    assert.deepEqual(got.data.defaultAdmissionRule.requireAttestationsBy,
        [`projects/${P}/attestors/built`]);
    assert.ok(got.data.etag);
    const bad = await rejection(binauthz.projects.updatePolicy({
      name: `projects/${P}/policy`,
      requestBody: {defaultAdmissionRule: {evaluationMode: 'BOGUS'}},
    }));
    assert.equal(bad.code, 400);
    assert.equal(bad.status, 'INVALID_ARGUMENT');
    assert.match(bad.message, /evaluationMode/);
  });

  test('validateAttestationOccurrence: VERIFIED and not', async () => {
    const ok = await binauthz.projects.attestors.validateAttestationOccurrence({
      attestor: `projects/${P}/attestors/built`,
      requestBody: {
        attestation: attestationFor(key.privateKey),
        occurrenceNote: `projects/${P}/notes/built`,
        occurrenceResourceUri: IMAGE,
      },
    });
    assert.equal(ok.data.result, 'VERIFIED');

    const other = crypto.generateKeyPairSync('ec', {namedCurve: 'P-256'});
    const bad = await binauthz.projects.attestors.validateAttestationOccurrence({
      attestor: `projects/${P}/attestors/built`,
      requestBody: {
        attestation: attestationFor(other.privateKey),
        occurrenceNote: `projects/${P}/notes/built`,
        occurrenceResourceUri: IMAGE,
      },
    });
    assert.equal(bad.data.result, 'ATTESTATION_NOT_VERIFIABLE');
    assert.match(bad.data.denialReason, /does not verify/);
    assert.ok(bad.data.denialReason.includes(keyId));
  });

  test('projects.occurrences.create and list with a filter', async () => {
    const created = await analysis.projects.occurrences.create({
      parent: `projects/${P}`,
      requestBody: {
        kind: 'ATTESTATION',
        noteName: `projects/${P}/notes/built`,
        resourceUri: IMAGE,
        attestation: attestationFor(key.privateKey),
      },
    });
    assert.match(created.data.name, /^projects\/compat-project\/occurrences\//);
    assert.equal(created.data.kind, 'ATTESTATION');
    assert.equal(created.data.attestation.serializedPayload,
        payload.toString('base64'));

    const list = await analysis.projects.occurrences.list({
      parent: `projects/${P}`,
      filter: `noteName="projects/${P}/notes/built" AND ` +
          `resourceUrl="${IMAGE}"`,
    });
    assert.deepEqual(list.data.occurrences.map((o) => o.name),
        [created.data.name]);
    const none = await analysis.projects.occurrences.list({
      parent: `projects/${P}`,
      filter: `resourceUrl="${IMAGE.replace(/ab$/, '00')}"`,
    });
    assert.deepEqual(none.data.occurrences ?? [], []);
  });

  test('projects.attestors.delete once no policy requires it', async () => {
    const refused = await rejection(binauthz.projects.attestors.delete({
      name: `projects/${P}/attestors/built`,
    }));
    assert.equal(refused.code, 400);
    assert.equal(refused.status, 'FAILED_PRECONDITION');
    await binauthz.projects.updatePolicy({
      name: `projects/${P}/policy`,
      requestBody: {
        globalPolicyEvaluationMode: 'ENABLE',
        defaultAdmissionRule: {
          evaluationMode: 'ALWAYS_ALLOW',
          enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG',
        },
      },
    });
    const res = await binauthz.projects.attestors.delete({
      name: `projects/${P}/attestors/built`,
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.data, {});
    const gone = await rejection(binauthz.projects.attestors.get({
      name: `projects/${P}/attestors/built`,
    }));
    assert.equal(gone.code, 404);
  });
});
