// @kubernetes/client-node 1.x informers (list + watch) against the sandbox stay in sync through a
// dropped watch, a 410 Expired and a sandbox restart with --state. client-node's informer stops on
// any error but 410; restarting it with backoff is the caller's job, as here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { startSandbox, type Sandbox } from '../support/sandbox';

async function until(what: string, fn: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('client-node informer stays in sync through a dropped watch, a 410 and a restart with --state', async (t) => {
  const k8s = await import('@kubernetes/client-node');
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-informer-state-'));
  let sb: Sandbox = await startSandbox({ state });
  t.after(() => sb.stop());
  const port = sb.port;
  const ns = 'inf';
  const cm = (name: string, value: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { value } });
  const expectStatus = async (p: Promise<{ status: number; text: string }>, code: number) => { const r = await p; assert.equal(r.status, code, r.text); return r; };
  await expectStatus(sb.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }), 201);
  await expectStatus(sb.request('POST', `/api/v1/namespaces/${ns}/configmaps`, cm('a', '1')), 201);

  const kc = new k8s.KubeConfig();
  kc.loadFromFile(sb.kubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${ns}/configmaps`, () => core.listNamespacedConfigMap({ namespace: ns }));
  const errors: string[] = [];
  let stopped = false;
  let restarts = 0;
  informer.on('error', (err: unknown) => {
    errors.push(String((err as Error)?.message ?? err));
    if (stopped) return;
    restarts++;
    // Backoff, then start again (list + watch).
    setTimeout(() => { if (!stopped) informer.start().catch(() => { /* the error handler fires again */ }); }, Math.min(2000, 200 * restarts));
  });
  t.after(() => { stopped = true; void informer.stop(); });
  await informer.start();

  const cached = () => informer.list(ns).map((o) => `${o.metadata!.name}=${o.data?.value}`).sort().join(',');
  const live = async () => {
    const r = await sb.request('GET', `/api/v1/namespaces/${ns}/configmaps`);
    return (r.body.items as { metadata: { name: string }; data?: { value?: string } }[]).map((o) => `${o.metadata.name}=${o.data?.value}`).sort().join(',');
  };
  await until('initial list', () => cached() === 'a=1');

  // 1. The server drops every watch: the informer re-watches from its resourceVersion and misses nothing.
  await sb.fault({ dropWatches: true });
  await expectStatus(sb.request('POST', `/api/v1/namespaces/${ns}/configmaps`, cm('b', '1')), 201);
  await until('b after a dropped watch', () => cached() === 'a=1,b=1');

  // 2. The same, but with a reset connection (an error: the informer stops and we restart it).
  await sb.fault({ dropWatches: 'reset' });
  await expectStatus(sb.request('PATCH', `/api/v1/namespaces/${ns}/configmaps/b`, { data: { value: '2' } }, { contentType: 'application/merge-patch+json' }), 200);
  await until('b=2 after a reset watch', () => cached() === 'a=1,b=2');

  // 3. 410: every resourceVersion expires and watches drop; the resume gets 410 Expired and re-lists,
  // which also notices a delete that happened meanwhile.
  await sb.fault({ expireResourceVersions: true, dropWatches: true });
  await expectStatus(sb.request('DELETE', `/api/v1/namespaces/${ns}/configmaps/a`), 200);
  await expectStatus(sb.request('POST', `/api/v1/namespaces/${ns}/configmaps`, cm('c', '1')), 201);
  await until('after 410', () => cached() === 'b=2,c=1');
  assert.equal(cached(), await live());

  // 4. Restart the sandbox on the same state dir and port: objects survive, resourceVersions keep growing.
  const rvBefore = Number((await sb.request('GET', `/api/v1/namespaces/${ns}/configmaps`)).body.metadata.resourceVersion);
  await sb.stop();
  sb = await startSandbox({ state, port });
  const list = (await sb.request('GET', `/api/v1/namespaces/${ns}/configmaps`)).body;
  assert.equal(list.items.length, 2, 'objects persisted');
  assert.ok(Number(list.metadata.resourceVersion) >= rvBefore, 'resourceVersion counter survives a restart');
  const r = await expectStatus(sb.request('POST', `/api/v1/namespaces/${ns}/configmaps`, cm('d', '1')), 201);
  assert.ok(Number((r as any).body.metadata.resourceVersion) > rvBefore, 'new writes get newer resourceVersions');
  await expectStatus(sb.request('PATCH', `/api/v1/namespaces/${ns}/configmaps/c`, { data: { value: '3' } }, { contentType: 'application/merge-patch+json' }), 200);
  await until('in sync after restart', () => cached() === 'b=2,c=3,d=1', 30_000);
  assert.equal(cached(), await live());
  assert.ok(errors.length >= 1, 'the restart surfaced as an informer error that the caller handled');
});
