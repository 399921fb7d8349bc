// Field-by-field comparison of a desired (Git) object with its live counterpart, with Argo CD's
// semantics: only fields Git sets are compared (a field only live has — a server default, a
// bookkeeping field, a label somebody else added — is never drift), keyed lists are matched by
// key (SSA list types), quantities compare by value, int-or-string values compare by text, and
// "defaulted empties" ({} / [] / null / "" / false / 0 in Git, absent live) are equal.
import { isAtomicMap, isQuantityPath, listKeyDefault, listType } from '../k8s/schema';
import { quantityEquals } from '../k8s/quantity';
import { toPointer, type KubeObject } from '../model';

export interface RawDrift {
  /** JSON Pointer into the desired object (list indices as rendered). */
  path: string;
  /** JSON Pointer of the same value in the live object (live list indices); undefined when live lacks it. */
  livePath?: string;
  desired: unknown;
  live: unknown;
}

type Segment = string | number;

/** Top-level fields that identify an object rather than describe it. */
const IDENTITY_FIELDS = new Set(['apiVersion', 'kind', 'status']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Values that Kubernetes drops or never stores: Git writing them and live lacking them is no drift. */
export function isEmptyish(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === false || v === 0) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isPlainObject(v)) return Object.values(v).every(isEmptyish);
  return false;
}

const QUANTITY_FIELD_HINTS = new Set(['limits', 'requests', 'capacity', 'hard', 'storage']);

function quantityPath(kind: string, names: string[]): boolean {
  try {
    if (isQuantityPath(kind, names)) return true;
  } catch { /* fall back to the hint below */ }
  // Custom resources and any map of quantities under resources.limits/requests.
  return names.some((n) => QUANTITY_FIELD_HINTS.has(n));
}

/** Scalar equality as Kubernetes means it. */
export function scalarEquals(desired: unknown, live: unknown, kind: string, names: string[]): boolean {
  if (desired === live) return true;
  const dt = typeof desired;
  const lt = typeof live;
  if ((dt === 'string' || dt === 'number') && (lt === 'string' || lt === 'number')) {
    // int-or-string (ports, maxSurge): 8080 and "8080" are the same value once applied.
    if (dt !== lt && String(desired) === String(live)) return true;
    if (quantityPath(kind, names)) {
      try { return quantityEquals(desired, live); } catch { return false; }
    }
  }
  return false;
}

/** A key field of a keyed list item; a missing one takes its API default (protocol TCP), as SSA does. */
function keyOf(item: unknown, key: string, kind: string, names: string[]): unknown {
  if (!isPlainObject(item)) return undefined;
  const v = item[key];
  if (v !== undefined) return v;
  try { return listKeyDefault(kind, names, key); } catch { return undefined; }
}

function sameKey(a: unknown, b: unknown, keys: string[], kind: string, names: string[]): boolean {
  return keys.every((k) => {
    const av = keyOf(a, k, kind, names);
    const bv = keyOf(b, k, kind, names);
    return av === bv || (av !== undefined && bv !== undefined && scalarEquals(av, bv, kind, [...names, k]));
  });
}

function listTypeOf(kind: string, names: string[]): { type: 'map'; keys: string[] } | { type: 'set' } | { type: 'atomic' } {
  try {
    return listType(kind, names);
  } catch {
    return { type: 'atomic' };
  }
}

/** JSON with sorted keys and empty values dropped, for whole-value equality of atomic maps. */
function canonicalJson(v: unknown): string {
  const strip = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(strip);
    if (isPlainObject(x)) {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort()) if (!isEmptyish(x[k])) o[k] = strip(x[k]);
      return o;
    }
    return x;
  };
  return JSON.stringify(strip(v));
}

function atomicMap(kind: string, names: string[]): boolean {
  try { return isAtomicMap(kind, names); } catch { return false; }
}

/** Compare one desired object with its live counterpart (both normalized). */
export function diffObjects(desired: KubeObject, live: KubeObject): RawDrift[] {
  const kind = desired.kind;
  const out: RawDrift[] = [];
  // One mutable path per side (pushed/popped while walking): no arrays allocated per field.
  const dPath: Segment[] = [];
  const lPath: Segment[] = [];
  const names: string[] = [];
  const emit = (d: unknown, l: unknown, liveHas: boolean) => {
    out.push({ path: toPointer(dPath), livePath: liveHas ? toPointer(lPath) : undefined, desired: d, live: l ?? undefined });
  };

  const walk = (d: unknown, l: unknown): void => {
    // null in Git means "not set" (Helm drops it, apply treats it as absent).
    if (d === undefined || d === null) return;
    if (l === undefined || l === null) {
      if (!isEmptyish(d)) emit(d, undefined, false);
      return;
    }
    if (isPlainObject(d)) {
      if (!isPlainObject(l)) { emit(d, l, true); return; }
      const before = out.length;
      const top = dPath.length === 0;
      for (const key in d) {
        if (top && IDENTITY_FIELDS.has(key)) continue;
        dPath.push(key); lPath.push(key); names.push(key);
        walk(d[key], l[key]);
        dPath.pop(); lPath.pop(); names.pop();
      }
      // Atomic maps (label selectors, nodeSelector) are one value: a key only live has is drift too.
      if (out.length === before && !top && atomicMap(kind, names) && canonicalJson(d) !== canonicalJson(l)) emit(d, l, true);
      return;
    }
    if (Array.isArray(d)) {
      if (!Array.isArray(l)) {
        if (!(d.length === 0 && isEmptyish(l))) emit(d, l, true);
        return;
      }
      const lt = listTypeOf(kind, names);
      if (lt.type === 'map' && d.every((item) => isPlainObject(item) && lt.keys.some((k) => item[k] !== undefined))) {
        const used = new Set<number>();
        for (let i = 0; i < d.length; i++) {
          const item = d[i];
          // Same position first (the common case), then a search by key.
          let j = i < l.length && sameKey(item, l[i], lt.keys, kind, names) && !used.has(i) ? i : -1;
          if (j < 0) j = l.findIndex((candidate, idx) => !used.has(idx) && sameKey(item, candidate, lt.keys, kind, names));
          dPath.push(i);
          if (j < 0) {
            emit(item, undefined, false);
          } else {
            used.add(j);
            lPath.push(j);
            walk(item, l[j]);
            lPath.pop();
          }
          dPath.pop();
        }
        return;
      }
      if (lt.type === 'set') {
        const missing = d.some((m) => !l.some((x) => scalarEquals(m, x, kind, names) || JSON.stringify(m) === JSON.stringify(x)));
        if (missing) emit(d, l, true);
        return;
      }
      // Atomic list: same length and every element equal (elements compared on the fields Git sets,
      // so a default the server adds inside an element is not drift).
      if (d.length !== l.length) { emit(d, l, true); return; }
      for (let i = 0; i < d.length; i++) {
        dPath.push(i); lPath.push(i);
        walk(d[i], l[i]);
        dPath.pop(); lPath.pop();
      }
      return;
    }
    if (isPlainObject(l) || Array.isArray(l)) {
      if (!(isEmptyish(d) && isEmptyish(l))) emit(d, l, true);
      return;
    }
    if (!scalarEquals(d, l, kind, names)) emit(d, l, true);
  };

  walk(desired, live);
  return out;
}

/** Value at a JSON Pointer (segments already unescaped), or undefined. */
export function getAt(obj: unknown, segments: string[]): unknown {
  let cur: unknown = obj;
  for (const s of segments) {
    if (Array.isArray(cur)) cur = cur[Number(s)];
    else if (isPlainObject(cur)) cur = cur[s];
    else return undefined;
  }
  return cur;
}
