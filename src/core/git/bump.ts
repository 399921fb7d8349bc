// The tag bump: find where IMAGE's tag is declared for an app, edit the declaration that wins after
// rendering (proved by rendering before and after), commit only that file, and move the author's
// branch to the commit without touching any of their other staged or unstaged work.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { App } from '../model';
import type { RenderTools } from '../manifests/render';
import { tagProblem, parseImageReference, sameImageName } from './reference';
import { bumpTagInText, TagEditError, type TagEdit } from './tagEdit';
import { isKustomizationFile, scanYamlImages, type ImageDeclaration } from './yamlImages';
import { scanWorkspace, renderedContainers, containerLabel, matchesImage, appFiles, declarationBelongsTo, type RenderedContainer } from './images';
import { GitError, git, headSha, repoRoot, withTempWorktree, fastForwardTo, relativeTo } from './repo';

export class BumpError extends Error {}

export interface Roll {
  workload: string;
  container: string;
  from: string;
  to: string;
}

export interface BumpResult {
  app: string;
  image: string;
  oldTag: string;
  newTag: string;
  /** The declarations edited (the winners), with paths in the author's repository. */
  edited: { file: string; line: number; kind: string; valuesKey?: string; note?: string }[];
  /** Why these won, in words. */
  reason: string;
  /** Other declarations of the image for this app that were not edited, and why. */
  notEdited: { file: string; line: number; kind: string; why: string }[];
  /** Workloads whose rendered image changes. */
  rolls: Roll[];
  message: string;
  /** The new commit (absent on a dry run). */
  commit?: string;
  /** Repository-relative paths committed. */
  files: string[];
  /** The unified diff of the change. */
  diff: string;
  /** The app definition (agent object) for push/wait. */
  appInfo: App;
}

export interface BumpOptions {
  /** A path inside the repository (the workspace or an app folder). */
  path: string;
  image: string;
  tag: string;
  app?: string;
  tools: RenderTools;
  dryRun?: boolean;
  onStep?: (step: string) => void;
  /** Commit message override. */
  message?: string;
}

const KIND_RANK: Record<string, number> = {
  'argocd-helm-parameter': 0, 'argocd-kustomize-images': 0, 'helm-values': 2, 'kustomize-images': 3, 'flux-setter': 4, container: 5,
};

/** Declarations in the order they override each other for `app` (the strongest first). */
export function precedenceOrder(app: App, decls: ImageDeclaration[]): ImageDeclaration[] {
  const valueFiles = app.helm?.valueFiles ?? [];
  const key = (d: ImageDeclaration): number[] => {
    let rank = KIND_RANK[d.kind] ?? 9;
    if (d.kind === 'helm-values' && d.owner !== 'values') rank = 1; // inline values (Application valuesObject, HelmRelease spec.values)
    // Later values files override earlier ones; the chart's own values.yaml is the weakest.
    const fileIndex = d.kind === 'helm-values' ? (valueFiles.indexOf(d.file) >= 0 ? valueFiles.length - valueFiles.indexOf(d.file) : valueFiles.length + 1) : 0;
    // An overlay's kustomization (the app's own folder) overrides the bases it includes.
    const distance = d.kind === 'kustomize-images' ? (path.dirname(d.file) === app.path ? 0 : 1 + path.relative(app.path, d.file).split(path.sep).filter((s) => s === '..').length) : 0;
    return [rank, fileIndex, distance, d.line];
  };
  return [...decls].sort((a, b) => {
    const ka = key(a), kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] - kb[i];
    return a.file.localeCompare(b.file);
  });
}

function why(d: ImageDeclaration, app: App): string {
  switch (d.kind) {
    case 'argocd-helm-parameter': return `Argo CD Application ${d.owner.split('/')[1] ?? ''} helm.parameters ${d.valuesKey} override every values file`;
    case 'argocd-kustomize-images': return `Argo CD Application ${d.owner.split('/')[1] ?? ''} kustomize.images override the kustomization and the manifests`;
    case 'helm-values':
      if (d.owner !== 'values') return `${d.owner} inline values set ${d.valuesKey}, overriding the chart's values files`;
      return (app.helm?.valueFiles ?? []).includes(d.file)
        ? `${path.basename(d.file)} sets ${d.valuesKey} and no later values file or parameter overrides it (later values files override earlier ones)`
        : `the chart's ${path.basename(d.file)} sets ${d.valuesKey} and no values file or parameter of the app overrides it`;
    case 'kustomize-images': return `kustomize images: in ${isKustomizationFile(d.file) ? path.basename(path.dirname(d.file)) + '/' + path.basename(d.file) : d.file} override the tag written in the base manifests`;
    case 'flux-setter': return `Flux image policy marker ${d.setter} sets this tag`;
    default: return `the container image is written here and nothing (kustomize images:, values, parameters) overrides it`;
  }
}

function at(d: { file: string; line: number }, repo: string, wt: string): string {
  return `${relativeTo(repo, d.file.startsWith(wt) ? path.join(repo, path.relative(wt, d.file)) : d.file)}:${d.line}`;
}

export async function bumpImage(opts: BumpOptions): Promise<BumpResult> {
  const step = opts.onStep ?? (() => {});
  const problem = tagProblem(opts.tag);
  if (problem) throw new BumpError(problem);
  if (!opts.image || /[@\s]/.test(opts.image)) throw new BumpError(`'${opts.image}' is not an image name (give the repository without tag, e.g. ghcr.io/acme/api)`);
  // `repo:tag` given by mistake: the repository is what matters.
  const image = parseImageReference(opts.image).name;
  const repo = await repoRoot(path.resolve(opts.path));
  const rel = path.relative(repo, path.resolve(opts.path));
  const oldHead = await headSha(repo);

  const planned = await withTempWorktree(repo, oldHead, async (wt) => {
    const toRepo = (f: string) => (f.startsWith(wt + path.sep) ? path.join(repo, path.relative(wt, f)) : f);
    const scope = path.join(wt, rel);
    step(`finding where ${image} is declared`);
    const scan = await scanWorkspace(scope, opts.tools, { render: false, appName: opts.app });
    // Declarations outside the scope (bases of an overlay) count too: rescan the whole checkout for them.
    const all = scope === wt ? scan.declarations : (await scanWorkspace(wt, opts.tools, { render: false })).declarations;
    const matching = all.filter((d) => matchesImage(d, image));
    // Render only the apps whose files declare the image (all of them when none does, for the error).
    const { renderApp } = await import('../manifests/render');
    const { kustomizeClosure, discoverApps } = await import('../manifests/discover');
    const mayDeclare = (app: App) => {
      const files = new Set<string>([...(app.helm?.valueFiles ?? []), ...(app.definedAt ? [app.definedAt.file] : [])]);
      const dirs = new Set<string>();
      if (app.renderer === 'kustomize') {
        const closure = kustomizeClosure(app.path);
        for (const f of closure.files) files.add(f);
        for (const d of closure.dirs) dirs.add(d);
      }
      return matching.some((d) => files.has(d.file) || dirs.has(path.dirname(d.file)) || d.file.startsWith(app.path + path.sep));
    };
    const toRender = scan.apps.filter((a) => !a.unrenderable).filter(mayDeclare);
    step(`rendering ${(toRender.length ? toRender : scan.apps).map((a) => a.name).join(', ')}`);
    for (const app of toRender.length ? toRender : scan.apps.filter((a) => !a.unrenderable)) {
      const result = await renderApp(app, opts.tools);
      scan.renders.push(result);
      if (result.error) scan.errors.push(`${app.name}: ${result.error}`);
    }
    const usesImage = (c: RenderedContainer) => sameImageName(parseImageReference(c.image).name, image)
      || matching.some((d) => d.names.some((n) => sameImageName(n, parseImageReference(c.image).name)));
    const appsUsing = scan.renders.filter((r) => !r.error && renderedContainers(r).some(usesImage));
    if (opts.app && scan.apps.length === 0) throw new BumpError(`no app named ${opts.app} under ${opts.path}`);
    if (appsUsing.length === 0) {
      const errs = scan.errors.length ? ` (render problems: ${scan.errors.join('; ')})` : '';
      throw new BumpError(`no app${opts.app ? ` ${opts.app}` : ''} under ${opts.path} renders image ${image}${errs}`);
    }
    if (appsUsing.length > 1) {
      throw new BumpError(`image ${image} is deployed by ${appsUsing.length} apps (${appsUsing.map((r) => r.app.name).join(', ')}): choose one with --app`);
    }
    const before = appsUsing[0];
    const app = before.app;
    const beforeContainers = renderedContainers(before).filter(usesImage);
    const oldRendered = [...new Set(beforeContainers.map((c) => parseImageReference(c.image).tag ?? ''))];
    if (oldRendered.length === 1 && oldRendered[0] === opts.tag) throw new BumpError(`${app.name} already renders ${image}:${opts.tag}`);

    const inputs = appFiles(app, before);
    const candidates = precedenceOrder(app, matching.filter((d) => declarationBelongsTo(d, app, inputs) && d.tag !== undefined));
    if (candidates.length === 0) {
      throw new BumpError(`${app.name} renders ${image} but no file it reads declares its tag (${matching.length} declaration(s) elsewhere)`);
    }
    const originals = new Map<string, string>();
    let currentApp = app;
    const edits: { decl: ImageDeclaration; edit: TagEdit }[] = [];
    const notEdited: BumpResult['notEdited'] = [];
    let after = before;
    const rolledTo = (r: typeof before) => renderedContainers(r).filter((c) => usesImage(c) && parseImageReference(c.image).tag === opts.tag);
    for (const decl of candidates) {
      const done = new Set(rolledTo(after).map(containerLabel));
      if (beforeContainers.every((c) => done.has(containerLabel(c)))) {
        notEdited.push({ file: toRepo(decl.file), line: decl.line, kind: decl.kind, why: 'overridden: a stronger declaration already sets the tag' });
        continue;
      }
      const text = originals.get(decl.file) ?? (await fs.readFile(decl.file, 'utf8'));
      if (!originals.has(decl.file)) originals.set(decl.file, text);
      const current = await fs.readFile(decl.file, 'utf8');
      let next: { text: string; edit: TagEdit };
      try {
        next = bumpTagInText(current, decl, opts.tag, { values: decl.kind === 'helm-values' && decl.owner === 'values', kustomization: decl.kind === 'kustomize-images' });
      } catch (err) {
        if (err instanceof TagEditError) { notEdited.push({ file: toRepo(decl.file), line: decl.line, kind: decl.kind, why: err.message }); continue; }
        throw err;
      }
      step(`trying ${at(decl, repo, wt)} (${decl.kind})`);
      await fs.writeFile(decl.file, next.text);
      // An edit to the app's own definition (Application parameters / kustomize.images, HelmRelease
      // values) changes the App itself: read the definition again before rendering.
      const definitionEdit = decl.kind.startsWith('argocd-') || (decl.kind === 'helm-values' && decl.owner !== 'values');
      const probeApp = definitionEdit ? ((await discoverApps(scope)).apps.find((a) => a.name === app.name) ?? currentApp) : currentApp;
      const probe = await renderApp(probeApp, opts.tools);
      const gained = !probe.error && rolledTo(probe).some((c) => !done.has(containerLabel(c)));
      if (gained) {
        edits.push({ decl, edit: next.edit });
        after = probe;
        currentApp = probeApp;
        // Later declarations in the same file moved if the tag's length changed: re-read their offsets.
        const rescanned = scanYamlImages(next.text, decl.file, { values: decl.kind === 'helm-values' && decl.owner === 'values', kustomization: decl.kind === 'kustomize-images' });
        for (const other of candidates) {
          if (other === decl || other.file !== decl.file) continue;
          const fresh = rescanned.find((d) => d.docIndex === other.docIndex && d.pointer === other.pointer && d.kind === other.kind);
          if (fresh) Object.assign(other, { tagStart: fresh.tagStart, tagEnd: fresh.tagEnd, line: fresh.line, tag: fresh.tag });
        }
      } else {
        await fs.writeFile(decl.file, current);
        notEdited.push({ file: toRepo(decl.file), line: decl.line, kind: decl.kind,
          why: probe.error ? `rendering with it failed: ${probe.error}` : 'overridden: changing it does not change the rendered image' });
      }
    }
    if (edits.length === 0) {
      throw new BumpError(`no declaration of ${image} changes what ${app.name} renders: ${notEdited.map((n) => `${at(n, repo, wt)} ${n.why}`).join('; ')}`);
    }
    // What will roll: every container whose rendered image differs between before and after.
    const afterByLabel = new Map(renderedContainers(after).map((c) => [containerLabel(c), c]));
    const rolls: Roll[] = renderedContainers(before).flatMap((c) => {
      const a = afterByLabel.get(containerLabel(c));
      return a && a.image !== c.image ? [{ workload: c.workload, container: c.container, from: c.image, to: a.image }] : [];
    });
    const oldTag = edits[0].edit.oldTag;
    const files = [...new Set(edits.map((e) => relativeTo(wt, e.decl.file)))];
    const message = opts.message ?? `chore(${app.name}): bump ${image} ${oldTag} -> ${opts.tag}`;
    const diff = await git(wt, ['diff', '--no-color', '--', ...files]);
    let commit: string | undefined;
    if (!opts.dryRun) {
      step(`committing ${files.join(', ')}`);
      await git(wt, ['add', '--', ...files]);
      await git(wt, ['commit', '-q', '-m', message, '--', ...files]);
      commit = (await git(wt, ['rev-parse', 'HEAD'])).trim();
    }
    const winner = edits[0].decl;
    const reason = `${at(winner, repo, wt)} (${winner.kind}) wins: ${why(winner, app)}` +
      (edits.length > 1 ? `; also edited ${edits.slice(1).map((e) => at(e.decl, repo, wt)).join(', ')} (they feed other workloads)` : '');
    const appInfo: App = { ...app, path: toRepo(app.path), ...(app.definedAt ? { definedAt: { ...app.definedAt, file: toRepo(app.definedAt.file) } } : {}) };
    return {
      app: app.name, image, oldTag, newTag: opts.tag, reason, notEdited, rolls, message, commit, files, diff, appInfo,
      edited: edits.map((e) => ({ file: toRepo(e.decl.file), line: e.decl.line, kind: e.decl.kind, valuesKey: e.decl.valuesKey, note: e.edit.note })),
    } satisfies BumpResult;
  });
  if (planned.commit) {
    try {
      await fastForwardTo(repo, oldHead, planned.commit, planned.message);
    } catch (err) {
      if (err instanceof GitError) throw new BumpError(`${err.message}`);
      throw err;
    }
  }
  return planned;
}
