// Real kubectl against the sandbox: every kubectl point of issue 3's acceptance list, then a core
// subset with each versioned kubectl copy (1.29-1.33) found next to the machine's kubectl.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { startSandbox, type Sandbox } from '../support/sandbox';
import { kubectlPath } from '../support/tools';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-kubectl-'));
const file = (name: string, text: string) => { const p = path.join(dir, name); fs.writeFileSync(p, text); return p; };

const deployment = (name: string, ns: string, replicas: number, image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
  labels: {app: ${name}}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: ${name}
        image: ${image}
        ports:
        - containerPort: 80
        resources:
          requests: {cpu: "0.5", memory: 64Mi}
`;

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('sandbox with the machine kubectl', () => {
  let sb: Sandbox;
  const ok = (args: string[], opts?: Parameters<Sandbox['kubectl']>[1]) => {
    const r = sb.kubectl(args, opts);
    assert.equal(r.status, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const jp = (what: string, expr: string, ns = 'demo') => ok(['get', what, '-n', ns, '-o', `jsonpath=${expr}`]);

  before(async () => { sb = await startSandbox(); });
  after(async () => { await sb?.stop(); });

  test('client-side apply creates a namespace and a deployment (last-applied annotation, kubectl-client-side-apply)', () => {
    ok(['apply', '-f', file('ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n')]);
    ok(['apply', '-f', file('web.yaml', deployment('web', 'demo', 2, 'nginx:1.25'))]);
    const obj = JSON.parse(ok(['get', 'deployment/web', '-n', 'demo', '-o', 'json', '--show-managed-fields']));
    assert.ok(obj.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    assert.equal(obj.metadata.generation, 1);
    assert.match(obj.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(obj.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(obj.metadata.managedFields.map((m: any) => `${m.manager}/${m.operation}`).filter((m: string) => m.startsWith('kubectl')), ['kubectl-client-side-apply/Update']);
    // Server defaults and canonical quantities, as kube-apiserver stores them.
    assert.equal(obj.spec.strategy.type, 'RollingUpdate');
    assert.equal(obj.spec.template.spec.containers[0].resources.requests.cpu, '500m');
  });

  test('client-side apply again with the same manifest stores nothing new', () => {
    const before = jp('deploy/web', '{.metadata.resourceVersion}');
    // kubectl still sends cpu "0.5" (live has "500m") and says "configured", as against Kubernetes;
    // the server canonicalizes it and finds nothing changed.
    ok(['apply', '-f', path.join(dir, 'web.yaml')]);
    assert.equal(jp('deploy/web', '{.metadata.resourceVersion}'), before);
  });

  test('get by short name, -o yaml, -o jsonpath, -A', () => {
    assert.match(ok(['get', 'deploy', '-n', 'demo']), /^NAME\s+.*\nweb\s/m);
    assert.match(ok(['get', 'deploy/web', '-n', 'demo', '-o', 'yaml']), /^kind: Deployment$/m);
    assert.equal(jp('deploy/web', '{.spec.replicas}'), '2');
    assert.match(ok(['get', 'ns']), /default/);
    assert.match(ok(['get', 'deploy', '-A']), /demo\s+web/);
    assert.match(ok(['get', 'all', '-n', 'demo']), /web/);
  });

  test('the workload simulator converges status (kube-controller-manager, status subresource)', async () => {
    const ready = await until('readyReplicas 2', () => jp('deploy/web', '{.status.readyReplicas}/{.status.observedGeneration}') === '2/1' || undefined);
    assert.ok(ready);
    const obj = JSON.parse(ok(['get', 'deploy/web', '-n', 'demo', '-o', 'json', '--show-managed-fields']));
    const kcm = obj.metadata.managedFields.find((m: any) => m.manager === 'kube-controller-manager');
    assert.equal(kcm?.subresource, 'status');
    assert.deepEqual(obj.status.conditions.map((c: any) => `${c.type}=${c.status}`), ['Available=True', 'Progressing=True']);
  });

  test('rollout status and wait --for=condition=Available finish', () => {
    assert.match(ok(['rollout', 'status', 'deploy/web', '-n', 'demo', '--timeout=20s']), /successfully rolled out/);
    assert.match(ok(['wait', '--for=condition=Available', 'deploy/web', '-n', 'demo', '--timeout=20s']), /condition met/);
  });

  test('server-side apply creates with manager kubectl (Apply) and generation 1', () => {
    ok(['apply', '--server-side', '-f', file('api.yaml', deployment('api', 'demo', 3, 'nginx:1.25'))]);
    assert.equal(jp('deploy/api', '{.spec.replicas} {.metadata.generation}'), '3 1');
    const obj = JSON.parse(ok(['get', 'deploy/api', '-n', 'demo', '-o', 'json', '--show-managed-fields']));
    assert.ok(obj.metadata.managedFields.some((m: any) => m.manager === 'kubectl' && m.operation === 'Apply'));
  });

  test('scale goes through the scale subresource and bumps generation', async () => {
    ok(['scale', 'deploy/api', '--replicas=5', '-n', 'demo']);
    assert.equal(jp('deploy/api', '{.spec.replicas} {.metadata.generation}'), '5 2');
    await until('status follows scale', () => jp('deploy/api', '{.status.replicas}/{.status.observedGeneration}') === '5/2' || undefined);
  });

  test('patch: merge, json, strategic (keyed by container name)', () => {
    ok(['patch', 'deploy/api', '-n', 'demo', '--type', 'merge', '-p', '{"spec":{"replicas":4}}']);
    assert.equal(jp('deploy/api', '{.spec.replicas}'), '4');
    ok(['patch', 'deploy/api', '-n', 'demo', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/replicas","value":2}]']);
    assert.equal(jp('deploy/api', '{.spec.replicas}'), '2');
    ok(['patch', 'deploy/api', '-n', 'demo', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.36"}]}}}}']);
    assert.equal(jp('deploy/api', '{range .spec.template.spec.containers[*]}{.name}={.image} {end}'), 'api=nginx:1.25 sidecar=busybox:1.36 ');
    const failed = sb.kubectl(['patch', 'deploy/api', '-n', 'demo', '--type', 'json', '-p', '[{"op":"test","path":"/spec/replicas","value":99}]']);
    assert.notEqual(failed.status, 0);
  });

  test('set image records manager kubectl-set', () => {
    ok(['set', 'image', 'deploy/api', 'api=nginx:1.27', '-n', 'demo']);
    assert.equal(jp('deploy/api', '{.spec.template.spec.containers[0].image}'), 'nginx:1.27');
    const obj = JSON.parse(ok(['get', 'deploy/api', '-n', 'demo', '-o', 'json', '--show-managed-fields']));
    assert.ok(obj.metadata.managedFields.some((m: any) => m.manager === 'kubectl-set'));
  });

  test('edit (KUBE_EDITOR=sed) patches the object', () => {
    ok(['edit', 'deploy/api', '-n', 'demo'], { env: { KUBE_EDITOR: 'sed -i s/replicas:\\ 2/replicas:\\ 6/' } });
    assert.equal(jp('deploy/api', '{.spec.replicas}'), '6');
  });

  test('server-side apply conflicts with kubectl-set/kubectl-edit, then --force-conflicts takes over', () => {
    const r = sb.kubectl(['apply', '--server-side', '-f', path.join(dir, 'api.yaml')]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /conflict/i);
    assert.match(r.stderr, /kubectl-set|kubectl-edit/);
    ok(['apply', '--server-side', '--force-conflicts', '-f', path.join(dir, 'api.yaml')]);
    assert.equal(jp('deploy/api', '{.spec.replicas} {.spec.template.spec.containers[0].image}'), '3 nginx:1.25');
  });

  test('diff: exit 1 on a difference, 0 on the applied manifest (client-side and server-side)', () => {
    const changed = sb.kubectl(['diff', '-f', file('api-changed.yaml', deployment('api', 'demo', 7, 'nginx:1.25'))]);
    assert.equal(changed.status, 1, changed.stderr);
    assert.match(changed.stdout, /replicas: 7/);
    const ss = sb.kubectl(['diff', '--server-side', '-f', path.join(dir, 'api.yaml')]);
    assert.equal(ss.status, 0, ss.stdout + ss.stderr);
    const cs = sb.kubectl(['diff', '-f', path.join(dir, 'web.yaml')]);
    assert.equal(cs.status, 0, cs.stdout + cs.stderr);
    // diff is a dry run: nothing changed.
    assert.equal(jp('deploy/api', '{.spec.replicas}'), '3');
  });

  test('annotate and label', () => {
    ok(['annotate', 'deploy/web', '-n', 'demo', 'team=blue']);
    ok(['label', 'deploy/web', '-n', 'demo', 'tier=frontend']);
    assert.equal(jp('deploy/web', '{.metadata.annotations.team} {.metadata.labels.tier}'), 'blue frontend');
    assert.equal(jp('deploy/web', '{.metadata.generation}'), '2', 'an annotation change bumps a Deployment generation');
    assert.match(ok(['get', 'deploy', '-n', 'demo', '-l', 'tier=frontend']), /web/);
    assert.doesNotMatch(ok(['get', 'deploy', '-n', 'demo', '-l', 'tier=frontend']), /api/);
  });

  test('get --watch sees a change', async () => {
    const child = spawn(kubectlPath(), ['get', 'deploy/web', '-n', 'demo', '--watch', '-o', 'jsonpath={.spec.replicas}{"\\n"}'], {
      env: { ...process.env, HOME: path.join(path.dirname(sb.kubeconfig), 'home'), KUBECONFIG: sb.kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    try {
      await until('initial line', () => (out.includes('2\n') ? true : undefined));
      ok(['scale', 'deploy/web', '--replicas=8', '-n', 'demo']);
      await until('watch event', () => (out.includes('8\n') ? true : undefined));
    } finally {
      child.kill();
    }
  });

  test('services: clusterIP allocated, ports defaulted; secrets: stringData folded into data', () => {
    ok(['apply', '-f', file('svc.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: demo\nspec:\n  selector: {app: web}\n  ports:\n  - port: 80\n')]);
    const svc = JSON.parse(ok(['get', 'svc/web', '-n', 'demo', '-o', 'json']));
    assert.match(svc.spec.clusterIP, /^10\.96\.\d+\.\d+$/);
    assert.deepEqual(svc.spec.clusterIPs, [svc.spec.clusterIP]);
    assert.equal(svc.spec.ports[0].protocol, 'TCP');
    assert.equal(svc.spec.ports[0].targetPort, 80);
    assert.equal(svc.spec.type, 'ClusterIP');
    ok(['apply', '--server-side', '-f', file('secret.yaml', 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: demo\nstringData:\n  password: hunter2\n')]);
    const secret = JSON.parse(ok(['get', 'secret/creds', '-n', 'demo', '-o', 'json']));
    assert.equal(secret.data.password, Buffer.from('hunter2').toString('base64'));
    assert.equal(secret.stringData, undefined);
    assert.equal(secret.type, 'Opaque');
  });

  test('a 404 carries Kubernetes\' message', () => {
    const r = sb.kubectl(['get', 'deploy/nope', '-n', 'demo']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /deployments\.apps "nope" not found/);
    const ns = sb.kubectl(['create', 'configmap', 'x', '-n', 'nowhere', '--from-literal=a=b']);
    assert.match(ns.stderr, /namespaces "nowhere" not found/);
  });

  test('a wrong token is refused (401); the read-only token reads but cannot write (403)', () => {
    const bad = path.join(dir, 'bad-kubeconfig');
    fs.writeFileSync(bad, fs.readFileSync(sb.kubeconfig, 'utf8').replace(/token: .*/g, 'token: wrong-token'));
    const r = sb.kubectl(['get', 'deploy', '-n', 'demo'], { kubeconfig: bad, env: { HOME: path.join(dir, 'home-bad') } });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /Unauthorized|provide credentials/i);
    const ro = sb.readonlyKubeconfig();
    const home = { HOME: path.join(dir, 'home-ro') };
    assert.match(ok(['get', 'deploy', '-n', 'demo'], { kubeconfig: ro, env: home }), /web/);
    const w = sb.kubectl(['scale', 'deploy/web', '--replicas=1', '-n', 'demo'], { kubeconfig: ro, env: home });
    assert.notEqual(w.status, 0);
    assert.match(w.stderr, /forbidden: User "readonly" cannot patch resource "deployments"/);
    const s = sb.kubectl(['get', 'secrets', '-n', 'demo'], { kubeconfig: ro, env: home });
    assert.match(s.stderr, /forbidden/);
  });

  test('dry-run=server persists nothing', () => {
    ok(['create', 'configmap', 'dry', '-n', 'demo', '--from-literal=a=b', '--dry-run=server']);
    assert.notEqual(sb.kubectl(['get', 'cm/dry', '-n', 'demo']).status, 0);
  });

  test('delete removes the object; deleting a namespace removes what it holds', () => {
    ok(['delete', 'deploy/api', '-n', 'demo']);
    assert.match(sb.kubectl(['get', 'deploy/api', '-n', 'demo']).stderr, /not found/);
    ok(['delete', 'ns', 'demo']);
    assert.match(sb.kubectl(['get', 'deploy/web', '-n', 'demo']).stderr, /not found/);
    assert.equal(ok(['get', 'deploy', '-A', '-o', 'name']).trim(), '');
  });
});

const VERSIONED = [29, 30, 31, 32, 33].map((m) => ({ minor: m, bin: `/usr/lib/google-cloud-sdk/bin/kubectl.1.${m}` }));

describe('sandbox with versioned kubectl copies (core subset)', () => {
  let sb: Sandbox | undefined;
  before(async () => {
    if (VERSIONED.some((v) => fs.existsSync(v.bin))) sb = await startSandbox();
  });
  after(async () => { await sb?.stop(); });

  for (const { minor, bin } of VERSIONED) {
    test(`kubectl 1.${minor}`, { skip: fs.existsSync(bin) ? false : `${bin} is absent` }, () => {
      const ns = `v${minor}`;
      const home = { HOME: path.join(dir, `home-${minor}`) };
      const run = (args: string[]) => sb!.kubectl(args, { kubectl: bin, env: home });
      const ok = (args: string[]) => { const r = run(args); assert.equal(r.status, 0, `kubectl.1.${minor} ${args.join(' ')}: ${r.stderr}`); return r.stdout; };
      assert.match(ok(['version']), new RegExp(`Client Version: v1\\.${minor}\\.`));
      ok(['create', 'namespace', ns]);
      const manifest = file(`app-${minor}.yaml`, deployment('app', ns, 2, 'nginx:1.25'));
      ok(['apply', '--server-side', '-f', manifest]);
      assert.match(ok(['get', 'deploy', '-n', ns]), /app/);
      const d = run(['diff', '--server-side', '-f', manifest]);
      assert.equal(d.status, 0, d.stdout + d.stderr);
      ok(['scale', 'deploy/app', '--replicas=4', '-n', ns]);
      ok(['patch', 'deploy/app', '-n', ns, '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:1.26"}]}}}}']);
      assert.equal(ok(['get', 'deploy/app', '-n', ns, '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} {.metadata.generation}']), '4 nginx:1.26 3');
      ok(['apply', '-f', file(`cm-${minor}.yaml`, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: ${ns}\ndata:\n  a: b\n`)]);
      const changed = run(['diff', '-f', file(`cm2-${minor}.yaml`, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: ${ns}\ndata:\n  a: c\n`)]);
      assert.equal(changed.status, 1, changed.stderr);
      assert.match(run(['get', 'deploy/nope', '-n', ns]).stderr, /deployments\.apps "nope" not found/);
      // Generators (protobuf bodies from 1.32 on).
      ok(['create', 'configmap', 'gen', '-n', ns, '--from-literal=k=v']);
      ok(['create', 'secret', 'generic', 'sec', '-n', ns, '--from-literal=p=x']);
      ok(['create', 'serviceaccount', 'bot', '-n', ns]);
      assert.equal(ok(['get', 'cm/gen', '-n', ns, '-o', 'jsonpath={.data.k}']), 'v');
      assert.equal(ok(['get', 'secret/sec', '-n', ns, '-o', 'jsonpath={.data.p} {.type}']), `${Buffer.from('x').toString('base64')} Opaque`);
      ok(['delete', 'namespace', ns]);
    });
  }
});

test('--kube-minor: /version reports it, and the machine kubectl dispatcher picks that client', async (t) => {
  const sb = await startSandbox({ extraArgs: ['--kube-minor', '30'] });
  t.after(() => sb.stop());
  const v = (await sb.request('GET', '/version')).body;
  assert.equal(v.minor, '30');
  assert.equal(v.gitVersion, 'v1.30.0');
  const r = sb.kubectl(['version']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Server Version: v1\.30\.0/);
});
