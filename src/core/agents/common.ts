// Shared pieces of the agent clients: object access through client-node (loaded lazily by callers),
// revision matching, the wait loop's steps.
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject, ObjectRef } from '../model';

export const WAIT_STEPS = ['pushed', 'agent saw commit', 'applying', 'healthy'] as const;
export type WaitStep = (typeof WAIT_STEPS)[number];

export class AgentError extends Error {}
/** The agent reported failure for the revision: its message is in the error. */
export class AgentFailedError extends AgentError {}
export class WaitTimeoutError extends AgentError {}
export class WaitCancelledError extends AgentError {}

export interface AgentApp {
  agent?: 'argocd' | 'flux';
  agentObject?: ObjectRef;
  name?: string;
  syncPolicy?: { automated?: boolean; prune?: boolean; selfHeal?: boolean };
}

/** `main@sha1:abc…` / `sha1:abc…` / `abc…` -> `abc…`. */
export function bareRevision(rev: string | undefined): string {
  if (!rev) return '';
  const at = rev.lastIndexOf(':');
  return (at >= 0 ? rev.slice(at + 1) : rev.slice(rev.lastIndexOf('@') + 1)).trim();
}

/** Same commit, allowing either side to be abbreviated (at least 7 hex digits). */
export function sameRevision(reported: string | undefined, wanted: string): boolean {
  const a = bareRevision(reported).toLowerCase();
  const b = bareRevision(wanted).toLowerCase();
  if (!a || !b) return false;
  if (a === b) return true;
  const short = a.length < b.length ? a : b;
  const long = a.length < b.length ? b : a;
  return short.length >= 7 && /^[0-9a-f]+$/.test(short) && long.startsWith(short);
}

export async function objectApi(kc: KubeConfig) {
  const k8s = await import('@kubernetes/client-node');
  return { api: k8s.KubernetesObjectApi.makeApiClient(kc), k8s };
}

export function httpStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown; statusCode?: unknown })?.code ?? (err as { statusCode?: unknown })?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** An ApiException as one readable line. */
export function apiMessage(err: unknown): string {
  const body = (err as { body?: unknown })?.body;
  let parsed: unknown = body;
  if (typeof body === 'string') { try { parsed = JSON.parse(body); } catch { /* keep text */ } }
  const message = (parsed as { message?: string })?.message ?? (typeof body === 'string' ? body : undefined) ?? (err as Error)?.message ?? String(err);
  const code = httpStatus(err);
  return code ? `${message} (HTTP ${code})` : message;
}

export async function readObject(kc: KubeConfig, ref: ObjectRef): Promise<KubeObject> {
  const { api } = await objectApi(kc);
  try {
    return (await api.read({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } })) as unknown as KubeObject;
  } catch (err) {
    if (httpStatus(err) === 404) throw new AgentError(`${ref.kind} ${ref.namespace ? ref.namespace + '/' : ''}${ref.name} not found in the cluster (${apiMessage(err)})`);
    throw new AgentError(`reading ${ref.kind} ${ref.namespace ? ref.namespace + '/' : ''}${ref.name}: ${apiMessage(err)}`);
  }
}

/** JSON merge patch (custom resources refuse strategic merge patch with 415). */
export async function mergePatch(kc: KubeConfig, ref: ObjectRef, patch: Record<string, unknown>): Promise<KubeObject> {
  const { api, k8s } = await objectApi(kc);
  const body = { apiVersion: ref.apiVersion, kind: ref.kind, ...patch, metadata: { name: ref.name, namespace: ref.namespace, ...((patch.metadata as object) ?? {}) } };
  try {
    return (await api.patch(body, undefined, undefined, 'gitops-workbench', undefined, k8s.PatchStrategy.MergePatch)) as unknown as KubeObject;
  } catch (err) {
    throw new AgentError(`patching ${ref.kind} ${ref.namespace ? ref.namespace + '/' : ''}${ref.name}: ${apiMessage(err)}`);
  }
}

/** RFC 3339 with nanoseconds, as Flux's CLI writes `reconcile.fluxcd.io/requestedAt`. */
export function rfc3339Nano(now = new Date()): string {
  const iso = now.toISOString(); // 2026-01-02T03:04:05.678Z
  const subMs = String(process.hrtime.bigint() % 1_000_000n).padStart(6, '0');
  return `${iso.slice(0, 23)}${subMs}Z`;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

/** Emits each step once and in order (a skipped step is emitted before the later one). */
export function stepper(onStep: ((step: string) => void) | undefined, already: WaitStep[] = []): (step: WaitStep) => void {
  let reached = -1;
  for (const s of already) reached = Math.max(reached, WAIT_STEPS.indexOf(s));
  return (step) => {
    const i = WAIT_STEPS.indexOf(step);
    while (reached < i) { reached++; onStep?.(WAIT_STEPS[reached]); }
  };
}
