// A fast path for the YAML that Kubernetes manifests are made of: block mappings and sequences,
// plain / quoted / block scalars, single-line flow collections, comments. Anything else (anchors,
// aliases, tags, multi-line flows or plain scalars, directives, duplicate keys, odd indentation)
// returns FALLBACK and the document is parsed by the `yaml` package instead, which also produces the
// error messages. Results (values and field lines) are identical to the `yaml` path: see
// test/unit/manifests-fastyaml.test.ts, which checks both paths agree over the corpus.
import type { SourceLocation } from '../model';
import { pointerEscape } from '../model';

export const FALLBACK = Symbol('fallback');
type Fallback = typeof FALLBACK;

class Unsupported extends Error {}
const bail = (): never => {
  throw new Unsupported();
};

interface Line {
  indent: number;
  /** Text after the indentation (may be a comment or empty). */
  text: string;
}

// eslint-disable-next-line no-control-regex
const ODD_CHARS = /[\x00-\x08\x0b-\x1f\x7f\x85\ufeff\u2028\u2029]/;
const NULL_RE = /^(?:~|null|Null|NULL)?$/;
const TRUE_RE = /^(?:true|True|TRUE)$/;
const FALSE_RE = /^(?:false|False|FALSE)$/;
const INT_RE = /^[-+]?[0-9]+$/;
const OCT_RE = /^0o[0-7]+$/;
const HEX_RE = /^0x[0-9a-fA-F]+$/;
const FLOAT_RE = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const INF_RE = /^[-+]?\.(?:inf|Inf|INF)$/;
const NAN_RE = /^\.(?:nan|NaN|NAN)$/;

// First characters a non-string plain scalar can start with: ~ n N (null), t T f F (booleans), + - . 0-9.
const MAYBE_TYPED = new Uint8Array(128);
for (const ch of '~nN+-.0123456789tTfF') MAYBE_TYPED[ch.charCodeAt(0)] = 1;

/** YAML 1.2 core schema resolution of a plain scalar, as the `yaml` package does it. */
export function resolvePlain(s: string): unknown {
  const c = s.charCodeAt(0);
  // without a regex when the first character leaves one candidate: most scalars (and keys) are words
  if (c >= 128 || MAYBE_TYPED[c] === 0) return s;
  if (c === 116 || c === 84) return s === 'true' || s === 'True' || s === 'TRUE' ? true : s; // t T
  if (c === 102 || c === 70) return s === 'false' || s === 'False' || s === 'FALSE' ? false : s; // f F
  if (c === 110 || c === 78 || c === 126) return s === 'null' || s === 'Null' || s === 'NULL' || s === '~' ? null : s; // n N ~
  if (NULL_RE.test(s)) return null;
  if (TRUE_RE.test(s)) return true;
  if (FALSE_RE.test(s)) return false;
  if (INT_RE.test(s)) return Number(s);
  if (OCT_RE.test(s)) return parseInt(s.slice(2), 8);
  if (HEX_RE.test(s)) return parseInt(s.slice(2), 16);
  if (FLOAT_RE.test(s)) return Number(s);
  if (INF_RE.test(s)) return s[0] === '-' ? -Infinity : Infinity;
  if (NAN_RE.test(s)) return NaN;
  return s;
}

const DQ_ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b', ' ': ' ', '"': '"', '/': '/', '\\': '\\',
  N: '\u0085', _: '\u00a0', L: '\u2028', P: '\u2029',
};

/** A double-quoted scalar starting at s[start] === '"' on one line: [value, index after the closing quote]. */
function doubleQuoted(s: string, start: number): [string, number] {
  let out = '';
  let i = start + 1;
  for (;;) {
    const q = s.indexOf('"', i);
    const b = s.indexOf('\\', i);
    if (q < 0) bail(); // multi-line: not on the fast path
    if (b < 0 || q < b) {
      out += s.slice(i, q);
      return [out, q + 1];
    }
    out += s.slice(i, b);
    const e = s[b + 1];
    if (e in DQ_ESCAPES) {
      out += DQ_ESCAPES[e];
      i = b + 2;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = s.slice(b + 2, b + 2 + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) bail();
      out += String.fromCodePoint(parseInt(hex, 16));
      i = b + 2 + n;
    } else bail();
  }
}

function singleQuoted(s: string, start: number): [string, number] {
  let out = '';
  let i = start + 1;
  for (;;) {
    const q = s.indexOf("'", i);
    if (q < 0) bail();
    out += s.slice(i, q);
    if (s[q + 1] === "'") {
      out += "'";
      i = q + 2;
    } else return [out, q + 1];
  }
}

/** Only whitespace or a comment may follow a value. */
function restIsEmpty(s: string, from: number): boolean {
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === ' ' || c === '\t') continue;
    return c === '#' && (i === from ? i > 0 && (s[i - 1] === ' ' || s[i - 1] === '\t') : true);
  }
  return true;
}

/** End of a plain scalar in block context: before ` #`, trailing spaces trimmed. Bails on `: `. */
function plainEnd(s: string, from: number): number {
  let end = s.length;
  const hash = s.indexOf(' #', from);
  const tabHash = s.indexOf('\t#', from);
  if (hash >= 0) end = hash;
  if (tabHash >= 0 && tabHash < end) end = tabHash;
  const colon = s.indexOf(': ', from);
  if (colon >= 0 && colon < end) bail();
  while (end > from && (s[end - 1] === ' ' || s[end - 1] === '\t')) end--;
  if (s[end - 1] === ':') bail();
  return end;
}

class FlowParser {
  i: number;
  constructor(readonly s: string, start: number, readonly line: number, readonly pointer: string, readonly ctx: Ctx) {
    this.i = start;
  }
  ws(): void {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++;
  }
  value(pointer: string): unknown {
    this.ws();
    const c = this.s[this.i];
    this.ctx.set(pointer, this.line);
    if (c === '{') return this.map(pointer);
    if (c === '[') return this.seq(pointer);
    if (c === '"') {
      const [v, next] = doubleQuoted(this.s, this.i);
      this.i = next;
      return v;
    }
    if (c === "'") {
      const [v, next] = singleQuoted(this.s, this.i);
      this.i = next;
      return v;
    }
    if (c === '&' || c === '*' || c === '!' || c === '?' || c === '|' || c === '>' || c === '@' || c === '`' || c === '#') bail();
    const start = this.i;
    while (this.i < this.s.length) {
      const ch = this.s[this.i];
      if (ch === ',' || ch === ']' || ch === '}' || ch === '[' || ch === '{') break;
      if (ch === ':' && (this.s[this.i + 1] === ' ' || this.s[this.i + 1] === ',' || this.s[this.i + 1] === '}' || this.s[this.i + 1] === ']' || this.i + 1 === this.s.length)) break;
      if (ch === '#' && (this.s[this.i - 1] === ' ' || this.s[this.i - 1] === '\t')) bail();
      this.i++;
    }
    return resolvePlain(this.s.slice(start, this.i).trim());
  }
  map(pointer: string): Record<string, unknown> {
    this.i++; // {
    const out: Record<string, unknown> = {};
    for (;;) {
      this.ws();
      if (this.i >= this.s.length) bail();
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      const keyStart = this.i;
      const keyRaw = this.value('\0');
      if (keyRaw !== null && typeof keyRaw === 'object') bail();
      if (this.s[keyStart] !== '"' && this.s[keyStart] !== "'" && keyRaw === null) bail();
      const key = String(keyRaw);
      if (key === '<<' || Object.prototype.hasOwnProperty.call(out, key)) bail();
      this.ws();
      let value: unknown = null;
      const childPointer = pointer + '/' + pointerEscape(key);
      if (this.s[this.i] === ':') {
        this.i++;
        this.ws();
        if (this.s[this.i] === ',' || this.s[this.i] === '}') this.ctx.set(childPointer, this.line);
        else value = this.value(childPointer);
      } else this.ctx.set(childPointer, this.line);
      out[key] = value;
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') bail();
    }
  }
  seq(pointer: string): unknown[] {
    this.i++; // [
    const out: unknown[] = [];
    for (;;) {
      this.ws();
      if (this.i >= this.s.length) bail();
      if (this.s[this.i] === ']') {
        this.i++;
        return out;
      }
      const before = this.i;
      const v = this.value(`${pointer}/${out.length}`);
      this.ws();
      if (this.s[this.i] === ':') bail(); // a single-pair map inside a flow sequence
      if (this.i === before) bail();
      out.push(v);
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== ']') bail();
    }
  }
}

interface Ctx {
  set(pointer: string, line: number): void;
}

/** Lines as blockScalar() reads them: indentation, and the text after it with trailing blanks trimmed
 *  ('' for a blank line; a comment is text here). */
interface BlockLines {
  indentAt(j: number): number;
  textAt(j: number): string;
}

/** A block scalar whose header (`|`, `>-`, `|2`...) ends line i; lines up to `count` may hold it.
 *  [value, the line after it]. */
function blockScalar(header: string, i: number, ownerIndent: number, count: number, endsWithNewline: boolean, lines: BlockLines): [string, number] {
  const m = /^([|>])([+-]?)([1-9]?)([+-]?)(?:\s+#.*|\s*)$/.exec(header);
  if (!m || (m[2] && m[4])) bail();
  const folded = m![1] === '>';
  const chomp = m![2] || m![4];
  let contentIndent = m![3] ? ownerIndent + Number(m![3]) : -1;
  const raw: string[] = [];
  let j = i + 1;
  // raw lines: blank ones, or ones indented enough
  for (; j < count; j++) {
    const lnIndent = lines.indentAt(j);
    const lnText = lines.textAt(j);
    const isBlank = lnText === '';
    if (isBlank) {
      if (contentIndent < 0 && lnIndent > 0) bail(); // leading spaces-only lines before the indentation is known
      raw.push(lnIndent > (contentIndent < 0 ? Infinity : contentIndent) ? ' '.repeat(lnIndent - contentIndent) : '');
      continue;
    }
    if (contentIndent < 0) {
      if (lnIndent <= ownerIndent) break;
      contentIndent = lnIndent;
    }
    if (lnIndent < contentIndent) break;
    raw.push(' '.repeat(lnIndent - contentIndent) + lnText);
  }
  if (j >= count && count > 0 && !endsWithNewline) bail(); // last line without a line break
  // trailing blank lines belong to chomping, not to the node's extent
  let last = raw.length;
  while (last > 0 && raw[last - 1] === '') last--;
  const body = raw.slice(0, last);
  const trailing = raw.length - last;
  let text: string;
  if (folded) {
    if (body.some((l) => l.startsWith(' ') || l.startsWith('\t'))) bail(); // more-indented lines fold differently
    text = '';
    for (let k = 0; k < body.length; k++) {
      const l = body[k];
      if (k === 0) text = l;
      else if (l === '') text += '\n';
      else if (body[k - 1] === '') text += l;
      else text += ' ' + l;
    }
  } else text = body.join('\n');
  if (body.length === 0) text = chomp === '+' ? '\n'.repeat(trailing) : '';
  else if (chomp === '-') { /* strip */ }
  else if (chomp === '+') text += '\n' + '\n'.repeat(trailing);
  else text += '\n';
  return [text, j];
}

class BlockParser implements Ctx {
  readonly out = new Map<string, SourceLocation>();
  constructor(readonly lines: Line[], readonly firstLine: number, readonly file: string) {}

  /** One location object per line, shared by the fields on it (fewer allocations on big files). */
  private readonly locs: SourceLocation[] = [];

  set(pointer: string, lineIdx: number): void {
    if (pointer.charCodeAt(0) === 0) return; // a flow map key being read
    this.out.set(pointer, (this.locs[lineIdx] ??= { file: this.file, line: this.firstLine + lineIdx }));
  }

  blank(i: number): boolean {
    const t = this.lines[i].text;
    return t === '' || t.charCodeAt(0) === 35; // '#'
  }

  nextContent(i: number): number {
    while (i < this.lines.length && this.blank(i)) i++;
    return i;
  }

  /** A node at line i whose indentation is > parentIndent. Returns [value, next line]. */
  node(i: number, pointer: string, parentIndent: number): [unknown, number] {
    const ln = this.lines[i];
    const t = ln.text;
    if (t === '-' || t.startsWith('- ')) return this.seq(i, ln.indent, pointer);
    if (isKeyLine(t)) return this.map(i, ln.indent, pointer);
    // a lone scalar on its own line(s)
    this.set(pointer, i);
    if (t[0] === '|' || t[0] === '>') bail();
    return this.inlineScalar(t, i, parentIndent, pointer);
  }

  /** A value that starts on the current line after `key: ` or `- `. */
  inlineScalar(s: string, i: number, ownerIndent: number, pointer: string): [unknown, number] {
    const c = s[0];
    if (c === '|' || c === '>') return this.blockScalar(s, i, ownerIndent);
    let value: unknown;
    if (c === '"') {
      const [v, end] = doubleQuoted(s, 0);
      if (!restIsEmpty(s, end)) bail();
      value = v;
    } else if (c === "'") {
      const [v, end] = singleQuoted(s, 0);
      if (!restIsEmpty(s, end)) bail();
      value = v;
    } else if (c === '{' || c === '[') {
      const fp = new FlowParser(s, 0, i, pointer, this);
      value = fp.value(pointer);
      if (!restIsEmpty(s, fp.i)) bail();
    } else {
      if (!plainStartOk(s)) bail();
      value = resolvePlain(s.slice(0, plainEnd(s, 0)));
    }
    // anything more indented right after a one-line value is a continuation (or an error): not fast path
    const after = this.nextContent(i + 1);
    if (after < this.lines.length && this.lines[after].indent > ownerIndent) bail();
    return [value, i + 1];
  }

  blockScalar(header: string, i: number, ownerIndent: number): [string, number] {
    return blockScalar(header, i, ownerIndent, this.lines.length, this.endsWithNewline, this);
  }

  indentAt(j: number): number {
    return this.lines[j].indent;
  }

  textAt(j: number): string {
    return this.lines[j].text;
  }

  endsWithNewline = true;

  /** `firstLine`: the first line rewritten to start at the item's column (a compact mapping in a sequence). */
  map(i: number, indent: number, pointer: string, firstLine?: Line): [Record<string, unknown>, number] {
    const out: Record<string, unknown> = {};
    let first = true;
    for (;;) {
      i = this.nextContent(i);
      if (i >= this.lines.length) break;
      const ln = first && firstLine ? firstLine : this.lines[i];
      if (ln.indent < indent) break;
      if (ln.indent > indent) bail();
      const t = ln.text;
      if (!isKeyLine(t)) {
        if (first) bail();
        break;
      }
      first = false;
      // key
      let key: string;
      let rest: number;
      if (t[0] === '"' || t[0] === "'") {
        const [k, end] = t[0] === '"' ? doubleQuoted(t, 0) : singleQuoted(t, 0);
        if (t[end] !== ':') bail();
        key = k;
        rest = end + 1;
      } else {
        const colon = keyColon(t);
        const rawKey = t.slice(0, colon).trimEnd();
        const c = rawKey[0];
        if (!plainStartOk(rawKey)) bail();
        key = String(resolvePlain(rawKey));
        rest = colon + 1;
      }
      if (key === '<<' || Object.prototype.hasOwnProperty.call(out, key)) bail();
      const childPointer = pointer + '/' + pointerEscape(key);
      let j = rest;
      while (t[j] === ' ' || t[j] === '\t') j++;
      if (j >= t.length || (t[j] === '#' && j > rest)) {
        // block value on the following lines, or null
        const next = this.nextContent(i + 1);
        if (next < this.lines.length && (this.lines[next].indent > indent || (this.lines[next].indent === indent && (this.lines[next].text === '-' || this.lines[next].text.startsWith('- '))))) {
          const nl = this.lines[next];
          const isCollection = nl.text === '-' || nl.text.startsWith('- ') || isKeyLine(nl.text);
          this.set(childPointer, isCollection ? i : next);
          const [v, after] = isCollection && nl.indent === indent ? this.seq(next, indent, childPointer) : this.node(next, childPointer, indent);
          if (isCollection) this.set(childPointer, i);
          out[key] = v;
          i = after;
        } else {
          this.set(childPointer, i);
          out[key] = null;
          i = i + 1;
        }
        continue;
      }
      const valueText = t.slice(j);
      const isBlockScalar = valueText[0] === '|' || valueText[0] === '>';
      this.set(childPointer, i);
      const [v, after] = this.inlineScalar(valueText, i, indent, childPointer);
      if (!isBlockScalar) this.set(childPointer, i);
      out[key] = v;
      i = after;
    }
    return [out, i];
  }

  seq(i: number, indent: number, pointer: string): [unknown[], number] {
    const out: unknown[] = [];
    for (;;) {
      i = this.nextContent(i);
      if (i >= this.lines.length) break;
      const ln = this.lines[i];
      if (ln.indent < indent) break;
      if (ln.indent > indent) bail();
      const t = ln.text;
      if (!(t === '-' || t.startsWith('- '))) break;
      const itemPointer = `${pointer}/${out.length}`;
      let j = 1;
      while (t[j] === ' ') j++;
      if (t[j] === '\t') bail();
      if (j >= t.length || t[j] === '#') {
        const next = this.nextContent(i + 1);
        if (next < this.lines.length && this.lines[next].indent > indent) {
          this.set(itemPointer, next);
          const [v, after] = this.node(next, itemPointer, indent);
          this.set(itemPointer, next);
          out.push(v);
          i = after;
        } else bail(); // an empty item: rare, left to the yaml package
        continue;
      }
      const itemText = t.slice(j);
      const col = ln.indent + j;
      if (itemText === '-' || itemText.startsWith('- ')) bail(); // nested compact sequence
      if (isKeyLine(itemText)) {
        // compact mapping: its keys sit at the item's column
        this.set(itemPointer, i);
        const [v, after] = this.map(i, col, itemPointer, { indent: col, text: itemText });
        out.push(v);
        i = after;
        continue;
      }
      this.set(itemPointer, i);
      const [v, after] = this.inlineScalar(itemText, i, indent, itemPointer);
      out.push(v);
      i = after;
    }
    return [out, i];
  }
}

/** A plain scalar may not start with an indicator (`-`, `?`, `:` only when followed by a space). */
function plainStartOk(s: string): boolean {
  const c = s[0];
  if (c === undefined) return true;
  if ('&*!|>%@`,[]{}#\'"'.includes(c)) return false;
  if ((c === '-' || c === '?' || c === ':') && (s.length === 1 || s[1] === ' ' || s[1] === '\t')) return false;
  return true;
}

/** `key:` or `key: ...` with a plain or quoted key. */
function isKeyLine(t: string): boolean {
  const c = t[0];
  if (c === '"' || c === "'") {
    try {
      const [, end] = c === '"' ? doubleQuoted(t, 0) : singleQuoted(t, 0);
      return t[end] === ':' && (end + 1 === t.length || t[end + 1] === ' ' || t[end + 1] === '\t');
    } catch {
      return false;
    }
  }
  if (c === '#' || c === '[' || c === '{') return false;
  return keyColon(t) >= 0;
}

/** Index of the `:` that ends a plain key, or -1. */
function keyColon(t: string): number {
  for (let i = 0; i < t.length; i++) {
    const ch = t[i];
    if (ch === ':' && (i + 1 === t.length || t[i + 1] === ' ' || t[i + 1] === '\t')) return i;
    if (ch === '#' && i > 0 && (t[i - 1] === ' ' || t[i - 1] === '\t')) return -1;
  }
  return -1;
}

/** Parse one document's lines (without `---` markers). FALLBACK when not on the fast path;
 *  undefined for an empty document. */
export function fastParseDocument(rawLines: string[], firstLine: number, file: string, endsWithNewline: boolean): { value: unknown; line: number; fieldSources: Map<string, SourceLocation> } | undefined | Fallback {
  const lines: Line[] = new Array(rawLines.length);
  for (let k = 0; k < rawLines.length; k++) {
    let s = rawLines[k];
    if (s.endsWith('\r')) s = s.slice(0, -1);
    if (ODD_CHARS.test(s)) return FALLBACK; // stray line breaks, control characters, BOM
    let n = 0;
    while (s.charCodeAt(n) === 32) n++;
    const text = s.slice(n);
    if (text.charCodeAt(0) === 9 && text.trim() !== '') return FALLBACK; // tab indentation
    const trimmed = text.trimEnd();
    lines[k] = { indent: trimmed === '' ? n : n, text: trimmed === '' ? '' : text.trimEnd() };
  }
  const p = new BlockParser(lines, firstLine, file);
  p.endsWithNewline = endsWithNewline;
  try {
    const start = p.nextContent(0);
    if (start >= lines.length) return undefined;
    if (lines[start].text.startsWith('%')) return FALLBACK;
    p.set('', start);
    const [value, after] = p.node(start, '', -1);
    if (p.nextContent(after) < lines.length) return FALLBACK; // something the grammar above did not expect
    return { value, line: firstLine + start, fieldSources: p.out };
  } catch (err) {
    if (err instanceof Unsupported) return FALLBACK;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------
// Values only: the same grammar as BlockParser above, restricted further (no escaped quoted keys,
// printable ASCII only), that builds the JS value without field sources and without allocating a
// string per line.
// It runs cold in the CLI on thousands of small files, so it reads the file text in place through a
// line table and returns the next line in a module variable instead of tuples. Anything it does not
// handle returns FALLBACK and the caller uses fastParseDocument (which falls back to the `yaml`
// package in turn): accepting only a subset of what fastParseDocument accepts, with the same value,
// is what keeps results identical (test/unit/manifests-fastyaml.test.ts checks it over the corpus).

/** Characters the values-only path never handles (anything but printable ASCII, tab and line breaks;
 *  a CR only before LF): files with one go to the line-array path. Two tests, as one regex with an
 *  alternative is twice as slow on the (usual) files without CR. */
const NOT_LEAN = /[^\t\n\r\x20-\x7e]/;
const STRAY_CR = /\r(?!\n)/;

/** Line table of the file being scanned, reused between calls (grown, never shrunk): start offset,
 *  content start (after the indentation spaces), content end (trailing blanks and CR trimmed). */
let LS: Int32Array;
let CS: Int32Array;
let CE: Int32Array;
/** First content character of each line (0 for a blank one): read from here, not from the text. */
let FC: Uint8Array;
tables(512);
let S = '';
/** Line count of the current file, and end (exclusive) of the document being parsed. */
let NLINES = 0;
let END = 0;
/** The line after the node parse returned (instead of a [value, next] tuple). */
let NEXT = 0;
/** The first `#` at or after HASH_FROM is at HASH (S.length: none), so that comment checks are one
 *  native indexOf per `#` in the file rather than a test per character. */
let HASH_FROM = 0;
let HASH = 0;
const MAX = 0x7fffffff;
/** Whether the file has a backslash at all (escapes in double quotes are left to the other paths). */
let BACKSLASH = false;
/** SPACES[n]: n spaces. */
const SPACES = Array.from({ length: 33 }, (_, n) => ' '.repeat(n));

/** Short strings read recently, by a hash of first and last character and length: keys and common
 *  values (apiVersion, metadata, name, Deployment, TCP...) read again are compared in place instead of
 *  sliced, which saves the new string and its garbage (the output is the same: strings are values).
 *  Only up to 12 characters: V8 copies those, while a longer slice would keep its whole file alive. */
const RECENT: string[] = new Array<string>(2048).fill('');

/** S.slice(from, end), shared with an equal string read before when there is one. */
function sliceAt(from: number, end: number): string {
  const len = end - from;
  if (len > 12) return S.slice(from, end);
  const slot = (S.charCodeAt(from) * 61 + S.charCodeAt(end - 1) * 7 + len) & 2047;
  const seen = RECENT[slot];
  if (seen.length === len && S.startsWith(seen, from)) return seen;
  return (RECENT[slot] = S.slice(from, end));
}

/** Offset of the first `#` at or after `from`, or S.length. */
function hashAt(from: number): number {
  if (from < HASH_FROM || from > HASH) {
    HASH_FROM = from;
    HASH = S.indexOf('#', from);
    if (HASH < 0) HASH = S.length;
  }
  return HASH;
}

/** Document boundaries of a file: line ranges [a, b), as parseDocuments' `---` / `...` rules cut them. */
export interface LeanFile {
  text: string;
  lineCount: number;
  segments: number[]; // a0, b0, a1, b1, ...
}

/** Scans `text` into the line table and cuts it into documents. undefined when the file is not for
 *  this path (odd characters, tab indentation, directives, content after markers): the caller then
 *  takes the general path for the whole file, which decides exactly as before. */
export function leanScan(text: string): LeanFile | undefined {
  if (NOT_LEAN.test(text) || (text.indexOf('\r') >= 0 && STRAY_CR.test(text))) return undefined;
  if (LS.length > 65536) tables(512); // a huge file grew them: not kept for the next files
  S = text;
  HASH_FROM = MAX;
  BACKSLASH = text.indexOf('\\') >= 0;
  const len = text.length;
  const segments: number[] = [];
  let k = 0;
  let start = 0;
  let segStart = 0;
  let afterEnd = false;
  let indent = 0;
  for (;;) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = len;
    if (k === LS.length) grow();
    LS[k] = start;
    if (nl === start) {
      // an empty line (no character read: reading past the end would cost the optimized code)
      CS[k] = CE[k] = start;
      FC[k] = 0;
      k++;
      if (nl === len) break;
      start = nl + 1;
      continue;
    }
    // indentation: most lines are indented like the one before (one native comparison), then per space
    let cs = indent > 0 && indent < SPACES.length && text.startsWith(SPACES[indent], start) ? start + indent : start;
    let c = text.charCodeAt(cs);
    while (c === 32 && ++cs < nl) c = text.charCodeAt(cs);
    // content end: without CR and trailing blanks
    let ce = nl;
    let e = text.charCodeAt(ce - 1); // (the line is not empty: in bounds)
    if (e === 13) e = --ce > cs ? text.charCodeAt(ce - 1) : 0;
    while ((e === 32 || e === 9) && ce > cs) e = --ce > cs ? text.charCodeAt(ce - 1) : 0;
    if (cs < ce) {
      if (c === 9) return undefined; // tab indentation
      indent = cs - start;
    }
    CS[k] = cs;
    CE[k] = ce;
    FC[k] = cs < ce ? c : 0;
    // document markers: the same tests as parseDocuments' line loop, on the rare lines they concern
    const c0 = cs === start ? c : 32;
    if (c0 === 37 /* % */) return undefined;
    if (c0 === 45 /* - */ || c0 === 46 /* . */ || afterEnd) {
      const l = text.slice(start, nl);
      if (l.startsWith('---') && (l.length === 3 || l[3] === ' ' || l[3] === '\t' || l[3] === '\r')) {
        const rest = l.slice(3).trim();
        if (rest !== '' && !rest.startsWith('#')) return undefined;
        if (!afterEnd) segments.push(segStart, k);
        segStart = k + 1;
        afterEnd = false;
      } else if (l.startsWith('...') && (l.length === 3 || l[3] === ' ' || l[3] === '\r')) {
        if (!afterEnd) segments.push(segStart, k);
        afterEnd = true;
      } else if (afterEnd && l.trim() !== '' && !l.trim().startsWith('#')) return undefined;
    }
    k++;
    if (nl === len) break;
    start = nl + 1;
  }
  if (!afterEnd) segments.push(segStart, k);
  NLINES = k;
  return { text, lineCount: k, segments };
}

function grow(): void {
  const [ls, cs, ce, fc] = [LS, CS, CE, FC];
  tables(LS.length * 2);
  LS.set(ls);
  CS.set(cs);
  CE.set(ce);
  FC.set(fc);
}

function tables(n: number): void {
  LS = new Int32Array(n);
  CS = new Int32Array(n);
  CE = new Int32Array(n);
  FC = new Uint8Array(n);
}

/** Value of the document on lines [a, b) of the file leanScan() just scanned (no other scan in
 *  between): undefined for an empty document, FALLBACK when not on this path. */
export function leanParseDocument(file: LeanFile, a: number, b: number): unknown {
  if (S !== file.text || NLINES !== file.lineCount) throw new Error('leanParseDocument: not the file scanned last');
  END = b;
  ITEMS_TOP = 0; // (a bail leaves it anywhere)
  try {
    const start = nextContent(a);
    if (start >= b) return undefined;
    const value = node(start, -1);
    if (nextContent(NEXT) < b) return FALLBACK;
    return value;
  } catch (err) {
    if (err instanceof Unsupported) return FALLBACK;
    throw err;
  }
}

/** Offset where line k of the file leanScan() scanned last starts. */
export function leanLineStart(k: number): number {
  return LS[k];
}

/** 0-based line of the first content of the document leanParseDocument() accepted last. */
export function leanFirstContent(a: number): number {
  return nextContent(a);
}

/** The first line at or after i that is neither blank nor a comment (END when none). */
function nextContent(i: number): number {
  for (let c = 0; i < END && ((c = FC[i]) === 0 || c === 35); i++);
  return i;
}

const indentOf = (i: number): number => CS[i] - LS[i];

/** `-` or `- ...` */
function isItem(i: number): boolean {
  if (FC[i] !== 45) return false;
  const cs = CS[i];
  return CE[i] - cs === 1 || S.charCodeAt(cs + 1) === 32;
}

const isBlankChar = (c: number): boolean => c === 32 || c === 9;

/** Characters a plain scalar may not start with: & * ! | > % @ ` , [ ] { } # ' " */
const INDICATOR = new Uint8Array(128);
for (const ch of '&*!|>%@`,[]{}#\'"') INDICATOR[ch.charCodeAt(0)] = 1;

/** Index of the closing quote of a quoted scalar opening at `at`, or -1 when it has escapes or does
 *  not close on the line (left to doubleQuoted / singleQuoted above). */
function quoteEnd(at: number, ce: number): number {
  const single = S.charCodeAt(at) === 39;
  const q = S.indexOf(single ? "'" : '"', at + 1);
  if (q < 0 || q >= ce) return -1;
  if (single) {
    if (S.charCodeAt(q + 1) === 39) return -1; // '' escape
  } else if (BACKSLASH) {
    const b = S.indexOf('\\', at + 1);
    if (b >= 0 && b < q) return -1; // backslash escape
  }
  return q;
}

/** Field sources nobody reads: flow collections go through FlowParser above, which records them. */
const NO_SOURCES: Ctx = { set() {} };

/** The line table as blockScalar() above reads lines. */
const TABLE_LINES: BlockLines = {
  indentAt: (j) => CS[j] - LS[j],
  textAt: (j) => S.slice(CS[j], CE[j]),
};

/** Index of the `:` that ends the key of a key line [cs, ce) starting with character c, or -1
 *  (isKeyLine + keyColon above). */
function keyColonAt(cs: number, ce: number, c: number): number {
  if (c === 34 || c === 39) {
    const q = quoteEnd(cs, ce);
    if (q < 0) bail(); // escaped keys: rare
    const after = S.charCodeAt(q + 2);
    return S.charCodeAt(q + 1) === 58 && (q + 2 === ce || after === 32 || after === 9) ? q + 1 : -1;
  }
  if (c === 35 || c === 91 || c === 123) return -1; // # [ {
  // the first `:` followed by a blank or the end of the line...
  let k = S.indexOf(':', cs);
  for (;;) {
    if (k < 0 || k >= ce) return -1;
    if (k + 1 === ce) break;
    const after = S.charCodeAt(k + 1);
    if (after === 32 || after === 9) break;
    k = S.indexOf(':', k + 1);
  }
  // ...unless a comment (`#` after a blank) starts before it
  for (let h = hashAt(cs + 1); h < k; h = hashAt(h + 1)) if (isBlankChar(S.charCodeAt(h - 1))) return -1;
  return k;
}

/** plainStartOk() above, on [from, end) starting with character c. */
function plainStartAt(from: number, end: number, c: number): boolean {
  if (INDICATOR[c] === 1) return false;
  if ((c === 45 || c === 63 || c === 58) && (end - from === 1 || isBlankChar(S.charCodeAt(from + 1)))) return false;
  return true;
}

/** A block node at line i, more indented than its parent: a mapping, a sequence, or a one-line value
 *  on a line of its own (BlockParser.node above). */
function node(i: number, parentIndent: number): unknown {
  if (isItem(i)) return seq(i, indentOf(i));
  const c = FC[i];
  if (keyColonAt(CS[i], CE[i], c) >= 0) return map(i, indentOf(i), -1);
  if (c === 124 || c === 62) bail(); // a block scalar header alone on its line
  return inline(CS[i], CE[i], i, parentIndent, c);
}

/** `firstCs` >= 0: the first key starts there, at column `indent` (a compact mapping in a sequence). */
function map(i: number, indent: number, firstCs: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let first = true;
  for (;;) {
    i = nextContent(i);
    if (i >= END) break;
    let cs = CS[i];
    let ind = cs - LS[i];
    let c = FC[i];
    if (first && firstCs >= 0) {
      cs = firstCs;
      ind = indent;
      c = S.charCodeAt(cs);
    }
    if (ind < indent) break;
    if (ind > indent) bail();
    const ce = CE[i];
    const colon = keyColonAt(cs, ce, c);
    if (colon < 0) {
      if (first) bail();
      break;
    }
    first = false;
    let key: string;
    if (c === 34 || c === 39) key = sliceAt(cs + 1, colon - 1);
    else {
      let kEnd = colon;
      while (kEnd > cs && isBlankChar(S.charCodeAt(kEnd - 1))) kEnd--;
      if (kEnd === cs || !plainStartAt(cs, kEnd, c)) bail();
      const k = resolvePlain(sliceAt(cs, kEnd));
      key = typeof k === 'string' ? k : String(k);
    }
    // (our own values are never undefined: anything else, an inherited name included, is left to the other paths)
    if (key === '<<' || out[key] !== undefined) bail();
    let j = colon + 1;
    let v = 0; // first character of the value
    while (j < ce && ((v = S.charCodeAt(j)) === 32 || v === 9)) j++;
    if (j >= ce || (v === 35 && j > colon + 1)) {
      // block value on the following lines, or null
      const next = nextContent(i + 1);
      if (next < END && (indentOf(next) > indent || (indentOf(next) === indent && isItem(next)))) {
        out[key] = node(next, indent);
        i = NEXT;
      } else {
        out[key] = null;
        i++;
      }
      continue;
    }
    out[key] = inline(j, ce, i, indent, v);
    i = NEXT;
  }
  NEXT = i;
  return out;
}

/** Items of the sequences being read (a nested one stacks above its parent's), copied out by an
 *  exact-size slice: most sequences are short, and an array grown by push keeps 16 spare slots. */
const ITEMS: unknown[] = [];
let ITEMS_TOP = 0;

function seq(i: number, indent: number): unknown[] {
  const base = ITEMS_TOP;
  for (;;) {
    i = nextContent(i);
    if (i >= END) break;
    const cs = CS[i];
    const ind = cs - LS[i];
    if (ind < indent) break;
    if (ind > indent) bail();
    if (!isItem(i)) break;
    const ce = CE[i];
    let j = cs + 1;
    while (j < ce && S.charCodeAt(j) === 32) j++;
    if (j < ce && S.charCodeAt(j) === 9) bail();
    if (j >= ce || S.charCodeAt(j) === 35) {
      const next = nextContent(i + 1);
      if (next < END && indentOf(next) > indent) {
        const item = node(next, indent);
        ITEMS[ITEMS_TOP++] = item;
        i = NEXT;
      } else bail(); // an empty item
      continue;
    }
    const c = S.charCodeAt(j);
    if (c === 45 && (ce - j === 1 || S.charCodeAt(j + 1) === 32)) bail(); // nested compact sequence
    // a compact mapping (keys at the item's column) or a one-line value
    const item = keyColonAt(j, ce, c) >= 0 ? map(i, ind + (j - cs), j) : inline(j, ce, i, indent, c);
    ITEMS[ITEMS_TOP++] = item;
    i = NEXT;
  }
  const out = ITEMS.slice(base, ITEMS_TOP);
  ITEMS_TOP = base;
  NEXT = i;
  return out;
}

/** A one-line value [j, ce) starting with character c, on line i after `key: ` or `- `. */
function inline(j: number, ce: number, i: number, ownerIndent: number, c: number): unknown {
  if (c === 124 || c === 62) {
    // | or >: blockScalar above, on the line table (the document's last line ends the file or a `---`)
    const [text, next] = blockScalar(S.slice(j, ce), i, ownerIndent, END, END < NLINES || S.endsWith('\n'), TABLE_LINES);
    NEXT = next;
    return text;
  }
  let value: unknown;
  if (c === 34 || c === 39) {
    const q = quoteEnd(j, ce);
    if (q >= 0) {
      value = sliceAt(j + 1, q);
      if (!restIsEmptyAt(q + 1, ce)) bail();
    } else {
      // escapes: the readers of the eager path, on the line's text (BlockParser.inlineScalar does the same)
      const line = S.slice(j, ce);
      const [v, end] = c === 34 ? doubleQuoted(line, 0) : singleQuoted(line, 0);
      if (!restIsEmpty(line, end)) bail();
      value = v;
    }
  } else if (c === 123 || c === 91) {
    if (S.charCodeAt(j + 1) === (c === 123 ? 125 : 93)) {
      value = c === 123 ? {} : []; // {} and [], the usual ones
      if (!restIsEmptyAt(j + 2, ce)) bail();
    } else {
      // a one-line flow collection: FlowParser, as BlockParser.inlineScalar runs it
      const line = S.slice(j, ce);
      const fp = new FlowParser(line, 0, 0, '', NO_SOURCES);
      value = fp.value('');
      if (!restIsEmpty(line, fp.i)) bail();
    }
  } else {
    if (!plainStartAt(j, ce, c)) bail(); // an anchor, alias, tag...
    value = resolvePlain(sliceAt(j, plainEndAt(j, ce)));
  }
  // anything more indented right after a one-line value is a continuation (or an error)
  const after = nextContent(i + 1);
  if (after < END && CS[after] - LS[after] > ownerIndent) bail();
  NEXT = after; // (the lines in between are blank: the caller would skip them)
  return value;
}

/** restIsEmpty() above, on [from, ce). */
function restIsEmptyAt(from: number, ce: number): boolean {
  for (let k = from; k < ce; k++) {
    const c = S.charCodeAt(k);
    if (c === 32 || c === 9) continue;
    return c === 35 && (k > from || isBlankChar(S.charCodeAt(k - 1)));
  }
  return true;
}

/** plainEnd() above, on [from, ce): before ` #`, blanks trimmed; bails on `: `. */
function plainEndAt(from: number, ce: number): number {
  let end = ce;
  for (let h = hashAt(from + 1); h < ce; h = hashAt(h + 1)) {
    if (isBlankChar(S.charCodeAt(h - 1))) {
      end = h - 1;
      while (end > from && isBlankChar(S.charCodeAt(end - 1))) end--;
      break;
    }
  }
  const colon = S.indexOf(': ', from);
  if ((colon >= 0 && colon < end) || S.charCodeAt(end - 1) === 58) bail();
  return end;
}
