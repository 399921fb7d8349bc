// Flux HelmRelease valuesFrom and Argo CD helm.fileParameters rendered with the real helm / kubectl
// binaries on test/fixtures/helm-values-from: the values the agent would use, each rendered field
// pointing at the line in Git its value comes from, clear per-app errors, Secret values never shown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { discoverApps } from '../../src/core/manifests/discover';
import { renderApp, type RenderTools } from '../../src/core/manifests/render';
import type { App, DesiredObject, RenderResult } from '../../src/core/model';
import { spawnSync } from 'node:child_process';
import { cliPath } from '../support/sandbox';
import { helmPath, kubectlPath, projectRoot } from '../support/tools';

const tools: RenderTools = { helmPath: helmPath(), kubectlPath: kubectlPath(), timeoutMs: 120_000 };
// every value the fixture's Secrets hold: none may appear in an error, a note or a source location
const SECRET_VALUES = ['fixture-secret-from-git', 'leaky-secret-value', 'bm90LXJlYWxseS1lbmNyeXB0ZWQ', 'Strict-Secret-42'];

let root: string;
let apps: App[];
const results = new Map<string, RenderResult>();

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-valuesfrom-'));
  fs.cpSync(path.join(projectRoot, 'test/fixtures/helm-values-from'), root, { recursive: true });
  fs.cpSync(path.join(projectRoot, 'test/fixtures/manifests/values-chart'), path.join(root, 'charts/web'), { recursive: true });
  apps = (await discoverApps(root)).apps;
  // all at once: a failing source must not stop the others
  const rendered = await Promise.all(apps.map((a) => renderApp(a, tools)));
  for (const r of rendered) results.set(r.app.name, r);
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

function result(name: string): RenderResult {
  const r = results.get(name);
  assert.ok(r, `app ${name} not discovered; got ${[...results.keys()].join(', ')}`);
  return r;
}

function find(r: RenderResult, kind: string, name: string): DesiredObject {
  const o = r.objects.find((d) => d.object.kind === kind && d.object.metadata.name === name);
  assert.ok(o, `${kind}/${name} not rendered (error: ${r.error}); got ${r.objects.map((d) => `${d.object.kind}/${d.object.metadata.name}`).join(', ')}`);
  return o;
}

function at(rel: string, text: string): { file: string; line: number } {
  const file = path.join(root, rel);
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`${text} not in ${rel}`);
  return { file, line: i + 1 };
}

test('Flux HelmRelease through its Kustomization: replicas/image from a configMapGenerator values file, spec.values wins, targetPath, block scalar, Secret', () => {
  const r = result('web');
  assert.equal(r.error, undefined);
  const dep = find(r, 'Deployment', 'web-web');
  const spec = dep.object.spec as any;
  assert.equal(spec.replicas, 4, 'spec.values (4) over valuesFrom (3)');
  assert.deepEqual(dep.fieldSources.get('/spec/replicas'), at('apps/web/release.yaml', 'replicaCount: 4'));
  assert.equal(spec.template.spec.containers[0].image, 'nginx:1.27', 'image tag from the generated ConfigMap');
  assert.deepEqual(dep.fieldSources.get('/spec/template/spec/containers/0/image'), at('apps/web/values.yaml', 'tag: "1.27"'),
    'a generator files: entry maps to the line in that values file');
  assert.equal(spec.template.spec.containers[0].args[0], '--log-level=warn', 'targetPath logLevel');
  assert.deepEqual(dep.fieldSources.get('/spec/template/spec/containers/0/args/0'), at('apps/web/settings.yaml', 'logLevel: warn'));
  const svc = find(r, 'Service', 'web-web');
  assert.equal((svc.object.spec as any).ports[0].port, 9090);
  assert.deepEqual(svc.fieldSources.get('/spec/ports/0/port'), at('apps/web/settings.yaml', 'port: 9090'), 'a line inside the ConfigMap block scalar');
  const secret = find(r, 'Secret', 'web-db');
  assert.equal(Buffer.from((secret.object.data as any).password, 'base64').toString(), 'fixture-secret-from-git', 'values from a base64 Secret');
  assert.deepEqual(secret.fieldSources.get('/data/password'), at('apps/web/secrets.yaml', 'values.yaml: ZGI6'), 'base64 data: the key line');
  assert.deepEqual(r.app.renderNotes, ['valuesFrom[4]: ConfigMap shop/web-extra: optional, not found in Git: skipped']);
  for (const rel of ['apps/web/values.yaml', 'apps/web/settings.yaml', 'apps/web/secrets.yaml']) {
    assert.ok(r.inputs.includes(path.join(root, rel)), `${rel} is an input: editing it re-renders the release`);
  }
});

test('a HelmRelease no Kustomization builds reads its ConfigMaps from workspace YAML, beside it or elsewhere', () => {
  const r = result('solo');
  assert.equal(r.error, undefined);
  const dep = find(r, 'Deployment', 'solo-web');
  assert.equal((dep.object.spec as any).replicas, 7);
  assert.equal((dep.object.spec as any).template.spec.containers[0].image, 'nginx:1.29');
  assert.deepEqual(dep.fieldSources.get('/spec/replicas'), at('standalone/values.yaml', 'replicaCount: 7'));
  assert.deepEqual(dep.fieldSources.get('/spec/template/spec/containers/0/image'), at('standalone/values.yaml', 'tag: "1.29"'));
  assert.equal((dep.object.spec as any).template.spec.containers[0].args[0], '--log-level=debug');
  assert.deepEqual(dep.fieldSources.get('/spec/template/spec/containers/0/args/0'), at('shared/solo-shared.yaml', 'logLevel: debug'));
  for (const rel of ['standalone/values.yaml', 'shared/solo-shared.yaml']) assert.ok(r.inputs.includes(path.join(root, rel)), `${rel} is an input`);
});

test('unresolvable valuesFrom: a clear error for that app only (missing, SOPS, not YAML); other apps render', () => {
  const broken = result('broken');
  assert.equal(broken.error, 'valuesFrom[1]: ConfigMap shop/does-not-exist: not found in Git; it is not optional, so Flux fails this release');
  assert.deepEqual(broken.objects, []);
  assert.equal(result('sealed').error, 'valuesFrom[0]: Secret shop/web-sealed: SOPS-encrypted, its values cannot be read here (Flux decrypts it in the cluster)');
  assert.match(result('leaky').error ?? '', /^valuesFrom\[0\]: Secret shop\/web-leaky: key 'values\.yaml' is not valid YAML \(line \d+ of the value\)$/);
  assert.equal(result('strict').error, 'helm template failed: execution error at (strict/templates/secret.yaml:3:4): db.password "***" must be lowercase letters',
    'a chart message quoting a Secret-sourced value: masked as Flux does');
  assert.equal(result('leaky-path').error, 'valuesFrom[0]: Secret shop/web-leaky: cannot set targetPath db.password', 'the parser\'s message would quote the value');
  for (const name of ['web', 'solo', 'apps', 'other', 'web-files', 'web-ref']) assert.equal(result(name).error, undefined, `${name} still renders`);
});

test('a generated ConfigMap whose hashed name kustomize did not write into valuesFrom: the error says so', () => {
  assert.match(result('unlinked').error ?? '',
    /^valuesFrom\[0\]: ConfigMap other\/other-values: not found in Git \(the generated ConfigMap is named other-values-[a-z0-9]{10}: add a kustomize nameReference for HelmRelease spec\/valuesFrom\/name, or disableNameSuffixHash\); it is not optional, so Flux fails this release$/);
});

test('Secret values never appear in an error, a note or a source location', () => {
  for (const r of results.values()) {
    const shown = JSON.stringify({ error: r.error, notes: r.app.renderNotes, sources: r.objects.map((d) => [...d.fieldSources.values()]) });
    for (const s of SECRET_VALUES) assert.ok(!shown.includes(s), `${r.app.name} shows a Secret value`);
  }
});

test('Argo CD helm.fileParameters: --set-file after parameters, relative to the source folder and through a $ref source', () => {
  const files = result('web-files');
  const dep = find(files, 'Deployment', 'web-files-web');
  assert.equal((dep.object.spec as any).template.spec.containers[0].args[0], '--log-level=trace', 'the file wins over the parameter');
  assert.deepEqual(dep.fieldSources.get('/spec/template/spec/containers/0/args/0'), { file: path.join(root, 'charts/web/files/level.txt'), line: 1 });
  assert.ok(files.inputs.includes(path.join(root, 'charts/web/files/level.txt')));
  const ref = result('web-ref');
  const secret = find(ref, 'Secret', 'web-ref-db');
  assert.equal((secret.object.stringData as any).user, 'ref-user');
  assert.deepEqual(secret.fieldSources.get('/stringData/user'), { file: path.join(root, 'config/db-user.txt'), line: 1 });
});

test('Argo CD helm.fileParameters: a missing file is that app\'s error', async () => {
  const app = apps.find((a) => a.name === 'web-files')!;
  const r = await renderApp({ ...app, helm: { ...app.helm, fileParameters: [{ name: 'logLevel', path: path.join(root, 'charts/web/files/gone.txt') }] } }, tools);
  assert.equal(r.error, `file parameter logLevel: file not found: ${path.join(root, 'charts/web/files/gone.txt')}`);
});

test('the CLI shows the render notes of an app (an optional valuesFrom source skipped), in text and JSON', () => {
  const run = (output: string) => spawnSync(process.execPath, [cliPath(), 'apps', root, '--output', output, '--kubeconfig', path.join(root, 'no-kubeconfig'),
    '--helm-path', tools.helmPath!, '--kubectl-path', tools.kubectlPath!], { encoding: 'utf8', timeout: 120_000 });
  const json = run('json');
  assert.equal(json.status, 0, json.stderr);
  const web = JSON.parse(json.stdout).apps.find((a: { name: string }) => a.name === 'web');
  assert.deepEqual(web.notes, ['valuesFrom[4]: ConfigMap shop/web-extra: optional, not found in Git: skipped']);
  const text = run('text');
  assert.match(text.stdout, /^web: note: valuesFrom\[4\]: ConfigMap shop\/web-extra: optional, not found in Git: skipped$/m);
});
