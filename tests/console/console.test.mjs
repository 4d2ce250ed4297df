// The vouch console in a real browser: Debian's headless chromium driven
// by puppeteer-core, against a vouchd that seed.py starts and seeds (a
// real docker-registry, SQLite). Each page must show the seeded facts;
// the policy editor must report errors where they are, save, and refuse
// to overwrite a concurrent change; server values must stay text; the
// Content-Security-Policy must hold with no violation; axe-core must find
// nothing serious at desktop and phone sizes. Screenshots of every page
// are kept in BUILD/tests/console/screenshots.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import puppeteer from 'puppeteer-core';

const here = dirname(fileURLToPath(import.meta.url));
const buildRoot = process.env.VOUCH_BUILD_ROOT || join(here, '..', '..', 'build');
const shots = join(buildRoot, 'tests', 'console', 'screenshots');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const WAIT = 20000;

let seed;
let facts;
let browser;
let profile;
const problems = [];   // console errors, CSP violations, page errors

async function firstLine(stream) {
  const lines = createInterface({ input: stream });
  for await (const line of lines) return line;
  throw new Error('seed.py ended without printing its facts');
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  seed = spawn('python3', [join(here, 'seed.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
  facts = JSON.parse(await firstLine(seed.stdout));
  profile = mkdtempSync(join(tmpdir(), 'vouch-chromium-'));
  browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--user-data-dir=${profile}`],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (seed) {
    seed.stdin.end();
    if (seed.exitCode === null) await once(seed, 'exit');
    // seed.py ends non-zero when vouchd did (a leak under the sanitizers).
    assert.equal(seed.exitCode, 0, 'seed.py and vouchd ended cleanly');
  }
});

// A fresh tab on `hash` ("#/policy?project=shop"), watched for console
// errors and CSP violations. With `user` ("alice", seed.py's USERS), the
// tab is on the vouchd with authentication and holds that user's token,
// as if entered under "Access token"; `statuses` are the failed answers
// the test causes on purpose (400: an invalid policy or filter, 409: a
// conflict).
async function open(hash, viewport = DESKTOP, { user = null, statuses = '400|409' } = {}) {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  await page.evaluateOnNewDocument((token) => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
    if (token) sessionStorage.setItem('vouch.console.token', token);
  }, user ? facts.tokens[user] : '');
  const expected = new RegExp(`^Failed to load resource: the server responded with a status of (${statuses}) `);
  page.on('console', (m) => {
    if (expected.test(m.text())) return;
    if (m.type() === 'error' || /Content.Security.Policy|Refused to/i.test(m.text())) {
      problems.push(`console ${m.type()} on ${hash}: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`page error on ${hash}: ${e.message}`));
  const base = user ? facts.authUrl : facts.url;
  const response = await page.goto(`${base}/console/${hash}`, { waitUntil: 'networkidle0' });
  assert.equal(response.status(), 200);
  return page;
}

async function close(page) {
  const violations = await page.evaluate(() => window.__violations);
  assert.deepEqual(violations, [], 'CSP violations');
  await page.close();
}

const mainText = (page) => page.$eval('main', (el) => el.innerText);

async function waitText(page, text, where = 'main') {
  try {
    await page.waitForFunction((t, w) => {
      const el = document.querySelector(w);
      return el && el.innerText.includes(t);
    }, { timeout: WAIT }, text, where);
  } catch (e) {
    const seen = await page.$eval(where, (el) => el.innerText).catch(() => '(nothing)');
    throw new Error(`"${text}" did not appear in ${where}; it shows:\n${seen.slice(0, 3000)}`);
  }
}

async function chord(page, modifier, key) {
  await page.keyboard.down(modifier);
  await page.keyboard.press(key);
  await page.keyboard.up(modifier);
}

async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

// A call to vouchd; as `user`, to the vouchd with authentication.
async function api(method, path, body, user = null) {
  const headers = { 'Content-Type': 'application/json' };
  if (user) headers.Authorization = `Bearer ${facts.tokens[user]}`;
  const r = await fetch((user ? facts.authUrl : facts.url) + path, {
    method, body: body && JSON.stringify(body), headers,
  });
  const json = await r.json();
  assert.ok(r.ok, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

// axe-core, evaluated through the DevTools protocol (not a <script>, which
// the page's CSP would refuse): no serious or critical violation.
async function axe(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`),
    [], `axe on ${label}`);
}

const PAGES = {
  overview: 'Latest denials',
  policy: 'Policy (YAML)',
  attestors: 'built-by-ci',
  attestations: 'Image digest or reference by digest',
  services: 'Jobs (1)',
  audit: 'Summary',
};

describe('serving', () => {
  test('/ redirects to the console; every answer has the security headers', async () => {
    const root = await fetch(`${facts.url}/`, { redirect: 'manual' });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/console/');
    const first = await fetch(`${facts.url}/console/`);
    const second = await fetch(`${facts.url}/console/`);
    const html = await first.text();
    const csp = first.headers.get('content-security-policy');
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)[1];
    assert.match(first.headers.get('content-type'), /^text\/html/);
    assert.ok(html.includes(`content="${nonce}"`), 'the page carries the nonce of its CSP');
    assert.notEqual(second.headers.get('content-security-policy'), csp, 'a fresh nonce per response');
    for (const part of ["default-src 'self'", "script-src 'self'", `style-src 'self' 'nonce-${nonce}'`,
      "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"]) {
      assert.ok(csp.includes(part), `CSP has ${part}: ${csp}`);
    }
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.equal(first.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(first.headers.get('referrer-policy'), 'no-referrer');
    assert.match(first.headers.get('cache-control'), /no-store/);
    const js = await fetch(`${facts.url}/console/app.js`);
    assert.match(js.headers.get('content-type'), /^text\/javascript/);
    assert.ok((await js.text()).length > 10000);
    const missing = await fetch(`${facts.url}/console/nothing-here.js`);
    assert.equal(missing.status, 404);
    assert.ok(missing.headers.get('content-security-policy'));
    const post = await fetch(`${facts.url}/console/`, {
      method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(post.status, 405);
  });

  test('the projects and locations routes list what holds resources', async () => {
    const projects = await api('GET', '/v1/projects');
    assert.deepEqual(projects.projects.map((p) => p.projectId), ['shop', 'xss-probe']);
    const locations = await api('GET', '/v1/projects/shop/locations');
    assert.deepEqual(locations.locations, [{ locationId: 'us-central1', name: 'projects/shop/locations/us-central1' }]);
  });
});

describe('pages', () => {
  test('Overview: decisions, the latest denial and its reason, what does not conform', async () => {
    const page = await open('#/overview?project=shop');
    await waitText(page, 'Latest denials');
    await waitText(page, 'deny: 1');
    const text = await mainText(page);
    assert.match(text, /allow: 2/);          // web's first revision, the job execution
    assert.match(text, /breakglass: 1/);
    assert.match(text, /web-00002-/);
    assert.ok(text.includes(`no attestation on note projects/shop/notes/built-by-ci for ${facts.badDigest}`));
    // checkout serves the unattested image by breakglass; web and the job
    // run attested ones (continuous validation, docs/run.md).
    assert.match(text, /Not conforming to the current policy\s*1 service, 0 jobs, 1 serving revision/);
    assert.equal(await page.$$eval('.chart canvas', (c) => c.length), 1);
    await shot(page, 'overview');
    await page.click('button[aria-pressed="false"]');   // per day
    await waitText(page, 'per day, last 30 days');
    await close(page);
  });

  test('Policy: the stored policy as gcloud YAML', async () => {
    const page = await open('#/policy?project=shop');
    await page.waitForSelector('.cm-content');
    const yaml = await page.$eval('.cm-content', (el) => el.innerText);
    assert.match(yaml, /evaluationMode: REQUIRE_ATTESTATION/);
    assert.match(yaml, /- projects\/shop\/attestors\/built-by-ci/);
    assert.match(yaml, /- namePattern: gcr.io\/shop\/base-images\/\*/);
    // The editor's <style> elements carry the response's nonce.
    const nonces = await page.evaluate(() => {
      const meta = document.querySelector('meta[name="vouch-csp-nonce"]').content;
      return [...document.querySelectorAll('style')].map((s) => s.nonce === meta);
    });
    assert.ok(nonces.length > 0 && nonces.every(Boolean), 'every <style> has the nonce');
    await shot(page, 'policy');
    await close(page);
  });

  test('Attestors: keys with algorithm, id and fingerprint', async () => {
    const page = await open('#/attestors?project=shop&attestor=scanned');
    await waitText(page, 'Attestor scanned');
    const text = await mainText(page);
    assert.match(text, /Images built by the CI pipeline/);
    assert.match(text, /Images that passed the vulnerability scan/);
    assert.match(text, /ECDSA_P384_SHA384/);
    assert.match(text, /RSA_SIGN_PKCS1_2048_SHA256/);
    assert.match(text, /scanner 2026/);
    const attestor = await api('GET', '/v1/projects/shop/attestors/scanned');
    for (const k of attestor.userOwnedGrafeasNote.publicKeys) {
      assert.ok(text.includes(k.id), `key id ${k.id} shown`);
      const der = Buffer.from(k.pkixPublicKey.publicKeyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
      const fp = createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g).join(':');
      await waitText(page, fp);
    }
    await shot(page, 'attestors');
    await close(page);
  });

  test('Attestations: which attestor and key verified, which did not and why', async () => {
    const page = await open(`#/attestations?project=shop&image=${encodeURIComponent(facts.goodDigest)}`);
    await waitText(page, '2 attestations for');
    const text = await mainText(page);
    assert.match(text, /Verified by: built-by-ci/);
    const rows = await page.$$eval('table.checks tbody tr', (trs) => trs.map((tr) => tr.innerText));
    const verified = rows.filter((r) => /\bverified\b/.test(r) && !/not verified/.test(r));
    const refused = rows.filter((r) => /not verified/.test(r));
    assert.equal(verified.length, 1, rows.join('\n'));
    assert.match(verified[0], /ni:\/\/\/sha-256;/);
    assert.match(verified[0], /ECDSA_P256_SHA256/);
    assert.equal(refused.length, 1, rows.join('\n'));
    assert.match(refused[0], /key|signature/i);   // the server's reason
    assert.match(text, /No attestation for this image on the note of: scanned/);
    await shot(page, 'attestations');
    await close(page);

    const bad = await open(`#/attestations?project=shop&image=${encodeURIComponent(facts.bad)}`);
    await waitText(bad, 'No attestation in project shop names this digest');
    await close(bad);
  });

  test('Services and jobs: digests, decisions, deny reason, breakglass highlighted', async () => {
    const page = await open('#/services?project=shop');
    await waitText(page, 'Jobs (1)');
    const text = await mainText(page);
    assert.match(text, /Service web/);
    assert.match(text, /Service checkout/);
    assert.match(text, /Job nightly-report/);
    assert.ok(text.includes(facts.good) && text.includes(facts.bad), 'both digests shown');
    assert.match(text, /no attestation on note projects\/shop\/notes\/built-by-ci/);
    const glass = await page.$$eval('.breakglass', (els) => els.map((e) => e.innerText));
    assert.equal(glass.length, 1);
    assert.ok(glass[0].includes(facts.breakglass));
    const jobRow = await page.$eval('section[aria-labelledby="job-h"] article tbody tr', (tr) => tr.innerText);
    assert.match(jobRow, /nightly-report-/);
    assert.ok(jobRow.includes(facts.goodDigest));
    assert.match(jobRow, /allow/);
    assert.match(jobRow, /by alice@example\.com/);   // who ran it
    await shot(page, 'services');
    await close(page);
  });

  test('Audit log: filter errors at their position, entries expand, links lead on', async () => {
    const page = await open('#/audit?project=shop');
    await waitText(page, 'Summary');
    await page.click('#filter-q', { clickCount: 3 });
    await page.type('#filter-q', 'resource.type="cloud_run_revision" severity>=LOUD');
    await page.keyboard.press('Enter');
    await waitText(page, 'Line 1, column 46');
    assert.match(await mainText(page), /unknown severity/);
    const caret = await page.$eval('.filter-error pre', (el) => el.textContent.split('\n')[1]);
    assert.equal(caret, `${' '.repeat(45)}^`);
    assert.equal(await page.$eval('#filter-q', (el) => el.selectionStart), 45);

    await page.click('#filter-q', { clickCount: 3 });
    await chord(page, 'Control', 'a');
    await page.type('#filter-q', 'breakglass');
    await page.keyboard.press('Enter');
    await waitText(page, '1 entry');
    assert.ok((await mainText(page)).includes(facts.breakglass));
    await page.click('button.expand');
    await page.waitForSelector('tr.entry-json pre');
    const entry = JSON.parse(await page.$eval('tr.entry-json pre', (el) => el.textContent));
    assert.equal(entry.labels['binaryauthorization.googleapis.com/decision'], 'ALLOW_BREAKGLASS');
    assert.equal(await page.$eval('button.expand', (b) => b.getAttribute('aria-expanded')), 'true');
    await shot(page, 'audit');
    await Promise.all([page.waitForFunction(() => window.location.hash.startsWith('#/services')),
      page.click('td.about a')]);
    await waitText(page, 'Service checkout');
    // The heading takes the focus in an effect that runs just after it is
    // drawn, so wait for it rather than read the focus at once.
    await page.waitForFunction(
      () => document.activeElement.innerText === 'Service checkout · us-central1',
      { timeout: 5000 }).catch(() => {});
    assert.equal(await page.evaluate(() => document.activeElement.innerText), 'Service checkout · us-central1');
    await close(page);
  });
});

// Puts the cursor at the end of the editor line that contains `text`.
async function cursorAtEndOf(page, text) {
  const lines = await page.$$('.cm-line');
  for (const line of lines) {
    if ((await line.evaluate((el) => el.textContent)).includes(text)) {
      await line.click();
      await page.keyboard.press('End');
      return;
    }
  }
  throw new Error(`no editor line holds ${text}`);
}

describe('policy editor', () => {
  test('a YAML syntax error is shown at its line, and nothing is sent', async () => {
    const page = await open('#/policy?project=shop');
    await page.waitForSelector('.cm-content');
    let sent = 0;
    page.on('request', (r) => { if (r.method() === 'PUT') sent++; });
    await cursorAtEndOf(page, 'globalPolicyEvaluationMode');
    await page.keyboard.type(': oops');
    await page.click('button::-p-text(Check and review changes)');
    await waitText(page, 'The policy has an error');
    const text = await mainText(page);
    const lineNo = (await page.$$eval('.cm-line', (ls) => ls.map((l) => l.textContent)))
      .findIndex((l) => l.includes('globalPolicyEvaluationMode')) + 1;
    assert.match(text, new RegExp(`Line ${lineNo}, column \\d+: `));
    assert.equal(sent, 0);
    await close(page);
  });

  test('an invalid edit shows the server\'s error at its line and column', async () => {
    const page = await open('#/policy?project=shop');
    await page.waitForSelector('.cm-content');
    await cursorAtEndOf(page, 'evaluationMode: REQUIRE_ATTESTATION');
    await page.keyboard.type('S');
    await page.click('button::-p-text(Check and review changes)');
    await waitText(page, 'The policy has an error');
    const lines = await page.$$eval('.cm-line', (ls) => ls.map((l) => l.textContent));
    const lineNo = lines.findIndex((l) => l.includes('evaluationMode: REQUIRE_ATTESTATIONS')) + 1;
    const col = lines[lineNo - 1].indexOf('REQUIRE') + 1;
    const text = await mainText(page);
    assert.ok(text.includes(`Line ${lineNo}, column ${col}: defaultAdmissionRule.evaluationMode: unknown value 'REQUIRE_ATTESTATIONS'`), text);
    assert.equal(await page.$eval('.cm-lintRange-error', (el) => el.textContent), 'REQUIRE_ATTESTATIONS');
    assert.equal(await page.$eval('button.primary', (b) => b.disabled), true, 'no save while invalid');
    await shot(page, 'policy-error');
    await axe(page, 'policy with an error');
    await close(page);
  });

  test('a valid edit shows its diff, is saved and reads back', async () => {
    const before = await api('GET', '/v1/projects/shop/policy');
    const page = await open('#/policy?project=shop');
    await page.waitForSelector('.cm-content');
    await cursorAtEndOf(page, 'namePattern: gcr.io/shop/base-images/*');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Home');
    await page.keyboard.down('Shift');
    await page.keyboard.press('End');
    await page.keyboard.up('Shift');
    await page.keyboard.type('- namePattern: gcr.io/shop/tools/**');
    await page.click('button::-p-text(Check and review changes)');
    await waitText(page, 'Changes to save');
    const diff = await page.$eval('pre.diff', (el) => el.innerText);
    assert.match(diff, /^\+ - namePattern: gcr\.io\/shop\/tools\/\*\*$/m);
    assert.equal((diff.match(/^[+-] /gm) || []).length, 1, diff);
    const stillStored = await api('GET', '/v1/projects/shop/policy');
    assert.equal(stillStored.etag, before.etag, 'checking stores nothing');
    await shot(page, 'policy-review');
    await page.click('button.primary');
    await waitText(page, 'Saved.');
    const after = await api('GET', '/v1/projects/shop/policy');
    assert.notEqual(after.etag, before.etag);
    assert.deepEqual(after.admissionWhitelistPatterns.map((p) => p.namePattern),
      ['gcr.io/shop/base-images/*', 'gcr.io/shop/tools/**']);
    assert.ok((await mainText(page)).includes(after.etag));
    await close(page);
  });

  // Edit the description of shop's policy in the editor and have the
  // server check it, up to the review (the Save button enabled).
  async function editUntilReview(page, description) {
    await page.waitForSelector('.cm-content');
    const lines = await page.$$eval('.cm-line', (ls) => ls.map((l) => l.textContent));
    if (lines.some((l) => l.startsWith('description:'))) {
      // Type over the line an earlier test wrote: the editor replaces a
      // selection itself, because Chromium's own replacing writes a style
      // attribute that the CSP refuses (a violation fails the test).
      await cursorAtEndOf(page, 'description:');
      await page.keyboard.press('Home');
      await page.keyboard.down('Shift');
      await page.keyboard.press('End');
      await page.keyboard.up('Shift');
    } else {
      await cursorAtEndOf(page, 'globalPolicyEvaluationMode');
      await page.keyboard.press('Enter');
    }
    await page.keyboard.type(`description: ${description}`);
    await page.click('button::-p-text(Check and review changes)');
    await waitText(page, 'Changes to save');
  }

  // The admin-activity entry of the policy version `etag`, and its time as
  // the page writes it.
  async function entryOf(etag, user = null) {
    const r = await api('POST', '/v2/entries:list', {
      resourceNames: ['projects/shop'],
      filter: `protoPayload.methodName:"UpdatePolicy" AND protoPayload.response.etag="${etag}"`,
    }, user);
    assert.equal((r.entries || []).length, 1, JSON.stringify(r));
    const t = r.entries[0].timestamp;
    return { entry: r.entries[0], when: `${t.slice(0, 10)} ${t.slice(11, 19)} UTC` };
  }

  test('a concurrent change through the API makes the save show the conflict', async () => {
    const page = await open('#/policy?project=shop');
    await editUntilReview(page, 'edited in the console');
    const loaded = await api('GET', '/v1/projects/shop/policy');
    const theirs = await api('PUT', '/v1/projects/shop/policy', { ...loaded, description: 'changed through the API' });
    await page.click('button.primary');
    await waitText(page, 'Not saved: the policy was changed since you loaded it');
    const text = await mainText(page);
    assert.ok(text.includes(theirs.etag), 'the new etag is shown');
    assert.match(text, /^- description: changed through the API$/m);
    assert.match(text, /^\+ description: edited in the console$/m);
    // Without authentication the log has the time but no principal.
    const { entry, when } = await entryOf(theirs.etag);
    assert.deepEqual(entry.protoPayload.authenticationInfo, {});
    assert.ok(text.includes(`Changed at ${when} by an unauthenticated caller`), text);
    const stored = await api('GET', '/v1/projects/shop/policy');
    assert.equal(stored.description, 'changed through the API', 'nothing was overwritten');
    await page.click('button::-p-text(Reload the stored policy)');
    await page.waitForFunction(() => document.querySelector('.cm-content').innerText.includes('changed through the API'));
    await close(page);
  });

  test('with authentication the conflict names who changed the policy and when', async () => {
    // bob edits in the console while alice changes the policy through the
    // API: bob's save shows alice's change, from the admin-activity log.
    const page = await open('#/policy?project=shop', DESKTOP, { user: 'bob' });
    await editUntilReview(page, 'edited by bob');
    const loaded = await api('GET', '/v1/projects/shop/policy', undefined, 'alice');
    const theirs = await api('PUT', '/v1/projects/shop/policy',
      { ...loaded, description: 'changed by alice' }, 'alice');
    await page.click('button.primary');
    await waitText(page, 'Not saved: the policy was changed since you loaded it');
    const { entry, when } = await entryOf(theirs.etag, 'owner');
    assert.deepEqual(entry.protoPayload.authenticationInfo, { principalEmail: 'alice@example.com' });
    const text = await mainText(page);
    assert.ok(text.includes(`Changed by alice@example.com at ${when}.`), text);
    assert.match(text, /^- description: changed by alice$/m);
    assert.equal((await api('GET', '/v1/projects/shop/policy', undefined, 'owner')).description,
      'changed by alice', 'nothing was overwritten');
    await shot(page, 'policy-conflict');
    await axe(page, 'policy with a conflict');
    await close(page);
  });

  test('a caller who may not read the audit log sees the conflict, author unknown', async () => {
    // carol may update the policy but not list log entries: a 403 there
    // must not cost her the conflict view.
    const page = await open('#/policy?project=shop', DESKTOP, { user: 'carol', statuses: '403|409' });
    await editUntilReview(page, 'edited by carol');
    const loaded = await api('GET', '/v1/projects/shop/policy', undefined, 'alice');
    const theirs = await api('PUT', '/v1/projects/shop/policy',
      { ...loaded, description: 'changed by alice again' }, 'alice');
    await page.click('button.primary');
    await waitText(page, 'Not saved: the policy was changed since you loaded it');
    const text = await mainText(page);
    assert.ok(text.includes(theirs.etag), 'the new etag is shown');
    assert.ok(text.includes('Who changed it is unknown: you may not read the audit log'), text);
    assert.ok(!text.includes('alice@example.com'), text);
    await page.click('button::-p-text(Reload the stored policy)');
    await page.waitForFunction(() => document.querySelector('.cm-content').innerText.includes('changed by alice again'));
    await close(page);
  });
});

describe('safety', () => {
  test('server values with HTML are shown as text, and nothing runs', async () => {
    for (const [hash, where] of [
      ['#/attestors?project=xss-probe&attestor=probe', 'Attestor probe'],
      ['#/audit?project=xss-probe', 'Summary'],
      ['#/services?project=xss-probe', 'Service probe'],
    ]) {
      const page = await open(hash);
      await waitText(page, where);
      await waitText(page, facts.xssText);
      const injected = await page.evaluate(() => ({
        flag: typeof window.__xss,
        elements: document.querySelectorAll('main script, main img, main [onerror]').length,
      }));
      assert.deepEqual(injected, { flag: 'undefined', elements: 0 }, hash);
      if (hash.startsWith('#/audit')) {
        await page.click('button.expand');
        await page.waitForSelector('tr.entry-json pre');
        assert.equal(await page.evaluate(() => document.querySelectorAll('main img, main script').length), 0);
        await shot(page, 'xss-audit');
      }
      await close(page);
    }
  });

  test('a token is kept for the tab and sent as a Bearer header', async () => {
    const page = await open('#/attestors?project=shop');
    await waitText(page, 'built-by-ci');
    const auth = [];
    page.on('request', (r) => { if (r.url().includes('/v1/')) auth.push(r.headers().authorization || ''); });
    await page.click('details.token summary');
    await page.type('#token-input', 'sesame-123');
    await page.click('button::-p-text(Use token)');
    await waitText(page, 'Access token: set for this tab', 'header');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('vouch.console.token')), 'sesame-123');
    await page.click('a[href^="#/policy"]');
    await page.waitForSelector('.cm-content');
    assert.ok(auth.length > 0 && auth.every((a) => a === 'Bearer sesame-123'), JSON.stringify(auth));
    await close(page);
  });

  test('with an auth config: 401 without a token, the pages with one', async () => {
    // A second vouchd on the same data requires a token (seed.py); the
    // console asks for one, then shows the pages with it.
    const page = await browser.newPage();
    await page.setViewport(DESKTOP);
    const response = await page.goto(`${facts.authUrl}/console/#/attestors?project=shop`,
      { waitUntil: 'networkidle0' });
    assert.equal(response.status(), 200, 'the console itself needs no token');
    await waitText(page, 'missing required authentication credential');
    await page.click('details.token summary');
    await page.type('#token-input', facts.tokens.owner);
    await page.click('button::-p-text(Use token)');
    await waitText(page, 'built-by-ci');
    await page.close();
  });

  test('the keyboard reaches the pages and the skip link', async () => {
    const page = await open('#/overview?project=shop');
    await waitText(page, 'Latest denials');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
    // Back from the content to the "Attestors" navigation link; follow it.
    let found = false;
    for (let i = 0; i < 10 && !found; i++) {
      await chord(page, 'Shift', 'Tab');
      found = await page.evaluate(() => document.activeElement.textContent === 'Attestors');
    }
    assert.ok(found, 'Tab reaches the Attestors link');
    await page.keyboard.press('Enter');
    await waitText(page, 'Choose an attestor');
    assert.match(await page.evaluate(() => window.location.hash), /^#\/attestors/);
    await page.waitForFunction(() => document.activeElement.tagName === 'H1', { timeout: 5000 })
      .catch(() => {});
    assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H1', 'the new page has the focus');
    await close(page);
  });
});

describe('every page at 1280×800 and 390×844', () => {
  for (const [name, text] of Object.entries(PAGES)) {
    test(`${name}: axe-core clean, nothing wider than the screen`, async () => {
      for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
        const page = await open(`#/${name}?project=shop`, viewport);
        await waitText(page, text);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${name} at ${size} is ${overflow}px wider than the screen`);
        await axe(page, `${name} at ${size}`);
        if (size === 'phone') await shot(page, `${name}-phone`);
        await close(page);
      }
    });
  }
});

describe('the browser console', () => {
  test('no errors and no CSP violations on any page', () => {
    assert.deepEqual(problems, []);
  });
});
