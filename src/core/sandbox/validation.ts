// The few validation rules whose absence would let a broken manifest look applied: object names,
// workload selectors that must match their template, pods without containers or images, Service
// ports. Messages follow kube-apiserver's (field path, then "Invalid value"/"Required value").
import type { KubeObject } from '../model';
import type { ResourceType } from './registry';
import type { StatusCause } from './status';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Kinds whose names must be DNS-1123 labels rather than subdomains. */
const LABEL_NAMED = new Set(['Namespace', 'Service']);
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);
// RBAC names are path segments: anything but '/', '%', '.', '..'.
const FREE_NAMED = new Set(['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

function goMap(m: Record<string, string>): string {
  return `map[string]string{${Object.entries(m).map(([k, v]) => `"${k}":"${v}"`).join(', ')}}`;
}

function validatePodSpec(spec: unknown, path: string, out: StatusCause[]): void {
  if (!isObj(spec)) { out.push({ field: path, reason: 'FieldValueRequired', message: 'Required value' }); return; }
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    out.push({ field: `${path}.containers`, reason: 'FieldValueRequired', message: 'Required value' });
    return;
  }
  containers.forEach((c: unknown, i: number) => {
    if (!isObj(c) || !c.name) out.push({ field: `${path}.containers[${i}].name`, reason: 'FieldValueRequired', message: 'Required value' });
    if (!isObj(c) || !c.image) out.push({ field: `${path}.containers[${i}].image`, reason: 'FieldValueRequired', message: 'Required value' });
  });
}

export function validateObject(type: ResourceType, obj: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const name = obj.metadata.name;
  if (!FREE_NAMED.has(type.kind) || type.custom) {
    const label = LABEL_NAMED.has(type.kind) && !type.custom;
    if (name.length > (label ? 63 : 253) || !(label ? DNS1123_LABEL : DNS1123_SUBDOMAIN).test(name)) {
      out.push({ field: 'metadata.name', message: `Invalid value: "${name}": a lowercase RFC 1123 ${label ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-'${label ? '' : " or '.'"}, and must start and end with an alphanumeric character` });
    }
  }
  if (type.custom) return out;
  const spec = obj.spec as Record<string, any> | undefined;
  if (WORKLOADS.has(type.kind)) {
    const selector = spec?.selector;
    const labels = (spec?.template?.metadata?.labels ?? {}) as Record<string, string>;
    if (!isObj(selector) || (!isObj(selector.matchLabels) && !Array.isArray(selector.matchExpressions))) {
      out.push({ field: 'spec.selector', reason: 'FieldValueRequired', message: 'Required value' });
    } else {
      const mismatch = Object.entries((selector.matchLabels ?? {}) as Record<string, string>).some(([k, v]) => labels[k] !== v);
      if (mismatch) out.push({ field: 'spec.template.metadata.labels', message: `Invalid value: ${goMap(labels)}: \`selector\` does not match template \`labels\`` });
    }
    validatePodSpec(spec?.template?.spec, 'spec.template.spec', out);
  }
  if (type.kind === 'Job') validatePodSpec(spec?.template?.spec, 'spec.template.spec', out);
  if (type.kind === 'CronJob') validatePodSpec(spec?.jobTemplate?.spec?.template?.spec, 'spec.jobTemplate.spec.template.spec', out);
  if (type.kind === 'Pod') validatePodSpec(spec, 'spec', out);
  if (type.kind === 'Service' && spec?.type !== 'ExternalName') {
    (Array.isArray(spec?.ports) ? spec!.ports : []).forEach((p: any, i: number) => {
      if (!isObj(p) || typeof p.port !== 'number' || p.port < 1 || p.port > 65535) {
        out.push({ field: `spec.ports[${i}].port`, message: `Invalid value: ${JSON.stringify(isObj(p) ? p.port : p)}: must be between 1 and 65535, inclusive` });
      }
    });
  }
  return out;
}
