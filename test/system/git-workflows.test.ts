// Git workflows against real git repositories with a bare remote in temp dirs (no cluster needed):
// tag bumps through a plain manifest, Kustomize images: and Helm values change exactly one line;
// the author's other staged/unstaged work survives bump, revert and a push that has to be replayed.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bumpImage, BumpError } from '../../src/core/git/bump';
import { revertCommits, rollbackPaths, RevertConflictError } from '../../src/core/git/revert';
import { pushCurrentBranch, PushError } from '../../src/core/git/push';
import { repoFingerprint, LocalChangesError, historyOf } from '../../src/core/git/repo';
import { helmPath, kubectlPath, projectRoot } from '../support/tools';
import { FILES, git, newRepo as makeRepo, authorWork, authorWorkProblems, oneLineTagDiffProblems } from './gitFixture';

const tools = { helmPath: helmPath(), kubectlPath: kubectlPath(), trusted: true };

let tmp: string;
let counter = 0;
const newRepo = () => makeRepo(path.join(tmp, `r${++counter}`));

function assertAuthorWorkIntact(work: string): void {
  assert.deepEqual(authorWorkProblems(work), []);
}

function assertOneLineTagDiff(work: string, commit: string, file: string, oldTag: string, newTag: string): void {
  assert.deepEqual(oneLineTagDiffProblems(work, commit, file, oldTag, newTag), []);
}

before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-git-')); });
after(() => { fs.rmSync(tmp, { recursive: true, force: true }); });

describe('bump', () => {
  test('plain manifest: trailing comment kept, one-line commit, author work untouched', async () => {
    const { work } = newRepo();
    authorWork(work);
    const before = git(work, 'rev-parse', 'HEAD').trim();
    const r = await bumpImage({ path: work, image: 'ghcr.io/acme/web', tag: '1.1.0', tools });
    assert.equal(r.app, 'web');
    assert.equal(r.message, 'chore(web): bump ghcr.io/acme/web 1.0.0 -> 1.1.0');
    assert.deepEqual(r.rolls, [{ workload: 'Deployment/default/web', container: 'web', from: 'ghcr.io/acme/web:1.0.0', to: 'ghcr.io/acme/web:1.1.0' }]);
    assert.equal(git(work, 'rev-parse', 'HEAD~1').trim(), before);
    assert.equal(git(work, 'log', '-1', '--format=%s').trim(), r.message);
    assertOneLineTagDiff(work, 'HEAD', 'apps/web/deployment.yaml', '1.0.0', '1.1.0');
    assert.match(fs.readFileSync(path.join(work, 'apps/web/deployment.yaml'), 'utf8'), /image: ghcr\.io\/acme\/web:1\.1\.0 # pinned by release\n/);
    assert.doesNotMatch(git(work, 'status', '--porcelain'), /deployment\.yaml/, 'the edited file is committed and clean');
    assertAuthorWorkIntact(work);
  });

  test('kustomize images: override the base: the overlay is edited, the base is not, and says why', async () => {
    const { work } = newRepo();
    const r = await bumpImage({ path: work, image: 'ghcr.io/acme/api', tag: '2.2.0', tools });
    assert.equal(r.app, 'prod');
    assert.equal(r.edited.length, 1);
    assert.equal(path.relative(work, r.edited[0].file), 'apps/api/overlays/prod/kustomization.yaml');
    assert.equal(r.edited[0].kind, 'kustomize-images');
    assert.match(r.reason, /kustomize images: .* override the tag written in the base manifests/);
    assert.ok(r.notEdited.some((n) => path.relative(work, n.file) === 'apps/api/base/deployment.yaml' && /overridden/.test(n.why)), JSON.stringify(r.notEdited));
    assert.equal(r.oldTag, '2.1.0');
    assert.deepEqual(r.rolls.map((x) => `${x.workload} ${x.from} -> ${x.to}`), ['Deployment/default/api ghcr.io/acme/api:2.1.0 -> ghcr.io/acme/api:2.2.0']);
    assertOneLineTagDiff(work, 'HEAD', 'apps/api/overlays/prod/kustomization.yaml', '2.1.0', '2.2.0');
    assert.match(fs.readFileSync(path.join(work, 'apps/api/overlays/prod/kustomization.yaml'), 'utf8'), /newTag: "2\.2\.0"   # release train\n/);
  });

  test('helm values: image.tag in values.yaml, comment kept', async () => {
    const { work } = newRepo();
    const r = await bumpImage({ path: work, image: 'ghcr.io/stefanprodan/podinfo', tag: '6.6.0', tools });
    assert.equal(r.app, 'podinfo');
    assert.equal(r.edited[0].valuesKey, 'image.tag');
    assert.deepEqual(r.rolls.map((x) => x.to), ['ghcr.io/stefanprodan/podinfo:6.6.0']);
    assertOneLineTagDiff(work, 'HEAD', 'charts/podinfo/values.yaml', '6.5.0', '6.6.0');
    assert.match(fs.readFileSync(path.join(work, 'charts/podinfo/values.yaml'), 'utf8'), /  tag: 6\.6\.0 # upstream\n/);
  });

  test('one image in two containers of one file: both tags bumped (offsets follow the first edit), one commit', async () => {
    const { work } = newRepo();
    const file = path.join(work, 'apps/web/deployment.yaml');
    fs.writeFileSync(file, FILES['apps/web/deployment.yaml'].replace('      containers:\n', '      initContainers:\n        - name: migrate\n          image: ghcr.io/acme/web:1.0.0\n      containers:\n'));
    git(work, 'commit', '-q', '-am', 'add a migration init container');
    const r = await bumpImage({ path: work, image: 'ghcr.io/acme/web', tag: '1.10.0', tools, app: 'web' });
    assert.equal(r.edited.length, 2, JSON.stringify(r));
    assert.equal(r.rolls.length, 2);
    assert.equal(git(work, 'show', '--numstat', '--format=', 'HEAD').trim(), '2\t2\tapps/web/deployment.yaml');
    const text = fs.readFileSync(file, 'utf8');
    assert.match(text, /image: ghcr\.io\/acme\/web:1\.10\.0\n      containers:/);
    assert.match(text, /image: ghcr\.io\/acme\/web:1\.10\.0 # pinned by release\n/);
  });

  test('an image deployed by two apps: --app is required, and picks whose declaration is edited', async () => {
    const { work } = newRepo();
    fs.mkdirSync(path.join(work, 'apps/web2'));
    fs.writeFileSync(path.join(work, 'apps/web2/deployment.yaml'), FILES['apps/web/deployment.yaml'].replace('name: web\n', 'name: web2\n'));
    git(work, 'add', 'apps/web2');
    git(work, 'commit', '-q', '-m', 'second web');
    await assert.rejects(bumpImage({ path: work, image: 'ghcr.io/acme/web', tag: '1.1.0', tools }), /deployed by 2 apps \(web, web2\): choose one with --app/);
    const r = await bumpImage({ path: work, image: 'ghcr.io/acme/web', tag: '1.1.0', tools, app: 'web2' });
    assert.equal(r.message, 'chore(web2): bump ghcr.io/acme/web 1.0.0 -> 1.1.0');
    assert.equal(git(work, 'show', '--numstat', '--format=', 'HEAD').trim(), '1\t1\tapps/web2/deployment.yaml');
    await assert.rejects(bumpImage({ path: work, image: 'ghcr.io/acme/web', tag: '1.1.0', tools, app: 'nope' }), /no app named nope/);
  });

  test('Argo CD helm.parameters override values files; HelmRelease spec.values override the chart: the override is edited', async () => {
    const { work } = newRepo();
    fs.mkdirSync(path.join(work, 'deploy'));
    fs.writeFileSync(path.join(work, 'deploy/podinfo-argo.yaml'), `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: podinfo-argo
  namespace: argocd
spec:
  source:
    repoURL: https://example.com/repo.git
    path: charts/podinfo
    helm:
      valueFiles: [values.yaml]
      parameters:
        - name: image.tag
          value: "6.5.1" # pinned for prod
  destination: {namespace: podinfo-argo}
`);
    fs.writeFileSync(path.join(work, 'deploy/podinfo-flux.yaml'), `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo-flux
  namespace: flux-system
spec:
  interval: 5m
  chart:
    spec:
      chart: ./charts/podinfo
      sourceRef: {kind: GitRepository, name: flux-system}
  values:
    image:
      tag: 6.5.2   # flux pin
`);
    git(work, 'add', 'deploy');
    git(work, 'commit', '-q', '-m', 'two release definitions of the chart');
    const argo = await bumpImage({ path: work, image: 'ghcr.io/stefanprodan/podinfo', tag: '6.7.0', tools, app: 'podinfo-argo' });
    assert.equal(argo.edited[0].kind, 'argocd-helm-parameter', JSON.stringify(argo));
    assert.match(argo.reason, /helm\.parameters image\.tag override every values file/);
    assert.ok(argo.notEdited.some((n) => n.file.endsWith('charts/podinfo/values.yaml')));
    assert.equal(argo.oldTag, '6.5.1');
    assert.deepEqual(oneLineTagDiffProblems(work, 'HEAD', 'deploy/podinfo-argo.yaml', '6.5.1', '6.7.0'), []);
    const flux = await bumpImage({ path: work, image: 'ghcr.io/stefanprodan/podinfo', tag: '6.7.0', tools, app: 'podinfo-flux' });
    assert.equal(flux.edited[0].kind, 'helm-values');
    assert.match(flux.reason, /HelmRelease\/podinfo-flux inline values set image\.tag/);
    assert.deepEqual(oneLineTagDiffProblems(work, 'HEAD', 'deploy/podinfo-flux.yaml', '6.5.2', '6.7.0'), []);
    assert.match(fs.readFileSync(path.join(work, 'deploy/podinfo-flux.yaml'), 'utf8'), /      tag: 6\.7\.0   # flux pin\n/);
  });

  test('dry run commits nothing and writes nothing; invalid tags and unknown images are refused', async () => {
    const { work } = newRepo();
    authorWork(work);
    const fp = await repoFingerprint(work);
    const r = await bumpImage({ path: work, image: 'ghcr.io/acme/web', tag: '9.9.9', tools, app: 'web', dryRun: true });
    assert.equal(r.commit, undefined);
    assert.match(r.diff, /^-\s+image: ghcr\.io\/acme\/web:1\.0\.0 # pinned by release$/m);
    assert.match(r.diff, /^\+\s+image: ghcr\.io\/acme\/web:9\.9\.9 # pinned by release$/m);
    assert.deepEqual(await repoFingerprint(work), fp);
    await assert.rejects(bumpImage({ path: work, image: 'ghcr.io/acme/web', tag: '-bad', tools }), /not a valid image tag/);
    await assert.rejects(bumpImage({ path: work, image: 'ghcr.io/acme/nope', tag: '1.0', tools }), (e: Error) => e instanceof BumpError && /renders image ghcr\.io\/acme\/nope/.test(e.message));
    await assert.rejects(bumpImage({ path: work, image: 'ghcr.io/acme/web', tag: '1.0.0', tools, app: 'web' }), /already renders/);
    assert.deepEqual(await repoFingerprint(work), fp);
  });

  test('the file to edit has local changes: refused, nothing changed', async () => {
    const { work } = newRepo();
    fs.appendFileSync(path.join(work, 'apps/web/deployment.yaml'), '# my local note\n');
    const fp = await repoFingerprint(work);
    await assert.rejects(bumpImage({ path: work, image: 'ghcr.io/acme/web', tag: '1.2.0', tools, app: 'web' }),
      (e: Error) => /uncommitted changes to apps\/web\/deployment\.yaml/.test(e.message));
    assert.deepEqual(await repoFingerprint(work), fp);
  });
});

describe('revert', () => {
  test('revert of the last bump: a real revert commit, staged work stays staged', async () => {
    const { work } = newRepo();
    const bump = await bumpImage({ path: work, image: 'ghcr.io/acme/web', tag: '1.1.0', tools, app: 'web' });
    authorWork(work);
    const r = await revertCommits(work, [bump.commit!]);
    assert.equal(r.commits.length, 1);
    assert.equal(git(work, 'log', '-1', '--format=%s').trim(), `Revert "${bump.message}"`);
    assert.match(git(work, 'log', '-1', '--format=%b'), new RegExp(`This reverts commit ${bump.commit}`));
    assertOneLineTagDiff(work, 'HEAD', 'apps/web/deployment.yaml', '1.1.0', '1.0.0');
    assert.equal(fs.readFileSync(path.join(work, 'apps/web/deployment.yaml'), 'utf8'), FILES['apps/web/deployment.yaml']);
    assertAuthorWorkIntact(work);
    assert.ok(!fs.existsSync(path.join(work, '.git/REVERT_HEAD')));
  });

  test('a conflicting revert changes nothing: HEAD, index, working tree, no REVERT_HEAD', async () => {
    const { work } = newRepo();
    const first = await bumpImage({ path: work, image: 'ghcr.io/acme/web', tag: '1.1.0', tools, app: 'web' });
    await bumpImage({ path: work, image: 'ghcr.io/acme/web', tag: '1.2.0', tools, app: 'web' });
    authorWork(work);
    const fp = await repoFingerprint(work);
    const indexHash = execFileSync('sha256sum', [path.join(work, '.git/index')], { encoding: 'utf8' }).split(' ')[0];
    await assert.rejects(revertCommits(work, [first.commit!]), (e: Error) => e instanceof RevertConflictError
      && /conflicts with later changes to apps\/web\/deployment\.yaml/.test(e.message) && /nothing was changed/.test(e.message));
    assert.deepEqual(await repoFingerprint(work), fp);
    assert.equal(execFileSync('sha256sum', [path.join(work, '.git/index')], { encoding: 'utf8' }).split(' ')[0], indexHash, 'index file byte-identical');
    assert.ok(!fs.existsSync(path.join(work, '.git/REVERT_HEAD')));
    assert.doesNotMatch(fs.readFileSync(path.join(work, 'apps/web/deployment.yaml'), 'utf8'), /<<<<<<<|>>>>>>>/);
    assert.equal(git(work, 'worktree', 'list').trim().split('\n').length, 1, 'temporary worktree removed');
    assertAuthorWorkIntact(work);
  });

  test('rollback of an app to an older revision reverts the later commits on its paths only', async () => {
    const { work } = newRepo();
    const base = git(work, 'rev-parse', 'HEAD').trim();
    await bumpImage({ path: work, image: 'ghcr.io/acme/web', tag: '1.1.0', tools, app: 'web' });
    await bumpImage({ path: work, image: 'ghcr.io/acme/api', tag: '2.2.0', tools, app: 'prod' });
    await bumpImage({ path: work, image: 'ghcr.io/acme/web', tag: '1.2.0', tools, app: 'web' });
    const r = await rollbackPaths(work, base, ['apps/web']);
    assert.equal(r.commits.length, 2);
    assert.equal(fs.readFileSync(path.join(work, 'apps/web/deployment.yaml'), 'utf8'), FILES['apps/web/deployment.yaml']);
    assert.match(fs.readFileSync(path.join(work, 'apps/api/overlays/prod/kustomization.yaml'), 'utf8'), /2\.2\.0/, 'other app untouched');
    const subjects = (await historyOf(work, [], { max: 2 })).map((c) => c.subject);
    assert.deepEqual(subjects, ['Revert "chore(web): bump ghcr.io/acme/web 1.0.0 -> 1.1.0"', 'Revert "chore(web): bump ghcr.io/acme/web 1.1.0 -> 1.2.0"']);
  });
});

/** Someone else pushes first: a second clone of `remote` commits `file` and pushes. */
function pushFromAnotherClone(work: string, remote: string, file: string, content: string, message: string): void {
  const other = path.join(path.dirname(work), 'other');
  git(path.dirname(work), 'clone', '-q', remote, other);
  git(other, 'config', 'user.name', 'Other');
  git(other, 'config', 'user.email', 'other@example.com');
  fs.writeFileSync(path.join(other, file), content);
  git(other, 'commit', '-q', '-am', message);
  git(other, 'push', '-q');
}

describe('push', () => {
  test('rejected because someone pushed first: replayed onto theirs, both commits on the remote, staged work intact', async () => {
    const { work, remote } = newRepo();
    pushFromAnotherClone(work, remote, 'charts/podinfo/values.yaml', FILES['charts/podinfo/values.yaml'].replace('replicaCount: 1', 'replicaCount: 2'), 'scale podinfo');
    const bump = await bumpImage({ path: work, image: 'ghcr.io/acme/web', tag: '1.1.0', tools, app: 'web' });
    authorWork(work);
    const steps: string[] = [];
    const r = await pushCurrentBranch(work, (s) => steps.push(s));
    assert.equal(r.rebased, true);
    assert.ok(steps.some((s) => /moved: fetching and replaying/.test(s)), steps.join('\n'));
    const remoteLog = git(remote, 'log', '--format=%s', 'main').trim().split('\n');
    assert.deepEqual(remoteLog, [bump.message, 'scale podinfo', 'initial manifests']);
    assert.equal(git(work, 'rev-parse', 'HEAD').trim(), git(remote, 'rev-parse', 'main').trim());
    assert.match(fs.readFileSync(path.join(work, 'charts/podinfo/values.yaml'), 'utf8'), /replicaCount: 2/, 'their change reached the working tree');
    assertAuthorWorkIntact(work);
  });

  test('a conflicting remote change: clear error, local commit kept, nothing else changed, never forced', async () => {
    const { work, remote } = newRepo();
    pushFromAnotherClone(work, remote, 'apps/web/deployment.yaml', FILES['apps/web/deployment.yaml'].replace('1.0.0', '1.0.1'), 'hotfix web');
    const theirs = git(remote, 'rev-parse', 'main').trim();
    const bump = await bumpImage({ path: work, image: 'ghcr.io/acme/web', tag: '1.1.0', tools, app: 'web' });
    const fp = await repoFingerprint(work);
    await assert.rejects(pushCurrentBranch(work), (e: Error) => e instanceof PushError && /conflict with yours in apps\/web\/deployment\.yaml/.test(e.message) && /is kept/.test(e.message));
    assert.deepEqual(await repoFingerprint(work), fp);
    assert.equal(git(work, 'rev-parse', 'HEAD').trim(), bump.commit);
    assert.equal(git(remote, 'rev-parse', 'main').trim(), theirs, 'remote untouched');
  });

  test('no upstream / detached HEAD: clear messages, commit kept', async () => {
    const { work } = newRepo();
    git(work, 'checkout', '-q', '-b', 'topic');
    await assert.rejects(pushCurrentBranch(work), /branch topic has no upstream: run `git push -u <remote> topic`/);
    git(work, 'checkout', '-q', '--detach');
    const r = await bumpImage({ path: work, image: 'ghcr.io/acme/web', tag: '1.1.0', tools, app: 'web' });
    assert.equal(git(work, 'rev-parse', 'HEAD').trim(), r.commit, 'a bump on a detached HEAD moves HEAD');
    await assert.rejects(pushCurrentBranch(work), new RegExp(`HEAD is detached.*${r.commit!.slice(0, 7)} is kept`));
  });
});

describe('CLI', () => {
  const cli = (cwd: string, ...args: string[]) => spawnSync(process.execPath, ['--import', pathToFileURL(path.join(projectRoot, 'node_modules/tsx/dist/loader.mjs')).href, path.join(projectRoot, 'src/cli.ts'), ...args],
    { cwd, encoding: 'utf8', env: { ...process.env, GITOPS_TEST_NO_COLOR: '1' }, timeout: 120_000 });

  test('images --output json lists file, line, image, tag, kind and the workloads each feeds', () => {
    const { work } = newRepo();
    const r = cli(work, 'images', '--output', 'json', '--helm-path', tools.helmPath, '--kubectl-path', tools.kubectlPath);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { declarations: { file: string; line: number; image: string; tag: string; kind: string; feeds: string[] }[] };
    const find = (file: string) => out.declarations.find((d) => d.file === file)!;
    assert.deepEqual({ ...find('apps/web/deployment.yaml') }, { ...find('apps/web/deployment.yaml'), line: 13, image: 'ghcr.io/acme/web', tag: '1.0.0', kind: 'container', feeds: ['web: Deployment/default/web[web]'] });
    assert.deepEqual(find('apps/api/overlays/prod/kustomization.yaml').feeds, ['prod: Deployment/default/api[api]']);
    assert.equal(find('apps/api/overlays/prod/kustomization.yaml').line, 6);
    assert.deepEqual(find('apps/api/base/deployment.yaml').feeds, [], 'overridden by the overlay');
    assert.equal(find('charts/podinfo/values.yaml').kind, 'helm-values');
    assert.deepEqual(find('charts/podinfo/values.yaml').feeds, ['podinfo: Deployment/default/podinfo[podinfo]']);
  });

  test('bump prints what will roll and commits; a bad tag exits 2', () => {
    const { work } = newRepo();
    const r = cli(work, 'bump', 'ghcr.io/acme/api', '2.3.0', '--kubectl-path', tools.kubectlPath);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /will roll:\n  Deployment\/default\/api \[api\]: ghcr\.io\/acme\/api:2\.1\.0 -> ghcr\.io\/acme\/api:2\.3\.0/);
    assert.match(r.stdout, /committed [0-9a-f]{7} chore\(prod\): bump ghcr\.io\/acme\/api 2\.1\.0 -> 2\.3\.0/);
    const bad = cli(work, 'bump', 'ghcr.io/acme/api', 'no/slash');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /not a valid image tag/);
  });
});
