// Argo CD directory include/exclude globs: `*`, `**`, `?`, `{a,b}`, matched against the path relative to
// the app folder (and, for patterns without a slash, against the file name alone).
const cache = new Map<string, RegExp>();

function toRegExp(pattern: string): RegExp {
  let cached = cache.get(pattern);
  if (cached) return cached;
  let re = '';
  let inBraces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') { i++; re += '(?:.*/)?'; } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') { inBraces++; re += '(?:'; }
    else if (c === '}' && inBraces > 0) { inBraces--; re += ')'; }
    else if (c === ',' && inBraces > 0) re += '|';
    else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  cached = new RegExp('^' + re + '$');
  cache.set(pattern, cached);
  return cached;
}

export function globMatch(pattern: string, relPath: string): boolean {
  const re = toRegExp(pattern.replace(/^\.\//, ''));
  if (re.test(relPath)) return true;
  if (!pattern.includes('/')) {
    const base = relPath.slice(relPath.lastIndexOf('/') + 1);
    return re.test(base);
  }
  return false;
}
