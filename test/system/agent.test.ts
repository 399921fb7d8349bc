// The pull agent against the real sandbox (HTTPS API server + agent, started by the built CLI), with
// real git repositories and real kubectl: an Application goes Synced/Healthy at HEAD, follows new
// commits, self-heals drift, prunes, reports a render failure without dying, and keeps working after
// its watch fails.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startSandbox, type Sandbox } from '../support/sandbox';
import { helmPath } from '../support/tools';
import {
  applyApp, appSummary, configMap, deployment, getApp, getJson, kubectlOk, makeRepo, tempRoot, waitFor, waitSyncedAt, type Json,
} from './agentHelpers';

describe('pull agent (poll 1 s)', () => {
  let sb: Sandbox;
  const root = tempRoot('gw-agent-');

  before(async () => {
    sb = await startSandbox({ agent: true, extraArgs: ['--poll', '1'], env: { GITOPS_WORKBENCH_HELM: helmPath() } });
  });
  after(async () => {
    await sb?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('an Application goes Synced/Healthy at the repo HEAD, then follows a new commit', async () => {
    const repo = makeRepo(root, 'plain', {
      'app/deploy.yaml': deployment('hello', 'nginx:1.25.0'),
      'app/cm.yaml': configMap('hello-config', { greeting: 'hi' }),
    });
    const t0 = Date.now();
    applyApp(sb, { name: 'plain', repoURL: repo.remote, path: 'app', namespace: 'plain', automated: { prune: true } });
    const app = await waitSyncedAt(sb, 'plain', repo.head());
    const synced = Date.now() - t0;
    const healthy = await waitFor('Healthy', () => getApp(sb, 'plain').status?.health?.status === 'Healthy' && Date.now() - t0, 30_000);
    console.log(`# time to Synced ${synced} ms, to Healthy ${healthy} ms`);

    const s = app.status;
    assert.equal(s.history.length, 1);
    assert.equal(s.history[0].revision, repo.head());
    assert.equal(s.operationState.syncResult.revision, repo.head());
    assert.ok(s.operationState.startedAt && s.operationState.finishedAt && s.reconciledAt);
    assert.equal(s.sourceType, 'Directory');
    assert.deepEqual(s.resources.map((r: Json) => `${r.group}/${r.kind}/${r.namespace}/${r.name}:${r.status}`).sort(),
      ['/ConfigMap/plain/hello-config:Synced', 'apps/Deployment/plain/hello:Synced']);

    // Applied like Argo CD: server-side apply by argocd-controller, tracking annotation.
    const live = getJson(sb, ['get', 'deploy', 'hello', '-n', 'plain', '--show-managed-fields']);
    assert.equal(live.metadata.annotations['argocd.argoproj.io/tracking-id'], 'plain:apps/Deployment:plain/hello');
    assert.ok(live.metadata.managedFields.some((m: Json) => m.manager === 'argocd-controller' && m.operation === 'Apply'));

    // A new commit is pulled on the next poll and applied.
    const second = repo.commit({ 'app/deploy.yaml': deployment('hello', 'nginx:1.26.0') }, 'bump nginx');
    const t1 = Date.now();
    const next = await waitSyncedAt(sb, 'plain', second);
    console.log(`# new commit live after ${Date.now() - t1} ms`);
    assert.equal(next.status.history.length, 2);
    assert.equal(getJson(sb, ['get', 'deploy', 'hello', '-n', 'plain']).spec.template.spec.containers[0].image, 'nginx:1.26.0');
  });

  test('selfHeal re-applies drift made by kubectl; without selfHeal drift stays OutOfSync', async () => {
    const repo = makeRepo(root, 'heal', { 'app/deploy.yaml': deployment('healme', 'nginx:1.25.0', 2) });
    applyApp(sb, { name: 'heal', repoURL: repo.remote, path: 'app', namespace: 'heal', automated: { selfHeal: true } });
    const repo2 = makeRepo(root, 'noheal', { 'app/deploy.yaml': deployment('keepme', 'nginx:1.25.0', 2) });
    applyApp(sb, { name: 'noheal', repoURL: repo2.remote, path: 'app', namespace: 'noheal', automated: { selfHeal: false } });
    await waitSyncedAt(sb, 'heal', repo.head());
    await waitSyncedAt(sb, 'noheal', repo2.head());

    kubectlOk(sb, ['scale', 'deploy/healme', '-n', 'heal', '--replicas=5']);
    kubectlOk(sb, ['scale', 'deploy/keepme', '-n', 'noheal', '--replicas=5']);
    const t0 = Date.now();
    await waitFor('healme back at 2 replicas', () => getJson(sb, ['get', 'deploy', 'healme', '-n', 'heal'])?.spec.replicas === 2, 20_000);
    console.log(`# self-heal took ${Date.now() - t0} ms`);
    let last: Json;
    await waitFor('noheal OutOfSync', () => { last = getApp(sb, 'noheal'); return last.status?.sync?.status === 'OutOfSync'; }, 20_000, () => appSummary(last));
    const res = last.status.resources.find((r: Json) => r.kind === 'Deployment');
    assert.equal(res.status, 'OutOfSync');
    assert.equal(getJson(sb, ['get', 'deploy', 'keepme', '-n', 'noheal']).spec.replicas, 5, 'no selfHeal: drift left alone');
    await waitFor('heal Synced again', () => getApp(sb, 'heal').status?.sync?.status === 'Synced', 20_000);
  });

  test('prune deletes a tracked object removed from Git; without prune it is only flagged', async () => {
    const files = { 'app/a.yaml': configMap('keep', { k: '1' }), 'app/b.yaml': configMap('gone', { k: '2' }) };
    const repo = makeRepo(root, 'prune', files);
    const repo2 = makeRepo(root, 'noprune', files);
    applyApp(sb, { name: 'prune', repoURL: repo.remote, path: 'app', namespace: 'prune', automated: { prune: true } });
    applyApp(sb, { name: 'noprune', repoURL: repo2.remote, path: 'app', namespace: 'noprune', automated: { prune: false } });
    await waitSyncedAt(sb, 'prune', repo.head());
    await waitSyncedAt(sb, 'noprune', repo2.head());
    // An object of the same kind that the app does not track is never touched.
    kubectlOk(sb, ['apply', '-n', 'prune', '-f', '-'], configMap('bystander', { x: 'y' }));

    const pruned = repo.commit({ 'app/b.yaml': null }, 'remove gone');
    const notPruned = repo2.commit({ 'app/b.yaml': null }, 'remove gone');
    const app = await waitSyncedAt(sb, 'prune', pruned);
    assert.equal(sb.kubectl(['get', 'cm', 'gone', '-n', 'prune']).status, 1, 'pruned');
    assert.equal(sb.kubectl(['get', 'cm', 'bystander', '-n', 'prune']).status, 0, 'untracked object kept');
    assert.ok(app.status.operationState.syncResult.resources.some((r: Json) => r.name === 'gone' && r.status === 'Pruned'));

    let last: Json;
    await waitFor('noprune flags gone as requiring pruning', () => {
      last = getApp(sb, 'noprune');
      return last.status?.operationState?.syncResult?.revision === notPruned
        && last.status.resources?.some((r: Json) => r.name === 'gone' && r.requiresPruning === true);
    }, 20_000, () => appSummary(last));
    assert.equal(last.status.sync.status, 'OutOfSync');
    assert.equal(sb.kubectl(['get', 'cm', 'gone', '-n', 'noprune']).status, 0, 'not pruned without prune');
  });

  test('a render failure is reported in conditions and operationState, and the agent recovers', async () => {
    const repo = makeRepo(root, 'broken', {
      'app/kustomization.yaml': 'resources:\n  - cm.yaml\n  - missing.yaml\n',
      'app/cm.yaml': configMap('fine', { a: 'b' }),
    });
    applyApp(sb, { name: 'broken', repoURL: repo.remote, path: 'app', namespace: 'broken', automated: { prune: true } });
    let last: Json;
    await waitFor('ComparisonError', () => {
      last = getApp(sb, 'broken');
      return last.status?.conditions?.some((c: Json) => c.type === 'ComparisonError') && last.status.operationState?.phase === 'Failed';
    }, 30_000, () => appSummary(last));
    assert.equal(last.status.sync.status, 'Unknown');
    assert.match(last.status.conditions[0].message, /missing\.yaml/);
    assert.match(last.status.operationState.message, /missing\.yaml/);
    assert.equal(last.status.operationState.syncResult.revision, repo.head());

    const fixed = repo.commit({ 'app/kustomization.yaml': 'resources:\n  - cm.yaml\n' }, 'fix kustomization');
    const ok = await waitSyncedAt(sb, 'broken', fixed);
    assert.equal(ok.status.conditions, undefined);
    assert.equal(ok.status.sourceType, 'Kustomize');
  });

  test('Helm source with valueFiles and releaseName renders and syncs', async () => {
    const repo = makeRepo(root, 'helm', {
      'chart/Chart.yaml': 'apiVersion: v2\nname: tiny\nversion: 0.1.0\n',
      'chart/values.yaml': 'replicas: 1\nimage: nginx:1.25.0\n',
      'chart/values-prod.yaml': 'replicas: 3\n',
      'chart/templates/deploy.yaml': deployment('{{ .Release.Name }}', '{{ .Values.image }}').replace('replicas: 2', 'replicas: {{ .Values.replicas }}'),
    });
    applyApp(sb, {
      name: 'helmapp', repoURL: repo.remote, path: 'chart', namespace: 'helmapp', automated: { prune: true },
      extraSource: '    helm:\n      releaseName: tiny-prod\n      valueFiles: [values-prod.yaml]\n',
    });
    const app = await waitSyncedAt(sb, 'helmapp', repo.head());
    assert.equal(app.status.sourceType, 'Helm');
    assert.equal(getJson(sb, ['get', 'deploy', 'tiny-prod', '-n', 'helmapp']).spec.replicas, 3);
  });

  test('the agent survives a failing watch (5xx) and still reacts to commits', async () => {
    const repo = makeRepo(root, 'resilient', { 'app/cm.yaml': configMap('r', { v: '1' }) });
    applyApp(sb, { name: 'resilient', repoURL: repo.remote, path: 'app', namespace: 'resilient', automated: { prune: true } });
    await waitSyncedAt(sb, 'resilient', repo.head());
    // Reset the sockets (not a clean end) so the failure reaches the informer at once, whatever the
    // machine's load; the 503 window then makes its restarts fail too until the server recovers.
    await sb.fault({ errors: { status: 503, seconds: 5, pathPrefix: '/apis/argoproj.io' }, dropWatches: 'reset' });
    const next = repo.commit({ 'app/cm.yaml': configMap('r', { v: '2' }) }, 'v2');
    await waitSyncedAt(sb, 'resilient', next, 40_000);
    assert.equal(getJson(sb, ['get', 'cm', 'r', '-n', 'resilient']).data.v, '2');
    assert.match(sb.log(), /reconcile error|watch on \S+ failed/, 'the failure was seen and logged');
  });

  test('an operation left Running (agent stopped mid-sync) is closed and automated sync retries it', async () => {
    const repo = makeRepo(root, 'interrupted', { 'app/cm.yaml': configMap('i', { v: '1' }) });
    applyApp(sb, { name: 'interrupted', repoURL: repo.remote, path: 'app', namespace: 'interrupted', automated: { prune: true } });
    const before = await waitSyncedAt(sb, 'interrupted', repo.head());
    const stuck = { ...before.status.operationState, phase: 'Running', message: 'one or more tasks are running', finishedAt: null, startedAt: '2020-01-01T00:00:00Z' };
    kubectlOk(sb, ['patch', 'applications.argoproj.io', 'interrupted', '-n', 'argocd', '--subresource=status', '--type', 'merge', '-p', JSON.stringify({ status: { operationState: stuck } })]);
    let last: Json;
    await waitFor('a fresh automated sync after the interrupted one', () => {
      last = getApp(sb, 'interrupted');
      const op = last.status?.operationState;
      return op?.phase === 'Succeeded' && op.startedAt !== '2020-01-01T00:00:00Z' && op.syncResult?.revision === repo.head();
    }, 20_000, () => appSummary(last));
  });

  test('a commit that touches only one app re-renders only that app; both follow the new revision', async () => {
    const repo = makeRepo(root, 'mono', {
      'apps/one/kustomization.yaml': 'resources: [cm.yaml]\n', 'apps/one/cm.yaml': configMap('one', { v: '1' }),
      'apps/two/cm.yaml': configMap('two', { v: '1' }), 'shared/base.yaml': configMap('unused', { v: '1' }),
    });
    applyApp(sb, { name: 'mono-one', repoURL: repo.remote, path: 'apps/one', namespace: 'mono', automated: { prune: true } });
    applyApp(sb, { name: 'mono-two', repoURL: repo.remote, path: 'apps/two', namespace: 'mono', automated: { prune: true } });
    await waitSyncedAt(sb, 'mono-one', repo.head());
    await waitSyncedAt(sb, 'mono-two', repo.head());
    const next = repo.commit({ 'apps/one/cm.yaml': configMap('one', { v: '2' }) }, 'one only');
    await waitSyncedAt(sb, 'mono-one', next);
    await waitSyncedAt(sb, 'mono-two', next);
    await new Promise((r) => setTimeout(r, 300)); // let the sandbox's piped log reach us
    const renders = (app: string) => sb.log().split('\n').filter((l) => l.includes(`app ${app}: rendered`) && l.includes(` at ${next.slice(0, 7)} `)).length;
    assert.equal(renders('mono-one'), 1, sb.log());
    assert.equal(renders('mono-two'), 0, 'render reused: no input of mono-two changed');
    assert.equal(getJson(sb, ['get', 'cm', 'one', '-n', 'mono']).data.v, '2');
    // A change under its path does re-render it.
    const third = repo.commit({ 'apps/two/new.yaml': configMap('two-b', { v: '1' }) }, 'two gets a file');
    await waitSyncedAt(sb, 'mono-two', third);
    assert.equal(sb.kubectl(['get', 'cm', 'two-b', '-n', 'mono']).status, 0);
  });
});
