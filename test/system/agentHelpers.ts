// Shared helpers for the agent system tests: real git repositories (a bare "remote" plus a working
// clone) in temp dirs, Applications applied with real kubectl, and polling of the Application status.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Sandbox } from '../support/sandbox';

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com' };

export interface TestRepo {
  remote: string;
  work: string;
  /** Write (string) or delete (null) files, commit, push; returns the new sha. */
  commit(files: Record<string, string | null>, message: string): string;
  head(): string;
}

export function makeRepo(root: string, name: string, files: Record<string, string>): TestRepo {
  const remote = path.join(root, `${name}.git`);
  const work = path.join(root, name);
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' }).trim();
  git(root, 'init', '-q', '--bare', '-b', 'main', remote);
  fs.mkdirSync(work);
  git(work, 'init', '-q', '-b', 'main');
  git(work, 'remote', 'add', 'origin', remote);
  const commit = (changes: Record<string, string | null>, message: string) => {
    for (const [rel, text] of Object.entries(changes)) {
      const file = path.join(work, rel);
      if (text === null) fs.rmSync(file, { force: true });
      else { fs.mkdirSync(path.dirname(file), { recursive: true }); fs.writeFileSync(file, text); }
    }
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', message);
    git(work, 'push', '-q', 'origin', 'main');
    return git(work, 'rev-parse', 'HEAD');
  };
  commit(files, 'initial');
  return { remote, work, commit, head: () => git(work, 'rev-parse', 'HEAD') };
}

export function tempRoot(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function configMap(name: string, data: Record<string, string>): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}\n`;
}

export function deployment(name: string, image: string, replicas = 2): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: main
          image: ${image}
          resources:
            requests: {cpu: "0.25", memory: 64Mi}
`;
}

export interface AppSpec {
  name: string;
  repoURL: string;
  path: string;
  namespace: string;
  targetRevision?: string;
  automated?: { prune?: boolean; selfHeal?: boolean } | false;
  extraSource?: string;
}

export function applicationYaml(a: AppSpec): string {
  const automated = a.automated === false || a.automated === undefined ? '' :
    `  syncPolicy:\n    automated:\n      prune: ${!!a.automated.prune}\n      selfHeal: ${!!a.automated.selfHeal}\n    syncOptions: [CreateNamespace=true]\n`;
  return `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${a.name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: ${a.repoURL}
    path: ${a.path}
    targetRevision: ${a.targetRevision ?? 'HEAD'}
${a.extraSource ?? ''}  destination:
    server: https://kubernetes.default.svc
    namespace: ${a.namespace}
${automated}`;
}

export function kubectlOk(sb: Sandbox, args: string[], input?: string): string {
  const r = sb.kubectl(args, { input });
  assert.equal(r.status, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export function applyApp(sb: Sandbox, a: AppSpec): void {
  kubectlOk(sb, ['apply', '--server-side', '-f', '-'], applicationYaml(a));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export function getJson(sb: Sandbox, args: string[]): Json | undefined {
  const r = sb.kubectl([...args, '-o', 'json']);
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout);
}

export function getApp(sb: Sandbox, name: string): Json {
  return getJson(sb, ['get', 'applications.argoproj.io', name, '-n', 'argocd']) ?? {};
}

/** Poll until check returns a truthy value; fail with the last seen state after timeoutMs. */
export async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 30_000, describe?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}${describe ? `\nlast state: ${describe()}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function appSummary(app: Json): string {
  const s = app?.status ?? {};
  return JSON.stringify({ sync: s.sync?.status, rev: s.sync?.revision, health: s.health?.status, op: s.operationState?.phase, opRev: s.operationState?.syncResult?.revision, msg: s.operationState?.message, conditions: s.conditions, resources: s.resources, operation: app?.operation, annotations: app?.metadata?.annotations });
}

export async function waitSyncedAt(sb: Sandbox, name: string, sha: string, timeoutMs = 30_000): Promise<Json> {
  let last: Json;
  return waitFor(`app ${name} Synced at ${sha.slice(0, 7)}`, () => {
    last = getApp(sb, name);
    const s = last.status ?? {};
    return s.sync?.status === 'Synced' && s.sync.revision === sha && s.operationState?.phase === 'Succeeded' ? last : undefined;
  }, timeoutMs, () => appSummary(last));
}

/** A Flux GitRepository on a local bare repo plus a Kustomization of `sourcePath` in it, both named `name`. */
export const fluxYaml = (name: string, remote: string, prune: boolean, sourcePath = './deploy') => `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: ${name}
  namespace: flux-system
spec:
  interval: 10m
  url: file://${remote}
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ${name}
  namespace: flux-system
spec:
  interval: 10m
  path: ${sourcePath}
  prune: ${prune}
  targetNamespace: ${name}
  sourceRef:
    kind: GitRepository
    name: ${name}
`;
