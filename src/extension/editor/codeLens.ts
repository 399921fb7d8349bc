// CodeLens at the head of each mapped object: status, drifted field count, Show diff, Request sync.
import * as vscode from 'vscode';
import type { EngineHost } from '../engineHost';
import type { DriftIndex } from './driftIndex';
import { resourceRef, type TargetArg } from './format';

export class DriftCodeLens implements vscode.CodeLensProvider {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.emitter.event;

  constructor(private readonly host: EngineHost, private readonly index: () => DriftIndex) {
    host.onDidChange(() => this.emitter.fire());
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const heads = this.index().get(doc.uri.fsPath)?.heads ?? [];
    const report = this.host.report();
    const connected = report?.cluster.state === 'connected';
    const lenses: vscode.CodeLens[] = [];
    for (const h of heads) {
      const line = h.line - 1;
      if (line < 0 || line >= doc.lineCount) continue;
      const range = new vscode.Range(line, 0, line, 0);
      const r = h.resource;
      const arg: TargetArg = { app: h.app.name, ref: resourceRef(r), file: doc.uri.fsPath, line: h.line };
      const status = connected ? r.status : `Unknown (cluster ${report?.cluster.state ?? 'not connected'})`;
      const icon = !connected || r.status === 'Unknown' ? '$(question)' : r.status === 'Synced' ? '$(check)' : '$(warning)';
      const count = r.drift.length ? ` · ${r.drift.length} drifted field${r.drift.length === 1 ? '' : 's'}` : '';
      lenses.push(new vscode.CodeLens(range, { title: `${icon} ${h.app.name}: ${status}${count}`, command: 'gitops.revealInTree', arguments: [arg] }));
      lenses.push(new vscode.CodeLens(range, { title: 'Show diff', command: 'gitops.showLiveDiff', arguments: [arg] }));
      lenses.push(new vscode.CodeLens(range, { title: 'Request sync', command: 'gitops.requestSync', arguments: [arg] }));
    }
    return lenses;
  }
}
