// Helm renderer: `helm template` renders; a second render with every values leaf replaced by a unique
// marker shows which values key flows into which rendered field, so a field points at the values
// file line that wins (later -f files over earlier, parameters over files), else at its template.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { App, DesiredObject, KubeObject, RenderResult, SourceLocation } from '../model';
import { pointerEscape, refKey, refOf } from '../model';
import { fluxValuesFrom, helmParametersLocation, helmReleaseParent, inlineValuesSource, kustomizationFile, setInlineValuesSource, valuesFromFiles } from './discover';
import { toDesired } from './objects';
import { childPath, UNCACHED, type Reads } from './readCache';
import { renderKustomize } from './kustomize';
import { isNamespaced } from './scope';
import type { RenderTools } from './tools';
import { resolveHelm, run } from './tools';
import { parseDocuments, parseManifests } from './yamlSource';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** refKey(object) -> JSON Pointer in the rendered object -> values keys (Helm `--set` notation, e.g.
 *  `image.tag`, `hosts[0]`) whose values appear in that field, in the order they appear in it. */
export type ValuesFlow = Map<string, Map<string, string[]>>;

// ---------------------------------------------------------------------------------------------
// Values layers and their winning source locations

/** Helm key path of a child: `a.b`, `a[0]`; keys with dots are escaped as Helm's --set does. */
function childKey(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const k = key.replace(/\./g, '\\.');
  return parent ? `${parent}.${k}` : k;
}

/** Helm key path -> JSON Pointer segments (for inline values written in a definition). */
function keyToPointer(keyPath: string): string {
  const segs: string[] = [];
  let cur = '';
  for (let i = 0; i < keyPath.length; i++) {
    const c = keyPath[i];
    if (c === '\\' && keyPath[i + 1] === '.') { cur += '.'; i++; }
    else if (c === '.') { if (cur) segs.push(cur); cur = ''; }
    else if (c === '[') {
      if (cur) segs.push(cur);
      cur = '';
      const end = keyPath.indexOf(']', i);
      segs.push(keyPath.slice(i + 1, end));
      i = end;
    } else cur += c;
  }
  if (cur) segs.push(cur);
  return segs.map((s) => '/' + pointerEscape(s)).join('');
}

interface ValuesState {
  /** Merged values as helm computes them (maps merged deeply, everything else replaced). */
  values: Obj;
  /** Winning location of every key path (leaves and containers). */
  sources: Map<string, SourceLocation>;
  files: string[];
}

function removeUnder(sources: Map<string, SourceLocation>, key: string): void {
  for (const k of [...sources.keys()]) if (k.startsWith(key + '.') || k.startsWith(key + '[')) sources.delete(k);
}

/** Merge one layer into state.values, recording where every value it sets is written. */
function mergeLayer(target: Obj, layer: Obj, prefix: string, where: (key: string) => SourceLocation | undefined, sources: Map<string, SourceLocation>): void {
  for (const [k, v] of Object.entries(layer)) {
    const key = childKey(prefix, k);
    if (v === null) {
      delete target[k]; // helm: null deletes a key
      sources.delete(key);
      removeUnder(sources, key);
      continue;
    }
    const at = where(key);
    if (isObj(v) && isObj(target[k])) {
      if (at) sources.set(key, at);
      else sources.delete(key);
      mergeLayer(target[k] as Obj, v, key, where, sources);
      continue;
    }
    removeUnder(sources, key);
    target[k] = structuredClone(v);
    recordAll(v, key, where, sources);
  }
}

function recordAll(v: unknown, key: string, where: (key: string) => SourceLocation | undefined, sources: Map<string, SourceLocation>): void {
  const at = where(key);
  if (at) sources.set(key, at);
  else sources.delete(key); // overridden from somewhere we cannot point at: no stale location
  if (Array.isArray(v)) v.forEach((item, i) => recordAll(item, childKey(key, i), where, sources));
  else if (isObj(v)) for (const [k, child] of Object.entries(v)) recordAll(child, childKey(key, k), where, sources);
}

function readValuesFile(file: string): { values: Obj; sources: Map<string, SourceLocation> } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = parseDocuments(text, file);
  const doc = parsed.docs[0];
  if (!doc || !isObj(doc.value)) return { values: {}, sources: new Map() };
  return { values: doc.value, sources: doc.fieldSources };
}

/** The merged values of a Helm app and where each key's winning value is written. */
export function loadValues(app: App): ValuesState {
  const state: ValuesState = { values: {}, sources: new Map(), files: [] };
  const layers: { values: Obj; where: (key: string) => SourceLocation | undefined }[] = [];
  const fileLayer = (file: string) => {
    const r = readValuesFile(file);
    if (!r) return;
    state.files.push(file);
    layers.push({ values: r.values, where: (key) => r.sources.get(keyToPointer(key)) });
  };
  fileLayer(path.join(app.path, 'values.yaml'));
  for (const f of app.helm?.valueFiles ?? []) fileLayer(f);
  // Flux valuesFrom (as the last render read them), before spec.values
  for (const s of valuesFromSources.get(app) ?? []) {
    if (s.targetPath === undefined) {
      layers.push({ values: s.values ?? {}, where: s.where });
      continue;
    }
    const sparse: Obj = {};
    try {
      setTargetPath(sparse, s.targetPath, s.data);
    } catch {
      continue; // the render reports it
    }
    layers.push({ values: sparse, where: s.where });
  }
  if (app.helm?.values) {
    const inline = inlineValuesSource(app);
    layers.push({
      values: app.helm.values,
      where: (key) => (inline?.pointer ? inline.fieldSources.get(inline.pointer + keyToPointer(key)) : undefined) ?? inline?.fallback,
    });
  }
  if (app.helm?.parameters?.length) {
    const params: Obj = {};
    for (const p of app.helm.parameters) {
      try {
        parseSetInto(params, `${p.name}=${p.value}`, p.forceString === true); // what the render passes to --set
      } catch { /* helm reports it */ }
    }
    const at = helmParametersLocation(app);
    layers.push({ values: params, where: () => at });
  }
  // --set-file comes after --set in helm's order: the file's whole text, always a string
  for (const f of app.helm?.fileParameters ?? []) {
    let text: string;
    try {
      text = fs.readFileSync(f.path, 'utf8');
    } catch {
      continue; // the render reports it
    }
    state.files.push(f.path);
    const layer: Obj = {};
    try {
      parseSetInto(layer, `${f.name}=${text}`, 'file');
    } catch {
      continue; // helm reports it
    }
    layers.push({ values: layer, where: () => ({ file: f.path, line: 1 }) });
  }
  for (const layer of layers) mergeLayer(state.values, layer.values, '', layer.where, state.sources);
  return state;
}

// ---------------------------------------------------------------------------------------------
// Flux valuesFrom: helm-controller's merge (fluxcd/pkg chartutil) and helm's `--set` parser (strvals)

/** Helm's and Flux's MergeMaps: maps merge deeply, anything else (null included) replaces. */
export function mergeMaps(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObj(v) && isObj(out[k]) ? mergeMaps(out[k] as Obj, v) : structuredClone(v);
  return out;
}

/** `--set` typing: true/false/null (any case), integers not starting with 0, else the string. */
function typedSetValue(s: string, strings: boolean): unknown {
  if (strings) return s;
  const lower = s.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null') return null;
  if (s === '0') return 0;
  if (s[0] !== '0' && /^[+-]?\d+$/.test(s) && Number.isSafeInteger(Number(s))) return Number(s);
  return s;
}

function setIn(container: Obj | unknown[], segs: (string | number)[], value: unknown): void {
  const [seg, ...rest] = segs;
  let v = value;
  if (rest.length) {
    const child = Array.isArray(container) ? container[seg as number] : container[seg as string];
    const wantList = typeof rest[0] === 'number';
    v = wantList ? (Array.isArray(child) ? child : []) : isObj(child) ? child : {};
    setIn(v as Obj | unknown[], rest, value);
  }
  if (Array.isArray(container)) {
    while (container.length < (seg as number)) container.push(null); // helm pads lists with nulls
    container[seg as number] = v;
  } else container[seg as string] = v;
}

/** `a.b[0]=v,c={x,y}` into target as `helm --set` does (`strings` true: `--set-string`; 'file': `--set-file`
 *  with the file's text after the `=`, taken whole as a string): `\` escapes the next character, `,`
 *  separates assignments, `{...}` is a list. Throws on a key without a value. */
export function parseSetInto(target: Obj, input: string, strings: boolean | 'file' = false): void {
  let i = 0;
  const until = (stops: string): { text: string; stop: string } => {
    let text = '';
    while (i < input.length) {
      const c = input[i++];
      if (stops.includes(c)) return { text, stop: c };
      text += c === '\\' && i < input.length ? input[i++] : c;
    }
    return { text, stop: '' };
  };
  while (i < input.length) {
    const segs: (string | number)[] = [];
    for (;;) {
      const { text, stop } = until('=[,.');
      if (stop === '.') { segs.push(text); continue; }
      if (stop === '=') { segs.push(text); break; }
      if (stop !== '[') throw new Error(`key "${[...segs, text].join('.')}" has no value`);
      if (text) segs.push(text);
      i--; // back to the '[' for the index loop
      while (input[i] === '[') {
        i++;
        const idx = until(']').text;
        if (!/^\d+$/.test(idx) || Number(idx) > 65536) throw new Error(`invalid list index "${idx}"`);
        segs.push(Number(idx));
      }
      if (input[i] === '.') { i++; continue; }
      if (input[i] === '=') { i++; break; }
      throw new Error(`key "${segs.join('.')}" has no value`);
    }
    if (typeof segs[0] !== 'string') throw new Error('a key must start with a name');
    let value: unknown;
    if (strings === 'file') {
      setIn(target, segs, input.slice(i));
      return;
    }
    if (input[i] === '{') {
      i++;
      const list: unknown[] = [];
      for (;;) {
        const { text, stop } = until(',}');
        if (!stop) throw new Error("list must terminate with '}'");
        list.push(typedSetValue(text, strings === true));
        if (stop === '}') break;
      }
      if (input[i] === ',') i++;
      value = list;
    } else value = typedSetValue(until(',').text, strings === true);
    setIn(target, segs, value);
  }
}

/** Flux's targetPath: the data set at that path like `--set`; a quoted value (quotes trimmed) stays a string. */
export function setTargetPath(values: Obj, targetPath: string, data: string): void {
  const quoted = (data.startsWith("'") && data.endsWith("'")) || (data.startsWith('"') && data.endsWith('"'));
  if (quoted) parseSetInto(values, `${targetPath}=${data.replace(/^['"]+|['"]+$/g, '')}`, true);
  else parseSetInto(values, `${targetPath}=${data}`);
}

/** helm-controller's chart values: valuesFrom entries merged in order, then spec.values over them. An
 *  entry with a targetPath is set into what has been merged so far (spec.values included, as Flux does). */
export function fluxValues(sources: { values?: Obj; targetPath?: string; data?: string }[], inline: Obj = {}): Obj {
  let result: Obj = {};
  for (const s of sources) {
    if (s.targetPath !== undefined) {
      result = mergeMaps(result, inline);
      setTargetPath(result, s.targetPath, s.data ?? '');
    } else result = mergeMaps(result, s.values ?? {});
  }
  return mergeMaps(result, inline);
}

/** Every occurrence of a Secret-sourced string (3 characters or more: shorter ones would garble the
 *  message more than they could tell) replaced by `***`, as Flux shows Secret values; longest first. */
export function maskSecretValues(message: string, secretValues: string[]): string {
  let out = message;
  for (const v of [...new Set(secretValues)].filter((x) => x.trim().length >= 3).sort((a, b) => b.length - a.length)) out = out.split(v).join('***');
  return out;
}

/** String leaves of values, and their lines / comma-separated parts: what a message could quote. */
function stringLeaves(v: unknown, out: string[]): string[] {
  if (typeof v === 'string') out.push(v, ...v.split(/[\n,]/).map((l) => l.trim()));
  else if (Array.isArray(v)) v.forEach((x) => stringLeaves(x, out));
  else if (isObj(v)) Object.values(v).forEach((x) => stringLeaves(x, out));
  return out;
}

/** One valuesFrom entry as read from Git: its data, and where each values key it sets is written. */
interface ValuesFromSource {
  values?: Obj;
  targetPath?: string;
  data: string;
  where: (key: string) => SourceLocation | undefined;
}
const valuesFromSources = new WeakMap<App, ValuesFromSource[]>();

interface ParentRender {
  objects: DesiredObject[];
  /** The HelmRelease as the parent Kustomization renders it (generator names rewritten). */
  release?: DesiredObject;
  inputs: string[];
}

type Located = Pick<DesiredObject, 'object' | 'source' | 'fieldSources'>;

// SOPS leaves a `sops:` block and `ENC[AES256_GCM,data:...]` values
const SOPS_VALUE = /ENC\[[A-Z0-9_]+,data:/;
function isSopsEncrypted(obj: KubeObject): boolean {
  if ('sops' in obj) return true;
  for (const field of ['data', 'stringData']) {
    const d = obj[field];
    if (isObj(d) && Object.values(d).some((v) => typeof v === 'string' && SOPS_VALUE.test(v))) return true;
  }
  return false;
}

/** A ConfigMap's data key; a Secret's stringData key, else its base64 data key decoded (as the API server folds them). */
function dataOf(obj: KubeObject, key: string): { data: string; pointer: string } | undefined {
  const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? undefined : String(v));
  if (obj.kind === 'Secret') {
    const plain = isObj(obj.stringData) ? str(obj.stringData[key]) : undefined;
    if (plain !== undefined) return { data: plain, pointer: `/stringData/${pointerEscape(key)}` };
    const b64 = isObj(obj.data) ? str(obj.data[key]) : undefined;
    return b64 === undefined ? undefined : { data: Buffer.from(b64, 'base64').toString('utf8'), pointer: `/data/${pointerEscape(key)}` };
  }
  const v = isObj(obj.data) ? str(obj.data[key]) : undefined;
  return v === undefined ? undefined : { data: v, pointer: `/data/${pointerEscape(key)}` };
}

/** The nearest mapped location of a pointer (source maps may hold only an ancestor, e.g. a generator entry). */
function locate(o: Located, pointer: string): SourceLocation {
  for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
    const at = o.fieldSources.get(p);
    if (at) return at;
    if (!p) return o.source;
  }
}

/** Line n of a values text -> its line in Git, when the text is written verbatim there: a generator's
 *  `files:` entry (the values file itself) or a literal block scalar (`key: |`) under its key. */
function valuesTextLines(key: string, data: string, keyAt: SourceLocation): ((line: number) => SourceLocation) | undefined {
  const dir = path.dirname(keyAt.file);
  if (kustomizationFile(dir) === keyAt.file) {
    let k: Obj | undefined;
    try {
      const v = parseDocuments(fs.readFileSync(keyAt.file, 'utf8'), keyAt.file).docs[0]?.value;
      k = isObj(v) ? v : undefined;
    } catch {
      k = undefined;
    }
    for (const gen of ['configMapGenerator', 'secretGenerator']) {
      for (const g of Array.isArray(k?.[gen]) ? (k![gen] as unknown[]) : []) {
        for (const f of isObj(g) && Array.isArray(g.files) ? g.files : []) {
          if (typeof f !== 'string') continue;
          const eq = f.indexOf('=');
          const rel = eq >= 0 ? f.slice(eq + 1) : f;
          if ((eq >= 0 ? f.slice(0, eq) : path.basename(f)) !== key) continue;
          const file = path.resolve(dir, rel);
          let text: string | undefined;
          try {
            text = fs.readFileSync(file, 'utf8');
          } catch {
            text = undefined;
          }
          if (text === data) return (line) => ({ file, line });
        }
      }
    }
    return undefined;
  }
  let lines: string[];
  try {
    lines = fs.readFileSync(keyAt.file, 'utf8').split('\n');
  } catch {
    return undefined;
  }
  if (!/:\s*\|[0-9+-]*\s*(#.*)?$/.test(lines[keyAt.line - 1] ?? '')) return undefined;
  const want = data.endsWith('\n') ? data.slice(0, -1).split('\n') : data.split('\n');
  const first = lines.slice(keyAt.line).find((l) => l.trim() !== '');
  const indent = first ? first.length - first.trimStart().length : 0;
  const verbatim = want.every((w, j) => {
    const l = lines[keyAt.line + j];
    if (l === undefined) return false;
    return w === '' ? l.trim() === '' : l.slice(0, indent).trim() === '' && l.slice(indent) === w;
  });
  return verbatim ? (line) => ({ file: keyAt.file, line: keyAt.line + line }) : undefined;
}

/** Read a HelmRelease's valuesFrom from what Git declares: the objects the parent Flux Kustomization
 *  renders, else ConfigMaps / Secrets in workspace YAML. A missing non-optional source is an error
 *  (helm-controller fails the release); optional ones are skipped with a note. Secret data never
 *  appears in a message. */
async function resolveValuesFrom(app: App, parent: ParentRender | undefined, tools: RenderTools, reads: Reads): Promise<{ sources: ValuesFromSource[]; inputs: string[]; notes: string[]; secretValues: string[]; error?: string }> {
  const releaseSpec = parent?.release?.object.spec as Obj | undefined;
  const refs = parent?.release ? fluxValuesFrom(releaseSpec?.valuesFrom) : app.helm?.valuesFrom ?? [];
  const out = { sources: [] as ValuesFromSource[], inputs: [] as string[], notes: [] as string[], secretValues: [] as string[] };
  if (!refs.length) return out;
  const namespace = parent?.release?.object.metadata.namespace ?? app.agentObject?.namespace ?? app.namespace;

  let plain: Located[] | undefined;
  const plainObjects = (): Located[] => {
    if (plain) return plain;
    const files = new Set(valuesFromFiles(app));
    if (app.definedAt) {
      const dir = path.dirname(app.definedAt.file);
      try {
        for (const e of fs.readdirSync(dir)) if (/\.ya?ml$/i.test(e)) files.add(childPath(dir, e));
      } catch { /* no folder: nothing beside it */ }
    }
    plain = [];
    for (const file of files) {
      let text: string;
      try {
        text = reads.readText(file);
      } catch {
        continue;
      }
      out.inputs.push(file);
      if (!/^kind:\s*["']?(ConfigMap|Secret)/m.test(text)) continue;
      for (const p of parseManifests(text, file).objects) {
        if (p.object.kind === 'ConfigMap' || p.object.kind === 'Secret') plain.push({ object: p.object, source: p.source, fieldSources: p.fieldSources });
      }
    }
    return plain;
  };
  const find = (kind: string, name: string): Located | undefined => {
    const fits = (o: Located, exact: boolean) => o.object.kind === kind && o.object.metadata?.name === name
      && (exact ? o.object.metadata.namespace === namespace : o.object.metadata.namespace === undefined);
    for (const pool of [() => parent?.objects ?? [], plainObjects]) {
      const objects = pool();
      const hit = objects.find((o) => fits(o, true)) ?? objects.find((o) => fits(o, false));
      if (hit) return hit;
    }
    return undefined;
  };

  for (const [i, ref] of refs.entries()) {
    const label = `valuesFrom[${i}]: ${ref.kind} ${namespace}/${ref.name}`;
    const key = ref.valuesKey || 'values.yaml';
    if (ref.kind !== 'ConfigMap' && ref.kind !== 'Secret') return { ...out, error: `${label}: unsupported kind (ConfigMap or Secret)` };
    let found = find(ref.kind, ref.name);
    if (!found && tools.clusterObject) {
      // Not in Git: helm-controller reads it from the cluster, and so do we (read at render time).
      let live: KubeObject | undefined | 'forbidden';
      try {
        live = await tools.clusterObject(ref.kind, namespace, ref.name);
      } catch (err) {
        return { ...out, error: `${label}: not in Git, and the cluster could not be asked: ${(err as Error).message}` };
      }
      if (live === 'forbidden') return { ...out, error: `${label}: not in Git, and reading it from the cluster is forbidden (RBAC)` };
      if (live) {
        const at = app.definedAt ?? { file: app.path, line: 1 };
        found = { object: live, source: at, fieldSources: new Map() };
        out.notes.push(`${label}: not in Git, read from the cluster`);
      }
    }
    if (!found) {
      // a generator's hashed name that kustomize did not write into the HelmRelease
      const hashed = parent?.objects.find((o) => o.object.kind === ref.kind && new RegExp(`^${ref.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[a-z0-9]{10}$`).test(o.object.metadata.name));
      const hint = hashed ? ` (the generated ${ref.kind} is named ${hashed.object.metadata.name}: add a kustomize nameReference for HelmRelease spec/valuesFrom/name, or disableNameSuffixHash)` : '';
      const where = tools.clusterObject ? 'in Git or the cluster' : 'in Git';
      if (ref.optional) { out.notes.push(`${label}: optional, not found ${where}: skipped${hint}`); continue; }
      return { ...out, error: `${label}: not found ${where}${hint}; it is not optional, so Flux fails this release` };
    }
    if (isSopsEncrypted(found.object)) return { ...out, error: `${label}: SOPS-encrypted, its values cannot be read here (Flux decrypts it in the cluster)` };
    const got = dataOf(found.object, key);
    if (!got) {
      if (ref.optional) { out.notes.push(`${label}: optional, has no key '${key}': skipped`); continue; }
      return { ...out, error: `${label}: has no key '${key}'; it is not optional, so Flux fails this release` };
    }
    const secret = ref.kind === 'Secret';
    if (SOPS_VALUE.test(got.data)) return { ...out, error: `${label}: key '${key}' is SOPS-encrypted, its values cannot be read here (Flux decrypts it in the cluster)` };
    const keyAt = locate(found, got.pointer);
    if (ref.targetPath) {
      if (secret) stringLeaves(got.data, out.secretValues);
      try {
        setTargetPath({}, ref.targetPath, got.data);
      } catch (err) {
        // the parser's message may quote the data: not for a Secret
        return { ...out, error: `${label}: cannot set targetPath ${ref.targetPath}${secret ? '' : `: ${(err as Error).message}`}` };
      }
      out.sources.push({ targetPath: ref.targetPath, data: got.data, where: () => keyAt });
      continue;
    }
    const parsed = parseDocuments(got.data, keyAt.file);
    if (parsed.errors.length) {
      const e = parsed.errors[0];
      // the parser's message quotes the text: not for a Secret
      return { ...out, error: `${label}: key '${key}' is not valid YAML (line ${e.line} of the value)${secret ? '' : `: ${e.message.split('\n')[0]}`}` };
    }
    const doc = parsed.docs[0];
    const value = doc?.value ?? {};
    if (!isObj(value)) return { ...out, error: `${label}: key '${key}' is not a YAML map of values` };
    if (secret) stringLeaves(value, out.secretValues);
    const lines = valuesTextLines(key, got.data, keyAt);
    out.sources.push({
      values: value,
      data: got.data,
      where: (k) => {
        const at = doc?.fieldSources.get(keyToPointer(k));
        return (at && lines?.(at.line)) ?? keyAt;
      },
    });
  }
  return out;
}

/** Values key path -> the file and line of its winning value (later -f files override earlier,
 *  inline values override files, parameters override everything). */
export function helmValuesSources(app: App): Map<string, SourceLocation> {
  return loadValues(app).sources;
}

// ---------------------------------------------------------------------------------------------
// Rendering

function helmArgs(app: App, valuesFiles: string[], extra: string[] = []): string[] {
  // --skip-tests: test hooks are run by `helm test`, never by a GitOps sync
  const args = ['template', app.helm?.releaseName || app.name, app.path, '--namespace', app.namespace, '--include-crds', '--skip-tests'];
  for (const f of valuesFiles) args.push('-f', f);
  return [...args, ...extra];
}

async function helmEnv(): Promise<NodeJS.ProcessEnv> {
  // helm writes caches under HOME; keep it working where HOME is read-only or unset
  const env = { ...process.env };
  if (!env.HELM_CACHE_HOME && !env.HOME) env.HELM_CACHE_HOME = path.join(os.tmpdir(), 'gitops-helm-cache');
  return env;
}

interface RenderedDoc {
  object: KubeObject;
  /** chart-relative template path from `# Source:` (e.g. podinfo/templates/deployment.yaml). */
  template?: string;
  /** Occurrence of this kind within its template (templates may emit several objects). */
  occurrence: number;
  fieldSources: Map<string, SourceLocation>;
}

function splitRendered(stdout: string): RenderedDoc[] {
  const sourceAtLine: { line: number; template: string }[] = [];
  const lines = stdout.split('\n');
  lines.forEach((l, i) => {
    if (l.startsWith('# Source: ')) sourceAtLine.push({ line: i + 1, template: l.slice('# Source: '.length).trim() });
  });
  const parsed = parseManifests(stdout, '');
  if (parsed.errors.length) throw new Error(`helm output is not valid YAML: line ${parsed.errors[0].line}: ${parsed.errors[0].message}`);
  const counts = new Map<string, number>();
  return parsed.objects.map((p) => {
    let template: string | undefined;
    for (const s of sourceAtLine) {
      if (s.line < p.source.line) template = s.template;
      else break;
    }
    const key = `${template}|${p.object.kind}`;
    const occurrence = counts.get(key) ?? 0;
    counts.set(key, occurrence + 1);
    return { object: p.object, template, occurrence, fieldSources: p.fieldSources };
  });
}

function templateFile(chartDir: string, template: string | undefined): string | undefined {
  if (!template) return undefined;
  const slash = template.indexOf('/');
  if (slash < 0) return undefined;
  return path.join(chartDir, template.slice(slash + 1));
}

/** Best-effort template line of a rendered field: find the object's `kind:` line, then each key of
 *  the pointer in turn below it. */
class TemplateLines {
  private cache = new Map<string, string[]>();
  lines(file: string): string[] {
    let l = this.cache.get(file);
    if (!l) {
      try {
        l = fs.readFileSync(file, 'utf8').split('\n');
      } catch {
        l = [];
      }
      this.cache.set(file, l);
    }
    return l;
  }
  objectStart(file: string, kind: string, occurrence: number): number {
    const lines = this.lines(file);
    const re = new RegExp(`^kind:\\s*["']?${kind}["']?\\s*$`);
    let seen = 0;
    for (let i = 0; i < lines.length; i++) {
      if (!re.test(lines[i])) continue;
      if (seen++ < occurrence) continue;
      if (i > 0 && /^apiVersion:/.test(lines[i - 1])) return i; // 1-based line of apiVersion = i
      return i + 1;
    }
    return 1;
  }
  lineOf(file: string, start: number, pointer: string): number {
    const lines = this.lines(file);
    let cursor = start - 1;
    for (const raw of pointer.split('/').slice(1)) {
      if (/^\d+$/.test(raw)) continue;
      const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      const re = new RegExp(`^\\s*(?:-\\s+)?["']?${seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*:`);
      let found = -1;
      for (let i = cursor + 1; i < lines.length; i++) {
        if (lines[i].startsWith('---')) break;
        if (re.test(lines[i])) { found = i; break; }
      }
      if (found < 0) break;
      cursor = found;
    }
    return cursor + 1;
  }
}

function collectLeaves(value: unknown, pointer: string, out: [string, unknown][]): void {
  if (Array.isArray(value)) value.forEach((v, i) => collectLeaves(v, `${pointer}/${i}`, out));
  else if (isObj(value)) for (const [k, v] of Object.entries(value)) collectLeaves(v, `${pointer}/${pointerEscape(k)}`, out);
  else out.push([pointer, value]);
}

function collectPointers(value: unknown, pointer: string, out: string[]): void {
  out.push(pointer);
  if (Array.isArray(value)) value.forEach((v, i) => collectPointers(v, `${pointer}/${i}`, out));
  else if (isObj(value)) for (const [k, v] of Object.entries(value)) collectPointers(v, `${pointer}/${pointerEscape(k)}`, out);
}

function getAt(obj: unknown, pointer: string): unknown {
  let cur: unknown = obj;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isObj(cur)) cur = cur[seg];
    else return undefined;
  }
  return cur;
}

const MARKER_RE = /gwmk(\d+)x/g;
const NUMBER_MARKER_BASE = 7_310_000;

/** A copy of the values with string leaves (and/or integer leaves) replaced by unique markers. */
function markValues(values: Obj, strings: boolean, numbers: boolean): { marked: Obj; keys: Map<number, { key: string; original: unknown }> } {
  const keys = new Map<number, { key: string; original: unknown }>();
  let next = 0;
  const visit = (v: unknown, key: string): unknown => {
    if (Array.isArray(v)) return v.map((item, i) => visit(item, childKey(key, i)));
    if (isObj(v)) {
      const out: Obj = {};
      for (const [k, child] of Object.entries(v)) out[k] = visit(child, childKey(key, k));
      return out;
    }
    // empty strings stay: templates test them for truthiness
    if (strings && typeof v === 'string' && v !== '') {
      const id = next++;
      keys.set(id, { key, original: v });
      return `gwmk${id}x`;
    }
    if (numbers && typeof v === 'number' && Number.isInteger(v) && v > 0) {
      const id = next++;
      keys.set(id, { key, original: v });
      return NUMBER_MARKER_BASE + id;
    }
    return v;
  };
  return { marked: visit(values, '') as Obj, keys };
}

/** The object's refKey as renderApp returns it (namespace defaulted to the app's). */
function flowKey(obj: KubeObject, namespace: string): string {
  const ref = refOf(obj);
  if (!ref.namespace && isNamespaced(obj)) ref.namespace = namespace;
  return refKey(ref);
}

function docKey(d: RenderedDoc): string {
  return `${d.template}|${d.object.kind}|${d.occurrence}`;
}

/** Where the markers of one marked render land, checked against the real render. */
function markerFlow(real: RenderedDoc[], marked: RenderedDoc[], keys: Map<number, { key: string; original: unknown }>, flow: ValuesFlow, namespace: string): void {
  const realByKey = new Map(real.map((d) => [docKey(d), d]));
  const originals = new Map([...keys.values()].map((k) => [k.key, k.original]));
  for (const m of marked) {
    const r = realByKey.get(docKey(m));
    if (!r) continue;
    const leaves: [string, unknown][] = [];
    collectLeaves(m.object, '', leaves);
    const ref = flowKey(r.object, namespace);
    // Secret data is base64: markers (and real values) are looked for in the decoded text
    const isSecretData = (pointer: string) => r.object.kind === 'Secret' && pointer.startsWith('/data/');
    const decode = (v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : v);
    for (const [pointer, raw] of leaves) {
      const found: string[] = [];
      const value = isSecretData(pointer) ? decode(raw) : raw;
      if (typeof value === 'string') {
        for (const match of value.matchAll(MARKER_RE)) {
          const k = keys.get(Number(match[1]));
          if (k) found.push(k.key);
        }
      } else if (typeof value === 'number' && value >= NUMBER_MARKER_BASE) {
        const k = keys.get(value - NUMBER_MARKER_BASE);
        if (k && typeof k.original === 'number') found.push(k.key);
      }
      if (!found.length) continue;
      // the real render must hold the real values there (a marker can change a template's branches)
      const realValue = isSecretData(pointer) ? decode(getAt(r.object, pointer)) : getAt(r.object, pointer);
      if (realValue === undefined || (realValue !== null && typeof realValue === 'object')) continue;
      const confirmed = found.filter((key) => {
        const original = originals.get(key);
        return original !== undefined && String(realValue).includes(String(original));
      });
      if (!confirmed.length) continue;
      let perObject = flow.get(ref);
      if (!perObject) flow.set(ref, (perObject = new Map()));
      const existing = perObject.get(pointer) ?? [];
      perObject.set(pointer, [...new Set([...existing, ...confirmed])]);
    }
  }
}

/** Last resort when no marker render worked (e.g. a values schema rejects markers): a rendered string
 *  equal to exactly one values string of some length is taken to come from it. */
function equalityFlow(docs: RenderedDoc[], state: ValuesState, flow: ValuesFlow, namespace: string): void {
  const byValue = new Map<string, string[]>();
  const visit = (v: unknown, key: string) => {
    if (Array.isArray(v)) v.forEach((item, i) => visit(item, childKey(key, i)));
    else if (isObj(v)) for (const [k, child] of Object.entries(v)) visit(child, childKey(key, k));
    else if (typeof v === 'string' && v.length >= 4) byValue.set(v, [...(byValue.get(v) ?? []), key]);
  };
  visit(state.values, '');
  for (const d of docs) {
    const leaves: [string, unknown][] = [];
    collectLeaves(d.object, '', leaves);
    for (const [pointer, value] of leaves) {
      if (typeof value !== 'string') continue;
      const keys = byValue.get(value);
      if (keys?.length !== 1) continue;
      const ref = flowKey(d.object, namespace);
      let perObject = flow.get(ref);
      if (!perObject) flow.set(ref, (perObject = new Map()));
      if (!perObject.has(pointer)) perObject.set(pointer, keys);
    }
  }
}

const flows = new WeakMap<App, ValuesFlow>();

/** Which values keys feed which rendered fields (computed by renderApp for helm apps; rendered here if not yet). */
export async function valuesFlow(app: App, tools: RenderTools): Promise<ValuesFlow> {
  const cached = flows.get(app);
  if (cached) return cached;
  await renderHelm(app, tools);
  return flows.get(app) ?? new Map();
}

async function writeTemp(dir: string, name: string, value: unknown): Promise<string> {
  const file = path.join(dir, name);
  // JSON is YAML: no serializer needed and no ambiguity about types
  await fsp.writeFile(file, JSON.stringify(value));
  return file;
}

/** `reads`: what discovery read in this pass (the files that may declare valuesFrom sources are among them). */
export async function renderHelm(app: App, tools: RenderTools, reads: Reads = UNCACHED): Promise<RenderResult> {
  const helm = resolveHelm(tools);
  const chartFile = path.join(app.path, 'Chart.yaml');
  if (!fs.existsSync(chartFile)) return { app, objects: [], inputs: [], error: `no Chart.yaml in ${app.path}` };
  const env = await helmEnv();
  const parent = await valuesFromParentKustomization(app, tools);
  const from = await resolveValuesFrom(app, parent, tools, reads);
  if (from.notes.length) app.renderNotes = from.notes;
  else delete app.renderNotes;
  valuesFromSources.set(app, from.sources);
  const state = loadValues(app);
  const inputs = [...new Set([...(await chartInputs(app.path, state.files)), ...(parent?.inputs ?? []), ...from.inputs])];
  if (from.error) return { app, objects: [], inputs, error: from.error };
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'gitops-helm-'));
  try {
    // the user's render: value files in order, inline values (Flux: valuesFrom merged under them), parameters, file parameters
    const userFiles = [...(app.helm?.valueFiles ?? [])];
    const inline = from.sources.length ? fluxValues(from.sources, app.helm?.values) : app.helm?.values;
    if (inline) userFiles.push(await writeTemp(tmp, 'inline-values.json', inline));
    const extra: string[] = [];
    for (const p of app.helm?.parameters ?? []) extra.push(p.forceString ? '--set-string' : '--set', `${p.name}=${p.value}`);
    for (const f of app.helm?.fileParameters ?? []) extra.push('--set-file', `${f.name}=${f.path}`);
    const missing = userFiles.find((f) => !fs.existsSync(f));
    if (missing) return { app, objects: [], inputs, error: `values file not found: ${missing}` };
    const missingFile = app.helm?.fileParameters?.find((f) => !fs.existsSync(f.path));
    if (missingFile) return { app, objects: [], inputs, error: `file parameter ${missingFile.name}: file not found: ${missingFile.path}` };

    const timeoutMs = tools.timeoutMs;
    const markedBoth = markValues(state.values, true, true);
    const bothFile = await writeTemp(tmp, 'marked.json', markedBoth.marked);
    const [real, markedRun] = await Promise.all([
      run(helm, helmArgs(app, userFiles, extra), { cwd: app.path, timeoutMs, env }),
      run(helm, helmArgs(app, [bothFile]), { cwd: app.path, timeoutMs: Math.min(timeoutMs ?? 30_000, 30_000), env }),
    ]);
    // a template's `fail` / `required` or a YAML error may quote values: none from a Secret
    if (!real.ok) return { app, objects: [], inputs, error: maskSecretValues(`helm template failed: ${real.message.replace(/^Error: /, '').replace(/\n+Use --debug flag to render out invalid YAML\s*$/, '')}`, from.secretValues) };
    let docs: RenderedDoc[];
    try {
      docs = splitRendered(real.stdout);
    } catch (err) {
      return { app, objects: [], inputs, error: maskSecretValues((err as Error).message, from.secretValues) };
    }

    const flow: ValuesFlow = new Map();
    const tryMarked = (stdout: string, keys: Map<number, { key: string; original: unknown }>) => {
      try {
        markerFlow(docs, splitRendered(stdout), keys, flow, app.namespace);
        return true;
      } catch {
        return false;
      }
    };
    let stringsMapped = markedRun.ok && tryMarked(markedRun.stdout, markedBoth.keys);
    if (!stringsMapped) {
      // numbers the templates compute with, or a values schema, can break a marked render: try apart
      for (const [strings, numbers] of [[true, false], [false, true]] as const) {
        const m = markValues(state.values, strings, numbers);
        const file = await writeTemp(tmp, `marked-${strings ? 's' : 'n'}.json`, m.marked);
        const r = await run(helm, helmArgs(app, [file]), { cwd: app.path, timeoutMs: Math.min(timeoutMs ?? 30_000, 30_000), env });
        const ok = r.ok && tryMarked(r.stdout, m.keys);
        if (strings) stringsMapped = ok;
      }
    }
    if (!stringsMapped) equalityFlow(docs, state, flow, app.namespace);
    flows.set(app, flow);

    const templates = new TemplateLines();
    const objects: DesiredObject[] = docs.map((d) => {
      const file = templateFile(app.path, d.template) ?? chartFile;
      const start = d.template ? templates.objectStart(file, d.object.kind, d.occurrence) : 1;
      const source: SourceLocation = { file, line: start };
      const fieldSources = new Map<string, SourceLocation>();
      const perObject = flow.get(flowKey(d.object, app.namespace));
      const pointers: string[] = [];
      collectPointers(d.object, '', pointers);
      for (const p of pointers) {
        const keys = perObject?.get(p);
        // several keys in one field (image "repo:tag"): the last one written is the one that varies most
        const at = keys?.length ? state.sources.get(keys[keys.length - 1]) : undefined;
        fieldSources.set(p, at ?? { file, line: p === '' ? start : templates.lineOf(file, start, p) });
      }
      return toDesired(d.object, source, fieldSources);
    });
    return { app, objects, inputs };
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

/** A Flux HelmRelease built by a Kustomization: take spec.values from that render (overlay patches
 *  applied), with their source lines. Returns that render (its objects hold the valuesFrom sources). */
async function valuesFromParentKustomization(app: App, tools: RenderTools): Promise<ParentRender | undefined> {
  const parent = helmReleaseParent(app);
  if (!parent || !app.agentObject) return undefined;
  const rendered = await renderKustomize(parent, tools);
  if (rendered.error) return { objects: [], inputs: rendered.inputs };
  // the HelmRelease as rendered: the parent's targetNamespace may have moved it
  const release = rendered.objects.find((d) => d.object.kind === 'HelmRelease' && d.object.metadata.name === app.agentObject!.name
    && (!d.object.metadata.namespace || d.object.metadata.namespace === app.agentObject!.namespace || d.object.metadata.namespace === parent.kustomize?.namespace));
  if (!release) return { objects: rendered.objects, inputs: rendered.inputs };
  const values = (release.object.spec as Obj | undefined)?.values;
  if (isObj(values)) {
    app.helm = { ...app.helm, values };
    setInlineValuesSource(app, { pointer: '/spec/values', fieldSources: release.fieldSources, fallback: release.fieldSources.get('/spec/values') ?? app.definedAt });
  }
  return { objects: rendered.objects, release, inputs: rendered.inputs };
}

/** Every file of the chart (templates, values, subcharts) plus the value files. */
async function chartInputs(chartDir: string, valueFiles: string[]): Promise<string[]> {
  const out = new Set<string>(valueFiles);
  async function visit(dir: string): Promise<void> {
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== '.git') await visit(p);
      } else out.add(p);
    }
  }
  await visit(chartDir);
  return [...out];
}
