// Cheap drift detection for the agent: is every field Git sets present with the same value live?
// A subset comparison with Argo CD's basic rules (fields only live has — server defaults, bookkeeping,
// other managers' additions — are never drift; status and most metadata are ignored; quantities
// compare by value; Secret stringData is folded into data; keyed list items match by key).
// The engine's full compare (src/core/reconcile) does attribution and ignore rules; the agent only needs
// a yes/no plus the first few paths for its log and status message.
import type { KubeObject } from '../../model';

const LIST_KEYS = ['name', 'containerPort', 'mountPath', 'type', 'port', 'ip', 'key', 'topologyKey'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Empty values the API server drops: Git writing them and live lacking them is not drift. */
function isEmptyish(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObject(v)) return Object.values(v).every(isEmptyish);
  return false;
}

const SUFFIX: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** Numeric value of a Kubernetes quantity ("500m", "1Gi", "0.5", 2), or undefined. */
export function quantityValue(q: unknown): number | undefined {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return undefined;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]) * (m[2] ? 10 ** Number(m[2].slice(1)) : 1);
  return base * SUFFIX[m[3] ?? ''];
}

const QUANTITY_PARENTS = new Set(['limits', 'requests', 'capacity', 'hard', 'storage', 'allocatable']);

function scalarEqual(desired: unknown, live: unknown, parent: string | undefined): boolean {
  // parent = the key of the map holding the value (requests, limits, capacity…)
  if (desired === live) return true;
  if ((typeof desired === 'number' || typeof desired === 'string') && (typeof live === 'number' || typeof live === 'string')) {
    if (String(desired) === String(live)) return true; // int-or-string (ports, maxSurge)
    if (parent && QUANTITY_PARENTS.has(parent)) {
      const a = quantityValue(desired);
      const b = quantityValue(live);
      return a !== undefined && b !== undefined && Math.abs(a - b) <= Math.abs(a) * 1e-9;
    }
  }
  return false;
}

function keyOf(items: unknown[]): string | undefined {
  if (!items.length || !items.every(isObject)) return undefined;
  return LIST_KEYS.find((k) => items.every((i) => (i as Record<string, unknown>)[k] !== undefined));
}

function walk(desired: unknown, live: unknown, pointer: string, parent: string | undefined, out: string[], limit: number): void {
  if (out.length >= limit) return;
  if (isObject(desired)) {
    if (!isObject(live)) { if (!isEmptyish(desired) || live !== undefined) out.push(pointer || '/'); return; }
    for (const [k, v] of Object.entries(desired)) {
      const child = `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (live[k] === undefined) { if (!isEmptyish(v)) out.push(child); continue; }
      walk(v, live[k], child, pointer.slice(pointer.lastIndexOf('/') + 1), out, limit);
    }
    return;
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(live)) { if (!isEmptyish(desired) || live !== undefined) out.push(pointer); return; }
    const key = keyOf(desired);
    if (key) {
      // Keyed list: every Git item must exist live with the same key; items others added are not drift.
      desired.forEach((item, i) => {
        const k = (item as Record<string, unknown>)[key];
        const match = live.find((l) => isObject(l) && String(l[key]) === String(k));
        if (match === undefined) out.push(`${pointer}/${i}`);
        else walk(item, match, `${pointer}/${i}`, parent, out, limit);
      });
      return;
    }
    if (desired.length !== live.length) { out.push(pointer); return; }
    desired.forEach((item, i) => walk(item, live[i], `${pointer}/${i}`, parent, out, limit));
    return;
  }
  if (desired === null) { if (live !== undefined && live !== null) out.push(pointer); return; }
  if (!scalarEqual(desired, live, parent)) out.push(pointer);
}

/** Git's view of an object as the server would store it (Secret stringData folded into data). */
function comparable(obj: KubeObject): Record<string, unknown> {
  const { status: _status, metadata, ...rest } = obj as KubeObject & { status?: unknown };
  const out: Record<string, unknown> = { ...rest, metadata: { labels: metadata.labels, annotations: metadata.annotations } };
  if (obj.kind === 'Secret' && obj.apiVersion === 'v1' && isObject(obj.stringData)) {
    const data = { ...(isObject(obj.data) ? obj.data : {}) };
    for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
    out.data = data;
    delete out.stringData;
  }
  return out;
}

/** JSON Pointers (at most `limit`) where live differs from Git; [] = in sync. Never includes values (Secrets). */
export function driftPaths(desired: KubeObject, live: KubeObject, limit = 5): string[] {
  const out: string[] = [];
  const liveView = { ...(live as Record<string, unknown>), metadata: { labels: live.metadata?.labels, annotations: live.metadata?.annotations } };
  walk(comparable(desired), liveView, '', undefined, out, limit);
  return out;
}
