// Finding the apps of a workspace: Argo CD Applications and Flux Kustomizations / HelmReleases whose
// sources are in the workspace, then every folder no definition covers (kustomization, chart, plain
// manifests). Each App says which rule found it (App.origin).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { App, HelmOptions, IgnoreDifferencesRule, KubeObject, RendererKind, SourceLocation } from '../model';
import { expandApplicationSet } from './applicationSet';
import { gitRoot, skippedFolderName } from '../folders';
import { parseDocuments, parseManifests } from './yamlSource';
import { childPath, UNCACHED, type Reads } from './readCache';

export interface DiscoverResult {
  apps: App[];
  /** Definitions that could not be read (malformed YAML in a definition file, ...). */
  errors: string[];
  /** Things worth telling the user that are not errors: skipped Applications, ApplicationSets, app-of-apps charts. */
  notes: string[];
}

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const YAML_FILE = /\.(ya?ml)$/i;
/** Cheap pre-filter: only files that may hold an app definition are fully parsed. */
const DEFINITION_HINT = /argoproj\.io|kustomize\.toolkit\.fluxcd\.io|helm\.toolkit\.fluxcd\.io|source\.extensions\.fluxcd\.io/;
const MANIFEST_HINT = /^apiVersion:/m;

/** Does a YAML text declare Kubernetes objects (what makes a folder of them an app)? */
export function looksLikeManifest(text: string): boolean {
  return MANIFEST_HINT.test(text) || /^\s*-?\s*apiVersion:/m.test(text);
}

/** Where an app's inline Helm values are written: the definition's field sources and the pointer of
 *  the values object in it (Application helm.valuesObject / HelmRelease spec.values). */
export interface InlineValuesSource {
  pointer: string;
  fieldSources: Map<string, SourceLocation>;
  fallback?: SourceLocation;
}
const inlineValues = new WeakMap<App, InlineValuesSource>();
export function inlineValuesSource(app: App): InlineValuesSource | undefined {
  return inlineValues.get(app) ?? (app.definedAt ? { pointer: '', fieldSources: new Map(), fallback: app.definedAt } : undefined);
}
/** Set by the Helm renderer when the values come from a rendered HelmRelease (overlay patches applied). */
export function setInlineValuesSource(app: App, source: InlineValuesSource): void {
  inlineValues.set(app, source);
}

/** A HelmRelease app whose definition a Flux Kustomization app renders: that render (with its overlay
 *  patches) holds the HelmRelease's real values. */
const helmReleaseParents = new WeakMap<App, App>();
export function helmReleaseParent(app: App): App | undefined {
  return helmReleaseParents.get(app);
}

export function kustomizationFile(dir: string): string | undefined {
  for (const name of KUSTOMIZATION_FILES) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

/** Argo CD's own rule: kustomization file -> kustomize, Chart.yaml -> helm, else plain directory. */
export function detectRenderer(dir: string): RendererKind {
  if (kustomizationFile(dir)) return 'kustomize';
  if (fs.existsSync(path.join(dir, 'Chart.yaml'))) return 'helm';
  return 'directory';
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** A source path (relative to the repository) as a folder of this workspace: tried against the
 *  workspace root and the git root, since the workspace may be a subfolder of the repository. */
export function resolveSourcePath(sourcePath: string | undefined, sourceRoot: string): string | undefined {
  const rel = (sourcePath ?? '.').replace(/^\/+/, '');
  const roots = [sourceRoot];
  const git = gitRoot(sourceRoot);
  if (git && git !== sourceRoot) roots.push(git);
  for (const root of roots) {
    const candidate = path.resolve(root, rel);
    if (!candidate.startsWith(path.resolve(root))) continue; // no escaping the repository
    if (isDir(candidate)) return candidate;
  }
  return undefined;
}

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const asStr = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function ignoreRules(spec: Obj): IgnoreDifferencesRule[] {
  return asArr(spec.ignoreDifferences)
    .map(asObj)
    .filter((r): r is Obj => !!r && typeof r.kind === 'string')
    .map((r) => {
      const rule: IgnoreDifferencesRule = { kind: r.kind as string };
      if (asStr(r.group) !== undefined) rule.group = asStr(r.group);
      if (asStr(r.name)) rule.name = asStr(r.name);
      if (asStr(r.namespace)) rule.namespace = asStr(r.namespace);
      for (const key of ['jsonPointers', 'jqPathExpressions', 'managedFieldsManagers'] as const) {
        const list = asArr(r[key]).filter((x): x is string => typeof x === 'string');
        if (list.length) rule[key] = list;
      }
      return rule;
    });
}

function kustomizeReplicas(v: unknown): { name: string; count: number }[] {
  return asArr(v).map(asObj).filter((r): r is Obj => !!r && typeof r.name === 'string' && (typeof r.count === 'number' || /^\d+$/.test(String(r.count))))
    .map((r) => ({ name: r.name as string, count: Number(r.count) }));
}

function kustomizePatches(v: unknown): NonNullable<NonNullable<App['kustomize']>['patches']> {
  return asArr(v).map(asObj).filter((p): p is Obj => !!p && (typeof p.patch === 'string' || typeof p.path === 'string')).map((p) => ({
    ...(typeof p.patch === 'string' ? { patch: p.patch } : {}),
    ...(typeof p.path === 'string' ? { path: p.path } : {}),
    ...(asObj(p.target) ? { target: asObj(p.target) } : {}),
  }));
}

/** One Argo CD Application source -> renderer options. `refs` resolves `$ref/...` value files. */
function argoSourceToApp(source: Obj, base: Omit<App, 'path' | 'renderer'>, dir: string, refs: Map<string, string>): App {
  const app: App = { ...base, path: dir, renderer: detectRenderer(dir) };
  const helm = asObj(source.helm);
  const kustomize = asObj(source.kustomize);
  const directory = asObj(source.directory);
  if (helm) {
    app.renderer = 'helm';
    const opts: HelmOptions = {};
    if (asStr(helm.releaseName)) opts.releaseName = asStr(helm.releaseName);
    const valueFiles = asArr(helm.valueFiles).filter((f): f is string => typeof f === 'string');
    if (valueFiles.length) opts.valueFiles = valueFiles.map((f) => resolveRefPath(f, dir, refs));
    const params = asArr(helm.parameters).map(asObj).filter((p): p is Obj => !!p && typeof p.name === 'string');
    if (params.length) opts.parameters = params.map((p) => ({ name: p.name as string, value: asStr(p.value) ?? '', ...(p.forceString === true ? { forceString: true } : {}) }));
    const values = asObj(helm.valuesObject) ?? (typeof helm.values === 'string' ? asObj(parseDocuments(helm.values, '').docs[0]?.value) : asObj(helm.values));
    if (values) opts.values = values;
    const fileParams = asArr(helm.fileParameters).map(asObj).filter((p): p is Obj => !!p && typeof p.name === 'string' && typeof p.path === 'string');
    if (fileParams.length) opts.fileParameters = fileParams.map((p) => ({ name: p.name as string, path: resolveRefPath(p.path as string, dir, refs) }));
    app.helm = opts;
  } else if (kustomize) {
    app.renderer = 'kustomize';
    const opts: App['kustomize'] = {};
    const images = asArr(kustomize.images).filter((i): i is string => typeof i === 'string');
    if (images.length) opts.images = images;
    if (asStr(kustomize.namePrefix)) opts.namePrefix = asStr(kustomize.namePrefix);
    if (asStr(kustomize.nameSuffix)) opts.nameSuffix = asStr(kustomize.nameSuffix);
    if (asStr(kustomize.namespace)) opts.namespace = asStr(kustomize.namespace);
    const replicas = kustomizeReplicas(kustomize.replicas);
    if (replicas.length) opts.replicas = replicas;
    const patches = kustomizePatches(kustomize.patches);
    if (patches.length) opts.patches = patches;
    app.kustomize = opts;
  } else if (directory) {
    app.renderer = 'directory';
    app.directory = {};
    if (directory.recurse === true) app.directory.recurse = true;
    if (asStr(directory.include)) app.directory.include = asStr(directory.include);
    if (asStr(directory.exclude)) app.directory.exclude = asStr(directory.exclude);
  }
  return app;
}

/** A value file / file parameter path of an Application source: `$ref/...` in a `ref:` source, else
 *  relative to the source folder. */
function resolveRefPath(f: string, dir: string, refs: Map<string, string>): string {
  const m = /^\$([^/]+)\/(.*)$/.exec(f);
  if (m && refs.has(m[1])) return resolveSourceFile(m[2], refs.get(m[1])!);
  return path.resolve(dir, f);
}

/** An Argo CD Application as an App, when its (first path-bearing) source is a folder under sourceRoot.
 *  Multi-source Applications: see appsFromArgoApplication. */
export function appFromArgoApplication(obj: KubeObject, sourceRoot: string, definedAt?: SourceLocation): App | undefined {
  return appsFromArgoApplication(obj, sourceRoot, definedAt).apps[0];
}

/** Every renderable source of an Application (spec.sources gives one App per source with a path;
 *  the first keeps the Application's name, the others get `-<index>`), plus notes on what was skipped. */
export function appsFromArgoApplication(obj: KubeObject, sourceRoot: string, definedAt?: SourceLocation, fieldSources?: Map<string, SourceLocation>): { apps: App[]; notes: string[] } {
  const notes: string[] = [];
  const spec = asObj(obj.spec) ?? {};
  const name = obj.metadata?.name ?? 'application';
  const destination = asObj(spec.destination) ?? {};
  const automated = asObj(asObj(spec.syncPolicy)?.automated);
  const base: Omit<App, 'path' | 'renderer'> = {
    name,
    namespace: asStr(destination.namespace) || 'default',
    origin: 'argocd-application',
    agent: 'argocd',
    agentObject: { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata?.namespace ?? 'argocd', name },
    ignoreDifferences: ignoreRules(spec),
    ...(definedAt ? { definedAt } : {}),
  };
  if (automated && automated.enabled !== false) base.syncPolicy = { automated: true, prune: automated.prune === true, selfHeal: automated.selfHeal === true };
  else if (asObj(spec.syncPolicy)) base.syncPolicy = { automated: false };

  const sources: Obj[] = asObj(spec.source) ? [asObj(spec.source)!] : asArr(spec.sources).map(asObj).filter((s): s is Obj => !!s);
  const refs = new Map<string, string>();
  for (const s of sources) {
    // a `ref:` source is a values-file repository; the workspace is taken to be that repository
    if (asStr(s.ref)) refs.set(asStr(s.ref)!, (asStr(s.path) && resolveSourcePath(asStr(s.path), sourceRoot)) || sourceRoot);
  }
  const apps: App[] = [];
  sources.forEach((source, i) => {
    const appName = apps.length === 0 ? name : `${name}-${i}`;
    if (asStr(source.chart)) {
      apps.push({
        ...base,
        name: appName,
        path: definedAt ? path.dirname(definedAt.file) : sourceRoot,
        renderer: 'helm',
        unrenderable: `chart ${asStr(source.chart)} from Helm repository ${asStr(source.repoURL) ?? '?'} is remote: not renderable offline`,
      });
      return;
    }
    if (source.path === undefined) return; // a pure `ref:` source
    const plugin = asObj(source.plugin);
    if (plugin) {
      const dir = resolveSourcePath(asStr(source.path), sourceRoot);
      if (!dir) return;
      apps.push({ ...base, name: appName, path: dir, renderer: 'directory', unrenderable: `config management plugin ${asStr(plugin.name) ?? ''}: plugins are not run here`.replace('plugin : ', 'plugin: ') });
      return;
    }
    const dir = resolveSourcePath(asStr(source.path), sourceRoot);
    if (!dir) {
      notes.push(`Application ${name}: source path ${asStr(source.path)} (${asStr(source.repoURL) ?? 'no repoURL'}) is not in this workspace: skipped`);
      return;
    }
    const app = argoSourceToApp(source, { ...base, name: appName }, dir, refs);
    const helm = asObj(source.helm);
    if (app.renderer === 'helm' && !app.helm?.releaseName) app.helm = { ...app.helm, releaseName: name };
    if (helm && fieldSources) {
      const srcPointer = asObj(spec.source) ? '/spec/source' : `/spec/sources/${i}`;
      const valuesPointer = helm.valuesObject ? `${srcPointer}/helm/valuesObject` : `${srcPointer}/helm/values`;
      inlineValues.set(app, { pointer: helm.valuesObject ? valuesPointer : '', fieldSources, fallback: fieldSources.get(valuesPointer) ?? definedAt });
      const paramsAt = fieldSources.get(`${srcPointer}/helm/parameters`) ?? definedAt;
      if (paramsAt) parametersAt.set(app, paramsAt);
    }
    apps.push(app);
  });
  return { apps, notes };
}

const parametersAt = new WeakMap<App, SourceLocation>();
/** Where an Application's helm.parameters are written. */
export function helmParametersLocation(app: App): SourceLocation | undefined {
  return parametersAt.get(app) ?? app.definedAt;
}

export interface FluxContext {
  /** Flux ArtifactGenerators in the workspace: ExternalArtifact paths are mapped back through their copy rules. */
  artifactGenerators?: KubeObject[];
}

/** `./staging` of ExternalArtifact `apps` -> `apps/staging` via an ArtifactGenerator's `copy` rules. */
function externalArtifactPath(artifact: string, specPath: string, ctx: FluxContext): string | undefined {
  const want = specPath.replace(/^\.?\/*/, '').replace(/\/+$/, '');
  for (const gen of ctx.artifactGenerators ?? []) {
    for (const a of asArr(asObj(gen.spec)?.artifacts).map(asObj)) {
      if (!a || a.name !== artifact) continue;
      for (const c of asArr(a.copy).map(asObj)) {
        const from = asStr(c?.from);
        const to = asStr(c?.to);
        if (!from || !to) continue;
        const src = from.replace(/^@[^/]+\/?/, '').replace(/\/?\*\*.*$/, '').replace(/\/+$/, '');
        const dst = to.replace(/^@artifact\/?/, '').replace(/\/+$/, '');
        if (want === dst) return src || '.';
        if (dst === '' ) return want ? `${src}/${want}` : src;
        if (want.startsWith(dst + '/')) return `${src}/${want.slice(dst.length + 1)}`;
      }
    }
  }
  return undefined;
}

/** A Flux Kustomization or HelmRelease as an App (paths relative to the GitRepository root = sourceRoot). */
export function appFromFluxObject(obj: KubeObject, sourceRoot: string, definedAt?: SourceLocation, ctx: FluxContext = {}, fieldSources?: Map<string, SourceLocation>): App | undefined {
  const spec = asObj(obj.spec) ?? {};
  const name = obj.metadata?.name ?? 'flux';
  const ns = obj.metadata?.namespace ?? 'flux-system';
  const common = {
    agent: 'flux' as const,
    agentObject: { apiVersion: obj.apiVersion, kind: obj.kind, namespace: ns, name },
    ignoreDifferences: [],
    ...(definedAt ? { definedAt } : {}),
  };
  const group = obj.apiVersion.split('/')[0];
  if (group === 'kustomize.toolkit.fluxcd.io' && obj.kind === 'Kustomization') {
    const sourceRef = asObj(spec.sourceRef) ?? {};
    // only Git sources are this workspace (OCI artifacts and buckets are built elsewhere)
    if (sourceRef.kind === 'OCIRepository' || sourceRef.kind === 'Bucket') return undefined;
    let specPath = asStr(spec.path) ?? './';
    if (sourceRef.kind === 'ExternalArtifact') specPath = externalArtifactPath(asStr(sourceRef.name) ?? '', specPath, ctx) ?? specPath;
    const dir = resolveSourcePath(specPath, sourceRoot);
    if (!dir) return undefined;
    const target = asStr(spec.targetNamespace);
    // kustomize-controller builds every path with kustomize; without a kustomization file it
    // generates one over all manifests below the path, i.e. a recursive directory.
    const renderer: RendererKind = kustomizationFile(dir) ? 'kustomize' : 'directory';
    const app: App = {
      ...common,
      name,
      path: dir,
      renderer,
      namespace: target || 'default',
      origin: 'flux-kustomization',
      syncPolicy: { automated: spec.suspend !== true, prune: spec.prune === true },
    };
    if (renderer === 'directory') app.directory = { recurse: true };
    const kopts: NonNullable<App['kustomize']> = {};
    if (target && renderer === 'kustomize') kopts.namespace = target;
    if (asStr(spec.namePrefix)) kopts.namePrefix = asStr(spec.namePrefix);
    if (asStr(spec.nameSuffix)) kopts.nameSuffix = asStr(spec.nameSuffix);
    const images = asArr(spec.images).map(asObj).filter((i): i is Obj => !!i && typeof i.name === 'string').map((i) => {
      let s = i.name as string;
      if (asStr(i.newName)) s += `=${asStr(i.newName)}`;
      if (asStr(i.newTag)) s += `:${asStr(i.newTag)}`;
      else if (asStr(i.digest)) s += `@${asStr(i.digest)}`;
      return s;
    });
    if (images.length) kopts.images = images;
    const patches = kustomizePatches(spec.patches);
    if (patches.length) kopts.patches = patches;
    if (Object.keys(kopts).length && renderer === 'kustomize') app.kustomize = kopts;
    return app;
  }
  if (group === 'helm.toolkit.fluxcd.io' && obj.kind === 'HelmRelease') {
    const chartSpec = asObj(asObj(spec.chart)?.spec);
    const chartRef = asObj(spec.chartRef);
    const target = asStr(spec.targetNamespace);
    const releaseName = asStr(spec.releaseName) ?? (target ? `${target}-${name}` : name);
    const base = {
      ...common,
      name,
      namespace: target || ns,
      origin: 'flux-helmrelease' as const,
      syncPolicy: { automated: spec.suspend !== true },
    };
    const here = definedAt ? path.dirname(definedAt.file) : sourceRoot;
    if (chartRef) {
      return { ...base, path: here, renderer: 'helm', unrenderable: `chart ${asStr(chartRef.name)} from ${asStr(chartRef.kind) ?? 'source'} ${asStr(chartRef.name)} is remote: not renderable offline` };
    }
    if (!chartSpec || !asStr(chartSpec.chart)) return undefined; // a patch of a HelmRelease, not a definition
    const chart = asStr(chartSpec.chart)!;
    const sourceRef = asObj(chartSpec.sourceRef) ?? {};
    const sourceKind = asStr(sourceRef.kind) ?? 'HelmRepository';
    if (sourceKind !== 'GitRepository') {
      return { ...base, path: here, renderer: 'helm', unrenderable: `chart ${chart} from ${sourceKind} ${asStr(sourceRef.name) ?? '?'} is remote: not renderable offline` };
    }
    const dir = resolveSourcePath(chart, sourceRoot);
    if (!dir) {
      return { ...base, path: here, renderer: 'helm', unrenderable: `chart ${chart} from GitRepository ${asStr(sourceRef.name) ?? '?'} is not in this workspace` };
    }
    const helm: HelmOptions = { releaseName };
    const valuesFiles = asArr(chartSpec.valuesFiles).filter((f): f is string => typeof f === 'string');
    if (valuesFiles.length) helm.valueFiles = valuesFiles.map((f) => resolveSourceFile(f, sourceRoot));
    const values = asObj(spec.values);
    if (values) helm.values = values;
    const valuesFrom = fluxValuesFrom(spec.valuesFrom);
    if (valuesFrom.length) helm.valuesFrom = valuesFrom;
    const app: App = { ...base, path: dir, renderer: 'helm', helm };
    if (values && fieldSources) inlineValues.set(app, { pointer: '/spec/values', fieldSources, fallback: fieldSources.get('/spec/values') ?? definedAt });
    return app;
  }
  return undefined;
}

/** HelmRelease spec.valuesFrom entries (kind and name required, as the CRD does). */
export function fluxValuesFrom(v: unknown): NonNullable<HelmOptions['valuesFrom']> {
  return asArr(v).map(asObj).filter((r): r is Obj => !!r && typeof r.kind === 'string' && typeof r.name === 'string').map((r) => ({
    kind: r.kind as string,
    name: r.name as string,
    ...(asStr(r.valuesKey) ? { valuesKey: asStr(r.valuesKey) } : {}),
    ...(asStr(r.targetPath) ? { targetPath: asStr(r.targetPath) } : {}),
    ...(r.optional === true ? { optional: true } : {}),
  }));
}

/** Workspace YAML files that may declare a HelmRelease's valuesFrom ConfigMaps / Secrets (found by
 *  discovery with a text pre-filter; the Helm renderer parses them). */
const valuesFromCandidates = new WeakMap<App, string[]>();
export function valuesFromFiles(app: App): string[] {
  return valuesFromCandidates.get(app) ?? [];
}

/** One pass over the manifest files: each that declares a ConfigMap / Secret with a `name:` some
 *  HelmRelease's valuesFrom asks for becomes a candidate of that app. */
function findValuesFromFiles(apps: App[], folders: FolderInfo[], reads: Reads): void {
  const byName = new Map<string, Set<App>>();
  for (const app of apps) {
    for (const r of app.helm?.valuesFrom ?? []) {
      if (!byName.has(r.name)) byName.set(r.name, new Set());
      byName.get(r.name)!.add(app);
    }
  }
  if (!byName.size) return;
  const kindHint = /^kind:\s*["']?(ConfigMap|Secret)\b/m;
  const nameLine = /^\s*name:\s*["']?([^"'\s#]+)/gm;
  const found = new Map<App, string[]>();
  for (const folder of folders) {
    for (const file of folder.manifestFiles) {
      let text: string;
      try {
        text = reads.readText(file);
      } catch {
        continue;
      }
      if (!kindHint.test(text)) continue;
      const wanting = new Set<App>();
      for (const m of text.matchAll(nameLine)) for (const app of byName.get(m[1]) ?? []) wanting.add(app);
      for (const app of wanting) found.set(app, [...(found.get(app) ?? []), file]);
    }
  }
  for (const [app, files] of found) valuesFromCandidates.set(app, files);
}

function resolveSourceFile(rel: string, sourceRoot: string): string {
  const roots = [sourceRoot, gitRoot(sourceRoot)].filter((r): r is string => !!r);
  for (const root of roots) {
    const candidate = path.resolve(root, rel);
    if (fs.existsSync(candidate)) return candidate;
  }
  return path.resolve(sourceRoot, rel);
}

interface FolderInfo {
  dir: string;
  kustomization?: string;
  chart: boolean;
  yamlFiles: string[];
  manifestFiles: string[];
}

async function walk(root: string, reads: Reads): Promise<FolderInfo[]> {
  const out: FolderInfo[] = [];
  async function visit(dir: string): Promise<void> {
    let entries: fs.Dirent[];
    try {
      entries = await reads.readdir(dir);
    } catch {
      return;
    }
    const info: FolderInfo = { dir, chart: false, yamlFiles: [], manifestFiles: [] };
    const subdirs: string[] = [];
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!skippedFolderName(e.name)) subdirs.push(path.join(dir, e.name));
      } else if (e.isFile()) {
        if (KUSTOMIZATION_FILES.includes(e.name) && !info.kustomization) info.kustomization = path.join(dir, e.name);
        if (e.name === 'Chart.yaml') info.chart = true;
        if (YAML_FILE.test(e.name)) info.yamlFiles.push(childPath(dir, e.name));
      }
    }
    info.yamlFiles.sort();
    out.push(info);
    subdirs.sort();
    for (const sub of subdirs) await visit(sub);
  }
  await visit(path.resolve(root));
  return out;
}

/** Folders and files a kustomization includes (resources, bases, components, patches, generators), transitively. */
const refsCache = new Map<string, { mtimeMs: number; size: number; refs: string[] }>();

/** Paths a kustomization file names (resources, bases, components, patches, generator files);
 *  cached by file and mtime: discovery asks for the same bases once per overlay. */
function kustomizationRefs(kfile: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(kfile);
  } catch {
    return [];
  }
  const cached = refsCache.get(kfile);
  if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.refs;
  let k: Obj | undefined;
  try {
    k = asObj(parseDocuments(fs.readFileSync(kfile, 'utf8'), kfile).docs[0]?.value);
  } catch {
    k = undefined;
  }
  const refs: string[] = [];
  if (k) {
    for (const key of ['resources', 'bases', 'components', 'patchesStrategicMerge', 'crds', 'configurations', 'transformers', 'generators']) {
      for (const r of asArr(k[key])) if (typeof r === 'string') refs.push(r);
    }
    for (const p of [...asArr(k.patches), ...asArr(k.patchesJson6902)]) {
      const o = asObj(p);
      if (o && asStr(o.path)) refs.push(asStr(o.path)!);
    }
    for (const key of ['configMapGenerator', 'secretGenerator']) {
      for (const g of asArr(k[key]).map(asObj)) {
        for (const f of [...asArr(g?.files), ...asArr(g?.envs), ...(asStr(g?.env) ? [g!.env] : [])]) {
          if (typeof f !== 'string') continue;
          refs.push(f.includes('=') ? f.slice(f.indexOf('=') + 1) : f);
        }
      }
    }
  }
  if (refsCache.size > 5000) refsCache.clear();
  refsCache.set(kfile, { mtimeMs: stat.mtimeMs, size: stat.size, refs });
  return refs;
}

export function kustomizeClosure(dir: string, seen = new Set<string>(), files = new Set<string>()): { dirs: Set<string>; files: Set<string> } {
  if (seen.has(dir)) return { dirs: seen, files };
  seen.add(dir);
  const kfile = kustomizationFile(dir);
  if (!kfile) return { dirs: seen, files };
  files.add(kfile);
  const refs = kustomizationRefs(kfile);
  for (const r of refs) {
    if (/^[a-z]+:\/\//i.test(r) || r.startsWith('git@') || r.startsWith('github.com/')) continue; // remote
    const target = path.resolve(dir, r);
    if (isDir(target)) kustomizeClosure(target, seen, files);
    else files.add(target);
  }
  return { dirs: seen, files };
}

function isUnder(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent + path.sep);
}

/** Every app of a workspace, from definitions first, then folder rules. Never throws for content problems. */
/** `reads`: share file texts and folder listings with the render that follows (see ReadCache). */
export async function discoverApps(root: string, reads: Reads = UNCACHED): Promise<DiscoverResult> {
  const absRoot = path.resolve(root);
  const errors: string[] = [];
  const notes: string[] = [];
  const folders = await walk(absRoot, reads);
  const chartDirs = folders.filter((f) => f.chart).map((f) => f.dir);
  const insideChart = (p: string) => chartDirs.some((c) => p !== c && isUnder(p, c));

  // 1. Definitions (Argo CD Applications, Flux Kustomizations / HelmReleases) anywhere outside chart templates.
  const definitions: { obj: KubeObject; at: SourceLocation; fieldSources: Map<string, SourceLocation>; generated?: boolean }[] = [];
  const generators: KubeObject[] = [];
  for (const folder of folders) {
    if (insideChart(folder.dir)) continue;
    for (const file of folder.yamlFiles) {
      let text: string;
      try {
        text = reads.readText(file);
      } catch (err) {
        errors.push(`${path.relative(absRoot, file)}: ${(err as Error).message}`);
        continue;
      }
      if (looksLikeManifest(text)) folder.manifestFiles.push(file);
      if (!DEFINITION_HINT.test(text)) continue;
      const parsed = parseManifests(text, file);
      for (const e of parsed.errors) errors.push(`${path.relative(absRoot, file)}:${e.line}: ${e.message}`);
      for (const p of parsed.objects) {
        const o = p.object;
        const group = o.apiVersion.split('/')[0];
        if (group === 'argoproj.io' && o.kind === 'Application') definitions.push({ obj: o, at: p.source, fieldSources: p.fieldSources });
        else if (group === 'argoproj.io' && o.kind === 'ApplicationSet') {
          const expanded = expandApplicationSet(o, absRoot, { readText: (f) => reads.readText(f), where: `${path.relative(absRoot, file)}:${p.source.line}` });
          notes.push(...expanded.notes);
          if (!expanded.applications.length && !expanded.notes.length) notes.push(`ApplicationSet ${o.metadata.name} (${path.relative(absRoot, file)}:${p.source.line}): generates no Applications`);
          // Generated Applications are declared at the ApplicationSet; their fields are templates, so no field sources.
          for (const app of expanded.applications) definitions.push({ obj: app, at: p.source, fieldSources: new Map(), generated: true });
        }
        else if (group === 'kustomize.toolkit.fluxcd.io' && o.kind === 'Kustomization') definitions.push({ obj: o, at: p.source, fieldSources: p.fieldSources });
        else if (group === 'helm.toolkit.fluxcd.io' && o.kind === 'HelmRelease') definitions.push({ obj: o, at: p.source, fieldSources: p.fieldSources });
        else if (group === 'source.extensions.fluxcd.io' && o.kind === 'ArtifactGenerator') generators.push(o);
      }
    }
  }

  const apps: App[] = [];
  const seenDefinitions = new Set<string>();
  for (const { obj, at, fieldSources, generated } of definitions) {
    const group = obj.apiVersion.split('/')[0];
    let found: App[] = [];
    if (group === 'argoproj.io') {
      const r = appsFromArgoApplication(obj, absRoot, at, fieldSources);
      found = r.apps;
      if (generated) for (const app of found) app.origin = 'argocd-applicationset';
      notes.push(...r.notes);
    } else {
      const app = appFromFluxObject(obj, absRoot, at, { artifactGenerators: generators }, fieldSources);
      if (app) found = [app];
      else if (obj.kind === 'Kustomization') notes.push(`Flux Kustomization ${obj.metadata.name} (${path.relative(absRoot, at.file)}:${at.line}): path ${asStr(asObj(obj.spec)?.path) ?? './'} is not in this workspace: skipped`);
    }
    for (const app of found) {
      // the same definition declared twice with the same effect (e.g. in two cluster folders) is one app
      const key = JSON.stringify({ ...app, definedAt: undefined });
      if (seenDefinitions.has(key)) continue;
      seenDefinitions.add(key);
      apps.push(app);
    }
  }

  // 2. What the definitions cover: their folders, everything their kustomizations include, chart subfolders.
  const coveredDirs = new Set<string>();
  const coveredFiles = new Set<string>();
  const cover = (dir: string, recurse: boolean) => {
    coveredDirs.add(dir);
    const closure = kustomizeClosure(dir);
    for (const d of closure.dirs) coveredDirs.add(d);
    for (const f of closure.files) coveredFiles.add(f);
    if (recurse) for (const f of folders) if (isUnder(f.dir, dir)) coveredDirs.add(f.dir);
  };
  for (const app of apps) if (!app.unrenderable) cover(app.path, app.renderer === 'helm' || app.directory?.recurse === true);

  // 3. Folder rules. Kustomizations included by another kustomization are bases, not apps.
  const kustomizeDirs = folders.filter((f) => f.kustomization && !insideChart(f.dir)).map((f) => f.dir);
  const includedByOther = new Set<string>();
  const filesIncluded = new Set<string>();
  for (const dir of kustomizeDirs) {
    const closure = kustomizeClosure(dir);
    for (const d of closure.dirs) if (d !== dir) includedByOther.add(d);
    for (const f of closure.files) filesIncluded.add(f);
  }
  const folderApps: App[] = [];
  for (const folder of folders) {
    const dir = folder.dir;
    if (coveredDirs.has(dir) || insideChart(dir)) continue;
    let origin: App['origin'];
    let renderer: RendererKind;
    if (folder.chart) {
      origin = 'Chart.yaml';
      renderer = 'helm';
    } else if (folder.kustomization) {
      if (includedByOther.has(dir)) continue;
      origin = 'kustomization.yaml';
      renderer = 'kustomize';
    } else {
      const own = folder.manifestFiles.filter((f) => !filesIncluded.has(f) && !coveredFiles.has(f));
      if (own.length === 0) continue;
      const holds = await holdsKubernetesObjects(own, reads);
      if (holds === 'none') continue;
      if (holds === 'definitions') {
        notes.push(`${path.relative(absRoot, dir) || '.'}: holds only Argo CD / Flux definitions and no definition points at it: not an app of its own`);
        continue;
      }
      origin = 'plain-manifests';
      renderer = 'directory';
    }
    const app: App = { name: '', path: dir, renderer, namespace: 'default', origin, ignoreDifferences: [] };
    if (renderer === 'helm') {
      app.helm = { releaseName: undefined };
      const notesForChart = await appOfAppsNote(dir, absRoot);
      if (notesForChart) notes.push(notesForChart);
    }
    folderApps.push(app);
  }
  nameFolderApps(folderApps, absRoot);
  for (const app of folderApps) if (app.helm) app.helm.releaseName = app.name;
  apps.push(...folderApps);
  uniqueNames(apps, absRoot);
  linkHelmReleasesToKustomizations(apps);
  findValuesFromFiles(apps, folders, reads);
  return { apps, errors, notes };
}

/** GitOps agents' own kinds: a folder of only these is the agent's configuration, not an app. */
function isAgentDefinition(apiVersion: string): boolean {
  const group = apiVersion.split('/')[0];
  return group === 'argoproj.io' || group.endsWith('.fluxcd.io') || group === 'kustomize.config.k8s.io';
}

/** A renderable HelmRelease declared in a file that a Flux Kustomization app builds: remember the
 *  Kustomization, whose render carries the overlays' patches of the HelmRelease values. */
function linkHelmReleasesToKustomizations(apps: App[]): void {
  const kustomizations = apps.filter((a) => a.origin === 'flux-kustomization' && a.renderer === 'kustomize' && !a.unrenderable);
  if (!kustomizations.length) return;
  const closures = new Map(kustomizations.map((k) => [k, kustomizeClosure(k.path).files]));
  for (const app of apps) {
    if (app.origin !== 'flux-helmrelease' || app.unrenderable || !app.definedAt) continue;
    const file = app.definedAt.file;
    const parent = kustomizations.find((k) => closures.get(k)!.has(file));
    if (parent) helmReleaseParents.set(app, parent);
  }
}

async function holdsKubernetesObjects(files: string[], reads: Reads): Promise<'objects' | 'definitions' | 'none'> {
  let definitions = false;
  for (const file of files) {
    try {
      const parsed = parseManifests(reads.readText(file), file);
      if (parsed.objects.some((o) => !isAgentDefinition(o.object.apiVersion))) return 'objects';
      if (parsed.objects.length) definitions = true;
      if (parsed.errors.length) return 'objects'; // broken YAML in a manifest folder is still that folder's app (it reports the error)
    } catch { /* unreadable: not an app */ }
  }
  return definitions ? 'definitions' : 'none';
}

async function appOfAppsNote(chartDir: string, root: string): Promise<string | undefined> {
  const templates = path.join(chartDir, 'templates');
  let entries: string[];
  try {
    entries = await fsp.readdir(templates);
  } catch {
    return undefined;
  }
  for (const e of entries) {
    if (!YAML_FILE.test(e)) continue;
    const text = await fsp.readFile(path.join(templates, e), 'utf8').catch(() => '');
    if (/argoproj\.io\//.test(text) && /kind:\s*Application\b/.test(text)) {
      return `${path.relative(root, chartDir) || '.'}: chart renders Argo CD Applications (app of apps): child apps are not expanded`;
    }
  }
  return undefined;
}

/** Folder apps are named after their folder; clashes use the path relative to the workspace. */
function nameFolderApps(apps: App[], root: string): void {
  const byBase = new Map<string, number>();
  for (const a of apps) {
    const base = path.basename(a.path) || path.basename(root);
    byBase.set(base, (byBase.get(base) ?? 0) + 1);
  }
  for (const a of apps) {
    const base = path.basename(a.path) || path.basename(root);
    const rel = path.relative(root, a.path).split(path.sep).join('-');
    a.name = (byBase.get(base) ?? 0) > 1 && rel ? rel : base;
  }
}

/** Every app name unique: later clashes get the definition folder (or a counter) appended. */
function uniqueNames(apps: App[], root: string): void {
  const count = new Map<string, number>();
  for (const a of apps) count.set(a.name, (count.get(a.name) ?? 0) + 1);
  const used = new Set<string>();
  for (const a of apps) {
    let name = a.name;
    if ((count.get(name) ?? 0) > 1) {
      const where = a.definedAt ? path.relative(root, path.dirname(a.definedAt.file)) : path.relative(root, a.path);
      name = where ? `${a.name}@${where.split(path.sep).join('/')}` : a.name;
    }
    let candidate = name;
    for (let i = 2; used.has(candidate); i++) candidate = `${name}-${i}`;
    used.add(candidate);
    a.name = candidate;
  }
}
