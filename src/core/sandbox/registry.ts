// Which resources the sandbox serves: the built-in kinds (from the shared k8s schema) plus every
// version of every applied CustomResourceDefinition.
import { BUILTIN_KINDS } from '../k8s/schema';
import type { KubeObject } from '../model';

export interface ScaleSpec { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string }

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** 'status' and/or 'scale' (the subresources this server implements). */
  subresources: string[];
  verbs: string[];
  /** Custom resource (no defaults, merge patch for kubectl, 415 on strategic merge patch). */
  custom: boolean;
  /** Custom resource scale subresource paths. */
  scale?: ScaleSpec;
  /** Name of the CRD that serves it. */
  crd?: string;
}

export const apiVersionOf = (t: { group: string; version: string }) => (t.group ? `${t.group}/${t.version}` : t.version);
/** Storage identity: one bucket per group+plural, whichever version a client asks for. */
export const bucketOf = (t: { group: string; plural: string }) => `${t.group}/${t.plural}`;
/** `deployments.apps`, `configmaps`: how Kubernetes names a resource in messages. */
export const qualifiedName = (t: { group: string; plural: string }) => (t.group ? `${t.plural}.${t.group}` : t.plural);

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Kinds whose metadata.generation Kubernetes maintains (k8s-defaults.md §6). */
const GENERATION_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Ingress', 'Pod', 'CustomResourceDefinition', 'NetworkPolicy', 'PodDisruptionBudget', 'HorizontalPodAutoscaler']);
export const hasGeneration = (t: ResourceType) => t.custom || GENERATION_KINDS.has(t.kind);

export class Registry {
  private types: ResourceType[] = [];

  constructor() {
    for (const b of BUILTIN_KINDS) {
      this.types.push({
        group: b.group, version: b.version, kind: b.kind, listKind: `${b.kind}List`, plural: b.plural, singular: b.singular,
        namespaced: b.namespaced, shortNames: [...(b.shortNames ?? [])], categories: [...(b.categories ?? [])],
        subresources: (b.subresources ?? []).filter((s) => s === 'status' || s === 'scale'), verbs: [...(b.verbs ?? ALL_VERBS)], custom: false,
      });
    }
  }

  all(): ResourceType[] { return this.types; }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.find((t) => t.group === group && t.version === version && t.plural === plural);
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.types.find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
  }

  /** group -> versions served, in registration order (the first is preferred). */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const t of this.types) {
      const vs = out.get(t.group) ?? [];
      if (!vs.includes(t.version)) vs.push(t.version);
      out.set(t.group, vs);
    }
    return out;
  }

  /** Serve (or re-serve) every version of a CRD; returns the types it now serves. */
  registerCrd(crd: KubeObject): ResourceType[] {
    this.unregisterCrd(crd.metadata.name);
    const spec = (crd.spec ?? {}) as Record<string, any>;
    const names = spec.names ?? {};
    if (!spec.group || !names.plural || !names.kind) return [];
    const versions: any[] = Array.isArray(spec.versions) ? spec.versions : spec.version ? [{ name: spec.version, served: true }] : [];
    const added: ResourceType[] = [];
    for (const v of versions) {
      if (v?.served === false || !v?.name) continue;
      const sub = v.subresources ?? spec.subresources ?? {};
      const subresources: string[] = [];
      if (sub.status) subresources.push('status');
      if (sub.scale) subresources.push('scale');
      const t: ResourceType = {
        group: spec.group, version: v.name, kind: names.kind, listKind: names.listKind ?? `${names.kind}List`,
        plural: names.plural, singular: names.singular ?? String(names.kind).toLowerCase(),
        namespaced: spec.scope !== 'Cluster', shortNames: [...(names.shortNames ?? [])], categories: [...(names.categories ?? [])],
        subresources, verbs: ALL_VERBS, custom: true, crd: crd.metadata.name, scale: sub.scale,
      };
      this.types.push(t);
      added.push(t);
    }
    return added;
  }

  unregisterCrd(name: string): void {
    this.types = this.types.filter((t) => t.crd !== name);
  }
}
