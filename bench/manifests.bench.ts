// Manifest parsing / discovery / rendering figures. Run: node --import tsx bench/manifests.bench.ts
// (or `npm run bench`). Prints one line per measurement; the parse targets are < 100 ms for 5,000 lines
// and < 40 ms for the CLI's 2,000 one-object files parsed cold (fresh process; BENCH_COLD_RUNS runs).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseManifests } from '../src/core/manifests/yamlSource';
import { discoverApps } from '../src/core/manifests/discover';
import { renderApp } from '../src/core/manifests/render';
import { corpusDir, corpusMissing, helmPath, kubectlPath } from '../test/support/tools';
import { configMap, deployment, service } from './fleet';

function doc(i: number): string {
  return [
    'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', `  name: app-${i}`, '  labels:', '    app: web', '    tier: front',
    'spec:', '  replicas: 2', '  template:', '    spec:', '      containers:', '        - name: app',
    `          image: "nginx:1.${i}"`, '          env:', '            - name: A', '              value: "1"',
    '          ports:', '            - containerPort: 80', '              protocol: TCP', '          resources:',
    '            limits: {cpu: 500m, memory: 128Mi}', '# a comment',
  ].join('\n');
}

function stats(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  return `min ${s[0].toFixed(1)} ms, median ${s[Math.floor(s.length / 2)].toFixed(1)} ms`;
}

const text = Array.from({ length: 220 }, (_, i) => doc(i)).join('\n---\n');
const lines = text.split('\n').length;
for (let i = 0; i < 5; i++) parseManifests(text, '/bench.yaml');
const samples: number[] = [];
for (let i = 0; i < 20; i++) {
  const t = performance.now();
  parseManifests(text, '/bench.yaml');
  samples.push(performance.now() - t);
}
console.log(`parseManifests ${lines} lines / 220 objects: ${stats(samples)} (target < 100 ms)${samples.sort((a, b) => a - b)[10] > 100 ? ' OVER TARGET' : ''}`);
const slow: number[] = [];
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  parseManifests(text, '/bench.yaml', { fast: false });
  slow.push(performance.now() - t);
}
console.log(`  same file through the yaml package only (no fast path): ${stats(slow)}`);

// ---- 2,000 one-object files (the CLI's plain-YAML fleet), cold and warm ----
// The fleet of bench/fleet.ts (20 apps x 40 Deployments, 40 Services, 20 ConfigMaps), as texts.
function fleet(): [string, string][] {
  const files: [string, string][] = [];
  for (let a = 0; a < 20; a++) {
    for (let i = 0; i < 40; i++) files.push([`/fleet/app-${a}/deploy-${i}.yaml`, deployment(a, i)]);
    for (let i = 0; i < 40; i++) files.push([`/fleet/app-${a}/svc-${i}.yaml`, service(a, i)]);
    for (let i = 0; i < 20; i++) files.push([`/fleet/app-${a}/cfg-${i}.yaml`, configMap(a, i)]);
  }
  return files;
}

/** One cold measurement in a fresh process (the JIT has seen none of the parser): parse the fleet once,
 *  keeping the results as the CLI does. `mode`: lazy (default path), eager (field sources built for
 *  every document: the path every file took before), read-all (lazy, then every field source read, as
 *  the extension's hover index does). Main-thread CPU from /proc (Linux; to a scheduler tick) is printed
 *  too, since wall time on a shared machine includes waiting for a core. */
function coldRun(mode: 'lazy' | 'eager' | 'read-all'): { wall: number; cpu: number } {
  const yamlSource = pathToFileURL(path.resolve(import.meta.dirname, '../src/core/manifests/yamlSource.ts')).href;
  const child = `
    import fs from 'node:fs';
    const { parseManifests } = await import(${JSON.stringify(yamlSource)});
    ${deployment}
    ${service}
    ${configMap}
    ${fleet}
    // flat strings, as readFileSync gives them (a template literal is a rope until first read)
    const files = fleet().map(([file, text]) => [file, Buffer.from(text).toString()]);
    const cpu = () => { try { return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6; } catch { return NaN; } };
    const keep = [];
    const c0 = cpu();
    const t0 = performance.now();
    for (const [file, text] of files) {
      const r = parseManifests(text, file, ${mode === 'eager' ? '{ lazy: false }' : '{}'});
      ${mode === 'read-all' ? 'for (const o of r.objects) o.fieldSources.size;' : ''}
      keep.push(r);
    }
    const wall = performance.now() - t0;
    console.log(JSON.stringify({ wall, cpu: cpu() - c0, objects: keep.reduce((n, r) => n + r.objects.length, 0) }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], { encoding: 'utf8', cwd: path.resolve(import.meta.dirname, '..') });
  if (r.status !== 0) throw new Error(`cold run failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { wall: number; cpu: number; objects: number };
  if (out.objects !== 2000) throw new Error(`cold run parsed ${out.objects} objects`);
  return out;
}

const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);
for (const mode of ['lazy', 'eager', 'read-all'] as const) {
  const runs = Array.from({ length: COLD_RUNS }, () => coldRun(mode));
  const label = { lazy: 'values, field sources lazy (default)', eager: 'values + every field source built (eager path, as before)', 'read-all': 'lazy, then every field source read (hover index)' }[mode];
  console.log(`parseManifests 2,000 one-object files, cold, ${label}: wall ${stats(runs.map((r) => r.wall))}; main-thread CPU ${stats(runs.map((r) => r.cpu))} (${COLD_RUNS} fresh processes)${mode === 'lazy' && Math.min(...runs.map((r) => r.wall)) > 40 ? ' OVER TARGET 40 ms' : ''}`);
}
const files = fleet().map(([file, text]) => [file, Buffer.from(text).toString()] as const);
for (const [label, opts] of [['lazy', {}], ['eager', { lazy: false }]] as const) {
  for (let i = 0; i < 5; i++) for (const [file, text] of files) parseManifests(text, file, opts);
  const warm: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    for (const [file, text] of files) parseManifests(text, file, opts);
    warm.push(performance.now() - t);
  }
  console.log(`parseManifests 2,000 one-object files, warm, ${label}: ${stats(warm)}`);
}

const skip = corpusMissing();
if (skip) {
  console.log(`corpus figures skipped: ${skip}`);
} else {
  const tools = { helmPath: helmPath(), kubectlPath: kubectlPath() };
  for (const repo of ['argocd-example-apps', 'podinfo', 'flux2-kustomize-helm-example']) {
    const root = path.join(corpusDir, repo);
    if (!fs.existsSync(root)) continue;
    let t = performance.now();
    const found = await discoverApps(root);
    console.log(`discoverApps ${repo}: ${found.apps.length} apps in ${(performance.now() - t).toFixed(0)} ms`);
    for (const app of found.apps) {
      t = performance.now();
      const r = await renderApp(app, tools);
      const ms = performance.now() - t;
      console.log(`  render ${app.name} (${app.renderer}): ${r.error ? 'error/unrenderable' : `${r.objects.length} objects`} in ${ms.toFixed(0)} ms`);
    }
  }
}
