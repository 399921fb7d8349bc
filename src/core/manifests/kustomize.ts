// Kustomize renderer: `kustomize build` (or `kubectl kustomize`) renders; our own walk of the
// kustomization tree builds the source map — each rendered field points at the patch, `images:` or
// `replicas:` entry that set it when one did, else at the base resource's line.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { App, DesiredObject, KubeObject, RenderResult, SourceLocation } from '../model';
import { pointerEscape } from '../model';
import { kustomizationFile } from './discover';
import { isKustomizeConfig, toDesired } from './objects';
import type { RenderTools } from './tools';
import { resolveHelm, resolveKustomize, run } from './tools';
import { parseDocuments, parseManifests } from './yamlSource';

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const asStr = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A resource as declared in a file, followed through the kustomization levels above it. */
interface BaseObject {
  kind: string;
  /** The object as declared. */
  object: KubeObject;
  /** Every name it had, innermost first; the last is its name after all prefixes/suffixes. */
  names: string[];
  namespace?: string;
  source: SourceLocation;
  fieldSources: Map<string, SourceLocation>;
  /** Image names as declared, by pointer (for `images:` matching). */
  generated?: boolean;
  /** Field changes from transformers, applied inner level first. */
  overrides: { pointer: string; at: SourceLocation; subtree?: Map<string, SourceLocation>; kind: 'patch-smp' | 'patch-json' | 'image' | 'replicas' | 'namespace' | 'label' }[];
  smpPatches: { patch: Obj; sources: Map<string, SourceLocation>; lineOffset: number }[];
  jsonPatches: { ops: Obj[]; sources: Map<string, SourceLocation>; opsPointer: string; lineOffset: number; at: SourceLocation }[];
  imageRules: { name: string; newName?: string; at: SourceLocation }[];
  replicaRules: { at: SourceLocation }[];
  labelRules: { pointerPrefixes: string[]; key: string; at: SourceLocation }[];
}

interface Level {
  objects: BaseObject[];
  files: Set<string>;
  errors: string[];
  /** Some kustomization in the tree inflates Helm charts (`helmCharts:`): needs --enable-helm. */
  usesHelm?: boolean;
}

function line(sources: Map<string, SourceLocation>, pointer: string, fallback: SourceLocation): SourceLocation {
  return sources.get(pointer) ?? fallback;
}

function nameMatches(pattern: string | undefined, names: string[]): boolean {
  if (!pattern) return true;
  if (names.includes(pattern)) return true;
  try {
    const re = new RegExp(`^(?:${pattern})$`);
    return names.some((n) => re.test(n));
  } catch {
    return false;
  }
}

function targetMatches(target: Obj | undefined, obj: BaseObject): boolean {
  if (!target) return false;
  if (asStr(target.kind) && asStr(target.kind) !== obj.kind) return false;
  if (asStr(target.name) && !nameMatches(asStr(target.name), obj.names)) return false;
  if (asStr(target.namespace) && obj.namespace && asStr(target.namespace) !== obj.namespace) return false;
  return true;
}

/** Load one kustomization level and everything below it. */
function loadLevel(dir: string, seen: Set<string>): Level {
  const level: Level = { objects: [], files: new Set(), errors: [] };
  if (seen.has(dir)) return level;
  seen.add(dir);
  const kfile = kustomizationFile(dir);
  if (!kfile) {
    // a plain folder used as a resource: kustomize requires a kustomization there; nothing to map
    return level;
  }
  level.files.add(kfile);
  const parsed = parseDocuments(fs.readFileSync(kfile, 'utf8'), kfile);
  const k = asObj(parsed.docs[0]?.value);
  const ks = parsed.docs[0]?.fieldSources ?? new Map<string, SourceLocation>();
  const kAt: SourceLocation = { file: kfile, line: 1 };
  if (!k) return level;
  if (asArr(k.helmCharts).length) level.usesHelm = true;

  const addFile = (rel: string, own: boolean): void => {
    const file = path.resolve(dir, rel);
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
      const sub = loadLevel(file, seen);
      level.objects.push(...sub.objects);
      for (const f of sub.files) level.files.add(f);
      level.errors.push(...sub.errors);
      if (sub.usesHelm) level.usesHelm = true;
      return;
    }
    if (!own || !fs.existsSync(file)) return;
    level.files.add(file);
    const res = parseManifests(fs.readFileSync(file, 'utf8'), file);
    for (const p of res.objects) {
      if (isKustomizeConfig(p.object)) continue;
      level.objects.push(newBase(p.object, p.source, p.fieldSources));
    }
  };
  for (const key of ['resources', 'bases', 'components', 'crds']) {
    for (const r of asArr(k[key])) {
      if (typeof r !== 'string' || /^[a-z]+:\/\//i.test(r) || r.startsWith('git@') || r.startsWith('github.com/')) continue;
      addFile(r, true);
    }
  }

  // generators: the object's fields map to the generator entry
  for (const key of ['configMapGenerator', 'secretGenerator'] as const) {
    asArr(k[key]).forEach((g, i) => {
      const gen = asObj(g);
      const name = asStr(gen?.name);
      if (!gen || !name) return;
      const at = line(ks, `/${key}/${i}`, kAt);
      for (const f of [...asArr(gen.files), ...asArr(gen.envs), ...(asStr(gen.env) ? [gen.env] : [])]) {
        if (typeof f === 'string') level.files.add(path.resolve(dir, f.includes('=') ? f.slice(f.indexOf('=') + 1) : f));
      }
      const base = newBase({ apiVersion: 'v1', kind: key === 'configMapGenerator' ? 'ConfigMap' : 'Secret', metadata: { name } }, at, new Map([['', at]]));
      base.generated = true;
      level.objects.push(base);
    });
  }

  // transformers of this level, in kustomize's order: namespace, prefix/suffix, labels, patches, images, replicas
  const namespace = asStr(k.namespace);
  const prefix = asStr(k.namePrefix) ?? '';
  const suffix = asStr(k.nameSuffix) ?? '';
  for (const obj of level.objects) {
    if (namespace && obj.kind !== 'Namespace') {
      obj.namespace = namespace;
      obj.overrides.push({ pointer: '/metadata/namespace', at: line(ks, '/namespace', kAt), kind: 'namespace' });
    }
  }

  // patches are matched against names as this level sees them (before its own prefix/suffix)
  const patchEntries: { patch?: unknown; file?: string; target?: Obj; at: SourceLocation; inlineLine?: number }[] = [];
  asArr(k.patches).forEach((p, i) => {
    const o = asObj(p);
    if (!o) return;
    const inlineAt = ks.get(`/patches/${i}/patch`);
    patchEntries.push({
      patch: asStr(o.patch),
      file: asStr(o.path) ? path.resolve(dir, asStr(o.path)!) : undefined,
      target: asObj(o.target),
      at: line(ks, `/patches/${i}`, kAt),
      inlineLine: inlineAt?.line,
    });
  });
  asArr(k.patchesStrategicMerge).forEach((p, i) => {
    if (typeof p !== 'string') return;
    const at = line(ks, `/patchesStrategicMerge/${i}`, kAt);
    if (p.includes('\n') || p.includes(':')) patchEntries.push({ patch: p, at, inlineLine: at.line });
    else patchEntries.push({ file: path.resolve(dir, p), at });
  });
  asArr(k.patchesJson6902).forEach((p, i) => {
    const o = asObj(p);
    if (!o) return;
    const inlineAt = ks.get(`/patchesJson6902/${i}/patch`);
    patchEntries.push({ patch: asStr(o.patch), file: asStr(o.path) ? path.resolve(dir, asStr(o.path)!) : undefined, target: asObj(o.target), at: line(ks, `/patchesJson6902/${i}`, kAt), inlineLine: inlineAt?.line });
  });
  for (const entry of patchEntries) applyPatchEntry(entry, level);

  // labels / annotations added to every object
  const labelMaps: { key: string; value: unknown; pointer: string; targets: string[] }[] = [];
  for (const [key, targets] of [
    ['commonLabels', ['/metadata/labels', '/spec/selector/matchLabels', '/spec/selector', '/spec/template/metadata/labels']],
    ['commonAnnotations', ['/metadata/annotations', '/spec/template/metadata/annotations']],
  ] as const) {
    const m = asObj(k[key]);
    if (m) for (const name of Object.keys(m)) labelMaps.push({ key: name, value: m[name], pointer: `/${key}/${pointerEscape(name)}`, targets: [...targets] });
  }
  asArr(k.labels).forEach((l, i) => {
    const o = asObj(l);
    const pairs = asObj(o?.pairs);
    if (!o || !pairs) return;
    const targets = ['/metadata/labels'];
    if (o.includeSelectors === true) targets.push('/spec/selector/matchLabels', '/spec/selector', '/spec/template/metadata/labels');
    else if (o.includeTemplates === true) targets.push('/spec/template/metadata/labels');
    for (const name of Object.keys(pairs)) labelMaps.push({ key: name, value: pairs[name], pointer: `/labels/${i}/pairs/${pointerEscape(name)}`, targets });
  });
  for (const lm of labelMaps) {
    const at = line(ks, lm.pointer, kAt);
    for (const obj of level.objects) obj.labelRules.push({ pointerPrefixes: lm.targets, key: lm.key, at });
  }

  asArr(k.images).forEach((img, i) => {
    const o = asObj(img);
    const name = asStr(o?.name);
    if (!o || !name) return;
    const at = line(ks, `/images/${i}/newTag`, line(ks, `/images/${i}/digest`, line(ks, `/images/${i}/newName`, line(ks, `/images/${i}`, kAt))));
    for (const obj of level.objects) obj.imageRules.push({ name, newName: asStr(o.newName), at });
  });
  asArr(k.replicas).forEach((r, i) => {
    const o = asObj(r);
    const name = asStr(o?.name);
    if (!o || !name) return;
    const at = line(ks, `/replicas/${i}/count`, line(ks, `/replicas/${i}`, kAt));
    for (const obj of level.objects) if (obj.names.includes(name)) obj.replicaRules.push({ at });
  });

  if (prefix || suffix) {
    for (const obj of level.objects) {
      if (obj.kind === 'Namespace' || obj.kind === 'CustomResourceDefinition') continue;
      obj.names.push(prefix + obj.names[obj.names.length - 1] + suffix);
    }
  }
  return level;
}

function newBase(obj: KubeObject, source: SourceLocation, fieldSources: Map<string, SourceLocation>): BaseObject {
  return {
    kind: obj.kind,
    object: obj,
    names: [obj.metadata?.name ?? ''],
    namespace: obj.metadata?.namespace,
    source,
    fieldSources,
    overrides: [],
    smpPatches: [],
    jsonPatches: [],
    imageRules: [],
    replicaRules: [],
    labelRules: [],
  };
}

/** `fixedAt`: every field the patch sets maps there (patches written inside an Application / Flux Kustomization). */
function applyPatchEntry(entry: { patch?: unknown; file?: string; target?: Obj; at: SourceLocation; inlineLine?: number; fixedAt?: SourceLocation }, level: Level): void {
  let text: string | undefined;
  let file = entry.at.file;
  let lineOffset = 0;
  if (entry.file) {
    if (!fs.existsSync(entry.file)) return;
    level.files.add(entry.file);
    text = fs.readFileSync(entry.file, 'utf8');
    file = entry.file;
  } else if (typeof entry.patch === 'string') {
    text = entry.patch;
    // a block scalar's content starts on the line after its key
    lineOffset = entry.inlineLine ?? entry.at.line;
  }
  if (text === undefined) return;
  const parsed = parseDocuments(text, file);
  for (const doc of parsed.docs) {
    const fixed = entry.fixedAt;
    const sources = fixed ? new Map([...doc.fieldSources.keys()].map((k) => [k, fixed])) : shift(doc.fieldSources, lineOffset);
    const docAt = sources.get('') ?? entry.at;
    if (Array.isArray(doc.value)) {
      // JSON 6902
      const ops = doc.value.map(asObj).filter((o): o is Obj => !!o);
      for (const obj of level.objects) if (targetMatches(entry.target, obj)) obj.jsonPatches.push({ ops, sources, opsPointer: '', lineOffset, at: docAt });
      continue;
    }
    const patch = asObj(doc.value);
    if (!patch) continue;
    const meta = asObj(patch.metadata);
    const target = entry.target ?? { kind: asStr(patch.kind), name: asStr(meta?.name) };
    for (const obj of level.objects) {
      if (!targetMatches(target, obj)) continue;
      obj.smpPatches.push({ patch, sources, lineOffset });
    }
  }
}

function shift(sources: Map<string, SourceLocation>, by: number): Map<string, SourceLocation> {
  if (!by) return sources;
  const out = new Map<string, SourceLocation>();
  for (const [p, loc] of sources) out.set(p, { file: loc.file, line: loc.line + by });
  return out;
}

/** Keys strategic merge uses for the common lists: match patch items to rendered items by them. */
const MERGE_KEYS = ['name', 'containerPort', 'mountPath', 'devicePath', 'port', 'ip', 'topologyKey', 'type'];

function mergeKeyIndex(list: unknown[], item: Obj): number {
  for (const key of MERGE_KEYS) {
    if (item[key] === undefined) continue;
    const idx = list.findIndex((x) => asObj(x)?.[key] === item[key]);
    if (idx >= 0) return idx;
  }
  return -1;
}

/** Map a strategic-merge patch onto the rendered object: each patched value -> its patch line. */
function mapSmp(patchValue: unknown, rendered: unknown, patchPointer: string, renderedPointer: string, sources: Map<string, SourceLocation>, out: Map<string, SourceLocation>, top: boolean): void {
  const at = sources.get(patchPointer);
  // leaves take the patch's line; containers keep the base's unless new
  const container = patchValue !== null && typeof patchValue === 'object';
  if (!top && at && (!container || !out.has(renderedPointer))) out.set(renderedPointer, at);
  const p = asObj(patchValue);
  if (p) {
    const r = asObj(rendered);
    for (const key of Object.keys(p)) {
      if (key.startsWith('$')) continue;
      if (top && (key === 'apiVersion' || key === 'kind')) continue;
      if (top && key === 'metadata') {
        // name/namespace identify the target; labels/annotations are real changes
        const meta = asObj(p.metadata) ?? {};
        for (const mk of Object.keys(meta)) {
          if (mk === 'name' || mk === 'namespace') continue;
          mapSmp(meta[mk], asObj(r?.metadata)?.[mk], `${patchPointer}/metadata/${pointerEscape(mk)}`, `${renderedPointer}/metadata/${pointerEscape(mk)}`, sources, out, false);
        }
        continue;
      }
      const childPointer = `${renderedPointer}/${pointerEscape(key)}`;
      // a list item's merge key only identifies the item: it stays where the base declares it
      if (MERGE_KEYS.includes(key) && /\/\d+$/.test(renderedPointer) && out.has(childPointer)) continue;
      mapSmp(p[key], r?.[key], `${patchPointer}/${pointerEscape(key)}`, childPointer, sources, out, false);
    }
    return;
  }
  if (Array.isArray(patchValue) && Array.isArray(rendered)) {
    patchValue.forEach((item, i) => {
      const o = asObj(item);
      let idx = o ? mergeKeyIndex(rendered, o) : rendered.findIndex((x) => x === item);
      if (idx < 0) idx = i < rendered.length ? i : -1;
      if (idx >= 0) mapSmp(item, rendered[idx], `${patchPointer}/${i}`, `${renderedPointer}/${idx}`, sources, out, false);
    });
  }
}

function getAt(obj: unknown, pointer: string): unknown {
  if (pointer === '') return obj;
  let cur: unknown = obj;
  for (const seg of pointer.slice(1).split('/')) {
    const key = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) cur = cur[Number(key)];
    else if (cur && typeof cur === 'object') cur = (cur as Obj)[key];
    else return undefined;
  }
  return cur;
}

function mapJsonPatch(jp: BaseObject['jsonPatches'][number], rendered: KubeObject, out: Map<string, SourceLocation>): void {
  // appends (`/-`) are resolved against the final list: the k-th of n appends is at length - n + k
  const appendCounts = new Map<string, number>();
  for (const op of jp.ops) {
    const p = asStr(op.path);
    if (p && p.endsWith('/-') && (op.op === 'add' || op.op === 'copy' || op.op === 'move')) appendCounts.set(p, (appendCounts.get(p) ?? 0) + 1);
  }
  const appendsSeen = new Map<string, number>();
  jp.ops.forEach((op, i) => {
    const kind = asStr(op.op);
    let target = asStr(op.path);
    if (!kind || target === undefined || kind === 'remove' || kind === 'test') return;
    if (target.endsWith('/-')) {
      const parent = target.slice(0, -2);
      const list = getAt(rendered, parent);
      const n = appendCounts.get(target) ?? 1;
      const k = appendsSeen.get(target) ?? 0;
      appendsSeen.set(target, k + 1);
      if (!Array.isArray(list)) return;
      target = `${parent}/${list.length - n + k}`;
    }
    const opAt = jp.sources.get(`${jp.opsPointer}/${i}/value`) ?? jp.sources.get(`${jp.opsPointer}/${i}`) ?? jp.at;
    out.set(target, opAt);
    // nested values of the op map to their own lines in the patch
    const prefix = `${jp.opsPointer}/${i}/value`;
    for (const [p, loc] of jp.sources) if (p.startsWith(prefix + '/')) out.set(target + p.slice(prefix.length), loc);
  });
}

const IMAGE_POINTER = /\/(?:initContainers|containers|ephemeralContainers)\/\d+\/image$/;

function imageName(ref: string): string {
  const at = ref.indexOf('@');
  let name = at >= 0 ? ref.slice(0, at) : ref;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) name = name.slice(0, colon);
  return name;
}

/** Base lines onto the rendered object, matching list items by merge key (patches may reorder lists). */
function mapBase(rendered: unknown, base: unknown, rp: string, bp: string, sources: Map<string, SourceLocation>, out: Map<string, SourceLocation>): void {
  const loc = sources.get(bp);
  if (loc) out.set(rp, loc);
  if (Array.isArray(rendered) && Array.isArray(base)) {
    rendered.forEach((item, i) => {
      const o = asObj(item);
      let j = o ? mergeKeyIndex(base, o) : base.indexOf(item);
      if (j < 0 && !o) j = i < base.length ? i : -1;
      if (j >= 0) mapBase(item, base[j], `${rp}/${i}`, `${bp}/${j}`, sources, out);
    });
    return;
  }
  const r = asObj(rendered);
  const b = asObj(base);
  if (r && b) for (const k of Object.keys(r)) if (k in b) mapBase(r[k], b[k], `${rp}/${pointerEscape(k)}`, `${bp}/${pointerEscape(k)}`, sources, out);
}

function collectPointers(value: unknown, pointer: string, out: string[]): void {
  out.push(pointer);
  if (Array.isArray(value)) value.forEach((v, i) => collectPointers(v, `${pointer}/${i}`, out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) collectPointers(v, `${pointer}/${pointerEscape(k)}`, out);
}

/** The rendered object's source map from its base object and the transformers that touched it. */
function sourceMapFor(rendered: KubeObject, base: BaseObject, argoImages: { name: string; newName?: string }[], definedAt: SourceLocation | undefined): Map<string, SourceLocation> {
  const out = new Map<string, SourceLocation>();
  const pointers: string[] = [];
  collectPointers(rendered, '', pointers);
  mapBase(rendered, base.object, '', '', base.fieldSources, out);
  if (!out.has('')) out.set('', base.source);
  for (const o of base.overrides) out.set(o.pointer, o.at);
  for (const rule of base.labelRules) {
    for (const prefix of rule.pointerPrefixes) {
      const p = `${prefix}/${pointerEscape(rule.key)}`;
      if (pointers.includes(p) && !base.fieldSources.has(p)) out.set(p, rule.at);
    }
  }
  for (const smp of base.smpPatches) mapSmp(smp.patch, rendered, '', '', smp.sources, out, true);
  for (const jp of base.jsonPatches) mapJsonPatch(jp, rendered, out);
  for (const p of pointers) {
    if (!IMAGE_POINTER.test(p)) continue;
    const image = getAt(rendered, p);
    if (typeof image !== 'string') continue;
    const name = imageName(image);
    for (const rule of base.imageRules) if (rule.name === name || rule.newName === name) out.set(p, rule.at);
    if (definedAt) for (const rule of argoImages) if (rule.name === name || rule.newName === name) out.set(p, definedAt);
  }
  if (base.replicaRules.length && pointers.includes('/spec/replicas')) out.set('/spec/replicas', base.replicaRules[base.replicaRules.length - 1].at);
  return out;
}

/** Argo CD's `kustomize.images` strings (`[old=]name[:tag][@digest]`) as kustomization `images:` entries. */
export function parseArgoImage(spec: string): { name: string; newName?: string; newTag?: string; digest?: string } {
  let oldName: string | undefined;
  let rest = spec;
  const eq = spec.indexOf('=');
  if (eq >= 0) {
    oldName = spec.slice(0, eq);
    rest = spec.slice(eq + 1);
  }
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const name = oldName ?? rest;
  const out: { name: string; newName?: string; newTag?: string; digest?: string } = { name };
  if (oldName && rest !== oldName) out.newName = rest;
  if (tag) out.newTag = tag;
  if (digest) out.digest = digest;
  return out;
}

function overlayYaml(app: App, relBase: string): string {
  const k = app.kustomize ?? {};
  const lines = ['apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization', 'resources:', `- ${JSON.stringify(relBase)}`];
  if (k.namePrefix) lines.push(`namePrefix: ${JSON.stringify(k.namePrefix)}`);
  if (k.nameSuffix) lines.push(`nameSuffix: ${JSON.stringify(k.nameSuffix)}`);
  if (k.namespace) lines.push(`namespace: ${JSON.stringify(k.namespace)}`);
  if (k.replicas?.length) {
    lines.push('replicas:');
    for (const r of k.replicas) lines.push(`- name: ${JSON.stringify(r.name)}`, `  count: ${Number(r.count)}`);
  }
  if (k.patches?.length) {
    lines.push('patches:');
    for (const p of k.patches) {
      lines.push(`- ${JSON.stringify({ ...(p.patch !== undefined ? { patch: p.patch } : {}), ...(p.path !== undefined ? { path: path.resolve(app.path, p.path) } : {}), ...(p.target ? { target: p.target } : {}) })}`);
    }
  }
  if (k.images?.length) {
    lines.push('images:');
    for (const spec of k.images) {
      const img = parseArgoImage(spec);
      lines.push(`- name: ${JSON.stringify(img.name)}`);
      if (img.newName) lines.push(`  newName: ${JSON.stringify(img.newName)}`);
      if (img.newTag) lines.push(`  newTag: ${JSON.stringify(img.newTag)}`);
      if (img.digest) lines.push(`  digest: ${JSON.stringify(img.digest)}`);
    }
  }
  return lines.join('\n') + '\n';
}

function hasOptions(app: App): boolean {
  const k = app.kustomize;
  return !!k && !!(k.images?.length || k.namePrefix || k.nameSuffix || k.namespace || k.replicas?.length || k.patches?.length);
}

export async function renderKustomize(app: App, tools: RenderTools): Promise<RenderResult> {
  const tool = resolveKustomize(tools);
  if (!kustomizationFile(app.path)) return { app, objects: [], inputs: [], error: `no kustomization.yaml in ${app.path}` };
  let buildDir = app.path;
  let tmp: string | undefined;
  if (hasOptions(app)) {
    // Argo CD's kustomize options, applied the way `kustomize edit` would: an overlay over the app folder
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'gitops-kustomize-'));
    await fsp.writeFile(path.join(tmp, 'kustomization.yaml'), overlayYaml(app, path.relative(tmp, app.path)));
    buildDir = tmp;
  }
  const tree = (() => {
    try {
      return loadLevel(path.resolve(app.path), new Set());
    } catch {
      return { objects: [], files: new Set<string>(), errors: [] } as Level;
    }
  })();
  const args = tool.args(buildDir);
  let helm: string | undefined;
  if (tree.usesHelm) {
    // helmCharts: inflated by helm, which kustomize runs itself
    args.push('--enable-helm');
    try {
      helm = resolveHelm(tools);
      args.push('--helm-command', helm);
    } catch { /* kustomize reports the missing helm itself */ }
  }
  let result;
  delete app.renderNotes;
  try {
    result = await run(tool.file, args, { cwd: app.path, timeoutMs: tools.timeoutMs });
    if (!result.ok && helm && HELM3_ONLY.test(result.message) && process.platform !== 'win32') {
      // kustomize 5.x asks helm for its version and refuses helm 4, whose `helm template` it could use as is.
      const shim = await helm4Shim(helm);
      try {
        args[args.indexOf(helm)] = shim.file;
        result = await run(tool.file, args, { cwd: app.path, timeoutMs: tools.timeoutMs });
        if (result.ok) app.renderNotes = [`helmCharts: this kustomize accepts helm 3 only; inflated with helm 4 (${helm}) through a version shim`];
      } finally {
        await fsp.rm(shim.dir, { recursive: true, force: true });
      }
    }
  } finally {
    if (tmp) await fsp.rm(tmp, { recursive: true, force: true });
  }
  if (app.kustomize && hasOptions(app)) {
    const at = app.definedAt ?? { file: kustomizationFile(app.path)!, line: 1 };
    const level: Level = { objects: tree.objects, files: tree.files, errors: tree.errors };
    for (const p of app.kustomize.patches ?? []) {
      applyPatchEntry({ patch: p.patch, file: p.path ? path.resolve(app.path, p.path) : undefined, target: p.target, at, fixedAt: p.patch !== undefined ? at : undefined }, level);
    }
    for (const r of app.kustomize.replicas ?? []) for (const obj of tree.objects) if (obj.names.includes(r.name)) obj.replicaRules.push({ at });
  }
  const inputs = [...tree.files];
  if (!result.ok) return { app, objects: [], inputs, error: `kustomize build failed: ${cleanKustomizeError(result.message)}` };

  const parsed = parseManifests(result.stdout, path.join(app.path, 'kustomization.yaml'));
  if (parsed.errors.length) return { app, objects: [], inputs, error: `kustomize output is not valid YAML: ${parsed.errors[0].message}` };
  const argoImages = (app.kustomize?.images ?? []).map(parseArgoImage);
  const argoPrefix = app.kustomize?.namePrefix ?? '';
  const argoSuffix = app.kustomize?.nameSuffix ?? '';
  const objects: DesiredObject[] = [];
  for (const p of parsed.objects) {
    const obj = p.object;
    const base = findBase(tree.objects, obj, argoPrefix, argoSuffix);
    if (!base) {
      objects.push(toDesired(obj, { file: kustomizationFile(app.path)!, line: 1 }, new Map()));
      continue;
    }
    const fieldSources = sourceMapFor(obj, base, argoImages, app.definedAt);
    if (app.definedAt && (argoPrefix || argoSuffix)) fieldSources.set('/metadata/name', app.definedAt);
    if (app.definedAt && app.kustomize?.namespace) fieldSources.set('/metadata/namespace', app.definedAt);
    objects.push(toDesired(obj, base.source, fieldSources));
  }
  return { app, objects, inputs };
}

function findBase(bases: BaseObject[], obj: KubeObject, prefix: string, suffix: string): BaseObject | undefined {
  const name = obj.metadata.name;
  const candidates = bases.filter((b) => b.kind === obj.kind);
  const finalName = (b: BaseObject) => {
    const n = b.names[b.names.length - 1];
    return b.kind === 'Namespace' || b.kind === 'CustomResourceDefinition' ? n : prefix + n + suffix;
  };
  const exact = candidates.filter((b) => finalName(b) === name);
  if (exact.length === 1) return exact[0];
  if (exact.length > 1) return exact.find((b) => !b.namespace || b.namespace === obj.metadata.namespace) ?? exact[0];
  // generated ConfigMaps / Secrets carry a content hash suffix
  const hashed = /^(.*)-[a-z0-9]{10}$/.exec(name);
  if (hashed) {
    const g = candidates.find((b) => b.generated && finalName(b) === hashed[1]);
    if (g) return g;
  }
  return candidates.find((b) => b.names.some((n) => name.endsWith(n)));
}

/** kustomize up to 5.x refuses helm 4: "this plugin requires helm V3", or helm 4 rejecting `version -c`. */
const HELM3_ONLY = /requires helm V3 but got v4|unknown shorthand flag: 'c' in -c/;

/** A helm for kustomize: answers its version question as helm 3 and runs the real helm for everything else.
 *  In a private temp folder (mode 0700), so no other user can swap the script before kustomize runs it. */
async function helm4Shim(realHelm: string): Promise<{ file: string; dir: string }> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'gitops-helm-shim-'));
  const file = path.join(dir, 'helm');
  const quoted = `'${realHelm.replace(/'/g, `'\\''`)}'`;
  await fsp.writeFile(file, `#!/bin/sh\nif [ "$1" = version ]; then echo v3.99.0+helm4; exit 0; fi\nexec ${quoted} "$@"\n`, { mode: 0o700 });
  return { file, dir };
}

function cleanKustomizeError(message: string): string {
  // kubectl prefixes `E1127 12:00:00.000 123 run.go:72] "command failed" err="..."`
  const m = /err="((?:[^"\\]|\\.)*)"/.exec(message);
  if (m) return m[1].replace(/\\"/g, '"').replace(/\\n/g, '\n').trim();
  // multi-line form: err=<\n\t<lines>\n >
  const block = /err=<\n([\s\S]*?)\n\s*>\s*$/.exec(message);
  if (block) return block[1].split('\n').map((l) => l.replace(/^\t/, '')).join('\n').trim();
  return message.trim();
}
