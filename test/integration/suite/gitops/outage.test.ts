// Cluster down and back: the sandbox is stopped by PID; the tree and hover must say Unknown/unreachable
// within seconds (never a stale "Synced" or a stale drift claim), then recover by themselves when the
// sandbox is restarted on the same port with the same --state.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import * as vscode from 'vscode';
import type { GitOpsApi } from '../../../../src/extension/extension';
import { dumpLogOnFailure, hoverText, kubectl, lineOf, readyApi, record, waitFor, workspaceFile } from './helpers';

describe('cluster down and back (sandbox restart)', function () {
  this.timeout(180_000);
  let api: GitOpsApi;
  let restarted: ChildProcess | undefined;
  const web = workspaceFile('apps/web/deployment.yaml');
  const figures: Record<string, number> = {};

  dumpLogOnFailure(() => api);

  before(async function () {
    api = await readyApi(this);
    await waitFor('connected', () => api.report()?.cluster.state === 'connected', 30_000);
  });

  after(() => {
    record('outage', figures);
    if (restarted?.pid && restarted.exitCode === null) { try { process.kill(-restarted.pid, 'SIGTERM'); } catch { /* gone */ } }
  });

  const webApp = () => api.report()!.apps.find((a) => a.resources.some((r) => r.name === 'web'));

  it('says Unknown / unreachable within seconds when the API server goes away', async () => {
    const doc = await vscode.workspace.openTextDocument(web);
    await vscode.window.showTextDocument(doc);
    const line = lineOf(doc, 'replicas:');
    kubectl(['scale', 'deployment/web', '-n', 'web', '--replicas=4']);
    await waitFor('drift shown', () => api.decorationsFor(web).some((m) => m.line === line && /live: 4/.test(m.text)), 5_000);
    const pid = Number(process.env.GITOPS_TEST_SANDBOX_PID);
    const began = performance.now();
    process.kill(-pid, 'SIGTERM');
    await waitFor('cluster not connected', () => api.report()?.cluster.state !== 'connected', 20_000);
    figures.downToUnknownMs = Math.round(performance.now() - began);
    const tree = api.treeSnapshot();
    const app = tree.find((n) => n.id === `app:${webApp()!.name}`)!;
    assert.match(app.description ?? '', /^Unknown/);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', web, new vscode.Position(line, 12));
    assert.match(hoverText(hovers), /Live: \*\*Unknown\*\*/);
    assert.ok(!api.decorationsFor(web).some((m) => m.kind === 'drift'), 'no drift claimed from a stale cache');
    assert.ok(api.decorationsFor(web).some((m) => m.kind === 'unknown'));
    assert.equal(vscode.languages.getDiagnostics(web).filter((d) => d.source === 'gitops').length, 0, 'no drift warning while unknown');
    assert.ok(figures.downToUnknownMs < 10_000, `took ${figures.downToUnknownMs} ms`);
  });

  it('recovers by itself when the sandbox is back on the same port and state', async () => {
    const kubeconfig = process.env.GITOPS_TEST_KUBECONFIG!;
    const root = process.env.GITOPS_TEST_PROJECT_ROOT!;
    const args = [path.join(root, 'dist/cli.cjs'), 'sandbox', '--port', process.env.GITOPS_TEST_SANDBOX_PORT!, '--kubeconfig', kubeconfig,
      '--state', path.join(path.dirname(kubeconfig), 'state'), '--no-agent'];
    const began = performance.now();
    restarted = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    let out = '';
    restarted.stdout!.on('data', (b) => { out += b; });
    restarted.stderr!.on('data', (b) => { out += b; });
    await waitFor(`sandbox ready again (${out})`, () => /\bready\b/.test(out), 60_000);
    const ready = performance.now();
    await waitFor('connected again', () => api.report()?.cluster.state === 'connected', 60_000);
    figures.restartToConnectedMs = Math.round(performance.now() - ready);
    figures.sandboxRestartMs = Math.round(ready - began);
    const doc = await vscode.workspace.openTextDocument(web);
    const line = lineOf(doc, 'replicas:');
    await waitFor('the drift back on the replicas line', () => api.decorationsFor(web).some((m) => m.line === line && /live: 4/.test(m.text)), 15_000);
    assert.match(api.treeSnapshot().find((n) => n.id === `app:${webApp()!.name}`)!.description ?? '', /^OutOfSync/);
  });
});
