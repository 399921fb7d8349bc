// dist/cli.cjs, the CLI's loader: it compiles dist/cli-bundle.cjs with a V8 code cache per command. A cache
// is written on a first run, survives being corrupted (V8 refuses it and a fresh one is written), moves to
// the user's cache folder when dist/ cannot hold it, and can be turned off. Runs on a copy of dist/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cliPath } from '../support/sandbox';

function copyOfDist(t: { after(fn: () => void): void }): string {
  const cli = cliPath();
  if (cli.endsWith('.ts')) return '';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-loader-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const f of ['cli.cjs', 'cli-bundle.cjs']) fs.copyFileSync(path.join(path.dirname(cli), f), path.join(dir, f));
  return dir;
}

function run(dir: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [path.join(dir, 'cli.cjs'), 'diff', '--help'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /usage: gitops-workbench diff/);
  return r;
}

const caches = (dir: string) => (fs.existsSync(dir) && fs.statSync(dir).isDirectory() ? fs.readdirSync(dir).filter((f) => f.startsWith('cli-diff-') && f.endsWith('.v8')) : []);

test('a first run writes the code cache beside the bundle; a corrupted cache is refused and replaced', (t) => {
  const dir = copyOfDist(t);
  if (!dir) return t.skip('GITOPS_TEST_CLI runs the sources: no loader');
  run(dir);
  const written = caches(path.join(dir, '.cache'));
  assert.equal(written.length, 1, 'one cache for the diff command');
  const file = path.join(dir, '.cache', written[0]);
  const good = fs.readFileSync(file);
  assert.ok(good.length > 1000, `${good.length} bytes`);
  run(dir); // uses it
  fs.writeFileSync(file, Buffer.alloc(good.length, 7)); // same size, garbage
  const again = run(dir);
  assert.equal(again.stderr, '', 'no complaint: V8 refused the cache and the command ran');
  assert.notDeepEqual(fs.readFileSync(file), Buffer.alloc(good.length, 7), 'a fresh cache replaced the garbage');
});

test('when dist/ cannot hold the cache it goes to the user cache folder; GITOPS_WORKBENCH_CODE_CACHE=0 writes none', (t) => {
  const dir = copyOfDist(t);
  if (!dir) return t.skip('GITOPS_TEST_CLI runs the sources: no loader');
  fs.writeFileSync(path.join(dir, '.cache'), 'a file where the cache folder would go');
  const xdg = path.join(dir, 'xdg');
  run(dir, { XDG_CACHE_HOME: xdg });
  assert.equal(caches(path.join(xdg, 'gitops-workbench')).length, 1);
  fs.rmSync(path.join(dir, '.cache'));
  run(dir, { GITOPS_WORKBENCH_CODE_CACHE: '0', XDG_CACHE_HOME: path.join(dir, 'none') });
  assert.equal(caches(path.join(dir, '.cache')).length, 0);
  assert.equal(fs.existsSync(path.join(dir, 'none')), false);
  run(dir, { HOME: '', XDG_CACHE_HOME: '' }); // no home folder: still runs
});

test('--output json is indented on a terminal and one line when piped', (t) => {
  const script = ['/usr/bin/script', '/bin/script'].find((p) => fs.existsSync(p));
  if (!script) return t.skip('no script(1) to give the CLI a terminal');
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-json-'));
  t.after(() => fs.rmSync(ws, { recursive: true, force: true }));
  const args = [cliPath(), 'apps', ws, '--output', 'json', '--kubeconfig', path.join(ws, 'none')];
  const piped = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
  assert.equal(piped.status, 0, piped.stderr);
  assert.equal(piped.stdout.trimEnd().split('\n').length, 1, piped.stdout);
  const quoted = [process.execPath, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const tty = spawnSync(script, ['-qec', quoted, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(tty.status, 0, tty.stdout + tty.stderr);
  const lines = tty.stdout.replace(/\r/g, '').trimEnd().split('\n');
  assert.ok(lines.length > 3 && lines.some((l) => l.startsWith('  "apps"')), tty.stdout);
  assert.deepEqual(JSON.parse(lines.join('\n')), JSON.parse(piped.stdout));
});
