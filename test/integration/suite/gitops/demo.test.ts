// "Start Sandbox Demo" in an empty workspace: the extension spawns the bundled CLI's sandbox with the demo
// repo, connects to it, shows the demo apps (with the demo's kubectl-scale drift), and "Request Sync" makes
// the Argo-CD-like agent re-apply Git so the drift goes. The sandbox is stopped by the extension.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { GitOpsApi } from '../../../../src/extension/extension';
import { dumpLogOnFailure, gitopsApi, record, waitFor } from './helpers';

describe('Start Sandbox Demo and Request Sync', function () {
  this.timeout(180_000);
  let api: GitOpsApi;
  const figures: Record<string, number> = {};
  dumpLogOnFailure(() => api);

  before(async () => {
    api = await gitopsApi();
    await api.ready();
  });

  after(() => {
    record('sandbox-demo', figures);
    api?.stopSandbox();
  });

  const web = () => api.report()?.apps.find((a) => a.name === 'web');

  it('starts the sandbox demo, connects to it and shows its apps with the drift', async () => {
    assert.notEqual(api.services.host.state, 'ready', 'the empty workspace has no apps before the demo');
    const began = performance.now();
    const result = await vscode.commands.executeCommand<{ kubeconfig: string; clone?: string }>('gitops.startSandbox');
    assert.ok(result?.clone, 'the demo clone path was read from the sandbox output');
    figures.startSandboxMs = Math.round(performance.now() - began);
    await waitFor('the demo apps, connected', () => {
      const r = api.report();
      return r?.cluster.state === 'connected' && ['api', 'shop', 'web'].every((n) => r.apps.some((a) => a.name === n));
    }, 60_000);
    figures.connectedMs = Math.round(performance.now() - began);
    await waitFor('web OutOfSync on /spec/replicas', () => web()?.resources.some((r) => r.drift.some((d) => d.path === '/spec/replicas' && d.live === 3)), 30_000);
    assert.equal(api.report()!.context, 'sandbox');
    assert.match(api.treeSnapshot().find((n) => n.id === 'app:web')!.description!, /^OutOfSync/);
  });

  it('"Request Sync" asks the agent, which re-applies Git: the drift goes', async () => {
    const began = performance.now();
    await vscode.commands.executeCommand('gitops.requestSync', { app: 'web' });
    await waitFor('web Synced after the agent synced', () => web()?.sync === 'Synced', 90_000);
    figures.requestSyncToSyncedMs = Math.round(performance.now() - began);
  });
});
