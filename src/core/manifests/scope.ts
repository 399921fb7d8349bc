// Which kinds are cluster-scoped (no namespace is added to them): B2's schema (src/core/k8s/schema.ts)
// for built-in kinds, this list for well-known CRD kinds (cert-manager, Gateway API, ...), and CRDs
// rendered in the same app (spec.scope).
import type { KubeObject } from '../model';
import { groupOf } from '../model';
import { BUILTIN_KINDS } from '../k8s/schema';

const CLUSTER_SCOPED = new Set([
  '/Namespace', '/Node', '/PersistentVolume', '/ComponentStatus',
  'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition', 'storage.k8s.io/StorageClass', 'storage.k8s.io/CSIDriver',
  'storage.k8s.io/CSINode', 'storage.k8s.io/VolumeAttachment', 'networking.k8s.io/IngressClass',
  'scheduling.k8s.io/PriorityClass', 'apiregistration.k8s.io/APIService',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration', 'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy', 'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'node.k8s.io/RuntimeClass', 'certificates.k8s.io/CertificateSigningRequest', 'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration', 'policy/PodSecurityPolicy',
  'cert-manager.io/ClusterIssuer', 'gateway.networking.k8s.io/GatewayClass',
  'snapshot.storage.k8s.io/VolumeSnapshotClass', 'networking.k8s.io/IPAddress', 'networking.k8s.io/ServiceCIDR',
  'resource.k8s.io/DeviceClass',
]);

let builtin: Map<string, boolean> | undefined;

/** B2's BUILTIN_KINDS, indexed once. */
function builtinScopes(): Map<string, boolean> {
  if (!builtin) {
    builtin = new Map();
    for (const k of BUILTIN_KINDS) builtin.set(`${k.group}/${k.kind}`, k.namespaced);
  }
  return builtin;
}

/** Kept for callers that awaited it before the schema was a static import. */
export async function loadBuiltinScopes(): Promise<void> {
  builtinScopes();
}

/** `extra` = group/Kind -> namespaced, from CRDs rendered in the same app. */
export function isNamespaced(obj: Pick<KubeObject, 'apiVersion' | 'kind'>, extra?: Map<string, boolean>): boolean {
  const key = `${groupOf(obj.apiVersion)}/${obj.kind}`;
  const fromCrd = extra?.get(key);
  if (fromCrd !== undefined) return fromCrd;
  const fromSchema = builtinScopes().get(key);
  if (fromSchema !== undefined) return fromSchema;
  return !CLUSTER_SCOPED.has(key);
}

/** group/Kind -> namespaced for every CRD among the objects. */
export function crdScopes(objects: KubeObject[]): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition') continue;
    const spec = o.spec as { group?: string; scope?: string; names?: { kind?: string } } | undefined;
    if (spec?.group && spec.names?.kind) out.set(`${spec.group}/${spec.names.kind}`, spec.scope !== 'Cluster');
  }
  return out;
}
