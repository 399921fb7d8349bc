// Field-by-field comparison with Argo CD semantics, attribution, ignore rules, masking, statuses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffObjects } from '../../src/core/reconcile/compare';
import { compareResource, isTrackedBy, sourceFor } from '../../src/core/reconcile/index';
import { normalizeObject } from '../../src/core/reconcile/normalize';
import { refOf, type DesiredObject, type KubeObject, type ManagedFieldsEntry } from '../../src/core/model';

function desiredOf(object: KubeObject, sources: Record<string, number> = {}): DesiredObject {
  const file = '/repo/app/deploy.yaml';
  return { ref: refOf(object), object, source: { file, line: 1 }, fieldSources: new Map(Object.entries(sources).map(([p, line]) => [p, { file, line }])) };
}

const gitDeployment = (): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'demo', labels: { app: 'web' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' }, creationTimestamp: null },
      spec: {
        containers: [
          { name: 'app', image: 'nginx:1.25', ports: [{ containerPort: 80 }], env: [{ name: 'MODE', value: 'prod' }],
            resources: { limits: { cpu: 0.5, memory: '1Gi' }, requests: { cpu: '100m' } } },
          { name: 'side', image: 'busybox:1.36', command: ['sh', '-c', 'sleep 1d'] },
        ],
        volumes: [{ name: 'cache', emptyDir: {} }],
      },
    },
  },
});

/** What the API server holds after applying gitDeployment: defaults, canonical quantities, bookkeeping. */
const liveDeployment = (): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'web', namespace: 'demo', labels: { app: 'web', 'added-by': 'someone-else' }, uid: 'u1', resourceVersion: '42', generation: 1,
    creationTimestamp: '2026-01-01T00:00:00Z', annotations: { 'deployment.kubernetes.io/revision': '1' } },
  spec: {
    replicas: 2, revisionHistoryLimit: 10, progressDeadlineSeconds: 600,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          // order swapped on purpose: keyed lists are matched by name
          { name: 'side', image: 'busybox:1.36', command: ['sh', '-c', 'sleep 1d'], imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', resources: {} },
          { name: 'app', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'MODE', value: 'prod' }],
            resources: { limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '100m' } }, imagePullPolicy: 'IfNotPresent' },
        ],
        volumes: [{ name: 'cache', emptyDir: {} }],
        restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', securityContext: {}, schedulerName: 'default-scheduler', terminationGracePeriodSeconds: 30,
      },
    },
  },
  status: { replicas: 2, observedGeneration: 1 },
});

test('no phantom drift: server defaults, bookkeeping, live-only labels, reordered keyed lists, quantities, default protocol, empties', () => {
  assert.deepEqual(diffObjects(normalizeObject(gitDeployment()), normalizeObject(liveDeployment())), []);
});

test('drift paths use the desired (rendered) indices; keyed items matched by key', () => {
  const live = liveDeployment() as any;
  live.spec.replicas = 5;
  live.spec.template.spec.containers[1].image = 'nginx:1.26'; // 'app' is index 0 in Git, 1 live
  live.spec.template.spec.containers[1].env[0].value = 'debug';
  live.metadata.labels.app = 'changed';
  const drift = diffObjects(normalizeObject(gitDeployment()), normalizeObject(live));
  assert.deepEqual(drift.map((d) => [d.path, d.desired, d.live, d.livePath]), [
    ['/metadata/labels/app', 'web', 'changed', '/metadata/labels/app'],
    ['/spec/replicas', 2, 5, '/spec/replicas'],
    ['/spec/template/spec/containers/0/image', 'nginx:1.25', 'nginx:1.26', '/spec/template/spec/containers/1/image'],
    ['/spec/template/spec/containers/0/env/0/value', 'prod', 'debug', '/spec/template/spec/containers/1/env/0/value'],
  ]);
});

test('a keyed item missing live is drift at the item; an atomic list of another length is drift at the list', () => {
  const live = liveDeployment() as any;
  live.spec.template.spec.containers[1].env = [];
  live.spec.template.spec.containers[0].command = ['sh'];
  const drift = diffObjects(normalizeObject(gitDeployment()), normalizeObject(live));
  assert.deepEqual(drift.map((d) => d.path), ['/spec/template/spec/containers/0/env/0', '/spec/template/spec/containers/1/command']);
  assert.equal(drift[0].live, undefined);
});

test('quantities by value, int-or-string ports, Service targetPort', () => {
  const svc = (targetPort: unknown, port: unknown): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port, targetPort }] } });
  assert.deepEqual(diffObjects(svc(8080, 80), { ...svc(8080, 80), spec: { ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }], clusterIP: '10.0.0.1', type: 'ClusterIP' } }), []);
  assert.deepEqual(diffObjects(svc('8080', 80), svc(8080, 80)), [], 'int-or-string: "8080" and 8080');
  assert.equal(diffObjects(svc('http', 80), svc(8080, 80)).length, 1);
  const pod = (mem: unknown): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'a', resources: { limits: { memory: mem } } }] } } } });
  assert.deepEqual(diffObjects(pod('1024Mi'), pod('1Gi')), []);
  assert.equal(diffObjects(pod('1G'), pod('1Gi')).length, 1);
});

test('defaulted empties: {} / [] / null / "" / false in Git and absent live are equal; a real value absent live is drift', () => {
  const d: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', annotations: {} }, data: { a: '1' }, extra: { x: null, y: [], z: '', w: false } };
  const l: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1', b: 'live-only' } };
  assert.deepEqual(diffObjects(d, l), []);
  assert.deepEqual(diffObjects({ ...d, data: { a: '1', c: '3' } }, l).map((x) => [x.path, x.desired, x.live]), [['/data/c', '3', undefined]]);
});

test('atomic maps (selector, nodeSelector): a key only live has is drift', () => {
  const mk = (ns: Record<string, string>): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { spec: { nodeSelector: ns } } } });
  assert.deepEqual(diffObjects(mk({ a: '1' }), mk({ a: '1', b: '2' })).map((x) => x.path), ['/spec/template/spec/nodeSelector']);
  const labels = (l: Record<string, string>): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', labels: l } });
  assert.deepEqual(diffObjects(labels({ a: '1' }), labels({ a: '1', b: '2' })), [], 'metadata.labels is granular');
});

test('Secrets: stringData in Git equals data live; a change is masked like Argo CD', () => {
  const git: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'demo' }, stringData: { password: 'hunter2', user: 'admin' } };
  const live: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'demo' }, type: 'Opaque',
    data: { password: Buffer.from('hunter2').toString('base64'), user: Buffer.from('admin').toString('base64') } };
  assert.equal(compareResource({ desired: desiredOf(git), live, rules: [] }).resource.status, 'Synced');
  (live.data as any).password = Buffer.from('changed').toString('base64');
  const c = compareResource({ desired: desiredOf(git), live, rules: [] });
  assert.equal(c.resource.status, 'OutOfSync');
  assert.deepEqual(c.resource.drift.map((d) => [d.path, d.desired, d.live]), [['/data/password', '++++++++', '++++++++++++']]);
  assert.equal((c.desiredNormalized as any).data.user, '++++++++');
  assert.ok(!JSON.stringify(c).includes(Buffer.from('hunter2').toString('base64')), 'no secret byte leaves the comparison');
  assert.ok(!JSON.stringify(c).includes('hunter2'));
});

const fieldsOf = (manager: string, operation: 'Apply' | 'Update', fieldsV1: object, time = '2026-11-27T10:00:00Z'): ManagedFieldsEntry =>
  ({ manager, operation, apiVersion: 'apps/v1', time, fieldsType: 'FieldsV1', fieldsV1: fieldsV1 as Record<string, unknown> });

test('attribution: the live owner of each drifted field, with operation and time; source line of the Git value', () => {
  const live = liveDeployment() as any;
  live.spec.replicas = 5;
  live.spec.template.spec.containers[1].image = 'nginx:1.26';
  live.metadata.managedFields = [
    fieldsOf('argocd-controller', 'Apply', { 'f:spec': { 'f:selector': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"side"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } } } }),
    fieldsOf('kubectl', 'Update', { 'f:spec': { 'f:replicas': {} } }, '2026-11-27T11:00:00Z'),
    fieldsOf('kubectl-set', 'Update', { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { 'f:image': {} } } } } } }, '2026-11-27T11:05:00Z'),
  ];
  const c = compareResource({ desired: desiredOf(gitDeployment(), { '/spec/replicas': 7, '/spec/template/spec/containers/0': 14, '/spec/template/spec/containers/0/image': 15 }), live, rules: [] });
  assert.equal(c.resource.status, 'OutOfSync');
  const byPath = Object.fromEntries(c.resource.drift.map((d) => [d.path, d]));
  assert.equal(byPath['/spec/replicas'].manager, 'kubectl');
  assert.equal(byPath['/spec/replicas'].operation, 'Update');
  assert.equal(byPath['/spec/replicas'].time, '2026-11-27T11:00:00Z');
  assert.equal(byPath['/spec/replicas'].source?.line, 7);
  assert.equal(byPath['/spec/template/spec/containers/0/image'].manager, 'kubectl-set');
  assert.equal(byPath['/spec/template/spec/containers/0/image'].source?.line, 15);
  assert.equal(c.resource.health, 'Progressing', 'health from status (no updatedReplicas)');
});

test('ignoreDifferences: jsonPointers, jqPathExpressions and managedFieldsManagers', () => {
  const live = liveDeployment() as any;
  live.spec.replicas = 5;
  live.spec.template.spec.containers[1].image = 'nginx:1.26';
  live.metadata.managedFields = [fieldsOf('kubectl-set', 'Update', { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { 'f:image': {} } } } } } })];
  const run = (rules: any[]) => compareResource({ desired: desiredOf(gitDeployment()), live, rules }).resource.drift.map((d) => d.path);
  assert.deepEqual(run([]), ['/spec/replicas', '/spec/template/spec/containers/0/image']);
  assert.deepEqual(run([{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }]), ['/spec/template/spec/containers/0/image']);
  assert.deepEqual(run([{ kind: 'Deployment', jqPathExpressions: ['.spec.template.spec.containers[] | select(.name == "app") | .image'] }]), ['/spec/replicas']);
  assert.deepEqual(run([{ kind: 'Deployment', managedFieldsManagers: ['kubectl-set'] }]), ['/spec/replicas']);
  assert.deepEqual(run([{ kind: 'Deployment', name: 'other', jsonPointers: ['/spec/replicas'] }]).length, 2, 'a rule for another object does not apply');
});

test('statuses: Missing and Extra; tracking by annotation, instance label, Flux labels', () => {
  const missing = compareResource({ desired: desiredOf(gitDeployment()), live: undefined, rules: [] });
  assert.equal(missing.resource.status, 'Missing');
  assert.equal(missing.resource.health, 'Missing');
  const extra = compareResource({ desired: undefined, live: liveDeployment(), rules: [] });
  assert.equal(extra.resource.status, 'Extra');
  const obj = (labels: Record<string, string>, annotations: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels, annotations } });
  assert.ok(isTrackedBy(obj({}, { 'argocd.argoproj.io/tracking-id': 'guestbook:/ConfigMap:demo/x' }), { name: 'guestbook' }));
  assert.ok(!isTrackedBy(obj({}, { 'argocd.argoproj.io/tracking-id': 'guestbook2:/ConfigMap:demo/x' }), { name: 'guestbook' }));
  assert.ok(isTrackedBy(obj({ 'app.kubernetes.io/instance': 'guestbook' }), { name: 'guestbook' }));
  assert.ok(isTrackedBy(obj({ 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' }),
    { name: 'apps', agent: 'flux', agentObject: { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', name: 'apps', namespace: 'flux-system' } }));
});

test('sourceFor walks up to the nearest mapped ancestor', () => {
  const d = desiredOf(gitDeployment(), { '/spec/template/spec/containers/0': 14 });
  assert.equal(sourceFor(d, '/spec/template/spec/containers/0/env/0/value').line, 14);
  assert.equal(sourceFor(d, '/spec/replicas').line, 1);
});
