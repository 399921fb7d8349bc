// Argo CD through the Kubernetes API only (no Argo CD server, no argocd CLI): refresh annotation,
// a sync `operation`, and reading status.sync / health / operationState (gitops-facts.md).
import type { KubeConfig } from '@kubernetes/client-node';
import type { AgentStatus, KubeObject, ObjectRef } from '../model';
import { AgentError, AgentFailedError, mergePatch, readObject, sameRevision, type AgentApp } from './common';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function readArgoStatus(obj: KubeObject): AgentStatus {
  const status = (obj.status ?? {}) as Obj;
  const op = status.operationState as Obj | undefined;
  return {
    kind: 'argocd',
    sync: status.sync?.status,
    health: status.health?.status,
    revision: status.sync?.revision,
    operationPhase: op?.phase,
    message: op && (op.phase === 'Failed' || op.phase === 'Error' || op.phase === 'Running') ? op.message : status.health?.message ?? op?.message,
  };
}

export async function requestArgoSync(kc: KubeConfig, ref: ObjectRef, app: AgentApp, opts: { revision?: string; prune?: boolean }): Promise<void> {
  const live = await readObject(kc, ref);
  const automated = ((live.spec as Obj)?.syncPolicy?.automated ?? undefined) as Obj | undefined;
  const prune = opts.prune ?? app.syncPolicy?.prune ?? (automated?.prune === true);
  const running = ((live.status as Obj)?.operationState as Obj | undefined)?.phase === 'Running';
  const patch: Record<string, unknown> = { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } };
  if (!running) {
    // null removes a revision left by an earlier request not yet picked up (merge patch semantics):
    // no revision means the app's targetRevision.
    const sync: Obj = { revision: opts.revision ?? null, prune, syncOptions: [] };
    patch.operation = { initiatedBy: { username: 'gitops-workbench' }, sync };
  }
  await mergePatch(kc, ref, patch);
}

export type ArgoProgress = { seen: boolean; applying: boolean; done: boolean; failure?: string };

/** Where an Application stands with respect to `revision`. `since`: when we asked (to ignore older failures). */
export function argoProgress(obj: KubeObject, revision: string, since?: Date, requireOperationSince?: Date): ArgoProgress {
  const status = (obj.status ?? {}) as Obj;
  const op = status.operationState as Obj | undefined;
  const opRevision = op?.syncResult?.revision ?? op?.operation?.sync?.revision;
  const opIsOurs = !!op && (sameRevision(opRevision, revision) || (!!since && !!op.startedAt && Date.parse(op.startedAt) >= since.getTime() - 1000));
  const pendingOperation = obj.operation !== undefined && obj.operation !== null;
  const seen = sameRevision(status.sync?.revision, revision) || (opIsOurs && sameRevision(opRevision, revision));
  if (opIsOurs && (op!.phase === 'Failed' || op!.phase === 'Error')) {
    return { seen, applying: true, done: false, failure: `sync ${op!.phase}: ${op!.message ?? 'no message'}` };
  }
  const running = op?.phase === 'Running' || op?.phase === 'Terminating' || pendingOperation;
  const health = status.health?.status;
  const synced = sameRevision(status.sync?.revision, revision) && status.sync?.status === 'Synced';
  if (seen && synced && !running && health === 'Degraded') {
    return { seen, applying: true, done: false, failure: `health Degraded: ${status.health?.message ?? 'no message'}` };
  }
  // After a sync request on an app already at the revision (drift repair), only an operation that
  // started after the request proves the agent acted.
  const acted = !requireOperationSince || (!!op?.startedAt && Date.parse(op.startedAt) >= Math.floor(requireOperationSince.getTime() / 1000) * 1000 && op.phase === 'Succeeded');
  const done = synced && !running && health === 'Healthy' && (!op || op.phase === 'Succeeded' || !opIsOurs) && acted;
  return { seen, applying: seen && (running || health === 'Progressing' || status.sync?.status !== 'Synced' || done), done };
}

export function assertArgo(ref: ObjectRef | undefined): ObjectRef {
  if (!ref || !ref.apiVersion.startsWith('argoproj.io/') || ref.kind !== 'Application') throw new AgentError('not an Argo CD Application');
  return ref;
}

export { AgentFailedError };
