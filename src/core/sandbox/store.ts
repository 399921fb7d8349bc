// The sandbox's etcd: objects per resource bucket, one global resourceVersion counter, a bounded event
// history per bucket (watch resume / 410), watchers, and optional persistence (one JSON file per
// object, written to a temp file then renamed, so a crash never leaves a torn object).
//
// Stored objects are never mutated: writers build a new object and hand it to put().
import fs from 'node:fs';
import path from 'node:path';
import type { KubeObject } from '../model';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface StoreEvent { type: EventType; rv: number; object: KubeObject; old?: KubeObject }

export interface StoreWatcher {
  bucket: string;
  /** Called synchronously for every event of its bucket. */
  onEvent(e: StoreEvent): void;
}

/** Events kept per bucket for watch resume; older resourceVersions answer 410 Expired. */
export const HISTORY_LIMIT = 2000;

const objectKey = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`;

/** The order lists are served in (namespace, then name); list paging seeks continue keys with it. */
export function compareKeys(aNs: string, aName: string, bNs: string, bName: string): number {
  return aNs.localeCompare(bNs) || aName.localeCompare(bName);
}
const compareObjects = (a: KubeObject, b: KubeObject) => compareKeys(a.metadata.namespace ?? '', a.metadata.name, b.metadata.namespace ?? '', b.metadata.name);

function atomicWrite(file: string, data: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

export class Store {
  private rv = 0;
  private buckets = new Map<string, Map<string, KubeObject>>();
  private history = new Map<string, { events: StoreEvent[]; compactedRv: number }>();
  private watchers = new Set<StoreWatcher>();
  /** resourceVersion of each bucket's last write (absent: unchanged since start-up). */
  private changed = new Map<string, number>();
  /** Watches from a resourceVersion below this get 410 Expired (set at start-up and by the expire fault). */
  expiredAtOrBelow = 0;

  constructor(private stateDir?: string) {}

  get resourceVersion(): number { return this.rv; }

  nextRv(): number { return ++this.rv; }

  get(bucket: string, ns: string | undefined, name: string): KubeObject | undefined {
    return this.buckets.get(bucket)?.get(objectKey(ns, name));
  }

  /** Objects of a bucket (optionally one namespace), sorted by namespace then name. */
  list(bucket: string, ns?: string): KubeObject[] {
    const all = [...(this.buckets.get(bucket)?.values() ?? [])];
    const items = ns === undefined ? all : all.filter((o) => o.metadata.namespace === ns);
    return items.sort(compareObjects);
  }

  /** resourceVersion of the bucket's last write, 0 when none since start-up: the bucket's objects
   *  are the same at every resourceVersion from this one on. */
  changedAt(bucket: string): number { return this.changed.get(bucket) ?? 0; }

  bucketNames(): string[] { return [...this.buckets.keys()]; }

  /** Store a new version (resourceVersion already set by the caller via nextRv()). */
  put(bucket: string, obj: KubeObject): StoreEvent {
    const rv = Number(obj.metadata.resourceVersion);
    if (rv > this.rv) this.rv = rv;
    let b = this.buckets.get(bucket);
    if (!b) this.buckets.set(bucket, (b = new Map()));
    const key = objectKey(obj.metadata.namespace, obj.metadata.name);
    const old = b.get(key);
    b.set(key, obj);
    this.changed.set(bucket, rv);
    this.persist(bucket, obj);
    return this.emit(bucket, { type: old ? 'MODIFIED' : 'ADDED', rv, object: obj, old });
  }

  /** Remove an object; `last` is its final state carrying the deletion's resourceVersion. */
  remove(bucket: string, last: KubeObject): StoreEvent | undefined {
    const b = this.buckets.get(bucket);
    const key = objectKey(last.metadata.namespace, last.metadata.name);
    const old = b?.get(key);
    if (!b || !old) return undefined;
    b.delete(key);
    this.changed.set(bucket, Number(last.metadata.resourceVersion));
    this.unpersist(bucket, last);
    return this.emit(bucket, { type: 'DELETED', rv: Number(last.metadata.resourceVersion), object: last, old });
  }

  /** Events of a bucket after `rv`, or 'expired' when history no longer reaches back that far. */
  since(bucket: string, rv: number): StoreEvent[] | 'expired' {
    if (rv < this.expiredAtOrBelow) return 'expired';
    const h = this.history.get(bucket);
    if (!h) return rv < this.expiredAtOrBelow ? 'expired' : [];
    if (rv < h.compactedRv) return 'expired';
    return h.events.filter((e) => e.rv > rv);
  }

  /** Make every resourceVersion issued so far too old for a watch (fault injection). */
  expireAll(): void { this.expiredAtOrBelow = this.rv + 1; }

  watch(w: StoreWatcher): () => void {
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  private emit(bucket: string, e: StoreEvent): StoreEvent {
    let h = this.history.get(bucket);
    if (!h) this.history.set(bucket, (h = { events: [], compactedRv: 0 }));
    h.events.push(e);
    if (h.events.length > HISTORY_LIMIT) {
      const dropped = h.events.splice(0, h.events.length - HISTORY_LIMIT);
      h.compactedRv = dropped[dropped.length - 1].rv;
    }
    this.persistRv();
    for (const w of this.watchers) if (w.bucket === bucket) w.onEvent(e);
    return e;
  }

  // ---- persistence ----

  private fileOf(bucket: string, obj: KubeObject): string {
    return path.join(this.stateDir!, 'objects', encodeURIComponent(`${bucket}|${obj.metadata.namespace ?? ''}|${obj.metadata.name}`) + '.json');
  }

  private persist(bucket: string, obj: KubeObject): void {
    if (!this.stateDir) return;
    atomicWrite(this.fileOf(bucket, obj), JSON.stringify({ bucket, object: obj }));
  }

  private unpersist(bucket: string, obj: KubeObject): void {
    if (!this.stateDir) return;
    fs.rmSync(this.fileOf(bucket, obj), { force: true });
  }

  private persistRv(): void {
    if (!this.stateDir) return;
    atomicWrite(path.join(this.stateDir, 'resourceVersion'), String(this.rv));
  }

  /** Load a state directory: returns the stored objects (bucket + object) for the server to re-register. */
  load(): { bucket: string; object: KubeObject }[] {
    if (!this.stateDir) return [];
    const dir = path.join(this.stateDir, 'objects');
    fs.mkdirSync(dir, { recursive: true });
    const rvFile = path.join(this.stateDir, 'resourceVersion');
    if (fs.existsSync(rvFile)) this.rv = Math.max(this.rv, Number(fs.readFileSync(rvFile, 'utf8')) || 0);
    const out: { bucket: string; object: KubeObject }[] = [];
    for (const f of fs.readdirSync(dir)) {
      if (!f.endsWith('.json')) { if (f.endsWith('.tmp')) fs.rmSync(path.join(dir, f), { force: true }); continue; }
      try {
        const rec = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { bucket: string; object: KubeObject };
        let b = this.buckets.get(rec.bucket);
        if (!b) this.buckets.set(rec.bucket, (b = new Map()));
        b.set(objectKey(rec.object.metadata.namespace, rec.object.metadata.name), rec.object);
        this.rv = Math.max(this.rv, Number(rec.object.metadata.resourceVersion) || 0);
        out.push(rec);
      } catch { /* a torn file cannot happen with rename; skip anything unreadable */ }
    }
    // No event history survives a restart: a watch from before it must re-list (410), as after etcd compaction.
    this.expiredAtOrBelow = this.rv;
    return out;
  }
}
