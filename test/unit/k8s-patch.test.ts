import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError } from '../../src/core/k8s/patch';

function deployment() {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web', tier: 'fe' }, finalizers: ['a', 'b'] },
    spec: {
      replicas: 2,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'app', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }],
              env: [{ name: 'MODE', value: 'prod' }, { name: 'B', value: '2' }], args: ['--a', '--b'] },
            { name: 'side', image: 'busybox:1.36' },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
          tolerations: [{ key: 'k', operator: 'Exists' }],
        },
      },
    },
  };
}

const frozen = () => Object.freeze(deployment());

test('merge patch: null deletes, objects merge, arrays replace, input untouched', () => {
  const input = deployment();
  const before = JSON.stringify(input);
  const out = applyMergePatch(input, { metadata: { labels: { tier: null, team: 'x' } }, spec: { replicas: 5,
    template: { spec: { containers: [{ name: 'only' }] } } } }) as any;
  assert.deepEqual(out.metadata.labels, { app: 'web', team: 'x' });
  assert.equal(out.spec.replicas, 5);
  assert.deepEqual(out.spec.template.spec.containers, [{ name: 'only' }]);
  assert.equal(JSON.stringify(input), before);
  assert.deepEqual(applyMergePatch({ a: 1 }, 'x'), 'x');
  assert.deepEqual(applyMergePatch('x', { a: { b: null, c: 1 } }), { a: { c: 1 } });
});

test('JSON patch: all six operations, escapes and the append index', () => {
  const input = { a: { 'x/y': 1, 'm~n': 2 }, list: [1, 2, 3] };
  const out = applyJsonPatch(input, [
    { op: 'add', path: '/list/-', value: 4 },
    { op: 'add', path: '/list/0', value: 0 },
    { op: 'replace', path: '/a/x~1y', value: 10 },
    { op: 'remove', path: '/a/m~0n' },
    { op: 'copy', from: '/list/1', path: '/first' },
    { op: 'move', from: '/first', path: '/a/moved' },
    { op: 'test', path: '/a/moved', value: 1 },
  ]);
  assert.deepEqual(out, { a: { 'x/y': 10, moved: 1 }, list: [0, 1, 2, 3, 4] });
  assert.deepEqual(input, { a: { 'x/y': 1, 'm~n': 2 }, list: [1, 2, 3] });
});

test('JSON patch errors are 422 PatchErrors', () => {
  const cases: unknown[][] = [
    [{ op: 'test', path: '/spec/replicas', value: 3 }],
    [{ op: 'replace', path: '/spec/nope', value: 1 }],
    [{ op: 'remove', path: '/spec/template/spec/containers/9' }],
    [{ op: 'add', path: '/spec/missing/deeper', value: 1 }],
    [{ op: 'add', path: 'no-slash', value: 1 }],
    [{ op: 'frobnicate', path: '/spec' }],
  ];
  for (const ops of cases) {
    assert.throws(() => applyJsonPatch(frozen(), ops as any), (e: unknown) => e instanceof PatchError && e.code === 422, JSON.stringify(ops));
  }
  assert.throws(() => applyJsonPatch(frozen(), {} as any), (e: unknown) => e instanceof PatchError && e.code === 400);
  // test of a deep value passes
  assert.doesNotThrow(() => applyJsonPatch(frozen(), [{ op: 'test', path: '/spec/template/spec/containers/0/ports/0', value: { containerPort: 80, protocol: 'TCP' } }]));
});

test('SMP as kubectl set image sends it ($setElementOrder/containers)', () => {
  const patch = { spec: { template: { spec: {
    '$setElementOrder/containers': [{ name: 'app' }, { name: 'side' }],
    containers: [{ image: 'nginx:1.26', name: 'app' }],
  } } } };
  const input = frozen();
  const out = applyStrategicMergePatch(input, patch, 'Deployment') as any;
  const cs = out.spec.template.spec.containers;
  assert.deepEqual(cs.map((c: any) => [c.name, c.image]), [['app', 'nginx:1.26'], ['side', 'busybox:1.36']]);
  assert.deepEqual(cs[0].env, input.spec.template.spec.containers[0].env, 'the rest of the container is kept');
  assert.ok(!('$setElementOrder/containers' in out.spec.template.spec));
  // The order list can reorder.
  const reordered = applyStrategicMergePatch(input, { spec: { template: { spec: {
    '$setElementOrder/containers': [{ name: 'side' }, { name: 'app' }] } } } }, 'Deployment') as any;
  assert.deepEqual(reordered.spec.template.spec.containers.map((c: any) => c.name), ['side', 'app']);
});

test('SMP keyed lists merge by key; other lists replace; new items go first as upstream does', () => {
  const out = applyStrategicMergePatch(frozen(), { spec: { template: { spec: {
    containers: [{ name: 'app', env: [{ name: 'B', value: '3' }, { name: 'C', value: 'c' }], args: ['--z'],
      ports: [{ containerPort: 80, name: 'http' }] }],
    tolerations: [{ key: 'other', operator: 'Exists' }],
  } } } }, 'Deployment') as any;
  const app = out.spec.template.spec.containers[0];
  assert.deepEqual(out.spec.template.spec.containers.map((c: any) => c.name), ['app', 'side']);
  assert.deepEqual(app.env, [{ name: 'MODE', value: 'prod' }, { name: 'B', value: '3' }, { name: 'C', value: 'c' }]);
  assert.deepEqual(app.args, ['--z'], 'args replace');
  assert.deepEqual(app.ports, [{ containerPort: 80, protocol: 'TCP', name: 'http' }], 'ports merge by containerPort');
  assert.deepEqual(out.spec.template.spec.tolerations, [{ key: 'other', operator: 'Exists' }]);
  // A brand-new container without $setElementOrder lands first (mergeSortedSlice puts unknown patch items first).
  const added = applyStrategicMergePatch(frozen(), { spec: { template: { spec: { containers: [{ name: 'new', image: 'x' }] } } } }, 'Deployment') as any;
  assert.deepEqual(added.spec.template.spec.containers.map((c: any) => c.name), ['new', 'app', 'side']);
  // apimachinery's own case "preserve the order from the patch in a merging list 2".
  const upstream = applyStrategicMergePatch({ spec: { template: { spec: { containers: [{ name: '1' }, { name: '2', v: 'b' }, { name: '3' }] } } } },
    { spec: { template: { spec: { containers: [{ name: '3', v: 'c' }, { name: '1', v: 'a' }] } } } }, 'Deployment') as any;
  assert.deepEqual(upstream.spec.template.spec.containers, [{ name: '2', v: 'b' }, { name: '3', v: 'c' }, { name: '1', v: 'a' }]);
  // Opt-in: new items after the live ones.
  const appended = applyStrategicMergePatch(frozen(), { spec: { template: { spec: { containers: [{ name: 'new', image: 'x' }] } } } }, 'Deployment', { newItemsLast: true }) as any;
  assert.deepEqual(appended.spec.template.spec.containers.map((c: any) => c.name), ['app', 'side', 'new']);
});

test('SMP directives: $patch delete/replace, $retainKeys, $deleteFromPrimitiveList, null', () => {
  const out = applyStrategicMergePatch(frozen(), {
    metadata: { labels: { tier: null }, '$deleteFromPrimitiveList/finalizers': ['a'], finalizers: ['c'] },
    spec: {
      strategy: { $retainKeys: ['type'], type: 'Recreate' },
      template: { spec: {
        containers: [{ name: 'side', $patch: 'delete' }],
        volumes: [{ name: 'data', $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' } }],
      } },
    },
  }, 'Deployment') as any;
  assert.deepEqual(out.metadata.labels, { app: 'web' });
  assert.deepEqual(out.metadata.finalizers, ['c', 'b']);
  assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
  assert.deepEqual(out.spec.template.spec.containers.map((c: any) => c.name), ['app']);
  assert.deepEqual(out.spec.template.spec.volumes, [{ name: 'data', configMap: { name: 'cm' } }]);

  const replaced = applyStrategicMergePatch(frozen(), { spec: { template: { spec: {
    containers: [{ $patch: 'replace' }, { name: 'solo', image: 's' }] } } } }, 'Deployment') as any;
  assert.deepEqual(replaced.spec.template.spec.containers, [{ name: 'solo', image: 's' }]);
  const mapReplace = applyStrategicMergePatch(frozen(), { metadata: { labels: { $patch: 'replace', only: 'me' } } }, 'Deployment') as any;
  assert.deepEqual(mapReplace.metadata.labels, { only: 'me' });

  assert.throws(() => applyStrategicMergePatch(frozen(), { spec: { template: { spec: { containers: [{ image: 'no-name' }] } } } }, 'Deployment'),
    (e: unknown) => e instanceof PatchError && e.code === 422);
  assert.throws(() => applyStrategicMergePatch(frozen(), { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } }, 'Deployment'), PatchError);
});

test('SMP on Service ports merges by port, on a custom resource lists replace', () => {
  const svc = { kind: 'Service', spec: { ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }] } };
  const out = applyStrategicMergePatch(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }, 'Service') as any;
  assert.deepEqual(out.spec.ports, [{ port: 80, targetPort: 9090, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }]);
  const cr = { spec: { items: [{ name: 'a', v: 1 }, { name: 'b' }] } };
  assert.deepEqual((applyStrategicMergePatch(cr, { spec: { items: [{ name: 'a', v: 2 }] } }, 'Application') as any).spec.items, [{ name: 'a', v: 2 }]);
});

test("SMP: apimachinery's own custom cases (keyed list = containers, primitive merge list = finalizers)", () => {
  const wrapC = (containers: unknown) => ({ spec: { template: { spec: { containers } } } });
  const C = (o: any) => o.spec.template.spec.containers;
  const wrapF = (finalizers: unknown, extra: object = {}) => ({ metadata: { finalizers, ...extra } });
  const smp = (a: unknown, p: unknown) => applyStrategicMergePatch(a, p, 'Deployment') as any;
  // unique scalars when merging lists
  assert.deepEqual(smp(wrapF(['1', '2']), wrapF(['2', '3'])).metadata.finalizers, ['1', '2', '3']);
  // preserve the order from the patch in a merging int list (both variants)
  assert.deepEqual(smp(wrapF(['1', '2', '3']), wrapF(['3', '1', '2'])).metadata.finalizers, ['3', '1', '2']);
  assert.deepEqual(smp(wrapF(['1', '2', '3']), wrapF(['3', '1'])).metadata.finalizers, ['2', '3', '1']);
  // delete map from nested map
  assert.deepEqual(smp({ metadata: { labels: { a: '1', b: '1' } } }, { metadata: { labels: { $patch: 'delete' } } }).metadata.labels, {});
  // delete all items from merging list; merge empty merging lists
  assert.deepEqual(C(smp(wrapC([{ name: '1' }, { name: '2' }]), wrapC([{ $patch: 'replace' }]))), []);
  assert.deepEqual(C(smp(wrapC([]), wrapC([]))), []);
  // delete all keys from map; add key and delete all keys from map
  assert.deepEqual(smp({ name: 1, value: 1 }, { $patch: 'replace' }), {});
  assert.deepEqual(smp({ name: 1, value: 1 }, { other: 'a', $patch: 'replace' }), { other: 'a' });
  // preserve the order from the patch in a merging list
  assert.deepEqual(C(smp(wrapC([{ name: '1' }, { name: '2', value: 'b' }, { name: '3' }]), wrapC([{ name: '3', value: 'c' }, { name: '1', value: 'a' }, { name: '2', other: 'x' }]))),
    [{ name: '3', value: 'c' }, { name: '1', value: 'a' }, { name: '2', value: 'b', other: 'x' }]);
  // $setElementOrder contains an item that is not present in the list to be merged
  assert.deepEqual(C(smp(wrapC([{ name: '1' }, { name: '3' }]), { spec: { template: { spec: {
    '$setElementOrder/containers': [{ name: '3' }, { name: '2' }, { name: '1' }], containers: [{ name: '3', value: '3' }, { name: '1', value: '1' }] } } } })),
  [{ name: '3', value: '3' }, { name: '1', value: '1' }]);
  // ...and in an int list, with no patch list at all
  assert.deepEqual(smp(wrapF(['1', '3']), { metadata: { '$setElementOrder/finalizers': ['3', '2', '1'] } }).metadata.finalizers, ['3', '1']);
});
