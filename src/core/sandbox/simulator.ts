// A tiny stand-in for the controllers, so health means something: after a change, a workload's status
// converges to its spec (a status-subresource write by kube-controller-manager, as on a real cluster).
// One node, every pod becomes ready at once. Jobs complete, PVCs bind, LoadBalancers and Ingresses get
// an address. By default the status write follows the spec write in the same tick.
import crypto from 'node:crypto';
import type { KubeObject } from '../model';
import { bucketOf, type ResourceType } from './registry';
import type { SandboxServer } from './server';

const SIMULATED = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'PersistentVolumeClaim', 'Service', 'Ingress']);
const MANAGER = 'kube-controller-manager';
const stamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** Pod-template-hash style suffix: stable for a template, changes when it changes. */
function templateHash(template: unknown): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const digest = crypto.createHash('sha256').update(JSON.stringify(template ?? {})).digest();
  return [...digest.subarray(0, 10)].map((b) => alphabet[b % alphabet.length]).join('');
}

type Condition = Record<string, string>;

/** A condition that keeps its timestamps while its status (and message) stay the same. */
function condition(old: Condition[] | undefined, type: string, status: string, reason: string, message: string, withUpdate = true): Condition {
  const prev = old?.find((c) => c.type === type);
  const t = stamp();
  const transition = prev && prev.status === status ? prev.lastTransitionTime : t;
  const same = prev && prev.status === status && prev.reason === reason && prev.message === message;
  return { type, status, ...(withUpdate ? { lastUpdateTime: same && prev.lastUpdateTime ? prev.lastUpdateTime : t } : {}), lastTransitionTime: transition, reason, message };
}

export class Simulator {
  enabled = true;
  delayMs = 0;
  private timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private server: SandboxServer) {}

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
  }

  changed(type: ResourceType, obj: KubeObject): void {
    if (type.custom || !SIMULATED.has(type.kind) || !this.enabled || this.stopped) return;
    const run = () => this.reconcile(type, obj.metadata.namespace, obj.metadata.name);
    if (this.delayMs <= 0) queueMicrotask(run);
    else {
      const timer = setTimeout(() => { this.timers.delete(timer); run(); }, this.delayMs);
      this.timers.add(timer);
    }
  }

  reconcileAll(type: ResourceType): void {
    if (type.custom || !SIMULATED.has(type.kind)) return;
    for (const obj of this.server.objects(type)) this.reconcile(type, obj.metadata.namespace, obj.metadata.name);
  }

  private reconcile(type: ResourceType, namespace: string | undefined, name: string): void {
    if (!this.enabled || this.stopped) return;
    const live = this.server.store.get(bucketOf(type), namespace, name);
    if (!live) return;
    const status = this.desiredStatus(live);
    if (!status) return;
    this.server.controllerStatusWrite(type, live, status, MANAGER);
  }

  private desiredStatus(obj: KubeObject): Record<string, unknown> | undefined {
    const spec = (obj.spec ?? {}) as Record<string, any>;
    const old = (obj.status ?? {}) as Record<string, any>;
    const gen = obj.metadata.generation;
    const name = obj.metadata.name;
    switch (obj.kind) {
      case 'Deployment': {
        const r = spec.replicas ?? 1;
        const counts = r ? { replicas: r, updatedReplicas: r, readyReplicas: r, availableReplicas: r } : {};
        const progressing = spec.paused
          ? condition(old.conditions, 'Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused')
          : condition(old.conditions, 'Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${name}-${templateHash(spec.template)}" has successfully progressed.`);
        return {
          observedGeneration: gen, ...counts,
          conditions: [condition(old.conditions, 'Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'), progressing],
        };
      }
      case 'ReplicaSet': {
        const r = spec.replicas ?? 1;
        return { replicas: r, ...(r ? { fullyLabeledReplicas: r, readyReplicas: r, availableReplicas: r } : {}), observedGeneration: gen };
      }
      case 'StatefulSet': {
        const r = spec.replicas ?? 1;
        const revision = `${name}-${templateHash(spec.template).slice(0, 10)}`;
        return {
          observedGeneration: gen, replicas: r, ...(r ? { readyReplicas: r, currentReplicas: r, updatedReplicas: r, availableReplicas: r } : { availableReplicas: 0 }),
          currentRevision: revision, updateRevision: revision, collisionCount: 0,
        };
      }
      case 'DaemonSet':
        return { currentNumberScheduled: 1, desiredNumberScheduled: 1, numberAvailable: 1, numberMisscheduled: 0, numberReady: 1, observedGeneration: gen, updatedNumberScheduled: 1 };
      case 'Job': {
        if (spec.suspend) return undefined;
        const start = old.startTime ?? stamp();
        const done = old.completionTime ?? stamp();
        return {
          conditions: [
            condition(old.conditions, 'SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', false),
            condition(old.conditions, 'Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', false),
          ].map((c) => ({ ...c, lastProbeTime: old.conditions?.find((o: Condition) => o.type === c.type)?.lastProbeTime ?? c.lastTransitionTime })),
          startTime: start, completionTime: done, succeeded: spec.completions ?? 1, ready: 0, terminating: 0, uncountedTerminatedPods: {},
        };
      }
      case 'PersistentVolumeClaim':
        return { phase: 'Bound', accessModes: spec.accessModes ?? ['ReadWriteOnce'], capacity: { storage: spec.resources?.requests?.storage ?? '1Gi' } };
      case 'Service':
        if (spec.type !== 'LoadBalancer') return undefined;
        return { loadBalancer: { ingress: [{ ip: '127.0.0.1', ipMode: 'VIP' }] } };
      case 'Ingress':
        return { loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } };
    }
    return undefined;
  }
}
