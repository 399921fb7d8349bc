// Hover on any field of a mapped object: a pure read of the engine's cache (Engine.locate), never I/O.
import * as vscode from 'vscode';
import type { EngineHost } from '../engineHost';
import { hoverMarkdown } from './format';

export class DriftHoverProvider implements vscode.HoverProvider {
  /** Time spent in the last provideHover (ms), for tests: it must be a cache read. */
  lastMs = 0;
  constructor(private readonly host: EngineHost) {}

  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const began = performance.now();
    try {
      return this.hover(doc, pos);
    } finally {
      this.lastMs = performance.now() - began;
    }
  }

  private hover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const engine = this.host.get();
    const report = this.host.report();
    if (!engine || !report) return undefined;
    const hit = engine.locate(doc.uri.fsPath, pos.line + 1);
    if (!hit) return undefined;
    const md = new vscode.MarkdownString(hoverMarkdown({
      ...hit, cluster: report.cluster, context: report.context, file: doc.uri.fsPath, line: pos.line + 1,
    }));
    // Only our two commands may run from the hover's links.
    md.isTrusted = { enabledCommands: ['gitops.showLiveDiff', 'gitops.requestSync'] };
    return new vscode.Hover(md, doc.lineAt(pos.line).range);
  }
}
