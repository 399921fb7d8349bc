// Pure (vscode-free): where the value sits on a YAML line, for diagnostic ranges.

/** [startColumn, endColumn) of the value written on a YAML line (0-based), without its trailing comment.
 *  Falls back to the line's text after indentation when no `key: value` shape is found. */
export function valueColumns(lineText: string): [number, number] {
  let start = lineText.length - lineText.trimStart().length;
  // Skip list dashes ("- - x").
  while (lineText.startsWith('- ', start)) start += 2;
  const m = /^((?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"][^:#]*?)\s*:)(\s+|$)/.exec(lineText.slice(start));
  if (m && m[0].length < lineText.length - start) start += m[0].length;
  let end = lineText.length;
  const comment = lineText.slice(start).search(/\s#/);
  if (comment >= 0) end = start + comment;
  while (end > start && /\s/.test(lineText[end - 1])) end--;
  if (end <= start) return [lineText.length - lineText.trimStart().length, Math.max(lineText.trimEnd().length, start)];
  return [start, end];
}
