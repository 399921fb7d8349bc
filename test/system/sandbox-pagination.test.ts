// LIST paging (limit/continue) of the real sandbox over HTTPS, as kube-apiserver does it, read by real
// kubectl (--chunk-size), client-node and our LiveCache: 1,200 ConfigMaps are more than a page; every
// page of a list comes from the state its first page saw; selectors filter before the limit counts;
// bad tokens get 400, expired ones 410 Expired (with a token for the rest); a 410 between pages makes
// LiveCache list again from the start and never keep a half list.
import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { Discovery } from '../../src/core/cluster/discovery';
import { LiveCache, type KindState } from '../../src/core/cluster/liveCache';
import { kindKeyOf } from '../../src/core/model';
import { startSandbox, type ApiResponse, type Sandbox } from '../support/sandbox';

/** Namespace -> ConfigMaps created in it (1,200 in all). */
const SPREAD: Record<string, number> = { 'pg-a': 500, 'pg-b': 400, 'pg-c': 300 };
const CREATED = Object.values(SPREAD).reduce((a, b) => a + b, 0);
const CM = '/api/v1/configmaps';
const cmName = (i: number) => `cm-${String(i).padStart(4, '0')}`;
const configMap = (ns: string, name: string, i: number) => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels: { shard: String(i % 3) } }, data: { index: String(i) },
});

const INCONSISTENT_CONTINUE = 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the '
  + 'continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token '
  + 'results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may '
  + 'show up in the list.';

type Item = { metadata: { name: string; namespace?: string; labels?: Record<string, string>; resourceVersion: string }; data?: Record<string, string> };
type ListBody = { metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number }; items: Item[] };

const keyOf = (o: Item) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** POST many objects over a few keep-alive connections (one TLS handshake each, not one per object). */
async function createMany(sb: Sandbox, objects: { path: string; body: object }[], concurrency = 8): Promise<void> {
  const agent = new https.Agent({ ca: sb.ca, keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const one = (o: { path: string; body: object }) => new Promise<void>((resolve, reject) => {
    const text = JSON.stringify(o.body);
    const req = https.request(`${sb.server}${o.path}`, {
      method: 'POST', agent, headers: { authorization: `Bearer ${sb.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
    }, (res) => {
      let out = '';
      res.on('data', (d) => { out += d; });
      res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`POST ${o.path}: ${res.statusCode} ${out}`))));
    });
    req.on('error', reject);
    req.end(text);
  });
  try {
    await Promise.all(Array.from({ length: concurrency }, async () => { while (next < objects.length) await one(objects[next++]); }));
  } finally {
    agent.destroy();
  }
}

describe('sandbox LIST paging (limit / continue)', () => {
  let sb: Sandbox;
  /** Every ConfigMap, from one unpaged list, in the server's order. */
  let allKeys: string[];

  const get = async (p: string, code = 200): Promise<ApiResponse> => {
    const r = await sb.request('GET', p);
    assert.equal(r.status, code, `GET ${p}: ${r.text.slice(0, 500)}`);
    return r;
  };
  const list = async (p: string): Promise<ListBody> => (await get(p)).body as ListBody;
  const withQuery = (p: string, q: Record<string, string>) => `${p}${p.includes('?') ? '&' : '?'}${new URLSearchParams(q)}`;
  /** Follow continue tokens to the end; every page as the server sent it. */
  const pages = async (p: string, limit: number): Promise<ListBody[]> => {
    const out: ListBody[] = [];
    let cont = '';
    do {
      const page = await list(withQuery(p, cont ? { limit: String(limit), continue: cont } : { limit: String(limit) }));
      out.push(page);
      cont = page.metadata.continue ?? '';
      assert.ok(out.length < 1000, 'paging never ends');
    } while (cont);
    return out;
  };
  const writeCm = async (method: string, p: string, body?: object, contentType?: string) => {
    const r = await sb.request(method, p, body, contentType ? { contentType } : {});
    assert.ok(r.status < 300, `${method} ${p}: ${r.status} ${r.text.slice(0, 300)}`);
  };

  before(async () => {
    sb = await startSandbox();
    const objects: { path: string; body: object }[] = [];
    for (const [ns, n] of Object.entries(SPREAD)) {
      await writeCm('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      for (let i = 0; i < n; i++) objects.push({ path: `/api/v1/namespaces/${ns}/configmaps`, body: configMap(ns, cmName(i), i) });
    }
    const t0 = Date.now();
    await createMany(sb, objects);
    console.log(`created ${objects.length} ConfigMaps in ${Date.now() - t0} ms`);
    const whole = await list(CM);
    assert.equal(whole.metadata.continue, undefined, 'no limit: no paging');
    allKeys = whole.items.map(keyOf);
    assert.equal(new Set(allKeys).size, allKeys.length);
    assert.ok(allKeys.length >= CREATED, `${allKeys.length} ConfigMaps listed, ${CREATED} created`);
  });
  after(async () => { await sb?.stop(); });

  test('limit pages a list: at most limit items, continue and remainingItemCount, one resourceVersion, every object once', async () => {
    const got = await pages(CM, 500);
    assert.equal(got.length, Math.ceil(allKeys.length / 500));
    got.forEach((page, i) => {
      const last = i === got.length - 1;
      assert.equal(page.items.length, last ? allKeys.length - 500 * i : 500, `page ${i + 1} size`);
      assert.equal(typeof page.metadata.continue, last ? 'undefined' : 'string', `page ${i + 1} continue`);
      assert.equal(page.metadata.remainingItemCount, last ? undefined : allKeys.length - 500 * (i + 1), `page ${i + 1} remainingItemCount`);
      assert.equal(page.metadata.resourceVersion, got[0].metadata.resourceVersion, 'every page carries the first page\'s resourceVersion');
    });
    assert.deepEqual(got.flatMap((p) => p.items.map(keyOf)), allKeys, 'the pages together are the unpaged list, in its order');

    // One namespace, and a cluster-scoped kind.
    const inA = await pages('/api/v1/namespaces/pg-a/configmaps', 200);
    assert.deepEqual(inA.map((p) => p.items.length), [200, 200, 100]);
    assert.deepEqual(inA.map((p) => p.metadata.remainingItemCount), [300, 100, undefined]);
    assert.deepEqual(inA.flatMap((p) => p.items.map(keyOf)), allKeys.filter((k) => k.startsWith('pg-a/')));
    const namespaces = (await list('/api/v1/namespaces')).items.map(keyOf);
    const nsPages = await pages('/api/v1/namespaces', 2);
    assert.equal(nsPages.length, Math.ceil(namespaces.length / 2));
    assert.deepEqual(nsPages.flatMap((p) => p.items.map(keyOf)), namespaces);
    // A limit larger than the list: one page, no token.
    const one = await list(withQuery(CM, { limit: '100000' }));
    assert.equal(one.items.length, allKeys.length);
    assert.equal(one.metadata.continue, undefined);
  });

  test('every page comes from the state the first page saw; a new list sees the changes', async () => {
    const ns = 'pg-b';
    const p = `/api/v1/namespaces/${ns}/configmaps`;
    const first = await list(withQuery(p, { limit: '150' }));
    assert.equal(first.items.at(-1)!.metadata.name, cmName(149));
    // After the first page: delete an object of a later page, change another, add one that sorts last.
    await writeCm('DELETE', `${p}/${cmName(399)}`);
    await writeCm('PATCH', `${p}/${cmName(300)}`, { data: { index: 'changed' } }, 'application/merge-patch+json');
    await writeCm('POST', p, configMap(ns, 'cm-zzzz', 0));
    const rest: ListBody[] = [];
    let cont = first.metadata.continue!;
    while (cont) {
      const page = await list(withQuery(p, { limit: '150', continue: cont }));
      assert.equal(page.metadata.resourceVersion, first.metadata.resourceVersion);
      rest.push(page);
      cont = page.metadata.continue ?? '';
    }
    const names = [...first.items, ...rest.flatMap((r) => r.items)].map((o) => o.metadata.name);
    assert.equal(names.length, 400, 'the deleted object is still in the list, the new one is not');
    assert.ok(names.includes(cmName(399)) && !names.includes('cm-zzzz'));
    assert.equal(rest.flatMap((r) => r.items).find((o) => o.metadata.name === cmName(300))!.data!.index, '300', 'the version of the first page\'s state');

    const fresh = await pages(p, 150);
    const freshItems = fresh.flatMap((r) => r.items);
    assert.ok(Number(fresh[0].metadata.resourceVersion) > Number(first.metadata.resourceVersion));
    assert.equal(freshItems.length, 400);
    assert.ok(!freshItems.some((o) => o.metadata.name === cmName(399)) && freshItems.some((o) => o.metadata.name === 'cm-zzzz'));
    assert.equal(freshItems.find((o) => o.metadata.name === cmName(300))!.data!.index, 'changed');
    // Put pg-b back as the other tests expect it.
    await writeCm('DELETE', `${p}/cm-zzzz`);
    await writeCm('POST', p, configMap(ns, cmName(399), 399));
    await writeCm('PATCH', `${p}/${cmName(300)}`, { data: { index: '300' } }, 'application/merge-patch+json');
  });

  test('label and field selectors filter before paging; no remainingItemCount with a selector', async () => {
    const shard1 = await pages(withQuery(CM, { labelSelector: 'shard=1' }), 100);
    const items = shard1.flatMap((p) => p.items);
    assert.equal(items.length, Object.values(SPREAD).reduce((n, c) => n + Math.floor((c + 1) / 3), 0));
    assert.ok(items.every((o) => o.metadata.labels?.shard === '1'));
    assert.ok(shard1.slice(0, -1).every((p) => p.items.length === 100), 'full pages of matching objects');
    assert.ok(shard1.every((p) => p.metadata.remainingItemCount === undefined));
    assert.ok(shard1.every((p) => p.metadata.resourceVersion === shard1[0].metadata.resourceVersion));
    assert.equal(new Set(items.map(keyOf)).size, items.length);

    const inC = await pages(withQuery(CM, { fieldSelector: 'metadata.namespace=pg-c' }), 128);
    assert.deepEqual(inC.flatMap((p) => p.items.map(keyOf)), allKeys.filter((k) => k.startsWith('pg-c/')));
    const none = await list(withQuery(CM, { labelSelector: 'shard=9', limit: '10' }));
    assert.deepEqual([none.items.length, none.metadata.continue], [0, undefined]);
  });

  test('resourceVersion with limit: 0 is served whole (watch cache), N exactly at N, NotOlderThan at the latest', async () => {
    const any = await list(withQuery(CM, { limit: '10', resourceVersion: '0' }));
    assert.equal(any.items.length, allKeys.length, 'resourceVersion=0 ignores limit');
    assert.equal(any.metadata.continue, undefined);
    const anyNot = await list(withQuery(CM, { limit: '10', resourceVersion: '0', resourceVersionMatch: 'NotOlderThan' }));
    assert.equal(anyNot.items.length, allKeys.length);

    const rv = any.metadata.resourceVersion;
    const exact = await list(withQuery(CM, { limit: '10', resourceVersion: rv }));
    assert.deepEqual([exact.items.length, exact.metadata.resourceVersion, typeof exact.metadata.continue], [10, rv, 'string']);
    const next = await list(withQuery(CM, { limit: '10', continue: exact.metadata.continue!, resourceVersion: '0' }));
    assert.deepEqual(next.items.map(keyOf), allKeys.slice(10, 20), 'continue with resourceVersion=0: the token decides');

    await writeCm('PATCH', `/api/v1/namespaces/pg-a/configmaps/${cmName(0)}`, { data: { index: 'x' } }, 'application/merge-patch+json');
    const newer = await list(withQuery(CM, { limit: '10', resourceVersion: rv, resourceVersionMatch: 'NotOlderThan' }));
    assert.ok(Number(newer.metadata.resourceVersion) > Number(rv), 'NotOlderThan: the latest state');
    // Exact at a resourceVersion whose list state was kept (the pages above) still works; one never listed is gone.
    assert.equal((await list(withQuery(CM, { limit: '5', resourceVersion: rv, resourceVersionMatch: 'Exact' }))).metadata.resourceVersion, rv);
    const old = String(Number(rv) - 1);
    const gone = (await get(withQuery(CM, { limit: '10', resourceVersion: old }), 410)).body;
    assert.deepEqual([gone.reason, gone.code, gone.message], ['Expired', 410, 'The resourceVersion for the provided list is too old.']);
    const future = (await get(withQuery(CM, { limit: '10', resourceVersion: String(Number(newer.metadata.resourceVersion) + 1000) }), 504)).body;
    assert.match(future.message, /^Too large resource version: \d+, current: \d+$/);
    await writeCm('PATCH', `/api/v1/namespaces/pg-a/configmaps/${cmName(0)}`, { data: { index: '0' } }, 'application/merge-patch+json');

    const invalid = (await get(withQuery(CM, { resourceVersionMatch: 'Exact' }), 422)).body;
    assert.equal(invalid.message, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
    assert.match((await get(withQuery(CM, { resourceVersionMatch: 'Exact', resourceVersion: '0' }), 422)).body.message, /"exact" is forbidden for resourceVersion "0"/);
    const both = (await get(withQuery(CM, { limit: '10', continue: exact.metadata.continue!, resourceVersion: rv }), 400)).body;
    assert.equal(both.message, 'specifying resource version is not allowed when using continue');
    assert.equal((await get(withQuery(CM, { limit: 'ten' }), 400)).body.reason, 'BadRequest');
  });

  test('invalid continue tokens get 400 BadRequest', async () => {
    const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
    const tokens = {
      'not base64': 'not a token!',
      'not JSON': b64('{"v":'),
      'unknown version': b64({ v: 'meta.k8s.io/v2', rv: 5, start: 'a\u0000' }),
      'resourceVersion 0': b64({ v: 'meta.k8s.io/v1', rv: 0, start: 'a\u0000' }),
      'empty start': b64({ v: 'meta.k8s.io/v1', rv: 5, start: '' }),
      'start out of scope': b64({ v: 'meta.k8s.io/v1', rv: 5, start: '../secrets/x\u0000' }),
    };
    for (const [what, token] of Object.entries(tokens)) {
      const r = await get(withQuery(CM, { limit: '10', continue: token }), 400);
      assert.equal(r.body.reason, 'BadRequest', what);
      assert.match(r.body.message, /^invalid continue token: continue key is not valid: /, what);
    }
  });

  test('an expired continue token gets 410 Expired with a token that finishes the list from the latest state', async () => {
    const p = '/api/v1/namespaces/pg-c/configmaps';
    // 1. Compaction (the expire fault) ends every list state: the next page is 410.
    const first = await list(withQuery(p, { limit: '100' }));
    await sb.fault({ expireResourceVersions: true });
    const r = await get(withQuery(p, { limit: '100', continue: first.metadata.continue! }), 410);
    assert.equal(r.body.kind, 'Status');
    assert.equal(r.body.status, 'Failure');
    assert.equal(r.body.reason, 'Expired');
    assert.equal(r.body.code, 410);
    assert.equal(r.body.message, INCONSISTENT_CONTINUE);
    assert.equal(typeof r.body.metadata.continue, 'string');
    // That token goes on after the same key, at the latest resourceVersion (an inconsistent but complete rest).
    await writeCm('POST', p, configMap('pg-c', 'cm-zzzz', 0));
    const rest = await list(withQuery(p, { limit: '1000', continue: r.body.metadata.continue }));
    assert.ok(Number(rest.metadata.resourceVersion) > Number(first.metadata.resourceVersion));
    assert.deepEqual(rest.items.map((o) => o.metadata.name), [...Array.from({ length: 200 }, (_, i) => cmName(100 + i)), 'cm-zzzz']);
    await writeCm('DELETE', `${p}/cm-zzzz`);

    // 2. List states are kept for a bounded number of lists: one from long ago (the bucket changed since) is gone.
    const old = await list(withQuery(p, { limit: '100' }));
    for (let i = 0; i < 40; i++) {
      await writeCm('PATCH', `${p}/${cmName(0)}`, { data: { index: String(i) } }, 'application/merge-patch+json');
      await list(withQuery(CM, { limit: '1' }));
    }
    assert.equal((await get(withQuery(p, { limit: '100', continue: old.metadata.continue! }), 410)).body.reason, 'Expired');
    await writeCm('PATCH', `${p}/${cmName(0)}`, { data: { index: '0' } }, 'application/merge-patch+json');
    // ...but while ConfigMaps have not changed since a token's list, the token goes on even when its
    // kept state was pushed out (by 40 lists of namespaces, each after a namespace write).
    const unchanged = await list(withQuery(p, { limit: '100' }));
    for (let i = 0; i < 40; i++) {
      await writeCm('PATCH', '/api/v1/namespaces/pg-c', { metadata: { labels: { round: String(i) } } }, 'application/merge-patch+json');
      await list(withQuery('/api/v1/namespaces', { limit: '1' }));
    }
    const resumed = await list(withQuery(p, { limit: '100', continue: unchanged.metadata.continue! }));
    assert.equal(resumed.metadata.resourceVersion, unchanged.metadata.resourceVersion);
    assert.equal(resumed.items[0].metadata.name, cmName(100));

    // 3. The fault for tests: the next n continues answer 410, then paging works again.
    const again = await list(withQuery(p, { limit: '100' }));
    await sb.fault({ expireContinueTokens: 1 });
    await get(withQuery(p, { limit: '100', continue: again.metadata.continue! }), 410);
    assert.equal((await list(withQuery(p, { limit: '100', continue: again.metadata.continue! }))).items.length, 100);
  });

  test('kubectl get --chunk-size pages through every object', () => {
    const names = sb.kubectl(['get', 'cm', '-A', '--chunk-size=100', '-o', 'name']);
    assert.equal(names.status, 0, names.stderr);
    assert.equal(names.stdout.trim().split('\n').length, allKeys.length);
    assert.equal(new Set(names.stdout.trim().split('\n')).size, new Set(allKeys.map((k) => k.split('/')[1])).size);
    // The default table output (chunk size 500) and a selector with small chunks.
    const table = sb.kubectl(['get', 'cm', '-A', '--no-headers']);
    assert.equal(table.status, 0, table.stderr);
    assert.equal(table.stdout.trim().split('\n').length, allKeys.length);
    const shard2 = sb.kubectl(['get', 'cm', '-n', 'pg-a', '-l', 'shard=2', '--chunk-size=7', '-o', 'name']);
    assert.equal(shard2.status, 0, shard2.stderr);
    assert.equal(shard2.stdout.trim().split('\n').length, Math.floor(SPREAD['pg-a'] / 3));
  });

  test('client-node pages with limit and _continue and sees every object', async () => {
    const k8s = await import('@kubernetes/client-node');
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(sb.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const seen: string[] = [];
    const versions = new Set<string>();
    let cont: string | undefined;
    let calls = 0;
    do {
      const page = await core.listConfigMapForAllNamespaces({ limit: 250, _continue: cont });
      calls++;
      for (const o of page.items) seen.push(`${o.metadata!.namespace}/${o.metadata!.name}`);
      versions.add(page.metadata!.resourceVersion!);
      cont = page.metadata!._continue || undefined;
    } while (cont);
    assert.equal(calls, Math.ceil(allKeys.length / 250));
    assert.deepEqual(seen, allKeys);
    assert.equal(versions.size, 1);
  });

  describe('LiveCache', () => {
    const KIND = kindKeyOf('v1', 'ConfigMap');
    const caches: LiveCache[] = [];
    after(() => { for (const c of caches) c.dispose(); });

    const liveCache = async (watch: boolean, log: string[]) => {
      const k8s = await import('@kubernetes/client-node');
      const kc: KubeConfig = new k8s.KubeConfig();
      kc.loadFromFile(sb.kubeconfig);
      const cache = new LiveCache({ kc, discovery: new Discovery(kc), watch, firstListFromCache: false, minBackoffMs: 100, maxBackoffMs: 200, log: (l) => log.push(l) });
      caches.push(cache);
      return cache;
    };
    const keys = (cache: LiveCache) => [...cache.objectsOf(KIND)].map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort();
    const sortedAll = () => [...allKeys].sort();

    test('lists every object across pages', async () => {
      const log: string[] = [];
      const cache = await liveCache(false, log);
      await cache.ensureKinds([{ apiVersion: 'v1', kind: 'ConfigMap' }]);
      assert.equal(cache.kindState(KIND)?.state, 'synced', log.join('\n'));
      assert.deepEqual(keys(cache), sortedAll());
      assert.deepEqual(log, []);
    });

    test('by default the first list is one request from the watch cache (resourceVersion=0), never a continue', async () => {
      const log: string[] = [];
      const k8s = await import('@kubernetes/client-node');
      const kc: KubeConfig = new k8s.KubeConfig();
      kc.loadFromFile(sb.kubeconfig);
      const cache = new LiveCache({ kc, discovery: new Discovery(kc), watch: false, log: (l) => log.push(l) });
      caches.push(cache);
      // A continue would meet this 410 and leave a log line; the whole list comes in one page instead.
      await sb.fault({ expireContinueTokens: 1 });
      await cache.ensureKinds([{ apiVersion: 'v1', kind: 'ConfigMap' }]);
      assert.equal(cache.kindState(KIND)?.state, 'synced', log.join('\n'));
      assert.deepEqual(keys(cache), sortedAll());
      assert.deepEqual(log, []);
      // The fault is still pending: no continue was sent. (This request uses it up.)
      const page = await list(withQuery('/api/v1/configmaps', { limit: '100' }));
      await get(withQuery('/api/v1/configmaps', { limit: '100', continue: page.metadata.continue! }), 410);
    });

    test('a 410 between pages: the list starts over from the first page and ends with exactly every object', async () => {
      const log: string[] = [];
      const cache = await liveCache(false, log);
      await sb.fault({ expireContinueTokens: 1 });
      await cache.ensureKinds([{ apiVersion: 'v1', kind: 'ConfigMap' }]);
      assert.equal(cache.kindState(KIND)?.state, 'synced', log.join('\n'));
      assert.deepEqual(keys(cache), sortedAll());
      assert.equal(log.length, 1, log.join('\n'));
      assert.match(log[0], /ConfigMap \(v1\): the list expired after 500 objects \(410\); listing again from the start/);
    });

    test('a 410 again after starting over fails the list without keeping a half list; one-shot: reported, not retried', async () => {
      const log: string[] = [];
      const cache = await liveCache(false, log);
      await sb.fault({ expireContinueTokens: 2 });
      await cache.ensureKinds([{ apiVersion: 'v1', kind: 'ConfigMap' }]);
      const state = cache.kindState(KIND)!;
      assert.equal(state.state, 'error');
      assert.match(state.message!, /410 The provided continue parameter is too old/);
      assert.equal([...cache.objectsOf(KIND)].length, 0, 'no half list');
    });

    test('watching: a relist that meets two 410s keeps the previous full list (stale), then backs off and relists all', async () => {
      const log: string[] = [];
      const cache = await liveCache(true, log);
      const seen: { state: KindState; count: number; message?: string }[] = [];
      let onSynced: (() => void) | undefined;
      cache.onEvent((e) => {
        if (e.type !== 'STATE') return;
        const { state, message } = cache.kindState(KIND)!;
        seen.push({ state, count: [...cache.objectsOf(KIND)].length, message });
        if (state === 'synced') onSynced?.();
      });
      await cache.ensureKinds([{ apiVersion: 'v1', kind: 'ConfigMap' }]);
      assert.deepEqual(keys(cache), sortedAll());
      seen.length = 0;
      const resynced = new Promise<void>((resolve) => { onSynced = resolve; });
      // Watch resumes get 410 (relist), and that relist's continues get 410 twice.
      await sb.fault({ expireContinueTokens: 2 });
      await sb.fault({ expireResourceVersions: true, dropWatches: true });
      await Promise.race([resynced, sleep(15_000, undefined, { ref: false }).then(() => {
        throw new Error(`not synced again within 15 s: ${JSON.stringify(seen)}\n${log.join('\n')}`);
      })]);
      const failed = seen.find((s) => /410 The provided continue parameter/.test(s.message ?? ''));
      assert.ok(failed, `a failed relist was reported: ${JSON.stringify(seen)}`);
      assert.equal(failed.state, 'stale');
      assert.ok(seen.every((s) => s.count === allKeys.length), `never a half list: ${JSON.stringify(seen.map((s) => [s.state, s.count]))}`);
      assert.deepEqual(keys(cache), sortedAll());
      assert.ok(log.some((l) => /listing again from the start/.test(l)), log.join('\n'));
    });
  });
});
