// Rendering one app into desired objects with a source map: directory (plain YAML), Kustomize, Helm.
// A render failure is a value (RenderResult.error), never a throw that stops the other apps.
import path from 'node:path';
import type { App, DesiredObject, RenderResult } from '../model';
import { refOf } from '../model';
import { isKustomizeConfig, toDesired } from './objects';
import { globMatch } from './glob';
import { crdScopes, isNamespaced, loadBuiltinScopes } from './scope';
import type { RenderTools } from './tools';
import { ToolMissingError } from './tools';
import { parseManifests, setIfAbsent } from './yamlSource';
import { childPath, UNCACHED, type Reads } from './readCache';

export type { RenderTools } from './tools';
export { ToolMissingError } from './tools';
export { isKustomizeConfig, toDesired } from './objects';
export { helmValuesSources, valuesFlow, type ValuesFlow } from './helm';
import { renderHelm } from './helm';
import { renderKustomize } from './kustomize';

const YAML_FILE = /\.(ya?ml|json)$/i;

/** Render one app. Throws only ToolMissingError (a setting to fix, not a property of the app) when
 *  `opts.throwOnMissingTool`; otherwise every problem ends in RenderResult.error. */
/** `opts.reads`: file texts and folder listings already read by discovery in the same pass. */
export async function renderApp(app: App, tools: RenderTools, opts: { throwOnMissingTool?: boolean; reads?: Reads } = {}): Promise<RenderResult> {
  await loadBuiltinScopes();
  if (app.unrenderable) return { app, objects: [], inputs: [], error: app.unrenderable };
  if (app.renderer !== 'directory' && tools.trusted === false) {
    return { app, objects: [], inputs: [], error: `workspace not trusted: helm/kustomize not run` };
  }
  try {
    let result: RenderResult;
    if (app.renderer === 'directory') result = await renderDirectory(app, opts.reads);
    else if (app.renderer === 'kustomize') result = await renderKustomize(app, tools);
    else result = await renderHelm(app, tools, opts.reads);
    if (!result.error) applyNamespace(result, app);
    return result;
  } catch (err) {
    if (err instanceof ToolMissingError) {
      if (opts.throwOnMissingTool) throw err;
      return { app, objects: [], inputs: [], error: err.message };
    }
    return { app, objects: [], inputs: [], error: `render failed: ${(err as Error).message}` };
  }
}

/** Objects without a namespace get the app's destination namespace, unless their kind is cluster-scoped. */
export function applyNamespace(result: RenderResult, app: App): void {
  const extra = crdScopes(result.objects.map((o) => o.object));
  for (const desired of result.objects) {
    const obj = desired.object;
    if (!isNamespaced(obj, extra)) {
      // a namespace written on a cluster-scoped object is ignored by the API server
      if (obj.metadata.namespace !== undefined) delete obj.metadata.namespace;
    } else if (!obj.metadata.namespace) {
      obj.metadata.namespace = app.namespace;
      // (setIfAbsent: a lazy source map is not computed for this)
      if (app.definedAt) setIfAbsent(desired.fieldSources, '/metadata/namespace', app.definedAt);
    }
    desired.ref = refOf(obj);
  }
}

async function listYamlFiles(dir: string, recurse: boolean, reads: Reads, rel = ''): Promise<string[]> {
  const out: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = [...(await reads.readdir(path.join(dir, rel)))];
  } catch {
    return out;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const relPath = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (recurse && !e.name.startsWith('.') && e.name !== 'node_modules') out.push(...(await listYamlFiles(dir, recurse, reads, relPath)));
    } else if (e.isFile() && YAML_FILE.test(e.name)) out.push(relPath);
  }
  return out;
}

/** Plain YAML: every Kubernetes document in the folder (recursively with directory.recurse). */
export async function renderDirectory(app: App, reads: Reads = UNCACHED): Promise<RenderResult> {
  // The folder's own listing doubles as the "is it a folder" check (ENOENT / ENOTDIR otherwise).
  if (!(await reads.readdir(app.path).then(() => true, () => false))) return { app, objects: [], inputs: [], error: `source folder not found: ${app.path}` };
  const opts = app.directory ?? {};
  const includes = splitGlobs(opts.include);
  const excludes = splitGlobs(opts.exclude);
  const files = (await listYamlFiles(app.path, opts.recurse === true, reads)).filter((rel) => {
    if (includes.length && !includes.some((g) => globMatch(g, rel))) return false;
    return !excludes.some((g) => globMatch(g, rel));
  });
  const objects: DesiredObject[] = [];
  const inputs: string[] = [];
  const errors: string[] = [];
  for (const rel of files) {
    const file = childPath(app.path, rel);
    inputs.push(file);
    const text = reads.readText(file);
    const parsed = parseManifests(text, file);
    for (const e of parsed.errors) errors.push(`${rel}:${e.line}: ${e.message}`);
    for (const p of parsed.objects) {
      if (isKustomizeConfig(p.object)) continue;
      objects.push(toDesired(p.object, p.source, p.fieldSources));
    }
  }
  if (errors.length) return { app, objects: [], inputs, error: `invalid YAML: ${errors.join('; ')}` };
  return { app, objects, inputs };
}

/** Argo CD accepts `{a.yaml,b.yaml}` and comma-free single globs. */
function splitGlobs(value: string | undefined): string[] {
  if (!value) return [];
  return [value.trim()].filter(Boolean);
}
