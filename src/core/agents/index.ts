// Asking the GitOps agent to act, and following it until a commit is live. Argo CD and Flux are
// spoken through the Kubernetes API only; the editor never applies manifests itself.
// Imports client-node lazily: load this module on first use.
import type { KubeConfig } from '@kubernetes/client-node';
import type { AgentStatus, KubeObject, ObjectRef } from '../model';
import { readArgoStatus, requestArgoSync, argoProgress } from './argocd';
import { readFluxStatus, requestFluxReconcile, fluxProgress } from './flux';
import {
  AgentError, AgentFailedError, WaitCancelledError, WaitTimeoutError, objectApi, httpStatus, apiMessage, readObject, sleep, stepper,
  type AgentApp, type WaitStep,
} from './common';

export { AgentError, AgentFailedError, WaitCancelledError, WaitTimeoutError, WAIT_STEPS, sameRevision, bareRevision } from './common';
export type { AgentApp, WaitStep } from './common';
export { argoProgress } from './argocd';
export { fluxProgress, fluxSourceRef } from './flux';

function agentOf(app: AgentApp): { agent: 'argocd' | 'flux'; ref: ObjectRef } {
  const ref = app.agentObject;
  if (!ref) throw new AgentError(`app ${app.name ?? ''} has no agent object (no Argo CD Application or Flux Kustomization/HelmRelease defines it)`.replace('  ', ' '));
  const agent = app.agent ?? (ref.apiVersion.startsWith('argoproj.io/') ? 'argocd' : 'flux');
  return { agent, ref };
}

/** What the agent itself reports for an app object (Argo CD Application / Flux Kustomization or HelmRelease). */
export function readAgentStatus(obj: KubeObject): AgentStatus {
  return obj.apiVersion.startsWith('argoproj.io/') ? readArgoStatus(obj) : readFluxStatus(obj);
}

/**
 * Ask the agent to sync. Argo CD: refresh annotation plus an `operation.sync` (revision, prune per
 * the app's policy unless given). Flux: `reconcile.fluxcd.io/requestedAt` on the object and its source.
 */
export async function requestSync(kc: KubeConfig, app: AgentApp, opts: { revision?: string; prune?: boolean } = {}): Promise<void> {
  const { agent, ref } = agentOf(app);
  if (agent === 'argocd') await requestArgoSync(kc, ref, app, opts);
  else await requestFluxReconcile(kc, ref);
}

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called with 'agent saw commit', 'applying', 'healthy' (each once, in order; the caller says 'pushed'). */
  onStep?: (step: string) => void;
  /** Poll interval (default 500 ms). */
  intervalMs?: number;
  /** Steps already reported by the caller (e.g. ['pushed']). */
  already?: WaitStep[];
  /** Only a sync the agent started at or after this time counts (use after requestSync on an app
   *  that may already report the revision, e.g. to repair drift). */
  actedSince?: Date;
}

/**
 * Follow the app until the agent reports `revision` synced and healthy. Argo CD: status.sync.revision
 * is the commit, operationState Succeeded (or none), sync Synced, health Healthy (Progressing keeps
 * waiting). Flux: lastAppliedRevision is the commit and Ready is True. Throws AgentFailedError with
 * the agent's message on Failed / Error / Degraded / Stalled, WaitTimeoutError, WaitCancelledError.
 */
export async function waitForRevision(kc: KubeConfig, app: AgentApp, revision: string, opts: WaitOptions): Promise<AgentStatus> {
  const { agent, ref } = agentOf(app);
  const started = new Date();
  const deadline = Date.now() + opts.timeoutMs;
  const step = stepper(opts.onStep, opts.already);
  let last: AgentStatus | undefined;
  let transientErrors = 0;
  for (;;) {
    if (opts.signal?.aborted) throw new WaitCancelledError(`stopped waiting for ${ref.name} (cancelled); the agent carries on by itself`);
    let obj: KubeObject | undefined;
    try {
      obj = await readObject(kc, ref);
      transientErrors = 0;
    } catch (err) {
      // A 404 or a refused connection a few times in a row is an answer; once is a blip.
      if (++transientErrors >= 6) throw err;
    }
    if (obj) {
      last = readAgentStatus(obj);
      const p = agent === 'argocd' ? argoProgress(obj, revision, started, opts.actedSince) : fluxProgress(obj, revision, opts.actedSince);
      if (p.seen) step('agent saw commit');
      if (p.failure) throw new AgentFailedError(`${ref.kind} ${ref.name}: ${p.failure}`);
      if (p.applying) step('applying');
      if (p.done) { step('healthy'); return last; }
    }
    if (Date.now() >= deadline) {
      const where = last ? `sync ${last.sync ?? '?'}, health ${last.health ?? '?'}, revision ${last.revision?.slice(0, 12) ?? '?'}${last.message ? `: ${last.message}` : ''}` : 'no status';
      throw new WaitTimeoutError(`${ref.kind} ${ref.name} did not report ${revision.slice(0, 7)} synced and healthy within ${Math.round(opts.timeoutMs / 1000)} s (${where})`);
    }
    await sleep(Math.min(opts.intervalMs ?? 500, Math.max(0, deadline - Date.now())), opts.signal);
  }
}

/** Find the agent object for an app name in the cluster: an Argo CD Application, else a Flux
 *  Kustomization, else a HelmRelease (any namespace). */
export async function findAgentApp(kc: KubeConfig, name: string, namespace?: string): Promise<AgentApp & { object: KubeObject }> {
  const { api } = await objectApi(kc);
  const kinds: [string, string, 'argocd' | 'flux'][] = [
    ['argoproj.io/v1alpha1', 'Application', 'argocd'],
    ['kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'flux'],
    ['helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'flux'],
  ];
  const problems: string[] = [];
  for (const [apiVersion, kind, agent] of kinds) {
    try {
      const list = await api.list(apiVersion, kind, namespace);
      const hits = (list.items as unknown as KubeObject[]).filter((o) => o.metadata?.name === name);
      if (hits.length > 1) throw new AgentError(`${hits.length} ${kind}s are named ${name} (${hits.map((h) => h.metadata.namespace).join(', ')}): pass the namespace`);
      if (hits.length === 1) {
        const o = hits[0];
        return { name, agent, agentObject: { apiVersion, kind, namespace: o.metadata.namespace, name }, object: o };
      }
    } catch (err) {
      if (err instanceof AgentError) throw err;
      if (httpStatus(err) !== 404) problems.push(`${kind}: ${apiMessage(err)}`);
    }
  }
  throw new AgentError(`no Argo CD Application or Flux Kustomization/HelmRelease named ${name} in the cluster${problems.length ? ` (${problems.join('; ')})` : ''}`);
}

/** The live app object's status (for the CLI and the tree). */
export async function agentStatusOf(kc: KubeConfig, app: AgentApp): Promise<AgentStatus> {
  const { ref } = agentOf(app);
  return readAgentStatus(await readObject(kc, ref));
}

/** status.history of an Argo CD Application, newest first. */
export async function argoHistory(kc: KubeConfig, app: AgentApp): Promise<{ id: number; revision: string; deployedAt?: string }[]> {
  const { ref } = agentOf(app);
  const obj = await readObject(kc, ref);
  const history = (((obj.status as Record<string, unknown>)?.history ?? []) as { id: number; revision: string; deployedAt?: string }[]);
  return [...history].reverse();
}
