// Resolve kind + apiVersion to the REST resource (plural, namespaced) through /api/v1 and
// /apis/<group>/<version>, one request per group-version, cached for the engine's lifetime.
import type { ClusterAccess } from './liteConfig';
import { kubeGet, KubeHttpError } from './http';
import { builtinKind } from '../k8s/schema';

export interface ResourceInfo {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  verbs: string[];
}

interface APIResourceList {
  groupVersion: string;
  resources: { name: string; kind: string; namespaced: boolean; verbs?: string[] }[];
}

export class Discovery {
  private readonly groupVersions = new Map<string, Promise<Map<string, ResourceInfo> | undefined>>();
  private readonly abort = new AbortController();

  /** `builtinsKnown`: answer Kubernetes' own kinds from the built-in table (plural, scope) without asking
   *  the server — a one-shot run saves a round trip before its lists; a version the server does not serve
   *  then shows as a 404 on the list, which the live cache reads as "not served" all the same. */
  constructor(private readonly kc: ClusterAccess, private readonly opts: { builtinsKnown?: boolean } = {}) {}

  /** undefined when the server does not serve that kind at that apiVersion (e.g. a CRD not installed). */
  async resolve(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    if (this.opts.builtinsKnown) {
      const b = builtinKind(kind);
      if (b && (b.group ? `${b.group}/${b.version}` : b.version) === apiVersion) {
        return { apiVersion, kind, plural: b.plural, namespaced: b.namespaced, verbs: b.verbs };
      }
    }
    let pending = this.groupVersions.get(apiVersion);
    if (!pending) {
      pending = this.fetch(apiVersion);
      this.groupVersions.set(apiVersion, pending);
      // A failure other than "not served" must not be cached forever.
      pending.catch(() => this.groupVersions.delete(apiVersion));
    }
    return (await pending)?.get(kind);
  }

  /** Abort requests in flight (a one-shot run must not wait for them to time out). */
  dispose(): void {
    this.abort.abort();
  }

  /** Forget everything (after a CRD is installed, or on reconnect). */
  reset(): void {
    this.groupVersions.clear();
  }

  private async fetch(apiVersion: string): Promise<Map<string, ResourceInfo> | undefined> {
    const apiPath = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    let list: APIResourceList;
    try {
      list = await kubeGet<APIResourceList>(this.kc, apiPath, { signal: this.abort.signal });
    } catch (err) {
      if (err instanceof KubeHttpError && err.statusCode === 404) return undefined;
      throw err;
    }
    const byKind = new Map<string, ResourceInfo>();
    for (const r of list.resources ?? []) {
      // Subresources (deployments/scale) share or differ in kind: the main resource wins.
      if (r.name.includes('/') || byKind.has(r.kind)) continue;
      byKind.set(r.kind, { apiVersion, kind: r.kind, plural: r.name, namespaced: r.namespaced, verbs: r.verbs ?? [] });
    }
    return byKind;
  }
}

/** Collection path for a resource, cluster-wide or in one namespace. */
export function collectionPath(info: ResourceInfo, namespace?: string): string {
  const prefix = info.apiVersion.includes('/') ? `/apis/${info.apiVersion}` : `/api/${info.apiVersion}`;
  return info.namespaced && namespace ? `${prefix}/namespaces/${encodeURIComponent(namespace)}/${info.plural}` : `${prefix}/${info.plural}`;
}
