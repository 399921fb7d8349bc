// The comparison's fast paths give the answers of the straightforward code they replaced: the walk
// (diffObjects) against the previous implementation, kept below as the reference, over many random
// desired/live pairs; canonicalEqual against canonicalJson; the field-name prefilter of atomic maps;
// the quantity parse cache; the lazily normalized copies of compareResource.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ATOMIC_MAP_FIELDS, isAtomicMap, isQuantityPath, listKeyDefault, listType } from '../../src/core/k8s/schema';
import { compareQuantities, quantityEquals } from '../../src/core/k8s/quantity';
import { canonicalEqual, canonicalJson, diffObjects, type RawDrift } from '../../src/core/reconcile/compare';
import { compareResource } from '../../src/core/reconcile/index';
import { normalizeObject } from '../../src/core/reconcile/normalize';
import { refOf, toPointer, type DesiredObject, type KubeObject } from '../../src/core/model';

// ---------------------------------------------------------------------------------------------
// The reference: diffObjects as it was before the fast paths (closures, a names array pushed per
// field, schema lookups at every map and list), verbatim but for the imports.

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function refEmptyish(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === false || v === 0) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isPlainObject(v)) return Object.values(v).every(refEmptyish);
  return false;
}
const HINTS = new Set(['limits', 'requests', 'capacity', 'hard', 'storage']);
function refQuantityPath(kind: string, names: string[]): boolean {
  try { if (isQuantityPath(kind, names)) return true; } catch { /* hint below */ }
  return names.some((n) => HINTS.has(n));
}
function refScalarEquals(desired: unknown, live: unknown, kind: string, names: string[]): boolean {
  if (desired === live) return true;
  const dt = typeof desired;
  const lt = typeof live;
  if ((dt === 'string' || dt === 'number') && (lt === 'string' || lt === 'number')) {
    if (dt !== lt && String(desired) === String(live)) return true;
    if (refQuantityPath(kind, names)) {
      try { return quantityEquals(desired, live); } catch { return false; }
    }
  }
  return false;
}
function refKeyOf(item: unknown, key: string, kind: string, names: string[]): unknown {
  if (!isPlainObject(item)) return undefined;
  const v = item[key];
  if (v !== undefined) return v;
  try { return listKeyDefault(kind, names, key); } catch { return undefined; }
}
function refSameKey(a: unknown, b: unknown, keys: string[], kind: string, names: string[]): boolean {
  return keys.every((k) => {
    const av = refKeyOf(a, k, kind, names);
    const bv = refKeyOf(b, k, kind, names);
    return av === bv || (av !== undefined && bv !== undefined && refScalarEquals(av, bv, kind, [...names, k]));
  });
}
function refDiff(desired: KubeObject, live: KubeObject): RawDrift[] {
  const kind = desired.kind;
  const out: RawDrift[] = [];
  const dPath: (string | number)[] = [];
  const lPath: (string | number)[] = [];
  const names: string[] = [];
  const emit = (d: unknown, l: unknown, liveHas: boolean) => {
    out.push({ path: toPointer(dPath), livePath: liveHas ? toPointer(lPath) : undefined, desired: d, live: l ?? undefined });
  };
  const walk = (d: unknown, l: unknown): void => {
    if (d === undefined || d === null) return;
    if (l === undefined || l === null) {
      if (!refEmptyish(d)) emit(d, undefined, false);
      return;
    }
    if (isPlainObject(d)) {
      if (!isPlainObject(l)) { emit(d, l, true); return; }
      const before = out.length;
      const top = dPath.length === 0;
      for (const key in d) {
        if (top && ['apiVersion', 'kind', 'status'].includes(key)) continue;
        dPath.push(key); lPath.push(key); names.push(key);
        walk(d[key], l[key]);
        dPath.pop(); lPath.pop(); names.pop();
      }
      if (out.length === before && !top && isAtomicMap(kind, names) && canonicalJson(d) !== canonicalJson(l)) emit(d, l, true);
      return;
    }
    if (Array.isArray(d)) {
      if (!Array.isArray(l)) {
        if (!(d.length === 0 && refEmptyish(l))) emit(d, l, true);
        return;
      }
      const lt = listType(kind, names);
      if (lt.type === 'map' && d.every((item) => isPlainObject(item) && lt.keys.some((k) => item[k] !== undefined))) {
        const used = new Set<number>();
        for (let i = 0; i < d.length; i++) {
          const item = d[i];
          let j = i < l.length && refSameKey(item, l[i], lt.keys, kind, names) && !used.has(i) ? i : -1;
          if (j < 0) j = l.findIndex((candidate, idx) => !used.has(idx) && refSameKey(item, candidate, lt.keys, kind, names));
          dPath.push(i);
          if (j < 0) {
            emit(item, undefined, false);
          } else {
            used.add(j);
            lPath.push(j);
            walk(item, l[j]);
            lPath.pop();
          }
          dPath.pop();
        }
        return;
      }
      if (lt.type === 'set') {
        const missing = d.some((m) => !l.some((x) => refScalarEquals(m, x, kind, names) || JSON.stringify(m) === JSON.stringify(x)));
        if (missing) emit(d, l, true);
        return;
      }
      if (d.length !== l.length) { emit(d, l, true); return; }
      for (let i = 0; i < d.length; i++) {
        dPath.push(i); lPath.push(i);
        walk(d[i], l[i]);
        dPath.pop(); lPath.pop();
      }
      return;
    }
    if (isPlainObject(l) || Array.isArray(l)) {
      if (!(refEmptyish(d) && refEmptyish(l))) emit(d, l, true);
      return;
    }
    if (!refScalarEquals(d, l, kind, names)) emit(d, l, true);
  };
  walk(desired, live);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Random desired/live pairs: realistic objects of several kinds, live with server defaults, then
// random edits on either side (values, types, quantities spelled otherwise, empties, nulls, extra
// keys, list items moved, added, dropped).

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const clone = <T>(v: T): T => structuredClone(v);

function samples(): KubeObject[] {
  const pod = () => ({
    nodeSelector: { disk: 'ssd' },
    tolerations: [{ key: 'k', operator: 'Exists' }],
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
    containers: [
      { name: 'app', image: 'nginx:1.25', command: ['sh', '-c', 'run'], ports: [{ containerPort: 8080 }, { containerPort: 53, protocol: 'UDP' }],
        env: [{ name: 'A', value: '1' }, { name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
        resources: { limits: { cpu: 0.5, memory: '1Gi' }, requests: { cpu: '100m', memory: 1073741824 } },
        volumeMounts: [{ name: 'cache', mountPath: '/cache' }] },
      { name: 'side', image: 'busybox', args: [] },
    ],
    volumes: [{ name: 'cache', emptyDir: { sizeLimit: '512Mi' } }],
    topologySpreadConstraints: [{ topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', maxSkew: 1 }],
  });
  return [
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'demo', labels: { app: 'web' }, finalizers: ['a', 'b'], annotations: {} },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, strategy: { rollingUpdate: { maxSurge: '25%' } },
        template: { metadata: { labels: { app: 'web' }, creationTimestamp: null }, spec: pod() } } },
    { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'cj' },
      spec: { schedule: '* * * * *', jobTemplate: { spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: pod() } } } } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'dns', port: 53, protocol: 'UDP', targetPort: 'dns' }] } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { A: 'x', B: '' }, binaryData: {} },
    { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'pvc' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, dataSource: { kind: 'VolumeSnapshot', name: 'snap' }, selector: { matchLabels: { t: 'x' } } } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np' },
      spec: { podSelector: { matchLabels: { a: '1' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { n: '1' } } }] }] } },
    { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' },
      spec: { selector: { matchLabels: { a: '1' } }, resources: { limits: { cpu: '1' } }, items: [{ name: 'a' }, { name: 'b' }] } },
  ];
}

/** What a server might hold: defaults added around the Git values (never changing them). */
function withDefaults(obj: KubeObject): KubeObject {
  const live = clone(obj) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  live.metadata = { ...live.metadata, uid: 'u', resourceVersion: '1', generation: 1 };
  live.status = { replicas: 1 };
  const visit = (v: unknown, key: string): void => {
    if (Array.isArray(v)) { v.forEach((x) => visit(x, key)); return; }
    if (!isPlainObject(v)) return;
    if (key === 'ports') v.protocol ??= 'TCP';
    if (key === 'containers') { v.imagePullPolicy = 'IfNotPresent'; v.terminationMessagePath = '/dev/termination-log'; }
    for (const [k, x] of Object.entries(v)) visit(x, k);
  };
  visit(live, '');
  if (live.spec && typeof live.spec === 'object') live.spec.defaulted = 'yes';
  return live;
}

const REPLACEMENTS: unknown[] = ['x', 'web', '1', 1, 0, '', false, true, null, {}, [], [1], { a: 1 }, '500m', 0.5, '1024Mi', '1Gi', 'abc', 8080, '8080', 'TCP', NaN, { matchLabels: { app: 'web' } }];

/** Every container and leaf position in `v`, as parent + key. */
function positions(v: unknown, out: [Record<string | number, unknown>, string | number][] = []): [Record<string | number, unknown>, string | number][] {
  if (Array.isArray(v)) v.forEach((x, i) => { out.push([v as unknown as Record<number, unknown>, i]); positions(x, out); });
  else if (isPlainObject(v)) for (const [k, x] of Object.entries(v)) { out.push([v, k]); positions(x, out); }
  return out;
}

function mutate(obj: unknown, r: () => number): void {
  const all = positions(obj);
  if (!all.length) return;
  const [parent, key] = all[Math.floor(r() * all.length)];
  const pick = r();
  if (pick < 0.45) parent[key] = clone(REPLACEMENTS[Math.floor(r() * REPLACEMENTS.length)]);
  else if (pick < 0.6) {
    if (Array.isArray(parent)) parent.splice(key as number, 1); else delete parent[key];
  } else if (pick < 0.75 && Array.isArray(parent[key]) && (parent[key] as unknown[]).length > 1) (parent[key] as unknown[]).reverse();
  else if (pick < 0.85 && Array.isArray(parent[key])) (parent[key] as unknown[]).push(clone((parent[key] as unknown[])[0] ?? 'extra'));
  else if (isPlainObject(parent[key])) (parent[key] as Record<string, unknown>)[`extra${Math.floor(r() * 3)}`] = clone(REPLACEMENTS[Math.floor(r() * REPLACEMENTS.length)]);
  else parent[key] = String(parent[key]);
}

test('diffObjects gives exactly what the previous implementation gave, over 4,000 random pairs', () => {
  const r = rng(20261127);
  const base = samples();
  let drifted = 0;
  for (let n = 0; n < 4000; n++) {
    const desired = clone(base[n % base.length]);
    const live = withDefaults(desired);
    const edits = Math.floor(r() * 4);
    for (let e = 0; e < edits; e++) mutate(r() < 0.5 ? desired : live, r);
    const expected = refDiff(desired, live);
    const actual = diffObjects(desired, live);
    assert.deepEqual(actual, expected, `pair ${n}: ${JSON.stringify(desired)}\nvs ${JSON.stringify(live)}`);
    if (expected.length) drifted++;
  }
  assert.ok(drifted > 1000, `the pairs exercise drift too (${drifted})`);
});

test('diffObjects matches the previous implementation on the corner cases random pairs miss', () => {
  const shared = { x: NaN, y: { z: NaN } };
  const cases: [KubeObject, KubeObject][] = [
    // The same object on both sides is still walked (NaN is never equal to itself).
    [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: shared }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: shared }],
    // isAtomicMap compares a PVC's path joined: a one-name path with a dot is atomic.
    [{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'p' }, 'spec.dataSource': { a: '1' } },
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'p' }, 'spec.dataSource': { a: '1', b: '2' } }],
    [{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'p' }, spec: { dataSourceRef: { a: '1' } } },
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'p' }, spec: { dataSourceRef: { a: '1', b: '2' } } }],
    // Keyed items inside keyed items, both at other live indices.
    [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] }] } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'b' }, { name: 'a', env: [{ name: 'Y', value: '3' }, { name: 'X', value: '1' }] }] } }],
    // Not objects at the top.
    [[1, 2] as unknown as KubeObject, [1, 3] as unknown as KubeObject],
    [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }, 'text' as unknown as KubeObject],
    [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } }, null as unknown as KubeObject],
  ];
  for (const [d, l] of cases) assert.deepEqual(diffObjects(d, l), refDiff(d, l), JSON.stringify(d));
  assert.equal(diffObjects(cases[0][0], cases[0][1]).length, 2);
  assert.deepEqual(diffObjects(cases[1][0], cases[1][1]).map((x) => x.path), ['/spec.dataSource']);
  assert.deepEqual(diffObjects(cases[3][0], cases[3][1]).map((x) => [x.path, x.livePath]), [['/spec/containers/0/env/1/value', '/spec/containers/1/env/0/value']]);
});

test('diffObjects: one call does not disturb the result of the one before (one walker is reused)', () => {
  const [deploy] = samples();
  const live = withDefaults(deploy) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  live.spec.replicas = 3;
  const first = diffObjects(deploy, live);
  const copy = structuredClone(first);
  const second = diffObjects(deploy, withDefaults(deploy));
  assert.deepEqual(first, copy);
  assert.deepEqual(second, []);
  assert.notEqual(diffObjects(deploy, withDefaults(deploy)), second, 'a fresh array per call');
});

test('canonicalEqual answers as comparing canonicalJson strings', () => {
  const values: unknown[] = [
    {}, { a: 1 }, { a: 1, b: null }, { a: 1, b: '' }, { b: 0, a: 1 }, { a: '1' }, { a: [1, null] }, { a: [1, undefined] },
    { a: [1] }, { a: [] }, { a: {} }, { a: { b: {} } }, { a: { b: 1 } }, { a: NaN }, { a: Infinity }, { a: null }, { a: [NaN] },
    { a: [null] }, { a: [{}] }, { a: [{ x: 0 }] }, { a: [[]] }, { a: true }, { a: false }, { matchLabels: { app: 'web' } },
    { matchLabels: { app: 'web', extra: 'x' } }, { matchLabels: { app: 'web' }, matchExpressions: [] }, { a: 'x', b: 'y' }, { b: 'y', a: 'x' },
    { a: [1, 2] }, { a: [2, 1] }, { a: -0 }, { a: [0] }, { a: [-0] }, { a: ['0'] }, { a: [false] }, { a: [''] }, { a: { b: [] } },
    JSON.parse('{"__proto__":{"a":1},"b":"y"}'), JSON.parse('{"__proto__":"x"}'), { b: 'y' }, { constructor: 'x' }, { toString: {} },
  ];
  let pairs = 0;
  for (const a of values) {
    for (const b of values) {
      assert.equal(canonicalEqual(a, b), canonicalJson(a) === canonicalJson(b), `${canonicalJson(a)} vs ${canonicalJson(b)}`);
      pairs++;
    }
  }
  assert.ok(pairs > 1000);
  assert.equal(canonicalEqual({ a: [1, null] }, { a: [1, undefined] }), true, 'null and undefined print alike in arrays');
  assert.equal(canonicalEqual({ a: 1, b: null }, { a: 1 }), true, 'empties are dropped');
  assert.equal(canonicalEqual({ a: '1' }, { a: 1 }), false, 'a string is not a number');
});

test('isAtomicMap says yes only at the field names the walk asks it about', () => {
  const kinds = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod', 'Service', 'PersistentVolumeClaim', 'NetworkPolicy',
    'PodDisruptionBudget', 'ConfigMap', 'Widget'];
  const fields = ['spec', 'template', 'jobTemplate', 'metadata', 'labels', 'selector', 'matchLabels', 'podSelector', 'namespaceSelector',
    'labelSelector', 'nodeSelector', 'containers', 'env', 'valueFrom', 'configMapKeyRef', 'secretKeyRef', 'fieldRef', 'resourceFieldRef',
    'affinity', 'nodeAffinity', 'podAffinity', 'requiredDuringSchedulingIgnoredDuringExecution', 'dataSource', 'dataSourceRef', 'resources',
    'spec.dataSource', 'spec.dataSourceRef', 'data'];
  let yes = 0;
  let paths = 0;
  // Every path of up to 3 names from the list, and up to 2 below each pod spec root.
  const walk = (path: string[]) => {
    for (const kind of kinds) {
      paths++;
      if (isAtomicMap(kind, path)) {
        yes++;
        const last = path[path.length - 1];
        assert.ok(ATOMIC_MAP_FIELDS.has(last) || (kind === 'PersistentVolumeClaim' && path.length === 1), `${kind} ${path.join('.')}`);
      }
    }
    if (path.length < 3) for (const f of fields) walk([...path, f]);
  };
  walk([]);
  for (const root of [['spec', 'template', 'spec'], ['spec', 'jobTemplate', 'spec', 'template', 'spec']]) {
    for (const a of fields) for (const b of fields) walk([...root, a, b]);
  }
  assert.ok(paths > 100_000 && yes > 500, `${yes} of ${paths}`);
  assert.ok(isAtomicMap('PersistentVolumeClaim', ['spec.dataSource']), 'the joined comparison: why one-name PVC paths are asked too');
});

test('listType reads pod-spec paths in place: container resources.claims keyed by name', () => {
  assert.deepEqual(listType('Deployment', 'spec.template.spec.containers.resources.claims'.split('.')), { type: 'map', keys: ['name'] });
  assert.deepEqual(listType('Pod', 'spec.initContainers.resources.claims'.split('.')), { type: 'map', keys: ['name'] });
  assert.deepEqual(listType('Pod', 'spec.volumes.resources.claims'.split('.')), { type: 'atomic' }, 'only under containers');
  assert.deepEqual(listType('Pod', ['spec', 'containers', 'x', 'resources.claims']), { type: 'map', keys: ['name'] }, 'the joined comparison, as before');
  assert.deepEqual(listType('Pod', ['spec', 'containers', 'resources', 'claims', 'more']), { type: 'atomic' });
  assert.deepEqual(listType('Deployment', ['spec', 'template', 'spec']), { type: 'atomic' }, 'the pod spec itself is no list');
});

test('quantityEquals: remembered parses give the same answers, invalid values included, past the cache size', () => {
  for (let round = 0; round < 2; round++) {
    assert.equal(quantityEquals(0.5, '500m'), true);
    assert.equal(quantityEquals('1Gi', '1024Mi'), true);
    assert.equal(quantityEquals('1G', '1Gi'), false);
    assert.equal(quantityEquals('abc', 'abc'), true, 'equal strings');
    assert.equal(quantityEquals('abc', 'abd'), false);
    assert.equal(quantityEquals('0.5', 0.5), true);
    assert.equal(quantityEquals(NaN, NaN), false);
    assert.equal(quantityEquals(-0, '0'), true);
  }
  for (let i = 0; i < 3000; i++) assert.equal(quantityEquals(`${i}m`, i / 1000), true, `${i}m`);
  assert.equal(quantityEquals(0.5, '500m'), true);
});

test('quantityEquals (by remembered value keys) agrees with compareQuantities on every pair of a table', () => {
  const values: (string | number)[] = ['0', 0, '0m', '0Ki', '0.0', '-0', '1', 1, '1000m', '1k', '1e3', '1E3', 1000, '1000', '0.001k', '1Ki', 1024, '1024',
    '1.5', '1500m', 1.5, '0.5', 0.5, '500m', '500000u', '500000000n', '1n', '0.1n', '1Gi', '1024Mi', '1073741824', '1G', '1e9', 1e9, '100m', '0.1',
    '-1', '-1000m', '-1k', '10', '10e0', '1e1', '100e-1', '12345678901234567890', '1.2345678901234567890e19', '1Ei', '1152921504606846976', 'x', '', '1.5.5', NaN];
  let compared = 0;
  for (const a of values) {
    for (const b of values) {
      let expected: boolean;
      try { expected = a === b || compareQuantities(a, b) === 0; } catch { expected = a === b; }
      assert.equal(quantityEquals(a, b), expected, `${String(a)} vs ${String(b)}`);
      compared++;
    }
  }
  assert.ok(compared > 2000);
});

test('compareResource: the normalized copies are own enumerable getters, built once, on first read', () => {
  const [deploy] = samples();
  const desired: DesiredObject = { ref: refOf(deploy), object: deploy, source: { file: 'f', line: 1 }, fieldSources: new Map() };
  const live = withDefaults(deploy);
  const a = compareResource({ desired, live, rules: [] });
  const b = compareResource({ desired, live, rules: [] });
  assert.deepEqual(Object.keys(a), ['resource', 'errors', 'desiredNormalized', 'liveNormalized']);
  const descriptor = Object.getOwnPropertyDescriptor(a, 'desiredNormalized')!;
  assert.equal(descriptor.enumerable, true);
  assert.equal(descriptor.configurable, true);
  assert.equal(typeof descriptor.get, 'function');
  assert.equal(a.desiredNormalized, a.desiredNormalized, 'built once');
  assert.deepEqual(a.desiredNormalized, normalizeObject(deploy));
  assert.deepEqual(b.liveNormalized, normalizeObject(live));
  assert.notEqual(a.liveNormalized, b.liveNormalized, 'each result its own copy');
  assert.notEqual(a.errors, b.errors, 'each result its own errors array');
  assert.deepEqual(JSON.parse(JSON.stringify(a)).liveNormalized, normalizeObject(live));
  assert.equal(a.resource.status, 'Synced');
  assert.equal('desiredNormalized' in a && 'liveNormalized' in a, true);
});
