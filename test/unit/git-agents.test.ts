// The agent contracts as pure functions: when a wait is done, failed, or still going, for Argo CD
// Applications and Flux Kustomizations; revision matching; step order; the status summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argoProgress, fluxProgress, readAgentStatus, sameRevision, bareRevision } from '../../src/core/agents/index';
import { stepper, rfc3339Nano } from '../../src/core/agents/common';
import { fluxSourceRef } from '../../src/core/agents/flux';
import type { KubeObject } from '../../src/core/model';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const OLD = 'fedcba9876543210fedcba9876543210fedcba98';

function argoApp(status: object, operation?: object): KubeObject {
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'web', namespace: 'argocd' }, ...(operation ? { operation } : {}), status } as KubeObject;
}

test('revisions: full, abbreviated, Flux main@sha1: form; never a too-short prefix', () => {
  assert.ok(sameRevision(SHA, SHA.slice(0, 7)));
  assert.ok(sameRevision(`main@sha1:${SHA}`, SHA));
  assert.ok(sameRevision(`sha1:${SHA}`, SHA.slice(0, 12)));
  assert.ok(!sameRevision(SHA, SHA.slice(0, 6)));
  assert.ok(!sameRevision(OLD, SHA));
  assert.ok(!sameRevision(undefined, SHA));
  assert.equal(bareRevision(`main@sha1:${SHA}`), SHA);
});

test('Argo CD: old revision -> not seen; our operation running -> applying; synced+healthy -> done', () => {
  const before = argoApp({ sync: { status: 'Synced', revision: OLD }, health: { status: 'Healthy' }, operationState: { phase: 'Succeeded', startedAt: '2020-01-01T00:00:00Z', syncResult: { revision: OLD } } });
  assert.deepEqual(argoProgress(before, SHA), { seen: false, applying: false, done: false });
  const pending = argoApp(before.status as object, { sync: { revision: SHA } });
  assert.equal(argoProgress(pending, SHA).done, false, 'an operation not yet started is not done');
  const running = argoApp({ sync: { status: 'OutOfSync', revision: OLD }, health: { status: 'Healthy' }, operationState: { phase: 'Running', startedAt: new Date().toISOString(), operation: { sync: { revision: SHA } } } });
  assert.deepEqual(argoProgress(running, SHA), { seen: true, applying: true, done: false });
  const progressing = argoApp({ sync: { status: 'Synced', revision: SHA }, health: { status: 'Progressing' }, operationState: { phase: 'Succeeded', syncResult: { revision: SHA } } });
  assert.deepEqual(argoProgress(progressing, SHA), { seen: true, applying: true, done: false });
  const done = argoApp({ sync: { status: 'Synced', revision: SHA }, health: { status: 'Healthy' }, operationState: { phase: 'Succeeded', syncResult: { revision: SHA } } });
  assert.equal(argoProgress(done, SHA).done, true);
  assert.equal(argoProgress(argoApp({ sync: { status: 'Synced', revision: SHA }, health: { status: 'Healthy' } }), SHA).done, true, 'no operation at all (auto-sync) is fine');
});

test('Argo CD: Failed/Error operation for our revision and Degraded health fail with the agent message; older failures do not', () => {
  const failed = argoApp({ sync: { status: 'OutOfSync', revision: SHA }, health: { status: 'Healthy' }, operationState: { phase: 'Failed', message: 'one or more objects failed to apply: Deployment.apps "web" is invalid', syncResult: { revision: SHA } } });
  assert.match(argoProgress(failed, SHA).failure ?? '', /sync Failed: one or more objects failed to apply/);
  const oldFailure = argoApp({ sync: { status: 'Synced', revision: OLD }, health: { status: 'Healthy' }, operationState: { phase: 'Error', message: 'old', startedAt: '2020-01-01T00:00:00Z', syncResult: { revision: OLD } } });
  assert.equal(argoProgress(oldFailure, SHA, new Date()).failure, undefined);
  const degraded = argoApp({ sync: { status: 'Synced', revision: SHA }, health: { status: 'Degraded', message: 'Deployment "web" exceeded its progress deadline' }, operationState: { phase: 'Succeeded', syncResult: { revision: SHA } } });
  assert.match(argoProgress(degraded, SHA).failure ?? '', /Degraded: Deployment "web" exceeded its progress deadline/);
});

test('Argo CD drift repair: with actedSince, only an operation started after the request counts', () => {
  const asked = new Date('2030-01-01T00:00:10.500Z');
  const stale = argoApp({ sync: { status: 'Synced', revision: SHA }, health: { status: 'Healthy' }, operationState: { phase: 'Succeeded', startedAt: '2030-01-01T00:00:05Z', syncResult: { revision: SHA } } });
  assert.equal(argoProgress(stale, SHA, asked, asked).done, false);
  const fresh = argoApp({ sync: { status: 'Synced', revision: SHA }, health: { status: 'Healthy' }, operationState: { phase: 'Succeeded', startedAt: '2030-01-01T00:00:10Z', syncResult: { revision: SHA } } });
  assert.equal(argoProgress(fresh, SHA, asked, asked).done, true, 'startedAt has whole seconds: the same second counts');
});

function kustomization(status: object, generation = 2): KubeObject {
  return { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps', namespace: 'flux-system', generation },
    spec: { sourceRef: { kind: 'GitRepository', name: 'flux-system' } }, status } as KubeObject;
}

test('Flux: lastAppliedRevision + Ready True + observed generation -> done; attempted + Ready False -> failure', () => {
  const ready = { type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: `Applied revision: main@sha1:${SHA}` };
  assert.equal(fluxProgress(kustomization({ lastAppliedRevision: `main@sha1:${SHA}`, lastAttemptedRevision: `main@sha1:${SHA}`, observedGeneration: 2, conditions: [ready] }), SHA).done, true);
  assert.equal(fluxProgress(kustomization({ lastAppliedRevision: `main@sha1:${SHA}`, observedGeneration: 1, conditions: [ready] }), SHA).done, false, 'stale generation');
  const old = fluxProgress(kustomization({ lastAppliedRevision: `main@sha1:${OLD}`, observedGeneration: 2, conditions: [ready] }), SHA);
  assert.deepEqual(old, { seen: false, applying: false, done: false });
  const failed = fluxProgress(kustomization({ lastAppliedRevision: `main@sha1:${OLD}`, lastAttemptedRevision: `main@sha1:${SHA}`, observedGeneration: 2,
    conditions: [{ type: 'Ready', status: 'False', reason: 'ReconciliationFailed', message: 'Deployment/apps/web dry-run failed' }] }), SHA);
  assert.match(failed.failure ?? '', /ReconciliationFailed: Deployment\/apps\/web dry-run failed/);
  const stalled = fluxProgress(kustomization({ observedGeneration: 2, conditions: [{ type: 'Stalled', status: 'True', message: 'invalid path' }] }), SHA);
  assert.match(stalled.failure ?? '', /Stalled: invalid path/);
  const handled = kustomization({ lastAppliedRevision: `main@sha1:${SHA}`, observedGeneration: 2, lastHandledReconcileAt: '2030-01-01T00:00:00.000000001Z', conditions: [ready] });
  assert.equal(fluxProgress(handled, SHA, new Date('2030-01-01T00:00:05Z')).done, false, 'our requestedAt not handled yet');
  assert.equal(fluxProgress(handled, SHA, new Date('2030-01-01T00:00:00Z')).done, true);
});

test('readAgentStatus summarises both agents', () => {
  assert.deepEqual(readAgentStatus(argoApp({ sync: { status: 'OutOfSync', revision: SHA }, health: { status: 'Progressing', message: 'rolling' }, operationState: { phase: 'Running', message: 'syncing' } })),
    { kind: 'argocd', sync: 'OutOfSync', health: 'Progressing', revision: SHA, operationPhase: 'Running', message: 'syncing' });
  const flux = readAgentStatus(kustomization({ lastAppliedRevision: `main@sha1:${SHA}`, conditions: [{ type: 'Ready', status: 'False', message: 'health check failed' }] }));
  assert.equal(flux.kind, 'flux');
  assert.equal(flux.health, 'Degraded');
  assert.equal(flux.message, 'health check failed');
  assert.equal(flux.revision, `main@sha1:${SHA}`);
});

test('Flux source of a Kustomization / HelmRelease', () => {
  assert.deepEqual(fluxSourceRef(kustomization({})), { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', name: 'flux-system', namespace: 'flux-system' });
  const hr = { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'podinfo', namespace: 'apps' },
    spec: { chart: { spec: { chart: './charts/podinfo', sourceRef: { kind: 'GitRepository', name: 'repo', namespace: 'flux-system' } } } } } as KubeObject;
  assert.deepEqual(fluxSourceRef(hr), { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', name: 'repo', namespace: 'flux-system' });
});

test('steps come once each, in order, skipped ones filled in; requestedAt is RFC 3339 with nanoseconds', () => {
  const seen: string[] = [];
  const step = stepper((s) => seen.push(s), ['pushed']);
  step('applying');
  step('agent saw commit');
  step('healthy');
  step('healthy');
  assert.deepEqual(seen, ['agent saw commit', 'applying', 'healthy']);
  assert.match(rfc3339Nano(new Date('2030-01-02T03:04:05.678Z')), /^2030-01-02T03:04:05\.678\d{6}Z$/);
});
