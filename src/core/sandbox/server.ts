// The sandbox API server: an HTTPS server on 127.0.0.1 that real kubectl (1.29-1.33) and client-node
// 1.x cannot tell from Kubernetes for what this product does (../shared/k8s-api.md). Kubernetes
// semantics (defaults, patches, server-side apply, managedFields) come from src/core/k8s; this file is
// the REST surface, bookkeeping (uid, resourceVersion, generation), watch, auth and faults.
import crypto from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../model';
import { applyDefaults, applyJsonPatch, applyMergePatch, applyStrategicMergePatch, conflictMessage, PatchError, recordUpdate, serverSideApply } from './k8s';
import type { SandboxCerts } from './certs';
import { discoveryApi, discoveryApis, discoveryGroup, discoveryResources, openapiGroup, openapiRoot, versionInfo } from './discovery';
import { Faults, type FaultSpec } from './faults';
import { decodeProtobufObject } from './protobuf';
import { validateObject } from './validation';
import { apiVersionOf, bucketOf, hasGeneration, qualifiedName, Registry, type ResourceType } from './registry';
import { fieldMatcher, labelMatcher, type Matcher } from './selectors';
import { Simulator } from './simulator';
import {
  alreadyExists, ApiError, badRequest, conflict, forbidden, invalid, methodNotAllowed, namespaceNotFound, notFound,
  pathNotFound, unauthorized, unsupportedMediaType,
} from './status';
import { compareKeys, Store, type StoreEvent } from './store';

export interface SandboxServerOptions {
  certs: SandboxCerts;
  /** Admin bearer token (full access). */
  token: string;
  /** Read-only bearer token (user `readonly`: get/list/watch except Secrets). */
  readonlyToken: string;
  port?: number;
  stateDir?: string;
  /** Minor version reported by /version (29-33). */
  minor?: number;
  log?: (line: string) => void;
}

export interface RequestContext {
  user: 'admin' | 'readonly';
  userAgent: string;
}

interface Target { type: ResourceType; namespace?: string; name?: string; sub?: string }

interface WriteContext {
  manager: string;
  subresource?: string;
  /** The candidate came from serverSideApply and already carries its managedFields. */
  applied?: boolean;
  dryRun: boolean;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const clone = <T>(v: T): T => structuredClone(v);

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((v, i) => deepEqual(v, (b as unknown[])[i]));
  const ka = Object.keys(a).filter((k) => (a as any)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as any)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as any)[k], (b as any)[k]));
}

/** JSON of a stored object, made once however many watchers send it (stored objects never change). */
const jsonCache = new WeakMap<object, string>();
function serialized(obj: unknown): string {
  if (typeof obj !== 'object' || obj === null) return JSON.stringify(obj);
  let text = jsonCache.get(obj);
  if (text === undefined) jsonCache.set(obj, (text = JSON.stringify(obj)));
  return text;
}

/** A response body that is already JSON text. */
class RawJson { constructor(readonly text: string) {} }

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---- list paging, as kube-apiserver's etcd3 storage does it
// A continue token is base64url (no padding) of {"v":"meta.k8s.io/v1","rv":<list resourceVersion>,
// "start":<key after the last item, relative to the list's scope>}; rv -1 continues at the latest
// state (the token a 410 offers). Pages of one list are served from the item array the first page
// saw, kept by resourceVersion for a while (etcd keeps old revisions until compaction, 5 min by default).

/** How long, and how many, list states stay continuable. */
const SNAPSHOT_TTL_MS = 5 * 60_000;
const SNAPSHOT_LIMIT = 32;

const INCONSISTENT_CONTINUE = 'The provided continue parameter is too old to display a consistent list result. You can start a new list without '
  + 'the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided '
  + 'token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned '
  + 'and now may show up in the list.';

/** 410 Expired for a continue token whose state is gone; metadata.continue resumes from the same key at the latest state. */
class ExpiredContinue extends ApiError {
  constructor(private readonly next: string) { super(410, 'Expired', INCONSISTENT_CONTINUE); }
  override toStatus(): Record<string, unknown> { return { ...super.toStatus(), metadata: { continue: this.next } }; }
}

interface ContinueToken { rv: number; start: string }

const encodeContinue = (rv: number, start: string) => Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');

function decodeContinue(value: string): ContinueToken {
  const invalid = (why: string) => badRequest(`invalid continue token: continue key is not valid: ${why}`);
  const bad = /[^A-Za-z0-9_-]/.exec(value);
  if (bad) throw invalid(`illegal base64 data at input byte ${bad.index}`);
  let c: any;
  try { c = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')); } catch (err) { throw invalid((err as Error).message); }
  if (!isObject(c) || c.v !== 'meta.k8s.io/v1') throw invalid(`server does not recognize this encoded version ${JSON.stringify(isObject(c) ? c.v ?? '' : '')}`);
  if (!Number.isInteger(c.rv) || c.rv === 0) throw invalid('incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof c.start !== 'string' || !c.start) throw invalid('encoded start key empty (version meta.k8s.io/v1)');
  // Like path.Clean in upstream: a key cannot climb out of the list's scope.
  const start = c.start.replace(/^\//, '');
  if (/(^|\/)\.\.?(\/|\0?$)|\/\/|\/\0?$/.test(start)) throw invalid(c.start);
  return { rv: c.rv, start };
}

/** ValidateListOptions: resourceVersionMatch needs a resourceVersion, no continue, and Exact a non-zero one (422). */
function validateListOptions(rv: string, match: string, cont: string): void {
  if (!match) return;
  const causes: { reason: string; message: string; field: string }[] = [];
  const forbid = (message: string) => causes.push({ reason: 'FieldValueForbidden', message: `Forbidden: ${message}`, field: 'resourceVersionMatch' });
  if (!rv) forbid('resourceVersionMatch is forbidden unless resourceVersion is provided');
  if (cont) forbid('resourceVersionMatch is forbidden when continue is provided');
  if (match !== 'Exact' && match !== 'NotOlderThan') {
    causes.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan", ""`, field: 'resourceVersionMatch' });
  }
  if (match === 'Exact' && rv === '0') forbid('resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
  if (!causes.length) return;
  const each = causes.map((c) => `${c.field}: ${c.message}`);
  throw new ApiError(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: ${each.length === 1 ? each[0] : `[${each.join(', ')}]`}`,
    { name: '', group: 'meta.k8s.io', kind: 'ListOptions', causes });
}

/** First index in [lo, hi) whose item is not before `probe` (> when `after`), items sorted by `probe`'s order. */
function seek(items: KubeObject[], lo: number, hi: number, probe: (o: KubeObject) => number, after: boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = probe(items[mid]);
    if (c < 0 || (after && c === 0)) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** Manager for a write: ?fieldManager=, else the User-Agent before the first '/', else "unknown". */
function managerOf(query: URLSearchParams, userAgent: string): string {
  const fm = query.get('fieldManager');
  if (fm) return fm;
  // eslint-disable-next-line no-control-regex
  const ua = userAgent.split('/')[0].replace(/[^\x20-\x7e]/g, '');
  return ua || 'unknown';
}

function selectorString(selector: unknown): string {
  if (!isObject(selector)) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {}).sort(([a], [b]) => a.localeCompare(b))) parts.push(`${k}=${v}`);
  for (const e of (selector.matchExpressions ?? []) as { key: string; operator: string; values?: string[] }[]) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

function getPath(obj: unknown, dotted: string): unknown {
  return dotted.replace(/^\./, '').split('.').reduce<any>((v, k) => (v == null ? undefined : v[k]), obj);
}
function setPath(obj: Record<string, any>, dotted: string, value: unknown): void {
  const keys = dotted.replace(/^\./, '').split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) cur = isObject(cur[k]) ? cur[k] : (cur[k] = {});
  cur[keys[keys.length - 1]] = value;
}

export class SandboxServer {
  readonly registry = new Registry();
  readonly store: Store;
  readonly faults = new Faults();
  private simulator: Simulator;
  private server?: https.Server;
  private sockets = new Set<Socket>();
  private activeWatches = new Set<{ end(reset: boolean): void }>();
  private usedIPs = new Set<string>(['10.96.0.1', '10.96.0.10']);
  private usedNodePorts = new Set<number>();
  private openapiHashCache?: { rv: string; paths: Record<string, unknown> };
  /** Each bucket's objects in list order, sorted again only after the bucket changed. Never mutated:
   *  list states kept for continue tokens share these arrays. */
  private sortedBuckets = new Map<string, { changedAt: number; items: KubeObject[] }>();
  /** List states continue tokens point into, by `bucket|resourceVersion`, oldest first. */
  private listStates = new Map<string, { items: KubeObject[]; until: number }>();
  /** Fault: how many more requests with a continue token answer 410 Expired. */
  private expireContinues = 0;
  private log: (line: string) => void;
  port = 0;

  constructor(private opts: SandboxServerOptions) {
    this.store = new Store(opts.stateDir);
    this.log = opts.log ?? (() => {});
    this.simulator = new Simulator(this);
    this.load();
  }

  // ---------------------------------------------------------------- start-up

  private load(): void {
    const records = this.store.load();
    // CRDs first so their kinds are served before their objects are looked at.
    for (const { object } of records) if (object.kind === 'CustomResourceDefinition') this.registry.registerCrd(object);
    for (const { object } of records) {
      if (object.kind === 'Service') this.trackServiceAllocations(object, true);
    }
    if (records.length) this.log(`loaded ${records.length} objects from ${this.opts.stateDir} (resourceVersion ${this.store.resourceVersion})`);
    const nsType = this.registry.find('', 'v1', 'namespaces')!;
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      if (!this.store.get(bucketOf(nsType), undefined, ns)) {
        this.write(nsType, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, { manager: 'kube-apiserver', dryRun: false });
      }
    }
    // Workloads loaded from disk converge again (their status may predate a spec change).
    for (const t of this.registry.all()) this.simulator.reconcileAll(t);
  }

  async listen(port = this.opts.port ?? 0): Promise<number> {
    const server = https.createServer({ cert: this.opts.certs.serverCert, key: this.opts.certs.serverKey }, (req, res) => {
      this.handle(req, res).catch((err) => this.sendError(res, err));
    });
    // Longer than clients keep idle connections (Go: 90 s), so a client never reuses one we just closed.
    server.keepAliveTimeout = 120_000;
    server.headersTimeout = 125_000;
    server.on('connection', (s: Socket) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  async close(): Promise<void> {
    this.simulator.stop();
    for (const w of [...this.activeWatches]) w.end(false);
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  private peekClusterIP(): string {
    for (let i = 10; i < 65534; i++) {
      if (i % 256 === 0 || i % 256 === 255) continue;
      const ip = `10.96.${Math.floor(i / 256)}.${i % 256}`;
      if (!this.usedIPs.has(ip)) return ip;
    }
    throw new ApiError(500, 'InternalError', 'Internal error occurred: failed to allocate a serviceIP: range is full');
  }

  allocateClusterIP(): string {
    const ip = this.peekClusterIP();
    this.usedIPs.add(ip);
    return ip;
  }

  private peekNodePort(): number {
    for (let p = 30000; p <= 32767; p++) if (!this.usedNodePorts.has(p)) return p;
    throw new ApiError(500, 'InternalError', 'Internal error occurred: failed to allocate a nodePort: range is full');
  }

  allocateNodePort(): number {
    const p = this.peekNodePort();
    this.usedNodePorts.add(p);
    return p;
  }

  // ---------------------------------------------------------------- HTTP

  private send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent) { res.end(); return; }
    const text = body instanceof RawJson ? body.text : JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  private sendError(res: ServerResponse, err: unknown): void {
    const e = err instanceof ApiError ? err
      : err instanceof PatchError ? new ApiError(err.code, err.reason, err.message)
        : new ApiError(500, 'InternalError', `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);
    if (e.code >= 500) this.log(`error: ${e.message}${err instanceof Error && !(err instanceof ApiError) ? `\n${err.stack}` : ''}`);
    const headers: Record<string, string> = {};
    if (e.details?.retryAfterSeconds) headers['retry-after'] = String(e.details.retryAfterSeconds);
    this.send(res, e.code, e.toStatus(), headers);
  }

  private async readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  private parseBody(body: Buffer, contentType: string): any {
    if (/protobuf/.test(contentType)) {
      // kubectl 1.32+ generators (create namespace/configmap/secret/serviceaccount) send protobuf.
      let obj: Record<string, unknown> | undefined;
      try { obj = decodeProtobufObject(body); } catch (err) { throw badRequest(`the body of the request could not be decoded: ${(err as Error).message}`); }
      if (obj) return obj;
      throw unsupportedMediaType(contentType, ['application/json', 'application/yaml']);
    }
    if (/cbor/.test(contentType)) throw unsupportedMediaType(contentType, ['application/json', 'application/yaml']);
    const text = body.toString('utf8');
    if (!text.trim()) throw badRequest('the request body is empty');
    try {
      return /yaml/.test(contentType) ? parseYaml(text) : JSON.parse(text);
    } catch (err) {
      throw badRequest(`the body of the request could not be decoded: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const p = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';

    // Public endpoints, as on a real cluster (system:public-info-viewer).
    if (['/healthz', '/readyz', '/livez'].includes(p) || /^\/(healthz|readyz|livez)\//.test(p)) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (p === '/version') return this.send(res, 200, versionInfo(this.opts.minor ?? 32));

    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    const user = token && token === this.opts.token ? 'admin' : token && token === this.opts.readonlyToken ? 'readonly' : undefined;
    if (!user) throw unauthorized();

    if (p === '/_sandbox/faults') {
      if (user !== 'admin') throw new ApiError(403, 'Forbidden', 'only the admin token may inject faults');
      if (method === 'GET') return this.send(res, 200, this.faults.describe());
      const spec = this.parseBody(await this.readBody(req), 'application/json') as FaultSpec;
      this.applyFault(spec);
      return this.send(res, 200, this.faults.describe());
    }

    await this.faults.beforeRequest(p, method);

    const ctx: RequestContext = { user, userAgent: String(req.headers['user-agent'] ?? '') };
    if (p === '/api') return this.send(res, 200, discoveryApi());
    if (p === '/apis') return this.send(res, 200, discoveryApis(this.registry));
    if (p === '/openapi/v2' || p === '/swagger.json') throw pathNotFound();
    if (p === '/openapi/v3') return this.send(res, 200, openapiRoot(this.registry, this.store.resourceVersion));
    if (p.startsWith('/openapi/v3/')) {
      const gv = p.slice('/openapi/v3/'.length);
      const doc = openapiGroup(this.registry, gv);
      if (!doc) throw pathNotFound();
      return this.send(res, 200, doc);
    }

    const segs = p.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string; let version: string; let rest: string[];
    if (segs[0] === 'api') {
      if (segs.length === 1) return this.send(res, 200, discoveryApi());
      group = ''; version = segs[1]; rest = segs.slice(2);
    } else if (segs[0] === 'apis') {
      if (segs.length === 2) {
        const g = discoveryGroup(this.registry, segs[1]);
        if (!g) throw pathNotFound();
        return this.send(res, 200, g);
      }
      group = segs[1]; version = segs[2]; rest = segs.slice(3);
    } else {
      throw pathNotFound();
    }
    if (!rest.length) {
      const list = discoveryResources(this.registry, group, version);
      if (!list) throw pathNotFound();
      return this.send(res, 200, list);
    }
    const target = this.resolve(group, version, rest);
    await this.dispatch(req, res, url.searchParams, target, ctx, method);
  }

  private resolve(group: string, version: string, rest: string[]): Target {
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && !['status', 'finalize'].includes(rest[2])) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    if (rest.length > 3) throw pathNotFound();
    const [plural, name, sub] = rest;
    const type = this.registry.find(group, version, plural);
    if (!type) throw pathNotFound();
    if (namespace !== undefined && !type.namespaced) throw pathNotFound();
    if (sub && !type.subresources.includes(sub)) throw pathNotFound();
    return { type, namespace, name, sub };
  }

  private authorize(ctx: RequestContext, verb: string, t: Target): void {
    const denied = this.faults.isForbidden(ctx.user, verb, t.type)
      || (ctx.user === 'readonly' && (!['get', 'list', 'watch'].includes(verb) || t.type.kind === 'Secret' || this.faults.refuseReadonly));
    if (denied) throw forbidden(ctx.user === 'admin' ? 'sandbox-admin' : 'readonly', verb, t.type, t.namespace, t.name);
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, t: Target, ctx: RequestContext, method: string): Promise<void> {
    const watch = q.get('watch') === 'true' || q.get('watch') === '1';
    if (watch && method === 'GET' && t.name && !t.sub) {
      // The old single-object form (/…/configmaps/x?watch=1) is a collection watch on that name.
      q.set('fieldSelector', [q.get('fieldSelector'), `metadata.name=${t.name}`].filter(Boolean).join(','));
      t = { ...t, name: undefined };
    }
    const verb = method === 'GET' ? (t.name ? 'get' : watch ? 'watch' : 'list')
      : method === 'POST' ? 'create' : method === 'PUT' ? 'update' : method === 'PATCH' ? 'patch'
        : method === 'DELETE' ? (t.name ? 'delete' : 'deletecollection') : '';
    if (!verb) throw methodNotAllowed(method);
    this.authorize(ctx, verb, t);
    const dryRun = q.getAll('dryRun').includes('All');
    if (q.getAll('dryRun').some((d) => d !== 'All')) throw badRequest(`unsupported dry run value`);
    const manager = managerOf(q, ctx.userAgent);
    if (manager.length > 128) throw badRequest('fieldManager is too long (max 128 characters)');

    switch (verb) {
      case 'get': return this.send(res, 200, new RawJson(serialized(this.getOne(t))));
      case 'list': {
        const { items, ...head } = this.listOf(t, q);
        return this.send(res, 200, new RawJson(`${JSON.stringify(head).slice(0, -1)},"items":[${items.map(serialized).join(',')}]}`));
      }
      case 'watch': return this.serveWatch(req, res, t, q);
      case 'create': {
        if (t.name) throw methodNotAllowed(method);
        const body = this.parseBody(await this.readBody(req), String(req.headers['content-type'] ?? ''));
        const out = this.create(t, body, { manager, dryRun });
        return this.send(res, 201, this.present(t.type, out));
      }
      case 'update': {
        const body = this.parseBody(await this.readBody(req), String(req.headers['content-type'] ?? ''));
        const out = this.update(t, body, { manager, dryRun, subresource: t.sub });
        return this.send(res, 200, t.sub === 'scale' ? this.scaleOf(t.type, out) : this.present(t.type, out));
      }
      case 'patch': {
        const contentType = String(req.headers['content-type'] ?? '').split(';')[0].trim();
        const text = await this.readBody(req);
        const { object, created } = this.patch(t, contentType, text, q, { manager, dryRun, subresource: t.sub }, q.get('fieldManager') ?? undefined);
        return this.send(res, created ? 201 : 200, t.sub === 'scale' ? this.scaleOf(t.type, object) : this.present(t.type, object));
      }
      case 'delete': {
        // DeleteOptions may carry preconditions (uid, resourceVersion) and dryRun.
        const raw = await this.readBody(req);
        let options: any = {};
        if (raw.length) { try { options = JSON.parse(raw.toString('utf8')); } catch { throw badRequest('the body of the request could not be decoded as DeleteOptions'); } }
        const pre = isObject(options?.preconditions) ? options.preconditions : {};
        if (pre.uid || pre.resourceVersion) {
          const live = this.live(t);
          if (pre.uid && pre.uid !== live.metadata.uid) {
            throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedName(t.type)} "${t.name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${live.metadata.uid}`);
          }
          if (pre.resourceVersion && pre.resourceVersion !== live.metadata.resourceVersion) {
            throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedName(t.type)} "${t.name}": Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${live.metadata.resourceVersion}`);
          }
        }
        const out = this.deleteOne(t, dryRun || (Array.isArray(options?.dryRun) && options.dryRun.includes('All')));
        return this.send(res, 200, out);
      }
      case 'deletecollection': {
        const match = this.matcher(q);
        const { items: all, lo, hi } = this.scope(t, this.sortedItems(bucketOf(t.type)));
        const items = all.slice(lo, hi).filter(match);
        for (const item of items) this.deleteOne({ ...t, namespace: item.metadata.namespace, name: item.metadata.name }, dryRun);
        return this.send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' });
      }
    }
  }

  // ---------------------------------------------------------------- reads

  /** The object as served through `type`'s version (custom resources may be stored under another). */
  present(type: ResourceType, obj: KubeObject): KubeObject {
    const apiVersion = apiVersionOf(type);
    return obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion };
  }

  private live(t: Target): KubeObject {
    const obj = this.store.get(bucketOf(t.type), t.type.namespaced ? t.namespace : undefined, t.name!);
    if (!obj) throw notFound(t.type, t.name!);
    return obj;
  }

  private getOne(t: Target): unknown {
    const obj = this.live(t);
    return t.sub === 'scale' ? this.scaleOf(t.type, obj) : this.present(t.type, obj);
  }

  private matcher(q: URLSearchParams): Matcher {
    const l = labelMatcher(q.get('labelSelector'));
    const f = fieldMatcher(q.get('fieldSelector'));
    return (o) => l(o) && f(o);
  }

  /** A bucket's objects in list order (shared, never to be mutated). */
  private sortedItems(bucket: string): KubeObject[] {
    const changedAt = this.store.changedAt(bucket);
    let sorted = this.sortedBuckets.get(bucket);
    if (!sorted || sorted.changedAt !== changedAt) this.sortedBuckets.set(bucket, (sorted = { changedAt, items: this.store.list(bucket) }));
    return sorted.items;
  }

  /** The index range of `items` a list of target `t` covers (one namespace is a contiguous run). */
  private scope(t: Target, items: KubeObject[]): { items: KubeObject[]; lo: number; hi: number } {
    if (t.namespace === undefined) return { items, lo: 0, hi: items.length };
    const ns = t.namespace;
    const probe = (o: KubeObject) => (o.metadata.namespace ?? '').localeCompare(ns);
    return { items, lo: seek(items, 0, items.length, probe, false), hi: seek(items, 0, items.length, probe, true) };
  }

  /** The bucket's items as they were at `rv`, when still known: a kept list state, or today's when
   *  the bucket has not changed since (and rv is not older than the last expiry). */
  private itemsAt(bucket: string, rv: number): KubeObject[] | undefined {
    if (rv > this.store.resourceVersion) return undefined;
    const key = `${bucket}|${rv}`;
    const kept = this.listStates.get(key);
    if (kept && kept.until > Date.now()) return kept.items;
    if (kept) this.listStates.delete(key);
    // The expire fault drops kept states and makes every resourceVersion so far too old, the current
    // one included; a list made after it at that same resourceVersion has a kept state of its own.
    if (rv < this.store.expiredAtOrBelow) return undefined;
    return this.store.changedAt(bucket) <= rv ? this.sortedItems(bucket) : undefined;
  }

  private keepListState(bucket: string, rv: number, items: KubeObject[]): void {
    const key = `${bucket}|${rv}`;
    this.listStates.delete(key);
    this.listStates.set(key, { items, until: Date.now() + SNAPSHOT_TTL_MS });
    for (const [k, v] of this.listStates) {
      if (this.listStates.size <= SNAPSHOT_LIMIT && v.until > Date.now()) break;
      this.listStates.delete(k);
    }
  }

  /**
   * LIST with kube-apiserver's paging and resourceVersion semantics
   * (https://kubernetes.io/docs/reference/using-api/api-concepts/#semantics-for-get-and-list):
   * `limit` pages (except with resourceVersion=0, which the watch cache serves whole); every page of a
   * list is cut from the state its first page saw and carries that resourceVersion; selectors filter
   * before the limit counts; remainingItemCount only without selectors; resourceVersion=N with a limit
   * or resourceVersionMatch=Exact is served at exactly N or answers 410.
   */
  private listOf(t: Target, q: URLSearchParams): { kind: string; apiVersion: string; metadata: Record<string, unknown>; items: unknown[] } {
    const match = this.matcher(q);
    const selective = !!(q.get('labelSelector') || q.get('fieldSelector'));
    const limitParam = q.get('limit') ?? '';
    if (limitParam && !/^-?\d+$/.test(limitParam)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(limitParam)}: invalid syntax`);
    const limit = Number(limitParam || 0);
    const rvParam = q.get('resourceVersion') ?? '';
    const rvMatch = q.get('resourceVersionMatch') ?? '';
    const cont = q.get('continue') ?? '';
    validateListOptions(rvParam, rvMatch, cont);
    if (rvParam && !/^\d+$/.test(rvParam)) throw badRequest(`invalid resource version: ${rvParam}`);
    const bucket = bucketOf(t.type);
    const current = this.store.resourceVersion;

    let rv = current;
    let all: KubeObject[] | undefined;
    let token: ContinueToken | undefined;
    if (cont) {
      token = decodeContinue(cont);
      if (rvParam && rvParam !== '0') throw badRequest('specifying resource version is not allowed when using continue');
      if (this.expireContinues > 0) { this.expireContinues--; throw new ExpiredContinue(encodeContinue(-1, token.start)); }
      if (token.rv > 0) {
        all = this.itemsAt(bucket, token.rv);
        if (!all) throw new ExpiredContinue(encodeContinue(-1, token.start));
        rv = token.rv;
      }
    } else if (rvParam && rvParam !== '0') {
      const wanted = Number(rvParam);
      if (wanted > current) {
        throw new ApiError(504, 'Timeout', `Too large resource version: ${wanted}, current: ${current}`,
          { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
      }
      if (rvMatch === 'Exact' || (!rvMatch && limit > 0)) {
        all = this.itemsAt(bucket, wanted);
        if (!all) throw new ApiError(410, 'Expired', 'The resourceVersion for the provided list is too old.');
        rv = wanted;
      }
    }
    all ??= this.sortedItems(bucket);
    const { lo, hi } = this.scope(t, all);

    let from = lo;
    if (token) {
      // The start key is the scope-relative key after the last item served ("ns/name\0" or "name\0").
      const exclusive = token.start.endsWith('\0');
      const key = exclusive ? token.start.slice(0, -1) : token.start;
      const slash = t.type.namespaced && t.namespace === undefined ? key.indexOf('/') : -1;
      const ns = t.type.namespaced ? (t.namespace ?? (slash >= 0 ? key.slice(0, slash) : key)) : '';
      const name = slash >= 0 ? key.slice(slash + 1) : t.type.namespaced && t.namespace === undefined ? '' : key;
      from = seek(all, lo, hi, (o) => compareKeys(o.metadata.namespace ?? '', o.metadata.name, ns, name), exclusive);
    }
    // resourceVersion=0 is "any": the watch cache answers it whole, limit or not (a continue token still pages).
    const pageSize = limit > 0 && (token || rvParam !== '0') ? limit : Infinity;
    const items: unknown[] = [];
    let i = from;
    for (; i < hi && items.length < pageSize; i++) if (match(all[i])) items.push(this.present(t.type, all[i]));
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
    if (i < hi) {
      const last = all[i - 1].metadata;
      metadata.continue = encodeContinue(rv, `${t.type.namespaced && t.namespace === undefined ? `${last.namespace}/` : ''}${last.name}\0`);
      if (!selective) metadata.remainingItemCount = hi - i;
      this.keepListState(bucket, rv, all);
    }
    return { kind: t.type.listKind, apiVersion: apiVersionOf(t.type), metadata, items };
  }

  scaleOf(type: ResourceType, obj: KubeObject): Record<string, unknown> {
    const spec = type.scale?.specReplicasPath ?? '.spec.replicas';
    const status = type.scale?.statusReplicasPath ?? '.status.replicas';
    const selector = type.scale ? (type.scale.labelSelectorPath ? getPath(obj, type.scale.labelSelectorPath) : undefined) : selectorString((obj.spec as any)?.selector);
    const m = obj.metadata;
    return {
      kind: 'Scale', apiVersion: 'autoscaling/v1',
      metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
      spec: { replicas: Number(getPath(obj, spec) ?? 0) },
      status: { replicas: Number(getPath(obj, status) ?? 0), ...(selector ? { selector } : {}) },
    };
  }

  // ---------------------------------------------------------------- writes

  private checkIdentity(t: Target, body: any, nameRequired: boolean): void {
    if (!isObject(body)) throw badRequest('the request body must be a JSON object');
    const expectKind = t.sub === 'scale' ? 'Scale' : t.type.kind;
    if (body.kind !== undefined && body.kind !== expectKind) {
      throw badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${apiVersionOf(t.type)})`.replace(/API version.*$/, `kind in the data (${body.kind}) does not match the expected kind (${expectKind})`));
    }
    if (t.sub !== 'scale' && body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(t.type)) {
      throw badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${apiVersionOf(t.type)})`);
    }
    body.metadata = isObject(body.metadata) ? body.metadata : {};
    const ns = body.metadata.namespace;
    if (t.type.namespaced && ns && t.namespace && ns !== t.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (t.name && body.metadata.name && body.metadata.name !== t.name) {
      throw badRequest('the name of the object (' + body.metadata.name + ') does not match the name on the URL (' + t.name + ')');
    }
    if (nameRequired && !body.metadata.name && !t.name) {
      if (body.metadata.generateName) body.metadata.name = `${body.metadata.generateName}${crypto.randomBytes(3).toString('hex').slice(0, 5)}`;
      else throw invalid(t.type, '', [{ field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' }]);
    }
  }

  private requireNamespace(t: Target): void {
    if (!t.type.namespaced) return;
    if (!t.namespace) throw badRequest('the server could not find the requested resource: namespace is required for namespaced resources');
    const nsType = this.registry.find('', 'v1', 'namespaces')!;
    if (!this.store.get(bucketOf(nsType), undefined, t.namespace)) throw namespaceNotFound(t.namespace);
  }

  create(t: Target, body: any, ctx: WriteContext): KubeObject {
    if (t.sub) throw methodNotAllowed('POST');
    this.checkIdentity(t, body, true);
    const name = body.metadata.name as string;
    const target: Target = { ...t, name, namespace: t.type.namespaced ? (t.namespace ?? body.metadata.namespace) : undefined };
    this.requireNamespace(target);
    if (this.store.get(bucketOf(t.type), target.namespace, name)) throw alreadyExists(t.type, name);
    return this.write(t.type, undefined, body, ctx, target.namespace);
  }

  update(t: Target, body: any, ctx: WriteContext): KubeObject {
    this.checkIdentity(t, body, false);
    const live = this.live(t);
    if (body.metadata.resourceVersion && body.metadata.resourceVersion !== live.metadata.resourceVersion) throw conflict(t.type, t.name!);
    let candidate: KubeObject;
    if (t.sub === 'scale') {
      candidate = this.withReplicas(t.type, live, body?.spec?.replicas);
    } else {
      candidate = body as KubeObject;
      candidate.metadata.name = t.name!;
    }
    return this.write(t.type, live, candidate, ctx);
  }

  private withReplicas(type: ResourceType, live: KubeObject, replicas: unknown): KubeObject {
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid(type, live.metadata.name, [{ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` }]);
    }
    const candidate = clone(live);
    setPath(candidate as any, type.scale?.specReplicasPath ?? '.spec.replicas', replicas);
    return candidate;
  }

  patch(t: Target, contentType: string, text: Buffer, q: URLSearchParams, ctx: WriteContext, explicitManager?: string): { object: KubeObject; created: boolean } {
    if (contentType === 'application/apply-patch+yaml' || contentType === 'application/apply-patch+json') {
      if (!explicitManager) throw invalid(t.type, t.name!, [{ field: 'fieldManager', reason: 'FieldValueRequired', message: 'Required value: is required for apply patch' }]);
      return this.apply(t, this.parseBody(text, 'yaml'), q.get('force') === 'true', { ...ctx, manager: explicitManager });
    }
    const live = this.live(t);
    const body = this.parseBody(text, 'application/json');
    let base: any = t.sub === 'scale' ? this.scaleOf(t.type, live) : clone(live);
    let patched: any;
    switch (contentType) {
      case 'application/merge-patch+json':
        patched = applyMergePatch(base, body);
        break;
      case 'application/json-patch+json':
        if (!Array.isArray(body)) throw badRequest('json patch must be an array of operations');
        patched = applyJsonPatch(base, body);
        break;
      case 'application/strategic-merge-patch+json':
        if (t.type.custom) throw unsupportedMediaType(contentType, ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']);
        // New keyed items go last, as ../shared/checks/kubectl-against-sandbox expects (upstream
        // mergeSortedSlice puts them first; GITOPS_SANDBOX_SMP_UPSTREAM_ORDER=1 restores that).
        patched = applyStrategicMergePatch(base, body, t.sub === 'scale' ? 'Scale' : t.type.kind, { newItemsLast: process.env.GITOPS_SANDBOX_SMP_UPSTREAM_ORDER !== '1' });
        break;
      default:
        throw unsupportedMediaType(contentType, ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml',
          ...(t.type.custom ? [] : ['application/strategic-merge-patch+json'])]);
    }
    base = undefined;
    if (!isObject(patched)) throw badRequest('the patch did not produce an object');
    const rv = patched.metadata?.resourceVersion;
    if (rv !== undefined && rv !== null && String(rv) !== live.metadata.resourceVersion) throw conflict(t.type, t.name!);
    if (t.sub === 'scale') return { object: this.write(t.type, live, this.withReplicas(t.type, live, patched.spec?.replicas), ctx), created: false };
    if (patched.metadata?.name !== undefined && patched.metadata.name !== t.name) throw badRequest('metadata.name cannot be changed by a patch');
    return { object: this.write(t.type, live, patched as KubeObject, ctx), created: false };
  }

  private apply(t: Target, applied: any, force: boolean, ctx: WriteContext): { object: KubeObject; created: boolean } {
    if (t.sub === 'scale') throw unsupportedMediaType('application/apply-patch+yaml', ['application/json-patch+json', 'application/merge-patch+json']);
    this.checkIdentity(t, applied, false);
    if (!applied.apiVersion || !applied.kind) throw badRequest('apply patches must set apiVersion and kind');
    applied.metadata.name = t.name;
    if (t.type.namespaced) applied.metadata.namespace = t.namespace; else delete applied.metadata.namespace;
    const live = this.store.get(bucketOf(t.type), t.namespace, t.name!);
    if (!live) {
      if (t.sub) throw notFound(t.type, t.name!);
      this.requireNamespace(t);
    }
    if (t.type.subresources.includes('status')) {
      // Each endpoint owns its half: the main resource ignores .status, /status everything else.
      if (t.sub === 'status') { for (const k of Object.keys(applied)) if (!['apiVersion', 'kind', 'metadata', 'status'].includes(k)) delete applied[k]; } else delete applied.status;
    }
    const precondition = applied.metadata.resourceVersion;
    if (precondition && live && String(precondition) !== live.metadata.resourceVersion) throw conflict(t.type, t.name!);
    delete applied.metadata.managedFields;
    delete applied.metadata.resourceVersion;
    const result = serverSideApply({ live: live ? clone(live) : undefined, applied, manager: ctx.manager, force, now: now(), apiVersion: apiVersionOf(t.type),
      subresource: t.sub, statusSubresource: t.type.subresources.includes('status') });
    if ('conflicts' in result) {
      const byManager = new Map<string, string[]>();
      for (const c of result.conflicts) {
        const who = conflictMessage(c).replace(/^conflict with/, 'conflicts with');
        byManager.set(who, [...(byManager.get(who) ?? []), c.field]);
      }
      const n = result.conflicts.length;
      const message = n === 1
        ? `Apply failed with 1 conflict: ${conflictMessage(result.conflicts[0])}: ${result.conflicts[0].field}`
        : `Apply failed with ${n} conflicts: ${[...byManager].map(([who, fields]) => `${who}:\n${fields.map((f) => `- ${f}`).join('\n')}`).join('\n')}`;
      throw new ApiError(409, 'Conflict', message, {
        causes: result.conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: conflictMessage(c), field: c.field })),
      });
    }
    const object = this.write(t.type, live, result.object, { ...ctx, applied: true }, t.namespace);
    return { object, created: !live };
  }

  /**
   * The one write path: bookkeeping (uid, creationTimestamp, generation, resourceVersion), status
   * ownership per endpoint, server defaults, managedFields, no-op detection, store and events.
   */
  write(type: ResourceType, live: KubeObject | undefined, input: KubeObject, ctx: WriteContext, namespace?: string): KubeObject {
    let next = clone(input) as KubeObject;
    next.apiVersion = apiVersionOf(type);
    next.kind = type.kind;
    next.metadata = isObject(next.metadata) ? next.metadata : ({} as KubeObject['metadata']);
    const md = next.metadata;
    md.name = live?.metadata.name ?? md.name;
    if (type.namespaced) md.namespace = live?.metadata.namespace ?? namespace ?? md.namespace; else delete md.namespace;
    const hasStatusSub = type.subresources.includes('status');

    if (ctx.subresource === 'status' && live) {
      // /status changes only .status (labels/annotations/spec stay as they are).
      next = { ...clone(live), status: next.status } as KubeObject;
      if (next.status === undefined) delete next.status;
      if (ctx.applied) next.metadata.managedFields = input.metadata.managedFields;
    } else if (hasStatusSub) {
      if (live) { if (live.status !== undefined) next.status = clone(live.status); else delete next.status; } else delete next.status;
    }
    const m = next.metadata;
    if (live) {
      m.uid = live.metadata.uid;
      m.creationTimestamp = live.metadata.creationTimestamp;
      if (hasGeneration(type)) m.generation = live.metadata.generation; else delete m.generation;
      if (live.metadata.deletionTimestamp) m.deletionTimestamp = live.metadata.deletionTimestamp;
    } else {
      m.uid = crypto.randomUUID();
      m.creationTimestamp = now();
      if (hasGeneration(type)) m.generation = 1; else delete m.generation;
      delete m.deletionTimestamp;
    }
    delete m.resourceVersion;
    delete m.selfLink;
    if (m.labels && !Object.keys(m.labels).length) delete m.labels;
    if (m.annotations && !Object.keys(m.annotations).length) delete m.annotations;
    if (m.labels === null) delete m.labels;
    if (m.annotations === null) delete m.annotations;

    if (ctx.subresource !== 'status') {
      const causes = validateObject(type, next);
      if (causes.length) throw invalid(type, m.name, causes);
    }
    if (!type.custom && ctx.subresource !== 'status') {
      // A dry run must not use up an address.
      applyDefaults(next, {
        previous: live,
        allocateClusterIP: () => (ctx.dryRun ? this.peekClusterIP() : this.allocateClusterIP()),
        allocateNodePort: () => (ctx.dryRun ? this.peekNodePort() : this.allocateNodePort()),
      });
    }
    this.serverStatus(type, next, live);

    if (!ctx.applied) {
      // next still carries the request's managedFields: none keeps the live ones, [] resets them.
      next.metadata.managedFields = recordUpdate({ before: live, after: next, manager: ctx.manager, now: now(), apiVersion: apiVersionOf(type),
        subresource: ctx.subresource, statusSubresource: hasStatusSub });
    }
    if (Array.isArray(next.metadata.managedFields) && !next.metadata.managedFields.length) delete next.metadata.managedFields;

    if (live && hasGeneration(type) && this.specChanged(type, live, next)) m.generation = (live.metadata.generation ?? 0) + 1;

    if (live) {
      const probe = { ...next, metadata: { ...next.metadata, resourceVersion: live.metadata.resourceVersion } };
      if (deepEqual(probe, live)) return live; // a no-op write stores nothing and bumps nothing
    }
    if (ctx.dryRun) {
      if (live) next.metadata.resourceVersion = live.metadata.resourceVersion;
      return next;
    }
    next.metadata.resourceVersion = String(this.store.nextRv());
    this.store.put(bucketOf(type), next);
    this.afterWrite(type, live, next);
    return next;
  }

  private specChanged(type: ResourceType, live: KubeObject, next: KubeObject): boolean {
    if (type.custom) {
      const strip = (o: KubeObject) => { const { metadata: _m, status: _s, ...rest } = o; return rest; };
      return !deepEqual(strip(live), strip(next));
    }
    if (type.kind === 'Deployment' && !deepEqual(live.metadata.annotations ?? {}, next.metadata.annotations ?? {})) return true;
    return !deepEqual(live.spec, next.spec);
  }

  /** Status the API server itself sets (not a controller): Namespace phase, CRD acceptance. */
  private serverStatus(type: ResourceType, next: KubeObject, live?: KubeObject): void {
    if (type.custom) return;
    if (type.kind === 'Namespace') {
      next.spec = isObject(next.spec) ? next.spec : {};
      if (!Array.isArray((next.spec as any).finalizers)) (next.spec as any).finalizers = ['kubernetes'];
      next.status = { phase: 'Active' };
    }
    if (type.kind === 'CustomResourceDefinition' && isObject(next.spec)) {
      const spec = next.spec as Record<string, any>;
      const names = { ...(spec.names ?? {}) };
      names.singular ??= String(names.kind ?? '').toLowerCase();
      names.listKind ??= `${names.kind}List`;
      spec.names = names;
      spec.conversion ??= { strategy: 'None' };
      const storage = (spec.versions ?? []).find((v: any) => v.storage)?.name ?? spec.versions?.[0]?.name;
      const stamp = (live?.status as any)?.conditions?.[0]?.lastTransitionTime ?? now();
      next.status = {
        acceptedNames: names,
        conditions: [
          { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: stamp },
          { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: stamp },
        ],
        storedVersions: [...new Set([...(((live?.status as any)?.storedVersions ?? []) as string[]), ...(storage ? [storage] : [])])],
      };
    }
  }

  private afterWrite(type: ResourceType, live: KubeObject | undefined, next: KubeObject): void {
    if (type.kind === 'CustomResourceDefinition' && !type.custom) {
      this.registry.registerCrd(next);
      this.openapiHashCache = undefined;
    }
    if (type.kind === 'Service' && !type.custom) this.trackServiceAllocations(next, true);
    this.simulator.changed(type, next);
    void live;
  }

  deleteOne(t: Target, dryRun: boolean): unknown {
    if (t.sub) throw methodNotAllowed('DELETE');
    const live = this.live(t);
    const type = t.type;
    const result = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success',
      details: { name: live.metadata.name, ...(type.group ? { group: type.group } : {}), kind: type.plural, uid: live.metadata.uid } };
    if (dryRun) return result;
    if (type.kind === 'Namespace' && !type.custom) {
      // The namespace controller's job, done at once: every object in it goes first.
      for (const other of this.registry.all()) {
        if (!other.namespaced) continue;
        const bucket = bucketOf(other);
        for (const obj of this.store.list(bucket, live.metadata.name)) this.removeObject(other, obj);
      }
    }
    if (type.kind === 'CustomResourceDefinition' && !type.custom) {
      const served = this.registry.all().find((x) => x.crd === live.metadata.name);
      if (served) for (const obj of this.store.list(bucketOf(served))) this.removeObject(served, obj);
      this.registry.unregisterCrd(live.metadata.name);
      this.openapiHashCache = undefined;
    }
    this.removeObject(type, live);
    return result;
  }

  private removeObject(type: ResourceType, live: KubeObject): void {
    const last = clone(live);
    last.metadata.resourceVersion = String(this.store.nextRv());
    if (this.store.remove(bucketOf(type), last) && type.kind === 'Service' && !type.custom) this.trackServiceAllocations(live, false);
  }

  /** Keep the allocators in step with stored Services (load, delete). */
  private trackServiceAllocations(svc: KubeObject, used: boolean): void {
    const spec = (svc.spec ?? {}) as Record<string, any>;
    for (const ip of (spec.clusterIPs ?? [spec.clusterIP]) as string[]) if (ip && ip !== 'None') { if (used) this.usedIPs.add(ip); else this.usedIPs.delete(ip); }
    for (const p of (spec.ports ?? []) as { nodePort?: number }[]) if (p.nodePort) { if (used) this.usedNodePorts.add(p.nodePort); else this.usedNodePorts.delete(p.nodePort); }
  }

  // ---------------------------------------------------------------- watch

  private serveWatch(req: IncomingMessage, res: ServerResponse, t: Target, q: URLSearchParams): void {
    const match = this.matcher(q);
    const nsOk = (o: KubeObject) => !t.namespace || o.metadata.namespace === t.namespace;
    const matches = (o: KubeObject | undefined) => !!o && nsOk(o) && match(o);
    const bucket = bucketOf(t.type);
    const rvParam = q.get('resourceVersion');
    const fromRv = rvParam && rvParam !== '0' ? Number(rvParam) : undefined;
    if (fromRv !== undefined && !Number.isFinite(fromRv)) throw badRequest(`invalid resource version: ${rvParam}`);

    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const socket = res.socket;
    socket?.setNoDelay(true);

    type Line = { type: string; object: unknown; uid?: string };
    let pending: Line[] = [];
    let scheduled = false;
    let ended = false;
    const flush = () => {
      scheduled = false;
      if (ended || !pending.length) return;
      const text = pending.map((l) => `{"type":${JSON.stringify(l.type)},"object":${serialized(l.object)}}`).join('\n') + '\n';
      pending = [];
      res.write(text);
    };
    const queue = (line: Line) => {
      // Several writes to one object in the same tick (a spec change and its controller's status update)
      // reach a watcher as its latest state: informers and `kubectl get -w` only need that.
      const last = pending.length ? pending[pending.length - 1] : undefined;
      if (line.type === 'MODIFIED' && line.uid && last && last.uid === line.uid && (last.type === 'MODIFIED' || last.type === 'ADDED')) {
        last.object = line.object;
      } else pending.push(line);
      if (!scheduled) { scheduled = true; setImmediate(flush); }
    };
    const toLine = (e: StoreEvent): Line | undefined => {
      const now = matches(e.object);
      const before = e.type === 'MODIFIED' ? matches(e.old) : now;
      let type: string = e.type;
      if (e.type === 'MODIFIED') {
        if (now && !before) type = 'ADDED';
        else if (!now && before) type = 'DELETED';
        else if (!now) return undefined;
      } else if (!now) return undefined;
      return { type, object: this.present(t.type, e.object), uid: e.object.metadata.uid as string };
    };
    let lastRv = fromRv ?? this.store.resourceVersion;
    const handle = { end: (reset: boolean) => {} };
    const stop = (reset: boolean) => {
      if (ended) return;
      flush();
      ended = true;
      unsubscribe();
      clearInterval(bookmarkTimer);
      clearTimeout(timeoutTimer);
      this.activeWatches.delete(handle);
      if (reset) res.socket?.destroy(); else res.end();
    };
    handle.end = stop;

    const unsubscribe = this.store.watch({ bucket, onEvent: (e) => {
      const line = toLine(e);
      lastRv = e.rv;
      if (line) queue(line);
    } });
    this.activeWatches.add(handle);

    if (fromRv === undefined) {
      for (const o of this.store.list(bucket, t.namespace)) if (match(o)) queue({ type: 'ADDED', object: this.present(t.type, o) });
    } else {
      const events = this.store.since(bucket, fromRv);
      if (events === 'expired') {
        queue({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
          message: `too old resource version: ${fromRv} (${this.store.resourceVersion})`, reason: 'Expired', code: 410 } });
        flush();
        stop(false);
        return;
      }
      for (const e of events) { const line = toLine(e); if (line) pending.push(line); }
      if (pending.length && !scheduled) { scheduled = true; setImmediate(flush); }
    }

    const bookmarks = q.get('allowWatchBookmarks') === 'true';
    const bookmarkTimer = setInterval(() => {
      if (!bookmarks || ended) return;
      queue({ type: 'BOOKMARK', object: { kind: t.type.kind, apiVersion: apiVersionOf(t.type), metadata: { resourceVersion: String(Math.max(lastRv, this.store.resourceVersion)) } } });
    }, this.faults.bookmarkIntervalMs);
    const timeoutSeconds = Number(q.get('timeoutSeconds') ?? 0);
    const timeoutTimer = setTimeout(() => stop(false), timeoutSeconds > 0 ? timeoutSeconds * 1000 : 30 * 60 * 1000);
    req.on('close', () => stop(false));
    res.on('close', () => stop(false));
  }

  // ---------------------------------------------------------------- faults

  private applyFault(spec: FaultSpec): void {
    this.faults.apply(spec);
    // {"expireContinueTokens": n}: the next n list requests with a continue token answer 410 Expired,
    // as when etcd compacted their list's revision between two pages (handled here: list state lives here).
    if (spec.reset) this.expireContinues = 0;
    if (spec.expireContinueTokens !== undefined) this.expireContinues = Math.max(0, Math.floor(Number(spec.expireContinueTokens) || 0));
    if (spec.dropWatches) {
      const reset = spec.dropWatches === 'reset';
      this.log(`fault: dropping ${this.activeWatches.size} watches${reset ? ' (connection reset)' : ''}`);
      for (const w of [...this.activeWatches]) w.end(reset);
    }
    if (spec.expireResourceVersions) {
      this.store.expireAll();
      this.listStates.clear(); // compaction ends every list's continue tokens too
      this.log(`fault: resourceVersions up to ${this.store.resourceVersion} expired`);
      // A watch that is open keeps working on a real server after compaction; only resumes get 410.
    }
    if (spec.simulatorDelayMs !== undefined) this.simulator.delayMs = spec.simulatorDelayMs;
    if (spec.simulator !== undefined) this.simulator.enabled = spec.simulator;
  }

  // ---------------------------------------------------------------- internal API (simulator, tests)

  /** Write .status as a controller would (manager, subresource status); no-op when unchanged. */
  controllerStatusWrite(type: ResourceType, obj: KubeObject, status: Record<string, unknown>, manager: string): void {
    const live = this.store.get(bucketOf(type), obj.metadata.namespace, obj.metadata.name);
    if (!live || live.metadata.uid !== obj.metadata.uid) return;
    if (deepEqual(live.status, status)) return;
    this.write(type, live, { ...clone(live), status }, { manager, subresource: 'status', dryRun: false });
  }

  objects(type: ResourceType): KubeObject[] { return this.store.list(bucketOf(type)); }

  qualified(type: ResourceType): string { return qualifiedName(type); }
}
