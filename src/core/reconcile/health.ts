// Health of live workloads from their status, following Argo CD's built-in health checks
// (gitops-engine pkg/health: health_deployment.go, health_statefulset.go, health_daemonset.go).
import type { HealthStatus, KubeObject } from '../model';

export interface Health { status: HealthStatus; message?: string }

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Kinds whose status we keep in the live cache (everything else drops status to stay lean). */
export const HEALTH_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

export function healthOf(obj: KubeObject | undefined): Health | undefined {
  if (!obj) return { status: 'Missing' };
  // Every other kind has no health of its own: answer before reading anything (most live objects).
  if (!HEALTH_KINDS.has(obj.kind)) return undefined;
  const o = obj as Obj;
  const spec = o.spec ?? {};
  const status = o.status ?? {};
  const generation = o.metadata?.generation ?? 0;
  const observed = status.observedGeneration ?? 0;
  switch (obj.kind) {
    case 'Deployment': {
      if (spec.paused) return { status: 'Suspended', message: 'Deployment is paused' };
      if (generation <= observed) {
        const progressing = (status.conditions ?? []).find((c: Obj) => c.type === 'Progressing');
        if (progressing?.reason === 'ProgressDeadlineExceeded') return { status: 'Degraded', message: `Deployment "${obj.metadata.name}" exceeded its progress deadline` };
        const replicas = spec.replicas ?? 1;
        const updated = status.updatedReplicas ?? 0;
        if (updated < replicas) return { status: 'Progressing', message: `Waiting for rollout to finish: ${updated} out of ${replicas} new replicas have been updated...` };
        if ((status.replicas ?? 0) > updated) return { status: 'Progressing', message: `Waiting for rollout to finish: ${(status.replicas ?? 0) - updated} old replicas are pending termination...` };
        if ((status.availableReplicas ?? 0) < updated) return { status: 'Progressing', message: `Waiting for rollout to finish: ${status.availableReplicas ?? 0} of ${updated} updated replicas are available...` };
        return { status: 'Healthy' };
      }
      return { status: 'Progressing', message: 'Waiting for rollout to finish: observed deployment generation less than desired generation' };
    }
    case 'StatefulSet': {
      if (observed === 0 || generation > observed) return { status: 'Progressing', message: 'Waiting for statefulset spec update to be observed...' };
      const replicas = spec.replicas ?? 1;
      if ((status.readyReplicas ?? 0) < replicas) return { status: 'Progressing', message: `Waiting for ${replicas - (status.readyReplicas ?? 0)} pods to be ready...` };
      if (spec.updateStrategy?.type === 'OnDelete') return { status: 'Healthy', message: 'statefulset has OnDelete update strategy' };
      const partition = spec.updateStrategy?.rollingUpdate?.partition ?? 0;
      if (partition > 0) {
        const expected = replicas - partition;
        if ((status.updatedReplicas ?? 0) < expected) return { status: 'Progressing', message: `Waiting for partitioned roll out to finish: ${status.updatedReplicas ?? 0} out of ${expected} new pods have been updated...` };
        return { status: 'Healthy' };
      }
      if (status.updateRevision && status.currentRevision && status.updateRevision !== status.currentRevision) {
        return { status: 'Progressing', message: `waiting for statefulset rolling update to complete ${status.updatedReplicas ?? 0} pods at revision ${status.updateRevision}...` };
      }
      return { status: 'Healthy' };
    }
    case 'DaemonSet': {
      if (generation > observed) return { status: 'Progressing', message: 'Waiting for rollout to finish: observed daemon set generation less than desired generation' };
      if (spec.updateStrategy?.type === 'OnDelete') return { status: 'Healthy', message: 'daemon set has OnDelete update strategy' };
      const desired = status.desiredNumberScheduled ?? 0;
      if ((status.updatedNumberScheduled ?? 0) < desired) return { status: 'Progressing', message: `Waiting for daemon set "${obj.metadata.name}" rollout to finish: ${status.updatedNumberScheduled ?? 0} out of ${desired} new pods have been updated...` };
      if ((status.numberAvailable ?? 0) < desired) return { status: 'Progressing', message: `Waiting for daemon set "${obj.metadata.name}" rollout to finish: ${status.numberAvailable ?? 0} of ${desired} updated pods are available...` };
      return { status: 'Healthy' };
    }
    default:
      return undefined;
  }
}

const ORDER: HealthStatus[] = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];

/** App health: the worst of its resources' (Argo CD order: Healthy < Suspended < Progressing < Missing < Degraded < Unknown). */
export function worstHealth(values: (HealthStatus | undefined)[]): HealthStatus | undefined {
  let worst: HealthStatus | undefined;
  for (const v of values) {
    if (!v) continue;
    if (!worst || ORDER.indexOf(v) > ORDER.indexOf(worst)) worst = v;
  }
  return worst;
}
