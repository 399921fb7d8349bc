// Find every place a YAML file declares an image tag, with the exact character range of the tag
// so a bump can splice those characters and nothing else. Works on the source text through the
// yaml package's node ranges; pure (no I/O).
import { parseAllDocuments, isMap, isSeq, isScalar, isPair } from 'yaml';
import type { Node, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { parseImageReference } from './reference';

export type DeclarationKind =
  | 'container'               // image: field of a container in a manifest
  | 'kustomize-images'        // kustomization.yaml images[].newTag
  | 'helm-values'             // values file / HelmRelease spec.values / Application valuesObject
  | 'argocd-kustomize-images' // Application spec.source.kustomize.images[] string
  | 'argocd-helm-parameter'   // Application spec.source.helm.parameters[].value
  | 'flux-setter';            // a scalar carrying a Flux $imagepolicy marker no other rule recognised

export interface ImageDeclaration {
  file: string;
  /** 1-based line of the tag (of the reference when there is no tag). */
  line: number;
  kind: DeclarationKind;
  /** The repository the rendered image will have, as written (may be '' when only a tag is written here). */
  image: string;
  /** Every image name this declaration answers to (kustomize: name and newName). */
  names: string[];
  tag?: string;
  digest?: string;
  /** Character offsets of the tag text in the file: the only characters a bump rewrites. */
  tagStart?: number;
  tagEnd?: number;
  /** Index of the YAML document in the file and the JSON Pointer of the value inside it. */
  docIndex: number;
  pointer: string;
  /** Dotted values key for Helm values / parameters (`image.tag`, `api.image.tag`). */
  valuesKey?: string;
  /** The object that holds it: `Deployment/web`, `Kustomization`, `Application/guestbook`, `values`. */
  owner: string;
  /** Flux image policy marker on this line: `ns:policy[:tag|:name]`. */
  setter?: string;
  /** Workloads whose rendered image this declaration feeds (`Deployment/ns/name[container]`), filled by images.ts. */
  feeds?: string[];
}

export interface ScanOptions {
  /** Treat the whole file as Helm values (values.yaml of a chart, an app's valueFiles). */
  values?: boolean;
  /** Treat documents as a kustomization (kustomization.yaml / .yml / Kustomization). */
  kustomization?: boolean;
}

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);
const SETTER = /#\s*\{\s*"\$imagepolicy"\s*:\s*"([^"]+)"\s*\}/;

export function isKustomizationFile(file: string): boolean {
  return /(^|[\\/])(kustomization\.ya?ml|Kustomization)$/.test(file);
}

export function isValuesFileName(file: string): boolean {
  return /(^|[\\/])values[^\\/]*\.ya?ml$/.test(file);
}

/** The text of a scalar as written, without quotes, and where it starts; undefined when the
 *  written form differs from the value (escapes, folding, block scalars): such a scalar is not edited. */
export function scalarText(text: string, node: Scalar): { value: string; start: number; end: number } | undefined {
  if (!node.range) return undefined;
  const [start, end] = node.range;
  const raw = text.slice(start, end);
  if (raw.includes('\n') || raw.includes('\r')) return undefined;
  const value = node.value;
  if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') {
    const inner = raw.slice(1, -1);
    if (typeof value !== 'string' || inner !== value) return undefined;
    return { value: inner, start: start + 1, end: end - 1 };
  }
  if (node.type === 'PLAIN') {
    // Numbers and booleans keep their written form (`tag: 1.10` is the tag "1.10", not 1.1).
    if (value === null) return undefined;
    return { value: raw, start, end };
  }
  return undefined;
}

class LineIndex {
  private starts: number[] = [0];
  constructor(private text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  line(offset: number): number {
    let lo = 0, hi = this.starts.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (this.starts[mid] <= offset) lo = mid; else hi = mid - 1; }
    return lo + 1;
  }
  restOfLine(offset: number): string {
    const nl = this.text.indexOf('\n', offset);
    return this.text.slice(offset, nl < 0 ? undefined : nl);
  }
}

function get(map: unknown, key: string): Node | undefined {
  if (!isMap(map)) return undefined;
  for (const pair of (map as YAMLMap).items) {
    if (isPair(pair) && isScalar(pair.key) && String(pair.key.value) === key) return pair.value as Node | undefined;
  }
  return undefined;
}

function plainString(node: unknown): string | undefined {
  return isScalar(node) && node.value !== null && typeof node.value !== 'object' ? String(node.value) : undefined;
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function scanYamlImages(text: string, file: string, opts: ScanOptions = {}): ImageDeclaration[] {
  const lines = new LineIndex(text);
  const out: ImageDeclaration[] = [];
  const claimed = new Set<number>(); // tagStart of declarations already found structurally
  let docs;
  try { docs = parseAllDocuments(text); } catch { return []; }
  if (!Array.isArray(docs)) return [];
  const kustomization = opts.kustomization ?? isKustomizationFile(file);

  const setterOf = (node: Scalar): string | undefined => {
    if (!node.range) return undefined;
    const m = SETTER.exec(lines.restOfLine(node.range[1]));
    return m ? m[1] : undefined;
  };

  /** A scalar holding a whole reference `repo:tag[@digest]`. */
  const fromReference = (node: Node | undefined, base: Omit<ImageDeclaration, 'line' | 'image' | 'names' | 'tag' | 'tagStart' | 'tagEnd'>): void => {
    if (!isScalar(node)) return;
    const written = scalarText(text, node);
    if (!written || written.value.includes('{{') || written.value === '') return;
    const ref = parseImageReference(written.value);
    const decl: ImageDeclaration = { ...base, image: ref.name, names: [ref.name], digest: ref.digest, line: lines.line(written.start), setter: setterOf(node) };
    if (ref.tag !== undefined && ref.tagOffset !== undefined) {
      decl.tag = ref.tag;
      decl.tagStart = written.start + ref.tagOffset;
      decl.tagEnd = decl.tagStart + ref.tag.length;
      decl.line = lines.line(decl.tagStart);
    }
    if (decl.tagStart !== undefined) claimed.add(decl.tagStart);
    out.push(decl);
  };

  /** A scalar holding only a tag. */
  const fromTag = (node: Node | undefined, image: string, names: string[], base: Omit<ImageDeclaration, 'line' | 'image' | 'names' | 'tag' | 'tagStart' | 'tagEnd'>): void => {
    if (!isScalar(node)) return;
    const written = scalarText(text, node);
    if (!written || written.value.includes('{{')) return;
    claimed.add(written.start);
    out.push({ ...base, image, names, tag: written.value, tagStart: written.start, tagEnd: written.end, line: lines.line(written.start), setter: setterOf(node) });
  };

  /** Containers anywhere in a manifest (any workload kind, init containers, CronJob templates, CRDs). */
  const walkManifest = (node: unknown, ptr: string, docIndex: number, owner: string): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        const childPtr = `${ptr}/${escapePointer(key)}`;
        if (CONTAINER_LISTS.has(key) && isSeq(pair.value)) {
          (pair.value as YAMLSeq).items.forEach((item, i) => {
            const image = get(item, 'image');
            if (image) fromReference(image, { file, kind: 'container', docIndex, pointer: `${childPtr}/${i}/image`, owner });
          });
        } else {
          walkManifest(pair.value, childPtr, docIndex, owner);
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walkManifest(item, `${ptr}/${i}`, docIndex, owner));
    }
  };

  /** Helm values: `image: repo:tag`, `image: {repository, tag}`, `<x>.image.tag`, `imageTag` beside `image`/`repository`. */
  const walkValues = (node: unknown, ptr: string, keyPath: string[], docIndex: number, owner: string, kind: DeclarationKind): void => {
    if (!isMap(node)) {
      if (isSeq(node)) node.items.forEach((item, i) => walkValues(item, `${ptr}/${i}`, [...keyPath, String(i)], docIndex, owner, kind));
      return;
    }
    const keys = new Map<string, Node | undefined>();
    for (const pair of node.items) if (isPair(pair) && isScalar(pair.key)) keys.set(String(pair.key.value), pair.value as Node | undefined);
    // A map that describes one image: {registry?, repository|name|image, tag}.
    const tagNode = keys.get('tag');
    const repoName = plainString(keys.get('repository')) ?? plainString(keys.get('name')) ?? plainString(keys.get('image'));
    const lastKey = keyPath[keyPath.length - 1] ?? '';
    if (tagNode && isScalar(tagNode) && (repoName !== undefined || /image$/i.test(lastKey))) {
      const registry = plainString(keys.get('registry'));
      const image = repoName === undefined ? '' : registry && !repoName.startsWith(registry + '/') ? `${registry}/${repoName}` : repoName;
      fromTag(tagNode, image, image ? [image] : [], { file, kind, docIndex, pointer: `${ptr}/tag`, valuesKey: [...keyPath, 'tag'].join('.'), owner, digest: plainString(keys.get('digest')) });
    }
    for (const [key, value] of keys) {
      const childPtr = `${ptr}/${escapePointer(key)}`;
      const childPath = [...keyPath, key];
      if (isScalar(value)) {
        if (/image$/i.test(key) && typeof value.value === 'string' && !(tagNode && (key === 'image'))) {
          // `image: repo:tag` (a whole reference) unless a sibling `<x>Tag` carries the tag.
          const prefix = key.slice(0, -5);
          const siblingTag = keys.get(`${prefix}${prefix ? 'Tag' : 'tag'}`) ?? keys.get(`${key}Tag`);
          if (!siblingTag && (value.value.includes(':') || value.value.includes('/'))) {
            fromReference(value, { file, kind, docIndex, pointer: childPtr, valuesKey: childPath.join('.'), owner });
          }
        } else if (/[iI]mageTag$/.test(key) || (key.endsWith('Tag') && (keys.has(`${key.slice(0, -3)}Image`) || keys.has(`${key.slice(0, -3)}Repository`)))) {
          // `imageTag: 1.2` beside `image: repo` / `repository: repo`; `webTag` beside `webImage`.
          const prefix = key.slice(0, -3);
          const repo = plainString(keys.get(prefix)) ?? plainString(keys.get(`${prefix}Image`)) ?? plainString(keys.get(`${prefix}Repository`))
            ?? plainString(keys.get('repository')) ?? plainString(keys.get('image')) ?? '';
          fromTag(value, repo, repo ? [repo] : [], { file, kind, docIndex, pointer: childPtr, valuesKey: childPath.join('.'), owner });
        }
      } else {
        walkValues(value, childPtr, childPath, docIndex, owner, kind);
      }
    }
  };

  const walkArgoSource = (source: unknown, ptr: string, docIndex: number, owner: string): void => {
    const kustomize = get(source, 'kustomize');
    const images = get(kustomize, 'images');
    if (isSeq(images)) {
      images.items.forEach((item, i) => {
        if (!isScalar(item)) return;
        const written = scalarText(text, item);
        if (!written) return;
        // `[old=]new:tag` or `[old=]new@digest` (Argo CD / kustomize edit set image syntax).
        const eq = written.value.indexOf('=');
        const oldName = eq >= 0 ? written.value.slice(0, eq) : undefined;
        const refText = written.value.slice(eq + 1);
        const ref = parseImageReference(refText);
        const names = [ref.name, ...(oldName ? [oldName] : [])];
        const decl: ImageDeclaration = { file, kind: 'argocd-kustomize-images', docIndex, pointer: `${ptr}/kustomize/images/${i}`, owner, image: ref.name, names, digest: ref.digest, line: lines.line(written.start), setter: setterOf(item) };
        if (ref.tag !== undefined && ref.tagOffset !== undefined) {
          decl.tag = ref.tag;
          decl.tagStart = written.start + eq + 1 + ref.tagOffset;
          decl.tagEnd = decl.tagStart + ref.tag.length;
          claimed.add(decl.tagStart);
        }
        out.push(decl);
      });
    }
    const helm = get(source, 'helm');
    const params = get(helm, 'parameters');
    if (isSeq(params)) {
      const byName = new Map<string, string>();
      for (const item of params.items) { const n = plainString(get(item, 'name')); const v = plainString(get(item, 'value')); if (n && v !== undefined) byName.set(n, v); }
      params.items.forEach((item, i) => {
        const name = plainString(get(item, 'name'));
        if (!name) return;
        const base = { file, kind: 'argocd-helm-parameter' as const, docIndex, pointer: `${ptr}/helm/parameters/${i}/value`, valuesKey: name, owner };
        const last = name.split('.').pop() ?? '';
        if (last === 'tag' || /[iI]mageTag$/.test(last)) {
          const prefix = name.slice(0, name.length - last.length);
          const repo = byName.get(`${prefix}repository`) ?? byName.get(`${prefix}image`) ?? '';
          fromTag(get(item, 'value'), repo, repo ? [repo] : [], base);
        } else if (/image$/i.test(last)) {
          fromReference(get(item, 'value'), base);
        }
      });
    }
    const valuesObject = get(helm, 'valuesObject');
    if (valuesObject) walkValues(valuesObject, `${ptr}/helm/valuesObject`, [], docIndex, owner, 'helm-values');
  };

  docs.forEach((doc, docIndex) => {
    const root = doc.contents;
    if (!root) return;
    const kind = plainString(get(root, 'kind')) ?? '';
    const apiVersion = plainString(get(root, 'apiVersion')) ?? '';
    const name = plainString(get(get(root, 'metadata'), 'name')) ?? '';
    if (kustomization || (kind === 'Kustomization' && apiVersion.startsWith('kustomize.config.k8s.io'))) {
      const images = get(root, 'images');
      if (isSeq(images)) {
        images.items.forEach((item, i) => {
          const imageName = plainString(get(item, 'name'));
          if (!imageName) return;
          const newName = plainString(get(item, 'newName'));
          const digest = plainString(get(item, 'digest'));
          const names = newName ? [newName, imageName] : [imageName];
          const base = { file, kind: 'kustomize-images' as const, docIndex, pointer: `/images/${i}/newTag`, owner: 'Kustomization', digest };
          const tagNode = get(item, 'newTag');
          if (tagNode) fromTag(tagNode, newName ?? imageName, names, base);
          else out.push({ ...base, image: newName ?? imageName, names, line: lines.line((item as Node).range?.[0] ?? 0) });
        });
      }
      return;
    }
    if (kind === 'Application' && apiVersion.startsWith('argoproj.io/')) {
      const spec = get(root, 'spec');
      const source = get(spec, 'source');
      if (source) walkArgoSource(source, '/spec/source', docIndex, `Application/${name}`);
      const sources = get(spec, 'sources');
      if (isSeq(sources)) sources.items.forEach((s, i) => walkArgoSource(s, `/spec/sources/${i}`, docIndex, `Application/${name}`));
      return;
    }
    if (kind === 'HelmRelease' && apiVersion.startsWith('helm.toolkit.fluxcd.io/')) {
      const values = get(get(root, 'spec'), 'values');
      if (values) walkValues(values, '/spec/values', [], docIndex, `HelmRelease/${name}`, 'helm-values');
      return;
    }
    if (opts.values && !kind) {
      walkValues(root, '', [], docIndex, 'values', 'helm-values');
      return;
    }
    walkManifest(root, '', docIndex, kind ? `${kind}/${name}` : 'document');
  });

  // Flux setter markers on scalars no structural rule recognised.
  scanSetterMarkers(text, file, docs, lines, claimed, out);
  return out.sort((a, b) => a.line - b.line);
}

function scanSetterMarkers(text: string, file: string, docs: ReturnType<typeof parseAllDocuments>, lines: LineIndex,
  claimed: Set<number>, out: ImageDeclaration[]): void {
  if (!text.includes('$imagepolicy') || !Array.isArray(docs)) return;
  const scalars: { node: Scalar; pointer: string; docIndex: number }[] = [];
  const collect = (node: unknown, ptr: string, docIndex: number): void => {
    if (isMap(node)) for (const p of node.items) { if (isPair(p) && isScalar(p.key)) collect(p.value, `${ptr}/${escapePointer(String(p.key.value))}`, docIndex); }
    else if (isSeq(node)) node.items.forEach((it, i) => collect(it, `${ptr}/${i}`, docIndex));
    else if (isScalar(node)) scalars.push({ node, pointer: ptr, docIndex });
  };
  docs.forEach((doc, i) => collect(doc.contents, '', i));
  const marked = scalars.map((s) => {
    const m = s.node.range ? SETTER.exec(lines.restOfLine(s.node.range[1])) : null;
    return m ? { ...s, setter: m[1], written: scalarText(text, s.node) } : undefined;
  }).filter((s): s is NonNullable<typeof s> => !!s && !!s.written);
  const nameOfPolicy = new Map<string, string>();
  for (const m of marked) {
    const parts = m.setter.split(':');
    if (parts[2] === 'name') nameOfPolicy.set(`${parts[0]}:${parts[1]}`, m.written!.value);
  }
  for (const m of marked) {
    const written = m.written!;
    if (claimed.has(written.start)) continue;
    const parts = m.setter.split(':');
    const policy = `${parts[0]}:${parts[1]}`;
    const field = parts[2];
    const base = { file, kind: 'flux-setter' as const, docIndex: m.docIndex, pointer: m.pointer, owner: `ImagePolicy ${policy}`, setter: m.setter };
    if (field === 'tag') {
      const image = nameOfPolicy.get(policy) ?? '';
      out.push({ ...base, image, names: image ? [image] : [], tag: written.value, tagStart: written.start, tagEnd: written.end, line: lines.line(written.start) });
    } else if (field === undefined) {
      const ref = parseImageReference(written.value);
      if (ref.tag === undefined || ref.tagOffset === undefined) continue;
      if (claimed.has(written.start + ref.tagOffset)) continue;
      const tagStart = written.start + ref.tagOffset;
      out.push({ ...base, image: ref.name, names: [ref.name], tag: ref.tag, digest: ref.digest, tagStart, tagEnd: tagStart + ref.tag.length, line: lines.line(tagStart) });
    }
  }
}
