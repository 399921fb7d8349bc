// A dynamic Kubernetes client for the agent, the way Argo CD's controller uses client-go's dynamic
// client: any apiVersion/kind, plain JSON in and out. Built on client-node 1.4's KubernetesObjectApi
// (discovery cache, auth, TLS) but bypassing its typed ObjectSerializer, which drops fields it does not
// know and turns timestamps into Date objects — fatal for server-side apply and for comparisons.
import type { KubeConfig, RequestContext, ResponseContext, V1APIResource } from '@kubernetes/client-node';
import type { KubeObject } from '../../model';

export const FIELD_MANAGER = 'argocd-controller';

export const MERGE_PATCH = 'application/merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

/** An API error with the Status the server answered. */
export class KubeError extends Error {
  constructor(readonly code: number, message: string, readonly reason?: string) { super(message); }
}

export interface KubeList { metadata?: { resourceVersion?: string }; items: KubeObject[] }

type ClientNode = typeof import('@kubernetes/client-node');

export interface DynamicClient {
  kc: KubeConfig;
  request<T = unknown>(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string,
    opts?: { query?: Record<string, string>; body?: unknown; contentType?: string }): Promise<T>;
  /** Discovery for one kind (cached; refreshed when the kind is unknown, e.g. a CRD just applied). */
  resourceFor(apiVersion: string, kind: string): Promise<V1APIResource | undefined>;
  /** The REST path of an object (or its collection when name is undefined). */
  pathFor(apiVersion: string, kind: string, namespace: string | undefined, name?: string): Promise<string>;
  get(obj: { apiVersion: string; kind: string; namespace?: string; name: string }): Promise<KubeObject | undefined>;
  list(apiVersion: string, kind: string, namespace?: string): Promise<KubeList>;
  /** Server-side apply (PATCH application/apply-patch+yaml; the body is JSON, which is YAML). */
  apply(obj: KubeObject, opts: { fieldManager: string; force: boolean; dryRun?: boolean }): Promise<KubeObject>;
  mergePatch(obj: { apiVersion: string; kind: string; namespace?: string; name: string }, patch: unknown,
    opts?: { subresource?: string; fieldManager?: string }): Promise<KubeObject>;
  delete(obj: { apiVersion: string; kind: string; namespace?: string; name: string }): Promise<void>;
}

export async function loadKubeConfig(file: string, context?: string): Promise<KubeConfig> {
  const k8s: ClientNode = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(file);
  if (context) kc.setCurrentContext(context);
  return kc;
}

function errorFrom(code: number, body: unknown): KubeError {
  let status: { message?: string; reason?: string } | undefined;
  if (typeof body === 'string') { try { status = JSON.parse(body); } catch { /* plain text */ } }
  else if (body && typeof body === 'object') status = body as typeof status;
  const message = status?.message ?? (typeof body === 'string' && body ? body : `HTTP ${code}`);
  return new KubeError(code, message, status?.reason);
}

export async function makeDynamicClient(kc: KubeConfig): Promise<DynamicClient> {
  const k8s: ClientNode = await import('@kubernetes/client-node');

  // Subclass to reach the protected request machinery and to return plain JSON.
  class RawObjectApi extends k8s.KubernetesObjectApi {
    protected override async processResponse<T>(response: ResponseContext): Promise<T> {
      const text = await response.body.text();
      if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) return (text ? JSON.parse(text) : {}) as T;
      throw errorFrom(response.httpStatusCode, text);
    }
    async raw<T>(method: string, path: string, opts: { query?: Record<string, string>; body?: unknown; contentType?: string } = {}): Promise<T> {
      const ctx: RequestContext = this.configuration.baseServer.makeRequestContext(path, method as never);
      ctx.setHeaderParam('Accept', 'application/json');
      for (const [k, v] of Object.entries(opts.query ?? {})) ctx.setQueryParam(k, v);
      if (opts.body !== undefined) {
        ctx.setHeaderParam('Content-Type', opts.contentType ?? 'application/json');
        ctx.setBody(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
      }
      return this.requestPromise(ctx) as Promise<T>;
    }
    async discover(apiVersion: string, kind: string): Promise<V1APIResource | undefined> {
      return this.resource(apiVersion, kind);
    }
    forget(apiVersion: string): void { delete this.apiVersionResourceCache[apiVersion]; }
  }

  const api = kc.makeApiClient(RawObjectApi);
  const request: DynamicClient['request'] = (method, path, opts) => api.raw(method, path, opts);

  const resourceFor = async (apiVersion: string, kind: string) => {
    try {
      return await api.discover(apiVersion, kind);
    } catch (err) {
      // A group that does not exist yet answers 404: treat as unknown kind, retry discovery next time.
      if (err instanceof KubeError && err.code === 404) { api.forget(apiVersion); return undefined; }
      throw err;
    }
  };

  const pathFor = async (apiVersion: string, kind: string, namespace: string | undefined, name?: string) => {
    const res = await resourceFor(apiVersion, kind);
    if (!res) throw new KubeError(404, `the server doesn't have a resource type for ${apiVersion} ${kind}`, 'NotFound');
    const parts = [apiVersion.includes('/') ? '/apis' : '/api', apiVersion];
    if (res.namespaced && namespace) parts.push('namespaces', encodeURIComponent(namespace));
    parts.push(res.name);
    if (name !== undefined) parts.push(encodeURIComponent(name));
    return parts.join('/');
  };

  type Ref = { apiVersion: string; kind: string; namespace?: string; name: string };
  return {
    kc,
    request,
    resourceFor,
    pathFor,
    async get(ref: Ref) {
      try {
        return await request<KubeObject>('GET', await pathFor(ref.apiVersion, ref.kind, ref.namespace, ref.name));
      } catch (err) {
        if (err instanceof KubeError && err.code === 404) return undefined;
        throw err;
      }
    },
    async list(apiVersion, kind, namespace) {
      const list = await request<KubeList>('GET', await pathFor(apiVersion, kind, namespace));
      // Lists omit apiVersion/kind on items; put them back so objects are self-describing.
      for (const item of list.items ?? []) { item.apiVersion ??= apiVersion; item.kind ??= kind; }
      list.items ??= [];
      return list;
    },
    async apply(obj, opts) {
      const query: Record<string, string> = { fieldManager: opts.fieldManager, force: String(opts.force) };
      if (opts.dryRun) query.dryRun = 'All';
      const path = await pathFor(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name);
      return request<KubeObject>('PATCH', path, { query, body: obj, contentType: APPLY_PATCH });
    },
    async mergePatch(ref, patch, opts = {}) {
      let path = await pathFor(ref.apiVersion, ref.kind, ref.namespace, ref.name);
      if (opts.subresource) path += `/${opts.subresource}`;
      const query: Record<string, string> = {};
      if (opts.fieldManager) query.fieldManager = opts.fieldManager;
      return request<KubeObject>('PATCH', path, { query, body: patch, contentType: MERGE_PATCH });
    },
    async delete(ref) {
      try {
        await request('DELETE', await pathFor(ref.apiVersion, ref.kind, ref.namespace, ref.name),
          { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' } });
      } catch (err) {
        if (!(err instanceof KubeError && err.code === 404)) throw err;
      }
    },
  };
}
