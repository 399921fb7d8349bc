import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BUILTIN_KINDS, builtinKind, hasSubresource, isAtomicMap, isQuantityPath, listType, smpListStrategy, smpMergeKey,
} from '../../src/core/k8s/schema';

const split = (p: string) => p.split('.');

test('BUILTIN_KINDS carries the discovery data kubectl needs', () => {
  const kinds = BUILTIN_KINDS.map((k) => k.kind);
  for (const k of ['Namespace', 'ConfigMap', 'Secret', 'Service', 'ServiceAccount', 'Pod', 'Event', 'Deployment',
    'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Ingress', 'IngressClass', 'NetworkPolicy',
    'PersistentVolumeClaim', 'PersistentVolume', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding',
    'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'CustomResourceDefinition']) {
    assert.ok(kinds.includes(k), k);
  }
  const short = new Map(BUILTIN_KINDS.flatMap((k) => k.shortNames.map((s) => [s, k.kind] as const)));
  for (const [s, k] of Object.entries({ deploy: 'Deployment', svc: 'Service', cm: 'ConfigMap', ns: 'Namespace',
    sa: 'ServiceAccount', sts: 'StatefulSet', ds: 'DaemonSet', cj: 'CronJob', ing: 'Ingress', pvc: 'PersistentVolumeClaim',
    pv: 'PersistentVolume', crd: 'CustomResourceDefinition', hpa: 'HorizontalPodAutoscaler', pdb: 'PodDisruptionBudget',
    netpol: 'NetworkPolicy', po: 'Pod', rs: 'ReplicaSet', ev: 'Event' })) {
    assert.equal(short.get(s), k, s);
  }
  const dep = builtinKind('Deployment')!;
  assert.deepEqual([dep.group, dep.version, dep.plural, dep.singular, dep.namespaced], ['apps', 'v1', 'deployments', 'deployment', true]);
  assert.ok(dep.categories.includes('all'));
  assert.ok(!builtinKind('ConfigMap')!.categories.includes('all'));
  assert.equal(builtinKind('Ingress')!.group, 'networking.k8s.io');
  assert.equal(builtinKind('HorizontalPodAutoscaler')!.version, 'v2');
  assert.equal(builtinKind('PodDisruptionBudget')!.group, 'policy');
  assert.equal(builtinKind('ClusterRole')!.namespaced, false);
  for (const k of ['Deployment', 'StatefulSet', 'ReplicaSet']) assert.ok(hasSubresource(k, 'scale') && hasSubresource(k, 'status'), k);
  assert.ok(!hasSubresource('DaemonSet', 'scale'));
  assert.ok(!hasSubresource('ConfigMap', 'status'));
  assert.ok(BUILTIN_KINDS.every((k) => k.verbs.includes('patch') && k.verbs.includes('watch')));
});

test('listType follows the SSA table wherever the pod spec sits', () => {
  const podSpecs = { Pod: 'spec', Deployment: 'spec.template.spec', StatefulSet: 'spec.template.spec',
    Job: 'spec.template.spec', CronJob: 'spec.jobTemplate.spec.template.spec', DaemonSet: 'spec.template.spec' };
  for (const [kind, root] of Object.entries(podSpecs)) {
    const lt = (rel: string) => listType(kind, split(`${root}.${rel}`));
    assert.deepEqual(lt('containers'), { type: 'map', keys: ['name'] }, kind);
    assert.deepEqual(lt('initContainers'), { type: 'map', keys: ['name'] });
    assert.deepEqual(lt('ephemeralContainers'), { type: 'map', keys: ['name'] });
    assert.deepEqual(lt('imagePullSecrets'), { type: 'map', keys: ['name'] });
    assert.deepEqual(lt('volumes'), { type: 'map', keys: ['name'] });
    assert.deepEqual(lt('containers.env'), { type: 'map', keys: ['name'] });
    assert.deepEqual(lt('initContainers.ports'), { type: 'map', keys: ['containerPort', 'protocol'] });
    assert.deepEqual(lt('containers.volumeMounts'), { type: 'map', keys: ['mountPath'] });
    assert.deepEqual(lt('topologySpreadConstraints'), { type: 'map', keys: ['topologyKey', 'whenUnsatisfiable'] });
    for (const atomic of ['tolerations', 'readinessGates', 'containers.command', 'containers.args', 'containers.envFrom',
      'affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution']) {
      assert.deepEqual(lt(atomic), { type: 'atomic' }, `${kind} ${atomic}`);
    }
  }
  assert.deepEqual(listType('Service', split('spec.ports')), { type: 'map', keys: ['port', 'protocol'] });
  assert.deepEqual(listType('Service', split('spec.clusterIPs')), { type: 'atomic' });
  assert.deepEqual(listType('Service', split('spec.ipFamilies')), { type: 'atomic' });
  assert.deepEqual(listType('Ingress', split('spec.rules')), { type: 'atomic' });
  assert.deepEqual(listType('Ingress', split('spec.tls')), { type: 'atomic' });
  assert.deepEqual(listType('Deployment', split('status.conditions')), { type: 'map', keys: ['type'] });
  assert.deepEqual(listType('Job', split('status.conditions')), { type: 'atomic' });
  assert.deepEqual(listType('Deployment', split('metadata.finalizers')), { type: 'set' });
  assert.deepEqual(listType('Application', split('metadata.finalizers')), { type: 'set' });
  assert.deepEqual(listType('ConfigMap', split('metadata.ownerReferences')), { type: 'map', keys: ['uid'] });
  // Custom resources: everything else atomic, even lists that look like containers.
  assert.deepEqual(listType('Application', split('spec.template.spec.containers')), { type: 'atomic' });
  assert.deepEqual(listType('Application', split('status.conditions')), { type: 'atomic' });
  // A Deployment's own "containers"-named list elsewhere is not a pod list.
  assert.deepEqual(listType('Deployment', split('spec.containers')), { type: 'atomic' });
});

test('smpMergeKey and strategies follow the SMP table', () => {
  assert.equal(smpMergeKey('Deployment', split('spec.template.spec.containers')), 'name');
  assert.equal(smpMergeKey('CronJob', split('spec.jobTemplate.spec.template.spec.containers.ports')), 'containerPort');
  assert.equal(smpMergeKey('Pod', split('spec.containers.volumeMounts')), 'mountPath');
  assert.equal(smpMergeKey('Service', split('spec.ports')), 'port');
  assert.equal(smpMergeKey('Job', split('status.conditions')), 'type');
  assert.equal(smpMergeKey('Deployment', split('spec.template.spec.topologySpreadConstraints')), 'topologyKey');
  assert.equal(smpMergeKey('Deployment', split('spec.template.spec.tolerations')), undefined);
  assert.equal(smpMergeKey('Deployment', split('spec.template.spec.containers.args')), undefined);
  assert.deepEqual(smpListStrategy('Deployment', split('metadata.finalizers')), { strategy: 'merge' });
  assert.deepEqual(smpListStrategy('Deployment', split('spec.template.spec.volumes')), { strategy: 'merge', key: 'name', retainKeys: true });
  assert.equal(smpMergeKey('Application', split('spec.template.spec.containers')), undefined);
});

test('atomic maps and quantity paths', () => {
  assert.ok(isAtomicMap('Deployment', split('spec.selector')));
  assert.ok(isAtomicMap('Service', split('spec.selector')));
  assert.ok(isAtomicMap('CronJob', split('spec.jobTemplate.spec.selector')));
  assert.ok(isAtomicMap('Deployment', split('spec.template.spec.nodeSelector')));
  assert.ok(isAtomicMap('Deployment', split('spec.template.spec.containers.env.valueFrom.secretKeyRef')));
  assert.ok(!isAtomicMap('Deployment', split('spec.template.metadata.labels')));
  assert.ok(!isAtomicMap('Application', split('spec.selector')));

  assert.ok(isQuantityPath('Deployment', split('spec.template.spec.containers.resources.limits.cpu')));
  assert.ok(isQuantityPath('CronJob', split('spec.jobTemplate.spec.template.spec.initContainers.resources.requests.memory')));
  assert.ok(isQuantityPath('PersistentVolumeClaim', split('spec.resources.requests.storage')));
  assert.ok(isQuantityPath('StatefulSet', split('spec.volumeClaimTemplates.spec.resources.requests.storage')));
  assert.ok(isQuantityPath('Pod', split('spec.overhead.cpu')));
  assert.ok(isQuantityPath('Deployment', split('spec.template.spec.volumes.emptyDir.sizeLimit')));
  assert.ok(isQuantityPath('PersistentVolume', split('spec.capacity.storage')));
  assert.ok(isQuantityPath('ResourceQuota', ['spec', 'hard', 'requests.cpu'])); // quota keys contain dots
  assert.ok(!isQuantityPath('Deployment', split('spec.replicas')));
  assert.ok(!isQuantityPath('Deployment', split('spec.template.spec.containers.image')));
  assert.ok(!isQuantityPath('HelmRelease', split('spec.values.resources.limits.cpu')));
});
