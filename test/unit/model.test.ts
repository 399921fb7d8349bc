import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromPointer, groupOf, refKey, toPointer } from '../../src/core/model';

test('JSON pointers escape ~ and / and round-trip', () => {
  const segs = ['metadata', 'annotations', 'argocd.argoproj.io/tracking-id', 'a~b'];
  const p = toPointer(segs);
  assert.equal(p, '/metadata/annotations/argocd.argoproj.io~1tracking-id/a~0b');
  assert.deepEqual(fromPointer(p), segs);
  assert.deepEqual(fromPointer(''), []);
});

test('group and key of an object ref ignore the version', () => {
  assert.equal(groupOf('apps/v1'), 'apps');
  assert.equal(groupOf('v1'), '');
  assert.equal(refKey({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo', name: 'web' }),
    refKey({ apiVersion: 'apps/v1beta2', kind: 'Deployment', namespace: 'demo', name: 'web' }));
});

test('kindKeyOfRefKey: the kind key of a refKey is the kind key of its ref', async () => {
  const { kindKeyOf, kindKeyOfRefKey, refKey } = await import('../../src/core/model');
  for (const ref of [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'web', name: 'a' }, { apiVersion: 'v1', kind: 'Namespace', name: 'n' }, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', namespace: 'argocd', name: 'x/y' }]) {
    assert.equal(kindKeyOfRefKey(refKey(ref)), kindKeyOf(ref.apiVersion, ref.kind));
  }
});
