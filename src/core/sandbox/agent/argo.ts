// Argo CD's Application contract as the agent speaks it (../shared/gitops-facts.md): the CRD it
// serves, the tracking id it stamps, the order it applies kinds in, and the status shapes it writes.
import { groupOf, type KubeObject } from '../../model';

export const ARGO_NAMESPACE = 'argocd';
export const APP_API_VERSION = 'argoproj.io/v1alpha1';
export const TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';
export const REFRESH_ANNOTATION = 'argocd.argoproj.io/refresh';
/** Argo CD's default status.history length (spec.revisionHistoryLimit). */
export const HISTORY_LIMIT = 10;

/** The Application CRD, trimmed to what a server needs to serve it: no schema, unknown fields kept. */
export const APPLICATION_CRD: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'applications.argoproj.io', labels: { 'app.kubernetes.io/name': 'applications.argoproj.io', 'app.kubernetes.io/part-of': 'argocd' } },
  spec: {
    group: 'argoproj.io',
    names: { kind: 'Application', listKind: 'ApplicationList', plural: 'applications', singular: 'application', shortNames: ['app', 'apps'] },
    scope: 'Namespaced',
    versions: [{
      name: 'v1alpha1', served: true, storage: true,
      subresources: { status: {} },
      schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      additionalPrinterColumns: [
        { name: 'Sync Status', type: 'string', jsonPath: '.status.sync.status' },
        { name: 'Health Status', type: 'string', jsonPath: '.status.health.status' },
        { name: 'Revision', type: 'string', priority: 10, jsonPath: '.status.sync.revision' },
      ],
    }],
  },
};

export interface ApplicationSource {
  repoURL?: string;
  path?: string;
  targetRevision?: string;
  chart?: string;
  helm?: Record<string, unknown>;
  kustomize?: Record<string, unknown>;
  directory?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface SyncOperation {
  revision?: string;
  prune?: boolean;
  dryRun?: boolean;
  resources?: { group?: string; kind: string; name: string; namespace?: string }[];
  syncOptions?: string[];
}

export interface Application extends KubeObject {
  spec: {
    source?: ApplicationSource;
    sources?: ApplicationSource[];
    destination?: { server?: string; name?: string; namespace?: string };
    project?: string;
    syncPolicy?: { automated?: { prune?: boolean; selfHeal?: boolean; allowEmpty?: boolean; enabled?: boolean }; syncOptions?: string[] };
    revisionHistoryLimit?: number;
    [key: string]: unknown;
  };
  operation?: { sync?: SyncOperation; initiatedBy?: { username?: string; automated?: boolean }; info?: unknown[] };
  status?: ApplicationStatus;
}

export interface ResourceStatusEntry {
  group: string; version: string; kind: string; namespace?: string; name: string;
  status: 'Synced' | 'OutOfSync';
  health?: { status: string; message?: string };
  requiresPruning?: boolean;
}

export interface SyncResultResource {
  group: string; version: string; kind: string; namespace: string; name: string;
  status: 'Synced' | 'SyncFailed' | 'Pruned' | 'PruneSkipped';
  message: string; syncPhase: 'Sync'; hookPhase: 'Running' | 'Succeeded' | 'Failed';
}

export interface OperationState {
  operation: { sync: SyncOperation; initiatedBy: { username?: string; automated?: boolean }; retry?: object };
  phase: 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Terminating';
  message: string;
  syncResult?: { revision: string; source: ApplicationSource; resources?: SyncResultResource[] };
  startedAt: string;
  finishedAt?: string;
}

export interface HistoryEntry {
  id: number; revision: string; source: ApplicationSource;
  deployedAt: string; deployStartedAt: string;
  initiatedBy: { username?: string; automated?: boolean };
}

export interface ApplicationStatus {
  sync?: { status: 'Synced' | 'OutOfSync' | 'Unknown'; revision?: string; comparedTo?: { source: ApplicationSource; destination: object } };
  health?: { status: string; message?: string; lastTransitionTime?: string };
  resources?: ResourceStatusEntry[];
  operationState?: OperationState;
  history?: HistoryEntry[];
  conditions?: { type: string; message: string; lastTransitionTime: string }[];
  reconciledAt?: string;
  sourceType?: string;
  summary?: { images?: string[] };
  [key: string]: unknown;
}

export function trackingId(app: string, obj: { apiVersion: string; kind: string; metadata: { namespace?: string; name: string } }): string {
  return `${app}:${groupOf(obj.apiVersion)}/${obj.kind}:${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

/** The source the agent renders: spec.source, else the first spec.sources[] entry with a path. */
export function primarySource(app: Application): ApplicationSource | undefined {
  if (app.spec?.source) return app.spec.source;
  return app.spec?.sources?.find((s) => typeof s.path === 'string') ?? app.spec?.sources?.[0];
}

export function isAutomated(app: Application): boolean {
  const automated = app.spec?.syncPolicy?.automated;
  return !!automated && automated.enabled !== false;
}

export function hasSyncOption(app: Application, option: string, extra: string[] = []): boolean {
  return [...(app.spec?.syncPolicy?.syncOptions ?? []), ...extra].some((o) => o.replace(/\s/g, '') === option);
}

// gitops-engine's kind order for one sync wave (pkg/sync/syncwaves + kube.kindOrder).
const KIND_ORDER = [
  'Namespace', 'NetworkPolicy', 'ResourceQuota', 'LimitRange', 'PodSecurityPolicy', 'PodDisruptionBudget',
  'ServiceAccount', 'Secret', 'SecretList', 'ConfigMap', 'StorageClass', 'PersistentVolume', 'PersistentVolumeClaim',
  'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleList', 'ClusterRoleBinding', 'ClusterRoleBindingList',
  'Role', 'RoleList', 'RoleBinding', 'RoleBindingList', 'Service', 'DaemonSet', 'Pod', 'ReplicationController',
  'ReplicaSet', 'Deployment', 'HorizontalPodAutoscaler', 'StatefulSet', 'Job', 'CronJob', 'IngressClass', 'Ingress',
  'APIService',
];

/** Sort for apply: by sync-wave annotation, then kind order (unknown kinds last), then name. */
export function applyOrder(a: KubeObject, b: KubeObject): number {
  const wave = (o: KubeObject) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0) || 0;
  const rank = (o: KubeObject) => { const i = KIND_ORDER.indexOf(o.kind); return i < 0 ? KIND_ORDER.length : i; };
  return wave(a) - wave(b) || rank(a) - rank(b) || a.metadata.name.localeCompare(b.metadata.name);
}

/** RFC 7386 merge patch turning `from` into `to` (null removes); undefined when they are equal. */
export function mergePatchFrom(from: unknown, to: unknown): unknown {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(from) || !isObj(to)) return JSON.stringify(from) === JSON.stringify(to) ? undefined : to;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(from)) if (!(key in to) || to[key] === undefined) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined) continue;
    const sub = mergePatchFrom(from[key], value);
    if (sub !== undefined) patch[key] = sub;
  }
  return Object.keys(patch).length ? patch : undefined;
}

export function nowRfc3339(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}
