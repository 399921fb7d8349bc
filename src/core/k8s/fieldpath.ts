// Field paths and field sets as structured-merge-diff (SMD) models them, in the string form that
// managedFields' fieldsV1 uses for path elements: `f:name`, `k:{"name":"app"}`, `v:"x"`, `i:0`.
// A FieldSet is a set of paths; fieldsV1 is its tree encoding (`.` marks a node that is itself a member).

import { isAtomicListItem, isAtomicMap, listKeyDefault, listType } from './schema';

/** One path element in fieldsV1 spelling. */
export type PathElement = string;
export type FieldPath = PathElement[];

const SEP = '\u0000';

export function pathKey(path: FieldPath): string {
  return path.join(SEP);
}
export function pathFromKey(key: string): FieldPath {
  return key === '' ? [] : key.split(SEP);
}

/** Compact JSON with object keys sorted (the spelling of k: elements). */
export function sortedJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${sortedJson(o[k])}`).join(',')}}`;
}

export const fieldPE = (name: string): PathElement => `f:${name}`;
export const valuePE = (v: unknown): PathElement => `v:${sortedJson(v)}`;
export const keyPE = (keys: Record<string, unknown>): PathElement => `k:${sortedJson(keys)}`;

/** Normalize a path element read from a client's fieldsV1 so that it compares equal to ours. */
export function normalizePE(pe: string): PathElement {
  if (pe.startsWith('k:') || pe.startsWith('v:')) {
    try {
      return pe.slice(0, 2) + sortedJson(JSON.parse(pe.slice(2)));
    } catch {
      return pe;
    }
  }
  return pe;
}

/** Field names along a path (indices and keys dropped): what schema.ts functions take. */
export function fieldNames(path: FieldPath): string[] {
  return path.filter((pe) => pe.startsWith('f:')).map((pe) => pe.slice(2));
}

/** The path element of a list item, by the list's SSA type (map: key fields with defaults; set: value). */
export function listItemPE(kind: string, listNames: string[], item: unknown, index: number): PathElement {
  const lt = listType(kind, listNames);
  if (lt.type === 'set') return valuePE(item);
  if (lt.type === 'map' && item && typeof item === 'object' && !Array.isArray(item)) {
    const keys: Record<string, unknown> = {};
    for (const k of lt.keys) {
      const v = (item as Record<string, unknown>)[k] ?? listKeyDefault(kind, listNames, k);
      if (v !== undefined) keys[k] = v;
    }
    return keyPE(keys);
  }
  return `i:${index}`;
}

// ---------------------------------------------------------------------------------------------
// Ordering (SMD PathElement.Compare): field names < keys < values < indices.

function typeRank(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return 1;
  if (typeof v === 'string') return 2;
  if (typeof v === 'boolean') return 3;
  if (Array.isArray(v)) return 4;
  return 5;
}

function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number') return a - (b as number);
  if (typeof a === 'string') return a < (b as string) ? -1 : a > (b as string) ? 1 : 0;
  if (typeof a === 'boolean') return Number(a) - Number(b);
  const sa = sortedJson(a);
  const sb = sortedJson(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function compareKeys(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
    if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    const c = compareValues(a[ka[i]], b[kb[i]]);
    if (c !== 0) return c;
  }
  return ka.length - kb.length;
}

const PE_RANK: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

export function comparePE(a: PathElement, b: PathElement): number {
  const ta = a[0];
  const tb = b[0];
  if (ta !== tb) return (PE_RANK[ta] ?? 9) - (PE_RANK[tb] ?? 9);
  const ra = a.slice(2);
  const rb = b.slice(2);
  try {
    if (ta === 'k') return compareKeys(JSON.parse(ra), JSON.parse(rb));
    if (ta === 'v') return compareValues(JSON.parse(ra), JSON.parse(rb));
    if (ta === 'i') return Number(ra) - Number(rb);
  } catch { /* fall through to string order */ }
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// FieldSet: a set of paths, stored by joined key for cheap set algebra.

export class FieldSet {
  readonly keys: Set<string>;
  constructor(keys?: Iterable<string>) {
    this.keys = new Set(keys);
  }
  static of(paths: FieldPath[]): FieldSet {
    return new FieldSet(paths.map(pathKey));
  }
  get size(): number {
    return this.keys.size;
  }
  isEmpty(): boolean {
    return this.keys.size === 0;
  }
  insert(path: FieldPath): void {
    this.keys.add(pathKey(path));
  }
  has(path: FieldPath): boolean {
    return this.keys.has(pathKey(path));
  }
  paths(): FieldPath[] {
    return [...this.keys].map(pathFromKey);
  }
  union(other: FieldSet): FieldSet {
    return new FieldSet([...this.keys, ...other.keys]);
  }
  difference(other: FieldSet): FieldSet {
    return new FieldSet([...this.keys].filter((k) => !other.keys.has(k)));
  }
  intersection(other: FieldSet): FieldSet {
    return new FieldSet([...this.keys].filter((k) => other.keys.has(k)));
  }
  /** Does the set hold `path` itself or anything below it? */
  hasPrefix(path: FieldPath): boolean {
    const k = pathKey(path);
    if (this.keys.has(k)) return true;
    const prefix = k === '' ? '' : k + SEP;
    for (const key of this.keys) if (key.startsWith(prefix)) return true;
    return false;
  }
  /** Does the set hold anything strictly below `path`? */
  hasDescendant(path: FieldPath): boolean {
    const k = pathKey(path);
    const prefix = k === '' ? '' : k + SEP;
    for (const key of this.keys) if (key !== k && key.startsWith(prefix)) return true;
    return false;
  }
}

interface Node { member: boolean; children: Map<PathElement, Node> }

function newNode(): Node {
  return { member: false, children: new Map() };
}

/** Decode fieldsV1 JSON into a FieldSet. */
export function decodeFieldsV1(fieldsV1: unknown): FieldSet {
  const set = new FieldSet();
  const walk = (obj: unknown, path: FieldPath) => {
    if (!obj || typeof obj !== 'object') return;
    const entries = Object.entries(obj as Record<string, unknown>);
    if (path.length > 0 && (entries.length === 0 || entries.some(([k]) => k === '.'))) set.insert(path);
    for (const [k, v] of entries) {
      if (k === '.') continue;
      walk(v, [...path, normalizePE(k)]);
    }
  };
  walk(fieldsV1, []);
  return set;
}

/** Encode a FieldSet as fieldsV1: `.` first, then children sorted as SMD sorts path elements. */
export function encodeFieldsV1(set: FieldSet): Record<string, unknown> {
  const root = newNode();
  for (const path of set.paths()) {
    let node = root;
    for (const pe of path) {
      let child = node.children.get(pe);
      if (!child) node.children.set(pe, (child = newNode()));
      node = child;
    }
    node.member = true;
  }
  const emit = (node: Node): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    if (node.member && node.children.size > 0) out['.'] = {};
    for (const pe of [...node.children.keys()].sort(comparePE)) out[pe] = emit(node.children.get(pe)!);
    return out;
  };
  return emit(root);
}

/** SMD's human spelling of a path, as conflict messages show it: `.spec.containers[name="web"].image`. */
export function pathToString(path: FieldPath): string {
  return path.map((pe) => {
    const body = pe.slice(2);
    switch (pe[0]) {
      case 'f': return `.${body}`;
      case 'i': return `[${body}]`;
      case 'v': return `[=${body}]`;
      case 'k': {
        try {
          const keys = JSON.parse(body) as Record<string, unknown>;
          return `[${Object.keys(keys).sort().map((k) => `${k}=${JSON.stringify(keys[k])}`).join(',')}]`;
        } catch {
          return `[${body}]`;
        }
      }
      default: return pe;
    }
  }).join('');
}

/** Is the map/struct at `path` atomic for this kind (owned as one leaf)? */
export function atomicMapAt(kind: string, path: FieldPath): boolean {
  const last = path[path.length - 1];
  if (last && !last.startsWith('f:')) {
    // A list item: atomic when the item struct is (ownerReferences, LocalObjectReference items).
    const listNames = fieldNames(path);
    return isAtomicListItem(kind, listNames);
  }
  return isAtomicMap(kind, fieldNames(path));
}

/**
 * Resolve a JSON Pointer's segments (list indices as in `obj`) into a field path. Stops at an atomic
 * list or map, whose whole value is the owned node. `truncated` says the pointer went deeper than that.
 */
export function pointerToFieldPath(kind: string, obj: unknown, segments: string[]): { path: FieldPath; truncated: boolean; resolved: boolean } {
  const path: FieldPath = [];
  let cur: unknown = obj;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (Array.isArray(cur)) {
      const names = fieldNames(path);
      const lt = listType(kind, names);
      if (lt.type === 'atomic') return { path, truncated: true, resolved: true };
      const idx = Number(seg);
      if (!/^\d+$/.test(seg) || idx >= cur.length) return { path, truncated: true, resolved: false };
      path.push(listItemPE(kind, names, cur[idx], idx));
      cur = cur[idx];
      if (atomicMapAt(kind, path) && i < segments.length - 1) return { path, truncated: true, resolved: true };
      continue;
    }
    if (path.length > 0 && cur && typeof cur === 'object' && atomicMapAt(kind, path)) {
      return { path, truncated: true, resolved: true };
    }
    path.push(fieldPE(seg));
    cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
  }
  return { path, truncated: false, resolved: cur !== undefined };
}
