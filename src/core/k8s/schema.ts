// Static knowledge about the built-in Kubernetes kinds the sandbox serves and the engine compares:
// discovery data (BUILTIN_KINDS) and the per-field merge semantics that upstream encodes in Go struct
// tags (`+listType`, `+listMapKey`, `patchStrategy`, `patchMergeKey`, `+structType=atomic`).
// Facts: /work/shared/k8s-defaults.md §4+5. Paths are field names from the object root, no indices.

export interface BuiltinKind {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** 'status', 'scale' ... */
  subresources: string[];
}

export type ListType = { type: 'map'; keys: string[] } | { type: 'set' } | { type: 'atomic' };

/** Strategic-merge-patch behaviour of a list: merge (keyed by `key`, or a primitive union without one) or replace. */
export type SmpListStrategy = { strategy: 'merge'; key?: string; retainKeys?: boolean } | { strategy: 'replace' };

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
// Namespaces cannot be deleted as a collection (upstream discovery omits the verb).
const NS_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

function kindDef(
  group: string, version: string, kind: string, plural: string, namespaced: boolean,
  shortNames: string[] = [], subresources: string[] = [], categories: string[] = [], verbs = ALL_VERBS,
): BuiltinKind {
  return { group, version, kind, plural, singular: kind.toLowerCase(), namespaced, shortNames, categories, verbs, subresources };
}

/** Discovery data as kube-apiserver 1.29-1.33 publishes it (shortNames and the `all` category matter to kubectl). */
export const BUILTIN_KINDS: BuiltinKind[] = [
  kindDef('', 'v1', 'Namespace', 'namespaces', false, ['ns'], ['status', 'finalize'], [], NS_VERBS),
  kindDef('', 'v1', 'ConfigMap', 'configmaps', true, ['cm']),
  kindDef('', 'v1', 'Secret', 'secrets', true),
  kindDef('', 'v1', 'Service', 'services', true, ['svc'], ['status'], ['all']),
  kindDef('', 'v1', 'ServiceAccount', 'serviceaccounts', true, ['sa'], ['token']),
  kindDef('', 'v1', 'Pod', 'pods', true, ['po'], ['status', 'log', 'ephemeralcontainers'], ['all']),
  kindDef('', 'v1', 'Event', 'events', true, ['ev']),
  kindDef('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, ['pvc'], ['status']),
  kindDef('', 'v1', 'PersistentVolume', 'persistentvolumes', false, ['pv'], ['status']),
  kindDef('apps', 'v1', 'Deployment', 'deployments', true, ['deploy'], ['status', 'scale'], ['all']),
  kindDef('apps', 'v1', 'ReplicaSet', 'replicasets', true, ['rs'], ['status', 'scale'], ['all']),
  kindDef('apps', 'v1', 'StatefulSet', 'statefulsets', true, ['sts'], ['status', 'scale'], ['all']),
  kindDef('apps', 'v1', 'DaemonSet', 'daemonsets', true, ['ds'], ['status'], ['all']),
  kindDef('batch', 'v1', 'Job', 'jobs', true, [], ['status'], ['all']),
  kindDef('batch', 'v1', 'CronJob', 'cronjobs', true, ['cj'], ['status'], ['all']),
  kindDef('networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, ['ing'], ['status']),
  kindDef('networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', false),
  kindDef('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true, ['netpol']),
  kindDef('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
  kindDef('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true),
  kindDef('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
  kindDef('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  kindDef('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, ['hpa'], ['status'], ['all']),
  kindDef('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, ['pdb'], ['status']),
  kindDef('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false,
    ['crd', 'crds'], ['status'], ['api-extensions']),
];

const BY_KIND = new Map(BUILTIN_KINDS.map((k) => [k.kind, k]));

export function builtinKind(kind: string): BuiltinKind | undefined {
  return BY_KIND.get(kind);
}

export function isBuiltinKind(kind: string): boolean {
  return BY_KIND.has(kind);
}

export function hasSubresource(kind: string, subresource: string): boolean {
  return BY_KIND.get(kind)?.subresources.includes(subresource) ?? false;
}

// ---------------------------------------------------------------------------------------------
// Where pod specs sit. Every list rule below is written relative to a PodSpec, so the same rule
// covers Pod.spec, <workload>.spec.template.spec and CronJob.spec.jobTemplate.spec.template.spec.

const POD_SPEC_ROOTS: Record<string, string[]> = {
  Pod: ['spec'],
  PodTemplate: ['template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** Where a pod template's metadata sits (for labels/annotations handling). */
export function podTemplateRoot(kind: string): string[] | undefined {
  const spec = POD_SPEC_ROOTS[kind];
  if (!spec || kind === 'Pod') return undefined;
  return spec.slice(0, -1);
}

export function podSpecRoot(kind: string): string[] | undefined {
  return POD_SPEC_ROOTS[kind];
}

/** Where `path` enters the kind's PodSpec (the index of the first field below it), or -1 when the path is not inside it. */
function podSpecStart(kind: string, path: string[]): number {
  const root = POD_SPEC_ROOTS[kind];
  if (!root || path.length < root.length) return -1;
  for (let i = 0; i < root.length; i++) if (path[i] !== root[i]) return -1;
  return root.length;
}

/** The rest of `path` below the kind's PodSpec, or undefined when the path is not inside it. */
function podSpecRelative(kind: string, path: string[]): string[] | undefined {
  const start = podSpecStart(kind, path);
  return start < 0 ? undefined : path.slice(start);
}

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** A field-name path below a PodSpec (`path` from index `at` on, at least one name): list type per
 *  core/v1 types.go. Reads the names in place: listType runs for every list the comparison walks. */
function podSpecListType(path: string[], at: number): ListType {
  const n = path.length - at;
  const first = path[at];
  if (n === 1) {
    switch (first) {
      case 'containers': case 'initContainers': case 'ephemeralContainers':
      case 'imagePullSecrets': case 'volumes': case 'schedulingGates': case 'resourceClaims':
        return { type: 'map', keys: ['name'] };
      case 'topologySpreadConstraints':
        return { type: 'map', keys: ['topologyKey', 'whenUnsatisfiable'] };
      case 'hostAliases':
        return { type: 'map', keys: ['ip'] };
      default:
        return { type: 'atomic' };
    }
  }
  if (CONTAINER_LISTS.has(first) && n === 2) {
    switch (path[at + 1]) {
      case 'env': return { type: 'map', keys: ['name'] };
      case 'ports': return { type: 'map', keys: ['containerPort', 'protocol'] };
      case 'volumeMounts': return { type: 'map', keys: ['mountPath'] };
      case 'volumeDevices': return { type: 'map', keys: ['devicePath'] };
      default: return { type: 'atomic' };
    }
  }
  if (CONTAINER_LISTS.has(first) && n === 3 && path.slice(at).join('.').endsWith('.resources.claims')) {
    return { type: 'map', keys: ['name'] };
  }
  return { type: 'atomic' };
}

function podSpecSmp(rel: string[]): SmpListStrategy {
  if (rel.length === 1) {
    switch (rel[0]) {
      case 'containers': case 'initContainers': case 'ephemeralContainers': case 'imagePullSecrets':
      case 'schedulingGates': case 'resourceClaims':
        return { strategy: 'merge', key: 'name' };
      case 'volumes':
        return { strategy: 'merge', key: 'name', retainKeys: true };
      case 'topologySpreadConstraints':
        return { strategy: 'merge', key: 'topologyKey' };
      case 'hostAliases':
        return { strategy: 'merge', key: 'ip' };
      default:
        return { strategy: 'replace' };
    }
  }
  if (CONTAINER_LISTS.has(rel[0]) && rel.length === 2) {
    switch (rel[1]) {
      case 'env': return { strategy: 'merge', key: 'name' };
      case 'ports': return { strategy: 'merge', key: 'containerPort' };
      case 'volumeMounts': return { strategy: 'merge', key: 'mountPath' };
      case 'volumeDevices': return { strategy: 'merge', key: 'devicePath' };
      default: return { strategy: 'replace' };
    }
  }
  return { strategy: 'replace' };
}

/** Lists under metadata behave the same for every kind, custom resources included (ObjectMeta is typed). */
function metadataListType(path: string[]): ListType | undefined {
  if (path.length !== 2 || path[0] !== 'metadata') return undefined;
  if (path[1] === 'finalizers') return { type: 'set' };
  if (path[1] === 'ownerReferences') return { type: 'map', keys: ['uid'] };
  return { type: 'atomic' };
}

function metadataSmp(path: string[]): SmpListStrategy | undefined {
  if (path.length !== 2 || path[0] !== 'metadata') return undefined;
  if (path[1] === 'finalizers') return { strategy: 'merge' };
  if (path[1] === 'ownerReferences') return { strategy: 'merge', key: 'uid' };
  return { strategy: 'replace' };
}

/**
 * Server-side apply list semantics of the list at `path` (field names from the object root, no indices).
 * Custom resources: metadata lists as ObjectMeta says, everything else atomic (CRD schemas without
 * x-kubernetes-list-type are atomic).
 */
export function listType(kind: string, path: string[]): ListType {
  const meta = metadataListType(path);
  if (meta) return meta;
  if (!isBuiltinKind(kind) && !(kind in POD_SPEC_ROOTS)) return { type: 'atomic' };
  const start = podSpecStart(kind, path);
  if (start >= 0 && path.length > start) return podSpecListType(path, start);
  const p = path.join('.');
  if (p === 'status.conditions') {
    // Job conditions are +listType=atomic upstream (kept atomic for SSA even though SMP merges them).
    return kind === 'Job' ? { type: 'atomic' } : { type: 'map', keys: ['type'] };
  }
  if (kind === 'Service' && p === 'spec.ports') return { type: 'map', keys: ['port', 'protocol'] };
  if (kind === 'Service' && p === 'status.loadBalancer.ingress') return { type: 'atomic' };
  if (kind === 'ServiceAccount' && p === 'secrets') return { type: 'map', keys: ['name'] };
  if (kind === 'ServiceAccount' && p === 'imagePullSecrets') return { type: 'map', keys: ['name'] };
  if (kind === 'Pod' && (p === 'status.containerStatuses' || p === 'status.initContainerStatuses')) return { type: 'atomic' };
  if (kind === 'Pod' && p === 'status.podIPs') return { type: 'map', keys: ['ip'] };
  return { type: 'atomic' };
}

/** Strategic-merge-patch strategy of the list at `path`. Custom resources never take SMP (415). */
export function smpListStrategy(kind: string, path: string[]): SmpListStrategy {
  const meta = metadataSmp(path);
  if (meta) return meta;
  if (!isBuiltinKind(kind) && !(kind in POD_SPEC_ROOTS)) return { strategy: 'replace' };
  const rel = podSpecRelative(kind, path);
  if (rel && rel.length > 0) return podSpecSmp(rel);
  const p = path.join('.');
  // SMP merges conditions by type for every kind, Job included.
  if (p === 'status.conditions') return { strategy: 'merge', key: 'type' };
  if (kind === 'Service' && p === 'spec.ports') return { strategy: 'merge', key: 'port' };
  if (kind === 'ServiceAccount' && (p === 'secrets' || p === 'imagePullSecrets')) return { strategy: 'merge', key: 'name' };
  if (kind === 'Pod' && p === 'status.podIPs') return { strategy: 'merge', key: 'ip' };
  return { strategy: 'replace' };
}

/** SMP patchMergeKey of the list at `path`, if it merges by key. */
export function smpMergeKey(kind: string, path: string[]): string | undefined {
  const s = smpListStrategy(kind, path);
  return s.strategy === 'merge' ? s.key : undefined;
}

/**
 * The last field names at which isAtomicMap can answer yes (besides a PersistentVolumeClaim's one-name
 * paths, which it compares joined): a walk over objects asks isAtomicMap only at these.
 */
export const ATOMIC_MAP_FIELDS: ReadonlySet<string> = new Set([
  'selector', 'podSelector', 'namespaceSelector', 'labelSelector', 'nodeSelector',
  'configMapKeyRef', 'secretKeyRef', 'fieldRef', 'resourceFieldRef',
  'requiredDuringSchedulingIgnoredDuringExecution', 'dataSource', 'dataSourceRef',
]);

/**
 * Maps and structs that SSA treats as one value (`+structType=atomic`, `+mapType=atomic`):
 * owned as a leaf, replaced whole on apply.
 */
export function isAtomicMap(kind: string, path: string[]): boolean {
  if (path.length === 0 || path[0] === 'metadata') return false; // ObjectMeta maps are granular
  if (!isBuiltinKind(kind) && !(kind in POD_SPEC_ROOTS)) return false; // CRD objects: granular
  const last = path[path.length - 1];
  // LabelSelector (workloads, Job incl. CronJob's jobTemplate, PDB, PVC) and Service's selector map (+mapType=atomic).
  if (last === 'selector' && path[path.length - 2] === 'spec') return true;
  if (last === 'podSelector' || last === 'namespaceSelector' || last === 'labelSelector') return true;
  const rel = podSpecRelative(kind, path);
  if (rel) {
    if (rel.length === 1 && rel[0] === 'nodeSelector') return true;
    if (rel.includes('valueFrom') && ['configMapKeyRef', 'secretKeyRef', 'fieldRef', 'resourceFieldRef'].includes(last)) return true;
    if (rel.includes('nodeAffinity') && last === 'requiredDuringSchedulingIgnoredDuringExecution') return true;
  }
  const p = path.join('.');
  if (kind === 'PersistentVolumeClaim' && (p === 'spec.dataSource' || p === 'spec.dataSourceRef')) return true;
  return false;
}

/** SSA list-item elements whose struct is atomic (owned as one leaf: `"k:{...}":{}`). */
export function isAtomicListItem(kind: string, listPath: string[]): boolean {
  const p = listPath.join('.');
  if (p === 'metadata.ownerReferences') return true;
  const rel = podSpecRelative(kind, listPath);
  if (rel && rel.length === 1 && rel[0] === 'imagePullSecrets') return true;
  if (kind === 'ServiceAccount' && (p === 'secrets' || p === 'imagePullSecrets')) return true;
  return false;
}

/** Default values of list-map key fields (SMD takes them when an item omits the key). */
export function listKeyDefault(kind: string, listPath: string[], key: string): unknown {
  if (key === 'protocol') {
    const lt = listType(kind, listPath);
    if (lt.type === 'map' && lt.keys.includes('protocol')) return 'TCP';
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Quantities: resource.Quantity fields of built-in kinds (custom resources are never canonicalized).

/** Is the scalar at `path` a resource.Quantity (so `0.5` and `500m` are the same value)? */
export function isQuantityPath(kind: string, path: string[]): boolean {
  const typed = isBuiltinKind(kind) || kind in POD_SPEC_ROOTS || kind === 'ResourceQuota' || kind === 'LimitRange';
  if (!typed) return false;
  const n = path.length;
  if (n < 2) return false;
  const last2 = path[n - 2];
  // Container / pod-level / PVC (incl. volumeClaimTemplates and ephemeral volumes) resources.
  if (n >= 3 && path[n - 3] === 'resources' && (last2 === 'limits' || last2 === 'requests')) return true;
  if (last2 === 'overhead' && podSpecRelative(kind, path)?.length === 2) return true;
  if (last2 === 'emptyDir' && path[n - 1] === 'sizeLimit') return true;
  if (kind === 'PersistentVolume' && path.join('.').startsWith('spec.capacity.') && n === 3) return true;
  if (kind === 'PersistentVolumeClaim' && (path.join('.').startsWith('status.capacity.') || path.join('.').startsWith('status.allocatedResources.')) && n === 3) return true;
  if (kind === 'ResourceQuota' && n === 3 && (path[1] === 'hard' || path[1] === 'used')) return true;
  if (kind === 'LimitRange' && path[0] === 'spec' && path[1] === 'limits' && n === 4 &&
    ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'].includes(path[2])) return true;
  if (kind === 'HorizontalPodAutoscaler' && (last2 === 'target' || last2 === 'current') &&
    (path[n - 1] === 'value' || path[n - 1] === 'averageValue')) return true;
  return false;
}
