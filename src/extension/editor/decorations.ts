// Inline drift in YAML editors: one decoration type per kind of mark, created once; each update sets all
// ranges of a type in one call per editor. Reads only the in-memory drift index.
import * as vscode from 'vscode';
import type { EngineHost } from '../engineHost';
import { indexReport, marksByLine, type DriftIndex, type LineMark, type MarkKind } from './driftIndex';
import { driftAfterText, missingAfterText } from './format';

export interface AppliedMark {
  line: number; // 0-based, as in the editor
  kind: MarkKind;
  text: string;
}

export function isYamlDocument(doc: vscode.TextDocument): boolean {
  return doc.uri.scheme === 'file' && (doc.languageId === 'yaml' || doc.languageId === 'helm' || /\.ya?ml$/i.test(doc.fileName));
}

export class DecorationManager implements vscode.Disposable {
  private readonly types: Record<MarkKind, vscode.TextEditorDecorationType>;
  private index: DriftIndex = new Map();
  private readonly applied = new Map<string, AppliedMark[]>();
  /** What was last set per editor; editors are weakly held (VS Code recreates them when a tab comes back). */
  private sent = new WeakMap<vscode.TextEditor, string>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Milliseconds the last update() took (all visible editors), for tests and the 5,000-line benchmark. */
  lastUpdateMs = 0;
  private readonly updatedEmitter = new vscode.EventEmitter<void>();
  readonly onDidUpdate = this.updatedEmitter.event;

  constructor(private readonly host: EngineHost, media: vscode.Uri) {
    const after = (color: string): vscode.ThemableDecorationAttachmentRenderOptions => ({
      color: new vscode.ThemeColor(color), fontStyle: 'italic', margin: '0 0 0 2em',
    });
    this.types = {
      drift: vscode.window.createTextEditorDecorationType({
        gutterIconPath: vscode.Uri.joinPath(media, 'drift.svg'), gutterIconSize: '80%',
        overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.warningForeground'),
        overviewRulerLane: vscode.OverviewRulerLane.Right,
        after: after('editorWarning.foreground'),
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      }),
      missing: vscode.window.createTextEditorDecorationType({
        gutterIconPath: vscode.Uri.joinPath(media, 'missing.svg'), gutterIconSize: '80%',
        overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.errorForeground'),
        overviewRulerLane: vscode.OverviewRulerLane.Right,
        after: after('editorError.foreground'),
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      }),
      unknown: vscode.window.createTextEditorDecorationType({
        gutterIconPath: vscode.Uri.joinPath(media, 'unknown.svg'), gutterIconSize: '80%',
        after: after('disabledForeground'),
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      }),
    };
    this.disposables.push(
      host.onDidChange((r) => { this.index = indexReport(r); this.update(); }),
      vscode.window.onDidChangeVisibleTextEditors(() => this.update()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('gitops.decorations.enabled')) { this.sent = new WeakMap(); this.update(); }
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.applied.delete(d.uri.toString())),
    );
    this.index = indexReport(host.report());
    // "3m ago" ages: re-render the after-texts twice a minute (only editors whose text changed are re-sent).
    const ager = setInterval(() => this.update(), 30_000);
    this.disposables.push({ dispose: () => clearInterval(ager) });
  }

  driftIndex(): DriftIndex {
    return this.index;
  }

  /** `force`: send the ranges even when they are the same as last time (the benchmark measures the full cost). */
  update(editors: readonly vscode.TextEditor[] = vscode.window.visibleTextEditors, force = false): void {
    const began = performance.now();
    const enabled = vscode.workspace.getConfiguration('gitops').get<boolean>('decorations.enabled', true);
    for (const editor of editors) this.decorate(editor, enabled, force);
    this.lastUpdateMs = performance.now() - began;
    this.updatedEmitter.fire();
  }

  private decorate(editor: vscode.TextEditor, enabled: boolean, force: boolean): void {
    const doc = editor.document;
    if (!isYamlDocument(doc)) return;
    const key = doc.uri.toString();
    const marks = enabled ? this.index.get(doc.uri.fsPath)?.marks ?? [] : [];
    const options: Record<MarkKind, vscode.DecorationOptions[]> = { drift: [], missing: [], unknown: [] };
    const applied: AppliedMark[] = [];
    const now = Date.now();
    for (const [line1, list] of marksByLine(marks)) {
      const line = line1 - 1;
      if (line < 0 || line >= doc.lineCount) continue; // report older than the buffer; the next one fixes it
      const kind = pickKind(list);
      const text = lineText(list.filter((m) => m.kind === kind), now);
      const end = doc.lineAt(line).range.end;
      options[kind].push({
        range: new vscode.Range(line, 0, line, end.character),
        renderOptions: { after: { contentText: text } },
      });
      applied.push({ line, kind, text });
    }
    // Same marks as last time on this editor: nothing to send to the renderer (big files, frequent reports).
    const signature = applied.map((m) => `${m.line}\u0000${m.kind}\u0000${m.text}`).join('\u0001');
    if (!force && this.sent.get(editor) === signature) return;
    for (const kind of Object.keys(this.types) as MarkKind[]) editor.setDecorations(this.types[kind], options[kind]);
    this.sent.set(editor, signature);
    this.applied.set(key, applied);
  }

  /** Test hook: the marks last set on the document's editor. */
  decorationsFor(uri: vscode.Uri): AppliedMark[] {
    return this.applied.get(uri.toString()) ?? [];
  }

  dispose(): void {
    for (const t of Object.values(this.types)) t.dispose();
    for (const d of this.disposables) d.dispose();
    this.updatedEmitter.dispose();
  }
}

function pickKind(list: LineMark[]): MarkKind {
  if (list.some((m) => m.kind === 'missing')) return 'missing';
  if (list.some((m) => m.kind === 'drift')) return 'drift';
  return 'unknown';
}

function lineText(list: LineMark[], now: number): string {
  const first = list[0];
  let text: string;
  if (first.kind === 'drift' && first.drift) text = driftAfterText(first.drift, now);
  else if (first.kind === 'missing') text = missingAfterText(first.resource);
  else text = `live: unknown · ${first.resource.message ?? 'cluster unreachable'}`;
  return list.length > 1 ? `${text} (+${list.length - 1} more)` : text;
}
