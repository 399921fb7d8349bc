// The tag bump edit: splice the new tag over exactly the characters of the old one. Everything
// else in the file (comments, quotes, indentation, `---`, key order, CRLF) is untouched by construction.
import type { ImageDeclaration } from './yamlImages';
import { scanYamlImages, type ScanOptions } from './yamlImages';
import { tagProblem } from './reference';

export class TagEditError extends Error {}

/** Would a plain YAML scalar with this text be read as something other than a string (YAML 1.1 or 1.2)? */
export function plainScalarIsNotString(text: string): boolean {
  return /^[-+]?(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?$/.test(text)
    || /^0x[0-9a-fA-F_]+$|^0o?[0-7_]+$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$/.test(text)
    || /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~)$/.test(text);
}

export interface TagEdit {
  file: string;
  start: number;
  end: number;
  /** The characters that replace text[start, end). */
  replacement: string;
  oldTag: string;
  newTag: string;
  /** Set when the new tag had to be quoted to stay a string (e.g. `tag: v1` -> `tag: "1.10"`). */
  note?: string;
}

/** Plan the edit of one declaration in `text` (the file's current content). Throws TagEditError. */
export function planTagEdit(text: string, decl: ImageDeclaration, newTag: string): TagEdit {
  const problem = tagProblem(newTag);
  if (problem) throw new TagEditError(problem);
  if (decl.tagStart === undefined || decl.tagEnd === undefined || decl.tag === undefined) {
    throw new TagEditError(`${decl.file}:${decl.line} declares ${decl.image || 'the image'} without a tag; nothing to bump there`);
  }
  const current = text.slice(decl.tagStart, decl.tagEnd);
  if (current !== decl.tag) {
    throw new TagEditError(`${decl.file}:${decl.line} changed since it was read (expected tag '${decl.tag}', found '${current}')`);
  }
  if (decl.digest) {
    throw new TagEditError(`${decl.file}:${decl.line} pins ${decl.image} by digest (${decl.digest.slice(0, 19)}…): the digest wins over the tag; update the digest instead`);
  }
  let replacement = newTag;
  let note: string | undefined;
  // A tag-only plain scalar in Helm values is typed by YAML: `tag: v1` -> `tag: 1.10` would become the
  // number 1.1 in the chart. Quote it then (the only case where more than the tag's bytes change).
  const tagOnly = decl.kind === 'helm-values' || decl.kind === 'flux-setter';
  const plain = text[decl.tagStart - 1] !== '"' && text[decl.tagStart - 1] !== "'";
  const wholeScalar = tagOnly && plain && isWholeScalar(text, decl.tagStart, decl.tagEnd);
  if (wholeScalar && plainScalarIsNotString(newTag) && !plainScalarIsNotString(decl.tag)) {
    replacement = `"${newTag}"`;
    note = `quoted "${newTag}" so the values file keeps a string (unquoted, YAML reads it as a ${/^(true|false|yes|no|on|off)$/i.test(newTag) ? 'boolean' : 'number'})`;
  }
  return { file: decl.file, start: decl.tagStart, end: decl.tagEnd, replacement, oldTag: decl.tag, newTag, note };
}

/** A tag-only scalar: the characters before it (on its line) end with `: ` / `- ` and nothing but a comment follows. */
function isWholeScalar(text: string, start: number, end: number): boolean {
  const before = text.slice(text.lastIndexOf('\n', start - 1) + 1, start);
  const nl = text.indexOf('\n', end);
  const after = text.slice(end, nl < 0 ? undefined : nl).replace(/\r$/, '');
  return /(?:^|[:\-])\s+$|^\s*$/.test(before) && /^\s*(?:#.*)?$/.test(after);
}

export function applyTagEdit(text: string, edit: TagEdit): string {
  return text.slice(0, edit.start) + edit.replacement + text.slice(edit.end);
}

/** Apply and prove it: the edited file still parses, and the same declaration now carries the new tag. */
export function bumpTagInText(text: string, decl: ImageDeclaration, newTag: string, scan: ScanOptions = {}): { text: string; edit: TagEdit } {
  const edit = planTagEdit(text, decl, newTag);
  const next = applyTagEdit(text, edit);
  const again = scanYamlImages(next, decl.file, scan).find((d) => d.docIndex === decl.docIndex && d.pointer === decl.pointer && d.kind === decl.kind);
  if (!again || again.tag !== newTag) {
    throw new TagEditError(`editing ${decl.file}:${decl.line} did not produce tag '${newTag}' at ${decl.pointer} (found '${again?.tag ?? 'nothing'}')`);
  }
  return { text: next, edit };
}
