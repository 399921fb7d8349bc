// Every image declaration of a workspace, and the workloads each one feeds after rendering.
// Files are scanned structurally (yamlImages.ts); each app is rendered with the manifests layer and
// a declaration feeds a container when the rendered image comes from it (the render's source map
// points at its line, or its image name and tag are the ones rendered).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { App, RenderResult, SourceLocation } from '../model';
import { refKey } from '../model';
import type { RenderTools } from '../manifests/render';
import { scanYamlImages, isKustomizationFile, isValuesFileName, type ImageDeclaration } from './yamlImages';
import { parseImageReference, sameImageName } from './reference';

const SKIP_DIRS = new Set(['.git', 'node_modules', '.tools', '.vscode-test', '.code-server']);

/** One container of one rendered workload. */
export interface RenderedContainer {
  app: string;
  /** `Kind/namespace/name` (namespace empty for cluster-scoped). */
  workload: string;
  container: string;
  /** JSON Pointer of the image field in the rendered object. */
  pointer: string;
  image: string;
  /** Where the render's source map says the image is written. */
  source?: { file: string; line: number };
  /** refKey of the rendered object (to look up the Helm values flow). */
  ref?: string;
  /** Helm apps: the values keys whose values end up in this image field (manifests' valuesFlow). */
  valuesKeys?: string[];
}

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

export function renderedContainers(result: RenderResult): RenderedContainer[] {
  const out: RenderedContainer[] = [];
  for (const desired of result.objects) {
    const obj = desired.object;
    const workload = `${obj.kind}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name}`;
    const walk = (node: unknown, ptr: string): void => {
      if (Array.isArray(node)) { node.forEach((n, i) => walk(n, `${ptr}/${i}`)); return; }
      if (!node || typeof node !== 'object') return;
      for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
        const child = `${ptr}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        if (CONTAINER_LISTS.has(key) && Array.isArray(value)) {
          value.forEach((c, i) => {
            if (c && typeof c === 'object' && typeof (c as { image?: unknown }).image === 'string') {
              const pointer = `${child}/${i}/image`;
              out.push({ app: result.app.name, workload, container: String((c as { name?: unknown }).name ?? i), pointer,
                image: (c as { image: string }).image, source: desired.fieldSources.get(pointer), ref: refKey(desired.ref) });
            }
          });
        } else if (key !== 'metadata' && key !== 'status') {
          walk(value, child);
        }
      }
    };
    walk(obj, '');
  }
  return out;
}

export function containerLabel(c: RenderedContainer): string {
  return `${c.workload}[${c.container}]`;
}

/** YAML files under root worth scanning (chart templates are Go templates, not declarations). */
export async function yamlFilesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, inChart: boolean): Promise<void> => {
    let entries: fs.Dirent[];
    try { entries = await fsp.readdir(dir, { withFileTypes: true }); } catch { return; }
    const isChart = entries.some((e) => e.isFile() && e.name === 'Chart.yaml');
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (SKIP_DIRS.has(e.name)) continue;
        if ((isChart || inChart) && e.name === 'templates') continue;
        await walk(full, inChart || isChart);
      } else if (e.isFile() && (/\.ya?ml$/i.test(e.name) || e.name === 'Kustomization')) {
        out.push(full);
      }
    }
  };
  const stat = fs.statSync(root);
  if (stat.isFile()) return [root];
  await walk(root, false);
  return out.sort();
}

export interface ScanResult {
  declarations: ImageDeclaration[];
  apps: App[];
  renders: RenderResult[];
  containers: RenderedContainer[];
  errors: string[];
}

/** Scan files for declarations (values files: `values*.yaml` next to a Chart.yaml, and every app's valueFiles). */
export async function scanDeclarations(files: string[], valueFiles: Set<string> = new Set()): Promise<ImageDeclaration[]> {
  const decls: ImageDeclaration[] = [];
  for (const file of files) {
    let text: string;
    try { text = await fsp.readFile(file, 'utf8'); } catch { continue; }
    if (!/image|\$imagepolicy|newTag|tag/i.test(text)) continue;
    const values = valueFiles.has(file) || (isValuesFileName(file) && fs.existsSync(path.join(path.dirname(file), 'Chart.yaml')));
    decls.push(...scanYamlImages(text, file, { values, kustomization: isKustomizationFile(file) }));
  }
  resolveTagOnlyNames(decls);
  return decls;
}

/** `image.tag` written without its repository (an override file, an Argo CD parameter): take the
 *  repository from a declaration of the same values key that has one (the chart's values.yaml). */
function resolveTagOnlyNames(decls: ImageDeclaration[]): void {
  const byKey = new Map<string, Set<string>>();
  for (const d of decls) if (d.valuesKey && d.image) (byKey.get(d.valuesKey) ?? byKey.set(d.valuesKey, new Set()).get(d.valuesKey)!).add(d.image);
  for (const d of decls) {
    if (d.image || !d.valuesKey) continue;
    const names = byKey.get(d.valuesKey);
    if (names && names.size === 1) { d.image = [...names][0]; d.names = [d.image]; }
  }
}

/** Which declaration files may feed an app: its render inputs, its definition file, its value files. */
export function appFiles(app: App, render?: RenderResult): Set<string> {
  const files = new Set<string>(render?.inputs ?? []);
  if (app.definedAt) files.add(app.definedAt.file);
  for (const f of app.helm?.valueFiles ?? []) files.add(f);
  if (app.renderer === 'helm') files.add(path.join(app.path, 'values.yaml'));
  return files;
}

/** Can this declaration feed the app at all? A Helm values file counts only when the app reads it
 *  (the chart's values.yaml or one of its valueFiles), not merely because it sits in the chart folder. */
export function declarationBelongsTo(d: ImageDeclaration, app: App, inputs: Set<string>): boolean {
  if (!inputs.has(d.file)) return false;
  if (d.kind === 'helm-values' && d.owner === 'values' && app.renderer === 'helm') {
    return d.file === path.join(app.path, 'values.yaml') || d.file === path.join(app.path, 'values.yml') || (app.helm?.valueFiles ?? []).includes(d.file);
  }
  return true;
}

/** Does this declaration produce this rendered container image? For Helm apps the values flow
 *  (which values keys reach the field) and the winning source of each key decide; otherwise the
 *  render's source map, then the image name and tag. */
export function declarationFeeds(d: ImageDeclaration, c: RenderedContainer, valuesSources?: Map<string, SourceLocation>): boolean {
  if (c.source && c.source.file === d.file && c.source.line === d.line) return true;
  if (d.valuesKey && c.valuesKeys) {
    if (!c.valuesKeys.includes(d.valuesKey)) return false;
    const winner = valuesSources?.get(d.valuesKey);
    return !winner || winner.file === d.file;
  }
  if (d.tag === undefined) return false;
  const rendered = parseImageReference(c.image);
  if (rendered.tag !== d.tag) return false;
  if (d.names.length === 0) return true; // tag-only, repository unknown: the tag and the file decide
  return d.names.some((n) => sameImageName(n, rendered.name));
}

export function matchesImage(d: ImageDeclaration, image: string): boolean {
  return d.names.some((n) => sameImageName(n, image)) || (d.image !== '' && sameImageName(d.image, image));
}

/** Scan a workspace: declarations, apps, renders, and `feeds` filled on each declaration. */
export async function scanWorkspace(root: string, tools: RenderTools, opts: { render?: boolean; appName?: string } = {}): Promise<ScanResult> {
  const errors: string[] = [];
  let apps: App[] = [];
  const { discoverApps } = await import('../manifests/discover');
  try {
    const found = await discoverApps(root);
    apps = found.apps;
    errors.push(...found.errors);
  } catch (err) {
    errors.push(`app discovery failed: ${(err as Error).message}`);
  }
  if (opts.appName) apps = apps.filter((a) => a.name === opts.appName);
  const valueFiles = new Set(apps.flatMap((a) => a.helm?.valueFiles ?? []));
  const files = new Set(await yamlFilesUnder(root));
  for (const f of valueFiles) if (fs.existsSync(f)) files.add(f);
  const declarations = await scanDeclarations([...files], valueFiles);
  const renders: RenderResult[] = [];
  const containers: RenderedContainer[] = [];
  if (opts.render !== false) {
    const { renderApp } = await import('../manifests/render');
    for (const app of apps) {
      if (app.unrenderable) continue;
      const result = await renderApp(app, tools);
      renders.push(result);
      if (result.error) { errors.push(`${app.name}: ${result.error}`); continue; }
      const rendered = renderedContainers(result);
      const valuesSources = app.renderer === 'helm' ? await helmFlow(app, tools, rendered) : undefined;
      containers.push(...rendered);
      const inputs = appFiles(app, result);
      for (const d of declarations) {
        if (!declarationBelongsTo(d, app, inputs)) continue;
        for (const c of rendered) {
          if (declarationFeeds(d, c, valuesSources)) (d.feeds ??= []).push(`${app.name}: ${containerLabel(c)}`);
        }
      }
    }
  }
  return { declarations, apps, renders, containers, errors };
}

/** Fill `valuesKeys` on a Helm app's containers from the manifests layer's values flow; return the
 *  winning source of each values key. Best effort: without a flow the heuristics decide. */
async function helmFlow(app: App, tools: RenderTools, rendered: RenderedContainer[]): Promise<Map<string, SourceLocation> | undefined> {
  try {
    const { valuesFlow, helmValuesSources } = await import('../manifests/render');
    const flow = await valuesFlow(app, tools);
    for (const c of rendered) {
      const keys = c.ref ? flow.get(c.ref)?.get(c.pointer) : undefined;
      if (keys?.length) c.valuesKeys = keys;
    }
    return helmValuesSources(app);
  } catch {
    return undefined;
  }
}
