// A multi-root workspace: one engine discovers the apps of every folder, a folder inside another is not read
// twice, an Application in one folder that points into another (one repository) is one app, messages name
// their folder, and file changes and locate() work in every folder.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { Engine } from '../../src/core/engine';
import { folderHolding, outermostFolders } from '../../src/core/folders';

const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-multiroot-'));
after(() => fs.rmSync(repo, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const file = path.join(repo, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

const cm = (name: string, value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  key: ${value}\n`;
// One repository (the Application resolves its path from the git root), opened as two folders.
fs.mkdirSync(path.join(repo, '.git'));
const platform = path.join(repo, 'platform');
const teams = path.join(repo, 'teams');
write('platform/argocd/payments.yaml', `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: payments
  namespace: argocd
spec:
  source:
    repoURL: https://example.invalid/repo.git
    path: teams/payments
  destination:
    namespace: payments
`);
write('platform/ingress/cm.yaml', cm('ingress', 'one'));
const payments = write('teams/payments/cm.yaml', cm('payments', 'two'));
const search = write('teams/search/cm.yaml', cm('search', 'three'));
write('teams/broken/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n');

const noCluster = path.join(repo, 'no-such-kubeconfig');

test('folders: outermost only, deepest holder', () => {
  assert.deepEqual(outermostFolders(['/a', '/a/b', '/c', '/a', '/ab']), ['/a', '/c', '/ab']);
  assert.equal(folderHolding(['/a', '/a/b'], '/a/b/x.yaml'), '/a/b');
  assert.equal(folderHolding(['/a', '/a/b'], '/a/bc/x.yaml'), '/a');
  assert.equal(folderHolding(['/a'], '/a'), '/a');
  assert.equal(folderHolding(['/a'], '/ab/x.yaml'), undefined);
});

test('every folder is discovered; an app defined in one folder and written in another is one app', async () => {
  const engine = Engine.create({ root: platform, roots: [platform, teams], kubeconfig: noCluster, watch: false });
  try {
    await engine.start();
    const apps = engine.report().apps;
    assert.deepEqual(apps.map((a) => a.name).sort(), ['broken', 'ingress', 'payments', 'search']);
    const paymentsApp = apps.find((a) => a.name === 'payments')!;
    assert.equal(paymentsApp.origin, 'argocd-application', 'the Application wins over the folder rule of the other folder');
    assert.equal(paymentsApp.path, path.join(teams, 'payments'));
    assert.equal(paymentsApp.namespace, 'payments');
    assert.equal(apps.filter((a) => a.path === path.join(teams, 'payments')).length, 1);
    const broken = apps.find((a) => a.name === 'broken')!;
    assert.match(broken.error ?? '', /cm\.yaml/, 'a broken file in the second folder is that app\'s error');
    assert.equal(engine.rootOf(search), teams);
    assert.equal(engine.rootOf(path.join(platform, 'ingress', 'cm.yaml')), platform);
    // locate and fileChanged in the second folder
    assert.equal(engine.locate(search, 6)?.pointer, '/data/key');
    await engine.fileChanged(payments, cm('payments', 'changed'));
    assert.deepEqual(engine.desired({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'payments', name: 'payments' })?.object.data, { key: 'changed' });
  } finally {
    engine.dispose();
  }
});

test('a folder inside another is read once; one folder behaves as before', async () => {
  const nested = Engine.create({ root: repo, roots: [repo, teams], kubeconfig: noCluster, watch: false });
  const single = Engine.create({ root: repo, kubeconfig: noCluster, watch: false });
  try {
    await nested.start();
    await single.start();
    const names = (e: Engine) => e.report().apps.map((a) => `${a.name}:${a.path}`).sort();
    assert.deepEqual(names(nested), names(single));
    assert.equal(new Set(nested.report().apps.map((a) => a.name)).size, nested.report().apps.length, 'no app twice');
  } finally {
    nested.dispose();
    single.dispose();
  }
});

test('with several folders, discovery messages name the folder', async () => {
  const other = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-multiroot-other-'));
  try {
    fs.mkdirSync(path.join(other, 'defs'));
    // An Application whose path is nowhere in the workspace: a note, naming this folder.
    fs.writeFileSync(path.join(other, 'defs', 'app.yaml'), 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: elsewhere\nspec:\n  source:\n    repoURL: https://example.invalid/x.git\n    path: not/here\n  destination:\n    namespace: x\n');
    const engine = Engine.create({ root: teams, roots: [teams, other], kubeconfig: noCluster, watch: false });
    try {
      await engine.start();
      const notes = engine.notes();
      assert.ok(notes.some((n) => n.startsWith(`${path.basename(other)}: `) && /elsewhere/.test(n)), notes.join('\n'));
    } finally {
      engine.dispose();
    }
  } finally {
    fs.rmSync(other, { recursive: true, force: true });
  }
});
