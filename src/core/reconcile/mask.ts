// Secret masking exactly as Argo CD does it (util/diff HideSecretData): per data key, every distinct
// value across the compared objects becomes a run of '+' — "++++++++" for the first distinct value,
// four more for each next one — so a change is visible and no byte of the value is shown.
import type { KubeObject } from '../model';

export const FIRST_MASK = '++++++++';

/** Mask the `data` of Secrets in place (desired first, then live, like Argo CD's target, live order).
 *  Objects that are not Secrets are left alone. Returns the same objects. */
export function maskSecrets<T extends KubeObject | undefined>(...objects: T[]): T[] {
  const secrets = objects.filter((o): o is NonNullable<T> => !!o && o.kind === 'Secret');
  if (secrets.length === 0) return objects;
  const keys = new Set<string>();
  for (const o of secrets) {
    const data = o.data;
    if (data && typeof data === 'object') for (const k of Object.keys(data)) keys.add(k);
  }
  for (const key of keys) {
    let next = FIRST_MASK;
    const replacementOf = new Map<string, string>();
    for (const o of secrets) {
      const data = o.data as Record<string, unknown> | null | undefined;
      if (!data || !(key in data)) continue;
      const value = data[key] == null ? '' : String(data[key]);
      let replacement = replacementOf.get(value);
      if (replacement === undefined) {
        replacement = next;
        next += '++++';
        replacementOf.set(value, replacement);
      }
      data[key] = replacement;
    }
  }
  return objects;
}
