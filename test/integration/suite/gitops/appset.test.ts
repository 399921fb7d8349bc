// ApplicationSets inside the real host: the Applications an ApplicationSet in the workspace generates are the
// apps of the view (compared with the cluster, drift marked in their files), and a folder created under the
// generator's path becomes an app without a refresh (the file watcher re-discovers).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { GitOpsApi } from '../../../../src/extension/extension';
import { dumpLogOnFailure, kubectl, lineOf, readyApi, waitFor, workspaceFile } from './helpers';

describe('ApplicationSet apps', function () {
  this.timeout(120_000);
  let api: GitOpsApi;
  dumpLogOnFailure(() => api);

  before(async function () {
    api = await readyApi(this);
  });

  it('shows the generated Applications as apps, Synced, found by the ApplicationSet', async () => {
    const { value: report } = await waitFor('web and api from the ApplicationSet', () => {
      const r = api.report();
      return r && r.cluster.state === 'connected' && ['web', 'api'].every((n) => r.apps.some((a) => a.name === n && a.sync === 'Synced')) ? r : undefined;
    }, 30_000);
    for (const name of ['web', 'api']) {
      const app = report.apps.find((a) => a.name === name)!;
      assert.equal(app.origin, 'argocd-applicationset');
      assert.equal(app.namespace, name);
    }
    assert.ok(api.treeSnapshot().some((n) => n.label === 'web' && /Synced/.test(n.description ?? '')), JSON.stringify(api.treeSnapshot()));
  });

  it('marks live drift in a generated app\'s file', async () => {
    const file = workspaceFile('apps/web/deployment.yaml');
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    const line = lineOf(doc, 'replicas:');
    kubectl(['scale', 'deployment/web', '-n', 'web', '--replicas=6']);
    await waitFor('drift mark on replicas', () => api.decorationsFor(file).some((m) => m.line === line && /live: 6/.test(m.text)), 15_000);
  });

  it('a folder created under apps/ becomes an app without a refresh', async () => {
    // Through VS Code's file service, as the explorer or a save does (its watcher sees it at once).
    await vscode.workspace.fs.writeFile(workspaceFile('apps/cache/configmap.yaml'),
      Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cache-settings\ndata:\n  SIZE: "512"\n'));
    const { value: app } = await waitFor('app cache', () => api.report()?.apps.find((a) => a.name === 'cache'), 20_000);
    assert.equal(app.origin, 'argocd-applicationset');
    assert.equal(app.namespace, 'cache');
    assert.deepEqual(app.resources.map((r) => [r.name, r.namespace, r.status]), [['cache-settings', 'cache', 'Missing']]);
  });

  it('a folder tree moved in from outside (git checkout, unzip, mv) becomes an app too', async () => {
    // The watcher reports only the folder moved in, never the files already in it (on Linux it also misses files
    // written right after their folder is made: mkdir -p, git pull): the extension reads a new folder itself.
    const staging = fs.mkdtempSync(path.join(path.dirname(workspaceFile('.').fsPath), 'staging-'));
    fs.mkdirSync(path.join(staging, 'queue', 'base'), { recursive: true });
    fs.writeFileSync(path.join(staging, 'queue', 'configmap.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: queue-settings\ndata:\n  DEPTH: "8"\n');
    fs.renameSync(path.join(staging, 'queue'), workspaceFile('apps/queue').fsPath);
    const { value: app } = await waitFor('app queue', () => api.report()?.apps.find((a) => a.name === 'queue'), 20_000);
    assert.equal(app.origin, 'argocd-applicationset');
    assert.deepEqual(app.resources.map((r) => [r.name, r.status]), [['queue-settings', 'Missing']]);
  });

  it('a folder deleted outside VS Code takes its app with it', async () => {
    fs.rmSync(workspaceFile('apps/queue').fsPath, { recursive: true });
    await waitFor('app queue gone', () => api.report()?.apps.every((a) => a.name !== 'queue'), 20_000);
    assert.ok(api.report()!.apps.some((a) => a.name === 'web'), 'the other apps stay');
  });
});
