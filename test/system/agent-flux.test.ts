// The agent's Flux subset: a GitRepository + Kustomization pointing at a local bare repo go Ready at
// `main@sha1:<head>`; `reconcile.fluxcd.io/requestedAt` is handled at once (poll is 60 s here) and
// echoed in lastHandledReconcileAt; prune follows the inventory; a build failure is a Ready=False.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startSandbox, type Sandbox } from '../support/sandbox';
import { configMap, fluxYaml, getJson, kubectlOk, makeRepo, tempRoot, waitFor, type Json } from './agentHelpers';

describe('pull agent: Flux Kustomization + GitRepository (poll 60 s)', () => {
  let sb: Sandbox;
  const root = tempRoot('gw-agent-flux-');
  before(async () => {
    sb = await startSandbox({ agent: true, extraArgs: ['--poll', '60'] });
    kubectlOk(sb, ['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n');
  });
  after(async () => {
    await sb?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const ks = (name: string): Json => getJson(sb, ['get', 'kustomizations.kustomize.toolkit.fluxcd.io', name, '-n', 'flux-system']) ?? {};
  const ready = (o: Json) => (o.status?.conditions ?? []).find((c: Json) => c.type === 'Ready');

  test('Ready at main@sha1:<head>; requestedAt handled at once; prune; build failure', async () => {
    const repo = makeRepo(root, 'fluxapp', { 'deploy/a.yaml': configMap('a', { v: '1' }), 'deploy/b.yaml': configMap('b', { v: '1' }) });
    kubectlOk(sb, ['apply', '-f', '-'], fluxYaml('fluxapp', repo.remote, true));
    let last: Json;
    await waitFor('Kustomization Ready', () => { last = ks('fluxapp'); return ready(last)?.status === 'True' && last.status.lastAppliedRevision === `main@sha1:${repo.head()}`; },
      20_000, () => JSON.stringify(last?.status));
    assert.match(ready(last).message, /^Applied revision: main@sha1:/);
    const live = getJson(sb, ['get', 'cm', 'a', '-n', 'fluxapp']);
    assert.equal(live.metadata.labels['kustomize.toolkit.fluxcd.io/name'], 'fluxapp');
    assert.deepEqual(last.status.inventory.entries.map((e: Json) => e.id).sort(), ['fluxapp_a__ConfigMap', 'fluxapp_b__ConfigMap']);
    const gitrepo = getJson(sb, ['get', 'gitrepositories.source.toolkit.fluxcd.io', 'fluxapp', '-n', 'flux-system']);
    assert.equal(gitrepo.status.artifact.revision, `main@sha1:${repo.head()}`);

    // New commit (b removed, a changed) + reconcile request on source and Kustomization, as `flux reconcile --with-source`.
    const next = repo.commit({ 'deploy/b.yaml': null, 'deploy/a.yaml': configMap('a', { v: '2' }) }, 'drop b');
    const at = new Date().toISOString().replace('Z', '000Z');
    for (const kind of ['gitrepositories.source.toolkit.fluxcd.io', 'kustomizations.kustomize.toolkit.fluxcd.io']) {
      kubectlOk(sb, ['annotate', '--overwrite', kind, 'fluxapp', '-n', 'flux-system', `reconcile.fluxcd.io/requestedAt=${at}`]);
    }
    await waitFor('new revision applied', () => { last = ks('fluxapp'); return last.status?.lastAppliedRevision === `main@sha1:${next}` && last.status.lastHandledReconcileAt === at; },
      10_000, () => JSON.stringify(last?.status));
    assert.equal(getJson(sb, ['get', 'cm', 'a', '-n', 'fluxapp']).data.v, '2');
    assert.equal(sb.kubectl(['get', 'cm', 'b', '-n', 'fluxapp']).status, 1, 'pruned');
    assert.equal(last.status.observedGeneration, last.metadata.generation);

    // A broken build: Ready=False with the tool's message, lastAttemptedRevision moves, lastAppliedRevision stays.
    const broken = repo.commit({ 'deploy/kustomization.yaml': 'resources:\n  - a.yaml\n  - nope.yaml\n' }, 'break');
    const at2 = new Date().toISOString().replace('Z', '000Z');
    for (const kind of ['gitrepositories.source.toolkit.fluxcd.io', 'kustomizations.kustomize.toolkit.fluxcd.io']) {
      kubectlOk(sb, ['annotate', '--overwrite', kind, 'fluxapp', '-n', 'flux-system', `reconcile.fluxcd.io/requestedAt=${at2}`]);
    }
    await waitFor('Ready=False', () => { last = ks('fluxapp'); return ready(last)?.status === 'False' && last.status.lastAttemptedRevision === `main@sha1:${broken}`; },
      10_000, () => JSON.stringify(last?.status));
    assert.match(ready(last).message, /nope\.yaml/);
    assert.equal(last.status.lastAppliedRevision, `main@sha1:${next}`);
  });
});
