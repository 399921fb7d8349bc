// The sandbox's REST surface over HTTPS, request by request: discovery, OpenAPI, bookkeeping, patches,
// server-side apply, subresources, CRDs, watch (resume, bookmarks, 410), auth and fault injection.
import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import { startSandbox, type Sandbox } from '../support/sandbox';

const deploy = (name: string, replicas = 2) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'api', labels: { app: name } },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } } },
});

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com', scope: 'Namespaced',
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget', shortNames: ['wd'], categories: ['all'] },
    versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {}, scale: { specReplicasPath: '.spec.size', statusReplicasPath: '.status.size' } },
      schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
};

/** Open a watch and collect its lines until closed. */
function openWatch(sb: Sandbox, path: string): Promise<{ events: any[]; ended: Promise<void>; close(): void; status: number }> {
  return new Promise((resolve, reject) => {
    const events: any[] = [];
    let endResolve!: () => void;
    const ended = new Promise<void>((r) => { endResolve = r; });
    const req = https.get(`${sb.server}${path}`, { ca: sb.ca, headers: { authorization: `Bearer ${sb.token}`, accept: '*/*' } }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) { const line = buf.slice(0, i); buf = buf.slice(i + 1); if (line.trim()) events.push(JSON.parse(line)); }
      });
      res.on('end', () => endResolve());
      res.on('close', () => endResolve());
      resolve({ events, ended, close: () => req.destroy(), status: res.statusCode ?? 0 });
    });
    req.on('error', (e) => { endResolve(); if (!events.length) reject(e); });
  });
}

async function until(what: string, fn: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('sandbox REST API', () => {
  let sb: Sandbox;
  const req = (m: string, p: string, b?: unknown, ct?: string) => sb.request(m, p, b, ct ? { contentType: ct } : {});
  const D = '/apis/apps/v1/namespaces/api/deployments';

  before(async () => {
    sb = await startSandbox();
    assert.equal((await req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'api' } })).status, 201);
  });
  after(async () => { await sb?.stop(); });

  test('/version, health, /openapi/v2 404', async () => {
    const v = (await req('GET', '/version')).body;
    for (const k of ['major', 'minor', 'gitVersion', 'gitCommit', 'gitTreeState', 'buildDate', 'goVersion', 'compiler', 'platform']) assert.ok(k in v, k);
    assert.ok(Number(v.minor) >= 29 && Number(v.minor) <= 33);
    for (const p of ['/healthz', '/readyz', '/livez']) assert.equal((await sb.request('GET', p, undefined, { token: 'nope' })).status, 200);
    assert.equal((await req('GET', '/openapi/v2')).status, 404);
  });

  test('discovery: groups, resources with shortNames/categories, subresources after their resource', async () => {
    assert.deepEqual((await req('GET', '/api')).body.versions, ['v1']);
    const groups = (await req('GET', '/apis')).body.groups.map((g: any) => g.name);
    for (const g of ['apps', 'batch', 'networking.k8s.io', 'rbac.authorization.k8s.io', 'apiextensions.k8s.io']) assert.ok(groups.includes(g), g);
    const apps = (await req('GET', '/apis/apps/v1')).body;
    const names = apps.resources.map((r: any) => r.name);
    assert.ok(names.indexOf('deployments') < names.indexOf('deployments/scale'));
    const d = apps.resources.find((r: any) => r.name === 'deployments');
    assert.deepEqual(d.shortNames, ['deploy']);
    assert.ok(d.categories.includes('all'));
    const scale = apps.resources.find((r: any) => r.name === 'deployments/scale');
    assert.deepEqual([scale.group, scale.version, scale.kind], ['autoscaling', 'v1', 'Scale']);
    const core = (await req('GET', '/api/v1')).body.resources.map((r: any) => r.name);
    for (const r of ['namespaces', 'configmaps', 'secrets', 'services', 'serviceaccounts', 'persistentvolumeclaims']) assert.ok(core.includes(r), r);
  });

  test('OpenAPI v3: index and per group-version paths with x-kubernetes-group-version-kind', async () => {
    const root = (await req('GET', '/openapi/v3')).body;
    assert.match(root.paths['apis/apps/v1'].serverRelativeURL, /^\/openapi\/v3\/apis\/apps\/v1\?hash=/);
    const doc = (await req('GET', root.paths['apis/apps/v1'].serverRelativeURL)).body;
    const item = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
    assert.deepEqual(item.patch['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
    assert.ok(item.patch.parameters.some((p: any) => p.name === 'fieldValidation'));
  });

  test('create: bookkeeping, 409 AlreadyExists, namespace must exist, 404 Status', async () => {
    const r = await req('POST', D, deploy('a'));
    assert.equal(r.status, 201, r.text);
    const m = r.body.metadata;
    assert.equal(m.generation, 1);
    assert.match(m.uid, /^[0-9a-f-]{36}$/);
    assert.match(m.creationTimestamp, /Z$/);
    assert.match(m.resourceVersion, /^\d+$/);
    const dup = await req('POST', D, deploy('a'));
    assert.equal(dup.status, 409);
    assert.equal(dup.body.reason, 'AlreadyExists');
    assert.equal(dup.body.message, 'deployments.apps "a" already exists');
    const nons = await req('POST', '/apis/apps/v1/namespaces/missing/deployments', { ...deploy('a'), metadata: { name: 'a', namespace: 'missing' } });
    assert.equal(nons.status, 404);
    assert.equal(nons.body.message, 'namespaces "missing" not found');
    const nf = await req('GET', `${D}/nope`);
    assert.deepEqual({ ...nf.body }, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'deployments.apps "nope" not found', reason: 'NotFound', details: { name: 'nope', group: 'apps', kind: 'deployments' }, code: 404 });
  });

  test('validation: 422 Invalid with causes for a bad name, a selector that misses its template, no containers', async () => {
    const bad = await req('POST', D, { ...deploy('Bad_Name') });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.reason, 'Invalid');
    assert.match(bad.body.message, /^Deployment\.apps "Bad_Name" is invalid: metadata\.name: Invalid value/);
    const d = deploy('mismatch');
    d.spec.template.metadata.labels = { app: 'other' };
    const mm = await req('POST', D, d);
    assert.equal(mm.status, 422);
    assert.deepEqual(mm.body.details.causes.map((c: any) => c.field), ['spec.template.metadata.labels']);
    const empty = deploy('empty');
    (empty.spec.template.spec as any).containers = [];
    assert.equal((await req('POST', D, empty)).status, 422);
    assert.equal((await req('GET', `${D}/mismatch`)).status, 404, 'nothing stored');
  });

  test('resourceVersion moves only on a real change; generation only on spec; status writes keep generation', async () => {
    const live = (await req('GET', `${D}/a`)).body;
    const same = await req('PATCH', `${D}/a`, { metadata: { labels: { app: 'a' } } }, 'application/merge-patch+json');
    assert.equal(same.body.metadata.resourceVersion, live.metadata.resourceVersion, 'no-op patch');
    const labelled = await req('PATCH', `${D}/a`, { metadata: { labels: { x: 'y' } } }, 'application/merge-patch+json');
    assert.ok(Number(labelled.body.metadata.resourceVersion) > Number(live.metadata.resourceVersion));
    assert.equal(labelled.body.metadata.generation, 1, 'labels do not bump generation');
    const spec = await req('PATCH', `${D}/a`, { spec: { replicas: 3 } }, 'application/merge-patch+json');
    assert.equal(spec.body.metadata.generation, 2);
    const ignored = await req('PATCH', `${D}/a`, { status: { replicas: 42 } }, 'application/merge-patch+json');
    assert.notEqual(ignored.body.status?.replicas, 42, 'the main resource ignores status');
    await sb.fault({ simulator: false });
    try {
      const st = await req('PATCH', `${D}/a/status`, { status: { replicas: 42 } }, 'application/merge-patch+json');
      assert.equal(st.status, 200, st.text);
      assert.equal(st.body.status.replicas, 42);
      assert.equal(st.body.metadata.generation, 2, 'status writes do not bump generation');
    } finally { await sb.fault({ simulator: true }); }
    const stale = await req('PUT', `${D}/a`, { ...deploy('a'), metadata: { ...deploy('a').metadata, resourceVersion: '1' } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.reason, 'Conflict');
  });

  test('scale subresource: Scale object, writes bump generation', async () => {
    const s = (await req('GET', `${D}/a/scale`)).body;
    assert.equal(s.kind, 'Scale');
    assert.equal(s.apiVersion, 'autoscaling/v1');
    assert.equal(s.status.selector, 'app=a');
    const w = await req('PATCH', `${D}/a/scale`, { spec: { replicas: 6 } }, 'application/merge-patch+json');
    assert.equal(w.body.spec.replicas, 6);
    const d = (await req('GET', `${D}/a`)).body;
    assert.equal(d.spec.replicas, 6);
    assert.equal(d.metadata.generation, 3);
  });

  test('managedFields: manager from fieldManager, else the User-Agent; a patch via json-patch test failure is 422', async () => {
    await req('PATCH', `${D}/a?fieldManager=my-tool`, { spec: { paused: false } }, 'application/merge-patch+json');
    const d = (await req('GET', `${D}/a`)).body;
    assert.ok(d.metadata.managedFields.some((m: any) => m.manager === 'my-tool' && m.operation === 'Update'));
    const bad = await req('PATCH', `${D}/a`, [{ op: 'test', path: '/spec/replicas', value: 99 }], 'application/json-patch+json');
    assert.equal(bad.status, 422);
  });

  test('server-side apply: fieldManager required, create 201, conflict 409 with causes, force', async () => {
    const body = JSON.stringify(deploy('ssa', 2));
    const noManager = await req('PATCH', `${D}/ssa`, body, 'application/apply-patch+yaml');
    assert.equal(noManager.status, 422);
    const created = await req('PATCH', `${D}/ssa?fieldManager=alpha`, body, 'application/apply-patch+yaml');
    assert.equal(created.status, 201, created.text);
    const other = JSON.stringify({ ...deploy('ssa', 5) });
    const c = await req('PATCH', `${D}/ssa?fieldManager=beta`, other, 'application/apply-patch+yaml');
    assert.equal(c.status, 409);
    assert.equal(c.body.reason, 'Conflict');
    assert.deepEqual(c.body.details.causes.map((x: any) => [x.reason, x.field]), [['FieldManagerConflict', '.spec.replicas']]);
    assert.match(c.body.message, /conflict with "alpha"/);
    const forced = await req('PATCH', `${D}/ssa?fieldManager=beta&force=true`, other, 'application/apply-patch+yaml');
    assert.equal(forced.status, 200);
    assert.equal(forced.body.spec.replicas, 5);
    const yaml = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ssa\n  namespace: api\nspec:\n  replicas: 5\n';
    assert.equal((await req('PATCH', `${D}/ssa?fieldManager=beta`, yaml, 'application/apply-patch+yaml')).status, 200, 'YAML body');
  });

  test('dryRun=All runs everything, stores nothing, bumps nothing, emits nothing', async () => {
    const rv = (await req('GET', D)).body.metadata.resourceVersion;
    const w = await openWatch(sb, `${D}?watch=true&resourceVersion=${rv}`);
    const created = await req('POST', `${D}?dryRun=All`, deploy('dry'));
    assert.equal(created.status, 201);
    assert.equal(created.body.spec.revisionHistoryLimit, 10, 'defaults applied');
    const patched = await req('PATCH', `${D}/a?dryRun=All`, { spec: { replicas: 1 } }, 'application/merge-patch+json');
    assert.equal(patched.body.spec.replicas, 1);
    assert.equal((await req('DELETE', `${D}/a?dryRun=All`)).status, 200);
    assert.equal((await req('GET', `${D}/dry`)).status, 404);
    const now = (await req('GET', D)).body;
    assert.equal(now.metadata.resourceVersion, rv);
    assert.equal(now.items.find((i: any) => i.metadata.name === 'a').spec.replicas, 6);
    await new Promise((r) => setTimeout(r, 200));
    w.close();
    assert.deepEqual(w.events, []);
  });

  test('custom resources: CRD served in discovery, CRUD, status and scale subresources, 415 on strategic merge patch', async () => {
    assert.equal((await req('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status, 201);
    const disc = (await req('GET', '/apis/example.com/v1')).body;
    assert.deepEqual(disc.resources.map((r: any) => r.name), ['widgets', 'widgets/scale', 'widgets/status']);
    assert.deepEqual(disc.resources[0].shortNames, ['wd']);
    const W = '/apis/example.com/v1/namespaces/api/widgets';
    const w = await req('POST', W, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 }, status: { size: 9 } });
    assert.equal(w.status, 201, w.text);
    assert.equal(w.body.status, undefined, 'create drops status when the status subresource exists');
    assert.equal(w.body.metadata.generation, 1);
    const smp = await req('PATCH', `${W}/w`, { spec: { size: 2 } }, 'application/strategic-merge-patch+json');
    assert.equal(smp.status, 415);
    const mp = await req('PATCH', `${W}/w`, { spec: { size: 2 }, metadata: { annotations: { a: 'b' } } }, 'application/merge-patch+json');
    assert.equal(mp.body.metadata.generation, 2);
    const meta = await req('PATCH', `${W}/w`, { metadata: { annotations: { a: 'c' } } }, 'application/merge-patch+json');
    assert.equal(meta.body.metadata.generation, 2, 'metadata-only changes keep a CR generation');
    const st = await req('PUT', `${W}/w/status`, { ...meta.body, status: { size: 2 } });
    assert.equal(st.status, 200, st.text);
    assert.equal(st.body.status.size, 2);
    const sc = (await req('GET', `${W}/w/scale`)).body;
    assert.deepEqual([sc.spec.replicas, sc.status.replicas], [2, 2]);
    assert.equal((await req('DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com')).status, 200);
    assert.equal((await req('GET', W)).status, 404, 'the kind is no longer served');
  });

  test('watch: initial ADDED, resume from resourceVersion, selectors, bookmarks, timeoutSeconds, 410 Expired', async () => {
    await req('POST', D, deploy('w1'));
    const list = (await req('GET', D)).body;
    const all = await openWatch(sb, `${D}?watch=1`);
    await until('initial ADDED', () => all.events.length === list.items.length);
    assert.ok(all.events.every((e) => e.type === 'ADDED'));
    all.close();

    const rv = list.metadata.resourceVersion;
    await req('PATCH', `${D}/w1`, { metadata: { labels: { pick: 'yes' } } }, 'application/merge-patch+json');
    await req('POST', D, deploy('w2'));
    const resumed = await openWatch(sb, `${D}?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dw1`);
    await until('replay', () => resumed.events.length >= 1);
    assert.deepEqual(resumed.events.map((e) => [e.type, e.object.metadata.name]), [['MODIFIED', 'w1']]);
    resumed.close();

    const sel = await openWatch(sb, `${D}?watch=true&resourceVersion=${(await req('GET', D)).body.metadata.resourceVersion}&labelSelector=pick%3Dyes`);
    await req('PATCH', `${D}/w2`, { metadata: { labels: { pick: 'yes' } } }, 'application/merge-patch+json');
    await req('PATCH', `${D}/w1`, { metadata: { labels: { pick: null } } }, 'application/merge-patch+json');
    await until('selector transitions', () => sel.events.length >= 2);
    assert.deepEqual(sel.events.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'w2'], ['DELETED', 'w1']]);
    sel.close();

    await sb.fault({ bookmarkIntervalMs: 100 });
    const bm = await openWatch(sb, `${D}?watch=true&resourceVersion=${(await req('GET', D)).body.metadata.resourceVersion}&allowWatchBookmarks=true&timeoutSeconds=1`);
    await bm.ended;
    assert.ok(bm.events.some((e) => e.type === 'BOOKMARK' && e.object.metadata.resourceVersion), 'bookmark seen');
    await sb.fault({ bookmarkIntervalMs: 5000 });

    await sb.fault({ expireResourceVersions: true });
    const old = await openWatch(sb, `${D}?watch=true&resourceVersion=${rv}`);
    await old.ended;
    assert.equal(old.events.length, 1);
    assert.equal(old.events[0].type, 'ERROR');
    assert.equal(old.events[0].object.code, 410);
    assert.equal(old.events[0].object.reason, 'Expired');
  });

  test('delete preconditions: a stale uid or resourceVersion is 409', async () => {
    await req('POST', '/api/v1/namespaces/api/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pre' }, data: { a: 'b' } });
    const bad = await req('DELETE', '/api/v1/namespaces/api/configmaps/pre', { preconditions: { uid: '00000000-0000-0000-0000-000000000000' } });
    assert.equal(bad.status, 409);
    assert.match(bad.body.message, /Precondition failed: UID in precondition/);
    const live = (await req('GET', '/api/v1/namespaces/api/configmaps/pre')).body;
    assert.equal((await req('DELETE', '/api/v1/namespaces/api/configmaps/pre', { preconditions: { uid: live.metadata.uid, resourceVersion: live.metadata.resourceVersion } })).status, 200);
  });

  test('namespace deletion removes its objects; a DELETED event carries a new resourceVersion', async () => {
    await req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gone' } });
    await req('POST', '/api/v1/namespaces/gone/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } });
    const rv = (await req('GET', '/api/v1/namespaces/gone/configmaps')).body.metadata.resourceVersion;
    const w = await openWatch(sb, `/api/v1/namespaces/gone/configmaps?watch=true&resourceVersion=${rv}`);
    assert.equal((await req('DELETE', '/api/v1/namespaces/gone', { propagationPolicy: 'Background' })).status, 200);
    assert.equal((await req('GET', '/api/v1/namespaces/gone/configmaps/c')).status, 404);
    await until('DELETED', () => w.events.length === 1);
    assert.equal(w.events[0].type, 'DELETED');
    assert.ok(Number(w.events[0].object.metadata.resourceVersion) > Number(rv));
    w.close();
  });

  test('auth: wrong token 401, read-only token 403 on writes and Secrets, forbid fault, refuseReadonly', async () => {
    const r401 = await sb.request('GET', '/api/v1/namespaces', undefined, { token: 'wrong' });
    assert.equal(r401.status, 401);
    assert.equal(r401.body.reason, 'Unauthorized');
    const ro = /token: (\S+)/g;
    const tokens = [...(await import('node:fs')).readFileSync(sb.kubeconfig, 'utf8').matchAll(ro)].map((m) => m[1]);
    const readonly = tokens[1];
    assert.equal((await sb.request('GET', D, undefined, { token: readonly })).status, 200);
    const w = await sb.request('POST', D, deploy('ro'), { token: readonly });
    assert.equal(w.status, 403);
    assert.equal(w.body.message, 'deployments.apps is forbidden: User "readonly" cannot create resource "deployments" in API group "apps" in the namespace "api"');
    assert.equal((await sb.request('GET', '/api/v1/namespaces/api/secrets', undefined, { token: readonly })).status, 403);
    await sb.fault({ forbid: { resource: 'configmaps', group: '', verbs: ['list'] } });
    assert.equal((await req('GET', '/api/v1/namespaces/api/configmaps')).status, 403);
    assert.equal((await req('GET', '/api/v1/namespaces/api/services')).status, 200);
    await sb.fault({ refuseReadonly: true });
    assert.equal((await sb.request('GET', D, undefined, { token: readonly })).status, 403);
    await sb.fault({ reset: true });
    assert.equal((await req('GET', '/api/v1/namespaces/api/configmaps')).status, 200);
  });

  test('faults: 503 / 429 with Retry-After for a while, latency', async () => {
    await sb.fault({ errors: { status: 503, seconds: 1 } });
    const e = await req('GET', D);
    assert.equal(e.status, 503);
    await sb.fault({ errors: { status: 429, seconds: 1, pathPrefix: '/apis/apps' } });
    const t = await req('GET', D);
    assert.equal(t.status, 429);
    assert.ok(t.headers['retry-after']);
    assert.equal((await req('GET', '/api/v1/namespaces')).status, 200, 'pathPrefix limits the fault');
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await req('GET', D)).status, 200, 'the window ends');
    await sb.fault({ latencyMs: 300 });
    const t0 = Date.now();
    await req('GET', D);
    assert.ok(Date.now() - t0 >= 290);
    await sb.fault({ latencyMs: 0 });
  });

  test('workload simulator: Deployment, StatefulSet, DaemonSet, Job status converge', async () => {
    const sts = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's' }, spec: { replicas: 2, serviceName: 's', selector: { matchLabels: { a: 's' } }, template: { metadata: { labels: { a: 's' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } };
    const ds = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'd' }, spec: { selector: { matchLabels: { a: 'd' } }, template: { metadata: { labels: { a: 'd' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } };
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } } };
    assert.equal((await req('POST', '/apis/apps/v1/namespaces/api/statefulsets', sts)).status, 201);
    assert.equal((await req('POST', '/apis/apps/v1/namespaces/api/daemonsets', ds)).status, 201);
    const jr = await req('POST', '/apis/batch/v1/namespaces/api/jobs', job);
    assert.equal(jr.status, 201, jr.text);
    let s: any; let d: any; let j: any;
    const deadline = Date.now() + 5000;
    do {
      s = (await req('GET', '/apis/apps/v1/namespaces/api/statefulsets/s')).body;
      d = (await req('GET', '/apis/apps/v1/namespaces/api/daemonsets/d')).body;
      j = (await req('GET', '/apis/batch/v1/namespaces/api/jobs/j')).body;
    } while (!(s.status?.readyReplicas === 2 && d.status?.numberReady === 1 && j.status?.succeeded === 1) && Date.now() < deadline);
    assert.equal(s.status.readyReplicas, 2);
    assert.equal(s.status.observedGeneration, 1);
    assert.equal(d.status.numberReady, 1);
    assert.ok(j.status.conditions.some((c: any) => c.type === 'Complete' && c.status === 'True'));
  });
});
