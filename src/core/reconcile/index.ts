// Reconcile one resource: normalize both sides, drop ignored fields, mask Secrets, compare field by
// field, attribute each drifted field to the live field manager, and map it to the Git line.
import { ownerOf } from '../k8s/managedFields';
import { fromPointer, refOf, toPointer, type App, type DesiredObject, type FieldDrift, type IgnoreDifferencesRule, type KubeObject, type ResourceDrift, type SourceLocation } from '../model';
import { diffObjects } from './compare';
import { healthOf } from './health';
import { applyFieldIgnores, effectiveIgnore, hasFieldRemovals, type EffectiveIgnore } from './ignore';
import { maskSecrets } from './mask';
import { normalizeObject } from './normalize';

export { diffObjects, scalarEquals, isEmptyish, getAt } from './compare';
export { normalizeObject, slimLive, foldStringData, LAST_APPLIED } from './normalize';
export { maskSecrets, FIRST_MASK } from './mask';
export { healthOf, worstHealth, HEALTH_KINDS } from './health';
export { compileJq, jqPaths, JqUnsupportedError } from './jq';
export { effectiveIgnore, ruleMatches, applyFieldIgnores } from './ignore';

export interface ResourceComparison {
  resource: ResourceDrift;
  /** Both sides as compared (normalized, ignored fields removed, Secrets masked). */
  desiredNormalized?: KubeObject;
  liveNormalized?: KubeObject;
  /** Problems with ignore rules etc., in plain words. */
  errors: string[];
}

/** The nearest mapped source of a pointer: the field itself or its closest mapped ancestor. */
export function sourceFor(desired: DesiredObject, pointer: string): SourceLocation {
  const segments = fromPointer(pointer);
  for (let n = segments.length; n >= 0; n--) {
    const found = desired.fieldSources.get(toPointer(segments.slice(0, n)));
    if (found) return found;
  }
  return desired.source;
}

function attribute(live: KubeObject, livePath: string | undefined): { manager?: string; operation?: string; time?: string } {
  if (livePath === undefined) return {};
  const fields = live.metadata?.managedFields;
  if (!fields?.length) return {};
  try {
    // Exact owner first; an atomic value (a list or struct owned as one leaf) is owned at an ancestor.
    const owner = ownerOf(fields, live, livePath) ?? ownerOf(fields, live, livePath, { ancestors: true });
    return owner ? { manager: owner.manager, operation: owner.operation, time: owner.time } : {};
  } catch {
    return {};
  }
}

export interface CompareInput {
  desired?: DesiredObject;
  live?: KubeObject;
  rules: IgnoreDifferencesRule[];
}

/** No rules match: the common case, shared (read only) instead of built per resource. */
const NO_IGNORE: EffectiveIgnore = { pointers: [], jq: [], managers: new Set(), errors: [] };

/**
 * A comparison whose normalized copies are built on first read (most never are). They are own,
 * enumerable getter properties, as they always were, but every instance shares the same two getter
 * functions: a getter closure per result gave each result a hidden class of its own, which made
 * building a few thousand results cost more than comparing the objects.
 */
class LazyComparison {
  resource: ResourceDrift;
  errors: string[];
  declare desiredNormalized: KubeObject;
  declare liveNormalized: KubeObject;
  #desired: KubeObject;
  #live: KubeObject;
  #desiredNormalized?: KubeObject;
  #liveNormalized?: KubeObject;

  static readonly #desiredGetter: PropertyDescriptor = {
    enumerable: true, configurable: true,
    get(this: LazyComparison) { return (this.#desiredNormalized ??= normalizeObject(this.#desired)); },
  };
  static readonly #liveGetter: PropertyDescriptor = {
    enumerable: true, configurable: true,
    get(this: LazyComparison) { return (this.#liveNormalized ??= normalizeObject(this.#live)); },
  };

  constructor(resource: ResourceDrift, errors: string[], desired: KubeObject, live: KubeObject) {
    this.resource = resource;
    this.errors = errors;
    this.#desired = desired;
    this.#live = live;
    Object.defineProperty(this, 'desiredNormalized', LazyComparison.#desiredGetter);
    Object.defineProperty(this, 'liveNormalized', LazyComparison.#liveGetter);
  }
}

export function compareResource({ desired, live, rules }: CompareInput): ResourceComparison {
  const ref = desired?.ref ?? refOf(live!);
  if (!live) {
    const desiredNormalized = normalizeObject(desired!.object);
    maskSecrets(desiredNormalized);
    return { resource: { apiVersion: ref.apiVersion, kind: ref.kind, namespace: ref.namespace, name: ref.name, status: 'Missing', health: 'Missing', source: desired!.source, drift: [] }, desiredNormalized, errors: [] };
  }
  const health = healthOf(live)?.status;
  if (!desired) {
    const liveNormalized = normalizeObject(live);
    maskSecrets(liveNormalized);
    return { resource: { apiVersion: ref.apiVersion, kind: ref.kind, namespace: ref.namespace, name: ref.name, status: 'Extra', health, drift: [] }, liveNormalized, errors: [] };
  }
  const ignore = rules.length ? effectiveIgnore(rules, ref) : NO_IGNORE;
  // Fast path (most objects): no Secret to fold or mask, no field to remove — compare the objects as
  // they are (the comparison only walks what Git sets, so live bookkeeping never counts) and build the
  // normalized copies only when somebody asks for them.
  const copy = desired.object.kind === 'Secret' || live.kind === 'Secret' || hasFieldRemovals(ignore);
  let desiredNormalized: KubeObject | undefined;
  let liveNormalized: KubeObject | undefined;
  if (copy) {
    desiredNormalized = applyFieldIgnores(normalizeObject(desired.object), ignore);
    liveNormalized = applyFieldIgnores(normalizeObject(live), ignore);
    maskSecrets(desiredNormalized, liveNormalized);
  }
  const drift: FieldDrift[] = [];
  const raws = diffObjects(desiredNormalized ?? desired.object, liveNormalized ?? live);
  for (let i = 0; i < raws.length; i++) {
    const raw = raws[i];
    const who = attribute(live, raw.livePath);
    if (who.manager && ignore.managers.has(who.manager)) continue;
    drift.push({ path: raw.path, desired: raw.desired, live: raw.live, ...who, source: sourceFor(desired, raw.path) });
  }
  const resource: ResourceDrift = { apiVersion: ref.apiVersion, kind: ref.kind, namespace: ref.namespace, name: ref.name, status: drift.length ? 'OutOfSync' : 'Synced', health, source: desired.source, drift };
  // A fresh errors array per result, as effectiveIgnore gives.
  const errors = ignore === NO_IGNORE ? [] : ignore.errors;
  if (copy) return { resource, errors, desiredNormalized, liveNormalized };
  return new LazyComparison(resource, errors, desired.object, live);
}

/** Does `live` belong to `app` by Argo CD / Flux tracking metadata? */
export function isTrackedBy(live: KubeObject, app: Pick<App, 'name' | 'agent' | 'agentObject'>): boolean {
  const labels = live.metadata?.labels ?? {};
  const annotations = live.metadata?.annotations ?? {};
  const trackingId = annotations['argocd.argoproj.io/tracking-id'];
  if (typeof trackingId === 'string' && trackingId.startsWith(app.name + ':')) return true;
  if (labels['app.kubernetes.io/instance'] === app.name && app.agent !== 'flux') return true;
  const fluxName = labels['kustomize.toolkit.fluxcd.io/name'];
  if (fluxName) {
    const name = app.agent === 'flux' && app.agentObject ? app.agentObject.name : app.name;
    const namespace = labels['kustomize.toolkit.fluxcd.io/namespace'];
    if (fluxName === name && (!app.agentObject?.namespace || !namespace || namespace === app.agentObject.namespace)) return true;
  }
  return false;
}
