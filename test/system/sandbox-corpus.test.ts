// Every manifest set in ../shared/corpus, rendered as a GitOps agent would (kubectl kustomize, helm
// template, plain directories), applies cleanly to the sandbox with `kubectl apply --server-side`, and
// `kubectl diff --server-side` of the same manifests right after shows no difference (exit 0).
//
// Kinds that are not built in (Argo CD Application/Rollout, Flux Kustomization/HelmRelease/…,
// Gateway API, cert-manager) get a minimal CRD first (schema-less, x-kubernetes-preserve-unknown-fields),
// since the corpus does not ship theirs. Objects that only have generateName (Argo CD hooks) are
// skipped: `kubectl apply` refuses them on a real cluster too.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import { startSandbox, type Sandbox } from '../support/sandbox';
import { corpusDir, corpusMissing, helmPath, kubectlPath } from '../support/tools';

interface Unit { name: string; render(): string }

function listUnits(): Unit[] {
  const units: Unit[] = [];
  const walk = (dir: string, insideChart: boolean) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true });
    const names = new Set(entries.map((e) => e.name));
    const rel = path.relative(corpusDir, dir);
    const chart = names.has('Chart.yaml');
    if (chart) units.push({ name: `helm ${rel}`, render: () => execFileSync(helmPath(), ['template', path.basename(dir), dir], { encoding: 'utf8', timeout: 60_000 }) });
    else if (names.has('kustomization.yaml')) units.push({ name: `kustomize ${rel}`, render: () => execFileSync(kubectlPath(), ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 }) });
    else if (!insideChart && !fs.existsSync(path.join(dir, '..', 'kustomization.yaml'))) {
      const files = entries.filter((e) => e.isFile() && /\.ya?ml$/.test(e.name)).map((e) => path.join(dir, e.name)).sort();
      if (files.length) units.push({ name: `directory ${rel}`, render: () => files.map((f) => fs.readFileSync(f, 'utf8')).join('\n---\n') });
    }
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) walk(path.join(dir, e.name), insideChart || chart);
  };
  walk(corpusDir, false);
  return units;
}

const BUILTIN_GROUPS = new Set(['', 'v1', 'apps', 'batch', 'networking.k8s.io', 'rbac.authorization.k8s.io', 'apiextensions.k8s.io', 'autoscaling', 'policy']);
const CLUSTER_SCOPED = new Set(['ClusterIssuer', 'GatewayClass', 'ClusterSecretStore']);

function plural(kind: string): string {
  const k = kind.toLowerCase();
  if (/(s|x|ch|sh)$/.test(k)) return `${k}es`;
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

function minimalCrd(apiVersion: string, kind: string): Record<string, unknown> {
  const [group, version] = apiVersion.split('/');
  const p = plural(kind);
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${p}.${group}` },
    spec: {
      group, scope: CLUSTER_SCOPED.has(kind) ? 'Cluster' : 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural: p, singular: kind.toLowerCase() },
      versions: [{ name: version, served: true, storage: true, subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
}

describe('corpus: kubectl apply --server-side, then kubectl diff --server-side is empty', { skip: corpusMissing() }, () => {
  let sb: Sandbox;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-corpus-'));
  const crdsDone = new Set<string>();
  const nsDone = new Set<string>(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

  before(async () => { sb = await startSandbox(); });
  after(async () => { await sb?.stop(); });

  const units = corpusMissing() ? [] : listUnits();
  test('the corpus has the expected render units', () => {
    assert.ok(units.length >= 15, units.map((u) => u.name).join(', '));
  });

  for (const [i, unit] of units.entries()) {
    test(unit.name, async (t) => {
      const docs = parseAllDocuments(unit.render()).map((d) => d.toJS()).filter((o) => o && typeof o === 'object' && o.kind);
      const skipped = docs.filter((o) => !o.metadata?.name);
      const objects = docs.filter((o) => o.metadata?.name);
      if (skipped.length) t.diagnostic(`skipped ${skipped.length} object(s) with only generateName (hooks): kubectl apply refuses them`);
      if (!objects.length) { t.skip('renders no named objects'); return; }
      for (const o of objects) {
        const group = String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/')[0] : '';
        const key = `${o.apiVersion}/${o.kind}`;
        if (!BUILTIN_GROUPS.has(group) && !crdsDone.has(key)) {
          const r = await sb.request('PATCH', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${plural(o.kind)}.${group}?fieldManager=corpus-test`,
            JSON.stringify(minimalCrd(o.apiVersion, o.kind)), { contentType: 'application/apply-patch+yaml' });
          assert.ok(r.status === 200 || r.status === 201, r.text);
          crdsDone.add(key);
        }
        const ns = o.metadata.namespace;
        if (ns && !nsDone.has(ns)) {
          const r = await sb.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
          assert.ok(r.status === 201 || r.status === 409, r.text);
          nsDone.add(ns);
        }
      }
      const file = path.join(work, `unit-${i}.yaml`);
      fs.writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
      const applied = sb.kubectl(['apply', '--server-side', '-f', file]);
      assert.equal(applied.status, 0, `apply failed:\n${applied.stderr}`);
      const diff = sb.kubectl(['diff', '--server-side', '-f', file]);
      assert.equal(diff.status, 0, `diff after apply is not empty (exit ${diff.status}):\n${diff.stdout}${diff.stderr}`);
      t.diagnostic(`${objects.length} objects applied, diff empty`);
    });
  }
});
