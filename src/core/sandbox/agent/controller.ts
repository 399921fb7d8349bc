// One reconcile of one Application, like Argo CD's application-controller: resolve the revision,
// render (cached per revision), compare with live, sync when asked or when automated policy says so,
// prune, and write status (sync, health, resources, operationState, history, conditions).
//
// Choices (documented for the other modules and the tests):
// - Rollback: an operation.sync to an older revision runs and lands in operationState/history. On an
//   automated app the next poll compares against targetRevision again and auto-syncs back (Argo CD does
//   the same, which is why it refuses rollback while automated sync is on); test rollback on a manual app.
// - Destination namespace: created when missing even without CreateNamespace=true (Argo CD would fail
//   the sync with "namespaces not found"); lenient so hand-written test Applications just work.
// - Drift: a subset comparison (./compare.ts) of the fields Git sets; selfHeal re-applies the whole app.
// - Automated sync runs once per new revision (a failed one is not retried until the revision changes,
//   a refresh, or — with selfHeal — the next poll), mirroring Argo CD's "already attempted" guard.
import fs from 'node:fs';
import path from 'node:path';
import { groupOf, refKey, type KubeObject } from '../../model';
import { appFromArgoApplication } from '../../manifests/discover';
import { renderApp, type RenderTools } from '../../manifests/render';
import {
  applyOrder, hasSyncOption, HISTORY_LIMIT, isAutomated, mergePatchFrom, nowRfc3339, primarySource, REFRESH_ANNOTATION,
  TRACKING_ANNOTATION, trackingId,
  type Application, type ApplicationSource, type ApplicationStatus, type HistoryEntry, type OperationState,
  type ResourceStatusEntry, type SyncOperation, type SyncResultResource,
} from './argo';
import { driftPaths } from './compare';
import { GitError, RepoCache } from './git';
import { resourceHealth, worseHealth } from './health';
import { FIELD_MANAGER, KubeError, type DynamicClient } from './kube';
import type { HealthStatus } from '../../model';

interface Rendered {
  key: string; objects: KubeObject[]; error?: string; sourceType?: string;
  /** For reuse across commits: the commit, the source settings, and the files the render read (repo-relative). */
  sha?: string; sourceKey?: string; inputs?: string[];
}

export interface ControllerOptions {
  client: DynamicClient;
  repos: RepoCache;
  workDir: string;
  tools: RenderTools;
  pollSeconds: number;
  log: (line: string) => void;
}

/** Re-write reconciledAt at least this often even when nothing else changed. */
const RECONCILED_AT_EVERY_MS = 60_000;

const short = (sha: string) => sha.slice(0, 7);

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class AppController {
  private readonly renders = new Map<string, Rendered>();
  /** uid -> last revision an automated sync was attempted at (Argo CD's "already attempted" guard). */
  private readonly attempted = new Map<string, string>();
  /** uid -> apiVersion|kind pairs ever applied (so prune finds them after they leave Git). */
  private readonly kinds = new Map<string, Set<string>>();
  private readonly lastStatusWrite = new Map<string, number>();
  private readonly healBackoff = new Map<string, { count: number; nextAt: number }>();
  /** Apps whose last automated operation was interrupted: the next automated sync may retry its revision. */
  private readonly attemptedInterrupted = new Set<string>();

  constructor(private readonly opts: ControllerOptions) {}

  forget(app: Application): void {
    const uid = app.metadata.uid ?? app.metadata.name;
    this.renders.delete(uid); this.attempted.delete(uid); this.kinds.delete(uid); this.lastStatusWrite.delete(uid); this.healBackoff.delete(uid);
  }

  /** After an Application is deleted: with Argo CD's resources finalizer, delete what it tracked (cascade).
   *  The sandbox server removes objects at once (no finalizer phase), so this runs on the DELETED event. */
  async cascadeDelete(app: Application): Promise<void> {
    const finalizers = (app.metadata.finalizers ?? []) as string[];
    if (!finalizers.some((f) => f.startsWith('resources-finalizer.argocd.argoproj.io'))) return;
    const resources = [...(app.status?.resources ?? [])].reverse();
    for (const r of resources) {
      const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
      const live = await this.opts.client.get({ apiVersion, kind: r.kind, namespace: r.namespace, name: r.name });
      if (live && live.metadata.annotations?.[TRACKING_ANNOTATION] === trackingId(app.metadata.name, live)) {
        await this.opts.client.delete({ apiVersion, kind: r.kind, namespace: r.namespace, name: r.name });
      }
    }
    this.opts.log(`app ${app.metadata.name}: deleted with its resources (${resources.length})`);
  }

  /** Reconcile the app named `name` in `namespace`, read fresh from the server. */
  async reconcile(namespace: string, name: string): Promise<void> {
    const { client } = this.opts;
    const app = await client.get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', namespace, name }) as Application | undefined;
    if (!app || app.metadata.deletionTimestamp) return;
    const uid = app.metadata.uid ?? name;
    const oldStatus: ApplicationStatus = app.status ?? {};
    const refresh = app.metadata.annotations?.[REFRESH_ANNOTATION];
    const operation = app.operation?.sync ? app.operation : undefined;
    if (refresh === 'hard') this.renders.delete(uid);

    // Argo CD clears `operation` as it starts it, so a second request can be queued behind it.
    if (operation) await client.mergePatch(ref(app), { operation: null }, { fieldManager: FIELD_MANAGER });

    const source = primarySource(app);
    const now = nowRfc3339();
    const status: ApplicationStatus = { ...oldStatus };
    delete status.conditions;
    // Reconciles run one at a time, so a Running operation seen here was interrupted (agent stopped,
    // API error mid-sync). Close it as Error and let automated sync try that revision again.
    let retryInterrupted = false;
    if (oldStatus.operationState?.phase === 'Running') {
      retryInterrupted = !!oldStatus.operationState.operation?.initiatedBy?.automated;
      status.operationState = { ...oldStatus.operationState, phase: 'Error', message: 'operation was interrupted before it finished; it will be retried or can be requested again', finishedAt: nowRfc3339() };
      this.attempted.delete(uid);
      this.attemptedInterrupted.add(uid);
    }
    const destination = { server: app.spec?.destination?.server, name: app.spec?.destination?.name, namespace: app.spec?.destination?.namespace };

    let targetSha: string | undefined;
    let rendered: Rendered | undefined;
    let failure: string | undefined;
    try {
      if (!source?.repoURL) throw new Error('spec.source.repoURL is required');
      const maxAgeMs = refresh || operation ? 0 : (this.opts.pollSeconds * 1000) / 2;
      targetSha = await this.opts.repos.resolve(source.repoURL, source.targetRevision, maxAgeMs);
      rendered = await this.render(app, source, targetSha);
      if (rendered.error) failure = rendered.error;
    } catch (err) {
      failure = errorMessage(err);
    }

    if (failure !== undefined || !rendered || !targetSha || !source) {
      // Comparison failed: say why, keep the last known resources, never crash the loop.
      status.sync = { status: 'Unknown', revision: targetSha ?? oldStatus.sync?.revision, comparedTo: { source: source ?? {}, destination } };
      status.conditions = [{ type: 'ComparisonError', message: failure ?? 'unknown error', lastTransitionTime: now }];
      const autoAttempt = isAutomated(app) && targetSha && this.lastAttempt(uid, oldStatus) !== targetSha;
      if (operation || autoAttempt) {
        if (targetSha) this.attempted.set(uid, targetSha);
        status.operationState = {
          operation: { sync: operation?.sync ?? { revision: targetSha, prune: !!app.spec.syncPolicy?.automated?.prune }, initiatedBy: operation?.initiatedBy ?? { automated: true } },
          phase: 'Failed', message: `ComparisonError: ${failure}`, startedAt: now, finishedAt: now,
          syncResult: { revision: targetSha ?? operation?.sync?.revision ?? '', source: source ?? {} },
        };
        this.opts.log(`app ${name}: sync failed: ${failure}`);
      }
      const stale = Date.now() - (this.lastStatusWrite.get(uid) ?? 0) > RECONCILED_AT_EVERY_MS;
      await this.writeStatus(app, oldStatus, status, !!(operation || refresh || autoAttempt) || stale);
      if (refresh) await this.clearRefresh(app);
      return;
    }

    let live = await this.liveFor(app, rendered.objects, oldStatus);
    let compared = this.compare(rendered.objects, live);

    // Decide whether to sync.
    let sync: { sha: string; op: SyncOperation; initiatedBy: { username?: string; automated?: boolean }; desired: KubeObject[] } | undefined;
    if (operation?.sync) {
      const op = operation.sync;
      try {
        const sha = op.revision ? await this.opts.repos.resolve(source.repoURL!, op.revision, Number.POSITIVE_INFINITY) : targetSha;
        const r = sha === targetSha ? rendered : await this.render(app, source, sha);
        if (r.error) throw new Error(r.error);
        sync = { sha, op, initiatedBy: operation.initiatedBy ?? { username: 'admin' }, desired: r.objects };
      } catch (err) {
        status.operationState = {
          operation: { sync: op, initiatedBy: operation.initiatedBy ?? {} }, phase: 'Error',
          message: err instanceof GitError ? errorMessage(err) : `ComparisonError: ${errorMessage(err)}`, startedAt: now, finishedAt: now,
          syncResult: { revision: op.revision ?? targetSha, source },
        };
      }
    } else if (isAutomated(app) && (compared.outOfSync || retryInterrupted)) {
      const automated = app.spec.syncPolicy!.automated!;
      const newRevision = this.lastAttempt(uid, oldStatus) !== targetSha;
      const wouldEmpty = rendered.objects.length === 0 && compared.extras.length > 0 && automated.prune && !automated.allowEmpty;
      if (wouldEmpty) {
        status.conditions = [{ type: 'SyncError', message: 'auto-sync will wipe out all resources', lastTransitionTime: now }];
      } else if (newRevision) {
        sync = { sha: targetSha, op: { revision: targetSha, prune: !!automated.prune }, initiatedBy: { automated: true }, desired: rendered.objects };
      } else if (automated.selfHeal && this.selfHealDue(uid, compared, !!automated.prune)) {
        sync = { sha: targetSha, op: { revision: targetSha, prune: !!automated.prune }, initiatedBy: { automated: true }, desired: rendered.objects };
        this.opts.log(`app ${name}: self-healing ${compared.outOfSyncNames.join(', ')}`);
      }
    }

    if (sync) {
      this.attempted.set(uid, sync.sha);
      const startedAt = nowRfc3339();
      const running: OperationState = {
        operation: { sync: sync.op, initiatedBy: sync.initiatedBy, retry: {} },
        phase: 'Running', message: 'one or more tasks are running', startedAt,
        syncResult: { revision: sync.sha, source },
      };
      await this.writeStatus(app, oldStatus, { ...status, operationState: running }, false);
      const t0 = Date.now();
      const result = await this.sync(app, sync.sha === targetSha ? live : await this.liveFor(app, sync.desired, oldStatus), sync.desired, sync.op);
      const finishedAt = nowRfc3339();
      status.operationState = {
        ...running, phase: result.failed ? 'Failed' : 'Succeeded', message: result.message, finishedAt,
        syncResult: { revision: sync.sha, source, resources: result.resources },
      };
      this.opts.log(`app ${name}: sync to ${short(sync.sha)} ${result.failed ? 'failed' : 'succeeded'} in ${Date.now() - t0} ms: ${result.message}`);
      if (!result.failed && !sync.op.dryRun && !sync.op.resources?.length) {
        const history = [...(oldStatus.history ?? [])];
        const entry: HistoryEntry = {
          id: history.reduce((max, h) => Math.max(max, h.id), -1) + 1,
          revision: sync.sha, source, deployStartedAt: startedAt, deployedAt: finishedAt, initiatedBy: sync.initiatedBy,
        };
        history.push(entry);
        status.history = history.slice(-(app.spec.revisionHistoryLimit ?? HISTORY_LIMIT));
      }
      // Compare again after the sync so the status written right now reflects it.
      live = await this.liveFor(app, rendered.objects, oldStatus);
      compared = this.compare(rendered.objects, live);
      // Self-heal backoff (Argo CD's selfHealTimeout, growing): a sync that cannot fix the drift
      // must not re-run every poll.
      if (sync.sha === targetSha && compared.outOfSync && !operation) {
        const n = (this.healBackoff.get(uid)?.count ?? 0) + 1;
        this.healBackoff.set(uid, { count: n, nextAt: Date.now() + Math.min(5_000 * 2 ** (n - 1), 180_000) });
      } else this.healBackoff.delete(uid);
    }

    status.sync = { status: compared.outOfSync ? 'OutOfSync' : 'Synced', revision: targetSha, comparedTo: { source, destination } };
    status.health = compared.health;
    status.resources = compared.resources;
    status.sourceType = rendered.sourceType;
    status.summary = { images: images(rendered.objects) };
    const force = !!(sync || operation || refresh) || Date.now() - (this.lastStatusWrite.get(uid) ?? 0) > RECONCILED_AT_EVERY_MS;
    await this.writeStatus(app, oldStatus, status, force);
    if (refresh) await this.clearRefresh(app);
  }

  /** Self-heal only for drift a sync can fix (not just objects awaiting a prune that is off), with backoff. */
  private selfHealDue(uid: string, compared: { resources: ResourceStatusEntry[] }, prune: boolean): boolean {
    const fixable = compared.resources.some((r) => r.status === 'OutOfSync' && (!r.requiresPruning || prune));
    if (!fixable) return false;
    const backoff = this.healBackoff.get(uid);
    return !backoff || Date.now() >= backoff.nextAt;
  }

  /** Revision of the last automated attempt: memory, else the last operation recorded in status. */
  private lastAttempt(uid: string, status: ApplicationStatus): string | undefined {
    const remembered = this.attempted.get(uid);
    if (remembered) return remembered;
    if (this.attemptedInterrupted.delete(uid)) return undefined;
    const op = status.operationState;
    return op?.operation?.initiatedBy?.automated ? op.syncResult?.revision : status.history?.at(-1)?.revision;
  }

  private async render(app: Application, source: ApplicationSource, sha: string): Promise<Rendered> {
    const uid = app.metadata.uid ?? app.metadata.name;
    const sourceKey = JSON.stringify([source, app.spec.destination?.namespace, app.metadata.name]);
    const key = JSON.stringify([sha, sourceKey]);
    const cached = this.renders.get(uid);
    if (cached?.key === key) return cached;
    // A commit that touches none of the files this app's render read (nor anything under its path)
    // cannot change its output: reuse it. Saves a helm/kustomize run per app per unrelated commit.
    if (cached && cached.sourceKey === sourceKey && cached.sha && !cached.error && cached.inputs?.length) {
      try {
        const changed = await this.opts.repos.changedFiles(source.repoURL!, cached.sha, sha);
        const inputs = new Set(cached.inputs);
        const appDir = path.posix.normalize(source.path ?? '.').replace(/^\.(\/|$)/, '').replace(/\/$/, '');
        const affects = (f: string) => inputs.has(f) || !appDir || f === appDir || f.startsWith(appDir + '/');
        if (!changed.some(affects)) {
          const reused: Rendered = { ...cached, key, sha };
          this.renders.set(uid, reused);
          this.opts.log(`app ${app.metadata.name}: render of ${short(cached.sha)} reused at ${short(sha)} (${changed.length} changed files, none of its inputs)`);
          return reused;
        }
      } catch { /* fall through to a full render */ }
    }
    const root = fs.mkdtempSync(path.join(this.checkoutsDir(), `${app.metadata.name}-${short(sha)}-`));
    const t0 = Date.now();
    let result: Rendered;
    try {
      await this.opts.repos.export(source.repoURL!, sha, root);
      const appPath = path.join(root, source.path ?? '.');
      if (!fs.existsSync(appPath)) {
        result = { key, objects: [], error: `${source.path}: app path does not exist` };
      } else {
        // Hand the renderer a single-source Application (spec.sources[] reduced to the one we render).
        const single = { ...app, spec: { ...app.spec, source, sources: undefined } } as Application;
        const desc = appFromArgoApplication(single, root);
        if (!desc) result = { key, objects: [], error: 'not a renderable Argo CD Application' };
        else {
          const out = await renderApp(desc, this.opts.tools);
          const sourceType = desc.renderer === 'helm' ? 'Helm' : desc.renderer === 'kustomize' ? 'Kustomize' : 'Directory';
          const objects = out.objects.map((d) => this.stamp(app, structuredClone(d.object)));
          const inputs = out.inputs.map((f) => path.relative(root, f)).filter((f) => f && !f.startsWith('..') && !path.isAbsolute(f)).map((f) => f.split(path.sep).join('/'));
          result = { key, objects, error: out.error ? out.error.split(root + path.sep).join('') : undefined, sourceType, sha, sourceKey, inputs };
        }
      }
    } catch (err) {
      result = { key, objects: [], error: errorMessage(err) };
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
    this.opts.log(`app ${app.metadata.name}: rendered ${result.objects.length} objects at ${short(sha)} in ${Date.now() - t0} ms${result.error ? `: ${result.error}` : ''}`);
    this.renders.set(uid, result);
    return result;
  }

  private checkoutsDir(): string {
    const dir = path.join(this.opts.workDir, 'checkouts');
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** Add the tracking annotation Argo CD uses to know which live objects belong to the app. */
  private stamp(app: Application, obj: KubeObject): KubeObject {
    obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [TRACKING_ANNOTATION]: trackingId(app.metadata.name, obj) };
    delete obj.status;
    return obj;
  }

  /** Live objects relevant to the app: every desired one, and every object tracked by the app. */
  private async liveFor(app: Application, desired: KubeObject[], status: ApplicationStatus): Promise<Map<string, KubeObject>> {
    const uid = app.metadata.uid ?? app.metadata.name;
    const kinds = this.kinds.get(uid) ?? new Set<string>();
    this.kinds.set(uid, kinds);
    for (const o of desired) kinds.add(`${o.apiVersion}|${o.kind}`);
    for (const r of status.resources ?? []) kinds.add(`${r.group ? `${r.group}/` : ''}${r.version}|${r.kind}`);
    const wanted = new Set(desired.map((o) => refKey({ apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name })));
    const out = new Map<string, KubeObject>();
    for (const pair of kinds) {
      const [apiVersion, kind] = pair.split('|');
      let items: KubeObject[];
      try {
        items = (await this.opts.client.list(apiVersion, kind)).items;
      } catch (err) {
        if (err instanceof KubeError && err.code === 404) continue; // kind not served (yet)
        throw err;
      }
      for (const item of items) {
        const key = refKey({ apiVersion, kind, namespace: item.metadata.namespace, name: item.metadata.name });
        const tracked = item.metadata.annotations?.[TRACKING_ANNOTATION] === trackingId(app.metadata.name, item);
        if (wanted.has(key) || tracked) out.set(key, item);
      }
    }
    return out;
  }

  private compare(desired: KubeObject[], live: Map<string, KubeObject>) {
    const resources: ResourceStatusEntry[] = [];
    const outOfSyncNames: string[] = [];
    let health: HealthStatus = 'Healthy';
    let healthMessage: string | undefined;
    const seen = new Set<string>();
    for (const obj of desired) {
      const key = refKey({ apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
      seen.add(key);
      const current = live.get(key);
      const drift = current ? driftPaths(obj, current) : ['(missing)'];
      const h = current ? resourceHealth(current) : { status: 'Missing' as HealthStatus };
      if (h) {
        const worse = worseHealth(health, h.status);
        if (worse !== health) { health = worse; healthMessage = h.message; }
      }
      if (drift.length) outOfSyncNames.push(`${obj.kind}/${obj.metadata.name} (${drift.join(', ')})`);
      resources.push(entry(obj, drift.length ? 'OutOfSync' : 'Synced', h));
    }
    const extras: KubeObject[] = [];
    for (const [key, obj] of live) {
      if (seen.has(key)) continue;
      extras.push(obj);
      resources.push({ ...entry(obj, 'OutOfSync', resourceHealth(obj)), requiresPruning: true });
      outOfSyncNames.push(`${obj.kind}/${obj.metadata.name} (requires pruning)`);
    }
    resources.sort((a, b) => `${a.group}/${a.kind}/${a.namespace}/${a.name}`.localeCompare(`${b.group}/${b.kind}/${b.namespace}/${b.name}`));
    return { resources, outOfSync: outOfSyncNames.length > 0, outOfSyncNames, extras, health: { status: health, ...(healthMessage ? { message: healthMessage } : {}) } };
  }

  /** Apply desired objects (SSA, force, in Argo CD's kind order), then prune tracked extras. */
  private async sync(app: Application, live: Map<string, KubeObject>, desired: KubeObject[], op: SyncOperation) {
    const { client } = this.opts;
    const selected = (o: KubeObject) => !op.resources?.length || op.resources.some((r) =>
      (r.group ?? '') === groupOf(o.apiVersion) && r.kind === o.kind && r.name === o.metadata.name && (!r.namespace || r.namespace === o.metadata.namespace));
    const results: SyncResultResource[] = [];
    let failed = false;
    const errors: string[] = [];

    // Destination namespace (see the header comment for why it is created even without CreateNamespace).
    const ns = app.spec.destination?.namespace;
    if (ns && !op.dryRun) {
      try {
        if (!(await client.get({ apiVersion: 'v1', kind: 'Namespace', name: ns }))) {
          await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, { fieldManager: FIELD_MANAGER, force: true });
          this.opts.log(`app ${app.metadata.name}: created namespace ${ns}${hasSyncOption(app, 'CreateNamespace=true', op.syncOptions) ? '' : ' (CreateNamespace not set)'}`);
        }
      } catch (err) { errors.push(`namespace ${ns}: ${errorMessage(err)}`); }
    }

    for (const obj of [...desired].filter(selected).sort(applyOrder)) {
      const base = { group: groupOf(obj.apiVersion), version: obj.apiVersion.split('/').pop()!, kind: obj.kind, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name, syncPhase: 'Sync' as const };
      try {
        await client.apply(obj, { fieldManager: FIELD_MANAGER, force: true, dryRun: op.dryRun });
        const verb = live.has(refKey({ apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name })) ? 'configured' : 'created';
        results.push({ ...base, status: 'Synced', message: `${obj.kind.toLowerCase()}/${obj.metadata.name} ${verb}${op.dryRun ? ' (dry run)' : ''}`, hookPhase: 'Running' });
      } catch (err) {
        failed = true;
        errors.push(`${obj.kind}/${obj.metadata.name}: ${errorMessage(err)}`);
        results.push({ ...base, status: 'SyncFailed', message: errorMessage(err), hookPhase: 'Failed' });
      }
    }

    // Prune: tracked live objects that Git no longer has.
    const wanted = new Set(desired.map((o) => refKey({ apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name })));
    const extras = [...live.entries()].filter(([key, o]) => !wanted.has(key) && selected(o)).map(([, o]) => o).sort(applyOrder).reverse();
    for (const obj of extras) {
      const base = { group: groupOf(obj.apiVersion), version: obj.apiVersion.split('/').pop()!, kind: obj.kind, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name, syncPhase: 'Sync' as const };
      if (!op.prune) { results.push({ ...base, status: 'PruneSkipped', message: 'ignored (requires pruning)', hookPhase: 'Succeeded' }); continue; }
      try {
        if (!op.dryRun) await client.delete({ apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
        results.push({ ...base, status: 'Pruned', message: `pruned${op.dryRun ? ' (dry run)' : ''}`, hookPhase: 'Succeeded' });
      } catch (err) {
        failed = true;
        errors.push(`prune ${obj.kind}/${obj.metadata.name}: ${errorMessage(err)}`);
        results.push({ ...base, status: 'SyncFailed', message: errorMessage(err), hookPhase: 'Failed' });
      }
    }
    if (errors.length && !failed) failed = true;
    const message = failed ? `one or more objects failed to apply, reason: ${errors.join('; ')}` : 'successfully synced (all tasks run)';
    return { failed, message, resources: results.map((r) => (r.hookPhase === 'Running' ? { ...r, hookPhase: 'Succeeded' as const } : r)) };
  }

  /** Patch the status subresource with only what changed (merge patch; null removes). Without `force`,
   *  nothing is written when only reconciledAt would change (no watch-event churn every poll). */
  private async writeStatus(app: Application, oldStatus: ApplicationStatus, next: ApplicationStatus, force: boolean): Promise<void> {
    const uid = app.metadata.uid ?? app.metadata.name;
    const target: ApplicationStatus = { ...next };
    // Keep transition times stable unless the status they describe changed.
    if (target.health) {
      const prev = oldStatus.health;
      const same = prev?.status === target.health.status && prev.lastTransitionTime;
      target.health = { ...target.health, lastTransitionTime: same ? prev.lastTransitionTime : nowRfc3339() };
    }
    if (target.conditions) {
      target.conditions = target.conditions.map((c) => {
        const prev = oldStatus.conditions?.find((o) => o.type === c.type && o.message === c.message);
        return prev ? { ...c, lastTransitionTime: prev.lastTransitionTime } : c;
      });
    }
    const { reconciledAt: _a, ...a } = oldStatus;
    const { reconciledAt: _b, ...b } = target;
    if (mergePatchFrom(a, b) === undefined && !force) return;
    target.reconciledAt = nowRfc3339();
    const patch = mergePatchFrom(oldStatus, target);
    if (patch === undefined) return;
    try {
      // A few quick retries: a lost status write would leave an operation looking Running.
      for (let attempt = 0; ; attempt++) {
        try {
          await this.opts.client.mergePatch(ref(app), { status: patch }, { subresource: 'status', fieldManager: FIELD_MANAGER });
          break;
        } catch (err) {
          const transient = err instanceof KubeError ? err.code >= 500 || err.code === 429 : true;
          if (!transient || attempt >= 3) throw err;
          await new Promise((r) => setTimeout(r, 300 * 2 ** attempt));
        }
      }
      this.lastStatusWrite.set(uid, Date.now());
      // Later writes in this reconcile diff against what is now stored.
      Object.keys(oldStatus).forEach((k) => delete (oldStatus as Record<string, unknown>)[k]);
      Object.assign(oldStatus, structuredClone(target));
    } catch (err) {
      if (err instanceof KubeError && err.code === 404) return; // app deleted meanwhile
      throw err;
    }
  }

  private async clearRefresh(app: Application): Promise<void> {
    try {
      await this.opts.client.mergePatch(ref(app), { metadata: { annotations: { [REFRESH_ANNOTATION]: null } } }, { fieldManager: FIELD_MANAGER });
    } catch (err) {
      if (!(err instanceof KubeError && err.code === 404)) throw err;
    }
  }
}

function ref(app: Application) {
  return { apiVersion: app.apiVersion, kind: app.kind, namespace: app.metadata.namespace, name: app.metadata.name };
}

function entry(obj: KubeObject, status: 'Synced' | 'OutOfSync', health?: { status: HealthStatus; message?: string }): ResourceStatusEntry {
  const e: ResourceStatusEntry = {
    group: groupOf(obj.apiVersion), version: obj.apiVersion.split('/').pop()!, kind: obj.kind,
    ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}), name: obj.metadata.name, status,
  };
  if (health) e.health = health.message ? { status: health.status, message: health.message } : { status: health.status };
  return e;
}

/** Container images of the desired workloads (status.summary.images). */
function images(objects: KubeObject[]): string[] {
  const out = new Set<string>();
  const visit = (v: unknown, key?: string): void => {
    if (Array.isArray(v)) v.forEach((x) => visit(x, key));
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if ((key === 'containers' || key === 'initContainers') && k === 'image' && typeof x === 'string') out.add(x);
        else visit(x, k);
      }
    }
  };
  for (const o of objects) visit(o.spec);
  return [...out].sort();
}
