import { test } from 'node:test';
import assert from 'node:assert/strict';
import { driftAfterText, formatValue, hoverMarkdown, relativeTime, diagnosticMessage } from '../../src/extension/editor/format';
import { countOutOfSync, indexReport, marksByLine } from '../../src/extension/editor/driftIndex';
import type { DriftReport, ResourceDrift, AppReport } from '../../src/core/model';

const now = Date.parse('2026-01-01T12:00:00Z');

test('after-text reads like `live: 5 · kubectl-scale · 3m ago`', () => {
  assert.equal(driftAfterText({ path: '/spec/replicas', desired: 3, live: 5, manager: 'kubectl-scale', time: '2026-01-01T11:57:00Z' }, now),
    'live: 5 · kubectl-scale · 3m ago');
  assert.equal(driftAfterText({ path: '/x', desired: 'a', live: undefined }, now), 'live: (absent)');
});

test('values: scalars bare, odd strings quoted, long ones cut', () => {
  assert.equal(formatValue('nginx:1.25'), 'nginx:1.25');
  assert.equal(formatValue('a b'), '"a b"');
  assert.equal(formatValue({ cpu: '1' }), '{"cpu":"1"}');
  assert.equal(formatValue('x'.repeat(100)).length, 60);
  assert.equal(relativeTime('2026-01-01T11:59:50Z', now), '10s ago');
  assert.equal(relativeTime('2025-12-30T12:00:00Z', now), '2d ago');
  assert.equal(relativeTime(undefined, now), '');
});

const res = (over: Partial<ResourceDrift>): ResourceDrift => ({
  apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo', name: 'api', status: 'Synced', drift: [], ...over,
});
const app = (resources: ResourceDrift[], sync: AppReport['sync'] = 'OutOfSync'): AppReport => ({
  name: 'api', path: '/ws/api', renderer: 'directory', origin: 'plain-manifests', namespace: 'demo', sync, health: 'Healthy', resources,
});

test('index: drift on its own line, Missing on the first line, unknown when the cluster is down', () => {
  const drifted = res({ status: 'OutOfSync', source: { file: '/ws/api/d.yaml', line: 1 },
    drift: [{ path: '/spec/replicas', desired: 3, live: 5, source: { file: '/ws/api/d.yaml', line: 7 } },
      { path: '/spec/x', desired: 1, live: 2 }] });
  const missing = res({ name: 'cfg', kind: 'ConfigMap', status: 'Missing', source: { file: '/ws/api/d.yaml', line: 20 } });
  const report: DriftReport = { cluster: { state: 'connected' }, generatedAt: '', errors: [], apps: [app([drifted, missing])] };
  const idx = indexReport(report).get('/ws/api/d.yaml')!;
  assert.deepEqual(idx.marks.map((m) => [m.line, m.kind]), [[1, 'drift'], [7, 'drift'], [20, 'missing']]);
  assert.deepEqual(idx.heads.map((h) => h.line), [1, 20]);
  assert.equal(marksByLine(idx.marks).size, 3);
  assert.equal(countOutOfSync(report), 1);
  const down = indexReport({ ...report, cluster: { state: 'unreachable' } }).get('/ws/api/d.yaml')!;
  assert.deepEqual(down.marks.map((m) => m.kind), ['unknown', 'unknown']);
});

test('hover: git, live, manager, links; unknown when unreachable; "same" when in sync', () => {
  const drift = { path: '/spec/replicas', desired: 3, live: 5, manager: 'kubectl-scale', operation: 'Update', time: '2026-01-01T11:57:00Z' };
  const r = res({ status: 'OutOfSync', drift: [drift] });
  const base = { app: app([r]), resource: r, pointer: '/spec/replicas', desiredValue: 3, liveValue: 5, file: '/f', line: 7, context: 'sandbox' };
  const md = hoverMarkdown({ ...base, drift, cluster: { state: 'connected' } }, now);
  assert.match(md, /Git: `3`/);
  assert.match(md, /Live: `5`/);
  assert.match(md, /Changed by `kubectl-scale` \(Update\) 3m ago/);
  assert.match(md, /command:gitops\.showLiveDiff\?/);
  assert.match(md, /command:gitops\.requestSync\?/);
  const down = hoverMarkdown({ ...base, drift, cluster: { state: 'unreachable', message: 'connect ECONNREFUSED' } }, now);
  assert.match(down, /Live: \*\*Unknown\*\* — cluster unreachable/);
  assert.doesNotMatch(down, /Live: `5`/);
  const same = hoverMarkdown({ ...base, cluster: { state: 'connected' }, liveValue: 3 }, now);
  assert.match(same, /Live: same/);
  assert.match(diagnosticMessage(r, drift, now), /Git has 3, live is 5 \(changed by kubectl-scale 3m ago\)/);
});

import { valueColumns } from '../../src/extension/editor/lineText';
test('value columns skip key, dash and trailing comment', () => {
  const cut = (l: string) => { const [a, b] = valueColumns(l); return l.slice(a, b); };
  assert.equal(cut('  replicas: 3 # keep'), '3');
  assert.equal(cut('        - image: "ghcr.io/a:1"'), '"ghcr.io/a:1"');
  assert.equal(cut('  - --port'), '--port');
  assert.equal(cut('kind: Deployment'), 'Deployment');
  assert.equal(cut('spec:'), 'spec:');
  assert.equal(cut('  url: http://x:80/a'), 'http://x:80/a');
});
