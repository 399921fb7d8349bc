// Comparison benchmark (`node --import tsx bench/compare.bench.ts`): compareResource over the engine
// benchmark's fleet (2,000 objects: 40% Deployments, 40% Services, 20% ConfigMaps).
// Desired objects are parsed from YAML as the CLI does (parseManifests + toDesired); live objects are
// what the sandbox API server stores for them after server-side apply as argocd-controller (defaults,
// status written by the simulated controllers, managedFields, resourceVersion ...), JSON round-tripped
// as a LIST delivers them and slimmed as the live cache does. One Deployment is scaled (one drift).
// Each figure is measured in a FRESH child process: "cold" is the first pass over all 2,000 objects
// (the CLI's case: interpreter / baseline JIT), "warm" the best of the next passes. The digest of all
// results lets a change be checked for identical output.
// Env: BENCH_RUNS (child processes, default 5), BENCH_PASSES (passes per child, default 10), BENCH_FIXTURE.
// Figures (2026-11-27, shared 2-core machine under load 3-4, one fixture, 7 processes each):
//   before (a9071d4): cold median 164 ms wall, 75 ms main-thread CPU; warm 17.8 ms
//   after  (57af973): cold median 54 ms wall (min 29), 22 ms main-thread CPU; warm 7.0 ms
// Wall time is mostly waiting for a core on a busy machine: compare main-thread CPU.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configMap, deployment, service } from './fleet';

const APPS = 20;
const PER_APP = 100;
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
const PASSES = Math.max(2, Number(process.env.BENCH_PASSES ?? 10));

interface Fixture {
  files: { file: string; text: string }[];
  /** JSON text of each live object, as a LIST item arrives. */
  live: string[];
}

/** The fleet's YAML, applied to an in-process sandbox server; returns what the server stores. */
async function buildFixture(): Promise<Fixture> {
  const { SandboxServer } = await import('../src/core/sandbox/server');
  /* eslint-disable @typescript-eslint/no-explicit-any */
  const server = new SandboxServer({ certs: {} as any, token: 't', readonlyToken: 'r' }) as any;
  const files: Fixture['files'] = [];
  const nsType = server.registry.find('', 'v1', 'namespaces');
  const types: Record<string, any> = {
    Deployment: server.registry.find('apps', 'v1', 'deployments'),
    Service: server.registry.find('', 'v1', 'services'),
    ConfigMap: server.registry.find('', 'v1', 'configmaps'),
  };
  const apply = new URLSearchParams('fieldManager=argocd-controller&force=true');
  for (let a = 0; a < APPS; a++) {
    server.write(nsType, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `fleet-${a}` } }, { manager: 'kubectl', dryRun: false });
    const deployments = Math.round(PER_APP * 0.4);
    const services = Math.round(PER_APP * 0.4);
    const configs = PER_APP - deployments - services;
    const one = (kind: string, name: string, file: string, text: string) => {
      files.push({ file: `/fleet/app-${String(a).padStart(2, '0')}/${file}`, text });
      server.patch({ type: types[kind], namespace: `fleet-${a}`, name }, 'application/apply-patch+yaml', Buffer.from(text), apply, { manager: 'argocd-controller', dryRun: false }, 'argocd-controller');
    };
    for (let i = 0; i < deployments; i++) one('Deployment', `svc-${i}`, `deploy-${i}.yaml`, deployment(a, i));
    for (let i = 0; i < services; i++) one('Service', `svc-${i}`, `svc-${i}.yaml`, service(a, i));
    for (let i = 0; i < configs; i++) one('ConfigMap', `cfg-${i}`, `cfg-${i}.yaml`, configMap(a, i));
  }
  await new Promise((r) => setImmediate(r)); // the simulated controllers write status in microtasks
  // One drift, as `kubectl scale deployment/svc-3 -n fleet-7 --replicas=9` makes it.
  server.patch({ type: types.Deployment, namespace: 'fleet-7', name: 'svc-3', sub: 'scale' }, 'application/merge-patch+json',
    Buffer.from(JSON.stringify({ spec: { replicas: 9 } })), new URLSearchParams(), { manager: 'kubectl', subresource: 'scale', dryRun: false });
  await new Promise((r) => setImmediate(r));
  const live: string[] = [];
  for (const kind of ['Deployment', 'Service', 'ConfigMap']) for (const o of server.objects(types[kind])) live.push(JSON.stringify(o));
  server.simulator.stop();
  /* eslint-enable @typescript-eslint/no-explicit-any */
  return { files, live };
}

/** CPU time of the main thread alone (Linux schedstat, ns): unlike wall time, it does not count waiting
 *  for a core on a busy machine, and unlike process.cpuUsage() not the JIT and GC helper threads. */
function threadCpuMs(): number {
  try {
    return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return NaN;
  }
}

/** Child: set up untimed (parse, JSON.parse, slim), then time compareResource over all objects. */
async function child(fixtureFile: string): Promise<void> {
  const fixture = JSON.parse(fs.readFileSync(fixtureFile, 'utf8')) as Fixture;
  const { parseManifests } = await import('../src/core/manifests/yamlSource');
  const { toDesired } = await import('../src/core/manifests/objects');
  const { refKey } = await import('../src/core/model');
  const { slimLive, HEALTH_KINDS, compareResource } = await import('../src/core/reconcile/index');
  const liveByKey = new Map<string, import('../src/core/model').KubeObject>();
  for (const text of fixture.live) {
    const parsed = JSON.parse(text) as import('../src/core/model').KubeObject;
    const o = slimLive(parsed, HEALTH_KINDS.has(parsed.kind)); // as the engine's live cache keeps them
    liveByKey.set(refKey({ apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name }), o);
  }
  const pairs: { desired: import('../src/core/model').DesiredObject; live: import('../src/core/model').KubeObject | undefined }[] = [];
  for (const f of fixture.files) {
    for (const p of parseManifests(f.text, f.file).objects) {
      const desired = toDesired(p.object, p.source, p.fieldSources);
      pairs.push({ desired, live: liveByKey.get(refKey(desired.ref)) });
    }
  }
  if (pairs.some((p) => !p.live)) throw new Error('fixture: a desired object has no live counterpart');
  const rules: never[] = [];
  const times: number[] = [];
  let coldCpu = 0;
  let results: ReturnType<typeof compareResource>[] = [];
  // BENCH_PROFILE=<file>: write a CPU profile of the cold pass (sampled every 50 us) there.
  const profileFile = process.env.BENCH_PROFILE;
  const { Session } = await import('node:inspector');
  const session = profileFile ? new Session() : undefined;
  const post = (method: string, params?: object) => new Promise<any>((resolve, reject) => session!.post(method, params, (err, res) => (err ? reject(err) : resolve(res)))); // eslint-disable-line @typescript-eslint/no-explicit-any
  if (session) {
    session.connect();
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 50 });
    await post('Profiler.start');
  }
  // The clocks' first reads load Node internals: not the comparison's cost.
  threadCpuMs();
  performance.now();
  for (let pass = 0; pass < PASSES; pass++) {
    const out: ReturnType<typeof compareResource>[] = new Array(pairs.length);
    const cpu0 = threadCpuMs();
    const t0 = performance.now();
    for (let i = 0; i < pairs.length; i++) out[i] = compareResource({ desired: pairs[i].desired, live: pairs[i].live, rules });
    times.push(performance.now() - t0);
    if (pass === 0) coldCpu = threadCpuMs() - cpu0;
    if (pass === 0) results = out;
    if (pass === 0 && session) fs.writeFileSync(profileFile!, JSON.stringify((await post('Profiler.stop')).profile));
  }
  // The digest covers what the engine reads: the resource (status, health, drift with attribution and
  // source) and the errors. The normalized copies are checked on a sample (they are built on demand).
  const hash = crypto.createHash('sha256');
  for (const r of results) hash.update(JSON.stringify(r.resource) + JSON.stringify(r.errors));
  for (let i = 0; i < results.length; i += 97) hash.update(JSON.stringify(results[i].desiredNormalized) + JSON.stringify(results[i].liveNormalized));
  const drifted = results.filter((r) => r.resource.status !== 'Synced').map((r) => `${r.resource.kind}/${r.resource.namespace}/${r.resource.name}: ${r.resource.drift.map((d) => `${d.path} ${JSON.stringify(d.desired)} -> ${JSON.stringify(d.live)} (${d.manager ?? '?'})`).join(', ')}`);
  console.log('RESULT ' + JSON.stringify({ cold: times[0], coldCpu, warm: Math.min(...times.slice(1)), digest: hash.digest('hex').slice(0, 16), drifted }));
}

async function main(): Promise<void> {
  // BENCH_FIXTURE=<file>: build the fixture there once and reuse it (timestamps differ between builds,
  // so digests are comparable only on one fixture), or profile a child by hand with it
  // (node --import tsx --cpu-prof bench/compare.bench.ts --child <file>).
  const keep = process.env.BENCH_FIXTURE ? path.resolve(process.env.BENCH_FIXTURE) : undefined;
  const file = keep ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gw-compare-bench-')), 'fixture.json');
  if (!keep || !fs.existsSync(keep)) {
    const t0 = performance.now();
    const fixture = await buildFixture();
    fs.writeFileSync(file, JSON.stringify(fixture));
    console.log(`fixture: ${fixture.files.length} desired, ${fixture.live.length} live objects (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  } else {
    console.log(`fixture: ${keep} (reused)`);
  }
  // The children run this file bundled and minified by esbuild, as the CLI ships (dist/cli/*.mjs): tsx
  // would add a __name() call per closure and per function, which the CLI does not pay.
  // BENCH_TSX=1 runs them under tsx instead.
  let childCmd = ['--import', 'tsx', fileURLToPath(import.meta.url)];
  if (process.env.BENCH_TSX !== '1') {
    const { build } = await import('esbuild');
    const out = path.join(path.dirname(file), `compare-bench-${process.pid}.mjs`);
    await build({
      entryPoints: [fileURLToPath(import.meta.url)], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'esm', minify: true,
      logLevel: 'warning', banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
    childCmd = [out];
  }
  const runs: { cold: number; coldCpu: number; warm: number; digest: string; drifted: string[] }[] = [];
  try {
    for (let r = 0; r < RUNS; r++) {
      const c = spawnSync(process.execPath, [...childCmd, '--child', file], { encoding: 'utf8', timeout: 300_000 });
      const m = /RESULT (\{.*\})/.exec(c.stdout);
      if (!m) throw new Error(`child failed: ${c.stdout}\n${c.stderr}`);
      runs.push(JSON.parse(m[1]));
      console.log(`  run ${r + 1}: cold ${runs[r].cold.toFixed(1)} ms (main thread CPU ${runs[r].coldCpu.toFixed(1)} ms), warm ${runs[r].warm.toFixed(1)} ms`);
    }
  } finally {
    if (!keep) fs.rmSync(path.dirname(file), { recursive: true, force: true });
    else if (childCmd.length === 1) fs.rmSync(childCmd[0], { force: true });
  }
  const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const digests = new Set(runs.map((r) => r.digest));
  console.log('\ncompare benchmark (compareResource, 2,000 objects)');
  console.log(`  cold (first pass in a fresh process): median ${median(runs.map((r) => r.cold)).toFixed(1)} ms, min ${Math.min(...runs.map((r) => r.cold)).toFixed(1)} ms over ${RUNS} processes (target < 25 ms); main-thread CPU median ${median(runs.map((r) => r.coldCpu)).toFixed(1)} ms`);
  console.log(`  warm (best of passes 2-${PASSES}): median ${median(runs.map((r) => r.warm)).toFixed(1)} ms`);
  console.log(`  results digest: ${[...digests].join(' ')}${digests.size > 1 ? ' (DIFFERS between runs!)' : ''}`);
  console.log(`  not Synced: ${runs[0].drifted.join('; ') || 'none'}`);
}

const childArg = process.argv.indexOf('--child');
if (childArg >= 0) child(process.argv[childArg + 1]).then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
else main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
