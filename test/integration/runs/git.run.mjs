// G's in-host run: a workspace that is a Git clone of a bare "remote", two Argo CD Applications (web:
// plain manifests, api: a Kustomize overlay) applied to the sandbox and synced by its pull agent. The
// suite drives gitops.bumpImageTag / revertCommit / rollbackApp from the command API.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { kubectl } from './gitopsFixture.mjs';

export const tests = ['git*.test.ts'];
export const sandbox = { args: ['--poll', '2'] };
export const timeoutMs = 420_000;

const FILES = (remote) => ({
  'apps/web/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:1.0.0 # pinned by release
`,
  'apps/api/base/kustomization.yaml': 'resources:\n  - deployment.yaml\n',
  'apps/api/base/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: "ghcr.io/acme/api:1.0.0"
`,
  'apps/api/overlays/prod/kustomization.yaml': `# production overlay
resources:
  - ../../base
images:
  - name: ghcr.io/acme/api
    newTag: "2.1.0"   # release train
`,
  'README.md': 'manifests\n',
  ...Object.fromEntries(['web', 'api'].map((name) => [`argocd/${name}.yaml`, `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: ${remote}
    targetRevision: main
    path: ${name === 'web' ? 'apps/web' : 'apps/api/overlays/prod'}
  destination:
    server: https://kubernetes.default.svc
    namespace: ${name}
  syncPolicy:
    automated:
      prune: true
    syncOptions:
      - CreateNamespace=true
`])),
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
