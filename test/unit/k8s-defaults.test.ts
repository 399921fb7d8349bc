import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exampleDeployment as deployment } from './k8sExample';
import type { KubeObject } from '../../src/core/model';
import { applyDefaults, applyDefaultsReport, defaultedPaths, defaultPullPolicy } from '../../src/core/k8s/defaults';
import { recordUpdate } from '../../src/core/k8s/managedFields';

const clone = <T>(v: T): T => structuredClone(v);


function twiceIsOnce(o: KubeObject, ctx = {}) {
  const once = clone(o);
  applyDefaults(once, ctx);
  const twice = clone(once);
  applyDefaults(twice, ctx);
  assert.deepEqual(twice, once, `${o.kind}: defaulting twice differs from once`);
  return once as any;
}

test('Deployment defaults, and example 2 fieldsV1 from applyDefaults + recordUpdate', () => {
  const m = deployment();
  m.metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': '{}\n' };
  const d = twiceIsOnce(m);
  assert.equal(d.spec.revisionHistoryLimit, 10);
  assert.equal(d.spec.progressDeadlineSeconds, 600);
  assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  const ps = d.spec.template.spec;
  assert.deepEqual([ps.restartPolicy, ps.dnsPolicy, ps.schedulerName, ps.terminationGracePeriodSeconds], ['Always', 'ClusterFirst', 'default-scheduler', 30]);
  assert.deepEqual(ps.securityContext, {});
  assert.equal(ps.enableServiceLinks, undefined, 'Pod only');
  const c = ps.containers[0];
  assert.deepEqual([c.imagePullPolicy, c.terminationMessagePath, c.terminationMessagePolicy], ['IfNotPresent', '/dev/termination-log', 'File']);
  assert.deepEqual(c.ports, [{ containerPort: 80, protocol: 'TCP' }]);
  assert.deepEqual(c.resources, {});
  assert.deepEqual(d.status, {});
  assert.equal(d.spec.template.metadata.creationTimestamp, undefined);

  const mf = recordUpdate({ after: d, manager: 'kubectl-client-side-apply', now: '2026-11-27T10:00:00Z', apiVersion: 'apps/v1' });
  const EX2 = '{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}},"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:progressDeadlineSeconds":{},"f:replicas":{},"f:revisionHistoryLimit":{},"f:selector":{},"f:strategy":{"f:rollingUpdate":{".":{},"f:maxSurge":{},"f:maxUnavailable":{}},"f:type":{}},"f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"app\\"}":{".":{},"f:env":{".":{},"k:{\\"name\\":\\"MODE\\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:ports":{".":{},"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{},"f:protocol":{}}},"f:resources":{},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}},"k:{\\"name\\":\\"side\\"}":{".":{},"f:env":{".":{},"k:{\\"name\\":\\"A\\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:resources":{},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},"f:dnsPolicy":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},"f:terminationGracePeriodSeconds":{}}}}}';
  assert.equal(JSON.stringify(mf[0].fieldsV1), EX2);

  const opt = clone(deployment());
  applyDefaults(opt, { templateCreationTimestamp: true });
  assert.equal((opt.spec as any).template.metadata.creationTimestamp, null);
  // Recreate gets no rollingUpdate.
  const rec = clone(deployment()) as any;
  rec.spec.strategy = { type: 'Recreate' };
  assert.deepEqual(twiceIsOnce(rec).spec.strategy, { type: 'Recreate' });
});

test('imagePullPolicy follows the tag', () => {
  assert.equal(defaultPullPolicy('nginx'), 'Always');
  assert.equal(defaultPullPolicy('nginx:latest'), 'Always');
  assert.equal(defaultPullPolicy('nginx:1.25'), 'IfNotPresent');
  assert.equal(defaultPullPolicy('registry:5000/team/app'), 'Always');
  assert.equal(defaultPullPolicy('registry:5000/team/app:v1'), 'IfNotPresent');
  assert.equal(defaultPullPolicy('nginx@sha256:abc'), 'IfNotPresent');
});

test('pod spec details: probes, httpGet, volumes, fieldRef, Pod-only defaults, quantities', () => {
  const pod: KubeObject = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
    spec: {
      hostNetwork: true,
      containers: [{
        name: 'c', image: 'app:latest', ports: [{ containerPort: 8080 }],
        resources: { limits: { cpu: '0.5', memory: '1024Mi' }, requests: { cpu: 0.1 } },
        livenessProbe: { httpGet: { port: 8080 } }, readinessProbe: { grpc: { port: 9090 }, periodSeconds: 5 },
        env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'L', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } }],
      }],
      volumes: [{ name: 'a' }, { name: 'cm', configMap: { name: 'x' } }, { name: 's', secret: { secretName: 'y', defaultMode: 256 } },
        { name: 'h', hostPath: { path: '/x' } }, { name: 'e', emptyDir: { sizeLimit: '1Gi' } },
        { name: 'proj', projected: { sources: [{ serviceAccountToken: { path: 't' } }] } }],
    },
  };
  const p = twiceIsOnce(pod);
  const c = p.spec.containers[0];
  assert.equal(c.imagePullPolicy, 'Always');
  assert.deepEqual(c.resources, { limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '100m', memory: '1Gi' } });
  assert.deepEqual(c.livenessProbe, { httpGet: { port: 8080, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.equal(c.readinessProbe.periodSeconds, 5);
  assert.equal(c.readinessProbe.grpc.service, '');
  assert.deepEqual(c.ports, [{ containerPort: 8080, protocol: 'TCP', hostPort: 8080 }]);
  assert.equal(c.env[0].valueFrom.fieldRef.apiVersion, 'v1');
  assert.equal(c.env[1].valueFrom.resourceFieldRef.divisor, '0');
  assert.equal(p.spec.enableServiceLinks, true);
  const vols = Object.fromEntries(p.spec.volumes.map((v: any) => [v.name, v]));
  assert.deepEqual(vols.a, { name: 'a', emptyDir: {} });
  assert.equal(vols.cm.configMap.defaultMode, 420);
  assert.equal(vols.s.secret.defaultMode, 256);
  assert.equal(vols.h.hostPath.type, '');
  assert.equal(vols.proj.projected.defaultMode, 420);
  assert.equal(vols.proj.projected.sources[0].serviceAccountToken.expirationSeconds, 3600);
});

test('Service: type, affinity, ports, families, clusterIP allocation kept on update', () => {
  let next = 10;
  const ctx = { allocateClusterIP: () => `10.96.0.${next++}` };
  const svc: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' },
    spec: { selector: { app: 'web' }, ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] } };
  const once = clone(svc);
  applyDefaults(once, ctx);
  const s = once as any;
  assert.deepEqual(s.spec, { selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }],
    sessionAffinity: 'None', type: 'ClusterIP', internalTrafficPolicy: 'Cluster', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'],
    clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'] });
  assert.deepEqual(s.status, { loadBalancer: {} });
  const again = clone(once);
  applyDefaults(again, ctx);
  assert.deepEqual(again, once, 'idempotent, no second allocation');
  // An update that omits clusterIP keeps the stored one.
  const update = clone(svc);
  applyDefaults(update, { ...ctx, previous: once });
  assert.equal((update.spec as any).clusterIP, '10.96.0.10');

  const headless = clone(svc) as any;
  headless.spec.clusterIP = 'None';
  delete headless.spec.selector;
  applyDefaults(headless, ctx);
  assert.deepEqual([headless.spec.clusterIPs, headless.spec.ipFamilyPolicy, headless.spec.ipFamilies], [['None'], 'RequireDualStack', ['IPv4', 'IPv6']]);

  const ext: any = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'e' }, spec: { type: 'ExternalName', externalName: 'x.example' } };
  applyDefaults(ext, ctx);
  assert.equal(ext.spec.clusterIP, undefined);
  assert.equal(ext.spec.internalTrafficPolicy, undefined);

  const lb: any = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'l' }, spec: { type: 'LoadBalancer', sessionAffinity: 'ClientIP', ports: [{ port: 443 }] } };
  let np = 30000;
  applyDefaults(lb, { ...ctx, allocateNodePort: () => np++ });
  assert.deepEqual([lb.spec.externalTrafficPolicy, lb.spec.allocateLoadBalancerNodePorts, lb.spec.ports[0].nodePort, lb.spec.sessionAffinityConfig],
    ['Cluster', true, 30000, { clientIP: { timeoutSeconds: 10800 } }]);
});

test('decode-stage defaults are owned by the writer, registry-set fields by nobody (Service, Namespace)', () => {
  const svc: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}\n' } },
    spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } };
  applyDefaults(svc, { stage: 'decode' });
  assert.equal((svc.spec as any).clusterIP, undefined);
  const mf = recordUpdate({ after: svc, manager: 'kubectl-client-side-apply', now: '2026-11-27T10:00:00Z', apiVersion: 'v1' });
  applyDefaults(svc, { stage: 'server', allocateClusterIP: () => '10.96.0.7' });
  assert.equal((svc.spec as any).clusterIP, '10.96.0.7');
  assert.equal(JSON.stringify(mf[0].fieldsV1), '{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}},' +
    '"f:spec":{"f:internalTrafficPolicy":{},"f:ports":{".":{},"k:{\\"port\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:port":{},"f:protocol":{},"f:targetPort":{}}},' +
    '"f:selector":{},"f:sessionAffinity":{},"f:type":{}}}');
  const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } };
  applyDefaults(ns, { stage: 'decode' });
  assert.deepEqual(JSON.stringify(recordUpdate({ after: ns, manager: 'kubectl-create', now: '2026-11-27T10:00:00Z', apiVersion: 'v1' })[0].fieldsV1),
    '{"f:metadata":{"f:labels":{".":{},"f:kubernetes.io/metadata.name":{}}}}');
  applyDefaults(ns, { stage: 'server' });
  assert.deepEqual((ns.spec as any).finalizers, ['kubernetes']);
});

test('Secret stringData folds into base64 data (stringData wins), then disappears', () => {
  const sec: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'b2xk', keep: 'eA==' }, stringData: { a: 'new', u: 'ü' } };
  const s = twiceIsOnce(sec);
  assert.deepEqual(s.data, { a: Buffer.from('new').toString('base64'), keep: 'eA==', u: Buffer.from('ü').toString('base64') });
  assert.equal(s.stringData, undefined);
  assert.equal(s.type, 'Opaque');
});

test('Namespace, NetworkPolicy, PVC, PV, RBAC, CRD, HPA', () => {
  const ns = twiceIsOnce({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
  assert.deepEqual(ns.metadata.labels, { 'kubernetes.io/metadata.name': 'demo' });
  const np = twiceIsOnce({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'n' },
    spec: { podSelector: {}, egress: [{ ports: [{ port: 53 }] }] } });
  assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
  assert.equal(np.spec.egress[0].ports[0].protocol, 'TCP');
  const pvc = twiceIsOnce({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1024Mi' } } } });
  assert.deepEqual([pvc.spec.volumeMode, pvc.spec.resources.requests.storage, pvc.status.phase], ['Filesystem', '1Gi', 'Pending']);
  const pv = twiceIsOnce({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'v' }, spec: { capacity: { storage: '0.5Gi' } } });
  assert.deepEqual([pv.spec.persistentVolumeReclaimPolicy, pv.spec.capacity.storage], ['Retain', '512Mi']);
  const rb = twiceIsOnce({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'r' },
    roleRef: { kind: 'Role', name: 'x' }, subjects: [{ kind: 'User', name: 'u' }, { kind: 'ServiceAccount', name: 'sa' }] });
  assert.equal(rb.roleRef.apiGroup, 'rbac.authorization.k8s.io');
  assert.deepEqual(rb.subjects.map((s: any) => s.apiGroup), ['rbac.authorization.k8s.io', undefined]);
  const crd = twiceIsOnce({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'apps.argoproj.io' },
    spec: { group: 'argoproj.io', names: { kind: 'Application', plural: 'applications' }, scope: 'Namespaced', versions: [] } });
  assert.deepEqual([crd.spec.names.singular, crd.spec.names.listKind, crd.spec.conversion], ['application', 'ApplicationList', { strategy: 'None' }]);
  const hpa = twiceIsOnce({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' },
    spec: { maxReplicas: 5, scaleTargetRef: { kind: 'Deployment', name: 'web' }, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } } });
  assert.equal(hpa.spec.minReplicas, 1);
  assert.equal(hpa.spec.metrics[0].resource.target.averageUtilization, 80);
  assert.equal(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds, 60);
  assert.equal(hpa.spec.behavior.scaleUp.policies.length, 2);
  // ConfigMaps and custom resources get nothing.
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { cpu: '0.5' } };
  assert.deepEqual(twiceIsOnce(cm), cm);
  const cr = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'a' }, spec: { resources: { limits: { cpu: '0.5' } } } };
  assert.deepEqual(twiceIsOnce(cr), cr);
});

test('StatefulSet, DaemonSet, Job, CronJob, ReplicaSet', () => {
  const tpl = () => ({ metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i:1' }] } });
  const sts = twiceIsOnce({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's' }, spec: { serviceName: 's', selector: {}, template: tpl(),
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1.5Gi' } } } }] } });
  assert.deepEqual([sts.spec.replicas, sts.spec.revisionHistoryLimit, sts.spec.podManagementPolicy], [1, 10, 'OrderedReady']);
  assert.deepEqual(sts.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  assert.deepEqual(sts.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
  const vct = sts.spec.volumeClaimTemplates[0];
  assert.deepEqual([vct.apiVersion, vct.kind, vct.spec.volumeMode, vct.status.phase, vct.spec.resources.requests.storage],
    ['v1', 'PersistentVolumeClaim', 'Filesystem', 'Pending', '1536Mi']);
  assert.equal(sts.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');

  const dsIn: KubeObject = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'd' }, spec: { selector: {}, template: tpl() } };
  const ds = twiceIsOnce(dsIn);
  assert.deepEqual(ds.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal(ds.metadata.annotations['deprecated.daemonset.template.generation'], '1');
  const changed = clone(dsIn) as any;
  changed.spec.template.spec.containers[0].image = 'i:2';
  applyDefaults(changed, { previous: ds });
  assert.equal(changed.metadata.annotations['deprecated.daemonset.template.generation'], '2');
  const same = clone(dsIn) as any;
  applyDefaults(same, { previous: ds });
  assert.equal(same.metadata.annotations['deprecated.daemonset.template.generation'], '1');

  const job = twiceIsOnce({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', uid: 'u-1' },
    spec: { template: { metadata: { labels: { app: 'x' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } } } });
  assert.deepEqual([job.spec.completions, job.spec.parallelism, job.spec.backoffLimit, job.spec.completionMode, job.spec.suspend,
    job.spec.manualSelector, job.spec.podReplacementPolicy], [1, 1, 6, 'NonIndexed', false, false, 'TerminatingOrFailed']);
  assert.deepEqual(job.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
  assert.equal(job.spec.template.metadata.labels['job-name'], 'j');
  assert.deepEqual(job.metadata.labels, { app: 'x' }, 'Job labels copied from the template at decode, before the selector labels');
  const bare = twiceIsOnce({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'b', uid: 'u-2' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } } } });
  assert.equal(bare.metadata.labels['batch.kubernetes.io/job-name'], 'b', 'a Job without labels takes the generated ones');
  assert.equal(job.spec.template.spec.restartPolicy, 'Never');

  const cj = twiceIsOnce({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: { schedule: '* * * * *',
    jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: 1.5 } } }] } } } } } });
  assert.deepEqual([cj.spec.concurrencyPolicy, cj.spec.suspend, cj.spec.successfulJobsHistoryLimit, cj.spec.failedJobsHistoryLimit], ['Allow', false, 3, 1]);
  const cjc = cj.spec.jobTemplate.spec.template.spec.containers[0];
  assert.deepEqual([cjc.imagePullPolicy, cjc.resources.requests.cpu], ['Always', '1500m']); // untagged image
  assert.equal(cj.spec.jobTemplate.spec.backoffLimit, undefined, 'no Job defaults on templates');

  const rs = twiceIsOnce({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r' }, spec: { selector: {}, template: tpl() } });
  assert.equal(rs.spec.replicas, 1);
});

test('defaultedPaths / applyDefaultsReport list what the server set', () => {
  const d = deployment();
  const paths = applyDefaultsReport(d);
  for (const p of ['/spec/revisionHistoryLimit', '/spec/strategy/type', '/spec/strategy/rollingUpdate/maxSurge',
    '/spec/template/spec/containers/0/imagePullPolicy', '/spec/template/spec/containers/0/ports/0/protocol',
    '/spec/template/spec/containers/1/resources', '/spec/template/spec/securityContext', '/status']) {
    assert.ok(paths.includes(p), p);
  }
  assert.ok(!paths.includes('/spec/replicas'));
  assert.deepEqual(defaultedPaths({ a: { cpu: '0.5' } }, { a: { cpu: '500m' }, b: [] }), ['/a/cpu', '/b']);
  assert.deepEqual(applyDefaultsReport(d), [], 'nothing left to default');
});
