// Flux valuesFrom sources that are not in Git (made by hand, by bootstrap tooling, by sealed-secrets): with a
// cluster connected the engine reads them from it, as helm-controller does, and says so; without read
// access (RBAC) the app says why it cannot render instead of rendering other values. Real sandbox + helm.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Engine } from '../../src/core/engine';
import { startSandbox, type Sandbox } from '../support/sandbox';
import { helmPath, kubectlPath, projectRoot } from '../support/tools';

let sb: Sandbox;
let root: string;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-valuesfrom-cluster-'));
  fs.cpSync(path.join(projectRoot, 'test/fixtures/manifests/values-chart'), path.join(root, 'charts/web'), { recursive: true });
  fs.mkdirSync(path.join(root, 'releases'));
  fs.writeFileSync(path.join(root, 'releases', 'release.yaml'), `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
  namespace: shop
spec:
  chart:
    spec:
      chart: ./charts/web
      sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
  valuesFrom:
    - kind: ConfigMap
      name: web-cluster-values
    - kind: Secret
      name: web-db
      valuesKey: db.yaml
  values:
    logLevel: debug
`);
  sb = await startSandbox({ agent: false });
  sb.kubectl(['create', 'namespace', 'shop']);
  sb.kubectl(['apply', '-f', '-'], { input: `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-cluster-values
  namespace: shop
data:
  values.yaml: |
    replicaCount: 5
---
apiVersion: v1
kind: Secret
metadata:
  name: web-db
  namespace: shop
stringData:
  db.yaml: |
    db:
      password: only-in-the-cluster-4711
` });
});

after(async () => {
  await sb?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

async function webApp(kubeconfig: string) {
  const engine = Engine.create({ root, kubeconfig, helmPath: helmPath(), kubectlPath: kubectlPath(), watch: false, trusted: true });
  try {
    await engine.start();
    const app = engine.report().apps.find((a) => a.name === 'web');
    assert.ok(app, `apps: ${engine.report().apps.map((a) => a.name).join(', ')}`);
    const deployment = engine.desired({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web-web' });
    const secret = engine.desired({ apiVersion: 'v1', kind: 'Secret', namespace: 'shop', name: 'web-db' });
    return { app, deployment, secret, report: JSON.stringify(engine.report()) };
  } finally {
    engine.dispose();
  }
}

test('sources only the cluster has are read from it, with a note; spec.values still wins', async () => {
  const { app, deployment, secret } = await webApp(sb.kubeconfig);
  assert.equal(app.error, undefined, app.error);
  assert.deepEqual(app.notes, [
    'valuesFrom[0]: ConfigMap shop/web-cluster-values: not in Git, read from the cluster',
    'valuesFrom[1]: Secret shop/web-db: not in Git, read from the cluster',
  ]);
  assert.equal((deployment?.object.spec as { replicas: number }).replicas, 5, 'replicaCount from the cluster ConfigMap');
  assert.equal(Buffer.from(String((secret?.object.data as Record<string, string>).password), 'base64').toString(), 'only-in-the-cluster-4711');
  const args = JSON.stringify((deployment?.object.spec as any).template.spec.containers[0]);
  assert.match(args, /debug/, 'spec.values logLevel over the chart default');
  assert.equal(deployment?.fieldSources.get('/spec/replicas')?.file, path.join(root, 'releases', 'release.yaml'), 'a value from the cluster points at the HelmRelease');
});

test('a source the user may not read (RBAC) is a clear error for that app, and the Secret never shows', async () => {
  const { app, report } = await webApp(sb.readonlyKubeconfig());
  assert.match(app.error ?? '', /valuesFrom\[1\]: Secret shop\/web-db: not in Git, and reading it from the cluster is forbidden \(RBAC\)/);
  assert.equal(app.sync, 'Unknown');
  assert.ok(!report.includes('only-in-the-cluster-4711'), 'the Secret value appears nowhere in the report');
});

test('without a cluster, a missing source is an error that says where it was looked for', async () => {
  const { app } = await webApp(path.join(root, 'no-kubeconfig'));
  assert.match(app.error ?? '', /valuesFrom\[0\]: ConfigMap shop\/web-cluster-values: not found in Git; it is not optional/);
});
