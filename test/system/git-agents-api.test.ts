// The agents API over HTTPS against the sandbox API server (no pull agent: the test plays the
// controller by writing status). Argo CD: the exact merge patch requestSync sends (refresh annotation,
// operation.sync with revision / prune per policy / syncOptions, initiatedBy). Flux: requestedAt on the
// Kustomization and its GitRepository; waitForRevision steps, failure message, timeout, cancel.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../support/sandbox';
import { loadKubeConfig } from '../../src/core/cluster/kubeconfig';
import { requestSync, waitForRevision, readAgentStatus, AgentFailedError, WaitTimeoutError, WaitCancelledError, findAgentApp } from '../../src/core/agents/index';
import type { KubeConfig } from '@kubernetes/client-node';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const crd = (group: string, kind: string, plural: string, version: string) => ({
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.${group}` },
  spec: { group, scope: 'Namespaced', names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
    versions: [{ name: version, served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
});

describe('agents API against the sandbox API server', { timeout: 180_000 }, () => {
  let sb: Sandbox;
  let kc: KubeConfig;
  const kubectlOk = (args: string[], input?: string) => {
    const r = sb.kubectl(args, { input });
    assert.equal(r.status, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const json = (args: string[]) => JSON.parse(kubectlOk([...args, '-o', 'json']));
  const setStatus = (resource: string, ns: string, name: string, status: object) =>
    kubectlOk(['patch', resource, name, '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);

  before(async () => {
    sb = await startSandbox({ agent: false });
    kc = loadKubeConfig({ kubeconfig: sb.kubeconfig }).kc;
    const crds = [crd('argoproj.io', 'Application', 'applications', 'v1alpha1'), crd('kustomize.toolkit.fluxcd.io', 'Kustomization', 'kustomizations', 'v1'),
      crd('source.toolkit.fluxcd.io', 'GitRepository', 'gitrepositories', 'v1')];
    kubectlOk(['apply', '-f', '-'], crds.map((c) => JSON.stringify(c)).join('\n'));
    for (const ns of ['argocd', 'flux-system']) kubectlOk(['create', 'namespace', ns]);
    const deadline = Date.now() + 30_000;
    while (sb.kubectl(['get', 'kustomizations.kustomize.toolkit.fluxcd.io', '-A']).status !== 0 || sb.kubectl(['get', 'applications.argoproj.io', '-A']).status !== 0) {
      if (Date.now() > deadline) assert.fail('CRDs not served');
      await new Promise((r) => setTimeout(r, 300));
    }
    kubectlOk(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'web', namespace: 'argocd' },
      spec: { source: { repoURL: '/r.git', path: 'web', targetRevision: 'main' }, destination: { namespace: 'web' }, syncPolicy: { automated: { prune: true } } } }));
    kubectlOk(['apply', '-f', '-'], [
      { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'repo', namespace: 'flux-system' }, spec: { url: 'https://example/repo', ref: { branch: 'main' }, interval: '1m' } },
      { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps', namespace: 'flux-system' }, spec: { path: './apps', prune: true, interval: '5m', sourceRef: { kind: 'GitRepository', name: 'repo' } } },
    ].map((o) => JSON.stringify(o)).join('\n'));
  });
  after(async () => { await sb?.stop(); });

  test('Argo CD requestSync: refresh annotation + operation.sync (revision, prune from the app policy, syncOptions), initiatedBy', async () => {
    const app = await findAgentApp(kc, 'web');
    assert.deepEqual(app.agentObject, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', namespace: 'argocd', name: 'web' });
    await requestSync(kc, app, { revision: SHA });
    const live = json(['get', 'applications.argoproj.io', 'web', '-n', 'argocd']);
    assert.equal(live.metadata.annotations['argocd.argoproj.io/refresh'], 'normal');
    assert.deepEqual(live.operation, { initiatedBy: { username: 'gitops-workbench' }, sync: { revision: SHA, prune: true, syncOptions: [] } });
    assert.deepEqual(live.spec.syncPolicy, { automated: { prune: true } }, 'spec untouched');
    await requestSync(kc, app, { prune: false });
    assert.deepEqual(json(['get', 'applications.argoproj.io', 'web', '-n', 'argocd']).operation.sync, { prune: false, syncOptions: [] },
      'a later request without revision replaces the pending one (the app\'s targetRevision)');
  });

  test('Argo CD waitForRevision: steps in order, returns the status once synced and healthy', async () => {
    const app = { agent: 'argocd' as const, agentObject: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', namespace: 'argocd', name: 'web' } };
    const steps: string[] = [];
    const waiting = waitForRevision(kc, app, SHA.slice(0, 7), { timeoutMs: 30_000, intervalMs: 100, onStep: (s) => steps.push(s), already: ['pushed'] });
    await new Promise((r) => setTimeout(r, 400));
    kubectlOk(['patch', 'applications.argoproj.io', 'web', '-n', 'argocd', '--type=merge', '-p', '{"operation":null}']);
    setStatus('applications.argoproj.io', 'argocd', 'web', { sync: { status: 'OutOfSync', revision: SHA }, health: { status: 'Progressing' },
      operationState: { phase: 'Running', startedAt: new Date().toISOString(), operation: { sync: { revision: SHA } } } });
    await new Promise((r) => setTimeout(r, 400));
    setStatus('applications.argoproj.io', 'argocd', 'web', { sync: { status: 'Synced', revision: SHA }, health: { status: 'Healthy' },
      operationState: { phase: 'Succeeded', startedAt: new Date().toISOString(), syncResult: { revision: SHA } } });
    const status = await waiting;
    assert.deepEqual(steps, ['agent saw commit', 'applying', 'healthy']);
    assert.deepEqual({ sync: status.sync, health: status.health, revision: status.revision }, { sync: 'Synced', health: 'Healthy', revision: SHA });
  });

  test('Flux requestSync annotates the Kustomization and its GitRepository with one RFC 3339 nano timestamp', async () => {
    const app = await findAgentApp(kc, 'apps');
    assert.equal(app.agent, 'flux');
    await requestSync(kc, app, {});
    const ks = json(['get', 'kustomizations.kustomize.toolkit.fluxcd.io', 'apps', '-n', 'flux-system']);
    const repo = json(['get', 'gitrepositories.source.toolkit.fluxcd.io', 'repo', '-n', 'flux-system']);
    const at = ks.metadata.annotations['reconcile.fluxcd.io/requestedAt'];
    assert.match(at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.match(repo.metadata.annotations['reconcile.fluxcd.io/requestedAt'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  });

  test('Flux waitForRevision: done on lastAppliedRevision + Ready; the controller\'s failure message otherwise; timeout; cancel', async () => {
    const app = { agent: 'flux' as const, agentObject: { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', namespace: 'flux-system', name: 'apps' } };
    const steps: string[] = [];
    const waiting = waitForRevision(kc, app, SHA, { timeoutMs: 30_000, intervalMs: 100, onStep: (s) => steps.push(s) });
    await new Promise((r) => setTimeout(r, 300));
    setStatus('kustomizations.kustomize.toolkit.fluxcd.io', 'flux-system', 'apps', { observedGeneration: 1, lastAttemptedRevision: `main@sha1:${SHA}`,
      conditions: [{ type: 'Reconciling', status: 'True', reason: 'Progressing', message: 'applying' }, { type: 'Ready', status: 'Unknown', reason: 'Progressing', message: 'applying' }] });
    await new Promise((r) => setTimeout(r, 300));
    setStatus('kustomizations.kustomize.toolkit.fluxcd.io', 'flux-system', 'apps', { observedGeneration: 1, lastAttemptedRevision: `main@sha1:${SHA}`, lastAppliedRevision: `main@sha1:${SHA}`,
      conditions: [{ type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: `Applied revision: main@sha1:${SHA}` }] });
    const status = await waiting;
    assert.deepEqual(steps, ['pushed', 'agent saw commit', 'applying', 'healthy']);
    assert.equal(readAgentStatus(json(['get', 'kustomizations.kustomize.toolkit.fluxcd.io', 'apps', '-n', 'flux-system'])).health, 'Healthy');
    assert.equal(status.sync, 'Synced');

    const next = 'abcdefabcdefabcdefabcdefabcdefabcdefabcd';
    setStatus('kustomizations.kustomize.toolkit.fluxcd.io', 'flux-system', 'apps', { observedGeneration: 1, lastAttemptedRevision: `main@sha1:${next}`, lastAppliedRevision: `main@sha1:${SHA}`,
      conditions: [{ type: 'Ready', status: 'False', reason: 'ReconciliationFailed', message: 'Deployment/apps/web dry-run failed: spec.replicas: Invalid value' }] });
    await assert.rejects(waitForRevision(kc, app, next, { timeoutMs: 10_000, intervalMs: 100 }),
      (e: Error) => e instanceof AgentFailedError && /Kustomization apps: ReconciliationFailed: Deployment\/apps\/web dry-run failed/.test(e.message));
    const began = Date.now();
    await assert.rejects(waitForRevision(kc, app, 'fedcba9876543210fedcba9876543210fedcba98', { timeoutMs: 1_000, intervalMs: 100 }),
      (e: Error) => e instanceof WaitTimeoutError && /did not report fedcba9 synced and healthy within 1 s/.test(e.message));
    assert.ok(Date.now() - began < 5_000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    await assert.rejects(waitForRevision(kc, app, 'fedcba9876543210fedcba9876543210fedcba98', { timeoutMs: 30_000, intervalMs: 100, signal: controller.signal }), WaitCancelledError);
  });
});
