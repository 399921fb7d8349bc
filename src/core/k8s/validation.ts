// The slice of kube-apiserver validation that real clients and manifests run into (k8s-defaults.md §3):
// int-or-string ports and rolling-update values, Job restart policy, quantities, duplicate keys.
// Returns field errors in Kubernetes' wording; the server turns them into a 422 Invalid Status
// (`<Kind>.<group> "<name>" is invalid: <field>: <message>`).

import type { KubeObject } from '../model';
import { parseQuantity } from './quantity';
import { isQuantityPath, podSpecRoot } from './schema';

export interface FieldError {
  /** Kubernetes field path: `spec.template.spec.containers[0].ports[1].containerPort`. */
  field: string;
  /** e.g. `Invalid value: "8080": must contain at least one letter (a-z)` */
  message: string;
  reason: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueDuplicate' | 'FieldValueNotSupported';
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

/** Go's %v of an int-or-string / scalar in "Invalid value: ..." messages. */
function shown(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function invalid(field: string, value: unknown, msg: string): FieldError {
  return { field, message: `Invalid value: ${shown(value)}: ${msg}`, reason: 'FieldValueInvalid' };
}

/** AM util/validation IsValidPortName (IANA_SVC_NAME). */
export function portNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

function portNumberErrors(field: string, port: unknown): FieldError[] {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    return [invalid(field, port, 'must be between 1 and 65535, inclusive')];
  }
  return [];
}

/** ValidatePortNumOrName: an int 1-65535 or an IANA port name. */
function portNumOrNameErrors(field: string, port: unknown): FieldError[] {
  if (typeof port === 'string') return portNameErrors(port).map((m) => invalid(field, port, m));
  return portNumberErrors(field, port);
}

const PERCENT_MSG = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/** ValidatePositiveIntOrPercent. */
function intOrPercentErrors(field: string, v: unknown): FieldError[] {
  if (typeof v === 'string') return /^[0-9]+%$/.test(v) ? [] : [invalid(field, v, PERCENT_MSG)];
  if (typeof v === 'number') return v < 0 ? [invalid(field, v, 'must be greater than or equal to 0')] : [];
  return [invalid(field, v, "must be an integer or percentage (e.g '5%')")];
}

function isZero(v: unknown): boolean {
  return v === 0 || (typeof v === 'string' && /^0+%$/.test(v));
}

function nonNegative(field: string, v: unknown): FieldError[] {
  return typeof v === 'number' && v < 0 ? [invalid(field, v, 'must be greater than or equal to 0')] : [];
}

function duplicateNames(field: string, items: Obj[], key: string): FieldError[] {
  const seen = new Set<unknown>();
  const errs: FieldError[] = [];
  items.forEach((item, i) => {
    const v = item[key];
    if (v === undefined) return;
    if (seen.has(v)) errs.push({ field: `${field}[${i}].${key}`, message: `Duplicate value: ${shown(v)}`, reason: 'FieldValueDuplicate' });
    seen.add(v);
  });
  return errs;
}

function handlerErrors(field: string, h: unknown): FieldError[] {
  if (!isObj(h)) return [];
  const errs: FieldError[] = [];
  if (isObj(h.httpGet)) errs.push(...portNumOrNameErrors(`${field}.httpGet.port`, h.httpGet.port));
  if (isObj(h.tcpSocket)) errs.push(...portNumOrNameErrors(`${field}.tcpSocket.port`, h.tcpSocket.port));
  if (isObj(h.grpc)) errs.push(...portNumberErrors(`${field}.grpc.port`, h.grpc.port));
  return errs;
}

function podSpecErrors(field: string, spec: Obj, opts: { job: boolean }): FieldError[] {
  const errs: FieldError[] = [];
  const allContainers: Obj[] = [];
  for (const key of ['initContainers', 'containers']) {
    const cs = list(spec[key]);
    allContainers.push(...cs);
    cs.forEach((c, i) => {
      const cf = `${field}.${key}[${i}]`;
      list(c.ports).forEach((p, j) => {
        errs.push(...portNumberErrors(`${cf}.ports[${j}].containerPort`, p.containerPort));
        if (p.name !== undefined && typeof p.name === 'string') errs.push(...portNameErrors(p.name).map((m) => invalid(`${cf}.ports[${j}].name`, p.name, m)));
      });
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) errs.push(...handlerErrors(`${cf}.${probe}`, c[probe]));
      if (isObj(c.lifecycle)) for (const hook of ['postStart', 'preStop']) errs.push(...handlerErrors(`${cf}.lifecycle.${hook}`, c.lifecycle[hook]));
    });
  }
  // Container names are unique across init and regular containers.
  const seen = new Set<unknown>();
  for (const key of ['initContainers', 'containers']) {
    list(spec[key]).forEach((c, i) => {
      if (c.name !== undefined && seen.has(c.name)) errs.push({ field: `${field}.${key}[${i}].name`, message: `Duplicate value: ${shown(c.name)}`, reason: 'FieldValueDuplicate' });
      seen.add(c.name);
    });
  }
  errs.push(...duplicateNames(`${field}.volumes`, list(spec.volumes), 'name'));
  if (opts.job && spec.restartPolicy !== undefined && spec.restartPolicy !== 'OnFailure' && spec.restartPolicy !== 'Never') {
    errs.push({ field: `${field}.restartPolicy`, message: `Unsupported value: ${shown(spec.restartPolicy)}: supported values: "OnFailure", "Never"`, reason: 'FieldValueNotSupported' });
  }
  if (opts.job && spec.restartPolicy === undefined) {
    errs.push({ field: `${field}.restartPolicy`, message: 'Required value: valid values: "OnFailure", "Never"', reason: 'FieldValueRequired' });
  }
  return errs;
}

function quantityErrors(kind: string, value: unknown, path: string[], field: string, out: FieldError[]): void {
  if (Array.isArray(value)) {
    value.forEach((x, i) => quantityErrors(kind, x, path, `${field}[${i}]`, out));
    return;
  }
  if (isObj(value)) {
    for (const [k, v] of Object.entries(value)) {
      const sub = /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && !isQuantityPath(kind, [...path, k]) ? `${field ? `${field}.` : ''}${k}` : `${field}[${k}]`;
      quantityErrors(kind, v, [...path, k], sub, out);
    }
    return;
  }
  if ((typeof value === 'string' || typeof value === 'number') && isQuantityPath(kind, path)) {
    try {
      parseQuantity(value);
    } catch {
      out.push(invalid(field, value, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
    }
  }
}

/**
 * Field errors for a built-in object (empty when valid or when the kind is not validated here).
 * Call after defaulting, as the API server does.
 */
export function validateObject(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = isObj(obj.spec) ? obj.spec : {};
  const root = podSpecRoot(obj.kind);
  if (root) {
    let podSpec: unknown = obj;
    for (const p of root) podSpec = isObj(podSpec) ? podSpec[p] : undefined;
    if (isObj(podSpec)) errs.push(...podSpecErrors(root.join('.'), podSpec, { job: obj.kind === 'Job' || obj.kind === 'CronJob' }));
  }
  if (['Deployment', 'ReplicaSet', 'StatefulSet'].includes(obj.kind)) errs.push(...nonNegative('spec.replicas', spec.replicas));
  if (obj.kind === 'Deployment' && isObj(spec.strategy) && isObj(spec.strategy.rollingUpdate)) {
    const ru = spec.strategy.rollingUpdate;
    const f = 'spec.strategy.rollingUpdate';
    if (ru.maxSurge !== undefined) errs.push(...intOrPercentErrors(`${f}.maxSurge`, ru.maxSurge));
    if (ru.maxUnavailable !== undefined) errs.push(...intOrPercentErrors(`${f}.maxUnavailable`, ru.maxUnavailable));
    if (isZero(ru.maxSurge) && isZero(ru.maxUnavailable)) {
      errs.push(invalid(`${f}.maxUnavailable`, ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
    }
  }
  if (obj.kind === 'Service') {
    list(spec.ports).forEach((p, i) => {
      const f = `spec.ports[${i}]`;
      errs.push(...portNumberErrors(`${f}.port`, p.port));
      if (p.targetPort !== undefined) errs.push(...portNumOrNameErrors(`${f}.targetPort`, p.targetPort));
    });
  }
  quantityErrors(obj.kind, obj, [], '', errs);
  return errs;
}
