// Multi-document Kubernetes YAML with source positions: every value in every object knows the file
// and 1-based line where it is written (DesiredObject.fieldSources). Malformed YAML never throws; each
// broken document is reported with its line and the parser's message.
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { KubeObject, SourceLocation } from '../model';
import { pointerEscape } from '../model';
import { FALLBACK, fastParseDocument, leanFirstContent, leanLineStart, leanParseDocument, leanScan } from './fastYaml';

/** Offset -> 1-based line in O(log n) after one O(n) scan. */
export class LineIndex {
  private readonly starts: number[] = [0];
  /** `lineOffset`: lines before `text` in its file (when text is a slice of it). */
  constructor(text: string, private readonly lineOffset = 0) {
    let at = text.indexOf('\n');
    while (at >= 0) {
      this.starts.push(at + 1);
      at = text.indexOf('\n', at + 1);
    }
  }
  /** 1-based line of a 0-based character offset. */
  lineOf(offset: number): number {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1 + this.lineOffset;
  }
  /** 0-based offset of the start of a 1-based line. */
  offsetOf(line: number): number {
    return this.starts[Math.min(Math.max(line - 1 - this.lineOffset, 0), this.starts.length - 1)];
  }
  get lineCount(): number {
    return this.starts.length;
  }
}

export interface ParsedObject {
  object: KubeObject;
  source: SourceLocation;
  fieldSources: Map<string, SourceLocation>;
}

export interface ParseResult {
  objects: ParsedObject[];
  errors: { line: number; message: string }[];
}

/** A parsed document that is not a Kubernetes object (kept for callers that need every document). */
export interface ParsedDocument {
  value: unknown;
  line: number;
  fieldSources: Map<string, SourceLocation>;
}

function isKubeObject(value: unknown): value is KubeObject {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return typeof v.apiVersion === 'string' && typeof v.kind === 'string';
}

function firstLine(message: string): string {
  const nl = message.indexOf('\n');
  return nl < 0 ? message : message.slice(0, nl);
}

/** Builds the JS value of a YAML node and records, for each JSON Pointer, the line where its value is
 *  written, in one pass (faster than toJS() plus a second walk). */
function build(node: unknown, pointer: string, line: number, ctx: WalkContext, depth: number): unknown {
  ctx.out.set(pointer, { file: ctx.file, line });
  let target = node;
  if (isAlias(target)) {
    if (depth > 64 || ++ctx.aliases > 10_000) throw new Error('too many aliases or alias nesting too deep');
    target = target.resolve(ctx.doc);
  }
  if (isScalar(target)) return target.value;
  if (isMap(target)) {
    const obj: Record<string, unknown> = {};
    for (const pair of target.items) {
      const keyNode = pair.key as YamlNode | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : keyNode && typeof keyNode === 'object' && 'toJSON' in keyNode ? JSON.stringify((keyNode as { toJSON(): unknown }).toJSON()) : String(keyNode);
      const isMergeKey = isScalar(keyNode) && (typeof keyNode.value === 'symbol' || keyNode.value === '<<');
      if (isMergeKey && (isAlias(pair.value) || isMap(pair.value) || isSeq(pair.value))) {
        // merge key: the merged maps' fields belong to this object unless it sets them itself
        const merged = isAlias(pair.value) ? pair.value.resolve(ctx.doc) : pair.value;
        const sources = isSeq(merged) ? merged.items.map((i) => (isAlias(i) ? i.resolve(ctx.doc) : i)) : [merged];
        for (const src of sources) {
          if (!isMap(src)) continue;
          for (const p of src.items) {
            if (!isScalar(p.key)) continue;
            const k = String(p.key.value);
            if (k in obj || target.items.some((own) => isScalar(own.key) && String(own.key.value) === k)) continue;
            obj[k] = build(p.value, pointer + '/' + pointerEscape(k), valueLine(p, ctx.lines), ctx, depth + 1);
          }
        }
        continue;
      }
      obj[key] = build(pair.value, pointer + '/' + pointerEscape(key), valueLine(pair, ctx.lines), ctx, depth + 1);
    }
    return obj;
  }
  if (isSeq(target)) {
    const arr: unknown[] = [];
    target.items.forEach((item, i) => {
      const range = (item as YamlNode | null)?.range;
      arr.push(build(item, pointer + '/' + i, range ? ctx.lines.lineOf(range[0]) : line, ctx, depth + 1));
    });
    return arr;
  }
  return null;
}

interface WalkContext {
  file: string;
  lines: LineIndex;
  out: Map<string, SourceLocation>;
  doc: Document;
  aliases: number;
}

/** Line of a pair's value: the value's own line for scalars and flow collections, the key's line for block values. */
function valueLine(pair: { key: unknown; value: unknown }, lines: LineIndex): number {
  const key = pair.key as YamlNode | null;
  const value = pair.value as YamlNode | null;
  const keyLine = key?.range ? lines.lineOf(key.range[0]) : 1;
  if (!value || !value.range) return keyLine;
  if ((isMap(value) || isSeq(value)) && !value.flow) return keyLine;
  if (isScalar(value) && (value.type === 'BLOCK_LITERAL' || value.type === 'BLOCK_FOLDED')) return keyLine;
  return lines.lineOf(value.range[0]);
}

const NO_OPTIONS = {};

/** Parse every document; callers that want non-Kubernetes documents too (kustomization.yaml, values)
 *  use this. Documents the values-only path reads (fastYaml.ts leanParseDocument: most Kubernetes YAML)
 *  get lazy field sources, computed from the text on first use; the others go through the eager path
 *  below (fast path with sources, else the general parser). `lazy: false` forces the eager path for
 *  every document (tests and benchmarks compare both); `fast: false` uses the `yaml` package only. */
export function parseDocuments(text: string, file: string, opts: { fast?: boolean; lazy?: boolean } = NO_OPTIONS): { docs: ParsedDocument[]; errors: { line: number; message: string }[] } {
  if (opts.fast === false) return parseDocumentsWithYaml(text, file);
  const scanned = opts.lazy === false ? undefined : leanScan(text);
  if (!scanned) return parseDocumentsEager(text, file);
  const segs = scanned.segments;
  const endsWithNewline = text.endsWith('\n');
  let lines: string[] | undefined; // text.split('\n'), only when a document needs the eager path
  const docs: ParsedDocument[] = [];
  const errors: { line: number; message: string }[] = [];
  for (let s = 0; s < segs.length; s += 2) {
    const a = segs[s];
    const b = segs[s + 1];
    if (a >= b) continue;
    const value = leanParseDocument(scanned, a, b);
    if (value === undefined || value === null) continue; // empty document, or a null one (skipped as below)
    const last = b === scanned.lineCount;
    if (value !== FALLBACK) {
      // the document's text: its lines a..b-1, without the line break that ends line b-1
      const to = last ? text.length : leanLineStart(b) - 1;
      docs.push({ value, line: leanFirstContent(a) + 1, fieldSources: new LazyFieldSources(text, file, leanLineStart(a), to, a) });
      continue;
    }
    lines ??= text.split('\n');
    const one = eagerDocument(lines, a, b, file, last, endsWithNewline);
    for (const d of one.docs) docs.push(d);
    for (const e of one.errors) errors.push(e);
  }
  return { docs, errors };
}

/** A document's field sources, computed on first read by the eager path over the document's text
 *  (the values-only path skipped them: most callers read a few fields, or none). A Map, so every caller
 *  keeps its type; writes made before the first read are replayed after it, in order, so the result
 *  is the map the eager path would have given, with the same writes applied. */
export class LazyFieldSources extends Map<string, SourceLocation> {
  /** Still to compute while `text` is set (the whole file: kept by reference, not copied). */
  private text: string | undefined;
  /** Writes before materialization: [key, value, onlyIfAbsent]. */
  private pending: [string, SourceLocation, boolean][] | undefined;

  /** The document is text.slice(from, to) (without the line break after it), from 0-based line `firstLine`. */
  constructor(text: string, private readonly file: string, private readonly from: number, private readonly to: number, private readonly firstLine: number) {
    super();
    this.text = text;
  }

  /** Whether the sources are still to compute (tests). */
  get pendingParse(): boolean {
    return this.text !== undefined;
  }

  private materialize(): void {
    const text = this.text!;
    this.text = undefined;
    const lines = text.slice(this.from, this.to).split('\n');
    const last = this.to === text.length; // the file's last document
    const { docs } = eagerDocument(lines, 0, lines.length, this.file, last, text.endsWith('\n'), this.firstLine);
    // (super.set: this.set would queue the entries again)
    if (docs[0]) for (const [k, v] of docs[0].fieldSources) super.set(k, v);
    if (this.pending) for (const [k, v, ifAbsent] of this.pending) if (!ifAbsent || !super.has(k)) super.set(k, v);
    this.pending = undefined;
  }

  override get(key: string): SourceLocation | undefined {
    if (this.text !== undefined) this.materialize();
    return super.get(key);
  }
  override has(key: string): boolean {
    if (this.text !== undefined) this.materialize();
    return super.has(key);
  }
  override set(key: string, value: SourceLocation): this {
    if (this.text === undefined) return super.set(key, value);
    (this.pending ??= []).push([key, value, false]);
    return this;
  }
  /** Whether a source may name `file`: before the first read only the document's own file can, or a
   *  file a write made so far names (an index of one file then skips the other documents unread). */
  mayPointInto(file: string): boolean {
    return this.text === undefined || file === this.file || !!this.pending?.some(([, loc]) => loc.file === file);
  }
  /** `if (!has(key)) set(key, value)` without computing the sources yet. */
  setIfAbsent(key: string, value: SourceLocation): this {
    if (this.text === undefined) {
      if (!super.has(key)) super.set(key, value);
    } else (this.pending ??= []).push([key, value, true]);
    return this;
  }
  override delete(key: string): boolean {
    if (this.text !== undefined) this.materialize();
    return super.delete(key);
  }
  override clear(): void {
    this.text = undefined;
    this.pending = undefined;
    super.clear();
  }
  override forEach(fn: (value: SourceLocation, key: string, map: Map<string, SourceLocation>) => void, thisArg?: unknown): void {
    if (this.text !== undefined) this.materialize();
    super.forEach(fn, thisArg);
  }
  override keys(): MapIterator<string> {
    if (this.text !== undefined) this.materialize();
    return super.keys();
  }
  override values(): MapIterator<SourceLocation> {
    if (this.text !== undefined) this.materialize();
    return super.values();
  }
  override entries(): MapIterator<[string, SourceLocation]> {
    if (this.text !== undefined) this.materialize();
    return super.entries();
  }
  override [Symbol.iterator](): MapIterator<[string, SourceLocation]> {
    return this.entries();
  }
}
// `size` is an accessor on Map.prototype (TypeScript types it as a property, so it is defined here).
const mapSize = Object.getOwnPropertyDescriptor(Map.prototype, 'size')!.get!;
Object.defineProperty(LazyFieldSources.prototype, 'size', {
  get(this: LazyFieldSources): number {
    if (this.pendingParse) (this as unknown as { materialize(): void }).materialize();
    return mapSize.call(this) as number;
  },
});

/** `if (!map.has(key)) map.set(key, value)`; on lazy field sources, without computing them. */
export function setIfAbsent(map: Map<string, SourceLocation>, key: string, value: SourceLocation): void {
  if (map instanceof LazyFieldSources) map.setIfAbsent(key, value);
  else if (!map.has(key)) map.set(key, value);
}

/** Today's one-document path: the fast parser with field sources, else the `yaml` package. */
function eagerDocument(lines: string[], a: number, b: number, file: string, last: boolean, endsWithNewline: boolean, lineOffset = 0): { docs: ParsedDocument[]; errors: { line: number; message: string }[] } {
  let fast: ReturnType<typeof fastParseDocument>;
  try {
    fast = fastParseDocument(lines.slice(a, b), lineOffset + a + 1, file, !last || endsWithNewline);
  } catch {
    fast = FALLBACK; // a fast-path bug must never cost a document: the general parser decides
  }
  if (fast === undefined) return { docs: [], errors: [] };
  if (fast !== FALLBACK) return { docs: fast.value !== null && fast.value !== undefined ? [fast] : [], errors: [] };
  return parseDocumentsWithYaml(lines.slice(a, b).join('\n') + (last ? '' : '\n'), file, lineOffset + a);
}

/** Every document with its field sources built now (the path before lazy sources; still the path
 *  for files the values-only scanner does not take). */
function parseDocumentsEager(text: string, file: string): { docs: ParsedDocument[]; errors: { line: number; message: string }[] } {
  const lines = text.split('\n');
  const segments: [number, number][] = [];
  let start = 0;
  let afterEnd = false;
  for (let k = 0; k < lines.length; k++) {
    const l = lines[k];
    if (l.charCodeAt(0) === 37 /* % */) return parseDocumentsWithYaml(text, file); // directives
    if (l.startsWith('---') && (l.length === 3 || l[3] === ' ' || l[3] === '\t' || l[3] === '\r')) {
      if (l.slice(3).trim() !== '' && !l.slice(3).trim().startsWith('#')) return parseDocumentsWithYaml(text, file); // content after ---
      if (!afterEnd) segments.push([start, k]);
      start = k + 1;
      afterEnd = false;
    } else if (l.startsWith('...') && (l.length === 3 || l[3] === ' ' || l[3] === '\r')) {
      if (!afterEnd) segments.push([start, k]);
      afterEnd = true;
    } else if (afterEnd && l.trim() !== '' && !l.trim().startsWith('#')) {
      return parseDocumentsWithYaml(text, file);
    }
  }
  if (!afterEnd) segments.push([start, lines.length]);
  const docs: ParsedDocument[] = [];
  const errors: { line: number; message: string }[] = [];
  const endsWithNewline = text.endsWith('\n');
  for (const [a, b] of segments) {
    if (a >= b) continue;
    const one = eagerDocument(lines, a, b, file, b === lines.length, endsWithNewline);
    docs.push(...one.docs);
    errors.push(...one.errors);
  }
  return { docs, errors };
}

/** The `yaml` package path: every construct, and the parser's own error messages. `lineOffset` shifts
 *  lines when `text` is one document cut out of a larger file. */
function parseDocumentsWithYaml(text: string, file: string, lineOffset = 0): { docs: ParsedDocument[]; errors: { line: number; message: string }[] } {
  const lines = new LineIndex(text, lineOffset);
  const docs: ParsedDocument[] = [];
  const errors: { line: number; message: string }[] = [];
  let documents: Document.Parsed[] | Document.Parsed;
  try {
    documents = parseAllDocuments(text, { merge: true, prettyErrors: false });
  } catch (err) {
    return { docs, errors: [{ line: 1, message: (err as Error).message }] };
  }
  const list = Array.isArray(documents) ? documents : [documents];
  for (const doc of list) {
    if (doc.errors.length > 0) {
      const err = doc.errors[0];
      errors.push({ line: lines.lineOf(err.pos[0]), message: firstLine(err.message) });
      continue;
    }
    const contents = doc.contents as YamlNode | null;
    if (!contents) continue;
    const line = contents.range ? lines.lineOf(contents.range[0]) : 1;
    const fieldSources = new Map<string, SourceLocation>();
    let value: unknown;
    try {
      value = build(contents, '', line, { file, lines, out: fieldSources, doc, aliases: 0 }, 0);
    } catch (err) {
      errors.push({ line, message: (err as Error).message });
      continue;
    }
    if (value === null || value === undefined) continue;
    docs.push({ value, line, fieldSources });
  }
  return { docs, errors };
}

function isListKind(obj: KubeObject): boolean {
  return obj.kind.endsWith('List') && Array.isArray((obj as Record<string, unknown>).items);
}

/** Sub-map of fieldSources under `prefix`, re-rooted at "". */
function rebase(sources: Map<string, SourceLocation>, prefix: string): Map<string, SourceLocation> {
  const out = new Map<string, SourceLocation>();
  for (const [p, loc] of sources) {
    if (p === prefix) out.set('', loc);
    else if (p.startsWith(prefix + '/')) out.set(p.slice(prefix.length), loc);
  }
  return out;
}

/** Multi-document Kubernetes YAML: skips empty and non-Kubernetes documents, expands `*List` kinds. */
export function parseManifests(text: string, file: string, opts: { fast?: boolean; lazy?: boolean } = NO_OPTIONS): ParseResult {
  const { docs, errors } = parseDocuments(text, file, opts);
  const objects: ParsedObject[] = [];
  for (let d = 0; d < docs.length; d++) { // (an index loop: no iterator objects in cold code)
    const doc = docs[d];
    if (!isKubeObject(doc.value)) continue;
    const obj = doc.value;
    if (isListKind(obj)) {
      const items = (obj as Record<string, unknown>).items as unknown[];
      items.forEach((item, i) => {
        if (!isKubeObject(item)) return;
        const fieldSources = rebase(doc.fieldSources, `/items/${i}`);
        normalizeMetadata(item);
        objects.push({ object: item, source: fieldSources.get('') ?? { file, line: doc.line }, fieldSources });
      });
      continue;
    }
    normalizeMetadata(obj);
    objects.push({ object: obj, source: { file, line: doc.line }, fieldSources: doc.fieldSources });
  }
  // an exact-size copy: callers keep the result, and a pushed-to array holds 16 spare slots
  return { objects: objects.slice(), errors };
}

function normalizeMetadata(obj: KubeObject): void {
  if (!obj.metadata || typeof obj.metadata !== 'object') obj.metadata = { name: '' };
}
