// Server-side defaulting of built-in kinds as kube-apiserver 1.29-1.33 does it on every write (and on
// storage reads), so the sandbox stores what a real server stores and the engine can tell server-set
// fields from drift. Facts: /work/shared/k8s-defaults.md §1 (source: K pkg/apis/*/v1/defaults.go,
// registry strategies, service allocation). Custom resources are left alone.

import { toPointer, type KubeObject } from '../model';
import { tryCanonicalQuantity } from './quantity';
import { isQuantityPath } from './schema';

export interface DefaultsContext {
  /** Allocates a ClusterIP for a Service that has none (not called for headless or ExternalName). */
  allocateClusterIP?: () => string;
  /** Allocates a nodePort for NodePort/LoadBalancer ports that have none. */
  allocateNodePort?: () => number;
  /** The stored object on update: keeps allocated IPs/ports, DaemonSet template generation. */
  previous?: KubeObject;
  /** Servers before 1.34 serialize pod template `metadata.creationTimestamp: null`; off by default. */
  templateCreationTimestamp?: boolean;
  /** Alpha/beta gates that change defaults (all off by default, as on 1.29-1.33). */
  featureGates?: { MaxUnavailableStatefulSet?: boolean };
  /**
   * Which server step to run. kube-apiserver defaults on decode (before field managers record the
   * writer's fields, so the writer owns those defaults) and fills the rest later in the registry
   * (ClusterIP/IP families/nodePort allocation, Job selector, Namespace finalizer, DaemonSet template
   * generation: owned by nobody). 'all' (the default) runs both.
   */
  stage?: 'decode' | 'server' | 'all';
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The map at obj[key], created when absent (the Go zero value of a non-pointer struct). */
function child(obj: Obj, key: string): Obj {
  if (!isObj(obj[key])) obj[key] = {};
  return obj[key] as Obj;
}

function setIfUnset(obj: Obj, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null || obj[key] === '') obj[key] = value;
}

/** For int fields whose zero value means "unset" (probes). */
function setIfZero(obj: Obj, key: string, value: number): void {
  if (!obj[key]) obj[key] = value;
}

function list(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

function at(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const p of path) cur = isObj(cur) ? cur[p] : undefined;
  return cur;
}

// ---------------------------------------------------------------------------------------------
// Pod specs and containers (core/v1 defaults.go; also inside every template)

/** Always if the tag is `latest` or there is neither tag nor digest, else IfNotPresent (K pkg/util/parsers). */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  const tag = colon >= 0 ? lastSegment.slice(colon + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultHttpGet(action: unknown): void {
  if (!isObj(action)) return;
  setIfUnset(action, 'path', '/');
  setIfUnset(action, 'scheme', 'HTTP');
}

function defaultProbe(probe: unknown): void {
  if (!isObj(probe)) return;
  setIfZero(probe, 'timeoutSeconds', 1);
  setIfZero(probe, 'periodSeconds', 10);
  setIfZero(probe, 'successThreshold', 1);
  setIfZero(probe, 'failureThreshold', 3);
  defaultHttpGet(probe.httpGet);
  // grpc.service is *string with +default="": it serializes as "".
  if (isObj(probe.grpc) && probe.grpc.service === undefined) probe.grpc.service = '';
}

function defaultFieldRefs(items: unknown): void {
  for (const item of list(items)) {
    if (isObj(item.fieldRef)) setIfUnset(item.fieldRef, 'apiVersion', 'v1');
    // Quantity divisor is a non-pointer struct: its zero value prints as "0".
    if (isObj(item.resourceFieldRef) && item.resourceFieldRef.divisor === undefined) item.resourceFieldRef.divisor = '0';
  }
}

function defaultContainer(c: Obj, opts: { isPod: boolean; hostNetwork: boolean }): void {
  if (typeof c.image === 'string') setIfUnset(c, 'imagePullPolicy', defaultPullPolicy(c.image));
  setIfUnset(c, 'terminationMessagePath', '/dev/termination-log');
  setIfUnset(c, 'terminationMessagePolicy', 'File');
  for (const p of list(c.ports)) {
    setIfUnset(p, 'protocol', 'TCP');
    if (opts.isPod && opts.hostNetwork && p.hostPort === undefined && p.containerPort !== undefined) p.hostPort = p.containerPort;
  }
  const resources = child(c, 'resources');
  if (opts.isPod && isObj(resources.limits)) {
    // Pods only: a limit without a request makes the request equal to the limit.
    const requests = isObj(resources.requests) ? resources.requests : {};
    for (const [k, v] of Object.entries(resources.limits)) if (requests[k] === undefined) requests[k] = v;
    if (Object.keys(requests).length > 0) resources.requests = requests;
  }
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(c[probe]);
  if (isObj(c.lifecycle)) {
    for (const hook of ['postStart', 'preStop']) {
      const h = c.lifecycle[hook];
      if (isObj(h)) defaultHttpGet(h.httpGet);
    }
  }
  for (const e of list(c.env)) if (isObj(e.valueFrom)) defaultFieldRefs([e.valueFrom]);
}

const VOLUME_SOURCES_WITH_MODE = ['configMap', 'secret', 'downwardAPI', 'projected'];

function defaultPvcSpec(spec: unknown): void {
  if (isObj(spec)) setIfUnset(spec, 'volumeMode', 'Filesystem');
}

function defaultVolume(v: Obj): void {
  const sources = Object.keys(v).filter((k) => k !== 'name');
  if (sources.length === 0) v.emptyDir = {};
  for (const s of VOLUME_SOURCES_WITH_MODE) {
    const src = v[s];
    if (isObj(src) && src.defaultMode === undefined) src.defaultMode = 420;
  }
  if (isObj(v.downwardAPI)) defaultFieldRefs(v.downwardAPI.items);
  if (isObj(v.projected)) {
    for (const src of list(v.projected.sources)) {
      if (isObj(src.serviceAccountToken) && src.serviceAccountToken.expirationSeconds === undefined) src.serviceAccountToken.expirationSeconds = 3600;
      if (isObj(src.downwardAPI)) defaultFieldRefs(src.downwardAPI.items);
    }
  }
  if (isObj(v.hostPath) && v.hostPath.type === undefined) v.hostPath.type = '';
  if (isObj(v.ephemeral) && isObj(v.ephemeral.volumeClaimTemplate)) defaultPvcSpec(v.ephemeral.volumeClaimTemplate.spec);
}

function defaultPodSpec(spec: Obj, isPod: boolean): void {
  setIfUnset(spec, 'restartPolicy', 'Always');
  setIfUnset(spec, 'dnsPolicy', 'ClusterFirst');
  setIfUnset(spec, 'schedulerName', 'default-scheduler');
  setIfUnset(spec, 'terminationGracePeriodSeconds', 30);
  if (!isObj(spec.securityContext)) spec.securityContext = {};
  if (isPod) setIfUnset(spec, 'enableServiceLinks', true);
  const hostNetwork = spec.hostNetwork === true;
  for (const key of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const c of list(spec[key])) defaultContainer(c, { isPod, hostNetwork });
  }
  for (const v of list(spec.volumes)) defaultVolume(v);
}

function defaultPodTemplate(template: unknown, ctx: DefaultsContext): void {
  if (!isObj(template)) return;
  if (ctx.templateCreationTimestamp) {
    const md = child(template, 'metadata');
    if (!('creationTimestamp' in md)) md.creationTimestamp = null;
  }
  defaultPodSpec(child(template, 'spec'), false);
}

// ---------------------------------------------------------------------------------------------
// Workloads (apps/v1, batch/v1 defaults.go)

function defaultDeployment(o: KubeObject, ctx: DefaultsContext): void {
  const spec = child(o, 'spec');
  setIfUnset(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  setIfUnset(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = child(strategy, 'rollingUpdate');
    setIfUnset(ru, 'maxUnavailable', '25%');
    setIfUnset(ru, 'maxSurge', '25%');
  }
  setIfUnset(spec, 'revisionHistoryLimit', 10);
  setIfUnset(spec, 'progressDeadlineSeconds', 600);
  defaultPodTemplate(spec.template, ctx);
}

function defaultReplicaSet(o: KubeObject, ctx: DefaultsContext): void {
  const spec = child(o, 'spec');
  setIfUnset(spec, 'replicas', 1);
  defaultPodTemplate(spec.template, ctx);
}

function defaultStatefulSet(o: KubeObject, ctx: DefaultsContext): void {
  const spec = child(o, 'spec');
  setIfUnset(spec, 'podManagementPolicy', 'OrderedReady');
  const us = child(spec, 'updateStrategy');
  if (!us.type) {
    us.type = 'RollingUpdate';
    if (!isObj(us.rollingUpdate)) us.rollingUpdate = {};
  }
  if (us.type === 'RollingUpdate' && isObj(us.rollingUpdate)) {
    setIfUnset(us.rollingUpdate, 'partition', 0);
    if (ctx.featureGates?.MaxUnavailableStatefulSet) setIfUnset(us.rollingUpdate, 'maxUnavailable', 1);
  }
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
  setIfUnset(retention, 'whenDeleted', 'Retain');
  setIfUnset(retention, 'whenScaled', 'Retain');
  setIfUnset(spec, 'replicas', 1);
  setIfUnset(spec, 'revisionHistoryLimit', 10);
  for (const pvc of list(spec.volumeClaimTemplates)) {
    // apps/v1 conversion stamps the embedded PVCs; they get PVC defaults and a Pending phase.
    setIfUnset(pvc, 'apiVersion', 'v1');
    setIfUnset(pvc, 'kind', 'PersistentVolumeClaim');
    defaultPvcSpec(child(pvc, 'spec'));
    setIfUnset(child(pvc, 'status'), 'phase', 'Pending');
  }
  defaultPodTemplate(spec.template, ctx);
}

const DS_TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';

function defaultDaemonSet(o: KubeObject, ctx: DefaultsContext): void {
  const spec = child(o, 'spec');
  const us = child(spec, 'updateStrategy');
  setIfUnset(us, 'type', 'RollingUpdate');
  if (us.type === 'RollingUpdate') {
    const ru = child(us, 'rollingUpdate');
    setIfUnset(ru, 'maxUnavailable', 1);
    if (ru.maxSurge === undefined || ru.maxSurge === null) ru.maxSurge = 0;
  }
  setIfUnset(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(spec.template, ctx);
}

/** Template generation: 1 at create, +1 whenever the template changes (registry + apps/v1 conversion). */
function daemonSetTemplateGeneration(o: KubeObject, ctx: DefaultsContext): void {
  const spec = child(o, 'spec');
  const annotations = (o.metadata.annotations ??= {});
  const prev = ctx.previous;
  const prevGen = Number(prev?.metadata?.annotations?.[DS_TEMPLATE_GENERATION] ?? 0);
  if (prev && prevGen > 0) {
    const prevTemplate = at(prev, ['spec', 'template']);
    const changed = JSON.stringify(canonicalJson(prevTemplate)) !== JSON.stringify(canonicalJson(spec.template));
    annotations[DS_TEMPLATE_GENERATION] = String(changed ? prevGen + 1 : prevGen);
  } else if (!annotations[DS_TEMPLATE_GENERATION]) {
    annotations[DS_TEMPLATE_GENERATION] = '1';
  }
}

function canonicalJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonicalJson);
  if (isObj(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonicalJson(v[k])]));
  return v;
}

function defaultJob(o: KubeObject, ctx: DefaultsContext): void {
  const spec = child(o, 'spec');
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setIfUnset(spec, 'parallelism', 1);
  if (spec.backoffLimit == null) spec.backoffLimit = spec.backoffLimitPerIndex != null ? 2147483647 : 6;
  setIfUnset(spec, 'completionMode', 'NonIndexed');
  if (spec.suspend == null) spec.suspend = false;
  if (spec.podReplacementPolicy == null) spec.podReplacementPolicy = spec.podFailurePolicy != null ? 'Failed' : 'TerminatingOrFailed';
  if (isObj(spec.podFailurePolicy)) {
    for (const rule of list(spec.podFailurePolicy.rules)) for (const c of list(rule.onPodConditions)) setIfUnset(c, 'status', 'True');
  }
  if (spec.manualSelector == null) spec.manualSelector = false;
  copyJobLabels(o);
  defaultPodTemplate(spec.template, ctx);
}

/** Job labels default to the template's labels when the Job has none (SetDefaults_Job). */
function copyJobLabels(o: KubeObject): void {
  const templateLabels = at(o, ['spec', 'template', 'metadata', 'labels']);
  if (isObj(templateLabels) && (!o.metadata.labels || Object.keys(o.metadata.labels).length === 0)) {
    o.metadata.labels = { ...(templateLabels as Record<string, string>) };
  }
}

/** The Job registry generates selector and template labels from the uid unless manualSelector. */
function generateJobSelector(o: KubeObject): void {
  const spec = child(o, 'spec');
  const uid = o.metadata.uid;
  if (!uid || spec.manualSelector === true || spec.selector != null) return;
  spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  if (isObj(spec.template)) {
    const labels = (child(spec.template, 'metadata').labels ??= {}) as Record<string, string>;
    labels['batch.kubernetes.io/controller-uid'] ??= uid;
    labels['batch.kubernetes.io/job-name'] ??= o.metadata.name;
    labels['controller-uid'] ??= uid;
    labels['job-name'] ??= o.metadata.name;
  }
  // Defaulting runs again on every read of the stored object: a Job without labels then takes these.
  copyJobLabels(o);
}

function defaultCronJob(o: KubeObject, ctx: DefaultsContext): void {
  const spec = child(o, 'spec');
  setIfUnset(spec, 'concurrencyPolicy', 'Allow');
  if (spec.suspend == null) spec.suspend = false;
  setIfUnset(spec, 'successfulJobsHistoryLimit', 3);
  setIfUnset(spec, 'failedJobsHistoryLimit', 1);
  // jobTemplate.spec gets pod-template defaults only (SetDefaults_Job does not run on templates).
  defaultPodTemplate(at(spec, ['jobTemplate', 'spec', 'template']), ctx);
}

// ---------------------------------------------------------------------------------------------
// Service (defaults.go + REST allocation, synchronous)

function defaultService(o: KubeObject): void {
  const spec = child(o, 'spec');
  setIfUnset(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const timeout = at(spec, ['sessionAffinityConfig', 'clientIP', 'timeoutSeconds']);
    if (timeout == null) spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  setIfUnset(spec, 'type', 'ClusterIP');
  const type = spec.type as string;
  for (const p of list(spec.ports)) {
    setIfUnset(p, 'protocol', 'TCP');
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  const externallyAccessible = type === 'LoadBalancer' || type === 'NodePort' ||
    (type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
  if (externallyAccessible) setIfUnset(spec, 'externalTrafficPolicy', 'Cluster');
  if (type !== 'ExternalName') setIfUnset(spec, 'internalTrafficPolicy', 'Cluster');
  if (type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts == null) spec.allocateLoadBalancerNodePorts = true;
}

/** The Service REST allocator (storage/alloc.go): IPs, families, node ports; an update keeps the stored ones. */
function allocateService(o: KubeObject, ctx: DefaultsContext): void {
  const spec = child(o, 'spec');
  const type = (spec.type as string) ?? 'ClusterIP';
  const prevSpec = isObj(ctx.previous?.spec) ? ctx.previous!.spec as Obj : undefined;
  const prevPorts = list(prevSpec?.ports);
  for (const p of list(spec.ports)) {
    if ((type === 'NodePort' || type === 'LoadBalancer') && !p.nodePort) {
      const old = prevPorts.find((q) => q.port === p.port && (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
      if (old?.nodePort) p.nodePort = old.nodePort;
      else if (ctx.allocateNodePort) p.nodePort = ctx.allocateNodePort();
    }
  }
  if (type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local' && !spec.healthCheckNodePort) {
    if (prevSpec?.healthCheckNodePort) spec.healthCheckNodePort = prevSpec.healthCheckNodePort;
    else if (ctx.allocateNodePort) spec.healthCheckNodePort = ctx.allocateNodePort();
  }
  if (type === 'ExternalName') return;
  if (prevSpec) {
    for (const k of ['clusterIP', 'clusterIPs', 'ipFamilyPolicy', 'ipFamilies']) {
      if ((spec[k] === undefined || spec[k] === '') && prevSpec[k] !== undefined) spec[k] = structuredClone(prevSpec[k]);
    }
  }
  const headless = spec.clusterIP === 'None';
  const selectorless = !isObj(spec.selector) || Object.keys(spec.selector).length === 0;
  if (spec.ipFamilyPolicy == null) spec.ipFamilyPolicy = headless && selectorless ? 'RequireDualStack' : 'SingleStack';
  if (!Array.isArray(spec.ipFamilies) || spec.ipFamilies.length === 0) {
    // Single-stack IPv4 cluster; headless selectorless services list both families anyway.
    spec.ipFamilies = headless && selectorless ? ['IPv4', 'IPv6'] : ['IPv4'];
  }
  if (!spec.clusterIP) {
    const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs as string[] : [];
    if (ips[0]) spec.clusterIP = ips[0];
    else if (ctx.allocateClusterIP) spec.clusterIP = ctx.allocateClusterIP();
  }
  if (spec.clusterIP && (!Array.isArray(spec.clusterIPs) || spec.clusterIPs.length === 0)) spec.clusterIPs = [spec.clusterIP];
}

// ---------------------------------------------------------------------------------------------
// Other kinds

function defaultSecret(o: KubeObject): void {
  setIfUnset(o as Obj, 'type', 'Opaque');
  // stringData is write-only: merged into data (wins per key) and never stored (core/v1 conversion).
  if (isObj(o.stringData)) {
    const data = isObj(o.data) ? o.data : {};
    for (const [k, v] of Object.entries(o.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    o.data = data;
  }
  delete o.stringData;
}

function defaultNamespace(o: KubeObject): void {
  o.metadata.labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name };
  setIfUnset(child(o, 'status'), 'phase', 'Active');
}

/** The namespace registry adds the `kubernetes` finalizer on create. */
function namespaceFinalizer(o: KubeObject): void {
  const spec = child(o, 'spec');
  if (!Array.isArray(spec.finalizers)) spec.finalizers = ['kubernetes'];
}

function defaultNetworkPolicy(o: KubeObject): void {
  const spec = child(o, 'spec');
  if (!isObj(spec.podSelector)) spec.podSelector = {};
  for (const dir of ['ingress', 'egress']) {
    for (const rule of list(spec[dir])) for (const p of list(rule.ports)) setIfUnset(p, 'protocol', 'TCP');
  }
  if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
    spec.policyTypes = Array.isArray(spec.egress) && spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

function defaultPvc(o: KubeObject): void {
  defaultPvcSpec(child(o, 'spec'));
  setIfUnset(child(o, 'status'), 'phase', 'Pending');
}

function defaultPv(o: KubeObject): void {
  const spec = child(o, 'spec');
  setIfUnset(spec, 'persistentVolumeReclaimPolicy', 'Retain');
  setIfUnset(spec, 'volumeMode', 'Filesystem');
  setIfUnset(child(o, 'status'), 'phase', 'Pending');
}

function hpaRules(rules: unknown, defaults: Obj): Obj {
  const r: Obj = isObj(rules) ? rules : {};
  const out: Obj = structuredClone(defaults);
  for (const k of ['selectPolicy', 'stabilizationWindowSeconds', 'policies', 'tolerance']) if (r[k] != null) out[k] = r[k];
  return out;
}

function defaultHpa(o: KubeObject): void {
  const spec = child(o, 'spec');
  setIfUnset(spec, 'minReplicas', 1);
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  }
  if (isObj(spec.behavior)) {
    spec.behavior.scaleUp = hpaRules(spec.behavior.scaleUp, { stabilizationWindowSeconds: 0, selectPolicy: 'Max',
      policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] });
    spec.behavior.scaleDown = hpaRules(spec.behavior.scaleDown, { selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
  }
}

function defaultBinding(o: KubeObject): void {
  if (isObj(o.roleRef)) setIfUnset(o.roleRef, 'apiGroup', 'rbac.authorization.k8s.io');
  for (const s of list(o.subjects)) {
    if (s.apiGroup === undefined && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = 'rbac.authorization.k8s.io';
  }
}

function defaultCrd(o: KubeObject): void {
  const spec = child(o, 'spec');
  const names = child(spec, 'names');
  if (typeof names.kind === 'string') {
    setIfUnset(names, 'singular', names.kind.toLowerCase());
    setIfUnset(names, 'listKind', `${names.kind}List`);
  }
  if (!isObj(spec.conversion)) spec.conversion = { strategy: 'None' };
}

/** Kinds whose Go status is a non-pointer struct: `status: {}` is always serialized. */
const STATUS_ALWAYS = new Set(['Pod', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);

function defaultStatusShape(o: KubeObject): void {
  if (STATUS_ALWAYS.has(o.kind) && !isObj(o.status)) o.status = {};
  if ((o.kind === 'ReplicaSet' || o.kind === 'StatefulSet') && isObj(o.status)) setIfUnset(o.status, 'replicas', 0);
  if (o.kind === 'Service' || o.kind === 'Ingress') child(child(o, 'status'), 'loadBalancer');
}

// ---------------------------------------------------------------------------------------------
// Quantities

/** Canonicalize every resource.Quantity of a built-in kind ("0.5" -> "500m", 1 -> "1"). */
export function canonicalizeQuantities(o: KubeObject): void {
  const walk = (v: unknown, path: string[]): unknown => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => { v[i] = walk(x, path); });
      return v;
    }
    if (isObj(v)) {
      for (const k of Object.keys(v)) v[k] = walk(v[k], [...path, k]);
      return v;
    }
    if ((typeof v === 'string' || typeof v === 'number') && isQuantityPath(o.kind, path)) return tryCanonicalQuantity(v);
    return v;
  };
  for (const k of Object.keys(o)) if (k !== 'metadata' && k !== 'apiVersion' && k !== 'kind') (o as Obj)[k] = walk((o as Obj)[k], [k]);
}

// ---------------------------------------------------------------------------------------------
// Entry points

const BY_KIND: Record<string, (o: KubeObject, ctx: DefaultsContext) => void> = {
  Deployment: defaultDeployment,
  ReplicaSet: defaultReplicaSet,
  StatefulSet: defaultStatefulSet,
  DaemonSet: defaultDaemonSet,
  Job: defaultJob,
  CronJob: defaultCronJob,
  Pod: (o) => defaultPodSpec(child(o, 'spec'), true),
  PodTemplate: (o, ctx) => defaultPodTemplate(o.template, ctx),
  Service: (o) => defaultService(o),
  Secret: (o) => defaultSecret(o),
  Namespace: (o) => defaultNamespace(o),
  NetworkPolicy: (o) => defaultNetworkPolicy(o),
  PersistentVolumeClaim: (o) => defaultPvc(o),
  PersistentVolume: (o) => defaultPv(o),
  HorizontalPodAutoscaler: (o) => defaultHpa(o),
  RoleBinding: (o) => defaultBinding(o),
  ClusterRoleBinding: (o) => defaultBinding(o),
  CustomResourceDefinition: (o) => defaultCrd(o),
};

/** What the registry (not decoding) sets: owned by no field manager. */
const SERVER_BY_KIND: Record<string, (o: KubeObject, ctx: DefaultsContext) => void> = {
  Service: allocateService,
  Job: (o) => generateJobSelector(o),
  Namespace: (o) => namespaceFinalizer(o),
  DaemonSet: daemonSetTemplateGeneration,
};

/**
 * Apply kube-apiserver's defaults to a built-in object in place (idempotent: twice == once).
 * Unknown kinds (custom resources) are untouched. See DefaultsContext.stage for the two steps.
 */
export function applyDefaults(obj: KubeObject, ctx: DefaultsContext = {}): void {
  if (!isObj(obj.metadata)) return;
  const stage = ctx.stage ?? 'all';
  const decode = BY_KIND[obj.kind];
  if (decode && stage !== 'server') {
    decode(obj, ctx);
    defaultStatusShape(obj);
    canonicalizeQuantities(obj);
  }
  const server = SERVER_BY_KIND[obj.kind];
  if (server && stage !== 'decode') server(obj, ctx);
}

/** JSON Pointers of the leaves (empty maps/lists included) that `after` adds to or changes from `before`. */
export function defaultedPaths(before: unknown, after: unknown): string[] {
  const out: string[] = [];
  const leaves = (v: unknown, path: (string | number)[]) => {
    const entries = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : isObj(v) ? Object.entries(v) : undefined;
    if (!entries || entries.length === 0) out.push(toPointer(path));
    else for (const [k, x] of entries) leaves(x, [...path, k]);
  };
  const walk = (b: unknown, a: unknown, path: (string | number)[]) => {
    if (a === undefined) return;
    if (b === undefined) return leaves(a, path);
    if (isObj(a) && isObj(b)) {
      for (const k of Object.keys(a)) walk(b[k], a[k], [...path, k]);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((x, i) => walk(b[i], x, [...path, i]));
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(toPointer(path));
  };
  walk(before, after, []);
  return out;
}

/** applyDefaults that also says which pointers it set (for tests and "server-set field" reasoning). */
export function applyDefaultsReport(obj: KubeObject, ctx: DefaultsContext = {}): string[] {
  const before = structuredClone(obj);
  applyDefaults(obj, ctx);
  return defaultedPaths(before, obj);
}

