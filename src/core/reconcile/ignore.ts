// Argo CD ignoreDifferences: rules select resources by group/kind/name/namespace; jsonPointers and
// jqPathExpressions remove fields from both sides before the comparison; managedFieldsManagers
// drop drift whose live value is owned by one of the listed managers.
import { fromPointer, groupOf, type IgnoreDifferencesRule, type KubeObject, type ObjectRef } from '../model';
import { compileJq, jqPaths, type CompiledJq } from './jq';

export function ruleMatches(rule: IgnoreDifferencesRule, ref: ObjectRef): boolean {
  if (rule.kind && rule.kind !== '*' && rule.kind !== ref.kind) return false;
  if (rule.group !== undefined && rule.group !== '*' && rule.group !== groupOf(ref.apiVersion)) return false;
  if (rule.name && rule.name !== ref.name) return false;
  if (rule.namespace && rule.namespace !== (ref.namespace ?? '')) return false;
  return true;
}

export interface EffectiveIgnore {
  pointers: string[][];
  jq: CompiledJq[];
  managers: Set<string>;
  /** Rules that could not be used, in plain words. */
  errors: string[];
}

const jqCache = new Map<string, CompiledJq | Error>();

function compiled(expr: string): CompiledJq | Error {
  let c = jqCache.get(expr);
  if (!c) {
    try { c = compileJq(expr); } catch (err) { c = err as Error; }
    jqCache.set(expr, c);
  }
  return c;
}

export function effectiveIgnore(rules: IgnoreDifferencesRule[], ref: ObjectRef): EffectiveIgnore {
  const out: EffectiveIgnore = { pointers: [], jq: [], managers: new Set(), errors: [] };
  for (const rule of rules) {
    if (!ruleMatches(rule, ref)) continue;
    for (const p of rule.jsonPointers ?? []) out.pointers.push(fromPointer(p));
    for (const e of rule.jqPathExpressions ?? []) {
      const c = compiled(e);
      if (c instanceof Error) out.errors.push(c.message);
      else out.jq.push(c);
    }
    for (const m of rule.managedFieldsManagers ?? []) out.managers.add(m);
  }
  return out;
}

export function hasFieldRemovals(ig: EffectiveIgnore): boolean {
  return ig.pointers.length > 0 || ig.jq.length > 0;
}

function removePath(obj: unknown, segments: (string | number)[]): void {
  if (segments.length === 0) return;
  let cur: unknown = obj;
  for (const s of segments.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object') return;
    cur = (cur as Record<string, unknown>)[s as string];
  }
  const last = segments[segments.length - 1];
  if (Array.isArray(cur)) {
    const i = Number(last);
    if (Number.isInteger(i) && i >= 0 && i < cur.length) cur[i] = undefined; // keep indices stable; compacted below
  } else if (cur && typeof cur === 'object') {
    delete (cur as Record<string, unknown>)[last as string];
  }
}

function compactArrays(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== undefined).map(compactArrays);
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) (v as Record<string, unknown>)[k] = compactArrays(x);
  }
  return v;
}

/** Remove the ignored fields from `obj` (mutates and returns it). */
export function applyFieldIgnores(obj: KubeObject, ig: EffectiveIgnore): KubeObject {
  if (!hasFieldRemovals(ig)) return obj;
  const paths: (string | number)[][] = [...ig.pointers];
  for (const c of ig.jq) paths.push(...jqPaths(c, obj));
  // Longest first so a parent removal does not hide a child path.
  paths.sort((a, b) => b.length - a.length);
  let touchedArray = false;
  for (const p of paths) {
    removePath(obj, p);
    if (typeof p[p.length - 1] === 'number' || /^\d+$/.test(String(p[p.length - 1]))) touchedArray = true;
  }
  if (touchedArray) compactArrays(obj);
  return obj;
}
