import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exampleDeployment as manifest } from './k8sExample';
import type { KubeObject } from '../../src/core/model';
import {
  conflictMessage, decodeFieldsV1, encodeFieldsV1, ownerOf, recordUpdate, serverSideApply,
} from '../../src/core/k8s/managedFields';

// The three fieldsV1 documents of k8s-defaults.md §4+5, verbatim.
const EX1 = '{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"app\\"}":{".":{},"f:env":{"k:{\\"name\\":\\"MODE\\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:name":{},"f:ports":{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{}}}},"k:{\\"name\\":\\"side\\"}":{".":{},"f:env":{"k:{\\"name\\":\\"A\\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:name":{}}}}}}}';
const EX2 = '{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}},"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:progressDeadlineSeconds":{},"f:replicas":{},"f:revisionHistoryLimit":{},"f:selector":{},"f:strategy":{"f:rollingUpdate":{".":{},"f:maxSurge":{},"f:maxUnavailable":{}},"f:type":{}},"f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"app\\"}":{".":{},"f:env":{".":{},"k:{\\"name\\":\\"MODE\\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:ports":{".":{},"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{},"f:protocol":{}}},"f:resources":{},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}},"k:{\\"name\\":\\"side\\"}":{".":{},"f:env":{".":{},"k:{\\"name\\":\\"A\\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:resources":{},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},"f:dnsPolicy":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},"f:terminationGracePeriodSeconds":{}}}}}';
const COND = '{".":{},"f:lastTransitionTime":{},"f:lastUpdateTime":{},"f:message":{},"f:reason":{},"f:status":{},"f:type":{}}';
const EX3 = `{"f:status":{"f:availableReplicas":{},"f:conditions":{".":{},"k:{\\"type\\":\\"Available\\"}":${COND},"k:{\\"type\\":\\"Progressing\\"}":${COND}},"f:observedGeneration":{},"f:readyReplicas":{},"f:replicas":{},"f:updatedReplicas":{}}}`;

const T0 = '2026-11-27T10:00:00Z';
const T1 = '2026-11-27T10:05:00Z';
const T2 = '2026-11-27T10:10:00Z';


/** What the API server stores after defaulting the manifest (hand-written to keep this test independent). */
function defaulted(m: KubeObject): KubeObject {
  const o = structuredClone(m) as any;
  Object.assign(o.spec, { progressDeadlineSeconds: 600, revisionHistoryLimit: 10,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } });
  Object.assign(o.spec.template.spec, { dnsPolicy: 'ClusterFirst', restartPolicy: 'Always', schedulerName: 'default-scheduler',
    securityContext: {}, terminationGracePeriodSeconds: 30 });
  for (const c of o.spec.template.spec.containers) {
    Object.assign(c, { imagePullPolicy: 'IfNotPresent', resources: {}, terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File' });
    for (const p of c.ports ?? []) p.protocol ??= 'TCP';
  }
  o.status = {}; // a non-pointer struct: always serialized
  return o;
}

function applyOk(r: ReturnType<typeof serverSideApply>): KubeObject {
  assert.ok('object' in r, `unexpected conflicts: ${JSON.stringify((r as any).conflicts)}`);
  return r.object;
}

test('fieldsV1 decode/encode round-trips the three documented examples byte for byte', () => {
  for (const ex of [EX1, EX2, EX3]) {
    assert.equal(JSON.stringify(encodeFieldsV1(decodeFieldsV1(JSON.parse(ex)))), ex);
  }
});

test('example 1: kubectl apply --server-side (create) owns exactly the applied fields', () => {
  const obj = applyOk(serverSideApply({ applied: manifest(), manager: 'kubectl', force: false, now: T0, apiVersion: 'apps/v1' }));
  const mf = obj.metadata.managedFields!;
  assert.equal(mf.length, 1);
  assert.deepEqual({ ...mf[0], fieldsV1: undefined }, { manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: T0, fieldsType: 'FieldsV1', fieldsV1: undefined });
  assert.equal(JSON.stringify(mf[0].fieldsV1), EX1);
  assert.equal((obj.spec as any).template.spec.containers[0].image, 'nginx:1.25');
});

test('example 2: client-side create (Update) owns what it wrote, defaults included', () => {
  const m = manifest();
  m.metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': '{}\n' };
  const mf = recordUpdate({ after: defaulted(m), manager: 'kubectl-client-side-apply', now: T0, apiVersion: 'apps/v1' });
  assert.equal(mf.length, 1);
  assert.equal(mf[0].operation, 'Update');
  assert.equal(mf[0].subresource, undefined);
  assert.equal(JSON.stringify(mf[0].fieldsV1), EX2);
});

test('example 3: controller status Update on /status, plus its main-resource annotation', () => {
  // The object of example 2 (client-side applied, so it carries the last-applied annotation).
  const m = manifest();
  m.metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': '{}\n' };
  const live = defaulted(m);
  live.metadata.managedFields = recordUpdate({ after: live, manager: 'kubectl-client-side-apply', now: T0, apiVersion: 'apps/v1' });
  const cond = (type: string) => ({ type, status: 'True', lastTransitionTime: T1, lastUpdateTime: T1, reason: 'R', message: 'm' });
  const withStatus = structuredClone(live);
  withStatus.status = { availableReplicas: 2, conditions: [cond('Available'), cond('Progressing')], observedGeneration: 1,
    readyReplicas: 2, replicas: 2, updatedReplicas: 2 };
  const mf = recordUpdate({ before: live, after: withStatus, manager: 'kube-controller-manager', now: T1, apiVersion: 'apps/v1', subresource: 'status' });
  const status = mf.find((e) => e.manager === 'kube-controller-manager')!;
  assert.equal(status.subresource, 'status');
  assert.equal(JSON.stringify(status.fieldsV1), EX3);
  // Main-resource update of the revision annotation: its own entry, no subresource.
  withStatus.metadata.managedFields = mf;
  const annotated = structuredClone(withStatus);
  annotated.metadata.annotations = { ...annotated.metadata.annotations, 'deployment.kubernetes.io/revision': '1' };
  const mf2 = recordUpdate({ before: withStatus, after: annotated, manager: 'kube-controller-manager', now: T1, apiVersion: 'apps/v1' });
  const main = mf2.find((e) => e.manager === 'kube-controller-manager' && !e.subresource)!;
  assert.equal(JSON.stringify(main.fieldsV1), '{"f:metadata":{"f:annotations":{"f:deployment.kubernetes.io/revision":{}}}}');
  assert.deepEqual(mf2.map((e) => [e.manager, e.subresource ?? '']), [
    ['kubectl-client-side-apply', ''], ['kube-controller-manager', ''], ['kube-controller-manager', 'status']]);
});

test('SSA conflict with another manager, then force moves ownership', () => {
  const first = applyOk(serverSideApply({ applied: manifest(), manager: 'argocd-controller', force: false, now: T0, apiVersion: 'apps/v1' }));
  // kubectl set image (Update by kubectl-set) changes the image.
  const edited = structuredClone(first) as any;
  edited.spec.template.spec.containers[0].image = 'nginx:1.26';
  edited.metadata.managedFields = recordUpdate({ before: first, after: edited, manager: 'kubectl-set', now: T1, apiVersion: 'apps/v1' });
  assert.deepEqual(ownerOf(edited.metadata.managedFields, edited, '/spec/template/spec/containers/0/image'),
    { manager: 'kubectl-set', operation: 'Update', time: T1, subresource: undefined, apiVersion: 'apps/v1' });

  // A different manager applying another image conflicts with kubectl-set.
  const other = manifest() as any;
  other.spec.template.spec.containers[0].image = 'nginx:1.27';
  const r = serverSideApply({ live: edited, applied: other, manager: 'kubectl', force: false, now: T2, apiVersion: 'apps/v1' });
  assert.ok('conflicts' in r);
  assert.deepEqual(r.conflicts.map((c) => [c.manager, c.field, c.apiVersion]), [
    ['kubectl-set', '.spec.template.spec.containers[name="app"].image', 'apps/v1'],
  ]);
  assert.equal(conflictMessage(r.conflicts[0]), `conflict with "kubectl-set" using apps/v1 at ${T1}`);

  // Re-applying the same value another manager owns is not a conflict (shared ownership).
  const same = manifest() as any;
  same.spec.template.spec.containers[0].image = 'nginx:1.26';
  const shared = applyOk(serverSideApply({ live: edited, applied: same, manager: 'kubectl', force: false, now: T2, apiVersion: 'apps/v1' }));
  assert.ok(shared.metadata.managedFields!.some((e) => e.manager === 'kubectl-set'));

  // Force: the image changes and ownership moves; kubectl-set's entry (now empty) disappears.
  const forced = applyOk(serverSideApply({ live: edited, applied: other, manager: 'kubectl', force: true, now: T2, apiVersion: 'apps/v1' }));
  assert.equal((forced.spec as any).template.spec.containers[0].image, 'nginx:1.27');
  assert.ok(!forced.metadata.managedFields!.some((e) => e.manager === 'kubectl-set'));
  assert.equal(ownerOf(forced.metadata.managedFields, forced, '/spec/template/spec/containers/0/image')?.manager, 'kubectl');
});

test('SSA removes fields the manager stopped applying unless another manager owns them', () => {
  const first = applyOk(serverSideApply({ applied: manifest(), manager: 'argocd-controller', force: false, now: T0, apiVersion: 'apps/v1' }));
  // Someone else (Update) takes ownership of side's env A.
  const edited = structuredClone(first) as any;
  edited.spec.template.spec.containers[1].env[0].value = '2';
  edited.metadata.managedFields = recordUpdate({ before: first, after: edited, manager: 'kubectl-edit', now: T1, apiVersion: 'apps/v1' });

  const next = manifest() as any;
  delete next.metadata.labels;
  next.spec.template.spec.containers[0].env = undefined; // MODE no longer applied
  next.spec.template.spec.containers.pop(); // side no longer applied
  const out = applyOk(serverSideApply({ live: edited, applied: next, manager: 'argocd-controller', force: false, now: T2, apiVersion: 'apps/v1' }));
  const spec = (out.spec as any).template.spec;
  assert.equal(out.metadata.labels, undefined, 'labels emptied are dropped');
  assert.equal(spec.containers[0].env, undefined, 'MODE removed (env emptied -> dropped)');
  assert.equal(spec.containers.length, 2, 'side kept: kubectl-edit still owns a field inside it');
  assert.equal(spec.containers[1].env[0].value, '2');
});

test('SSA keeps live-only fields, merges keyed lists, drops status, moves time only on change', () => {
  const live = defaulted(manifest());
  live.metadata.uid = 'u1';
  live.status = { replicas: 2 };
  const first = applyOk(serverSideApply({ live, applied: manifest(), manager: 'argocd-controller', force: false, now: T0, apiVersion: 'apps/v1' }));
  assert.equal((first.spec as any).progressDeadlineSeconds, 600);
  assert.equal(first.metadata.uid, 'u1');
  const applied = manifest() as any;
  applied.status = { replicas: 99 };
  applied.spec.template.spec.containers = [{ name: 'side', image: 'busybox:1.36', env: [{ name: 'A', value: '1' }] },
    { name: 'app', image: 'nginx:1.25', ports: [{ containerPort: 80 }], env: [{ name: 'MODE', value: 'prod' }] }];
  const again = applyOk(serverSideApply({ live: first, applied, manager: 'argocd-controller', force: false, now: T2, apiVersion: 'apps/v1' }));
  assert.deepEqual(again.status, { replicas: 2 }, 'status ignored on the main resource');
  assert.deepEqual((again.spec as any).template.spec.containers.map((c: any) => c.name), ['side', 'app']);
  assert.equal((again.spec as any).template.spec.containers[1].imagePullPolicy, 'IfNotPresent');
  // Nothing but the order changed: time does move (object changed). Re-apply identical: time stays.
  const third = applyOk(serverSideApply({ live: again, applied, manager: 'argocd-controller', force: false, now: '2026-11-27T11:00:00Z', apiVersion: 'apps/v1' }));
  assert.equal(third.metadata.managedFields![0].time, again.metadata.managedFields![0].time);
});

test('ownerOf after a kubectl-scale style Update on /scale', () => {
  const first = applyOk(serverSideApply({ applied: manifest(), manager: 'argocd-controller', force: false, now: T0, apiVersion: 'apps/v1' }));
  const scaled = structuredClone(first) as any;
  scaled.spec.replicas = 5;
  scaled.metadata.managedFields = recordUpdate({ before: first, after: scaled, manager: 'kubectl', now: T1, apiVersion: 'apps/v1', subresource: 'scale' });
  const owner = ownerOf(scaled.metadata.managedFields, scaled, '/spec/replicas');
  assert.deepEqual(owner, { manager: 'kubectl', operation: 'Update', time: T1, subresource: 'scale', apiVersion: 'apps/v1' });
  assert.equal(ownerOf(scaled.metadata.managedFields, scaled, '/spec/template/spec/containers/1/image')?.manager, 'argocd-controller');
  // Inside an atomic selector: the selector's owner.
  assert.equal(ownerOf(scaled.metadata.managedFields, scaled, '/spec/selector/matchLabels/app')?.manager, 'argocd-controller');
  // Keyed list by live index; port resolved with its default protocol.
  assert.equal(ownerOf(scaled.metadata.managedFields, scaled, '/spec/template/spec/containers/0/ports/0/containerPort')?.manager, 'argocd-controller');
  // A defaulted field nobody wrote has no owner, unless asked for the nearest owned ancestor.
  const withDefault = structuredClone(scaled);
  withDefault.spec.template.spec.containers[0].imagePullPolicy = 'IfNotPresent';
  assert.equal(ownerOf(withDefault.metadata.managedFields, withDefault, '/spec/template/spec/containers/0/imagePullPolicy'), undefined);
  assert.equal(ownerOf(withDefault.metadata.managedFields, withDefault, '/spec/template/spec/containers/0/imagePullPolicy', { ancestors: true })?.manager, 'argocd-controller');
  // The scale Update conflicts with a later apply of a different replicas value by another manager.
  const r = serverSideApply({ live: scaled, applied: manifest(), manager: 'argocd-controller', force: false, now: T2, apiVersion: 'apps/v1' });
  assert.ok('conflicts' in r);
  assert.equal(conflictMessage(r.conflicts[0]), `conflict with "kubectl" with subresource "scale" using apps/v1 at ${T1}`);
  assert.equal(r.conflicts[0].field, '.spec.replicas');
});

test('recordUpdate: time moves only when the manager changed something; client [] resets', () => {
  const first = applyOk(serverSideApply({ applied: manifest(), manager: 'argocd-controller', force: false, now: T0, apiVersion: 'apps/v1' }));
  const same = recordUpdate({ before: first, after: structuredClone(first), manager: 'kubectl-edit', now: T1, apiVersion: 'apps/v1' });
  assert.deepEqual(same, first.metadata.managedFields);
  const labelled = structuredClone(first);
  labelled.metadata.labels = { ...labelled.metadata.labels, team: 'x' };
  const mf = recordUpdate({ before: first, after: labelled, manager: 'kubectl-label', now: T1, apiVersion: 'apps/v1' });
  assert.deepEqual(mf.map((e) => [e.manager, e.operation, e.time]), [['argocd-controller', 'Apply', T0], ['kubectl-label', 'Update', T1]]);
  assert.equal(JSON.stringify(mf[1].fieldsV1), '{"f:metadata":{"f:labels":{"f:team":{}}}}');
  const reset = structuredClone(labelled);
  reset.metadata.managedFields = [];
  assert.deepEqual(recordUpdate({ before: labelled, after: reset, manager: 'x', now: T2, apiVersion: 'apps/v1' }), []);
});

test('finalizers are a set and ownerReferences are keyed by uid', () => {
  const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', finalizers: ['a/b'],
    ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u-1' }] }, data: { k: 'v' } };
  const obj = applyOk(serverSideApply({ applied: cm, manager: 'm', force: false, now: T0, apiVersion: 'v1' }));
  assert.equal(JSON.stringify(obj.metadata.managedFields![0].fieldsV1),
    '{"f:data":{"f:k":{}},"f:metadata":{"f:finalizers":{"v:\\"a/b\\"":{}},"f:ownerReferences":{"k:{\\"uid\\":\\"u-1\\"}":{}}}}');
  const mf = recordUpdate({ after: cm, manager: 'kubectl-create', now: T0, apiVersion: 'v1' });
  assert.equal(JSON.stringify(mf[0].fieldsV1),
    '{"f:data":{".":{},"f:k":{}},"f:metadata":{"f:finalizers":{".":{},"v:\\"a/b\\"":{}},"f:ownerReferences":{".":{},"k:{\\"uid\\":\\"u-1\\"}":{}}}}');
});

test('kubectl server-side apply over a client-side-applied object: waiver and annotation rewrite', () => {
  const m = manifest();
  const lastApplied = JSON.stringify(m) + '\n';
  m.metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied };
  const live = defaulted(m);
  live.metadata.managedFields = recordUpdate({ after: live, manager: 'kubectl-client-side-apply', now: T0, apiVersion: 'apps/v1' });

  const next = manifest() as any;
  next.spec.replicas = 5;
  next.metadata.annotations = { note: '<a&b>' };
  // Another manager conflicts with the client-side owner...
  const other = serverSideApply({ live, applied: next, manager: 'argocd-controller', force: false, now: T1, apiVersion: 'apps/v1' });
  assert.ok('conflicts' in other);
  assert.deepEqual(other.conflicts.map((c) => [c.manager, c.field]), [['kubectl-client-side-apply', '.spec.replicas']]);
  // ...kubectl does not: the last-applied annotation declares replicas with the live value.
  const upgraded = applyOk(serverSideApply({ live, applied: next, manager: 'kubectl', force: false, now: T1, apiVersion: 'apps/v1' }));
  assert.equal((upgraded.spec as any).replicas, 5);
  const rewritten = upgraded.metadata.annotations!['kubectl.kubernetes.io/last-applied-configuration'];
  assert.ok(rewritten.endsWith('}\n'));
  const parsed = JSON.parse(rewritten);
  assert.equal(parsed.spec.replicas, 5);
  assert.deepEqual(parsed.metadata.annotations, { note: '<a&b>' });
  assert.ok(rewritten.includes('\\u003ca\\u0026b\\u003e'), 'HTML-escaped like Go');
  assert.ok(rewritten.startsWith('{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations"'), 'keys sorted');
  assert.equal(ownerOf(upgraded.metadata.managedFields, upgraded, '/spec/replicas')?.manager, 'kubectl');

  // Once someone else changed the field (scale), the waiver no longer applies.
  const scaled = structuredClone(live) as any;
  scaled.spec.replicas = 4;
  scaled.metadata.managedFields = recordUpdate({ before: live, after: scaled, manager: 'kubectl', now: T1, apiVersion: 'apps/v1', subresource: 'scale' });
  const r = serverSideApply({ live: scaled, applied: next, manager: 'kubectl', force: false, now: T2, apiVersion: 'apps/v1' });
  assert.ok('conflicts' in r);
  assert.deepEqual(r.conflicts.map((c) => [c.manager, c.subresource, c.field]), [['kubectl', 'scale', '.spec.replicas']]);
});

test('after managedFields were reset, a first apply of other values conflicts with before-first-apply', () => {
  const live = defaulted(manifest());
  live.metadata.managedFields = undefined;
  const next = manifest() as any;
  next.spec.replicas = 9;
  const r = serverSideApply({ live, applied: next, manager: 'argocd-controller', force: false, now: T1, apiVersion: 'apps/v1' });
  assert.ok('conflicts' in r);
  assert.deepEqual(r.conflicts.map((c) => [c.manager, c.field]), [['before-first-apply', '.spec.replicas']]);
  const forced = applyOk(serverSideApply({ live, applied: next, manager: 'argocd-controller', force: true, now: T1, apiVersion: 'apps/v1' }));
  assert.deepEqual(forced.metadata.managedFields!.map((e) => [e.manager, e.operation]), [['argocd-controller', 'Apply'], ['before-first-apply', 'Update']]);
  assert.equal(ownerOf(forced.metadata.managedFields, forced, '/spec/template/spec/containers/0/imagePullPolicy')?.manager, 'before-first-apply');
});

test('apply configurations with keyless or duplicate keyed-list items are 422', () => {
  const noName = manifest() as any;
  delete noName.spec.template.spec.containers[1].name;
  assert.throws(() => serverSideApply({ applied: noName, manager: 'm', force: false, now: T0, apiVersion: 'apps/v1' }),
    (e: any) => e.code === 422 && /omits key field "name"/.test(e.message) && e.message.startsWith('.spec.template.spec.containers'));
  const dup = manifest() as any;
  dup.spec.template.spec.containers[1].name = 'app';
  assert.throws(() => serverSideApply({ applied: dup, manager: 'm', force: false, now: T0, apiVersion: 'apps/v1' }),
    (e: any) => e.code === 422 && /duplicate entries for key \[name="app"\]/.test(e.message));
  // A port without protocol is fine: the key takes its default.
  assert.doesNotThrow(() => serverSideApply({ applied: manifest(), manager: 'm', force: false, now: T0, apiVersion: 'apps/v1' }));
});

test('more than 10 Update managers: the oldest merge into ancient-changes', () => {
  let obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: {} };
  for (let i = 0; i < 12; i++) {
    const next = structuredClone(obj);
    (next.data as any)[`k${i}`] = 'v';
    next.metadata.managedFields = recordUpdate({ before: obj, after: next, manager: `m${i}`, now: `2026-11-27T10:00:${String(i).padStart(2, '0')}Z`, apiVersion: 'v1' });
    obj = next;
  }
  const mf = obj.metadata.managedFields!;
  assert.equal(mf.length, 10);
  const ancient = mf.find((e) => e.manager === 'ancient-changes')!;
  assert.equal(ancient.time, '2026-11-27T10:00:02Z');
  assert.deepEqual(Object.keys((ancient.fieldsV1 as any)['f:data']).sort(), ['f:k0', 'f:k1', 'f:k2']);
  assert.equal(ownerOf(mf, obj, '/data/k1')?.manager, 'ancient-changes');
  assert.equal(ownerOf(mf, obj, '/data/k11')?.manager, 'm11');
  assert.deepEqual(mf.map((e) => e.manager), ['ancient-changes', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9', 'm10', 'm11'], 'sorted by time');
});
