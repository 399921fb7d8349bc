// `gitops-workbench sandbox` as a command: its output contract, its kubeconfig, --state restarts
// (same CA, token, port, objects), a clean stop on SIGTERM/SIGINT, and never touching ~/.kube/config.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cliPath, startSandbox } from '../support/sandbox';
import { projectRoot } from '../support/tools';

const nodeArgs = (cli: string) => (cli.endsWith('.ts') ? ['--import', 'tsx', cli] : [cli]);

test('prints kubeconfig then ready; the kubeconfig has context sandbox, CA data and a token', async (t) => {
  const sb = await startSandbox();
  t.after(() => sb.stop());
  const lines = sb.log().split('\n');
  const kcLine = lines.findIndex((l) => l.startsWith('kubeconfig: '));
  const readyLine = lines.findIndex((l) => /ready/.test(l));
  assert.ok(kcLine >= 0 && readyLine > kcLine, sb.log());
  assert.equal(lines[kcLine].slice('kubeconfig: '.length), sb.kubeconfig);
  const text = fs.readFileSync(sb.kubeconfig, 'utf8');
  assert.match(text, /current-context: sandbox$/m);
  assert.match(text, /certificate-authority-data: [A-Za-z0-9+/=]{100,}/);
  assert.match(sb.server, /^https:\/\/127\.0\.0\.1:\d+$/);
  const ctx = sb.kubectl(['config', 'current-context']);
  assert.equal(ctx.stdout.trim(), 'sandbox');
  assert.equal(sb.kubectl(['get', 'ns', 'default']).status, 0);
});

test('SIGINT stops it with exit 0', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-sandbox-cli-'));
  const child = spawn(process.execPath, [...nodeArgs(cliPath()), 'sandbox', '--port', '0', '--kubeconfig', path.join(work, 'kc'), '--no-agent'],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: work } });
  try {
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready: ${out}`)), 60_000);
      child.stdout.on('data', () => { if (/ready/.test(out)) { clearTimeout(timer); resolve(); } });
    });
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    assert.equal(await exit, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('refuses to write ~/.kube/config', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-sandbox-home-'));
  const target = path.join(home, '.kube', 'config');
  const r = spawnSync(process.execPath, [...nodeArgs(cliPath()), 'sandbox', '--port', '0', '--kubeconfig', target, '--no-agent'],
    { cwd: projectRoot, encoding: 'utf8', timeout: 60_000, env: { ...process.env, HOME: home } });
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /refusing to overwrite/);
  assert.equal(fs.existsSync(target), false);
});

test('--state: a restart keeps CA, token, port and objects; resourceVersions keep growing', async (t) => {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-sandbox-state-'));
  const first = await startSandbox({ state });
  let second: Awaited<ReturnType<typeof startSandbox>> | undefined;
  t.after(async () => { await first.stop(); await second?.stop(); });
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keep' }, data: { a: '1' } };
  const created = await first.request('POST', '/api/v1/namespaces/default/configmaps', cm);
  assert.equal(created.status, 201);
  await first.stop();
  // Objects are files written by rename: never a half-written one.
  assert.ok(fs.readdirSync(path.join(state, 'objects')).some((f) => f.includes('keep')));
  assert.ok(!fs.readdirSync(path.join(state, 'objects')).some((f) => f.endsWith('.tmp')));
  second = await startSandbox({ state, port: first.port });
  assert.equal(second.token, first.token);
  assert.equal(second.ca, first.ca);
  assert.equal(second.port, first.port);
  const got = await second.request('GET', '/api/v1/namespaces/default/configmaps/keep');
  assert.equal(got.status, 200);
  assert.equal(got.body.metadata.uid, created.body.metadata.uid);
  const next = await second.request('PATCH', '/api/v1/namespaces/default/configmaps/keep', { data: { a: '2' } }, { contentType: 'application/merge-patch+json' });
  assert.ok(Number(next.body.metadata.resourceVersion) > Number(created.body.metadata.resourceVersion));
  // A kubeconfig written by the first run still works against the second.
  assert.equal(first.kubectl(['get', 'cm/keep', '-o', 'jsonpath={.data.a}']).stdout, '2');
});
