import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveForDiff, projectLive } from '../../src/extension/editor/projection';

test('hides fields only live has, keeps Git key order, keeps drifted values', () => {
  const desired = { spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }] }] } } } };
  const live = { spec: { strategy: { type: 'RollingUpdate' }, template: { spec: { dnsPolicy: 'ClusterFirst', containers: [{ image: 'nginx:2', name: 'web', imagePullPolicy: 'IfNotPresent', ports: [{ protocol: 'TCP', containerPort: 80 }] }] } }, replicas: 5 } };
  const out = projectLive(live, desired);
  assert.deepEqual(out, { spec: { replicas: 5, template: { spec: { containers: [{ name: 'web', image: 'nginx:2', ports: [{ containerPort: 80 }] }] } } } });
  assert.deepEqual(Object.keys((out as { spec: object }).spec), ['replicas', 'template']);
});

test('a field Git has and live lacks stays absent; extra live list items stay', () => {
  assert.deepEqual(projectLive({ a: 1 }, { a: 1, b: 2 }), { a: 1 });
  assert.deepEqual(projectLive({ l: [{ n: 'a', x: 1 }, { n: 'b' }] }, { l: [{ n: 'a' }] }), { l: [{ n: 'a' }, { n: 'b' }] });
  assert.deepEqual(projectLive({ m: 'scalar now' }, { m: { was: 'map' } }), { m: 'scalar now' });
});

test('apiVersion and kind come from the ref when the normalized live object lacks them', () => {
  const out = liveForDiff({ metadata: { name: 'x', uid: 'u' } }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, { apiVersion: 'v1', kind: 'ConfigMap' });
  assert.deepEqual(out, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
});
