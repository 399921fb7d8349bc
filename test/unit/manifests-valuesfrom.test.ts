// Flux HelmRelease valuesFrom merge (helm-controller's order and MergeMaps), helm's `--set` parser that
// targetPath uses, and discovery of valuesFrom / Argo CD helm.fileParameters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { appFromArgoApplication, appFromFluxObject } from '../../src/core/manifests/discover';
import { fluxValues, maskSecretValues, mergeMaps, parseSetInto, setTargetPath } from '../../src/core/manifests/helm';
import type { KubeObject } from '../../src/core/model';
import { projectRoot } from '../support/tools';

const set = (expr: string, strings = false, into: Record<string, unknown> = {}) => {
  parseSetInto(into, expr, strings);
  return into;
};

test('mergeMaps: maps merge deeply; lists, scalars and null replace; the inputs are left as they were', () => {
  const a = { image: { repository: 'nginx', tag: '1.25' }, hosts: ['a', 'b'], mode: { x: 1 }, keep: 1 };
  const b = { image: { tag: '1.27' }, hosts: ['c'], mode: 'flat', keep: null };
  const aBefore = structuredClone(a);
  const out = mergeMaps(a, b);
  assert.deepEqual(out, { image: { repository: 'nginx', tag: '1.27' }, hosts: ['c'], mode: 'flat', keep: null });
  assert.deepEqual(a, aBefore);
  assert.deepEqual(mergeMaps({ s: 'x' }, { s: { now: 'a map' } }), { s: { now: 'a map' } });
  (out.hosts as string[]).push('mutated');
  assert.deepEqual(b.hosts, ['c'], 'values are copied, not shared');
});

test('--set parser: types, nesting, list indices, escapes, several assignments, lists', () => {
  assert.deepEqual(set('a=true,b=FALSE,c=Null,d=0,e=42,f=-7,g=007,h=1.5,i=+3,j=text'),
    { a: true, b: false, c: null, d: 0, e: 42, f: -7, g: '007', h: '1.5', i: 3, j: 'text' });
  assert.deepEqual(set('a=true,e=42', true), { a: 'true', e: '42' }, '--set-string keeps strings');
  assert.deepEqual(set('image.tag=1.27'), { image: { tag: '1.27' } }, 'not an integer: a string');
  assert.deepEqual(set('hosts[2]=c'), { hosts: [null, null, 'c'] }, 'lists are padded with null');
  assert.deepEqual(set('hosts[1].name=b', false, { hosts: [{ name: 'a' }, { name: 'x', port: 80 }] }),
    { hosts: [{ name: 'a' }, { name: 'b', port: 80 }] }, 'an index into an existing list keeps the rest');
  assert.deepEqual(set('a\\.b=1'), { 'a.b': 1 }, 'escaped dot in a key');
  assert.deepEqual(set('msg=one\\,two'), { msg: 'one,two' }, 'escaped comma in a value');
  assert.deepEqual(set('x=1,y.z=two'), { x: 1, y: { z: 'two' } });
  assert.deepEqual(set('list={a,2,true}'), { list: ['a', 2, true] });
  assert.deepEqual(set('list={a,b},n=1'), { list: ['a', 'b'], n: 1 });
  assert.deepEqual(set('a=x\n'), { a: 'x\n' }, 'the value is taken whole, newline included');
  assert.throws(() => set('a=1,b'), /key "b" has no value/);
  assert.throws(() => set('list={a,b'), /list must terminate/);
  assert.throws(() => set('a[x]=1'), /invalid list index/);
});

test('targetPath: typed like --set; a quoted value is a string with its quotes trimmed', () => {
  const v: Record<string, unknown> = { image: { repository: 'nginx' } };
  setTargetPath(v, 'image.tag', '1.27');
  assert.deepEqual(v, { image: { repository: 'nginx', tag: '1.27' } });
  assert.deepEqual((() => { const o = {}; setTargetPath(o, 'replicaCount', '3'); return o; })(), { replicaCount: 3 });
  assert.deepEqual((() => { const o = {}; setTargetPath(o, 'replicaCount', '"3"'); return o; })(), { replicaCount: '3' });
  assert.deepEqual((() => { const o = {}; setTargetPath(o, 'flag', "'true'"); return o; })(), { flag: 'true' });
});

test('fluxValues: valuesFrom in order (later wins), spec.values over all of them, targetPath set into the merge', () => {
  const base = { values: { replicaCount: 1, image: { repository: 'nginx', tag: '1.25' }, hosts: ['a'] } };
  const later = { values: { replicaCount: 3, image: { tag: '1.27' } } };
  const tag = { targetPath: 'image.tag', data: '1.28' };
  const inline = { replicaCount: 4 };
  assert.deepEqual(fluxValues([base, later], inline), { replicaCount: 4, image: { repository: 'nginx', tag: '1.27' }, hosts: ['a'] });
  assert.deepEqual(fluxValues([base, tag, later], inline), { replicaCount: 4, image: { repository: 'nginx', tag: '1.27' }, hosts: ['a'] },
    'a later whole-values entry overrides an earlier targetPath');
  assert.deepEqual(fluxValues([base, later, tag], inline), { replicaCount: 4, image: { repository: 'nginx', tag: '1.28' }, hosts: ['a'] });
  assert.deepEqual(fluxValues([base, tag], { image: { tag: '2.0' } }), { replicaCount: 1, image: { repository: 'nginx', tag: '2.0' }, hosts: ['a'] },
    'spec.values wins over a targetPath too (it is merged last)');
  assert.deepEqual(fluxValues([base, { targetPath: 'hosts[1]', data: 'b' }]), { replicaCount: 1, image: { repository: 'nginx', tag: '1.25' }, hosts: ['a', 'b'] });
  assert.deepEqual(fluxValues([], { a: 1 }), { a: 1 });
  assert.deepEqual(fluxValues([base], { hosts: null }), { replicaCount: 1, image: { repository: 'nginx', tag: '1.25' }, hosts: null },
    'null stays in the user values: helm deletes the key when it merges them over the chart');
});

test('maskSecretValues: every occurrence, longest first; values too short to tell anything are left', () => {
  assert.equal(maskSecretValues('password "hunter22" rejected: hunter22', ['hunter22']), 'password "***" rejected: ***');
  assert.equal(maskSecretValues('token abcdef and abc', ['abc', 'abcdef']), 'token *** and ***');
  assert.equal(maskSecretValues('replicas 1 of db', ['1', 'db', '  ']), 'replicas 1 of db');
});

test('discovery: HelmRelease valuesFrom entries and Application helm.fileParameters (relative and $ref)', () => {
  const root = path.join(projectRoot, 'test/fixtures/helm-values-from');
  const release: KubeObject = {
    apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'web', namespace: 'shop' },
    spec: {
      chart: { spec: { chart: './apps', sourceRef: { kind: 'GitRepository', name: 'flux-system' } } },
      valuesFrom: [
        { kind: 'ConfigMap', name: 'a' },
        { kind: 'Secret', name: 'b', valuesKey: 'extra.yaml', targetPath: 'x.y', optional: true },
        { kind: 'ConfigMap' }, // no name: not an entry the CRD accepts
      ],
    },
  };
  assert.deepEqual(appFromFluxObject(release, root)?.helm?.valuesFrom, [
    { kind: 'ConfigMap', name: 'a' },
    { kind: 'Secret', name: 'b', valuesKey: 'extra.yaml', targetPath: 'x.y', optional: true },
  ]);
  const application: KubeObject = {
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'w', namespace: 'argocd' },
    spec: {
      destination: { namespace: 'files' },
      sources: [
        { repoURL: 'r', path: 'apps', helm: { fileParameters: [{ name: 'a', path: 'files/a.txt' }, { name: 'b', path: '$values/config/db-user.txt' }, { name: 'c' }] } },
        { repoURL: 'r', ref: 'values' },
      ],
    },
  };
  assert.deepEqual(appFromArgoApplication(application, root)?.helm?.fileParameters, [
    { name: 'a', path: path.join(root, 'apps/files/a.txt') },
    { name: 'b', path: path.join(root, 'config/db-user.txt') },
  ]);
});
