// Kubeconfig loading (client-node's and the CLI's lite reader) and restricted mode.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { loadKubeConfig, KubeConfigError } from '../../src/core/cluster/kubeconfig';
import { loadLiteKubeConfig } from '../../src/core/cluster/liteConfig';
import { collectionPath } from '../../src/core/cluster/discovery';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-kubeconfig-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const ca = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');

function kubeconfig(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, body);
  return file;
}

const main = kubeconfig('main', `apiVersion: v1
kind: Config
current-context: sandbox
clusters:
  - name: sb
    cluster: {server: "https://127.0.0.1:6443", certificate-authority-data: ${ca}}
  - name: other
    cluster: {server: "https://10.0.0.1:6443", insecure-skip-tls-verify: true}
users:
  - name: admin
    user: {token: abc123}
  - name: file-user
    user: {tokenFile: token.txt}
  - name: plugin
    user:
      exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/echo}
contexts:
  - name: sandbox
    context: {cluster: sb, user: admin, namespace: team-a}
  - name: by-file
    context: {cluster: other, user: file-user}
  - name: exec
    context: {cluster: sb, user: plugin}
`);
fs.writeFileSync(path.join(dir, 'token.txt'), 'from-file\n');

test('lite reader: token, CA data, namespace, token file, insecure; exec falls back', async () => {
  const lite = loadLiteKubeConfig({ kubeconfig: main })!;
  assert.equal(lite.context, 'sandbox');
  assert.equal(lite.server, 'https://127.0.0.1:6443');
  assert.equal(lite.namespace, 'team-a');
  const opts: Record<string, any> = {};
  await lite.kc.applyToHTTPSOptions(opts);
  assert.equal(opts.headers.Authorization, 'Bearer abc123');
  assert.equal(String(opts.ca), Buffer.from(ca, 'base64').toString());
  const byFile = loadLiteKubeConfig({ kubeconfig: main, context: 'by-file' })!;
  const o2: Record<string, any> = {};
  await byFile.kc.applyToHTTPSOptions(o2);
  assert.equal(o2.headers.Authorization, 'Bearer from-file');
  assert.equal(o2.rejectUnauthorized, false);
  assert.equal(loadLiteKubeConfig({ kubeconfig: main, context: 'exec' }), undefined, 'exec plugins need client-node');
  assert.equal(loadLiteKubeConfig({ kubeconfig: main, context: 'nope' }), undefined);
});

test('lite reader merges $KUBECONFIG files first-wins, like kubectl', () => {
  const second = kubeconfig('second', `apiVersion: v1
kind: Config
current-context: extra
clusters: [{name: x, cluster: {server: "https://x:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: extra, context: {cluster: x, user: u}}]
`);
  const saved = process.env.KUBECONFIG;
  process.env.KUBECONFIG = [main, second].join(path.delimiter);
  try {
    assert.equal(loadLiteKubeConfig({})!.context, 'sandbox', 'current-context from the first file');
    assert.equal(loadLiteKubeConfig({ context: 'extra' })!.server, 'https://x:1');
  } finally {
    if (saved === undefined) delete process.env.KUBECONFIG; else process.env.KUBECONFIG = saved;
  }
});

test('client-node loader: contexts, clear errors, restricted mode refuses exec plugins', () => {
  const loaded = loadKubeConfig({ kubeconfig: main });
  assert.equal(loaded.context, 'sandbox');
  assert.equal(loaded.namespace, 'team-a');
  assert.equal(loadKubeConfig({ kubeconfig: main, context: 'exec' }).context, 'exec', 'exec allowed when trusted');
  assert.throws(() => loadKubeConfig({ kubeconfig: main, context: 'exec', allowExec: false }), /exec plugin.*restricted/);
  assert.throws(() => loadKubeConfig({ kubeconfig: main, context: 'missing' }), (e: Error) => e instanceof KubeConfigError && /context 'missing' not found/.test(e.message));
  assert.throws(() => loadKubeConfig({ kubeconfig: path.join(dir, 'absent') }), /no kubeconfig/);
});

test('collection paths for core, grouped, namespaced and cluster-scoped kinds', () => {
  assert.equal(collectionPath({ apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true, verbs: [] }), '/api/v1/secrets');
  assert.equal(collectionPath({ apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true, verbs: [] }, 'demo'), '/apis/apps/v1/namespaces/demo/deployments');
  assert.equal(collectionPath({ apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, verbs: [] }, 'demo'), '/api/v1/namespaces');
});

test('discovery with builtinsKnown answers Kubernetes kinds from the table, without a request; others still ask the server', async () => {
  const { Discovery } = await import('../../src/core/cluster/discovery');
  let requests = 0;
  const kc = {
    getCurrentCluster: () => { requests++; return { server: 'https://127.0.0.1:1' }; },
    applyToHTTPSOptions: async () => {},
  } as unknown as import('../../src/core/cluster/liteConfig').ClusterAccess;
  const d = new Discovery(kc, { builtinsKnown: true });
  assert.deepEqual(await d.resolve('apps/v1', 'Deployment'), { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true, verbs: (await d.resolve('apps/v1', 'Deployment'))!.verbs });
  assert.equal((await d.resolve('v1', 'Namespace'))?.namespaced, false);
  assert.equal((await d.resolve('networking.k8s.io/v1', 'Ingress'))?.plural, 'ingresses');
  assert.equal(requests, 0, 'no request for built-in kinds');
  await assert.rejects(d.resolve('argoproj.io/v1alpha1', 'Application'), 'a custom kind goes to the (unreachable) server');
  assert.equal(requests, 1);
  d.dispose();
});
