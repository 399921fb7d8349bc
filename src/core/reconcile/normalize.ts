// Normalization before comparing desired (Git) and live objects, as Argo CD does: server
// bookkeeping and status never count, and a Secret's stringData is compared as base64 data.
import type { KubeObject } from '../model';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

const BOOKKEEPING = ['managedFields', 'resourceVersion', 'uid', 'generation', 'creationTimestamp', 'selfLink'] as const;

/** Deep clone of plain JSON data. */
export function cloneJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** Fold Secret `stringData` into base64 `data` (stringData wins per key, as the API server does). Mutates. */
export function foldStringData(obj: KubeObject): void {
  if (obj.kind !== 'Secret' || !obj.stringData || typeof obj.stringData !== 'object') {
    if (obj.kind === 'Secret' && 'stringData' in obj) delete obj.stringData;
    return;
  }
  const data: Record<string, unknown> = { ...((obj.data as Record<string, unknown> | undefined) ?? {}) };
  for (const [key, value] of Object.entries(obj.stringData as Record<string, unknown>)) {
    data[key] = Buffer.from(value == null ? '' : String(value), 'utf8').toString('base64');
  }
  obj.data = data;
  delete obj.stringData;
}

/** A copy of `obj` as compared: no status, no server bookkeeping, no last-applied annotation,
 *  Secret stringData folded into data. Works for desired and live alike. */
export function normalizeObject(obj: KubeObject): KubeObject {
  const out = cloneJson(obj);
  delete out.status;
  if (out.metadata) {
    for (const key of BOOKKEEPING) delete out.metadata[key];
    const annotations = out.metadata.annotations;
    if (annotations && LAST_APPLIED in annotations) {
      delete annotations[LAST_APPLIED];
      if (Object.keys(annotations).length === 0) delete out.metadata.annotations;
    }
  }
  foldStringData(out);
  return out;
}

/** Make a live object lean for the cache: the last-applied annotation's body (a full copy of the
 *  object) is dropped, status only kept where health needs it. managedFields stay: attribution needs them. */
export function slimLive(obj: KubeObject, keepStatus: boolean): KubeObject {
  const annotations = obj.metadata?.annotations;
  if (annotations && LAST_APPLIED in annotations) {
    const { [LAST_APPLIED]: _dropped, ...rest } = annotations;
    obj.metadata.annotations = rest;
  }
  if (!keepStatus && 'status' in obj) delete obj.status;
  return obj;
}
