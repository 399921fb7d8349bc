// Engine without a cluster: discovery + render + indexes. A file change re-renders only the apps
// that read it; locate() is a map read; no cluster means Unknown, never Synced.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { Engine } from '../../src/core/engine';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-engine-unit-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

const a = write('alpha/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: alpha\ndata:\n  key: one\n');
write('beta/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: beta\ndata:\n  key: two\n');
write('hooks/job.yaml', 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    argocd.argoproj.io/hook: PreSync\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: m\n          image: busybox\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hooks-cm\n');

test('no cluster: apps and resources are Unknown with the reason, never Synced', async () => {
  const engine = Engine.create({ root, kubeconfig: path.join(root, 'no-such-kubeconfig'), watch: false });
  try {
    await engine.start();
    const r = engine.report();
    assert.equal(r.cluster.state, 'none');
    assert.match(r.cluster.message ?? '', /no kubeconfig/);
    assert.deepEqual(r.apps.map((x) => x.name).sort(), ['alpha', 'beta', 'hooks']);
    for (const app of r.apps) {
      assert.equal(app.sync, 'Unknown');
      for (const res of app.resources) assert.equal(res.status, 'Unknown');
    }
    assert.deepEqual(r.apps.find((x) => x.name === 'hooks')!.resources.map((x) => x.name), ['hooks-cm'], 'hook resources are not compared');
  } finally {
    engine.dispose();
  }
});

test('fileChanged re-renders only the app that reads the file; unsaved text is used; locate is a map read', async () => {
  const engine = Engine.create({ root, kubeconfig: path.join(root, 'no-such-kubeconfig'), watch: false, debounceMs: 1 });
  try {
    await engine.start();
    const betaBefore = engine.report().apps.find((x) => x.name === 'beta');
    const notified = new Promise<void>((resolve) => { const off = engine.onDidChange(() => { off(); resolve(); }); });
    await engine.fileChanged(a, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: alpha\ndata:\n  key: one\n  added: yes\n');
    await notified;
    const after = engine.report();
    assert.equal(after.apps.find((x) => x.name === 'beta'), betaBefore, 'beta untouched (same report object)');
    const desired = engine.desired({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'alpha' });
    assert.deepEqual(desired?.object.data, { key: 'one', added: 'yes' }, 'the unsaved buffer was rendered');
    const hit = engine.locate(a, 7);
    assert.equal(hit?.pointer, '/data/added');
    assert.equal(hit?.desiredValue, 'yes');
    assert.equal(hit?.resource.name, 'alpha');
    assert.equal(engine.locate(a, 99), undefined);
    // A change to a file that may define apps re-discovers; apps that did not change keep their render.
    await engine.fileChanged(path.join(root, 'beta', 'kustomization.yaml'));
    assert.ok(engine.desired({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'beta' }), 'beta still rendered after re-discovery');
    assert.equal(engine.locate(a, 7)?.pointer, '/data/added');
    // How cheap locate() is, is measured by bench/engine.bench.ts, not asserted here (timing is load-dependent).
  } finally {
    engine.dispose();
  }
});

test('hover index per file: a lookup computes the field sources of that file only; a namespace set from the Application is found in its file', async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-engine-lines-'));
  try {
    const put = (rel: string, text: string) => { const f = path.join(ws, rel); fs.mkdirSync(path.dirname(f), { recursive: true }); fs.writeFileSync(f, text); return f; };
    const appFile = put('argocd/web.yaml', 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\nspec:\n  destination:\n    namespace: web\n  source:\n    repoURL: https://example.com/repo.git\n    path: apps/web\n');
    const one = put('apps/web/one.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\ndata:\n  a: "1"\n');
    put('apps/web/two.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: two\ndata:\n  b: "2"\n');
    const engine = Engine.create({ root: ws, kubeconfig: path.join(ws, 'no-such-kubeconfig'), watch: false });
    try {
      await engine.start();
      const sources = (name: string) => engine.desired({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'web', name })!.fieldSources as unknown as { pendingParse: boolean };
      assert.equal(sources('one').pendingParse, true, 'nothing computed before a lookup');
      assert.equal(engine.locate(one, 6)?.pointer, '/data/a');
      assert.equal(sources('one').pendingParse, false);
      assert.equal(sources('two').pendingParse, true, 'the other file was not computed for a lookup in one.yaml');
      // The objects' namespace comes from the Application (its definition starts at line 1 of its file).
      const ns = engine.locate(appFile, 1);
      assert.equal(ns?.pointer, '/metadata/namespace', JSON.stringify(ns));
    } finally {
      engine.dispose();
    }
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
});

test('a manifest saved in a new folder makes a new app; the other apps are not rendered again; unsaved edits never re-discover', async () => {
  const engine = Engine.create({ root, kubeconfig: path.join(root, 'no-such-kubeconfig'), watch: false, debounceMs: 1 });
  try {
    await engine.start();
    const alphaRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'alpha' };
    const alphaBefore = engine.desired(alphaRef);
    assert.ok(alphaBefore);
    const fresh = path.join(root, 'gamma', 'cm.yaml');
    // an unsaved buffer of a file that does not exist on disk yet: nothing happens
    await engine.fileChanged(fresh, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gamma\n');
    assert.equal(engine.report().apps.some((x) => x.name === 'gamma'), false);
    // files discovery never reads (hidden folders, node_modules, YAML that is not a manifest, JSON without an
    // ApplicationSet) do not re-discover
    engine.timings.discover = -1; // set by every discovery pass
    for (const rel of ['.vscode/apps.yaml', 'node_modules/x/cm.yaml', 'notes/todo.yaml', 'tools/package.json']) {
      write(rel, rel.endsWith('.json') ? '{}' : rel.startsWith('notes') ? 'todo: write docs\n' : 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
      await engine.fileChanged(path.join(root, rel));
    }
    assert.equal(engine.timings.discover, -1, 'no re-discovery');
    write('gamma/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gamma\n');
    await engine.fileChanged(fresh);
    const after = engine.report();
    assert.deepEqual(after.apps.find((x) => x.name === 'gamma')?.resources.map((r) => r.name), ['gamma']);
    assert.equal(engine.desired(alphaRef), alphaBefore, 'alpha kept its render (the same desired object)');
  } finally {
    engine.dispose();
    for (const dir of ['gamma', '.vscode', 'node_modules', 'notes', 'tools']) fs.rmSync(path.join(root, dir), { recursive: true, force: true });
  }
});

test('a folder deleted from disk takes its apps with it', async () => {
  write('delta/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: delta\n');
  const engine = Engine.create({ root, kubeconfig: path.join(root, 'no-such-kubeconfig'), watch: false, debounceMs: 1 });
  try {
    await engine.start();
    assert.ok(engine.report().apps.some((x) => x.name === 'delta'));
    fs.rmSync(path.join(root, 'delta'), { recursive: true });
    await engine.fileChanged(path.join(root, 'delta'));
    assert.deepEqual(engine.report().apps.map((x) => x.name).sort(), ['alpha', 'beta', 'hooks']);
  } finally {
    engine.dispose();
  }
});

test('a folder that appears with its files is one change: one discovery, the new app with all its files', async () => {
  const engine = Engine.create({ root, kubeconfig: path.join(root, 'no-such-kubeconfig'), watch: false, debounceMs: 1 });
  try {
    await engine.start();
    write('epsilon/a.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: eps-a\n');
    write('epsilon/b.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: eps-b\n');
    await engine.fileChanged(path.join(root, 'epsilon'));
    assert.deepEqual(engine.report().apps.find((x) => x.name === 'epsilon')?.resources.map((r) => r.name).sort(), ['eps-a', 'eps-b']);
  } finally {
    engine.dispose();
    fs.rmSync(path.join(root, 'epsilon'), { recursive: true, force: true });
  }
});

test('a folder that appears inside an app that reads it (a recursive directory app) renders that app again', async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-engine-recurse-'));
  const put = (rel: string, text: string) => { fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true }); fs.writeFileSync(path.join(ws, rel), text); };
  put('argocd/rec.yaml', 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: rec\nspec:\n  source:\n    repoURL: https://example.invalid/r.git\n    path: rec\n    directory:\n      recurse: true\n  destination:\n    namespace: rec\n');
  put('rec/top.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: top\n');
  const engine = Engine.create({ root: ws, kubeconfig: path.join(ws, 'no-such-kubeconfig'), watch: false, debounceMs: 1 });
  try {
    await engine.start();
    put('rec/sub/deep.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\n');
    await engine.fileChanged(path.join(ws, 'rec', 'sub'));
    assert.deepEqual(engine.report().apps.find((x) => x.name === 'rec')?.resources.map((r) => r.name).sort(), ['deep', 'top']);
  } finally {
    engine.dispose();
    fs.rmSync(ws, { recursive: true, force: true });
  }
});
