// The k8s modules composed the way an API server composes them (defaults after every write, managedFields
// by apply or update), replaying the kubectl drift scenario and the corpus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/core/model';
import { applyDefaults } from '../../src/core/k8s/defaults';
import { conflictMessage, ownerOf, recordUpdate, serverSideApply } from '../../src/core/k8s/managedFields';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from '../../src/core/k8s/patch';
import { builtinKind } from '../../src/core/k8s/schema';
import { corpusDir, corpusMissing } from '../support/tools';

let clock = 0;
const tick = () => new Date(Date.UTC(2026, 10, 27, 10, 0, clock++)).toISOString().replace(/\.\d+Z$/, 'Z');
let ipSeq = 1;
const ctx = { allocateClusterIP: () => `10.96.0.${ipSeq++}` };

/** What a server does with a non-apply write: default, then record the writer's ownership. */
function update(live: KubeObject | undefined, next: KubeObject, manager: string, subresource?: string): KubeObject {
  const out = structuredClone(next);
  applyDefaults(out, { ...ctx, previous: live });
  out.metadata.managedFields = recordUpdate({ before: live, after: out, manager, now: tick(), apiVersion: out.apiVersion, subresource });
  return out;
}

function apply(live: KubeObject | undefined, config: KubeObject, manager: string, force = false) {
  const r = serverSideApply({ live, applied: config, manager, force, now: tick(), apiVersion: config.apiVersion });
  if ('conflicts' in r) return r;
  applyDefaults(r.object, { ...ctx, previous: live });
  return r;
}

const web = (replicas = 3): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'demo', labels: { app: 'web' } },
  spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } },
    spec: { containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] } } },
});

const names = (o: KubeObject) => (o.spec as any).template.spec.containers.map((c: any) => `${c.name}=${c.image}`).join(' ');

test('the kubectl drift scenario: every write attributed, conflicts on re-apply, force restores', () => {
  const r0 = apply(undefined, web(), 'kubectl');
  assert.ok('object' in r0);
  let live = r0.object;
  live = update(live, { ...structuredClone(live), spec: { ...(live.spec as any), replicas: 5 } }, 'kubectl', 'scale');
  live = update(live, applyMergePatch(live, { spec: { replicas: 4 } }), 'kubectl-patch');
  live = update(live, applyJsonPatch(live, [{ op: 'replace', path: '/spec/replicas', value: 2 }]), 'kubectl-patch');
  live = update(live, applyStrategicMergePatch(live, { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox:1.36' }] } } } }, 'Deployment'), 'kubectl-patch');
  assert.equal(names(live), 'sidecar=busybox:1.36 web=nginx:1.25', 'upstream SMP order: patch-only items first');
  live = update(live, applyStrategicMergePatch(live, { spec: { template: { spec: {
    '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }], containers: [{ name: 'web', image: 'nginx:1.27' }] } } } }, 'Deployment'), 'kubectl-set');
  live = update(live, applyStrategicMergePatch(live, { spec: { replicas: 6 } }, 'Deployment'), 'kubectl-edit');

  const mf = live.metadata.managedFields!;
  const who = (p: string) => ownerOf(mf, live, p)?.manager;
  assert.equal(who('/spec/replicas'), 'kubectl-edit');
  assert.equal(who('/spec/template/spec/containers/1/image'), 'kubectl-set');
  assert.equal(who('/spec/template/spec/containers/0/image'), 'kubectl-patch');
  assert.equal(who('/metadata/labels/app'), 'kubectl');
  assert.equal(who('/spec/template/spec/containers/1/imagePullPolicy'), undefined, 'a server default has no manager');

  const conflict = apply(live, web(), 'kubectl');
  assert.ok('conflicts' in conflict);
  assert.deepEqual(conflict.conflicts.map((c) => `${c.manager} ${c.field}`).sort(), [
    'kubectl-edit .spec.replicas', 'kubectl-set .spec.template.spec.containers[name="web"].image']);
  assert.match(conflictMessage(conflict.conflicts[0]), /^conflict with "kubectl-(edit|set)" using apps\/v1 at /);

  const forced = apply(live, web(), 'kubectl', true);
  assert.ok('object' in forced);
  live = forced.object;
  assert.equal((live.spec as any).replicas, 3);
  assert.equal(names(live), 'sidecar=busybox:1.36 web=nginx:1.25', 'the sidecar (owned by kubectl-patch) stays');
  assert.equal(ownerOf(live.metadata.managedFields, live, '/spec/replicas')?.manager, 'kubectl');

  // diff --server-side of the applied manifest: a dry-run apply changes nothing but managedFields.
  const dry = apply(live, web(), 'kubectl-client-side-apply');
  assert.ok('object' in dry);
  const strip = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, managedFields: undefined } });
  assert.deepEqual(strip(dry.object), strip(live));
});

function corpusObjects(): { file: string; obj: KubeObject }[] {
  const out: { file: string; obj: KubeObject }[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) {
        const text = fs.readFileSync(p, 'utf8');
        if (text.includes('{{')) continue; // Helm templates
        for (const doc of parseAllDocuments(text)) {
          const obj = doc.toJSON() as KubeObject;
          if (obj && typeof obj === 'object' && obj.kind && obj.apiVersion && obj.metadata?.name && builtinKind(obj.kind)) out.push({ file: p, obj });
        }
      }
    }
  };
  walk(corpusDir);
  return out;
}

test('corpus: apply, then a dry-run re-apply of the same manifest shows no difference', { skip: corpusMissing() }, () => {
  const objects = corpusObjects();
  assert.ok(objects.length >= 20, `found ${objects.length} built-in objects`);
  for (const { file, obj } of objects) {
    const first = apply(undefined, obj, 'argocd-controller');
    assert.ok('object' in first, file);
    const again = apply(first.object, obj, 'argocd-controller');
    assert.ok('object' in again, file);
    // Only the entry's time may move (upstream compares the raw config, e.g. "1000m" vs the stored "1").
    const noTime = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, managedFields: o.metadata.managedFields?.map((e) => ({ ...e, time: undefined })) } });
    assert.deepEqual(noTime(again.object), noTime(first.object), `${file} ${obj.kind}/${obj.metadata.name}: re-apply changed the object`);
    const twice = structuredClone(first.object);
    applyDefaults(twice, ctx);
    assert.deepEqual(twice, first.object, `${file}: defaults not idempotent`);
  }
});
