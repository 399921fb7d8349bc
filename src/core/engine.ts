// The reconcile engine: discover the workspace's apps, render them, keep a live cache of the
// cluster (one list+watch per kind), compare, and hold ONE DriftReport that the CLI and the
// extension both read. Incremental: a changed file re-renders only the apps that read it; a watch
// event re-compares only the resource it touches; hover lookups are a map read.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Discovery } from './cluster/discovery';
import type { ClusterAccess } from './cluster/liteConfig';
import type { LiveCache, LiveEvent } from './cluster/liveCache';
import { readAgentStatus } from './agents/index';
import { discoverApps, appFromArgoApplication, appFromFluxObject, looksLikeManifest } from './manifests/discover';
import { renderApp, applyNamespace, toDesired, isKustomizeConfig } from './manifests/render';
import type { RenderTools } from './manifests/tools';
import { ReadCache } from './manifests/readCache';
import { LazyFieldSources, parseManifests } from './manifests/yamlSource';
import {
  fromPointer, kindKeyOf, kindKeyOfRefKey, refKey, refOf,
  type AgentStatus, type App, type AppReport, type ClusterState, type DesiredObject, type DriftReport, type FieldDrift,
  type IgnoreDifferencesRule, type KubeObject, type ObjectRef, type RenderResult, type ResourceDrift, type SyncStatus,
} from './model';
import { folderHolding, outermostFolders, skippedFolderName } from './folders';
import { compareResource, getAt, HEALTH_KINDS, maskSecrets, normalizeObject, worstHealth, type ResourceComparison } from './reconcile/index';

export interface EngineOptions {
  root: string;
  /** Every folder of a multi-root workspace (root included): apps are discovered in each, and one live
   *  cache serves them all. Default: [root]. */
  roots?: string[];
  kubeconfig?: string;
  context?: string;
  helmPath?: string;
  kustomizePath?: string;
  kubectlPath?: string;
  ignoreDifferences?: IgnoreDifferencesRule[];
  trusted?: boolean;
  /** Keep watching the cluster (extension); false lists once (CLI). Default true. */
  watch?: boolean;
  log?: (line: string) => void;
  /** Only these apps (CLI --app). */
  onlyApps?: string[];
  /** Coalesce change notifications (ms). Default 50. */
  debounceMs?: number;
  /** Timeout for each render tool run. */
  renderTimeoutMs?: number;
}

export interface Located {
  app: AppReport;
  resource: ResourceDrift;
  pointer: string;
  drift?: FieldDrift;
  desiredValue: unknown;
  liveValue: unknown;
}

interface LineEntry { app: string; key: string; pointer: string; depth: number }

interface AppState {
  app: App;
  render?: RenderResult;
  /** refKey -> comparison, in desired order, Extras after. */
  comparisons: Map<string, ResourceComparison | { resource: ResourceDrift; errors: string[]; desiredNormalized?: undefined; liveNormalized?: undefined }>;
  report: AppReport;
  /** Desired objects by refKey. */
  desired: Map<string, DesiredObject>;
}

/** Kinds watched beyond the ones Git renders, so that tracked objects nobody declares show as Extra. */
const EXTRA_KINDS: { apiVersion: string; kind: string }[] = [
  // Usually the biggest lists first: a one-shot run starts them in this order over a few connections.
  { apiVersion: 'apps/v1', kind: 'Deployment' }, { apiVersion: 'v1', kind: 'Service' }, { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Secret' }, { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' }, { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
];
/** The agents' own objects: matched with workspace apps (the cluster's spec wins). */
const AGENT_KINDS: { apiVersion: string; kind: string }[] = [
  { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' },
  { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization' },
  { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease' },
];
const EXTRA_KIND_VERSIONS = new Map(EXTRA_KINDS.map((k) => [kindKeyOf(k.apiVersion, k.kind), k.apiVersion]));
const AGENT_KIND_KEYS = new Set(AGENT_KINDS.map((k) => kindKeyOf(k.apiVersion, k.kind)));

export function isHook(obj: KubeObject): boolean {
  const a = obj.metadata?.annotations;
  return !!a && ('argocd.argoproj.io/hook' in a || 'helm.sh/hook' in a);
}

/** Names of the apps that track a live object (Argo CD annotation/label, Flux labels). */
export function trackingNames(obj: KubeObject): string[] {
  const out: string[] = [];
  const trackingId = obj.metadata?.annotations?.['argocd.argoproj.io/tracking-id'];
  if (typeof trackingId === 'string' && trackingId.includes(':')) out.push(trackingId.slice(0, trackingId.indexOf(':')));
  const labels = obj.metadata?.labels ?? {};
  if (labels['app.kubernetes.io/instance']) out.push(labels['app.kubernetes.io/instance']);
  if (labels['kustomize.toolkit.fluxcd.io/name']) out.push(`flux:${labels['kustomize.toolkit.fluxcd.io/namespace'] ?? ''}/${labels['kustomize.toolkit.fluxcd.io/name']}`);
  return out;
}

function appTrackingNames(app: App): string[] {
  if (app.agent === 'flux' && app.agentObject) return [`flux:${app.agentObject.namespace ?? ''}/${app.agentObject.name}`];
  return [app.name];
}

export class Engine {
  private readonly opts: EngineOptions;
  private readonly root: string;
  /** The workspace folders apps are discovered in; a folder inside another is covered by that one. */
  private readonly roots: string[];
  private appStates = new Map<string, AppState>();
  private discoveryErrors: string[] = [];
  private discoveryNotes: string[] = [];
  private cluster: { state: ClusterState; message?: string; server?: string } = { state: 'none' };
  private context?: string;
  private kc?: ClusterAccess;
  private discovery?: Discovery;
  private live?: LiveCache;
  /** refKey -> names of apps that declare it. */
  private desiredIndex = new Map<string, Set<string>>();
  /** Hover index per file, built on a file's first lookup; dropped whenever an app re-renders. */
  private lineIndex = new Map<string, Map<number, LineEntry[]>>();
  /** Tracking name (app name, or flux:<ns>/<name>) -> refKeys of live objects carrying it. */
  private trackedIndex = new Map<string, Set<string>>();
  private trackedIndexDirty = true;
  private listeners = new Set<(r: DriftReport) => void>();
  private cachedReport?: DriftReport;
  private notifyTimer?: NodeJS.Timeout;
  private reconnectTimer?: NodeJS.Timeout;
  private reconnectAttempt = 0;
  private unsubscribeLive?: () => void;
  private disposed = false;
  /** Timing of the last operations (ms), for the benchmark and the output channel. */
  readonly timings: Record<string, number> = {};

  static create(opts: EngineOptions): Engine {
    return new Engine(opts);
  }

  private constructor(opts: EngineOptions) {
    this.opts = { watch: true, debounceMs: 50, ...opts };
    this.root = path.resolve(opts.root);
    this.roots = outermostFolders([this.root, ...(opts.roots ?? []).map((r) => path.resolve(r))]);
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    const t0 = performance.now();
    const [reads] = await Promise.all([this.discover(), this.connect()]);
    await this.matchClusterApps();
    await this.renderAll(reads);
    await this.ensureLiveKinds();
    this.compareAll();
    this.timings.start = performance.now() - t0;
    this.changed();
  }

  async refresh(): Promise<void> {
    if (this.disposed) return;
    const reads = await this.discover();
    if (this.cluster.state !== 'connected') await this.connect();
    await this.matchClusterApps();
    await this.renderAll(reads);
    await this.ensureLiveKinds();
    this.compareAll();
    this.changed();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.notifyTimer);
    clearTimeout(this.reconnectTimer);
    this.unsubscribeLive?.();
    this.live?.dispose();
    this.discovery?.dispose();
    this.listeners.clear();
  }

  onDidChange(cb: (r: DriftReport) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  apps(): App[] {
    return [...this.appStates.values()].map((s) => s.app);
  }

  /** The live cache's per-kind states (for the output channel and tests). */
  liveKinds(): { apiVersion: string; kind: string; state: string; message?: string; count: number }[] {
    return this.live?.kinds() ?? [];
  }

  liveObjectCount(): number {
    return this.live?.size() ?? 0;
  }

  // ---------------------------------------------------------------- discovery and render

  /** Returns what it read, for the render that follows in the same pass. */
  private async discover(): Promise<ReadCache> {
    const t0 = performance.now();
    // Discovery reads every YAML file; the render right after reads them again from this cache.
    const reads = new ReadCache();
    const result = await this.discoverRoots(reads);
    let apps = result.apps;
    if (this.opts.onlyApps?.length) apps = apps.filter((a) => this.opts.onlyApps!.includes(a.name));
    this.discoveryErrors = result.errors;
    this.discoveryNotes = result.notes ?? [];
    const next = new Map<string, AppState>();
    for (const app of apps) {
      let name = app.name;
      for (let i = 2; next.has(name); i++) name = `${app.name}-${i}`;
      if (name !== app.name) app.name = name;
      const previous = this.appStates.get(name);
      if (previous && previous.app.path === app.path && previous.app.renderer === app.renderer) {
        // Same app: keep its render, indexes and verdict until it is re-rendered.
        previous.app = app;
        next.set(name, previous);
      } else {
        next.set(name, { app, comparisons: new Map(), desired: new Map(), report: this.emptyReport(app) });
      }
    }
    // Apps that are gone (or changed beyond recognition) leave the indexes.
    for (const [name, state] of this.appStates) {
      if (next.get(name) === state) continue;
      for (const key of state.desired.keys()) this.desiredIndex.get(key)?.delete(name);
      this.lineIndex.clear();
    }
    this.appStates = next;
    this.timings.discover = performance.now() - t0;
    return reads;
  }

  /** Apps of every workspace folder. With several folders, messages name the folder they are about. */
  private async discoverRoots(reads: ReadCache): Promise<{ apps: App[]; errors: string[]; notes: string[] }> {
    if (this.roots.length === 1) return discoverApps(this.roots[0], reads);
    const merged = { apps: [] as App[], errors: [] as string[], notes: [] as string[] };
    for (const root of this.roots) {
      const r = await discoverApps(root, reads);
      const folder = path.basename(root);
      merged.apps.push(...r.apps);
      merged.errors.push(...r.errors.map((e) => `${folder}: ${e}`));
      merged.notes.push(...(r.notes ?? []).map((n) => `${folder}: ${n}`));
    }
    // A definition in one folder may point into another (both in one repository): that folder's own rule
    // would find the same app again.
    const defined = merged.apps.filter((a) => a.definedAt && !a.unrenderable);
    const covered = (app: App) => defined.some((d) => d.path === app.path
      || ((d.renderer === 'helm' || d.directory?.recurse) && app.path.startsWith(d.path + path.sep)));
    merged.apps = merged.apps.filter((a) => a.definedAt || !covered(a));
    return merged;
  }

  /** The workspace folder an app or file belongs to (the deepest that holds it). */
  rootOf(file: string): string {
    return folderHolding(this.roots, file) ?? this.root;
  }

  private emptyReport(app: App): AppReport {
    return { name: app.name, path: app.path, renderer: app.renderer, origin: app.origin, namespace: app.namespace, sync: 'Unknown', resources: [] };
  }

  private renderTools(): RenderTools {
    return {
      helmPath: this.opts.helmPath, kustomizePath: this.opts.kustomizePath, kubectlPath: this.opts.kubectlPath,
      trusted: this.opts.trusted, timeoutMs: this.opts.renderTimeoutMs,
      clusterObject: this.kc && this.cluster.state === 'connected' ? (kind, namespace, name) => this.clusterObject(kind, namespace, name) : undefined,
    };
  }

  /** One ConfigMap / Secret from the cluster for a render (Flux valuesFrom not in Git): from the live cache
   *  when it holds that kind (both are watched for Extras), else one GET. */
  private async clusterObject(kind: 'ConfigMap' | 'Secret', namespace: string, name: string): Promise<KubeObject | undefined | 'forbidden'> {
    if (this.live?.kindState(kindKeyOf('v1', kind))?.state === 'synced') return this.live.get(refKey({ apiVersion: 'v1', kind, namespace, name }));
    const { kubeGet, KubeHttpError } = await import('./cluster/http');
    const plural = kind === 'Secret' ? 'secrets' : 'configmaps';
    try {
      return await kubeGet<KubeObject>(this.kc!, `/api/v1/namespaces/${encodeURIComponent(namespace)}/${plural}/${encodeURIComponent(name)}`, { timeoutMs: 10_000 });
    } catch (err) {
      if (err instanceof KubeHttpError && err.statusCode === 404) return undefined;
      if (err instanceof KubeHttpError && err.statusCode === 403) return 'forbidden';
      throw err;
    }
  }

  /** `reads`: what discovery read in this pass (never kept beyond it, so never stale). */
  private async renderAll(reads?: ReadCache, onlyNew = false): Promise<void> {
    const t0 = performance.now();
    // onlyNew: apps discovery kept from before keep their render (a new folder app does not re-render the others).
    const states = [...this.appStates.values()].filter((s) => !onlyNew || !s.render);
    // Two cores shared with the editor: a few renders at a time.
    let next = 0;
    const worker = async () => {
      while (next < states.length) {
        const state = states[next++];
        await this.renderOne(state, undefined, reads);
        // One-shot runs: the LISTs of this app's kinds start now, while the other apps render.
        if (this.opts.watch === false) this.live?.prefetchKinds(this.liveKindsOf([state]));
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, states.length) }, worker));
    this.timings.render = performance.now() - t0;
  }

  private async renderOne(state: AppState, override?: { file: string; text: string }, reads?: ReadCache): Promise<void> {
    let result: RenderResult;
    const previous = state.render;
    if (override && state.app.renderer === 'directory' && previous && !previous.error && previous.inputs.includes(override.file)) {
      // A directory app re-parses only the changed file; its other files' objects are kept.
      result = this.applyUnsavedText(previous, override);
    } else {
      try {
        result = await renderApp(state.app, this.renderTools(), { reads });
      } catch (err) {
        result = { app: state.app, objects: [], inputs: [], error: (err as Error).message };
      }
      // The file on disk may be the broken one; the buffer may fix it.
      if (override && state.app.renderer === 'directory' && result.inputs.includes(override.file)) {
        result = this.applyUnsavedText({ ...result, error: undefined, objects: result.error ? [] : result.objects }, override);
      }
    }
    state.render = result;
    // Re-index desired objects.
    for (const key of state.desired.keys()) this.desiredIndex.get(key)?.delete(state.app.name);
    state.desired = new Map();
    for (const d of result.objects) {
      // Hooks (Argo CD / Helm) run at sync time and are not part of the app's compared state.
      if (isHook(d.object)) continue;
      const key = refKey(d.ref);
      if (state.desired.has(key)) continue;
      state.desired.set(key, d);
      let set = this.desiredIndex.get(key);
      if (!set) this.desiredIndex.set(key, (set = new Set()));
      set.add(state.app.name);
    }
    this.lineIndex.clear();
  }

  /** A directory app with an unsaved buffer (or one changed file): that file's objects are replaced in place. */
  private applyUnsavedText(result: RenderResult, override: { file: string; text: string }): RenderResult {
    const parsed = parseManifests(override.text, override.file);
    if (parsed.errors.length) {
      return { ...result, objects: [], error: `invalid YAML: ${parsed.errors.map((e) => `${path.relative(result.app.path, override.file)}:${e.line}: ${e.message}`).join('; ')}` };
    }
    const added = parsed.objects.filter((p) => !isKustomizeConfig(p.object)).map((p) => toDesired(p.object, p.source, p.fieldSources));
    applyNamespace({ ...result, objects: added }, result.app);
    const objects: DesiredObject[] = [];
    let inserted = false;
    for (const o of result.objects) {
      if (o.source.file !== override.file) { objects.push(o); continue; }
      if (!inserted) { objects.push(...added); inserted = true; }
    }
    if (!inserted) objects.push(...added);
    return { ...result, objects, error: undefined };
  }

  /** The hover index of one file (line -> entries), built on its first lookup: only that file's documents
   *  compute their field sources (a workspace's sources are computed lazily, per document). */
  private linesOf(file: string): Map<number, LineEntry[]> {
    let lines = this.lineIndex.get(file);
    if (lines) return lines;
    lines = new Map();
    for (const [name, state] of this.appStates) {
      for (const [key, d] of state.desired) {
        const add = (line: number, pointer: string) => {
          let entries = lines!.get(line);
          if (!entries) lines!.set(line, (entries = []));
          entries.push({ app: name, key, pointer, depth: pointer === '' ? 0 : pointer.split('/').length - 1 });
        };
        if (d.source.file === file) add(d.source.line, '');
        const sources = d.fieldSources;
        if (sources instanceof LazyFieldSources && !sources.mayPointInto(file)) continue;
        for (const [pointer, loc] of sources) if (loc.file === file) add(loc.line, pointer);
      }
    }
    this.lineIndex.set(file, lines);
    return lines;
  }

  // ---------------------------------------------------------------- cluster

  private async connect(): Promise<void> {
    this.unsubscribeLive?.();
    this.live?.dispose();
    this.live = undefined;
    this.discovery?.dispose();
    this.discovery = undefined;
    let loaded: { kc: ClusterAccess; context: string; server: string } | undefined;
    try {
      const kubeconfigOpts = { kubeconfig: this.opts.kubeconfig, context: this.opts.context, allowExec: this.opts.trusted !== false };
      // One-shot runs (the CLI) skip client-node's start-up when the kubeconfig is plain token/cert.
      if (this.opts.watch === false) loaded = (await import('./cluster/liteConfig')).loadLiteKubeConfig(kubeconfigOpts);
      loaded ??= (await import('./cluster/kubeconfig')).loadKubeConfig(kubeconfigOpts);
    } catch (err) {
      this.cluster = { state: 'none', message: (err as Error).message };
      return;
    }
    this.kc = loaded.kc;
    this.context = loaded.context;
    const { kubeGet, KubeHttpError } = await import('./cluster/http');
    const { Discovery } = await import('./cluster/discovery');
    const { LiveCache } = await import('./cluster/liveCache');
    const discovery = new Discovery(loaded.kc, { builtinsKnown: this.opts.watch === false });
    const live = new LiveCache({
      kc: loaded.kc, discovery, watch: this.opts.watch !== false,
      keepStatus: (kind) => HEALTH_KINDS.has(kind) || kind === 'Application' || kind === 'Kustomization' || kind === 'HelmRelease',
      log: (l) => this.log(l),
    });
    // One-shot runs (the CLI): the kinds every diff lists (the agents' objects first — apps are matched with
    // them before rendering — then the kinds Extras are looked for in) start now, beside the version probe,
    // which has a connection of its own so that it never waits behind them.
    if (this.opts.watch === false) live.prefetchKinds([...AGENT_KINDS, ...EXTRA_KINDS]);
    try {
      await kubeGet(loaded.kc, '/version', { timeoutMs: 10_000, deadlineMs: 10_000, ownConnection: true });
    } catch (err) {
      const code = err instanceof KubeHttpError ? err.statusCode : undefined;
      if (code === 401 || code === undefined) { live.dispose(); discovery.dispose(); }
      if (code === 401) {
        this.cluster = { state: 'unauthorized', server: loaded.server, message: `cluster rejected the credentials of context "${loaded.context}" (401): ${(err as Error).message}` };
        return;
      }
      if (code === undefined) {
        const retry = this.opts.watch ? this.scheduleReconnect() : undefined;
        this.cluster = {
          state: 'unreachable', server: loaded.server,
          message: `cluster unreachable: context "${loaded.context}" (${loaded.server}) — ${(err as Error).message}${retry ? `; retrying in ${Math.round(retry / 1000)} s` : ''}`,
        };
        return;
      }
      // Other codes (403 on /version): carry on, per-kind errors will say more.
    }
    this.reconnectAttempt = 0;
    this.trackedIndexDirty = true;
    this.discovery = discovery;
    this.live = live;
    this.cluster = { state: 'connected', server: loaded.server };
    if (this.opts.watch !== false) this.unsubscribeLive = this.live.onEvent((e) => this.onLiveEvent(e));
    await this.live.ensureKinds(AGENT_KINDS);
  }

  private scheduleReconnect(): number {
    const delay = Math.min(30_000, 1000 * 2 ** this.reconnectAttempt++);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      void (async () => {
        if (this.disposed) return;
        await this.connect();
        if (this.cluster.state === 'connected') {
          await this.matchClusterApps();
          await this.ensureLiveKinds();
        }
        this.compareAll();
        this.changed();
      })();
    }, delay);
    this.reconnectTimer.unref?.();
    return delay;
  }

  /** Workspace apps matched with the cluster's Applications / Flux objects: the cluster's spec wins,
   *  and the agent's own status is kept beside our verdict. */
  private async matchClusterApps(): Promise<void> {
    if (!this.live) return;
    for (const state of this.appStates.values()) {
      const app = state.app;
      const candidates: KubeObject[] = [];
      for (const k of AGENT_KINDS) {
        for (const obj of this.live.objectsOf(kindKeyOf(k.apiVersion, k.kind))) {
          if (app.agentObject) {
            if (obj.kind === app.agentObject.kind && obj.metadata.name === app.agentObject.name && (!app.agentObject.namespace || obj.metadata.namespace === app.agentObject.namespace)) candidates.push(obj);
          } else if (obj.kind === 'Application' && obj.metadata.name === app.name) {
            candidates.push(obj);
          }
        }
      }
      const clusterObj = candidates[0];
      if (!clusterObj) continue;
      // The cluster's source path is resolved in the folder the workspace's copy of the app is in.
      const root = this.rootOf(app.path);
      const matched = clusterObj.kind === 'Application'
        ? appFromArgoApplication(clusterObj, root, app.definedAt)
        : appFromFluxObject(clusterObj, root, app.definedAt);
      if (matched && path.resolve(matched.path) === path.resolve(app.path)) {
        matched.name = app.name;
        matched.origin = app.origin;
        if (app.renderNotes) matched.renderNotes = app.renderNotes;
        state.app = matched;
      }
      state.report.agent = await this.agentStatus(clusterObj);
    }
  }

  private async agentStatus(obj: KubeObject): Promise<AgentStatus> {
    return readAgentStatus(obj);
  }

  private liveKindsOf(states: Iterable<AppState>): { apiVersion: string; kind: string }[] {
    const kinds = new Map<string, { apiVersion: string; kind: string }>();
    for (const k of EXTRA_KINDS) kinds.set(kindKeyOf(k.apiVersion, k.kind), k);
    for (const state of states) {
      // Objects of one kind usually come in runs: a repeat of the previous pair changes nothing.
      let lastVersion: string | undefined;
      let lastKind: string | undefined;
      for (const d of state.desired.values()) {
        const { apiVersion, kind } = d.ref;
        if (apiVersion === lastVersion && kind === lastKind) continue;
        lastVersion = apiVersion;
        lastKind = kind;
        const key = kindKeyOf(d.ref.apiVersion, d.ref.kind);
        // Git's version of a kind wins over the default version an extra kind is listed in.
        const extraVersion = EXTRA_KIND_VERSIONS.get(key);
        if (!kinds.has(key) || (extraVersion !== undefined && extraVersion !== apiVersion)) kinds.set(key, { apiVersion, kind });
      }
    }
    return [...kinds.values()];
  }

  private async ensureLiveKinds(): Promise<void> {
    if (!this.live) return;
    const kinds = this.liveKindsOf(this.appStates.values());
    const t0 = performance.now();
    await this.live.ensureKinds(kinds);
    this.timings.list = performance.now() - t0;
  }

  /** Does a re-rendered app use a kind the live cache does not hold yet? */
  private hasNewKinds(states: AppState[]): boolean {
    if (!this.live) return false;
    return states.some((s) => [...s.desired.values()].some((d) => !this.live!.hasKind(kindKeyOf(d.ref.apiVersion, d.ref.kind))));
  }

  // ---------------------------------------------------------------- compare

  private clusterReason(): string | undefined {
    if (this.cluster.state === 'connected') return undefined;
    return this.cluster.message ?? `no cluster (${this.cluster.state})`;
  }

  /** Why a kind's live state cannot be trusted, or undefined when it is synced. */
  private kindProblem(kindKey: string): string | undefined {
    const reason = this.clusterReason();
    if (reason) return reason;
    const status = this.live?.kindState(kindKey);
    if (!status) return `${kindKey.split('/')[1]} is not watched yet`;
    if (status.state === 'synced') return undefined;
    if (status.state === 'unserved') return undefined; // nothing of that kind can exist: Missing is the truth
    return status.message ?? `${status.kind}: ${status.state}`;
  }

  private compareOne(state: AppState, key: string): void {
    const desired = state.desired.get(key);
    const kindKey = kindKeyOfRefKey(key);
    const problem = this.kindProblem(kindKey);
    const live = problem ? undefined : this.live?.get(key);
    if (problem) {
      if (!desired) { state.comparisons.delete(key); return; }
      state.comparisons.set(key, {
        resource: { apiVersion: desired.ref.apiVersion, kind: desired.ref.kind, namespace: desired.ref.namespace, name: desired.ref.name, status: 'Unknown', source: desired.source, drift: [], message: problem },
        errors: [],
      });
      return;
    }
    if (!desired) {
      if (!live || !this.tracks(state.app, live) || isHook(live) || this.desiredIndex.get(key)?.size) { state.comparisons.delete(key); return; }
    }
    state.comparisons.set(key, compareResource({ desired, live, rules: this.rulesFor(state.app) }));
  }

  private rulesFor(app: App): IgnoreDifferencesRule[] {
    const extra = this.opts.ignoreDifferences ?? [];
    return extra.length ? [...app.ignoreDifferences, ...extra] : app.ignoreDifferences;
  }

  private tracks(app: App, live: KubeObject): boolean {
    const names = trackingNames(live);
    return appTrackingNames(app).some((n) => names.includes(n));
  }

  private compareApp(state: AppState): void {
    state.comparisons = new Map();
    for (const key of state.desired.keys()) this.compareOne(state, key);
    // Extras: live objects tracked by this app that no app declares.
    if (this.live && this.cluster.state === 'connected') {
      this.ensureTrackedIndex();
      for (const name of appTrackingNames(state.app)) {
        for (const key of this.trackedIndex.get(name) ?? []) {
          if (this.desiredIndex.get(key)?.size || state.comparisons.has(key)) continue;
          this.compareOne(state, key);
        }
      }
    }
    this.summarize(state);
  }

  private ensureTrackedIndex(): void {
    if (!this.trackedIndexDirty || !this.live) return;
    this.trackedIndex.clear();
    for (const kind of this.live.kinds()) {
      const kindKey = kindKeyOf(kind.apiVersion, kind.kind);
      if (kind.state !== 'synced' || AGENT_KIND_KEYS.has(kindKey)) continue;
      for (const obj of this.live.objectsOf(kindKey)) this.track(obj, true);
    }
    this.trackedIndexDirty = false;
  }

  private track(obj: KubeObject, add: boolean): void {
    const names = trackingNames(obj);
    if (!names.length) return;
    const key = refKey(refOf(obj));
    for (const name of names) {
      let set = this.trackedIndex.get(name);
      if (add) {
        if (!set) this.trackedIndex.set(name, (set = new Set()));
        set.add(key);
      } else {
        set?.delete(key);
      }
    }
  }

  private summarize(state: AppState): void {
    const resources = [...state.comparisons.values()].map((c) => c.resource);
    const errors = new Set<string>();
    for (const c of state.comparisons.values()) for (const e of c.errors) errors.add(e);
    const render = state.render;
    let sync: SyncStatus;
    const renderFailed = !!render?.error;
    if (renderFailed || !render || this.clusterReason()) sync = 'Unknown';
    else if (resources.some((r) => r.status === 'Unknown')) sync = 'Unknown';
    else if (resources.some((r) => r.status !== 'Synced')) sync = 'OutOfSync';
    else sync = 'Synced';
    // A known drift is still worth reporting when other kinds are unknown.
    if (sync === 'Unknown' && !renderFailed && render && resources.some((r) => r.status === 'OutOfSync' || r.status === 'Missing' || r.status === 'Extra')) sync = 'OutOfSync';
    const messages: string[] = [];
    if (render?.error) messages.push(render.error);
    messages.push(...errors);
    state.report = {
      name: state.app.name, path: state.app.path, renderer: state.app.renderer, origin: state.app.origin, namespace: state.app.namespace,
      sync, health: worstHealth(resources.map((r) => r.health)), agent: state.report.agent,
      error: messages.length ? messages.join('; ') : undefined,
      ...(state.app.renderNotes?.length ? { notes: state.app.renderNotes } : {}),
      resources,
    };
    this.cachedReport = undefined;
  }

  private compareAll(): void {
    const t0 = performance.now();
    for (const state of this.appStates.values()) this.compareApp(state);
    this.timings.compare = performance.now() - t0;
    this.cachedReport = undefined;
  }

  private onLiveEvent(event: LiveEvent): void {
    if (this.disposed) return;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    if (event.type === 'RELIST' || event.type === 'STATE') {
      if (AGENT_KIND_KEYS.has(event.kindKey)) return;
      this.trackedIndexDirty = true;
      for (const state of this.appStates.values()) this.compareApp(state);
      this.timings.relist = performance.now() - t0;
      this.changed();
      return;
    }
    const e = event as Extract<LiveEvent, { key: string }>;
    if (AGENT_KIND_KEYS.has(e.kindKey)) {
      // Only the agent's status is refreshed here; a spec change is picked up on refresh().
      for (const state of this.appStates.values()) {
        const a = state.app.agentObject;
        const matches = a ? a.kind === e.object.kind && a.name === e.object.metadata.name : e.object.kind === 'Application' && e.object.metadata.name === state.app.name;
        if (!matches) continue;
        if (e.type === 'DELETED') state.report = { ...state.report, agent: undefined };
        else state.report = { ...state.report, agent: readAgentStatus(e.object) };
        this.cachedReport = undefined;
      }
      this.changed();
      return;
    }
    if (!this.trackedIndexDirty) {
      if (e.previous) this.track(e.previous, false);
      if (e.type !== 'DELETED') this.track(e.object, true);
    }
    const affected = new Set<string>(this.desiredIndex.get(e.key) ?? []);
    const names = new Set([...trackingNames(e.object), ...(e.previous ? trackingNames(e.previous) : [])]);
    if (names.size) {
      for (const state of this.appStates.values()) if (appTrackingNames(state.app).some((n) => names.has(n))) affected.add(state.app.name);
    }
    for (const name of affected) {
      const state = this.appStates.get(name);
      if (!state) continue;
      this.compareOne(state, e.key);
      this.summarize(state);
    }
    this.timings.event = performance.now() - t0;
    // CPU time too: on a busy machine the wall time includes waiting for a core.
    const cpu = process.cpuUsage(cpu0);
    this.timings.eventCpu = (cpu.user + cpu.system) / 1000;
    if (affected.size) this.changed();
  }

  // ---------------------------------------------------------------- incremental files

  async fileChanged(absPath: string, text?: string): Promise<void> {
    if (this.disposed) return;
    const file = path.resolve(absPath);
    const t0 = performance.now();
    const base = path.basename(file);
    const definesApps = [...this.appStates.values()].some((s) => s.app.definedAt?.file === file);
    if (definesApps || /^(kustomization\.ya?ml|Kustomization|Chart\.yaml)$/.test(base)) {
      if (await this.rediscover(definesApps, t0)) return;
    }
    const affected = [...this.appStates.values()].filter((s) => s.render?.inputs.includes(file)
      || (s.app.renderer === 'directory' && /\.(ya?ml|json)$/i.test(file) && (path.dirname(file) === s.app.path || (s.app.directory?.recurse && file.startsWith(s.app.path + path.sep)))));
    if (!affected.length) {
      // Disk changes only (not unsaved edits) in the workspace: a manifest no app reads, maybe in a new folder
      // (a new folder app, or a folder or config file an ApplicationSet generates from); or a folder that is
      // gone with the apps in it.
      const root = this.roots.find((r) => file.startsWith(r + path.sep));
      // Discovery skips hidden folders and node_modules: so does this (.vscode/settings.json, package.json installs).
      if (text !== undefined || !root || file.slice(root.length + 1).split(path.sep).some(skippedFolderName)) return;
      const st = await fs.stat(file).catch(() => undefined);
      if (st?.isDirectory()) return this.folderAppeared(file, t0);
      const newManifest = !!st?.isFile() && await this.mayMakeApps(file);
      const goneFolder = !st && [...this.appStates.values()].some((s) => s.app.path === file || s.app.path.startsWith(file + path.sep));
      if (newManifest || goneFolder) await this.rediscover(false, t0);
      return;
    }
    let diskText: string | undefined;
    for (const state of affected) {
      let override = text === undefined ? undefined : { file, text };
      if (!override && state.app.renderer === 'directory' && state.render && !state.render.error && state.render.inputs.includes(file)) {
        diskText ??= await fs.readFile(file, 'utf8').catch(() => undefined);
        if (diskText !== undefined) override = { file, text: diskText };
      }
      await this.renderOne(state, override);
    }
    if (this.hasNewKinds(affected)) await this.ensureLiveKinds();
    const tRendered = performance.now();
    for (const state of affected) this.compareApp(state);
    const t1 = performance.now();
    this.timings.fileRender = tRendered - t0;
    this.timings.fileCompare = t1 - tRendered;
    this.timings.fileChanged = t1 - t0;
    this.changed();
  }

  /** A folder that appeared with its files (moved in, checked out): one discovery for all of them, and the
   *  apps it lands inside (a recursive directory app, a chart, a kustomization that lists it) render once. */
  private async folderAppeared(folder: string, t0: number): Promise<void> {
    const holders = [...this.appStates.values()].filter((s) => s.render && folder.startsWith(s.app.path + path.sep));
    await this.rediscover(false, t0);
    const kept = holders.filter((s) => this.appStates.get(s.app.name) === s);
    if (!kept.length) return;
    for (const state of kept) await this.renderOne(state);
    if (this.hasNewKinds(kept)) await this.ensureLiveKinds();
    for (const state of kept) this.compareApp(state);
    this.timings.fileChanged = performance.now() - t0;
    this.changed();
  }

  /** Can a new file make or change apps? A YAML manifest can (a new folder app, a folder an ApplicationSet
   *  generates from); a JSON file only where an ApplicationSet may read it (git files generator). */
  private async mayMakeApps(file: string): Promise<boolean> {
    const generated = [...this.appStates.values()].some((s) => s.app.origin === 'argocd-applicationset');
    if (/\.json$/i.test(file)) return generated;
    if (!/\.ya?ml$/i.test(file)) return false;
    if (generated) return true;
    return looksLikeManifest(await fs.readFile(file, 'utf8').catch(() => ''));
  }

  /** Discover again; when the apps changed (or `force`), render, list and compare everything. Returns
   *  whether it did. */
  private async rediscover(force: boolean, t0: number): Promise<boolean> {
    const appKeys = () => new Set([...this.appStates.values()].map((s) => `${s.app.name}|${s.app.path}|${s.app.renderer}`));
    const before = appKeys();
    const previousApps = new Map([...this.appStates].map(([name, st]) => [name, st.app]));
    const reads = await this.discover();
    const after = appKeys();
    const same = before.size === after.size && [...before].every((k) => after.has(k));
    if (!force) {
      // No definition changed: a kept app keeps its App object (render notes and render-time indexes hang on it).
      for (const [name, st] of this.appStates) if (st.render && previousApps.has(name)) st.app = previousApps.get(name)!;
    }
    if (same && !force) return false;
    await this.matchClusterApps();
    await this.renderAll(reads, !force);
    await this.ensureLiveKinds();
    this.compareAll();
    this.timings.fileChanged = performance.now() - t0;
    this.changed();
    return true;
  }

  // ---------------------------------------------------------------- reads

  report(): DriftReport {
    if (!this.cachedReport) {
      const errors = [...this.discoveryErrors];
      for (const k of this.live?.kinds() ?? []) {
        if (k.state === 'forbidden' || k.state === 'error' || k.state === 'stale') errors.push(k.message ?? `${k.kind}: ${k.state}`);
      }
      let cluster = { ...this.cluster };
      if (cluster.state === 'connected' && this.live?.kinds().some((k) => k.state === 'stale' || k.state === 'error')) {
        cluster = { ...cluster, state: 'stale', message: 'some watches are down; their resources say Unknown' };
      }
      this.cachedReport = {
        context: this.context,
        cluster,
        generatedAt: new Date().toISOString(),
        apps: [...this.appStates.values()].map((s) => s.report),
        errors,
      };
    }
    return this.cachedReport;
  }

  /** Notes from discovery (skipped Applications, ApplicationSets...). */
  notes(): string[] {
    return this.discoveryNotes;
  }

  private changed(): void {
    this.cachedReport = undefined;
    if (!this.listeners.size) return;
    clearTimeout(this.notifyTimer);
    this.notifyTimer = setTimeout(() => {
      const r = this.report();
      for (const l of this.listeners) {
        try { l(r); } catch (err) { this.log(`change listener failed: ${(err as Error).message}`); }
      }
    }, this.opts.debounceMs);
  }

  private findDesired(ref: ObjectRef): { state: AppState; desired: DesiredObject } | undefined {
    const key = refKey(ref);
    for (const name of this.desiredIndex.get(key) ?? []) {
      const state = this.appStates.get(name);
      const desired = state?.desired.get(key);
      if (state && desired) return { state, desired };
    }
    return undefined;
  }

  desired(ref: ObjectRef): DesiredObject | undefined {
    return this.findDesired(ref)?.desired;
  }

  private comparisonOf(ref: ObjectRef): ResourceComparison | undefined {
    const key = refKey(ref);
    for (const state of this.appStates.values()) {
      const c = state.comparisons.get(key);
      if (c && 'desiredNormalized' in c) return c as ResourceComparison;
    }
    return undefined;
  }

  desiredNormalized(ref: ObjectRef): KubeObject | undefined {
    const c = this.comparisonOf(ref);
    if (c?.desiredNormalized) return c.desiredNormalized;
    const d = this.desired(ref);
    if (!d) return undefined;
    const n = normalizeObject(d.object);
    maskSecrets(n);
    return n;
  }

  liveNormalized(ref: ObjectRef): KubeObject | undefined {
    const c = this.comparisonOf(ref);
    if (c?.liveNormalized) return c.liveNormalized;
    const live = this.live?.get(refKey(ref));
    if (!live) return undefined;
    const n = normalizeObject(live);
    maskSecrets(n);
    return n;
  }

  /** Hover lookup: which resource field is declared on this line, and its drift. A pure map read. */
  locate(file: string, line: number): Located | undefined {
    const entries = this.linesOf(path.resolve(file)).get(line);
    if (!entries?.length) return undefined;
    let best: { entry: LineEntry; state: AppState; resource: ResourceDrift; drift?: FieldDrift; c: ResourceComparison | undefined } | undefined;
    for (const entry of entries) {
      const state = this.appStates.get(entry.app);
      const c = state?.comparisons.get(entry.key);
      if (!state || !c) continue;
      const drift = c.resource.drift.find((d) => d.path === entry.pointer)
        ?? c.resource.drift.find((d) => d.path.startsWith(entry.pointer + '/') && d.source?.line === line && d.source.file === path.resolve(file));
      const better = !best || (!!drift && !best.drift) || (!!drift === !!best.drift && entry.depth > best.entry.depth);
      if (better) best = { entry, state, resource: c.resource, drift, c: 'desiredNormalized' in c ? (c as ResourceComparison) : undefined };
    }
    if (!best) return undefined;
    const segments = fromPointer(best.entry.pointer);
    let desiredValue = best.drift && best.drift.path === best.entry.pointer ? best.drift.desired : getAt(best.c?.desiredNormalized, segments);
    if (desiredValue === undefined && !best.c?.desiredNormalized) {
      // Not compared (no cluster, kind unknown): show Git's value, masked if it is a Secret's.
      const d = best.state.desired.get(best.entry.key);
      if (d) desiredValue = getAt(d.object.kind === 'Secret' ? maskSecrets(normalizeObject(d.object))[0] : d.object, segments);
    }
    const liveValue = best.drift && best.drift.path === best.entry.pointer ? best.drift.live : getAt(best.c?.liveNormalized, segments);
    return { app: best.state.report, resource: best.resource, pointer: best.entry.pointer, drift: best.drift, desiredValue, liveValue };
  }
}
