// labelSelector and fieldSelector query parameters, as the API server parses them.
import type { KubeObject } from '../model';
import { badRequest } from './status';

export type Matcher = (obj: KubeObject) => boolean;

/** Split on commas that are not inside `in (a,b)` parentheses. */
function terms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) { out.push(cur); cur = ''; } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter(Boolean);
}

export function labelMatcher(selector: string | null | undefined): Matcher {
  if (!selector) return () => true;
  const tests: ((labels: Record<string, string>) => boolean)[] = [];
  for (const term of terms(selector)) {
    let m: RegExpExecArray | null;
    if ((m = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term))) {
      const [, key, op, list] = m;
      const values = new Set(list.split(',').map((v) => v.trim()));
      tests.push(op === 'in' ? (l) => key in l && values.has(l[key]) : (l) => !(key in l) || !values.has(l[key]));
    } else if ((m = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term))) {
      const [, key, op, value] = m;
      tests.push(op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value);
    } else if ((m = /^!\s*(\S+)$/.exec(term))) {
      const key = m[1];
      tests.push((l) => !(key in l));
    } else if (/^[^\s!=(),]+$/.test(term)) {
      tests.push((l) => term in l);
    } else {
      throw badRequest(`unable to parse requirement: ${term}`);
    }
  }
  return (obj) => { const l = obj.metadata.labels ?? {}; return tests.every((t) => t(l)); };
}

export function fieldMatcher(selector: string | null | undefined): Matcher {
  if (!selector) return () => true;
  const tests: Matcher[] = [];
  for (const term of terms(selector)) {
    const m = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const [, field, op, value] = m;
    const get = (o: KubeObject): unknown => field.split('.').reduce<any>((v, k) => (v == null ? undefined : v[k]), o);
    if (!['metadata.name', 'metadata.namespace'].includes(field) && !field.startsWith('status.') && !field.startsWith('spec.') && field !== 'type') {
      throw badRequest(`field label not supported: ${field}`);
    }
    const eq = (o: KubeObject) => String(get(o) ?? '') === value;
    tests.push(op === '!=' ? (o) => !eq(o) : eq);
  }
  return (obj) => tests.every((t) => t(obj));
}
