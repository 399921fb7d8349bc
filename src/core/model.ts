// The shared vocabulary of GitOps Workbench. Every layer (engine, CLI, extension, sandbox agent)
// speaks these types; nothing here imports 'vscode' or does I/O.

/** A Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    managedFields?: ManagedFieldsEntry[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** Identity of an object: group is derived from apiVersion ("apps/v1" -> "apps", "v1" -> ""). */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** Where a value is written: absolute file path, 1-based line. */
export interface SourceLocation {
  file: string;
  line: number;
}

/** One object rendered from Git, with where each of its fields is declared. */
export interface DesiredObject {
  ref: ObjectRef;
  object: KubeObject;
  /** The object's first line (for Missing objects and CodeLens). */
  source: SourceLocation;
  /** JSON Pointer (as rendered, list indices as in the rendered object) -> where that value is written.
   *  Holds leaves and containers; a lookup walks up to the nearest mapped ancestor. */
  fieldSources: Map<string, SourceLocation>;
}

export type RendererKind = 'directory' | 'kustomize' | 'helm';

/** Which rule found an app. */
export type AppOrigin =
  | 'argocd-application'
  /** An Application generated from an ApplicationSet in the workspace (expanded offline). */
  | 'argocd-applicationset'
  | 'flux-kustomization'
  | 'flux-helmrelease'
  | 'kustomization.yaml'
  | 'Chart.yaml'
  | 'plain-manifests';

export interface IgnoreDifferencesRule {
  group?: string;
  kind: string;
  name?: string;
  namespace?: string;
  jsonPointers?: string[];
  jqPathExpressions?: string[];
  managedFieldsManagers?: string[];
}

export interface HelmOptions {
  releaseName?: string;
  valueFiles?: string[];
  parameters?: { name: string; value: string; forceString?: boolean }[];
  /** Inline values (Argo CD helm.values / valuesObject, Flux HelmRelease spec.values). */
  values?: Record<string, unknown>;
  /** Flux HelmRelease spec.valuesFrom, in order (merged before `values`, later entries win). */
  valuesFrom?: { kind: string; name: string; valuesKey?: string; targetPath?: string; optional?: boolean }[];
  /** Argo CD helm.fileParameters (`--set-file name=path`), paths absolute. */
  fileParameters?: { name: string; path: string }[];
}

export interface KustomizeOptions {
  images?: string[];
  namePrefix?: string;
  nameSuffix?: string;
  namespace?: string;
  /** Argo CD kustomize.replicas / Flux has none: `{name, count}` like a kustomization's `replicas:`. */
  replicas?: { name: string; count: number }[];
  /** Argo CD kustomize.patches / Flux Kustomization spec.patches: `{patch, target}` like a kustomization's `patches:`. */
  patches?: { patch?: string; path?: string; target?: Record<string, unknown> }[];
}

export interface DirectoryOptions {
  recurse?: boolean;
  include?: string;
  exclude?: string;
}

/** An application: a path in the workspace rendered one way into a destination namespace. */
export interface App {
  name: string;
  /** Absolute path of the source folder in the workspace. */
  path: string;
  renderer: RendererKind;
  /** Destination namespace for objects that have none. */
  namespace: string;
  origin: AppOrigin;
  /** The file and line that declare this app (an Application / Kustomization / HelmRelease), if any. */
  definedAt?: SourceLocation;
  agent?: 'argocd' | 'flux';
  /** The app object in the cluster / workspace, for agents: kind, namespace, name. */
  agentObject?: ObjectRef;
  helm?: HelmOptions;
  kustomize?: KustomizeOptions;
  directory?: DirectoryOptions;
  ignoreDifferences: IgnoreDifferencesRule[];
  /** Argo CD syncPolicy.automated, Flux prune. */
  syncPolicy?: { automated?: boolean; prune?: boolean; selfHeal?: boolean };
  /** Why this app cannot be rendered at all (e.g. a HelmRelease whose chart is in a remote Helm repository). */
  unrenderable?: string;
  /** Set by the last render: what it skipped that is not an error (e.g. an optional valuesFrom source not in Git). */
  renderNotes?: string[];
}

export interface RenderResult {
  app: App;
  objects: DesiredObject[];
  /** Absolute paths of every file the render read: a change to one re-renders this app. */
  inputs: string[];
  /** The tool's message when rendering failed; objects is then empty. */
  error?: string;
}

/** 'Unknown': the live state of this resource cannot be trusted right now (its kind's watch is down,
 *  forbidden, or the cluster is unreachable); `ResourceDrift.message` says why. */
export type ResourceStatus = 'Synced' | 'OutOfSync' | 'Missing' | 'Extra' | 'Unknown';
export type SyncStatus = 'Synced' | 'OutOfSync' | 'Unknown';
export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';

export interface FieldDrift {
  /** JSON Pointer into the object, list indices as rendered. */
  path: string;
  /** Git's value (masked for Secrets); undefined when Git lacks the field. */
  desired: unknown;
  /** Live value (masked for Secrets); undefined when live lacks the field. */
  live: unknown;
  /** The field manager that owns the live value, from managedFields. */
  manager?: string;
  operation?: string;
  time?: string;
  source?: SourceLocation;
}

export interface ResourceDrift {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  status: ResourceStatus;
  health?: HealthStatus;
  source?: SourceLocation;
  drift: FieldDrift[];
  /** Why the status is Unknown (e.g. "403 forbidden: cannot list secrets"). */
  message?: string;
}

/** What the agent (Argo CD / Flux) itself reports for the app, kept beside our own verdict. */
export interface AgentStatus {
  kind: 'argocd' | 'flux';
  sync?: string;
  health?: string;
  revision?: string;
  message?: string;
  operationPhase?: string;
}

export interface AppReport {
  name: string;
  path: string;
  renderer: RendererKind;
  origin: AppOrigin;
  namespace: string;
  sync: SyncStatus;
  health?: HealthStatus;
  agent?: AgentStatus;
  /** Render or compare error for this app, in plain words. */
  error?: string;
  /** What the render skipped or assumed that is not an error (e.g. an optional valuesFrom source missing). */
  notes?: string[];
  resources: ResourceDrift[];
}

export type ClusterState = 'connected' | 'unreachable' | 'unauthorized' | 'stale' | 'none';

export interface DriftReport {
  context?: string;
  cluster: { state: ClusterState; message?: string; server?: string };
  generatedAt: string;
  apps: AppReport[];
  /** Problems that are not tied to one app (e.g. "403 on secrets: cannot list"). */
  errors: string[];
}

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function refOf(obj: KubeObject): ObjectRef {
  return { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata?.namespace, name: obj.metadata?.name };
}

/** Key of a kind, independent of version: "group/Kind" (the live cache holds one list+watch per key). */
export function kindKeyOf(apiVersion: string, kind: string): string {
  return `${groupOf(apiVersion)}/${kind}`;
}

/** The kind key of a refKey: what comes before its second slash (no split/join per object). */
export function kindKeyOfRefKey(key: string): string {
  const second = key.indexOf('/', key.indexOf('/') + 1);
  return second < 0 ? key : key.slice(0, second);
}

/** Stable key for an object, independent of version: "group/Kind/namespace/name". */
export function refKey(ref: ObjectRef): string {
  return `${groupOf(ref.apiVersion)}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

/** RFC 6901 pointer helpers. */
export function pointerEscape(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}
export function pointerUnescape(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}
export function toPointer(segments: (string | number)[]): string {
  return segments.map((s) => '/' + pointerEscape(s)).join('');
}
export function fromPointer(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer.slice(1).split('/').map(pointerUnescape);
}
