// Field-by-field comparison of a desired (Git) object with its live counterpart, with Argo CD's
// semantics: only fields Git sets are compared (a field only live has — a server default, a
// bookkeeping field, a label somebody else added — is never drift), keyed lists are matched by
// key (SSA list types), quantities compare by value, int-or-string values compare by text, and
// "defaulted empties" ({} / [] / null / "" / false / 0 in Git, absent live) are equal.
//
// Speed: the CLI compares thousands of objects once, in a fresh process (interpreter / baseline JIT),
// so the walk is written for cold code: one walker object per call instead of closures, plain loops
// instead of every/some/findIndex callbacks, no arrays or strings built per field, and the schema
// lookups (atomic maps, quantities) only where the field name says they can answer yes.
import { ATOMIC_MAP_FIELDS, isAtomicMap, isQuantityPath, listType } from '../k8s/schema';
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
type Obj = Record<string, unknown>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Values that Kubernetes drops or never stores: Git writing them and live lacking them is no drift. */
export function isEmptyish(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === false || v === 0) return true;
  if (typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.length === 0;
  for (const k in v) if (!isEmptyish((v as Obj)[k])) return false;
  return true;
}

const QUANTITY_FIELD_HINTS = new Set(['limits', 'requests', 'capacity', 'hard', 'storage']);

function quantityPath(kind: string, names: string[]): boolean {
  if (isQuantityPath(kind, names)) return true;
  // Custom resources and any map of quantities under resources.limits/requests.
  for (let i = 0; i < names.length; i++) if (QUANTITY_FIELD_HINTS.has(names[i])) return true;
  return false;
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

/** JSON with sorted keys and empty values dropped, for whole-value equality of atomic maps.
 *  The walk uses canonicalEqual (the same answer without building the strings); kept as its reference. */
export function canonicalJson(v: unknown): string {
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

/** canonicalJson(a) === canonicalJson(b), without the strings: same keys once empties are dropped
 *  (sorting only orders them), same values; inside arrays null and undefined both print as null. */
export function canonicalEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    // Scalars (and a scalar against a container): equal exactly when JSON prints them alike (NaN and null).
    if ((typeof a === 'object' && a !== null) || (typeof b === 'object' && b !== null)) return false;
    return JSON.stringify(a) === JSON.stringify(b);
  }
  const aa = Array.isArray(a);
  if (aa !== Array.isArray(b)) return false;
  if (aa) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) {
      const u = x[i] === undefined ? null : x[i];
      const w = y[i] === undefined ? null : y[i];
      if (!canonicalEqual(u, w)) return false;
    }
    return true;
  }
  const x = a as Obj;
  const y = b as Obj;
  let kept = 0;
  for (const k in x) {
    // canonicalJson's copy sets a "__proto__" key as the prototype, so it never prints one.
    const xv = x[k];
    if (isEmptyish(xv) || k === '__proto__') continue;
    kept++;
    // A key y lacks reads undefined (or an inherited value, which JSON data never equals): not equal.
    const yv = y[k];
    if (isEmptyish(yv) || !canonicalEqual(xv, yv)) return false;
  }
  for (const k in y) if (!isEmptyish(y[k]) && k !== '__proto__') kept--;
  return kept === 0;
}

/**
 * One comparison's state. Only the desired-side path is kept while walking (one push/pop per container
 * walked into; equal scalars are skipped without one), plus the live index of each list item on it: the
 * live pointer and the field names are rebuilt from them only where needed (drift, schema lookups).
 */
class Differ {
  kind = '';
  out: RawDrift[] = [];
  /** Field names and desired (rendered) list indices from the root. */
  readonly path: Segment[] = [];
  /** For each list index on `path`, in order: the index of the matched item live. */
  readonly liveIndex: number[] = [];

  /** Ready for the next object (the paths are empty after a walk, unless one threw). */
  reset(kind: string): void {
    this.kind = kind;
    this.out = [];
    this.path.length = 0;
    this.liveIndex.length = 0;
  }

  /** The field names on the path (list indices left out), as the schema functions take them. */
  names(): string[] {
    const names: string[] = [];
    for (let i = 0; i < this.path.length; i++) {
      const s = this.path[i];
      if (typeof s === 'string') names.push(s);
    }
    return names;
  }

  emit(d: unknown, l: unknown, liveHas: boolean): void {
    let livePath: string | undefined;
    if (liveHas) {
      const segments: Segment[] = [];
      let n = 0;
      for (let i = 0; i < this.path.length; i++) {
        const s = this.path[i];
        segments.push(typeof s === 'number' ? this.liveIndex[n++] : s);
      }
      livePath = toPointer(segments);
    }
    this.out.push({ path: toPointer(this.path), livePath, desired: d, live: l ?? undefined });
  }

  /** The top level: identity fields and status are not compared, and the object itself is no atomic map. */
  top(d: unknown, l: unknown): void {
    if (!isPlainObject(d)) { this.walk(d, l, undefined); return; }
    if (l === undefined || l === null) {
      if (!isEmptyish(d)) this.emit(d, undefined, false);
      return;
    }
    if (!isPlainObject(l)) { this.emit(d, l, true); return; }
    for (const key in d) {
      if (key === 'apiVersion' || key === 'kind' || key === 'status') continue;
      // As in walk's map loop below.
      const dv = d[key];
      if (dv === undefined || dv === null) continue;
      const lv = l[key];
      if (dv === lv && typeof dv !== 'object') continue;
      this.path.push(key);
      this.walk(dv, lv, key);
      this.path.pop();
    }
  }

  /** `name`: the last field name on the path (a list item's is its list's), undefined at the root. */
  walk(d: unknown, l: unknown, name: string | undefined): void {
    if (d === undefined || d === null) return;
    if (l === undefined || l === null) {
      if (!isEmptyish(d)) this.emit(d, undefined, false);
      return;
    }
    if (typeof d !== 'object') {
      if (typeof l === 'object') {
        if (!(isEmptyish(d) && isEmptyish(l))) this.emit(d, l, true);
      } else if (d !== l && !scalarEquals(d, l, this.kind, this.names())) {
        this.emit(d, l, true);
      }
      return;
    }
    if (Array.isArray(d)) { this.list(d, l, name); return; }
    if (typeof l !== 'object' || Array.isArray(l)) { this.emit(d, l, true); return; }
    const before = this.out.length;
    for (const key in d) {
      const dv = (d as Obj)[key];
      // null in Git means "not set" (Helm drops it, apply treats it as absent). Equal scalars (most
      // fields of a synced object) are no drift: skip them before touching the path.
      if (dv === undefined || dv === null) continue;
      const lv = (l as Obj)[key];
      if (dv === lv && typeof dv !== 'object') continue;
      this.path.push(key);
      this.walk(dv, lv, key);
      this.path.pop();
    }
    // Atomic maps (label selectors, nodeSelector) are one value: a key only live has is drift too.
    if (this.out.length === before && name !== undefined && this.atomicCandidate(name)) {
      if (isAtomicMap(this.kind, this.names()) && !canonicalEqual(d, l)) this.emit(d, l, true);
    }
  }

  /** isAtomicMap answers yes only at a few last field names (or a PVC's one-name paths, which it
   *  compares joined): it is asked only there. */
  private atomicCandidate(name: string): boolean {
    return ATOMIC_MAP_FIELDS.has(name) || (this.kind === 'PersistentVolumeClaim' && this.names().length === 1);
  }

  private list(d: unknown[], l: unknown, name: string | undefined): void {
    if (!Array.isArray(l)) {
      if (!(d.length === 0 && isEmptyish(l))) this.emit(d, l, true);
      return;
    }
    const kind = this.kind;
    const names = this.names();
    const lt = listType(kind, names);
    if (lt.type === 'map' && keyedItems(d, lt.keys)) { this.keyedList(d, l, lt.keys, names, name); return; }
    if (lt.type === 'set') {
      // Every Git member must be somewhere live.
      for (let i = 0; i < d.length; i++) {
        const m = d[i];
        let found = false;
        for (let j = 0; j < l.length && !found; j++) found = scalarEquals(m, l[j], kind, names) || JSON.stringify(m) === JSON.stringify(l[j]);
        if (!found) { this.emit(d, l, true); return; }
      }
      return;
    }
    // Atomic list: same length and every element equal (elements compared on the fields Git sets,
    // so a default the server adds inside an element is not drift).
    if (d.length !== l.length) { this.emit(d, l, true); return; }
    for (let i = 0; i < d.length; i++) {
      this.path.push(i); this.liveIndex.push(i);
      this.walk(d[i], l[i], name);
      this.path.pop(); this.liveIndex.pop();
    }
  }

  /** SSA list-map: each Git item is matched with the live item of the same key (same position first). */
  private keyedList(d: unknown[], l: unknown[], keys: string[], names: string[], name: string | undefined): void {
    const used: boolean[] = [];
    for (let i = 0; i < d.length; i++) {
      const item = d[i] as Obj;
      let j = i < l.length && this.sameKey(item, l[i], keys, names) && used[i] !== true ? i : -1;
      if (j < 0) {
        for (let k = 0; k < l.length; k++) {
          if (used[k] !== true && this.sameKey(item, l[k], keys, names)) { j = k; break; }
        }
      }
      this.path.push(i);
      if (j < 0) {
        this.emit(item, undefined, false);
      } else {
        used[j] = true;
        this.liveIndex.push(j);
        this.walk(item, l[j], name);
        this.liveIndex.pop();
      }
      this.path.pop();
    }
  }

  private sameKey(a: Obj, b: unknown, keys: string[], names: string[]): boolean {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const av = keyOf(a, k);
      const bv = keyOf(b, k);
      if (av === bv) continue;
      if (av === undefined || bv === undefined) return false;
      names.push(k);
      const same = scalarEquals(av, bv, this.kind, names);
      names.pop();
      if (!same) return false;
    }
    return true;
  }
}

/** Every item is a map carrying at least one key field (else the list is compared as atomic). */
function keyedItems(d: unknown[], keys: string[]): boolean {
  for (let i = 0; i < d.length; i++) {
    const item = d[i];
    if (!isPlainObject(item)) return false;
    let has = false;
    for (let k = 0; k < keys.length && !has; k++) has = item[keys[k]] !== undefined;
    if (!has) return false;
  }
  return true;
}

/**
 * A key field of a keyed list item; a missing one takes its API default, as SSA does. The only
 * defaulted key is `protocol` (TCP), in every list keyed by it (schema.listKeyDefault).
 */
function keyOf(item: unknown, key: string): unknown {
  if (!isPlainObject(item)) return undefined;
  const v = item[key];
  if (v !== undefined) return v;
  return key === 'protocol' ? 'TCP' : undefined;
}

/** Compare one desired object with its live counterpart (both normalized). */
export function diffObjects(desired: KubeObject, live: KubeObject): RawDrift[] {
  // One walker for every call (a walk never starts another): nothing to construct per object.
  const differ = DIFFER;
  differ.reset(desired.kind);
  differ.top(desired, live);
  const out = differ.out;
  differ.out = NO_DRIFT;
  return out;
}

const DIFFER = new Differ();
/** Held between calls, so the walker does not keep the last result alive. */
const NO_DRIFT: RawDrift[] = [];

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
