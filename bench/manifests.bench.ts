// Manifest parsing / discovery / rendering figures. Run: node --import tsx bench/manifests.bench.ts
// (or `npm run bench`). Prints one line per measurement; the parse target is < 100 ms for 5,000 lines.
import fs from 'node:fs';
import path from 'node:path';
import { parseManifests } from '../src/core/manifests/yamlSource';
import { discoverApps } from '../src/core/manifests/discover';
import { renderApp } from '../src/core/manifests/render';
import { corpusDir, corpusMissing, helmPath, kubectlPath } from '../test/support/tools';

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
