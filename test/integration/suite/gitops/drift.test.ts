// The extension in a real VS Code against the sandbox: a synced workspace, then drift made with real
// kubectl (scale, set image). Checks the tree, the inline decoration and its latency, the hover, the
// Problems panel, CodeLens, the live diff editor, "Adopt live value", edits that clear drift with the
// cluster frozen (no round trip), and healing.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { GitOpsApi } from '../../../../src/extension/extension';
import { dumpLogOnFailure, hoverText, kubectl, lineOf, readyApi, record, waitFor, workspaceFile } from './helpers';

describe('drift in the editor (sandbox)', function () {
  this.timeout(120_000);
  let api: GitOpsApi;
  const web = workspaceFile('apps/web/deployment.yaml');
  const apiFile = workspaceFile('apps/api/deployment.yaml');
  const latency: Record<string, number> = {};

  dumpLogOnFailure(() => api);

  before(async function () {
    api = await readyApi(this);
    await waitFor('a connected report with the web and api apps', () => {
      const r = api.report();
      return r?.cluster.state === 'connected' && r.apps.some((a) => a.resources.some((x) => x.name === 'web')) && r.apps.some((a) => a.resources.some((x) => x.name === 'api'));
    }, 30_000);
  });

  after(() => record('drift-latency', latency));

  const appOf = (resource: string) => api.report()!.apps.find((a) => a.resources.some((r) => r.name === resource && r.kind === 'Deployment'))!;
  const marksAt = (uri: vscode.Uri, line: number) => api.decorationsFor(uri).filter((m) => m.line === line);
  /** Put the text back by an edit (the buffer then equals the file), then revert to drop the dirty flag. */
  const restore = async (doc: vscode.TextDocument, text: string) => {
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(0, 0, doc.lineCount, 0), text);
    await vscode.workspace.applyEdit(edit);
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  };

  it('shows each app Synced while the cluster matches Git', async () => {
    await waitFor('web and api Synced', () => appOf('web').sync === 'Synced' && appOf('api').sync === 'Synced', 15_000);
    const tree = api.treeSnapshot();
    const web = tree.find((n) => n.id === `app:${appOf('web').name}`);
    assert.ok(web, `no tree item for the web app in ${JSON.stringify(tree)}`);
    assert.match(web!.description ?? '', /^Synced/);
  });

  it('a kubectl scale shows as a decoration on the replicas line within 1 s', async () => {
    const doc = await vscode.workspace.openTextDocument(web);
    await vscode.window.showTextDocument(doc);
    const line = lineOf(doc, 'replicas:');
    assert.equal(marksAt(web, line).length, 0, 'no mark before the drift');
    const began = performance.now();
    kubectl(['scale', 'deployment/web', '-n', 'web', '--replicas=5']);
    const accepted = performance.now();
    const { value } = await waitFor('the replicas decoration', () => marksAt(web, line).find((m) => /live: 5/.test(m.text)), 5_000);
    const shown = performance.now();
    latency.scaleToDecorationMs = Math.round(shown - accepted);
    latency.scaleIncludingKubectlMs = Math.round(shown - began);
    assert.equal(value.kind, 'drift');
    assert.match(value.text, /^live: 5 · kubectl\S* · \d+s ago$/);
    assert.ok(latency.scaleToDecorationMs < 1000, `decoration came ${latency.scaleToDecorationMs} ms after kubectl scale returned`);
    // Only the drifted line is marked.
    assert.deepEqual(api.decorationsFor(web).map((m) => m.line), [line]);
  });

  it('the tree shows the app OutOfSync down to the drifted field', () => {
    const name = appOf('web').name;
    const tree = api.treeSnapshot();
    assert.match(tree.find((n) => n.id === `app:${name}`)!.description!, /^OutOfSync/);
    const field = tree.find((n) => n.id.startsWith(`field:${name}:`) && n.label === '/spec/replicas');
    assert.ok(field, 'no drifted-field item for /spec/replicas');
    assert.match(field!.description!, /^2 -> 5, by kubectl/);
  });

  it('hover on the drifted value shows Git, live value and manager', async () => {
    const doc = await vscode.workspace.openTextDocument(web);
    const line = lineOf(doc, 'replicas:');
    const col = doc.lineAt(line).text.indexOf('2');
    const h0 = performance.now();
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', web, new vscode.Position(line, col));
    latency.hoverRoundTripMs = Math.round(performance.now() - h0);
    latency.hoverProviderMs = Number(api.lastHoverMs().toFixed(2));
    const text = hoverText(hovers);
    assert.match(text, /Git: `2`/);
    assert.match(text, /Live: `5`/);
    assert.match(text, /Changed by `kubectl/);
    assert.match(text, /command:gitops\.showLiveDiff/);
  });

  it('the Problems panel lists one gitops Warning on that line, and CodeLens counts it', async () => {
    const doc = await vscode.workspace.openTextDocument(web);
    const line = lineOf(doc, 'replicas:');
    const { value: diags } = await waitFor('a gitops diagnostic', () => {
      const d = vscode.languages.getDiagnostics(web).filter((x) => x.source === 'gitops');
      return d.length ? d : undefined;
    });
    assert.equal(diags.length, 1);
    assert.equal(diags[0].severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(diags[0].range.start.line, line);
    assert.equal(doc.getText(diags[0].range), '2');
    assert.match(diags[0].message, /Git has 2, live is 5/);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', web);
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.ok(titles.some((t) => /OutOfSync · 1 drifted field$/.test(t)), titles.join(' | '));
    assert.ok(titles.includes('Show diff') && titles.includes('Request sync'));
  });

  it('"GitOps: Show Live Diff" opens a diff editor of live vs Git', async () => {
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(web));
    const line = lineOf(editor.document, 'replicas:');
    editor.selection = new vscode.Selection(line, 12, line, 12);
    await vscode.commands.executeCommand('gitops.showLiveDiff');
    const { value: input } = await waitFor('a diff tab', () => {
      const i = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      return i instanceof vscode.TabInputTextDiff && i.original.scheme === 'gitops-live' ? i : undefined;
    });
    assert.equal(input.modified.scheme, 'gitops-desired');
    const live = (await vscode.workspace.openTextDocument(input.original)).getText();
    const desired = (await vscode.workspace.openTextDocument(input.modified)).getText();
    assert.match(live, /replicas: 5/);
    assert.match(desired, /replicas: 2/);
    assert.doesNotMatch(live, /managedFields|resourceVersion/, 'the live side is normalized as compared');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('"Reveal in Applications" selects the drifted field in the tree', async () => {
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(web));
    const line = lineOf(editor.document, 'replicas:');
    editor.selection = new vscode.Selection(line, 12, line, 12);
    await vscode.commands.executeCommand('gitops.revealInTree');
    const { value } = await waitFor('a selection in the tree', () => api.services.treeView.selection[0], 10_000);
    assert.equal(value.type, 'field');
    assert.ok(value.id.endsWith(':/spec/replicas'), value.id);
  });

  it('a kubectl set image shows on the image line; "Adopt live value" rewrites only that value', async () => {
    const doc = await vscode.workspace.openTextDocument(apiFile);
    const editor = await vscode.window.showTextDocument(doc);
    const original = doc.getText();
    const line = lineOf(doc, 'image:');
    kubectl(['set', 'image', 'deployment/api', '-n', 'api', 'api=ghcr.io/acme/api:2.2.0']);
    await waitFor('the image decoration', () => marksAt(apiFile, line).find((m) => m.text.startsWith('live: ghcr.io/acme/api:2.2.0')), 5_000);
    editor.selection = new vscode.Selection(line, 20, line, 20);
    const ok = await vscode.commands.executeCommand('gitops.adoptLiveValue');
    assert.equal(ok, true);
    assert.equal(doc.getText(), original.replace('"ghcr.io/acme/api:2.1.0" # bumped by CI', '"ghcr.io/acme/api:2.2.0" # bumped by CI'));
    // The unsaved buffer now matches live: the mark goes without anything saved.
    const { ms } = await waitFor('the image mark to clear after adopting', () => marksAt(apiFile, line).length === 0, 5_000);
    latency.adoptToClearedMs = Math.round(ms);
    assert.ok(doc.isDirty);
    await restore(doc, original);
    await waitFor('the image mark back once the buffer has Git\'s value again', () => marksAt(apiFile, line).length === 1, 10_000);
  });

  it('editing the YAML to match the live value clears the mark with the cluster frozen (no round trip)', async () => {
    const doc = await vscode.workspace.openTextDocument(web);
    await vscode.window.showTextDocument(doc);
    const line = lineOf(doc, 'replicas:');
    const original = doc.getText();
    assert.equal(marksAt(web, line).length, 1);
    const pid = Number(process.env.GITOPS_TEST_SANDBOX_PID);
    process.kill(pid, 'SIGSTOP'); // any request to the API server now hangs
    try {
      const col = doc.lineAt(line).text.indexOf('2');
      const edit = new vscode.WorkspaceEdit();
      edit.replace(web, new vscode.Range(line, col, line, col + 1), '5');
      await vscode.workspace.applyEdit(edit);
      const { ms } = await waitFor('the replicas mark to clear after the edit', () => marksAt(web, line).length === 0, 5_000);
      latency.editToClearedMs = Math.round(ms);
      assert.equal(vscode.languages.getDiagnostics(web).filter((d) => d.source === 'gitops').length, 0, 'the warning clears too');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await restore(doc, original);
    await waitFor('the replicas mark back once the buffer has Git\'s value again', () => marksAt(web, line).length === 1, 10_000);
  });

  it('healing the cluster (scale back to Git) removes the mark within 1 s', async () => {
    const doc = await vscode.workspace.openTextDocument(web);
    await vscode.window.showTextDocument(doc);
    const line = lineOf(doc, 'replicas:');
    kubectl(['scale', 'deployment/web', '-n', 'web', '--replicas=2']);
    const { ms } = await waitFor('the replicas mark to go', () => marksAt(web, line).length === 0, 5_000);
    latency.healToClearedMs = Math.round(ms);
    assert.ok(ms < 1000, `mark cleared ${Math.round(ms)} ms after healing`);
    await waitFor('web Synced again', () => appOf('web').sync === 'Synced', 5_000);
    assert.equal(vscode.languages.getDiagnostics(web).filter((d) => d.source === 'gitops').length, 0);
  });

  it('gitops.decorations.enabled=false removes the marks; true brings them back', async () => {
    kubectl(['scale', 'deployment/web', '-n', 'web', '--replicas=6']);
    const doc = await vscode.workspace.openTextDocument(web);
    await vscode.window.showTextDocument(doc);
    const line = lineOf(doc, 'replicas:');
    await waitFor('the mark', () => marksAt(web, line).length === 1, 5_000);
    const config = vscode.workspace.getConfiguration('gitops');
    await config.update('decorations.enabled', false, vscode.ConfigurationTarget.Workspace);
    await waitFor('no marks', () => api.decorationsFor(web).length === 0, 5_000);
    await config.update('decorations.enabled', undefined, vscode.ConfigurationTarget.Workspace);
    await waitFor('the mark back', () => marksAt(web, line).length === 1, 5_000);
  });

  it('changing gitops.context restarts the engine: a wrong context says so, the right one reconnects', async () => {
    const config = vscode.workspace.getConfiguration('gitops');
    await config.update('context', 'no-such-context', vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor('the engine to report the bad context', () => {
        const r = api.report();
        return api.services.host.state === 'error' || (r && r.cluster.state !== 'connected');
      }, 15_000);
      const said = [api.services.host.startError ?? '', api.report()?.cluster.message ?? '', ...api.log().slice(-10)].join('\n');
      assert.match(said, /no-such-context/, 'the reason names the context');
    } finally {
      await config.update('context', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await waitFor('connected again', () => api.report()?.cluster.state === 'connected' && api.report()?.context === 'sandbox', 30_000);
  });

  it('a new manifest not in the cluster is Missing: marked on its first line', async () => {
    const file = workspaceFile('apps/web/feature-flags.yaml');
    await vscode.workspace.fs.writeFile(file, Buffer.from('# flags for the web tier\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: feature-flags\n  namespace: web\ndata:\n  NEW_CHECKOUT: "on"\n'));
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    const { value } = await waitFor('a Missing mark', () => api.decorationsFor(file).find((m) => m.kind === 'missing'), 15_000);
    assert.equal(value.line, lineOf(doc, 'apiVersion:'));
    assert.match(value.text, /missing in cluster/);
    assert.match(api.treeSnapshot().find((n) => n.label === 'ConfigMap/feature-flags')?.description ?? '', /^Missing/);
  });
});
