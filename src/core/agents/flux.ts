// Flux through the Kubernetes API: `reconcile.fluxcd.io/requestedAt` on the Kustomization or
// HelmRelease and on its source; status from lastAppliedRevision and the Ready condition.
import type { KubeConfig } from '@kubernetes/client-node';
import type { AgentStatus, KubeObject, ObjectRef } from '../model';
import { mergePatch, readObject, rfc3339Nano, sameRevision, AgentError } from './common';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function condition(obj: KubeObject, type: string): Obj | undefined {
  const conditions = ((obj.status as Obj)?.conditions ?? []) as Obj[];
  return conditions.find((c) => c.type === type);
}

export function readFluxStatus(obj: KubeObject): AgentStatus {
  const status = (obj.status ?? {}) as Obj;
  const ready = condition(obj, 'Ready');
  const reconciling = condition(obj, 'Reconciling');
  const stalled = condition(obj, 'Stalled');
  const isReady = ready?.status === 'True';
  const health = stalled?.status === 'True' ? 'Degraded'
    : reconciling?.status === 'True' ? 'Progressing'
      : isReady ? 'Healthy' : ready?.status === 'False' ? 'Degraded' : 'Unknown';
  return {
    kind: 'flux',
    sync: isReady ? 'Synced' : ready?.status === 'False' ? 'OutOfSync' : 'Unknown',
    health,
    revision: status.lastAppliedRevision,
    message: ready?.message ?? stalled?.message,
    operationPhase: reconciling?.status === 'True' ? 'Running' : ready?.status === 'False' ? 'Failed' : isReady ? 'Succeeded' : undefined,
  };
}

/** The source object a Kustomization / HelmRelease pulls from. */
export function fluxSourceRef(obj: KubeObject): ObjectRef | undefined {
  const spec = (obj.spec ?? {}) as Obj;
  const ref = (spec.sourceRef ?? spec.chart?.spec?.sourceRef ?? spec.chartRef) as Obj | undefined;
  if (!ref?.kind || !ref?.name) return undefined;
  const apiVersion = ref.apiVersion ?? 'source.toolkit.fluxcd.io/v1';
  return { apiVersion, kind: ref.kind, name: ref.name, namespace: ref.namespace ?? obj.metadata.namespace };
}

export async function requestFluxReconcile(kc: KubeConfig, ref: ObjectRef): Promise<void> {
  const live = await readObject(kc, ref);
  const at = rfc3339Nano();
  const annotate = { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': at } } };
  const source = fluxSourceRef(live);
  // The source first, so the new commit is fetched before the Kustomization / HelmRelease reconciles.
  if (source) {
    try { await mergePatch(kc, source, annotate); } catch (err) { throw new AgentError(`${(err as Error).message} (the source of ${ref.kind} ${ref.name})`); }
  }
  await mergePatch(kc, ref, annotate);
}

export type FluxProgress = { seen: boolean; applying: boolean; done: boolean; failure?: string };

export function fluxProgress(obj: KubeObject, revision: string, requireHandledSince?: Date): FluxProgress {
  const status = (obj.status ?? {}) as Obj;
  const ready = condition(obj, 'Ready');
  const stalled = condition(obj, 'Stalled');
  const reconciling = condition(obj, 'Reconciling');
  const attempted = sameRevision(status.lastAttemptedRevision, revision);
  const applied = sameRevision(status.lastAppliedRevision, revision);
  const seen = attempted || applied;
  const current = (status.observedGeneration ?? 0) >= (obj.metadata.generation ?? 0);
  if (stalled?.status === 'True') return { seen, applying: seen, done: false, failure: `Stalled: ${stalled.message ?? stalled.reason ?? ''}` };
  if (attempted && !applied && ready?.status === 'False' && reconciling?.status !== 'True' && !/Progressing|DependencyNotReady/.test(ready.reason ?? '')) {
    return { seen, applying: true, done: false, failure: `${ready.reason ?? 'Failed'}: ${ready.message ?? ''}` };
  }
  const handled = !requireHandledSince || (!!status.lastHandledReconcileAt && Date.parse(status.lastHandledReconcileAt) >= requireHandledSince.getTime() - 1000);
  const done = applied && ready?.status === 'True' && current && handled;
  return { seen, applying: seen, done };
}
