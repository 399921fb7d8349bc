// Problems: one Warning per drifted field (source `gitops`) in open YAML documents, cleared when it heals or
// the document closes; plus the Quick Fixes "Adopt live value into Git" and "Show live diff".
import * as vscode from 'vscode';
import type { EngineHost } from '../engineHost';
import type { DriftIndex } from './driftIndex';
import { diagnosticMessage, missingAfterText, resourceRef, type TargetArg } from './format';
import { valueColumns } from './lineText';
import { isYamlDocument } from './decorations';

export class DriftDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('gitops');
  private readonly disposables: vscode.Disposable[] = [];
  private readonly sent = new Map<string, string>();

  constructor(private readonly host: EngineHost, private readonly index: () => DriftIndex) {
    this.disposables.push(
      host.onDidChange(() => this.updateAll()),
      vscode.workspace.onDidOpenTextDocument((d) => this.update(d)),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri)),
    );
  }

  updateAll(): void {
    const open = new Set<string>();
    for (const doc of vscode.workspace.textDocuments) {
      if (!isYamlDocument(doc)) continue;
      open.add(doc.uri.toString());
      this.update(doc);
    }
    this.collection.forEach((uri) => { if (!open.has(uri.toString())) this.forget(uri); });
  }

  private forget(uri: vscode.Uri): void {
    this.collection.delete(uri);
    this.sent.delete(uri.toString());
  }

  update(doc: vscode.TextDocument): void {
    if (!isYamlDocument(doc)) return;
    const marks = this.index().get(doc.uri.fsPath)?.marks ?? [];
    const out: vscode.Diagnostic[] = [];
    for (const m of marks) {
      if (m.kind === 'unknown') continue; // not a claim of drift
      const line = m.line - 1;
      if (line < 0 || line >= doc.lineCount) continue;
      const text = doc.lineAt(line).text;
      const [a, b] = valueColumns(text);
      const message = m.kind === 'drift' && m.drift ? diagnosticMessage(m.resource, m.drift) : missingAfterText(m.resource);
      const d = new vscode.Diagnostic(new vscode.Range(line, a, line, b), message, vscode.DiagnosticSeverity.Warning);
      d.source = 'gitops';
      d.code = m.kind === 'drift' ? 'drift' : 'missing';
      out.push(d);
    }
    const key = doc.uri.toString();
    const signature = out.map((d) => `${d.range.start.line}:${d.range.start.character}-${d.range.end.character}:${d.message}`).join('\n');
    if (this.sent.get(key) === signature) return; // unchanged: spare the renderer 500 markers
    this.sent.set(key, signature);
    this.collection.set(doc.uri, out);
  }

  dispose(): void {
    this.collection.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

export class DriftCodeActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];
  constructor(private readonly index: () => DriftIndex) {}

  provideCodeActions(doc: vscode.TextDocument, range: vscode.Range, ctx: vscode.CodeActionContext): vscode.CodeAction[] {
    const ours = ctx.diagnostics.filter((d) => d.source === 'gitops');
    if (!ours.length) return [];
    const marks = this.index().get(doc.uri.fsPath)?.marks ?? [];
    const actions: vscode.CodeAction[] = [];
    for (const diag of ours) {
      const line = diag.range.start.line + 1;
      for (const m of marks) {
        if (m.line !== line) continue;
        const arg: TargetArg = { app: m.app.name, ref: resourceRef(m.resource), pointer: m.drift?.path, file: doc.uri.fsPath, line };
        // Secrets are masked: their live value is not known here, so it cannot be adopted.
        if (m.kind === 'drift' && m.drift && m.resource.kind !== 'Secret' && m.drift.live !== undefined && (m.drift.live === null || typeof m.drift.live !== 'object')) {
          const adopt = new vscode.CodeAction(`Adopt live value into Git (${m.drift.path} = ${JSON.stringify(m.drift.live)})`, vscode.CodeActionKind.QuickFix);
          adopt.command = { command: 'gitops.adoptLiveValue', title: 'Adopt live value into Git', arguments: [arg] };
          adopt.diagnostics = [diag];
          adopt.isPreferred = true;
          actions.push(adopt);
        }
        const diff = new vscode.CodeAction(`Show live diff of ${m.resource.kind}/${m.resource.name}`, vscode.CodeActionKind.QuickFix);
        diff.command = { command: 'gitops.showLiveDiff', title: 'Show live diff', arguments: [arg] };
        diff.diagnostics = [diag];
        actions.push(diff);
      }
    }
    void range;
    return actions;
  }
}
