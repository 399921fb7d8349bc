// Pure reconcile helpers that need nothing from other modules: jq subset, Argo CD masking,
// normalization, ignore rules, health.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileJq, jqPaths, JqUnsupportedError } from '../../src/core/reconcile/jq';
import { maskSecrets } from '../../src/core/reconcile/mask';
import { normalizeObject, slimLive, LAST_APPLIED } from '../../src/core/reconcile/normalize';
import { applyFieldIgnores, effectiveIgnore, ruleMatches } from '../../src/core/reconcile/ignore';
import { healthOf, worstHealth } from '../../src/core/reconcile/health';
import type { KubeObject } from '../../src/core/model';

const deployment = (): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'demo' },
  spec: { replicas: 2, template: { spec: { containers: [
    { name: 'app', image: 'nginx:1.25', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] },
    { name: 'side', image: 'busybox' },
  ] } } },
});

test('jq: plain paths, iteration, optional, select by name', () => {
  const obj = deployment();
  assert.deepEqual(jqPaths('.spec.replicas', obj), [['spec', 'replicas']]);
  assert.deepEqual(jqPaths('.spec.template.spec.containers[].image', obj), [
    ['spec', 'template', 'spec', 'containers', 0, 'image'], ['spec', 'template', 'spec', 'containers', 1, 'image']]);
  assert.deepEqual(jqPaths('.spec.template.spec.containers[] | select(.name == "side") | .image', obj), [['spec', 'template', 'spec', 'containers', 1, 'image']]);
  assert.deepEqual(jqPaths('.spec.template.spec.containers[]? | select(.name != "side") | .env[] | select(.name == "B")', obj), [['spec', 'template', 'spec', 'containers', 0, 'env', 1]]);
  assert.deepEqual(jqPaths('.spec.template.spec.containers[1].image', obj), [['spec', 'template', 'spec', 'containers', 1, 'image']]);
  assert.deepEqual(jqPaths('.metadata.labels["app.kubernetes.io/name"]', { metadata: { labels: { 'app.kubernetes.io/name': 'x' } } }), [['metadata', 'labels', 'app.kubernetes.io/name']]);
  assert.deepEqual(jqPaths('.spec.missing.deeper', obj), [], 'absent paths select nothing');
  assert.deepEqual(jqPaths('.spec.template.spec.containers[] | select(.name | startswith("si")) | .name', obj), [['spec', 'template', 'spec', 'containers', 1, 'name']]);
});

test('jq: unsupported syntax is a clear error, not a silent no-op', () => {
  assert.throws(() => compileJq('.a | map(.b)'), JqUnsupportedError);
  assert.throws(() => compileJq('del(.a)'), /not supported/);
});

test('mask: Argo CD runs of + per distinct value, per key, desired then live', () => {
  const desired: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { user: 'YWRtaW4=', pass: 'c2VjcmV0' } };
  const live: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { user: 'YWRtaW4=', pass: 'b3RoZXI=', extra: 'eA==' } };
  maskSecrets(desired, live);
  assert.deepEqual(desired.data, { user: '++++++++', pass: '++++++++' });
  assert.deepEqual(live.data, { user: '++++++++', pass: '++++++++++++', extra: '++++++++' });
  const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'plain' } };
  maskSecrets(cm);
  assert.deepEqual(cm.data, { a: 'plain' }, 'ConfigMaps are not masked');
});

test('normalize: drops status, bookkeeping, last-applied; folds stringData into base64 data', () => {
  const live: KubeObject = {
    apiVersion: 'v1', kind: 'Secret',
    metadata: { name: 's', uid: 'u', resourceVersion: '9', generation: 1, creationTimestamp: 't', managedFields: [], annotations: { [LAST_APPLIED]: '{}' } },
    data: { a: 'YQ==' }, stringData: { b: 'bee', a: 'override' }, status: { x: 1 },
  };
  const n = normalizeObject(live);
  assert.deepEqual(n, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: Buffer.from('override').toString('base64'), b: Buffer.from('bee').toString('base64') } });
  assert.ok(live.metadata.managedFields, 'input untouched');
  const slim = slimLive(structuredClone(live), false);
  assert.equal(slim.metadata.annotations?.[LAST_APPLIED], undefined);
  assert.ok(slim.metadata.managedFields, 'managedFields kept for attribution');
  assert.equal(slim.status, undefined);
});

test('ignoreDifferences: rule matching and field removal (pointers, jq)', () => {
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo', name: 'web' };
  assert.ok(ruleMatches({ group: 'apps', kind: 'Deployment' }, ref));
  assert.ok(!ruleMatches({ group: '', kind: 'Deployment' }, ref));
  assert.ok(!ruleMatches({ kind: 'Deployment', name: 'other' }, ref));
  assert.ok(ruleMatches({ kind: 'Deployment', namespace: 'demo', name: 'web' }, ref));
  const ig = effectiveIgnore([
    { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] },
    { kind: 'Deployment', jqPathExpressions: ['.spec.template.spec.containers[] | select(.name == "app") | .env[] | select(.name == "A")'] },
    { kind: 'Service', jsonPointers: ['/spec/ports'] },
    { kind: 'Deployment', jqPathExpressions: ['.a | map(.b)'], managedFieldsManagers: ['hpa'] },
  ], ref);
  assert.equal(ig.pointers.length, 1);
  assert.equal(ig.errors.length, 1);
  assert.ok(ig.managers.has('hpa'));
  const obj = applyFieldIgnores(deployment(), ig) as any;
  assert.equal(obj.spec.replicas, undefined);
  assert.deepEqual(obj.spec.template.spec.containers[0].env, [{ name: 'B', value: '2' }]);
});

test('health: Deployment, StatefulSet, DaemonSet like Argo CD', () => {
  const d = (spec: object, status: object, generation = 2): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', generation }, spec, status });
  assert.equal(healthOf(d({ replicas: 2 }, { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }))?.status, 'Healthy');
  assert.equal(healthOf(d({ replicas: 3 }, { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }))?.status, 'Progressing');
  assert.equal(healthOf(d({ replicas: 2 }, { observedGeneration: 1 }))?.status, 'Progressing');
  assert.equal(healthOf(d({ paused: true }, {}))?.status, 'Suspended');
  assert.equal(healthOf(d({ replicas: 2 }, { observedGeneration: 2, conditions: [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded' }] }))?.status, 'Degraded');
  assert.equal(healthOf({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's', generation: 1 }, spec: { replicas: 1 }, status: { observedGeneration: 1, readyReplicas: 1, currentRevision: 'a', updateRevision: 'a' } })?.status, 'Healthy');
  assert.equal(healthOf({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's', generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, readyReplicas: 1 } })?.status, 'Progressing');
  assert.equal(healthOf({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'x', generation: 1 }, spec: {}, status: { observedGeneration: 1, desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 1 } })?.status, 'Progressing');
  assert.equal(healthOf(undefined)?.status, 'Missing');
  assert.equal(healthOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }), undefined);
  assert.equal(worstHealth(['Healthy', 'Progressing', undefined, 'Missing']), 'Missing');
});
