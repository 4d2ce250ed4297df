// The console's pure parts under node's test runner: YAML <-> policy and
// the server's field paths back to YAML positions, the filter error
// positions, the decision buckets, the image search input, who changed
// the policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  locateServerError, parseFieldPath, parsePolicyYaml, pathsInMessage, policyToSend, policyToYaml,
} from '../../console/src/policy_yaml.js';
import { errorLine, indexOfPosition, parseFilterError } from '../../console/src/filter_error.js';
import { bucketize, denialOf, entryOutcome } from '../../console/src/decisions.js';
import { parseImage } from '../../console/src/pages/attestations.js';
import {
  describeChange, policyChange, policyChangeRequest,
} from '../../console/src/policy_author.js';

const POLICY = `admissionWhitelistPatterns:
- namePattern: gcr.io/shop/base/*
- namePattern: gcr.io/shop/tools/**
clusterAdmissionRules:
  us-east1-a.prod:
    enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG
    evaluationMode: NOPE
defaultAdmissionRule:
  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG
  evaluationMode: REQUIRE_ATTESTATION
  requireAttestationsBy:
  - projects/shop/attestors/a
  - projects/shop/attestors/b
globalPolicyEvaluationMode: ENABLE
`;

test('field paths parse into segments', () => {
  assert.deepEqual(parseFieldPath('defaultAdmissionRule.evaluationMode'),
    ['defaultAdmissionRule', 'evaluationMode']);
  assert.deepEqual(parseFieldPath('admissionWhitelistPatterns[2].namePattern'),
    ['admissionWhitelistPatterns', 2, 'namePattern']);
  assert.deepEqual(parseFieldPath('clusterAdmissionRules["us-east1-a.prod"].requireAttestationsBy[0]'),
    ['clusterAdmissionRules', 'us-east1-a.prod', 'requireAttestationsBy', 0]);
  assert.equal(parseFieldPath('not a path'), null);
  assert.equal(parseFieldPath(''), null);
});

test('paths are found in the messages vouchd sends', () => {
  assert.deepEqual(pathsInMessage(
    'request body:1:44: defaultAdmissionRule.evaluationMode: unknown value \'NOPE\'').paths,
  ['defaultAdmissionRule.evaluationMode']);
  assert.equal(pathsInMessage('request body:1:3: foo: unknown field').text, 'foo: unknown field');
  assert.deepEqual(pathsInMessage('request body:1:3: foo: unknown field').paths, ['foo']);
  assert.deepEqual(pathsInMessage('requireAttestationsBy: these attestors do not exist: '
    + 'defaultAdmissionRule.requireAttestationsBy[0] projects/p/attestors/a, '
    + 'clusterAdmissionRules["x.y"].requireAttestationsBy[1] projects/p/attestors/b').paths,
  ['defaultAdmissionRule.requireAttestationsBy[0]', 'clusterAdmissionRules["x.y"].requireAttestationsBy[1]']);
});

test('a server error lands on the line and column of its field', () => {
  const parsed = parsePolicyYaml(POLICY);
  assert.deepEqual(parsed.errors, []);
  const [bad] = locateServerError(parsed,
    'request body:1:200: clusterAdmissionRules["us-east1-a.prod"].evaluationMode: unknown value \'NOPE\'');
  assert.equal(bad.line, 7);
  assert.equal(bad.col, 21);
  assert.equal(POLICY.slice(bad.from, bad.to), 'NOPE');
  assert.doesNotMatch(bad.message, /request body/);

  const [pattern] = locateServerError(parsed,
    "request body:1:70: admissionWhitelistPatterns[1].namePattern: position 3: '*' may only end a pattern");
  assert.deepEqual([pattern.line, pattern.col], [3, 16]);

  const missing = locateServerError(parsed, 'requireAttestationsBy: these attestors do not exist: '
    + 'defaultAdmissionRule.requireAttestationsBy[0] projects/shop/attestors/a, '
    + 'defaultAdmissionRule.requireAttestationsBy[1] projects/shop/attestors/b');
  assert.deepEqual(missing.map((m) => [m.line, m.col]), [[12, 5], [13, 5]]);
});

test('an unknown field points at its key; a missing one at its parent', () => {
  const text = 'defaultAdmissionRule:\n  evaluationMode: ALWAYS_ALLOW\n  colour: blue\n';
  const parsed = parsePolicyYaml(text);
  const [unknown] = locateServerError(parsed, 'request body:1:3: defaultAdmissionRule.colour: unknown field');
  assert.deepEqual([unknown.line, unknown.col], [3, 3]);
  const [absent] = locateServerError(parsed,
    'request body:1:27: defaultAdmissionRule.requireAttestationsBy: must name at least one attestor');
  assert.deepEqual([absent.line, absent.col], [1, 1]);
  const [none] = locateServerError(parsed, 'something without a path');
  assert.deepEqual([none.line, none.col, none.path], [1, 1, '']);
});

test('YAML syntax errors come with their position and no value', () => {
  const parsed = parsePolicyYaml('name: x\ndefaultAdmissionRule: evaluationMode: ALWAYS_ALLOW\n');
  assert.equal(parsed.value, undefined);
  assert.deepEqual([parsed.errors[0].line, parsed.errors[0].col], [2, 23]);
  // An unclosed flow sequence is noticed where the next key starts.
  const flow = parsePolicyYaml('defaultAdmissionRule:\n  evaluationMode: [ALWAYS_ALLOW\nname: x\n');
  assert.deepEqual([flow.errors[0].line, flow.errors[0].col], [3, 1]);
  const list = parsePolicyYaml('- a\n- b\n');
  assert.match(list.errors[0].message, /mapping/);
  const dup = parsePolicyYaml('name: a\nname: b\n');
  assert.equal(dup.errors[0].line, 2);
});

test('the policy prints as gcloud exports it and the etag is kept', () => {
  const yaml = policyToYaml({
    name: 'projects/p/policy',
    defaultAdmissionRule: { evaluationMode: 'ALWAYS_ALLOW', enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG' },
    admissionWhitelistPatterns: [{ namePattern: 'a/*' }],
  });
  assert.equal(yaml, 'admissionWhitelistPatterns:\n- namePattern: a/*\ndefaultAdmissionRule:\n'
    + '  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n  evaluationMode: ALWAYS_ALLOW\nname: projects/p/policy\n');
  assert.deepEqual(parsePolicyYaml(yaml).value.admissionWhitelistPatterns, [{ namePattern: 'a/*' }]);
  assert.equal(policyToSend({ name: 'x' }, 'e1').etag, 'e1');
  assert.equal(policyToSend({ name: 'x', etag: 'mine' }, 'e1').etag, 'mine');
  assert.equal(policyToSend({ name: 'x' }, '').etag, undefined);
});

test('filter errors: position, byte columns, caret line', () => {
  assert.deepEqual(parseFilterError('filter:1:11: unknown severity'), { line: 1, col: 11, message: 'unknown severity' });
  assert.equal(parseFilterError('something else'), null);
  // "é" is two bytes (columns 4 and 5): column 6 is the closing quote.
  assert.equal(indexOfPosition('a="é" b', 1, 6), 4);
  assert.equal(indexOfPosition('a="é" b', 1, 7), 5);
  assert.equal(indexOfPosition('x\nsev>=LOUD', 2, 6), 7);
  assert.equal(indexOfPosition('short', 1, 99), 5);
  assert.deepEqual(errorLine('x\nsev>=LOUD', 2, 6), { lineText: 'sev>=LOUD', offset: 5 });
});

test('decisions are counted per hour and per day in UTC', () => {
  const now = Date.parse('2026-12-07T10:30:00Z');
  const events = [
    { time: Date.parse('2026-12-07T10:05:00Z'), outcome: 'DENY' },
    { time: Date.parse('2026-12-07T09:59:59Z'), outcome: 'DENY' },
    { time: Date.parse('2026-12-07T10:10:00Z'), outcome: 'ALLOW_BREAKGLASS' },
    { time: Date.parse('2026-12-04T10:10:00Z'), outcome: 'ALLOW' },
    { time: Date.parse('2026-12-07T11:00:00Z'), outcome: 'ALLOW' },  // future: dropped
    { time: Date.parse('2026-12-07T10:00:00Z'), outcome: 'OTHER' },
  ];
  const h = bucketize(events, 'hour', 48, now);
  assert.equal(h.starts.length, 48);
  assert.equal(h.starts[47], Date.parse('2026-12-07T10:00:00Z') / 1000);
  assert.equal(h.counts.DENY[47], 1);
  assert.equal(h.counts.DENY[46], 1);
  assert.equal(h.counts.ALLOW_BREAKGLASS[47], 1);
  assert.equal(h.counts.ALLOW.reduce((a, b) => a + b, 0), 0);
  const d = bucketize(events, 'day', 30, now);
  assert.equal(d.counts.DENY[29], 2);
  assert.equal(d.counts.ALLOW[26], 1);
});

test('audit entries and decisions give their outcome and reason', () => {
  assert.equal(entryOutcome({ labels: { 'binaryauthorization.googleapis.com/decision': 'DENY' } }), 'DENY');
  assert.equal(entryOutcome({ protoPayload: { metadata: { decision: { decision: 'ALLOW_DRYRUN' } } } }), 'ALLOW_DRYRUN');
  assert.equal(entryOutcome({ protoPayload: {} }), null);
  assert.deepEqual(denialOf({ images: [{ image: 'a', verdict: 'ALLOWED' }, { image: 'b', verdict: 'DENIED', reason: 'r' }] }),
    { image: 'b', reason: 'r' });
});

test('the image search takes a digest or a reference by digest', () => {
  const d = `sha256:${'ab'.repeat(32)}`;
  assert.deepEqual(parseImage(d), { digest: d, reference: '' });
  assert.deepEqual(parseImage(` gcr.io/p/app@${d} `), { digest: d, reference: `gcr.io/p/app@${d}` });
  assert.equal(parseImage('gcr.io/p/app:1.0'), null);
  assert.equal(parseImage('sha256:abc'), null);
});

test('the entry of a policy version is asked for by its etag', () => {
  assert.deepEqual(policyChangeRequest('shop', 'abc"1'), {
    resourceNames: ['projects/shop'],
    filter: 'logName="projects/shop/logs/cloudaudit.googleapis.com%2Factivity" AND '
      + 'protoPayload.methodName="google.cloud.binaryauthorization.v1.BinauthzManagementServiceV1.UpdatePolicy" AND '
      + 'protoPayload.resourceName="projects/shop/policy" AND protoPayload.response.etag="abc\\"1"',
    orderBy: 'timestamp desc',
    pageSize: 1,
  });
  assert.ok(!policyChangeRequest('shop', '').filter.includes('etag'));
});

test('the entry of a version is found past a short page (vouchd bounds one request)', async () => {
  const asked = [];
  const pages = [
    { entries: [], nextPageToken: 't1' },
    { entries: [{ timestamp: '2026-12-07T05:10:02Z', protoPayload: { authenticationInfo: { principalEmail: 'alice@example.com' } } }] },
  ];
  const list = async (body) => { asked.push(body.pageToken); return pages[asked.length - 1]; };
  assert.equal(await policyChange(list, 'shop', 'e'), 'Changed by alice@example.com at 2026-12-07 05:10:02 UTC.');
  assert.deepEqual(asked, [undefined, 't1']);
});

test('who changed the policy: principal, subject, anonymous, unknown', async () => {
  const entry = (info) => ({ entries: [{ timestamp: '2026-12-07T05:10:02.123456Z', protoPayload: { authenticationInfo: info } }] });
  assert.equal(describeChange(entry({ principalEmail: 'alice@example.com' })),
    'Changed by alice@example.com at 2026-12-07 05:10:02 UTC.');
  assert.equal(describeChange(entry({ principalSubject: 'principal://ci.example.com/subject/deployer' })),
    'Changed by principal://ci.example.com/subject/deployer at 2026-12-07 05:10:02 UTC.');
  assert.match(describeChange(entry({})), /^Changed at 2026-12-07 05:10:02 UTC by an unauthenticated caller/);
  assert.match(describeChange({}), /unknown: the audit log has no entry for this version/);
  const denied = async () => { throw Object.assign(new Error('Permission denied'), { http: 403, status: 'PERMISSION_DENIED' }); };
  assert.match(await policyChange(denied, 'shop', 'e'), /unknown: you may not read the audit log/);
  const down = async () => { throw Object.assign(new Error('vouchd did not answer'), { http: 0, status: 'UNAVAILABLE' }); };
  assert.equal(await policyChange(down, 'shop', 'e'),
    'Who changed it is unknown: the audit log could not be read (UNAVAILABLE: vouchd did not answer).');
});
