// The live cache: one list + watch per kind in use (never per object). A watch resumes from the
// last resourceVersion, a 410 Expired relists, any other failure restarts the watch with
// exponential backoff (client-node's informer would simply stop). Each kind carries a state, and
// while a kind is not 'synced' the engine reports its resources as Unknown, never Synced.
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterAccess } from './liteConfig';
import { kindKeyOf, kindKeyOfRefKey, refKey, refOf, type KubeObject } from '../model';
import { slimLive } from '../reconcile/normalize';
import { collectionPath, type Discovery, type ResourceInfo } from './discovery';
import { kubeGet, KubeHttpError } from './http';

export type KindState = 'pending' | 'synced' | 'stale' | 'forbidden' | 'error' | 'unserved';

export interface KindStatus {
  apiVersion: string;
  kind: string;
  state: KindState;
  message?: string;
  /** When the next retry happens (ms since epoch), while not synced. */
  retryAt?: number;
  /** How many objects of the kind are cached. */
  count: number;
}

export type LiveEvent =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; kindKey: string; key: string; object: KubeObject; previous?: KubeObject }
  /** The whole kind was (re)listed or changed state: re-compare everything of that kind. */
  | { type: 'RELIST' | 'STATE'; kindKey: string };

export interface LiveCacheOptions {
  /** client-node's KubeConfig when watching; a ClusterAccess is enough to list once. */
  kc: KubeConfig | ClusterAccess;
  discovery: Discovery;
  /** false: list once, never watch (the CLI). */
  watch: boolean;
  /** Kinds whose status is kept (health checks, agent objects); everything else drops it. */
  keepStatus?: (kind: string) => boolean;
  log?: (line: string) => void;
  /** The first list of a kind asks for resourceVersion=0, as client-go's informers do: the API server
   *  answers it whole from its watch cache (one round trip per kind, no etcd read). Relists (after 410 or
   *  an error) are consistent reads, paged. Default true; false pages the first list too. */
  firstListFromCache?: boolean;
  /** Backoff bounds for restarting a failed list/watch. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

interface WatchLike { abort(): void }

class KindWatcher {
  readonly objects = new Map<string, KubeObject>();
  state: KindState = 'pending';
  message?: string;
  retryAt?: number;
  private info?: ResourceInfo;
  private resourceVersion?: string;
  private attempt = 0;
  private timer?: NodeJS.Timeout;
  private controller?: WatchLike;
  /** Aborts a list in flight on dispose (a one-shot run must not wait for it to time out). */
  private readonly listAbort = new AbortController();
  private disposed = false;
  readonly firstResult: Promise<void>;
  private resolveFirst!: () => void;

  constructor(readonly apiVersion: string, readonly kind: string, readonly key: string, private readonly cache: LiveCache) {
    this.firstResult = new Promise((resolve) => { this.resolveFirst = resolve; });
  }

  status(): KindStatus {
    return { apiVersion: this.apiVersion, kind: this.kind, state: this.state, message: this.message, retryAt: this.retryAt, count: this.objects.size };
  }

  start(): void {
    void this.listThenWatch();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.controller?.abort();
    this.listAbort.abort();
  }

  private setState(state: KindState, message?: string): void {
    const changed = state !== this.state || message !== this.message;
    this.state = state;
    this.message = message;
    if (state === 'synced') this.retryAt = undefined;
    if (changed) this.cache.emit({ type: 'STATE', kindKey: this.key });
  }

  private async listThenWatch(): Promise<void> {
    if (this.disposed) return;
    const opts = this.cache.opts;
    try {
      this.info ??= await opts.discovery.resolve(this.apiVersion, this.kind);
      if (!this.info) {
        this.setState('unserved', `the server does not serve ${this.kind} (${this.apiVersion})`);
        this.resolveFirst();
        return;
      }
      await this.list(this.info);
      this.attempt = 0;
      this.setState('synced');
      this.cache.emit({ type: 'RELIST', kindKey: this.key });
      this.resolveFirst();
      if (opts.watch) await this.watch(this.info);
    } catch (err) {
      this.failed(err, () => this.listThenWatch());
    }
  }

  private async list(info: ResourceInfo): Promise<void> {
    const base = collectionPath(info);
    // Every page of one list comes from the state its first page saw. When that state is gone before
    // the last page (410 Expired on a continue), the pages so far cannot be completed consistently:
    // start over once with a fresh map; a second 410 fails the list (backoff retries it). Either way
    // the cache keeps its previous full list until a whole new one has arrived.
    const fromCache = this.resourceVersion === undefined && this.cache.opts.firstListFromCache !== false;
    for (let restarted = false; ; restarted = true) {
      const fresh = new Map<string, KubeObject>();
      let cont: string | undefined;
      let resourceVersion: string | undefined;
      try {
        do {
          const query = new URLSearchParams({ limit: '500' });
          if (cont) query.set('continue', cont);
          else if (fromCache && !restarted) query.set('resourceVersion', '0');
          const page = await kubeGet<{ metadata?: { resourceVersion?: string; continue?: string }; items?: KubeObject[] }>(this.cache.opts.kc, `${base}?${query}`, { signal: this.listAbort.signal });
          for (const item of page.items ?? []) {
            // Lists omit apiVersion/kind on items.
            item.apiVersion = this.apiVersion;
            item.kind = this.kind;
            const obj = this.cache.slim(item);
            fresh.set(refKey(refOf(obj)), obj);
          }
          resourceVersion = page.metadata?.resourceVersion;
          cont = page.metadata?.continue || undefined;
        } while (cont);
      } catch (err) {
        if (cont && !restarted && err instanceof KubeHttpError && err.statusCode === 410) {
          this.cache.opts.log?.(`live cache: ${this.kind} (${this.apiVersion}): the list expired after ${fresh.size} objects (410); listing again from the start`);
          continue;
        }
        throw err;
      }
      this.resourceVersion = resourceVersion;
      this.objects.clear();
      for (const [k, v] of fresh) this.objects.set(k, v);
      return;
    }
  }

  private async watch(info: ResourceInfo): Promise<void> {
    if (this.disposed) return;
    const { Watch } = await import('@kubernetes/client-node');
    const watcher = new Watch(this.cache.opts.kc as KubeConfig);
    let needRelist = false;
    let ended = false;
    const done = (err: unknown): void => {
      if (ended) return;
      ended = true;
      this.controller = undefined;
      if (this.disposed) return;
      if (needRelist) {
        this.setState('stale', `watch on ${info.plural} expired (410): relisting`);
        void this.listThenWatch();
      } else if (err) {
        this.failed(err, () => this.watch(info));
      } else {
        // The server closed the stream (timeoutSeconds): resume from the last resourceVersion.
        void this.watch(info);
      }
    };
    const onEvent = (type: string, obj: KubeObject): void => {
      if (this.disposed) return;
      if (type === 'ERROR') {
        const status = obj as unknown as { code?: number; message?: string };
        if (status.code === 410) needRelist = true;
        else this.message = status.message;
        return;
      }
      const rv = obj?.metadata?.resourceVersion;
      if (rv) this.resourceVersion = rv;
      if (type === 'BOOKMARK') return;
      obj.apiVersion ??= this.apiVersion;
      obj.kind ??= this.kind;
      const slim = this.cache.slim(obj);
      const key = refKey(refOf(slim));
      const previous = this.objects.get(key);
      if (type === 'DELETED') this.objects.delete(key);
      else this.objects.set(key, slim);
      this.cache.emit({ type: type as 'ADDED' | 'MODIFIED' | 'DELETED', kindKey: this.key, key, object: slim, previous });
    };
    const query: Record<string, string | number | boolean> = {
      allowWatchBookmarks: true,
      // Let the server end the stream now and then; we resume from resourceVersion.
      timeoutSeconds: 240 + Math.floor(Math.random() * 120),
    };
    if (this.resourceVersion) query.resourceVersion = this.resourceVersion;
    const controller = await watcher.watch(collectionPath(info), query, onEvent, done);
    if (ended) return;
    this.controller = controller;
    this.attempt = 0;
    if (this.state !== 'synced') {
      this.setState('synced');
      this.cache.emit({ type: 'RELIST', kindKey: this.key });
    }
  }

  private failed(err: unknown, retry: () => Promise<void>): void {
    if (this.disposed) return;
    const code = err instanceof KubeHttpError ? err.statusCode : (err as { statusCode?: number })?.statusCode;
    const delay = Math.min(this.cache.opts.maxBackoffMs ?? 30_000, (this.cache.opts.minBackoffMs ?? 500) * 2 ** this.attempt);
    this.attempt++;
    this.retryAt = Date.now() + delay;
    const what = `${this.kind} (${this.apiVersion})`;
    if (code === 403) {
      this.setState('forbidden', `403 forbidden: cannot list/watch ${this.info?.plural ?? this.kind}: ${(err as Error).message}`);
    } else if (code === 404 && this.state === 'pending') {
      this.setState('unserved', `the server does not serve ${what}`);
      this.resolveFirst();
      return;
    } else {
      this.setState(this.state === 'synced' || this.state === 'stale' ? 'stale' : 'error',
        `${what}: ${(err as Error)?.message ?? String(err)} — retrying in ${Math.round(delay / 1000)} s`);
    }
    this.resolveFirst();
    this.cache.opts.log?.(`live cache: ${this.message}`);
    if (!this.cache.opts.watch) return; // the CLI lists once
    this.timer = setTimeout(() => { void retry(); }, delay);
    this.timer.unref?.();
  }
}

export class LiveCache {
  private readonly watchers = new Map<string, KindWatcher>();
  private readonly listeners = new Set<(e: LiveEvent) => void>();

  constructor(readonly opts: LiveCacheOptions) {}

  /** Start list(+watch) for kinds not yet cached; resolves once each has a first result (synced or failed). */
  async ensureKinds(kinds: { apiVersion: string; kind: string }[]): Promise<void> {
    const waits: Promise<void>[] = [];
    let rediscovered = false;
    const fresh = new Set(this.prefetched);
    for (const { apiVersion, kind } of kinds) {
      const key = kindKeyOf(apiVersion, kind);
      let w = this.watchers.get(key);
      if (w && this.prefetched.delete(w) && w.apiVersion !== apiVersion) {
        // Prefetched in another version than the one finally asked for: list again in that one.
        w.dispose();
        this.watchers.delete(key);
        w = undefined;
      }
      if (w?.state === 'unserved' && !fresh.has(w)) {
        // Asked again for a kind the server did not serve: a CRD may have been installed since.
        if (!rediscovered) { this.opts.discovery.reset(); rediscovered = true; }
        w.dispose();
        this.watchers.delete(key);
        w = undefined;
      }
      if (!w) {
        w = new KindWatcher(apiVersion, kind, key, this);
        this.watchers.set(key, w);
        w.start();
      }
      waits.push(w.firstResult);
    }
    await Promise.all(waits);
  }

  /** Watchers started by prefetchKinds and not yet asked for by ensureKinds. */
  private readonly prefetched = new Set<KindWatcher>();

  /** Start listing kinds that will soon be asked for (the CLI: while other apps still render), without
   *  waiting; ensureKinds then waits for them as if it had started them. */
  prefetchKinds(kinds: { apiVersion: string; kind: string }[]): void {
    for (const { apiVersion, kind } of kinds) {
      const key = kindKeyOf(apiVersion, kind);
      if (this.watchers.has(key)) continue;
      const w = new KindWatcher(apiVersion, kind, key, this);
      this.watchers.set(key, w);
      this.prefetched.add(w);
      w.start();
    }
  }

  /** Identical managedFields field sets (objects of one fleet applied the same way) are shared, not
   *  held once per object: the biggest part of a cached object after the last-applied annotation. */
  private readonly fieldSets = new Map<string, Record<string, unknown>>();

  slim(obj: KubeObject): KubeObject {
    slimLive(obj, this.opts.keepStatus?.(obj.kind) ?? false);
    // A one-shot run (no watch) lets go of everything within a second: sharing would cost more than it saves.
    if (!this.opts.watch) return obj;
    for (const entry of obj.metadata?.managedFields ?? []) {
      if (!entry.fieldsV1) continue;
      const key = JSON.stringify(entry.fieldsV1);
      const shared = this.fieldSets.get(key);
      if (shared) entry.fieldsV1 = shared;
      else if (this.fieldSets.size < 20_000) this.fieldSets.set(key, entry.fieldsV1);
    }
    return obj;
  }

  emit(e: LiveEvent): void {
    for (const l of this.listeners) {
      try { l(e); } catch (err) { this.opts.log?.(`live cache listener failed: ${(err as Error).message}`); }
    }
  }

  onEvent(cb: (e: LiveEvent) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  get(key: string): KubeObject | undefined {
    return this.watchers.get(kindKeyOfRefKey(key))?.objects.get(key);
  }

  objectsOf(kindKey: string): Iterable<KubeObject> {
    return this.watchers.get(kindKey)?.objects.values() ?? [];
  }

  hasKind(kindKey: string): boolean {
    return this.watchers.has(kindKey);
  }

  /** A kind's state without building a status object (asked once per compared object). */
  kindState(kindKey: string): Pick<KindStatus, 'kind' | 'state' | 'message'> | undefined {
    return this.watchers.get(kindKey);
  }

  kinds(): KindStatus[] {
    return [...this.watchers.values()].map((w) => w.status());
  }

  size(): number {
    let n = 0;
    for (const w of this.watchers.values()) n += w.objects.size;
    return n;
  }

  dispose(): void {
    for (const w of this.watchers.values()) w.dispose();
    this.watchers.clear();
    this.listeners.clear();
  }
}
