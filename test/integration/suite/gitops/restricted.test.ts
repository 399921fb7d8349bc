// Restricted mode inside the real host: an untrusted workspace compares plain YAML against the cluster,
// never runs Helm or Kustomize (not even through workspace settings), and says so in the view.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as vscode from 'vscode';
import type { GitOpsApi } from '../../../../src/extension/extension';
import { dumpLogOnFailure, kubectl, lineOf, readyApi, waitFor, workspaceFile } from './helpers';

describe('restricted mode (untrusted workspace)', function () {
  this.timeout(120_000);
  let api: GitOpsApi;
  dumpLogOnFailure(() => api);

  before(async function () {
    api = await readyApi(this);
  });

  it('opens untrusted and says what is off', () => {
    assert.equal(vscode.workspace.isTrusted, false, 'the harness opened the folder in restricted mode');
    assert.ok(api.log().some((l) => /restricted mode: plain YAML only, no helm\/kustomize, no exec plugins/.test(l)), api.log().join('\n'));
  });

  it('compares plain YAML with the live cluster; Helm and Kustomize apps are not rendered, their tools never run', async () => {
    const { value: report } = await waitFor('three apps, cluster connected', () => {
      const r = api.report();
      return r && r.cluster.state === 'connected' && r.apps.length >= 3 && r.apps.every((a) => a.sync !== 'Unknown' || a.error) ? r : undefined;
    }, 30_000);
    const byRenderer = (renderer: string) => report.apps.find((a) => a.renderer === renderer);
    assert.equal(byRenderer('directory')?.sync, 'Synced', JSON.stringify(byRenderer('directory')));
    for (const renderer of ['kustomize', 'helm']) {
      const app = byRenderer(renderer);
      assert.ok(app, `${renderer} app found: ${report.apps.map((a) => a.renderer).join(', ')}`);
      assert.match(app!.error ?? '', /not trusted/, `${renderer}: ${JSON.stringify(app)}`);
    }
    assert.equal(fs.existsSync(process.env.GITOPS_TEST_TOOL_MARKER!), false, 'the helm/kustomize paths from workspace settings never ran');
  });

  it('still shows live drift on plain YAML', async () => {
    const web = workspaceFile('apps/web/deployment.yaml');
    const doc = await vscode.workspace.openTextDocument(web);
    await vscode.window.showTextDocument(doc);
    const line = lineOf(doc, 'replicas:');
    kubectl(['scale', 'deployment/web', '-n', 'web', '--replicas=5']);
    await waitFor('drift mark on replicas', () => api.decorationsFor(web).some((m) => m.line === line && /live: 5/.test(m.text)), 15_000);
    assert.equal(fs.existsSync(process.env.GITOPS_TEST_TOOL_MARKER!), false);
  });
});
