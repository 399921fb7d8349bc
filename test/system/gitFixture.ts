// The manifest repository the git workflow tests work on: a plain-manifest app (web), a Kustomize
// overlay over a base (api), a Helm chart (podinfo); optionally their Argo CD Applications. A bare
// "remote" and a working clone with an upstream, in a temp dir.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { argoApplication, MANIFESTS } from '../support/gitManifests.mjs';

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
}

export const FILES: Record<string, string> = {
  ...MANIFESTS,
  'charts/podinfo/Chart.yaml': 'apiVersion: v2\nname: podinfo\nversion: 0.1.0\n',
  'charts/podinfo/values.yaml': `# podinfo defaults
replicaCount: 1
image:
  repository: ghcr.io/stefanprodan/podinfo
  tag: 6.5.0 # upstream
`,
  'charts/podinfo/templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector: {matchLabels: {app: podinfo}}
  template:
    metadata: {labels: {app: podinfo}}
    spec:
      containers:
        - name: podinfo
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
`,
};

/** Argo CD Applications for the three apps, pulling from `remote`. */
export function argoApplications(remote: string): Record<string, string> {
  return {
    'argocd/web.yaml': argoApplication('web', remote, 'apps/web'),
    'argocd/api.yaml': argoApplication('api', remote, 'apps/api/overlays/prod'),
    'argocd/podinfo.yaml': argoApplication('podinfo', remote, 'charts/podinfo'),
  };
}

/** A fresh clone (branch main tracking origin/main) of a fresh bare remote holding FILES (+ extra). */
export function newRepo(dir: string, extra: (remote: string) => Record<string, string> = () => ({})): { work: string; remote: string } {
  const remote = path.join(dir, 'remote.git');
  const work = path.join(dir, 'work');
  fs.mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '--bare', '-b', 'main', remote);
  git(dir, 'clone', '-q', remote, work);
  git(work, 'config', 'user.name', 'Author');
  git(work, 'config', 'user.email', 'author@example.com');
  git(work, 'checkout', '-q', '-b', 'main');
  for (const [f, text] of Object.entries({ ...FILES, ...extra(remote) })) {
    fs.mkdirSync(path.dirname(path.join(work, f)), { recursive: true });
    fs.writeFileSync(path.join(work, f), text);
  }
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'initial manifests');
  git(work, 'push', '-q', '-u', 'origin', 'main');
  return { work, remote };
}

/** The author's own work in progress: a staged new file, a staged edit, an unstaged edit on top. */
export function authorWork(work: string): void {
  fs.writeFileSync(path.join(work, 'NOTES.md'), 'staged, not for the bump\n');
  fs.appendFileSync(path.join(work, 'README.md'), 'staged edit\n');
  git(work, 'add', 'NOTES.md', 'README.md');
  fs.appendFileSync(path.join(work, 'README.md'), 'unstaged edit on top\n');
}

/** Returns problems (empty when the author's work is exactly as authorWork left it). */
export function authorWorkProblems(work: string): string[] {
  const problems: string[] = [];
  const status = git(work, 'status', '--porcelain');
  if (!/^A  NOTES\.md$/m.test(status)) problems.push(`NOTES.md not staged:\n${status}`);
  if (!/^MM README\.md$/m.test(status)) problems.push(`README.md not staged+unstaged:\n${status}`);
  if (fs.readFileSync(path.join(work, 'README.md'), 'utf8') !== 'manifests\nstaged edit\nunstaged edit on top\n') problems.push('README.md working copy changed');
  if (git(work, 'show', ':README.md') !== 'manifests\nstaged edit\n') problems.push('README.md staged copy changed');
  if (git(work, 'show', 'HEAD:README.md') !== 'manifests\n') problems.push('README.md committed');
  try { git(work, 'cat-file', '-e', 'HEAD:NOTES.md'); problems.push('NOTES.md committed'); } catch { /* not committed: right */ }
  return problems;
}

/** Problems with a commit that should change exactly one line of one file, only the tag on it. */
export function oneLineTagDiffProblems(work: string, commit: string, file: string, oldTag: string, newTag: string): string[] {
  const numstat = git(work, 'show', '--numstat', '--format=', commit).trim();
  if (numstat !== `1\t1\t${file}`) return [`numstat: ${numstat}`];
  const diff = git(work, 'show', '--format=', '-U0', commit);
  const minus = diff.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---'));
  const plus = diff.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
  if (minus.length !== 1 || plus.length !== 1) return [`diff:\n${diff}`];
  return plus[0].slice(1) === minus[0].slice(1).replace(oldTag, newTag) ? [] : [`not only the tag:\n${diff}`];
}
