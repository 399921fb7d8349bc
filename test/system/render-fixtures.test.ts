// Renderers on the project's own fixtures with the real helm / kubectl binaries: Kustomize patches,
// images, replicas and labels in the source map; Helm value precedence; clear per-app errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderApp, ToolMissingError, type RenderTools } from '../../src/core/manifests/render';
import type { App, DesiredObject, RenderResult } from '../../src/core/model';
import { helmPath, kubectlPath, projectRoot } from '../support/tools';

const FX = path.join(projectRoot, 'test/fixtures/manifests');
const tools: RenderTools = { helmPath: helmPath(), kubectlPath: kubectlPath(), timeoutMs: 120_000 };

function app(rel: string, renderer: App['renderer'], extra: Partial<App> = {}): App {
  return { name: path.basename(rel), path: path.join(FX, rel), renderer, namespace: 'fixture', origin: 'plain-manifests', ignoreDifferences: [], ...extra };
}

function find(r: RenderResult, kind: string, name: string): DesiredObject {
  const o = r.objects.find((d) => d.object.kind === kind && d.object.metadata.name === name);
  assert.ok(o, `${kind}/${name} not rendered; got ${r.objects.map((d) => `${d.object.kind}/${d.object.metadata.name}`).join(', ')}`);
  return o;
}

function lineOf(file: string, text: string, from = 1): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  for (let i = from - 1; i < lines.length; i++) if (lines[i].includes(text)) return i + 1;
  throw new Error(`${text} not in ${file}`);
}

test('kustomize overlay: patch file, inline JSON 6902 patch, images, replicas, namespace and labels each map to their line', async () => {
  const r = await renderApp(app('kustomize-overlay/overlay', 'kustomize'), tools);
  assert.equal(r.error, undefined);
  const overlay = path.join(FX, 'kustomize-overlay/overlay');
  const base = path.join(FX, 'kustomize-overlay/base');
  const k = path.join(overlay, 'kustomization.yaml');
  const patch = path.join(overlay, 'web-patch.yaml');
  const dep = path.join(base, 'deployment.yaml');

  const web = find(r, 'Deployment', 'prod-web');
  assert.equal(web.object.metadata.namespace, 'shop');
  const spec = web.object.spec as any;
  assert.equal(spec.replicas, 4);
  assert.deepEqual(web.fieldSources.get('/spec/replicas'), { file: patch, line: lineOf(patch, 'replicas: 4') }, 'replicas set by a patch -> the patch line');
  // the patch lists the sidecar first; kustomize reorders, the map follows the container names
  const names = spec.template.spec.containers.map((c: any) => c.name);
  const app_ = names.indexOf('app');
  const sidecar = names.indexOf('sidecar');
  assert.equal(spec.template.spec.containers[app_].image, 'nginx:1.27');
  assert.deepEqual(web.fieldSources.get(`/spec/template/spec/containers/${app_}/image`), { file: k, line: lineOf(k, 'newTag:') }, 'images: newTag line');
  assert.deepEqual(web.fieldSources.get(`/spec/template/spec/containers/${app_}/resources/limits/memory`), { file: patch, line: lineOf(patch, 'memory: 256Mi') });
  assert.deepEqual(web.fieldSources.get(`/spec/template/spec/containers/${app_}/ports/0/containerPort`), { file: dep, line: lineOf(dep, 'containerPort: 80') }, 'untouched fields -> the base line');
  assert.deepEqual(web.fieldSources.get(`/spec/template/spec/containers/${sidecar}/image`), { file: patch, line: lineOf(patch, 'busybox:1.37') });
  assert.deepEqual(web.fieldSources.get(`/spec/template/spec/containers/${sidecar}/args/0`), { file: dep, line: lineOf(dep, 'args: ["sleep"') });
  assert.deepEqual(web.fieldSources.get('/metadata/namespace'), { file: k, line: lineOf(k, 'namespace: shop') });
  assert.deepEqual(web.fieldSources.get('/metadata/labels/env'), { file: k, line: lineOf(k, 'env: prod') });
  assert.deepEqual(web.fieldSources.get('/metadata/name'), { file: dep, line: lineOf(dep, 'name: web') });
  assert.deepEqual(web.source, { file: dep, line: 1 });

  const worker = find(r, 'Deployment', 'prod-worker');
  assert.equal((worker.object.spec as any).replicas, 2);
  assert.deepEqual(worker.fieldSources.get('/spec/replicas'), { file: k, line: lineOf(k, 'count: 2') }, 'replicas: entry -> its count line');
  assert.equal(worker.source.line, lineOf(dep, 'name: worker') - 3, 'second document of the base file');

  const svc = find(r, 'Service', 'prod-web');
  assert.equal((svc.object.spec as any).ports[0].port, 8080);
  assert.deepEqual(svc.fieldSources.get('/spec/ports/0/port'), { file: k, line: lineOf(k, 'value: 8080') }, 'inline JSON 6902 patch -> its line in kustomization.yaml');

  const cm = r.objects.find((d) => d.object.kind === 'ConfigMap')!;
  assert.match(cm.object.metadata.name, /^prod-web-config-[a-z0-9]{10}$/);
  const bk = path.join(base, 'kustomization.yaml');
  assert.deepEqual(cm.source, { file: bk, line: lineOf(bk, '- name: web-config') });

  assert.deepEqual([...r.inputs].sort(), [k, patch, bk, dep, path.join(base, 'service.yaml')].sort());
});

test('Argo CD kustomize options: replicas and patches applied through an overlay, mapped to the Application', async () => {
  const definedAt = { file: '/workspace/argocd/shop.yaml', line: 4 };
  const r = await renderApp(app('kustomize-overlay/overlay', 'kustomize', {
    definedAt,
    kustomize: {
      nameSuffix: '-v2',
      replicas: [{ name: 'prod-worker', count: 5 }],
      patches: [{ target: { kind: 'Service', name: 'prod-web' }, patch: '- op: add\n  path: /spec/sessionAffinity\n  value: ClientIP\n' }],
    },
  }), tools);
  assert.equal(r.error, undefined);
  const worker = find(r, 'Deployment', 'prod-worker-v2');
  assert.equal((worker.object.spec as any).replicas, 5);
  assert.deepEqual(worker.fieldSources.get('/spec/replicas'), definedAt);
  assert.deepEqual(worker.fieldSources.get('/metadata/name'), definedAt);
  const svc = find(r, 'Service', 'prod-web-v2');
  assert.equal((svc.object.spec as any).sessionAffinity, 'ClientIP');
  assert.deepEqual(svc.fieldSources.get('/spec/sessionAffinity'), definedAt);
  const k = path.join(FX, 'kustomize-overlay/overlay/kustomization.yaml');
  assert.deepEqual(svc.fieldSources.get('/spec/ports/0/port'), { file: k, line: lineOf(k, 'value: 8080') }, 'the app\'s own patches still map to their lines');
});

test('helm: later -f files override earlier, inline values override files, parameters override all; computed values map to the template', async () => {
  const chart = path.join(FX, 'values-chart');
  const prod = path.join(chart, 'values-prod.yaml');
  const values = path.join(chart, 'values.yaml');
  const appFile = { file: '/workspace/argocd/web.yaml', line: 7 };
  const r = await renderApp(app('values-chart', 'helm', {
    helm: { releaseName: 'rel', valueFiles: [prod], values: { logLevel: 'debug' }, parameters: [{ name: 'service.port', value: '81' }] },
    definedAt: appFile,
  }), tools);
  assert.equal(r.error, undefined);
  const dep = find(r, 'Deployment', 'rel-web');
  const spec = dep.object.spec as any;
  assert.equal(spec.replicas, 3);
  assert.deepEqual(dep.fieldSources.get('/spec/replicas'), { file: prod, line: lineOf(prod, 'replicaCount: 3') });
  assert.equal(spec.template.spec.containers[0].image, 'nginx:1.27');
  assert.deepEqual(dep.fieldSources.get('/spec/template/spec/containers/0/image'), { file: prod, line: lineOf(prod, 'tag:') });
  assert.equal(spec.template.spec.containers[0].args[0], '--log-level=debug');
  assert.deepEqual(dep.fieldSources.get('/spec/template/spec/containers/0/args/0'), appFile, 'inline values -> the definition');
  assert.deepEqual(dep.fieldSources.get('/metadata/labels/team'), { file: values, line: lineOf(values, 'team: web') }, 'toYaml of a values map');
  const template = path.join(chart, 'templates/deployment.yaml');
  assert.equal(spec.template.spec.containers[0].ports[0].containerPort, 8081);
  assert.deepEqual(dep.fieldSources.get('/spec/template/spec/containers/0/ports/0/containerPort'), { file: template, line: lineOf(template, 'containerPort:') }, 'computed from a value: the template line');
  const svc = find(r, 'Service', 'rel-web');
  assert.equal((svc.object.spec as any).ports[0].port, 81);
  assert.deepEqual(svc.fieldSources.get('/spec/ports/0/port'), appFile, 'a parameter wins over every file');
  assert.equal(svc.object.metadata.namespace, 'fixture');
  assert.ok(!('externalTrafficPolicy' in (svc.object.spec as any)), 'markers never change what is rendered');
  const secret = find(r, 'Secret', 'rel-db');
  assert.deepEqual(secret.fieldSources.get('/data/password'), { file: values, line: lineOf(values, 'password:') }, 'base64 data is traced through b64enc');
  assert.deepEqual(secret.fieldSources.get('/stringData/user'), { file: values, line: lineOf(values, 'user: app') });
});

test('helm: a values schema that rejects markers falls back to value equality for strings, template lines otherwise', async () => {
  const chart = path.join(FX, 'schema-chart');
  const values = path.join(chart, 'values.yaml');
  const r = await renderApp(app('schema-chart', 'helm'), tools);
  assert.equal(r.error, undefined);
  const dep = find(r, 'Deployment', 'schema-chart');
  assert.deepEqual(dep.fieldSources.get('/spec/template/spec/containers/0/image'), { file: values, line: lineOf(values, 'repository:') });
  assert.deepEqual(dep.fieldSources.get('/spec/template/spec/containers/0/env/0/value'), { file: values, line: lineOf(values, 'tag:') });
  const template = path.join(chart, 'templates/deployment.yaml');
  assert.deepEqual(dep.fieldSources.get('/spec/replicas'), { file: template, line: lineOf(template, 'replicas:') }, 'number markers rejected by the schema: the template line');
});

test('flux: a HelmRelease with a chart from Git takes its values from the Kustomization render (overlay patches applied)', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-fluxhelm-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  fs.cpSync(path.join(FX, 'values-chart'), path.join(root, 'charts/web'), { recursive: true });
  write('clusters/prod/apps.yaml', [
    'apiVersion: kustomize.toolkit.fluxcd.io/v1', 'kind: Kustomization', 'metadata: {name: apps, namespace: flux-system}',
    'spec:', '  sourceRef: {kind: GitRepository, name: flux-system}', '  path: ./apps/prod', '  prune: true', '',
  ].join('\n'));
  write('apps/base/kustomization.yaml', 'resources:\n  - release.yaml\n');
  write('apps/base/release.yaml', [
    'apiVersion: helm.toolkit.fluxcd.io/v2', 'kind: HelmRelease', 'metadata:', '  name: web', '  namespace: shop', 'spec:',
    '  chart:', '    spec:', '      chart: ./charts/web', '      sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}',
    '  values:', '    replicaCount: 2', '    image:', '      tag: "1.26"', '',
  ].join('\n'));
  write('apps/prod/kustomization.yaml', 'resources:\n  - ../base\npatches:\n  - path: values.yaml\n');
  write('apps/prod/values.yaml', [
    'apiVersion: helm.toolkit.fluxcd.io/v2', 'kind: HelmRelease', 'metadata:', '  name: web', '  namespace: shop', 'spec:',
    '  values:', '    image:', '      tag: "1.28"', '',
  ].join('\n'));
  const { discoverApps } = await import('../../src/core/manifests/discover');
  const { apps } = await discoverApps(root);
  const release = apps.find((a) => a.origin === 'flux-helmrelease')!;
  assert.equal(release.path, path.join(root, 'charts/web'));
  const r = await renderApp(release, tools);
  assert.equal(r.error, undefined);
  const dep = find(r, 'Deployment', 'web-web');
  const spec = dep.object.spec as any;
  assert.equal(spec.template.spec.containers[0].image, 'nginx:1.28', 'the prod overlay patch wins');
  assert.equal(spec.replicas, 2, 'base values still apply');
  assert.deepEqual(dep.fieldSources.get('/spec/template/spec/containers/0/image'), { file: path.join(root, 'apps/prod/values.yaml'), line: 9 });
  assert.deepEqual(dep.fieldSources.get('/spec/replicas'), { file: path.join(root, 'apps/base/release.yaml'), line: 12 });
  assert.equal(dep.object.metadata.namespace, 'shop');
  assert.ok(r.inputs.includes(path.join(root, 'apps/prod/values.yaml')), 'editing the overlay re-renders the release');
});

test('malformed YAML, a broken kustomization and a failing chart each give a clear per-app error; other apps go on', async () => {
  const results = await Promise.all([
    renderApp(app('broken-yaml', 'directory'), tools),
    renderApp(app('broken-kustomization', 'kustomize'), tools),
    renderApp(app('failing-chart', 'helm'), tools),
    renderApp(app('kustomize-overlay/overlay', 'kustomize'), tools),
  ]);
  const [yaml, kust, chart, ok] = results;
  assert.match(yaml.error ?? '', /^invalid YAML: bad\.yaml:\d+: /);
  assert.deepEqual(yaml.objects, []);
  assert.ok(yaml.inputs.some((f) => f.endsWith('bad.yaml')), 'the broken file is an input: fixing it re-renders');
  assert.match(kust.error ?? '', /^kustomize build failed: .*missing-file\.yaml/);
  assert.match(chart.error ?? '', /^helm template failed: .*image\.tag is required/);
  assert.doesNotMatch(chart.error ?? '', /--debug/);
  assert.equal(ok.error, undefined);
  assert.ok(ok.objects.length > 0);
});

test('untrusted workspace: only the directory renderer runs', async () => {
  const untrusted = { ...tools, trusted: false };
  const k = await renderApp(app('kustomize-overlay/overlay', 'kustomize'), untrusted);
  assert.equal(k.error, 'workspace not trusted: helm/kustomize not run');
  const h = await renderApp(app('values-chart', 'helm'), untrusted);
  assert.equal(h.error, 'workspace not trusted: helm/kustomize not run');
  const d = await renderApp(app('broken-yaml', 'directory'), untrusted);
  assert.match(d.error ?? '', /invalid YAML/);
});

test('missing binaries: a clear message naming the setting and flag (or a ToolMissingError on request)', async () => {
  const emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-nopath-'));
  const savedPath = process.env.PATH;
  try {
    process.env.PATH = emptyDir; // neither helm, kustomize nor kubectl
    const h = await renderApp(app('values-chart', 'helm'), {});
    assert.equal(h.error, 'helm not found on PATH: set gitops.helmPath or --helm-path');
    const k = await renderApp(app('kustomize-overlay/overlay', 'kustomize'), {});
    assert.match(k.error ?? '', /kustomize not found .*gitops\.kustomizePath or --kustomize-path/);
    await assert.rejects(renderApp(app('values-chart', 'helm'), { helmPath: '/nonexistent/helm' }, { throwOnMissingTool: true }),
      (err: unknown) => err instanceof ToolMissingError && /helm not found at \/nonexistent\/helm: fix gitops\.helmPath or --helm-path/.test(err.message));
    const d = await renderApp(app('kustomize-overlay/base', 'directory', { directory: { include: '*.yaml', exclude: 'kustomization.yaml' } }), {});
    assert.equal(d.error, undefined, 'plain YAML needs no binary');
    assert.deepEqual(d.objects.map((o) => o.object.metadata.name).sort(), ['web', 'web', 'worker']);
  } finally {
    process.env.PATH = savedPath;
    fs.rmSync(emptyDir, { recursive: true, force: true });
  }
});

test('a tool that hangs is killed at the timeout and reported for that app', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-slowtool-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const slow = path.join(dir, 'helm');
  // exec: the process killed at the timeout is the sleeping one (no orphan left behind)
  fs.writeFileSync(slow, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
  const started = Date.now();
  const r = await renderApp(app('values-chart', 'helm'), { helmPath: slow, timeoutMs: 500 });
  assert.match(r.error ?? '', /^helm template failed: helm timed out after \d+ s/);
  assert.ok(Date.now() - started < 10_000, 'not waiting for the tool');
  const k = await renderApp(app('kustomize-overlay/overlay', 'kustomize'), { kustomizePath: slow, timeoutMs: 500 });
  assert.match(k.error ?? '', /^kustomize build failed: helm timed out/, 'the binary named by gitops.kustomizePath is the one run');
});

test('directory renderer: recurse, include/exclude globs, non-Kubernetes YAML skipped, cluster-scoped kinds unnamespaced', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-dir-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  write('a.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n');
  write('values.yaml', 'replicaCount: 1\n');
  write('skip.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: skipped\n');
  write('sub/b.yml', 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n  namespace: ignored\n');
  write('sub/c.json', '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "own"}}');
  const base: App = { name: 'd', path: root, renderer: 'directory', namespace: 'dest', origin: 'plain-manifests', ignoreDifferences: [], definedAt: { file: '/app.yaml', line: 2 } };
  const flat = await renderApp(base, {});
  assert.deepEqual(flat.objects.map((o) => o.object.metadata.name).sort(), ['a', 'skipped', 'team']);
  const rec = await renderApp({ ...base, directory: { recurse: true, exclude: 'skip.yaml' } }, {});
  const byName = new Map(rec.objects.map((o) => [o.object.metadata.name, o]));
  assert.deepEqual([...byName.keys()].sort(), ['a', 'c', 'reader', 'team']);
  assert.equal(byName.get('a')!.object.metadata.namespace, 'dest');
  assert.deepEqual(byName.get('a')!.fieldSources.get('/metadata/namespace'), { file: '/app.yaml', line: 2 }, 'the defaulted namespace points at the definition');
  assert.equal(byName.get('a')!.ref.namespace, 'dest');
  assert.equal(byName.get('team')!.object.metadata.namespace, undefined);
  assert.equal(byName.get('reader')!.object.metadata.namespace, undefined, 'cluster-scoped: namespace dropped');
  assert.equal(byName.get('c')!.object.metadata.namespace, 'own');
  assert.equal(rec.inputs.length, 4, 'every YAML file read is an input, values.yaml included');
  const inc = await renderApp({ ...base, directory: { recurse: true, include: 'sub/*' } }, {});
  assert.deepEqual(inc.objects.map((o) => o.object.metadata.name).sort(), ['c', 'reader']);
});

test('kustomize helmCharts with helm 4: a kustomize that accepts helm 3 only inflates the chart through a version shim, and says so', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-helmcharts-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.cpSync(path.join(FX, 'values-chart'), path.join(dir, 'charts', 'web'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'kustomization.yaml'), 'helmGlobals:\n  chartHome: charts\nhelmCharts:\n  - name: web\n    releaseName: shop\n    namespace: shop\n    valuesInline:\n      replicaCount: 3\n');
  // What this kustomize does with this helm on its own decides what the renderer must have done.
  const direct = spawnSync(tools.kubectlPath!, ['kustomize', '--enable-helm', '--helm-command', tools.helmPath!, dir], { encoding: 'utf8', timeout: 120_000 });
  const refusesHelm4 = /requires helm V3 but got v4|unknown shorthand flag: 'c' in -c/.test(direct.stderr);
  const kustomizeApp: App = { name: 'shop', path: dir, renderer: 'kustomize', namespace: 'shop', origin: 'kustomization.yaml', ignoreDifferences: [] };
  const r = await renderApp(kustomizeApp, tools);
  assert.equal(r.error, undefined, r.error);
  assert.equal((find(r, 'Deployment', 'shop-web').object.spec as { replicas: number }).replicas, 3);
  if (refusesHelm4) assert.match(kustomizeApp.renderNotes?.join('\n') ?? '', /accepts helm 3 only; inflated with helm 4 .* through a version shim/);
  else assert.equal(kustomizeApp.renderNotes, undefined, `this kustomize takes helm as it is: ${direct.status}`);
  assert.deepEqual(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('gitops-helm-shim-')), [], 'the shim folder is removed');
});
