// Resource health the way Argo CD's gitops-engine assesses it (pkg/health), for the kinds the sandbox
// serves. Kinds without a health check (ConfigMap, Secret, RBAC…) have no health, as in Argo CD.
import type { HealthStatus, KubeObject } from '../../model';

export interface Health { status: HealthStatus; message?: string }

type Rec = Record<string, unknown>;
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const rec = (v: unknown): Rec => (v && typeof v === 'object' ? (v as Rec) : {});

function conditions(obj: KubeObject): Rec[] {
  const c = rec(obj.status).conditions;
  return Array.isArray(c) ? (c as Rec[]) : [];
}

function generationObserved(obj: KubeObject): boolean {
  const observed = rec(obj.status).observedGeneration;
  return obj.metadata.generation === undefined || (typeof observed === 'number' && observed >= obj.metadata.generation);
}

function deploymentHealth(obj: KubeObject): Health {
  const spec = rec(obj.spec);
  const status = rec(obj.status);
  if (spec.paused === true) return { status: 'Suspended', message: 'Deployment is paused' };
  if (!generationObserved(obj)) return { status: 'Progressing', message: 'Waiting for rollout to finish: observed deployment generation less than desired generation' };
  const stalled = conditions(obj).find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
  if (stalled) return { status: 'Degraded', message: `Deployment "${obj.metadata.name}" exceeded its progress deadline` };
  const want = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const updated = num(status.updatedReplicas);
  const total = num(status.replicas);
  const available = num(status.availableReplicas);
  if (updated < want) return { status: 'Progressing', message: `Waiting for rollout to finish: ${updated} out of ${want} new replicas have been updated...` };
  if (total > updated) return { status: 'Progressing', message: `Waiting for rollout to finish: ${total - updated} old replicas are pending termination...` };
  if (available < updated) return { status: 'Progressing', message: `Waiting for rollout to finish: ${available} of ${updated} updated replicas are available...` };
  return { status: 'Healthy' };
}

function statefulSetHealth(obj: KubeObject): Health {
  const spec = rec(obj.spec);
  const status = rec(obj.status);
  if (!generationObserved(obj)) return { status: 'Progressing', message: 'Waiting for statefulset spec update to be observed...' };
  const want = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const ready = num(status.readyReplicas);
  if (ready < want) return { status: 'Progressing', message: `Waiting for ${want} pods to be ready...` };
  return { status: 'Healthy' };
}

function daemonSetHealth(obj: KubeObject): Health {
  const status = rec(obj.status);
  if (!generationObserved(obj)) return { status: 'Progressing', message: 'Waiting for rollout to finish: observed daemon set generation less than desired generation' };
  const desired = num(status.desiredNumberScheduled);
  if (num(status.updatedNumberScheduled) < desired || num(status.numberAvailable) < desired) {
    return { status: 'Progressing', message: `Waiting for daemon set "${obj.metadata.name}" rollout to finish` };
  }
  return { status: 'Healthy' };
}

function jobHealth(obj: KubeObject): Health {
  for (const c of conditions(obj)) {
    if (c.status !== 'True') continue;
    if (c.type === 'Failed') return { status: 'Degraded', message: String(c.message ?? 'Job failed') };
    if (c.type === 'Complete') return { status: 'Healthy', message: String(c.message ?? '') || undefined };
  }
  if (rec(obj.spec).suspend === true) return { status: 'Suspended', message: 'Job is suspended' };
  return { status: 'Progressing' };
}

/** Health of one live object, or undefined when Argo CD has no health check for its kind. */
export function resourceHealth(obj: KubeObject): Health | undefined {
  const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '';
  switch (`${group}/${obj.kind}`) {
    case 'apps/Deployment': return deploymentHealth(obj);
    case 'apps/StatefulSet': return statefulSetHealth(obj);
    case 'apps/DaemonSet': return daemonSetHealth(obj);
    case 'apps/ReplicaSet': return deploymentHealth(obj);
    case 'batch/Job': return jobHealth(obj);
    case 'batch/CronJob': return rec(obj.spec).suspend === true ? { status: 'Suspended' } : { status: 'Healthy' };
    case '/Service': {
      const spec = rec(obj.spec);
      if (spec.type === 'LoadBalancer' && !Array.isArray(rec(rec(obj.status).loadBalancer).ingress)) return { status: 'Progressing' };
      return { status: 'Healthy' };
    }
    case '/PersistentVolumeClaim': {
      const phase = rec(obj.status).phase;
      if (phase === 'Lost') return { status: 'Degraded' };
      if (phase === 'Pending') return { status: 'Progressing' };
      return { status: 'Healthy' };
    }
    case 'networking.k8s.io/Ingress': return { status: 'Healthy' };
    case 'argoproj.io/Application': {
      const h = rec(rec(obj.status).health);
      return typeof h.status === 'string' ? { status: h.status as HealthStatus, message: h.message as string | undefined } : undefined;
    }
    default: return undefined;
  }
}

// gitops-engine's order: a worse status wins when aggregating an app.
const ORDER: HealthStatus[] = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];

export function worseHealth(a: HealthStatus, b: HealthStatus): HealthStatus {
  return ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a;
}
