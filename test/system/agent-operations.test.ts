// Requests made through the Kubernetes API only, as the extension makes them (no Argo CD server):
// the refresh annotation and the `operation.sync` field. The agent polls every 60 s here, so anything
// that happens within a few seconds happened because of the request, not the poll.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startSandbox, type Sandbox } from '../support/sandbox';
import { applicationYaml, applyApp, appSummary, configMap, getApp, getJson, kubectlOk, makeRepo, tempRoot, waitFor, waitSyncedAt, type Json } from './agentHelpers';

describe('pull agent requests (poll 60 s)', () => {
  let sb: Sandbox;
  const root = tempRoot('gw-agent-ops-');

  before(async () => { sb = await startSandbox({ agent: true, extraArgs: ['--poll', '60'] }); });
  after(async () => {
    await sb?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const syncOp = (revision: string, extra: object = {}) =>
    JSON.stringify({ operation: { initiatedBy: { username: 'test' }, sync: { revision, prune: true, ...extra } } });

  test('a manual app only reports OutOfSync until an operation.sync arrives; the operation is cleared and recorded', async () => {
    const repo = makeRepo(root, 'manual', { 'app/cm.yaml': configMap('settings', { v: '1' }) });
    const first = repo.head();
    applyApp(sb, { name: 'manual', repoURL: repo.remote, path: 'app', namespace: 'manual', automated: false });
    let last: Json;
    await waitFor('OutOfSync with Missing resources', () => {
      last = getApp(sb, 'manual');
      return last.status?.sync?.status === 'OutOfSync' && last.status.sync.revision === first && last.status.health?.status === 'Missing';
    }, 15_000, () => appSummary(last));
    assert.equal(last.status.operationState, undefined, 'no sync without a request');
    assert.equal(sb.kubectl(['get', 'cm', 'settings', '-n', 'manual']).status, 1);

    kubectlOk(sb, ['patch', 'applications.argoproj.io', 'manual', '-n', 'argocd', '--type', 'merge', '-p', syncOp(first)]);
    const synced = await waitSyncedAt(sb, 'manual', first, 15_000);
    assert.equal(synced.operation, undefined, 'operation cleared when started');
    assert.equal(synced.status.history.length, 1);
    assert.deepEqual(synced.status.operationState.operation.initiatedBy, { username: 'test' });
  });

  test('refresh annotation: a new commit is seen at once and the annotation removed', async () => {
    const repo = makeRepo(root, 'refresh', { 'app/cm.yaml': configMap('r', { v: '1' }) });
    applyApp(sb, { name: 'refresh', repoURL: repo.remote, path: 'app', namespace: 'refresh', automated: { prune: true } });
    await waitSyncedAt(sb, 'refresh', repo.head(), 15_000);
    const next = repo.commit({ 'app/cm.yaml': configMap('r', { v: '2' }) }, 'v2');
    const t0 = Date.now();
    kubectlOk(sb, ['annotate', 'applications.argoproj.io', 'refresh', '-n', 'argocd', 'argocd.argoproj.io/refresh=normal']);
    const app = await waitSyncedAt(sb, 'refresh', next, 10_000);
    console.log(`# refresh -> synced new commit in ${Date.now() - t0} ms`);
    await waitFor('refresh annotation removed', () => !getApp(sb, 'refresh').metadata?.annotations?.['argocd.argoproj.io/refresh'], 5_000);
    assert.equal(app.status.history.at(-1).revision, next);
    assert.equal(getJson(sb, ['get', 'cm', 'r', '-n', 'refresh']).data.v, '2');
  });

  test('operation.sync to an older revision rolls back (manual app) and shows in operationState and history', async () => {
    const repo = makeRepo(root, 'rollback', { 'app/cm.yaml': configMap('ver', { v: '1' }) });
    const v1 = repo.head();
    applyApp(sb, { name: 'rollback', repoURL: repo.remote, path: 'app', namespace: 'rollback', automated: false });
    kubectlOk(sb, ['patch', 'applications.argoproj.io', 'rollback', '-n', 'argocd', '--type', 'merge', '-p', syncOp('HEAD')]);
    await waitSyncedAt(sb, 'rollback', v1, 15_000);
    const v2 = repo.commit({ 'app/cm.yaml': configMap('ver', { v: '2' }), 'app/extra.yaml': configMap('extra', { e: '1' }) }, 'v2');
    kubectlOk(sb, ['annotate', 'applications.argoproj.io', 'rollback', '-n', 'argocd', 'argocd.argoproj.io/refresh=normal']);
    kubectlOk(sb, ['patch', 'applications.argoproj.io', 'rollback', '-n', 'argocd', '--type', 'merge', '-p', syncOp(v2)]);
    await waitSyncedAt(sb, 'rollback', v2, 15_000);
    assert.equal(getJson(sb, ['get', 'cm', 'ver', '-n', 'rollback']).data.v, '2');

    // Roll back to v1 by its (short) sha: applied, extra pruned, recorded; the app is now OutOfSync with HEAD.
    kubectlOk(sb, ['patch', 'applications.argoproj.io', 'rollback', '-n', 'argocd', '--type', 'merge', '-p', syncOp(v1.slice(0, 10))]);
    let last: Json;
    await waitFor('rollback recorded', () => {
      last = getApp(sb, 'rollback');
      const s = last.status ?? {};
      return s.operationState?.phase === 'Succeeded' && s.operationState.syncResult?.revision === v1 && s.history?.at(-1)?.revision === v1;
    }, 15_000, () => appSummary(last));
    assert.equal(last.operation, undefined);
    assert.deepEqual(last.status.history.map((h: Json) => h.revision), [v1, v2, v1]);
    assert.deepEqual(last.status.history.map((h: Json) => h.id), [0, 1, 2]);
    assert.equal(last.status.sync.status, 'OutOfSync');
    assert.equal(last.status.sync.revision, v2, 'compared against targetRevision (HEAD), like Argo CD');
    assert.equal(getJson(sb, ['get', 'cm', 'ver', '-n', 'rollback']).data.v, '1');
    assert.equal(sb.kubectl(['get', 'cm', 'extra', '-n', 'rollback']).status, 1, 'pruned on rollback');
  });

  test('operation.sync with resources[] syncs only those (no history entry); a bad revision is an Error', async () => {
    const repo = makeRepo(root, 'partial', { 'app/a.yaml': configMap('a', { v: '1' }), 'app/b.yaml': configMap('b', { v: '1' }) });
    applyApp(sb, { name: 'partial', repoURL: repo.remote, path: 'app', namespace: 'partial', automated: false });
    kubectlOk(sb, ['patch', 'applications.argoproj.io', 'partial', '-n', 'argocd', '--type', 'merge',
      '-p', syncOp('HEAD', { resources: [{ group: '', kind: 'ConfigMap', name: 'a', namespace: 'partial' }] })]);
    let last: Json;
    await waitFor('partial sync done', () => { last = getApp(sb, 'partial'); return last.status?.operationState?.phase === 'Succeeded'; }, 15_000, () => appSummary(last));
    assert.equal(sb.kubectl(['get', 'cm', 'a', '-n', 'partial']).status, 0);
    assert.equal(sb.kubectl(['get', 'cm', 'b', '-n', 'partial']).status, 1);
    assert.equal(last.status.history, undefined, 'partial syncs are not history');
    assert.equal(last.status.sync.status, 'OutOfSync');

    kubectlOk(sb, ['patch', 'applications.argoproj.io', 'partial', '-n', 'argocd', '--type', 'merge', '-p', syncOp('no-such-branch')]);
    await waitFor('operation Error', () => {
      last = getApp(sb, 'partial');
      return last.status?.operationState?.phase === 'Error' && /no-such-branch/.test(last.status.operationState.message);
    }, 15_000, () => appSummary(last));
  });

  test('deleting an Application with the resources finalizer deletes what it tracked; without it they stay', async () => {
    const repo = makeRepo(root, 'cascade', { 'app/cm.yaml': configMap('owned', { v: '1' }) });
    const repo2 = makeRepo(root, 'orphan', { 'app/cm.yaml': configMap('left', { v: '1' }) });
    const withFinalizer = applicationYaml({ name: 'cascade', repoURL: repo.remote, path: 'app', namespace: 'cascade', automated: { prune: true } })
      .replace('  namespace: argocd\n', '  namespace: argocd\n  finalizers: [resources-finalizer.argocd.argoproj.io]\n');
    kubectlOk(sb, ['apply', '--server-side', '-f', '-'], withFinalizer);
    applyApp(sb, { name: 'orphan', repoURL: repo2.remote, path: 'app', namespace: 'orphan', automated: { prune: true } });
    await waitSyncedAt(sb, 'cascade', repo.head(), 15_000);
    await waitSyncedAt(sb, 'orphan', repo2.head(), 15_000);
    kubectlOk(sb, ['delete', 'applications.argoproj.io', 'cascade', 'orphan', '-n', 'argocd']);
    await waitFor('cascade resources deleted', () => sb.kubectl(['get', 'cm', 'owned', '-n', 'cascade']).status === 1, 10_000);
    assert.equal(sb.kubectl(['get', 'cm', 'left', '-n', 'orphan']).status, 0, 'no finalizer: resources left in place (Argo CD default)');
  });

  test('targetRevision as a tag stays on the tag while main moves; spec.sources[] (multi-source) renders its path source', async () => {
    const repo = makeRepo(root, 'pinned', { 'app/cm.yaml': configMap('pin', { v: '1' }) });
    const tagged = repo.head();
    execFileSync('git', ['tag', 'v1'], { cwd: repo.work });
    execFileSync('git', ['push', '-q', 'origin', 'v1'], { cwd: repo.work });
    repo.commit({ 'app/cm.yaml': configMap('pin', { v: '2' }) }, 'main moves on');
    applyApp(sb, { name: 'pinned', repoURL: repo.remote, path: 'app', namespace: 'pinned', targetRevision: 'v1', automated: { prune: true } });
    await waitSyncedAt(sb, 'pinned', tagged, 15_000);
    assert.equal(getJson(sb, ['get', 'cm', 'pin', '-n', 'pinned']).data.v, '1');

    const multi = applicationYaml({ name: 'multi', repoURL: repo.remote, path: 'app', namespace: 'multi', automated: { prune: true } })
      .replace(/  source:\n    repoURL: (\S+)\n    path: app\n    targetRevision: HEAD\n/, '  sources:\n    - repoURL: $1\n      targetRevision: HEAD\n      ref: values\n    - repoURL: $1\n      path: app\n      targetRevision: HEAD\n');
    assert.match(multi, /sources:/);
    kubectlOk(sb, ['apply', '--server-side', '-f', '-'], multi);
    await waitSyncedAt(sb, 'multi', repo.head(), 15_000);
    assert.equal(getJson(sb, ['get', 'cm', 'pin', '-n', 'multi']).data.v, '2');
  });
});
