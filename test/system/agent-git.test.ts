// The agent's Git side and pure logic, with real git repositories in temp dirs (no sandbox needed):
// revision resolution (HEAD, branch, tag, short/full sha, bare and non-bare, file:// URLs), fetch of
// new commits, tree export; plus drift comparison, health and status patch helpers.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import { RepoCache, localRepoPath } from '../../src/core/sandbox/agent/git';
import { driftPaths, quantityValue } from '../../src/core/sandbox/agent/compare';
import { resourceHealth, worseHealth } from '../../src/core/sandbox/agent/health';
import { mergePatchFrom, trackingId, applyOrder } from '../../src/core/sandbox/agent/argo';
import type { KubeObject } from '../../src/core/model';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-agent-git-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' };
const g = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim();

function makeRepo(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  g(dir, 'init', '-q', '-b', 'main');
  fs.mkdirSync(path.join(dir, 'app'));
  fs.writeFileSync(path.join(dir, 'app/cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n');
  g(dir, 'add', '-A');
  g(dir, 'commit', '-q', '-m', 'one');
  return dir;
}

describe('agent git', () => {
  test('resolves HEAD, branch, tag and shas; follows new commits; exports trees', async () => {
    const work = makeRepo('work');
    const first = g(work, 'rev-parse', 'HEAD');
    g(work, 'tag', 'v1');
    g(work, 'checkout', '-q', '-b', 'feature');
    fs.writeFileSync(path.join(work, 'app/cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: two\n');
    g(work, 'commit', '-q', '-am', 'two');
    const featureSha = g(work, 'rev-parse', 'HEAD');
    g(work, 'checkout', '-q', 'main');

    const repos = new RepoCache(path.join(tmp, 'cache'));
    assert.equal(await repos.resolve(work, 'HEAD', 0), first);
    assert.equal(await repos.resolve(work, '', 0), first);
    assert.equal(await repos.resolve(work, 'main', 0), first);
    assert.equal(await repos.resolve(work, 'v1', 0), first);
    assert.equal(await repos.resolve(work, 'feature', 0), featureSha);
    assert.equal(await repos.resolve(work, featureSha.slice(0, 8), 0), featureSha);
    assert.equal(await repos.resolve(pathToFileURL(work).href, featureSha, 0), featureSha);
    await assert.rejects(repos.resolve(work, 'nope', 0), /unable to resolve 'nope'/);

    // A new commit on main is seen after a fetch (maxAge 0), not before the cache expires.
    fs.writeFileSync(path.join(work, 'app/cm2.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: three\n');
    g(work, 'add', '-A');
    g(work, 'commit', '-q', '-m', 'three');
    const third = g(work, 'rev-parse', 'HEAD');
    assert.equal(await repos.resolve(work, 'HEAD', 60_000), first, 'cached within maxAge');
    assert.equal(await repos.resolve(work, 'HEAD', 0), third);

    const out = path.join(tmp, 'export');
    await repos.export(work, featureSha, out);
    assert.match(fs.readFileSync(path.join(out, 'app/cm.yaml'), 'utf8'), /name: two/);
    assert.equal(fs.existsSync(path.join(out, 'app/cm2.yaml')), false);
  });

  test('bare remotes and a moved default branch', async () => {
    const work = makeRepo('work2');
    const bare = path.join(tmp, 'remote.git');
    g(tmp, 'clone', '-q', '--bare', work, bare);
    const repos = new RepoCache(path.join(tmp, 'cache2'));
    assert.equal(await repos.resolve(bare, 'HEAD', 0), g(work, 'rev-parse', 'HEAD'));
    g(work, 'checkout', '-q', '-b', 'release');
    g(work, 'commit', '-q', '--allow-empty', '-m', 'release');
    g(work, 'push', '-q', bare, 'release');
    g(bare, 'symbolic-ref', 'HEAD', 'refs/heads/release');
    assert.equal(await repos.resolve(bare, 'HEAD', 0), g(work, 'rev-parse', 'HEAD'));
  });

  test('refuses remote URLs with a clear message', () => {
    assert.throws(() => localRepoPath('https://github.com/acme/x.git'), /only local paths and file:\/\/ URLs/);
    assert.throws(() => localRepoPath('git@github.com:acme/x.git'), /only local paths/);
    assert.equal(localRepoPath('file:///srv/repo.git'), '/srv/repo.git');
  });
});

const deploy = (extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'demo', labels: { app: 'web' } },
  spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'nginx:1', resources: { requests: { cpu: '0.5', memory: '1Gi' } } }] } } },
  ...extra,
});

describe('agent compare/health/status helpers', () => {
  test('subset comparison: server defaults and live-only fields are not drift; changes are', () => {
    const live = structuredClone(deploy()) as KubeObject & { spec: any };
    live.metadata.uid = 'x';
    live.metadata.labels!.extra = 'by-someone';
    live.spec.revisionHistoryLimit = 10;
    live.spec.template.spec.containers[0].imagePullPolicy = 'IfNotPresent';
    live.spec.template.spec.containers[0].resources.requests = { cpu: '500m', memory: '1024Mi' };
    live.spec.template.spec.containers.push({ name: 'sidecar', image: 'envoy' });
    live.status = { replicas: 2 };
    assert.deepEqual(driftPaths(deploy(), live), []);
    live.spec.replicas = 3;
    live.spec.template.spec.containers[0].image = 'nginx:2';
    assert.deepEqual(driftPaths(deploy(), live), ['/spec/replicas', '/spec/template/spec/containers/0/image']);
  });

  test('Secret stringData compares against data', () => {
    const desired: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { password: 'hunter2' } };
    const live: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { password: Buffer.from('hunter2').toString('base64') }, type: 'Opaque' };
    assert.deepEqual(driftPaths(desired, live), []);
    (live.data as Record<string, string>).password = 'eA==';
    assert.deepEqual(driftPaths(desired, live), ['/data/password']);
  });

  test('quantities', () => {
    assert.equal(quantityValue('500m'), 0.5);
    assert.equal(quantityValue('1Gi'), 1024 ** 3);
    assert.equal(quantityValue('1e3'), 1000);
    assert.equal(quantityValue('abc'), undefined);
  });

  test('deployment health follows observedGeneration and replica counts', () => {
    const d = deploy({ status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 } });
    d.metadata.generation = 1;
    assert.equal(resourceHealth(d)?.status, 'Healthy');
    d.metadata.generation = 2;
    assert.equal(resourceHealth(d)?.status, 'Progressing');
    d.metadata.generation = 1;
    (d.status as Record<string, number>).availableReplicas = 1;
    assert.match(resourceHealth(d)!.message!, /1 of 2 updated replicas are available/);
    (d.status as Record<string, unknown>).conditions = [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }];
    assert.equal(resourceHealth(d)?.status, 'Degraded');
    assert.equal(resourceHealth({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }), undefined);
    assert.equal(worseHealth('Progressing', 'Missing'), 'Missing');
    assert.equal(worseHealth('Degraded', 'Healthy'), 'Degraded');
  });

  test('merge patch builder, tracking id, apply order', () => {
    assert.equal(mergePatchFrom({ a: 1, b: { c: 2 } }, { a: 1, b: { c: 2 } }), undefined);
    assert.deepEqual(mergePatchFrom({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { a: 1, b: { c: 4 }, e: [1, 2] }), { b: { c: 4, d: null }, e: [1, 2] });
    assert.equal(trackingId('web', deploy()), 'web:apps/Deployment:demo/web');
    assert.equal(trackingId('web', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } }), 'web:/Namespace:/demo');
    const objs = [deploy(), { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a' } }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'z' } }] as KubeObject[];
    assert.deepEqual(objs.sort(applyOrder).map((o) => o.kind), ['ConfigMap', 'Service', 'Deployment']);
  });
});
