// Argo CD ApplicationSets expanded offline into the Applications the ApplicationSet controller would
// generate (Argo CD 2.x/3.x semantics: applicationset/generators, utils/utils.go, controllers/template).
// Generators read from the workspace (taken to be the Git repository): list, git directories / files,
// matrix, merge. Generators that need the cluster or a provider API are named in a note and give nothing.
// Templates: fasttemplate `{{ key }}` (default) and a subset of Go templates (goTemplate: true); anything
// outside that subset leaves the whole ApplicationSet unexpanded with a note, never a wrong expansion.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../model';
import { gitRoot } from '../folders';

export interface ExpandOptions {
  readText?: (file: string) => string;
  readdir?: (dir: string) => fs.Dirent[];
  /** Where the ApplicationSet is declared (e.g. `argocd/apps.yaml:12`), named in every note. */
  where?: string;
}
export interface ExpandResult {
  applications: KubeObject[];
  notes: string[];
}

type Obj = Record<string, unknown>;
type Params = Obj;
const asObj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const isObj = (v: unknown): v is Obj => !!asObj(v);

/** Argo CD itself would fail on this ApplicationSet (its status shows the error). */
class ArgoError extends Error {}
/** Valid for Argo CD, but not evaluated here. */
class Unsupported extends Error {}

/** Generators whose parameters come from the cluster or a provider API. */
const OFFLINE = ['clusters', 'clusterDecisionResource', 'scmProvider', 'pullRequest', 'plugin'];
/** ApplicationSetGenerator field order (GetRelevantGenerators walks the struct in this order). */
const KINDS = ['list', 'clusters', 'git', 'scmProvider', 'clusterDecisionResource', 'pullRequest', 'matrix', 'merge', 'plugin'];

interface Ctx {
  goTemplate: boolean;
  missingKeyError: boolean;
  applyNestedSelectors: boolean;
  root: string;
  readText: (file: string) => string;
  readdir: (dir: string) => fs.Dirent[];
  notes: string[];
  tree?: { dirs: string[]; files: string[] };
}

export function expandApplicationSet(appSet: KubeObject, workspaceRoot: string, opts: ExpandOptions = {}): ExpandResult {
  const name = appSet.metadata?.name ?? 'applicationset';
  const spec = asObj(appSet.spec) ?? {};
  const notes: string[] = [];
  const label = `ApplicationSet ${name}${opts.where ? ` (${opts.where})` : ''}`;
  const ctx: Ctx = {
    goTemplate: spec.goTemplate === true,
    missingKeyError: false,
    applyNestedSelectors: spec.applyNestedSelectors === true,
    root: gitRoot(workspaceRoot) ?? path.resolve(workspaceRoot),
    readText: opts.readText ?? ((f) => fs.readFileSync(f, 'utf8')),
    readdir: opts.readdir ?? ((d) => fs.readdirSync(d, { withFileTypes: true })),
    notes,
  };
  try {
    for (const o of Array.isArray(spec.goTemplateOptions) ? spec.goTemplateOptions : []) {
      if (o === 'missingkey=error') ctx.missingKeyError = true;
      else if (o === 'missingkey=default' || o === 'missingkey=invalid') ctx.missingKeyError = false;
      else throw new Unsupported(`goTemplateOptions ${JSON.stringify(o)}`);
    }
    const applications = generateApplications(appSet, spec, ctx);
    return { applications, notes: notes.map((n) => `${label}: ${n}`) };
  } catch (err) {
    const e = err as Error;
    const why = e instanceof Unsupported ? `${e.message} is not supported here` : e instanceof ArgoError ? `Argo CD reports: ${e.message}` : `cannot be expanded: ${e.message}`;
    return { applications: [], notes: [...notes.map((n) => `${label}: ${n}`), `${label}: ${why}: not expanded`] };
  }
}

function generateApplications(appSet: KubeObject, spec: Obj, ctx: Ctx): KubeObject[] {
  const base = asObj(spec.template) ?? {};
  const preserve = asObj(spec.syncPolicy)?.preserveResourcesOnDeletion === true;
  const apps: KubeObject[] = [];
  for (const gen of Array.isArray(spec.generators) ? spec.generators : []) {
    const g = asObj(gen);
    if (!g) continue;
    const kinds = KINDS.filter((k) => g[k] != null);
    const unknown = Object.keys(g).filter((k) => k !== 'selector' && !KINDS.includes(k));
    if (unknown.length) ctx.notes.push(`generator ${unknown.join(', ')} is not known here: nothing generated from it`);
    for (const kind of kinds) {
      let params: Params[];
      try {
        params = transform(g, kind, {}, ctx, 0);
      } catch (err) {
        if (!(err instanceof Offline)) throw err;
        ctx.notes.push(`${err.message}: needs the cluster or a provider API, nothing generated from it`);
        continue;
      }
      // a generator's own template, its empty fields filled from spec.template (mergo.Merge)
      const tmpl = fillEmpty(structuredClone(asObj(asObj(g[kind])?.template) ?? {}), base) as Obj;
      for (const p of params) {
        const app = renderApplication(tmpl, p, preserve, ctx);
        if (typeof spec.templatePatch === 'string') applyTemplatePatch(app, spec.templatePatch, p, ctx);
        // always the ApplicationSet's namespace (the apps-in-any-namespace security boundary)
        if (appSet.metadata?.namespace) app.metadata.namespace = appSet.metadata.namespace;
        else delete app.metadata.namespace;
        apps.push(app);
      }
    }
  }
  const seen = new Set<string>();
  return apps.filter((app) => {
    // validateGeneratedApplications: a name seen before is a validation error of that Application only;
    // the ApplicationSet shows the error and the valid ones are still created
    if (seen.has(app.metadata.name)) {
      ctx.notes.push(`Argo CD reports: ApplicationSet ${appSet.metadata?.name} contains applications with duplicate name: ${app.metadata.name} (the first is created, this one is skipped)`);
      return false;
    }
    seen.add(app.metadata.name);
    const ok = app.metadata.name.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(app.metadata.name);
    if (!ok) ctx.notes.push(`generated Application name ${JSON.stringify(app.metadata.name)} is not a valid Kubernetes name (Argo CD cannot create it): skipped`);
    return ok;
  });
}

class Offline extends Error {}

/** generators.Transform: one generator's parameter sets, after interpolating genParams (matrix) and the selector. */
function transform(gen: Obj, kind: string, genParams: Params, ctx: Ctx, depth: number): Params[] {
  if (OFFLINE.includes(kind)) throw new Offline(`generator ${kind}`);
  let g = gen;
  if (Object.keys(genParams).length) g = renderDeep(gen, genParams, ctx) as Obj;
  const spec = asObj(g[kind]) ?? {};
  let params: Params[];
  if (kind === 'list') params = listParams(spec, ctx);
  else if (kind === 'git') params = gitParams(spec, ctx);
  else if (kind === 'matrix') params = matrixParams(spec, ctx, depth);
  else params = mergeParams(spec, ctx, depth);
  // the generators of a nested matrix / merge keep their selector only with spec.applyNestedSelectors
  const selector = depth < 2 || ctx.applyNestedSelectors ? asObj(g.selector) : undefined;
  return selector ? params.filter((p) => selectorMatches(selector, flattenParams(p))) : params;
}

function childParams(child: unknown, genParams: Params, ctx: Ctx, depth: number): Params[] {
  const c = asObj(child) ?? {};
  // a nested child (ApplicationSetTerminalGenerator) has no matrix / merge field: combinations nest once
  const kinds = KINDS.filter((k) => c[k] != null && (depth < 2 || (k !== 'matrix' && k !== 'merge')));
  if (kinds.length === 0) throw new ArgoError('child generator returned an error on parameter generation: child generator generated no parameters');
  if (kinds.length > 1) throw new ArgoError('found more than one generator in matrix.Generators');
  try {
    return transform(c, kinds[0], genParams, ctx, depth);
  } catch (err) {
    if (err instanceof Offline && !err.message.includes('inside')) throw new Offline(`${err.message} (inside a matrix / merge generator, which therefore gives nothing)`);
    throw err;
  }
}

function listParams(spec: Obj, ctx: Ctx): Params[] {
  const out: Params[] = [];
  for (const el of Array.isArray(spec.elements) ? spec.elements : []) {
    const element = asObj(el) ?? {};
    if (ctx.goTemplate) {
      out.push(structuredClone(element));
      continue;
    }
    const p: Params = {};
    for (const [k, v] of Object.entries(element)) {
      if (k === 'values') {
        if (!isObj(v)) throw new ArgoError('error parsing values map');
        for (const [vk, vv] of Object.entries(v)) {
          if (typeof vv !== 'string') throw new ArgoError(`error parsing value as string (list element values.${vk})`);
          p[`values.${vk}`] = vv;
        }
      } else if (typeof v !== 'string') throw new ArgoError(`error parsing value as string (list element key ${k}; without goTemplate every value must be a string)`);
      else p[k] = v;
    }
    out.push(p);
  }
  if (typeof spec.elementsYaml === 'string' && spec.elementsYaml.trim()) {
    // appended as parsed, in both template modes (list.go)
    const parsed = parseYaml11(spec.elementsYaml, 'elementsYaml');
    if (parsed != null && !Array.isArray(parsed)) throw new ArgoError('error unmarshling decoded ElementsYaml: not a list');
    for (const e of (parsed as unknown[] | null) ?? []) out.push(asObj(e) ?? {});
  }
  return out;
}

function parseYaml11(text: string, what: string): unknown {
  try {
    // sigs.k8s.io/yaml reads YAML 1.1 (yes/no/on/off are booleans)
    return parseYaml(text, { version: '1.1' });
  } catch (err) {
    throw new ArgoError(`unable to parse ${what}: ${(err as Error).message.split('\n')[0]}`);
  }
}

function gitParams(spec: Obj, ctx: Ctx): Params[] {
  const dirs = Array.isArray(spec.directories) ? spec.directories.map(asObj).filter((d): d is Obj => !!d) : [];
  const files = Array.isArray(spec.files) ? spec.files.map(asObj).filter((d): d is Obj => !!d) : [];
  const prefix = typeof spec.pathParamPrefix === 'string' ? spec.pathParamPrefix : '';
  const values = asObj(spec.values) ?? {};
  let out: Params[];
  if (dirs.length) {
    const matchers = dirs.map((d) => ({ re: goPathMatch(String(d.path ?? '')), exclude: d.exclude === true }));
    for (const [i, m] of matchers.entries()) if (!m.re) ctx.notes.push(`git directories path ${JSON.stringify(dirs[i].path)} is not a valid pattern: ignored, as Argo CD does`);
    const wanted = walkRepo(ctx).dirs.filter((d) => matchers.some((m) => !m.exclude && m.re?.test(d)) && !matchers.some((m) => m.exclude && m.re?.test(d)));
    out = wanted.map((d) => pathParams(d, undefined, prefix, ctx));
  } else if (files.length) {
    const found = new Set<string>();
    for (const f of files) if (f.exclude !== true) for (const file of gitLsFiles(String(f.path ?? ''), ctx)) found.add(file);
    for (const f of files) if (f.exclude === true) for (const file of gitLsFiles(String(f.path ?? ''), ctx)) found.delete(file);
    out = [];
    for (const file of [...found].sort()) {
      let text: string;
      try {
        text = ctx.readText(path.join(ctx.root, file));
      } catch (err) {
        throw new ArgoError(`unable to read file '${file}': ${(err as Error).message}`);
      }
      // one object per file, or a list of objects (git.go generateParamsFromGitFile)
      const doc = parseYaml11(text, `file '${file}'`);
      const objects = doc == null ? [{}] : Array.isArray(doc) ? doc : [doc];
      for (const o of objects) {
        if (!isObj(o)) throw new ArgoError(`unable to process file '${file}': not a map or a list of maps`);
        const p: Params = ctx.goTemplate ? { ...o } : flatten(o);
        Object.assign(p, pathParams(path.posix.dirname(file), file, prefix, ctx));
        out.push(p);
      }
    }
  } else throw new ArgoError('generator is empty (git needs directories or files)');
  for (const p of out) appendValues(values, p, ctx);
  return out;
}

/** The path parameters of a directory (or of a file's directory), in both template forms. */
function pathParams(dir: string, file: string | undefined, prefix: string, ctx: Ctx): Params {
  const base = path.posix.basename(dir);
  if (ctx.goTemplate) {
    const p: Obj = { path: dir, basename: base, basenameNormalized: sanitizeName(base), segments: dir.split('/') };
    if (file !== undefined) Object.assign(p, { filename: path.posix.basename(file), filenameNormalized: sanitizeName(path.posix.basename(file)) });
    return prefix ? { [prefix]: { path: p } } : { path: p };
  }
  const n = prefix ? `${prefix}.path` : 'path';
  const p: Params = { [n]: dir, [`${n}.basename`]: base, [`${n}.basenameNormalized`]: sanitizeName(base) };
  if (file !== undefined) Object.assign(p, { [`${n}.filename`]: path.posix.basename(file), [`${n}.filenameNormalized`]: sanitizeName(path.posix.basename(file)) });
  dir.split('/').forEach((s, i) => {
    if (s) p[`${n}[${i}]`] = s;
  });
  return p;
}

/** Generator `values`: strings templated with the generator's parameters, added as values.<key>. */
function appendValues(values: Obj, p: Params, ctx: Ctx): void {
  const rendered: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    if (typeof v !== 'string') throw new ArgoError(`values.${k} is not a string`);
    rendered[k] = replace(v, p, ctx);
  }
  if (!Object.keys(rendered).length) return;
  if (ctx.goTemplate) p.values = rendered;
  else for (const [k, v] of Object.entries(rendered)) p[`values.${k}`] = v;
}

/** utils.SanitizeName: lowercase, [^-a-z0-9.] -> '-', at most 253, trimmed of '-' and '.'. */
export function sanitizeName(name: string): string {
  return name.toLowerCase().replace(/[^-a-z0-9.]/g, '-').slice(0, 253).replace(/^[-.]+|[-.]+$/g, '');
}

/** One walk of the repository: its folders as the repo server lists them for the directory generator
 *  (relative, lexical pre-order, '.'-folders and what they hold skipped) and every file for the files
 *  generator ('.git' and node_modules, never tracked, left out). */
function walkRepo(ctx: Ctx): { dirs: string[]; files: string[] } {
  if (ctx.tree) return ctx.tree;
  const tree = { dirs: [] as string[], files: [] as string[] };
  const visit = (rel: string, hidden: boolean) => {
    let entries: fs.Dirent[];
    try {
      entries = ctx.readdir(rel ? path.join(ctx.root, rel) : ctx.root);
    } catch {
      return;
    }
    for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isFile()) tree.files.push(child);
      if (!e.isDirectory() || e.name === '.git' || e.name === 'node_modules') continue;
      const childHidden = hidden || e.name.startsWith('.');
      if (!childHidden) tree.dirs.push(child);
      visit(child, childHidden);
    }
  };
  visit('', false);
  return (ctx.tree = tree);
}

/** `git ls-files -- <pathspec>`: without wildcards a file or folder prefix; with them fnmatch where
 *  `*` also crosses '/' (Argo CD's default, "greedy" file globbing). */
function gitLsFiles(pattern: string, ctx: Ctx): string[] {
  const spec = pattern.replace(/^(\.\/)+/, '');
  if (spec.startsWith('/') || spec.split('/').includes('..')) throw new ArgoError(`git ls-files: pathspec '${pattern}' is outside repository`);
  const match = gitPathspecMatcher(spec);
  if (!match) throw new ArgoError(`git files path ${JSON.stringify(pattern)} is not a valid pattern`);
  return walkRepo(ctx).files.filter(match);
}

/** Whether `git ls-files -- <spec>` lists a repository file (spec relative to the root, no leading './'). */
export function gitPathspecMatcher(spec: string): ((file: string) => boolean) | undefined {
  if (spec === '' || spec === '.') return () => true;
  if (!/[*?[\\]/.test(spec)) {
    const dir = spec.replace(/\/+$/, '');
    return (f) => f === dir || f.startsWith(dir + '/');
  }
  const re = globToRegExp(spec, '.*', '.', true);
  return re && ((f) => re.test(f));
}

/** Go's path.Match (git directories): `*` and `?` stop at '/', `[...]` classes, `\` escapes. */
function goPathMatch(pattern: string): RegExp | undefined {
  return globToRegExp(pattern, '[^/]*', '[^/]', false);
}

function globToRegExp(pattern: string, star: string, one: string, bangNegates: boolean): RegExp | undefined {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += star;
    else if (c === '?') re += one;
    else if (c === '\\') {
      if (i + 1 >= pattern.length) return undefined;
      re += escapeRe(pattern[++i]);
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) return undefined;
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('^') || (bangNegates && body.startsWith('!'));
      if (negate) body = body.slice(1);
      if (!body) return undefined;
      re += `[${negate ? '^' : ''}${body.replace(/[\]\\^]/g, '\\$&')}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`);
}
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function matrixParams(spec: Obj, ctx: Ctx, depth: number): Params[] {
  const gens = Array.isArray(spec.generators) ? spec.generators : [];
  if (gens.length < 2) throw new ArgoError('found less than two generators, Matrix support only two');
  if (gens.length > 2) throw new ArgoError('found more than two generators, Matrix support only two');
  const out: Params[] = [];
  for (const a of childParams(gens[0], {}, ctx, depth + 1)) {
    // the second child is interpolated with each parameter set of the first
    for (const b of childParams(gens[1], a, ctx, depth + 1)) {
      if (ctx.goTemplate) out.push(deepMerge(deepMerge({}, b), a));
      else {
        const fa = stringMap(a);
        const res: Params = { ...fa };
        for (const [k, v] of Object.entries(stringMap(b))) {
          if (k in res && res[k] !== v) throw new ArgoError(`failed to combine string maps with merging params for the matrix generator: found duplicate key ${k} with different value, a: ${String(res[k])} ,b: ${v}`);
          res[k] = v;
        }
        out.push(res);
      }
    }
  }
  return out;
}

function mergeParams(spec: Obj, ctx: Ctx, depth: number): Params[] {
  const gens = Array.isArray(spec.generators) ? spec.generators : [];
  if (gens.length < 2) throw new ArgoError('found less than two generators, Merge requires two or more');
  const keys = [...new Set((Array.isArray(spec.mergeKeys) ? spec.mergeKeys : []).map(String))];
  if (!keys.length) throw new ArgoError('no merge keys were specified, Merge requires at least one');
  const byKey = (sets: Params[]) => {
    const m = new Map<string, Params>();
    for (const p of sets) {
      const k = JSON.stringify(Object.fromEntries([...keys].sort().map((key) => [key, p[key] ?? null])));
      if (m.has(k)) throw new ArgoError(`the parameters from a generator were not unique by the given mergeKeys, Merge requires all param sets to be unique. Duplicate key was ${k}`);
      m.set(k, p);
    }
    return m;
  };
  const sets = gens.map((g) => childParams(g, {}, ctx, depth + 1));
  const baseSets = byKey(sets[0]);
  for (const other of sets.slice(1)) {
    const o = byKey(other);
    for (const [k, p] of baseSets) {
      const over = o.get(k);
      if (over) baseSets.set(k, ctx.goTemplate ? deepMerge(structuredClone(p), over) : { ...stringMap(p), ...stringMap(over) });
    }
  }
  return [...baseSets.values()];
}

/** mergo.Merge(dst, src, WithOverride) on parameter maps: maps merge deeply, anything else from src. */
function deepMerge(dst: Obj, src: Obj): Obj {
  for (const [k, v] of Object.entries(src)) {
    if (isObj(v) && isObj(dst[k])) dst[k] = deepMerge({ ...(dst[k] as Obj) }, v);
    else if (!isEmpty(v) && !(isObj(v) && !Object.keys(v).length)) dst[k] = isObj(v) ? deepMerge({}, v) : v;
    else if (!(k in dst)) dst[k] = v;
  }
  return dst;
}

/** mergo.Merge without override (generator template over spec.template): empty fields of dst filled from src. */
function fillEmpty(dst: unknown, src: unknown): unknown {
  if (isObj(src)) {
    if (!isObj(dst)) return isEmpty(dst) ? structuredClone(src) : dst;
    for (const [k, v] of Object.entries(src)) dst[k] = fillEmpty(dst[k], v);
    return dst;
  }
  return isEmpty(dst) ? structuredClone(src) : dst;
}
const isEmpty = (v: unknown) => v === undefined || v === null || v === '' || v === false || v === 0 || (Array.isArray(v) && v.length === 0);

function stringMap(p: Params): Record<string, string> {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, goString(v)]));
}

/** jeremywohl/flatten DotStyle + fmt %v: nested maps and lists as dotted keys. */
function flatten(o: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (isObj(o) || Array.isArray(o)) {
    for (const [k, v] of Object.entries(o)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out[prefix] = goString(o);
  return out;
}
const flattenParams = (p: Params) => flatten(p);

function selectorMatches(sel: Obj, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(asObj(sel.matchLabels) ?? {})) if (labels[k] !== String(v)) return false;
  for (const e of Array.isArray(sel.matchExpressions) ? sel.matchExpressions.map(asObj) : []) {
    const key = String(e?.key ?? '');
    const vals = (Array.isArray(e?.values) ? e!.values : []).map(String);
    const has = key in labels;
    switch (e?.operator) {
      case 'In': if (!has || !vals.includes(labels[key])) return false; break;
      case 'NotIn': if (has && vals.includes(labels[key])) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: throw new ArgoError(`error parsing label selector: operator ${String(e?.operator)}`);
    }
  }
  return true;
}

/** RenderTemplateParams: every string (and map key) of the template rendered; the resources finalizer added. */
function renderApplication(tmpl: Obj, p: Params, preserve: boolean, ctx: Ctx): KubeObject {
  const hasParams = Object.keys(p).length > 0; // no parameters: the template as written
  const meta = asObj(tmpl.metadata) ?? {};
  const t: Obj = {};
  for (const k of ['name', 'namespace', 'labels', 'annotations', 'finalizers']) if (meta[k] != null) t[k] = meta[k];
  const m = (hasParams ? renderDeep(t, p, ctx) : structuredClone(t)) as Obj;
  const spec = (hasParams ? renderDeep(asObj(tmpl.spec) ?? {}, p, ctx) : structuredClone(asObj(tmpl.spec) ?? {})) as Obj;
  if (hasParams && !preserve && !(Array.isArray(m.finalizers) && m.finalizers.length)) m.finalizers = ['resources-finalizer.argocd.argoproj.io'];
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { ...m, name: typeof m.name === 'string' ? m.name : '' }, spec };
}

/** templatePatch: rendered, then merged over the Application (maps merge, lists and scalars replace, null deletes). */
function applyTemplatePatch(app: KubeObject, patch: string, p: Params, ctx: Ctx): void {
  const doc = parseYaml11(replace(patch, p, ctx), 'templatePatch');
  if (doc == null) return;
  const project = (app.spec as Obj | undefined)?.project; // applyTemplatePatch keeps the project
  if (!isObj(doc)) throw new ArgoError('templatePatch is not a map');
  if (JSON.stringify(doc).includes('"$')) throw new Unsupported('a templatePatch with $patch / $setElementOrder directives');
  const merge = (dst: Obj, src: Obj) => {
    for (const [k, v] of Object.entries(src)) {
      if (v === null) delete dst[k];
      else if (isObj(v) && isObj(dst[k])) merge(dst[k] as Obj, v);
      else dst[k] = structuredClone(v);
    }
  };
  for (const key of ['metadata', 'spec']) if (isObj(doc[key])) merge(((app as Obj)[key] ??= {}) as Obj, doc[key] as Obj);
  if (isObj(app.spec)) {
    if (project === undefined) delete app.spec.project;
    else app.spec.project = project;
  }
}

/** utils.deeplyReplace: strings and map keys rendered; null map entries dropped. */
function renderDeep(v: unknown, p: Params, ctx: Ctx): unknown {
  if (typeof v === 'string') return replace(v, p, ctx);
  if (Array.isArray(v)) return v.map((x) => renderDeep(x, p, ctx));
  if (isObj(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[replace(k, p, ctx)] = renderDeep(x, p, ctx);
    return out;
  }
  return v;
}

/** Render.Replace: Go template when goTemplate, else fasttemplate (unknown or non-string keys stay as written). */
function replace(s: string, p: Params, ctx: Ctx): string {
  if (ctx.goTemplate) return goTemplate(s, p, ctx);
  if (!/\{\{.*\}\}/.test(s)) return s;
  let out = '';
  let i = 0;
  for (;;) {
    const a = s.indexOf('{{', i);
    if (a < 0) return out + s.slice(i);
    const b = s.indexOf('}}', a + 2);
    if (b < 0) throw new ArgoError(`invalid template: cannot find end tag "}}" in ${JSON.stringify(s)}`);
    const tag = s.slice(a + 2, b);
    const v = p[tag.trim()];
    out += s.slice(i, a) + (tag.trim() && typeof v === 'string' ? v : `{{${tag}}}`);
    i = b + 2;
  }
}

// ---- Go templates (text/template + sprig), the subset used in ApplicationSets --------------------

const MISSING = Symbol('no value');
type Val = unknown;
const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

function goTemplate(s: string, data: Params, ctx: Ctx): string {
  let out = '';
  let i = 0;
  for (;;) {
    const a = s.indexOf('{{', i);
    if (a < 0) return out + s.slice(i);
    let text = s.slice(i, a);
    let start = a + 2;
    if (/^-[ \t\r\n]/.test(s.slice(start))) {
      text = text.replace(/[ \t\r\n]+$/, '');
      start += 2;
    }
    const end = actionEnd(s, start);
    if (end < 0) throw new ArgoError(`failed to parse template ${s}: unclosed action`);
    let body = s.slice(start, end);
    let next = end + 2;
    let trimRight = false;
    if (/[ \t\r\n]-$/.test(body)) {
      body = body.slice(0, -2);
      trimRight = true;
    }
    out += text;
    const trimmed = body.trim();
    if (!(trimmed.startsWith('/*') && trimmed.endsWith('*/'))) out += printValue(evalPipeline(tokenize(body, s), data, ctx), s);
    if (trimRight) while (next < s.length && ' \t\r\n'.includes(s[next])) next++;
    i = next;
  }
}

/** Index of the `}}` closing an action (quoted strings may hold braces). */
function actionEnd(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '"' || c === "'") {
      for (i++; i < s.length && s[i] !== c; i++) if (s[i] === '\\') i++;
    } else if (c === '`') {
      i = s.indexOf('`', i + 1);
      if (i < 0) return -1;
    } else if (c === '}' && s[i + 1] === '}') return i;
  }
  return -1;
}

type Tok = { t: 'field'; path: string[]; root: boolean } | { t: 'str'; v: string } | { t: 'int'; v: bigint } | { t: 'num'; v: number } | { t: 'bool'; v: boolean } | { t: 'nil' } | { t: 'ident'; v: string } | { t: '|' } | { t: '(' } | { t: ')' };

function tokenize(body: string, whole: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < body.length) {
    const c = body[i];
    const rest = body.slice(i);
    let m: RegExpExecArray | null;
    if (' \t\r\n'.includes(c)) i++;
    else if (/^\$[A-Za-z_]/.test(rest)) throw new Unsupported(/:?=/.test(body) ? 'a Go template variable assignment' : 'a Go template variable');
    else if (c === '|' || c === '(' || c === ')') {
      toks.push({ t: c } as Tok);
      i++;
    } else if (c === '"') {
      m = /^"(?:[^"\\]|\\.)*"/.exec(rest);
      if (!m) throw new ArgoError(`failed to parse template ${whole}: unterminated quoted string`);
      toks.push({ t: 'str', v: goUnquote(m[0]) });
      i += m[0].length;
    } else if (c === '`') {
      const e = body.indexOf('`', i + 1);
      toks.push({ t: 'str', v: body.slice(i + 1, e) });
      i = e + 1;
    } else if ((m = /^(\$?)((?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)(?![A-Za-z0-9_.])/.exec(rest)) || (m = /^(\$)()(?![A-Za-z0-9_.=])/.exec(rest))) {
      toks.push({ t: 'field', path: m[2] && m[2] !== '.' ? m[2].slice(1).split('.') : [], root: m[1] === '$' });
      i += m[0].length;
    } else if ((m = /^[-+]?(?:0[xX][0-9a-fA-F_]+|\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)(?![A-Za-z0-9_.])/.exec(rest))) {
      const lit = m[0].replace(/_/g, '');
      if (/^[-+]?(0[xX][0-9a-fA-F]+|\d+)$/.test(lit) && !/^[-+]?0\d/.test(lit)) toks.push({ t: 'int', v: BigInt(lit.replace(/^\+/, '')) });
      else if (/^[-+]?0\d+$/.test(lit)) throw new Unsupported(`the octal number ${lit} in a Go template`);
      else toks.push({ t: 'num', v: Number(lit) });
      i += m[0].length;
    } else if ((m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest))) {
      const w = m[0];
      if (KEYWORDS.has(w)) throw new Unsupported(`the Go template action "${w}"`);
      toks.push(w === 'true' || w === 'false' ? { t: 'bool', v: w === 'true' } : w === 'nil' ? { t: 'nil' } : { t: 'ident', v: w });
      i += w.length;
    } else throw new Unsupported(`the Go template construct ${JSON.stringify(body.trim())}`);
  }
  if (!toks.length) throw new ArgoError(`failed to parse template ${whole}: missing value for command`);
  return toks;
}

function goUnquote(q: string): string {
  const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };
  return q.slice(1, -1).replace(/\\(.)/g, (_, c: string) => {
    if (!(c in map)) throw new Unsupported(`the string escape \\${c} in a Go template`);
    return map[c];
  });
}

/** A pipeline: commands separated by '|', each command's result the last argument of the next. */
function evalPipeline(toks: Tok[], data: Params, ctx: Ctx): Val {
  const cmds: Tok[][] = [[]];
  let depth = 0;
  for (const t of toks) {
    if (t.t === '(') depth++;
    if (t.t === ')') depth--;
    if (t.t === '|' && depth === 0) cmds.push([]);
    else cmds[cmds.length - 1].push(t);
  }
  if (depth !== 0 || cmds.some((c) => !c.length)) throw new ArgoError('failed to parse template: malformed pipeline');
  let final: Val | typeof NO_FINAL = NO_FINAL;
  for (const cmd of cmds) final = evalCommand(cmd, data, ctx, final);
  return final;
}
const NO_FINAL = Symbol('no final');

function evalCommand(cmd: Tok[], data: Params, ctx: Ctx, final: Val): Val {
  // split into operands (a parenthesised pipeline is one operand)
  const ops: Tok[][] = [];
  for (let i = 0; i < cmd.length; i++) {
    if (cmd[i].t === '(') {
      let depth = 1;
      let j = i + 1;
      for (; j < cmd.length && depth; j++) depth += cmd[j].t === '(' ? 1 : cmd[j].t === ')' ? -1 : 0;
      ops.push(cmd.slice(i, j));
      i = j - 1;
    } else ops.push([cmd[i]]);
  }
  const head = ops[0][0];
  if (head.t === 'ident') {
    const args = ops.slice(1).map((o) => evalOperand(o, data, ctx));
    if (final !== NO_FINAL) args.push(final);
    return callFunction(head.v, args);
  }
  if (ops.length > 1 || final !== NO_FINAL) throw new ArgoError(`can't give argument to non-function ${describe(head)}`);
  return evalOperand(ops[0], data, ctx);
}

const describe = (t: Tok) => (t.t === 'field' ? `${t.root ? '$' : ''}.${t.path.join('.')}` : t.t);

function evalOperand(op: Tok[], data: Params, ctx: Ctx): Val {
  const t = op[0];
  if (t.t === '(') return evalPipeline(op.slice(1, -1), data, ctx);
  if (t.t === 'str' || t.t === 'int' || t.t === 'num' || t.t === 'bool') return t.v;
  if (t.t === 'nil') throw new ArgoError('nil is not a command');
  if (t.t === 'ident') return callFunction(t.v, []);
  if (t.t !== 'field') throw new ArgoError('unexpected token in operand');
  let v: Val = data;
  for (const key of t.path) {
    if (v === MISSING) {
      if (ctx.missingKeyError) throw new ArgoError(`nil data; no entry for key "${key}"`);
      return MISSING;
    }
    if (v === null) throw new ArgoError(`nil pointer evaluating interface {}.${key}`);
    if (!isObj(v)) throw new ArgoError(`can't evaluate field ${key} in type ${goType(v)}`);
    if (!(key in v)) {
      if (ctx.missingKeyError) throw new ArgoError(`map has no entry for key "${key}"`);
      v = MISSING;
    } else v = v[key];
  }
  return v;
}

function goType(v: Val): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  if (isObj(v)) return 'map[string]interface {}';
  return 'interface {}';
}

/** A string argument as text/template checks it (a missing key is "invalid value"). */
function str(fn: string, v: Val): string {
  if (typeof v === 'string') return v;
  if (v === MISSING || v === null || v === undefined) throw new ArgoError(`error calling ${fn}: invalid value; expected string`);
  throw new ArgoError(`error calling ${fn}: wrong type for value; expected string; got ${goType(v)}`);
}

/** sprig's empty(): nil, zero numbers, false, empty strings / lists / maps. */
const sprigEmpty = (v: Val) => v === MISSING || v === null || v === undefined || v === '' || v === false || v === 0 || v === 0n || (Array.isArray(v) && !v.length) || (isObj(v) && !Object.keys(v).length);

function callFunction(fn: string, args: Val[]): Val {
  const arity = (n: number) => {
    if (args.length !== n) throw new ArgoError(`wrong number of args for ${fn}: want ${n} got ${args.length}`);
  };
  switch (fn) {
    case 'lower': arity(1); return str(fn, args[0]).toLowerCase();
    case 'upper': arity(1); return str(fn, args[0]).toUpperCase();
    case 'trim': arity(1); return str(fn, args[0]).trim();
    case 'trimPrefix': { arity(2); const [pre, s] = [str(fn, args[0]), str(fn, args[1])]; return s.startsWith(pre) ? s.slice(pre.length) : s; }
    case 'trimSuffix': { arity(2); const [suf, s] = [str(fn, args[0]), str(fn, args[1])]; return suf && s.endsWith(suf) ? s.slice(0, -suf.length) : s; }
    case 'replace': {
      arity(3);
      const [from, to, s] = args.map((a) => str(fn, a));
      return from === '' ? to + [...s].join(to) + (s ? to : '') : s.split(from).join(to); // Go's strings.Replace with an empty old
    }
    case 'base': arity(1); return path.posix.basename(str(fn, args[0])) || '.';
    case 'cat': return args.filter((a) => a !== MISSING && a !== null).map(goString).join(' ');
    case 'dig': {
      // dig "k1" "k2" default map: the nested value, or the default when a key is missing
      if (args.length < 3) throw new ArgoError(`wrong number of args for dig: want at least 3 got ${args.length}`);
      let v: Val = args[args.length - 1];
      if (!isObj(v)) throw new ArgoError(`error calling dig: wrong type for value; expected map[string]interface {}; got ${goType(v)}`);
      for (const k of args.slice(0, -2)) {
        if (!isObj(v) || !(str(fn, k) in v)) return args[args.length - 2];
        v = v[k as string];
      }
      return v;
    }
    case 'printf': return goSprintf(str(fn, args[0]), args.slice(1));
    case 'normalize': arity(1); return sanitizeName(str(fn, args[0]));
    case 'default':
      if (args.length < 1) throw new ArgoError('wrong number of args for default: want at least 1 got 0');
      return args.length < 2 || sprigEmpty(args[1]) ? args[0] : args[1];
    case 'toString': arity(1); return goString(args[0]);
    case 'quote':
    case 'squote':
      return args.filter((a) => a !== MISSING && a !== null).map((a) => {
        const s = goString(a);
        if (fn === 'squote') return `'${s}'`;
        if (!/^[\x20-\x7e]*$/.test(s)) throw new Unsupported('quote of a string with non-ASCII or control characters');
        return `"${s.replace(/[\\"]/g, '\\$&')}"`;
      }).join(' ');
    case 'index': {
      if (args.length < 1) throw new ArgoError('wrong number of args for index: want at least 1 got 0');
      let v = args[0];
      for (const k of args.slice(1)) {
        if (Array.isArray(v)) {
          if (typeof k !== 'bigint') throw new ArgoError(`error calling index: cannot index slice/array with type ${goType(k)}`);
          if (k < 0n || k >= BigInt(v.length)) throw new ArgoError(`error calling index: index out of range: ${k}`);
          v = v[Number(k)];
        } else if (isObj(v)) {
          if (typeof k !== 'string') throw new ArgoError(`error calling index: value has type ${goType(k)}; should be string`);
          v = k in v ? v[k] : null;
        } else if (v === MISSING || v === null) throw new ArgoError('error calling index: index of untyped nil');
        else throw new Unsupported(`index of a ${goType(v)}`);
      }
      return v;
    }
    default:
      throw new Unsupported(`the Go template function "${fn}"`);
  }
}

/** fmt.Sprintf for the common verbs (%s %v %d %q %%) on scalar arguments; anything else is not evaluated. */
function goSprintf(format: string, args: Val[]): string {
  let n = 0;
  const out = format.replace(/%([%svdq])|%[^%svdq]?/g, (all, verb: string | undefined) => {
    if (verb === '%') return '%';
    if (!verb || n >= args.length) throw new Unsupported(`printf with the format ${JSON.stringify(format)}`);
    const a = args[n++];
    if (verb === 'd') {
      if (typeof a !== 'bigint') throw new Unsupported(`printf %d of a ${goType(a)}`);
      return String(a);
    }
    if (verb === 'q') {
      if (typeof a !== 'string') throw new Unsupported(`printf %q of a ${goType(a)}`);
      return callFunction('quote', [a]) as string;
    }
    if (a === MISSING || a === null) throw new Unsupported('printf of a missing value');
    return goString(a);
  });
  if (n !== args.length) throw new Unsupported(`printf with extra arguments (${JSON.stringify(format)})`);
  return out;
}

/** fmt's %v for the scalar values templates print. */
function goString(v: Val): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'number') return goFloat(v);
  if (v === null || v === undefined || v === MISSING) return '<nil>';
  throw new Unsupported(`printing a ${goType(v)} value`);
}

function printValue(v: Val, whole: string): string {
  if (v === MISSING || v === null || v === undefined) return '<no value>';
  if (isObj(v) || Array.isArray(v)) throw new Unsupported(`printing a ${goType(v)} value (in ${JSON.stringify(whole)})`);
  return goString(v);
}

/** A float64 as fmt %v prints it: shortest digits, exponent form below 1e-4 and from 1e6 on (1e+06). */
export function goFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mant, e] = x.toExponential().split('e');
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(x);
}
