// The extension's own commands (the git workflow commands are in gitCommands.ts).
import * as vscode from 'vscode';
import type { Services } from '../services';
import { openLiveDiff } from '../editor/liveDiff';
import { resourceNodeId } from '../tree/applicationsTree';
import type { TargetArg } from '../editor/format';

export function registerCoreCommands(context: vscode.ExtensionContext, s: Services): void {
  const { host, output } = s;
  const reg = (id: string, fn: (...args: any[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try { return await fn(...args); } catch (err) { s.fail(id.replace('gitops.', ''), err); return undefined; }
    }));

  reg('gitops.refresh', async () => {
    await vscode.window.withProgress({ location: { viewId: 'gitops.applications' } }, () => host.refresh());
  });

  reg('gitops.showOutput', () => output.show(true));

  reg('gitops.selectKubeconfig', async () => {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Use this kubeconfig', title: 'Kubeconfig file' });
    if (!picked?.length) return;
    host.override = undefined;
    // User settings: a kubeconfig is per machine, and workspace values of it are ignored in restricted mode.
    await vscode.workspace.getConfiguration('gitops').update('kubeconfig', picked[0].fsPath, vscode.ConfigurationTarget.Global);
    output.info(`kubeconfig set to ${picked[0].fsPath}`);
  });

  reg('gitops.selectContext', async () => {
    const opts = host.options();
    const kubeconfig = host.override?.kubeconfig ?? opts?.kubeconfig;
    const { contexts, current, file } = host.heavy().listContexts(kubeconfig);
    if (!contexts.length) {
      const b = await vscode.window.showWarningMessage(`GitOps: no contexts in ${file}.`, 'Select Kubeconfig', 'Start Sandbox Demo');
      if (b === 'Select Kubeconfig') await vscode.commands.executeCommand('gitops.selectKubeconfig');
      if (b === 'Start Sandbox Demo') await vscode.commands.executeCommand('gitops.startSandbox');
      return;
    }
    const active = host.report()?.context ?? current;
    const picked = await vscode.window.showQuickPick(contexts.map((c) => ({ label: c, description: c === active ? 'in use' : c === current ? 'current-context' : '' })),
      { placeHolder: `Cluster context (from ${file})` });
    if (!picked) return;
    if (host.override) { host.override = { ...host.override, context: picked.label }; await host.restart(`context ${picked.label}`); return; }
    const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration('gitops').update('context', picked.label, target);
    output.info(`context set to ${picked.label}`);
  });

  reg('gitops.showLiveDiff', async (arg?: unknown) => {
    await host.ensureStarted();
    const t = s.resolveTarget(arg);
    if (!t?.ref) { void vscode.window.showInformationMessage('GitOps: put the cursor on a field of a mapped object, or pick a resource in the Applications view.'); return; }
    await openLiveDiff(t.app, t.ref);
  });

  reg('gitops.adoptLiveValue', async (arg?: unknown) => {
    await host.ensureStarted();
    const t = s.resolveTarget(arg);
    const engine = host.get();
    if (!t?.file || !t.line || !engine) { void vscode.window.showInformationMessage('GitOps: put the cursor on a drifted value.'); return false; }
    const hit = engine.locate(t.file, t.line);
    const drift = hit?.drift;
    if (!hit || !drift) { void vscode.window.showInformationMessage(`GitOps: line ${t.line} has no drifted value.`); return false; }
    if (hit.resource.kind === 'Secret') { void vscode.window.showWarningMessage('GitOps: Secret values are masked; adopt them by hand.'); return false; }
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(t.file));
    const result = host.heavy().adoptValueEdit(doc.getText(), t.line, drift.path, drift.live);
    if ('error' in result) { void vscode.window.showWarningMessage(`GitOps: cannot adopt ${drift.path}: ${result.error}`); return false; }
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(doc.positionAt(result.edit.start), doc.positionAt(result.edit.end)), result.edit.newText);
    const ok = await vscode.workspace.applyEdit(edit);
    output.info(`adopted live value of ${hit.resource.kind}/${hit.resource.name} ${drift.path} into ${t.file}:${t.line} (${result.edit.newText})`);
    return ok;
  });

  reg('gitops.revealInTree', async (arg?: unknown) => {
    await host.ensureStarted();
    const t = s.resolveTarget(arg);
    if (!t) { await vscode.commands.executeCommand('gitops.applications.focus'); return; }
    const res = t.ref ? host.report()?.apps.find((a) => a.name === t.app)?.resources.find((r) => r.kind === t.ref!.kind && r.name === t.ref!.name && (r.namespace ?? '') === (t.ref!.namespace ?? '')) : undefined;
    const base = res ? resourceNodeId(t.app, res) : `app:${t.app}`;
    const id = res && t.pointer && res.drift.some((d) => d.path === t.pointer) ? `field:${base.slice(4)}:${t.pointer}` : base;
    const node = s.tree.node(id) ?? s.tree.node(base) ?? s.tree.node(`app:${t.app}`);
    if (!node) { await vscode.commands.executeCommand('gitops.applications.focus'); return; }
    await s.treeView.reveal(node, { select: true, focus: true, expand: true });
  });

  reg('gitops.openSource', async (arg?: unknown) => {
    const t = s.resolveTarget(arg) as TargetArg | undefined;
    let file = t?.file;
    let line = t?.line ?? 1;
    if (!file && t) {
      const r = host.report()?.apps.find((a) => a.name === t.app)?.resources.find((x) => x.source);
      file = r?.source?.file;
      line = r?.source?.line ?? 1;
    }
    if (!file) { void vscode.window.showInformationMessage('GitOps: nothing in Git to open for this item.'); return; }
    const pos = new vscode.Position(Math.max(0, line - 1), 0);
    await vscode.window.showTextDocument(vscode.Uri.file(file), { selection: new vscode.Range(pos, pos), preview: true });
  });

  reg('gitops.requestSync', async (arg?: unknown) => {
    const app = await s.pickApp(arg, 'Application to sync');
    if (!app) return;
    const agentSetting = vscode.workspace.getConfiguration('gitops').get<string>('agent', 'auto');
    if (agentSetting === 'none') { void vscode.window.showInformationMessage('GitOps: gitops.agent is "none": there is no agent to ask for a sync.'); return; }
    if (!app.agent || !app.agentObject) {
      void vscode.window.showWarningMessage(`GitOps: app ${app.name} is not managed by an Argo CD Application or Flux object, so there is no agent to ask. Commit and push; or set gitops.agent.`);
      return;
    }
    if (agentSetting !== 'auto' && agentSetting !== app.agent) {
      void vscode.window.showWarningMessage(`GitOps: app ${app.name} is applied by ${app.agent}, but gitops.agent is "${agentSetting}".`);
      return;
    }
    const opts = host.options();
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `GitOps: requesting sync of ${app.name}`, cancellable: false }, async (progress) => {
      progress.report({ message: `asking ${app.agent === 'argocd' ? 'Argo CD' : 'Flux'} (${app.agentObject!.kind} ${app.agentObject!.namespace ?? ''}/${app.agentObject!.name})` });
      await host.heavy().requestSync({ kubeconfig: host.override?.kubeconfig ?? opts?.kubeconfig, context: host.override?.context ?? opts?.context, trusted: opts?.trusted },
        app, { prune: app.syncPolicy?.prune });
    });
    output.info(`sync requested for ${app.name} (${app.agent} ${app.agentObject.kind} ${app.agentObject.name})`);
    void vscode.window.showInformationMessage(`GitOps: sync requested for ${app.name}; the agent applies it.`);
  });
}
