// Flux end to end: the workspace defines a GitRepository + Kustomization (pulled by the sandbox agent's
// Flux subset, poll 60 s); `bump --push --wait` annotates requestedAt on both and returns once
// lastAppliedRevision is the pushed commit and Ready is True — well before the next poll.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startSandbox, type Sandbox } from '../support/sandbox';
import { helmPath, kubectlPath, projectRoot } from '../support/tools';
import { fluxYaml } from './agentHelpers';
import { git, newRepo, oneLineTagDiffProblems } from './gitFixture';

function cli(cwd: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', pathToFileURL(path.join(projectRoot, 'node_modules/tsx/dist/loader.mjs')).href, path.join(projectRoot, 'src/cli.ts'), ...args],
      { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('exit', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
}

describe('git workflows with a Flux Kustomization', { timeout: 400_000 }, () => {
  let sb: Sandbox;
  let tmp: string;
  let work: string;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-git-flux-'));
    sb = await startSandbox({ agent: true, extraArgs: ['--poll', '60'] });
    ({ work } = newRepo(path.join(tmp, 'repo'), (remote) => ({
      'clusters/web.yaml': fluxYaml('web', remote, true, './apps/web'),
    })));
    for (const ns of ['flux-system', 'web']) assert.equal(sb.kubectl(['create', 'namespace', ns]).status, 0);
    const applied = sb.kubectl(['apply', '-f', path.join(work, 'clusters/web.yaml')]);
    assert.equal(applied.status, 0, applied.stderr);
    const head = git(work, 'rev-parse', 'HEAD').trim();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = sb.kubectl(['get', 'kustomizations.kustomize.toolkit.fluxcd.io', 'web', '-n', 'flux-system', '-o', 'json']);
      const s = r.status === 0 ? JSON.parse(r.stdout).status ?? {} : {};
      if (s.lastAppliedRevision === `main@sha1:${head}`) break;
      if (Date.now() > deadline) assert.fail(`Kustomization web not applied: ${JSON.stringify(s)}\n${sb.log().slice(-2000)}`);
      await new Promise((r2) => setTimeout(r2, 500));
    }
  });
  after(async () => {
    await sb?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('bump --push --wait: requestedAt on Kustomization and GitRepository, returns when lastAppliedRevision is the commit', async () => {
    const began = Date.now();
    const r = await cli(work, ['bump', 'ghcr.io/acme/web', '1.1.0', '--app', 'web', '--push', '--wait', '--kubeconfig', sb.kubeconfig,
      '--helm-path', helmPath(), '--kubectl-path', kubectlPath(), '--timeout', '50']);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}\n${sb.log().slice(-2000)}`);
    assert.match(r.stdout, /asking Kustomization web to sync/);
    assert.match(r.stdout, /web is live at [0-9a-f]{7}: Synced Healthy in ([\d.]+) s after the push/);
    console.log(`# flux bump push -> live: ${/in ([\d.]+) s after the push/.exec(r.stdout)![1]} s (whole command ${((Date.now() - began) / 1000).toFixed(1)} s, agent poll 60 s)`);
    assert.equal(sb.kubectl(['get', 'deploy', 'web', '-n', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']).stdout, 'ghcr.io/acme/web:1.1.0');
    assert.deepEqual(oneLineTagDiffProblems(work, 'HEAD', 'apps/web/deployment.yaml', '1.0.0', '1.1.0'), []);
    const ks = JSON.parse(sb.kubectl(['get', 'kustomizations.kustomize.toolkit.fluxcd.io', 'web', '-n', 'flux-system', '-o', 'json']).stdout);
    const src = JSON.parse(sb.kubectl(['get', 'gitrepositories.source.toolkit.fluxcd.io', 'web', '-n', 'flux-system', '-o', 'json']).stdout);
    assert.match(ks.metadata.annotations['reconcile.fluxcd.io/requestedAt'], /\.\d{9}Z$/);
    assert.match(src.metadata.annotations['reconcile.fluxcd.io/requestedAt'], /\.\d{9}Z$/);
    assert.equal(ks.status.lastAppliedRevision, `main@sha1:${git(work, 'rev-parse', 'HEAD').trim()}`);
  });
});
