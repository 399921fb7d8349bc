import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appFromArgoApplication, appFromFluxObject, detectRenderer, discoverApps, resolveSourcePath } from '../../src/core/manifests/discover';
import { helmValuesSources, loadValues } from '../../src/core/manifests/helm';
import { parseArgoImage } from '../../src/core/manifests/kustomize';
import { parseManifests } from '../../src/core/manifests/yamlSource';
import type { KubeObject } from '../../src/core/model';
import { corpusDir, corpusMissing } from '../support/tools';

function workspace(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-discover-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return root;
}

const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
const chart = (name: string) => `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n`;
const kust = (resources: string[]) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${resources.map((r) => `  - ${r}`).join('\n')}\n`;

test('folder rules: kustomize overlays (not their bases), charts (not templates/), plain manifest folders; hidden and node_modules skipped', async (t) => {
  const root = workspace(t, {
    'plain/a.yaml': cm('a'),
    'plain/notes.yaml': 'just: data\n',
    'only-data/values.yaml': 'replicaCount: 1\n',
    'base/kustomization.yaml': kust(['cm.yaml']),
    'base/cm.yaml': cm('b'),
    'overlays/prod/kustomization.yaml': kust(['../../base']),
    'lonely/Kustomization': kust(['x.yaml']),
    'lonely/x.yaml': cm('x'),
    'files-only/kustomization.yaml': kust(['manifests/one.yaml']),
    'files-only/manifests/one.yaml': cm('one'),
    'chart/Chart.yaml': chart('chart'),
    'chart/values.yaml': 'a: 1\n',
    'chart/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n',
    'node_modules/pkg/x.yaml': cm('nm'),
    '.hidden/x.yaml': cm('hidden'),
  });
  const { apps, errors } = await discoverApps(root);
  assert.deepEqual(errors, []);
  const summary = apps.map((a) => [path.relative(root, a.path), a.renderer, a.origin]).sort();
  assert.deepEqual(summary, [
    ['chart', 'helm', 'Chart.yaml'],
    ['files-only', 'kustomize', 'kustomization.yaml'],
    ['lonely', 'kustomize', 'kustomization.yaml'],
    ['overlays/prod', 'kustomize', 'kustomization.yaml'],
    ['plain', 'directory', 'plain-manifests'],
  ]);
  const chartApp = apps.find((a) => a.renderer === 'helm')!;
  assert.equal(chartApp.helm?.releaseName, chartApp.name);
  assert.equal(new Set(apps.map((a) => a.name)).size, apps.length, 'names are unique');
});

test('folder app names are unique: clashing folder names use their relative path', async (t) => {
  const root = workspace(t, {
    'clusters/staging/a.yaml': cm('a'),
    'apps/staging/b.yaml': cm('b'),
    'web/c.yaml': cm('c'),
  });
  const names = (await discoverApps(root)).apps.map((a) => a.name).sort();
  assert.deepEqual(names, ['apps-staging', 'clusters-staging', 'web']);
});

test('Argo CD Applications count when their path is in the workspace, whatever the repoURL; options carried over', async (t) => {
  const root = workspace(t, {
    'argocd/apps.yaml': [
      'apiVersion: argoproj.io/v1alpha1',
      'kind: Application',
      'metadata:',
      '  name: web',
      '  namespace: argocd',
      'spec:',
      '  project: default',
      '  source:',
      '    repoURL: https://github.com/example/elsewhere.git',
      '    targetRevision: main',
      '    path: deploy/web',
      '    helm:',
      '      releaseName: web-release',
      '      valueFiles: [values-prod.yaml]',
      '      parameters:',
      '        - name: image.tag',
      '          value: "2.0"',
      '      valuesObject:',
      '        replicaCount: 5',
      '  destination:',
      '    server: https://kubernetes.default.svc',
      '    namespace: web-prod',
      '  ignoreDifferences:',
      '    - group: apps',
      '      kind: Deployment',
      '      jsonPointers: [/spec/replicas]',
      '  syncPolicy:',
      '    automated: {prune: true, selfHeal: true}',
      '---',
      'apiVersion: argoproj.io/v1alpha1',
      'kind: Application',
      'metadata: {name: gone, namespace: argocd}',
      'spec:',
      '  source: {repoURL: https://x, path: not/here}',
      '  destination: {namespace: x}',
      '---',
      'apiVersion: argoproj.io/v1alpha1',
      'kind: Application',
      'metadata: {name: remote-chart, namespace: argocd}',
      'spec:',
      '  source: {repoURL: https://charts.example.com, chart: redis, targetRevision: 1.0.0}',
      '  destination: {namespace: cache}',
      '---',
      'apiVersion: argoproj.io/v1alpha1',
      'kind: Application',
      'metadata: {name: kust, namespace: argocd}',
      'spec:',
      '  source:',
      '    repoURL: https://x',
      '    path: deploy/kust',
      '    kustomize: {namePrefix: p-, images: ["nginx:1.27"], namespace: k}',
      '  destination: {namespace: k}',
      '---',
      'apiVersion: argoproj.io/v1alpha1',
      'kind: ApplicationSet',
      'metadata: {name: many, namespace: argocd}',
      'spec: {generators: []}',
      '',
    ].join('\n'),
    'deploy/web/Chart.yaml': chart('web'),
    'deploy/web/values.yaml': 'replicaCount: 1\n',
    'deploy/web/values-prod.yaml': 'replicaCount: 2\n',
    'deploy/web/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n',
    'deploy/kust/kustomization.yaml': kust(['cm.yaml']),
    'deploy/kust/cm.yaml': cm('k'),
    'deploy/plain/cm.yaml': cm('plain'),
  });
  const { apps, notes } = await discoverApps(root);
  const web = apps.find((a) => a.name === 'web')!;
  assert.equal(web.origin, 'argocd-application');
  assert.equal(web.renderer, 'helm');
  assert.equal(web.path, path.join(root, 'deploy/web'));
  assert.equal(web.namespace, 'web-prod');
  assert.equal(web.agent, 'argocd');
  assert.deepEqual(web.agentObject, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', namespace: 'argocd', name: 'web' });
  assert.deepEqual(web.helm, { releaseName: 'web-release', valueFiles: [path.join(root, 'deploy/web/values-prod.yaml')], parameters: [{ name: 'image.tag', value: '2.0' }], values: { replicaCount: 5 } });
  assert.deepEqual(web.ignoreDifferences, [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }]);
  assert.deepEqual(web.syncPolicy, { automated: true, prune: true, selfHeal: true });
  assert.deepEqual(web.definedAt, { file: path.join(root, 'argocd/apps.yaml'), line: 1 });

  // inline values and parameters win over value files, and point into the Application
  const sources = helmValuesSources(web);
  assert.deepEqual(sources.get('replicaCount'), { file: path.join(root, 'argocd/apps.yaml'), line: 19 });
  assert.deepEqual(sources.get('image.tag'), { file: path.join(root, 'argocd/apps.yaml'), line: 15 });

  const kustApp = apps.find((a) => a.name === 'kust')!;
  assert.equal(kustApp.renderer, 'kustomize');
  assert.deepEqual(kustApp.kustomize, { images: ['nginx:1.27'], namePrefix: 'p-', namespace: 'k' });

  const remote = apps.find((a) => a.name === 'remote-chart')!;
  assert.match(remote.unrenderable ?? '', /chart redis from Helm repository https:\/\/charts\.example\.com is remote: not renderable offline/);
  assert.ok(!apps.some((a) => a.name === 'gone'));
  assert.ok(notes.some((n) => /Application gone: source path not\/here/.test(n)));
  assert.ok(notes.some((n) => /ApplicationSet many \(argocd\/apps\.yaml:\d+\): generates no Applications/.test(n)), notes.join('\n'));
  // folders covered by an Application are not apps again; the rest still are
  assert.equal(apps.filter((a) => a.path === path.join(root, 'deploy/web')).length, 1);
  assert.ok(apps.some((a) => a.origin === 'plain-manifests' && a.path === path.join(root, 'deploy/plain')));
  assert.ok(!apps.some((a) => a.origin === 'plain-manifests' && a.path === path.join(root, 'argocd')), 'a folder of Applications is not a plain-manifests app');
});

test('appFromArgoApplication: spec.sources, directory options, path relative to the git root', (t) => {
  const repo = workspace(t, { 'sub/ws/.keep': '', 'sub/ws/app/a.yaml': cm('a'), 'values/prod.yaml': 'a: 1\n', 'other/chart/Chart.yaml': chart('c') });
  fs.mkdirSync(path.join(repo, '.git'));
  const ws = path.join(repo, 'sub/ws');
  const app = (spec: object) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'm', namespace: 'argocd' }, spec }) as KubeObject;
  const dir = appFromArgoApplication(app({ source: { repoURL: 'x', path: 'app', directory: { recurse: true, include: '*.yaml', exclude: 'skip.yaml' } }, destination: { namespace: 'd' } }), ws)!;
  assert.equal(dir.renderer, 'directory');
  assert.deepEqual(dir.directory, { recurse: true, include: '*.yaml', exclude: 'skip.yaml' });
  // the workspace is a subfolder of the repository: paths resolve against the git root too
  const multi = appFromArgoApplication(app({
    sources: [
      { repoURL: 'x', path: 'other/chart', helm: { valueFiles: ['$values/values/prod.yaml'] } },
      { repoURL: 'x', ref: 'values' },
    ],
    destination: { namespace: 'd' },
  }), ws)!;
  assert.equal(multi.path, path.join(repo, 'other/chart'));
  assert.equal(multi.renderer, 'helm');
  assert.deepEqual(multi.helm?.valueFiles, [path.join(repo, 'values/prod.yaml')]);
  assert.equal(multi.helm?.releaseName, 'm');
  assert.equal(resolveSourcePath('../../etc', ws), undefined, 'no escaping the repository');
  assert.equal(appFromArgoApplication(app({ source: { repoURL: 'x', path: 'nowhere' } }), ws), undefined);
  const plugin = appFromArgoApplication(app({ source: { repoURL: 'x', path: 'app', plugin: { name: 'kasane' } } }), ws)!;
  assert.equal(plugin.unrenderable, 'config management plugin kasane: plugins are not run here');
  const oci = { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'o', namespace: 'flux-system' }, spec: { sourceRef: { kind: 'OCIRepository', name: 'o' }, path: './app' } } as KubeObject;
  assert.equal(appFromFluxObject(oci, ws), undefined, 'an OCI artifact is not this workspace');
});

test('Flux: Kustomization paths from the GitRepository root, targetNamespace, prune; HelmRelease charts from git render, remote ones are unrenderable by name', async (t) => {
  const root = workspace(t, {
    'clusters/prod/apps.yaml': [
      'apiVersion: kustomize.toolkit.fluxcd.io/v1',
      'kind: Kustomization',
      'metadata: {name: apps, namespace: flux-system}',
      'spec:',
      '  sourceRef: {kind: GitRepository, name: flux-system}',
      '  path: ./apps/prod',
      '  prune: true',
      '  targetNamespace: shop',
      '---',
      'apiVersion: kustomize.toolkit.fluxcd.io/v1',
      'kind: Kustomization',
      'metadata: {name: plain, namespace: flux-system}',
      'spec:',
      '  sourceRef: {kind: GitRepository, name: flux-system}',
      '  path: ./raw',
      '',
    ].join('\n'),
    'apps/base/kustomization.yaml': kust(['cm.yaml', 'release.yaml']),
    'apps/base/cm.yaml': cm('base'),
    'apps/base/release.yaml': [
      'apiVersion: helm.toolkit.fluxcd.io/v2',
      'kind: HelmRelease',
      'metadata: {name: podinfo, namespace: podinfo}',
      'spec:',
      '  chart:',
      '    spec:',
      '      chart: podinfo',
      '      sourceRef: {kind: HelmRepository, name: podinfo}',
      '',
    ].join('\n'),
    'apps/prod/kustomization.yaml': kust(['../base']) + 'patches:\n  - path: values.yaml\n',
    'apps/prod/values.yaml': 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: podinfo, namespace: podinfo}\nspec:\n  values: {replicaCount: 2}\n',
    'raw/sub/x.yaml': cm('x'),
    'releases/local.yaml': [
      'apiVersion: helm.toolkit.fluxcd.io/v2',
      'kind: HelmRelease',
      'metadata: {name: local, namespace: web}',
      'spec:',
      '  targetNamespace: web-live',
      '  chart:',
      '    spec:',
      '      chart: ./charts/local',
      '      sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}',
      '  values:',
      '    image:',
      '      tag: "9.9"',
      '',
    ].join('\n'),
    'charts/local/Chart.yaml': chart('local'),
    'charts/local/values.yaml': 'image:\n  tag: "1.0"\n',
  });
  const { apps } = await discoverApps(root);
  const byName = new Map(apps.map((a) => [a.name, a]));
  const appsK = byName.get('apps')!;
  assert.equal(appsK.origin, 'flux-kustomization');
  assert.equal(appsK.path, path.join(root, 'apps/prod'));
  assert.equal(appsK.renderer, 'kustomize');
  assert.equal(appsK.namespace, 'shop');
  assert.deepEqual(appsK.kustomize, { namespace: 'shop' });
  assert.deepEqual(appsK.syncPolicy, { automated: true, prune: true });
  assert.equal(appsK.agent, 'flux');
  const plain = byName.get('plain')!;
  assert.equal(plain.renderer, 'directory', 'no kustomization: Flux generates one over every manifest below');
  assert.equal(plain.directory?.recurse, true);
  const podinfo = byName.get('podinfo')!;
  assert.equal(podinfo.origin, 'flux-helmrelease');
  assert.equal(podinfo.unrenderable, 'chart podinfo from HelmRepository podinfo is remote: not renderable offline');
  assert.equal(apps.filter((a) => a.name.startsWith('podinfo')).length, 1, 'the overlay patch of the HelmRelease is not a second app');
  const local = byName.get('local')!;
  assert.equal(local.renderer, 'helm');
  assert.equal(local.path, path.join(root, 'charts/local'));
  assert.equal(local.namespace, 'web-live');
  assert.equal(local.helm?.releaseName, 'web-live-local');
  assert.deepEqual(local.helm?.values, { image: { tag: '9.9' } });
  assert.deepEqual(helmValuesSources(local).get('image.tag'), { file: path.join(root, 'releases/local.yaml'), line: 12 });
  // covered by definitions: the base is not an app, the chart folder is not a second app
  assert.ok(!apps.some((a) => a.path === path.join(root, 'apps/base') && a.origin === 'kustomization.yaml'));
  assert.equal(apps.filter((a) => a.path === path.join(root, 'charts/local')).length, 1);
  assert.equal(apps.filter((a) => a.path === path.join(root, 'raw/sub')).length, 0, 'a recursive Flux path covers its subfolders');
});

test('appFromFluxObject maps ExternalArtifact paths through ArtifactGenerator copy rules', (t) => {
  const root = workspace(t, { 'apps/staging/kustomization.yaml': kust(['cm.yaml']), 'apps/staging/cm.yaml': cm('s'), 'infra/configs/a.yaml': cm('a') });
  const generator = {
    apiVersion: 'source.extensions.fluxcd.io/v1beta1', kind: 'ArtifactGenerator', metadata: { name: 'flux-system', namespace: 'flux-system' },
    spec: { artifacts: [
      { name: 'apps', copy: [{ from: '@monorepo/apps/base/**', to: '@artifact/base/' }, { from: '@monorepo/apps/staging/**', to: '@artifact/staging/' }] },
      { name: 'infrastructure', copy: [{ from: '@monorepo/infra/**', to: '@artifact/' }] },
    ] },
  } as KubeObject;
  const ks = (name: string, artifact: string, p: string) => ({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name, namespace: 'flux-system' }, spec: { sourceRef: { kind: 'ExternalArtifact', name: artifact }, path: p } }) as KubeObject;
  const apps = appFromFluxObject(ks('apps', 'apps', './staging'), root, undefined, { artifactGenerators: [generator] })!;
  assert.equal(apps.path, path.join(root, 'apps/staging'));
  assert.equal(apps.renderer, 'kustomize');
  const infra = appFromFluxObject(ks('configs', 'infrastructure', './configs'), root, undefined, { artifactGenerators: [generator] })!;
  assert.equal(infra.path, path.join(root, 'infra/configs'));
  assert.equal(infra.renderer, 'directory');
  assert.equal(appFromFluxObject(ks('x', 'apps', './staging'), '/nonexistent-root'), undefined, 'unresolvable path: no app');
});

test('detectRenderer follows Argo CD: kustomization, then Chart.yaml, else directory', (t) => {
  const root = workspace(t, { 'k/kustomization.yml': kust([]), 'h/Chart.yaml': chart('h'), 'd/a.yaml': cm('a') });
  assert.equal(detectRenderer(path.join(root, 'k')), 'kustomize');
  assert.equal(detectRenderer(path.join(root, 'h')), 'helm');
  assert.equal(detectRenderer(path.join(root, 'd')), 'directory');
});

test('Helm values precedence: chart values < -f files in order < inline values < parameters', (t) => {
  const root = workspace(t, {
    'c/Chart.yaml': chart('c'),
    'c/values.yaml': 'image:\n  repository: nginx\n  tag: "1.0"\nlist: [a, b, c]\ngone: 1\nkeep: {x: 1}\n',
    'c/a.yaml': 'image:\n  tag: "2.0"\nlist: [z]\n',
    'c/b.yaml': 'image:\n  tag: "3.0"\ngone: null\n',
  });
  const app = { name: 'c', path: path.join(root, 'c'), renderer: 'helm' as const, namespace: 'd', origin: 'Chart.yaml' as const, ignoreDifferences: [],
    helm: { valueFiles: [path.join(root, 'c/a.yaml'), path.join(root, 'c/b.yaml')], parameters: [{ name: 'keep.x', value: '7' }] },
    definedAt: { file: '/app.yaml', line: 3 } };
  const { values, sources } = loadValues(app);
  assert.deepEqual(values, { image: { repository: 'nginx', tag: '3.0' }, list: ['z'], keep: { x: 7 } });
  assert.deepEqual(sources.get('image.tag'), { file: path.join(root, 'c/b.yaml'), line: 2 });
  assert.deepEqual(sources.get('image.repository'), { file: path.join(root, 'c/values.yaml'), line: 2 });
  assert.deepEqual(sources.get('list[0]'), { file: path.join(root, 'c/a.yaml'), line: 3 });
  assert.equal(sources.get('list[1]'), undefined, 'a list is replaced whole');
  assert.equal(sources.get('gone'), undefined, 'null deletes a key');
  assert.deepEqual(sources.get('keep.x'), { file: '/app.yaml', line: 3 });
});

test('Argo CD kustomize image strings parse like `kustomize edit set image`', () => {
  assert.deepEqual(parseArgoImage('nginx:1.27'), { name: 'nginx', newTag: '1.27' });
  assert.deepEqual(parseArgoImage('nginx=ghcr.io/me/nginx:2'), { name: 'nginx', newName: 'ghcr.io/me/nginx', newTag: '2' });
  assert.deepEqual(parseArgoImage('localhost:5000/app@sha256:abc'), { name: 'localhost:5000/app', digest: 'sha256:abc' });
});

test('discovery over the corpus: every rule, names unique, remote HelmReleases by name', { skip: corpusMissing() }, async () => {
  const argo = await discoverApps(path.join(corpusDir, 'argocd-example-apps'));
  const argoSummary = Object.fromEntries(argo.apps.map((a) => [a.name, `${a.renderer}/${a.origin}`]));
  assert.deepEqual(argoSummary, {
    apps: 'helm/Chart.yaml',
    'blue-green': 'helm/Chart.yaml',
    guestbook: 'directory/plain-manifests',
    'helm-guestbook': 'helm/Chart.yaml',
    'helm-hooks': 'directory/plain-manifests',
    'pre-post-sync': 'kustomize/kustomization.yaml',
    'sock-shop': 'kustomize/kustomization.yaml',
    'sync-waves': 'directory/plain-manifests',
  }, 'kustomize-guestbook is the base of pre-post-sync; sock-shop/base files belong to sock-shop');
  assert.ok(argo.notes.some((n) => /^apps: .*app of apps/.test(n)));

  const podinfo = await discoverApps(path.join(corpusDir, 'podinfo'));
  assert.deepEqual(podinfo.apps.map((a) => `${path.relative(path.join(corpusDir, 'podinfo'), a.path)}:${a.renderer}`).sort(),
    ['charts/podinfo:helm', 'deploy/bases/backend:kustomize', 'deploy/bases/cache:kustomize', 'kustomize:kustomize']);

  const fluxRoot = path.join(corpusDir, 'flux2-kustomize-helm-example');
  const flux = await discoverApps(fluxRoot);
  const rel = (p: string) => path.relative(fluxRoot, p);
  const stagingApps = flux.apps.find((a) => a.origin === 'flux-kustomization' && rel(a.path) === 'apps/staging');
  assert.ok(stagingApps, 'ExternalArtifact ./staging maps to apps/staging through the ArtifactGenerator');
  assert.equal(stagingApps.renderer, 'kustomize');
  assert.equal(stagingApps.agentObject?.name, 'apps');
  assert.ok(flux.apps.some((a) => a.name === 'infra-controllers' && rel(a.path) === 'infrastructure/controllers'));
  const podinfoRelease = flux.apps.find((a) => a.origin === 'flux-helmrelease' && a.agentObject?.name === 'podinfo')!;
  assert.equal(podinfoRelease.unrenderable, 'chart podinfo from HelmRepository podinfo is remote: not renderable offline');
  assert.match(flux.apps.find((a) => a.agentObject?.name === 'cert-manager')!.unrenderable!, /cert-manager from OCIRepository cert-manager is remote/);
  assert.ok(!flux.apps.some((a) => rel(a.path) === 'apps/base/podinfo' && a.origin === 'kustomization.yaml'), 'a base is not an app');
  assert.equal(new Set(flux.apps.map((a) => a.name)).size, flux.apps.length);
  assert.deepEqual(flux.errors, []);
});

test('definition files with malformed YAML are reported, not thrown', async (t) => {
  const root = workspace(t, { 'argocd/app.yaml': 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: x\n' });
  const r = await discoverApps(root);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0], /^argocd\/app\.yaml:\d+: /);
  assert.equal(parseManifests('kind: Application', 'f').objects.length, 0);
});

test('one pass reads each file once: render reuses what discovery read; without the cache it reads the disk', async (t) => {
  const { ReadCache } = await import('../../src/core/manifests/readCache');
  const { renderApp } = await import('../../src/core/manifests/render');
  const root = workspace(t, { 'plain/a.yaml': cm('a') });
  const reads = new ReadCache();
  const { apps } = await discoverApps(root, reads);
  assert.deepEqual(apps.map((a) => a.origin), ['plain-manifests']);
  // The file changes between discovery and render: the pass keeps the text discovery saw (one
  // consistent snapshot); a render outside the pass sees the disk.
  fs.writeFileSync(path.join(root, 'plain/a.yaml'), cm('changed'));
  fs.writeFileSync(path.join(root, 'plain/b.yaml'), cm('new'));
  const inPass = await renderApp(apps[0], {}, { reads });
  assert.deepEqual(inPass.objects.map((o) => o.object.metadata.name), ['a']);
  const fresh = await renderApp(apps[0], {});
  assert.deepEqual(fresh.objects.map((o) => o.object.metadata.name), ['changed', 'new']);
  // A missing folder is still reported as such through the cache.
  const gone = await renderApp({ ...apps[0], path: path.join(root, 'nope') }, {}, { reads });
  assert.match(gone.error ?? '', /source folder not found/);
});

test('childPath spells a file exactly as path.join does (discovery and render share reads by that name)', async () => {
  const { childPath } = await import('../../src/core/manifests/readCache');
  for (const [dir, rel] of [['/ws/app', 'a.yaml'], ['/ws/app', 'sub/b.yml'], ['/', 'x.yaml'], ['/ws/app', '.hidden.yaml'], ['/ws/app', 'sub/../c.yaml'], ['/ws/app', './d.yaml']]) {
    assert.equal(childPath(dir, rel), path.join(dir, rel), `${dir} + ${rel}`);
  }
});
