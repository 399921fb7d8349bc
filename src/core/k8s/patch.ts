// The three PATCH content types kube-apiserver accepts besides apply: JSON merge patch (RFC 7386),
// JSON patch (RFC 6902) and strategic merge patch (apimachinery pkg/util/strategicpatch), the last with
// the merge keys of schema.ts. All functions return new values and never mutate their inputs.

import { clone, deepEqual, isObject, type Json, type JsonObject } from './json';
import { smpListStrategy } from './schema';

export class PatchError extends Error {
  constructor(message: string, public code = 422, public reason = 'Invalid') {
    super(message);
    this.name = 'PatchError';
  }
}

// ---------------------------------------------------------------------------------------------
// RFC 7386

/** JSON merge patch: null deletes, objects merge recursively, everything else (arrays too) replaces. */
export function applyMergePatch<T = Json>(target: T, patch: Json): T {
  return mergePatchValue(target, patch) as T;
}

function mergePatchValue(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatchValue(out[k], v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// RFC 6902

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: Json;
}

function parsePointer(pointer: string, what = 'path'): string[] {
  if (typeof pointer !== 'string') throw new PatchError(`missing ${what}`);
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(pointer)}`);
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(arr: Json[], seg: string, forAdd: boolean, pointer: string): number {
  if (forAdd && seg === '-') return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(seg)) throw new PatchError(`invalid array index ${JSON.stringify(seg)} in ${pointer}`);
  const i = Number(seg);
  if (forAdd ? i > arr.length : i >= arr.length) throw new PatchError(`array index ${i} out of bounds in ${pointer}`);
  return i;
}

/** The container holding the last segment, resolved in `doc` (which callers own and may mutate). */
function parentOf(doc: Json, segs: string[], pointer: string): Json {
  let cur = doc;
  for (const seg of segs.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, seg, false, pointer)];
    else if (isObject(cur) && Object.hasOwn(cur, seg)) cur = cur[seg];
    else throw new PatchError(`path ${pointer} does not exist`);
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw new PatchError(`path ${pointer} does not exist`);
  return cur;
}

function getAt(doc: Json, pointer: string): Json {
  let cur = doc;
  for (const seg of parsePointer(pointer)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, seg, false, pointer)];
    else if (isObject(cur) && Object.hasOwn(cur, seg)) cur = cur[seg];
    else throw new PatchError(`path ${pointer} does not exist`);
  }
  return cur;
}

function addAt(doc: Json, pointer: string, value: Json): Json {
  const segs = parsePointer(pointer);
  if (segs.length === 0) return value;
  const parent = parentOf(doc, segs, pointer);
  const last = segs[segs.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true, pointer), 0, value);
  else (parent as JsonObject)[last] = value;
  return doc;
}

function removeAt(doc: Json, pointer: string): Json {
  const segs = parsePointer(pointer);
  if (segs.length === 0) throw new PatchError('cannot remove the whole document');
  const parent = parentOf(doc, segs, pointer);
  const last = segs[segs.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, false, pointer), 1);
  else if (Object.hasOwn(parent as JsonObject, last)) delete (parent as JsonObject)[last];
  else throw new PatchError(`path ${pointer} does not exist`);
  return doc;
}

/** RFC 6902. A failed `test` or a bad path is a 422, as kube-apiserver answers. */
export function applyJsonPatch<T = Json>(target: T, ops: JsonPatchOp[]): T {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch must be an array of operations', 400, 'BadRequest');
  let doc: Json = clone(target);
  for (const [i, op] of ops.entries()) {
    if (!isObject(op) || typeof op.op !== 'string') throw new PatchError(`operation ${i} has no "op"`);
    switch (op.op) {
      case 'add':
        if (!('value' in op)) throw new PatchError(`operation ${i} (add) has no value`);
        doc = addAt(doc, op.path, clone(op.value));
        break;
      case 'remove':
        doc = removeAt(doc, op.path);
        break;
      case 'replace':
        if (!('value' in op)) throw new PatchError(`operation ${i} (replace) has no value`);
        getAt(doc, op.path); // must exist
        doc = parsePointer(op.path).length === 0 ? clone(op.value) : addAt(removeAt(doc, op.path), op.path, clone(op.value));
        break;
      case 'move': {
        const from = op.from as string;
        parsePointer(from, 'from');
        if (op.path.startsWith(from + '/')) throw new PatchError(`cannot move ${from} into its own child ${op.path}`);
        const v = getAt(doc, from);
        doc = addAt(removeAt(doc, from), op.path, v);
        break;
      }
      case 'copy':
        parsePointer(op.from as string, 'from');
        doc = addAt(doc, op.path, clone(getAt(doc, op.from as string)));
        break;
      case 'test':
        if (!deepEqual(getAt(doc, op.path), op.value)) {
          throw new PatchError(`testing value ${op.path} failed`);
        }
        break;
      default:
        throw new PatchError(`unknown JSON patch operation ${JSON.stringify((op as JsonPatchOp).op)}`);
    }
  }
  return doc as T;
}

// ---------------------------------------------------------------------------------------------
// Strategic merge patch

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

function isDirectiveKey(k: string): boolean {
  return k === PATCH || k === RETAIN_KEYS || k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVE);
}

/** A patch value with every directive removed (what lands in the object when there is nothing to merge). */
function withoutDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.filter((x) => !(isObject(x) && (x[PATCH] === 'replace' || x[PATCH] === 'delete'))).map(withoutDirectives);
  if (!isObject(v)) return clone(v);
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (isDirectiveKey(k) || x === null) continue;
    out[k] = withoutDirectives(x);
  }
  return out;
}

/**
 * Strategic merge patch of a built-in object. Keyed lists merge by their patchMergeKey, others replace;
 * `$patch: replace|delete|merge`, `$retainKeys`, `$setElementOrder/<f>`, `$deleteFromPrimitiveList/<f>`
 * are honoured; null deletes.
 */
export interface SmpOptions {
  /**
   * Upstream puts list items that only the patch has *before* the live items they are compared with
   * (mergeSortedSlice: `kubectl patch` adding a container yields [new, old]; see the kubectl-patch task page).
   * true appends them instead ([old, new]), as older servers and some hand-written expectations do.
   */
  newItemsLast?: boolean;
}

export function applyStrategicMergePatch<T = Json>(target: T, patch: Json, kind: string, opts: SmpOptions = {}): T {
  if (!isObject(patch)) throw new PatchError('a strategic merge patch must be a JSON object', 400, 'BadRequest');
  const out = mergeMap(isObject(target) ? target : {}, patch, kind, [], opts);
  return (out ?? {}) as T;
}

/** `$patch: delete` on a map leaves an empty map (handleDirectiveInMergeMap); in a list it removes the item. */
function mergeMap(original: JsonObject, patch: JsonObject, kind: string, names: string[], opts: SmpOptions): JsonObject | undefined {
  const directive = patch[PATCH];
  if (directive === 'delete') return {};
  if (directive === 'replace') return withoutDirectives(patch) as JsonObject;
  if (directive !== undefined && directive !== 'merge') throw new PatchError(`unknown patch type ${JSON.stringify(directive)}`);

  let out: JsonObject = clone(original);
  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw new PatchError('$retainKeys must be a list');
    for (const k of Object.keys(patch)) {
      if (!isDirectiveKey(k) && patch[k] !== null && !retain.includes(k)) throw new PatchError(`$retainKeys does not contain ${k}`);
    }
    out = Object.fromEntries(Object.entries(out).filter(([k]) => retain.includes(k)));
  }

  // Deletions from primitive lists happen before the list's own merge.
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith(DELETE_PRIMITIVE)) continue;
    const field = k.slice(DELETE_PRIMITIVE.length);
    if (!Array.isArray(v)) throw new PatchError(`${k} must be a list`);
    if (Array.isArray(out[field])) out[field] = (out[field] as Json[]).filter((x) => !v.some((d) => deepEqual(d, x)));
  }

  const handled = new Set<string>();
  // Lists with an explicit order: merge then enforce the order (mergePatchIntoOriginal).
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith(SET_ORDER)) continue;
    const field = k.slice(SET_ORDER.length);
    if (!Array.isArray(order)) throw new PatchError(`${k} must be a list`);
    const path = [...names, field];
    const strategy = smpListStrategy(kind, path);
    const key = strategy.strategy === 'merge' ? strategy.key : undefined;
    const origList = Array.isArray(out[field]) ? out[field] as Json[] : undefined;
    const patchList = Array.isArray(patch[field]) ? patch[field] as Json[] : undefined;
    let merged: Json[];
    if (origList && !patchList) merged = origList;
    else if (!origList && patchList) merged = withoutDirectives(patchList) as Json[];
    else if (origList && patchList) merged = mergeListValue(origList, patchList, kind, path, opts);
    else continue;
    out[field] = enforceOrder(merged, order, origList ?? [], key, opts);
    handled.add(field);
  }

  for (const [k, v] of Object.entries(patch)) {
    if (isDirectiveKey(k) || handled.has(k)) continue;
    if (v === null) {
      delete out[k];
      continue;
    }
    const path = [...names, k];
    const cur = out[k];
    if (isObject(v)) {
      const merged = mergeMap(isObject(cur) ? cur : {}, v, kind, path, opts);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else if (Array.isArray(v)) {
      out[k] = Array.isArray(cur) ? mergeListValue(cur, v, kind, path, opts) : withoutDirectives(v);
    } else {
      out[k] = v;
    }
  }
  return out;
}

function mergeListValue(original: Json[], patch: Json[], kind: string, path: string[], opts: SmpOptions): Json[] {
  const strategy = smpListStrategy(kind, path);
  if (strategy.strategy === 'replace') return withoutDirectives(patch) as Json[];
  // A `{$patch: replace}` element replaces the whole list with the other elements.
  if (patch.some((x) => isObject(x) && x[PATCH] === 'replace')) return withoutDirectives(patch) as Json[];
  const key = strategy.key;
  if (!key) {
    // Primitive merge list (finalizers): union without duplicates, then patch order.
    return enforceOrder(dedupe([...original, ...withoutDirectives(patch) as Json[]]), patch, original, undefined, opts);
  }
  let list: Json[] = original.map(clone);
  const remaining: JsonObject[] = [];
  for (const item of patch) {
    if (!isObject(item)) throw new PatchError(`list ${path.join('.')} merges by ${key}; element is not an object`);
    if (!(key in item)) throw new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    if (item[PATCH] === 'delete') {
      list = list.filter((x) => !(isObject(x) && deepEqual(x[key], item[key])));
    } else remaining.push(item);
  }
  for (const item of remaining) {
    const idx = list.findIndex((x) => isObject(x) && deepEqual(x[key], item[key]));
    if (idx >= 0) {
      const merged = mergeMap(list[idx] as JsonObject, item, kind, path, opts);
      if (merged === undefined) list.splice(idx, 1);
      else list[idx] = merged;
    } else {
      list.push(withoutDirectives(item));
    }
  }
  return enforceOrder(list, remaining, original, key, opts);
}

function dedupe(list: Json[]): Json[] {
  const out: Json[] = [];
  for (const x of list) if (!out.some((y) => deepEqual(x, y))) out.push(x);
  return out;
}

function identity(v: Json, key: string | undefined): Json {
  return key && isObject(v) ? v[key] : v;
}

function indexIn(list: Json[], v: Json, key: string | undefined): number {
  const id = identity(v, key);
  return list.findIndex((x) => deepEqual(identity(x, key), id));
}

/**
 * normalizeElementOrder: items named in `patchOrder` come in that order, server-only items keep their
 * original relative order, and the two sequences interleave by their position in the original list.
 */
function enforceOrder(merged: Json[], patchOrder: Json[], serverOrder: Json[], key: string | undefined, opts: SmpOptions): Json[] {
  const inPatch = (x: Json) => indexIn(patchOrder, x, key) >= 0;
  const patchItems = merged.filter(inPatch);
  const serverOnly = merged.filter((x) => !inPatch(x));
  const sortBy = (items: Json[], order: Json[]) => items
    .map((x, i) => ({ x, i, o: indexIn(order, x, key) }))
    .sort((a, b) => (a.o >= 0 && b.o >= 0 ? a.o - b.o : a.i - b.i))
    .map((e) => e.x);
  const left = sortBy(serverOnly, serverOrder);
  const right = sortBy(patchItems, patchOrder);
  // mergeSortedSlice: take the server-only item first only when both are in the original and it came first.
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], key);
      const ri = indexIn(serverOrder, right[j], key);
      const leftFirst = li >= 0 && ri >= 0 ? li < ri : opts.newItemsLast === true && ri < 0;
      if (leftFirst) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}
