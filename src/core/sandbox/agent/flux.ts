// A minimal Flux subset beside the Argo CD one: GitRepository (source-controller) and Kustomization
// (kustomize-controller). Enough for the extension's Flux paths: `reconcile.fluxcd.io/requestedAt` is
// echoed in status.lastHandledReconcileAt, lastAppliedRevision reads `main@sha1:<sha>`, a Ready
// condition tells success or the failure message, inventory drives prune. HelmRelease is not reconciled.
//
// Like kustomize-controller, a Kustomization re-applies everything (SSA, force, manager
// `kustomize-controller`) on a new revision, a spec change, a reconcile request, and every
// spec.interval — which is how Flux corrects drift.
import fs from 'node:fs';
import path from 'node:path';
import type { KubeObject } from '../../model';
import { groupOf } from '../../model';
import { appFromFluxObject } from '../../manifests/discover';
import { renderApp, type RenderTools } from '../../manifests/render';
import { applyOrder, mergePatchFrom, nowRfc3339 } from './argo';
import { git, RepoCache } from './git';
import { KubeError, type DynamicClient } from './kube';

export const FLUX_MANAGER = 'kustomize-controller';
export const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';
export const KS_API = 'kustomize.toolkit.fluxcd.io/v1';
export const GIT_API = 'source.toolkit.fluxcd.io/v1';

function crd(group: string, kind: string, plural: string, shortNames: string[]): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}`, labels: { 'app.kubernetes.io/part-of': 'flux' } },
    spec: {
      group, scope: 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), shortNames },
      versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
}

export const FLUX_CRDS = [
  crd('source.toolkit.fluxcd.io', 'GitRepository', 'gitrepositories', ['gitrepo']),
  crd('kustomize.toolkit.fluxcd.io', 'Kustomization', 'kustomizations', ['ks']),
];

type Rec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Condition { type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string; lastTransitionTime: string; observedGeneration?: number }

/** "10m", "1m30s", "1h" -> ms (Flux durations); default 10 minutes. */
export function durationMs(text: unknown): number {
  if (typeof text !== 'string') return 600_000;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms']!;
  return total || 600_000;
}

function setCondition(conditions: Condition[] | undefined, next: Omit<Condition, 'lastTransitionTime'>): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const prev = i >= 0 ? list[i] : undefined;
  const lastTransitionTime = prev && prev.status === next.status ? prev.lastTransitionTime : nowRfc3339();
  const cond = { ...next, lastTransitionTime };
  if (i >= 0) list[i] = cond; else list.push(cond);
  return list;
}

/** Inventory id as kustomize-controller writes it: <namespace>_<name>_<group>_<kind>. */
export function inventoryId(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}_${obj.metadata.name}_${groupOf(obj.apiVersion)}_${obj.kind}`;
}

export class FluxController {
  private readonly lastApplied = new Map<string, number>();

  constructor(private readonly opts: { client: DynamicClient; repos: RepoCache; workDir: string; tools: RenderTools; pollSeconds: number; log: (line: string) => void }) {}

  /** Resolve a GitRepository to `<ref>@sha1:<sha>` and write its status. */
  async reconcileGitRepository(namespace: string, name: string): Promise<{ revision: string; sha: string; url: string } | { error: string }> {
    const { client } = this.opts;
    const repo = await client.get({ apiVersion: GIT_API, kind: 'GitRepository', namespace, name });
    if (!repo) return { error: `GitRepository ${namespace}/${name} not found` };
    const spec = (repo.spec ?? {}) as Rec;
    const status = (repo.status ?? {}) as Rec;
    const requested = repo.metadata.annotations?.[REQUESTED_AT];
    const fresh = requested && requested !== status.lastHandledReconcileAt;
    const next: Rec = { ...status, observedGeneration: repo.metadata.generation };
    if (requested) next.lastHandledReconcileAt = requested;
    let result: { revision: string; sha: string; url: string } | { error: string };
    try {
      const url = String(spec.url ?? '');
      const ref = (spec.ref ?? {}) as Rec;
      const maxAge = fresh ? 0 : (this.opts.pollSeconds * 1000) / 2;
      let label: string;
      let sha: string;
      if (ref.commit) { sha = await this.opts.repos.resolve(url, ref.commit, maxAge); label = ''; }
      else if (ref.tag) { sha = await this.opts.repos.resolve(url, `refs/tags/${ref.tag}`, maxAge); label = ref.tag; }
      else if (ref.name) { sha = await this.opts.repos.resolve(url, ref.name, maxAge); label = ref.name; }
      else {
        const branch = ref.branch ?? (await this.defaultBranch(url, maxAge));
        sha = await this.opts.repos.resolve(url, `refs/heads/${branch}`, maxAge);
        label = branch;
      }
      const revision = `${label ? `${label}@` : ''}sha1:${sha}`;
      if (status.artifact?.revision !== revision) {
        next.artifact = { path: `gitrepository/${namespace}/${name}/${sha}.tar.gz`, url: `http://source-controller.flux-system.svc/gitrepository/${namespace}/${name}/${sha}.tar.gz`, revision, lastUpdateTime: nowRfc3339() };
      }
      next.conditions = setCondition(setCondition(status.conditions, { type: 'Ready', status: 'True', reason: 'Succeeded', message: `stored artifact for revision '${revision}'`, observedGeneration: repo.metadata.generation }),
        { type: 'ArtifactInStorage', status: 'True', reason: 'Succeeded', message: `stored artifact for revision '${revision}'`, observedGeneration: repo.metadata.generation });
      result = { revision, sha, url };
    } catch (err) {
      const message = (err as Error).message;
      next.conditions = setCondition(status.conditions, { type: 'Ready', status: 'False', reason: 'GitOperationFailed', message, observedGeneration: repo.metadata.generation });
      result = { error: message };
    }
    await this.writeStatus(repo, status, next);
    return result;
  }

  private async defaultBranch(url: string, maxAge: number): Promise<string> {
    const dir = await this.opts.repos.sync(url, maxAge);
    try { return (await git(['symbolic-ref', '--short', 'HEAD'], { cwd: dir })).trim(); } catch { return 'master'; }
  }

  async reconcileKustomization(namespace: string, name: string): Promise<void> {
    const { client, log } = this.opts;
    const ks = await client.get({ apiVersion: KS_API, kind: 'Kustomization', namespace, name });
    if (!ks || ks.metadata.deletionTimestamp) return;
    const spec = (ks.spec ?? {}) as Rec;
    const status = (ks.status ?? {}) as Rec;
    const key = `${namespace}/${name}`;
    const requested = ks.metadata.annotations?.[REQUESTED_AT];
    const gen = ks.metadata.generation;
    if (spec.suspend === true) return;

    const next: Rec = { ...status, observedGeneration: gen };
    if (requested) next.lastHandledReconcileAt = requested;
    const sourceRef = (spec.sourceRef ?? {}) as Rec;
    if (sourceRef.kind !== 'GitRepository') {
      next.conditions = setCondition(status.conditions, { type: 'Ready', status: 'False', reason: 'ArtifactFailed', message: `source kind ${sourceRef.kind ?? '(none)'} is not supported by the sandbox agent`, observedGeneration: gen });
      await this.writeStatus(ks, status, next);
      return;
    }
    const source = await this.reconcileGitRepository(sourceRef.namespace ?? namespace, sourceRef.name);
    if ('error' in source) {
      next.conditions = setCondition(status.conditions, { type: 'Ready', status: 'False', reason: 'ArtifactFailed', message: source.error, observedGeneration: gen });
      await this.writeStatus(ks, status, next);
      return;
    }
    const due = status.lastAttemptedRevision !== source.revision || status.observedGeneration !== gen
      || (!!requested && requested !== status.lastHandledReconcileAt)
      || Date.now() - (this.lastApplied.get(key) ?? 0) >= durationMs(spec.interval);
    if (!due) return;
    this.lastApplied.set(key, Date.now());
    next.lastAttemptedRevision = source.revision;

    // Build at the artifact revision, then apply in kind order, then prune what left the inventory.
    const root = fs.mkdtempSync(path.join(this.opts.workDir, `ks-${name}-`));
    let objects: KubeObject[] = [];
    let failure: { reason: string; message: string } | undefined;
    try {
      await this.opts.repos.export(source.url, source.sha, root);
      const app = appFromFluxObject(ks, root);
      if (!app) failure = { reason: 'BuildFailed', message: `kustomization path not found: ${spec.path ?? './'}` };
      else {
        const out = await renderApp(app, this.opts.tools);
        if (out.error) failure = { reason: 'BuildFailed', message: out.error.split(root + path.sep).join('') };
        objects = out.objects.map((d) => {
          const o = structuredClone(d.object);
          delete o.status;
          o.metadata.labels = { ...(o.metadata.labels ?? {}), 'kustomize.toolkit.fluxcd.io/name': name, 'kustomize.toolkit.fluxcd.io/namespace': namespace };
          return o;
        });
      }
    } catch (err) {
      failure = { reason: 'ArtifactFailed', message: (err as Error).message };
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }

    if (!failure) {
      const errors: string[] = [];
      const target = spec.targetNamespace as string | undefined;
      if (target && !(await client.get({ apiVersion: 'v1', kind: 'Namespace', name: target }))) {
        await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: target } }, { fieldManager: FLUX_MANAGER, force: true }).catch((e: Error) => errors.push(e.message));
      }
      for (const obj of objects.sort(applyOrder)) {
        try { await client.apply(obj, { fieldManager: FLUX_MANAGER, force: true }); } catch (err) { errors.push(`${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}: ${(err as Error).message}`); }
      }
      const entries = objects.map((o) => ({ id: inventoryId(o), v: o.apiVersion.split('/').pop()! }));
      if (spec.prune === true && !errors.length) {
        const keep = new Set(entries.map((e) => e.id));
        for (const old of ((status.inventory?.entries ?? []) as { id: string; v: string }[]).filter((e) => !keep.has(e.id))) {
          const [ns, objName, group, kind] = old.id.split('_');
          try {
            await client.delete({ apiVersion: group ? `${group}/${old.v}` : old.v, kind, namespace: ns || undefined, name: objName });
          } catch (err) {
            if (!(err instanceof KubeError && err.code === 404)) errors.push(`prune ${old.id}: ${(err as Error).message}`);
          }
        }
      }
      if (errors.length) failure = { reason: 'ReconciliationFailed', message: errors.join('\n') };
      else {
        next.inventory = { entries };
        next.lastAppliedRevision = source.revision;
      }
    }
    next.conditions = failure
      ? setCondition(status.conditions, { type: 'Ready', status: 'False', reason: failure.reason, message: failure.message, observedGeneration: gen })
      : setCondition(status.conditions, { type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: `Applied revision: ${source.revision}`, observedGeneration: gen });
    next.conditions = (next.conditions as Condition[]).filter((c) => c.type !== 'Reconciling');
    log(`kustomization ${key}: ${failure ? `failed at ${source.revision}: ${failure.message}` : `applied ${objects.length} objects at ${source.revision}`}`);
    await this.writeStatus(ks, status, next);
  }

  private async writeStatus(obj: KubeObject, before: Rec, after: Rec): Promise<void> {
    const patch = mergePatchFrom(before, after);
    if (patch === undefined) return;
    try {
      await this.opts.client.mergePatch({ apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name },
        { status: patch }, { subresource: 'status', fieldManager: FLUX_MANAGER });
    } catch (err) {
      if (!(err instanceof KubeError && err.code === 404)) throw err;
    }
  }
}
