// ApplicationSets inside the real host: the Applications an ApplicationSet in the workspace generates are the
// apps of the view (compared with the cluster, drift marked in their files), and a folder created under the
// generator's path becomes an app without a refresh (the file watcher re-discovers).
import assert from 'node:assert/strict';
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
});
