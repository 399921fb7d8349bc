// G's in-host run: a workspace that is a Git clone of a bare "remote", two Argo CD Applications (web:
// plain manifests, api: a Kustomize overlay) applied to the sandbox and synced by its pull agent. The
// suite drives gitops.bumpImageTag / revertCommit / rollbackApp from the command API.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { kubectl } from './gitopsFixture.mjs';
import { argoApplication, MANIFESTS } from '../../support/gitManifests.mjs';

export const tests = ['git*.test.ts'];
export const sandbox = { args: ['--poll', '2'] };
export const timeoutMs = 420_000;

const FILES = (remote) => ({
  ...MANIFESTS,
  'argocd/web.yaml': argoApplication('web', remote, 'apps/web'),
  'argocd/api.yaml': argoApplication('api', remote, 'apps/api/overlays/prod'),
});

export async function setup({ workspace, sandbox, log, tempDir }) {
  const git = (...args) => execFileSync('git', args, { cwd: workspace, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const remote = path.join(tempDir(), 'remote.git');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', remote]);
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Author');
  git('config', 'user.email', 'author@example.com');
  git('remote', 'add', 'origin', remote);
  for (const [rel, text] of Object.entries(FILES(remote))) {
    fs.mkdirSync(path.dirname(path.join(workspace, rel)), { recursive: true });
    fs.writeFileSync(path.join(workspace, rel), text);
  }
  git('add', '-A');
  git('commit', '-q', '-m', 'initial manifests');
  git('push', '-q', '-u', 'origin', 'main');
  const head = git('rev-parse', 'HEAD').trim();
  if (!sandbox) { log('no sandbox: git workflows will skip'); return {}; }
  kubectl(sandbox.kubeconfig, ['apply', '-f', path.join(workspace, 'argocd')]);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ok = ['web', 'api'].every((n) => {
      try {
        const s = JSON.parse(kubectl(sandbox.kubeconfig, ['get', 'applications.argoproj.io', n, '-n', 'argocd', '-o', 'json'])).status ?? {};
        return s.sync?.revision === head && s.sync?.status === 'Synced' && s.health?.status === 'Healthy';
      } catch { return false; }
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`Applications web/api not synced to ${head} within 120 s`);
    await new Promise((r) => setTimeout(r, 500));
  }
  log(`git workspace ${workspace} synced at ${head.slice(0, 7)} (remote ${remote})`);
  return { env: { GITOPS_TEST_GIT_REMOTE: remote }, settings: { 'gitops.agent': 'argocd', 'gitops.sync.timeoutSeconds': 120 } };
}
