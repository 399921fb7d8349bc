// Pure (vscode-free): find the bytes of the scalar value written on one line of a YAML file and
// produce the replacement that writes another value there, keeping quoting style, comments and
// everything else on the line. Used by the "Adopt live value into Git" quick fix.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, Scalar, stringify } from 'yaml';
import type { Node as YamlNode } from 'yaml';

export interface TextEdit {
  /** Offsets into the text (UTF-16 code units, like VS Code's offsets). */
  start: number;
  end: number;
  newText: string;
}

export type AdoptResult = { edit: TextEdit } | { error: string };

interface Candidate {
  key?: string;
  index?: number;
  node: Scalar;
}

/**
 * Where the value is written: `line` is 1-based. `pointer` is the JSON Pointer of the drifted field; its last
 * segment picks the right scalar when several sit on one line (flow maps/lists). The value is rendered as a
 * YAML scalar in the original's quoting style when that style can hold it.
 */
export function adoptValueEdit(text: string, line: number, pointer: string, value: unknown): AdoptResult {
  if (value !== null && typeof value === 'object') {
    return { error: 'the live value is a map or list; copy it by hand from the live diff' };
  }
  if (value === undefined) return { error: 'the field is absent in the live object; remove it by hand' };
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, keepSourceTokens: false });
  if (!Array.isArray(docs)) return { error: 'the file is not YAML' };
  const candidates: Candidate[] = [];
  const onLine = (n: YamlNode | null | undefined): n is Scalar => {
    return isScalar(n) && !!n.range && lineCounter.linePos(n.range[0]).line === line;
  };
  const walk = (node: unknown): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (onLine(pair.value as YamlNode)) candidates.push({ key, node: pair.value as Scalar });
        else walk(pair.value);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        if (onLine(item as YamlNode)) candidates.push({ index, node: item as Scalar });
        else walk(item);
      });
    }
  };
  for (const doc of docs) walk(doc.contents);
  if (!candidates.length) return { error: `no single-line value on line ${line}` };
  const last = pointer.split('/').pop()?.replace(/~1/g, '/').replace(/~0/g, '~') ?? '';
  let chosen = candidates.find((c) => c.key !== undefined && c.key === last);
  if (!chosen && /^\d+$/.test(last)) chosen = candidates.find((c) => c.index === Number(last));
  if (!chosen && candidates.length === 1) chosen = candidates[0];
  if (!chosen) return { error: `several values on line ${line}; none is '${last}'` };
  const node = chosen.node;
  const [start, end] = node.range!;
  const type = node.type;
  if (type === Scalar.BLOCK_FOLDED || type === Scalar.BLOCK_LITERAL) {
    return { error: 'the value is a block scalar (| or >); edit it by hand' };
  }
  return { edit: { start, end, newText: renderScalar(value as string | number | boolean | null, type) } };
}

/** The YAML text for a scalar, preferring the style the author used. */
export function renderScalar(value: string | number | boolean | null, style: Scalar.Type | undefined): string {
  if (typeof value === 'string') {
    if (style === Scalar.QUOTE_DOUBLE) return JSON.stringify(value);
    if (style === Scalar.QUOTE_SINGLE && !/\n/.test(value)) return `'${value.replace(/'/g, "''")}'`;
    // Plain when it reads back as the same string; otherwise yaml picks safe quoting.
    // (a string that looks like a number, e.g. tag "1.10", comes back quoted so its type survives).
    return stringify(value, { lineWidth: 0 }).trimEnd();
  }
  if (value === null) return 'null';
  return String(value);
}

/** Apply one edit to a text (for tests and for callers without a WorkspaceEdit). */
export function applyEdit(text: string, edit: TextEdit): string {
  return text.slice(0, edit.start) + edit.newText + text.slice(edit.end);
}
