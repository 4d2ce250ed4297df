// What the run-platform compat tests share (run.test.mjs,
// run_v1.test.mjs): a real docker-registry on 127.0.0.1 (vouchd resolves
// every image through it; images are pushed with fetch), vouchd on a free
// port, and an OAuth2 client whose fixed token never expires (vouchd
// ignores it). Processes are stopped by PID in stop().
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

import {google} from 'googleapis';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REGISTRY_BIN = '/usr/bin/docker-registry';
export const hasRegistry = fs.existsSync(REGISTRY_BIN);

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const {port} = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url, child, what) {
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) {
      throw new Error(`${what} exited with ${child.exitCode}`);
    }
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not answer ${url}`);
}

export function makeAuth() {
  const auth = new google.auth.OAuth2();
  auth.setCredentials({
    access_token: 'compat-test-token',
    expiry_date: Date.now() + 24 * 3600 * 1000,
  });
  return auth;
}

const sha256 = (b) => 'sha256:' +
    crypto.createHash('sha256').update(b).digest('hex');

// A registry, a vouchd, and the processes to stop.
export class Harness {
  constructor(prefix) {
    this.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fs.chmodSync(this.tmpDir, 0o755);
    this.procs = [];
    this.registry = null;
    this.rootUrl = null;
    this.port = null;
  }

  start(cmd, args, logName) {
    const log = fs.openSync(path.join(this.tmpDir, logName), 'w');
    const child = spawn(cmd, args, {stdio: ['ignore', log, log]});
    fs.closeSync(log);
    this.procs.push(child);
    return child;
  }

  async startRegistry() {
    const storage = path.join(this.tmpDir, 'storage');
    fs.mkdirSync(storage, {mode: 0o777});
    fs.chmodSync(storage, 0o777);
    this.registry = `127.0.0.1:${await freePort()}`;
    const cfg = path.join(this.tmpDir, 'registry.yml');
    fs.writeFileSync(cfg, [
      'version: 0.1', 'log:', '  level: error', 'storage:', '  filesystem:',
      `    rootdirectory: ${storage}`, 'http:', `  addr: ${this.registry}`,
      '',
    ].join('\n'));
    const asRoot = process.getuid && process.getuid() === 0;
    const reg = asRoot ?
      this.start('runuser',
          ['-u', 'nobody', '--', REGISTRY_BIN, 'serve', cfg],
          'registry.log') :
      this.start(REGISTRY_BIN, ['serve', cfg], 'registry.log');
    await waitFor(`http://${this.registry}/v2/`, reg, 'docker-registry');
  }

  async startVouchd(extraArgs = []) {
    const vouchd = process.env.VOUCHD ??
        path.join(here, '..', '..', 'build', 'src', 'daemon', 'vouchd');
    this.port = await freePort();
    this.rootUrl = `http://127.0.0.1:${this.port}`;
    const daemon = this.start(vouchd, [
      '--listen', `127.0.0.1:${this.port}`,
      '--store', `sqlite:${path.join(this.tmpDir, 'vouch.db')}`,
      '--access-log', path.join(this.tmpDir, 'access.log'),
      // Plain http to the test registry must be allowed by name.
      ...(this.registry ? ['--registry-insecure', this.registry] : []),
      ...extraArgs,
    ], 'vouchd.log');
    await waitFor(`${this.rootUrl}/healthz`, daemon, 'vouchd');
  }

  async pushBlob(repo, data) {
    const base = `http://${this.registry}`;
    let r = await fetch(`${base}/v2/${repo}/blobs/uploads/`,
        {method: 'POST'});
    assert.equal(r.status, 202);
    let loc = r.headers.get('location');
    if (loc.startsWith('/')) loc = base + loc;
    const digest = sha256(data);
    loc += (loc.includes('?') ? '&' : '?') + 'digest=' + digest;
    r = await fetch(loc, {method: 'PUT', body: data,
      headers: {'Content-Type': 'application/octet-stream'}});
    assert.equal(r.status, 201);
    return {digest, size: data.length};
  }

  // Push a small OCI image under repo:tag; returns its manifest digest.
  async pushImage(repo, tag, seed) {
    const layer = await this.pushBlob(repo,
        Buffer.from(`layer ${seed}`.repeat(8)));
    const config = await this.pushBlob(repo, Buffer.from(JSON.stringify({
      architecture: 'amd64', os: 'linux',
      rootfs: {type: 'layers', diff_ids: [layer.digest]},
    })));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {mediaType: 'application/vnd.oci.image.config.v1+json',
        ...config},
      layers: [{mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        ...layer}],
    }));
    const r = await fetch(
        `http://${this.registry}/v2/${repo}/manifests/${tag}`, {
          method: 'PUT', body: manifest,
          headers: {
            'Content-Type': 'application/vnd.oci.image.manifest.v1+json'},
        });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('docker-content-digest'), sha256(manifest));
    return sha256(manifest);
  }

  async putPolicy(project, rule) {
    const r = await fetch(`${this.rootUrl}/v1/projects/${project}/policy`, {
      method: 'PUT',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({
        globalPolicyEvaluationMode: 'DISABLE',
        defaultAdmissionRule: {
          enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG', ...rule},
      }),
    });
    assert.equal(r.status, 200, await r.text());
  }

  async stop() {
    for (const child of this.procs.reverse()) {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    }
    fs.rmSync(this.tmpDir, {recursive: true, force: true});
  }
}
