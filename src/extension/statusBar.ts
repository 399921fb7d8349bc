// Status bar: context and count of OutOfSync apps; a click reveals the Applications view.
import * as vscode from 'vscode';
import type { EngineHost } from './engineHost';
import { countOutOfSync } from './editor/driftIndex';

export class GitOpsStatusBar implements vscode.Disposable {
  readonly item = vscode.window.createStatusBarItem('gitops.status', vscode.StatusBarAlignment.Left, 50);
  private readonly subs: vscode.Disposable[];

  constructor(private readonly host: EngineHost) {
    this.item.name = 'GitOps';
    this.item.command = 'gitops.applications.focus';
    this.subs = [host.onDidChange(() => this.render()), host.onDidChangeState(() => this.render())];
    this.render();
    this.item.show();
  }

  render(): void {
    const r = this.host.report();
    const state = this.host.state;
    if (!r) {
      this.item.text = state === 'starting' || state === 'idle' ? '$(sync~spin) GitOps' : state === 'noWorkspace' ? '$(git-compare) GitOps' : '$(error) GitOps';
      this.item.tooltip = state === 'error' ? `GitOps engine failed: ${this.host.startError ?? ''}` : 'GitOps Workbench';
      return;
    }
    const ctx = r.context ?? 'no context';
    if (r.cluster.state !== 'connected') {
      this.item.text = `$(debug-disconnect) ${ctx} · ${r.cluster.state === 'none' ? 'no cluster' : r.cluster.state}`;
      this.item.tooltip = `GitOps: cluster ${r.cluster.state}${r.cluster.message ? `\n${r.cluster.message}` : ''}`;
      return;
    }
    const n = countOutOfSync(r);
    this.item.text = n ? `$(warning) ${ctx} · ${n} OutOfSync` : `$(check) ${ctx} · Synced`;
    this.item.tooltip = `GitOps: ${r.apps.length} apps on ${ctx}${r.cluster.server ? ` (${r.cluster.server})` : ''}; ${n} OutOfSync. Click to show the Applications view.`;
  }

  dispose(): void {
    this.item.dispose();
    for (const s of this.subs) s.dispose();
  }
}
