// Field ownership as kube-apiserver records it in metadata.managedFields (apimachinery
// pkg/util/managedfields/internal + structured-merge-diff): server-side apply with conflicts, Update
// ownership, and "who owns this live value" for drift attribution.
// Facts: /work/shared/k8s-defaults.md §4+5 and §6, /work/shared/k8s-api.md (SSA).

import { fromPointer, type KubeObject, type ManagedFieldsEntry } from '../model';
import {
  atomicMapAt, decodeFieldsV1, encodeFieldsV1, fieldNames, fieldPE, FieldSet, listItemPE, pathKey, pathToString,
  pointerToFieldPath, type FieldPath,
} from './fieldpath';
import { clone, deepEqual, isObject, type Json, type JsonObject } from './json';
import { PatchError } from './patch';
import { hasSubresource, isBuiltinKind, listKeyDefault, listType } from './schema';

export { deepEqual } from './json';

export { decodeFieldsV1, encodeFieldsV1, pathToString } from './fieldpath';

export interface SsaConflict {
  manager: string;
  /** SMD spelling: `.spec.template.spec.containers[name="web"].image` */
  field: string;
  apiVersion: string;
  operation?: 'Apply' | 'Update';
  subresource?: string;
  time?: string;
}

export interface ServerSideApplyOptions {
  live?: KubeObject;
  applied: KubeObject;
  manager: string;
  force: boolean;
  /** RFC 3339, whole seconds. */
  now: string;
  apiVersion: string;
  subresource?: string;
  /** Whether the kind has a status subresource (custom resources: from the CRD). Built-ins: from schema. */
  statusSubresource?: boolean;
}

export interface RecordUpdateOptions {
  before?: KubeObject;
  after: KubeObject;
  manager: string;
  now: string;
  apiVersion: string;
  subresource?: string;
  statusSubresource?: boolean;
}

export interface Owner {
  manager: string;
  operation: 'Apply' | 'Update';
  time?: string;
  subresource?: string;
  apiVersion?: string;
}

/** The message Kubernetes puts in a FieldManagerConflict cause. */
export function conflictMessage(c: SsaConflict): string {
  let who = JSON.stringify(c.manager);
  if (c.subresource) who += ` with subresource ${JSON.stringify(c.subresource)}`;
  if (c.operation === 'Update' && c.time) return `conflict with ${who} using ${c.apiVersion} at ${c.time}`;
  return `conflict with ${who} using ${c.apiVersion}`;
}

// ---------------------------------------------------------------------------------------------
// Plain JSON helpers

/** Apply configurations treat null as "not specified". */
function stripNulls(v: Json): Json {
  if (Array.isArray(v)) return v.filter((x) => x !== null).map(stripNulls);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = stripNulls(x);
    return out;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Which parts of an object are tracked at all

const UNTRACKED_METADATA = ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

function hasStatusSubresource(kind: string, explicit?: boolean): boolean {
  return explicit ?? hasSubresource(kind, 'status');
}

/**
 * A copy holding only tracked fields: bookkeeping is never owned; status is not owned by main-resource
 * writes when a status subresource exists; spec (and Deployment labels) are not owned by /status writes.
 */
function tracked(obj: JsonObject | undefined, kind: string, subresource: string | undefined, statusSub: boolean): JsonObject {
  // Shallow copies: only top-level and metadata keys are dropped; nested values are shared read-only.
  const out: JsonObject = { ...(obj ?? {}) };
  delete out.apiVersion;
  delete out.kind;
  if (isObject(out.metadata)) {
    out.metadata = { ...out.metadata };
    for (const f of UNTRACKED_METADATA) delete (out.metadata as JsonObject)[f];
  }
  if (subresource === 'status') {
    delete out.spec;
    if (kind === 'Deployment' && isObject(out.metadata)) delete (out.metadata as JsonObject).labels;
  } else if (statusSub) {
    delete out.status;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The empty object a CREATE is compared against (what Go's zero value of the type serializes to).
// Which container nodes pre-exist decides where Update entries get `.`: e.g. Deployment
// spec.template.spec.containers is `null` in the zero value, so it never gets `.` on create.

const POD_TEMPLATE_ZERO = () => ({ metadata: { creationTimestamp: null }, spec: { containers: null } });

export function emptyObjectFor(kind: string): JsonObject {
  const base: JsonObject = { metadata: { creationTimestamp: null } };
  switch (kind) {
    case 'Pod': return { ...base, spec: { containers: null }, status: {} };
    case 'Deployment': return { ...base, spec: { selector: null, template: POD_TEMPLATE_ZERO(), strategy: {} }, status: {} };
    case 'ReplicaSet': return { ...base, spec: { selector: null, template: POD_TEMPLATE_ZERO() }, status: { replicas: 0 } };
    case 'StatefulSet': return { ...base, spec: { selector: null, template: POD_TEMPLATE_ZERO(), updateStrategy: {} }, status: { replicas: 0 } };
    case 'DaemonSet': return { ...base, spec: { selector: null, template: POD_TEMPLATE_ZERO(), updateStrategy: {} }, status: {} };
    case 'Job': return { ...base, spec: { template: POD_TEMPLATE_ZERO() }, status: {} };
    case 'CronJob': return { ...base, spec: { schedule: '', jobTemplate: { metadata: { creationTimestamp: null }, spec: { template: POD_TEMPLATE_ZERO() } } }, status: {} };
    case 'Service': return { ...base, spec: {}, status: { loadBalancer: {} } };
    case 'Ingress': return { ...base, spec: {}, status: { loadBalancer: {} } };
    case 'PersistentVolumeClaim': return { ...base, spec: { resources: {} }, status: {} };
    case 'PersistentVolume': case 'Namespace': return { ...base, spec: {}, status: {} };
    case 'IngressClass': return { ...base, spec: {} };
    case 'Event': return { ...base, involvedObject: {}, source: {}, firstTimestamp: null, lastTimestamp: null, eventTime: null, reportingComponent: '', reportingInstance: '' };
    case 'NetworkPolicy': return { ...base, spec: { podSelector: {} } };
    case 'HorizontalPodAutoscaler': return { ...base, spec: { scaleTargetRef: { kind: '', name: '' }, maxReplicas: 0 }, status: { desiredReplicas: 0 } };
    case 'PodDisruptionBudget': return { ...base, spec: {}, status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 } };
    case 'Role': case 'ClusterRole': return { ...base, rules: null };
    case 'RoleBinding': case 'ClusterRoleBinding': return { ...base, roleRef: { apiGroup: '', kind: '', name: '' } };
    case 'CustomResourceDefinition': return { ...base, spec: { group: '', names: { plural: '', kind: '' }, scope: '', versions: null }, status: { acceptedNames: { plural: '', kind: '' }, storedVersions: null } };
    default: return isBuiltinKind(kind) ? base : { metadata: {} };
  }
}

// ---------------------------------------------------------------------------------------------
// Field sets of values, comparisons, merges (typed by schema.ts)

function listPath(kind: string, path: FieldPath): { names: string[]; type: ReturnType<typeof listType> } {
  const names = fieldNames(path);
  return { names, type: listType(kind, names) };
}

/** SMD ToFieldSet: what an apply configuration claims (leaves, list items, map keys, empty maps, atomics). */
export function toFieldSet(kind: string, value: Json, path: FieldPath = [], set = new FieldSet()): FieldSet {
  if (Array.isArray(value)) {
    const { names, type } = listPath(kind, path);
    if (type.type === 'atomic' || value.length === 0) {
      set.insert(path);
      return set;
    }
    value.forEach((item, i) => {
      const itemPath = [...path, listItemPE(kind, names, item, i)];
      set.insert(itemPath);
      if (isObject(item) && !atomicMapAt(kind, itemPath)) {
        for (const [k, v] of Object.entries(item)) toFieldSet(kind, v, [...itemPath, fieldPE(k)], set);
      }
    });
    return set;
  }
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (path.length > 0 && (keys.length === 0 || atomicMapAt(kind, path))) {
      set.insert(path);
      return set;
    }
    for (const k of keys) toFieldSet(kind, value[k], [...path, fieldPE(k)], set);
    return set;
  }
  if (path.length > 0) set.insert(path);
  return set;
}

export interface Comparison { added: FieldSet; modified: FieldSet; removed: FieldSet }

/** SMD Compare: leaves added/modified/removed, plus non-leaf nodes that appear or disappear whole. */
export function compareObjects(kind: string, lhs: Json, rhs: Json): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  walkCompare(kind, lhs, rhs, [], c);
  return c;
}

function leaf(lhs: Json, rhs: Json, path: FieldPath, c: Comparison): void {
  if (lhs === undefined && rhs === undefined) return;
  if (lhs === undefined) c.added.insert(path);
  else if (rhs === undefined) c.removed.insert(path);
  else if (!deepEqual(lhs, rhs)) c.modified.insert(path);
}

function isEmptyish(v: Json): boolean {
  return v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);
}

function walkCompare(kind: string, lhs: Json, rhs: Json, path: FieldPath, c: Comparison): void {
  const shape = Array.isArray(lhs) || Array.isArray(rhs) ? 'list' : isObject(lhs) || isObject(rhs) ? 'map' : 'scalar';
  if (shape === 'scalar' || (lhs !== undefined && lhs !== null && Array.isArray(lhs) !== Array.isArray(rhs) && rhs !== undefined && rhs !== null)) {
    if (path.length > 0) leaf(lhs, rhs, path, c);
    return;
  }
  if (shape === 'list') {
    const { names, type } = listPath(kind, path);
    if (type.type === 'atomic' || (isEmptyish(lhs) && isEmptyish(rhs))) {
      leaf(lhs, rhs, path, c);
      return;
    }
    const l = Array.isArray(lhs) ? lhs : [];
    const r = Array.isArray(rhs) ? rhs : [];
    const lItems = new Map(l.map((x, i) => [listItemPE(kind, names, x, i), x] as const));
    const rItems = new Map(r.map((x, i) => [listItemPE(kind, names, x, i), x] as const));
    for (const pe of new Set([...lItems.keys(), ...rItems.keys()])) {
      const itemPath = [...path, pe];
      const li = lItems.get(pe);
      const ri = rItems.get(pe);
      if (type.type === 'set' || atomicMapAt(kind, itemPath) || (!isObject(li) && !isObject(ri))) leaf(li, ri, itemPath, c);
      else walkCompare(kind, li, ri, itemPath, c);
    }
  } else {
    if (path.length > 0 && (atomicMapAt(kind, path) || (isEmptyish(lhs) && isEmptyish(rhs)))) {
      leaf(lhs, rhs, path, c);
      return;
    }
    const l = isObject(lhs) ? lhs : {};
    const r = isObject(rhs) ? rhs : {};
    for (const k of new Set([...Object.keys(l), ...Object.keys(r)])) {
      if (l[k] === undefined && r[k] === undefined) continue;
      walkCompare(kind, l[k], r[k], [...path, fieldPE(k)], c);
    }
  }
  // A whole non-leaf node that appeared or disappeared is itself added/removed (gives `.` in fieldsV1).
  if (path.length > 0) {
    if (lhs === undefined) c.added.insert(path);
    else if (rhs === undefined) c.removed.insert(path);
  }
}

/** SMD typed merge: the applied configuration over the live object, keyed lists merged by key. */
export function mergeTyped(kind: string, lhs: Json, rhs: Json, path: FieldPath = []): Json {
  if (rhs === undefined) return clone(lhs);
  if (lhs === undefined || lhs === null) return clone(rhs);
  if (Array.isArray(rhs)) {
    const { names, type } = listPath(kind, path);
    if (type.type === 'atomic' || !Array.isArray(lhs)) return clone(rhs);
    return mergeList(kind, names, path, lhs, rhs);
  }
  if (isObject(rhs)) {
    if (!isObject(lhs) || (path.length > 0 && atomicMapAt(kind, path))) return clone(rhs);
    const out: JsonObject = {};
    for (const k of Object.keys(lhs)) out[k] = k in rhs ? mergeTyped(kind, lhs[k], rhs[k], [...path, fieldPE(k)]) : clone(lhs[k]);
    for (const k of Object.keys(rhs)) if (!(k in lhs)) out[k] = clone(rhs[k]);
    return out;
  }
  return rhs;
}

/** Port of SMD mergingWalker.visitListItems: live order kept, applied order respected for shared items. */
function mergeList(kind: string, names: string[], path: FieldPath, lhs: Json[], rhs: Json[]): Json[] {
  const lPEs = lhs.map((x, i) => listItemPE(kind, names, x, i));
  const rPEs = rhs.map((x, i) => listItemPE(kind, names, x, i));
  const lMap = new Map(lPEs.map((pe, i) => [pe, lhs[i]] as const));
  const rMap = new Map(rPEs.map((pe, i) => [pe, rhs[i]] as const));
  const sharedOrder = rPEs.filter((pe) => lMap.has(pe));
  let nextShared = sharedOrder.shift();
  const mergedRHS = new Set<string>();
  const out: Json[] = [];
  const mergeItem = (pe: string) => mergeTyped(kind, lMap.get(pe), rMap.get(pe), [...path, pe]);
  let lI = 0;
  let rI = 0;
  let guard = (lhs.length + rhs.length + 1) * 4;
  while ((lI < lPEs.length || rI < rPEs.length) && guard-- > 0) {
    if (lI < lPEs.length && rI < rPEs.length) {
      const pe = lPEs[lI];
      if (pe === rPEs[rI]) {
        mergedRHS.add(pe);
        out.push(mergeItem(pe));
        lI++;
        rI++;
        nextShared = sharedOrder.shift();
        continue;
      }
      if (rMap.has(pe) && nextShared !== undefined && nextShared !== pe) {
        lI++; // a shared item, but not the one due in this round
        continue;
      }
    }
    if (lI < lPEs.length) {
      const pe = lPEs[lI];
      if (!rMap.has(pe)) {
        out.push(clone(lMap.get(pe)));
        lI++;
        continue;
      } else if (mergedRHS.has(pe)) {
        lI++;
        continue;
      }
    }
    if (rI < rPEs.length) {
      const pe = rPEs[rI];
      mergedRHS.add(pe);
      out.push(mergeItem(pe));
      rI++;
      if (nextShared !== undefined && nextShared === pe) nextShared = sharedOrder.shift();
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Removing owned-no-more fields (prune)

/** Remove the node at `path` from `obj`; drops maps/lists emptied by the removal (Go omits them). */
function removePath(kind: string, obj: JsonObject, path: FieldPath): void {
  const parents: { container: JsonObject | Json[]; key: string | number }[] = [];
  let cur: Json = obj;
  for (let i = 0; i < path.length; i++) {
    const pe = path[i];
    if (pe.startsWith('f:')) {
      if (!isObject(cur)) return;
      const name = pe.slice(2);
      if (!(name in cur)) return;
      parents.push({ container: cur, key: name });
      cur = cur[name];
    } else {
      if (!Array.isArray(cur)) return;
      const names = fieldNames(path.slice(0, i));
      const list: Json[] = cur;
      const idx = list.findIndex((item, j) => listItemPE(kind, names, item, j) === pe);
      if (idx < 0) return;
      parents.push({ container: list, key: idx });
      cur = list[idx];
    }
  }
  for (let i = parents.length - 1; i >= 0; i--) {
    const { container, key } = parents[i];
    if (Array.isArray(container)) container.splice(key as number, 1);
    else delete container[key as string];
    // Only cascade upward while the container became empty, and never remove top-level fields.
    if (i <= 1) break;
    const emptied = Array.isArray(container) ? container.length === 0 : Object.keys(container).length === 0;
    if (!emptied) break;
  }
}

// ---------------------------------------------------------------------------------------------
// managedFields entries <-> manager sets

interface ManagerState {
  manager: string;
  operation: 'Apply' | 'Update';
  subresource?: string;
  apiVersion: string;
  time?: string;
  set: FieldSet;
}

function managerKey(manager: string, operation: string, subresource?: string): string {
  return JSON.stringify([manager, operation, subresource ?? '']);
}

function decodeManagers(entries: ManagedFieldsEntry[] | undefined): Map<string, ManagerState> {
  const out = new Map<string, ManagerState>();
  for (const e of entries ?? []) {
    if (!e || !e.manager && !e.operation) continue;
    const key = managerKey(e.manager, e.operation, e.subresource);
    const set = decodeFieldsV1(e.fieldsV1 ?? {});
    const prev = out.get(key);
    if (prev) prev.set = prev.set.union(set);
    else out.set(key, { manager: e.manager, operation: e.operation, subresource: e.subresource || undefined, apiVersion: e.apiVersion, time: e.time, set });
  }
  return out;
}

const MAX_UPDATE_MANAGERS = 10;
const ANCIENT = 'ancient-changes';

function seconds(t?: string): number {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/** At most 10 Update entries: the oldest merge into `ancient-changes` (capManagersManager). */
function capUpdateManagers(managers: Map<string, ManagerState>): void {
  const updaters = [...managers.entries()].filter(([, m]) => m.operation === 'Update');
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  updaters.sort(([ka, a], [kb, b]) => seconds(a.time) - seconds(b.time) || (ka < kb ? -1 : 1));
  let length = updaters.length;
  for (const [key, m] of updaters) {
    if (length <= MAX_UPDATE_MANAGERS) break;
    const bucketKey = managerKey(ANCIENT, 'Update');
    if (key === bucketKey) continue;
    const bucket = managers.get(bucketKey);
    managers.delete(key);
    if (bucket) {
      bucket.set = bucket.set.union(m.set);
      bucket.time = m.time;
      length--;
    } else {
      managers.set(bucketKey, { ...m, manager: ANCIENT, subresource: undefined });
    }
  }
}

const BEFORE_FIRST_APPLY = 'before-first-apply';

function encodeManagers(managers: Map<string, ManagerState>): ManagedFieldsEntry[] {
  capUpdateManagers(managers);
  // stripMetaManager: `metadata` itself is never owned (only what is inside it).
  for (const m of managers.values()) m.set.keys.delete(pathKey([fieldPE('metadata')]));
  const entries = [...managers.values()].filter((m) => !m.set.isEmpty());
  entries.sort((p, q) => {
    if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
    const dt = seconds(p.time) - seconds(q.time);
    if (dt !== 0) return dt;
    if (p.manager !== q.manager) return p.manager < q.manager ? -1 : 1;
    if (p.apiVersion !== q.apiVersion) return p.apiVersion < q.apiVersion ? -1 : 1;
    return (p.subresource ?? '') < (q.subresource ?? '') ? -1 : (p.subresource ?? '') > (q.subresource ?? '') ? 1 : 0;
  });
  return entries.map((m) => {
    // Go's field order: manager, operation, apiVersion, time, fieldsType, fieldsV1, subresource.
    const e: ManagedFieldsEntry = { manager: m.manager, operation: m.operation, apiVersion: m.apiVersion,
      ...(m.time ? { time: m.time } : {}), fieldsType: 'FieldsV1', fieldsV1: encodeFieldsV1(m.set) };
    if (m.subresource) e.subresource = m.subresource;
    return e;
  });
}

/** `[]` or `[{}]` in a request resets ownership; any other client-supplied list replaces it. */
function startingManagedFields(before: KubeObject | undefined, after: KubeObject): { entries: ManagedFieldsEntry[] | undefined; reset: boolean } {
  const prev = before?.metadata?.managedFields;
  const sent = after.metadata?.managedFields;
  if (sent === undefined || deepEqual(sent, prev)) return { entries: prev, reset: false };
  const isReset = Array.isArray(sent) && (sent.length === 0 || sent.every((e) => isObject(e) && Object.keys(e).length === 0));
  if (isReset) return { entries: [], reset: true };
  return { entries: sent, reset: false };
}

// ---------------------------------------------------------------------------------------------
// Public API

/**
 * Server-side apply of `applied` onto `live` (create when live is absent). Returns the merged object with
 * new managedFields, or the conflicts (409) when another manager owns a field this apply changes and
 * force is off. Defaulting is the caller's job (before storing), as in kube-apiserver.
 */
export function serverSideApply(opts: ServerSideApplyOptions):
  { object: KubeObject } | { conflicts: SsaConflict[] } {
  const { live, manager, force, now, apiVersion, subresource } = opts;
  const kind = opts.applied.kind ?? live?.kind;
  const statusSub = hasStatusSubresource(kind, opts.statusSubresource);

  // The configuration: nulls mean "unspecified"; status is dropped on the main resource when a status
  // subresource exists; on /status only status (and metadata) count.
  const config = stripNulls(opts.applied) as JsonObject; // stripNulls copies
  if (isObject(config.metadata)) delete config.metadata.managedFields;
  if (subresource === 'status') {
    for (const k of Object.keys(config)) if (!['apiVersion', 'kind', 'metadata', 'status'].includes(k)) delete config[k];
  } else if (statusSub) delete config.status;
  validateAssociativeLists(kind, config);

  // mergeTyped copies whatever it takes from `base`, so live is never mutated. A create merges onto an
  // empty object (the zero-value skeleton is only what the comparison starts from).
  const base: JsonObject = live ? live as unknown as JsonObject : { apiVersion: config.apiVersion, kind, metadata: {} };
  const managers = decodeManagers(live?.metadata?.managedFields);
  if (live && managers.size === 0) {
    // An object nobody is tracked on (managedFields reset): everything it has so far belongs to
    // `before-first-apply` (skipNonAppliedManager), so a first apply of other values conflicts.
    const cmp = compareObjects(kind, tracked(emptyObjectFor(kind), kind, subresource, statusSub), tracked(live as unknown as JsonObject, kind, subresource, statusSub));
    const set = cmp.added.union(cmp.modified);
    if (!set.isEmpty()) managers.set(managerKey(BEFORE_FIRST_APPLY, 'Update'), { manager: BEFORE_FIRST_APPLY, operation: 'Update', apiVersion, time: now, set });
  }
  const applyKey = managerKey(manager, 'Apply', subresource);
  const previous = managers.get(applyKey);
  const lastSet = previous?.set;

  let merged = mergeTyped(kind, base, config) as JsonObject;
  if (isObject(merged.metadata)) delete merged.metadata.managedFields;
  const newSet = toFieldSet(kind, tracked(config, kind, subresource, statusSub));
  managers.set(applyKey, { manager, operation: 'Apply', subresource, apiVersion, time: previous?.time, set: newSet });

  merged = prune(kind, merged, managers, lastSet, subresource, statusSub);

  const cmp = compareObjects(kind, tracked(live ? base : emptyObjectFor(kind), kind, subresource, statusSub),
    tracked(merged, kind, subresource, statusSub));
  const changed = cmp.added.union(cmp.modified);

  const conflicts: (SsaConflict & { path: FieldPath })[] = [];
  const conflictSets = new Map<string, FieldSet>();
  for (const [key, m] of managers) {
    if (key === applyKey) continue;
    const overlap = m.set.intersection(changed);
    if (overlap.isEmpty()) continue;
    conflictSets.set(key, overlap);
    for (const path of overlap.paths()) {
      conflicts.push({ manager: m.manager, field: pathToString(path), apiVersion: m.apiVersion, operation: m.operation,
        subresource: m.subresource, time: m.time, path });
    }
  }
  if (conflicts.length > 0 && !force) {
    // kubectl upgrading a client-side-applied object: conflicts on fields its last-applied annotation
    // declares with the live value are waived (lastappliedmanager.go), i.e. the apply is forced.
    const allowed = manager === 'kubectl' && live ? allowedFromLastApplied(kind, live) : undefined;
    const remaining = allowed ? conflicts.filter((c) => !allowed.has(c.path)) : conflicts;
    if (remaining.length > 0) {
      // Kubernetes prints conflicts grouped by manager, sorted.
      remaining.sort((a, b) => (a.manager < b.manager ? -1 : a.manager > b.manager ? 1 : a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
      return { conflicts: remaining.map(({ path: _path, ...c }) => c) };
    }
  }

  for (const [key, m] of managers) {
    if (key === applyKey) continue;
    const lost = conflictSets.get(key);
    if (lost) m.set = m.set.difference(lost);
    if (!cmp.removed.isEmpty()) m.set = m.set.difference(cmp.removed);
  }

  // The entry's time moves only when the object changed (or the entry is new).
  const objectChanged = !live || !deepEqual(withoutManagedFields(live), withoutManagedFields(merged));
  const mine = managers.get(applyKey)!;
  if (objectChanged || !mine.time) mine.time = now;

  const result = merged as unknown as KubeObject;
  result.metadata = { ...(result.metadata ?? {}), managedFields: encodeManagers(managers) } as KubeObject['metadata'];
  // kubectl's server-side apply keeps an existing client-side annotation in step (lastappliedupdater.go).
  if (manager === 'kubectl' && result.metadata.annotations?.[LAST_APPLIED] !== undefined) {
    result.metadata.annotations = { ...result.metadata.annotations, [LAST_APPLIED]: lastAppliedValue(opts.applied) };
  }
  return { object: result };
}

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * An apply configuration's keyed lists need every key (or its default) and unique keys; the API server
 * answers 422 otherwise (SMD typed validation).
 */
function validateAssociativeLists(kind: string, value: Json, path: FieldPath = []): void {
  if (Array.isArray(value)) {
    const names = fieldNames(path);
    const lt = listType(kind, names);
    if (lt.type === 'atomic') return;
    const seen = new Set<string>();
    value.forEach((item, i) => {
      if (lt.type === 'map') {
        if (!isObject(item)) throw new PatchError(`${pathToString(path)}: element ${i}: associative list with keys may only have map elements`);
        for (const k of lt.keys) {
          if (item[k] === undefined && listKeyDefault(kind, names, k) === undefined) {
            throw new PatchError(`${pathToString(path)}: element ${i}: associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)`);
          }
        }
      }
      const pe = listItemPE(kind, names, item, i);
      if (seen.has(pe)) throw new PatchError(`${pathToString(path)}: duplicate entries for key ${pathToString([pe])}`);
      seen.add(pe);
      if (isObject(item)) for (const [k, v] of Object.entries(item)) validateAssociativeLists(kind, v, [...path, pe, fieldPE(k)]);
    });
    return;
  }
  if (isObject(value)) for (const [k, v] of Object.entries(value)) validateAssociativeLists(kind, v, [...path, fieldPE(k)]);
}

/** Fields the last-applied annotation declares with the value live still has. */
function allowedFromLastApplied(kind: string, live: KubeObject): FieldSet | undefined {
  const text = live.metadata.annotations?.[LAST_APPLIED];
  if (!text) return undefined;
  let lastApplied: JsonObject;
  try {
    lastApplied = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(lastApplied)) return undefined;
  const declared = toFieldSet(kind, tracked(lastApplied, kind, undefined, false));
  const cmp = compareObjects(kind, tracked(lastApplied, kind, undefined, false), tracked(live as unknown as JsonObject, kind, undefined, false));
  return declared.difference(cmp.modified);
}

/** Go's json.Encoder output of the applied object minus the annotation: sorted keys, HTML escaped, "\n". */
export function lastAppliedValue(applied: KubeObject): string {
  const copy = clone(applied) as KubeObject;
  const ann = copy.metadata?.annotations;
  if (ann) delete ann[LAST_APPLIED]; // an emptied map stays, as Go's SetAnnotations keeps it
  return goJson(copy) + '\n';
}

function goJson(v: unknown): string {
  const escape = (s: string) => JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return escape(v);
  if (typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  const o = v as JsonObject;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${escape(k)}:${goJson(o[k])}`).join(',')}}`;
}

function withoutManagedFields(obj: unknown): JsonObject {
  const c = { ...(obj as JsonObject) };
  if (isObject(c.metadata)) {
    c.metadata = { ...c.metadata };
    delete (c.metadata as JsonObject).managedFields;
  }
  return c;
}

/**
 * SMD prune: fields this manager applied last time and no longer applies are removed, unless some
 * manager (this apply included) still owns them or something below them.
 */
function prune(kind: string, merged: JsonObject, managers: Map<string, ManagerState>, lastSet: FieldSet | undefined,
  subresource: string | undefined, statusSub: boolean): JsonObject {
  if (!lastSet || lastSet.isEmpty()) return merged;
  let owned = new FieldSet();
  for (const m of managers.values()) owned = owned.union(m.set);
  const candidates = lastSet.difference(owned).paths().sort((a, b) => a.length - b.length);
  if (candidates.length === 0) return merged;
  const out = clone(merged);
  for (const path of candidates) {
    if (owned.hasDescendant(path)) continue;
    if (isUntrackedPath(path, subresource, statusSub)) continue;
    removePath(kind, out, path);
  }
  return out;
}

function isUntrackedPath(path: FieldPath, subresource: string | undefined, statusSub: boolean): boolean {
  if (path[0] === 'f:apiVersion' || path[0] === 'f:kind') return true;
  if (path[0] === 'f:metadata' && path[1] && UNTRACKED_METADATA.includes(path[1].slice(2))) return true;
  if (subresource !== 'status' && statusSub && path[0] === 'f:status') return true;
  if (subresource === 'status' && path[0] === 'f:spec') return true;
  return false;
}

/**
 * managedFields after a non-apply write (create, update, patch, scale, status): the writer owns every
 * tracked path it added or changed (defaults included), other managers lose those and anything removed.
 */
export function recordUpdate(opts: RecordUpdateOptions): ManagedFieldsEntry[] {
  const { before, after, manager, now, apiVersion, subresource } = opts;
  const kind = after.kind;
  const statusSub = hasStatusSubresource(kind, opts.statusSubresource);
  const { entries } = startingManagedFields(before, after);
  const managers = decodeManagers(entries);

  const old = before ? (before as unknown as JsonObject) : { ...emptyObjectFor(kind) };
  const cmp = compareObjects(kind, tracked(old, kind, subresource, statusSub), tracked(after as unknown as JsonObject, kind, subresource, statusSub));
  const changed = cmp.added.union(cmp.modified);

  const key = managerKey(manager || 'unknown', 'Update', subresource);
  for (const [k, m] of managers) {
    if (k === key) continue;
    m.set = m.set.difference(changed).difference(cmp.removed);
  }
  const mine = managers.get(key);
  if (!changed.isEmpty()) {
    const set = (mine?.set ?? new FieldSet()).difference(cmp.removed).union(changed);
    managers.set(key, { manager: manager || 'unknown', operation: 'Update', subresource, apiVersion, time: now, set });
  } else if (mine) {
    mine.set = mine.set.difference(cmp.removed);
  }
  return encodeManagers(managers);
}

const decodedCache = new WeakMap<object, FieldSet>();

function entrySet(e: ManagedFieldsEntry): FieldSet {
  const key = e.fieldsV1 as object;
  if (!key || typeof key !== 'object') return new FieldSet();
  let set = decodedCache.get(key);
  if (!set) decodedCache.set(key, (set = decodeFieldsV1(key)));
  return set;
}

/**
 * Who owns the live value at `pointer` (list indices as in `obj`): the entry owning that exact field, or
 * the atomic list/map containing it. With `ancestors`, falls back to the nearest owned ancestor (e.g. the
 * container a defaulted field sits in). Several owners (shared apply): the most recent wins.
 */
export function ownerOf(managedFields: ManagedFieldsEntry[] | undefined, obj: KubeObject, pointer: string,
  opts: { ancestors?: boolean } = {}): Owner | undefined {
  if (!managedFields?.length) return undefined;
  const { path } = pointerToFieldPath(obj.kind, obj, fromPointer(pointer));
  if (path.length === 0) return undefined;
  let best: { depth: number; e: ManagedFieldsEntry } | undefined;
  for (const e of managedFields) {
    const set = entrySet(e);
    let depth = -1;
    if (set.has(path)) depth = path.length;
    else if (opts.ancestors) {
      for (let d = path.length - 1; d > 0; d--) if (set.has(path.slice(0, d))) { depth = d; break; }
    }
    if (depth < 0) continue;
    if (!best || depth > best.depth || (depth === best.depth && seconds(e.time) > seconds(best.e.time))) best = { depth, e };
  }
  if (!best) return undefined;
  const { manager, operation, time, subresource, apiVersion } = best.e;
  return { manager, operation, time, subresource, apiVersion };
}

/** Every manager owning exactly the field at `pointer` (shared ownership after identical applies). */
export function ownersOf(managedFields: ManagedFieldsEntry[] | undefined, obj: KubeObject, pointer: string): Owner[] {
  const { path } = pointerToFieldPath(obj.kind, obj, fromPointer(pointer));
  return (managedFields ?? []).filter((e) => entrySet(e).has(path))
    .map(({ manager, operation, time, subresource, apiVersion }) => ({ manager, operation, time, subresource, apiVersion }));
}
