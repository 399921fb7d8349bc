// Multi-document Kubernetes YAML with source positions: every value in every object knows the file
// and 1-based line where it is written (DesiredObject.fieldSources). Malformed YAML never throws; each
// broken document is reported with its line and the parser's message.
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { KubeObject, SourceLocation } from '../model';
import { pointerEscape } from '../model';
import { FALLBACK, fastParseDocument } from './fastYaml';

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

/** Parse every document; callers that want non-Kubernetes documents too (kustomization.yaml, values)
 *  use this. Documents on the fast path (fastYaml.ts) skip the general parser; the rest go through it. */
export function parseDocuments(text: string, file: string, opts: { fast?: boolean } = {}): { docs: ParsedDocument[]; errors: { line: number; message: string }[] } {
  if (opts.fast === false) return parseDocumentsWithYaml(text, file);
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
    const last = b === lines.length;
    let fast: ReturnType<typeof fastParseDocument>;
    try {
      fast = fastParseDocument(lines.slice(a, b), a + 1, file, !last || endsWithNewline);
    } catch {
      fast = FALLBACK; // a fast-path bug must never cost a document: the general parser decides
    }
    if (fast === undefined) continue;
    if (fast !== FALLBACK) {
      if (fast.value !== null && fast.value !== undefined) docs.push(fast);
      continue;
    }
    const slow = parseDocumentsWithYaml(lines.slice(a, b).join('\n') + (last ? '' : '\n'), file, a);
    docs.push(...slow.docs);
    errors.push(...slow.errors);
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
export function parseManifests(text: string, file: string, opts: { fast?: boolean } = {}): ParseResult {
  const { docs, errors } = parseDocuments(text, file, opts);
  const objects: ParsedObject[] = [];
  for (const doc of docs) {
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
  return { objects, errors };
}

function normalizeMetadata(obj: KubeObject): void {
  if (!obj.metadata || typeof obj.metadata !== 'object') obj.metadata = { name: '' };
}
