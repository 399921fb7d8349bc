// Renders the shared corpus with the real helm and kubectl (kustomize) binaries and checks objects,
// namespaces and the source map (file:line of the value that sets each field).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { appFromArgoApplication, detectRenderer, discoverApps } from '../../src/core/manifests/discover';
import { helmValuesSources, valuesFlow } from '../../src/core/manifests/helm';
import { renderApp, type RenderTools } from '../../src/core/manifests/render';
import type { App, DesiredObject, KubeObject, RenderResult } from '../../src/core/model';
import { refKey } from '../../src/core/model';
import { corpusDir, corpusMissing, helmPath, kubectlPath } from '../support/tools';

const skip = corpusMissing();
const tools: RenderTools = skip ? {} : { helmPath: helmPath(), kubectlPath: kubectlPath(), timeoutMs: 120_000 };
const C = (rel: string) => path.join(corpusDir, rel);

function folderApp(rel: string, extra: Partial<App> = {}): App {
  return { name: path.basename(rel), path: C(rel), renderer: detectRenderer(C(rel)), namespace: 'demo', origin: 'plain-manifests', ignoreDifferences: [], ...extra };
}

function find(r: RenderResult, kind: string, name: string): DesiredObject {
  const o = r.objects.find((d) => d.object.kind === kind && d.object.metadata.name === name);
  assert.ok(o, `${kind}/${name} not rendered; got ${r.objects.map((d) => `${d.object.kind}/${d.object.metadata.name}`).join(', ')}`);
  return o;
}

/** Line in a file holding `text` (first occurrence at or after `from`). */
function lineOf(file: string, text: string | RegExp, from = 1): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  for (let i = from - 1; i < lines.length; i++) if (typeof text === 'string' ? lines[i].includes(text) : text.test(lines[i])) return i + 1;
  throw new Error(`${text} not in ${file}`);
}

function at(d: DesiredObject, pointer: string) {
  const loc = d.fieldSources.get(pointer);
  assert.ok(loc, `no source for ${pointer}`);
  return { file: path.relative(corpusDir, loc.file), line: loc.line };
}

test('argocd-example-apps guestbook (directory): exact lines, destination namespace', { skip }, async () => {
  const r = await renderApp(folderApp('argocd-example-apps/guestbook'), tools);
  assert.equal(r.error, undefined);
  assert.equal(r.objects.length, 2);
  const dep = find(r, 'Deployment', 'guestbook-ui');
  const file = C('argocd-example-apps/guestbook/guestbook-ui-deployment.yaml');
  assert.equal(dep.object.metadata.namespace, 'demo');
  assert.deepEqual(at(dep, '/spec/replicas'), { file: 'argocd-example-apps/guestbook/guestbook-ui-deployment.yaml', line: lineOf(file, 'replicas:') });
  assert.equal(at(dep, '/spec/template/spec/containers/0/image').line, lineOf(file, 'image:'));
  assert.deepEqual(dep.source, { file, line: 1 });
  assert.deepEqual(r.inputs.sort(), [file, C('argocd-example-apps/guestbook/guestbook-ui-svc.yaml')].sort());
});

test('kustomize-guestbook via an Argo CD Application with kustomize options (prefix, image, namespace)', { skip }, async () => {
  const application = {
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'kg', namespace: 'argocd' },
    spec: { source: { repoURL: 'https://github.com/argoproj/argocd-example-apps', path: 'kustomize-guestbook', kustomize: { namePrefix: 'argo-', images: ['gcr.io/google-samples/gb-frontend:v9'] } }, destination: { namespace: 'guest' } },
  } as KubeObject;
  const app = appFromArgoApplication(application, C('argocd-example-apps'), { file: '/workspace/kg.yaml', line: 1 })!;
  assert.equal(app.renderer, 'kustomize');
  const r = await renderApp(app, tools);
  assert.equal(r.error, undefined);
  const dep = find(r, 'Deployment', 'argo-kustomize-guestbook-ui');
  assert.equal(dep.object.metadata.namespace, 'guest');
  const container = (dep.object.spec as any).template.spec.containers[0];
  assert.equal(container.image, 'gcr.io/google-samples/gb-frontend:v9');
  assert.deepEqual(dep.fieldSources.get('/spec/template/spec/containers/0/image'), { file: '/workspace/kg.yaml', line: 1 }, 'Argo CD image override -> the Application');
  const base = C('argocd-example-apps/kustomize-guestbook/guestbook-ui-deployment.yaml');
  assert.deepEqual(dep.fieldSources.get('/spec/replicas'), { file: base, line: lineOf(base, 'replicas:') });
  assert.deepEqual(dep.source, { file: base, line: 1 });
  assert.ok(r.inputs.includes(C('argocd-example-apps/kustomize-guestbook/kustomization.yaml')));
});

test('sock-shop (kustomize): 29 objects mapped back to their base files', { skip }, async () => {
  const r = await renderApp(folderApp('argocd-example-apps/sock-shop'), tools);
  assert.equal(r.error, undefined);
  assert.equal(r.objects.length, 29);
  for (const d of r.objects) {
    assert.match(d.source.file, /sock-shop\/base\/.+\.yaml$/, `${d.object.kind}/${d.object.metadata.name} has a base file`);
    if (d.object.kind !== 'Namespace') assert.ok(d.object.metadata.namespace, `${d.object.metadata.name} is namespaced`);
  }
  const carts = find(r, 'Deployment', 'carts');
  const file = C('argocd-example-apps/sock-shop/base/carts-dep.yaml');
  assert.equal(carts.source.file, file);
  assert.equal(at(carts, '/spec/template/spec/containers/0/image').line, lineOf(file, 'image:'));
  assert.equal(r.inputs.length, 30);
});

test('helm-guestbook with values-production.yaml: replicas and image tag from values.yaml, service type from the production file', { skip }, async () => {
  const dir = C('argocd-example-apps/helm-guestbook');
  const prod = path.join(dir, 'values-production.yaml');
  const app = folderApp('argocd-example-apps/helm-guestbook', { helm: { releaseName: 'guestbook', valueFiles: [prod] } });
  const r = await renderApp(app, tools);
  assert.equal(r.error, undefined);
  assert.equal(r.objects.length, 2);
  const dep = find(r, 'Deployment', 'guestbook-helm-guestbook');
  const values = path.join(dir, 'values.yaml');
  assert.equal(dep.object.metadata.namespace, 'demo');
  assert.deepEqual(dep.fieldSources.get('/spec/replicas'), { file: values, line: lineOf(values, 'replicaCount:') });
  assert.deepEqual(dep.fieldSources.get('/spec/template/spec/containers/0/image'), { file: values, line: lineOf(values, 'tag:') });
  assert.deepEqual(dep.fieldSources.get('/spec/template/spec/containers/0/ports/0/containerPort'), { file: values, line: lineOf(values, 'containerPort:') });
  const template = path.join(dir, 'templates/deployment.yaml');
  assert.deepEqual(dep.source, { file: template, line: 1 });
  assert.deepEqual(dep.fieldSources.get('/spec/revisionHistoryLimit'), { file: template, line: lineOf(template, 'revisionHistoryLimit:') }, 'a literal in the template -> its template line');
  const svc = find(r, 'Service', 'guestbook-helm-guestbook');
  assert.equal((svc.object.spec as any).type, 'LoadBalancer');
  assert.deepEqual(svc.fieldSources.get('/spec/type'), { file: prod, line: lineOf(prod, 'type:') }, 'the later -f file wins');
  assert.ok(r.inputs.includes(prod) && r.inputs.includes(values) && r.inputs.includes(template));

  const flow = await valuesFlow(app, tools);
  const depFlow = flow.get(refKey(dep.ref))!;
  assert.deepEqual(depFlow.get('/spec/template/spec/containers/0/image'), ['image.repository', 'image.tag']);
  assert.deepEqual(depFlow.get('/spec/replicas'), ['replicaCount']);
  assert.deepEqual(helmValuesSources(app).get('service.type'), { file: prod, line: lineOf(prod, 'type:') });
});

test('podinfo chart with values-prod.yaml: image tag -> values `tag:` line, redis image -> redis.tag', { skip }, async () => {
  const dir = C('podinfo/charts/podinfo');
  const prod = path.join(dir, 'values-prod.yaml');
  const r = await renderApp(folderApp('podinfo/charts/podinfo', { helm: { releaseName: 'podinfo', valueFiles: [prod] } }), tools);
  assert.equal(r.error, undefined);
  assert.deepEqual(r.objects.map((o) => `${o.object.kind}/${o.object.metadata.name}`).sort(),
    ['ConfigMap/podinfo-redis', 'Deployment/podinfo', 'Deployment/podinfo-redis', 'HorizontalPodAutoscaler/podinfo', 'Service/podinfo', 'Service/podinfo-redis'],
    'test hooks are left out (--skip-tests)');
  const dep = find(r, 'Deployment', 'podinfo');
  const image = (dep.object.spec as any).template.spec.containers[0].image as string;
  const tagLine = lineOf(prod, /^\s+tag: /);
  assert.ok(image.endsWith(':' + fs.readFileSync(prod, 'utf8').split('\n')[tagLine - 1].split('tag:')[1].trim()));
  assert.deepEqual(dep.fieldSources.get('/spec/template/spec/containers/0/image'), { file: prod, line: tagLine });
  const redis = find(r, 'Deployment', 'podinfo-redis');
  assert.deepEqual(redis.fieldSources.get('/spec/template/spec/containers/0/image'), { file: prod, line: lineOf(prod, /^\s+tag: /, lineOf(prod, /^redis:/)) });
  assert.deepEqual(redis.source, { file: path.join(dir, 'templates/redis/deployment.yaml'), line: lineOf(path.join(dir, 'templates/redis/deployment.yaml'), /^apiVersion:/) });
  for (const d of r.objects) assert.equal(d.object.metadata.namespace, 'demo');
});

test('podinfo kustomize and layered bases', { skip }, async () => {
  const r = await renderApp(folderApp('podinfo/kustomize'), tools);
  assert.equal(r.error, undefined);
  assert.deepEqual(r.objects.map((d) => d.object.kind).sort(), ['Deployment', 'HorizontalPodAutoscaler', 'Service']);
  const dep = find(r, 'Deployment', 'podinfo');
  const file = C('podinfo/kustomize/deployment.yaml');
  assert.equal(at(dep, '/spec/template/spec/containers/0/image').line, lineOf(file, 'image:'));
  const cache = await renderApp(folderApp('podinfo/deploy/bases/cache'), tools);
  assert.equal(cache.error, undefined);
  const cm = cache.objects.find((d) => d.object.kind === 'ConfigMap')!;
  assert.match(cm.object.metadata.name, /^redis-config-[a-z0-9]{10}$/);
  const k = C('podinfo/deploy/bases/cache/kustomization.yaml');
  assert.deepEqual(cm.source, { file: k, line: lineOf(k, '- name: redis-config') }, 'generated ConfigMap -> its generator entry');
  assert.ok(cache.inputs.includes(C('podinfo/deploy/bases/cache/redis.conf')));
});

test('flux2-kustomize-helm-example: apps/staging renders, the remote podinfo HelmRelease is unrenderable by name', { skip }, async () => {
  const root = C('flux2-kustomize-helm-example');
  const { apps } = await discoverApps(root);
  const staging = apps.find((a) => a.origin === 'flux-kustomization' && a.path === path.join(root, 'apps/staging'))!;
  const r = await renderApp(staging, tools);
  assert.equal(r.error, undefined);
  assert.deepEqual(r.objects.map((d) => `${d.object.kind}/${d.object.metadata.namespace ?? ''}/${d.object.metadata.name}`).sort(),
    ['HelmRelease/podinfo/podinfo', 'HelmRepository/podinfo/podinfo', 'Namespace//podinfo']);
  const release = find(r, 'HelmRelease', 'podinfo');
  const patch = path.join(root, 'apps/staging/podinfo-values.yaml');
  assert.deepEqual(release.fieldSources.get('/spec/values/httpRoute/hostnames/0'), { file: patch, line: lineOf(patch, '- podinfo.staging') }, 'the staging patch sets it');
  const base = path.join(root, 'apps/base/podinfo/release.yaml');
  assert.deepEqual(release.fieldSources.get('/spec/values/redis/tag'), { file: base, line: lineOf(base, 'tag:') });
  const k = path.join(root, 'apps/base/podinfo/kustomization.yaml');
  assert.deepEqual(release.fieldSources.get('/metadata/namespace'), { file: k, line: lineOf(k, 'namespace:') });

  const podinfo = apps.find((a) => a.origin === 'flux-helmrelease' && a.agentObject?.name === 'podinfo')!;
  const pr = await renderApp(podinfo, tools);
  assert.equal(pr.error, 'chart podinfo from HelmRepository podinfo is remote: not renderable offline');
  assert.deepEqual(pr.objects, []);
});

test('flux Kustomization spec.patches apply (staging vs production ACME server), mapped to the Kustomization', { skip }, async () => {
  const root = C('flux2-kustomize-helm-example');
  const { apps } = await discoverApps(root);
  for (const cluster of ['staging', 'production']) {
    const app = apps.find((a) => a.agentObject?.name === 'infra-configs' && a.definedAt?.file.includes(`clusters/${cluster}/`))!;
    assert.ok(app, `infra-configs of ${cluster}`);
    const r = await renderApp(app, tools);
    assert.equal(r.error, undefined);
    const issuer = find(r, 'ClusterIssuer', 'letsencrypt');
    const server = (issuer.object.spec as any).acme.server as string;
    assert.equal(server.includes('acme-staging'), cluster === 'staging', server);
    assert.equal(issuer.object.metadata.namespace, undefined, 'ClusterIssuer is cluster-scoped');
    assert.deepEqual(issuer.fieldSources.get('/spec/acme/server'), app.definedAt);
  }
});

test('every corpus app renders or reports a per-app reason; none throws', { skip }, async () => {
  for (const repo of ['argocd-example-apps', 'podinfo', 'flux2-kustomize-helm-example']) {
    const { apps } = await discoverApps(C(repo));
    const results = await Promise.all(apps.map((a) => renderApp(a, tools)));
    for (const r of results) {
      if (r.app.unrenderable) assert.equal(r.error, r.app.unrenderable);
      else assert.equal(r.error, undefined, `${repo}/${r.app.name}: ${r.error}`);
    }
  }
});
